"""Wireshark's IKEv1 decryption test, replayed with ikescope.

Wireshark's ``test/suite_decryption.py`` (case_decrypt_ike_isakmp) decrypts
``ikev1-certs.pcap`` with the ``ikev1_decryption_table`` UAT
(``Initiator COOKIE,Encryption Key``) and asserts that ``-Tfields -e
x509sat.printableString`` contains ``OpenSwan`` (MANIFEST.md §2).  The
capture is ``zeek-spicy-ipsec/traces/ikev1-certs.pcap`` (the same git blob as
Wireshark's ``test/captures/ikev1-certs.pcap``), the table
``wireshark/ikev1_decryption_table.tmpl``.  MANIFEST §2 "Check" states what
Wireshark prints per frame with the key loaded: frame 5
``SchendlZertifikate,Wien,Wien,Juniper,Lab,OpenSwan,SchendlZertifikate``, frame 6
``…,srx210-3`` (issuer CN, then the subject's ST, L, O, OU, CN; frame 5 also
carries a CR naming the CA), and without the key only frame 4's CR
``SchendlZertifikate``.

``x509sat.printableString`` is every DirectoryString of choice printableString,
in encoding order; countryName (x509sat.CountryName) and domainComponent
(IA5String) are other fields.  ikescope gives RFC 4514 strings
(``CertPayload.subject``/``issuer``: last RDN first); the tests turn them into
Wireshark's list, and also read the PrintableStrings straight out of the
certificate bytes ikescope decrypted.

The last test compares more decrypted fields with a local TShark 4.0.17 run
(``_local-tool-output/``, MANIFEST: not an origin oracle, a second
implementation run with the same key).
"""
from __future__ import annotations

import re

import pytest

from conftest import PUBLIC
from dissect.keysources import parse_ikev1_decryption_table
from dissect.model import ERROR, WARNING
from dissect.pipeline import Dissector

TABLES = sorted((PUBLIC / "wireshark").glob("ikev1_decryption_table*"))
CERTS = PUBLIC / "zeek-spicy-ipsec" / "traces" / "ikev1-certs.pcap"
MANIFEST = PUBLIC / "MANIFEST.md"
TSHARK_V = PUBLIC / "_local-tool-output" / "zeek-spicy-ipsec_traces_ikev1-certs.pcap.tshark-V.txt"

pytestmark = pytest.mark.skipif(not TABLES or not CERTS.is_file(),
                                reason=f"Wireshark ikev1_decryption_table or {CERTS} not present "
                                       "(public-captures, MANIFEST.md §2)")

ICOOKIE = bytes.fromhex("fafaeb49382a763c")
#: MANIFEST.md §2 "Check" (Wireshark with the key loaded), x509sat.printableString per frame
FRAME5 = ["SchendlZertifikate", "Wien", "Wien", "Juniper", "Lab", "OpenSwan", "SchendlZertifikate"]
FRAME6 = ["SchendlZertifikate", "Wien", "Wien", "Juniper", "Lab", "srx210-3"]
#: attributes Wireshark does not show as x509sat.printableString (countryName, domainComponent)
NOT_PRINTABLE_FIELD = {"C", "DC"}
OID_COUNTRY = bytes.fromhex("550406")


def _table():
    path = TABLES[0]
    return parse_ikev1_decryption_table(path.read_text(), path.name)


def _packets(keys):
    d = Dissector(str(CERTS), keys=keys, parallel=False)
    return d, {p.datagram.frame: p.isakmp for p in d.packets()}


@pytest.fixture(scope="module")
def decrypted():
    return _packets(_table())


# --- names -> Wireshark's field list ----------------------------------------------------------

def _rfc4514_in_encoding_order(text: str) -> list[tuple[str, str]]:
    """``CN=a,OU=b,C=AT`` (RFC 4514: last RDN first) -> [("C","AT"), ("OU","b"), ("CN","a")]."""
    parts = re.split(r"(?<!\\),", text)
    return [tuple(p.split("=", 1)) for p in reversed(parts)]


def _encoding_order(text: str) -> list[tuple[str, str]]:
    """ikescope's CR authority, ``DC=at, DC=x, CN=y`` (encoding order, as strongSwan logs DNs)."""
    return [tuple(p.strip().split("=", 1)) for p in text.split(", ")]


