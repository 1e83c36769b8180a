"""Bad input files, built in tmp_path: what the CLI must do with each.

Exit codes (cli/main.py): 0 ok; 1 done but truncated / undecodable /
malformed input; 2 unusable input with a one-line message on stderr.  Never
a Python traceback.

* a capture cut in the middle of a record, or of a record header (pcap and
  pcapng): every frame before the cut is output exactly as from the whole
  file, one "Note:" line says where reading stopped, exit 1;
* a file cut inside the pcap file header, an empty file, a text file, random
  bytes, a directory, a missing file: one line on stderr, exit 2;
* a capture whose only link type is unsupported (105, IEEE 802.11): one line
  naming the link type, exit 2;
* an ISAKMP message whose payload length (or header length) runs past its
  end: an error expert note with the offset of the bad length field, exit 1.
"""
from __future__ import annotations

import json
import random
import re
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import CAPTURES, REPO

CASE = CAPTURES / "v6-aes128-sha1-modp1024" / "capture.pcap"


# --------------------------------------------------------------------------
# helpers

def run(capture, *args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cli.main", "dissect", str(capture), "--no-progress", *args],
                          cwd=REPO, capture_output=True, text=True, encoding="utf-8", errors="replace",
                          timeout=120)


def assert_no_traceback(r: subprocess.CompletedProcess, what: str) -> None:
    assert "Traceback" not in r.stderr and "Traceback" not in r.stdout, f"{what}: traceback\n{r.stderr[-3000:]}"


def assert_unusable(r: subprocess.CompletedProcess, what: str) -> str:
    """Exit 2, nothing on stdout, exactly one non-empty line on stderr; returns that line."""
    assert_no_traceback(r, what)
    assert r.returncode == 2, f"{what}: exit {r.returncode} (want 2)\nstdout: {r.stdout[-500:]}\nstderr: {r.stderr[-500:]}"
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, f"{what}: stderr should be one line, is {len(lines)}: {r.stderr!r}"
    assert not r.stdout.strip(), f"{what}: stdout should be empty: {r.stdout[:300]!r}"
    return lines[0]


def pcap_records(path: Path) -> tuple[bytes, list[tuple[int, int, int, bytes]]]:
    """(file header, [(file offset, ts_sec, ts_usec, data)]) of a little-endian microsecond pcap."""
    data = path.read_bytes()
    assert data[:4] == b"\xd4\xc3\xb2\xa1", "expected a little-endian microsecond pcap"
    out, pos = [], 24
    while pos + 16 <= len(data):
        sec, usec, incl, _orig = struct.unpack_from("<IIII", data, pos)
        out.append((pos, sec, usec, data[pos + 16:pos + 16 + incl]))
        pos += 16 + incl
    return data[:24], out


def pcap_bytes(linktype: int, records: list[bytes], ts: int = 1_700_000_000) -> bytes:
    out = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, linktype)
    for i, rec in enumerate(records):
        out += struct.pack("<IIII", ts + i, 0, len(rec), len(rec)) + rec
    return out


def _pad4(b: bytes) -> bytes:
    return b + b"\0" * (-len(b) % 4)


def pcapng_bytes(linktype: int, records: list[tuple[int, int, bytes]]) -> tuple[bytes, list[int]]:
    """A pcapng file (SHB, one IDB, EPBs with microsecond stamps); returns it and each EPB's offset."""
    shb_body = struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1)
    out = struct.pack("<II", 0x0A0D0D0A, 12 + len(shb_body)) + shb_body + struct.pack("<I", 12 + len(shb_body))
    idb_body = struct.pack("<HHI", linktype, 0, 65535)
    out += struct.pack("<II", 1, 12 + len(idb_body)) + idb_body + struct.pack("<I", 12 + len(idb_body))
    offsets = []
    for sec, usec, data in records:
        t = sec * 1_000_000 + usec
        body = struct.pack("<IIIII", 0, t >> 32, t & 0xFFFFFFFF, len(data), len(data)) + _pad4(data)
        offsets.append(len(out))
        out += struct.pack("<II", 6, 12 + len(body)) + body + struct.pack("<I", 12 + len(body))
    return out, offsets


def json_lines(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines()]


def note_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("Note:")]


_full: dict[str, list[dict]] = {}


def full_json() -> dict[int, dict]:
    """The JSON objects of the whole lab capture, by frame."""
    if "x" not in _full:
        r = run(CASE, "--json")
        assert r.returncode == 0, r.stderr
        _full["x"] = json_lines(r.stdout)
    return {o["frame"]: o for o in _full["x"]}


# --------------------------------------------------------------------------
# truncated captures

# frame 5: MM5 (ISAKMP on 4500, the dpkt path); frame 12: ESP-in-UDP (the fast ESP lane)
CUT_FRAMES = [5, 12]


