"""Reading pcap and pcapng files into :class:`~dissect.model.Frame` objects.

Streaming and fast: the file is read in chunks and each record is handed to
a *selector* (see :mod:`dissect.prefilter`) as a slice of the chunk; only the
records it keeps become :class:`Frame` objects.  Memory stays flat whatever
the capture size.

* pcap: both byte orders, microsecond and nanosecond magic, and the
  Kuznetzov "modified pcap" record header.  The link type's upper bits (FCS
  flag and length, pcap-linktype(7)) are masked off.
* pcapng: several sections and interfaces, each with its own link type,
  ``if_tsresol`` and ``if_tsoffset``; Enhanced, Simple and (obsolete)
  Packet Blocks.  Section and interface blocks are parsed with dpkt.

Errors: :class:`CaptureError` (with a one-line message) when the file is not
a capture or its only link type is unsupported.  A capture that ends in the
middle of a record is not an error: the frames before the cut are returned
and ``stats.truncated`` says where it stopped.
"""
from __future__ import annotations

import io
import struct
import sys
from collections.abc import Callable, Iterator
from typing import BinaryIO

import dpkt
from dpkt import pcapng

from .model import Frame, Stats

#: A selector gets (chunk, start, end) of one record's captured bytes and
#: says whether to keep it.
Selector = Callable[[bytes, int, int], bool]
#: Builds the selector for a link type, or returns None if unsupported.
SelectorFactory = Callable[[int], "Selector | None"]

CHUNK = 1 << 22  # 4 MiB
MAX_RECORD = 1 << 28  # a record header claiming more than 256 MiB is corrupt

PCAP_MAGICS = {
    # magic as read little-endian -> (byte order, fraction divisor, record header length)
    0xA1B2C3D4: ("<", 1e6, 16),
    0xA1B23C4D: ("<", 1e9, 16),
    0xA1B2CD34: ("<", 1e6, 24),  # Kuznetzov modified pcap
    0xD4C3B2A1: (">", 1e6, 16),
    0x4D3CB2A1: (">", 1e9, 16),
    0x34CDB2A1: (">", 1e6, 24),
}
PCAPNG_MAGIC = b"\x0a\x0d\x0d\x0a"
LINKTYPE_MASK = 0x03FFFFFF


class CaptureError(Exception):
    """The file cannot be read as a capture; ``str(e)`` is a one-line reason."""


def _gzip():
    import zlib
    return zlib.decompressobj(wbits=31)  # one gzip member (RFC 1952)


def _xz():
    import lzma
    return lzma.LZMADecompressor()  # one .xz (or .lzma) stream


def _bzip2():
    import bz2
    return bz2.BZ2Decompressor()  # one bzip2 stream


COMPRESSED = {  # magic -> (name, decompressor factory, or None if unsupported); imported when needed
    b"\x1f\x8b": ("gzip", _gzip),
    b"\xfd7zXZ\x00": ("xz", _xz),
    b"BZh": ("bzip2", _bzip2),
    b"\x28\xb5\x2f\xfd": ("zstd", None),
    b"\x04\x22\x4d\x18": ("lz4", None),
}
#: What a file that is not a capture seems to be: (leading bytes, words, a capture format editcap converts)
OTHER_FORMATS = ((b"snoop\x00\x00\x00", "a Sun snoop file", True),
                 (b"XCP\x00", "a Microsoft Network Monitor file", True),
                 (b"\x7fELF", "an executable", False), (b"%PDF", "a PDF document", False),
                 (b"PK\x03\x04", "a zip archive", False))
EDITCAP = "; convert it with: editcap -F pcapng FILE out.pcapng"


