"""``ikescope correlate`` as a user runs it: the seed scenario's timeline (captures/seed-ios-ipv6, whose
truth.json says which debug lines sent or received each frame), the lab cases with both charon logs, the
JSON Lines, log-only mode on the public debug samples, and bad input (one line, documented exit codes)."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import CAPTURES, REPO

SEED = CAPTURES / "seed-ios-ipv6"
DATA = REPO / "tests" / "data"


def correlate(*args, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cli.main", "correlate", *map(str, args)], cwd=REPO,
                          capture_output=True, input=stdin, timeout=300)


def _jsonl(r: subprocess.CompletedProcess) -> tuple[list[dict], dict]:
    lines = [json.loads(line) for line in r.stdout.splitlines()]
    assert lines and lines[-1].get("summary") is True, r.stderr
    return lines[:-1], lines[-1]


def _seed_json(*extra):
    r = correlate(SEED / "capture.pcap", SEED / "initiator.log", SEED / "responder.log", "--year", "2012",
                  "--tz", "UTC", "--json", *extra)
    assert r.returncode == 0, r.stderr
    return _jsonl(r)


def test_seed_debug_blocks_attach_to_their_messages():
    """Every packet line of the seed's debug (each pasted copy too) sits on the frame truth.json names,
    and on no other."""
    truth = json.loads((SEED / "truth.json").read_text())
    packets, summary = _seed_json("--keys", SEED / "keys.toml")
    by_frame = {p["frame"]: {(ref["file"].rsplit("/", 1)[-1], ref["line"]) for ref in p["log"]} for p in packets}
    expected = {row["frame"]: {(log, n) for log, lines in row["log_lines"].items() for n in lines}
                for row in truth["frame_table"] if row["kind"] == "ISAKMP"}
    every_packet_line = set().union(*expected.values())
    for frame, lines in expected.items():
        assert lines <= by_frame[frame], (frame, lines - by_frame[frame])
        assert not (by_frame[frame] & every_packet_line) - lines, frame
    offsets = {c["file"].rsplit("/", 1)[-1]: c["offset"] for c in summary["logs"]}
    clock = truth["clock"]
    assert offsets["initiator.log"] == pytest.approx(-clock["capture_minus_initiator_log_s"], abs=0.005)
    assert offsets["responder.log"] == pytest.approx(-clock["capture_minus_responder_log_s"], abs=0.005)


def test_seed_explained_with_its_policy_and_transform_set():
    packets, summary = _seed_json("--keys", SEED / "keys.toml")
    roles = [p["explanation"]["role"] for p in packets]
    assert roles == ["MM1", "MM2", "MM3", "MM4", "MM5", "MM6", "QM1", "QM2", "QM3"]
    config = [line for p in packets if p["explanation"]["config"] for line in p["explanation"]["config"]["lines"]]
    for line in ("crypto isakmp policy 10", " encr aes", " hash sha", " authentication pre-share", " group 2",
                 "crypto isakmp key **** address ipv6 2001:DB8::3/128", " tunnel protection ipsec profile"):
        assert any(c.startswith(line) for c in config), line
    assert any("esp-aes esp-sha-hmac" in c for c in config)
    assert "cisco" not in json.dumps(packets)  # the PSK is never shown
    assert not [f for f in summary["findings"] if f["severity"] == "error"]


def test_seed_config_is_each_routers_own():
    """Each seed log speaks for its router (truth.json: initiator 2001:db8::2, responder ::3): MM2 and QM2
    show both routers' configuration, labelled by their logs, each keyed toward the other and with the
    tunnel its log names (``Interface Tunnel23``); MM1 and QM1 are the initiator's offer."""
    truth = json.loads((SEED / "truth.json").read_text())
    i, r = truth["initiator"]["addr"], truth["responder"]["addr"]
    packets, _summary = _seed_json("--keys", SEED / "keys.toml")
    config = {p["explanation"]["role"]: p["explanation"]["config"] for p in packets if p["explanation"]["config"]}
    assert sorted(config) == ["MM1", "MM2", "QM1", "QM2"]
    assert config["MM1"]["sides"] == [] and config["MM1"]["local"] == i
    assert config["MM1"]["label"] == f"{SEED / 'initiator.log'}, the initiator"
    for role in ("MM2", "QM2"):
        sides = config[role]["sides"]
        assert [(s["local"], s["peer"]) for s in sides] == [(i, r), (r, i)]
        assert [s["label"] for s in sides] == [f"{SEED / 'initiator.log'}, the initiator",
                                               f"{SEED / 'responder.log'}, the responder"]
    mm2 = config["MM2"]["sides"]
    assert "crypto isakmp key **** address ipv6 2001:DB8::3/128" in mm2[0]["lines"]
    assert "crypto isakmp key **** address ipv6 2001:DB8::2/128" in mm2[1]["lines"]
    qm2 = config["QM2"]["sides"]
    for side, (src, dst) in zip(qm2, ((i, r), (r, i))):
        at = side["lines"].index("interface Tunnel23")
        assert side["lines"][at + 1:at + 4] == [f" tunnel source {src.upper()}", " tunnel mode ipsec ipv6",
                                                 f" tunnel destination {dst.upper()}"]
        assert side["names"]["interface"] == "Tunnel23" and "Tunnel0" not in side["placeholders"]


