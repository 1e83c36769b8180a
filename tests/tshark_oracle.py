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
"""
from __future__ import annotations

import hashlib
import ipaddress
import os
import tempfile
from dataclasses import dataclass, field
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


_CACHE: dict[str, dict[int, TsharkFrame]] = {}
_EMPTY_CONFIG_DIR = tempfile.TemporaryDirectory(prefix="ikescope-tshark-config-")  # removed at exit
_EMPTY_CONFIG = _EMPTY_CONFIG_DIR.name


def file_digest(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def tshark_frames(path: Path) -> dict[int, TsharkFrame]:
    """tshark's ISAKMP/ESP frames of ``path`` by frame number (cached per file content)."""
    key = file_digest(path)
    cached = _CACHE.get(key)
    if cached is None:
        cached = _CACHE[key] = _read_with_retry(Path(path))
    return cached


def _read_with_retry(path: Path, attempts: int = 3) -> dict[int, TsharkFrame]:
    # asyncio's child watcher now and then loses tshark's exit status ("Unknown child process
    # pid N, will report returncode 255") and pyshark then reports a crash at close(); a real
    # crash happens again on every attempt and is raised.
    for attempt in range(attempts):
        try:
            return _read(path)
        except TSharkCrashException:
            if attempt == attempts - 1:
                raise
    raise AssertionError("unreachable")


def _read(path: Path) -> dict[int, TsharkFrame]:
    frames: dict[int, TsharkFrame] = {}
    saved = os.environ.get("WIRESHARK_CONFIG_DIR")
    os.environ["WIRESHARK_CONFIG_DIR"] = _EMPTY_CONFIG
    cap = _FileCapture(str(path), display_filter=DISPLAY_FILTER, keep_packets=False)
    try:
        for pkt in cap:
            frames[int(pkt.number)] = _frame(pkt)
    finally:
        try:
            cap.close()
        finally:
            if saved is None:
                os.environ.pop("WIRESHARK_CONFIG_DIR", None)
            else:
                os.environ["WIRESHARK_CONFIG_DIR"] = saved
    return frames


def _frame(pkt) -> TsharkFrame:
    protocols = str(pkt.frame_info.get_field_value("frame.protocols") or "")
    tf = TsharkFrame(int(pkt.number), protocols)
    top = [p for p in pkt.pdml.iterchildren() if p.tag == "proto"][2:]  # after geninfo and frame
    assert len(top) == len(pkt.layers), (pkt.number, [p.get("name") for p in top], pkt.layers)
    for layer, proto in zip(pkt.layers, top):
        name = proto.get("name")
        if name == "isakmp":
            tf.isakmp.append(isakmp_view(layer, proto))
        elif name == "esp":
            tf.esp.append(esp_view(layer))
        for inner in proto.iter("proto"):
            if inner is not proto and inner.get("name") in ("isakmp", "esp"):
                tf.quoted.append((inner.get("name"), name))
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
