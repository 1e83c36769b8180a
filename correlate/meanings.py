"""What IKEv1 messages, notifies and vendor IDs mean, and how IOS names algorithms: plain data.

The tables that :mod:`correlate.explain` and :mod:`correlate.config` read.  Numbers are the
IANA values that :mod:`dissect.registry` names (IKE attributes: RFC 2409 App. A; IPsec DOI:
RFC 2407 §4.4-4.5; notify types: RFC 2408 §3.14.1, RFC 2407 §4.6.3, RFC 3706); IOS keywords
are those of the IOS 15.x/IOS-XE ``crypto isakmp policy`` and ``crypto ipsec transform-set``
commands; log names are what IOS ``debug crypto isakmp`` and strongSwan's charon print.

Adding a meaning or a keyword is one line here; no module branches on a name.
"""
from __future__ import annotations

import re
from dataclasses import dataclass


# --------------------------------------------------------------------------
# Messages (RFC 2409 §5, §5.4, §5.5, §5.7; draft-dukes-ike-mode-cfg)

@dataclass(frozen=True)
class RoleMeaning:
    """One message of an exchange: a headline, what it normally carries, what it decides."""
    headline: str
    carries: str
    decides: str = ""


ROLE_MEANINGS: dict[str, RoleMeaning] = {
    "MM1": RoleMeaning(
        "Main Mode 1: the initiator opens the IKE SA and offers its phase 1 policies",
        "an SA payload with the initiator's proposals (encryption, hash, authentication method, "
        "DH group, lifetime per transform) and vendor IDs announcing its capabilities",
        "nothing yet: the responder must find one of its own ISAKMP policies that matches an offered transform"),
    "MM2": RoleMeaning(
        "Main Mode 2: the responder chooses the phase 1 policy",
        "an SA payload with exactly one transform, the one the responder accepted, and its vendor IDs",
        "the IKE SA's encryption, hash, authentication method, DH group and lifetime"),
    "MM3": RoleMeaning(
        "Main Mode 3: the initiator starts the Diffie-Hellman exchange",
        "the initiator's DH public value (KE), its nonce (Ni) and NAT-D hashes for NAT detection",
        "nothing on its own; with MM4 it gives both peers g^xy"),
    "MM4": RoleMeaning(
        "Main Mode 4: the responder completes the Diffie-Hellman exchange",
        "the responder's DH public value (KE), its nonce (Nr) and NAT-D hashes",
        "after it both peers compute g^xy and SKEYID (with the pre-shared key for PSK authentication): "
        "a wrong key only shows in MM5/MM6, which are encrypted with keys derived from it"),
    "MM5": RoleMeaning(
        "Main Mode 5: the initiator sends its identity, encrypted",
        "the initiator's ID and HASH_I (proof that it holds the pre-shared key or the private key), "
        "often INITIAL-CONTACT; from here on NAT-T peers use UDP 4500",
        "the responder authenticates the initiator: a HASH_I mismatch means a pre-shared key mismatch"),
    "MM6": RoleMeaning(
        "Main Mode 6: the responder sends its identity; phase 1 is complete",
        "the responder's ID and HASH_R, encrypted",
        "the initiator authenticates the responder; the IKE SA is established"),
    "AM1": RoleMeaning(
        "Aggressive Mode 1: the initiator offers its policies and sends its DH value and identity at once",
        "SA proposals, KE, nonce and the initiator's ID, all in the clear, with vendor IDs",
        "the responder must match a policy and find the pre-shared key for this identity"),
    "AM2": RoleMeaning(
        "Aggressive Mode 2: the responder chooses the policy and authenticates itself",
        "the chosen transform, KE, nonce, the responder's ID, NAT-D and HASH_R, in the clear "
        "(anyone with AM1 and AM2 can try to guess the pre-shared key offline)",
        "the IKE SA's algorithms; the initiator checks HASH_R"),
    "AM3": RoleMeaning(
        "Aggressive Mode 3: the initiator authenticates itself; phase 1 is complete",
        "HASH_I (and NAT-D), usually encrypted",
        "the responder checks HASH_I; the IKE SA is established"),
    "QM1": RoleMeaning(
        "Quick Mode 1: phase 2 starts under the IKE SA",
        "HASH(1), the IPsec proposals (transform sets with the initiator's inbound SPI, lifetimes, PFS group), "
        "nonce, the proxy IDs (local and remote networks) and, with PFS, a KE",
        "the responder must find a matching transform set, PFS group and proxy IDs (crypto map ACL or VTI)"),
    "QM2": RoleMeaning(
        "Quick Mode 2: the responder accepts one IPsec proposal",
        "HASH(2), the chosen proposal with the responder's inbound SPI, its nonce, the proxy IDs and, with PFS, a KE",
        "the IPsec SAs' transform, mode, lifetimes and PFS group; the SPIs of both directions are now known"),
    "QM3": RoleMeaning(
        "Quick Mode 3: the initiator confirms; phase 2 is complete",
        "HASH(3) only",
        "both peers install the inbound and outbound IPsec SAs"),
    "INFO": RoleMeaning(
        "Informational exchange",
        "notifications (errors, status, DPD keepalives) or deletes, protected by HASH(1) once the IKE SA exists",
        ""),
    "TRANSACTION": RoleMeaning(
        "Transaction exchange (mode-config / XAUTH)",
        "extended authentication (XAUTH user name and password, status) or mode-config attributes "
        "(an internal address, DNS, split tunnel)",
        ""),
    # IKEv2 (RFC 7296 §1.2-1.4): the roles of correlate.logonly for IKEv2 logs
    "IKE_SA_INIT request": RoleMeaning(
        "the initiator opens the IKE SA (IKEv2)",
        "SAi1 (the initiator's IKE proposals), KEi, Ni and NAT detection notifies, in the clear",
        "the responder must find an acceptable IKE proposal and accept the DH group of KEi"),
    "IKE_SA_INIT response": RoleMeaning(
        "the responder chooses the IKE proposal (IKEv2)",
        "SAr1 (the chosen proposal), KEr, Nr and NAT detection notifies, or a notify (INVALID_KE_PAYLOAD, "
        "NO_PROPOSAL_CHOSEN, COOKIE)",
        "the IKE SA's algorithms; both peers then derive SKEYSEED and the SK_ keys"),
    "IKE_AUTH request": RoleMeaning(
        "the initiator authenticates itself and asks for the first Child SA (IKEv2)",
        "IDi, AUTH (and certificates), SAi2 (the IPsec proposals) and the traffic selectors TSi/TSr, encrypted",
        "the responder checks AUTH and looks for an IPsec proposal and traffic selectors it accepts"),
    "IKE_AUTH response": RoleMeaning(
        "the responder authenticates itself and creates the first Child SA (IKEv2)",
        "IDr, AUTH, SAr2 and TSi/TSr, encrypted, or a notify (AUTHENTICATION_FAILED, NO_PROPOSAL_CHOSEN, "
        "TS_UNACCEPTABLE)",
        "the IKE SA is up once the initiator checks AUTH; a notify here refuses the Child SA or the peer"),
    "CREATE_CHILD_SA request": RoleMeaning(
        "a new or rekeyed Child SA (or an IKE SA rekey) (IKEv2)",
        "SA, Ni, optionally KEi (PFS) and TSi/TSr, encrypted",
        "the responder must accept a proposal and the traffic selectors"),
    "CREATE_CHILD_SA response": RoleMeaning(
        "the Child SA is created or refused (IKEv2)",
        "SA, Nr, optionally KEr and TSi/TSr, or a notify (NO_PROPOSAL_CHOSEN, TS_UNACCEPTABLE), encrypted",
        "the new SAs' algorithms and SPIs"),
    "INFORMATIONAL request": RoleMeaning(
        "an IKEv2 Informational exchange: the request",
        "deletes, notifies or nothing (a liveness check), encrypted",
        ""),
    "INFORMATIONAL response": RoleMeaning(
        "an IKEv2 Informational exchange: the answer",
        "the matching deletes, or nothing (the answer to a liveness check), encrypted",
        ""),
}


