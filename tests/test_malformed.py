"""Malformed and truncated captures: no traceback, malformations marked, nothing dropped silently.

The captures are tcpdump's fuzzing regressions (segfaults and out-of-bounds
reads found in its ISAKMP/ESP printers, ../shared/public-captures/tcpdump/,
MANIFEST.md §1), two malformed IKEv2 messages from the same suite, and
zeek-spicy-ipsec's two self-made malformed IKEv1 traces (MANIFEST.md §4).

For each, the CLI runs in a subprocess in its three modes (list, ``-V``,
``--json``) and must:

* exit 0 or 1 (1 whenever it reports something malformed, truncated or not
  decoded), write no Python traceback, and in ``--json`` mode write only
  JSON lines on stdout;
* mark every ISAKMP message that tcpdump's expected output (``.out``) shows
  as truncated or malformed (``[|...]``, ``(len mismatch: ...)``,
  ``[payload too short]``, ``[bad: ...]``) with an expert entry of severity
  ``error`` that carries an offset; a frame where tcpdump could decode
  nothing at all (nothing captured after the UDP header, or an ESP header
  cut inside its first 8 bytes) must be counted in the summary under
  "Not decoded" instead;
* account for every frame: each one is a row of the output (or a fragment of
  one) or counted in the summary line (skipped or not decoded), and the
  three modes show the same frames;
* print no raw control characters from the capture to the terminal.
"""
from __future__ import annotations

import json
import re
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import PUBLIC, REPO
from tcpdump_out import TdRecord, parse_out

TCPDUMP = PUBLIC / "tcpdump"
ZEEK = PUBLIC / "zeek-spicy-ipsec" / "traces"
IKE_PORTS = {500, 4500}

#: capture -> tcpdump expected output that shows its malformation (None: no .out)
MALFORMED: dict[Path, str | None] = {
    TCPDUMP / "isakmp-delete-segfault.pcap": "isakmp1.out",
    TCPDUMP / "isakmp-pointer-loop.pcap": "isakmp2.out",
    TCPDUMP / "isakmp-identification-segfault.pcap": "isakmp3.out",
    TCPDUMP / "isakmp-3948-oobr-2.pcap": "isakmp-3948-oobr-2.out",
    TCPDUMP / "isakmp-rfc3948-oobr.pcap": "isakmp-rfc3948-oobr.out",
    TCPDUMP / "isakmp-ikev1_n_print-oobr.pcap": "isakmp-ikev1_n_print-oobr.out",
    TCPDUMP / "isakmpv1-attr-oobr.pcap": "isakmpv1-attr-oobr.out",
    TCPDUMP / "ikev1_id_ipv6_addr_subnet-oobr.pcap": "ikev1_id_ipv6_addr_subnet-oobr.out",
    TCPDUMP / "isakmp-various-oobr.pcap": "isakmp-various-oobr.out",
    TCPDUMP / "isakmp-no-none-np.pcapng": "isakmp-no-none-np.out",
    TCPDUMP / "esp_truncated.pcap": "esp_truncated.out",
    TCPDUMP / "ikev2pI2-segfault.pcapng": "ikev2pI2-segfault-v.out",
    TCPDUMP / "ikev2-id-short.pcap": "ikev2-id-short.out",
    ZEEK / "ipsec-ikev1-payload-bad-length.pcap": None,
    ZEEK / "ipsec-ikev1-zero-length.pcap": None,
}

#: Malformations known without a tcpdump .out: capture -> (frame, what is wrong).
#: payload-bad-length: the second payload (VID) has Payload Length 3 (< 4; tshark: "Payload (bogus,
#: length is 3, must be at least 4)"); zero-length: the ISAKMP header's Length is 0 (tcpdump:
#: "len mismatch: isakmp 0/ip 168").
KNOWN_MALFORMED = {
    "ipsec-ikev1-payload-bad-length.pcap": (1, "VID payload length 3 < 4"),
    "ipsec-ikev1-zero-length.pcap": (1, "ISAKMP length 0"),
}

MARKERS = ("[|", "len mismatch", "[payload too short]", "[bad:")
MODES = {"list": [], "verbose": ["-V"], "json": ["--json"]}
SUMMARY = re.compile(r"^(-?\d+) frames read: (-?\d+) ISAKMP, (-?\d+) ESP, (-?\d+) NAT keepalives; "
                     r"(-?\d+) other frames skipped")
NOT_DECODED = re.compile(r"^Not decoded: (-?\d+) × (.*)$")
ROW = re.compile(r"^\s*(\d+)\s+-?\d+\.\d{6}\s")
VROW = re.compile(r"^Frame (\d+): ")
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def _ids(p: Path) -> str:
    return p.name


def _require(path: Path) -> Path:
    if not PUBLIC.is_dir():
        pytest.skip(f"public captures not present at {PUBLIC} (they are beside the repository in CI)")
    if not path.is_file():
        pytest.skip(f"{path} is not present")
    return path


