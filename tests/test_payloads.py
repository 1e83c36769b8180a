"""Payload decoders on messages built byte by byte from the RFC layouts.

Every message here is assembled with struct from the wire formats of
RFC 2408 §3 (ISAKMP header and payloads), RFC 2407 §4 (IPsec DOI), RFC 3947
(NAT-D, NAT-OA), RFC 3706 (DPD), draft-dukes-ike-mode-cfg-02 and
draft-beaulieu-ike-xauth-02 (Attributes payload, XAUTH), Cisco's IKE
fragmentation payload and RFC 7296 (IKEv2).  Expected numbers are the IANA
values those documents assign; expected names are the registry's (which
mirror Wireshark's value strings, checked where tshark output is shipped).
Byte offsets of Expert notes are worked out from the layouts in comments.
"""
from __future__ import annotations

import datetime
import hashlib
import random
import socket
import struct

import pytest

from conftest import PUBLIC
from dissect import payloads as payloads_mod
from dissect.isakmp import HEADER_LEN, decode_message
from dissect.model import ERROR
from dissect.payloads import attribute_rows, decode_payload, vendor_name

IC = bytes.fromhex("0011223344556677")
RC = bytes.fromhex("8899aabbccddeeff")
ZERO = bytes(8)


# ---------------------------------------------------------------------------
# Builders (RFC 2408 §3)

def gen(next_payload: int, body: bytes, reserved: int = 0, length: int | None = None) -> bytes:
    """Generic payload header (§3.2): next payload, reserved, payload length (header included)."""
    return struct.pack(">BBH", next_payload, reserved, 4 + len(body) if length is None else length) + body


def header(next_payload: int, length: int, ic: bytes = IC, rc: bytes = RC, version: int = 0x10,
           exchange: int = 2, flags: int = 0, mid: int = 0) -> bytes:
    """ISAKMP header (§3.1): cookies, next payload, major/minor version, exchange type, flags, message ID, length."""
    return ic + rc + struct.pack(">BBBBII", next_payload, version, exchange, flags, mid, length)


def message(payloads: list[tuple[int, bytes]], *, length: int | None = None, **kw) -> bytes:
    """A message whose payloads are chained by their Next Payload fields."""
    body = b""
    for i, (_t, b) in enumerate(payloads):
        nxt = payloads[i + 1][0] if i + 1 < len(payloads) else 0
        body += gen(nxt, b)
    first = payloads[0][0] if payloads else 0
    return header(first, HEADER_LEN + len(body) if length is None else length, **kw) + body


def tv(t: int, v: int) -> bytes:
    """Data attribute, TV form (§3.3): AF bit set, 2-byte value."""
    return struct.pack(">HH", 0x8000 | t, v)


def tlv(t: int, value: bytes) -> bytes:
    """Data attribute, TLV form (§3.3): AF bit clear, 2-byte length, value."""
    return struct.pack(">HH", t, len(value)) + value


def transform(num: int, tid: int, attrs: bytes, last: bool = True) -> bytes:
    """Transform payload (§3.6): next payload (3 or 0), reserved, length, number, ID, reserved2."""
    return struct.pack(">BBHBBH", 0 if last else 3, 0, 8 + len(attrs), num, tid, 0) + attrs


def proposal(num: int, proto: int, spi: bytes, transforms: list[bytes], last: bool = True,
             length: int | None = None, spi_size: int | None = None) -> bytes:
    """Proposal payload (§3.5): next payload (2 or 0), reserved, length, number, protocol, SPI size, #transforms."""
    body = spi + b"".join(transforms)
    return struct.pack(">BBHBBBB", 0 if last else 2, 0, 8 + len(body) if length is None else length, num, proto,
                       len(spi) if spi_size is None else spi_size, len(transforms)) + body


def sa_body(proposals: list[bytes], doi: int = 1, situation: int = 1) -> bytes:
    """SA payload body (§3.4, RFC 2407 §4.6.1): DOI, situation (SIT_IDENTITY_ONLY), proposals."""
    return struct.pack(">II", doi, situation) + b"".join(proposals)


def only(data: bytes):
    """Decode a message and return its only payload."""
    msg = decode_message(data)
    assert len(msg.payloads) == 1, msg.to_dict()
    return msg.payloads[0]


def errors(msg) -> list:
    return [n for n in msg.all_notes() if n.severity == ERROR]


# Layout constants for offsets (bytes from the start of the message)
SA_AT = HEADER_LEN  # the first payload's generic header
SA_BODY = SA_AT + 4  # DOI
PROP_AT = SA_BODY + 8  # after DOI and situation
TRANS_AT = PROP_AT + 8  # after a proposal header with SPI size 0
ATTR_AT = TRANS_AT + 8  # the first attribute of that transform


# ---------------------------------------------------------------------------
# Header (RFC 2408 §3.1)

def test_header_fields():
    data = message([(13, bytes.fromhex("afcad71368a1f1c96b8696fc77570100"))], exchange=2, mid=0)
    msg = decode_message(data)
    h = msg.header
    assert (h.icookie, h.rcookie) == (IC, RC)
    assert (h.next_payload, h.major, h.minor) == (13, 1, 0)
    assert (h.exchange_type, h.exchange) == (2, "Identity Protection (Main Mode)")
    assert (h.flags, h.message_id, h.length) == (0, 0, len(data))
    d = msg.to_dict()
    assert d["version"] == "1.0" and d["icookie"] == IC.hex() and d["rcookie"] == RC.hex()
    assert not msg.notes


@pytest.mark.parametrize("et,name", [(1, "Base"), (2, "Identity Protection (Main Mode)"), (3, "Authentication Only"),
                                     (4, "Aggressive"), (5, "Informational"), (6, "Transaction (Config Mode)"),
                                     (32, "Quick Mode"), (33, "New Group Mode")])
def test_exchange_types(et, name):
    """RFC 2408 §4.1 (1-5), draft-dukes mode-cfg (6), RFC 2409 (32, 33)."""
    msg = decode_message(message([(8, bytes(20))], exchange=et, mid=0x01020304))
    assert msg.header.exchange == name
    assert msg.header.message_id == 0x01020304


def test_header_flags_and_encryption():
    """Flags (§3.1): E=0x01, C=0x02, A=0x04.  With E set the body is ciphertext."""
    cipher = bytes(range(48))
    data = header(8, HEADER_LEN + len(cipher), exchange=32, flags=0x07, mid=7) + cipher
    msg = decode_message(data)
    assert msg.header.flag_names() == ["E", "C", "A"]
    assert msg.encrypted and msg.payloads == [] and msg.ciphertext == cipher
    assert msg.to_dict()["encrypted_length"] == 48
    assert not msg.has_errors


def test_header_too_short():
    msg = decode_message(IC + RC + b"\x01\x10")
    assert msg.header is None
    assert [(n.severity, n.offset) for n in msg.notes] == [(ERROR, 0)]
    assert msg.to_dict()["malformed"] is True


