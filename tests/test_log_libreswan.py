"""libreswan/Openswan pluto output and tcpdump's text decode to events (correlate.libreswan): the libreswan
sample of ../shared/debug-samples/ (every line in one record, and the events a reader finds in it), and the
other forms pluto and tcpdump write (Openswan's STATE_ prefixes and 2xx notify codes, IKEv2, notifies,
retransmissions, status output, debug lines, NAT-T, IPv6)."""
from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from correlate import libreswan
from correlate.model import EVENT_KINDS, Event, Record
from correlate.records import split_records

SHARED = Path(__file__).resolve().parents[2] / "shared"
SAMPLE = SHARED / "debug-samples" / "14-libreswan-ikev1-mm-qm-whack-plus-tcpdump-same-session.txt"
ROAD, EAST = "192.0.2.209", "198.51.100.23"


def _lines() -> list[str]:
    if not SAMPLE.exists():
        pytest.skip(f"{SAMPLE} is not present (../shared is beside the repository in CI)")
    return SAMPLE.read_text(errors="replace").splitlines()


def _sample():
    lines = _lines()
    records = list(split_records(lines, SAMPLE.name))
    return lines, records, [e for r in records for e in libreswan.events(r)]


def _rec(text: str, family: str = "libreswan", line: int = 1) -> Record:
    return Record("test.log", line, line, text, [text], family=family)


def _one(text: str) -> Event:
    evs = libreswan.events(_rec(text))
    assert len(evs) == 1, (text, evs)
    return evs[0]


def _whack_packets(evs):
    return [e for e in evs if e.kind == "packet" and e.facility == "pluto"]


def _tcpdump_packets(evs):
    return [e for e in evs if e.kind == "packet" and e.facility == "tcpdump"]


# ---- the sample -----------------------------------------------------------------------------------------------

def test_sample_every_line_in_exactly_one_record():
    lines, records, _ = _sample()
    covered = [n for r in records for n in range(r.line, r.last_line + 1)]
    assert covered == list(range(1, len(lines) + 1))
    for r in records:
        assert len(r.raw) == r.last_line - r.line + 1


def test_sample_main_and_quick_mode_requests():
    _, _, evs = _sample()
    sent = _whack_packets(evs)
    assert [(e.exchange, e.detail["message"], e.conn_id) for e in sent] == [
        ("ID_PROT", "I1", 1), ("ID_PROT", "I2", 1), ("ID_PROT", "I3", 1), ("QUICK_MODE", "I1", 2)]
    assert all(e.direction == "out" for e in sent)
    assert [e.detail["rc"] for e in sent] == ["1v1"] * 4
    assert all(e.detail["conn"] == "road" for e in sent)
    assert sum(e.exchange == "ID_PROT" for e in sent) == 3 and sum(e.exchange == "QUICK_MODE" for e in sent) == 1
    starts = [e for e in evs if e.kind == "state" and e.detail.get("initiating")]
    assert [(e.exchange, e.conn_id) for e in starts] == [("ID_PROT", 1), ("QUICK_MODE", 2)]
    assert starts[0].detail["ike_version"] == "IKEv1"
    assert starts[1].detail["policy"] == "PSK+ENCRYPT+TUNNEL+PFS+UP+IKE_FRAG_ALLOW+ESN_NO+ESN_YES"
    peer_id = [e for e in evs if "peer_id" in e.detail]
    assert len(peer_id) == 1 and peer_id[0].kind == "info"
    assert (peer_id[0].detail["peer_id_type"], peer_id[0].detail["peer_id"], peer_id[0].conn_id) == \
        ("ID_FQDN", "@east", 1)


