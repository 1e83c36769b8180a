"""The configuration a negotiation implies, in Cisco IOS syntax.

What was offered and chosen becomes plain data first, in IANA numbers, whatever it came from:

* the SA payloads on the wire (:func:`policy_of`, :func:`ipsec_of`; RFC 2409 App. A phase 1
  attributes, RFC 2407 §4.4-4.5 IPsec DOI attributes);
* or log events (:func:`policies_from_events`, :func:`transforms_from_events`): IOS ``debug crypto
  isakmp`` attribute lines (``encryption AES-CBC``, ``keylength of 128``, ``SA life duration (VPI)
  of 0x0 0x46 0x50 0x0``, ``atts are acceptable``), strongSwan proposal lines
  (``selected proposal: IKE:AES_CBC_128/HMAC_SHA1_96/PRF_HMAC_SHA1/MODP_1024``) and the transform
  text of ``IPSEC(create_sa)`` / ``show crypto ipsec sa`` (``esp-aes esp-sha-hmac``).

Then small pure functions write IOS lines: :func:`isakmp_policy_lines` (``crypto isakmp policy N``
with encryption, hash, authentication, group, lifetime), :func:`isakmp_key_lines` (``crypto isakmp
key **** address ...``: the key is always masked; :func:`keyring_lines` and :func:`isakmp_profile_lines`
when the log names the keyring and the ISAKMP profile; :func:`aggressive_mode_lines`, the hint an
Aggressive Mode initiator needs), :func:`transform_set_lines` (``crypto ipsec
transform-set NAME esp-aes esp-sha-hmac`` and its ``mode``), :func:`protection_lines` (a ``crypto
ipsec profile`` + ``tunnel protection`` for a VTI when the proxy IDs are any/any, else a crypto map,
its ACL and its interface), and :func:`implied_config` puts them together for one router and one
message; :func:`combine` joins the configurations of both routers of a message.

Whose configuration: ``local``, the router it is written for; its ``crypto isakmp key`` names the
other peer and its ACL starts with its own side (the responder's mirrors the initiator's).  Names
(tunnel interface, crypto map and its sequence number, transform set, profiles, ACL) come from the
router's own log when it gives them (:func:`names_from_log`: ``Interface Tunnel23``, ``Map found
CMAP, 10``, ``Crypto map tag: outside_map``, ``SA request profile is ...``); otherwise they are
placeholders (``Tunnel0``, ``IKESCOPE-MAP``, ...), listed in a comment line.

Decisions (documented once, here):

* the ISAKMP policy priority is not on the wire: 10, 20, ... in the order offered (said in a
  comment line); an IOS log that says ``against priority 5 policy`` gives the real one;
* ``lifetime`` is always written in a policy (the IOS default is 86400 s); the IPsec
  ``set security-association lifetime seconds|kilobytes`` only when it differs from the IOS
  defaults, 3600 s and 4608000 KB (the IOS ``show running-config`` omits defaults too);
* an algorithm IOS has no keyword for (AES-CTR, AES-GCM with an 8- or 12-octet ICV) is said in
  place, and the command that would need it is written as a comment.

Units: lifetimes in seconds and kilobytes; key lengths in bits; SPIs as ints.
"""
from __future__ import annotations

import functools
import ipaddress
import re
from dataclasses import dataclass, field, fields
from typing import Any, Iterable

from dissect import registry
from dissect.payloads import IdPayload, Proposal, Transform

from . import meanings as M
from .model import Event

__all__ = ["IkePolicy", "IpsecTransform", "ProxyIds", "ImpliedConfig", "LogNames", "RouterView", "policy_of",
           "ipsec_of", "proxies_of",
           "policies_from_events", "transforms_from_events", "proxies_from_events", "transform_from_ios_text",
           "transform_keywords",
           "isakmp_policy_lines", "isakmp_key_lines", "keyring_lines", "isakmp_profile_lines",
           "aggressive_mode_lines", "transform_set_lines", "transform_set_name",
           "protection_lines", "implied_config", "implied_config_from_events", "ios_address", "names_from_log",
           "ios_equivalent",
           "libreswan_policies",
           "combine"]


# --------------------------------------------------------------------------
# The data

@dataclass
class IkePolicy:
    """One phase 1 transform as an ISAKMP policy (RFC 2409 App. A values).

    ``encryption``/``hash``/``authentication``/``group`` are the attribute values (None: not
    known); ``key_length`` bits; ``lifetime`` seconds, ``lifetime_kb`` kilobytes; ``priority`` the
    IOS policy number when a log names it; ``chosen``: the transform the responder accepted;
    ``source``: where it was read (``frame 2 (MM2)``, ``file:line``).
    """
    encryption: int | None = None
    key_length: int | None = None
    hash: int | None = None
    authentication: int | None = None
    group: int | None = None
    lifetime: int | None = None
    lifetime_kb: int | None = None
    priority: int | None = None
    chosen: bool = False
    source: str = ""

    def to_dict(self) -> dict[str, Any]:
        d = _plain_dict(self)
        d["names"] = {"encryption": _name(registry.IKE_ATTRIBUTES[1], self.encryption),
                      "hash": _name(registry.IKE_ATTRIBUTES[2], self.hash),
                      "authentication": _name(registry.IKE_ATTRIBUTES[3], self.authentication),
                      "group": _name(registry.IKE_ATTRIBUTES[4], self.group)}
        return d


@dataclass
class IpsecTransform:
    """One IPsec transform (an ESP transform, optionally bundled with AH) as a transform set.

    ``encryption`` the ESP transform ID (RFC 2407 §4.4.4), ``key_length`` bits, ``integrity`` the
    Authentication-Algorithm (§4.5), ``ah`` the AH transform ID of a bundle, ``mode`` the
    Encapsulation-Mode value, ``pfs_group`` the Group-Description (PFS), lifetimes in seconds
    and kilobytes, ``spi`` the proposer's inbound SPI; ``chosen``/``source`` as in :class:`IkePolicy`.
    """
    encryption: int | None = None
    key_length: int | None = None
    integrity: int | None = None
    ah: int | None = None
    mode: int | None = None
    pfs_group: int | None = None
    lifetime_seconds: int | None = None
    lifetime_kb: int | None = None
    spi: int | None = None
    chosen: bool = False
    source: str = ""

    def to_dict(self) -> dict[str, Any]:
        d = _plain_dict(self)
        d["keywords"], d["problems"] = transform_keywords(self)
        return d


@dataclass
class ProxyIds:
    """The proxy IDs (traffic selectors) of a Quick Mode, as the QM initiator sends them.

    ``local``/``remote``: ``2001:db8:1::/64``, ``192.0.2.1`` (a host) or ``a-b`` (a range);
    ``protocol`` an IP protocol number (0: any); ports (0: any).
    """
    local: str
    remote: str
    protocol: int = 0
    local_port: int = 0
    remote_port: int = 0

    @property
    def any_to_any(self) -> bool:
        """Both sides are 0.0.0.0/0 or ::/0 with any protocol and port: what a VTI (tunnel
        protection) negotiates."""
        return self.protocol == 0 and not self.local_port and not self.remote_port and \
            all(_is_any(x) for x in (self.local, self.remote))

    def swapped(self) -> "ProxyIds":
        return ProxyIds(self.remote, self.local, self.protocol, self.remote_port, self.local_port)

    def to_dict(self) -> dict[str, Any]:
        return {**_plain_dict(self), "any_to_any": self.any_to_any}


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
        return {**_plain_dict(self), "proxies": {k: v.to_dict() for k, v in self.proxies.items()},
                "sources": dict(self.sources)}