def test_header_length_beyond_data():
    data = message([(10, bytes(16))])
    msg = decode_message(data[:-4])  # the header still says len(data)
    errs = errors(msg)
    assert errs and errs[0].offset == 24  # the Length field is at offset 24
    assert msg.has_errors


def test_unknown_major_version():
    msg = decode_message(message([(10, bytes(16))], version=0x30))
    assert [(n.severity, n.offset) for n in msg.notes] == [(ERROR, 17)]  # version byte: 8+8+1


# ---------------------------------------------------------------------------
# SA / Proposal / Transform (RFC 2408 §3.4-3.6) with Phase 1 attributes (RFC 2409 App. A)

def _phase1_sa() -> bytes:
    attrs = (tv(1, 7)  # Encryption-Algorithm: AES-CBC (RFC 3602)
             + tv(14, 256)  # Key-Length: 256 bits
             + tv(2, 4)  # Hash-Algorithm: SHA2-256
             + tv(3, 65001)  # Authentication-Method: XAUTHInitPreShared (draft-beaulieu-ike-xauth-02)
             + tv(4, 14)  # Group-Description: 2048-bit MODP (RFC 3526)
             + tv(11, 1)  # Life-Type: seconds
             + tlv(12, bytes.fromhex("00015180")))  # Life-Duration: 86400, variable length
    return sa_body([proposal(1, 1, b"", [transform(1, 1, attrs)])])


def test_sa_phase1_attributes():
    sa = only(message([(1, _phase1_sa())]))
    assert (sa.short, sa.doi, sa.situation) == ("SA", 1, 1)
    (prop,) = sa.proposals
    assert (prop.number, prop.protocol_id, prop.protocol, prop.spi) == (1, 1, "ISAKMP", b"")
    assert prop.offset == PROP_AT and prop.declared_transforms == 1
    (t,) = prop.transforms
    assert (t.number, t.transform_id, t.transform_name) == (1, 1, "KEY_IKE")
    assert t.offset == TRANS_AT
    got = [(a.type, a.tv, a.value, a.value_name, a.offset) for a in t.attributes]
    assert got == [
        (1, True, 7, "AES-CBC", ATTR_AT),
        (14, True, 256, None, ATTR_AT + 4),
        (2, True, 4, "SHA2-256", ATTR_AT + 8),
        (3, True, 65001, "XAUTHInitPreShared", ATTR_AT + 12),
        (4, True, 14, "2048 bit MODP group", ATTR_AT + 16),
        (11, True, 1, "Seconds", ATTR_AT + 20),
        (12, False, 86400, None, ATTR_AT + 24),
    ]
    assert [a.name for a in t.attributes] == ["Encryption-Algorithm", "Key-Length", "Hash-Algorithm",
                                              "Authentication-Method", "Group-Description", "Life-Type",
                                              "Life-Duration"]
    assert t.attr(12).raw == bytes.fromhex("00015180")
    j = sa.to_dict()["proposals"][0]["transforms"][0]
    assert j["attributes"]["Key-Length"] == 256
    assert j["attributes"]["Life-Duration"] == 86400
    assert j["attributes_raw"][-1] == [12, 86400]
    labels = [r.label for r in attribute_rows(t.attributes)]
    assert "Key-Length (14): 256 bits" in labels
    assert "Life-Duration (12): 86400 seconds" in labels
    assert not sa.notes


def test_sa_long_tlv_attribute_is_kept_as_bytes():
    """A TLV longer than 8 bytes (e.g. a Group-Prime, RFC 2409 App. A class 6) has no integer value."""
    prime = bytes.fromhex("ff" * 96)
    sa = only(message([(1, sa_body([proposal(1, 1, b"", [transform(1, 1, tv(1, 5) + tlv(6, prime))])]))]))
    a = sa.proposals[0].transforms[0].attributes[1]
    assert (a.type, a.tv, a.raw, a.value) == (6, False, prime, None)
    assert sa.to_dict()["proposals"][0]["transforms"][0]["attributes"]["Group-Prime"] == prime.hex()


# IPsec DOI (RFC 2407 §4.5)

SPI = bytes.fromhex("c1c2c3c4")


def _qm_sa(attrs: bytes, tid: int = 12, proto: int = 3) -> bytes:
    return sa_body([proposal(1, proto, SPI, [transform(1, tid, attrs)])])


def test_ipsec_doi_attributes_and_cisco_lifetime():
    attrs = (tv(1, 1) + tv(2, 3600)  # SA-Life-Type seconds, SA-Life-Duration 3600 (TV)
             + tv(1, 2) + tlv(2, bytes.fromhex("00465000"))  # kilobytes, 4608000 (Cisco's default)
             + tv(4, 1)  # Encapsulation-Mode: Tunnel
             + tv(5, 2)  # Authentication-Algorithm: HMAC-SHA
             + tv(6, 128)  # Key-Length: 128 bits
             + tv(3, 2))  # Group-Description (PFS): MODP 1024
    sa = only(message([(1, _qm_sa(attrs))], exchange=32, mid=1))
    (prop,) = sa.proposals
    assert (prop.protocol_id, prop.protocol, prop.spi) == (3, "IPSEC_ESP", SPI)
    (t,) = prop.transforms
    assert (t.transform_id, t.transform_name) == (12, "AES")  # ESP_AES, RFC 3602 §5
    vals = [(a.type, a.tv, a.value) for a in t.attributes]
    assert vals == [(1, True, 1), (2, True, 3600), (1, True, 2), (2, False, 4608000),
                    (4, True, 1), (5, True, 2), (6, True, 128), (3, True, 2)]
    kb = t.attributes[3]
    assert kb.raw == b"\x00\x46\x50\x00" and kb.value == 4608000 and kb.name == "SA-Life-Duration"
    assert [a.value_name for a in t.attributes] == ["Seconds", None, "Kilobytes", None, "Tunnel", "HMAC-SHA",
                                                    None, "Alternate 1024-bit MODP group"]
    labels = [r.label for r in attribute_rows(t.attributes)]
    assert "SA-Life-Duration (2): 3600 seconds" in labels
    assert "SA-Life-Duration (2): 4608000 kilobytes" in labels
    assert "Key-Length (6): 128 bits" in labels
    j = sa.to_dict()["proposals"][0]["transforms"][0]
    assert [2, 4608000] in j["attributes_raw"] and [2, 3600] in j["attributes_raw"]
    assert sa.to_dict()["proposals"][0]["spi"] == "c1c2c3c4"


@pytest.mark.parametrize("mode,name", [
    (1, "Tunnel"), (2, "Transport"),
    (3, "UDP-Encapsulated-Tunnel"), (4, "UDP-Encapsulated-Transport"),  # RFC 3947 §5.2
    (61443, "UDP-Encapsulated-Tunnel (draft)"), (61444, "UDP-Encapsulated-Transport (draft)"),  # drafts 01-08
])
def test_encapsulation_modes(mode, name):
    sa = only(message([(1, _qm_sa(tv(4, mode)))], exchange=32, mid=9))
    a = sa.proposals[0].transforms[0].attributes[0]
    assert (a.name, a.value, a.value_name) == ("Encapsulation-Mode", mode, name)
    assert sa.to_dict()["proposals"][0]["transforms"][0]["attributes"]["Encapsulation-Mode"] == name


