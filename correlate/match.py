"""Packet events of a log to the ISAKMP packets of a capture: one to one.

Given the capture endpoint a log speaks for (:mod:`correlate.peers`) and its
anchors (:mod:`correlate.blocks`), every anchor gets at most one packet and
every packet at most one anchor of that log.

An anchor and a packet can be paired (an *edge*) only when the hard facts agree:

* direction and endpoints: a sent packet leaves the log's endpoint for the
  peer the line names, a received one arrives from it.  A peer address the
  capture does not show (a NAT between) leaves the far end open; ports must
  agree when the capture has a flow with those ports, else they are open too;
* the byte count, where the log gives one (strongSwan: the IKE message, ASA
  ``total length``), equals the ISAKMP length;
* the message ID and the exchange, where the line itself says them (decimal
  or signed in the log, uint32 here; hex on the wire is the same number);
* the message ID the line that processed or built the packet names (charon's
  ``parsed QUICK_MODE request 2027784112``, IOS ``message ID = -1234``): a
  match never contradicts a message ID the log states; where lines of the
  packet line's stamp and thread name several (:attr:`Anchor.mids`), any of
  them;
* the role (MM1..QM3) an IOS packet line's state and transition allow;
* the time: the packet lies in the window the offset allows (a sent packet
  after its stamp, a received one before it, by at most ``delay`` seconds,
  widened by the offset's uncertainty and the stamp's resolution).  An anchor
  without a stamp takes the window between its stamped neighbours.

Soft facts only weigh: the exchange and payloads of the line that processed or
built the packet, an IOS state's phase, an IKEv2 request flag.

Edges form small connected components (a retransmitted message and its copies,
a few messages of the same size at once).  Each component is solved exactly
when one side has at most :data:`EXACT` members and the other at most four
times that (most matches, then the best soft score, then the smallest time
residuals, then the fewest crossings), else as the best order-preserving
matching (a weighted longest chain, O(E log E)).
So retransmissions go to their copies in order, while two messages a daemon
logged in the other order than the wire shows (charon's worker threads) can
still cross when the facts say so.

:func:`proposals` gives the (d, anchor) pairs for the offset vote
(:func:`correlate.offset.vote`), from the packets with the same hard facts,
ignoring time.
"""
from __future__ import annotations

import bisect
import random
from collections.abc import Sequence
from dataclasses import dataclass

from .blocks import ROLES, Anchor, canonical_payloads
from .policy import policy_of

__all__ = ["WirePacket", "wire_packet", "phase1_policies", "PacketIndex", "Edge", "edges", "solve", "proposals",
           "EXACT"]

#: a component is solved exactly when one of its sides has at most this many members
EXACT = 10
#: weights of the matching objective: a match, a soft point, a second of residual
_W_MATCH, _W_SOFT = 1e6, 1e3


@dataclass(slots=True)
class WirePacket:
    """What matching needs of one ISAKMP packet (the capture's :class:`dissect.model.Packet` is not kept).

    ``length`` is the ISAKMP header's length, ``size`` the bytes of the message as carried (the UDP
    payload after a non-ESP marker); ``exchange`` the exchange type number; ``response`` the IKEv2 R
    flag (None for IKEv1); ``payloads`` the canonical payload names when the payloads are readable
    (cleartext or decrypted), else None; ``retransmission_of`` the first copy's frame; ``policies`` the
    phase 1 transforms its SA payload carries (:func:`phase1_policies`)."""
    frame: int
    time: float
    src: str
    dst: str
    sport: int | None
    dport: int | None
    length: int
    size: int
    message_id: int
    exchange: int
    version: int
    response: bool | None
    payloads: tuple[str, ...] | None
    retransmission_of: int | None
    role: str
    policies: tuple[tuple[int | None, ...], ...] = ()


#: IKEv1 exchanges whose SA payload offers or picks the ISAKMP policy: Main, Aggressive Mode (RFC 2409 section 5)
_PHASE1 = frozenset({2, 4})


def phase1_policies(msg) -> tuple[tuple[int | None, ...], ...]:
    """(encryption, key length in bits, hash, group) of each phase 1 transform a readable IKEv1 Main or
    Aggressive Mode SA payload carries (RFC 2409 Appendix A values; None where not sent), else ()."""
    h = msg.header
    if h.major != 1 or h.exchange_type not in _PHASE1 or (msg.encrypted and not msg.decrypted):
        return ()
    out = []
    for p in msg.payloads or ():
        for prop in getattr(p, "proposals", None) or ():
            for t in prop.transforms:
                if t.protocol_id == 1:
                    pol = policy_of(t)
                    out.append((pol.encryption, pol.key_length, pol.hash, pol.group))
    return tuple(out)


