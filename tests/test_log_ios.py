"""Cisco IOS/IOS-XE debug records to events (correlate.ios) on real logs: the seed TAC document and the
public debug samples in ../shared/debug-samples/ (see their README).  Every expected value below was
read from the files themselves; the line numbers in the comments are the files' physical lines."""
from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import pytest

from conftest import SHARED
from correlate import ios
from correlate.records import split_records

SEED = SHARED / "seed" / "000_e6e02144db6ec5bf.txt"
SAMPLES = SHARED / "debug-samples"
IOS_SAMPLES = ("01", "03", "05", "07", "08", "09")


def _sample(prefix: str) -> Path:
    if not SAMPLES.is_dir():
        pytest.skip(f"debug samples not present at {SAMPLES} (they are beside the repository)")
    return next(SAMPLES.glob(f"{prefix}-*.txt"))


def _seed() -> Path:
    if not SEED.exists():
        pytest.skip(f"the seed is not present at {SEED} (it is beside the repository)")
    return SEED


def _parse(path: Path):
    records = list(split_records(path.read_text(errors="replace").splitlines(), path.name, year=2026))
    events = [e for r in records if r.family == "ios" for e in ios.events(r)]
    return records, events


def _packets(events, direction: str):
    return [e for e in events if e.kind == "packet" and e.direction == direction]


def _errors(events):
    return [e for e in events if e.kind == "error"]


def _transitions(events):
    return [(e.old_state, e.state) for e in events if e.kind == "state" and e.old_state is not None]


# --------------------------------------------------------------------------- every sample: no line lost

@pytest.mark.parametrize("prefix", IOS_SAMPLES + ("11",))
def test_sample_parses_with_no_line_lost(prefix):
    path = _sample(prefix)
    lines = path.read_text(errors="replace").splitlines()
    records, _ = _parse(path)
    assert sum(r.last_line - r.line + 1 for r in records) == len(lines)
    covered = [n for r in records for n in range(r.line, r.last_line + 1)]
    assert covered == list(range(1, len(lines) + 1))


def test_every_record_of_every_log_reads_without_raising():
    paths = [p for p in (SEED, *sorted(SAMPLES.glob("*.txt"))) if p.exists()] if SAMPLES.is_dir() else []
    if not paths:
        pytest.skip(f"no logs at {SHARED}")
    for path in paths:
        for r in split_records(path.read_text(errors="replace").splitlines(), path.name, year=2026):
            first, again = ios.events(r), ios.events(r)   # any family: a record it does not know gives []
            assert isinstance(first, list)
            assert [e.to_dict() for e in first] == [e.to_dict() for e in again]
            assert all(e.record is r for e in again)
            for e in first:   # what a user does to an event does not reach the next record with its text
                e.detail["changed"] = True
                e.payloads.append("X")
            assert [e.to_dict() for e in ios.events(r)] == [e.to_dict() for e in again]


# --------------------------------------------------------------------------- the seed (issue 5 acceptance)

def test_seed_send_and_receive_events():
    _, events = _parse(_seed())
    received, sent = _packets(events, "in"), _packets(events, "out")
    # 16 "received packet from" lines: 9 from 2001: DB8::2 (responder R2's side), 7 from 2001: DB8::3
    assert len(received) == 16 and len(sent) == 2
    assert Counter(e.peer for e in received) == {"2001:db8::2": 9, "2001:db8::3": 7}
    assert {e.peer for e in sent} == {"2001:db8::3"}
    assert all(e.peer_port == 500 and e.local_port == 500 for e in received + sent)
    assert Counter(e.state for e in received) == {"QM_IDLE": 9, "MM_KEY_EXCH": 6, "MM_SA_SETUP": 1}
    assert [e.state for e in sent] == ["MM_KEY_EXCH", "MM_KEY_EXCH"]
    assert all(e.message_id is None for e in received + sent)   # a packet line has no M-ID
    first = received[0]    # line 164-165, hard-wrapped by the document
    assert (first.record.line, first.record.last_line) == (164, 165)
    assert first.time == dt.datetime(2026, 9, 21, 8, 33, 43, 433000)
    assert first.conn_id == 1011 and first.detail["role"] == "R" and first.facility == "ISAKMP"
    assert received[9].conn_id == 0   # line 471: "ISAKMP (0): received packet from 2001: DB8::3 dport 500"


