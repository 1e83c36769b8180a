"""IKE SA grouping, role labels and retransmissions (dissect/session.py).

The lab captures in captures/ come with truth.json, written from the two
strongSwan logs: ``frames`` maps each label (MM1..MM6, AM1..AM3, QM1..QM3,
INFO, ESP, IKEv2 exchanges) to frame numbers, and ``frame_table`` has one row
per frame (cookies, message ID, ``retransmission_of_frame``).  The synthetic
cases rearrange real frames of those captures, or add hand-built messages,
to reach situations the lab runs did not produce.
"""
from __future__ import annotations

import json
import re
import struct
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _synth as S  # noqa: E402
from conftest import shipped_cases  # noqa: E402

from dissect.pipeline import Dissector  # noqa: E402

CASES = {p.name: p for p in shipped_cases()}


def truth(case: str) -> dict:
    return json.loads((CASES[case] / "truth.json").read_text())


def dissect(path: Path | str):
    d = Dissector(str(path))
    pkts = list(d.packets())
    return d, pkts


def expected_roles(t: dict) -> dict[int, tuple[str, int | None]]:
    """frame -> (role, retransmission_of) from truth.json."""
    out: dict[int, tuple[str, int | None]] = {}
    rows = {r["frame"]: r for r in t["frame_table"]}
    for label, frames in t["frames"].items():
        base = re.sub(r"\(.*\)$", "", label)
        for f in frames:
            row = rows[f]
            m = re.fullmatch(r"([A-Z_]+)#(\d)", base)
            if m:  # IKEv2: tshark's info says whether it is a request or a response
                role = f"{m.group(1)} {'response' if 'Response' in row['info'] else 'request'}"
            else:
                role = base
            out[f] = (role, row.get("retransmission_of_frame"))
    return out


# ---------------------------------------------------------------------------
# The shipped lab captures

@pytest.mark.parametrize("case", sorted(CASES))
def test_roles_match_truth(case):
    t = truth(case)
    want = expected_roles(t)
    _d, pkts = dissect(CASES[case] / "capture.pcap")
    got = {p.frame: (p.role, p.isakmp.retransmission_of if p.isakmp else None) for p in pkts}
    assert got == want
    assert len(pkts) == t["frame_count"]


@pytest.mark.parametrize("case", sorted(CASES))
def test_sa_grouping_and_peers(case):
    t = truth(case)
    d, pkts = dissect(CASES[case] / "capture.pcap")
    rows = {r["frame"]: r for r in t["frame_table"]}
    for p in pkts:
        if p.isakmp is None:
            assert p.sa is None
            continue
        row = rows[p.frame]
        assert p.sa.icookie.hex() == row["ispi"]
        if row["rspi"] != "0" * 16:
            assert p.sa.rcookie.hex() == row["rspi"]
        assert p.sa.initiator == t["initiator"]["addr"]
        assert p.sa.responder == t["responder"]["addr"]
    # one IKE SA per distinct initiator cookie, frames in capture order
    cookies = sorted({r["ispi"] for r in t["frame_table"] if r.get("kind") == "ISAKMP"})
    assert sorted(sa.icookie.hex() for sa in d.tracker.sas.values()) == cookies
    for sa in d.tracker.sas.values():
        frames = [r["frame"] for r in t["frame_table"] if r.get("ispi") == sa.icookie.hex()]
        info = sa.to_dict()
        assert (info["messages"], info["first_frame"], info["last_frame"]) == (len(frames), frames[0], frames[-1])
        assert [p.frame for p in pkts if p.sa is sa] == frames


def test_psk_mismatch_mm5_retransmitted_twice():
    _d, pkts = dissect(CASES["v6-psk-mismatch"] / "capture.pcap")
    by = {p.frame: p for p in pkts}
    assert [by[f].role for f in (5, 7, 9)] == ["MM5", "MM5", "MM5"]
    assert by[5].isakmp.retransmission_of is None
    assert by[7].isakmp.retransmission_of == 5 and by[9].isakmp.retransmission_of == 5
    assert by[7].isakmp.to_dict()["retransmission"] is True
    # the responder's INFO answers are distinct messages, not retransmissions
    assert [(by[f].role, by[f].isakmp.retransmission_of) for f in (6, 8, 10)] == [("INFO", None)] * 3
    # MM6 never came
    assert "MM6" not in {p.role for p in pkts}


