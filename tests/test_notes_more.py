"""Malformed fields that must carry an expert note with its offset (RFC 2408 §3.4-3.6, §3.15;
RFC 2407 §4.6.3.2; RFC 7296 §3.14; RFC 7383 §2.5)."""
from __future__ import annotations

import struct

from dissect.isakmp import decode_message

ICK, RCK = bytes.fromhex("1d07f21f88904135"), bytes.fromhex("e85232252cf4cdff")


def message(payloads: list[tuple[int, bytes]], exchange=2, version=0x10, flags=0, mid=0) -> bytes:
    """ISAKMP header (RFC 2408 §3.1) and a payload chain of (type, body)."""
    body = b""
    for i, (_t, b) in enumerate(payloads):
        nxt = payloads[i + 1][0] if i + 1 < len(payloads) else 0
        body += struct.pack(">BBH", nxt, 0, 4 + len(b)) + b
    first = payloads[0][0] if payloads else 0
    return struct.pack(">8s8sBBBBII", ICK, RCK, first, version, exchange, flags, mid, 28 + len(body)) + body


def transform(nxt=0, extra=b""):
    attrs = struct.pack(">HH", 0x8001, 7)  # Encryption-Algorithm AES-CBC (TV)
    return struct.pack(">BBHBBH", nxt, 0, 8 + len(attrs), 1, 1, 0) + attrs + extra


def proposal(nxt=0, transforms=None, ntrans=1, extra=b""):
    t = transforms if transforms is not None else transform()
    return struct.pack(">BBHBBBB", nxt, 0, 8 + len(t) + len(extra), 1, 1, 0, ntrans) + t + extra


def sa(*props, trailing=b""):
    return struct.pack(">II", 1, 1) + b"".join(props) + trailing


def notes(msg_bytes):
    m = decode_message(msg_bytes)
    return [(n.severity, n.message, n.offset) for n in m.all_notes()]


def test_last_proposal_announcing_another():
    # SA body starts at 32; the proposal header (next payload byte) at 40
    assert notes(message([(1, sa(proposal(nxt=2)))])) == [
        ("error", "the last proposal's next payload (2) says another follows; none does", 40)]


def test_bytes_after_the_last_proposal_and_transform():
    got = notes(message([(1, sa(proposal(), trailing=b"\0" * 8))]))
    assert got == [("warning", "8 bytes after the last proposal", 60)]
    got = notes(message([(1, sa(proposal(transforms=transform() + b"\0" * 8)))]))
    assert got == [("warning", "8 bytes after the last transform", 60)]


def test_delete_with_zero_spi_size_and_trailing_bytes():
    # Delete (RFC 2408 §3.15): DOI, protocol, SPI size, number of SPIs, SPIs
    d = struct.pack(">IBBH", 1, 3, 0, 3)
    assert ("error", "3 SPIs declared with an SPI size of 0", 38) in notes(message([(12, d)], exchange=5))
    d = struct.pack(">IBBH", 1, 3, 4, 1) + bytes.fromhex("6652da2d") + b"\0" * 6
    assert notes(message([(12, d)], exchange=5)) == [("warning", "6 bytes after the SPIs", 44)]


def test_replay_status_length():
    n = struct.pack(">IBBH", 1, 3, 0, 24577) + b"\0\0\1"  # RFC 2407 §4.6.3.2: 4-byte data
    assert notes(message([(11, n)], exchange=5)) == [("error", "REPLAY-STATUS data must be 4 bytes, has 3", 40)]


def test_ikev2_sk_not_last_and_short_skf():
    sk = b"\0" * 12
    raw = message([(46, sk)], exchange=35, version=0x20, flags=0x08, mid=1) + b"\xee" * 8
    raw = raw[:24] + struct.pack(">I", len(raw)) + raw[28:]  # the length covers the extra bytes
    assert ("warning", "8 bytes after the SK payload, which must be the last", 44) in notes(raw)
    assert ("error", "encrypted fragment payload too short for its fragment numbers: 2 bytes", 32) in notes(
        message([(53, b"\0\1")], exchange=35, version=0x20, flags=0x08, mid=1))
