"""Raw-byte prefilter: decide from a few header bytes whether a frame may be IKE or ESP.

Most frames of a real capture are neither IKE nor ESP.  Decoding each of
them with dpkt costs about as much as tshark does, so every record is first
looked at here, on the raw bytes of the read chunk, without building any
object.  The test is deliberately generous: it keeps

* IPv4/IPv6 UDP with source or destination port 500 or 4500 (or the ports
  given), IP protocol 50 (ESP) and 51 (AH);
* every IPv4 fragment and every IPv6 packet with an extension header
  (hop-by-hop, routing, fragment, destination options, mobility, HIP,
  shim6), since only reassembly or a header walk can tell;
* IP-in-IP (4, 41) and 802.1Q / QinQ tagged Ethernet frames;
* ICMP and ICMPv6 errors (they may quote an IKE or ESP packet).

Everything it keeps is decoded properly by :mod:`dissect.netlayer`; what it
drops is counted by the caller as "not IKE/ESP".
"""
from __future__ import annotations

from .capture import Selector

IKE_PORTS = frozenset({500, 4500})

LINKTYPE_NULL = 0
LINKTYPE_ETHERNET = 1
LINKTYPE_RAW = 101
LINKTYPE_LOOP = 108
LINKTYPE_SLL = 113
LINKTYPE_SLL2 = 276
LINKTYPE_IPV4 = 228
LINKTYPE_IPV6 = 229

#: IPv6 next-header values that the prefilter must pass to the full decoder
V6_KEEP = frozenset({0, 43, 44, 60, 135, 139, 140, 50, 51, 4, 41})
V4_KEEP = frozenset({50, 51, 4, 41})
ICMP4_ERRORS = frozenset({3, 11, 12})  # destination unreachable, time exceeded, parameter problem
ETH_VLAN = frozenset({0x8100, 0x88A8, 0x9100})

#: Where the IP header starts, for link types with a fixed-size header.
IP_OFFSET = {
    LINKTYPE_NULL: 4, LINKTYPE_LOOP: 4, LINKTYPE_RAW: 0, 12: 0, 14: 0,
    LINKTYPE_IPV4: 0, LINKTYPE_IPV6: 0, LINKTYPE_SLL: 16, LINKTYPE_SLL2: 20,
    LINKTYPE_ETHERNET: 14,
}


def selector_for(linktype: int, ports: frozenset[int] = IKE_PORTS) -> Selector | None:
    """The prefilter for one link type, or None when ikescope cannot decode it.

    The selector gets a chunk and the start/end of one record's bytes and
    returns True when the frame may carry IKE or ESP (see the module doc).
    It is called for every record of the capture, so it is one flat
    function with its constants bound as defaults.
    """
    off = IP_OFFSET.get(linktype)
    if off is None:
        return None
    et_at = {LINKTYPE_ETHERNET: 12, LINKTYPE_SLL: 14, LINKTYPE_SLL2: 0}.get(linktype, -1)

    def select(b: bytes, s: int, e: int, off=off, et_at=et_at, ports=ports, vlan=ETH_VLAN,
               v4_keep=V4_KEEP, v6_keep=V6_KEEP, icmp_errors=ICMP4_ERRORS) -> bool:
        q = s + off
        if e - q < 20:
            return False
        if et_at >= 0:
            et = (b[s + et_at] << 8) | b[s + et_at + 1]
            if et != 0x86DD and et != 0x0800:
                return et in vlan
        v = b[q] >> 4
        if v == 6:
            if e - q < 44:  # no room for UDP ports: only an extension header chain can matter
                return e - q >= 40 and b[q + 6] in v6_keep
            nh = b[q + 6]
            if nh == 17:
                return ((b[q + 40] << 8) | b[q + 41]) in ports or ((b[q + 42] << 8) | b[q + 43]) in ports
            if nh == 58:
                return 0 < b[q + 40] < 5  # ICMPv6 error messages 1-4
            return nh in v6_keep
        if v == 4:
            if b[q + 6] & 0x3F or b[q + 7] or b[q] & 15 < 5:  # MF flag, a fragment offset, or a bad IHL
                return True
            p = b[q + 9]
            if p == 17:
                u = q + ((b[q] & 15) << 2)
                if u + 4 > e:
                    return False
                return ((b[u] << 8) | b[u + 1]) in ports or ((b[u + 2] << 8) | b[u + 3]) in ports
            if p == 1:
                u = q + ((b[q] & 15) << 2)
                return u < e and b[u] in icmp_errors
            return p in v4_keep
        return False
    return select