@dataclass
class RouterView:
    """A router whose own configuration is shown: its ``address`` (as the capture writes it), a
    ``label`` (the log that speaks for it, or "") and the :class:`LogNames` its log gives; ``device``:
    :func:`ios_equivalent` of its log (what it is when it is no IOS router), or ""."""
    address: str
    label: str = ""
    names: LogNames = field(default_factory=LogNames)
    device: str = ""


#: the devices whose logs ikescope reads that are no IOS router: their configuration is shown in IOS terms
_NOT_IOS = {"asa": "an ASA", "strongswan": "a strongSwan peer", "libreswan": "a libreswan peer"}


def ios_equivalent(families: Iterable[str]) -> str:
    """What a log's device is when it is no IOS router, for the comment line of its implied configuration
    (``"a strongSwan peer: its IOS equivalent"``): from the log's families (:attr:`LogResult.families`,
    record families); "" for an IOS log (or one with IOS lines) and for one of no known device."""
    families = set(families)
    if "ios" in families:
        return ""
    device = next((_NOT_IOS[f] for f in ("asa", "strongswan", "libreswan") if f in families), "")
    return f"{device}: its IOS equivalent" if device else ""


@dataclass
class ImpliedConfig:
    """The IOS configuration one message implies, on ``local`` toward ``peer``.

    ``lines``: the configuration text, comment lines starting with ``!``; the rest is the data it
    was written from (``vti``: True for a VTI, False for a crypto map, None when the proxy IDs are
    not known); ``notes``: what could not be said in IOS terms; ``label``: whose configuration it
    is (``responder.log, the responder``); ``names``: the names a log gave, ``placeholders``: the
    names made up because no log gave them (``Tunnel0``).  When a message implies the configuration
    of both routers, ``sides`` holds one :class:`ImpliedConfig` per router (initiator first), and
    ``lines`` and the other fields are theirs joined / the first's (:func:`combine`).
    """
    lines: list[str]
    policies: list[IkePolicy] = field(default_factory=list)
    transforms: list[IpsecTransform] = field(default_factory=list)
    local: str | None = None
    peer: str | None = None
    proxies: ProxyIds | None = None
    vti: bool | None = None
    notes: list[str] = field(default_factory=list)
    label: str = ""
    names: LogNames | None = None
    placeholders: list[str] = field(default_factory=list)
    sides: list["ImpliedConfig"] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"lines": self.lines, "policies": [p.to_dict() for p in self.policies],
                "transforms": [t.to_dict() for t in self.transforms], "local": self.local, "peer": self.peer,
                "proxies": self.proxies.to_dict() if self.proxies else None, "vti": self.vti, "notes": self.notes,
                "label": self.label, "names": self.names.to_dict() if self.names else None,
                "placeholders": self.placeholders, "sides": [s.to_dict() for s in self.sides]}


def _plain_dict(obj) -> dict[str, Any]:
    """``dataclasses.asdict`` for the flat dataclasses of this module (fields of numbers, strings and
    None), without its deep copy of every value: it runs for every message of a capture."""
    return {name: getattr(obj, name) for name in _field_names(type(obj))}


@functools.cache
def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in fields(cls))


def _name(spec, value: int | None) -> str | None:
    if value is None:
        return None
    return spec.values.get(value, f"#{value}") if spec.values else str(value)


def _is_any(text: str) -> bool:
    try:
        return ipaddress.ip_network(text, strict=False).prefixlen == 0
    except ValueError:
        return False


# --------------------------------------------------------------------------
# From the wire

#: :func:`_attrs` by what it reads of a transform (its protocol, its attributes' types and bytes): a
#: capture repeats a handful of transforms in every exchange
_ATTRS_SEEN: dict[tuple, dict[int, int]] = {}
_ATTRS_SEEN_MAX = 4096


def _attrs(t: Transform) -> dict[int, int]:
    """Attribute type -> numeric value; the life duration that follows a life type is stored under
    minus that life type (-1 seconds, -2 kilobytes), so that both lifetimes survive.  The mapping is
    shared by transforms of the same content: read it, do not change it."""
    key = (t.protocol_id, tuple([(a.type, a.tv, a.raw) for a in t.attributes]))
    found = _ATTRS_SEEN.get(key)
    if found is None:
        if len(_ATTRS_SEEN) >= _ATTRS_SEEN_MAX:
            _ATTRS_SEEN.clear()
        found = _ATTRS_SEEN[key] = _read_attrs(t)
    return found


def _read_attrs(t: Transform) -> dict[int, int]:
    out: dict[int, int] = {}
    life_type = 1
    life_types = (11, 12) if t.protocol_id == 1 else (1, 2)
    for a in t.attributes:
        v = a.value
        if v is None:
            continue
        if a.type == life_types[0]:
            life_type = v
        elif a.type == life_types[1]:
            out[-life_type] = v
        else:
            out[a.type] = v
    return out


def policy_of(t: Transform, chosen: bool = False, source: str = "") -> IkePolicy:
    """An ISAKMP policy from a phase 1 transform (RFC 2409 App. A attributes)."""
    a = _attrs(t)
    return IkePolicy(encryption=a.get(1), key_length=a.get(14), hash=a.get(2), authentication=a.get(3),
                     group=a.get(4), lifetime=a.get(-1), lifetime_kb=a.get(-2), chosen=chosen, source=source)


def ipsec_of(proposals: Iterable[Proposal], chosen: bool = False, source: str = "") -> list[IpsecTransform]:
    """The transform sets an IPsec SA payload offers (or, in QM2, the one it chose).

    Proposals with the same number form one bundle (RFC 2408 §4.2: AH and ESP together); the
    transforms of one proposal are alternatives.  Each ESP transform gives one
    :class:`IpsecTransform`, with the bundle's AH transform when there is one.
    """
    bundles: dict[int, list[Proposal]] = {}
    for p in proposals:
        bundles.setdefault(p.number, []).append(p)
    out = []
    for props in bundles.values():
        ah = next((p for p in props if p.protocol_id == 2), None)
        esp = [p for p in props if p.protocol_id == 3]
        ah_id = ah.transforms[0].transform_id if ah and ah.transforms else None
        if not esp and ah is not None:
            for t in ah.transforms:
                a = _attrs(t)
                out.append(IpsecTransform(ah=t.transform_id, mode=a.get(4), pfs_group=a.get(3),
                                          lifetime_seconds=a.get(-1), lifetime_kb=a.get(-2),
                                          spi=int.from_bytes(ah.spi, "big") if ah.spi else None,
                                          chosen=chosen, source=source))
        for p in esp:
            for t in p.transforms:
                a = _attrs(t)
                out.append(IpsecTransform(encryption=t.transform_id, key_length=a.get(6), integrity=a.get(5),
                                          ah=ah_id, mode=a.get(4), pfs_group=a.get(3), lifetime_seconds=a.get(-1),
                                          lifetime_kb=a.get(-2), spi=int.from_bytes(p.spi, "big") if p.spi else None,
                                          chosen=chosen, source=source))
    return out


