"""Log-only analysis: a log's events grouped into the IKE messages they send or process, each with its role.

Real escalations often come with a router's debug and no capture.  :func:`timeline` turns the events
of one or more logs (:func:`correlate.logparse.parse_log`) into :class:`Step` objects, one per IKE
message the log shows being sent or received, in log order, each labelled with the role the capture
side gives the same message (:mod:`dissect.session`: MM1..MM6, AM1..AM3, QM1..QM3, INFO,
TRANSACTION, ``IKE_AUTH request``...), and groups the steps into :class:`LogSa` objects, one per IKE
SA the log negotiates.  :func:`analyse` adds the findings (:mod:`correlate.findings`), reading a
strongSwan log in the order of its stamps (:func:`in_stamp_order`).  Pure
functions: nothing is printed; odd input (lines in no order a daemon would write them, a log cut
anywhere) gives steps without a role or in an IKE SA of their own, never an exception.

How a log is cut into steps:

* a ``packet`` event (``sending packet``/``received packet``, ASA ``IKE_DECODE``, IKEv2 ``Sending
  Packet``, libreswan ``sent Main Mode I2``, a pasted tcpdump line) opens a step; so does
  strongSwan's ``generating EXCHANGE request MID [ ... ]`` line, which comes before the ``sending
  packet`` line of its message, and a retransmission note (``sending retransmit 1 of request``,
  IOS ``retransmitting phase 1``): the packet line that follows joins that step;
* every other event joins the latest step of its context: the same file and conn-id (IOS conn-id,
  strongSwan IKE_SA number, IKEv2 SA ID), else the same peer (ASA ``IP =``), else the latest step of
  the file.  IOS negotiates phase 1 under conn-id 0 and takes the real one at MM4: a step of conn-id
  0 adopts the first new conn-id that comes.  strongSwan's ``parsed ...`` line (or its failure to
  decrypt) joins the oldest received message of its IKE_SA not parsed yet: a worker thread may log
  the next packet before the summary of this one;
* strongSwan's socket thread logs each datagram it reads (``12[NET] received packet: from A[p] to B[q]``,
  no IKE_SA, no size) before a worker logs the same message (``<1> received packet ... (180 bytes)``),
  with other threads' lines between: that line is moved to the worker line's step, the oldest unclaimed
  one of the same endpoints (UDP-encapsulated ESP, ``parsed ESP header``, claims its own line);
* pasted ``show`` output becomes a step of its own (role: the command);
* events before the first step of a file form a step without a message (role "");
* lines that build the next message this device sends go to that message's step
  (:func:`_move_builders`): after a received message's processing, or in the preamble, IOS logs
  ``Send initial contact``, ``SA is doing ... authentication``, its own ID payload and ``beginning
  Quick Mode exchange, M-ID of X``, ASA ``constructing ... payload``, strongSwan ``sending ... vendor
  ID`` and ``initiating ...`` before the packet (or ``generating``) line of the message they build;
  the next step of the same context gets them when it is sent (of message ID X, when named; IOS
  ``set new node X`` likewise), passing over an IKEv2 response to the step's own request (the response
  to message ID 2 may come while the request of message ID 3 is built: sample 05's delete);
* an IOS step without a packet line that begins an exchange (``beginning Main Mode exchange``) and then
  processes a received message (a log without MM1's packet line: sample 09) is cut before the first
  received payload: the lines before it are MM1's (AM1's, QM1's), a step not logged;
* IOS ends a phase 1 message's processing after an Informational that came meanwhile (sample 09: the
  RESPONDER_LIFETIME notify, then ``IKE_I_MM6 -> IKE_P1_COMPLETE``): those internal transitions go back
  to the phase 1 message's step;
* a step without a packet line that holds a failed attempt and then a new one (IOS: "No pre-shared
  key", then ``set new node 0`` minutes later) is cut: the failed attempt is a step of its own, role
  "" and :attr:`Step.note` "an attempt that sent nothing";
* a pasted tcpdump line's step is "out" or "in" when its source or destination is the log's own
  address (the ``local`` address of the file's other events), else its direction is None;
* an ASA error naming a Quick Mode message ID that the step of its context does not have (``QM FSM
  error (..., mess id 0x3012dbd)``) opens a step of that message: each refused Quick Mode is its own
  message (sample 04), and ``Session is being torn down`` ends the IKE SA (the next is another's);
* libreswan's whack output logs only what it sends: the lines after a sent message that end the
  exchange (``Peer ID is``, ``ISAKMP SA established`` after ``sent Main Mode I3``) are the peer's
  answer's (MM6, QM2), a step without a packet line (:func:`_libreswan_answers`).

How a step gets its role, strongest evidence first:

* an IOS state transition (:data:`IOS_NEW_STATE_ROLES`, :data:`IOS_TRANSITION_ROLES`):
  ``Old State = IKE_I_MM4 New State = IKE_I_MM5`` says MM5 was sent.  A transition that names
  another message than the step's splits the step: the message gets a step of its own (``logged``
  False).  Some transitions name two messages: an older IOS initiator goes ``IKE_QM_I_QM1 ->
  IKE_QM_PHASE2_COMPLETE`` on QM2 and sends QM3 at once (the seed): the packet line, when there is
  one, is QM3's, and the other message is added as implied;
* the exchange, request/response flag and payloads of strongSwan's summary line, IKEv2's packet
  lines, ASA's payload list, libreswan's ``I2``/``R1``: :func:`role_of`;
* the IOS packet line's state (``(I) MM_SA_SETUP`` sent is MM3): :data:`IOS_PACKET_ROLES`;
* the order of the exchange: a received message that could not be read (strongSwan: "could not
  decrypt payloads") in phase 1 after MM4 is MM5;
* a teardown that says which received message was refused (ASA ``crypto map policy not found``: QM1).

A tcpdump decode pasted in a daemon's log that fits exactly one of the log's IKE SAs is marked as the
same session (:attr:`LogSa.same_as`, a note on each of its steps).

Then, per IKE SA: a step that repeats the role, direction and message ID of an earlier one is a
retransmission; a step whose packet line repeats an earlier one to the millisecond, of the same message
ID (a document that pastes one block twice, as the seed does) is marked ``duplicate_of`` it; and messages that a later
state proves happened but the log does not show (the seed's initiator starts at MM4) are added as
steps with ``implied`` True and no events, so that MM1..MM6 and QM1..QM3 are complete where the
exchange got that far.
"""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from dissect.gcpolicy import paused_collector

from .model import Event, LogResult, Record

__all__ = ["Step", "LogSa", "Timeline", "LogAnalysis", "timeline", "analyse", "in_stamp_order", "role_of",
           "doubled_records",
           "IOS_NEW_STATE_ROLES", "IOS_TRANSITION_ROLES", "IOS_PACKET_ROLES"]

#: IOS ISAKMP states entered once a message was sent ("out") or received ("in"): new state -> message
IOS_NEW_STATE_ROLES: dict[str, tuple[str, str]] = {
    "IKE_I_MM1": ("MM1", "out"), "IKE_I_MM2": ("MM2", "in"), "IKE_I_MM3": ("MM3", "out"),
    "IKE_I_MM4": ("MM4", "in"), "IKE_I_MM5": ("MM5", "out"), "IKE_I_MM6": ("MM6", "in"),
    "IKE_R_MM1": ("MM1", "in"), "IKE_R_MM2": ("MM2", "out"), "IKE_R_MM3": ("MM3", "in"),
    "IKE_R_MM4": ("MM4", "out"), "IKE_R_MM5": ("MM5", "in"),
    "IKE_I_AM1": ("AM1", "out"), "IKE_R_AM1": ("AM1", "in"), "IKE_R_AM2": ("AM2", "out"),
    "IKE_QM_I_QM1": ("QM1", "out"), "IKE_QM_SPI_STARVE": ("QM1", "in"), "IKE_QM_R_QM2": ("QM2", "out"),
}
#: IOS transitions whose new state alone does not name the message: (old, new) -> (message, direction,
#: the message the peer sends back within the same step, if IOS logs no packet line for it)
IOS_TRANSITION_ROLES: dict[tuple[str, str], tuple[str, str, tuple[str, str] | None]] = {
    ("IKE_R_MM5", "IKE_P1_COMPLETE"): ("MM6", "out", None),
    ("IKE_I_AM1", "IKE_P1_COMPLETE"): ("AM2", "in", ("AM3", "out")),
    ("IKE_R_AM2", "IKE_P1_COMPLETE"): ("AM3", "in", None),
    ("IKE_QM_I_QM1", "IKE_QM_IPSEC_INSTALL_AWAIT"): ("QM2", "in", None),
    ("IKE_QM_I_QM1", "IKE_QM_PHASE2_COMPLETE"): ("QM2", "in", ("QM3", "out")),
    ("IKE_QM_R_QM2", "IKE_QM_PHASE2_COMPLETE"): ("QM3", "in", None),
    ("IKE_QM_IPSEC_INSTALL_AWAIT", "IKE_QM_PHASE2_COMPLETE"): ("QM3", "out", None),
}
#: IOS packet lines: (side letter, direction, the SA's state printed at the end) -> message; the
#: responder's MM_KEY_EXCH sent is MM4, or MM6 once MM5 was received (see :func:`_ios_packet_role`)
IOS_PACKET_ROLES: dict[tuple[str, str, str], str] = {
    ("I", "out", "MM_NO_STATE"): "MM1", ("I", "in", "MM_NO_STATE"): "MM2",
    ("I", "out", "MM_SA_SETUP"): "MM3", ("I", "in", "MM_SA_SETUP"): "MM4",
    ("I", "out", "MM_KEY_EXCH"): "MM5", ("I", "in", "MM_KEY_EXCH"): "MM6",
    ("R", "in", "NEW SA"): "MM1", ("R", "in", "MM_NO_STATE"): "MM1", ("R", "out", "MM_SA_SETUP"): "MM2",
    ("R", "in", "MM_SA_SETUP"): "MM3", ("R", "out", "MM_KEY_EXCH"): "MM4", ("R", "in", "MM_KEY_EXCH"): "MM5",
}
#: IOS inputs that say a message was an Informational exchange
_IOS_INFO_INPUTS = frozenset({"IKE_INFO_NOTIFY", "IKE_INFO_DELETE", "IKE_INFO_HASH"})