@pytest.mark.parametrize("where", ["record data", "record header"])
@pytest.mark.parametrize("frame", CUT_FRAMES)
def test_pcap_cut_mid_record(tmp_path, frame, where):
    head, recs = pcap_records(CASE)
    off, _s, _u, data = recs[frame - 1]
    cut = off + 16 + len(data) // 2 if where == "record data" else off + 7
    raw = head + b"".join(struct.pack("<IIII", s, u, len(d), len(d)) + d for _o, s, u, d in recs)
    path = tmp_path / "cut.pcap"
    path.write_bytes(raw[:cut])
    _check_cut(path, frame, off, where)


@pytest.mark.parametrize("where", ["block body", "block header"])
@pytest.mark.parametrize("frame", CUT_FRAMES)
def test_pcapng_cut_mid_block(tmp_path, frame, where):
    _head, recs = pcap_records(CASE)
    raw, offsets = pcapng_bytes(1, [(s, u, d) for _o, s, u, d in recs])
    off = offsets[frame - 1]
    cut = off + 28 + len(recs[frame - 1][3]) // 2 if where == "block body" else off + 6
    path = tmp_path / "cut.pcapng"
    path.write_bytes(raw[:cut])
    _check_cut(path, frame, off, where)


def _check_cut(path: Path, frame: int, offset: int, where: str) -> None:
    full = full_json()
    want = [full[n] for n in sorted(full) if n < frame]
    # JSON: every frame before the cut, byte for byte as from the whole file; the note on stderr
    r = run(path, "--json")
    what = f"{path.name} cut in the {where} of frame {frame} --json"
    assert_no_traceback(r, what)
    assert r.returncode == 1, f"{what}: exit {r.returncode} (want 1)\n{r.stderr}"
    got = json_lines(r.stdout)
    assert [o["frame"] for o in got] == [o["frame"] for o in want], f"{what}: frames before the cut differ"
    assert got == want, f"{what}: the frames before the cut differ from the whole file's"
    _check_note(note_lines(r.stderr), frame, offset, what)
    # list view: one row per frame before the cut, the same note on stdout
    r = run(path)
    what = f"{path.name} cut in the {where} of frame {frame} (list)"
    assert_no_traceback(r, what)
    assert r.returncode == 1, f"{what}: exit {r.returncode} (want 1)\n{r.stderr}"
    rows = [int(m.group(1)) for m in (re.match(r"^\s*(\d+)\s+-?\d+\.\d{6}\s", line) for line in r.stdout.splitlines())
            if m]
    assert rows == list(range(1, frame)), f"{what}: rows {rows}"
    _check_note(note_lines(r.stdout), frame, offset, what)


def _check_note(notes: list[str], frame: int, offset: int, what: str) -> None:
    assert len(notes) == 1, f"{what}: want one 'Note:' line saying where reading stopped, got {notes}"
    note = notes[0]
    assert re.search(rf"\bframe {frame}\b", note) or re.search(rf"\boffset {offset}\b", note), (
        f"{what}: the note should name frame {frame} or file offset {offset}: {note!r}")


def test_pcap_cut_inside_file_header(tmp_path):
    path = tmp_path / "head.pcap"
    path.write_bytes(CASE.read_bytes()[:10])
    assert_unusable(run(path), "pcap cut inside its 24-byte file header")


# --------------------------------------------------------------------------
# not a capture at all

def _random_bytes() -> bytes:
    rng = random.Random(20240229)
    data = bytes(rng.randrange(256) for _ in range(4096))
    assert data[:4] not in (b"\xd4\xc3\xb2\xa1", b"\xa1\xb2\xc3\xd4", b"\x0a\x0d\x0d\x0a")
    return data


BAD_FILES = {
    "empty": b"",
    "text": b"This is not a capture.\nJust some text, several lines of it.\n" * 20,
    "random": _random_bytes(),
    "one byte": b"\xd4",
}


@pytest.mark.parametrize("mode", [[], ["-V"], ["--json"]], ids=["list", "verbose", "json"])
@pytest.mark.parametrize("kind", sorted(BAD_FILES))
def test_not_a_capture(tmp_path, kind, mode):
    path = tmp_path / f"{kind.replace(' ', '_')}.pcap"
    path.write_bytes(BAD_FILES[kind])
    assert_unusable(run(path, *mode), f"{kind} file {' '.join(mode)}")


def test_missing_file(tmp_path):
    line = assert_unusable(run(tmp_path / "no-such-file.pcap"), "missing file")
    assert "no-such-file.pcap" in line, f"the message should name the file: {line!r}"


def test_directory_instead_of_file(tmp_path):
    assert_unusable(run(tmp_path), "a directory given as the capture")


def test_bad_arguments():
    """argparse errors: exit 2 and an error line, no traceback (argparse adds its usage line)."""
    for args in (["--ports", "abc"], ["--ports", "0"], ["--bogus-option"]):
        r = run(CASE, *args)
        assert_no_traceback(r, f"dissect {args}")
        assert r.returncode == 2, f"dissect {args}: exit {r.returncode}"
        assert "error:" in r.stderr, f"dissect {args}: no error line: {r.stderr!r}"


