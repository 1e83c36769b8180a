"""A log file to records and events: the entry point of the log side.

:func:`parse_log` reads a file (or text), splits it into records
(:mod:`correlate.records`), and hands each record to the parser of its family:
Cisco IOS/IOS-XE debug (:mod:`correlate.ios`), pasted ``show`` output
(:mod:`correlate.show`), ASA (:mod:`correlate.asa`), strongSwan charon
(:mod:`correlate.strongswan`).  Every record is kept, with or without events.
Bad input costs nothing but a one-line problem: binary junk, an empty file, a
text in no known format, a stamp that does not read.

A file is read in chunks of whole lines (:data:`CHUNK` bytes, up to the end
of the last line they hold), each decoded on its own, and each record is
dropped once its family's parser has read it unless ``keep_records``: the
memory is then the events', not the log's.  The cyclic garbage collector is
held back during the loop (see :func:`parse_log_text`).
"""
from __future__ import annotations

import datetime as dt
import io
import os
import re
from collections.abc import Callable, Iterable, Iterator
from itertools import chain
from typing import BinaryIO

from dissect.gcpolicy import paused_collector

from . import asa, ios, libreswan, show, strongswan
from .model import Event, LogResult, Record
from .records import split_records
from .secrets import mask_record, might_hold
from .timestamps import starts_with_stamp

__all__ = ["parse_log", "parse_log_bytes", "parse_log_text", "LogError", "PARSERS"]

#: The parser of each family: a record -> its events
PARSERS: dict[str, Callable[[Record], list[Event]]] = {
    "ios": ios.events, "show": show.events, "asa": asa.events, "strongswan": strongswan.events, "libreswan": libreswan.events,
}

#: bytes read at a time (then up to the end of the line the read cut); the first read holds at least the
#: 64 KiB in which a NUL byte says binary data
CHUNK = 1 << 20
_SNIFF = 65536


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
            return _parse_stream(sys.stdin.buffer, name, year, tz, keep_records)
        with open(path, "rb") as f:
            return _parse_stream(f, name, year, tz, keep_records)
    except OSError as e:
        raise LogError(f"{name}: cannot read the log: {e.strerror or e}") from None


def parse_log_bytes(raw: bytes, name: str, year: int | None = None, tz: dt.tzinfo | None = None,
                    keep_records: bool = True) -> LogResult:
    """:func:`parse_log` on bytes: text in UTF-8 (a byte that is not UTF-8 becomes U+FFFD); binary junk
    (NUL bytes) is said and its printable lines still read."""
    return _parse_stream(io.BytesIO(raw), name, year, tz, keep_records)


def _parse_stream(f: BinaryIO, name: str, year: int | None, tz: dt.tzinfo | None,
                  keep_records: bool) -> LogResult:
    """:func:`parse_log_bytes` on a binary file, read in chunks: an empty log (only blanks) is said once
    all of it was read, and the NUL test is on its first 64 KiB, as if it had been read at once."""
    result = LogResult(name)
    first = f.read(CHUNK)
    while len(first) < _SNIFF:  # a pipe may give less than asked for
        more = f.read(CHUNK)
        if not more:
            break
        first += more
    if b"\r" in first and b"\n" not in first:  # old Mac line ends (CR only): read at once, as lines
        first, f = (first + f.read()).replace(b"\r", b"\n"), io.BytesIO()
    utf16 = _utf16(first)
    if utf16 is not None:  # (Windows: PowerShell's ">" writes UTF-16) read at once, as text
        text = (first + f.read()).decode(utf16, "replace").removeprefix("\ufeff")
        if not text.strip():
            result.problems.append(f"{name}: empty, no log records")
            return result
        return parse_log_text(_CONTROL.sub("", text), name, year, tz, result, keep_records)
    binary = b"\x00" in first[:_SNIFF]
    if binary:
        result.problems.append(f"{name}: binary data (NUL bytes), not a text log; its text lines are read anyway")
    text_seen = [False]  # some byte that is not a blank (bytes.strip()'s): else the log is "empty"
    ended = [True]
    lines = chain.from_iterable(_lines(_pieces(first, f), binary, text_seen, result.problems, name, ended))
    parse_log_text(lines, name, year, tz, result, keep_records, ended)
    if not text_seen[0]:
        result = LogResult(name)
        result.problems.append(f"{name}: empty, no log records")
    return result


