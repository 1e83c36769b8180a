"""The packet inside a decrypted ESP packet: IPv4/IPv6 and ICMP, ICMPv6, TCP, UDP (decoded with dpkt).

ESP's Next Header (RFC 4303 §2.6) says what the payload is: 4 (IPv4) or 41
(IPv6) in tunnel mode, a transport protocol (1, 6, 17, 58, 50, ...) in
transport mode, where the addresses are the outer packet's, and 59 for a
dummy packet (RFC 4303 §2.6, traffic-flow confidentiality) that carries
nothing.  :func:`decode_inner` gives an :class:`InnerPacket` with a one-line
summary in Wireshark's words, the decoded fields, and the packet as an IP
datagram (``ip_bytes``) for a raw-IP pcap: in transport mode ikescope puts
the outer addresses in front of the payload, as Wireshark's decrypted view
shows them.
"""
from __future__ import annotations

import socket
from dataclasses import dataclass, field
from typing import Any

import dpkt

from . import registry
from .payloads import Detail

__all__ = ["InnerPacket", "decode_inner", "ip_datagram", "carries_esp", "NO_NEXT_HEADER"]

#: Next Header of a dummy packet (RFC 4303 §2.6; IPv6 "No Next Header", RFC 8200 §4.7)
NO_NEXT_HEADER = 59
_TUNNEL = {4: 4, 41: 6}

#: Wireshark's names for the ICMP/ICMPv6 types an inner packet usually is
_ICMP4 = {0: "Echo (ping) reply", 8: "Echo (ping) request", **registry.ICMP_TYPES}
_ICMP6 = {128: "Echo (ping) request", 129: "Echo (ping) reply", 133: "Router Solicitation",
          134: "Router Advertisement", 135: "Neighbor Solicitation", 136: "Neighbor Advertisement",
          **registry.ICMPV6_TYPES}
_ECHO = {4: (0, 8), 6: (128, 129)}
#: TCP flag bits in Wireshark's order and names
_TCP_FLAGS = ((0x01, "FIN"), (0x02, "SYN"), (0x04, "RST"), (0x08, "PSH"), (0x10, "ACK"), (0x20, "URG"),
              (0x40, "ECE"), (0x80, "CWR"))


@dataclass
class InnerPacket:
    """One decoded inner packet.

    mode        "tunnel", "transport" or "dummy" (Next Header 59: nothing inside)
    ip_version  4 or 6 (of the inner header in tunnel mode, of the outer one in transport mode)
    src, dst    addresses as text
    protocol    the transport protocol number (1 ICMP, 6 TCP, 17 UDP, 58 ICMPv6, 50 ESP, ...)
    summary     one line in Wireshark's words, e.g. ``ICMPv6 Echo (ping) request id=0x0a2b, seq=1``
    fields      the decoded fields under tshark's names (``ip.*`` or ``ipv6.*``, ``icmp.*``/``icmpv6.*``,
                ``tcp.*``, ``udp.*``, ``esp.*``), for -V and JSON
    ip_bytes    the inner packet as an IP datagram (for a raw-IP pcap); b"" for a dummy packet
    l4          the transport payload (for nested ESP: the inner ESP packet)
    error       why the inner packet could not be decoded, or ""
    """
    mode: str
    ip_version: int
    src: str
    dst: str
    protocol: int | None
    summary: str
    fields: dict[str, Any] = field(default_factory=dict)
    ip_bytes: bytes = b""
    l4: bytes = b""
    error: str = ""

    @property
    def protocol_name(self) -> str:
        return _proto_name(self.protocol)

    def details(self) -> list[Detail]:
        """The inner packet's layers as a packet-details tree, in Wireshark's words: an IP layer (in
        transport mode, the outer addresses), then the transport layer with its fields."""
        f = self.fields
        if self.mode == "dummy":
            return [Detail("[Dummy packet: no next header (RFC 4303 §2.6)]")]
        ip = [Detail(f"{_LABELS[k]}: {v}") for k, v in f.items() if k.split(".")[0] in ("ip", "ipv6")
              and k in _LABELS]
        title = (f"Internet Protocol Version {self.ip_version}, Src: {self.src}, Dst: {self.dst}"
                 + ("" if self.mode == "tunnel" else " [transport mode: the ESP packet's addresses]"))
        layers = [Detail(title, ip)]
        proto = self.protocol
        layer = [Detail(f"{_LABELS[k]}: {v}") for k, v in f.items() if k in _LABELS and k.split(".")[0]
                 in ("icmp", "icmpv6", "tcp", "udp", "esp")]
        if proto is not None and layer:
            name = {1: "Internet Control Message Protocol", 58: "Internet Control Message Protocol v6",
                    6: "Transmission Control Protocol", 17: "User Datagram Protocol",
                    50: "Encapsulating Security Payload"}.get(proto, _proto_name(proto))
            layers.append(Detail(name, layer))
        if self.error:
            layers.append(Detail(f"Expert Info (Error/Malformed): {self.error}"))
        return layers

    def to_dict(self) -> dict[str, Any]:
        d = {"mode": self.mode, "ip_version": self.ip_version, "src": self.src, "dst": self.dst,
             "protocol": self.protocol, "protocol_name": self.protocol_name, "summary": self.summary,
             "fields": self.fields}
        if self.error:
            d["error"] = self.error
        return d