def read_frames(path: str, selector_for: SelectorFactory, stats: Stats,
                progress: Callable[[int], None] | None = None) -> Iterator[Frame]:
    """Yield the frames of the capture at ``path`` that the selectors keep.

    ``path`` may be ``-`` for standard input, and the capture may be gzip,
    xz or bzip2 compressed.  ``selector_for(linktype)`` is asked once per
    pcap file or pcapng interface.  ``progress(n)`` is called with the
    number of bytes read from the file (compressed bytes for a compressed
    file) after each read.  Every record is counted in ``stats.frames``.

    Raises :class:`CaptureError` for an unreadable file, a file that is
    neither pcap nor pcapng, or an unsupported link type (pcap), before any
    frame is yielded.  A compressed stream that turns out corrupt, or a read
    error later on, ends the reading like a truncated capture
    (``stats.truncated``).
    """
    raw, name = _open(path)
    with raw:
        try:
            head = raw.read(8)  # waits for 8 bytes (or the end), however the pipe delivers them
        except OSError as e:
            raise CaptureError(f"{name}: read error: {e.strerror or e}") from None
        f = _Counting(_Rejoined(head, raw), progress)
        kind = ""
        for sig, (kind, factory) in COMPRESSED.items():
            if head.startswith(sig):
                if factory is None:
                    raise CaptureError(f"{name}: {kind}-compressed; decompress it first")
                f = _Decompressing(f, factory)
                break
        try:
            yield from _read_any(f, selector_for, stats, name)
        except CaptureError:
            if isinstance(f, _Decompressing) and f.error:
                raise CaptureError(f"{name}: the {kind} data is corrupt or cut short before the first "
                                   f"frame ({f.error})") from None
            raise
        except OSError as e:
            if stats.frames == 0:
                raise CaptureError(f"{name}: read error: {e.strerror or e}") from None
            stats.truncated = f"read error after frame {stats.frames}: {e.strerror or e}"
        if isinstance(f, _Decompressing) and f.error:
            stats.truncated = (f"the compressed data is corrupt or cut short ({f.error}); "
                               + (stats.truncated or f"reading stopped after frame {stats.frames}"))


class _Rejoined:
    """The bytes already read from the start of a file, then the rest of it."""
    __slots__ = ("head", "f")

    def __init__(self, head: bytes, f) -> None:
        self.head, self.f = head, f

    def read(self, n: int) -> bytes:
        if self.head:
            b, self.head = self.head[:n], self.head[n:]
            return b + self.f.read(n - len(b)) if len(b) < n else b
        return self.f.read(n)


class _Decompressing:
    """A gzip/xz/bzip2 stream, decompressed as it is read; concatenated streams follow on.

    The compressed bytes are fed to the decompressor in small pieces, so
    that everything decompressed before a cut or a corrupt block is handed
    out, and the capture then reads as truncated; ``error`` says what went
    wrong.
    """
    PIECE = 1 << 10  # small: a fault loses at most what this much input decompresses to

    def __init__(self, raw, factory) -> None:
        self.raw, self.factory = raw, factory
        self.dec = factory()
        self.out = bytearray()
        self.error: str | None = None
        self.done = False

    def read(self, n: int) -> bytes:
        while len(self.out) < n and not self.done:
            self._more()
        b = bytes(self.out[:n])
        del self.out[:n]
        return b

    def _more(self) -> None:
        if self.dec.eof:  # one stream ended: another may follow
            rest = self.dec.unused_data
            more = rest or self.raw.read(self.PIECE)
            if not more:
                self.done = True
                return
            self.dec = self.factory()
            data = more
        else:
            data = self.raw.read(self.PIECE)
            if not data:
                self.done = True
                self.error = "the compressed stream ends before its end marker"
                return
        try:
            self.out += self.dec.decompress(data)
        except Exception as e:  # zlib.error, lzma.LZMAError, OSError, EOFError: corrupt data
            self.error = str(e) or type(e).__name__
            self.done = True


def _open(path: str) -> tuple[io.BufferedReader, str]:
    if path == "-":
        if sys.stdin is None:
            raise CaptureError("no standard input to read the capture from")
        return sys.stdin.buffer, "<stdin>"
    try:
        return open(path, "rb"), path
    except OSError as e:
        raise CaptureError(f"cannot open {path}: {e.strerror or e}") from None


