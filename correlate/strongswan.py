"""strongSwan charon log records to events (issue 5 §5).

A charon line, after the stamp that :mod:`correlate.records` removed, reads
``TT[GRP] <conn|N> message``: the thread (``14``), the log group (``IKE``,
``NET``, ``ENC``, ``CFG``, ``CHD``, ``KNL``, ``ESP`` …, with a level digit
``IKE2`` when ``log_level = yes``), the IKE_SA tag when ``ike_name = yes``
(``<lab|1>``, ``<1>`` before a config is found), then the message.  The
thread/group prefix is missing in charon-systemd's journal (``journalctl``
prints only the message) and the tag is missing by default; both are optional
here.  A syslog tag left in front (``charon: 14[IKE] …``) is skipped.

:func:`events` reads one record and gives its events, from the table
:data:`RULES` (the message's possible first words, a literal that must occur,
a compiled pattern, a handler):

* ``sending packet: … (N bytes)`` / ``received packet: … (N bytes)``: kind
  ``packet``, one per IKE message that the IKE_SA sent or received (the
  socket threads log every datagram again at level 2, without the byte count
  and for UDP-encapsulated ESP as well: those are kind ``info`` with
  ``detail["socket"]``, so that ``packet`` events count IKE messages once);
  ``bytes`` is the IKE message (the UDP payload less the non-ESP marker);
* ``parsed``/``generating EXCHANGE request|response MID [ payloads ]``:
  kind ``payload`` with exchange, direction, message ID and payload list;
* IKE_SA/CHILD_SA established (``sa_created``, the CHILD_SA's inbound SPI
  as ``spi``), deleted, closed, DELETE sent or received (``sa_deleted``),
  state changes (``state``), proposals, DPD, retransmissions, notifies,
  errors (error notifies, parsing/decryption/integrity/authentication
  failures, peers not responding, anything that says it failed);
* the loglevel-4 key dumps (``SKEYID_e => 20 bytes @ 0x…``): kind ``keys``
  naming what was dumped and its size, never its bytes.

``conn_id`` is the IKE_SA's unique ID: the ``1`` of ``<lab|1>``, or of
``IKE_SA lab[1]`` when the message names an IKE_SA (it wins over the tag:
IKE_SA 1 logs "initiating Main Mode IKE_SA lab[2]" when it re-authenticates);
``facility`` the charon group; ``detail["thread"]`` the thread, which ties a
``generating`` line to the ``sending packet`` after it; ``detail["conn"]``
the connection name of the tag.
Pure functions: a record gives a list (often empty), never an exception.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from .addresses import address
from .model import Event, Record, never_raises

__all__ = ["events", "RULES", "KEY_LABELS", "link_message_ids", "LINK_WINDOW"]

#: seconds between a ``generating`` line and the ``sending packet`` line of its thread that it names
LINK_WINDOW = 1.0

#: syslog tag, thread and group, IKE_SA tag (all optional); the message follows
_HEAD = re.compile(
    r"\s*(?:(?:[\w.\-]+\s+)?(?:charon(?:-systemd|-nm|-cmd|-tkm)?|strongswan|ipsec|swanctl)(?:\[\d+\])?:\s+)?"
    r"(?:(?P<thread>\d{1,3})\[(?P<group>[A-Z]{2,4})(?P<level>[0-4])?\]\s?)?"
    r"(?:\s*<(?:(?P<conn>[^<>|]*)\|)?(?P<uid>\d+)>\s?)?")
#: the usual prefix, read first (cheaper than _HEAD)
_HEAD_FAST = re.compile(r"(?P<thread>\d{1,3})\[(?P<group>[A-Z]{2,4})(?P<level>[0-4])?\] ?"
                        r"(?:<(?:(?P<conn>[^<>|]*)\|)?(?P<uid>\d+)> ?)?")
#: a line of a hex dump ("   0: 28 AD DA ...", "  16: ..."), an encoding rule or its value ("   => 13"):
#: the bulk of a loglevel-4 log, never an event
_DUMP_LINE = re.compile(r"\s*(?:\d+: |=> |(?:generating|parsing) rule |\d+ bytes left, parsing recursively )")
#: "SKEYID_e => 20 bytes @ 0x7f5034005e60": what a loglevel-4 dump header says
#: (the address may be cut off, in a log cut at a fixed width)
_DUMP_HEAD = re.compile(r"(?P<label>\S.*?) ?=> (?P<n>\d+)(?: b[a-z]*(?: @.*)?)?$")

#: The dump labels that are key material (or what keys are derived from): their dumps become "keys" events
KEY_LABELS = frozenset({
    # IKEv1 phase 1 (keymat_v1) and Quick Mode PFS
    "shared Diffie Hellman secret", "DH secret", "SKEYID", "SKEYID_d", "SKEYID_a", "SKEYID_e",
    "encryption key Ka", "initial IV",
    # IKEv2 (keymat_v2), and the PSK and prf values of its AUTH payload
    "SKEYSEED", "Sk_d secret", "Sk_ai secret", "Sk_ar secret", "Sk_ei secret", "Sk_er secret", "Sk_pi secret",
    "Sk_pr secret", "SK_p", "secret", "prf(secret, keypad)",
    # CHILD_SA KEYMAT (both versions)
    "encryption initiator key", "encryption responder key", "integrity initiator key", "integrity responder key",
    "initiator SA seed", "responder SA seed", "seed",
})

_ADDR_PORT = r"(?P<{0}>[^\s\[\]]+)\[(?P<{0}_port>\d+)\]"
_IKE_SA = r"(?P<name>.+?)\[(?P<uid>\d+)\]"
_CHILD_SA = r"(?P<name>.+?)\{(?P<child>\d+)\}"
_HOSTS = r"(?P<local>[^\s\[\]]+)\[(?P<local_id>.*?)\]\.\.\.(?P<remote>[^\s\[\]]+)\[(?P<remote_id>.*)\]"
_HEX = r"[0-9a-fA-F]{1,8}"


class _Ctx:
    """What the prefix of a record said, and the record itself."""
    __slots__ = ("record", "facility", "conn_id", "base")

    def __init__(self, record: Record, facility: str, conn_id: int | None, base: dict[str, Any]):
        self.record, self.facility, self.conn_id, self.base = record, facility, conn_id, base

    def event(self, kind: str, message: str, conn_id: int | None = None, detail: dict[str, Any] | None = None,
              **kw: Any) -> Event:
        # the prefix's dict is the event's detail as it is (a record gives one event, and no one changes an
        # event's detail after it is made): a copy per event was a tenth of the parse of an event-dense log
        return Event(kind, self.record, message, facility=self.facility,
                     conn_id=conn_id if conn_id is not None else self.conn_id,
                     detail={**self.base, **detail} if detail else self.base, **kw)


def _int(text: str | None) -> int | None:
    try:
        return int(text) & 0xFFFFFFFF if text is not None else None
    except ValueError:
        return None


def _packet(m: re.Match, c: _Ctx, msg: str) -> Event:
    out = m["dir"] == "sending"
    src, dst = address(m["src"]) or m["src"], address(m["dst"]) or m["dst"]
    sport, dport = int(m["src_port"]), int(m["dst_port"])
    peer, peer_port, local, local_port = (dst, dport, src, sport) if out else (src, sport, dst, dport)
    fields = dict(direction="out" if out else "in", peer=peer, peer_port=peer_port, local=local,
                  local_port=local_port)
    if m["bytes"] is None:
        # the socket thread's level-2 line: every datagram, IKE or UDP-encapsulated ESP, without its size
        return c.event("info", msg, detail={"socket": True}, **fields)
    return c.event("packet", msg, bytes=int(m["bytes"]), **fields)


def _message(m: re.Match, c: _Ctx, msg: str) -> Event:
    payloads = _PAYLOAD_TOKEN.findall(m["payloads"])
    return c.event("payload", msg, direction="in" if m["what"] == "parsed" else "out", exchange=m["exch"],
                   message_id=_int(m["mid"]), payloads=payloads,
                   detail={"request": m["rr"] == "request"})


_PAYLOAD_TOKEN = re.compile(r"[^\s(]+\([^)]*\)|[^\s\]]+")


def _ike_established(m: re.Match, c: _Ctx, msg: str) -> Event:
    return c.event("sa_created", msg, conn_id=int(m["uid"]), local=address(m["local"]) or m["local"],
                   peer=address(m["remote"]) or m["remote"], state="ESTABLISHED",
                   detail={"sa": "IKE_SA", "name": m["name"], "unique_id": int(m["uid"]),
                           "local_id": m["local_id"], "remote_id": m["remote_id"]})


def _ike_deleting(m: re.Match, c: _Ctx, msg: str) -> Event:
    return c.event("sa_deleted", msg, conn_id=int(m["uid"]), local=address(m["local"]) or m["local"],
                   peer=address(m["remote"]) or m["remote"],
                   detail={"sa": "IKE_SA", "name": m["name"], "unique_id": int(m["uid"]),
                           "local_id": m["local_id"], "remote_id": m["remote_id"]})


def _child_detail(m: re.Match) -> dict[str, Any]:
    d: dict[str, Any] = {"sa": "CHILD_SA", "name": m["name"], "child_id": int(m["child"]),
                         "spi_in": int(m["spi_in"], 16), "spi_out": int(m["spi_out"], 16)}
    g = m.groupdict()
    if g.get("cpi_in"):
        d["cpi_in"], d["cpi_out"] = int(m["cpi_in"], 16), int(m["cpi_out"], 16)
    if g.get("bytes_in"):
        d["bytes_in"] = int(m["bytes_in"])
    if g.get("bytes_out"):
        d["bytes_out"] = int(m["bytes_out"])
    if g.get("ts_local") is not None:
        d["ts_local"], d["ts_remote"] = m["ts_local"].strip(), m["ts_remote"].strip()
    return d


def _child_established(m: re.Match, c: _Ctx, msg: str) -> Event:
    d = _child_detail(m)
    return c.event("sa_created", msg, spi=d["spi_in"], state="INSTALLED", detail=d)


def _child_closing(m: re.Match, c: _Ctx, msg: str) -> Event:
    d = _child_detail(m)
    if m["expired"]:
        d["reason"] = "expired"
    return c.event("sa_deleted", msg, spi=d["spi_in"], detail=d)


def _delete_child(m: re.Match, c: _Ctx, msg: str) -> Event:
    return c.event("sa_deleted", msg, direction="in" if m["dir"] == "received" else "out",
                   spi=int(m["spi"], 16), detail={"sa": "CHILD_SA", "protocol": m["proto"], "delete": True})


def _delete_ike(m: re.Match, c: _Ctx, msg: str) -> Event:
    return c.event("sa_deleted", msg, conn_id=int(m["uid"]), direction="in" if m["dir"] == "received" else "out",
                   detail={"sa": "IKE_SA", "name": m["name"], "unique_id": int(m["uid"]), "delete": True})


def _ike_deleted(m: re.Match, c: _Ctx, msg: str) -> Event:
    return c.event("sa_deleted", msg, detail={"sa": "IKE_SA"})


def _ike_destroying(m: re.Match, c: _Ctx, msg: str) -> Event:
    return c.event("sa_deleted", msg, state=m["state"], detail={"sa": "IKE_SA", "reason": "without notification"})


def _state(m: re.Match, c: _Ctx, msg: str) -> Event:
    g = m.groupdict()
    if g.get("uid"):
        d: dict[str, Any] = {"sa": "IKE_SA", "name": m["name"], "unique_id": int(m["uid"])}
        conn = int(m["uid"])
    else:
        d = {"sa": "CHILD_SA", "name": m["name"], "child_id": int(m["child"])}
        conn = None
    return c.event("state", msg, conn_id=conn, state=m["new"], old_state=m["old"], detail=d)


def _initiating(m: re.Match, c: _Ctx, msg: str) -> Event:
    mode = m["mode"] or ""
    d: dict[str, Any] = {"initiating": True, "name": m["name"], "unique_id": int(m["uid"])}
    if mode:
        d["mode"] = mode
    return c.event("info", msg, conn_id=int(m["uid"]), direction="out", peer=address(m["peer"]) or m["peer"],
                   exchange={"Main": "ID_PROT", "Aggressive": "AGGRESSIVE"}.get(mode, "IKE_SA_INIT"), detail=d)


def _peer_initiating(m: re.Match, c: _Ctx, msg: str) -> Event:
    mode = m["mode"] or ""
    d: dict[str, Any] = {"initiating": "peer"}
    if mode:
        d["mode"] = mode
    return c.event("info", msg, direction="in", peer=address(m["peer"]) or m["peer"],
                   exchange={"Main": "ID_PROT", "Aggressive": "AGGRESSIVE"}.get(mode, "IKE_SA_INIT"), detail=d)


def _proposal(m: re.Match, c: _Ctx, msg: str) -> Event:
    proposals = [p.strip() for p in m["list"].split(", ") if p.strip()]
    return c.event("proposal", msg, detail={"role": m["role"], "proposals": proposals})


def _no_proposal(m: re.Match, c: _Ctx, msg: str) -> Event:
    return c.event("error", msg, detail={"error": "no acceptable proposal"})


def _error_notify(m: re.Match, c: _Ctx, msg: str) -> Event:
    return c.event("error", msg, direction="in", detail={"notify": m["notify"], "error": "notify"})


def _notify(m: re.Match, c: _Ctx, msg: str) -> Event:
    return c.event("notify", msg, direction="in" if m["dir"] == "received" else "out",
                   detail={"notify": m["notify"]})


def _vendor_id(m: re.Match, c: _Ctx, msg: str) -> Event:
    return c.event("info", msg, direction="in" if m["dir"] == "received" else "out",
                   detail={"vendor_id": m["vid"].replace("\\n", "").strip()})


def _dpd(m: re.Match, c: _Ctx, msg: str) -> Event:
    return c.event("info", msg, direction="in" if m["dir"] == "received" else "out",
                   detail={"dpd": m["what"]})


def _keepalive(m: re.Match, c: _Ctx, msg: str) -> Event:
    return c.event("info", msg, direction="out", peer=address(m["dst"]) or m["dst"], peer_port=int(m["dst_port"]),
                   detail={"keepalive": True})


def _retransmit_v1(m: re.Match, c: _Ctx, msg: str) -> Event:
    return c.event("info", msg, direction="out", message_id=_int(m["mid"]),
                   detail={"retransmit": int(m["n"]), "request": m["rr"] == "request", "seq": int(m["seq"])})


def _retransmit_v2(m: re.Match, c: _Ctx, msg: str) -> Event:
    return c.event("info", msg, direction="out", message_id=_int(m["mid"]),
                   detail={"retransmit": int(m["n"]), "request": m["rr"] == "request"})


def _retransmit_received(m: re.Match, c: _Ctx, msg: str) -> Event:
    return c.event("info", msg, direction="in", message_id=_int(m["mid"]),
                   detail={"retransmit": "received", "request": True, "action": m["rest"].strip()})


def _giving_up(m: re.Match, c: _Ctx, msg: str) -> Event:
    return c.event("error", msg, detail={"error": "peer not responding", "retransmits": int(m["n"])})


def _processing_failed(m: re.Match, c: _Ctx, msg: str) -> Event:
    return c.event("error", msg, direction="in", exchange=m["exch"], message_id=_int(m["mid"]),
                   detail={"error": "processing failed", "request": m["rr"] == "request"})


def _auth(m: re.Match, c: _Ctx, msg: str) -> Event:
    ok = m["result"] == "successful"
    d: dict[str, Any] = {"auth": m["method"] or "", "id": m["id"], "myself": bool(m["myself"]),
                         "xauth": bool(m["xauth"]), "success": ok}
    return c.event("info" if ok else "error", msg, detail=d)


def _failure(label: str) -> Callable[[re.Match, _Ctx, str], Event]:
    """An error event whose detail names the failure (``label``) and the pattern's named groups."""
    def handler(m: re.Match, c: _Ctx, msg: str) -> Event:
        d: dict[str, Any] = {"error": label}
        d.update({k: v for k, v in m.groupdict().items() if v is not None})
        return c.event("error", msg, detail=d)
    return handler


