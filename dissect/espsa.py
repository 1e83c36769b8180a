"""ESP security associations: what decrypting one SPI's packets needs.

An :class:`EspSa` names its packets (SPI, and optionally the source and
destination address) and holds the transforms and keys: an encryption
algorithm from :data:`ENCRYPTION` with its key (for AES-GCM and AES-CTR the
key material ends in the 4-byte salt/nonce, RFC 4106 §8.1, RFC 3686 §5.1),
and an integrity algorithm from :data:`INTEGRITY` with its key.  SAs come
from Quick Mode (KEYMAT, RFC 2409 §5.5) or from tables the user gives
(Wireshark's ``esp_sa``, strongSwan save-keys, ``ip xfrm state``, tcpdump's
``-E`` secrets).

The names are ikescope's canonical ones; each algorithm also knows its
Wireshark ``esp_sa`` name, so that tables can be read and written.
"""
from __future__ import annotations

from dataclasses import dataclass

__all__ = ["EspEncryption", "EspIntegrity", "EspSa", "ENCRYPTION", "INTEGRITY", "encryption", "integrity",
           "ESP_TRANSFORM_IDS", "AUTH_ALGORITHMS"]


@dataclass(frozen=True)
class EspEncryption:
    """An ESP encryption algorithm.

    name          canonical name, e.g. "AES-CBC", "AES-GCM-16"
    mode          "cbc", "ctr", "gcm" or "null"
    cipher        cipher family for dissect.ciphers / cryptography: "AES", "3DES", "DES", "Blowfish", "CAST", ...
    key_bytes     allowed key lengths in bytes, without the salt (empty: any)
    salt_bytes    bytes of salt/nonce at the end of the key material (GCM, CTR: 4)
    iv_bytes      bytes of explicit IV in each packet
    block_bytes   block size for the padding (CBC: the cipher's; others: 4, RFC 4303 §2.4)
    icv_bytes     ICV of an AEAD mode (GCM: 8/12/16), else 0
    wireshark     the name in Wireshark's esp_sa table
    """
    name: str
    mode: str
    cipher: str
    key_bytes: tuple[int, ...]
    salt_bytes: int
    iv_bytes: int
    block_bytes: int
    icv_bytes: int
    wireshark: str


@dataclass(frozen=True)
class EspIntegrity:
    """An ESP integrity algorithm: HMAC with ``hash`` ("MD5", "SHA1", "SHA256", ...), truncated to
    ``icv_bytes`` (RFC 2403, 2404, 4868); ``hash`` None for NULL (no ICV)."""
    name: str
    hash: str | None
    icv_bytes: int
    key_bytes: int
    wireshark: str


ENCRYPTION: dict[str, EspEncryption] = {e.name: e for e in (
    EspEncryption("NULL", "null", "", (), 0, 0, 4, 0, "NULL"),
    EspEncryption("DES-CBC", "cbc", "DES", (8,), 0, 8, 8, 0, "DES-CBC [RFC2405]"),
    EspEncryption("3DES-CBC", "cbc", "3DES", (24,), 0, 8, 8, 0, "TripleDES-CBC [RFC2451]"),
    EspEncryption("AES-CBC", "cbc", "AES", (16, 24, 32), 0, 16, 16, 0, "AES-CBC [RFC3602]"),
    EspEncryption("AES-CTR", "ctr", "AES", (16, 24, 32), 4, 8, 4, 0, "AES-CTR [RFC3686]"),
    EspEncryption("AES-GCM-8", "gcm", "AES", (16, 24, 32), 4, 8, 4, 8, "AES-GCM with 8 octet ICV [RFC4106]"),
    EspEncryption("AES-GCM-12", "gcm", "AES", (16, 24, 32), 4, 8, 4, 12, "AES-GCM with 12 octet ICV [RFC4106]"),
    EspEncryption("AES-GCM-16", "gcm", "AES", (16, 24, 32), 4, 8, 4, 16, "AES-GCM with 16 octet ICV [RFC4106]"),
    # Blowfish takes 32 to 448 bits, CAST5 40 to 128 bits (RFC 2451 §2.2; whole bytes here)
    EspEncryption("BLOWFISH-CBC", "cbc", "Blowfish", tuple(range(4, 57)), 0, 8, 8, 0, "BLOWFISH-CBC [RFC2451]"),
    EspEncryption("CAST5-CBC", "cbc", "CAST", tuple(range(5, 17)), 0, 8, 8, 0, "CAST5-CBC [RFC2144]"),
    EspEncryption("TWOFISH-CBC", "cbc", "Twofish", (16, 24, 32), 0, 16, 16, 0, "TWOFISH-CBC"),
)}

