"""Link, IP and UDP decoding: :class:`Frame` -> :class:`Datagram`.

dpkt decodes the link layer (Ethernet with 802.1Q/QinQ, Linux cooked SLL and
SLL2), IPv4 and UDP; IPv6 extension headers are walked here with dpkt's
extension-header classes, stopping at a Fragment header (dpkt's own walk
decodes fragment payloads as if they were headers).  Fragments go to the
:class:`~dissect.reassembly.Reassembler`; the reassembled payload continues
through the same path.

UDP payloads are classified as RFC 3948 §2 says: on port 4500 a 4-byte zero
non-ESP marker precedes an ISAKMP message, a single 0xFF byte is a NAT
keepalive, and anything else is UDP-encapsulated ESP.  On port 500 the
payload is ISAKMP.

Fast lane: captures are mostly ESP once a tunnel is up, and building dpkt
objects for each ESP packet costs as much as tshark.  :func:`fast_esp` reads
the few fixed offsets of the two plain shapes (an unfragmented IPv4 packet
or an IPv6 packet without extension headers, carrying ESP or ESP-in-UDP,
behind a fixed-size link header) and everything else takes the dpkt path.
The test suite checks that both lanes give equal datagrams.
"""
from __future__ import annotations

import socket
import struct

import dpkt
from dpkt import ip6 as dip6

from . import prefilter
from .icmp import IcmpError
from .model import CUT_BY_CAPTURE, WARNING, Datagram, Expert, Frame, Stats
from .reassembly import DUPLICATE, Reassembler

NAT_T_PORT = 4500
IKE_PORT = 500
NON_ESP_MARKER = b"\x00\x00\x00\x00"

V6_EXT_HEADERS = {0: dip6.IP6HopOptsHeader, 43: dip6.IP6RoutingHeader, 60: dip6.IP6DstOptsHeader,
                  51: dip6.IP6AHHeader}
#: More extension headers than this in one packet is malformed (RFC 8200 §4.1
#: allows each once, destination options twice): stop walking.
MAX_EXT_HEADERS = 16
#: IP-in-IP and fragments-inside-reassembled-fragments: deeper is malformed.
MAX_NESTING = 4
#: Protocols whose fragments are worth reassembling: they may carry IKE/ESP
#: or an ICMP error about it.  Fragments of anything else are skipped at once.
REASSEMBLED = frozenset({17, 50, 51, 1, 58, 4, 41})
ETH_VLAN = prefilter.ETH_VLAN


class _Eth(dpkt.ethernet.Ethernet):
    """Ethernet (VLAN/QinQ/MPLS tags handled by dpkt) leaving the payload raw."""
    _typesw: dict = {}


class _SLL(dpkt.sll.SLL):
    _typesw: dict = {}


class _SLL2(dpkt.sll2.SLL2):
    _typesw: dict = {}


class _IP4(dpkt.ip.IP):
    """IPv4 header with options; the payload stays raw bytes (cut to the total length)."""
    _protosw: dict = {}


class _IP6(dpkt.ip6.IP6):
    """IPv6 fixed header only; extension headers are walked by :func:`_walk_v6`."""

    def unpack(self, buf):
        dpkt.Packet.unpack(self, buf)


_addr_cache: dict[bytes, str] = {}


def addr(raw: bytes) -> str:
    """Text form of a 4- or 16-byte address (IPv6 compressed, lower case, as Wireshark shows it)."""
    s = _addr_cache.get(raw)
    if s is None:
        s = socket.inet_ntop(socket.AF_INET6 if len(raw) == 16 else socket.AF_INET, raw)
        if len(_addr_cache) < 65536:
            _addr_cache[raw] = s
    return s


