"""Writing decrypted inner packets to a pcap file that Wireshark and tcpdump read.

The file has link type 101 (LINKTYPE_RAW: each record starts with an IPv4
or IPv6 header), microsecond timestamps, and each inner packet at the time
of the ESP packet that carried it.  dpkt's pcap writer does the format.
"""
from __future__ import annotations

from typing import BinaryIO

import dpkt

from .inner import InnerPacket

__all__ = ["InnerPcapWriter", "LINKTYPE_RAW"]

#: LINKTYPE_RAW (tcpdump.org link types): raw IPv4/IPv6
LINKTYPE_RAW = 101


class InnerPcapWriter:
    """Writes :class:`~dissect.inner.InnerPacket` records; ``written`` counts them.

    Dummy packets (Next Header 59) carry no IP packet and are not written.
    Raises OSError when the file cannot be written.
    """

    def __init__(self, fileobj: BinaryIO):
        self._writer = dpkt.pcap.Writer(fileobj, snaplen=262144, linktype=LINKTYPE_RAW)
        self.written = 0

    def write(self, inner: InnerPacket, ts: float) -> bool:
        """Write one inner packet with the timestamp ``ts`` (seconds since the epoch); False if nothing to write."""
        if not inner.ip_bytes:
            return False
        self._writer.writepkt(inner.ip_bytes, ts=ts)
        self.written += 1
        return True