def _nat(m: re.Match, c: _Ctx, msg: str) -> Event:
    return c.event("info", msg, detail={"nat": m["who"]})


def _spi(kind_detail: str) -> Callable[[re.Match, _Ctx, str], Event]:
    def handler(m: re.Match, c: _Ctx, msg: str) -> Event:
        d: dict[str, Any] = {kind_detail: True}
        g = m.groupdict()
        for k in ("src", "dst"):
            if g.get(k):
                d[k] = address(m[k]) or m[k]
        if g.get("seq"):
            d["seq"] = int(m["seq"])
        if g.get("reqid"):
            d["reqid"] = int(m["reqid"])
        if g.get("proto"):
            d["protocol"] = m["proto"]
        if g.get("which"):
            d["which"] = m["which"]
        return c.event("info", msg, spi=int(m["spi"], 16), detail=d)
    return handler


def _child_info(what: str) -> Callable[[re.Match, _Ctx, str], Event]:
    def handler(m: re.Match, c: _Ctx, msg: str) -> Event:
        return c.event("info", msg, detail={what: True, "sa": "CHILD_SA", "name": m["name"],
                                            "child_id": int(m["child"])})
    return handler


def _virtual_ip(m: re.Match, c: _Ctx, msg: str) -> Event:
    d: dict[str, Any] = {"virtual_ip": address(m["vip"]) or m["vip"]}
    if m["user"]:
        d["user"] = m["user"]
    return c.event("info", msg, detail=d)


