"""IANA and RFC names for ISAKMP/IKE, as plain data.

One registry for every name that ikescope prints: exchange types, payload
types, attribute types and values (Phase 1 and the IPsec DOI), transform IDs,
ID types, certificate encodings, notify message types, mode-config attribute
types, DH groups and vendor IDs.  Adding a name is one line here; the
decoders never branch on a name.

Sources: RFC 2407 §4.4-4.6 (IPsec DOI), RFC 2408 §3 (ISAKMP), RFC 2409
Appendix A (Phase 1 attributes), RFC 3947 (NAT-T), RFC 3706 (DPD),
draft-dukes-ike-mode-cfg / draft-beaulieu-ike-xauth (mode-config/XAUTH),
RFC 7296 (IKEv2 payload and exchange types), the IANA "Internet Key Exchange
(IKE) Attributes", "ISAKMP Identifiers" and "Magic Numbers for ISAKMP
Protocol" registries, and Wireshark's packet-isakmp.c value strings for the
display names of vendor IDs and private-use values.

Where a table mirrors a Wireshark value_string, the names are Wireshark's
display strings (checked against tshark 4.0.17, which produces the oracle
output under captures/), so that our text output can be compared with
``tshark -V`` line by line.  Values Wireshark does not know keep their IANA
or RFC names.
"""
from __future__ import annotations

from dataclasses import dataclass, field


# --------------------------------------------------------------------------
# ISAKMP header (RFC 2408 §3.1; IKEv2 RFC 7296 §3.1)

EXCHANGE_TYPES: dict[int, str] = {
    0: "NONE",
    1: "Base",
    2: "Identity Protection (Main Mode)",
    3: "Authentication Only",
    4: "Aggressive",
    5: "Informational",
    6: "Transaction (Config Mode)",
    32: "Quick Mode",
    33: "New Group Mode",
    # IKEv2 (RFC 7296 §3.1, RFC 5723, draft-ietf-ipsecme-g-ikev2, RFC 9242, RFC 9370)
    34: "IKE_SA_INIT",
    35: "IKE_AUTH",
    36: "CREATE_CHILD_SA",
    37: "INFORMATIONAL",
    38: "IKE_SESSION_RESUME",
    39: "GSA_AUTH",
    40: "GSA_REGISTRATION",
    41: "GSA_REKEY",
    43: "IKE_INTERMEDIATE",
    44: "IKE_FOLLOWUP_KE",
}

#: Short exchange names for the packet list (the strongSwan/Cisco words).
EXCHANGE_SHORT: dict[int, str] = {
    1: "Base",
    2: "Main Mode",
    3: "Auth Only",
    4: "Aggressive",
    5: "Informational",
    6: "Transaction",
    32: "Quick Mode",
    33: "New Group",
    34: "IKE_SA_INIT",
    35: "IKE_AUTH",
    36: "CREATE_CHILD_SA",
    37: "INFORMATIONAL",
    38: "IKE_SESSION_RESUME",
    43: "IKE_INTERMEDIATE",
    44: "IKE_FOLLOWUP_KE",
}

#: ISAKMP header flags, IKEv1 (RFC 2408 §3.1): bit -> (letter, name)
FLAGS_V1: dict[int, tuple[str, str]] = {
    0x01: ("E", "Encryption"),
    0x02: ("C", "Commit"),
    0x04: ("A", "Authentication"),
}

#: IKEv2 header flags (RFC 7296 §3.1)
FLAGS_V2: dict[int, tuple[str, str]] = {
    0x08: ("I", "Initiator"),
    0x10: ("V", "Version"),
    0x20: ("R", "Response"),
}


# --------------------------------------------------------------------------
# Payload types: number -> (short name, long name)
# Long names are Wireshark's (its "NONE / No Next Payload " carries a trailing
# space, left out here).

PAYLOAD_TYPES_V1: dict[int, tuple[str, str]] = {
    0: ("NONE", "NONE / No Next Payload"),
    1: ("SA", "Security Association"),
    2: ("P", "Proposal"),
    3: ("T", "Transform"),
    4: ("KE", "Key Exchange"),
    5: ("ID", "Identification"),
    6: ("CERT", "Certificate"),
    7: ("CR", "Certificate Request"),
    8: ("HASH", "Hash"),
    9: ("SIG", "Signature"),
    10: ("NONCE", "Nonce"),
    11: ("N", "Notification"),
    12: ("D", "Delete"),
    13: ("VID", "Vendor ID"),
    14: ("ATTR", "Attributes"),               # draft-ietf-ipsec-isakmp-mode-cfg
    15: ("SAK", "SA KEK Payload"),            # RFC 3547 / RFC 6407 (GDOI)
    16: ("SAT", "SA TEK Payload"),
    17: ("KD", "Key Download"),
    18: ("SEQ", "Sequence Number"),
    19: ("POP", "Proof of Possession"),
    20: ("NAT-D", "NAT-D (RFC 3947)"),
    21: ("NAT-OA", "NAT-OA (RFC 3947)"),
    22: ("GAP", "Group Associated Policy"),   # RFC 6407
    130: ("NAT-D", "NAT-D (draft-ietf-ipsec-nat-t-ike-01 to 03)"),
    131: ("NAT-OA", "NAT-OA (draft-ietf-ipsec-nat-t-ike-01 to 03)"),
    132: ("FRAG", "Cisco-Fragmentation"),
}

#: Payload types whose meaning depends on the exchange: (type, exchange type)
#: -> (short, long, type whose decoder applies).  Old Cisco gear sent NAT-D
#: as type 15 from early NAT-T drafts (libreswan: ISAKMP_NEXT_NATD_BADDRAFTS),
#: which IANA later gave to GDOI's SA KEK; in Main/Aggressive Mode only the
#: NAT-D meaning makes sense.
PAYLOAD_ALIASES_V1: dict[tuple[int, int], tuple[str, str, int]] = {
    (15, 2): ("NAT-D", "NAT-D (old NAT-T drafts, type 15)", 20),
    (15, 4): ("NAT-D", "NAT-D (old NAT-T drafts, type 15)", 20),
}

PAYLOAD_TYPES_V2: dict[int, tuple[str, str]] = {
    0: ("NONE", "NONE / No Next Payload"),
    33: ("SA", "Security Association"),
    34: ("KE", "Key Exchange"),
    35: ("IDi", "Identification - Initiator"),
    36: ("IDr", "Identification - Responder"),
    37: ("CERT", "Certificate"),
    38: ("CERTREQ", "Certificate Request"),
    39: ("AUTH", "Authentication"),
    40: ("Ni/Nr", "Nonce"),
    41: ("N", "Notify"),
    42: ("D", "Delete"),
    43: ("V", "Vendor ID"),
    44: ("TSi", "Traffic Selector - Initiator"),
    45: ("TSr", "Traffic Selector - Responder"),
    46: ("SK", "Encrypted and Authenticated"),
    47: ("CP", "Configuration"),
    48: ("EAP", "Extensible Authentication"),
    49: ("GSPM", "Generic Secure Password Method"),
    50: ("IDg", "Group Identification"),
    51: ("GSA", "Group Security Association"),
    52: ("KD", "Key Download"),
    53: ("SKF", "Encrypted and Authenticated Fragment"),
    54: ("PS", "Puzzle Solution"),            # RFC 8019 (Wireshark 4.0: "Unassigned")
}


# --------------------------------------------------------------------------
# SA payload (RFC 2408 §3.4-3.6, RFC 2407 §4.2-4.6)

DOI: dict[int, str] = {0: "ISAKMP", 1: "IPSEC", 2: "GDOI"}

#: IPsec DOI situation bits (RFC 2407 §4.2)
SITUATION_BITS: dict[int, str] = {
    0x01: "SIT_IDENTITY_ONLY",
    0x02: "SIT_SECRECY",
    0x04: "SIT_INTEGRITY",
}

#: IKEv1 protocol IDs (RFC 2407 §4.4.1, RFC 4705)
PROTOCOL_IDS: dict[int, str] = {
    0: "RESERVED",
    1: "ISAKMP",
    2: "IPSEC_AH",
    3: "IPSEC_ESP",
    4: "IPCOMP",
    5: "GIGABEAM_RADIO",
}

#: IKEv2 protocol IDs (RFC 7296 §3.3.1, RFC 4595); Wireshark's names.
PROTOCOL_IDS_V2: dict[int, str] = {
    0: "RESERVED",
    1: "IKE",
    2: "AH",
    3: "ESP",
    4: "FC_ESP_HEADER",
    5: "FC_CT_AUTHENTICATION",
}

#: IKEv1 transform IDs per protocol ID (RFC 2407 §4.4.2-4.4.5, IANA "IPsec
#: ... Transform Identifiers").  Names are Wireshark's (no "AH_"/"ESP_"/
#: "IPCOMP_" prefix); IDs Wireshark lacks keep the IANA name in that style.
TRANSFORM_IDS: dict[int, dict[int, str]] = {
    1: {0: "RESERVED", 1: "KEY_IKE"},
    2: {  # AH
        0: "RESERVED", 1: "RESERVED", 2: "MD5", 3: "SHA", 4: "DES", 5: "SHA2-256",
        6: "SHA2-384", 7: "SHA2-512",
        # not in Wireshark: IANA AH_RIPEMD .. AH_AES-256-GMAC
        8: "RIPEMD", 9: "AES-XCBC-MAC", 10: "RSA", 11: "AES-128-GMAC", 12: "AES-192-GMAC",
        13: "AES-256-GMAC",
    },
    3: {  # ESP
        0: "RESERVED", 1: "DES-IV64", 2: "DES", 3: "3DES", 4: "RC5", 5: "IDEA", 6: "CAST",
        7: "BLOWFISH", 8: "3IDEA", 9: "DES-IV32", 10: "RC4", 11: "NULL", 12: "AES",
        # not in Wireshark: IANA ESP_AES-CTR .. ESP_NULL_AUTH_AES-GMAC (17 unassigned)
        13: "AES-CTR", 14: "AES-CCM_8", 15: "AES-CCM_12", 16: "AES-CCM_16",
        18: "AES-GCM_8", 19: "AES-GCM_12", 20: "AES-GCM_16", 21: "SEED_CBC",
        22: "CAMELLIA", 23: "NULL_AUTH_AES-GMAC",
    },
    4: {0: "RESERVED", 1: "OUI", 2: "DEFLATE", 3: "LZS", 4: "LZJH"},  # IPCOMP
}


@dataclass(frozen=True)
class AttrSpec:
    """One attribute type of an SA transform.

    ``values`` maps the attribute's value to its name (None when the value is
    a number such as a lifetime or a key length); ``unit`` is the unit of a
    numeric value ("bits" for key lengths; lifetimes take theirs from the
    preceding Life Type attribute).
    """
    name: str
    values: dict[int, str] | None = None
    unit: str = ""
    key: str = ""  # short JSON key