#: exchange names as the parsers write them -> the exchange family of the roles
_EXCHANGES = {
    "ID_PROT": "MM", "MAIN": "MM", "AGGRESSIVE": "AM", "QUICK_MODE": "QM", "INFORMATIONAL_V1": "INFO",
    "TRANSACTION": "TRANSACTION", "IKE_SA_INIT": "IKE_SA_INIT", "IKE_AUTH": "IKE_AUTH",
    "CREATE_CHILD_SA": "CREATE_CHILD_SA", "INFORMATIONAL": "INFORMATIONAL", "IKE_INTERMEDIATE": "IKE_INTERMEDIATE",
}
_IKEV2 = frozenset({"IKE_SA_INIT", "IKE_AUTH", "CREATE_CHILD_SA", "INFORMATIONAL", "IKE_INTERMEDIATE"})
#: payload names (of all parsers) by what they say about a message
_SA_NAMES = frozenset({"SA", "ISAKMP SA"})
_KE_NAMES = frozenset({"KE", "No", "NONCE", "Ni", "Nr", "ke", "nonce"})
_ID_NAMES = frozenset({"ID", "HASH", "SIG", "CERT", "IDi", "IDr", "AUTH"})
_INFO_NAMES = frozenset({"NOTIFY", "N", "DELETE", "D"})
_PHASE1_FIRST = frozenset({"MM1", "AM1", "IKE_SA_INIT request"})
#: strongSwan: received messages of one IKE_SA whose "parsed" line may still come (a worker thread may log
#: the next packet before the summary of this one); older ones were never parsed (a log level without them)
_IN_FLIGHT = 2
#: seconds a line may be written after lines stamped later (threads waiting for the log's lock); a stamp
#: further back starts a new run of the file (:func:`in_stamp_order`)
_STAMP_SLACK = 2.0
#: strongSwan: seconds a worker may take to log the datagram the socket thread received before it
_SOCKET_WAIT = 2.0
_ORDER = {f"{x}{n}": i for x, base in (("MM", 0), ("AM", 10), ("QM", 20)) for n, i in
          zip(range(1, 7), range(base, base + 6))}


@dataclass
class Step:
    """One IKE message as the log shows it being sent or processed.

    role          MM1..MM6, AM1..AM3, QM1..QM3, INFO, TRANSACTION, ``IKE_AUTH request``...; the
                  ``show`` command for pasted show output; "" when the log does not say (events
                  before the first message of a file, a packet line nothing explains)
    direction     "out" (the log's device sent it), "in" (received), or None (a pasted tcpdump line,
                  show output)
    file          the log's name; ``peer`` the other end's address (text) when known
    conn_id       IOS conn-id / strongSwan IKE_SA number / IKEv2 SA ID, or None
    message_id    uint32 (0 in phase 1), or None when the log does not say
    exchange      ID_PROT, AGGRESSIVE, QUICK_MODE, INFORMATIONAL_V1, TRANSACTION, IKE_AUTH..., or ""
    events        the events of the message, in log order (none for an implied step)
    logged        a packet line (or strongSwan's summary line) for the message is in the log
    implied       added because a later state proves the message happened (no events)
    retransmission  the message repeats an earlier step of the same IKE SA
    duplicate_of  index of the step whose lines this one repeats to the millisecond (a pasted copy)
    sa            index of its :class:`LogSa` in :attr:`Timeline.sas`, or None (show output, preamble)
    note          what the log says about the step beyond its role: "an attempt that sent nothing" for
                  an exchange the device gave up before its first packet (IOS "No pre-shared key");
                  "refused: <reason>" for a received message the device refused (ASA "crypto map policy
                  not found"); for a pasted tcpdump line of a session the log negotiates, the line of the
                  same message in the log (:func:`_same_sessions`); else ""
    """
    role: str = ""
    direction: str | None = None
    file: str = ""
    peer: str | None = None
    conn_id: int | None = None
    message_id: int | None = None
    exchange: str = ""
    events: list[Event] = field(default_factory=list)
    logged: bool = False
    implied: bool = False
    retransmission: bool = False
    duplicate_of: int | None = None
    sa: int | None = None
    note: str = ""
    # how the step came about, for the grouping (not part of the result's meaning)
    family: str = ""
    side: str = ""               # IOS's I/R letter of the packet line
    awaiting_packet: bool = False
    role_source: str = ""        # "transition", "summary", "packet", "order"

    @property
    def first_line(self) -> int | None:
        return self.events[0].record.line if self.events else None

    @property
    def lines(self) -> list[tuple[str, int, int]]:
        """(file, first line, last line) of each record, in order, without repeats."""
        seen: dict[tuple[str, int], int] = {}
        for e in self.events:
            r = e.record
            seen.setdefault((r.file, r.line), r.last_line)
        return [(f, line, last) for (f, line), last in seen.items()]

    def to_dict(self) -> dict[str, Any]:
        return {"role": self.role, "direction": self.direction, "file": self.file, "peer": self.peer,
                "conn_id": self.conn_id, "message_id": self.message_id, "exchange": self.exchange or None,
                "logged": self.logged, "implied": self.implied, "retransmission": self.retransmission,
                "duplicate_of": self.duplicate_of, "sa": self.sa, "note": self.note or None,
                "log": [{"file": f, "line": a, "last_line": b} for f, a, b in self.lines]}


@dataclass
class LogSa:
    """One IKE SA as a log negotiates it: its peer, the log's device's part in it, its steps.

    role     "initiator" or "responder" of phase 1 (the log's device), or "" when the log does not say
    version  1 or 2
    steps    indexes into :attr:`Timeline.steps`, in log order (implied steps included)
    same_as  index of the other :class:`LogSa` that is this same session seen another way (a tcpdump decode
             pasted in the file of a daemon's log: :func:`_same_sessions`), or None
    """
    index: int
    file: str
    peer: str | None
    role: str = ""
    version: int = 1
    conn_ids: list[int] = field(default_factory=list)
    steps: list[int] = field(default_factory=list)
    same_as: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"sa": self.index, "file": self.file, "peer": self.peer, "role": self.role or None,
                "version": self.version, "conn_ids": self.conn_ids, "steps": self.steps, "same_as": self.same_as}


@dataclass
class Timeline:
    """The steps of the logs in order (file by file, each in log order) and the IKE SAs they form."""
    steps: list[Step] = field(default_factory=list)
    sas: list[LogSa] = field(default_factory=list)

    def pairs(self) -> list[tuple[str, list[Event]]]:
        """(role label, events) per step: the plain form of the timeline."""
        return [(s.role, s.events) for s in self.steps]

    def roles(self, sa: int) -> list[str]:
        """The roles of one IKE SA's steps, in order, without retransmissions and pasted copies."""
        return [self.steps[i].role for i in self.sas[sa].steps
                if not self.steps[i].retransmission and self.steps[i].duplicate_of is None]


@dataclass
class LogAnalysis:
    """What :func:`analyse` gives: the timeline and the findings (:class:`correlate.findings.Finding`)."""
    timeline: Timeline
    findings: list = field(default_factory=list)


# --------------------------------------------------------------------------- roles from what a log says

def role_of(exchange: str, from_initiator: bool | None, payloads: Iterable[str] = (),
            first_of_mid: bool = True) -> str:
    """The role of a message from its exchange (as the parsers name it), whether the IKE SA's (or, in
    Quick Mode and Transaction, the exchange's) initiator sent it, and its payload names.

    IKEv1 (RFC 2409 §5): Main Mode SA -> MM1/MM2, KE/nonce -> MM3/MM4, ID/HASH or nothing readable
    (encrypted) -> MM5/MM6, the odd number from the initiator; Aggressive Mode likewise AM1..AM3; Quick
    Mode QM1 (initiator, SA), QM2 (responder), QM3 (initiator, HASH alone; ``first_of_mid`` False for a
    later message of the same message ID); INFO, TRANSACTION.  IKEv2 (RFC 7296 §1.2): ``<EXCHANGE>
    request|response``.  "" when the exchange is unknown or the sender is unknown where it matters."""
    kind = _EXCHANGES.get(exchange.upper() if exchange else "", "")
    names = set(payloads)
    if kind in ("INFO", "TRANSACTION"):
        return kind
    if kind in _IKEV2:
        return "" if from_initiator is None else f"{kind} {'request' if from_initiator else 'response'}"
    if from_initiator is None:
        return ""
    if kind == "MM":
        n = 1 if names & _SA_NAMES else 3 if names & _KE_NAMES and not names & _ID_NAMES else 5
        return f"MM{n if from_initiator else n + 1}"
    if kind == "AM":
        if not from_initiator:
            return "AM2"
        return "AM1" if names & _SA_NAMES or not names else "AM3"
    if kind == "QM":
        if not from_initiator:
            return "QM2"
        return "QM1" if names & _SA_NAMES or (first_of_mid and not names) else "QM3"
    return ""


