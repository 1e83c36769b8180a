"""Correlation of a capture with the logs of its peers: the core of ``ikescope correlate``.

:func:`align` takes the capture's packets (:class:`dissect.model.Packet`, as
:class:`dissect.pipeline.Dissector` yields them, iterated once) and one or more
parsed logs (:class:`correlate.model.LogResult`) and returns an
:class:`Alignment`:

1. which capture endpoint each log speaks for (:mod:`correlate.peers`;
   ``addresses`` overrides: ADDR -> log name);
2. each log's clock offset against the capture, with its uncertainty
   (:mod:`correlate.offset`; ``offsets`` overrides: log name -> seconds);
3. each packet event of a log matched to at most one ISAKMP packet, one to one
   (:mod:`correlate.match`: a first pass with the voted offset and wide
   windows, whose pairs bound the offset, then a second with windows as narrow
   as the delays found), and every other event of the log attached to the
   packet it built or processed (:mod:`correlate.blocks`); a packet line that
   repeats an earlier one (a document quoting a debug block twice) shares its
   packet unless the capture has one for it; charon's per-packet ESP lines go
   to their ESP frame by SPI and sequence number;
4. the SPIs the logs name linked to the capture's ESP flows, with the routers'
   counters against the packets seen (:mod:`correlate.spis`);
5. what is left on each side, as data: packets a log's endpoint sent or
   received that the log never mentions, packet events with no packet, events
   that attach to no packet, ESP flows no log names.

Pure: no printing, no files; a log that cannot be placed (no address in
common with the capture, no stamps) is said in ``notes`` and still gives what
it can.
"""
from __future__ import annotations

import gc
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from statistics import median

from . import blocks, match, offset, peers, spis
from .model import Event, LogResult

__all__ = ["align", "Alignment", "LogClock", "Attached", "PacketMatch", "DELAY"]

#: seconds a packet may lag the line that sent it, or lead the line that received it, at most
DELAY = 2.0
#: the tightest such window the second matching pass uses (seconds)
MIN_DELAY = 0.05
#: seconds beyond twice the resolution by which the packets of two lines with one stamp may lie apart
COPY_SLACK = 0.002
#: endpoints tried for a log whose peers leave several possible
MAX_CANDIDATES = 4
#: a clock drift beyond this (s per s: 1000 ppm) means the pairs are wrong, not the clock
MAX_DRIFT = 1e-3
#: message IDs at least this large are random (IKEv1); smaller ones are counters (IKEv2) and prove nothing
RANDOM_MID = 256


@dataclass
class LogClock:
    """One log: the endpoint it speaks for and its clock.

    ``name``          the log's name (:attr:`LogResult.name`; made unique with ``#2``... when repeated)
    ``address``       the capture endpoint it speaks for, or None; ``assigned_by`` says how
                      ("given", "local address", "peers", "")
    ``peers``         the peer addresses it names, most named first
    ``clock``         "wall" (date and time stamps), "uptime" (seconds since boot) or "none"
    ``offset``        log clock - capture clock in seconds at capture time ``reference`` (epoch s), or None
    ``uncertainty``   seconds either side of ``offset`` (None when no offset)
    ``drift``         seconds per second the offset changes (0.0 unless the stamps needed it)
    ``resolution``    the stamps' resolution in seconds (0.001 for msec, 1.0 without)
    ``given``         the offset was given, not estimated
    ``packet_events`` its send/receive events; ``matched`` how many got a packet of their own; ``copies`` how
                      many repeat an earlier line (same stamp and text: a document quoting a block twice) and
                      share its packet
    ``notes``         one-line remarks (how the offset was found, what was ambiguous)
    """
    name: str
    address: str | None = None
    assigned_by: str = ""
    peers: list[str] = field(default_factory=list)
    clock: str = "none"
    offset: float | None = None
    uncertainty: float | None = None
    drift: float = 0.0
    reference: float | None = None
    resolution: float = 1.0
    given: bool = False
    packet_events: int = 0
    matched: int = 0
    copies: int = 0
    notes: list[str] = field(default_factory=list)

    def capture_time(self, log_seconds: float) -> float | None:
        """A time on the log's clock (s, as :func:`correlate.offset.event_seconds` gives) on the capture's."""
        if self.offset is None:
            return None
        base = log_seconds - self.offset
        if self.drift and self.reference is not None:
            return base - self.drift * (base - self.reference)
        return base


