"""Diffie-Hellman groups of IKE: g^x from a private value, g^xy from a peer's KE value.

IKEv1 (RFC 2409 §5) derives its keys from "g^xy", the Diffie-Hellman shared secret,
and carries each side's public value g^x in a Key Exchange (KE) payload.  This
module knows the groups that the IANA "Group Description" registry (IKEv1
attribute 4; the same numbers as IKEv2 transform type 4) assigns to prime-field
groups, and turns a private value into the KE value and into g^xy.

Supported groups (``group(n)``), with where their constants come from:

====  ===========================================  =====================================
 n    group                                        source of p, g (q) / curve
====  ===========================================  =====================================
 1    768-bit MODP                                 RFC 2409 §6.1, g = 2
 2    1024-bit MODP                                RFC 2409 §6.2, g = 2
 5    1536-bit MODP                                RFC 3526 §2, g = 2
 14   2048-bit MODP                                RFC 3526 §3, g = 2
 15   3072-bit MODP                                RFC 3526 §4, g = 2
 16   4096-bit MODP                                RFC 3526 §5, g = 2
 17   6144-bit MODP                                RFC 3526 §6, g = 2
 18   8192-bit MODP                                RFC 3526 §7, g = 2
 22   1024-bit MODP, 160-bit prime-order subgroup  RFC 5114 §2.1 (own g and q)
 23   2048-bit MODP, 224-bit prime-order subgroup  RFC 5114 §2.2 (own g and q)
 24   2048-bit MODP, 256-bit prime-order subgroup  RFC 5114 §2.3 (own g and q)
 19   256-bit random ECP (NIST P-256)              RFC 5903 §3.1 = RFC 5114 §2.6
 20   384-bit random ECP (NIST P-384)              RFC 5903 §3.2 = RFC 5114 §2.7
 21   521-bit random ECP (NIST P-521)              RFC 5903 §3.3 = RFC 5114 §2.8
 25   192-bit random ECP (NIST P-192)              RFC 5114 §2.4
 26   224-bit random ECP (NIST P-224)              RFC 5114 §2.5
 27   224-bit Brainpool ECP (brainpoolP224r1)      RFC 6932 (code point), RFC 5639 §3.3
 28   256-bit Brainpool ECP (brainpoolP256r1)      RFC 6932, RFC 5639 §3.4
 29   384-bit Brainpool ECP (brainpoolP384r1)      RFC 6932, RFC 5639 §3.6
 30   512-bit Brainpool ECP (brainpoolP512r1)      RFC 6932, RFC 5639 §3.7
====  ===========================================  =====================================

Not supported (``group(n)`` raises DhError saying so): the EC2N groups 3 and 4
(RFC 2409 §6.3/§6.4) and 6-13 (binary-field curves), Curve25519/Curve448 (31/32,
RFC 8031, IKEv2 only) and every other number.

Encodings (all values are big-endian byte strings):

* MODP KE value: y = g^x mod p, left-padded with zeros to len(p) bytes
  (RFC 2409 §5: the KE value MUST be the length of the group's prime).
  g^xy = y_peer^x mod p, also left-padded to len(p) bytes (RFC 7296 §2.14; the
  strongSwan lab captures log 128-byte g^xy values for group 2).
* ECP KE value: x | y of the point d*G, each coordinate left-padded to the
  coordinate length ceil(bits(p)/8) -- no 0x04 prefix (RFC 5903 §7; RFC 6932 uses
  the same encoding).  g^xy is the x coordinate alone of d*Q_peer, coordinate-length
  bytes (RFC 5903 §7; §9 records that RFC 4753 used x | y).  RFC 5114 §3.2 sends
  groups 25/26 to RFC 4753's format, which RFC 5903 obsoletes; the x-only rule is
  used for every ECP group here.

Engines: MODP uses Python's ``pow``.  ECP uses the ``cryptography`` package
(OpenSSL) for the curves it has -- SECP192R1, SECP224R1, SECP256R1, SECP384R1,
SECP521R1, BrainpoolP256R1/P384R1/P512R1.  ``cryptography`` has no
brainpoolP224r1, so group 27 uses a small pure-Python short-Weierstrass
implementation (affine/Jacobian double-and-add over the RFC 5639 §3.3 constants);
the same code is the fallback for any curve the installed OpenSSL build refuses
(``UnsupportedAlgorithm``).  The pure-Python path is not constant-time: it is
meant for analysing captures, not for live key exchange.

Validation (peer KE values, RFC 6989 §2 and SP 800-56A style):

* MODP: exact length len(p); 1 < y < p-1; for groups 22-24 also y^q mod p == 1.
* ECP: exact length 2 * coordinate length; both coordinates < p; the point
  satisfies y^2 = x^3 + ax + b (mod p).  Every curve here has cofactor 1, so a
  point on the curve is in the prime-order group; the point at infinity has no
  x | y encoding.
* Private values: non-empty bytes; MODP 0 < x < p-1 (for groups 22-24 an
  exponent >= q is accepted: g has order q, so g^x is still well defined and is
  what the peer computed); ECP 0 < d < n (the group order).

Every failure raises DhError (a ValueError) whose message is one line saying
what is wrong and what was expected.
"""
from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DhError", "DhGroup", "group", "public_value", "shared_secret", "is_valid_public",
           "check_shared_secret"]


class DhError(ValueError):
    """A Diffie-Hellman input was refused; ``str(e)`` is a one-line, user-facing reason (what to fix)."""


@dataclass(frozen=True)
class DhGroup:
    """One IKE Diffie-Hellman group, as returned by ``group(n)``.

    number         IANA group number (IKEv1 Group-Description attribute / IKEv2 transform type 4).
    name           e.g. "1024-bit MODP (group 2)", "256-bit random ECP (group 19)".
    kind           "modp" or "ecp".
    ke_length      bytes of the KE payload value: MODP = len(p); ECP = 2 * coordinate
                   length (x | y, RFC 5903 §7).
    secret_length  bytes of g^xy: MODP = len(p) (left-padded with zeros); ECP = the
                   coordinate length (the x coordinate, RFC 5903 §7).
    """

    number: int
    name: str
    kind: str
    ke_length: int
    secret_length: int


def _h(text: str) -> int:
    """An integer from RFC-style hex text (whitespace between the digit groups is ignored)."""
    return int("".join(text.split()), 16)


@dataclass(frozen=True)
class _Modp:
    p: int
    g: int
    q: int | None  # prime order of g where the RFC gives one (RFC 5114); None for safe primes
    source: str


@dataclass(frozen=True)
class _Curve:
    p: int  # field prime
    a: int
    b: int
    gx: int
    gy: int
    n: int  # order of G (cofactor 1 for every curve here)
    crypto_name: str | None  # attribute of cryptography's ec module, None where it has none
    source: str


