"""Cisco ASA IKE logs to events (correlate.asa): the two ASA samples of ../shared/debug-samples/ (each
parses with no line lost, and gives the events a reader finds in it), and the other forms ASAs write
(console debug tags, syslog servers, hex message IDs, SPIs)."""
from __future__ import annotations

import datetime as dt
import json
import random

import pytest

from conftest import SHARED
from correlate import asa
from correlate.model import Event, Record
from correlate.records import split_records

SAMPLES = SHARED / "debug-samples"
QM_POLICY = SAMPLES / "04-asa-ikev1-syslog-qm-crypto-map-policy-not-found.txt"
MM_WAIT4 = SAMPLES / "13-asa804-syslog-year-mm-wait-msg4-invalid-cookie.txt"


def _sample(path):
    if not path.exists():
        pytest.skip(f"{path} is not present (../shared is beside the repository in CI)")
    lines = path.read_text(errors="replace").splitlines()
    records = list(split_records(lines, path.name, 2016))
    return lines, records, [e for r in records for e in asa.events(r)]


def _rec(text: str) -> Record:
    return Record("test.log", 1, 1, text, [text], family="asa")


def _one(text: str) -> Event:
    evs = asa.events(_rec(text))
    assert len(evs) == 1, (text, evs)
    return evs[0]


@pytest.mark.parametrize("path", [QM_POLICY, MM_WAIT4], ids=lambda p: p.name[:2])
def test_sample_no_line_lost(path):
    lines, records, _ = _sample(path)
    assert [n for r in records for n in range(r.line, r.last_line + 1)] == list(range(1, len(lines) + 1))
    assert {r.family for r in records} == {"asa"}
    assert all(asa.events(r) for r in records if "IKE_DECODE" in r.text)


def test_sample_04_qm_fsm_error_crypto_map_policy_not_found():
    """Console debug (``Nov 08 07:10:05 [IKEv1]Group = …, IP = …, …``): four Quick Mode attempts from
    192.0.2.2, each failing the same way 5 s apart: QM FSM error, the correlator-table message, teardown
    because no crypto map entry matches (the crypto-map name typo).  No packet is logged."""
    _, records, events = _sample(QM_POLICY)
    assert not [e for e in events if e.kind == "packet"]
    assert len(events) == 12 and {e.kind for e in events} == {"error"}
    assert {(e.peer, e.detail["tunnel_group"], e.facility) for e in events} == {("192.0.2.2", "192.0.2.2", "IKEv1")}
    fsm = [e for e in events if e.detail.get("error") == "QM FSM error"]
    assert [e.message_id for e in fsm] == [0xFC16EEC2, 0x03012DBD, 0x77A7A125, 0xA3D4A473]
    assert {e.exchange for e in fsm} == {"QUICK_MODE"}
    assert [e.record.time for e in fsm] == [dt.datetime(2016, 11, 8, 7, 10, s) for s in (5, 10, 15, 20)]
    torn = [e for e in events if e.detail.get("teardown")]
    assert [e.detail["reason"] for e in torn] == ["crypto map policy not found"] * 4
    assert [e.detail["refused"] for e in torn] == ["QM1"] * 4  # the peer's QM1, its identities matched no map
    assert [e.message for e in events if e not in fsm and e not in torn] == \
        ["Removing peer from correlator table failed, no match!"] * 4


def test_teardown_names_the_refused_message_only_for_a_refusal():
    e = _one("[IKEv1]Group = 10.1.1.1, IP = 10.1.1.1, Session is being torn down. Reason: User Requested")
    assert (e.kind, e.detail.get("refused")) == ("sa_deleted", None)
    e = _one("[IKEv1]Group = 10.1.1.1, IP = 10.1.1.1, Session is being torn down. Reason: Phase 2 Mismatch")
    assert (e.kind, e.detail.get("refused")) == ("error", None)


