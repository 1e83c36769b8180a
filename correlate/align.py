"""Correlation of a capture with the logs of its peers: the core of ``ikescope correlate``.

:func:`align` takes the capture's packets (:class:`dissect.model.Packet`, as
:class:`dissect.pipeline.Dissector` yields them, iterated once) and one or more
parsed logs (:class:`correlate.model.LogResult`) and returns an
:class:`Alignment`:

1. which capture endpoint each log speaks for (:mod:`correlate.peers`;
   ``addresses`` overrides: ADDR -> log name); a log whose packet lines name two capture
   endpoints as their own (both gateways in one file, not split by :mod:`correlate.split`) is
   refused as a whole;
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
it can.  A log none of whose packet lines got a packet (or that has none), and that
names no SPI or cookie of the capture, is marked ``foreign`` too: nothing ties its
findings to the capture.  A log of other exchanges between the same addresses (another
session, the other IKE version, a document's example) matches nothing, and a
note says why it does not belong to the capture (:func:`_foreign`).
"""
from __future__ import annotations

import bisect
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from statistics import median

from dissect import registry
from dissect.gcpolicy import paused_collector

from . import blocks, logonly, match, offset, peers, policy, spis, split
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
#: a log with at most this many packet lines that fit may be a coincidence, when more contradicts them
FEW = 2
#: seconds of clock offset beyond which a log whose stamps carry their year needs evidence of its own (a month)
IMPLAUSIBLE_OFFSET = 31 * 86400
#: matched packet lines whose byte count equals their packet's that tie a log to the capture by sizes alone
#: (Main Mode's first two messages have the same sizes between many peers: two prove nothing)
SIZE_EVIDENCE = 3


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
    ``given``         the offset was given, not estimated; ``estimate_matched``: then, when it matched fewer
                      than half of the packet lines, how many the log's own estimate matches (else None)
    ``packet_events`` its send/receive events; ``matched`` how many got a packet of their own; ``copies`` how
                      many repeat an earlier line (same stamp and text: a document quoting a block twice) and
                      share its packet
    ``foreign``       why the log was taken for another session's ("" when it was not): then it has no
                      matches, and its findings are not the capture's
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
    estimate_matched: int | None = None
    packet_events: int = 0
    matched: int = 0
    copies: int = 0
    foreign: str = ""
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
    "order", "message summary" (its exchange, message ID and payloads: :func:`_summary_frames`), "ESP SPI
    and sequence"; for an event placed nowhere, why ("no packet event", "no packet in the
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

    The cyclic garbage collector waits until the end (:func:`dissect.gcpolicy.paused_collector`): each full
    collection would walk every event of the logs again, which made the time grow faster than the input;
    nothing here makes reference cycles."""
    with paused_collector():
        return _align(packets, logs, addresses, offsets, delay)


def _align(packets, logs, addresses, offsets, delay) -> Alignment:
    names = _unique_names(logs)
    unique = dict(zip((log.name for log in reversed(logs)), reversed(names)))   # a given name -> its first log
    addresses = {addr: unique.get(n, n) for addr, n in (addresses or {}).items()}
    offsets = {unique.get(n, n): v for n, v in (offsets or {}).items()}
    watch = {e.spi for log in logs for e in log.events if e.spi is not None and e.detail.get("esp")}
    table = spis.EspTable(watch)
    wire: list[match.WirePacket] = []
    cookies: set[str] = set()
    for pkt in packets:
        if pkt.isakmp is not None:
            w = match.wire_packet(pkt)
            if w is not None:
                wire.append(w)
            h = pkt.isakmp.header
            if h is not None:
                cookies.update(c.hex() for c in (h.icookie, h.rcookie) if any(c))
        elif pkt.esp is not None:
            table.add(pkt)
    index = match.PacketIndex(wire)
    talks = peers.talk_table((w.src, w.dst) for w in wire)
    out = Alignment(frames=[w.frame for w in wire],
                    retransmissions={w.frame: w.retransmission_of for w in wire if w.retransmission_of is not None})
    matched_frames: set[int] = set()
    for log, name in zip(logs, names):
        clock, chosen, anchors = _one_log(log, name, index, talks, addresses, offsets, delay,
                                          _Proof(cookies, set(table.by_spi)))
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
        slack = (clock.uncertainty or 0.0) + clock.resolution if clock.offset is not None else 0.0
        out.spis.extend(spis.link(name, log.events, clock.address if not clock.foreign else None, table,
                                  capture_time, slack))
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


@dataclass
class _Proof:
    """What of the capture a log may name that no other session has: the ISAKMP cookies (16 hex digits,
    both of every packet, zero ones aside) and the ESP SPIs of its flows."""
    cookies: set[str]
    spis: set[int]


def _one_log(log: LogResult, name: str, index: match.PacketIndex, talks, addresses, offsets, delay,
             proof: _Proof | None = None):
    """The clock, the chosen edges and the anchors of one log; a log none of whose packet lines matched
    (or that has none) is marked foreign unless it names an SPI or cookie of the capture
    (:func:`_unplaced`)."""
    proof = proof or _Proof(set(), set())
    clock, chosen, anchors = _one_log_clock(log, name, index, talks, addresses, offsets, delay, proof)
    if not chosen and not clock.foreign and clock.address is not None:
        why = _unplaced(log.events, anchors, proof, clock.given)
        if why is not None and clock.estimate_matched:
            why = None  # (the offset given is wrong, not the log: its own estimate matches, as its note says)
        if why is not None:
            clock.foreign = why
            clock.notes.append(f"{name}: nothing ties the log to this capture ({why})")
    return clock, chosen, anchors


def _unplaced(events: Sequence[Event], anchors, proof: _Proof, given: bool) -> str | None:
    """Why a log with no matched packet line is not the capture's, or None when it names an ESP SPI or an
    ISAKMP cookie the capture has (``show crypto ipsec sa`` of the capture's tunnel, without debug)."""
    if _named_spis(events) & proof.spis or _named_cookies(events) & proof.cookies:
        return None
    if not anchors:
        return "it has no packet line, and names no SPI or cookie of the capture"
    at = " at the offset given" if given else ""
    return (f"none of its {len(anchors)} packet line{'s' if len(anchors) != 1 else ''} matched a packet of the "
            f"capture{at}, and it names no SPI or cookie of the capture")


def _named_spis(events: Sequence[Event]) -> set[int]:
    """The SPIs a log's events name (an SA's, ``spi_in``/``spi_out``)."""
    out = {e.spi for e in events if e.spi is not None}
    out.update(v for e in events for k in ("spi_in", "spi_out") if isinstance(v := e.detail.get(k), int))
    return out


def _named_cookies(events: Sequence[Event]) -> set[str]:
    """The ISAKMP cookies a log's events name (16 hex digits, lower case; zero ones aside)."""
    return {v.lower() for e in events for k in ("initiator_cookie", "responder_cookie")
            if isinstance(v := e.detail.get(k), str) and len(v) == 16 and v.strip("0")}


def _one_log_clock(log: LogResult, name: str, index: match.PacketIndex, talks, addresses, offsets, delay,
                   proof: _Proof):
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
    if not events:  # nothing read from it (the parse said why): one note, not one per thing it lacks
        clock.address = asg.address if asg.how == "given" else None
        clock.notes.append(f"{name}: no event read from it, so it is not lined up with the capture")
        return clock, [], anchors
    if asg.note:
        clock.notes.append(asg.note)
    given = offsets.get(name)
    both = [a for a in split.own_addresses(events) if a in talks]
    if len(both) >= 2:   # both gateways' lines in one file that could not be split (correlate.split)
        clock.address = asg.address
        clock.foreign = (f"its lines speak for {len(both)} endpoints of the capture ({', '.join(both)}): "
                         "one log per endpoint is needed")
        clock.notes.append(f"{name}: the log is not lined up as one endpoint's ({clock.foreign})")
        return clock, [], anchors
    if not anchors:
        clock.address = asg.address
        if given is not None and kind != "none":  # its other lines can still find their packets (_summary_frames)
            clock.offset, clock.uncertainty, clock.given = given, 0.0, True
        summaries = given is None and any(e.kind == "payload" and e.message_id is not None and e.exchange
                                          and e.direction in ("in", "out") for e in events)
        clock.notes.append(f"{name}: no packet sent or received in the log" +
                           ("; its clock offset (--offset) would place the lines that name their message"
                            if summaries else ""))
        if asg.address is not None:
            stranger = _unknown_peers(index, asg.address, asg.peers, events, [], [], proof)
            if stranger is not None:
                clock.foreign = stranger
                forced = f", though --log gave it {asg.address}" if asg.how == "given" else ""
                clock.notes.append(f"{name}: the log does not belong to this capture ({stranger}){forced}")
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
    why = _foreign(events, kind, anchors, chosen, index, endpoint, asg.peers, est, delay, timed=given is None,
                   proof=proof)
    if why is not None:
        clock.address = endpoint
        clock.foreign = why
        forced = f", though --log gave it {endpoint}" if asg.how == "given" else ""
        if why.startswith(_TWO_ROUTERS):   # the capture's log, twice over: it is not another session's
            clock.notes.append(f"{name}: {why}: no packet line matched")
        else:
            clock.notes.append(f"{name}: the log does not belong to this capture ({why}){forced}: no packet line "
                               "matched")
        return clock, [], anchors
    far = _implausible_clock(anchors, kind, est, "is") if given is None else None
    if far is not None:   # accepted on evidence of its own: the router's clock is wrong, not the log
        tie = _evidence(events, anchors, chosen, index, endpoint, proof)
        notes.append(f"{far}: the router's clock is wrong, not the log (the capture has its {tie})")
    if given is not None and kind != "none":
        checked, clock.estimate_matched = _given_offset_check(name, anchors, index, endpoint, float(given), chosen,
                                                               delay)
        notes.extend(checked)
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


def _foreign(events: Sequence[Event], kind: str, anchors, chosen, index: match.PacketIndex, endpoint: str,
             named: Sequence[str], est, delay: float, timed: bool = True, proof: _Proof | None = None) -> str | None:
    """Why the log speaks of other exchanges than the capture's, or None (then it is matched as found).

    ``named`` are the peer addresses the log names; the capture's packets that count are those between
    ``endpoint`` and those peers (all its partners when the capture shows none of them).

    * the log speaks one IKE version and the capture's packets between them are all of the other;
    * none of its packet lines fits any of those packets;
    * the pairs need a clock drift beyond :data:`MAX_DRIFT` (no real clock runs that far off);
    * the log states random (IKEv1) message IDs (for its packets, or on any line of its peers or of no
      peer within ``delay`` of a packet line that fits: IOS ``deleting node N``), not one of them is on a
      packet to or from its endpoint, and at the moments it states them the capture shows others
      (:func:`_foreign_mids`);
    * at most :data:`FEW` packet lines fit, what contradicts them (:func:`_contradictions`) is more than
      twice as many, and both kinds are there: a packet the log received while the capture ran that is
      not on the wire (a capture on the path shows every packet that reached the router; a lossy capture
      loses some, and then every packet it kept is one the log mentions), and a packet between the
      endpoint and its peers while the log ran that it never mentions (a log records every packet of its
      peers' exchanges; an excerpt may leave some out, but then its received packets are on the wire);
    * the peers it names are endpoints of the capture, and none of them exchanges IKE with ``endpoint``
      (``--log`` gave the log an endpoint of another tunnel);
    * the facts of its lines contradict the packets they matched (:func:`_contradicted`): the exchange
      mode, the ports, the ISAKMP policy it accepted;
    * the peers it names are none of ``endpoint``'s peers in the capture, and nothing of its own ties it to
      the capture (:func:`_unknown_peers`, :func:`_evidence`): a peer behind a NAT is not in the capture
      under the address the log gives, but then the log's message IDs, cookies, SPIs or byte counts are;
    * its stamps carry their year and its clock would be more than :data:`IMPLAUSIBLE_OFFSET` off the
      capture's, with no such evidence of its own (a router with its clock unset still shows the
      capture's message IDs).

    Without ``timed`` (the offset was given, not estimated) only what holds at any offset is judged:
    the peers, the IKE version and the facts of the matched lines."""
    proof = proof or _Proof(set(), set())
    stranger = _stranger_peers(index, endpoint, named, anchors)
    if stranger is not None:
        return stranger
    theirs = _their_packets(index, endpoint, named)
    if not theirs:
        return _unknown_peers(index, endpoint, named, events, anchors, chosen, proof)
    clash = _version_clash(anchors, [index.wire[j] for j in theirs])
    if clash is not None:
        return clash
    facts = _contradicted(events, anchors, chosen, index, theirs)
    if facts is not None:
        return facts
    unknown = _unknown_peers(index, endpoint, named, events, anchors, chosen, proof)
    if unknown is not None:
        return unknown
    if not timed:
        return None
    if not chosen:
        return (f"none of its {len(anchors)} packet line{'s' if len(anchors) != 1 else ''} fits any of the "
                f"{len(theirs)} packets between {endpoint} and its peers")
    if est is not None and abs(est.drift) > MAX_DRIFT:
        return f"its clock would drift {est.drift * 1e6:+.0f} ppm against the capture's"
    if est is None:
        return None
    far = _implausible_clock(anchors, kind, est)
    if far is not None and _evidence(events, anchors, chosen, index, endpoint, proof) is None:
        return f"{far}, and nothing of its own ({_EVIDENCE_KINDS}) ties it to the capture"
    foreign_mids = _foreign_mids(_stated_mids(events, kind, anchors, chosen, index, est, delay), index, endpoint)
    if foreign_mids is not None:
        return foreign_mids
    matched = sum(1 for ed in chosen if anchors[ed.a].copy_of is None)
    missing, unlogged = _contradictions(anchors, chosen, index, theirs, est)
    against = (f"{missing} packet{'s' if missing != 1 else ''} it received while the capture ran "
               f"{'is' if missing == 1 else 'are'} not on the wire, and it never mentions {unlogged} of the "
               f"packets between {endpoint} and its peers while it ran")
    if missing and unlogged and matched <= FEW and missing + unlogged > 2 * matched:
        return f"only {matched} of its packet lines fit{'s' if matched == 1 else ''} a packet; {against}"
    return None


def _stranger_peers(index: match.PacketIndex, endpoint: str, named: Sequence[str], anchors) -> str | None:
    """A note when the log's packet lines name ``endpoint`` itself as their peer (``--log`` gave it the
    address of its peer; when others name ``endpoint``'s own peer, the file holds both routers' lines and
    :mod:`correlate.split` could not split it), or when peers the log names are IKE endpoints of the capture
    and none of them talks to ``endpoint``.  Peers the capture does not show at all are judged by
    :func:`_unknown_peers`."""
    itself = sum(1 for a in anchors if a.event.peer == endpoint)
    partners = index.partners.get(endpoint, set())
    if itself:
        others = sorted({a.event.peer for a in anchors if a.event.peer in partners})
        if others:   # both ends' packet lines: two routers' debug in one file (correlate.split could not split it)
            return (f"{_TWO_ROUTERS}: {itself} of its packet lines name {endpoint} "
                    f"as their peer, {sum(1 for a in anchors if a.event.peer in others)} name "
                    f"{', '.join(others[:2])}; one log per router is needed")
        return (f"{itself} of its packet lines name {endpoint} as their peer: it speaks for the other end")
    shown = [p for p in named if p in index.partners and p != endpoint]
    if not shown or any(p in partners for p in named):
        return None
    many = len(shown) != 1
    return (f"the peer{'s' if many else ''} it names ({', '.join(shown[:3])}) {'are' if many else 'is'} in the "
            f"capture, but never exchange{'' if many else 's'} IKE with {endpoint}")


#: how a refusal of a file that holds both routers' lines begins
_TWO_ROUTERS = "it holds two routers' lines and cannot be split"
#: what :func:`_evidence` looks for, as the notes name it
_EVIDENCE_KINDS = "a message ID, byte counts, a cookie or an SPI of the capture"


def _unknown_peers(index: match.PacketIndex, endpoint: str, named: Sequence[str], events: Sequence[Event], anchors,
                   chosen, proof: _Proof) -> str | None:
    """A note when the log names peers and none of them is a peer of ``endpoint`` in the capture, and
    nothing of its own ties it to the capture (:func:`_evidence`); None otherwise (a log that names no
    peer says nothing here)."""
    peers = [p for p in named if p != endpoint]
    partners = index.partners.get(endpoint, set())
    if not peers or any(p in partners for p in peers):
        return None
    if _evidence(events, anchors, chosen, index, endpoint, proof) is not None:
        return None
    many = len(peers) != 1
    theirs = ", ".join(sorted(partners)[:3]) if partners else "it has none"
    return (f"the peer{'s' if many else ''} it names ({', '.join(peers[:3])}) {'are' if many else 'is'} none of "
            f"{endpoint}'s peers in the capture ({theirs}), and nothing of its own ({_EVIDENCE_KINDS}) ties it "
            "to the capture")


def _evidence(events: Sequence[Event], anchors, chosen, index: match.PacketIndex, endpoint: str,
              proof: _Proof) -> str | None:
    """What ties the log to the capture whatever addresses it names, or None: a random (IKEv1) message ID
    it states that is on a packet to or from ``endpoint``, an ISAKMP cookie or ESP SPI of the capture, or
    at least :data:`SIZE_EVIDENCE` matched packet lines (half of its own, at least) whose byte count is
    their packet's."""
    wire_mids = {w.message_id for w in index.wire if endpoint in (w.src, w.dst) and w.message_id >= RANDOM_MID}
    said = {e.message_id & 0xFFFFFFFF for e in events if e.message_id is not None} & wire_mids
    if said:
        return f"message ID ({_mid_text(min(said))})"
    cookies = _named_cookies(events) & proof.cookies
    if cookies:
        return f"cookie ({min(cookies)})"
    spis_ = _named_spis(events) & proof.spis
    if spis_:
        return f"SPI (0x{min(spis_):08x})"
    lines = sum(1 for a in anchors if a.copy_of is None)
    sized = sum(1 for ed in chosen if anchors[ed.a].copy_of is None and anchors[ed.a].event.bytes is not None
                and anchors[ed.a].event.bytes in (index.wire[ed.p].length, index.wire[ed.p].size))
    if sized >= SIZE_EVIDENCE and 2 * sized >= lines:
        return f"byte counts ({sized} packet lines)"
    return None


def _implausible_clock(anchors, kind: str, est, verb: str = "would be") -> str | None:
    """A note when most stamped packet lines write their year and the offset is beyond
    :data:`IMPLAUSIBLE_OFFSET` (a clock with a year is not months off by a time zone or a missing year)."""
    if kind != "wall" or est is None or abs(est.offset) <= IMPLAUSIBLE_OFFSET:
        return None
    year = offset.year_written(a.event.record for a in anchors)
    if year is None:
        return None
    days = abs(est.offset) / 86400
    return (f"its stamps carry their year ({year}), and its clock "
            f"{verb} {days:.0f} days {'ahead of' if est.offset > 0 else 'behind'} the capture's")


#: IKEv1 phase 1 exchange types and their names (RFC 2409 section 5)
_MODES = {2: "Main Mode", 4: "Aggressive Mode"}


def _line_modes(a: blocks.Anchor) -> set[int]:
    """The phase 1 exchange modes (2, 4) a packet line's own state or exchange allows; empty when it says none."""
    said = a.exchanges if a.exchanges is not None else a.derived_exchanges
    return set(said or ()) & set(_MODES)


def _ports_differ(a: blocks.Anchor, w: match.WirePacket) -> bool:
    """The line states both ports and the packet carries neither where it says (a NAT rewrites one side)."""
    e = a.event
    sport, dport = (e.local_port, e.peer_port) if a.out else (e.peer_port, e.local_port)
    return (sport is not None and dport is not None and w.sport is not None and w.dport is not None
            and w.sport != sport and w.dport != dport)


def _policy_text(p: tuple[int | None, ...]) -> str:
    """(encryption, key length, hash, group) in IOS words: ``AES-CBC-256 SHA group 14``."""
    enc, bits, hash_, group = p
    names = [(registry.IKE_ATTRIBUTES[1].values or {}).get(enc, str(enc)) if enc is not None else "?"]
    if bits:
        names[0] += f"-{bits}"
    if hash_ is not None:
        names.append((registry.IKE_ATTRIBUTES[2].values or {}).get(hash_, str(hash_)))
    if group is not None:
        names.append(f"group {group}")
    return " ".join(names)


def _agree(mine: tuple[int | None, ...], wire: tuple[int | None, ...]) -> bool:
    """Two policies agree on every attribute both know."""
    return all(x is None or y is None or x == y for x, y in zip(mine, wire))


def _contradicted(events: Sequence[Event], anchors, chosen, index: match.PacketIndex,
                  theirs: Sequence[int]) -> str | None:
    """A note when what the log's lines say contradicts the capture:

    * more than half of the matched packet lines (at least one) name a phase 1 exchange mode (an IOS
      ``MM_`` state, an exchange) other than their packet's, or state both ports and their packet
      carries neither (a NAT rewrites the ports of one side only);
    * the ISAKMP policies it accepted (IOS ``atts are acceptable``, charon's selected proposal) agree
      with none of the phase 1 transforms that the capture's readable SA payloads between its endpoint
      and its peers carry, where it shows some."""
    mode = ports = 0
    example = ""
    for ed in chosen:
        a, w = anchors[ed.a], index.wire[ed.p]
        modes = _line_modes(a)
        if w.exchange in _MODES and modes and w.exchange not in modes:
            mode += 1
            example = example or (f"line {a.event.record.line} is {_MODES[min(modes)]}, its packet (frame "
                                  f"{w.frame}) {_MODES[w.exchange]}")
        elif _ports_differ(a, w):
            ports += 1
            example = example or (f"line {a.event.record.line} names ports {a.event.local_port}/"
                                  f"{a.event.peer_port}, its packet (frame {w.frame}) {w.sport} -> {w.dport}")
    if chosen and 2 * (mode + ports) > len(chosen):
        what = " and ".join(x for x, n in (("exchange mode", mode), ("ports", ports)) if n)
        return (f"{mode + ports} of its {len(chosen)} matched packet lines contradict their packets' {what} "
                f"({example})")
    wire = {p for j in theirs for p in index.wire[j].policies}
    accepted = {(p.encryption, p.key_length, p.hash, p.group) for p in policy.policies_from_events(events)
                if p.chosen} | policy.libreswan_policies(events)
    if wire and accepted and not any(_agree(m, w) for m in accepted for w in wire):
        return (f"the ISAKMP policy it accepted ({'; '.join(sorted(map(_policy_text, accepted))[:2])}) is in "
                f"none of the capture's SA payloads between its endpoint and its peers "
                f"({'; '.join(sorted(map(_policy_text, wire))[:2])})")
    return None


def _given_offset_check(name: str, anchors, index: match.PacketIndex, endpoint: str, given: float, chosen,
                        delay: float) -> tuple[list[str], int | None]:
    """(a note, the packet lines the log's own estimate matches) when the offset given matches fewer than
    half of the log's packet lines (pasted copies aside): the note names the estimate (computed anyway), how
    many lines it matches, and the option that gives it; ([], None) otherwise."""
    lines = sum(1 for a in anchors if a.copy_of is None)
    got = sum(1 for ed in chosen if anchors[ed.a].copy_of is None)
    if 2 * got >= lines:
        return [], None
    aside = " (pasted copies aside)" if lines < len(anchors) else ""
    head = f"the offset given ({offset.duration_text(given)}) matches only {got} of its {lines} packet lines{aside}"
    est, found, _notes = _correlate(anchors, index, endpoint, None, delay)
    better = sum(1 for ed in found if anchors[ed.a].copy_of is None)
    if est is None or better <= got:
        return [f"{head}; no estimate matches more"], better
    est_text = offset.duration_text(est.offset)
    return [f"{head}; the estimate, {est_text} ± {est.uncertainty * 1000:.1f} ms, matches {better} "
            f"(--offset={name}={est_text})"], better


def _mid_text(mid: int) -> str:
    """A message ID as logs write it (decimal) and as the wire shows it (hex)."""
    return f"{mid} = 0x{mid:08X}"


def _on_capture_clock(est, t: float) -> float:
    """A log time (s) on the capture's clock under the estimate ``est`` (its offset and drift)."""
    return t - est.at(t - est.offset)


def _stated_mids(events: Sequence[Event], kind: str, anchors, chosen, index: match.PacketIndex, est,
                 delay: float) -> Iterator[tuple[int, float, float]]:
    """(message ID as uint32, capture time in s, the stamp's resolution in s) of the random message IDs the
    log states: its stamped packet lines' first, then those on lines of its peers (or of no peer) within
    ``delay`` seconds of a packet line that fits a packet; times on the capture's clock under ``est``."""
    for a in anchors:
        if a.mid is not None and (a.mid & 0xFFFFFFFF) >= RANDOM_MID and a.time is not None:
            yield a.mid & 0xFFFFFFFF, _on_capture_clock(est, a.time), a.res
    fits = sorted(index.wire[ed.p].time for ed in chosen if anchors[ed.a].time is not None)
    if not fits:
        return
    partners = index.partners
    for e in events:
        mid = e.message_id
        if mid is None or (mid & 0xFFFFFFFF) < RANDOM_MID or (e.peer is not None and e.peer not in partners):
            continue
        t = offset.event_seconds(e.record, kind)
        if t is None:
            continue
        t = _on_capture_clock(est, t)
        k = bisect.bisect_left(fits, t - delay)
        if k < len(fits) and fits[k] <= t + delay:
            yield mid & 0xFFFFFFFF, t, offset.resolution(e.record)


def _foreign_mids(stated: Iterable[tuple[int, float, float]], index: match.PacketIndex, endpoint: str) -> str | None:
    """A note when none of the random message IDs the log states (:func:`_stated_mids`) is on any packet
    to or from ``endpoint`` in the capture, while the capture shows such packets with other message IDs
    within :data:`MIN_DELAY` (and the stamp's resolution) of a line that states one: at that moment the
    log and the capture speak of different messages.  A capture that lost the log's messages shows
    nothing there, and says nothing.  Stops at the first message ID the capture has (a log of the
    capture states its own at once)."""
    wire = sorted((w.time, w.message_id) for w in index.wire
                  if endpoint in (w.src, w.dst) and w.message_id >= RANDOM_MID)
    known = {m for _t, m in wire}
    times = [t for t, _m in wire]
    said: set[int] = set()
    near: set[int] = set()
    for m, t, res in stated:
        if m in known:
            return None
        said.add(m)
        i0 = bisect.bisect_left(times, t - MIN_DELAY - res)
        i1 = bisect.bisect_right(times, t + MIN_DELAY + res)
        near.update(m2 for _t, m2 in wire[i0:min(i1, i0 + 8)])
    if not near:
        return None
    which = (f"the message ID it states ({_mid_text(next(iter(said)))}) is not" if len(said) == 1
             else f"none of the {len(said)} message IDs it states is")
    return (f"{which} on any packet to or from {endpoint}, yet at the moments it states them the capture shows "
            f"{len(near)} other{'s' if len(near) != 1 else ''} ({', '.join(_mid_text(m) for m in sorted(near)[:3])})")


#: wire exchange types of IKEv1 (RFC 2408 section 4, RFC 2409 section 5) and of IKEv2 (RFC 7296 section 3.1)
_V1_EXCHANGES = frozenset({1, 2, 3, 4, 5, 6, 32, 33})
_V2_EXCHANGES = frozenset(range(34, 46))


def _their_packets(index: match.PacketIndex, endpoint: str, named: Sequence[str]) -> list[int]:
    """Positions in ``index.wire`` of the packets between ``endpoint`` and the peers the log names (all
    of the endpoint's partners when the capture shows none of those peers)."""
    partners = index.partners.get(endpoint, set())
    peers = {p for p in named if p in partners} or partners
    return [j for j, w in enumerate(index.wire)
            if (w.src == endpoint and w.dst in peers) or (w.dst == endpoint and w.src in peers)]


def _log_version(a: blocks.Anchor) -> int | None:
    """The IKE version (1 or 2) a packet line speaks, from its facility or its exchange, or None."""
    if a.event.facility.upper().startswith("IKEV2"):
        return 2
    exchanges = a.exchanges if a.exchanges is not None else a.derived_exchanges
    if exchanges:
        if exchanges <= _V2_EXCHANGES:
            return 2
        if exchanges <= _V1_EXCHANGES:
            return 1
    if a.event.record.family == "ios" and a.event.facility.upper() == "ISAKMP":
        return 1
    return None


def _version_clash(anchors, packets: Sequence[match.WirePacket]) -> str | None:
    """A note when every packet line that says its IKE version says one, and every packet of ``packets``
    is of the other."""
    said = {v for v in map(_log_version, anchors) if v is not None}
    wire = {w.version for w in packets}
    if len(said) != 1 or len(wire) != 1 or said == wire:
        return None
    return (f"it speaks IKEv{said.pop()}, and the capture's {len(packets)} packets between its endpoint "
            f"and its peers are IKEv{wire.pop()}")


def _contradictions(anchors, chosen, index: match.PacketIndex, theirs: Sequence[int], est) -> tuple[int, int]:
    """What the capture says against the log, under the estimated clock: (received packet lines, not
    copies, whose time falls between the capture's first and last ISAKMP packet and that got no
    packet; packets between the endpoint and its peers, between the log's first and last packet line,
    that no line took)."""
    if not index.wire:
        return 0, 0
    taken_a = {ed.a for ed in chosen}
    taken_p = {ed.p for ed in chosen}
    first = min(w.time for w in index.wire)
    last = max(w.time for w in index.wire)
    times = []
    missing = 0
    for k, a in enumerate(anchors):
        if a.time is None:
            continue
        t = _on_capture_clock(est, a.time)
        times.append(t)
        if not a.out and a.copy_of is None and k not in taken_a and first <= t <= last:
            missing += 1
    if not times:
        return missing, 0
    lo, hi = min(times), max(times)
    unlogged = sum(1 for j in theirs if j not in taken_p and lo <= index.wire[j].time <= hi)
    return missing, unlogged


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
        notes.append(f"offset given as {offset.clock_text(given)}; the matched packets suggest "
                     f"{offset.clock_text(est.offset, est.uncertainty)}")
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
    places = blocks.attach(events, anchors, mids, [frame_of.get(k) for k in range(len(anchors))])
    own = _summary_frames(events, places, frame_of, clock, index)
    attached = out.attached
    for i, (e, (k, how)) in enumerate(zip(events, places)):
        if own and i in own:
            frame = own[i]
            if frame is None:
                out.unattached.append(Attached(name, e, "its message fits no packet near its time"))
            else:
                attached.setdefault(frame, []).append(Attached(name, e, "message summary"))
            continue
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


#: seconds a daemon may take between a message's summary line and its packet (either way), beside the
#: stamps' resolution and the offset's uncertainty
SUMMARY_SLACK = 0.05


def _summary_frames(events: Sequence[Event], places: list[tuple[int | None, str]], frame_of: dict[int, int],
                    clock: LogClock, index: match.PacketIndex) -> dict[int, int | None]:
    """Event position -> frame, for the summary lines of messages (charon's ``generating QUICK_MODE response
    4257582409 [ HASH SA No ID ID ]``, ``parsed ...``: direction, exchange, message ID, payloads, and the role
    these give) that
    :func:`correlate.blocks.attach` left without a packet or put on one they contradict, because the packet
    lines around them are missing: the one packet of the log's endpoint that fits them (direction, message ID,
    exchange type, role, payloads when the capture shows them) within the stamps' resolution, the offset's
    uncertainty and :data:`SUMMARY_SLACK` of their time, the nearest when several do.  None for a line that
    contradicts the packet it was put on and fits none (after a wrong offset, say): it is placed nowhere
    rather than under a packet it contradicts.  Needs the log's offset."""
    endpoint = clock.address
    if endpoint is None or clock.offset is None:
        return {}
    wire = index.wire
    by_frame: dict[int, match.WirePacket] | None = None
    out: dict[int, int | None] = {}
    tol = clock.resolution + (clock.uncertainty or 0.0) + SUMMARY_SLACK
    capture_time = _capture_time(clock)
    for i, e in enumerate(events):
        if e.kind != "payload" or e.message_id is None or not e.exchange or e.direction not in ("in", "out"):
            continue
        if by_frame is None:
            by_frame = {w.frame: w for w in wire}
        role = logonly.role_of(e.exchange, e.detail.get("request"), e.payloads) \
            if e.detail.get("request") is not None else ""
        k = places[i][0]
        contradicted = False
        if k is not None:
            frame = frame_of.get(k)
            w = by_frame.get(frame) if frame is not None else None
            if w is not None and _summary_fits(e, role, w, endpoint):
                continue
            contradicted = w is not None
        t = capture_time(e)
        if t is None:
            if contradicted:
                out[i] = None
            continue
        best: list[tuple[float, int]] = []
        for far in index.partners.get(endpoint, ()):
            src, dst = (endpoint, far) if e.direction == "out" else (far, endpoint)
            for j in index.between(src, dst, t - tol, t + tol):
                w = wire[j]
                if _summary_fits(e, role, w, endpoint):
                    best.append((abs(w.time - t), w.frame))
        best.sort()
        if best and (len(best) == 1 or best[0][0] < best[1][0]):
            out[i] = best[0][1]
        elif contradicted:
            out[i] = None
    return out


def _summary_fits(e: Event, role: str, w: match.WirePacket, endpoint: str) -> bool:
    """Whether message summary ``e`` of the log at ``endpoint`` may describe packet ``w``; ``role``: the role
    its exchange, request/response and payloads give (:func:`correlate.logonly.role_of`: ``QM3`` for a
    Quick Mode request of HASH alone), or "" when they give none."""
    if (w.src == endpoint) != (e.direction == "out") or w.message_id != e.message_id:
        return False
    if e.direction == "out" and w.retransmission_of is not None:
        return False  # (a message is built once: a retransmission is sent again as it was, without its summary)
    if role and w.role and role[:2] in ("MM", "AM", "QM") and w.role.rstrip("?") != role:
        return False
    types = blocks.exchange_types(e.exchange)
    if types is not None and w.exchange not in types:
        return False
    if w.payloads is not None and e.payloads:
        names = blocks.canonical_payloads(e.payloads)
        if names is not None and names != w.payloads:
            return False
    return True


def _residual(clock: LogClock, a: blocks.Anchor, w: match.WirePacket) -> float | None:
    if a.time is None or clock.offset is None:
        return None
    t = clock.capture_time(a.time)
    return None if t is None else t - w.time
