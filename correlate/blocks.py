"""Which debug lines belong to which packet event of a log (no capture needed).

A log's ``packet`` events (a packet sent or received) are its anchors; every
other event describes building or processing one of them.  This module works
on one log's events alone, so it serves log-only explanations as well as
correlation with a capture.

:func:`anchors` gives each packet event what the lines around it say about
the message, for matching with the wire:

* the message ID, exchange and payload list the event itself carries
  (strongSwan's sent packets take them from their ``generating`` line, ASA's
  ``IKE_DECODE`` lines and IOS IKEv2 packet lines have them): *direct*, hard
  facts;
* a received packet's message ID, exchange and payloads from the first line
  that processed it: charon's ``parsed ID_PROT response 0 [ SA V V V V ]`` in
  the same thread (or its ``... request with message ID N processing failed``
  when it could not read the message), IOS's ``processing SA payload. message ID = 0`` before the
  next packet line; a sent packet's from the last line that built it (IOS
  ``beginning Quick Mode exchange, M-ID of N``, ``constructing``): *derived*,
  soft facts (a dropped line can make them name a neighbour's message);
* the roles (``MM1``..``MM6``, ``QM1``..``QM3``, as :attr:`dissect.model.Packet.role` names them) an
  IOS packet line may be: its state's phase (an ``MM_`` state Main Mode, ``QM_IDLE`` no Main Mode
  message before MM6), narrowed to one role by the next ``New State`` of its conn-id before the next
  packet line (``IKE_I_MM4``, ``IKE_QM_I_QM1``, ``IKE_QM_PHASE2_COMPLETE``...) when that role fits the
  direction and the state's window (``MM_SA_SETUP`` is MM2..MM4): hard facts;
* an IOS ``retransmitting phase 1 MM_KEY_EXCH...`` line followed by its
  ``sending packet`` line is one packet, not two: the marker joins that anchor;
* a packet line with the same stamp, text, message ID and IOS roles as an
  earlier one is marked as its possible copy (a document quoting a block
  twice); without stamps, only a line that repeats the packet line just
  before it.

:func:`attach` gives each other event the anchor it belongs to:

* one with a message ID goes to the nearest anchor of that message ID (the one
  after it when it builds a message — charon's ``generating``, IOS
  ``constructing``, anything said of an outgoing message — the one before it
  when it processes one), within the anchors the caller's message IDs name
  (after matching: the packets' own message IDs);
* otherwise to the anchor of its thread (charon) or of the log (IOS, ASA, one
  thread) before it, or after it when it builds a message or follows, in its
  thread, a line that did (IOS ``Send initial contact`` ... ``ID payload`` ...
  ``sending packet``): an IOS ``Old State = IKE_R_MM1 New State = IKE_R_MM2``
  after ``sending packet`` belongs to the packet sent;
* the farther in time, the worse: an anchor more than half a second (plus the stamps' resolution) from
  the event loses score for each further second (charon reuses its threads, so the last message a
  thread handled may be seconds older than the lines it writes before it builds the next one);
* never across more than :data:`HORIZON` seconds, to an anchor of another IOS
  conn-id, or, in a charon log whose lines carry IKE_SA tags, from a line
  without a tag (plugin loading, configuration dumps);
* charon's socket-level copies of packet lines (``08[NET] sending packet``
  without a byte count) join the nearest anchor with the same endpoints;
* ``show`` output (``sa_status``) joins no anchor: it is a snapshot, linked by
  SPI instead.

Pure functions over lists of events; nothing raises on odd input.
"""
from __future__ import annotations

import bisect
import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from dissect import registry

from . import offset
from .logonly import doubled_records
from .model import Event

__all__ = ["Anchor", "anchors", "attach", "exchange_types", "canonical_payloads", "HORIZON", "ROLES"]

#: seconds beyond which an event never joins an anchor
HORIZON = 5.0
#: how far (in events) to look for the line that processed or built a packet
_LOOK = 400
#: the most a daemon takes between building a message and sending it, or receiving and parsing one
_BUILD = dt.timedelta(seconds=0.05)