def _fragment(m: re.Match, c: _Ctx, msg: str) -> Event:
    return c.event("info", msg, direction="in", detail={"fragment": int(m["n"]), "fragments": int(m["total"])})


#: Rule = (first words of the message it can start with, or () for any; a literal that must occur in the
#: message; the pattern matched at the message's start; the handler).  Tried in order; the first that matches
#: gives the record's event.
_Handler = Callable[[re.Match, _Ctx, str], Event]
RULES: list[tuple[tuple[str, ...], str, "re.Pattern[str]", _Handler]] = [
    (("received", "sending"), "packet:", re.compile(
        r"(?P<dir>received|sending) packet: from " + _ADDR_PORT.format("src") + r" to " + _ADDR_PORT.format("dst")
        + r"(?: \((?P<bytes>\d+) bytes?\))?"), _packet),
    (("parsed", "generating"), " [", re.compile(
        r"(?P<what>parsed|generating) (?P<exch>[A-Z][A-Z0-9_]+(?:\(\d+\))?) (?P<rr>request|response) "
        r"(?P<mid>\d+) \[(?P<payloads>[^\]]*)\]"), _message),
    (("IKE_SA",), " established between ", re.compile(r"IKE_SA " + _IKE_SA + r" established between " + _HOSTS),
     _ike_established),
    (("CHILD_SA",), " established with SPIs ", re.compile(
        r"CHILD_SA " + _CHILD_SA + r" established with SPIs (?P<spi_in>" + _HEX + r")_i (?P<spi_out>" + _HEX
        + r")_o(?: and CPIs (?P<cpi_in>[0-9a-fA-F]+)_i (?P<cpi_out>[0-9a-fA-F]+)_o)?"
        r"(?: and TS (?P<ts_local>.*?) === (?P<ts_remote>.*))?"), _child_established),
    (("IKE_SA",), "state change:", re.compile(
        r"IKE_SA " + _IKE_SA + r" state change: (?P<old>\w+) => (?P<new>\w+)"), _state),
    (("CHILD_SA",), "state change:", re.compile(
        r"CHILD_SA " + _CHILD_SA + r" state change: (?P<old>\w+) => (?P<new>\w+)"), _state),
    (("closing",), "CHILD_SA", re.compile(
        r"closing (?P<expired>expired )?CHILD_SA " + _CHILD_SA + r" with SPIs (?P<spi_in>" + _HEX
        + r")_i(?: \((?P<bytes_in>\d+) bytes?\))? (?P<spi_out>" + _HEX + r")_o(?: \((?P<bytes_out>\d+) bytes?\))?"
        r"(?: and CPIs (?P<cpi_in>[0-9a-fA-F]+)_i (?P<cpi_out>[0-9a-fA-F]+)_o)?"
        r"(?: and TS (?P<ts_local>.*?) === (?P<ts_remote>.*))?"), _child_closing),
    (("deleting",), "IKE_SA", re.compile(r"deleting IKE_SA " + _IKE_SA + r" between " + _HOSTS), _ike_deleting),
    (("received", "sending"), " DELETE for ", re.compile(
        r"(?P<dir>received|sending) DELETE for (?P<proto>ESP|AH) CHILD_SA with SPI (?P<spi>" + _HEX + r")\b"),
     _delete_child),
    (("received", "sending"), " DELETE for ", re.compile(
        r"(?P<dir>received|sending) DELETE for IKE_SA " + _IKE_SA), _delete_ike),
    (("IKE_SA",), "IKE_SA deleted", re.compile(r"IKE_SA deleted\b"), _ike_deleted),
    (("destroying",), "IKE_SA", re.compile(r"destroying IKE_SA in state (?P<state>\w+)"), _ike_destroying),
    (("initiating",), "IKE_SA", re.compile(
        r"initiating (?:(?P<mode>Main|Aggressive) Mode )?IKE_SA " + _IKE_SA + r" to (?P<peer>\S+)"), _initiating),
    ((), " is initiating ", re.compile(
        r"(?P<peer>\S+) is initiating an? (?:(?P<mode>Main|Aggressive) Mode )?IKE_SA"), _peer_initiating),
    (("selected", "received", "configured"), "proposal", re.compile(
        r"(?P<role>selected|received|configured) proposals?: (?P<list>.*)"), _proposal),
    # charon 5.x says "no acceptable proposal found", newer releases "no IKE proposal found" / "no proposal found"
    (("no",), "proposal", re.compile(r"no (?:acceptable |IKE |CHILD )?proposals? (?:found|chosen)"), _no_proposal),
    (("calculated",), "HASH", re.compile(r"calculated HASH does not match HASH payload"), _failure("hash mismatch")),
    (("received",), " notify", re.compile(
        r"received (?P<notify>[A-Z][A-Z0-9_]+(?:\(\d+\))?) (?:error notify|notify error)"), _error_notify),
    (("received", "sending"), " notify", re.compile(
        r"(?P<dir>received|sending) (?P<notify>[A-Z][A-Z0-9_]+(?:\(\d+\))?) notify\b"), _notify),
    (("received", "sending"), " vendor ID", re.compile(r"(?P<dir>received|sending) (?P<vid>.+?) vendor ID"),
     _vendor_id),
    (("received", "sending"), "DPD ", re.compile(r"(?P<dir>sending|received) DPD (?P<what>request|response|ACK)"),
     _dpd),
    (("sending",), "keep", re.compile(r"sending keep ?alive to " + _ADDR_PORT.format("dst")), _keepalive),
    (("sending",), "retransmit", re.compile(
        r"sending retransmit (?P<n>\d+) of (?P<rr>request|response) message ID (?P<mid>\d+), seq (?P<seq>\d+)"),
     _retransmit_v1),
    (("retransmit",), "retransmit", re.compile(
        r"retransmit (?P<n>\d+) of (?P<rr>request|response) with message ID (?P<mid>\d+)"), _retransmit_v2),
    (("received",), "retransmit", re.compile(r"received retransmit of request with ID (?P<mid>\d+),? ?(?P<rest>.*)"),
     _retransmit_received),
    (("giving",), "giving up", re.compile(r"giving up after (?P<n>\d+) retransmits"), _giving_up),
    ((), "processing failed", re.compile(
        r"(?P<exch>[A-Z][A-Z0-9_]+) (?P<rr>request|response) with message ID (?P<mid>\d+) processing failed"),
     _processing_failed),
    (("invalid",), "decryption failed", re.compile(
        r"invalid (?P<payload>\S+) payload length, decryption failed"), _failure("decryption failed")),
    (("message",), "parsing failed", re.compile(r"message parsing failed"), _failure("message parsing failed")),
    (("integrity",), "check failed", re.compile(r"integrity check failed"), _failure("integrity check failed")),
    (("could",), "decrypt", re.compile(r"could not decrypt payloads"), _failure("decryption failed")),
    (("no",), "shared key", re.compile(r"no shared key found for '?(?P<local_id>[^']*)'? - '?(?P<remote_id>[^']*)'?"),
     _failure("no shared key")),
    (("authentication", "XAuth"), "authentication of", re.compile(
        r"(?P<xauth>XAuth )?authentication of '(?P<id>.*?)' (?P<myself>\(myself\) )?(?:with (?P<method>.+?) )?"
        r"(?P<result>successful|failed)"), _auth),
    (("local", "remote"), "behind NAT", re.compile(r"(?P<who>local|remote) host is behind NAT"), _nat),
    (("allocated",), "SPI", re.compile(r"allocated SPI (?P<spi>" + _HEX + r")\b"), _spi("allocated")),
    (("adding",), "SPI", re.compile(r"adding SAD entry with SPI (?P<spi>" + _HEX + r") and reqid \{(?P<reqid>\d+)\}"),
     _spi("sad_added")),
    (("deleted",), "SPI", re.compile(
        r"deleted (?P<which>inbound|outbound) SAD entry with SPI (?P<spi>" + _HEX + r")\b"), _spi("sad_deleted")),
    (("SPI",), "SPI", re.compile(r"SPI 0x(?P<spi>" + _HEX + r"), src (?P<src>\S+) dst (?P<dst>\S+)"),
     _spi("sa_installed")),
    (("parsed",), "SPI", re.compile(r"parsed ESP header with SPI (?P<spi>" + _HEX + r") \[seq (?P<seq>\d+)\]"),
     _spi("esp")),
    (("creating",), "rekey job", re.compile(
        r"creating rekey job for CHILD_SA (?P<proto>ESP|AH)/0x(?P<spi>" + _HEX + r")/(?P<dst>\S+)"), _spi("rekey")),
    (("detected",), "rekeying", re.compile(r"detected rekeying of CHILD_SA " + _CHILD_SA), _child_info("rekeyed")),
    (("establishing",), "CHILD_SA", re.compile(r"establishing CHILD_SA " + _CHILD_SA), _child_info("establishing")),
    (("assigning", "installing"), "virtual IP", re.compile(
        r"(?:assigning|installing new) virtual IP (?P<vip>\S+)(?: to peer '(?P<user>.*)')?"), _virtual_ip),
    (("received",), "fragment #", re.compile(r"received fragment #(?P<n>\d+) of (?P<total>\d+)"), _fragment),
]

