"""The IKEv1 key schedule, as RFC 2409 §5 writes it: small pure functions.

Names follow the RFC: ``Ni_b``/``Nr_b`` are nonce payload bodies, ``g^xy``
the shared Diffie-Hellman secret, ``CKY-I``/``CKY-R`` the cookies,
``SAi_b`` the body of the initiator's SA payload, ``IDii_b``/``IDir_b`` the
bodies of the identification payloads.  ``prf`` is the HMAC of the
negotiated hash (RFC 2409 §4: "the HMAC version of the negotiated hash
algorithm").  Every function takes and returns ``bytes``; none keeps state.
"""
from __future__ import annotations

from cryptography.hazmat.primitives import hashes, hmac

#: IKEv1 Hash-Algorithm attribute values (RFC 2409 App. A, RFC 4868) -> cryptography hashes
HASHES = {1: hashes.MD5, 2: hashes.SHA1, 4: hashes.SHA256, 5: hashes.SHA384, 6: hashes.SHA512}
HASH_NAMES = {1: "MD5", 2: "SHA1", 4: "SHA2-256", 5: "SHA2-384", 6: "SHA2-512"}


class KeyScheduleError(ValueError):
    """A negotiated algorithm ikescope cannot compute (one line)."""


def _algorithm(hash_id: int):
    try:
        return HASHES[hash_id]()
    except KeyError:
        raise KeyScheduleError(f"hash algorithm {hash_id} is not supported (MD5, SHA1, SHA2-256/384/512 are)") from None


def hash_(hash_id: int, data: bytes) -> bytes:
    """The negotiated hash of ``data`` (used for IVs, RFC 2409 App. B)."""
    h = hashes.Hash(_algorithm(hash_id))
    h.update(data)
    return h.finalize()


def prf(hash_id: int, key: bytes, data: bytes) -> bytes:
    """prf(key, msg): HMAC with the negotiated hash (RFC 2409 §4, RFC 2104)."""
    h = hmac.HMAC(key, _algorithm(hash_id))
    h.update(data)
    return h.finalize()


def skeyid_psk(hash_id: int, psk: bytes, ni_b: bytes, nr_b: bytes) -> bytes:
    """SKEYID = prf(pre-shared-key, Ni_b | Nr_b)   (RFC 2409 §5, pre-shared keys)."""
    return prf(hash_id, psk, ni_b + nr_b)


def skeyid_sig(hash_id: int, ni_b: bytes, nr_b: bytes, gxy: bytes) -> bytes:
    """SKEYID = prf(Ni_b | Nr_b, g^xy)   (RFC 2409 §5, signatures)."""
    return prf(hash_id, ni_b + nr_b, gxy)


def skeyid_d(hash_id: int, skeyid: bytes, gxy: bytes, cky_i: bytes, cky_r: bytes) -> bytes:
    """SKEYID_d = prf(SKEYID, g^xy | CKY-I | CKY-R | 0)   (RFC 2409 §5)."""
    return prf(hash_id, skeyid, gxy + cky_i + cky_r + b"\x00")


def skeyid_a(hash_id: int, skeyid: bytes, skeyid_d_: bytes, gxy: bytes, cky_i: bytes, cky_r: bytes) -> bytes:
    """SKEYID_a = prf(SKEYID, SKEYID_d | g^xy | CKY-I | CKY-R | 1)   (RFC 2409 §5)."""
    return prf(hash_id, skeyid, skeyid_d_ + gxy + cky_i + cky_r + b"\x01")


def skeyid_e(hash_id: int, skeyid: bytes, skeyid_a_: bytes, gxy: bytes, cky_i: bytes, cky_r: bytes) -> bytes:
    """SKEYID_e = prf(SKEYID, SKEYID_a | g^xy | CKY-I | CKY-R | 2)   (RFC 2409 §5)."""
    return prf(hash_id, skeyid, skeyid_a_ + gxy + cky_i + cky_r + b"\x02")


def expand_key(hash_id: int, skeyid_e_: bytes, length: int) -> bytes:
    """The cipher key Ka from SKEYID_e (RFC 2409 Appendix B).

    If SKEYID_e is long enough, Ka is its first ``length`` bytes; otherwise
    Ka = K1 | K2 | K3 ... with K1 = prf(SKEYID_e, 0) (one zero octet) and
    Kn = prf(SKEYID_e, Kn-1), cut to ``length`` bytes (3DES or AES-256 with
    SHA-1 or MD5).
    """
    if len(skeyid_e_) >= length:
        return skeyid_e_[:length]
    blocks = [prf(hash_id, skeyid_e_, b"\x00")]
    while sum(map(len, blocks)) < length:
        blocks.append(prf(hash_id, skeyid_e_, blocks[-1]))
    return b"".join(blocks)[:length]


