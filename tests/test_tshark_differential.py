"""Differential tests: ikescope's ISAKMP and ESP decoding against tshark's, frame by frame.

For every capture of the lab cases (``../shared/lab/cases``), of the public
collection (``../shared/public-captures``, recursively) and of ``captures/``:

* ``test_isakmp_frames``: the frames tshark shows as ISAKMP are exactly the
  frames ikescope decodes as ISAKMP (by frame number: the 1-based capture
  frame, for an IP-fragmented datagram the frame that completed reassembly);
* ``test_isakmp_fields``: for each of them, the header (cookies, version,
  exchange type, flags, message ID, length), the payload type sequence, the
  IKEv1 SA payloads down to every attribute's type and value, and the ID and
  notify payloads are equal (see :mod:`tshark_oracle` for what is compared);
* ``test_esp_frames``: the same frame set check for ESP, and equal SPI and
  sequence number.

tshark 4.0 is read through pyshark (:mod:`tshark_oracle`).  Where the two
disagree on purpose, the difference is listed in :data:`DELIBERATE` (per
capture, frames and field, with the reason) or, for a whole class of frames,
in :data:`QUOTED_IN_ICMP` / :data:`IKEV2_SA_NOT_COMPARED`; everything else is
a failure.  An entry that no longer matches anything fails too, so the list
stays current.

``test_roles`` checks ikescope's role labels (MM1..MM6, AM1..AM3, QM1..QM3,
INFO, IKEv2 request/response, retransmissions) against each shipped lab
case's ``truth.json``.
"""
from __future__ import annotations

import hashlib
import json
import re
import socket
import struct
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import CAPTURES, LAB_CASES, PUBLIC, capture_files, require_tshark, shipped_cases

import _synth
from dissect.pipeline import Dissector

try:  # the oracle needs pyshark; test_roles does not
    import tshark_oracle as oracle
except ImportError as e:  # pragma: no cover - depends on the environment
    oracle = None
    _ORACLE_MISSING = f"the tshark oracle needs pyshark ({e}); pip install -e '.[test]'"


# --------------------------------------------------------------------------
# The captures

def _capture_params() -> list:
    params = []
    for root, tag in ((LAB_CASES, "lab"), (PUBLIC, "public")):
        files = capture_files(root)
        if not files:
            params.append(pytest.param(None, None, id=f"{tag}-captures-absent", marks=pytest.mark.skip(
                reason=f"{tag} captures not present at {root} (they are beside the repository in CI)")))
        params += [pytest.param(f"{tag}/{f.relative_to(root).as_posix()}", f,
                                id=f"{tag}/{f.relative_to(root).as_posix()}") for f in files]
    for f in sorted(CAPTURES.glob("*/capture.pcap")):
        key = f"repo/{f.relative_to(CAPTURES).as_posix()}"
        params.append(pytest.param(key, f, id=key))
    return params


CAPTURE_PARAMS = _capture_params()


# --------------------------------------------------------------------------
# Deliberate differences

@dataclass(frozen=True)
class Deliberate:
    """A difference between ikescope and tshark that is meant to be there.

    ``capture`` is the test id (``public/<path>``, ``lab/<path>``,
    ``repo/<case>/capture.pcap``); each of ``fields`` is a path of the
    compared views (covering what lies below it, e.g. ``payloads[0]``), or
    one of ``frame-set:isakmp:ours-only`` / ``frame-set:isakmp:tshark-only``
    / ``frame-set:esp:ours-only`` / ``frame-set:esp:tshark-only``.
    """
    capture: str
    frames: tuple[int, ...]
    fields: tuple[str, ...]
    reason: str

    def covers(self, capture: str, frame: int, path: str) -> bool:
        return capture == self.capture and frame in self.frames and any(
            path == f or path.startswith(f + ".") or path.startswith(f + "[") for f in self.fields)


_ZERO_LENGTH = ("The ISAKMP header's Length field is 0, less than the 28-byte header. tshark's dissect_isakmp() "
                "(packet-isakmp.c) returns 0 for such a message, so the UDP payload is shown as 'data' and there "
                "is no isakmp layer; ikescope decodes the header and reports 'ISAKMP length 0 is less than the "
                "header' as an Expert error (dissect/isakmp.py decode_message), as it does for all malformed input.")

