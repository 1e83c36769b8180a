"""Time stamps at the start of log lines, in the forms people paste.

:func:`split_stamp` takes one physical line and returns a :class:`Stamp`
(the time, the stamp as written, and the rest of the line) or None when the
line starts with no stamp.  Forms, tried in this order:

* RFC 5424 syslog: ``<189>1 2026-09-21T08:33:43.433+02:00 host app - - - text``;
* RFC 3164 syslog (with or without ``<PRI>``): ``Sep 21 08:33:43 host tag: text``;
* ISO 8601: ``2026-09-21T08:33:43.433Z text``, ``2026-09-21 08:33:43,433 text``;
* Cisco IOS/IOS-XE/ASA: an optional syslog sequence number (``000123:``), then
  ``*Sep 21 08:33:43.433:``, ``.Sep 21 …`` (clock not in sync), ``Sep 21 08:33:43:``
  (no msec), ``Sep 21 2026 08:33:43.433 UTC:``, ``Jun 10 2010 17:36:05:`` (ASA);
  a time zone abbreviation before the colon; or an uptime stamp ``00:27:07:``,
  ``1w2d:``, ``2d03h:``;
* console without the final colon (ASA ``Nov 08 07:10:05 [IKEv1]…``, strongSwan
  filelog ``Nov 29 13:45:14.429 14[IKE] …``).

A stamp without a year takes ``year`` (the caller's ``--year``, else the
current year); one without a zone takes ``tz`` (``--tz``) if given, else it
stays naive.  Zone abbreviations of :data:`ZONES` are known; another one is
kept in ``time_text`` and the time stays naive.

Speed: :func:`stamp_fields` is :func:`split_stamp` without building a
:class:`Stamp` (what :mod:`correlate.records` calls for each line); the time
of a month-first stamp is cached by its text (:func:`month_time`); and
:data:`QUICK_STAMP` is the one regex of :mod:`correlate.records`'s fast lane.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from time import time as _clock

__all__ = ["Stamp", "split_stamp", "stamp_fields", "starts_with_stamp", "parse_tz", "ZONES", "QUICK_STAMP",
           "month_time", "this_year"]

_MONTHS = {m: i for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct",
                                       "nov", "dec"), 1)}

#: Zone abbreviations IOS `clock timezone` users pick most, as UTC offsets in hours
ZONES = {"UTC": 0, "GMT": 0, "Z": 0, "WET": 0, "WEST": 1, "CET": 1, "CEST": 2, "MET": 1, "MEST": 2, "EET": 2,
         "EEST": 3, "MSK": 3, "IST": 5.5, "SGT": 8, "HKT": 8, "CST": -6, "CDT": -5, "JST": 9, "KST": 9,
         "AEST": 10, "AEDT": 11, "NZST": 12, "NZDT": 13, "EST": -5, "EDT": -4, "MST": -7, "MDT": -6, "BST": 1,
         "PST": -8, "PDT": -7, "AKST": -9, "AKDT": -8, "HST": -10, "BRT": -3, "ART": -3}


@dataclass(slots=True)  # slots: cheaper to build and smaller (nothing uses a Stamp's __dict__)
class Stamp:
    """A stamp at the start of a line: ``time`` (None for an uptime stamp), ``text`` as written,
    ``uptime`` in seconds, the syslog ``host`` and sequence number ``seq``, and ``rest``: the line
    after the stamp (and after the syslog header's host and tag)."""
    time: dt.datetime | None
    text: str
    rest: str
    uptime: float | None = None
    host: str = ""
    seq: int | None = None
    tag: str = ""            # the syslog tag ("charon", "charon-systemd[812]"), when a header had one
    year_given: bool = False  # the stamp wrote its year (later stamps without one take it)


def zone_of_stamp(stamp: str) -> str | None:
    """The time zone a stamp as written names (``*Sep 21 10:33:43.293 CEST`` -> ``CEST``, ``GMT+2``), or None."""
    m = _STAMP_ZONE.search(stamp)
    return m["zone"] if m else None


def parse_tz(text: str) -> dt.tzinfo | None:
    """A zone from ``--tz`` or a stamp: an abbreviation of :data:`ZONES`, ``+02:00``/``-0530``/``UTC+2``,
    or an IANA name (``Europe/Berlin``); None when it is none of them."""
    t = text.strip()
    if t.upper() in ZONES:
        return dt.timezone(dt.timedelta(hours=ZONES[t.upper()]), t.upper())
    m = re.fullmatch(r"(?:UTC|GMT)?([+-])(\d{1,2}):?(\d{2})?", t, re.IGNORECASE)
    if m:
        minutes = int(m[2]) * 60 + int(m[3] or 0)
        if minutes >= 24 * 60 or int(m[3] or 0) >= 60:
            return None  # no zone is a day or more away from UTC
        return dt.timezone(dt.timedelta(minutes=minutes if m[1] == "+" else -minutes))
    try:
        from zoneinfo import ZoneInfo
        return ZoneInfo(t)
    except (ValueError, KeyError, ImportError, OSError):
        return None


_FRACTION = r"(?:[.,](?P<frac>\d{1,9}))?"
_CLOCK = r"(?P<h>\d{1,2}):(?P<mi>\d{2}):(?P<s>\d{2})" + _FRACTION
_DATE = r"(?P<mon>[A-Za-z]{3})\s+(?P<d>\d{1,2})(?:\s+(?P<y>\d{4}))?"

_RFC5424 = re.compile(r"<\d{1,3}>\d\s+(?P<iso>\d{4}-\d{2}-\d{2}T[0-9:.,]+(?:Z|[+-]\d{2}:?\d{2})?)\s+"
                      r"(?P<host>\S+)\s+\S+\s+\S+\s+\S+\s+(?:-|\[.*?\])\s?")
_PRI = re.compile(r"<\d{1,3}>")
_ISO = re.compile(r"(?P<iso>\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d{1,9})?(?:Z|[+-]\d{2}:?\d{2})?)[\s,]+"
                  # Kiwi Syslog's "Local7.Debug" facility and level, tab- or comma-separated, before the host
                  r"(?:[A-Z][a-z]+\d?\.[A-Z][a-z]+[\s,]+(?=[A-Za-z0-9]))?"
                  r"(?:(?P<host>[A-Za-z0-9][\w.:\-]*)[\s,]+(?:(?P<tag>[A-Za-z][\w./\-]*(?:\[\d+\])?)|\d{1,10}):\s?)?")
#: IOS/ASA: optional sequence number, optional * or ., date, time, optional zone, colon
_ZONE = r"(?P<zone>[A-Za-z]{1,5}(?:[+-]\d{1,2}(?::?\d{2})?)?)"
#: the zone at the end of a stamp as written (after its clock)
_STAMP_ZONE = re.compile(r"\d{2}(?:[.,]\d+)?\s+" + _ZONE + r"$")
_CISCO = re.compile(r"(?:(?P<seq>\d{1,10}):\s+)?[*.]?" + _DATE + r"\s+" + _CLOCK
                    + r"(?:\s+" + _ZONE + r")?\s*:\s?")
_UPTIME = re.compile(r"(?:(?P<seq>\d{1,10}):\s+)?[*.]?(?P<up>\d{1,2}:\d{2}:\d{2}(?:\.\d{1,3})?|(?:\d+[ywdh]){1,3}):\s")
#: how the messages of the devices whose debug ikescope reads start (after a syslog server's host name)
_DEVICE_HEADS = r"ISAKMP|IPSEC|IKEv2|CRYPTO|KMI|IPSec|%[A-Z]|\*?[A-Z][a-z]{2}\s+\d{1,2}\s+\d{1,2}:"


#: A line that starts with a month: the IOS/ASA form (optional zone, then a colon), an RFC 3164 header
#: without <PRI> (host, tag, colon), or a console form without the final colon (ASA "[IKEv1]", strongSwan
#: "14[IKE]"), in one regex: each line takes one match
_MONTH_FIRST = re.compile(r"[*.]?" + _DATE + r"\s+" + _CLOCK
                          + r"(?:(?P<colon>(?:\s+" + _ZONE + r")?\s*:\s?)"
                          r"|\s+(?P<host>[A-Za-z0-9][\w.:\-]*)\s+(?:(?P<tag>[\w./\-]+(?:\[\d+\])?)?\s*:\s?|(?=%))"
                          # a syslog server's header with a host and no tag before a device's message
                          # ("Sep 21 08:33:43 10.0.0.2 ISAKMP (1011): ...")
                          r"|\s+(?P<bare>[A-Za-z0-9][\w.:\-]*)\s+(?=" + _DEVICE_HEADS + r")"
                          r"|\s+(?=\S))")


#: The two commonest forms, in one regex that is a special case of _MONTH_FIRST (used by
#: correlate.records for its fast lane): the IOS/IOS-XE stamp with its colon, "*Sep 21 08:33:43.433: ",
#: and the charon filelog stamp before a thread and group, "Nov 29 13:45:14.429 14[IKE] " (the match
#: ends after the blank; group "head", in a lookahead, is "14[IKE] ": strongSwan's head in
#: correlate.records).  A line it matches, _MONTH_FIRST matches with the same end and the same
#: mon/d/h/mi/s/frac groups, and no year, zone or host: the year group needs four digits where the hour
#: has at most two before its colon; the colon follows the clock at once (no zone); and before "14[IKE]"
#: neither the zone (a letter) nor the colon nor a host (a token of [\w.:-] followed by a blank, but "["
#: ends the digits) can match, so _MONTH_FIRST's last form takes the one blank.
QUICK_STAMP = re.compile(r"[*.]?(?P<mon>[A-Za-z]{3}) +(?P<d>\d{1,2}) +" + _CLOCK
                         + r"(?::\s?| (?=(?P<head>\d{1,3}\[[A-Z]{2,4}\d?\]\s)))")


def _fraction(frac: str | None) -> int:
    return int((frac or "0")[:6].ljust(6, "0"))


#: (year, tz) -> {stamp text as matched -> its time}: consecutive lines share their stamp, and one log has
#: one year and zone, so a line's stamp costs a dict look-up (the stamp text includes a syslog header's
#: host, the same for its lines)
_TIMES: dict[tuple, dict[str, dt.datetime]] = {}


def _times_for(year: int, tz: dt.tzinfo | None) -> dict[str, dt.datetime]:
    """The cache of stamp times for ``year`` and ``tz`` (at most 64 of them; :func:`month_time` keeps each
    under 4096 stamps)."""
    times = _TIMES.get((year, tz))
    if times is None:
        if len(_TIMES) > 64:
            _TIMES.clear()
        times = _TIMES[(year, tz)] = {}
    return times


def month_time(m: re.Match, year: int, tz: dt.tzinfo | None) -> dt.datetime:
    """The time of a month-first stamp match (``_MONTH_FIRST``, ``_CISCO``, ``QUICK_STAMP``): cached by
    the matched text.  Raises ValueError for a stamp that is no date (Feb 30, month "Foo")."""
    times = _times_for(year, tz)
    t = times.get(m[0])
    if t is None:
        if len(times) > 4096:
            times.clear()
        t = times[m[0]] = _make_time(m, year, tz)
    return t


def _make_time(m: re.Match, year: int, tz: dt.tzinfo | None) -> dt.datetime:
    mon = _MONTHS.get(m["mon"].lower())
    if mon is None:
        raise ValueError(f"unknown month {m['mon']!r}")
    zone = tz
    groups = m.groupdict()
    if groups.get("zone"):
        zone = parse_tz(m["zone"]) or tz
    y = groups.get("y")
    return dt.datetime(int(y) if y else year, mon, int(m["d"]), int(m["h"]), int(m["mi"]), int(m["s"]),
                       _fraction(m["frac"]), tzinfo=zone)


def _iso_time(text: str, tz: dt.tzinfo | None) -> dt.datetime:
    t = dt.datetime.fromisoformat(text.replace(",", ".").replace("Z", "+00:00"))
    return t if t.tzinfo is not None or tz is None else t.replace(tzinfo=tz)


def _uptime(text: str) -> float:
    if ":" in text:
        h, mi, s = text.split(":")
        return int(h) * 3600 + int(mi) * 60 + float(s)
    scale = {"y": 365 * 86400, "w": 7 * 86400, "d": 86400, "h": 3600}
    return float(sum(int(n) * scale[u] for n, u in re.findall(r"(\d+)([ywdh])", text)))


def split_stamp(line: str, year: int | None = None, tz: dt.tzinfo | None = None) -> Stamp | None:
    """The stamp at the start of ``line`` (after leading blanks), or None.  Raises ValueError for a
    stamp that is one in form but not a date (Feb 30, month 13)."""
    fields = stamp_fields(line, year, tz)
    return None if fields is None else Stamp(*fields)


def starts_with_stamp(line: str) -> bool:
    """Whether ``line`` starts with a stamp that reads as a date and time (:func:`stamp_fields`; a stamp in
    the form of one that is no date, Feb 30, does not)."""
    try:
        return stamp_fields(line) is not None
    except ValueError:
        return False


def stamp_fields(line: str, year: int | None = None, tz: dt.tzinfo | None = None) -> tuple | None:
    """:func:`split_stamp` as a tuple of :class:`Stamp`'s fields, in order (time, text, rest, uptime,
    host, seq, tag, year_given): what correlate.records reads for each line, without building a Stamp."""
    s = line.lstrip()
    if not s:
        return None
    c = s[0]
    # the first character tells which forms can apply: most lines of a log take one regex
    if c == "<":
        m = _RFC5424.match(s)
        if m:
            return _iso_time(m["iso"], tz), m["iso"], s[m.end():], None, m["host"], None, "", False
        m = _PRI.match(s)  # an RFC 3164 header, or a device's own stamp behind a priority field
        return stamp_fields(s[m.end():], year, tz) if m else None
    if c.isdigit():
        m = _CISCO.match(s)  # with a syslog sequence number
        if m:
            seq = m["seq"]
            return (month_time(m, year or this_year(), tz), m[0].rstrip(" :"), s[m.end():], None, "",
                    int(seq) if seq else None, "", bool(m["y"]))
        m = _ISO.match(s)
        if m:
            return _iso_time(m["iso"], tz), m["iso"], s[m.end():], None, m["host"] or "", None, m["tag"] or "", True
        m = _UPTIME.match(s)
        if m:
            seq = m["seq"]
            return None, m[0].rstrip(" :"), s[m.end():], _uptime(m["up"]), "", int(seq) if seq else None, "", False
        return None
    if c in "*." or c.isalpha():
        m = _MONTH_FIRST.match(s)
        if m:
            time = month_time(m, year or this_year(), tz)
            head = m[0]  # == s[:m.end()]: the match starts at 0
            host, colon, y = m.group("host", "colon", "y")
            host = host or m["bare"]
            if host:
                return time, head.rstrip(), s[len(head):], None, host, None, m["tag"] or "", bool(y)
            return (time, head.rstrip(" :") if colon is not None else head.rstrip(), s[len(head):], None, "", None,
                    "", bool(y))
        if c in "*.":
            m = _UPTIME.match(s)
            return (None, m[0].rstrip(" :"), s[m.end():], _uptime(m["up"]), "", None, "", False) if m else None
    return None


#: (first instant of the year, first of the next, the year): today's year, without asking the clock's
#: calendar for each stamp of a log without --year
_YEAR = [0.0, 0.0, 0]


def this_year() -> int:
    """The current (local) year."""
    now = _clock()
    if not _YEAR[0] <= now < _YEAR[1]:
        year = dt.date.today().year
        _YEAR[:] = [dt.datetime(year, 1, 1).timestamp(), dt.datetime(year + 1, 1, 1).timestamp(), year]
        return year
    return _YEAR[2]