def _read_any(f, selector_for: SelectorFactory, stats: Stats, name: str) -> Iterator[Frame]:
    head = f.read(24)
    if len(head) < 4:
        raise CaptureError(f"{name}: not a capture file (only {len(head)} bytes)")
    if head[:4] == PCAPNG_MAGIC:
        yield from _read_pcapng(f, head, selector_for, stats, name)
        return
    magic = struct.unpack("<I", head[:4])[0]
    if magic not in PCAP_MAGICS:
        raise CaptureError(f"{name}: not a pcap or pcapng file{_format_hint(head)}")
    if len(head) < 24:
        raise CaptureError(f"{name}: pcap file header is truncated ({len(head)} of 24 bytes)")
    yield from _read_pcap(f, head, selector_for, stats, name)


def _format_hint(head: bytes) -> str:
    """A few words on what a file that is not a capture seems to be."""
    for sig, what, convertible in OTHER_FORMATS:
        if head.startswith(sig):
            return f" (it is {what})" + (EDITCAP if convertible else "")
    if all(32 <= b < 127 or b in (9, 10, 13) for b in head):
        return " (it is text)"
    return f" (it starts with 0x{head[:4].hex()})" + EDITCAP


class _Counting:
    """A file wrapper that reports how many bytes each read returned (to a progress bar)."""
    __slots__ = ("f", "progress")

    def __init__(self, f: BinaryIO, progress: Callable[[int], None] | None):
        self.f, self.progress = f, progress

    def read(self, n: int) -> bytes:
        b = self.f.read(n)
        if self.progress is not None:
            self.progress(len(b))
        return b


# --------------------------------------------------------------------------
# pcap

def _read_pcap(f, head: bytes, selector_for: SelectorFactory, stats: Stats,
               path: str) -> Iterator[Frame]:
    order, divisor, rec_len = PCAP_MAGICS[struct.unpack("<I", head[:4])[0]]
    linktype = struct.unpack(order + "I", head[20:24])[0] & LINKTYPE_MASK
    select = selector_for(linktype)
    if select is None:
        raise CaptureError(f"{path}: unsupported link type {linktype} ({_linktype_name(linktype)})")
    rec = struct.Struct(order + "IIII").unpack_from
    u32 = struct.Struct(order + "I").unpack_from
    n = 0

    def walk(buf: bytes, pos: int) -> tuple[list[Frame], int]:
        """The complete records of ``buf`` from ``pos``: the frames kept, and where the rest starts.

        This loop runs once per record of the capture, so it does nothing but
        find the next record and ask the selector.
        """
        nonlocal n
        size = len(buf)
        kept = []
        first = n
        while pos + rec_len <= size:
            end = pos + rec_len + u32(buf, pos + 8)[0]
            if end > size:
                break
            n += 1
            if select(buf, pos + rec_len, end):
                sec, frac, _incl, orig = rec(buf, pos)
                kept.append(Frame(n, sec + frac / divisor, linktype, buf[pos + rec_len:end], orig))
            pos = end
        stats.prefiltered += n - first - len(kept)
        return kept, pos

    buf = f.read(CHUNK)
    if len(buf) >= rec_len:
        sec, frac = rec(buf, 0)[:2]
        stats.first_time = sec + frac / divisor
    pos = 0
    offset = 24  # file offset of buf[pos]
    try:
        while True:
            kept, stop = walk(buf, pos)
            offset += stop - pos
            yield from kept
            # A record straddles the chunk end: complete it with the first bytes
            # of the next chunk (a small copy), then go on in that chunk.  Never
            # glue whole chunks together: that copy costs as much as the walk.
            tail = buf[stop:]
            incl = u32(tail, 8)[0] if len(tail) >= 12 else 0
            if incl > MAX_RECORD:
                stats.truncated = (f"corrupt record header at frame {n + 1} (file offset {offset}): "
                                   f"captured length {incl}; reading stopped")
                break
            need = rec_len + incl - len(tail) if len(tail) >= rec_len else rec_len - len(tail)
            more = f.read(max(CHUNK, need))
            if not more:
                if tail:
                    what = (f"{len(tail) - rec_len} of {incl} bytes present" if len(tail) >= rec_len
                            else f"{len(tail)} of {rec_len} record header bytes present")
                    stats.truncated = f"capture ends inside frame {n + 1} (file offset {offset}): {what}"
                break
            if len(tail) < rec_len:  # not even the record header: glue it on, walk on
                buf, pos = tail + more, 0
                continue
            kept, _ = walk(tail + more[:need], 0)
            yield from kept
            if len(more) < need:
                stats.truncated = (f"capture ends inside frame {n + 1} (file offset {offset}): "
                                   f"{len(tail) + len(more) - rec_len} of {incl} bytes present")
                break
            offset += len(tail) + need
            buf, pos = more, need
    finally:
        stats.frames += n
        stats.linktypes[linktype] += n