#: Diffie-Hellman groups: IKEv1 Group-Description (RFC 2409, RFC 3526,
#: RFC 5114, RFC 5903, RFC 6932, RFC 8031, RFC 9385) and IKEv2 transform
#: type 4.  Wireshark's names (including its "... group" suffix on 3 and 4).
GROUPS: dict[int, str] = {
    0: "UNDEFINED - 0",
    1: "Default 768-bit MODP group",
    2: "Alternate 1024-bit MODP group",
    3: "EC2N group on GP[2^155] group",
    4: "EC2N group on GP[2^185] group",
    5: "1536 bit MODP group",
    6: "EC2N group over GF[2^163]",
    7: "EC2N group over GF[2^163]",
    8: "EC2N group over GF[2^283]",
    9: "EC2N group over GF[2^283]",
    10: "EC2N group over GF[2^409]",
    11: "EC2N group over GF[2^409]",
    12: "EC2N group over GF[2^571]",
    13: "EC2N group over GF[2^571]",
    14: "2048 bit MODP group",
    15: "3072 bit MODP group",
    16: "4096 bit MODP group",
    17: "6144 bit MODP group",
    18: "8192 bit MODP group",
    19: "256-bit random ECP group",
    20: "384-bit random ECP group",
    21: "521-bit random ECP group",
    22: "1024-bit MODP Group with 160-bit Prime Order Subgroup",
    23: "2048-bit MODP Group with 224-bit Prime Order Subgroup",
    24: "2048-bit MODP Group with 256-bit Prime Order Subgroup",
    25: "192-bit Random ECP Group",
    26: "224-bit Random ECP Group",
    27: "224-bit Brainpool ECP group",
    28: "256-bit Brainpool ECP group",
    29: "384-bit Brainpool ECP group",
    30: "512-bit Brainpool ECP group",
    31: "Curve25519",
    32: "Curve448",
    33: "GOST3410_2012_256",
    34: "GOST3410_2012_512",
}

LIFE_TYPES: dict[int, str] = {0: "RESERVED", 1: "Seconds", 2: "Kilobytes"}

#: Phase 1 (ISAKMP DOI) transform attributes, RFC 2409 Appendix A and the
#: IANA IKE attribute registry; attribute and value names as Wireshark's.
IKE_ATTRIBUTES: dict[int, AttrSpec] = {
    1: AttrSpec("Encryption-Algorithm", {
        0: "RESERVED", 1: "DES-CBC", 2: "IDEA-CBC", 3: "BLOWFISH-CBC", 4: "RC5-R16-B64-CBC",
        5: "3DES-CBC", 6: "CAST-CBC", 7: "AES-CBC", 8: "CAMELLIA-CBC",
        # Chinese SM ciphers (GM/T 0022), as Wireshark names them
        127: "SM4-CBC (DEPRECATED)", 128: "SM1-CBC", 129: "SM4-CBC",
    }, key="encryption"),
    2: AttrSpec("Hash-Algorithm", {
        0: "RESERVED", 1: "MD5", 2: "SHA", 3: "TIGER", 4: "SHA2-256", 5: "SHA2-384",
        6: "SHA2-512", 20: "SM3",
    }, key="hash"),
    3: AttrSpec("Authentication-Method", {
        0: "RESERVED",
        1: "Pre-shared key", 2: "DSS signatures", 3: "RSA signatures",
        4: "Encryption with RSA", 5: "Revised encryption with RSA",
        6: "Reserved (was Encryption with El-Gamal)",
        7: "Reserved (was Revised encryption with El-Gamal)",
        8: "Reserved (was ECDSA signatures)",
        9: "ECDSA with SHA-256 on the P-256 curve",
        10: "ECDSA with SHA-384 on the P-384 curve", 11: "ECDSA with SHA-512 on the P-521 curve",
        # draft-ietf-ipsec-isakmp-hybrid-auth-05
        64221: "HybridInitRSA", 64222: "HybridRespRSA", 64223: "HybridInitDSS",
        64224: "HybridRespDSS",
        # draft-beaulieu-ike-xauth-02
        65001: "XAUTHInitPreShared", 65002: "XAUTHRespPreShared", 65003: "XAUTHInitDSS",
        65004: "XAUTHRespDSS", 65005: "XAUTHInitRSA", 65006: "XAUTHRespRSA",
        65007: "XAUTHInitRSAEncryption", 65008: "XAUTHRespRSAEncryption",
        65009: "XAUTHInitRSARevisedEncryption", 65010: "XAUTHRespRSARevisedEncryption",
    }, key="authentication"),
    4: AttrSpec("Group-Description", GROUPS, key="group"),
    5: AttrSpec("Group-Type", {0: "UNDEFINED - 0", 1: "MODP", 2: "ECP", 3: "EC2N"},
                key="group_type"),
    6: AttrSpec("Group-Prime", key="group_prime"),  # RFC 2409: Group Prime/Irreducible Polynomial
    7: AttrSpec("Group-Generator-One", key="group_generator_one"),
    8: AttrSpec("Group-Generator-Two", key="group_generator_two"),
    9: AttrSpec("Group-Curve-A", key="group_curve_a"),
    10: AttrSpec("Group-Curve-B", key="group_curve_b"),
    11: AttrSpec("Life-Type", LIFE_TYPES, key="life_type"),
    12: AttrSpec("Life-Duration", key="life_duration"),
    13: AttrSpec("PRF", key="prf"),
    14: AttrSpec("Key-Length", unit="bits", key="key_length"),
    15: AttrSpec("Field-Size", unit="bits", key="field_size"),
    16: AttrSpec("Group-Order", key="group_order"),
    17: AttrSpec("Block-Size", unit="bits", key="block_size"),
    20: AttrSpec("Asymmetric-Cryptographic-Algorithm-Type", {1: "RSA", 2: "SM2"},
                 key="asymmetric_algorithm"),
}

#: Short authentication-method words for one-line policy summaries (Cisco's
#: "authentication pre-share" and friends); the rest use the full name.
AUTH_METHOD_SHORT: dict[int, str] = {
    1: "PSK", 2: "DSS", 3: "RSA-SIG", 4: "RSA-ENC", 5: "RSA-REV-ENC",
    9: "ECDSA-256", 10: "ECDSA-384", 11: "ECDSA-521",
    64221: "Hybrid-RSA", 64222: "Hybrid-RSA", 64223: "Hybrid-DSS", 64224: "Hybrid-DSS",
    65001: "XAUTH-PSK", 65002: "XAUTH-PSK", 65003: "XAUTH-DSS", 65004: "XAUTH-DSS",
    65005: "XAUTH-RSA", 65006: "XAUTH-RSA",
}

#: IPsec DOI SA attributes, RFC 2407 §4.5 (+ RFC 3947 encapsulation modes,
#: RFC 3168, RFC 4304, RFC 4359, RFC 6407); attribute and value names as
#: Wireshark's.
IPSEC_ATTRIBUTES: dict[int, AttrSpec] = {
    1: AttrSpec("SA-Life-Type", LIFE_TYPES, key="life_type"),
    2: AttrSpec("SA-Life-Duration", key="life_duration"),
    3: AttrSpec("Group-Description", GROUPS, key="group"),
    4: AttrSpec("Encapsulation-Mode", {
        0: "RESERVED", 1: "Tunnel", 2: "Transport",
        3: "UDP-Encapsulated-Tunnel", 4: "UDP-Encapsulated-Transport",
        61440: "Check Point IPSec UDP Encapsulation",
        61443: "UDP-Encapsulated-Tunnel (draft)", 61444: "UDP-Encapsulated-Transport (draft)",
    }, key="encapsulation_mode"),
    5: AttrSpec("Authentication-Algorithm", {
        0: "RESERVED", 1: "HMAC-MD5", 2: "HMAC-SHA", 3: "DES-MAC", 4: "KPDK",
        5: "HMAC-SHA2-256", 6: "HMAC-SHA2-384", 7: "HMAC-SHA2-512", 8: "HMAC-RIPEMD",
        9: "AES-XCBC-MAC", 10: "SIG-RSA", 11: "AES-128-GMAC", 12: "AES-192-GMAC",
        13: "AES-256-GMAC",
    }, key="authentication_algorithm"),
    6: AttrSpec("Key-Length", unit="bits", key="key_length"),
    7: AttrSpec("Key-Rounds", key="key_rounds"),
    8: AttrSpec("Compress-Dictionary-Size", key="compress_dictionary_size"),
    9: AttrSpec("Compress-Private-Algorithm", key="compress_private_algorithm"),
    10: AttrSpec("ECN Tunnel", {0: "RESERVED", 1: "Allowed", 2: "Forbidden"}, key="ecn_tunnel"),
    11: AttrSpec("Extended (64-bit) Sequence Number", {0: "RESERVED", 1: "64-bit Sequence Number"},
                 key="esn"),
    12: AttrSpec("Authentication Key Length", unit="bits", key="authentication_key_length"),
    13: AttrSpec("Signature Encoding Algorithm", {0: "RESERVED", 1: "RSASSA-PKCS1-v1_5",
                                                  2: "RSASSA-PSS"},
                 key="signature_encoding"),
    14: AttrSpec("Address Preservation", {0: "Reserved", 1: "None", 2: "Source-Only",
                                          3: "Destination-Only", 4: "Source-and-Destination"},
                 key="address_preservation"),
    15: AttrSpec("SA Direction", {0: "Reserved", 1: "Sender-Only", 2: "Receiver-Only",
                                  3: "Symmetric"},
                 key="sa_direction"),
}



# --------------------------------------------------------------------------
# IKEv2 SA payload (RFC 7296 §3.3.2-3.3.5, IANA IKEv2 registry); Wireshark's
# names.  IKEv2 D-H transform IDs are GROUPS above.

TRANSFORM_TYPES_V2: dict[int, str] = {
    0: "RESERVED",
    1: "Encryption Algorithm (ENCR)",
    2: "Pseudo-random Function (PRF)",
    3: "Integrity Algorithm (INTEG)",
    4: "Diffie-Hellman Group (D-H)",
    5: "Extended Sequence Numbers (ESN)",
}

TRANSFORM_IDS_V2: dict[int, dict[int, str]] = {
    1: {  # ENCR
        0: "RESERVED", 1: "ENCR_DES_IV64", 2: "ENCR_DES", 3: "ENCR_3DES", 4: "ENCR_RC5",
        5: "ENCR_IDEA", 6: "ENCR_CAST", 7: "ENCR_BLOWFISH", 8: "ENCR_3IDEA",
        9: "ENCR_DES_IV32", 10: "RESERVED", 11: "ENCR_NULL", 12: "ENCR_AES_CBC",
        13: "ENCR_AES_CTR", 14: "ENCR_AES-CCM_8", 15: "ENCR-AES-CCM_12", 16: "ENCR-AES-CCM_16",
        17: "UNASSIGNED", 18: "AES-GCM with a 8 octet ICV", 19: "AES-GCM with a 12 octet ICV",
        20: "AES-GCM with a 16 octet ICV", 21: "ENCR_NULL_AUTH_AES_GMAC",
        22: "Reserved for IEEE P1619 XTS-AES", 23: "ENCR_CAMELLIA_CBC", 24: "ENCR_CAMELLIA_CTR",
        25: "ENCR_CAMELLIA_CCM with an 8-octet ICV", 26: "ENCR_CAMELLIA_CCM with a 12-octet ICV",
        27: "ENCR_CAMELLIA_CCM with a 16-octet ICV", 28: "ENCR_CHACHA20_POLY1305",
    },
    2: {  # PRF
        0: "RESERVED", 1: "PRF_HMAC_MD5", 2: "PRF_HMAC_SHA1", 3: "PRF_HMAC_TIGER",
        4: "PRF_AES128_CBC", 5: "PRF_HMAC_SHA2_256", 6: "PRF_HMAC_SHA2_384",
        7: "PRF_HMAC_SHA2_512", 8: "PRF_AES128_CMAC6",
    },
    3: {  # INTEG
        0: "NONE", 1: "AUTH_HMAC_MD5_96", 2: "AUTH_HMAC_SHA1_96", 3: "AUTH_DES_MAC",
        4: "AUTH_KPDK_MD5", 5: "AUTH_AES_XCBC_96", 6: "AUTH_HMAC_MD5_128",
        7: "AUTH_HMAC_SHA1_160", 8: "AUTH_AES_CMAC_96", 9: "AUTH_AES_128_GMAC",
        10: "AUTH_AES_192_GMAC", 11: "AUTH_AES_256_GMAC", 12: "AUTH_HMAC_SHA2_256_128",
        13: "AUTH_HMAC_SHA2_384_192", 14: "AUTH_HMAC_SHA2_512_256",
    },
    4: GROUPS,  # D-H
    5: {0: "No Extended Sequence Numbers", 1: "Extended Sequence Numbers"},  # ESN
}