# --------------------------------------------------------------------------- cutting a log into steps

def _is_show(e: Event) -> bool:
    return e.record.family == "show" or e.kind == "sa_status"


#: the kinds of the events that may open a step (:func:`_opens_step`)
_OPENING_KINDS = frozenset({"packet", "payload", "info"})


def _opens_step(e: Event) -> str:
    """Why an event starts a message of its own: "packet", "summary" (strongSwan's generating line),
    "retransmit" (a note that a message is sent again), or ""."""
    if e.kind == "packet":
        return "retransmit" if e.detail.get("retransmission") and e.record.family == "ios" else "packet"
    if e.record.family == "strongswan":
        if e.kind == "payload" and e.exchange and e.direction == "out":
            return "summary"
        if e.kind == "info" and isinstance(e.detail.get("retransmit"), int):
            return "retransmit"
    return ""


def _other_exchange(e: Event, context: Step | None) -> bool:
    """An ASA error that names a Quick Mode's message ID (``QM FSM error (..., mess id 0x3012dbd)``) no
    step of its context has: the log shows that exchange only by its failure (sample 04: four Quick Modes
    refused, one line of each), so it is a message of its own."""
    if e.record.family != "asa" or e.kind != "error" or e.exchange != "QUICK_MODE" or e.message_id is None:
        return False
    return context is None or (context.message_id if context.message_id is not None
                               else _first_mid(context.events)) != e.message_id


def _new_step(e: Event, why: str) -> Step:
    r = e.record
    peer = e.peer
    if peer is None and e.detail.get("src") and e.detail.get("dst"):  # a tcpdump line: the pair
        peer = "-".join(sorted((e.detail["src"], e.detail["dst"])))
    return Step(direction=e.direction or ("out" if why == "retransmit" else None), file=r.file, peer=peer,
                conn_id=e.conn_id, message_id=e.message_id, exchange=e.exchange, events=[e],
                logged=why == "packet", family=r.family if e.facility != "tcpdump" else "tcpdump",
                side=str(e.detail.get("role") or "") if r.family == "ios" else "",
                awaiting_packet=why in ("summary", "retransmit"), retransmission=why == "retransmit")


class _Cutter:
    """Walks the events once and cuts them into steps (see the module doc)."""

    def __init__(self, doubled: set[int] = frozenset()) -> None:
        self.doubled = doubled  # records that repeat the line above them (:func:`doubled_records`)
        self.steps: list[Step] = []
        self.by_conn: dict[tuple[str, int], Step] = {}
        self.by_peer: dict[tuple[str, str], Step] = {}
        self.last: dict[str, Step] = {}       # the latest step of each file (a show step too)
        self.last_msg: dict[str, Step] = {}   # the latest step of each file that is not show output
        self.preamble: dict[str, Step] = {}
        self.show: dict[str, Step] = {}
        self.initiating: dict[str, int] = {}  # file -> conn_id of strongSwan's last "initiating ... IKE_SA x[N]"
        #: strongSwan: received packets whose "parsed ..." line has not come yet, per (file, conn_id), oldest
        #: first (a worker thread may log the packet of the next message before the summary of this one)
        self.unparsed: dict[tuple[str, int | None], list[Step]] = {}
        #: strongSwan: the socket thread's "received packet" lines not yet claimed by the worker's line of
        #: the same datagram, per (file, endpoints), with the step each was put in meanwhile
        self.sockets: dict[tuple, list[tuple[Event, Step]]] = {}

    def add(self, e: Event) -> None:
        file, family = e.record.file, e.record.family
        if id(e.record) in self.doubled and file in self.last:
            self.last[file].events.append(e)  # the line above written twice: its step, no other message
            return
        if _is_show(e):
            step = self.show.get(file)
            if step is None or step is not self.last.get(file):  # show output pasted after other lines: a new step
                step = Step(role=e.facility if family == "show" else "status", file=file, peer=e.peer,
                            family="show")
                self.steps.append(step)
                self.show[file] = step
                self.last[file] = step
            step.events.append(e)
            return
        if family == "strongswan" and e.detail.get("initiating") is True and e.conn_id is not None:
            self.initiating[file] = e.conn_id
        why = _opens_step(e) if e.kind in _OPENING_KINDS else ""
        if not why and family == "asa" and _other_exchange(e, self._context(e)):
            why = "exchange"
        if why:
            pending = self._pending(e) if why == "packet" and e.direction == "out" else None
            if pending is not None:
                pending.events.append(e)
                pending.logged, pending.awaiting_packet = True, False
                pending.peer = pending.peer or e.peer
                if pending.message_id is None:
                    pending.message_id = e.message_id
                self._remember(pending, e)
                return
            step = _new_step(e, why)
            socket = self._socket_line(e) if why == "packet" and e.direction == "in" else None
            if socket is not None:
                step.events.insert(0, socket)
            if why == "summary" and file in self.initiating:
                step.conn_id = self.initiating.pop(file)  # a re-authentication's MM1 is logged by the old IKE_SA
            self.steps.append(step)
            self._remember(step, e)
            if step.family == "strongswan" and step.direction == "in":
                queue = self.unparsed.setdefault((file, e.conn_id), [])
                queue.append(step)
                del queue[:-_IN_FLIGHT]  # an older one that was never parsed will not be
            return
        step = self._unparsed(e) or self._context(e)
        if step is None:
            step = self.preamble.get(file)
            if step is None:
                step = self.preamble[file] = Step(file=file, family=family)
                self.steps.append(step)
                self.last[file] = self.last_msg[file] = step
        step.events.append(e)
        if family == "strongswan":
            if _socket_received(e):
                self.sockets.setdefault(_endpoints(e), []).append((e, step))
                return
            if e.detail.get("esp") is True:
                self._esp_datagram(e)
        if step.family == "strongswan" and e.kind == "payload" and e.exchange and e.direction == "in":
            step.logged = True  # "parsed ..." is the summary line of a received message
        if not step.exchange and e.exchange and e.kind in ("packet", "payload"):
            step.exchange = e.exchange  # (a received message's packet line names none; its summary line does)
        if e.conn_id not in (None, 0) and step.conn_id in (None, 0):
            step.conn_id = e.conn_id  # IOS: phase 1 runs under conn-id 0 until MM4
            self.by_conn[(file, e.conn_id)] = step
        if step.peer is None and e.peer is not None and step.family != "show":
            step.peer = e.peer

    def _socket_line(self, e: Event) -> Event | None:
        """strongSwan: the socket thread's ``received packet`` line of the datagram whose worker line ``e``
        is, taken out of the step it was put in: the oldest unclaimed line of the same endpoints (the
        socket thread reads datagrams in order, and a worker takes an IKE_SA's messages in that order)
        that is not older than :data:`_SOCKET_WAIT` (a datagram no worker logged: an older line stays
        where it is)."""
        queue = self.sockets.get(_endpoints(e))
        while queue:
            socket, holder = queue.pop(0)
            t0, t1 = socket.record.time, e.record.time
            if t0 is not None and t1 is not None and (t1 - t0).total_seconds() > _SOCKET_WAIT:
                continue
            holder.events.remove(socket)
            return socket
        return None

    def _esp_datagram(self, e: Event) -> None:
        """strongSwan (kernel-libipsec): ``parsed ESP header`` says the latest datagram the socket thread
        received on UDP 4500 was ESP, not an IKE message: no worker line will claim its line."""
        latest = max((q[-1] for q in self.sockets.values() if q and q[-1][0].record.file == e.record.file
                      and 4500 in (q[-1][0].peer_port, q[-1][0].local_port)),
                     key=lambda item: item[0].record.line, default=None)
        if latest is not None:
            self.sockets[_endpoints(latest[0])].pop()

    def _unparsed(self, e: Event) -> Step | None:
        """strongSwan: the received message a "parsed ..." line (or a failure to parse) is about, the
        oldest one not yet parsed; it becomes the current step of its IKE_SA."""
        if e.record.family != "strongswan":
            return None
        summary = e.kind == "payload" and e.exchange and e.direction == "in"
        failure = e.kind == "error" and e.detail.get("error") in ("decryption failed", "message parsing failed",
                                                                  "integrity check failed")
        if not (summary or failure):
            return None
        queue = self.unparsed.get((e.record.file, e.conn_id))
        if not queue:
            return None
        step = queue[0]
        if summary or e.detail.get("error") == "message parsing failed":
            queue.pop(0)
        self.last[e.record.file] = self.last_msg[e.record.file] = step
        if e.conn_id is not None:
            self.by_conn[(e.record.file, e.conn_id)] = step
        return step

    def _pending(self, e: Event) -> Step | None:
        """The step a sent packet completes: strongSwan's generating line or a retransmission note
        before it, in the same file and IKE_SA."""
        step = self.last.get(e.record.file)
        if step is None or not step.awaiting_packet:
            step = self.by_conn.get((e.record.file, e.conn_id)) if e.conn_id is not None else None
        if step is not None and step.awaiting_packet and (
                step.conn_id in (e.conn_id, None) or any(x.conn_id == e.conn_id for x in step.events)):
            return step  # a re-authentication's MM1: the old IKE_SA logs both lines, the step has the new one
        return None

    def _remember(self, step: Step, e: Event) -> None:
        file = e.record.file
        self.last[file] = self.last_msg[file] = step
        if step.conn_id not in (None, 0):
            self.by_conn[(file, step.conn_id)] = step
        if e.conn_id not in (None, 0):
            self.by_conn[(file, e.conn_id)] = step
        if step.peer:
            self.by_peer[(file, step.peer)] = step

    def _context(self, e: Event) -> Step | None:
        file = e.record.file
        if e.conn_id not in (None, 0):
            step = self.by_conn.get((file, e.conn_id))
            if step is not None:
                return step
        if e.peer is not None and e.record.family == "asa":
            step = self.by_peer.get((file, e.peer))
            if step is not None:
                return step
        return self.last_msg.get(file)