#: exchange names in logs -> the exchange types they may be on the wire (RFC 2408 §4, RFC 7296 §3.1)
EXCHANGE_NAMES: dict[str, frozenset[int]] = {
    "BASE": frozenset({1}), "ID_PROT": frozenset({2}), "MAIN_MODE": frozenset({2}), "MAIN": frozenset({2}),
    "AUTH_ONLY": frozenset({3}), "AGGRESSIVE": frozenset({4}), "INFORMATIONAL_V1": frozenset({5}),
    "TRANSACTION": frozenset({6}), "QUICK_MODE": frozenset({32}), "NEW_GROUP": frozenset({33}),
    "IKE_SA_INIT": frozenset({34}), "IKE_AUTH": frozenset({35}), "CREATE_CHILD_SA": frozenset({36}),
    "INFORMATIONAL": frozenset({5, 37}), "IKE_SESSION_RESUME": frozenset({38}),
    "IKE_INTERMEDIATE": frozenset({43}), "IKE_FOLLOWUP_KE": frozenset({44}),
}
#: IOS packet-line states -> the exchanges a packet in that state may belong to (soft)
_STATE_EXCHANGES = (("MM_", frozenset({2, 5})), ("AG_", frozenset({4, 5})), ("QM_", frozenset({32, 5, 6})),
                    ("NEW SA", frozenset({2, 4})))

#: payload names of log lines and of the registry -> one vocabulary, for comparing lists
_CANON = {
    "V": "VID", "VENDOR": "VID", "VID": "VID", "No": "NONCE", "NONCE": "NONCE", "Ni/Nr": "NONCE",
    "N": "N", "NOTIFY": "N", "D": "D", "DELETE": "D", "SA": "SA", "KE": "KE", "ID": "ID", "IDi": "ID",
    "IDr": "ID", "HASH": "HASH", "SIG": "SIG", "CERT": "CERT", "CR": "CR", "CERTREQ": "CR", "NAT-D": "NAT-D",
    "NAT-OA": "NAT-OA", "AUTH": "AUTH", "TSi": "TS", "TSr": "TS", "CP": "ATTR", "ATTR": "ATTR", "CPRQ": "ATTR",
    "CPRP": "ATTR", "CPS": "ATTR", "CPA": "ATTR", "EAP": "EAP", "SK": "SK", "FRAG": "FRAG",
}
#: families whose payload lists name payloads as the wire carries them (IOS IKEv2 writes N for a nonce)
_PAYLOAD_FAMILIES = frozenset({"strongswan", "asa"})


def exchange_types(name: str) -> frozenset[int] | None:
    """The wire exchange types an exchange name of a log may stand for, or None when unknown."""
    if not name:
        return None
    return EXCHANGE_NAMES.get(name.upper().split("(")[0])


def canonical_payloads(names: Sequence[str]) -> tuple[str, ...] | None:
    """Payload names (a log's or the registry's short names) as a sorted tuple in one vocabulary; None
    when a name is not known (then lists are not compared)."""
    key = tuple(names)
    if key in _CANON_MEMO:
        return _CANON_MEMO[key]
    if len(_CANON_MEMO) > 4096:
        _CANON_MEMO.clear()
    found = _CANON_MEMO[key] = _canonical(key)
    return found


_CANON_MEMO: dict[tuple[str, ...], tuple[str, ...] | None] = {}


def _canonical(names: tuple[str, ...]) -> tuple[str, ...] | None:
    out = []
    for n in names:
        c = _CANON.get(n.split("(", 1)[0].strip())
        if c is None:
            return None
        out.append(c)
    return tuple(sorted(out))


def _event_payloads(e: Event) -> tuple[str, ...] | None:
    if e.record.family not in _PAYLOAD_FAMILIES:
        return None
    types = e.detail.get("payload_types")
    if types:
        names = []
        for t in types:
            entry = registry.PAYLOAD_TYPES_V1.get(t) if isinstance(t, int) else None
            if entry is None:
                return None
            names.append(entry[0])
        return canonical_payloads(names)
    if not e.payloads and e.kind != "payload":
        return None
    return canonical_payloads(e.payloads)


