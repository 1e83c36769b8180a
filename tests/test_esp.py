"""ESP keys from Quick Mode (RFC 2409 §5.5) and ESP decryption (RFC 4303), against the strongSwan lab's truth.

Each lab case's truth.json lists the ESP SAs strongSwan logged (SPI, addresses, encryption and
integrity keys); the pings that crossed the tunnel are in ping_output.  ikescope must derive the same
keys from either peer's charon log (and from the PSK with g^xy), decrypt every ESP packet with a
correct ICV, and find exactly the echo requests and replies ping counted.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from dissect.espdecrypt import EspDecryptor
from dissect.espsa import INTEGRITY, ENCRYPTION, EspSa
from dissect.inner import decode_inner
from dissect.keysources import KeyEntry, load_key_file
from dissect.pipeline import Dissector

from conftest import shipped_cases

CAPTURES = Path(__file__).resolve().parents[1] / "captures"
IKEV1_ESP_CASES = sorted(p.parent.name for p in (c / "truth.json" for c in shipped_cases())
                         if json.loads(p.read_text()).get("esp_sas") and json.loads(p.read_text())["ike_version"] == 1)


def _truth(case: str) -> dict:
    return json.loads((CAPTURES / case / "truth.json").read_text())


def _run(case: str, keys: list[KeyEntry] | None = None, esp_sas: list[EspSa] | None = None):
    d = Dissector(str(CAPTURES / case / "capture.pcap"), keys=keys, esp_sas=esp_sas)
    return d, list(d.packets())


def _logs(case: str) -> list[str]:
    return [name for name in ("left.log", "right.log") if (CAPTURES / case / name).exists()]


def _pings(truth: dict) -> int:
    """Echo requests ping sent and replies it received."""
    runs = re.findall(r"(\d+) packets transmitted, (\d+) received", truth.get("ping_output", ""))
    return sum(int(a) for a, _ in runs), sum(int(b) for _, b in runs)


_DUMP = re.compile(r"<[^>]*> (.+?) => \d+ bytes @|<[^>]*>\s+\d+: ((?:[0-9A-F]{2} )+)")


def _logged_esp_keys(log: Path, pfs_bytes: int = 0) -> set[tuple[int, bytes, bytes]]:
    """(SPI, encryption key, integrity key) of each ESP SA a charon log (loglevel 4) dumps: the SPI
    is in the SA seed ([g(qm)^xy |] protocol | SPI | Ni_b | Nr_b; ``pfs_bytes`` the length of
    g(qm)^xy), the keys follow as "encryption initiator key"."""
    dumps: list[tuple[str, bytearray]] = []
    for line in log.read_text(errors="replace").splitlines():
        m = _DUMP.search(line)
        if m is None:
            continue
        if m.group(1):
            name = m.group(1)
            if name.endswith(" SA seed"):
                name = "seed " + name.split()[0]
            elif name.endswith(" key"):  # "encryption initiator key"
                name = name[:-4]
            dumps.append((name, bytearray()))
        elif dumps:
            dumps[-1][1].extend(bytes.fromhex(m.group(2)))
    found = set()
    for i, (name, data) in enumerate(dumps):
        if name == "seed initiator" and i + 3 < len(dumps):
            block = dict(dumps[i:i + 6])
            for side in ("initiator", "responder"):
                spi = int.from_bytes(block[f"seed {side}"][pfs_bytes + 1:pfs_bytes + 5], "big")
                # AES-GCM has no integrity key, and strongSwan dumps none
                found.add((spi, bytes(block[f"encryption {side}"]), bytes(block.get(f"integrity {side}", b""))))
    return found


def test_cases_found():
    assert len(IKEV1_ESP_CASES) >= 8, IKEV1_ESP_CASES


@pytest.mark.parametrize("case", IKEV1_ESP_CASES)
@pytest.mark.parametrize("log", ["left.log", "right.log"])
def test_esp_keys_equal_strongswan(case, log):
    if log not in _logs(case):
        pytest.skip(f"{case} has no {log}")
    d, _ = _run(case, keys=load_key_file(str(CAPTURES / case / log)))
    derived = {(sa.spi, sa.src, sa.dst): sa for sa in d.decryptor.esp_sas}
    truth = _truth(case)["esp_sas"]
    # every ESP SA the log keyed, and no other: truth.json lists those of the first IKE SA only
    pfs = _truth(case).get("qm_pfs_g_xy") or [""]
    logged = _logged_esp_keys(CAPTURES / case / log, len(pfs[0]) // 2)
    if logged:  # (right.log of the port500 case ends before its Quick Mode's keys)
        assert {(sa.spi, sa.enc_key, sa.auth_key) for sa in derived.values()} == logged
    assert len(derived) >= len(truth)
    for t in truth:
        sa = derived[(int(t["spi"], 16), t["src"], t["dst"])]
        assert sa.enc_key.hex() == t["enc_key"]  # with the 4-byte salt (GCM) or nonce (CTR) at its end
        assert sa.auth_key.hex() == t["auth_key"]
        assert (sa.enc.wireshark, sa.auth.wireshark) == (t["wireshark_enc"], t["wireshark_auth"])
        if t["enc_alg"].startswith("AES"):  # AES_CBC_128, AES_CTR_192, AES_GCM_8_128: the key size in bits
            assert 8 * (len(sa.enc_key) - sa.enc.salt_bytes) == int(t["enc_alg"].rsplit("_", 1)[1])


@pytest.mark.parametrize("case", IKEV1_ESP_CASES)
def test_esp_keys_from_psk_and_gxy(case):
    """The keys file route (PSK + g^xy; with PFS the Quick Mode's g(qm)^xy): the same keys."""
    t = _truth(case)
    entry = KeyEntry(source="test", psk=t["psk"].encode(), dh_shared=bytes.fromhex(t["g_xy"]))
    if t.get("qm_pfs_g_xy"):
        from dissect.keysources import QuickModeSecret
        # one PFS secret per Quick Mode, in the order of quick_mode_message_ids
        entry.quick_modes = [QuickModeSecret(int(mid, 16), dh_shared=bytes.fromhex(gxy))
                             for mid, gxy in zip(t["quick_mode_message_ids"], t["qm_pfs_g_xy"])]
    d, _ = _run(case, keys=[entry])
    got = {(f"0x{sa.spi:08x}", sa.enc_key.hex(), sa.auth_key.hex()) for sa in d.decryptor.esp_sas}
    assert got == {(s["spi"], s["enc_key"], s["auth_key"]) for s in t["esp_sas"]}


@pytest.mark.parametrize("case", IKEV1_ESP_CASES)
@pytest.mark.parametrize("log", ["left.log", "right.log"])
def test_every_esp_packet_decrypts_to_the_pings(case, log):
    if log not in _logs(case):
        pytest.skip(f"{case} has no {log}")
    t = _truth(case)
    d, packets = _run(case, keys=load_key_file(str(CAPTURES / case / log)))
    esp = [p for p in packets if p.esp is not None]
    assert len(esp) == len(t["frames"].get("ESP", []))
    assert all(p.esp.plain is not None and p.esp.plain.icv == "ok" and p.esp.plain.ok for p in esp)
    inner = [p.esp.plain.inner for p in esp]
    assert all(i.mode == "tunnel" and i.ip_version == t["ip_version"] for i in inner)
    requests = sum("Echo (ping) request" in i.summary for i in inner)
    replies = sum("Echo (ping) reply" in i.summary for i in inner)
    sent, received = _pings(t)
    if not esp:
        pytest.skip(f"{case}: its capture holds no ESP packet (ping output: {sent} sent)")
    assert (requests, replies) == (sent, received)
    # the inner addresses are the protected networks' ping source and destination
    src, dst = t["initiator"]["ping_src"], t["responder"]["ping_dst"]
    assert {(i.src, i.dst) for i in inner} == {(src, dst), (dst, src)}
    # tshark's decrypted view from the lab: the ICMP type of each ESP frame
    oracle = t["oracle"]["per_frame"]
    for p in esp:
        want = oracle[f"{p.frame}:ESP"]["inner_icmp_type"]
        field = "icmp.type" if t["ip_version"] == 4 else "icmpv6.type"
        assert str(p.esp.plain.inner.fields[field]) == want
    # every SA counted all its packets, with no gaps
    for st in d.esp.summary():
        assert st.icv_failed == 0 and st.gaps == 0 and st.replays == 0
        assert st.decrypted == st.packets


def test_port500_case_has_no_esp_frames():
    """v6-aes128-sha1-modp1024-port500 captured the exchange only; its ESP SAs still derive (above)."""
    t = _truth("v6-aes128-sha1-modp1024-port500")
    assert not t["frames"].get("ESP")


def test_wrong_esp_keys_fail_the_icv_once_per_sa():
    case = "v4-natt"
    t = _truth(case)
    sas = [EspSa(int(s["spi"], 16), s["src"], s["dst"], ENCRYPTION["AES-CBC"], bytes(16), INTEGRITY["HMAC-SHA1-96"],
                 bytes(20), f"wrong {s['spi']}") for s in t["esp_sas"]]
    d, packets = _run(case, esp_sas=sas)
    esp = [p for p in packets if p.esp is not None]
    assert esp and all(p.esp.plain.icv == "failed" and p.esp.plain.inner is None for p in esp)
    stats = d.esp.summary()
    assert [st.icv_failed for st in stats] == [3, 3]
    assert [st.decrypted for st in stats] == [0, 0]


def _natt_sa(index: int, source: str, addresses: bool = True) -> EspSa:
    """The v4-natt lab case's ESP SA number ``index`` from truth.json (AES-128-CBC, HMAC-SHA1-96)."""
    s = _truth("v4-natt")["esp_sas"][index]
    return EspSa(int(s["spi"], 16), s["src"] if addresses else None, s["dst"] if addresses else None,
                 ENCRYPTION["AES-CBC"], bytes.fromhex(s["enc_key"]), INTEGRITY["HMAC-SHA1-96"],
                 bytes.fromhex(s["auth_key"]), source)


def test_unknown_spi_counted():
    t = _truth("v4-natt")
    sa = _natt_sa(0, "one")
    d, packets = _run("v4-natt", esp_sas=[sa])
    other = int(t["esp_sas"][1]["spi"], 16)
    assert d.esp.unknown_spis == {other: 3}
    assert d.esp.summary()[0].decrypted == 3


def test_truncated_esp_counted():
    """The capture of an ESP packet cut short: counted as truncated, not decrypted, not a failure."""
    sa = _natt_sa(0, "cut", addresses=False)
    d, packets = _run("v4-natt", esp_sas=[sa])
    pkt = next(p for p in packets if p.esp is not None and p.esp.spi == sa.spi)
    dec = EspDecryptor([sa])
    pkt.datagram.payload = pkt.datagram.payload[:30]
    pkt.esp.plain = None
    plain = dec.process(pkt)
    assert plain.truncated and not plain.ok and plain.problem.startswith("too short for its SA: 30 bytes")
    assert dec.summary()[0].truncated == 1


def test_esp_cut_by_the_snap_length_is_not_wrong_keys(tmp_path):
    """The lab capture rewritten with every record cut to 100 bytes of ESP (the record keeps its wire
    length): each ESP packet is counted as cut short, none as a failed ICV."""
    import struct
    import dpkt
    src = CAPTURES / "v4-natt" / "capture.pcap"
    out = tmp_path / "cut.pcap"
    with open(src, "rb") as f, open(out, "wb") as g:
        reader = dpkt.pcap.Reader(f)
        g.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, reader.datalink()))
        for ts, buf in reader:
            keep = buf[:14 + 20 + 8 + 100] if len(buf) > 160 and buf[14 + 9] == 17 and buf[14 + 20 + 8:14 + 20 + 12] \
                != b"\0\0\0\0" and struct.unpack(">H", buf[14 + 20 + 2:14 + 20 + 4])[0] == 4500 else buf
            sec, usec = int(ts), round((ts % 1) * 1e6)
            g.write(struct.pack("<IIII", sec, usec, len(keep), len(buf)) + keep)
    from dissect.espsources import load_esp_file
    d = Dissector(str(out), esp_sas=load_esp_file(str(CAPTURES / "v4-natt" / "esp_sa"), []))
    esp = [p for p in d.packets() if p.esp is not None]
    assert len(esp) == 6 and all(p.esp.plain.truncated for p in esp)
    assert all(p.esp.plain.problem == "cut short by the capture (snap length): not decrypted" for p in esp)
    assert [(st.truncated, st.icv_failed, st.garbled) for st in d.esp.summary()] == [(3, 0, 0), (3, 0, 0)]


