"""The fast bulk-read parser (vcenter_fastread) gives exactly the snapshot pyVmomi's parser gives: objects, paths,
custom attributes, roles, privileges and permissions, on the sample inventory and on a generated one; and it sends the
same SOAP calls."""
from __future__ import annotations

import pytest

from ansible_collections.tenantdr.asr.plugins.module_utils.vcenter import VCenterConnection
from tests.simulator.inventory import generated_inventory
from tests.support.modules import run_module
from tests.support.tenants import tenants

pytestmark = pytest.mark.vcsim


def snapshot(sim, fast):
    with VCenterConnection(sim.connection_args(fast_read=fast)) as vc:
        snap = vc.read_snapshot()
        roles_only = vc.read_roles()
    return snap, roles_only


def same(a, b):
    assert a.objects == b.objects
    assert a.root == b.root
    assert sorted(a.roles, key=lambda r: r['id']) == sorted(b.roles, key=lambda r: r['id'])
    assert sorted(a.privileges, key=lambda p: p['id']) == sorted(b.privileges, key=lambda p: p['id'])
    assert sorted(a.permissions, key=permission_key) == sorted(b.permissions, key=permission_key)


def permission_key(p):
    return (p['entity'], p['principal'], p['group'])


def test_fast_read_equals_pyvmomi_on_the_sample_inventory(fresh_vcsim):
    run_module('vcenter_tenants', fresh_vcsim.connection_args(tenants=tenants()))  # permissions and a custom role
    fast, fast_roles = snapshot(fresh_vcsim, True)
    slow, slow_roles = snapshot(fresh_vcsim, False)
    same(fast, slow)
    same(fast_roles, slow_roles)
    vms = [o for o in fast.objects.values() if o['type'] == 'VirtualMachine']
    assert any(vm['custom_attributes'] for vm in vms) and len(fast.permissions) > 20
    assert any(not r['system'] for r in fast.roles)


def test_fast_read_equals_pyvmomi_on_a_generated_inventory(vcsim_factory):
    """Clusters, datastore cluster, distributed port groups, resource pools, 60 tenants (the simulator of this
    govmomi release answers in one page, so continuation pages are not exercised here)."""
    sim = vcsim_factory(generated_inventory(60, 2))
    sim.reset_stats()
    fast, _roles = snapshot(sim, True)
    fast_calls = sim.stats()['methods']
    sim.reset_stats()
    slow, _roles = snapshot(sim, False)
    assert sim.stats()['methods'] == fast_calls
    same(fast, slow)
    assert len(fast.objects) > 400


def test_without_custom_attribute_values_the_inventory_is_the_same_but_those(vcsim):
    """custom_attributes=False (no tenant selects by them): the same objects, paths, roles and privileges; every VM's
    custom_attributes empty; the snapshot says they were not read. Both parsers."""
    for fast_read in (True, False):
        with VCenterConnection(vcsim.connection_args(fast_read=fast_read)) as vc:
            full = vc.read_snapshot(with_permissions=False)
            lean = vc.read_snapshot(with_permissions=False, custom_attributes=False)
        assert full.about['custom_attributes_read'] is True and lean.about['custom_attributes_read'] is False
        with_values = {m: o['custom_attributes'] for m, o in full.objects.items() if o['type'] == 'VirtualMachine'}
        assert any(with_values.values())  # the sample inventory's VMs carry a "tenant" attribute
        assert all(lean.objects[m]['custom_attributes'] == {} for m in with_values)
        strip = {m: {k: v for k, v in o.items() if k != 'custom_attributes'} for m, o in full.objects.items()}
        assert {m: {k: v for k, v in o.items() if k != 'custom_attributes'} for m, o in lean.objects.items()} == strip
        assert lean.roles == full.roles and lean.privileges == full.privileges