def _printable_fields_from_names(msg) -> list[str]:
    out: list[str] = []
    for p in msg.payloads:
        if p.type == 6:
            for dn in (p.issuer, p.subject):        # tbsCertificate: issuer before subject
                out += [v for k, v in _rfc4514_in_encoding_order(dn) if k not in NOT_PRINTABLE_FIELD]
        elif p.type == 7 and p.subject:
            out += [v for k, v in _encoding_order(p.subject) if k not in NOT_PRINTABLE_FIELD]
    return out


def _der_printable_strings(data: bytes) -> list[str]:
    """PrintableString values of every AttributeTypeAndValue in DER ``data`` except countryName,
    in encoding order (a plain DER walk; what x509sat.printableString lists)."""
    out: list[str] = []

    def walk(buf: bytes) -> None:
        pos = 0
        while pos + 2 <= len(buf):
            tag, n = buf[pos], buf[pos + 1]
            hdr = 2
            if n & 0x80:
                k = n & 0x7F
                n = int.from_bytes(buf[pos + 2:pos + 2 + k], "big")
                hdr += k
            value = buf[pos + hdr:pos + hdr + n]
            if tag == 0x30 and len(value) >= 2 and value[0] == 0x06:      # SEQUENCE { OID, value }
                olen = value[1]
                oid, rest = value[2:2 + olen], value[2 + olen:]
                if rest[:1] == b"\x13" and oid != OID_COUNTRY and len(rest) >= 2:
                    out.append(rest[2:2 + rest[1]].decode("ascii"))
                    pos += hdr + n
                    continue
            if tag & 0x20:                                               # constructed: look inside
                walk(value)
            pos += hdr + n
    walk(data)
    return out


def _printable_fields_from_bytes(msg) -> list[str]:
    out: list[str] = []
    for p in msg.payloads:
        if p.type in (6, 7):
            out += _der_printable_strings(p.data)
    return out


# --- tests ---------------------------------------------------------------------------------------

def test_table_rows_are_read_as_wireshark_has_them():
    """The three rows MANIFEST §2 quotes from ikev1_decryption_table.tmpl."""
    rows = [(e.icookie.hex(), e.enc_key.hex()) for e in _table()]
    assert rows == [
        ("fafaeb49382a763c", "735be0cb62f82675c4f7bf8fbab9b56834ba76d6ab4fa240"),
        ("ab3e0f1f8bc3be8e", "928392441e00ece5e8af3bc545416e86afa1291e7c013271514738b70ef25d22"),
        ("29f6006212625def", "c26a81baec6070d289f0b4f13c2fb182e3d5406d11c29ebc2fc179502541325b"),
    ]


def test_every_encrypted_message_decrypts(decrypted):
    d, msgs = decrypted
    assert [msgs[f].role for f in range(1, 11)] == ["MM1", "MM2", "MM3", "MM4", "MM5", "MM6",
                                                     "QM1", "QM1", "QM2", "QM3"]
    for f in range(5, 11):
        m = msgs[f]
        assert m.encrypted and m.decrypted, f"frame {f}: {[n.message for n in m.notes]}"
        assert not [n for n in m.notes if n.severity in (ERROR, WARNING)], f"frame {f}: {[n.message for n in m.notes]}"
    assert msgs[8].retransmission_of == 7 and msgs[8].plaintext == msgs[7].plaintext
    st = d.decryptor.states[ICOOKIE]
    assert st.keys.cipher.name == "3DES-CBC" and st.keys.enc_key.hex().startswith("735be0cb")
    assert st.failed == 0


def test_wireshark_assertion_openswan_in_a_decrypted_certificate(decrypted):
    """suite_decryption.py: x509sat.printableString contains "OpenSwan" -- here, a decrypted CERT
    payload's subject or issuer (RFC 4514) contains it."""
    _d, msgs = decrypted
    names = [dn for m in msgs.values() if m is not None for p in m.payloads if p.type == 6
             for dn in (p.subject, p.issuer) if dn]
    assert any("OpenSwan" in dn for dn in names), names


@pytest.mark.parametrize("frame, expected", [(5, FRAME5), (6, FRAME6)])
def test_frame_certificate_fields_match_the_manifest(decrypted, frame, expected):
    """Frame 5/6's x509sat.printableString as MANIFEST §2 states it, from ikescope's RFC 4514
    subject/issuer (and CR authority) and from the decrypted certificate bytes."""
    _d, msgs = decrypted
    m = msgs[frame]
    assert [p.short for p in m.payloads] == (["ID", "CERT", "CR", "SIG"] if frame == 5 else ["ID", "CERT", "SIG"])
    assert _printable_fields_from_names(m) == expected
    assert _printable_fields_from_bytes(m) == expected
    cert = next(p for p in m.payloads if p.type == 6)
    cn = "OpenSwan" if frame == 5 else "srx210-3"
    assert cert.subject.startswith(f"CN={cn},OU=Lab,O=Juniper,L=Wien,ST=Wien"), cert.subject
    assert cert.issuer.startswith("CN=SchendlZertifikate"), cert.issuer