def test_lab_case_shows_the_responders_mirrored_acl():
    """strongSwan lab case, both charon logs: the responder's crypto map ACL is the initiator's mirrored
    (truth.json protected nets), the names no log gives are said to be placeholders, and each peer's
    configuration is said to be the IOS equivalent of a strongSwan peer's."""
    case = CAPTURES / "v4-aes128-sha1-modp1024"
    truth = json.loads((case / "truth.json").read_text())
    assert (truth["initiator"]["protected_net"], truth["responder"]["protected_net"]) == ("198.51.100.0/24",
                                                                                         "203.0.113.0/24")
    r = correlate(case / "capture.pcap", case / "left.log", case / "right.log",
                  "--keys", case / "ikev1_decryption_table")
    assert r.returncode == 0, r.stderr
    out = r.stdout.decode()
    qm2 = out[out.index("the transform set the responder chose"):]
    qm2 = qm2[:qm2.index("QM3")]
    init, resp = qm2.split(f"! on 192.0.2.3 ({case / 'right.log'}, the responder, a strongSwan peer: its IOS "
                           "equivalent) toward 192.0.2.2: ")
    assert f"! on 192.0.2.2 ({case / 'left.log'}, the initiator, a strongSwan peer: its IOS equivalent)" in out
    assert "permit ip 198.51.100.0 0.0.0.255 203.0.113.0 0.0.0.255" in init and "set peer 192.0.2.3" in init
    assert "permit ip 203.0.113.0 0.0.0.255 198.51.100.0 0.0.0.255" in resp and "set peer 192.0.2.2" in resp
    assert "! placeholder names (no log names them): ESP-AES-SHA, IKESCOPE-ACL, IKESCOPE-MAP, <outside interface>" \
        in resp


def test_seed_timeline_text():
    r = correlate(SEED / "capture.pcap", SEED / "initiator.log", SEED / "responder.log", "--year", "2012",
                  "--tz", "UTC", "--keys", SEED / "keys.toml")
    assert r.returncode == 0, r.stderr
    out = r.stdout.decode()
    for text in ("MM1", "MM6", "QM3", "sending packet to 2001: DB8::3", "IPSEC(create_sa)", "crypto isakmp policy",
                 "esp-aes esp-sha-hmac"):
        assert text in out, text


@pytest.mark.parametrize("sample", sorted(p.name for p in (DATA / "debug-samples").glob("*.txt")))
def test_every_debug_sample_runs_log_only(sample):
    r = correlate("--log-only", DATA / "debug-samples" / sample, "--json", "--year", "2026")
    assert r.returncode in (0, 1) and b"Traceback" not in r.stderr, r.stderr
    _steps, summary = _jsonl(r)
    assert isinstance(summary["findings"], list)


@pytest.mark.parametrize("sample,code", [
    ("03-iosxe-mm-qm-initiator-nopsk-then-success-shows.txt", "no-psk"),
    ("04-asa-ikev1-syslog-qm-crypto-map-policy-not-found.txt", "proxy-id-mismatch"),
    ("09-ios15-mm-ok-qm-proposal-not-chosen-pfs-console-dots.txt", "proposal-mismatch"),
    ("13-asa804-syslog-year-mm-wait-msg4-invalid-cookie.txt", "invalid-cookie"),
])
def test_failure_samples_named_in_log_only_mode(sample, code):
    r = correlate("--log-only", DATA / "debug-samples" / sample, "--json", "--year", "2026")
    _steps, summary = _jsonl(r)
    assert code in {f["code"] for f in summary["findings"]}
    text = correlate("--log-only", DATA / "debug-samples" / sample, "--year", "2026").stdout.decode()
    assert "Findings:" in text


def test_psk_mismatch_case_named_from_capture_and_logs():
    case = CAPTURES / "v6-psk-mismatch"
    r = correlate(case / "capture.pcap", case / "left.log", case / "right.log", "--json",
                  "--keys", case / "ikev1_decryption_table")
    assert r.returncode in (0, 1), r.stderr
    _packets, summary = _jsonl(r)
    codes = {f["code"] for f in summary["findings"]}
    assert "psk-mismatch" in codes


def test_bad_input_one_line_and_exit_codes(tmp_path):
    r = correlate(tmp_path / "missing.pcap", SEED / "initiator.log")
    assert r.returncode == 2 and r.stderr.count(b"\n") == 1 and b"Traceback" not in r.stderr
    r = correlate(SEED / "capture.pcap", tmp_path / "missing.log")
    assert r.returncode == 2 and r.stderr.count(b"\n") == 1
    r = correlate(SEED / "capture.pcap")
    assert r.returncode == 2 and r.stderr.count(b"\n") == 1
    r = correlate(SEED / "capture.pcap", SEED / "initiator.log", "--offset", "soon")
    assert r.returncode == 2 and r.stderr.count(b"\n") == 1
    junk = tmp_path / "junk.log"
    junk.write_bytes(b"\x00\x01binary\x00" * 100)
    r = correlate(SEED / "capture.pcap", SEED / "initiator.log", junk, "--year", "2012")
    assert r.returncode == 1 and b"Traceback" not in r.stderr and r.stdout


