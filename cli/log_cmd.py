"""``ikescope log FILE...``: the events of router and VPN debug logs, as a table or JSON Lines."""
from __future__ import annotations

import argparse
import json
import re
import sys

from correlate.logparse import LogError, parse_log
from correlate.model import Event, Record
from dissect.model import endpoint_text

from .main import EXIT_OK, EXIT_PARTIAL, EXIT_UNUSABLE

#: The table's columns: (title, width)
COLUMNS = (("Line", 9), ("Time", 19), ("Kind", 10), ("Dir", 3), ("Peer", 24), ("Msg ID", 10), ("Conn", 5))

#: a stamp written with a fraction of a second ("08:33:43.433", "13:45:14,439")
_FRACTION = re.compile(r"\d:\d\d[.,]\d")


def run_log(args: argparse.Namespace) -> int:
    tz = args.tz
    results = []
    unreadable = False
    for path in args.files:
        try:
            results.append(parse_log(path, args.year, tz, keep_records=args.all))
        except LogError as e:
            print(f"ikescope: {e}", file=sys.stderr)
            unreadable = True
    if not results:
        return EXIT_UNUSABLE
    if args.json:
        _write_json(results, args.all)
    else:
        _print_table(results, args.all)
    problems = [p for r in results for p in r.problems]
    for p in problems:
        print(f"ikescope: {p}", file=sys.stderr)
    if unreadable:  # README: an unreadable file gives 2 (the others were still read and shown)
        return EXIT_UNUSABLE
    return EXIT_PARTIAL if problems else EXIT_OK


def _rows(result, show_all: bool):
    """(record, events) in file order; records without events only with --all (never blank ones)."""
    by_record: dict[int, list[Event]] = {}
    for e in result.events:
        by_record.setdefault(id(e.record), []).append(e)
    if not show_all:  # the records that gave events, in order (the others were not kept)
        seen: set[int] = set()
        for e in result.events:
            if id(e.record) not in seen:
                seen.add(id(e.record))
                yield e.record, by_record[id(e.record)]
        return
    for r in result.records:
        if r.family != "blank":
            yield r, by_record.get(id(r), [])


def _record_dict(r: Record) -> dict:
    return {"file": r.file, "line": r.line, "last_line": r.last_line,
            "time": r.time.isoformat() if r.time is not None else None, "uptime": r.uptime, "family": r.family,
            "kind": "record", "text": r.text}


def _write_json(results, show_all: bool) -> None:
    out = sys.stdout
    for result in results:
        for r, evs in _rows(result, show_all):
            for e in evs or [None]:
                out.write(json.dumps(e.to_dict() if e is not None else _record_dict(r), ensure_ascii=True) + "\n")


def _cell(value, width: int) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= width else text[:width - 1] + "~"


def _when(r: Record) -> str:
    """The record's date and time as the log wrote them: milliseconds only when its stamp had them."""
    if r.time is not None:
        when = r.time.strftime("%b %d %H:%M:%S")
        return when + r.time.strftime(".%f")[:4] if _FRACTION.search(r.time_text) else when
    if r.uptime is not None:
        return f"up {r.uptime:g}s"
    return ""


def _print_table(results, show_all: bool) -> None:
    from . import render
    console = render.make_console()
    header = " ".join(f"{t:<{w}}" for t, w in COLUMNS) + " What"
    console.print(header, style="bold", markup=False)
    counts = []
    for result in results:
        n = 0
        for r, evs in _rows(result, show_all):
            if not evs:
                console.print(f"{r.line:>{COLUMNS[0][1]}} {_when(r):<{COLUMNS[1][1]}} {'':<{COLUMNS[2][1]}}"
                              f" {'':<3} {'':<{COLUMNS[4][1]}} {'':<{COLUMNS[5][1]}} {'':<{COLUMNS[6][1]}} "
                              f"{r.text[:200]}", style="dim", markup=False)
                continue
            for e in evs:
                n += 1
                mid = f"{e.message_id:08x}" if e.message_id is not None else ""
                cells = [f"{r.line:>{COLUMNS[0][1]}}", _cell(_when(r), COLUMNS[1][1]), _cell(e.kind, COLUMNS[2][1]),
                         _cell({"in": "<-", "out": "->"}.get(e.direction or "", ""), 3),
                         _cell(endpoint_text(e.peer, e.peer_port) if e.peer else "", COLUMNS[4][1]), mid,
                         _cell(e.conn_id, COLUMNS[6][1])]
                what = e.message or r.text
                style = "bold red" if e.kind == "error" else ("cyan" if e.kind == "packet" else "")
                console.print(" ".join(f"{c:<{w}}" for c, (_t, w) in zip(cells, COLUMNS)) + " " + what[:200],
                              style=style or None, markup=False)
        shown = sorted(result.families - {"blank"})
        counts.append(f"{result.name}: {result.record_count} records, {n} events"
                      + (f" ({', '.join(shown)})" if shown else ""))
    for line in counts:
        console.print(line, style="bold", markup=False)
