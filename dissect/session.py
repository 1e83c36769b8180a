"""Sessions: group ISAKMP messages into IKE SAs and label each message's role.

An IKE SA is identified by its initiator cookie (IKEv1, RFC 2408 §2.5.3) or
initiator SPI (IKEv2); the responder cookie is learned from the first
message that carries it.  The initiator is the peer that sent a message with
a zero responder cookie; failing that (the capture missed the first
message), a Main Mode SA payload with a responder cookie marks its sender as
the responder; failing that, the sender of the first message seen is taken
as the initiator.

Roles (RFC 2409 §5, §5.5, §5.7; RFC 7296 §1.2):

* Main Mode: the initiator's n-th distinct message is MM(2n-1), the
  responder's MM(2n) — so a lost message does not shift the labels of the
  other side.
* Aggressive Mode: AM1, AM2, AM3 in the same way.
* Quick Mode: per message ID; whoever sends the first message with that ID
  is the Quick Mode initiator (either peer may be): QM1, QM2, QM3.
* Informational: INFO; Transaction (mode-config/XAUTH): TRANSACTION.
* IKEv2: ``<exchange> request`` / ``<exchange> response`` from the R flag.

A retransmission is the same bytes sent again in the same direction; it
keeps the role of the first copy and points at its frame.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from . import registry
from .isakmp import Message
from .model import Datagram, Packet

ROLE_PREFIX = {2: "MM", 4: "AM"}
ROLE_MAX = {2: 6, 4: 3}


@dataclass
class IkeSa:
    """One IKE SA seen in the capture.

    ``initiator``/``responder`` are peer addresses as text; ``packets`` are the
    ISAKMP packets of this SA in capture order (retransmissions included).
    ``phase1_exchange`` is 2 (Main), 4 (Aggressive) or 34 (IKEv2) once seen.
    """
    icookie: bytes
    version: int
    rcookie: bytes = b"\0" * 8
    initiator: str | None = None
    responder: str | None = None
    phase1_exchange: int | None = None
    packets: list[Packet] = field(default_factory=list)
    # per (exchange type, message ID): the peer that started it, and counts per side
    _exchanges: dict[tuple[int, int], dict] = field(default_factory=dict, repr=False)
    _seen: dict[bytes, tuple[int, str]] = field(default_factory=dict, repr=False)

    @property
    def name(self) -> str:
        return f"{self.icookie.hex()}/{self.rcookie.hex()}"

    def to_dict(self) -> dict:
        return {"icookie": self.icookie.hex(), "rcookie": self.rcookie.hex(), "ike_version": self.version,
                "initiator": self.initiator, "responder": self.responder,
                "phase1_exchange": registry.EXCHANGE_TYPES.get(self.phase1_exchange or -1),
                "frames": [p.frame for p in self.packets]}


class SessionTracker:
    """Assigns each ISAKMP packet to its :class:`IkeSa` and labels its role, in capture order."""

    def __init__(self) -> None:
        self.sas: dict[tuple[int, bytes], IkeSa] = {}

    def add(self, pkt: Packet) -> None:
        msg: Message = pkt.isakmp
        h = msg.header
        if h is None:
            msg.role = "MALFORMED"
            return
        key = (h.major, h.icookie)
        sa = self.sas.get(key)
        d = pkt.datagram
        if sa is None:
            sa = self.sas[key] = IkeSa(h.icookie, h.major)
            self._find_initiator(sa, msg, d)
        if sa.rcookie == b"\0" * 8 and h.rcookie != b"\0" * 8:
            sa.rcookie = h.rcookie
        if sa.phase1_exchange is None and h.exchange_type in (2, 4, 34):
            sa.phase1_exchange = h.exchange_type
        sa.packets.append(pkt)
        pkt.sa = sa

        digest = hashlib.blake2b(msg.raw, digest_size=16).digest()
        first = sa._seen.get(digest)
        if first is not None:
            msg.retransmission_of, msg.role = first
            return
        msg.role = self._role(sa, msg, d)
        sa._seen[digest] = (d.frame, msg.role)

    @staticmethod
    def _find_initiator(sa: IkeSa, msg: Message, d: Datagram) -> None:
        h = msg.header
        if h.major == 2:
            from_initiator = bool(h.flags & 0x08)
        elif h.rcookie == b"\0" * 8:
            from_initiator = True
        elif h.exchange_type == 2 and any(p.type == 1 for p in msg.payloads):
            from_initiator = False  # an SA payload after the responder cookie is known: MM2
        else:
            from_initiator = True
        if from_initiator:
            sa.initiator, sa.responder = d.src, d.dst
        else:
            sa.initiator, sa.responder = d.dst, d.src

    def _role(self, sa: IkeSa, msg: Message, d: Datagram) -> str:
        h = msg.header
        et = h.exchange_type
        if h.major == 2:
            name = registry.EXCHANGE_SHORT.get(et, f"exchange {et}")
            return f"{name} {'response' if h.flags & 0x20 else 'request'}"
        if et == 5:
            return "INFO"
        if et == 6:
            return "TRANSACTION"
        if et in ROLE_PREFIX:
            k = self._position(sa, (et, 0), sa.initiator, d.src)
            return f"{ROLE_PREFIX[et]}{k}" if k <= ROLE_MAX[et] else f"{ROLE_PREFIX[et]}?"
        if et == 32:
            k = self._position(sa, (et, h.message_id), d.src, d.src)
            return f"QM{k}" if k <= 3 else "QM?"
        return registry.EXCHANGE_SHORT.get(et, f"exchange {et}")

    @staticmethod
    def _position(sa: IkeSa, key: tuple[int, int], starter: str | None, src: str) -> int:
        """1-based position of this message in its exchange: 2n-1 for the starter's n-th, 2n for the peer's.

        ``starter`` is who began the exchange; the first call for a key fixes it.
        """
        ex = sa._exchanges.setdefault(key, {"starter": starter, "counts": {}})
        n = ex["counts"][src] = ex["counts"].get(src, 0) + 1
        return 2 * n - 1 if src == ex["starter"] else 2 * n