#: IKEv2 transform attribute types (RFC 7296 §3.3.5)
IKEV2_ATTRIBUTES: dict[int, AttrSpec] = {
    14: AttrSpec("Key Length", unit="bits", key="key_length"),
}

#: IKEv2 AUTH methods (RFC 7296 §3.8, RFC 4754, RFC 6467, RFC 7619, RFC 7427)
AUTH_METHODS_V2: dict[int, str] = {
    1: "RSA Digital Signature",
    2: "Shared Key Message Integrity Code",
    3: "DSS Digital Signature",
    9: "ECDSA with SHA-256 on the P-256 curve",
    10: "ECDSA with SHA-384 on the P-384 curve",
    11: "ECDSA with SHA-512 on the P-521 curve",
    12: "Generic Secure Password Authentication Method",
    13: "NULL Authentication",
    14: "Digital Signature",
}

#: IKEv2 traffic selector types (RFC 7296 §3.13.1, RFC 4595)
TS_TYPES: dict[int, str] = {
    7: "TS_IPV4_ADDR_RANGE",
    8: "TS_IPV6_ADDR_RANGE",
    9: "TS_FC_ADDR_RANGE",
}

#: SIGNATURE_HASH_ALGORITHMS notify data (RFC 7427 §7, RFC 8420)
SIGNATURE_HASH_ALGORITHMS: dict[int, str] = {
    0: "Reserved", 1: "SHA1", 2: "SHA2-256", 3: "SHA2-384", 4: "SHA2-512", 5: "Identity",
}

#: REDIRECT / REDIRECTED_FROM gateway identity types (RFC 5685 §9)
REDIRECT_GW_ID_TYPES: dict[int, str] = {1: "IPv4 address", 2: "IPv6 address", 3: "FQDN"}


# --------------------------------------------------------------------------
# ID payload (RFC 2407 §4.6.2)

#: IKEv1 ID types; Wireshark's names (it calls 12 "KEY_LIST"; RFC 3554: ID_LIST)
ID_TYPES: dict[int, str] = {
    0: "RESERVED",
    1: "IPV4_ADDR",
    2: "FQDN",
    3: "USER_FQDN",
    4: "IPV4_ADDR_SUBNET",
    5: "IPV6_ADDR",
    6: "IPV6_ADDR_SUBNET",
    7: "IPV4_ADDR_RANGE",
    8: "IPV6_ADDR_RANGE",
    9: "DER_ASN1_DN",
    10: "DER_ASN1_GN",
    11: "KEY_ID",
    12: "KEY_LIST",
}

#: IKEv2 ID types (RFC 7296 §3.5); Wireshark's names.  Wireshark shows 12 as
#: "KEY_LIST" too (IANA: ID_FC_NAME, RFC 4595); 13 is ID_NULL (RFC 7619).
ID_TYPES_V2: dict[int, str] = {
    0: "RESERVED",
    1: "IPV4_ADDR", 2: "FQDN", 3: "ID_RFC822_ADDR", 5: "IPV6_ADDR",
    9: "DER_ASN1_DN", 10: "DER_ASN1_GN", 11: "KEY_ID", 12: "KEY_LIST",
    13: "ID_NULL",
}

#: IP protocol numbers in ID payloads; Wireshark's ipproto names.  Wireshark
#: prints protocol 0 in an ID payload as "Unused".
IP_PROTOCOLS: dict[int, str] = {
    0: "Unused", 1: "ICMP", 2: "IGMP", 4: "IPIP", 6: "TCP", 17: "UDP", 41: "IPv6",
    47: "Generic Routing Encapsulation", 50: "Encap Security Payload",
    51: "Authentication Header", 58: "ICMPv6", 89: "OSPF IGP", 103: "PIM", 112: "VRRP",
    115: "Layer 2 Tunneling", 132: "SCTP",
}


# --------------------------------------------------------------------------
# CERT / CR (RFC 2408 §3.9; IKEv2 RFC 7296 §3.6, RFC 4806, RFC 7670)

#: IKEv1 certificate encodings (Wireshark's names), plus the IKEv2-only
#: values 11-15 so that one table serves both versions.
CERT_ENCODINGS: dict[int, str] = {
    0: "NONE",
    1: "PKCS #7 wrapped X.509 certificate",
    2: "PGP Certificate",
    3: "DNS Signed Key",
    4: "X.509 Certificate - Signature",
    5: "X.509 Certificate - Key Exchange",
    6: "Kerberos Tokens",
    7: "Certificate Revocation List (CRL)",
    8: "Authority Revocation List (ARL)",
    9: "SPKI Certificate",
    10: "X.509 Certificate - Attribute",
    11: "Raw RSA Key",
    12: "Hash and URL of X.509 certificate",
    13: "Hash and URL of X.509 bundle",
    14: "OCSP Content",
    15: "Raw Public Key",
}

#: IKEv2 certificate encodings; Wireshark's names (15: RFC 7670).
CERT_ENCODINGS_V2: dict[int, str] = {
    0: "RESERVED",
    1: "PKCS #7 wrapped X.509 certificate",
    2: "PGP Certificate",
    3: "DNS Signed Key",
    4: "X.509 Certificate - Signature",
    5: "*undefined by any document*",
    6: "Kerberos Tokens",
    7: "Certificate Revocation List (CRL)",
    8: "Authority Revocation List (ARL)",
    9: "SPKI Certificate",
    10: "X.509 Certificate - Attribute",
    11: "Raw RSA Key",
    12: "Hash and URL of X.509 certificate",
    13: "Hash and URL of X.509 bundle",
    14: "OCSP Content",
    15: "Raw Public Key",
}


# --------------------------------------------------------------------------
# Notify (RFC 2408 §3.14.1, RFC 2407 §4.6.3, RFC 3706, vendor ranges)

NOTIFY_TYPES_V1: dict[int, str] = {
    1: "INVALID-PAYLOAD-TYPE",
    2: "DOI-NOT-SUPPORTED",
    3: "SITUATION-NOT-SUPPORTED",
    4: "INVALID-COOKIE",
    5: "INVALID-MAJOR-VERSION",
    6: "INVALID-MINOR-VERSION",
    7: "INVALID-EXCHANGE-TYPE",
    8: "INVALID-FLAGS",
    9: "INVALID-MESSAGE-ID",
    10: "INVALID-PROTOCOL-ID",
    11: "INVALID-SPI",
    12: "INVALID-TRANSFORM-ID",
    13: "ATTRIBUTES-NOT-SUPPORTED",
    14: "NO-PROPOSAL-CHOSEN",
    15: "BAD-PROPOSAL-SYNTAX",
    16: "PAYLOAD-MALFORMED",
    17: "INVALID-KEY-INFORMATION",
    18: "INVALID-ID-INFORMATION",
    19: "INVALID-CERT-ENCODING",
    20: "INVALID-CERTIFICATE",
    21: "CERT-TYPE-UNSUPPORTED",
    22: "INVALID-CERT-AUTHORITY",
    23: "INVALID-HASH-INFORMATION",
    24: "AUTHENTICATION-FAILED",
    25: "INVALID-SIGNATURE",
    26: "ADDRESS-NOTIFICATION",
    27: "NOTIFY-SA-LIFETIME",
    28: "CERTIFICATE-UNAVAILABLE",
    29: "UNSUPPORTED-EXCHANGE-TYPE",
    30: "UNEQUAL-PAYLOAD-LENGTHS",
    16384: "CONNECTED",
    # IPsec DOI status types (RFC 2407 §4.6.3)
    24576: "RESPONDER-LIFETIME",
    24577: "REPLAY-STATUS",
    24578: "INITIAL-CONTACT",
    # Private use.  Cisco chatter and IOS keepalives: libreswan constants.h
    # (ISAKMP_N_CISCO_HELLO .. ISAKMP_N_IOS_KEEP_ALIVE_ACK)
    30000: "CISCO-HELLO",
    30001: "CISCO-WWTEBR",
    30002: "CISCO-SHUT-UP",
    32768: "IOS-KEEP-ALIVE-REQ",
    32769: "IOS-KEEP-ALIVE-ACK",
    # RFC 3706 DPD (Wireshark's names)
    36136: "R-U-THERE",
    36137: "R-U-THERE-ACK",
    # Juniper/NetScreen next-hop tunnel binding (libreswan NETSCREEN_NHTB_INFORM)
    40001: "NETSCREEN-NHTB-INFORM",
    # Cisco Unity: 40500 from racoon/ipsec-tools isakmp_unity.h (sent during
    # XAUTH while the user types); 40501-40503 Wireshark's names (libreswan:
    # ISAKMP_N_CISCO_LOAD_BALANCE, _UNKNOWN_40502, _PRESHARED_KEY_HASH)
    40500: "UNITY-HEARTBEAT",
    40501: "UNITY-LOAD-BALANCE",
    40502: "UNITY-UNKNOWN",
    40503: "UNITY-GROUP-HASH",
}

