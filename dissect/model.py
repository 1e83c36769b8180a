"""The data model that flows one way through ikescope.

capture file -> :class:`Frame` -> :class:`Datagram` -> :class:`Packet`
(an ISAKMP :class:`~dissect.isakmp.Message` or an :class:`~dissect.esp.EspHeader`)
-> sessions (:mod:`dissect.session`) -> rendering (:mod:`cli`).

Bad input becomes data: an :class:`Expert` note on the thing it concerns, or a
count in :class:`Stats`; it never escapes a stage as an exception.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

# Expert severities, as Wireshark's expert info names them.
ERROR = "error"
WARNING = "warning"
NOTE = "note"
CHAT = "chat"


def endpoint_text(addr: str, port: int | None) -> str:
    """``192.0.2.2:500``, ``[2001:db8::2]:500`` (RFC 3986 brackets), or the bare address without a port."""
    if port is None:
        return addr
    return f"[{addr}]:{port}" if ":" in addr else f"{addr}:{port}"


#: The words of every note about bytes the capture did not keep (the snap length); what reads a
#: datagram's payload (ESP decryption) looks for them to tell a cut packet from a bad one.
CUT_BY_CAPTURE = "truncated by the capture"


def cut_by_capture(notes: list) -> bool:
    """Whether the notes say the datagram was cut short by the capture (its payload is incomplete)."""
    return any(CUT_BY_CAPTURE in n.message for n in notes)


@dataclass(slots=True)
class Expert:
    """A Wireshark-style expert note: something malformed or noteworthy.

    ``offset`` is a byte offset into the ISAKMP message (or into the frame
    for link/IP level notes), or None when it concerns the whole item.
    ``group`` follows Wireshark's expert groups ("malformed", "protocol",
    "sequence", "reassemble", "undecoded").
    """
    severity: str
    message: str
    offset: int | None = None
    group: str = "malformed"

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"severity": self.severity, "group": self.group, "message": self.message}
        if self.offset is not None:
            d["offset"] = self.offset
        return d

    def __str__(self) -> str:
        at = f" at offset {self.offset}" if self.offset is not None else ""
        return f"[{self.severity}/{self.group}] {self.message}{at}"

    def label(self) -> str:
        """The details-tree line, as Wireshark's expert info reads."""
        at = f" [offset {self.offset}]" if self.offset is not None else ""
        return f"Expert Info ({self.severity}/{self.group}): {self.message}{at}"


@dataclass(slots=True)
class Frame:
    """One record of a capture file.

    ``number`` is 1-based, as Wireshark numbers frames; ``time`` is epoch
    seconds (float); ``data`` is the captured bytes (``len(data)`` may be
    less than ``wire_len`` when the capture was taken with a snap length).
    """
    number: int
    time: float
    linktype: int
    data: bytes
    wire_len: int
    interface: int = 0


@dataclass(slots=True)
class Datagram:
    """An IKE or ESP unit after link, IP and UDP decoding and reassembly.

    * ``frame``/``time``: the frame that completed it (the last fragment);
      ``fragments`` lists every frame that carried a piece, in order, when
      the IP datagram was fragmented.
    * ``proto``: 17 (UDP) or 50 (ESP); ``sport``/``dport`` are None for ESP.
    * ``kind``: ``"isakmp"``, ``"esp"``, ``"nat-keepalive"`` or ``"icmp-error"``
      (an ICMP error quoting an IKE/ESP packet; ``payload`` is the ICMP message).
    * ``payload``: the ISAKMP message (after the non-ESP marker on UDP 4500)
      or the ESP packet from its SPI on.
    * ``non_esp_marker``: the 4 zero bytes of RFC 3948 §2.2 preceded it.
    * ``udp_encap``: ESP carried in UDP (RFC 3948).
    """
    frame: int
    time: float
    ip_version: int
    src: str
    dst: str
    proto: int
    sport: int | None
    dport: int | None
    kind: str
    payload: bytes
    non_esp_marker: bool = False
    udp_encap: bool = False
    fragments: tuple[int, ...] = ()
    notes: list[Expert] = field(default_factory=list)