# --------------------------------------------------------------------------
# pcapng

BT_SHB = pcapng.PCAPNG_BT_SHB
BT_IDB = pcapng.PCAPNG_BT_IDB
BT_EPB = pcapng.PCAPNG_BT_EPB
BT_SPB = pcapng.PCAPNG_BT_SPB
BT_PB = pcapng.PCAPNG_BT_PB
OPT_TSRESOL = 9
OPT_TSOFFSET = 14
#: Smallest valid block length per type: header and trailer (12) plus the fixed fields.
MIN_BLOCK = {BT_EPB: 32, BT_PB: 32, BT_SPB: 16, BT_IDB: 20, BT_SHB: 28}


class _Interface:
    __slots__ = ("linktype", "select", "units", "tsoffset", "snaplen")

    def __init__(self, linktype: int, select: Selector | None, units: int, tsoffset: int,
                 snaplen: int):
        self.linktype = linktype
        self.select = select
        self.units = units  # timestamp ticks per second (if_tsresol)
        self.tsoffset = tsoffset
        self.snaplen = snaplen

    def time(self, hi: int, lo: int) -> float:
        """Epoch seconds of a 64-bit timestamp, as exact as a float allows.

        Seconds and fraction are split in integers first: ticks at
        nanosecond resolution exceed a float's 53 bits.
        """
        sec, frac = divmod((hi << 32) | lo, self.units)
        return self.tsoffset + sec + frac / self.units


def _parse_idb(block: bytes, little: bool, selector_for: SelectorFactory) -> _Interface:
    idb = (pcapng.InterfaceDescriptionBlockLE if little else pcapng.InterfaceDescriptionBlock)(block)
    units, tsoffset = 10 ** 6, 0
    for opt in idb.opts:
        if opt.code == OPT_TSRESOL and opt.data:
            v = opt.data[0]
            units = 2 ** (v & 0x7F) if v & 0x80 else 10 ** (v & 0x7F)
        elif opt.code == OPT_TSOFFSET and len(opt.data) >= 8:
            tsoffset = struct.unpack("<q" if little else ">q", opt.data[:8])[0]
    linktype = idb.linktype & LINKTYPE_MASK
    return _Interface(linktype, selector_for(linktype), units, tsoffset, idb.snaplen)


