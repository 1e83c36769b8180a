"""strongSwan charon logs to events (correlate.strongswan), on the lab's real logs and on the other
forms charon writes (syslog, journal, log_level, no IKE_SA tag).

The acceptance test of issue 5: for every lab case in captures/, each side's charon log gives exactly one
``packet`` event per IKE (ISAKMP) packet that side sent or received in the capture, in the capture's order,
with the same direction, addresses and ports (the capture is taken on the left side's interface; the right
side's log describes the same packets from the other end, and no packet is lost on the veth pair).

Byte counts (checked against the pcap itself, not only truth.json): charon's ``(N bytes)`` is the ISAKMP
message, i.e. the UDP payload on port 500, and the UDP payload less the 4-byte non-ESP marker on port 4500
(MM5 on 4500: UDP payload 112, charon "108 bytes", ISAKMP length 108).  It equals truth's ``isakmp_len``
for every IKE packet of every case.

What charon logs that is not a ``packet`` event: the socket threads (sender/receiver) log every datagram a
second time at level 2, without the byte count (``05[NET] sending packet: from A[4500] to B[4500]``), and
for UDP-encapsulated ESP as well (kernel-libipsec); those become ``info`` events with
``detail["socket"]``, exactly one per UDP datagram in the capture (IKE and ESP).  No IKE packet is logged
but not captured, or captured but not logged, in any case: v6-psk-mismatch's two MM5 retransmissions and
the three INFORMATIONALs (PAYLOAD_MALFORMED) that answer them are all in both logs; v4-rekey-dpd's rekeys,
DPD R-U-THERE/ACKs, second Main Mode and deletes (54 IKE packets) too.
"""
from __future__ import annotations

import ipaddress
import json
import random
import re
import struct
from pathlib import Path

import pytest

from conftest import CAPTURES, shipped_cases
from correlate import strongswan
from correlate.logparse import parse_log_text
from correlate.model import Event, Record
from correlate.records import split_records

CASES = shipped_cases()
SIDES = ("left", "right")


def _case_ids(case_side):
    case, side = case_side
    return f"{case.name}/{side}"


CASE_SIDES = [(c, s) for c in CASES for s in SIDES if (c / f"{s}.log").is_file()]


def _truth(case: Path) -> dict:
    return json.loads((case / "truth.json").read_text())


_EVENTS: dict[Path, tuple[list[Record], list[Event]]] = {}


def _log(path: Path) -> tuple[list[Record], list[Event]]:
    if path not in _EVENTS:
        records = list(split_records(path.read_text().splitlines(), path.name, 2026))
        events = [e for r in records if r.family == "strongswan" for e in strongswan.events(r)]
        _EVENTS[path] = (records, events)
    return _EVENTS[path]


def _me(truth: dict, side: str) -> str:
    return truth["initiator" if side == "left" else "responder"]["addr"]


def _rec(text: str, family: str = "strongswan") -> Record:
    return Record("test.log", 1, 1, text, [text], family=family)


def _one(text: str) -> Event:
    evs = strongswan.events(_rec(text))
    assert len(evs) == 1, (text, evs)
    return evs[0]


# --- the capture, read without ikescope's own reader -------------------------------------------------

def _udp_datagrams(pcap: Path) -> dict[int, tuple[str, str, int, int, bytes]]:
    """Frame number -> (src, dst, sport, dport, UDP payload) for every UDP frame of a pcap (Ethernet,
    802.1Q, IPv4 without fragments, IPv6 without extension headers: what the lab captures are)."""
    data = pcap.read_bytes()
    magic = data[:4]
    endian = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    linktype = struct.unpack(endian + "I", data[20:24])[0]
    assert linktype == 1, f"{pcap}: link type {linktype}, the test reads Ethernet only"
    out: dict[int, tuple[str, str, int, int, bytes]] = {}
    pos, number = 24, 0
    while pos + 16 <= len(data):
        incl = struct.unpack(endian + "I", data[pos + 8:pos + 12])[0]
        frame = data[pos + 16:pos + 16 + incl]
        pos += 16 + incl
        number += 1
        eth_type, off = struct.unpack("!H", frame[12:14])[0], 14
        while eth_type in (0x8100, 0x88A8):
            eth_type, off = struct.unpack("!H", frame[off + 2:off + 4])[0], off + 4
        if eth_type == 0x0800:
            ihl = (frame[off] & 0x0F) * 4
            proto, total = frame[off + 9], struct.unpack("!H", frame[off + 2:off + 4])[0]
            src, dst = ipaddress.ip_address(frame[off + 12:off + 16]), ipaddress.ip_address(frame[off + 16:off + 20])
            l4, end = off + ihl, off + total
        elif eth_type == 0x86DD:
            proto, plen = frame[off + 6], struct.unpack("!H", frame[off + 4:off + 6])[0]
            src, dst = ipaddress.ip_address(frame[off + 8:off + 24]), ipaddress.ip_address(frame[off + 24:off + 40])
            l4, end = off + 40, off + 40 + plen
        else:
            continue
        if proto != 17:
            continue
        sport, dport, ulen = struct.unpack("!HHH", frame[l4:l4 + 6])
        assert l4 + ulen == end
        out[number] = (str(src), str(dst), sport, dport, frame[l4 + 8:l4 + ulen])
    return out


