"""Cisco IOS and IOS-XE crypto debug records to events.

Sources: the output of ``debug crypto isakmp``, ``debug crypto ipsec``, ``debug crypto kmi``
and ``debug crypto ikev2`` on IOS 12.x, 15.x and IOS-XE 3.x/16.x, the ``CRYPTO_PKI`` lines of
``debug crypto pki``, and ``%FACILITY-n-MNEMONIC`` syslog messages, as people paste them into
tickets and documents (the seed TAC document, ``../shared/debug-samples/``).  A record arrives
from :mod:`correlate.records` with its stamp removed and its hard-wrapped lines joined with one
blank; :func:`events` reads its text and never raises.

How a record is read:

* the prefix gives the facility and the conn-id: 12.x ``ISAKMP (0:2):`` (conn-id 2, the number
  after ``0:``), 15.x ``ISAKMP:(1011):``, ``ISAKMP: (1011):``, ``ISAKMP (1011):``, IOS-XE
  ``ISAKMP-PAK: (0):`` and ``ISAKMP-ERROR: (0):``; ``IKEv2:(SESSION ID = 31,SA ID = 1):``
  (conn-id = the SA ID, ``detail["session_id"]``); ``IPSEC(create_sa):`` (facility IPSEC, the
  function name picks the reader of :data:`IPSEC_FUNCTIONS`, which reads its ``key= value`` pairs);
  ``CRYPTO_PKI:``; ``KMI``/``CRYPTO_KMI``; ``%CRYPTO-4-IKMP_NO_SA:``
  (facility = the tag without ``%``, ``CRYPTO-4-IKMP_NO_SA``);
* the first word of the text after the prefix picks the candidate rows of a table of
  (compiled regex, handler); the first row whose regex matches gives the events;
* a record tagged ``-ERROR`` that no row explains, and any text with a phrase of
  :data:`ERROR_PHRASES` or saying ``fail``/``failed``, still gives an ``error`` event.

Record texts repeat in a debug log (the same conn-id's ``Input =``, ``vendor id`` and state lines), and
a record's events depend on its text alone: :func:`events` keeps the fields of the last 8192 texts'
events and builds the events of a text it has seen from them (a bounded memo, cleared when full).

Shapes and units: addresses as :func:`correlate.addresses.address` writes them (``2001: DB8::2``
becomes ``2001:db8::2``; IOS's ``addr:port`` tokens are split by
:func:`~correlate.addresses.address_port`); ports and conn-ids are ints; message IDs are uint32
(12.x prints them signed: ``-889293300`` is 3405673996); SPIs are ints (``0x45F16A9A`` is
1173449370); lifetimes are seconds and kilobytes (``SA life duration (VPI) of 0x0 0x46 0x50 0x0``
is 4608000).  Console noise is tolerated: ping dots glued to tokens (``Old State = .IKE_I_MM2``,
``New State = IKE_QM_PHASE2_COMPLETE.....``), author annotations (``<-- This is the error``),
tabs and trailing blanks.

Events (``Event.kind``, and what is set besides facility, conn_id and the record):

* ``packet``: ``received packet from A dport P sport Q Global (R) STATE`` (direction "in", peer A,
  peer_port Q, local_port P) and ``sending packet to A my_port P peer_port Q (I) STATE`` ("out");
  state = the trailing state (``NEW SA`` too), ``detail`` role ("R"/"I"/"N") and vrf.  A packet line
  carries no message ID: ``message_id`` is None, the records after it (``processing HASH payload.
  message ID = N``) give it.  ``retransmitting phase 1 MM_KEY_EXCH...``/``resending``: direction
  "out", ``detail["retransmission"]`` True (IOS may also log the resent packet's ``sending packet``
  line).  IKEv2 ``Sending Packet [To A:P/From B:Q/VRF ...]``/``Received Packet``: peer, ports, local,
  message_id (``Message id: N``), exchange (``IKEv2 IKE_AUTH Exchange REQUEST``, when in the record),
  payloads (``Payload contents:``), ``detail`` initiator_spi, responder_spi, request;
* ``state``: ``Old State = X New State = Y`` (old_state, state); ``set new node N to QM_IDLE``
  (message_id, state); ``Node N, Input = SRC, EVENT`` (``detail`` input, event); ``SA has been
  authenticated with A`` (state "AUTHENTICATED", peer); IKEv2 ``SM Trace`` (state = CurState,
  ``detail`` event) and ``Session ... is UP``;
* ``payload``: ``processing|constructing X payload. message ID = N`` (payloads [X], message_id);
* ``proposal``: ``detail`` with one of phase/transform/policy, proposal, transform_id, encryption,
  keylength, hash, group, auth, life_type, life_duration (seconds or kilobytes), authenticator,
  key_length, encaps/mode, acceptable; ``IPSEC(validate_proposal_request|sa_request)``: local,
  local_port, peer, peer_port and ``detail`` function, local_proxy, remote_proxy, protocol,
  transform, lifedur, spi, conn_id, keysize, flags, direction;
* ``sa_created``: ``IPSEC(create_sa)``: spi, ``detail`` dest, proto, transform, conn_id (the IPsec
  SA's), lifetime_kb, lifetime_sec and, in IOS-XE's ``(identity)`` form, local, remote, proxies and
  inbound (sa_dest is the local address), with peer and local then (the classic form names no peer:
  its sa_dest is this router for the inbound SA); ``Successfully installed IPSEC SA
  (SPI:0x...)``; IKEv2 ``IKEV2 SA created``;
* ``sa_deleted``: ``deleting node N error FALSE reason "..."`` (message_id, ``detail`` reason,
  error), ``deleting SA reason "..."``, ``purging node N``, IKEv2 ``Sending DELETE INFO`` (spi);
* ``notify``: ``sending|received|processing NOTIFY TYPE protocol P`` (direction, ``detail`` notify,
  protocol); an error type (:data:`ERROR_NOTIFIES`) also gives an ``error``;
* ``error``: the rows of errors, ``atts are not acceptable``, error notifies, IKEv2 ``EV_*FAIL*``
  events and ``NOTIFY(NO_PROPOSAL_CHOSEN)`` in a payload list, error syslog mnemonics
  (:data:`ERROR_MNEMONICS`, ``%CRYPTO-n-`` with n <= 4, with spi, peer and local when said), and
  the fallback above; message = the text (without the prefix);
* ``info``: ``beginning Main|Aggressive|Quick Mode exchange`` (exchange, message_id from ``M-ID
  of``), port floating (peer_port), KMI queue events, other syslog messages (``detail`` severity,
  mnemonic; interface and state of UPDOWN messages); NAT discovery (RFC 3947 section 3.2):
  ``NAT found, both nodes inside NAT``, ``No NAT Found for self or peer``, IKEv2 ``NAT not found``
  (``detail`` nat_detected, nat = "local"/"remote"/"both", local_behind_nat, remote_behind_nat) and
  the NAT-D comparisons ``His hash no match - this node outside NAT`` / ``My hash no match - this node
  inside NAT`` (nat_d "his"/"mine", hash_match False, local_behind_nat; IOS also says the first with no
  NAT at all, so it says nothing of the peer); ``Process initial contact, bring down existing phase 1
  and 2 SA's with local A remote B remote port P`` (direction "in", local, peer, peer_port,
  initial_contact); ``peer does not do paranoid keepalives.`` (paranoid_keepalives False: routine when
  IOS deletes an IKE SA, no error); ``ignoring request to send delete notify (no ISAKMP sa)`` is an
  ``error`` with ``detail`` notify_not_sent "DELETE" (no notify went out); ``peer matches *none* of the
  profiles`` / ``peer matches X profile`` (profile_match, profile); ``SA authentication status: S``
  (authentication_status); ``Started lifetime timer: N`` (phase 1, lifetime_sec); ``Created a peer struct for A, peer port P`` (peer,
  peer_port); ``local port L, remote port R`` (local_port, peer_port); ``Crypto mapdb : proxy_match``
  blocks (facility CRYPTO, ``detail`` proxy_match, src, dst, protocol, src_port, dst_port); the fields
  of an ID payload block that IOS-XE logs as records of their own (``address : A``, ``protocol : 17``
  ...: ``detail["id_fields"]``, which :func:`join_id_fields` adds to the ``ID payload`` event before).
* ``payload`` also: ``received payload type 20`` (payloads ["NAT-D"], ``detail`` payload_type; a type
  that is no NAT-T payload gives an ``info`` event with payload_type).
"""
from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Callable

from . import addresses
from .addresses import ADDRESS_TEXT
from .model import Event, Record
from dissect import registry
from dissect.model import endpoint_text

__all__ = ["events", "message_id", "vpi_value", "join_id_fields", "promote_ip_sends", "ISAKMP_ROWS", "IKEV2_ROWS", "IPSEC_FUNCTIONS", "ERROR_NOTIFIES",
           "ERROR_MNEMONICS", "ERROR_PHRASES"]

