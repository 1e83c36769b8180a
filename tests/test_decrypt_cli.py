"""``ikescope decrypt`` and the ESP parts of ``dissect`` and ``keys`` on the lab captures.

The inner pcap must open in tshark with the packets and protocols ikescope decrypted, the summary
must say per SA what happened (and say wrong keys once per SA), and ``keys --wireshark`` must write an
``esp_sa`` table that tshark decrypts the capture with.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

from conftest import CAPTURES, REPO, require_tshark

NATT = CAPTURES / "v4-natt"
PFS = CAPTURES / "v6-aes256-sha256-modp2048-pfs14"


def cli(*args, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cli.main", *map(str, args)], cwd=REPO, capture_output=True,
                          text=True, timeout=120, **kw)


def tshark(*args) -> str:
    env = dict(os.environ, WIRESHARK_CONFIG_DIR=str(REPO / "tests" / "nonexistent-profile"))
    return subprocess.run(["tshark", *map(str, args)], capture_output=True, text=True, timeout=120, env=env).stdout


@pytest.mark.parametrize("case", [NATT, PFS, CAPTURES / "v4-rekey-dpd", CAPTURES / "v6-aggressive"],
                         ids=lambda p: p.name)
def test_inner_pcap_opens_in_tshark(tmp_path, case):
    require_tshark()
    out = tmp_path / "inner.pcap"
    r = cli("decrypt", case / "capture.pcap", "--keys", case / "left.log", "-w", out)
    assert r.returncode == 0, r.stderr
    truth = json.loads((case / "truth.json").read_text())
    esp_frames = len(truth["frames"]["ESP"])
    assert f"wrote {esp_frames} inner packet(s) to {out}" in r.stdout
    lines = tshark("-r", out, "-T", "fields", "-e", "frame.protocols", "-e", "ip.src", "-e", "ipv6.src",
                   "-e", "icmp.type", "-e", "icmpv6.type").splitlines()
    assert len(lines) == esp_frames
    v = truth["ip_version"]
    want = "raw:ip:icmp" if v == 4 else "raw:ipv6:icmpv6"
    assert all(ln.split("\t")[0] in (want, want + ":data") for ln in lines), lines
    # the same sources and ICMP types, in the same order, as the lab's tshark decrypted in the capture
    oracle = truth["oracle"]["per_frame"]
    types = [oracle[f"{f}:ESP"]["inner_icmp_type"] for f in truth["frames"]["ESP"]]
    assert [ln.split("\t")[3 if v == 4 else 4] for ln in lines] == types
    # the original times
    times = tshark("-r", out, "-T", "fields", "-e", "frame.time_epoch").split()
    by_frame = {row["frame"]: row["time"] for row in truth["frame_table"]}
    assert [round(float(t), 6) for t in times] == [round(by_frame[f], 6) for f in truth["frames"]["ESP"]]


def test_decrypt_summary_per_sa():
    r = cli("decrypt", NATT / "capture.pcap", "--keys", NATT / "right.log")
    assert r.returncode == 0, r.stderr
    sa_lines = [ln for ln in r.stdout.splitlines() if ln.startswith("ESP SA ")]
    assert len(sa_lines) == 2
    for spi in ("0x411389fb", "0xbd685cb1"):
        line = next(ln for ln in sa_lines if spi in ln)
        assert "AES-CBC-128 + HMAC-SHA1-96" in line and "3 packet(s), 396 bytes, 3 decrypted" in line
        assert "Quick Mode 8a71f999" in line


def test_decrypt_wrong_keys_said_once_per_sa(tmp_path):
    table = tmp_path / "esp_sa"
    text = (NATT / "esp_sa").read_text()
    # the right SPIs and algorithms, other keys: every ICV fails
    table.write_text(re.sub(r'"0x([0-9a-f]{40})"', '"0x' + "22" * 20 + '"',
                            re.sub(r'"0x([0-9a-f]{32})"', '"0x' + "11" * 16 + '"', text)))
    r = cli("decrypt", NATT / "capture.pcap", "--keys", table)
    assert r.returncode == 1
    failing = [ln for ln in r.stdout.splitlines() if "wrong keys for this SA" in ln]
    assert len(failing) == 2 and all("ICV failed on all 3" in ln for ln in failing)
    assert "Traceback" not in r.stderr
    # the packet list marks each packet, once
    listing = cli("dissect", NATT / "capture.pcap", "--keys", table).stdout
    assert listing.count("[ICV failed: wrong keys for this SA]") == 6
    assert "decrypted to no packet" not in r.stdout


def test_decrypt_right_icv_wrong_cipher_key(tmp_path):
    """The integrity keys right, the encryption keys wrong: the ICV checks, the plaintext makes no sense."""
    table = tmp_path / "esp_sa"
    table.write_text(re.sub(r'"0x([0-9a-f]{32})"', '"0x' + "11" * 16 + '"', (NATT / "esp_sa").read_text()))
    r = cli("decrypt", NATT / "capture.pcap", "--keys", table)
    assert r.returncode == 1
    failing = [ln for ln in r.stdout.splitlines() if "encryption key or algorithm is wrong" in ln]
    assert len(failing) == 2 and all("all with a correct ICV decrypted to no packet: the integrity key is right"
                                     in ln for ln in failing)
    # the -V tree says the ICV is correct, and why the packet still is not one
    v = cli("dissect", NATT / "capture.pcap", "--keys", table, "-V").stdout
    assert v.count("Authentication Data: correct") == 6
    assert v.count("padding incorrect although the ICV is correct: wrong encryption key or algorithm") == 6


def test_decrypt_unknown_spi_and_no_keys(tmp_path):
    table = tmp_path / "esp_sa"
    table.write_text((NATT / "esp_sa").read_text().splitlines()[0] + "\n")
    r = cli("decrypt", NATT / "capture.pcap", "--keys", table)
    assert r.returncode == 1
    assert "ESP: 3 packet(s) with SPI(s) no key is known for: 0xbd685cb1" in r.stdout
    r = cli("decrypt", NATT / "capture.pcap")
    assert r.returncode == 2 and "decrypt needs key material" in r.stderr


def test_decrypt_unwritable_output():
    r = cli("decrypt", NATT / "capture.pcap", "--keys", NATT / "esp_sa", "-w", "/nonexistent/dir/inner.pcap")
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and "cannot write /nonexistent/dir/inner.pcap" in r.stderr


def test_decrypt_pcap_to_stdout():
    r = subprocess.run([sys.executable, "-m", "cli.main", "decrypt", str(NATT / "capture.pcap"), "--keys",
                        str(NATT / "esp_sa"), "-w", "-"], cwd=REPO, capture_output=True, timeout=120)
    assert r.returncode == 0
    import dpkt
    import io
    reader = dpkt.pcap.Reader(io.BytesIO(r.stdout))
    assert reader.datalink() == 101 and len(list(reader)) == 6
    assert b"wrote 6 inner packet(s) to standard output" in r.stderr


def test_keys_wireshark_writes_esp_sa_that_tshark_uses(tmp_path):
    require_tshark()
    folder = tmp_path / "profile"
    r = cli("keys", PFS / "capture.pcap", "--keys", PFS / "left.log", "--wireshark", folder)
    assert r.returncode == 0, r.stderr
    table = (folder / "esp_sa").read_text()
    assert oct((folder / "esp_sa").stat().st_mode & 0o777) == "0o600"
    truth = json.loads((PFS / "truth.json").read_text())
    for sa in truth["esp_sas"]:
        assert f'"{sa["spi"]}"' in table and sa["enc_key"] in table and sa["auth_key"] in table
    assert "tshark 4." in r.stderr and "10-field form" in r.stderr
    env = dict(os.environ, WIRESHARK_CONFIG_DIR=str(folder))
    out = subprocess.run(["tshark", "-r", str(PFS / "capture.pcap"), "-o", "esp.enable_encryption_decode:TRUE",
                          "-Y", "icmpv6.type == 128 || icmpv6.type == 129"], capture_output=True, text=True,
                         env=env, timeout=120).stdout
    assert len(out.splitlines()) == 6
    # keys are masked in the listing unless asked for
    listing = cli("keys", PFS / "capture.pcap", "--keys", PFS / "left.log").stdout
    assert "ESP SA 0x2864097c" in listing and truth["esp_sas"][0]["enc_key"] not in listing
    shown = cli("keys", PFS / "capture.pcap", "--keys", PFS / "left.log", "--show-secrets").stdout
    assert truth["esp_sas"][0]["enc_key"] in shown


def test_keys_json_has_esp_sas():
    r = cli("keys", NATT / "capture.pcap", "--keys", NATT / "left.log", "--json", "--show-secrets")
    row = json.loads(r.stdout.splitlines()[0])
    truth = json.loads((NATT / "truth.json").read_text())
    assert {(e["spi"], e["enc_key"], e["auth_key"]) for e in row["esp_sas"]} == \
        {(s["spi"], s["enc_key"], s["auth_key"]) for s in truth["esp_sas"]}


def test_dissect_json_and_verbose_show_inner():
    r = cli("dissect", NATT / "capture.pcap", "--keys", NATT / "left.log", "--json")
    esp = [json.loads(ln) for ln in r.stdout.splitlines() if '"esp"' in ln]
    assert len(esp) == 6
    first = esp[0]["esp"]["decrypted"]
    assert first["icv"] == "ok" and first["inner"]["protocol_name"] == "ICMP"
    assert first["inner"]["fields"]["icmp.type"] == 8 and first["inner"]["src"] == "198.51.100.1"
    v = cli("dissect", NATT / "capture.pcap", "--keys", NATT / "left.log", "-V").stdout
    assert v.count("Authentication Data: correct") == 6 and "Next Header: IPIP (0x04)" in v


def test_keys_turns_an_xfrm_paste_into_wireshark_esp_sa(tmp_path):
    """`ip -s xfrm state` pasted (SPIs with their decimal value), turned into Wireshark's esp_sa: the lab's own table."""
    truth = json.loads((NATT / "truth.json").read_text())
    paste = "".join(f"src {sa['src']} dst {sa['dst']}\n\tproto esp spi {sa['spi']}({int(sa['spi'], 16)}) reqid 1"
                    f"(0x00000001) mode tunnel\n\tauth-trunc hmac(sha1) 0x{sa['auth_key']} (160 bits) 96\n"
                    f"\tenc cbc(aes) 0x{sa['enc_key']} (128 bits)\n" for sa in truth["esp_sas"])
    (tmp_path / "xfrm.txt").write_text(paste)
    folder = tmp_path / "profile"
    r = cli("keys", NATT / "capture.pcap", "--keys", tmp_path / "xfrm.txt", "--wireshark", folder)
    assert r.returncode == 0, r.stderr
    assert (folder / "esp_sa").read_text() == (NATT / "esp_sa").read_text()
    assert truth["esp_sas"][0]["enc_key"] not in r.stdout + r.stderr
    assert "ESP SA 0x411389fb 192.0.2.2 -> 192.0.2.3: AES-CBC-128 + HMAC-SHA1-96" in r.stdout


def test_decrypt_says_why_no_esp_keys():
    r = cli("decrypt", CAPTURES / "v4-rekey-dpd" / "capture.pcap", "--keys",
            CAPTURES / "v4-rekey-dpd" / "ikev1_decryption_table")
    assert r.returncode == 1
    assert "ESP keys need SKEYID_d, which a cipher key alone does not give" in r.stdout
    assert "No ESP SA has keys: Quick Modes were decrypted, but their ESP keys could not be derived" in r.stdout
    r = cli("decrypt", CAPTURES / "v6-ikev2-psk" / "capture.pcap", "--keys", CAPTURES / "v6-ikev2-psk" / "left.log")
    assert "ikescope does not derive ESP keys from IKEv2 yet: give an esp_sa table" in r.stdout


def test_w_never_costs_the_user_a_file(tmp_path):
    """-w naming the capture itself is refused; a capture that cannot be read leaves the -w file as it was."""
    import shutil
    capture = tmp_path / "capture.pcap"
    shutil.copy(NATT / "capture.pcap", capture)
    before = capture.read_bytes()
    r = cli("decrypt", capture, "--keys", NATT / "esp_sa", "-w", capture)
    assert r.returncode == 2 and "that is the capture being read" in r.stderr
    assert capture.read_bytes() == before
    precious = tmp_path / "precious.pcap"
    precious.write_bytes(b"precious")
    r = cli("decrypt", tmp_path / "missing.pcap", "--keys", NATT / "esp_sa", "-w", precious)
    assert r.returncode == 2 and precious.read_bytes() == b"precious"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".ikescope-")]
    r = cli("decrypt", capture, "--keys", NATT / "esp_sa", "-w", precious)
    assert r.returncode == 0 and precious.read_bytes()[:4] == b"\xd4\xc3\xb2\xa1"


def test_a_bad_quick_mode_entry_costs_only_itself(tmp_path):
    """A [[tunnel.quick_mode]] with a message ID that does not read: one message; the tunnel's PSK and
    g^xy still decrypt Phase 1 and Quick Mode, and the ESP line says which DH secret is missing."""
    truth = json.loads((PFS / "truth.json").read_text())
    keys = tmp_path / "keys.toml"
    keys.write_text(f'[[tunnel]]\npsk = "{truth["psk"]}"\ndh_shared = "{truth["g_xy"]}"\n\n'
                    f'[[tunnel.quick_mode]]\nmessage_id = "zzz"\ndh_shared = "{truth["qm_pfs_g_xy"][0]}"\n')
    r = cli("decrypt", PFS / "capture.pcap", "--keys", keys)
    assert r.returncode == 1
    assert "[tunnel 1, quick_mode 1] message_id: 'zzz' is not a message ID" in r.stderr
    assert "PSK verified" in r.stdout
    assert f"Quick Mode {truth['quick_mode_message_ids'][0]} uses PFS" in r.stdout
    # with the right message ID, the same file decrypts every ESP packet
    keys.write_text(keys.read_text().replace('"zzz"', f'"0x{truth["quick_mode_message_ids"][0]}"'))
    r = cli("decrypt", PFS / "capture.pcap", "--keys", keys)
    assert r.returncode == 0 and r.stdout.count("3 packet(s), 456 bytes, 3 decrypted") == 2


MISMATCHED = CAPTURES / "v6-psk-mismatch"


def test_both_peers_logs_each_side_decrypted_in_dissect_decrypt_and_correlate():
    """Both peers' logs of the PSK-mismatch lab: every message decrypts with its sender's keys, and the
    verdict (dissect, decrypt, correlate, with --json) says the peers' PSKs differ, naming both logs."""
    from dissect.verdict import PEERS_DIFFER
    truth = json.loads((MISMATCHED / "truth.json").read_text())
    capture, left, right = MISMATCHED / "capture.pcap", MISMATCHED / "left.log", MISMATCHED / "right.log"
    keys = ["--keys", left, "--keys", right]
    for command in ("dissect", "decrypt"):
        r = cli(command, capture, *keys)
        assert r.returncode == (0 if command == "dissect" else 1), r.stderr  # decrypt: no ESP to decrypt
        (line,) = [x for x in r.stdout.splitlines() if x.startswith("    keys (")]
        assert PEERS_DIFFER in line and str(left) in line and str(right) in line, line
        assert "HASH_I mismatch" not in r.stdout and "note:" not in r.stdout
    rows = [json.loads(x) for x in cli("dissect", capture, *keys, "--json").stdout.splitlines()]
    encrypted = {x["frame"]: x["isakmp"] for x in rows if x.get("isakmp", {}).get("encrypted")}
    assert sorted(encrypted) == sorted(f for label in ("MM5", "MM5(retransmit)", "INFO") for f in truth["frames"][label])
    assert all(m["decrypted"] and m["hash_check"].endswith(" verified") for m in encrypted.values())
    c = cli("correlate", capture, left, right, *keys, "--json")
    assert c.returncode == 0, c.stderr
    packets = [json.loads(x) for x in c.stdout.splitlines()][:-1]
    facts = {p["frame"]: p["explanation"]["facts"] for p in packets}
    for f in truth["frames"]["MM5"] + truth["frames"]["MM5(retransmit)"]:
        assert facts[f]["key_verdict"] == PEERS_DIFFER and facts[f]["hash_check"] == "HASH_I verified"
    assert all(facts[f]["hash_check"] == "HASH(1) verified" for f in truth["frames"]["INFO"])