def test_manifest_states_these_lists():
    """Guard: the expectations above are MANIFEST §2's words (frame 6 abbreviated there as …,srx210-3)."""
    if not MANIFEST.is_file():
        pytest.skip(f"{MANIFEST} not present")
    text = MANIFEST.read_text()
    assert f"Frame 5 gives `{','.join(FRAME5)}`" in text
    assert "frame 6 gives `…,srx210-3`" in text
    assert "only frame 4's `SchendlZertifikate` shows" in text


def test_certificate_request_names_the_issuing_ca(decrypted):
    """The CR of frame 4 (clear) and frame 5 asks for the CA that issued both certificates."""
    _d, msgs = decrypted
    issuers = {tuple(_rfc4514_in_encoding_order(p.issuer)) for f in (5, 6) for p in msgs[f].payloads if p.type == 6}
    assert len(issuers) == 1
    for f in (4, 5):
        cr = [p for p in msgs[f].payloads if p.type == 7]
        assert len(cr) == 1 and tuple(_encoding_order(cr[0].subject)) in issuers, f"frame {f}: {cr[0].subject}"


def test_without_the_key_only_frame4_shows_a_printable_string():
    """MANIFEST §2: "Without the key only frame 4's SchendlZertifikate shows"."""
    _d, msgs = _packets(None)
    for f in range(5, 11):
        assert msgs[f].encrypted and not msgs[f].decrypted
    shown = {f: _printable_fields_from_bytes(m) for f, m in msgs.items() if _printable_fields_from_bytes(m)}
    assert shown == {4: ["SchendlZertifikate"]}


def _tshark_frames() -> dict[int, list[str]]:
    """Frame number -> lines of the local ``tshark -V`` run."""
    frames: dict[int, list[str]] = {}
    cur = None
    for line in TSHARK_V.read_text().splitlines():
        m = re.match(r"^Frame (\d+):", line)
        if m:
            cur = frames.setdefault(int(m[1]), [])
        elif cur is not None:
            cur.append(line)
    return frames


def test_decrypted_fields_agree_with_local_tshark(decrypted):
    """Second implementation (TShark 4.0.17, same key; MANIFEST: not an origin oracle): the decrypted
    payload chain of frames 5, 6, 7, 9, 10 (TShark fails frame 8, the retransmission of 7, which it
    decrypts with the already advanced IV), IDs, HASH, nonces, SPIs, and KE/signature prefixes."""
    if not TSHARK_V.is_file():
        pytest.skip(f"{TSHARK_V} not present")
    _d, msgs = decrypted
    tshark = _tshark_frames()
    names = {"Identification": "ID", "Certificate": "CERT", "Certificate Request": "CR", "Signature": "SIG",
             "Hash": "HASH", "Security Association": "SA", "Nonce": "NONCE", "Key Exchange": "KE"}
    for f in (5, 6, 7, 9, 10):
        lines = tshark[f]
        chain = [names[m[1]] for ln in lines if (m := re.match(r"^ {8}Payload: (.+) \(\d+\)$", ln))]
        m = msgs[f]
        assert [p.short for p in m.payloads] == chain, f"frame {f}"
        for label, ptype, render in [
            ("Identification Data:", 5, lambda p: p.text),
            ("Hash DATA: ", 8, lambda p: p.body.hex()),
            ("Nonce DATA: ", 10, lambda p: p.body.hex()),
            ("Key Exchange Data: ", 4, lambda p: p.body.hex()),
            ("Signature DATA: ", 9, lambda p: p.body.hex()),
        ]:
            theirs = [ln.strip()[len(label):] for ln in lines if ln.startswith(" " * 12 + label)]
            ours = [render(p) for p in m.payloads if p.type == ptype]
            assert len(theirs) == len(ours), f"frame {f} {label}"
            for t, o in zip(theirs, ours):
                assert o.startswith(t.rstrip("…")), f"frame {f} {label} tshark {t!r}, ikescope {o!r}"
        spis = [ln.strip()[5:] for ln in lines if re.match(r"^ {16}SPI: ", ln)]
        ours = [prop.spi.hex() for p in m.payloads if p.type == 1 for prop in p.proposals]
        assert spis == ours, f"frame {f} SPI"