def proxies_of(payloads: Iterable) -> ProxyIds | None:
    """The proxy IDs of a Quick Mode message: its two ID payloads, IDci then IDcr (RFC 2409 §5.5);
    None when it has none (then the proxies are the peers' own addresses)."""
    ids = [p for p in payloads if isinstance(p, IdPayload) and p.version == 1]
    if len(ids) < 2:
        return None
    i, r = ids[0], ids[1]
    return ProxyIds(i.text, r.text, i.protocol_id or r.protocol_id, i.port, r.port)


# --------------------------------------------------------------------------
# From log events

def _lookup(table: dict[int, str], name: str, kind: str = "") -> int | None:
    """A registry value by name, whatever the spelling (:func:`meanings.loose`), or a log alias."""
    want = M.loose(name)
    for value, text in table.items():
        if M.loose(text) == want:
            return value
    return M.LOG_ALIASES.get(kind, {}).get(want)


_IKE = registry.IKE_ATTRIBUTES
_IPSEC = registry.IPSEC_ATTRIBUTES


def _life(target, unit: str | None, value: int, phase1: bool) -> None:
    kb = (unit or "").lower().startswith("kilo")
    if phase1:
        setattr(target, "lifetime_kb" if kb else "lifetime", value)
    else:
        setattr(target, "lifetime_kb" if kb else "lifetime_seconds", value)


#: IOS attribute keys (correlate.ios detail) that say which phase a transform belongs to
_PHASE1_KEYS = frozenset({"encryption", "hash", "auth", "keylength"})
_PHASE2_KEYS = frozenset({"transform_id", "authenticator", "encaps", "key_length"})


def _source(e: Event) -> str:
    return f"{e.record.file}:{e.record.line}"


def _ios_sequences(events: Iterable[Event]):
    """IOS proposal events cut into transforms: yields (phase, [events]) per transform checked,
    the ``atts are (not) acceptable`` event closing it."""
    phase, current = 0, []
    for e in events:
        if e.kind != "proposal" or "function" in e.detail or "proposals" in e.detail:
            continue
        d = e.detail
        if "phase" in d:  # "Checking ISAKMP transform N against priority P policy", "Checking IPsec proposal N"
            if current:
                yield phase, current
            phase, current = d["phase"], [e]
            continue
        if not phase:
            phase = 1 if _PHASE1_KEYS & d.keys() else 2 if _PHASE2_KEYS & d.keys() else 0
        current.append(e)
        if "acceptable" in d:
            yield phase, current
            phase, current = 0, []
    if current:
        yield phase, current


def _ios_policy(evs: list[Event]) -> IkePolicy:
    p = IkePolicy(source=_source(evs[0]))
    unit = None
    for e in evs:
        d = e.detail
        if "policy" in d:
            p.priority = d["policy"]
        if "encryption" in d:
            p.encryption = _lookup(_IKE[1].values, str(d["encryption"]))
        if "keylength" in d:
            p.key_length = d["keylength"]
        if "hash" in d:
            p.hash = _lookup(_IKE[2].values, str(d["hash"]))
        if "auth" in d:
            p.authentication = _lookup(_IKE[3].values, str(d["auth"]), "auth")
        if "group" in d:
            p.group = d["group"]
        if "life_type" in d:
            unit = d["life_type"]
        if "life_duration" in d and isinstance(d["life_duration"], int):
            _life(p, unit, d["life_duration"], True)
        if d.get("acceptable") is True:
            p.chosen = True
    if not any(e.detail.get("acceptable") is True for e in evs):
        p.priority = None  # the peer's offer, checked against a local policy it did not match
    return p


def _ios_transform(evs: list[Event]) -> IpsecTransform:
    t = IpsecTransform(source=_source(evs[0]))
    unit = None
    for e in evs:
        d = e.detail
        if "transform_id" in d:
            name = str(d["transform_id"]).upper().removeprefix("ESP_").removeprefix("AH_")
            if str(d["transform_id"]).upper().startswith("AH_"):
                t.ah = _lookup(registry.TRANSFORM_IDS[2], name)
            else:
                t.encryption = _lookup(registry.TRANSFORM_IDS[3], name, "esp")
        if "key_length" in d:
            t.key_length = d["key_length"]
        if "authenticator" in d:
            t.integrity = _lookup(_IPSEC[5].values, str(d["authenticator"]))
        if "encaps" in d and isinstance(d["encaps"], int):
            t.mode = d["encaps"]
        if "group" in d:
            t.pfs_group = d["group"]
        if "life_type" in d:
            unit = d["life_type"]
        if "life_duration" in d and isinstance(d["life_duration"], int):
            _life(t, unit, d["life_duration"], False)
        if d.get("acceptable") is True:
            t.chosen = True
    return t


def _token(word: str) -> tuple[tuple | None, int | None]:
    """The :data:`meanings.STRONGSWAN_TOKENS` entry of one proposal word, and the key length in bits a
    cipher word carries (``AES_CBC_128``: AES_CBC's entry, 128); (None, None) for a word it does not know."""
    head, _, tail = word.rpartition("_")
    if word not in M.STRONGSWAN_TOKENS and tail.isdigit() and head in M.STRONGSWAN_TOKENS \
            and M.STRONGSWAN_TOKENS[head][0] == "cipher":
        return M.STRONGSWAN_TOKENS[head], int(tail)
    return M.STRONGSWAN_TOKENS.get(word), None


def _strongswan(text: str) -> tuple[str, dict[str, list[int]], list[int]] | None:
    """``IKE:AES_CBC_128/HMAC_SHA1_96/PRF_HMAC_SHA1/MODP_1024`` -> ("IKE", {what: [ike value, esp
    value]}, [key length]); None for text that is no proposal."""
    proto, sep, rest = text.partition(":")
    if not sep:
        return None
    found: dict[str, list[int]] = {}
    keylen: list[int] = []
    for token in rest.split("/"):
        entry, size = _token(token)
        if entry is None:
            continue
        what, ike, esp = entry
        found.setdefault(what, [ike, esp])
        if size:
            keylen.append(size)
    return proto.strip().upper(), found, keylen


def _libreswan_token(text: str, what: str) -> tuple[int | None, int | None] | None:
    """(IKE value, key length) of one word of libreswan's ``ISAKMP SA established {cipher=AES_CBC_256
    integ=HMAC_SHA2_256 group=MODP2048}`` (``what``: cipher, prf, group), by strongSwan's token table;
    None for a word it does not know."""
    word = re.sub(r"^OAKLEY_(?:GROUP_)?", "", text.strip().upper())
    if what == "group":
        m = re.fullmatch(r"DH(\d+)", word)
        if m:
            return int(m[1]), None
        word = re.sub(r"^(MODP|ECP)_?(\d+)", r"\1_\2", word)
        names = [word]
    elif what == "prf":
        names = [f"PRF_{word}", f"PRF_HMAC_{word}", re.sub(r"_\d+$", "", f"PRF_{word}")]
    else:
        names = [word]
    for name in names:
        entry = M.STRONGSWAN_TOKENS.get(name)
        if entry is not None and entry[0] == what:
            return entry[1], None
    entry, size = _token(word)
    if what == "cipher" and size and entry is not None and entry[0] == "cipher":
        return entry[1], size
    return None


