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

``test_decrypted_fields_agree_with_local_tshark`` compares more decrypted fields
with a local TShark 4.0.17 run (``_local-tool-output/``, MANIFEST: not an origin
oracle, a second implementation run with the same key).

The last section does it the user's way and Wireshark's way: the table read with
``load_key_file`` (as ``--keys TABLE``), ``ikescope dissect --json`` and ``-V``,
and -- where tshark and pyshark are installed -- Wireshark's own test run live
(the table in tshark's configuration directory; x509sat fields per frame) and
tshark's decrypted payload chains (:mod:`tshark_oracle`) against ikescope's.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from conftest import PUBLIC, REPO, require_tshark
from dissect.keysources import load_key_file, parse_ikev1_decryption_table
from dissect.model import ERROR, WARNING
from dissect.pipeline import Dissector

try:  # the live tshark comparison needs pyshark
    import pyshark

    import tshark_oracle as oracle
except ImportError as e:  # pragma: no cover - depends on the environment
    pyshark = oracle = None
    _ORACLE_MISSING = f"the tshark comparison needs pyshark ({e}); pip install -e '.[test]'"

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


# --- the same through load_key_file, the CLI, and tshark itself ---------------------------------------
#
# A user gives the table as ``--keys TABLE``: dissect.keysources.load_key_file recognises it by content.
# tshark runs as Wireshark's test suite runs it: the .tmpl copied into its configuration directory as
# ``ikev1_decryption_table`` (and, for the payload comparison, also as ``-o uat:`` preferences).

#: Wireshark's test_ikev1_certs: ``self.assertTrue(self.grepOutput('OpenSwan'))`` over
#: ``-Tfields -e x509sat.printableString``
WIRESHARK_EXPECTS = "OpenSwan"

#: Frame 8 resends frame 7 (QM1, the same bytes, 10 s later).  tshark chains the Quick Mode IV through
#: every message of that M-ID in capture order, so it decrypts the copy with frame 7's last ciphertext
#: block as IV and the first block comes out garbled ("[Malformed Packet: ISAKMP]"); ikescope recognises
#: the retransmission and decrypts it with the IV its first copy used (frame 7's plaintext again).
RETRANSMITTED_QM1 = 8


def _table_path() -> str:
    return str(TABLES[0])


def _table_rows() -> list[tuple[bytes, bytes]]:
    """The table's rows, read here without ikescope: ``#`` lines are comments, the rest ``icookie,key``."""
    rows = []
    for line in TABLES[0].read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            icookie, key = line.split(",")
            rows.append((bytes.fromhex(icookie), bytes.fromhex(key)))
    return rows


def _x509_fields(attrs) -> dict[str, list[str]]:
    """(attribute, value) pairs in encoding order -> the x509sat fields Wireshark shows them as:
    countryName is its own type (CountryName), domainComponent an IA5String (RFC 4519), the others
    DirectoryStrings (printableString in this capture)."""
    out: dict[str, list[str]] = {"CountryName": [], "IA5String": [], "printableString": []}
    for k, v in attrs:
        out["CountryName" if k == "C" else "IA5String" if k == "DC" else "printableString"].append(v)
    return out


def _our_x509_fields(msg) -> dict[str, list[str]]:
    """A message's CERT (issuer, then subject: tbsCertificate order) and CR names as x509sat fields."""
    attrs: list = []
    for p in msg.payloads:
        if p.type == 6 and p.subject is not None:
            attrs += _rfc4514_in_encoding_order(p.issuer) + _rfc4514_in_encoding_order(p.subject)
        elif p.type == 7 and p.subject:
            attrs += _encoding_order(p.subject)
    return _x509_fields(attrs)


def _json_x509_fields(obj: dict) -> dict[str, list[str]]:
    """The same from a ``dissect --json`` line."""
    attrs: list = []
    for p in obj["isakmp"]["payloads"]:
        if p["type"] == "CERT" and "subject" in p:
            attrs += _rfc4514_in_encoding_order(p["issuer"]) + _rfc4514_in_encoding_order(p["subject"])
        elif p["type"] == "CR" and p.get("authority"):
            attrs += _encoding_order(p["authority"])
    return _x509_fields(attrs)


@pytest.fixture(scope="module")
def loaded():
    """Dissector over the capture with ``load_key_file(TABLE)``: frame -> Message."""
    return _packets(load_key_file(_table_path()))


def test_capture_is_wiresharks_test_capture():
    """MANIFEST: the file is the git blob of Wireshark's test/captures/ikev1-certs.pcap ("same git blob
    6922aa37…"); a git blob id is sha1("blob <size>\\0" + content)."""
    if not MANIFEST.is_file():
        pytest.skip(f"{MANIFEST} not present")
    text = MANIFEST.read_text()
    m = re.search(r"ikev1-certs\.pcap.*?same git blob ([0-9a-f]{6,40})", text)
    assert m, "MANIFEST.md no longer names the git blob of ikev1-certs.pcap"
    data = CERTS.read_bytes()
    assert hashlib.sha1(b"blob %d\x00" % len(data) + data).hexdigest().startswith(m[1])
    assert f"output contains `{WIRESHARK_EXPECTS}`" in text


def test_load_key_file_reads_the_table_and_one_row_fits(loaded):
    """load_key_file gives Wireshark's rows; the row for this capture's initiator cookie decrypts all six
    encrypted messages, the two rows for Wireshark's bug-12610/12620 captures match no IKE SA."""
    entries = load_key_file(_table_path())
    assert [(e.icookie, e.enc_key) for e in entries] == _table_rows()
    assert all(e.source.startswith(_table_path()) for e in entries)
    d, msgs = loaded
    assert msgs[1].header.icookie == ICOOKIE
    (key,) = [k for c, k in _table_rows() if c == ICOOKIE]
    assert len(key) == 24                      # 3DES-CBC (MM1/MM2): Ka is 24 bytes
    assert [f for f in sorted(msgs) if msgs[f].decrypted] == [5, 6, 7, 8, 9, 10]
    assert all(0 <= msgs[f].padding < 8 for f in range(5, 11))
    st = d.decryptor.states[ICOOKIE]
    assert st.entry.enc_key == key and (st.decrypted, st.failed) == (6, 0)
    assert [(e.icookie, e.enc_key) for e in d.decryptor.unused_entries()] == \
        [r for r in _table_rows() if r[0] != ICOOKIE]
    hits = [(f, p.subject) for f in sorted(msgs) for p in msgs[f].payloads
            if p.type == 6 and WIRESHARK_EXPECTS in (p.subject or "")]
    assert [f for f, _s in hits] == [5] and ("CN", WIRESHARK_EXPECTS) in _rfc4514_in_encoding_order(hits[0][1])


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cli.main", *args], cwd=REPO, capture_output=True, text=True,
                          timeout=120)