def _read_pcapng(f, head: bytes, selector_for: SelectorFactory, stats: Stats,
                 path: str) -> Iterator[Frame]:
    """pcapng blocks, in order.  A fault before any packet block is a :class:`CaptureError`;
    after that it ends the reading like a truncated file (``stats.truncated``)."""
    buf = head + f.read(CHUNK)
    pos, size = 0, len(buf)
    offset_base = 0
    little = True
    u32 = struct.Struct("<I").unpack_from
    epb = struct.Struct("<IIIII").unpack_from
    interfaces: list[_Interface] = []
    declared: list[_Interface] = []  # over all sections
    n = 0

    def fault(message: str) -> None:
        if n == 0:
            raise CaptureError(f"{path}: {message}")
        stats.truncated = f"{message} (after frame {n}); reading stopped"

    try:
        while True:
            if pos + 12 > size:
                offset_base += pos
                buf = buf[pos:] + f.read(CHUNK)
                pos, size = 0, len(buf)
                if size == 0:
                    break
                if size < 12:
                    fault(f"capture ends inside a pcapng block header (file offset {offset_base})")
                    break
            btype = u32(buf, pos)[0]
            if btype == 0x0A0D0D0A:  # SHB: byte order from its magic
                bom = buf[pos + 8:pos + 12]
                if bom not in (b"\x4d\x3c\x2b\x1a", b"\x1a\x2b\x3c\x4d"):
                    fault(f"pcapng section header with a bad byte-order magic at file offset {offset_base + pos}")
                    break
                little = bom == b"\x4d\x3c\x2b\x1a"
                o = "<" if little else ">"
                u32 = struct.Struct(o + "I").unpack_from
                epb = struct.Struct(o + "IIIII").unpack_from
                interfaces = []
            elif offset_base + pos == 0:
                raise CaptureError(f"{path}: pcapng file does not start with a section header")
            blen = u32(buf, pos + 4)[0]
            if blen < MIN_BLOCK.get(btype, 12) or blen % 4 or blen > MAX_RECORD:
                fault(f"corrupt pcapng block (type 0x{btype:x}, length {blen}) at file offset {offset_base + pos}")
                break
            if pos + blen > size:
                offset_base += pos
                buf = buf[pos:] + f.read(max(CHUNK, blen))
                pos, size = 0, len(buf)
                if blen > size:
                    fault(f"capture ends inside a pcapng block (file offset {offset_base}): {size} of {blen} bytes")
                    break
            start = pos
            pos += blen
            if btype == BT_EPB or btype == BT_PB:
                if btype == BT_EPB:
                    ifid, hi, lo, incl, orig = epb(buf, start + 8)
                else:  # obsolete Packet Block: 16-bit interface id, 16-bit drops count
                    ifid_drops, hi, lo, incl, orig = epb(buf, start + 8)
                    ifid = ifid_drops & 0xFFFF if little else ifid_drops >> 16
                n += 1
                data_start = start + 28
                if data_start + incl > start + blen:
                    stats.undecodable["pcapng packet block shorter than its captured length"] += 1
                    continue
                if ifid >= len(interfaces):
                    stats.undecodable[f"pcapng packet for undeclared interface {ifid}"] += 1
                    continue
                itf = interfaces[ifid]
                stats.linktypes[itf.linktype] += 1
                if itf.select is None:
                    stats.skipped[f"link type {itf.linktype} unsupported"] += 1
                    continue
                if stats.first_time is None:
                    stats.first_time = itf.time(hi, lo)
                if itf.select(buf, data_start, data_start + incl):
                    yield Frame(n, itf.time(hi, lo), itf.linktype, buf[data_start:data_start + incl], orig, ifid)
                else:
                    stats.prefiltered += 1
            elif btype == BT_SPB:
                n += 1
                orig = u32(buf, start + 8)[0]
                if not interfaces:
                    stats.undecodable["pcapng simple packet block before any interface"] += 1
                    continue
                itf = interfaces[0]
                incl = min(orig, blen - 16, itf.snaplen or orig)
                stats.linktypes[itf.linktype] += 1
                if itf.select is None:
                    stats.skipped[f"link type {itf.linktype} unsupported"] += 1
                    continue
                if itf.select(buf, start + 12, start + 12 + incl):
                    yield Frame(n, 0.0, itf.linktype, buf[start + 12:start + 12 + incl], orig, 0)
                else:
                    stats.prefiltered += 1
            elif btype == BT_IDB:
                try:
                    itf = _parse_idb(buf[start:start + blen], little, selector_for)
                except (dpkt.UnpackError, struct.error, ValueError) as e:
                    if n == 0:
                        raise CaptureError(f"{path}: malformed pcapng interface description block: {e}") from None
                    stats.undecodable["malformed pcapng interface description block"] += 1
                    itf = _Interface(-1, None, 10 ** 6, 0, 0)  # keeps later interface numbers right
                interfaces.append(itf)
                declared.append(itf)
            # other blocks (NRB, ISB, DSB, custom): nothing to do
    finally:
        stats.frames += n
    if n and not any(i.select for i in declared) and not stats.truncated:
        if not declared:
            raise CaptureError(f"{path}: the pcapng packet blocks refer to no declared interface")
        lts = sorted({i.linktype for i in declared if i.linktype >= 0})
        raise CaptureError(f"{path}: unsupported link type " +
                           ", ".join(f"{lt} ({_linktype_name(lt)})" for lt in lts))


def _linktype_name(linktype: int) -> str:
    names = {v: k[4:] for k, v in vars(dpkt.pcap).items() if k.startswith("DLT_") and isinstance(v, int)}
    names.update({101: "RAW", 0: "NULL"})
    return names.get(linktype, "unknown")
