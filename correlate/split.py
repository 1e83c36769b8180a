"""One log file that speaks for two endpoints, split into one log per endpoint.

Both gateways logging to one syslog server give one file with both peers' lines.  Each peer's lines
must be lined up on their own (each has its own clock, its own packet lines), so the file is split
before the alignment:

* by the syslog header's host name (:attr:`correlate.model.Record.host`) when the records with
  events carry two or more: each host's records and events become a log (records without a host name
  are left out, and counted);
* else by the local address of the packet lines (strongSwan ``sending packet: from LOCAL``,
  ``received packet: ... to LOCAL``): a line that states no address goes with the packet lines of its
  charon thread and IKE_SA tag (``14[ENC] <lab|1>``: ``detail["thread"]``, ``detail["conn"]``,
  ``conn_id``) before and after it.  Two daemons may both use thread 14 and both name their IKE_SA
  ``lab[1]``: a line whose nearest packet lines of that key, before and after it, are of different
  endpoints goes with the one its job implies (:func:`_job`), else it cannot be told, nor can one whose
  key has no packet line; charon's per-packet ESP line (``parsed ESP header with SPI X [seq N]``)
  goes with the endpoint that allocated SPI X.  When such a line builds or parses
  a message (a message ID, a payload list), the file is not split: :func:`split_log` says why, and the
  alignment refuses the whole (:func:`correlate.align._foreign`); other such lines (daemon start-up,
  plugin loading) are left out, and counted.

Pure functions over a :class:`correlate.model.LogResult`; records and line numbers stay the file's.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from .model import Event, LogResult
from .strongswan import LINK_WINDOW

__all__ = ["Split", "split_log", "own_addresses"]


@dataclass
class Split:
    """What :func:`split_log` did with one log.

    ``parts``  one :class:`LogResult` per endpoint (named ``FILE[host]`` or ``FILE[address]``), or empty
               when the log was kept whole
    ``by``     "host" or "address" when split, "" when not
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
    if len(locals_) < 2:
        return Split()
    return _by_address(log, locals_)


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
    return (e.detail.get("thread"), e.detail.get("conn"), e.conn_id)


def _side(e: Event, addresses: set[str]) -> str | None:
    """The endpoint whose line ``e`` is, when it names its own address (a packet line, the socket thread's
    copy of it, ``IKE_SA ... established between LOCAL...PEER``)."""
    return e.local if e.local in addresses else None


def _job(e: Event, before: tuple[str, Event], after: tuple[str, Event]) -> str | None:
    """The endpoint of a line between packet lines of its key from two endpoints: charon builds a message
    and then sends it in the same thread (a ``generating`` line goes with the packet line after it), and
    parses one after receiving it (a ``parsed`` line, with the one before); any other line goes with the
    packet line within :data:`correlate.strongswan.LINK_WINDOW` seconds of it when the other is farther."""
    if e.kind == "payload" and e.direction == "out":
        return after[0]
    if e.kind == "payload" and e.direction == "in":
        return before[0]
    t = e.record.time
    tb, ta = before[1].record.time, after[1].record.time
    if t is None or tb is None or ta is None:
        return None
    db, da = abs((t - tb).total_seconds()), abs((ta - t).total_seconds())
    if db <= LINK_WINDOW < da:
        return before[0]
    if da <= LINK_WINDOW < db:
        return after[0]
    return None


def _by_address(log: LogResult, locals_: Counter) -> Split:
    addresses = [a for a, _n in locals_.most_common()]
    mine = set(addresses)
    events = log.events
    side: list[str | None] = [_side(e, mine) for e in events]
    before: list[tuple[str, Event] | None] = [None] * len(events)
    after: list[tuple[str, Event] | None] = [None] * len(events)
    last: dict[tuple, tuple[str, Event]] = {}
    for i, e in enumerate(events):
        k = _key(e)
        if side[i] is not None:
            last[k] = (side[i], e)
        else:
            before[i] = last.get(k)
    last = {}
    for i in range(len(events) - 1, -1, -1):
        k = _key(events[i])
        if side[i] is not None:
            last[k] = (side[i], events[i])
        else:
            after[i] = last.get(k)
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
    inbound = {e.spi: side[i] for i, e in enumerate(events) if e.detail.get("allocated") and side[i] is not None}
    for group in (doubtful, unknown):   # charon's per-packet ESP line: the side that allocated the SPI received it
        for e in [e for e in group if e.detail.get("esp") and e.spi in inbound]:
            group.remove(e)
            side[events.index(e)] = inbound[e.spi]
    telling = [e for e in doubtful + unknown if e.message_id is not None or e.payloads]
    if telling:
        first = min(telling, key=lambda e: e.record.line)
        return Split(note=f"{log.name}: its packet lines name {len(addresses)} local addresses "
                          f"({', '.join(addresses)}), but it cannot be split reliably per endpoint: "
                          f"{len(telling)} line{'s' if len(telling) != 1 else ''} that build or parse a message "
                          f"could be either's (the first: line {first.record.line}; same thread and IKE_SA tag "
                          "on both, and no host name)")
    parts = []
    for addr in addresses:
        chosen = [e for e, s in zip(events, side) if s == addr]
        parts.append(_part(log, addr, chosen, {e.record.line for e in chosen}))
    dropped = len(doubtful) + len(unknown)
    left = (f"; {dropped} event{'s' if dropped != 1 else ''} that neither thread nor IKE_SA tag ties to one "
            "endpoint left out") if dropped else ""
    return Split(parts, "address", f"{log.name}: its packet lines name {len(addresses)} local addresses "
                                   f"({', '.join(addresses)}): split into one log per address (by charon thread "
                                   f"and IKE_SA tag), each lined up on its own{left}")