def _expected_packets(truth: dict, side: str, kinds=("ISAKMP",)) -> list[tuple]:
    me = _me(truth, side)
    exp = []
    for f in truth["frame_table"]:
        if f["kind"] not in kinds:
            continue
        size = f["isakmp_len"] if f["kind"] == "ISAKMP" else None
        if f["src"] == me:
            exp.append(("out", f["dst"], f["dport"], f["src"], f["sport"], size))
        elif f["dst"] == me:
            exp.append(("in", f["src"], f["sport"], f["dst"], f["dport"], size))
    return exp


# --- the acceptance tests on the lab cases -------------------------------------------------------------

@pytest.mark.parametrize("case_side", CASE_SIDES, ids=_case_ids)
def test_one_packet_event_per_ike_packet(case_side):
    case, side = case_side
    truth = _truth(case)
    _, events = _log(case / f"{side}.log")
    got = [(e.direction, e.peer, e.peer_port, e.local, e.local_port, e.bytes) for e in events if e.kind == "packet"]
    assert got == _expected_packets(truth, side)
    packets = [e for e in events if e.kind == "packet"]
    assert all(e.facility == "NET" for e in packets)
    # logparse gives each sent packet the message ID of the generating (or retransmit) line before it
    # in its thread; received ones keep None (strongswan.link_message_ids says why)
    strongswan.link_message_ids(events)
    me = _me(truth, side)
    frames = [f for f in truth["frame_table"] if f["kind"] == "ISAKMP" and me in (f["src"], f["dst"])]
    assert [e.message_id for e in packets] == [f["mid"] if f["src"] == me else None for f in frames]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_byte_counts_are_udp_payload_less_non_esp_marker(case):
    """charon's byte count = the ISAKMP length in the header = UDP payload - 4 on port 4500 (marker)."""
    truth = _truth(case)
    datagrams = _udp_datagrams(case / "capture.pcap")
    ike = [f for f in truth["frame_table"] if f["kind"] == "ISAKMP"]
    assert ike
    _, left_events = _log(case / "left.log")
    left_bytes = [e.bytes for e in left_events if e.kind == "packet"]
    lengths = []
    for f in ike:
        src, dst, sport, dport, payload = datagrams[f["frame"]]
        assert (src, dst, sport, dport) == (f["src"], f["dst"], f["sport"], f["dport"])
        marker = payload[:4] == b"\x00\x00\x00\x00" and 4500 in (sport, dport)
        assert marker == f["non_esp_marker"] == (4500 in (sport, dport))
        isakmp = payload[4:] if marker else payload
        assert struct.unpack("!I", isakmp[24:28])[0] == len(isakmp) == f["isakmp_len"]
        lengths.append(len(payload) - (4 if marker else 0))
    assert left_bytes == lengths


@pytest.mark.parametrize("case_side", CASE_SIDES, ids=_case_ids)
def test_socket_lines_are_every_udp_datagram(case_side):
    """The socket threads' byte-less lines: one ``info`` event per UDP datagram (IKE and ESP-in-UDP)."""
    case, side = case_side
    truth = _truth(case)
    _, events = _log(case / f"{side}.log")
    got = [(e.direction, e.peer, e.peer_port, e.local, e.local_port, None)
           for e in events if e.kind == "info" and e.detail.get("socket")]
    exp = [t[:5] + (None,) for t in _expected_packets(truth, side, kinds=("ISAKMP", "ESP"))]
    assert got == exp
    assert not any(e.kind == "packet" and e.bytes is None for e in events)


@pytest.mark.parametrize("case_side", CASE_SIDES, ids=_case_ids)
def test_parsed_and_generating_lines_of_every_frame(case_side):
    """truth.json names, per IKE frame, the line of each log that says ``generating``/``parsed`` for it:
    the payload event of that line has the frame's exchange, message ID, direction and payloads."""
    case, side = case_side
    truth = _truth(case)
    records, _ = _log(case / f"{side}.log")
    by_line = {r.line: r for r in records}
    me = _me(truth, side)
    checked = 0
    for f in truth["frame_table"]:
        line = f.get(f"{side}_log_line")
        if f["kind"] != "ISAKMP" or line is None:
            continue
        evs = strongswan.events(by_line[line])
        assert len(evs) == 1 and evs[0].kind == "payload", (line, evs)
        e = evs[0]
        assert e.exchange == f["exch"]
        assert e.message_id == f["mid"]
        assert e.direction == ("out" if f["src"] == me else "in")
        summary = f[f"{side}_log_summary"].removesuffix(" (retransmitted)")
        what = "generating" if e.direction == "out" else "parsed"
        rr = "request" if e.detail["request"] else "response"
        assert summary.split() == f"{what} {e.exchange} {rr} {e.message_id} [ {' '.join(e.payloads)} ]".split()
        assert e.conn_id is not None and e.facility == "ENC"
        checked += 1
    assert checked >= 6


