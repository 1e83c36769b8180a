"""Findings (correlate.findings, issue 6 §6): what a TAC engineer would name, from logs alone, from a
capture (with or without keys), and from both merged.

Truth: the public debug samples in tests/data/debug-samples/ (their README says what each one shows
and, for the failures, the root cause), the seed document, the strongSwan lab cases' truth.json (the
PSK-mismatch case's different PSKs, the rekey/DPD case's frames), and two public captures beside the
repository (skipped where absent) whose contents their manifest describes.
"""
from __future__ import annotations

import json
import re

import pytest

from conftest import CAPTURES, PUBLIC, REPO
from correlate.findings import CATALOG, Finding, failures, findings_from_capture, findings_from_log, merge
from correlate.logonly import analyse
from correlate.logparse import parse_log
from dissect.keysources import load_key_file
from dissect.pipeline import Dissector
from dissect.verdict import PEERS_DIFFER

DATA = REPO / "tests" / "data"
SAMPLES = DATA / "debug-samples"
SEED = DATA / "seed" / "000_e6e02144db6ec5bf.txt"
ALL_SAMPLES = sorted(SAMPLES.glob("*.txt")) + [SEED]


def sample(prefix):
    (path,) = SAMPLES.glob(prefix + "-*.txt")
    return path


def of_log(path):
    return analyse(parse_log(str(path))).findings


def of_capture(case, keys=None):
    d = Dissector(str(CAPTURES / case / "capture.pcap"), keys=load_key_file(str(CAPTURES / case / keys)) if keys
                  else None)
    return findings_from_capture(d.packets(), d.decryptor)


def by_code(findings):
    return {f.code: f for f in findings}


def lines_matching(path, pattern):
    text = path.read_text(encoding="utf-8").split("\n")
    return [n for n, line in enumerate(text, 1) if re.search(pattern, line)]


def covered(f: Finding, line: int, file=None) -> bool:
    """Whether a finding's log evidence includes the record that holds this physical line."""
    return any(r.line <= line <= r.last_line and (file is None or r.file == str(file)) for r in f.log)


def truth(case):
    return json.loads((CAPTURES / case / "truth.json").read_text())


# --------------------------------------------------------------------------- log only: the samples

@pytest.mark.parametrize("path", ALL_SAMPLES, ids=lambda p: p.name)
def test_every_sample_runs_in_log_only_mode(path):
    findings = of_log(path)
    lines = path.read_text(encoding="utf-8").split("\n")
    for f in findings:
        assert f.code in CATALOG and f.severity in ("error", "warning", "note") and f.title and f.explanation
        assert f.log and not f.frames
        for ref in f.log:  # every reference points at real lines of this file
            assert ref.file == str(path) and 1 <= ref.line <= ref.last_line <= len(lines)
            assert ref.text.split()[0] in " ".join(lines[ref.line - 1:ref.last_line])
        json.dumps(f.to_dict())


def test_09_phase2_refused_names_transform_set_or_pfs():
    """IOS initiator: phase 1 up, QM1 answered with PROPOSAL_NOT_CHOSEN (protocol 3, ESP). The log shows
    neither side's Quick Mode proposal and no KE payload or DH group in the refused Quick Mode: as a TAC
    engineer would from this evidence, the title names both suspects, the transform set and PFS (the
    sample's author found PFS; one side's log cannot tell them apart), and no pfs-mismatch finding of its
    own; policy 3 being refused before policy 5 was accepted is no finding."""
    path = sample("09")
    found = by_code(of_log(path))
    f = found["proposal-mismatch"]
    assert f.failure and f.detail["phase"] == 2
    assert f.title == "Phase 2 proposal rejected (PROPOSAL_NOT_CHOSEN): transform set or PFS mismatch"
    assert "pfs-mismatch" not in found
    assert covered(f, lines_matching(path, "PROPOSAL_NOT_CHOSEN")[0])
    assert not covered(f, lines_matching(path, "Encryption algorithm offered does not match policy")[0])
    assert [x.code for x in failures(found.values())] == ["proposal-mismatch"]
    assert covered(found["lifetime-mismatch"], lines_matching(path, "NOTIFY RESPONDER_LIFETIME")[0])


