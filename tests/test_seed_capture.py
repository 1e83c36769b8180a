"""captures/seed-ios-ipv6: the synthesized capture must be what the seed's IOS debug says happened.

The expected values come from the two debug logs (parsed by correlate.logparse, or read from
their record text where the parser keeps no field): the Quick Mode message ID of "set new node",
the SPIs and destinations of IPSEC(create_sa), the attributes the responder checked in QM1, the
payloads each received packet's block processes, the vendor IDs MM4's block names, the ID
payloads the initiator prints, "Send initial contact", the show crypto ipsec sa counters and the
ping's round trips.  The clock offsets are the ones truth.json (and the README) declare.

* ikescope dissects it into MM1-MM6, QM1-QM3 and 18 ESP packets, decrypts it with keys.toml
  (PSK verified: HASH_I, HASH_R, HASH(1)-(3)), and decrypts every ESP packet with a good ICV.
* Every packet event of both logs has its packet at the event's stamp plus the log's offset, to
  the microsecond, with the right direction, peer and message ID.
* tshark (through pyshark, tests/tshark_oracle.py) dissects every frame as ikescope does, and,
  given the ikev1_decryption_table and esp_sa that ``ikescope keys --wireshark`` exports (the
  shipped ones), decrypts every encrypted message to the same payloads and every ESP packet with a
  good ICV.
* The logs are the seed's code blocks, line for line (when the seed is beside the repository), and
  make_capture.py rebuilds every file byte for byte.
"""
from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys
from functools import lru_cache

import pytest

from conftest import CAPTURES, REPO, SHARED, require_tshark

from correlate.addresses import address
from correlate.logparse import parse_log
from dissect import registry
from dissect.decrypt import VERIFIED
from dissect.keysources import load_key_file
from dissect.pipeline import Dissector

CASE = CAPTURES / "seed-ios-ipv6"
CAP = CASE / "capture.pcap"
KEYS = CASE / "keys.toml"
SEED = SHARED / "seed" / "000_e6e02144db6ec5bf.txt"
TRUTH = json.loads((CASE / "truth.json").read_text())
YEAR = TRUTH["clock"]["year"]
#: each log, its router's own address and the capture clock minus the log's clock (seconds)
LOGS = {"initiator.log": (TRUTH["initiator"]["addr"], TRUTH["clock"]["capture_minus_initiator_log_s"]),
        "responder.log": (TRUTH["responder"]["addr"], TRUTH["clock"]["capture_minus_responder_log_s"])}


@lru_cache(maxsize=None)
def dissected(with_keys: bool = True):
    d = Dissector(str(CAP), keys=load_key_file(str(KEYS)) if with_keys else None)
    return d, list(d.packets())


@lru_cache(maxsize=None)
def log(name: str):
    return parse_log(str(CASE / name), year=YEAR)


def ike(pkts):
    return [p for p in pkts if p.isakmp is not None]


def by_role(pkts) -> dict:
    return {p.role: p for p in ike(pkts)}


def capture_time(event, name: str) -> float:
    """The capture time of a log event: its stamp (read as UTC) plus the log's offset."""
    return round(event.time.replace(tzinfo=dt.timezone.utc).timestamp() + LOGS[name][1], 6)


def blocks(name: str) -> list[tuple]:
    """Each packet event of a log with the events after it, up to the next packet event."""
    out: list[tuple] = []
    for e in log(name).events:
        if e.kind == "packet":
            out.append((e, []))
        elif out:
            out[-1][1].append(e)
    return out


def expected_message_id(packet_event, following) -> int | None:
    """The message ID a packet event's block names: Main Mode states are phase 1 (0); otherwise the
    first message ID of the events that follow it ("set new node", "deleting node", "message ID =")."""
    if (packet_event.state or "").startswith("MM_"):
        return 0
    return packet_event.message_id if packet_event.message_id is not None else next(
        (e.message_id for e in following if e.message_id is not None), None)