# --- MODP groups -------------------------------------------------------------------------

_MODP: dict[int, _Modp] = {
    1: _Modp(p=_h("""
        FFFFFFFF FFFFFFFF C90FDAA2 2168C234 C4C6628B 80DC1CD1
        29024E08 8A67CC74 020BBEA6 3B139B22 514A0879 8E3404DD
        EF9519B3 CD3A431B 302B0A6D F25F1437 4FE1356D 6D51C245
        E485B576 625E7EC6 F44C42E9 A63A3620 FFFFFFFF FFFFFFFF"""),
        g=2, q=None, source="RFC 2409 §6.1"),
    2: _Modp(p=_h("""
        FFFFFFFF FFFFFFFF C90FDAA2 2168C234 C4C6628B 80DC1CD1
        29024E08 8A67CC74 020BBEA6 3B139B22 514A0879 8E3404DD
        EF9519B3 CD3A431B 302B0A6D F25F1437 4FE1356D 6D51C245
        E485B576 625E7EC6 F44C42E9 A637ED6B 0BFF5CB6 F406B7ED
        EE386BFB 5A899FA5 AE9F2411 7C4B1FE6 49286651 ECE65381
        FFFFFFFF FFFFFFFF"""),
        g=2, q=None, source="RFC 2409 §6.2"),
    5: _Modp(p=_h("""
        FFFFFFFF FFFFFFFF C90FDAA2 2168C234 C4C6628B 80DC1CD1
        29024E08 8A67CC74 020BBEA6 3B139B22 514A0879 8E3404DD
        EF9519B3 CD3A431B 302B0A6D F25F1437 4FE1356D 6D51C245
        E485B576 625E7EC6 F44C42E9 A637ED6B 0BFF5CB6 F406B7ED
        EE386BFB 5A899FA5 AE9F2411 7C4B1FE6 49286651 ECE45B3D
        C2007CB8 A163BF05 98DA4836 1C55D39A 69163FA8 FD24CF5F
        83655D23 DCA3AD96 1C62F356 208552BB 9ED52907 7096966D
        670C354E 4ABC9804 F1746C08 CA237327 FFFFFFFF FFFFFFFF"""),
        g=2, q=None, source="RFC 3526 §2"),
    14: _Modp(p=_h("""
        FFFFFFFF FFFFFFFF C90FDAA2 2168C234 C4C6628B 80DC1CD1
        29024E08 8A67CC74 020BBEA6 3B139B22 514A0879 8E3404DD
        EF9519B3 CD3A431B 302B0A6D F25F1437 4FE1356D 6D51C245
        E485B576 625E7EC6 F44C42E9 A637ED6B 0BFF5CB6 F406B7ED
        EE386BFB 5A899FA5 AE9F2411 7C4B1FE6 49286651 ECE45B3D
        C2007CB8 A163BF05 98DA4836 1C55D39A 69163FA8 FD24CF5F
        83655D23 DCA3AD96 1C62F356 208552BB 9ED52907 7096966D
        670C354E 4ABC9804 F1746C08 CA18217C 32905E46 2E36CE3B
        E39E772C 180E8603 9B2783A2 EC07A28F B5C55DF0 6F4C52C9
        DE2BCBF6 95581718 3995497C EA956AE5 15D22618 98FA0510
        15728E5A 8AACAA68 FFFFFFFF FFFFFFFF"""),
        g=2, q=None, source="RFC 3526 §3"),
    15: _Modp(p=_h("""
        FFFFFFFF FFFFFFFF C90FDAA2 2168C234 C4C6628B 80DC1CD1
        29024E08 8A67CC74 020BBEA6 3B139B22 514A0879 8E3404DD
        EF9519B3 CD3A431B 302B0A6D F25F1437 4FE1356D 6D51C245
        E485B576 625E7EC6 F44C42E9 A637ED6B 0BFF5CB6 F406B7ED
        EE386BFB 5A899FA5 AE9F2411 7C4B1FE6 49286651 ECE45B3D
        C2007CB8 A163BF05 98DA4836 1C55D39A 69163FA8 FD24CF5F
        83655D23 DCA3AD96 1C62F356 208552BB 9ED52907 7096966D
        670C354E 4ABC9804 F1746C08 CA18217C 32905E46 2E36CE3B
        E39E772C 180E8603 9B2783A2 EC07A28F B5C55DF0 6F4C52C9
        DE2BCBF6 95581718 3995497C EA956AE5 15D22618 98FA0510
        15728E5A 8AAAC42D AD33170D 04507A33 A85521AB DF1CBA64
        ECFB8504 58DBEF0A 8AEA7157 5D060C7D B3970F85 A6E1E4C7
        ABF5AE8C DB0933D7 1E8C94E0 4A25619D CEE3D226 1AD2EE6B
        F12FFA06 D98A0864 D8760273 3EC86A64 521F2B18 177B200C
        BBE11757 7A615D6C 770988C0 BAD946E2 08E24FA0 74E5AB31
        43DB5BFC E0FD108E 4B82D120 A93AD2CA FFFFFFFF FFFFFFFF"""),
        g=2, q=None, source="RFC 3526 §4"),
    16: _Modp(p=_h("""
        FFFFFFFF FFFFFFFF C90FDAA2 2168C234 C4C6628B 80DC1CD1
        29024E08 8A67CC74 020BBEA6 3B139B22 514A0879 8E3404DD
        EF9519B3 CD3A431B 302B0A6D F25F1437 4FE1356D 6D51C245
        E485B576 625E7EC6 F44C42E9 A637ED6B 0BFF5CB6 F406B7ED
        EE386BFB 5A899FA5 AE9F2411 7C4B1FE6 49286651 ECE45B3D
        C2007CB8 A163BF05 98DA4836 1C55D39A 69163FA8 FD24CF5F
        83655D23 DCA3AD96 1C62F356 208552BB 9ED52907 7096966D
        670C354E 4ABC9804 F1746C08 CA18217C 32905E46 2E36CE3B
        E39E772C 180E8603 9B2783A2 EC07A28F B5C55DF0 6F4C52C9
        DE2BCBF6 95581718 3995497C EA956AE5 15D22618 98FA0510
        15728E5A 8AAAC42D AD33170D 04507A33 A85521AB DF1CBA64
        ECFB8504 58DBEF0A 8AEA7157 5D060C7D B3970F85 A6E1E4C7
        ABF5AE8C DB0933D7 1E8C94E0 4A25619D CEE3D226 1AD2EE6B
        F12FFA06 D98A0864 D8760273 3EC86A64 521F2B18 177B200C
        BBE11757 7A615D6C 770988C0 BAD946E2 08E24FA0 74E5AB31
        43DB5BFC E0FD108E 4B82D120 A9210801 1A723C12 A787E6D7
        88719A10 BDBA5B26 99C32718 6AF4E23C 1A946834 B6150BDA
        2583E9CA 2AD44CE8 DBBBC2DB 04DE8EF9 2E8EFC14 1FBECAA6
        287C5947 4E6BC05D 99B2964F A090C3A2 233BA186 515BE7ED
        1F612970 CEE2D7AF B81BDD76 2170481C D0069127 D5B05AA9
        93B4EA98 8D8FDDC1 86FFB7DC 90A6C08F 4DF435C9 34063199
        FFFFFFFF FFFFFFFF"""),
        g=2, q=None, source="RFC 3526 §5"),
    17: _Modp(p=_h("""
        FFFFFFFF FFFFFFFF C90FDAA2 2168C234 C4C6628B 80DC1CD1 29024E08
        8A67CC74 020BBEA6 3B139B22 514A0879 8E3404DD EF9519B3 CD3A431B
        302B0A6D F25F1437 4FE1356D 6D51C245 E485B576 625E7EC6 F44C42E9
        A637ED6B 0BFF5CB6 F406B7ED EE386BFB 5A899FA5 AE9F2411 7C4B1FE6
        49286651 ECE45B3D C2007CB8 A163BF05 98DA4836 1C55D39A 69163FA8
        FD24CF5F 83655D23 DCA3AD96 1C62F356 208552BB 9ED52907 7096966D
        670C354E 4ABC9804 F1746C08 CA18217C 32905E46 2E36CE3B E39E772C
        180E8603 9B2783A2 EC07A28F B5C55DF0 6F4C52C9 DE2BCBF6 95581718
        3995497C EA956AE5 15D22618 98FA0510 15728E5A 8AAAC42D AD33170D
        04507A33 A85521AB DF1CBA64 ECFB8504 58DBEF0A 8AEA7157 5D060C7D
        B3970F85 A6E1E4C7 ABF5AE8C DB0933D7 1E8C94E0 4A25619D CEE3D226
        1AD2EE6B F12FFA06 D98A0864 D8760273 3EC86A64 521F2B18 177B200C
        BBE11757 7A615D6C 770988C0 BAD946E2 08E24FA0 74E5AB31 43DB5BFC
        E0FD108E 4B82D120 A9210801 1A723C12 A787E6D7 88719A10 BDBA5B26
        99C32718 6AF4E23C 1A946834 B6150BDA 2583E9CA 2AD44CE8 DBBBC2DB
        04DE8EF9 2E8EFC14 1FBECAA6 287C5947 4E6BC05D 99B2964F A090C3A2
        233BA186 515BE7ED 1F612970 CEE2D7AF B81BDD76 2170481C D0069127
        D5B05AA9 93B4EA98 8D8FDDC1 86FFB7DC 90A6C08F 4DF435C9 34028492
        36C3FAB4 D27C7026 C1D4DCB2 602646DE C9751E76 3DBA37BD F8FF9406
        AD9E530E E5DB382F 413001AE B06A53ED 9027D831 179727B0 865A8918
        DA3EDBEB CF9B14ED 44CE6CBA CED4BB1B DB7F1447 E6CC254B 33205151
        2BD7AF42 6FB8F401 378CD2BF 5983CA01 C64B92EC F032EA15 D1721D03
        F482D7CE 6E74FEF6 D55E702F 46980C82 B5A84031 900B1C9E 59E7C97F
        BEC7E8F3 23A97A7E 36CC88BE 0F1D45B7 FF585AC5 4BD407B2 2B4154AA
        CC8F6D7E BF48E1D8 14CC5ED2 0F8037E0 A79715EE F29BE328 06A1D58B
        B7C5DA76 F550AA3D 8A1FBFF0 EB19CCB1 A313D55C DA56C9EC 2EF29632
        387FE8D7 6E3C0468 043E8F66 3F4860EE 12BF2D5B 0B7474D6 E694F91E
        6DCC4024 FFFFFFFF FFFFFFFF"""),
        g=2, q=None, source="RFC 3526 §6"),
    18: _Modp(p=_h("""
        FFFFFFFF FFFFFFFF C90FDAA2 2168C234 C4C6628B 80DC1CD1
        29024E08 8A67CC74 020BBEA6 3B139B22 514A0879 8E3404DD
        EF9519B3 CD3A431B 302B0A6D F25F1437 4FE1356D 6D51C245
        E485B576 625E7EC6 F44C42E9 A637ED6B 0BFF5CB6 F406B7ED
        EE386BFB 5A899FA5 AE9F2411 7C4B1FE6 49286651 ECE45B3D
        C2007CB8 A163BF05 98DA4836 1C55D39A 69163FA8 FD24CF5F
        83655D23 DCA3AD96 1C62F356 208552BB 9ED52907 7096966D
        670C354E 4ABC9804 F1746C08 CA18217C 32905E46 2E36CE3B
        E39E772C 180E8603 9B2783A2 EC07A28F B5C55DF0 6F4C52C9
        DE2BCBF6 95581718 3995497C EA956AE5 15D22618 98FA0510
        15728E5A 8AAAC42D AD33170D 04507A33 A85521AB DF1CBA64
        ECFB8504 58DBEF0A 8AEA7157 5D060C7D B3970F85 A6E1E4C7
        ABF5AE8C DB0933D7 1E8C94E0 4A25619D CEE3D226 1AD2EE6B
        F12FFA06 D98A0864 D8760273 3EC86A64 521F2B18 177B200C
        BBE11757 7A615D6C 770988C0 BAD946E2 08E24FA0 74E5AB31
        43DB5BFC E0FD108E 4B82D120 A9210801 1A723C12 A787E6D7
        88719A10 BDBA5B26 99C32718 6AF4E23C 1A946834 B6150BDA
        2583E9CA 2AD44CE8 DBBBC2DB 04DE8EF9 2E8EFC14 1FBECAA6
        287C5947 4E6BC05D 99B2964F A090C3A2 233BA186 515BE7ED
        1F612970 CEE2D7AF B81BDD76 2170481C D0069127 D5B05AA9
        93B4EA98 8D8FDDC1 86FFB7DC 90A6C08F 4DF435C9 34028492
        36C3FAB4 D27C7026 C1D4DCB2 602646DE C9751E76 3DBA37BD
        F8FF9406 AD9E530E E5DB382F 413001AE B06A53ED 9027D831
        179727B0 865A8918 DA3EDBEB CF9B14ED 44CE6CBA CED4BB1B
        DB7F1447 E6CC254B 33205151 2BD7AF42 6FB8F401 378CD2BF
        5983CA01 C64B92EC F032EA15 D1721D03 F482D7CE 6E74FEF6
        D55E702F 46980C82 B5A84031 900B1C9E 59E7C97F BEC7E8F3
        23A97A7E 36CC88BE 0F1D45B7 FF585AC5 4BD407B2 2B4154AA
        CC8F6D7E BF48E1D8 14CC5ED2 0F8037E0 A79715EE F29BE328
        06A1D58B B7C5DA76 F550AA3D 8A1FBFF0 EB19CCB1 A313D55C
        DA56C9EC 2EF29632 387FE8D7 6E3C0468 043E8F66 3F4860EE
        12BF2D5B 0B7474D6 E694F91E 6DBE1159 74A3926F 12FEE5E4
        38777CB6 A932DF8C D8BEC4D0 73B931BA 3BC832B6 8D9DD300
        741FA7BF 8AFC47ED 2576F693 6BA42466 3AAB639C 5AE4F568
        3423B474 2BF1C978 238F16CB E39D652D E3FDB8BE FC848AD9
        22222E04 A4037C07 13EB57A8 1A23F0C7 3473FC64 6CEA306B
        4BCBC886 2F8385DD FA9D4B7F A2C087E8 79683303 ED5BDD3A
        062B3CF5 B3A278A6 6D2A13F8 3F44F82D DF310EE0 74AB6A36
        4597E899 A0255DC1 64F31CC5 0846851D F9AB4819 5DED7EA1
        B1D510BD 7EE74D73 FAF36BC3 1ECFA268 359046F4 EB879F92
        4009438B 481C6CD7 889A002E D5EE382B C9190DA6 FC026E47
        9558E447 5677E9AA 9E3050E2 765694DF C81F56E8 80B96E71
        60C980DD 98EDD3DF FFFFFFFF FFFFFFFF"""),
        g=2, q=None, source="RFC 3526 §7"),
    22: _Modp(
        p=_h("""
        B10B8F96 A080E01D DE92DE5E AE5D54EC 52C99FBC FB06A3C6
        9A6A9DCA 52D23B61 6073E286 75A23D18 9838EF1E 2EE652C0
        13ECB4AE A9061123 24975C3C D49B83BF ACCBDD7D 90C4BD70
        98488E9C 219A7372 4EFFD6FA E5644738 FAA31A4F F55BCCC0
        A151AF5F 0DC8B4BD 45BF37DF 365C1A65 E68CFDA7 6D4DA708
        DF1FB2BC 2E4A4371"""),
        g=_h("""
        A4D1CBD5 C3FD3412 6765A442 EFB99905 F8104DD2 58AC507F
        D6406CFF 14266D31 266FEA1E 5C41564B 777E690F 5504F213
        160217B4 B01B886A 5E91547F 9E2749F4 D7FBD7D3 B9A92EE1
        909D0D22 63F80A76 A6A24C08 7A091F53 1DBF0A01 69B6A28A
        D662A4D1 8E73AFA3 2D779D59 18D08BC8 858F4DCE F97C2A24
        855E6EEB 22B3B2E5"""),
        q=_h("F518AA87 81A8DF27 8ABA4E7D 64B7CB9D 49462353"),
        source="RFC 5114 §2.1"),
    23: _Modp(
        p=_h("""
        AD107E1E 9123A9D0 D660FAA7 9559C51F A20D64E5 683B9FD1
        B54B1597 B61D0A75 E6FA141D F95A56DB AF9A3C40 7BA1DF15
        EB3D688A 309C180E 1DE6B85A 1274A0A6 6D3F8152 AD6AC212
        9037C9ED EFDA4DF8 D91E8FEF 55B7394B 7AD5B7D0 B6C12207
        C9F98D11 ED34DBF6 C6BA0B2C 8BBC27BE 6A00E0A0 B9C49708
        B3BF8A31 70918836 81286130 BC8985DB 1602E714 415D9330
        278273C7 DE31EFDC 7310F712 1FD5A074 15987D9A DC0A486D
        CDF93ACC 44328387 315D75E1 98C641A4 80CD86A1 B9E587E8
        BE60E69C C928B2B9 C52172E4 13042E9B 23F10B0E 16E79763
        C9B53DCF 4BA80A29 E3FB73C1 6B8E75B9 7EF363E2 FFA31F71
        CF9DE538 4E71B81C 0AC4DFFE 0C10E64F"""),
        g=_h("""
        AC4032EF 4F2D9AE3 9DF30B5C 8FFDAC50 6CDEBE7B 89998CAF
        74866A08 CFE4FFE3 A6824A4E 10B9A6F0 DD921F01 A70C4AFA
        AB739D77 00C29F52 C57DB17C 620A8652 BE5E9001 A8D66AD7
        C1766910 1999024A F4D02727 5AC1348B B8A762D0 521BC98A
        E2471504 22EA1ED4 09939D54 DA7460CD B5F6C6B2 50717CBE
        F180EB34 118E98D1 19529A45 D6F83456 6E3025E3 16A330EF
        BB77A86F 0C1AB15B 051AE3D4 28C8F8AC B70A8137 150B8EEB
        10E183ED D19963DD D9E263E4 770589EF 6AA21E7F 5F2FF381
        B539CCE3 409D13CD 566AFBB4 8D6C0191 81E1BCFE 94B30269
        EDFE72FE 9B6AA4BD 7B5A0F1C 71CFFF4C 19C418E1 F6EC0179
        81BC087F 2A7065B3 84B890D3 191F2BFA"""),
        q=_h("801C0D34 C58D93FE 99717710 1F80535A 4738CEBC BF389A99 B36371EB"),
        source="RFC 5114 §2.2"),
    24: _Modp(
        p=_h("""
        87A8E61D B4B6663C FFBBD19C 65195999 8CEEF608 660DD0F2
        5D2CEED4 435E3B00 E00DF8F1 D61957D4 FAF7DF45 61B2AA30
        16C3D911 34096FAA 3BF4296D 830E9A7C 209E0C64 97517ABD
        5A8A9D30 6BCF67ED 91F9E672 5B4758C0 22E0B1EF 4275BF7B
        6C5BFC11 D45F9088 B941F54E B1E59BB8 BC39A0BF 12307F5C
        4FDB70C5 81B23F76 B63ACAE1 CAA6B790 2D525267 35488A0E
        F13C6D9A 51BFA4AB 3AD83477 96524D8E F6A167B5 A41825D9
        67E144E5 14056425 1CCACB83 E6B486F6 B3CA3F79 71506026
        C0B857F6 89962856 DED4010A BD0BE621 C3A3960A 54E710C3
        75F26375 D7014103 A4B54330 C198AF12 6116D227 6E11715F
        693877FA D7EF09CA DB094AE9 1E1A1597"""),
        g=_h("""
        3FB32C9B 73134D0B 2E775066 60EDBD48 4CA7B18F 21EF2054
        07F4793A 1A0BA125 10DBC150 77BE463F FF4FED4A AC0BB555
        BE3A6C1B 0C6B47B1 BC3773BF 7E8C6F62 901228F8 C28CBB18
        A55AE313 41000A65 0196F931 C77A57F2 DDF463E5 E9EC144B
        777DE62A AAB8A862 8AC376D2 82D6ED38 64E67982 428EBC83
        1D14348F 6F2F9193 B5045AF2 767164E1 DFC967C1 FB3F2E55
        A4BD1BFF E83B9C80 D052B985 D182EA0A DB2A3B73 13D3FE14
        C8484B1E 052588B9 B7D2BBD2 DF016199 ECD06E15 57CD0915
        B3353BBB 64E0EC37 7FD02837 0DF92B52 C7891428 CDC67EB6
        184B523D 1DB246C3 2F630784 90F00EF8 D647D148 D4795451
        5E2327CF EF98C582 664B4C0F 6CC41659"""),
        q=_h("8CF83642 A709A097 B4479976 40129DA2 99B1A47D 1EB3750B A308B0FE 64F5FBD3"),
        source="RFC 5114 §2.3"),
}

