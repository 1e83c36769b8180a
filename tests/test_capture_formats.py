"""Capture formats, link layers, IP and UDP classification, on synthetic captures.

Each capture is written by hand (tests/_synth.py, struct only) around real
bytes from captures/v6-aes128-sha1-modp1024/capture.pcap: frame 1 (MM1 on
UDP 500), frame 5 (MM5 after the non-ESP marker) and frame 10 (UDP-
encapsulated ESP).  The same logical traffic is written in every format and
link type, and :class:`dissect.pipeline.Dissector` must read it identically:
same frame numbers, addresses, ports, classification, ISAKMP and ESP fields,
and exact timestamps.
"""
from __future__ import annotations

import socket
import struct
import sys
from fractions import Fraction
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _synth as S  # noqa: E402
from conftest import CAPTURES, PUBLIC, capture_files  # noqa: E402

from dissect.capture import CaptureError  # noqa: E402
from dissect.model import Frame  # noqa: E402
from dissect.netlayer import fast_esp  # noqa: E402
from dissect.pipeline import Dissector  # noqa: E402
from dissect.prefilter import IKE_PORTS  # noqa: E402

BASE_SEC = 1795959880  # the lab capture's epoch second (2026-11-29)

# RFC 3948 §2.2: a NAT-keepalive is a single octet 0xFF.
KEEPALIVE = b"\xff"
# A DNS query, large enough that the raw-byte prefilter itself drops it.
DNS = bytes.fromhex("abcd01000001000000000000") + b"\x03www\x07example\x03com\x00\x00\x01\x00\x01" + bytes(16)
SSH = b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n" + bytes(32)


def run(path: Path, **kw):
    d = Dissector(str(path), **kw)
    pkts = list(d.packets())
    return d, pkts


def dicts(path: Path, **kw) -> list[dict]:
    return [p.to_dict() for p in run(path, **kw)[1]]


# ---------------------------------------------------------------------------
# The reference traffic: seven IP packets, two of them not IKE/ESP.

def traffic(version: int) -> list[bytes]:
    """IP packets: MM1 (500), DNS, ESP, MM5 (4500 + marker), keepalive, UDP-ESP (B->A), SSH."""
    return [
        S.ip(version, 17, S.udp(500, 500, S.MM1)),
        S.ip(version, 17, S.udp(33333, 53, DNS)),
        S.ip(version, 50, S.ESP),
        S.ip(version, 17, S.udp(4500, 4500, S.NON_ESP_MARKER + S.MM5)),
        S.ip(version, 17, S.udp(4500, 4500, KEEPALIVE)),
        S.ip(version, 17, S.udp(4500, 4500, S.ESP), reverse=True),
        S.ip(version, 6, S.tcp(40000, 22, SSH)),
    ]


IKE_FRAMES = [1, 3, 4, 5, 6]  # 1-based; 2 and 7 are not IKE/ESP


def check_reference(pkts, version: int) -> None:
    """What the reference traffic must dissect to, from the RFCs and the message bytes."""
    a, b = (S.V4_A, S.V4_B) if version == 4 else (S.V6_A, S.V6_B)
    assert [p.frame for p in pkts] == IKE_FRAMES
    for p in pkts:
        assert p.datagram.ip_version == version
    mm1, esp, mm5, ka, uesp = pkts
    # frame 1: ISAKMP on UDP 500, no marker
    d = mm1.to_dict()
    assert (d["src"], d["dst"], d["sport"], d["dport"]) == (a, b, 500, 500)
    assert "non_esp_marker" not in d
    assert d["isakmp"]["icookie"] == "1d07f21f88904135"
    assert d["isakmp"]["rcookie"] == "0000000000000000"
    assert d["isakmp"]["exchange_type"] == 2
    assert d["isakmp"]["length"] == 184
    assert mm1.isakmp.raw == S.MM1
    # frame 3: ESP in IP protocol 50: SPI and sequence number, no ports
    assert esp.esp is not None and esp.isakmp is None
    assert (esp.esp.spi, esp.esp.seq, esp.esp.udp_encap) == (S.ESP_SPI, S.ESP_SEQ, False)
    assert esp.esp.length == len(S.ESP)
    assert (esp.datagram.proto, esp.datagram.sport, esp.datagram.dport) == (50, None, None)
    # frame 4: UDP 4500, non-ESP marker, then the ISAKMP message (marker stripped)
    assert mm5.isakmp is not None and mm5.datagram.non_esp_marker
    assert mm5.isakmp.raw == S.MM5
    assert mm5.to_dict()["non_esp_marker"] is True
    assert mm5.isakmp.header.rcookie.hex() == "e85232252cf4cdff"
    assert mm5.isakmp.encrypted
    # frame 5: NAT keepalive
    assert ka.isakmp is None and ka.esp is None
    assert ka.to_dict()["nat_keepalive"] is True
    assert ka.datagram.kind == "nat-keepalive"
    # frame 6: UDP-encapsulated ESP from B to A
    assert uesp.esp is not None
    assert (uesp.esp.spi, uesp.esp.seq, uesp.esp.udp_encap) == (S.ESP_SPI, S.ESP_SEQ, True)
    assert (uesp.datagram.src, uesp.datagram.dst, uesp.datagram.sport, uesp.datagram.dport) == (b, a, 4500, 4500)
    assert uesp.to_dict()["esp"] == {"spi": "0x6652da2d", "seq": 1, "length": len(S.ESP), "udp_encap": True}