@pytest.mark.parametrize("proto,tid,pname,tname", [
    (3, 3, "IPSEC_ESP", "3DES"), (3, 12, "IPSEC_ESP", "AES"), (3, 11, "IPSEC_ESP", "NULL"),
    (3, 20, "IPSEC_ESP", "AES-GCM_16"),  # RFC 4106
    (2, 3, "IPSEC_AH", "SHA"), (2, 2, "IPSEC_AH", "MD5"),
    (4, 2, "IPCOMP", "DEFLATE"),
])
def test_transform_ids(proto, tid, pname, tname):
    """RFC 2407 §4.4.1-4.4.5 protocol and transform identifiers."""
    sa = only(message([(1, sa_body([proposal(1, proto, SPI, [transform(1, tid, b"")])]))], exchange=32, mid=3))
    p = sa.proposals[0]
    assert (p.protocol, p.transforms[0].transform_name) == (pname, tname)


def test_several_proposals_and_transforms():
    p1 = proposal(1, 3, SPI, [transform(1, 12, tv(6, 256), last=False), transform(2, 3, b"")], last=False)
    p2 = proposal(2, 2, bytes.fromhex("d1d2d3d4"), [transform(1, 3, tv(4, 2), last=False), transform(2, 2, tv(4, 2))])
    sa = only(message([(1, sa_body([p1, p2]))], exchange=32, mid=5))
    assert [(p.number, p.protocol_id, len(p.transforms)) for p in sa.proposals] == [(1, 3, 2), (2, 2, 2)]
    assert [t.number for t in sa.proposals[1].transforms] == [1, 2]
    assert sa.proposals[1].offset == PROP_AT + len(p1)
    assert not sa.notes


# ---------------------------------------------------------------------------
# KE, HASH, SIG, NONCE (§3.7, 3.11, 3.12, 3.13)

@pytest.mark.parametrize("ptype,key,short", [(4, "key_exchange_data", "KE"), (8, "hash", "HASH"),
                                             (9, "signature", "SIG"), (10, "nonce", "NONCE")])
def test_opaque_payloads(ptype, key, short):
    value = bytes(range(7, 7 + 40))
    p = only(message([(ptype, value)]))
    assert p.short == short and p.body == value
    d = p.to_dict()
    assert d[key] == value.hex() and d["data_length"] == 40
    assert (d["offset"], d["length"], d["next_payload"]) == (HEADER_LEN, 44, 0)


# ---------------------------------------------------------------------------
# ID (§3.8, RFC 2407 §4.6.2)

def _der(tag: int, content: bytes) -> bytes:
    n = len(content)
    if n < 0x80:
        return bytes([tag, n]) + content
    lb = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(lb)]) + lb + content


OID_C, OID_O, OID_OU, OID_CN = (bytes([0x55, 0x04, x]) for x in (6, 10, 11, 3))  # 2.5.4.{6,10,11,3}
OID_EMAIL = bytes.fromhex("2a864886f70d010901")  # 1.2.840.113549.1.9.1


def _atv(oid: bytes, value: str, tag: int = 0x13) -> bytes:
    return _der(0x30, _der(0x06, oid) + _der(tag, value.encode()))


def der_dn(*rdns: list[bytes]) -> bytes:
    """RDNSequence (RFC 5280 §4.1.2.4): SEQUENCE OF SET OF AttributeTypeAndValue."""
    return _der(0x30, b"".join(_der(0x31, b"".join(r)) for r in rdns))


MOON_DN = der_dn([_atv(OID_C, "CH")], [_atv(OID_O, "strongSwan", 0x0C)], [_atv(OID_CN, "moon", 0x0C)])


def test_der_dn_builder_matches_cryptography():
    """The hand-made DER is what an independent encoder produces."""
    from cryptography import x509
    from cryptography.x509.oid import NameOID
    name = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "CH"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "strongSwan"),
                      x509.NameAttribute(NameOID.COMMON_NAME, "moon")])
    assert name.public_bytes() == MOON_DN


def v6(a: str) -> bytes:
    return socket.inet_pton(socket.AF_INET6, a)


def v4(a: str) -> bytes:
    return socket.inet_aton(a)


ID_CASES = [
    (1, "IPV4_ADDR", v4("192.0.2.2"), "192.0.2.2"),
    (2, "FQDN", b"vpn.example.com", "vpn.example.com"),
    (3, "USER_FQDN", b"alice@example.com", "alice@example.com"),
    (4, "IPV4_ADDR_SUBNET", v4("10.1.0.0") + v4("255.255.0.0"), "10.1.0.0/16"),
    (4, "IPV4_ADDR_SUBNET", v4("192.0.2.7") + v4("255.255.255.255"), "192.0.2.7/32"),
    (4, "IPV4_ADDR_SUBNET", v4("0.0.0.0") + v4("0.0.0.0"), "0.0.0.0/0"),
    (4, "IPV4_ADDR_SUBNET", v4("10.0.1.0") + v4("255.0.255.0"), "10.0.1.0/255.0.255.0"),  # non-contiguous
    (5, "IPV6_ADDR", v6("2001:db8::2"), "2001:db8::2"),
    (6, "IPV6_ADDR_SUBNET", v6("2001:db8:1::") + v6("ffff:ffff:ffff:ffff::"), "2001:db8:1::/64"),
    (7, "IPV4_ADDR_RANGE", v4("192.0.2.10") + v4("192.0.2.20"), "192.0.2.10-192.0.2.20"),
    (8, "IPV6_ADDR_RANGE", v6("2001:db8::1") + v6("2001:db8::ff"), "2001:db8::1-2001:db8::ff"),
    (9, "DER_ASN1_DN", MOON_DN, "C=CH, O=strongSwan, CN=moon"),
    (9, "DER_ASN1_DN", der_dn([_atv(OID_OU, "Sales", 0x0C), _atv(OID_CN, "bob", 0x0C)],
                              [_atv(OID_EMAIL, "bob@example.com", 0x16)]),
     "OU=Sales+CN=bob, E=bob@example.com"),
    (11, "KEY_ID", b"keyid-0001", "keyid-0001"),
    (11, "KEY_ID", bytes.fromhex("00ff10"), "00ff10"),
]


@pytest.mark.parametrize("id_type,name,data,text", ID_CASES, ids=[f"{c[1]}-{i}" for i, c in enumerate(ID_CASES)])
def test_id_types(id_type, name, data, text):
    # RFC 2407 §4.6.2: ID type, protocol ID, port, identification data
    body = struct.pack(">BBH", id_type, 17, 500) + data
    p = only(message([(5, body)]))
    assert (p.id_type, p.id_type_name, p.protocol_id, p.port) == (id_type, name, 17, 500)
    assert p.text == text
    assert p.id_data == data
    d = p.to_dict()
    assert (d["id_type"], d["id_type_name"], d["id_data"], d["id_data_hex"]) == (id_type, name, text, data.hex())
    assert not p.notes