# --------------------------------------------------------------------------
# Notify message types: the registry's names (hyphenated, RFC 2408 §3.14.1) -> meaning

NOTIFY_MEANINGS: dict[str, str] = {
    "INVALID-PAYLOAD-TYPE": "the receiver met a payload type it does not know",
    "INVALID-COOKIE": "the receiver has no IKE SA with these cookies (it rebooted, cleared its SAs, or has "
                      "no configuration for this peer, e.g. no pre-shared key or a wrong peer address)",
    "INVALID-EXCHANGE-TYPE": "the receiver does not do this exchange (e.g. Aggressive Mode disabled)",
    "INVALID-FLAGS": "the header flags are not acceptable",
    "INVALID-MESSAGE-ID": "the message ID is not one the receiver expects",
    "INVALID-PROTOCOL-ID": "the protocol ID of a proposal is not supported",
    "INVALID-SPI": "the receiver has no SA with this SPI (it was deleted or never set up)",
    "INVALID-TRANSFORM-ID": "a transform the receiver does not support",
    "ATTRIBUTES-NOT-SUPPORTED": "an SA attribute the receiver does not support",
    "NO-PROPOSAL-CHOSEN": "none of the offered proposals is acceptable: in phase 1 no ISAKMP policy matches; in "
                          "Quick Mode the transform set, PFS group, lifetime or proxy IDs differ, or the SA "
                          "cannot be installed",
    "BAD-PROPOSAL-SYNTAX": "the SA payload is malformed",
    "PAYLOAD-MALFORMED": "the receiver could not parse the message; answering an encrypted MM5 this usually "
                         "means it decrypted it with other keys: a pre-shared key mismatch",
    "INVALID-KEY-INFORMATION": "the KE payload is unacceptable (wrong DH group or length)",
    "INVALID-ID-INFORMATION": "the identity or the proxy IDs are not acceptable (on Cisco: no crypto map ACL "
                              "entry mirrors the offered proxy IDs)",
    "INVALID-CERT-ENCODING": "the certificate encoding is not supported",
    "INVALID-CERTIFICATE": "the certificate is invalid",
    "CERT-TYPE-UNSUPPORTED": "the certificate type is not supported",
    "INVALID-CERT-AUTHORITY": "the certificate authority is not trusted",
    "INVALID-HASH-INFORMATION": "a HASH payload did not verify: a pre-shared key mismatch, or a corrupted message",
    "AUTHENTICATION-FAILED": "authentication failed (pre-shared key, signature or XAUTH credentials)",
    "INVALID-SIGNATURE": "a signature did not verify",
    "UNSUPPORTED-EXCHANGE-TYPE": "the exchange type is not supported",
    "RESPONDER-LIFETIME": "the responder uses a shorter lifetime than offered; the attributes give its value",
    "REPLAY-STATUS": "whether the sender uses anti-replay",
    "INITIAL-CONTACT": "the sender has no other SA with this peer (a fresh start): the receiver deletes the "
                       "old SAs it still holds for it",
    "R-U-THERE": "Dead Peer Detection keepalive (RFC 3706): are you alive?",
    "R-U-THERE-ACK": "Dead Peer Detection answer (RFC 3706): yes, alive",
    "CISCO-HELLO": "Cisco keepalive",
    "IOS-KEEP-ALIVE-REQ": "Cisco IOS keepalive request",
    "IOS-KEEP-ALIVE-ACK": "Cisco IOS keepalive answer",
    "UNITY-HEARTBEAT": "Cisco Unity heartbeat during XAUTH",
    "UNITY-LOAD-BALANCE": "Cisco load balancing: connect to another gateway",
}