#: first word of a message -> the rules that may match it; the rules for any first word come after
_BY_FIRST: dict[str, list[tuple[str, "re.Pattern[str]", _Handler]]] = {}
_ANY_FIRST: list[tuple[str, "re.Pattern[str]", _Handler]] = []
for _firsts, _literal, _pattern, _handler in RULES:
    if not _firsts:
        _ANY_FIRST.append((_literal, _pattern, _handler))
    for _first in _firsts:
        _BY_FIRST.setdefault(_first, []).append((_literal, _pattern, _handler))

#: Messages that report a failure without a rule of their own ("message parsing failed", "invalid HASH_V1
#: payload length, decryption failed?", "integrity check failed", "no shared key found for ...")
_FAILURE = re.compile(r"[Ff]ail(?:ed|ure)|[Ee]rror|[Mm]ismatch|[Ii]nvalid|[Uu]nable to|not responding|[Rr]efused|"
                      r"[Rr]ejected|[Uu]nacceptable|didn't accept|"
                      r"^[Nn]o (?:\S+ ){0,4}?(?:found|acceptable|available|matching|shared key|trusted|private key)\b")
#: groups whose "failed" lines are not about IKE (plugin loading, start-up)
_NO_FAILURE_GROUPS = frozenset({"LIB", "DMN", "JOB", "ASN", "APP", "TLS", "TNC", "IMC", "IMV", "PTS"})


