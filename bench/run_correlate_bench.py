"""Benchmark: correlating 10,000 IKE exchanges with a 1,000,000-line log (issue 6, Performance).

Issue 6's target: correlating a capture of 10,000 IKE exchanges with a 1,000,000-line log takes
under 10 s, and scales linearly.  Measured here: the correlation itself (``correlate.align.align`` on
the dissected packets and the parsed log) and the whole that ``ikescope correlate`` does before it writes
(the log parsed, then ``correlate.timeline.build``: dissection, align, explanations, findings).

The inputs are built once (in WORKDIR) from the lab case ``captures/v6-aes128-sha1-modp1024``:

* the capture: its 17 frames (MM1-MM6, QM1-QM3, 6 ESP, 2 INFORMATIONAL) repeated N times, 3 s
  apart, each copy with its own cookies, message IDs and ESP SPIs (patched in the frames' bytes;
  nothing is re-encrypted: correlation reads only headers);
* the log: the initiator's charon log reduced to 100 lines per exchange (the lines that give events,
  then the first other lines of the exchange, in their order), repeated N times with the same
  patches, its stamps shifted by +3 h 27 min 13.25 s against the capture.

Printed for N/10 and N exchanges: the seconds of ``parse_log`` (issue 5's stage), of the dissection
alone (``Dissector.packets()`` listed: issue 2's stage), of ``align`` on the listed packets and the
parsed log (this issue's stage), and of the whole (``timeline.build(Dissector(...),
[parse_log(...)])``); then how much longer the 10x input took (linear: about 10) and whether every
packet event matched its frame and the offset is within 5 ms of the shift.

Usage: python bench/run_correlate_bench.py [--exchanges N] [--workdir DIR] [--repeat K]
"""
from __future__ import annotations

import argparse
import datetime as dt
import gc
import random
import re
import resource
import struct
import sys
import time
from pathlib import Path

import dpkt

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))

from correlate.align import align  # noqa: E402
from correlate.logparse import parse_log  # noqa: E402
from correlate.timeline import build as build_timeline  # noqa: E402
from dissect.pipeline import Dissector  # noqa: E402

CASE = REPO / "captures" / "v6-aes128-sha1-modp1024"
SIDE = "left"
SPACING = 3.0
LINES_PER_EXCHANGE = 100
SHIFT = dt.timedelta(hours=3, minutes=27, seconds=13.25)
YEAR = 2026

_STAMP = re.compile(r"^(?P<mon>[A-Z][a-z]{2}) (?P<day>[ \d]\d) (?P<hms>\d\d:\d\d:\d\d\.\d{3})")


def _template_frames() -> list[tuple[float, bytes, int, str]]:
    """The case's frames: (time, bytes, offset of the ISAKMP header or the ESP SPI, "isakmp"/"esp")."""
    out = []
    with open(CASE / "capture.pcap", "rb") as f:
        rd = dpkt.pcap.Reader(f)
        for ts, buf in rd:
            eth = dpkt.ethernet.Ethernet(buf)
            udp = eth.data.data
            if not isinstance(udp, dpkt.udp.UDP):
                continue
            payload = bytes(udp.data)
            at = len(buf) - len(payload)
            if udp.dport == 500 or udp.sport == 500:
                out.append((ts, buf, at, "isakmp"))
            elif payload[:4] == b"\0\0\0\0":
                out.append((ts, buf, at + 4, "isakmp"))
            else:
                out.append((ts, buf, at, "esp"))
    return out


def _template_lines() -> list[str]:
    """The log's lines that give events, then the first others, up to LINES_PER_EXCHANGE, in order."""
    lines = (CASE / f"{SIDE}.log").read_text().split("\n")[:-1]
    log = parse_log(str(CASE / f"{SIDE}.log"), year=YEAR, keep_records=False)
    keep = {e.record.line for e in log.events}
    for n in range(1, len(lines) + 1):
        if len(keep) >= LINES_PER_EXCHANGE:
            break
        keep.add(n)
    return [lines[n - 1] for n in sorted(keep)]


