"""What one IKEv1 message carries and decides, said as a TAC engineer would.

Two sources, one result (:class:`Explanation`: a headline, lines of text, structured facts for
JSON, and the configuration the message implies, :mod:`correlate.config`):

* a packet (:func:`explain_packet`, or :class:`Explainer` for a whole capture in order): the
  proposals offered (each transform's encryption, hash, authentication, group, lifetime), the
  policy chosen (MM2/AM2), the KE group and size, nonce length, NAT-D (hashes compared with the
  addresses and ports seen, RFC 3947 §3.2), vendor IDs by capability, identities, HASH verdicts
  (when keys decrypted the message: :mod:`dissect.decrypt`), proxy IDs, transforms, SPIs,
  lifetimes, PFS group, notifies with their meaning, deletes.  Without keys an encrypted message
  gets its role, size and what it normally carries (:data:`correlate.meanings.ROLE_MEANINGS`).
* log events of one message (:func:`explain_events`, log-only mode): IOS/IOS-XE, ASA and
  strongSwan events (:mod:`correlate.model`): the role from the states the log names, the
  proposal attributes checked and whether they were acceptable, vendor IDs, notifies, errors,
  SAs created with their SPIs, deletes.

The words come from tables (:mod:`correlate.meanings`, :mod:`dissect.registry`); the code only
looks values up.  Nothing here raises on odd input: what cannot be read is said as such.
"""
from __future__ import annotations

import functools
import ipaddress
import re
import struct
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Sequence

from dissect import dhgroups, keyschedule, registry
from dissect.model import Packet, endpoint_text
from dissect.payloads import ConfigPayload, DeletePayload, IdPayload, NotifyPayload, SaPayload, VendorIdPayload
from dissect.verdict import NOT_DECRYPTED as NOT_DECRYPTED_NOTE

from . import config as C
from . import lognames as N
from . import policy as P
from . import meanings as M
from .model import Event

__all__ = ["Explanation", "Explainer", "SaContext", "explain_packet", "explain_events", "role_of_events",
           "describe_policy", "describe_ipsec"]


#: IKE SAs whose context an :class:`Explainer` keeps (the least recently used are forgotten)
MAX_CONTEXTS = 100_000
#: Quick Modes remembered per IKE SA
MAX_QUICK_MODES = 256


@dataclass
class Explanation:
    """The explanation of one message.

    ``role`` (MM1 … QM3, INFO, TRANSACTION, or "" when a log does not say), ``headline`` one
    line, ``lines`` the points in order, ``facts`` the same as data (JSON-ready), ``config`` the
    configuration it implies or None, ``frame`` the capture frame (None in log-only mode),
    ``source`` "capture" or "log".
    """
    role: str
    headline: str
    lines: list[str] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)
    config: C.ImpliedConfig | None = None
    frame: int | None = None
    source: str = "capture"

    def to_dict(self) -> dict[str, Any]:
        return {"role": self.role, "headline": self.headline, "lines": self.lines, "facts": self.facts,
                "config": self.config.to_dict() if self.config else None, "frame": self.frame,
                "source": self.source}

    def text(self) -> list[str]:
        """The explanation as text lines: the headline, the points, then the implied configuration."""
        out = [self.headline] + [f"      {line.strip()}" if line.startswith("  ") else f"  - {line}"
                                 for line in self.lines]
        if self.config is not None:
            out.append("  implied configuration:")
            out += [f"    {line}" for line in self.config.lines]
        return out


# --------------------------------------------------------------------------
# Words for algorithms

def _value_name(spec, value: int | None) -> str:
    if value is None:
        return "?"
    return spec.values.get(value, f"#{value}") if spec.values else str(value)


def describe_policy(p: P.IkePolicy) -> str:
    """``AES-CBC-128, hash SHA, Pre-shared key, DH group 2 (Alternate 1024-bit MODP group), lifetime 86400 s``"""
    a = registry.IKE_ATTRIBUTES
    enc = _value_name(a[1], p.encryption) + (f"-{p.key_length}" if p.key_length else "")
    parts = [enc, f"hash {_value_name(a[2], p.hash)}"]
    if p.authentication is not None:
        parts.append(_value_name(a[3], p.authentication))
    if p.group is not None:
        parts.append(f"DH group {p.group} ({_value_name(a[4], p.group)})")
    if p.lifetime is not None:
        parts.append(f"lifetime {p.lifetime} s")
    if p.lifetime_kb is not None:
        parts.append(f"{p.lifetime_kb} KB")
    return ", ".join(parts)


def describe_ipsec(t: P.IpsecTransform) -> str:
    """``ESP AES-128 with HMAC-SHA, Tunnel, PFS group 14, lifetime 3600 s / 4608000 KB``"""
    parts = []
    if t.ah is not None:
        parts.append(f"AH {registry.TRANSFORM_IDS[2].get(t.ah, '#' + str(t.ah))}")
    if t.encryption is not None:
        enc = registry.TRANSFORM_IDS[3].get(t.encryption, f"#{t.encryption}")
        parts.append(f"ESP {enc}" + (f"-{t.key_length}" if t.key_length else "")
                     + (f" with {_value_name(registry.IPSEC_ATTRIBUTES[5], t.integrity)}" if t.integrity else ""))
    if t.mode is not None:
        parts.append(_value_name(registry.IPSEC_ATTRIBUTES[4], t.mode))
    parts.append(f"PFS group {t.pfs_group}" if t.pfs_group is not None else "no PFS")
    lives = [f"{t.lifetime_seconds} s" if t.lifetime_seconds is not None else "",
             f"{t.lifetime_kb} KB" if t.lifetime_kb is not None else ""]
    if any(lives):
        parts.append("lifetime " + " / ".join(x for x in lives if x))
    return ", ".join(parts)


# --------------------------------------------------------------------------
# What a capture taught so far about one IKE SA

@dataclass
class QuickModeContext:
    """One Quick Mode (by message ID): what QM1 offered and QM2 chose."""
    offered: list[P.IpsecTransform] = field(default_factory=list)
    chosen: list[P.IpsecTransform] = field(default_factory=list)
    proxies: P.ProxyIds | None = None
    initiator: str | None = None
    offered_frame: int | None = None
    chosen_frame: int | None = None


@dataclass
class SaContext:
    """What earlier messages of one IKE SA said: the phase 1 offer and choice, the Quick Modes."""
    offered: list[P.IkePolicy] = field(default_factory=list)
    chosen: P.IkePolicy | None = None
    offered_frame: int | None = None
    chosen_frame: int | None = None
    quick_modes: OrderedDict = field(default_factory=OrderedDict)
    phase1_roles: set = field(default_factory=set)

    def quick_mode(self, message_id: int) -> QuickModeContext:
        qm = self.quick_modes.get(message_id)
        if qm is None:
            qm = self.quick_modes[message_id] = QuickModeContext()
            if len(self.quick_modes) > MAX_QUICK_MODES:
                self.quick_modes.popitem(last=False)
        return qm

    def learn(self, pkt: Packet) -> None:
        """Remember what this message offered or chose (call after explaining it)."""
        msg = pkt.isakmp
        if msg is None or msg.header is None or msg.retransmission_of is not None:
            return
        role = msg.role.rstrip("?")
        if msg.header.exchange_type in (2, 4):
            self.phase1_roles.add(role)
        sa = next((p for p in msg.payloads if isinstance(p, SaPayload)), None)
        if sa is None:
            return
        where = f"frame {pkt.frame} ({role})"
        if role in ("MM1", "AM1"):
            self.offered = [P.policy_of(t, source=where) for p in sa.proposals for t in p.transforms]
            self.offered_frame = pkt.frame
        elif role in ("MM2", "AM2"):
            ts = [t for p in sa.proposals for t in p.transforms]
            if ts:
                self.chosen = P.policy_of(ts[0], chosen=True, source=where)
                self.chosen_frame = pkt.frame
        elif role in ("QM1", "QM2"):
            qm = self.quick_mode(msg.header.message_id)
            if role == "QM1":
                qm.offered = P.ipsec_of(sa.proposals, source=where)
                qm.offered_frame, qm.initiator = pkt.frame, pkt.datagram.src
                qm.proxies = P.proxies_of(msg.payloads) or qm.proxies
            else:
                qm.chosen = P.ipsec_of(sa.proposals, chosen=True, source=where)
                qm.chosen_frame = pkt.frame
                qm.initiator = qm.initiator or pkt.datagram.dst
                qm.proxies = qm.proxies or P.proxies_of(msg.payloads)


