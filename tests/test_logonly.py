"""Log-only analysis (correlate.logonly, issue 6 §8): a log's events cut into the IKE messages they send
or process, each labelled with its role.

Truth comes from three places: the strongSwan lab cases' truth.json, whose frame table names, for every
frame, its role and the line of each charon log that generated or parsed it; the seed document (an
IOS initiator's and a responder's debug for one IPv6 Main Mode + Quick Mode, message ID 1371333358);
and the public debug samples in tests/data/debug-samples/, whose README says what each one shows.
"""
from __future__ import annotations

import filecmp
import random
import json
import re

import pytest

from conftest import CAPTURES, REPO, SHARED
from correlate.logonly import LogAnalysis, analyse, timeline
from correlate.logparse import parse_log

DATA = REPO / "tests" / "data"
SAMPLES = DATA / "debug-samples"
SEED = DATA / "seed" / "000_e6e02144db6ec5bf.txt"
ALL_SAMPLES = sorted(SAMPLES.glob("*.txt")) + [SEED]
LAB = [p for p in sorted(CAPTURES.iterdir()) if (p / "truth.json").is_file() and (p / "left.log").is_file()]


def tl_of(path):
    return timeline(parse_log(str(path)).events)


def sa_with(tl, **attrs):
    (sa,) = [sa for sa in tl.sas if all(getattr(sa, k) == v for k, v in attrs.items())]
    return sa


def steps_of(tl, sa):
    return [tl.steps[i] for i in sa.steps]


def line_of(path, pattern, nth=0):
    """The 1-based number of the nth line of a file that matches a pattern."""
    hits = [n for n, line in enumerate(path.read_text(encoding="utf-8").split("\n"), 1) if re.search(pattern, line)]
    return hits[nth]


def test_the_copies_equal_their_originals():
    if not (SHARED / "debug-samples").is_dir():
        pytest.skip(f"{SHARED} is not beside the repository: nothing to compare the copies with")
    for p in (SHARED / "debug-samples").iterdir():
        assert filecmp.cmp(p, SAMPLES / p.name, shallow=False), p.name
    assert filecmp.cmp(SHARED / "seed" / SEED.name, SEED, shallow=False)


@pytest.mark.parametrize("path", ALL_SAMPLES + [LAB[0] / "left.log"], ids=lambda p: p.name)
def test_every_event_is_in_exactly_one_step(path):
    """Nothing dropped silently, nothing counted twice."""
    events = parse_log(str(path)).events
    tl = timeline(events)
    placed = [id(e) for s in tl.steps for e in s.events]
    assert sorted(placed) == sorted(id(e) for e in events)
    assert all(s.events == [] for s in tl.steps if s.implied)
    json.dumps([s.to_dict() for s in tl.steps] + [sa.to_dict() for sa in tl.sas])


@pytest.mark.parametrize("case", LAB, ids=lambda p: p.name)
@pytest.mark.parametrize("side", ["left", "right"])
def test_lab_roles_match_the_truth_frame_table(case, side):
    """Every frame's generating/parsed line in each charon log lies in a step of the frame's role."""
    truth = json.loads((case / "truth.json").read_text())
    tl = tl_of(case / f"{side}.log")
    step_at = {line: s for s in tl.steps for _f, first, last in s.lines for line in range(first, last + 1)}
    checked = 0
    for row in truth["frame_table"]:
        line, label = row.get(f"{side}_log_line"), row.get("label")
        if not line or not label:
            continue
        want = re.sub(r"[#(].*", "", label)
        got = step_at[line].role
        assert (got.split(" ")[0] if got.startswith(("IKE_", "INFORMATIONAL", "CREATE")) else got) == want, \
            (row["frame"], line, label, got)
        checked += 1
    assert checked
    role = "initiator" if truth["initiator"]["side"] == side else "responder"
    assert {sa.role for sa in tl.sas} == {role}


def test_lab_psk_mismatch_retransmissions():
    """v6-psk-mismatch: MM5 sent three times (truth frames) and answered by an INFORMATIONAL each time."""
    case = CAPTURES / "v6-psk-mismatch"
    truth = json.loads((case / "truth.json").read_text())
    resent = len(truth["frames"]["MM5(retransmit)"])
    for side, direction in (("left", "out"), ("right", "in")):
        tl = tl_of(case / f"{side}.log")
        (sa,) = tl.sas
        mm5 = [s for s in steps_of(tl, sa) if s.role == "MM5"]
        assert [s.retransmission for s in mm5] == [False] + [True] * resent
        assert {s.direction for s in mm5} == {direction}
        assert tl.roles(sa.index) == ["MM1", "MM2", "MM3", "MM4", "MM5"] + ["INFO"] * len(truth["frames"]["INFO"])