NOTIFY_TYPES_V2: dict[int, str] = {
    1: "UNSUPPORTED_CRITICAL_PAYLOAD", 4: "INVALID_IKE_SPI", 5: "INVALID_MAJOR_VERSION",
    7: "INVALID_SYNTAX", 9: "INVALID_MESSAGE_ID", 11: "INVALID_SPI",
    14: "NO_PROPOSAL_CHOSEN", 17: "INVALID_KE_PAYLOAD", 24: "AUTHENTICATION_FAILED",
    34: "SINGLE_PAIR_REQUIRED", 35: "NO_ADDITIONAL_SAS", 36: "INTERNAL_ADDRESS_FAILURE",
    37: "FAILED_CP_REQUIRED", 38: "TS_UNACCEPTABLE", 39: "INVALID_SELECTORS",
    40: "UNACCEPTABLE_ADDRESSES", 41: "UNEXPECTED_NAT_DETECTED", 42: "USE_ASSIGNED_HoA",
    43: "TEMPORARY_FAILURE", 44: "CHILD_SA_NOT_FOUND", 45: "INVALID_GROUP_ID",
    46: "AUTHORIZATION_FAILED", 47: "STATE_NOT_FOUND", 48: "TS_MAX_QUEUE",
    16384: "INITIAL_CONTACT", 16385: "SET_WINDOW_SIZE", 16386: "ADDITIONAL_TS_POSSIBLE",
    16387: "IPCOMP_SUPPORTED", 16388: "NAT_DETECTION_SOURCE_IP",
    16389: "NAT_DETECTION_DESTINATION_IP", 16390: "COOKIE", 16391: "USE_TRANSPORT_MODE",
    16392: "HTTP_CERT_LOOKUP_SUPPORTED", 16393: "REKEY_SA", 16394: "ESP_TFC_PADDING_NOT_SUPPORTED",
    16395: "NON_FIRST_FRAGMENTS_ALSO", 16396: "MOBIKE_SUPPORTED", 16397: "ADDITIONAL_IP4_ADDRESS",
    16398: "ADDITIONAL_IP6_ADDRESS", 16399: "NO_ADDITIONAL_ADDRESSES", 16400: "UPDATE_SA_ADDRESSES",
    16401: "COOKIE2", 16402: "NO_NATS_ALLOWED", 16403: "AUTH_LIFETIME",
    16404: "MULTIPLE_AUTH_SUPPORTED", 16405: "ANOTHER_AUTH_FOLLOWS", 16406: "REDIRECT_SUPPORTED",
    16407: "REDIRECT", 16408: "REDIRECTED_FROM", 16409: "TICKET_LT_OPAQUE",
    16410: "TICKET_REQUEST", 16411: "TICKET_ACK", 16412: "TICKET_NACK", 16413: "TICKET_OPAQUE",
    16414: "LINK_ID", 16415: "USE_WESP_MODE", 16416: "ROHC_SUPPORTED", 16417: "EAP_ONLY_AUTHENTICATION",
    16418: "CHILDLESS_IKEV2_SUPPORTED", 16419: "QUICK_CRASH_DETECTION",
    16420: "IKEV2_MESSAGE_ID_SYNC_SUPPORTED", 16421: "IPSEC_REPLAY_COUNTER_SYNC_SUPPORTED",
    16422: "IKEV2_MESSAGE_ID_SYNC", 16423: "IPSEC_REPLAY_COUNTER_SYNC",
    16424: "SECURE_PASSWORD_METHODS", 16425: "PSK_PERSIST", 16426: "PSK_CONFIRM",
    16427: "ERX_SUPPORTED", 16428: "IFOM_CAPABILITY", 16429: "SENDER_REQUEST_ID",
    16430: "IKEV2_FRAGMENTATION_SUPPORTED", 16431: "SIGNATURE_HASH_ALGORITHMS",
    16432: "CLONE_IKE_SA_SUPPORTED", 16433: "CLONE_IKE_SA", 16434: "PUZZLE",
    16435: "USE_PPK", 16436: "PPK_IDENTITY", 16437: "NO_PPK_AUTH",
    16438: "INTERMEDIATE_EXCHANGE_SUPPORTED", 16439: "IP4_ALLOWED", 16440: "IP6_ALLOWED",
    16441: "ADDITIONAL_KEY_EXCHANGE", 16442: "USE_AGGFRAG",
    16443: "SUPPORTED_AUTH_METHODS", 16444: "SA_RESOURCE_INFO",
}

#: IKEv2 private-use notify types that Wireshark decodes as 3GPP
#: (TS 24.302, TS 24.502); Wireshark's names.
NOTIFY_TYPES_V2_3GPP: dict[int, str] = {
    8192: "PDN_CONNECTION_REJECTION",
    8193: "MAX_CONNECTION_REACHED",
    8241: "SEMANTIC_ERROR_IN_THE_TFT_OPERATION",
    8242: "SYNTACTICAL_ERROR_IN_THE_TFT_OPERATION",
    8244: "SEMANTIC_ERRORS_IN_PACKET_FILTERS",
    8245: "SYNTACTICAL_ERRORS_IN_PACKET_FILTERS",
    9000: "NON_3GPP_ACCESS_TO_EPC_NOT_ALLOWED",
    9001: "USER_UNKNOWN",
    9002: "NO_APN_SUBSCRIPTION",
    9003: "AUTHORIZATION_REJECTED",
    9006: "ILLEGAL_ME",
    10500: "NETWORK_FAILURE",
    11001: "RAT_TYPE_NOT_ALLOWED",
    11005: "IMEI_NOT_ACCEPTED",
    11011: "PLMN_NOT_ALLOWED",
    11055: "UNAUTHENTICATED_EMERGENCY_NOT_SUPPORTED",
    15500: "CONGESTION",
    40961: "REACTIVATION_REQUESTED_CAUSE",
    41041: "BACKOFF_TIMER",
    41050: "PDN_TYPE_IPv4_ONLY_ALLOWED",
    41051: "PDN_TYPE_IPv6_ONLY_ALLOWED",
    41101: "DEVICE_IDENTITY",
    41112: "EMERGENCY_SUPPORT",
    41134: "EMERGENCY_CALL_NUMBERS",
    41288: "NBIFOM_GENERIC_CONTAINER",
    41304: "P-CSCF_RESELECTION_SUPPORT",
    41501: "PTI",
    42011: "P-IKEV2_MULTIPLE_BEARER_PDN_CONNECTIVITY",
    42014: "P-EPS_QOS",
    42015: "P-EXTENDED_EPS_QOS",
    42017: "P-TFT",
    42020: "P-MODIFIED_BEARER",
    42094: "P-APN_AMBR",
    42095: "P-EXTENDED_APN_AMBR",
    51015: "P-N1_MODE_CAPABILITY",
    51115: "P-N1_MODE_INFORMATION",
    55501: "5G_QOS_INFO",
    55502: "NAS_IP4_ADDRESS",
    55503: "NAS_IP6_ADDRESS",
    55504: "UP_IP4_ADDRESS",
    55505: "UP_IP6_ADDRESS",
    55506: "NAS_TCP_PORT",
    55507: "N3GPP_BACKOFF_TIMER",
}


# --------------------------------------------------------------------------
# Attributes payload: mode-config and XAUTH (draft-dukes-ike-mode-cfg-02,
# draft-beaulieu-ike-xauth-02); Wireshark's names

CFG_TYPES: dict[int, str] = {0: "Reserved", 1: "ISAKMP_CFG_REQUEST", 2: "ISAKMP_CFG_REPLY",
                             3: "ISAKMP_CFG_SET", 4: "ISAKMP_CFG_ACK"}

#: IKEv2 CP payload types (RFC 7296 §3.15)
CFG_TYPES_V2: dict[int, str] = {0: "RESERVED", 1: "CFG_REQUEST", 2: "CFG_REPLY",
                                3: "CFG_SET", 4: "CFG_ACK"}

#: Mode-config / CP attribute types, shared by IKEv1 and IKEv2.  Wireshark's
#: names (it spells 16525 "XAUTH_CHALLANGE"; the draft's spelling is used).
CFG_ATTRIBUTES: dict[int, str] = {
    0: "RESERVED",
    1: "INTERNAL_IP4_ADDRESS",
    2: "INTERNAL_IP4_NETMASK",
    3: "INTERNAL_IP4_DNS",
    4: "INTERNAL_IP4_NBNS",
    5: "INTERNAL_ADDRESS_EXPIRY",
    6: "INTERNAL_IP4_DHCP",
    7: "APPLICATION_VERSION",
    8: "INTERNAL_IP6_ADDRESS",
    9: "INTERNAL_IP6_NETMASK",
    10: "INTERNAL_IP6_DNS",
    11: "INTERNAL_IP6_NBNS",
    12: "INTERNAL_IP6_DHCP",
    13: "INTERNAL_IP4_SUBNET",
    14: "SUPPORTED_ATTRIBUTES",
    15: "INTERNAL_IP6_SUBNET",
    # IKEv2 only (RFC 5026, RFC 5739, 3GPP TS 24.302, RFC 7651)
    16: "MIP6_HOME_PREFIX",
    17: "INTERNAL_IP6_LINK",
    18: "INTERNAL_IP6_PREFIX",
    19: "HOME_AGENT_ADDRESS",
    20: "P_CSCF_IP4_ADDRESS",
    21: "P_CSCF_IP6_ADDRESS",
    22: "FTT_KAT",
    # Check Point (private use)
    16387: "CHKPT_DEF_DOMAIN",
    16388: "CHKPT_MAC_ADDRESS",
    16389: "CHKPT_MARCIPAN_REASON_CODE",
    16400: "CHKPT_UNKNOWN1",
    16401: "CHKPT_UNKNOWN2",
    16402: "CHKPT_UNKNOWN3",
    # XAUTH (draft-beaulieu-ike-xauth-02 §6.3)
    16520: "XAUTH_TYPE",
    16521: "XAUTH_USER_NAME",
    16522: "XAUTH_USER_PASSWORD",
    16523: "XAUTH_PASSCODE",
    16524: "XAUTH_MESSAGE",
    16525: "XAUTH_CHALLENGE",
    16526: "XAUTH_DOMAIN",
    16527: "XAUTH_STATUS",
    16528: "XAUTH_NEXT_PIN",
    16529: "XAUTH_ANSWER",
    # Cisco Unity (private use); racoon calls 28675 UNITY_SPLITDNS_NAME and
    # 28678 UNITY_LOCAL_LAN
    28672: "UNITY_BANNER",
    28673: "UNITY_SAVE_PASSWD",
    28674: "UNITY_DEF_DOMAIN",
    28675: "UNITY_SPLIT_DOMAIN",
    28676: "UNITY_SPLIT_INCLUDE",
    28677: "UNITY_NATT_PORT",
    28678: "UNITY_SPLIT_EXCLUDE",
    28679: "UNITY_PFS",
    28680: "UNITY_FW_TYPE",
    28681: "UNITY_BACKUP_SERVERS",
    28682: "UNITY_DDNS_HOSTNAME",
    28683: "UNITY_SMARTCARD_REMOVAL_DISCONNECT",
}

#: Mode-config attribute values shown as text (rather than hex)
CFG_TEXT_ATTRIBUTES = frozenset({7, 16521, 16522, 16523, 16524, 16525, 16526, 16528, 16529,
                                 28672, 28674, 28675, 28681, 28682})
#: XAUTH values that are secrets (a user's password, one-time passcode, next PIN, challenge answer):
#: masked in output unless asked for (``--show-secrets``)
CFG_SECRET_ATTRIBUTES = frozenset({16522, 16523, 16528, 16529})
#: Mode-config attribute values shown as IPv4 addresses
CFG_IPV4_ATTRIBUTES = frozenset({1, 2, 3, 4, 6})

#: XAUTH-TYPE values (draft-beaulieu-ike-xauth-02 §6.2)
XAUTH_TYPES: dict[int, str] = {0: "Generic", 1: "RADIUS-CHAP", 2: "OTP", 3: "S/KEY"}

#: XAUTH-STATUS values
XAUTH_STATUS: dict[int, str] = {0: "Fail", 1: "Success"}

#: Mode-config attributes whose numeric value has names
CFG_VALUE_NAMES: dict[int, dict[int, str]] = {16520: XAUTH_TYPES, 16527: XAUTH_STATUS}


