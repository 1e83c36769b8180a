"""When Python's cyclic garbage collector runs during ikescope's long stages.

Reading a capture or a log keeps many objects for later (the ISAKMP packets a timeline shows, a log's
events).  Each collection of the oldest generation walks every object kept so far, so a stage that keeps
what it reads grows faster than its input: dissecting 170,000 packets and keeping them took 6.3 s with the
collector on, 3.2 s with it off (10x the input took 15x the time), and a 1,000,000-line log 13.7 s against
9.2 s.  None of ikescope's parsers and decoders makes a reference cycle (tests/test_log_records.py and
tests/test_capture_formats.py check it on every bundled capture and log), so reference counting frees all
they drop, and the collector has nothing to find there.

:func:`paused_collector` switches the collector off for a stage, and when the stage made many objects it
freezes them (``gc.freeze``: later collections skip them; reference counting still frees them), so that the
first collection after the stage does not walk them all either.
"""
from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["paused_collector", "FREEZE_OVER"]

#: tracked objects made during a paused stage (gc.get_count()[0]) above which they are frozen
FREEZE_OVER = 200_000


@contextmanager
def paused_collector(freeze_over: int = FREEZE_OVER) -> Iterator[None]:
    """The cyclic collector off for the ``with`` block; on again after it, with the block's objects frozen
    out of later collections when it made more than ``freeze_over`` of them.  Nested blocks leave it to the
    outermost; with the collector already off (by the caller), it does nothing."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        if gc.get_count()[0] > freeze_over:
            gc.freeze()
        gc.enable()