# --- ECP groups --------------------------------------------------------------------------

_P192 = _h("FFFFFFFF FFFFFFFF FFFFFFFF FFFFFFFE FFFFFFFF FFFFFFFF")
_P224 = _h("FFFFFFFF FFFFFFFF FFFFFFFF FFFFFFFF 00000000 00000000 00000001")
_P256 = _h("FFFFFFFF 00000001 00000000 00000000 00000000 FFFFFFFF FFFFFFFF FFFFFFFF")
_P384 = _h("""FFFFFFFF FFFFFFFF FFFFFFFF FFFFFFFF FFFFFFFF FFFFFFFF
              FFFFFFFF FFFFFFFE FFFFFFFF 00000000 00000000 FFFFFFFF""")
_P521 = (1 << 521) - 1

_CURVES: dict[int, _Curve] = {
    19: _Curve(
        p=_P256, a=_P256 - 3,
        b=_h("5AC635D8 AA3A93E7 B3EBBD55 769886BC 651D06B0 CC53B0F6 3BCE3C3E 27D2604B"),
        gx=_h("6B17D1F2 E12C4247 F8BCE6E5 63A440F2 77037D81 2DEB33A0 F4A13945 D898C296"),
        gy=_h("4FE342E2 FE1A7F9B 8EE7EB4A 7C0F9E16 2BCE3357 6B315ECE CBB64068 37BF51F5"),
        n=_h("FFFFFFFF 00000000 FFFFFFFF FFFFFFFF BCE6FAAD A7179E84 F3B9CAC2 FC632551"),
        crypto_name="SECP256R1", source="RFC 5903 §3.1 / RFC 5114 §2.6"),
    20: _Curve(
        p=_P384, a=_P384 - 3,
        b=_h("""B3312FA7 E23EE7E4 988E056B E3F82D19 181D9C6E FE814112
                0314088F 5013875A C656398D 8A2ED19D 2A85C8ED D3EC2AEF"""),
        gx=_h("""AA87CA22 BE8B0537 8EB1C71E F320AD74 6E1D3B62 8BA79B98
                 59F741E0 82542A38 5502F25D BF55296C 3A545E38 72760AB7"""),
        gy=_h("""3617DE4A 96262C6F 5D9E98BF 9292DC29 F8F41DBD 289A147C
                 E9DA3113 B5F0B8C0 0A60B1CE 1D7E819D 7A431D7C 90EA0E5F"""),
        n=_h("""FFFFFFFF FFFFFFFF FFFFFFFF FFFFFFFF FFFFFFFF FFFFFFFF
                C7634D81 F4372DDF 581A0DB2 48B0A77A ECEC196A CCC52973"""),
        crypto_name="SECP384R1", source="RFC 5903 §3.2 / RFC 5114 §2.7"),
    21: _Curve(
        p=_P521, a=_P521 - 3,
        b=_h("""00000051 953EB961 8E1C9A1F 929A21A0 B68540EE A2DA725B
                99B315F3 B8B48991 8EF109E1 56193951 EC7E937B 1652C0BD
                3BB1BF07 3573DF88 3D2C34F1 EF451FD4 6B503F00"""),
        gx=_h("""000000C6 858E06B7 0404E9CD 9E3ECB66 2395B442 9C648139
                 053FB521 F828AF60 6B4D3DBA A14B5E77 EFE75928 FE1DC127
                 A2FFA8DE 3348B3C1 856A429B F97E7E31 C2E5BD66"""),
        gy=_h("""00000118 39296A78 9A3BC004 5C8A5FB4 2C7D1BD9 98F54449
                 579B4468 17AFBD17 273E662C 97EE7299 5EF42640 C550B901
                 3FAD0761 353C7086 A272C240 88BE9476 9FD16650"""),
        n=_h("""000001FF FFFFFFFF FFFFFFFF FFFFFFFF FFFFFFFF FFFFFFFF
                FFFFFFFF FFFFFFFF FFFFFFFA 51868783 BF2F966B 7FCC0148
                F709A5D0 3BB5C9B8 899C47AE BB6FB71E 91386409"""),
        crypto_name="SECP521R1", source="RFC 5903 §3.3 / RFC 5114 §2.8"),
    25: _Curve(
        p=_P192, a=_P192 - 3,
        b=_h("64210519 E59C80E7 0FA7E9AB 72243049 FEB8DEEC C146B9B1"),
        gx=_h("188DA80E B03090F6 7CBF20EB 43A18800 F4FF0AFD 82FF1012"),
        gy=_h("07192B95 FFC8DA78 631011ED 6B24CDD5 73F977A1 1E794811"),
        n=_h("FFFFFFFF FFFFFFFF FFFFFFFF 99DEF836 146BC9B1 B4D22831"),
        crypto_name="SECP192R1", source="RFC 5114 §2.4"),
    26: _Curve(
        p=_P224, a=_h("FFFFFFFF FFFFFFFF FFFFFFFF FFFFFFFE FFFFFFFF FFFFFFFF FFFFFFFE"),
        b=_h("B4050A85 0C04B3AB F5413256 5044B0B7 D7BFD8BA 270B3943 2355FFB4"),
        gx=_h("B70E0CBD 6BB4BF7F 321390B9 4A03C1D3 56C21122 343280D6 115C1D21"),
        gy=_h("BD376388 B5F723FB 4C22DFE6 CD4375A0 5A074764 44D58199 85007E34"),
        n=_h("FFFFFFFF FFFFFFFF FFFFFFFF FFFF16A2 E0B8F03E 13DD2945 5C5C2A3D"),
        crypto_name="SECP224R1", source="RFC 5114 §2.5"),
    27: _Curve(
        p=_h("D7C134AA 26436686 2A183025 75D1D787 B09F0757 97DA89F5 7EC8C0FF"),
        a=_h("68A5E62C A9CE6C1C 299803A6 C1530B51 4E182AD8 B0042A59 CAD29F43"),
        b=_h("2580F63C CFE44138 870713B1 A92369E3 3E2135D2 66DBB372 386C400B"),
        gx=_h("0D9029AD 2C7E5CF4 340823B2 A87DC68C 9E4CE317 4C1E6EFD EE12C07D"),
        gy=_h("58AA56F7 72C0726F 24C6B89E 4ECDAC24 354B9E99 CAA3F6D3 761402CD"),
        n=_h("D7C134AA 26436686 2A183025 75D0FB98 D116BC4B 6DDEBCA3 A5A7939F"),
        crypto_name=None, source="RFC 5639 §3.3 (brainpoolP224r1)"),
    28: _Curve(
        p=_h("A9FB57DB A1EEA9BC 3E660A90 9D838D72 6E3BF623 D5262028 2013481D 1F6E5377"),
        a=_h("7D5A0975 FC2C3057 EEF67530 417AFFE7 FB8055C1 26DC5C6C E94A4B44 F330B5D9"),
        b=_h("26DC5C6C E94A4B44 F330B5D9 BBD77CBF 95841629 5CF7E1CE 6BCCDC18 FF8C07B6"),
        gx=_h("8BD2AEB9 CB7E57CB 2C4B482F FC81B7AF B9DE27E1 E3BD23C2 3A4453BD 9ACE3262"),
        gy=_h("547EF835 C3DAC4FD 97F8461A 14611DC9 C2774513 2DED8E54 5C1D54C7 2F046997"),
        n=_h("A9FB57DB A1EEA9BC 3E660A90 9D838D71 8C397AA3 B561A6F7 901E0E82 974856A7"),
        crypto_name="BrainpoolP256R1", source="RFC 5639 §3.4 (brainpoolP256r1)"),
    29: _Curve(
        p=_h("""8CB91E82 A3386D28 0F5D6F7E 50E641DF 152F7109 ED5456B4
                12B1DA19 7FB71123 ACD3A729 901D1A71 87470013 3107EC53"""),
        a=_h("""7BC382C6 3D8C150C 3C72080A CE05AFA0 C2BEA28E 4FB22787
                139165EF BA91F90F 8AA5814A 503AD4EB 04A8C7DD 22CE2826"""),
        b=_h("""04A8C7DD 22CE2826 8B39B554 16F0447C 2FB77DE1 07DCD2A6
                2E880EA5 3EEB62D5 7CB43902 95DBC994 3AB78696 FA504C11"""),
        gx=_h("""1D1C64F0 68CF45FF A2A63A81 B7C13F6B 8847A3E7 7EF14FE3
                 DB7FCAFE 0CBD10E8 E826E034 36D646AA EF87B2E2 47D4AF1E"""),
        gy=_h("""8ABE1D75 20F9C2A4 5CB1EB8E 95CFD552 62B70B29 FEEC5864
                 E19C054F F9912928 0E464621 77918111 42820341 263C5315"""),
        n=_h("""8CB91E82 A3386D28 0F5D6F7E 50E641DF 152F7109 ED5456B3
                1F166E6C AC0425A7 CF3AB6AF 6B7FC310 3B883202 E9046565"""),
        crypto_name="BrainpoolP384R1", source="RFC 5639 §3.6 (brainpoolP384r1)"),
    30: _Curve(
        p=_h("""AADD9DB8 DBE9C48B 3FD4E6AE 33C9FC07 CB308DB3 B3C9D20E
                D6639CCA 70330871 7D4D9B00 9BC66842 AECDA12A E6A380E6
                2881FF2F 2D82C685 28AA6056 583A48F3"""),
        a=_h("""7830A331 8B603B89 E2327145 AC234CC5 94CBDD8D 3DF91610
                A83441CA EA9863BC 2DED5D5A A8253AA1 0A2EF1C9 8B9AC8B5
                7F1117A7 2BF2C7B9 E7C1AC4D 77FC94CA"""),
        b=_h("""3DF91610 A83441CA EA9863BC 2DED5D5A A8253AA1 0A2EF1C9
                8B9AC8B5 7F1117A7 2BF2C7B9 E7C1AC4D 77FC94CA DC083E67
                984050B7 5EBAE5DD 2809BD63 8016F723"""),
        gx=_h("""81AEE4BD D82ED964 5A21322E 9C4C6A93 85ED9F70 B5D916C1
                 B43B62EE F4D0098E FF3B1F78 E2D0D48D 50D1687B 93B97D5F
                 7C6D5047 406A5E68 8B352209 BCB9F822"""),
        gy=_h("""7DDE385D 566332EC C0EABFA9 CF7822FD F209F700 24A57B1A
                 A000C55B 881F8111 B2DCDE49 4A5F485E 5BCA4BD8 8A2763AE
                 D1CA2B2F A8F05406 78CD1E0F 3AD80892"""),
        n=_h("""AADD9DB8 DBE9C48B 3FD4E6AE 33C9FC07 CB308DB3 B3C9D20E
                D6639CCA 70330870 553E5C41 4CA92619 41866119 7FAC1047
                1DB1D381 085DDADD B5879682 9CA90069"""),
        crypto_name="BrainpoolP512R1", source="RFC 5639 §3.7 (brainpoolP512r1)"),
}

