"""Known ESP SAs read from tables, for captures without their IKE exchange.

:func:`parse_esp_sas` reads the text of a file into :class:`~dissect.espsa.EspSa`
objects; it recognises each format by *content*, line by line, so one file may
mix them.  :func:`looks_like_esp_table` tells a generic ``--keys FILE`` option
to route a file here rather than to :mod:`dissect.keysources`.

1. **Wireshark's ``esp_sa`` table** (Preferences > Protocols > ESP > ESP SAs,
   saved as the UAT file ``esp_sa``; Wireshark's ``epan/dissectors/packet-ipsec.c``)::

       "IPv4","192.0.2.2","192.0.2.3","0x411389fb","AES-CBC [RFC3602]","0x28aa...","HMAC-SHA-1-96 [RFC2404]","0xa42e..."

   Eight columns: Protocol (``IPv4``, ``IPv6``; newer Wireshark also ``Any``,
   which ignores the addresses), Src IP, Dest IP, SPI, Encryption,
   Encryption Key, Authentication, Authentication Key.  Newer Wireshark adds
   two more, SN and ESN High Bits (see :data:`WIRESHARK_10_FIELD_NOTE`); both
   forms are read.  As in Wireshark: ``*`` is any address or SPI; an SPI is
   read like C's ``strtoul(s, NULL, 0)`` (``0x`` hex, a leading ``0`` octal,
   else decimal: the Wireshark wiki's tables write ``"10"``); a key that
   starts with ``0x`` is hex (an odd number of digits gets a leading 0) and
   ``"0x"`` alone is empty, any other key is its text used as bytes (the
   wiki's ``"aescbcencryption"``).  Addresses with a partial wildcard
   (``10.0.0.*``) or a prefix shorter than the address (``10.0.0.0/24``)
   are taken as *any* address, which matches more packets than Wireshark
   would.  Algorithm names are resolved by :func:`dissect.espsa.encryption`
   and :func:`~dissect.espsa.integrity`; the deprecated ``AES-GCM
   [RFC4106]`` with ``ANY n bit authentication`` (what strongSwan writes)
   becomes AES-GCM with an n-bit ICV.  Fields may be quoted or not;
   ``\\xHH`` escapes in quoted fields are undone (Wireshark writes them).

2. **strongSwan's save-keys plugin** (``charon.plugins.save-keys.esp``,
   ``src/libcharon/plugins/save_keys/save_keys_listener.c``) writes the same
   8-column rows, two per CHILD_SA, with its own spellings: ``TripleDes-CBC
   [RFC2451]``, and for AES-GCM ``AES-GCM [RFC4106]`` plus ``ANY 64/128 bit
   authentication [no checking]`` -- it writes 64 for 8- *and* 12-octet
   ICVs, so ``ANY 64`` is read as an 8-octet ICV with a note.

3. **``ip xfrm state``** output (iproute2, Linux), pasted as it is::

       src 192.0.2.2 dst 192.0.2.3
               proto esp spi 0x411389fb reqid 1 mode tunnel
               auth-trunc hmac(sha1) 0xa42e698f13eb0c8f1c48359dce2026d0e39ab8be 96
               enc cbc(aes) 0x28aa2d55289fd63406a28be7ab139490

   A state starts at a ``src A dst B`` line and runs to the next one, a
   blank or ``#`` line; its lines may be indented with tabs, spaces or not
   at all, and a statement may be wrapped onto the next line (a key must
   stay in one piece).  Kernel names: ``enc`` ``cbc(aes)``,
   ``rfc3686(ctr(aes))`` (key ends in the 4-byte nonce), ``cbc(des3_ede)``,
   ``cbc(des)``, ``cbc(blowfish)``, ``cbc(cast5)``, ``cbc(twofish)``,
   ``ecb(cipher_null)``; ``aead rfc4106(gcm(aes)) KEY BITS`` (key ends in
   the 4-byte salt, BITS 64/96/128 is the ICV); ``auth-trunc NAME KEY BITS``
   or ``auth NAME KEY`` (the kernel's default truncation, ``net/xfrm/
   xfrm_algo.c``: 96 bits for md5, sha1, sha256 and rmd160, 192 for sha384,
   256 for sha512) with ``hmac(md5)``, ``hmac(sha1)``, ``hmac(sha256)``,
   ``hmac(sha384)``, ``hmac(sha512)``, ``hmac(rmd160)``, ``digest_null``.
   ``ip -s`` key sizes ``(128 bits)`` are skipped.  Policies (``src
   0.0.0.0/0 dst 0.0.0.0/0`` with ``dir``/``socket``) are skipped
   silently; AH and IPComp states, and states showing no keys, are
   reported.

4. **tcpdump's ``-E`` secrets** (``print-esp.c``), one or more
   comma-separated ``[spi@dst] algo:secret`` entries per line (``#`` lines
   are comments)::

       0x12345678@192.1.2.45 3des-cbc-hmac96:0x43434545464649494a4a4c4c4f4f51515252545457575840

   ``@addr`` is the *destination* address (source: any); an entry without
   ``spi@addr`` applies to any SPI and address.  ``algo`` is an OpenSSL
   cipher name with an optional ``-cbc`` and ``-hmac96`` suffix: ``des``,
   ``3des``, ``aes128``/``aes192``/``aes256``, ``blowfish`` (``bf``),
   ``cast`` (CAST5); also the man page's ``cast128`` and ``none``, which
   tcpdump 4.99 with OpenSSL 3 itself rejects.  ``-hmac96`` means a 12-byte
   ICV that tcpdump does not check: integrity ``ANY-96``; without it there
   is no ICV.  The secret is hex after ``0x``, else text.  ``ikev2`` and
   ``file`` lines are reported and skipped.

A line that cannot be used costs only itself: it adds one message
``"name:line: why"`` to ``problems`` (never with key bytes) and is left out.
``EspSa.source`` is ``"name:line"`` (the ``src`` line of an xfrm state).
``EspSa.spi`` is None for a wildcard SPI (``*``, or a tcpdump entry without
``spi@``) although the dataclass annotates it ``int``; ``src``/``dst`` are
None for any address.
"""
from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Callable
from functools import partial