def test_03_no_pre_shared_key():
    path = sample("03")
    found = by_code(of_log(path))
    assert [f.code for f in failures(found.values())] == ["no-psk"]
    assert covered(found["no-psk"], lines_matching(path, r"No pre-shared key with 203\.0\.113\.1")[0])
    # the second attempt, after the key was added, completes phase 1: said, and it stays the failure it was
    later = found["no-psk"].detail["later"]
    assert later.startswith(f"{path}:") and int(later.rsplit(":", 1)[1]) > max(r.line for r in found["no-psk"].log)
    assert "Later in the same log phase 1 completed (MM6 at line" in found["no-psk"].explanation
    # the pasted `show crypto ipsec sa`: #pkts encaps: 4, #pkts decaps: 0
    one_way = found["one-way-traffic"]
    assert one_way.detail["counters"] == ["203.0.113.1: 4 packets out, 0 packets in (sent but nothing received)"]


@pytest.mark.parametrize("side", ["left", "right"])
def test_a_failure_never_overcome_says_nothing_later(side):
    """The lab's PSK mismatch never completes phase 1: its failure names no later success."""
    found = by_code(of_log(CAPTURES / "v6-psk-mismatch" / f"{side}.log"))
    assert failures(found.values()) and all("later" not in f.detail for f in found.values())


def test_04_asa_crypto_map_policy_not_found():
    path = sample("04")
    found = of_log(path)
    assert [f.code for f in failures(found)] == ["proxy-id-mismatch"]
    f = by_code(found)["proxy-id-mismatch"]
    assert sorted(r.line for r in f.log) == lines_matching(path, "crypto map policy not found")


def test_13_invalid_cookie_at_mm_wait_msg4():
    path = sample("13")
    found = by_code(of_log(path))
    f = found["invalid-cookie"]
    assert f.failure and f.detail["stuck_at"] == "MM_WAIT_MSG4" and "MM_WAIT_MSG4" in f.title
    assert covered(f, lines_matching(path, "INVALID_COOKIE")[0])
    assert found["retransmissions"].detail["resent"] == {"MM3": len(lines_matching(path, "RESENDING"))}
    assert [x.code for x in failures(found.values())] == ["invalid-cookie"]


def test_05_ikev2_child_sa_no_proposal_chosen():
    path = sample("05")
    found = by_code(of_log(path))
    f = found["proposal-mismatch"]
    assert f.failure and f.detail["phase"] == 2
    # its IKE_AUTH request (line 85's payload list) asked for transport mode: the mode is a suspect, PFS is not
    assert f.title == "Child SA proposal rejected (NO_PROPOSAL_CHOSEN): transform set or mode mismatch"
    assert covered(f, lines_matching(path, r"NOTIFY\(NO_PROPOSAL_CHOSEN\)")[0])
    assert "USE_TRANSPORT_MODE" in f.explanation  # the initiator's IKE_AUTH asked for transport mode
    assert [x.code for x in failures(found.values())] == ["proposal-mismatch"]


def test_07_certificate_verification_failure():
    path = sample("07")
    found = by_code(of_log(path))
    assert [f.code for f in failures(found.values())] == ["cert-verify-failed"]  # not a PSK, not generic
    f = found["cert-verify-failed"]
    for phrase in ("No suitable trustpoints found", "Verify cert"):
        assert covered(f, lines_matching(path, phrase)[0])


@pytest.mark.parametrize("path", [sample("08"), sample("14"), sample("01"), SEED], ids=lambda p: p.name)
def test_successful_samples_give_no_failure(path):
    assert failures(of_log(path)) == []


def test_01_nat_t_and_invalid_spi():
    path = sample("01")
    found = by_code(of_log(path))
    assert found["nat-detected"].detail["port_floating"] is True
    assert covered(found["nat-detected"], lines_matching(path, "Detected port floating")[0])
    assert covered(found["invalid-spi"], lines_matching(path, "RECVD_PKT_INV_SPI")[0])


def test_11_sessions_down_negotiating():
    path = sample("11")
    f = by_code(of_log(path))["phase1-not-up"]
    peers = re.findall(r"Session status: DOWN-NEGOTIATING\s*\nPeer: (\S+)", path.read_text(encoding="utf-8"))
    assert len(peers) == 2
    assert sorted(f.detail["sessions"]) == sorted(f"{p}: DOWN-NEGOTIATING" for p in peers)


# --------------------------------------------------------------------------- the lab: PSK mismatch

def test_lab_psk_mismatch_from_the_capture_alone():
    """No keys: MM5 sent three times (truth frames), never answered by MM6."""
    t = truth("v6-psk-mismatch")
    found = by_code(of_capture("v6-psk-mismatch"))
    f = found["psk-mismatch"]
    assert f.failure and f.frames == sorted(t["frames"]["MM5"] + t["frames"]["MM5(retransmit)"])
    assert found["retransmissions"].detail["resent"] == {"MM5": len(t["frames"]["MM5(retransmit)"])}