def wire_packet(pkt) -> WirePacket | None:
    """The :class:`WirePacket` of a :class:`dissect.model.Packet` carrying an ISAKMP message with a header,
    else None."""
    msg = pkt.isakmp
    if msg is None or msg.header is None:
        return None
    h = msg.header
    d = pkt.datagram
    readable = (not msg.encrypted) or msg.decrypted
    names = canonical_payloads(msg.payload_types) if readable and msg.payloads else None
    return WirePacket(d.frame, d.time, d.src, d.dst, d.sport, d.dport, h.length, len(d.payload), h.message_id,
                      h.exchange_type, h.major, bool(h.flags & 0x20) if h.major == 2 else None, names,
                      msg.retransmission_of, msg.role, phase1_policies(msg))


class PacketIndex:
    """The ISAKMP packets of a capture, by (src, dst) in time order, with the flows (src, sport, dst, dport)
    seen and who talks to whom."""

    def __init__(self, wire: Sequence[WirePacket]):
        self.wire = list(wire)
        self.groups: dict[tuple[str, str], tuple[list[float], list[int]]] = {}
        self.flows: set[tuple[str, int | None, str, int | None]] = set()
        self.partners: dict[str, set[str]] = {}
        order = sorted(range(len(self.wire)), key=lambda j: (self.wire[j].time, self.wire[j].frame))
        for j in order:
            w = self.wire[j]
            times, ids = self.groups.setdefault((w.src, w.dst), ([], []))
            times.append(w.time)
            ids.append(j)
            self.flows.add((w.src, w.sport, w.dst, w.dport))
            self.partners.setdefault(w.src, set()).add(w.dst)
            self.partners.setdefault(w.dst, set()).add(w.src)
        self.rank = {j: r for r, j in enumerate(order)}
        self._keyed: dict[tuple, dict[tuple, list[int]]] = {}

    def pairs_for(self, a: Anchor, endpoint: str) -> list[tuple[str, str]]:
        """The (src, dst) groups an anchor of the log at ``endpoint`` may have travelled in."""
        e = a.event
        partners = self.partners.get(endpoint, set())
        if e.peer in partners:
            far = [e.peer]
        elif e.peer is None or e.peer not in self.partners:   # not said, or not in the capture (a NAT between)
            far = sorted(partners)
        else:
            far = []
        return [(endpoint, p) if a.out else (p, endpoint) for p in far]

    def ports_for(self, a: Anchor, src: str, dst: str) -> tuple[int | None, int | None]:
        """The (sport, dport) the anchor's line names, when the capture has that flow; else (None, None)."""
        e = a.event
        sport, dport = (e.local_port, e.peer_port) if a.out else (e.peer_port, e.local_port)
        if sport is None and dport is None:
            return None, None
        if sport is not None and dport is not None:
            if (src, sport, dst, dport) in self.flows:
                return sport, dport
            return None, None
        for f in self.flows:
            if f[0] == src and f[2] == dst and (sport is None or f[1] == sport) and (dport is None or f[3] == dport):
                return sport, dport
        return None, None

    def between(self, src: str, dst: str, lo: float, hi: float) -> list[int]:
        """Positions in :attr:`wire` of the packets from ``src`` to ``dst`` sent from ``lo`` to ``hi``
        (capture seconds, both included), in time order."""
        group = self.groups.get((src, dst))
        if group is None:
            return []
        times, ids = group
        return ids[bisect.bisect_left(times, lo):bisect.bisect_right(times, hi)]

    def keyed(self, src: str, dst: str, key: tuple) -> list[int]:
        """Packets of (src, dst) whose (length or None, message ID or None) equal ``key``'s non-None parts."""
        shape = (key[0] is not None, key[1] is not None)
        table = self._keyed.get((src, dst, shape))
        if table is None:
            table = {}
            _times, ids = self.groups.get((src, dst), ([], []))
            for j in ids:
                w = self.wire[j]
                k = (w.length if shape[0] else None, w.message_id if shape[1] else None)
                table.setdefault(k, []).append(j)
            self._keyed[(src, dst, shape)] = table
        return table.get(key, [])


