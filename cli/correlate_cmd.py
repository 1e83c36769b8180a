"""``ikescope correlate CAPTURE LOG...`` and ``ikescope correlate --log-only LOG...``: one timeline of a
capture and the debug logs of its peers (or of the logs alone), each message explained, with the
configuration it implies and the findings."""
from __future__ import annotations

import argparse
import hashlib
import ipaddress
import json
import math
import os
import re
import sys

from correlate.logparse import LogError, parse_log
from correlate.offset import clock_text
from correlate.offset import year_written
from dissect import payloads
from dissect.capture import CaptureError
from dissect.pipeline import Dissector

from .glyphs import GLYPHS, use_glyphs_for
from .keyopts import key_material, print_key_messages
from .main import EXIT_OK, EXIT_PARTIAL, EXIT_UNUSABLE

#: "[+|-]SECONDS" or "[+|-][H:]MM:SS[.fff]" or "3h27m13.25s"
_CLOCK = re.compile(r"^(?P<sign>[+-]?)(?:(?P<h>\d+):)?(?P<m>\d+):(?P<s>\d+(?:\.\d*)?)$")
_UNITS = re.compile(r"^(?P<sign>[+-]?)(?:(?P<h>\d+(?:\.\d*)?)h)?(?:(?P<m>\d+(?:\.\d*)?)m(?!s))?"
                    r"(?:(?P<s>\d+(?:\.\d*)?)s)?(?:(?P<ms>\d+(?:\.\d*)?)ms)?$")


def seconds(text: str) -> float:
    """An offset as the user writes it: ``-17``, ``12433.25``, ``+3:27:13.25``, ``3h27m13.25s``, ``-250ms``.
    Raises ValueError for anything else."""
    t = text.strip()
    if re.search(r"\dm\d+(?:\.\d*)?$", t):  # 3h27m13.25: the seconds after the minutes, without their "s"
        t += "s"
    try:
        value = float(t)
    except ValueError:
        pass
    else:
        if not math.isfinite(value) or abs(value) > 100 * 365 * 86400:
            raise ValueError(f"not an offset: {text!r} (more than a century, or not a number)")
        return value
    m = _CLOCK.match(t) or _UNITS.match(t)
    if m is None or not any(m.groupdict().get(k) for k in ("h", "m", "s", "ms")):
        raise ValueError(f"not an offset: {text!r} (give seconds, H:MM:SS.fff or 3h27m13.25s)")
    parts = m.groupdict()
    if m.re is _CLOCK and (float(parts["s"]) >= 60 or (parts["h"] is not None and int(parts["m"]) >= 60)):
        raise ValueError(f"not an offset: {text!r} (minutes and seconds run to 59)")
    total = (float(parts.get("h") or 0) * 3600 + float(parts.get("m") or 0) * 60 + float(parts.get("s") or 0)
             + float(parts.get("ms") or 0) / 1000)
    return -total if m["sign"] == "-" else total


def _us(seconds: float | None) -> float | None:
    """Seconds rounded to the microsecond (None stays None)."""
    return None if seconds is None else round(seconds, 6)


def _capture_year(result) -> int | None:
    """The year of the capture's first IKE packet (UTC), or None."""
    import datetime as dt
    for entry in result.entries:
        if entry.packet.datagram.time:
            return dt.datetime.fromtimestamp(entry.packet.datagram.time, dt.timezone.utc).year
    return None


def _log_named(name: str, names: list[str]) -> str:
    """The log an ``--offset FILE=`` names: the one given under that name, else the one that is the same
    file (``./x.log`` for ``x.log``), else the only one with that file name (``responder.log`` for
    ``captures/seed/responder.log``); else the name as it was (said to name no log)."""
    if name in names:
        return name
    same = [n for n in names if n != "standard input" and os.path.exists(n) and os.path.exists(name)
            and os.path.samefile(n, name)]
    if len(same) == 1:
        return same[0]
    base = [n for n in names if os.path.basename(n) == os.path.basename(name) and os.path.basename(name)]
    return base[0] if len(base) == 1 else name


