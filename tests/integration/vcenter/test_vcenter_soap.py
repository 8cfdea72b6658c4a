"""vcenter_soap against the simulator. The fast bulk-read parser gives exactly the snapshot pyVmomi's parser gives:
objects, paths, custom attributes, roles, privileges and permissions, on the sample inventory and on a generated one;
and it sends the same SOAP calls. The permission writes sent as SOAP text (fast_write) leave exactly the permissions
pyVmomi's writes leave, with the same calls, and vCenter's refusals come back as the same vSphere faults."""
from __future__ import annotations

import pytest

from ansible_collections.tenantdr.asr.plugins.module_utils.permissions import principal_key
from ansible_collections.tenantdr.asr.plugins.module_utils.vcenter import VCenterConnection, fault_text
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


# Writes of the sample tenants' access accounts (tests/support/tenants.py: users the simulator knows) on objects of the
# kinds the plans write on; roles by id: -1 Admin, -2 ReadOnly, -5 NoAccess (vSphere's system roles).
WRITES = [
    ('/DC1', [dict(principal='acme-dr@vsphere.local', group=False, role_id=-2, propagate=False),
              dict(principal='globex-dr@vsphere.local', group=False, role_id=-2, propagate=True)]),
    ('/DC1/vm/tenants/acme', [dict(principal='acme-dr@vsphere.local', group=False, role_id=-1, propagate=False)]),
    ('/DC1/vm/mgmt/acme-cs01', [dict(principal='VSPHERE.LOCAL\\initech-dr', group=False, role_id=-5, propagate=False),
                                dict(principal='acme-dr@vsphere.local', group=False, role_id=-2, propagate=False)]),
]
KINDS = ['Folder', 'ClusterComputeResource', 'HostSystem', 'ResourcePool', 'Datastore', 'Network', 'VirtualMachine']


def write_and_read(sim, fast_write):
    """Apply WRITES plus one ReadOnly grant of globex-dr on an object of each of KINDS; read the permissions back
    (pyVmomi's parser); remove what was written and check that exactly that is gone. Returns (permissions after the
    writes, SOAP calls of the writes by method)."""
    with VCenterConnection(sim.connection_args(fast_write=fast_write, fast_read=False)) as vc:
        snap = vc.read_snapshot(with_permissions=False)
        by_path = {o['path']: m for m, o in snap.objects.items()}
        writes = [(by_path[path], perms) for path, perms in WRITES]
        # (not a cluster's root resource pool: it is part of the cluster, which holds its permissions)
        writes += [(next(m for m, o in sorted(snap.objects.items())
                         if o['type'] == kind and m not in dict(writes) and not o['path'].endswith('/Resources')),
                    [dict(principal='globex-dr@vsphere.local', group=False, role_id=-2, propagate=False)])
                   for kind in KINDS]
        before = sorted(vc.read_permissions(), key=permission_key)
        sim.reset_stats()
        for moid, perms in writes:
            vc.set_permissions(snap, moid, perms)
        calls = dict(sim.stats()['methods'])
        after = sorted(vc.read_permissions(), key=permission_key)
        for moid, perms in writes:
            for p in perms:
                vc.remove_permission(snap, moid, p['principal'], p['group'])
        assert sorted(vc.read_permissions(), key=permission_key) == before
    return before, after, calls


def test_fast_writes_leave_what_pyvmomi_writes_leave(fresh_vcsim):
    before, fast, fast_calls = write_and_read(fresh_vcsim, True)
    _before, slow, slow_calls = write_and_read(fresh_vcsim, False)
    assert fast == slow and fast_calls == slow_calls == {'SetEntityPermissions': len(WRITES) + len(KINDS)}
    new = [p for p in fast if p not in before]
    assert len(new) == 5 + len(KINDS)

    def held_by(account):  # vCenter may spell the principal DOMAIN\\login
        return sorted((p['role_id'], p['propagate'], p['group']) for p in new
                      if principal_key(p['principal']) == principal_key(account))
    assert held_by('initech-dr@vsphere.local') == [(-5, False, False)]
    assert held_by('acme-dr@vsphere.local') == [(-2, False, False), (-2, False, False), (-1, False, False)]
    assert held_by('globex-dr@vsphere.local') == [(-2, False, False)] * len(KINDS) + [(-2, True, False)]


@pytest.mark.parametrize('case, fault', [('unknown role', 'NotFound'), ('unknown principal', 'UserNotFound'),
                                         ('deleted object', 'ManagedObjectNotFound'), ('no such permission', None)])
def test_a_refused_write_is_the_same_vsphere_fault_on_both_paths(fresh_vcsim, case, fault):
    outcomes = []
    for fast_write in (True, False):
        with VCenterConnection(fresh_vcsim.connection_args(fast_write=fast_write, retries=0)) as vc:
            snap = vc.read_snapshot(with_permissions=False)
            moid = next(m for m, o in snap.objects.items() if o['path'] == '/DC1/vm/tenants/acme')
            perm = dict(principal='acme-dr@vsphere.local', group=False, role_id=-2, propagate=False)
            if case == 'unknown role':
                perm['role_id'] = 987654
            elif case == 'unknown principal':
                perm['principal'] = 'nobody-dr@vsphere.local'
            elif case == 'deleted object':
                snap.objects['group-v987654'] = dict(snap.objects[moid], moid='group-v987654')
                moid = 'group-v987654'
            try:
                if case == 'no such permission':
                    vc.remove_permission(snap, moid, 'acme-dr@vsphere.local', False)  # nothing to remove: done
                    outcomes.append(None)
                else:
                    vc.set_permissions(snap, moid, [perm])
                    outcomes.append('written')
            except Exception as exc:  # pylint: disable=broad-except
                outcomes.append((type(exc).__name__, fault_text(exc)))
    assert outcomes[0] == outcomes[1]
    assert outcomes[0] is None if fault is None else outcomes[0][0].endswith('.' + fault)
