"""libreswan / Openswan pluto output to events (issue 5), and tcpdump's text decode pasted beside it.

A pluto message, after the stamp that :mod:`correlate.records` removed, reads
``RC "conn"[inst] peer #N: STATE_X: message``, each part optional:

* ``RC`` is whack's status code: three digits (``002`` a log line, ``003``
  serious, ``004`` success, ``006`` traffic status, ``010`` a retransmission,
  ``020``-``099`` a failure, ``1xx`` a new state in Openswan, ``2xx`` a notify
  received: 200 + its type, ``214`` is NO_PROPOSAL_CHOSEN), or newer
  libreswan's ``1v1``/``1v2`` (a new IKEv1/IKEv2 state); it is missing in
  pluto's own log, where a syslog tag ``pluto[1234]:`` may remain instead;
* ``"conn"`` the connection (an instance adds ``[1]`` and the peer's address);
* ``#N`` the state number: ``conn_id``;
* ``STATE_MAIN_I2:`` the state, in Openswan and libreswan 3.x: ``state``.

:func:`events` reads one record and gives its events, from the table
:data:`RULES` (a literal that must occur, a compiled pattern searched in the
message, a handler), the first that matches:

* ``sent Main Mode request``, ``sent Main Mode I2``/``I3``/``R1``, ``sent
  Quick Mode request``, ``sent Aggressive Mode …``, Openswan's ``sent MI2,
  expecting MR2``, IKEv2's ``sent IKE_SA_INIT request to 192.0.2.1:500``,
  ``received …``, ``processed IKE_SA_INIT response from …``: kind
  ``packet``, direction ``out`` (``in``), the exchange (``ID_PROT`` for Main
  Mode as the other parsers name it, ``AGGRESSIVE``, ``QUICK_MODE``, IKEv2's
  names), ``detail["message"]`` (``I1``, ``I2``, ``R1`` …: a ``request`` is
  the initiator's first message, a ``reply``/``response`` the responder's);
* ``ISAKMP SA established {auth=… cipher=… integ=… group=…}`` (and IKEv2's
  ``IKE SA established``, ``established IKE SA``): kind ``sa_created``, the
  brace's ``key=value`` pairs in ``detail``;
* ``IPsec SA established tunnel mode {ESP=>0x… <0x… xfrm=… DPD=…}``,
  ``established Child SA … {…}``: kind ``sa_created``, ``spi`` the inbound
  SPI (``<0x…``, as the other parsers), ``detail`` the outbound and inbound
  SPIs, ``xfrm`` and its cipher and integrity; an SPI that is not hex (the
  test suite scrubs them to ``0xESPESP``) gives ``spi`` None and keeps its
  text in ``detail["spi_in_text"]``/``["spi_out_text"]``;
* ``initiating IKEv1 Main Mode connection``, ``initiating Quick Mode
  IKEv1+PSK+…``, ``STATE_MAIN_I1: initiate``, ``responding to Main Mode``,
  ``responding to Quick Mode proposal {msgid:…}``: kind ``state``;
* ``Peer ID is ID_FQDN: '@east'``, ``added IKEv1 connection``, vendor IDs,
  NAT-T and DPD notes: kind ``info``;
* notifies: ``ignoring informational payload NO_PROPOSAL_CHOSEN,
  msgid=00000000``, ``received and ignored notification payload: …``,
  ``IKE_AUTH response contained the error notification
  AUTHENTICATION_FAILED``, ``sending notification INVALID_ID_INFORMATION to
  …``, Openswan's ``214 "conn" #1: STATE_MAIN_I1: NO_PROPOSAL_CHOSEN``: kind
  ``error`` for an error notify (type below 16384), ``notify`` for a status
  notify (R_U_THERE, INITIAL_CONTACT …), ``detail["notify"]``;
* ``STATE_MAIN_I1: retransmission; will wait 0.5 seconds for response``,
  ``max number of retransmissions (8) reached``, ``… timeout exceeded after 7
  retransmits``: kind ``error`` (the peer does not answer), a retransmission
  with direction ``out`` and ``detail["retransmission"]``;
* deletes: ``sa_deleted``; any other message that says it failed, an
  ``ERROR:`` line or a failure code (``020``-``099``): ``error``;
* ``ipsec whack --trafficstatus``'s ``006 #2: "road", type=ESP,
  add_time=…, inBytes=0, outBytes=0, maxBytes=2^63B, id='@east'`` and
  ``ipsec status``'s state lines (``000 #1: "road":500 STATE_MAIN_I4 (ISAKMP
  SA established); …``, ``#2: "road":500 esp.1a2b3c4d@192.0.2.1 …``): kind
  ``sa_status`` with the counters, the state, the SPIs;
* pluto's debug lines ``| sending 92 bytes for STATE_MAIN_I1 through eth1 …
  to 192.0.2.1:500`` and ``| *received 92 bytes from 192.0.2.1:500 on eth1
  …``: kind ``info`` with ``detail["socket"]``, direction, addresses, ports
  and bytes (every datagram, retransmissions included: ``packet`` events come
  from the status lines, so that a log with debug on does not count a packet
  twice).

tcpdump's text decode, as people paste it beside the console (``IP
192.0.2.209.isakmp > 198.51.100.23.isakmp: isakmp: phase 1 I ident``, ``IP6
…``, ``NONESP-encap: isakmp: …``, ``-v``'s ``isakmp 1.0 msgid 00000000 cookie
…->…: phase 2/others I oakley-quick[E]``, IKEv2's ``parent_sa
ikev2_init[I]``): kind ``packet``, facility ``tcpdump``, the exchange (``ident``
is ``ID_PROT``, ``oakley-quick`` ``QUICK_MODE``, ``agg`` ``AGGRESSIVE``, ``inf``
``INFORMATIONAL``), ports by name or number (``isakmp`` 500, ``ipsec-nat-t``
4500), the message ID when ``-v`` prints it.  Direction is None: a capture
line does not say whose console it is.  tcpdump marks each IKEv1 packet I or R
by whether it came from the ISAKMP SA's initiator (IKEv2: the initiator
flag), so ``local`` is the initiator's address and ``peer`` the responder's,
the same for every packet of a conversation; ``detail`` has ``src``,
``dst``, ``src_port``, ``dst_port``, ``role`` (``I``/``R``/``?``) and
``encrypted`` (``[E]``).  tcpdump's ESP lines are ``info`` with the SPI.

A record that :mod:`correlate.records` made of several messages (a status
line followed by lines it did not recognise as heads) is read message by
message: each ``RC "conn"``/``RC #N:`` head, ``pluto[…]:`` tag and tcpdump
``IP … > …:`` line in its text starts a message.

``facility`` is ``pluto`` (``tcpdump`` for capture lines); ``detail`` has
``conn`` (the connection), ``rc`` (whack's code) and ``severity``
(``ERROR``/``WARNING``) when given.  Pure functions: a record gives a list
(often empty), never an exception.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from .addresses import address, address_port
from .model import Event, Record, never_raises

__all__ = ["events", "RULES", "TCPDUMP_LINE", "MESSAGE_START"]

#: Where a message starts inside a record's text: whack's status code before a connection or a state
#: number, a syslog tag, a tcpdump packet line ("IP a.port > b.port: ")
MESSAGE_START = re.compile(
    r"(?:^|(?<=\s))(?:(?:\d{3}|\dv\d)\s+(?:(?:FATAL ERROR|ERROR|WARNING):\s*)?(?=\"|#\d+:)"
    r"|pluto\[\d+\]:\s|IP6? \S+ > \S+: )")

#: A message's head: syslog tag, whack code, severity, connection (instance, peer), state number (all optional)
_HEAD = re.compile(
    r"\s*(?:(?:[\w.\-]+\s+)?pluto\[\d+\]:\s*)?"
    r"(?:(?P<rc>\d{3}|\dv\d)\s+)?"
    r"(?:(?P<sev>FATAL ERROR|ERROR|WARNING):\s*)?"
    r"(?:\"(?P<conn>[^\"]*)\"(?P<inst>\[\d+\])?"
    r"(?:\s+(?P<ipeer>\d[\d.]*\.\d+|[0-9A-Fa-f]*:[0-9A-Fa-f:]+)(?=[\s:]))?(?=[\s:#,]|$)\s*)?"
    r"(?:#(?P<sn>\d+):?\s*)?"
    r"(?:(?<=\")\s*:\s*)?")
#: Openswan / libreswan 3.x put the state before the message: "STATE_MAIN_I2: sent MI2, expecting MR2"
_STATE_PREFIX = re.compile(r"(?P<state>STATE_[A-Z0-9_]+):\s*")

#: tcpdump's text line of an ISAKMP or ESP packet (-n or not, -v or not, IPv4 or IPv6, NAT-T)
TCPDUMP_LINE = re.compile(
    r"IP(?P<v6>6)? (?P<src>\S+) > (?P<dst>\S+?):\s*"
    r"(?:\[[^\]]*\]\s*)*(?:(?P<encap>NONESP-encap|UDP-encap):\s*)?"
    r"(?:(?P<isakmp>isakmp)(?: (?P<ver>\d\.\d))?(?: msgid (?P<mid>[0-9a-fA-F]{1,8}))?"
    r"(?: cookie (?P<icookie>[0-9a-fA-F]{16})->(?P<rcookie>[0-9a-fA-F]{16}))?:\s*"
    r"(?:phase (?P<phase>1|2/others) (?P<role>[IR?]) (?P<exch>[\w\-]+)(?P<enc>\[E\])?"
    r"|(?P<sa2>parent_sa|child_sa)\s+(?P<exch2>[\w\-]+)\[(?P<flags>[IRV]*)\])?"
    r"|(?P<esp>ESP)\(spi=(?P<spi>0x[0-9a-fA-F]+),seq=(?P<seq>0x[0-9a-fA-F]+)\)(?:, length (?P<len>\d+))?"
    r"|(?P<keepalive>isakmp-nat-keep-alive))")
#: tcpdump's names of ports (without -nn)
_PORT_NAMES = {"isakmp": 500, "ike": 500, "ipsec-nat-t": 4500, "nat-t-ike": 4500, "ipsec-msft": 4500}
#: tcpdump's exchange names (print-isakmp.c)
_TCPDUMP_EXCHANGES = {"ident": "ID_PROT", "agg": "AGGRESSIVE", "oakley-quick": "QUICK_MODE",
                      "inf": "INFORMATIONAL", "base": "BASE", "auth": "AUTH_ONLY", "oakley-newgroup": "NEW_GROUP",
                      "ikev2_init": "IKE_SA_INIT", "ikev2_auth": "IKE_AUTH", "child_sa": "CREATE_CHILD_SA",
                      "inf2": "INFORMATIONAL"}

_MODES = {"main": "ID_PROT", "aggressive": "AGGRESSIVE", "quick": "QUICK_MODE"}
_SHORT_MODES = {"M": "ID_PROT", "A": "AGGRESSIVE", "Q": "QUICK_MODE"}

#: IKEv1 notify types (RFC 2408 3.14.1), for Openswan's 2xx codes (200 + the type)
_V1_NOTIFIES = {
    1: "INVALID_PAYLOAD_TYPE", 2: "DOI_NOT_SUPPORTED", 3: "SITUATION_NOT_SUPPORTED", 4: "INVALID_COOKIE",
    5: "INVALID_MAJOR_VERSION", 6: "INVALID_MINOR_VERSION", 7: "INVALID_EXCHANGE_TYPE", 8: "INVALID_FLAGS",
    9: "INVALID_MESSAGE_ID", 10: "INVALID_PROTOCOL_ID", 11: "INVALID_SPI", 12: "INVALID_TRANSFORM_ID",
    13: "ATTRIBUTES_NOT_SUPPORTED", 14: "NO_PROPOSAL_CHOSEN", 15: "BAD_PROPOSAL_SYNTAX", 16: "PAYLOAD_MALFORMED",
    17: "INVALID_KEY_INFORMATION", 18: "INVALID_ID_INFORMATION", 19: "INVALID_CERT_ENCODING",
    20: "INVALID_CERTIFICATE", 21: "CERT_TYPE_UNSUPPORTED", 22: "INVALID_CERT_AUTHORITY",
    23: "INVALID_HASH_INFORMATION", 24: "AUTHENTICATION_FAILED", 25: "INVALID_SIGNATURE",
    26: "ADDRESS_NOTIFICATION", 27: "NOTIFY_SA_LIFETIME", 28: "CERTIFICATE_UNAVAILABLE",
    29: "UNSUPPORTED_EXCHANGE_TYPE", 30: "UNEQUAL_PAYLOAD_LENGTHS",
}
#: notify names that report an error (IKEv1 types 1-30, IKEv2's error types); others are status notifies
_ERROR_NOTIFIES = frozenset(_V1_NOTIFIES.values()) | frozenset({
    "UNSUPPORTED_CRITICAL_PAYLOAD", "INVALID_IKE_SPI", "INVALID_SYNTAX", "INVALID_KE_PAYLOAD", "SINGLE_PAIR_REQUIRED",
    "NO_ADDITIONAL_SAS", "INTERNAL_ADDRESS_FAILURE", "FAILED_CP_REQUIRED", "TS_UNACCEPTABLE", "INVALID_SELECTORS",
    "TEMPORARY_FAILURE", "CHILD_SA_NOT_FOUND", "UNACCEPTABLE_ADDRESSES", "UNEXPECTED_NAT_DETECTED"})
_NOTIFY_NAME = r"(?P<notify>[A-Z][A-Z0-9_]{3,}|v[12]N_[A-Z0-9_]+)"


class _Ctx:
    """What the head of a message said, and the record itself."""
    __slots__ = ("record", "conn_id", "state", "peer", "base")

    def __init__(self, record: Record, conn_id: int | None, state: str | None, peer: str | None,
                 base: dict[str, Any]):
        self.record, self.conn_id, self.state, self.peer, self.base = record, conn_id, state, peer, base

    def event(self, kind: str, message: str, **kw: Any) -> Event:
        detail = dict(self.base)
        detail.update(kw.pop("detail", None) or {})
        kw.setdefault("peer", self.peer)
        kw.setdefault("conn_id", self.conn_id)
        kw.setdefault("state", self.state)
        kw.setdefault("facility", "pluto")
        return Event(kind, self.record, message=message, detail=detail, **kw)


def _hex(text: str | None) -> int | None:
    if not text:
        return None
    try:
        return int(text.lower().removeprefix("0x"), 16) & 0xFFFFFFFF
    except ValueError:
        return None


def _endpoint(text: str | None) -> tuple[str | None, int | None]:
    """pluto's ``192.0.2.1:500``, ``[2001:db8::1]:500`` or ``2001:db8::1:500`` as (address, port)."""
    if not text:
        return None, None
    t = text.strip().rstrip(",;.)")
    if t.startswith("["):
        host, _, port = t[1:].partition("]")
        return address(host), int(port[1:]) if port[1:].isdigit() else None
    return address_port(t)