def phase1_iv(hash_id: int, g_xi: bytes, g_xr: bytes, block_size: int) -> bytes:
    """The Phase 1 IV = hash(g^xi | g^xr), cut to the cipher's block size (RFC 2409 App. B)."""
    return hash_(hash_id, g_xi + g_xr)[:block_size]


def phase2_iv(hash_id: int, last_phase1_block: bytes, message_id: int, block_size: int) -> bytes:
    """The first IV of a Quick Mode or Informational exchange (RFC 2409 App. B):
    hash(last Phase 1 CBC output block | M-ID), cut to the block size."""
    return hash_(hash_id, last_phase1_block + message_id.to_bytes(4, "big"))[:block_size]


def hash_i(hash_id: int, skeyid: bytes, g_xi: bytes, g_xr: bytes, cky_i: bytes, cky_r: bytes,
           sai_b: bytes, idii_b: bytes) -> bytes:
    """HASH_I = prf(SKEYID, g^xi | g^xr | CKY-I | CKY-R | SAi_b | IDii_b)   (RFC 2409 §5)."""
    return prf(hash_id, skeyid, g_xi + g_xr + cky_i + cky_r + sai_b + idii_b)


def hash_r(hash_id: int, skeyid: bytes, g_xi: bytes, g_xr: bytes, cky_i: bytes, cky_r: bytes,
           sai_b: bytes, idir_b: bytes) -> bytes:
    """HASH_R = prf(SKEYID, g^xr | g^xi | CKY-R | CKY-I | SAi_b | IDir_b)   (RFC 2409 §5)."""
    return prf(hash_id, skeyid, g_xr + g_xi + cky_r + cky_i + sai_b + idir_b)


def qm_hash1(hash_id: int, skeyid_a_: bytes, message_id: int, rest: bytes) -> bytes:
    """Quick Mode HASH(1) = prf(SKEYID_a, M-ID | SA | Ni [ | KE ] [ | IDci | IDcr ])   (RFC 2409 §5.5).

    ``rest`` is the message after the HASH payload: every following payload
    with its generic header, as sent (RFC 2409 §5.5).  Informational HASH(1)
    (RFC 2409 §5.7: prf(SKEYID_a, M-ID | N/D)) is the same computation.
    """
    return prf(hash_id, skeyid_a_, message_id.to_bytes(4, "big") + rest)


def qm_hash2(hash_id: int, skeyid_a_: bytes, message_id: int, ni_b: bytes, rest: bytes) -> bytes:
    """Quick Mode HASH(2) = prf(SKEYID_a, M-ID | Ni_b | SA | Nr [ | KE ] [ | IDci | IDcr ])   (RFC 2409 §5.5)."""
    return prf(hash_id, skeyid_a_, message_id.to_bytes(4, "big") + ni_b + rest)


def qm_hash3(hash_id: int, skeyid_a_: bytes, message_id: int, ni_b: bytes, nr_b: bytes) -> bytes:
    """Quick Mode HASH(3) = prf(SKEYID_a, 0 | M-ID | Ni_b | Nr_b)   (RFC 2409 §5.5)."""
    return prf(hash_id, skeyid_a_, b"\x00" + message_id.to_bytes(4, "big") + ni_b + nr_b)


def keymat(hash_id: int, skeyid_d_: bytes, protocol: int, spi: bytes, ni_b: bytes, nr_b: bytes,
           length: int, gxy_qm: bytes = b"") -> bytes:
    """KEYMAT = K1 | K2 | ... cut to ``length`` bytes (RFC 2409 §5.5), where
    K1 = prf(SKEYID_d, [g(qm)^xy |] protocol | SPI | Ni_b | Nr_b) and
    Kn = prf(SKEYID_d, Kn-1 | [g(qm)^xy |] protocol | SPI | Ni_b | Nr_b);
    ``gxy_qm`` is the Quick Mode DH secret with PFS, else empty."""
    seed = gxy_qm + bytes([protocol]) + spi + ni_b + nr_b
    blocks = [prf(hash_id, skeyid_d_, seed)]
    while sum(map(len, blocks)) < length:
        blocks.append(prf(hash_id, skeyid_d_, blocks[-1] + seed))
    return b"".join(blocks)[:length]