@pytest.mark.parametrize("id_type,data", [(1, v4("192.0.2.2")[:3]), (5, v6("2001:db8::1")[:15]),
                                          (4, v4("10.0.0.0")), (8, v6("::1"))])
def test_id_bad_length_is_an_error_at_the_data(id_type, data):
    p = only(message([(5, struct.pack(">BBH", id_type, 0, 0) + data)]))
    assert [(n.severity, n.offset) for n in p.notes] == [(ERROR, HEADER_LEN + 4 + 4)]  # the identification data
    assert p.text == data.hex()


def test_id_too_short():
    p = only(message([(5, b"\x01\x00")]))
    assert [(n.severity, n.offset) for n in p.notes] == [(ERROR, HEADER_LEN + 4)]


def test_id_details_show_protocol_and_port():
    p = only(message([(5, struct.pack(">BBH", 1, 17, 500) + v4("192.0.2.2"))]))
    labels = [r.label for r in p.details().children]
    assert "Protocol ID: UDP (17)" in labels and "Port: 500" in labels
    assert "Identification Data: 192.0.2.2" in labels


# ---------------------------------------------------------------------------
# CERT, CR (§3.9, §3.10)

def _self_signed_cert() -> bytes:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "CH"),
                         x509.NameAttribute(NameOID.ORGANIZATION_NAME, "strongSwan"),
                         x509.NameAttribute(NameOID.COMMON_NAME, "moon")])
    issuer = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "CH"),
                        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "strongSwan"),
                        x509.NameAttribute(NameOID.COMMON_NAME, "strongSwan Root CA")])
    now = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(key.public_key())
            .serial_number(1).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=365))
            .sign(key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.DER)


def test_cert_x509_signature():
    der = _self_signed_cert()
    p = only(message([(6, b"\x04" + der)]))  # encoding 4: X.509 Certificate - Signature
    assert (p.encoding, p.data) == (4, der)
    d = p.to_dict()
    assert d["encoding_name"] == "X.509 Certificate - Signature"
    assert d["subject"] == "CN=moon,O=strongSwan,C=CH"  # RFC 4514: last RDN first
    assert d["issuer"] == "CN=strongSwan Root CA,O=strongSwan,C=CH"
    assert not p.notes


def test_cert_garbage_is_a_warning_not_an_error():
    p = only(message([(6, b"\x04" + b"\x30\x03\x02\x01")]))
    assert p.notes and all(n.severity != ERROR for n in p.notes)
    assert p.notes[0].offset == HEADER_LEN + 4 + 1  # the certificate data after the encoding byte


def test_cert_request_with_authority():
    p = only(message([(7, b"\x04" + MOON_DN)]))
    assert p.short == "CR" and p.encoding == 4
    assert p.to_dict()["authority"] == "C=CH, O=strongSwan, CN=moon"


def test_cert_request_any_authority():
    p = only(message([(7, b"\x04")]))
    assert p.to_dict()["authority"] == ""
    assert not p.notes


def test_cert_without_encoding_byte():
    p = only(message([(6, b"")]))
    assert [(n.severity, n.offset) for n in p.notes] == [(ERROR, HEADER_LEN + 4)]


# ---------------------------------------------------------------------------
# Notification (§3.14, RFC 2407 §4.6.3, RFC 3706 §5)

def notify(doi: int, proto: int, ntype: int, spi: bytes, data: bytes, spi_size: int | None = None) -> bytes:
    """§3.14: DOI, protocol ID, SPI size, notify message type, SPI, notification data."""
    return struct.pack(">IBBH", doi, proto, len(spi) if spi_size is None else spi_size, ntype) + spi + data


@pytest.mark.parametrize("ntype,name", [(14, "NO-PROPOSAL-CHOSEN"), (16, "PAYLOAD-MALFORMED"),
                                        (18, "INVALID-ID-INFORMATION"), (24, "AUTHENTICATION-FAILED"),
                                        (24578, "INITIAL-CONTACT")])
def test_notify_types(ntype, name):
    p = only(message([(11, notify(1, 1, ntype, IC + RC, b""))], exchange=5, mid=77))
    assert (p.doi, p.protocol_id, p.protocol, p.notify_type, p.notify_name) == (1, 1, "ISAKMP", ntype, name)
    assert p.spi == IC + RC and p.data == b""
    assert p.to_dict()["spi"] == (IC + RC).hex()


@pytest.mark.parametrize("ntype,name", [(36136, "R-U-THERE"), (36137, "R-U-THERE-ACK")])
def test_dpd_sequence_numbers(ntype, name):
    """RFC 3706 §5: SPI is the two cookies, data the 32-bit sequence number."""
    p = only(message([(11, notify(1, 1, ntype, IC + RC, struct.pack(">I", 0x7FA5A1B3)))], exchange=5, mid=1))
    assert (p.notify_type, p.notify_name, p.sequence) == (ntype, name, 0x7FA5A1B3)
    assert p.to_dict()["sequence"] == 2141561267
    assert not p.notes


def test_dpd_bad_sequence_length():
    p = only(message([(11, notify(1, 1, 36136, IC + RC, b"\x00\x01\x02"))], exchange=5, mid=1))
    # body: DOI 4 + proto 1 + SPI size 1 + type 2 + SPI 16 = 24: the data
    assert [(n.severity, n.offset) for n in p.notes] == [(ERROR, HEADER_LEN + 4 + 24)]


def test_responder_lifetime():
    """RFC 2407 §4.6.3.1: RESPONDER-LIFETIME carries SA attributes (IPsec DOI for an ESP SPI)."""
    attrs = tv(1, 1) + tv(2, 3600) + tv(1, 2) + tlv(2, bytes.fromhex("00465000"))
    p = only(message([(11, notify(1, 3, 24576, SPI, attrs))], exchange=32, mid=2))
    assert p.notify_name == "RESPONDER-LIFETIME"
    assert [(a.name, a.value) for a in p.attributes] == [("SA-Life-Type", 1), ("SA-Life-Duration", 3600),
                                                         ("SA-Life-Type", 2), ("SA-Life-Duration", 4608000)]
    # attributes start after DOI 4 + proto 1 + SPI size 1 + type 2 + SPI 4
    assert [a.offset for a in p.attributes] == [HEADER_LEN + 4 + 12 + k for k in (0, 4, 8, 12)]
    assert not p.notes


def test_replay_status():
    p = only(message([(11, notify(1, 3, 24577, SPI, struct.pack(">I", 1)))], exchange=32, mid=2))
    assert p.notify_name == "REPLAY-STATUS" and p.sequence == 1


def test_notify_spi_size_past_payload():
    p = only(message([(11, notify(1, 1, 36136, b"\x01\x02\x03\x04", b"", spi_size=16))], exchange=5, mid=1))
    errs = [n for n in p.notes if n.severity == ERROR]
    assert errs and errs[0].offset == HEADER_LEN + 4 + 5  # the SPI Size field
    assert decode_message(message([(11, notify(1, 1, 36136, b"\x01\x02\x03\x04", b"", spi_size=16))],
                                  exchange=5, mid=1)).has_errors