_LENGTH_PAST_CAPTURE = (
    "Fuzzed first IP fragment cut short by the capture (tcpdump's *-oobr tests): the ISAKMP Length is far "
    "beyond the captured bytes. tshark stops after the Message ID: either it prints 'Length: (bogus, ... too "
    "large)' (a Length of 2^31 or more is negative as its int) or tvb_ensure_bytes_exist() throws before the "
    "Length field is added ('BoundError Unreassembled Packet'); no payload is dissected. ikescope notes "
    "'message truncated' and decodes the payloads that were captured (dissect/isakmp.py: 'whatever decoded "
    "before the fault is kept').")

_PAYLOAD_CHAIN_ABANDONED = ("tshark throws inside a payload and abandons the whole message ('Malformed Packet'), "
                            "so the payloads after it are never shown")

_ID_PAST_PAYLOAD = ("tshark bug: dissect_id() (packet-isakmp.c) adds ID_IPV4_ADDR with a fixed length of 4 without "
                    "checking the ID payload's length, so it shows an address made of the bytes *after* the payload "
                    "(222.173.190.239 = de ad be ef, the trailing junk); tcpdump says 'payload too short'. ikescope "
                    "keeps to the payload: it shows the bytes it has, with an Expert error.")

DELIBERATE: tuple[Deliberate, ...] = (
    # -- frames one side does not decode as ISAKMP at all
    Deliberate("public/tcpdump/isakmp-pointer-loop.pcap", (1,), ("frame-set:isakmp:ours-only",), _ZERO_LENGTH),
    Deliberate("public/zeek-spicy-ipsec/traces/ipsec-ikev1-zero-length.pcap", (1,), ("frame-set:isakmp:ours-only",),
               _ZERO_LENGTH),
    # -- malformed messages: tshark gives up where ikescope goes on
    Deliberate("public/tcpdump/ikev1_id_ipv6_addr_subnet-oobr.pcap", (1,), ("payload_types", "payloads"),
               _LENGTH_PAST_CAPTURE),
    Deliberate("public/tcpdump/isakmp-ikev1_n_print-oobr.pcap", (1, 3), ("payload_types", "payloads", "length"),
               _LENGTH_PAST_CAPTURE + " (frame 1: bogus Length shown; frame 3: no Length field.)"),
    Deliberate("public/tcpdump/isakmp-various-oobr.pcap", (1,), ("payload_types", "payloads", "length"),
               _LENGTH_PAST_CAPTURE),
    Deliberate("public/tcpdump/isakmpv1-attr-oobr.pcap", (1,), ("payload_types", "payloads"), _LENGTH_PAST_CAPTURE),
    Deliberate("public/tcpdump/ISAKMP_sa_setup.pcap", (3, 4), ("payload_types", "payloads"),
               "Two payloads of type 15 in a Main Mode (DOI IPsec) message: tshark dissects type 15 as a GDOI SA "
               "KEK payload (RFC 6407), whose inner fields run past the payload; " + _PAYLOAD_CHAIN_ABANDONED
               + " (the second type 15). ikescope walks the generic payload headers and lists both, as tcpdump "
               "does ('(pay15) (pay15)' in the local tcpdump -vvv output), and names them NAT-D: old Cisco gear "
               "sent NAT-D as type 15 from early NAT-T drafts (libreswan's ISAKMP_NEXT_NATD_BADDRAFTS); the peers "
               "here send the draft NAT-T vendor IDs."),
    Deliberate("public/tcpdump/ikev2pI2-segfault.pcapng", (1,), ("payload_types", "payloads"),
               "Fuzzed IKEv2 SA_INIT whose SA payload's second proposal claims 43690 bytes: "
               + _PAYLOAD_CHAIN_ABANDONED + " (the KE payload after the SA, whose own length, 244, fits). "
               "ikescope notes the bad proposal inside the SA payload and goes on along the top-level chain to "
               "the KE payload, as tcpdump does ('[|v2sa]) [|v2ke]')."),
    Deliberate("public/tcpdump/isakmp-delete-segfault.pcap", (1,), ("exchange_type", "length"),
               "Fuzzed header with major version 11: tshark adds the Exchange type field only for major versions "
               "1 and 2, and the Length (1126274970) is far beyond the captured bytes, so tvb_ensure_bytes_exist() "
               "throws before the Length field is added; tshark has neither value. ikescope reports the raw "
               "header bytes with an 'unknown ISAKMP major version' error."),
    Deliberate("public/zeek-spicy-ipsec/traces/ipsec-ikev1-payload-bad-length.pcap", (1,), ("payload_types", "payloads"),
               "The payload after the SA is a VID whose Payload Length is 3 (< 4). ikescope stops the chain there "
               "with an Expert error (dissect/isakmp.py walk_payloads): nothing after a broken length can be "
               "located, and a payload of length 3 has no body. tshark lists the bogus VID, then pretends its "
               "length is 4 and dissects the next bytes as another 'VID' (next payload 74, length 7297) until it "
               "throws; tcpdump stops too ('()'). ikescope [1] vs tshark [1, 13, 13]."),
    # -- tshark bugs
    Deliberate("public/tcpdump/ikev2-id-normal.pcap", (1,), ("payloads[0].address",), _ID_PAST_PAYLOAD),
    Deliberate("public/tcpdump/ikev2-id-short.pcap", (1,), ("payloads[0].address",), _ID_PAST_PAYLOAD),
)

