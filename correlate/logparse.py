"""A log file to records and events: the entry point of the log side.

:func:`parse_log` reads a file (or text), splits it into records
(:mod:`correlate.records`), and hands each record to the parser of its family:
Cisco IOS/IOS-XE debug (:mod:`correlate.ios`), pasted ``show`` output
(:mod:`correlate.show`), ASA (:mod:`correlate.asa`), strongSwan charon
(:mod:`correlate.strongswan`).  Every record is kept, with or without events.
Bad input costs nothing but a one-line problem: binary junk, an empty file, a
text in no known format, a stamp that does not read.
"""
from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Callable

from . import asa, ios, show, strongswan
from .model import Event, LogResult, Record
from .records import split_records

__all__ = ["parse_log", "parse_log_text", "LogError", "PARSERS"]

#: The parser of each family: a record -> its events
PARSERS: dict[str, Callable[[Record], list[Event]]] = {
    "ios": ios.events, "show": show.events, "asa": asa.events, "strongswan": strongswan.events,
}


class LogError(ValueError):
    """A log that cannot be read at all (missing, a directory): a one-line message."""


def parse_log(path: str, year: int | None = None, tz: dt.tzinfo | None = None,
              keep_records: bool = True) -> LogResult:
    """Read and parse the log at ``path`` ("-" is standard input).  Raises LogError when it cannot be
    read; anything else (binary junk, an unknown format) becomes a problem of the result."""
    name = "standard input" if path == "-" else os.fspath(path)
    try:
        if path == "-":
            import sys
            raw = sys.stdin.buffer.read()
        else:
            with open(path, "rb") as f:
                raw = f.read()
    except OSError as e:
        raise LogError(f"{name}: cannot read the log: {e.strerror or e}") from None
    return parse_log_bytes(raw, name, year, tz, keep_records)


def parse_log_bytes(raw: bytes, name: str, year: int | None = None, tz: dt.tzinfo | None = None,
                    keep_records: bool = True) -> LogResult:
    """:func:`parse_log` on bytes: text in UTF-8 (other bytes kept as they are, Latin-1 style);
    binary junk (NUL bytes) is said and its printable lines still read."""
    result = LogResult(name)
    if not raw.strip():
        result.problems.append(f"{name}: empty, no log records")
        return result
    if b"\x00" in raw[:65536]:
        result.problems.append(f"{name}: binary data (NUL bytes), not a text log; its text lines are read anyway")
        raw = raw.replace(b"\x00", b"")
    text = _CONTROL.sub("", raw.decode("utf-8", "replace").removeprefix("\ufeff"))
    return parse_log_text(text, name, year, tz, result, keep_records)


#: control characters of binary junk and terminals (tabs and line ends stay)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def parse_log_text(text: str, name: str, year: int | None = None, tz: dt.tzinfo | None = None,
                   result: LogResult | None = None, keep_records: bool = True) -> LogResult:
    """Records and events of a log's text (see :func:`parse_log`); ``keep_records`` False keeps only the
    events (and counts), so that memory grows with the events, not with the log."""
    result = result or LogResult(name)
    lines = text.split("\n")  # not splitlines(): \x85 or \u2028 in a line must not shift the line numbers
    if lines and lines[-1] == "":
        lines.pop()
    families = result.families
    events = result.events
    count = 0
    for record in split_records(lines, name, year, tz, result.problems):
        count += 1
        if keep_records:
            result.records.append(record)
        family = record.family
        if family:
            families.add(family)
            parse = PARSERS.get(family)
            if parse is not None:
                events.extend(parse(record))
    result.record_count = count
    if not families - {"blank", "console"}:
        result.problems.append(f"{name}: no line in a known log format (Cisco IOS/IOS-XE or ASA debug, show "
                               "output, strongSwan charon); its lines are kept as raw records")
    return result
