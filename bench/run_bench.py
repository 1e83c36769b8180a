"""Benchmark: ``ikescope dissect big.pcap --json`` against tshark, side by side.

Issue 2's performance target: on a 1,000,000-packet capture (about 500 MB:
40 % IPv6 TCP, 40 % IPv4 UDP, 20 % IPv6 ESP, 1,000 IKE frames from a lab
capture), ikescope's JSON dissection should be at least 10x faster than
``tshark -r big.pcap -Y isakmp -T json``, with memory that does not grow with
the capture size (peak RSS is printed for a 100k- and a 1M-packet file).

Usage: python bench/run_bench.py [--packets N] [--workdir DIR] [--repeat K] [--no-tshark]

The capture is generated once by bench/make_big.py into WORKDIR (default
/tmp/ikescope-bench) and reused.  Times are wall-clock seconds, the best of
K runs; peak RSS is the child's ru_maxrss.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent


def ensure_capture(workdir: Path, packets: int) -> Path:
    path = workdir / f"big-{packets}.pcap"
    if not path.exists():
        workdir.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, str(HERE / "make_big.py"), str(path), "--packets", str(packets)],
                       check=True)
    return path


def measure(cmd: list[str], repeat: int) -> tuple[float, int]:
    """Best wall time (s) and peak RSS (KiB) of ``cmd`` with stdout to /dev/null."""
    best, rss = float("inf"), 0
    for _ in range(repeat):
        with open(os.devnull, "wb") as null:
            t0 = time.perf_counter()
            proc = subprocess.Popen(cmd, stdout=null, stderr=subprocess.DEVNULL, cwd=REPO)
            _pid, status, usage = os.wait4(proc.pid, 0)
            dt = time.perf_counter() - t0
        if os.waitstatus_to_exitcode(status) not in (0, 1):
            raise SystemExit(f"command failed ({status}): {' '.join(cmd)}")
        best = min(best, dt)
        rss = max(rss, usage.ru_maxrss)
    return best, rss


def ikescope_cmd(path: Path) -> list[str]:
    exe = shutil.which("ikescope")
    base = [exe] if exe else [sys.executable, "-m", "cli.main"]
    return base + ["dissect", str(path), "--json", "--no-progress"]


def bench_args(doc: str, argv=None) -> argparse.Namespace:
    """The options both benchmarks take: --packets, --workdir, --repeat, --no-tshark."""
    ap = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--packets", type=int, default=1_000_000)
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/ikescope-bench"))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-tshark", action="store_true")
    return ap.parse_args(argv)


def main(argv=None) -> int:
    a = bench_args(__doc__, argv)

    small = ensure_capture(a.workdir, a.packets // 10)
    big = ensure_capture(a.workdir, a.packets)
    print(f"capture: {big} ({big.stat().st_size / 1e6:.0f} MB, {a.packets} packets)")

    t_small, rss_small = measure(ikescope_cmd(small), a.repeat)
    t_ike, rss_ike = measure(ikescope_cmd(big), a.repeat)
    print(f"ikescope dissect --json   {a.packets // 10:>9} packets: {t_small:7.2f} s  peak RSS {rss_small / 1024:7.1f} MiB")
    print(f"ikescope dissect --json   {a.packets:>9} packets: {t_ike:7.2f} s  peak RSS {rss_ike / 1024:7.1f} MiB")
    growth = rss_ike / max(rss_small, 1)
    print(f"memory growth 10x packets: x{growth:.2f} ({'flat' if growth < 1.25 else 'GROWS'})")

    versus_tshark(a, ["tshark", "-r", str(big), "-Y", "isakmp", "-T", "json"], "tshark -Y isakmp -T json ", t_ike, 10)
    return 0


def versus_tshark(a: argparse.Namespace, cmd: list[str], label: str, t_ike: float, target: float) -> None:
    """Time tshark (once, with an empty configuration folder) and print the speed-up against ``target``."""
    if a.no_tshark or not shutil.which("tshark"):
        print("tshark: skipped" + ("" if a.no_tshark else " (not installed)"))
        return
    with tempfile.TemporaryDirectory(prefix="ikescope-bench-profile-") as profile:
        saved = os.environ.get("WIRESHARK_CONFIG_DIR")
        os.environ["WIRESHARK_CONFIG_DIR"] = profile  # no user preferences in the way
        try:
            t_ts, rss_ts = measure(cmd, 1)
        finally:
            os.environ.pop("WIRESHARK_CONFIG_DIR")
            if saved is not None:
                os.environ["WIRESHARK_CONFIG_DIR"] = saved
    print(f"{label} {a.packets:>9} packets: {t_ts:7.2f} s  peak RSS {rss_ts / 1024:7.1f} MiB")
    ratio = t_ts / t_ike
    print(f"speed-up: {ratio:.1f}x (target >= {target:g}x: {'met' if ratio >= target else 'NOT met'})")


if __name__ == "__main__":
    sys.exit(main())