INTEGRITY: dict[str, EspIntegrity] = {i.name: i for i in (
    EspIntegrity("NULL", None, 0, 0, "NULL"),
    EspIntegrity("HMAC-MD5-96", "MD5", 12, 16, "HMAC-MD5-96 [RFC2403]"),
    EspIntegrity("HMAC-SHA1-96", "SHA1", 12, 20, "HMAC-SHA-1-96 [RFC2404]"),
    EspIntegrity("HMAC-SHA2-256-96", "SHA256", 12, 32, "HMAC-SHA-256-96 [draft-ietf-ipsec-ciph-sha-256-00]"),
    EspIntegrity("HMAC-SHA2-256-128", "SHA256", 16, 32, "HMAC-SHA-256-128 [RFC4868]"),
    EspIntegrity("HMAC-SHA2-384-192", "SHA384", 24, 48, "HMAC-SHA-384-192 [RFC4868]"),
    EspIntegrity("HMAC-SHA2-512-256", "SHA512", 32, 64, "HMAC-SHA-512-256 [RFC4868]"),
    EspIntegrity("HMAC-RIPEMD160-96", "RIPEMD160", 12, 20, "MAC-RIPEMD-160-96 [RFC2857]"),
    # an ICV of this length that is not checked (Wireshark's "ANY n bit authentication")
    *(EspIntegrity(f"ANY-{bits}", None, bits // 8, 0, f"ANY {bits} bit authentication [no checking]")
      for bits in (64, 96, 128, 192, 256)),
)}

#: Other spellings of encryption names seen in esp_sa tables: the older Wireshark (and strongSwan's
#: save-keys) "AES-GCM [RFC4106]", a 16-octet ICV.  (save-keys' "TripleDes-CBC" needs no alias: names
#: are matched in any case.)
_ENC_ALIASES = {"aes-gcm [rfc4106]": "AES-GCM-16"}

#: IPsec DOI ESP transform IDs (RFC 2407 §4.4.4, RFC 3686, RFC 4106) -> ENCRYPTION name; AES-CBC,
#: AES-CTR and GCM take their key length from the Key Length attribute.
ESP_TRANSFORM_IDS: dict[int, str] = {2: "DES-CBC", 3: "3DES-CBC", 6: "CAST5-CBC", 7: "BLOWFISH-CBC", 11: "NULL",
                                     12: "AES-CBC", 13: "AES-CTR", 18: "AES-GCM-8", 19: "AES-GCM-12",
                                     20: "AES-GCM-16"}

#: IPsec DOI Authentication Algorithm attribute values (RFC 2407 §4.5, RFC 4868 §2.1.1) -> INTEGRITY name.
AUTH_ALGORITHMS: dict[int, str] = {1: "HMAC-MD5-96", 2: "HMAC-SHA1-96", 5: "HMAC-SHA2-256-128",
                                   6: "HMAC-SHA2-384-192", 7: "HMAC-SHA2-512-256"}


def encryption(name: str) -> EspEncryption:
    """The ENCRYPTION entry for a canonical or Wireshark name, in any case; raises KeyError."""
    key = name.strip().lower()
    key = _ENC_ALIASES.get(key, key).lower()
    found = next((e for e in ENCRYPTION.values() if key in (e.name.lower(), e.wireshark.lower())), None)
    if found is None:
        raise KeyError(f"unknown ESP encryption {name!r}; known: {', '.join(ENCRYPTION)}")
    return found


def integrity(name: str) -> EspIntegrity:
    """The INTEGRITY entry for a canonical or Wireshark name, in any case; raises KeyError."""
    key = name.strip().lower()
    found = next((i for i in INTEGRITY.values() if key in (i.name.lower(), i.wireshark.lower())), None)
    if found is None:
        raise KeyError(f"unknown ESP integrity algorithm {name!r}; known: {', '.join(INTEGRITY)}")
    return found


@dataclass
class EspSa:
    """One ESP SA.  ``spi`` as a 32-bit number, or None for any (a table's "*"); ``src``/``dst``
    addresses as normalised text (IPv6 compressed, lower case) or None for any; ``ip_version`` the
    address family a table row names (its addresses may be "*"), or None; ``enc_key`` includes the salt/nonce (GCM, CTR);
    ``source`` says where it came from ("QM d6f1b409 of IKE SA #1", "esp_sa:3", ...)."""
    spi: int
    src: str | None
    dst: str | None
    enc: EspEncryption
    enc_key: bytes
    auth: EspIntegrity
    auth_key: bytes
    source: str
    ip_version: int | None = None  # 4 or 6 when a table row names the family with wildcard addresses

    @property
    def icv_bytes(self) -> int:
        return self.enc.icv_bytes if self.enc.mode == "gcm" else self.auth.icv_bytes

    def problem(self) -> str | None:
        """Why the keys cannot work with the algorithms (wrong length), or None."""
        key_len = len(self.enc_key) - self.enc.salt_bytes
        if self.enc.mode != "null" and key_len <= 0:
            return f"{self.enc.name} needs a key{' and a 4-byte salt' if self.enc.salt_bytes else ''}"
        if self.enc.key_bytes and key_len not in self.enc.key_bytes:
            sizes = "/".join(str(8 * n) for n in self.enc.key_bytes) if len(self.enc.key_bytes) < 4 else \
                f"{8 * self.enc.key_bytes[0]} to {8 * self.enc.key_bytes[-1]}"
            salt = f" plus {8 * self.enc.salt_bytes} bits of salt" if self.enc.salt_bytes else ""
            return f"{self.enc.name} key is {8 * key_len} bits; it must be {sizes} bits{salt}"
        if self.auth.hash is not None and not self.auth_key:
            return f"{self.auth.name} needs a key"
        if self.auth.hash is not None and self.auth.key_bytes and len(self.auth_key) != self.auth.key_bytes:
            return (f"{self.auth.name} key is {8 * len(self.auth_key)} bits; it must be "
                    f"{8 * self.auth.key_bytes} bits (RFC 2403, 2404, 4868)")
        return None
