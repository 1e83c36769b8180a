"""Writing decrypted inner packets to a pcap file that Wireshark and tcpdump read.

The file has link type 101 (LINKTYPE_RAW: each record starts with an IPv4
or IPv6 header), microsecond timestamps, and each inner packet at the time
of the ESP packet that carried it.  dpkt's pcap writer does the format.
"""
from __future__ import annotations

from typing import BinaryIO

import dpkt

__all__ = ["InnerPcapWriter", "LINKTYPE_RAW"]

#: LINKTYPE_RAW (tcpdump.org link types): raw IPv4/IPv6
LINKTYPE_RAW = 101


class InnerPcapWriter:
    """Writes inner packets (IP datagrams, e.g. :meth:`dissect.espdecrypt.EspPlain.ip_bytes`) in batches;
    ``written`` counts them.  Call :meth:`flush` at the end.  Raises OSError when the file cannot be
    written."""

    BATCH = 512

    def __init__(self, fileobj: BinaryIO):
        self._writer = dpkt.pcap.Writer(fileobj, snaplen=262144, linktype=LINKTYPE_RAW)
        self._file = fileobj
        self._batch: list[tuple[float, bytes]] = []
        self.written = 0

    def write(self, ip_bytes: bytes, ts: float) -> bool:
        """Add one IP datagram with the timestamp ``ts`` (seconds since the epoch); False for b""
        (a dummy packet carries none)."""
        if not ip_bytes:
            return False
        # whole microseconds here: dpkt would round a nanosecond time such as .9999997 up to 1000000 us
        usec = round(ts * 1_000_000)
        self._batch.append((usec // 1_000_000 + (usec % 1_000_000) / 1_000_000, ip_bytes))
        self.written += 1
        if len(self._batch) >= self.BATCH:
            self.flush()
        return True

    def flush(self) -> None:
        """Write what is batched, and flush the file."""
        self._writer.writepkts(self._batch)
        self._batch.clear()
        self._file.flush()