_NAMES: dict[int, str] = {
    1: "768-bit MODP", 2: "1024-bit MODP", 5: "1536-bit MODP", 14: "2048-bit MODP",
    15: "3072-bit MODP", 16: "4096-bit MODP", 17: "6144-bit MODP", 18: "8192-bit MODP",
    22: "1024-bit MODP with 160-bit prime-order subgroup",
    23: "2048-bit MODP with 224-bit prime-order subgroup",
    24: "2048-bit MODP with 256-bit prime-order subgroup",
    19: "256-bit random ECP", 20: "384-bit random ECP", 21: "521-bit random ECP",
    25: "192-bit random ECP", 26: "224-bit random ECP",
    27: "224-bit Brainpool ECP", 28: "256-bit Brainpool ECP",
    29: "384-bit Brainpool ECP", 30: "512-bit Brainpool ECP",
}

# Registered numbers this module deliberately does not implement, with the reason shown to the user.
_UNSUPPORTED: dict[int, str] = {
    3: "group 3 is the 155-bit EC2N group (RFC 2409 §6.3), a binary-field curve; not supported",
    4: "group 4 is the 185-bit EC2N group (RFC 2409 §6.4), a binary-field curve; not supported",
    31: "group 31 is Curve25519 (RFC 8031, IKEv2 only); not supported",
    32: "group 32 is Curve448 (RFC 8031, IKEv2 only); not supported",
}
for _n in range(6, 14):
    _UNSUPPORTED[_n] = (f"group {_n} is an EC2N (binary-field elliptic curve) group of the IKEv1 "
                        "registry; not supported")
