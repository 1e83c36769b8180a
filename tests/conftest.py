"""Shared paths and helpers for the test suite.

Captures come from three places:
* ``captures/`` in this repository (always present: the lab cases we ship);
* ``../shared/lab/cases/`` and ``../shared/public-captures/`` beside the
  repository: present on the development machine and in CI; tests that need
  them skip, with the reason, where they are absent.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
CAPTURES = REPO / "captures"
SHARED = REPO.parent / "shared"
LAB_CASES = SHARED / "lab" / "cases"
PUBLIC = SHARED / "public-captures"

CAPTURE_SUFFIXES = (".pcap", ".pcapng", ".cap")


def capture_files(root: Path) -> list[Path]:
    """Every pcap/pcapng/cap file under ``root`` (sorted), skipping unpacked archives."""
    if not root.is_dir():
        return []
    return sorted(p for p in root.rglob("*") if p.suffix in CAPTURE_SUFFIXES and p.is_file()
                  and "archives" not in p.parts)


def shipped_cases() -> list[Path]:
    """Lab case folders shipped in captures/ (each has capture.pcap, truth.json and the charon logs
    left.log/right.log); a synthesized folder (seed-ios-ipv6: IOS logs, its own tests) is not one."""
    return sorted(p for p in CAPTURES.iterdir() if (p / "truth.json").is_file() and (p / "left.log").is_file())


def require_public() -> Path:
    if not PUBLIC.is_dir():
        pytest.skip(f"public captures not present at {PUBLIC} (they are beside the repository in CI)")
    return PUBLIC


def require_tshark() -> str:
    exe = shutil.which("tshark")
    if exe is None:
        pytest.skip("tshark is not installed (CI installs Debian's tshark)")
    return exe