#: addresses repeat in a log: normalised once each
address = functools.lru_cache(maxsize=4096)(addresses.address)
address_port = functools.lru_cache(maxsize=4096)(addresses.address_port)

def _addr(name: str) -> str:
    """An address in text as a named group (IPv4, IPv6, the seed's "2001: DB8::2"), not followed by
    more of a word or a colon."""
    return f"(?P<{name}>" + ADDRESS_TEXT + r")(?![\w:])"


#: a state token, with console ping dots glued on either side ("IKE_QM_PHASE2_COMPLETE.....")
_STATE = r"[.!]*(?P<{}>[A-Z][A-Z0-9_]*)[.!]*"


def _state(name: str) -> str:
    return _STATE.format(name)


def message_id(text: str) -> int:
    """An IOS message ID as uint32: IOS 12.x prints it as a signed 32-bit number."""
    return int(text) & 0xFFFFFFFF


def vpi_value(text: str) -> int:
    """The value of an ISAKMP variable-length attribute as IOS prints it, one hex byte per token
    (``0x0 0x46 0x50 0x0`` → 4608000)."""
    value = 0
    for token in text.split():
        value = (value << 8) | (int(token, 16) & 0xFF)
    return value


def _spi(text: str | None) -> int | None:
    """An SPI as IOS writes it: ``0x45F16A9A`` (hex) or ``0`` (decimal); None when it is neither."""
    t = (text or "").strip()
    try:
        return int(t, 16) if t[:2].lower() == "0x" else int(t)
    except ValueError:
        return None


# --------------------------------------------------------------------------- the record's prefix

#: the prefixes, one per facility; the text's first two characters pick the one to try
#: ISAKMP (0:2):  ISAKMP:(1011):  ISAKMP: (1011):  ISAKMP (1011):  ISAKMP-PAK: (0):  ISAKMP:(0)::  ISAKMP : x
_ISAKMP_PREFIX = re.compile(r"ISAKMP(?:-([A-Z]+))?\s*:?\s*(?:\(\s*(?:\d+\s*:\s*)?(-?\d+)\s*\)\s*)?[\s:.!]*")
#: IKEv2:(SESSION ID = 31,SA ID = 1):  IKEv2:(SA ID = 1):  IKEv2-ERROR:(...):  IKEv2:% ...  IKEv2 IKE_AUTH Exchange
_IKEV2_PREFIX = re.compile(r"IKEv2(?:-([A-Z]+))?\s*:?\s*(?:\(\s*(?:SESSION ID\s*=\s*(\d+)\s*,\s*)?"
                           r"(?:SA ID\s*=\s*)?(\d+)\s*\)\s*)?[\s:.!]*")
#: IPSEC(create_sa):  IPSEC(validate_proposal_request):
_IPSEC_PREFIX = re.compile(r"IPSEC\s*(?:\(([^)]*)\))?[\s:]*")
#: %CRYPTO-4-RECVD_PKT_INV_SPI:
_SYSLOG_PREFIX = re.compile(r"%([A-Z][A-Z0-9_]*)-(\d)-([A-Z0-9_]+)\s*:\s*")
#: CRYPTO_PKI:  CRYPTO_PKI : ...  KMI: ...  CRYPTO_KMI: ...
_OTHER_PREFIX = re.compile(r"(CRYPTO_PKI|(?:CRYPTO_)?KMI)\s*:?[\s:]*")

#: an author's annotation after the device text: "<-- This is the error"
_ANNOTATION = re.compile(r"\s*<-{1,3}\s.*$")


class _Ctx:
    """What every event of a record shares: the record, facility, conn-id, and extra detail."""
    __slots__ = ("record", "facility", "conn_id", "extra", "tag")

    def __init__(self, record: Record, facility: str, conn_id: int | None, tag: str = "",
                 extra: dict | None = None):
        self.record, self.facility, self.conn_id, self.tag, self.extra = record, facility, conn_id, tag, extra

    def ev(self, kind: str, message: str, detail: dict | None = None, **kw) -> Event:
        if self.extra:
            detail = {**self.extra, **(detail or {})}
        kw.setdefault("conn_id", self.conn_id)
        return Event(kind, self.record, message, facility=self.facility, detail=detail or {}, **kw)


Handler = Callable[[re.Match, _Ctx], list[Event]]


# --------------------------------------------------------------------------- ISAKMP handlers

def _packet_in(m: re.Match, c: _Ctx) -> list[Event]:
    peer = address(m["peer"])
    sport = int(m["sport"]) if m["sport"] else None
    dport = int(m["dport"]) if m["dport"] else None
    state = m["state"]
    detail = {"role": m["role"]}
    if m["vrf"]:
        detail["vrf"] = m["vrf"]
    where = endpoint_text(peer, sport)
    return [c.ev("packet", f"received from {where} ({m['role']}) {state}", detail, direction="in", peer=peer,
                 peer_port=sport, local_port=dport, state=state)]


def _packet_out(m: re.Match, c: _Ctx) -> list[Event]:
    peer = address(m["peer"])
    pport = int(m["pport"]) if m["pport"] else None
    myport = int(m["myport"]) if m["myport"] else None
    state = m["state"]
    where = endpoint_text(peer, pport)
    return [c.ev("packet", f"sent to {where} ({m['role']}) {state}", {"role": m["role"]}, direction="out",
                 peer=peer, peer_port=pport, local_port=myport, state=state)]


def _retransmit(m: re.Match, c: _Ctx) -> list[Event]:
    detail: dict = {"retransmission": True}
    if m["phase"]:
        detail["phase"] = int(m["phase"])
    state = m["state"]
    return [c.ev("packet", "retransmission" + (f" of phase {m['phase']}" if m["phase"] else "")
                 + (f" {state}" if state else ""), detail, direction="out", state=state)]


def _transition(m: re.Match, c: _Ctx) -> list[Event]:
    return [c.ev("state", f"{m['old']} -> {m['new']}", old_state=m["old"], state=m["new"])]


def _new_node(m: re.Match, c: _Ctx) -> list[Event]:
    mid = message_id(m["node"])
    return [c.ev("state", f"new node {mid} in {m['state']}", {"node": mid}, message_id=mid, state=m["state"])]


def _input(m: re.Match, c: _Ctx) -> list[Event]:
    mid = message_id(m["node"]) if m["node"] else None
    detail = {"input": m["src"], "event": m["event"]}
    if mid is not None:
        detail["node"] = mid
    return [c.ev("state", f"input {m['src']}, {m['event']}", detail, message_id=mid)]


def _payload(m: re.Match, c: _Ctx) -> list[Event]:
    name = " ".join(m["name"].split())
    mid = message_id(m["mid"]) if m["mid"] else None
    return [c.ev("payload", f"{m['verb']} {name} payload", {"action": m["verb"]}, payloads=[name],
                 message_id=mid)]


#: notify types that say something failed (RFC 2408 3.14.1 error types, RFC 7296 3.10.1, Cisco's names)
ERROR_NOTIFIES = frozenset((
    "INVALID_PAYLOAD_TYPE", "DOI_NOT_SUPPORTED", "SITUATION_NOT_SUPPORTED", "INVALID_COOKIE",
    "INVALID_MAJOR_VERSION", "INVALID_MINOR_VERSION", "INVALID_EXCHANGE_TYPE", "INVALID_FLAGS",
    "INVALID_MESSAGE_ID", "INVALID_PROTOCOL_ID", "INVALID_SPI", "INVALID_TRANSFORM_ID",
    "ATTRIBUTES_NOT_SUPPORTED", "NO_PROPOSAL_CHOSEN", "PROPOSAL_NOT_CHOSEN", "BAD_PROPOSAL_SYNTAX",
    "PAYLOAD_MALFORMED", "INVALID_KEY_INFORMATION", "INVALID_ID_INFORMATION", "INVALID_CERT_ENCODING",
    "INVALID_CERTIFICATE", "CERT_TYPE_UNSUPPORTED", "INVALID_CERT_AUTHORITY", "INVALID_HASH_INFORMATION",
    "AUTHENTICATION_FAILED", "INVALID_SIGNATURE", "CERTIFICATE_UNAVAILABLE", "UNSUPPORTED_EXCHANGE_TYPE",
    "UNEQUAL_PAYLOAD_LENGTHS", "UNSUPPORTED_CRITICAL_PAYLOAD", "INVALID_IKE_SPI", "INVALID_SYNTAX",
    "SINGLE_PAIR_REQUIRED", "NO_ADDITIONAL_SAS", "INTERNAL_ADDRESS_FAILURE", "FAILED_CP_REQUIRED",
    "TS_UNACCEPTABLE", "INVALID_SELECTORS", "TEMPORARY_FAILURE", "CHILD_SA_NOT_FOUND", "INVALID_KE_PAYLOAD",
))

