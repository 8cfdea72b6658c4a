"""module_utils.memory.collector_eased: during a bulk job young objects are collected every 5,000 allocations (not
700), what was alive before is set aside, reference cycles made by the job are still freed, and the thresholds are
back as they were after (also after an error)."""
from __future__ import annotations

import gc

import pytest

from ansible_collections.tenantdr.asr.plugins.module_utils.memory import collector_eased


@pytest.fixture(autouse=True)
def default_collector():
    before = gc.get_threshold()
    gc.enable()
    gc.set_threshold(700, 10, 10)  # Python's defaults
    yield
    gc.set_threshold(*before)
    gc.unfreeze()


def test_thresholds_raised_inside_and_back_after_even_after_an_error():
    with collector_eased():
        assert gc.get_threshold() == (5000, 10, 10)
        assert gc.isenabled()  # eased, not off
        with collector_eased():
            assert gc.get_threshold() == (5000, 10, 10)
        assert gc.get_threshold() == (5000, 10, 10)
    assert gc.get_threshold() == (700, 10, 10)
    with pytest.raises(ValueError):
        with collector_eased():
            raise ValueError('bad tenant')
    assert gc.get_threshold() == (700, 10, 10)


def test_a_higher_threshold_already_set_is_kept():
    gc.set_threshold(80000, 10, 10)
    with collector_eased():
        assert gc.get_threshold() == (80000, 10, 10)
    assert gc.get_threshold() == (80000, 10, 10)


def test_what_is_alive_before_is_set_aside_and_cycles_the_job_drops_are_freed_during_the_job():
    kept = [['acme', i] for i in range(1000)]  # lists: tracked by the collector (small plain dicts are not)
    freed = []

    class Node:
        def __init__(self):
            self.me = self  # a reference cycle, as pyVmomi's deserializer leaves behind every call

        def __del__(self):
            freed.append(1)

    before = gc.get_freeze_count()
    with collector_eased():
        assert gc.get_freeze_count() >= before + len(kept)
        for _node in range(200000):  # allocations enough for several young collections at 5,000
            Node()
        assert len(freed) > 100000
    assert kept[999] == ['acme', 999]