@dataclass(slots=True)
class Attached:
    """An event of a log, with the log's name and how it was placed: "packet" (the packet line itself),
    "copy of line N" (a packet line repeating line N), "retransmission", "socket", "message ID", "thread",
    "order", "ESP SPI and sequence"; for an event placed nowhere, why ("no packet event", "no packet in the
    capture", "show output", ...)."""
    log: str
    event: Event
    how: str


@dataclass(slots=True)
class PacketMatch:
    """A packet event matched to a frame; ``residual`` = (log time - offset) - frame time, in seconds
    (negative: logged before the wire, as a sent packet is), None without a stamp."""
    frame: int
    log: str
    event: Event
    residual: float | None


@dataclass
class Alignment:
    """The capture and its logs lined up (module doc).

    ``logs``               one :class:`LogClock` per log, in the order given
    ``matches``            packet events and their frames, in capture order
    ``attached``           frame -> events placed on it: the logs in the order given, each in log order
    ``unmatched_events``   packet events with no packet (the capture point missed it), per log in order
    ``unmatched_packets``  log name -> ISAKMP frames to or from its endpoint that it never mentions
    ``unlogged``           ISAKMP frames no log mentions (empty without logs)
    ``unattached``         events placed on no frame, with why
    ``spis``               SPIs the logs name, linked to ESP flows (:class:`correlate.spis.SpiLink`)
    ``esp_unlinked``       ESP flows (:class:`correlate.spis.EspFlow`) whose SPI no log names
    ``retransmissions``    frame -> the frame of its first copy
    ``frames``             ISAKMP frames seen, in capture order
    ``notes``              one-line remarks for the user
    """
    logs: list[LogClock] = field(default_factory=list)
    matches: list[PacketMatch] = field(default_factory=list)
    attached: dict[int, list[Attached]] = field(default_factory=dict)
    unmatched_events: list[Attached] = field(default_factory=list)
    unmatched_packets: dict[str, list[int]] = field(default_factory=dict)
    unlogged: list[int] = field(default_factory=list)
    unattached: list[Attached] = field(default_factory=list)
    spis: list[spis.SpiLink] = field(default_factory=list)
    esp_unlinked: list[spis.EspFlow] = field(default_factory=list)
    retransmissions: dict[int, int] = field(default_factory=dict)
    frames: list[int] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def clock(self, name: str) -> LogClock | None:
        """The :class:`LogClock` of the log called ``name``."""
        return next((c for c in self.logs if c.name == name), None)