def _split_logs(logs: list, offsets: dict[str, float], addresses: dict[str, str]):
    """Each log that speaks for two endpoints (both gateways logging to one syslog server) split into one
    log per endpoint (:func:`correlate.split.split_log`): (logs, offsets, addresses, notes).  A part takes
    its file's ``--offset``, and its file's ``--log ADDR=`` when ADDR is the part's own address (said in
    a note when it is none of the parts')."""
    from correlate.split import own_addresses, split_log
    out, notes = [], []
    offsets, addresses = dict(offsets), dict(addresses)
    for log in logs:
        s = split_log(log)
        if s.note:
            notes.append(s.note)
        if not s.parts:
            out.append(log)
            continue
        out.extend(s.parts)
        if log.name in offsets:
            value = offsets.pop(log.name)
            offsets.update((part.name, value) for part in s.parts)
        for addr in [a for a, n in addresses.items() if n == log.name]:
            part = next((p for p in s.parts if addr in own_addresses(p.events)), None)
            if part is not None:
                addresses[addr] = part.name
            else:
                del addresses[addr]
                notes.append(f"{log.name}: --log gave it {addr}, which none of its {len(s.parts)} parts names "
                             "as its own: each part's endpoint is found from its addresses")
    return out, offsets, addresses, notes


def add_arguments(c: argparse.ArgumentParser) -> None:
    from .main import _ports, _tz, _year
    c.add_argument("files", nargs="*", metavar="FILE",
                   help="the capture, then the logs of its peers (with --log-only: the logs alone)")
    c.add_argument("--log", action="append", default=[], metavar="ADDR=FILE",
                   help="a log that speaks for the capture endpoint ADDR (instead of finding out from its addresses)")
    c.add_argument("--offset", action="append", default=[], metavar="[FILE=]OFFSET",
                   help="a log's clock minus the capture's (seconds, H:MM:SS.fff or 3h27m13s), instead of "
                        "the estimate; without FILE= for every log")
    c.add_argument("--log-only", action="store_true",
                   help="no capture: the explained timeline and the findings of the logs alone")
    c.add_argument("--json", action="store_true",
                   help="JSON Lines: one object per packet (as dissect --json, plus log and explanation), "
                        "then a summary object (see README)")
    c.add_argument("--year", type=_year, metavar="YYYY", help="the year of log stamps that have none")
    c.add_argument("--tz", type=_tz, metavar="ZONE", help="the time zone of log stamps that have none (UTC, CET, +02:00)")
    c.add_argument("--no-config", action="store_true", help="do not show the implied configuration")
    c.add_argument("--ports", type=_ports, default=frozenset({500, 4500}),
                   metavar="P[,P...]", help="UDP ports carrying IKE (default 500,4500)")


