"""Pasted ``show`` output to sa_status events (correlate.show) on real text: the seed's tunnel check
(``sh crypto ipsec sa`` split by the document into Markdown code blocks), sample 03 (``show crypto isakmp
sa`` and a ``show crypto ipsec sa`` cut short by its author), sample 11 (ntc-templates' ``show crypto
session detail`` test input), and public outputs of forms the samples lack.  Every expected value was read
from the text."""
from __future__ import annotations

from pathlib import Path

import pytest

from conftest import SHARED
from correlate import show
from correlate.records import split_records

SEED = SHARED / "seed" / "000_e6e02144db6ec5bf.txt"
SAMPLES = SHARED / "debug-samples"


def _path(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"{path} is not present (../shared is beside the repository)")
    return path


def _sample(prefix: str) -> Path:
    if not SAMPLES.is_dir():
        pytest.skip(f"debug samples not present at {SAMPLES} (they are beside the repository)")
    return next(SAMPLES.glob(f"{prefix}-*.txt"))


def _events(path_or_lines, name="public"):
    if isinstance(path_or_lines, Path):
        lines, name = path_or_lines.read_text(errors="replace").splitlines(), path_or_lines.name
    else:
        lines = list(path_or_lines)
    records = list(split_records(lines, name, year=2026))
    return [e for r in records if r.family == "show" for e in show.events(r)]


def _by(events, facility):
    return [e for e in events if e.facility == facility]


def test_seed_show_crypto_ipsec_sa():
    events = _events(_path(SEED))
    sas = [e for e in _by(events, "show crypto ipsec sa") if e.spi is not None]
    assert [(e.spi, e.detail["direction"], e.detail["protocol"], e.conn_id) for e in sas] == [
        (0x45F16A9A, "in", "esp", 305), (0x221A7153, "out", "esp", 306)]
    for e in sas:
        assert e.kind == "sa_status" and e.state == "ACTIVE"
        assert (e.peer, e.peer_port, e.local) == ("2001:db8::3", 500, "2001:db8::2")   # "2001: DB8::3" as written
        d = e.detail
        assert (d["interface"], d["crypto_map"], d["transform"], d["mode"]) == (
            "Tunnel23", "Tunnel23-head-0", "esp-aes esp-sha-hmac", "Tunnel")
        assert d["local_ident"] == d["remote_ident"] == {"addr": "::", "mask": "0", "prot": 0, "port": 0}
        assert d["current_outbound_spi"] == 0x221A7153 and d["pfs"] is False and d["dh_group"] == "none"
        assert {k: d["counters"][k] for k in ("encaps", "encrypt", "digest", "decaps", "decrypt", "verify")} == {
            "encaps": 4, "encrypt": 4, "digest": 4, "decaps": 4, "decrypt": 4, "verify": 4}
        assert d["counters"]["send_errors"] == d["counters"]["recv_errors"] == 0
    assert [(e.detail["lifetime_kb"], e.detail["lifetime_sec"], e.detail["flow_id"]) for e in sas] == [
        (4183789, 3408, "SW:305"), (4183790, 3408, "SW:306")]


def test_03_show_crypto_isakmp_sa_and_ipsec_sa():
    events = _events(_sample("03"))
    isakmp = _by(events, "show crypto isakmp sa")
    assert [(e.peer, e.local, e.state, e.conn_id, e.detail["status"]) for e in isakmp] == [
        ("203.0.113.1", "203.0.113.10", "QM_IDLE", 1001, "ACTIVE")]   # the IPv6 table under it is empty
    ipsec = _by(events, "show crypto ipsec sa")
    assert len(ipsec) == 1   # the author cut the output after the first inbound SPI
    e = ipsec[0]
    assert (e.spi, e.peer, e.peer_port, e.local) == (0xDA9E8DCA, "203.0.113.1", 500, "203.0.113.10")
    assert (e.detail["direction"], e.detail["protocol"]) == ("in", "esp")
    assert e.state is None and e.conn_id is None   # cut before "conn id:" and "Status:"
    assert e.detail["current_outbound_spi"] == 0xB2C0867D
    assert e.detail["local_ident"] == {"addr": "192.168.1.0", "mask": "255.255.255.0", "prot": 0, "port": 0}
    assert e.detail["remote_ident"] == {"addr": "192.168.0.0", "mask": "255.255.255.0", "prot": 0, "port": 0}
    assert (e.detail["counters"]["encaps"], e.detail["counters"]["decaps"]) == (4, 0)
    assert (e.detail["interface"], e.detail["crypto_map"], e.detail["pfs"]) == ("Ethernet0/0", "outside_map", False)