def test_sample_isakmp_and_ipsec_sa_established():
    _, _, evs = _sample()
    created = [e for e in evs if e.kind == "sa_created"]
    assert len(created) == 2
    isakmp, ipsec = created
    assert isakmp.conn_id == 1 and isakmp.detail["phase"] == 1 and isakmp.detail["sa"] == "ISAKMP"
    assert {k: isakmp.detail[k] for k in ("auth", "cipher", "integ", "group")} == {
        "auth": "PRESHARED_KEY", "cipher": "AES_CBC_256", "integ": "HMAC_SHA2_256", "group": "MODP2048"}
    assert isakmp.detail["rc"] == "004"
    assert ipsec.conn_id == 2 and ipsec.detail["phase"] == 2 and ipsec.exchange == "QUICK_MODE"
    assert ipsec.detail["mode"] == "tunnel" and ipsec.detail["protocol"] == "ESP"
    assert ipsec.detail["xfrm"] == "AES_CBC_128-HMAC_SHA1_96"
    assert (ipsec.detail["cipher"], ipsec.detail["integ"], ipsec.detail["dpd"]) == \
        ("AES_CBC_128", "HMAC_SHA1_96", "passive")
    # the test harness scrubbed the SPIs: no number, the text kept
    assert ipsec.spi is None and ipsec.detail["spi_in"] is None and ipsec.detail["spi_out"] is None
    assert ipsec.detail["spi_in_text"] == ipsec.detail["spi_out_text"] == "0xESPESP"


def test_sample_trafficstatus():
    _, _, evs = _sample()
    status = [e for e in evs if e.kind == "sa_status"]
    assert len(status) == 1
    s = status[0]
    assert s.conn_id == 2 and s.detail["rc"] == "006"
    assert {k: s.detail[k] for k in ("conn", "type", "add_time", "in_bytes", "out_bytes", "max_bytes", "id")} == {
        "conn": "road", "type": "ESP", "add_time": 1234567890, "in_bytes": 0, "out_bytes": 0,
        "max_bytes": "2^63B", "id": "@east"}


def test_sample_tcpdump_isakmp_packets():
    lines, _, evs = _sample()
    pkts = _tcpdump_packets(evs)
    assert len(pkts) == 9
    assert [e.exchange for e in pkts] == ["ID_PROT"] * 6 + ["QUICK_MODE"] * 3
    assert [e.detail["role"] for e in pkts] == list("IRIRIRIRI")
    assert [e.detail["phase"] for e in pkts] == [1] * 6 + [2] * 3
    assert [e.detail["encrypted"] for e in pkts] == [False] * 4 + [True] * 5
    for e in pkts:
        sender_is_road = e.detail["role"] == "I"
        assert (e.detail["src"], e.detail["dst"]) == ((ROAD, EAST) if sender_is_road else (EAST, ROAD))
        assert e.detail["src_port"] == e.detail["dst_port"] == 500
        # the initiator's viewpoint, the same for every packet; no direction: whose console is not said
        assert (e.local, e.local_port, e.peer, e.peer_port) == (ROAD, 500, EAST, 500)
        assert e.direction is None and e.message_id is None and e.detail["ike_version"] == 1
    # each event's record holds the line it came from
    for e in pkts:
        at = [n for n, line in enumerate(lines, 1) if line.strip() and e.message.startswith(line.strip())]
        assert at and any(e.record.line <= n <= e.record.last_line for n in at), e.message
    ident = [n for n, line in enumerate(lines, 1) if "isakmp: phase 1" in line]
    quick = [n for n, line in enumerate(lines, 1) if "oakley-quick" in line]
    assert len(ident) == 6 and len(quick) == 3


def test_sample_no_errors_and_only_known_kinds():
    _, _, evs = _sample()
    assert not [e for e in evs if e.kind in ("error", "notify", "sa_deleted")]
    assert all(e.kind in EVENT_KINDS for e in evs)
    assert sum(e.kind == "packet" for e in evs) == 4 + 9
    for e in evs:
        json.dumps(e.to_dict())