#: Wireshark's labels for the fields of InnerPacket.fields
_LABELS = {
    "ip.len": "Total Length", "ip.id": "Identification", "ip.ttl": "Time to Live", "ip.proto": "Protocol",
    "ipv6.plen": "Payload Length", "ipv6.hlim": "Hop Limit", "ipv6.nxt": "Next Header",
    "icmp.type_name": "Type", "icmp.code": "Code", "icmp.checksum": "Checksum", "icmp.echo.id": "Identifier (BE)",
    "icmp.echo.seq": "Sequence Number (BE)", "icmp.data_len": "Data length",
    "icmpv6.type_name": "Type", "icmpv6.code": "Code", "icmpv6.checksum": "Checksum",
    "icmpv6.echo.id": "Identifier", "icmpv6.echo.seq": "Sequence", "icmpv6.data_len": "Data length",
    "tcp.srcport": "Source Port", "tcp.dstport": "Destination Port", "tcp.seq_raw": "Sequence Number (raw)",
    "tcp.ack_raw": "Acknowledgment number (raw)", "tcp.flags_names": "Flags", "tcp.window_size_value": "Window",
    "tcp.len": "TCP Segment Len",
    "udp.srcport": "Source Port", "udp.dstport": "Destination Port", "udp.length": "Length",
    "esp.spi": "ESP SPI", "esp.sequence": "ESP Sequence",
}


def _proto_name(proto: int | None) -> str:
    if proto is None:
        return "none"
    return {0: "HOPOPT", 1: "ICMP", 58: "ICMPv6", 6: "TCP", 17: "UDP", 50: "ESP"}.get(proto) \
        or registry.IP_PROTOCOLS.get(proto, f"IP protocol {proto}")


def _addr(raw: bytes) -> str:
    return socket.inet_ntop(socket.AF_INET if len(raw) == 4 else socket.AF_INET6, raw)


def _version(addr: str) -> int:
    return 6 if ":" in addr else 4


def decode_inner(next_header: int, payload: bytes, outer_src: str, outer_dst: str) -> InnerPacket:
    """Decode an ESP payload by its Next Header.

    ``payload`` is the plaintext without padding and trailer; ``outer_src`` and
    ``outer_dst`` the outer packet's addresses (the inner ones in transport
    mode).  Never raises: a payload that does not decode gives an
    InnerPacket whose ``error`` says why, and whose summary says what it was.
    """
    if next_header == NO_NEXT_HEADER:
        return InnerPacket("dummy", _version(outer_src), outer_src, outer_dst, None,
                           f"dummy packet (no next header), {len(payload)} bytes")
    version = _TUNNEL.get(next_header)
    if version is not None:
        return _tunnel(version, payload)
    return _transport(next_header, payload, outer_src, outer_dst)


