"""module_utils.memory.collector_paused: the cyclic garbage collector is off inside, back as it was after (also after an
error, and when it was off before)."""
from __future__ import annotations

import gc

import pytest

from ansible_collections.tenantdr.asr.plugins.module_utils.memory import collector_paused


def test_paused_inside_and_back_after_even_after_an_error():
    gc.enable()
    with collector_paused():
        assert not gc.isenabled()
        with collector_paused():  # nested: still off, and the outer block still ends with it on
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(ValueError):
        with collector_paused():
            raise ValueError('bad tenant')
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off():
    gc.disable()
    try:
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_what_is_alive_before_is_set_aside_and_what_the_job_drops_is_still_freed():
    gc.enable()
    before = gc.get_freeze_count()
    kept = [['acme', i] for i in range(1000)]  # lists: tracked by the collector (small plain dicts are not)
    with collector_paused():
        assert gc.get_freeze_count() >= before + len(kept)
        cycle = []
        cycle.append(cycle)  # a reference cycle made during the job: freed by the collector once it runs again
        del cycle
    assert gc.collect() >= 1
    gc.unfreeze()