#: IKEv2's own meanings where IKEv1's words (ISAKMP policy, Quick Mode) do not fit (RFC 7296 §3.10.1)
NOTIFY_MEANINGS_V2: dict[str, str] = {
    "NO-PROPOSAL-CHOSEN": "none of the offered proposals is acceptable: in IKE_SA_INIT no IKEv2 proposal "
                          "matches (`crypto ikev2 proposal`, chosen by `crypto ikev2 policy`); in IKE_AUTH or "
                          "CREATE_CHILD_SA the child SA's transform set, its mode (tunnel/transport) or PFS group "
                          "differ, or the SA cannot be installed",
    "AUTHENTICATION-FAILED": "the AUTH payload did not verify: a pre-shared key mismatch (`crypto ikev2 keyring`), "
                             "or a signature or certificate that does not verify",
    "TS-UNACCEPTABLE": "the traffic selectors (the child SA's protected subnets) match no policy: the crypto ACLs "
                       "or the IPsec profile's selectors differ",
    "INVALID-KE-PAYLOAD": "the KE payload's DH group is not the one the responder wants; it names its group",
}


def notify_meaning(name: str, ikev2: bool = False) -> str:
    """What a notify type (the registry's name, :func:`notify_name`) means, in IKEv2's terms when ``ikev2``
    (:data:`NOTIFY_MEANINGS_V2`), else IKEv1's (:data:`NOTIFY_MEANINGS`); "" when unknown."""
    return (NOTIFY_MEANINGS_V2.get(name) if ikev2 else None) or NOTIFY_MEANINGS.get(name, "")