def run_correlate(args: argparse.Namespace) -> int:
    payloads.SHOW_SECRETS[0] = False
    files = list(args.files)
    capture = None if args.log_only else (files.pop(0) if files else None)
    if capture is None and not args.log_only:
        print("ikescope: correlate needs a capture and at least one log (or --log-only LOG...)", file=sys.stderr)
        return EXIT_UNUSABLE
    addresses: dict[str, str] = {}
    for spec in args.log:
        addr, sep, path = spec.partition("=")
        if not sep or not addr or not path:
            print(f"ikescope: --log {spec!r}: give ADDR=FILE", file=sys.stderr)
            return EXIT_UNUSABLE
        files.append(path)
        try:
            ip = str(ipaddress.ip_address(addr.strip().strip("[]")))
        except ValueError:
            print(f"ikescope: --log {spec!r}: {addr!r} is no IPv4 or IPv6 address", file=sys.stderr)
            return EXIT_UNUSABLE
        if addresses.get(ip, path) != path:
            print(f"ikescope: --log gives {ip} to two logs ({addresses[ip]} and {path}): one log speaks for one "
                  "endpoint", file=sys.stderr)
            return EXIT_UNUSABLE
        addresses[ip] = path
    if [capture, *files].count("-") > 1:
        print("ikescope: standard input (-) is given more than once: one file can be read from it", file=sys.stderr)
        return EXIT_UNUSABLE
    if not files:
        print("ikescope: no log given (give the logs after the capture, or --log ADDR=FILE)", file=sys.stderr)
        return EXIT_UNUSABLE
    offsets: dict[str, float] = {}
    every: float | None = None
    for spec in args.offset:
        name, sep, value = spec.rpartition("=")
        try:
            offset = seconds(value)
        except ValueError as e:
            print(f"ikescope: --offset: {e}", file=sys.stderr)
            return EXIT_UNUSABLE
        if not sep:
            if every is not None:
                print("ikescope: --offset without FILE= given twice", file=sys.stderr)
                return EXIT_UNUSABLE
            every = offset
            continue
        name = "standard input" if name == "-" else name
        if name in offsets:
            print(f"ikescope: --offset for {name} given twice", file=sys.stderr)
            return EXIT_UNUSABLE
        offsets[name] = offset
    if every is not None:  # for every log that has no offset of its own
        for path in files:
            offsets.setdefault("standard input" if path == "-" else path, every)
    logs, problems = [], []
    for path in {p for p in files if files.count(p) > 1}:
        problems.append(f"{'standard input' if path == '-' else path} is given more than once: it is used once")
    for path in dict.fromkeys(files):
        try:
            logs.append(parse_log(path, args.year, args.tz, keep_records=True))
        except LogError as e:
            print(f"ikescope: {e}", file=sys.stderr)
            return EXIT_UNUSABLE
    problems += [p for log in logs for p in log.problems]
    seen_texts: dict[bytes, str] = {}
    for log in list(logs):  # the same log under two names would speak twice for one endpoint
        digest = hashlib.sha256()
        for r in log.records:
            digest.update(f"{r.line}\0{r.text}\n".encode("utf-8", "surrogatepass"))
        same = digest.digest()
        if log.records and same in seen_texts:
            problems.append(f"{log.name} is the same log as {seen_texts[same]}: it is used once")
            logs.remove(log)
        else:
            seen_texts.setdefault(same, log.name)
    names = [log.name for log in logs]
    # an offset for a part of a split log (FILE[192.0.2.2], as the notes name the parts) is set after the split
    parts: dict[str, float] = {}
    plain: dict[str, float] = {}
    for n, v in offsets.items():
        m = None if n in names else re.fullmatch(r"(.+)\[([^\[\]]+)\]", n)
        base = _log_named(m[1], names) if m else None
        if base in names:
            parts[f"{base}[{m[2]}]"] = v
        else:
            plain[_log_named(n, names)] = v
    offsets = plain
    unknown = [n for n in offsets if n not in names]
    if unknown:
        print(f"ikescope: --offset names no log given: {', '.join(unknown)}", file=sys.stderr)
        return EXIT_UNUSABLE
    logs, offsets, addresses, split_notes = _split_logs(logs, offsets, addresses)
    unknown = [n for n in parts if n not in {log.name for log in logs}]
    if unknown:
        print(f"ikescope: --offset names no part of a split log: {', '.join(unknown)}", file=sys.stderr)
        return EXIT_UNUSABLE
    offsets.update(parts)
    from correlate import timeline as T
    if args.log_only:
        ignored = [opt for opt, given in (("--offset", args.offset), ("--keys", args.keys),
                                          ("--psk", args.psk), ("--psk-hex", args.psk_hex),
                                          ("--dh-private", args.dh_private), ("--dh-shared", args.dh_shared),
                                          ("--psk-candidates", args.psk_candidates)) if given]
        if ignored:
            print(f"ikescope: note: {', '.join(ignored)} {'mean' if len(ignored) > 1 else 'means'} nothing without "
                  "a capture (--log-only): ignored",
                  file=sys.stderr)
        result = T.build_log_only(logs)
        (_json_log_only if args.json else _print_log_only)(result, not args.no_config)
        for p in problems + split_notes:
            print(f"ikescope: {p}", file=sys.stderr)
        return EXIT_PARTIAL if problems else EXIT_OK
    km = key_material(args)
    print_key_messages(km)
    dis = Dissector(capture, ike_ports=args.ports, keys=km.entries, psk_candidates=km.candidates,
                    esp_sas=km.esp_sas)
    try:
        result = T.build(dis, logs, addresses or None, offsets or None)
    except CaptureError as e:
        print(f"ikescope: {e}", file=sys.stderr)
        return EXIT_UNUSABLE
    (_json_timeline if args.json else _print_timeline)(result, not args.no_config)
    notes = split_notes + list(result.alignment.notes)
    if args.year is None:
        year = _capture_year(result)
        for c in result.alignment.logs:
            log = next((log for log in result.logs if log.name == c.name), None)
            if c.offset is not None and abs(c.offset) > 180 * 86400 and c.clock == "wall" and not c.given \
                    and (log is None or year_written(log.records) is None):  # (--year is no help then)
                notes.append(f"{c.name}: its clock is {abs(c.offset) / 86400:.0f} days "
                             f"{'ahead of' if c.offset > 0 else 'behind'} the capture's; if its stamps have no year, "
                             f"give it" + (f" (the capture is from {year}: --year {year})" if year else " (--year)"))
    for p in problems + notes:
        print(f"ikescope: {p}", file=sys.stderr)
    if result.stats.truncated:
        print(f"ikescope: {result.stats.truncated}", file=sys.stderr)
    key_problems = dis.key_problems()
    for text in key_problems:
        print(f"ikescope: {text}", file=sys.stderr)
    if result.stats.malformed:
        print(f"ikescope: {result.stats.malformed} ISAKMP message(s) malformed (marked in their rows)", file=sys.stderr)
    hints = _capture_hints(dis)
    for text in hints:
        print(f"ikescope: {text}", file=sys.stderr)
    hint = _keys_in_logs(result.logs, args.keys or []) if key_problems or hints else ""
    if hint:
        print(f"ikescope: {hint}", file=sys.stderr)
    stats = result.stats
    # a log not lined up (another session's, no endpoint of the capture, nothing read) or an offset given that
    # matches none of its packet lines is input that could not be used
    unused = any(c.foreign or c.address is None or (c.given and c.packet_events and not c.matched)
                 for c in result.alignment.logs)
    partial = stats.truncated or stats.undecodable or stats.malformed or km.problems or key_problems or problems \
        or unused
    return EXIT_PARTIAL if partial else EXIT_OK


