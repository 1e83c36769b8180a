"""Findings: what went wrong (or is worth knowing) in an IKE negotiation, named as a TAC engineer names it.

A :class:`Finding` has a code (``psk-mismatch``, ``proposal-mismatch``...), a severity (the expert
severities of :mod:`dissect.model`: ``error`` for a failure, ``warning``, ``note``), a one-line title,
an explanation, and its evidence: capture frame numbers and log references (file, line).  Three
sources give findings, each a pure function returning a list:

* :func:`findings_from_log`: one or more logs' events (:func:`correlate.logparse.parse_log`; IOS and
  IOS-XE, ASA, strongSwan, libreswan, pasted ``show`` output), with the records no parser turned into
  an event, and the log-only timeline (:func:`correlate.logonly.timeline`) for rules that need to
  know which message a line is about;
* :func:`findings_from_capture`: the packets of :meth:`dissect.pipeline.Dissector.packets` and, when
  keys were given, the decryptor's verdicts (:mod:`dissect.verdict`);
* :func:`merge`: the lists of both (or of several logs) as one, a finding per code, its evidence
  united (a later alignment of packets and log lines can add to it).

The rules are tables where they can be: :data:`CATALOG` (each code's severity, title and
explanation), :data:`TEXT_RULES` (phrases of the vendors' logs), :data:`NOTIFY_CODES` (notify
types, as the logs and RFC 2408 §3.14.1 / RFC 7296 §3.10.1 name them), :data:`SUPERSEDES` (a
generic finding that a specific one makes redundant), :data:`HINTS` (phrases that add a sentence to
a finding found otherwise).  The rest are small functions over the timeline's IKE SAs or the
capture's.  Nothing is printed; the rules read only what the parsers and decoders give (which never
raise on bad input), so a malformed log or capture costs findings, not a traceback.
"""
from __future__ import annotations

import ipaddress
import re
import textwrap
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import chain
from typing import Any

from dissect import keyschedule as ks
from dissect.gcpolicy import paused_collector
from dissect.model import ERROR, NOTE, WARNING
from dissect.verdict import MISMATCHES

from .logonly import Step, Timeline, in_stamp_order, timeline as make_timeline
from .model import Event, Record

__all__ = ["Finding", "LogRef", "Kind", "CATALOG", "TEXT_RULES", "HINTS", "NOTIFY_CODES", "SUPERSEDES",
           "findings_from_log", "findings_from_capture", "CaptureRules", "findings_from_alignment", "merge",
           "failures"]

#: the details :meth:`Finding.text_lines` shows, in this order, with their labels
_DETAIL_LABELS = (
    ("phase", "phase"), ("stuck_at", "stuck at"), ("verdict", "verdict with the keys given"),
    ("offered", "offered"), ("local", "configured here"), ("chosen", "chosen by the responder"),
    ("responder_lifetime", "responder lifetime"), ("counters", "counters"), ("sessions", "sessions"),
    ("resent", "resent"), ("r_u_there_sent", "R-U-THERE sent"), ("r_u_there_received", "R-U-THERE received"),
    ("r_u_there", "R-U-THERE"), ("acks", "R-U-THERE-ACK"), ("quick_modes", "Quick Modes after an answered one"),
    ("ike_sas", "IKE SAs with one peer"), ("nat_d_mismatch", "NAT-D mismatch for"),
    ("port_floating", "port floating 500 -> 4500"), ("reasons", "reasons"),
    ("missing", "not in the log"), ("proven", "not in the excerpt, but the log's other lines show it"),
    ("later", "phase 1 completed later at"),
    ("logs", "logs"),
)

#: evidence kept per finding (the count of all of it is kept too)
MAX_LOG_REFS = 20
MAX_FRAMES = 50
_RANK = {ERROR: 0, WARNING: 1, NOTE: 2}


@dataclass(frozen=True)
class LogRef:
    """A log line a finding rests on: the record's file, first and last physical line, and its text."""
    file: str
    line: int
    last_line: int
    text: str

    @classmethod
    def of(cls, record: Record) -> "LogRef":
        return cls(record.file, record.line, record.last_line, record.text)

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "last_line": self.last_line, "text": self.text}


@dataclass(frozen=True)
class Kind:
    """What a code means: its severity, title and explanation (the TAC engineer's words)."""
    severity: str
    title: str
    explanation: str


#: code -> its severity, title and explanation
CATALOG: dict[str, Kind] = {
    "psk-mismatch": Kind(ERROR, "Pre-shared key mismatch", (
        "The peers hold different pre-shared keys, so SKEYID and the keys derived from it differ (RFC 2409 §5): "
        "the responder cannot decrypt or verify MM5 (HASH_I), answers with an error notify or not at all, and the "
        "initiator resends MM5 until it gives up. Make `crypto isakmp key` (IOS), the tunnel-group "
        "`ikev1 pre-shared-key` (ASA) or the `secrets` (strongSwan) identical on both sides, for the address or "
        "identity each side actually uses.")),
    "keys-given-wrong": Kind(WARNING, "The key material given is not this IKE SA's", (
        "The messages do not decrypt or verify with the pre-shared key or DH secret given, but the peers agree "
        "with each other: the responder answered MM5 with MM6 (or the exchange went on to Quick Mode), which it "
        "does only when HASH_I verified with its own key. So it is the key given to ikescope that is wrong, not "
        "the peers' configuration: check the PSK (and that the DH secret belongs to this capture).")),
    "no-psk": Kind(ERROR, "No pre-shared key for the peer", (
        "No pre-shared key is configured for this peer's address or identity, so IKE cannot even start "
        "(IOS: `No pre-shared key with ...`, `Can not start Main mode`). Add `crypto isakmp key KEY address PEER` "
        "(or a keyring entry that matches the peer), and check that the peer address in the crypto map is the "
        "one the keyring names.")),
    "proposal-mismatch": Kind(ERROR, "IKE proposal mismatch", (
        "The responder found none of the initiator's proposals acceptable (NO_PROPOSAL_CHOSEN, `atts are not "
        "acceptable`): encryption, hash, authentication, DH group or lifetime type differ (phase 1: `crypto "
        "isakmp policy`), or the transform set, mode or PFS group differ (phase 2: `crypto ipsec transform-set`, "
        "`set pfs`). Compare both sides' proposals (listed below when the logs or the capture show them).")),
    "pfs-mismatch": Kind(ERROR, "PFS mismatch in phase 2", (
        "Phase 1 is up but Quick Mode is refused with PROPOSAL_NOT_CHOSEN: one side asks for perfect forward "
        "secrecy (a KE payload and a DH group in its proposal, `set pfs groupN`) and the other does not, or the "
        "groups differ. Configure `set pfs` identically (or not at all) on both crypto maps / profiles.")),
    "proxy-id-mismatch": Kind(ERROR, "Proxy-ID (crypto ACL / crypto map) mismatch", (
        "Phase 1 is up but the peer's Quick Mode identities (the protected subnets, its crypto ACL or traffic "
        "selectors) match no crypto map entry here (`crypto map policy not found`, `proxy identities not "
        "supported`, INVALID_ID_INFORMATION, TS_UNACCEPTABLE). The crypto ACLs must mirror each other exactly, "
        "and the crypto map must name the right ACL (a typo in the map name leaves it without one).")),
    "sa-install-failed": Kind(ERROR, "IPsec SAs could not be installed", (
        "Quick Mode agreed on the SAs but they could not be installed in the kernel or data plane (strongSwan: "
        "`unable to install inbound and outbound IPsec SA (SAD) in kernel`: no ESP support, an algorithm the "
        "kernel lacks), so this side abandons phase 2 and tells the peer with a notify; that notify is a "
        "consequence, not a proposal mismatch.")),
    "id-mismatch": Kind(ERROR, "IKE identity not accepted (phase 1 ID mismatch)", (
        "The peer's phase 1 identity (its ID payload: an address, FQDN or certificate DN) matches no tunnel group, "
        "ISAKMP profile or connection here (`no suitable connection for peer`, INVALID_ID_INFORMATION during Main "
        "Mode). Check the identity each side sends (`crypto isakmp identity`, leftid/rightid) and the one the other "
        "side expects.")),
    "cert-verify-failed": Kind(ERROR, "Peer certificate verification failed", (
        "The peer authenticates with a certificate that this side cannot verify: no trustpoint holds the CA "
        "that issued it (`No suitable trustpoints found`), the chain is incomplete, or the certificate is "
        "expired or revoked. Authenticate the issuing CA in a trustpoint (`crypto pki authenticate`), check "
        "clocks (NTP) and revocation checking, and the identity the peer presents.")),
    "auth-failed": Kind(ERROR, "Peer authentication failed", (
        "The peer's authentication data (HASH or AUTH payload) did not verify: a wrong pre-shared key, an "
        "identity that selects another key or profile, or a certificate that does not verify.")),
    "invalid-cookie": Kind(ERROR, "INVALID_COOKIE from the peer (stuck at MM_WAIT_MSG4)", (
        "The peer answered our MM3 with an unencrypted INVALID_COOKIE notify: it no longer has (or never had) "
        "an IKE SA for these cookies. Typically the peer has no pre-shared key or tunnel group for our address "
        "(it talks to another IP: NAT, a wrong peer address in its crypto map), so it drops the SA after MM2. "
        "Check the peer's configuration for our public address.")),
    "no-response": Kind(ERROR, "The peer does not answer", (
        "The first message of the exchange is resent and never answered: the peer does not receive it (UDP 500 "
        "or 4500 blocked on the path, a wrong peer address) or does not have IKE enabled on that interface.")),
    "dpd-timeout": Kind(ERROR, "Dead Peer Detection timeout", (
        "R-U-THERE messages (RFC 3706) went unanswered and the SA was torn down: the peer or the path is gone, "
        "or the peer deleted the SA without telling (a reboot, `clear crypto sa`).")),
    "phase1-not-up": Kind(WARNING, "Phase 1 not up", (
        "The IKE SA is still negotiating (DOWN-NEGOTIATING, MM_NO_STATE): phase 1 never completed; debug "
        "`crypto isakmp` for the reason.")),
    "one-way-traffic": Kind(WARNING, "One-way traffic through the tunnel", (
        "Packets are encrypted in one direction only (encaps without decaps, or ESP seen one way): the other "
        "side does not send into the tunnel (its crypto ACL, NAT exemption or routing does not match the "
        "traffic), or its ESP is dropped on the path (UDP 4500 / IP 50 filtered).")),
    "retransmissions": Kind(WARNING, "IKE retransmissions", (
        "Messages were sent again because no answer came in time: packet loss, or a peer that is slow or cannot "
        "process the message.")),
    "invalid-spi": Kind(WARNING, "ESP for an unknown SPI", (
        "ESP arrived for an SPI that has no SA here (`%CRYPTO-4-RECVD_PKT_INV_SPI`): one side cleared or "
        "re-keyed its SAs and the other keeps using the old ones. `crypto isakmp invalid-spi-recovery` and DPD "
        "let the peers resynchronise.")),
    "nat-detected": Kind(NOTE, "NAT detected, IKE floated to UDP 4500", (
        "NAT discovery found an address or port changed on the way (a hash of an end's address and port that "
        "a peer sent does not match), so IKE moved from UDP 500 to 4500 and ESP is UDP-encapsulated (RFC 3948). "
        "Allow UDP 4500 on the path; a peer that forces encapsulation fakes the hashes and looks the same.")),
    "lifetime-mismatch": Kind(NOTE, "Lifetime mismatch (RESPONDER-LIFETIME)", (
        "The responder accepted the proposal but has a shorter lifetime and says so with a RESPONDER-LIFETIME "
        "notify (RFC 2407 §4.6.3.1); both sides then use the shorter one. Harmless, but the rekeys come sooner "
        "than one side's configuration says.")),
    "not-logged": Kind(WARNING, "Packets the router never logged", (
        "IKE packets to or from the log's endpoint are in the capture but not in its log, within the span the "
        "log covers. One sent to the router never reached it (dropped on the path, by an ACL, a firewall or a "
        "NAT before it), or the router did not log it (a debug condition that excludes it, an excerpt that "
        "leaves it out); one the router itself sent is simply missing from the log (an incomplete excerpt).")),
    "not-captured": Kind(WARNING, "Logged packets missing from the capture", (
        "The log sent or received IKE packets that the capture does not hold, within the span the capture "
        "covers: the capture point does not see them (another interface or path, a NAT in between, a capture "
        "filter), or they were lost between the router and the capture point.")),
    "counter-mismatch": Kind(WARNING, "Router counters and the capture disagree", (
        "The router's packet counter for an SPI differs from the ESP packets the capture shows for it up to the "
        "moment of the counter: packets lost (or added) between the capture point and the router, or a capture "
        "that started late.")),
    "dpd": Kind(NOTE, "Dead Peer Detection", "R-U-THERE / R-U-THERE-ACK keepalives (RFC 3706) were exchanged."),
    "rekey": Kind(NOTE, "Rekeys", "The SAs were re-negotiated while the tunnel was up: new Quick Modes on the same "
                                  "IKE SA, or a new IKE SA with the same peer."),
    "deletes": Kind(NOTE, "SAs deleted", "SAs were deleted, with the reasons the logs or Delete payloads give."),
}