def test_sequence_analysis_gaps_replays():
    sa = _natt_sa(0, "seq")
    _, packets = _run("v4-natt")
    mine = [p for p in packets if p.esp is not None and p.esp.spi == sa.spi]
    assert [p.esp.seq for p in mine] == [1, 2, 3]
    dec = EspDecryptor([sa])
    notes = [dec.process(p).seq_note for p in (mine[0], mine[2], mine[2], mine[1])]
    assert notes == ["", "gap of 1", "replay", "out of order"]
    st = dec.summary()[0]
    # the late packet 2 filled the gap it had left
    assert (st.gaps, st.reordered, st.replays, st.decrypted, st.icv_failed) == (0, 1, 1, 4, 0)


def test_transport_mode_inner_gets_the_outer_addresses():
    icmp = bytes.fromhex("0800f7ff00000000")
    inner = decode_inner(1, icmp, "192.0.2.1", "192.0.1.1")
    assert inner.mode == "transport" and inner.src == "192.0.2.1"
    import dpkt
    ip = dpkt.ip.IP(inner.ip_bytes)
    assert ip.p == 1 and bytes(ip.data) == icmp and ip.len == 28


def test_sequence_wrap_on_rewritten_capture():
    """The lab's packets with their sequence numbers rewritten to the end of the 32-bit space and past it:
    one wrap counted, no gap.  The rewritten header no longer fits its ICV, so the SA is taken with an
    unchecked 96-bit ICV ("ANY 96 bit"), as a table without the integrity key would give it; a failed
    ICV would leave the window alone (RFC 4303 §3.4.3)."""
    sa = _natt_sa(0, "wrap")
    checked = EspDecryptor([sa])
    sa = EspSa(sa.spi, sa.src, sa.dst, sa.enc, sa.enc_key, INTEGRITY["ANY-96"], b"", "wrap, ICV unchecked")
    _, packets = _run("v4-natt")
    mine = [p for p in packets if p.esp is not None and p.esp.spi == sa.spi]
    dec = EspDecryptor([sa])
    notes = []
    for p, seq in zip(mine, (0xFFFFFFFE, 0xFFFFFFFF, 1)):
        p.esp.seq = seq
        p.datagram.payload = p.datagram.payload[:4] + seq.to_bytes(4, "big") + p.datagram.payload[8:]
        notes.append(dec.process(p).seq_note)
        assert checked.process(p).icv == "failed"
    st = dec.summary()[0]
    assert notes == ["", "", "wrapped"]
    assert (st.wraps, st.gaps, st.icv_failed, st.decrypted) == (1, 0, 0, 3)
    failed = checked.summary()[0]
    assert (failed.icv_failed, failed.wraps, failed.last_seq) == (3, 0, None)