class Explainer:
    """Explains the packets of one capture, in capture order, remembering per IKE SA what earlier
    messages offered and chose (QM2 is compared with QM1, NAT-D needs MM2's hash).

    ``states``: the decryptor's states by initiator cookie (``Dissector.decryptor.states``),
    read when a message is explained: with them, MM5/MM6/AM messages carry the IKE SA's key
    verdict (after ``Dissector.packets()`` has been consumed, the verdict is final).
    ``perspective``: whose configuration is shown — an address, or the routers that logs speak for
    (:class:`config.RouterView`, see :meth:`for_logs`); None: each exchange's initiator (see
    :func:`explain_packet`).
    """

    def __init__(self, states: Mapping[bytes, Any] | None = None,
                 perspective: str | Sequence[C.RouterView] | None = None):
        self.states = states or {}
        self.perspective = perspective
        self.contexts: OrderedDict[tuple[int, bytes], SaContext] = OrderedDict()

    @classmethod
    def for_logs(cls, states: Mapping[bytes, Any] | None, clocks: Sequence[Any], logs: Sequence[Any]) -> "Explainer":
        """An Explainer that shows, per message, the configuration of each router a log speaks for.

        ``clocks``: :class:`correlate.align.LogClock` per log (``name``, ``address`` — the capture
        endpoint it speaks for, or None —, ``peers``); ``logs``: the :class:`correlate.model.LogResult`
        of each, in the same order, whose events and records give the names of its interface, crypto
        map, transform set and profiles (:func:`lognames.names_from_log`).  The first log of an
        address is the one used."""
        routers: dict[str, C.RouterView] = {}
        for clock, log in zip(clocks, logs):
            if clock.address is None or clock.address in routers or getattr(clock, "foreign", ""):
                continue  # (a log taken for another session's names another router's things)
            peer = clock.peers[0] if getattr(clock, "peers", None) else None
            routers[clock.address] = C.RouterView(clock.address, clock.name,
                                                  N.names_from_log(log.events, log.records, peer),
                                                  C.ios_equivalent(log.families))
        return cls(states, list(routers.values()))

    def explain(self, pkt: Packet, log: Sequence[Event] = ()) -> Explanation:
        """The explanation of ``pkt``, the next packet of the capture; ``log``: the log events placed on
        it (:attr:`correlate.align.Alignment.attached`), which say what an encrypted message carries
        when the keys are not there (:func:`explain_packet`)."""
        msg = pkt.isakmp
        ctx = None
        if msg is not None and msg.header is not None:
            key = (msg.header.major, msg.header.icookie)
            ctx = self.contexts.get(key)
            if ctx is None:
                ctx = self.contexts[key] = SaContext()
                if len(self.contexts) > MAX_CONTEXTS:
                    self.contexts.popitem(last=False)
            else:
                self.contexts.move_to_end(key)
        state = self.states.get(msg.header.icookie) if msg is not None and msg.header is not None else None
        exp = explain_packet(pkt, ctx, state, self.perspective, log)
        if ctx is not None:
            ctx.learn(pkt)
        return exp


# --------------------------------------------------------------------------
# A packet

def explain_packet(pkt: Packet, ctx: SaContext | None = None, state: Any = None,
                   perspective: str | Sequence[C.RouterView] | None = None,
                   log: Sequence[Event] = ()) -> Explanation:
    """The explanation of one packet.

    ``ctx``: what earlier messages of its IKE SA said (:class:`SaContext`; without it, QM2 is not
    compared with QM1 and NAT-D hashes cannot be checked); ``state``: the decryptor's
    :class:`~dissect.decrypt.SaState` of its IKE SA (for the key verdict), or None;
    ``perspective``: whose configuration to show — an address, or the routers logs speak for
    (:class:`config.RouterView`).  An offer (MM1/AM1, QM1) is its sender's configuration and is
    shown for it; a choice (MM2/AM2, QM2) is shown for each router of ``perspective`` that is an
    endpoint of the packet, initiator first, each with its own key line, mirrored ACL and the names
    its log gives; when none is, or ``perspective`` is None, for the exchange's initiator.  Each is
    labelled (its log, its role).  ``log``: the log events of the lines that sent or processed the
    packet; for an encrypted message that was not decrypted, what their payload and notify lines say
    it carries is added, marked "from the log" (:func:`_log_view`), with what they say was negotiated
    (:func:`_negotiated`) and the configuration that implies per router (:func:`_config_from_logs`).
    """
    if pkt.isakmp is None:
        return _not_ike(pkt)
    msg = pkt.isakmp
    if msg.header is None:
        return Explanation("MALFORMED", "Malformed ISAKMP message",
                           [n.message for n in msg.notes] or ["no ISAKMP header"], {"malformed": True},
                           frame=pkt.frame)
    if msg.header.major != 1:
        return Explanation(msg.role, f"IKEv2 {msg.role}: ikescope explains IKEv1 messages only",
                           [f"payloads: {', '.join(msg.payload_types) or 'none'}"], {"ike_version": 2},
                           frame=pkt.frame)
    ctx = ctx or SaContext()
    role = msg.role.rstrip("?")
    meaning = M.ROLE_MEANINGS.get(role)
    headline = f"{msg.role}: {meaning.headline}" if meaning else f"{msg.role or 'ISAKMP'}: " \
        f"{registry.EXCHANGE_TYPES.get(msg.header.exchange_type, 'exchange ' + str(msg.header.exchange_type))}"
    if msg.role.endswith("?"):
        headline += " (the initiator is guessed: the capture starts after the first messages)"
    exp = Explanation(msg.role, headline, frame=pkt.frame)
    d = pkt.datagram
    from_initiator = pkt.sa is None or d.src == pkt.sa.initiator
    exp.facts.update({"exchange": registry.EXCHANGE_SHORT.get(msg.header.exchange_type, ""),
                      "message_id": msg.header.message_id, "from_initiator": from_initiator,
                      "length": msg.header.length})
    if msg.retransmission_of is not None:
        exp.lines.append(f"retransmission of frame {msg.retransmission_of}: the sender had no answer in time "
                         "(its first copy or the answer was lost, or the peer could not process it)")
        exp.facts["retransmission_of"] = msg.retransmission_of
    if msg.encrypted and not msg.decrypted:
        _encrypted(exp, msg, meaning, log)
        if any(e.kind == "proposal" for e in log):  # what its lines say was negotiated, the configuration implied
            _negotiated(exp, log, "from the log: ")
            exp.config = _config_from_logs(log, role, perspective)
        if role == "INFO" and "MM5" in ctx.phase1_roles and "MM6" not in ctx.phase1_roles:
            exp.lines.append("an encrypted Informational answers MM5 where MM6 should be: typically the responder's "
                             "error notify (PAYLOAD-MALFORMED or INVALID-HASH-INFORMATION) because MM5 does not "
                             "decrypt or verify with its keys: suspect a pre-shared key mismatch")
            exp.facts["answers_mm5_without_mm6"] = True
        _verdict(exp, role, state)
        return exp
    quick = msg.header.exchange_type == 32
    shorts = [p.short for p in msg.payloads]
    for p, short in zip(msg.payloads, shorts):
        if short == "NAT-D" or isinstance(p, VendorIdPayload) or (quick and isinstance(p, IdPayload)):
            continue  # said once for the whole message, below
        try:
            _payload(exp, p, short, role, ctx, from_initiator)
        except Exception as err:  # noqa: BLE001 - a payload with unforeseen values costs its own line only
            exp.lines.append(f"({short} at offset {p.offset}: not explained, {type(err).__name__})")
    if role in ("QM1", "QM2"):
        _proxy_ids(exp, msg.payloads)
    _vids(exp, [p for p in msg.payloads if isinstance(p, VendorIdPayload)])
    nat_d = [p.body for p, short in zip(msg.payloads, shorts) if short == "NAT-D"]
    if nat_d:
        _nat_d(exp, pkt, nat_d, ctx)
    if msg.decrypted:
        exp.facts["decrypted"] = True
    if msg.hash_check:
        _hash_check(exp, msg.hash_check, msg.encrypted)
    _verdict(exp, role, state)
    if role == "QM3":
        _qm3(exp, ctx.quick_modes.get(msg.header.message_id))
    elif meaning and meaning.decides:
        exp.lines.append(f"decides: {meaning.decides}")
    exp.config = _config(pkt, role, ctx, perspective)
    return exp