class NetDecoder:
    """Stateful decoder (it owns the reassembly buffers) from frames to datagrams.

    :meth:`decode` returns the datagrams a frame completes (usually one; none
    for a fragment that does not complete a datagram, or for a frame that is
    not IKE/ESP after all).  Frames that looked relevant but could not be
    decoded are counted in ``stats.undecodable`` with the reason; frames
    that turn out not to be IKE/ESP are counted in ``stats.skipped``.
    """

    def __init__(self, stats: Stats, ike_ports: frozenset[int] = prefilter.IKE_PORTS):
        self.stats = stats
        self.ports = ike_ports
        self.reassembler = Reassembler()

    # -- link layer ---------------------------------------------------------
    def decode(self, frame: Frame) -> list[Datagram]:
        """The datagrams this frame completes (the dpkt path; see :func:`fast_esp` for the other)."""
        try:
            net = self._link(frame)
        except (dpkt.UnpackError, struct.error, IndexError, ValueError) as e:
            self.stats.undecodable[f"link layer: {type(e).__name__}"] += 1
            return []
        if net is None:
            self.stats.skipped["not IP"] += 1
            return []
        out: list[Datagram] = []
        self._ip(frame, net, out, depth=0)
        return out

    def _link(self, frame: Frame) -> bytes | None:
        lt, data = frame.linktype, frame.data
        if lt == prefilter.LINKTYPE_ETHERNET:
            eth = _Eth(data)
            et = eth._next_type or eth.type
            payload = eth.data
        elif lt == prefilter.LINKTYPE_SLL:
            sll = _SLL(data)
            et, payload = sll.ethtype, sll.data
        elif lt == prefilter.LINKTYPE_SLL2:
            sll2 = _SLL2(data)
            et, payload = sll2.ethtype, sll2.data
        else:
            off = prefilter.IP_OFFSET[lt]
            return bytes(data[off:])
        while et in ETH_VLAN:  # tags behind a cooked header
            tag = dpkt.ethernet.VLANtag8021Q(payload)
            et, payload = tag.type, payload[4:]
        if et not in (0x0800, 0x86DD):
            return None
        return bytes(payload)

    # -- IP -----------------------------------------------------------------
    def _skip(self, reason: str, fragments: tuple[int, ...]) -> None:
        """Count a datagram that is not IKE/ESP: once per frame it took."""
        self.stats.skipped[reason] += len(fragments) or 1

    def _bad(self, reason: str, fragments: tuple[int, ...]) -> None:
        """Count a datagram that looked like IKE/ESP but cannot be decoded: once per frame it took."""
        self.stats.undecodable[reason] += len(fragments) or 1

    def _ip(self, frame: Frame, raw: bytes, out: list[Datagram], depth: int,
            fragments: tuple[int, ...] = ()) -> None:
        if not raw:
            self._bad("empty IP packet", fragments)
            return
        version = raw[0] >> 4
        notes: list[Expert] = []
        try:
            if version == 4:
                ip = _IP4(raw)
                src, dst, proto = ip.src, ip.dst, ip.p
                payload = ip.data
                total = ip.len or len(raw)
                complete = total <= len(raw)
                if not complete:
                    notes.append(Expert(WARNING, f"IPv4 packet {CUT_BY_CAPTURE}: {len(raw)} of {total} bytes", None, "malformed"))
                if ip.mf or ip.offset:
                    if proto not in REASSEMBLED:
                        self._skip(f"IP protocol {proto}", fragments)
                        return
                    key = (4, src, dst, proto, ip.id)
                    if self._fragment(frame, key, ip.offset * 8, bool(ip.mf), payload, complete, notes, fragments,
                                      lambda whole, frames: self._after_ip(frame, 4, src, dst, proto, whole, out, depth + 1, frames, notes)):
                        return
                self._after_ip(frame, 4, src, dst, proto, payload, out, depth, fragments, notes)
            elif version == 6:
                ip6 = _IP6(raw)
                src, dst = ip6.src, ip6.dst
                data = ip6.data[:ip6.plen] if ip6.plen else ip6.data
                complete = not ip6.plen or ip6.plen <= len(ip6.data)
                if not complete:
                    notes.append(Expert(WARNING, f"IPv6 packet {CUT_BY_CAPTURE}: {len(ip6.data)} of {ip6.plen} payload bytes", None, "malformed"))
                self._v6_payload(frame, src, dst, ip6.nxt, data, out, depth, fragments, notes, complete)
            else:
                self._skip(f"IP version {version}", fragments)
        except (dpkt.UnpackError, struct.error, IndexError, ValueError) as e:
            self._bad(f"IPv{version} header: {e if isinstance(e, ValueError) else type(e).__name__}", fragments)

    def _v6_payload(self, frame, src, dst, nxt, data, out, depth, fragments, notes, complete=True) -> None:
        if depth > MAX_NESTING:
            self._bad(f"IP headers nested more than {MAX_NESTING} deep (IP-in-IP or fragments in fragments)",
                      fragments)
            return
        nxt, data, frag = _walk_v6(nxt, data)
        if frag is not None:
            if frag.nxt not in REASSEMBLED and frag.nxt not in V6_EXT_HEADERS:
                self._skip(f"IP protocol {frag.nxt}", fragments)
                return
            key = (6, src, dst, frag.id)
            if self._fragment(frame, key, frag.frag_off * 8, bool(frag.m_flag), data[8:], complete, notes, fragments,
                              lambda whole, frames: self._v6_payload(frame, src, dst, frag.nxt, whole, out, depth + 1, frames, notes)):
                return
            self._v6_payload(frame, src, dst, frag.nxt, data[8:], out, depth + 1, fragments, notes)
            return
        self._after_ip(frame, 6, src, dst, nxt, data, out, depth, fragments, notes)

    def _fragment(self, frame, key, offset, more, data, complete, notes, fragments, done) -> bool:
        """Hand a fragment to the reassembler; ``done(payload, frames)`` runs when it completes.

        ``fragments`` are the frames this fragment itself was reassembled
        from (fragments inside an IP-in-IP datagram), else just its frame.
        Returns False when the caller should decode the fragment on its own:
        a first fragment (offset 0) that the capture cut short can never be
        reassembled, so, as Wireshark does, what was captured is decoded as
        it is, with a note.  A later fragment cut short is counted as
        undecodable.
        """
        if not complete:
            if offset == 0:
                notes.append(Expert(WARNING, f"first IP fragment {CUT_BY_CAPTURE}: decoded without "
                                    "reassembly", None, "reassemble"))
                return False
            self._bad("IP fragment truncated by the capture", fragments)
            return True
        whole = self.reassembler.add(key, offset, more, data, fragments or (frame.number,))
        if whole is DUPLICATE:
            self._skip("duplicate of an IP fragment already reassembled", fragments)
            return True
        if whole is not None:
            if whole.conflict:
                notes.append(Expert(WARNING, "overlapping IP fragments carry different bytes; the bytes of the "
                                    "piece that starts earlier in the datagram were kept", None, "reassemble"))
            done(whole.payload, whole.frames)
        return True

    def _after_ip(self, frame: Frame, version: int, src: bytes, dst: bytes, proto: int,
                  payload: bytes, out: list[Datagram], depth: int, fragments: tuple[int, ...],
                  notes: list[Expert]) -> None:
        if depth > MAX_NESTING:
            self._bad(f"IP headers nested more than {MAX_NESTING} deep (IP-in-IP or fragments in fragments)",
                      fragments)
            return
        if proto == 51 and version == 4:  # AH: skip it, go on with its next header
            ah = dpkt.ah.AH(payload)
            proto, payload = ah.nxt, payload[(ah.len + 2) * 4:]
        if proto == 17:
            self._udp(frame, version, src, dst, payload, out, fragments, notes)
        elif proto == 50:
            self._emit(out, frame, version, src, dst, 50, None, None, "esp", payload, fragments, notes)
        elif proto in (4, 41):
            self._ip(frame, payload, out, depth + 1, fragments)
        elif proto == ICMP_PROTO[version]:
            if icmp_error(version, payload, self.ports) is None:
                self._skip("ICMP, not an error about IKE/ESP", fragments)
            else:
                self._emit(out, frame, version, src, dst, proto, None, None, "icmp-error", payload, fragments, notes)
        else:
            self._skip(f"IP protocol {proto}", fragments)

    # -- UDP ----------------------------------------------------------------
    def _udp(self, frame, version, src, dst, seg: bytes, out, fragments, notes) -> None:
        if len(seg) < 8:
            self._bad("UDP header truncated", fragments)
            return
        udp = dpkt.udp.UDP(seg)
        sport, dport, data = udp.sport, udp.dport, udp.data
        if udp.ulen >= 8:
            if udp.ulen - 8 > len(data):
                notes.append(Expert(WARNING, f"UDP datagram {CUT_BY_CAPTURE}: {len(data)} of {udp.ulen - 8} payload bytes", None, "malformed"))
            else:
                data = data[:udp.ulen - 8]
        ports = self.ports
        if sport not in ports and dport not in ports:
            self._skip("UDP, other ports", fragments)
            return
        kind, body, marker = classify_udp(sport, dport, data)
        if kind is None:
            self._bad(body, fragments)
            return
        self._emit(out, frame, version, src, dst, 17, sport, dport, kind, data[4:] if marker else data,
                   fragments, notes, marker, kind == "esp")

    def _emit(self, out, frame, version, src, dst, proto, sport, dport, kind, payload, fragments,
              notes, marker=False, udp_encap=False) -> None:
        out.append(Datagram(frame.number, frame.time, version, addr(src), addr(dst), proto, sport, dport,
                            kind, bytes(payload), marker, udp_encap, fragments, notes))

    def finish(self) -> None:
        """Account for fragments that never completed or were dropped (call once at the end)."""
        pending = self.reassembler.pending()
        self.stats.fragments_pending = sum(len(frames) for _k, frames in pending)
        if self.stats.fragments_pending:
            self.stats.undecodable["IP fragments never reassembled"] += self.stats.fragments_pending
        for reason, frames in self.reassembler.dropped_frames.items():
            self.stats.undecodable[reason] += frames


