"""A log's clock against the capture's: times, resolution, and the offset between them.

A router or daemon stamps its debug lines with its own clock; the capture stamps
frames with the capturing host's.  The offset of a log is its clock minus the
capture's, in seconds (float):

    offset = log time - capture time

It absorbs everything that separates the clocks: a time zone (a naive stamp is
read as if it were UTC), minutes or hours of skew, a wrong or missing year, or
uptime stamps (``00:27:07``: seconds since boot, so the offset is about minus
the boot time).

How it is estimated (:func:`vote` then :func:`bound`):

* **Vote** (no offset known yet): every packet event gets the packets it could
  be (same endpoints, byte count, message ID...); each (event, packet) pair
  proposes ``d = log time - packet time``.  The window of width ``2 * res + 1 s``
  that holds proposals of the most distinct events wins; its median is the
  coarse offset.  A pair of a retransmission or of an unrelated packet with the
  same signature lands elsewhere and loses the vote.
* **Bound** (from the pairs matching kept): causality.  A daemon logs a packet it
  sends before the packet is on the wire anywhere, and logs a packet it
  receives after the packet passed any capture point; a stamp is the true time
  truncated to the log's resolution ``res``.  So a sent packet gives
  ``offset >= d`` and a received one ``offset < d + res``, wherever the capture
  point was (the one-way latency only loosens a bound).  The offset is the
  middle of the interval, the uncertainty its half width.  When the bounds
  cross, the fewest pairs (at most 5 %) that make them consistent are left out;
  if that is not enough, a linear clock drift is fitted and the bounds are taken
  again on the detrended pairs; if they still cross, the median of the pairs is
  used and the uncertainty covers their spread.

Pure functions; nothing raises on odd input.
"""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from statistics import median

from .model import Record

__all__ = ["clock_text", "event_seconds", "resolution", "clock_kind", "vote", "bound", "OffsetEstimate", "Pair",
           "VOTE_SLACK", "duration_text", "year_written"]

_EPOCH = dt.datetime(1970, 1, 1)
_EPOCH_UTC = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)

#: seconds a vote window adds to twice the resolution: the spread of log-to-wire delays it accepts
VOTE_SLACK = 1.0
#: at most this share of the pairs may be left out to make the bounds consistent
TRIM_SHARE = 0.05


def event_seconds(record: Record, clock: str) -> float | None:
    """The time of a record in seconds on the log's clock: epoch seconds for a ``"wall"`` clock (a naive
    time read as UTC), seconds since boot for an ``"uptime"`` clock; None when the record has no stamp of
    that kind."""
    if clock == "wall":
        t = record.time
        if t is None:
            return None
        if t.tzinfo is None:
            return (t - _EPOCH).total_seconds()
        return (t - _EPOCH_UTC).total_seconds()
    if clock == "uptime":
        return record.uptime
    return None


def duration_text(seconds: float) -> str:
    """Seconds as ``--offset`` takes them back: ``-3h27m13.250s``, ``+42.000s`` (milliseconds kept)."""
    sign = "-" if seconds < 0 else "+"
    ms = round(abs(seconds) * 1000)
    h, ms = divmod(ms, 3_600_000)
    m, ms = divmod(ms, 60_000)
    head = (f"{h}h" if h else "") + (f"{m}m" if h or m else "")
    return f"{sign}{head}{ms / 1000:0{6 if head else 1}.3f}s"


def year_written(records: Iterable[Record]) -> int | None:
    """The year most of the stamped ``records`` write in their stamps (``*Jun 10 2010 08:33:43``), or None
    when no more than half of them write one (then ``--year`` or the current year gave it)."""
    stamped = [r for r in records if r.time is not None]
    years = [r.time.year for r in stamped if re.search(rf"(?<!\d){r.time.year}(?!\d)", r.time_text)]
    if not stamped or 2 * len(years) <= len(stamped):
        return None
    return max(set(years), key=years.count)


def clock_kind(records: list[Record]) -> str:
    """``"wall"`` when most of the stamped records have a date and time, ``"uptime"`` when most have an
    uptime stamp, ``"none"`` without stamps."""
    wall = sum(1 for r in records if r.time is not None)
    up = sum(1 for r in records if r.time is None and r.uptime is not None)
    if not wall and not up:
        return "none"
    return "wall" if wall >= up else "uptime"