def _utf16(first: bytes) -> str | None:
    """The codec of a UTF-16 text (its BOM, or without one, a NUL byte beside each of the first 64
    characters, as ASCII text in UTF-16 has), or None."""
    if first[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return "utf-16"
    head = first[:128]
    if len(head) < 8 or len(head) % 2:
        head = head[:len(head) - len(head) % 2]
    if len(head) < 8:
        return None
    even, odd = head[0::2], head[1::2]
    if odd.count(0) == len(odd) and even.count(0) == 0:
        return "utf-16-le"
    if even.count(0) == len(even) and odd.count(0) == 0:
        return "utf-16-be"
    return None


def _pieces(first: bytes, f: BinaryIO) -> Iterator[bytes]:
    """The bytes of ``f`` (``first`` already read) in pieces of whole lines: each ends with its b"\\n",
    but for the last.  A UTF-8 character never spans a b"\\n", so each piece decodes as its part of the
    whole would (an invalid sequence ends at a b"\\n" too)."""
    pending = first
    while True:
        cut = pending.rfind(b"\n") + 1
        if cut:
            yield pending[:cut]
            pending = pending[cut:]
        more = f.read(CHUNK)
        if not more:
            break
        pending += more  # (a log that is one long line is read at once)
    if pending:
        yield pending


#: control characters of binary junk and terminals (tabs and line ends stay), as text and as the bytes
#: of their UTF-8 (each is one byte < 0x80, which UTF-8 uses for nothing else)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_CONTROL_BYTES = bytes([*range(0x00, 0x09), 0x0b, 0x0c, *range(0x0e, 0x20), 0x7f])


def _lines(pieces: Iterable[bytes], binary: bool, text_seen: list[bool], problems: list[str],
           name: str, ended: list[bool]) -> Iterator[list[str]]:
    """The lines of each piece, decoded (UTF-8; invalid bytes replaced, and said in one line of ``problems``:
    :func:`_not_utf8`), without the BOM at the start, control characters and NUL bytes (``binary``) removed.
    ``ended[0]``: whether the last piece so far ended with a line end."""
    start = True
    number = 0  # lines before the piece
    said: int | None = None  # the index in problems of the line about bytes that are not UTF-8 ...
    seen = [0, 0, 0]  # ... and what it says (_not_utf8)
    said_nul = False
    for piece in pieces:
        if not text_seen[0] and piece.strip():
            text_seen[0] = True
        if binary:
            piece = piece.replace(b"\x00", b"")  # before decoding, as the whole log's were
        elif not said_nul and b"\x00" in piece:  # binary junk after the first 64 KiB: said once, then removed
            said_nul = True
            at = number + piece.count(b"\n", 0, piece.index(b"\x00")) + 1
            problems.append(f"{name}:{at}: NUL bytes (binary data inside the log), the first on this line; "
                            "they are removed and the text around them read")
        bad = False
        try:
            text = piece.decode("utf-8")
        except UnicodeDecodeError:
            text, bad = piece.decode("utf-8", "replace"), not binary
        if start:
            text, start = text.removeprefix("\ufeff"), False
        if len(piece.translate(None, _CONTROL_BYTES)) != len(piece):  # a C scan: most logs have none
            text = _CONTROL.sub("", text)
        lines = text.split("\n")  # not splitlines(): \x85 or \u2028 in a line must not shift the line numbers
        if lines[-1] == "":
            lines.pop()  # the piece's last line end (a log's last line may have none)
        if bad:
            if said is None:
                said = len(problems)
                problems.append("")
            problems[said] = _not_utf8(name, lines, number, seen)
        number += len(lines)
        ended[0] = piece.endswith(b"\n")
        yield lines


def _unclosed(text: str) -> bool:
    """Whether ``text`` opens more brackets than it closes (``... to 192.0.2.3[4500] (9``): a line cut short."""
    return text.count("(") > text.count(")") or text.count("[") > text.count("]") or text.count("{") > text.count("}")


#: characters of a line within which a time stamp is (the longest forms: a syslog header and a device's stamp)
_STAMP_REACH = 40


#: how a line with a stamp starts: a month name, a digit, or IOS's "*" / "." before them
_STAMP_START = re.compile(r"\s*[*.]?(?:[A-Za-z]{3}\W|\d)")



def _not_utf8(name: str, lines: list[str], before: int, seen: list[int]) -> str:
    """The one problem line that says where a log has bytes that are not UTF-8 (each decoded as U+FFFD):
    the first such line, how many lines have them, and the first whose stamp they may break (its record
    then has no time, and a packet line none of its facts).  ``lines`` follow ``before`` lines; ``seen``:
    [first line, lines, first line with one within a stamp's reach] so far (0 for none), brought up to date."""
    first, count, stamp = seen
    for n, line in enumerate(lines, before + 1):
        at = line.find("\ufffd")
        if at < 0:
            continue
        first, count = first or n, count + 1
        if not stamp and at < _STAMP_REACH and _STAMP_START.match(line) and not starts_with_stamp(line):
            stamp = n
    seen[:] = first, count, stamp
    text = f"{name}:{first}: bytes that are not UTF-8" + (", the first on this line" if count == 1 else
                                                            f" on {count} lines, the first on this one")
    text += "; each is read as U+FFFD"
    if stamp:
        text += (f"; some are where a time stamp is (line {stamp}): a line whose stamp they break is read "
                 "as part of the record before it")
    return text


def parse_log_text(text: str | Iterable[str], name: str, year: int | None = None, tz: dt.tzinfo | None = None,
                   result: LogResult | None = None, keep_records: bool = True,
                   ended: list[bool] | None = None) -> LogResult:
    """Records and events of a log's text, or of its lines (see :func:`parse_log`); ``keep_records``
    False keeps only the events (and counts), so that memory grows with the events, not with the log.
    A last line without a line end (``ended[0]`` False, for lines; a text says it itself) whose record
    gives no event, though its family's records do, is said in ``problems``: the log may be cut short."""
    result = result or LogResult(name)
    if isinstance(text, str):
        lines = text.split("\n")  # not splitlines(): \x85 or \u2028 in a line must not shift the line numbers
        if lines and lines[-1] == "":
            lines.pop()
        ended = [not text or text.endswith("\n")]
    else:
        lines = text
    families = result.families
    events = result.events
    keep = result.records.append if keep_records else None
    # each parser unwrapped from its never_raises guard: the loop guards the call itself, which costs
    # nothing until a parser raises (a call through the guard for each of a million records does)
    parsers = {family: getattr(parse, "__wrapped__", parse) for family, parse in PARSERS.items()}
    count = 0
    record, found = None, None
    # the cyclic collector waits for the end of the loop: the events it keeps would set it off again and
    # again, each full collection walking all the events so far (dissect/gcpolicy.py)
    with paused_collector():
        for count, record in enumerate(split_records(lines, name, year, tz, result.problems), 1):
            if might_hold(record.text):  # a configuration line with a pre-shared key: never shown
                mask_record(record)
            if keep is not None:
                keep(record)
            family = record.family
            parse = parsers.get(family)
            if parse is not None:
                try:
                    found = parse(record)
                except Exception:  # noqa: BLE001 - as never_raises: a bug on odd input costs only this record
                    found = None
                if found:
                    events.extend(found)
                families.add(family)
            elif family:
                families.add(family)
    result.record_count = count
    if count and ended is not None and not ended[0] and record.family in parsers and (
            not found or _unclosed(record.text)):
        result.problems.append(f"{name}:{record.last_line}: the last line has no line end and "
                               f"{'gives no event' if not found else 'leaves a bracket open'}: the log may be cut "
                               "short there (what it holds is read as far as it goes)")
    if "strongswan" in families:  # a sent packet's message ID is on the generating line before it
        strongswan.link_message_ids(result.events)
    if "ios" in families:  # "Sending an IKE IPv6 Packet." quoted without its "sending packet" line
        ios.promote_ip_sends(result.events)
        ios.join_id_fields(result.events)  # IOS-XE's ID payload, its fields one record each
    if not families - {"blank", "console"}:
        result.problems.append(f"{name}: no line in a known log format (Cisco IOS/IOS-XE or ASA debug, show "
                               "output, strongSwan charon, libreswan pluto); its lines are kept as raw records")
    return result