def _not_ike(pkt: Packet) -> Explanation:
    if pkt.esp is not None:
        e = pkt.esp
        return Explanation("ESP", f"ESP packet, SPI 0x{e.spi:08x}",
                           [f"IPsec traffic for the SA whose inbound SPI at {pkt.datagram.dst} is 0x{e.spi:08x}"
                            + (" (UDP-encapsulated: NAT-T)" if e.udp_encap else "")],
                           {"spi": e.spi, "udp_encap": e.udp_encap}, frame=pkt.frame)
    if pkt.icmp is not None:
        return Explanation("ICMP-error", "ICMP error about an IKE/ESP packet", [pkt.icmp.summary()],
                           frame=pkt.frame)
    return Explanation("NAT-keepalive", "NAT keepalive (RFC 3948)",
                       ["one byte 0xFF on UDP 4500: keeps a NAT mapping open"], frame=pkt.frame)


def _encrypted(exp: Explanation, msg, meaning: M.RoleMeaning | None, log: Sequence[Event] = ()) -> None:
    size = msg.encrypted_length
    first = registry.PAYLOAD_TYPES_V1.get(msg.header.next_payload)
    first = first[0] if first else f"#{msg.header.next_payload}"
    said = _log_view(log)
    exp.lines.append(f"encrypted: {size} bytes, first payload {first}; without the keys "
                     + ("the capture shows only its size and role; its log lines say:" if said else
                        "only its size and role can be seen"))
    if said:
        exp.lines.extend(line for line, _refs in said)
        exp.facts["from_log"] = [{"text": line, "log": refs} for line, refs in said]
    listed = any(e.kind == "payload" and e.payloads and (e.exchange or e.detail.get("action")) for e in log)
    if meaning and not listed:  # (a notify line alone does not list the rest)
        exp.lines.append(f"normally carries {meaning.carries}")
    if any(NOT_DECRYPTED_NOTE in n.message for n in msg.notes):
        exp.lines.append("the keys given do not decrypt it: its sender used other keys (in phase 1: a different "
                         "pre-shared key on the two peers, or another DH secret)")
        exp.facts["decrypts"] = False
    exp.facts.update({"encrypted": True, "encrypted_length": size})


#: a notify in a strongSwan payload list: ``N(DPD)``, ``N(DPD_ACK)``, ``N(INITIAL_CONTACT)``
_LISTED_NOTIFY = re.compile(r"\bN\((\w+)\)")


def _log_view(events: Sequence[Event]) -> list[tuple[str, list[str]]]:
    """What the log lines of a message say it carries, as (line, its log lines "file:line") pairs, each
    line marked "from the log": charon's ``generating``/``parsed`` payload lists (the notifies in them
    with their meaning: ``N(DPD)`` is an R-U-THERE, RFC 3706), IOS's and ASA's per-payload
    ``processing``/``constructing`` lines, and the notify lines; [] when none says (packet and state
    lines say nothing of the content)."""
    out: list[tuple[str, list[str]]] = []
    per_action: dict[str, tuple[list[str], list[str]]] = {}
    for e in events:
        d = e.detail
        if e.kind == "payload" and e.payloads and e.exchange:  # strongSwan: the whole list at once
            kind = "request" if d.get("request") else "response"
            text = f"{'generated' if e.direction == 'out' else 'parsed'} {e.exchange} {kind}: {' '.join(e.payloads)}"
            notes = [f"{n} = {M.notify_name(n)}" + (f", {m}" if (m := M.notify_meaning(M.notify_name(n), False))
                                                   else "")
                     for n in dict.fromkeys(_LISTED_NOTIFY.findall(" ".join(e.payloads)))]
            out.append((f"from the log: {text}" + (f" ({'; '.join(notes)})" if notes else ""), [_where(e)]))
        elif e.kind == "payload" and e.payloads and d.get("action"):  # IOS: one line per payload
            names, refs = per_action.setdefault(str(d["action"]), ([], []))
            names.extend(x for x in e.payloads if x not in names)
            refs.append(_where(e))
        elif e.kind == "notify" or (e.kind == "error" and "notify" in d):
            view = Explanation("", "")
            _log_notify(view, e)
            out.extend((f"from the log: {line}", [_where(e)]) for line in view.lines)
    for action, (names, refs) in per_action.items():
        verb = "processed" if action == "processing" else "built"
        out.append((f"from the log: payloads {verb}: {', '.join(names)}", refs))
    seen: set[str] = set()
    return [(t.replace("from the log:", f"from the log ({_short_refs(r)}):", 1), r) for t, r in out
            if not (t in seen or seen.add(t))]


def _short_refs(refs: list[str]) -> str:
    """``left.log:3049`` for ``captures/x/left.log:3049``; a run of one file's lines as ``f:10, 12``."""
    first = refs[0].rsplit(":", 1)
    name = first[0].replace("\\", "/").rsplit("/", 1)[-1]
    lines = [r.rsplit(":", 1)[1] for r in refs if r.rsplit(":", 1)[0] == first[0]]
    return f"{name}:{', '.join(lines[:3])}" + (" ..." if len(lines) > 3 or len(lines) != len(refs) else "")


def _payload(exp: Explanation, p, short: str, role: str, ctx: SaContext, from_initiator: bool) -> None:
    """One payload's lines and facts, by the handler of its type (``short``, :data:`PAYLOAD_HANDLERS`)."""
    handler = PAYLOAD_HANDLERS.get(short)
    if handler is not None:
        handler(exp, p, role, ctx, from_initiator)
    exp.lines += [f"{short}: {n.message}" for n in p.notes if n.severity == "error"]


