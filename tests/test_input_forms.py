"""Compressed captures, standard input, and the small CLI conveniences."""
from __future__ import annotations

import bz2
import gzip
import lzma
import subprocess
import sys

import pytest

from conftest import CAPTURES, REPO
from dissect.pipeline import Dissector

CASE = CAPTURES / "v4-rekey-dpd" / "capture.pcap"


def _rows(path):
    return [p.to_dict() for p in Dissector(str(path)).packets()]


@pytest.mark.parametrize("suffix,compress", [(".gz", gzip.compress), (".xz", lzma.compress),
                                             (".bz2", bz2.compress)])
def test_compressed_capture_reads_like_the_plain_one(tmp_path, suffix, compress):
    path = tmp_path / ("capture.pcap" + suffix)
    path.write_bytes(compress(CASE.read_bytes()))
    assert _rows(path) == _rows(CASE)


def test_cut_gzip_keeps_what_came_before_the_cut(tmp_path):
    path = tmp_path / "cut.pcap.gz"
    path.write_bytes(gzip.compress(CASE.read_bytes())[:4000])
    d = Dissector(str(path))
    rows = [p.to_dict() for p in d.packets()]
    full = _rows(CASE)
    assert 0 < len(rows) < len(full) and rows == full[:len(rows)]
    assert "compressed data is corrupt or cut short" in d.stats.truncated


def _cli(*args, stdin=None):
    return subprocess.run([sys.executable, "-m", "cli.main", *args], cwd=REPO, input=stdin,
                          capture_output=True, timeout=120)


def test_stdin():
    r = _cli("dissect", "-", "--json", stdin=CASE.read_bytes())
    assert r.returncode == 0, r.stderr
    direct = _cli("dissect", str(CASE), "--json")
    assert r.stdout == direct.stdout and r.stdout.count(b"\n") == len(_rows(CASE))


def test_zstd_is_named():
    r = _cli("dissect", "-", stdin=b"\x28\xb5\x2f\xfd" + bytes(40))
    assert r.returncode == 2 and b"zstd-compressed" in r.stderr and b"Traceback" not in r.stderr


def test_version_and_bare_command():
    r = _cli("--version")
    assert r.returncode == 0 and r.stdout.startswith(b"ikescope ")
    r = _cli()
    assert r.returncode == 2 and b"usage: ikescope" in r.stderr


def test_capture_given_as_command_gets_a_hint():
    r = _cli(str(CASE))
    assert r.returncode == 2 and b"did you mean: ikescope dissect" in r.stderr
    assert r.stderr.count(b"\n") == 1