def test_rekey_dpd_second_main_mode_and_quick_modes():
    t = truth("v4-rekey-dpd")
    d, pkts = dissect(CASES["v4-rekey-dpd"] / "capture.pcap")
    by = {p.frame: p for p in pkts}
    sas = {sa.icookie.hex(): sa for sa in d.tracker.sas.values()}
    assert set(sas) == {"5dcee0cc720c81d8", "d320830cce8a9e12"}
    old, new = sas["5dcee0cc720c81d8"], sas["d320830cce8a9e12"]
    assert new.rcookie.hex() == "1da9defd5e7d7051" and old.rcookie.hex() == "980f593a78ffafe1"
    assert [by[f].role for f in range(43, 49)] == ["MM1", "MM2", "MM3", "MM4", "MM5", "MM6"]
    assert all(by[f].sa is new for f in range(43, 49))
    assert old.phase1_exchange == 2 and new.phase1_exchange == 2
    # five Quick Modes, each QM1-QM3 under its own message ID
    for mid, roles in t["quick_mode_frames"].items():
        frames = [roles["QM1"], roles["QM2"], roles["QM3"]]
        assert [by[f].role for f in frames] == ["QM1", "QM2", "QM3"]
        assert {by[f].isakmp.header.message_id for f in frames} == {int(mid, 16)}
    # the INFO of the old SA after the new Main Mode (frame 52) stays with the old SA
    assert by[52].sa is old and by[52].role == "INFO"
    assert not any(p.isakmp.retransmission_of for p in pkts if p.isakmp)


def test_aggressive_mode():
    _d, pkts = dissect(CASES["v6-aggressive"] / "capture.pcap")
    by = {p.frame: p for p in pkts}
    assert [by[f].role for f in (1, 2, 3)] == ["AM1", "AM2", "AM3"]
    assert by[1].sa.phase1_exchange == 4
    assert (by[1].sa.initiator, by[1].sa.responder) == ("2001:db8::2", "2001:db8::3")


def test_ikev2_roles():
    _d, pkts = dissect(CASES["v6-ikev2-psk"] / "capture.pcap")
    roles = [p.role for p in pkts if p.isakmp]
    assert roles == ["IKE_SA_INIT request", "IKE_SA_INIT response", "IKE_AUTH request", "IKE_AUTH response",
                     "INFORMATIONAL request", "INFORMATIONAL response"]
    sa = pkts[0].sa
    assert sa.version == 2 and sa.phase1_exchange == 34
    assert (sa.initiator, sa.responder) == ("2001:db8::2", "2001:db8::3")


# ---------------------------------------------------------------------------
# Synthetic cases built from lab frames

def read_pcap(path: Path) -> tuple[int, list[tuple[int, int, bytes]]]:
    """(linktype, [(sec, usec, data)]) of a microsecond pcap, parsed by hand."""
    raw = path.read_bytes()
    magic = raw[:4]
    order = "<" if magic == b"\xd4\xc3\xb2\xa1" else ">"
    assert struct.unpack(order + "I", magic)[0] == 0xA1B2C3D4
    linktype = struct.unpack_from(order + "I", raw, 20)[0]
    pos, recs = 24, []
    while pos + 16 <= len(raw):
        sec, usec, incl, _orig = struct.unpack_from(order + "IIII", raw, pos)
        recs.append((sec, usec, raw[pos + 16:pos + 16 + incl]))
        pos += 16 + incl
    return linktype, recs


def subset(tmp_path: Path, case: str, frames: list[int], name: str = "s.pcap",
           extra: list[bytes] = ()) -> Path:
    """A pcap holding the given frames (1-based, in the given order) of a lab capture, then ``extra``."""
    lt, recs = read_pcap(CASES[case] / "capture.pcap")
    out = [recs[f - 1] for f in frames]
    last = out[-1][0] if out else 1795959880
    out += [(last + 1 + i, 0, fr) for i, fr in enumerate(extra)]
    return S.write_pcap(tmp_path / name, lt, out)


def roles_of(pkts) -> list[str]:
    return [p.role for p in pkts if p.isakmp is not None]