def classify_udp(sport: int, dport: int, data: bytes) -> tuple[str | None, str, bool]:
    """Classify a UDP payload on the IKE ports (RFC 3948 §2, RFC 3947 §4).

    Returns (kind, reason, non_esp_marker): kind is "isakmp", "esp",
    "nat-keepalive" or None (then ``reason`` says why it is undecodable).
    """
    natt = sport == NAT_T_PORT or dport == NAT_T_PORT
    if natt:
        if data == b"\xff":
            return "nat-keepalive", "", False
        if data[:4] == NON_ESP_MARKER:
            if len(data) < 4 + 28:
                return None, "ISAKMP after the non-ESP marker shorter than its 28-byte header", True
            return "isakmp", "", True
        if sport != IKE_PORT and dport != IKE_PORT:
            if len(data) < 4:
                return None, "UDP-encapsulated ESP shorter than its SPI", False
            return "esp", "", False
    if len(data) < 28:
        return None, "ISAKMP shorter than its 28-byte header", False
    return "isakmp", "", False


ICMP_PROTO = {4: 1, 6: 58}
ICMP_ERROR_TYPES = {4: prefilter.ICMP4_ERRORS, 6: frozenset({1, 2, 3, 4})}


def icmp_error(version: int, icmp: bytes, ports: frozenset[int]) -> IcmpError | None:
    """The ICMP(v6) error in ``icmp`` (header on), if it quotes an IKE or ESP packet; else None.

    The quoted packet (RFC 792: IP header + 8 bytes; RFC 4443 and most
    stacks quote more) is decoded like any other: IPv4/IPv6 (extension
    headers walked), then ESP's SPI and sequence number, or UDP on the IKE
    ports with RFC 3948 framing, and the ISAKMP cookies when quoted.
    """
    if len(icmp) < 8 or icmp[0] not in ICMP_ERROR_TYPES[version]:
        return None
    typ, code = icmp[0], icmp[1]
    mtu = None
    if version == 4 and typ == 3 and code == 4:
        mtu = struct.unpack_from(">H", icmp, 6)[0]
    elif version == 6 and typ == 2:
        mtu = struct.unpack_from(">I", icmp, 4)[0]
    quoted = icmp[8:]
    if not quoted or quoted[0] >> 4 != version:  # ICMPv4 quotes IPv4, ICMPv6 quotes IPv6
        return None
    try:
        if version == 4:
            ip = _IP4(quoted)
            if ip.offset:
                return None
            src, dst, proto, l4 = ip.src, ip.dst, ip.p, ip.data
            if proto == 51:  # AH: its next header is what it protects
                ah = dpkt.ah.AH(l4)
                proto, l4 = ah.nxt, l4[(ah.len + 2) * 4:]
        else:
            ip6 = _IP6(quoted)
            src, dst = ip6.src, ip6.dst
            proto, l4, frag = _walk_v6(ip6.nxt, ip6.data)
            if frag is not None:
                if frag.frag_off:
                    return None
                proto, l4, _ = _walk_v6(frag.nxt, l4[8:])
    except (dpkt.UnpackError, struct.error, IndexError, ValueError):
        return None
    err = IcmpError(version, typ, code, addr(src), addr(dst), proto, mtu=mtu)
    if proto == 50 and len(l4) >= 4:
        err.spi = int.from_bytes(l4[:4], "big")
        err.seq = int.from_bytes(l4[4:8], "big") if len(l4) >= 8 else None
        return err
    if proto != 17 or len(l4) < 4:
        return None
    err.sport, err.dport = struct.unpack_from(">HH", l4)
    if err.sport not in ports and err.dport not in ports:
        return None
    kind, _reason, marker = classify_udp(err.sport, err.dport, l4[8:])
    body = l4[8:]
    if marker:
        body = body[4:]
    if kind == "esp" and len(body) >= 4:
        err.spi = int.from_bytes(body[:4], "big")
        err.seq = int.from_bytes(body[4:8], "big") if len(body) >= 8 else None
    elif kind == "nat-keepalive":
        err.keepalive = True
    elif len(body) >= 16:
        err.icookie, err.rcookie = body[:8], body[8:16]
    return err