def _notify_kind(name: str) -> str:
    bare = name.removeprefix("v1N_").removeprefix("v2N_")
    return "error" if bare in _ERROR_NOTIFIES else "notify"


_KV = re.compile(r"(?P<k>[A-Za-z][\w/]*)=(?P<v>'[^']*'|[^\s,}]*)")


def _pairs(text: str) -> dict[str, str]:
    return {m["k"].lower(): m["v"].strip("'") for m in _KV.finditer(text)}


_Handler = Callable[[re.Match, _Ctx, str], list[Event]]


# ---- packets: the status lines of a state sent or received ----------------------------------------------------

def _message_name(what: str) -> str:
    """``request`` -> I1, ``reply``/``response`` -> R1, ``I2`` stays, Openswan's ``MI2``/``QR1`` -> I2/R1."""
    w = what.strip()
    low = w.lower()
    if low == "request":
        return "I1"
    if low in ("reply", "response"):
        return "R1"
    if len(w) == 3 and w[0] in "MQA":
        return w[1:]
    return w


def _sent_mode(m: re.Match, c: _Ctx, msg: str) -> list[Event]:
    out = m["verb"].lower() in ("sent", "sending")
    exchange = _MODES[m["mode"].lower()]
    d: dict[str, Any] = {"message": _message_name(m["what"]), "story": m[0].strip()}
    return [c.event("packet", msg, direction="out" if out else "in", exchange=exchange, detail=d)] \
        + _rest(msg[m.end():], c)