@pytest.mark.parametrize("keys", ["ikev1_decryption_table", "left.log", "right.log"])
def test_lab_psk_mismatch_from_the_capture_and_keys(keys):
    """With keys (README "Keys and decryption": Wireshark's table or either charon log), the verdict."""
    t = truth("v6-psk-mismatch")
    f = by_code(of_capture("v6-psk-mismatch", keys))["psk-mismatch"]
    assert set(t["frames"]["MM5"] + t["frames"]["MM5(retransmit)"] + t["frames"]["INFO"]) <= set(f.frames)
    if keys == "ikev1_decryption_table":  # a cipher key checks no hash: no verdict, what was seen
        assert "verdict" not in f.detail and "likely a PSK mismatch" in f.explanation
    else:
        assert f.detail["verdict"] == PEERS_DIFFER and "different PSK" in f.explanation


@pytest.mark.parametrize("side", ["left", "right"])
def test_lab_psk_mismatch_from_each_log(side):
    case = CAPTURES / "v6-psk-mismatch"
    t = truth("v6-psk-mismatch")
    found = by_code(of_log(case / f"{side}.log"))
    f = found["psk-mismatch"]
    assert [x.code for x in failures(found.values())] == ["psk-mismatch"]
    assert any("could not decrypt payloads" in r.text for r in f.log)
    if side == "left":  # the initiator's MM5 summary line (truth frame table)
        mm5 = next(r for r in t["frame_table"] if r["label"] == "MM5")
        assert covered(f, mm5["left_log_line"])
    assert found["retransmissions"].detail["resent"] == {"MM5": len(t["frames"]["MM5(retransmit)"])}


def test_lab_psk_mismatch_merged():
    case = CAPTURES / "v6-psk-mismatch"
    t = truth("v6-psk-mismatch")
    capture = of_capture("v6-psk-mismatch", "ikev1_decryption_table")
    left, right = of_log(case / "left.log"), of_log(case / "right.log")
    merged = merge(capture, left, right)
    codes = [f.code for f in merged]
    assert len(codes) == len(set(codes)) and codes[0] == "psk-mismatch"
    f = merged[0]
    assert {r.file for r in f.log} == {str(case / "left.log"), str(case / "right.log")}
    assert set(t["frames"]["MM5"]) <= set(f.frames)
    assert "verdict" not in f.detail and "likely a PSK mismatch" in f.explanation  # the table checks no hash
    sources = [by_code(x)["psk-mismatch"].detail["evidence"] for x in (capture, left, right)]
    assert f.detail["evidence"] == {"frames": sum(s["frames"] for s in sources),
                                    "log_lines": sum(s["log_lines"] for s in sources)}
    json.dumps([x.to_dict() for x in merged])


# --------------------------------------------------------------------------- the lab: rekeys, DPD, deletes

def _rekey_dpd_counts():
    t = truth("v4-rekey-dpd")
    rows = t["frame_table"]
    dpd = sum(1 for r in rows if "N(DPD)" in (r.get("left_log_summary") or ""))
    acks = sum(1 for r in rows if "N(DPD_ACK)" in (r.get("left_log_summary") or ""))
    deletes = [r["frame"] for r in rows if "[ HASH D ]" in (r.get("left_log_summary") or "")]
    ike_sas = sum(1 for role in t["frames"] if role.startswith("MM1"))
    return t, dpd, acks, deletes, ike_sas


def test_lab_rekey_dpd_from_the_capture_and_keys():
    t, dpd, acks, deletes, ike_sas = _rekey_dpd_counts()
    found = by_code(of_capture("v4-rekey-dpd", "left.log"))
    assert failures(found.values()) == []
    assert (found["dpd"].detail["r_u_there"], found["dpd"].detail["acks"]) == (dpd, acks)
    assert found["deletes"].frames == deletes
    # one D payload per Delete message ("[ HASH D ]"), counted per protocol
    counted = [re.match(r"(ESP|ISAKMP) SAs deleted: (\d+) Delete payloads? \((\d+) SPIs?\)", r)
               for r in found["deletes"].detail["reasons"] if " SAs deleted: " in r]
    assert all(counted) and sum(int(m[2]) for m in counted) == len(deletes), found["deletes"].detail["reasons"]
    # each Quick Mode after the first re-negotiates the IPsec SAs, on the same IKE SA or on the new one
    assert found["rekey"].detail["quick_modes"] == len(t["quick_mode_frames"]) - 1
    assert found["rekey"].detail["ike_sas"] == ike_sas
    new_ike_sas = [frames[0] for role, frames in t["frames"].items() if role.startswith("MM1(")]
    assert found["rekey"].frames == sorted(t["frames"]["QM1"][1:] + new_ike_sas)