_runs: dict[tuple[str, str], subprocess.CompletedProcess] = {}


def run_cli(capture: Path, mode: str) -> subprocess.CompletedProcess:
    key = (str(capture), mode)
    if key not in _runs:
        _runs[key] = subprocess.run(
            [sys.executable, "-m", "cli.main", "dissect", str(capture), "--no-progress", *MODES[mode]],
            cwd=REPO, capture_output=True, text=True, encoding="utf-8", errors="replace", timeout=120)
    return _runs[key]


def count_records(path: Path) -> int:
    """Records in a pcap/pcapng file, counted independently of ikescope."""
    data = path.read_bytes()
    if data[:4] == b"\x0a\x0d\x0d\x0a":
        n, pos, order = 0, 0, "<"
        while pos + 12 <= len(data):
            btype = struct.unpack_from(order + "I", data, pos)[0]
            if btype == 0x0A0D0D0A:
                order = "<" if data[pos + 8:pos + 12] == b"\x4d\x3c\x2b\x1a" else ">"
            blen = struct.unpack_from(order + "I", data, pos + 4)[0]
            if blen < 12:
                break
            n += btype in (2, 3, 6)
            pos += blen
        return n
    magic = data[:4]
    order = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    n, pos = 0, 24
    while pos + 16 <= len(data):
        incl = struct.unpack_from(order + "I", data, pos + 8)[0]
        n += 1
        pos += 16 + incl
    return n


def parse_summary(text: str) -> dict:
    out = {"frames": None, "not_decoded": {}}
    for line in text.splitlines():
        m = SUMMARY.match(line)
        if m:
            out.update(frames=int(m.group(1)), isakmp=int(m.group(2)), esp=int(m.group(3)),
                       keepalive=int(m.group(4)), skipped=int(m.group(5)))
        m = NOT_DECODED.match(line)
        if m:
            out["not_decoded"][m.group(2)] = int(m.group(1))
    return out


def experts(obj) -> list[dict]:
    """Every expert entry anywhere in one JSON object (datagram, message, payloads)."""
    found = []
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k == "expert" and isinstance(v, list):
                found += [e for e in v if isinstance(e, dict)]
            else:
                found += experts(v)
    elif isinstance(obj, list):
        for v in obj:
            found += experts(v)
    return found


def json_objects(capture: Path) -> list[dict]:
    r = run_cli(capture, "json")
    objs = []
    for i, line in enumerate(r.stdout.splitlines(), 1):
        try:
            objs.append(json.loads(line))
        except json.JSONDecodeError as e:  # reported by test_no_traceback_and_json_lines
            raise AssertionError(f"{capture.name}: --json stdout line {i} is not JSON ({e}): {line[:120]!r}")
    return objs


def expected_malformed(capture: Path) -> list[tuple[int, str, TdRecord | None]]:
    """Frames that must be marked: (frame, why, tcpdump record or None)."""
    out = MALFORMED[capture]
    if out is None:
        frame, why = KNOWN_MALFORMED[capture.name]
        return [(frame, why, None)]
    marked = []
    for rec in parse_out(TCPDUMP / out):
        hits = [m for m in MARKERS if m in rec.text]
        if hits:
            marked.append((rec.frame, f"tcpdump {out}: {' '.join(rec.text.split())[:160]}", rec))
    return marked


@pytest.mark.parametrize("mode", sorted(MODES))
@pytest.mark.parametrize("capture", sorted(MALFORMED), ids=_ids)
def test_no_traceback_and_json_lines(capture, mode):
    _require(capture)
    r = run_cli(capture, mode)
    assert "Traceback" not in r.stderr and "Traceback" not in r.stdout, (
        f"{capture.name} {mode}: traceback\n{r.stderr[-3000:]}")
    assert r.returncode in (0, 1), f"{capture.name} {mode}: exit {r.returncode}\n{r.stderr[-2000:]}"
    if mode == "json":
        for i, line in enumerate(r.stdout.splitlines(), 1):
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                pytest.fail(f"{capture.name}: --json stdout line {i} is not JSON ({e}): {line[:120]!r}")
            assert isinstance(obj, dict) and "frame" in obj, f"{capture.name}: line {i} is not a frame object"
    # exit 1 whenever the run reports a malformation, truncation or undecoded frames
    summary = parse_summary(r.stderr if mode == "json" else r.stdout)
    reported = bool(summary["not_decoded"]) or "Malformed:" in (r.stdout + r.stderr) \
        or re.search(r"^Note: ", r.stdout + r.stderr, re.M) is not None
    if reported:
        assert r.returncode == 1, f"{capture.name} {mode}: reports problems but exits {r.returncode}"