#: a generic finding that a more specific one makes redundant: generic -> the specific ones
SUPERSEDES: dict[str, tuple[str, ...]] = {
    "auth-failed": ("psk-mismatch", "cert-verify-failed", "no-psk"),
    # a side that could not install its SAs refuses the Quick Mode with NO_PROPOSAL_CHOSEN: the consequence
    "proposal-mismatch": ("pfs-mismatch", "sa-install-failed"),
    "dpd": ("dpd-timeout",),
}

#: phrases of the vendors' logs and the code each one points to: (code, a literal that must occur, lower
#: case, and the pattern that must then match, or None when the literal says it all).  Every record is
#: searched, with or without events: a phrase that no parser turned into an event still counts.  The
#: literal is the cheap test (``in``) that lets the millions of other lines of a debug pass at once.
TEXT_RULES: tuple[tuple[str, str, re.Pattern[str] | None], ...] = (
    ("psk-mismatch", "ikmp_bad_message", None),
    ("psk-mismatch", "failed its sanity check", None),
    ("psk-mismatch", "calculated hash does not match hash payload", None),
    ("psk-mismatch", "mismatched pre-shared key", None),
    ("psk-mismatch", "main mode packet with invalid payloads", None),
    ("psk-mismatch", "possible authentication failure", None),
    ("psk-mismatch", "but mac mismatched", None),
    ("psk-mismatch", "hash payload", re.compile(r"[Hh]ash payload (?:mismatch|is not correct|does not match)")),
    ("psk-mismatch", "auth", re.compile(r"AUTHENTICATION_FAILED|\bAUTH_FAILED\b|INVALID_HASH_INFORMATION")),
    ("no-psk", "no pre-shared key with", None),
    ("no-psk", "no cert or pre-shared address key", None),
    ("no-psk", "no shared key found for", None),
    ("no-psk", "shared key", re.compile(r"[Nn]o pre-?shared key (?:found|configured)|"
                                        r"[Cc]ould ?n[o']t find (?:a )?pre-?shared key")),
    ("id-mismatch", "no suitable connection for peer", None),
    ("proxy-id-mismatch", "crypto map policy not found", None),
    ("proxy-id-mismatch", "proxy identities not supported", None),
    ("proxy-id-mismatch", "inval", re.compile(r"INVALID_ID_INFORMATION|\bINVAL_ID\b")),
    ("proxy-id-mismatch", "ts_unaccept", None),
    ("proxy-id-mismatch", "no matching child_sa config found", None),
    ("proxy-id-mismatch", "no connection is known for", None),
    ("proxy-id-mismatch", "no matching crypto map entry", None),
    ("cert-verify-failed", "verify cert failed", None),
    ("cert-verify-failed", "no suitable trustpoints found", None),
    ("cert-verify-failed", "ev_cert_fail", None),
    ("cert-verify-failed", "certificate", re.compile(r"certificate (?:validation|verification) failed|"
                                                     r"[Cc]ertificate .{0,40}(?:expired|revoked)")),
    ("cert-verify-failed", "public key found", re.compile(r"no trusted \w* ?public key found")),
    ("cert-verify-failed", "constraint check failed", None),
    ("auth-failed", "authentication data failed", None),
    ("auth-failed", "ev_auth_fail", None),
    ("auth-failed", "authentication of", re.compile(r"authentication of '.*' with .* failed")),
    ("proposal-mismatch", "phase 1 sa policy not acceptable", None),
    ("proposal-mismatch", "found unacceptable", None),
    ("proposal-mismatch", "ipsec policy invalidated proposal", None),
    ("proposal-mismatch", "proposal found", re.compile(r"no (?:acceptable |IKE |CHILD_SA |matching )?proposal found")),
    ("proposal-mismatch", "received proposals are unacceptable", None),
    ("proposal-mismatch", "no acceptable oakley transform", None),
    ("sa-install-failed", "unable to install", re.compile(r"unable to install (?:inbound and outbound )?IPsec SA")),
    ("sa-install-failed", "unable to add sad entry", None),
    ("sa-install-failed", "ipsec sa", re.compile(r"[Ff]ailed to (?:install|create) (?:the )?IPsec SA")),
    ("invalid-cookie", "invalid_cookie", None),
    ("invalid-spi", "recvd_pkt_inv_spi", None),
    ("invalid-spi", "invalid spi", re.compile(r"has invalid spi|\bINVALID_SPI\b")),
    ("invalid-spi", "invalid_spi", re.compile(r"\bINVALID_SPI\b")),
    ("nat-detected", "detected port floating", None),
    ("nat-detected", "nat found", re.compile(r"(?<!No )NAT [Ff]ound")),
    ("nat-detected", "behind", re.compile(r"(?:local|remote) host is behind NAT|(?:Remote end|This end)\s+IS behind a NAT")),
    ("dpd-timeout", "dpd check timed out", None),
    ("dpd-timeout", "lost contact with remote peer", None),
    ("dpd-timeout", "death by retransmission", None),
    ("dpd-timeout", "dead peer detection", re.compile(r"[Dd]ead [Pp]eer [Dd]etection .{0,20}(?:timed? ?out|failed)")),
    ("dpd-timeout", "dpd", re.compile(r"DPD.{0,20}time ?out")),
    ("lifetime-mismatch", "lifetime", re.compile(r"RESPONDER[-_ ]LIFETIME")),
)

#: the codes whose phrases say IPsec SAs could not be installed
_INSTALL_FAILED = tuple(row for row in TEXT_RULES if row[0] == "sa-install-failed")

#: phrases that say more about a finding found otherwise: (a literal that must occur, lower case, the
#: code, the sentence added to its explanation)
HINTS: tuple[tuple[str, str, str], ...] = (
    ("use_transport_mode", "proposal-mismatch",
     "The initiator asked for transport mode (USE_TRANSPORT_MODE): check that both transform sets (or the IPsec "
     "profile) use the same mode."),
    ("use_transport_mode", "pfs-mismatch",
     "The initiator also asked for transport mode (USE_TRANSPORT_MODE): check the mode too."),
    ("peer does not do paranoid keepalives", "proposal-mismatch",
     "The peer deleted the IKE SA after refusing the proposal (IOS: `peer does not do paranoid keepalives`)."),
    ("peer does not do paranoid keepalives", "pfs-mismatch",
     "The peer deleted the IKE SA after refusing the proposal (IOS: `peer does not do paranoid keepalives`)."),
)


def _trie_pattern(words: Iterable[str]) -> str:
    """A regular expression that matches any of ``words`` (literals), as a trie: the words that share a
    prefix share one branch (``auth(?:entication\\ (?:data\\ failed|of))?``), so that at each position of
    a text the engine follows one branch instead of trying every word."""
    words = sorted(set(words))
    if words == [""]:
        return ""
    by_first: dict[str, list[str]] = {}
    for w in words:
        if w:
            by_first.setdefault(w[0], []).append(w[1:])
    branches = [re.escape(first) + _trie_pattern(rests) for first, rests in by_first.items()]
    either = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    return f"(?:{either})?" if "" in words else either


def _shortest(words: Iterable[str]) -> list[str]:
    """The words that hold no other word: a text holds one of ``words`` if and only if it holds one of these."""
    words = set(words)
    return [w for w in words if not any(v != w and v in w for v in words)]


#: every literal of TEXT_RULES and HINTS, in one pattern searched in the lower-cased text: a record that
#: holds none is passed over at once
_NEEDLES = re.compile(_trie_pattern(_shortest([row[1] for row in TEXT_RULES] + [row[0] for row in HINTS])))


#: the record families whose text the phrases are looked for in (prose, a README, typed commands are not)
_LOG_FAMILIES = frozenset({"ios", "asa", "strongswan", "libreswan", "show"})


def _packet_line(step: Step) -> list[Event]:
    """The events that name a step's message: its packet line and charon's summary line (``generating
    ID_PROT request 0 [ ID HASH N(INITIAL_CONTACT) ]``), else its first line (a sent step may begin with
    the lines that built the message)."""
    named = [e for e in step.events if e.kind == "packet" or (e.kind == "payload" and e.exchange)]
    return named[:2] or step.events[:1]


def _phrases(text: str, rows) -> list:
    """The rows of :data:`TEXT_RULES` (or rows like them) whose phrase is in a text."""
    low = text.lower()
    return [row for row in rows if row[1] in low and (row[2] is None or row[2].search(text))]


#: notify types (any log's spelling, normalised by :func:`notify_name`) -> code.  INVALID_KE_PAYLOAD is
#: not one: it asks an IKEv2 initiator to retry with another DH group (RFC 7296 §1.2), which it normally does
NOTIFY_CODES: dict[str, str] = {
    "NO_PROPOSAL_CHOSEN": "proposal-mismatch",
    "INVALID_ID_INFORMATION": "proxy-id-mismatch", "TS_UNACCEPTABLE": "proxy-id-mismatch",
    "AUTHENTICATION_FAILED": "psk-mismatch", "INVALID_HASH_INFORMATION": "psk-mismatch",
    "INVALID_COOKIE": "invalid-cookie", "INVALID_SPI": "invalid-spi",
    "RESPONDER_LIFETIME": "lifetime-mismatch",
}
#: the short names strongSwan prints in payload lists (``N(PLD_MAL)``), and other spellings
_NOTIFY_ALIASES = {
    "PROPOSAL_NOT_CHOSEN": "NO_PROPOSAL_CHOSEN", "NO_PROP": "NO_PROPOSAL_CHOSEN", "PLD_MAL": "PAYLOAD_MALFORMED",
    "INVAL_ID": "INVALID_ID_INFORMATION", "AUTH_FAILED": "AUTHENTICATION_FAILED", "INVAL_KE": "INVALID_KE_PAYLOAD",
    "TS_UNACCEPT": "TS_UNACCEPTABLE", "INVAL_HASH": "INVALID_HASH_INFORMATION", "INVAL_SPI": "INVALID_SPI",
    "DPD": "R_U_THERE", "DPD_ACK": "R_U_THERE_ACK", "RESP_LIFETIME": "RESPONDER_LIFETIME",
    "INVALID_IKE_SPI": "INVALID_COOKIE",
}
_PAYLOAD_NOTIFY = re.compile(r"(?:N|NOTIFY)\((?P<n>[A-Z0-9_\-]+)")