def _nonce(exp: Explanation, p, role: str, ctx: SaContext, from_initiator: bool) -> None:
    exp.lines.append(f"nonce {'Ni' if from_initiator else 'Nr'}: {len(p.body)} bytes")
    exp.facts["nonce_length"] = len(p.body)


def _hash_payload(exp: Explanation, p, role: str, ctx: SaContext, from_initiator: bool) -> None:
    exp.facts.setdefault("hash_length", len(p.body))


def _opaque(exp: Explanation, p, role: str, ctx: SaContext, from_initiator: bool) -> None:
    """CERT, CR, SIG, Cisco fragments, NAT-OA: their name and summary."""
    what = M.PAYLOAD_NOTES.get(p.short, f"{len(p.body)} bytes")
    exp.lines.append(f"{p.name}" + (f" {p.summary()}" if p.summary() else "") + f": {what}")


def _sa(exp: Explanation, p: SaPayload, role: str, ctx: SaContext, from_initiator: bool) -> None:
    phase1 = any(q.protocol_id == 1 for q in p.proposals)
    transforms = [t for q in p.proposals for t in q.transforms]
    if phase1:
        policies = [P.policy_of(t) for t in transforms]
        exp.facts["proposals"] = [pol.to_dict() for pol in policies]
        if role in ("MM2", "AM2") and policies:
            exp.lines.append(f"chosen policy: {describe_policy(policies[0])}")
            match = _offered_number(policies[0], ctx.offered)
            if match:
                exp.lines.append(f"that is transform {match} of the {len(ctx.offered)} offered in frame "
                                 f"{ctx.offered_frame}")
            if len(policies) > 1:
                exp.lines.append(f"{len(policies)} transforms in a reply: a responder must choose exactly one")
            return
        n_prop = len(p.proposals)
        exp.lines.append(f"offers {n_prop} proposal{'s' if n_prop != 1 else ''} with {len(transforms)} "
                         f"transform{'s' if len(transforms) != 1 else ''}:")
        exp.lines += [f"  transform {t.number}: {describe_policy(pol)}" for t, pol in zip(transforms, policies)]
        return
    ipsec = P.ipsec_of(p.proposals)
    exp.facts["ipsec_proposals"] = [t.to_dict() for t in ipsec]
    spis = sorted({f"0x{int.from_bytes(q.spi, 'big'):08x}" for q in p.proposals if q.spi})
    if role == "QM2":
        qm = ctx.quick_modes.get(exp.facts.get("message_id"))
        for t in ipsec:
            exp.lines.append(f"chosen IPsec proposal: {describe_ipsec(t)}")
            if qm is not None and qm.offered:
                exp.lines.append(_compared_with_offer(t, qm))
        exp.lines += [f"SPI {s}: the responder's inbound SA (the initiator sends ESP with it)" for s in spis]
    else:
        exp.lines.append(f"offers {len(ipsec)} IPsec transform{'s' if len(ipsec) != 1 else ''}:")
        exp.lines += [f"  {describe_ipsec(t)}" for t in ipsec]
        exp.lines += [f"SPI {s}: the initiator's inbound SA (the responder sends ESP with it)" for s in spis]
    exp.facts["spis"] = spis
    pfs = sorted({t.pfs_group for t in ipsec if t.pfs_group is not None})
    exp.facts["pfs_group"] = pfs[0] if len(pfs) == 1 else pfs or None


def _compared_with_offer(chosen: P.IpsecTransform, qm: QuickModeContext) -> str:
    """Which offered transform QM2 took (by algorithms and mode), and a PFS or lifetime that differs."""
    keys = ("encryption", "key_length", "integrity", "ah", "mode")
    n = next((i for i, o in enumerate(qm.offered, 1) if all(getattr(o, k) == getattr(chosen, k) for k in keys)), None)
    if n is None:
        return (f"it is none of the {len(qm.offered)} transforms offered in frame {qm.offered_frame}: "
                "the responder answered with something not offered")
    offer = qm.offered[n - 1]
    text = f"that is transform {n} of the {len(qm.offered)} offered in frame {qm.offered_frame}"
    if offer.pfs_group != chosen.pfs_group:
        text += f"; PFS differs: offered {offer.pfs_group or 'none'}, chosen {chosen.pfs_group or 'none'}"
    if offer.lifetime_seconds != chosen.lifetime_seconds and chosen.lifetime_seconds is not None:
        text += (f"; lifetime {chosen.lifetime_seconds} s instead of the {offer.lifetime_seconds} s offered "
                 "(the responder's shorter lifetime)")
    return text


def _offered_number(chosen: P.IkePolicy, offered: list[P.IkePolicy]) -> int | None:
    keys = ("encryption", "key_length", "hash", "authentication", "group")
    for n, o in enumerate(offered, 1):
        if all(getattr(o, k) == getattr(chosen, k) for k in keys):
            return n
    return None


def _ke(exp: Explanation, p, role: str, ctx: SaContext, from_initiator: bool) -> None:
    size = len(p.body)
    exp.facts["ke_length"] = size
    group = None
    if role.startswith("QM"):
        group = exp.facts.get("pfs_group")
        what = "KE for PFS"
    else:
        policy = _phase1_policy(exp, ctx)
        group = policy.group if policy else None
        what = "KE (Diffie-Hellman public value)"
    if group is None:
        exp.lines.append(f"{what}: {size} bytes")
        return
    exp.facts["ke_group"] = group
    try:
        expected = dhgroups.group(group).ke_length
    except dhgroups.DhError:
        expected = None
    fit = "" if expected is None else (" (as the group requires)" if expected == size
                                        else f" (group {group} needs {expected}: a malformed or mismatched KE)")
    exp.lines.append(f"{what}: {size} bytes of DH group {group} "
                     f"({_value_name(registry.IKE_ATTRIBUTES[4], group)}){fit}")


def _phase1_policy(exp: Explanation, ctx: SaContext) -> P.IkePolicy | None:
    """The IKE SA's policy as far as known: chosen in MM2/AM2 (this message's own SA payload when it
    is the one choosing), else the only one offered, else None."""
    if ctx.chosen is not None:
        return ctx.chosen
    here = exp.facts.get("proposals") or []
    offered = [P.IkePolicy(**{k: v for k, v in p.items() if k != "names"}) for p in here] or ctx.offered
    if len(offered) == 1 or (offered and exp.role.rstrip("?") in ("MM2", "AM2")):
        return offered[0]
    return None


@functools.lru_cache(maxsize=4096)
def _address_bytes(addr: str) -> bytes:
    """An address in network order (4 or 16 bytes); raises ValueError for text that is none."""
    return ipaddress.ip_address(addr).packed


def _nat_hash(hash_id: int, icookie: bytes, rcookie: bytes, addr: str, port: int | None) -> bytes | None:
    """HASH(CKY-I | CKY-R | IP | Port) with the negotiated hash (RFC 3947 §3.2)."""
    try:
        return keyschedule.hash_(hash_id, icookie + rcookie + _address_bytes(addr) + struct.pack(">H", port or 0))
    except (keyschedule.KeyScheduleError, ValueError):
        return None