@pytest.mark.parametrize("capture", sorted(MALFORMED), ids=_ids)
def test_malformed_messages_are_marked(capture):
    """Each message tcpdump shows as truncated/malformed has an error expert entry with an offset."""
    _require(capture)
    objs = json_objects(capture)
    by_frame = {o["frame"]: o for o in objs}
    summary = parse_summary(run_cli(capture, "json").stderr)
    problems = []
    for frame, why, rec in expected_malformed(capture):
        obj = by_frame.get(frame)
        nothing_decodable = rec is not None and (
            (rec.kind == "other" and (rec.sport in IKE_PORTS or rec.dport in IKE_PORTS))  # [|isakmp_rfc3948]
            or (rec.kind == "udp-esp" and rec.esp_seq is None))  # ESP cut inside SPI/seq
        if obj is None and nothing_decodable:
            want = "ESP" if rec.kind == "udp-esp" else ""
            if not any(want in reason for reason in summary["not_decoded"]):
                problems.append(f"frame {frame}: no row and not counted as 'Not decoded'"
                                f"{' with an ESP reason' if want else ''} "
                                f"(summary says {summary['not_decoded']}) [{why}]")
            continue
        if obj is None:
            problems.append(f"frame {frame}: no ISAKMP row at all (summary 'Not decoded': "
                            f"{summary['not_decoded']}) [{why}]")
            continue
        errs = [e for e in experts(obj) if e.get("severity") == "error"]
        if not errs:
            problems.append(f"frame {frame}: no expert entry with severity error (experts: {experts(obj)}) [{why}]")
        elif not any(isinstance(e.get("offset"), int) and e["offset"] >= 0 for e in errs):
            problems.append(f"frame {frame}: error expert entries carry no offset: {errs} [{why}]")
    assert not problems, f"{capture.name}:\n" + "\n".join(problems)


@pytest.mark.parametrize("capture", sorted(MALFORMED), ids=_ids)
def test_nothing_dropped_silently(capture):
    """Every frame is a row (or a fragment of one) or counted in the summary; all modes agree."""
    _require(capture)
    total = count_records(capture)
    objs = json_objects(capture)
    json_frames = {o["frame"] for o in objs}
    covered = set(json_frames)
    for o in objs:
        covered.update(o.get("fragments", []))
    problems = []
    for mode in MODES:
        r = run_cli(capture, mode)
        s = parse_summary(r.stderr if mode == "json" else r.stdout)
        if s["frames"] is None:
            problems.append(f"{mode}: no summary line ('N frames read: ...') found")
            continue
        if s["frames"] != total:
            problems.append(f"{mode}: summary says {s['frames']} frames read, the file has {total}")
        if s["skipped"] < 0 or any(n < 0 for n in s["not_decoded"].values()):
            problems.append(f"{mode}: negative count in the summary: skipped {s['skipped']}, "
                            f"not decoded {s['not_decoded']}")
        rows = {"isakmp": sum("isakmp" in o for o in objs), "esp": sum("esp" in o for o in objs),
                "keepalive": sum("nat_keepalive" in o for o in objs)}
        for k, n in rows.items():
            if s[k] != n:
                problems.append(f"{mode}: summary counts {s[k]} {k}, the output has {n} such rows")
        accounted = len(covered) + s["skipped"] + sum(s["not_decoded"].values())
        if accounted != total:
            problems.append(f"{mode}: {total} frames, but {len(covered)} in the output + {s['skipped']} skipped + "
                            f"{sum(s['not_decoded'].values())} not decoded = {accounted} "
                            f"(summary: {s})")
        if mode == "list":
            frames = {int(m.group(1)) for m in map(ROW.match, r.stdout.splitlines()) if m}
        elif mode == "verbose":
            frames = {int(m.group(1)) for m in map(VROW.match, r.stdout.splitlines()) if m}
        else:
            frames = json_frames
        if frames != json_frames:
            problems.append(f"{mode}: shows frames {sorted(frames)}, --json shows {sorted(json_frames)}")
    assert not problems, f"{capture.name}:\n" + "\n".join(problems)


@pytest.mark.parametrize("mode", ["list", "verbose"])
@pytest.mark.parametrize("capture", sorted(MALFORMED), ids=_ids)
def test_no_raw_control_characters(capture, mode):
    """Bytes from the capture (IDs, FQDNs, vendor strings) must not reach the terminal as control codes.

    Wireshark shows such bytes escaped (``\\000``); printed raw, a crafted
    payload could move the cursor or rewrite the screen (ESC sequences).
    """
    _require(capture)
    r = run_cli(capture, mode)
    bad = CONTROL.search(r.stdout)
    assert bad is None, (f"{capture.name} {mode}: raw control character {bad.group()!r} at stdout offset "
                         f"{bad.start()}: {r.stdout[max(0, bad.start() - 60):bad.start() + 20]!r}")
