"""Sessions: group ISAKMP messages into IKE SAs and label each message's role.

An IKE SA is identified by its initiator cookie (IKEv1, RFC 2408 §2.5.3) or
initiator SPI (IKEv2); the responder cookie is learned from the first
message that carries it.

Which peer is the initiator, from the strongest evidence seen so far:

1. IKEv2: the Initiator flag (RFC 7296 §3.1).
2. A message with a zero responder cookie comes from the initiator (MM1, AM1).
3. A Main or Aggressive Mode SA payload with a responder cookie comes from
   the responder (MM2, AM2).
4. The first encrypted Main Mode message, sent by the other peer than the
   last unencrypted one, comes from the initiator (MM5 follows the
   responder's MM4; if MM5 was lost, MM6 comes from MM4's sender and proves
   nothing).
5. Otherwise (the capture missed the start), the sender of the first
   message seen is taken as the initiator, and the phase-1 labels that
   depend on it end in ``?`` (``MM3?``) until stronger evidence arrives;
   then the SA's earlier phase-1 labels are corrected.

Roles (RFC 2409 §5, §5.4, §5.5, §5.7; RFC 7296 §1.2):

* Main Mode, by content and sender: SA → MM1/MM2, KE/NONCE → MM3/MM4,
  encrypted (or ID/HASH/SIG) → MM5/MM6, the odd number from the initiator.
  A missed message does not shift the labels of the others.
* Aggressive Mode: SA from the initiator → AM1, from the responder → AM2,
  anything later from the initiator → AM3.
* Quick Mode: per message ID; whoever sends the first message with that ID
  is the Quick Mode initiator (either peer may be): QM1, QM2, QM3.
* Informational: INFO; Transaction (mode-config/XAUTH): TRANSACTION.
* IKEv2: ``<exchange> request`` / ``<exchange> response`` from the R flag.

A retransmission is the same bytes sent again; it keeps the role of the
first copy and points at its frame.
"""
from __future__ import annotations

import hashlib
from collections import Counter, OrderedDict
from dataclasses import dataclass, field

from . import registry
from .isakmp import Message
from .model import Datagram, Packet

ZERO_COOKIE = b"\0" * 8
PHASE1 = (2, 4)  # Main, Aggressive
PHASE1_OVER = (6, 32)  # Transaction (mode-config/XAUTH) and Quick Mode come after phase 1

# evidence strength for who the initiator is (higher wins)
GUESS, FIRST_ENCRYPTED_MM, RESPONDER_SA, ZERO_RCOOKIE, IKEV2_FLAG = range(5)

#: How many recent messages per IKE SA are remembered to spot retransmissions
#: (a peer resends within seconds, a few messages later), and how many Quick
#: Mode message IDs: memory per SA stays bounded however long the capture.
RECENT_MESSAGES = 64
RECENT_QUICK_MODES = 256
#: Phase-1 messages labelled under a guessed initiator that can still be
#: corrected: per IKE SA, and over all of them.
GUESSED_MAX = 16
GUESSED_TOTAL_MAX = 4096
#: IKE SAs kept (the least recently active are forgotten beyond this: a scan
#: or a flood of new cookies must not make memory grow without bound).
MAX_SAS = 100_000