@pytest.mark.parametrize("case_side", CASE_SIDES, ids=_case_ids)
def test_quick_mode_message_ids(case_side):
    case, side = case_side
    truth = _truth(case)
    _, events = _log(case / f"{side}.log")
    qm = {e.message_id for e in events if e.kind == "payload" and e.exchange == "QUICK_MODE"}
    listed = {int(m, 16) for m in truth.get("quick_mode_message_ids") or []}
    per_sa = {q["message_id"] for sa in truth.get("ike_sas") or [] for q in sa.get("quick_modes") or []}
    on_wire = {f["mid"] for f in truth["frame_table"] if f.get("exch") == "QUICK_MODE"}
    # truth's quick_mode_message_ids lists the first IKE SA's Quick Modes; v4-rekey-dpd's fifth (0xea74adf0,
    # under the second IKE SA after the re-authentication) is in ike_sas[1].quick_modes and on the wire
    assert listed <= qm
    assert qm == on_wire == (per_sa or listed)
    assert all(0 <= e.message_id <= 0xFFFFFFFF for e in events if e.kind == "payload")


@pytest.mark.parametrize("case_side", CASE_SIDES, ids=_case_ids)
def test_sa_established_and_child_spis(case_side):
    case, side = case_side
    truth = _truth(case)
    _, events = _log(case / f"{side}.log")
    me = _me(truth, side)
    created = [e for e in events if e.kind == "sa_created"]
    ike = [e for e in created if e.detail["sa"] == "IKE_SA"]
    child = [e for e in created if e.detail["sa"] == "CHILD_SA"]
    if case.name == "v6-psk-mismatch":
        assert not created
        return
    assert ike and all(e.local == me and e.peer != me and e.conn_id == e.detail["unique_id"] for e in ike)
    if case.name.endswith("-port500"):     # kernel-netlink cannot install the SAs: no CHILD_SA established
        assert not child
        return
    spis = {int(sa["spi"], 16) for sa in truth["esp_sas"]}
    on_wire = {int(f["esp_spi"], 16): f["dst"] for f in truth["frame_table"] if f["kind"] == "ESP"}
    logged = {e.detail["spi_in"] for e in child} | {e.detail["spi_out"] for e in child}
    # every SPI of truth's esp_sas and of the ESP frames; v4-rekey-dpd's fifth CHILD_SA (second IKE SA) is
    # not in truth's esp_sas, but its SPIs are on the wire
    assert spis <= logged and set(on_wire) <= logged
    assert logged <= spis | set(on_wire)
    for e in child:
        assert e.spi == e.detail["spi_in"]
        inbound = [sa["dst"] for sa in truth["esp_sas"] if int(sa["spi"], 16) == e.spi] + \
            [dst for spi, dst in on_wire.items() if spi == e.spi]
        assert inbound and set(inbound) == {me}         # the _i SPI is the one this side receives
    closed = {e.spi for e in events if e.kind == "sa_deleted" and e.detail.get("sa") == "CHILD_SA"
              and "spi_in" in e.detail}
    sad_deleted = {e.spi for e in events if e.detail.get("sad_deleted") and e.detail["which"] == "inbound"}
    assert sad_deleted <= {e.spi for e in child}
    if case.name != "v4-rekey-dpd":     # there the SAs that expired (rekeyed) leave without this line
        assert sad_deleted == {e.spi for e in child}
    if case.name == "v6-ikev2-psk":    # IKEv2: the CHILD_SAs go with their IKE_SA, no "closing CHILD_SA"
        assert not closed and any(e.kind == "sa_deleted" and e.message == "IKE_SA deleted" for e in events)
    else:
        assert closed == {e.spi for e in child}