@pytest.mark.parametrize("side", ["left", "right"])
def test_lab_rekey_dpd_from_each_log(side):
    t, dpd, acks, _deletes, ike_sas = _rekey_dpd_counts()
    found = by_code(of_log(CAPTURES / "v4-rekey-dpd" / f"{side}.log"))
    assert failures(found.values()) == []
    d = found["dpd"].detail
    # the initiator sends the R-U-THEREs (truth: dpd_delay on the left only) and gets the ACKs
    assert (d.get("r_u_there_sent"), d.get("r_u_there_received"), d["acks"]) == \
        ((dpd, None, acks) if side == "left" else (None, dpd, acks))
    rekey = found["rekey"].detail
    assert (rekey["quick_modes"], rekey["ike_sas"]) == (len(t["quick_mode_frames"]) - 1, ike_sas)
    if side == "left":  # charon says why it closed each CHILD_SA it rekeyed: they expired
        assert found["deletes"].detail["reasons"] == ["CHILD_SA: expired"]


# --------------------------------------------------------------------------- the lab: clean cases

def test_clean_case_gives_no_failure():
    case = CAPTURES / "v6-aes128-sha1-modp1024"
    for findings in (of_capture(case.name), of_capture(case.name, "left.log"), of_log(case / "left.log"),
                     of_log(case / "right.log")):
        assert failures(findings) == []


def test_nat_d_hashes():
    """The lab's libipsec cases fake the NAT-D hashes (truth.json nat_t_note), the port500 case does not:
    RFC 3947's hashes are computed, and only the faked ones are flagged."""
    assert "fake NAT-D" in truth("v6-aes128-sha1-modp1024")["nat_t_note"]
    faked = by_code(of_capture("v6-aes128-sha1-modp1024"))["nat-detected"]
    t = truth("v6-aes128-sha1-modp1024")
    assert set(t["frames"]["MM3"] + t["frames"]["MM4"]) <= set(faked.frames) and faked.detail["port_floating"]
    assert "nat-detected" not in by_code(of_capture("v6-aes128-sha1-modp1024-port500"))


def test_sa_install_failure_is_not_a_proposal_mismatch():
    """port500: the initiator cannot install the SAs after QM2 (truth: no ESP in the kernel) and sends
    NO_PROPOSAL_CHOSEN; its log says why, and the capture shows the refused QM2 chose what QM1 offered."""
    assert "cannot install the SAs" in truth("v6-aes128-sha1-modp1024-port500")["description"]
    case = CAPTURES / "v6-aes128-sha1-modp1024-port500"
    left = of_log(case / "left.log")
    assert [f.code for f in failures(left)] == ["sa-install-failed"]
    refused = by_code(of_capture(case.name, "left.log"))["proposal-mismatch"]
    assert refused.title.startswith("Quick Mode refused after QM2")
    assert refused.detail["offered"] == refused.detail["chosen"]
    assert [f.code for f in failures(merge(left, of_capture(case.name, "left.log")))] == ["sa-install-failed"]


# --------------------------------------------------------------------------- public captures

def _public(path):
    p = PUBLIC / path
    if not p.is_file():
        pytest.skip(f"{p} is absent (the public captures are beside the repository in CI)")
    d = Dissector(str(p))
    return by_code(findings_from_capture(d.packets(), d.decryptor))


def test_one_way_esp():
    """tcpdump's ESP test capture: eight ESP packets, all one way (the manifest: ×8, 192.1.2.23 sends)."""
    f = _public("tcpdump/02-sunrise-sunset-esp.pcap")["one-way-traffic"]
    assert f.frames == list(range(1, 9)) and f.severity == "warning"


def test_ikev2_nat_detection():
    """A client behind NAT (192.168.0.10): its IKE_SA_INIT request's NAT_DETECTION hashes match what the
    capture shows (frame 1 is no evidence); the response's destination hash does not (frame 2)."""
    f = _public("zeek-spicy-ipsec/traces/ipsec_client.pcap")["nat-detected"]
    assert 2 in f.frames and 1 not in f.frames and f.detail["port_floating"]