def test_cli_json_shows_the_decrypted_certificates(loaded):
    """``ikescope dissect CAP --keys TABLE --json``: frames 5-10 decrypted, frame 5's CERT subject names
    OpenSwan, and every frame's X.509 names are the API's.  The two rows that fit no SA of this capture
    are reported (one line each) and make the exit code 1 (README: key material that cannot be used)."""
    r = _cli("dissect", str(CERTS), "--keys", _table_path(), "--json")
    assert "Traceback" not in r.stderr
    unused = [line for line in r.stderr.splitlines() if "matches no IKE SA" in line]
    assert len(unused) == 2 and r.returncode == 1, (r.returncode, r.stderr)
    objs = {o["frame"]: o for o in map(json.loads, r.stdout.splitlines())}
    assert sorted(objs) == list(range(1, 11))
    assert [f for f in objs if objs[f]["isakmp"]["decrypted"]] == [5, 6, 7, 8, 9, 10]
    subjects = [(f, p["subject"]) for f, o in objs.items() for p in o["isakmp"]["payloads"] if p["type"] == "CERT"]
    assert [f for f, s in subjects if WIRESHARK_EXPECTS in s] == [5], subjects
    _d, msgs = loaded
    for f, m in msgs.items():
        assert _json_x509_fields(objs[f]) == _our_x509_fields(m), f


def test_cli_with_only_the_matching_row_exits_0(tmp_path):
    (key,) = [k for c, k in _table_rows() if c == ICOOKIE]
    table = tmp_path / "ikev1_decryption_table"
    table.write_text(f"{ICOOKIE.hex()},{key.hex()}\n")
    r = _cli("dissect", str(CERTS), "--keys", str(table), "--json")
    assert r.returncode == 0, r.stderr
    assert sum(json.loads(line)["isakmp"]["decrypted"] for line in r.stdout.splitlines()) == 6