def _keys_in_logs(logs, given: list[str]) -> str:
    """A hint when keys were wanted and logs given as LOG hold key dumps (charon loglevel 4) that --keys
    did not name: they are key sources only when named there."""
    named = {os.path.abspath(k) for k in given}
    dumps = [log.name for log in logs if os.path.abspath(log.name) not in named
             and any(e.kind == "keys" for e in log.events)]
    if not dumps:
        return ""
    return (f"{' and '.join(dumps)} {'hold' if len(dumps) > 1 else 'holds'} key dumps (strongSwan loglevel 4): "
            f"to decrypt with them, add {' '.join(f'--keys {d}' for d in dumps)}")


# --------------------------------------------------------------------------- text

def _capture_hints(dis) -> list[str]:
    """What ``dissect`` would say about the keys: why an IKE SA could not be decrypted."""
    if dis.decryptor is None:
        return []
    from dissect.decrypt import missing_material
    out = []
    for st in dis.decryptor.states.values():
        why = missing_material(st)
        if why:
            out.append(why)
    return list(dict.fromkeys(out))


def _record_line(r) -> str:
    """A log record as the timeline shows it: its stamp as written and its joined text (a key dump shows as its
    header, naming the value and its size: its bytes are in its raw lines, never in the text)."""
    return f"{r.time_text} {r.text}".strip() if r.time_text else r.text


def _records(attached) -> list[tuple[str, object]]:
    """(log name, record) of the events placed on a packet, each record once, in order."""
    seen: dict[tuple[str, int], tuple[str, object]] = {}
    for a in attached:
        r = a.event.record
        seen.setdefault((a.log, r.line), (a.log, r))
    return list(seen.values())