def _nat_d(exp: Explanation, pkt: Packet, hashes: list[bytes], ctx: SaContext) -> None:
    """Compare the NAT-D hashes with the addresses and ports the capture saw (RFC 3947 §3.2: the
    first hash is of the destination, as the sender sees it; the others of its own addresses)."""
    h = pkt.isakmp.header
    d = pkt.datagram
    policy = _phase1_policy(exp, ctx)
    facts: dict[str, Any] = {"hashes": len(hashes)}
    exp.facts["nat"] = facts
    if policy is None or policy.hash is None:
        exp.lines.append(f"NAT-D: {len(hashes)} hashes; comparing them with the addresses needs the negotiated "
                         "hash algorithm, which MM2/AM2 gives (not in this capture)")
        return
    dst = _nat_hash(policy.hash, h.icookie, h.rcookie, d.dst, d.dport)
    src = _nat_hash(policy.hash, h.icookie, h.rcookie, d.src, d.sport)
    if dst is None or src is None:
        exp.lines.append(f"NAT-D: {len(hashes)} hashes; hash algorithm {policy.hash} cannot be computed here")
        return
    facts.update({"destination_matches": hashes[0] == dst, "source_matches": src in hashes[1:],
                  "hash": keyschedule.HASH_NAMES.get(policy.hash)})
    where = "between the sender and the capture point"
    if facts["destination_matches"] and facts["source_matches"]:
        exp.lines.append(f"NAT-D: both hashes match the addresses and ports seen: no NAT {where}")
        facts["nat_detected"] = False
        return
    facts["nat_detected"] = True
    if not facts["source_matches"]:
        exp.lines.append("NAT-D: the sender's own address/port hash is not among its NAT-D payloads: the sender is "
                         "behind a NAT, or claims to be to force UDP encapsulation (strongSwan does when its kernel "
                         "needs it); NAT-T moves IKE to UDP 4500 from MM5/AM3 on")
    if not facts["destination_matches"]:
        exp.lines.append("NAT-D: the hash of the destination does not match the address/port seen: the sender "
                         "addressed another address/port, so there is a NAT between it and the receiver")


#: :func:`meanings.vendor_feature`, remembered per vendor name (a capture repeats a handful of vendor IDs)
_vendor_feature = functools.lru_cache(maxsize=1024)(M.vendor_feature)


def _vids(exp: Explanation, vids: list[VendorIdPayload]) -> None:
    """One line for the vendor IDs of a message, each with the capability it announces."""
    if not vids:
        return
    said: list[str] = []
    for p in vids:
        feature = _vendor_feature(p.vendor or "")
        exp.facts.setdefault("vendor_ids", []).append({"vendor": p.vendor, "feature": feature, "hex": p.body.hex()})
        text = feature or p.vendor or f"unknown ({p.body[:8].hex()}…, {len(p.body)} bytes)"
        if text not in said:
            said.append(text)
    exp.lines.append(f"vendor ID{'s' if len(vids) > 1 else ''}: " + ", ".join(said))


def _proxy_ids(exp: Explanation, payloads) -> None:
    proxies = P.proxies_of(payloads)
    if proxies is None:
        exp.lines.append("no proxy IDs: the traffic is that between the two peers' addresses (RFC 2409 §5.5)")
        return
    exp.facts["proxy_ids"] = proxies.to_dict()
    proto = registry.IP_PROTOCOLS.get(proxies.protocol, str(proxies.protocol)) if proxies.protocol else "any"
    ports = "" if not (proxies.local_port or proxies.remote_port) else \
        f", ports {proxies.local_port or 'any'} -> {proxies.remote_port or 'any'}"
    exp.lines.append(f"proxy IDs: initiator side {proxies.local}, responder side {proxies.remote}, protocol {proto}"
                     f"{ports}" + (": any to any, as a VTI (tunnel protection) negotiates" if proxies.any_to_any
                                   else ": the responder's crypto map ACL must mirror them"))


def _identity(exp: Explanation, p: IdPayload, role: str, ctx: SaContext, from_initiator: bool) -> None:
    exp.facts["identity"] = {"type": p.id_type_name, "value": p.text, "protocol": p.protocol_id, "port": p.port}
    proto = f", protocol {p.protocol_id}, port {p.port}" if p.protocol_id or p.port else ""
    exp.lines.append(f"identity {p.id_type_name} {p.text}{proto}"
                     + ("; with pre-shared keys IOS looks the key up by the peer's address"
                        if p.id_type in (1, 5) else ""))


def _hash_check(exp: Explanation, check: str, encrypted: bool) -> None:
    """A hash check's line.  HASH_I/HASH_R need SKEYID = prf(PSK, Ni_b | Nr_b) alone (RFC 2409 §5): one
    that verifies in a message that decrypted also proves the DH secret (g^xy gave its cipher key); one
    in the clear (Aggressive Mode's AM2) proves the pre-shared key only."""
    name, _, verdict = check.rpartition(" ")
    exp.facts["hash_check"] = check
    if verdict == "verified":
        same = ""
        if name in ("HASH_I", "HASH_R"):
            same = (" (same pre-shared key and DH secret: the message decrypted)" if encrypted else
                    " (same pre-shared key; in the clear, so no DH secret is involved)")
        exp.lines.append(f"{name} verified with the keys given: the sender derived the same keys" + same)
    else:
        exp.lines.append(f"{name} does NOT verify: the sender used another key"
                         + (" — a pre-shared key mismatch" if name in ("HASH_I", "HASH_R") else ""))


def _verdict(exp: Explanation, role: str, state: Any) -> None:
    """The IKE SA's key verdict (dissect.decrypt), on the messages that authenticate."""
    if state is None or role not in ("MM5", "MM6", "AM2", "AM3") or not getattr(state, "verdict", None):
        return
    exp.facts["key_verdict"] = state.verdict
    exp.lines.append(f"IKE SA verdict: {state.verdict}" + (f" ({state.detail})" if state.detail else ""))


def _notify(exp: Explanation, p: NotifyPayload, role: str, ctx: SaContext, from_initiator: bool) -> None:
    name = p.notify_name if p.notify_name != "Unknown" else f"notify type {p.notify_type}"
    meaning = M.NOTIFY_MEANINGS.get(p.notify_name, "")
    fact: dict[str, Any] = {"type": p.notify_type, "name": p.notify_name, "protocol": p.protocol,
                            "spi": p.spi.hex()}
    text = f"notify {name}"
    if p.sequence is not None and p.notify_type in (36136, 36137):
        text += f", sequence {p.sequence}"
        fact["sequence"] = p.sequence
    if p.attributes:
        attrs = ", ".join(a.display() for a in p.attributes if a.name.endswith("Life-Duration"))
        if attrs:
            text += f" ({attrs})"
            fact["lifetimes"] = [a.value for a in p.attributes if a.name.endswith("Life-Duration")]
    if p.spi and p.protocol_id in (2, 3):
        text += f" for SPI 0x{p.spi.hex()}"
    exp.lines.append(text + (f": {meaning}" if meaning else ""))
    exp.facts.setdefault("notifies", []).append(fact)


def _delete(exp: Explanation, p: DeletePayload, role: str, ctx: SaContext, from_initiator: bool) -> None:
    proto = registry.PROTOCOL_IDS.get(p.protocol_id, str(p.protocol_id))
    spis = [s.hex() for s in p.spis]
    what = ("the IKE SA (cookie pair)" if p.protocol_id == 1 else
            "its inbound IPsec SA(s); the peer removes the matching outbound ones")
    exp.lines.append(f"delete {proto} " + ", ".join(("0x" + s) for s in spis) + f": the sender removes {what}")
    exp.facts.setdefault("deletes", []).append({"protocol": proto, "spis": spis})


