"""Pure-Python Twofish block cipher (128-bit block; 128/192/256-bit keys).

What it is
    A small, table-driven implementation of the Twofish block cipher, written
    from the specification: B. Schneier, J. Kelsey, D. Whiting, D. Wagner,
    C. Hall, N. Ferguson, "Twofish: A 128-Bit Block Cipher" (AES submission,
    15 June 1998), section 4 ("Twofish"):

    * 4 (overview): little-endian split into four words, input whitening with
      K0..K3, 16 Feistel rounds with the 1-bit rotations, undoing the last
      swap, output whitening with K4..K7;
    * 4.1  the function F: g, g of ROL(R1, 8), PHT, round keys K[2r+8], K[2r+9];
    * 4.2  the function g and the MDS matrix over GF(2^8) modulo
      x^8+x^6+x^5+x^3+1 (0x169);
    * 4.3  the key schedule: key words Me (even) and Mo (odd);
      4.3.1 keys of other byte lengths; 4.3.2 the function h;
      4.3.3 the key-dependent S-boxes, the S words from the RS code over
      GF(2^8) modulo x^8+x^6+x^3+x^2+1 (0x14D), taken in reverse order;
      4.3.4 the expanded key words K0..K39 (rho = 0x01010101, ROL 8, ROL 9);
      4.3.5 the permutations q0/q1 built from the 4-bit tables t0..t3.

    At key setup the key-dependent S-boxes are folded with the MDS columns
    into four 256-entry tables of 32-bit words, so ``g`` is four lookups and
    three XORs; a block costs a few tens of microseconds in CPython.

Why it exists
    ESP captures (the Wireshark wiki's ``ipsec_esp_capture_3`` among them) use
    TWOFISH-CBC, and ``cryptography`` - the cipher library ikescope relies on -
    has no Twofish, nor does any well-kept Python package.  Only decryption is
    needed by the dissector; encryption is here for round-trip tests.

Shapes
    Keys are 1..32 bytes; per the paper (section 4.3.1) a key of another
    length is padded at the end with zero bytes to the next of 16, 24, 32.
    Blocks are exactly 16 bytes.  :class:`TwofishEcbDecryptor` mimics a
    ``cryptography`` ECB decryptor context: ``update(data)`` takes any whole
    number of blocks (including none) and returns the plaintext.  CBC chaining
    is the caller's job (``P_i = D(C_i) xor C_(i-1)``, ``C_0 = IV``).

Errors
    :class:`TwofishError` (a ``ValueError``) for a key that is not bytes-like
    or not 1..32 bytes long, a block that is not 16 bytes, or ``update`` data
    whose length is not a multiple of 16.
"""
from __future__ import annotations

__all__ = ["BLOCK_SIZE", "Twofish", "TwofishEcbDecryptor", "TwofishError"]

BLOCK_SIZE = 16
ROUNDS = 16
_MASK32 = 0xFFFFFFFF
_KEY_SIZES = (16, 24, 32)

# GF(2^8) reduction polynomials (section 4.2 for MDS, 4.3.3 for RS).
_MDS_POLY = 0x169   # x^8 + x^6 + x^5 + x^3 + 1
_RS_POLY = 0x14D    # x^8 + x^6 + x^3 + x^2 + 1

_MDS = (
    (0x01, 0xEF, 0x5B, 0x5B),
    (0x5B, 0xEF, 0xEF, 0x01),
    (0xEF, 0x5B, 0x01, 0xEF),
    (0xEF, 0x01, 0xEF, 0x5B),
)

_RS = (
    (0x01, 0xA4, 0x55, 0x87, 0x5A, 0x58, 0xDB, 0x9E),
    (0xA4, 0x56, 0x82, 0xF3, 0x1E, 0xC6, 0x68, 0xE5),
    (0x02, 0xA1, 0xFC, 0xC1, 0x47, 0xAE, 0x3D, 0x19),
    (0xA4, 0x55, 0x87, 0x5A, 0x58, 0xDB, 0x9E, 0x03),
)