# --------------------------------------------------------------------------
# unsupported link type

def _ieee80211_frame() -> bytes:
    # an 802.11 data frame header (24 bytes) + LLC/SNAP + an IPv4/UDP 500 stub
    return bytes.fromhex("08010000" + "ffffffffffff" + "020000000001" + "020000000002" + "0000") + \
        bytes.fromhex("aaaa030000000800") + bytes(40)


@pytest.mark.parametrize("fmt", ["pcap", "pcapng"])
def test_unsupported_link_type(tmp_path, fmt):
    frame = _ieee80211_frame()
    if fmt == "pcap":
        raw = pcap_bytes(105, [frame, frame])
    else:
        raw, _ = pcapng_bytes(105, [(1_700_000_000, 0, frame), (1_700_000_001, 0, frame)])
    path = tmp_path / f"wifi.{fmt}"
    path.write_bytes(raw)
    for mode in ([], ["--json"]):
        line = assert_unusable(run(path, *mode), f"{fmt} with link type 105 {' '.join(mode)}")
        assert re.search(r"\b105\b", line), f"the message should name link type 105: {line!r}"


def test_unsupported_link_type_without_records(tmp_path):
    path = tmp_path / "wifi-empty.pcap"
    path.write_bytes(pcap_bytes(105, []))
    line = assert_unusable(run(path), "pcap with link type 105 and no records")
    assert re.search(r"\b105\b", line), f"the message should name link type 105: {line!r}"


# --------------------------------------------------------------------------
# an ISAKMP message with a length running past its end

ICOOKIE = bytes.fromhex("0123456789abcdef")


def _ipv4_udp(payload: bytes, sport: int = 500, dport: int = 500) -> bytes:
    udp = struct.pack(">HHHH", sport, dport, 8 + len(payload), 0) + payload
    ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 1, 0, 64, 17, 0,
                     bytes([192, 0, 2, 1]), bytes([192, 0, 2, 2]))
    return ip + udp


def _ether(ip: bytes) -> bytes:
    return bytes.fromhex("020000000002" "020000000001" "0800") + ip


def _isakmp(sa_len: int, header_len: int | None = None) -> bytes:
    """IKEv1 Main Mode message 1: header + an SA payload whose Payload Length is ``sa_len``.

    The SA body present is 12 bytes (DOI, situation, 4 bytes of a proposal).
    """
    body = struct.pack(">II", 1, 1) + bytes.fromhex("00000028")
    sa = struct.pack(">BBH", 0, 0, sa_len) + body
    length = 28 + len(sa) if header_len is None else header_len
    hdr = ICOOKIE + bytes(8) + struct.pack(">BBBBII", 1, 0x10, 2, 0, 0, length)
    return hdr + sa


def _experts(obj) -> list[dict]:
    found = []
    if isinstance(obj, dict):
        for k, v in obj.items():
            found += [e for e in v if isinstance(e, dict)] if k == "expert" and isinstance(v, list) else _experts(v)
    elif isinstance(obj, list):
        for v in obj:
            found += _experts(v)
    return found


@pytest.mark.parametrize("case", ["payload length past the end", "header length past the end"])
def test_isakmp_length_past_end(tmp_path, case):
    if case == "payload length past the end":
        msg, field_offset = _isakmp(sa_len=200), 30  # the SA's Payload Length field is at 28 + 2
    else:
        msg, field_offset = _isakmp(sa_len=16, header_len=300), 24  # the header's Length field
    path = tmp_path / "bad-length.pcap"
    path.write_bytes(pcap_bytes(1, [_ether(_ipv4_udp(msg))]))

    r = run(path, "--json")
    assert_no_traceback(r, case)
    assert r.returncode == 1, f"{case}: exit {r.returncode} (want 1)\n{r.stderr}"
    objs = json_lines(r.stdout)
    assert len(objs) == 1 and "isakmp" in objs[0], objs
    m = objs[0]["isakmp"]
    assert m["icookie"] == ICOOKIE.hex() and m["exchange_type"] == 2
    errors = [e for e in _experts(objs[0]) if e.get("severity") == "error"]
    assert errors, f"{case}: no error expert entry: {_experts(objs[0])}"
    offsets = [e.get("offset") for e in errors]
    assert field_offset in offsets, f"{case}: want an error at offset {field_offset} (the length field), got {errors}"
    if case == "payload length past the end":
        assert [p["type"] for p in m["payloads"]] == ["SA"], m["payloads"]

    r = run(path, "-V")
    assert_no_traceback(r, f"{case} -V")
    assert r.returncode == 1
    assert re.search(rf"Expert Info \(error/[a-z]+\): .*offset {field_offset}\b", r.stdout), (
        f"{case}: -V shows no error expert line with offset {field_offset}:\n{r.stdout}")

    r = run(path)
    assert_no_traceback(r, f"{case} list")
    assert r.returncode == 1
    assert "Malformed" in r.stdout, f"{case}: the list does not flag the message:\n{r.stdout}"