#: (capture, layer) -> number of frames in which tshark finds that layer only *inside* another
#: protocol's tree: an ICMP error quotes the IP header and first bytes of the packet that caused
#: it, and tshark dissects the quote (protocols "ip:icmp:ip:esp").  Such a frame is an ICMP
#: message, not ESP/IKE traffic: ikescope shows it as an ICMP-error row about the quoted packet
#: (test_icmp_quotes checks those frames), not as ESP/ISAKMP.  The counts keep this explicit.
QUOTED_IN_ICMP: dict[tuple[str, str], int] = {
    ("public/wireshark-wiki/ipsec_esp_capture_2/capture.pcap", "esp"): 312,
}

#: IKEv2 SA payloads (type 33): ikescope recognises them by type only (dissect/payloads.py has no
#: IKEv2 SA decoder; its module docstring: "IKEv2 payloads ... are recognised by type, with their
#: generic header"), so only their presence in the payload type sequence is compared, not their
#: proposals/transforms.  test_isakmp_fields fails as soon as ikescope decodes them, so that the
#: comparison gets extended then.
IKEV2_SA_NOT_COMPARED = "ikescope does not decode IKEv2 SA proposals/transforms (by type only)"


def _kind(d: Deliberate) -> str:
    """Which test a DELIBERATE entry belongs to."""
    if all(f.startswith("frame-set:isakmp:") for f in d.fields):
        return "isakmp-frames"
    if all(f.startswith("frame-set:esp:") or f == "esp" for f in d.fields):
        return "esp-frames"
    assert not any(f.startswith("frame-set:") or f == "esp" for f in d.fields), f"mixed DELIBERATE entry: {d}"
    return "isakmp-fields"


def _filter(capture: str, problems: list[tuple[int, str, object, object]], kind: str):
    """(problems no DELIBERATE entry explains, this test's entries for the capture that explain nothing)."""
    entries = [d for d in DELIBERATE if d.capture == capture and _kind(d) == kind]
    used: set[Deliberate] = set()
    left = []
    for frame, path, ours_, theirs_ in problems:
        hit = next((d for d in entries if d.covers(capture, frame, path)), None)
        if hit is None:
            left.append((frame, path, ours_, theirs_))
        else:
            used.add(hit)
    return left, [d for d in entries if d not in used]


def _report(capture: str, left, stale) -> str:
    lines = [f"{capture}: {len(left)} difference(s) from tshark"]
    for frame, path, ours, theirs in left[:40]:
        lines.append(f"  frame {frame}: {path}: ikescope={ours!r} tshark={theirs!r}")
    if len(left) > 40:
        lines.append(f"  ... and {len(left) - 40} more")
    for d in stale:
        lines.append(f"  stale DELIBERATE entry (matches nothing now): frames {d.frames} {d.fields}")
    return "\n".join(lines)


# --------------------------------------------------------------------------
# Both sides, cached per file content

@dataclass
class OurFrames:
    isakmp: dict[int, list]
    esp: dict[int, list]


_OURS: dict[str, OurFrames] = {}