def _tunnel(version: int, payload: bytes) -> InnerPacket:
    name = f"IPv{version}"
    try:
        if not payload or payload[0] >> 4 != version:
            raise ValueError(f"version {payload[0] >> 4 if payload else '(none)'} where the next header says {name}")
        # IPv6: the fixed header only (Next Header set to 59): dpkt would walk the extension headers and
        # take ESP for one; _ip6_upper_layer walks them instead
        ip = dpkt.ip.IP(payload) if version == 4 else dpkt.ip6.IP6(payload[:6] + b"\x3b" + payload[7:40])
        src, dst = _addr(ip.src), _addr(ip.dst)
    except (dpkt.UnpackError, ValueError, OSError) as err:
        return InnerPacket("tunnel", version, "", "", None, f"malformed {name} packet, {len(payload)} bytes",
                           {}, payload, b"", f"inner {name} header: {err or 'too short'}")
    fields = _ip_fields(version, src, dst)
    if version == 4:
        proto, ttl, total = ip.p, ip.ttl, ip.len
        fields.update({"ip.len": total, "ip.id": f"0x{ip.id:04x}", "ip.ttl": ttl, "ip.proto": proto})
        start = ip.hl * 4 if ip.hl >= 5 else len(payload)
        fragment = bool(ip.mf or ip.offset)
    else:
        total, ttl = 40 + ip.plen, ip.hlim
        proto, start, fragment = _ip6_upper_layer(payload)
        fields.update({"ipv6.plen": ip.plen, "ipv6.hlim": ttl, "ipv6.nxt": proto})
    pkt = InnerPacket("tunnel", version, src, dst, proto, "", fields, payload, payload[start:total])
    if total > len(payload):
        pkt.error = f"inner {name} length {total}, but {len(payload)} bytes decrypted"
    if fragment:
        pkt.summary = f"{src} → {dst} {name} fragment ({_proto_name(proto)})"
        return pkt
    _layer4(pkt, ttl)
    return pkt


#: IPv6 extension headers whose length is (Hdr Ext Len + 1) * 8 octets (RFC 8200 §4, RFC 7045)
_IP6_EXTENSIONS = {0, 43, 60, 135, 139, 140, 253, 254}


def _ip6_upper_layer(payload: bytes) -> tuple[int, int, bool]:
    """(upper-layer protocol, its offset, fragment?) after the IPv6 extension headers (RFC 8200 §4).
    ESP (50) ends the chain: what follows is encrypted (dpkt would take it for an extension header)."""
    nh, off = payload[6], 40
    while off + 2 <= len(payload):
        if nh in _IP6_EXTENSIONS:
            nh, off = payload[off], off + (payload[off + 1] + 1) * 8
        elif nh == 51:  # AH: (Payload Len + 2) * 4 octets (RFC 4302 §2.2)
            nh, off = payload[off], off + (payload[off + 1] + 2) * 4
        elif nh == 44:  # a fragment: only the first carries the upper-layer header
            first = int.from_bytes(payload[off + 2:off + 4], "big") >> 3 == 0
            return payload[off], off + 8, True if not first else bool(payload[off + 3] & 1)
        else:
            break
    return nh, min(off, len(payload)), False


def _transport(proto: int, payload: bytes, src: str, dst: str) -> InnerPacket:
    version = _version(src)
    fields = _ip_fields(version, src, dst)
    pkt = InnerPacket("transport", version, src, dst, proto, "", fields, _ip_header(src, dst, proto, payload),
                      payload)
    _layer4(pkt, None)
    return pkt


def _ip_fields(version: int, src: str, dst: str) -> dict[str, Any]:
    """The addresses under tshark's field names: ip.src/ip.dst, or ipv6.src/ipv6.dst."""
    p = "ip" if version == 4 else "ipv6"
    return {f"{p}.version": version, f"{p}.src": src, f"{p}.dst": dst}


def ip_datagram(next_header: int, payload: bytes, outer_src: str, outer_dst: str) -> bytes:
    """The inner packet as an IP datagram, without decoding it: in tunnel mode the payload itself, in
    transport mode the payload behind an IP header with the outer addresses; b"" for a dummy packet."""
    if next_header in _TUNNEL:
        return payload
    if next_header == NO_NEXT_HEADER:
        return b""
    return _ip_header(outer_src, outer_dst, next_header, payload)


def carries_esp(next_header: int, payload: bytes) -> bool:
    """Whether the inner packet is ESP (an ESP tunnel carrying ESP), from its header bytes alone."""
    if next_header == 50:
        return True
    if next_header == 4:
        return len(payload) > 9 and payload[9] == 50
    if next_header == 41:
        return len(payload) >= 40 and payload[0] >> 4 == 6 and _ip6_upper_layer(payload)[0] == 50
    return False