@dataclass(slots=True)
class Anchor:
    """A packet event of a log with what it and the lines around it say about its message.

    ``index``       its position in the log's events
    ``event``       the packet event
    ``out``         True when sent, False when received
    ``strand``      charon's thread (lines of one thread are in order), or None (the whole log is one)
    ``time``/``res`` set by the caller: the stamp in seconds on the log's clock and its resolution
    ``message_id``, ``exchanges``, ``payloads``     direct facts (None when not said)
    ``derived_mid``, ``derived_exchanges``, ``derived_payloads``, ``request``   derived facts
    ``markers``     positions of events merged into it (an IOS retransmission line)
    ``source``      position of the event the derived facts come from, or None
    ``roles``       the wire roles (``MM1``..``QM3``) an IOS packet line may be (hard), or None when not said
    ``mids``        the message IDs a charon packet line may carry when its thread's lines are out of
                    stamp order and lines near its stamp name several, else None: then the message ID
                    is one of them, not ``mid`` alone (hard); ``mid`` may name any one of them
    ``copy_of``     the position in the anchors of an earlier packet line with the same stamp, text and
                    message ID (direct and derived), or None: a document that quotes a debug block twice (the
                    seed does) repeats the line, and a capture with one packet for both shows it; a line
                    repeated right after itself with its size is a copy even when only one of the two got
                    a message ID from its neighbours
    """
    index: int
    event: Event
    out: bool
    strand: int | None
    message_id: int | None = None
    exchanges: frozenset[int] | None = None
    payloads: tuple[str, ...] | None = None
    derived_mid: int | None = None
    derived_exchanges: frozenset[int] | None = None
    derived_payloads: tuple[str, ...] | None = None
    request: bool | None = None
    markers: list[int] = field(default_factory=list)
    source: int | None = None
    copy_of: int | None = None
    roles: frozenset[str] | None = None
    mids: frozenset[int] | None = None
    time: float | None = None
    res: float = 1.0

    @property
    def mid(self) -> int | None:
        """The message ID, direct or derived."""
        return self.message_id if self.message_id is not None else self.derived_mid


def _strand(e: Event) -> int | None:
    t = e.detail.get("thread")
    return t if isinstance(t, int) else None


def _conn(e: Event) -> int | None:
    return e.conn_id if e.conn_id else None


def _builds(e: Event) -> bool | None:
    """True when the event builds an outgoing message, False when it processes an incoming one, None
    when it does not say."""
    action = e.detail.get("action")
    if action in ("constructing", "constructed"):
        return True
    if action == "processing":
        return False
    if e.direction == "out":
        return True
    if e.direction == "in":
        return False
    return None


def anchors(events: Sequence[Event]) -> list[Anchor]:
    """The anchors of a log's events (in order), with direct and derived facts (module doc)."""
    found: list[Anchor] = []
    pending_marker: tuple[int, int | None] | None = None   # (position, strand) of an IOS retransmission line
    for i, e in enumerate(events):
        if e.kind != "packet" or e.direction not in ("in", "out"):
            continue
        if (e.detail.get("retransmission") and e.peer is None and e.bytes is None and e.message_id is None
                and e.direction == "out"):
            pending_marker = (i, _strand(e))
            continue
        a = Anchor(i, e, e.direction == "out", _strand(e), e.message_id, exchange_types(e.exchange),
                   _event_payloads(e) if e.payloads or e.detail.get("payload_types") else None)
        if isinstance(e.detail.get("request"), bool):
            a.request = e.detail["request"]
        if pending_marker is not None:
            if a.out and pending_marker[1] == a.strand and _near(events[pending_marker[0]], e, 1.0):
                a.markers.append(pending_marker[0])
            else:
                found.append(Anchor(pending_marker[0], events[pending_marker[0]], True, pending_marker[1]))
            pending_marker = None
        found.append(a)
    if pending_marker is not None:
        found.append(Anchor(pending_marker[0], events[pending_marker[0]], True, pending_marker[1]))
    _derive(events, found)
    _unordered_mids(events, found)
    first: dict[tuple, list[int]] = {}
    for k, a in enumerate(found):
        r = a.event.record
        if r.time_text:
            earlier = first.setdefault((r.time_text, r.text), [])
            a.copy_of = next((j for j in earlier if _alike(found[j], a)), None)
            if a.copy_of is None:
                earlier.append(k)
        elif k and not a.markers and (found[k - 1].event.record.time_text, found[k - 1].event.record.text) == (
                r.time_text, r.text) and _alike(found[k - 1], a):   # no stamp: a repeat of the line before
            a.copy_of = found[k - 1].copy_of if found[k - 1].copy_of is not None else k - 1
    _doubled_copies(events, found)
    return found