def check_stats(d: Dissector, total: int = 7) -> None:
    st = d.stats
    assert st.frames == total
    assert (st.isakmp, st.esp, st.keepalive) == (2, 2, 1)
    assert all(v > 0 for v in st.skipped.values()), st.skipped
    assert sum(st.skipped.values()) == total - 5, st.skipped
    assert not st.undecodable


def us_times(n: int) -> list[tuple[int, int]]:
    return [(BASE_SEC + i, 177947 + 1011 * i) for i in range(n)]


def ns_times(n: int) -> list[tuple[int, int]]:
    return [(BASE_SEC + i, 177947123 + 1011017 * i) for i in range(n)]


def exact(sec: int, frac: int, digits: int) -> float:
    """The float nearest to sec + frac·10^-digits (what a correct reader returns)."""
    return float(Fraction(sec) + Fraction(frac, 10 ** digits))


# ---------------------------------------------------------------------------
# Link types

AF_INET = 2
#: AF_INET6 as the capturing OS numbers it: NetBSD/OpenBSD/BSDi 24,
#: FreeBSD/DragonFly 28, Darwin 30, Linux 10 (pcap-linktype(7), LINKTYPE_NULL).
AF_INET6_VALUES = (24, 28, 30, 10)


def _links():
    out = []
    for v in (4, 6):
        out += [
            pytest.param(1, lambda p: S.ethernet(p), v, id=f"ethernet-v{v}"),
            pytest.param(1, lambda p: S.ethernet(p, vlans=((0x8100, 100),)), v, id=f"8021q-v{v}"),
            pytest.param(1, lambda p: S.ethernet(p, vlans=((0x88A8, 200), (0x8100, 100))), v, id=f"qinq-88a8-v{v}"),
            pytest.param(1, lambda p: S.ethernet(p, vlans=((0x8100, 200), (0x8100, 100))), v, id=f"qinq-8100-v{v}"),
            pytest.param(113, S.sll, v, id=f"sll-v{v}"),
            pytest.param(276, S.sll2, v, id=f"sll2-v{v}"),
            pytest.param(101, lambda p: p, v, id=f"raw101-v{v}"),
            pytest.param(108, lambda p, v=v: S.loop(p, AF_INET if v == 4 else 24), v, id=f"loop-v{v}"),
        ]
    out.append(pytest.param(228, lambda p: p, 4, id="ipv4-228"))
    out.append(pytest.param(229, lambda p: p, 6, id="ipv6-229"))
    for order, name in (("<", "le"), (">", "be")):
        out.append(pytest.param(0, lambda p, o=order: S.null(p, AF_INET, o), 4, id=f"null-inet-{name}"))
        for af in AF_INET6_VALUES:
            out.append(pytest.param(0, lambda p, o=order, af=af: S.null(p, af, o), 6, id=f"null-inet6-{af}-{name}"))
    return out


LINKS = _links()


@pytest.mark.parametrize("linktype,wrap,version", LINKS)
def test_link_types(tmp_path, linktype, wrap, version):
    frames = [wrap(p) for p in traffic(version)]
    times = us_times(len(frames))
    path = S.write_pcap(tmp_path / "c.pcap", linktype, [(s, f, fr) for (s, f), fr in zip(times, frames)])
    d, pkts = run(path)
    check_reference(pkts, version)
    for p in pkts:
        assert p.datagram.time == exact(*times[p.frame - 1], 6)
    # every link type gives what plain Ethernet gives
    ref = S.write_pcap(tmp_path / "ref.pcap", 1,
                       [(s, f, S.ethernet(p)) for (s, f), p in zip(times, traffic(version))])
    assert [p.to_dict() for p in pkts] == dicts(ref)
    # and both lanes agree
    assert dicts(path, fast=False) == dicts(path, fast=True)
    check_stats(d)


# ---------------------------------------------------------------------------
# pcap header variants

@pytest.mark.parametrize("order", ["<", ">"], ids=["little-endian", "big-endian"])
@pytest.mark.parametrize("nano", [False, True], ids=["usec", "nsec"])
@pytest.mark.parametrize("version", [4, 6])
def test_pcap_byte_order_and_resolution(tmp_path, order, nano, version):
    frames = [S.ethernet(p) for p in traffic(version)]
    times = ns_times(len(frames)) if nano else us_times(len(frames))
    path = S.write_pcap(tmp_path / "c.pcap", 1, [(s, f, fr) for (s, f), fr in zip(times, frames)],
                        order=order, nano=nano)
    d, pkts = run(path)
    check_reference(pkts, version)
    check_stats(d)
    for p in pkts:
        assert p.datagram.time == exact(*times[p.frame - 1], 9 if nano else 6), p.frame
    # the same file in the other byte order reads the same
    other = S.write_pcap(tmp_path / "o.pcap", 1, [(s, f, fr) for (s, f), fr in zip(times, frames)],
                         order="<" if order == ">" else ">", nano=nano)
    assert [p.to_dict() for p in pkts] == dicts(other)