def test_lab_reauthentication_is_a_second_ike_sa():
    """v4-rekey-dpd: the second Main Mode (new cookies) is another IKE SA, though IKE_SA 1 logs its MM1."""
    case = CAPTURES / "v4-rekey-dpd"
    truth = json.loads((case / "truth.json").read_text())
    for side in ("left", "right"):
        tl = tl_of(case / f"{side}.log")
        assert len(tl.sas) == 2
        quick_modes = {s.message_id for s in tl.steps if s.role == "QM1"}
        assert quick_modes == {int(m, 16) for m in truth["quick_mode_frames"]}
        assert [tl.roles(sa.index)[:6] for sa in tl.sas] == [["MM1", "MM2", "MM3", "MM4", "MM5", "MM6"]] * 2


def test_seed_initiator_and_responder():
    """The seed's blocks: the responder's QM1 and QM3, the initiator's MM4, MM5, MM6 and its QM2; the
    rest of MM1..MM6 and QM1..QM3 is implied by the states those blocks leave (IKE_I_MM3 -> IKE_I_MM4
    proves MM1-MM3; IKE_QM_I_QM1 -> IKE_QM_PHASE2_COMPLETE proves QM1 and the QM3 IOS sends at once)."""
    tl = tl_of(SEED)
    init = sa_with(tl, peer="2001:db8::3")
    resp = sa_with(tl, peer="2001:db8::2")
    assert (init.role, resp.role) == ("initiator", "responder")
    assert tl.roles(init.index) == ["MM1", "MM2", "MM3", "MM4", "MM5", "MM6", "QM1", "QM2", "QM3"]
    assert tl.roles(resp.index) == ["QM1", "QM2", "QM3"]
    logged = {s.role: s for s in steps_of(tl, init) if not s.implied and s.duplicate_of is None}
    # the initiator's Quick Mode block: "Sending an IKE IPv6 Packet." (QM3 going out, when the parser reads
    # it as a packet line), then IKE_QM_I_QM1 -> IKE_QM_PHASE2_COMPLETE on QM2 from the peer
    qm_block = line_of(SEED, r'reason "No Error"') - 1
    (qm,) = [s for s in logged.values() if any(a <= qm_block <= b for _f, a, b in s.lines)]
    assert qm.role == ("QM3" if qm.logged else "QM2") and qm.direction == ("out" if qm.logged else "in")
    assert set(logged) == {"MM4", "MM5", "MM6", qm.role}
    assert {s.role for s in steps_of(tl, resp) if not s.implied} == {"QM1", "QM3"}
    # what the seed's lines say, and where they are
    assert (logged["MM4"].direction, logged["MM5"].direction, logged["MM6"].direction) == ("in", "out", "in")
    mm5_packet = line_of(SEED, r"sending packet to 2001: DB8::3 my_port")
    assert any(first == mm5_packet for _f, first, _l in logged["MM5"].lines)
    mm4_packet = line_of(SEED, r"received packet from 2001: DB8::3 dport 500$")
    assert logged["MM4"].first_line == mm4_packet
    mid = int(re.search(r"set new node (\d+)", SEED.read_text(encoding="utf-8"))[1])
    assert {s.message_id for s in tl.steps if s.role.startswith("QM")} == {mid}
    assert {s.message_id for s in tl.steps if s.role.startswith("MM")} == {0}
    # the document pastes each responder block several times: one message, its copies marked
    pastes = len(re.findall(r"Old State = IKE_QM_READY New State", SEED.read_text(encoding="utf-8")))
    qm1 = [s for s in steps_of(tl, resp) if s.role == "QM1"]
    assert len(qm1) == pastes and [s.duplicate_of for s in qm1[1:]] == [tl.steps.index(qm1[0])] * (pastes - 1)
    assert not any(s.retransmission for s in tl.steps)


def test_ios_responder_with_nat_t():
    """01: an IOS-XE responder, MM1..MM6 and QM1..QM3 all logged, the peer's port floating to 4501."""
    tl = tl_of(SAMPLES / "01-iosxe-natt-mm-qm-responder-console-interleaved.txt")
    (sa,) = tl.sas
    assert (sa.role, sa.peer, sa.conn_ids) == ("responder", "198.51.100.3", [1003])
    assert tl.roles(0) == ["MM1", "MM2", "MM3", "MM4", "MM5", "MM6", "QM1", "QM2", "QM3"]
    steps = steps_of(tl, sa)
    assert not any(s.implied for s in steps)
    assert [s.direction for s in steps] == ["in", "out"] * 3 + ["in", "out", "in"]
    mm5 = next(s for s in steps if s.role == "MM5")
    assert next(e for e in mm5.events if e.kind == "packet").peer_port == 4501


