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
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

__all__ = ["Stamp", "split_stamp", "parse_tz", "ZONES"]

_MONTHS = {m: i for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct",
                                       "nov", "dec"), 1)}

#: Zone abbreviations IOS `clock timezone` users pick most, as UTC offsets in hours
ZONES = {"UTC": 0, "GMT": 0, "Z": 0, "WET": 0, "WEST": 1, "CET": 1, "CEST": 2, "MET": 1, "MEST": 2, "EET": 2,
         "EEST": 3, "MSK": 3, "IST": 5.5, "SGT": 8, "HKT": 8, "CST": -6, "CDT": -5, "JST": 9, "KST": 9,
         "AEST": 10, "AEDT": 11, "NZST": 12, "NZDT": 13, "EST": -5, "EDT": -4, "MST": -7, "MDT": -6,
         "PST": -8, "PDT": -7, "AKST": -9, "AKDT": -8, "HST": -10, "BRT": -3, "ART": -3}


@dataclass
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


def parse_tz(text: str) -> dt.tzinfo | None:
    """A zone from ``--tz`` or a stamp: an abbreviation of :data:`ZONES`, ``+02:00``/``-0530``/``UTC+2``,
    or an IANA name (``Europe/Berlin``); None when it is none of them."""
    t = text.strip()
    if t.upper() in ZONES:
        return dt.timezone(dt.timedelta(hours=ZONES[t.upper()]), t.upper())
    m = re.fullmatch(r"(?:UTC|GMT)?([+-])(\d{1,2}):?(\d{2})?", t, re.IGNORECASE)
    if m:
        minutes = int(m[2]) * 60 + int(m[3] or 0)
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
_RFC3164 = re.compile(r"(?:<\d{1,3}>)?" + _DATE + r"\s+" + _CLOCK + r"\s+(?P<host>[A-Za-z0-9][\w.\-]*)\s+"
                      r"(?P<tag>[\w./\-]+(?:\[\d+\])?):\s?")
_ISO = re.compile(r"(?P<iso>\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d{1,9})?(?:Z|[+-]\d{2}:?\d{2})?)\s+"
                  r"(?:(?P<host>[A-Za-z0-9][\w.\-]*)\s+(?P<tag>[A-Za-z][\w./\-]*(?:\[\d+\])?):\s?)?")
#: IOS/ASA: optional sequence number, optional * or ., date, time, optional zone, colon
_CISCO = re.compile(r"(?:(?P<seq>\d{1,10}):\s+)?[*.]?" + _DATE + r"\s+" + _CLOCK
                    + r"(?:\s+(?P<zone>[A-Za-z]{1,5}))?\s*:\s?")
_UPTIME = re.compile(r"(?:(?P<seq>\d{1,10}):\s+)?[*.]?(?P<up>\d{1,2}:\d{2}:\d{2}(?:\.\d{1,3})?|(?:\d+[ywdh]){1,3}):\s")
#: A line that starts with a month: the IOS/ASA form (optional zone, then a colon), an RFC 3164 header
#: without <PRI> (host, tag, colon), or a console form without the final colon (ASA "[IKEv1]", strongSwan
#: "14[IKE]"), in one regex: each line takes one match
_MONTH_FIRST = re.compile(r"[*.]?" + _DATE + r"\s+" + _CLOCK
                          + r"(?:(?P<colon>(?:\s+(?P<zone>[A-Za-z]{1,5}))?\s*:\s?)"
                          r"|\s+(?P<host>[A-Za-z0-9][\w.:\-]*)\s+(?:(?P<tag>[\w./\-]+(?:\[\d+\])?)?\s*:\s?|(?=%))"
                          r"|\s+(?=\S))")


def _fraction(frac: str | None) -> int:
    return int((frac or "0")[:6].ljust(6, "0"))


_TIMES: dict[tuple, dt.datetime] = {}  # stamp text -> time: consecutive lines share their stamp


def _cisco_time(m: re.Match, year: int, tz: dt.tzinfo | None) -> dt.datetime:
    key = (m[0], year, tz)  # the stamp as written (with a syslog header's host: the same for its lines)
    t = _TIMES.get(key)
    if t is None:
        if len(_TIMES) > 4096:
            _TIMES.clear()
        t = _TIMES[key] = _make_time(m, year, tz)
    return t


def _make_time(m: re.Match, year: int, tz: dt.tzinfo | None) -> dt.datetime:
    mon = _MONTHS.get(m["mon"].lower())
    if mon is None:
        raise ValueError(f"unknown month {m['mon']!r}")
    zone = tz
    if m.groupdict().get("zone"):
        zone = parse_tz(m["zone"]) or tz
    return dt.datetime(int(m["y"]) if m["y"] else year, mon, int(m["d"]), int(m["h"]), int(m["mi"]), int(m["s"]),
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
    s = line.lstrip()
    if not s:
        return None
    c = s[0]
    # the first character tells which forms can apply: most lines of a log take one regex
    if c == "<":
        m = _RFC5424.match(s)
        if m:
            return Stamp(_iso_time(m["iso"], tz), m["iso"], s[m.end():], host=m["host"])
        m = _PRI.match(s)  # an RFC 3164 header, or a device's own stamp behind a priority field
        return split_stamp(s[m.end():], year, tz) if m else None
    if c.isdigit():
        m = _CISCO.match(s)  # with a syslog sequence number
        if m:
            return Stamp(_cisco_time(m, year or _this_year(), tz), s[:m.end()].rstrip(" :"), s[m.end():],
                         seq=int(m["seq"]) if m["seq"] else None, year_given=bool(m["y"]))
        m = _ISO.match(s)
        if m:
            return Stamp(_iso_time(m["iso"], tz), m["iso"], s[m.end():], host=m["host"] or "", tag=m["tag"] or "",
                         year_given=True)
        m = _UPTIME.match(s)
        if m:
            return Stamp(None, s[:m.end()].rstrip(" :"), s[m.end():], uptime=_uptime(m["up"]),
                         seq=int(m["seq"]) if m["seq"] else None)
        return None
    if c in "*." or c.isalpha():
        m = _MONTH_FIRST.match(s)
        if m:
            time = _cisco_time(m, year or _this_year(), tz)
            if m["host"]:
                return Stamp(time, s[:m.end()].rstrip(), s[m.end():], host=m["host"], tag=m["tag"] or "",
                             year_given=bool(m["y"]))
            return Stamp(time, s[:m.end()].rstrip(" :") if m["colon"] is not None else s[:m.end()].rstrip(),
                         s[m.end():], year_given=bool(m["y"]))
        if c in "*.":
            m = _UPTIME.match(s)
            return Stamp(None, s[:m.end()].rstrip(" :"), s[m.end():], uptime=_uptime(m["up"])) if m else None
    return None


def _this_year() -> int:
    return dt.date.today().year
