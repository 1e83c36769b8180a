"""Text to records: joining what terminals, documents and tickets cut apart.

:func:`split_records` reads a log's physical lines and groups them into
:class:`~correlate.model.Record` objects.  A record starts at a line with a
time stamp (:mod:`correlate.timestamps`), at a line whose text starts like a
debug message of a known family (``ISAKMP``, ``IPSEC(``, ``IKEv2``, ``%ASA-``,
``14[IKE]`` …), at a console prompt (``R1#``), after a blank line, and at a
Markdown fence.  Any other line continues the record before it: the seed's
``message ID =`` / ``1371333358``, the indented lines of an ``IPSEC(create_sa)``
record, the wrapped lines of a TAC document.  ``show`` output pasted after its
prompt (``R1#sh crypto ipsec sa``) is one record up to the next prompt or
stamped line, blank lines included.  Runs of blank lines are records of their
own (family ``"blank"``), so that every physical line belongs to exactly one
record.

Each record gets its family ("ios", "asa", "strongswan", "libreswan", "show",
"console", "blank" or "" for prose and the unknown) from its first line.
"""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator

from .model import Record
from .timestamps import split_stamp

__all__ = ["split_records", "family_of"]

#: How the text of a record starts, per family (after the stamp)
_HEADS = [
    ("strongswan", re.compile(r"(?:\w+(?:\[\d+\])?:\s+)?\d{1,3}\[[A-Z]{2,4}\d?\]\s")),
    ("asa", re.compile(r"%ASA-\d-\d+:|\[IKEv[12](?: [A-Z]+)?\]|IKE_DECODE|Group = |IP = |Pitcher:")),
    # message heads only, with their punctuation: a wrapped line such as "PKI_VERIFY_CHAIN_CONTEXT,ident" or
    # "IKE_MSG_FROM_PEER, IKE_QM_EXCH" continues its record
    ("ios", re.compile(r"(?:ISAKMP(?:-PAK|-ERROR)?\s*[:(]|IPSEC\s*[(:]|IPSEC-|IKEv2(?:-[A-Z]+)?\s*:|"
                       r"CRYPTO_PKI\s*:|CRYPTO(?:-[A-Z]+)?\s*:|Crypto mapdb|crypto_\w+|KMI\s*:|IPSec\s*:|"
                       r"%[A-Z][A-Z0-9_]*-\d-[A-Z0-9_]+:|map_db_\w+|insert sa |IPSEC\(|Delete IPsec SA|"
                       r"\(ipsec_\w+\))")),
    ("libreswan", re.compile(r"\d{3} \"[^\"]+\"|\| |pluto\[")),
]
#: syslog tags of strongSwan's daemons: their lines are charon's even without the "14[IKE]" prefix (journal)
_CHARON_TAGS = {"charon": "strongswan", "charon-systemd": "strongswan", "charon-nm": "strongswan",
                "ipsec": "strongswan", "ipsec_starter": "strongswan"}
#: a row of a charon hex dump: "16[IKE] <lab|1>    0: 3D CD 8B ..." (the bytes of a key, at loglevel 4)
_HEX_DUMP = re.compile(r"(?:\d{1,3}\[[A-Z]{2,4}\d?\]\s+(?:<[^>]*>\s+)?)?\s*\d+: (?:[0-9A-F]{2} ){1,16}")
#: A console prompt: host name, then # or >, then perhaps a typed command
_PROMPT = re.compile(r"^[A-Za-z][\w.\-]{0,62}(?:\([\w\-]+\))?[#>]\s*(?P<cmd>.*)$")
#: The header line of show output pasted without its prompt
_SHOW_HEADER = re.compile(r"^\s*(?:interface: |IPv[46] Crypto ISAKMP SA|Crypto session current status|"
                          r"dst\s+src\s+state\s+conn-id)")
_SHOW_CMD = re.compile(r"^(?:do\s+)?sh(?:o(?:w)?)?\s", re.IGNORECASE)
#: a show command pasted without its prompt ("sh crypto ipsec sa")
_BARE_SHOW = re.compile(r"^(?:do\s+)?sh(?:o(?:w)?)?\s+crypto\s", re.IGNORECASE)
_FENCE = re.compile(r"^\s*(```|~~~)")
#: A line of only ping marks (!!!!!...) typed into the console
_PING_MARKS = re.compile(r"^[!.\s]+$")
#: What a ping or a config session prints on the console between debug lines
_CONSOLE_OUTPUT = re.compile(r"(?:Success rate is \d+ percent|Type escape sequence to abort|Sending \d+, \d+-byte ICMP"
                             r"|Packet sent with a source address|Enter configuration commands)")
#: A Markdown heading (a pasted document's next section)
_HEADING = re.compile(r"^#{1,6}\s")


