"""ESP SPIs a log names, linked to the ESP flows of a capture, and the counters compared.

A log names SPIs when SAs are made and when their state is shown:

* IOS ``IPSEC(create_sa): sa created, (sa) sa_dest= A, sa_spi= 0x45F16A9A``:
  packets with that SPI go to A (the log's own address: inbound);
* strongSwan ``CHILD_SA net{1} established with SPIs b254176a_i 6652da2d_o``
  and ASA ``Inbound SPI = ..., Outbound SPI = ...``: one inbound, one outbound;
* pasted ``show crypto ipsec sa`` (``spi: 0x45F16A9A``, inbound or outbound esp
  sas) with the interface's counters ``#pkts encaps`` (packets sent) and
  ``#pkts decaps`` (received); libreswan's traffic status and charon's
  ``closing CHILD_SA ... (312 bytes)`` count bytes of the inner packets;
* charon's ``parsed ESP header with SPI b254176a [seq 3]``: one packet, linked
  to its frame.

:class:`EspTable` counts the capture's ESP packets per (SPI, source,
destination) with their times, without keeping the packets.  :func:`link`
gives, per SPI a log names, the flow it links to, the packets seen, and for a
packet counter the difference between the router's latest count (a filtered
``show crypto ipsec sa | i caps`` counts for the SPIs its flow showed before)
and the packets the capture saw up to the moment the counter was shown (all of
them when the moment is unknown: then only a count above them is a
difference); an SPI with no flow, or a log that speaks for no endpoint of the
capture (or does not belong to it), is not compared.  A difference means
packets the capture point did not see (positive) or packets that never reached
the router (negative).

Pure functions; nothing raises on odd input.
"""
from __future__ import annotations

import bisect
from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from .model import Event

__all__ = ["EspFlow", "EspTable", "SpiLink", "link", "spi_facts"]


@dataclass(slots=True)
class EspFlow:
    """ESP packets of one SPI from ``src`` to ``dst`` (UDP-encapsulated or not): how many, their times
    (epoch s, capture order), the first and last frame and the highest sequence number."""
    spi: int
    src: str
    dst: str
    times: array = field(default_factory=lambda: array("d"))
    first_frame: int = 0
    last_frame: int = 0
    max_seq: int | None = None

    @property
    def packets(self) -> int:
        return len(self.times)

    def seen_until(self, t: float | None) -> int:
        """Packets seen up to capture time ``t`` (all of them when None)."""
        if t is None:
            return len(self.times)
        return bisect.bisect_right(self.times, t)


class EspTable:
    """The capture's ESP flows, filled by :meth:`add` with each :class:`dissect.model.Packet` carrying
    ESP; ``frames`` maps (spi, seq) to the frame, for the SPIs in ``watch`` only (log lines that name
    single packets)."""

    def __init__(self, watch: set[int] | None = None):
        self.flows: dict[tuple[int, str, str], EspFlow] = {}
        self.by_spi: dict[int, list[EspFlow]] = {}
        self.watch = watch or set()
        self.frames: dict[tuple[int, int], int] = {}

    def add(self, pkt) -> None:
        esp, d = pkt.esp, pkt.datagram
        key = (esp.spi, d.src, d.dst)
        flow = self.flows.get(key)
        if flow is None:
            flow = self.flows[key] = EspFlow(esp.spi, d.src, d.dst, first_frame=d.frame)
            self.by_spi.setdefault(esp.spi, []).append(flow)
        flow.times.append(d.time)
        flow.last_frame = d.frame
        if esp.seq is not None:
            if flow.max_seq is None or esp.seq > flow.max_seq:
                flow.max_seq = esp.seq
            if esp.spi in self.watch:
                self.frames.setdefault((esp.spi, esp.seq), d.frame)