# --------------------------------------------------------------------------
# Vendor IDs: VendorId(hex bytes, name, prefix).  An entry matches a VID equal
# to its bytes, or (prefix=True) a VID that starts with them; the longest
# matching entry wins.
#
# Wireshark (packet-isakmp.c, vendor_id[]) looks every entry up by prefix
# (bytesprefix_to_str), so all entries taken from it are prefix=True: real
# VIDs often carry a version or flags after the known bytes (CISCO-UNITY
# major/minor, MS NT5 version, Netscreen and Check Point product data,
# Fortigate release/build, FRAGMENTATION flags).  Where Wireshark names a VID
# our name is its name, or its name plus a detail in parentheses for the more
# specific entries (Windows versions, Check Point products).
#
# Other sources: libreswan's vendor ID table (programs/pluto/vendor.c, later
# vendorid.c; vid_tab[]: VID_KEEP/VID_STRING/VID_MD5HASH exact, VID_SUBSTRING
# prefix), strongSwan's pluto vendor.c and src/libcharon/sa/ikev1/tasks/
# isakmp_vendor.c, ike-scan ike-vendor-ids ("^..." patterns, i.e. prefixes).
# MD5-based IDs were recomputed from the strings those sources give.

@dataclass(frozen=True)
class VendorId:
    """A known vendor ID: its bytes (or leading bytes) and display name.

    ``length``, when set, is the whole VID's length that a short prefix
    match also needs (a 2-byte prefix alone would name random VIDs).
    """
    hex: str
    name: str
    prefix: bool = False
    length: int = 0
    data: bytes = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "data", bytes.fromhex(self.hex))


#: Cisco IOS "speaking to another IOS box!" (logged by "debug crypto isakmp"
#: when an IOS peer's Main Mode message 3/4 carries it; the IOS debug order is
#: Unity, DPD, this VID, XAUTH).  It has no fixed bytes: it is 16 bytes whose
#: first 8 are the sender's own ISAKMP cookie (initiator or responder SPI)
#: XOR this mask, the last 8 varying per SA.  Found by comparing the cookies
#: and VIDs of IOS-to-IOS exchanges in shared/public-captures (tcpdump
#: ISAKMP_sa_setup.pcap, zeek-spicy-ipsec ipsec-ikev1-isakmp-{main,aggressive}
#: -mode.pcap, suricata-verify ikev1-isakmp-main-mode.pcap: six VIDs, all the
#: same mask).  libreswan's "Cisco IOS Device" prefix 3e984048, "from a Cisco
#: 1800 IOS device", is one such VID (so it is not listed below: it names one
#: router's cookie, not IOS).  Not matchable as a byte prefix,
#: so a decoder that wants the name tests vid[:8] XOR cookie == mask.
CISCO_IOS_PEER_VID_MASK: bytes = bytes.fromhex("f5c7a71d00010000")
CISCO_IOS_PEER_VID_NAME: str = "Cisco IOS (speaking to another IOS box)"