def test_seed_quick_mode_message_id():
    _, events = _parse(_seed())
    qm = [e for e in events if e.message_id == 1371333358]
    # "message ID =" / "1371333358" wrapped: 20 processing-payload lines, 4 "set new node" + 10 "Node N, Input =",
    # and 6 "deleting node 1371333358"
    assert Counter(e.kind for e in qm) == {"payload": 20, "state": 14, "sa_deleted": 6}
    assert Counter(e.payloads[0] for e in qm if e.kind == "payload") == {"HASH": 4, "SA": 4, "NONCE": 4, "ID": 8}
    deleted = [e for e in qm if e.kind == "sa_deleted"]
    assert Counter(e.detail["reason"] for e in deleted) == {"QM done (await)": 5, "No Error": 1}
    new_node = [e for e in qm if e.kind == "state" and e.detail.get("node") and "input" not in e.detail]
    assert {e.state for e in new_node} == {"QM_IDLE"}


def test_seed_create_sa_spis():
    _, events = _parse(_seed())
    created = [e for e in events if e.kind == "sa_created"]
    assert [e.spi for e in created] == [0x45F16A9A, 0x221A7153]
    assert [e.spi for e in created] == [1173449370, 572158291]   # the decimal IOS prints beside the hex
    assert [e.detail["dest"] for e in created] == ["2001:db8::2", "2001:db8::3"]   # sa_dest
    # the classic form does not say which SA is inbound (sa_dest = this router) and which outbound: no peer
    assert [e.peer for e in created] == [None, None]
    assert [e.detail["conn_id"] for e in created] == [305, 306]
    for e in created:
        assert e.facility == "IPSEC" and e.detail["proto"] == 50
        assert e.detail["transform"] == "esp-aes esp-sha-hmac"
        assert (e.detail["lifetime_kb"], e.detail["lifetime_sec"]) == (4608000, 3439)
        assert (e.record.line, e.record.last_line) in ((801, 805), (806, 810))


def test_seed_state_transitions_to_p1_complete_and_phase2_complete():
    _, events = _parse(_seed())
    transitions = _transitions(events)
    assert len(transitions) == 32    # 32 "Old State = ... New State =" lines, most wrapped before the new state
    assert Counter(transitions) == {
        ("IKE_QM_READY", "IKE_QM_SPI_STARVE"): 4, ("IKE_QM_R_QM2", "IKE_QM_PHASE2_COMPLETE"): 5,
        ("IKE_I_MM3", "IKE_I_MM4"): 1, ("IKE_I_MM4", "IKE_I_MM4"): 1, ("IKE_I_MM4", "IKE_I_MM5"): 2,
        ("IKE_I_MM5", "IKE_I_MM6"): 6, ("IKE_I_MM6", "IKE_I_MM6"): 6, ("IKE_I_MM6", "IKE_P1_COMPLETE"): 6,
        ("IKE_QM_I_QM1", "IKE_QM_PHASE2_COMPLETE"): 1}
    # the initiator's path, in file order, from IKE_I_MM4 on
    states = [new for old, new in transitions[transitions.index(("IKE_I_MM4", "IKE_I_MM4")):]]
    assert states.index("IKE_I_MM5") < states.index("IKE_I_MM6") < states.index("IKE_P1_COMPLETE") \
        < states.index("IKE_QM_PHASE2_COMPLETE")
    authenticated = [e for e in events if e.state == "AUTHENTICATED"]
    assert len(authenticated) == 6 and {e.peer for e in authenticated} == {"2001:db8::3"}   # wrapped "2001:\nDB8::3"


def test_seed_proposal_attributes_and_validate_proposal_request():
    _, events = _parse(_seed())
    proposal = [e for e in events if e.kind == "proposal"]
    assert Counter(e.detail["life_duration"] for e in proposal if "life_duration" in e.detail) == {3600: 4, 4608000: 4}
    assert {e.detail.get("transform_id") for e in proposal} >= {"ESP_AES"}
    assert Counter(e.detail["encaps"] for e in proposal if "encaps" in e.detail) == {1: 4}
    assert Counter(e.detail["acceptable"] for e in proposal if "acceptable" in e.detail) == {True: 4}
    validate = [e for e in proposal if e.detail.get("function") == "validate_proposal_request"]
    assert len(validate) == 4    # the "proposal part #1," records with key= value lines (the bare one says nothing)
    for e in validate:   # "local= 2001: DB8::3:0, remote= 2001: DB8::2:0": address, then port 0
        assert (e.local, e.local_port, e.peer, e.peer_port) == ("2001:db8::3", 0, "2001:db8::2", 0)
        assert e.detail["local_proxy"] == e.detail["remote_proxy"] == "::/0/256/0"
        assert (e.detail["protocol"], e.detail["transform"], e.detail["keysize"]) == ("ESP", "NONE (Tunnel)", 128)
        assert e.detail["spi"] == 0 and e.detail["conn_id"] == 0 and e.detail["direction"] == "inbound"