def test_ios_initiator_after_a_failed_start():
    """03: no PSK at first (no packet), then a complete initiator exchange three minutes later; the failed
    start is a step of its own (no message, no IKE SA), not part of the MM1 that follows."""
    path = SAMPLES / "03-iosxe-mm-qm-initiator-nopsk-then-success-shows.txt"
    tl = tl_of(path)
    sa = sa_with(tl, role="initiator")
    assert tl.roles(sa.index) == ["MM1", "MM2", "MM3", "MM4", "MM5", "MM6", "QM1", "QM2", "QM3"]
    no_psk = line_of(path, r"No pre-shared key with")
    (failed,) = [s for s in tl.steps if any(a <= no_psk <= b for _f, a, b in s.lines)]
    assert (failed.role, failed.sa, failed.logged, failed.note) == ("", None, False, "an attempt that sent nothing")
    # each attempt begins with IOS-XE's "SA request profile is (NULL)"
    assert failed.first_line == line_of(path, r"SA request profile is", 0)
    mm1 = next(s for s in steps_of(tl, sa) if s.role == "MM1")
    assert mm1.first_line == line_of(path, r"SA request profile is", 1)
    assert line_of(path, r"sending packet to 203.0.113.1 .* MM_NO_STATE") in [a for _f, a, _b in mm1.lines]
    assert all(first > no_psk for _f, first, _l in mm1.lines)
    assert [s.role for s in tl.steps if s.family == "show"] == ["show crypto isakmp sa"]


def test_ios_log_that_starts_mid_exchange():
    """09: the log holds MM1's preparation but no packet line for MM1 or MM2, so both are steps without
    one (MM1's of the lines that prepared it); the Quick Mode the peer refuses and the second Main Mode
    after the delete are told apart."""
    tl = tl_of(SAMPLES / "09-ios15-mm-ok-qm-proposal-not-chosen-pfs-console-dots.txt")
    first, second = tl.sas
    steps = steps_of(tl, first)
    assert [s.role for s in steps[:7]] == ["MM1", "MM2", "MM3", "MM4", "MM5", "MM6", "INFO"]
    assert [(s.implied, s.logged) for s in steps[:3]] == [(False, False), (False, False), (False, True)]
    assert (steps[0].direction, steps[1].direction) == ("out", "in")
    qm1 = next(s for s in steps if s.role == "QM1")
    assert qm1.message_id == -889293300 & 0xFFFFFFFF  # "M-ID of -889293300": IOS 12.x/15.x prints it signed
    # the responder-lifetime notify, QM1, the peer's PROPOSAL_NOT_CHOSEN notify, its delete, our delete
    assert tl.roles(first.index)[6:] == ["INFO", "QM1", "INFO", "INFO", "INFO"]
    assert tl.roles(second.index) == ["MM1", "MM2"]


def test_ios_quick_mode_responder():
    tl = tl_of(SAMPLES / "08-iosxe-qm-responder-isakmp-plus-ipsec-multiline.txt")
    (sa,) = tl.sas
    assert (sa.role, tl.roles(0)) == ("responder", ["QM1", "QM2", "QM3"])


def test_ikev2_initiator():
    """05: IKE_SA_INIT and IKE_AUTH, then two INFORMATIONAL exchanges (message IDs 2 and 3)."""
    tl = tl_of(SAMPLES / "05-iosxe16-ikev2-ipv6-initiator-auth-no-proposal-chosen.txt")
    (sa,) = tl.sas
    assert (sa.role, sa.version, sa.peer) == ("initiator", 2, "2001:db8::1")
    pairs = [f"{x} {y}" for x in ("IKE_SA_INIT", "IKE_AUTH", "INFORMATIONAL", "INFORMATIONAL")
             for y in ("request", "response")]
    assert tl.roles(0) == pairs
    assert [s.message_id for s in steps_of(tl, sa)] == [0, 0, 1, 1, 2, 2, 3, 3]


def test_asa_initiator_stuck_at_mm_wait_msg4():
    """13: MM1, MM2, MM3, MM3 again (RESENDING), then the peer's INVALID_COOKIE notify (twice)."""
    tl = tl_of(SAMPLES / "13-asa804-syslog-year-mm-wait-msg4-invalid-cookie.txt")
    (sa,) = tl.sas
    steps = steps_of(tl, sa)
    assert sa.role == "initiator"
    assert [(s.role, s.direction, s.retransmission) for s in steps] == [
        ("MM1", "out", False), ("MM2", "in", False), ("MM3", "out", False), ("MM3", "out", True),
        ("INFO", "in", False), ("INFO", "in", False)]