from .espsa import ENCRYPTION, INTEGRITY, EspEncryption, EspIntegrity, EspSa, encryption, integrity
from .keyfile import read_key_bytes
from .uat import UatError, split_row

__all__ = [
    "EspSourceError",
    "WIRESHARK_10_FIELD_NOTE",
    "looks_like_esp_table",
    "parse_esp_sas",
    "load_esp_file",
    "format_esp_sa_table",
]

WIRESHARK_10_FIELD_NOTE = (
    "Wireshark's esp_sa table (Preferences > Protocols > ESP > ESP SAs) gained two columns after "
    "Wireshark 4.2, for extended sequence numbers (Wireshark issue 19658): after Protocol, Src IP, "
    "Dest IP, SPI, Encryption, Encryption Key, Authentication and Authentication Key come \"SN\" "
    "(\"32-bit\" or \"64-bit\", the sequence number length) and \"ESN High Bits\" (the upper 32 bits "
    "of the 64-bit sequence number, in hex) -- esp_uat_flds in epan/dissectors/packet-ipsec.c. "
    "Those versions fill missing trailing columns with the defaults \"32-bit\" and \"0\", so they read "
    "the 8-column lines ikescope writes as they are; tshark 4.0 reads a 10-column line too, but warns "
    "\"More fields than required\" and drops the last two. To convert 8 to 10 columns append "
    ",\"32-bit\",\"0\" to each line (,\"64-bit\",\"<high bits>\" for an SA that uses ESN); to convert "
    "10 to 8 drop the last two columns (an ESN SA then still decrypts, but its ICVs and AES-GCM tags "
    "no longer verify). ikescope reads both forms and does not use the ESN high bits."
)

#: a row of Wireshark's ikev1/ikev2_decryption_table: a cookie/SPI of 16 hex digits, then a comma
_IKE_TABLE_ROW = re.compile(r"^\s*[0-9a-fA-F]{16}\s*,")
_NAME_HINT = ("expected Wireshark esp_sa rows (\"IPv4\",\"src\",\"dst\",\"0xSPI\",...), "
              "'ip xfrm state' output or tcpdump -E secrets (spi@dst algo:secret)")


class EspSourceError(ValueError):
    """A file that yields nothing: unreadable, binary, empty, or with no line
    in any of the formats.  One line, naming the file, without key bytes."""


class _LineError(ValueError):
    """Why one line (or one entry of it) is unusable; a message without key bytes."""


#: reads one entry: (its SAs, notes about usable ones); raises _LineError
_Parser = Callable[[], tuple[list[EspSa], list[str]]]


# --------------------------------------------------------------------------
# shared field readers

_C_NUMBER = re.compile(r"0[xX](?P<hex>[0-9a-fA-F]+)|0(?P<oct>[0-7]*)|(?P<dec>[1-9][0-9]*)")


def _spi(text: str, what: str = "SPI") -> int | None:
    """An SPI as C's ``strtoul(text, NULL, 0)`` reads it (Wireshark, tcpdump); ``*`` is None."""
    t = text.strip()
    shown = repr(t) if len(t) <= 12 else "(a long value)"     # a key in the wrong column stays unshown
    if t == "*":
        return None
    if "*" in t:
        raise _LineError(f"{what} {shown} has a partial wildcard, which ikescope cannot match; "
                         f"give the whole SPI or *")
    m = _C_NUMBER.fullmatch(t)
    if m is None:
        raise _LineError(f"{what} {shown} is not a number; write 0x and 8 hex digits, or * for any SPI")
    if m["hex"]:
        value = int(m["hex"], 16)
    else:
        value = int(m["oct"] or "0", 8) if m["oct"] is not None else int(m["dec"])
    if value > 0xFFFFFFFF:
        raise _LineError(f"{what} {shown} does not fit in 32 bits")
    return value