_NOTIFY_DIRECTION = {"sending": "out", "sent": "out", "received": "in", "processing": "in"}


def _notify(m: re.Match, c: _Ctx) -> list[Event]:
    ntype = m["type"]
    direction = _NOTIFY_DIRECTION.get(m["verb"].lower())
    detail: dict = {"notify": ntype}
    if m["proto"]:
        detail["protocol"] = int(m["proto"])
    spi = _spi(m["spi"]) if m["spi"] else None
    mid = message_id(m["mid"]) if m["mid"] else None
    out = [c.ev("notify", f"{m['verb']} NOTIFY {ntype}", detail, direction=direction, message_id=mid,
                spi=spi or None)]
    if ntype in ERROR_NOTIFIES:
        out.append(c.ev("error", f"NOTIFY {ntype} ({'sent' if direction == 'out' else 'received'})",
                        {"notify": ntype}, message_id=mid))
    return out


def _deleting_node(m: re.Match, c: _Ctx) -> list[Event]:
    mid = message_id(m["node"])
    detail = {"node": mid, "reason": m["reason"], "error": m["err"].upper() == "TRUE"}
    return [c.ev("sa_deleted", f"node {mid} deleted: {m['reason']}", detail, message_id=mid)]


def _deleting_sa(m: re.Match, c: _Ctx) -> list[Event]:
    peer = address(m["peer"]) if m["peer"] else None
    detail = {"reason": m["reason"]}
    if m["role"]:
        detail["role"] = m["role"]
    return [c.ev("sa_deleted", f"SA deleted: {m['reason']}", detail, peer=peer, state=m["state"])]


def _purging_node(m: re.Match, c: _Ctx) -> list[Event]:
    mid = message_id(m["node"])
    return [c.ev("sa_deleted", f"node {mid} purged", {"node": mid, "reason": "purged"}, message_id=mid)]


def _authenticated(m: re.Match, c: _Ctx) -> list[Event]:
    peer = address(m["peer"])
    return [c.ev("state", f"SA authenticated with {peer}", {"authenticated": True}, peer=peer,
                 state="AUTHENTICATED")]


_EXCHANGES = {"main": "ID_PROT", "aggressive": "AGGRESSIVE", "quick": "QUICK_MODE"}


def _beginning(m: re.Match, c: _Ctx) -> list[Event]:
    mid = message_id(m["mid"]) if m["mid"] else None
    exchange = _EXCHANGES.get(m["mode"].lower(), m["mode"])
    return [c.ev("info", f"beginning {m['mode']} Mode exchange", message_id=mid, exchange=exchange)]


def _check_transform(m: re.Match, c: _Ctx) -> list[Event]:
    return [c.ev("proposal", f"checking ISAKMP transform {m['t']} against policy {m['p']}",
                 {"phase": 1, "transform": int(m["t"]), "policy": int(m["p"])})]


def _check_proposal(m: re.Match, c: _Ctx) -> list[Event]:
    return [c.ev("proposal", f"checking IPsec proposal {m['n']}", {"phase": 2, "proposal": int(m["n"])})]


def _transform(m: re.Match, c: _Ctx) -> list[Event]:
    return [c.ev("proposal", f"transform {m['n']}, {m['id']}", {"transform": int(m["n"]), "transform_id": m["id"]})]


def _attribute(key: str, convert: Callable[[str], object]) -> Handler:
    def handle(m: re.Match, c: _Ctx) -> list[Event]:
        try:
            value = convert(m["v"])
        except ValueError:
            value = m["v"]
        detail = {key: value}
        if m.groupdict().get("mode"):
            detail["mode"] = m["mode"]
        return [c.ev("proposal", f"{key} {value}", detail)]
    return handle


def _atts(m: re.Match, c: _Ctx) -> list[Event]:
    if m["not"]:
        return [c.ev("proposal", "attributes not acceptable", {"acceptable": False}),
                c.ev("error", "atts are not acceptable", {"acceptable": False})]
    return [c.ev("proposal", "attributes acceptable", {"acceptable": True})]


def _installed(m: re.Match, c: _Ctx) -> list[Event]:
    spi = _spi(m["spi"])
    detail = {"interface": m["ifc"]} if m["ifc"] else {}
    return [c.ev("sa_created", f"IPsec SA {m['spi']} installed", detail, spi=spi)]


def _floating(m: re.Match, c: _Ctx) -> list[Event]:
    return [c.ev("info", f"port floating to {m['port']}", {"nat_t": True}, peer_port=int(m["port"]))]


_SRC_DST_SPI = (re.compile(r"\bsrc\s+" + _addr("a")), re.compile(r"\bdst\s+" + _addr("a")),
                re.compile(r"\bSPI\s+(?P<a>0x[0-9A-Fa-f]+)"))


def _ip_send(m: re.Match, c: _Ctx) -> list[Event]:
    # IOS's IPv6 send path: it follows the "sending packet" line of the same datagram, or stands alone
    # where a document quotes only it (the seed's QM3); see promote_ip_sends
    return [c.ev("info", f"sending an IKE IPv{m['v']} packet", {"sends_packet": True})]


def _vendor(m: re.Match, c: _Ctx) -> list[Event]:
    return [c.ev("payload", f"vendor ID {m['v']}", {"vendor_id": m["v"], "verb": "processing"})]


def _initial_contact(m: re.Match, c: _Ctx) -> list[Event]:
    return [c.ev("notify", "sending NOTIFY INITIAL_CONTACT", {"notify": "INITIAL_CONTACT"}, direction="out")]


def _peer_is_ios(m: re.Match, c: _Ctx) -> list[Event]:
    return [c.ev("info", "the peer is an IOS router", {"peer_platform": "IOS"})]


_ID_FIELD = re.compile(r"(?P<k>next-payload|type|address|protocol|port|length)\s*:\s*(?P<v>" + ADDRESS_TEXT
                       + r"|\S+)")


def _id_block(m: re.Match, c: _Ctx) -> list[Event]:
    """The ID payload IOS prints field by field (``ID payload`` / ``next-payload : 8`` / ``type : 5`` /
    ``address : 2001: DB8::2`` / ``protocol : 17`` / ``port : 500`` / ``length : 24``)."""
    detail: dict = {"payload": "ID", **_id_fields_of(c.record.text, m.end())}
    what = " ".join(f"{k} {detail[k]}" for k in ("id_type", "address", "protocol", "port") if k in detail)
    return [c.ev("payload", f"ID payload: {what}", detail)]


def _id_value(key: str, value: str):
    """One field of an IOS ID payload block as a value: the address normalised, a number as an int (console
    ping dots stripped: ``protocol     : 17.``), else None."""
    if key == "address":
        return address(value)
    value = value.rstrip(".!")
    return int(value) if value.isdigit() else None


_ID_KEYS = {"type": "id_type", "next-payload": "next_payload"}


def _id_fields_of(text: str, start: int) -> dict:
    found: dict = {}
    for f in _ID_FIELD.finditer(text, start):
        value = _id_value(f["k"], f["v"])
        if value is not None:
            found[_ID_KEYS.get(f["k"], f["k"])] = value
    return found


def _id_fields(m: re.Match, c: _Ctx) -> list[Event]:
    """Fields of an ID payload block that IOS-XE logs as records of their own (``ISAKMP: (1003): address      :
    100.64.1.2``, ``ISAKMP: (1003): protocol     : 17`` + ``port : 0`` + ``length : 12``); see
    :func:`join_id_fields`."""
    fields = _id_fields_of(m.string, m.start())
    if not fields:
        return []
    what = " ".join(f"{k} {v}" for k, v in fields.items())
    return [c.ev("info", f"ID payload fields: {what}", {"id_fields": fields})]


def join_id_fields(events: list[Event]) -> None:
    """IOS-XE splits an ID payload block into records (``ID payload`` with ``next-payload``/``type``, then
    ``address``, then ``protocol``/``port``/``length``, each with its own ``ISAKMP: (N):`` prefix): the fields
    of the records right after an ``ID payload`` event of the same file and conn-id are added to its
    ``detail`` (a field it already has is kept) and message.  The field events stay (``info``)."""
    target: Event | None = None
    for e in events:
        fields = e.detail.get("id_fields") if e.kind == "info" else None
        if fields and target is not None and (e.record.file, e.conn_id) == (target.record.file, target.conn_id):
            for k, v in fields.items():
                target.detail.setdefault(k, v)
            what = " ".join(f"{k} {target.detail[k]}" for k in ("id_type", "address", "protocol", "port")
                            if k in target.detail)
            target.message = f"ID payload: {what}"
            continue
        target = e if e.kind == "payload" and e.detail.get("payload") == "ID" else None


def _sa_request(m: re.Match, c: _Ctx) -> list[Event]:
    # the first line of an initiator's attempt (IOS-XE): a new negotiation begins here
    return [c.ev("info", f"SA request, profile {m['profile']}", {"initiating": True, "profile": m["profile"]})]