def libreswan_policies(events: Iterable[Event]) -> set[tuple[int | None, ...]]:
    """(encryption, key length, hash, group) of the ISAKMP SAs a libreswan log established (pluto's
    ``ISAKMP SA established {... cipher= integ= group=}``: the proposal it accepted); words it does not
    know stay None."""
    out = set()
    for e in events:
        d = e.detail
        if e.record.family != "libreswan" or e.kind != "sa_created" or d.get("phase") != 1:
            continue
        enc = _libreswan_token(d["cipher"], "cipher") if isinstance(d.get("cipher"), str) else None
        prf = _libreswan_token(d["integ"], "prf") if isinstance(d.get("integ"), str) else None
        group = _libreswan_token(d["group"], "group") if isinstance(d.get("group"), str) else None
        if enc or prf or group:
            out.add((enc[0] if enc else None, enc[1] if enc else None, prf[0] if prf else None,
                     group[0] if group else None))
    return out


def _strongswan_events(events: Iterable[Event]) -> list[tuple[Event, str]]:
    """(event, proposal text) of the selected proposals, or else the configured ones (a charon log's
    ``configured proposals`` is the local configuration itself)."""
    props = [(e, e.detail.get("role", ""), p) for e in events if e.kind == "proposal"
             for p in e.detail.get("proposals", ()) if isinstance(p, str)]
    for role in ("selected", "configured", "received"):
        picked = [(e, p) for e, r, p in props if r == role]
        if picked:
            return picked
    return []


def policies_from_events(events: Iterable[Event]) -> list[IkePolicy]:
    """The phase 1 policies a log shows: IOS transforms checked against local policies (the
    accepted one ``chosen``, with its priority) and strongSwan's selected (else configured) IKE
    proposals.  Attributes the log does not print stay None."""
    events = list(events)
    out = [_ios_policy(evs) for phase, evs in _ios_sequences(events) if phase == 1]
    for e, text in _strongswan_events(events):
        parsed = _strongswan(text)
        if parsed is None or parsed[0] != "IKE":
            continue
        _, f, keylen = parsed
        hash_id = (f.get("prf") or f.get("integrity") or [None])[0]
        out.append(IkePolicy(encryption=(f.get("cipher") or [None])[0], key_length=keylen[0] if keylen else None,
                             hash=hash_id, group=(f.get("group") or [None])[0],
                             chosen=e.detail.get("role") == "selected", source=_source(e)))
    return out


def transforms_from_events(events: Iterable[Event]) -> list[IpsecTransform]:
    """The IPsec transforms a log shows: IOS proposals checked (``Checking IPsec proposal 1``, its
    attributes, ``atts are acceptable``), strongSwan's selected (else configured) ESP proposals (a
    DH group there is the PFS group), and, when neither is there, the transform of an IOS
    ``IPSEC(create_sa)`` or pasted ``show crypto ipsec sa``."""
    events = list(events)
    out = [_ios_transform(evs) for phase, evs in _ios_sequences(events) if phase == 2]
    for e, text in _strongswan_events(events):
        parsed = _strongswan(text)
        if parsed is None or parsed[0] not in ("ESP", "AH"):
            continue
        proto, f, keylen = parsed
        cipher, integ, group = ((f.get(k) or [None, None])[1] for k in ("cipher", "integrity", "group"))
        out.append(IpsecTransform(encryption=cipher if proto == "ESP" else None,
                                  key_length=keylen[0] if keylen else None, integrity=integ,
                                  ah=M.AH_FOR_INTEGRITY.get(integ) if proto == "AH" else None,
                                  pfs_group=group, chosen=e.detail.get("role") == "selected", source=_source(e)))
    if not out:
        for e in events:
            text = e.detail.get("transform") if e.kind in ("sa_created", "sa_status") else None
            if isinstance(text, str) and text.lower().startswith(("esp-", "ah-")):
                t = transform_from_ios_text(text, e.detail.get("mode"))
                t.chosen, t.source = True, _source(e)
                t.lifetime_kb = None  # create_sa/show say what is left of the lifetime, not the lifetime
                return [t]
    return out


def transform_from_ios_text(text: str, mode: str | None = None) -> IpsecTransform:
    """An :class:`IpsecTransform` from IOS transform-set text (``esp-aes 256 esp-sha256-hmac``), as
    ``IPSEC(create_sa)`` ``sa_trans=`` and ``show crypto ipsec sa`` print it; unknown words are skipped."""
    t = IpsecTransform()
    words = text.replace(",", " ").split()
    for i, w in enumerate(words):
        w = w.lower()
        enc = next((k for k, v in M.ESP_ENCRYPTION.items() if v == w), None)
        if enc is not None:
            t.encryption = enc
            if i + 1 < len(words) and words[i + 1].isdigit():
                t.key_length = int(words[i + 1])
            elif enc in M.ESP_KEYED:
                t.key_length = 128
            continue
        integ = next((k for k, v in M.ESP_INTEGRITY.items() if v == w), None)
        if integ is not None:
            t.integrity = integ
        ah = next((k for k, v in M.AH_KEYWORDS.items() if v == w), None)
        if ah is not None:
            t.ah = ah
    if mode:
        t.mode = next((k for k, v in M.ENCAPSULATION_MODES.items() if v == mode.lower()), None)
    return t


def _proxy_text(value: Any) -> tuple[str, int, int] | None:
    """An IOS proxy (``::/0/256/0``: addr/mask/prot/port; ``show`` ident dicts) -> (network, protocol, port)."""
    if isinstance(value, dict):
        addr, mask, prot, port = value.get("addr"), value.get("mask"), value.get("prot", 0), value.get("port", 0)
    elif isinstance(value, str):
        parts = value.strip().split("/")
        if len(parts) != 4:
            return (value.strip(), 0, 0) if value.strip() else None
        addr, mask, prot, port = parts
    else:
        return None
    try:
        net = ipaddress.ip_network(f"{addr}/{mask}", strict=False)
        prot, port = int(prot), int(port)
    except ValueError:
        return None
    return str(net) if net.num_addresses > 1 else str(net.network_address), 0 if prot in (0, 256) else prot, port


def proxies_from_events(events: Iterable[Event]) -> ProxyIds | None:
    """Proxy IDs a log states, as the local side sees them: IOS ``IPSEC(validate_proposal_request)`` /
    ``sa_request`` (local_proxy, remote_proxy), ``show crypto ipsec sa`` (local/remote ident),
    strongSwan CHILD_SA traffic selectors; None when none is said."""
    for e in events:
        d = e.detail
        pairs = (("local_proxy", "remote_proxy"), ("local_ident", "remote_ident"), ("ts_local", "ts_remote"))
        for lk, rk in pairs:
            if lk in d and rk in d:
                lo, re_ = _proxy_text(d[lk]), _proxy_text(d[rk])
                if lo and re_:
                    return ProxyIds(lo[0], re_[0], lo[1] or re_[1], lo[2], re_[2])
    return None


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
                _set_name(names, seen, what, e.detail[key], _source(e))
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
_ID_KEYS = ("address", "fqdn", "hostname", "user_fqdn", "id_data")