# --------------------------------------------------------------------------- 01: IOS-XE NAT-T responder, no stamps

def test_01_natt_responder():
    _, events = _parse(_sample("01"))
    received, sent = _packets(events, "in"), _packets(events, "out")
    assert len(received) == 5 and len(sent) == 4
    assert {e.peer for e in received + sent} == {"198.51.100.3"}
    # MM1-MM4 from PAT port 512 to 500, then floated to 4501 -> 4500 (line 133 "Detected port floating")
    assert [(e.peer_port, e.local_port) for e in received] == [(512, 500), (512, 500), (4501, 4500), (4501, 4500),
                                                               (4501, 4500)]
    assert [(e.peer_port, e.local_port) for e in sent] == [(512, 500), (512, 500), (4501, 4500), (4501, 4500)]
    assert [e.state for e in received] == ["NEW SA", "MM_SA_SETUP", "MM_KEY_EXCH", "QM_IDLE", "QM_IDLE"]
    assert [e.conn_id for e in received] == [0, 0, 1003, 1003, 1003]
    assert {e.time for e in received} == {None}
    floating = [e for e in events if e.detail.get("nat_t")]
    assert [e.peer_port for e in floating] == [4501]
    assert {e.message_id for e in events if e.message_id} == {1416806668}
    assert ("IKE_R_MM5", "IKE_P1_COMPLETE") in _transitions(events)
    assert _transitions(events)[-1] == ("IKE_QM_R_QM2", "IKE_QM_PHASE2_COMPLETE")   # trailing blanks tolerated
    assert [e.spi for e in events if e.kind == "sa_created"] == [0xF5AC7011]   # "Successfully installed IPSEC SA"


def test_01_invalid_spi_and_errors():
    _, events = _parse(_sample("01"))
    errors = _errors(events)
    inv = [e for e in errors if e.facility == "CRYPTO-4-RECVD_PKT_INV_SPI"]
    assert len(inv) == 1 and inv[0].record.line == 23
    assert (inv[0].spi, inv[0].peer, inv[0].local) == (0x3EA71AED, "198.51.100.3", "203.0.113.1")
    assert inv[0].time == dt.datetime(2026, 10, 24, 4, 31, 10, 58000)
    assert inv[0].detail["protocol"] == 50
    # 3 x "Failed to find peer index node", 5 x "ignoring request to send delete notify", the syslog line
    assert len(errors) == 9
    ignoring = [e for e in errors if e.detail.get("notify_not_sent") == "DELETE"]
    assert not [e for e in ignoring if "notify" in e.detail]  # no notify went out: none is named
    assert [e.spi for e in ignoring] == [0x3EA71AED, None, 0x3EA71AED, 0xD9161513, 0xD9161513]   # line 8 is garbled
    assert [e.record.line for e in errors if "peer index node" in e.message] == [3, 4, 184]


# --------------------------------------------------------------------------- 03: no PSK, then success

def test_03_initiator_packets_and_message_id():
    _, events = _parse(_sample("03"))
    received, sent = _packets(events, "in"), _packets(events, "out")
    assert [e.state for e in sent] == ["MM_NO_STATE", "MM_SA_SETUP", "MM_KEY_EXCH", "QM_IDLE", "QM_IDLE"]
    assert [e.state for e in received] == ["MM_NO_STATE", "MM_SA_SETUP", "MM_KEY_EXCH", "QM_IDLE"]
    assert {(e.peer, e.peer_port, e.local_port) for e in received + sent} == {("203.0.113.1", 500, 500)}
    assert [e.record.line for e in sent] == [51, 86, 122, 154, 183]
    assert all(e.detail["role"] == "I" for e in received + sent)
    quick = [e for e in events if e.exchange == "QUICK_MODE"]
    assert [e.message_id for e in quick] == [1327257875]   # "beginning Quick Mode exchange, M-ID of 1327257875"
    assert {e.message_id for e in events if e.kind == "payload" and e.message_id} == {1327257875}
    # "New State = IKE_QM_PHASE2_COMPLETE....." with the console's ping dots, then "Success rate" joined to it
    assert _transitions(events)[-1] == ("IKE_QM_IPSEC_INSTALL_AWAIT", "IKE_QM_PHASE2_COMPLETE")
    assert [e.spi for e in events if e.kind == "sa_created"] == [0xDA9E8DCA]