def _psk_found(m: re.Match, c: _Ctx) -> list[Event]:
    peer = address(m["peer"])
    return [c.ev("info", f"pre-shared key found for {peer}", {"authentication": "pre-share"}, peer=peer)]


def _psk_auth(m: re.Match, c: _Ctx) -> list[Event]:
    detail = {"authentication": "pre-share"}
    if m["id"]:
        detail["id_type"] = m["id"]
    return [c.ev("info", "pre-shared key authentication" + (f" with {m['id']}" if m["id"] else ""), detail)]


# NAT discovery (RFC 3947 section 3.2; IOS compares the NAT-D hashes it receives with its own and the
# peer's address and port): ``local_behind_nat``/``remote_behind_nat`` say what a line says of each end,
# ``nat`` ("local", "remote", "both") which end is behind NAT once one is found, ``nat_detected`` the verdict

def _nat_found(m: re.Match, c: _Ctx) -> list[Event]:
    """``NAT found, both nodes inside NAT``; ``NAT found, the node inside|outside NAT`` (this node)."""
    inside = m["side"].lower() == "inside"
    detail: dict = {"nat_detected": True, "local_behind_nat": inside}
    if m["who"].lower().startswith("both"):
        detail["remote_behind_nat"] = True
        detail["nat"] = "both"
    elif inside:
        detail["nat"] = "local"
    else:   # NAT found and this node is outside it: the peer is behind it
        detail["remote_behind_nat"] = True
        detail["nat"] = "remote"
    return [c.ev("info", f"NAT detected: {_NAT_WHO[detail['nat']]} behind NAT", detail)]


_NAT_WHO = {"both": "both peers", "local": "this node", "remote": "the peer"}


def _no_nat(m: re.Match, c: _Ctx) -> list[Event]:
    """``No NAT Found for self or peer`` (IKEv1), ``NAT not found`` (IKEv2)."""
    return [c.ev("info", "no NAT between the peers (NAT-D hashes match)",
                 {"nat_detected": False, "local_behind_nat": False, "remote_behind_nat": False})]


def _nat_d_hash(m: re.Match, c: _Ctx) -> list[Event]:
    """``His hash no match - this node outside NAT``, ``My hash no match -  this node inside NAT``: one
    NAT-D payload compared; the line says where this node is (``His hash`` is also said with no NAT at
    all, before ``No NAT Found for self or peer``: it says nothing of the peer)."""
    inside = m["side"].lower() == "inside"
    whose = m["whose"].lower()
    detail: dict = {"nat_d": "his" if whose == "his" else "mine", "hash_match": False, "local_behind_nat": inside}
    if inside:
        detail["nat_detected"] = True
        detail["nat"] = "local"
    return [c.ev("info", f"NAT-D: {whose} hash does not match, this node is {m['side'].lower()} NAT", detail)]


def _v2_nat(m: re.Match, c: _Ctx) -> list[Event]:
    """IKEv2 ``NAT not found``, ``NAT INSIDE found`` (this node behind NAT), ``NAT OUTSIDE found`` (the peer)."""
    if not m["side"]:
        return _no_nat(m, c)
    inside = m["side"].upper() == "INSIDE"
    nat = "local" if inside else "remote"
    detail = {"nat_detected": True, "nat": nat, ("local_behind_nat" if inside else "remote_behind_nat"): True}
    return [c.ev("info", f"NAT detected: {_NAT_WHO[nat]} behind NAT", detail)]


def _payload_type(m: re.Match, c: _Ctx) -> list[Event]:
    """``received payload type 20``: IOS's NAT-T code names a NAT-D (20, draft 130) or NAT-OA payload by
    number (RFC 3947 section 3); another number stays a number."""
    t = int(m["t"])
    short = registry.PAYLOAD_TYPES_V1.get(t, ("", ""))[0]
    if short.startswith("NAT-"):
        return [c.ev("payload", f"received {short} payload", {"action": "processing", "payload_type": t},
                     payloads=[short])]
    return [c.ev("info", f"received payload type {t}", {"payload_type": t})]


def _process_initial_contact(m: re.Match, c: _Ctx) -> list[Event]:
    """``Process initial contact, bring down existing phase 1 and 2 SA's with local A remote B remote port P``:
    the peer sent INITIAL-CONTACT, so its older SAs are removed."""
    peer = address(m["peer"])
    port = int(m["port"]) if m["port"] else None
    return [c.ev("info", f"initial contact from {endpoint_text(peer, port)}: its older phase 1 and 2 SAs "
                         "are removed", {"initial_contact": True, "removes_old_sas": True},
                 direction="in", local=address(m["local"]), peer=peer, peer_port=port)]


def _profile_match(m: re.Match, c: _Ctx) -> list[Event]:
    """``peer matches *none* of the profiles`` / ``peer matches VPN profile`` (ISAKMP profiles)."""
    if m["profile"] is None:
        return [c.ev("info", "the peer matches no ISAKMP profile", {"profile_match": False})]
    return [c.ev("info", f"the peer matches ISAKMP profile {m['profile']}",
                 {"profile_match": True, "profile": m["profile"]})]


def _auth_status(m: re.Match, c: _Ctx) -> list[Event]:
    """``SA authentication status: authenticated`` (the status may be on the next physical line)."""
    status = " ".join(m["status"].split()).rstrip(".")
    return [c.ev("info", f"SA authentication status: {status}", {"authentication_status": status})]


def _lifetime_timer(m: re.Match, c: _Ctx) -> list[Event]:
    """``Started lifetime timer: 86400.``: the ISAKMP SA's lifetime in force, in seconds."""
    return [c.ev("info", f"ISAKMP SA lifetime timer {m['v']} s", {"phase": 1, "lifetime_sec": int(m["v"])})]


def _peer_struct(m: re.Match, c: _Ctx) -> list[Event]:
    """``Created a peer struct for A, peer port P``: the peer's address and IKE port."""
    peer = address(m["peer"])
    return [c.ev("info", f"peer {endpoint_text(peer, int(m['port']))}", {"peer_struct": True}, peer=peer,
                 peer_port=int(m["port"]))]


def _ports(m: re.Match, c: _Ctx) -> list[Event]:
    """``local port 500, remote port 500``: the IKE ports of a new negotiation."""
    return [c.ev("info", f"local port {m['l']}, remote port {m['r']}", {"ports": True},
                 local_port=int(m["l"]), peer_port=int(m["r"]))]


def promote_ip_sends(events: list[Event]) -> None:
    """IOS's ``Sending an IKE IPv6 Packet.`` after the ``sending packet to …`` line of the same datagram
    stays an ``info`` event (a ``%LINK-3-UPDOWN``-like message of another facility between them aside); one
    with no such line just before it (a document that quotes only it, as the seed does for QM3) becomes the
    packet event: sent to the peer of its conn-id's last packet event."""
    last_packet: dict[tuple[str, int | None], Event] = {}
    previous: Event | None = None
    for i, e in enumerate(events):
        if e.kind == "packet" and e.peer is not None:
            last_packet[(e.record.file, e.conn_id)] = e
        elif e.kind == "info" and e.detail.get("sends_packet"):
            just_sent = (previous is not None and previous.kind == "packet" and previous.direction == "out"
                         and previous.record.file == e.record.file and previous.conn_id == e.conn_id
                         and previous.record.last_line + 1 >= e.record.line - 1)
            if previous is not None and previous.record.file == e.record.file and \
                    previous.record.last_line + 1 == e.record.line and previous.record.text == e.record.text:
                just_sent = just_sent or previous.kind == "packet"  # (the line written twice: its first copy's)
                if previous.kind != "packet":  # a copy of a line that stayed info stays info
                    previous = e
                    continue
            before = last_packet.get((e.record.file, e.conn_id))
            if not just_sent and before is not None:
                e.kind, e.direction = "packet", "out"
                e.peer, e.peer_port, e.local_port = before.peer, (
                    before.peer_port if before.direction == "out" else before.peer_port), before.local_port
                e.message = f"sent to {endpoint_text(e.peer, e.peer_port)} (IPv6 send path; peer from line " \
                            f"{before.record.line})"
                e.detail = {**e.detail, "peer_from_line": before.record.line}
                last_packet[(e.record.file, e.conn_id)] = e
        if not e.record.text.startswith("%"):  # (a syslog message of another facility between the two lines)
            previous = e


def _ignoring_delete(m: re.Match, c: _Ctx) -> list[Event]:
    """``ignoring request to send delete notify (no ISAKMP sa) src A dst B for SPI 0x...``"""
    src, dst, spi = (p.search(m.string, m.end()) for p in _SRC_DST_SPI)
    return [c.ev("error", "delete notify not sent (no ISAKMP SA)", {"notify_not_sent": "DELETE"},
                 local=address(src["a"]) if src else None, peer=address(dst["a"]) if dst else None,
                 spi=_spi(spi["a"]) if spi else None)]