def _walk_v6(nxt: int, data: bytes):
    """Walk IPv6 extension headers (RFC 8200 §4) up to the upper layer or a Fragment header.

    Returns (next header, remaining bytes, fragment header or None); at a
    Fragment header the remaining bytes start with it.
    """
    pos = 0
    count = 0
    while nxt in V6_EXT_HEADERS:
        count += 1
        if count > MAX_EXT_HEADERS:
            raise ValueError(f"more than {MAX_EXT_HEADERS} IPv6 extension headers")
        if pos + 2 > len(data):
            raise ValueError("IPv6 extension header truncated")
        ext = V6_EXT_HEADERS[nxt](data[pos:pos + 8 * (data[pos + 1] + 1) + 8])
        if pos + ext.length > len(data):
            raise ValueError("IPv6 extension header runs past the packet")
        pos += ext.length
        nxt = ext.nxt
    data = data[pos:] if pos else data
    if nxt == 44:
        return nxt, data, dip6.IP6FragmentHeader(data)
    return nxt, data, None


# --------------------------------------------------------------------------
# Fast lane for plain ESP (see the module docstring)

#: Link types whose IP header is at a fixed offset with nothing to check but the
#: Ethernet type (Ethernet) or the IP version (the others).
_FAST_IP_OFFSET = {lt: off for lt, off in prefilter.IP_OFFSET.items()
                   if lt not in (prefilter.LINKTYPE_SLL, prefilter.LINKTYPE_SLL2)}
