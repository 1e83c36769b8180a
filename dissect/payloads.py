"""ISAKMP payloads: one dataclass and one decoder per payload type.

Layouts follow RFC 2408 §3.2-3.16 (generic header, SA, Proposal, Transform,
KE, ID, CERT, CR, HASH, SIG, NONCE, N, D, VID), RFC 2407 §4.5-4.6.3 (IPsec
DOI attributes, ID, notify data), RFC 3947 §3.2/§5.2 (NAT-D, NAT-OA),
draft-dukes-ike-mode-cfg-02 §3.2 (Attributes payload) and Cisco's IKE
fragmentation payload (type 132).  IKEv2 payloads (RFC 7296 §3) are
recognised by type, with their generic header.

Each decoder takes the payload *body* (the bytes after the 4-byte generic
header) and never raises: what does not fit its layout becomes an
:class:`~dissect.model.Expert` note on the payload, with the offset (from
the start of the ISAKMP message) where it went wrong.

Every payload offers two views of the same attributes: :meth:`Payload.to_dict`
(JSON, stable keys) and :meth:`Payload.details` (a tree of labelled rows, as
``tshark -V`` shows them).
"""
from __future__ import annotations

import socket
import struct
from dataclasses import dataclass, field
from typing import Any, Callable

from . import der, registry
from .model import ERROR, WARNING, Expert
from .registry import AttrSpec


@dataclass(slots=True)
class Detail:
    """One row of the packet-details tree: a label and its sub-rows."""
    label: str
    children: list["Detail"] = field(default_factory=list)


def _hex(b: bytes) -> str:
    return b.hex()


_ESCAPES = {c: f"\\x{c:02x}" for c in list(range(0x20)) + list(range(0x7F, 0xA0))}
# bidirectional controls can reorder what a terminal shows (RTL override and friends)
_ESCAPES.update({c: f"\\u{c:04x}" for c in list(range(0x202A, 0x202F)) + list(range(0x2066, 0x206A))
                 + [0x200E, 0x200F, 0x061C]})
_ESCAPES[ord("\\")] = "\\\\"


def printable(text: str) -> str:
    """Text from the wire made safe to print: control characters become ``\\xNN``.

    A name or ID taken from a packet must not be able to move a terminal's
    cursor or change its colours.
    """
    return text.translate(_ESCAPES)


def text_of(data: bytes) -> str:
    """Bytes from the wire as printable text (UTF-8, invalid bytes replaced, controls escaped)."""
    return printable(data.decode("utf-8", "replace"))


def unpack_partial(fields: str, data: bytes) -> tuple[list[int], bool]:
    """Unpack big-endian fixed fields (struct codes, e.g. ``"IBBH"``) as far as ``data`` allows.

    Returns the values (0 for fields the data does not reach) and whether
    every field was present: a truncated payload still shows what it has,
    as Wireshark does.
    """
    values, pos = [], 0
    for code in fields:
        size = struct.calcsize(">" + code)
        if pos + size <= len(data):
            values.append(struct.unpack_from(">" + code, data, pos)[0])
        else:
            values.append(0)
        pos += size
    return values, pos <= len(data)


def _num_name(table: dict[int, str], v: int) -> str:
    return f"{table.get(v, 'Unknown')} ({v})"


def _protocols(version: int) -> dict[int, str]:
    return registry.PROTOCOL_IDS if version == 1 else registry.PROTOCOL_IDS_V2


# --------------------------------------------------------------------------
# Base class

@dataclass(frozen=True, slots=True)
class Context:
    """What a payload decoder may need from the message around it (RFC 2408 §3.1 header fields)."""
    icookie: bytes = bytes(8)
    rcookie: bytes = bytes(8)
    exchange_type: int = 0


@dataclass(kw_only=True)
class Payload:
    """A payload with its generic header (RFC 2408 §3.2, RFC 7296 §3.2).

    ``offset`` is where the generic header starts within the ISAKMP
    message; ``length`` is the Payload Length field (header included);
    ``body`` is the bytes after the generic header, as captured.
    """
    type: int
    offset: int
    length: int
    next_payload: int
    body: bytes = field(repr=False)
    version: int = 1
    critical: bool = False
    notes: list[Expert] = field(default_factory=list)
    alias: tuple[str, str] | None = None  # (short, long) when the context renames the type

    def _names(self) -> tuple[str, str]:
        if self.alias:
            return self.alias
        table = registry.PAYLOAD_TYPES_V1 if self.version == 1 else registry.PAYLOAD_TYPES_V2
        return table.get(self.type, (f"#{self.type}", "Unknown"))

    @property
    def short(self) -> str:
        """Short name: SA, KE, ID, HASH, NONCE, VID, N, D, NAT-D, ... (``#N`` if unknown)."""
        return self._names()[0]

    @property
    def name(self) -> str:
        """Long name, as Wireshark's "Payload: ..." line shows it."""
        return self._names()[1]

    def fields(self) -> dict[str, Any]:
        """Payload-specific JSON fields (overridden per type)."""
        return {"data": _hex(self.body)} if self.body else {}

    def field_rows(self) -> list[Detail]:
        """Payload-specific tree rows (overridden per type)."""
        return [Detail(f"Data: {_hex(self.body)}")] if self.body else []

    def summary(self) -> str:
        """A few words for the packet list, e.g. ``VID(DPD)``; empty by default."""
        return ""

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"type": self.short, "type_num": self.type, "offset": self.offset,
                             "length": self.length, "next_payload": self.next_payload}
        if self.version == 2:
            d["critical"] = self.critical
        d.update(self.fields())
        if self.notes:
            d["expert"] = [n.to_dict() for n in self.notes]
        return d

    def details(self) -> Detail:
        table = registry.PAYLOAD_TYPES_V1 if self.version == 1 else registry.PAYLOAD_TYPES_V2
        np = table.get(self.next_payload)
        rows = [Detail(f"Next payload: {np[1] if np else 'Unknown'} ({self.next_payload})")]
        if self.version == 2:
            rows.append(Detail(f"Critical bit: {'Critical' if self.critical else 'Not critical'}"))
        rows.append(Detail(f"Payload length: {self.length}"))
        rows += self.field_rows()
        rows += [Detail(n.label()) for n in self.notes]
        return Detail(f"Payload: {self.name} ({self.type})", rows)

    # helpers for decoders
    def note(self, severity: str, message: str, body_offset: int | None = None, group: str = "malformed") -> None:
        at = None if body_offset is None else self.offset + 4 + body_offset
        self.notes.append(Expert(severity, message, at, group))