def test_libreswan_whack_and_pasted_tcpdump():
    """14: whack's status lines tell the initiator's MM1, MM3, MM5 and QM1; "Peer ID" and "ISAKMP SA
    established" are the processing of MM6 (which completes phase 1), "IPsec SA established" of QM2 (on
    which QM3 goes out at once); MM2, MM4 and QM3 are implied.  The tcpdump text pasted after them is the
    same session on the wire, MM1..QM3: the two IKE SAs name each other, each tcpdump step the line of its
    message in whack's output."""
    path = SAMPLES / "14-libreswan-ikev1-mm-qm-whack-plus-tcpdump-same-session.txt"
    tl = tl_of(path)
    whack, wire = tl.sas
    full = ["MM1", "MM2", "MM3", "MM4", "MM5", "MM6", "QM1", "QM2", "QM3"]
    assert tl.roles(whack.index) == full
    assert [s.role for s in steps_of(tl, whack) if s.implied] == ["MM2", "MM4", "QM3"]
    isakmp, ipsec = line_of(path, r"ISAKMP SA established"), line_of(path, r"IPsec SA established")
    mm6, qm2 = step_at(tl, isakmp), step_at(tl, ipsec)
    assert (mm6.role, mm6.direction, mm6.logged, lines_of(mm6)) == ("MM6", "in", False, [24, 25])
    assert (qm2.role, qm2.direction, qm2.logged, lines_of(qm2)) == ("QM2", "in", False, [28])
    assert lines_of(step_at(tl, line_of(path, r"sent Main Mode I3"))) == [23]
    assert lines_of(step_at(tl, line_of(path, r"sent Quick Mode request"))) == [26, 27]
    assert tl.roles(wire.index) == full
    assert (whack.same_as, wire.same_as) == (wire.index, whack.index)
    notes = [s.note for s in steps_of(tl, wire)]
    assert notes[0] == "tcpdump's decode of the message at line 20: the same session"
    assert notes[5] == f"tcpdump's decode of the message at line {24}: the same session"  # MM6
    assert notes[1] == "tcpdump's decode of a message the log implies: the same session"  # MM2
    assert [s.note for s in steps_of(tl, whack)] == [""] * 9


def test_a_tcpdump_decode_is_joined_only_to_the_session_it_fits():
    """14 cut after the phase 1 lines and before Quick Mode is still the same session; with its whack
    output pasted twice (two IKE SAs that fit), the decode is joined to neither."""
    path = SAMPLES / "14-libreswan-ikev1-mm-qm-whack-plus-tcpdump-same-session.txt"
    events = parse_log(str(path)).events
    before_qm = [e for e in events if not 26 <= e.record.line <= 28]
    tl = timeline(before_qm)
    whack, wire = tl.sas
    assert tl.roles(whack.index) == ["MM1", "MM2", "MM3", "MM4", "MM5", "MM6"]
    assert whack.same_as == wire.index
    whack_lines = [e for e in events if e.record.line <= 28]
    tl = timeline(whack_lines + events)
    assert len(tl.sas) == 3 and {sa.same_as for sa in tl.sas} == {None}


def test_asa_quick_modes_refused_each_its_own_message():
    """04: four Quick Modes from 192.0.2.2 refused ("crypto map policy not found"), each of its own
    message ID, its own step (QM1 received, refused) and, since the ASA tears the session down each
    time, its own IKE SA; no rekey is reported."""
    path = SAMPLES / "04-asa-ikev1-syslog-qm-crypto-map-policy-not-found.txt"
    result = analyse(parse_log(str(path)))
    tl = result.timeline
    assert [(s.role, s.direction, s.message_id, lines_of(s)) for s in tl.steps] == [
        ("QM1", "in", 0xFC16EEC2, [1, 2, 3]), ("QM1", "in", 0x03012DBD, [4, 5, 6]),
        ("QM1", "in", 0x77A7A125, [7, 8, 9]), ("QM1", "in", 0xA3D4A473, [10, 11, 12])]
    assert {s.note for s in tl.steps} == {"refused: crypto map policy not found"}
    assert [sa.steps for sa in tl.sas] == [[0], [1], [2], [3]]
    assert {sa.peer for sa in tl.sas} == {"192.0.2.2"}
    assert [f.code for f in result.findings] == ["proxy-id-mismatch"]


@pytest.mark.parametrize("path", ALL_SAMPLES, ids=lambda p: p.name)
def test_analyse_a_parsed_log(path):
    result = analyse(parse_log(str(path)))
    assert isinstance(result, LogAnalysis)
    json.dumps([f.to_dict() for f in result.findings])


@pytest.mark.parametrize("path", ALL_SAMPLES + [CAPTURES / "v6-psk-mismatch" / "left.log"], ids=lambda p: p.name)
def test_events_out_of_order_or_cut_short(path):
    """A log cut anywhere, lines dropped, or lines in an order no daemon writes: still every event in one
    step, and findings made (seeded shuffles, so the test is the same every run)."""
    from correlate.findings import findings_from_log

    events = parse_log(str(path)).events
    rnd = random.Random(path.name)
    for _ in range(10):
        shuffled = rnd.sample(events, len(events))
        dropped = [e for e in events if rnd.random() < 0.7]
        cut = events[rnd.randrange(len(events)):]
        for variant in (shuffled, dropped, cut):
            tl = timeline(variant)
            assert sorted(id(e) for s in tl.steps for e in s.events) == sorted(id(e) for e in variant)
            findings_from_log(variant, (), tl)


