"""tcpdump as a second oracle: its expected outputs must agree with ikescope.

The tcpdump test suite (the-tcpdump-group/tcpdump ``tests/``, copied with
their captures into ``../shared/public-captures/tcpdump/``, see MANIFEST.md
§1) holds, for each capture, the exact output of ``tcpdump -# -n -tttt -r
PCAP ARGS`` under ``TZ=UTC``.  Wherever tcpdump prints a field that ikescope
also decodes, the two must agree:

* frame number (``-#``) and timestamp (``-tttt``, UTC, microseconds);
* source/destination address and UDP ports;
* what the frame is: ISAKMP (``NONESP-encap:`` when behind the RFC 3948
  non-ESP marker), ``isakmp-nat-keep-alive``, ``UDP-encap: ESP(...)`` or
  plain ``ESP(...)``, or none of these (ARP, other IP: no ikescope row);
* ESP SPI, sequence number and length;
* the ISAKMP header: version and message ID (``-v``), cookies (``-vvv``),
  exchange type, phase (message ID zero or not), flags, IKEv1 I/R;
* the top-level payload chain (``-v``): types, IKEv2 critical bits, body
  lengths, IKEv1 ID type/protocol/port, notify types, IKEv2 KE group,
  IKEv1 phase 1 transform attributes; and for an encrypted IKEv1 message
  the type of its first payload (``[encrypted id]``).

Everything else tcpdump prints (IP header, checksums, decrypted contents) is
not compared; the deliberate differences are listed in
:data:`DELIBERATE_DIFFERENCES`, each with its reason.  All mismatches of a
file are collected and reported together.
"""
from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest

from conftest import PUBLIC
from dissect.pipeline import Dissector
from tcpdump_out import (GROUPS, ID_TYPES_V1, NOTIFY_V1, PAYLOADS_V1, TdRecord, parse_out,
                         v1_transform_attributes)

TCPDUMP = PUBLIC / "tcpdump"
IKE_PORTS = {500, 4500}

#: .out file -> (capture, tcpdump arguments besides ``-# -n -tttt -r``), from the
#: tcpdump repository's tests/TESTLIST and tests/crypto.sh (MANIFEST.md §1).
CASES: dict[str, tuple[str, str]] = {
    "esp0.out": ("02-sunrise-sunset-esp.pcap", ""),
    "esp1.out": ("02-sunrise-sunset-esp.pcap", '-E "0x12345678@192.1.2.45 3des-cbc-hmac96:0x4043434545464649494a4a4c4c4f4f515152525454575758"'),
    "esp2.out": ("08-sunrise-sunset-esp2.pcap", "-E <two 3des-cbc-hmac96 SAs, see MANIFEST>"),
    "esp5.out": ("08-sunrise-sunset-aes.pcap", '-E "file esp-secrets.txt"'),
    "espudp1.out": ("espudp1.pcap", '-nnnn -E "file esp-secrets.txt"'),
    "isakmp4.out": ("isakmp4500.pcap", '-E "file esp-secrets.txt"'),
    "isakmp5-v.out": ("ISAKMP_sa_setup.pcap", "-v"),
    "ikev2four.out": ("ikev2four.pcap", "-v"),
    "ikev2fourv.out": ("ikev2four.pcap", "-v -v -v"),
    "ikev2fourv4.out": ("ikev2four.pcap", "-v -v -v -v"),
    "ikev2pI2.out": ("ikev2pI2.pcap", '-v -v -v -v -E "file ikev2pI2-secrets.txt"'),
    "ikev2pI2-segfault.out": ("ikev2pI2-segfault.pcapng", ""),
    "ikev2pI2-segfault-v.out": ("ikev2pI2-segfault.pcapng", "-v"),
    "ikev2-id-normal.out": ("ikev2-id-normal.pcap", "-vvv"),
    "ikev2-id-short.out": ("ikev2-id-short.pcap", "-vvv"),
    "isakmp1.out": ("isakmp-delete-segfault.pcap", ""),
    "isakmp2.out": ("isakmp-pointer-loop.pcap", ""),
    "isakmp3.out": ("isakmp-identification-segfault.pcap", "-v"),
    "isakmp-3948-oobr-2.out": ("isakmp-3948-oobr-2.pcap", ""),
    "isakmp-rfc3948-oobr.out": ("isakmp-rfc3948-oobr.pcap", ""),
    "isakmpv1-attr-oobr.out": ("isakmpv1-attr-oobr.pcap", "-v"),
    "isakmp-ikev1_n_print-oobr.out": ("isakmp-ikev1_n_print-oobr.pcap", "-v"),
    "ikev1_id_ipv6_addr_subnet-oobr.out": ("ikev1_id_ipv6_addr_subnet-oobr.pcap", "-v"),
    "isakmp-various-oobr.out": ("isakmp-various-oobr.pcap", "-v"),
    "isakmp-no-none-np.out": ("isakmp-no-none-np.pcapng", "-vvv -e"),
    "esp_truncated.out": ("esp_truncated.pcap", ""),
}

