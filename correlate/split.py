"""One log file that speaks for two endpoints, split into one log per endpoint.

Both gateways logging to one syslog server give one file with both peers' lines.  Each peer's lines
must be lined up on their own (each has its own clock, its own packet lines), so the file is split
before the alignment:

* by the syslog header's host name (:attr:`correlate.model.Record.host`) when the records with
  events carry two or more: each host's records and events become a log (records without a host name
  are left out, and counted);
* else by the local address of the packet lines (strongSwan ``sending packet: from LOCAL``,
  ``received packet: ... to LOCAL``; a line naming one endpoint as its peer is the other's), then by what
  each line says (:func:`_by_address`).  Both daemons reuse thread numbers and name their IKE_SA
  ``<lab|1>``, so a line that builds a message (``generating X request|response MID``) goes with the next
  sent packet line of its charon thread and IKE_SA tag (``detail["thread"]``, ``detail["conn"]``,
  ``conn_id``), one that parses a message with the last received one (:func:`_by_message`), and a message
  ID one endpoint builds the other parses.  Any other line goes with the lines of its thread and tag
  around it (then of its thread and IKE_SA ID alone: a responder's ``<1>`` becomes ``<lab|1>``), by
  :func:`_job` when those are of two endpoints; a ``state change: OLD => NEW`` with the endpoint whose
  SA is in state OLD (:func:`_by_state`); charon's per-packet ESP line (``parsed ESP header with SPI X``)
  and a kernel event of SPI X with the endpoint that allocated SPI X.  Lines none of these tells are left
  out of both parts, and counted; when more than one in :data:`TOO_MANY` of the lines that build or parse
  a message are among them, the file is not split: :func:`split_log` says why, and the alignment refuses
  the whole (:func:`correlate.align._foreign`);
* else, for IOS debug of both routers (``cat R1.log R2.log``, or both merged by stamp), whose packet lines
  name their peer only: by what each line says (:func:`_two_routers`, :func:`_by_peer`).  A packet line
  naming peer B is A's; a line naming its own address (``INBOUND local=``, ``local addr``) or the other's
  as its peer is that router's; a line naming neither goes with its conn-id when only one router's lines
  use it, else with the lines around it.  Both routers often number their ISAKMP SA alike (``(1011)``
  on both): then a line between the two routers' lines goes with the last received packet line before
  it when it processes a payload, with the next sent one when it builds one.  One that builds or parses a
  message and still cannot be told leaves the file whole, said to hold two routers' lines that cannot be
  split.

Pure functions over a :class:`correlate.model.LogResult`; records and line numbers stay the file's.
"""
from __future__ import annotations

import dataclasses
from collections import Counter
from dataclasses import dataclass, field

from .model import Event, LogResult
from .strongswan import LINK_WINDOW

__all__ = ["Split", "split_log", "own_addresses", "RANDOM_MID"]

#: a file is not split when more than one in this many of its lines that build or parse a message could be
#: either endpoint's (fewer are left out of both parts, and counted)
TOO_MANY = 20

#: message IDs at least this large are random (IKEv1 phase 2): one on lines of two peers ties them to one exchange
RANDOM_MID = 256


@dataclass
class Split:
    """What :func:`split_log` did with one log.

    ``parts``  one :class:`LogResult` per endpoint (named ``FILE[host]`` or ``FILE[address]``), or empty
               when the log was kept whole
    ``by``     "host", "address" or "peer" (IOS, :func:`_by_peer`) when split, "" when not
    ``note``   a one-line remark: how it was split and what was left out, or why it could not be ("" for a
               log of one endpoint)
    """
    parts: list[LogResult] = field(default_factory=list)
    by: str = ""
    note: str = ""


def own_addresses(events: list[Event]) -> Counter:
    """Local address -> number of packet lines (sent or received) that name it as the log's own."""
    return Counter(e.local for e in events if e.kind == "packet" and e.local)


def split_log(log: LogResult) -> Split:
    """The log split per endpoint when it speaks for two or more (module doc); a :class:`Split` with no
    parts when it speaks for one, or cannot be split reliably (then ``note`` says why)."""
    hosts = Counter(e.record.host for e in log.events if e.record.host)
    if len(hosts) >= 2:
        return _by_host(log, sorted(hosts, key=lambda h: min(e.record.line for e in log.events
                                                             if e.record.host == h)))
    locals_ = own_addresses(log.events)
    if len(locals_) >= 2:
        return _by_address(log, locals_)
    pair = _two_routers(log.events)
    if pair is not None:
        return _by_peer(log, pair)
    return Split()