def _sent_short(m: re.Match, c: _Ctx, msg: str) -> list[Event]:
    out = m["verb"] == "sent"
    exchange = _SHORT_MODES[m["what"][0]]
    d: dict[str, Any] = {"message": _message_name(m["what"]), "story": m[0].strip()}
    if m["expect"]:
        d["expecting"] = m["expect"]
    return [c.event("packet", msg, direction="out" if out else "in", exchange=exchange, detail=d)] \
        + _rest(msg[m.end():], c)


def _v2_exchange(m: re.Match, c: _Ctx, msg: str) -> list[Event]:
    verb = m["verb"].lower()
    out = verb == "sent"
    peer, port = _endpoint(m["where"])
    d: dict[str, Any] = {"message": m["rr"].lower(), "story": m[0].strip()}
    if m["braces"]:
        d.update(_pairs(m["braces"]))
    return [c.event("packet", msg, direction="out" if out else "in", exchange=m["exch"],
                    peer=peer or c.peer, peer_port=port, detail=d)]


# ---- SAs ------------------------------------------------------------------------------------------------------

def _isakmp_established(m: re.Match, c: _Ctx, msg: str) -> list[Event]:
    d: dict[str, Any] = {"phase": 1, "sa": m["which"] or "IKE"}
    if m["braces"] is not None:
        d.update(_pairs(m["braces"]))
    return [c.event("sa_created", msg, detail=d)]