def test_lab_capture_roundtrip_through_reader(tmp_path):
    """read_pcap/subset keep the frames: the full copy dissects like the original."""
    path = subset(tmp_path, "v6-aes128-sha1-modp1024", list(range(1, 18)))
    assert [p.to_dict() for p in dissect(path)[1]] == \
        [p.to_dict() for p in dissect(CASES["v6-aes128-sha1-modp1024"] / "capture.pcap")[1]]


def test_missing_mm1_initiator_inferred(tmp_path):
    """Without MM1, MM2 (SA payload, responder cookie set) identifies the responder."""
    path = subset(tmp_path, "v6-aes128-sha1-modp1024", list(range(2, 10)))
    _d, pkts = dissect(path)
    assert roles_of(pkts) == ["MM2", "MM3", "MM4", "MM5", "MM6", "QM1", "QM2", "QM3"]
    sa = pkts[0].sa
    assert (sa.initiator, sa.responder) == ("2001:db8::2", "2001:db8::3")
    assert sa.rcookie.hex() == "e85232252cf4cdff"


def test_missing_mm1_and_mm2(tmp_path):
    """Starting at MM3 (from the initiator): the first sender is the initiator."""
    path = subset(tmp_path, "v4-aes128-sha1-modp1024", list(range(3, 10)))
    _d, pkts = dissect(path)
    assert roles_of(pkts) == ["MM3", "MM4", "MM5", "MM6", "QM1", "QM2", "QM3"]
    assert (pkts[0].sa.initiator, pkts[0].sa.responder) == ("192.0.2.2", "192.0.2.3")


def test_capture_starting_at_mm4(tmp_path):
    """Starting at MM4 (sent by the responder).  MM1 and MM2 are never
    encrypted and MM1 never carries a responder cookie, so the first message
    cannot be MM1; MM5 is the first encrypted message and comes from the
    initiator (RFC 2409 §5.1)."""
    path = subset(tmp_path, "v4-aes128-sha1-modp1024", list(range(4, 10)))
    _d, pkts = dissect(path)
    assert roles_of(pkts) == ["MM4", "MM5", "MM6", "QM1", "QM2", "QM3"]
    assert (pkts[0].sa.initiator, pkts[0].sa.responder) == ("192.0.2.2", "192.0.2.3")


def _qm(ic: bytes, rc: bytes, mid: int, seed: int) -> bytes:
    """An encrypted Quick Mode message: header (E flag) + 48 bytes of ciphertext."""
    body = bytes((seed * 37 + i * 11) & 0xFF for i in range(48))
    return ic + rc + struct.pack(">BBBBII", 8, 0x10, 32, 0x01, mid, 28 + len(body)) + body


def _v6_natt(msg: bytes, reverse: bool) -> bytes:
    return S.ethernet(S.ip(6, 17, S.udp(4500, 4500, S.NON_ESP_MARKER + msg), reverse=reverse))


def test_quick_mode_started_by_phase1_responder(tmp_path):
    """Either peer may start a Quick Mode (RFC 2409 §5.5): here the phase 1 responder does."""
    ic, rc = bytes.fromhex("1d07f21f88904135"), bytes.fromhex("e85232252cf4cdff")
    mid = 0x11223344
    extra = [_v6_natt(_qm(ic, rc, mid, 1), reverse=True),  # QM1 from the responder (::3)
             _v6_natt(_qm(ic, rc, mid, 2), reverse=False),  # QM2 from the initiator (::2)
             _v6_natt(_qm(ic, rc, mid, 3), reverse=True)]  # QM3 from the responder
    path = subset(tmp_path, "v6-aes128-sha1-modp1024", list(range(1, 7)), extra=extra)
    _d, pkts = dissect(path)
    assert roles_of(pkts) == ["MM1", "MM2", "MM3", "MM4", "MM5", "MM6", "QM1", "QM2", "QM3"]
    qm = [p for p in pkts if p.isakmp and p.isakmp.header.exchange_type == 32]
    assert [p.datagram.src for p in qm] == ["2001:db8::3", "2001:db8::2", "2001:db8::3"]
    # the IKE SA's initiator is still the phase 1 initiator
    assert (qm[0].sa.initiator, qm[0].sa.responder) == ("2001:db8::2", "2001:db8::3")


