"""IPv4 and IPv6 fragment reassembly (RFC 791 §3.2, RFC 8200 §4.5).

IKE messages that carry certificates or many proposals are bigger than the
path MTU and arrive as IP fragments.  :class:`Reassembler` collects the
fragments of each datagram, keyed by (IP version, source, destination,
protocol, identification), and returns the whole payload once the first
piece, the last piece (More Fragments clear) and every byte between them
are in.  Overlapping pieces keep the bytes that arrived first.

Memory is bounded: at most ``max_pending`` datagrams are kept; the oldest is
dropped (and counted) when a new one would exceed it.  Whatever is still
incomplete at the end is reported by :meth:`Reassembler.pending`.
"""
from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field


@dataclass(slots=True)
class _Pending:
    pieces: dict[int, bytes] = field(default_factory=dict)  # byte offset -> data
    frames: list[int] = field(default_factory=list)
    total: int | None = None  # known once the last fragment (MF=0) arrived
    first_time: float = 0.0


@dataclass(slots=True)
class Reassembled:
    """A complete IP payload: the bytes after the fragment header, in order.

    ``frames`` are the capture frame numbers of every fragment, in arrival order.
    """
    payload: bytes
    frames: tuple[int, ...]


class Reassembler:
    """Collects IP fragments; see the module docstring.

    :meth:`add` returns a :class:`Reassembled` when a datagram completes,
    else None.
    """

    def __init__(self, max_pending: int = 4096, max_size: int = 1 << 20):
        self.max_pending = max_pending
        self.max_size = max_size
        self._pending: OrderedDict[tuple, _Pending] = OrderedDict()
        self.evicted = 0
        self.oversize = 0

    def add(self, key: tuple, offset: int, more: bool, data: bytes, frame: int,
            time: float) -> Reassembled | None:
        """Add one fragment.

        ``offset`` is in bytes from the start of the fragmentable part;
        ``more`` is the More Fragments flag; ``key`` identifies the datagram
        (version, src, dst, protocol/next header, identification).
        """
        p = self._pending.get(key)
        if p is None:
            if len(self._pending) >= self.max_pending:
                self._pending.popitem(last=False)
                self.evicted += 1
            p = self._pending[key] = _Pending(first_time=time)
        p.frames.append(frame)
        p.pieces.setdefault(offset, data)
        if not more:
            p.total = offset + len(data)
        if p.total is None:
            return None
        if p.total > self.max_size:
            del self._pending[key]
            self.oversize += 1
            return None
        whole = self._assemble(p)
        if whole is None:
            return None
        del self._pending[key]
        return Reassembled(whole, tuple(p.frames))

    @staticmethod
    def _assemble(p: _Pending) -> bytes | None:
        out = bytearray()
        for off in sorted(p.pieces):
            piece = p.pieces[off]
            if off > len(out):
                return None  # a hole
            if off + len(piece) > len(out):
                out += piece[len(out) - off:]
        if len(out) < p.total:
            return None
        return bytes(out[:p.total])

    def pending(self) -> list[tuple[tuple, tuple[int, ...]]]:
        """Datagrams still incomplete: (key, frames) pairs, oldest first."""
        return [(k, tuple(p.frames)) for k, p in self._pending.items()]
