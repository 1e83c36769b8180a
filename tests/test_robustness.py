"""Inputs found by fuzzing (two rounds): each must be handled, counted and labelled as promised."""
from __future__ import annotations

import lzma
import struct

import _synth as S
from conftest import CAPTURES
from dissect.pipeline import Dissector

CASE = CAPTURES / "v6-aes128-sha1-modp1024"


def _run(tmp_path, frames, linktype=1, name="t.pcap"):
    path = S.write_pcap(tmp_path / name, linktype, [(1_700_000_000 + i, 0, f) for i, f in enumerate(frames)])
    d = Dissector(str(path))
    return list(d.packets()), d.stats


def _accounted(pkts, stats):
    return len(pkts) + stats.fragment_frames + sum(stats.skipped.values()) + sum(stats.undecodable.values())


def test_fragment_headers_nested_with_options_are_bounded(tmp_path):
    """400 × (atomic Fragment header -> Destination Options -> Fragment ...): no recursion error."""
    chain = b""
    for i in range(400):
        chain += S.v6_fragment(60, 0, False, i) + S.v6_opts(44)
    chain += S.v6_fragment(17, 0, False, 999) + S.udp(500, 500, S.MM1)
    pkts, stats = _run(tmp_path, [S.ethernet(S.ipv6(S.V6_A, S.V6_B, 44, chain))])
    assert pkts == [] and stats.frames == 1 and sum(stats.undecodable.values()) == 1


def test_every_frame_twice_as_a_span_port_copies_it(tmp_path):
    """A fragmented MM1 whose frames each appear twice: one datagram, the copies counted, no 'never reassembled'."""
    udp = S.udp(500, 500, S.MM1)
    a = S.ethernet(S.ipv4(S.V4_A, S.V4_B, 17, udp[:96], ident=7, mf=True))
    b = S.ethernet(S.ipv4(S.V4_A, S.V4_B, 17, udp[96:], ident=7, frag_offset=96))
    pkts, stats = _run(tmp_path, [a, a, b, b])
    assert [(p.role, p.datagram.fragments) for p in pkts] == [("MM1", (1, 2, 3))]
    assert stats.skipped == {"duplicate of an IP fragment already reassembled": 1}  # frame 4
    assert "IP fragments never reassembled" not in stats.undecodable
    assert _accounted(pkts, stats) == stats.frames == 4


def _mm(raw_isakmp, src, dst):
    return S.ethernet(S.ip(4, 17, S.udp(500, 500, raw_isakmp), src=src, dst=dst))


def _mm_message(rc=b"\x22" * 8, encrypted=False, fill=0):
    """A Main Mode message of the lab's SA with a KE payload (or an encrypted body) of ``fill`` bytes."""
    ke = struct.pack(">BBH", 0, 0, 4 + 128) + bytes([fill]) * 128
    body = bytes([fill]) * 48 if encrypted else ke
    return struct.pack(">8s8sBBBBII", S.MM1[:8], rc, 4 if not encrypted else 5, 0x10, 2,
                       1 if encrypted else 0, 0, 28 + len(body)) + body


def test_a_lost_mm5_is_no_evidence(tmp_path):
    """MM3 (A), MM4 (B), then MM6 (B) with MM5 lost: B is not the initiator; the labels stay guesses."""
    frames = [_mm(_mm_message(fill=1), S.V4_A, S.V4_B), _mm(_mm_message(fill=2), S.V4_B, S.V4_A),
              _mm(_mm_message(encrypted=True, fill=3), S.V4_B, S.V4_A)]
    pkts, _stats = _run(tmp_path, frames)
    assert [p.role for p in pkts] == ["MM3?", "MM4?", "MM6?"]


def test_informational_during_phase_1_keeps_the_guess_open(tmp_path):
    note = struct.pack(">BBH", 0, 0, 12) + struct.pack(">IBBH", 1, 1, 0, 24)  # N(AUTHENTICATION-FAILED)
    info = struct.pack(">8s8sBBBBII", S.MM1[:8], b"\x22" * 8, 11, 0x10, 5, 0, 0x1234, 28 + len(note)) + note
    frames = [_mm(_mm_message(fill=1), S.V4_A, S.V4_B), _mm(info, S.V4_B, S.V4_A),
              _mm(_mm_message(fill=2), S.V4_B, S.V4_A), _mm(_mm_message(encrypted=True, fill=3), S.V4_A, S.V4_B)]
    pkts, _stats = _run(tmp_path, frames)
    assert [p.role for p in pkts] == ["MM3", "INFO", "MM4", "MM5"]


def test_a_corrupt_xz_keeps_the_frames_before_the_fault(tmp_path):
    plain = (CAPTURES / "v4-rekey-dpd" / "capture.pcap").read_bytes()
    packed = bytearray(lzma.compress(plain))
    packed[len(packed) // 2] ^= 0xFF
    path = tmp_path / "c.pcap.xz"
    path.write_bytes(bytes(packed))
    d = Dissector(str(path))
    got = [p.to_dict() for p in d.packets()]
    full = [p.to_dict() for p in Dissector(str(CAPTURES / "v4-rekey-dpd" / "capture.pcap")).packets()]
    assert 0 < len(got) < len(full) and got == full[:len(got)]
    assert "compressed data is corrupt" in d.stats.truncated


def test_icmp_quotes_of_ah_protected_esp_and_keepalives(tmp_path):
    ah = struct.pack(">BBHII", 50, 4, 0, 0x1111, 1) + bytes(12)  # AH (RFC 4302) with a 96-bit ICV, then ESP
    esp = S.ipv4(S.V4_A, S.V4_B, 51, ah + S.ESP[:8])
    keepalive = S.ipv4(S.V4_A, S.V4_B, 17, S.udp(4500, 4500, b"\xff"))
    v6_inside_v4 = S.ipv6(S.V6_A, S.V6_B, 50, S.ESP[:8])
    frames = [S.ethernet(S.ipv4(S.V4_B, S.V4_A, 1, struct.pack(">BBHI", 3, 2, 0, 0) + esp)),
              S.ethernet(S.ipv4(S.V4_B, S.V4_A, 1, struct.pack(">BBHI", 3, 3, 0, 0) + keepalive)),
              S.ethernet(S.ipv4(S.V4_B, S.V4_A, 1, struct.pack(">BBHI", 3, 2, 0, 0) + v6_inside_v4))]
    pkts, stats = _run(tmp_path, frames)
    assert [(p.icmp.about, p.icmp.spi) for p in pkts] == [("ESP", S.ESP_SPI), ("NAT keepalive", None)]
    assert stats.skipped == {"ICMP, not an error about IKE/ESP": 1}  # ICMPv4 does not quote IPv6