def test_a_refusal_the_negotiation_got_past_is_a_warning():
    """zeek-spicy's IKEv1 trace: NO-PROPOSAL-CHOSEN after MM2, then MM2 again and a complete Main Mode
    and Quick Mode (the manifest: Main (7) + Quick (3) + Info (1))."""
    found = _public("zeek-spicy-ipsec/traces/ipsec.cap")
    assert found["proposal-mismatch"].severity == "warning" and found["proposal-mismatch"].detail["phase"] == 1
    assert failures(found.values()) == []


def _pluto(case):
    p = PUBLIC / "openswan-libpluto" / case / "output1.txt"
    if not p.is_file():
        pytest.skip(f"{p} is absent (the public captures are beside the repository in CI)")
    return p, by_code(of_log(p))


def test_openswan_responder_without_an_acceptable_policy():
    """lp178 (the manifest: "lp178 → NO_PROPOSAL_CHOSEN"): a Main Mode responder refuses MM1."""
    path, found = _pluto("lp178-parentN3wrongpolicy")
    f = found["proposal-mismatch"]
    assert f.failure and f.detail["phase"] == 1
    assert covered(f, lines_matching(path, "no acceptable Oakley Transform")[0])
    assert [x.code for x in failures(found.values())] == ["proposal-mismatch"]


def test_openswan_identity_versus_proxy_ids():
    """INVALID_ID_INFORMATION in Main Mode (lp187, a certificate whose identity matches no connection:
    STATE_MAIN_R2) is the peer's identity; in Quick Mode (lp101, STATE_QUICK_R0, no connection for the
    proposed subnets) it is the proxy IDs."""
    path, found = _pluto("lp187-v1certN3")
    assert [x.code for x in failures(found.values())] == ["id-mismatch"]
    assert covered(found["id-mismatch"], lines_matching(path, "no suitable connection for peer")[0])
    path, found = _pluto("lp101-v1rwnatQR1failed")
    assert [x.code for x in failures(found.values())] == ["proxy-id-mismatch"]
    assert covered(found["proxy-id-mismatch"], lines_matching(path, "no connection is known for")[0])


def test_findings_from_log_takes_events_alone():
    """The events of a log, without its records or timeline, give the same failures."""
    result = parse_log(str(sample("13")))
    assert [f.code for f in failures(findings_from_log(result.events))] == ["invalid-cookie"]


# --------------------------------------------------------------------------- alignment

def test_a_packet_the_router_never_logged():
    """v4-rekey-dpd with the initiator's log missing the `received packet` line of frame 17 (the
    responder's first DPD ACK): within the span the log covers, that frame is the one not logged."""
    from correlate.align import align
    from correlate.findings import findings_from_alignment
    from correlate.logparse import parse_log_text

    case = CAPTURES / "v4-rekey-dpd"
    t = truth("v4-rekey-dpd")
    lines = (case / "left.log").read_text().split("\n")
    parsed = next(r["left_log_line"] for r in t["frame_table"] if r["frame"] == 17)
    received = next(n for n in range(parsed - 1, 0, -1) if "received packet:" in lines[n - 1] and "bytes)" in lines[n - 1])
    whole = align(Dissector(str(case / "capture.pcap")).packets(), [parse_log_text("\n".join(lines), "left.log")])
    assert findings_from_alignment(whole) == []
    cut = lines[:received - 1] + lines[received:]
    al = align(Dissector(str(case / "capture.pcap")).packets(), [parse_log_text("\n".join(cut), "left.log")])
    (f,) = findings_from_alignment(al)
    assert (f.code, f.frames, f.detail["logs"]) == ("not-logged", [17], ["left.log"])
    # and a log that ends early is no evidence: its tail is outside the span it covers
    half = align(Dissector(str(case / "capture.pcap")).packets(), [parse_log_text("\n".join(lines[:6000]), "left.log")])
    assert half.unmatched_packets["left.log"] and findings_from_alignment(half) == []


def test_text_lines():
    """The plain lines below a finding's title: explanation, details, evidence per file."""
    case = CAPTURES / "v6-psk-mismatch"
    t = truth("v6-psk-mismatch")
    merged = merge(of_capture("v6-psk-mismatch"), of_log(case / "left.log"), of_log(case / "right.log"))
    f = by_code(merged)["psk-mismatch"]
    lines = f.text_lines(width=80)
    assert all(len(x) <= 80 for x in lines if " " in x.strip())
    frames = next(x for x in lines if x.startswith("frames: "))
    assert frames == "frames: " + ", ".join(map(str, f.frames))
    assert {x.split(":")[0] for x in lines if x.startswith(str(case))} == {str(case / "left.log"),
                                                                           str(case / "right.log")}
    resent = by_code(merged)["retransmissions"].text_lines()
    # the same two retransmissions, seen by the capture and both logs: merged, not added up
    assert f"resent: MM5: {len(t['frames']['MM5(retransmit)'])}" in resent