@never_raises
def events(record: Record) -> list[Event]:
    """The events of a strongSwan charon record (an empty list for most lines of a loglevel-4 log)."""
    text = record.text
    head = _HEAD_FAST.match(text) or _HEAD.match(text)
    if head is None:    # cannot happen (everything in _HEAD is optional), but a parser never raises
        return []
    msg = text[head.end():]
    if msg[:1] == " ":
        if _DUMP_LINE.match(msg):
            return []   # a hex dump line or an encoding rule's value: bytes, never an event
        msg = msg.strip()
    elif msg[-1:] == " ":
        msg = msg.rstrip()
    if not msg:
        return []
    dump = _DUMP_HEAD.match(msg) if "=> " in msg else None
    if dump is not None:
        label, n = dump["label"].strip(), int(dump["n"])
        if label not in KEY_LABELS:
            return []
        return [_ctx(record, head).event("keys", f"{label} dumped ({n} bytes)", detail={"name": label, "bytes": n})]
    first = msg.split(" ", 1)[0]
    for literal, pattern, handler in _BY_FIRST.get(first, ()):
        if literal in msg:
            m = pattern.match(msg)
            if m is not None:
                return [handler(m, _ctx(record, head), msg)]
    for literal, pattern, handler in _ANY_FIRST:
        if literal in msg:
            m = pattern.match(msg)
            if m is not None:
                return [handler(m, _ctx(record, head), msg)]
    if head["group"] not in _NO_FAILURE_GROUPS and _FAILURE.search(msg):
        return [_ctx(record, head).event("error", msg)]
    return []