def _clock_text(clock) -> str:
    """The log's clock against the capture's: an offset for wall-clock stamps, the moment the router booted
    (on the capture's clock, UTC) for uptime stamps (``00:27:07``: seconds since boot)."""
    if clock.clock == "uptime" and clock.offset is not None:
        import datetime as dt
        boot = dt.datetime.fromtimestamp(-clock.offset, dt.timezone.utc)
        plus = f" ± {clock.uncertainty * 1000:.1f} ms" if clock.uncertainty is not None else ""
        return f"uptime stamps: the router booted at {boot:%Y-%m-%d %H:%M:%S}.{boot.microsecond // 1000:03d} UTC{plus} " \
               "on the capture's clock"
    return f"clock {_offset_text(clock.offset, clock.uncertainty)} against the capture"


def _offset_text(offset: float | None, uncertainty: float | None) -> str:
    return "not placed" if offset is None else clock_text(offset, uncertainty)


def _writer():
    """(console, plain, out): ``out(text, style)`` prints a line, with rich's colours on a terminal and as
    plain text to a file or pipe."""
    from . import render
    console = render.make_console()
    use_glyphs_for(sys.stdout)
    plain = not console.is_terminal
    out = (lambda text, style=None: sys.stdout.write(text + "\n")) if plain else \
        (lambda text, style=None: console.print(text, style=style, markup=False, highlight=False))
    return console, plain, out


def _print_explanation(out, exp, config: bool) -> None:
    out(f"    {GLYPHS['arrow']} {exp.headline}", "bold")
    for line in exp.lines:
        out(f"        {line}")
    if config and exp.config is not None:  # each router's own when logs speak for both (its first line says whose)
        out("      implied configuration" + (f" of {len(exp.config.sides)} routers:" if exp.config.sides else ":"),
            "green")
        for line in exp.config.lines:
            out(f"        {line}", "green")


def _print_timeline(result, config: bool) -> None:
    from . import render
    console, plain, out = _writer()
    al = result.alignment
    for clock in al.logs:
        where = (f"not this capture's log ({clock.foreign})" if clock.foreign else
                 f"speaks for {clock.address}" if clock.address else "endpoint not found")
        out(f"{clock.name}: {where}; {_clock_text(clock)}"
            f"{' (given)' if clock.given else ''}; {clock.matched}/{clock.packet_events - clock.copies} packet lines "
            "matched" + (f" (and {clock.copies} pasted copies of them)" if clock.copies else ""),
            "bold")
    out("")
    for entry in result.entries:
        pkt = entry.packet
        row = render.row(pkt, 0.0, "ud")
        if plain:
            out(row.plain)
        else:
            console.print(row)
        for m in entry.matches:
            r = m.event.record
            residual = f" ({m.residual * 1000:+.1f} ms)" if m.residual is not None else ""
            out(f"        {m.log}:{r.line}  logged {r.time_text or '?'}{residual}", "dim")
        _print_records(out, entry.log)
        if entry.explanation is not None:
            _print_explanation(out, entry.explanation, config)
        out("")
    _print_findings(out, result.findings)
    _print_summary(out, result)


def _copy_starts(attached) -> dict[str, int]:
    """Per log, the first line of the pasted copies of a packet's block (a document that quotes one
    message's debug several times, as the seed does): the first packet line placed as a copy, less the
    lines the block had before its own packet line."""
    packet_line: dict[str, int] = {}
    first: dict[str, int] = {}
    copy: dict[str, int] = {}
    for a in attached:
        line = a.event.record.line
        first.setdefault(a.log, line)
        if a.how == "packet":
            packet_line.setdefault(a.log, line)
        elif a.how.startswith("copy of line"):
            copy.setdefault(a.log, line)
    return {log: line - (packet_line.get(log, first[log]) - first[log]) for log, line in copy.items()}


def _record_rows(attached) -> list[tuple[str, object, str, int | None]]:
    """(log name, record, its line as shown, the line of the record it repeats or None) of the records placed
    on a packet, each once, in order: in the pasted copies of its block (:func:`_copy_starts`), a record that
    says word for word what an earlier one of its log said repeats it."""
    starts = _copy_starts(attached)
    first: dict[tuple[str, str], int] = {}
    rows = []
    for log, r in _records(attached):
        line = _record_line(r)
        same = (log, " ".join(line.split()))
        copy_of = first.get(same) if r.line >= starts.get(log, r.line + 1) else None
        first.setdefault(same, r.line)
        rows.append((log, r, line, copy_of))
    return rows