VENDOR_IDS: tuple[VendorId, ...] = (
    # ---- Wireshark packet-isakmp.c vendor_id[] (prefix match) ----
    # SSH Communications Security (MD5 of the name)
    VendorId("fbf47614984031fa8e3bb6198089b223", "Ssh Communications Security IPSEC Express version 1.1.0", prefix=True),
    VendorId("1952dc91ac20f646fb01cf42a33aee30", "Ssh Communications Security IPSEC Express version 1.1.1", prefix=True),
    VendorId("e8bffa643e5c8f2cd10fda7370b6ebe5", "Ssh Communications Security IPSEC Express version 1.1.2", prefix=True),
    VendorId("c1111b2dee8cbc3d620573ec57aab9cb", "Ssh Communications Security IPSEC Express version 1.2.1", prefix=True),
    VendorId("09ec27bfbc09c75823cfecbffe565a2e", "Ssh Communications Security IPSEC Express version 1.2.2", prefix=True),
    VendorId("7f21a596e4e318f0b2f4944c2384cb84", "SSH Communications Security IPSEC Express version 2.0.0", prefix=True),
    VendorId("2836d1fd2807bc9e5ae30786320451ec", "SSH Communications Security IPSEC Express version 2.1.0", prefix=True),
    VendorId("a68de756a9c5229bae66498040951ad5", "SSH Communications Security IPSEC Express version 2.1.1", prefix=True),
    VendorId("3f2372867e237c1cd8250a75559cae20", "SSH Communications Security IPSEC Express version 2.1.2", prefix=True),
    VendorId("0e58d5774df602007d0b02443660f7eb", "SSH Communications Security IPSEC Express version 3.0.0", prefix=True),
    VendorId("f5ce31ebc210f44350cf71265b57380f", "SSH Communications Security IPSEC Express version 3.0.1", prefix=True),
    VendorId("f64260af2e2742daddd56987068a99a0", "SSH Communications Security IPSEC Express version 4.0.0", prefix=True),
    VendorId("7a54d3bdb3b1e6d923892064be2d981c", "SSH Communications Security IPSEC Express version 4.0.1", prefix=True),
    VendorId("9aa1f3b43472a45d5f506aeb260cf214", "SSH Communications Security IPSEC Express version 4.1.0", prefix=True),
    VendorId("89f7b760d86b012acf263382394d962f", "SSH Communications Security IPSEC Express version 4.1.1", prefix=True),
    VendorId("6880c7d026099114e486c55430e7abee", "SSH Communications Security IPSEC Express version 4.2.0", prefix=True),
    VendorId("b037a21aceccb5570f602546f97bde8c", "SSH Communications Security IPSEC Express version 5.0", prefix=True),
    VendorId("2b2dad97c4d140930053287f996850b0", "SSH Communications Security IPSEC Express version 5.0.0", prefix=True),
    VendorId("45e17f3abe93944cb202910c59ef806b", "SSH Communications Security IPSEC Express version 5.1.0", prefix=True),
    VendorId("5925859f7377ed7816d2fb81c01fa551", "SSH Communications Security IPSEC Express version 5.1.1", prefix=True),
    VendorId("054182a07c7ae206f9d2cf9d2432c482", "SSH Sentinel", prefix=True),
    VendorId("b91623e693ca18a54c6a2778552305e8", "SSH Sentinel 1.1", prefix=True),
    VendorId("5430888de01a31a6fa8f60224e449958", "SSH Sentinel 1.2", prefix=True),
    VendorId("7ee5cb85f71ce259c94a5c731ee4e752", "SSH Sentinel 1.3", prefix=True),
    VendorId("63d9a1a7009491b5a0a6fdeb2a8284f0", "SSH Sentinel 1.4", prefix=True),
    VendorId("eb4b0d96276b4e220ad16221a7b2a5e6", "SSH Sentinel 1.4.1", prefix=True),
    VendorId("37eba0c4136184e7daf8562a77060b4a", "SSH Communications Security QuickSec 0.9.0", prefix=True),
    VendorId("5d72925e55948a9661a7fc48fdec7ff9", "SSH Communications Security QuickSec 1.1.0", prefix=True),
    VendorId("777fbf4c5af6d1cdd4b895a05bf82594", "SSH Communications Security QuickSec 1.1.1", prefix=True),
    VendorId("2cdf08e712ede8a5978761267cd19b91", "SSH Communications Security QuickSec 1.1.2", prefix=True),
    VendorId("59e454a8c2cf02a34959121f1890bc87", "SSH Communications Security QuickSec 1.1.3", prefix=True),
    # NAT traversal drafts and RFC 3947 (MD5 of the draft name / "RFC 3947")
    VendorId("6a7434c19d7e36348090a02334c9c805", "draft-huttunen-ipsec-esp-in-udp-00.txt", prefix=True),
    VendorId("50760f624c63e5c53eea386c685ca083", "draft-huttunen-ipsec-esp-in-udp-01.txt (ESPThruNAT)", prefix=True),
    VendorId("27bab5dc01ea0760ea4e3190ac27c0d0", "draft-stenberg-ipsec-nat-traversal-01", prefix=True),
    VendorId("6105c422e76847e43f9684801292aecd", "draft-stenberg-ipsec-nat-traversal-02", prefix=True),
    VendorId("4df37928e9fc4fd1b3262170d515c662", "draft-ietf-ipsec-nat-t-ike", prefix=True),
    VendorId("4485152d18b6bbcd0be8a8469579ddcc", "draft-ietf-ipsec-nat-t-ike-00", prefix=True),
    VendorId("16f6ca16e4a4066d83821a0f0aeaa862", "draft-ietf-ipsec-nat-t-ike-01", prefix=True),
    VendorId("cd60464335df21f87cfdb2fc68b6a448", "draft-ietf-ipsec-nat-t-ike-02", prefix=True),
    VendorId("90cb80913ebb696e086381b5ec427b1f", "draft-ietf-ipsec-nat-t-ike-02\\n", prefix=True),
    VendorId("7d9419a65310ca6f2c179d9215529d56", "draft-ietf-ipsec-nat-t-ike-03", prefix=True),
    VendorId("9909b64eed937c6573de52ace952fa6b", "draft-ietf-ipsec-nat-t-ike-04", prefix=True),
    VendorId("80d0bb3def54565ee84645d4c85ce3ee", "draft-ietf-ipsec-nat-t-ike-05", prefix=True),
    VendorId("4d1e0e136deafa34c4f3ea9f02ec7285", "draft-ietf-ipsec-nat-t-ike-06", prefix=True),
    VendorId("439b59f8ba676c4c7737ae22eab8f582", "draft-ietf-ipsec-nat-t-ike-07", prefix=True),
    VendorId("8f8d83826d246b6fc7a8a6a428c11de8", "draft-ietf-ipsec-nat-t-ike-08", prefix=True),
    VendorId("42ea5b6f898d9773a575df26e7dd19e1", "draft-ietf-ipsec-nat-t-ike-09", prefix=True),
    VendorId("c40fee00d5d39ddb1fc762e09b7cfea7", "Testing NAT-T RFC", prefix=True),
    VendorId("4a131c81070358455c5728f20e95452f", "RFC 3947 Negotiation of NAT-Traversal in the IKE", prefix=True),
    # XAUTH (truncated MD5 of "draft-ietf-ipsra-isakmp-xauth-06.txt"), DPD, misc drafts
    VendorId("09002689dfd6b71280a224dec33b81e5", "draft-beaulieu-ike-xauth-02.txt", prefix=True),
    VendorId("09002689dfd6b712", "XAUTH", prefix=True),
    VendorId("afcad71368a1f1c96b8696fc77570100", "RFC 3706 DPD (Dead Peer Detection)", prefix=True),
    VendorId("325df29a2319f2dd", "draft-ietf-ipsec-antireplay-00.txt", prefix=True),
    VendorId("8db7a41811221660", "draft-ietf-ipsec-heartbeats-00.txt", prefix=True),
    VendorId("ba290499c24e84e53a1d83a05e5f00c9", "IKE Challenge/Response for Authenticated Cryptographic Keys", prefix=True),
    VendorId("0d33611a5d521b5e3c9c03d2fc107e12", "IKE Challenge/Response for Authenticated Cryptographic Keys", prefix=True),
    VendorId("ad3251042cdc4652c9e0734ce5de4c7d", "IKE Challenge/Response for Authenticated Cryptographic Keys (Revised)", prefix=True),
    # Wireshark's bytes for the "(Revised)" + newline hash are shifted by one
    # nibble; the true MD5 (as in ike-scan) follows it.
    VendorId("013f11823f966fa91900f024ba66a86b", "IKE Challenge/Response for Authenticated Cryptographic Keys (Revised)", prefix=True),
    VendorId("13f11823f966fa91900f024ba66a86ba", "IKE Challenge/Response for Authenticated Cryptographic Keys (Revised)", prefix=True),
    # Cisco
    VendorId("4048b7d56ebce88525e7de7f00d6c2d3", "Cisco Fragmentation", prefix=True),  # MD5("FRAGMENTATION")
    VendorId("4048b7d56ebce88525e7de7f00d6c2d380000000", "Cisco Fragmentation", prefix=True),
    VendorId("464c455856504e2d535550504f52544544", "Cisco FlexVPN Supported", prefix=True),  # "FLEXVPN-SUPPORTED"
    VendorId("434953434f2d44454c4554452d524541534f4e", "Cisco Delete Reason Supported", prefix=True),  # "CISCO-DELETE-REASON"
    VendorId("434953434f2d44594e414d49432d524f555445", "Cisco Dynamic Route Supported", prefix=True),  # "CISCO-DYNAMIC-ROUTE"
    VendorId("434953434f56504e2d5245562d3032", "Cisco VPN Revision 2", prefix=True),  # "CISCOVPN-REV-02"
    VendorId("434953434f28434f505952494748542926436f7079726967687420286329203230303920436973636f2053797374656d732c20496e632e",
             "Cisco Copyright", prefix=True),  # "CISCO(COPYRIGHT)&Copyright (c) 2009 Cisco Systems, Inc."
    VendorId("434953434f2d4752452d4d4f4445", "Cisco GRE Mode Supported", prefix=True),  # "CISCO-GRE-MODE"
    VendorId("12f5f28c457168a9702d9fe274cc", "CISCO-UNITY", prefix=True),  # MD5("CISCO-UNITY")[:14] + major, minor
    VendorId("1f07f70eaa6514d3b0fa96542a500100", "CISCO-CONCENTRATOR", prefix=True),
    # Microsoft
    VendorId("26244d38eddb61b3172a36e3d0cfb819", "Microsoft Vid-Initial-Contact", prefix=True),
    VendorId("b46d8914f3aaa3f2fedeb7c7db2943ca", "A GSS-API Authentication Method for IKE", prefix=True),
    VendorId("ad2c0dd0b9c32083ccba25b8861ec455", "A GSS-API Authentication Method for IKE", prefix=True),
    VendorId("621b04bb09882ac1e15935fefa24aeee", "GSSAPI", prefix=True),
    VendorId("1e2b516905991c7d7c96fcbfb587e461", "MS NT5 ISAKMPOAKLEY", prefix=True),  # + 4-byte version
    VendorId("e3a5966a76379fe707228231e5ce8652", "IKE CGA Version 1", prefix=True),
    VendorId("fb1de3cdf341b7ea16b7e5be0855f120", "MS-Negotiation Discovery Capable", prefix=True),
    # Check Point / CryptoPro
    VendorId("f4ed19e0c114eb516faaac0ee37daf2807b4381f", "CryptoPro/GOST 0.1 / Check Point R65", prefix=True),
    VendorId("031017e07f7a82e3aa6950c999990100", "CryptoPro/GOST 1.0 / Check Point R71", prefix=True),
    VendorId("031017e07f7a82e3aa6950c999990101", "CryptoPro/GOST 1.1", prefix=True),
    # Others
    VendorId("9aa1f3b43472a45d5f506aeb26c0f214", "CyberGuard", prefix=True),
    VendorId("f14b94b7bff1fef02773b8c49feded26", "Shrew Soft", prefix=True),
    VendorId("882fe56d6fd20dbc2251613b2ebe5beb", "strongSwan", prefix=True),  # MD5("strongSwan")
    VendorId("7003cbc1097dbe9c2600ba6983bc8b35", "KAME/racoon", prefix=True),
    VendorId("20a3622c1cea7ce37bee3ca484425276", "IPSec-Tools", prefix=True),
    # Juniper NetScreen (20 bytes, usually followed by 8 bytes of model data)
    VendorId("299ee8289f40a8973bc78687e2e7226b532c3b76", "Netscreen-1", prefix=True),
    VendorId("3a15e1f3cf2a63582e3ac82d1c64cbe3b6d779e7", "Netscreen-2", prefix=True),
    VendorId("47d2b126bfcd83489760e2cf8c5d4d5a03497c15", "Netscreen-3", prefix=True),
    VendorId("4a4340b543e02b84c88a8b96a8af9ebe77d9accc", "Netscreen-4", prefix=True),
    VendorId("64405f46f03b7660a23be116a1975058e69e8387", "Netscreen-5", prefix=True),
    VendorId("699369228741c6d4ca094c93e242c9de19e7b7c6", "Netscreen-6", prefix=True),
    VendorId("8c0dc6cf62a0ef1b5c6eabd1b67ba69866adf16a", "Netscreen-7", prefix=True),
    VendorId("92d27a9ecb31d99246986d3453d0c3d57a222a61", "Netscreen-8", prefix=True),
    VendorId("9b096d9ac3275a7d6fe8b91c583111b09efed1a0", "Netscreen-9", prefix=True),
    VendorId("bf03746108d746c904f1f3547de24f78479fed12", "Netscreen-10", prefix=True),
    VendorId("c2e80500f4cc5fbf5daaeed3bb59abaeee56c652", "Netscreen-11", prefix=True),
    VendorId("c8660a62b03b1b6130bf781608d32a6a8d0fb89f", "Netscreen-12", prefix=True),
    VendorId("f885da40b1e7a9abd17655ec5bbec0f21f0ed52e", "Netscreen-13", prefix=True),
    VendorId("2a2bcac19b8e91b426107807e02e7249569d6fd3", "Netscreen-14", prefix=True),
    VendorId("166f932d55eb64d8e4df4fd37e2313f0d0fd8451", "Netscreen-15", prefix=True),
    VendorId("a35bfd05ca1ac0b3d2f24e9e82bfcbff9c9e52b5", "Netscreen-16", prefix=True),
    VendorId("625027749d5ab97f5616c1602765cf480a3b7d0b", "ZYWALL", prefix=True),
    VendorId("8404adf9cda05760b2ca292e4bff537b", "SIDEWINDER", prefix=True),
    VendorId("404bf439522ca3f6", "SonicWALL", prefix=True),
    VendorId("4865617274426561745f4e6f74696679", "Heartbeat Notify", prefix=True),  # "HeartBeat_Notify"
    VendorId("2d7922c6b301d9b0e1342739e9cfbbd5", "DWR: Delete with reason", prefix=True),
    # Aruba Networks
    VendorId("ca3e2b854ba8030017dc1023a4fde2041f9f7463", "Remote AP (Aruba Networks)", prefix=True),
    VendorId("3c8e70bdf9c7d74add53e4100915dc2e4bb51274", "Controller (Aruba Networks)", prefix=True),
    VendorId("88f0e3149b3fa48b05aa7f685f0b766be186ccb8", "VIA Client (Aruba Networks)", prefix=True),
    VendorId("56494120417574682050726f66696c65203a20", "VIA Auth Profile (Aruba Networks)", prefix=True),  # "VIA Auth Profile : " + name
    # Fortinet
    VendorId("8299031757a36082c6a621de", "Fortigate (Fortinet)", prefix=True),  # + release, build (ASCII)
    VendorId("4c53427b6d465d1b337bb755a37a7fef", "Forticlient connect license (Fortinet)", prefix=True),
    VendorId("b4f01ca951e9da8d0bafbbd34ad3044e", "Endpoint Control (Fortinet)", prefix=True),

    # ---- More specific forms of Wireshark's entries ----
    # Cisco Unity 1.0 (MD5("CISCO-UNITY") with the last two bytes replaced by 01 00)
    VendorId("12f5f28c457168a9702d9fe274cc0100", "CISCO-UNITY 1.0"),
    # FRAGMENTATION flags (strongSwan isakmp_vendor.c, after racoon): 0x80000000
    # fragmentation of Main/Aggressive Mode, 0x40000000 of base ISAKMP messages;
    # Cisco sends c0000000 (libreswan: "Cisco IKE Fragmentation")
    VendorId("4048b7d56ebce88525e7de7f00d6c2d3c0000000", "Cisco Fragmentation (Cisco IKE Fragmentation)", prefix=True),
    # MS NT5 ISAKMPOAKLEY + version (Wireshark ms_nt5_isakmpoakley_type;
    # 6-9 libreswan vendorid.c from MS-IKEE)
    VendorId("1e2b516905991c7d7c96fcbfb587e46100000002", "MS NT5 ISAKMPOAKLEY (Windows 2000)", prefix=True),
    VendorId("1e2b516905991c7d7c96fcbfb587e46100000003", "MS NT5 ISAKMPOAKLEY (Windows XP SP1)", prefix=True),
    VendorId("1e2b516905991c7d7c96fcbfb587e46100000004", "MS NT5 ISAKMPOAKLEY (Windows 2003 and Windows XP SP2)", prefix=True),
    VendorId("1e2b516905991c7d7c96fcbfb587e46100000005", "MS NT5 ISAKMPOAKLEY (Windows Vista)", prefix=True),
    VendorId("1e2b516905991c7d7c96fcbfb587e46100000006", "MS NT5 ISAKMPOAKLEY (Windows Server 2008)", prefix=True),
    VendorId("1e2b516905991c7d7c96fcbfb587e46100000007", "MS NT5 ISAKMPOAKLEY (Windows 7)", prefix=True),
    VendorId("1e2b516905991c7d7c96fcbfb587e46100000008", "MS NT5 ISAKMPOAKLEY (Windows Server 2008 R2)", prefix=True),
    VendorId("1e2b516905991c7d7c96fcbfb587e46100000009",
             "MS NT5 ISAKMPOAKLEY (Windows 8, 8.1, 10, Server 2012 R2, Server 2016)", prefix=True),
    # Check Point: 20-byte hash + product (4 bytes) + version (4 bytes) + timestamp,
    # reserved, features (Wireshark cp_product/cp_version; ike-scan)
    VendorId("f4ed19e0c114eb516faaac0ee37daf2807b4381f0000000100000002", "CryptoPro/GOST 0.1 / Check Point R65 (Firewall-1 4.1)", prefix=True),
    VendorId("f4ed19e0c114eb516faaac0ee37daf2807b4381f0000000100000003", "CryptoPro/GOST 0.1 / Check Point R65 (Firewall-1 4.1 SP-1)", prefix=True),
    VendorId("f4ed19e0c114eb516faaac0ee37daf2807b4381f0000000100000fa2", "CryptoPro/GOST 0.1 / Check Point R65 (Firewall-1 4.1 (SP-2 or above))", prefix=True),
    VendorId("f4ed19e0c114eb516faaac0ee37daf2807b4381f0000000100001388", "CryptoPro/GOST 0.1 / Check Point R65 (Firewall-1 NG)", prefix=True),
    VendorId("f4ed19e0c114eb516faaac0ee37daf2807b4381f0000000100001389", "CryptoPro/GOST 0.1 / Check Point R65 (Firewall-1 NG Feature Pack 1)", prefix=True),
    VendorId("f4ed19e0c114eb516faaac0ee37daf2807b4381f000000010000138a", "CryptoPro/GOST 0.1 / Check Point R65 (Firewall-1 NG Feature Pack 2)", prefix=True),
    VendorId("f4ed19e0c114eb516faaac0ee37daf2807b4381f000000010000138b", "CryptoPro/GOST 0.1 / Check Point R65 (Firewall-1 NG Feature Pack 3)", prefix=True),
    VendorId("f4ed19e0c114eb516faaac0ee37daf2807b4381f000000010000138c", "CryptoPro/GOST 0.1 / Check Point R65 (Firewall-1 NG with Application Intelligence)", prefix=True),
    VendorId("f4ed19e0c114eb516faaac0ee37daf2807b4381f000000010000138d", "CryptoPro/GOST 0.1 / Check Point R65 (Firewall-1 NG with Application Intelligence R55)", prefix=True),
    VendorId("f4ed19e0c114eb516faaac0ee37daf2807b4381f000000010000138e", "CryptoPro/GOST 0.1 / Check Point R65 (Firewall-1 NG with Application Intelligence R56)", prefix=True),
    VendorId("f4ed19e0c114eb516faaac0ee37daf2807b4381f0000000200000002", "CryptoPro/GOST 0.1 / Check Point R65 (SecuRemote/SecureClient 4.1)", prefix=True),
    VendorId("f4ed19e0c114eb516faaac0ee37daf2807b4381f0000000200000003", "CryptoPro/GOST 0.1 / Check Point R65 (SecuRemote/SecureClient 4.1 SP-1)", prefix=True),
    VendorId("f4ed19e0c114eb516faaac0ee37daf2807b4381f0000000200000fa2", "CryptoPro/GOST 0.1 / Check Point R65 (SecuRemote/SecureClient 4.1 (SP-2 or above))", prefix=True),
    VendorId("f4ed19e0c114eb516faaac0ee37daf2807b4381f0000000200001388", "CryptoPro/GOST 0.1 / Check Point R65 (SecuRemote/SecureClient NG)", prefix=True),
    VendorId("f4ed19e0c114eb516faaac0ee37daf2807b4381f0000000200001389", "CryptoPro/GOST 0.1 / Check Point R65 (SecuRemote/SecureClient NG Feature Pack 1)", prefix=True),
    VendorId("f4ed19e0c114eb516faaac0ee37daf2807b4381f000000020000138a", "CryptoPro/GOST 0.1 / Check Point R65 (SecuRemote/SecureClient NG Feature Pack 2)", prefix=True),
    VendorId("f4ed19e0c114eb516faaac0ee37daf2807b4381f000000020000138b", "CryptoPro/GOST 0.1 / Check Point R65 (SecuRemote/SecureClient NG Feature Pack 3)", prefix=True),
    VendorId("f4ed19e0c114eb516faaac0ee37daf2807b4381f000000020000138c", "CryptoPro/GOST 0.1 / Check Point R65 (SecuRemote/SecureClient NG with Application Intelligence)", prefix=True),
    VendorId("f4ed19e0c114eb516faaac0ee37daf2807b4381f000000020000138d", "CryptoPro/GOST 0.1 / Check Point R65 (SecuRemote/SecureClient NG with Application Intelligence R55)", prefix=True),
    VendorId("f4ed19e0c114eb516faaac0ee37daf2807b4381f000000020000138e", "CryptoPro/GOST 0.1 / Check Point R65 (SecuRemote/SecureClient NG with Application Intelligence R56)", prefix=True),

    # ---- libreswan vendor.c / vendorid.c ----
    # Cisco
    VendorId("1f07f70eaa6514d3b0fa96542a50", "Cisco VPN 3000 Series", prefix=True),  # MD5("ALTIGA GATEWAY")[:14] + version
    VendorId("800100018002000180030002", "Cisco-Unity FW type"),
    # Microsoft (MS-IKEE)
    VendorId("01528bbbc00696121849ab9a1c5b2a5100000000", "Windows KEY_MODS (IKE)"),
    VendorId("01528bbbc00696121849ab9a1c5b2a5100000001", "Windows KEY_MODS (AUTHIP)"),
    VendorId("01528bbbc00696121849ab9a1c5b2a5100000002", "Windows KEY_MODS (IKEv2)"),
    VendorId("7bb93867d76c8d80df0f40fae8fc3b1900000000", "AUTHIP INIT KE DH NONE"),
    VendorId("7bb93867d76c8d80df0f40fae8fc3b1900000001", "AUTHIP INIT KE DH1"),
    VendorId("7bb93867d76c8d80df0f40fae8fc3b1900000002", "AUTHIP INIT KE DH2"),
    VendorId("7bb93867d76c8d80df0f40fae8fc3b1900000003", "AUTHIP INIT KE DH14"),
    VendorId("7bb93867d76c8d80df0f40fae8fc3b1900000004", "AUTHIP INIT KE DH19(ECP 256)"),
    VendorId("7bb93867d76c8d80df0f40fae8fc3b1900000005", "AUTHIP INIT KE DH20(ECP 384)"),
    VendorId("7bb93867d76c8d80df0f40fae8fc3b1900000006", "AUTHIP INIT KE DH21(ECP 521)"),
    VendorId("7bb93867d76c8d80df0f40fae8fc3b1900000007", "AUTHIP INIT KE DH MAX"),
    VendorId("72872b95fcda2eb708efe322119b4971", "NLB/MSCS fast failover supported"),
    VendorId("214ca4faffa7f32d6748e5303395ae83", "AuthIP supported (MS-MamieExists)"),  # MD5("MS-MamieExists")
    VendorId("8aa394cf8a5577dc3110c113b027a4f2", "Microsoft Xbox One 2013"),
    VendorId("660822b3a73a244149578d62e0eb46a0", "Xbox IKEv2 Negotiation"),
    VendorId("686a8cbdfe634b405146fb2baf33e9e8", "MSFT IPsec Security Realm Id"),
    # FreeS/WAN, Openswan, libreswan.  The FreeS/WAN hash is "OE" + the first 10
    # bytes of MD5(name), each with bit 7 cleared and bit 6 set.
    VendorId("4f4544765b576b4045417447", "FreeS/WAN 2.00"),  # "Linux FreeS/WAN 2.00 PLUTO_SENDS_VENDORID"
    VendorId("4f45774e4a4352716e45486f", "FreeS/WAN 2.00 (X.509-1.3.1)"),
    VendorId("4f45575d6a5343424674796e", "FreeS/WAN 2.00 (X.509-1.3.1 + LDAP)"),
    VendorId("4f4548724b6e5e68557c604f", "Openswan 2.2.0"),
    VendorId("4f452d4c696272657377616e2d", "Libreswan (3.6+)", prefix=True),  # "OE-Libreswan-" + version
    VendorId("4f454e", "Libreswan 3.0 - 3.5", prefix=True),  # "OEN"
    VendorId("4f5357", "Openswan(xeleranized)", prefix=True),  # "OSW"
    VendorId("4f45", "Openswan(project)", prefix=True, length=12),  # "OE" + 10 hash characters
    VendorId("4f70706f7274756e6973746963204950736563", "Opportunistic IPsec"),
    VendorId("494b457632", "CAN-IKEv2(obsolete)"),  # "IKEv2"
    VendorId("4f70656e5047503130313731", "OpenPGP"),  # "OpenPGP10171"
    VendorId("4f70656e494b4544", "OpenIKED", prefix=True),  # "OpenIKED" + "-" version
    # Others
    VendorId("54494d4553544550", "TIMESTEP", prefix=True),  # "TIMESTEP" + model/version text
    VendorId("101fb0b35c5a4f4c08b919f1cb9777b0", "NCP client"),
    # libreswan: "also seen from ncp client" (meaning unknown)
    VendorId("c61baca1f1a60cc10800000000000000", "NCP client (unidentified)"),
    VendorId("cbe79444a0870de4224a2c151fbfe099", "NCP client (unidentified)"),
    VendorId("3b9031dce4fcf88b489a923963dd0c49", "DPDv1_NG"),  # from Shrew Soft
    VendorId("da8e937880010000", "Watchguard FireBox"),  # libreswan also: "Sonicwall 2 (3.1.0.12-86s?)"
    VendorId("4c5647392e322e3234353a425249434b3a392e322e323435", "Lucent VPN Gateway 9 (LVG9.1.255:BRICK:9.1.255)"),
    VendorId("4c5643372e312e323a5850", "Lucent VPN Client 7 (LVC7.1.2:XP)"),
    VendorId("08db45e6cb01f80bb576e9a78c0f54e1300b8881", "ELVIS-PLUS Zastava", prefix=True),  # + version, 00
    VendorId("810fa565f8ab14369105d706fbd57279", "RFC XXXX (Solaris 10)"),  # MD5("RFC XXXX")

    # ---- strongSwan pluto vendor.c ----
    # NCP: first 12 bytes of MD5("NCP Secure Server") / MD5("NCP Secure Client"),
    # then 4 bytes of version
    VendorId("c6f57ac398f493208145b758", "NCP Server", prefix=True),
    VendorId("eb4c1b788afd4a9cb7730a68", "NCP Client", prefix=True),
    # strongSwan x.y.z: MD5("strongSwan x.y.z") (libreswan and strongSwan pluto)
    VendorId("85b6cbec480d5c8cd9882c825ac2c244", "strongSwan 2.2.0"),
    VendorId("d9118b1e9de5efced9cc9d883f2168ff", "strongSwan 2.2.1"),
    VendorId("99dc7cc823376b3b33d04357896ae07b", "strongSwan 2.2.2"),
    VendorId("b8f92b2fa2d3fe5fe158344bda1cc6ae", "strongSwan 2.3.0"),
    VendorId("f697c1afcc2ec8ddcdf99dc7af03a67f", "strongSwan 2.3.1"),
    VendorId("42a4834c92ab9a7777063afa254bcb69", "strongSwan 2.3.2"),
    VendorId("e829c88149bab3c0cee85da60e18ae9b", "strongSwan 2.4.0"),
    VendorId("75b0653cb281eb26d31ede38c8e1e228", "strongSwan 2.4.1"),
    VendorId("e7a3fd0c6d771a8f1b8a86a4169c9ea4", "strongSwan 2.4.2"),
    VendorId("982b7a063a33c143a8eadc88249f6bcc", "strongSwan 2.4.3"),
    VendorId("485a70361b4433b31dea1c6be0df243e", "strongSwan 2.4.4"),
    VendorId("9eb3d907ed7ada4e3cbcacb917abc8e4", "strongSwan 2.5.0"),
    VendorId("9a4a4648f60f8eda7cfcbfe271ee5b7d", "strongSwan 2.5.1"),
    VendorId("861ce5eb72164b190e9e629a31cf4901", "strongSwan 2.5.2"),
    VendorId("df5b1f0f1d5679d9f8512b16c55a6065", "strongSwan 2.5.3"),
    VendorId("7a6bf5b7df89642a75a78ef7d657c1c0", "strongSwan 2.5.4"),
    VendorId("3f267ed621ada7ee6c7d8893ccb0b14b", "strongSwan 2.5.5"),
    VendorId("3c5eba3d8564928e32ae43c3d9924dee", "strongSwan 2.5.6"),
    VendorId("1f4442296b83d7e33a8b45209ba0e590", "strongSwan 2.5.7"),
    VendorId("3f3266499ffdbd85950e702298062844", "strongSwan 2.6.0"),
    VendorId("66afbc12bbfe6ce108b1f69f4bc917b7", "strongSwan 2.6.1"),
    VendorId("5b1cd6fe7d050eda6c93871c107db3d2", "strongSwan 2.6.2"),
    VendorId("b2860e7837f711bef3d0eeb106872ded", "strongSwan 2.6.3"),
    VendorId("b927f95219a0fe3600dba3c1182ae55f", "strongSwan 2.6.4"),
    VendorId("07fa128e4754f9447b1dd46374eef360", "strongSwan 2.7.0"),
    VendorId("8134878582121785ba65ea345d6ba724", "strongSwan 2.7.1"),
    VendorId("a194e2aaddd0bafb95253dd96dc733eb", "strongSwan 2.7.2"),
    VendorId("7f50cc4ebf04c2d9da73abfd69b77aa2", "strongSwan 2.7.3"),  # libreswan lists it as "Astaro ?"
    VendorId("32f0e9b9c06dfe8c9ad5599a636971a1", "strongSwan 2.8.0"),
    VendorId("e37f2d5ba89a62cd202ee27dac06c8a8", "strongSwan 2.8.1"),
    VendorId("299932277b7dfe382ce23465333a7d23", "strongSwan 2.8.2"),
    VendorId("fb4641ad0eeb2a34491d15f4eff51063", "strongSwan 2.8.3"),
    VendorId("76c72bfd398424dd001b86d0012fe061", "strongSwan 2.8.4"),
    VendorId("4c7efa31b39e510432a317570d97bbb9", "strongSwan 2.8.5"),
    VendorId("fe3f49706e26a9fb36a87bfce9ea36ce", "strongSwan 2.8.6"),
    VendorId("3a0d4e7ca4e492ed4dfe476d1ac6018b", "strongSwan 2.8.7"),
    VendorId("8c4a3bcb729b11f703d22a5b39640ca8", "strongSwan 2.8.8"),
    VendorId("0e9e820524932da199a498953afa8a7e", "strongSwan 2.8.9"),
    VendorId("357a0ae9f68878d9c362e1e4dc7143a2", "strongSwan 2.8.10"),
    VendorId("a796daf760a30760058bcc626ddb94fb", "strongSwan 2.8.11"),
    VendorId("2ce9c946a4c879bf11b50b76cc5692cb", "strongSwan 4.0.0"),
    VendorId("9dbbafcf1db0dd595ae065294003ad3e", "strongSwan 4.0.1"),
    VendorId("77e8eea6f556a499de3ffe7f7f95661c", "strongSwan 4.0.2"),
    VendorId("b181b18e114fc209b3c6e26c3a80718e", "strongSwan 4.0.3"),
    VendorId("1ef283f83549b5ff9608b6d634f84d75", "strongSwan 4.0.4"),
    VendorId("dd180d21e5ce655a768ba32211dd8ad9", "strongSwan 4.0.5"),
    VendorId("4c90136946577b51919d8d9a6b8e4a9f", "strongSwan 4.0.6"),
    VendorId("ab0746221cc8fd0d5238f73a9b3da557", "strongSwan 4.0.7"),
    VendorId("4794cef6843422980d1a3d06af41c5cd", "strongSwan 4.1.0"),
    VendorId("d3f1c488c368175d5f40a8f5ca5f5e12", "strongSwan 4.1.1"),
    VendorId("15a1ace7ee52fddfef04f928db2dd134", "strongSwan 4.1.2"),
    VendorId("5849ab6d8beabd6e4d09e5a3b88c089a", "strongSwan 4.1.3"),
    VendorId("312f9cb1a6b90e19de7528c904ac3087", "strongSwan 4.1.4"),
    VendorId("bf0fbf7306ebb7827042d893539886e2", "strongSwan 4.1.5"),
    VendorId("d19683368af4b0edc21ccde982b1d1b0", "strongSwan 4.1.6"),
    VendorId("ea840aa4dfc9712d6c32b5a16eb329a3", "strongSwan 4.1.7"),
    VendorId("66a2045507c119da78a4666259cdea48", "strongSwan 4.1.8"),
    VendorId("78fdd287def01a3f074b5369eab4fd1c", "strongSwan 4.1.9"),
    VendorId("bf3a89ae5bef8e72d44dac8bb88d7d5f", "strongSwan 4.1.10"),
    VendorId("b7bd9f2f978e3259a7aa9f7a1396ad6c", "strongSwan 4.1.11"),
    VendorId("9f68901325a972894335302a9531ab9f", "strongSwan 4.2.0"),
    VendorId("bab253f4cb10a8108a7c927c56c87886", "strongSwan 4.2.1"),
    VendorId("86f9f547c5d3ba6720dce9ccd17ac0c2", "StrongSwan 2.2.0"),
    VendorId("8dfbb1ebec630f0efe557a7f3e13cd36", "StrongSwan 2.2.1"),
    VendorId("8a6903daeb705b35d2eac3fb1a62551c", "StrongSwan 2.2.2"),
    VendorId("bb14bc5527a2a8289eeb25149d5f661b", "StrongSwan 2.3.0"),
    VendorId("6b75fd64516a6cb6441fedd0c6b4e2b1", "StrongSwan 2.3.1"),
    VendorId("56546e1ff761fcb1cc7fb0f1fee978ea", "StrongSwan 2.3.2"),
    VendorId("20f0af7152332de372e9394138e0253a", "StrongSwan 2.4.0"),
    VendorId("486b3d5c7365a47a10df811660e5894e", "StrongSwan 2.4.1"),
    VendorId("1aa158ae7f11e77d75ec801db53f7ec5", "strongSwan 4.2.10"),
    VendorId("05ceccd8e985fe0669eac282f803292a", "strongSwan 4.2.11"),
    VendorId("bc7d89b8b6b760391b1206e3ab391328", "strongSwan 4.2.12"),
    VendorId("5c14651ffd4af6383f5ba29177c2729a", "strongSwan 4.2.13"),
    VendorId("de014540e78dd8768bfb6c5238ede75f", "strongSwan 4.2.14"),
    VendorId("97be0b4b8506e40943ac2e1933ec2ca2", "strongSwan 4.2.15"),
    VendorId("4da33eb5f94ebf6d849c89a75803c50b", "strongSwan 4.2.16"),
    VendorId("79cf939352cdee20c8fb228e264826ad", "strongSwan 4.2.17"),
    VendorId("9deb74e751f44c47905ed2fad93f9271", "strongSwan 4.3.0"),
    VendorId("20b1f62b240a52a849309183960cbb64", "strongSwan 4.3.1"),
    VendorId("d6263956ac790961a9c8409b393724bf", "strongSwan 4.3.2"),
    VendorId("f9f093629308b24388d09c3f026de0a8", "strongSwan 4.3.3"),
    VendorId("e37e5d64a329a5cf1eeb8546c3b06018", "strongSwan 4.3.4"),
    VendorId("de5c703801952d85f6b3ed33b33784b4", "strongSwan 4.3.5"),
    # ike-scan lists 2.2.0 - 2.4.1 as MD5("StrongSwan x.y.z"), the old spelling
    VendorId("2a517d0d23c37d08bce7c292a0217b39", "strongSwan 4.2.2"),
    VendorId("2d1f406118fbd5d28474791ffa00488a", "strongSwan 4.2.3"),
    VendorId("cd5792d4b70f0299a6a1373de236d2ac", "strongSwan 4.2.4"),
    VendorId("af0a05e0bd37b0aba0135a194abb5b89", "strongSwan 4.2.5"),
    VendorId("a2782dd683b5edee3b777f897d2b867e", "strongSwan 4.2.6"),
    VendorId("4ddc7e1f6d6cd1ae9d5dcac58fa1fe9a", "strongSwan 4.2.7"),
    VendorId("95569ee23ebb62eddedea353a575faf3", "strongSwan 4.2.8"),
    VendorId("488c08f57afc382112f7cb396f2d4f6c", "strongSwan 4.2.9"),

    # ---- ike-scan ike-vendor-ids ----
    VendorId("1f07f70eaa6514d3b0fa96542a", "Cisco VPN Concentrator", prefix=True),
    VendorId("47bbe7c993f1fc13b4e6d0db565c68e5", "SafeNet SoftRemote", prefix=True),
    VendorId("da8e9378", "Safenet or Watchguard", prefix=True),
    VendorId("424e4553", "Nortel Contivity", prefix=True),  # "BNES" + 4-byte version
    VendorId("b858d1addd08c1e8adafea150608aa4497aa6cc8", "ZyXEL ZyWALL Router", prefix=True),
    VendorId("4d6163204f53582031302e78", "MacOS 10.x", prefix=True),  # "Mac OSX 10.x"
    VendorId("4f70656e504750", "OpenPGP", prefix=True),  # "OpenPGP"
    VendorId("4f45486b7d44784d42676b5d", "Linux FreeS/WAN 2.00"),  # ike-scan's hash of "Linux FreeS/WAN 2.00"
    VendorId("4f457c4f547e6e615b426e56", "Linux FreeS/WAN 2.01"),
    VendorId("4f456c6b44696d7f6b4c4e60", "Linux FreeS/WAN 2.02"),
    VendorId("4f45566671474962734e6264", "Linux FreeS/WAN 2.03"),
    VendorId("4f45704f736579505c6e5f6d", "Linux FreeS/WAN 2.04"),
    VendorId("4f457271785f4c7e496f4d54", "Linux FreeS/WAN 2.05"),
    VendorId("4f457e4c466e5d427c5c6b52", "Linux FreeS/WAN 2.06"),
    VendorId("4f4572696f5c77557f746249", "Openswan 2.3.0"),
)