def test_sample_13_mm_wait_msg4_invalid_cookie():
    """ASA 8.0.4 syslog buffer (``Jun 10 2010 17:36:05: %ASA-7-713236: IP = …``), initiator toward
    198.51.100.233: MM1 sent (148 bytes), MM2 received (108), MM3 sent (256), 5 s of silence, MM3 resent,
    then two un-encrypted INVALID_COOKIE notifies (68 bytes each) and "Information Exchange processing
    failed" (syslog, then once more in console format without a year)."""
    _, records, events = _sample(MM_WAIT4)
    packets = [e for e in events if e.kind == "packet"]
    assert [(e.direction, e.message_id, e.bytes, e.payloads, bool(e.detail.get("retransmission")))
            for e in packets] == [
        ("out", 0, 148, ["SA", "VENDOR", "VENDOR", "VENDOR"], False),
        ("in", 0, 108, ["SA", "VENDOR"], False),
        ("out", 0, 256, ["KE", "NONCE", "VENDOR", "VENDOR", "VENDOR", "VENDOR"], False),
        ("out", 0, 256, ["KE", "NONCE", "VENDOR", "VENDOR", "VENDOR", "VENDOR"], True),
        ("in", 0, 68, ["NOTIFY"], False),
        ("in", 0, 68, ["NOTIFY"], False),
    ]
    assert sum(e.direction == "out" for e in packets) == 3 and sum(e.direction == "in" for e in packets) == 3
    assert packets[0].detail["payload_types"] == [1, 13, 13, 13]
    assert {(e.peer, e.facility, e.detail["severity"]) for e in packets} == {("198.51.100.233", "ASA-7-713236", 7)}
    assert [e.record.line for e in packets] == [7, 8, 22, 25, 26, 27]
    errors = [e for e in events if e.kind == "error"]
    assert [(e.record.line, e.facility) for e in errors] == [(28, "ASA-5-713904"), (29, "ASA-4-713903"),
                                                             (30, "IKEv1")]
    assert (errors[0].detail["notify"], errors[0].detail["encrypted"], errors[0].direction) == \
        ("INVALID_COOKIE", False, "in")
    assert errors[1].message == errors[2].message == "Information Exchange processing failed"
    built = [e.payloads[0] for e in events if e.kind == "payload" and e.direction == "out"]
    assert built == ["ISAKMP SA", "NAT-Traversal VID ver 02", "NAT-Traversal VID ver 03",
                     "Fragmentation VID + extended capabilities", "ke", "nonce", "Cisco Unity VID", "xauth V6 VID",
                     "ASA spoofing IOS Vendor ID", "VID"]
    assert [e.payloads[0] for e in events if e.kind == "payload" and e.direction == "in"] == ["SA", "VID"]
    new = [e for e in events if e.detail.get("phase") == 1]
    assert [(e.peer, e.detail["crypto_map"], e.detail["local_proxy"], e.detail["remote_proxy"]) for e in new] == \
        [("198.51.100.233", "MAP-VPN", "192.168.245.120", "10.3.10.122")]
    assert [e.kind for e in events if e.record.line == 10] == ["proposal"]
    assert [(e.spi, e.peer) for e in events if e.detail.get("key_engine")] == [(0, None), (0, None)]
    assert records[0].time == dt.datetime(2010, 6, 10, 17, 36, 5)


def test_decode_forms():
    e = _one("[IKEv1 DECODE]IP = 192.0.2.9, IKE_DECODE RECEIVED Message (msgid=38a6c0a5) with payloads : "
             "HDR + HASH (8) + SA (1) + NONCE (10) + ID (5) + ID (5) + NONE (0) total length : 172")
    assert (e.kind, e.direction, e.message_id, e.bytes, e.payloads, e.facility, e.peer) == \
        ("packet", "in", 0x38A6C0A5, 172, ["HASH", "SA", "NONCE", "ID", "ID"], "IKEv1", "192.0.2.9")
    e = _one("%ASA-7-713236: Group = L2L, IP = 2001:DB8::9, IKE_DECODE SENDING Message (msgid=0x6dee0b6f) with "
             "payloads : HDR + HASH (8) + NOTIFY (11) + NONE (0) total length :84")
    assert (e.direction, e.message_id, e.bytes, e.payloads, e.peer, e.detail["tunnel_group"]) == \
        ("out", 0x6DEE0B6F, 84, ["HASH", "NOTIFY"], "2001:db8::9", "L2L")
    e = _one("fw01 : %ASA-7-713236: IP = 192.0.2.9, IKE_DECODE RESENDING Message (msgid=0) with payloads : HDR + "
             "ID (5) + HASH (8) + NONE (0) total length : 92")
    assert (e.direction, e.detail["retransmission"], e.facility, e.detail["severity"]) == \
        ("out", True, "ASA-7-713236", 7)


