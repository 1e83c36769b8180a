"""Just enough DER to print an X.501 distinguished name (ID_DER_ASN1_DN, CR).

RFC 2407 §4.6.2.1 carries ID_DER_ASN1_DN as the DER encoding of an ASN.1
X.500 Distinguished Name (RFC 5280 §4.1.2.4: RDNSequence ::= SEQUENCE OF
RelativeDistinguishedName, each a SET OF AttributeTypeAndValue).  The
``cryptography`` package parses names only inside certificates, so this
module walks the few tags needed and renders the name in the order it is
encoded, e.g. ``C=CH, O=strongSwan, CN=moon``.
"""
from __future__ import annotations

ATTRIBUTE_NAMES = {
    "2.5.4.3": "CN", "2.5.4.4": "SN", "2.5.4.5": "serialNumber", "2.5.4.6": "C",
    "2.5.4.7": "L", "2.5.4.8": "ST", "2.5.4.9": "street", "2.5.4.10": "O", "2.5.4.11": "OU",
    "2.5.4.12": "title", "2.5.4.42": "GN", "2.5.4.43": "initials", "2.5.4.46": "dnQualifier",
    "2.5.4.65": "pseudonym", "1.2.840.113549.1.9.1": "E",
    "0.9.2342.19200300.100.1.25": "DC", "0.9.2342.19200300.100.1.1": "UID",
}

_STRING_TAGS = {0x0C, 0x13, 0x14, 0x16, 0x1A, 0x1E, 0x1C}  # UTF8, Printable, T61, IA5, Visible, BMP, Universal


class DerError(ValueError):
    """The bytes are not the DER encoding that was expected."""


def _tlv(data: bytes, pos: int) -> tuple[int, int, int]:
    """(tag, value start, value end) of the TLV at ``pos``."""
    if pos + 2 > len(data):
        raise DerError("truncated DER header")
    tag = data[pos]
    n = data[pos + 1]
    pos += 2
    if n & 0x80:
        k = n & 0x7F
        if k == 0 or k > 4 or pos + k > len(data):
            raise DerError("bad DER length")
        n = int.from_bytes(data[pos:pos + k], "big")
        pos += k
    if pos + n > len(data):
        raise DerError("DER value runs past the data")
    return tag, pos, pos + n


MAX_OID_ARC_BYTES = 16  # an arc longer than 112 bits is not a real OID


def _oid(value: bytes) -> str:
    if not value:
        raise DerError("empty OID")
    first = value[0]
    parts = [min(first // 40, 2), first - 40 * min(first // 40, 2)]
    n = run = 0
    for b in value[1:]:
        n = (n << 7) | (b & 0x7F)
        run += 1
        if run > MAX_OID_ARC_BYTES:
            raise DerError("OID arc too long")
        if not b & 0x80:
            parts.append(n)
            n = run = 0
    return ".".join(map(str, parts))


def _string(tag: int, value: bytes) -> str:
    if tag == 0x1E:
        return value.decode("utf-16-be", "replace")
    if tag == 0x1C:
        return value.decode("utf-32-be", "replace")
    if tag in _STRING_TAGS:
        return value.decode("utf-8", "replace")
    return "#" + value.hex()


def distinguished_name(data: bytes) -> str:
    """Render a DER RDNSequence as ``C=.., O=.., CN=..`` (encoding order, as strongSwan logs IDs).

    Raises :class:`DerError` when ``data`` is not a DER SEQUENCE of RDNs.
    """
    try:
        return _distinguished_name(data)
    except DerError:
        raise
    except (ValueError, IndexError, UnicodeError) as e:  # anything else the bytes provoke
        raise DerError(str(e)) from None


def _distinguished_name(data: bytes) -> str:
    tag, start, end = _tlv(data, 0)
    if tag != 0x30:
        raise DerError("a distinguished name must be a SEQUENCE")
    parts: list[str] = []
    pos = start
    while pos < end:
        tag, s, e = _tlv(data, pos)
        if tag != 0x31:
            raise DerError("an RDN must be a SET")
        rdn: list[str] = []
        p = s
        while p < e:
            t, as_, ae = _tlv(data, p)
            if t != 0x30:
                raise DerError("AttributeTypeAndValue must be a SEQUENCE")
            ot, os_, oe = _tlv(data, as_)
            if ot != 0x06:
                raise DerError("attribute type must be an OID")
            vt, vs, ve = _tlv(data, oe)
            oid = _oid(data[os_:oe])
            rdn.append(f"{ATTRIBUTE_NAMES.get(oid, oid)}={_string(vt, data[vs:ve])}")
            p = ae
        parts.append("+".join(rdn))
        pos = e
    return ", ".join(parts)