def _print_records(out, attached) -> None:
    """The log records placed on a packet, each once; a pasted copy of one shown before
    (:func:`_record_rows`) is counted, not shown again."""
    copies: dict[str, list[int]] = {}
    for log, r, line, copy_of in _record_rows(attached):
        if copy_of is not None:
            copies.setdefault(log, []).append(r.line)
            continue
        span = f"{r.line}" if r.line == r.last_line else f"{r.line}-{r.last_line}"
        out(f"    {log}:{span}  {line}", "cyan")
    for log, lines in copies.items():
        out(f"    {log}: {len(lines)} more records repeat these word for word (pasted copies of this block; "
            f"lines {_runs(lines)})", "dim")


def _runs(lines: list[int], most: int = 8) -> str:
    """Line numbers as runs: ``206-215, 259, 261-268`` (only the lines given, none between), the first
    ``most`` runs and how many more there are."""
    runs: list[list[int]] = []
    for n in sorted(set(lines)):
        if runs and n == runs[-1][1] + 1:
            runs[-1][1] = n
        else:
            runs.append([n, n])
    said = ", ".join(f"{a}" if a == b else f"{a}-{b}" for a, b in runs[:most])
    return said + (f" and {len(runs) - most} more runs up to line {runs[-1][1]}" if len(runs) > most else "")


def _print_findings(out, findings) -> None:
    if not findings:
        out("Findings: none", "bold")
        return
    out("Findings:", "bold")
    for f in findings:
        style = "bold red" if f.severity == "error" else ("yellow" if f.severity == "warning" else None)
        out(f"  [{f.severity}] {f.title}", style)
        for line in f.text_lines():
            out(f"      {line}")


def _unmatched_events(al) -> tuple[list, int]:
    """The packet lines without a packet of the logs lined up with the capture, and how many more the
    refused logs have (another session's, :attr:`correlate.align.LogClock.foreign`, or speaking for no
    endpoint of the capture): not the capture's, they are not counted."""
    refused = {c.name for c in al.logs if c.foreign or c.address is None}
    kept = [a for a in al.unmatched_events if a.log not in refused]
    return kept, len(al.unmatched_events) - len(kept)


def _print_summary(out, result) -> None:
    al = result.alignment
    kept, refused = _unmatched_events(al)
    aside = f" ({refused} of refused logs not counted)" if refused else ""
    out(f"{len(result.entries)} IKE packets, {len(al.matches)} packet lines matched, {len(kept)} packet lines "
        f"without a packet{aside}, {len(al.unlogged)} packets no log mentions", "bold")
    for link in al.spis:
        if link.counter and link.difference:
            out(f"  SPI 0x{link.spi:08x} ({link.log}): {link.counter} {link.counted}, capture {link.seen} "
                f"({link.difference:+d})" + (f": {link.note}" if link.note else ""), "yellow" if link.timed else None)


def _step_peer(step) -> str:
    """How a log-only step's header names its direction and peer: "-> PEER" (sent) or "<- PEER"
    (received), the arrow alone when the log does not name the peer (libreswan's whack lines), and for a
    third party's view (tcpdump's decode) "SRC -> DST"."""
    arrow = {"out": GLYPHS["arrow"], "in": "<-"}.get(step.direction or "")
    if arrow is None:
        seen = next((e.detail for e in step.events if e.kind == "packet" and e.detail.get("src")
                     and e.detail.get("dst")), None)
        if seen is not None:
            return f" {seen['src']} {GLYPHS['arrow']} {seen['dst']}"
        return f"   {step.peer}" if step.peer else ""
    return f" {arrow} {step.peer}" if step.peer else f" {arrow}"