def test_pfs_is_named_only_from_the_refused_exchange():
    """The evidence for PFS is the refused exchange's: sample 09's refusal (an Informational) is about the
    Quick Mode of M-ID -889293300, whose lines carry no KE payload; the lab's PFS case (group 14 in Quick
    Mode) carries KE in its QM1 and QM2, which would make a refusal of it a PFS suspect."""
    from correlate.findings import _pfs_evidence, _refused_exchange

    path = sample("09")
    tl = analyse(parse_log(str(path))).timeline
    refusal = next(s for s in tl.steps if any("PROPOSAL_NOT_CHOSEN" in e.record.text for e in s.events))
    refused = _refused_exchange(tl, refusal)
    assert [s.role for s in refused] == ["QM1", "INFO"] and refused[0].message_id == -889293300 & 0xFFFFFFFF
    assert not _pfs_evidence(refused)
    tl = analyse(parse_log(str(CAPTURES / "v6-esp-aes128-sha512-pfs" / "left.log"))).timeline
    qm2 = next(s for s in tl.steps if s.role == "QM2")
    assert [s.role for s in _refused_exchange(tl, qm2)] == ["QM1", "QM2"]
    assert _pfs_evidence(_refused_exchange(tl, qm2))


_CHARON = re.compile(r"^(\S+ +\d+ (\d+):(\d+):([\d.]+)) (\d+)\[")


def _interleaved(lines, rnd):
    """charon's lines of one millisecond with its threads interleaved otherwise (each thread's own order
    kept), as its log can come out."""
    out, i = [], 0
    while i < len(lines):
        m = _CHARON.match(lines[i])
        j = i + 1
        while m and j < len(lines) and (n := _CHARON.match(lines[j])) and n[1] == m[1]:
            j += 1
        by_thread = {}
        for line in lines[i:j]:
            by_thread.setdefault(_CHARON.match(line)[5] if m else "", []).append(line)
        queues = list(by_thread.values())
        while queues:
            q = rnd.choice(queues)
            out.append(q.pop(0))
            if not q:
                queues.remove(q)
        i = j
    return out


def _written_late(lines, rnd, share=0.3, span=0.05):
    """Some lines written after lines of other threads stamped up to ``span`` seconds later (a thread that
    waited for the log's lock), never past a line of their own thread."""
    def stamp(line):
        m = _CHARON.match(line)
        return (int(m[2]) * 3600 + int(m[3]) * 60 + float(m[4]), m[5]) if m else (None, None)
    lines = list(lines)
    i = 0
    while i < len(lines):
        t, thread = stamp(lines[i])
        if t is not None and rnd.random() < share:
            j, limit = i + 1, rnd.randint(1, 40)
            while j < len(lines) and j - i <= limit:
                t2, thread2 = stamp(lines[j])
                if t2 is None or thread2 == thread or t2 > t + span:
                    break
                j += 1
            if j - 1 > i:
                lines.insert(j - 1, lines.pop(i))
        i += 1
    return lines


@pytest.mark.parametrize("case,side", [("v6-psk-mismatch", "left"), ("v6-psk-mismatch", "right"),
                                       ("v4-rekey-dpd", "left"), ("v4-rekey-dpd", "right")])
def test_charon_thread_order_does_not_change_the_findings(case, side, tmp_path):
    """A charon log as its threads can write it (within a millisecond in any thread order; a line written
    after lines stamped up to 50 ms later) gives the findings of the file as written, retransmission
    counts included: the log is read in the order of its stamps."""
    import random

    path = CAPTURES / case / f"{side}.log"
    lines = path.read_text().split("\n")

    def summary(found):
        return sorted((f.code, f.title, json.dumps(f.detail, sort_keys=True)) for f in found)

    want = summary(of_log(path))
    if case == "v6-psk-mismatch":
        assert ("retransmissions" in {f.code for f in of_log(path)})
    for seed in range(3):
        for variant in (_interleaved, _written_late):
            copy = tmp_path / f"{variant.__name__}-{seed}.log"
            copy.write_text("\n".join(variant(lines, random.Random(seed))))
            assert summary(of_log(copy)) == want, (variant.__name__, seed)


# --------------------------------------------------------------------------- wording (testers' findings)

def _merged(case, keys=None):
    d = CAPTURES / case
    return by_code(merge(of_capture(case, keys), of_log(d / "left.log"), of_log(d / "right.log")))