def test_cli_verbose_tree_shows_the_subject():
    """``ikescope dissect CAP --keys TABLE -V``: the decrypted MM5 tree shows ``Subject: CN=OpenSwan,...``."""
    r = _cli("dissect", str(CERTS), "--keys", _table_path(), "-V")
    assert "Traceback" not in r.stderr and r.returncode == 1, r.stderr
    parts = re.split(r"^Frame (\d+): ", r.stdout, flags=re.M)
    tree = {int(parts[i]): parts[i + 1] for i in range(1, len(parts) - 1, 2)}
    assert sorted(tree) == list(range(1, 11))
    assert re.search(rf"Subject: CN={WIRESHARK_EXPECTS},", tree[5]), tree[5]
    assert "Subject: CN=srx210-3," in tree[6]
    assert all(re.search(r"\[Decrypted: \d+ bytes, \d+ of them padding\]", tree[f]) for f in range(5, 11))
    assert WIRESHARK_EXPECTS not in "".join(tree[f] for f in range(1, 5))


def _require_oracle():
    require_tshark()
    if oracle is None:
        pytest.skip(_ORACLE_MISSING)


def _tshark_x509_fields(config_dir: str) -> dict[int, dict[str, list[str]]]:
    """Frame -> the x509sat field lists tshark shows, through pyshark, with ``config_dir`` as
    WIRESHARK_CONFIG_DIR."""
    out: dict[int, dict[str, list[str]]] = {}
    saved = os.environ.get("WIRESHARK_CONFIG_DIR")
    os.environ["WIRESHARK_CONFIG_DIR"] = config_dir
    cap = pyshark.FileCapture(str(CERTS), display_filter="isakmp", keep_packets=False)
    try:
        for pkt in cap:
            fields: dict[str, list[str]] = {"CountryName": [], "IA5String": [], "printableString": []}
            for layer in pkt.layers:
                for name in fields:
                    f = layer.get_field(f"x509sat.{name}")
                    if f is not None:
                        fields[name] += [x.showname_value for x in f.all_fields]
            out[int(pkt.number)] = fields
    finally:
        cap.close()
        if saved is None:
            os.environ.pop("WIRESHARK_CONFIG_DIR", None)
        else:
            os.environ["WIRESHARK_CONFIG_DIR"] = saved
    return out


@pytest.mark.parametrize("keyed", [True, False], ids=["with-table", "without-keys"])
def test_x509_fields_equal_tsharks(keyed):
    """Wireshark's own test, run through pyshark: with the table in tshark's configuration directory
    frame 5's x509sat.printableString holds OpenSwan, and every frame's printableString / IA5String /
    CountryName lists are those ikescope's names give.  Without keys both show only frame 4's CR."""
    _require_oracle()
    with tempfile.TemporaryDirectory(prefix="ikescope-wireshark-config-") as config:
        if keyed:
            (Path(config) / "ikev1_decryption_table").write_bytes(TABLES[0].read_bytes())
        theirs = _tshark_x509_fields(config)
    _d, msgs = _packets(load_key_file(_table_path()) if keyed else None)
    ours = {f: _our_x509_fields(m) for f, m in msgs.items()}
    assert sorted(theirs) == sorted(ours) == list(range(1, 11))
    if keyed:
        assert WIRESHARK_EXPECTS in theirs[5]["printableString"]
    assert {f for f, v in theirs.items() if any(v.values())} == ({4, 5, 6} if keyed else {4})
    for f in ours:
        assert ours[f] == theirs[f], f


def test_decrypted_payload_chains_equal_tsharks(loaded):
    """tshark given the table as ``-o uat:ikev1_decryption_table:`` preferences and as the profile's file
    decrypts every encrypted message to the payloads ikescope decrypts (tshark_oracle views: type
    sequence, generic headers, bodies, decoded fields, padding), except RETRANSMITTED_QM1."""
    _require_oracle()
    _d, msgs = loaded
    by_pref = oracle.tshark_frames(CERTS, oracle.read_ikev1_decryption_table(TABLES[0].read_text()))
    by_profile = oracle.tshark_frames(CERTS, profile_files={"ikev1_decryption_table": TABLES[0].read_bytes()})
    for ts in (by_pref, by_profile):
        assert sorted(ts) == sorted(msgs)
        for f, m in msgs.items():
            ours = oracle.ours_decrypted_view(m)
            (theirs,) = ts[f].decrypted
            if f == RETRANSMITTED_QM1:
                assert ours["state"] == "decrypted" and theirs["state"] == "malformed" and ts[f].malformed
                continue
            assert oracle.diff(ours, theirs) == [], f
        assert [f for f in sorted(ts) if (ts[f].decrypted[0] or {}).get("state") == "decrypted"] == [5, 6, 7, 9, 10]