def _hex_bytes(digits: str, what: str) -> bytes:
    """Hex digits (after ``0x``) to bytes; an odd count gets a leading 0, as in Wireshark."""
    bad = next((i for i, c in enumerate(digits) if c not in "0123456789abcdefABCDEF"), None)
    if bad is not None:
        raise _LineError(f"{what}: not valid hex after 0x (character {bad + 1} of {len(digits)}); "
                         f"write 0x and hex digits, or the key as text without 0x")
    return bytes.fromhex(digits if len(digits) % 2 == 0 else "0" + digits)


def _text_key(text: str, what: str) -> bytes:
    """A key as Wireshark's esp_sa and tcpdump take it: hex after ``0x``, else the text itself."""
    if text[:2] in ("0x", "0X"):
        return _hex_bytes(text[2:], what)
    return text.encode("utf-8", "surrogateescape")


def _address(text: str, what: str, version: int | None = None) -> str | None:
    """A normalised address, or None for any (``*``, a partial wildcard, a short prefix).
    ``version`` (4/6) is the family the row declares."""
    t = text.strip()
    if not t:
        raise _LineError(f"{what} is empty; write an address or * for any")
    if "*" in t:
        return None
    base, _, prefix = t.partition("/")
    try:
        ip = ipaddress.ip_address(base.strip("[]"))
    except ValueError:
        raise _LineError(f"{what} is not an IPv4 or IPv6 address; write one, or * for any") from None
    if version is not None and ip.version != version:
        raise _LineError(f"{what} {t} is IPv{ip.version} but the row says IPv{version}; "
                         f"Wireshark would never match it -- fix the Protocol column")
    if prefix:
        if not prefix.isdigit() or int(prefix) > ip.max_prefixlen:
            raise _LineError(f"{what} {ip}/...: the prefix length must be 0..{ip.max_prefixlen}")
        if int(prefix) < ip.max_prefixlen:
            return None
    return str(ip)


def _shown(value: str) -> str:
    """An algorithm name for a message, unless it could be a key that slipped into the column: hex
    (with or without 0x), or a long run of letters and digits alone (text keys such as
    "aescbcencryption"); names have punctuation ("AES-CBC [RFC3602]", "cbc(aes)") or are short."""
    v = value.strip()
    if (re.fullmatch(r"0[xX][0-9a-fA-F]*|[0-9a-fA-F]{8,}", v) or len(v) > 60
            or (len(v) >= 10 and v.isalnum())):
        return "(a value that looks like a key, not an algorithm name)"
    return repr(v)


def _checked(sa: EspSa) -> EspSa:
    """``sa`` if its keys fit its algorithms, else :class:`_LineError` with EspSa.problem()."""
    why = sa.problem()
    if why is not None:
        raise _LineError(why)
    return sa


# --------------------------------------------------------------------------
# 1, 2. Wireshark esp_sa UAT rows (also strongSwan save-keys)

_UAT_ROW = re.compile(r'^\s*"?\s*(?:ipv4|ipv6|any)\s*"?\s*,', re.IGNORECASE)
_UAT_LIKE = re.compile(r'^\s*"')           # read as a row (for its message) but not proof of the format
_UAT_FAMILIES = {"ipv4": 4, "ipv6": 6, "any": None}
_UAT_COLUMNS = ("Protocol,Src IP,Dest IP,SPI,Encryption,Encryption Key,Authentication,Authentication Key "
                "(newer Wireshark: plus SN,ESN High Bits)")
#: Wireshark's deprecated name without an ICV length; strongSwan writes it with "ANY n bit authentication"
_GCM_NO_ICV = "aes-gcm [rfc4106]"
_GCM_BY_ICV = {8: "AES-GCM-8", 12: "AES-GCM-12", 16: "AES-GCM-16"}


def _uat_fields(line: str) -> list[str]:
    """The comma-separated fields of a UAT row (dissect.uat), as a _LineError when it is not one."""
    try:
        return split_row(line)
    except UatError as e:
        raise _LineError(str(e)) from None