_SPIS = re.compile(r"(?P<proto>[A-Z]+(?:/[A-Z]+)*)=>(?P<out>0x[\w]+)\s+<(?P<inn>0x[\w]+)")


def _ipsec_established(m: re.Match, c: _Ctx, msg: str) -> list[Event]:
    d: dict[str, Any] = {"phase": 2, "sa": "IPsec", "mode": (m["mode"] or m["mode2"] or "").lower() or None}
    spi = None
    braces = m["braces"] or ""
    s = _SPIS.search(braces)
    if s is not None:
        d["protocol"] = s["proto"]
        d["spi_out_text"], d["spi_in_text"] = s["out"], s["inn"]
        d["spi_out"], d["spi_in"] = _hex(s["out"]), _hex(s["inn"])
        spi = d["spi_in"]
        braces = braces[:s.start()] + braces[s.end():]
    d.update({k: v for k, v in _pairs(braces).items() if k not in d})
    xfrm = d.get("xfrm")
    if xfrm:
        cipher, _, integ = xfrm.partition("-")
        d["cipher"], d["integ"] = cipher, integ or None
    if m["tunnel"]:
        d["traffic_selectors"] = m["tunnel"]
    # IKEv1's "IPsec SA established" ends Quick Mode; IKEv2's Child SA may come from IKE_AUTH or CREATE_CHILD_SA
    return [c.event("sa_created", msg, spi=spi, exchange="QUICK_MODE" if m["mode"] else "", detail=d)]


def _deleted(m: re.Match, c: _Ctx, msg: str) -> list[Event]:
    d: dict[str, Any] = {}
    sn = m["sn"] or m["sn2"]
    if m["what"]:
        d["what"] = m["what"]
    if sn:
        d["state_number"] = int(sn)
    if m["st"]:
        d["deleted_state"] = m["st"]
    if "sending notification" in msg and "NOT sending" not in msg:
        d["notification_sent"] = True
    received = m[0].startswith("received")
    return [c.event("sa_deleted", msg, direction="in" if received else None,
                    conn_id=int(sn) if sn else c.conn_id, detail=d)]


# ---- states and notes -----------------------------------------------------------------------------------------

def _initiating(m: re.Match, c: _Ctx, msg: str) -> list[Event]:
    mode = (m["mode"] or "").lower()
    exchange = _MODES.get(mode, "IKE_SA_INIT" if m["ver"] == "IKEv2" else "")
    d: dict[str, Any] = {"initiating": True}
    if m["ver"]:
        d["ike_version"] = m["ver"]
    if m["policy"]:
        d["policy"] = m["policy"]
    peer, port = _endpoint(m["to"])
    mid = _MSGID.search(msg)  # Openswan: "initiating Quick Mode ... {using isakmp#1 msgid:8b3c1a2f ...}"
    return [c.event("state", msg, exchange=exchange, peer=peer or c.peer, peer_port=port, detail=d,
                    message_id=_hex(mid[1]) if mid else None)]


#: the message ID in a brace list of pluto's ("{using isakmp#1 msgid:8b3c1a2f proposal=...}")
_MSGID = re.compile(r"\bmsgid:([0-9a-fA-F]{1,8})\b")