@dataclass(slots=True)
class IkeSa:
    """One IKE SA seen in the capture.

    ``initiator``/``responder`` are peer addresses as text; ``evidence`` says
    how sure that is (see the module doc).  ``roles`` counts the roles of
    first transmissions; ``messages`` counts every ISAKMP message of the SA,
    retransmissions included, seen between ``first_frame`` and
    ``last_frame``.  ``phase1_exchange`` is 2 (Main), 4 (Aggressive) or 34
    (IKEv2) once seen.  Packets themselves are not kept (memory stays flat).
    """
    icookie: bytes
    version: int
    index: int = 0  # 1-based, in order of first appearance in the capture
    rcookie: bytes = ZERO_COOKIE
    initiator: str | None = None
    responder: str | None = None
    evidence: int = GUESS
    phase1_exchange: int | None = None
    roles: Counter = field(default_factory=Counter)
    retransmitted: Counter = field(default_factory=Counter)  # role -> copies sent again
    icmp_errors: int = 0  # ICMP errors that quote one of its messages
    messages: int = 0
    first_frame: int = 0
    last_frame: int = 0
    # Quick Mode: message ID -> (QM initiator, messages seen per peer)
    _quick_modes: OrderedDict = field(default_factory=OrderedDict, repr=False)
    # digest of a recent message -> [frame, role] of its first copy
    _recent: OrderedDict = field(default_factory=OrderedDict, repr=False)
    # phase-1 packets labelled while the initiator was a guess, with their digests
    _guessed: list[tuple[Packet, bytes]] = field(default_factory=list, repr=False)
    _last_plain_mm_from: str | None = field(default=None, repr=False)
    _encrypted_mm_seen: bool = field(default=False, repr=False)

    @property
    def name(self) -> str:
        return f"{self.icookie.hex()}/{self.rcookie.hex()}"

    def to_dict(self) -> dict:
        return {"index": self.index, "icookie": self.icookie.hex(), "rcookie": self.rcookie.hex(),
                "ike_version": self.version,
                "initiator": self.initiator, "responder": self.responder,
                "phase1_exchange": registry.EXCHANGE_TYPES.get(self.phase1_exchange or -1),
                "messages": self.messages, "first_frame": self.first_frame, "last_frame": self.last_frame,
                "roles": dict(self.roles), "retransmitted": dict(self.retransmitted)}


def initiator_evidence(msg: Message, first_encrypted_mm: bool) -> tuple[int, bool] | None:
    """(strength, sent by the initiator?) that this message gives, or None."""
    h = msg.header
    if h.major == 2:
        return IKEV2_FLAG, bool(h.flags & 0x08)
    if h.rcookie == ZERO_COOKIE:
        return ZERO_RCOOKIE, True
    if h.exchange_type in PHASE1 and any(p.type == 1 for p in msg.payloads):
        return RESPONDER_SA, False
    if h.exchange_type == 2 and msg.encrypted and first_encrypted_mm:
        return FIRST_ENCRYPTED_MM, True
    return None


def phase1_role(msg: Message, from_initiator: bool, certain: bool = True) -> str:
    """MM1..MM6 or AM1..AM3 from the message's content and its sender (module doc).

    With ``certain`` False (the initiator is only guessed), a label that
    depends on the guess gets a trailing ``?``.
    """
    h = msg.header
    types = {p.type for p in msg.payloads}
    if h.rcookie == ZERO_COOKIE:  # only the initiator's first message has no responder cookie
        return "AM1" if h.exchange_type == 4 else "MM1"
    if h.exchange_type == 4:
        role = ("AM1" if from_initiator else "AM2") if 1 in types else ("AM3" if from_initiator else "AM2")
    else:
        step = 5 if msg.encrypted or types & {5, 8, 9} else 1 if 1 in types else 3
        role = f"MM{step if from_initiator else step + 1}"
    return role if certain else role + "?"