#: Where ikescope deliberately differs from tcpdump, and why.  The checks
#: below skip exactly these fields and nothing else.
DELIBERATE_DIFFERENCES = {
    "decrypted contents": (
        "esp1/esp2/esp5/espudp1/isakmp4/ikev2pI2 were made with -E keys: tcpdump prints the decrypted inner "
        "packet (esp2: a second, inner ESP with SPI 0xabcdabcd; ikev2pI2: the IKE_AUTH payloads inside v2e). "
        "`ikescope dissect` takes no keys, so only the outer ESP/ISAKMP fields are compared."),
    "IKEv2 SA contents": (
        "ikescope decodes the IKEv2 payload chain but not IKEv2 proposals/transforms (README: 'IKEv2 header "
        "and payload chain'), so tcpdump's (p: ...)/(t: ...) lines under an IKEv2 sa are not compared."),
    "payload walk of malformed messages": (
        "where tcpdump marks truncation ([|...]), its payload walk is not comparable: it walks past the ISAKMP "
        "length up to the IP length (isakmp-no-none-np: 77 notifies where the 84-byte message holds 2), and uses "
        "IKEv1 printers for IKEv1 payload numbers inside IKEv2 messages. Only header fields are compared there; "
        "test_malformed.py checks that ikescope marks the malformation."),
    "nothing captured after the UDP header": (
        "isakmp-3948-oobr-2 / isakmp-rfc3948-oobr frame 23: snaplen 42 leaves 0 bytes of UDP payload; tcpdump "
        "prints only '[|isakmp_rfc3948]'. ikescope has no message to show and counts the frame under "
        "'Not decoded' instead of giving it a row."),
    "ESP shorter than SPI + sequence number": (
        "esp_truncated: 4 bytes of ESP captured; tcpdump prints 'ESP(spi=0xc0f7d4c3 [|esp]'. ikescope's ESP "
        "header needs 8 bytes, so the frame is counted under 'Not decoded' with an ESP reason instead."),
    "IKEv1 I/R '?'": (
        "tcpdump prints '?' when its cookie cache has not seen the first message; nothing to compare then."),
    "IP layer": "IP header fields, checksums and tcpdump's '(len mismatch: ...)' notes are not compared.",
}


def _require_tcpdump_dir() -> Path:
    if not TCPDUMP.is_dir():
        pytest.skip(f"tcpdump's test captures are not present at {TCPDUMP} "
                    "(../shared/public-captures/ beside the repository, as in CI)")
    return TCPDUMP


_dissected: dict[str, tuple[dict[int, list], object]] = {}


def _dissect(pcap: Path):
    """ikescope's packets by frame number, and the run's Stats (cached per capture)."""
    key = str(pcap)
    if key not in _dissected:
        dis = Dissector(key)
        by_frame: dict[int, list] = defaultdict(list)
        for pkt in dis.packets():
            by_frame[pkt.frame].append(pkt)
        _dissected[key] = (dict(by_frame), dis.stats)
    return _dissected[key]