def test_03_no_preshared_key_failure():
    _, events = _parse(_sample("03"))
    errors = _errors(events)
    first = errors[0]
    assert first.message == "No pre-shared key with 203.0.113.1!"   # the "<-- This is the error" annotation dropped
    assert first.peer == "203.0.113.1" and first.record.line == 14
    assert first.time == dt.datetime(2026, 10, 25, 18, 50, 1, 497000)
    assert [e.record.line for e in errors] == [14, 15, 16, 21, 22, 180]
    assert errors[4].message.startswith("Error while processing KMI message 0, error 2")
    # phase 1 policy offered by the responder: AES-CBC 256, SHA, group 14, 86400 s as a VPI (0x0 0x1 0x51 0x80)
    attrs = {k: v for e in events if e.kind == "proposal" and e.record.line in range(64, 73)
             for k, v in e.detail.items()}
    assert attrs == {"phase": 1, "transform": 1, "policy": 10, "encryption": "AES-CBC", "keylength": 256,
                     "hash": "SHA", "group": 14, "auth": "pre-share", "life_type": "seconds",
                     "life_duration": 86400, "acceptable": True}


# --------------------------------------------------------------------------- 05: IKEv2 over IPv6

def test_05_ikev2_packets():
    _, events = _parse(_sample("05"))
    received, sent = _packets(events, "in"), _packets(events, "out")
    assert [e.message_id for e in sent] == [0, 1, 2, 3]
    assert [e.message_id for e in received] == [0, 1, 2, 3]
    assert [e.exchange for e in sent] == ["IKE_SA_INIT", "IKE_AUTH", "INFORMATIONAL", "INFORMATIONAL"]
    assert [e.exchange for e in received] == ["IKE_SA_INIT", "IKE_AUTH", "INFORMATIONAL", "INFORMATIONAL"]
    assert [e.detail["request"] for e in sent] == [True] * 4
    assert [e.detail["request"] for e in received] == [False] * 4
    # "[To 2001:DB8::1:500/From 2001:DB8::2:500/VRF i0:f0]": address and port split at the last colon
    assert {(e.peer, e.peer_port, e.local, e.local_port) for e in received + sent} == {
        ("2001:db8::1", 500, "2001:db8::2", 500)}
    assert {e.detail["initiator_spi"] for e in received + sent} == {"1D418169B24BF95A"}
    assert sent[0].detail["responder_spi"] == "0000000000000000"
    assert {(e.conn_id, e.detail["session_id"], e.facility) for e in received + sent} == {(1, 31, "IKEv2")}
    assert received[1].payloads == ["VID", "IDr", "AUTH", "NOTIFY(NO_PROPOSAL_CHOSEN)"]


def test_05_no_proposal_chosen_and_delete():
    _, events = _parse(_sample("05"))
    errors = _errors(events)
    assert [(e.message, e.message_id, e.record.line) for e in errors] == [
        ("NOTIFY NO_PROPOSAL_CHOSEN", 1, 94), ("(empty error message)", None, 101)]   # line 101: empty IKEv2-ERROR
    assert [e.spi for e in events if e.kind == "sa_deleted" and e.spi] == [0xA153CF67]
    created = [e for e in events if e.kind == "sa_created"]
    assert [e.detail["lifetime_sec"] for e in created] == [86400]
    assert [e.state for e in events if e.kind == "state"] == ["UP"]   # "Session with IKE ID PAIR (...) is UP"
    syslog = [e for e in events if e.facility.startswith("LINEPROTO")]
    assert [(e.state, e.detail["interface"], e.time) for e in syslog] == [
        ("down", "Tunnel46", dt.datetime(2026, 5, 2, 16, 5, 39, 439000)),
        ("up", "Tunnel46", dt.datetime(2026, 5, 2, 16, 5, 42, 441000))]


# --------------------------------------------------------------------------- 07: IKEv2 certificate failure, GMT