def test_11_show_crypto_session_detail():
    events = _events(_sample("11"))
    assert all(e.kind == "sa_status" and e.facility == "show crypto session" for e in events)
    assert [(e.detail["interface"], e.state, e.peer, e.peer_port) for e in events] == [
        ("Tunnel1201", "DOWN-NEGOTIATING", "198.51.100.14", 500),
        ("Tunnel1101", "UP-ACTIVE", "203.0.113.1", 4500),
        ("Tunnel2201", "DOWN-NEGOTIATING", "198.51.100.15", 500)]
    down, up, down2 = events
    # each DOWN-NEGOTIATING session lists its inactive IKEv1 SA twice
    assert [(s["version"], s["status"], s["conn_id"]) for s in down.detail["ike_sas"]] == [(1, "Inactive", 0)] * 2
    assert [(s["local"], s["local_port"], s["remote"]) for s in down2.detail["ike_sas"]] == [
        ("192.0.2.116", 500, "198.51.100.15")] * 2
    assert down.conn_id is None and down.detail["flows"][0]["active_sas"] == 0
    assert up.conn_id == 2913 and up.detail["uptime"] == "7w0d"
    assert up.detail["phase1_id"] == "SOME_DEVICE1234.example.com"
    assert up.detail["ike_sas"] == [{"version": 1, "local": "192.0.2.169", "local_port": 4500, "remote": "203.0.113.1",
                                     "remote_port": 4500, "status": "Active", "capabilities": "DN", "conn_id": 2913,
                                     "lifetime": "09:03:41"}]
    flow = up.detail["flows"][0]
    assert flow["flow"] == "permit 47 host 192.0.2.169 host 203.0.113.1"
    assert (flow["active_sas"], flow["origin"], flow["inbound_pkts"], flow["outbound_pkts"]) == (
        2, "crypto map", 15344097, 18074395)
    assert (flow["inbound_lifetime_kb"], flow["inbound_lifetime_sec"]) == (4236992, 615)


def test_isakmp_sa_ipv6_block_form():
    """A public DMVPN/IPsec lab write-up: the IPv6 part of ``show crypto isakmp sa`` is a block per SA."""
    events = _events(["Vientiane#show crypto isakmp sa",
                      "IPv4 Crypto ISAKMP SA",
                      "dst             src             state          conn-id status",
                      "",
                      "IPv6 Crypto ISAKMP SA",
                      "",
                      " dst: 12:1:1::100",
                      " src: 23:1:1::100",
                      " state: QM_IDLE         conn-id:   1001 status: ACTIVE",
                      "",
                      "Vientiane#"])
    assert [(e.peer, e.local, e.state, e.conn_id, e.detail["status"]) for e in events] == [
        ("12:1:1::100", "23:1:1::100", "QM_IDLE", 1001, "ACTIVE")]


def test_isakmp_sa_table_with_slot_column():
    """A public GRE-over-IPsec lab (IOS 12.4 style, with the "slot" column)."""
    events = _events(["CustomerA3#sh crypto isakmp sa",
                      "IPv4 Crypto ISAKMP SA",
                      "dst             src             state          conn-id slot status",
                      "20.0.0.10       20.0.0.14       QM_IDLE           1001    0 ACTIVE",
                      "",
                      "IPv6 Crypto ISAKMP SA",
                      ""])
    assert [(e.peer, e.local, e.state, e.conn_id, e.detail) for e in events] == [
        ("20.0.0.10", "20.0.0.14", "QM_IDLE", 1001, {"dst": "20.0.0.10", "src": "20.0.0.14", "status": "ACTIVE",
                                                       "slot": 0})]


def test_every_show_record_reads_without_raising():
    paths = [p for p in (SEED, *sorted(SAMPLES.glob("*.txt"))) if p.exists()] if SAMPLES.is_dir() else []
    if not paths:
        pytest.skip(f"no logs at {SHARED}")
    for path in paths:
        for r in split_records(path.read_text(errors="replace").splitlines(), path.name, year=2026):
            first = show.events(r)   # any family; a record without show output gives []
            assert isinstance(first, list)
            for e in first:   # what a user does to an event does not reach the next record with its text
                e.detail.setdefault("counters", {})["changed"] = 1
                e.detail["changed"] = True
            again = show.events(r)
            assert all(e.record is r and "changed" not in e.detail for e in again)
            assert all("changed" not in e.detail.get("counters", {}) for e in again)
