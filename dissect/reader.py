"""The first stages of the pipeline, in this process or in a worker process.

``capture file -> frames -> (fast lane) ESP datagrams``: :func:`frames_and_esp`
reads the capture, keeps the frames the prefilter selects, and turns plain
ESP frames into :class:`~dissect.model.Datagram` objects at once
(:func:`dissect.netlayer.fast_esp`); everything else stays a
:class:`~dissect.model.Frame` for the dpkt path.

On a big capture this is half of the work, and it needs nothing from the
later stages, so :func:`read_in_worker` runs it in a second process and
streams the results back in batches, in order: the two halves then run on
two cores.  Data still flows one way; the worker only reads.
"""
from __future__ import annotations

import multiprocessing
import os
import threading
from array import array
from collections.abc import Callable, Iterator
from functools import partial

from . import prefilter
from .capture import CaptureError, read_frames
from .model import Datagram, Frame, Stats
from .netlayer import fast_esp

#: Captures at least this big are read in a worker process (when ``parallel`` is not forced).
PARALLEL_MIN_BYTES = 128 << 20
BATCH = 2048  # frames per batch ...
BATCH_BYTES = 1 << 20  # ... or bytes, whichever comes first: memory stays flat whatever the frame size

# Stats fields the reading stages fill in, sent back from the worker at the end.
_READER_STATS = ("frames", "prefiltered", "truncated", "first_time")
_READER_COUNTERS = ("skipped", "undecodable", "linktypes")


def frames_and_esp(path: str, ports: frozenset[int], stats: Stats, fast: bool = True,
                   progress: Callable[[int], None] | None = None) -> Iterator[Frame | Datagram]:
    """Selected frames in capture order, plain ESP ones already as datagrams (when ``fast``).

    Raises :class:`CaptureError` as :func:`dissect.capture.read_frames` does.
    """
    for frame in read_frames(path, partial(prefilter.selector_for, ports=ports), stats, progress):
        d = fast_esp(frame, ports) if fast else None
        yield frame if d is None else d


def use_worker(path: str) -> bool:
    """Is ``path`` a regular file big enough for a worker process to pay off?"""
    try:
        return path != "-" and os.path.isfile(path) and os.path.getsize(path) >= PARALLEL_MIN_BYTES
    except OSError:
        return False


def read_in_worker(path: str, ports: frozenset[int], stats: Stats, fast: bool = True,
                   progress: Callable[[int], None] | None = None) -> Iterator[Frame | Datagram]:
    """:func:`frames_and_esp`, with the reading in a worker process; the same items, in the same order.

    The worker reads and prefilters (the part that touches every record);
    this process runs the fast ESP lane on what it sends: that balances the
    two cores best.

    The worker's counts are merged into ``stats`` at the end (and
    ``first_time`` as soon as it is known); a :class:`CaptureError` in the
    worker is raised here.  Leaving the iteration early stops the worker.
    """
    if path == "-":  # a worker process does not get this process's standard input
        yield from frames_and_esp(path, ports, stats, fast, progress)
        return
    # fork is quick (no new interpreter to start), but forking a process that
    # runs threads (a progress bar's) can deadlock the child: then spawn.
    method = "fork" if threading.active_count() == 1 and "fork" in multiprocessing.get_all_start_methods() else "spawn"
    ctx = multiprocessing.get_context(method)
    receiver, sender = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_worker, args=(path, ports, sender, receiver), daemon=True)
    started = False
    try:
        proc.start()
        started = True
        sender.close()
        while True:
            try:
                kind, payload, extra = receiver.recv()
            except EOFError:  # the reader died (killed?): what came so far stands, like a cut file
                if stats.frames == 0 and stats.first_time is None:
                    raise CaptureError(f"{path}: the reader process ended unexpectedly") from None
                stats.truncated = "the reader process ended unexpectedly; reading stopped"
                return
            if kind == "items":
                stats.frames = extra[2]  # so far (the final count comes with "done")
                if stats.first_time is None:
                    stats.first_time = extra[1]
                if progress is not None and extra[0]:
                    progress(extra[0])
                blob, ints, times = payload
                pos = 0
                for i, t in enumerate(times):  # _pack_batch's layout, unpacked inline: this runs per frame
                    number, linktype, wire_len, interface, length = ints[5 * i:5 * i + 5]
                    frame = Frame(number, t, linktype, blob[pos:pos + length], wire_len, interface)
                    pos += length
                    d = fast_esp(frame, ports) if fast else None
                    yield frame if d is None else d
            elif kind == "error":
                raise CaptureError(payload)
            else:  # "done"
                for name in _READER_STATS:
                    setattr(stats, name, payload[name])
                for name in _READER_COUNTERS:
                    getattr(stats, name).update(payload[name])
                return
    finally:
        receiver.close()
        if started:
            if proc.is_alive():
                proc.terminate()
            proc.join()


def _pack_batch(frames: list[Frame]) -> tuple[bytes, array, array]:
    """Frames as three flat buffers (pickled by memcpy): the data, 5 ints and 1 float each.

    :func:`read_in_worker` unpacks them."""
    ints = array("q")
    for f in frames:
        ints.extend((f.number, f.linktype, f.wire_len, f.interface, len(f.data)))
    return b"".join(f.data for f in frames), ints, array("d", [f.time for f in frames])


def _worker(path: str, ports: frozenset[int], conn, parents_end) -> None:
    # The parent's end of the pipe came along (fork): close it here, so that the
    # pipe breaks, and this process ends, when the parent goes away.
    parents_end.close()
    stats = Stats()
    read = [0]

    def progress(n: int) -> None:
        read[0] += n

    batch: list[Frame] = []
    size = 0
    try:
        for f in read_frames(path, partial(prefilter.selector_for, ports=ports), stats, progress):
            batch.append(f)
            size += len(f.data)
            if len(batch) >= BATCH or size >= BATCH_BYTES:
                conn.send(("items", _pack_batch(batch), (read[0], stats.first_time, f.number)))
                batch, read[0], size = [], 0, 0
        conn.send(("items", _pack_batch(batch), (read[0], stats.first_time, stats.frames)))
        conn.send(("done", {**{n: getattr(stats, n) for n in _READER_STATS},
                            **{n: dict(getattr(stats, n)) for n in _READER_COUNTERS}}, None))
    except CaptureError as e:
        conn.send(("error", str(e), None))
    except (BrokenPipeError, KeyboardInterrupt):
        pass
    finally:
        conn.close()