def test_07_certificate_failure_with_seq_numbers_and_gmt():
    records, events = _parse(_sample("07"))
    assert [r.seq for r in records if r.seq is not None] == list(range(2328304, 2328324))
    errors = _errors(events)
    assert [e.message for e in errors] == ["(A16A8) No suitable trustpoints found", "EV_CERT_FAIL",
                                           "Verify cert failed", "EV_AUTH_FAIL",
                                           "Verification of peer's authentication data FAILED"]
    assert [e.record.seq for e in errors] == [2328318, 2328320, 2328321, 2328322, 2328323]
    verify = errors[2]
    assert verify.time == dt.datetime(2026, 6, 8, 19, 14, 38, 59000, tzinfo=dt.timezone.utc)
    assert verify.time.utcoffset() == dt.timedelta(0)   # "GMT"
    assert (verify.record.line, verify.record.last_line) == (32, 33)   # "Verify cert" / "failed" wrapped
    assert (verify.conn_id, verify.detail["session_id"], verify.facility) == (68, 14607, "IKEv2")
    assert errors[0].facility == "CRYPTO_PKI"
    traces = [e for e in events if e.kind == "state"]
    assert [e.detail["event"] for e in traces] == ["EV_CHK_CERT_ENC", "EV_VERIFY_X509_CERTS", "EV_CERT_FAIL",
                                                  "EV_AUTH_FAIL"]
    assert {(e.state, e.message_id, e.detail["initiator_spi"]) for e in traces} == {
        ("R_VERIFY_AUTH", 1, "E4368647479E50EF")}
    assert _packets(events, "in") == _packets(events, "out") == []


# --------------------------------------------------------------------------- 08: QM responder with IPSEC records

def test_08_two_create_sa_and_proposal():
    _, events = _parse(_sample("08"))
    assert len(_packets(events, "in")) == 2 and len(_packets(events, "out")) == 1
    assert {(e.peer, e.peer_port) for e in events if e.kind == "packet"} == {("203.0.113.100", 500)}
    assert {e.message_id for e in events if e.message_id} == {3329780046}
    created = [e for e in events if e.kind == "sa_created" and e.facility == "IPSEC"]
    assert [(e.spi, e.peer, e.detail["conn_id"], e.detail["inbound"]) for e in created] == [
        (0x63A278D7, "203.0.113.100", 2005, True), (0x731256EB, "203.0.113.100", 2006, False)]  # the peer: remote
    assert [e.detail["dest"] for e in created] == ["203.0.113.200", "203.0.113.100"]  # sa_dest: this router, peer
    for e in created:   # continuation lines indented 2/4 blanks, "(identity)" block included
        assert e.detail["transform"] == "esp-aes 256 esp-sha512-hmac" and e.detail["proto"] == 50
        assert (e.detail["lifetime_kb"], e.detail["lifetime_sec"]) == (4608000, 3600)
        assert (e.detail["local"], e.detail["remote"]) == ("203.0.113.200", "203.0.113.100")
        assert e.detail["local_proxy"] == "192.168.102.0/255.255.255.0/256/0"
        assert e.detail["remote_proxy"] == "192.168.101.0/255.255.255.0/256/0"
    installed = [e for e in events if e.kind == "sa_created" and e.facility == "ISAKMP"]
    assert [(e.spi, e.detail["interface"]) for e in installed] == [(0x63A278D7, "Dialer1")]
    validate = [e for e in events if e.detail.get("function") == "validate_proposal_request"]
    assert len(validate) == 1    # logged twice; the first, "proposal part #1" alone, says nothing
    v = validate[0]
    assert (v.local, v.local_port, v.peer, v.peer_port) == ("203.0.113.200", 0, "203.0.113.100", 0)
    assert v.detail["transform"] == "esp-aes 256 esp-sha512-hmac  (Tunnel)" and v.detail["keysize"] == 256
    assert [e.record.line for e in _errors(events)] == [65]
    assert _transitions(events)[-1] == ("IKE_QM_R_QM2", "IKE_QM_PHASE2_COMPLETE")


# --------------------------------------------------------------------------- 09: negative M-IDs, console dots

def test_09_packets_and_negative_message_ids():
    _, events = _parse(_sample("09"))
    received, sent = _packets(events, "in"), _packets(events, "out")
    assert [e.record.line for e in sent] == [45, 80, 123, 147, 162]
    assert [e.record.line for e in received] == [49, 84, 104, 129, 137, 163]
    assert {(e.peer, e.peer_port, e.local_port) for e in received + sent} == {("198.51.100.77", 500, 500)}
    assert [e.conn_id for e in received] == [0, 9577, 9577, 9577, 9577, 0]   # "ISAKMP (0:9577):" is 12.x style
    quick = [e for e in events if e.exchange == "QUICK_MODE"]
    assert [e.message_id for e in quick] == [3405673996]   # "M-ID of -889293300", as uint32
    assert -889293300 & 0xFFFFFFFF == 3405673996
    nodes = [e.message_id for e in events if e.kind == "state" and "node" in e.detail and "input" not in e.detail]
    assert nodes == [0, 1201896175, 3825381891, 3252892484, 1453291904]   # -469585405, -1042074812 as uint32
    deleted = [e.message_id for e in events if e.kind == "sa_deleted" and e.detail.get("reason") == "IKE deleted"]
    assert deleted == [3405673996, 1201896175, 3825381891, 3252892484]


