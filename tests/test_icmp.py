"""ICMP/ICMPv6 errors that quote IKE or ESP packets (RFC 792, RFC 4443) become ICMP-error rows."""
from __future__ import annotations

import struct

import _synth as S
from dissect.pipeline import Dissector


def _icmp(typ: int, code: int, rest: int, quoted: bytes) -> bytes:
    return struct.pack(">BBHI", typ, code, 0, rest) + quoted


def _packets(tmp_path, frames):
    path = S.write_pcap(tmp_path / "icmp.pcap", 1, [(1_700_000_000 + i, 0, S.ethernet(f)) for i, f in enumerate(frames)])
    d = Dissector(str(path))
    return list(d.packets()), d.stats


def test_port_unreachable_for_ike(tmp_path):
    """The responder has no IKE daemon: ICMP port unreachable quoting MM1 (IP header + 28 bytes,
    as Linux quotes), with the initiator cookie of the lab's MM1."""
    mm1 = S.ip(4, 17, S.udp(500, 500, S.MM1))
    err = S.ip(4, 1, _icmp(3, 3, 0, mm1[:20 + 8 + 28]), reverse=True)
    pkts, stats = _packets(tmp_path, [mm1, err])
    assert [p.role for p in pkts] == ["MM1", "ICMP-error"]
    i = pkts[1].icmp
    assert (i.type, i.code, i.type_name, i.code_name) == (3, 3, "Destination unreachable", "Port unreachable")
    assert (i.quoted_src, i.quoted_dst, i.sport, i.dport, i.about) == (S.V4_A, S.V4_B, 500, 500, "IKE")
    assert i.icookie == S.MM1[:8]
    assert stats.icmp_errors == 1
    assert pkts[1].to_dict()["icmp"]["quoted"]["icookie"] == S.MM1[:8].hex()


def test_packet_too_big_for_udp_encapsulated_esp(tmp_path):
    """ICMPv6 packet too big (RFC 4443 §3.2) quoting UDP-encapsulated ESP: MTU and SPI."""
    esp = S.ip(6, 17, S.udp(4500, 4500, S.ESP))
    err = S.ip(6, 58, _icmp(2, 0, 1280, esp[:1232]), reverse=True)
    pkts, _stats = _packets(tmp_path, [err])
    i = pkts[0].icmp
    assert (i.version, i.type_name, i.mtu, i.about, i.spi, i.seq) == (6, "Packet too big", 1280,
                                                                      "UDP-encapsulated ESP", S.ESP_SPI, S.ESP_SEQ)
    assert "MTU 1280" in i.summary()


def test_protocol_unreachable_for_plain_esp(tmp_path):
    esp = S.ip(4, 50, S.ESP)
    err = S.ip(4, 1, _icmp(3, 2, 0, esp[:28]), reverse=True)
    pkts, _stats = _packets(tmp_path, [err])
    assert pkts[0].icmp.about == "ESP" and pkts[0].icmp.spi == S.ESP_SPI


def test_other_icmp_is_counted_not_shown(tmp_path):
    echo = S.ip(4, 1, _icmp(8, 0, 0x00010001, b"ping"))          # echo request: not an error
    dns = S.ip(4, 17, S.udp(5353, 53, b"\0" * 12))
    about_dns = S.ip(4, 1, _icmp(3, 3, 0, dns[:28]), reverse=True)  # an error about DNS
    pkts, stats = _packets(tmp_path, [echo, about_dns])
    assert pkts == []
    assert stats.frames == 2 and sum(stats.skipped.values()) == 2


def test_icmp_error_is_linked_to_the_ike_sa_it_quotes(tmp_path):
    """The quoted ISAKMP cookies name IKE SA #1: the ICMP row carries it, and so does the SA's summary."""
    from cli.summary import summary_lines

    mm1 = S.ip(4, 17, S.udp(500, 500, S.MM1))
    err = S.ip(4, 1, _icmp(3, 3, 0, mm1[:20 + 8 + 28]), reverse=True)
    path = S.write_pcap(tmp_path / "linked.pcap", 1, [(1, 0, S.ethernet(mm1)), (2, 0, S.ethernet(err))])
    d = Dissector(str(path))
    pkts = list(d.packets())
    assert pkts[1].sa is pkts[0].sa and pkts[1].to_dict()["icmp"]["sa"] == 1
    sa_line = [text for text, _s in summary_lines(d.stats, d.tracker.sas.values()) if text.startswith("IKEv1 SA #1")][0]
    assert "1 ICMP error(s) about it" in sa_line and "phase 1 did not complete (no MM6)" in sa_line