def _part(log: LogResult, label: str, events: list[Event], lines: set[int] | None) -> LogResult:
    part = LogResult(f"{log.name}[{label}]")
    part.events = events
    part.records = [r for r in log.records if lines is None or r.line in lines]
    part.families = set(log.families)
    part.record_count = len(part.records) if log.records else 0
    return part


def _by_host(log: LogResult, hosts: list[str]) -> Split:
    parts = []
    for h in hosts:
        events = [e for e in log.events if e.record.host == h]
        part = _part(log, h, events, None)
        part.records = [r for r in log.records if r.host == h]
        part.record_count = len(part.records)
        parts.append(part)
    stray = sum(1 for e in log.events if not e.record.host)
    left = f"; {stray} event{'s' if stray != 1 else ''} of lines without a host name left out" if stray else ""
    return Split(parts, "host", f"{log.name}: the lines of {len(hosts)} hosts ({', '.join(hosts)}): split into "
                                f"one log per host, each lined up on its own{left}")


def _key(e: Event) -> tuple:
    """Charon thread and IKE_SA tag (``14[ENC] <lab|1>``); a line without the tag that names its IKE_SA
    (``IKE_SA lab[1] state change``) by that name."""
    name = e.detail.get("name") if "unique_id" in e.detail and e.detail.get("name") != "(unnamed)" else None
    return (e.detail.get("thread"), e.detail.get("conn") or name, e.conn_id)


def _side(e: Event, addresses: set[str]) -> str | None:
    """The endpoint whose line ``e`` is, when it names its own address (a packet line, the socket thread's
    copy of it, ``IKE_SA ... established between LOCAL...PEER``), or, of two endpoints, names the other as
    its peer (``initiating Main Mode IKE_SA lab[2] to PEER``)."""
    if e.local in addresses:
        return e.local
    if len(addresses) == 2 and e.peer in addresses and e.local is None:
        return next(a for a in addresses if a != e.peer)
    return None


def _nearest(events: list[Event], side: list[str | None], which, backward: bool,
             key=_key) -> list[tuple[str, Event] | None]:
    """Per position, the endpoint and event of the nearest line of the same ``key`` (:func:`_key`) before
    it (after it when ``backward``) whose endpoint is known and that ``which`` accepts; None where there is
    none.  Lines of known endpoint get None."""
    out: list[tuple[str, Event] | None] = [None] * len(events)
    last: dict[tuple, tuple[str, Event]] = {}
    order = range(len(events) - 1, -1, -1) if backward else range(len(events))
    for i in order:
        e = events[i]
        if side[i] is not None:
            if which(e):
                last[key(e)] = (side[i], e)
        else:
            out[i] = last.get(key(e))
    return out


def _job(e: Event, before: tuple[str, Event], after: tuple[str, Event]) -> str | None:
    """The endpoint of a line between lines of its key from two endpoints: the one within
    :data:`correlate.strongswan.LINK_WINDOW` seconds of it when the other is farther, else the one
    of its very stamp when the other is not, else None."""
    t = e.record.time
    tb, ta = before[1].record.time, after[1].record.time
    if t is None or tb is None or ta is None:
        return None
    db, da = abs((t - tb).total_seconds()), abs((ta - t).total_seconds())
    if db <= LINK_WINDOW < da:
        return before[0]
    if da <= LINK_WINDOW < db:
        return after[0]
    if (db == 0) != (da == 0):   # of the same stamp as one of them only (a burst of one thread's lines)
        return before[0] if db == 0 else after[0]
    return None


def _by_message(events: list[Event], side: list[str | None]) -> None:
    """Builds and parses of one message are of two endpoints: charon builds a message (``generating X
    request|response MID``) and then sends it in the same thread, so it goes with the next sent packet
    line of its key; it parses one (``parsed ...``) after receiving it, so with the last received packet
    line of its key.  A line neither tells goes with the other endpoint than the line that parses (builds)
    the same message (exchange, request or response, message ID), when that one's endpoint is known.
    Fills ``side`` in place."""
    sent = _nearest(events, side, lambda x: x.kind == "packet" and x.direction == "out", backward=True)
    got = _nearest(events, side, lambda x: x.kind == "packet" and x.direction == "in", backward=False)
    todo = []
    for i, e in enumerate(events):
        if side[i] is None and e.kind == "payload" and e.direction in ("in", "out"):
            near = sent[i] if e.direction == "out" else got[i]
            if near is not None:
                side[i] = near[0]
            else:
                todo.append(i)
    ends = {s for s in side if s is not None}
    if len(ends) != 2 or not todo:
        return
    seen: dict[tuple, set[str]] = {}
    for i, e in enumerate(events):
        if side[i] is not None and e.kind == "payload" and e.message_id is not None:
            seen.setdefault((_message(e), e.direction), set()).add(side[i])
    for i in todo:
        e = events[i]
        other = seen.get((_message(e), "in" if e.direction == "out" else "out"), set())
        if e.message_id is not None and len(other) == 1:
            side[i] = next(iter(ends - other))