def _socket_received(e: Event) -> bool:
    """strongSwan's socket thread logging a datagram it received (``12[NET] received packet: from A[p] to
    B[q]``, no IKE_SA, no size): another thread than the one that processes the message logs it."""
    return e.record.family == "strongswan" and e.kind == "info" and e.direction == "in" and bool(
        e.detail.get("socket"))


def _endpoints(e: Event) -> tuple:
    return e.record.file, e.peer, e.peer_port, e.local, e.local_port


# --------------------------------------------------------------------------- lines that build the next message

#: a failure before the first packet of an attempt: the attempt sent nothing
_NOTHING_SENT = "an attempt that sent nothing"


def _starts_attempt(e: Event) -> bool:
    """An event that opens a new negotiation: IOS's ``set new node 0 to QM_IDLE`` (a new phase 1 SA),
    strongSwan's and libreswan's ``initiating ...``."""
    if e.kind == "state" and e.record.family == "ios":
        return e.detail.get("node") == 0 and e.old_state is None
    return e.detail.get("initiating") is True


def _split_attempts(steps: list[Step]) -> list[Step]:
    """A step without a packet line that holds an attempt which failed before it sent anything (errors,
    then a new attempt: sample 03's "No pre-shared key", then the MM1 three minutes later) is cut
    before the new attempt; the failed part becomes a step of its own, role "" and :data:`_NOTHING_SENT`."""
    out: list[Step] = []
    for step in steps:
        if step.logged or step.family == "show" or step.direction is not None:
            out.append(step)
            continue
        start, failed = 0, False
        events = step.events
        for i, e in enumerate(events):
            if i > start and failed and _starts_attempt(e):
                out.append(Step(file=step.file, peer=step.peer, conn_id=step.conn_id, family=step.family,
                                events=events[start:i], note=_NOTHING_SENT))
                start, failed = i, False
            failed = failed or e.kind == "error"
        if start:
            step.events = events[start:]
        out.append(step)
    return out


def _builds(e: Event, before: Event | None) -> bool:
    """An event that constructs or announces a message this device is about to send (``before``: the
    event before it in its step): ASA ``constructing ... payload`` and ``Send ... VID``, IOS ``Send
    initial contact``, ``SA is doing ... authentication``, ``beginning ... Mode exchange`` and its own
    ID payload (one not right after ``processing ID payload``), strongSwan ``sending ... vendor ID``,
    ``sending DELETE``, ``sending DPD request``, ``initiating ...``, IOS IKEv2 ``Sending DELETE INFO``,
    ``Generating IKE_SA_INIT message`` (the offer's ``IKE Proposal`` lines follow) and ``Building packet for
    encryption``, and
    IOS ``set new node N`` after a received message's processing (:func:`_move_builders` gives it only
    to a message of ID N)."""
    text = e.message.lower()
    if e.kind == "payload":
        if text.startswith("construct"):
            return True
        if e.detail.get("payload") == "ID" and e.record.family == "ios":
            return not (before is not None and before.kind == "payload"
                        and before.detail.get("action") == "processing")
        return False
    if e.kind == "notify":
        return e.direction == "out"
    if e.kind == "info":
        if e.detail.get("id_type") and e.detail.get("authentication"):
            return True  # IOS "SA is doing pre-shared key authentication using id type ..."
        if text.startswith("beginning ") or e.detail.get("dpd") == "request":
            return True
        if e.facility == "IKEv2" and text.startswith("building packet"):
            return True  # IOS IKEv2 "Building packet for encryption. Payload contents: ..." of the next request
        if e.facility == "IKEv2" and text.startswith("generating ") and text.endswith(" message"):
            return True  # IOS IKEv2 "Generating IKE_SA_INIT message", then its "IKE Proposal: 1 ..." offer
        if e.detail.get("vendor_id") and text.startswith("send"):
            return True
        if e.record.family == "asa" and e.detail.get("role") == "initiator" and e.detail.get("phase") == 1:
            return True  # ASA "IKE Initiator: New Phase 1"
        return e.detail.get("initiating") is True
    if e.kind == "sa_deleted":
        return e.detail.get("delete") is True or text.startswith(("delete sent", "sending delete"))
    if e.kind == "state":
        if e.record.family == "ios" and e.old_state is None and e.detail.get("node") and "input" not in e.detail:
            return True  # IOS "set new node N to QM_IDLE": the message ID of the message it is about to send
        return e.detail.get("initiating") is True
    return False


def _receipt(e: Event) -> bool:
    """An event about a message that was received, or a packet line: what comes before the building of
    the next message."""
    if e.kind == "packet":
        return True
    if e.kind in ("payload", "notify") and (e.direction == "in" or e.detail.get("action") == "processing"):
        return True
    t = _transition_role(e) if e.kind == "state" else None
    return t is not None and t[1] == "in"


def _generating(e: Event) -> bool:
    """strongSwan's ``generating EXCHANGE request|response MID [ ... ]``: the line of a sent message."""
    return e.kind == "payload" and bool(e.exchange) and e.direction == "out" and e.record.family == "strongswan"


def _build_start(step: Step) -> int | None:
    """Where the lines that build the next outgoing message start in a step: the first building event
    after the last line about the step's own message; None when there is none."""
    events = step.events
    last = next((i for i in range(len(events) - 1, -1, -1) if _receipt(events[i]) or _generating(events[i])), -1)
    if last < 0 and (step.direction == "out" or step.awaiting_packet):
        return None  # lines before a sent message's own line are its own
    for i in range(last + 1, len(events)):
        if _builds(events[i], events[i - 1] if i else None):
            return i
    return None


def _same_context(a: Step, b: Step, marker: Event) -> bool:
    """Two steps of one file that a building line may pass between: the same family, no other conn-id
    (IOS conn-id 0 is the phase 1 before MM4), no other peer."""
    if a.file != b.file or a.family != b.family:
        return False
    conns = {c for c in [b.conn_id] + [e.conn_id for e in b.events] if c not in (None, 0)}
    mine = {c for c in (a.conn_id, marker.conn_id) if c not in (None, 0)}
    if conns and mine and not conns & mine:
        return False
    return a.peer is None or b.peer is None or a.peer == b.peer


def _move_builders(steps: list[Step]) -> list[Step]:
    """The lines that build a message go to the step of that message (rule of the module doc): after a
    received message's processing, IOS logs the construction of its answer (``Send initial contact``,
    its own ID payload) and ASA its ``constructing ...`` lines before the packet line of the answer.
    The next step of the same context gets them when it is a message this device sends (and, when the
    first building line names a message ID, ``beginning Quick Mode exchange, M-ID of X``, one of that
    ID); a step left empty (a preamble that only prepared MM1) is dropped."""
    for i, step in enumerate(steps):
        if step.family == "show" or not step.events:
            continue
        cut = _build_start(step)
        if cut is None:
            continue
        marker = step.events[cut]
        target = None
        for j in range(i + 1, len(steps)):
            nxt = steps[j]
            if nxt.file != step.file or nxt.family == "show" or not _same_context(step, nxt, marker):
                continue
            if _answers(nxt, step):
                continue
            if nxt.direction == "out" or nxt.awaiting_packet:
                mid = marker.message_id
                if mid in (None, 0) or _first_mid(nxt.events) in (None, mid):
                    target = nxt
            break
        if target is not None:
            target.events[:0] = step.events[cut:]
            del step.events[cut:]
    return [s for s in steps if s.events or s.implied or s.family == "show"]


def _answers(reply: Step, request: Step) -> bool:
    """An IKEv2 response to the request of another step (same message ID, RFC 7296 §2.1): with a window
    it may come while the next request is being built, so building lines pass over it."""
    def flag(step: Step) -> bool | None:
        e = next((x for x in step.events if x.kind in ("packet", "payload") and x.exchange in _IKEV2
                  and "request" in x.detail), None)
        return None if e is None else bool(e.detail["request"])
    return (reply.direction == "in" and request.direction == "out" and reply.message_id is not None
            and reply.message_id == request.message_id and flag(request) is True and flag(reply) is False)


def _tcpdump_directions(steps: list[Step]) -> None:
    """A pasted tcpdump line's step: "out" when its source is the log's own address (the ``local`` of
    the file's other events), "in" when its destination is; None when the log does not say whose it is."""
    own: dict[str, set[str]] = {}
    for step in steps:
        if step.family not in ("tcpdump", "show"):
            own.setdefault(step.file, set()).update(e.local for e in step.events if e.local)
    for step in steps:
        if step.family != "tcpdump" or not step.events:
            continue
        d = step.events[0].detail
        mine = own.get(step.file, set())
        step.direction = "out" if d.get("src") in mine else "in" if d.get("dst") in mine else None


# --------------------------------------------------------------------------- IOS transitions

def _transition_role(e: Event) -> tuple[str, str, tuple[str, str] | None] | None:
    """The message an IOS state transition says was sent or received, or None; a transition to the
    same state names none (see :func:`_state_role` for a step without a packet line)."""
    if e.kind != "state" or e.old_state is None or e.state is None or e.old_state == e.state:
        return None
    known = IOS_TRANSITION_ROLES.get((e.old_state, e.state))
    if known is not None:
        return known
    new = IOS_NEW_STATE_ROLES.get(e.state)
    return (new[0], new[1], None) if new else None


