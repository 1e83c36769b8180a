"""JSON Lines output: one object per ISAKMP/ESP frame (schema in README.md, "JSON output").

Every line is ``json`` encoding of :meth:`Packet.to_dict`.  Plain ESP
packets (not decrypted), which can be most of a capture, are written from a template that
gives the same bytes as the encoder (the test suite compares the two), at
a fraction of the cost.
"""
from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TextIO

from dissect.model import Packet

#: ASCII only (non-ASCII text as \\u escapes): valid JSON whatever stdout's encoding is.
_encode = json.JSONEncoder(ensure_ascii=True, separators=(",", ":")).encode

_ESP_LINE = '{"frame":%d,"time":%r,%s"esp":{"spi":"0x%08x","seq":%d,"length":%d,"udp_encap":%s}}\n'


def encode_packet(pkt: Packet, _flow_cache: dict = {}) -> str:
    """One JSON line (with its newline) for a packet."""
    d = pkt.datagram
    e = pkt.esp
    if (e is not None and e.seq is not None and e.plain is None and not d.notes and not d.fragments
            and not d.non_esp_marker):
        key = (d.src, d.dst, d.sport, d.dport)
        flow = _flow_cache.get(key)
        if flow is None:
            flow = _encode({"src": d.src, "dst": d.dst, "sport": d.sport, "dport": d.dport,
                            "ip_version": d.ip_version})[1:-1] + ","
            if len(_flow_cache) < 4096:
                _flow_cache[key] = flow
        return _ESP_LINE % (d.frame, d.time, flow, e.spi, e.seq, e.length, "true" if e.udp_encap else "false")
    return _encode(pkt.to_dict()) + "\n"


def write_packets(packets: Iterable[Packet], out: TextIO, batch: int = 256) -> int:
    """Write one JSON line per packet, ``batch`` lines per write; returns the count."""
    n = 0
    lines: list[str] = []
    for pkt in packets:
        lines.append(encode_packet(pkt))
        n += 1
        if len(lines) >= batch:
            out.write("".join(lines))
            lines.clear()
    out.write("".join(lines))
    return n