@pytest.mark.parametrize("case_side", CASE_SIDES, ids=_case_ids)
def test_conn_id_and_facility_from_the_prefix(case_side):
    case, side = case_side
    records, events = _log(case / f"{side}.log")
    tag = re.compile(r"^\d+\[([A-Z]+)\] (?:<(?:[^|>]*\|)?(\d+)>)?")
    for e in events:
        m = tag.match(e.record.text)
        assert e.facility == m[1]
        if "unique_id" in e.detail:    # the IKE_SA a message names ("initiating Main Mode IKE_SA lab[2]",
            assert e.conn_id == e.detail["unique_id"]     # logged by IKE_SA 1 when it re-authenticates)
        elif m[2] is not None:
            assert e.conn_id == int(m[2])
        assert e.detail["thread"] == int(e.record.text.split("[", 1)[0])


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_key_dumps_named_never_copied(case):
    """Loglevel-4 key dumps give ``keys`` events naming what was dumped and its size; the bytes (on the
    dump's own hex lines, which join the dump's record without entering its text) are in no event and in
    no record's text."""
    truth = _truth(case)
    secrets = set()
    for name in ("SKEYID", "SKEYID_d", "SKEYID_a", "SKEYID_e", "enc_key", "g_xy", "psk"):
        v = truth.get(name)
        if isinstance(v, str) and len(v) >= 16 and re.fullmatch(r"[0-9a-fA-F]+", v):
            secrets.add(v.lower())
    for sa in truth.get("esp_sas") or []:
        for k in ("enc_key", "auth_key"):
            if len(sa.get(k) or "") >= 16:
                secrets.add(sa[k].lower())
    forms = set()
    for s in secrets:
        forms |= {s, s.upper(), " ".join(s[i:i + 2] for i in range(0, 16, 2)).upper()}
    for name in ("psk", "psk_initiator", "psk_responder"):    # the PSK text (IKEv2 dumps it as "secret")
        if isinstance(truth.get(name), str) and len(truth[name]) >= 6:
            psk = truth[name].encode()
            forms |= {truth[name], " ".join(f"{b:02X}" for b in psk[:8])}
    assert len(forms) >= 3
    for side in SIDES:
        records, events = _log(case / f"{side}.log")
        keys = [e for e in events if e.kind == "keys"]
        names = {e.detail["name"] for e in keys}
        if truth.get("ike_version") == 2 or case.name == "v6-ikev2-psk":
            assert {"SKEYSEED", "Sk_ei secret", "Sk_er secret"} <= names
        else:
            assert {"SKEYID", "SKEYID_d", "SKEYID_a", "SKEYID_e", "encryption key Ka",
                    "shared Diffie Hellman secret"} <= names
        if not case.name.endswith(("-port500", "-psk-mismatch")):
            assert {"encryption initiator key", "encryption responder key"} <= names
        for e in keys:
            assert set(e.detail) <= {"thread", "conn", "name", "bytes"}
            assert e.message == f"{e.detail['name']} dumped ({e.detail['bytes']} bytes)"
            assert e.detail["bytes"] > 0
        blob = json.dumps([e.to_dict() for e in events])
        assert not any(f in blob for f in forms)
        # the dump's hex rows belong to the dump's record (its raw lines), never to a record's text
        texts = json.dumps([r.text for r in records])
        assert not any(f in texts for f in forms)
        dumps = [e.record for e in keys]
        assert all(r.last_line > r.line and len(r.raw) == r.last_line - r.line + 1 for r in dumps)


def test_psk_mismatch_story():
    case = next((c for c in CASES if c.name == "v6-psk-mismatch"), None)
    if case is None:
        pytest.skip("captures/v6-psk-mismatch is not present")
    _, left = _log(case / "left.log")
    _, right = _log(case / "right.log")
    retrans = [e for e in left if e.detail.get("retransmit")]
    assert [(e.detail["retransmit"], e.message_id, e.direction) for e in retrans] == [(1, 0, "out"), (2, 0, "out")]
    left_errors = [e.detail.get("error") for e in left if e.kind == "error"]
    assert left_errors.count("decryption failed") == 6      # "invalid HASH_V1 payload length" + "could not decrypt"
    assert left_errors.count("message parsing failed") == 3
    assert left_errors.count("processing failed") == 3
    assert "peer not responding" in left_errors
    assert any(e.message == "establishing IKE_SA failed, peer not responding" for e in left)
    infos = [e for e in left if e.kind == "error" and e.exchange == "INFORMATIONAL_V1"]
    assert len(infos) == 3 and all(e.message_id for e in infos)
    right_failed = [e for e in right if e.kind == "error" and e.detail.get("error") == "processing failed"]
    assert [(e.exchange, e.message_id, e.direction, e.conn_id) for e in right_failed] == [("ID_PROT", 0, "in", 1)] * 3
    assert [e.detail.get("payload") for e in right if e.detail.get("error") == "decryption failed" and
            e.detail.get("payload")] == ["ID_V1"] * 3
    notes = [e for e in right if e.kind == "payload" and e.direction == "out" and e.exchange == "INFORMATIONAL_V1"]
    assert [e.payloads for e in notes] == [["HASH", "N(PLD_MAL)"]] * 3
    assert any(e.kind == "sa_deleted" and e.state == "CONNECTING" for e in right)


def test_rekey_dpd_story():
    case = next((c for c in CASES if c.name == "v4-rekey-dpd"), None)
    if case is None:
        pytest.skip("captures/v4-rekey-dpd is not present")
    _, left = _log(case / "left.log")
    _, right = _log(case / "right.log")
    for events in (left, right):
        child = [e for e in events if e.kind == "sa_created" and e.detail["sa"] == "CHILD_SA"]
        assert len(child) == 5          # four Quick Modes under IKE SA 1, one under IKE SA 2
        ike = [e for e in events if e.kind == "sa_created" and e.detail["sa"] == "IKE_SA"]
        assert [e.conn_id for e in ike] == [1, 2]
        dpd = [e for e in events if e.kind == "payload" and any(p.startswith("N(DPD") for p in e.payloads)]
        assert dpd and all(e.exchange == "INFORMATIONAL_V1" for e in dpd)
    assert len([e for e in left if e.detail.get("dpd") == "request"]) == 10
    assert not [e for e in right if e.detail.get("dpd") == "request"]      # the responder has no DPD
    assert sum(1 for e in left if e.kind == "state" and e.state == "REKEYED") == 4