def test_notify_too_short():
    p = only(message([(11, b"\x00\x00\x00\x01\x01")]))
    assert [(n.severity, n.offset) for n in p.notes] == [(ERROR, HEADER_LEN + 4)]


# ---------------------------------------------------------------------------
# Delete (§3.15)

def delete(doi: int, proto: int, spi_size: int, spis: list[bytes], count: int | None = None) -> bytes:
    return struct.pack(">IBBH", doi, proto, spi_size, len(spis) if count is None else count) + b"".join(spis)


def test_delete_esp_spis():
    p = only(message([(12, delete(1, 3, 4, [SPI, bytes.fromhex("0a0b0c0d")]))], exchange=5, mid=3))
    assert (p.doi, p.protocol_id, p.spis) == (1, 3, [SPI, bytes.fromhex("0a0b0c0d")])
    assert p.to_dict()["spis"] == ["c1c2c3c4", "0a0b0c0d"] and p.to_dict()["protocol"] == "IPSEC_ESP"


def test_delete_isakmp_sa():
    p = only(message([(12, delete(1, 1, 16, [IC + RC]))], exchange=5, mid=3))
    assert p.spis == [IC + RC] and p.to_dict()["protocol"] == "ISAKMP"


def test_delete_spis_past_payload():
    p = only(message([(12, delete(1, 3, 4, [SPI, SPI], count=3))], exchange=5, mid=3))
    errs = [n for n in p.notes if n.severity == ERROR]
    assert errs and errs[0].offset == HEADER_LEN + 4 + 6  # the Number of SPIs field
    assert p.spis == [SPI, SPI]


# ---------------------------------------------------------------------------
# Vendor ID (§3.16)

DPD_VID = bytes.fromhex("afcad71368a1f1c96b8696fc77570100")  # RFC 3706 §4


@pytest.mark.parametrize("vid,name", [
    (DPD_VID, "RFC 3706 DPD (Dead Peer Detection)"),
    (hashlib.md5(b"RFC 3947").digest(), "RFC 3947 Negotiation of NAT-Traversal in the IKE"),  # RFC 3947 §3.1
    (bytes.fromhex("09002689dfd6b712"), "XAUTH"),
    (bytes.fromhex("4048b7d56ebce88525e7de7f00d6c2d380000000"), "Cisco Fragmentation"),
    (bytes.fromhex("90cb80913ebb696e086381b5ec427b1f"), "draft-ietf-ipsec-nat-t-ike-02\\n"),
    (bytes.fromhex("7d9419a65310ca6f2c179d9215529d56"), "draft-ietf-ipsec-nat-t-ike-03"),
], ids=["dpd", "rfc3947", "xauth", "cisco-frag", "natt-02n", "natt-03"])
def test_vendor_id_exact(vid, name):
    """Names as tshark 4.0 prints them (captures/*/oracle.txt)."""
    p = only(message([(13, vid)]))
    assert p.vendor == name
    d = p.to_dict()
    assert (d["vendor_id"], d["vendor"]) == (vid.hex(), name)


@pytest.mark.parametrize("vid,name", [
    (DPD_VID + b"\x01", "RFC 3706 DPD (Dead Peer Detection)"),  # Wireshark matches VIDs by prefix
    (bytes.fromhex("12f5f28c457168a9702d9fe274cc") + b"\x02\x01", "CISCO-UNITY"),  # MD5("CISCO-UNITY")[:14] + version
    (b"OE-Libreswan-4.12", "Libreswan (3.6+)"),
    (bytes.fromhex("4048b7d56ebce88525e7de7f00d6c2d3") + bytes.fromhex("c0000000"),
     "Cisco Fragmentation (Cisco IKE Fragmentation)"),
])
def test_vendor_id_prefix(vid, name):
    assert only(message([(13, vid)])).vendor == name


def test_cisco_unity_md5():
    """The CISCO-UNITY VID is MD5("CISCO-UNITY") with its last two bytes replaced by major/minor."""
    vid = hashlib.md5(b"CISCO-UNITY").digest()[:14] + b"\x01\x00"
    assert vendor_name(vid).startswith("CISCO-UNITY")


def test_vendor_id_unknown():
    p = only(message([(13, bytes.fromhex("0123456789abcdeffedcba9876543210"))]))
    assert p.vendor is None and p.to_dict()["vendor"] is None


@pytest.mark.parametrize("which", ["initiator", "responder"])
def test_cisco_ios_cookie_xor_vid(which):
    """Cisco IOS sends cookie XOR f5c7a71d00010000, then 8 varying bytes."""
    mask = bytes.fromhex("f5c7a71d00010000")
    own = IC if which == "initiator" else RC
    vid = bytes(a ^ b for a, b in zip(own, mask)) + bytes.fromhex("6dcaa3bd0de7e8d4")
    p = only(message([(13, vid)]))
    assert p.vendor == "Cisco IOS (speaking to another IOS box)"
    # the same bytes under other cookies are not that VID
    other = only(message([(13, vid)], ic=bytes.fromhex("1111111111111111"), rc=bytes.fromhex("2222222222222222")))
    assert other.vendor != "Cisco IOS (speaking to another IOS box)"


def test_cisco_ios_vid_needs_a_nonzero_cookie():
    """In MM1 the responder cookie is zero: a VID equal to the bare mask is not the IOS VID."""
    vid = bytes.fromhex("f5c7a71d00010000") + bytes(8)
    p = only(message([(13, vid)], rc=ZERO))
    assert p.vendor != "Cisco IOS (speaking to another IOS box)"


def test_cisco_ios_vid_in_public_capture():
    """tcpdump's ISAKMP_sa_setup.pcap (IOS to IOS): MM3 and MM4 carry the cookie-derived VID."""
    from conftest import require_public
    from dissect.pipeline import Dissector
    path = require_public() / "tcpdump" / "ISAKMP_sa_setup.pcap"
    if not path.is_file():
        pytest.skip(f"{path} absent")
    pkts = {p.frame: p for p in Dissector(str(path)).packets()}
    for frame, vid in ((3, "3ac5957214a85b93db6a509869fdb330"), (4, "ed66aee59218e8dfbe01a135a2ad8994")):
        vids = {v.body.hex(): v.vendor for v in pkts[frame].isakmp.payloads if v.type == 13}
        assert vids[vid] == "Cisco IOS (speaking to another IOS box)"


# ---------------------------------------------------------------------------
# Attributes payload: mode-config and XAUTH (draft-dukes-ike-mode-cfg-02 §3.2,
# draft-beaulieu-ike-xauth-02 §6)

def cfg(cfg_type: int, ident: int, attrs: bytes) -> bytes:
    """Type (1 REQUEST, 2 REPLY, 3 SET, 4 ACK), reserved, identifier, attributes."""
    return struct.pack(">BBH", cfg_type, 0, ident) + attrs