def step_at(tl, line):
    """The step whose records hold a line."""
    (step,) = [s for s in tl.steps if any(a <= line <= b for _f, a, b in s.lines)]
    return step


def test_building_lines_belong_to_the_message_they_build():
    """After a received message's processing, IOS, ASA and strongSwan log the construction of the next
    message they send, before its packet line: those lines are that message's, not the received one's."""
    # the seed's initiator: "Send initial contact", "SA is doing pre-shared key authentication" and its own ID
    # payload come after MM4's processing and before MM5's packet line
    log = CAPTURES / "seed-ios-ipv6" / "initiator.log"
    tl = tl_of(log)
    mm5 = step_at(tl, line_of(log, r"sending packet to 2001: DB8::3 my_port"))
    for pattern in (r"Send initial contact", r"SA is doing pre-shared key", r"ID payload\s*$"):
        assert step_at(tl, line_of(log, pattern)) is mm5, pattern
    assert (mm5.role, mm5.direction) == ("MM5", "out")
    mm4 = step_at(tl, line_of(log, r"Old State = IKE_I_MM3"))
    assert mm4.role == "MM4" and mm4.lines[-1][1] == line_of(log, r"Old State = IKE_I_MM4 New State =")
    # 13, an ASA initiator: the payloads it constructs are MM1's and MM3's, not MM2's
    path = SAMPLES / "13-asa804-syslog-year-mm-wait-msg4-invalid-cookie.txt"
    tl = tl_of(path)
    assert step_at(tl, line_of(path, r"constructing ISAKMP SA payload")).role == "MM1"
    assert step_at(tl, line_of(path, r"IKE Initiator: New Phase 1")).role == "MM1"
    mm3 = step_at(tl, line_of(path, r"constructing ke payload"))
    assert (mm3.role, mm3.direction) == ("MM3", "out")
    assert step_at(tl, line_of(path, r"Send Altiga")) is mm3
    assert step_at(tl, line_of(path, r"Received Fragmentation VID")).role == "MM2"
    # 01, an IOS responder: its own ID payload (after "SA is doing") is MM6's, the peer's (processed) MM5's
    path = SAMPLES / "01-iosxe-natt-mm-qm-responder-console-interleaved.txt"
    tl = tl_of(path)
    own_id = line_of(path, r"pre-shared key authentication using id type") + 1
    assert step_at(tl, own_id).role == "MM6" and step_at(tl, own_id).direction == "out"
    assert step_at(tl, line_of(path, r"processing ID payload") + 1).role == "MM5"
    # 09: "beginning Quick Mode exchange, M-ID of X" is the Quick Mode's, not the Informational's before it
    path = SAMPLES / "09-ios15-mm-ok-qm-proposal-not-chosen-pfs-console-dots.txt"
    tl = tl_of(path)
    line = line_of(path, r"beginning Quick Mode exchange, M-ID of")
    mid = int(re.search(r"M-ID of (-?\d+)", path.read_text(encoding="utf-8"))[1]) & 0xFFFFFFFF
    step = step_at(tl, line)
    assert (step.role, step.direction, step.message_id) == ("QM1", "out", mid)
    assert step_at(tl, line_of(path, r"processing NOTIFY RESPONDER_LIFETIME")).role == "INFO"
    # strongSwan: the vendor IDs sent and "initiating Main Mode" are MM1's, not a step without a role
    log = CAPTURES / "v6-psk-mismatch" / "left.log"
    tl = tl_of(log)
    for pattern in (r"sending XAuth vendor ID", r"initiating Main Mode IKE_SA"):
        assert step_at(tl, line_of(log, pattern)).role == "MM1", pattern
    assert tl.steps[0].role == "MM1"


def test_ikev2_steps_are_explained_as_ikev2():
    """05: the IKEv2 steps carry IKEv2 roles, and the explanation names them, not Main Mode messages."""
    from correlate.explain import explain_events

    path = SAMPLES / "05-iosxe16-ikev2-ipv6-initiator-auth-no-proposal-chosen.txt"
    tl = tl_of(path)
    (sa,) = tl.sas
    for step in steps_of(tl, sa):
        assert step.role.split(" ")[0] in ("IKE_SA_INIT", "IKE_AUTH", "INFORMATIONAL"), step.role
        headline = explain_events(step.events, step.role).headline
        assert headline.startswith(step.role + ": ") and "MM" not in headline, headline
    init = step_at(tl, line_of(path, r"IKE_SA_INIT Exchange REQUEST"))
    assert (init.role, init.direction) == ("IKE_SA_INIT request", "out")