def _uat_algorithms(enc_name: str, auth_name: str) -> tuple[EspEncryption, EspIntegrity, list[str]]:
    try:
        enc = encryption(enc_name)
    except KeyError:
        raise _LineError(f"Encryption {_shown(enc_name)} is not supported by ikescope "
                         f"(known: {', '.join(ENCRYPTION)}, or their Wireshark names)") from None
    try:
        auth = integrity(auth_name)
    except KeyError:
        raise _LineError(f"Authentication {_shown(auth_name)} is not supported by ikescope "
                         f"(known: {', '.join(INTEGRITY)}, or their Wireshark names)") from None
    notes: list[str] = []
    if enc.mode == "gcm" and auth.hash is not None:
        raise _LineError(f"{enc.wireshark} carries its own ICV; its Authentication must be NULL, "
                         f"not {auth.wireshark}")
    if enc_name.strip().lower() == _GCM_NO_ICV and auth.name.startswith("ANY-"):
        if auth.icv_bytes not in _GCM_BY_ICV:
            raise _LineError(f"AES-GCM has an ICV of 8, 12 or 16 octets, not {auth.icv_bytes}")
        enc, auth = ENCRYPTION[_GCM_BY_ICV[auth.icv_bytes]], INTEGRITY["NULL"]
        if enc.icv_bytes == 8:
            notes.append("AES-GCM [RFC4106] with ANY 64 bit authentication taken as an 8-octet ICV "
                         "(strongSwan's save-keys writes this for 12-octet ICVs too: if nothing "
                         "decrypts, write AES-GCM with 12 octet ICV [RFC4106])")
    return enc, auth, notes


def _uat_sn(sn: str, high: str) -> list[str]:
    """Notes for the SN / ESN High Bits columns of the 10-column form."""
    if not re.fullmatch(r"(?:0[xX])?[0-9a-fA-F]{0,8}", high.strip()):
        raise _LineError("ESN High Bits is not a 32-bit hex number")
    kind = sn.strip().lower()
    if kind == "32-bit":
        return []
    if kind == "64-bit":
        return ["SN is 64-bit (extended sequence numbers): ikescope does not use the ESN high bits, "
                "so ICVs and AES-GCM tags may not verify"]
    raise _LineError(f"SN {_shown(sn)} is neither \"32-bit\" nor \"64-bit\"")


def _uat_row(line: str, source: str) -> tuple[list[EspSa], list[str]]:
    fields = _uat_fields(line)
    if len(fields) not in (8, 10):
        raise _LineError(f"{len(fields)} fields; a Wireshark esp_sa row has 8 or 10: {_UAT_COLUMNS}")
    proto, src, dst, spi, enc_name, enc_key, auth_name, auth_key = fields[:8]
    family = proto.strip().lower()
    if family not in _UAT_FAMILIES:
        raise _LineError(f"Protocol {_shown(proto)} is not IPv4, IPv6 or Any")
    version = _UAT_FAMILIES[family]
    if version is None:              # "Any": Wireshark does not look at the addresses
        src_a = dst_a = None
    else:
        src_a, dst_a = _address(src, "Src IP", version), _address(dst, "Dest IP", version)
    enc, auth, notes = _uat_algorithms(enc_name, auth_name)
    if len(fields) == 10:
        notes += _uat_sn(fields[8], fields[9])
    sa = EspSa(spi=_spi(spi), src=src_a, dst=dst_a, enc=enc, enc_key=_text_key(enc_key, "Encryption Key"),
               auth=auth, auth_key=_text_key(auth_key, "Authentication Key"), source=source, ip_version=version)
    return [_checked(sa)], notes


# --------------------------------------------------------------------------
# 3. ip xfrm state

_XFRM_HEAD = re.compile(r"^\s*src\s+(\S+)\s+dst\s+(\S+)(?:\s.*)?$")
_XFRM_STATE = re.compile(r"^\s*proto\s+\S+\s+spi\s+\S+", re.MULTILINE)
_XFRM_POLICY_WORDS = {"dir", "socket", "tmpl", "action"}
_XFRM_ENC = {
    "cbc(aes)": "AES-CBC", "aes": "AES-CBC",
    "rfc3686(ctr(aes))": "AES-CTR",
    "cbc(des3_ede)": "3DES-CBC", "des3_ede": "3DES-CBC",
    "cbc(des)": "DES-CBC", "des": "DES-CBC",
    "cbc(blowfish)": "BLOWFISH-CBC", "blowfish": "BLOWFISH-CBC",
    "cbc(cast5)": "CAST5-CBC", "cast5": "CAST5-CBC",
    "cbc(twofish)": "TWOFISH-CBC", "twofish": "TWOFISH-CBC",
    "ecb(cipher_null)": "NULL", "cipher_null": "NULL",
}
_XFRM_AEAD = {"rfc4106(gcm(aes))": {64: "AES-GCM-8", 96: "AES-GCM-12", 128: "AES-GCM-16"}}
#: (kernel name, ICV bits) -> INTEGRITY name
_XFRM_AUTH = {
    ("hmac(md5)", 96): "HMAC-MD5-96", ("hmac(sha1)", 96): "HMAC-SHA1-96",
    ("hmac(sha256)", 96): "HMAC-SHA2-256-96", ("hmac(sha256)", 128): "HMAC-SHA2-256-128",
    ("hmac(sha384)", 192): "HMAC-SHA2-384-192", ("hmac(sha512)", 256): "HMAC-SHA2-512-256",
    ("hmac(rmd160)", 96): "HMAC-RIPEMD160-96", ("digest_null", 0): "NULL",
}
#: truncation of a plain "auth" algorithm: the kernel's icv_truncbits (net/xfrm/xfrm_algo.c)
_XFRM_AUTH_DEFAULT_BITS = {"hmac(md5)": 96, "hmac(sha1)": 96, "hmac(sha256)": 96, "hmac(sha384)": 192,
                           "hmac(sha512)": 256, "hmac(rmd160)": 96, "digest_null": 0}
