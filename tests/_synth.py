"""Builders for synthetic captures, written by hand from the format specs.

Nothing here uses ikescope: link headers, IP, UDP, pcap and pcapng are laid
out with struct as the specifications give them, so a test compares
ikescope's reading against the specification, not against itself.

* pcap: https://www.tcpdump.org/manpages/pcap-savefile.5.html
  (magic 0xa1b2c3d4 microseconds, 0xa1b23c4d nanoseconds, either byte order)
* pcapng: draft-ietf-opsawg-pcapng (SHB 0x0A0D0D0A, IDB 1 with if_tsresol 9
  and if_tsoffset 14, EPB 6, SPB 3)
* link types: https://www.tcpdump.org/linktypes.html (NULL 0, ETHERNET 1,
  RAW 101, LOOP 108, LINUX_SLL 113, IPV4 228, IPV6 229, LINUX_SLL2 276)
"""
from __future__ import annotations

import socket
import struct
from pathlib import Path

# ---------------------------------------------------------------------------
# Real messages from captures/v6-aes128-sha1-modp1024/capture.pcap
# (strongSwan 5.x, IKEv1 Main Mode).  Frame 1 is MM1 (UDP 500): SA with one
# AES-CBC-128/SHA1/PSK/MODP1024 proposal and 5 VIDs.  Frame 5 is MM5 (UDP 4500,
# after the non-ESP marker; encrypted).  Frame 10 is UDP-encapsulated ESP.
MM1 = bytes.fromhex(
    "1d07f21f8890413500000000000000000110020000000000000000b80d00003c00000001000000010000"
    "003001010001000000280101000080010007800e0080800200028004000280030001800b0001000c0004"
    "000151800d00000c09002689dfd6b7120d000014afcad71368a1f1c96b8696fc775701000d0000184048"
    "b7d56ebce88525e7de7f00d6c2d3800000000d0000144a131c81070358455c5728f20e95452f00000014"
    "90cb80913ebb696e086381b5ec427b1f")
MM5 = bytes.fromhex(
    "1d07f21f88904135e85232252cf4cdff05100201000000000000006c09f1ada24398564dc8d497545a75"
    "55471edc68cc58341e5ce7195774427d2304f13bd53d19997708b3ddeb4c8ffcfa0751ebc2d6fa749c04"
    "3ec360f055212c173072f46ab2b4dd331ec95a65f8e133cf")
ESP = bytes.fromhex(
    "6652da2d00000001fc620cff34b132a6f20cf62c1173fcdcd60d622e6a46983792214baf45d6afdf276c"
    "85bf4d23ff37c442fe07c586e0762fe9171fdc1dedf7c4b94b8af5860377aedd9457f8de63a68f3a200e"
    "656310401391f0d5d1531f18484e659270c8d80c496d50b5c64458ace515f990c406d9b5d6f8aabf2f7a"
    "fcb2f8f923b9c3f207c46002738a7f853033e31c6c91")
ESP_SPI = 0x6652DA2D
ESP_SEQ = 1
NON_ESP_MARKER = b"\0\0\0\0"

V4_A, V4_B = "192.0.2.2", "192.0.2.3"
V6_A, V6_B = "2001:db8::2", "2001:db8::3"

ETH_IP4, ETH_IP6, ETH_ARP = 0x0800, 0x86DD, 0x0806


# ---------------------------------------------------------------------------
# IP and UDP

def _csum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f">{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def udp(sport: int, dport: int, payload: bytes, ulen: int | None = None) -> bytes:
    """UDP header (RFC 768) + payload; checksum 0 (not checked by anyone here)."""
    return struct.pack(">HHHH", sport, dport, 8 + len(payload) if ulen is None else ulen, 0) + payload


def tcp(sport: int, dport: int, payload: bytes = b"") -> bytes:
    """A minimal 20-byte TCP header (RFC 793) + payload."""
    return struct.pack(">HHIIBBHHH", sport, dport, 1, 0, 5 << 4, 0x18, 65535, 0, 0) + payload


