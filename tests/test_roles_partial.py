"""Roles when a capture starts in the middle of Main Mode, and NAT-D of the old drafts (type 15)."""
from __future__ import annotations

import json

import dpkt
import pytest

from conftest import CAPTURES, PUBLIC, require_public
from dissect.pipeline import Dissector

CASE = CAPTURES / "v6-aes128-sha1-modp1024"


def _slice(src, dst, first_frame):
    """Copy frames first_frame.. of a pcap (like editcap -r src dst first-)."""
    with open(src, "rb") as f, open(dst, "wb") as g:
        rd = dpkt.pcap.Reader(f)
        w = dpkt.pcap.Writer(g, linktype=rd.datalink(), nano=False)
        for i, (ts, buf) in enumerate(rd, 1):
            if i >= first_frame:
                w.writepkt(buf, ts)


def _roles_as_yielded_and_final(path):
    d = Dissector(str(path))
    pkts = []
    seen = []
    for p in d.packets():
        pkts.append(p)
        seen.append((p.frame, p.role))
    final = {p.frame: p.role for p in pkts}  # roles as corrected once the initiator was known
    return seen, final, d


def test_capture_starting_at_mm4(tmp_path):
    """MM4 first: the initiator is a guess until MM5 (the first encrypted message after it) shows it;
    the packets are held back until then, so even a stream consumer sees the corrected MM4."""
    truth = json.loads((CASE / "truth.json").read_text())
    mm4 = truth["frames"]["MM4"][0]
    path = tmp_path / "from-mm4.pcap"
    _slice(CASE / "capture.pcap", path, mm4)
    seen, final, d = _roles_as_yielded_and_final(path)
    assert seen[0][1] == "MM4"           # corrected before it was handed out
    assert seen[1][1] == "MM5"           # MM5 settled who the initiator is
    assert final[1] == "MM4"
    sa = next(iter(d.tracker.sas.values()))
    assert sa.initiator == truth["initiator"]["addr"]


def test_capture_starting_at_mm6_stays_a_guess(tmp_path):
    truth = json.loads((CASE / "truth.json").read_text())
    path = tmp_path / "from-mm6.pcap"
    _slice(CASE / "capture.pcap", path, truth["frames"]["MM6"][0])
    seen, final, d = _roles_as_yielded_and_final(path)
    assert seen[0][1] == "MM5?" and final[1] == "MM5?"   # nothing later can tell MM5 from MM6
    assert not d.tracker.open_guesses  # Quick Mode ended phase 1: nothing is held back any more
    assert [r for _f, r in seen[1:4]] == ["QM1", "QM2", "QM3"]


def test_old_draft_nat_d_type_15():
    """tcpdump's ISAKMP_sa_setup.pcap: Cisco IOS peers with the draft NAT-T VIDs send NAT-D as type 15."""
    require_public()
    pkts = {p.frame: p for p in Dissector(str(PUBLIC / "tcpdump" / "ISAKMP_sa_setup.pcap")).packets()}
    for frame in (3, 4):
        pl = pkts[frame].isakmp.payloads
        natd = [p for p in pl if p.type == 15]
        assert [p.short for p in natd] == ["NAT-D", "NAT-D"]
        assert all(len(p.body) == 20 for p in natd)  # SHA-1 hashes (the SA negotiates SHA)
    # MM1/MM2 announced the NAT-T drafts (draft-07 included), not RFC 3947
    for frame in (1, 2):
        vids = [p.vendor or "" for p in pkts[frame].isakmp.payloads if p.short == "VID"]
        assert "draft-ietf-ipsec-nat-t-ike-07" in vids
        assert not any(v.startswith("RFC 3947") for v in vids)