def test_offset_given_is_used():
    packets, summary = _seed_json("--offset", f"{SEED / 'initiator.log'}=-3h27m13.25s",
                                  "--offset", f"{SEED / 'responder.log'}=-3:27:13.118")
    given = {c["file"].rsplit("/", 1)[-1]: (c["offset"], c["given"]) for c in summary["logs"]}
    assert given["initiator.log"] == (pytest.approx(-12433.25), True)
    assert given["responder.log"] == (pytest.approx(-12433.118), True)


def test_offset_forms():
    from cli.correlate_cmd import seconds
    assert seconds("-17") == -17
    assert seconds("+3:27:13.25") == pytest.approx(12433.25)
    assert seconds("3h27m13.25s") == pytest.approx(12433.25)
    assert seconds("-250ms") == pytest.approx(-0.25)
    with pytest.raises(ValueError):
        seconds("soon")


def test_offsets_that_are_no_numbers_are_refused():
    for bad in ("nan", "inf", "1e400", "3:99:99"):
        r = correlate(SEED / "capture.pcap", SEED / "initiator.log", f"--offset={bad}")
        assert r.returncode == 2 and r.stderr.count(b"\n") == 1 and b"Traceback" not in r.stderr, bad
    r = correlate(SEED / "capture.pcap", SEED / "initiator.log", "--offset=1", "--offset=2")
    assert r.returncode == 2


def test_no_config_also_in_json():
    packets, _summary = _seed_json("--no-config")
    assert packets and all(p["explanation"]["config"] is None for p in packets)


def test_a_file_offset_wins_over_the_offset_for_every_log():
    _packets, summary = _seed_json(f"--offset={SEED / 'responder.log'}=-12433.118", "--offset=-12433.25")
    given = {c["file"].rsplit("/", 1)[-1]: c["offset"] for c in summary["logs"]}
    assert given == {"initiator.log": pytest.approx(-12433.25), "responder.log": pytest.approx(-12433.118)}


def test_a_wrong_key_given_for_a_working_tunnel_blames_the_key_not_the_peers():
    case = CAPTURES / "v6-aes128-sha1-modp1024"
    truth = json.loads((case / "truth.json").read_text())
    r = correlate(case / "capture.pcap", case / "left.log", case / "right.log", "--json", "--psk", "not-the-key",
                  "--dh-shared", truth["g_xy"])
    _packets, summary = _jsonl(r)
    codes = {f["code"] for f in summary["findings"]}
    assert "keys-given-wrong" in codes and "psk-mismatch" not in codes


def test_the_same_log_twice_is_used_once(tmp_path):
    copy = tmp_path / "copy.log"
    copy.write_bytes((SEED / "initiator.log").read_bytes())
    r = correlate(SEED / "capture.pcap", SEED / "initiator.log", copy, "--year", "2012", "--tz", "UTC", "--json")
    assert r.returncode == 1 and b"is the same log as" in r.stderr
    _packets, summary = _jsonl(r)
    assert len(summary["logs"]) == 1
    # the same name twice: the same message kind and exit code
    r = correlate(SEED / "capture.pcap", SEED / "initiator.log", SEED / "initiator.log", "--year", "2012", "--tz",
                  "UTC", "--json")
    assert r.returncode == 1 and b"is given more than once: it is used once" in r.stderr
    assert len(_jsonl(r)[1]["logs"]) == 1


def test_log_only_says_what_it_ignores():
    r = correlate("--log-only", SEED / "initiator.log", "--psk", "x", "--offset=3", "--year", "2012")
    assert r.returncode == 0 and b"mean nothing without a capture" in r.stderr and b"Traceback" not in r.stderr


def test_findings_of_a_log_for_another_tunnel_are_left_out():
    """Sample 09 (a PROPOSAL_NOT_CHOSEN between other peers) with the seed capture: its log speaks for no
    endpoint, so its findings are not the capture's; a note says so (log-only mode still gives them)."""
    sample = DATA / "debug-samples" / "09-ios15-mm-ok-qm-proposal-not-chosen-pfs-console-dots.txt"
    r = correlate(SEED / "capture.pcap", sample, "--json", "--year", "2012")
    _packets, summary = _jsonl(r)
    assert "proposal-mismatch" not in {f["code"] for f in summary["findings"]}
    assert b"speaks for no endpoint of the capture, so its findings are left out" in r.stderr
    alone = correlate("--log-only", sample, "--json", "--year", "2012")
    assert "proposal-mismatch" in {f["code"] for f in _jsonl(alone)[1]["findings"]}