# The 4-bit tables t0..t3 of q0 and q1 (section 4.3.5).
_Q_NIBBLE_TABLES = (
    (   # q0
        (0x8, 0x1, 0x7, 0xD, 0x6, 0xF, 0x3, 0x2, 0x0, 0xB, 0x5, 0x9, 0xE, 0xC, 0xA, 0x4),
        (0xE, 0xC, 0xB, 0x8, 0x1, 0x2, 0x3, 0x5, 0xF, 0x4, 0xA, 0x6, 0x7, 0x0, 0x9, 0xD),
        (0xB, 0xA, 0x5, 0xE, 0x6, 0xD, 0x9, 0x0, 0xC, 0x8, 0xF, 0x3, 0x2, 0x4, 0x7, 0x1),
        (0xD, 0x7, 0xF, 0x4, 0x1, 0x2, 0x6, 0xE, 0x9, 0xB, 0x3, 0x0, 0x8, 0x5, 0xC, 0xA),
    ),
    (   # q1
        (0x2, 0x8, 0xB, 0xD, 0xF, 0x7, 0x6, 0xE, 0x3, 0x1, 0x9, 0x4, 0x0, 0xA, 0xC, 0x5),
        (0x1, 0xE, 0x2, 0xB, 0x4, 0xC, 0x3, 0x7, 0x6, 0xD, 0xA, 0x5, 0xF, 0x9, 0x0, 0x8),
        (0x4, 0xC, 0x7, 0x5, 0x1, 0x6, 0x9, 0xA, 0x0, 0xE, 0xD, 0x8, 0x2, 0xB, 0x3, 0xF),
        (0xB, 0x9, 0x5, 0x1, 0xC, 0x3, 0xD, 0xE, 0x6, 0x4, 0x7, 0xF, 0x2, 0x0, 0x8, 0xA),
    ),
)

# Which q (0 or 1) each byte position j = 0..3 passes through in h (section
# 4.3.2): _H_STAGE_Q[i] is used just before XORing with key word L[i]
# (stage 3 only for 256-bit keys, stage 2 for 192 and 256), _H_FINAL_Q last,
# right before the MDS multiply.
_H_STAGE_Q = (
    (0, 0, 1, 1),
    (0, 1, 0, 1),
    (1, 1, 0, 0),
    (1, 0, 0, 1),
)
_H_FINAL_Q = (1, 0, 1, 0)

_RHO = 0x01010101


# --------------------------------------------------------------------------
# Arithmetic helpers
# --------------------------------------------------------------------------

def _gf_mul(a: int, b: int, poly: int) -> int:
    """Product of bytes ``a`` and ``b`` in GF(2^8) reduced by ``poly``."""
    result = 0
    while b:
        if b & 1:
            result ^= a
        b >>= 1
        a <<= 1
        if a & 0x100:
            a ^= poly
    return result


def _rol32(x: int, n: int) -> int:
    return ((x << n) | (x >> (32 - n))) & _MASK32


def _ror32(x: int, n: int) -> int:
    return ((x >> n) | (x << (32 - n))) & _MASK32


def _ror4(x: int, n: int) -> int:
    return ((x >> n) | (x << (4 - n))) & 0xF


def _words_le(data: bytes) -> list[int]:
    """Split ``data`` (a multiple of 4 bytes) into little-endian 32-bit words."""
    return [int.from_bytes(data[i:i + 4], "little") for i in range(0, len(data), 4)]


def _bytes_le(words: tuple[int, ...] | list[int]) -> bytes:
    return b"".join(w.to_bytes(4, "little") for w in words)


# --------------------------------------------------------------------------
# Fixed permutations q0, q1 and the MDS columns
# --------------------------------------------------------------------------

def _q_byte(tables: tuple[tuple[int, ...], ...], x: int) -> int:
    """One byte through the q construction of section 4.3.5."""
    t0, t1, t2, t3 = tables
    a0, b0 = x >> 4, x & 0xF
    a1 = a0 ^ b0
    b1 = a0 ^ _ror4(b0, 1) ^ ((a0 << 3) & 0xF)
    a2, b2 = t0[a1], t1[b1]
    a3 = a2 ^ b2
    b3 = a2 ^ _ror4(b2, 1) ^ ((a2 << 3) & 0xF)
    a4, b4 = t2[a3], t3[b3]
    return (b4 << 4) | a4