def _doubled_copies(events: Sequence[Event], found: list[Anchor]) -> None:
    """A log pasted with every line twice in place (a console and a terminal monitor both logging; see
    :func:`correlate.logonly.doubled_records`): each packet line that repeats the one right above it is a
    copy of it, whatever facts the two derived from their (doubled) neighbours."""
    doubled = doubled_records(events)
    if not doubled:
        return
    for k in range(1, len(found)):
        a, before = found[k], found[k - 1]
        r, above = a.event.record, before.event.record
        if a.copy_of is None and id(r) in doubled and r.line == above.last_line + 1 and r.text == above.text:
            a.copy_of = before.copy_of if before.copy_of is not None else k - 1


def _alike(a: Anchor, b: Anchor) -> bool:
    """Whether packet line ``b`` (later, same stamp and text) may be line ``a`` written twice: the same
    message ID (direct and derived) and roles; or, when ``b`` is the very next line and states the
    message's size, one of the two without a message ID (IOS lines, without a size, of two messages
    received in one millisecond can read alike; charon links a sent packet to the ``generating`` line before it once, and a
    received one to the ``parsed`` line before the next packet line, which is then the copy)."""
    if a.roles != b.roles:
        return False
    if (a.message_id, a.derived_mid) == (b.message_id, b.derived_mid):
        return True
    return (b.index == a.index + 1 and b.event.bytes is not None and (a.mid is None or b.mid is None))


def _unordered_mids(events: Sequence[Event], found: list[Anchor]) -> None:
    """charon's packet lines name no message ID: a sent one takes it from the ``generating`` line before
    it in its thread, a received one from the ``parsed`` line after it.  In a thread whose stamps go
    backwards somewhere (lines shuffled, or a log sorted or merged badly) that order proves nothing, so
    such a packet line may carry the message ID of any line of its thread and direction that built or
    parsed a message within one unit of its stamp (its resolution) either way, or up to :data:`_BUILD`
    more on the side where that line belongs (before a sent line, after a received one): ``mids`` holds them
    all, and the exchanges widen to theirs.  So does a packet line whose message ID comes from a line
    more than one unit from its stamp (lines of one stamp shuffled leave the stamps in order, and the
    line found may be a later message's): the processing line :func:`_derive` found, or, for a sent
    line that states its message ID itself (:func:`correlate.strongswan.link_message_ids` gives it
    the thread's last ``generating`` line not yet sent, up to its ``LINK_WINDOW`` before), the latest line of its thread
    that built a message with that ID; when no line of its thread and direction built or parsed a
    message near its stamp, that far line's message ID, exchange and payloads are dropped (they are
    another message's).  Other packet lines keep the one message ID."""
    last: dict[int | None, dt.datetime] = {}
    shuffled: set[int | None] = set()
    said: dict[tuple, list[tuple[dt.datetime, Event]]] = {}
    latest: dict[tuple, dt.datetime] = {}       # (strand, direction, message ID) -> its latest line so far
    linked: dict[int, dt.datetime] = {}         # event position of a sent packet line -> its message ID's line
    direct = {a.index for a in found if a.out and a.source is None and a.message_id is not None}
    for i, e in enumerate(events):
        t = e.record.time
        if e.record.family != "strongswan" or t is None:
            continue
        s = _strand(e)
        if s in last and t < last[s]:
            shuffled.add(s)
        else:
            last[s] = t
        if e.message_id is not None and (e.kind == "payload" or e.detail.get("retransmit")) and e.direction in (
                "in", "out"):
            said.setdefault((s, e.direction), []).append((t, e))
            latest[(s, e.direction, e.message_id)] = t
        elif i in direct and (s, "out", e.message_id) in latest:
            linked[i] = latest[(s, "out", e.message_id)]
    for a in found:
        e = a.event
        t = e.record.time
        if e.record.family != "strongswan" or t is None or a.mid is None:
            continue
        unit = dt.timedelta(seconds=offset.resolution(e.record))
        ts = events[a.source].record.time if a.source is not None else linked.get(a.index)
        if a.strand not in shuffled and (ts is None or abs(ts - t) <= unit):
            continue
        lo, hi = (t - unit - _BUILD, t + unit) if a.out else (t - unit, t + unit + _BUILD)
        others = [o for to, o in said.get((a.strand, "out" if a.out else "in"), ()) if lo <= to <= hi]
        mids = {a.mid} | {o.message_id for o in others}
        if not others and ts is not None and not lo <= ts <= hi:
            _forget_message(a)    # its line is another message's, and none near it says which this is
            continue
        if len(mids) < 2:
            continue
        a.mids = frozenset(mids)
        known = [exchange_types(o.exchange) for o in others] + [a.exchanges or a.derived_exchanges]
        wide = None if any(x is None for x in known) else frozenset().union(*known)
        if a.exchanges is not None:
            a.exchanges = wide
        else:
            a.derived_exchanges = wide