def test_log_option_anywhere_among_the_files():
    """``--log ADDR=FILE`` between the capture and the other logs: the log after it is still a log, the
    address given is the endpoint that log speaks for, and the other is found from its addresses."""
    r = correlate(SEED / "capture.pcap", "--log", f"2001:db8::2={SEED / 'initiator.log'}", SEED / "responder.log",
                  "--year", "2012", "--tz", "UTC", "--json")
    assert r.returncode == 0, r.stderr
    _packets, summary = _jsonl(r)
    given = {log["file"].rsplit("/", 1)[-1]: log["address"] for log in summary["logs"]}
    assert given == {"initiator.log": "2001:db8::2", "responder.log": "2001:db8::3"}
    r = correlate(SEED / "capture.pcap", SEED / "initiator.log", "--bogus", "x")
    assert r.returncode == 2 and b"unrecognized arguments: --bogus x" in r.stderr and b"Traceback" not in r.stderr


def test_pasted_copies_note_lists_only_repeated_lines():
    """The seed's logs quote blocks several times: the note under a packet lists line runs, and every line
    it lists says word for word what an earlier line of the same log says (a stamp aside)."""
    import re
    r = correlate(SEED / "capture.pcap", SEED / "initiator.log", SEED / "responder.log", "--year", "2012",
                  "--tz", "UTC")
    out = " ".join(r.stdout.decode().split())
    notes = re.findall(r"(\S+\.log): (\d+) more records repeat these word for word \(pasted copies of this block; "
                       r"lines ([\d, -]+?)(?: and \d+ more runs up to line \d+)?\)", out)
    assert notes
    for path, _count, runs in notes:
        texts = [" ".join(line.split(": ", 1)[-1].split()) for line in (REPO / path).read_text().splitlines()]
        for run in runs.split(", "):
            a, _, b = run.partition("-")
            for n in range(int(a), int(b or a) + 1):
                assert texts[n - 1] in texts[:n - 1], (path, n)


def test_offset_file_named_as_the_user_spells_it():
    """``--offset=responder.log=...`` (its file name alone) and ``./captures/...`` (the same file) name the
    log given as captures/seed-ios-ipv6/responder.log; minutes then seconds need no trailing "s"."""
    behind = json.loads((SEED / "truth.json").read_text())["clock"]["capture_minus_responder_log_s"]  # 12433.118
    h, rest = divmod(behind, 3600)
    m, sec = divmod(rest, 60)
    for name in ("responder.log", f"./{SEED.relative_to(REPO) / 'responder.log'}"):
        r = correlate(SEED / "capture.pcap", SEED.relative_to(REPO) / "initiator.log",
                      SEED.relative_to(REPO) / "responder.log", "--year", "2012", "--tz", "UTC", "--json",
                      f"--offset={name}=-{h:.0f}h{m:.0f}m{sec:.3f}")
        assert r.returncode == 0, r.stderr
        logs = {log["file"].rsplit("/", 1)[-1]: log for log in _jsonl(r)[1]["logs"]}
        assert logs["responder.log"]["given"] and abs(logs["responder.log"]["offset"] + behind) < 1e-6
        assert not logs["initiator.log"]["given"]


def test_a_log_without_years_is_told_the_capture_year():
    r = correlate(SEED / "capture.pcap", SEED / "initiator.log", "--tz", "UTC")
    assert r.returncode == 0
    assert b"initiator.log: its clock is" in r.stderr and b"--year 2012" in r.stderr


_PUBLIC = REPO.parent / "shared" / "public-captures"
_SAMPLES = REPO.parent / "shared" / "debug-samples"


@pytest.mark.skipif(not (_PUBLIC.exists() and _SAMPLES.exists()),
                    reason="../shared/public-captures or ../shared/debug-samples is not there")
def test_forced_log_of_another_tunnel_is_refused_with_its_findings():
    """Issue 6 user reports 1 and 2: `--log 10.1.61.155=` sample 03 (AES-256, group 14, peer 203.0.113.1) on
    the Wireshark wiki's Main Mode capture (AES-128, group 2), then sample 13 (an ASA's INVALID_COOKIE and
    retransmissions): neither matches a line, stderr says why and that --log gave it, and the findings
    of neither log are the capture's (--log-only still gives sample 13's)."""
    pcap = _PUBLIC / "wireshark-wiki" / "attachment_ikev1_main_mode.pcap"
    s03, s13 = (next(_SAMPLES.glob(f"{n}-*.txt")) for n in ("03", "13"))
    alone = correlate("--log-only", s13, "--json")
    assert alone.returncode == 0
    codes = {f["code"] for f in _jsonl(alone)[1]["findings"]}
    assert {"invalid-cookie", "retransmissions"} <= codes
    for log in (s03, s13):
        r = correlate(pcap, "--log", f"10.1.61.155={log}", "--json")
        assert r.returncode == 1, r.stderr  # (refused: a log not lined up is input not usable)
        _packets, summary = _jsonl(r)
        assert summary["matched"] == 0 and summary["logs"][0]["matched"] == 0
        assert summary["logs"][0]["address"] == "10.1.61.155"
        err = r.stderr.decode()
        assert "does not belong to this capture" in err and "--log gave it 10.1.61.155" in err
        assert "findings are left out" in err
        assert not codes & {f["code"] for f in summary["findings"]}


