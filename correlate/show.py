"""Pasted Cisco IOS/IOS-XE ``show`` output to ``sa_status`` events.

Sources: the output of ``show crypto ipsec sa [detail]``, ``show crypto isakmp sa`` (the IPv4
table and the IPv6 block form) and ``show crypto session [detail]`` on IOS 12.4/15.x and IOS-XE,
as pasted into tickets (the seed's tunnel check, ``../shared/debug-samples/03`` and ``11``).  A
record of family "show" arrives from :mod:`correlate.records` with its lines joined by "\\n" (the
prompt and command first when they were pasted, blank lines left out); :func:`events` reads every
line of it with small line parsers (tables of compiled regexes) and never raises.  A prompt inside the
record (another command typed) starts a new snapshot.  The events of the last 64 texts are kept (a
bounded memo: a log made of repeated tickets pastes the same output again).

Why not ntc-templates/TextFSM: ntc-templates has no template for IOS ``show crypto isakmp sa`` nor
for plain ``show crypto session``, and its ``show crypto ipsec sa detail`` and ``show crypto session
detail`` templates end in ``^. -> Error``: one line they do not know (the seed's ``ipv6 mtu`` line,
``replay detection support: Y`` without a window size, a wrapped ``crypto map:`` value, a prompt)
aborts the whole parse; the session template also keeps only the last of several IKE SAs of a
session.  Pasted output needs a reader that skips what it does not know.

Events (kind ``sa_status``, facility ``show crypto ipsec sa`` / ``show crypto isakmp sa`` /
``show crypto session``):

* ``show crypto ipsec sa``: one per SA (``spi: 0x45F16A9A(1173449370)``): ``spi`` (int), ``peer``
  and ``peer_port`` (``current_peer``), ``local`` (the local crypto endpoint, else the crypto map's
  local addr), ``conn_id``, ``state`` (``Status: ACTIVE``), and in ``detail``: ``interface``,
  ``crypto_map``, ``direction`` ("in"/"out"), ``protocol`` ("esp", "ah", "pcp"), ``transform``,
  ``mode`` (``in use settings ={Tunnel, }`` → "Tunnel"), ``flow_id``, ``lifetime_kb`` and
  ``lifetime_sec`` (remaining), ``local_ident``/``remote_ident`` (addr, mask, prot, port),
  ``counters`` (``#pkts encaps: 4`` → ``{"encaps": 4, ...}``), ``pfs`` (True/False), ``dh_group``,
  ``current_outbound_spi``.  An interface block without SA lines still gives one event (spi None)
  with what it says;
* ``show crypto isakmp sa``: one per row or IPv6 block: ``peer`` = dst, ``local`` = src, ``state``
  (QM_IDLE, MM_NO_STATE...), ``conn_id``, ``detail`` ``status`` (ACTIVE) and ``slot``;
* ``show crypto session [detail]``: one per session (``Interface:`` block): ``state`` = the session
  status (UP-ACTIVE, DOWN-NEGOTIATING...), ``peer``, ``peer_port``, ``conn_id`` (of the first active
  IKE SA), ``detail`` ``interface``, ``uptime``, ``phase1_id``, ``ike_sas`` (version, local,
  local_port, remote, remote_port, status, capabilities, conn_id, lifetime) and ``flows``
  (``IPSEC FLOW`` lines with active SAs and packet counts).
"""
from __future__ import annotations

import copy
import dataclasses
import re

from .addresses import address
from .model import Event, Record

__all__ = ["events"]


#: text -> (kind, fields..., payloads, detail) of its events, for show output pasted again (a log made of
#: repeated tickets): a record's events depend on its text alone; bounded, cleared when full
_MEMO: dict[str, tuple[tuple, ...]] = {}
_MEMO_MAX = 64
_FIELDS = tuple(f.name for f in dataclasses.fields(Event))
_POSITIONAL = _FIELDS[:2] == ("kind", "record") and _FIELDS[-2:] == ("payloads", "detail")