def ours(path: Path) -> OurFrames:
    key = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    if key not in _OURS:
        isakmp: dict[int, list] = {}
        esp: dict[int, list] = {}
        for p in Dissector(str(path)).packets():
            if p.isakmp is not None:
                isakmp.setdefault(p.frame, []).append(p.isakmp)
            elif p.esp is not None:
                esp.setdefault(p.frame, []).append(p.esp)
        _OURS[key] = OurFrames(isakmp, esp)
    return _OURS[key]


def theirs(path: Path) -> dict:
    """tshark's frames (:class:`tshark_oracle.TsharkFrame` by number); skips without tshark or pyshark."""
    require_tshark()
    if oracle is None:
        pytest.skip(_ORACLE_MISSING)
    return oracle.tshark_frames(path)


def _frame_set_problems(capture: str, layer: str, ts_frames: dict,
                        our_frames: set[int]) -> tuple[list, int]:
    shown = {n for n, f in ts_frames.items() if getattr(f, layer)}
    quoted = {n for n, f in ts_frames.items() if any(q[0] == layer for q in f.quoted)} - shown
    problems = [(n, f"frame-set:{layer}:tshark-only", "not decoded", f"{layer} ({ts_frames[n].protocols})")
                for n in sorted(shown - our_frames)]
    problems += [(n, f"frame-set:{layer}:ours-only", layer, "not shown as " + layer)
                 for n in sorted(our_frames - shown)]
    # frames tshark shows only inside an ICMP quote must not be decoded by ikescope either
    problems += [(n, f"frame-set:{layer}:quoted-in-icmp", layer, "only inside an ICMP error")
                 for n in sorted(quoted & our_frames)]
    return problems, len(quoted)


# --------------------------------------------------------------------------
# The differential tests

@pytest.mark.parametrize("capture,path", CAPTURE_PARAMS)
def test_icmp_quotes(capture: str, path: Path) -> None:
    """Frames where tshark finds ESP/ISAKMP only inside an ICMP error are ikescope's ICMP-error rows."""
    ts = theirs(path)
    quoted = {n for n, f in ts.items() if not f.esp and not f.isakmp
              and any(q[0] in ("esp", "isakmp") for q in f.quoted)}
    icmp = {p.frame: p.icmp for p in Dissector(str(path)).packets() if p.icmp is not None}
    assert quoted <= set(icmp), f"{capture}: no ICMP-error row for frames {sorted(quoted - set(icmp))[:10]}"
    for n in quoted:
        assert icmp[n].about in ("ESP", "IKE", "UDP-encapsulated ESP"), (capture, n)

@pytest.mark.parametrize("capture,path", CAPTURE_PARAMS)
def test_isakmp_frames(capture: str, path: Path) -> None:
    """tshark's ISAKMP frames and ikescope's are the same frames."""
    ts = theirs(path)
    problems, quoted = _frame_set_problems(capture, "isakmp", ts, set(ours(path).isakmp))
    left, stale = _filter(capture, problems, "isakmp-frames")
    assert quoted == QUOTED_IN_ICMP.get((capture, "isakmp"), 0), (
        f"{capture}: tshark shows ISAKMP only inside an ICMP error in {quoted} frame(s); "
        f"QUOTED_IN_ICMP says {QUOTED_IN_ICMP.get((capture, 'isakmp'), 0)}")
    assert not left and not stale, _report(capture, left, stale)


@pytest.mark.parametrize("capture,path", CAPTURE_PARAMS)
def test_isakmp_fields(capture: str, path: Path) -> None:
    """Header, payload types, SA attributes, ID and notify payloads equal tshark's, frame by frame."""
    ts = theirs(path)
    our = ours(path).isakmp
    problems: list[tuple[int, str, object, object]] = []
    for n in sorted(set(our) & {n for n, f in ts.items() if f.isakmp}):
        mine, its = our[n], ts[n].isakmp
        if len(mine) != len(its):
            problems.append((n, "isakmp messages in the frame", len(mine), len(its)))
            continue
        for msg, tv in zip(mine, its):
            assert msg.header is not None, f"{capture} frame {n}: ikescope kept an ISAKMP message without header"
            if msg.header.major == 2:
                for p in msg.payloads:
                    assert not (p.type == 33 and hasattr(p, "proposals")), (
                        "ikescope now decodes IKEv2 SA payloads: compare them in tshark_oracle "
                        f"(_payload_view/_ours_payload) and drop IKEV2_SA_NOT_COMPARED ({IKEV2_SA_NOT_COMPARED})")
            problems += [(n, path_, a, b) for path_, a, b in oracle.diff(oracle.ours_isakmp_view(msg), tv)]
    left, stale = _filter(capture, problems, "isakmp-fields")
    assert not left and not stale, _report(capture, left, stale)