def _forget_message(a: Anchor) -> None:
    """Drop what a packet line took from the line of another message: its message ID, exchange and payloads."""
    if a.source is not None:
        a.derived_mid = a.derived_exchanges = a.derived_payloads = None
        a.source = None
    else:
        a.message_id = a.exchanges = a.payloads = None


def _near(a: Event, b: Event, seconds: float) -> bool:
    ta, tb = a.record.time, b.record.time
    if ta is None or tb is None:
        return True
    return abs((tb - ta).total_seconds()) <= seconds


def _derive(events: Sequence[Event], found: list[Anchor]) -> None:
    """Derived facts: a received packet's from the first processing line after it (same strand, before
    the strand's next anchor), a sent packet's from the last building line before it."""
    by_strand: dict[int | None, list[int]] = {}
    for k, a in enumerate(found):
        by_strand.setdefault(a.strand, []).append(k)
    n = len(events)
    for strand, ks in by_strand.items():
        for pos, k in enumerate(ks):
            a = found[k]
            nxt = found[ks[pos + 1]].index if pos + 1 < len(ks) else n
            prv = found[ks[pos - 1]].index if pos else -1
            conn = _conn(a.event)
            src = None
            if not a.out:
                for j in range(a.index + 1, min(nxt, a.index + _LOOK)):
                    if _informs(events[j], strand, conn, False):
                        src = j
                        break
            else:
                for j in range(a.index - 1, max(prv, a.index - _LOOK), -1):
                    if _informs(events[j], strand, conn, True):
                        src = j
                        break
            if src is None:
                continue
            s = events[src]
            a.source = src
            a.derived_mid = s.message_id
            a.derived_exchanges = exchange_types(s.exchange)
            if s.kind == "payload" and s.payloads and s.record.family == "strongswan":
                a.derived_payloads = _event_payloads(s)
            if a.request is None and isinstance(s.detail.get("request"), bool):
                a.request = s.detail["request"]
        for pos, k in enumerate(ks):   # IOS: the packet line's state says the phase, its transition the role
            a = found[k]
            nxt = found[ks[pos + 1]].index if pos + 1 < len(ks) else n
            a.roles = _ios_roles(events, a, nxt)
            if a.derived_exchanges is None and a.exchanges is None and a.event.state:
                for prefix, ex in _STATE_EXCHANGES:
                    if a.event.state.startswith(prefix):
                        a.derived_exchanges = ex
                        break


#: IOS Main Mode states on a packet line -> the Main Mode messages sent or received in that state
_STATE_ROLES = {"MM_NO_STATE": frozenset({"MM1", "MM2"}), "MM_SA_SETUP": frozenset({"MM2", "MM3", "MM4"}),
                "MM_KEY_EXCH": frozenset({"MM4", "MM5", "MM6"})}
#: every role a Main Mode or Quick Mode packet may have on the wire
ROLES = frozenset({f"MM{i}" for i in range(1, 7)} | {f"QM{i}" for i in range(1, 4)})
_MAIN_MODE = frozenset(f"MM{i}" for i in range(1, 7))
_NEW_STATE = re.compile(r"^IKE_(?P<side>[IR])_MM(?P<n>[1-6])$")
#: IOS Quick Mode states entered after a packet -> (sent, the role of that packet); None: either direction
_QM_STATES = {"IKE_QM_I_QM1": (True, "QM1"), "IKE_QM_R_QM2": (True, "QM2"), "IKE_QM_PHASE2_COMPLETE": (None, "QM3"),
              "IKE_QM_READY": (False, "QM1"), "IKE_QM_SPI_STARVE": (False, "QM1")}