def _build_q(tables: tuple[tuple[int, ...], ...]) -> tuple[int, ...]:
    return tuple(_q_byte(tables, x) for x in range(256))


_Q = tuple(_build_q(tables) for tables in _Q_NIBBLE_TABLES)


def _mds_column(j: int, y: int) -> int:
    """Column ``j`` of the MDS matrix times byte ``y``, as a little-endian word."""
    return (_gf_mul(_MDS[0][j], y, _MDS_POLY)
            | _gf_mul(_MDS[1][j], y, _MDS_POLY) << 8
            | _gf_mul(_MDS[2][j], y, _MDS_POLY) << 16
            | _gf_mul(_MDS[3][j], y, _MDS_POLY) << 24)


_MDS_TABLES = tuple(tuple(_mds_column(j, y) for y in range(256)) for j in range(4))


# --------------------------------------------------------------------------
# Key schedule (section 4.3)
# --------------------------------------------------------------------------

def _h_byte(j: int, x: int, key_words: list[int]) -> int:
    """Byte ``j`` of the h function's S-box chain, before the MDS multiply.

    ``key_words`` is the list L = (L0, ..., L(k-1)); the stages run from
    L(k-1) down to L0, as in section 4.3.2.
    """
    shift = 8 * j
    for i in range(len(key_words) - 1, -1, -1):
        x = _Q[_H_STAGE_Q[i][j]][x] ^ ((key_words[i] >> shift) & 0xFF)
    return _Q[_H_FINAL_Q[j]][x]


def _h(x_word: int, key_words: list[int]) -> int:
    """The function h(X, L) of section 4.3.2."""
    out = 0
    for j in range(4):
        out ^= _MDS_TABLES[j][_h_byte(j, (x_word >> (8 * j)) & 0xFF, key_words)]
    return out


def _rs_word(key8: bytes) -> int:
    """One S word: the RS matrix times 8 key bytes (section 4.3.3)."""
    out = 0
    for i, row in enumerate(_RS):
        s = 0
        for coeff, m in zip(row, key8):
            s ^= _gf_mul(coeff, m, _RS_POLY)
        out |= s << (8 * i)
    return out


def _pad_key(key: bytes) -> bytes:
    """Check the key and pad it with zero bytes to 16, 24 or 32 (section 4.3.1)."""
    if not isinstance(key, (bytes, bytearray, memoryview)):
        raise TwofishError(f"Twofish key must be bytes, not {type(key).__name__}")
    key = bytes(key)
    if not 1 <= len(key) <= _KEY_SIZES[-1]:
        raise TwofishError(f"Twofish key must be 1..32 bytes, got {len(key)}")
    size = next(n for n in _KEY_SIZES if n >= len(key))
    return key.ljust(size, b"\0")


def _round_keys(me: list[int], mo: list[int]) -> list[int]:
    """The 40 expanded key words K0..K39 (section 4.3.4)."""
    keys: list[int] = []
    for i in range(20):
        a = _h(2 * i * _RHO, me)
        b = _rol32(_h((2 * i + 1) * _RHO, mo), 8)
        keys.append((a + b) & _MASK32)
        keys.append(_rol32((a + 2 * b) & _MASK32, 9))
    return keys


def _sbox_tables(s_words: list[int]) -> tuple[tuple[int, ...], ...]:
    """g's four tables: byte j's key-dependent S-box composed with MDS column j."""
    return tuple(
        tuple(_MDS_TABLES[j][_h_byte(j, x, s_words)] for x in range(256))
        for j in range(4)
    )