def _change(e: Event) -> tuple[str, str] | None:
    """The old and new state of an IKE_SA or CHILD_SA ``state change: OLD => NEW`` line, else None."""
    head, sep, tail = e.record.text.partition("state change: ")
    old, arrow, new = tail.partition(" => ")
    return (old.strip(), new.strip()) if sep and arrow and e.detail.get("sa") else None


def _by_state(events: list[Event], side: list[str | None], lines: list[Event]) -> list[Event]:
    """Of ``lines`` (state changes the lines around them leave untold), those whose old state is the state
    the last change of that SA (``sa``, ``unique_id``) left on one endpoint only: their endpoint is set in
    ``side`` (in place), and they are returned."""
    wanted = {id(e) for e in lines if _change(e)}
    now: dict[tuple, dict[str, str]] = {}
    done = []
    for i, e in enumerate(events):
        change = _change(e)
        if change is None:
            continue
        sa = (e.detail.get("sa"), e.detail.get("unique_id"))
        if id(e) in wanted:
            on = {end for end, state in now.get(sa, {}).items() if state == change[0]}
            if len(on) == 1 and len(now.get(sa, {})) == 2:
                side[i] = on.pop()
                done.append(e)
        if side[i] is not None:
            now.setdefault(sa, {})[side[i]] = change[1]
    return done


def _message(e: Event) -> tuple:
    """An IKE message as its ``generating``/``parsed`` line names it: exchange, request or response, ID."""
    words = e.record.text.split()
    kind = next((w for w in words if w in ("request", "response")), None)
    return (e.detail.get("exchange"), kind, e.message_id)


def _id_key(e: Event) -> tuple:
    """Charon thread and IKE_SA ID alone: a responder's tag turns from ``<1>`` to ``<lab|1>`` once it has
    found the config."""
    return (e.detail.get("thread"), e.conn_id) if e.conn_id is not None else _key(e)


def _by_neighbours(events: list[Event], side: list[str | None], key) -> tuple[list[Event], list[Event]]:
    """Lines of unknown endpoint with the endpoint of the nearest lines of the same ``key`` before and after
    them when both (or the only one) are of one endpoint, else by :func:`_job`; set in ``side`` in place.
    Returns the lines with no such neighbour and those :func:`_job` cannot tell."""
    before = _nearest(events, side, lambda x: True, backward=False, key=key)
    after = _nearest(events, side, lambda x: True, backward=True, key=key)
    unknown: list[Event] = []
    doubtful: list[Event] = []
    for i, e in enumerate(events):
        if side[i] is not None:
            continue
        b, a = before[i], after[i]
        if b is None and a is None:
            unknown.append(e)
        elif b is None or a is None or a[0] == b[0]:
            side[i] = (b or a)[0]
        else:
            side[i] = _job(e, b, a)
            if side[i] is None:
                doubtful.append(e)
    return unknown, doubtful