@dataclass
class SpiLink:
    """One SPI a log names, and what the capture shows of it.

    ``direction``   "in" (to the log's endpoint) or "out" (from it), or None when neither says
    ``flows``       the capture's ESP flows with that SPI (usually one)
    ``events``      the log's events that name the SPI, in log order
    ``packets``     ESP packets with that SPI in the capture
    ``counter``     the counter the log shows ("encaps", "decaps", "bytes_in", "bytes_out"...) or None
    ``counted``     its value (packets, or bytes for a bytes counter)
    ``seen``        packets the capture saw up to the moment of the counter (None for bytes)
    ``difference``  counted - seen for a packet counter, as far as it holds (:func:`_holding`): 0 when the
                    packets seen within the moment's uncertainty explain the count, None when nothing is
                    proven (no moment, and fewer than the capture's), else None for a bytes counter
    ``note``        a one-line remark (shared counters, no flow)
    ``timed``       the moment of the counter is known (its output had a stamp and the log an offset): else
                    ``seen`` counts every packet of the capture, and a counter below it proves nothing
    """
    spi: int
    log: str
    direction: str | None = None
    flows: list[EspFlow] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    packets: int = 0
    counter: str | None = None
    counted: int | None = None
    seen: int | None = None
    difference: int | None = None
    note: str = ""
    timed: bool = False


def spi_facts(e: Event, endpoint: str | None) -> list[tuple[int, str | None]]:
    """(SPI, direction) pairs an event states: "in" for packets to the log's endpoint, "out" from it."""
    d = e.detail
    out: list[tuple[int, str | None]] = []
    if isinstance(d.get("spi_in"), int):
        out.append((d["spi_in"], "in"))
    if isinstance(d.get("spi_out"), int):
        out.append((d["spi_out"], "out"))
    if out:
        return out
    if e.spi is None:
        return []
    direction = d.get("direction") if d.get("direction") in ("in", "out") else None
    if direction is None and isinstance(d.get("inbound"), bool):
        direction = "in" if d["inbound"] else "out"
    if direction is None and e.kind == "sa_created" and d.get("dest") and endpoint:
        direction = "in" if d["dest"] == endpoint else "out"
    if direction is None and d.get("which") in ("inbound", "outbound"):
        direction = "in" if d["which"] == "inbound" else "out"
    return [(e.spi, direction)]


_PACKET_COUNTERS = {"in": ("decaps", "decrypt"), "out": ("encaps", "encrypt")}
_BYTE_COUNTERS = {"in": ("bytes_in", "in_bytes"), "out": ("bytes_out", "out_bytes")}


def link(log: str, events: Sequence[Event], endpoint: str | None, table: EspTable,
         capture_time: Callable[[Event], float | None], slack: float = 0.0) -> list[SpiLink]:
    """The SPIs a log's events name, linked to the capture's flows (module doc).  ``capture_time(e)`` is
    the event's time on the capture's clock (None when unknown); ``slack`` (s) how far that time may be
    off (the offset's uncertainty and the stamps' resolution): a counter that the packets seen within it
    explain shows no difference."""
    links: dict[int, SpiLink] = {}
    shown = _ShownBlocks()
    for e in events:
        if e.spi is None and "spi_in" not in e.detail and "spi_out" not in e.detail:
            for spi in shown.spis_of(e):   # a filtered show (``| i caps``): the counters of SPIs shown before
                if spi in links and links[spi].events[-1] is not e:
                    links[spi].events.append(e)
            continue
        shown.add(e)
        for spi, direction in spi_facts(e, endpoint):
            ln = links.get(spi)
            if ln is None:
                ln = links[spi] = SpiLink(spi, log)
            if direction and ln.direction is None:
                ln.direction = direction
            if not ln.events or ln.events[-1] is not e:
                ln.events.append(e)
    for ln in links.values():
        flows = table.by_spi.get(ln.spi, []) if endpoint else []
        if endpoint and ln.direction:
            own = [f for f in flows if (f.dst if ln.direction == "in" else f.src) == endpoint]
            flows = own or flows
        elif endpoint and flows:
            own = [f for f in flows if endpoint in (f.src, f.dst)]
            flows = own or flows
            if ln.direction is None and len({f.dst == endpoint for f in flows}) == 1:
                ln.direction = "in" if flows[0].dst == endpoint else "out"
        ln.flows = flows
        ln.packets = sum(f.packets for f in flows)
        if not endpoint:
            ln.note = "the log speaks for no endpoint of the capture: not compared"
        elif not flows:
            ln.note = "no ESP packet with this SPI in the capture"
    shared: dict[tuple[int, str | None], set[int]] = {}
    for ln in links.values():
        for e in ln.events:
            if isinstance(e.detail.get("counters"), dict):
                shared.setdefault((id(e.record), ln.direction), set()).add(ln.spi)
    for ln in links.values():
        _counter(ln, capture_time, shared, slack)
    return sorted(links.values(), key=lambda ln: (ln.events[0].record.line if ln.events else 0, ln.spi))