def build(workdir: Path, exchanges: int) -> tuple[Path, Path]:
    """The capture and the log for ``exchanges`` copies (made once)."""
    pcap = workdir / f"correlate-{exchanges}.pcap"
    log = workdir / f"correlate-{exchanges}.log"
    if pcap.exists() and log.exists():
        return pcap, log
    workdir.mkdir(parents=True, exist_ok=True)
    rnd = random.Random(6)
    frames = _template_frames()
    lines = _template_lines()
    text = "\n".join(lines)
    mids = sorted({struct.unpack(">I", buf[at + 20:at + 24])[0] for _t, buf, at, k in frames if k == "isakmp"} - {0})
    spis = sorted({struct.unpack(">I", buf[at:at + 4])[0] for _t, buf, at, k in frames if k == "esp"})
    stamps = [(i, _STAMP.match(ln)) for i, ln in enumerate(lines)]
    base = [dt.datetime.strptime(f"{YEAR} {m['mon']} {int(m['day'])} {m['hms']}", "%Y %b %d %H:%M:%S.%f")
            if m else None for _i, m in stamps]
    with open(pcap, "wb") as fp, open(log, "w") as fl:
        w = dpkt.pcap.Writer(fp, linktype=dpkt.pcap.DLT_EN10MB, snaplen=65535)
        for k in range(exchanges):
            new_mid = {m: rnd.getrandbits(32) | 1 for m in mids}
            new_spi = {s: rnd.getrandbits(32) | 0x100 for s in spis}
            ic, rc = rnd.randbytes(8), rnd.randbytes(8)
            for ts, buf, at, kind in frames:
                b = bytearray(buf)
                if kind == "isakmp":
                    b[at:at + 8] = ic
                    if b[at + 8:at + 16] != b"\0" * 8:
                        b[at + 8:at + 16] = rc
                    mid = struct.unpack(">I", buf[at + 20:at + 24])[0]
                    b[at + 20:at + 24] = struct.pack(">I", new_mid.get(mid, mid))
                else:
                    spi = struct.unpack(">I", buf[at:at + 4])[0]
                    b[at:at + 4] = struct.pack(">I", new_spi[spi])
                w.writepkt(bytes(b), ts + k * SPACING)
            body = text.replace("<lab|1>", f"<lab|{k + 1}>").replace("lab[1]", f"lab[{k + 1}]") \
                       .replace("net{1}", f"net{{{k + 1}}}")
            for m, n in new_mid.items():
                body = body.replace(str(m), str(n))
            for s, n in new_spi.items():
                body = body.replace(f"{s:08x}", f"{n:08x}")
            out = []
            shift = SHIFT + dt.timedelta(seconds=k * SPACING)
            for ln, t in zip(body.split("\n"), base):
                if t is not None:
                    t2 = t + shift
                    ln = f"{t2:%b} {t2.day:2d} {t2:%H:%M:%S}.{t2.microsecond // 1000:03d}" + ln[19:]
                out.append(ln)
            fl.write("\n".join(out) + "\n")
    return pcap, log


def timed(fn, repeat: int):
    best, value = float("inf"), None
    for _ in range(repeat):
        value = None
        gc.collect()
        t0 = time.perf_counter()
        value = fn()
        best = min(best, time.perf_counter() - t0)
    return best, value


def run(pcap: Path, log: Path, repeat: int) -> dict:
    """Each stage timed on its own (best of ``repeat``), then the whole; memory freed in between."""
    t_parse, parsed = timed(lambda: parse_log(str(log), year=YEAR, keep_records=False), repeat)
    t_dissect, packets = timed(lambda: list(Dissector(str(pcap)).packets()), repeat)
    t_align, al = timed(lambda: align(packets, [parsed]), repeat)
    facts = {"lines": sum(1 for _ in open(log)), "events": len(parsed.events), "frames": len(al.frames),
             "matched": al.logs[0].matched, "packet_events": al.logs[0].packet_events,
             "offset_error": abs(al.logs[0].offset - SHIFT.total_seconds()), "uncertainty": al.logs[0].uncertainty}
    del packets, parsed, al
    gc.collect()
    # the whole, as ``ikescope correlate`` does it before writing: the log parsed (records kept: the
    # findings read them), then the timeline built (dissection, align, explanations, findings)
    t_all, _tl = timed(lambda: build_timeline(Dissector(str(pcap)), [parse_log(str(log), year=YEAR)]), repeat)
    return {"parse": t_parse, "dissect": t_dissect, "align": t_align, "all": t_all, **facts}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--exchanges", type=int, default=10_000)
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/ikescope-bench"))
    ap.add_argument("--repeat", type=int, default=1)
    a = ap.parse_args(argv)
    results = {}
    for n in (a.exchanges // 10, a.exchanges):
        pcap, log = build(a.workdir, n)
        r = results[n] = run(pcap, log, a.repeat)
        print(f"{n:>6} exchanges, {r['lines']:>9,} log lines, {r['frames']:>7,} ISAKMP frames: "
              f"parse_log {r['parse']:5.2f} s, dissect {r['dissect']:5.2f} s, align {r['align']:5.2f} s, "
              f"all {r['all']:5.2f} s; matched {r['matched']}/{r['packet_events']}, "
              f"offset error {r['offset_error'] * 1000:.2f} ms (± {r['uncertainty'] * 1000:.2f} ms)")
    small, big = results[a.exchanges // 10], results[a.exchanges]
    print(f"peak RSS of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB; "
          f"of its largest child (the log findings made beside, dissect/forked.py): "
          f"{resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024:.0f} MiB")
    print(f"10x the input: x{big['all'] / small['all']:.1f} the time "
          f"(align alone x{big['align'] / small['align']:.1f})")
    ok = big["matched"] == big["packet_events"] and big["offset_error"] < 0.005
    print(f"every packet event matched, offset within 5 ms: {'yes' if ok else 'NO'}; "
          f"align under 10 s: {'met' if big['align'] < 10 else 'NOT met'}; "
          f"the whole under 10 s: {'met' if big['all'] < 10 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