def test_sample_line_by_line_gives_the_same_events():
    """Each physical line as a record of its own (what records.py gives once it knows every head; the
    tcpdump lines with family "" as well): the same events as the records of the sample."""
    lines, _, joined = _sample()
    evs = [e for n, line in enumerate(lines, 1) if line.strip()
           for e in libreswan.events(_rec(line.strip(), family="", line=n))]

    def key(e):
        return (e.kind, e.exchange, e.conn_id, e.direction, e.peer, e.local, e.spi,
                json.dumps(e.detail, sort_keys=True, default=str))
    assert [key(e) for e in evs] == [key(e) for e in joined]
    by_line = {e.record.line: e for e in evs if e.facility == "tcpdump"}
    assert sorted(by_line) == list(range(68, 77))
    assert sum(e.exchange == "ID_PROT" for e in by_line.values()) == 6
    assert sum(e.exchange == "QUICK_MODE" for e in by_line.values()) == 3


# ---- other forms ----------------------------------------------------------------------------------------------

def test_openswan_state_prefixes():
    e = _one('104 "west" #1: STATE_MAIN_I1: initiate')
    assert (e.kind, e.state, e.exchange, e.conn_id) == ("state", "STATE_MAIN_I1", "ID_PROT", 1)
    e = _one('106 "west" #1: STATE_MAIN_I2: sent MI2, expecting MR2')
    assert (e.kind, e.direction, e.exchange, e.state) == ("packet", "out", "ID_PROT", "STATE_MAIN_I2")
    assert (e.detail["message"], e.detail["expecting"]) == ("I2", "MR2")
    e = _one('004 "west" #1: STATE_MAIN_I4: ISAKMP SA established {auth=OAKLEY_PRESHARED_KEY cipher=aes_128 '
             'prf=oakley_sha group=modp2048}')
    assert e.kind == "sa_created" and e.state == "STATE_MAIN_I4"
    assert (e.detail["cipher"], e.detail["prf"], e.detail["group"]) == ("aes_128", "oakley_sha", "modp2048")
    evs = libreswan.events(_rec('004 "west" #2: STATE_QUICK_I2: sent QI2, IPsec SA established tunnel mode '
                                '{ESP=>0x1a2b3c4d <0xDEADBEEF xfrm=AES_128-HMAC_SHA1 NATOA=none NATD=none DPD=none}'))
    assert [e.kind for e in evs] == ["packet", "sa_created"]
    assert (evs[0].exchange, evs[0].detail["message"]) == ("QUICK_MODE", "I2")
    assert evs[1].spi == 0xDEADBEEF and evs[1].detail["spi_out"] == 0x1A2B3C4D
    assert evs[1].detail["natd"] == "none" and evs[1].conn_id == 2
    e = _one('"east" #1: STATE_MAIN_R1: sent MR1, expecting MI2')
    assert (e.direction, e.detail["message"], e.state) == ("out", "R1", "STATE_MAIN_R1")


def test_responder_and_aggressive_mode():
    # (pluto logs no line of its own for the first message it received: "responding to" is that message)
    e = _one('"east" #1: responding to Main Mode')
    assert (e.kind, e.direction, e.exchange, e.detail["responding"], e.detail["message"]) == \
        ("packet", "in", "ID_PROT", True, "I1")
    e = _one('"east" #2: responding to Quick Mode proposal {msgid:4bd3ff5b}')
    assert (e.kind, e.direction, e.exchange, e.message_id, e.conn_id) == ("packet", "in", "QUICK_MODE", 0x4BD3FF5B, 2)
    e = _one('"east" #2: sent Quick Mode reply, inbound IPsec SA installed, expecting confirmation')
    assert (e.kind, e.direction, e.exchange, e.detail["message"]) == ("packet", "out", "QUICK_MODE", "R1")
    e = _one('1v1 "road" #1: sent Aggressive Mode request')
    assert (e.exchange, e.detail["message"]) == ("AGGRESSIVE", "I1")
    e = _one('"road" #1: received Main Mode R2')
    assert (e.kind, e.direction, e.detail["message"]) == ("packet", "in", "R2")