def test_pcap_nanosecond_magic_keeps_sub_microsecond_order(tmp_path):
    """Two frames 1 ns apart in a nanosecond pcap keep their order and differ by ~1 ns."""
    frames = [S.ethernet(S.ip(4, 50, S.ESP)), S.ethernet(S.ip(4, 50, S.ESP))]
    path = S.write_pcap(tmp_path / "n.pcap", 1, [(BASE_SEC, 5, frames[0]), (BASE_SEC, 6, frames[1])], nano=True)
    _d, pkts = run(path)
    assert [p.datagram.time for p in pkts] == [exact(BASE_SEC, 5, 9), exact(BASE_SEC, 6, 9)]


# ---------------------------------------------------------------------------
# pcapng

def _pcapng_mixed(tmp_path: Path, order: str, version: int, second_resol: int = 9,
                  second_offset: int = 0) -> tuple[Path, list[float]]:
    """Seven frames alternating between an Ethernet interface (µs, default
    resolution) and a Linux SLL interface (10^-``second_resol`` s, with
    if_tsoffset ``second_offset``)."""
    ips = traffic(version)
    interfaces = [{"linktype": 1, "tsresol": 6}, {"linktype": 113, "tsresol": second_resol,
                                                   "tsoffset": second_offset}]
    records, expected = [], []
    for i, p in enumerate(ips):
        sec = BASE_SEC + i
        if i % 2 == 0:
            frac = 177947 + 1011 * i
            records.append((0, sec * 10 ** 6 + frac, S.ethernet(p)))
            expected.append(exact(sec, frac, 6))
        else:
            frac = (177947123 + 1011017 * i) % 10 ** second_resol
            ticks = (sec - second_offset) * 10 ** second_resol + frac
            records.append((1, ticks, S.sll(p)))
            expected.append(exact(sec, frac, second_resol))
    return S.write_pcapng(tmp_path / f"c-{order == '<'}.pcapng", interfaces, records, order), expected


@pytest.mark.parametrize("order", ["<", ">"], ids=["little-endian", "big-endian"])
@pytest.mark.parametrize("version", [4, 6])
def test_pcapng_two_interfaces_link_types_and_resolutions(tmp_path, order, version):
    path, expected = _pcapng_mixed(tmp_path, order, version, second_resol=9, second_offset=0)
    d, pkts = run(path)
    check_reference(pkts, version)
    check_stats(d)
    # the same traffic as a microsecond pcap on Ethernet: identical but for the time
    ref = S.write_pcap(tmp_path / "ref.pcap", 1,
                       [(BASE_SEC + i, 0, S.ethernet(p)) for i, p in enumerate(traffic(version))])
    strip = lambda ds: [{k: v for k, v in x.items() if k != "time"} for x in ds]  # noqa: E731
    assert strip(p.to_dict() for p in pkts) == strip(dicts(ref))
    for p in pkts:
        assert p.datagram.time == expected[p.frame - 1], f"frame {p.frame}"


@pytest.mark.parametrize("resol", [6, 9])
@pytest.mark.parametrize("version", [4, 6])
def test_pcapng_if_tsoffset(tmp_path, version, resol):
    """if_tsoffset (seconds) is added to every timestamp of that interface."""
    path, expected = _pcapng_mixed(tmp_path, "<", version, second_resol=resol, second_offset=BASE_SEC - 100)
    d, pkts = run(path)
    check_reference(pkts, version)
    for p in pkts:
        assert p.datagram.time == expected[p.frame - 1], f"frame {p.frame}"


def test_pcapng_nanosecond_timestamps_exact(tmp_path):
    """An if_tsresol=9 interface gives the same (nearest-float) time as a nanosecond pcap.

    1795959885.183002208 s is 1795959885183002208 ticks, more than 2^53: turned
    into a float before the division it loses its last bits, and the time
    comes out as 1795959885.183002 (the nearest float is 1795959885.1830022).
    """
    sec, ns = BASE_SEC + 5, 183002208
    frame = S.ethernet(S.ip(6, 17, S.udp(500, 500, S.MM1)))
    ng = S.write_pcapng(tmp_path / "n.pcapng", [{"linktype": 1, "tsresol": 9}], [(0, sec * 10 ** 9 + ns, frame)])
    pc = S.write_pcap(tmp_path / "n.pcap", 1, [(sec, ns, frame)], nano=True)
    want = exact(sec, ns, 9)
    (p_pcap,) = run(pc)[1]
    assert p_pcap.datagram.time == want
    (p_ng,) = run(ng)[1]
    assert p_ng.datagram.time == want, (repr(p_ng.datagram.time), repr(want))
    assert p_ng.to_dict() == p_pcap.to_dict()


def test_pcapng_binary_resolution(tmp_path):
    """if_tsresol with the top bit set is a negative power of two (2^-20 here)."""
    ticks = BASE_SEC * 2 ** 20 + 12345
    frame = S.ethernet(S.ip(4, 50, S.ESP))
    ng = S.write_pcapng(tmp_path / "b.pcapng", [{"linktype": 1, "tsresol": 0x80 | 20}], [(0, ticks, frame)])
    (p,) = run(ng)[1]
    assert p.datagram.time == float(Fraction(ticks, 2 ** 20))