def test_psk_mismatch_says_who_could_not_decrypt_and_says_it_once():
    """v6-psk-mismatch, capture and both logs: the responder (truth: right) could not decrypt MM5, the
    initiator could not decrypt the Informational that answered it; the MM5 sentence comes once, and the
    capture's hedges (another cause, give the keys) go once the logs settle it."""
    t = truth("v6-psk-mismatch")
    case = CAPTURES / "v6-psk-mismatch"
    f = _merged("v6-psk-mismatch")["psk-mismatch"]
    assert f.explanation.count("Here MM5 was sent again and no MM6 came back") == 1
    assert "this side's keys" not in f.explanation and "Give the keys" not in f.explanation
    first_failure = {side: lines_matching(case / f"{side}.log", "decryption failed")[0]
                     for side in ("left", "right")}
    responder, initiator = t["responder"]["side"], t["initiator"]["side"]
    mm5_again = len(t["frames"]["MM5(retransmit)"]) + 1
    assert (f"Here the responder could not decrypt the MM5 it received with its keys ({mm5_again} times) "
            f"({case / (responder + '.log')}:{first_failure[responder]}: decryption failed).") in f.explanation
    assert (f"Here the initiator could not decrypt the Informational it received after MM5 with its keys "
            f"({len(t['frames']['INFO'])} times) ({case / (initiator + '.log')}:{first_failure[initiator]}: "
            f"decryption failed).") in f.explanation


def test_psk_mismatch_from_the_capture_alone_says_how_to_give_the_keys():
    f = by_code(of_capture("v6-psk-mismatch"))["psk-mismatch"]
    assert "`--keys LOG` with a strongSwan charon log of either peer at loglevel 4" in f.explanation
    assert f.explanation.count("Here MM5 was sent again and no MM6 came back.") == 1


@pytest.mark.parametrize("case", ["v4-aes128-sha1-modp1024", "v6-ikev2-psk"])
def test_nat_d_mismatch_on_both_sides_is_not_named_a_nat(case):
    """The lab has no NAT (truth: both peers on one link) but strongSwan's kernel-libipsec forces UDP
    encapsulation by faking NAT-D: both peers' hashes fail, which one NAT cannot do."""
    t = truth(case)
    assert t["configured"]["kernel_backend"] == "libipsec"
    peers = {t["initiator"]["addr"], t["responder"]["addr"]}
    for found in (by_code(of_capture(case)), _merged(case)):
        f = found["nat-detected"]
        assert f.title.startswith("NAT-T in use: NAT-D mismatch on both sides")
        assert set(f.detail["nat_d_mismatch"]) == peers and "UDP encapsulation" in f.explanation
        assert "found an address or port changed" not in f.explanation
    rfc = "RFC 7296 §2.23" if t["ike_version"] == 2 else "RFC 3947"
    other = "RFC 3947" if t["ike_version"] == 2 else "RFC 7296"
    text = " ".join(by_code(of_capture(case))["nat-detected"].text_lines())
    assert rfc in text and other not in text


def test_nat_from_one_log_and_a_real_nat_stay_a_nat():
    """One charon log says only that its peer is behind NAT; sample 01's IOS router is outside a NAT that
    its peer is behind (`His hash no match - this node outside NAT`): both are one-sided, named NAT."""
    for path in (CAPTURES / "v4-natt" / "left.log", sample("01")):
        f = by_code(of_log(path))["nat-detected"]
        assert f.title == CATALOG["nat-detected"].title
        assert len(f.detail.get("nat_d_mismatch") or [None]) == 1


def test_dpd_counts_once():
    """The capture counts the R-U-THEREs, each log the ones it sent or received: the same messages, shown
    once each way (truth: the left side sends them)."""
    _t, dpd, acks, _deletes, _ike_sas = _rekey_dpd_counts()
    f = _merged("v4-rekey-dpd", "left.log")["dpd"]
    assert (f.detail["r_u_there"], f.detail["r_u_there_sent"], f.detail["r_u_there_received"]) == (dpd, dpd, dpd)
    lines = f.text_lines()
    assert f"R-U-THERE sent: {dpd}" in lines and f"R-U-THERE-ACK: {acks}" in lines
    assert not [x for x in lines if x.startswith("R-U-THERE: ")]


def test_05_ikev2_proposal_mismatch_in_ikev2_terms():
    f = by_code(of_log(sample("05")))["proposal-mismatch"]
    assert "`crypto ikev2 proposal`" in f.explanation and "CREATE_CHILD_SA" in f.explanation
    assert "isakmp policy" not in f.explanation and "Quick Mode" not in f.explanation
    assert "Phase 1 proposal mismatch (no acceptable ISAKMP policy)" != f.title