def test_ikev2_lines():
    e = _one('1v2 "west" #1: initiating IKEv2 connection to 192.1.2.23 using UDP')
    assert (e.kind, e.exchange, e.peer) == ("state", "IKE_SA_INIT", "192.1.2.23")
    e = _one('1v2 "west" #1: sent IKE_SA_INIT request to 192.1.2.23:500')
    assert (e.kind, e.direction, e.exchange, e.peer, e.peer_port) == ("packet", "out", "IKE_SA_INIT", "192.1.2.23", 500)
    e = _one('1v2 "west" #1: processed IKE_SA_INIT response from 192.1.2.23:500 {cipher=AES_GCM_16_256 integ=n/a '
             'prf=HMAC_SHA2_512 group=DH19}, initiating IKE_AUTH')
    assert (e.direction, e.detail["message"], e.detail["group"]) == ("in", "response", "DH19")
    e = _one('1v2 "west" #1: sent IKE_AUTH request to [2001:db8::23]:4500 {cipher=AES_GCM_16_256}')
    assert (e.exchange, e.peer, e.peer_port) == ("IKE_AUTH", "2001:db8::23", 4500)
    e = _one("003 \"west\" #1: initiator established IKE SA; authenticated peer '@east'")
    assert (e.kind, e.detail["phase"]) == ("sa_created", 1)
    e = _one('004 "west" #2: initiator established Child SA using #1; IPsec tunnel [192.0.1.0/24===192.0.2.0/24] '
             '{ESP/ESN=>0xa1b2c3d4 <0x11223344 xfrm=AES_GCM_16_256-NONE DPD=passive}')
    assert (e.kind, e.spi, e.detail["spi_out"], e.detail["protocol"]) == ("sa_created", 0x11223344, 0xA1B2C3D4,
                                                                         "ESP/ESN")
    assert (e.detail["cipher"], e.detail["integ"]) == ("AES_GCM_16_256", "NONE")
    assert e.detail["traffic_selectors"] == "[192.0.1.0/24===192.0.2.0/24]"


@pytest.mark.parametrize("text,notify,direction", [
    ('003 "west" #1: ignoring informational payload NO_PROPOSAL_CHOSEN, msgid=00000000, length=12',
     "NO_PROPOSAL_CHOSEN", "in"),
    ('003 "west" #1: received and ignored notification payload: INVALID_ID_INFORMATION', "INVALID_ID_INFORMATION",
     "in"),
    ('"west" #1: ignoring unauthenticated informational payload INVALID_ID_INFORMATION, length=12',
     "INVALID_ID_INFORMATION", "in"),
    ('003 "west" #1: IKE_AUTH response contained the error notification AUTHENTICATION_FAILED',
     "AUTHENTICATION_FAILED", "in"),
    ('"east" #1: sending notification INVALID_ID_INFORMATION to 192.1.2.45:500', "INVALID_ID_INFORMATION", "out"),
    ('214 "west" #1: STATE_MAIN_I1: NO_PROPOSAL_CHOSEN', "NO_PROPOSAL_CHOSEN", "in"),
    ('224 "west" #1: STATE_MAIN_I3: AUTHENTICATION_FAILED', "AUTHENTICATION_FAILED", "in"),
])
def test_error_notifies(text, notify, direction):
    e = _one(text)
    assert (e.kind, e.detail["notify"], e.direction) == ("error", notify, direction)
    assert e.conn_id == 1


def test_status_notify_and_message_id():
    e = _one('"west" #1: ignoring informational payload R_U_THERE, msgid=0badcafe, length=28')
    assert (e.kind, e.detail["notify"], e.message_id) == ("notify", "R_U_THERE", 0x0BADCAFE)
    e = _one('"west" #1: ignoring informational payload NO_PROPOSAL_CHOSEN, msgid=00000000, length=12')
    assert e.message_id == 0
    e = _one('"east" #1: sending notification INVALID_ID_INFORMATION to 192.1.2.45:500')
    assert (e.peer, e.peer_port) == ("192.1.2.45", 500)