# --------------------------------------------------------------------------
# SA attributes (RFC 2408 §3.3)

@dataclass(slots=True)
class Attribute:
    """One data attribute (RFC 2408 §3.3): TV (AF=1, 2-byte value) or TLV.

    ``value`` is the number for TV attributes and for TLV values up to 8
    bytes (lifetimes may be sent as variable-length, e.g. ``00 46 50 00``
    = 4608000); ``raw`` is the value bytes as sent.
    """
    type: int
    raw: bytes
    tv: bool
    offset: int
    spec: AttrSpec | None = None

    @property
    def value(self) -> int | None:
        """The number (TV, or TLV of 1..8 bytes); None for longer or empty TLV values."""
        if self.tv or 0 < len(self.raw) <= 8:
            return int.from_bytes(self.raw, "big")
        return None

    @property
    def name(self) -> str:
        return self.spec.name if self.spec else f"Unknown-Attribute-{self.type}"

    @property
    def value_name(self) -> str | None:
        if self.spec and self.spec.values is not None and self.value is not None:
            return self.spec.values.get(self.value, "Unknown")
        return None

    def display(self, life_unit: str = "") -> str:
        v = self.value
        if v is None:
            return self.raw.hex()
        vn = self.value_name
        if vn is not None:
            return f"{vn} ({v})"
        unit = self.spec.unit if self.spec else ""
        if unit:
            return f"{v} {unit}"
        if life_unit:
            return f"{v} {life_unit.lower()}"
        return str(v)

    def json_value(self) -> int | str:
        vn = self.value_name
        if vn is not None:
            return vn
        v = self.value
        return v if v is not None else self.raw.hex()


def parse_attributes(data: bytes, base: int, table: dict[int, AttrSpec] | dict[int, str] | None,
                     notes: list[Expert]) -> list[Attribute]:
    """Decode a run of data attributes (RFC 2408 §3.3).

    ``base`` is the message offset of ``data[0]`` (for notes); ``table`` maps
    attribute types to :class:`AttrSpec` (or plain names).  A truncated
    attribute ends the run with an error note.
    """
    out: list[Attribute] = []
    pos = 0
    while pos < len(data):
        if pos + 4 > len(data):
            notes.append(Expert(ERROR, f"attribute header truncated: {len(data) - pos} bytes left", base + pos))
            break
        t, lv = struct.unpack_from(">HH", data, pos)
        tv = bool(t & 0x8000)
        t &= 0x7FFF
        if tv:
            raw = data[pos + 2:pos + 4]
            size = 4
        else:
            if pos + 4 + lv > len(data):
                notes.append(Expert(ERROR, f"attribute type {t} length {lv} runs past the end "
                                    f"({len(data) - pos - 4} bytes left)", base + pos))
                break
            raw = data[pos + 4:pos + 4 + lv]
            size = 4 + lv
        spec = table.get(t) if table else None
        if isinstance(spec, str):
            spec = AttrSpec(spec)
        out.append(Attribute(t, raw, tv, base + pos, spec))
        pos += size
    return out