def test_wrong_offset_is_said_with_the_estimate():
    """User report 3: the seed with `--offset=-3h27m` (13 s short): stderr says how few lines it matches,
    the estimate, and the option that gives it; that option then matches every packet line."""
    truth = json.loads((SEED / "truth.json").read_text())["clock"]
    args = (SEED / "capture.pcap", SEED.relative_to(REPO) / "initiator.log", "--year", "2012", "--tz", "UTC")
    r = correlate(*args, "--offset=-3h27m", "--json")
    assert r.returncode == 1  # (an offset that matches none of the log's packet lines: input not usable)
    err = r.stderr.decode()
    assert _jsonl(r)[1]["logs"][0]["matched"] == 0
    option = err.split("(--offset=", 1)[1].split(")", 1)[0]
    behind = float(option.rsplit("m", 1)[1].rstrip("s"))
    assert abs(3 * 3600 + 27 * 60 + behind - truth["capture_minus_initiator_log_s"]) < 0.002
    again = correlate(*args, f"--offset={option}", "--json")
    assert again.returncode == 0
    log = _jsonl(again)[1]["logs"][0]
    assert log["given"] and log["matched"] > 0 and log["matched"] + log["copies"] == log["packet_events"]
    assert "matches only" not in again.stderr.decode()
    assert (f"the offset given (-3h27m00.000s) matches only 0 of its {log['matched']} packet lines (pasted "
            f"copies aside); the estimate, {option.rsplit('=', 1)[1]}") in err
    assert f"matches {log['matched']} (--offset=" in err


def test_seed_counters_are_the_latest_shown():
    """User report 4: the seed's summary compares each SPI's latest counters (the `| i caps` output, 9
    and 9) with the capture's ESP packets (9 per SPI): no difference is printed."""
    import re
    shown = dict(re.findall(r"#pkts (encaps|decaps): (\d+)", (SEED / "initiator.log").read_text(errors="replace")))
    _packets, summary = _seed_json()
    spis = {s["spi"]: s for s in summary["spis"] if s["counter"]}
    assert len(spis) == 2
    assert all(s["counted"] == s["seen"] == int(shown[s["counter"]]) and s["difference"] == 0
               for s in spis.values())
    r = correlate(SEED / "capture.pcap", SEED / "initiator.log", SEED / "responder.log", "--year", "2012",
                  "--tz", "UTC")
    assert "capture 9 (-5)" not in r.stdout.decode() and "decaps 4" not in r.stdout.decode()


@pytest.mark.parametrize("option", ["--offset", "--log", "--tz", "--keys", "--psk", "--year"])
def test_an_option_whose_value_is_the_end_of_options_mark(option):
    """argparse gives ``--offset=--`` an empty list: one line, exit 2, no traceback."""
    r = correlate(SEED / "capture.pcap", SEED / "initiator.log", f"{option}=--")
    assert r.returncode == 2 and b"Traceback" not in r.stderr
    assert f"{option}: give a value, not --".encode() in r.stderr and len(r.stderr.strip().splitlines()) == 1


_V4 = CAPTURES / "v4-aes128-sha1-modp1024"


def _both_gateways(tmp_path):
    lines = [line for side in ("left", "right") for line in (_V4 / f"{side}.log").read_text().splitlines()]
    path = tmp_path / "both.log"
    path.write_text("\n".join(sorted(lines, key=lambda line: line.split()[:3])) + "\n")  # sort -s -k1,3
    return path


def test_one_log_of_both_gateways_is_split_and_equals_the_two_logs(tmp_path):
    both = _both_gateways(tmp_path)
    r = correlate(_V4 / "capture.pcap", both, "--json")
    assert r.returncode == 0, r.stderr
    packets, summary = _jsonl(r)
    sep_packets, sep_summary = _jsonl(correlate(_V4 / "capture.pcap", _V4 / "left.log", _V4 / "right.log", "--json"))
    assert [(c["file"], c["address"], c["matched"], c["foreign"]) for c in summary["logs"]] == [
        (f"{both}[192.0.2.2]", "192.0.2.2", 11, ""), (f"{both}[192.0.2.3]", "192.0.2.3", 11, "")]
    assert summary["matched"] == sep_summary["matched"] == 22
    assert {f["code"] for f in summary["findings"]} == {f["code"] for f in sep_summary["findings"]}
    assert [sorted(x["text"] for x in p["log"]) for p in packets] == \
        [sorted(x["text"] for x in p["log"]) for p in sep_packets]
    assert "split into one log per address" in r.stderr.decode()


def test_swapped_log_addresses_are_said_and_the_logs_own_used():
    r = correlate(_V4 / "capture.pcap", "--log", f"192.0.2.3={_V4 / 'left.log'}", "--log",
                  f"192.0.2.2={_V4 / 'right.log'}", "--json")
    assert r.returncode == 0, r.stderr
    _packets, summary = _jsonl(r)
    assert [(c["address"], c["matched"], c["foreign"]) for c in summary["logs"]] == [
        ("192.0.2.2", 11, ""), ("192.0.2.3", 11, "")]
    err = r.stderr.decode()
    assert "does not belong" not in err
    assert "--log gave it 192.0.2.2, but the log names 192.0.2.3 as its own address (not 192.0.2.2)" in err