def test_retransmissions_and_giving_up():
    e = _one('010 "L2TP-PSK" #1: STATE_MAIN_I1: retransmission; will wait 0.5 seconds for response')
    assert (e.kind, e.direction, e.state, e.detail["wait"], e.detail["retransmission"]) == \
        ("error", "out", "STATE_MAIN_I1", 0.5, True)
    e = _one('"west" #1: max number of retransmissions (8) reached STATE_MAIN_I1.  No response (or no acceptable '
             'response) to our first IKEv1 message')
    assert (e.kind, e.detail["retransmits"], e.detail["in_state"]) == ("error", 8, "STATE_MAIN_I1")
    e = _one('031 "L2TP-PSK" #1: STATE_MAIN_I1: 60 second timeout exceeded after 7 retransmits.  No response')
    assert (e.kind, e.detail["retransmits"], e.detail["error"]) == ("error", 7, "peer not responding")
    e = _one('003 ERROR: "L2TP-PSK" #1: sendto on lo to 198.51.100.1:500 failed in reply packet for main_outI1. '
             'Errno 22: Invalid argument')
    assert (e.kind, e.detail["severity"], e.detail["conn"]) == ("error", "ERROR", "L2TP-PSK")
    e = _one('"road" #1: DPD: No response from peer - declaring peer dead')
    assert e.kind == "error"
    e = _one('"road" #5: NO_PROPOSAL_CHOSEN in quick mode')
    assert (e.kind, e.detail["notify"]) == ("error", "NO_PROPOSAL_CHOSEN")


def test_deletes_and_notes():
    e = _one('pluto[1234]: "road"[1] 192.0.2.7 #3: deleting state (STATE_QUICK_R2) aged 3.2s and sending '
             'notification')
    assert (e.kind, e.conn_id, e.peer, e.detail["instance"], e.detail["deleted_state"]) == \
        ("sa_deleted", 3, "192.0.2.7", 1, "STATE_QUICK_R2")
    assert e.detail["notification_sent"] is True
    e = _one('"road" #1: received Delete SA payload: deleting ISAKMP State #1')
    assert (e.kind, e.direction, e.detail["what"]) == ("sa_deleted", "in", "ISAKMP")
    e = _one('"road" #1: received Vendor ID payload [Dead Peer Detection]')
    assert (e.kind, e.detail["vendor_id"]) == ("info", "Dead Peer Detection")
    e = _one('"road" #1: NAT-Traversal: Result using RFC 3947 (NAT-Traversal): i am NATed')
    assert e.detail["nat_result"] == "i am NATed"
    e = _one('002 "road": added IKEv1 connection')
    assert (e.kind, e.conn_id, e.detail["conn"], e.detail["ike_version"]) == ("info", None, "road", "IKEv1")


def test_status_output():
    e = _one('000 #1: "road":500 STATE_MAIN_I4 (ISAKMP SA established); EVENT_SA_REPLACE in 2584s; newest ISAKMP; '
             'lastdpd=-1s(seq in:0 out:0); idle; import:admin initiate')
    assert (e.kind, e.conn_id, e.state, e.detail["story"], e.detail["port"]) == \
        ("sa_status", 1, "STATE_MAIN_I4", "ISAKMP SA established", 500)
    e = _one('000 #2: "road":500 esp.e2f7a6c5@192.1.2.23 esp.7f07e8ec@192.1.3.209 tun.0@192.1.2.23 '
             'tun.0@192.1.3.209 ref=0 refhim=0 Traffic: ESPin=0B ESPout=0B! ESPmax=4194303B')
    assert (e.kind, e.conn_id, e.spi, e.detail["spi_out"], e.peer) == \
        ("sa_status", 2, 0x7F07E8EC, 0xE2F7A6C5, "192.1.2.23")
    e = _one("006 #7: \"road\"[2] 192.0.2.9, type=ESP, add_time=1700000000, inBytes=1234, outBytes=5678, "
             "id='@road', username=alice")
    assert (e.conn_id, e.detail["in_bytes"], e.detail["out_bytes"], e.detail["username"]) == (7, 1234, 5678, "alice")