del _n


def _byte_len(v: int) -> int:
    return (v.bit_length() + 7) // 8


def _make_group(number: int) -> DhGroup:
    name = f"{_NAMES[number]} (group {number})"
    if number in _MODP:
        plen = _byte_len(_MODP[number].p)
        return DhGroup(number, name, "modp", plen, plen)
    clen = _byte_len(_CURVES[number].p)
    return DhGroup(number, name, "ecp", 2 * clen, clen)


_GROUPS: dict[int, DhGroup] = {n: _make_group(n) for n in sorted({*_MODP, *_CURVES})}


def group(number: int) -> DhGroup:
    """The DhGroup for IANA group ``number`` (an int, e.g. the IKEv1 Group-Description value).

    Raises DhError for a number that is not an int, an unknown or reserved number,
    or a registered group this module does not implement (EC2N 3, 4, 6-13;
    Curve25519/448 31, 32): the message names the group and says it is unsupported.
    """
    if isinstance(number, bool) or not isinstance(number, int):
        raise DhError(f"DH group number must be an int, got {type(number).__name__}")
    found = _GROUPS.get(number)
    if found is not None:
        return found
    if number in _UNSUPPORTED:
        raise DhError(_UNSUPPORTED[number])
    supported = ", ".join(str(n) for n in _GROUPS)
    raise DhError(f"unknown Diffie-Hellman group {number}; supported groups are {supported}")


