"""tshark as an oracle: what Wireshark's dissectors say about a capture's ISAKMP and ESP frames.

tshark is driven through pyshark (PDML output).  pyshark's own layer objects
(:class:`pyshark.packet.layers.xml_layer.XmlLayer`) keep every field,
repeated ones included (``layer.get_field(name).all_fields``), but they
flatten the tree: which attribute belongs to which transform of which
proposal is lost.  So the PDML parser is subclassed to keep each packet's
XML element next to the pyshark packet; header and ESP fields are read
through pyshark's layer API, and the payload tree (SA -> proposals ->
transforms -> attributes, ID and notify payloads) is walked on the XML.

Both sides are reduced to the same plain, JSON-like shape (:func:`tshark_view`
and :func:`ours_view`), so a differential test is a comparison of dicts and
every difference has a path such as ``payloads[0].proposals[0].transforms[1].attributes``.

Only what the two sides both claim to decode is put in a view:

* ISAKMP header: cookies/SPIs, version, exchange type, flags, message ID, length;
* the top-level payload type sequence;
* IKEv1 SA payloads: DOI, situation, and every proposal (number, protocol,
  SPI, declared transform count) / transform (number, ID) / attribute (type,
  numeric value, or hex when longer than 8 bytes);
* ID payloads (IKEv1 5, IKEv2 35/36): type, protocol, port, the data bytes
  and, for address types, the address text;
* notify payloads (IKEv1 11, IKEv2 41): DOI, protocol, SPI, type, data;
* ESP: SPI and sequence number.

tshark runs with an empty configuration directory, so that a developer's
own Wireshark preferences (decryption tables above all) cannot change what
the oracle says.

IKEv1 decryption (:func:`tshark_frames` with ``ikev1_keys`` and/or
``profile_files``): tshark is given its ``ikev1_decryption_table`` either as
``-o uat:ikev1_decryption_table:<icookie>,<Ka>`` preferences (one per row,
unquoted hex: tshark 4.0 reads a *quoted* field of this UAT as literal text
and rejects ``"feacfe023460ee64"`` as a 16-byte cookie, "Length of
Initiator's COOKIE must be 8 octets") or as the UAT file itself in the
configuration directory (a Wireshark profile).  tshark then shows the
decrypted payload chain as the children of ``isakmp.enc.data`` (padding as
``isakmp.extradata``); :func:`decrypted_view` / :func:`ours_decrypted_view`
reduce an encrypted message on both sides to its state ("decrypted",
"malformed": tshark decrypted to bytes that are no valid payload chain, or
"not decrypted"), payload type sequence, every payload's generic header and
body, the decoded SA / ID / NONCE / KE / HASH / notify / delete / VID /
NAT-D fields, and the padding length.
"""
from __future__ import annotations

import contextlib
import hashlib
import ipaddress
import os
import tempfile
from dataclasses import dataclass, field
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import lxml.objectify
import pyshark
from pyshark.capture.capture import TSharkCrashException
from pyshark.tshark.output_parser import tshark_xml

#: The display filter: only frames with something to compare are dissected to PDML.
DISPLAY_FILTER = "isakmp || esp"


# --------------------------------------------------------------------------
# Running tshark through pyshark, keeping the PDML tree

class _TreeKeepingXmlParser(tshark_xml.TsharkXmlParser):
    """pyshark's PDML parser, which also keeps the packet's XML element as ``packet.pdml``."""

    def _parse_single_packet(self, packet):
        parser = lxml.objectify.makeparser(huge_tree=True, recover=True, encoding="utf-8")
        text = packet.decode(errors="ignore").translate(tshark_xml.DEL_BAD_XML_CHARS)
        xml = lxml.objectify.fromstring(text.encode("utf-8"), parser)
        pkt = tshark_xml.packet_from_xml_packet(xml)
        pkt.pdml = xml
        return pkt


class _FileCapture(pyshark.FileCapture):
    """A FileCapture whose packets carry their PDML (relies on pyshark 0.6's parser hook)."""

    def _setup_tshark_output_parser(self):
        if self.use_json or self._use_ek or self._only_summaries:
            return super()._setup_tshark_output_parser()
        return _TreeKeepingXmlParser()