_XFRM_AUTH_COMPAT = {"md5": "hmac(md5)", "sha1": "hmac(sha1)", "sha256": "hmac(sha256)",
                     "sha384": "hmac(sha384)", "sha512": "hmac(sha512)", "rmd160": "hmac(rmd160)"}


def _xfrm_block_end(lines: list[str], start: int) -> int:
    """Index after the last line of the state or policy whose ``src ... dst ...`` line is ``start``."""
    end = start + 1
    while end < len(lines):
        line = lines[end]
        if (not line.strip() or line.lstrip().startswith("#") or _XFRM_HEAD.match(line)
                or _UAT_ROW.match(line)):
            break
        end += 1
    return end


def _xfrm_algo(tokens: list[str], at: int, with_bits: bool) -> tuple[str, bytes, int | None]:
    """(name, key, bits) of the statement whose keyword is ``tokens[at]``."""
    what = tokens[at]
    if at + 2 >= len(tokens):
        raise _LineError(f"'{what}' without algorithm and key; paste the whole state")
    name, key_text = tokens[at + 1], tokens[at + 2]
    if key_text in ('""', "''"):
        key = b""
    elif key_text[:2] in ("0x", "0X"):
        key = _hex_bytes(key_text[2:], f"{what} {_shown(name)} key")
    else:
        raise _LineError(f"{what} {_shown(name)}: the key after the name is not 0x and hex digits")
    rest = at + 3
    if rest + 1 < len(tokens) and tokens[rest].startswith("(") and tokens[rest + 1] == "bits)":
        rest += 2                                # ip -s prints "(128 bits)" after the key
    bits = None
    if with_bits:
        if rest >= len(tokens) or not tokens[rest].isdigit():
            raise _LineError(f"{what} {_shown(name)}: the ICV length in bits is missing after the key")
        bits = int(tokens[rest])
    return name, key, bits


def _xfrm_keyword(tokens: list[str], word: str) -> int | None:
    return tokens.index(word) if word in tokens else None


def _xfrm_algorithms(tokens: list[str], spi_text: str) -> tuple[EspEncryption, bytes, EspIntegrity, bytes]:
    enc_at, aead_at = _xfrm_keyword(tokens, "enc"), _xfrm_keyword(tokens, "aead")
    auth_at, trunc_at = _xfrm_keyword(tokens, "auth"), _xfrm_keyword(tokens, "auth-trunc")
    if enc_at is None and aead_at is None:
        raise _LineError(f"ESP state spi {spi_text} shows no 'enc' or 'aead' line, so it holds no keys "
                         f"to use; take the state that carries the keys")
    if enc_at is not None and aead_at is not None:
        raise _LineError(f"ESP state spi {spi_text} has both 'enc' and 'aead'")
    if aead_at is not None:
        name, enc_key, bits = _xfrm_algo(tokens, aead_at, with_bits=True)
        by_icv = _XFRM_AEAD.get(name)
        if by_icv is None or bits not in by_icv:
            raise _LineError(f"aead {_shown(name)} with a {bits}-bit ICV is not supported by ikescope "
                             f"(rfc4106(gcm(aes)) with 64, 96 or 128 is)")
        if auth_at is not None or trunc_at is not None:
            raise _LineError(f"ESP state spi {spi_text} has 'aead' and an integrity algorithm")
        return ENCRYPTION[by_icv[bits]], enc_key, INTEGRITY["NULL"], b""
    name, enc_key, _ = _xfrm_algo(tokens, enc_at, with_bits=False)
    if name not in _XFRM_ENC:
        raise _LineError(f"enc {_shown(name)} is not supported by ikescope (known: {', '.join(_XFRM_ENC)})")
    enc = ENCRYPTION[_XFRM_ENC[name]]
    if trunc_at is None and auth_at is None:
        return enc, enc_key, INTEGRITY["NULL"], b""
    name, auth_key, bits = _xfrm_algo(tokens, trunc_at if trunc_at is not None else auth_at,
                                      with_bits=trunc_at is not None)
    name = _XFRM_AUTH_COMPAT.get(name, name)
    auth_name = _XFRM_AUTH.get((name, _XFRM_AUTH_DEFAULT_BITS.get(name) if bits is None else bits))
    if auth_name is None:
        truncated = "" if bits is None else f" truncated to {bits} bits"
        raise _LineError(f"integrity {_shown(name)}{truncated} is not supported by ikescope "
                         f"(known: {', '.join(f'{n} {b}' for n, b in _XFRM_AUTH)})")
    return enc, enc_key, INTEGRITY[auth_name], auth_key