# --- the forms charon writes ----------------------------------------------------------------------------

def test_packet_lines_v4_and_v6():
    e = _one("04[NET] <lab|1> received packet: from 192.0.2.3[500] to 192.0.2.2[500] (164 bytes)")
    assert (e.kind, e.direction, e.peer, e.peer_port, e.local, e.local_port, e.bytes) == \
        ("packet", "in", "192.0.2.3", 500, "192.0.2.2", 500, 164)
    assert (e.conn_id, e.facility, e.detail) == (1, "NET", {"thread": 4, "conn": "lab"})
    e = _one("16[NET] <lab|7> sending packet: from 2001:DB8::2[4500] to 2001:db8::3[4500] (108 bytes)")
    assert (e.direction, e.peer, e.peer_port, e.local, e.local_port, e.bytes, e.conn_id) == \
        ("out", "2001:db8::3", 4500, "2001:db8::2", 4500, 108, 7)
    e = _one("05[NET] sending packet: from 2001:db8::2[4500] to 2001:db8::3[4500]")
    assert (e.kind, e.direction, e.bytes, e.detail["socket"], e.conn_id) == ("info", "out", None, True, None)


def test_message_summaries():
    e = _one("02[ENC] <lab|1> generating QUICK_MODE request 2322725273 [ HASH SA No ID ID ]")
    assert (e.kind, e.direction, e.exchange, e.message_id, e.payloads, e.detail["request"]) == \
        ("payload", "out", "QUICK_MODE", 2322725273, ["HASH", "SA", "No", "ID", "ID"], True)
    e = _one("01[ENC] <lab|1> parsed ID_PROT response 0 [ SA V V V V ]")
    assert (e.direction, e.exchange, e.message_id, e.payloads, e.detail["request"]) == \
        ("in", "ID_PROT", 0, ["SA", "V", "V", "V", "V"], False)
    e = _one("09[ENC] <lab|1> parsed TRANSACTION request 451657371 [ HASH CPRQ(X_USER X_PWD) ]")
    assert e.payloads == ["HASH", "CPRQ(X_USER X_PWD)"]
    e = _one("09[ENC] <lab|1> generating IKE_SA_INIT request 0 [ SA KE No N(NATD_S_IP) N(NATD_D_IP) N(FRAG_SUP) ]")
    assert e.payloads == ["SA", "KE", "No", "N(NATD_S_IP)", "N(NATD_D_IP)", "N(FRAG_SUP)"]
    e = _one("12[ENC] <lab|1> parsed INFORMATIONAL response 2 [ ]")
    assert (e.exchange, e.message_id, e.payloads) == ("INFORMATIONAL", 2, [])
    e = _one("11[ENC] <lab|2> generating IKE_AUTH request 1 [ EF(1/2) ]")
    assert e.payloads == ["EF(1/2)"]
    for noise in ("04[ENC] parsed a ID_PROT message header", "14[ENC] <lab|1> generating payload of type HEADER",
                  "14[ENC] <lab|1>   generating rule 0 IKE_SPI", "14[ENC] <lab|1>    => 8 bytes @ 0x7f503c0314d8",
                  "14[ENC] <lab|1>    0: 28 AD DA 6D C6 F4 CE 75                          (..m...u"):
        assert strongswan.events(_rec(noise)) == []


