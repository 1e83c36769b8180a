"""IKEv1 Phase 1 ciphers (RFC 2409 App. A Encryption-Algorithm) in CBC mode, from ``cryptography``.

Each is known by its IANA number: key length (bytes; from the Key-Length
attribute, in bits, for variable-length ciphers) and block size (bytes).
DES, 3DES, Blowfish, CAST and IDEA come from cryptography's "decrepit"
module, where they live now.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from .keyschedule import KeyScheduleError


def _decrepit(name: str):
    from cryptography.hazmat.decrepit.ciphers import algorithms as old
    return getattr(old, name)


@dataclass(frozen=True)
class CipherSpec:
    """An IKE cipher: ``key_bytes`` is the fixed or default key length, ``block_size`` in bytes.

    ``variable`` ciphers take their key length from the Key-Length attribute
    (bits); ``algorithm(key)`` builds the cryptography algorithm object.
    """
    ike_id: int
    name: str
    block_size: int
    key_bytes: int
    variable: bool
    algorithm: Callable[[bytes], object]


CIPHERS: dict[int, CipherSpec] = {
    1: CipherSpec(1, "DES-CBC", 8, 8, False, lambda k: _decrepit("TripleDES")(k * 3)),
    2: CipherSpec(2, "IDEA-CBC", 8, 16, False, lambda k: _decrepit("IDEA")(k)),
    3: CipherSpec(3, "Blowfish-CBC", 8, 16, True, lambda k: _decrepit("Blowfish")(k)),
    5: CipherSpec(5, "3DES-CBC", 8, 24, False, lambda k: _decrepit("TripleDES")(k)),
    6: CipherSpec(6, "CAST-CBC", 8, 16, True, lambda k: _decrepit("CAST5")(k)),
    7: CipherSpec(7, "AES-CBC", 16, 16, True, lambda k: algorithms.AES(k)),
    8: CipherSpec(8, "Camellia-CBC", 16, 16, True, lambda k: _decrepit("Camellia")(k)),
}


def cipher_spec(ike_id: int) -> CipherSpec:
    """The cipher for an Encryption-Algorithm value; KeyScheduleError if ikescope has none."""
    try:
        return CIPHERS[ike_id]
    except KeyError:
        raise KeyScheduleError(f"encryption algorithm {ike_id} is not supported") from None


def key_bytes(spec: CipherSpec, key_length_bits: int | None) -> int:
    """Bytes of key for this SA: the Key-Length attribute (bits) of a variable-length cipher, else fixed."""
    if spec.variable and key_length_bits:
        if key_length_bits % 8:
            raise KeyScheduleError(f"{spec.name} key length {key_length_bits} bits is not whole bytes")
        return key_length_bits // 8
    return spec.key_bytes


def cbc_decrypt(spec: CipherSpec, key: bytes, iv: bytes, data: bytes) -> bytes:
    """Decrypt ``data`` (a whole number of blocks) in CBC mode; ValueError otherwise."""
    if len(data) % spec.block_size:
        raise ValueError(f"{len(data)} bytes of ciphertext are not whole {spec.block_size}-byte blocks")
    d = Cipher(spec.algorithm(key), modes.CBC(iv)).decryptor()
    return d.update(data) + d.finalize()


def cbc_encrypt(spec: CipherSpec, key: bytes, iv: bytes, data: bytes) -> bytes:
    """Encrypt ``data`` (a whole number of blocks) in CBC mode."""
    e = Cipher(spec.algorithm(key), modes.CBC(iv)).encryptor()
    return e.update(data) + e.finalize()