_XFRM_SPI_DECIMAL = re.compile(r"\(\d+\)$")


def _xfrm_state(lines: list[str], source: str) -> tuple[list[EspSa], list[str]]:
    """The ESP SA of one ``ip xfrm state`` entry (``lines[0]`` is its ``src ... dst ...``);
    nothing for an ``ip xfrm policy`` entry (addresses with a prefix length)."""
    head = _XFRM_HEAD.match(lines[0])
    tokens = " ".join(lines[1:]).split()
    at = next((k for k in range(len(tokens) - 3) if tokens[k] == "proto" and tokens[k + 2] == "spi"), None)
    if "/" in head[1] + head[2] or (at is None and _XFRM_POLICY_WORDS & set(tokens)):
        return [], []
    if at is None:
        raise _LineError("'src ... dst ...' without a 'proto ... spi ...' line; paste the whole state")
    proto, spi_text = tokens[at + 1], tokens[at + 3]
    spi_text = _XFRM_SPI_DECIMAL.sub("", spi_text)  # `ip -s xfrm state`: spi 0x411389fb(1091799547)
    if proto != "esp":
        raise _LineError(f"proto {proto} state spi {spi_text}: not ESP, left out")
    spi = _spi(spi_text, "spi")
    enc, enc_key, auth, auth_key = _xfrm_algorithms(tokens, spi_text)
    sa = EspSa(spi=spi, src=_address(head[1], "src"), dst=_address(head[2], "dst"), enc=enc,
               enc_key=enc_key, auth=auth, auth_key=auth_key, source=source)
    notes = []
    if "esn" in tokens:
        notes.append(f"ESP state spi {spi_text} uses extended sequence numbers: ikescope does not use "
                     f"the high bits, so ICVs and AES-GCM tags may not verify")
    return [_checked(sa)], notes


# --------------------------------------------------------------------------
# 4. tcpdump -E secrets

#: OpenSSL cipher name (after "-hmac96" and "-cbc" are cut off) -> (ENCRYPTION name, required key bytes)
_TCPDUMP_CIPHERS = {
    "des": ("DES-CBC", None), "3des": ("3DES-CBC", None),
    "aes128": ("AES-CBC", 16), "aes192": ("AES-CBC", 24), "aes256": ("AES-CBC", 32),
    "blowfish": ("BLOWFISH-CBC", None), "bf": ("BLOWFISH-CBC", None),
    "cast": ("CAST5-CBC", None), "cast128": ("CAST5-CBC", None), "none": ("NULL", None),
}
_TCPDUMP_ENTRY = re.compile(r"^(?:(?P<spi>\S+)@(?P<addr>\S+)\s+)?(?P<algo>[A-Za-z0-9][\w-]*):(?P<secret>.*)$")
_TCPDUMP_SPI = re.compile(r"^(?:0[xX][0-9a-fA-F]+|\d+)@\S+\s")


def _tcpdump_cipher(algo: str) -> tuple[str, bool]:
    """(cipher name without its suffixes, lower case; whether it had -hmac96), cut as print-esp.c does."""
    name = algo.lower()
    hmac96 = name.endswith("-hmac96") and len(name) > len("-hmac96")
    if hmac96:
        name = name[: -len("-hmac96")]
    if name.endswith("-cbc") and len(name) > len("-cbc"):
        name = name[: -len("-cbc")]
    return name, hmac96


def _tcpdump_known(line: str) -> bool:
    """Whether a line is tcpdump secret syntax: an ``spi@addr`` first, or a cipher tcpdump knows."""
    if _TCPDUMP_SPI.match(line):
        return True
    m = _TCPDUMP_ENTRY.match(line.split(",")[0].strip())
    return m is not None and _tcpdump_cipher(m["algo"])[0] in _TCPDUMP_CIPHERS