#: (source, destination) address bytes -> their text, for the fast lane
_ADDR_PAIRS: dict[bytes, tuple[str, str]] = {}


def fast_esp(frame: Frame, ports: frozenset[int]) -> Datagram | None:
    """Datagram for a plain ESP or ESP-in-UDP frame, read at fixed offsets; else None.

    Plain means: Ethernet without VLAN tags or another fixed-size link
    header (not SLL/SLL2, whose protocol field is not checked here), then
    IPv4 without fragmentation or IPv6 without extension headers, then ESP,
    or UDP on port 4500 (not 500) whose payload is ESP (not the non-ESP
    marker, not a keepalive).  Captured bytes beyond the IP length
    (Ethernet padding) are cut off; a packet truncated by the capture, or
    anything else, is left to the dpkt path, which notes it.

    It runs once per ESP packet of the capture: its lookups are bound
    locally and the address pair is looked up in one step.
    """
    return _fast_esp(frame.data, frame.linktype, frame.number, frame.time, ports)


def _fast_esp(b: bytes, linktype: int, number: int, time: float, ports: frozenset[int],
              _offsets=_FAST_IP_OFFSET, _pairs=_ADDR_PAIRS, Datagram=Datagram) -> Datagram | None:
    q = _offsets.get(linktype)
    if q is None:
        return None
    end = len(b)
    if end - q < 28:
        return None
    if q == 14 and not (b[12] == 0x86 and b[13] == 0xDD or b[12] == 8 and b[13] == 0):
        return None
    v = b[q] >> 4
    if v == 6:
        if end - q < 48:
            return None
        plen = (b[q + 4] << 8) | b[q + 5]
        if plen:
            if q + 40 + plen > end:
                return None
            end = q + 40 + plen
        proto = b[q + 6]
        pair = b[q + 8:q + 40]
        t = q + 40
    elif v == 4:
        hl = (b[q] & 15) << 2
        if hl < 20 or b[q + 6] & 0x3F or b[q + 7]:
            return None
        total = (b[q + 2] << 8) | b[q + 3]
        if total:
            if q + total > end:
                return None
            end = q + total
        proto = b[q + 9]
        pair = b[q + 12:q + 20]
        t = q + hl
    else:
        return None
    names = _pairs.get(pair)
    if names is None:
        half = len(pair) // 2
        names = (addr(pair[:half]), addr(pair[half:]))
        if len(_pairs) < 65536:
            _pairs[pair] = names
    if proto == 50:
        if end - t < 8:
            return None
        return Datagram(number, time, v, names[0], names[1], 50, None, None, "esp", b[t:end])
    if proto != 17 or end - t < 16:
        return None
    sport = (b[t] << 8) | b[t + 1]
    dport = (b[t + 2] << 8) | b[t + 3]
    ulen = (b[t + 4] << 8) | b[t + 5]
    if (sport != NAT_T_PORT and dport != NAT_T_PORT) or sport == IKE_PORT or dport == IKE_PORT:
        return None
    if (sport not in ports and dport not in ports) or ulen < 16 or t + ulen > end:
        return None
    if b[t + 8:t + 12] == NON_ESP_MARKER:
        return None
    return Datagram(number, time, v, names[0], names[1], 17, sport, dport, "esp", b[t + 8:t + ulen], False, True)