def _transition_role(state: str, out: bool, side: str | None) -> str | None:
    """The role of the packet a packet line sent or received, from the first IOS ``New State`` after it
    (``IKE_I_MM4`` after receiving: MM4), or None when that state does not say it or contradicts the line
    (direction, initiator or responder)."""
    m = _NEW_STATE.match(state)
    if m is not None:
        initiator = m["side"] == "I"
        by_initiator = int(m["n"]) % 2 == 1
        if (side is None or side == m["side"]) and by_initiator == (out == initiator):
            return f"MM{m['n']}"
        return None
    qm = _QM_STATES.get(state)
    if qm is not None and (qm[0] is None or qm[0] == out):
        return qm[1]
    return None


def _ios_roles(events: Sequence[Event], a: Anchor, stop: int) -> frozenset[str] | None:
    """The wire roles an IOS packet line may be (module doc), or None when its state says nothing."""
    state = (a.event.state or "").strip()
    if a.event.record.family != "ios":
        return None
    if not state:
        window = None
    elif state.startswith("QM_"):
        window = ROLES - {f"MM{i}" for i in range(1, 6)}
    else:
        window = _STATE_ROLES.get(state)
        if window is None:
            return None
    side = a.event.detail.get("role")
    conn = _conn(a.event)
    for j in range(a.index + 1, min(stop, a.index + _LOOK)):
        e = events[j]
        if e.kind != "state" or not e.state:
            continue
        c = _conn(e)
        if conn is not None and c is not None and c != conn:
            continue
        role = _transition_role(e.state.strip(), a.out, side)
        if role is None:
            continue
        if window is None or role in window:
            return frozenset({role})
        break
    if window is not None and not state.startswith("QM_"):   # the state alone fixes the phase only
        return _MAIN_MODE
    return window


def _informs(e: Event, strand: int | None, conn: int | None, building: bool) -> bool:
    """Whether ``e`` is a line of the given strand that processed (``building`` False) or built a
    message and names its message ID."""
    if e.message_id is None or e.kind in ("packet", "sa_status", "keys"):
        return False
    if strand is not None and _strand(e) != strand:
        return False
    c = _conn(e)
    if conn is not None and c is not None and c != conn:
        return False
    if e.record.family == "strongswan":   # and charon's "... request with message ID N processing failed"
        return (e.kind == "payload" or (e.kind == "error" and not building)) and e.direction == (
            "out" if building else "in")
    b = _builds(e)
    if building:
        return b is not False or e.kind == "info"
    return b is not True and e.kind != "info"


def _socket_pairs(events: Sequence[Event], found: list[Anchor],
                  frames: Sequence[int | None] | None = None) -> dict[int, int]:
    """charon's socket-level packet lines -> the anchor (its position in ``found``) they copy: a sent one
    follows its anchor, a received one precedes it; same endpoints, nearest, one each.  Sent anchors take
    theirs in log order, received ones from the last: the socket thread logs a burst of datagrams in wire
    order before the worker threads log them, so the anchor of the burst's last datagram takes the last
    socket line before it (and an ESP datagram's socket line before a burst is left to no anchor).  The
    last is the one whose packet came last on the wire when ``frames`` gives each anchor's matched frame
    (worker threads may log a burst in another order: the XAUTH lab case), else the last in the log."""
    sockets: dict[tuple, list[int]] = {}
    for i, e in enumerate(events):
        if e.detail.get("socket") and e.direction in ("in", "out"):
            sockets.setdefault((e.direction == "out", e.peer, e.peer_port, e.local, e.local_port), []).append(i)
    out: dict[int, int] = {}
    if not sockets:
        return out
    received = [k for k, a in enumerate(found) if not a.out]
    if frames is not None:  # matched ones by their frames, last first; then the others, last first
        received.sort(key=lambda k: (frames[k] is not None, frames[k] or 0, k), reverse=True)
    else:
        received.reverse()
    order = [k for k, a in enumerate(found) if a.out] + received
    for k in order:
        a = found[k]
        e = a.event
        pos = sockets.get((a.out, e.peer, e.peer_port, e.local, e.local_port))
        if not pos:
            continue
        p = bisect.bisect_left(pos, a.index)
        span = range(p, min(p + 4, len(pos))) if a.out else range(p - 1, max(p - 5, -1), -1)
        for q in span:
            i = pos[q]
            if i not in out and _near(events[i], e, 1.0):
                out[i] = k
                break
    return out