#: names for notify types in logs (IOS, ASA, strongSwan short names) -> the registry's name
NOTIFY_ALIASES: dict[str, str] = {
    "PROPOSAL-NOT-CHOSEN": "NO-PROPOSAL-CHOSEN", "NO-PROP": "NO-PROPOSAL-CHOSEN",
    "PLD-MAL": "PAYLOAD-MALFORMED", "INVAL-HASH": "INVALID-HASH-INFORMATION",
    "AUTH-FAILED": "AUTHENTICATION-FAILED", "INVAL-ID": "INVALID-ID-INFORMATION",
    "INVAL-KE": "INVALID-KEY-INFORMATION", "INVAL-SPI": "INVALID-SPI", "INVAL-MID": "INVALID-MESSAGE-ID",
    "ATTR-UNSUP": "ATTRIBUTES-NOT-SUPPORTED", "INVAL-CERT": "INVALID-CERTIFICATE",
    "INIT-CONTACT": "INITIAL-CONTACT", "DPD": "R-U-THERE", "DPD-ACK": "R-U-THERE-ACK",
    "RESP-LIFETIME": "RESPONDER-LIFETIME", "INVALID-HASH": "INVALID-HASH-INFORMATION",
}


def notify_name(name: str) -> str:
    """A notify type's name as the registry spells it: ``INVALID_COOKIE``, ``PROPOSAL_NOT_CHOSEN``
    (IOS) or ``PLD_MAL`` (strongSwan) become ``INVALID-COOKIE``, ``NO-PROPOSAL-CHOSEN``,
    ``PAYLOAD-MALFORMED``; a ``(24)`` suffix is dropped."""
    key = re.sub(r"\(\d+\)$", "", name.strip()).upper().replace("_", "-")
    return NOTIFY_ALIASES.get(key, key)


#: Mode-config message types (draft-dukes-ike-mode-cfg-02 §3.2, the registry's names) -> what the sender does
CFG_VERBS: dict[str, str] = {"ISAKMP_CFG_REQUEST": "asks for", "ISAKMP_CFG_REPLY": "answers with",
                             "ISAKMP_CFG_SET": "sets", "ISAKMP_CFG_ACK": "acknowledges"}


#: What payloads that are only named say (the others have handlers in correlate.explain)
PAYLOAD_NOTES: dict[str, str] = {"FRAG": "a piece of a large message (Cisco IKE fragmentation)",
                                 "NAT-OA": "the original address, before NAT"}


# --------------------------------------------------------------------------
# Vendor IDs -> the capability they announce (names as the registry, IOS, ASA and charon write them)

VENDOR_FEATURES: tuple[tuple[re.Pattern, str], ...] = tuple((re.compile(p, re.IGNORECASE), f) for p, f in (
    (r"\bDPD|dead peer", "DPD (Dead Peer Detection, RFC 3706)"),
    (r"NAT-T|NAT.?Traversal|RFC 3947|esp-in-udp|ESPThruNAT", "NAT-T (NAT traversal, RFC 3947 or its drafts)"),
    (r"xauth", "XAUTH (extended authentication)"),
    (r"unity", "Cisco Unity (remote-access client extensions)"),
    (r"fragmentation", "IKE fragmentation"),
    (r"another IOS box|\bIOS\b", "a Cisco IOS peer"),
    (r"VPN3000|Altiga|concentrator", "a Cisco ASA / VPN 3000 peer"),
))


def vendor_feature(name: str) -> str | None:
    """The capability a vendor ID announces (``DPD`` -> Dead Peer Detection), or None."""
    return next((feature for pattern, feature in VENDOR_FEATURES if pattern.search(name)), None)


# --------------------------------------------------------------------------
# IOS configuration keywords, by IANA value

#: ``crypto isakmp policy`` sub-command keywords (one place, should a site prefer ``encr``)
POLICY_KEYWORDS = {"encryption": "encr", "hash": "hash", "authentication": "authentication",
                   "group": "group", "lifetime": "lifetime"}

