"""IPv4 and IPv6 fragment reassembly (RFC 791 §3.2, RFC 8200 §4.5).

IKE messages that carry certificates or many proposals are bigger than the
path MTU and arrive as IP fragments.  :class:`Reassembler` collects the
fragments of each datagram, keyed by (IP version, source, destination,
protocol, identification), and returns the whole payload once the first
piece, the last piece (More Fragments clear) and every byte between them
are in.  Where pieces overlap, the one that starts earlier in the datagram
wins (at the same offset, the first received, unless a later one is a
longer copy of it); overlaps whose bytes differ are reported
(``conflict``), as Wireshark's expert info does.  A copy of a fragment of a
datagram that completed recently (a capture that sees every frame twice) is
recognised as a duplicate and does not start a new datagram.

Memory and time are bounded: at most ``max_pending`` datagrams and
``max_bytes`` bytes are held (the oldest datagram is dropped when a new one
would exceed them); a datagram may not exceed ``max_size`` bytes or
``max_pieces`` pieces; assembly is tried only when a new piece brings the
received bytes up to the datagram's length.  Dropped datagrams are counted
by frame in ``dropped_frames``; whatever is still incomplete at the end is
reported by :meth:`Reassembler.pending`.
"""
from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field


@dataclass(slots=True)
class _Pending:
    pieces: dict[int, bytes] = field(default_factory=dict)  # byte offset -> data
    frames: list[int] = field(default_factory=list)
    total: int | None = None  # known once the last fragment (MF=0) arrived
    received: int = 0  # bytes of the distinct pieces (overlaps counted twice)
    conflict: bool = False


#: What :meth:`Reassembler.add` returns for a copy of a fragment already reassembled.
DUPLICATE = object()
RECENT_DONE = 1024  # completed datagrams remembered for duplicate detection


@dataclass(slots=True)
class Reassembled:
    """A complete IP payload: the bytes after the fragment header, in order.

    ``frames`` are the capture frame numbers of every fragment, in arrival
    order; ``conflict`` says that overlapping fragments carried different
    bytes (the first received were kept).
    """
    payload: bytes
    frames: tuple[int, ...]
    conflict: bool = False


class Reassembler:
    """Collects IP fragments; see the module docstring.

    :meth:`add` returns a :class:`Reassembled` when a datagram completes,
    else None.
    """

    def __init__(self, max_pending: int = 4096, max_size: int = 1 << 20, max_pieces: int = 8192,
                 max_bytes: int = 64 << 20):
        self.max_pending = max_pending
        self.max_size = max_size
        self.max_pieces = max_pieces
        self.max_bytes = max_bytes
        self._pending: OrderedDict[tuple, _Pending] = OrderedDict()
        self._held = 0  # bytes held over all pending datagrams
        self._done: OrderedDict[tuple, set] = OrderedDict()  # key -> hashes of its (offset, piece)
        self.dropped_frames: dict[str, int] = {}

    def add(self, key: tuple, offset: int, more: bool, data: bytes,
            frames: tuple[int, ...]) -> Reassembled | object | None:
        """Add one fragment, carried by ``frames`` (usually one frame).

        ``offset`` is in bytes from the start of the fragmentable part;
        ``more`` is the More Fragments flag; ``key`` identifies the datagram
        (version, src, dst, protocol/next header, identification).  Returns
        the :class:`Reassembled` datagram when this fragment completes it,
        :data:`DUPLICATE` for a copy of a fragment of a datagram that
        completed recently, else None.
        """
        p = self._pending.get(key)
        if p is None:
            done = self._done.get(key)
            if done is not None and hash((offset, data)) in done:
                return DUPLICATE
            while self._pending and (len(self._pending) >= self.max_pending or self._held > self.max_bytes):
                self._drop(next(iter(self._pending)), "IP datagrams dropped from a full reassembly table")
            p = self._pending[key] = _Pending()
        p.frames.extend(frames)
        prev = p.pieces.get(offset)
        added = prev is None or (len(data) > len(prev) and data.startswith(prev))
        if added:
            p.received += len(data) - (len(prev) if prev else 0)
            self._held += len(data) - (len(prev) if prev else 0)
            p.pieces[offset] = data
        elif prev[:len(data)] != data[:len(prev)]:
            p.conflict = True
        if not more:
            p.total = offset + len(data)
        if offset + len(data) > self.max_size or len(p.pieces) > self.max_pieces:
            self._drop(key, f"IP datagrams over {self.max_size >> 10} KiB or {self.max_pieces} fragments")
            return None
        if not added or p.total is None or p.received < p.total:
            return None
        whole = self._assemble(p)
        if whole is None:
            return None
        self._forget(key)
        self._done[key] = {hash(item) for item in p.pieces.items()}
        if len(self._done) > RECENT_DONE:
            self._done.popitem(last=False)
        return Reassembled(whole, tuple(p.frames), p.conflict)

    def _assemble(self, p: _Pending) -> bytes | None:
        out = bytearray()
        for off in sorted(p.pieces):
            piece = p.pieces[off]
            if off > len(out):
                return None  # a hole
            overlap = len(out) - off
            if overlap > 0 and out[off:off + min(overlap, len(piece))] != piece[:overlap]:
                p.conflict = True
            if off + len(piece) > len(out):
                out += piece[max(0, overlap):]
        if len(out) < p.total:
            return None
        return bytes(out[:p.total])

    def _forget(self, key: tuple) -> _Pending:
        p = self._pending.pop(key)
        self._held -= sum(len(b) for b in p.pieces.values())
        return p

    def _drop(self, key: tuple, reason: str) -> None:
        p = self._forget(key)
        self.dropped_frames[reason] = self.dropped_frames.get(reason, 0) + len(p.frames)

    def pending(self) -> list[tuple[tuple, tuple[int, ...]]]:
        """Datagrams still incomplete: (key, frames) pairs, oldest first."""
        return [(k, tuple(p.frames)) for k, p in self._pending.items()]