def test_pcapng_default_resolution_is_microseconds(tmp_path):
    frame = S.ethernet(S.ip(4, 50, S.ESP))
    ng = S.write_pcapng(tmp_path / "d.pcapng", [{"linktype": 1}], [(0, BASE_SEC * 10 ** 6 + 42, frame)])
    (p,) = run(ng)[1]
    assert p.datagram.time == exact(BASE_SEC, 42, 6)


def test_pcapng_interface_ids_and_frame_numbers(tmp_path):
    """Frames on an unsupported interface are counted, numbered and skipped."""
    ips = traffic(4)
    interfaces = [{"linktype": 147}, {"linktype": 101}]  # 147: USER0, not decodable
    records = [(0, BASE_SEC * 10 ** 6, b"\x01\x02\x03" * 30)]
    records += [(1, (BASE_SEC + i) * 10 ** 6, p) for i, p in enumerate(ips)]
    path = S.write_pcapng(tmp_path / "u.pcapng", interfaces, records)
    d, pkts = run(path)
    assert [p.frame for p in pkts] == [f + 1 for f in IKE_FRAMES]
    assert d.stats.frames == 8
    assert sum(d.stats.skipped.values()) == 3, d.stats.skipped


def test_pcapng_two_sections_of_different_byte_order(tmp_path):
    """A second SHB starts a new section with its own byte order and interfaces
    (two pcapng files concatenated): frame numbers continue across it."""
    ips = traffic(4)
    first = S.write_pcapng(tmp_path / "a.pcapng", [{"linktype": 1}],
                           [(0, (BASE_SEC + i) * 10 ** 6, S.ethernet(p)) for i, p in enumerate(ips[:3])], "<")
    second = S.write_pcapng(tmp_path / "b.pcapng", [{"linktype": 101, "tsresol": 9}],
                            [(0, (BASE_SEC + 3 + i) * 10 ** 9, p) for i, p in enumerate(ips[3:])], ">")
    both = tmp_path / "both.pcapng"
    both.write_bytes(first.read_bytes() + second.read_bytes())
    d, pkts = run(both)
    check_reference(pkts, 4)
    assert [p.datagram.time for p in pkts] == [float(BASE_SEC + f - 1) for f in IKE_FRAMES]
    check_stats(d)


def test_pcapng_non_packet_blocks_are_not_frames(tmp_path):
    """Name Resolution (4), Interface Statistics (5) and custom (0x40000BAD) blocks are not frames."""
    ips = traffic(6)
    path = S.write_pcapng(tmp_path / "p.pcapng", [{"linktype": 1}],
                          [(0, (BASE_SEC + i) * 10 ** 6, S.ethernet(p)) for i, p in enumerate(ips)])
    raw = path.read_bytes()
    # split after the SHB and IDB, then between every EPB, and insert other blocks
    blocks, pos = [], 0
    while pos < len(raw):
        n = struct.unpack_from("<I", raw, pos + 4)[0]
        blocks.append(raw[pos:pos + n])
        pos += n
    nrb = S._block("<", 4, struct.pack("<HH", 0, 0))  # nrb_record_end only
    isb = S._block("<", 5, struct.pack("<III", 0, 0, 0))
    custom = S._block("<", 0x40000BAD, struct.pack("<I", 32473) + b"ikescope")
    out = blocks[:2] + [nrb]
    for b in blocks[2:]:
        out += [b, isb, custom]
    path.write_bytes(b"".join(out))
    d, pkts = run(path)
    check_reference(pkts, 6)
    check_stats(d)


def test_pcap_modified_kuznetzov_format(tmp_path):
    """Magic 0xa1b2cd34: 24-byte record headers (ifindex, protocol, packet type, pad after the usual 16)."""
    frames = [S.ethernet(p) for p in traffic(4)]
    out = [struct.pack("<IHHiIII", 0xA1B2CD34, 2, 4, 0, 0, 65535, 1)]
    for i, fr in enumerate(frames):
        out.append(struct.pack("<IIIIiHBB", BASE_SEC + i, 500000, len(fr), len(fr), 2, 0x0800, 0, 0) + fr)
    path = tmp_path / "k.pcap"
    path.write_bytes(b"".join(out))
    d, pkts = run(path)
    check_reference(pkts, 4)
    assert pkts[0].datagram.time == BASE_SEC + 0.5
    check_stats(d)


def test_pcap_cut_mid_record(tmp_path):
    """A capture that ends inside a record keeps the frames before it and says where it stopped."""
    frames = [S.ethernet(p) for p in traffic(4)]
    path = S.write_pcap(tmp_path / "t.pcap", 1, [(BASE_SEC + i, 0, f) for i, f in enumerate(frames)])
    path.write_bytes(path.read_bytes()[:-10])
    d, pkts = run(path)
    assert [p.frame for p in pkts] == IKE_FRAMES  # frame 7 (not IKE) is the one cut
    assert d.stats.frames == 6
    assert d.stats.truncated and "frame 7" in d.stats.truncated