def family_of(text: str) -> str:
    """The family of a record from its text after the stamp: "ios", "asa", ...; "" when none fits."""
    t = text.lstrip()
    for family, head in _HEADS:
        if head.match(t):
            return family
    return ""


def split_records(lines: Iterable[str], name: str, year: int | None = None, tz: dt.tzinfo | None = None,
                  problems: list[str] | None = None) -> Iterator[Record]:
    """The records of a log's lines (without their line ends), in order.  A stamp that has the form of
    a date but is none (Feb 30) adds a message to ``problems`` and the line is read without it."""
    current: Record | None = None
    show = False   # inside pasted show output
    seen_year = None  # the year stamps wrote: later stamps without one take it (ASA: "Jun 10 2010 ..." then "Jun 10 ...")
    for number, raw in enumerate(lines, 1):
        line = raw.rstrip("\r\n")
        if not line.strip():
            if current is not None and (show or current.family == "blank"):
                current.raw.append(line)
                current.last_line = number
                continue
            if current is not None:
                yield current
            current = Record(name, number, number, "", [line], family="blank")
            continue
        first = line[0]
        stamp = None
        if first not in " \t":
            try:
                stamp = split_stamp(line, seen_year or year, tz)
            except ValueError as e:
                if problems is not None:
                    problems.append(f"{name}:{number}: the time stamp does not read ({e}); the line is kept "
                                    "without it")
        if stamp is None:
            prompt = _PROMPT.match(line) if ("#" in line[:80] or ">" in line[:80]) else None
            if (prompt and not _looks_like_message(line) and not (show and _HEADING.match(line))) \
                    or _BARE_SHOW.match(line):
                show = bool(_SHOW_CMD.match(prompt["cmd"] if prompt else line))
                if current is not None:
                    yield current
                current = Record(name, number, number, line.strip(), [line], family="show" if show else "console")
                continue
            if show and _HEADING.match(line):
                show = False  # a document's next heading ends pasted show output (its fences do not: a
                # document may cut one output into many code blocks, as the seed does)
            if current is not None and current.family not in ("blank", "console") and (
                    show or (first in " \t" and not _FENCE.match(current.raw[0]))):
                # an indented line (or any line of show output) continues its record; a charon hex-dump row
                # (journalctl indents them) joins it without entering its text
                if current.family == "strongswan" and _HEX_DUMP.match(line):
                    current.raw.append(line)
                    current.last_line = number
                else:
                    _continue(current, line, number, show)
                continue
            show = False
            family = family_of(line)
            fence = first in "`~" and _FENCE.match(line)
            header = _SHOW_HEADER.match(line)
            marks = (first in "!." and _PING_MARKS.match(line)) or _CONSOLE_OUTPUT.match(line)
            heading = first == "#" and _HEADING.match(line)
            if not (family or fence or header or marks or heading or current is None
                    or current.family in ("blank", "console") or _FENCE.match(current.raw[0])):
                _continue(current, line, number, False)  # a hard-wrapped line
                continue
            if current is not None:
                yield current
            if header:
                family, show = "show", True
            elif marks:
                family = "console"
            current = Record(name, number, number, line.rstrip() if show else line.strip(), [line], family=family)
            continue
        show = False
        if stamp.year_given:
            seen_year = stamp.time.year
        if stamp.host and not stamp.rest.startswith(("%", "<")):
            inner = _device_stamp(stamp.rest, year, tz)  # a syslog server's header around a device's stamp
            if inner is not None:
                inner.host = stamp.host
                stamp = inner
        body = stamp.rest
        family = _CHARON_TAGS.get(stamp.tag.split("[", 1)[0], "") or family_of(body)
        if family == "strongswan" and current is not None and current.family == "strongswan" \
                and _HEX_DUMP.match(body):
            # a row of a charon hex dump (keys, at loglevel 4): part of the dump's record, kept out of its text
            current.raw.append(line)
            current.last_line = number
            continue
        if current is not None:
            yield current
        current = Record(name, number, number, body.strip(), [line], stamp.time, stamp.text, stamp.uptime,
                         family, stamp.host, stamp.seq)
    if current is not None:
        yield current


def _continue(record: Record, line: str, number: int, show: bool) -> None:
    """Add a physical line to ``record``: show output keeps its lines, anything else is joined with a blank."""
    record.raw.append(line)
    record.last_line = number
    if show:
        if not _FENCE.match(line):
            record.text += "\n" + line.rstrip()
    else:
        record.text = f"{record.text} {line.strip()}" if record.text else line.strip()


def _device_stamp(rest: str, year: int | None, tz: dt.tzinfo | None):
    try:
        return split_stamp(rest, year, tz)
    except ValueError:
        return None


def _looks_like_message(line: str) -> bool:
    """A line a prompt pattern would take, that is a message: "ISAKMP:(1011):..." has no # or >, but
    "Crypto mapdb : proxy_match" and "IKEv2-ERROR:..." are not prompts either."""
    return family_of(line) != ""