def _by_address(log: LogResult, locals_: Counter) -> Split:
    """A charon file of two or more local addresses, split per address (module doc)."""
    addresses = [a for a, _n in locals_.most_common()]
    mine = set(addresses)
    events = log.events
    side: list[str | None] = [_side(e, mine) for e in events]
    _by_message(events, side)
    # by thread and IKE_SA tag, then by thread and IKE_SA ID alone for the lines the first leaves untold;
    # again once a state change has told some
    for key in (_key, _id_key):
        unknown, doubtful = _by_neighbours(events, side, key)
    if _by_state(events, side, doubtful + unknown):
        for key in (_key, _id_key):
            unknown, doubtful = _by_neighbours(events, side, key)
    # charon's per-packet ESP line (``parsed ESP header with SPI X``) and a kernel event of an inbound SA
    # (rekey, expire) whose endpoint the lines around it do not tell: the endpoint that allocated SPI X
    inbound = {e.spi: side[i] for i, e in enumerate(events) if e.detail.get("allocated") and side[i] is not None}
    for i, e in enumerate(events):
        if e.detail.get("esp") and e.spi in inbound:
            side[i] = inbound[e.spi]
    for group in (doubtful, unknown):
        for e in [e for e in group if e.spi in inbound]:
            group.remove(e)
            side[events.index(e)] = inbound[e.spi]
    telling = [e for e in doubtful + unknown if e.message_id is not None or e.payloads]
    messages = sum(1 for e in events if e.message_id is not None or e.payloads)
    if len(telling) * TOO_MANY > messages:
        first = min(telling, key=lambda e: e.record.line)
        return Split(note=f"{log.name}: its packet lines name {len(addresses)} local addresses "
                          f"({', '.join(addresses)}), but it cannot be split reliably per endpoint: "
                          f"{len(telling)} of its {messages} lines that build or parse a message could be either's "
                          f"(the first: line {first.record.line}; same thread and IKE_SA tag on both, and no host "
                          "name)")
    parts = []
    for addr in addresses:
        chosen = [e for e, s in zip(events, side) if s == addr]
        parts.append(_part(log, addr, chosen, {e.record.line for e in chosen}))
    dropped = len(doubtful) + len(unknown)
    left = (f"; {dropped} event{'s' if dropped != 1 else ''} that neither thread nor IKE_SA tag ties to one "
            "endpoint left out") if dropped else ""
    if telling:
        left += (f" ({len(telling)} of them {'builds or parses' if len(telling) == 1 else 'build or parse'} a "
                 f"message, the first on line {min(e.record.line for e in telling)})")
    return Split(parts, "address", f"{log.name}: its packet lines name {len(addresses)} local addresses "
                                   f"({', '.join(addresses)}): split into one log per address (by charon thread, "
                                   f"IKE_SA tag and the message each line builds or parses), each lined up on its "
                                   f"own{left}")


# --------------------------------------------------------------------------- IOS: two routers' debug in one file

def _two_routers(events: list[Event]) -> tuple[str, str] | None:
    """The two routers' addresses (A, B) when the packet lines name their peers only (IOS ``sending packet
    to PEER``) and name exactly two, A and B, and the file shows that A and B are the two ends of one
    session, not two peers of one hub: each is named as a local address somewhere (``INBOUND local=``,
    ``show crypto ipsec sa``'s ``local addr``), or one random (phase 2) message ID is on packet lines
    naming A and on packet lines naming B.  Else None."""
    packets = [e for e in events if e.kind == "packet" and e.peer]
    if not packets or any(e.local for e in packets):
        return None
    named = Counter(e.peer for e in packets)
    if len(named) != 2:
        return None
    a, b = sorted(named, key=lambda p: min(e.record.line for e in packets if e.peer == p))
    locals_ = {e.local for e in events if e.local}
    mids: dict[str, set[int]] = {a: set(), b: set()}
    for e in packets:
        if e.message_id is not None and (e.message_id & 0xFFFFFFFF) >= RANDOM_MID:
            mids[e.peer].add(e.message_id & 0xFFFFFFFF)
    if {a, b} <= locals_ or mids[a] & mids[b]:
        return a, b
    return None


def _ios_side(e: Event, other: dict[str, str]) -> str | None:
    """The router whose line ``e`` is, from the addresses it names: its own (``local``), else the other
    router's as its peer (a packet line, ``found peer pre-shared key matching PEER``)."""
    if e.local in other:
        return e.local
    if e.peer in other:
        return other[e.peer]
    return None


def _ios_job(e: Event, k: int, near: dict[str, list[str | None]]) -> str | None:
    """The router of a line between lines of the two routers: a payload it processes goes with the last
    received packet line before it, one it constructs with the next sent packet line after it (IOS
    processes a message right after receiving it, and builds one right before sending it); a filtered
    ``show crypto ipsec sa`` without an SPI with the show before it; any other line with the nearest tied
    line of the same stamp, when only one neighbour has it.  Else None.  ``near``: per position, the
    router of the last received packet line before it (``"in"``), of the next sent one after it
    (``"out"``), of the last show before it (``"show"``), and of the tied lines before and after it with
    its stamp (``"same_before"``, ``"same_after"``; None when of another stamp)."""
    if e.kind == "payload" and e.direction in ("in", "out"):
        return near[e.direction][k]
    if e.kind == "sa_status" and e.spi is None:   # a filtered show (``| i caps``): the flow shown before it
        return near["show"][k]
    same = {s for s in (near["same_before"][k], near["same_after"][k]) if s is not None}
    return same.pop() if len(same) == 1 else None