# ---------------------------------------------------------------------------
# IPv6 extension headers

def _v6_ext_chain(upper: int, payload: bytes) -> tuple[int, bytes]:
    """Hop-by-hop (0) -> Routing (43, type 0, segments left 0) -> Destination options (60) -> upper."""
    body = S.v6_opts(43, 8) + S.v6_routing(60) + S.v6_opts(upper, 16) + payload
    return 0, body


@pytest.mark.parametrize("link", ["ethernet", "raw"])
def test_ipv6_extension_headers_before_udp(tmp_path, link):
    nxt, body = _v6_ext_chain(17, S.udp(500, 500, S.MM1))
    pkt = S.ipv6(S.V6_A, S.V6_B, nxt, body)
    nxt2, body2 = _v6_ext_chain(50, S.ESP)
    pkt2 = S.ipv6(S.V6_A, S.V6_B, nxt2, body2)
    nxt3, body3 = _v6_ext_chain(17, S.udp(4500, 4500, S.NON_ESP_MARKER + S.MM5))
    pkt3 = S.ipv6(S.V6_A, S.V6_B, nxt3, body3)
    wrap = S.ethernet if link == "ethernet" else (lambda p: p)
    path = S.write_pcap(tmp_path / "x.pcap", 1 if link == "ethernet" else 101,
                        [(BASE_SEC, i, wrap(p)) for i, p in enumerate([pkt, pkt2, pkt3])])
    d, pkts = run(path)
    assert [p.frame for p in pkts] == [1, 2, 3]
    assert pkts[0].isakmp.raw == S.MM1
    assert (pkts[0].datagram.sport, pkts[0].datagram.dport) == (500, 500)
    assert (pkts[1].esp.spi, pkts[1].esp.seq) == (S.ESP_SPI, S.ESP_SEQ)
    assert pkts[2].isakmp.raw == S.MM5 and pkts[2].datagram.non_esp_marker
    assert dicts(path, fast=False) == dicts(path, fast=True)


# ---------------------------------------------------------------------------
# IP fragments

def _v4_fragments(payload: bytes, proto: int, sizes: list[int], ident: int = 0x4242) -> list[bytes]:
    out, off = [], 0
    for i, n in enumerate(sizes):
        last = i == len(sizes) - 1
        piece = payload[off:] if last else payload[off:off + n]
        out.append(S.ipv4(S.V4_A, S.V4_B, proto, piece, ident=ident, mf=not last, frag_offset=off))
        off += n
    return out


def _v6_fragments(unfrag: bytes, first_nxt: int, frag_nxt: int, fragmentable: bytes, sizes: list[int],
                  ident: int = 0xABCDEF01) -> list[bytes]:
    """RFC 8200 §4.5: each fragment = unfragmentable part (here: first_nxt chain ending in 44) +
    Fragment header + a piece of the fragmentable part (whose first header is ``frag_nxt``)."""
    out, off = [], 0
    for i, n in enumerate(sizes):
        last = i == len(sizes) - 1
        piece = fragmentable[off:] if last else fragmentable[off:off + n]
        body = unfrag + S.v6_fragment(frag_nxt, off, not last, ident) + piece
        out.append(S.ipv6(S.V6_A, S.V6_B, first_nxt, body))
        off += n
    return out


@pytest.mark.parametrize("order", [[0, 1, 2], [2, 0, 1], [1, 2, 0]], ids=["in-order", "last-first", "first-last"])
def test_ipv4_fragments_reassembled(tmp_path, order):
    dgram = S.udp(500, 500, S.MM1)  # 192 bytes
    frags = _v4_fragments(dgram, 17, [64, 64, 64])
    # interleave a non-IKE frame between the fragments
    seq = []
    for k in order:
        seq.append(S.ethernet(frags[k]))
        seq.append(S.ethernet(S.ip(4, 6, S.tcp(40000, 22, SSH))))
    path = S.write_pcap(tmp_path / "f4.pcap", 1, [(BASE_SEC, i, fr) for i, fr in enumerate(seq)])
    d, pkts = run(path)
    assert len(pkts) == 1
    (p,) = pkts
    assert p.isakmp is not None and p.isakmp.raw == S.MM1
    assert p.frame == 5  # the frame whose fragment completed the datagram (the last one to arrive)
    assert p.datagram.time == exact(BASE_SEC, 4, 6)
    assert list(p.datagram.fragments) == [1, 3, 5]
    assert p.to_dict()["fragments"] == [1, 3, 5]
    assert d.stats.frames == 6 and d.stats.fragments_pending == 0
    assert sum(d.stats.skipped.values()) == 3, d.stats.skipped
    assert dicts(path, fast=False) == dicts(path, fast=True)