def align(packets: Iterable, logs: Sequence[LogResult], addresses: Mapping[str, str] | None = None,
          offsets: Mapping[str, float] | None = None, delay: float = DELAY) -> Alignment:
    """Line up the capture's ``packets`` with ``logs`` (module doc).

    ``addresses``: capture endpoint -> log name, overriding which endpoint a log speaks for.
    ``offsets``: log name -> its offset in seconds (log clock - capture clock), overriding the estimate.
    ``delay``: seconds a packet may lag its sent line or lead its received line at most.
    Never raises on odd input; what could not be done is said in the notes.

    The cyclic garbage collector waits until the end (as in :func:`correlate.logparse.parse_log_text`):
    each full collection would walk every event of the logs again, which made the time grow faster than
    the input; nothing here makes reference cycles."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _align(packets, logs, addresses, offsets, delay)
    finally:
        if collecting:
            gc.enable()


def _align(packets, logs, addresses, offsets, delay) -> Alignment:
    names = _unique_names(logs)
    unique = dict(zip((log.name for log in reversed(logs)), reversed(names)))   # a given name -> its first log
    addresses = {addr: unique.get(n, n) for addr, n in (addresses or {}).items()}
    offsets = {unique.get(n, n): v for n, v in (offsets or {}).items()}
    watch = {e.spi for log in logs for e in log.events if e.spi is not None and e.detail.get("esp")}
    table = spis.EspTable(watch)
    wire: list[match.WirePacket] = []
    for pkt in packets:
        if pkt.isakmp is not None:
            w = match.wire_packet(pkt)
            if w is not None:
                wire.append(w)
        elif pkt.esp is not None:
            table.add(pkt)
    index = match.PacketIndex(wire)
    talks = peers.talk_table((w.src, w.dst) for w in wire)
    out = Alignment(frames=[w.frame for w in wire],
                    retransmissions={w.frame: w.retransmission_of for w in wire if w.retransmission_of is not None})
    matched_frames: set[int] = set()
    for log, name in zip(logs, names):
        clock, chosen, anchors = _one_log(log, name, index, talks, addresses, offsets, delay)
        out.logs.append(clock)
        _place(out, log, name, clock, anchors, chosen, index, table)
        matched_frames.update(index.wire[ed.p].frame for ed in chosen)
        if clock.address is not None:
            mine = {index.wire[ed.p].frame for ed in chosen}
            out.unmatched_packets[name] = [w.frame for w in wire if clock.address in (w.src, w.dst)
                                           and w.frame not in mine]
        else:
            out.unmatched_packets[name] = []
        capture_time = _capture_time(clock)
        out.spis.extend(spis.link(name, log.events, clock.address, table, capture_time))
    if logs:
        out.unlogged = [w.frame for w in wire if w.frame not in matched_frames]
    named = {ln.spi for ln in out.spis}
    out.esp_unlinked = [f for f in table.flows.values() if f.spi not in named]
    out.matches.sort(key=lambda m: m.frame)   # frame numbers follow the capture's order; logs keep theirs
    for c in out.logs:
        out.notes.extend(c.notes)
    return out


def _unique_names(logs: Sequence[LogResult]) -> list[str]:
    seen: dict[str, int] = {}
    names = []
    for log in logs:
        n = seen.get(log.name, 0) + 1
        seen[log.name] = n
        names.append(log.name if n == 1 else f"{log.name}#{n}")
    return names


def _capture_time(clock: LogClock):
    def convert(e: Event) -> float | None:
        t = offset.event_seconds(e.record, clock.clock)
        return None if t is None else clock.capture_time(t)
    return convert


def _one_log(log: LogResult, name: str, index: match.PacketIndex, talks, addresses, offsets, delay):
    """The clock, the chosen edges and the anchors of one log."""
    events = log.events
    anchors = blocks.anchors(events)
    clock = LogClock(name, packet_events=len(anchors))
    kind = offset.clock_kind([a.event.record for a in anchors] or [e.record for e in events])
    clock.clock = kind
    for a in anchors:
        a.time = offset.event_seconds(a.event.record, kind)
        a.res = offset.resolution(a.event.record)
    stamped = [a.res for a in anchors if a.time is not None]
    clock.resolution = median(stamped) if stamped else 1.0
    asg = peers.assign(name, events, talks, addresses)
    clock.peers = asg.peers
    clock.assigned_by = asg.how
    if asg.note:
        clock.notes.append(asg.note)
    given = offsets.get(name)
    if not anchors:
        clock.address = asg.address
        clock.notes.append(f"{name}: no packet sent or received in the log")
        return clock, [], anchors
    if asg.address is None:
        return clock, [], anchors
    best = None
    for endpoint in asg.candidates[:MAX_CANDIDATES]:
        est, chosen, notes = _correlate(anchors, index, endpoint, given, delay)
        key = (len(chosen), -(est.uncertainty if est is not None else float("inf")))
        if best is None or key > best[0]:
            best = (key, endpoint, est, chosen, notes)
    _key, endpoint, est, chosen, notes = best
    why = _foreign(anchors, chosen, index, endpoint, est, delay) if given is None else None
    if why is not None:
        clock.address = endpoint
        clock.notes.append(f"{name}: the log does not belong to this capture ({why}): no packet line matched")
        return clock, [], anchors
    clock.address = endpoint
    clock.notes.extend(f"{name}: {n}" for n in notes)
    clock.matched = len(chosen)
    if given is not None:
        clock.offset, clock.uncertainty, clock.given = float(given), 0.0, True
        clock.reference = None
    elif est is not None:
        clock.offset, clock.uncertainty, clock.drift = est.offset, est.uncertainty, est.drift
        clock.reference = est.reference
    if kind == "none":
        clock.notes.append(f"{name}: no time stamps; packet lines were matched by their order alone")
    return clock, chosen, anchors


def _foreign(anchors, chosen, index: match.PacketIndex, endpoint: str, est, delay: float) -> str | None:
    """Why the matched pairs show that the log speaks of other exchanges than the capture's, or None.

    * the pairs need a clock drift beyond :data:`MAX_DRIFT` (no real clock runs that far off);
    * the log states random (IKEv1) message IDs for its packets, the capture shows such message IDs to or
      from the log's endpoint while the log runs, and not one of them is the log's."""
    if est is not None and abs(est.drift) > MAX_DRIFT:
        return f"its clock would drift {est.drift * 1e6:+.0f} ppm against the capture's"
    if est is None or not chosen:
        return None
    said = {a.mid & 0xFFFFFFFF for a in anchors if a.mid is not None and (a.mid & 0xFFFFFFFF) >= RANDOM_MID}
    times = [a.time - est.at(a.time - est.offset) for a in anchors if a.time is not None]
    if not said or not times:
        return None
    lo, hi = min(times) - delay, max(times) + delay
    seen = {w.message_id for w in index.wire if endpoint in (w.src, w.dst) and lo <= w.time <= hi
            and w.message_id >= RANDOM_MID}
    if seen and not said & seen:
        return (f"none of the {len(said)} message IDs it states is among the {len(seen)} the capture shows "
                "meanwhile")
    return None


def _pairs(chosen: Sequence[match.Edge], anchors: Sequence[blocks.Anchor], index: match.PacketIndex):
    """The bounds' pairs: the matched lines with a stamp, copies left out (they add no evidence)."""
    return [offset.Pair(anchors[ed.a].out, anchors[ed.a].time - index.wire[ed.p].time, anchors[ed.a].res,
                        index.wire[ed.p].time)
            for ed in chosen if anchors[ed.a].time is not None and anchors[ed.a].copy_of is None]