def _openswan_initiate(m: re.Match, c: _Ctx, msg: str) -> list[Event]:
    st = c.state or ""
    exchange = ("QUICK_MODE" if "QUICK" in st else "AGGRESSIVE" if "AGGR" in st else "ID_PROT" if "MAIN" in st
                else "")
    return [c.event("state", msg, exchange=exchange, detail={"initiating": True})]


def _responding(m: re.Match, c: _Ctx, msg: str) -> list[Event]:
    """``responding to Quick Mode proposal {msgid:22ac6853}``, ``responding to Main Mode from unknown peer``:
    pluto logs no line of its own for the exchange's first message it received, so this one is that message
    (I1, received)."""
    d: dict[str, Any] = {"responding": True, "message": "I1", "story": m[0].strip()}
    return [c.event("packet", msg, direction="in", exchange=_MODES[m["mode"].lower()], message_id=_hex(m["mid"]),
                    detail=d)]


def _peer_id(m: re.Match, c: _Ctx, msg: str) -> list[Event]:
    return [c.event("info", msg, detail={"peer_id_type": m["type"], "peer_id": m["id"]})]


def _added(m: re.Match, c: _Ctx, msg: str) -> list[Event]:
    d: dict[str, Any] = {"added": True}
    if m["ver"]:
        d["ike_version"] = m["ver"]
    return [c.event("info", msg, detail=d)]


def _info(what: str) -> _Handler:
    def handler(m: re.Match, c: _Ctx, msg: str) -> list[Event]:
        d: dict[str, Any] = {what: True}
        d.update({k: v.strip() for k, v in m.groupdict().items() if v})
        return [c.event("info", msg, detail=d)]
    return handler


def _vendor_id(m: re.Match, c: _Ctx, msg: str) -> list[Event]:
    return [c.event("info", msg, direction="in", detail={"vendor_id": m["vid"].strip()})]


# ---- notifies, retransmissions, errors ----------------------------------------------------------------------

def _notify_in(m: re.Match, c: _Ctx, msg: str) -> list[Event]:
    name = m["notify"]
    d: dict[str, Any] = {"notify": name}
    if m.groupdict().get("exch"):
        d["in_response_to"] = m["exch"]
    return [c.event(_notify_kind(name), msg, direction="in", message_id=_hex(m.groupdict().get("mid")), detail=d)]


def _notify_out(m: re.Match, c: _Ctx, msg: str) -> list[Event]:
    name = m["notify"]
    peer, port = _endpoint(m["to"])
    return [c.event(_notify_kind(name), msg, direction="out", peer=peer or c.peer, peer_port=port,
                    detail={"notify": name})]


def _retransmission(m: re.Match, c: _Ctx, msg: str) -> list[Event]:
    d: dict[str, Any] = {"retransmission": True, "error": "no response yet"}
    if m["wait"]:
        d["wait"] = float(m["wait"]) / (1000 if m["unit"].startswith("m") else 1)
    return [c.event("error", msg, direction="out", detail=d)]


def _gave_up(m: re.Match, c: _Ctx, msg: str) -> list[Event]:
    d: dict[str, Any] = {"error": "peer not responding", "retransmits": int(m["n"])}
    if m.groupdict().get("st"):
        d["in_state"] = m["st"]
    return [c.event("error", msg, detail=d)]


def _dpd_dead(m: re.Match, c: _Ctx, msg: str) -> list[Event]:
    return [c.event("error", msg, detail={"error": "peer dead (DPD)"})]


# ---- status output ------------------------------------------------------------------------------------------

def _trafficstatus(m: re.Match, c: _Ctx, msg: str) -> list[Event]:
    kv = _pairs(m["rest"])
    d: dict[str, Any] = {"conn": m["conn"], "type": m["type"], "add_time": int(m["add"])}
    for key, name in (("inbytes", "in_bytes"), ("outbytes", "out_bytes")):
        if kv.get(key, "").isdigit():
            d[name] = int(kv[key])
    for key, name in (("maxbytes", "max_bytes"), ("id", "id"), ("username", "username")):
        if key in kv:
            d[name] = kv[key]
    return [c.event("sa_status", msg, detail=d)]


def _status_state(m: re.Match, c: _Ctx, msg: str) -> list[Event]:
    d: dict[str, Any] = {"conn": m["conn"], "story": m["story"]}
    if m["port"]:
        d["port"] = int(m["port"])
    rest = m["rest"] or ""
    for part in rest.split(";"):
        p = part.strip()
        if p:
            d.setdefault("notes", []).append(p)
    return [c.event("sa_status", msg, state=m["state"], detail=d)]


_SA_TOKEN = re.compile(r"(?P<proto>esp|ah|comp|tun)\.(?P<spi>[0-9a-fA-F]+)@(?P<addr>\S+)")