def test_two_quick_modes_interleaved(tmp_path):
    """Two Quick Modes in flight at once, started by different peers, keep their own counts."""
    ic, rc = bytes.fromhex("1d07f21f88904135"), bytes.fromhex("e85232252cf4cdff")
    a, b = 0x0A0A0A0A, 0x0B0B0B0B
    extra = [_v6_natt(_qm(ic, rc, a, 1), False), _v6_natt(_qm(ic, rc, b, 2), True),
             _v6_natt(_qm(ic, rc, a, 3), True), _v6_natt(_qm(ic, rc, b, 4), False),
             _v6_natt(_qm(ic, rc, b, 5), True), _v6_natt(_qm(ic, rc, a, 6), False)]
    path = subset(tmp_path, "v6-aes128-sha1-modp1024", list(range(1, 7)), extra=extra)
    _d, pkts = dissect(path)
    assert roles_of(pkts)[6:] == ["QM1", "QM1", "QM2", "QM2", "QM3", "QM3"]


def test_duplicated_frames(tmp_path):
    """Every frame captured twice (e.g. on two interfaces): each copy is a
    retransmission of the first, with the first copy's role."""
    n = 14
    frames = [f for f in range(1, n + 1) for _ in (0, 1)]
    path = subset(tmp_path, "v6-aggressive", frames)
    _d, pkts = dissect(path)
    isakmp = [p for p in pkts if p.isakmp]
    want = ["AM1", "AM2", "AM3", "QM1", "QM2", "QM3", "INFO", "INFO"]
    assert [p.role for p in isakmp] == [r for r in want for _ in (0, 1)]
    for first, dup in zip(isakmp[::2], isakmp[1::2]):
        assert first.isakmp.retransmission_of is None
        assert dup.isakmp.retransmission_of == first.frame == dup.frame - 1
    # ESP duplicates are just ESP
    assert sum(1 for p in pkts if p.esp) == 12


def test_retransmitted_mm1_and_mm2(tmp_path):
    """MM1 sent three times, MM2 twice: labels stay MM1/MM2 and later ones are not shifted."""
    path = subset(tmp_path, "v4-aes128-sha1-modp1024", [1, 1, 2, 1, 2, 3, 4, 5, 6])
    _d, pkts = dissect(path)
    assert roles_of(pkts) == ["MM1", "MM1", "MM2", "MM1", "MM2", "MM3", "MM4", "MM5", "MM6"]
    assert [p.isakmp.retransmission_of for p in pkts] == [None, 1, None, 1, 3, None, None, None, None]


def test_lost_mm3_does_not_shift_responder_labels(tmp_path):
    """The module doc: a lost message does not shift the labels of the other side."""
    path = subset(tmp_path, "v4-aes128-sha1-modp1024", [1, 2, 4, 5, 6])
    _d, pkts = dissect(path)
    # frame 4 is the responder's second message: MM4 whatever the initiator lost
    assert roles_of(pkts)[:3] == ["MM1", "MM2", "MM4"]


def test_ikev2_capture_starting_with_response(tmp_path):
    """IKEv2: the I flag (RFC 7296 §3.1) tells the initiator even when the request is missing."""
    path = subset(tmp_path, "v6-ikev2-psk", [2, 3, 4])
    _d, pkts = dissect(path)
    assert roles_of(pkts) == ["IKE_SA_INIT response", "IKE_AUTH request", "IKE_AUTH response"]
    assert (pkts[0].sa.initiator, pkts[0].sa.responder) == ("2001:db8::2", "2001:db8::3")


def test_malformed_message_role(tmp_path):
    bad = S.ethernet(S.ip(4, 17, S.udp(500, 500, bytes(20))))  # shorter than an ISAKMP header
    bad_ok = S.ethernet(S.ip(4, 17, S.udp(500, 500, bytes(28) + bytes(4))))
    path = S.write_pcap(tmp_path / "m.pcap", 1, [(1, 0, bad), (2, 0, bad_ok)])
    d, pkts = dissect(path)
    # a 20-byte payload is not ISAKMP at all; 32 zero bytes are a header with major version 0
    assert [p.frame for p in pkts] == [2]
    assert pkts[0].role == "MALFORMED" or pkts[0].isakmp.has_errors
    assert d.stats.undecodable
