"""ISAKMP messages: the fixed header and the payload chain.

:func:`decode_message` turns the bytes of one ISAKMP message (RFC 2408 §3.1
header, then a chain of payloads linked by their Next Payload fields) into a
:class:`Message`.  IKEv1 (major version 1) and IKEv2 (major version 2,
RFC 7296 §3.1) share the header layout; the payload decoders live in
:mod:`dissect.payloads`.

It never raises on bad input: a short header, a payload length that runs
past the message or a loop in the chain become Expert notes, and whatever
decoded before the fault is kept.  An IKEv1 message with the Encryption bit
set is kept as ciphertext (``encrypted``), with the type of its first
payload, until keys are given.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import Any

from . import registry
from .model import ERROR, WARNING, Expert
from .payloads import Context, Detail, Payload, decode_payload

HEADER_LEN = 28
_HDR = struct.Struct(">8s8sBBBBII")


@dataclass(slots=True)
class Header:
    """ISAKMP header (RFC 2408 §3.1): cookies as 8 bytes each, message ID as uint32."""
    icookie: bytes
    rcookie: bytes
    next_payload: int
    major: int
    minor: int
    exchange_type: int
    flags: int
    message_id: int
    length: int

    @property
    def version(self) -> int:
        return self.major

    @property
    def exchange(self) -> str:
        return registry.EXCHANGE_TYPES.get(self.exchange_type, "Unknown")

    @property
    def encrypted_flag(self) -> bool:
        return self.major == 1 and bool(self.flags & 0x01)

    def flag_names(self) -> list[str]:
        table = registry.FLAGS_V2 if self.major == 2 else registry.FLAGS_V1
        return [letter for bit, (letter, _n) in table.items() if self.flags & bit]


@dataclass
class Message:
    """One ISAKMP message and what the session tracker learned about it.

    * ``payloads``: decoded payloads in chain order (empty while encrypted).
    * ``encrypted``: an IKEv1 body under the E flag, or an IKEv2 SK payload.
    * ``ciphertext``: the encrypted bytes after the header (IKEv1), or None.
    * ``role``: MM1..MM6, AM1..AM3, QM1..QM3, INFO, TRANSACTION, ... set by
      :mod:`dissect.session`; ``retransmission_of`` is the frame number of
      the first copy when this is a retransmission.
    """
    raw: bytes
    header: Header | None
    payloads: list[Payload] = field(default_factory=list)
    notes: list[Expert] = field(default_factory=list)
    encrypted: bool = False
    ciphertext: bytes | None = None
    decrypted: bool = False
    role: str = ""
    retransmission_of: int | None = None
    plaintext: bytes | None = None   # the decrypted body (IKEv1), when keys were given
    padding: int | None = None       # bytes of padding after the decrypted payload chain
    hash_check: str = ""             # e.g. "HASH_I verified", "HASH(2) mismatch"

    @property
    def encrypted_length(self) -> int:
        """Bytes still encrypted: the IKEv1 body after the header, or the IKEv2 SK payload's body."""
        if self.ciphertext is not None:
            return len(self.ciphertext)
        return len(self.payloads[-1].body) if self.encrypted and self.payloads else 0

    @property
    def payload_types(self) -> list[str]:
        return [p.short for p in self.payloads]

    def to_dict(self) -> dict[str, Any]:
        h = self.header
        if h is None:
            return {"malformed": True, "length": len(self.raw),
                    "expert": [n.to_dict() for n in self.notes]}
        d: dict[str, Any] = {
            "icookie": h.icookie.hex(), "rcookie": h.rcookie.hex(),
            "version": f"{h.major}.{h.minor}", "next_payload": h.next_payload,
            "exchange_type": h.exchange_type, "exchange": h.exchange,
            "flags": {"value": h.flags, "names": h.flag_names()},
            "message_id": h.message_id, "length": h.length,
            "role": self.role, "encrypted": self.encrypted, "decrypted": self.decrypted,
            "retransmission": self.retransmission_of is not None,
            "payloads": [p.to_dict() for p in self.payloads],
        }
        if self.retransmission_of is not None:
            d["retransmission_of"] = self.retransmission_of
        if self.encrypted and not self.decrypted:
            d["encrypted_length"] = self.encrypted_length
        if self.decrypted:
            d["decrypted_length"], d["padding"] = len(self.plaintext or b""), self.padding
        if self.hash_check:
            d["hash_check"] = self.hash_check
        if self.notes:
            d["expert"] = [n.to_dict() for n in self.notes]
        return d

    def details(self) -> Detail:
        h = self.header
        title = "Internet Security Association and Key Management Protocol"
        if h is None:
            return Detail(title, [Detail(n.label()) for n in self.notes])
        ftable = registry.FLAGS_V2 if h.major == 2 else registry.FLAGS_V1
        flag_rows = [Detail(f"{'1' if h.flags & bit else '0'} = {name}") for bit, (_l, name) in ftable.items()]
        np_table = registry.PAYLOAD_TYPES_V1 if h.major == 1 else registry.PAYLOAD_TYPES_V2
        np = np_table.get(h.next_payload, (None, "Unknown"))[1]
        ck = ("Initiator cookie", "Responder cookie") if h.major == 1 else ("Initiator SPI", "Responder SPI")
        rows = [Detail(f"{ck[0]}: {h.icookie.hex()}"), Detail(f"{ck[1]}: {h.rcookie.hex()}"),
                Detail(f"Next payload: {np} ({h.next_payload})"),
                Detail(f"Version: {h.major}.{h.minor}"),
                Detail(f"Exchange type: {h.exchange} ({h.exchange_type})"),
                Detail(f"Flags: 0x{h.flags:02x}", flag_rows),
                Detail(f"Message ID: 0x{h.message_id:08x} ({h.message_id})"),
                Detail(f"Length: {h.length}")]
        if self.role:
            rows.append(Detail(f"[Role: {self.role}]"))
        if self.retransmission_of is not None:
            rows.append(Detail(f"[Retransmission of frame {self.retransmission_of}]"))
        if self.decrypted:
            rows.append(Detail(f"[Decrypted: {len(self.plaintext or b'')} bytes, {self.padding} of them padding]"))
        if self.hash_check:
            rows.append(Detail(f"[{self.hash_check}]"))
        rows += [p.details() for p in self.payloads]
        if self.encrypted and not self.decrypted and self.ciphertext is not None:
            rows.append(Detail(f"Encrypted Data ({len(self.ciphertext)} bytes): {self.ciphertext.hex()}"))
        rows += [Detail(n.label()) for n in self.notes]
        return Detail(title, rows)

    @property
    def has_errors(self) -> bool:
        return any(n.severity == ERROR for n in self.all_notes())

    def all_notes(self) -> list[Expert]:
        return self.notes + [n for p in self.payloads for n in p.notes]