def test_pasted_tcpdump_lines_have_no_direction_the_log_does_not_give():
    """14: the tcpdump lines pasted under whack output name both ends; the log does not say which one is
    its own, so no step is sent or received, the R packets (from 198.51.100.23) included."""
    path = SAMPLES / "14-libreswan-ikev1-mm-qm-whack-plus-tcpdump-same-session.txt"
    tl = tl_of(path)
    from_responder = [n for n, line in enumerate(path.read_text(encoding="utf-8").split("\n"), 1)
                      if re.match(r"IP \S+ > \S+: isakmp: phase \d\S* R ", line)]
    assert len(from_responder) == 4  # MM2, MM4, MM6, QM2
    for line in from_responder:
        step = step_at(tl, line)
        assert step.role in ("MM2", "MM4", "MM6", "QM2") and step.direction is None, (line, step.role)
    assert {s.direction for s in tl.steps if s.family == "tcpdump"} == {None}


def lines_of(step):
    return [line for _f, a, b in step.lines for line in range(a, b + 1)]


def test_ios_grouping_of_sample_09():
    """09, an IOS 15 initiator, line by line (the file's own numbers): the lines that prepare MM1 (peer
    struct, ``set new node 0``, ``beginning Main Mode exchange``, 1-10) are MM1's, though its packet line
    is not in the log, and the processing of SA payload that follows (11-43) is MM2's; the end of phase 1
    that IOS logs after the RESPONDER_LIFETIME notify (115-119: IKE_PROCESS_MAIN_MODE, IKE_I_MM6 ->
    IKE_P1_COMPLETE) is MM6's, not the Informational's (104-113); ``set new node 1453291904`` (146) is
    the message of that ID the router sends next (147), not the received delete (137-144)."""
    path = SAMPLES / "09-ios15-mm-ok-qm-proposal-not-chosen-pfs-console-dots.txt"
    tl = tl_of(path)
    mm1 = step_at(tl, line_of(path, r"beginning Main Mode exchange"))
    assert (mm1.role, mm1.direction, mm1.logged) == ("MM1", "out", False)
    assert lines_of(mm1) == [1, 2, 3, 4, 5, 6, 7, 8, 10]  # 5-6: one record ("ins.ert" is a console dot)
    mm2 = step_at(tl, 11)
    assert (mm2.role, mm2.direction) == ("MM2", "in") and lines_of(mm2)[0] == 11 and lines_of(mm2)[-1] == 43
    mm6 = step_at(tl, 102)
    assert mm6.role == "MM6" and lines_of(mm6)[-4:] == [115, 116, 118, 119]
    info = step_at(tl, 104)
    assert info.role == "INFO" and lines_of(info) == [104, 105, 106, 107, 108, 109, 110, 111, 112, 113]
    assert step_at(tl, 146) is step_at(tl, 147)
    assert (step_at(tl, 146).direction, step_at(tl, 146).message_id) == ("out", 1453291904)
    assert lines_of(step_at(tl, 137))[-1] == 144


def test_ikev2_delete_is_built_for_its_own_message():
    """05, IOS-XE IKEv2: the router queues the IKE SA's delete (137 ``Sending DELETE INFO message for
    IKEv2 SA``, 138-143) while the response to its request of message ID 2 (145) is on the way: those
    lines are the request of message ID 3's (155), not message ID 2's (129)."""
    path = SAMPLES / "05-iosxe16-ikev2-ipv6-initiator-auth-no-proposal-chosen.txt"
    tl = tl_of(path)
    delete = line_of(path, r"Sending DELETE INFO message for IKEv2 SA")
    assert delete == 137
    step = step_at(tl, delete)
    assert (step.role, step.message_id) == ("INFORMATIONAL request", 3)
    assert lines_of(step) == [137, 138, 139, 140, 141, 142, 143, 155, 156, 157, 158, 159]
    mid2 = step_at(tl, 129)
    assert (mid2.role, mid2.message_id) == ("INFORMATIONAL request", 2) and lines_of(mid2)[-1] == 136
    assert step_at(tl, line_of(path, r"Sending DELETE INFO message for IPsec SA")) is mid2


def _socket_pairs(path):
    """charon's socket-thread "received packet" lines (no IKE_SA, no size) and the worker line of the same
    datagram: the socket thread's own "parsing HEADER payload, N bytes left" names the size the worker
    line gives; datagrams without one (ESP in UDP 4500, kernel-libipsec) have no worker line."""
    rx = re.compile(r"^\S+ +\d+ [\d:.]+ (\d+)\[(\w+)\] (<[^>]*> )?(.*)$")
    rows = [(n, m[1], m[2], m[3], m[4]) for n, line in enumerate(path.read_text().split("\n"), 1)
            if (m := rx.match(line))]
    pairs, claimed = [], set()
    for k, (n, thread, facility, sa, text) in enumerate(rows):
        m = re.fullmatch(r"received packet: from (\S+) to (\S+)", text)
        if facility != "NET" or sa or not m:
            continue
        size = None
        for _n, t2, _f, _sa, text2 in rows[k + 1:]:
            if t2 != thread:
                continue
            if text2.startswith("waiting for data"):
                break
            if (h := re.match(r"parsing HEADER payload, (\d+) bytes left", text2)):
                size = h[1]
                break
        if size is None:
            continue
        want = f"received packet: from {m[1]} to {m[2]} ({size} bytes)"
        worker = next(r[0] for r in rows[k + 1:] if r[3] and r[4] == want and r[0] not in claimed)
        claimed.add(worker)
        pairs.append((n, worker))
    return pairs


