"""Reading in a worker process (dissect.reader) gives exactly what reading in-process gives."""
from __future__ import annotations

import pytest

from conftest import CAPTURES, PUBLIC, capture_files
from dissect.capture import CaptureError
from dissect.pipeline import Dissector

FILES = capture_files(CAPTURES) + capture_files(PUBLIC)[::3]  # every third public capture keeps it quick


def _run(path, parallel):
    d = Dissector(str(path), parallel=parallel)
    rows = [p.to_dict() for p in d.packets()]
    return rows, d.stats.to_dict(), d.stats.first_time


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_worker_equals_in_process(path):
    assert _run(path, True) == _run(path, False)


def test_worker_reports_capture_errors(tmp_path):
    bad = tmp_path / "notes.txt"
    bad.write_text("not a capture\n")
    with pytest.raises(CaptureError, match="not a pcap or pcapng file"):
        list(Dissector(str(bad), parallel=True).packets())


def test_worker_keeps_truncation_notes(tmp_path):
    src = (CAPTURES / "v4-rekey-dpd" / "capture.pcap").read_bytes()
    cut = tmp_path / "cut.pcap"
    cut.write_bytes(src[:len(src) // 2])
    a, b = _run(cut, True), _run(cut, False)
    assert a == b and "capture ends inside frame" in a[1]["truncated"]


def test_leaving_early_stops_the_worker():
    d = Dissector(str(CAPTURES / "v4-rekey-dpd" / "capture.pcap"), parallel=True)
    it = d.packets()
    first = next(it)
    it.close()  # must not hang or leave the reader process behind
    assert first.frame == 1