#: log errors (``Event.detail["error"]``) that say a message could not be decrypted
_DECRYPT_ERRORS = frozenset({"decryption failed", "integrity check failed", "invalid payloads"})


@dataclass
class Finding:
    """One finding (see the module doc).

    code         a key of :data:`CATALOG`
    severity     ``error`` (a failure), ``warning`` or ``note``
    title        one line; ``explanation`` a few sentences
    frames       capture frame numbers (1-based, as Wireshark numbers them)
    log          :class:`LogRef` objects, in file and line order
    detail       extra facts by name: ``phase`` (1 or 2), ``offered``/``local``/``chosen`` proposals side by
                 side, ``peers``, counts...; ``evidence`` counts of all frames and log lines found (the lists
                 keep the first :data:`MAX_FRAMES` / :data:`MAX_LOG_REFS`)
    """
    code: str
    severity: str
    title: str
    explanation: str
    frames: list[int] = field(default_factory=list)
    log: list[LogRef] = field(default_factory=list)
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def failure(self) -> bool:
        """Whether this finding is a failure (severity ``error``), not a warning or a note."""
        return self.severity == ERROR

    def text_lines(self, width: int = 100) -> list[str]:
        """The finding below its title, as plain lines of at most ``width`` characters (a longer word
        stays whole): the explanation, the details that say something (proposals side by side, counts,
        reasons), then the evidence: frames, and log lines per file (``+N more`` when the lists were cut)."""
        lines = textwrap.wrap(self.explanation, width) or []
        for key, label in _DETAIL_LABELS:
            value = self.detail.get(key)
            if value is None or value == [] or value == {} or self._counted_twice(key):
                continue
            if isinstance(value, dict):
                value = ", ".join(f"{k}: {v}" for k, v in value.items())
            elif isinstance(value, list):
                value = "; ".join(str(v) for v in value)
            elif value is True:
                value = "yes"
            lines += textwrap.wrap(f"{label}: {value}", width, subsequent_indent="  ")
        counts = self.detail.get("evidence") or {}
        if self.frames:
            more = counts.get("frames", 0) - len(self.frames)
            lines += textwrap.wrap("frames: " + ", ".join(map(str, self.frames)) + (f" (+{more} more)" if more > 0
                                                                                      else ""), width,
                                   subsequent_indent="  ")
        by_file: dict[str, list[int]] = {}
        for r in self.log:
            by_file.setdefault(r.file, []).append(r.line)
        for file, numbers in by_file.items():
            lines += textwrap.wrap(f"{file}: line{'s' if len(numbers) > 1 else ''} " + ", ".join(map(str, numbers)),
                                   width, subsequent_indent="  ")
        more = counts.get("log_lines", 0) - len(self.log)
        if more > 0:
            lines.append(f"(+{more} more log lines)")
        return lines

    def _counted_twice(self, key: str) -> bool:
        """The capture's R-U-THERE count when a log already counted the same messages as sent or received."""
        return key == "r_u_there" and self.detail[key] in (self.detail.get("r_u_there_sent"),
                                                            self.detail.get("r_u_there_received"))

    def to_dict(self) -> dict[str, Any]:
        """The JSON object of a finding: code, severity, title, explanation, frames, log [{file, line,
        last_line, text}], detail."""
        return {"code": self.code, "severity": self.severity, "title": self.title,
                "explanation": self.explanation, "frames": list(self.frames),
                "log": [r.to_dict() for r in self.log], "detail": dict(self.detail)}


# --------------------------------------------------------------------------- building findings

class _Collector:
    """Findings by code while the rules run: evidence is added to the one finding of its code."""

    def __init__(self) -> None:
        self.by_code: dict[str, Finding] = {}
        self._frames: dict[str, set[int]] = {}
        self._refs: dict[str, set[tuple[str, int]]] = {}

    def add(self, code: str, records: Iterable[Record] = (), frames: Iterable[int] = (), title: str | None = None,
            more: str = "", severity: str | None = None, sums: dict[str, Any] | None = None,
            explanation: str | None = None, **detail: Any) -> Finding:
        """Evidence for ``code``: log records, frames, a more specific title, a sentence for the explanation,
        details (a list joins the list already there; another value is kept if none is), and ``sums``:
        counts added to those of earlier evidence (an int, or a dict of ints); ``explanation``: the words to
        use instead of the catalog's (IKEv2's terms), when the finding still has the catalog's."""
        f = self.by_code.get(code)
        if f is None:
            kind = CATALOG[code]
            f = self.by_code[code] = Finding(code, severity or kind.severity, title or kind.title,
                                             explanation or kind.explanation)
            self._frames[code], self._refs[code] = set(), set()
        elif title and f.title == CATALOG[code].title:
            f.title = title
        if explanation and f.explanation.startswith(CATALOG[code].explanation):
            f.explanation = explanation + f.explanation[len(CATALOG[code].explanation):]
        wanted = severity or CATALOG[code].severity
        if _RANK[wanted] < _RANK[f.severity]:
            f.severity = wanted
        if more and more not in f.explanation:
            f.explanation += " " + more
        for r in records:
            key = (r.file, r.line)
            if key not in self._refs[code]:
                self._refs[code].add(key)
                if len(f.log) < MAX_LOG_REFS:
                    f.log.append(LogRef.of(r))
                else:
                    _widen(f.log, LogRef.of(r))
        for n in frames:
            if n not in self._frames[code]:
                self._frames[code].add(n)
                if len(f.frames) < MAX_FRAMES:
                    f.frames.append(n)
        for k, v in detail.items():
            if v is None:
                continue
            if isinstance(v, list) and isinstance(f.detail.get(k), list):
                f.detail[k].extend(x for x in v if x not in f.detail[k])
            else:
                f.detail.setdefault(k, v)
        for k, v in (sums or {}).items():
            if isinstance(v, dict):
                total = f.detail.setdefault(k, {})
                for name, n in v.items():
                    total[name] = total.get(name, 0) + n
            elif v:
                f.detail[k] = f.detail.get(k, 0) + v
        return f

    def result(self) -> list[Finding]:
        out = []
        for code, f in self.by_code.items():
            f.log.sort(key=lambda r: (r.file, r.line))
            f.frames.sort()
            f.detail["evidence"] = {"frames": len(self._frames[code]), "log_lines": len(self._refs[code])}
            _nat_verdict(f)
            out.append(f)
        return _ordered(_superseded(out))


def _widen(refs: list[LogRef], new: LogRef) -> None:
    """``refs`` full (:data:`MAX_LOG_REFS`): ``new`` takes the place of the last of a text cited more than
    once, when its own text is not cited yet, so that the lines kept show every kind of evidence (a log of
    many sessions repeats its NAT-D lines before the line that says the ports floated)."""
    texts = [" ".join(r.text.split()) for r in refs]
    if " ".join(new.text.split()) in texts:
        return
    seen: dict[str, int] = {}
    for t in texts:
        seen[t] = seen.get(t, 0) + 1
    for i in range(len(refs) - 1, -1, -1):
        if seen[texts[i]] > 1:
            refs[i] = new
            return


def _superseded(findings: list[Finding]) -> list[Finding]:
    codes = {f.code for f in findings}
    return [f for f in findings if not any(c in codes for c in SUPERSEDES.get(f.code, ()))]


def _ordered(findings: list[Finding]) -> list[Finding]:
    """Failures first, then warnings, then notes; within a severity, in :data:`CATALOG` order."""
    order = {code: i for i, code in enumerate(CATALOG)}
    return sorted(findings, key=lambda f: (_RANK.get(f.severity, 3), order.get(f.code, 99)))


def notify_name(text: str) -> str:
    """A notify type as the logs write it, in one spelling: ``PROPOSAL_NOT_CHOSEN``, ``N(NO_PROP)`` and
    ``NO-PROPOSAL-CHOSEN`` are all ``NO_PROPOSAL_CHOSEN``; ``R-U-THERE`` is ``R_U_THERE``."""
    name = re.sub(r"\(\d+\)$", "", text.strip()).upper().replace("-", "_").replace(" ", "_")
    return _NOTIFY_ALIASES.get(name, name)


def _notifies(e: Event) -> list[str]:
    """The notify types an event names: its ``detail["notify"]`` and the ``N(...)`` of its payload list."""
    n = e.detail.get("notify")
    if not n and not e.payloads:
        return []
    out = [notify_name(n)] if isinstance(n, str) and n else []
    for p in e.payloads:
        m = _PAYLOAD_NOTIFY.match(p) if "(" in p else None
        if m:
            out.append(notify_name(m["n"]))
    return out


#: id(step) -> the (event, notify types) of its events that name notifies, in order (:func:`_step_notifies`)
_Notes = dict[int, list[tuple[Event, list[str]]]]


def _step_notifies(steps: Iterable[Step]) -> _Notes:
    """The notifies (:func:`_notifies`) of each step's events, read once for all the rules that need them."""
    out: _Notes = {}
    for step in steps:
        named = [(e, names) for e in step.events if (e.payloads or e.detail.get("notify")) and (names := _notifies(e))]
        if named:
            out[id(step)] = named
    return out


# --------------------------------------------------------------------------- log rules

def findings_from_log(events: Iterable[Event], records: Iterable[Record] = (),
                      tl: Timeline | None = None) -> list[Finding]:
    """The findings that logs alone support (module doc).

    ``events`` in log order (one or more files); ``records``: the logs' records, so that phrases no
    parser turned into an event are read too (those of the events are read in any case); ``tl`` the
    timeline of these events when already made (:func:`correlate.logonly.analyse` makes it of the events
    in the order of their stamps, :func:`correlate.logonly.in_stamp_order`, and so does this function when
    ``tl`` is None: a line that a daemon's thread wrote late does not change what is counted, such as
    retransmissions).  Returns the findings, failures first."""
    # the rules keep what they read to the end: the cyclic collector waits (dissect/gcpolicy.py)
    with paused_collector():
        return _log_rules(list(events), records, tl)


def _log_rules(events: list[Event], records: Iterable[Record], tl: Timeline | None) -> list[Finding]:
    """:func:`findings_from_log` with the collector paused."""
    tl = tl if tl is not None else make_timeline(in_stamp_order(events))
    c = _Collector()
    hints = _text_rules(c, tl, events, records)
    failed_install = {step.sa for step in tl.steps if step.sa is not None
                      and any(_phrases(e.record.text, _INSTALL_FAILED) for e in step.events if e.kind == "error")}
    notes = _step_notifies(tl.steps)
    for step in tl.steps:
        _step_rules(c, tl, step, notes.get(id(step), []), step.sa in failed_install)
    for sa in tl.sas:
        steps = [tl.steps[i] for i in sa.steps]
        _sa_rules(c, steps, notes, sa.role)
    _status_rules(c, events)
    _rekeys(c, tl)
    _peer_rules(c, tl)
    for code, sentence, record in hints:
        if code in c.by_code:
            c.add(code, [record], more=sentence)
    found = c.result()
    _later_success(found, tl)
    return found