def _state_role(e: Event) -> tuple[str, str] | None:
    """The message a step without a packet line was about, from any state it mentions (IOS: the state
    ``IKE_I_MM2`` says MM2 was received, even in a transition to itself)."""
    if e.kind != "state" or e.state is None:
        return None
    t = _transition_role(e)
    if t is not None:
        return t[0], t[1]
    return IOS_NEW_STATE_ROLES.get(e.state)


def _split_ios(steps: list[Step]) -> list[Step]:
    """IOS steps whose transitions name two messages are cut in two (module doc); a transition that
    implies the peer's answer in the same breath (an older IOS initiator completes Quick Mode on QM2
    and logs no packet line for QM3) adds an implied step for it."""
    out: list[Step] = []
    for step in steps:
        if step.family != "ios" or step.role:
            out.append(step)
            continue
        current, confirmed, answer = step, None, None
        events, current.events = step.events, []
        for e in events:
            t = _transition_role(e)
            if t is not None:
                role, direction, also = t
                if confirmed is not None and role != confirmed:
                    cut = _split_point(current)
                    moved, current.events = current.events[cut:], current.events[:cut]
                    out.append(current)
                    out.extend(_answer(current, answer))
                    current = Step(direction=direction, file=step.file, peer=step.peer,
                                   conn_id=e.conn_id or step.conn_id, family="ios", side=step.side, events=moved)
                    confirmed = answer = None
                if confirmed is None and (current.direction in (None, direction) or not current.logged):
                    current.role, current.direction, current.role_source = role, direction, "transition"
                    confirmed, answer = role, also
                elif confirmed is None and also is not None and also[1] == current.direction:
                    # the packet line is the answer's (QM3 sent on QM2): the message before it is implied
                    out.append(Step(role=role, direction=direction, file=step.file, peer=step.peer,
                                    conn_id=current.conn_id, message_id=_first_mid([e]) or _first_mid(events),
                                    family="ios", side=step.side, implied=True, role_source="transition"))
                    current.role, current.role_source = also[0], "transition"
                    confirmed = also[0]
            current.events.append(e)
        out.append(current)
        out.extend(_answer(current, answer))
    return out


#: IOS "beginning <mode> exchange": the first message of that exchange, which this device sends
_BEGINS = {"ID_PROT": "MM1", "AGGRESSIVE": "AM1", "QUICK_MODE": "QM1"}


def _split_preparation(steps: list[Step]) -> list[Step]:
    """An IOS step without a packet line that begins an exchange (``beginning Main Mode exchange``) and
    then processes a received message (a log whose packet line of MM1 is missing: sample 09): the lines
    before the first received payload prepared the first message of the exchange, sent by this device
    (MM1, AM1, QM1): they are a step of its own, not logged; the rest is the received message's."""
    out: list[Step] = []
    for step in steps:
        if step.family != "ios" or step.logged or step.direction is not None or step.role:
            out.append(step)
            continue
        begin = next((i for i, e in enumerate(step.events)
                      if e.kind == "info" and e.exchange in _BEGINS and e.message.lower().startswith("beginning ")),
                     None)
        receipt = next((i for i, e in enumerate(step.events) if _receipt(e)), None)
        if begin is None or receipt is None or receipt < begin:
            out.append(step)
            continue
        marker = step.events[begin]
        mid = marker.message_id if marker.exchange == "QUICK_MODE" else 0
        out.append(Step(role=_BEGINS[marker.exchange], direction="out", file=step.file, peer=step.peer,
                        conn_id=step.conn_id, message_id=mid, exchange=marker.exchange,
                        events=step.events[:receipt], family="ios", role_source="order"))
        step.events = step.events[receipt:]
        out.append(step)
    return out


def _return_phase1_ends(steps: list[Step]) -> None:
    """IOS finishes a phase 1 message's processing after an Informational that came meanwhile (sample 09:
    RESPONDER_LIFETIME right after MM6, then ``IKE_PROCESS_MAIN_MODE`` and ``IKE_I_MM6 -> IKE_P1_COMPLETE``):
    the internal transitions out of a Main/Aggressive Mode state that follow the Informational's own
    transition go back to the latest earlier step of the same conn-id with a phase 1 transition."""
    for i, step in enumerate(steps):
        if step.family != "ios":
            continue
        info = next((k for k, e in enumerate(step.events)
                     if e.kind == "state" and e.detail.get("event") in _IOS_INFO_INPUTS), None)
        if info is None:
            continue
        start = next((k for k in range(info + 1, len(step.events)) if step.events[k].old_state is not None), None)
        if start is None:
            continue
        end = start + 1
        while end < len(step.events) and _phase1_internal(step.events[end]):
            end += 1
        run = step.events[start + 1:end]
        if not any(e.old_state for e in run):
            continue
        conn = step.conn_id
        target = next((s for s in reversed(steps[:i]) if s.file == step.file and s.family == "ios"
                       and s.conn_id in (conn, None, 0) and any(
                           (t := _transition_role(e)) is not None and t[0][:2] in ("MM", "AM") for e in s.events)),
                      None)
        if target is None:
            continue
        target.events.extend(run)
        del step.events[start + 1:end]


def _phase1_internal(e: Event) -> bool:
    """An IOS ``Input = IKE_MESG_INTERNAL, ...`` line or a transition out of a Main/Aggressive Mode state."""
    if e.kind != "state" or e.message_id is not None:
        return False
    if e.old_state is not None:
        return e.old_state.startswith(("IKE_I_MM", "IKE_R_MM", "IKE_I_AM", "IKE_R_AM"))
    return e.detail.get("input") == "IKE_MESG_INTERNAL"


#: libreswan: a message this device sent -> the peer's answer, which whack output shows only by what its
#: processing logs (``Peer ID is ...``, ``ISAKMP SA established``), and the message sent at once on it
_LIBRESWAN_ANSWERS: dict[str, tuple[str, str | None]] = {
    "MM5": ("MM6", None), "AM1": ("AM2", "AM3"), "AM2": ("AM3", None), "QM1": ("QM2", "QM3"), "QM2": ("QM3", None)}


def _libreswan_answers(steps: list[Step]) -> list[Step]:
    """libreswan's whack output logs the messages it sends (``sent Main Mode I3``) but not those it
    receives: the lines after a sent message that end its exchange (``ISAKMP SA established`` after
    ``sent Main Mode I3``; ``IPsec SA established`` after ``sent Quick Mode request``), with the peer's ID
    before them, are the processing of the peer's answer (MM6, QM2: RFC 2409 §5), a step of its own, not
    logged; the message sent at once on that answer (QM3, AM3) is added as implied.  A responder's SA
    established after its last message (MM6 sent) stays in that message's step."""
    out: list[Step] = []
    for step in steps:
        out.append(step)
        if step.family != "libreswan" or step.direction != "out" or not step.logged:
            continue
        answer = _LIBRESWAN_ANSWERS.get(_libreswan_role(step))
        pkt = next((i for i, e in enumerate(step.events) if e.kind == "packet"), None)
        if answer is None or pkt is None:
            continue
        done = next((i for i in range(pkt + 1, len(step.events)) if step.events[i].kind == "sa_created"), None)
        if done is None:
            continue
        start = next(i for i in range(pkt + 1, done + 1)
                     if step.events[i].kind == "sa_created" or step.events[i].detail.get("peer_id"))
        moved, step.events = step.events[start:], step.events[:start]
        received = Step(role=answer[0], direction="in", file=step.file, peer=step.peer,
                        conn_id=moved[0].conn_id if moved[0].conn_id is not None else step.conn_id,
                        message_id=step.message_id, exchange=step.exchange, events=moved, family="libreswan",
                        role_source="order")
        out.append(received)
        if answer[1] is not None:
            out.append(Step(role=answer[1], direction="out", file=step.file, peer=step.peer,
                            conn_id=received.conn_id, message_id=step.message_id, exchange=step.exchange,
                            implied=True, family="libreswan", role_source="order"))
    return out


def _answer(step: Step, also: tuple[str, str] | None) -> list[Step]:
    """The implied step of a message a transition says was sent at once, without a packet line."""
    if also is None:
        return []
    return [Step(role=also[0], direction=also[1], file=step.file, peer=step.peer, conn_id=step.conn_id,
                 message_id=_first_mid(step.events), family="ios", side=step.side, implied=True,
                 role_source="transition")]


def _split_point(step: Step) -> int:
    """Where a step's events stop being about its own message: after its transition, the first event
    with another message ID than the step's (``deleting node N``), else the end."""
    mid = _first_mid(step.events)
    seen_transition = False
    for i, e in enumerate(step.events):
        if _transition_role(e) is not None:
            seen_transition = True
            continue
        if seen_transition and e.message_id is not None and e.message_id != mid:
            return i
    return len(step.events)


def _first_mid(events: Iterable[Event]) -> int | None:
    return next((e.message_id for e in events if e.message_id is not None), None)


# --------------------------------------------------------------------------- grouping into IKE SAs