def _paranoid(m: re.Match, c: _Ctx) -> list[Event]:
    """``peer does not do paranoid keepalives.``: IOS deletes an IKE SA whose peer does not announce DPD
    the way IOS's periodic keepalives want (a routine line when the SA goes, no error)."""
    return [c.ev("info", m.string.strip(), {"paranoid_keepalives": False})]


def _error(message: str | None = None, peer_group: str | None = "peer") -> Handler:
    """A row whose match is an error; ``message`` None keeps the text as the message."""
    def handle(m: re.Match, c: _Ctx) -> list[Event]:
        peer = None
        if peer_group and peer_group in m.re.groupindex and m[peer_group]:
            peer = address(m[peer_group])
        return [c.ev("error", message or m.string.strip(), peer=peer)]
    return handle


_A_PEER = _addr("peer")

#: ISAKMP rows: (first words of the text, regex matched at the text's start, handler)
ISAKMP_ROWS: tuple[tuple[tuple[str, ...], re.Pattern, Handler], ...] = (
    (("received",), re.compile(r"received packet from\s+" + _A_PEER + r"\s*(?:dport\s+(?P<dport>\d+)\s+"
                               r"sport\s+(?P<sport>\d+)\s*)?(?:(?P<vrf>[\w\-]+)\s+)?\((?P<role>[A-Z])\)\s*"
                               r"[.!]*(?P<state>NEW SA|[A-Z][A-Z0-9_]*)"), _packet_in),
    (("sending",), re.compile(r"sending packet to\s+" + _A_PEER + r"\s*(?:my_port\s+(?P<myport>\d+)\s+"
                              r"peer_port\s+(?P<pport>\d+)\s*)?\((?P<role>[A-Z])\)\s*"
                              r"[.!]*(?P<state>[A-Z][A-Z0-9_]*)"), _packet_out),
    (("retransmitting", "resending", "retransmit"),
     re.compile(r"(?i:retransmitting|resending|retransmit)\b(?:\s+(?:last\s+)?(?:packet|phase\s+(?P<phase>\d)))?"
                r"(?:\s+" + _state("state") + ")?"), _retransmit),
    (("old",), re.compile(r"Old State\s*=\s*" + _state("old") + r"\s+New State\s*=\s*" + _state("new")), _transition),
    (("set",), re.compile(r"set new node\s+(?P<node>-?\d+)\s+to\s+" + _state("state")), _new_node),
    (("node", "input"), re.compile(r"(?:Node\s+(?P<node>-?\d+)\s*,\s*)?Input\s*=\s*(?P<src>\w+)\s*,\s*"
                                   r"(?P<event>\w+)"), _input),
    (("sending", "received", "processing", "sent"),
     re.compile(r"(?P<verb>(?i:sending|received|processing|sent))\s+NOTIFY\s+(?P<type>[A-Z][A-Z0-9_]*)"
                r"(?:\s+protocol\s+(?P<proto>\d+))?(?:\s+spi\s+(?P<spi>\w+)\s*,)?"
                r"(?:\s*message ID\s*=\s*(?P<mid>-?\d+))?"), _notify),
    (("processing", "constructing", "constructed"),
     re.compile(r"(?P<verb>processing|constructing|constructed)\s+(?P<name>[A-Za-z][\w -]*?)\s+payload\b"
                r"\.?(?:\s*message ID\s*=\s*(?P<mid>-?\d+))?"), _payload),
    (("deleting",), re.compile(r"deleting node\s+(?P<node>-?\d+)\s+error\s+(?P<err>\w+)\s+reason\s+"
                               r"\"(?P<reason>[^\"]*)\"?"), _deleting_node),
    (("deleting",), re.compile(r"deleting SA reason\s+\"(?P<reason>[^\"]*)\"(?:\s*state\s*\((?P<role>\w)\)\s*"
                               + _state("state") + r")?(?:.*?\(peer\s+" + _A_PEER + r"\))?"), _deleting_sa),
    (("purging",), re.compile(r"purging node\s+(?P<node>-?\d+)"), _purging_node),
    (("sa",), re.compile(r"SA has been authenticated with\s+" + _A_PEER), _authenticated),
    (("beginning",), re.compile(r"beginning\s+(?P<mode>\w+)\s+Mode exchange(?:\s*,\s*M-ID of\s+(?P<mid>-?\d+))?",
                                re.IGNORECASE), _beginning),
    (("checking",), re.compile(r"Checking ISAKMP transform\s+(?P<t>\d+)\s+against priority\s+(?P<p>\d+)\s+policy"),
     _check_transform),
    (("checking",), re.compile(r"Checking IPsec proposal\s+(?P<n>\d+)", re.IGNORECASE), _check_proposal),
    (("transform",), re.compile(r"transform\s+(?P<n>\d+)\s*,\s*(?P<id>[A-Z][\w]*)"), _transform),
    (("atts",), re.compile(r"atts are (?P<not>not )?acceptable"), _atts),
    # attributes of a transform (phase 1 and phase 2)
    (("sa", "life"), re.compile(r"(?:SA\s+)?life duration \(VPI\) of\s+(?P<v>(?:0x[0-9A-Fa-f]+\s*)+)"),
     _attribute("life_duration", vpi_value)),
    (("sa", "life"), re.compile(r"(?:SA\s+)?life duration \(basic\) of\s+(?P<v>\d+)"),
     _attribute("life_duration", int)),
    (("sa", "life"), re.compile(r"(?:SA\s+)?life type in\s+(?P<v>\w+)"), _attribute("life_type", str)),
    (("encryption",), re.compile(r"encryption\s+(?P<v>[\w-]+)"), _attribute("encryption", str)),
    (("keylength",), re.compile(r"keylength of\s+(?P<v>\d+)"), _attribute("keylength", int)),
    (("hash",), re.compile(r"hash\s+(?P<v>[\w-]+)"), _attribute("hash", str)),
    (("default", "group"), re.compile(r"(?:default\s+)?group\s+(?:is\s+)?(?P<v>\d+)"), _attribute("group", int)),
    (("auth",), re.compile(r"auth\s+(?P<v>[\w-]+)"), _attribute("auth", str)),
    (("authenticator",), re.compile(r"authenticator is\s+(?P<v>[\w-]+)"), _attribute("authenticator", str)),
    (("key",), re.compile(r"key length is\s+(?P<v>\d+)"), _attribute("key_length", int)),
    (("encaps",), re.compile(r"encaps is\s+(?P<v>\d+)(?:\s*\((?P<mode>[^)]*)\))?"), _attribute("encaps", int)),
    (("successfully",), re.compile(r"Successfully installed IPSEC SA \(SPI:\s*(?P<spi>0x[0-9A-Fa-f]+)\)"
                                   r"(?:\s+on\s+(?P<ifc>\S+))?"), _installed),
    (("detected",), re.compile(r"Detected port floating to port\s*=\s*(?P<port>\d+)"), _floating),
    (("ignoring",), re.compile(r"ignoring request to send delete notify"), _ignoring_delete),
    (("sending",), re.compile(r"Sending an IKE IPv(?P<v>[46]) Packet"), _ip_send),
    (("found",), re.compile(r"found peer pre-shared key matching\s+" + _A_PEER), _psk_found),
    (("sa",), re.compile(r"SA request profile is\s+(?P<profile>\S+)"), _sa_request),
    (("sa",), re.compile(r"SA is doing pre-shared key authentication(?:\s+using id type\s+(?P<id>\w+))?"), _psk_auth),
    # IOS-XE cuts it after "SA is doing": the rest is a record of its own
    (("pre-shared",), re.compile(r"pre-shared key authentication using id type\s+(?P<id>\w+)"), _psk_auth),
    (("vendor",), re.compile(r"vendor ID is\s+(?P<v>\S.*?)\s*$"), _vendor),
    (("send",), re.compile(r"Send initial contact"), _initial_contact),
    (("speaking",), re.compile(r"speaking to another IOS box"), _peer_is_ios),
    (("id",), re.compile(r"ID payload\b(?!\.)"), _id_block),
    (("next-payload", "type", "address", "protocol", "port", "length"),
     re.compile(r"(?:next-payload|type|address|protocol|port|length)\s*:"), _id_fields),
    # NAT discovery (RFC 3947)
    (("received",), re.compile(r"received payload type\s+(?P<t>\d+)"), _payload_type),
    (("nat",), re.compile(r"NAT found,\s*(?P<who>both nodes|th[ei]s? node)\s+(?P<side>inside|outside)\s+NAT",
                          re.IGNORECASE), _nat_found),
    (("no",), re.compile(r"No NAT Found\b", re.IGNORECASE), _no_nat),
    (("his", "my"), re.compile(r"(?P<whose>His|My) hash no match\s*-\s*this node\s+(?P<side>inside|outside)\s+NAT",
                               re.IGNORECASE), _nat_d_hash),
    (("process",), re.compile(r"Process initial contact,?\s*bring down existing phase 1 and 2 SA's with local\s+"
                              + _addr("local") + r"\s+remote\s+" + _A_PEER + r"(?:\s+remote port\s+(?P<port>\d+))?"),
     _process_initial_contact),
    (("peer",), re.compile(r"peer matches (?:\*none\* of the profiles|(?P<profile>\S+) profile)"), _profile_match),
    (("sa",), re.compile(r"SA authentication status:\s*(?P<status>\S.*?)\s*$"), _auth_status),
    (("started",), re.compile(r"Started lifetime timer:\s*(?P<v>\d+)"), _lifetime_timer),
    (("created",), re.compile(r"Created a peer struct for\s+" + _A_PEER + r"\s*,\s*peer port\s+(?P<port>\d+)"),
     _peer_struct),
    (("local",), re.compile(r"local port\s+(?P<l>\d+)\s*,\s*remote port\s+(?P<r>\d+)"), _ports),
    # errors and failures
    (("no",), re.compile(r"No pre-shared key with\s+" + _A_PEER), _error()),
    (("encryption", "hash", "diffie-hellman", "preshared", "lifetime", "authentication"),
     re.compile(r"[\w -]+offered does not match policy"), _error()),
    (("peer",), re.compile(r"peer does not do paranoid keepalives"), _paranoid),
    (("qm",), re.compile(r"QM FSM error"), _error()),
    (("phase",), re.compile(r"phase 1 SA policy not acceptable"), _error()),
    (("ipsec",), re.compile(r"IPSec policy invalidated proposal"), _error()),
)