def _attributes(exp: Explanation, p: ConfigPayload, role: str, ctx: SaContext, from_initiator: bool) -> None:
    fields = p.fields()
    attrs = fields["attributes"]
    cfg = fields["cfg"]
    listed = ", ".join(f"{k}={v}" if v != "" else k for k, v in attrs.items())
    meaning = M.CFG_VERBS.get(cfg, cfg)
    text = f"{cfg}: {meaning} {listed or 'nothing'}"
    status = attrs.get("XAUTH_STATUS")
    if status in ("Success", "Fail"):
        text += f" — XAUTH {'succeeded' if status == 'Success' else 'FAILED: wrong user name or password'}"
    exp.lines.append(text)
    exp.facts.setdefault("attributes", []).append({"type": cfg, "attributes": attrs})


def _qm3(exp: Explanation, qm: QuickModeContext | None) -> None:
    if qm is None or not (qm.offered or qm.chosen):
        exp.lines.append("after it both peers install the IPsec SAs (QM1/QM2 not in this capture: SPIs unknown)")
        return
    spi_i = next((t.spi for t in qm.offered if t.spi is not None), None)
    spi_r = next((t.spi for t in qm.chosen if t.spi is not None), None)
    parts = []
    if spi_r is not None:
        parts.append(f"initiator -> responder with SPI 0x{spi_r:08x}")
    if spi_i is not None:
        parts.append(f"responder -> initiator with SPI 0x{spi_i:08x}")
    exp.lines.append("after it both peers install the IPsec SAs: " + ", ".join(parts))
    exp.facts["ipsec_sas"] = {"initiator_to_responder": spi_r, "responder_to_initiator": spi_i}


#: payload short name -> handler(exp, payload, role, SA context, sent by the initiator?); NAT-D, vendor IDs and
#: Quick Mode IDs are said once per message (see explain_packet)
PAYLOAD_HANDLERS = {
    "SA": _sa, "KE": _ke, "NONCE": _nonce, "ID": _identity, "HASH": _hash_payload, "N": _notify, "D": _delete,
    "ATTR": _attributes, "CERT": _opaque, "CR": _opaque, "SIG": _opaque, "FRAG": _opaque, "NAT-OA": _opaque,
}


#: what a message's configuration is, per (role, side)
_CONFIG_WHAT = {("MM1", "initiator"): "the ISAKMP policies it offers, in its order",
                ("MM2", "initiator"): "the ISAKMP policy the responder chose: one of its policies matches it",
                ("MM2", "responder"): "the ISAKMP policy it matched against the initiator's offer",
                ("QM1", "initiator"): "the transform sets it offers",
                ("QM2", "initiator"): "the transform set the responder chose, with its PFS group and lifetimes",
                ("QM2", "responder"): "the transform set it chose, with its PFS group and lifetimes"}


def _views(perspective: str | Sequence[C.RouterView] | None) -> dict[str, C.RouterView]:
    if perspective is None:
        return {}
    if isinstance(perspective, str):
        return {perspective: C.RouterView(perspective)}
    return {v.address: v for v in perspective}


def _config(pkt: Packet, role: str, ctx: SaContext,
            perspective: str | Sequence[C.RouterView] | None) -> C.ImpliedConfig | None:
    """The configuration the message implies (MM1/AM1, MM2/AM2, QM1, QM2), on each router
    :func:`explain_packet` says.  Quick Mode without ID payloads: the proxy IDs a router's log states
    for its peer (``RouterView.names.proxies``).  Aggressive Mode: the initiator's key is IOS's
    Aggressive Mode hint (:func:`config.aggressive_mode_lines`), with AM1's ID payload as its identity."""
    msg = pkt.isakmp
    d = pkt.datagram
    sa = next((p for p in msg.payloads if isinstance(p, SaPayload)), None)
    if sa is None or msg.retransmission_of is not None or role not in ("MM1", "AM1", "MM2", "AM2", "QM1", "QM2"):
        return None
    initiator = d.src if role in ("MM1", "AM1", "QM1") else d.dst
    responder = d.dst if initiator == d.src else d.src
    views = _views(perspective)
    logged = [a for a in (initiator, responder) if a in views]
    offer = role in ("MM1", "AM1", "QM1")
    sides = [initiator] if offer or not logged else logged
    where = f"frame {pkt.frame} ({role})"
    identity = None
    if role in ("MM1", "AM1", "MM2", "AM2"):
        data = {"policies": [P.policy_of(t, chosen=not offer, source=where)
                             for p in sa.proposals for t in p.transforms]}
        id_payload = next((p for p in msg.payloads if isinstance(p, IdPayload)), None) if role == "AM1" else None
        identity = (id_payload.id_type, id_payload.text) if id_payload is not None and id_payload.text else None
    else:
        proxies = P.proxies_of(msg.payloads)
        if proxies is None:
            qm = ctx.quick_modes.get(msg.header.message_id)
            proxies = qm.proxies if qm else None
        data = {"transforms": P.ipsec_of(sa.proposals, chosen=not offer, source=where), "proxies": proxies}
    configs = []
    for local in sides:
        side = "initiator" if local == initiator else "responder"
        view = views.get(local)
        label = f"{view.label}, the {side}" + (f", {view.device}" if view.device else "") \
            if view is not None and view.label else \
            f"the {side}" + ("" if view is not None else "; no log speaks for it" if views else "; no log given")
        args = dict(data)
        peer = responder if local == initiator else initiator
        if side == "responder" and args.get("proxies") is not None:
            args["proxies"] = args["proxies"].swapped()  # its own side first: the mirror of the initiator's
        if "proxies" in args and args["proxies"] is None and view is not None:
            args["proxies"] = view.names.proxies_for(peer)  # what its log states, its own side first
        if role.startswith("AM") and side == "initiator":
            args.update(aggressive=True, identity=identity)
        configs.append(C.implied_config(**args, local=local, peer=peer,
                                        what=_CONFIG_WHAT[(role.replace("AM", "MM"), side)], label=label,
                                        names=view.names if view is not None else None))
    return C.combine(configs)


# --------------------------------------------------------------------------
# Log events (log-only mode)

def role_of_events(events: Iterable[Event]) -> str:
    """The role of the message that the events of one log describe, as the log-only timeline gives it
    (:func:`correlate.logonly.timeline`, the one source of roles read from logs: IOS states and packet
    lines, strongSwan's summary lines, IKEv2, ASA and libreswan packet lines): the role of the one
    message the events are the lines of; "" when they name none, or several different ones (a whole
    log).  Without the rest of the log, a message is judged by its own lines only (a lone Quick Mode
    line with an SA payload is QM1)."""
    from .logonly import timeline  # on use: only explanations of log lines need the log-only timeline

    steps = timeline(list(events)).steps
    roles = {s.role for s in steps if s.role and not s.implied and s.sa is not None}
    return roles.pop() if len(roles) == 1 else ""


def _roleless_headline(events: list[Event]) -> str:
    """The headline of log lines whose role is unknown: status output (a snapshot), lines about one message
    (a packet line, a message ID or payloads, without what tells its role), or local events outside any
    message (a trigger, a teardown, configuration loaded)."""
    if events and all(e.kind == "sa_status" or e.record.family == "show" for e in events):
        return "status output: a snapshot of the SAs and their counters, not a message"
    if any(e.kind == "packet" or e.message_id is not None or e.payloads for e in events):
        return "log lines of one message (its role is not in them)"
    return "log lines outside any IKE message: local events (a trigger, a teardown, a state or status change)"