def test_debug_socket_lines():
    e = _one('| sending 92 bytes for STATE_MAIN_I1 through eth1 from 192.1.2.45:500 to 192.1.2.23:500 using UDP '
             '(for #1)')
    assert (e.kind, e.direction, e.bytes, e.peer, e.peer_port, e.local, e.local_port, e.conn_id) == \
        ("info", "out", 92, "192.1.2.23", 500, "192.1.2.45", 500, 1)
    assert e.detail["socket"] is True
    e = _one('| sending 496 bytes for STATE_MAIN_I1 through eth1:500 to 192.1.2.23:500 (using #1)')
    assert (e.bytes, e.local_port, e.conn_id) == (496, 500, 1)
    e = _one('| *received 432 bytes from 192.1.2.23:500 on eth1 (192.1.2.45:500)')
    assert (e.direction, e.bytes, e.peer, e.local) == ("in", 432, "192.1.2.23", "192.1.2.45")
    assert libreswan.events(_rec("| helper 1 starting work-order 1")) == []


def test_tcpdump_variants():
    e = _one("IP6 2001:db8::1.500 > 2001:db8::2.500: isakmp: parent_sa ikev2_init[I]")
    assert (e.kind, e.exchange, e.local, e.peer, e.detail["ike_version"], e.detail["response"]) == \
        ("packet", "IKE_SA_INIT", "2001:db8::1", "2001:db8::2", 2, False)
    e = _one("IP6 2001:db8::2.500 > 2001:db8::1.500: isakmp: parent_sa ikev2_init[R]")
    assert (e.local, e.peer, e.detail["response"]) == ("2001:db8::1", "2001:db8::2", True)
    e = _one("IP 192.0.2.1.ipsec-nat-t > 198.51.100.2.ipsec-nat-t: NONESP-encap: isakmp: phase 2/others ? inf[E]")
    assert (e.exchange, e.detail["src_port"], e.detail["encapsulation"], e.detail["role"]) == \
        ("INFORMATIONAL", 4500, "NONESP-encap", "?")
    assert e.peer is None and e.local is None   # tcpdump did not know the initiator
    e = _one("IP 192.0.2.1.500 > 198.51.100.2.500: [no cksum] isakmp 1.0 msgid 4bd3ff5b cookie "
             "1122334455667788->99aabbccddeeff00: phase 2/others I oakley-quick[E]:")
    assert (e.exchange, e.message_id, e.detail["initiator_cookie"]) == ("QUICK_MODE", 0x4BD3FF5B, "1122334455667788")
    e = _one("IP 192.0.2.1.4500 > 198.51.100.2.4500: UDP-encap: ESP(spi=0x12345678,seq=0x1), length 116")
    assert (e.kind, e.spi, e.detail["esp_seq"], e.detail["src_port"]) == ("info", 0x12345678, 1, 4500)
    e = _one("IP 192.0.2.1 > 198.51.100.2: ESP(spi=0x12345678,seq=0x2), length 132")
    assert (e.detail["src"], e.detail["src_port"], e.detail["length"]) == ("192.0.2.1", None, 132)
    assert libreswan.events(_rec("IP 192.0.2.1.53 > 198.51.100.2.53: 1234+ A? example.com. (29)")) == []


def test_joined_record_is_read_message_by_message():
    text = ('002 "road" #1: initiating IKEv1 Main Mode connection 1v1 "road" #1: sent Main Mode request '
            'road # ipsec whack --trafficstatus 006 #2: "road", type=ESP, add_time=1, inBytes=5, outBytes=6 '
            'IP 192.0.2.209.isakmp > 198.51.100.23.isakmp: isakmp: phase 1 I ident')
    evs = libreswan.events(Record("t", 1, 5, text, [], family="libreswan"))
    assert [e.kind for e in evs] == ["state", "packet", "sa_status", "packet"]
    assert [e.facility for e in evs] == ["pluto", "pluto", "pluto", "tcpdump"]
    assert evs[2].detail["in_bytes"] == 5


def test_syslog_tag_and_stamped_lines():
    e = _one('pluto[4711]: "road" #1: sent Main Mode request')
    assert (e.kind, e.conn_id, e.detail["conn"]) == ("packet", 1, "road")
    recs = list(split_records(['Jan 10 12:00:01 road pluto[1234]: "road" #1: sent Main Mode I2'], "x", 2024))
    evs = [e for r in recs for e in libreswan.events(r)]
    assert len(evs) == 1 and evs[0].detail["message"] == "I2" and evs[0].time is not None