def decode_header(data: bytes) -> Header:
    """The 28-byte ISAKMP header; raises ValueError when ``data`` is shorter."""
    if len(data) < HEADER_LEN:
        raise ValueError(f"ISAKMP header needs {HEADER_LEN} bytes, has {len(data)}")
    ic, rc, np, ver, et, fl, mid, ln = _HDR.unpack_from(data)
    return Header(ic, rc, np, ver >> 4, ver & 0x0F, et, fl, mid, ln)


def decode_message(data: bytes) -> Message:
    """Decode one ISAKMP message (IKEv1 or IKEv2); never raises.

    ``data`` starts at the ISAKMP header (after any non-ESP marker).
    """
    msg = Message(raw=bytes(data), header=None)
    try:
        h = decode_header(data)
    except ValueError as e:
        msg.notes.append(Expert(ERROR, str(e), 0))
        return msg
    msg.header = h
    end = len(data)
    if h.major not in (1, 2):
        msg.notes.append(Expert(ERROR, f"unknown ISAKMP major version {h.major}", 17))
        return msg
    if h.length < HEADER_LEN:
        msg.notes.append(Expert(ERROR, f"ISAKMP length {h.length} is less than the header", 24))
    elif h.length > len(data):
        msg.notes.append(Expert(ERROR, f"message truncated: ISAKMP length {h.length}, {len(data)} bytes present", 24))
    elif h.length < len(data):
        msg.notes.append(Expert(WARNING, f"{len(data) - h.length} bytes after the ISAKMP length ({h.length})", h.length))
        end = h.length
    if h.encrypted_flag:
        msg.encrypted = True
        msg.ciphertext = bytes(data[HEADER_LEN:end])
        return msg
    walk_payloads(msg, data, HEADER_LEN, end, h.next_payload, h.major)
    return msg