#: phase 1 failures that a later IKE SA with the peer, established in the same log, shows were overcome
_PHASE1_FAILURES = frozenset({"no-psk", "psk-mismatch", "auth-failed", "cert-verify-failed"})


def _later_success(found: list[Finding], tl: Timeline) -> None:
    """A phase 1 failure after which the same log shows phase 1 complete (MM6 or AM3 with the same peer, or
    any when the failure names none) says so: the failure was fixed in between (a key added, say) or passing.
    It stays a failure: the log shows it happened."""
    for f in found:
        if f.code not in _PHASE1_FAILURES or not f.log:
            continue
        last = max(f.log, key=lambda r: (r.file, r.last_line))
        done = next((s for s in tl.steps if s.role in ("MM6", "AM3") and s.events and not s.implied
                     and s.file == last.file and s.first_line > last.last_line), None)
        if done is None:
            continue
        f.detail["later"] = f"{done.file}:{done.first_line}"
        f.explanation += (f" Later in the same log phase 1 completed ({done.role} at line {done.first_line}): the "
                          "cause was removed in between (a key added, a configuration changed), or it was passing.")


def _step_index(tl: Timeline, wanted: set[int]) -> dict[int, Step]:
    """id(record) -> the (first) step whose events come from that record, for the records of ``wanted``
    (ids: the few a phrase was found in, so that the look-ups stay in a small set)."""
    if not wanted:
        return {}
    return {id(e.record): step for step in reversed(tl.steps) for e in step.events if id(e.record) in wanted}


def _text_rules(c: _Collector, tl: Timeline, events: list[Event],
                records: Iterable[Record]) -> list[tuple[str, str, Record]]:
    """:data:`TEXT_RULES` over every record once, each phrase refined by the message of its line
    (:func:`_step_index`); returns the :data:`HINTS` found, for the end."""
    found = [(r, list(dict.fromkeys(row[0] for row in _phrases(r.text, TEXT_RULES))))
             for r in _needle_records(events, records)]
    index = _step_index(tl, {id(r) for r, codes in found if codes})
    hints: list[tuple[str, str, Record]] = []
    for r, codes in found:
        for code in codes:
            _text_hit(c, tl, code, r, index.get(id(r)))
        low = r.text.lower()
        hints += [(code, sentence, r) for needle, code, sentence in HINTS if needle in low]
    return hints


def _needle_records(events: list[Event], records: Iterable[Record]) -> list[Record]:
    """The records of the vendors' logs (:data:`_LOG_FAMILIES`) whose text holds a literal of
    :data:`TEXT_RULES` or :data:`HINTS` (:data:`_NEEDLES`), each once (an event's record is the same
    object as the log's), the events' first, in order."""
    firsts = {id(r): r for r in (e.record for e in events)}
    rest = {id(r): r for r in records if id(r) not in firsts}
    search = _NEEDLES.search
    return [r for r in chain(firsts.values(), rest.values())
            if r.family in _LOG_FAMILIES and r.text and search(r.text.lower())]


def _text_hit(c: _Collector, tl: Timeline, code: str, r: Record, step: Step | None) -> None:
    """A phrase of :data:`TEXT_RULES` in a record, refined by the message it is about (:func:`_named`)."""
    _named(c, tl, code, r, step)


def _named(c: _Collector, tl: Timeline, code: str, r: Record, step: Step | None, direction: str | None = None,
           install_failed: bool = False) -> None:
    """Evidence for a code that a log line names (a phrase or a notify), made precise by its message:

    * a refused proposal: phase 1 or 2 (:func:`_phase_of`); PFS when the refused Quick Mode shows it; a
      warning when the negotiation completed after it anyway; the consequence of SAs that could not be
      installed when this side sends it after such a failure; refused after QM2 when it answers QM2;
    * INVALID_ID_INFORMATION during phase 1 is the peer's identity, not its proxy IDs."""
    if code == "proposal-mismatch":
        if install_failed and direction == "out":
            c.add("sa-install-failed", [r])
            return
        phase = _phase_of(step, r.text)
        refused = _refused_exchange(tl, step)
        if phase == 2 and _pfs_evidence(refused):
            c.add("pfs-mismatch", [r], phase=2)
            return
        past = _got_past(tl, step, phase)
        # PROPOSAL_NOT_CHOSEN in Quick Mode: a TAC engineer checks the transform set and PFS (`set pfs`) on both
        # peers, and the mode when transport mode was asked for; a log of one side cannot tell them apart
        # (IKEv2's first child SA, in IKE_AUTH, does no Diffie-Hellman: PFS is a suspect only in CREATE_CHILD_SA)
        pfs = not _ikev2(step) or any(e.exchange == "CREATE_CHILD_SA" for s in refused for e in s.events)
        suspects = ("transform set",) + (("PFS",) if pfs else ()) + (("mode",) if _transport_mode_asked(refused) else ())
        title = _AFTER_QM2 if phase == 2 and _previous_role(tl, step) == "QM2" else \
            _proposal_title(phase, _ikev2(step), suspects)
        c.add(code, [r], title=title, phase=phase, severity=WARNING if past else None,
              more="The negotiation went on and completed after this refusal." if past else "",
              explanation=_proposal_words(_ikev2(step)))
        return
    if code == "proxy-id-mismatch" and "INVAL" in r.text.upper() and _in_phase1(tl, step, r.text):
        c.add("id-mismatch", [r])
        return
    c.add(code, [r])


def _in_phase1(tl: Timeline, step: Step | None, text: str) -> bool:
    """Whether a line is positively about phase 1: it names Main or Aggressive Mode (libreswan's
    ``STATE_MAIN_R2``), or its message is one before phase 1's last (after MM6 or AM3 a line may be about
    what comes next), and it names no Quick Mode."""
    if _PHASE2_WORDS.search(text):
        return False
    if _PHASE1_WORDS.search(text):
        return True
    return step is not None and step.role in ("MM1", "MM2", "MM3", "MM4", "MM5", "AM1", "AM2")


#: phase 1 under way (libreswan's states before STATE_MAIN_I4/R3 and STATE_AGGR_I2/R2, which say it is done)
_PHASE1_WORDS = re.compile(r"MAIN_I[1-3]\b|MAIN_R[0-2]\b|AGGR_I1\b|AGGR_R[01]\b|[Mm]ain [Mm]ode|[Aa]ggressive [Mm]ode|"
                           r"ID_PROT|\bMM_")
_PHASE2_WORDS = re.compile(r"protocol\s+[23]\b|IPSec|IPsec SA|CHILD_SA|QUICK|[Qq]uick [Mm]ode")


def _phase_of(step: Step | None, text: str = "") -> int:
    """1 or 2: the phase a proposal problem is about, from its message (Quick Mode, IKEv2's IKE_AUTH or
    CREATE_CHILD_SA: the child SA) or the protocol of its notify (IOS ``protocol 3`` is ESP)."""
    if _PHASE2_WORDS.search(text):
        return 2
    if step is None:
        return 1
    if step.role.startswith(("QM", "IKE_AUTH", "CREATE_CHILD_SA")):
        return 2
    if step.role == "INFO" and step.message_id not in (0, None):
        return 2
    if any(e.detail.get("phase") == 2 for e in step.events if e.kind == "proposal"):
        return 2
    return 1


def _refused_exchange(tl: Timeline, step: Step | None) -> list[Step]:
    """The messages of the exchange a refusal is about, the refusal's own included: those of its message
    ID before it in its IKE SA (IKEv2's request, a Quick Mode refused in place), and for an IKEv1
    Informational (a notify under a message ID of its own) the latest Quick Mode's before it."""
    if step is None:
        return []
    if step.sa is None:
        return [step]
    steps = [tl.steps[i] for i in tl.sas[step.sa].steps]
    upto = steps[:next((i for i, s in enumerate(steps) if s is step), len(steps) - 1) + 1]
    mid = step.message_id
    if step.role == "INFO":
        mid = next((s.message_id for s in reversed(upto) if s.role.startswith("QM")), mid)
    return [s for s in upto if s is step or (mid not in (None, 0) and s.message_id == mid)]


def _pfs_evidence(steps: Iterable[Step]) -> bool:
    """Whether the exchange a rejection is about (:func:`_refused_exchange`) shows PFS: a KE payload in a
    Quick Mode or CREATE_CHILD_SA message, a DH group among its IPsec proposal's attributes or proposals
    (strongSwan ``ESP:.../MODP_2048``)."""
    for e in (e for step in steps for e in step.events):
        if e.exchange in ("QUICK_MODE", "CREATE_CHILD_SA") and "KE" in e.payloads:
            return True
        if e.kind == "proposal" and ("group" in e.detail and e.detail.get("phase") != 1):
            return True
        props = e.detail.get("proposals")
        if isinstance(props, list) and any(str(p).startswith(("ESP", "AH")) and re.search(r"MODP|ECP|CURVE", str(p))
                                           for p in props):
            return True
    return False


def _transport_mode_asked(steps: Iterable[Step]) -> bool:
    """Whether the refused exchange asked for transport mode (a USE_TRANSPORT_MODE notify, RFC 7296 §1.3.1)."""
    return any("USE_TRANSPORT_MODE" in _notifies(e) or "USE_TRANSPORT_MODE" in e.record.text
               for step in steps for e in step.events)


def _proposal_title(phase: int, ikev2: bool = False, suspects: Iterable[str] = ("transform set",)) -> str:
    """The title of a refused proposal.  In phase 2 it names the suspects: the transform set and PFS (one
    side's log cannot tell them apart), the mode when the exchange asked for transport mode (a refused
    exchange that shows PFS is a finding of its own: ``pfs-mismatch``)."""
    names = list(suspects)
    what = ", ".join(names[:-1]) + " or " + names[-1] if len(names) > 1 else names[0]
    if ikev2:
        return (f"Child SA proposal rejected (NO_PROPOSAL_CHOSEN): {what} mismatch" if phase == 2
                else "IKE SA proposal mismatch (NO_PROPOSAL_CHOSEN in IKE_SA_INIT)")
    return (f"Phase 2 proposal rejected (PROPOSAL_NOT_CHOSEN): {what} mismatch" if phase == 2 else
            "Phase 1 proposal mismatch (no acceptable ISAKMP policy)")


#: the proposal mismatch in IKEv2's terms (RFC 7296 §2.7, §3.10.1)
_PROPOSAL_V2 = (
    "The responder found none of the initiator's proposals acceptable (NO_PROPOSAL_CHOSEN): for the IKE SA "
    "(IKE_SA_INIT) the encryption, integrity, PRF or DH group differ (`crypto ikev2 proposal`, selected by "
    "`crypto ikev2 policy`); for a child SA (IKE_AUTH, CREATE_CHILD_SA) the transform set, its mode "
    "(tunnel/transport) or, in CREATE_CHILD_SA, the PFS group differ (`crypto ipsec transform-set`, `set pfs` in "
    "the IPsec profile or crypto map). Compare both sides' proposals (listed below when the logs or the capture "
    "show them).")


def _proposal_words(ikev2: bool) -> str | None:
    """The explanation of a refused proposal in the IKE version's terms (None: the catalog's, IKEv1's)."""
    return _PROPOSAL_V2 if ikev2 else None