def test_every_out_file_is_covered():
    """A new .out beside the captures must be added to CASES (and every capture named there exists)."""
    root = _require_tcpdump_dir()
    outs = {p.name for p in root.glob("*.out")}
    assert outs == set(CASES), f"not in CASES: {sorted(outs - set(CASES))}; missing files: {sorted(set(CASES) - outs)}"
    for out, (pcap, _args) in CASES.items():
        assert (root / pcap).is_file(), f"{out}: capture {pcap} is missing"


@pytest.mark.parametrize("out", sorted(CASES))
def test_tcpdump_out_agrees(out):
    root = _require_tcpdump_dir()
    pcap, args = CASES[out]
    records = parse_out(root / out)
    assert records, f"{out}: no records parsed"
    by_frame, stats = _dissect(root / pcap)
    problems: list[str] = []

    assert stats.frames == len(records), (
        f"{out}: tcpdump shows {len(records)} frames, ikescope read {stats.frames}")

    shown = set()
    for rec in records:
        pkts = by_frame.get(rec.frame, [])
        where = f"{out} (tcpdump {args or 'no flags'}) frame {rec.frame}"
        if rec.kind == "other":
            if rec.truncated and (rec.sport in IKE_PORTS or rec.dport in IKE_PORTS) and not pkts:
                # deliberate difference "nothing captured after the UDP header": must be counted
                if not stats.undecodable:
                    problems.append(f"{where}: truncated IKE-port frame neither shown nor counted as not decoded")
                continue
            if pkts:
                problems.append(f"{where}: tcpdump shows no ISAKMP/ESP ({rec.text.splitlines()[0][:80]!r}), "
                                f"ikescope has a row: {_describe(pkts[0])}")
            continue
        shown.add(rec.frame)
        if rec.kind == "udp-esp" and rec.esp_seq is None and not pkts:
            # deliberate difference "ESP shorter than SPI + sequence number": must be counted, as ESP
            reasons = [r for r in stats.undecodable if "ESP" in r]
            if not reasons:
                problems.append(f"{where}: tcpdump shows truncated UDP-encap ESP spi=0x{rec.esp_spi:08x}; ikescope "
                                f"neither shows it nor counts it with an ESP reason (undecodable: "
                                f"{dict(stats.undecodable)})")
            continue
        if not pkts:
            problems.append(f"{where}: tcpdump shows {rec.kind} ({rec.body[:70]!r}); ikescope has no row "
                            f"(undecodable: {dict(stats.undecodable)})")
            continue
        if len(pkts) != 1:
            problems.append(f"{where}: ikescope has {len(pkts)} rows for one frame")
        problems += [f"{where}: {p}" for p in compare(rec, pkts[0])]

    extra = sorted(set(by_frame) - shown)
    if extra:
        problems.append(f"{out}: ikescope has rows for frames tcpdump does not show as ISAKMP/ESP: {extra}")
    assert not problems, "\n".join(problems)


def _describe(pkt) -> str:
    if pkt.isakmp is not None:
        return f"ISAKMP {pkt.isakmp.payload_summary()}"
    if pkt.esp is not None:
        return f"ESP spi=0x{pkt.esp.spi:08x}"
    return "NAT keepalive"


