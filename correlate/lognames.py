"""The names a router's log gives to what its implied configuration needs.

:func:`names_from_log` reads them (:class:`LogNames`): the tunnel interface (``Interface Tunnel23``),
the crypto map and its sequence number (``Map found CMAP, 10``, ``Crypto map tag: outside_map``), the
transform set, the ISAKMP and IPsec profiles (``SA request profile is ...``), the ACL, the keyring the
pre-shared key was found in, the identity the ISAKMP profile matched, the interface an IPsec SA was
installed on, and the proxy IDs the log states per peer.  :mod:`correlate.config` writes them into the
IOS lines instead of placeholders.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Iterable

from .model import Event
from .policy import ProxyIds, plain_dict, proxies_from_events, source_of

__all__ = ["LogNames", "names_from_log", "ID_KEYS"]


@dataclass
class LogNames:
    """The names a router's log gives to what the implied configuration needs (None: not named there).

    ``interface`` the tunnel interface of a VTI (``Tunnel23``); ``outside`` the interface a crypto
    map is applied to (where ``Successfully installed IPSEC SA ... on GigabitEthernet1``);
    ``crypto_map`` a crypto map's name (never the ``Tunnel23-head-0`` map IOS makes for a VTI) and
    ``crypto_map_seq`` its entry's sequence number;
    ``transform_set``, ``isakmp_profile``, ``ipsec_profile``, ``acl`` names; ``keyring`` the keyring
    the pre-shared key was found in (``Found ADDRESS key in keyring RA``); ``identity`` the peer identity
    the ISAKMP profile matched (the ID payload before ``peer matches VPN profile``); ``sa_interface``
    the interface IOS installed an IPsec SA on (``Successfully installed IPSEC SA ... on
    GigabitEthernet1``: a crypto map's interface when it is no tunnel); ``proxies``: the
    proxy IDs the log states per peer address ("" when its lines name no peer), this router's side first
    (``show crypto ipsec sa`` local/remote ident, ``IPSEC(validate_proposal_request)`` /
    ``IPSEC(create_sa)`` proxies, strongSwan traffic selectors); ``sources``: field -> ``file:line``
    where it was read.
    """
    interface: str | None = None
    outside: str | None = None
    crypto_map: str | None = None
    crypto_map_seq: int | None = None
    transform_set: str | None = None
    isakmp_profile: str | None = None
    ipsec_profile: str | None = None
    acl: str | None = None
    keyring: str | None = None
    identity: str | None = None
    sa_interface: str | None = None
    proxies: dict[str, ProxyIds] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)

    def proxies_for(self, peer: str | None) -> ProxyIds | None:
        """The proxy IDs the log states for ``peer`` (this router's side first), else those of lines
        that name no peer; None when it states none."""
        return self.proxies.get(peer or "") or self.proxies.get("")

    def to_dict(self) -> dict[str, Any]:
        return {**plain_dict(self), "proxies": {k: v.to_dict() for k, v in self.proxies.items()},
                "sources": dict(self.sources)}



#: names in a log's text that no parser gives as an event: (field, pattern with group ``v``): IOS
#: ``IPSEC(crypto_ipsec_create_ipsec_sas): Map found Tunnel23-head-0`` (``Map found CMAP, 10``: with the
#: entry's sequence number), ``(ipsec_process_proposal)Map Accepted: CMAP, 10``, ``show crypto ipsec sa``'s
#: ``Crypto map tag: outside_map,``, ``show crypto map`` (``Crypto Map IPv6 "Tunnel23-head-0" 65536``,
#: ``Transform sets={ TS: {...} }``, ``Profile name: VTI-PROF``, ``ISAKMP Profile: IKE-PROF``,
#: ``Extended IP access list 101``), ``SA request profile is IKE-PROF``, the keyring of ``Found ADDRESS key in
#: keyring RA`` (``show crypto isakmp profile``: ``Keyring(s): RA``) and any ``TunnelN``
_NAME_PATTERNS = (
    ("crypto_map", re.compile(r"\b(?:Map found|Map Accepted:|Crypto map tag:)\s*(?P<v>[^\s,]+)"
                              r"(?:,\s*(?P<seq>\d+)\b)?")),
    ("crypto_map", re.compile(r"\bCrypto Map (?:IPv6 )?\"(?P<v>[^\"]+)\"")),
    ("transform_set", re.compile(r"\bTransform sets=\{\s*(?P<v>[^:\s]+)\s*:")),
    ("ipsec_profile", re.compile(r"\bProfile name:\s*(?P<v>\S+)")),
    ("isakmp_profile", re.compile(r"\b(?:ISAKMP Profile:|SA request profile is)\s*(?P<v>\S+)")),
    ("acl", re.compile(r"\b(?:Extended IP|IPv6) access[- ]list\s+(?P<v>[^\s;,]+)")),
    ("interface", re.compile(r"(?<![A-Za-z])(?P<v>Tunnel\d+(?:\.\d+)?)(?![\d-])")),
    ("keyring", re.compile(r"\b(?:in|from) keyring\s+(?P<v>[^\s,]+?)\.?(?=\s|,|$)")),
    ("keyring", re.compile(r"\bKeyring\(s\):\s*(?P<v>[^\s,]+)")),
)
#: event detail key -> the :class:`LogNames` field it gives
_NAME_KEYS = (("interface", "interface"), ("intf", "interface"), ("crypto_map", "crypto_map"),
              ("profile", "isakmp_profile"))
_NAME_KEY_SET = frozenset(key for key, _ in _NAME_KEYS)
#: the crypto map IOS makes for a VTI: ``Tunnel23-head-0`` (it names the tunnel, not a configured map)
_VTI_MAP = re.compile(r"^(?P<ifc>Tunnel\d+(?:\.\d+)?)-head-\d+$", re.IGNORECASE)


def _set_name(names: LogNames, seen: dict[str, list[str]], what: str, value: Any, where: str) -> None:
    if not isinstance(value, str):
        return
    value = value.strip().strip('"')
    if not value or value.upper() in ("(NULL)", "NULL", "(NONE)", "NONE"):
        return
    m = _VTI_MAP.match(value) if what == "crypto_map" else None
    if m:
        what, value = "interface", m["ifc"]
    elif what == "interface" and not value.lower().startswith("tunnel"):
        what = "outside"
    if value not in seen.setdefault(what, []):
        seen[what].append(value)
    if getattr(names, what) is None:
        setattr(names, what, value)
        names.sources[what] = where


def names_from_log(events: Iterable[Event], records: Iterable = (), peer: str | None = None) -> LogNames:
    """The names one router's log gives (:class:`LogNames`): from its events' details (``interface``,
    ``intf``, ``crypto_map``, ``profile`` — an ISAKMP profile) — those of events about ``peer`` first
    —, then from the text of ``records`` (all the log's records, or, when they were not kept, the
    events' own) for what no event says (:data:`_NAME_PATTERNS`).  The first name found wins; when
    a log names several (a router with many tunnels), ``sources`` says so (``... (also Tunnel24)``)."""
    events = list(events)
    names = LogNames()
    seen: dict[str, list[str]] = {}
    naming = [e for e in events if not _NAME_KEY_SET.isdisjoint(e.detail)]  # (few: a cheap test first)
    ordered = [e for e in naming if peer and e.peer == peer] + [e for e in naming if not (peer and e.peer == peer)]
    for e in ordered:
        for key, what in _NAME_KEYS:
            if key in e.detail:
                _set_name(names, seen, what, e.detail[key], source_of(e))
    texts = records or list({id(e.record): e.record for e in events}.values())
    for r in texts:
        text = r.text
        if not ("unnel" in text or "Map" in text or "rofile" in text or "ransform" in text or "ccess" in text
                or "eyring" in text):
            continue  # (the words of _NAME_PATTERNS: a cheap test first, for logs of a million lines)
        for what, pattern in _NAME_PATTERNS:
            for m in pattern.finditer(text):
                _set_name(names, seen, what, m["v"], f"{r.file}:{r.line}")
                if m.groupdict().get("seq") and names.crypto_map == m["v"] and names.crypto_map_seq is None:
                    names.crypto_map_seq = int(m["seq"])
    _identity_and_proxies(names, events, peer)
    for what, values in seen.items():
        if len(values) > 1:
            names.sources[what] += f" (also {', '.join(values[1:4])}{', ...' if len(values) > 4 else ''})"
    return names


#: ID payload event detail keys (correlate.ios ``ISAKMP: ... address : 100.64.1.2``) that hold its identity
ID_KEYS = ("address", "fqdn", "hostname", "user_fqdn", "id_data")


def _identity_and_proxies(names: LogNames, events: list[Event], peer: str | None) -> None:
    """Fill ``names.identity`` (the ID payload last processed before an IOS ``peer matches X profile``
    line that names the profile), ``names.sa_interface`` (the first ``Successfully installed IPSEC SA
    ... on X``) and ``names.proxies`` (per peer, the first stated)."""
    last_id = None
    for e in events:
        d = e.detail
        if e.kind == "payload" and d.get("payload") == "ID":
            last_id = next((str(d[k]) for k in ID_KEYS if d.get(k)), None), e
        elif d.get("profile_match") and d.get("profile") and last_id and last_id[0] and names.identity is None:
            if names.isakmp_profile in (None, d["profile"]):
                names.identity = last_id[0]
                names.sources["identity"] = source_of(last_id[1])
        if e.kind == "sa_created" and isinstance(d.get("interface"), str) and names.sa_interface is None:
            names.sa_interface = d["interface"]
            names.sources["sa_interface"] = source_of(e)
        if not ("local_proxy" in d or "local_ident" in d or "ts_local" in d):
            continue
        found = proxies_from_events([e])
        remote = d.get("remote")  # IPSEC(create_sa) of an inbound SA: its sa_dest (peer) is the router itself
        key = (remote if isinstance(remote, str) and remote else e.peer) or ""
        if found is not None and key not in names.proxies:
            names.proxies[key] = found
            names.sources.setdefault("proxies", source_of(e))
            if peer and e.peer == peer:
                names.sources["proxies"] = source_of(e)


