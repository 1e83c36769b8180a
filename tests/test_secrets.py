"""Pre-shared keys in pasted configuration never reach ikescope's output (correlate/secrets.py)."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import CAPTURES, REPO
from correlate.secrets import MASK, mask

SAMPLE_03 = REPO / "tests" / "data" / "debug-samples" / "03-iosxe-mm-qm-initiator-nopsk-then-success-shows.txt"


def ikescope(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cli.main", *map(str, args)], cwd=REPO, capture_output=True,
                          text=True, timeout=120)


def test_sample_03_config_line_is_masked_everywhere():
    """Sample 03 pastes ``crypto isakmp key cisco123 address 203.0.113.1`` (line 25): the table, --all,
    --json and correlate --log-only show the line with the key masked, and the key nowhere."""
    assert SAMPLE_03.exists()
    line = SAMPLE_03.read_text().splitlines()[24]
    key = line.split("crypto isakmp key", 1)[1].split()[0]
    assert key and key != MASK
    for args in (("log", "--all", SAMPLE_03), ("log", "--all", "--json", SAMPLE_03),
                 ("correlate", "--log-only", SAMPLE_03), ("correlate", "--log-only", "--json", SAMPLE_03)):
        r = ikescope(*args)
        assert r.returncode in (0, 1), r.stderr
        assert key not in r.stdout and key not in r.stderr, args
    rows = [json.loads(x) for x in ikescope("log", "--all", "--json", SAMPLE_03).stdout.splitlines()]
    shown = [d["text"] for d in rows if d.get("line") == 25]
    assert shown and all(f"crypto isakmp key {MASK}" in t and "address 203.0.113.1" in t for t in shown)


@pytest.mark.parametrize("conf", sorted(CAPTURES.glob("*/*.swanctl.conf")), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_swanctl_secrets_are_masked(conf):
    """The lab's swanctl.conf files hold the PSK truth.json names (``secret = "..."``): masked, the rest kept."""
    truth = json.loads((conf.parent / "truth.json").read_text())
    psks = {truth.get(k) for k in ("psk", "psk_initiator", "psk_responder")} - {None}
    text = conf.read_text()
    assert any(p in text for p in psks)
    masked = "\n".join(mask(line) for line in text.splitlines())
    assert not any(p in masked for p in psks)
    assert masked.count(MASK) == sum(1 for line in text.splitlines() if line.split("=")[0].strip() == "secret")
    assert "auth = psk" in masked  # (the word psk alone is no key)