def _summary(step: Step) -> tuple[str, bool | None, list[str]]:
    """(exchange, request flag, payload names) from what the step's lines say: strongSwan's summary
    line, an IKEv2 or ASA packet line, a libreswan status line, an error that names the exchange."""
    exchange, request, payloads = step.exchange, None, []
    for e in step.events:
        if e.kind in ("payload", "packet") and e.exchange and "request" in e.detail:
            exchange, request = e.exchange, bool(e.detail["request"])
            payloads = payloads or list(e.payloads)
        elif e.kind == "packet" and e.payloads and not payloads:
            payloads = list(e.payloads)
            exchange = exchange or e.exchange
        elif e.kind == "error" and e.exchange and "request" in e.detail and request is None:
            exchange, request = e.exchange, bool(e.detail["request"])
        elif e.kind == "packet" and e.exchange and not exchange:
            exchange = e.exchange
    return exchange, request, payloads


def _libreswan_role(step: Step) -> str:
    """libreswan's ``sent Main Mode I2`` (the initiator's second message: MM3), ``R1`` (MM2)..."""
    e = next((x for x in step.events if x.kind == "packet"), step.events[0])
    m = re.fullmatch(r"([IR])(\d)", str(e.detail.get("message") or ""))
    kind = _EXCHANGES.get(e.exchange or "", "")
    if m is None or kind not in ("MM", "AM", "QM"):
        return ""
    n = 2 * int(m[2]) - (1 if m[1] == "I" else 0)
    return f"{kind}{n}" if n <= (6 if kind == "MM" else 3) else ""


def _ios_info(step: Step) -> bool:
    """An IOS message in QM_IDLE (or after MM6) that is an Informational: a notify or delete processed
    under a new message ID."""
    mid = _first_mid(step.events)
    return bool(mid) and any(
        (e.kind == "state" and e.detail.get("event") in _IOS_INFO_INPUTS)
        or (e.kind == "state" and e.detail.get("event") in ("IKE_PHASE1_DEL", "IKE_PHASE2_DEL"))
        or (e.kind == "sa_deleted" and e.message_id == mid and str(e.detail.get("reason", "")).startswith(
            ("Informational", "purged")))
        or (e.kind == "payload" and any(p.upper() in ("NOTIFY", "DELETE") for p in e.payloads))
        for e in step.events)


@dataclass
class _SaState:
    sa: LogSa
    initiator: bool | None = None       # the log's device initiated phase 1
    roles: list[str] = field(default_factory=list)
    last_direction: str | None = None
    qm_starter: dict[int, str] = field(default_factory=dict)  # message ID -> direction of its first message


def _sa_key(step: Step) -> tuple:
    if step.family == "strongswan" or (step.family == "ios" and any(e.facility == "IKEv2" for e in step.events[:1])):
        return step.file, step.family, "conn", step.conn_id
    if step.family == "libreswan":
        conn = next((e.detail.get("conn") for e in step.events if e.detail.get("conn")), None)
        return step.file, step.family, "conn", conn
    if step.family == "ios":
        return step.file, step.family, step.peer, "I" if step.side == "I" else "R" if step.side else ""
    return step.file, step.family, step.peer


def _group(steps: list[Step]) -> list[LogSa]:
    """Assign each message step to an IKE SA and give it its role, walking the steps in order.  An ASA
    step with ``Session is being torn down`` ends its IKE SA: the peer's next message is of a new one."""
    sas: list[LogSa] = []
    open_: dict[tuple, _SaState] = {}
    of_peer: dict[tuple[str, str | None], _SaState] = {}  # (file, peer) -> its latest IKE SA
    latest: dict[str, int] = {}  # charon: file -> the IKE SA unique ID its last step named
    _borrow_peers(steps)
    for i, step in enumerate(steps):
        if step.family == "show" or (not step.events and not step.implied):
            continue
        if not step.logged and not step.implied and step.direction is None and not step.role:
            _role_without_packet(step)
            if not step.role:
                continue  # events before the first message: no IKE SA to put them in
        key = _sa_key(step)
        if step.family == "strongswan":
            if step.conn_id not in (None, 0):
                latest[step.file] = step.conn_id
            elif step.file in latest:  # (ike_name = no: only lines that name "IKE_SA lab[2]" tell the IKE SA,
                key = key[:3] + (latest[step.file],)  # and the lines after them are that IKE SA's)
        if step.family == "libreswan" and not step.events and i and steps[i - 1].sa is not None:
            key = _sa_key(steps[i - 1])  # an implied answer (:func:`_libreswan_answers`): its message's IKE SA
        st = open_.get(key)
        if step.family == "ios" and step.side == "" and st is None:
            st = of_peer.get((step.file, step.peer))  # a packet line without IOS's (I)/(R)
        role = step.role or _provisional(step, st)
        if st is None or (role in _PHASE1_FIRST and st.roles and not _same_first(role, step, st)):
            sa = LogSa(len(sas), step.file, step.peer, version=2 if step.exchange in _IKEV2 or
                       role.startswith(tuple(_IKEV2)) else 1)
            sas.append(sa)
            st = open_[key] = _SaState(sa)
        step.role = role or _by_order(step, st)
        if not step.role:
            step.role = _provisional(step, st)
        _learn(st, step)
        step.sa = st.sa.index
        st.sa.steps.append(i)
        if step.conn_id not in (None, 0) and step.conn_id not in st.sa.conn_ids:
            st.sa.conn_ids.append(step.conn_id)
        if st.sa.peer is None and step.peer is not None:
            st.sa.peer = step.peer
        of_peer[(step.file, step.peer)] = st
        if step.family == "asa" and any(e.detail.get("teardown") for e in step.events):
            del open_[key]  # "Session is being torn down": the IKE SA is gone, the next message is another's
    return sas


def _borrow_peers(steps: list[Step]) -> None:
    """A step without a packet line (a log that starts mid-exchange) takes the peer and side of the
    next packet step of its file and family, so that it joins that IKE SA."""
    for i, step in enumerate(steps):
        if step.logged or step.family not in ("ios", "asa") or (step.peer and (step.side or step.family == "asa")):
            continue
        later = (steps[j] for j in range(i + 1, len(steps)))  # (no copy of the rest: a long log has many)
        nxt = next((s for s in later if s.file == step.file and s.family == step.family and s.logged
                    and s.conn_id in (step.conn_id, None, 0) and (step.peer is None or s.peer in (step.peer, None))),
                   None)
        if nxt is not None:
            step.peer, step.side = step.peer or nxt.peer, step.side or nxt.side


def _same_first(role: str, step: Step, st: _SaState) -> bool:
    """A first message seen again in the same IKE SA is a retransmission (or the packet line of the
    message whose states came first), not a new negotiation, when no other message came since."""
    return bool(st.roles) and st.roles[-1] == role and step.direction == st.last_direction


def _role_without_packet(step: Step) -> None:
    """A step without a packet line (the start of a log cut mid-exchange): the role its states name, or
    the received message a teardown says was refused (ASA ``crypto map policy not found``: the peer's QM1,
    ``detail["refused"]``, :data:`correlate.asa.REFUSALS`)."""
    refused = next((e for e in step.events if e.detail.get("refused")), None)
    if refused is not None:
        step.role, step.direction, step.role_source = str(refused.detail["refused"]), "in", "refusal"
        step.message_id = step.message_id if step.message_id is not None else _first_mid(step.events)
        step.note = f"refused: {refused.detail.get('reason') or refused.message}"
        return
    for e in step.events:
        found = _state_role(e)
        if found is not None:
            step.role, step.direction, step.role_source = found[0], found[1], "transition"
            step.message_id = _first_mid(step.events)
            return


def _provisional(step: Step, st: _SaState | None) -> str:
    """The role a step's own lines give, before the order of its IKE SA is looked at."""
    if step.role:
        return step.role
    if step.family == "libreswan" and step.events:
        return _libreswan_role(step)
    if step.family == "ios" and any(e.facility == "IKEv2" for e in step.events):
        exchange, request, payloads = _summary(step)
        return role_of(exchange, request, payloads)
    if step.family == "ios":
        if _ios_info(step):
            return "INFO"
        return _ios_packet_role(step, st)
    exchange, request, payloads = _summary(step)
    if step.family == "strongswan" and exchange:
        mid = step.message_id if step.message_id is not None else _first_mid(step.events)
        first = st is None or mid is None or mid not in st.qm_starter
        return role_of(exchange, request, payloads, first)
    if step.family in ("asa", "tcpdump") or payloads:
        return _from_payloads(step, st, payloads)
    return ""


def _ios_packet_role(step: Step, st: _SaState | None) -> str:
    pkt = next((e for e in step.events if e.kind == "packet"), None)
    if pkt is None or pkt.state is None:
        return ""
    side = "I" if step.side == "I" else "R"
    role = IOS_PACKET_ROLES.get((side, step.direction or "", pkt.state), "")
    if role == "MM4" and st is not None and "MM5" in st.roles:
        role = "MM6"
    if not role and pkt.state == "QM_IDLE" and st is not None:
        mid = _first_mid(step.events)
        return _qm_by_order(step, st, mid)
    return role


