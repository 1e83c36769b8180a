"""ESP SAs from a Quick Mode exchange: KEYMAT (RFC 2409 §5.5) split by algorithm.

A :class:`QuickMode` collects what the decrypted QM1/QM2 carried — the nonces
Ni_b and Nr_b, the QM initiator's proposals with its SPI, the responder's
chosen proposal with its SPI, and the KE values when PFS is used — and
:func:`esp_sas` turns it into the two ESP SAs, one per direction.  Each SPI
was chosen by the peer that receives with it, so the SA whose SPI came in
QM1 carries packets to the QM initiator.

KEYMAT for an SPI is prf(SKEYID_d, [g(qm)^xy |] protocol | SPI | Ni_b | Nr_b),
expanded K1 | K2 | ...; the encryption key comes first (with the 4-byte
salt of AES-GCM/CTR, RFC 4106 §8.1, RFC 3686 §5.1), then the integrity key.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from . import dhgroups, keyschedule as ks
from .espsa import AUTH_ALGORITHMS, ESP_TRANSFORM_IDS, INTEGRITY, EspSa, encryption
from .payloads import Proposal, Transform

__all__ = ["QuickMode", "EspKeyError", "esp_sas", "esp_algorithms"]

#: IPsec DOI protocol ID of ESP (RFC 2407 §4.4.1)
PROTO_ESP = 3
#: IPsec DOI attributes (RFC 2407 §4.5)
ATTR_GROUP, ATTR_AUTH, ATTR_KEY_LENGTH = 3, 5, 6
#: Default key length in bytes where the Key Length attribute may be left out
DEFAULT_KEY_BYTES = {"DES-CBC": 8, "3DES-CBC": 24, "BLOWFISH-CBC": 16, "CAST5-CBC": 16, "NULL": 0}


class EspKeyError(ValueError):
    """No ESP keys for this Quick Mode: a one-line reason that says what is missing."""


@dataclass
class QuickMode:
    """What one Quick Mode exchange (one message ID) gave, from its decrypted messages.

    initiator/responder  addresses of the QM initiator and responder
    offered              the QM initiator's proposals (QM1)
    chosen               the responder's proposal (QM2): one proposal, one transform
    ke_i, ke_r           KE payload data (PFS), or None
    """
    message_id: int
    initiator: str = ""
    responder: str = ""
    ni_b: bytes | None = None
    nr_b: bytes | None = None
    offered: list[Proposal] = field(default_factory=list)
    chosen: list[Proposal] = field(default_factory=list)
    ke_i: bytes | None = None
    ke_r: bytes | None = None
    done: bool = False                  # ESP SAs were made (or refused) for it

    @property
    def complete(self) -> bool:
        return self.ni_b is not None and self.nr_b is not None and bool(self.offered) and bool(self.chosen)


def esp_algorithms(transform: Transform) -> tuple:
    """(EspEncryption, key bytes without salt, EspIntegrity) of a chosen ESP transform.
    Raises EspKeyError for a transform ikescope cannot decrypt."""
    name = ESP_TRANSFORM_IDS.get(transform.transform_id)
    if name is None:
        raise EspKeyError(f"ESP transform {transform.transform_name} ({transform.transform_id}) is not supported")
    enc = encryption(name)
    bits = transform.attr(ATTR_KEY_LENGTH)
    key_bytes = bits.value // 8 if bits is not None and bits.value else DEFAULT_KEY_BYTES.get(name)
    if key_bytes is None:
        raise EspKeyError(f"{name} without a Key Length attribute")
    auth_attr = transform.attr(ATTR_AUTH)
    if enc.mode == "gcm":
        auth = INTEGRITY["NULL"]
    elif auth_attr is None:
        auth = INTEGRITY["NULL"]
    else:
        auth_name = AUTH_ALGORITHMS.get(auth_attr.value)
        if auth_name is None:
            raise EspKeyError(f"ESP authentication algorithm {auth_attr.value} is not supported")
        auth = INTEGRITY[auth_name]
    return enc, key_bytes, auth


def _esp_proposal(proposals: list[Proposal], number: int | None = None) -> Proposal | None:
    return next((p for p in proposals if p.protocol_id == PROTO_ESP and (number is None or p.number == number)),
                None)


def esp_sas(qm: QuickMode, hash_id: int, skeyid_d: bytes, pfs: dict, source: str) -> list[EspSa]:
    """The two ESP SAs of a complete Quick Mode (RFC 2409 §5.5).

    ``pfs``: the Quick Mode's DH secret when PFS was used — {"dh_shared": g(qm)^xy} or
    {"dh_private": either side's private value}, from the keys file or a charon log.
    Raises EspKeyError when a value is missing (PFS without its secret, no ESP proposal)."""
    chosen = _esp_proposal(qm.chosen)
    if chosen is None or not chosen.transforms:
        raise EspKeyError(f"Quick Mode {qm.message_id:08x}: no ESP proposal in QM2")
    offered = _esp_proposal(qm.offered, chosen.number) or _esp_proposal(qm.offered)
    if offered is None:
        raise EspKeyError(f"Quick Mode {qm.message_id:08x}: no ESP proposal in QM1")
    transform = chosen.transforms[0]
    enc, key_bytes, auth = esp_algorithms(transform)
    gxy = b""
    if qm.ke_i is not None or qm.ke_r is not None:
        gxy = _pfs_secret(qm, transform, pfs)
    length = key_bytes + enc.salt_bytes + auth.key_bytes
    made = []
    # the SPI in QM2 is the responder's: packets to it; the SPI in QM1 is the initiator's
    for spi, src, dst in ((chosen.spi, qm.initiator, qm.responder), (offered.spi, qm.responder, qm.initiator)):
        if len(spi) != 4:
            raise EspKeyError(f"Quick Mode {qm.message_id:08x}: ESP SPI of {len(spi)} bytes")
        km = ks.keymat(hash_id, skeyid_d, PROTO_ESP, spi, qm.ni_b, qm.nr_b, length, gxy)
        split = key_bytes + enc.salt_bytes
        made.append(EspSa(int.from_bytes(spi, "big"), src, dst, enc, km[:split], auth, km[split:],
                          f"{source}, Quick Mode {qm.message_id:08x}"))
    return made


def _pfs_secret(qm: QuickMode, transform: Transform, pfs: dict) -> bytes:
    """g(qm)^xy for a Quick Mode with PFS: given, or from either side's private value."""
    group_attr = transform.attr(ATTR_GROUP)
    if group_attr is None:
        raise EspKeyError(f"Quick Mode {qm.message_id:08x}: KE payloads but no Group Description")
    try:
        grp = dhgroups.group(group_attr.value)
        if pfs.get("dh_shared") is not None:
            return dhgroups.check_shared_secret(grp, pfs["dh_shared"])
        private = pfs.get("dh_private")
        if private is not None and qm.ke_i is not None and qm.ke_r is not None:
            mine = dhgroups.public_value(grp, private)
            if mine in (qm.ke_i, qm.ke_r):
                return dhgroups.shared_secret(grp, private, qm.ke_r if mine == qm.ke_i else qm.ke_i)
            raise EspKeyError(f"Quick Mode {qm.message_id:08x}: the PFS private value belongs to neither peer")
    except dhgroups.DhError as err:
        raise EspKeyError(f"Quick Mode {qm.message_id:08x}: {err}") from None
    raise EspKeyError(f"Quick Mode {qm.message_id:08x} uses PFS ({grp.name}): give its DH secret "
                      f"([[tunnel.quick_mode]] message_id = \"0x{qm.message_id:08x}\" dh_shared = ...), "
                      "or a charon log")