def test_xauth_request_reply_set_ack():
    req = only(message([(14, cfg(1, 0x1234, tv(16520, 0) + tlv(16521, b"") + tlv(16522, b"")))], exchange=6, mid=8))
    assert (req.short, req.cfg_type, req.identifier) == ("ATTR", 1, 0x1234)
    assert req.to_dict()["cfg"] == "ISAKMP_CFG_REQUEST"
    assert [(a.type, a.name, a.tv) for a in req.attributes] == [
        (16520, "XAUTH_TYPE", True), (16521, "XAUTH_USER_NAME", False), (16522, "XAUTH_USER_PASSWORD", False)]
    assert req.attributes[0].value == 0  # Generic
    # attributes start after the generic header (4) and type/reserved/identifier (4)
    assert [a.offset for a in req.attributes] == [HEADER_LEN + 8, HEADER_LEN + 12, HEADER_LEN + 16]

    rep = only(message([(14, cfg(2, 0x1234, tlv(16521, b"alice") + tlv(16522, b"s3cret")))], exchange=6, mid=8))
    assert rep.to_dict()["cfg"] == "ISAKMP_CFG_REPLY"
    # the password is masked unless asked for (--show-secrets)
    assert rep.to_dict()["attributes"] == {"XAUTH_USER_NAME": "alice", "XAUTH_USER_PASSWORD": "********"}
    assert rep.to_dict()["attributes_raw"][1] == [16522, "********"]
    payloads_mod.SHOW_SECRETS[0] = True
    try:
        assert rep.to_dict()["attributes"]["XAUTH_USER_PASSWORD"] == "s3cret"
    finally:
        payloads_mod.SHOW_SECRETS[0] = False
    empty = only(message([(14, cfg(4, 0x5678, tlv(16527, b"")))], exchange=6, mid=9))
    assert empty.to_dict()["attributes"] == {"XAUTH_STATUS": ""}  # an empty ACK, not Fail

    st = only(message([(14, cfg(3, 0x5678, tv(16527, 1)))], exchange=6, mid=9))
    assert st.to_dict()["cfg"] == "ISAKMP_CFG_SET"
    assert [(a.name, a.value) for a in st.attributes] == [("XAUTH_STATUS", 1)]

    ack = only(message([(14, cfg(4, 0x5678, tv(16527, 0)))], exchange=6, mid=9))
    assert ack.to_dict()["cfg"] == "ISAKMP_CFG_ACK"


def test_mode_config_addresses():
    attrs = (tlv(1, v4("10.10.10.5")) + tlv(2, v4("255.255.255.0")) + tlv(3, v4("192.0.2.53"))
             + tlv(7, b"strongSwan 5.9.8") + tlv(28672, b"Welcome"))
    p = only(message([(14, cfg(2, 1, attrs))], exchange=6, mid=10))
    assert p.to_dict()["attributes"] == {
        "INTERNAL_IP4_ADDRESS": "10.10.10.5", "INTERNAL_IP4_NETMASK": "255.255.255.0",
        "INTERNAL_IP4_DNS": "192.0.2.53", "APPLICATION_VERSION": "strongSwan 5.9.8", "UNITY_BANNER": "Welcome"}


def test_mode_config_truncated_attribute():
    attrs = tv(16520, 0) + struct.pack(">HH", 16521, 10) + b"ali"  # says 10 bytes, has 3
    p = only(message([(14, cfg(1, 1, attrs))], exchange=6, mid=1))
    errs = [n for n in p.notes if n.severity == ERROR]
    assert [n.offset for n in errs] == [HEADER_LEN + 8 + 4]  # the second attribute's header
    assert [a.type for a in p.attributes] == [16520]


def test_mode_config_too_short():
    p = only(message([(14, b"\x01\x00")], exchange=6, mid=1))
    assert [(n.severity, n.offset) for n in p.notes] == [(ERROR, HEADER_LEN + 4)]


# ---------------------------------------------------------------------------
# NAT-D, NAT-OA (RFC 3947 §3.2, §5.2) and the draft numbers 130/131

@pytest.mark.parametrize("ptype", [20, 130])
def test_nat_d(ptype):
    # RFC 3947 §3.2: HASH = HASH(CKY-I | CKY-R | IP | Port), here with SHA-1
    h = hashlib.sha1(IC + RC + v4("192.0.2.2") + struct.pack(">H", 500)).digest()
    p = only(message([(ptype, h)]))
    assert p.short == "NAT-D" and p.type == ptype
    assert p.to_dict()["hash"] == h.hex()


@pytest.mark.parametrize("ptype", [21, 131])
@pytest.mark.parametrize("id_type,addr,text", [(1, v4("192.168.1.10"), "192.168.1.10"),
                                               (5, v6("fd00::10"), "fd00::10")])
def test_nat_oa(ptype, id_type, addr, text):
    # RFC 3947 §5.2: ID type, 3 reserved bytes, address
    p = only(message([(ptype, struct.pack(">BBH", id_type, 0, 0) + addr)], exchange=32, mid=4))
    assert p.short == "NAT-OA" and (p.id_type, p.address) == (id_type, text)
    assert p.to_dict()["address"] == text
    assert not p.notes


def test_nat_oa_bad_address():
    p = only(message([(21, struct.pack(">BBH", 1, 0, 0) + b"\x0a\x00")], exchange=32, mid=4))
    assert [(n.severity, n.offset) for n in p.notes] == [(ERROR, HEADER_LEN + 4 + 4)]


# ---------------------------------------------------------------------------
# Cisco IKE fragmentation (payload 132)

@pytest.mark.parametrize("flags,last", [(0x00, False), (0x01, True)])
def test_cisco_fragment(flags, last):
    data = bytes(range(100))
    body = struct.pack(">HBB", 0x0102, 3, flags) + data  # fragment ID, number, flags, data
    p = only(message([(132, body)]))
    assert (p.short, p.fragment_id, p.fragment_number, p.last, p.data) == ("FRAG", 0x0102, 3, last, data)
    assert p.to_dict()["last_fragment"] is last and p.to_dict()["data_length"] == 100


def test_cisco_fragment_too_short():
    p = only(message([(132, b"\x00\x01\x01")]))
    assert [(n.severity, n.offset) for n in p.notes] == [(ERROR, HEADER_LEN + 4)]


# ---------------------------------------------------------------------------
# IKEv2 (RFC 7296 §3)

def v2_header(np: int, length: int, exchange: int, flags: int, mid: int, rc: bytes = ZERO) -> bytes:
    return IC + rc + struct.pack(">BBBBII", np, 0x20, exchange, flags, mid, length)


def v2_message(payloads: list[tuple[int, bytes, bool]], exchange: int, flags: int, mid: int, rc: bytes = ZERO) -> bytes:
    body = b""
    for i, (_t, b, crit) in enumerate(payloads):
        nxt = payloads[i + 1][0] if i + 1 < len(payloads) else 0
        body += gen(nxt, b, 0x80 if crit else 0)
    return v2_header(payloads[0][0], HEADER_LEN + len(body), exchange, flags, mid, rc) + body