def _check_block(block: bytes) -> bytes:
    if not isinstance(block, (bytes, bytearray, memoryview)) or len(block) != BLOCK_SIZE:
        size = len(block) if isinstance(block, (bytes, bytearray, memoryview)) else type(block).__name__
        raise TwofishError(f"Twofish block must be {BLOCK_SIZE} bytes, got {size}")
    return bytes(block)


# --------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------

class TwofishError(ValueError):
    """A key, block or buffer of the wrong type or size."""


class Twofish:
    """One keyed Twofish instance; key 1..32 bytes (padded with zeros to 16/24/32 bytes, as the spec allows)."""

    __slots__ = ("key_size", "_k", "_s0", "_s1", "_s2", "_s3")

    def __init__(self, key: bytes) -> None:
        padded = _pad_key(key)
        self.key_size = len(padded)
        words = _words_le(padded)
        me, mo = words[0::2], words[1::2]
        s_words = [_rs_word(padded[8 * i:8 * i + 8]) for i in range(len(padded) // 8)]
        s_words.reverse()   # S = (S(k-1), ..., S0)
        self._k = _round_keys(me, mo)
        self._s0, self._s1, self._s2, self._s3 = _sbox_tables(s_words)

    def _f(self, r0: int, r1: int, rnd: int) -> tuple[int, int]:
        """The round function F (section 4.1): g, g of ROL(R1, 8), PHT, round keys."""
        s0, s1, s2, s3 = self._s0, self._s1, self._s2, self._s3
        t0 = s0[r0 & 0xFF] ^ s1[(r0 >> 8) & 0xFF] ^ s2[(r0 >> 16) & 0xFF] ^ s3[r0 >> 24]
        t1 = s0[r1 >> 24] ^ s1[r1 & 0xFF] ^ s2[(r1 >> 8) & 0xFF] ^ s3[(r1 >> 16) & 0xFF]
        k = self._k
        return ((t0 + t1 + k[2 * rnd + 8]) & _MASK32,
                (t0 + 2 * t1 + k[2 * rnd + 9]) & _MASK32)

    def encrypt_block(self, block: bytes) -> bytes:
        """Encrypt one 16-byte block."""
        k = self._k
        a, b, c, d = (w ^ k[i] for i, w in enumerate(_words_le(_check_block(block))))
        for rnd in range(ROUNDS):
            f0, f1 = self._f(a, b, rnd)
            c = _ror32(c ^ f0, 1)
            d = _rol32(d, 1) ^ f1
            a, b, c, d = c, d, a, b
        return _bytes_le((c ^ k[4], d ^ k[5], a ^ k[6], b ^ k[7]))

    def decrypt_block(self, block: bytes) -> bytes:
        """Decrypt one 16-byte block."""
        k = self._k
        c, d, a, b = (w ^ k[i + 4] for i, w in enumerate(_words_le(_check_block(block))))
        for rnd in range(ROUNDS - 1, -1, -1):
            a, b, c, d = c, d, a, b
            f0, f1 = self._f(a, b, rnd)
            c = _rol32(c, 1) ^ f0
            d = _ror32(d ^ f1, 1)
        return _bytes_le((a ^ k[0], b ^ k[1], c ^ k[2], d ^ k[3]))


class TwofishEcbDecryptor:
    """Same interface as a cryptography ECB decryptor context: update(data) with len(data) % 16 == 0 -> plaintext."""

    __slots__ = ("_cipher",)

    def __init__(self, key: bytes) -> None:
        self._cipher = Twofish(key)

    def update(self, data: bytes) -> bytes:
        """Decrypt whole blocks of ``data`` independently (ECB)."""
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TwofishError(f"ECB data must be bytes, not {type(data).__name__}")
        if len(data) % BLOCK_SIZE:
            raise TwofishError(f"ECB data must be a multiple of {BLOCK_SIZE} bytes, got {len(data)}")
        data = bytes(data)
        decrypt = self._cipher.decrypt_block
        return b"".join(decrypt(data[i:i + BLOCK_SIZE]) for i in range(0, len(data), BLOCK_SIZE))

    def finalize(self) -> bytes:
        """Nothing is buffered, so there is nothing left to return (as in cryptography)."""
        return b""