def test_a_given_address_outside_the_capture_yields_to_the_logs_own():
    """``--log ADDR=FILE`` with an ADDR that is no IKE endpoint of the capture (mistyped): the address the log
    names as its own is used, the note says so, and the log matches as it does without the override."""
    plain = _jsonl(correlate(_V4 / "capture.pcap", _V4 / "left.log", "--json"))[1]
    r = correlate(_V4 / "capture.pcap", "--log", f"192.0.2.99={_V4 / 'left.log'}", "--json")
    assert r.returncode == 0, r.stderr
    _packets, summary = _jsonl(r)
    assert [(c["address"], c["matched"], c["foreign"]) for c in summary["logs"]] == \
        [(c["address"], c["matched"], c["foreign"]) for c in plain["logs"]] == [("192.0.2.2", 11, "")]
    assert ("left.log: 192.0.2.99, given as its address, is not an IKE endpoint in the capture; 192.0.2.2 is "
            "used (the log names it as its own)") in r.stderr.decode()


@pytest.mark.skipif(not (_PUBLIC.exists() and _SAMPLES.exists()),
                    reason="../shared/public-captures or ../shared/debug-samples is not there")
def test_a_refused_log_shows_why_in_the_summary():
    pcap = _PUBLIC / "wireshark-wiki" / "attachment_ikev1_main_mode.pcap"
    s03 = next(_SAMPLES.glob("03-*.txt"))
    _packets, summary = _jsonl(correlate(pcap, "--log", f"10.1.61.155={s03}", "--json"))
    why = summary["logs"][0]["foreign"]
    assert why
    text = correlate(pcap, "--log", f"10.1.61.155={s03}").stdout.decode().splitlines()[0]
    assert f"not this capture's log ({why})" in text and "speaks for" not in text


def test_log_only_json_lists_the_sessions_and_joins_a_tcpdump_decode():
    """Sample 14 (libreswan whack output, then tcpdump's decode of the same session): the summary lists
    both views as IKE SAs, each naming the other as ``same_as``, and their steps are the messages'."""
    (path,) = (DATA / "debug-samples").glob("14-*.txt")
    r = correlate("--log-only", "--json", path)
    assert r.returncode in (0, 1), r.stderr
    messages, summary = _jsonl(r)
    sas = summary["sas"]
    assert len(sas) == 2 and sas[0]["same_as"] == sas[1]["sa"] and sas[1]["same_as"] == sas[0]["sa"]
    assert [m["role"] for m in messages if m["sa"] == sas[0]["sa"]][:6] == ["MM1", "MM2", "MM3", "MM4", "MM5", "MM6"]


def test_an_offset_for_a_part_of_a_split_log(tmp_path):
    """The name a split part is given (``FILE[192.0.2.2]``) takes an ``--offset`` of its own: that part's
    clock is the one given, the other part's is estimated; a part no split makes is refused (exit 2)."""
    both = _both_gateways(tmp_path)
    r = correlate(_V4 / "capture.pcap", both, "--json", f"--offset={both}[192.0.2.2]=0")
    assert r.returncode == 0, r.stderr
    given = {c["file"]: c["given"] for c in _jsonl(r)[1]["logs"]}
    assert given == {f"{both}[192.0.2.2]": True, f"{both}[192.0.2.3]": False}
    r = correlate(_V4 / "capture.pcap", both, f"--offset={both}[10.9.9.9]=0")
    assert r.returncode == 2 and b"names no part of a split log" in r.stderr


@pytest.mark.skipif(not ((_PUBLIC / "tcpdump" / "ISAKMP_sa_setup.pcap").exists() and _SAMPLES.exists()),
                    reason="../shared/public-captures/tcpdump or ../shared/debug-samples is not there")
def test_a_forced_log_of_another_session_reports_nothing_against_the_capture():
    """User report 1 and 3: sample 13 (an ASA's INVALID_COOKIE at MM_WAIT_MSG4 with 198.51.100.233, stamps with
    their year) given as 10.0.0.1's log for tcpdump's clean exchange between 10.0.0.1 and 10.0.0.2: refused,
    no finding, no --year hint, and its 6 packet lines are not counted as packet lines without a packet."""
    pcap = _PUBLIC / "tcpdump" / "ISAKMP_sa_setup.pcap"
    s13 = next(_SAMPLES.glob("13-*.txt"))
    r = correlate(pcap, "--log", f"10.0.0.1={s13}")
    assert r.returncode == 1, r.stderr  # (a log not lined up: input not usable)
    out, err = r.stdout.decode(), r.stderr.decode()
    assert out.splitlines()[0].startswith(f"{s13}: not this capture's log (the peer it names (198.51.100.233)")
    assert "Findings: none" in out and "[error]" not in out
    assert ", 0 packet lines without a packet (6 of refused logs not counted)," in out
    assert "--year" not in err and "findings are left out" in err
    _packets, summary = _jsonl(correlate(pcap, "--log", f"10.0.0.1={s13}", "--json"))
    assert summary["unmatched_events"] == [] and summary["logs"][0]["packet_events"] == 6