def _status_spis(m: re.Match, c: _Ctx, msg: str) -> list[Event]:
    sas = [{"protocol": t["proto"].upper(), "spi": _hex(t["spi"]), "dst": address(t["addr"]) or t["addr"]}
           for t in _SA_TOKEN.finditer(m["sas"])]
    d: dict[str, Any] = {"conn": m["conn"], "sas": sas}
    d.update({k: v for k, v in _pairs(m["rest"] or "").items()})
    main = [s for s in sas if s["protocol"] in ("ESP", "AH")]
    spi = None
    if len(main) >= 2:   # pluto lists the outbound SA (at the peer) first, then the inbound one (at us)
        d["spi_out"], d["spi_in"] = main[0]["spi"], main[1]["spi"]
        spi = main[1]["spi"]
    elif main:
        spi = main[0]["spi"]
    return [c.event("sa_status", msg, spi=spi, peer=(main[0]["dst"] if main else None) or c.peer, detail=d)]


# ---- pluto debug ------------------------------------------------------------------------------------------------

def _debug_sending(m: re.Match, c: _Ctx, msg: str) -> list[Event]:
    peer, pport = _endpoint(m["to"])
    local, lport = _endpoint(m["from"]) if m["from"] else (None, None)
    if lport is None and m["ifport"]:
        lport = int(m["ifport"])
    d: dict[str, Any] = {"socket": True, "for": m["why"], "interface": m["ifc"]}
    sn = m["using"]
    return [c.event("info", msg, direction="out", peer=peer, peer_port=pport, local=local, local_port=lport,
                    bytes=int(m["n"]), conn_id=int(sn) if sn else c.conn_id, detail=d)]


def _debug_received(m: re.Match, c: _Ctx, msg: str) -> list[Event]:
    peer, pport = _endpoint(m["frm"])
    local, lport = _endpoint(m["local"]) if m["local"] else (None, None)
    d: dict[str, Any] = {"socket": True, "interface": m["ifc"]}
    return [c.event("info", msg, direction="in", peer=peer, peer_port=pport, local=local, local_port=lport,
                    bytes=int(m["n"]), detail=d)]


_ENDPOINT = r"(?:\[[0-9A-Fa-f:.]+\]:\d+|[0-9A-Fa-f:.]+)"
_MODE_WORD = r"(?P<mode>Main|Quick|Aggressive) Mode"