def _print_log_only(result, config: bool) -> None:
    _console, _plain, out = _writer()
    for entry in result.entries:
        step = entry.step
        if not step.events:
            out(f"{step.role or '?':<6} (implied: no line for it in {step.file})", "dim")
            continue
        peer = _step_peer(step)
        mid = f" M-ID {step.message_id}" if step.message_id else ""
        if entry.copy_of is not None:  # a pasted copy of an earlier message's lines (the seed repeats blocks)
            first = entry.copy_of
            where = f" of {first.file}:{first.first_line}" if first.events else ""
            out(f"{step.role or '?':<6}{peer}{mid}  [{step.file}:{step.first_line}]  pasted copy{where}: the same "
                "lines again, not another message", "dim")
            continue
        again = "  (retransmission)" if step.retransmission else ""
        if step.note:
            again += f"  ({step.note})"
        out(f"{step.role or '?':<6}{peer}{mid}  [{step.file}:{step.first_line}]{again}", "bold")
        records = {}
        for e in step.events:
            records.setdefault(e.record.line, e.record)
        for r in records.values():
            out(f"    {r.line}  {_record_line(r)}", "cyan")
        _print_explanation(out, entry.explanation, config)
        out("")
    _print_findings(out, result.findings)


# --------------------------------------------------------------------------- JSON

def _log_refs(attached) -> list[dict]:
    """The ``log`` list of a packet's JSON object; a pasted copy of an earlier record names it (``copy_of``: its
    line), as the text counts it instead of showing it again."""
    return [{"file": log, "line": r.line, "last_line": r.last_line, "text": line,
             **({"copy_of": copy_of} if copy_of is not None else {})}
            for log, r, line, copy_of in _record_rows(attached)]


def _explanation_dict(exp, config: bool) -> dict | None:
    if exp is None:
        return None
    d = exp.to_dict()
    if not config:
        d["config"] = None
    return d


def _json_timeline(result, config: bool) -> None:
    out = sys.stdout
    for entry in result.entries:
        d = entry.packet.to_dict()
        d["log"] = _log_refs(entry.log)
        d["explanation"] = _explanation_dict(entry.explanation, config)
        out.write(json.dumps(d, ensure_ascii=True) + "\n")
    al = result.alignment
    summary = {
        "summary": True,
        # (seconds to the microsecond: beyond that the digits are float noise, 0.0005000000001018634)
        "logs": [{"file": c.name, "address": c.address, "offset": _us(c.offset), "uncertainty": _us(c.uncertainty),
                  "given": c.given, "resolution": c.resolution, "packet_events": c.packet_events,
                  "matched": c.matched, "copies": c.copies, "foreign": _refused(c, result.logs),
                  "notes": c.notes} for c in al.logs],
        "packets": len(result.entries),
        "matched": len(al.matches),
        "unmatched_events": [{"file": a.log, "line": a.event.record.line, "text": _record_line(a.event.record)}
                             for a in _unmatched_events(al)[0]],
        "unlogged_frames": al.unlogged,
        "unmatched_packets": al.unmatched_packets,
        "spis": [{"spi": s.spi, "log": s.log, "direction": s.direction, "packets": s.packets, "counter": s.counter,
                  "counted": s.counted, "seen": s.seen, "difference": s.difference} for s in al.spis],
        "findings": [f.to_dict() for f in result.findings],
    }
    out.write(json.dumps(summary, ensure_ascii=True) + "\n")


def _refused(clock, logs) -> str:
    """Why the log was not lined up with the capture (the summary's ``foreign``): taken for another session's,
    or speaking for no endpoint of the capture; "" when it was lined up (or nothing was read from it)."""
    if clock.foreign:
        return clock.foreign
    log = next((x for x in logs if x.name == clock.name), None)
    if clock.address is None and (log is None or log.events):
        return "it speaks for no endpoint of the capture"
    return ""


def _json_log_only(result, config: bool) -> None:
    out = sys.stdout
    for entry in result.entries:
        d = entry.step.to_dict()
        d["explanation"] = _explanation_dict(entry.explanation, config)
        out.write(json.dumps(d, ensure_ascii=True) + "\n")
    sas = [{"file": log.name, **sa.to_dict()} for log, a in zip(result.logs, result.analyses) for sa in a.timeline.sas]
    out.write(json.dumps({"summary": True, "sas": sas, "findings": [f.to_dict() for f in result.findings]},
                         ensure_ascii=True) + "\n")


