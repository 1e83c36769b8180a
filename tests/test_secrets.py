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


CONFIG_LINES = [  # the configuration forms that carry a key (IOS keyrings, IKEv2, ASA, strongSwan)
    "crypto keyring KR", " pre-shared-key address 10.0.0.1 key K3yOne", " pre-shared-key hostname peer1 key 0 K3yTwo",
    "crypto ikev2 keyring KR2", "  pre-shared-key local K3yThree", "  pre-shared-key remote 6 K3yFour",
    "tunnel-group 10.0.0.1 ipsec-attributes", " ikev1 pre-shared-key K3yFive",
    " ikev2 local-authentication pre-shared-key K3ySix", " pre-shared-key K3ySeven",
    "secrets {", "  ike-lab {", "    secret = 0x4b33794569676874", "  }", "}",
]


def test_keys_pasted_inside_a_wrapped_debug_record_are_masked(tmp_path):
    """The seed's initiator log with configuration pasted after its line 4, inside a record a terminal
    wrapped (the pasted lines join it): every key is masked in log, correlate and --log-only, text and JSON."""
    seed = REPO / "captures" / "seed-ios-ipv6"
    lines = (seed / "initiator.log").read_text().splitlines()
    path = tmp_path / "initiator.log"
    path.write_text("\n".join(lines[:4] + CONFIG_LINES + lines[4:]) + "\n")
    keys = ["K3yOne", "K3yTwo", "K3yThree", "K3yFour", "K3yFive", "K3ySix", "K3ySeven", "0x4b33794569676874"]
    runs = [("log", "--all", path), ("log", "--all", "--json", path), ("correlate", "--log-only", path),
            ("correlate", "--log-only", "--json", path),
            ("correlate", seed / "capture.pcap", path, "--year", "2012", "--tz", "UTC"),
            ("correlate", seed / "capture.pcap", path, "--year", "2012", "--tz", "UTC", "--json")]
    for args in runs:
        r = ikescope(*args)
        assert r.returncode in (0, 1), r.stderr
        assert not [k for k in keys if k in r.stdout or k in r.stderr], args
    texts = [json.loads(x)["text"] for x in ikescope("log", "--all", "--json", path).stdout.splitlines()]
    assert any("pre-shared-key local ****" in " ".join(t.split()) for t in texts)