# --------------------------------------------------------------------------
# ICMP errors that quote an IKE or ESP packet (RFC 792, RFC 4443)

ICMP_TYPES: dict[int, str] = {3: "Destination unreachable", 11: "Time exceeded", 12: "Parameter problem"}
ICMP_CODES: dict[int, dict[int, str]] = {
    3: {0: "Network unreachable", 1: "Host unreachable", 2: "Protocol unreachable", 3: "Port unreachable",
        4: "Fragmentation needed", 5: "Source route failed", 6: "Destination network unknown",
        7: "Destination host unknown", 9: "Network administratively prohibited",
        10: "Host administratively prohibited", 13: "Communication administratively prohibited"},
    11: {0: "TTL exceeded in transit", 1: "Fragment reassembly time exceeded"},
    12: {0: "Pointer indicates the error", 1: "Missing a required option", 2: "Bad length"},
}
ICMPV6_TYPES: dict[int, str] = {1: "Destination unreachable", 2: "Packet too big", 3: "Time exceeded",
                                4: "Parameter problem"}
ICMPV6_CODES: dict[int, dict[int, str]] = {
    2: {0: ""},  # packet too big has no code
    1: {0: "No route to destination", 1: "Administratively prohibited", 2: "Beyond scope of source address",
        3: "Address unreachable", 4: "Port unreachable", 5: "Source address failed policy",
        6: "Reject route to destination"},
    3: {0: "Hop limit exceeded in transit", 1: "Fragment reassembly time exceeded"},
    4: {0: "Erroneous header field", 1: "Unrecognized Next Header type", 2: "Unrecognized IPv6 option"},
}
