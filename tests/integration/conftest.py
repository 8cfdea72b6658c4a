"""Fixtures shared by the integration tests: the local vCenter simulator (govmomi, real SOAP).

``vcsim`` gives a fresh simulator with the sample three-tenant inventory for each test module;
``vcsim_factory`` starts one with any inventory spec.  Each simulator listens on a free loopback
port and is stopped at the end.  The launcher is built by ``tests/simulator/build.sh``.
"""
from __future__ import annotations

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