class SessionTracker:
    """Assigns each ISAKMP packet to its :class:`IkeSa` and labels its role, in capture order."""

    def __init__(self) -> None:
        self.sas: OrderedDict[tuple[int, bytes], IkeSa] = OrderedDict()  # least recently active first
        self.forgotten = 0  # IKE SAs dropped from a full table (MAX_SAS)
        self._count = 0
        self._guessed_total = 0
        #: numbers of the IKE SAs whose phase-1 labels may still change (see the module doc)
        self.open_guesses: set[int] = set()

    def sa_of(self, icookie: bytes) -> IkeSa | None:
        """The IKE SA with this initiator cookie (IKEv1 first, then IKEv2), if seen."""
        return self.sas.get((1, icookie)) or self.sas.get((2, icookie))

    def _close_guess(self, sa: IkeSa) -> None:
        self._guessed_total -= len(sa._guessed)
        sa._guessed.clear()
        self.open_guesses.discard(sa.index)

    def add(self, pkt: Packet) -> None:
        msg: Message = pkt.isakmp
        h = msg.header
        if h is None or h.major not in (1, 2):
            msg.role = "MALFORMED"  # no header, or not ISAKMP/IKEv2: no IKE SA to put it in
            return
        d = pkt.datagram
        key = (h.major, h.icookie)
        sa = self.sas.get(key)
        if sa is None:
            if len(self.sas) >= MAX_SAS:
                _key, old = self.sas.popitem(last=False)
                self._close_guess(old)
                self.forgotten += 1
            self._count += 1
            sa = self.sas[key] = IkeSa(h.icookie, h.major, self._count, initiator=d.src, responder=d.dst,
                                       first_frame=d.frame)
        else:
            self.sas.move_to_end(key)
        if sa.rcookie == ZERO_COOKIE and h.rcookie != ZERO_COOKIE:
            sa.rcookie = h.rcookie
        if sa.phase1_exchange is None and h.exchange_type in (2, 4, 34):
            sa.phase1_exchange = h.exchange_type
        sa.messages += 1
        sa.last_frame = d.frame
        pkt.sa = sa
        self._learn_initiator(sa, msg, d)

        digest = hashlib.blake2b(msg.raw, digest_size=16).digest()
        first = sa._recent.get(digest)
        if first is not None:
            msg.retransmission_of, msg.role = first
            sa.retransmitted[msg.role] += 1
        else:
            msg.role = self._role(sa, msg, d)
            sa.roles[msg.role] += 1
            sa._recent[digest] = [d.frame, msg.role]
            if len(sa._recent) > RECENT_MESSAGES:
                sa._recent.popitem(last=False)
        if sa.evidence == GUESS:
            if (h.exchange_type in PHASE1 and len(sa._guessed) < GUESSED_MAX
                    and self._guessed_total < GUESSED_TOTAL_MAX):
                sa._guessed.append((pkt, digest))
                self._guessed_total += 1
                self.open_guesses.add(sa.index)
            elif h.exchange_type in PHASE1_OVER:  # phase 1 is over: no evidence can come any more
                self._close_guess(sa)

    def _learn_initiator(self, sa: IkeSa, msg: Message, d: Datagram) -> None:
        main_mode = msg.header.exchange_type == 2
        first_encrypted = (main_mode and msg.encrypted and not sa._encrypted_mm_seen
                           and sa._last_plain_mm_from not in (None, d.src))
        if main_mode:
            if msg.encrypted:
                sa._encrypted_mm_seen = True
            else:
                sa._last_plain_mm_from = d.src
        ev = initiator_evidence(msg, first_encrypted)
        if ev is None:
            return
        strength, from_initiator = ev
        if strength <= sa.evidence:
            return
        was_guess = sa.evidence == GUESS
        sa.evidence = strength
        initiator = d.src if from_initiator else d.dst
        if initiator != sa.initiator:
            sa.initiator, sa.responder = initiator, (d.dst if from_initiator else d.src)
        if was_guess:
            self._relabel_phase1(sa)
            self._close_guess(sa)

    @staticmethod
    def _relabel_phase1(sa: IkeSa) -> None:
        """The initiator is now known, not guessed: firm up (or correct) the phase-1 labels given so far."""
        for p, digest in sa._guessed:
            m = p.isakmp
            new = phase1_role(m, p.datagram.src == sa.initiator)
            counts = sa.roles if m.retransmission_of is None else sa.retransmitted
            counts[m.role] -= 1
            counts[new] += 1
            if m.retransmission_of is None and digest in sa._recent:
                sa._recent[digest][1] = new
            m.role = new
        sa.roles += Counter()  # drop the emptied counts
        sa.retransmitted += Counter()

    def _role(self, sa: IkeSa, msg: Message, d: Datagram) -> str:
        h = msg.header
        et = h.exchange_type
        if h.major == 2:
            name = registry.EXCHANGE_SHORT.get(et, f"exchange {et}")
            return f"{name} {'response' if h.flags & 0x20 else 'request'}"
        if et in PHASE1:
            return phase1_role(msg, d.src == sa.initiator, sa.evidence != GUESS)
        if et == 5:
            return "INFO"
        if et == 6:
            return "TRANSACTION"
        if et == 32:
            starter, counts = sa._quick_modes.setdefault(h.message_id, (d.src, {}))
            if len(sa._quick_modes) > RECENT_QUICK_MODES:
                sa._quick_modes.popitem(last=False)
            n = counts[d.src] = counts.get(d.src, 0) + 1
            k = 2 * n - 1 if d.src == starter else 2 * n
            return f"QM{k}" if k <= 3 else "QM?"
        return registry.EXCHANGE_SHORT.get(et, f"exchange {et}")