@dataclass(slots=True)
class Edge:
    """A possible pairing: anchor ``a`` (position in the log's anchors), packet ``p`` (position in the
    index's wire list), its soft ``score``, ``residual`` = (log time - offset) - packet time (s; None for
    an anchor without a stamp)."""
    a: int
    p: int
    score: float
    residual: float | None


def _hard(a: Anchor, w: WirePacket, ports: tuple[int | None, int | None]) -> bool:
    e = a.event
    if ports[0] is not None and w.sport != ports[0]:
        return False
    if ports[1] is not None and w.dport != ports[1]:
        return False
    if e.bytes is not None and e.bytes != w.length and e.bytes != w.size:
        return False
    if a.roles is not None and w.role in ROLES and w.role not in a.roles:
        return False
    if a.mids is not None:
        if not any((m & 0xFFFFFFFF) == w.message_id for m in a.mids):
            return False
    elif a.mid is not None and (a.mid & 0xFFFFFFFF) != w.message_id:
        return False
    if a.exchanges is not None and w.exchange not in a.exchanges:
        return False
    return True


def _soft(a: Anchor, w: WirePacket) -> float:
    s = 0.0
    if a.exchanges is None and a.derived_exchanges is not None:
        s += 1 if w.exchange in a.derived_exchanges else -1
    names = a.payloads if a.payloads is not None else a.derived_payloads
    if names is not None and w.payloads is not None:
        s += 1 if names == w.payloads else -1
    if a.request is not None and w.response is not None:
        s += 1 if a.request != w.response else -2
    return s


def edges(anchors: Sequence[Anchor], index: PacketIndex, endpoint: str, offset_at, uncertainty: float,
          delay: float, slack: float = 0.002) -> list[Edge]:
    """Every edge of the log's anchors (module doc).  ``offset_at(t)`` gives the offset (s) near log time
    ``t``; ``uncertainty`` (s) widens every window; ``delay`` (s) is the most a packet may lag its sent
    line or lead its received line."""
    found: list[Edge] = []
    timed = [k for k, a in enumerate(anchors) if a.time is not None]
    for k, a in enumerate(anchors):
        if a.time is not None:
            off = offset_at(a.time)
            t0 = a.time - off
            lo = t0 - uncertainty - slack - (0.0 if a.out else delay)
            hi = t0 + a.res + uncertainty + slack + (delay if a.out else 0.0)
            mid = t0 + a.res / 2
        else:
            p = bisect.bisect_left(timed, k)
            before = anchors[timed[p - 1]] if p > 0 else None
            after = anchors[timed[p]] if p < len(timed) else None
            lo = before.time - offset_at(before.time) - uncertainty - delay if before else float("-inf")
            hi = after.time + after.res - offset_at(after.time) + uncertainty + delay if after else float("inf")
            mid = None
        for src, dst in index.pairs_for(a, endpoint):
            window = index.between(src, dst, lo, hi)
            if not window:
                continue
            ports = index.ports_for(a, src, dst)
            for j in window:
                w = index.wire[j]
                if _hard(a, w, ports):
                    found.append(Edge(k, j, _soft(a, w), None if mid is None else mid - w.time))
    return found


def proposals(anchors: Sequence[Anchor], index: PacketIndex, endpoint: str, limit: int,
              sample: int = 20000) -> list[tuple[float, int]]:
    """(d = log time - packet time, anchor position) for the offset vote: every packet with the anchor's
    hard facts, for the stamped anchors (at most ``sample`` of them, drawn at
    random with a fixed seed) that have at most ``limit`` such packets."""
    timed = [k for k, a in enumerate(anchors) if a.time is not None]
    if len(timed) > sample:   # a seeded random sample: an even stride could fall in step with the exchanges
        timed = sorted(random.Random(len(timed)).sample(timed, sample))
    out: list[tuple[float, int]] = []
    for k in timed:
        a = anchors[k]
        e = a.event
        mid = None if a.mid is None or a.mids is not None else a.mid & 0xFFFFFFFF
        cands: list[int] = []
        for src, dst in index.pairs_for(a, endpoint):
            ports = index.ports_for(a, src, dst)
            for j in index.keyed(src, dst, (e.bytes, mid)):
                w = index.wire[j]
                if _hard(a, w, ports):
                    cands.append(j)
                    if len(cands) > limit:
                        break
            if len(cands) > limit:
                break
        if 0 < len(cands) <= limit:
            out.extend((a.time - index.wire[j].time, k) for j in cands)
    return out