def packet_of(event, name: str, pkts):
    """The ISAKMP packet at the event's capture time, from or to the event's peer."""
    t = capture_time(event, name)
    found = [p for p in ike(pkts) if abs(p.datagram.time - t) < 1e-6]
    assert len(found) == 1, (name, event.record.line, t, [p.frame for p in found])
    return found[0]


def records_between(name: str, first: int, last: int) -> list:
    return [r for r in log(name).records if first <= r.line < last]


# --------------------------------------------------------------------------
# ikescope's dissection and decryption

def test_roles_ports_and_peers():
    d, pkts = dissected(False)
    init, resp = TRUTH["initiator"]["addr"], TRUTH["responder"]["addr"]
    assert [p.role for p in pkts] == ["MM1", "MM2", "MM3", "MM4", "MM5", "MM6", "QM1", "QM2", "QM3"] + ["ESP"] * 18
    for p in ike(pkts):
        dg = p.datagram
        assert (dg.sport, dg.dport, dg.ip_version) == (500, 500, 6)
        assert (dg.src, dg.dst) == ((init, resp) if p.role[-1] in "135" else (resp, init)), p.role
        assert not p.isakmp.all_notes() and not dg.notes
    (sa,) = d.tracker.sas.values()
    assert sa.initiator == init
    assert d.stats.malformed == 0 and not d.stats.undecodable and d.stats.esp == 18


def test_keys_toml_decrypts_and_verifies_every_hash():
    d, pkts = dissected()
    (st,) = d.decryptor.states.values()
    assert st.verdict == VERIFIED, st.detail
    checks = {p.role: p.isakmp.hash_check for p in ike(pkts) if p.isakmp.encrypted}
    assert checks == {"MM5": "HASH_I verified", "MM6": "HASH_R verified", "QM1": "HASH(1) verified",
                      "QM2": "HASH(2) verified", "QM3": "HASH(3) verified"}
    assert all(p.isakmp.decrypted for p in ike(pkts) if p.isakmp.encrypted)


def test_quick_mode_message_id_is_the_seeds():
    _d, pkts = dissected()
    nodes = {e.detail["node"] for name in LOGS for e in log(name).events if "node" in e.detail}
    assert len(nodes) == 1  # "set new node", "deleting node" on both routers
    (node,) = nodes
    assert {p.isakmp.header.message_id for p in ike(pkts) if p.role.startswith("QM")} == {node}


def test_spis_are_the_seeds_create_sa_ones():
    """IPSEC(create_sa) on R2: the SA to R2 (its inbound) was offered by R2 in QM1, the SA to the
    responder chosen by the responder in QM2; ikescope's ESP SAs go the same ways."""
    d, pkts = dissected()
    created = {e.spi: address(e.detail["dest"]) for e in log("initiator.log").events if e.kind == "sa_created"}
    assert len(created) == 2
    roles = by_role(pkts)
    qm_spi = {role: int.from_bytes(next(x for x in roles[role].isakmp.payloads if x.short == "SA")
                                   .proposals[0].spi, "big") for role in ("QM1", "QM2")}
    assert created[qm_spi["QM1"]] == TRUTH["initiator"]["addr"]
    assert created[qm_spi["QM2"]] == TRUTH["responder"]["addr"]
    assert {(sa.spi, sa.dst) for sa in d.decryptor.esp_sas} == set(created.items())