def test_09_failures():
    _, events = _parse(_sample("09"))
    errors = _errors(events)
    assert [e.message for e in errors] == ["Encryption algorithm offered does not match policy!",
                                           "atts are not acceptable", "NOTIFY PROPOSAL_NOT_CHOSEN (received)"]
    assert [e.record.line for e in errors] == [27, 28, 132]
    # IOS's routine line when it deletes the IKE SA: no error
    (paranoid,) = [e for e in events if e.detail.get("paranoid_keepalives") is False]
    assert (paranoid.kind, paranoid.record.line) == ("info", 141)
    notify = [e for e in events if e.kind == "notify"]
    assert [(e.record.line, e.detail["notify"], e.detail.get("protocol"), e.direction) for e in notify] == [
        (70, "INITIAL_CONTACT", None, "out"),  # "Send initial contact" (MM5)
        (106, "RESPONDER_LIFETIME", 1, "in"), (132, "PROPOSAL_NOT_CHOSEN", 3, "in")]
    checks = [e.detail["policy"] for e in events if e.kind == "proposal" and "policy" in e.detail]
    verdicts = [e.detail["acceptable"] for e in events if e.kind == "proposal" and "acceptable" in e.detail]
    assert checks == [3, 5] and verdicts == [False, True]
    # "Old State = .IKE_I_MM2  New State = IKE_I_MM3": a ping dot glued to the state
    assert ("IKE_I_MM2", "IKE_I_MM3") in _transitions(events)
    assert ("IKE_P1_COMPLETE", "IKE_DEST_SA") in _transitions(events)
    deleted_sa = [e for e in events if e.kind == "sa_deleted" and e.detail.get("reason") == "No reason"]
    assert [(e.peer, e.state) for e in deleted_sa] == [("198.51.100.77", "QM_IDLE")] * 2


# --------------------------------------------------------------------------- NAT discovery, ID fields, proxy match

def _info(events, key):
    return [e for e in events if key in e.detail]


def test_01_nat_d_lines_peer_ports_and_initial_contact():
    """01 (responder HQ 203.0.113.1, peer behind PAT): "received payload type 20" (lines 101, 103) and "His hash
    no match - this node outside NAT" (102, 104); the peer struct and ports of MM1; the initial contact at MM5."""
    _, events = _parse(_sample("01"))
    natd = [e for e in events if e.kind == "payload" and e.payloads == ["NAT-D"]]
    assert [(e.record.line, e.detail["payload_type"], e.conn_id) for e in natd] == [(101, 20, 1003), (103, 20, 1003)]
    hashes = _info(events, "nat_d")
    assert [(e.record.line, e.detail) for e in hashes] == [
        (line, {"nat_d": "his", "hash_match": False, "local_behind_nat": False}) for line in (102, 104)]
    assert not _info(events, "nat_detected")   # the excerpt has no verdict line
    struct = _info(events, "peer_struct")
    assert [(e.record.line, e.peer, e.peer_port) for e in struct] == [(28, "198.51.100.3", 512)]
    ports = _info(events, "ports")
    assert [(e.record.line, e.local_port, e.peer_port) for e in ports] == [(31, 500, 512)]
    contact = _info(events, "initial_contact")   # "Process initial contact," + "bring down existing ..." (137-138)
    assert [(e.record.line, e.record.last_line, e.local, e.peer, e.peer_port, e.direction) for e in contact] == [
        (137, 138, "203.0.113.1", "198.51.100.3", 4501, "in")]
    assert [(e.record.line, e.detail) for e in _info(events, "profile_match")] == [
        (125, {"profile_match": True, "profile": "VPN"})]
    assert [(e.record.line, e.detail["lifetime_sec"]) for e in _info(events, "lifetime_sec")] == [(64, 6000)]
    # "SA authentication status:" with "authenticated" on the next physical line
    assert [(e.record.line, e.detail) for e in _info(events, "authentication_status")] == [
        (130, {"authentication_status": "authenticated"}), (135, {"authentication_status": "authenticated"})]
    # "SA is doing " / "pre-shared key authentication using id type ID_IPV4_ADDR" cut in two records
    psk = [e for e in events if e.detail.get("authentication") == "pre-share" and e.peer is None]
    assert [(e.record.line, e.detail.get("id_type")) for e in psk] == [(145, "ID_IPV4_ADDR")]


