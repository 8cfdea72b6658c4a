"""Fixtures shared by the integration tests: the local vCenter simulator (govmomi, real SOAP).

``vcsim`` gives a fresh simulator with the sample three-tenant inventory for each test module;
``vcsim_factory`` starts one with any inventory spec.  Each simulator listens on a free loopback
port and is stopped at the end.  The launcher is built by ``tests/simulator/build.sh``.
"""
from __future__ import annotations

import os

import pytest

from tests.simulator.inventory import sample_inventory
from tests.simulator.vcsim import VCenterSimulator


@pytest.fixture(scope="module")
def vcsim():
    with VCenterSimulator(sample_inventory()) as sim:
        yield sim


@pytest.fixture
def vcsim_factory():
    started = []

    def start(inventory=None, **kwargs):
        sim = VCenterSimulator(inventory if inventory is not None else sample_inventory(), **kwargs)
        sim.start()
        started.append(sim)
        return sim

    yield start
    for sim in started:
        sim.stop()


@pytest.fixture
def fresh_vcsim(vcsim_factory):
    """A simulator of its own for a test that changes permissions or roles."""
    return vcsim_factory()


# The slowest test files first (seconds of one pytest worker on the 2-core CI machine, measured with --durations while
# the machine was shared). CI runs ``pytest -n 2 --dist loadfile``: each file goes whole to the next free worker, in
# collection order with --no-loadscope-reorder (scripts/test.sh; by default xdist sorts the files by their number of
# tests, which puts these files of one or two long tests last), so a long file handed out last would keep one worker
# busy while the other idles. Only the order of the files changes; the tests of a file keep their order (some build on
# each other). Files not listed follow, as collected.
SLOW_FILES_FIRST = (
    "tests/integration/playbooks/test_playbooks.py",               # ~330 s
    "tests/integration/csp/test_csp_role.py",                      # ~320 s
    "tests/integration/release/test_module_examples.py",           # ~250 s
    "tests/integration/azure/test_site_recovery_role.py",          # ~230 s
    "tests/integration/awx/test_awx_job_slicing.py",               # ~210 s
    "tests/integration/awx/test_awx_runner_jobs.py",               # ~195 s
    "tests/integration/preflight/test_preflight_playbooks.py",     # ~150 s
    "tests/integration/csp/test_csp_lab.py",                       # ~130 s
    "tests/integration/release/test_module_examples_csp.py",       # ~105 s
    "tests/integration/azure/test_azure_playbook.py",              # ~90 s
    "tests/integration/azure/test_asr_vault.py",                   # ~60 s
    "tests/integration/report/test_html_report.py",                # ~40 s
)


def pytest_collection_modifyitems(config, items):  # pylint: disable=unused-argument
    rank = {path: i for i, path in enumerate(SLOW_FILES_FIRST)}
    root = str(config.rootpath)

    def file_rank(item):
        path = os.path.relpath(str(item.path), root)
        return rank.get(path, len(rank))

    items.sort(key=file_rank)      # stable: the tests of one file, and the files not listed, keep their order