def test_other_forms():
    e = _one("[IKEv1]Group = 192.0.2.2, IP = 192.0.2.2, PHASE 2 COMPLETED (msgid=1a2b3c4d)")
    assert (e.kind, e.message_id, e.detail["phase"], e.exchange) == ("sa_created", 0x1A2B3C4D, 2, "QUICK_MODE")
    e = _one("[IKEv1]Group = 192.0.2.2, IP = 192.0.2.2, PHASE 1 COMPLETED")
    assert (e.kind, e.detail["phase"]) == ("sa_created", 1)
    e = _one("%ASA-5-713049: Group = 192.0.2.2, IP = 192.0.2.2, Security negotiation complete for LAN-to-LAN "
             "Group (192.0.2.2)  Responder, Inbound SPI = 0x8d4f7b0e, Outbound SPI = 0x1d2e3f40")
    assert (e.kind, e.spi, e.detail["spi_out"], e.detail["role"]) == ("sa_created", 0x8D4F7B0E, 0x1D2E3F40, "responder")
    e = _one("[IKEv1 DEBUG]Group = 192.0.2.2, IP = 192.0.2.2, IKE got SPI from key engine: SPI = 0x8d4f7b0e")
    assert (e.kind, e.spi) == ("info", 0x8D4F7B0E)
    e = _one("[IKEv1 DEBUG]Group = 192.0.2.2, IP = 192.0.2.2, processing hash payload")
    assert (e.kind, e.direction, e.payloads) == ("payload", "in", ["hash"])
    e = _one("[IKEv1]Group = 192.0.2.2, IP = 192.0.2.2, Session is being torn down. Reason: User Requested")
    assert (e.kind, e.detail["reason"]) == ("sa_deleted", "User Requested")
    e = _one("[IKEv1]Group = 192.0.2.2, IP = 192.0.2.2, Session is being torn down. Reason: Lost Service")
    assert e.kind == "error"
    e = _one("%ASA-3-713902: Group = 192.0.2.2, IP = 192.0.2.2, All IPSec SA proposals found unacceptable!")
    assert (e.kind, e.detail["accepted"]) == ("error", False)
    e = _one("%ASA-7-713906: IP = 192.0.2.2, IKE SA Proposal # 1, Transform # 1 acceptable "
             "Matches global IKE entry # 1")
    assert (e.kind, e.detail["accepted"]) == ("proposal", True)
    e = _one("%ASA-7-715036: Group = 192.0.2.2, IP = 192.0.2.2, Sending keep-alive of type DPD R-U-THERE "
             "(seq number 0x6a3b1f20)")
    assert (e.kind, e.direction, e.detail["notify"], e.detail["dpd_seq"]) == ("notify", "out", "R-U-THERE", 0x6A3B1F20)
    e = _one("%ASA-7-715047: IP = 192.0.2.2, Received non-routine Notify message: Invalid cookie (11)")
    assert (e.kind, e.detail["notify_type"]) == ("error", 11)
    e = _one("%ASA-7-715047: IP = 192.0.2.2, Received non-routine Notify message: Responder lifetime (24576)")
    assert e.kind == "notify"
    e = _one("%ASA-4-713903: Group = 192.0.2.2, IP = 192.0.2.2, Received encrypted Oakley Main Mode packet with "
             "invalid payloads, MessID = 0")
    assert (e.kind, e.exchange, e.message_id) == ("error", "ID_PROT", 0)
    e = _one("%ASA-7-713906: Group = RA, Username = alice, IP = 192.0.2.5, Duplicate Phase 1 packet detected.  "
             "Retransmitting last packet.")
    assert (e.detail["retransmission"], e.detail["user"], e.peer) == (True, "alice", "192.0.2.5")
    assert asa.events(_rec("%ASA-7-715064: IP = 198.51.100.233, IKE Peer included IKE fragmentation capability "
                           "flags:  Main Mode:        True  Aggressive Mode:True")) == []


def test_never_raises():
    rnd = random.Random(4)
    alphabet = "%ASA-7-0123456789:[]IKEv1 DEBUG=,.()+GroupIP_DECODE SENDING Message msgid total length\x00\u00e9"
    texts = ["", " ", "%ASA-", "%ASA-7-713236:", "[IKEv1]", "IP = ", "Group = ,", "IP = 999.1.1.1, x",
             "IKE_DECODE SENDING Message (msgid=zz) with payloads : total length : 9999999999999999999",
             "IKE_DECODE RECEIVED Message (msgid=ffffffffff) with payloads : + + total length : 1",
             "QM FSM error (P2 struct &0x1, mess id 0x)!"]
    texts += ["".join(rnd.choice(alphabet) for _ in range(rnd.randrange(1, 150))) for _ in range(3000)]
    for t in texts:
        for e in asa.events(_rec(t)):
            assert e.message_id is None or 0 <= e.message_id <= 0xFFFFFFFF
            json.dumps(e.to_dict())