def _identity_and_proxies(names: LogNames, events: list[Event], peer: str | None) -> None:
    """Fill ``names.identity`` (the ID payload last processed before an IOS ``peer matches X profile``
    line that names the profile), ``names.sa_interface`` (the first ``Successfully installed IPSEC SA
    ... on X``) and ``names.proxies`` (per peer, the first stated)."""
    last_id = None
    for e in events:
        d = e.detail
        if e.kind == "payload" and d.get("payload") == "ID":
            last_id = next((str(d[k]) for k in _ID_KEYS if d.get(k)), None), e
        elif d.get("profile_match") and d.get("profile") and last_id and last_id[0] and names.identity is None:
            if names.isakmp_profile in (None, d["profile"]):
                names.identity = last_id[0]
                names.sources["identity"] = _source(last_id[1])
        if e.kind == "sa_created" and isinstance(d.get("interface"), str) and names.sa_interface is None:
            names.sa_interface = d["interface"]
            names.sources["sa_interface"] = _source(e)
        if not ("local_proxy" in d or "local_ident" in d or "ts_local" in d):
            continue
        found = proxies_from_events([e])
        remote = d.get("remote")  # IPSEC(create_sa) of an inbound SA: its sa_dest (peer) is the router itself
        key = (remote if isinstance(remote, str) and remote else e.peer) or ""
        if found is not None and key not in names.proxies:
            names.proxies[key] = found
            names.sources.setdefault("proxies", _source(e))
            if peer and e.peer == peer:
                names.sources["proxies"] = _source(e)


# --------------------------------------------------------------------------
# IOS lines

@functools.lru_cache(maxsize=4096)
def ios_address(addr: str) -> str:
    """An address as IOS shows it: IPv6 upper case (``2001:DB8::3``); text that is no address unchanged."""
    try:
        return ipaddress.ip_address(addr).compressed.upper()
    except ValueError:
        return addr


@functools.lru_cache(maxsize=4096)
def _is_v6(addr: str | None) -> bool:
    try:
        return addr is not None and ipaddress.ip_address(addr.split("/")[0]).version == 6
    except ValueError:
        return False


def isakmp_policy_lines(p: IkePolicy, priority: int) -> list[str]:
    """``crypto isakmp policy N`` and its sub-commands; what is not known, or has no IOS keyword,
    is a comment line in its place."""
    k = M.POLICY_KEYWORDS
    lines = [f"crypto isakmp policy {priority}"]
    if p.encryption in M.ISAKMP_ENCRYPTION:
        word = M.ISAKMP_ENCRYPTION[p.encryption]
        if p.encryption == 7 and p.key_length and p.key_length != 128:
            word += f" {p.key_length}"
        lines.append(f" {k['encryption']} {word}")
    else:
        lines.append(_unknown("encryption", registry.IKE_ATTRIBUTES[1], p.encryption))
    lines.append(f" {k['hash']} {M.ISAKMP_HASH[p.hash]}" if p.hash in M.ISAKMP_HASH
                 else _unknown("hash", registry.IKE_ATTRIBUTES[2], p.hash))
    if p.authentication in M.ISAKMP_AUTHENTICATION:
        lines.append(f" {k['authentication']} {M.ISAKMP_AUTHENTICATION[p.authentication]}")
        if p.authentication in M.XAUTH_METHODS:
            lines.append(" ! the peer asks for XAUTH as well (crypto map ... client authentication list ...)")
    else:
        lines.append(_unknown("authentication", registry.IKE_ATTRIBUTES[3], p.authentication))
    if p.group in M.IOS_GROUPS:
        lines.append(f" {k['group']} {p.group}")
    else:
        lines.append(_unknown("group", registry.IKE_ATTRIBUTES[4], p.group))
    if p.lifetime is not None:
        lines.append(f" {k['lifetime']} {p.lifetime}")
    else:
        lines.append(f" ! {k['lifetime']}: not known (the IOS default is {M.IOS_ISAKMP_LIFETIME} s)")
    if p.lifetime_kb is not None:
        lines.append(f" ! a lifetime of {p.lifetime_kb} KB was proposed: IOS has no ISAKMP volume lifetime")
    return lines


def _unknown(what: str, spec, value: int | None) -> str:
    if value is None:
        return f" ! {what}: not known from this source"
    return f" ! {what}: {_name(spec, value)} ({value}) has no IOS keyword"


def isakmp_key_lines(peer: str) -> list[str]:
    """``crypto isakmp key **** address 192.0.2.3`` or ``... address ipv6 2001:DB8::3/128``: the
    pre-shared key for one peer, always masked."""
    if _is_v6(peer):
        return [f"crypto isakmp key **** address ipv6 {ios_address(peer)}/128"]
    return [f"crypto isakmp key **** address {ios_address(peer)}"]


def keyring_lines(keyring: str, peer: str) -> list[str]:
    """``crypto keyring RA`` and `` pre-shared-key address 192.0.2.3 key ****`` (IPv6: ``address ipv6
    2001:DB8::3/128``): the pre-shared key of one peer in a keyring, always masked."""
    address = f"ipv6 {ios_address(peer)}/128" if _is_v6(peer) else ios_address(peer)
    return [f"crypto keyring {keyring}", f" pre-shared-key address {address} key ****"]


def isakmp_profile_lines(profile: str, keyring: str | None = None, identity: str | None = None) -> list[str]:
    """``crypto isakmp profile VPN`` with its `` keyring`` and `` match identity`` (``address A
    255.255.255.255``, ``address ipv6 A/128``, or ``host NAME`` for an FQDN identity); without the
    identity a comment says it is not known."""
    lines = [f"crypto isakmp profile {profile}"]
    if keyring:
        lines.append(f" keyring {keyring}")
    if identity is None:
        lines.append(" ! match identity ...: the peer identity the profile matched is not in this source")
    elif _is_v6(identity):
        lines.append(f" match identity address ipv6 {ios_address(identity)}/128")
    else:
        try:
            lines.append(f" match identity address {ipaddress.IPv4Address(identity)} 255.255.255.255")
        except ValueError:
            lines.append(f" match identity host {identity}")
    return lines


#: ID payload types (RFC 2407 §4.6.2.1) -> the ``set aggressive-mode client-endpoint`` keyword
_CLIENT_ENDPOINT = {1: "ipv4-address", 2: "fqdn", 3: "user-fqdn"}


