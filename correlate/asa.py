"""Cisco ASA (and PIX/FWSM/FTD) IKE log records to events (issue 5 §4).

An ASA record, after the stamp that :mod:`correlate.records` removed, starts
with a syslog tag ``%ASA-7-713236:`` (severity 7, message 713236) or, on the
console (``debug crypto ikev1``), with ``[IKEv1]``, ``[IKEv1 DEBUG]``,
``[IKEv1 DECODE]`` (a colon may follow).  Then come the peer's
``Group = <tunnel group>, Username = <user>, IP = <address>,`` (each
optional) and the message.  A syslog server's host name in front of the tag
(``fw01 : %ASA-…``) is skipped.

:func:`events` reads one record and gives its events, from the table
:data:`RULES` (a literal that must occur, a compiled pattern, a handler):

* ``IKE_DECODE SENDING|RECEIVED|RESENDING Message (msgid=…) with payloads :
  HDR + SA (1) + VENDOR (13) + NONE (0) total length : 148``: kind
  ``packet``, direction ``out``/``in`` (RESENDING is ``out`` with
  ``detail["retransmission"]``), the message ID (the ASA writes it in hex
  without ``0x``: ``msgid=38a6c0a5``), the payload names without HDR and NONE
  (their type numbers in ``detail["payload_types"]``), ``bytes`` = the total
  length (the ISAKMP message);
* ``constructing``/``processing … payload``: kind ``payload``;
* Phase 1/2 completed, ``Security negotiation complete … Inbound SPI``:
  ``sa_created``; deletes: ``sa_deleted``;
* proposals, DPD keep-alives, notifies, retransmissions (``Duplicate Phase 1
  packet detected``);
* errors: ``QM FSM error (…, mess id 0x3012dbd)``, ``Session is being torn
  down. Reason: crypto map policy not found`` (``detail["refused"]``: the
  peer's message it refused, QM1, :data:`REFUSALS`), ``Received an un-encrypted
  INVALID_COOKIE notify message``, ``All IPSec SA proposals found
  unacceptable!``, and any message that says it failed.

``facility`` is the syslog mnemonic without its ``%`` (``ASA-7-713236``) or the
console tag (``IKEv1``); ``peer`` the ``IP =`` address; the tunnel group and
user go to ``detail``.  Pure functions: a record gives a list (often empty),
never an exception.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from .addresses import address
from .model import Event, Record, never_raises

__all__ = ["events", "RULES", "REFUSALS"]

#: syslog tag or console tag (perhaps after a syslog server's host name), then the peer's group, user, IP
_HEAD = re.compile(
    r"(?:.{0,64}?(?:%(?P<fac>(?:ASA|FWSM|PIX|FTD)-(?P<sev>\d)-(?P<num>\d{6})):"
    r"|\[(?P<ike>IKEv[12])(?: (?P<dbg>[A-Z]+))?\]:?))?\s*"
    r"(?:Group = (?P<group>[^,]*),\s*)?(?:Username = (?P<user>[^,]*),\s*)?"
    r"(?:IP = (?P<ip>[0-9A-Fa-f:.]+)(?:,\s*|\s*$))?")

#: IKEv1 notify types below this are errors (RFC 2408 3.14.1); 16384 and above are status notifies
_ERROR_NOTIFY_LIMIT = 16384
_STATUS_NOTIFIES = frozenset({"CONNECTED", "RESPONDER_LIFETIME", "REPLAY_STATUS", "INITIAL_CONTACT", "R_U_THERE",
                              "R_U_THERE_ACK", "R-U-THERE", "R-U-THERE-ACK"})
#: session teardown reasons that say which received message the ASA refused (``detail["refused"]``): "crypto
#: map policy not found" is the responder's check of the peer's Quick Mode identities, carried by QM1
REFUSALS: dict[str, str] = {"crypto map policy not found": "QM1"}
#: session teardown reasons that are not failures
_BENIGN_REASONS = ("user requested", "administrator reset", "idle timeout", "max time exceeded", "peer terminate",
                   "sa expired")


class _Ctx:
    """What the head of a record said, and the record itself."""
    __slots__ = ("record", "facility", "peer", "base")

    def __init__(self, record: Record, facility: str, peer: str | None, base: dict[str, Any]):
        self.record, self.facility, self.peer, self.base = record, facility, peer, base

    def event(self, kind: str, message: str, **kw: Any) -> Event:
        detail = dict(self.base)
        detail.update(kw.pop("detail", None) or {})
        kw.setdefault("peer", self.peer)
        return Event(kind, self.record, message=message, facility=self.facility, detail=detail, **kw)


def _hex(text: str | None) -> int | None:
    if text is None:
        return None
    try:
        return int(text.lower().removeprefix("0x"), 16) & 0xFFFFFFFF
    except ValueError:
        return None


_PAYLOAD = re.compile(r"\s*(?P<name>[A-Za-z][\w\-/]*\*?)\s*(?:\((?P<type>\d+)\))?\s*")


def _decode(m: re.Match, c: _Ctx, msg: str) -> Event:
    names: list[str] = []
    types: list[int] = []
    for part in m["payloads"].split("+"):
        p = _PAYLOAD.fullmatch(part)
        if p is None:
            if part.strip():
                names.append(part.strip())
            continue
        name = p["name"].rstrip("*")
        if name in ("HDR", "NONE"):
            continue
        names.append(name)
        if p["type"] is not None:
            types.append(int(p["type"]))
    verb = m["dir"].upper()
    d: dict[str, Any] = {"payload_types": types}
    if verb == "RESENDING":
        d["retransmission"] = True
    return c.event("packet", msg, direction="in" if verb == "RECEIVED" else "out", message_id=_hex(m["mid"]),
                   payloads=names, bytes=int(m["length"]), detail=d)


def _payload(m: re.Match, c: _Ctx, msg: str) -> Event:
    out = m["verb"].lower() == "constructing"
    return c.event("payload", msg, direction="out" if out else "in", payloads=[m["what"].strip()])


def _qm_fsm_error(m: re.Match, c: _Ctx, msg: str) -> Event:
    return c.event("error", msg, message_id=_hex(m["mid"]), exchange="QUICK_MODE",
                   detail={"error": "QM FSM error"})


def _torn_down(m: re.Match, c: _Ctx, msg: str) -> Event:
    reason = m["reason"].strip().rstrip(".!")
    benign = reason.lower().startswith(_BENIGN_REASONS)
    d: dict[str, Any] = {"reason": reason, "teardown": True}
    refused = next((role for phrase, role in REFUSALS.items() if reason.lower().startswith(phrase)), None)
    if refused is not None:
        d["refused"] = refused
    return c.event("sa_deleted" if benign else "error", msg, detail=d)


def _unencrypted_notify(m: re.Match, c: _Ctx, msg: str) -> Event:
    notify = m["notify"]
    d = {"notify": notify, "encrypted": not m["plain"]}
    return c.event("notify" if notify.upper() in _STATUS_NOTIFIES else "error", msg, direction="in", detail=d)


def _nonroutine_notify(m: re.Match, c: _Ctx, msg: str) -> Event:
    code = int(m["code"])
    d = {"notify": m["notify"].strip(), "notify_type": code}
    return c.event("error" if code < _ERROR_NOTIFY_LIMIT else "notify", msg, direction="in", detail=d)


def _phase_completed(m: re.Match, c: _Ctx, msg: str) -> Event:
    phase = int(m["phase"])
    return c.event("sa_created", msg, message_id=_hex(m["mid"]), exchange="QUICK_MODE" if phase == 2 else "",
                   detail={"phase": phase})


def _negotiation_complete(m: re.Match, c: _Ctx, msg: str) -> Event:
    spi_in, spi_out = int(m["spi_in"], 16), int(m["spi_out"], 16)
    return c.event("sa_created", msg, spi=spi_in,
                   detail={"phase": 2, "spi_in": spi_in, "spi_out": spi_out, "role": m["role"].lower(),
                           "tunnel_type": m["what"].strip(), "tunnel_group": m["tg"]})


def _spi_info(what: str) -> Callable[[re.Match, _Ctx, str], Event]:
    def handler(m: re.Match, c: _Ctx, msg: str) -> Event:
        return c.event("info", msg, spi=_hex(m["spi"]), detail={what: True})
    return handler


def _new_phase1(m: re.Match, c: _Ctx, msg: str) -> Event:
    d: dict[str, Any] = {"role": m["role"].lower(), "phase": 1}
    for k in ("intf", "local_proxy", "remote_proxy", "crypto_map"):
        if m[k]:
            d[k] = m[k].strip()
    return c.event("info", msg, peer=address(m["peer"]) or c.peer, detail=d)


def _proposal_ok(m: re.Match, c: _Ctx, msg: str) -> Event:
    return c.event("proposal", msg, detail={"accepted": True})


def _proposal_bad(m: re.Match, c: _Ctx, msg: str) -> Event:
    return c.event("error", msg, detail={"accepted": False})


def _duplicate(m: re.Match, c: _Ctx, msg: str) -> Event:
    return c.event("info", msg, direction="out", detail={"retransmission": True})


def _dpd(m: re.Match, c: _Ctx, msg: str) -> Event:
    return c.event("notify", msg, direction="out" if m["dir"].lower() == "sending" else "in",
                   detail={"notify": m["type"], "dpd_seq": _hex(m["seq"])})


def _invalid_payloads(m: re.Match, c: _Ctx, msg: str) -> Event:
    mode = m["mode"].lower()
    exchange = {"main": "ID_PROT", "aggressive": "AGGRESSIVE", "quick": "QUICK_MODE"}.get(mode, "")
    return c.event("error", msg, direction="in", exchange=exchange, message_id=int(m["mid"]) & 0xFFFFFFFF,
                   detail={"error": "invalid payloads"})


def _vendor_id(m: re.Match, c: _Ctx, msg: str) -> Event:
    return c.event("info", msg, direction="in" if m["verb"].lower().startswith("received") else "out",
                   detail={"vendor_id": m["vid"].strip()})


def _delete(m: re.Match, c: _Ctx, msg: str) -> Event:
    return c.event("sa_deleted", msg, direction="in" if "received" in m[0].lower() else None)


def _info(what: str) -> Callable[[re.Match, _Ctx, str], Event]:
    def handler(m: re.Match, c: _Ctx, msg: str) -> Event:
        d: dict[str, Any] = {what: True}
        d.update({k: v.strip() for k, v in m.groupdict().items() if v})
        return c.event("info", msg, detail=d)
    return handler


_Handler = Callable[[re.Match, _Ctx, str], Event]
#: Rule = (a literal that must occur in the message, the pattern searched in it, the handler); tried in order,
#: the first that matches gives the record's event
RULES: list[tuple[str, "re.Pattern[str]", _Handler]] = [
    ("IKE_DECODE", re.compile(
        r"IKE_DECODE (?P<dir>SENDING|RECEIVED|RESENDING) Message \(msgid=(?P<mid>(?:0x)?[0-9a-fA-F]+)\) "
        r"with payloads\s*:\s*(?P<payloads>.*?)\s*total length\s*:\s*(?P<length>\d+)", re.IGNORECASE), _decode),
    ("QM FSM error", re.compile(r"QM FSM error \(P2 struct &0x[0-9a-fA-F]+, mess id (?P<mid>(?:0x)?[0-9a-fA-F]+)\)"),
     _qm_fsm_error),
    ("torn down", re.compile(r"Session is being torn down\.?\s*Reason:\s*(?P<reason>.+)"), _torn_down),
    ("essage", re.compile(r"Received an? (?:(?P<plain>un-encrypted)|encrypted)?\s*(?P<notify>[A-Z][A-Z0-9_\-]+) "
                                 r"notify message", re.IGNORECASE), _unencrypted_notify),
    ("non-routine Notify", re.compile(r"Received non-routine Notify message:\s*(?P<notify>.+?)\s*\((?P<code>\d+)\)"),
     _nonroutine_notify),
    ("COMPLETED", re.compile(r"PHASE (?P<phase>[12]) COMPLETED(?: \(msgid=(?P<mid>(?:0x)?[0-9a-fA-F]+)\))?"),
     _phase_completed),
    ("Security negotiation complete", re.compile(
        r"Security negotiation complete for (?P<what>.+?) Group \((?P<tg>[^)]*)\)\s*,?\s*(?P<role>Initiator|Responder)"
        r"\s*,\s*Inbound SPI = (?P<spi_in>(?:0x)?[0-9a-fA-F]+)\s*,\s*Outbound SPI = (?P<spi_out>(?:0x)?[0-9a-fA-F]+)"),
     _negotiation_complete),
    ("SPI", re.compile(r"IKE got SPI from key engine: SPI = (?P<spi>(?:0x)?[0-9a-fA-F]+)"), _spi_info("spi_allocated")),
    ("Pitcher", re.compile(r"Pitcher: received (?:a )?key (?P<what>acquire|delete)(?: message| msg)?, spi "
                           r"(?P<spi>(?:0x)?[0-9a-fA-F]+)"), _spi_info("key_engine")),
    ("New Phase 1", re.compile(
        r"IKE (?P<role>Initiator|Responder): New Phase 1, Intf (?P<intf>[^,]+), IKE Peer (?P<peer>\S+)"
        r"(?:\s+local Proxy Address (?P<local_proxy>[^,]+), remote Proxy Address (?P<remote_proxy>[^,]+),"
        r"\s*Crypto map \((?P<crypto_map>[^)]*)\))?"), _new_phase1),
    ("acceptable", re.compile(r"(?:All .*?proposals found unacceptable|.*?proposal.*? not acceptable)",
                              re.IGNORECASE), _proposal_bad),
    ("acceptable", re.compile(r"(?:Oakley proposal is acceptable|.*?Proposal # ?\d+, Transform # ?\d+ acceptable)",
                              re.IGNORECASE), _proposal_ok),
    ("Duplicate", re.compile(r"Duplicate Phase \d packet detected"), _duplicate),
    ("keep-alive", re.compile(r"(?P<dir>Sending|Received) keep-alive of type DPD (?P<type>R-U-THERE(?:-ACK)?)"
                              r"(?: \(seq number (?P<seq>(?:0x)?[0-9a-fA-F]+)\))?", re.IGNORECASE), _dpd),
    ("invalid payloads", re.compile(r"Received encrypted (?:Oakley )?(?P<mode>\w+) Mode packet with invalid payloads, "
                                    r"MessID = (?P<mid>\d+)"), _invalid_payloads),
    ("VID", re.compile(r"(?P<verb>Received|Send)\s+(?P<vid>.+?)\s+VID$"), _vendor_id),
    ("elete", re.compile(r"IKE Received delete|IKE Deleting SA|Received (?:IKE|IPSec|ISAKMP) delete", re.IGNORECASE),
     _delete),
    ("KEY-ACQUIRE", re.compile(r"Queuing KEY-ACQUIRE messages"), _info("queued")),
    ("tunnel_group", re.compile(r"Connection landed on tunnel_group (?P<tunnel_group>\S+)"), _info("landed")),
    ("NAT", re.compile(r"Automatic NAT Detection Status:\s*(?P<nat>.+)"), _info("nat_detection")),
]

#: Messages that report a failure without a rule of their own ("Information Exchange processing failed", ...)
_FAILURE = re.compile(r"[Ff]ail(?:ed|ure)|[Ee]rror|ERROR|[Mm]ismatch|[Ii]nvalid|[Uu]nable to|[Rr]ejected|"
                      r"[Uu]nacceptable|not found|[Rr]efused|[Dd]ropping")


@never_raises
def events(record: Record) -> list[Event]:
    """The events of an ASA record (an empty list when it says nothing this parser knows)."""
    text = record.text
    head = _HEAD.match(text)
    if head is None:
        return []
    msg = text[head.end():].strip()
    if not msg:
        return []
    facility = head["fac"] or head["ike"] or ""
    base: dict[str, Any] = {}
    if head["sev"]:
        base["severity"] = int(head["sev"])
    if head["group"]:
        base["tunnel_group"] = head["group"].strip()
    if head["user"]:
        base["user"] = head["user"].strip()
    peer = address(head["ip"]) if head["ip"] else None
    ctx = _Ctx(record, facility, peer, base)
    for literal, pattern, handler in RULES:
        if literal in msg:
            m = pattern.search(msg)
            if m is not None:
                return [handler(m, ctx, msg)]
    m = _PAYLOAD_VERB.match(msg)
    if m is not None:
        return [_payload(m, ctx, msg)]
    if _FAILURE.search(msg):
        return [ctx.event("error", msg)]
    return []


#: "constructing ke payload", "processing SA payload", "Constructing ASA spoofing IOS Vendor ID payload (...)"
_PAYLOAD_VERB = re.compile(r"(?P<verb>constructing|processing) (?P<what>.+?) payload\b", re.IGNORECASE)