#: Phase 1 Encryption-Algorithm (RFC 2409 App. A) -> IOS ``encr`` keyword; AES takes the key length
ISAKMP_ENCRYPTION: dict[int, str] = {1: "des", 5: "3des", 7: "aes"}
#: Phase 1 Hash-Algorithm -> IOS ``hash`` keyword
ISAKMP_HASH: dict[int, str] = {1: "md5", 2: "sha", 4: "sha256", 5: "sha384", 6: "sha512"}
#: Phase 1 Authentication-Method -> IOS ``authentication`` keyword (XAUTH and hybrid modes add a
#: ``crypto isakmp client configuration`` / ``crypto map ... client authentication`` on top)
ISAKMP_AUTHENTICATION: dict[int, str] = {
    1: "pre-share", 3: "rsa-sig", 4: "rsa-encr", 9: "ecdsa-sig", 10: "ecdsa-sig", 11: "ecdsa-sig",
    64221: "rsa-sig", 64222: "rsa-sig", 65001: "pre-share", 65002: "pre-share", 65005: "rsa-sig", 65006: "rsa-sig",
}
#: Authentication methods with XAUTH (draft-beaulieu-ike-xauth-02 §3.2)
XAUTH_METHODS = frozenset(range(65001, 65011))
#: DH groups an IOS ``group`` / ``set pfs group`` accepts
IOS_GROUPS = frozenset({1, 2, 5, 14, 15, 16, 19, 20, 21, 24})

#: ESP transform ID (RFC 2407 §4.4.4, IANA) -> IOS transform-set cipher keyword; None: IOS has none
ESP_ENCRYPTION: dict[int, str | None] = {
    2: "esp-des", 3: "esp-3des", 11: "esp-null", 12: "esp-aes", 20: "esp-gcm", 23: "esp-gmac",
    13: None, 14: None, 15: None, 16: None, 18: None, 19: None, 6: None, 7: None, 22: None,
}
#: ESP transforms whose keyword takes the key length (128 is the default and is not written)
ESP_KEYED = frozenset({12, 20, 23})
#: ESP transforms that are AEAD: no separate integrity keyword
ESP_AEAD = frozenset({14, 15, 16, 18, 19, 20, 23})
#: IPsec Authentication-Algorithm (RFC 2407 §4.5, RFC 4868) -> IOS ESP integrity keyword
ESP_INTEGRITY: dict[int, str | None] = {1: "esp-md5-hmac", 2: "esp-sha-hmac", 5: "esp-sha256-hmac",
                                        6: "esp-sha384-hmac", 7: "esp-sha512-hmac", 9: None}
#: AH transform ID (RFC 2407 §4.4.3) -> IOS keyword
AH_KEYWORDS: dict[int, str | None] = {2: "ah-md5-hmac", 3: "ah-sha-hmac", 5: "ah-sha256-hmac",
                                      6: "ah-sha384-hmac", 7: "ah-sha512-hmac"}
#: IPsec Authentication-Algorithm -> the AH transform ID of the same algorithm (RFC 2407 §4.4.3, §4.5)
AH_FOR_INTEGRITY: dict[int, int] = {1: 2, 2: 3, 5: 5, 6: 6, 7: 7}
#: Encapsulation-Mode (RFC 2407 §4.5, RFC 3947 §5.1 and its drafts) -> IOS ``mode``
ENCAPSULATION_MODES: dict[int, str] = {1: "tunnel", 2: "transport", 3: "tunnel", 4: "transport",
                                       61443: "tunnel", 61444: "transport"}
#: Encapsulation modes that say NAT-T (UDP encapsulation) was negotiated
UDP_ENCAPSULATED = frozenset({3, 4, 61443, 61444})

#: IOS defaults (seconds, kilobytes): an explicit command is only needed for other values
IOS_ISAKMP_LIFETIME = 86400
IOS_IPSEC_LIFETIME_SECONDS = 3600
IOS_IPSEC_LIFETIME_KILOBYTES = 4608000
#: The ISAKMP policy priority used when the wire does not say it (it never does)
DEFAULT_POLICY_PRIORITY = 10


# --------------------------------------------------------------------------
# Algorithm names in logs -> IANA values

