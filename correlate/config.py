"""The configuration a negotiation implies, in Cisco IOS syntax.

What was offered and chosen is plain data first (:mod:`correlate.policy`: :class:`~correlate.policy.IkePolicy`,
:class:`~correlate.policy.IpsecTransform`, :class:`~correlate.policy.ProxyIds`, read from the wire's SA and
ID payloads or from log events), and what a router's log names is read by :mod:`correlate.lognames`.

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
router's own log when it gives them (:func:`correlate.lognames.names_from_log`: ``Interface Tunnel23``, ``Map found
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
from dataclasses import dataclass, field
from typing import Any, Iterable

from dissect import registry

from . import meanings as M
from .lognames import ID_KEYS, LogNames, names_from_log
from .model import Event
from .policy import (IkePolicy, IpsecTransform, ProxyIds, policies_from_events, proxies_from_events,
                     transforms_from_events, value_name)

__all__ = ["ImpliedConfig", "RouterView", "transform_keywords", "isakmp_policy_lines", "isakmp_key_lines",
           "keyring_lines", "isakmp_profile_lines", "aggressive_mode_lines", "transform_set_lines",
           "transform_set_name", "protection_lines", "implied_config", "implied_config_from_events", "ios_address",
           "ios_equivalent", "combine"]


# --------------------------------------------------------------------------
# The data

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
    return f" ! {what}: {value_name(spec, value)} ({value}) has no IOS keyword"


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
            problems.append(f"ESP integrity {value_name(registry.IPSEC_ATTRIBUTES[5], t.integrity)} has no IOS keyword")
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


@functools.lru_cache(maxsize=4096)  # (the same few traffic selectors in every exchange of a capture)
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
            value = next((str(d[k]) for k in ID_KEYS if d.get(k)), None)
            if value:
                return True, (d.get("id_type") if isinstance(d.get("id_type"), int) else None, value)
    return True, None