def _tcpdump_entry(entry: str, source: str) -> EspSa:
    first = entry.split(None, 1)[0]
    if first.lower() == "ikev2":
        raise _LineError("an IKEv2 SA secret (tcpdump 'ikev2' line), not an ESP SA; left out")
    if first.lower() == "file":
        raise _LineError("'file' names another secrets file; give that file instead")
    m = _TCPDUMP_ENTRY.match(entry)
    if m is None:
        raise _LineError("not tcpdump secret syntax; write [spi@dst] algo:secret, "
                         "e.g. 0x12345678@192.0.2.1 aes128-cbc-hmac96:0x...")
    spi = dst = None
    if m["spi"] is not None:
        spi = _spi(m["spi"], "spi")
        if spi is None:
            raise _LineError("tcpdump takes no * SPI; leave out spi@dst for any SPI")
        dst = _address(m["addr"], "address after @")
        if dst is None:
            raise _LineError("the address after @ must be a whole address")
    cipher, hmac96 = _tcpdump_cipher(m["algo"])
    if cipher not in _TCPDUMP_CIPHERS:
        raise _LineError(f"cipher {_shown(m['algo'])} is not supported (known: "
                         f"{', '.join(_TCPDUMP_CIPHERS)}, each with optional -cbc and -hmac96)")
    enc_name, key_bytes = _TCPDUMP_CIPHERS[cipher]
    key = b"" if cipher == "none" else _tcpdump_secret(m["secret"])
    if key_bytes is not None and len(key) != key_bytes:
        raise _LineError(f"{cipher} needs a {key_bytes}-byte key, the secret has {len(key)} bytes")
    sa = EspSa(spi=spi, src=None, dst=dst, enc=ENCRYPTION[enc_name], enc_key=key,
               auth=INTEGRITY["ANY-96" if hmac96 else "NULL"], auth_key=b"", source=source)
    return _checked(sa)


def _tcpdump_secret(secret: str) -> bytes:
    """tcpdump's secret: hex after "0x" (lower-case x only, as print-esp.c checks), else text."""
    if secret.startswith("0x"):
        digits = secret[2:]
        if len(digits) % 2:
            raise _LineError("the secret has an odd number of hex digits after 0x; every byte is two digits")
        return _hex_bytes(digits, "secret")
    if not secret:
        raise _LineError("the secret after ':' is empty")
    return secret.encode("utf-8", "surrogateescape")


def _tcpdump_line(line: str, source: str) -> list[_Parser]:
    """One parser per comma-separated entry (tcpdump -E "a,b" syntax)."""
    entries = [e.strip() for e in line.split(",")]
    labels = [f"entry {n}: " if len(entries) > 1 else "" for n in range(1, len(entries) + 1)]
    return [partial(_tcpdump_labelled, entry, label, source) for entry, label in zip(entries, labels)]


def _tcpdump_labelled(entry: str, label: str, source: str) -> tuple[list[EspSa], list[str]]:
    try:
        if not entry:
            raise _LineError("empty entry between commas")
        return [_tcpdump_entry(entry, source)], []
    except _LineError as e:
        raise _LineError(f"{label}{e}") from None


# --------------------------------------------------------------------------
# sniffing and the public functions

def _is_content(line: str) -> bool:
    s = line.strip()
    return bool(s) and not s.startswith("#")


def _line_parsers(lines: list[str], i: int, where: str) -> tuple[list[_Parser], bool, int]:
    """The parsers for the entry starting at ``lines[i]``, whether it is surely in one of the
    formats, and the index of the line after it.  No parsers: the line is in no format."""
    line = lines[i]
    stripped = line.strip()
    if _XFRM_HEAD.match(line):
        end = _xfrm_block_end(lines, i)
        block = lines[i:end]
        return [partial(_xfrm_state, block, where)], bool(_XFRM_STATE.search("\n".join(block))), end
    if _UAT_ROW.match(line) or _UAT_LIKE.match(line):
        return [partial(_uat_row, stripped, where)], bool(_UAT_ROW.match(line)), i + 1
    if (_TCPDUMP_ENTRY.match(stripped.split(",")[0].strip())
            or stripped.split(None, 1)[0].lower() in ("ikev2", "file")):
        return _tcpdump_line(stripped, where), _tcpdump_known(stripped), i + 1
    return [], False, i + 1


def looks_like_esp_table(text: str) -> bool:
    """True when ``text`` holds at least one line in a format of this module (module
    docstring): a Wireshark/strongSwan esp_sa row, an ``ip xfrm state`` entry (a
    ``proto ... spi ...`` line) or a tcpdump ``-E`` secret with ``spi@addr`` or a known
    cipher.  False for TOML keys files, strongSwan charon logs and
    ``ikev1_decryption_table`` rows (``icookie,key``), which go to
    :func:`dissect.keysources.load_key_file`.  Looks at the first 2000 lines."""
    lines = [ln for ln in text.splitlines()[:2000] if _is_content(ln)]
    if any(_UAT_ROW.match(ln) for ln in lines):
        return True
    if any(_XFRM_HEAD.match(ln) for ln in lines) and _XFRM_STATE.search("\n".join(lines)):
        return True
    return any(_tcpdump_known(ln.strip()) for ln in lines)