def compare(rec: TdRecord, pkt) -> list[str]:
    """Every comparable field of one tcpdump record against ikescope's packet; returns the mismatches."""
    d = pkt.datagram
    bad: list[str] = []

    def check(what, tcpdump, ours):
        if tcpdump != ours:
            bad.append(f"{what}: tcpdump {tcpdump!r}, ikescope {ours!r}")

    if abs(d.time - rec.time) >= 1e-6:
        bad.append(f"time: tcpdump {rec.time:.6f}, ikescope {d.time:.6f}")
    check("src", rec.src, d.src)
    check("dst", rec.dst, d.dst)
    check("sport", rec.sport, d.sport)
    check("dport", rec.dport, d.dport)

    if rec.kind == "keepalive":
        if pkt.isakmp is not None or pkt.esp is not None:
            bad.append(f"tcpdump: isakmp-nat-keep-alive, ikescope: {_describe(pkt)}")
        return bad
    if rec.kind in ("esp", "udp-esp"):
        if pkt.esp is None:
            return bad + [f"tcpdump: {rec.kind} ESP, ikescope: {_describe(pkt)}"]
        check("UDP-encap", rec.kind == "udp-esp", pkt.esp.udp_encap)
        check("ESP spi", rec.esp_spi, pkt.esp.spi)
        if rec.esp_seq is not None:
            check("ESP seq", rec.esp_seq, pkt.esp.seq)
            check("ESP length", rec.esp_len, pkt.esp.length)
        return bad

    # ISAKMP
    msg = pkt.isakmp
    if msg is None:
        return bad + [f"tcpdump: ISAKMP, ikescope: {_describe(pkt)}"]
    check("NONESP-encap (non-ESP marker)", rec.non_esp, d.non_esp_marker)
    h = msg.header
    if h is None:
        if rec.phase is not None or rec.version is not None:
            bad.append("tcpdump decodes the ISAKMP header, ikescope has none")
        return bad
    if rec.version is not None:
        check("version", rec.version, (h.major, h.minor))
    if rec.msgid is not None:
        check("message ID", f"{rec.msgid:08x}", f"{h.message_id:08x}")
    if rec.icookie is not None:
        check("initiator cookie", rec.icookie, h.icookie.hex())
        check("responder cookie", rec.rcookie, h.rcookie.hex())
    if rec.phase is None:
        return bad  # tcpdump printed nothing after "isakmp:" (e.g. an unknown version)
    first_phase = rec.phase in ("phase 1", "parent_sa")
    check(f"phase ({rec.phase}: message ID zero)", first_phase, h.message_id == 0)
    if rec.exchange is not None:
        check(f"exchange type ({rec.exchange_name})", rec.exchange, h.exchange_type)
    letters = {1: {"E": 0x01, "C": 0x02}, 2: {"I": 0x08, "V": 0x10, "R": 0x20}}.get(rec.ike_version, {})
    if rec.flag_letters is None:
        check("flags (tcpdump prints none: zero)", 0, h.flags)
    else:
        ours = "".join(letter for letter, bit in letters.items() if h.flags & bit)
        check(f"flags [{rec.flag_letters}]", rec.flag_letters, ours)
    if rec.ike_version == 1 and rec.ir in ("I", "R") and pkt.sa is not None:
        ours = "I" if d.src == pkt.sa.initiator else "R"
        check("IKEv1 sender (I = the SA's initiator)", rec.ir, ours)
    if rec.encrypted_first is not None:
        check("encrypted (E flag)", True, msg.encrypted)
        check(f"first payload of the encrypted body ([encrypted {rec.encrypted_first}])",
              PAYLOADS_V1.get(rec.encrypted_first), h.next_payload)
    if rec.truncated or not rec.payloads:
        return bad  # deliberate difference "payload walk of malformed messages", or no -v
    check("payload types", [p.type for p in rec.payloads], [p.type for p in msg.payloads])
    for i, (tp, op) in enumerate(zip(rec.payloads, msg.payloads)):
        bad += [f"payload {i + 1} ({tp.name}): {m}" for m in compare_payload(rec.ike_version, tp, op)]
    if rec.ike_version == 1:
        ours_t = [{a.type: a.value for a in t.attributes}
                  for p in msg.payloads if p.type == 1 for prop in p.proposals for t in prop.transforms]
        theirs_t = v1_transform_attributes(rec.text)
        if theirs_t:
            if len(theirs_t) != len(ours_t):
                bad.append(f"transforms: tcpdump {len(theirs_t)}, ikescope {len(ours_t)}")
            for n, (t, o) in enumerate(zip(theirs_t, ours_t)):
                sub = {k: o.get(k) for k in t}
                if sub != t:
                    bad.append(f"transform {n + 1} attributes: tcpdump {t}, ikescope {sub}")
    return bad