def _params(grp: DhGroup) -> _Modp | _Curve:
    if not isinstance(grp, DhGroup):
        raise DhError(f"expected a DhGroup from dhgroups.group(), got {type(grp).__name__}")
    known = _GROUPS.get(grp.number)
    if known != grp:
        raise DhError(f"{grp.name!r} does not match dhgroups.group({grp.number}); use group() to get a DhGroup")
    return _MODP[grp.number] if grp.kind == "modp" else _CURVES[grp.number]


def _as_bytes(value: object, what: str) -> bytes:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    raise DhError(f"{what} must be bytes, got {type(value).__name__}")


def _private_int(grp: DhGroup, params: _Modp | _Curve, private: object) -> int:
    raw = _as_bytes(private, "private value")
    if not raw:
        raise DhError("private value is empty")
    x = int.from_bytes(raw, "big")
    if isinstance(params, _Modp):
        if x == 0 or x >= params.p - 1:
            raise DhError(f"private value is 0 or not below p-1 of the {grp.name}")
    elif x == 0 or x >= params.n:
        raise DhError(f"private value is 0 or not below the group order of the {grp.name} curve")
    return x


def _check_public(grp: DhGroup, params: _Modp | _Curve, peer_public: object) -> tuple[int, ...]:
    """Validate a peer KE value; returns (y,) for MODP, (x, y) for ECP; raises DhError."""
    raw = _as_bytes(peer_public, "KE value")
    if len(raw) != grp.ke_length:
        hint = ""
        if grp.kind == "ecp" and len(raw) == grp.ke_length + 1 and raw[:1] == b"\x04":
            hint = " (x | y without the 0x04 prefix, RFC 5903 §7)"
        raise DhError(f"KE value has {len(raw)} bytes; group {grp.number} needs {grp.ke_length}{hint}")
    if isinstance(params, _Modp):
        y = int.from_bytes(raw, "big")
        if not 1 < y < params.p - 1:
            raise DhError(f"KE value is not in the range 1 < y < p-1 of the {grp.name} (RFC 6989 §2)")
        if params.q is not None and pow(y, params.q, params.p) != 1:
            raise DhError(f"KE value is not in the prime-order subgroup of the {grp.name}: y^q mod p != 1 "
                          "(RFC 6989 §2)")
        return (y,)
    clen = grp.secret_length
    x = int.from_bytes(raw[:clen], "big")
    y = int.from_bytes(raw[clen:], "big")
    p = params.p
    if x >= p or y >= p:
        raise DhError(f"KE value has a coordinate not below the field prime of the {grp.name} curve")
    if (y * y - (x * x * x + params.a * x + params.b)) % p:
        raise DhError(f"KE value is not a point on the {grp.name} curve")
    return (x, y)