def events(record: Record) -> list[Event]:
    """The ``sa_status`` events of a pasted show record, in the order of the output; [] when it holds
    none of the outputs above.  Never raises."""
    recipe = _MEMO.get(record.text)
    if recipe is not None:
        return [Event(f[0], record, *f[1:-2], list(f[-2]), copy.deepcopy(f[-1])) for f in recipe]
    try:
        lines = record.text.split("\n")
        found = _ipsec_sa(record, lines) + _isakmp_sa(record, lines) + _session(record, lines)
        found = [e for _, e in sorted(found, key=lambda pair: pair[0])]   # in the order of the output
    except Exception:  # a pure reader: an unforeseen text costs its events, never the log
        found = []
    if _POSITIONAL:
        if len(_MEMO) >= _MEMO_MAX:
            _MEMO.clear()
        _MEMO[record.text] = tuple((e.kind, *(getattr(e, n) for n in _FIELDS[2:-2]), list(e.payloads),
                                    copy.deepcopy(e.detail)) for e in found)
    return found


#: a console prompt, perhaps with the next command typed: output after it is another snapshot
_PROMPT = re.compile(r"^\s*[A-Za-z][\w.\-]{0,62}(?:\([\w\-]+\))?[#>]")


def _int(text: str | None) -> int | None:
    return int(text) if text is not None and text.lstrip("-").isdigit() else None


# --------------------------------------------------------------------------- show crypto ipsec sa

_IDENT = r"\(\s*(?P<addr>[^/()]+?)\s*/\s*(?P<mask>[^/()]+?)\s*/\s*(?P<prot>\d+)\s*/\s*(?P<port>\d+)\s*\)"
_COUNTER = re.compile(r"#(?:pkts\s+)?(?P<name>[a-z][a-z .()']*?)\s*:?\s+(?P<n>\d+)")
_SPI = re.compile(r"(?P<hex>0x[0-9A-Fa-f]+)(?:\s*\((?P<dec>\d+)\))?")

#: (regex searched on a stripped line, field name): what one line of the output says
IPSEC_SA_LINES: tuple[tuple[re.Pattern, str], ...] = (
    (re.compile(r"^interface:\s*(?P<v>\S+)", re.IGNORECASE), "interface"),
    (re.compile(r"^Crypto map tag:\s*(?P<map>[^,]+?)\s*,\s*local addr\s+(?P<v>.+?)\s*$"), "crypto_map"),
    (re.compile(r"^protected vrf:\s*(?P<v>\S+)"), "vrf"),
    (re.compile(r"^local\s+ident \(addr/mask/prot/port\):\s*" + _IDENT), "local_ident"),
    (re.compile(r"^remote\s+ident \(addr/mask/prot/port\):\s*" + _IDENT), "remote_ident"),
    (re.compile(r"^current_peer\s+(?P<v>.+?)\s+port\s+(?P<port>\d+)"), "current_peer"),
    (re.compile(r"^#"), "counters"),
    (re.compile(r"^local crypto endpt\.:\s*(?P<v>.+?)\s*,\s*remote crypto endpt\.:\s*(?P<remote>.+?)\s*,?\s*$"),
     "endpoints"),
    (re.compile(r"^local crypto endpt\.:\s*(?P<v>.+?)\s*,?\s*$"), "endpoints"),
    (re.compile(r"^current outbound spi:\s*(?P<v>0x[0-9A-Fa-f]+)"), "current_outbound_spi"),
    (re.compile(r"^PFS \(Y/N\):\s*(?P<v>[YN])\s*,\s*DH group:\s*(?P<group>\S+)"), "pfs"),
    (re.compile(r"^(?P<dir>inbound|outbound)\s+(?P<v>esp|ah|pcp)\s+sas:", re.IGNORECASE), "sas"),
    (re.compile(r"^spi:\s*(?P<v>0x[0-9A-Fa-f]+)"), "spi"),
    (re.compile(r"^transform:\s*(?P<v>.+?)\s*,?\s*$"), "transform"),
    (re.compile(r"^in use settings\s*=\s*\{(?P<v>[^,}]*)"), "mode"),
    (re.compile(r"^conn id:\s*(?P<v>\d+)(?:\s*,\s*flow_id:\s*(?P<flow>[^,]+))?(?:.*?crypto map:\s*(?P<map>\S+))?"),
     "conn_id"),
    (re.compile(r"^sa timing: remaining key lifetime(?: \((?:k/sec|sec)\))?:\s*\(\s*(?P<v>\d+)\s*/\s*(?P<sec>\d+)"),
     "lifetime"),
    (re.compile(r"^Status:\s*(?P<v>[A-Z_-]+)"), "status"),
)