def name_value_map(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """``{name: value}``; a name that repeats (a lifetime in seconds *and* in
    kilobytes, two DNS servers) maps to the list of its values, in order."""
    grouped: dict[str, list[Any]] = {}
    for name, value in pairs:
        grouped.setdefault(name, []).append(value)
    return {name: values[0] if len(values) == 1 else values for name, values in grouped.items()}


def attributes_json(attrs: list[Attribute]) -> dict[str, Any]:
    """``{"attributes": {name: value}, "attributes_raw": [[type, value], ...]}`` (see :func:`name_value_map`)."""
    return {
        "attributes": name_value_map([(a.name, a.json_value()) for a in attrs]),
        "attributes_raw": [[a.type, a.value if a.value is not None else a.raw.hex()] for a in attrs],
    }


def attribute_rows(attrs: list[Attribute]) -> list[Detail]:
    rows = []
    life_unit = ""
    for a in attrs:
        if a.spec and a.spec.values is registry.LIFE_TYPES and a.value is not None:
            life_unit = registry.LIFE_TYPES.get(a.value, "")
        fmt = "TV" if a.tv else f"TLV, length {len(a.raw)}"
        label = f"{a.name} ({a.type}): {a.display(life_unit if 'Life-Duration' in a.name else '')}"
        rows.append(Detail(label, [Detail(f"Format: {fmt}"), Detail(f"Value: {a.raw.hex()}")]))
    return rows


def attribute_table(protocol_id: int) -> dict[int, AttrSpec]:
    """Phase 1 attributes for PROTO_ISAKMP (RFC 2409 App. A), IPsec DOI ones otherwise (RFC 2407 §4.5)."""
    return registry.IKE_ATTRIBUTES if protocol_id == 1 else registry.IPSEC_ATTRIBUTES


# --------------------------------------------------------------------------
# SA, Proposal, Transform (RFC 2408 §3.4-3.6)

@dataclass(slots=True)
class Transform:
    number: int
    transform_id: int
    protocol_id: int
    attributes: list[Attribute]
    offset: int
    length: int

    @property
    def transform_name(self) -> str:
        return registry.TRANSFORM_IDS.get(self.protocol_id, {}).get(self.transform_id, "Unknown")

    def attr(self, name_or_type: str | int) -> Attribute | None:
        for a in self.attributes:
            if a.type == name_or_type or a.name == name_or_type:
                return a
        return None

    def summary(self) -> str:
        """The policy in a few words, in the order Cisco's configuration lists it:
        ``AES-CBC-128 SHA PSK DH2 86400s`` (Phase 1, RFC 2409 App. A) or
        ``ESP AES-128 HMAC-SHA Tunnel PFS-DH14 3600s 4608000KB`` (IPsec DOI,
        RFC 2407 §4.5); lifetimes in seconds (s) and kilobytes (KB); a Life-Duration that no Life-Type
        came before has no unit, and is shown bare (as the packet tree shows it)."""
        phase1 = self.protocol_id == 1
        # attribute type -> slot, per DOI: (cipher, key length, hash/auth alg, auth method/encap, group, life type, life)
        types = (1, 14, 2, 3, 4, 11, 12) if phase1 else (None, 6, 5, 4, 3, 1, 2)
        slots: dict[int, str] = {}
        lives: list[str] = []
        unit = ""
        for a in self.attributes:
            if a.value is None or a.type not in types:
                continue
            i, v = types.index(a.type), a.value
            if i == 5:
                unit = "KB" if v == 2 else "s"
            elif i == 6:
                lives.append(f"{v}{unit}")
            elif i == 1:
                slots[1] = str(v)
            elif i == 3 and phase1:
                slots[3] = registry.AUTH_METHOD_SHORT.get(v, a.value_name or str(v))
            elif i == 4:
                slots[4] = f"DH{v}" if phase1 else f"PFS-DH{v}"
            else:
                slots[i] = a.value_name or str(v)
        cipher = slots.get(0, "") if phase1 else self.transform_name
        if 1 in slots:
            cipher = f"{cipher}-{slots[1]}"
        head = [] if phase1 else [registry.PROTOCOL_IDS.get(self.protocol_id, "?").replace("IPSEC_", "")]
        return " ".join(head + [cipher] + [slots[i] for i in (2, 3, 4) if i in slots] + lives)

    def to_dict(self) -> dict[str, Any]:
        d = {"number": self.number, "transform_id": self.transform_id, "transform": self.transform_name}
        d.update(attributes_json(self.attributes))
        return d

    def details(self) -> Detail:
        return Detail(f"Transform #{self.number}: {self.transform_name} ({self.transform_id})",
                      [Detail(f"Transform number: {self.number}"),
                       Detail(f"Transform ID: {self.transform_name} ({self.transform_id})")]
                      + attribute_rows(self.attributes))


@dataclass(slots=True)
class Proposal:
    number: int
    protocol_id: int
    spi: bytes
    transforms: list[Transform]
    offset: int
    length: int
    declared_transforms: int

    @property
    def protocol(self) -> str:
        return registry.PROTOCOL_IDS.get(self.protocol_id, "Unknown")

    def to_dict(self) -> dict[str, Any]:
        return {"number": self.number, "protocol_id": self.protocol_id, "protocol": self.protocol,
                "spi": self.spi.hex(), "transforms": [t.to_dict() for t in self.transforms]}

    def details(self) -> Detail:
        rows = [Detail(f"Proposal number: {self.number}"),
                Detail(f"Protocol ID: {self.protocol} ({self.protocol_id})"),
                Detail(f"SPI Size: {len(self.spi)}"),
                Detail(f"Proposal transforms: {self.declared_transforms}")]
        if self.spi:
            rows.append(Detail(f"SPI: {self.spi.hex()}"))
        rows += [t.details() for t in self.transforms]
        return Detail(f"Proposal #{self.number} ({self.protocol}, {len(self.transforms)} transform(s))", rows)


@dataclass(kw_only=True)
class SaPayload(Payload):
    """Security Association (RFC 2408 §3.4): DOI, situation, proposals."""
    doi: int = 0
    situation: int | None = None
    proposals: list[Proposal] = field(default_factory=list)

    def fields(self):
        return {"doi": self.doi, "situation": self.situation,
                "proposals": [p.to_dict() for p in self.proposals]}

    def field_rows(self):
        rows = [Detail(f"Domain of interpretation: {_num_name(registry.DOI, self.doi)}")]
        if self.situation is not None:
            bits = [n for b, n in registry.SITUATION_BITS.items() if self.situation & b]
            rows.append(Detail(f"Situation: {self.situation:08x}" + (f" ({', '.join(bits)})" if bits else "")))
        return rows + [p.details() for p in self.proposals]

    def summary(self):
        """The one transform's policy (a chosen SA), or how many were offered."""
        transforms = [t for p in self.proposals for t in p.transforms]
        if len(transforms) == 1:
            return transforms[0].summary()
        if not transforms:
            return ""
        p, t = len(self.proposals), len(transforms)
        return f"{p} proposal{'s' if p > 1 else ''}, {t} transform{'s' if t > 1 else ''}"


def _substructures(p: Payload, data: bytes, body_base: int, more: int, what: str, fmt: str):
    """Walk proposals in an SA or transforms in a proposal (RFC 2408 §3.5-3.6).

    Each starts with the generic header (next, reserved, length); ``more``
    is the Next value that announces another one (2 or 3).  Yields
    (offset in ``data``, unpacked ``fmt`` fields); problems become notes at
    their offsets (``body_base`` is where ``data`` starts in the payload body).
    """
    pos, nxt, last = 0, more, 0
    while nxt != 0:
        if pos >= len(data):
            if pos:
                p.note(ERROR, f"the last {what}'s next payload ({more}) says another follows; none does",
                       body_base + last)
            return
        if pos + 8 > len(data):
            p.note(ERROR, f"{what} header truncated: {len(data) - pos} bytes left", body_base + pos)
            return
        fields = struct.unpack_from(fmt, data, pos)
        nxt, length = fields[0], fields[2]
        if length < 8 or pos + length > len(data):
            p.note(ERROR, f"{what} length {length} is invalid ({len(data) - pos} bytes left)", body_base + pos + 2)
            return
        if nxt not in (0, more):
            p.note(ERROR, f"{what} next payload {nxt} is neither {more} nor NONE (0)", body_base + pos)
        yield pos, fields
        last = pos
        pos += length
    if pos < len(data):
        p.note(WARNING, f"{len(data) - pos} bytes after the last {what}", body_base + pos)


def decode_sa(p: SaPayload, _ctx: Context = None) -> None:
    body = p.body
    if len(body) < 8:
        p.note(ERROR, f"SA payload too short for DOI and situation: {len(body)} bytes", 0)
        if len(body) >= 4:
            p.doi = struct.unpack_from(">I", body)[0]
        return
    p.doi, p.situation = struct.unpack_from(">II", body)
    if p.doi == 1 and p.situation & 0x06:
        p.note(WARNING, "labeled-domain situation (SIT_SECRECY/SIT_INTEGRITY) not decoded", 4, "undecoded")
        return
    for pos, (_np, _res, plen, num, proto, spi_size, ntrans) in _substructures(
            p, body[8:], 8, 2, "proposal", ">BBHBBBB"):
        pos += 8  # offset in the body
        pbody = body[pos:pos + plen]
        spi = pbody[8:8 + spi_size]
        if 8 + spi_size > plen:
            p.note(ERROR, f"SPI size {spi_size} runs past the proposal", pos + 6)
        prop = Proposal(num, proto, spi, [], p.offset + 4 + pos, plen, ntrans)
        if ntrans:
            start = 8 + spi_size
            for tpos, (_tnp, _r, tlen, tnum, tid, _r2) in _substructures(
                    p, pbody[start:], pos + start, 3, "transform", ">BBHBBH"):
                tpos += start
                attrs = parse_attributes(pbody[tpos + 8:tpos + tlen], p.offset + 4 + pos + tpos + 8,
                                         attribute_table(proto), p.notes)
                prop.transforms.append(Transform(tnum, tid, proto, attrs, p.offset + 4 + pos + tpos, tlen))
        if len(prop.transforms) != ntrans:
            p.note(WARNING, f"proposal #{num} declares {ntrans} transforms, {len(prop.transforms)} found", pos + 7, "protocol")
        p.proposals.append(prop)


# --------------------------------------------------------------------------
# Simple data payloads

@dataclass(kw_only=True)
class DataPayload(Payload):
    """KE, HASH, SIG, NONCE, NAT-D: the body is one opaque value."""
    KEYS = {4: ("key_exchange_data", "Key Exchange Data"), 8: ("hash", "Hash DATA"),
            15: ("hash", "HASH of the address and port"),
            9: ("signature", "Signature DATA"), 10: ("nonce", "Nonce DATA"),
            20: ("hash", "HASH of the address and port"), 130: ("hash", "HASH of the address and port"),
            40: ("nonce", "Nonce DATA")}

    def fields(self):
        key, _ = self.KEYS.get(self.type, ("data", "Data"))
        return {key: self.body.hex(), "data_length": len(self.body)}

    def field_rows(self):
        _, label = self.KEYS.get(self.type, ("data", "Data"))
        return [Detail(f"{label}: {self.body.hex()} ({len(self.body)} bytes)")]


@dataclass(kw_only=True)
class VendorIdPayload(Payload):
    vendor: str | None = None

    def fields(self):
        return {"vendor_id": self.body.hex(), "vendor": self.vendor}

    def field_rows(self):
        return [Detail(f"Vendor ID: {self.vendor or 'Unknown Vendor ID'}"),
                Detail(f"Vendor ID bytes: {self.body.hex()}")]

    def summary(self):
        return self.vendor or ""


def vendor_name(data: bytes, cookies: tuple[bytes, ...] = ()) -> str | None:
    """Name of a vendor ID by exact match, else by the longest known prefix.

    ``cookies`` are the message's initiator and responder cookies: Cisco IOS
    sends a VID whose first 8 bytes are its own cookie XOR a fixed mask
    (:data:`registry.CISCO_IOS_PEER_VID_MASK`), which makes a peer IOS say
    "speaking to another IOS box".
    """
    if len(data) >= 8:
        head = int.from_bytes(data[:8], "big")
        mask = int.from_bytes(registry.CISCO_IOS_PEER_VID_MASK, "big")
        if any(c != bytes(8) and head ^ int.from_bytes(c, "big") == mask for c in cookies):
            return registry.CISCO_IOS_PEER_VID_NAME
    name = _VID_EXACT.get(data)
    if name is not None:
        return name
    for length, table in _VID_PREFIXES:
        if length <= len(data):
            entry = table.get(data[:length])
            if entry is not None and (not entry[1] or entry[1] == len(data)):
                return entry[0]
    return None


def _vendor_index() -> tuple[dict[bytes, str], list[tuple[int, dict[bytes, tuple[str, int]]]]]:
    """Exact-match table and prefix tables by length (longest first) over registry.VENDOR_IDS;
    the first entry wins among equal bytes, so a lookup costs one probe per prefix length.
    A prefix entry keeps the whole-VID length it requires (0: any)."""
    exact: dict[bytes, str] = {}
    by_length: dict[int, dict[bytes, tuple[str, int]]] = {}
    for v in registry.VENDOR_IDS:
        exact.setdefault(v.data, v.name)
        if v.prefix:
            by_length.setdefault(len(v.data), {}).setdefault(v.data, (v.name, v.length))
    return exact, sorted(by_length.items(), reverse=True)


_VID_EXACT, _VID_PREFIXES = _vendor_index()


def decode_vid(p: VendorIdPayload, ctx: Context = None) -> None:
    p.vendor = vendor_name(p.body, (ctx.icookie, ctx.rcookie) if ctx else ())


# --------------------------------------------------------------------------
# ID (RFC 2408 §3.8, RFC 2407 §4.6.2) and NAT-OA (RFC 3947 §5.2)

def _mask_len(mask: bytes) -> int | None:
    n = int.from_bytes(mask, "big")
    bits = len(mask) * 8
    inv = (~n) & ((1 << bits) - 1)
    if inv & (inv + 1):
        return None
    return bits - inv.bit_length()


def _subnet(addr: bytes, mask: bytes) -> str:
    fam = socket.AF_INET6 if len(addr) == 16 else socket.AF_INET
    plen = _mask_len(mask)
    a = socket.inet_ntop(fam, addr)
    return f"{a}/{plen}" if plen is not None else f"{a}/{socket.inet_ntop(fam, mask)}"


def id_text(id_type: int, data: bytes) -> str:
    """Text of ID data by ID type (RFC 2407 §4.6.2.1); raises ValueError on a bad length."""
    if id_type in (1, 5):
        n = 4 if id_type == 1 else 16
        if len(data) != n:
            raise ValueError(f"{registry.ID_TYPES[id_type]} needs {n} bytes, has {len(data)}")
        return socket.inet_ntop(socket.AF_INET if n == 4 else socket.AF_INET6, data)
    if id_type in (4, 6, 7, 8):
        n = 4 if id_type in (4, 7) else 16
        if len(data) != 2 * n:
            raise ValueError(f"{registry.ID_TYPES[id_type]} needs {2 * n} bytes, has {len(data)}")
        if id_type in (4, 6):
            return _subnet(data[:n], data[n:])
        fam = socket.AF_INET if n == 4 else socket.AF_INET6
        return f"{socket.inet_ntop(fam, data[:n])}-{socket.inet_ntop(fam, data[n:])}"
    if id_type in (2, 3):
        return text_of(data)
    if id_type == 9:
        try:
            return printable(der.distinguished_name(data))
        except der.DerError as e:
            raise ValueError(f"not a DER distinguished name ({e})") from None
    if id_type == 11:
        return data.decode("ascii") if data and all(32 <= c < 127 for c in data) else data.hex()
    return data.hex()


@dataclass(kw_only=True)
class IdPayload(Payload):
    id_type: int = 0
    protocol_id: int = 0
    port: int = 0
    id_data: bytes = b""
    text: str = ""

    @property
    def id_type_name(self) -> str:
        table = registry.ID_TYPES if self.version == 1 else registry.ID_TYPES_V2
        return table.get(self.id_type, "Unknown")

    def fields(self):
        return {"id_type": self.id_type, "id_type_name": self.id_type_name, "protocol_id": self.protocol_id,
                "port": self.port, "id_data": self.text, "id_data_hex": self.id_data.hex()}

    def field_rows(self):
        proto = registry.IP_PROTOCOLS.get(self.protocol_id, "Unknown")
        rows = [Detail(f"ID type: {self.id_type_name} ({self.id_type})")]
        if self.version == 1:
            rows += [Detail(f"Protocol ID: {proto} ({self.protocol_id})"), Detail(f"Port: {self.port}")]
        return rows + [Detail(f"Identification Data: {self.text}")]

    def summary(self):
        return self.text


def decode_id(p: IdPayload, _ctx: Context = None) -> None:
    b = p.body
    (p.id_type, protocol_id, port), complete = unpack_partial("BBH", b)
    if p.version == 1:
        p.protocol_id, p.port = protocol_id, port
    if not complete:
        p.note(ERROR, f"ID payload too short: {len(b)} bytes", 0)
        return
    p.id_data = b[4:]
    try:
        p.text = id_text(p.id_type if p.version == 1 else _V2_ID_AS_V1.get(p.id_type, 0), p.id_data)
    except ValueError as e:
        p.note(ERROR, f"bad identification data: {e}", 4)
        p.text = p.id_data.hex()


_V2_ID_AS_V1 = {1: 1, 2: 2, 3: 3, 5: 5, 9: 9, 11: 11}


@dataclass(kw_only=True)
class NatOaPayload(Payload):
    id_type: int = 0
    address: str = ""

    def fields(self):
        return {"id_type": self.id_type, "id_type_name": registry.ID_TYPES.get(self.id_type, "Unknown"),
                "address": self.address}

    def field_rows(self):
        return [Detail(f"ID type: {_num_name(registry.ID_TYPES, self.id_type)}"),
                Detail(f"Original address: {self.address}")]

    def summary(self):
        return self.address


def decode_nat_oa(p: NatOaPayload, _ctx: Context = None) -> None:
    b = p.body
    if len(b) < 4:
        p.note(ERROR, f"NAT-OA payload too short: {len(b)} bytes", 0)
        return
    p.id_type = b[0]
    try:
        p.address = id_text(p.id_type, b[4:]) if p.id_type in (1, 5) else b[4:].hex()
    except ValueError as e:
        p.note(ERROR, f"bad NAT-OA address: {e}", 4)
        p.address = b[4:].hex()


# --------------------------------------------------------------------------
# CERT, CR (RFC 2408 §3.9, §3.10)

@dataclass(kw_only=True)
class CertPayload(Payload):
    encoding: int = 0
    data: bytes = b""
    subject: str | None = None
    issuer: str | None = None

    def fields(self):
        d = {"encoding": self.encoding, "encoding_name": registry.CERT_ENCODINGS.get(self.encoding, "Unknown"),
             "data_length": len(self.data)}
        if self.type == 7:
            d["authority"] = self.subject if self.subject is not None else self.data.hex()
        else:
            d["data"] = self.data.hex()
            if self.subject is not None:
                d["subject"] = self.subject
                d["issuer"] = self.issuer
        return d

    def field_rows(self):
        rows = [Detail(f"Certificate Encoding: {_num_name(registry.CERT_ENCODINGS, self.encoding)}")]
        if self.type == 7:
            rows.append(Detail(f"Certificate Authority: {self.subject if self.subject is not None else self.data.hex() or '(any)'}"))
        else:
            if self.subject is not None:
                rows += [Detail(f"Subject: {self.subject}"), Detail(f"Issuer: {self.issuer}")]
            rows.append(Detail(f"Certificate Data: {len(self.data)} bytes"))
        return rows

    def summary(self):
        return self.subject or ""


def decode_cert(p: CertPayload, _ctx: Context = None) -> None:
    if not p.body:
        p.note(ERROR, "certificate payload has no encoding byte", 0)
        return
    p.encoding, p.data = p.body[0], p.body[1:]
    if p.type == 7:  # CR: the authority is a DER DN
        if p.data:
            try:
                p.subject = printable(der.distinguished_name(p.data))
            except der.DerError as e:
                p.note(WARNING, f"certificate authority is not a DER distinguished name: {e}", 1)
        return
    if p.encoding == 4 and p.data:
        import warnings

        from cryptography import x509
        try:
            with warnings.catch_warnings(record=True) as caught:  # cryptography warns about odd fields
                warnings.simplefilter("always")
                cert = x509.load_der_x509_certificate(p.data)
                p.subject = printable(cert.subject.rfc4514_string())
                p.issuer = printable(cert.issuer.rfc4514_string())
            for w in caught[:3]:
                p.note(WARNING, f"X.509 certificate: {w.message}", 1, "protocol")
        except Exception as e:  # cryptography raises several types for bad DER
            p.note(WARNING, f"X.509 certificate not parsed: {type(e).__name__}", 1, "undecoded")


# --------------------------------------------------------------------------
# N (RFC 2408 §3.14, RFC 2407 §4.6.3, RFC 3706 §5), D (RFC 2408 §3.15)

@dataclass(kw_only=True)
class _DoiProtocolPayload(Payload):
    """N and D begin alike: the DOI (IKEv1 only) and a protocol ID (RFC 2408 §3.14-3.15,
    RFC 7296 §3.10-3.11: IKEv2 notifies and deletes have no DOI)."""
    doi: int = 0
    protocol_id: int = 0

    def _head_fields(self) -> dict[str, Any]:
        d: dict[str, Any] = {"doi": self.doi} if self.version == 1 else {}
        d["protocol_id"] = self.protocol_id
        return d

    def _head_rows(self) -> list[Detail]:
        rows = [Detail(f"Domain of interpretation: {_num_name(registry.DOI, self.doi)}")] if self.version == 1 else []
        return rows + [Detail(f"Protocol ID: {_num_name(_protocols(self.version), self.protocol_id)}")]


@dataclass(kw_only=True)
class NotifyPayload(_DoiProtocolPayload):
    notify_type: int = 0
    spi: bytes = b""
    data: bytes = b""
    attributes: list[Attribute] = field(default_factory=list)
    sequence: int | None = None

    @property
    def protocol(self) -> str:
        return _protocols(self.version).get(self.protocol_id, "Unknown")

    @property
    def notify_name(self) -> str:
        table = registry.NOTIFY_TYPES_V1 if self.version == 1 else registry.NOTIFY_TYPES_V2
        return table.get(self.notify_type, "Unknown")

    def fields(self):
        d = self._head_fields()
        d.update({"notify_type": self.notify_type, "notify": self.notify_name, "spi": self.spi.hex(),
                  "notification_data": self.data.hex()})
        if self.sequence is not None:
            d["sequence"] = self.sequence
        if self.attributes:
            d.update(attributes_json(self.attributes))
        return d

    def field_rows(self):
        rows = self._head_rows() + [Detail(f"SPI Size: {len(self.spi)}"),
                                    Detail(f"Notify Message Type: {self.notify_name} ({self.notify_type})")]
        if self.spi:
            rows.append(Detail(f"SPI: {self.spi.hex()}"))
        if self.sequence is not None:
            rows.append(Detail(f"Sequence number: {self.sequence}"))
        if self.attributes:
            rows += attribute_rows(self.attributes)
        elif self.data:
            rows.append(Detail(f"Notification DATA: {self.data.hex()}"))
        return rows

    def summary(self):
        return self.notify_name if self.notify_name != "Unknown" else str(self.notify_type)


def decode_notify(p: NotifyPayload, _ctx: Context = None) -> None:
    b = p.body
    if p.version == 1:
        (p.doi, p.protocol_id, spi_size, p.notify_type), complete = unpack_partial("IBBH", b)
        pos = 8
    else:
        (p.protocol_id, spi_size, p.notify_type), complete = unpack_partial("BBH", b)
        pos = 4
    if not complete:
        p.note(ERROR, f"notification payload too short: {len(b)} bytes", 0)
        return
    if pos + spi_size > len(b):
        p.note(ERROR, f"SPI size {spi_size} runs past the payload", pos - 3)
        spi_size = len(b) - pos
    p.spi = b[pos:pos + spi_size]
    p.data = b[pos + spi_size:]
    if p.version != 1:
        return
    if p.notify_type in (36136, 36137):  # R-U-THERE(-ACK): 32-bit sequence number, RFC 3706 §5
        if len(p.data) == 4:
            p.sequence = struct.unpack(">I", p.data)[0]
        else:
            p.note(ERROR, f"R-U-THERE data must be a 4-byte sequence number, has {len(p.data)} bytes", pos + spi_size)
    elif p.notify_type == 24576 and p.data:  # RESPONDER-LIFETIME: SA attributes, RFC 2407 §4.6.3.1
        p.attributes = parse_attributes(p.data, p.offset + 4 + pos + spi_size, attribute_table(p.protocol_id), p.notes)
    elif p.notify_type == 24577:  # REPLAY-STATUS: a 32-bit enabled/disabled flag, RFC 2407 §4.6.3.2
        if len(p.data) == 4:
            p.sequence = struct.unpack(">I", p.data)[0]
        else:
            p.note(ERROR, f"REPLAY-STATUS data must be 4 bytes, has {len(p.data)}", pos + spi_size)


@dataclass(kw_only=True)
class DeletePayload(_DoiProtocolPayload):
    spis: list[bytes] = field(default_factory=list)

    def fields(self):
        d = self._head_fields()
        d.update({"protocol": _protocols(self.version).get(self.protocol_id, "Unknown"),
                  "spis": [s.hex() for s in self.spis]})
        return d

    def field_rows(self):
        return (self._head_rows() + [Detail(f"Number of SPIs: {len(self.spis)}")]
                + [Detail(f"Delete SPI: {s.hex()}") for s in self.spis])

    def summary(self):
        return _protocols(self.version).get(self.protocol_id, "")


def decode_delete(p: DeletePayload, _ctx: Context = None) -> None:
    b = p.body
    if p.version == 1:
        (p.doi, p.protocol_id, spi_size, n), complete = unpack_partial("IBBH", b)
        pos = 8
    else:
        (p.protocol_id, spi_size, n), complete = unpack_partial("BBH", b)
        pos = 4
    if not complete:
        p.note(ERROR, f"delete payload too short: {len(b)} bytes", 0)
        return
    if spi_size and pos + spi_size * n > len(b):
        p.note(ERROR, f"{n} SPIs of {spi_size} bytes run past the payload ({len(b) - pos} bytes)", pos - 2)
        n = (len(b) - pos) // spi_size
    elif not spi_size and n and p.version == 1:
        p.note(ERROR, f"{n} SPIs declared with an SPI size of 0", pos - 2)
    p.spis = [b[pos + i * spi_size:pos + (i + 1) * spi_size] for i in range(n)] if spi_size else []
    if pos + spi_size * n < len(b):
        p.note(WARNING, f"{len(b) - pos - spi_size * n} bytes after the SPIs", pos + spi_size * n)


# --------------------------------------------------------------------------
# Attributes payload: mode-config / XAUTH (draft-dukes-ike-mode-cfg-02 §3.2)

#: Whether XAUTH secrets (registry.CFG_SECRET_ATTRIBUTES) are shown; the CLI sets SHOW_SECRETS[0]
#: from --show-secrets.  Masked by default, like the keys.
SHOW_SECRETS = [False]

@dataclass(kw_only=True)
class ConfigPayload(Payload):
    cfg_type: int = 0
    identifier: int = 0
    attributes: list[Attribute] = field(default_factory=list)

    def _value(self, a: Attribute) -> str | int:
        if not a.tv and not a.raw:
            return ""  # an empty attribute: a request for it, or an acknowledgement
        if a.type in registry.CFG_SECRET_ATTRIBUTES and not SHOW_SECRETS[0]:
            return "********"  # (not even its length: a password's length narrows a guess)
        if a.type in registry.CFG_TEXT_ATTRIBUTES:
            return text_of(a.raw)
        if a.type in registry.CFG_IPV4_ATTRIBUTES and len(a.raw) == 4:
            return socket.inet_ntop(socket.AF_INET, a.raw)
        names = registry.CFG_VALUE_NAMES.get(a.type)
        if names is not None and a.value is not None:
            return names.get(a.value, str(a.value))
        if a.tv:
            return a.value
        return a.raw.hex()

    def fields(self):
        return {"cfg_type": self.cfg_type, "cfg": registry.CFG_TYPES.get(self.cfg_type, "Unknown"),
                "identifier": self.identifier,
                "attributes": name_value_map([(a.name, self._value(a)) for a in self.attributes]),
                "attributes_raw": [[a.type, self._raw(a)] for a in self.attributes]}

    @staticmethod
    def _raw(a: Attribute) -> str:
        secret = a.type in registry.CFG_SECRET_ATTRIBUTES and a.raw and not SHOW_SECRETS[0]
        return "********" if secret else a.raw.hex()

    def field_rows(self):
        return ([Detail(f"Type: {_num_name(registry.CFG_TYPES, self.cfg_type)}"),
                 Detail(f"Identifier: {self.identifier}")]
                + [Detail(f"{a.name} ({a.type}): {self._value(a) if a.tv or a.raw else '(empty)'}")
                   for a in self.attributes])

    def summary(self):
        return registry.CFG_TYPES.get(self.cfg_type, "")


def decode_config(p: ConfigPayload, _ctx: Context = None) -> None:
    b = p.body
    if len(b) < 4:
        p.note(ERROR, f"attributes payload too short: {len(b)} bytes", 0)
        return
    p.cfg_type, _r, p.identifier = struct.unpack_from(">BBH", b)
    p.attributes = parse_attributes(b[4:], p.offset + 8, registry.CFG_ATTRIBUTES, p.notes)


# --------------------------------------------------------------------------
# Cisco IKE fragmentation (payload 132)

@dataclass(kw_only=True)
class CiscoFragPayload(Payload):
    fragment_id: int = 0
    fragment_number: int = 0
    last: bool = False
    data: bytes = b""

    def fields(self):
        return {"fragment_id": self.fragment_id, "fragment_number": self.fragment_number,
                "last_fragment": self.last, "data_length": len(self.data)}

    def field_rows(self):
        return [Detail(f"Fragment ID: {self.fragment_id}"), Detail(f"Fragment number: {self.fragment_number}"),
                Detail(f"Flags: {'Last fragment' if self.last else 'More fragments'}"),
                Detail(f"Fragment data: {len(self.data)} bytes")]

    def summary(self):
        return f"#{self.fragment_number}{' last' if self.last else ''}"


def decode_cisco_frag(p: CiscoFragPayload, _ctx: Context = None) -> None:
    b = p.body
    if len(b) < 4:
        p.note(ERROR, f"Cisco fragmentation payload too short: {len(b)} bytes", 0)
        return
    p.fragment_id, p.fragment_number, flags = struct.unpack_from(">HBB", b)
    p.last = bool(flags & 1)
    p.data = b[4:]


# --------------------------------------------------------------------------
# IKEv2 payloads that only need their body shown (RFC 7296 §3)

@dataclass(kw_only=True)
class Ikev2KePayload(Payload):
    group: int = 0
    data: bytes = b""

    def fields(self):
        return {"group": self.group, "key_exchange_data": self.data.hex()}

    def field_rows(self):
        return [Detail(f"DH Group #: {_num_name(registry.GROUPS, self.group)}"),
                Detail(f"Key Exchange Data: {self.data.hex()} ({len(self.data)} bytes)")]


def decode_v2_ke(p: Ikev2KePayload, _ctx: Context = None) -> None:
    if len(p.body) < 4:
        p.note(ERROR, f"KE payload too short: {len(p.body)} bytes", 0)
        return
    p.group = struct.unpack_from(">H", p.body)[0]
    p.data = p.body[4:]


@dataclass(kw_only=True)
class EncryptedPayload(Payload):
    """IKEv2 SK / SKF (RFC 7296 §3.14, RFC 7383 §2.5): the rest is ciphertext."""
    fragment_number: int | None = None
    total_fragments: int | None = None

    def fields(self):
        d: dict[str, Any] = {"encrypted_length": len(self.body)}
        if self.fragment_number is not None:
            d.update(fragment_number=self.fragment_number, total_fragments=self.total_fragments)
        return d

    def field_rows(self):
        rows = [Detail(f"Encrypted data: {len(self.body)} bytes (IV, ciphertext, ICV)")]
        if self.fragment_number is not None:
            rows.insert(0, Detail(f"Fragment {self.fragment_number} of {self.total_fragments}"))
        return rows


def decode_v2_sk(p: EncryptedPayload, _ctx: Context = None) -> None:
    if p.type == 53:
        if len(p.body) < 4:
            p.note(ERROR, f"encrypted fragment payload too short for its fragment numbers: {len(p.body)} bytes", 0)
        else:
            p.fragment_number, p.total_fragments = struct.unpack_from(">HH", p.body)


# --------------------------------------------------------------------------
# The decoder tables: payload type -> (class, decoder)

#: A decoder fills in a payload's fields from its body; it gets the message's context too.
Decoder = Callable[[Any, "Context | None"], None]

DECODERS_V1: dict[int, tuple[type[Payload], Decoder | None]] = {
    1: (SaPayload, decode_sa),
    4: (DataPayload, None),
    5: (IdPayload, decode_id),
    6: (CertPayload, decode_cert),
    7: (CertPayload, decode_cert),
    8: (DataPayload, None),
    9: (DataPayload, None),
    10: (DataPayload, None),
    11: (NotifyPayload, decode_notify),
    12: (DeletePayload, decode_delete),
    13: (VendorIdPayload, decode_vid),
    14: (ConfigPayload, decode_config),
    20: (DataPayload, None),
    21: (NatOaPayload, decode_nat_oa),
    130: (DataPayload, None),
    131: (NatOaPayload, decode_nat_oa),
    132: (CiscoFragPayload, decode_cisco_frag),
}

DECODERS_V2: dict[int, tuple[type[Payload], Decoder | None]] = {
    34: (Ikev2KePayload, decode_v2_ke),
    35: (IdPayload, decode_id),
    36: (IdPayload, decode_id),
    40: (DataPayload, None),
    41: (NotifyPayload, decode_notify),
    42: (DeletePayload, decode_delete),
    43: (VendorIdPayload, decode_vid),
    46: (EncryptedPayload, decode_v2_sk),
    53: (EncryptedPayload, decode_v2_sk),
}


def decode_payload(version: int, ptype: int, offset: int, length: int, next_payload: int, body: bytes,
                   critical: bool = False, ctx: Context | None = None) -> Payload:
    """Build and decode one payload of the given type; unknown types stay generic.

    ``ctx`` (the message's cookies and exchange type) lets the vendor ID
    decoder recognise Cisco IOS's cookie-derived VID, and gives type 15 its
    old-NAT-T-draft meaning inside Main and Aggressive Mode.
    """
    table = DECODERS_V1 if version == 1 else DECODERS_V2
    alias = None
    if version == 1 and ctx is not None and (ptype, ctx.exchange_type) in registry.PAYLOAD_ALIASES_V1:
        alias = registry.PAYLOAD_ALIASES_V1[(ptype, ctx.exchange_type)]
        cls, fn = table[alias[2]]
    else:
        cls, fn = table.get(ptype, (Payload, None))
    p = cls(type=ptype, offset=offset, length=length, next_payload=next_payload, body=body,
            version=version, critical=critical, alias=alias[:2] if alias else None)
    if fn is not None:
        fn(p, ctx)
    return p