def test_03_no_nat_found():
    """03 (initiator, no NAT between 203.0.113.10 and .1): one "His hash no match - this node outside NAT"
    (line 105), then "No NAT Found for self or peer" (107)."""
    _, events = _parse(_sample("03"))
    assert [e.record.line for e in events if e.payloads == ["NAT-D"]] == [104, 106]
    assert [e.record.line for e in _info(events, "nat_d")] == [105]
    verdict = _info(events, "nat_detected")
    assert [(e.record.line, e.conn_id, e.detail) for e in verdict] == [
        (107, 1001, {"nat_detected": False, "local_behind_nat": False, "remote_behind_nat": False})]
    assert [(e.record.line, e.detail["lifetime_sec"]) for e in _info(events, "lifetime_sec")] == [(78, 86400)]
    assert [(e.record.line, e.detail) for e in _info(events, "profile_match")] == [(136, {"profile_match": False})]


def test_05_ikev2_nat_not_found():
    _, events = _parse(_sample("05"))
    verdict = _info(events, "nat_detected")
    assert [(e.record.line, e.facility, e.conn_id, e.detail["session_id"], e.detail["nat_detected"])
            for e in verdict] == [(51, "IKEv2", 1, 31, False)]


def test_09_id_payload_protocol_followed_by_a_ping_dot():
    """09 line 76: "protocol     : 17. " (a console ping dot) still reads 17."""
    _, events = _parse(_sample("09"))
    ids = [e for e in events if e.detail.get("payload") == "ID"]
    assert [(e.record.line, e.detail["address"], e.detail["protocol"], e.detail["port"], e.detail["id_type"])
            for e in ids] == [(72, "203.0.113.122", 17, 500, 1), (86, "198.51.100.77", 17, 0, 1)]
    assert ids[0].message == "ID payload: id_type 1 address 203.0.113.122 protocol 17 port 500"
    # "received payload type 17" (line 95) names no NAT-T payload: a number, no payload name
    other = _info(events, "payload_type")
    assert [(e.record.line, e.kind, e.detail["payload_type"], e.payloads) for e in other] == [
        (65, "payload", 20, ["NAT-D"]), (66, "payload", 20, ["NAT-D"]), (95, "info", 17, [])]


@pytest.mark.parametrize("prefix, expected", [
    ("01", [(118, 1, "100.64.1.2", 17, 0), (146, 1, "203.0.113.1", 17, 0)]),
    ("03", [(114, 1, "203.0.113.10", 17, 500), (129, 1, "203.0.113.1", 17, 500)]),
])
def test_split_id_payload_blocks_are_joined(prefix, expected):
    """IOS-XE logs "address :" and "protocol : / port : / length :" as records of their own (01 lines 121-124)."""
    _, events = _parse(_sample(prefix))
    ids = [e for e in events if e.detail.get("payload") == "ID"]
    assert {"address", "protocol"}.isdisjoint(ids[0].detail)   # before joining: next-payload and type only
    ios.join_id_fields(events)
    assert [(e.record.line, e.detail["id_type"], e.detail["address"], e.detail["protocol"], e.detail["port"])
            for e in ids] == expected
    fields = _info(events, "id_fields")
    assert len(fields) == 4 and fields[0].detail["id_fields"] == {"address": expected[0][2]}


def test_08_crypto_mapdb_proxy_match():
    _, events = _parse(_sample("08"))
    match = _info(events, "proxy_match")
    assert [(e.record.line, e.record.last_line, e.facility, e.detail["src"], e.detail["dst"], e.detail["protocol"],
             e.detail["src_port"], e.detail["dst_port"]) for e in match] == [
        (25, 30, "CRYPTO", "192.168.102.0", "192.168.101.0", 0, 0, 0),
        (41, 46, "CRYPTO", "192.168.102.0", "192.168.101.0", 256, 0, 0)]


