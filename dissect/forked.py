"""Work that needs only what is already at hand, run in a forked process beside the stages that follow.

Some results are made from inputs that are complete early and are small themselves: the findings of a
parsed log (a few dozen :class:`correlate.findings.Finding` objects) need only its events, while the
capture is still to be dissected and lined up with them.  :func:`beside` starts such a function in a
forked child, which inherits its inputs (nothing is sent to it) and sends back only its pickled result;
:meth:`Pending.result` waits for it.  On two cores the two then run at once.

It forks only where that pays and is safe: on platforms with ``fork``, for inputs of at least ``over``
items (a fork and a pickled result cost a few milliseconds).  Otherwise, and whenever the child fails (an
exception, a result that does not pickle, a child killed), :meth:`Pending.result` calls the function in
this process: the result is the same either way, only the time differs.

Memory: the child shares the parent's pages until either writes to them; reading objects changes their
reference counts, so the child copies the pages of what it reads (bench/README.md gives the peak of both).
The child runs with the cyclic collector off, so that it does not walk (and copy) all it inherited.
"""
from __future__ import annotations

import gc
import multiprocessing
import os
import pickle
import signal
import sys
from collections.abc import Callable
from typing import Any, Generic, TypeVar

__all__ = ["beside", "Pending", "FORK_OVER"]

T = TypeVar("T")

#: items of input (a caller's measure: log events) from which a fork pays off
FORK_OVER = 50_000


class Pending(Generic[T]):
    """A result being made in a forked child (or, when no child runs, to be made in this process)."""

    def __init__(self, fn: Callable[..., T], args: tuple[Any, ...]):
        self._fn, self._args = fn, args
        self._process: Any = None
        self._conn: Any = None

    @property
    def forked(self) -> bool:
        """Whether a child is making the result (False once it was collected)."""
        return self._process is not None

    def cancel(self) -> None:
        """Stop the child, if one runs (its result is no longer wanted)."""
        process, conn = self._process, self._conn
        if process is not None:
            self._process = self._conn = None
            conn.close()
            process.terminate()
            process.join()

    def result(self) -> T:
        """The function's value: the child's, unpickled, or when it failed (or none ran) a call in this
        process.  Raises what the function raises, in this process."""
        process, conn = self._process, self._conn
        if process is not None:
            self._process = self._conn = None
            try:
                data = conn.recv_bytes()
            except (EOFError, OSError):  # the child died without a result
                data = b""
            finally:
                conn.close()
            process.join()
            if data[:1] == b"1":
                try:
                    return pickle.loads(data[1:])
                except Exception:  # noqa: BLE001 - any damage: make the result here instead
                    pass
        return self._fn(*self._args)


def beside(fn: Callable[..., T], *args: Any, size: int = 0, over: int = FORK_OVER) -> Pending[T]:
    """``fn(*args)`` started in a forked child when ``size`` (the caller's measure of the input) is at
    least ``over`` and the platform can fork; else left to :meth:`Pending.result` in this process.
    ``fn`` must not change its inputs (the child's changes stay in the child) and should return a small
    picklable value."""
    pending: Pending[T] = Pending(fn, args)
    if size < over or "fork" not in multiprocessing.get_all_start_methods():
        return pending
    try:
        receive, send = multiprocessing.Pipe(duplex=False)
        ctx = multiprocessing.get_context("fork")
        process = ctx.Process(target=_child, args=(send, fn, args), daemon=True)
        process.start()
    except OSError:  # no process left to fork (limits): the work is done here
        return pending
    send.close()
    pending._process, pending._conn = process, receive
    return pending


def _child(conn, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
    """In the child: the value pickled behind b"1", or b"0" when the function or the pickling fails.  It
    prints nothing, so its standard output and error go to /dev/null (a pipeline's reader does not wait for
    it), and on Linux it is ended when the parent is (a parent killed leaves no orphan at work)."""
    _end_with_parent()
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        try:
            os.dup2(devnull, fd)
        except OSError:
            pass
    sys.stdout = sys.stderr = open(devnull, "w", closefd=False)  # (in case they were not fds 1 and 2)
    gc.disable()
    try:
        data = b"1" + pickle.dumps(fn(*args), protocol=pickle.HIGHEST_PROTOCOL)
    except BaseException:  # noqa: BLE001 - the parent makes the result itself
        data = b"0"
    try:
        conn.send_bytes(data)
    except OSError:  # the parent is gone
        pass
    finally:
        conn.close()
        os._exit(0)


def _end_with_parent() -> None:
    """Linux: have the kernel send SIGKILL to this process when its parent ends (prctl PR_SET_PDEATHSIG);
    elsewhere nothing."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG = 1
    except (OSError, AttributeError):
        pass
