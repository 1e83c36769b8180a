"""Benchmark: ``ikescope decrypt big.pcap --keys big.pcap.esp_sa -w /dev/null`` against tshark, side by side.

Issue 4's performance target: decrypting and verifying the 200,000 ESP packets (AES-128-CBC +
HMAC-SHA1-96, two SAs) of the dissect benchmark's 1,000,000-packet capture should be at least 4x
faster than tshark on the same file with the same keys (``-o esp.enable_encryption_decode:TRUE``
with the esp_sa table, ICV checking on), with memory that does not grow with the capture: peak RSS
is printed for the 100k- and the 1M-packet file.

Usage: python bench/run_decrypt_bench.py [--packets N] [--workdir DIR] [--repeat K] [--no-tshark]

The captures and their ``.esp_sa`` key tables come from bench/make_big.py (shared with
run_bench.py, in WORKDIR, default /tmp/ikescope-bench).  Times are wall-clock seconds, best of K;
peak RSS is the child's ru_maxrss.  Both tools read the whole file and decrypt and verify every ESP
packet: tshark filters on ``esp.icv_good == 1`` and prints nothing (``-q``), ikescope writes the inner
packets to /dev/null.
"""
from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from run_bench import bench_args, ensure_capture, measure, versus_tshark

HERE = Path(__file__).resolve().parent


def ikescope_decrypt(path: Path) -> list[str]:
    exe = shutil.which("ikescope")
    base = [exe] if exe else [sys.executable, "-m", "cli.main"]
    return base + ["decrypt", str(path), "--keys", f"{path}.esp_sa", "-w", os.devnull, "--no-progress"]


def tshark_decrypt(path: Path) -> list[str]:
    # -q alone would let tshark skip dissection; the filter on the ICV makes it decrypt and check each ESP packet
    args = ["tshark", "-r", str(path), "-q", "-Y", "esp.icv_good == 1", "-o", "esp.enable_encryption_decode:TRUE",
            "-o", "esp.enable_authentication_check:TRUE"]
    for row in Path(f"{path}.esp_sa").read_text().splitlines():
        if row.strip():
            args += ["-o", f"uat:esp_sa:{row}"]
    return args


def main(argv=None) -> int:
    a = bench_args(__doc__, argv)

    small = ensure_capture(a.workdir, a.packets // 10)
    big = ensure_capture(a.workdir, a.packets)
    esp = a.packets // 5
    print(f"capture: {big} ({big.stat().st_size / 1e6:.0f} MB, {a.packets} packets, about {esp} ESP)")

    t_small, rss_small = measure(ikescope_decrypt(small), a.repeat)
    t_ike, rss_ike = measure(ikescope_decrypt(big), a.repeat)
    print(f"ikescope decrypt -w /dev/null {a.packets // 10:>9} packets: {t_small:7.2f} s  "
          f"peak RSS {rss_small / 1024:7.1f} MiB")
    print(f"ikescope decrypt -w /dev/null {a.packets:>9} packets: {t_ike:7.2f} s  peak RSS {rss_ike / 1024:7.1f} MiB")
    growth = rss_ike / max(rss_small, 1)
    print(f"memory growth 10x packets: x{growth:.2f} ({'flat' if growth < 1.25 else 'GROWS'})")

    versus_tshark(a, tshark_decrypt(big), "tshark esp_sa decrypt -q     ", t_ike, 4)
    return 0


if __name__ == "__main__":
    sys.exit(main())