def is_valid_public(grp: DhGroup, peer_public: bytes) -> bool:
    """True if ``peer_public`` (the KE payload data, bytes) is a valid public value of ``grp``.

    The checks are those listed in the module docstring (exact length, range, subgroup
    for groups 22-24, on-curve for ECP).  Never raises for a bad value; raises DhError
    only if ``grp`` is not a DhGroup from ``group()``.
    """
    params = _params(grp)
    try:
        _check_public(grp, params, peer_public)
    except DhError:
        return False
    return True


# --- elliptic-curve arithmetic ---------------------------------------------------------

def _crypto_curve(params: _Curve):
    """cryptography's curve object for ``params``, or None where it has none."""
    if params.crypto_name is None:
        return None
    from cryptography.hazmat.primitives.asymmetric import ec
    return getattr(ec, params.crypto_name)()


def _jacobian_double(pt, c: _Curve):
    x1, y1, z1 = pt
    if not y1 or not z1:
        return (0, 1, 0)
    p = c.p
    ysq = y1 * y1 % p
    s = 4 * x1 * ysq % p
    z2 = z1 * z1 % p
    m = (3 * x1 * x1 + c.a * z2 * z2) % p
    x3 = (m * m - 2 * s) % p
    y3 = (m * (s - x3) - 8 * ysq * ysq) % p
    z3 = 2 * y1 * z1 % p
    return (x3, y3, z3)