ALL_ESP_CASES = sorted(p.parent.name for p in (c / "truth.json" for c in shipped_cases())
                       if json.loads(p.read_text()).get("esp_sas") and json.loads(p.read_text())["frames"].get("ESP"))


def test_all_esp_cases_found():
    assert "v6-ikev2-psk" in ALL_ESP_CASES and len(ALL_ESP_CASES) >= 8


@pytest.mark.parametrize("case", ALL_ESP_CASES)
def test_lab_esp_sa_table_decrypts_every_packet(case):
    """The lab's esp_sa table (the SAs strongSwan logged, in Wireshark's form), IKEv2 included, whose
    keys ikescope does not derive (IKEv2 is not decrypted yet): every ESP packet, ICV correct, the pings."""
    from dissect.espsources import load_esp_file
    t = _truth(case)
    problems: list[str] = []
    sas = load_esp_file(str(CAPTURES / case / "esp_sa"), problems)
    assert problems == [] and len(sas) >= len(t["esp_sas"])  # v4-rekey-dpd: truth.json lists the first IKE SA's
    _, packets = _run(case, esp_sas=sas)
    esp = [p for p in packets if p.esp is not None]
    assert len(esp) == len(t["frames"]["ESP"])
    assert all(p.esp.plain is not None and p.esp.plain.ok and p.esp.plain.icv == "ok" for p in esp)
    summaries = [p.esp.plain.inner.summary for p in esp]
    sent, received = _pings(t)
    assert (sum("Echo (ping) request" in s for s in summaries), sum("Echo (ping) reply" in s for s in summaries)) \
        == (sent, received)