def _ikev2(step: Step | None) -> bool:
    return step is not None and (step.role.startswith(("IKE_", "CREATE_CHILD_SA", "INFORMATIONAL"))
                                 or any(e.facility == "IKEv2" for e in step.events[:1]))


def _step_rules(c: _Collector, tl: Timeline, step: Step, notes: list[tuple[Event, list[str]]],
                install_failed: bool = False) -> None:
    """Rules about one message: its notifies (``notes``: its events that name some, :func:`_step_notifies`;
    a NO_PROPOSAL_CHOSEN this side sends after its own SAs could not be installed is that failure's
    consequence), strongSwan's and IOS's proposal checks."""
    if step.duplicate_of is not None:
        return
    checks = [e for e in step.events if e.kind == "proposal" and "acceptable" in e.detail]
    if checks and not any(e.detail["acceptable"] for e in checks):
        reasons = [e for e in step.events if e.kind == "error" and "match policy" in e.message]
        offered = _ios_offered(step)
        c.add("proposal-mismatch", [e.record for e in checks + reasons],
              title=_proposal_title(_phase_of(step), _ikev2(step)), explanation=_proposal_words(_ikev2(step)),
              phase=_phase_of(step), offered=offered or None,
              local=[e.message for e in reasons] or None)
    offered = [e for e in step.events if e.kind == "proposal" and isinstance(e.detail.get("proposals"), list)]
    roles = {e.detail.get("role") for e in offered}
    if "received" in roles and "configured" in roles and "selected" not in roles and not _proposals_shared(offered):
        _strongswan_proposals(c, step, offered[-1])
    for e, names in notes:
        for n in names:
            code = NOTIFY_CODES.get(n)
            if n == "PAYLOAD_MALFORMED" and _in_phase1_after_mm5(tl, step):
                code = "psk-mismatch"
            if code is not None:
                _named(c, tl, code, e.record, step, e.direction or step.direction, install_failed)


_AFTER_QM2 = "Quick Mode refused after QM2: the initiator could not accept or install the SAs the responder chose"


def _previous_role(tl: Timeline, step: Step) -> str:
    """The role of the IKE SA's message before this one (what a notify answers)."""
    if step.sa is None:
        return ""
    steps = [tl.steps[i] for i in tl.sas[step.sa].steps]
    i = next((i for i, s in enumerate(steps) if s is step), 0)
    return next((s.role for s in reversed(steps[:i]) if s.role != "INFO"), "")


def _got_past(tl: Timeline, step: Step, phase: int) -> bool:
    """Whether the IKE SA of a refused proposal completed that phase after it anyway (a transient refusal)."""
    if step.sa is None:
        return False
    steps = [tl.steps[i] for i in tl.sas[step.sa].steps]
    after = steps[next((i for i, s in enumerate(steps) if s is step), len(steps)) + 1:]
    done = ("QM2", "QM3", "IKE_AUTH response", "CREATE_CHILD_SA response") if phase == 2 else \
        ("MM6", "AM3", "IKE_AUTH request")
    return any(s.role in done and not s.implied for s in after) and not (
        phase == 2 and step.role.startswith("IKE_AUTH"))


def _ios_offered(step: Step) -> list[str]:
    """IOS's phase 1 policy checks: ``transform N against policy P: encryption 3DES-CBC, hash SHA, ...``."""
    out: list[str] = []
    current: list[str] = []
    head = ""
    for e in step.events:
        if e.kind != "proposal":
            continue
        if "policy" in e.detail or "proposal" in e.detail:
            if head:
                out.append(head + (": " + ", ".join(current) if current else ""))
            head, current = e.message, []
        elif "acceptable" not in e.detail:
            current.append(e.message)
    if head:
        out.append(head + (": " + ", ".join(current) if current else ""))
    return out


def _proposals_shared(events: list[Event]) -> bool:
    """Whether a proposal received is one configured (strongSwan's ``received proposals:`` and ``configured
    proposals:`` lines): then charon selects it, and a ``selected proposal`` line missing from this step
    (a log whose threads wrote out of order, one cut short) is no refusal."""
    def of(role: str) -> set[str]:
        return {str(p) for e in events if e.detail.get("role") == role for p in e.detail["proposals"]}
    return bool(of("received") & of("configured"))


def _strongswan_proposals(c: _Collector, step: Step, error: Event) -> None:
    """strongSwan's ``no acceptable proposal found``, with the received and configured proposals side by side."""
    received: list[str] = []
    configured: list[str] = []
    records = [error.record]
    for e in step.events:
        if e.kind == "proposal" and isinstance(e.detail.get("proposals"), list):
            (received if e.detail.get("role") == "received" else configured).extend(e.detail["proposals"])
            records.append(e.record)
    phase = 2 if any(str(p).startswith(("ESP", "AH")) for p in received + configured) else _phase_of(step)
    groups = [bool(re.search(r"MODP|ECP|CURVE", str(p))) for p in (received, configured)]
    if phase == 2 and received and configured and groups[0] != groups[1]:
        c.add("pfs-mismatch", records, phase=2, offered=received, local=configured)
        return
    c.add("proposal-mismatch", records, title=_proposal_title(phase, _ikev2(step)), phase=phase,
          explanation=_proposal_words(_ikev2(step)),
          offered=received or None,
          local=configured or None)


def _in_phase1_after_mm5(tl: Timeline, step: Step) -> bool:
    if step.sa is None:
        return False
    roles = [tl.steps[i].role for i in tl.sas[step.sa].steps]
    return "MM5" in roles and "MM6" not in roles


_MM5_AGAIN_SHORT = "Here MM5 was sent again and no MM6 came back."
# (two sentences: merged with a log's finding, which says the first one too, each is kept once)
_MM5_AGAIN = (_MM5_AGAIN_SHORT + " The other cause to rule out is an MM5 that never reaches the peer (with "
              "certificates a large MM5 is fragmented, and fragments get dropped).")
#: what the capture alone cannot tell, and how to make it tell
_GIVE_KEYS = ("Give the keys to check the hashes: `--keys LOG` with a strongSwan charon log of either peer at "
              "loglevel 4 (it holds the DH secret and the nonces), or `--psk` with one peer's pre-shared key.")


def _undecrypted(steps: list[tuple[Step, list[Event]]], sa_role: str) -> list[str]:
    """One sentence per message (role and direction) that could not be decrypted: who (the log's device,
    by its part in the IKE SA), which message, how often, and where the log says so."""
    by_message: dict[tuple[str, str | None], list[Event]] = {}
    for step, bad in steps:
        by_message.setdefault((step.role, step.direction), []).append(bad[0])
    out = []
    who = f"the {sa_role}" if sa_role else "this side"
    for (role, direction), errors in by_message.items():
        what = ("the Informational" if role == "INFO" else f"the {role}") + (
            " it received" if direction != "out" else " it sent") + (" after MM5" if role == "INFO" else "")
        times = f" ({len(errors)} times)" if len(errors) > 1 else ""
        r = errors[0].record
        out.append(f"Here {who} could not decrypt {what} with its keys{times} ({r.file}:{r.line}: "
                   f"{errors[0].detail.get('error')}).")
    return out


def _sa_rules(c: _Collector, steps: list[Step], notes: _Notes, sa_role: str = "") -> None:
    """Rules about one IKE SA's messages: PSK mismatch from the order of MM5/MM6 and from decryption
    failures in phase 1, INVALID_COOKIE at MM_WAIT_MSG4, retransmissions, NAT-T, DPD, rekeys, deletes
    (``notes``: the steps' notifies, :func:`_step_notifies`; ``sa_role``: the log's device's part in the
    IKE SA, "initiator", "responder" or "")."""
    real = [s for s in steps if s.duplicate_of is None]
    roles = [s.role for s in real if not s.implied]
    phase1_done = any(r in ("MM6", "AM3") for r in roles) or any(
        e.kind == "sa_created" or (e.kind == "state" and e.state in ("IKE_P1_COMPLETE", "ESTABLISHED"))
        for s in real for e in s.events)
    undecrypted = [] if phase1_done else [
        (s, [e for e in s.events if e.kind == "error" and e.detail.get("error") in _DECRYPT_ERRORS]) for s in real
        if s.role in ("MM5", "MM6", "AM3") or (s.role == "INFO" and "MM5" in roles)]
    undecrypted = [(s, bad) for s, bad in undecrypted if bad]
    for sentence in _undecrypted(undecrypted, sa_role):
        c.add("psk-mismatch", [e.record for _s, bad in undecrypted for e in bad], more=sentence)
    mm5 = [s for s in real if s.role == "MM5"]
    if len(mm5) > 1 and "MM6" not in roles and not phase1_done:
        c.add("psk-mismatch", [e.record for s in mm5 for e in _packet_line(s)],
              more=_MM5_AGAIN_SHORT if undecrypted else _MM5_AGAIN)
    _invalid_cookie(c, real, notes)
    _retransmissions(c, real)
    _nat(c, real)
    _dpd(c, real, notes)
    _deletes(c, real)


def _invalid_cookie(c: _Collector, steps: list[Step], notes: _Notes) -> None:
    for i, s in enumerate(steps):
        hits = [e for e, names in notes.get(id(s), ()) if "INVALID_COOKIE" in names]
        if not hits:
            continue
        before = [x for x in steps[:i] if x.role.startswith("MM") and not x.implied]
        waiting = before and before[-1].role == "MM3" and before[-1].direction == "out"
        title = "INVALID_COOKIE from the peer at MM_WAIT_MSG4 (after our MM3)" if waiting else \
            "INVALID_COOKIE from the peer"
        c.add("invalid-cookie", [e.record for e in hits], title=title,
              stuck_at="MM_WAIT_MSG4" if waiting else None)


#: what a resent MM5 most often means
_MM5_RESENT = "With a PSK mismatch the responder cannot decrypt MM5, so the initiator resends it."


def _retransmissions(c: _Collector, steps: list[Step]) -> None:
    resent = [s for s in steps if s.retransmission]
    notes = [e for s in steps for e in s.events
             if (e.kind == "info" and isinstance(e.detail.get("retransmit"), int))
             or (e.kind == "error" and e.detail.get("error") == "peer not responding")]
    if not resent and not notes:
        return
    counts = Counter(s.role for s in resent if s.role)
    records = [e.record for s in resent for e in _packet_line(s)] + [e.record for e in notes]
    c.add("retransmissions", records, sums={"resent": dict(counts)},
          more=_MM5_RESENT if counts.get("MM5") else "")
    answered = {s.role for s in steps if s.direction == "in" and not s.implied}
    first = {"MM1": "MM2", "AM1": "AM2", "IKE_SA_INIT request": "IKE_SA_INIT response"}
    for role, answer in first.items():
        if counts.get(role) and answer not in answered and any(s.role == role and s.direction == "out" for s in steps):
            c.add("no-response", records, title=f"The peer does not answer {role}")