@pytest.mark.parametrize("case", LAB, ids=lambda p: p.name)
@pytest.mark.parametrize("side", ["left", "right"])
def test_charon_socket_thread_lines_start_the_step_of_their_packet(case, side):
    """The socket thread's ``received packet`` line is the first line of the step of the message it
    received (the worker's ``<N> received packet`` line), never the previous step's, also when two
    datagrams are read before a worker logs the first (a DELETE and the next message) and when ESP
    datagrams come through the same socket."""
    path = case / f"{side}.log"
    tl = tl_of(path)
    pairs = _socket_pairs(path)
    assert pairs
    for socket, worker in pairs:
        step = step_at(tl, worker)
        assert step_at(tl, socket) is step, (socket, worker)
        assert step.lines[0][1] == socket and step.direction == "in"


# --------------------------------------------------------------------------- logs pasted twice

@pytest.mark.parametrize("case", ["v4-aes128-sha1-modp1024", "v6-aggressive", "v4-xauth-modecfg"])
def test_a_charon_log_pasted_twice(case, tmp_path):
    """A whole charon log pasted after itself (its stamps span less than the stamp slack, so reading in
    stamp order would interleave the copies): the second copy is a pasted copy of the first, step by step,
    and gives no retransmission, no rekey and no second IKE SA with the peer."""
    log = CAPTURES / case / "left.log"
    text = log.read_text(encoding="utf-8")
    twice = tmp_path / "twice.log"
    twice.write_text(text + text, encoding="utf-8")
    n = text.count("\n")
    once = analyse(parse_log(str(log)))
    a = analyse(parse_log(str(twice)))
    originals = [s for s in a.timeline.steps if s.duplicate_of is None]
    copies = [s for s in a.timeline.steps if s.duplicate_of is not None]
    assert [(s.role, s.direction, s.message_id) for s in originals] == [
        (s.role, s.direction, s.message_id) for s in once.timeline.steps]
    assert len(copies) == len(originals)
    for s in copies:  # each copy repeats its original's lines, n lines further down
        original = a.timeline.steps[s.duplicate_of]
        assert (s.role, s.direction, s.message_id) == (original.role, original.direction, original.message_id)
        assert [line - n for _f, line, _l in s.lines] == [line for _f, line, _l in original.lines]
    assert not any(s.retransmission for s in a.timeline.steps)
    codes = {f.code for f in a.findings}
    assert {f.code for f in once.findings} == codes and not codes & {"retransmissions", "rekey"}


@pytest.mark.parametrize("prefix", ["01", "03", "09"])
def test_an_ios_log_with_every_line_twice(prefix, tmp_path):
    """Every line of an IOS debug written twice in a row: the repeats join the step of the line they repeat,
    so the messages, their roles and the retransmissions are those of the log as written once."""
    (path,) = SAMPLES.glob(prefix + "-*.txt")
    lines = path.read_text(encoding="utf-8").split("\n")
    doubled = tmp_path / "doubled.txt"
    doubled.write_text("\n".join(x for line in lines for x in (line, line)), encoding="utf-8")
    once, twice = analyse(parse_log(str(path))), analyse(parse_log(str(doubled)))

    def shape(a):
        return [(s.role, s.direction, s.message_id, s.retransmission, s.implied) for s in a.timeline.steps]
    assert shape(twice) == shape(once)
    for s, t in zip(once.timeline.steps, twice.timeline.steps):  # line n is now lines 2n-1 and 2n
        if s.sa is not None and s.events:
            assert t.first_line == 2 * s.first_line - 1
    resent = {f.code: f.detail.get("resent") for f in once.findings}.get("retransmissions")
    assert {f.code: f.detail.get("resent") for f in twice.findings}.get("retransmissions") == resent
    assert {f.code for f in twice.findings} == {f.code for f in once.findings}


def test_a_line_repeated_now_and_then_is_a_message():
    """Sample 13: the ASA logs two INVALID_COOKIE notifies received in one second with the same words
    (lines 26 and 27); a file with only such a repeat is no pasted document, both are messages."""
    path = SAMPLES / "13-asa804-syslog-year-mm-wait-msg4-invalid-cookie.txt"
    assert line_of(path, r"RECEIVED Message .*NOTIFY", 0) + 1 == line_of(path, r"RECEIVED Message .*NOTIFY", 1)
    tl = tl_of(path)
    infos = [s for s in tl.steps if s.role == "INFO"]
    assert [s.first_line for s in infos] == [26, 27] and all(s.duplicate_of is None for s in infos)