#: error phrases anywhere in an ISAKMP/IKEv2/IPSEC/PKI text no row explained (with noise before them)
ERROR_PHRASES = ("IKMP_BAD_MESSAGE", "QM FSM error", "No pre-shared key with", "does not match policy",
                 "paranoid keepalives", "Verify cert failed", "NO_PROPOSAL_CHOSEN", "PROPOSAL_NOT_CHOSEN",
                 "atts are not acceptable", "No suitable trustpoints")
#: the same, lower case, with "fail" (failed, failure, Failed): searched with ``in``, faster than one regex
_ERROR_NEEDLES = tuple(p.lower() for p in ERROR_PHRASES) + ("fail",)
_PEER_IN_TEXT = re.compile(r"(?:with|from|peer(?: at)?)\s+" + _A_PEER)


# --------------------------------------------------------------------------- IKEv2 handlers

_IKEV2_EXCHANGE = re.compile(r"IKEv2\s+(?P<exch>[A-Z_]+)\s+Exchange\s+(?P<rr>REQUEST|RESPONSE)")
_PAYLOAD_CONTENTS = re.compile(r"Payload contents:\s*(?P<list>.*?)\s*$")
_V2_SPIS = re.compile(r"Initiator SPI\s*:\s*(?P<i>[0-9A-Fa-f]+)\s*-\s*Responder SPI\s*:\s*(?P<r>[0-9A-Fa-f]+)"
                      r"(?:\s*Message id\s*:\s*(?P<mid>\d+))?", re.IGNORECASE)
_NOTIFY_IN_LIST = re.compile(r"NOTIFY\((?P<type>[A-Z0-9_]+)\)")


def _payload_list(text: str) -> list[str] | None:
    m = _PAYLOAD_CONTENTS.search(text)
    return m["list"].split() if m else None


def _list_errors(payloads: list[str] | None, c: _Ctx, mid: int | None) -> list[Event]:
    out = []
    for p in payloads or ():
        n = _NOTIFY_IN_LIST.fullmatch(p)
        if n and n["type"] in ERROR_NOTIFIES:
            out.append(c.ev("error", f"NOTIFY {n['type']}", {"notify": n["type"]}, message_id=mid))
    return out


def _v2_packet(m: re.Match, c: _Ctx) -> list[Event]:
    ends = {m["d1"].lower(): m["a1"], m["d2"].lower(): m["a2"]}
    out_ = m["verb"].lower() == "sending"
    peer, peer_port = address_port(ends.get("to" if out_ else "from", ""))
    local, local_port = address_port(ends.get("from" if out_ else "to", ""))
    text = m.string
    detail: dict = {}
    mid = None
    s = _V2_SPIS.search(text, m.end())
    if s:
        detail["initiator_spi"], detail["responder_spi"] = s["i"].upper(), s["r"].upper()
        if s["mid"] is not None:
            mid = int(s["mid"])
    exchange = ""
    x = _IKEV2_EXCHANGE.search(text, m.end())
    if x:
        exchange = x["exch"]
        detail["request"] = x["rr"] == "REQUEST"
    payloads = _payload_list(text)
    where = endpoint_text(peer, peer_port)
    ev = c.ev("packet", ("sent to " if out_ else "received from ") + where + (f" {exchange}" if exchange else "")
              + (f" message id {mid}" if mid is not None else ""), detail, direction="out" if out_ else "in",
              peer=peer, peer_port=peer_port, local=local, local_port=local_port, message_id=mid,
              exchange=exchange, payloads=payloads or [])
    return [ev] + _list_errors(payloads, c, mid)


def _v2_exchange(m: re.Match, c: _Ctx) -> list[Event]:
    """``IKEv2 IKE_AUTH Exchange REQUEST`` / ``Payload contents:`` when cut from its packet line."""
    payloads = _payload_list(m.string)
    ev = c.ev("info", f"{m['exch']} {m['rr']}", {"request": m["rr"] == "REQUEST"}, exchange=m["exch"],
              payloads=payloads or [])
    return [ev] + _list_errors(payloads, c, None)


def _v2_sm_trace(m: re.Match, c: _Ctx) -> list[Event]:
    mid = int(m["mid"]) if m["mid"] else None
    detail = {"event": m["event"], "initiator_spi": m["i"].upper(), "responder_spi": m["r"].upper(),
              "role": m["role"]}
    out = [c.ev("state", f"{m['state']} on {m['event']}", detail, message_id=mid, state=m["state"])]
    if "FAIL" in m["event"]:
        out.append(c.ev("error", m["event"], {"event": m["event"]}, message_id=mid, state=m["state"]))
    return out


def _v2_delete_info(m: re.Match, c: _Ctx) -> list[Event]:
    if m["spi"]:
        return [c.ev("sa_deleted", f"DELETE sent for IPsec SA {m['spi']}", {"ipsec": True}, spi=_spi(m["spi"]))]
    return [c.ev("sa_deleted", "DELETE sent for the IKEv2 SA",
                 {"initiator_spi": (m["ispi"] or "").upper().removeprefix("0X"),
                  "responder_spi": (m["rspi"] or "").upper().removeprefix("0X")})]


def _v2_sa_created(m: re.Match, c: _Ctx) -> list[Event]:
    detail = {"lifetime_sec": int(m["life"])} if m["life"] else {}
    return [c.ev("sa_created", "IKEv2 SA created", detail)]


def _v2_session(m: re.Match, c: _Ctx) -> list[Event]:
    return [c.ev("state", f"session {m['a']}, {m['b']} {m['state']}", {"ike_ids": (m["a"].strip(), m["b"].strip())},
                 state=m["state"])]


def _v2_deleting(m: re.Match, c: _Ctx) -> list[Event]:
    return [c.ev("sa_deleted", "IKEv2 SA deleted")]


IKEV2_ROWS: tuple[tuple[tuple[str, ...], re.Pattern, Handler], ...] = (
    (("sending", "received"), re.compile(r"(?P<verb>Sending|Received) Packet\s*\[\s*(?P<d1>To|From)\s+(?P<a1>[^/\]]+?)"
                                         r"\s*/\s*(?P<d2>To|From)\s+(?P<a2>[^/\]]+?)\s*(?:/|\])", re.IGNORECASE),
     _v2_packet),
    (("ike_sa_init", "ike_auth", "informational", "create_child_sa"),
     re.compile(r"(?P<exch>[A-Z_]+)\s+Exchange\s+(?P<rr>REQUEST|RESPONSE)"), _v2_exchange),
    (("sm",), re.compile(r"SM Trace->\s*SA:\s*I_SPI=(?P<i>[0-9A-Fa-f]+)\s+R_SPI=(?P<r>[0-9A-Fa-f]+)\s*"
                         r"\((?P<role>\w)\)\s*MsgID\s*=\s*(?P<mid>\d+)\s*CurState:\s*(?P<state>\w+)\s+"
                         r"Event:\s*(?P<event>\w+)"), _v2_sm_trace),
    (("sending",), re.compile(r"Sending DELETE INFO message for (?:IPsec SA \[SPI:\s*(?P<spi>0x[0-9A-Fa-f]+)\]|"
                              r"IKEv2 SA \[ISPI:\s*(?P<ispi>0x[0-9A-Fa-f]+)\s+RSPI:\s*(?P<rspi>0x[0-9A-Fa-f]+)\])",
                              re.IGNORECASE), _v2_delete_info),
    (("ikev2",), re.compile(r"IKEV2 SA created(?:.*?lifetime timer \((?P<life>\d+) sec\))?", re.IGNORECASE),
     _v2_sa_created),
    (("session",), re.compile(r"Session with IKE ID PAIR \((?P<a>[^,]+),(?P<b>[^)]+)\) is (?P<state>[A-Z]+)"),
     _v2_session),
    (("deleting",), re.compile(r"Deleting SA\b"), _v2_deleting),
    (("verify",), re.compile(r"Verify cert failed"), _error()),
    (("nat",), re.compile(r"NAT (?:(?P<side>INSIDE|OUTSIDE) found|not found)", re.IGNORECASE), _v2_nat),
    (("no",), re.compile(r"No NAT found", re.IGNORECASE), _no_nat),
)