class _Block:
    """One ``interface:`` block: what it says of the tunnel, and its SAs."""

    def __init__(self, at: int):
        self.at = at   # the index of its first line in the record
        self.info: dict = {}
        self.counters: dict[str, int] = {}
        self.sas: list[dict] = []
        self.peer: str | None = None
        self.peer_port: int | None = None
        self.local: str | None = None
        self.direction = None
        self.protocol = None

    def empty(self) -> bool:
        """Nothing of an IPsec SA: no SA, peer, counters or idents (a session's "Interface:" line alone)."""
        return not (self.sas or self.peer or self.counters or "local_ident" in self.info
                    or "remote_ident" in self.info)


def _ipsec_sa(record: Record, lines: list[str]) -> list[tuple[int, Event]]:
    blocks: list[_Block] = []
    block: _Block | None = None
    for i, raw in enumerate(lines):
        line = raw.strip()
        if not line:
            continue
        if _PROMPT.match(line):
            block = None
            continue
        for pattern, field in IPSEC_SA_LINES:
            m = pattern.search(line)
            if m is None:
                continue
            if field == "interface" or block is None:
                block = _Block(i)
                blocks.append(block)
            _ipsec_line(block, field, m)
            break
    out = []
    for b in blocks:
        if b.empty():
            continue
        for sa in b.sas or [None]:
            out.append((b.at, _ipsec_event(record, b, sa)))
    return out


def _ipsec_line(b: _Block, field: str, m: re.Match) -> None:
    v = m["v"] if "v" in m.re.groupindex else None
    if field == "interface":
        b.info["interface"] = v
    elif field == "crypto_map":
        b.info["crypto_map"] = m["map"]
        b.local = b.local or address(v)
    elif field == "vrf":
        b.info["protected_vrf"] = v
    elif field in ("local_ident", "remote_ident"):
        b.info[field] = {"addr": address(m["addr"]) or m["addr"], "mask": m["mask"], "prot": int(m["prot"]),
                         "port": int(m["port"])}
    elif field == "current_peer":
        b.peer, b.peer_port = address(v), int(m["port"])
    elif field == "counters":
        for c in _COUNTER.finditer(m.string):
            name = re.sub(r"[^a-z]+", "_", c["name"].replace("'", "")).strip("_")
            b.counters[name] = int(c["n"])
    elif field == "endpoints":
        b.local = address(v) or b.local
        if "remote" in m.re.groupindex and m["remote"]:
            b.info["remote_endpoint"] = address(m["remote"])
    elif field == "current_outbound_spi":
        b.info["current_outbound_spi"] = int(v, 16)
    elif field == "pfs":
        b.info["pfs"] = v == "Y"
        b.info["dh_group"] = m["group"]
    elif field == "sas":
        b.direction = "in" if m["dir"].lower() == "inbound" else "out"
        b.protocol = v.lower()
    elif field == "spi":
        b.sas.append({"spi": int(v, 16), "direction": b.direction, "protocol": b.protocol})
    elif b.sas:   # the lines of the last SA
        sa = b.sas[-1]
        if field == "transform":
            sa["transform"] = " ".join(v.split())
        elif field == "mode":
            sa["mode"] = v.strip()
        elif field == "conn_id":
            sa["conn_id"] = int(v)
            if m["flow"]:
                sa["flow_id"] = m["flow"].strip()
            if m["map"]:
                sa["crypto_map"] = m["map"]
        elif field == "lifetime":
            sa["lifetime_kb"], sa["lifetime_sec"] = int(v), int(m["sec"])
        elif field == "status":
            sa["status"] = v


def _ipsec_event(record: Record, b: _Block, sa: dict | None) -> Event:
    detail = dict(b.info)
    if b.counters:
        detail["counters"] = dict(b.counters)
    spi = conn_id = status = None
    if sa is not None:
        sa = dict(sa)
        spi, conn_id, status = sa.pop("spi"), sa.pop("conn_id", None), sa.pop("status", None)
        detail.update({k: v for k, v in sa.items() if v is not None})
    where = f"{b.peer}" + (f":{b.peer_port}" if b.peer_port is not None else "")
    message = (f"IPsec SA {detail.get('direction') or ''} {detail.get('protocol') or ''} "
               + (f"SPI 0x{spi:08X}" if spi is not None else "(no SA listed)")
               + (f" with {where}" if b.peer else "") + (f" {status}" if status else ""))
    return Event("sa_status", record, " ".join(message.split()), peer=b.peer, peer_port=b.peer_port,
                 local=b.local, spi=spi, conn_id=conn_id, state=status, facility="show crypto ipsec sa",
                 detail=detail)


