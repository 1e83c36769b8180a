"""The timeline of ``ikescope correlate``: each IKE packet of a capture with the debug lines that sent or
processed it, what it means and the configuration it implies, and the findings of the whole.

:func:`build` runs the stages in their order — the capture's packets (:class:`dissect.pipeline.Dissector`,
decrypting when it was given keys), lined up with the logs (:func:`correlate.align.align`), explained
(:class:`correlate.explain.Explainer`, after the whole capture was read, so that each IKE SA's key verdict
is final), and judged (:mod:`correlate.findings`, from the capture, the logs and what the alignment left
unmatched).  :func:`build_log_only` does the same from logs alone (:mod:`correlate.logonly`).

Memory: the ISAKMP packets are kept (the timeline shows each); ESP packets are counted per SPI and flow
(:class:`correlate.spis.EspTable`, inside the alignment) and by the capture rules, never kept.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from dissect.forked import beside
from dissect.gcpolicy import paused_collector
from dissect.model import Packet, Stats

from . import findings as F
from . import logonly
from .align import Alignment, Attached, PacketMatch, align
from .lognames import names_from_log
from .explain import Explainer, Explanation, explain_events
from .model import LogResult

__all__ = ["Entry", "Timeline", "build", "LogOnlyEntry", "LogOnly", "build_log_only"]


@dataclass
class Entry:
    """One ISAKMP packet of the timeline: the packet, its explanation, the log events placed on it (each
    with its log's name and how it was placed, in log order per log) and the packet events matched to it."""
    packet: Packet
    explanation: Explanation
    log: list[Attached] = field(default_factory=list)
    matches: list[PacketMatch] = field(default_factory=list)


@dataclass
class Timeline:
    """A capture and its logs, lined up: the entries in capture order, the alignment (offsets, unmatched
    items, SPIs), the findings (failures first), the dissection's counts, and the logs as parsed."""
    entries: list[Entry]
    alignment: Alignment
    findings: list[F.Finding]
    stats: Stats
    logs: list[LogResult]


def build(dissector, logs: Sequence[LogResult], addresses: Mapping[str, str] | None = None,
          offsets: Mapping[str, float] | None = None) -> Timeline:
    """The timeline of ``dissector``'s capture with ``logs``.

    ``dissector``: a :class:`dissect.pipeline.Dissector`, not yet iterated (with keys, it decrypts);
    ``addresses``: capture endpoint -> log name, overriding which endpoint a log speaks for; ``offsets``:
    log name -> its clock offset in seconds (log clock - capture clock), overriding the estimate.  Raises
    :class:`dissect.capture.CaptureError` when the capture cannot be read at all; anything else odd
    becomes notes, counts and findings.  The findings of a log that speaks for no endpoint of the capture,
    or that the alignment took for another session's (:attr:`correlate.align.LogClock.foreign`), are left
    out (a note says so)."""
    # each log's findings need only the log: on a big log they are made in a forked process while this one
    # dissects, aligns and explains (dissect/forked.py); those of a log the alignment sets aside are dropped
    log_findings = beside(_findings_of_logs, logs, size=sum(len(log.events) for log in logs))
    try:
        return _build(dissector, logs, addresses, offsets, log_findings.result)
    finally:
        log_findings.cancel()  # (when the capture could not be read: the findings are not wanted)


def _build(dissector, logs: Sequence[LogResult], addresses: Mapping[str, str] | None,
           offsets: Mapping[str, float] | None, log_findings: Callable[[], list[list[F.Finding]]]) -> Timeline:
    """:func:`build`, with each log's findings from ``log_findings()``."""
    # the packets and the alignment are kept to the end: the collector waits (dissect/gcpolicy.py)
    with paused_collector():
        kept: list[Packet] = []
        rules = F.CaptureRules()

        def packets() -> Iterator[Packet]:
            for pkt in dissector.packets():
                rules.feed(pkt)
                if pkt.isakmp is not None:
                    kept.append(pkt)
                yield pkt

        alignment = align(packets(), logs, addresses, offsets)
        decryptor = dissector.decryptor
        explainer = Explainer.for_logs(decryptor.states if decryptor is not None else None, alignment.logs, logs)
        matches: dict[int, list[PacketMatch]] = {}
        for m in alignment.matches:
            matches.setdefault(m.frame, []).append(m)
        entries = []
        for p in kept:  # the log lines placed on a packet say what it carries when the keys do not
            on_it = alignment.attached.get(p.frame, [])
            entries.append(Entry(p, explainer.explain(p, [a.event for a in on_it]), on_it, matches.get(p.frame, [])))
        # a log that speaks for no endpoint of the capture, or that was taken for another session's, is about
        # another tunnel: its findings are not this capture's (``--log-only`` gives them)
        placed = []
        for log, found, clock in zip(logs, log_findings(), alignment.logs):  # (one LogClock per log, in order)
            if clock.address is not None and not clock.foreign:
                placed.append(found)
            elif log.events:  # (a log nothing was read from has no findings to leave out)
                _findings_left_out(alignment.notes, clock)
        found = F.merge(rules.finish(decryptor), *placed, F.findings_from_alignment(alignment))
    return Timeline(entries, alignment, found, dissector.stats, list(logs))


def _findings_left_out(notes: list[str], clock) -> None:
    """Say that a log's findings are left out: at the end of the note that refused it (one line, not two),
    or in a note of its own for a log that speaks for no endpoint of the capture."""
    tail = "its findings are left out (correlate --log-only gives them)"
    if clock.foreign:
        for k in range(len(notes) - 1, -1, -1):
            if notes[k].startswith(f"{clock.name}: ") and clock.foreign in notes[k]:
                notes[k] = f"{notes[k]}; {tail}"
                return
        notes.append(f"{clock.name}: was not taken as this capture's ({clock.foreign}); {tail}")
        return
    notes.append(f"{clock.name}: speaks for no endpoint of the capture, so {tail}")


def _findings_of_logs(logs: Sequence[LogResult]) -> list[list[F.Finding]]:
    """Each log's own findings (:func:`correlate.findings.findings_from_log`), in the order given."""
    return [F.findings_from_log(log.events, log.records) for log in logs]


@dataclass
class LogOnlyEntry:
    """One message of a log-only timeline: the log step (role and events), its explanation, and the step
    whose lines it repeats word for word when it is a pasted copy (``step.duplicate_of``)."""
    step: logonly.Step
    explanation: Explanation
    copy_of: logonly.Step | None = None


@dataclass
class LogOnly:
    """Logs without a capture: per log its analysis (steps, IKE SAs), the explained steps, the findings."""
    entries: list[LogOnlyEntry]
    findings: list[F.Finding]
    logs: list[LogResult]
    analyses: list[logonly.LogAnalysis]


def build_log_only(logs: Sequence[LogResult]) -> LogOnly:
    """The explained timeline and the findings of ``logs`` alone (``ikescope correlate --log-only``)."""
    analyses = [logonly.analyse(log, log.records) for log in logs]
    entries = []
    for log, a in zip(logs, analyses):
        names = names_from_log(log.events, log.records)  # (a log names its tunnel once, not in every message)
        steps = a.timeline.steps
        for step in steps:
            copy_of = steps[step.duplicate_of] if step.duplicate_of is not None else None
            entries.append(LogOnlyEntry(step, explain_events(step.events, step.role, names), copy_of))
    found = F.merge(*(a.findings for a in analyses))
    return LogOnly(entries, found, list(logs), analyses)