def solve(found: Sequence[Edge], anchors: Sequence[Anchor], index: PacketIndex) -> list[Edge]:
    """The chosen edges: one to one, per component the best matching (module doc)."""
    parent: dict[tuple[int, int], tuple[int, int]] = {}

    def root(x):
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for ed in found:
        ra, rp = root((0, ed.a)), root((1, ed.p))
        if ra != rp:
            parent[ra] = rp
    comps: dict[tuple[int, int], list[Edge]] = {}
    for ed in found:
        comps.setdefault(root((0, ed.a)), []).append(ed)
    chosen: list[Edge] = []
    for comp in comps.values():
        if len(comp) == 1:
            chosen.append(comp[0])
            continue
        evs = sorted({ed.a for ed in comp})
        pks = sorted({ed.p for ed in comp}, key=lambda j: index.rank[j])
        if min(len(evs), len(pks)) <= EXACT and max(len(evs), len(pks)) <= 4 * EXACT:
            chosen.extend(_exact(comp, evs, pks))
        else:
            chosen.extend(_chain(comp, evs, pks))
    chosen.sort(key=lambda ed: ed.a)
    return chosen


def _weight(ed: Edge, ra: int, rp: int) -> float:
    r = abs(ed.residual) if ed.residual is not None else 0.0
    return _W_MATCH + _W_SOFT * ed.score - min(r, 100.0) - 1e-4 * abs(ra - rp)


def _exact(comp: list[Edge], evs: list[int], pks: list[int]) -> list[Edge]:
    """Exact best matching by dynamic programming over subsets of the smaller side."""
    ra = {a: i for i, a in enumerate(evs)}
    rp = {p: i for i, p in enumerate(pks)}
    if len(pks) <= len(evs):
        outer, key_o, key_i = evs, (lambda ed: ed.a), (lambda ed: rp[ed.p])
    else:
        outer, key_o, key_i = pks, (lambda ed: ed.p), (lambda ed: ra[ed.a])
    by_outer: dict[int, list[Edge]] = {}
    for ed in comp:
        by_outer.setdefault(key_o(ed), []).append(ed)
    states: dict[int, tuple[float, tuple]] = {0: (0.0, ())}
    for o in outer:
        nxt = dict(states)
        for mask, (val, picks) in states.items():
            for ed in by_outer.get(o, ()):
                bit = 1 << key_i(ed)
                if mask & bit:
                    continue
                v = val + _weight(ed, ra[ed.a], rp[ed.p])
                m2 = mask | bit
                if m2 not in nxt or v > nxt[m2][0]:
                    nxt[m2] = (v, picks + (ed,))
        states = nxt
    return list(max(states.values(), key=lambda s: s[0])[1])


def _chain(comp: list[Edge], evs: list[int], pks: list[int]) -> list[Edge]:
    """The best order-preserving matching: a weighted longest chain of edges increasing in both the
    log's order and the capture's, with a Fenwick tree of prefix maxima over the packets."""
    ra = {a: i for i, a in enumerate(evs)}
    rp = {p: i for i, p in enumerate(pks)}
    n = len(pks)
    tree: list[tuple[float, int]] = [(0.0, -1)] * (n + 1)
    best_of: list[float] = []
    back: list[int] = []
    order = sorted(range(len(comp)), key=lambda q: (ra[comp[q].a], -rp[comp[q].p]))

    def query(i: int) -> tuple[float, int]:   # max over packets of rank < i
        best = (0.0, -1)
        while i > 0:
            if tree[i][0] > best[0]:
                best = tree[i]
            i -= i & -i
        return best

    def update(i: int, val: tuple[float, int]) -> None:
        i += 1
        while i <= n:
            if val[0] > tree[i][0]:
                tree[i] = val
            i += i & -i

    best_of = [0.0] * len(comp)
    back = [-1] * len(comp)
    q = 0
    while q < len(order):
        group = [order[q]]
        while q + len(group) < len(order) and comp[order[q + len(group)]].a == comp[order[q]].a:
            group.append(order[q + len(group)])
        done = []
        for g in group:
            ed = comp[g]
            prev = query(rp[ed.p])
            best_of[g] = prev[0] + _weight(ed, ra[ed.a], rp[ed.p])
            back[g] = prev[1]
            done.append(g)
        for g in done:
            update(rp[comp[g].p], (best_of[g], g))
        q += len(group)
    if not comp:
        return []
    g = max(range(len(comp)), key=lambda x: best_of[x])
    out = []
    while g != -1:
        out.append(comp[g])
        g = back[g]
    out.reverse()
    return out