def test_ikev2_sa_init_chain():
    ke = struct.pack(">HH", 19, 0) + bytes(64)  # DH group 19, reserved, data (RFC 7296 §3.4)
    nonce = bytes(range(32))
    n_src = struct.pack(">BBH", 0, 0, 16388) + bytes(20)  # NAT_DETECTION_SOURCE_IP (§3.10)
    vid = bytes.fromhex("882fe56d6fd20dbc2251613b2ebe5beb")
    data = v2_message([(33, bytes(40), False), (34, ke, False), (40, nonce, False), (41, n_src, False),
                       (43, vid, False)], exchange=34, flags=0x08, mid=0)
    msg = decode_message(data)
    h = msg.header
    assert (h.major, h.minor, h.exchange, h.flag_names()) == (2, 0, "IKE_SA_INIT", ["I"])
    assert msg.payload_types == ["SA", "KE", "Ni/Nr", "N", "V"]
    assert [p.offset for p in msg.payloads] == [28, 72, 144, 180, 208]
    ke_p = msg.payloads[1]
    assert (ke_p.group, ke_p.data) == (19, bytes(64))
    n = msg.payloads[3]
    assert (n.notify_type, n.notify_name, n.protocol_id, n.spi) == (16388, "NAT_DETECTION_SOURCE_IP", 0, b"")
    assert msg.payloads[2].to_dict()["nonce"] == nonce.hex()
    assert not msg.has_errors and not msg.encrypted


def test_ikev2_critical_bit_and_response_flag():
    data = v2_message([(41, struct.pack(">BBH", 0, 0, 16430), True)], exchange=34, flags=0x20, mid=0, rc=RC)
    msg = decode_message(data)
    assert msg.header.flag_names() == ["R"]
    (n,) = msg.payloads
    assert n.critical and n.to_dict()["critical"] is True
    assert n.notify_name == "IKEV2_FRAGMENTATION_SUPPORTED"


def test_ikev2_sk_payload_ends_the_chain():
    sk = bytes(16) + bytes(range(64)) + bytes(12)  # IV, ciphertext, ICV
    data = v2_message([(46, sk, False)], exchange=35, flags=0x08, mid=1, rc=RC)
    data = data[:28] + bytes([35]) + data[29:]  # SK's Next Payload = IDi (35), the first inner payload
    msg = decode_message(data)
    assert msg.encrypted
    (sk_p,) = msg.payloads
    assert (sk_p.short, sk_p.next_payload, sk_p.body) == ("SK", 35, sk)
    assert sk_p.to_dict()["encrypted_length"] == len(sk)
    assert not msg.has_errors


def test_ikev2_skf_fragment_numbers():
    body = struct.pack(">HH", 2, 3) + bytes(40)  # RFC 7383 §2.5: fragment number, total fragments
    msg = decode_message(v2_message([(53, body, False)], exchange=35, flags=0x08, mid=1, rc=RC))
    (p,) = msg.payloads
    assert (p.short, p.fragment_number, p.total_fragments) == ("SKF", 2, 3)
    assert msg.encrypted


@pytest.mark.parametrize("id_type,data,text", [(2, b"moon.strongswan.org", "moon.strongswan.org"),
                                               (3, b"carol@strongswan.org", "carol@strongswan.org"),
                                               (1, v4("192.0.2.3"), "192.0.2.3"),
                                               (5, v6("2001:db8::3"), "2001:db8::3"),
                                               (9, MOON_DN, "C=CH, O=strongSwan, CN=moon")])
def test_ikev2_id(id_type, data, text):
    msg = decode_message(v2_message([(36, bytes([id_type, 0, 0, 0]) + data, False)],
                                    exchange=35, flags=0x20, mid=1, rc=RC))
    (p,) = msg.payloads
    assert (p.short, p.id_type, p.text) == ("IDr", id_type, text)


def test_ikev2_notify_spi_size_past_payload():
    body = struct.pack(">BBH", 3, 8, 16393) + SPI  # REKEY_SA, SPI size 8 but 4 bytes follow
    msg = decode_message(v2_message([(41, body, False)], exchange=36, flags=0x08, mid=3, rc=RC))
    assert [n.offset for n in errors(msg)] == [HEADER_LEN + 4 + 1]  # protocol ID 1 byte, then SPI Size


def test_ikev2_delete():
    body = struct.pack(">BBH", 3, 4, 2) + SPI + bytes.fromhex("0a0b0c0d")  # protocol ESP, SPI size 4, 2 SPIs
    msg = decode_message(v2_message([(42, body, False)], exchange=37, flags=0x08, mid=2, rc=RC))
    (p,) = msg.payloads
    assert p.spis == [SPI, bytes.fromhex("0a0b0c0d")] and p.protocol_id == 3


# ---------------------------------------------------------------------------
# Malformed messages: an error note at the right offset, never an exception

def test_truncated_attribute():
    attrs = tv(1, 7) + struct.pack(">HH", 12, 8) + b"\x00\x01"  # TLV says 8 bytes, 2 present
    sa = only(message([(1, sa_body([proposal(1, 1, b"", [transform(1, 1, attrs)])]))]))
    errs = [n for n in sa.notes if n.severity == ERROR]
    assert [n.offset for n in errs] == [ATTR_AT + 4]  # the second attribute's header
    assert [a.type for a in sa.proposals[0].transforms[0].attributes] == [1]


def test_truncated_attribute_in_second_proposal_after_hash():
    """Offsets are from the start of the message, wherever the SA payload sits."""
    p1 = proposal(1, 3, SPI, [transform(1, 12, tv(6, 128))], last=False)  # 8 + 4 + 12 = 24 bytes
    bad = tv(1, 1) + struct.pack(">HH", 2, 4) + b"\x00\x46"  # SA-Life-Duration says 4 bytes, 2 present
    p2 = proposal(2, 3, SPI, [transform(1, 3, bad)])
    msg = decode_message(message([(8, bytes(20)), (1, sa_body([p1, p2]))], exchange=32, mid=6))
    sa_at = HEADER_LEN + 24  # after the HASH payload (4 + 20)
    p2_at = sa_at + 4 + 8 + len(p1)
    assert msg.payloads[1].proposals[1].offset == p2_at
    # proposal header 8 + SPI 4, transform header 8, then one TV attribute of 4
    assert [n.offset for n in errors(msg)] == [p2_at + 8 + 4 + 8 + 4]


def test_truncated_attribute_header():
    attrs = tv(1, 7) + b"\x80"  # one byte of a second attribute
    sa = only(message([(1, sa_body([proposal(1, 1, b"", [transform(1, 1, attrs)])]))]))
    assert [n.offset for n in sa.notes if n.severity == ERROR] == [ATTR_AT + 4]


def test_proposal_length_past_the_end():
    prop = proposal(1, 1, b"", [transform(1, 1, tv(1, 7))], length=200)
    msg = decode_message(message([(1, sa_body([prop]))]))
    errs = errors(msg)
    assert [n.offset for n in errs] == [PROP_AT + 2]  # the proposal's Payload Length field
    assert msg.has_errors