def attach(events: Sequence[Event], found: list[Anchor], mids: Sequence[int | None] | None = None,
           frames: Sequence[int | None] | None = None) -> list[tuple[int | None, str]]:
    """For every event of the log: (the position in ``found`` of its anchor, how) or (None, why not).

    ``how`` is "packet" (the anchor itself), "retransmission" (a marker merged into it), "socket",
    "message ID", "thread" or "order"; a reason for None is "no packet event" (none fits within
    :data:`HORIZON`), "show output", "no IKE_SA tag", "not a packet line" (tcpdump text) or
    "socket-level copy of no IKE packet line (ESP?)".  ``mids`` gives each anchor's message ID when
    known better than the log says (the matched packet's); by default each anchor's own; ``frames`` each
    anchor's matched frame number (None when it has none), when known, for the socket lines
    (:func:`_socket_pairs`)."""
    n = len(events)
    result: list[tuple[int | None, str]] = [_UNPLACED] * n
    if mids is None:
        mids = [a.mid for a in found]
    for k, a in enumerate(found):
        result[a.index] = (k, "packet")
        for m in a.markers:
            result[m] = (k, "retransmission")
    for i, k in _socket_pairs(events, found, frames).items():
        result[i] = (k, "socket")
    by_strand: dict[object, list[int]] = {}
    by_mid: dict[int, list[int]] = {}
    for k, a in enumerate(found):
        by_strand.setdefault(a.strand, []).append(k)
        if mids[k] is not None:
            by_mid.setdefault(mids[k], []).append(k)
    by_strand[_ALL] = list(range(len(found)))
    tagged = sum(1 for a in found if a.event.conn_id is not None and a.event.record.family == "strongswan")
    charon_tags = tagged * 2 >= sum(1 for a in found if a.event.record.family == "strongswan") > 0
    # Events between the same anchors with the same facts choose alike: their choice is remembered (the
    # time horizon is checked again for each; a choice the horizon changed is not remembered).
    chosen: dict[tuple, tuple[int, str]] = {}
    anchor_at = {a.index: k for k, a in enumerate(found)}
    building: dict[object, bool] = {}   # strand -> a line since its last anchor built the next message
    passed: dict[object, int] = {_ALL: 0}   # strand -> its anchors before the event (bisect without bisect)
    passed_mid: dict[int, int] = {}         # message ID -> the anchors of that message ID before the event
    for i, e in enumerate(events):
        k = anchor_at.get(i)
        if k is not None:
            s = found[k].strand
            building[s] = building[_ALL] = False
            passed[s] = passed.get(s, 0) + 1
            passed[_ALL] += 1
            if mids[k] is not None:
                passed_mid[mids[k]] = passed_mid.get(mids[k], 0) + 1
            continue
        if result[i] is not _UNPLACED:
            continue
        kind = e.kind
        if kind == "sa_status":
            result[i] = (None, "show output")
            continue
        if kind == "packet":
            result[i] = (None, "not a packet line")
            continue
        detail = e.detail
        if detail.get("socket"):
            result[i] = (None, "socket-level copy of no IKE packet line (ESP?)")
            continue
        charon = e.record.family == "strongswan"
        if charon_tags and e.conn_id is None and charon:
            result[i] = (None, "no IKE_SA tag")
            continue
        strand = detail.get("thread")
        if strand is not None and not isinstance(strand, int):
            strand = None
        if strand in by_strand:
            sel, how0 = strand, "thread" if strand is not None else "order"
        elif strand is not None and None in by_strand:
            sel, how0 = None, "order"
        elif strand is None or not found:
            sel, how0 = _ALL, "order"
        else:
            sel, how0 = _NONE, ""
        p = passed.get(sel, 0) if sel is not _NONE else -1
        mid = e.message_id
        pm = passed_mid.get(mid, 0) if mid is not None and mid in by_mid else -1
        builds = _builds(e)
        after_building = building.get(sel, False)
        if builds:
            building[sel] = True
        key = (sel, p, strand, mid, pm, builds, after_building, e.conn_id or None, charon)
        known = chosen.get(key)
        if known is not None:
            te, ta = e.record.time, found[known[0]].event.record.time
            # (a choice is taken again only as near in time as it was made: farther, the choice is weighed)
            if te is None or ta is None or abs(te - ta) <= _slack(e):
                result[i] = known
                continue
        fit = _Fit(e, i, strand, builds, charon, after_building)
        cands: dict[int, str] = {}
        if p >= 0:
            _neighbours(by_strand[sel], p, cands, how0)
        if pm >= 0:
            _neighbours(by_mid[mid], pm, cands, "message ID")
        best = None
        clean = True
        for k, how in cands.items():
            sc = fit.score(found[k], mids[k])
            if sc is None:
                clean = clean and fit.within(found[k])
            elif best is None or sc > best[0]:
                best = (sc, k, how)
        if best is not None:  # remembered only when the anchor chosen is near the event in time
            ta = found[best[1]].event.record.time
            clean = clean and (fit.time is None or ta is None or abs(fit.time - ta) <= fit.slack)
        if best is not None:
            _s, k, how = best
            if mid is not None and mids[k] == mid:
                how = "message ID"
            result[i] = (k, how)
            if clean:
                chosen[key] = (k, how)
    return result