def _nat(c: _Collector, steps: list[Step]) -> None:
    """NAT-T from a log: its lines that say an end is behind NAT (``nat_d_mismatch``: the addresses whose NAT-D
    hash did not match, :func:`_nat_verdict`) and IKE moving from UDP 500 to 4500."""
    records = []
    ports = []
    claims: set[str] = set()
    for s in steps:
        for e in s.events:
            if e.kind == "packet" and (e.peer_port or e.local_port):
                ports.append((e.peer_port, e.local_port, e.record))
            d = e.detail
            if ("nat_t" in d or "nat" in d or "nat_detection" in d) and (
                    d.get("nat_t") or d.get("nat") in ("local", "remote", "both") or d.get("nat_detection")):
                if "NOT behind" not in e.message or "IS behind" in e.message:
                    records.append(e.record)
                    claims |= {"local", "remote"} if d.get("nat") == "both" else {d.get("nat")} - {None}
    floated = [r for (pp, lp, r) in ports if 4500 in (pp, lp)]
    started = any(500 in (pp, lp) for (pp, lp, _r) in ports)
    if records or (floated and started):
        c.add("nat-detected", records + floated[:1], port_floating=bool(floated and started) or None,
              nat_d_mismatch=_ends(steps, claims) or None)


def _ends(steps: list[Step], claims: set[str]) -> list[str]:
    """The addresses a log says are behind NAT ("local": the log's device, "remote": its peer), its name
    where the log does not give the address."""
    local = next((e.local for s in steps for e in s.events if e.local), None)
    peer = next((s.peer for s in steps if s.peer), None)
    file = steps[0].file if steps else "the log"
    names = {"local": local or f"this side ({file})", "remote": peer or f"the peer of {file}"}
    return [names[k] for k in ("local", "remote") if k in claims]


#: the title and explanation of NAT-T when both ends' NAT-D hashes fail to match
_NAT_BOTH = ("NAT-T in use: NAT-D mismatch on both sides (a NAT between them, or UDP encapsulation forced by "
             "a peer)")
_NAT_BOTH_EXPLANATION = (
    "The NAT discovery hashes of both ends fail to match, so IKE moved from UDP 500 to 4500 and ESP is "
    "UDP-encapsulated (RFC 3948). One NAT changes one end's address only: either both ends sit behind NATs, "
    "or a peer forces UDP encapsulation by faking the hash of its own address (strongSwan does with encap=yes "
    "or kernel-libipsec), and with no NAT on the path it is the latter, which is harmless. Allow UDP 4500 on "
    "the path either way.")


def _nat_verdict(f: Finding) -> None:
    """NAT-T found at both ends at once (``nat_d_mismatch`` names two addresses) is not named a NAT: the title and
    explanation say what it may be (:data:`_NAT_BOTH`); the sentences about this case ("Here ...") stay."""
    ends = f.detail.get("nat_d_mismatch") or []
    if f.code != "nat-detected" or len(set(ends)) < 2:
        return
    f.title = _NAT_BOTH
    here = [x for x in _sentences(f.explanation) if x.startswith("Here ")]
    f.explanation = " ".join([_NAT_BOTH_EXPLANATION] + here)


def _dpd(c: _Collector, steps: list[Step], notes: _Notes) -> None:
    """R-U-THERE and R-U-THERE-ACK messages (RFC 3706): one per step whose notifies name them (a message
    may be logged in several lines); a log without payload lists counts its DPD lines instead."""
    sent = received = acks = 0
    records = []
    for s in steps:
        names = {n for _e, found in notes.get(id(s), ()) for n in found}
        if "R_U_THERE" in names:
            sent += s.direction == "out"
            received += s.direction == "in"
        elif "R_U_THERE_ACK" in names:
            acks += 1
        else:
            continue
        records.append(s.events[0].record)
    if not records:
        lines = [e for s in steps for e in s.events if e.detail.get("dpd") in ("request", "response", "ACK")]
        sent = sum(1 for e in lines if e.detail["dpd"] == "request" and e.direction == "out")
        received = sum(1 for e in lines if e.detail["dpd"] == "request" and e.direction == "in")
        acks = sum(1 for e in lines if e.detail["dpd"] in ("response", "ACK"))
        records = [e.record for e in lines]
    if records:
        c.add("dpd", records, sums={"r_u_there_sent": sent, "r_u_there_received": received, "acks": acks})
    if sent >= 2 and not acks:
        c.add("dpd-timeout", records, more=f"Here {sent} R-U-THERE went out and no ACK came back.")


def _rekeys(c: _Collector, tl: Timeline) -> None:
    """Quick Modes (distinct message IDs) with one peer, over its IKE SAs in log order: each one after a Quick
    Mode that got its answer (QM2) re-negotiates the IPsec SAs (a rekey, on the same IKE SA or on a new one;
    after a refused one it is a retry), as does a CHILD_SA the log says it rekeyed; the count is of those."""
    done: dict[str | None, bool] = {}  # peer -> a Quick Mode with it got its answer
    records = []
    rekeys = 0
    for sa in tl.sas:
        steps = [tl.steps[i] for i in sa.steps if tl.steps[i].duplicate_of is None]
        modes: dict[int, list[Step]] = {}
        for s in steps:
            if s.role in ("QM1", "QM2", "QM3") and s.message_id is not None:
                modes.setdefault(s.message_id, []).append(s)
        for mode in modes.values():
            first = next((s.events[0].record for s in mode if s.events), None)
            if done.get(sa.peer) and first is not None:
                records.append(first)
                rekeys += 1
            if any(s.role in ("QM2", "QM3") for s in mode):
                done[sa.peer] = True
        records += [e.record for s in steps for e in s.events
                    if (e.kind == "state" and e.state in ("REKEYING", "REKEYED")) or e.detail.get("rekeyed")]
    if records or rekeys:
        c.add("rekey", records, sums={"quick_modes": rekeys})


def _deletes(c: _Collector, steps: list[Step]) -> None:
    """Deletes worth telling: SAs (not IOS's routine node deletions), with the reasons the logs give."""
    found = [e for s in steps for e in s.events if e.kind == "sa_deleted" and "node" not in e.detail]
    if found:
        reasons = sorted({f"{_sa_kind(e)}: {e.detail['reason']}" for e in found if e.detail.get("reason")})
        c.add("deletes", [e.record for e in found], reasons=reasons or None)


def _sa_kind(e: Event) -> str:
    return str(e.detail.get("sa") or ("IKE SA" if e.facility in ("ISAKMP", "IKEv2", "IKEv1") else "SA"))


def _status_rules(c: _Collector, events: list[Event]) -> None:
    """Traffic counters (pasted show output, libreswan's traffic status, strongSwan's closed CHILD_SAs),
    added up per peer: one-way when one direction has some and the other none (a single rekeyed SA may
    carry one direction only, the sum may not); sessions that are not up."""
    totals: dict[tuple[str, str | None, str], list] = {}

    def count(e: Event, out: Any, in_: Any, unit: str) -> None:
        if isinstance(out, int) and isinstance(in_, int):
            t = totals.setdefault((e.record.file, e.peer, unit), [0, 0, []])
            t[0] += out
            t[1] += in_
            t[2].append(e.record)
    for e in events:
        if e.kind == "sa_deleted" and isinstance(e.detail.get("bytes_in"), int):
            count(e, e.detail.get("bytes_out"), e.detail.get("bytes_in"), "bytes")
        if e.kind != "sa_status":
            continue
        counters = e.detail.get("counters")
        if isinstance(counters, dict):
            count(e, counters.get("encaps"), counters.get("decaps"), "packets")
        for flow in e.detail.get("flows") or ():
            if isinstance(flow, dict):
                count(e, flow.get("outbound_pkts"), flow.get("inbound_pkts"), "packets")
        if "in_bytes" in e.detail:
            count(e, e.detail.get("out_bytes"), e.detail.get("in_bytes"), "bytes")
        if e.state in ("DOWN-NEGOTIATING", "MM_NO_STATE", "MM_SA_SETUP", "MM_KEY_EXCH"):
            c.add("phase1-not-up", [e.record], sessions=[f"{e.peer}: {e.state}"])
    for (_file, peer, unit), (out, in_, records) in totals.items():
        if (out > 0) != (in_ > 0):
            which = "sent but nothing received" if out else "received but nothing sent"
            c.add("one-way-traffic", records, counters=[f"{peer or '?'}: {out} {unit} out, {in_} {unit} in ({which})"])


def _peer_rules(c: _Collector, tl: Timeline) -> None:
    """Several IKE SAs with one peer in one log, each established: re-authentication or IKE rekey."""
    by_peer: dict[tuple[str, str | None], list[int]] = {}
    for sa in tl.sas:
        roles = {tl.steps[i].role for i in sa.steps if tl.steps[i].duplicate_of is None}  # (not a pasted copy)
        if roles & {"MM6", "AM3", "IKE_AUTH response"}:
            by_peer.setdefault((sa.file, sa.peer), []).append(sa.index)
    for (_file, peer), sas in by_peer.items():
        if len(sas) > 1:
            firsts = [tl.steps[tl.sas[i].steps[0]] for i in sas[1:]]
            c.add("rekey", [s.events[0].record for s in firsts if s.events], ike_sas=len(sas))


# --------------------------------------------------------------------------- capture rules

class CaptureRules:
    """The capture's rules, fed one packet at a time (memory: per IKE SA its frames and a few payload
    summaries, per ESP direction a count and the first :data:`MAX_FRAMES` frames), then judged once the
    capture has been read, when the decryptor's verdicts are final (:mod:`dissect.verdict`).

    ``feed(pkt)`` for every :class:`dissect.model.Packet` in capture order (after the session tracker
    labelled it, as :meth:`dissect.pipeline.Dissector.packets` yields it); ``finish(decryptor)`` gives
    the findings, failures first (``decryptor``: the Dissector's, or None without keys)."""

    def __init__(self) -> None:
        self.sas: dict[int, _CapSa] = {}
        self.esp: Counter = Counter()
        self.esp_frames: dict[tuple[str, str], list[int]] = {}

    def feed(self, pkt) -> None:
        d = pkt.datagram
        if pkt.esp is not None:
            key = (d.src, d.dst)
            self.esp[key] += 1
            frames = self.esp_frames.setdefault(key, [])
            if len(frames) < MAX_FRAMES:
                frames.append(d.frame)
            return
        msg = pkt.isakmp
        if msg is None or msg.header is None or pkt.sa is None:
            return
        st = self.sas.get(pkt.sa.index)
        if st is None:
            st = self.sas[pkt.sa.index] = _CapSa(pkt.sa)
        st.add(pkt)

    def finish(self, decryptor=None) -> list[Finding]:
        c = _Collector()
        for st in self.sas.values():
            _capture_sa(c, st, decryptor)
        # a QM1 between two peers after a Quick Mode of theirs got its answer (QM2), over their IKE SAs: a rekey
        by_peers: dict[frozenset, list[tuple[int, str]]] = {}
        for st in self.sas.values():
            by_peers.setdefault(frozenset((st.sa.initiator, st.sa.responder)), []).extend(
                (f, r) for f, r, _p in st.frames if r in ("QM1", "QM2"))
        rekeyed = []
        for frames in by_peers.values():
            answered = False
            for f, r in sorted(frames):
                if r == "QM2":
                    answered = True
                elif answered:
                    rekeyed.append(f)
        if rekeyed:
            c.add("rekey", frames=sorted(rekeyed), sums={"quick_modes": len(rekeyed)})
        _capture_peers(c, self.sas)
        _capture_deletes(c, self.sas.values())
        _capture_esp(c, self.esp, self.esp_frames)
        return c.result()