@pytest.mark.parametrize("capture,path", CAPTURE_PARAMS)
def test_esp_frames(capture: str, path: Path) -> None:
    """tshark's ESP frames and ikescope's are the same frames, with the same SPI and sequence number."""
    ts = theirs(path)
    our = ours(path).esp
    problems, quoted = _frame_set_problems(capture, "esp", ts, set(our))
    for n in sorted(set(our) & {n for n, f in ts.items() if f.esp}):
        mine = [oracle.ours_esp_view(e) for e in our[n]]
        if mine != ts[n].esp:
            problems.append((n, "esp", mine, ts[n].esp))
    left, stale = _filter(capture, problems, "esp-frames")
    assert quoted == QUOTED_IN_ICMP.get((capture, "esp"), 0), (
        f"{capture}: tshark shows ESP only inside an ICMP error in {quoted} frame(s); "
        f"QUOTED_IN_ICMP says {QUOTED_IN_ICMP.get((capture, 'esp'), 0)}")
    assert not left and not stale, _report(capture, left, stale)


def test_deliberate_list_is_well_formed() -> None:
    """Each exemption names a capture that exists (where its root is present), frames, a field and a reason."""
    known = {p.values[0] for p in CAPTURE_PARAMS if p.values[0] is not None}
    roots = {"lab": LAB_CASES, "public": PUBLIC, "repo": CAPTURES}
    assert len(set(DELIBERATE)) == len(DELIBERATE), "duplicate DELIBERATE entries"
    for d in DELIBERATE:
        assert d.frames and d.fields and len(d.reason) > 40, f"DELIBERATE entry without frames/fields/reason: {d}"
        _kind(d)
    for capture in [d.capture for d in DELIBERATE] + [c for c, _layer in QUOTED_IN_ICMP]:
        if roots[capture.split("/", 1)[0]].is_dir():
            assert capture in known, f"an exemption names a capture that does not exist: {capture}"


# --------------------------------------------------------------------------
# Roles against the lab cases' truth

_LABEL = re.compile(r"^(?P<role>[A-Za-z_]+\d?)(?:#(?P<n>\d+))?(?:\((?P<note>[^)]*)\))?$")


def _expected(label: str) -> tuple[str, bool, str | None]:
    """truth.json label -> (ikescope role, is a retransmission, initiator cookie prefix or None).

    ``MM5(retransmit)``: role MM5, a retransmission; ``MM1(d320830c)``: role MM1 in the IKE SA
    whose initiator cookie starts with d320830c; ``IKE_AUTH#1`` / ``#2``: the IKEv2 exchange's
    request / response (odd / even message of the exchange, as truth.json's frame_table log
    summaries show); ``ESP``: an ESP packet.
    """
    m = _LABEL.match(label)
    assert m, f"truth label not understood: {label!r}"
    role, n, note = m.group("role"), m.group("n"), m.group("note")
    if n is not None:
        role = f"{role} {'request' if int(n) % 2 else 'response'}"
    if note == "retransmit":
        return role, True, None
    if note is not None:
        assert re.fullmatch(r"[0-9a-f]{2,16}", note), f"truth label note not understood: {label!r}"
        return role, False, note
    return role, False, None


