"""ICMP and ICMPv6 errors about IKE or ESP packets (RFC 792, RFC 4443).

"Port unreachable" for UDP 500 means no IKE daemon listens on the peer;
"Protocol unreachable" for ESP means the peer's kernel has no ESP; "packet
too big" or "fragmentation needed" for a large IKE message explains a
stalled MM5 or IKE_AUTH.  Wireshark shows these errors with the packet they
quote; so does ikescope, for quoted IKE and ESP packets only.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import registry
from .model import endpoint_text


@dataclass(slots=True)
class IcmpError:
    """An ICMP(v6) error and the IKE/ESP packet it quotes.

    ``quoted_proto`` is 17 (UDP) or 50 (ESP); ``sport``/``dport`` are set for
    UDP; ``spi``/``seq`` for ESP (plain, or UDP-encapsulated when enough of
    it is quoted); ``icookie``/``rcookie`` when an ISAKMP header is quoted.
    ``mtu`` is the next-hop MTU of "fragmentation needed" / "packet too big";
    ``keepalive`` says the quoted packet is an RFC 3948 NAT keepalive.
    """
    version: int
    type: int
    code: int
    quoted_src: str
    quoted_dst: str
    quoted_proto: int
    sport: int | None = None
    dport: int | None = None
    spi: int | None = None
    seq: int | None = None
    icookie: bytes | None = None
    rcookie: bytes | None = None
    mtu: int | None = None
    keepalive: bool = False

    @property
    def type_name(self) -> str:
        table = registry.ICMP_TYPES if self.version == 4 else registry.ICMPV6_TYPES
        return table.get(self.type, f"type {self.type}")

    @property
    def code_name(self) -> str:
        table = registry.ICMP_CODES if self.version == 4 else registry.ICMPV6_CODES
        return table.get(self.type, {}).get(self.code, f"code {self.code}")

    @property
    def about(self) -> str:
        """What the quoted packet was: ``IKE``, ``ESP``, ``UDP-encapsulated ESP`` or ``NAT keepalive``."""
        if self.quoted_proto == 50:
            return "ESP"
        if self.keepalive:
            return "NAT keepalive"
        return "UDP-encapsulated ESP" if self.spi is not None else "IKE"

    def summary(self) -> str:
        """``Destination unreachable (Port unreachable) for IKE 192.0.2.2:500 -> 192.0.2.3:500``."""
        extra = f", SPI 0x{self.spi:08x}" if self.spi is not None else ""
        extra += f", MTU {self.mtu}" if self.mtu else ""
        code = f" ({self.code_name})" if self.code_name else ""
        return (f"{self.type_name}{code} for {self.about} {endpoint_text(self.quoted_src, self.sport)}"
                f" -> {endpoint_text(self.quoted_dst, self.dport)}{extra}")

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"type": self.type, "code": self.code, "type_name": self.type_name,
                             "code_name": self.code_name, "about": self.about,
                             "quoted": {"src": self.quoted_src, "dst": self.quoted_dst, "proto": self.quoted_proto,
                                        "sport": self.sport, "dport": self.dport}}
        q = d["quoted"]
        if self.spi is not None:
            q["spi"] = f"0x{self.spi:08x}"
            q["seq"] = self.seq
        if self.icookie is not None:
            q["icookie"] = self.icookie.hex()
            q["rcookie"] = self.rcookie.hex() if self.rcookie is not None else None
        if self.mtu:
            d["mtu"] = self.mtu
        return d