#: Rule = (a literal that must occur in the message, the pattern searched in it, the handler); tried in order,
#: the first that matches gives the message's events
RULES: list[tuple[str, "re.Pattern[str]", _Handler]] = [
    ("type=", re.compile(r"^\"(?P<conn>[^\"]*)\"(?:\[\d+\])?(?:\s+\S+?)?,\s*type=(?P<type>[\w/]+),\s*"
                         r"add_time=(?P<add>\d+)(?P<rest>.*)"), _trafficstatus),
    ("(", re.compile(r"^\"(?P<conn>[^\"]*)\"(?:\[\d+\])?(?:\s+[^\s:]+)?(?::(?P<port>\d+))?\s+"
                     r"(?P<state>[A-Z][A-Z0-9_]+)\s+\((?P<story>[^)]*)\);?(?P<rest>.*)"), _status_state),
    ("@", re.compile(r"^\"(?P<conn>[^\"]*)\"(?:\[\d+\])?(?:\s+[^\s:]+)?(?::\d+)?\s+"
                     r"(?P<sas>(?:(?:esp|ah|comp|tun)\.[0-9a-fA-F]+@\S+\s*)+)(?P<rest>.*)"), _status_spis),
    ("bytes", re.compile(r"^\|\s*sending (?P<n>\d+) bytes for (?P<why>\S+) through (?P<ifc>[^\s:]+)"
                         r"(?::(?P<ifport>\d+))?(?: from (?P<from>" + _ENDPOINT + r"))? to (?P<to>" + _ENDPOINT +
                         r")(?:.*?\((?:using|for) #(?P<using>\d+)\))?"), _debug_sending),
    ("bytes", re.compile(r"^\|\s*\*?received (?P<n>\d+) bytes from (?P<frm>" + _ENDPOINT + r") on (?P<ifc>\S+)"
                         r"(?:\s+\(?(?P<local>" + _ENDPOINT + r")\)?)?"), _debug_received),
    ("Mode", re.compile(r"(?P<verb>sent|received|sending) " + _MODE_WORD +
                        r" (?P<what>request|reply|response|[IR]\d)\b"), _sent_mode),
    ("sent", re.compile(r"(?P<verb>sent) (?P<what>[MQA][IR]\d)\b(?:,\s*expecting (?P<expect>[MQA][IR]\d))?"),
     _sent_short),
    ("_", re.compile(r"(?P<verb>sent|received|processed|processing) (?:decrypted )?"
                     r"(?P<exch>IKE_SA_INIT|IKE_AUTH|CREATE_CHILD_SA|INFORMATIONAL|IKE_INTERMEDIATE|IKE_SESSION_RESUME)"
                     r" (?P<rr>request|response)(?: (?:to|from) (?P<where>" + _ENDPOINT + r"))?"
                     r"(?:[^{]*\{(?P<braces>[^}]*)\})?"), _v2_exchange),
    ("established", re.compile(r"(?:(?P<which>ISAKMP|IKE) SA established|established IKE SA)[^{]*"
                               r"(?:\{(?P<braces>[^}]*)\}?)?"), _isakmp_established),
    ("IPsec", re.compile(r"(?:IPsec SA established (?P<mode>\w+) mode|established Child SA(?: using #\d+)?;\s*"
                         r"IPsec (?P<mode2>\w+)(?:\s*(?P<tunnel>\[[^\]]*\]))?)[^{]*(?:\{(?P<braces>[^}]*)\}?)?"),
     _ipsec_established),
    ("initiat", re.compile(r"initiating (?:(?P<ver>IKEv[12]) )?(?:" + _MODE_WORD + r")?\s*(?:connection)?"
                           r"(?:\s*(?:IKEv1\+)?(?P<policy>[A-Z0-9_]+(?:\+[A-Z0-9_]+)+))?"
                           r"(?:.*? to (?P<to>" + _ENDPOINT + r"))?"), _initiating),
    ("initiate", re.compile(r"^initiate\b"), _openswan_initiate),
    ("responding", re.compile(r"responding to " + _MODE_WORD + r"(?: proposal)?(?:\s*\{msgid:(?P<mid>[0-9a-fA-F]+)\})?"),
     _responding),
    ("Peer ID", re.compile(r"Peer ID is (?P<type>ID_\w+):\s*'(?P<id>[^']*)'"), _peer_id),
    ("added", re.compile(r"added (?:(?P<ver>IKEv[12]) )?connection"), _added),
    # notifies and failures
    ("retransmission", re.compile(r"max number of retransmissions \((?P<n>\d+)\) reached(?: (?P<st>STATE_\w+))?"),
     _gave_up),
    ("timeout", re.compile(r"\d+ second timeout exceeded after (?P<n>\d+) retransmits"), _gave_up),
    ("retransmission", re.compile(r"retransmission; will wait (?P<wait>[\d.]+) ?(?P<unit>seconds|ms|milliseconds)"),
     _retransmission),
    ("notif", re.compile(r"(?:received and ignored notification payload|received notification(?: payload)?|"
                         r"ignoring (?:unauthenticated |unexpected )?(?:informational|notification) payload)"
                         r":?\s*" + _NOTIFY_NAME + r"(?:,\s*msgid=(?P<mid>[0-9a-fA-F]+))?"), _notify_in),
    ("informational", re.compile(r"ignoring (?:unauthenticated |unexpected )?informational payload:?\s*"
                                 + _NOTIFY_NAME + r"(?:,\s*msgid=(?P<mid>[0-9a-fA-F]+))?"), _notify_in),
    ("notification", re.compile(r"(?P<exch>IKE_SA_INIT|IKE_AUTH|CREATE_CHILD_SA|INFORMATIONAL) (?:response|request) "
                                r"contained (?:the |an )?(?:error )?(?:notification|notify) " + _NOTIFY_NAME), _notify_in),
    ("notification", re.compile(r"sending (?:encrypted )?notification " + _NOTIFY_NAME +
                                r"(?: to (?P<to>" + _ENDPOINT + r"))?"), _notify_out),
    ("Vendor ID", re.compile(r"(?:received|ignoring) Vendor ID payload \[?(?P<vid>[^\]]+)\]?"), _vendor_id),
    ("elet", re.compile(r"(?:deleting (?:other )?(?:state|IPsec SA|ISAKMP SA|IKE SA|Child SA)"
                        r"(?: #(?P<sn>\d+))?(?:\s*\((?P<st>[A-Z0-9_]+)\))?"
                        r"|received Delete SA(?:\([^)]*\))? payload: (?:deleting|replace) (?P<what>\w+)"
                        r" [Ss]tate #(?P<sn2>\d+)"
                        r"|(?:IKE|ISAKMP|IPsec|Child) SA (?:expired|deleted))"), _deleted),
    ("dead", re.compile(r"DPD: No response from peer - declaring peer dead|declaring peer dead"), _dpd_dead),
    ("NAT", re.compile(r"NAT-Traversal: Result using (?P<nat_method>.+?): (?P<nat_result>.+)"), _info("nat_traversal")),
    ("Dead Peer Detection", re.compile(r"Dead Peer Detection \(RFC 3706\): (?P<dpd>\w+)"), _info("dpd")),
]



#: Messages that report a failure without a rule of their own
_FAILURE = re.compile(r"[Ff]ail(?:ed|ure)|\b[Ee]rror\b|[Mm]ismatch|[Ii]nvalid|[Uu]nable to|[Rr]ejected|"
                      r"[Uu]nacceptable|[Rr]efused|does not match|no acceptable|[Nn]o response|[Nn]o suitable|"
                      r"[Nn]o connection (?:has been )?(?:authorized|found)|[Cc]annot |[Cc]ould not ")
#: a notify name standing alone after an Openswan 2xx code or in an error-ish line
_BARE_NOTIFY = re.compile(r"^" + _NOTIFY_NAME + r"\b")
_ANY_ERROR_NOTIFY = re.compile(r"\b(?:v[12]N_)?(?P<notify>" + "|".join(sorted(_ERROR_NOTIFIES)) + r")\b")


def _rest(text: str, c: _Ctx) -> list[Event]:
    """The events of what follows a packet story ("sent QI2, IPsec SA established tunnel mode {…}")."""
    text = text.strip(" ,;")
    if not text:
        return []
    for literal, pattern, handler in RULES:
        if handler not in (_isakmp_established, _ipsec_established):
            continue
        if literal in text:
            m = pattern.search(text)
            if m is not None:
                return handler(m, c, text)
    return []