def _neighbours(events: list[Event], tied: list[str | None]) -> dict[str, list[str | None]]:
    """The ``near`` table of :func:`_ios_job`: one pass forward (the last received packet line, show
    output, and tied line of the same stamp before each line), one backward (the next sent packet line,
    and tied line of the same stamp after it)."""
    n = len(events)
    near: dict[str, list[str | None]] = {key: [None] * n for key in ("in", "out", "show", "same_before",
                                                                     "same_after")}
    _sweep(events, tied, range(n), "in", "same_before", near, show=True)
    _sweep(events, tied, range(n - 1, -1, -1), "out", "same_after", near)
    return near


def _sweep(events: list[Event], tied: list[str | None], order: range, direction: str, same: str,
           near: dict[str, list[str | None]], show: bool = False) -> None:
    """One pass of :func:`_neighbours` in ``order``: for each line, the side of the last tied packet line
    of ``direction`` passed (``near[direction]``), of the last show output (``show``: forward only), and
    of the last tied line when it has the same stamp (``near[same]``)."""
    packet = last_show = None
    last: tuple[str, str] | None = None
    for k in order:
        e = events[k]
        near[direction][k] = packet
        if show:
            near["show"][k] = last_show
        if last is not None and e.record.time_text and last[1] == e.record.time_text:
            near[same][k] = last[0]
        s = tied[k]
        if s is None:
            continue
        if e.kind == "packet" and e.direction == direction:
            packet = s
        if show and e.kind == "sa_status":
            last_show = s
        last = (s, e.record.time_text)


def _by_peer(log: LogResult, pair: tuple[str, str]) -> Split:
    """Two IOS routers' lines, split by what each line says (module doc of :func:`_two_routers`): its own
    address or its peer's; a line that names neither goes with its conn-id when only one router's lines
    use that conn-id, else with the lines around it when both neighbours are one router's
    (:func:`_ios_job` between the two).  A line that builds or parses a message and cannot be told makes
    the file unsplittable; other such lines (banners, show output) are left out, and counted.  Each part's
    packet lines carry its router's address as their own (``local``)."""
    a, b = pair
    other = {a: b, b: a}
    events = log.events
    side = [_ios_side(e, other) for e in events]
    conns: dict[int, set[str]] = {}
    for e, s in zip(events, side):
        if s is not None and e.conn_id:
            conns.setdefault(e.conn_id, set()).add(s)
    for k, e in enumerate(events):
        if side[k] is None and e.conn_id and len(conns.get(e.conn_id, ())) == 1:
            side[k] = next(iter(conns[e.conn_id]))
    tied = list(side)
    prev: list[str | None] = [None] * len(events)
    nxt: list[str | None] = [None] * len(events)
    last = None
    for k in range(len(events)):
        if tied[k] is not None:
            last = tied[k]
        prev[k] = last
    last = None
    for k in range(len(events) - 1, -1, -1):
        if tied[k] is not None:
            last = tied[k]
        nxt[k] = last
    unknown: list[Event] = []
    near = _neighbours(events, tied)
    for k, e in enumerate(events):
        if tied[k] is not None:
            continue
        p, n = prev[k], nxt[k]
        if p is None or n is None or p == n:
            side[k] = p or n
        else:
            side[k] = _ios_job(e, k, near)
        if side[k] is None:
            unknown.append(e)
    routers = f"{b} and {a}"   # each router by its own lines, the first to write first
    telling = [e for e in unknown if e.message_id is not None or e.payloads or e.kind == "payload"]
    if telling:
        first = min(telling, key=lambda e: e.record.line)
        return Split(note=f"{log.name}: holds two routers' lines ({routers}: its packet lines name each as the "
                          f"other's peer) and cannot be split: {len(telling)} line{'s' if len(telling) != 1 else ''} "
                          f"that build or parse a message could be either's (the first: line {first.record.line}; "
                          "one conn-id on both, no host name); give each router's log on its own")
    parts = []
    for addr in (b, a):   # the router that names A as its peer is B: the first named peer's router last
        chosen = [dataclasses.replace(e, local=addr) if e.kind == "packet" and e.local is None else e
                  for e, s in zip(events, side) if s == addr]
        parts.append(_part(log, addr, chosen, {e.record.line for e in chosen}))
    left = (f"; {len(unknown)} event{'s' if len(unknown) != 1 else ''} that no address, conn-id or neighbour "
            "ties to one router left out") if unknown else ""
    return Split(parts, "peer", f"{log.name}: holds two routers' lines ({routers}: its packet lines name each as "
                                f"the other's peer): split into one log per router (by the addresses, conn-id "
                                f"and neighbours of each line), each lined up on its own{left}")