def _capture_deletes(c: _Collector, sas: Iterable[_CapSa]) -> None:
    """The Delete payloads of the capture (RFC 2408 §3.15), counted per protocol over all IKE SAs: how many
    payloads deleted how many SPIs."""
    counts: dict[str, list[int]] = {}
    frames: list[int] = []
    for st in sas:
        names = {1: "ISAKMP", 2: "AH", 3: "ESP"} if st.sa.version == 1 else {1: "IKE", 2: "AH", 3: "ESP"}
        for f, p, n in st.deletes:
            frames.append(f)
            got = counts.setdefault(str(names.get(p, p)), [0, 0])
            got[0] += 1
            got[1] += n
    if frames:
        c.add("deletes", frames=sorted(frames), reasons=[
            f"{what} SAs deleted: {k} Delete payload{'s' if k != 1 else ''} ({n} SPI{'s' if n != 1 else ''})"
            for what, (k, n) in sorted(counts.items())])


def findings_from_capture(packets: Iterable, decryptor=None) -> list[Finding]:
    """The findings a capture supports (module doc): :class:`CaptureRules` over ``packets``.

    ``packets``: :class:`dissect.model.Packet` objects in capture order (iterated once, e.g.
    ``Dissector.packets()``, whose session tracker has labelled roles and IKE SAs); ``decryptor``: the
    Dissector's :class:`dissect.decrypt.Decryptor` after the iteration (``None`` without keys), whose
    ``states`` hold each IKE SA's verdict.  Returns the findings, failures first.  A capture that cannot
    be read raises where the packets are read (:class:`dissect.capture.CaptureError`, from the
    Dissector's first step), not here."""
    rules = CaptureRules()
    for pkt in packets:
        rules.feed(pkt)
    return rules.finish(decryptor)


class _CapSa:
    """What the rules need of one IKE SA's messages (kept small: frames, roles, a few payloads)."""

    def __init__(self, sa) -> None:
        self.sa = sa
        self.frames: list[tuple[int, str, int]] = []  # frame, role, UDP source port
        self.offered: dict[str, list[str]] = {}   # role -> proposals offered (summaries)
        self.qm1_pfs: dict[int, bool] = {}         # Quick Mode message ID -> QM1 carries KE or a DH group
        self.notifies: list[tuple[int, str, int, Any]] = []  # frame, role (for an INFO: last_role), type, payload
        self.deletes: list[tuple[int, str, int]] = []  # frame, protocol, SPI count
        self.nat_d: list[tuple[int, list[bytes], Any]] = []  # frame, NAT-D bodies, datagram
        self.hash_id: int | None = None
        self.retransmits: list[int] = []
        self.last_role = ""  # of the last message that is not an Informational: what a notify answers

    def add(self, pkt) -> None:
        msg, d = pkt.isakmp, pkt.datagram
        role = msg.role.rstrip("?")
        self.frames.append((d.frame, role, d.sport or 0))
        if msg.retransmission_of is not None:
            self.retransmits.append(d.frame)
            return
        if role != "INFO":
            self.last_role = role
        for p in msg.payloads:
            t = p.type
            if t in (1, 33) and hasattr(p, "proposals"):
                self.offered.setdefault(role, []).extend(_summaries(p))
                if role in ("MM2", "AM2") and self.hash_id is None:
                    self.hash_id = _hash_attr(p)
                if role == "QM1":
                    self.qm1_pfs[msg.header.message_id] = self.qm1_pfs.get(msg.header.message_id, False) or any(
                        t_.attr(3) is not None for prop in p.proposals for t_ in prop.transforms)
            elif t in (4, 34) and role == "QM1":
                self.qm1_pfs[msg.header.message_id] = True
            elif t in (11, 41) and hasattr(p, "notify_type"):
                self.notifies.append((d.frame, self.last_role if role == "INFO" else role, p.notify_type, p))
            elif t in (12, 42) and hasattr(p, "spis"):
                self.deletes.append((d.frame, getattr(p, "protocol_id", 0), len(p.spis)))
            elif t in (20, 130) and role in ("MM3", "MM4", "AM2", "AM3"):
                self._nat_d(d, p)
        if msg.header.major == 2 and role.startswith("IKE_SA_INIT"):
            bodies = [p for p in msg.payloads if getattr(p, "notify_type", None) in (16388, 16389)]
            if bodies:
                self.nat_d.append((d.frame, bodies, (d, msg.header, role)))

    def _nat_d(self, d, p) -> None:
        if self.nat_d and self.nat_d[-1][0] == d.frame:
            self.nat_d[-1][1].append(p.body)
        else:
            self.nat_d.append((d.frame, [p.body], d))


def _summaries(p) -> list[str]:
    try:
        return [t.summary() for prop in p.proposals for t in prop.transforms] or [p.summary()]
    except Exception:  # noqa: BLE001 - a payload that cannot summarise costs only its summary
        return []


def _hash_attr(p) -> int | None:
    for prop in getattr(p, "proposals", ()):
        for t in prop.transforms:
            a = t.attr(2)
            if a is not None and a.value is not None:
                return a.value
    return None


#: IKEv1 notify types (RFC 2408 §3.14.1, RFC 2407 §4.6.3, RFC 3706) and IKEv2 ones (RFC 7296 §3.10.1) -> code
_CAPTURE_NOTIFIES_V1 = {14: "proposal-mismatch", 18: "proxy-id-mismatch", 23: "psk-mismatch", 24: "psk-mismatch",
                        4: "invalid-cookie", 11: "invalid-spi", 24576: "lifetime-mismatch"}
_CAPTURE_NOTIFIES_V2 = {14: "proposal-mismatch", 24: "psk-mismatch", 38: "proxy-id-mismatch",
                        4: "invalid-cookie", 11: "invalid-spi"}


#: keys-given-wrong when the key material given was a pre-shared key: the title and explanation
_PSK_GIVEN_WRONG = ("The pre-shared key given is wrong (it does not give the peers' hashes)", (
    "The hashes do not verify with the pre-shared key given (SKEYID = prf(PSK, Ni_b | Nr_b), RFC 2409 §5), but "
    "the peers agree with each other: the responder answered the initiator's authentication (MM6 after MM5, or "
    "the exchange went on to Quick Mode), which it does only when the hash verified with its own key. So the "
    "PSK given to ikescope is wrong, not the peers' configuration: give the PSK the peers use."))


def _capture_sa(c: _Collector, st: _CapSa, decryptor) -> None:
    sa = st.sa
    roles = set(sa.roles)
    frames_of: dict[str, list[int]] = {}
    for frame, role, _sport in st.frames:
        frames_of.setdefault(role, []).append(frame)
    state = decryptor.states.get(sa.icookie) if decryptor is not None and sa.version == 1 else None
    if state is not None and state.verdict in MISMATCHES:
        evidence = [f for r in ("MM5", "MM6", "AM3", "INFO") for f in frames_of.get(r, [])]
        # the peers went on (MM6 answers MM5 only when HASH_I verified with the responder's own key; a Quick
        # Mode needs phase 1 done): the key that does not verify is the one given, not one of theirs
        went_on = "MM6" in roles or "AM3" in roles or roles & {"QM1", "QM2", "QM3"}
        psk = went_on and getattr(getattr(state, "entry", None), "psk", None) is not None
        c.add("keys-given-wrong" if went_on else "psk-mismatch", frames=evidence,
              more=f"With the keys given: {state.detail}.", verdict=state.verdict,
              title=_PSK_GIVEN_WRONG[0] if psk else None, explanation=_PSK_GIVEN_WRONG[1] if psk else None)
    elif sa.retransmitted.get("MM5") and "MM6" not in roles and (state is None or state.verdict is None):
        # (no verdict: the keys, when given, could check nothing; the decryptor says what it saw)
        seen = state is not None and state.detail
        c.add("psk-mismatch", frames=frames_of.get("MM5", []) + (frames_of.get("INFO", []) if seen else []),
              more=_MM5_AGAIN + (f" With the keys given: {state.detail}." if seen else " " + _GIVE_KEYS))
    if st.retransmits:
        c.add("retransmissions", frames=st.retransmits, sums={"resent": dict(sa.retransmitted)})
        for first, answer in (("MM1", "MM2"), ("AM1", "AM2"), ("IKE_SA_INIT request", "IKE_SA_INIT response")):
            if sa.retransmitted.get(first) and answer not in roles:
                c.add("no-response", frames=frames_of.get(first, []), title=f"The peer does not answer {first}")
    table = _CAPTURE_NOTIFIES_V2 if sa.version == 2 else _CAPTURE_NOTIFIES_V1
    for frame, before, ntype, p in st.notifies:
        code = table.get(ntype)
        if sa.version == 1 and ntype == 16 and before == "MM5" and "MM6" not in roles:
            code = "psk-mismatch"  # PAYLOAD-MALFORMED answering MM5: it did not decrypt
        if code is None:
            continue
        if code == "proposal-mismatch":
            _capture_proposal(c, st, frame, before)
        elif code == "invalid-cookie":
            waiting = before == "MM3"
            c.add(code, frames=[frame], title="INVALID_COOKIE from the peer at MM_WAIT_MSG4 (after our MM3)"
                  if waiting else "INVALID_COOKIE from the peer", stuck_at="MM_WAIT_MSG4" if waiting else None)
        elif code == "lifetime-mismatch":
            attrs = [f"{a.name} {a.display()}" for a in getattr(p, "attributes", [])]
            c.add(code, frames=[frame], responder_lifetime=attrs or None)
        else:
            c.add(code, frames=[frame])
    _capture_nat(c, st)
    _capture_dpd(c, st)


def _capture_proposal(c: _Collector, st: _CapSa, frame: int, before: str) -> None:
    """NO-PROPOSAL-CHOSEN in the capture: phase 1 (after MM1/AM1, or IKEv2's IKE_SA_INIT) or phase 2 (after
    a Quick Mode or IKE_AUTH), with what was offered; PFS when the refused QM1 carries KE or a group.  A
    refusal the negotiation got past (phase 1, or a later Quick Mode, completed after it) is a warning."""
    phase2 = before.startswith(("QM", "IKE_AUTH", "CREATE_CHILD_SA"))
    if st.sa.version == 1 and not phase2:
        phase2 = any(r.startswith("QM") for f, r, _p in st.frames if f < frame)
    offered_role = "QM1" if phase2 else ("AM1" if "AM1" in st.offered else "MM1")
    if st.sa.version == 2:
        offered_role = "IKE_AUTH request" if phase2 else "IKE_SA_INIT request"
    offered = st.offered.get(offered_role) or None
    after_qm2 = phase2 and before == "QM2"
    done = ("QM2",) if phase2 else ("MM6", "AM3", "IKE_AUTH response", "IKE_SA_INIT response")
    got_past = any(r in done and f > frame for f, r, _p in st.frames) and not (
        st.sa.version == 2 and not phase2 and "IKE_SA_INIT response" not in st.offered)
    severity = WARNING if got_past else None
    more = "The negotiation went on and completed after this refusal." if got_past else ""
    if phase2 and st.qm1_pfs and any(st.qm1_pfs.values()):
        c.add("pfs-mismatch", frames=[frame], phase=2, offered=offered, severity=severity,
              more="The refused Quick Mode offers PFS (a KE payload and a DH group). " + more)
        return
    title = _AFTER_QM2 if after_qm2 else _proposal_title(2 if phase2 else 1, st.sa.version == 2)
    c.add("proposal-mismatch", frames=[frame], title=title, phase=2 if phase2 else 1, offered=offered,
          explanation=_proposal_words(st.sa.version == 2),
          chosen=(st.offered.get("QM2") or None) if after_qm2 else None, severity=severity, more=more)