#: strand keys: every anchor, and none
_ALL, _NONE = object(), object()
#: the place of an event not placed (yet)
_UNPLACED = (None, "no packet event")


def _neighbours(ks: list[int], p: int, cands: dict[int, str], how: str) -> None:
    """The anchors before and after position ``p`` of the list ``ks``."""
    for q in (p - 1, p):
        if 0 <= q < len(ks):
            cands.setdefault(ks[q], how)


_HORIZON = dt.timedelta(seconds=HORIZON)


#: how far an anchor may lie from an event before each further second costs it :data:`_LATE_COST` points of
#: score (plus the stamps' resolution: whole seconds for a stamp without a fraction)
_LATE = dt.timedelta(seconds=0.5)
_LATE_COARSE = _LATE + dt.timedelta(seconds=1)
_LATE_COST = 2.0


def _slack(e: Event) -> dt.timedelta:
    """How far an anchor may lie from ``e`` in time before its score pays for it (:data:`_LATE`)."""
    return _LATE if "." in e.record.time_text else _LATE_COARSE


class _Fit:
    """What an event brings to the choice of its anchor, computed once; ``slack``: :func:`_slack` (a choice
    is remembered, and taken again, only for an anchor that near in time)."""
    __slots__ = ("i", "time", "conn", "mid", "builds", "strand", "charon", "after_building", "slack")

    def __init__(self, e: Event, i: int, strand: int | None, builds: bool | None, charon: bool,
                 after_building: bool):
        self.i, self.time, self.conn, self.mid = i, e.record.time, _conn(e), e.message_id
        self.builds, self.strand, self.charon, self.after_building = builds, strand, charon, after_building
        self.slack = _slack(e)

    def within(self, a: Anchor) -> bool:
        """Whether anchor ``a`` is within :data:`HORIZON` seconds of the event (True without stamps)."""
        ta = a.event.record.time
        return self.time is None or ta is None or abs(self.time - ta) <= _HORIZON

    def score(self, a: Anchor, mid: int | None) -> float | None:
        """How well the event fits anchor ``a`` whose message ID is ``mid`` (module doc), or None when it
        cannot be its."""
        before = a.index < self.i
        ta = a.event.record.time
        s = 0.0
        if self.time is not None and ta is not None:
            gap = abs(self.time - ta)
            if gap > _HORIZON:
                return None
            if gap > self.slack:  # (charon reuses a thread: its last message may be seconds old)
                s -= _LATE_COST * (gap - self.slack).total_seconds()
        ca = a.event.conn_id or None
        if self.conn is not None and ca is not None:
            if self.conn != ca:
                if self.charon:
                    return None
                s -= 3
            else:
                s += 1
        if self.mid is not None and mid is not None:
            if self.mid != mid:
                return None
            s += 4
        builds = self.builds
        if builds is True:
            s += 2 if (not before and a.out) else (-1 if before else 0)
        elif builds is False:
            s += 2 if (before and not a.out) else (-1 if not before else 0)
        elif self.after_building:   # a line after one that built the next message is part of building it
            s += 1 if (not before and a.out) else 0
        else:
            s += 1 if before else 0
        if self.strand is not None and a.strand == self.strand:
            s += 1
        return s - 0.00001 * abs(a.index - self.i)
