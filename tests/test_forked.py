"""Work beside the pipeline in a forked child (dissect/forked.py): the result is the same as when it is made
in this process, whatever becomes of the child.  On the lab cases: the correlate timeline's findings are
the same with the log findings made in a child (forced by a threshold of 0) as in process."""
from __future__ import annotations

import multiprocessing
import os
import signal

import pytest

from conftest import CAPTURES
from correlate import timeline
from correlate.logparse import parse_log
from dissect import forked
from dissect.pipeline import Dissector

needs_fork = pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(),
                                reason="this platform cannot fork: the work is always done in process")


def _findings(case: str) -> list[dict]:
    folder = CAPTURES / case
    logs = [parse_log(str(p)) for p in sorted(folder.glob("*.log"))]
    tl = timeline.build(Dissector(str(folder / "capture.pcap")), logs)
    return [f.to_dict() for f in tl.findings]


@needs_fork
@pytest.mark.parametrize("case", ["v6-psk-mismatch", "v4-rekey-dpd", "v4-natt"])
def test_findings_made_in_a_child_equal_those_made_in_process(case, monkeypatch):
    here = _findings(case)
    assert here  # (each case has findings: a PSK mismatch, rekeys and DPD, NAT-T)
    calls = []
    real = forked.beside

    def always(fn, *args, size=0, over=forked.FORK_OVER):
        p = real(fn, *args, size=size, over=0)
        calls.append(p.forked)
        return p
    monkeypatch.setattr(timeline, "beside", always)
    assert _findings(case) == here
    assert calls == [True]


def _pid() -> int:
    return os.getpid()


def _boom() -> None:
    raise RuntimeError("fails wherever it runs")


def _suicide(parent: int) -> int:
    if os.getpid() != parent:
        os.kill(os.getpid(), signal.SIGKILL)
    return os.getpid()


def _unpicklable(parent: int):
    return (lambda: None) if os.getpid() != parent else "made here"


@needs_fork
def test_the_child_makes_the_result():
    p = forked.beside(_pid, size=1, over=1)
    assert p.forked
    assert p.result() != os.getpid()  # the child's pid, sent back
    assert not p.forked


def test_small_inputs_stay_in_process():
    p = forked.beside(_pid, size=10, over=11)
    assert not p.forked and p.result() == os.getpid()


@needs_fork
def test_a_child_killed_leaves_the_work_to_this_process():
    p = forked.beside(_suicide, os.getpid(), size=1, over=1)
    assert p.result() == os.getpid()


@needs_fork
def test_a_result_that_does_not_pickle_is_made_here():
    assert forked.beside(_unpicklable, os.getpid(), size=1, over=1).result() == "made here"


@needs_fork
def test_an_exception_is_raised_here():
    p = forked.beside(_boom, size=1, over=1)
    with pytest.raises(RuntimeError, match="fails wherever"):
        p.result()


@needs_fork
def test_cancel_stops_the_child():
    p = forked.beside(_pid, size=1, over=1)
    process = p._process
    p.cancel()
    assert not p.forked and not process.is_alive()


def _prints(parent: int) -> str:
    print("said in the child", flush=True)
    return "child" if os.getpid() != parent else "here"


@needs_fork
def test_the_child_writes_nothing_to_the_parents_output(capfd):
    """The child's standard output and error are /dev/null: a pipeline's reader never waits for it."""
    assert forked.beside(_prints, os.getpid(), size=1, over=1).result() == "child"
    out, err = capfd.readouterr()
    assert "said in the child" not in out + err