def _capture_nat(c: _Collector, st: _CapSa) -> None:
    """NAT-D (RFC 3947 §3.2: HASH(CKY-I | CKY-R | IP | Port) with the negotiated hash; RFC 7296 §2.23:
    SHA-1(SPIi | SPIr | IP | Port)) against the addresses and ports of the packet as captured; and IKE
    moving from UDP 500 to 4500."""
    sa = st.sa
    mismatched: list[int] = []
    ends: list[str] = []  # the addresses whose hash does not match (the sender's own, or the one it sees)
    for frame, bodies, where in st.nat_d:
        try:
            if sa.version == 2:
                d, header, role = where
                rspi = header.rcookie if role.endswith("response") else bytes(8)
                for p in bodies:
                    ip, port = (d.src, d.sport) if p.notify_type == 16388 else (d.dst, d.dport)
                    want = ks.hash_(2, header.icookie + rspi + _ip_bytes(ip) + (port or 0).to_bytes(2, "big"))
                    if p.data != want:
                        mismatched.append(frame)
                        ends.append(ip)
                continue
            d = where
            if st.hash_id not in ks.HASHES or len(bodies) < 2:
                continue
            cookies = sa.icookie + sa.rcookie

            def nat_hash(ip: str, port: int | None) -> bytes:
                return ks.hash_(st.hash_id, cookies + _ip_bytes(ip) + (port or 0).to_bytes(2, "big"))
            wrong = [ip for ip, bad in ((d.dst, bodies[0] != nat_hash(d.dst, d.dport)),
                                        (d.src, nat_hash(d.src, d.sport) not in bodies[1:])) if bad]
            if wrong:
                mismatched.append(frame)
                ends.extend(wrong)
        except (ValueError, KeyError, TypeError):
            continue
    ports = [(f, sport) for f, _r, sport in st.frames]
    floated = [f for f, p in ports if p == 4500]
    started = any(p == 500 for _f, p in ports)
    if mismatched:
        what = ("NAT_DETECTION_SOURCE_IP / NAT_DETECTION_DESTINATION_IP notifies (RFC 7296 §2.23)" if sa.version == 2
                else "NAT-D payloads (RFC 3947 §3.2)")
        c.add("nat-detected", frames=mismatched + floated[:1], port_floating=bool(floated and started) or None,
              nat_d_mismatch=list(dict.fromkeys(ends)),
              more=f"Here the {what} do not match the addresses and ports seen in the capture.")
    elif floated and started:
        c.add("nat-detected", frames=floated[:1], port_floating=True)


def _ip_bytes(text: str) -> bytes:
    return ipaddress.ip_address(text).packed


def _capture_dpd(c: _Collector, st: _CapSa) -> None:
    asked: dict[int | None, int] = {}
    acked: set[int | None] = set()
    frames = []
    for frame, _before, ntype, p in st.notifies:
        if ntype == 36136:
            asked.setdefault(p.sequence, frame)
            frames.append(frame)
        elif ntype == 36137:
            acked.add(p.sequence)
            frames.append(frame)
    if not frames:
        return
    unanswered = [f for seq, f in asked.items() if seq not in acked]
    c.add("dpd", frames=frames, sums={"r_u_there": len(asked), "acks": len(acked)})
    if len(unanswered) >= 2:
        c.add("dpd-timeout", frames=unanswered, more=f"Here {len(unanswered)} R-U-THERE went unanswered.")


def _capture_peers(c: _Collector, sas: dict[int, _CapSa]) -> None:
    """A second IKE SA between the same two peers after one completed: re-authentication or IKE rekey."""
    by_pair: dict[frozenset, list[_CapSa]] = {}
    for st in sas.values():
        if st.sa.initiator and st.sa.responder:
            by_pair.setdefault(frozenset((st.sa.initiator, st.sa.responder)), []).append(st)
    for group in by_pair.values():
        done = [st for st in group if {"MM6", "AM3", "IKE_AUTH response"} & set(st.sa.roles)]
        if len(done) > 1:
            c.add("rekey", frames=[st.frames[0][0] for st in done[1:]], ike_sas=len(done))


def _capture_esp(c: _Collector, esp: Counter, frames: dict[tuple[str, str], list[int]]) -> None:
    """ESP seen one way only between two peers (at least 3 packets, none back)."""
    for (src, dst), n in esp.items():
        if n >= 3 and not esp.get((dst, src)):
            c.add("one-way-traffic", frames=frames[(src, dst)],
                  counters=[f"{src} -> {dst}: {n} ESP packets, {dst} -> {src}: none"])


# --------------------------------------------------------------------------- alignment rules

def findings_from_alignment(alignment) -> list[Finding]:
    """What an alignment of a capture with logs (:func:`correlate.align.align`) left unmatched, as findings:
    packets to or from a log's endpoint that its log never mentions (``not-logged``), packet events with
    no packet (``not-captured``), and routers' counters that disagree with the ESP seen
    (``counter-mismatch``).  Only what lies within the span both sides cover counts: a log that starts
    late or ends early, or a capture that does, leaves the rest unmatched without saying anything about
    the path.  Retransmissions the log does not repeat are not counted either."""
    c = _Collector()
    frames_of: dict[str, list[int]] = {}
    lines_of: dict[str, list[int]] = {}
    for m in alignment.matches:
        frames_of.setdefault(m.log, []).append(m.frame)
        lines_of.setdefault(m.log, []).append(m.event.record.line)
    for log, frames in alignment.unmatched_packets.items():
        seen = frames_of.get(log)
        if not seen:
            continue
        first, last = min(seen), max(seen)
        inside = [f for f in frames if first < f < last and f not in alignment.retransmissions]
        proven = _proven_by_log(alignment, log, inside)
        inside = [f for f in inside if f not in proven]
        if inside:
            c.add("not-logged", frames=inside, logs=[log],
                  missing=[f"{log}: frame{'s' if len(inside) > 1 else ''} {', '.join(map(str, inside))}"],
                  proven=[f"{log}: frame {f} ({s.role}, {'received' if s.direction == 'in' else 'sent'})"
                          for f, s in proven.items()] or None)
    for a in alignment.unmatched_events:
        lines = lines_of.get(a.log)
        if lines and min(lines) < a.event.record.line < max(lines):
            c.add("not-captured", [a.event.record], logs=[a.log])
    for link in alignment.spis:
        # a counter shown at an unknown moment (show output has no stamp) may well be below the packets the
        # whole capture holds: only a counter above them, or one whose moment is known, is evidence
        if link.difference and (link.timed or link.difference > 0):
            c.add("counter-mismatch", [e.record for e in link.events[-1:]],
                  counters=[f"SPI 0x{link.spi:08x} ({link.log}): {link.counter} {link.counted}, "
                            f"{link.seen} in the capture"])
    return c.result()


def _log_events(alignment, log: str) -> list[Event]:
    """The events of the log called ``log`` as the alignment placed them (on frames, or nowhere), in the
    order :func:`correlate.logonly.analyse` reads them (the order of their stamps), each once."""
    placed = chain(chain.from_iterable(alignment.attached.values()), alignment.unattached,
                   alignment.unmatched_events)
    seen: dict[int, Event] = {}
    for a in placed:
        if a.log == log:
            seen.setdefault(id(a.event), a.event)
    return in_stamp_order(sorted(seen.values(), key=lambda e: e.record.line))


def _proven_by_log(alignment, log: str, frames: list[int]) -> dict[int, Step]:
    """Of ``frames`` (packets to or from the log's endpoint that no packet line of ``log`` matched), those
    whose message the log's other lines prove was sent or received, with that message's step: a message
    without a packet line in the log's own timeline (:func:`correlate.logonly.timeline`: ``implied`` by a
    later state, or processed without a packet line), between the messages of two matched packet lines,
    when the frames between those two packets are as many as such messages (each then is one of them, in
    order).  The seed's initiator logs no line for QM2, but its QM3 and ``IKE_QM_I_QM1 ->
    IKE_QM_PHASE2_COMPLETE`` prove QM2 reached it: no evidence of a drop."""
    if not frames:
        return {}
    steps = make_timeline(_log_events(alignment, log)).steps
    where = {id(e): i for i, s in enumerate(steps) for e in s.events}
    anchors = sorted({(where[id(m.event)], m.frame) for m in alignment.matches
                      if m.log == log and id(m.event) in where and steps[where[id(m.event)]].duplicate_of is None})
    proven: dict[int, Step] = {}
    for (i, a), (j, b) in zip(anchors, anchors[1:]):
        if a >= b:
            continue
        between = [f for f in frames if a < f < b]
        unlogged = [s for s in steps[i + 1:j] if not s.logged and s.role and s.direction in ("in", "out")
                    and s.duplicate_of is None and not s.retransmission]
        if between and len(between) == len(unlogged):
            proven.update(zip(between, unlogged))
    return proven


# --------------------------------------------------------------------------- merging

def merge(*lists: Iterable[Finding]) -> list[Finding]:
    """The findings of several sources as one list, one finding per code: the frames and log lines of
    all united, the most severe severity, the first title that is not the catalog's plain one, each
    explanation sentence once, details united (lists joined).  Failures first; a generic finding that a
    specific one makes redundant (:data:`SUPERSEDES`) is left out."""
    out: dict[str, Finding] = {}
    for findings in lists:
        for f in findings:
            g = out.get(f.code)
            if g is None:
                out[f.code] = Finding(f.code, f.severity, f.title, f.explanation, list(f.frames), list(f.log),
                                      {k: (list(v) if isinstance(v, list) else v) for k, v in f.detail.items()})
                continue
            if _RANK.get(f.severity, 3) < _RANK.get(g.severity, 3):
                g.severity = f.severity
            if g.title == CATALOG.get(g.code, Kind("", g.title, "")).title and f.title != g.title:
                g.title = f.title
            for sentence in _sentences(f.explanation):
                if sentence not in g.explanation:
                    g.explanation += " " + sentence
            g.frames = sorted(set(g.frames) | set(f.frames))[:MAX_FRAMES]
            refs = {(r.file, r.line): r for r in g.log + f.log}
            kept = [refs[k] for k in sorted(refs)]
            g.log = kept[:MAX_LOG_REFS]
            for r in kept[MAX_LOG_REFS:]:
                _widen(g.log, r)
            g.log.sort(key=lambda r: (r.file, r.line))
            for k, v in f.detail.items():
                if k == "evidence":
                    a, b = g.detail.get(k) or {}, v or {}
                    g.detail[k] = {n: a.get(n, 0) + b.get(n, 0) for n in set(a) | set(b)}
                elif isinstance(v, list) and isinstance(g.detail.get(k), list):
                    g.detail[k].extend(x for x in v if x not in g.detail[k])
                else:
                    g.detail.setdefault(k, v)
    for g in out.values():
        g.explanation = _settled(g.explanation)
        _nat_verdict(g)
    return _ordered(_superseded(list(out.values())))


def _settled(text: str) -> str:
    """An explanation without the capture's hedges that a log settled: a log that shows a peer could not
    decrypt a phase 1 message proves MM5 reached it and its keys differ (no other cause, no keys needed)."""
    if " could not decrypt " not in text:
        return text
    hedges = set(_sentences(_MM5_AGAIN)[1:]) | set(_sentences(_GIVE_KEYS))
    return " ".join(s for s in _sentences(text) if s not in hedges)


def _sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+", text) if s]


def failures(findings: Iterable[Finding]) -> list[Finding]:
    """The findings that are failures (severity ``error``)."""
    return [f for f in findings if f.failure]