def aggressive_mode_lines(peer: str, identity: str | None = None, id_type: int | None = None) -> list[str]:
    """The IOS hint for an initiator that starts Aggressive Mode toward ``peer``: ``crypto isakmp peer
    address P`` with ``set aggressive-mode password ****`` (the pre-shared key, masked) and ``set
    aggressive-mode client-endpoint ipv4-address|fqdn|user-fqdn ID`` (its identity, the ID payload of
    AM1, ``id_type`` RFC 2407 §4.6.2.1).  Without these IOS only starts Main Mode (its log: ``Can not
    start Aggressive mode, trying Main mode``).  The documented ``crypto isakmp peer`` (Cisco IOS
    Security Command Reference; feature "IKE: Initiate Aggressive Mode", 12.2(8)T) takes an IPv4
    address or a hostname and the client endpoint an IPv4 address, FQDN or user-FQDN: other peers and
    identities (IPv6) get the lines as comments (and the caller keeps its ordinary key lines)."""
    lines = ["! hint: IOS initiates Aggressive Mode only toward a peer that has aggressive-mode attributes "
             "(else its log says \"Can not start Aggressive mode, trying Main mode\"):"]
    keyword = _CLIENT_ENDPOINT.get(id_type if id_type is not None else (5 if _is_v6(identity or peer) else 1))
    endpoint = f" set aggressive-mode client-endpoint {keyword} {identity}" if keyword and identity else None
    if _is_v6(peer) or (identity and endpoint is None):
        lines.append("! (IOS documents `crypto isakmp peer address|hostname` for IPv4 peers and client endpoints of "
                     "type ipv4-address, fqdn, user-fqdn only: this peer or identity has no documented form)")
        lines += [f"! crypto isakmp peer address {ios_address(peer)}", "!  set aggressive-mode password ****"]
        lines.append(f"!  set aggressive-mode client-endpoint <{identity}>" if identity else
                     "!  set aggressive-mode client-endpoint ...: the initiator's identity is not known")
        return lines
    lines += [f"crypto isakmp peer address {ios_address(peer)}", " set aggressive-mode password ****"]
    lines.append(endpoint or " ! set aggressive-mode client-endpoint ...: the initiator's identity is not known")
    return lines


def transform_keywords(t: IpsecTransform) -> tuple[list[str], list[str]]:
    """The IOS transform-set words of a transform (``["esp-aes 256", "esp-sha256-hmac"]``) and what
    has none (``["ESP AES-CTR (transform 13) has no IOS keyword"]``)."""
    words: list[str] = []
    problems: list[str] = []
    if t.ah is not None:
        word = M.AH_KEYWORDS.get(t.ah)
        if word:
            words.append(word)
        else:
            problems.append(f"AH {registry.TRANSFORM_IDS[2].get(t.ah, '#' + str(t.ah))} has no IOS keyword")
    if t.encryption is not None:
        word = M.ESP_ENCRYPTION.get(t.encryption)
        name = registry.TRANSFORM_IDS[3].get(t.encryption, f"#{t.encryption}")
        if word is None:
            bits = f"-{t.key_length}" if t.key_length else ""
            problems.append(f"ESP {name}{bits} (transform {t.encryption}) has no IOS keyword"
                            + (" (IOS esp-gcm has a 16-octet ICV only)" if t.encryption in (18, 19) else ""))
        else:
            if t.encryption in M.ESP_KEYED and t.key_length and t.key_length != 128:
                word += f" {t.key_length}"
            words.append(word)
    if t.encryption is None and t.ah is None:
        problems.append("the ESP encryption transform is not known from this source")
    if t.integrity is not None and t.encryption not in M.ESP_AEAD:
        word = M.ESP_INTEGRITY.get(t.integrity)
        if word:
            words.append(word)
        else:
            problems.append(f"ESP integrity {_name(registry.IPSEC_ATTRIBUTES[5], t.integrity)} has no IOS keyword")
    return words, problems


def transform_set_name(t: IpsecTransform) -> str:
    """A name for a transform set, from its keywords: ``esp-aes 256 esp-sha256-hmac`` -> ``ESP-AES256-SHA256``."""
    words, _ = transform_keywords(t)
    parts = [w.removeprefix("esp-").removeprefix("ah-").removesuffix("-hmac").replace(" ", "").upper() for w in words]
    if not parts:
        parts = [registry.TRANSFORM_IDS[3].get(t.encryption or 0, "X").replace("_", "").replace("-", "")
                 + (str(t.key_length) if t.key_length else "")]
    return "-".join(["AH" if t.ah is not None and t.encryption is None else "ESP"] + parts)


def transform_set_lines(t: IpsecTransform, name: str | None = None) -> list[str]:
    """``crypto ipsec transform-set NAME esp-aes esp-sha-hmac`` and `` mode tunnel|transport``;
    when a part has no IOS keyword, a comment says so and the command is commented out."""
    name = name or transform_set_name(t)
    words, problems = transform_keywords(t)
    command = f"crypto ipsec transform-set {name} {' '.join(words)}".rstrip()
    lines = [f"! {p}" for p in problems]
    lines.append(command if words and not problems else f"! {command} <no IOS equivalent>")
    mode = M.ENCAPSULATION_MODES.get(t.mode) if t.mode is not None else None
    lines.append(f" mode {mode}" if mode else " ! mode: not known from this source (the IOS default is tunnel)")
    if t.mode in M.UDP_ENCAPSULATED:
        lines.append(" ! UDP-encapsulated (NAT-T): the peers detected a NAT, or one of them forces encapsulation")
    return lines


def _sa_options(t: IpsecTransform) -> list[str]:
    """``set pfs groupN`` and ``set security-association lifetime`` lines (only non-default lifetimes)."""
    lines = []
    if t.pfs_group is not None:
        lines.append(f" set pfs group{t.pfs_group}" if t.pfs_group in M.IOS_GROUPS
                     else f" ! PFS group {t.pfs_group}: no IOS keyword")
    if t.lifetime_seconds is not None and t.lifetime_seconds != M.IOS_IPSEC_LIFETIME_SECONDS:
        lines.append(f" set security-association lifetime seconds {t.lifetime_seconds}")
    if t.lifetime_kb is not None and t.lifetime_kb != M.IOS_IPSEC_LIFETIME_KILOBYTES:
        lines.append(f" set security-association lifetime kilobytes {t.lifetime_kb}")
    return lines


def _acl_entry(proxies: ProxyIds, v6: bool) -> str:
    proto = registry.IP_PROTOCOLS.get(proxies.protocol, str(proxies.protocol)).lower() if proxies.protocol else \
        ("ipv6" if v6 else "ip")
    if proxies.protocol in (6, 17):
        proto = "tcp" if proxies.protocol == 6 else "udp"

    def side(net: str, port: int) -> str:
        text = _acl_address(net, v6)
        return text + (f" eq {port}" if port else "")
    return f" permit {proto} {side(proxies.local, proxies.local_port)} {side(proxies.remote, proxies.remote_port)}"


def _acl_address(text: str, v6: bool) -> str:
    if "-" in text:
        return f"{text} ! an address range: IOS ACLs need it as subnets"
    try:
        net = ipaddress.ip_network(text, strict=False)
    except ValueError:
        return text
    if net.prefixlen == 0:
        return "any"
    if net.num_addresses == 1:
        return f"host {ios_address(str(net.network_address))}"
    if v6:
        return f"{ios_address(str(net.network_address))}/{net.prefixlen}"
    return f"{net.network_address} {net.hostmask}"


