"""The summary's IKE SA lines and the list's time formats, on the shipped lab captures."""
from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys

from conftest import CAPTURES, REPO
from cli.summary import summary_lines
from dissect.pipeline import Dissector


def _sa_lines(case):
    d = Dissector(str(CAPTURES / case / "capture.pcap"))
    list(d.packets())
    return [t for t, _s in summary_lines(d.stats, d.tracker.sas.values()) if " SA #" in t]


def test_psk_mismatch_shows_resends_and_an_unfinished_phase_1():
    """v6-psk-mismatch (truth.json): MM5 at frame 5, resent at 7 and 9, never an MM6."""
    truth = json.loads((CAPTURES / "v6-psk-mismatch" / "truth.json").read_text())
    resent = len(truth["frames"]["MM5(retransmit)"])
    assert "MM6" not in truth["frames"]
    (line,) = _sa_lines("v6-psk-mismatch")
    assert f"MM5 (+{resent} resent)" in line and line.endswith("phase 1 did not complete (no MM6)")


def test_completed_main_mode_has_no_note():
    (line,) = _sa_lines("v6-aes128-sha1-modp1024")
    assert "did not complete" not in line and "resent" not in line


def test_time_formats_match_the_capture_times():
    """-t ud prints the frames' UTC times, -t e their epoch seconds (truth.json frame_table)."""
    truth = json.loads((CAPTURES / "v6-aes128-sha1-modp1024" / "truth.json").read_text())
    first = truth["frame_table"][0]
    path = CAPTURES / "v6-aes128-sha1-modp1024" / "capture.pcap"
    for fmt, expect in (("ud", dt.datetime.fromtimestamp(first["time"], dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")),
                        ("e", f"{first['time']:.6f}")):
        out = subprocess.run([sys.executable, "-m", "cli.main", "dissect", str(path), "-t", fmt], cwd=REPO,
                             capture_output=True, text=True, timeout=60).stdout.splitlines()
        assert out[1].split()[0] == "1" and expect in out[1], (fmt, out[1])