def _idents(e: Event) -> tuple | None:
    """The (local, remote) proxy identities a show block names, as a hashable key; None without them."""
    d = e.detail
    if not isinstance(d.get("local_ident"), dict) or not isinstance(d.get("remote_ident"), dict):
        return None
    return tuple(sorted(d["local_ident"].items())), tuple(sorted(d["remote_ident"].items()))


class _ShownBlocks:
    """The SPIs of each ``show crypto ipsec sa`` block with counters seen so far, by its proxy identities
    (the counters are the flow's), for a later filtered show (``show crypto ipsec sa | i caps|ident``)
    that repeats the counters without naming an SPI."""

    def __init__(self) -> None:
        self.by_idents: dict[tuple | None, tuple[int, list[int]]] = {}

    def add(self, e: Event) -> None:
        if e.spi is None or not isinstance(e.detail.get("counters"), dict):
            return
        key = _idents(e)
        record, spis = self.by_idents.get(key, (None, []))
        if record != id(e.record):
            record, spis = id(e.record), []
        spis.append(e.spi)
        self.by_idents[key] = (record, spis)

    def spis_of(self, e: Event) -> list[int]:
        """The SPIs whose counters the SPI-less event ``e`` shows: those of the last block with the same
        identities (of the only identities shown so far, when ``e`` names none)."""
        if not isinstance(e.detail.get("counters"), dict):
            return []
        key = _idents(e)
        if key is None and len(self.by_idents) == 1:
            key = next(iter(self.by_idents))
        return list(self.by_idents.get(key, (None, []))[1])


def _holding(counted: int, flows: Sequence[EspFlow], t: float | None, slack: float) -> int | None:
    """The difference between a router's packet counter and the capture that holds whatever the moment
    within ``slack`` seconds of ``t``: 0 when the count lies between the packets seen by ``t - slack``
    and by ``t + slack``, else counted minus the nearer of the two.  Without a moment only a count above
    every packet of the capture holds (the capture may have gone on after the output): None below it."""
    if t is None:
        seen = sum(f.packets for f in flows)
        return counted - seen if counted >= seen else None
    lo = sum(f.seen_until(t - slack) for f in flows)
    hi = sum(f.seen_until(t + slack) for f in flows)
    if lo <= counted <= hi:
        return 0
    return counted - (lo if counted < lo else hi)


def _counter(ln: SpiLink, capture_time: Callable[[Event], float | None],
             shared: dict[tuple[int, str | None], set[int]], slack: float = 0.0) -> None:
    """The latest counter the log shows for the SPI (a filtered show of the same flow counts), and the
    packets seen up to that moment; for an SPI with no flow in the capture (the capture cannot speak of
    it) the counter only, nothing compared.  ``slack`` (s): how far the moment may be off."""
    if ln.direction is None:
        return
    for e in reversed(ln.events):
        counters = e.detail.get("counters")
        if isinstance(counters, dict):
            for name in _PACKET_COUNTERS[ln.direction]:
                if isinstance(counters.get(name), int):
                    ln.counter, ln.counted = name, counters[name]
                    if not ln.flows:
                        return
                    t = capture_time(e)
                    ln.seen = sum(f.seen_until(t) for f in ln.flows)
                    ln.timed = t is not None
                    ln.difference = _holding(ln.counted, ln.flows, t, slack)
                    notes = []
                    if t is None:
                        notes.append("the output has no time stamp (or the log no offset): compared with every "
                                     "packet of the capture")
                        if ln.counted < ln.seen:
                            notes.append("fewer than the capture's, which may have gone on after it: no difference "
                                         "proven")
                    others = len(shared.get((id(e.record), ln.direction), ())) - 1
                    if others > 0:
                        notes.append(f"the counters are the interface's, shared with {others} other SA(s) of "
                                     "that direction shown with it")
                    ln.note = "; ".join([ln.note, *notes] if ln.note else notes)
                    return
        for name in _BYTE_COUNTERS[ln.direction]:
            if isinstance(e.detail.get(name), int):
                ln.counter, ln.counted = name, e.detail[name]
                why = "a byte count of the inner packets: not comparable with ESP packets"
                ln.note = f"{ln.note}; {why}" if ln.note else why
                return