def compare_payload(version: int | None, tp, op) -> list[str]:
    bad = []
    if version == 2:
        if tp.critical != op.critical:
            bad.append(f"critical: tcpdump {tp.critical}, ikescope {op.critical}")
        if tp.body_len is not None and tp.name not in ("n",):
            # tcpdump's len= is the body after the generic header; for v2ke, after the group too
            ours = op.length - (8 if tp.name == "v2ke" else 4)
            if tp.body_len != ours:
                bad.append(f"body length: tcpdump len={tp.body_len}, ikescope {ours}")
        if tp.name == "v2ke":
            g = _field(tp.text, "group")
            if g in GROUPS and GROUPS[g] != op.group:
                bad.append(f"KE group: tcpdump {g} ({GROUPS[g]}), ikescope {op.group}")
        if tp.name == "n":
            t = _notify_type(tp.text)
            if t is not None and t != op.notify_type:
                bad.append(f"notify type: tcpdump {t}, ikescope {op.notify_type}")
        if tp.name in ("v2IDi", "v2IDr") and op.length - 4 >= 4:
            # tcpdump: "len=5 01000000de ipv4:de" -> the first byte of the body is the ID type
            hexs = tp.text.split()[1] if len(tp.text.split()) > 1 else ""
            if len(hexs) >= 2 and int(hexs[:2], 16) != op.id_type:
                bad.append(f"ID type: tcpdump {int(hexs[:2], 16)}, ikescope {op.id_type}")
        return bad
    # IKEv1
    if tp.name in ("ke", "nonce", "vid", "hash", "sig") and tp.body_len is not None:
        if tp.body_len != op.length - 4:
            bad.append(f"body length: tcpdump len={tp.body_len}, ikescope {op.length - 4}")
    if tp.name == "id":
        idtype = _field(tp.text, "idtype")
        if idtype in ID_TYPES_V1 and ID_TYPES_V1[idtype] != op.id_type:
            bad.append(f"ID type: tcpdump {idtype}, ikescope {op.id_type}")
        for key, ours in (("protoid", op.protocol_id), ("port", op.port)):
            v = _field(tp.text, key)
            if v is not None and v.isdigit() and int(v) != ours:
                bad.append(f"ID {key}: tcpdump {v}, ikescope {ours}")
        if tp.body_len is not None and tp.body_len != op.length - 8:
            bad.append(f"ID data length: tcpdump len={tp.body_len}, ikescope {op.length - 8}")
    if tp.name == "n":
        t = _notify_type(tp.text)
        if t is not None and t != op.notify_type:
            bad.append(f"notify type: tcpdump {t}, ikescope {op.notify_type}")
    return bad


def _field(text: str, key: str) -> str | None:
    """``key=value`` in a tcpdump payload line (value up to a space or parenthesis)."""
    import re
    m = re.search(rf"\b{re.escape(key)}=([^\s()]+)", text)
    return m.group(1) if m else None


def _notify_type(text: str) -> int | None:
    v = _field(text, "type")
    if v is None:
        return None
    if v.startswith("#") and v[1:].isdigit():
        return int(v[1:])
    if v.isdigit():
        return int(v)
    head = v.split("(")[0]
    if head.isdigit():
        return int(head)
    return NOTIFY_V1.get(v)


@pytest.mark.parametrize("pcap", sorted({pcap for pcap, _args in CASES.values()}))
def test_frames_tcpdump_shows_are_accounted(pcap):
    """Every frame tcpdump lists is an ikescope row or counted (Stats.skipped / Stats.undecodable), once.

    E.g. isakmp4500.pcap: 27 IKE/ESP/keepalive frames and 8 ARP frames, which must be counted as skipped.
    """
    root = _require_tcpdump_dir()
    by_frame, stats = _dissect(root / pcap)
    covered = set(by_frame)
    for pkts in by_frame.values():
        for p in pkts:
            covered.update(p.datagram.fragments)
    negative = {k: v for k, v in (*stats.skipped.items(), *stats.undecodable.items()) if v < 0}
    assert not negative, f"{pcap}: negative counts {negative} (skipped {dict(stats.skipped)})"
    counted = sum(stats.skipped.values()) + sum(stats.undecodable.values())
    assert len(covered) + counted == stats.frames, (
        f"{pcap}: {stats.frames} frames, {len(covered)} shown + {counted} counted "
        f"(skipped {dict(stats.skipped)}, undecodable {dict(stats.undecodable)})")