def _correlate(anchors, index, endpoint, given, delay):
    """Offset estimate, chosen edges and notes for one log at one endpoint."""
    notes: list[str] = []
    timed = [a for a in anchors if a.time is not None]
    res = max((a.res for a in timed), default=1.0)
    if not timed:
        return None, _match(anchors, index, endpoint, lambda t: 0.0, 0.0, delay), notes
    if given is not None:
        off0, u0 = float(given), max(res, 1.0)
    else:
        vote = None
        for limit, sample in ((16, 20000), (256, 2000), (4096, 300)):
            props = match.proposals(anchors, index, endpoint, limit, sample)
            if props:
                vote = offset.vote(props, res)
                if vote is not None and vote[1] >= min(3, len(timed)):
                    break
        if vote is None:
            notes.append("no packet in the capture has the facts of any of its packet lines: no offset")
            return None, [], notes
        off0, votes, width = vote
        u0 = width / 2
        if votes < 2:
            notes.append("the offset rests on a single packet line")
    chosen = _match(anchors, index, endpoint, lambda t: off0, u0, delay, copies=False)
    est = offset.bound(_pairs(chosen, anchors, index))
    if est is None:
        if given is None:
            notes.append("no stamped packet line matched: the offset is the vote's")
            est = offset.OffsetEstimate(off0, u0)
        return est, chosen, notes
    # the second pass: windows as wide as the delays the first one found (twice, at least MIN_DELAY)
    lags = [abs(p.d - est.at(p.t)) for p in _pairs(chosen, anchors, index)]
    tight = min(delay, max(MIN_DELAY, 2 * max(lags, default=0.0) + res))
    if given is not None:
        at = lambda t: float(given)     # noqa: E731 - the given offset holds everywhere
        u = res
    else:
        at = lambda t: est.at(t - est.offset)   # noqa: E731 - log time -> offset at that moment
        u = est.uncertainty
    second = _match(anchors, index, endpoint, at, u, tight)
    if len(second) >= len(chosen):
        chosen = second
        est2 = offset.bound(_pairs(chosen, anchors, index))
        if est2 is not None:
            est = est2
    notes.extend(est.notes)
    if given is not None:
        notes.append(f"offset given as {given:+.3f} s; the matched packets suggest {est.offset:+.3f} s "
                     f"± {est.uncertainty:.3f} s")
    return est, chosen, notes