def _jacobian_add(p1, p2, c: _Curve):
    x1, y1, z1 = p1
    x2, y2, z2 = p2
    if not z1:
        return p2
    if not z2:
        return p1
    p = c.p
    z1s, z2s = z1 * z1 % p, z2 * z2 % p
    u1, u2 = x1 * z2s % p, x2 * z1s % p
    s1, s2 = y1 * z2s * z2 % p, y2 * z1s * z1 % p
    if u1 == u2:
        return _jacobian_double(p1, c) if s1 == s2 else (0, 1, 0)
    h, r = (u2 - u1) % p, (s2 - s1) % p
    h2 = h * h % p
    h3 = h * h2 % p
    u1h2 = u1 * h2 % p
    x3 = (r * r - h3 - 2 * u1h2) % p
    y3 = (r * (u1h2 - x3) - s1 * h3) % p
    z3 = h * z1 * z2 % p
    return (x3, y3, z3)


def _scalar_mult(k: int, x: int, y: int, c: _Curve) -> tuple[int, int] | None:
    """k * (x, y) on curve ``c`` in pure Python; None for the point at infinity (not constant-time)."""
    acc = (0, 1, 0)
    base = (x, y, 1)
    for bit in bin(k)[2:]:
        acc = _jacobian_double(acc, c)
        if bit == "1":
            acc = _jacobian_add(acc, base, c)
    xj, yj, zj = acc
    if not zj:
        return None
    zi = pow(zj, -1, c.p)
    zi2 = zi * zi % c.p
    return (xj * zi2 % c.p, yj * zi2 * zi % c.p)


def _ecp_public(grp: DhGroup, c: _Curve, d: int) -> bytes:
    clen = grp.secret_length
    curve = _crypto_curve(c)
    if curve is not None:
        from cryptography.exceptions import UnsupportedAlgorithm
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
        try:
            key = ec.derive_private_key(d, curve)
            return key.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)[1:]
        except UnsupportedAlgorithm:
            pass  # this OpenSSL build lacks the curve: use the pure-Python path below
    point = _scalar_mult(d, c.gx, c.gy, c)
    assert point is not None  # 0 < d < n and G has order n
    return point[0].to_bytes(clen, "big") + point[1].to_bytes(clen, "big")


def _ecp_shared(grp: DhGroup, c: _Curve, d: int, qx: int, qy: int, raw: bytes) -> bytes:
    clen = grp.secret_length
    curve = _crypto_curve(c)
    if curve is not None:
        from cryptography.exceptions import UnsupportedAlgorithm
        from cryptography.hazmat.primitives.asymmetric import ec
        try:
            key = ec.derive_private_key(d, curve)
            peer = ec.EllipticCurvePublicKey.from_encoded_point(curve, b"\x04" + raw)
            secret = key.exchange(ec.ECDH(), peer)
            return secret.rjust(clen, b"\x00")
        except UnsupportedAlgorithm:
            pass
        except ValueError as exc:  # already validated above; kept so nothing escapes as a bare ValueError
            raise DhError(f"KE value was refused by the ECDH engine for the {grp.name}: {exc}") from None
    point = _scalar_mult(d, qx, qy, c)
    if point is None:  # impossible for a validated point on a prime-order curve with 0 < d < n
        raise DhError(f"the shared point is the point at infinity on the {grp.name} curve")
    return point[0].to_bytes(clen, "big")


# --- public API --------------------------------------------------------------------------

def public_value(grp: DhGroup, private: bytes) -> bytes:
    """g^x as it appears in the KE payload: exactly ``grp.ke_length`` bytes.

    ``private`` is the private value as big-endian bytes (leading zeros allowed):
    the exponent x for MODP (0 < x < p-1), the scalar d for ECP (0 < d < n).
    MODP: g^x mod p left-padded to len(p) (RFC 2409 §5).  ECP: x | y of d*G, each
    coordinate-length bytes (RFC 5903 §7).  Raises DhError for a bad group or
    private value.
    """
    params = _params(grp)
    x = _private_int(grp, params, private)
    if isinstance(params, _Modp):
        return pow(params.g, x, params.p).to_bytes(grp.ke_length, "big")
    return _ecp_public(grp, params, x)


def shared_secret(grp: DhGroup, private: bytes, peer_public: bytes) -> bytes:
    """g^xy (RFC 2409 §5) from our private value and the peer's KE payload data.

    ``private``: big-endian bytes, as for public_value().  ``peer_public``: the peer's
    KE value, exactly ``grp.ke_length`` bytes.  Returns exactly ``grp.secret_length``
    bytes: MODP y^x mod p left-padded to len(p) (RFC 7296 §2.14); ECP the x
    coordinate of d*Q (RFC 5903 §7).  Raises DhError for a bad group, private value
    or peer value (wrong length, out of range, not in the subgroup, not on the curve).
    """
    params = _params(grp)
    x = _private_int(grp, params, private)
    checked = _check_public(grp, params, peer_public)
    if isinstance(params, _Modp):
        return pow(checked[0], x, params.p).to_bytes(grp.secret_length, "big")
    return _ecp_shared(grp, params, x, checked[0], checked[1], bytes(peer_public))


#: A g^xy given by hand may have lost its leading zero bytes (printed as a number); more
#: than this many missing bytes (a chance of 2^-64) means it was cut short.
MAX_STRIPPED_ZEROS = 8


def check_shared_secret(grp: DhGroup, gxy: bytes) -> bytes:
    """A g^xy given by the user, as the key schedule needs it: ``grp.secret_length`` bytes.

    Shorter values are left-padded with zeros (RFC 2409 §5 computes with g^xy padded to
    the group's length; a value printed as a number loses its leading zeros), and extra
    leading zero bytes are dropped.  Raises
    DhError when it is longer than the group's, more than MAX_STRIPPED_ZEROS bytes
    short, or outside the group (MODP: 1 < g^xy < p-1; ECP: an x coordinate below p).
    """
    params = _params(grp)
    raw = _as_bytes(gxy, "g^xy")
    if len(raw) > grp.secret_length:  # extra leading zero bytes change nothing
        raw = raw[:len(raw) - grp.secret_length].lstrip(b"\x00") + raw[len(raw) - grp.secret_length:]
    what = f"g^xy has {len(raw)} byte{'s' if len(raw) != 1 else ''}, but the {grp.name} gives {grp.secret_length}"
    if len(raw) > grp.secret_length:
        raise DhError(f"{what}: is it the value of another group, or a KE value (g^x)?")
    if len(raw) < grp.secret_length - MAX_STRIPPED_ZEROS:
        raise DhError(f"{what}: it looks cut short; give the whole shared secret")
    v = int.from_bytes(raw, "big")
    if isinstance(params, _Modp):
        if v <= 1 or v >= params.p - 1:
            raise DhError(f"g^xy is {'0 or 1' if v <= 1 else 'p-1 or more'}: not a shared secret of the {grp.name}")
    elif v >= params.p:
        raise DhError(f"g^xy is not below p of the {grp.name} curve: not an x coordinate")
    return raw.rjust(grp.secret_length, b"\x00")

