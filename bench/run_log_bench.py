"""Benchmark: ``ikescope log`` parsing speed and memory on a 1,000,000-line log.

Issue 5's target: parse a 1,000,000-line log made by repeating real samples at 300,000 lines/s or
better, with memory proportional to the events kept.  The log is built (once, in WORKDIR) from the
seed's debug text, the public IOS/ASA debug samples and a lab charon log, repeated until it has the
lines asked for.  Printed: wall time and peak RSS of ``ikescope log --json FILE > /dev/null`` for the
file and for one ten times smaller, then lines/s of ``correlate.logparse.parse_log(FILE, 2026,
keep_records=False)`` (what ``ikescope log`` does without ``--all``) in this process, best of K, for both.

The commands run first, while this process is small: a child's peak RSS as the kernel reports it
(``wait4``) includes the RSS of the process it was forked from, before its ``exec``.

Usage: python bench/run_log_bench.py [--lines N] [--workdir DIR] [--repeat K]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))

from run_bench import measure  # noqa: E402

SOURCES = [REPO.parent / "shared" / "seed" / "000_e6e02144db6ec5bf.txt",
           *sorted((REPO.parent / "shared" / "debug-samples").glob("*.txt")),
           REPO / "captures" / "v4-natt" / "left.log"]


def build(path: Path, lines: int) -> Path:
    if path.exists():
        return path
    text = [ln for src in SOURCES if src.exists() for ln in src.read_text(errors="replace").splitlines()]
    if not text:
        raise SystemExit("no sample logs found (../shared and captures/)")
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as f:
        written = 0
        while written < lines:
            chunk = text[:lines - written]
            f.write("\n".join(chunk) + "\n")
            written += len(chunk)
    return path


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/ikescope-bench"))
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args(argv)
    big = build(a.workdir / f"log-{a.lines}.txt", a.lines)
    small = build(a.workdir / f"log-{a.lines // 10}.txt", a.lines // 10)
    cmd = [sys.executable, "-m", "cli.main", "log", "--json", "--year", "2026"]
    t_small, rss_small = measure(cmd + [str(small)], a.repeat)
    t_big, rss_big = measure(cmd + [str(big)], a.repeat)
    print(f"ikescope log --json {a.lines // 10:>9} lines: {t_small:6.2f} s  peak RSS {rss_small / 1024:7.1f} MiB")
    print(f"ikescope log --json {a.lines:>9} lines: {t_big:6.2f} s  peak RSS {rss_big / 1024:7.1f} MiB")
    from correlate.logparse import parse_log
    for path, lines in ((small, a.lines // 10), (big, a.lines)):
        best = float("inf")
        for _ in range(a.repeat):
            result = None  # the last run's events go before the next run starts
            t0 = time.perf_counter()
            result = parse_log(str(path), 2026, keep_records=False)
            best = min(best, time.perf_counter() - t0)
        print(f"parse_log: {lines:>9} lines in {best:5.2f} s = {lines / best:9,.0f} lines/s "
              f"({result.record_count} records, {len(result.events)} events)")
    print(f"target 300,000 lines/s on {a.lines} lines: {'met' if a.lines / best >= 300_000 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
