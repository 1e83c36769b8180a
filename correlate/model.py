"""Log records and events: what every log parser of ikescope produces.

A router's or a daemon's debug text becomes :class:`Record` objects, one per
logical record: the physical lines a terminal, a document or a ticket cut
apart are joined again (``line`` .. ``last_line``, 1-based), and every
physical line belongs to exactly one record.  A record that a family parser
understands gives :class:`Event` objects: a packet sent or received, a state
change, an SA created, a proposal attribute, an error.  A record that gives
none is kept as it is (``ikescope log --all`` shows it), never dropped.

Times: ``Record.time`` is a :class:`datetime.datetime`, aware when the log
(or ``--tz``) says the time zone, naive otherwise; None for an uptime stamp
(``00:27:07``, ``1w2d``: ``Record.uptime`` in seconds) or a line without a
stamp.  Message IDs are uint32 (IOS 12.x prints them as signed 32-bit
numbers); SPIs are ints.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Record", "Event", "LogResult", "EVENT_KINDS", "never_raises"]

#: The kinds of events, as ``Event.kind`` and the JSON ``kind`` say them
EVENT_KINDS = {
    "packet": "an IKE packet sent (direction out) or received (in), with peer, ports, message ID, bytes",
    "state": "a state or state change (Old State / New State, an SA's state)",
    "payload": "a payload processed or constructed",
    "proposal": "a proposal, transform or attribute offered, checked or accepted",
    "sa_created": "an SA created or established, with its SPI",
    "sa_deleted": "an SA or node deleted, with the reason when given",
    "sa_status": "an SA's status from pasted show output",
    "notify": "a notify sent or received",
    "keys": "key material a log dumps (strongSwan loglevel 4)",
    "error": "an error or a failure",
    "info": "anything else a parser recognises",
}


@dataclass(slots=True)
class Record:
    """One logical record of a log.

    file         the log's name as given
    line, last_line  its first and last physical line (1-based)
    text         the joined text: continuation lines joined with one space, the stamp removed
    raw          the physical lines as they were
    time         the stamp's time (aware when the zone is known), or None
    time_text    the stamp as written ("" without one)
    uptime       seconds since boot for an uptime stamp, else None
    family       "ios", "asa", "strongswan", "libreswan", "show", "console" or "" (not recognised)
    host         the host name of a syslog prefix, or ""
    seq          the syslog sequence number (IOS "000123:"), or None
    """
    file: str
    line: int
    last_line: int
    text: str
    raw: list[str] = field(default_factory=list)
    time: dt.datetime | None = None
    time_text: str = ""
    uptime: float | None = None
    family: str = ""
    host: str = ""
    seq: int | None = None


@dataclass(slots=True)
class Event:
    """What a record says, in a form that can be lined up with packets.

    kind         one of :data:`EVENT_KINDS`
    record       the record it comes from (its file, lines, time and text)
    direction    "in" (received) or "out" (sent) for packet events, else None
    peer, peer_port, local, local_port   addresses as text (IPv6 compressed, lower case) and ports
    bytes        the packet's size where the log gives it (strongSwan: the UDP payload)
    message_id   uint32, or None
    conn_id      IOS conn-id, ASA/strongSwan SA number, or None
    spi          an int, for SA events
    facility     ISAKMP, IPSEC, KMI, CRYPTO, IKEv2, charon's IKE/NET/CHD/ENC..., an ASA or syslog mnemonic
    state, old_state   a state, and the one before it for a transition
    exchange     the exchange named (ID_PROT, QUICK_MODE, MM_NO_STATE...), or ""
    payloads     payload names, in order (ASA "HDR + SA (1) + ...", strongSwan "[ SA V V ]")
    detail       other values by name (proposal attributes, proxies, transforms, reasons, notify types)
    message      a one-line description
    """
    kind: str
    record: Record
    message: str = ""
    direction: str | None = None
    peer: str | None = None
    peer_port: int | None = None
    local: str | None = None
    local_port: int | None = None
    bytes: int | None = None
    message_id: int | None = None
    conn_id: int | None = None
    spi: int | None = None
    facility: str = ""
    state: str | None = None
    old_state: str | None = None
    exchange: str = ""
    payloads: list[str] = field(default_factory=list)
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def time(self) -> dt.datetime | None:
        return self.record.time

    def to_dict(self) -> dict[str, Any]:
        """The JSON object of ``ikescope log --json`` (README "Log events")."""
        r = self.record
        d: dict[str, Any] = {
            "file": r.file, "line": r.line, "last_line": r.last_line,
            "time": r.time.isoformat() if r.time is not None else None,
            "uptime": r.uptime, "family": r.family, "kind": self.kind, "facility": self.facility,
            "direction": self.direction, "peer": self.peer, "peer_port": self.peer_port,
            "local": self.local, "local_port": self.local_port, "bytes": self.bytes,
            "message_id": self.message_id, "conn_id": self.conn_id, "spi": self.spi,
            "state": self.state, "old_state": self.old_state, "exchange": self.exchange or None,
            "payloads": self.payloads or None, "detail": self.detail or None, "message": self.message,
            "text": r.text,
        }
        if r.host:
            d["host"] = r.host
        return d


@dataclass
class LogResult:
    """A parsed log: the events (in order), one-line problems (binary junk, an unknown format, a stamp
    that does not read) for stderr, how many records there were and of which families, and — only when
    asked for (``keep_records``, for ``--all``) — every record: memory then grows with the log, else with
    the events (each holds its own record)."""
    name: str
    records: list[Record] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    record_count: int = 0
    families: set[str] = field(default_factory=set)


def never_raises(parse):
    """A family parser (record -> events) that never raises: a record it cannot read gives no events
    and is kept as it is (bad input becomes data, not an exception that escapes a stage)."""
    import functools

    @functools.wraps(parse)
    def guarded(record: Record) -> list[Event]:
        try:
            return parse(record)
        except Exception:  # noqa: BLE001 - any bug on odd input costs only this record's events
            return []
    return guarded