def test_one_file_of_both_ios_routers_is_split(tmp_path):
    """User report 2: `cat initiator.log responder.log` (no syslog host) is split per router by what its lines
    say, and each part lines up as its own file does: the same header counts and offsets."""
    both = tmp_path / "both-ios.log"
    both.write_text((SEED / "initiator.log").read_text() + (SEED / "responder.log").read_text())
    r = correlate(SEED / "capture.pcap", both, "--year", "2012", "--tz", "UTC", "--json")
    assert r.returncode == 0, r.stderr
    assert b"holds two routers' lines (2001:db8::2 and 2001:db8::3" in r.stderr
    _packets, summary = _jsonl(r)
    _base_packets, base = _seed_json()
    got = {c["address"]: (c["matched"], c["copies"], round(c["offset"], 3), c["foreign"]) for c in summary["logs"]}
    want = {c["address"]: (c["matched"], c["copies"], round(c["offset"], 3), c["foreign"]) for c in base["logs"]}
    assert got == want and len(got) == 2
    assert {c["file"] for c in summary["logs"]} == {f"{both}[2001:db8::2]", f"{both}[2001:db8::3]"}
    assert summary["matched"] == base["matched"] and summary["unmatched_events"] == base["unmatched_events"] == []


def test_a_log_for_no_endpoint_adds_no_packet_lines_without_a_packet():
    """Sample 09 with the seed capture speaks for no endpoint: its packet lines are not the capture's
    missing ones (the summary and the JSON count none of them, and say how many were set aside)."""
    sample = DATA / "debug-samples" / "09-ios15-mm-ok-qm-proposal-not-chosen-pfs-console-dots.txt"
    _packets, summary = _jsonl(correlate(SEED / "capture.pcap", sample, "--json", "--year", "2012"))
    assert summary["logs"][0]["address"] is None and summary["logs"][0]["packet_events"] > 0
    assert summary["unmatched_events"] == []
    out = " ".join(correlate(SEED / "capture.pcap", sample, "--year", "2012").stdout.decode().split())
    assert f", 0 packet lines without a packet ({summary['logs'][0]['packet_events']} of refused logs not counted)," in out


def test_one_address_for_two_logs_is_refused():
    """``--log ADDR=FILE`` twice with one ADDR and two files: one line, exit 2 (one log speaks for one endpoint)."""
    case = CAPTURES / "v4-natt"
    r = correlate(case / "capture.pcap", "--log", f"192.0.2.9={case / 'left.log'}", "--log",
                  f"192.0.2.9={case / 'right.log'}")
    assert r.returncode == 2 and not r.stdout
    assert r.stderr.decode().splitlines() == [
        f"ikescope: --log gives 192.0.2.9 to two logs ({case / 'left.log'} and {case / 'right.log'}): one log "
        "speaks for one endpoint"]


def test_logs_with_key_dumps_are_named_when_keys_are_wanted():
    """A PSK alone cannot give the keys (no DH secret); the charon logs given as logs hold key dumps: stderr
    says to add them with --keys (they are key sources only when named there)."""
    case = CAPTURES / "v6-psk-mismatch"
    r = correlate(case / "capture.pcap", case / "left.log", case / "right.log", "--psk", "not-shown-here")
    err = r.stderr.decode()
    assert (f"{case / 'left.log'} and {case / 'right.log'} hold key dumps (strongSwan loglevel 4): to decrypt "
            f"with them, add --keys {case / 'left.log'} --keys {case / 'right.log'}") in err
    assert "not-shown-here" not in err + r.stdout.decode()
    r = correlate(case / "capture.pcap", case / "left.log", case / "right.log", "--psk", "x", "--keys", case / "left.log")
    assert "hold key dumps" not in r.stderr.decode()


def test_a_log_nothing_was_read_from_gets_one_note(tmp_path):
    """Random bytes given as a log beside a good one: what the parse says, then one note that it is not lined
    up, and no note about its findings (it has none); the good log is lined up as alone."""
    case = CAPTURES / "v4-natt"
    junk = tmp_path / "junk.log"
    junk.write_bytes(bytes(range(256)) * 8)
    r = correlate(case / "capture.pcap", case / "left.log", junk)
    assert r.returncode == 1
    mine = [line for line in r.stderr.decode().splitlines() if str(junk) in line]
    assert len(mine) == 3, mine
    assert mine[-1] == f"ikescope: {junk}: no event read from it, so it is not lined up with the capture"
    assert "11 IKE packets, 11 packet lines matched" in r.stdout.decode()


def test_log_only_headers_show_direction_for_whack_and_tcpdump_lines():
    """Sample 14 (libreswan whack output, then tcpdump's decode): a whack line that sent a message shows the
    arrow though it names no peer; a tcpdump line shows its source and destination."""
    (path,) = (DATA / "debug-samples").glob("14-*.txt")
    heads = [line for line in correlate("--log-only", path).stdout.decode().splitlines() if line[:3] in ("MM1", "MM2")]
    assert heads[0].split()[:2] in (["MM1", "→"], ["MM1", "->"]), heads[0]
    tcpdump = [h.split()[:4] for h in heads if "198.51.100.23" in h]
    assert tcpdump[:2] in ([["MM1", "192.0.2.209", "→", "198.51.100.23"], ["MM2", "198.51.100.23", "→", "192.0.2.209"]],
                           [["MM1", "192.0.2.209", "->", "198.51.100.23"], ["MM2", "198.51.100.23", "->", "192.0.2.209"]])