@dataclass
class TsharkFrame:
    """What tshark shows in one frame.

    ``isakmp``/``esp`` are the views of the top-level layers; ``quoted`` names
    the ISAKMP/ESP layers tshark found *inside* another protocol's tree (an
    ICMP error quotes the start of the packet that caused it), as
    (layer, enclosing layer) pairs.
    """
    number: int
    protocols: str
    isakmp: list[dict[str, Any]] = field(default_factory=list)
    esp: list[dict[str, Any]] = field(default_factory=list)
    quoted: list[tuple[str, str]] = field(default_factory=list)
    #: per ``isakmp`` layer (same order): :func:`decrypted_view` of an encrypted IKEv1 message, else None
    decrypted: list[dict[str, Any] | None] = field(default_factory=list)
    #: tshark added a "[Malformed Packet]" (``_ws.malformed``) to the frame
    malformed: bool = False


_CACHE: dict[Any, dict[int, TsharkFrame]] = {}
_EMPTY_CONFIG_DIR = tempfile.TemporaryDirectory(prefix="ikescope-tshark-config-")  # removed at exit
_EMPTY_CONFIG = _EMPTY_CONFIG_DIR.name


def file_digest(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def tshark_frames(path: Path, ikev1_keys: Sequence[tuple[str, str]] = (),
                  profile_files: Mapping[str, bytes] | None = None) -> dict[int, TsharkFrame]:
    """tshark's ISAKMP/ESP frames of ``path`` by frame number (cached per file content and keys).

    ``ikev1_keys``: (initiator cookie, encryption key Ka) rows in hex, given to tshark as
    ``-o uat:ikev1_decryption_table:<icookie>,<Ka>`` preferences.  ``profile_files``: files
    (name -> content) of the configuration directory tshark runs with, e.g. an
    ``ikev1_decryption_table`` as Wireshark reads it from a profile; empty by default.
    """
    rows = tuple((str(i), str(k)) for i, k in ikev1_keys)
    files = tuple(sorted((name, hashlib.sha256(data).hexdigest()) for name, data in (profile_files or {}).items()))
    key = (file_digest(path), rows, files)
    cached = _CACHE.get(key)
    if cached is None:
        cached = _CACHE[key] = _read_with_retry(Path(path), ikev1_preferences(rows), dict(profile_files or {}))
    return cached


def ikev1_preferences(rows: Sequence[tuple[str, str]]) -> list[str]:
    """tshark arguments for ikev1_decryption_table rows: ``-o uat:ikev1_decryption_table:icookie,key``
    per row (as the lab's oracle.cmd; tshark 4.0 rejects quoted hex for this table's fields)."""
    args: list[str] = []
    for icookie, key in rows:
        for what, v in (("initiator cookie", icookie), ("key", key)):
            if not v or len(v) % 2 or any(c not in "0123456789abcdefABCDEF" for c in v):
                raise ValueError(f"ikev1_decryption_table {what} must be hex: {v!r}")
        args += ["-o", f"uat:ikev1_decryption_table:{icookie},{key}"]
    return args


def read_ikev1_decryption_table(text: str) -> list[tuple[str, str]]:
    """The (icookie, key) rows of an ``ikev1_decryption_table`` file, kept strict on purpose.

    This is the oracle's own reading, not ikescope's: blank lines and ``#`` comment lines are
    skipped; every other line must be ``<16 hex digits>,<hex key>`` with nothing else (no
    quotes, blanks or third field), as Wireshark writes the file.  Anything else raises
    ValueError, so that a table that Wireshark would read differently is not silently accepted.
    """
    rows = []
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split(",")
        if (len(parts) != 2 or len(parts[0]) != 16 or not parts[1] or len(parts[1]) % 2
                or any(c not in "0123456789abcdef" for c in "".join(parts))):
            raise ValueError(f"ikev1_decryption_table line {lineno}: {line!r} is not 'icookie,key' in lower-case hex")
        rows.append((parts[0], parts[1]))
    return rows


def _read_with_retry(path: Path, extra_args: list[str] | None = None, profile_files: dict[str, bytes] | None = None,
                     attempts: int = 3) -> dict[int, TsharkFrame]:
    # asyncio's child watcher now and then loses tshark's exit status ("Unknown child process
    # pid N, will report returncode 255") and pyshark then reports a crash at close(); a real
    # crash happens again on every attempt and is raised.
    for attempt in range(attempts):
        try:
            if not profile_files:
                return _read(path, extra_args or [], _EMPTY_CONFIG)
            with tempfile.TemporaryDirectory(prefix="ikescope-tshark-profile-") as config:
                for name, data in profile_files.items():
                    (Path(config) / name).write_bytes(data)
                return _read(path, extra_args or [], config)
        except TSharkCrashException:
            if attempt == attempts - 1:
                raise
    raise AssertionError("unreachable")


@contextlib.contextmanager
def _pdml_packets(path: Path, display_filter: str, extra_args: list[str], config_dir: str):
    """tshark's packets of ``path`` (with their PDML), run with ``config_dir`` as its configuration."""
    saved = os.environ.get("WIRESHARK_CONFIG_DIR")
    os.environ["WIRESHARK_CONFIG_DIR"] = config_dir
    cap = _FileCapture(str(path), display_filter=display_filter, keep_packets=False,
                       custom_parameters=list(extra_args) or None)
    try:
        yield cap
    finally:
        try:
            cap.close()
        finally:
            if saved is None:
                os.environ.pop("WIRESHARK_CONFIG_DIR", None)
            else:
                os.environ["WIRESHARK_CONFIG_DIR"] = saved


def _read(path: Path, extra_args: list[str], config_dir: str) -> dict[int, TsharkFrame]:
    with _pdml_packets(path, DISPLAY_FILTER, extra_args, config_dir) as cap:
        return {int(pkt.number): _frame(pkt) for pkt in cap}


def _frame(pkt) -> TsharkFrame:
    protocols = str(pkt.frame_info.get_field_value("frame.protocols") or "")
    tf = TsharkFrame(int(pkt.number), protocols)
    top = [p for p in pkt.pdml.iterchildren() if p.tag == "proto"][2:]  # after geninfo and frame
    assert len(top) == len(pkt.layers), (pkt.number, [p.get("name") for p in top], pkt.layers)
    for layer, proto in zip(pkt.layers, top):
        name = proto.get("name")
        if name == "isakmp":
            tf.isakmp.append(isakmp_view(layer, proto))
            tf.decrypted.append(decrypted_view(proto))
        elif name == "esp":
            tf.esp.append(esp_view(layer))
        elif name == "_ws.malformed":
            tf.malformed = True
        for inner in proto.iter("proto"):
            if inner is not proto and inner.get("name") in ("isakmp", "esp"):
                tf.quoted.append((inner.get("name"), name))
    if tf.malformed:  # tshark threw somewhere in the frame: its decrypted chain is not a valid one
        for v in tf.decrypted:
            if v is not None and v["state"] == "decrypted":
                v["state"] = "malformed"
    return tf


# --------------------------------------------------------------------------
# Reading fields

def _first(layer, name: str):
    """First field called exactly ``name`` of a pyshark layer, or None.

    A repeated field's container holds every occurrence in document order
    (``.all_fields``), so the first is the header's.  ``get_field`` falls
    back to a fuzzy match of the name; that is refused here.
    """
    c = layer.get_field(name)
    if c is None or c.all_fields[0].name != name:
        return None
    return c.all_fields[0]


def _hex_int(v: str | None) -> int | None:
    return int(v, 16) if v not in (None, "") else None


def _show_int(v: str | None) -> int | None:
    if v in (None, ""):
        return None
    return int(v, 0)


def _children(el) -> list:
    return [c for c in el.iterchildren() if c.tag == "field"]


def _direct(el, name: str):
    """First direct child field of ``el`` called ``name``, or None."""
    for c in _children(el):
        if c.get("name") == name:
            return c
    return None


def _direct_all(el, name: str) -> list:
    return [c for c in _children(el) if c.get("name") == name]


def _int_of(el, name: str, how: str = "show") -> int | None:
    f = _direct(el, name)
    if f is None:
        return None
    return _show_int(f.get("show")) if how == "show" else _hex_int(f.get("value"))


# --------------------------------------------------------------------------
# tshark views

def isakmp_view(layer, proto) -> dict[str, Any]:
    """The comparable content of one tshark ``isakmp`` layer (pyshark layer + its PDML element)."""
    v: dict[str, Any] = {}
    ispi, rspi = _first(layer, "isakmp.ispi"), _first(layer, "isakmp.rspi")
    v["icookie"] = ispi.raw_value if ispi is not None else None
    v["rcookie"] = rspi.raw_value if rspi is not None else None
    ver = _first(layer, "isakmp.version")
    major = int(ver.raw_value, 16) >> 4 if ver is not None else None
    v["version"] = f"{major}.{int(ver.raw_value, 16) & 15}" if ver is not None else None
    et = _first(layer, "isakmp.exchangetype")
    v["exchange_type"] = _show_int(et.show) if et is not None else None
    fl = _first(layer, "isakmp.flags")
    v["flags"] = _hex_int(fl.raw_value) if fl is not None else None
    mid = _first(layer, "isakmp.messageid")
    v["message_id"] = _hex_int(mid.raw_value) if mid is not None else None
    ln = _first(layer, "isakmp.length")
    v["length"] = _show_int(ln.show) if ln is not None else None

    payloads = _direct_all(proto, "isakmp.typepayload")
    v["payload_types"] = [int(p.get("show")) for p in payloads]
    v["payloads"] = [_payload_view(major, p) for p in payloads]
    return v


def _payload_bytes(p) -> bytes:
    return bytes.fromhex(p.get("value") or "")


def _payload_view(major: int | None, p) -> dict[str, Any] | None:
    t = int(p.get("show"))
    if major == 1 and t == 1:
        return _sa_view_v1(p)
    if (major == 1 and t == 5) or (major == 2 and t in (35, 36)):
        return _id_view(major, p)
    if (major == 1 and t == 11) or (major == 2 and t == 41):
        return _notify_view(major, p)
    return None


def _sa_view_v1(p) -> dict[str, Any]:
    sit = _direct(p, "isakmp.sa.situation")
    return {
        "kind": "SA",
        "doi": _int_of(p, "isakmp.sa.doi"),
        "situation": _hex_int(sit.get("value")) if sit is not None else None,
        "proposals": [_proposal_view(q) for q in _direct_all(p, "isakmp.typepayload") if q.get("show") == "2"],
    }


def _proposal_view(q) -> dict[str, Any]:
    spi = _direct(q, "isakmp.spi")
    return {
        "number": _int_of(q, "isakmp.prop.number"),
        "protocol_id": _int_of(q, "isakmp.prop.protoid"),
        "spi": (spi.get("value") or "") if spi is not None else "",
        "declared_transforms": _int_of(q, "isakmp.prop.transforms"),
        "transforms": [_transform_view(t) for t in _direct_all(q, "isakmp.typepayload") if t.get("show") == "3"],
    }


def _transform_view(t) -> dict[str, Any]:
    attrs = []
    for a in _children(t):
        if a.get("name") not in ("isakmp.ike.attr", "isakmp.ipsec.attr"):
            continue
        prefix = a.get("name")
        at = _direct(a, prefix + ".type")
        av = _direct(a, prefix + ".value")
        raw = (av.get("value") or "") if av is not None else None
        value: int | str | None
        if raw is None:
            value = None  # no value field at all: the attribute was cut short
        elif len(raw) <= 16:
            value = int(raw, 16) if raw else 0  # ikescope: numbers up to 8 bytes (0 for an empty TLV)
        else:
            value = raw
        attrs.append([_show_int(at.get("show")) if at is not None else None, value])
    return {"number": _int_of(t, "isakmp.trans.number"), "transform_id": _int_of(t, "isakmp.trans.id"),
            "attributes": attrs}


def _mask_text(addr: str, mask: str) -> str:
    """``addr/prefix-length`` for a contiguous mask, else ``addr/mask`` (ikescope's subnet text)."""
    m = ipaddress.ip_address(mask)
    n = int(m)
    bits = m.max_prefixlen
    inv = (~n) & ((1 << bits) - 1)
    if inv & (inv + 1):
        return f"{addr}/{mask}"
    return f"{addr}/{bits - inv.bit_length()}"


def _id_view(major: int, p) -> dict[str, Any]:
    """ID payload: tshark's dissect_id() uses one switch on the IKEv1 ID type numbers for both versions."""
    v: dict[str, Any] = {"kind": "ID", "id_type": _int_of(p, "isakmp.id.type")}
    if major == 1:
        v["protocol_id"] = _int_of(p, "isakmp.id.protoid")
        v["port"] = _int_of(p, "isakmp.id.port")
    body = _payload_bytes(p)
    v["id_data_hex"] = body[8:].hex()
    data = _direct(p, "isakmp.id.data")
    sub = {c.get("name"): c.get("show") for c in _children(data)} if data is not None else {}
    t = v["id_type"]
    text = None
    if t == 1:
        text = sub.get("isakmp.id.data.ipv4_addr")
    elif t == 5:
        text = sub.get("isakmp.id.data.ipv6_addr")
    elif t == 4 and "isakmp.id.data.ipv4_subnet" in sub:
        text = _mask_text(sub["isakmp.id.data.ipv4_addr"], sub["isakmp.id.data.ipv4_subnet"])
    elif t == 6 and "isakmp.id.data.ipv6_subnet" in sub:
        text = _mask_text(sub["isakmp.id.data.ipv6_addr"], sub["isakmp.id.data.ipv6_subnet"])
    elif t == 7 and "isakmp.id.data.ipv4_range_end" in sub:
        text = f"{sub['isakmp.id.data.ipv4_range_start']}-{sub['isakmp.id.data.ipv4_range_end']}"
    elif t == 8 and "isakmp.id.data.ipv6_range_end" in sub:
        text = f"{sub['isakmp.id.data.ipv6_range_start']}-{sub['isakmp.id.data.ipv6_range_end']}"
    if t in ID_ADDRESS_TYPES:
        v["address"] = text
    return v


#: ID types whose data is an address (or a pair of them): their text is compared as well as the bytes.
ID_ADDRESS_TYPES = frozenset({1, 4, 5, 6, 7, 8})


def _notify_view(major: int, p) -> dict[str, Any]:
    v: dict[str, Any] = {"kind": "N"}
    if major == 1:
        v["doi"] = _int_of(p, "isakmp.notify.doi")
    spi = _direct(p, "isakmp.spi")
    data = _direct(p, "isakmp.notify.data")
    v.update({
        "protocol_id": _int_of(p, "isakmp.notify.protoid"),
        "spi": (spi.get("value") or "") if spi is not None else "",
        "notify_type": _int_of(p, "isakmp.notify.msgtype"),
        "data": (data.get("value") or "") if data is not None else "",
    })
    return v


def esp_view(layer) -> dict[str, Any]:
    spi, seq = _first(layer, "esp.spi"), _first(layer, "esp.sequence")
    return {"spi": _hex_int(spi.raw_value) if spi is not None else None,
            "seq": _show_int(seq.show) if seq is not None else None}


# --------------------------------------------------------------------------
# ikescope views, in the same shape

def ours_isakmp_view(msg) -> dict[str, Any]:
    h = msg.header
    v: dict[str, Any] = {
        "icookie": h.icookie.hex(), "rcookie": h.rcookie.hex(), "version": f"{h.major}.{h.minor}",
        "exchange_type": h.exchange_type, "flags": h.flags, "message_id": h.message_id, "length": h.length,
        "payload_types": [p.type for p in msg.payloads],
        "payloads": [_ours_payload(h.major, p) for p in msg.payloads],
    }
    return v


def _ours_payload(major: int, p) -> dict[str, Any] | None:
    from dissect import payloads as P
    if major == 1 and p.type == 1:
        assert isinstance(p, P.SaPayload)
        return {"kind": "SA", "doi": p.doi, "situation": p.situation,
                "proposals": [{"number": q.number, "protocol_id": q.protocol_id, "spi": q.spi.hex(),
                               "declared_transforms": q.declared_transforms,
                               "transforms": [{"number": t.number, "transform_id": t.transform_id,
                                               "attributes": [[a.type, a.value if a.value is not None else a.raw.hex()]
                                                              for a in t.attributes]}
                                              for t in q.transforms]}
                              for q in p.proposals]}
    if (major == 1 and p.type == 5) or (major == 2 and p.type in (35, 36)):
        v: dict[str, Any] = {"kind": "ID", "id_type": p.id_type}
        if major == 1:
            v["protocol_id"] = p.protocol_id
            v["port"] = p.port
        v["id_data_hex"] = p.id_data.hex()
        if p.id_type in ID_ADDRESS_TYPES:
            v["address"] = p.text
        return v
    if (major == 1 and p.type == 11) or (major == 2 and p.type == 41):
        v = {"kind": "N"}
        if major == 1:
            v["doi"] = p.doi
        v.update({"protocol_id": p.protocol_id, "spi": p.spi.hex(), "notify_type": p.notify_type,
                  "data": p.data.hex()})
        return v
    return None


def ours_esp_view(esp) -> dict[str, Any]:
    return {"spi": esp.spi, "seq": esp.seq}


# --------------------------------------------------------------------------
# IKEv1 decryption: the decrypted payload chain on both sides

#: tshark's field for the one opaque value of simple IKEv1 payloads: KE, HASH, NONCE, VID, NAT-D (RFC 3947)
_DATA_FIELDS = {4: ("KE", "isakmp.key_exchange.data"), 8: ("HASH", "isakmp.hash"), 10: ("NONCE", "isakmp.nonce"),
                13: ("VID", "isakmp.vid_bytes"), 20: ("NAT-D", "isakmp.ike.nat_hash")}


def _is_hex(v: str | None) -> bool:
    return v is not None and len(v) % 2 == 0 and all(c in "0123456789abcdefABCDEF" for c in v)


def decrypted_view(proto) -> dict[str, Any] | None:
    """What tshark decrypted of one IKEv1 message (its ``isakmp`` PDML element); None if not encrypted.

    ``state``: "not decrypted" (``isakmp.enc.data`` has no children: no key for this cookie),
    "malformed" (tshark decrypted, but the bytes are no payload chain: a payload length runs past
    the data, shown as "field length invalid!", or the payloads and padding do not fill the
    encrypted data exactly) or "decrypted".  :func:`_frame` also marks a view "malformed" when the
    frame carries tshark's "[Malformed Packet]".
    """
    enc = _direct(proto, "isakmp.enc.data")
    if enc is None:
        return None
    payloads = _direct_all(enc, "isakmp.typepayload")
    if not payloads:
        return {"state": "not decrypted"}
    extra = _direct(enc, "isakmp.extradata")
    padding = int(extra.get("size")) if extra is not None else 0
    if not all(_is_hex(p.get("value")) for p in payloads) or (
            sum(int(p.get("size")) for p in payloads) + padding != int(enc.get("size"))):
        return {"state": "malformed", "payload_types": [int(p.get("show")) for p in payloads]}
    return {"state": "decrypted", "payload_types": [int(p.get("show")) for p in payloads],
            "payloads": [_decrypted_payload_view(p) for p in payloads], "padding": padding}


def _decrypted_payload_view(p) -> dict[str, Any]:
    t = int(p.get("show"))
    raw = _payload_bytes(p)
    v: dict[str, Any] = {"type": t, "next_payload": _int_of(p, "isakmp.nextpayload"),
                         "length": _int_of(p, "isakmp.payloadlength"), "body": raw[4:].hex()}
    decoded = _payload_view(1, p)
    if t in _DATA_FIELDS:
        kind, name = _DATA_FIELDS[t]
        f = _direct(p, name)
        decoded = {"kind": kind, "data": (f.get("value") or "") if f is not None else None}
    elif t == 12:
        spi_size = _int_of(p, "isakmp.spisize")
        decoded = {"kind": "D", "doi": _int_of(p, "isakmp.delete.doi"), "protocol_id": _int_of(p, "isakmp.delete.protoid"),
                   "spi_size": spi_size, "spis": [f.get("value") or "" for f in _direct_all(p, "isakmp.delete.spi")]}
    v["decoded"] = decoded
    return v


def ours_decrypted_view(msg) -> dict[str, Any] | None:
    """ikescope's side of :func:`decrypted_view` for one message (a :class:`dissect.isakmp.Message`)."""
    h = msg.header
    if h is None or h.major != 1 or not msg.encrypted:
        return None
    if not msg.decrypted:
        return {"state": "not decrypted"}
    return {"state": "decrypted", "payload_types": [p.type for p in msg.payloads],
            "payloads": [_ours_decrypted_payload(p) for p in msg.payloads], "padding": msg.padding}


def _ours_decrypted_payload(p) -> dict[str, Any]:
    v: dict[str, Any] = {"type": p.type, "next_payload": p.next_payload, "length": p.length, "body": p.body.hex()}
    decoded = _ours_payload(1, p)
    if p.type in _DATA_FIELDS:
        decoded = {"kind": _DATA_FIELDS[p.type][0], "data": p.body.hex()}
    elif p.type == 12:
        decoded = {"kind": "D", "doi": p.doi, "protocol_id": p.protocol_id,
                   "spi_size": len(p.spis[0]) if p.spis else 0, "spis": [x.hex() for x in p.spis]}
    v["decoded"] = decoded
    return v


# --------------------------------------------------------------------------
# Comparing views

def diff(ours: Any, theirs: Any, path: str = "") -> list[tuple[str, Any, Any]]:
    """Every (path, ours, tshark) where the two views differ; lists compared item by item."""
    if isinstance(ours, dict) and isinstance(theirs, dict):
        out = []
        for k in list(ours) + [k for k in theirs if k not in ours]:
            out += diff(ours.get(k, "<absent>"), theirs.get(k, "<absent>"), f"{path}.{k}" if path else k)
        return out
    if (isinstance(ours, list) and isinstance(theirs, list)
            and any(isinstance(x, dict) for x in ours + theirs)):
        out = []
        if len(ours) != len(theirs):
            out.append((f"{path}.len", len(ours), len(theirs)))
        for i, (a, b) in enumerate(zip(ours, theirs)):
            out += diff(a, b, f"{path}[{i}]")
        return out
    if ours != theirs:
        return [(path, ours, theirs)]
    return []


# --------------------------------------------------------------------------
# ESP decryption (esp_sa table): what tshark decrypts, layer by layer

def tshark_esp_decrypted(path: Path, esp_sa_rows: Sequence[str], check_icv: bool = True) -> dict[int, list[dict]]:
    """tshark's decrypted ESP layers by frame number: for each ESP layer of the frame (outer first; an
    ESP tunnel may carry ESP), {"spi", "decrypted": bytes of ESP Decrypted Data (payload, padding,
    pad length, next header) or None, "contained": ESP Contained Data (the payload) or None,
    "pad_len", "next_header", "icv_good": True/False/None}.

    ``esp_sa_rows`` are esp_sa UAT lines as Wireshark writes them (8 quoted fields); each is given as
    ``-o uat:esp_sa:<line>``, with ESP decryption (and ICV checking) switched on."""
    args = ["-o", "esp.enable_encryption_decode:TRUE",
            "-o", f"esp.enable_authentication_check:{'TRUE' if check_icv else 'FALSE'}"]
    for row in esp_sa_rows:
        args += ["-o", f"uat:esp_sa:{row}"]
    with _pdml_packets(path, "esp", args, _EMPTY_CONFIG) as cap:
        return {int(pkt.number): [_esp_layer(p) for p in pkt.pdml.iter("proto") if p.get("name") == "esp"]
                for pkt in cap}


def _esp_layer(proto) -> dict[str, Any]:
    fields = {f.get("name"): f for f in proto.iter("field")}

    def value(name: str) -> bytes | None:
        f = fields.get(name)
        return bytes.fromhex(f.get("value")) if f is not None and _is_hex(f.get("value")) else None

    def shown(name: str) -> int | None:
        f = fields.get(name)
        return int(f.get("show"), 0) if f is not None and f.get("show") not in (None, "") else None

    good = fields.get("esp.icv_good")
    return {"spi": shown("esp.spi"), "decrypted": value("esp.decrypted_data"), "contained": value("esp.contained_data"),
            "pad_len": shown("esp.pad_len"), "next_header": shown("esp.protocol"),
            "icv_good": None if good is None else good.get("show") in ("1", "True", "true")}