def test_sa_lines():
    e = _one("02[IKE] <lab|1> IKE_SA lab[1] established between 192.0.2.2[192.0.2.2]...192.0.2.3[192.0.2.3]")
    assert (e.kind, e.conn_id, e.local, e.peer, e.detail["remote_id"]) == \
        ("sa_created", 1, "192.0.2.2", "192.0.2.3", "192.0.2.3")
    e = _one("13[IKE] IKE_SA moon[4] established between 192.0.2.1[C=CH, O=strongSwan, CN=moon]"
             "...2001:db8::9[C=CH, O=strongSwan, CN=sun]")
    assert (e.conn_id, e.peer, e.detail["local_id"], e.detail["name"]) == \
        (4, "2001:db8::9", "C=CH, O=strongSwan, CN=moon", "moon")
    e = _one("12[IKE] <lab|1> CHILD_SA net{1} established with SPIs c1a2b3c4_i c5d6e7f8_o and TS "
             "198.51.100.0/24 === 203.0.113.0/24")
    assert (e.kind, e.spi, e.detail["spi_out"], e.detail["child_id"], e.detail["ts_remote"]) == \
        ("sa_created", 0xC1A2B3C4, 0xC5D6E7F8, 1, "203.0.113.0/24")
    e = _one("12[IKE] <lab|1> CHILD_SA net{2} established with SPIs 0000a1b2_i 0000c3d4_o and CPIs 1234_i 5678_o "
             "and TS 10.0.0.0/8 === 10.1.0.0/16")
    assert (e.spi, e.detail["cpi_in"], e.detail["ts_local"]) == (0xA1B2, 0x1234, "10.0.0.0/8")
    e = _one("05[IKE] <lab|1> closing CHILD_SA net{1} with SPIs cc9ffa1c_i (336 bytes) c9a66e4a_o (336 bytes) and "
             "TS 2001:db8:1::/64 === 2001:db8:2::/64")
    assert (e.kind, e.spi, e.detail["bytes_in"], e.detail["spi_out"]) == ("sa_deleted", 0xCC9FFA1C, 336, 0xC9A66E4A)
    e = _one("03[IKE] <lab|1> closing expired CHILD_SA net{1} with SPIs 1e64b6e5_i 460344f4_o and TS "
             "198.51.100.0/24 === 203.0.113.0/24")
    assert (e.spi, e.detail["reason"]) == (0x1E64B6E5, "expired")
    e = _one("08[IKE] <lab|1> received DELETE for ESP CHILD_SA with SPI 460344f4")
    assert (e.kind, e.direction, e.spi) == ("sa_deleted", "in", 0x460344F4)
    e = _one("08[IKE] <lab|1> sending DELETE for IKE_SA lab[1]")
    assert (e.kind, e.direction, e.conn_id) == ("sa_deleted", "out", 1)
    e = _one("15[IKE] <lab|1> deleting IKE_SA lab[1] between 2001:db8::2[2001:db8::2]...2001:db8::3[2001:db8::3]")
    assert (e.kind, e.peer, e.local) == ("sa_deleted", "2001:db8::3", "2001:db8::2")
    e = _one("02[IKE] <lab|1> IKE_SA lab[1] state change: CONNECTING => ESTABLISHED")
    assert (e.kind, e.old_state, e.state, e.conn_id) == ("state", "CONNECTING", "ESTABLISHED", 1)
    e = _one("02[CHD] <lab|1> CHILD_SA net{1} state change: INSTALLING => INSTALLED")
    assert (e.old_state, e.state, e.detail["child_id"]) == ("INSTALLING", "INSTALLED", 1)


def test_dpd_retransmits_errors_notifies():
    e = _one("04[IKE] <lab|1> sending DPD request")
    assert (e.kind, e.direction, e.detail["dpd"]) == ("info", "out", "request")
    e = _one("12[IKE] <lab|1> sending retransmit 1 of request message ID 0, seq 3")
    assert (e.detail["retransmit"], e.message_id, e.direction) == (1, 0, "out")
    e = _one("07[IKE] <v2|3> retransmit 2 of request with message ID 1")
    assert (e.detail["retransmit"], e.message_id) == (2, 1)
    e = _one("07[IKE] <v2|3> received retransmit of request with ID 1, retransmitting response")
    assert (e.direction, e.message_id, e.detail["retransmit"]) == ("in", 1, "received")
    e = _one("10[IKE] <lab|1> received NO_PROPOSAL_CHOSEN error notify")
    assert (e.kind, e.direction, e.detail["notify"]) == ("error", "in", "NO_PROPOSAL_CHOSEN")
    e = _one("10[IKE] <v2|1> received AUTHENTICATION_FAILED notify error")
    assert (e.kind, e.detail["notify"]) == ("error", "AUTHENTICATION_FAILED")
    e = _one("10[IKE] <v2|1> received FRAGMENTATION_SUPPORTED notify")
    assert (e.kind, e.direction, e.detail["notify"]) == ("notify", "in", "FRAGMENTATION_SUPPORTED")
    for text, label in [("09[ENC] <lab|1> invalid HASH_V1 payload length, decryption failed?", "decryption failed"),
                        ("09[IKE] <lab|1> message parsing failed", "message parsing failed"),
                        ("09[ENC] <lab|1> integrity check failed", "integrity check failed"),
                        ("09[IKE] <lab|1> no shared key found for '192.0.2.2' - '192.0.2.3'", "no shared key"),
                        ("13[IKE] <lab|1> giving up after 5 retransmits", "peer not responding")]:
        e = _one(text)
        assert (e.kind, e.detail["error"]) == ("error", label), text
    e = _one("09[IKE] <lab|1> no shared key found for '192.0.2.2' - '192.0.2.3'")
    assert (e.detail["local_id"], e.detail["remote_id"]) == ("192.0.2.2", "192.0.2.3")
    for text in ("14[CFG] <lab|1> no acceptable proposal found", "13[IKE] <lab|1> establishing IKE_SA failed, "
                 "peer not responding", "11[CFG] no IKE config found for 192.0.2.2...192.0.2.3, sending "
                 "NO_PROPOSAL_CHOSEN", "08[IKE] <lab|1> tried 1 shared key for '192.0.2.2' - '192.0.2.3', "
                 "but MAC mismatched",
                 "06[IKE] <lab|1> unable to install inbound and outbound IPsec SA (SAD) in kernel"):
        assert _one(text).kind == "error", text
    e = _one("16[IKE] <lab|1> ID_PROT request with message ID 0 processing failed")
    assert (e.kind, e.exchange, e.message_id, e.direction) == ("error", "ID_PROT", 0, "in")
    plugin = "00[LIB] feature CUSTOM:kernel-ipsec in plugin 'kernel-netlink' failed to load"
    assert strongswan.events(_rec(plugin)) == []