@pytest.mark.parametrize("order", [[0, 1, 2], [2, 1, 0]], ids=["in-order", "reversed"])
def test_ipv6_fragments_with_extension_headers(tmp_path, order):
    # unfragmentable: hop-by-hop (-> 44); fragmentable: destination options (-> UDP) + UDP
    fragmentable = S.v6_opts(17, 8) + S.udp(500, 500, S.MM1)  # 200 bytes
    frags = _v6_fragments(S.v6_opts(44, 8), 0, 60, fragmentable, [64, 64, 72])
    path = S.write_pcap(tmp_path / "f6.pcap", 1, [(BASE_SEC, i, S.ethernet(frags[k])) for i, k in enumerate(order)])
    d, pkts = run(path)
    assert len(pkts) == 1, d.stats.to_dict()
    (p,) = pkts
    assert p.isakmp.raw == S.MM1
    assert (p.datagram.src, p.datagram.dst, p.datagram.ip_version) == (S.V6_A, S.V6_B, 6)
    assert p.frame == 3
    assert list(p.datagram.fragments) == [1, 2, 3]
    assert d.stats.fragments_pending == 0


def test_ipv6_fragmented_esp(tmp_path):
    frags = _v6_fragments(b"", 44, 50, S.ESP, [80, 68])
    path = S.write_pcap(tmp_path / "e6.pcap", 229, [(BASE_SEC, i, f) for i, f in enumerate(reversed(frags))])
    _d, pkts = run(path)
    (p,) = pkts
    assert (p.esp.spi, p.esp.seq, p.esp.length) == (S.ESP_SPI, S.ESP_SEQ, len(S.ESP))
    assert p.frame == 2 and list(p.datagram.fragments) == [1, 2]


@pytest.mark.parametrize("linktype,wrap", [(101, lambda p: p), (113, S.sll), (1, S.ethernet)],
                         ids=["raw", "sll", "ethernet"])
def test_ipv4_tiny_last_fragment(tmp_path, linktype, wrap):
    """The last IPv4 fragment may carry 1-7 bytes (a 1484-byte datagram on a
    1500-byte MTU leaves 4): its packet is 24 bytes, and without link padding
    (raw IP, Linux cooked) the whole frame is shorter than 28 bytes.  It must
    still reach the reassembler."""
    frags = _v4_fragments(S.ESP, 50, [144, 4])  # ESP is 148 bytes: 144 + 4
    assert len(frags[1]) == 24
    path = S.write_pcap(tmp_path / "t.pcap", linktype, [(BASE_SEC, i, wrap(f)) for i, f in enumerate(frags)])
    d, pkts = run(path)
    assert len(pkts) == 1, d.stats.to_dict()
    (p,) = pkts
    assert (p.esp.spi, p.esp.seq, p.esp.length) == (S.ESP_SPI, S.ESP_SEQ, 148)
    assert list(p.datagram.fragments) == [1, 2]


# ---------------------------------------------------------------------------
# UDP 4500 classification (RFC 3948 §2)

@pytest.mark.parametrize("version", [4, 6])
def test_udp_4500_classification(tmp_path, version):
    ips = [
        S.ip(version, 17, S.udp(4500, 4500, S.NON_ESP_MARKER + S.MM1)),  # ISAKMP
        S.ip(version, 17, S.udp(4500, 4500, KEEPALIVE)),  # NAT keepalive
        S.ip(version, 17, S.udp(4500, 4500, S.ESP)),  # UDP-encapsulated ESP
        S.ip(version, 17, S.udp(500, 500, S.MM1)),  # ISAKMP on 500: no marker expected
        S.ip(version, 17, S.udp(1025, 4500, S.NON_ESP_MARKER + S.MM5)),  # NATed source port
        S.ip(version, 17, S.udp(4500, 1025, S.ESP), reverse=True),  # NATed destination port
    ]
    path = S.write_pcap(tmp_path / "n.pcap", 1, [(BASE_SEC, i, S.ethernet(p)) for i, p in enumerate(ips)])
    d, pkts = run(path)
    kinds = [p.datagram.kind for p in pkts]
    assert kinds == ["isakmp", "nat-keepalive", "esp", "isakmp", "isakmp", "esp"]
    assert [p.datagram.non_esp_marker for p in pkts] == [True, False, False, False, True, False]
    assert pkts[0].isakmp.raw == S.MM1 and pkts[3].isakmp.raw == S.MM1
    assert pkts[4].isakmp.raw == S.MM5
    assert pkts[2].esp.udp_encap and pkts[5].esp.udp_encap
    assert (pkts[5].datagram.sport, pkts[5].datagram.dport) == (4500, 1025)
    assert (d.stats.isakmp, d.stats.esp, d.stats.keepalive) == (3, 2, 1)
    assert dicts(path, fast=False) == dicts(path, fast=True)


def test_plain_esp_spi_and_seq(tmp_path):
    """IP protocol 50 (RFC 4303 §2): SPI and sequence number are the first 8 bytes."""
    pkts_in = []
    for seq in (1, 2, 0xFFFFFFFF):
        esp = struct.pack(">II", 0xDEADBEEF, seq) + bytes(40)
        pkts_in.append(S.ethernet(S.ip(4, 50, esp)))
        pkts_in.append(S.ethernet(S.ip(6, 50, esp, reverse=True)))
    path = S.write_pcap(tmp_path / "e.pcap", 1, [(BASE_SEC, i, f) for i, f in enumerate(pkts_in)])
    _d, pkts = run(path)
    assert [(p.esp.spi, p.esp.seq) for p in pkts] == [(0xDEADBEEF, s) for s in (1, 1, 2, 2, 0xFFFFFFFF, 0xFFFFFFFF)]
    assert [p.to_dict()["esp"]["spi"] for p in pkts] == ["0xdeadbeef"] * 6
    assert all(not p.esp.udp_encap and p.datagram.proto == 50 for p in pkts)
    assert dicts(path, fast=False) == dicts(path, fast=True)