# --------------------------------------------------------------------------- IPSEC (key engine) handlers

#: "key= value" pairs of IPSEC records: "sa_dest= 2001: DB8::2, sa_proto= 50, ..."
_KEY = re.compile(r"(?<![\w(])(?P<key>[a-z][a-z_]*(?:\(k/sec\))?)=\s*")


_LABEL = re.compile(r"\s*\((?:identity|sa|key eng\. msg\.)\)\s*(?:INBOUND|OUTBOUND)?\s*$")


def _pairs(text: str) -> dict[str, str]:
    """The ``key= value`` pairs of an IPSEC record; a key seen twice keeps its first value."""
    found: dict[str, str] = {}
    keys = list(_KEY.finditer(text))
    for i, k in enumerate(keys):
        end = keys[i + 1].start() if i + 1 < len(keys) else len(text)
        # a following "(identity)"/"(sa)" label belongs to no value
        value = _LABEL.sub("", text[k.end():end]).strip().rstrip(",").strip()
        found.setdefault(k["key"], value)
    return found


_SPI_VALUE = re.compile(r"(?P<hex>0x[0-9A-Fa-f]+)(?:\((?P<dec>\d+)\))?")
_LIFETIME = re.compile(r"\(?\s*(?P<kb>\d+)\s*/\s*(?P<sec>\d+)\s*\)?")
_DIRECTION = re.compile(r"\b(?P<dir>INBOUND|OUTBOUND)\b")


def _spi_of(value: str | None) -> int | None:
    if not value:
        return None
    m = _SPI_VALUE.search(value)
    return int(m["hex"], 16) if m else None


def _addr_port_value(value: str | None) -> tuple[str | None, int | None]:
    if not value:
        return None, None
    return address_port(value)


def _ipsec_proposal(c: _Ctx, text: str, func: str) -> list[Event]:
    kv = _pairs(text)
    if not kv:
        return []
    local, local_port = _addr_port_value(kv.get("local") or kv.get("src"))
    peer, peer_port = _addr_port_value(kv.get("remote") or kv.get("dest"))
    detail: dict = {"function": func}
    for key in ("local_proxy", "remote_proxy", "src_proxy", "dest_proxy", "protocol", "transform", "lifedur",
                "flags"):
        if key in kv:
            detail[key] = kv[key]
    for key in ("conn_id", "keysize"):
        if key in kv and kv[key].lstrip("-").isdigit():
            detail[key] = int(kv[key])
    spi = _spi_of(kv.get("spi"))
    if spi is not None:
        detail["spi"] = spi
    d = _DIRECTION.search(text)
    if d:
        detail["direction"] = d["dir"].lower()
    return [c.ev("proposal", f"{func}: {detail.get('protocol', '')} {detail.get('transform', '')}".strip(),
                 detail, local=local, local_port=local_port, peer=peer, peer_port=peer_port, conn_id=None)]


def _ipsec_sa(c: _Ctx, text: str, kind: str, verb: str) -> list[Event]:
    kv = _pairs(text)
    spi = _spi_of(kv.get("sa_spi") or kv.get("spi"))
    dest = address(kv.get("sa_dest", "")) if kv.get("sa_dest") else None
    detail: dict = {}
    if dest:
        detail["dest"] = dest
    if kv.get("sa_proto", "").isdigit():
        detail["proto"] = int(kv["sa_proto"])
    if kv.get("sa_trans"):
        detail["transform"] = " ".join(kv["sa_trans"].split())
    if kv.get("sa_conn_id", "").isdigit():
        detail["conn_id"] = int(kv["sa_conn_id"])
    life = _LIFETIME.fullmatch(kv.get("sa_lifetime(k/sec)", "").strip())
    if life:
        detail["lifetime_kb"], detail["lifetime_sec"] = int(life["kb"]), int(life["sec"])
    local, local_port = _addr_port_value(kv.get("local"))
    remote, remote_port = _addr_port_value(kv.get("remote"))
    if local:
        detail["local"] = local
    if remote:
        detail["remote"] = remote
    for key in ("local_proxy", "remote_proxy"):
        if key in kv:
            detail[key] = kv[key]
    if dest and local and remote:
        detail["inbound"] = dest == local
    # sa_dest is the peer for the outbound SA and this router for the inbound one: the classic form does
    # not say which, so the peer is named only when the record's local/remote say it
    peer = (remote if detail["inbound"] else dest) if "inbound" in detail else None
    return [c.ev(kind, f"{verb} {detail.get('transform', '')} SPI "
                 + (f"0x{spi:08X}" if spi is not None else "?") + (f" dest {dest}" if dest else ""),
                 detail, spi=spi, peer=peer, local=local, conn_id=None)]


_OUTBOUND = re.compile(r"peer\s+" + _A_PEER + r".*?SPI\s+(?:0x)?(?P<spi>[0-9A-Fa-f]+)")
_KMI_MESSAGES = re.compile(r"(\d+)\s+KMI message")


def _ipsec_update_outbound(c: _Ctx, text: str) -> list[Event]:
    """``updated peer 192.0.2.1 current outbound sa to SPI 95D05A13``"""
    m = _OUTBOUND.search(text)
    if not m:
        return []
    spi = int(m["spi"], 16)
    return [c.ev("info", f"current outbound SA for {address(m['peer'])}: SPI 0x{spi:08X}", {"outbound": True},
                 peer=address(m["peer"]), spi=spi)]


def _ipsec_key_engine(c: _Ctx, text: str) -> list[Event]:
    m = _KMI_MESSAGES.search(text)
    if m:
        return [c.ev("info", f"{m[1]} KMI message(s) queued", {"kmi_messages": int(m[1])})]
    return [c.ev("info", text.strip())] if text.strip() else []


def _created(c: _Ctx, text: str, func: str) -> list[Event]:
    return _ipsec_sa(c, text, "sa_created", "created")


def _deleted(c: _Ctx, text: str, func: str) -> list[Event]:
    return _ipsec_sa(c, text, "sa_deleted", "deleted")


#: IPSEC(function) -> its reader (the text after the prefix, the function name)
IPSEC_FUNCTIONS: dict[str, Callable[[_Ctx, str, str], list[Event]]] = {
    "create_sa": _created,
    "delete_sa": _deleted, "delete_sa_ident": _deleted,
    "validate_proposal_request": _ipsec_proposal, "sa_request": _ipsec_proposal,
    "validate_transform_proposal": _ipsec_proposal, "initialize_sas": _ipsec_proposal,
    "update_current_outbound_sa": lambda c, text, func: _ipsec_update_outbound(c, text),
    "key_engine": lambda c, text, func: _ipsec_key_engine(c, text),
    "key_engine_enable_outbound": lambda c, text, func: _ipsec_key_engine(c, text),
}


def _ipsec(c: _Ctx, func: str, text: str) -> list[Event]:
    f = func.strip().lower()
    read = IPSEC_FUNCTIONS.get(f)
    if read is None and "sa created" in text:   # an IOS-XE form without the function name
        read = _created
    return read(c, text, f) if read is not None else []


# --------------------------------------------------------------------------- syslog (%FAC-n-MNEMONIC)

#: mnemonics that say something failed whatever their severity
ERROR_MNEMONICS = frozenset(("RECVD_PKT_INV_SPI", "IKMP_NO_SA", "IKMP_BAD_MESSAGE", "IKMP_MODE_FAILURE",
                             "RECVD_PKT_MAC_ERR", "PKT_REPLAY_ERR", "RECVD_PKT_NOT_IPSEC", "IKMP_AG_MODE_DISABLED",
                             "IKE_AUTH_FAIL", "IKMP_INVAL_CERT", "IKEv2_PAK_FAIL", "IPSEC_SA_CREATION_FAILURE",
                             "IKE_SA_NOT_FOUND", "IKMP_QUICK_MODE_FAILURE"))