def _from_payloads(step: Step, st: _SaState | None, payloads: list[str]) -> str:
    """ASA's payload lists and tcpdump lines: the role from the payloads, the message ID and who
    started phase 1 (or this Quick Mode)."""
    names = {p.upper() for p in payloads}
    ev = next((x for x in step.events if x.kind == "packet"), step.events[0])
    if step.family == "tcpdump":
        exchange = ev.exchange or ""
        from_initiator = ev.detail.get("role") == "I"
        if exchange == "ID_PROT":
            done = [r for r in (st.roles if st else []) if r.startswith("MM")]
            count = sum(1 for r in done if (int(r[2]) % 2 == 1) == from_initiator)
            n = 2 * count + (1 if from_initiator else 2)
            return f"MM{n}" if n <= 6 else ""
        if exchange == "QUICK_MODE":
            if not from_initiator:
                return "QM2"
            last = next((r for r in reversed(st.roles if st else []) if r.startswith("QM")), "")
            return "QM3" if last == "QM2" else "QM1"
        return role_of(exchange, from_initiator)
    mid = step.message_id if step.message_id is not None else _first_mid(step.events)
    if not names:
        return ""
    if mid in (0, None):
        if names <= _INFO_NAMES | {"VENDOR", "VID"} and not names & _SA_NAMES:
            return "INFO"
        if st is not None and st.initiator is None and names & _SA_NAMES:
            we_start = step.direction == "out"
        elif st is not None and st.initiator is not None:
            we_start = st.initiator
        else:
            we_start = step.direction == "out" if names & _SA_NAMES else None
        from_initiator = None if we_start is None else (step.direction == "out") == we_start
        aggressive = names & _SA_NAMES and names & {"KE"} and names & {"ID"}
        return role_of("AGGRESSIVE" if aggressive else "ID_PROT", from_initiator, names)
    if names & {"ATTR", "ATTRIBUTES", "CFG"}:
        return "TRANSACTION"
    if names & _INFO_NAMES and not names & _SA_NAMES:
        return "INFO"
    return _qm_by_order(step, st, mid, names)


def _qm_by_order(step: Step, st: _SaState | None, mid: int | None, names: set[str] | None = None) -> str:
    """Quick Mode by message ID: whoever sent its first message is its initiator (QM1, QM3), the other
    sends QM2."""
    if st is None or mid is None:
        return ""
    starter = st.qm_starter.get(mid)
    if starter is None:
        return "QM1"
    if step.direction != starter:
        return "QM2"
    return "QM3"


def _by_order(step: Step, st: _SaState) -> str:
    """A message nothing in its lines names (strongSwan could not decrypt it): the next one the
    exchange expects from that side, in phase 1; a retransmission of the last one from that side."""
    mm = [r for r in st.roles if r[:2] in ("MM", "AM")]
    if not mm or st.initiator is None or step.direction is None:
        return ""
    from_initiator = (step.direction == "out") == st.initiator
    last = mm[-1]
    kind, n = last[:2], int(last[2])
    mine = [r for r in mm if (int(r[2]) % 2 == 1) == from_initiator]
    if mine and (not mine[-1] or int(mine[-1][2]) > n - 1):
        return mine[-1]  # the same again: a retransmission
    nxt = n + 1
    if (nxt % 2 == 1) != from_initiator:
        return mine[-1] if mine else ""
    return f"{kind}{nxt}" if nxt <= (6 if kind == "MM" else 3) else ""


def _learn(st: _SaState, step: Step) -> None:
    role = step.role
    if step.message_id is None:
        step.message_id = _first_mid(step.events)
    if step.message_id is None and role[:2] in ("MM", "AM") and role[2:].isdigit():
        step.message_id = 0  # phase 1 (RFC 2409 §5): IOS's packet lines do not say it
    if not st.sa.role and step.family == "ios" and step.side in ("I", "R"):
        st.sa.role = "initiator" if step.side == "I" else "responder"
    if role and st.initiator is None and role[:2] in ("MM", "AM") and role[2:].isdigit() and step.direction:
        odd = int(role[2:]) % 2 == 1
        st.initiator = odd == (step.direction == "out")
        st.sa.role = "initiator" if st.initiator else "responder"
    if role.endswith(" request") and st.initiator is None and role.startswith("IKE_SA_INIT") and step.direction:
        st.initiator = step.direction == "out"
        st.sa.role = "initiator" if st.initiator else "responder"
    if role.startswith("QM") and step.message_id is not None and step.direction:
        st.qm_starter.setdefault(step.message_id, step.direction if role in ("QM1", "QM3") else
                                 ("in" if step.direction == "out" else "out"))
    st.roles.append(role)
    st.last_direction = step.direction


# --------------------------------------------------------------------------- retransmissions, copies, gaps

def _merge_unlogged(steps: list[Step]) -> list[Step]:
    """A step without a packet line whose message is the next step's (IOS enters IKE_I_MM1 before it
    logs MM1's packet line) gives its events to that step."""
    out: list[Step] = []
    for step in steps:
        prev = out[-1] if out else None
        if (prev is not None and step.logged and not prev.logged and not prev.implied and prev.events
                and prev.sa == step.sa and prev.role == step.role and prev.direction == step.direction):
            step.events[:0] = prev.events
            out[-1] = step
            continue
        out.append(step)
    return out


def _mark_repeats(steps: list[Step]) -> None:
    """Pasted copies and retransmissions.  A copy repeats an earlier message's packet line with its stamp
    and message ID: to the millisecond, or, for stamps in whole seconds, as a block of lines
    (:func:`_pasted_block`).  A retransmission is the same role, direction and message ID again in one IKE
    SA (IOS and strongSwan also say so themselves)."""
    seen_lines: dict[tuple, int] = {}
    seen_blocks: dict[tuple, list[int]] = {}
    seen_roles: dict[tuple[int, str, str | None, int | None], int] = {}
    for i, step in enumerate(steps):
        if step.sa is None or step.implied:
            continue
        pkt = next((e for e in step.events if e.kind == "packet"), None)
        if pkt is not None and pkt.record.time_text:
            # (with the message ID: charon may send two messages of one size in one millisecond, v4-xauth-modecfg; a
            # true retransmission comes seconds later, and IOS's packet line then names the state it has moved to)
            if "." in pkt.record.time_text:
                first = seen_lines.setdefault((step.file, pkt.record.time_text, pkt.record.text, step.message_id), i)
            else:
                first = _pasted_block(step, pkt, i, steps, seen_blocks)
            if first is not None and first != i:
                step.duplicate_of = first
                continue
        if step.role and step.role not in ("INFO", "") and not step.role.startswith("IKE_"):
            rkey = (step.sa, step.role, step.direction, step.message_id)
            if rkey in seen_roles:
                step.retransmission = True
            else:
                seen_roles[rkey] = i


#: the least lines a message's block has for a repeat of it in the same second to be taken for a pasted copy
_BLOCK = 3


def _pasted_block(step: Step, pkt: Event, i: int, steps: list[Step], seen: dict[tuple, list[int]]) -> int | None:
    """For stamps in whole seconds: the earlier step that ``step`` (the ``i``-th, ``pkt`` its packet line) is a
    pasted copy of, or None.
    A packet line repeated in one second may be another message (an ASA logs two INVALID_COOKIE notifies
    in one second with the same words, sample 13), so a copy is a block of :data:`_BLOCK` lines or more
    that shares two thirds of its lines (of the smaller's) with an earlier block of the same packet line,
    message ID and role in the same second (a document quotes a block more than once, cut and wrapped
    alike or not: the seed's MM6 blocks)."""
    key = (step.file, pkt.record.time_text, pkt.record.text, step.message_id, step.role)
    texts = set(e.record.text for e in step.events)
    earlier = seen.setdefault(key, [])
    first = None
    if len(texts) >= _BLOCK:
        for j in earlier:
            other = set(e.record.text for e in steps[j].events)
            if len(other) >= _BLOCK and 3 * len(texts & other) >= 2 * min(len(texts), len(other)):
                first = j
                break
    if first is None:
        earlier.append(i)
    return first


def _fill_gaps(steps: list[Step], sas: list[LogSa]) -> list[Step]:
    """Implied steps for the messages a later one proves (module doc): the Main/Aggressive Mode
    messages before the first one seen, and a Quick Mode's messages before its last one seen."""
    insert: dict[int, list[Step]] = {}
    for sa in sas:
        seen = [steps[i] for i in sa.steps]
        p1 = [s for s in seen if s.role[:2] in ("MM", "AM") and s.role[2:].isdigit()]
        if p1 and sa.role:
            kind = p1[0].role[:2]
            present = {int(s.role[2:]) for s in p1}
            first_index = sa.steps[seen.index(p1[0])]
            for n in range(1, max(present)):
                if n not in present:
                    out = (n % 2 == 1) == (sa.role == "initiator")
                    at = first_index if n < min(present) else _index_after(sa, steps, kind, n)
                    insert.setdefault(at, []).append(_implied(p1[0], f"{kind}{n}", "out" if out else "in", 0))
        by_mid: dict[int, list[Step]] = {}
        position = {id(s): i for i, s in ((i, steps[i]) for i in sa.steps)}
        for s in seen:
            if s.role in ("QM1", "QM2", "QM3") and s.message_id is not None:
                by_mid.setdefault(s.message_id, []).append(s)
        for mid, qms in by_mid.items():
            present = {int(s.role[2]) for s in qms}
            qm1 = next((s for s in qms if s.role == "QM1"), None)
            starter = qm1.direction if qm1 else None
            if starter is None:
                q = qms[0]
                starter = q.direction if q.role != "QM2" else ("in" if q.direction == "out" else "out")
            for n in range(1, max(present)):
                if n not in present:
                    direction = starter if n != 2 else ("in" if starter == "out" else "out")
                    later = next(s for s in qms if int(s.role[2]) > n)
                    at = position[id(later)]
                    insert.setdefault(at, []).append(_implied(later, f"QM{n}", direction, mid))
    if not insert:
        return steps
    out: list[Step] = []
    for i, step in enumerate(steps):
        out.extend(sorted(insert.get(i, []), key=lambda s: _ORDER.get(s.role, 99)))
        out.append(step)
    return out