def explain_events(events: list[Event], role: str | None = None, names: N.LogNames | None = None) -> Explanation:
    """The explanation of one message from the log lines that sent or processed it.

    ``events``: the events of one message, from one log, in log order; ``role``: the message's role
    when the caller knows it (else :func:`role_of_events`); ``names``: what the whole log names
    (:func:`lognames.names_from_log`: interface, crypto map...), else what these lines name.  The
    configuration implied is that of :func:`config.implied_config_from_events`.
    """
    events = list(events)
    role = role if role is not None else role_of_events(events)
    meaning = M.ROLE_MEANINGS.get(role)
    if meaning:
        headline = f"{role}: {meaning.headline}"
    else:
        candidates = next((M.PAYLOAD_ROLE_CANDIDATES.get(e.payloads[0].upper()) for e in events
                           if e.kind == "packet" and e.payloads and e.message_id == 0), None)
        headline = (f"{candidates}: the log names the payloads, not which peer initiated" if candidates
                    else _roleless_headline(events))
    exp = Explanation(role, headline, source="log")
    for e in events:
        _log_event(exp, e)
    for action in ("processing", "constructing", "constructed"):
        listed = exp.facts.get("payloads_" + action)
        if listed:
            exp.lines.append(f"payloads {'processed' if action == 'processing' else 'built'}: {', '.join(listed)}")
    _negotiated(exp, events)
    if meaning and not exp.lines:
        exp.lines.append(f"normally carries {meaning.carries}")
    exp.config = C.implied_config_from_events(events, names=names, role=role)
    return exp


def _negotiated(exp: Explanation, events: Sequence[Event], prefix: str = "") -> None:
    """What log lines say was negotiated, as lines and facts of ``exp`` (each line after ``prefix``): the
    phase 1 transforms checked or accepted, the IPsec transforms offered or accepted, the proxy IDs."""
    policies = P.policies_from_events(events)
    transforms = P.transforms_from_events(events)
    lines = [f"{prefix}phase 1 transform {'accepted' if p.chosen else 'checked'}"
             f"{f' against local policy {p.priority}' if p.priority else ''}: {describe_policy(p)}" for p in policies]
    lines += [f"{prefix}IPsec transform {'accepted' if t.chosen else 'offered'}: {describe_ipsec(t)}"
              for t in transforms]
    exp.lines.extend(dict.fromkeys(lines))  # (a block quoted again says the same: each line once)
    if policies:
        exp.facts["proposals"] = [p.to_dict() for p in policies]
    if transforms:
        exp.facts["ipsec_proposals"] = [t.to_dict() for t in transforms]
    proxies = P.proxies_from_events(events)
    if proxies is not None:
        exp.facts["proxy_ids"] = proxies.to_dict()
        exp.lines.append(f"{prefix}proxy IDs: local {proxies.local}, remote {proxies.remote}"
                         + (": any to any, as a VTI negotiates" if proxies.any_to_any else ""))


def _config_from_logs(events: Sequence[Event], role: str, perspective) -> C.ImpliedConfig | None:
    """The configuration the log lines placed on an undecrypted message imply, per router whose log they
    are from (:func:`config.implied_config_from_events`, with the names that router's log gives)."""
    views = {v.label: v for v in _views(perspective).values() if v.label}
    by_file: dict[str, list[Event]] = {}
    for e in events:
        by_file.setdefault(e.record.file, []).append(e)
    return C.combine(C.implied_config_from_events(evs, names=views[f].names if f in views else None, role=role)
                     for f, evs in by_file.items())


def _log_event(exp: Explanation, e: Event) -> None:
    """One event's contribution, by the handler of its kind (:data:`LOG_HANDLERS`)."""
    handler = LOG_HANDLERS.get(e.kind)
    if handler is None:
        return
    try:
        handler(exp, e)
    except Exception as err:  # noqa: BLE001 - an event with unforeseen values costs its own line only
        exp.lines.append(f"({_where(e)}: not explained, {type(err).__name__})")


def _where(e: Event) -> str:
    return f"{e.record.file}:{e.record.line}"


def _log_packet(exp: Explanation, e: Event) -> None:
    if e.detail.get("retransmission"):
        exp.lines.append("retransmission: no answer came in time")
    elif e.direction is None and e.detail.get("src") and e.detail.get("dst"):  # a pasted tcpdump line
        size = f" ({e.bytes} bytes)" if e.bytes else ""
        exp.lines.append(f"from {e.detail['src']} to {e.detail['dst']}{size}"
                         + (f", payloads {' '.join(e.payloads)}" if e.payloads else ""))
    elif e.peer:
        verb = "received from" if e.direction == "in" else "sent to"
        size = f" ({e.bytes} bytes)" if e.bytes else ""
        exp.lines.append(f"{verb} {endpoint_text(e.peer, e.peer_port or None)}{size}"
                         + (f", payloads {' '.join(e.payloads)}" if e.payloads else ""))
    exp.facts.setdefault("packets", []).append({"direction": e.direction, "peer": e.peer, "port": e.peer_port,
                                                "bytes": e.bytes, "line": _where(e)})


def _log_payload(exp: Explanation, e: Event) -> None:
    d = e.detail
    if d.get("vendor_id"):  # IOS "vendor ID is DPD"
        _log_vendor(exp, str(d["vendor_id"]))
    elif d.get("payload") == "ID" and d.get("address"):  # IOS's ID payload block
        exp.facts["identity"] = {k: d.get(k) for k in ("id_type", "address", "protocol", "port")}
        exp.lines.append(f"identity {d['address']} (ID type {d.get('id_type', '?')}, protocol "
                         f"{d.get('protocol', 0)}, port {d.get('port', 0)})")
    if not e.payloads:
        return
    if e.exchange:  # strongSwan: the whole list at once
        exp.facts["payloads"] = list(e.payloads)
        exp.lines.append(f"{'generated' if e.direction == 'out' else 'parsed'} {e.exchange} "
                         f"{'request' if d.get('request') else 'response'}: {' '.join(e.payloads)}")
    elif d.get("action"):  # IOS: one line per payload
        exp.facts.setdefault("payloads_" + d["action"], []).extend(e.payloads)
    else:  # ASA: "constructing NAT-Traversal VID ver 02 payload"
        _log_vendor(exp, " ".join(e.payloads))


def _log_vendor(exp: Explanation, name: str) -> None:
    feature = M.vendor_feature(name)
    if feature and feature not in exp.facts.setdefault("vendor_ids", []):
        exp.facts["vendor_ids"].append(feature)
        exp.lines.append(f"vendor ID {name}: {feature}")


def _log_notify(exp: Explanation, e: Event) -> None:
    name = M.notify_name(str(e.detail.get("notify", "")))
    if e.kind == "error" and any(n.get("name") == name for n in exp.facts.get("notifies", [])):
        return  # IOS says a received error notify twice: as a notify and as an error
    ikev2 = e.facility == "IKEv2" or e.exchange in _IKEV2_EXCHANGES or exp.role.startswith(
        tuple(x + " " for x in _IKEV2_EXCHANGES))
    meaning = M.notify_meaning(name, ikev2)
    way = {"in": "received", "out": "sent"}.get(e.direction or "", "")
    exp.lines.append(f"notify {name}{' ' + way if way else ''}" + (f": {meaning}" if meaning else ""))
    exp.facts.setdefault("notifies", []).append({"name": name, "direction": e.direction, "line": _where(e)})


#: IOS's phase 1 policy checks that fail (``Encryption algorithm offered does not match policy!``, ``atts are
#: not acceptable``): the next local policy is tried, so they are errors only when none matches
_POLICY_MISS = ("offered does not match policy", "atts are not acceptable")
_SKIPPED = "policy check: {text} (IOS tries its next policy)"