def _match(anchors, index, endpoint, at, u, delay, copies: bool = True) -> list[match.Edge]:
    """Matching (:func:`correlate.match.solve`) of the packet lines, then of their copies.

    A copy (a line with the stamp, text and message ID of an earlier one) never takes a packet another
    line can have: it may take a packet left over that no soft fact contradicts and that travelled
    within one unit of the log's resolution (:data:`COPY_SLACK` more) of its original's packet, as two
    lines with one stamp were written within that unit; the lines whose packets lie that close are then
    matched again among those packets (the copy may be the earlier one).  A copy with no packet of its
    own is the same packet quoted again (see :func:`_place`).  Without ``copies`` they take no packet
    (the first pass: the offset is not yet known well enough)."""
    found = match.edges(anchors, index, endpoint, at, u, delay)
    chosen = match.solve([ed for ed in found if anchors[ed.a].copy_of is None], anchors, index)
    if not copies:
        return chosen
    taken = {ed.p for ed in chosen}
    theirs = {ed.a: index.wire[ed.p].time for ed in chosen}

    def near(a: blocks.Anchor, t0: float | None, t: float) -> bool:
        return t0 is None or abs(t - t0) <= 2 * a.res + COPY_SLACK

    rest = [ed for ed in found if anchors[ed.a].copy_of is not None and ed.p not in taken and ed.score >= 0
            and near(anchors[ed.a], theirs.get(anchors[ed.a].copy_of), index.wire[ed.p].time)]
    extra = match.solve(rest, anchors, index) if rest else []
    if not extra:
        return chosen
    final = {ed.a: ed for ed in chosen + extra}
    for x in extra:   # the lines whose packets lie close: matched again among those packets
        a = anchors[x.a]
        t0 = theirs.get(a.copy_of, index.wire[x.p].time)
        group = {k for k, ed in final.items() if near(a, t0, index.wire[ed.p].time)}
        packets = {final[k].p for k in group}
        again = match.solve([ed for ed in found if ed.a in group and ed.p in packets], anchors, index)
        if len(again) == len(group):
            final.update((ed.a, ed) for ed in again)
    return sorted(final.values(), key=lambda ed: ed.a)


def _place(out: Alignment, log: LogResult, name: str, clock: LogClock, anchors, chosen, index, table) -> None:
    """Matches, attachments and leftovers of one log into ``out``."""
    events = log.events
    frame_of: dict[int, int] = {}
    mids: list[int | None] = [a.mid for a in anchors]
    for ed in chosen:
        w = index.wire[ed.p]
        frame_of[ed.a] = w.frame
        mids[ed.a] = w.message_id
        out.matches.append(PacketMatch(w.frame, name, anchors[ed.a].event, _residual(clock, anchors[ed.a], w)))
    copies: dict[int, int] = {}    # a line without a packet of its own -> the one it repeats (or its copy)
    shared: dict[int, int] = {}
    for k, a in enumerate(anchors):
        if a.copy_of is not None:
            shared.setdefault(a.copy_of, k if k in frame_of else -1)
            if shared[a.copy_of] == -1 and k in frame_of:
                shared[a.copy_of] = k
    for k, a in enumerate(anchors):
        if k in frame_of:
            continue
        root = a.copy_of if a.copy_of is not None else k
        other = root if root in frame_of else shared.get(root, -1)
        if other != -1 and other in frame_of:
            copies[k] = other
            frame_of[k] = frame_of[other]
            mids[k] = mids[other]
    clock.copies = len(copies)
    places = blocks.attach(events, anchors, mids)
    attached = out.attached
    for e, (k, how) in zip(events, places):
        if e.spi is not None and e.detail.get("esp") and e.detail.get("seq") is not None:
            frame = table.frames.get((e.spi, e.detail["seq"]))
            if frame is not None:
                attached.setdefault(frame, []).append(Attached(name, e, "ESP SPI and sequence"))
                continue
        if k is None:
            out.unattached.append(Attached(name, e, how))
            continue
        frame = frame_of.get(k)
        if how == "packet" and k in copies:
            how = f"copy of line {anchors[copies[k]].event.record.line}"
        if frame is None:
            if how == "packet":
                out.unmatched_events.append(Attached(name, e, "no packet in the capture"))
            else:
                why = f"its packet line ({anchors[k].event.record.line}) has no packet"
                out.unattached.append(Attached(name, e, why))
            continue
        attached.setdefault(frame, []).append(Attached(name, e, how))


def _residual(clock: LogClock, a: blocks.Anchor, w: match.WirePacket) -> float | None:
    if a.time is None or clock.offset is None:
        return None
    t = clock.capture_time(a.time)
    return None if t is None else t - w.time