def _index_after(sa: LogSa, steps: list[Step], kind: str, n: int) -> int:
    """Where an implied message n goes among the IKE SA's steps: before the first later one."""
    for i in sa.steps:
        r = steps[i].role
        if r.startswith(kind) and r[2:].isdigit() and int(r[2:]) > n:
            return i
    return sa.steps[-1]


def _implied(like: Step, role: str, direction: str, mid: int | None) -> Step:
    return Step(role=role, direction=direction, file=like.file, peer=like.peer, conn_id=like.conn_id,
                message_id=mid, exchange=like.exchange, implied=True, sa=like.sa, family=like.family,
                side=like.side, role_source="implied")


def _number(steps: list[Step], sas: list[LogSa]) -> None:
    """Each IKE SA's step indexes, after steps were merged or inserted."""
    for sa in sas:
        sa.steps = []
    for i, s in enumerate(steps):
        if s.sa is not None:
            sas[s.sa].steps.append(i)


# --------------------------------------------------------------------------- the public functions

def timeline(events: Iterable[Event]) -> Timeline:
    """The steps (IKE messages) of a log's events and the IKE SAs they form (see the module doc).

    ``events`` in log order, as :func:`correlate.logparse.parse_log` gives them (several files may be
    concatenated: each keeps its own context).  Never raises on odd input: an event that fits nowhere
    joins the step before it, and a step nothing names keeps the role ""."""
    # the steps are kept to the end: the cyclic collector waits (dissect/gcpolicy.py; no reference cycles here)
    with paused_collector():
        return _timeline(events)


def _timeline(events: Iterable[Event]) -> Timeline:
    """:func:`timeline` with the collector paused."""
    events = list(events)
    cutter = _Cutter(doubled_records(events))
    for e in events:
        cutter.add(e)
    steps = _move_builders(_split_attempts(cutter.steps))
    _tcpdump_directions(steps)
    steps = _split_ios(_split_preparation(steps))
    _return_phase1_ends(steps)
    steps = _libreswan_answers(steps)
    sas = _group(steps)
    steps = _merge_unlogged(steps)
    _number(steps, sas)
    _mark_repeats(steps)
    before = list(steps)
    steps = _fill_gaps(steps, sas)
    _number(steps, sas)
    position = {id(s): i for i, s in enumerate(steps)}
    for s in steps:  # duplicate_of was counted before the implied steps were inserted
        if s.duplicate_of is not None:
            s.duplicate_of = position[id(before[s.duplicate_of])]
    _same_sessions(steps, sas)
    return Timeline(steps, sas)


def _sa_roles(steps: list[Step], sa: LogSa) -> list[str]:
    return [steps[i].role for i in sa.steps if not steps[i].retransmission and steps[i].duplicate_of is None]


def _is_subsequence(short: list[str], long: list[str]) -> bool:
    rest = iter(long)
    return all(any(x == y for y in rest) for x in short)


def _same_sessions(steps: list[Step], sas: list[LogSa]) -> None:
    """A tcpdump decode pasted in the file of a daemon's log (sample 14: whack output, then tcpdump's text
    of the same exchange) is the same session when exactly one IKE SA of the daemon's lines in that file
    fits it: the same IKE version, its peer (when known) one of the tcpdump's two addresses, and its
    messages, in order, among the decode's (which begins with the same first message).  Both get
    :attr:`LogSa.same_as`; each tcpdump step gets a :attr:`Step.note` naming the line of the same message
    in the log, or saying the log implies it.  Nothing is joined when two IKE SAs would fit."""
    def family(sa: LogSa) -> str:
        return steps[sa.steps[0]].family if sa.steps else ""

    for wire in (sa for sa in sas if family(sa) == "tcpdump" and sa.same_as is None):
        roles = _sa_roles(steps, wire)
        ends = {a for i in wire.steps for e in steps[i].events for a in (e.detail.get("src"), e.detail.get("dst")) if a}
        fits = [sa for sa in sas if sa.file == wire.file and family(sa) not in ("tcpdump", "show", "")
                and sa.same_as is None and sa.version == wire.version and (sa.peer is None or sa.peer in ends)
                and (mine := _sa_roles(steps, sa)) and roles and mine[0] == roles[0]
                and _is_subsequence(mine, roles)]
        if len(fits) != 1:
            continue
        log = fits[0]
        log.same_as, wire.same_as = wire.index, log.index
        shown = [steps[i] for i in log.steps if not steps[i].retransmission and steps[i].duplicate_of is None]
        for i in wire.steps:
            step = steps[i]
            twin = next((s for s in shown if s.role == step.role), None)
            if twin is None or step.note:
                continue
            shown.remove(twin)
            step.note = (f"tcpdump's decode of the message at line {twin.first_line}: the same session" if twin.events
                         else "tcpdump's decode of a message the log implies: the same session")


def in_stamp_order(events: Iterable[Event]) -> list[Event]:
    """The events of each strongSwan file in the order of their time stamps, stable (file order among
    equal stamps and for lines without one, which keep the stamp of the line before them); the files in
    the order they come.  charon's threads wait for the log's lock, so a line may be written after lines
    of other threads stamped later; a stamp more than :data:`_STAMP_SLACK` seconds before the latest one
    is no such wait but a clock set back or an older block pasted after: it starts a new run, which
    stays after the one before.  Other logs keep their order: IOS, ASA and libreswan write from one
    process, and a line stamped before the one above it there is a pasted copy (the seed's blocks)."""
    files: dict[str, list[Event]] = {}
    for e in events:
        files.setdefault(e.record.file, []).append(e)
    out: list[Event] = []
    for evs in files.values():
        if not all(e.record.family == "strongswan" for e in evs):
            out.extend(evs)
            continue
        keys = _stamp_keys(evs)
        if keys == sorted(keys):
            out.extend(evs)  # (most logs: already in order)
            continue
        order = sorted(range(len(evs)), key=keys.__getitem__)
        out.extend(evs[i] for i in order)
    return out


def _stamp_keys(evs: list[Event]) -> list[tuple[int, float]]:
    """(run, POSIX seconds) of each event of one file for :func:`in_stamp_order`: a line without a stamp
    has the stamp of the line before it; a stamp more than :data:`_STAMP_SLACK` seconds before the latest
    one starts a new run."""
    keys: list[tuple[int, float]] = []
    run, latest, last = 0, None, float("-inf")
    time, t_of_time = None, None  # the last stamp read (records of one instant share the object)
    seen: set[tuple[str, str]] = set()  # (stamp text, text) of the records of the current run
    previous = None
    for e in evs:
        r = e.record
        if r.time is not time:
            time = r.time
            t_of_time = _stamp(time)
        t = t_of_time
        if r is not previous:
            line = (r.time_text, r.text)
            repeat = line in seen
            seen.add(line)
            previous = r
        else:
            repeat = False
        if t is None:
            t = last
        elif latest is None or t > latest:
            latest = t
        elif t < latest - _STAMP_SLACK or (repeat and t < latest):
            # (a record written again word for word, stamp included, after later ones: a pasted copy)
            run, latest, seen = run + 1, t, {(r.time_text, r.text)}
        last = t
        keys.append((run, t))
    return keys


def _stamp(time: dt.datetime | None) -> float | None:
    if time is None:
        return None
    try:
        return time.timestamp()
    except (OverflowError, OSError, ValueError):
        return None


#: the share of a file's records that must repeat the record above them for the file to count as pasted
#: with every line twice (a real log repeats a line now and then: ASA logs two INVALID_COOKIE notifies
#: received in one second with the same words, sample 13)
_DOUBLED_SHARE = 0.4


def doubled_records(events: Iterable[Event]) -> set[int]:
    """The ids of the records (``id(record)``) of a log pasted with every line twice in place: in a file
    where at least :data:`_DOUBLED_SHARE` of the records repeat word for word, stamp included, the record
    right above them (the next physical line), those repeats.  Such a copy is no other message:
    :func:`timeline` keeps its events in the step of the line it repeats, and the findings count it once.
    A file with a repeat here and there keeps them (two messages logged alike in one second)."""
    repeats: dict[str, list[int]] = {}
    records: dict[str, int] = {}
    above: dict[str, tuple[Record, bool]] = {}  # file -> its latest record, and whether it was a repeat
    for e in events:
        r = e.record
        prev, prev_repeat = above.get(r.file, (None, False))
        if prev is r:
            continue
        records[r.file] = records.get(r.file, 0) + 1
        repeat = (prev is not None and not prev_repeat and r.line == prev.last_line + 1 and r.text == prev.text
                  and r.time_text == prev.time_text)
        if repeat:
            repeats.setdefault(r.file, []).append(id(r))
        above[r.file] = (r, repeat)
    return {i for file, ids in repeats.items() if len(ids) >= _DOUBLED_SHARE * records[file] for i in ids}


def analyse(log: LogResult | Iterable[Event], records: Iterable[Record] = ()) -> LogAnalysis:
    """The log-only analysis (issue 6 §8): the timeline of :func:`timeline` and the findings that the
    log alone supports (:func:`correlate.findings.findings_from_log`).  ``log`` is a parsed log (its
    records without events are searched too, for phrases no parser turns into an event) or its events;
    both are read in the order of their stamps (:func:`in_stamp_order`), not of the file."""
    from .findings import findings_from_log  # findings reads timelines: imported here, not at the top

    if isinstance(log, LogResult):
        events = list(log.events)
        records = list(records) or log.records
    else:
        events = list(log)
    with paused_collector():  # (as in :func:`timeline`)
        events = in_stamp_order(events)
        tl = timeline(events)
        return LogAnalysis(tl, findings_from_log(events, records, tl))