def test_uptime_stamps_say_when_the_router_booted():
    """The seed's initiator log with uptime stamps (``00:27:07.273:``, the router booted at 08:06:36 on its
    own clock): the header says when it booted on the capture's clock, from the same offset as the wall-clock
    stamps give (-3:27:13.249), not an offset of millions of hours."""
    import datetime as dt
    import re
    text = (SEED / "initiator.log").read_text()

    def uptime(m):
        t = dt.datetime.strptime(m[1], "%H:%M:%S.%f") - dt.datetime.strptime("08:06:36", "%H:%M:%S")
        s = t.total_seconds()
        return f"{int(s // 3600):02d}:{int(s % 3600 // 60):02d}:{s % 60:06.3f}:"
    up = re.sub(r"\*Sep 21 (\d\d:\d\d:\d\d\.\d{3}):", uptime, text)
    assert up != text and "*Sep" not in up
    r = correlate(SEED / "capture.pcap", "-", "--year", "2012", stdin=up.encode())
    assert r.returncode == 0, r.stderr
    assert "uptime stamps: the router booted at 2012-09-21 11:33:49.249 UTC" in r.stdout.decode().splitlines()[0]


def test_a_syslog_message_between_a_packet_line_and_its_send_path_line():
    """A ``%LINK-3-UPDOWN`` message logged between ``sending packet to …`` and ``Sending an IKE IPv6 Packet.``
    of one datagram: the second line is still no packet of its own, so the log matches as without it."""
    text = (SEED / "initiator.log").read_text()
    link = "*Sep 21 08:33:43.293: %LINK-3-UPDOWN: Interface GigabitEthernet0/2, changed state to down\n"
    lines = text.splitlines(keepends=True)
    at = [i for i, line in enumerate(lines) if "Sending an IKE IPv6 Packet" in line]
    assert at
    for i in reversed(at):
        lines.insert(i, link)
    plain = _jsonl(correlate(SEED / "capture.pcap", SEED / "initiator.log", "--year", "2012", "--json"))[1]
    r = correlate(SEED / "capture.pcap", "-", "--year", "2012", "--json", stdin="".join(lines).encode())
    summary = _jsonl(r)[1]
    keys = ("address", "offset", "uncertainty", "packet_events", "matched", "copies", "foreign")
    assert [[c[k] for k in keys] for c in summary["logs"]] == [[c[k] for k in keys] for c in plain["logs"]]
    assert summary["findings"] == plain["findings"] and summary["unmatched_events"] == []


def test_standard_input_named_twice_is_refused():
    r = correlate("-", "-", stdin=(SEED / "initiator.log").read_bytes())
    assert r.returncode == 2 and r.stderr.decode().splitlines() == [
        "ikescope: standard input (-) is given more than once: one file can be read from it"]


def test_without_keys_an_encrypted_message_is_explained_from_its_log_lines():
    """The seed without keys: QM1 is encrypted, and the responder's lines placed on it say what it carried
    (the transform the router accepted, the proxy IDs) and imply its transform set and VTI, as the log alone
    (--log-only) says; each line once, though the document quotes the block four times."""
    packets, _summary = _jsonl(correlate(SEED / "capture.pcap", SEED / "initiator.log", SEED / "responder.log",
                                         "--year", "2012", "--json"))
    qm1 = next(p for p in packets if p["explanation"]["role"] == "QM1")
    lines = qm1["explanation"]["lines"]
    accepted = [x for x in lines if x.startswith("from the log: IPsec transform accepted: ESP AES-128 with HMAC-SHA")]
    assert len(accepted) == 1 and "from the log: proxy IDs: local ::/0, remote ::/0: any to any, as a VTI negotiates" \
        in lines
    config = qm1["explanation"]["config"]["lines"]
    assert "crypto ipsec transform-set ESP-AES-SHA esp-aes esp-sha-hmac" in config and "interface Tunnel23" in config


def test_a_wrong_offset_for_every_log_refuses_none():
    """``--offset=-3h`` for both seed logs (27 min off): neither log matches at that offset, and each is said
    to with its own estimate; neither is taken for another session's (the offset is wrong, not the logs)."""
    r = correlate(SEED / "capture.pcap", SEED / "initiator.log", SEED / "responder.log", "--year", "2012",
                  "--offset=-3h", "--json")
    assert r.returncode == 1
    summary = _jsonl(r)[1]
    assert [(c["matched"], c["foreign"]) for c in summary["logs"]] == [(0, ""), (0, "")]
    err = r.stderr.decode()
    assert err.count("the offset given (-3h0m00.000s) matches only 0 of its") == 2
    assert "not the capture's" not in err