def test_other_lines():
    e = _one("14[IKE] <lab|1> initiating Main Mode IKE_SA lab[1] to 2001:db8::3")
    assert (e.kind, e.peer, e.exchange, e.conn_id, e.direction) == ("info", "2001:db8::3", "ID_PROT", 1, "out")
    e = _one("16[IKE] <1> 192.0.2.2 is initiating a Aggressive Mode IKE_SA")
    assert (e.peer, e.exchange, e.direction, e.conn_id) == ("192.0.2.2", "AGGRESSIVE", "in", 1)
    e = _one("01[CFG] <lab|1> selected proposal: IKE:AES_CBC_128/HMAC_SHA1_96/PRF_HMAC_SHA1/MODP_1024")
    assert (e.kind, e.detail["role"], e.detail["proposals"]) == \
        ("proposal", "selected", ["IKE:AES_CBC_128/HMAC_SHA1_96/PRF_HMAC_SHA1/MODP_1024"])
    e = _one("01[CFG] <lab|1> received proposals: ESP:AES_CBC_128/HMAC_SHA1_96/NO_EXT_SEQ, ESP:3DES_CBC/HMAC_MD5_96")
    assert len(e.detail["proposals"]) == 2
    assert _one("02[ESP] <lab|1> allocated SPI bd685cb1").spi == 0xBD685CB1
    e = _one("02[CHD] <lab|1>   SPI 0xc1a2b3c4, src 192.0.2.3 dst 192.0.2.2")
    assert (e.spi, e.detail["dst"]) == (0xC1A2B3C4, "192.0.2.2")
    e = _one("08[KNL] creating rekey job for CHILD_SA ESP/0x14c463c6/192.0.2.2")
    assert (e.spi, e.detail["protocol"]) == (0x14C463C6, "ESP")
    e = _one("11[NET] <lab|1> sending keep alive to 192.0.2.3[4500]")
    assert (e.kind, e.peer, e.peer_port, e.detail["keepalive"]) == ("info", "192.0.2.3", 4500, True)
    e = _one("01[IKE] <lab|1> received NAT-T (RFC 3947) vendor ID")
    assert (e.direction, e.detail["vendor_id"]) == ("in", "NAT-T (RFC 3947)")
    e = _one("16[IKE] <lab|1> SKEYID_e => 20 bytes @ 0x7f5034005e60")
    assert (e.kind, e.detail, e.message) == ("keys", {"thread": 16, "conn": "lab", "name": "SKEYID_e", "bytes": 20},
                                             "SKEYID_e dumped (20 bytes)")
    for not_keys in ("16[IKE] <lab|1> natd_hash => 20 bytes @ 0x7f50340064f0",
                     "16[ENC] <lab|1> plain => 64 bytes @ 0x7f50340074b0",
                     "02[IKE] <lab|1> next IV for MID 0 => 16 bytes @ 0x7f502c000c20"):
        assert strongswan.events(_rec(not_keys)) == []


def test_prefix_variants():
    """log_level = yes (``IKE2``), no IKE_SA tag (``ike_name = no``, the default), an unnamed tag (``<1>``),
    charon's syslog tag left in the text, and charon-systemd's journal (message only)."""
    line = "received packet: from 192.0.2.3[500] to 192.0.2.2[500] (164 bytes)"
    for text, facility, conn, thread in [(f"14[NET2] <lab|1> {line}", "NET", 1, 14),
                                         (f"14[NET] {line}", "NET", None, 14),
                                         (f"14[NET] <3> {line}", "NET", 3, 14),
                                         (f"charon: 14[NET] <lab|1> {line}", "NET", 1, 14),
                                         (f"gw charon[812]: 05[NET] {line}", "NET", None, 5),
                                         (f"charon-systemd[812]: {line}", "", None, None), (line, "", None, None)]:
        e = _one(text)
        assert (e.kind, e.peer, e.bytes, e.facility, e.conn_id, e.detail.get("thread")) == \
            ("packet", "192.0.2.3", 164, facility, conn, thread), text


def test_through_records_syslog_filelog_and_wrapped():
    """Through correlate.records: filelog with and without time_format, syslog, and a packet line that a
    ticket wrapped (its continuation joins the record)."""
    lines = [
        "Nov 29 13:45:14.430 14[NET] <lab|1> sending packet: from 192.0.2.2[500] to 192.0.2.3[500] (184 bytes)",
        "Nov  9 13:45:14 14[NET] <lab|1> sending packet: from 192.0.2.2[500] to 192.0.2.3[500] (184 bytes)",
        "14[NET] <lab|1> sending packet: from 192.0.2.2[500] to 192.0.2.3[500] (184 bytes)",
        "Nov 29 13:45:14 gw charon: 14[NET] <lab|1> sending packet: from 192.0.2.2[500] to 192.0.2.3[500] (184 bytes)",
        "Nov 29 13:45:14 gw charon[812]: 14[NET] <lab|1> sending packet: from 192.0.2.2[500] to 192.0.2.3[500]",
        "(184 bytes)",
    ]
    records = list(split_records(lines, "t.log", 2026))
    assert [r.family for r in records] == ["strongswan"] * 5 and records[-1].last_line == 6
    for r in records:
        evs = strongswan.events(r)
        assert [(e.kind, e.direction, e.peer, e.bytes, e.conn_id) for e in evs] == \
            [("packet", "out", "192.0.2.3", 184, 1)], r.text