def _ip_header(src: str, dst: str, proto: int, payload: bytes) -> bytes:
    """An IP datagram with the outer addresses around a transport-mode payload (for the pcap)."""
    version = _version(src)
    family = socket.AF_INET if version == 4 else socket.AF_INET6
    s, d = socket.inet_pton(family, src), socket.inet_pton(family, dst)
    if version == 4:
        ip = dpkt.ip.IP(src=s, dst=d, p=proto, ttl=64, len=20 + len(payload))
        ip.data = payload
    else:
        ip = dpkt.ip6.IP6(src=s, dst=d, nxt=proto, hlim=64, plen=len(payload))
        ip.extension_hdrs = {}
        ip.data = payload
    return bytes(ip)


def _layer4(pkt: InnerPacket, ttl: int | None) -> None:
    """Decode the transport layer into ``pkt.fields`` and write ``pkt.summary``."""
    proto, data, f = pkt.protocol, pkt.l4, pkt.fields
    try:
        if proto in (1, 58):
            text = _icmp(proto, data, f)
            if ttl is not None and text.startswith("Echo"):
                text += f", {'ttl' if proto == 1 else 'hop limit'}={ttl}"
        elif proto == 6:
            text = _tcp(data, f)
        elif proto == 17:
            text = _udp(data, f)
        elif proto == 50:
            text = _esp(data, f)
        else:
            text = f"{len(data)} bytes"
    except (dpkt.UnpackError, ValueError, IndexError) as err:
        pkt.error = f"inner {_proto_name(proto)} header: {err or 'too short'}"
        text = f"malformed, {len(data)} bytes"
    pkt.summary = f"{pkt.src} → {pkt.dst} {_proto_name(proto)} {text}"


def _icmp(proto: int, data: bytes, f: dict[str, Any]) -> str:
    v6 = proto == 58
    msg = dpkt.icmp6.ICMP6(data) if v6 else dpkt.icmp.ICMP(data)
    prefix = "icmpv6" if v6 else "icmp"
    names = _ICMP6 if v6 else _ICMP4
    name = names.get(msg.type, f"type {msg.type}")
    f.update({f"{prefix}.type": msg.type, f"{prefix}.type_name": name, f"{prefix}.code": msg.code,
              f"{prefix}.checksum": f"0x{msg.sum:04x}"})
    if msg.type in _ECHO[6 if v6 else 4]:
        if len(data) < 8:
            raise ValueError("echo header needs 8 bytes")
        ident = int.from_bytes(data[4:6], "big")
        seq = int.from_bytes(data[6:8], "big")
        f.update({f"{prefix}.echo.id": f"0x{ident:04x}", f"{prefix}.echo.seq": seq,
                  f"{prefix}.data_len": len(data) - 8})
        if v6:
            return f"{name} id=0x{ident:04x}, seq={seq}"
        swapped = int.from_bytes(data[6:8], "little")
        return f"{name} id=0x{ident:04x}, seq={seq}/{swapped}"
    return name


def _tcp(data: bytes, f: dict[str, Any]) -> str:
    tcp = dpkt.tcp.TCP(data)
    flags = [n for bit, n in _TCP_FLAGS if tcp.flags & bit]
    size = len(data) - tcp.off * 4
    f.update({"tcp.srcport": tcp.sport, "tcp.dstport": tcp.dport, "tcp.seq_raw": tcp.seq, "tcp.ack_raw": tcp.ack,
              "tcp.flags": f"0x{tcp.flags:03x}", "tcp.flags_names": ",".join(flags), "tcp.window_size_value": tcp.win,
              "tcp.len": size})
    return (f"{tcp.sport} → {tcp.dport} [{', '.join(flags)}] Seq={tcp.seq} Ack={tcp.ack} Win={tcp.win} "
            f"Len={size}")


def _udp(data: bytes, f: dict[str, Any]) -> str:
    udp = dpkt.udp.UDP(data)
    f.update({"udp.srcport": udp.sport, "udp.dstport": udp.dport, "udp.length": udp.ulen})
    return f"{udp.sport} → {udp.dport} Len={max(udp.ulen - 8, 0)}"


def _esp(data: bytes, f: dict[str, Any]) -> str:
    if len(data) < 8:
        raise ValueError("ESP header needs 8 bytes")
    spi, seq = int.from_bytes(data[:4], "big"), int.from_bytes(data[4:8], "big")
    f.update({"esp.spi": f"0x{spi:08x}", "esp.sequence": seq})
    return f"SPI=0x{spi:08x} Seq={seq}"