def ipv4(src: str, dst: str, proto: int, payload: bytes, ident: int = 0x1234, mf: bool = False,
         frag_offset: int = 0, total: int | None = None, options: bytes = b"") -> bytes:
    """IPv4 header (RFC 791) with a correct header checksum; ``frag_offset`` in bytes."""
    assert frag_offset % 8 == 0 and len(options) % 4 == 0
    ihl = 5 + len(options) // 4
    tot = ihl * 4 + len(payload) if total is None else total
    flags_frag = (0x2000 if mf else 0) | (frag_offset // 8)
    hdr = struct.pack(">BBHHHBBH4s4s", 0x40 | ihl, 0, tot, ident, flags_frag, 64, proto, 0,
                      socket.inet_aton(src), socket.inet_aton(dst)) + options
    hdr = hdr[:10] + struct.pack(">H", _csum(hdr)) + hdr[12:]
    return hdr + payload


def ipv6(src: str, dst: str, nxt: int, payload: bytes, plen: int | None = None) -> bytes:
    """IPv6 fixed header (RFC 8200 §3) + payload (extension headers included in it)."""
    return struct.pack(">IHBB16s16s", 0x60000000, len(payload) if plen is None else plen, nxt, 64,
                       socket.inet_pton(socket.AF_INET6, src), socket.inet_pton(socket.AF_INET6, dst)) + payload


def v6_opts(nxt: int, total: int = 8) -> bytes:
    """Hop-by-hop or destination options header (RFC 8200 §4.3/4.6) of ``total`` bytes, PadN-filled."""
    assert total % 8 == 0 and total >= 8
    pad = total - 2
    # PadN option: type 1, length pad-2, zeros
    return struct.pack(">BB", nxt, total // 8 - 1) + bytes([1, pad - 2]) + bytes(pad - 2)


def v6_routing(nxt: int, segs_left: int = 0, addresses: tuple[str, ...] = (V6_B,)) -> bytes:
    """Routing header type 0 (RFC 2460 §4.4 layout) with the given addresses."""
    body = b"".join(socket.inet_pton(socket.AF_INET6, a) for a in addresses)
    return struct.pack(">BBBBI", nxt, 2 * len(addresses), 0, segs_left, 0) + body


def v6_fragment(nxt: int, offset: int, more: bool, ident: int) -> bytes:
    """Fragment header (RFC 8200 §4.5); ``offset`` in bytes (multiple of 8)."""
    assert offset % 8 == 0
    return struct.pack(">BBHI", nxt, 0, offset | (1 if more else 0), ident)


def ip(version: int, proto: int, payload: bytes, src: str | None = None, dst: str | None = None,
       reverse: bool = False) -> bytes:
    """IPv4 or IPv6 packet between the lab peers (A -> B, or B -> A with ``reverse``)."""
    if version == 4:
        a, b = (V4_B, V4_A) if reverse else (V4_A, V4_B)
        return ipv4(src or a, dst or b, proto, payload)
    a, b = (V6_B, V6_A) if reverse else (V6_A, V6_B)
    return ipv6(src or a, dst or b, proto, payload)


# ---------------------------------------------------------------------------
# Link layers

MAC_A = bytes.fromhex("4eee547bab80")
MAC_B = bytes.fromhex("4a24730234b4")


def ethertype_of(packet: bytes) -> int:
    return ETH_IP6 if packet[0] >> 4 == 6 else ETH_IP4


def ethernet(packet: bytes, ethertype: int | None = None, vlans: tuple[tuple[int, int], ...] = (),
             pad: bool = True) -> bytes:
    """Ethernet II; ``vlans`` is a list of (TPID, VLAN ID) tags, outermost first (802.1Q/802.1ad)."""
    et = ethertype_of(packet) if ethertype is None else ethertype
    hdr = MAC_B + MAC_A  # destination, source
    for tpid, vid in vlans:  # each tag: TPID, then TCI (PCP 0, DEI 0, VLAN ID)
        hdr += struct.pack(">HH", tpid, vid & 0x0FFF)
    frame = hdr + struct.pack(">H", et) + packet
    if pad and len(frame) < 60:
        frame += bytes(60 - len(frame))
    return frame


def sll(packet: bytes, ethertype: int | None = None) -> bytes:
    """Linux cooked capture v1 (16 bytes): packet type, ARPHRD, addr len, addr[8], protocol."""
    et = ethertype_of(packet) if ethertype is None else ethertype
    return struct.pack(">HHH8sH", 4, 1, 6, MAC_A + b"\0\0", et) + packet


def sll2(packet: bytes, ethertype: int | None = None) -> bytes:
    """Linux cooked capture v2 (20 bytes): protocol, reserved, ifindex, ARPHRD, pkttype, addr len, addr[8]."""
    et = ethertype_of(packet) if ethertype is None else ethertype
    return struct.pack(">HHiHBB8s", et, 0, 3, 1, 4, 6, MAC_A + b"\0\0") + packet


def null(packet: bytes, af: int, order: str = "<") -> bytes:
    """BSD loopback (LINKTYPE_NULL): 4-byte address family in the capturing host's byte order."""
    return struct.pack(order + "I", af) + packet


def loop(packet: bytes, af: int) -> bytes:
    """OpenBSD loopback (LINKTYPE_LOOP): 4-byte address family in network byte order."""
    return struct.pack(">I", af) + packet


def arp() -> bytes:
    """An Ethernet ARP request (not IKE), padded to 60 bytes."""
    body = struct.pack(">HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, MAC_A, socket.inet_aton(V4_A),
                       bytes(6), socket.inet_aton(V4_B))
    return ethernet(body, ETH_ARP)


# ---------------------------------------------------------------------------
# Capture files

def write_pcap(path: Path, linktype: int, records: list[tuple[int, int, bytes]], order: str = "<",
               nano: bool = False, snaplen: int = 262144) -> Path:
    """pcap savefile; records are (seconds, fraction in µs or ns, frame bytes)."""
    magic = 0xA1B23C4D if nano else 0xA1B2C3D4
    out = [struct.pack(order + "IHHiIII", magic, 2, 4, 0, 0, snaplen, linktype)]
    for sec, frac, data in records:
        out.append(struct.pack(order + "IIII", sec, frac, len(data), len(data)) + data)
    path.write_bytes(b"".join(out))
    return path


def _opt(order: str, code: int, value: bytes) -> bytes:
    return struct.pack(order + "HH", code, len(value)) + value + bytes(-len(value) % 4)


def _block(order: str, btype: int, body: bytes) -> bytes:
    n = 12 + len(body)
    return struct.pack(order + "II", btype, n) + body + struct.pack(order + "I", n)


def write_pcapng(path: Path, interfaces: list[dict], records: list[tuple[int, int, bytes]],
                 order: str = "<") -> Path:
    """pcapng file with one section.

    ``interfaces``: dicts with ``linktype`` and optional ``tsresol`` (the
    raw option byte) and ``tsoffset`` (seconds).  ``records``: (interface
    id, timestamp in interface units, frame bytes) as Enhanced Packet Blocks.
    """
    shb = _block(order, 0x0A0D0D0A, struct.pack(order + "IHHq", 0x1A2B3C4D, 1, 0, -1)
                 + _opt(order, 0, b""))
    blocks = [shb]
    for itf in interfaces:
        opts = b""
        if itf.get("tsresol") is not None:
            opts += _opt(order, 9, bytes([itf["tsresol"]]))
        if itf.get("tsoffset") is not None:
            opts += _opt(order, 14, struct.pack(order + "q", itf["tsoffset"]))
        if opts:
            opts += _opt(order, 0, b"")
        blocks.append(_block(order, 1, struct.pack(order + "HHI", itf["linktype"], 0, 262144) + opts))
    for ifid, ts, data in records:
        body = struct.pack(order + "IIIII", ifid, ts >> 32, ts & 0xFFFFFFFF, len(data), len(data))
        body += data + bytes(-len(data) % 4)
        blocks.append(_block(order, 6, body))
    path.write_bytes(b"".join(blocks))
    return path