def test_journal_key_dump_with_hex_continuation():
    """charon-systemd's journal logs a dump as one message with its hex lines, which journalctl indents:
    they join the header's record.  The keys event names the dump; the bytes stay out of it."""
    text = ("SKEYID_e => 20 bytes @ 0x7f5034005e60 0: 03 76 1E 5A 9B 11 22 33 44 55 66 77 88 99 AA BB  "
            ".v.Z...\"3DUfw.. 16: CC DD EE FF  ....")
    e = _one(text)
    assert (e.kind, e.detail) == ("keys", {"name": "SKEYID_e", "bytes": 20})
    d = e.to_dict()
    d.pop("text")
    assert "03 76" not in json.dumps(d)


def test_never_raises():
    rnd = random.Random(5)
    alphabet = "0123456789[]<>|:=@ ()_abcdefxyzABCDEFIKENTSPH.\\\t\x00\u00e9"
    texts = ["", " ", "[", "14[", "14[IKE]", "14[IKE] <", "14[IKE] <lab|", "14[IKE] <lab|1>", "<1>", "=> 20 bytes @",
             "14[NET] received packet: from [500] to [x] (9999999999999999999999 bytes)",
             "14[IKE] CHILD_SA x{1} established with SPIs zz_i yy_o",
             "14[ENC] parsed ID_PROT request 99999999999999 [ ]"]
    texts += ["".join(rnd.choice(alphabet) for _ in range(rnd.randrange(1, 120))) for _ in range(3000)]
    for t in texts:
        evs = strongswan.events(_rec(t))
        assert isinstance(evs, list)
        for e in evs:
            assert e.message_id is None or 0 <= e.message_id <= 0xFFFFFFFF
            json.dumps(e.to_dict())


def test_failures_newer_charon_words():
    """charon's words for a proposal that fits none (5.x "no acceptable proposal found", later "no IKE
    proposal found" / "no proposal found") and for a wrong PSK in Main Mode ("calculated HASH does not
    match HASH payload", ike_main_mode.c / phase1.c): error events."""
    from correlate.logparse import parse_log_text
    text = ("Nov 29 13:45:20.190 09[IKE] <1> calculated HASH does not match HASH payload\n"
            "Nov 29 13:45:20.191 09[CFG] <1> no IKE proposal found\n"
            "Nov 29 13:45:20.192 09[CFG] <1> no acceptable proposal found\n"
            "Nov 29 13:45:20.193 09[CFG] <1> no proposal found\n")
    events = parse_log_text(text, "charon.log", 2026).events
    assert [(e.kind, e.detail["error"], e.record.line) for e in events] == [
        ("error", "hash mismatch", 1), ("error", "no acceptable proposal", 2),
        ("error", "no acceptable proposal", 3), ("error", "no acceptable proposal", 4)]


def test_a_sent_packet_takes_no_message_id_from_a_generating_line_long_before():
    """v4-rekey-dpd's left log with the packet line of one generated message dropped: the next packet
    its thread sends (a later message, seconds on) does not take the dropped one's message ID."""
    case = CAPTURES / "v4-rekey-dpd"
    lines = (case / "left.log").read_text().splitlines()
    _, events = _log(case / "left.log")
    strongswan.link_message_ids(events)
    sent = [e for e in events if e.kind == "packet" and e.direction == "out" and e.message_id is not None]
    gens = {e.record.line: e for e in events if e.kind == "payload" and e.direction == "out"}
    # a sent packet whose thread sends again seconds later (more than LINK_WINDOW)
    assert strongswan.LINK_WINDOW < 2.0
    by_thread: dict[int, list] = {}
    for e in sent:
        by_thread.setdefault(e.detail["thread"], []).append(e)
    pair = next((a, b) for run in by_thread.values() for a, b in zip(run, run[1:])
                if (b.record.time - a.record.time).total_seconds() > 2.0)
    gen_b = max(n for n, g in gens.items() if n < pair[1].record.line and g.detail.get("thread") == pair[1].detail["thread"])
    assert gens[gen_b].message_id == pair[1].message_id
    # drop b's generating line and a's packet line: b's thread last generated a's message, long before
    kept = [line for n, line in enumerate(lines, 1) if n not in (gen_b, pair[0].record.line)]
    result = parse_log_text(kept, "dropped", year=2026)
    b = next(e for e in result.events if e.kind == "packet" and e.direction == "out"
             and e.record.text == pair[1].record.text)
    assert b.message_id is None