#: the names written when no log gives one (each is said to be a placeholder)
PLACEHOLDERS = {"interface": "Tunnel0", "outside": "<outside interface>", "crypto_map": "IKESCOPE-MAP",
                "ipsec_profile": "IKESCOPE-PROFILE", "acl": "IKESCOPE-ACL"}


def _pick(names: LogNames | None, what: str, placeholders: list[str], default: str | None = None) -> str:
    """The name a log gave for ``what``, else the placeholder (``default`` or :data:`PLACEHOLDERS`),
    which is added to ``placeholders``."""
    given = getattr(names, what) if names is not None else None
    if given:
        return given
    value = default or PLACEHOLDERS[what]
    if value not in placeholders:
        placeholders.append(value)
    return value


def _map_is_implied(names: LogNames | None) -> bool:
    """The log says the SAs are a crypto map's even without proxy IDs: it names a crypto map, or the
    SAs were installed on an interface that is no tunnel (``... on GigabitEthernet1``), and it names
    no tunnel interface."""
    return names is not None and names.interface is None and bool(
        names.crypto_map or (names.sa_interface and not names.sa_interface.lower().startswith("tunnel")))


def protection_lines(t: IpsecTransform, proxies: ProxyIds | None, peer: str | None, local: str | None = None,
                     ts_name: str | None = None, names: LogNames | None = None,
                     placeholders: list[str] | None = None) -> tuple[list[str], bool | None]:
    """How the transform set is applied on ``local`` toward ``peer``, and whether that is a VTI.

    ``proxies`` as ``local`` sends them (its own side first: the responder's are the initiator's
    swapped).  Any/any (``0.0.0.0/0`` or ``::/0``): a ``crypto ipsec profile`` and an ``interface
    TunnelN`` with ``tunnel protection ipsec profile``; other proxy IDs: an ACL that mirrors them
    (``permit ip <local> <remote>``), a ``crypto map`` entry and the interface it is applied to; no
    proxy IDs known: the crypto map with an ACL whose entries are a comment when the log names a
    crypto map or the outside interface the SAs were installed on (and no tunnel interface), else only
    the ``set`` lines, as a comment.  ``set isakmp-profile`` when the log names the ISAKMP profile.
    Names come from ``names`` (what the router's log called them), else are placeholders, appended to
    ``placeholders`` when given."""
    placeholders = placeholders if placeholders is not None else []
    ts_name = ts_name or transform_set_name(t)
    v6 = _is_v6(peer) or _is_v6(local) or (proxies is not None and ":" in proxies.local)
    options = _sa_options(t)
    if names is not None and names.isakmp_profile:
        options.append(f" set isakmp-profile {names.isakmp_profile}")
    if proxies is None and not _map_is_implied(names):
        return ([f"! how {ts_name} is applied (VTI or crypto map) needs the proxy IDs of Quick Mode"]
                + [f"!{line}" for line in [f" set transform-set {ts_name}"] + options]), None
    if proxies is not None and proxies.any_to_any:
        profile = _pick(names, "ipsec_profile", placeholders)
        tunnel = _pick(names, "interface", placeholders)
        lines = ["! proxy IDs any/any: a virtual tunnel interface (VTI)",
                 f"crypto ipsec profile {profile}", f" set transform-set {ts_name}"] + options
        lines += ["!", f"interface {tunnel}"]
        if local:
            lines.append(f" tunnel source {ios_address(local)}")
        lines.append(f" tunnel mode ipsec {'ipv6' if v6 else 'ipv4'}")
        if peer:
            lines.append(f" tunnel destination {ios_address(peer)}")
        lines.append(f" tunnel protection ipsec profile {profile}")
        return lines, True
    acl_name = _pick(names, "acl", placeholders)
    map_name = _pick(names, "crypto_map", placeholders)
    outside = _pick(names, "outside", placeholders)
    acl = f"ipv6 access-list {acl_name}" if v6 else f"ip access-list extended {acl_name}"
    if proxies is not None:
        lines = [f"! proxy IDs {proxies.local} -> {proxies.remote} (this router's side first): a crypto map whose "
                 "ACL permits them", acl, _acl_entry(proxies, v6)]
    else:
        said = f"names crypto map {names.crypto_map}" if names.crypto_map else \
            f"installs the SAs on {names.sa_interface}"
        lines = [f"! the log {said} (no tunnel interface): a crypto map; its ACL's entries need the "
                 "proxy IDs, not in this source", acl, f" ! permit {'ipv6' if v6 else 'ip'} <local networks> "
                 "<remote networks>"]
    lines += ["!", f"crypto map {'ipv6 ' if v6 else ''}{map_name} {(names and names.crypto_map_seq) or 10} "
                   "ipsec-isakmp"]
    if peer:
        lines.append(f" set peer {ios_address(peer)}")
    lines += [f" set transform-set {ts_name}"] + options + [f" match address {acl_name}", "!",
                                                             f"interface {outside}",
                                                             f" {'ipv6 ' if v6 else ''}crypto map {map_name}"]
    return lines, False


# --------------------------------------------------------------------------
# Putting it together

def implied_config(policies: list[IkePolicy] = (), transforms: list[IpsecTransform] = (),
                   proxies: ProxyIds | None = None, local: str | None = None, peer: str | None = None,
                   key: bool | None = None, what: str = "", label: str = "",
                   names: LogNames | None = None, aggressive: bool = False,
                   identity: tuple[int | None, str] | None = None) -> ImpliedConfig | None:
    """The IOS configuration that ``policies`` (phase 1) and ``transforms`` (phase 2) imply on
    ``local`` toward ``peer``; None when there is nothing to say.

    Policies get priorities 10, 20, ... in order unless a log named theirs.  ``key``: write the
    ``crypto isakmp key`` line (default: when a policy uses a pre-shared key and the peer is known).
    When several transforms are given (QM1 offers), each gets a transform set and the
    protection lines use all of them.  ``proxies`` as ``local`` sends them (its own side first).
    The first line is a comment saying whose configuration it is (``local``, ``label`` — the log
    that speaks for it, or its role —, ``peer``) and ``what`` it is.  ``names``: what the
    router's log calls its interface, crypto map, transform set, profiles, ACL
    (:func:`names_from_log`); what it does not name gets a placeholder, listed in a comment line
    and in ``placeholders``.  The key is a keyring entry when the log names the keyring, and the
    ISAKMP profile it names is written with it (:func:`isakmp_profile_lines`).  ``aggressive``: ``local``
    initiates Aggressive Mode, and the key is given as the :func:`aggressive_mode_lines` hint instead
    (``identity``: (ID type, identity) of its AM1 ID payload, when known).
    """
    policies, transforms = list(policies), list(transforms)
    if not policies and not transforms:
        return None
    lines: list[str] = []
    notes: list[str] = []
    placeholders: list[str] = []
    on = " ".join(x for x in (f"on {ios_address(local)}" if local else "", f"({label})" if label else "",
                               f"toward {ios_address(peer)}" if peer else "") if x)
    if on or what:
        lines.append(f"! {on}: {what}" if on and what else f"! {on or what}")
    if policies and not all(p.priority for p in policies):
        notes.append("the ISAKMP policy priority is not in this source (never on the wire): 10, 20, ... in the "
                     "order offered")
        lines.append("! policy priorities are not in this source: numbered 10, 20, ... in the order offered")
    for n, p in enumerate(policies, 1):
        lines += isakmp_policy_lines(p, p.priority or n * M.DEFAULT_POLICY_PRIORITY)
    psk = any(p.authentication in (1, 65001, 65002) for p in policies)
    if (psk if key is None else key) and peer:
        lines += _key_lines(peer, names, aggressive, identity)
    elif aggressive and peer and policies and all(p.authentication is None for p in policies):
        # the source does not say how it authenticates (strongSwan proposal lines): the hint alone
        lines += aggressive_mode_lines(peer, identity[1] if identity else None, identity[0] if identity else None)
    vti = None
    if transforms:
        names_used: list[str] = []
        for t in transforms:
            name = transform_set_name(t)
            if len(transforms) == 1:
                name = _pick(names, "transform_set", placeholders, default=name)
            if name in names_used:
                continue
            names_used.append(name)
            lines += transform_set_lines(t, name)
            notes += transform_keywords(t)[1]
        protect, vti = protection_lines(transforms[0], proxies, peer, local, " ".join(names_used), names,
                                        placeholders)
        lines += protect
    if names is not None:
        said = [f"{getattr(names, f)} ({names.sources.get(f, '?')})" for f in
                ("interface", "outside", "crypto_map", "transform_set", "isakmp_profile", "ipsec_profile", "acl",
                 "keyring", "identity")
                if getattr(names, f) and any(getattr(names, f) in line for line in lines if not line.startswith("!"))]
        if proxies is not None and proxies is names.proxies_for(peer):
            said.append(f"proxy IDs {proxies.local} -> {proxies.remote} ({names.sources.get('proxies', '?')})")
        if said:
            lines.append(f"! named as the log names them: {', '.join(said)}")
    if placeholders:
        lines.append(f"! placeholder names (no log names them): {', '.join(placeholders)}")
    return ImpliedConfig(lines, policies, transforms, local, peer, proxies, vti, notes, label, names, placeholders)