# ---------------------------------------------------------------------------
# Frame numbering and skipped counts

def test_frame_numbers_count_every_record(tmp_path):
    """Frame numbers are 1-based record indexes (as Wireshark numbers them),
    whatever ikescope skipped before them."""
    seq = []
    for i in range(5):
        seq.append(S.ethernet(S.ip(4, 6, S.tcp(40000, 443, SSH))))
        seq.append(S.ethernet(S.ip(4, 17, S.udp(33333, 53, DNS))))
    seq.append(S.ethernet(S.ip(4, 17, S.udp(500, 500, S.MM1))))  # frame 11
    seq.append(S.ethernet(S.ip(6, 6, S.tcp(40000, 443, SSH))))
    seq.append(S.ethernet(S.ip(4, 50, S.ESP)))  # frame 13
    path = S.write_pcap(tmp_path / "k.pcap", 1, [(BASE_SEC, i, f) for i, f in enumerate(seq)])
    d, pkts = run(path)
    assert [p.frame for p in pkts] == [11, 13]
    assert d.stats.frames == 13
    assert sum(d.stats.skipped.values()) == 11
    assert all(v > 0 for v in d.stats.skipped.values())


def test_short_and_non_ip_frames_counted_once(tmp_path):
    """ARP (60-byte padded Ethernet) and a short UDP/53 packet look relevant to
    the raw prefilter and are then skipped by the IP decoder.  Each non-IKE
    frame must be counted once in stats.skipped, and no count may be negative."""
    seq = [
        S.arp(),  # 1
        S.ethernet(S.ip(4, 17, S.udp(500, 500, S.MM1))),  # 2
        S.ethernet(S.ip(4, 17, S.udp(33333, 53, b"\x12\x34"))),  # 3: short, other ports
        S.ethernet(S.ip(4, 6, S.tcp(40000, 22, SSH))),  # 4: dropped by the prefilter
        S.arp(),  # 5
    ]
    path = S.write_pcap(tmp_path / "a.pcap", 1, [(BASE_SEC, i, f) for i, f in enumerate(seq)])
    d, pkts = run(path)
    assert [p.frame for p in pkts] == [2]
    assert d.stats.frames == 5
    assert all(v > 0 for v in d.stats.skipped.values()), dict(d.stats.skipped)
    assert sum(d.stats.skipped.values()) == 4, dict(d.stats.skipped)


def test_vlan_tagged_non_ip_counted(tmp_path):
    seq = [S.ethernet(b"\x00" * 46, ethertype=S.ETH_ARP, vlans=((0x8100, 10),)),
           S.ethernet(S.ip(6, 50, S.ESP), vlans=((0x8100, 10),))]
    path = S.write_pcap(tmp_path / "v.pcap", 1, [(BASE_SEC, i, f) for i, f in enumerate(seq)])
    d, pkts = run(path)
    assert [p.frame for p in pkts] == [2]
    assert sum(d.stats.skipped.values()) == 1, dict(d.stats.skipped)


# ---------------------------------------------------------------------------
# Fast lane == dpkt lane

def _all_captures() -> list[Path]:
    files = sorted(CAPTURES.glob("*/capture.pcap"))
    files += capture_files(PUBLIC)
    return files


def _cap_id(p: Path) -> str:
    try:
        return str(p.relative_to(CAPTURES))
    except ValueError:
        return "public/" + str(p.relative_to(PUBLIC))


@pytest.mark.parametrize("path", _all_captures(), ids=_cap_id)
def test_fast_lane_equals_dpkt_lane(path):
    try:
        slow_d, slow = run(path, fast=False)
        fast_d, fast = run(path, fast=True)
    except CaptureError as e:  # not a capture ikescope reads: nothing to compare
        pytest.skip(f"not readable: {e}")
    assert [p.to_dict() for p in slow] == [p.to_dict() for p in fast]
    assert slow_d.stats.to_dict() == fast_d.stats.to_dict()


def test_public_captures_present_or_skip():
    if not PUBLIC.is_dir():
        pytest.skip(f"public captures not present at {PUBLIC}")
    assert capture_files(PUBLIC)