def _ctx(record: Record, head: re.Match) -> _Ctx:
    thread, group, conn, uid = head.group("thread", "group", "conn", "uid")
    base: dict[str, Any] = {"thread": int(thread)} if thread else {}
    if conn:
        base["conn"] = conn
    return _Ctx(record, group or "", int(uid) if uid else None, base)


def link_message_ids(events: list[Event]) -> None:
    """Give charon's sent packets the message ID and exchange of the message they carried.

    charon logs ``generating QUICK_MODE request 2322725273 [ ... ]`` (or ``retransmit 1 of request with
    message ID 0``) and then, in the same thread, ``sending packet: ... (188 bytes)``: the packet event
    takes that line's ``message_id``, ``exchange`` and ``payloads``.  Received packets keep ``None``: a
    message is parsed after its ``received packet`` line, and charon may receive the next one before it
    logs the parse (the XAUTH lab case does), so pairing them by order could name the wrong message.
    A generating line more than :data:`LINK_WINDOW` seconds before the packet line is no link: charon
    sends a message as soon as it is generated, so its own packet line was lost (a log with lines
    dropped), and this packet is another message of the same thread.
    Events in log order; changed in place.
    """
    generated: dict[int, Event] = {}    # thread -> its last generating (or retransmit) event not yet sent
    for e in events:
        if e.record.family != "strongswan":
            continue
        thread = e.detail.get("thread")
        if thread is None:
            continue
        if e.message_id is not None and (e.detail.get("retransmit") or (e.kind == "payload" and e.direction == "out")):
            generated[thread] = e
        elif e.kind == "packet" and e.direction == "out" and thread in generated:
            message = generated.pop(thread)
            t0, t1 = message.record.time, e.record.time
            if t0 is None or t1 is None or abs((t1 - t0).total_seconds()) <= LINK_WINDOW:
                _take(e, message)


def _take(packet: Event, message: Event) -> None:
    packet.message_id = message.message_id
    packet.exchange = message.exchange or packet.exchange
    packet.payloads = list(message.payloads) or packet.payloads