#: Log spellings that differ from the registry's names, per attribute kind (after :func:`loose`):
#: IOS ``auth pre-share`` / ``auth RSA`` (its parser keeps the first word), ``transform 1, ESP_GCM``
LOG_ALIASES: dict[str, dict[str, int]] = {
    "auth": {"PRESHARE": 1, "PSK": 1, "RSA": 3, "RSASIG": 3, "RSAENCR": 4, "ECDSA": 9, "ECDSASIG": 9},
    "esp": {"GCM": 20, "GMAC": 23},
}


def loose(name: str) -> str:
    """A name reduced for comparison across spellings: upper case, only letters and digits, the
    SHA-2 "2" before a size dropped (``SHA2-256``, ``SHA256`` and ``sha-256`` -> ``SHA256``)."""
    text = re.sub(r"[^A-Z0-9]", "", name.upper())
    return re.sub(r"SHA2(?=256|384|512)", "SHA", text)


#: strongSwan proposal tokens (``IKE:AES_CBC_128/HMAC_SHA1_96/PRF_HMAC_SHA1/MODP_1024``):
#: token or token prefix -> (what, IKE value, ESP value); ``what`` is cipher, integrity, prf, or group
STRONGSWAN_TOKENS: dict[str, tuple[str, int | None, int | None]] = {
    "AES_CBC": ("cipher", 7, 12), "3DES_CBC": ("cipher", 5, 3), "DES_CBC": ("cipher", 1, 2),
    "BLOWFISH_CBC": ("cipher", 3, 7), "CAST_CBC": ("cipher", 6, 6), "CAMELLIA_CBC": ("cipher", 8, 22),
    "AES_CTR": ("cipher", None, 13), "AES_CCM_8": ("cipher", None, 14), "AES_CCM_12": ("cipher", None, 15),
    "AES_CCM_16": ("cipher", None, 16), "AES_GCM_8": ("cipher", None, 18), "AES_GCM_12": ("cipher", None, 19),
    "AES_GCM_16": ("cipher", None, 20), "NULL_AES_GMAC": ("cipher", None, 23), "NULL": ("cipher", None, 11),
    "HMAC_MD5_96": ("integrity", 1, 1), "HMAC_SHA1_96": ("integrity", 2, 2),
    "HMAC_SHA2_256_128": ("integrity", 4, 5), "HMAC_SHA2_384_192": ("integrity", 5, 6),
    "HMAC_SHA2_512_256": ("integrity", 6, 7), "AES_XCBC_96": ("integrity", None, 9),
    "PRF_HMAC_MD5": ("prf", 1, None), "PRF_HMAC_SHA1": ("prf", 2, None), "PRF_HMAC_SHA2_256": ("prf", 4, None),
    "PRF_HMAC_SHA2_384": ("prf", 5, None), "PRF_HMAC_SHA2_512": ("prf", 6, None),
    "MODP_768": ("group", 1, 1), "MODP_1024": ("group", 2, 2), "MODP_1536": ("group", 5, 5),
    "MODP_2048": ("group", 14, 14), "MODP_3072": ("group", 15, 15), "MODP_4096": ("group", 16, 16),
    "MODP_6144": ("group", 17, 17), "MODP_8192": ("group", 18, 18), "ECP_256": ("group", 19, 19),
    "ECP_384": ("group", 20, 20), "ECP_521": ("group", 21, 21), "MODP_1024_160": ("group", 22, 22),
    "MODP_2048_224": ("group", 23, 23), "MODP_2048_256": ("group", 24, 24), "ECP_192": ("group", 25, 25),
    "ECP_224": ("group", 26, 26), "ECP_224_BP": ("group", 27, 27), "ECP_256_BP": ("group", 28, 28),
    "ECP_384_BP": ("group", 29, 29), "ECP_512_BP": ("group", 30, 30), "CURVE_25519": ("group", 31, 31),
    "CURVE_448": ("group", 32, 32),
}


# --------------------------------------------------------------------------
# Roles from log states

#: A log that names the payloads but not the peer's role (ASA ``IKE_DECODE ... with payloads : HDR +
#: SA (1) + ...``): first payload of a message with message ID 0 -> the messages it can be
PAYLOAD_ROLE_CANDIDATES: dict[str, str] = {"SA": "MM1 or MM2", "KE": "MM3 or MM4", "ID": "MM5 or MM6",
                                           "HASH": "MM5 or MM6", "NOTIFY": "INFO"}