def walk_payloads(msg: Message, data: bytes, pos: int, end: int, np: int, version: int,
                  padded: bool = False) -> int | None:
    """Follow the Next Payload chain from ``pos`` to ``end``, appending to ``msg.payloads``.

    Returns where the chain ended, or None when it broke (an error note says
    why).  ``padded``: the bytes after the chain are padding (a decrypted
    IKEv1 body, RFC 2409 App. B), not worth a note.
    """
    while np != 0:
        if pos + 4 > end:
            msg.notes.append(Expert(ERROR, f"payload header for {_pname(version, np)} truncated: "
                                    f"{max(0, end - pos)} bytes left", pos))
            return None
        nxt, res, plen = struct.unpack_from(">BBH", data, pos)
        if plen < 4:
            msg.notes.append(Expert(ERROR, f"{_pname(version, np)} payload length {plen} is less than 4", pos + 2))
            return None
        body_end = pos + plen
        truncated = body_end > end
        if truncated:
            msg.notes.append(Expert(ERROR, f"{_pname(version, np)} payload length {plen} runs past the message "
                                    f"({end - pos} bytes left)", pos + 2))
            body_end = end
        p = decode_payload(version, np, pos, plen, nxt, bytes(data[pos + 4:body_end]),
                           critical=bool(res & 0x80) if version == 2 else False,
                           ctx=Context(msg.header.icookie, msg.header.rcookie, msg.header.exchange_type)
                           if msg.header else None)
        msg.payloads.append(p)
        if version == 2 and np in (46, 53):  # SK / SKF: everything after is encrypted
            msg.encrypted = True
            if body_end < end:
                msg.notes.append(Expert(WARNING, f"{end - body_end} bytes after the {_pname(version, np)} "
                                        "payload, which must be the last", body_end))
            return body_end
        if truncated:
            return None
        pos = body_end
        np = nxt
    if pos < end and not msg.encrypted and not padded:
        msg.notes.append(Expert(WARNING, f"{end - pos} bytes after the last payload", pos))
    return pos


def decode_decrypted(msg: Message, plaintext: bytes) -> tuple[list[Payload], list[Expert], int] | None:
    """Decode a decrypted IKEv1 body (RFC 2408 §3.2 chain, then RFC 2409 App. B padding).

    Payload offsets are message offsets (the body follows the 28-byte
    header).  Returns (payloads, notes, padding length), or None when the
    bytes are no valid payload chain: wrong keys give random bytes, whose
    chain breaks.  The message itself is not changed.
    """
    trial = Message(raw=msg.raw, header=msg.header)
    data = msg.raw[:HEADER_LEN] + plaintext
    end = walk_payloads(trial, data, HEADER_LEN, len(data), msg.header.next_payload, 1, padded=True)
    if end is None or trial.has_errors or not trial.payloads:
        return None
    return trial.payloads, trial.notes, len(data) - end


def _pname(version: int, t: int) -> str:
    table = registry.PAYLOAD_TYPES_V1 if version == 1 else registry.PAYLOAD_TYPES_V2
    return table.get(t, (f"#{t}",))[0]