@never_raises
def events(record: Record) -> list[Event]:
    """The events of a libreswan/Openswan record, or of tcpdump lines pasted with it (an empty list when it
    says nothing this parser knows)."""
    text = record.text
    if not text:
        return []
    starts = [m.start() for m in MESSAGE_START.finditer(text)]
    if not starts or starts[0] != 0:
        starts.insert(0, 0)
    out: list[Event] = []
    for i, start in enumerate(starts):
        end = starts[i + 1] if i + 1 < len(starts) else len(text)
        segment = text[start:end].strip()
        if segment:
            out.extend(_message_events(record, segment))
    return out


def _message_events(record: Record, text: str) -> list[Event]:
    if text.startswith("IP") and " > " in text:
        m = TCPDUMP_LINE.match(text)
        if m is not None:
            return _tcpdump(m, record, text)
    head = _HEAD.match(text)
    if head is None:     # cannot happen (everything in _HEAD is optional)
        return []
    msg = text[head.end():].strip()
    if not msg:
        return []
    state = None
    sp = _STATE_PREFIX.match(msg)
    if sp is not None:
        state = sp["state"]
        msg = msg[sp.end():].strip()
    base: dict[str, Any] = {}
    if head["conn"] is not None:
        base["conn"] = head["conn"]
    if head["inst"]:
        base["instance"] = int(head["inst"][1:-1])
    if head["rc"]:
        base["rc"] = head["rc"]
    if head["sev"]:
        base["severity"] = head["sev"]
    peer = address(head["ipeer"]) if head["ipeer"] else None
    c = _Ctx(record, int(head["sn"]) if head["sn"] else None, state, peer, base)
    if not msg:
        if state is not None:
            return [c.event("state", text.strip())]
        return []
    for literal, pattern, handler in RULES:
        if literal in msg:
            m = pattern.search(msg)
            if m is not None:
                return handler(m, c, msg)
    rc = head["rc"]
    if rc and rc.isdigit() and 200 <= int(rc) < 300 and head["conn"] is not None:
        # Openswan: 200 + the notify type the peer sent ("214 "west" #1: STATE_MAIN_I1: NO_PROPOSAL_CHOSEN")
        code = int(rc) - 200
        name = _V1_NOTIFIES.get(code)
        bare = _BARE_NOTIFY.match(msg)
        name = name or (bare["notify"] if bare else None) or str(code)
        return [c.event(_notify_kind(name), msg, direction="in", detail={"notify": name, "notify_type": code})]
    n = _ANY_ERROR_NOTIFY.search(msg)
    if n is not None:
        return [c.event("error", msg, detail={"notify": n["notify"]})]
    failing = (head["sev"] is not None and "ERROR" in head["sev"]) or (rc is not None and rc.isdigit()
                                                                       and 20 <= int(rc) < 100)
    if failing or _FAILURE.search(msg):
        return [c.event("error", msg)]
    if state is not None and sp is not None:
        return [c.event("state", msg)]
    return []


def _port(name: str) -> int | None:
    if name.isdigit():
        return int(name)
    return _PORT_NAMES.get(name.lower())


def _host_port(token: str) -> tuple[str, int | None]:
    """tcpdump's ``192.0.2.1.500``, ``192.0.2.1.isakmp``, ``2001:db8::1.500`` or a bare address (ESP)."""
    a = address(token)
    if a is not None:
        return a, None
    host, _, port = token.rpartition(".")
    number = _port(port) if host else None
    if number is None:
        return token, None
    return address(host) or host, number


def _tcpdump(m: re.Match, record: Record, text: str) -> list[Event]:
    src, sport = _host_port(m["src"])
    dst, dport = _host_port(m["dst"])
    d: dict[str, Any] = {"src": src, "dst": dst, "src_port": sport, "dst_port": dport}
    if m["encap"]:
        d["encapsulation"] = m["encap"]
    if m["esp"]:
        d["esp_seq"] = int(m["seq"], 16)
        if m["len"]:
            d["length"] = int(m["len"])
        return [Event("info", record, message=text, facility="tcpdump", spi=_hex(m["spi"]), detail=d)]
    if m["keepalive"]:
        d["keepalive"] = True
        return [Event("info", record, message=text, facility="tcpdump", detail=d)]
    role = None
    if m["phase"]:
        exchange = _TCPDUMP_EXCHANGES.get(m["exch"], m["exch"].upper())
        role = m["role"]
        d["phase"] = 1 if m["phase"] == "1" else 2
        d["encrypted"] = bool(m["enc"])
        d["ike_version"] = 1
    elif m["sa2"]:
        exchange = _TCPDUMP_EXCHANGES.get(m["exch2"], m["exch2"].upper())
        flags = m["flags"] or ""
        role = "I" if "I" in flags else "R"
        d["response"] = "R" in flags
        d["ike_version"] = 2
    else:
        exchange = ""
    if m["ver"]:
        d["ike_version"] = int(m["ver"][0])
    if m["icookie"]:
        d["initiator_cookie"], d["responder_cookie"] = m["icookie"], m["rcookie"]
    kw: dict[str, Any] = {}
    if role == "I":
        kw = dict(local=src, local_port=sport, peer=dst, peer_port=dport)
    elif role == "R":
        kw = dict(local=dst, local_port=dport, peer=src, peer_port=sport)
    if role:
        d["role"] = role
    return [Event("packet", record, message=text, facility="tcpdump", exchange=exchange,
                  message_id=_hex(m["mid"]), detail=d, **kw)]