def test_ikev2_offer_lines_belong_to_the_message_they_build():
    """05: ``Generating IKE_SA_INIT message`` and the ``IKE Proposal: 1 ... Num. transforms: 15`` line
    that follows build the IKE_SA_INIT request, not the preamble that ends the previous session (``Deleting
    SA``); ``Generating IKE_AUTH message`` and its ``ESP Proposal`` line build the IKE_AUTH request.  The
    request's explanation then names the offer."""
    from correlate.explain import explain_events

    path = SAMPLES / "05-iosxe16-ikev2-ipv6-initiator-auth-no-proposal-chosen.txt"
    tl = tl_of(path)
    owner = {(e.record.line): s for s in tl.steps for e in s.events}
    for generating, offer, role in (("Generating IKE_SA_INIT message", r"IKE Proposal: 1,", "IKE_SA_INIT request"),
                                    ("Generating IKE_AUTH message", r"ESP Proposal: 1,", "IKE_AUTH request")):
        first, second = line_of(path, generating), line_of(path, offer)
        assert owner[first] is owner[second] and owner[first].role == role, (generating, owner[first].role)
    init = owner[line_of(path, "IKE Proposal: 1,")]
    assert not any("Deleting SA" in e.record.text for e in init.events)
    exp = explain_events(init.events, init.role)
    (offer,) = [x for x in exp.lines if x.startswith("IKE proposal")]
    assert offer.startswith("IKE proposal 1 offered, 15 transforms: AES-CBC, AES-CBC, AES-CBC, SHA512")
    assert offer.endswith("DH_GROUP_1536_MODP/Group 5, DH_GROUP_1024_MODP/Group 2")
    assert len(exp.facts["ikev2_proposals"][0]["transforms"]) == 15


def test_received_messages_name_their_exchange():
    """A charon log's received message: its packet line names no exchange, its summary line does
    (``parsed ID_PROT response 0 [ SA V V V V ]``): the step has it, as a sent one does."""
    from correlate.logparse import parse_log
    from correlate.logonly import analyse
    log = parse_log(str(CAPTURES / "v6-aes128-sha1-modp1024" / "left.log"))
    steps = [s for s in analyse(log, log.records).timeline.steps if s.role]
    want = {"MM": "ID_PROT", "QM": "QUICK_MODE", "IN": "INFORMATIONAL_V1"}
    assert {s.direction for s in steps} == {"in", "out"}
    assert all(s.exchange == want[s.role[:2]] for s in steps), [(s.role, s.exchange) for s in steps]


def test_pasted_copies_with_stamps_in_whole_seconds():
    """The seed's logs with their milliseconds cut off: the blocks the document quotes again are still pasted
    copies (the same packet line, message ID and role in the same second, and two thirds of their lines the
    same), not retransmissions, as with milliseconds; QM1 and QM3, received in one second with the same
    packet line, stay two messages."""
    import re
    from correlate.findings import findings_from_log
    from correlate.logonly import analyse
    from correlate.logparse import parse_log_text
    for name in ("initiator.log", "responder.log"):
        text = (CAPTURES / "seed-ios-ipv6" / name).read_text()
        cut = re.sub(r"(\d\d:\d\d:\d\d)\.\d{3}", r"\1", text)
        with_ms, without = (analyse(parse_log_text(t, name, 2012)) for t in (text, cut))
        copies = lambda a: [(s.first_line, s.role, s.duplicate_of is not None) for s in a.timeline.steps]  # noqa: E731
        assert copies(without) == copies(with_ms)
        log = parse_log_text(cut, name, 2012)
        assert "retransmissions" not in {f.code for f in findings_from_log(log.events, log.records)}


@pytest.mark.parametrize("side", ["left", "right"])
def test_charon_logs_without_ike_sa_tags(side):
    """charon with ``ike_name = no`` writes no ``<lab|1>`` tag: only lines that name ``IKE_SA lab[2]`` tell the
    IKE SA, and the lines after them are its.  v4-rekey-dpd's re-authentication is a second IKE SA, not
    retransmissions of the first's messages: the same roles, retransmissions and findings as with tags."""
    from correlate.findings import findings_from_log
    from correlate.logparse import parse_log_text
    text = (CAPTURES / "v4-rekey-dpd" / f"{side}.log").read_text()
    bare = re.sub(r" <(?:[^<>|]*\|)?\d+> ", " ", text)
    assert bare != text and "<lab|" not in bare

    def seen(t):
        log = parse_log_text(t, f"{side}.log", 2026)
        steps = analyse(log, log.records).timeline.steps
        return ([(s.role, s.retransmission) for s in steps if s.role and not s.implied],
                sorted(f.code for f in findings_from_log(log.events, log.records)))
    assert seen(bare) == seen(text)