# --------------------------------------------------------------------------- show crypto isakmp sa

_A = r"(?P<{}>\d{{1,3}}(?:\.\d{{1,3}}){{3}}|[0-9A-Fa-f:]*:[0-9A-Fa-f:]*)"
_ISAKMP_HEADER = re.compile(r"^\s*dst\s+src\s+state\s+conn-id\s+(?P<slot>slot\s+)?status", re.IGNORECASE)
_ISAKMP_ROW = re.compile(r"^\s*" + _A.format("dst") + r"\s+" + _A.format("src") + r"\s+(?P<state>[A-Z][A-Z0-9_]*)"
                         r"\s+(?P<conn>-?\d+)(?:\s+(?P<slot>\d+))?(?:\s+(?P<status>[A-Z][A-Z_-]*))?")
_ISAKMP_V6 = (re.compile(r"^\s*dst:\s*(?P<v>\S.*?)\s*$"), re.compile(r"^\s*src:\s*(?P<v>\S.*?)\s*$"),
              re.compile(r"^\s*state:\s*(?P<state>[A-Z][A-Z0-9_]*)\s+conn-id:\s*(?P<conn>-?\d+)"
                         r"(?:\s+slot:\s*(?P<slot>\d+))?(?:\s+status:\s*(?P<status>[A-Z][A-Z_-]*))?"))


def _isakmp_event(record: Record, dst: str, src: str, state: str, conn: str, slot: str | None,
                  status: str | None) -> Event:
    detail: dict = {"dst": address(dst) or dst, "src": address(src) or src}
    if status:
        detail["status"] = status
    if slot is not None:
        detail["slot"] = int(slot)
    peer, local = address(dst), address(src)
    return Event("sa_status", record, f"ISAKMP SA {src} -> {dst} {state} conn-id {conn}"
                 + (f" {status}" if status else ""), peer=peer, local=local, state=state, conn_id=_int(conn),
                 facility="show crypto isakmp sa", detail=detail)


def _isakmp_sa(record: Record, lines: list[str]) -> list[tuple[int, Event]]:
    out: list[tuple[int, Event]] = []
    table = False
    dst = src = None
    for i, line in enumerate(lines):
        if _PROMPT.match(line):
            table, dst, src = False, None, None
            continue
        if _ISAKMP_HEADER.match(line):
            table = True
            continue
        if table:
            m = _ISAKMP_ROW.match(line)
            if m and address(m["dst"]) and address(m["src"]):
                out.append((i, _isakmp_event(record, m["dst"], m["src"], m["state"], m["conn"], m["slot"],
                                             m["status"])))
                continue
            if line.strip():
                table = False
        m = _ISAKMP_V6[0].match(line)
        if m:
            dst, src = m["v"], None
            continue
        m = _ISAKMP_V6[1].match(line)
        if m and dst is not None:
            src = m["v"]
            continue
        m = _ISAKMP_V6[2].match(line)
        if m and dst is not None and src is not None:
            out.append((i, _isakmp_event(record, dst, src, m["state"], m["conn"], m["slot"], m["status"])))
            dst = src = None
    return out


# --------------------------------------------------------------------------- show crypto session [detail]

