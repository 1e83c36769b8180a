"""What an IKE negotiation offered and chose, as plain data (IANA numbers), whatever it was read from.

* the SA payloads on the wire (:func:`policy_of`, :func:`ipsec_of`; RFC 2409 App. A phase 1
  attributes, RFC 2407 §4.4-4.5 IPsec DOI attributes) and the ID payloads of a Quick Mode
  (:func:`proxies_of`);
* or log events (:func:`policies_from_events`, :func:`transforms_from_events`,
  :func:`proxies_from_events`): IOS ``debug crypto isakmp`` attribute lines (``encryption AES-CBC``,
  ``keylength of 128``, ``SA life duration (VPI) of 0x0 0x46 0x50 0x0``, ``atts are acceptable``),
  strongSwan proposal lines (``selected proposal: IKE:AES_CBC_128/HMAC_SHA1_96/PRF_HMAC_SHA1/MODP_1024``),
  libreswan's accepted policy (:func:`libreswan_policies`) and the transform text of
  ``IPSEC(create_sa)`` / ``show crypto ipsec sa`` (``esp-aes esp-sha-hmac``).

:class:`IkePolicy` (one phase 1 transform), :class:`IpsecTransform` (one transform set) and
:class:`ProxyIds` (a Quick Mode's traffic selectors) are what :mod:`correlate.config` writes IOS lines
from, what :mod:`correlate.match` compares a log's accepted policy with the wire's by, and what the
explanations show.  Units: lifetimes in seconds and kilobytes; key lengths in bits; SPIs as ints.
"""
from __future__ import annotations

import functools
import ipaddress
import re
from dataclasses import dataclass, fields
from typing import Any, Iterable

from dissect import registry
from dissect.payloads import IdPayload, Proposal, Transform

from . import meanings as M
from .model import Event

__all__ = ["IkePolicy", "IpsecTransform", "ProxyIds", "policy_of", "ipsec_of", "proxies_of", "policies_from_events",
           "transforms_from_events", "proxies_from_events", "transform_from_ios_text", "libreswan_policies",
           "plain_dict", "source_of", "value_name"]

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
        d = plain_dict(self)
        d["names"] = {"encryption": value_name(registry.IKE_ATTRIBUTES[1], self.encryption),
                      "hash": value_name(registry.IKE_ATTRIBUTES[2], self.hash),
                      "authentication": value_name(registry.IKE_ATTRIBUTES[3], self.authentication),
                      "group": value_name(registry.IKE_ATTRIBUTES[4], self.group)}
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
        from .config import transform_keywords  # (the IOS words for it: config writes IOS, and reads this module)
        d = plain_dict(self)
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
        return {**plain_dict(self), "any_to_any": self.any_to_any}


def plain_dict(obj) -> dict[str, Any]:
    """``dataclasses.asdict`` for the flat dataclasses of this module (fields of numbers, strings and
    None), without its deep copy of every value: it runs for every message of a capture."""
    return {name: getattr(obj, name) for name in _field_names(type(obj))}


@functools.cache
def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in fields(cls))


def value_name(spec, value: int | None) -> str | None:
    """The name a registry attribute spec gives ``value`` (``#N`` for an unknown one), or None."""
    if value is None:
        return None
    return spec.values.get(value, f"#{value}") if spec.values else str(value)


@functools.lru_cache(maxsize=4096)  # (the same few traffic selectors in every exchange of a capture)
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


def source_of(e: Event) -> str:
    """``file:line`` of the record an event comes from."""
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
    p = IkePolicy(source=source_of(evs[0]))
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
    t = IpsecTransform(source=source_of(evs[0]))
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
                             chosen=e.detail.get("role") == "selected", source=source_of(e)))
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
                                  pfs_group=group, chosen=e.detail.get("role") == "selected", source=source_of(e)))
    if not out:
        for e in events:
            text = e.detail.get("transform") if e.kind in ("sa_created", "sa_status") else None
            if isinstance(text, str) and text.lower().startswith(("esp-", "ah-")):
                t = transform_from_ios_text(text, e.detail.get("mode"))
                t.chosen, t.source = True, source_of(e)
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


