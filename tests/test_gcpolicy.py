"""The cyclic collector's policy (dissect/gcpolicy.py): it is paused while a stage keeps what it reads,
which is sound only because ikescope's stages make no reference cycle.  These tests check that on every
bundled capture and log, through the whole correlate pipeline with keys (decryption, alignment,
explanations, findings): after the result is dropped, nothing is left for the collector."""
from __future__ import annotations

import gc

import pytest

from conftest import CAPTURES
from correlate import timeline
from correlate.logparse import parse_log
from dissect.gcpolicy import paused_collector
from dissect.espsources import load_esp_file
from dissect.keysources import KeyFileError, load_key_file
from dissect.pipeline import Dissector

CASES = sorted(p.parent.name for p in CAPTURES.glob("*/capture.pcap"))


def _dissector(folder) -> Dissector:
    """The case's capture with every key it has: IKE keys (keys.toml, else the left charon log), ESP SAs."""
    source = folder / "keys.toml" if (folder / "keys.toml").exists() else folder / "left.log"
    try:
        keys = load_key_file(str(source))
    except KeyFileError:  # an IKEv2 case: nothing to decrypt with
        keys = None
    problems: list[str] = []
    esp = load_esp_file(str(folder / "esp_sa"), problems) if (folder / "esp_sa").exists() else None
    assert not problems
    return Dissector(str(folder / "capture.pcap"), keys=keys, esp_sas=esp)


def _unreachable_after(work) -> int:
    """Cyclic garbage ``work()`` leaves (its result dropped), with the collector off meanwhile."""
    gc.collect()
    gc.disable()
    try:
        result = work()
        assert result
        del result
        return gc.collect()
    finally:
        gc.enable()


@pytest.mark.parametrize("case", CASES)
def test_dissecting_with_keys_makes_no_reference_cycle(case):
    assert _unreachable_after(lambda: list(_dissector(CAPTURES / case).packets())) == 0


@pytest.mark.parametrize("case", CASES)
def test_correlating_makes_no_reference_cycle(case):
    folder = CAPTURES / case

    def work():
        parsed = [parse_log(str(p)) for p in sorted(folder.glob("*.log"))]
        tl = timeline.build(_dissector(folder), parsed)
        assert tl.entries and tl.alignment.matches
        return tl
    assert _unreachable_after(work) == 0


def test_a_paused_stage_freezes_only_when_it_made_many_objects():
    gc.unfreeze()
    with paused_collector(freeze_over=1000):
        small = [[i] for i in range(10)]
    assert gc.isenabled() and gc.get_freeze_count() == 0
    with paused_collector(freeze_over=1000):
        with paused_collector(freeze_over=1000):  # the inner one leaves it to the outer
            big = [[i] for i in range(5000)]
        assert not gc.isenabled()
    assert gc.isenabled() and gc.get_freeze_count() >= 5000
    gc.unfreeze()
    del small, big