_ENDS = r"local\s+(?P<local>.+?)/(?P<lport>\d+)\s+remote\s+(?P<remote>.+?)/(?P<rport>\d+)"
#: (regex matched on a stripped line, field name)
SESSION_LINES: tuple[tuple[re.Pattern, str], ...] = (
    (re.compile(r"^Interface:\s*(?P<v>\S+)"), "interface"),
    (re.compile(r"^Profile:\s*(?P<v>\S+)"), "profile"),
    (re.compile(r"^Uptime:\s*(?P<v>\S+)"), "uptime"),
    (re.compile(r"^Session status:\s*(?P<v>[A-Z][A-Z_-]*)"), "status"),
    (re.compile(r"^Peer:\s*(?P<v>.+?)\s+port\s+(?P<port>\d+)(?:\s+fvrf:\s*(?P<fvrf>\S+))?"
                r"(?:\s+ivrf:\s*(?P<ivrf>\S+))?"), "peer"),
    (re.compile(r"^Phase1_id:\s*(?P<v>\S+)"), "phase1_id"),
    (re.compile(r"^Desc:\s*(?P<v>.+?)\s*$"), "desc"),
    (re.compile(r"^Session ID:\s*(?P<v>\d+)"), "session_id"),
    (re.compile(r"^IKE(?:v(?P<ver>[12]))?\s+SA:\s*" + _ENDS + r"\s+(?P<v>\w+)"), "ike_sa"),
    (re.compile(r"^Capabilities:\s*(?P<v>\S*)\s+connid:\s*(?P<conn>\d+)\s+lifetime:\s*(?P<life>\S+)"),
     "capabilities"),
    (re.compile(r"^IPSEC FLOW:\s*(?P<v>.+?)\s*$"), "flow"),
    (re.compile(r"^Active SAs:\s*(?P<v>\d+)(?:\s*,\s*origin:\s*(?P<origin>.+?))?\s*$"), "active_sas"),
    (re.compile(r"^(?P<dir>Inbound|Outbound):\s*#pkts\s+(?:dec|enc)'ed\s+(?P<v>\d+)\s+drop\s+(?P<drop>\d+)"
                r"(?:\s+life \(KB/Sec\)\s+(?P<kb>\d+)\s*/\s*(?P<sec>\d+))?"), "flow_pkts"),
)


def _session(record: Record, lines: list[str]) -> list[tuple[int, Event]]:
    sessions: list[dict] = []
    s: dict | None = None
    for i, raw in enumerate(lines):
        line = raw.strip()
        if not line:
            continue
        if _PROMPT.match(line):
            s = None
            continue
        for pattern, field in SESSION_LINES:
            m = pattern.match(line)
            if m is None:
                continue
            if field == "interface" or s is None:
                s = {"ike_sas": [], "flows": [], "_at": i}
                sessions.append(s)
            _session_line(s, field, m)
            break
    return [(s.pop("_at"), _session_event(record, s)) for s in sessions if "status" in s]


def _session_line(s: dict, field: str, m: re.Match) -> None:
    v = m["v"]
    if field == "peer":
        s["peer"], s["peer_port"] = address(v), int(m["port"])
        for k in ("fvrf", "ivrf"):
            if m[k]:
                s[k] = m[k]
    elif field == "ike_sa":
        s["ike_sas"].append({"version": int(m["ver"]) if m["ver"] else None, "local": address(m["local"]),
                             "local_port": int(m["lport"]), "remote": address(m["remote"]),
                             "remote_port": int(m["rport"]), "status": v})
    elif field == "capabilities":
        if s["ike_sas"]:
            s["ike_sas"][-1].update(capabilities=v, conn_id=int(m["conn"]), lifetime=m["life"])
    elif field == "flow":
        s["flows"].append({"flow": v})
    elif field == "active_sas":
        if s["flows"]:
            s["flows"][-1]["active_sas"] = int(v)
            if m["origin"]:
                s["flows"][-1]["origin"] = m["origin"]
    elif field == "flow_pkts":
        if s["flows"]:
            d = "inbound" if m["dir"] == "Inbound" else "outbound"
            f = s["flows"][-1]
            f[f"{d}_pkts"], f[f"{d}_drop"] = int(v), int(m["drop"])
            if m["kb"]:
                f[f"{d}_lifetime_kb"], f[f"{d}_lifetime_sec"] = int(m["kb"]), int(m["sec"])
    elif field == "session_id":
        s["session_id"] = int(v)
    else:
        s[field] = v


def _session_event(record: Record, s: dict) -> Event:
    active = [sa for sa in s["ike_sas"] if sa["status"].lower() == "active" and sa.get("conn_id") is not None]
    detail = {k: v for k, v in s.items() if k not in ("peer", "peer_port", "status") and v not in ([], None)}
    where = f"{s.get('peer')}" + (f":{s['peer_port']}" if s.get("peer_port") is not None else "")
    return Event("sa_status", record, f"session {s.get('interface', '')} with {where} {s['status']}",
                 peer=s.get("peer"), peer_port=s.get("peer_port"), state=s["status"],
                 conn_id=active[0]["conn_id"] if active else None, facility="show crypto session", detail=detail)