#: IKEv2's exchanges (RFC 7296 §1.2), as the parsers name them; the log-only roles start with them
_IKEV2_EXCHANGES = ("IKE_SA_INIT", "IKE_AUTH", "CREATE_CHILD_SA", "INFORMATIONAL", "IKE_INTERMEDIATE")


def _log_error(exp: Explanation, e: Event) -> None:
    if "notify" in e.detail:
        _log_notify(exp, e)
        return
    if e.detail.get("notify_not_sent"):  # IOS "ignoring request to send delete notify (no ISAKMP sa)"
        spi = f" for SPI {_spi_text(e.spi)}" if e.spi is not None else ""
        line = (f"{e.detail['notify_not_sent']} notify not sent{spi}: no IKE SA with the peer to protect it; "
                "the SA goes locally, unannounced")
        if line not in exp.lines:  # (IOS says it again for each SA of the pair)
            exp.lines.append(line)
        return
    if e.message == "(empty error message)":  # IOS-XE "IKEv2-ERROR:(...):" with nothing after it
        after = " (it follows the error notify above)" if exp.facts.get("notifies") else ""
        exp.lines.append(f"an IKEv2-ERROR line without a message{after}")
        return
    exp.lines.append(f"error: {e.message}")
    exp.facts.setdefault("errors", []).append({"message": e.message, "line": _where(e)})


def _policy_miss(text: str) -> bool:
    return any(p in text for p in _POLICY_MISS)


def _log_proposal(exp: Explanation, e: Event) -> None:
    """An IOS policy check that passed (``atts are acceptable``): the failed checks before it (still
    shown as errors) were the policies tried first, not errors."""
    if e.detail.get("acceptable") is not True or "errors" not in exp.facts:
        return
    exp.lines[:] = [_SKIPPED.format(text=x.removeprefix("error: ")) if x.startswith("error: ") and _policy_miss(x)
                    else x for x in exp.lines]
    exp.facts["errors"] = [x for x in exp.facts["errors"] if not _policy_miss(x["message"])]
    if not exp.facts["errors"]:
        del exp.facts["errors"]


def _log_deleted(exp: Explanation, e: Event) -> None:
    reason = e.detail.get("reason")
    what = f"node {e.message_id}" if e.message_id is not None else "SA"
    exp.lines.append(f"{what} deleted" + (f": {reason}" if reason else ""))
    exp.facts.setdefault("deletes", []).append({"message_id": e.message_id, "spi": e.spi, "reason": reason})


def _log_state(exp: Explanation, e: Event) -> None:
    if e.state == "AUTHENTICATED":
        exp.lines.append(f"phase 1 authenticated with {e.peer}: the peer's HASH verified (same pre-shared key)")
        exp.facts["authenticated"] = True
    elif e.old_state and e.old_state != e.state:
        exp.facts.setdefault("states", []).append([e.old_state, e.state])


#: IOS IKEv2's offer as it builds a message: ``IKE Proposal: 1, SPI size: 0 (initial negotiation), Num.
#: transforms: 15 AES-CBC ... DH_GROUP_1024_MODP/Group 2`` (``ESP Proposal`` in IKE_AUTH, CREATE_CHILD_SA)
_IKEV2_OFFER = re.compile(r"^(IKE|ESP|AH) Proposal: (\d+), SPI size: \d+(?: \(([^)]*)\))?, Num\. transforms: (\d+)"
                          r"\s*(.*)$")


def _ikev2_offer(exp: Explanation, e: Event) -> bool:
    """An IOS IKEv2 proposal line: the transforms offered, as the log names them (RFC 7296 §3.3)."""
    m = _IKEV2_OFFER.match(e.message.strip()) if e.facility == "IKEv2" else None
    if m is None:
        return False
    kind, number, _why, count, names = m.groups()
    listed = [x for x in re.split(r"\s{2,}", names.strip()) if x]
    exp.lines.append(f"{kind} proposal {number} offered, {count} transforms"
                     + (f": {', '.join(listed)}" if listed else ""))
    exp.facts.setdefault("ikev2_proposals", []).append({"protocol": kind, "number": int(number),
                                                         "transforms": listed, "line": _where(e)})
    return True


def _log_info(exp: Explanation, e: Event) -> None:
    d = e.detail
    if _ikev2_offer(exp, e):
        return
    if d.get("vendor_id") or d.get("peer_platform"):  # charon/ASA vendor IDs; IOS "speaking to another IOS box"
        _log_vendor(exp, str(d.get("vendor_id") or d["peer_platform"]))
    elif d.get("nat_t"):
        exp.lines.append(f"port floating to {e.peer_port}: NAT-T in use")
        exp.facts["nat_detected"] = True
    elif d.get("nat"):
        who = {"both": "both hosts are", "local": "the local host is", "remote": "the remote host is"}
        exp.lines.append(f"{who.get(d['nat'], str(d['nat']) + ' host is')} behind NAT (from the NAT-D hashes)")
        exp.facts["nat_detected"] = True
    elif d.get("paranoid_keepalives") is False:  # IOS, when it deletes an IKE SA
        exp.lines.append("the peer does not do periodic DPD (IOS's \"paranoid\" keepalives): a routine line "
                         "when an IKE SA is deleted, not an error")


def _spi_text(spi: Any, text: Any = None) -> str:
    return f"0x{spi:08x}" if isinstance(spi, int) else str(text or "?")


def _log_sa_created(exp: Explanation, e: Event) -> None:
    d = e.detail
    if "spi_in" in d or "spi_out" in d:  # strongSwan CHILD_SA / libreswan IPsec SA established
        spi_in, spi_out = (_spi_text(d.get(k), d.get(k + "_text")) for k in ("spi_in", "spi_out"))
        text = f"IPsec SA established: inbound SPI {spi_in}, outbound SPI {spi_out}"
        if d.get("ts_local"):
            text += f", traffic {d['ts_local']} === {d.get('ts_remote')}"
        exp.lines.append(text)
        exp.facts.setdefault("ipsec_sas", []).append({"spi_in": d.get("spi_in"), "spi_out": d.get("spi_out")})
        return
    if e.spi is None:
        exp.lines.append(f"SA created: {e.message}")
        return
    life = ""
    if "lifetime_kb" in d:
        life = f", lifetime {d['lifetime_kb']} KB / {d.get('lifetime_sec')} s"
    if "inbound" in d:
        where = f"{'inbound, from' if d['inbound'] else 'outbound, to'} {e.peer or d.get('remote') or '?'}"
    else:  # (IOS's sa_dest: this router for the inbound SA, the peer for the outbound one)
        where = f"destination {d['dest']}" if d.get("dest") else "a destination the line does not name"
    exp.lines.append(f"IPsec SA created: SPI 0x{e.spi:08X}, {where}"
                     + (f", {d['transform']}" if d.get("transform") else "") + life)
    exp.facts.setdefault("ipsec_sas", []).append({"spi": e.spi, "dest": d.get("dest", e.peer),
                                                  "transform": d.get("transform")})


#: event kind -> handler(exp, event); proposals are read as a whole (policy.policies_from_events), the
#: proposal handler only turns the failed policy checks before an accepted one into checks (:func:`_log_proposal`)
LOG_HANDLERS = {
    "packet": _log_packet, "payload": _log_payload, "notify": _log_notify, "error": _log_error,
    "sa_created": _log_sa_created, "sa_deleted": _log_deleted, "state": _log_state, "info": _log_info,
    "proposal": _log_proposal,
}