def test_transform_length_past_the_proposal():
    t = struct.pack(">BBHBBH", 0, 0, 64, 1, 1, 0) + tv(1, 7)
    msg = decode_message(message([(1, sa_body([proposal(1, 1, b"", [t])]))]))
    assert [n.offset for n in errors(msg)] == [TRANS_AT + 2]


def test_proposal_spi_size_past_the_proposal():
    prop = proposal(1, 3, b"\x01\x02", [], spi_size=16)
    msg = decode_message(message([(1, sa_body([prop]))], exchange=32, mid=1))
    errs = errors(msg)
    assert errs and errs[0].offset == PROP_AT + 6  # the SPI Size field


def test_sa_too_short():
    msg = decode_message(message([(1, b"\x00\x00\x00\x01")]))
    assert [(n.severity, n.offset) for n in errors(msg)] == [(ERROR, SA_BODY)]


def test_payload_length_less_than_4():
    data = header(10, HEADER_LEN + 8) + struct.pack(">BBH", 0, 0, 2) + bytes(4)
    msg = decode_message(data)
    errs = errors(msg)
    assert [n.offset for n in errs] == [HEADER_LEN + 2]  # the Payload Length field
    assert msg.payloads == []


def test_payload_length_past_the_message():
    data = header(10, HEADER_LEN + 20) + struct.pack(">BBH", 0, 0, 100) + bytes(16)
    msg = decode_message(data)
    assert [n.offset for n in errors(msg)] == [HEADER_LEN + 2]
    assert len(msg.payloads) == 1 and msg.payloads[0].body == bytes(16)


def test_chain_running_past_the_message():
    """The last payload names a next payload, but the message ends."""
    body = gen(13, bytes(20))  # NONCE says: VID follows
    msg = decode_message(header(10, HEADER_LEN + len(body)) + body)
    errs = errors(msg)
    assert [n.offset for n in errs] == [HEADER_LEN + len(body)]  # where the missing header would start
    assert msg.payload_types == ["NONCE"]


def test_chain_past_message_with_partial_header():
    body = gen(13, bytes(20)) + b"\x00\x00"  # two bytes of the VID's header
    msg = decode_message(header(10, HEADER_LEN + len(body)) + body)
    assert [n.offset for n in errors(msg)] == [HEADER_LEN + 24]


def test_bytes_after_last_payload_is_a_warning():
    body = gen(0, bytes(20)) + b"\x00" * 4
    msg = decode_message(header(10, HEADER_LEN + len(body)) + body)
    assert not msg.has_errors
    assert [n.offset for n in msg.notes] == [HEADER_LEN + 24]


def test_malformed_counts_in_pipeline(tmp_path):
    """A malformed message is kept, counted in stats.malformed, and its notes reach the JSON."""
    import sys
    from pathlib import Path
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import _synth as S
    from dissect.pipeline import Dissector
    bad = header(10, HEADER_LEN + 8) + struct.pack(">BBH", 0, 0, 2) + bytes(4)
    path = S.write_pcap(tmp_path / "m.pcap", 1, [(1, 0, S.ethernet(S.ip(4, 17, S.udp(500, 500, bad))))])
    d = Dissector(str(path))
    (p,) = list(d.packets())
    assert d.stats.malformed == 1
    notes = p.to_dict()["isakmp"]["expert"]
    assert notes[0]["severity"] == "error" and notes[0]["offset"] == HEADER_LEN + 2


def _corpus() -> list[bytes]:
    sa1 = message([(1, _phase1_sa()), (13, DPD_VID)])
    qm = message([(8, bytes(20)), (1, _qm_sa(tv(1, 2) + tlv(2, b"\x00\x46\x50\x00") + tv(4, 3))),
                  (10, bytes(16)), (5, struct.pack(">BBH", 4, 0, 0) + v4("10.0.0.0") + v4("255.0.0.0")),
                  (21, struct.pack(">BBH", 1, 0, 0) + v4("10.0.0.1"))], exchange=32, mid=3)
    info = message([(8, bytes(20)), (11, notify(1, 1, 36136, IC + RC, b"\0\0\0\1")),
                    (12, delete(1, 3, 4, [SPI]))], exchange=5, mid=4)
    xauth = message([(14, cfg(2, 1, tlv(16521, b"alice") + tv(16520, 0))), (132, b"\x00\x01\x01\x01abc"),
                     (6, b"\x04" + MOON_DN), (7, b"\x04" + MOON_DN), (9, bytes(8))], exchange=6, mid=5)
    v2 = v2_message([(34, struct.pack(">HH", 14, 0) + bytes(32), False), (41, struct.pack(">BBH", 3, 4, 16393) + SPI, False),
                     (35, b"\x02\0\0\0host", False), (42, struct.pack(">BBH", 3, 4, 1) + SPI, False),
                     (46, bytes(40), False)], exchange=34, flags=0x08, mid=0)
    return [sa1, qm, info, xauth, v2]


def test_never_raises_on_truncation_or_corruption():
    rng = random.Random(2408)
    for data in _corpus():
        variants = [data[:n] for n in range(len(data) + 1)]
        for _ in range(300):
            b = bytearray(data)
            for _k in range(rng.randint(1, 4)):
                b[rng.randrange(len(b))] = rng.randrange(256)
            variants.append(bytes(b))
            # and a message whose ISAKMP length matches what is there
            variants.append(bytes(b[:24]) + struct.pack(">I", len(b)) + bytes(b[28:]))
        for v in variants:
            msg = decode_message(v)  # must not raise
            msg.to_dict()
            msg.details()
            for n in msg.all_notes():
                assert n.offset is None or 0 <= n.offset <= len(v), (v.hex(), n)


def test_decode_payload_direct_never_raises():
    """Every registered decoder, fed every short body, notes instead of raising."""
    for version in (1, 2):
        for ptype in list(range(0, 60)) + [130, 131, 132]:
            for n in range(0, 12):
                p = decode_payload(version, ptype, 28, 4 + n, 0, bytes([0xFF] * n))
                p.to_dict()
                p.details()


_DUPLICATE_LIFE = PUBLIC / "suricata-verify" / "ikev1-duplicate-proposals" / "generated.pcap"


@pytest.mark.skipif(not _DUPLICATE_LIFE.exists(), reason="../shared/public-captures is not there")
def test_a_life_duration_before_any_life_type_has_no_unit():
    """suricata-verify's ikev1-duplicate-proposals: a Life-Duration (86400) comes before the Life-Type
    (seconds) and a second Life-Duration (65535) follows it.  The summary, as the packet tree, gives the
    first no unit (suricata logs it as "Unknown"): only the second is in seconds."""
    from dissect.pipeline import Dissector
    (pkt,) = [p for p in Dissector(str(_DUPLICATE_LIFE)).packets() if p.isakmp is not None]
    sa = pkt.isakmp.payloads[0]
    (t,) = sa.proposals[0].transforms
    assert [(a.type, a.value) for a in t.attributes if a.type in (11, 12)] == [(12, 86400), (11, 1), (12, 65535)]
    assert t.summary() == "AES-CBC-128 SHA PSK DH2 86400 65535s"