def test_esp_decrypts_with_good_icvs_and_matches_the_show_counters():
    d, pkts = dissected()
    esp = [p for p in pkts if p.esp is not None]
    assert all(p.esp.plain is not None and p.esp.plain.icv == "ok" and p.esp.plain.ok for p in esp)
    status = [e for e in log("initiator.log").events if e.kind == "sa_status"]
    outbound = status[0].detail["current_outbound_spi"]
    final = status[-1].detail["counters"]
    per_spi = {spi: sum(1 for p in esp if p.esp.spi == spi) for spi in {p.esp.spi for p in esp}}
    inbound = next(spi for spi in per_spi if spi != outbound)
    assert (per_spi[outbound], per_spi[inbound]) == (final["encaps"], final["decaps"])
    assert [p.esp.seq for p in esp if p.esp.spi == outbound] == list(range(1, final["encaps"] + 1))
    for p in esp:
        inner = p.esp.plain.inner
        assert inner.mode == "tunnel" and inner.protocol == 58, inner.summary
        assert (inner.src, inner.dst) == (("fe80::23:2", "fe80::23:3") if p.esp.spi == outbound
                                          else ("fe80::23:3", "fe80::23:2"))


def test_the_ping_has_the_seeds_size_and_round_trips():
    """"Sending 5, 100-byte ICMP Echos ... round-trip min/avg/max = 8/11/20 ms": the last echoes."""
    text = (CASE / "initiator.log").read_text(encoding="utf-8")
    count, size = map(int, re.search(r"Sending (\d+), (\d+)-byte ICMP Echos", text).groups())
    rtt = tuple(map(int, re.search(r"min/avg/max = (\d+)/(\d+)/(\d+) ms", text).groups()))
    _d, pkts = dissected()
    echoes = [p for p in pkts if p.esp is not None][-2 * count:]

    def echo(p) -> tuple[int, int, int]:
        f = p.esp.plain.inner.fields
        return f["icmpv6.type"], f["icmpv6.echo.id"], f["icmpv6.echo.seq"]
    requests = {echo(p)[1:]: p.datagram.time for p in echoes if echo(p)[0] == 128}
    times = [round((p.datagram.time - requests[echo(p)[1:]]) * 1000) for p in echoes if echo(p)[0] == 129]
    assert len(requests) == len(times) == count
    assert (min(times), sum(times) // len(times), max(times)) == rtt
    assert all(len(p.esp.plain.payload) == size for p in echoes)


# --------------------------------------------------------------------------
# What the debug says each packet carries

_DEBUG_PAYLOAD = {"vendor id": "VID"}


def test_each_received_block_processes_the_packets_payloads_in_order():
    """The payloads a block says it processed ("processing KE payload", ...) are the packet's, in
    its order (MM4's NAT-D payloads, which the seed's debug does not log, may come between)."""
    _d, pkts = dissected()
    checked = 0
    for name in LOGS:
        for event, following in blocks(name):
            if event.direction != "in":
                continue
            named = [_DEBUG_PAYLOAD.get(x, x) for e in following if e.kind == "payload" for x in e.payloads]
            have = iter(packet_of(event, name, pkts).isakmp.payload_types)
            assert all(any(n == h for h in have) for n in named), (name, event.record.line, named)
            checked += bool(named)
    assert checked >= 3  # MM4, MM6 (R2), QM1 (responder)


def test_mm4_vendor_ids_are_the_ones_the_debug_names():
    _d, pkts = dissected()
    (mm4_event, _f), *_ = [b for b in blocks("initiator.log") if b[0].state == "MM_SA_SETUP"]
    nxt = min(e.record.line for e, _ in blocks("initiator.log") if e.record.line > mm4_event.record.line)
    text = " ".join(r.text for r in records_between("initiator.log", mm4_event.record.line, nxt))
    named = re.findall(r"vendor ID is (\w+)|(speaking to another IOS box)", text)
    expected = [{"Unity": "CISCO-UNITY 1.0", "DPD": "RFC 3706 DPD (Dead Peer Detection)"}.get(a, a) if a
                else registry.CISCO_IOS_PEER_VID_NAME for a, b in named]
    mm4 = packet_of(mm4_event, "initiator.log", pkts)
    assert expected and [x.vendor for x in mm4.isakmp.payloads if x.short == "VID"] == expected


_ID_BLOCK = re.compile(r"ID payload\s+next-payload\s*:\s*(\d+)\s+type\s*:\s*(\d+)\s+address\s*:\s*(.+?)\s+"
                       r"protocol\s*:\s*(\d+)\s+port\s*:\s*(\d+)\s+length\s*:\s*(\d+)")


def test_mm5_and_mm6_ids_and_initial_contact_are_the_debugs():
    _d, pkts = dissected()
    roles = by_role(pkts)
    text = "\n".join(r.text for r in log("initiator.log").records)
    printed = {address(m[2]): tuple(map(int, (m[0], m[1], m[3], m[4], m[5]))) for m in _ID_BLOCK.findall(text)}
    assert len(printed) == 2
    for role in ("MM5", "MM6"):
        ident = next(x for x in roles[role].isakmp.payloads if x.short == "ID")
        assert printed[ident.text] == (ident.next_payload, ident.id_type, ident.protocol_id, ident.port, ident.length)
    assert "Send initial contact" in text
    n = next(x for x in roles["MM5"].isakmp.payloads if x.short == "N")
    h = roles["MM5"].isakmp.header
    assert (n.notify_name, n.spi) == ("INITIAL-CONTACT", h.icookie + h.rcookie)


def test_qm1_transform_is_what_the_responder_checked():
    _d, pkts = dissected()
    detail: dict = {}
    for e in log("responder.log").events:
        if e.kind == "proposal":
            for k, v in e.detail.items():
                detail.setdefault(k, []).append(v)
    qm1 = by_role(pkts)["QM1"]
    (t,) = next(x for x in qm1.isakmp.payloads if x.short == "SA").proposals[0].transforms
    attrs = [(a.type, a.value) for a in t.attributes]
    assert set(detail["transform_id"]) == {f"ESP_{t.transform_name}"}                  # IOS: "transform 1, ESP_AES"
    assert (4, set(detail["encaps"]).pop()) in attrs
    assert [v for k, v in attrs if k == 2] == detail["life_duration"][:2]           # seconds, then kilobytes
    assert [v for k, v in attrs if k == 1] == [1, 2]                                 # life types in that order
    assert set(detail["key_length"]) == {t.attr(6).value}
    assert set(detail["authenticator"]) == {"HMAC-SHA"} and t.attr(5).value_name == "HMAC-SHA"


def test_every_packet_event_of_both_logs_has_its_packet():
    _d, pkts = dissected()
    count = 0
    for name, (own, _offset) in LOGS.items():
        for event, following in blocks(name):
            p = packet_of(event, name, pkts)
            dg = p.datagram
            assert (dg.dst if event.direction == "in" else dg.src) == own, (name, event.record.line)
            assert (dg.src if event.direction == "in" else dg.dst) == event.peer
            assert event.peer_port in (None, dg.sport if event.direction == "in" else dg.dport)
            assert p.isakmp.header.message_id == expected_message_id(event, following), (name, event.record.line)
            count += 1
    assert count == sum(1 for name in LOGS for e in log(name).events if e.kind == "packet") >= 10


def test_the_logs_read_without_problems():
    for name in LOGS:
        result = log(name)
        assert not result.problems and "ios" in result.families


# --------------------------------------------------------------------------
# The logs are the seed's text

def _seed_blocks() -> list[list[str]]:
    if not SEED.is_file():
        pytest.skip(f"the seed is not present at {SEED} (it is beside the repository in CI)")
    out, block = [], None
    for line in SEED.read_text(encoding="utf-8").split("\n"):
        if line == "```":
            if block is None:
                block = []
            else:
                out.append(block)
                block = None
        elif block is not None:
            block.append(line)
    return out


def test_the_logs_are_the_seeds_code_blocks_line_for_line():
    logs = {name: (CASE / name).read_text(encoding="utf-8").split("\n")[:-1] for name in LOGS}
    at = dict.fromkeys(LOGS, 0)
    for block in _seed_blocks():
        owner = [name for name in LOGS if logs[name][at[name]:at[name] + len(block)] == block]
        assert owner, block[:2]
        at[owner[0]] += len(block)
    assert at == {name: len(lines) for name, lines in logs.items()}
    assert all(logs[name] for name in LOGS)


# --------------------------------------------------------------------------
# tshark

@pytest.fixture(scope="module")
def oracle():
    require_tshark()
    try:
        import tshark_oracle
    except ImportError as e:  # pragma: no cover - depends on the environment
        pytest.skip(f"the tshark oracle needs pyshark ({e})")
    return tshark_oracle


def test_tshark_dissects_it_as_ikescope_does(oracle):
    frames = oracle.tshark_frames(CAP)
    _d, pkts = dissected(False)
    assert sorted(frames) == [p.frame for p in pkts]
    for p in pkts:
        tf = frames[p.frame]
        if p.isakmp is not None:
            (theirs,) = tf.isakmp
            assert not oracle.diff(oracle.ours_isakmp_view(p.isakmp), theirs), p.frame
        else:
            assert tf.esp == [oracle.ours_esp_view(p.esp)]
        assert not tf.malformed


def test_tshark_decrypts_with_the_shipped_tables_as_ikescope_does(oracle):
    rows = oracle.read_ikev1_decryption_table((CASE / "ikev1_decryption_table").read_text())
    frames = oracle.tshark_frames(CAP, ikev1_keys=rows)
    _d, pkts = dissected()
    encrypted = [p for p in ike(pkts) if p.isakmp.encrypted]
    for p in encrypted:
        (theirs,) = frames[p.frame].decrypted
        assert theirs["state"] == "decrypted", p.frame
        assert not oracle.diff(oracle.ours_decrypted_view(p.isakmp), theirs), p.frame
    assert len(encrypted) == 5
    esp_rows = [line for line in (CASE / "esp_sa").read_text().splitlines() if line and not line.startswith("#")]
    layers = oracle.tshark_esp_decrypted(CAP, esp_rows)
    esp = {p.frame: p for p in pkts if p.esp is not None}
    assert sorted(layers) == sorted(esp)
    for n, (layer,) in layers.items():
        plain = esp[n].esp.plain
        assert layer["icv_good"] is True and layer["contained"] == plain.payload and layer["next_header"] == 41


def test_ikescope_exports_the_shipped_tables(tmp_path):
    r = subprocess.run([sys.executable, "-m", "cli.main", "keys", str(CAP), "--keys", str(KEYS), "--wireshark",
                        str(tmp_path)], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    for name in ("ikev1_decryption_table", "esp_sa"):
        ours = {ln for ln in (tmp_path / name).read_text().splitlines() if ln and not ln.startswith("#")}
        shipped = {ln for ln in (CASE / name).read_text().splitlines() if ln and not ln.startswith("#")}
        assert ours == shipped and ours, name


def test_the_readme_command_shows_the_verdict():
    r = subprocess.run([sys.executable, "-m", "cli.main", "dissect", str(CAP), "--keys", str(KEYS)], cwd=REPO,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "PSK verified" in r.stdout + r.stderr and "QM3" in r.stdout and "cisco" not in r.stdout + r.stderr


# --------------------------------------------------------------------------
# make_capture.py rebuilds it

def test_make_capture_rebuilds_every_file(tmp_path):
    args = [sys.executable, str(CASE / "make_capture.py"), "--out", str(tmp_path)]
    if not SEED.is_file():  # the logs cannot be split again: the shipped ones are used for truth.json
        for name in LOGS:
            (tmp_path / name).write_bytes((CASE / name).read_bytes())
        args += ["--seed", str(tmp_path / "absent")]
    r = subprocess.run(args, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    for name in ("capture.pcap", "keys.toml", "ikev1_decryption_table", "esp_sa", "truth.json", *LOGS):
        assert (tmp_path / name).read_bytes() == (CASE / name).read_bytes(), name