def test_nat_found_both_nodes_inside_nat():
    """The initiator's side of the log that sample 01 comes from (index id 1475816033): the initiator
    100.64.1.2 is behind NAT."""
    events = _lines("ISAKMP: (1003):received payload type 20",
                    "ISAKMP: (1003):NAT found, both nodes inside NAT",
                    "ISAKMP: (1003):received payload type 20",
                    "ISAKMP: (1003):My hash no match -  this node inside NAT")
    assert [e.payloads for e in events[::2]] == [["NAT-D"], ["NAT-D"]]
    assert [(e.kind, e.conn_id, e.detail) for e in events[1::2]] == [
        ("info", 1003, {"nat_detected": True, "local_behind_nat": True, "remote_behind_nat": True, "nat": "both"}),
        ("info", 1003, {"nat_d": "mine", "hash_match": False, "local_behind_nat": True, "nat_detected": True,
                        "nat": "local"})]


# --------------------------------------------------------------------------- forms the samples lack (public text)

def _lines(*lines: str):
    records = list(split_records(list(lines), "public", year=2026))
    return [e for r in records if r.family == "ios" for e in ios.events(r)]


def test_ios_12_packet_lines_without_ports():
    """Cisco's "Sample Problem Scenarios" (IPsec VPN solution guide, aswan15): 12.x, uptime stamps, no ports."""
    events = _lines("00:27:07: ISAKMP (0:2): sending packet to 10.15.58.38 (I) MM_NO_STATE",
                    "00:27:07: ISAKMP (0:2): received packet from 10.15.58.38 (I) MM_NO_STATE",
                    "00:27:07: ISAKMP: . auth pre-share")
    assert [(e.direction, e.peer, e.peer_port, e.state, e.conn_id) for e in events[:2]] == [
        ("out", "10.15.58.38", None, "MM_NO_STATE", 2), ("in", "10.15.58.38", None, "MM_NO_STATE", 2)]
    assert events[0].record.uptime == 27 * 60 + 7 and events[0].time is None
    assert events[2].detail == {"auth": "pre-share"}   # a ping dot before the attribute


def test_ios_12_sa_request_record():
    """The same Cisco guide: an ``IPSEC(sa_request)`` record of 12.x (src=/dest=, src_proxy=/dest_proxy=)."""
    events = _lines("00:27:07: IPSEC(sa_request): ,",
                    "(key eng. msg.) src= 10.15.58.10, dest= 10.15.58.38,",
                    "src_proxy= 192.168.1.0/255.255.255.0/0/0 (type=4),",
                    "dest_proxy= 192.168.2.0/255.255.255.0/0/0 (type=4),",
                    "protocol= ESP, transform= esp-des esp-md5-hmac ,",
                    "lifedur= 3600s and 4608000kb,",
                    "spi= 0x5AE6C721(1525073697), conn_id= 0, keysize= 0, flags= 0x4004")
    assert len(events) == 1
    e = events[0]
    assert (e.kind, e.facility, e.local, e.peer) == ("proposal", "IPSEC", "10.15.58.10", "10.15.58.38")
    assert (e.record.line, e.record.last_line) == (1, 7)
    assert e.detail == {"function": "sa_request", "src_proxy": "192.168.1.0/255.255.255.0/0/0 (type=4)",
                        "dest_proxy": "192.168.2.0/255.255.255.0/0/0 (type=4)", "protocol": "ESP",
                        "transform": "esp-des esp-md5-hmac", "lifedur": "3600s and 4608000kb", "flags": "0x4004",
                        "conn_id": 0, "keysize": 0, "spi": 0x5AE6C721}


def test_ios_retransmission():
    """The line CCNP notes quote as the sign of a key mismatch."""
    events = _lines("ISAKMP:(1002): retransmitting phase 1 MM_KEY_EXCH...")
    assert [(e.kind, e.direction, e.state, e.conn_id, e.detail) for e in events] == [
        ("packet", "out", "MM_KEY_EXCH", 1002, {"retransmission": True, "phase": 1})]


def test_ios_ikmp_no_sa_syslog():
    """From the same CML lab page as sample 03 (the hub's side): a syslog line with ping marks glued on."""
    events = _lines("*Oct 25 19:16:01.153: %CRYPTO-4-IKMP_NO_SA: IKE message from 203.0.113.10 has no SA and is "
                    "not an initialization offer.!!!!")
    assert [(e.kind, e.facility, e.peer) for e in events] == [("error", "CRYPTO-4-IKMP_NO_SA", "203.0.113.10")]


def test_message_id_and_vpi_helpers():
    assert ios.message_id("-889293300") == 3405673996
    assert ios.message_id("1371333358") == 1371333358
    assert ios.vpi_value("0x0 0x46 0x50 0x0") == 4608000
    assert ios.vpi_value(" 0x0 0x1 0x51 0x80 ") == 86400