@pytest.mark.parametrize("case", shipped_cases(), ids=lambda p: p.name)
def test_roles(case: Path) -> None:
    """Each frame's role is truth.json's label; retransmissions point back; Quick Mode labels follow the message ID."""
    truth = json.loads((case / "truth.json").read_text())
    packets: dict[int, list] = {}
    for p in Dissector(str(case / "capture.pcap")).packets():
        packets.setdefault(p.frame, []).append(p)
    problems: list[str] = []
    labelled: set[int] = set()
    for label, frames in truth["frames"].items():
        role, retransmit, cookie = _expected(label)
        for f in frames:
            labelled.add(f)
            got = packets.get(f)
            if not got:
                problems.append(f"frame {f} ({label}): not decoded as ISAKMP/ESP")
                continue
            p = got[0]
            if p.role != role:
                problems.append(f"frame {f}: role {p.role!r}, truth {label!r} -> {role!r}")
            if p.isakmp is None:
                continue
            if retransmit != (p.isakmp.retransmission_of is not None):
                problems.append(f"frame {f} ({label}): retransmission_of={p.isakmp.retransmission_of}")
            if cookie is not None and not p.isakmp.header.icookie.hex().startswith(cookie):
                problems.append(f"frame {f} ({label}): initiator cookie {p.isakmp.header.icookie.hex()}")
    for mid, roles in truth.get("quick_mode_frames", {}).items():
        for role, f in roles.items():
            got = packets.get(f)
            msg = got[0].isakmp if got else None
            if msg is None or msg.header.message_id != int(mid, 16) or msg.role != role:
                problems.append(f"Quick Mode {mid} {role}: frame {f} is "
                                + (f"{msg.role} with message ID {msg.header.message_id:08x}" if msg else "not ISAKMP"))
    unlabelled = sorted(f for f, ps in packets.items() if f not in labelled
                        and any(p.isakmp is not None or p.esp is not None for p in ps))
    if unlabelled:
        problems.append(f"ISAKMP/ESP frames truth.json does not label: {unlabelled}")
    assert not problems, f"{case.name}:\n  " + "\n  ".join(problems)


# --------------------------------------------------------------------------
# A synthetic capture for payload shapes the collected captures lack

def _gen(body: bytes, np: int = 0) -> bytes:
    """Generic payload header (RFC 2408 §3.2) + body; the Next Payload is patched by _chain."""
    return struct.pack(">BBH", np, 0, 4 + len(body)) + body


def _chain(payloads: list[tuple[int, bytes]]) -> tuple[int, bytes]:
    out = b""
    for i, (_t, body) in enumerate(payloads):
        nxt = payloads[i + 1][0] if i + 1 < len(payloads) else 0
        out += _gen(body, nxt)
    return (payloads[0][0] if payloads else 0), out


def _isakmp(exch: int, payloads: list[tuple[int, bytes]], mid: int = 0, version: int = 0x10, flags: int = 0,
            icookie: bytes = bytes.fromhex("0011223344556677"), rcookie: bytes = bytes.fromhex("8899aabbccddeeff")):
    first, body = _chain(payloads)
    return icookie + rcookie + struct.pack(">BBBBII", first, version, exch, flags, mid, 28 + len(body)) + body


def _tv(t: int, v: int) -> bytes:
    return struct.pack(">HH", 0x8000 | t, v)


def _tlv(t: int, v: bytes) -> bytes:
    return struct.pack(">HH", t, len(v)) + v


def _sa_v1(proposals: list[tuple[int, bytes, list[tuple[int, bytes]]]]) -> bytes:
    """SA (DOI IPsec, SIT_IDENTITY_ONLY) with proposals (protocol, SPI, [(transform ID, attributes)])."""
    body = struct.pack(">II", 1, 1)
    for pn, (proto, spi, transforms) in enumerate(proposals, 1):
        tr = b""
        for tn, (tid, attrs) in enumerate(transforms, 1):
            t_np = 3 if tn < len(transforms) else 0
            tr += struct.pack(">BBHBBH", t_np, 0, 8 + len(attrs), tn, tid, 0) + attrs
        p_np = 2 if pn < len(proposals) else 0
        body += struct.pack(">BBHBBBB", p_np, 0, 8 + len(spi) + len(tr), pn, proto, len(spi), len(transforms)) + spi + tr
    return body


def _id_v1(id_type: int, data: bytes, proto: int = 0, port: int = 0) -> bytes:
    return struct.pack(">BBH", id_type, proto, port) + data


def _a4(a: str) -> bytes:
    return socket.inet_pton(socket.AF_INET, a)


def _a6(a: str) -> bytes:
    return socket.inet_pton(socket.AF_INET6, a)