_FRACTION = re.compile(r"\d:\d\d[.,](\d{1,9})")
_COARSE_UPTIME = ((re.compile(r"\d+w\d+d"), 86400.0), (re.compile(r"\d+d\d+h"), 3600.0),
                  (re.compile(r"\d+h\d+m(?!\w*s)"), 60.0))


def resolution(record: Record) -> float:
    """The resolution of a record's stamp in seconds: 0.001 for ``13:44:40.425`` (and for ``13:44:40.425000``,
    milliseconds padded with zeros), 1.0 for ``13:44:40`` or ``00:27:07``, 3600 for an uptime ``2d03h``,
    86400 for ``1w2d``."""
    text = record.time_text
    m = _FRACTION.search(text)
    if m:
        digits = m[1]
        if len(digits) > 3 and digits.endswith("000"):  # milliseconds padded to micro- or nanoseconds (a
            digits = digits.rstrip("0").ljust(3, "0")    # syslog server's format): as fine as they really are
        return 10.0 ** -len(digits)
    if record.time is None and record.uptime is not None:
        for pattern, res in _COARSE_UPTIME:
            if pattern.search(text):
                return res
    return 1.0


def vote(proposals: list[tuple[float, int]], res: float) -> tuple[float, int, float] | None:
    """The coarse offset from (d, event index) proposals: the window of width ``2 * res + VOTE_SLACK``
    seconds that holds the proposals of the most distinct events, and the median of one proposal per
    such event (the one closest to the window's middle).  Returns (offset, events in the window, window
    width), or None without proposals.  Ties go to the window with fewer proposals (less ambiguity),
    then to the earlier one."""
    if not proposals:
        return None
    width = 2 * res + VOTE_SLACK
    props = sorted(proposals)
    counts: dict[int, int] = {}
    best = (-1, 0, 0, 0)   # (distinct events, -proposals, start, end)
    lo = 0
    for hi, (d, ev) in enumerate(props):
        counts[ev] = counts.get(ev, 0) + 1
        while d - props[lo][0] > width:
            e0 = props[lo][1]
            c = counts[e0] - 1
            if c:
                counts[e0] = c
            else:
                del counts[e0]
            lo += 1
        key = (len(counts), -(hi - lo + 1))
        if key > best[:2]:
            best = (key[0], key[1], lo, hi)
    _n, _p, lo, hi = best
    window = props[lo:hi + 1]
    middle = (window[0][0] + window[-1][0]) / 2
    nearest: dict[int, float] = {}
    for d, ev in window:
        if ev not in nearest or abs(d - middle) < abs(nearest[ev] - middle):
            nearest[ev] = d
    return median(nearest.values()), len(nearest), width


@dataclass(slots=True)
class Pair:
    """One matched packet event for the bounds: ``out`` (sent) or not (received), ``d`` = log time -
    capture time (s), the stamp's resolution ``res`` (s) and the capture time ``t`` (epoch s)."""
    out: bool
    d: float
    res: float
    t: float


@dataclass
class OffsetEstimate:
    """An offset (s, log - capture) at capture time ``reference`` with its ``uncertainty`` (s, half the
    width of the interval the pairs allow), a ``drift`` (s per s; 0.0 unless the bounds needed one),
    the pairs it rests on and those left out, and notes that say how it was found."""
    offset: float
    uncertainty: float
    drift: float = 0.0
    reference: float = 0.0
    pairs: int = 0
    left_out: int = 0
    notes: list[str] = field(default_factory=list)

    def at(self, t: float) -> float:
        """The offset at capture time ``t`` (epoch s)."""
        return self.offset + self.drift * (t - self.reference)