_SYS_SPI = re.compile(r"\bspi\s*=\s*(?P<hex>0x[0-9A-Fa-f]+)")
_SYS_SRC = re.compile(r"\bsrcaddr\s*=\s*" + _A_PEER)
_SYS_DST = re.compile(r"\bdestaddr\s*=\s*" + _addr("local"))
_SYS_PROT = re.compile(r"\bprot\s*=\s*(?P<p>\d+)")
_SYS_UPDOWN = re.compile(r"(?:Interface|tunnel)\s+(?P<ifc>[\w/.\-]+),?.*?(?:changed state to|is)\s+"
                         r"(?P<state>administratively down|up|down|UP|DOWN)", re.IGNORECASE)
_SYS_SESSION = re.compile(r"Crypto tunnel is\s+(?P<state>UP|DOWN)\s*\.?\s*Peer\s+(?P<peer>[^\s]+)")


def _syslog(c: _Ctx, mnemonic: str, severity: int, fac: str, text: str) -> list[Event]:
    detail: dict = {"severity": severity, "mnemonic": mnemonic}
    kw: dict = {}
    m = _SYS_SPI.search(text)
    if m:
        kw["spi"] = int(m["hex"], 16)
    m = _SYS_SRC.search(text) or _PEER_IN_TEXT.search(text)
    if m:
        kw["peer"] = address(m["peer"])
    m = _SYS_DST.search(text)
    if m:
        kw["local"] = address(m["local"])
    m = _SYS_PROT.search(text)
    if m:
        detail["protocol"] = int(m["p"])
    message = text.strip()
    if mnemonic in ERROR_MNEMONICS or (fac == "CRYPTO" and severity <= 4):
        return [c.ev("error", message, detail, **kw)]
    m = _SYS_SESSION.search(text)
    if m:
        peer, port = address_port(m["peer"])
        return [c.ev("state", message, detail, state=m["state"].upper(), peer=peer, peer_port=port)]
    m = _SYS_UPDOWN.search(text)
    if m:
        detail["interface"] = m["ifc"]
        kw["state"] = m["state"].lower()
    return [c.ev("info", message, detail, **kw)]


# --------------------------------------------------------------------------- dispatch

def _index(rows):
    by_word: dict[str, list[tuple[re.Pattern, Handler]]] = {}
    for words, pattern, handler in rows:
        for w in words:
            by_word.setdefault(w, []).append((pattern, handler))
    return by_word


_ISAKMP_INDEX = _index(ISAKMP_ROWS)
_IKEV2_INDEX = _index(IKEV2_ROWS)


def _rows(index, body: str, c: _Ctx) -> list[Event] | None:
    word = body.partition(" ")[0].rstrip(",:.!").lower()
    for pattern, handler in index.get(word, ()):
        m = pattern.match(body)
        if m:
            return handler(m, c)
    return None


def _fallback(c: _Ctx, body: str, tagged: bool) -> list[Event]:
    """An error no row explained (a -ERROR tag, a known error phrase (:data:`ERROR_PHRASES`), or a
    "failed"), else an ``info`` event with the line's text."""
    low = body.lower()
    if tagged or any(needle in low for needle in _ERROR_NEEDLES):
        m = _PEER_IN_TEXT.search(body)
        return [c.ev("error", body.strip() or "(empty error message)", peer=address(m["peer"]) if m else None)]
    text = body.strip(" :.")
    # any other ISAKMP/IKEv2/IPSEC/KMI line ("SA authentication status: authenticated", "QM Responder gets
    # spi"): an info event, so that correlation can place it under the packet it is about
    return [c.ev("info", text)] if text else []


#: text -> the fields of its events: a debug log says the same record text again and again (the same
#: conn-id's "Input =", "vendor id" and state lines), and a text's events depend on its text alone.  The
#: fields are kept in Event's order (kind, record, ..., payloads, detail) to build events positionally;
#: should Event's fields change order, the memo is off.
_FIELDS = tuple(f.name for f in dataclasses.fields(Event))
_MEMO_MAX = 8192 if _FIELDS[:2] == ("kind", "record") and _FIELDS[-2:] == ("payloads", "detail") else 0
_MEMO: dict[str, tuple[tuple, ...]] = {}


def events(record: Record) -> list[Event]:
    """The events of one IOS/IOS-XE record (family "ios"), in the order the text says them; [] for a
    record that says nothing this parser knows.  Never raises."""
    text = record.text
    recipe = _MEMO.get(text)
    if recipe is not None:
        return [Event(f[0], record, *f[1:-2], list(f[-2]), dict(f[-1])) for f in recipe]
    try:
        found = _events(record)
    except Exception:  # a pure reader: an unforeseen text costs its events, never the log
        found = []
    if _MEMO_MAX:
        if len(_MEMO) >= _MEMO_MAX:
            _MEMO.clear()
        # copies: the events returned may be changed by their user, the recipe must not change with them
        _MEMO[text] = tuple((e.kind, *(getattr(e, n) for n in _FIELDS[2:-2]), list(e.payloads), dict(e.detail))
                            for e in found)
    return found


def _isakmp(record: Record, text: str) -> list[Event]:
    m = _ISAKMP_PREFIX.match(text)
    if m is None:
        return []
    tag, conn = m.group(1, 2)
    c = _Ctx(record, "ISAKMP", int(conn) if conn else None, tag or "")
    body = text[m.end():]
    found = _rows(_ISAKMP_INDEX, body, c)
    return found if found is not None else _fallback(c, body, tag == "ERROR")


def _ikev2(record: Record, text: str) -> list[Event]:
    m = _IKEV2_PREFIX.match(text)
    if m is None:
        return []
    tag, session, sa = m.group(1, 2, 3)
    c = _Ctx(record, "IKEv2", int(sa) if sa else None, tag or "", {"session_id": int(session)} if session else None)
    body = text[m.end():]
    found = _rows(_IKEV2_INDEX, body, c)
    return found if found is not None else _fallback(c, body, tag == "ERROR")


def _ipsec_record(record: Record, text: str) -> list[Event]:
    m = _IPSEC_PREFIX.match(text)
    if m is None:
        return []
    c = _Ctx(record, "IPSEC", None)
    body = text[m.end():]
    return _ipsec(c, m[1] or "", body) or _fallback(c, body, False)


def _syslog_record(record: Record, text: str) -> list[Event]:
    m = _SYSLOG_PREFIX.match(text)
    if m is None:
        return []
    fac, sev, mnemonic = m.group(1, 2, 3)
    return _syslog(_Ctx(record, f"{fac}-{sev}-{mnemonic}", None), mnemonic, int(sev), fac, text[m.end():])


def _other(record: Record, text: str) -> list[Event]:
    m = _OTHER_PREFIX.match(text)
    if m is None:
        return []
    c = _Ctx(record, "CRYPTO_PKI" if m[1] == "CRYPTO_PKI" else "KMI", None)
    return _fallback(c, text[m.end():], False)


_MAPDB = re.compile(r"Crypto mapdb\s*:\s*proxy_match\b")
_MAPDB_FIELD = re.compile(r"(?P<k>src addr|dst addr|protocol|src port|dst port)\s*:\s*(?P<v>" + ADDRESS_TEXT
                          + r"|\S+)")


def _mapdb(record: Record, text: str) -> list[Event]:
    """``Crypto mapdb : proxy_match`` / ``src addr : A`` / ``dst addr : B`` / ``protocol : P`` / ``src port :
    N`` / ``dst port : M``: the proxy IDs a phase 2 proposal is checked against the crypto map with (``detail``
    proxy_match True, src, dst, protocol, src_port, dst_port; IOS writes any protocol as 0 or 256)."""
    m = _MAPDB.match(text)
    if m is None:
        return []
    detail: dict = {"proxy_match": True}
    for f in _MAPDB_FIELD.finditer(text, m.end()):
        key, value = f["k"].replace(" addr", "").replace(" ", "_"), f["v"]
        if key in ("src", "dst"):
            detail[key] = address(value)
        elif value.rstrip(".!").isdigit():
            detail[key] = int(value.rstrip(".!"))
    what = f"{detail.get('src', '?')} -> {detail.get('dst', '?')} protocol {detail.get('protocol', '?')}"
    return [_Ctx(record, "CRYPTO", None).ev("info", f"crypto map proxy match: {what}", detail)]


#: the reader of a record by the first two characters of its text
_BY_HEAD = {"IS": _isakmp, "IK": _ikev2, "IP": _ipsec_record, "%": _syslog_record, "CR": _other, "KM": _other,
            "Cr": _mapdb}


def _events(record: Record) -> list[Event]:
    text = record.text.lstrip()
    if "<-" in text:
        text = _ANNOTATION.sub("", text)
    read = _BY_HEAD.get(text[:2]) or _BY_HEAD.get(text[:1])
    return read(record, text) if read is not None else []