#: Unencrypted messages built by hand from RFC 2407/2408/7296: an IPsec DOI (Quick Mode) SA
#: with ESP and AH proposals and a > 8-byte TLV lifetime, every address ID type, string and
#: key IDs, IKEv1 notifies with SPIs and data, IKEv2 IDs and notifies.
SYNTH_MESSAGES: list[bytes] = [
    _isakmp(32, [
        (8, bytes(20)),
        (1, _sa_v1([
            (3, bytes.fromhex("c0ffee01"), [
                (12, _tv(1, 1) + _tlv(2, bytes.fromhex("00000e10")) + _tv(4, 1) + _tv(5, 2) + _tv(6, 256)),
                (3, _tv(1, 2) + _tlv(2, bytes.fromhex("000000000000000000989680")) + _tv(4, 2) + _tv(5, 1)),
            ]),
            (2, bytes.fromhex("c0ffee02"), [(3, _tv(1, 1) + _tv(2, 28800) + _tv(5, 2))]),
        ])),
        (10, bytes(16)),
        (5, _id_v1(4, _a4("10.1.0.0") + _a4("255.255.255.0"), 17, 500)),
        (5, _id_v1(7, _a4("10.2.0.1") + _a4("10.2.0.99"))),
    ], mid=0x01020304),
    _isakmp(4, [
        (5, _id_v1(2, b"vpn.example.net", 17, 500)),
        (5, _id_v1(3, b"alice@example.net")),
        (5, _id_v1(11, bytes.fromhex("0102030405"))),
        (5, _id_v1(5, _a6("2001:db8::1"))),
        (5, _id_v1(6, _a6("2001:db8:1::") + _a6("ffff:ffff:ffff:ffff::"))),
        (5, _id_v1(8, _a6("2001:db8:2::1") + _a6("2001:db8:2::ff"))),
        (5, _id_v1(1, _a4("192.0.2.77"), 6, 8080)),
    ]),
    _isakmp(5, [
        (8, bytes(20)),
        (11, struct.pack(">IBBH", 1, 1, 16, 36136) + bytes.fromhex("00112233445566778899aabbccddeeff")
         + struct.pack(">I", 4711)),
        (11, struct.pack(">IBBH", 1, 3, 4, 24576) + bytes.fromhex("c0ffee01") + _tv(1, 1) + _tv(2, 3600)),
        (11, struct.pack(">IBBH", 1, 0, 0, 14)),
    ], mid=0x0a0b0c0d, flags=0),
    _isakmp(35, [
        (35, struct.pack(">B3x", 2) + b"initiator.example"),
        (41, struct.pack(">BBH", 3, 4, 16393) + bytes.fromhex("c0ffee03")),
        (36, struct.pack(">B3x", 1) + _a4("192.0.2.3")),
        (41, struct.pack(">BBH", 0, 0, 16384)),
        (41, struct.pack(">BBH", 0, 0, 16431) + bytes.fromhex("000100020003")),
    ], mid=1, version=0x20, flags=0x08),
]


@pytest.fixture(scope="module")
def synthetic_capture(tmp_path_factory) -> Path:
    records = [(1700000000 + i, 0, _synth.ethernet(_synth.ip(4, 17, _synth.udp(500, 500, msg), reverse=bool(i % 2))))
               for i, msg in enumerate(SYNTH_MESSAGES)]
    return _synth.write_pcap(tmp_path_factory.mktemp("synth") / "payload-zoo.pcap", 1, records)


def test_synthetic_payload_shapes(synthetic_capture: Path) -> None:
    """Payload shapes missing from the collected captures agree with tshark too (no exemptions)."""
    ts = theirs(synthetic_capture)
    our = ours(synthetic_capture).isakmp
    assert sorted(n for n, f in ts.items() if f.isakmp) == sorted(our) == list(range(1, len(SYNTH_MESSAGES) + 1))
    # the oracle itself reads what was built (so that the comparison below is not empty)
    qm = ts[1].isakmp[0]["payloads"][1]
    assert [p["protocol_id"] for p in qm["proposals"]] == [3, 2]
    assert qm["proposals"][0]["transforms"][1]["attributes"][1] == [2, "000000000000000000989680"]
    assert ts[1].isakmp[0]["payloads"][3]["address"] == "10.1.0.0/24"
    assert [p["id_type"] for p in ts[2].isakmp[0]["payloads"]] == [2, 3, 11, 5, 6, 8, 1]
    assert ts[3].isakmp[0]["payloads"][1]["notify_type"] == 36136
    assert ts[4].isakmp[0]["payloads"][1]["spi"] == "c0ffee03"
    problems = []
    for n in sorted(our):
        for msg, tv in zip(our[n], ts[n].isakmp):
            problems += [(n, p, a, b) for p, a, b in oracle.diff(oracle.ours_isakmp_view(msg), tv)]
    assert not problems, _report("synthetic payload zoo", problems, [])