def parse_esp_sas(text: str, name: str, problems: list[str], notes: list[str] | None = None) -> list[EspSa]:
    """The ESP SAs in ``text``, in file order, each with ``source = f"{name}:{line}"``.

    Each line is read in the format it is in (module docstring): Wireshark or
    strongSwan ``esp_sa`` rows (8 or 10 columns), ``ip xfrm state`` entries, tcpdump
    ``-E`` secrets (several per line, comma-separated).  Blank and ``#`` lines are
    skipped.  An unusable line (or tcpdump entry) appends one ``"name:line: why"``
    message to ``problems`` and is left out; a usable line may also append a note
    (an ESN SA, an ambiguous strongSwan AES-GCM ICV) to ``notes`` (to ``problems`` when
    ``notes`` is None).  Messages never hold key bytes.

    Raises :class:`EspSourceError` when the text has lines but none of them is in
    one of the formats (nothing is appended to ``problems`` then).  Empty text or
    only comments gives ``[]``.
    """
    lines = text.splitlines()
    sas: list[EspSa] = []
    messages: list[str] = []
    remarks: list[str] = []
    recognised = False
    i = 0
    while i < len(lines):
        if not _is_content(lines[i]):
            i += 1
            continue
        where = f"{name}:{i + 1}"
        parsers, known, i = _line_parsers(lines, i, where)
        recognised |= known
        if not parsers:
            messages.append(f"{where}: not recognised; {_NAME_HINT}")
        for parse in parsers:
            try:
                found, found_notes = parse()
            except _LineError as e:
                messages.append(f"{where}: {e}")
                continue
            sas.extend(found)
            (messages if notes is None else remarks).extend(f"{where}: {note}" for note in found_notes)
    if not recognised and any(_is_content(ln) for ln in lines):
        first = next(n for n, ln in enumerate(lines, 1) if _is_content(ln))
        hint = (" (this looks like an ikev1/ikev2_decryption_table: IKE keys, not ESP SAs)"
                if _IKE_TABLE_ROW.match(lines[first - 1]) else "")
        raise EspSourceError(f"{name}:{first}: not an ESP SA table{hint}; {_NAME_HINT}")
    problems.extend(messages)
    if notes is not None:
        notes.extend(remarks)
    return sas


def load_esp_file(path: str, problems: list[str], notes: list[str] | None = None) -> list[EspSa]:
    """Read the file at ``path`` and return :func:`parse_esp_sas` of it, with ``path``
    (as given) as the name in sources and messages.  Raises :class:`EspSourceError`
    when the file cannot be read (with the system's reason), is binary (a capture),
    holds no line but comments, or has no line in any format.  Bytes that are not
    UTF-8 are kept as they are in text keys (Wireshark reads bytes)."""
    name = os.fspath(path)
    raw = read_key_bytes(name, "ESP SA table", EspSourceError, _NAME_HINT)
    return parse_esp_bytes(raw, name, problems, notes)


def parse_esp_bytes(raw: bytes, name: str, problems: list[str], notes: list[str] | None = None) -> list[EspSa]:
    """:func:`load_esp_file` on bytes already read; the same errors, but for reading."""
    text = raw.decode("utf-8", "surrogateescape").removeprefix("\ufeff")
    if not any(_is_content(ln) for ln in text.splitlines()):
        what = "only comments" if text.strip() else "empty"
        raise EspSourceError(f"{name}: {what}, no ESP SAs; {_NAME_HINT}")
    return parse_esp_sas(text, name, problems, notes)


def format_esp_sa_table(sas: list[EspSa]) -> str:
    """Wireshark ``esp_sa`` lines for ``sas``, one per SA, each ending in ``\\n``: the
    8-column form, which tshark 4.0 reads and newer Wireshark reads with its defaults for
    the two ESN columns (:data:`WIRESHARK_10_FIELD_NOTE`)::

        "IPv4","192.0.2.2","192.0.2.3","0x411389fb","AES-CBC [RFC3602]","0x28aa...","HMAC-SHA-1-96 [RFC2404]","0xa42e..."

    Protocol is IPv6 when an address has a ``:``, else IPv4 (also for an SA with no
    addresses: tshark 4.0 rejects ``Any``); None addresses and SPI are ``*``; the SPI
    is ``0x%08x``; keys are ``0x`` and lower-case hex, an empty key ``""``; algorithm
    names are ``EspEncryption.wireshark`` / ``EspIntegrity.wireshark`` (dissect.espsa's
    ANY-384 and ANY-512 have names Wireshark does not know).
    """
    return "".join(_uat_line(sa) + "\n" for sa in sas)


def _uat_line(sa: EspSa) -> str:
    family = "IPv6" if sa.ip_version == 6 or any(a is not None and ":" in a for a in (sa.src, sa.dst)) else "IPv4"
    fields = (family, sa.src or "*", sa.dst or "*", "*" if sa.spi is None else f"0x{sa.spi:08x}",
              sa.enc.wireshark, _key_field(sa.enc_key), sa.auth.wireshark, _key_field(sa.auth_key))
    return ",".join(f'"{f}"' for f in fields)


def _key_field(key: bytes) -> str:
    return "0x" + bytes(key).hex() if key else ""