def _key_lines(peer: str, names: LogNames | None, aggressive: bool,
               identity: tuple[int | None, str] | None) -> list[str]:
    """The pre-shared key toward ``peer``: the Aggressive Mode hint, a keyring entry or ``crypto isakmp
    key``; then the ISAKMP profile the log names."""
    keyring = names.keyring if names is not None else None
    lines = keyring_lines(keyring, peer) if keyring else isakmp_key_lines(peer)
    if aggressive:
        hint = aggressive_mode_lines(peer, identity[1] if identity else None, identity[0] if identity else None)
        # a hint IOS can take carries the key itself; one that is only comments leaves the key as it is
        lines = hint if any(not line.startswith("!") for line in hint) else lines + hint
    if names is not None and names.isakmp_profile:
        lines += isakmp_profile_lines(names.isakmp_profile, keyring, names.identity)
    return lines


def combine(configs: Iterable[ImpliedConfig | None]) -> ImpliedConfig | None:
    """One message's configurations of several routers as one :class:`ImpliedConfig`: the lines of
    each, a ``!`` line between them, the data of the first, and each in ``sides``; None when none
    is left, the config itself when there is one."""
    configs = [c for c in configs if c is not None]
    if len(configs) < 2:
        return configs[0] if configs else None
    lines: list[str] = []
    for c in configs:
        lines += (["!"] if lines else []) + c.lines
    first = configs[0]
    notes = list(dict.fromkeys(n for c in configs for n in c.notes))
    return ImpliedConfig(lines, first.policies, first.transforms, first.local, first.peer, first.proxies, first.vti,
                         notes, " + ".join(c.label for c in configs if c.label), first.names,
                         list(dict.fromkeys(p for c in configs for p in c.placeholders)), configs)


def implied_config_from_events(events: Iterable[Event], local: str | None = None,
                               peer: str | None = None, names: LogNames | None = None,
                               role: str = "") -> ImpliedConfig | None:
    """The configuration a log's events imply (log-only mode), on the log's own router: the accepted
    policies and transforms (else all that were shown), the proxy IDs as it states them (its side
    first), the peer of the packet events; None when the events hold no proposal.  ``names``: what
    the whole log names (:func:`names_from_log`), else what these events' lines name.  The ``crypto
    isakmp key`` line needs the authentication method: from the policies, or from IOS's ``found peer
    pre-shared key matching …`` / ``SA is doing pre-shared key authentication`` lines (strongSwan
    proposal lines do not print it).  When these lines state no proxy IDs, those the whole log states
    for the peer are used (``names.proxies``: a pasted ``show crypto ipsec sa``).  ``role``: the
    message's role (``AM1``...); when the log's router initiated Aggressive Mode (it sent AM1 or
    received AM2), the key is the :func:`aggressive_mode_lines` hint, with the identity of the ID
    payload it sent in AM1."""
    events = list(events)
    policies = policies_from_events(events)
    transforms = transforms_from_events(events)
    chosen_p = [p for p in policies if p.chosen] or policies
    chosen_t = [t for t in transforms if t.chosen] or transforms
    proxies = proxies_from_events(events)
    if peer is None:  # a packet's peer, else the peer of an SA a show command or an IKE state names
        peer = next((e.peer for e in events if e.kind == "packet" and e.peer), None) or \
            next((e.peer for e in events if e.kind in ("sa_status", "state") and e.peer), None)
    if local is None:
        local = next((e.local for e in events if e.local and e.local != peer), None)
    what = "as this log's router accepted it" if any(p.chosen for p in policies) or any(t.chosen for t in transforms) \
        else "as proposed in this log"
    psk = any(e.detail.get("authentication") == "pre-share" for e in events if e.kind == "info")
    if names is None and (chosen_p or chosen_t):
        names = names_from_log(events, peer=peer)
    if proxies is None and names is not None and chosen_t:
        proxies = names.proxies_for(peer)
    label = events[0].record.file if events else ""
    device = ios_equivalent({e.record.family for e in events})
    label = f"{label}, {device}" if label and device else label or device
    aggressive, identity = _aggressive_initiator(events, role)
    return implied_config(chosen_p, chosen_t, proxies, local, peer, key=True if psk else None, what=what,
                          label=label, names=names, aggressive=aggressive, identity=identity)


def _aggressive_initiator(events: list[Event], role: str) -> tuple[bool, tuple[int | None, str] | None]:
    """Whether the log's router is the Aggressive Mode initiator of the message ``role`` (it sent AM1
    or received AM2), and (ID type, identity) of the ID payload it sent (AM1 only)."""
    want = {"AM1": "out", "AM2": "in"}.get(role.rstrip("?"))
    if want is None or not any(e.kind == "packet" and e.direction == want for e in events):
        return False, None
    if want == "in":
        return True, None
    for e in events:
        d = e.detail
        if e.kind == "payload" and d.get("payload") == "ID":
            value = next((str(d[k]) for k in _ID_KEYS if d.get(k)), None)
            if value:
                return True, (d.get("id_type") if isinstance(d.get("id_type"), int) else None, value)
    return True, None