def test_a_cipher_key_alone_says_what_it_can():
    """Wireshark's table (no PSK, no DH secret): no hash to check, so no HASH_I verdict; what was seen."""
    r = cli("dissect", MISMATCHED / "capture.pcap", "--keys", MISMATCHED / "ikev1_decryption_table")
    assert r.returncode == 0, r.stderr
    assert "HASH_I mismatch" not in r.stdout
    (line,) = [x for x in r.stdout.splitlines() if x.startswith("    keys (")]
    assert "MM5 sent again with no MM6" in line and "likely a PSK mismatch" in line and "--psk" in line


def test_a_wrong_psk_in_aggressive_mode_names_the_hash_that_failed():
    """v6-aggressive, a wrong --psk and no DH secret: the capture alone checks AM2's HASH_R (RFC 2409 §5),
    so the verdict names HASH_R and the PSK, not HASH_I or a DH secret that was not given."""
    r = cli("dissect", CAPTURES / "v6-aggressive" / "capture.pcap", "--psk", "not-the-psk")
    (line,) = [x for x in r.stdout.splitlines() if "keys (command line)" in x]
    assert "HASH_R mismatch: wrong pre-shared key: HASH_R of AM2 does not match the given PSK" in line
    assert "HASH_I" not in line and "DH secret" not in line and "not-the-psk" not in r.stdout