def bound(pairs: list[Pair]) -> OffsetEstimate | None:
    """The offset from matched pairs by causality (module doc); None without pairs."""
    if not pairs:
        return None
    ref = min(p.t for p in pairs)
    found = _interval(pairs, 0.0, ref)
    if found is not None:
        return found
    slope = _slope(pairs)
    if slope is not None:
        found = _interval(pairs, slope, ref)
        if found is not None:
            found.notes.append(f"the log's clock drifts {slope * 1e6:+.1f} ppm against the capture's")
            return found
    ds = sorted(p.d + (p.res / 2 if not p.out else 0.0) for p in pairs)
    mid = median(ds)
    k = len(ds) // 10
    core = ds[k:len(ds) - k] or ds
    est = OffsetEstimate(mid, max(mid - core[0], core[-1] - mid, max(p.res for p in pairs)), 0.0, ref, len(pairs))
    est.notes.append("send and receive stamps disagree beyond drift: the log's stamps may not be taken when "
                     "packets are sent and received (a syslog server's arrival time?); offset is their median")
    return est


def _interval(pairs: list[Pair], slope: float, ref: float) -> OffsetEstimate | None:
    """The causal interval for the detrended pairs, leaving out the fewest extreme ones (at most
    TRIM_SHARE of them) that make it non-empty; None when that is not enough."""
    sends = sorted((p.d - slope * (p.t - ref) for p in pairs if p.out), reverse=True)     # lower bounds
    recvs = sorted(p.d + p.res - slope * (p.t - ref) for p in pairs if not p.out)          # upper bounds
    n = len(pairs)
    limit = int(n * TRIM_SHARE)
    for k in range(limit + 1):
        best = None
        for a in range(k + 1):   # a sends and k - a receives left out
            b = k - a
            if a > len(sends) or b > len(recvs) or (a == len(sends) and b == len(recvs)):
                continue
            lo = sends[a] if a < len(sends) else None
            hi = recvs[b] if b < len(recvs) else None
            if lo is not None and hi is not None and lo > hi:
                continue
            width = (hi - lo) if lo is not None and hi is not None else float("inf")
            if best is None or width > best[0]:
                best = (width, lo, hi)
        if best is None:
            continue
        _w, lo, hi = best
        used = n - k
        if lo is not None and hi is not None:
            est = OffsetEstimate((lo + hi) / 2, (hi - lo) / 2, slope, ref, used, k)
        else:
            res = max(p.res for p in pairs)
            if lo is not None:   # only sent packets: the offset is at least lo, and close to it
                est = OffsetEstimate(lo + res / 2, res / 2 + 0.001, slope, ref, used, k)
                est.notes.append("only sent packets matched, and a router logs a packet before it leaves: the "
                                 "true offset may be larger than the one shown, by the time it takes to send one")
            else:
                est = OffsetEstimate(hi - res / 2, res / 2 + 0.001, slope, ref, used, k)
                est.notes.append("only received packets matched, and a router logs a packet after it arrives: the "
                                 "true offset may be smaller than the one shown, by the time it takes to log one")
        if k:
            est.notes.append(f"{k} of {n} matched packets left out of the bounds (their stamps contradict the others)")
        return est
    return None


def _slope(pairs: list[Pair]) -> float | None:
    """Least-squares slope of d against capture time (s/s), or None when the pairs span no time."""
    n = len(pairs)
    if n < 3:
        return None
    mt = sum(p.t for p in pairs) / n
    md = sum(p.d for p in pairs) / n
    var = sum((p.t - mt) ** 2 for p in pairs)
    if var <= 0:
        return None
    return sum((p.t - mt) * (p.d - md) for p in pairs) / var


def clock_text(seconds: float, uncertainty: float | None = None) -> str:
    """An offset as ikescope writes it everywhere: ``-3:27:13.249``, ``-17.000 s`` under a minute, ``-730 d
    0:00:00.000`` from two days on, and `` ± 0.5 ms`` after it when ``uncertainty`` (seconds) is given."""
    sign = "-" if seconds <= -0.0005 else "+"
    x = round(abs(seconds), 3)
    h, rest = divmod(x, 3600)
    m, s = divmod(rest, 60)
    text = f"{int(h)}:{int(m):02d}:{s:06.3f}" if h else (f"{int(m)}:{s:06.3f}" if m else f"{s:.3f} s")
    if h >= 48:
        text = f"{int(h // 24)} d {int(h % 24)}:{int(m):02d}:{s:06.3f}"
    return f"{sign}{text}" + (f" ± {uncertainty * 1000:.1f} ms" if uncertainty is not None else "")
