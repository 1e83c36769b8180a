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

Speed (a debug log may have a million lines; ``bench/run_log_bench.py``):
lines of the two commonest forms, an IOS stamp with its colon and a charon
filelog line, take a fast lane: one regex gives the stamp (and for charon the
family too, see :data:`~correlate.timestamps.QUICK_STAMP`) and its time comes
from a cache; a line that starts with the text the last such line's stamp
was read from (most lines of a burst share their millisecond) takes that
stamp with one ``str.startswith``.  Other lines take the general path, where
costly regexes are guarded by exact cheap tests: a first character or a
substring the regex cannot match without.  All of it gives the records the
general path alone would.
"""
from __future__ import annotations

import datetime as dt
import re
from itertools import chain, islice
from collections.abc import Iterable, Iterator

from .model import Record
from .timestamps import (QUICK_STAMP, month_time, parse_tz, stamp_fields, starts_with_stamp, this_year,
                         zone_of_stamp)

__all__ = ["split_records", "family_of"]

#: How the text of a record starts, per family (after the stamp)
_HEADS = [
    # (\w++ is possessive: a shorter run of word characters would leave one before "[" or ":", so it
    # never matches more, and on "ISAKMP: (0):..." the regex fails at once instead of backing off)
    ("strongswan", re.compile(r"(?:\w++(?:\[\d+\])?:\s+)?\d{1,3}\[[A-Z]{2,4}\d?\]\s")),
    ("asa", re.compile(r"%ASA-\d-\d+:|\[IKEv[12](?: [A-Z]+)?\]|IKE_DECODE|Group = |IP = |Pitcher:")),
    # message heads only, with their punctuation: a wrapped line such as "PKI_VERIFY_CHAIN_CONTEXT,ident" or
    # "IKE_MSG_FROM_PEER, IKE_QM_EXCH" continues its record
    ("ios", re.compile(r"(?:ISAKMP(?:-PAK|-ERROR)?\s*[:(]|IPSEC\s*[(:]|IPSEC-|IKEv2(?:-[A-Z]+)?\s*:|"
                       r"CRYPTO_PKI\s*:|CRYPTO(?:-[A-Z]+)?\s*:|Crypto mapdb|crypto_\w+|KMI\s*:|IPSec\s*:|"
                       r"%[A-Z][A-Z0-9_]*-\d-[A-Z0-9_]+:|map_db_\w+|insert sa |IPSEC\(|Delete IPsec SA|"
                       r"\(ipsec_\w+\))")),
    # whack/pluto lines ("002 \"road\" #1: ...", "1v1 ...", "006 #2: ...", "003 ERROR: ..."), and tcpdump's text
    # decode of ISAKMP and ESP that libreswan's test consoles paste with them
    ("libreswan", re.compile(r"(?:\d{3}|\dv\d) (?:(?:FATAL ERROR|ERROR|WARNING): )?(?:\"[^\"]+\"|#\d+: )|\| |pluto\[|"
                             r"IP6? \S+ > \S+: (?:\[[^\]]*\] )*(?:(?:NONESP|UDP)-encap: )?(?:isakmp|ESP\(spi=)")),
]
#: All of _HEADS in one regex, one named group per family, in _HEADS's order: an alternation tries its
#: branches in order at the same place, so the first family whose head matches is the group that matched
_FAMILY = re.compile("|".join(f"(?P<{family}>{head.pattern})" for family, head in _HEADS))
#: syslog tags of strongSwan's daemons: their lines are charon's even without the "14[IKE]" prefix (journal)
_CHARON_TAGS = {"pluto": "libreswan", "charon": "strongswan", "charon-systemd": "strongswan", "charon-nm": "strongswan",
                "ipsec": "strongswan", "ipsec_starter": "strongswan"}
#: a row of a charon hex dump ("16[IKE] <lab|1>    0: 3D CD 8B ...": the bytes of a key), or a line of an
#: encoding dump ("16[ENC] <lab|1>   parsing rule 3 U_INT_8", "   => 13"); at loglevel 4, more than half of
#: charon's lines: part of the record before them, kept out of its text, never records of their own
_CHARON_DUMP = re.compile(r"(?:\d{1,3}\[[A-Z]{2,4}\d?\]\s+(?:<[^>]*>\s+)?)?\s*(?:\d+: (?:[0-9A-F]{2} ){1,16}"
                          r"|=> (?!\d+ bytes @ )|(?:generating|parsing) rule )")  # (not the rest of a folded dump header)
#: a charon dump's header ("SKEYID_d => 20 bytes @ 0x7f50..."), however cut after its size: what follows
#: it in the record (the rows, cut apart) is key bytes, never text
_DUMP_HEADER = re.compile(r"=> \d+(?: |$)")
#: a stamp that has the form of a month-first date but is none ("*Sep 41 08:33:43.433:")
_BAD_STAMP = re.compile(r"[*.]?[A-Z][a-z]{2}\s+\d{1,2}(?:\s+\d{4})?\s+\d{1,2}:\d{2}:\d{2}(?:[.,:]\d+)?"
                        r"(?:\s+[A-Z]{2,5})?:?\s")
#: A console prompt: host name, then # or >, then perhaps a typed command
#: (or a shell prompt alone on its line with a blank before the #, as libreswan's test consoles print "road #")
_PROMPT = re.compile(r"^[A-Za-z][\w.\-]{0,62}(?:(?:\([\w\-]+\))?[#>]\s*(?P<cmd>.*)| [#>](?P<bare>\s*))$")
#: The header line of show output pasted without its prompt
_SHOW_HEADER = re.compile(r"^\s*(?:interface: |IPv[46] Crypto ISAKMP SA|Crypto session current status|"
                          r"dst\s+src\s+state\s+conn-id)")
#: the first characters _BARE_SHOW can match (IGNORECASE: "ſ", U+017F, is an "s")
_BARE_SHOW_FIRST = frozenset("dDsS\u017f")
#: the first characters (after blanks) _SHOW_HEADER and _CONSOLE_OUTPUT can match
_SHOW_HEADER_FIRST = frozenset("iICd")
_CONSOLE_OUTPUT_FIRST = frozenset("STPE")
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
    m = _FAMILY.match(text.lstrip())
    return m.lastgroup if m is not None else ""


def split_records(lines: Iterable[str], name: str, year: int | None = None, tz: dt.tzinfo | None = None,
                  problems: list[str] | None = None) -> Iterator[Record]:
    """The records of a log's lines (without their line ends), in order.  A stamp that has the form of
    a date but is none (Feb 30) adds a message to ``problems`` and the line is read without it.  A log
    cut at a fixed width mid-word (``fold -w 60``: see :func:`fold_width`) has its pieces joined
    without a blank."""
    lines, fold = fold_width(lines)
    current: Record | None = None
    fenced = False  # current's first line is a Markdown fence (then even indented lines start records)
    show = False   # inside pasted show output
    seen_year = None  # the year stamps wrote: later stamps without one take it (ASA: "Jun 10 2010 ..." then "Jun 10 ...")
    quick, head_of, hex_dump = QUICK_STAMP.match, _FAMILY.match, _CHARON_DUMP.match
    # The fast lane's last line, up to the end of its stamp (IOS, when the stamp ends with a blank) or of
    # its "14[IKE] " (charon): a line that starts with the same text has the same stamp, as QUICK_STAMP
    # would say (the regex decides within that text), and most lines of a burst share their millisecond.
    # With it: its stamp's (length, time, text, whether it is charon's), and the year its time took.
    last, lane, lane_year = "", (0, None, "", False), None
    more: list[str] = []  # the text the lines after current's first add to it (see _join)
    # A log without years that runs over New Year: a stamp months before the last one is in the next year
    # (``roll`` years are added to the year the stamps take; a stamp with a year of its own resets it).
    roll, last_time = 0, None
    zones_said: set[str] = set()  # the zones of stamps that parse_tz does not know, said once each
    for number, raw in enumerate(lines, 1):
        line = raw.rstrip("\r\n")
        # fast lane: an IOS stamp with its colon, or a charon filelog line (stamp, then "14[IKE] "); the
        # general path reads these lines the same way (QUICK_STAMP says why), only slower
        if last and line.startswith(last) and (seen_year or year or this_year()) + roll == lane_year:
            end, time, text, charon = lane
        else:
            end = 0
            m = quick(line)
            if m is not None:
                stamp_year = (seen_year or year or this_year()) + roll
                try:
                    time = month_time(m, stamp_year, tz)
                    if _rolled_over(time, last_time):
                        roll += 1
                        stamp_year += 1
                        time = month_time(m, stamp_year, tz)
                except ValueError:  # no date (Feb 30): the general path says so in problems
                    m = None
            if m is not None:
                stamp, head_end = m[0], m.end("head")
                end, charon = len(stamp), head_end > 0
                text = stamp[:-1] if charon else stamp.rstrip(" :")  # charon's: the stamp, then one blank
                if charon or stamp[-1].isspace():
                    last, lane, lane_year = line[:head_end] if charon else stamp, (end, time, text, charon), stamp_year
        if end:
            show = False
            last_time = time
            body = line[end:]
            if charon:
                family = "strongswan"
            else:
                fm = head_of(body.lstrip())  # (family_of, inlined)
                family = fm.lastgroup if fm is not None else ""
            if family == "strongswan" and current is not None and current.family == "strongswan" \
                    and hex_dump(body):  # (as below)
                current.raw.append(line)
                current.last_line = number
                continue
            if current is not None:
                if more:
                    _join(current, more)
                yield current
            current, fenced = Record(name, number, number, body.strip(), [line], time, text, None, family), False
            continue
        # the general path
        if not line.strip():
            if current is not None and (show or current.family == "blank"):
                current.raw.append(line)
                current.last_line = number
                continue
            if current is not None:
                if more:
                    _join(current, more)
                yield current
            current, fenced = Record(name, number, number, "", [line], family="blank"), False
            continue
        first = line[0]
        fields = None
        if first not in " \t":
            try:
                fields = stamp_fields(line, (seen_year or year or this_year()) + roll if roll else seen_year or year,
                                      tz)
                if fields is not None and not fields[7] and _rolled_over(fields[0], last_time):
                    roll += 1
                    fields = stamp_fields(line, (seen_year or year or this_year()) + roll, tz)
            except ValueError as e:
                if problems is not None:
                    problems.append(f"{name}:{number}: the time stamp does not read ({e}); the line is kept "
                                    "without it")
                bad = _BAD_STAMP.match(line)
                if bad is not None:  # a record of its own, without a time: what follows the stamp still counts
                    body = line[bad.end():]
                    if current is not None:
                        if more:
                            _join(current, more)
                        yield current
                    current, fenced, show = Record(name, number, number, body.strip(), [line], None, "", None,
                                                   family_of(body)), False, False
                    continue
        if fields is None:
            # a line without a stamp: a prompt, show output, a continuation, or a record of its own
            show, new, fenced = _unstamped(current, more, fenced, show, line, first, name, number, fold)
            if new is not None:
                if current is not None:
                    if more:
                        _join(current, more)
                    yield current
                current = new
            continue
        show = False
        time, text, body, uptime, host, seq, tag, year_given = fields
        if time is not None and time.tzinfo is tz and text[-1:].isalnum() and problems is not None:
            _unknown_zone(text, zones_said, problems, name, number, tz)
        if year_given:
            seen_year, roll = time.year, 0
        if time is not None:
            last_time = time
        if host and not body.startswith(("%", "<")):
            inner = _device_stamp(body, year, tz)  # a syslog server's header around a device's stamp
            if inner is not None:
                time, text, body, uptime, _, seq, tag, _ = inner  # the server's host stays
            elif (current is not None and current.host == host and current.family not in ("", "blank", "console")
                  and tag.split("[", 1)[0] not in _CHARON_TAGS and family_of(body) == ""):
                # a syslog server put its header on each physical line of a wrapped record: the line
                # continues the record from the same host (the seed's "500 sport 500 Global (R) QM_IDLE")
                _continue(current, more, body, number, False)
                current.raw[-1] = line
                continue
        family = (_CHARON_TAGS.get(tag.split("[", 1)[0], "") if tag else "") or family_of(body)
        if family == "strongswan" and current is not None and current.family == "strongswan" \
                and hex_dump(body):  # (_is_hex_dump, inlined)
            # a row of a charon hex or encoding dump (loglevel 4): part of the record before it, kept out of its text
            current.raw.append(line)
            current.last_line = number
            continue
        if current is not None:
            if more:
                _join(current, more)
            yield current
        # (a stamped line is never a fence: it starts with its stamp)
        current, fenced = Record(name, number, number, body.strip(), [line], time, text, uptime, family, host,
                                 seq), False
    if current is not None:
        if more:
            _join(current, more)
        yield current


def _unknown_zone(stamp: str, said: set[str], problems: list[str], name: str, number: int,
                  tz: dt.tzinfo | None) -> None:
    """Say once per zone that a stamp names a time zone ikescope does not know (its time is then read in
    ``tz``, or without a zone)."""
    zone = zone_of_stamp(stamp)
    if zone is None or zone in said or parse_tz(zone) is not None:
        return
    said.add(zone)
    problems.append(f"{name}:{number}: time zone {zone!r} of the stamps is not known: they are read "
                    f"{'in the zone --tz gives' if tz is not None else 'without a zone'}; give --tz with its "
                    "UTC offset (--tz=+01:00)")


#: how far a stamp without a year may fall before the last one and still be in the same year
_ROLL_BACK = dt.timedelta(days=180)


def _rolled_over(time: dt.datetime | None, last: dt.datetime | None) -> bool:
    """Whether a stamp without a year (read in the last stamp's year) lies months before the last one: a
    log that ran over New Year (Dec 31 23:59 then Jan 1 00:00)."""
    if time is None or last is None or (time.tzinfo is None) != (last.tzinfo is None):
        return False
    return time < last - _ROLL_BACK


def _unstamped(current: Record | None, more: list[str], fenced: bool, show: bool, line: str, first: str,
               name: str, number: int, fold: int = 0) -> tuple[bool, Record | None, bool]:
    """A non-blank line without a stamp, after ``current`` (the record so far, ``more`` the text its
    lines add, ``fenced`` when its first line is a Markdown fence; ``show`` when it is pasted show
    output): (``show`` after the line, the record it starts or None when it joined ``current``, whether
    that record's first line is a fence)."""
    # a prompt ("R1#sh crypto ipsec sa", "XE-R4(config)#") or a bare show command: show output or console
    prompt = _PROMPT.match(line) if (line.find("#", 0, 80) >= 0 or line.find(">", 0, 80) >= 0) else None
    family = None  # family_of(line), once it is needed
    if prompt:
        fm = _FAMILY.match(line.lstrip())  # a message is no prompt ("Crypto mapdb : proxy_match ... >")
        family = fm.lastgroup if fm is not None else ""  # (family_of, inlined)
    if (prompt and family == "" and not (show and first == "#" and _HEADING.match(line))) \
            or (first in _BARE_SHOW_FIRST and _BARE_SHOW.match(line)):
        show = bool(_SHOW_CMD.match((prompt["cmd"] or "") if prompt else line))
        # (neither a prompt nor a bare show command can be a fence: they start with a letter)
        return show, Record(name, number, number, line.strip(), [line], family="show" if show else "console"), False
    if show and first == "#" and _HEADING.match(line):
        show = False  # a document's next heading ends pasted show output (its fences do not: a
        # document may cut one output into many code blocks, as the seed does)
    if current is not None and current.family not in ("blank", "console") and (
            show or (first in " \t" and not fenced)):
        # an indented line (or any line of show output) continues its record; a charon hex-dump row
        # (journalctl indents them) joins it without entering its text
        if current.family == "strongswan" and _is_hex_dump(line):
            current.raw.append(line)
            current.last_line = number
        else:
            _continue(current, more, line, number, show, fold)
        return show, None, fenced
    show = False
    if family is None:
        fm = _FAMILY.match(line.lstrip())
        family = fm.lastgroup if fm is not None else ""
    fence = first in "`~" and _FENCE.match(line)
    header = line.lstrip()[:1] in _SHOW_HEADER_FIRST and _SHOW_HEADER.match(line)
    marks = (first in "!." and _PING_MARKS.match(line)) or (first in _CONSOLE_OUTPUT_FIRST
                                                             and _CONSOLE_OUTPUT.match(line))
    heading = first == "#" and _HEADING.match(line)
    if not (family or fence or header or marks or heading or current is None
            or current.family in ("blank", "console") or fenced):
        _continue(current, more, line, number, False, fold)  # a hard-wrapped line
        return show, None, fenced
    if header:
        family, show = "show", True
    elif marks:
        family = "console"
    record = Record(name, number, number, line.rstrip() if show else line.strip(), [line], family=family)
    return show, record, ("```" in line or "~~~" in line) and _FENCE.match(line) is not None  # (_is_fence)


def _is_hex_dump(text: str) -> bool:
    """Whether ``text`` is a row of a charon hex dump or encoding dump (:data:`_CHARON_DUMP`)."""
    return _CHARON_DUMP.match(text) is not None


def _continue(record: Record, more: list[str], line: str, number: int, show: bool, fold: int = 0) -> None:
    """Add a physical line to ``record``: show output keeps its lines, anything else is joined with a
    blank — but for the rest of a line cut at the log's fold width (``fold``, 0 for none), which goes on
    where the cut was.  Its text goes to ``more`` (see :func:`_join`); the line is never blank, so neither
    is its text."""
    before = record.raw[-1]
    cut = fold and len(before) == fold
    record.raw.append(line)
    record.last_line = number
    if record.family == "strongswan" and _DUMP_HEADER.search(record.text + "".join(more)):
        return  # the rest of a charon dump ("SKEYID => 20 bytes @ 0x..."), however wrapped: never text
    if show:
        if not _FENCE.match(line):
            more.append("\n" + line.rstrip())
    elif cut:  # "...dport 500 s" + "port 500": the word goes on (the blank a cut line ends with stays)
        more.append(" " + line.strip() if before[-1].isspace() else line.rstrip())
    else:
        more.append(" " + line.strip() if record.text or more else line.strip())


#: lines read to find a log's fold width
_FOLD_SAMPLE = 20000


def fold_width(lines: Iterable[str]) -> tuple[Iterable[str], int]:
    """(the same lines, the width a log was cut at mid-word, or 0 when it was not).

    ``fold -w 60`` (or a terminal, or a ticket system) cuts every longer line into pieces of exactly 60
    characters: then no line is longer than 60, and many lines of exactly 60 go on in the next line (one
    that is not blank and does not start as they do, as a log's next record would).  Such cuts, at least 3
    and 2 % of the lines that are not blank, over the log's first 20,000 lines, and a width of 40 or more,
    say a fold, unless its stamped lines were wrapped at word boundaries (:func:`_word_wrapped`): a log
    wrapped by ``fold -s``, ``fmt``, a ticket system or a document has lines of many lengths below its width,
    a few of them at the width itself by chance, so it is not taken for one (its lines are joined with a
    blank, as before)."""
    if isinstance(lines, list):
        head, rest = lines[:_FOLD_SAMPLE], None
    else:
        it = iter(lines)
        head = list(islice(it, _FOLD_SAMPLE))
        rest = it
    width = max(map(len, head), default=0)
    if width >= 40:
        filled = sum(1 for line in head if line.strip())
        cuts = sum(1 for line, after in zip(head, head[1:])
                   if len(line) == width and after.strip() and after[:6] != line[:6])
        if cuts < 3 or cuts < 0.02 * filled or _word_wrapped(head, width):
            width = 0
    else:
        width = 0
    return (lines if rest is None else chain(head, rest)), width


#: a row of a charon hex dump ("   0: 28 AD DA 3F ..."): fixed columns, whose wrap says nothing of how words were
_DUMP_ROW = re.compile(r"\d+: (?:[0-9A-F]{2} ){4}")


def _word_wrapped(head: list[str], width: int) -> bool:
    """Whether the log's stamped lines were wrapped at word boundaries at ``width`` (a ticket system's or a
    terminal's word wrap), not cut mid-word: of them, those a little shorter than the width (85 % or more)
    that go on in the next line are at least twice as many as those exactly as long (the prose of a
    document around them does not count, a document may wrap its prose and quote its log cut; nor do the
    rows of charon's hex dumps, whose fixed columns often end at the width)."""
    near = cut = 0
    for line, after in zip(head, head[1:]):
        n = len(line)
        if n >= width * 0.85 and after.strip() and after[:6] != line[:6] and starts_with_stamp(line) \
                and not _DUMP_ROW.search(line):
            if n == width:
                cut += 1
            else:
                near += 1
    return near >= 3 and near >= 2 * cut



def _join(record: Record, more: list[str]) -> None:
    """``record.text`` with the text its continuation lines add, once: adding each line to the text as it
    comes would copy the text again for each line (a document of 10,000 lines of prose is one record)."""
    record.text += "".join(more)
    more.clear()


def _device_stamp(rest: str, year: int | None, tz: dt.tzinfo | None) -> tuple | None:
    try:
        return stamp_fields(rest, year, tz)
    except ValueError:
        return None