def test_never_raises():
    rng = random.Random(5)
    alphabet = '"#:{}<>=|[]()0123456789abcdefxESPIRv .,\'\t\x00\u2028'
    for _ in range(400):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 80)))
        for prefix in ("", '002 "c" #1: ', "IP ", "| ", '1v1 "c" #2: sent ', "000 #1: "):
            evs = libreswan.events(_rec(prefix + text))
            assert isinstance(evs, list)
            for e in evs:
                json.dumps(e.to_dict())
    assert libreswan.events(_rec("")) == []
    assert libreswan.events(Record("t", 1, 1, None, [])) == []   # type: ignore[arg-type]
    assert libreswan.events(Record("t", 1, 1, 123, [])) == []    # type: ignore[arg-type]


def test_openswan_responding_to_a_quick_mode_proposal_is_its_qm1():
    """Openswan's responder (the wording of the openswan-libpluto test descriptions, with a syslog stamp):
    ``responding to Quick Mode proposal {msgid:22ac6853}`` opens the QM1 it received, with its message ID,
    after the Main Mode it answered."""
    from correlate.logonly import analyse
    from correlate.logparse import parse_log_text
    text = ('Nov 29 13:44:51 sun pluto[25970]: "rw" #1: responding to Main Mode from unknown peer 192.0.2.100\n'
            'Nov 29 13:44:51 sun pluto[25970]: "rw" #1: STATE_MAIN_R1: sent MR1, expecting MI2\n'
            'Nov 29 13:44:52 sun pluto[25970]: "rw" #2: responding to Quick Mode proposal {msgid:22ac6853}\n'
            'Nov 29 13:44:52 sun pluto[25970]: "rw" #2:     us: 10.2.0.0/16===192.168.0.2[sun@strongswan.org]\n')
    log = parse_log_text(text, "pluto.log", 2026)
    qm1 = [e for e in log.events if e.kind == "packet" and e.exchange == "QUICK_MODE"]
    assert [(e.direction, e.message_id, e.detail["message"]) for e in qm1] == [("in", 0x22AC6853, "I1")]
    roles = [(s.role, s.implied) for s in analyse(log, log.records).timeline.steps if s.role]
    assert ("MM1", False) in roles and ("QM1", False) in roles


def test_openswan_initiating_quick_mode_names_its_message_id():
    """Openswan's initiator: ``initiating Quick Mode ... {using isakmp#1 msgid:8b3c1a2f ...}`` names the
    exchange's message ID, so its QM3 (``sent QI2``) has it and QM1/QM2 are implied before it."""
    from correlate.logonly import analyse
    from correlate.logparse import parse_log_text
    text = ('Nov 29 13:44:51 road pluto[1234]: "road" #2: initiating Quick Mode PSK+ENCRYPT+TUNNEL+PFS+UP '
            '{using isakmp#1 msgid:8b3c1a2f proposal=AES(12)_128-SHA1(2)_160 pfsgroup=OAKLEY_GROUP_MODP1024}\n'
            'Nov 29 13:44:52 road pluto[1234]: "road" #2: transition from state STATE_QUICK_I1 to state STATE_QUICK_I2\n'
            'Nov 29 13:44:52 road pluto[1234]: "road" #2: STATE_QUICK_I2: sent QI2, IPsec SA established tunnel mode '
            '{ESP=>0x1a2b3c4d <0x5e6f7a8b xfrm=AES_128-HMAC_SHA1 NATOA=none NATD=none DPD=none}\n')
    log = parse_log_text(text, "openswan.log", 2026)
    assert [e.message_id for e in log.events if e.detail.get("initiating")] == [0x8B3C1A2F]
    steps = analyse(log, log.records).timeline.steps
    assert [(s.role, s.implied, s.message_id) for s in steps if s.role.startswith("QM")] == [
        ("QM1", True, 0x8B3C1A2F), ("QM2", True, 0x8B3C1A2F), ("QM3", False, 0x8B3C1A2F)]