def _edge_frames() -> list[tuple[int, bytes]]:
    """Frames at the edges of the fast lane's shapes (linktype, frame bytes)."""
    esp8 = struct.pack(">II", 1, 2)
    v4opts = S.ipv4(S.V4_A, S.V4_B, 50, S.ESP, options=b"\x01\x01\x01\x00")  # NOP NOP NOP EOL
    return [
        (1, S.ethernet(S.ip(4, 50, esp8))),  # minimal ESP, Ethernet padding after it
        (1, S.ethernet(S.ip(4, 50, esp8[:7]))),  # 7 bytes: not even an ESP header
        (1, S.ethernet(S.ip(4, 17, S.udp(4500, 4500, esp8)))),  # UDP-ESP of exactly 8 bytes
        (1, S.ethernet(S.ip(4, 17, S.udp(4500, 4500, esp8[:7])))),  # too short for ESP
        (1, S.ethernet(S.ip(4, 17, S.udp(4500, 500, S.ESP)))),  # 4500 -> 500
        (1, S.ethernet(S.ip(6, 17, S.udp(4500, 4500, S.ESP), reverse=True))),
        (1, S.ethernet(v4opts)),  # IPv4 header with options
        (1, S.ethernet(S.ipv4(S.V4_A, S.V4_B, 50, S.ESP, total=20 + 100))),  # IP length < captured
        (1, S.ethernet(S.ipv4(S.V4_A, S.V4_B, 50, S.ESP, total=20 + 400))),  # truncated by the capture
        (1, S.ethernet(S.ipv6(S.V6_A, S.V6_B, 50, S.ESP, plen=400))),
        (1, S.ethernet(S.ip(4, 17, S.udp(4500, 4500, S.ESP, ulen=8 + 100)))),  # UDP length < captured
        (1, S.ethernet(S.ip(4, 17, S.udp(4500, 4500, S.ESP, ulen=8 + 400)))),  # UDP truncated
        (1, S.ethernet(S.ip(6, 50, S.ESP), ethertype=S.ETH_IP4)),  # wrong Ethernet type
        (101, S.ip(4, 50, S.ESP)),
        (101, S.ip(6, 17, S.udp(4500, 4500, S.ESP))),
        (0, S.null(S.ip(6, 50, S.ESP), 30)),
        (108, S.loop(S.ip(4, 17, S.udp(4500, 4500, S.ESP)), 2)),
        (113, S.sll(S.ip(4, 50, S.ESP))),
        (276, S.sll2(S.ip(6, 50, S.ESP))),
    ]


def test_fast_lane_edge_cases(tmp_path):
    by_lt: dict[int, list[bytes]] = {}
    for lt, fr in _edge_frames():
        by_lt.setdefault(lt, []).append(fr)
    for lt, frames in by_lt.items():
        path = S.write_pcap(tmp_path / f"edge{lt}.pcap", lt, [(BASE_SEC, i, f) for i, f in enumerate(frames)])
        slow_d, slow = run(path, fast=False)
        fast_d, fast = run(path, fast=True)
        assert [p.to_dict() for p in slow] == [p.to_dict() for p in fast], lt
        assert slow_d.stats.to_dict() == fast_d.stats.to_dict(), lt


def test_fast_esp_declines_what_it_does_not_handle():
    """fast_esp returns None for everything except plain ESP / ESP-in-UDP."""
    def fr(lt, data):
        return Frame(1, 0.0, lt, data, len(data))
    assert fast_esp(fr(1, S.ethernet(S.ip(4, 17, S.udp(500, 500, S.MM1)))), IKE_PORTS) is None
    assert fast_esp(fr(1, S.ethernet(S.ip(4, 17, S.udp(4500, 4500, S.NON_ESP_MARKER + S.MM5)))), IKE_PORTS) is None
    assert fast_esp(fr(1, S.ethernet(S.ip(4, 17, S.udp(4500, 4500, KEEPALIVE)))), IKE_PORTS) is None
    assert fast_esp(fr(1, S.ethernet(S.ip(4, 50, S.ESP), vlans=((0x8100, 5),))), IKE_PORTS) is None
    assert fast_esp(fr(113, S.sll(S.ip(4, 50, S.ESP))), IKE_PORTS) is None
    frag = _v4_fragments(S.ESP, 50, [80, 68])[0]
    assert fast_esp(fr(101, frag), IKE_PORTS) is None
    nxt, body = _v6_ext_chain(50, S.ESP)
    assert fast_esp(fr(101, S.ipv6(S.V6_A, S.V6_B, nxt, body)), IKE_PORTS) is None
    assert fast_esp(fr(1, S.ethernet(S.ip(4, 17, S.udp(4500, 4500, S.ESP)))), frozenset({500})) is None
    d = fast_esp(fr(1, S.ethernet(S.ip(4, 17, S.udp(4500, 4500, S.ESP)))), IKE_PORTS)
    assert d is not None and d.payload == S.ESP and d.udp_encap and (d.sport, d.dport) == (4500, 4500)
    d = fast_esp(fr(1, S.ethernet(S.ip(4, 50, struct.pack(">II", 7, 9)))), IKE_PORTS)
    assert d is not None and d.payload == struct.pack(">II", 7, 9)  # Ethernet padding cut off


def test_mm1_is_frame_1_of_the_lab_capture():
    """The embedded MM1/MM5/ESP bytes are those of the shipped capture."""
    path = CAPTURES / "v6-aes128-sha1-modp1024" / "capture.pcap"
    pkts = list(Dissector(str(path)).packets())
    by_frame = {p.frame: p for p in pkts}
    assert by_frame[1].isakmp.raw == S.MM1
    assert by_frame[5].isakmp.raw == S.MM5
    assert by_frame[10].datagram.payload == S.ESP
    assert socket.inet_pton(socket.AF_INET6, by_frame[1].datagram.src) == socket.inet_pton(socket.AF_INET6, S.V6_A)