@dataclass(slots=True)
class Stats:
    """Counts over a whole run, so that nothing is dropped silently.

    ``frames``: records read; ``isakmp``/``esp``/``keepalive``: units
    decoded; ``skipped``: frames that are not IKE/ESP, by reason;
    ``undecodable``: frames that looked relevant but could not be decoded,
    by reason; ``malformed``: ISAKMP messages and ESP headers with error notes.
    ``truncated``: a one-line note when the capture file ends mid-record.
    """
    frames: int = 0
    isakmp: int = 0
    esp: int = 0
    keepalive: int = 0
    icmp_errors: int = 0
    fragments_pending: int = 0
    malformed: int = 0
    skipped: Counter = field(default_factory=Counter)
    undecodable: Counter = field(default_factory=Counter)
    truncated: str | None = None
    linktypes: Counter = field(default_factory=Counter)
    first_time: float | None = None
    prefiltered: int = 0  # records the raw-byte prefilter judged not IKE/ESP
    fragment_frames: int = 0  # frames that were IP fragments of a datagram completed in a later frame

    def to_dict(self) -> dict[str, Any]:
        return {
            "frames": self.frames,
            "isakmp": self.isakmp,
            "esp": self.esp,
            "nat_keepalive": self.keepalive,
            "icmp_errors": self.icmp_errors,
            "skipped": dict(self.skipped),
            "undecodable": dict(self.undecodable),
            "malformed_isakmp": self.malformed,
            "fragments_pending": self.fragments_pending,
            "fragment_frames": self.fragment_frames,
            "truncated": self.truncated,
        }


@dataclass(slots=True)
class Packet:
    """One row of ikescope's packet list: a datagram and what it carries.

    At most one of ``isakmp`` (a :class:`dissect.isakmp.Message`), ``esp``
    (a :class:`dissect.esp.EspHeader`) and ``icmp`` (a
    :class:`dissect.icmp.IcmpError` about an IKE/ESP packet) is set; none
    for a NAT keepalive.  ``sa`` is the :class:`dissect.session.IkeSa` an ISAKMP
    message belongs to, filled in by the session tracker.
    """
    datagram: Datagram
    isakmp: Any = None
    esp: Any = None
    sa: Any = None
    icmp: Any = None

    @property
    def frame(self) -> int:
        return self.datagram.frame

    @property
    def role(self) -> str:
        if self.isakmp is not None:
            return self.isakmp.role
        if self.esp is not None:
            return "ESP"
        if self.icmp is not None:
            return "ICMP-error"
        return "NAT-keepalive"

    def to_dict(self) -> dict[str, Any]:
        """The JSON object of one frame (documented in README.md, "JSON output")."""
        d = self.datagram
        out: dict[str, Any] = {"frame": d.frame, "time": d.time, "src": d.src, "dst": d.dst,
                               "sport": d.sport, "dport": d.dport, "ip_version": d.ip_version}
        if d.fragments:
            out["fragments"] = list(d.fragments)
        if d.non_esp_marker:
            out["non_esp_marker"] = True
        if self.isakmp is not None:
            out["isakmp"] = self.isakmp.to_dict()
            if self.sa is not None:
                out["isakmp"]["sa"] = self.sa.index
                out["isakmp"]["from_initiator"] = d.src == self.sa.initiator
        elif self.esp is not None:
            out["esp"] = self.esp.to_dict()
        elif self.icmp is not None:
            out["icmp"] = self.icmp.to_dict()
            if self.sa is not None:
                out["icmp"]["sa"] = self.sa.index
        else:
            out["nat_keepalive"] = True
        if d.notes:
            out["expert"] = [n.to_dict() for n in d.notes]
        return out