@pytest.mark.parametrize("case", ["v4-aes128-sha1-modp1024", "v6-aes256-sha256-modp2048-pfs14", "v6-aggressive"])
def test_proposals_received_and_configured_alike_are_no_refusal(case, tmp_path):
    """A charon log whose ``selected proposal`` lines are missing (threads written out of order put them in
    another message's lines; a filtered or cut log lacks them) still shows a received proposal that is a
    configured one: charon selected it, so there is no proposal mismatch."""
    for side in ("left", "right"):
        lines = (CAPTURES / case / f"{side}.log").read_text().splitlines(keepends=True)
        kept = [line for line in lines if "selected proposal:" not in line]
        assert len(kept) < len(lines)
        log = tmp_path / f"{side}.log"
        log.write_text("".join(kept))
        assert "proposal-mismatch" not in by_code(of_log(log)), side


def test_a_packet_the_log_proves_it_received_is_not_reported_as_never_logged():
    """The seed: the initiator's excerpt has no line for QM1 (frame 7) nor QM2 (frame 8), the responder's
    none for QM2; but the initiator's QM3 and ``IKE_QM_I_QM1 -> IKE_QM_PHASE2_COMPLETE`` prove QM2 reached
    it, and the responder's ``IKE_QM_R_QM2`` that it sent QM2: no packet was dropped on the path."""
    import datetime as dt

    from correlate.align import align
    from correlate.findings import _proven_by_log, findings_from_alignment

    seed = CAPTURES / "seed-ios-ipv6"
    logs = [parse_log(str(seed / n), year=2012, tz=dt.timezone.utc) for n in ("initiator.log", "responder.log")]
    pkts = list(Dissector(str(seed / "capture.pcap")).packets())
    roles = {p.frame: p.isakmp.role for p in pkts if p.isakmp is not None}
    al = align(pkts, logs)
    init, resp = (log.name for log in logs)
    assert (roles[7], roles[8]) == ("QM1", "QM2")
    assert {7, 8} <= set(al.unmatched_packets[init]) and 8 in al.unmatched_packets[resp]
    proven = _proven_by_log(al, init, [7, 8])
    assert {f: (s.role, s.direction, s.implied) for f, s in proven.items()} == {
        7: ("QM1", "out", True), 8: ("QM2", "in", True)}
    assert {f: s.role for f, s in _proven_by_log(al, resp, [8]).items()} == {8: "QM2"}
    assert "not-logged" not in by_code(findings_from_alignment(al))


@pytest.mark.parametrize("case, keys, verdict", [
    ("v6-aggressive", None, "HASH_R mismatch: wrong pre-shared key"),
    ("seed-ios-ipv6", "keys.toml", "HASH_I mismatch: wrong pre-shared key or DH secret"),
])
def test_a_wrong_psk_given_is_called_the_wrong_psk(case, keys, verdict):
    """Peers that went on past authentication agree with each other: a PSK given that does not verify is
    the user's mistake, and the finding says it is the PSK (the seed's keys file gives the DH secret)."""
    from dissect.keysources import KeyEntry

    given = (load_key_file(str(CAPTURES / case / keys)) if keys else []) + [
        KeyEntry(source="command line", psk=b"not-the-psk", explicit=True)]
    d = Dissector(str(CAPTURES / case / "capture.pcap"), keys=given)
    f = by_code(findings_from_capture(d.packets(), d.decryptor))["keys-given-wrong"]
    assert f.title == "The pre-shared key given is wrong (it does not give the peers' hashes)"
    assert f.detail["verdict"] == verdict and "PSK given to ikescope is wrong" in f.explanation


def test_cited_lines_of_a_long_log_show_every_kind_of_evidence():
    """A log that repeats its sessions (v4-rekey-dpd's left log sixteen times over): the 20
    lines a finding keeps still show each distinct line the single log cites, not only the first lines."""
    from correlate.logparse import parse_log_text
    text = (CAPTURES / "v4-rekey-dpd" / "left.log").read_text()
    once = by_code(of_log(CAPTURES / "v4-rekey-dpd" / "left.log"))["nat-detected"]
    log = parse_log_text(text * 16, "left.log", 2026)
    many = by_code(findings_from_log(log.events, log.records))["nat-detected"]
    assert many.detail["evidence"]["log_lines"] > 20 == len(many.log)
    distinct = lambda f: {" ".join(r.text.split()) for r in f.log}  # noqa: E731
    assert distinct(many) == distinct(once)
