"""vCenter's own answer (issue 13, item 3): FetchUserPrivilegeOnEntities in the simulator and the audit's server_check.

Three parts:
* the simulator's answer on hand-built situations, expected privileges written by hand from vSphere's rules
  (vsphere.md "vSphere permission semantics"): nearest level wins, user beats group, groups add up, NoAccess, both VM
  chains, complex entities;
* the audit module with server_check=true: agreement after a clean onboarding, and a group membership the tenant
  definition does not list (the server wins);
* a differential test: seeded random inventories and permissions, the collection's computed effective privileges
  (isolation.PermissionModel) must equal the simulator's answer (tests/simulator/vcsim/privileges.go, written
  separately from the Python rules) on every entity for every account.
"""
from __future__ import annotations

import random

import pytest
from pyVmomi import vim

from tests.simulator.inventory import sample_inventory
from tests.simulator.vcsim import VCenterSimulator
from tests.support.modules import run_module
from tests.support.tenants import tenants
from tests.support.vsphere import Direct

pytestmark = pytest.mark.vcsim

READ_ONLY = ['System.Anonymous', 'System.Read', 'System.View']
DR_PRIVS = ['Datastore.Browse', 'System.Anonymous', 'System.Read', 'System.View', 'VirtualMachine.Interact.PowerOn']


def perm(principal, role_id, propagate, group=False):
    return vim.AuthorizationManager.Permission(principal=principal, group=group, roleId=role_id, propagate=propagate)


def privileges(direct, path, user):
    [res] = direct.auth.FetchUserPrivilegeOnEntities([direct.find(path)], user)
    return sorted(res.privileges or [])


@pytest.fixture(scope='module')
def hand():
    """The sample inventory with group dr-operators = {acme-dr}, a role DR and a few permissions set by hand."""
    inv = sample_inventory()
    inv['memberships'] = {'dr-operators@vsphere.local': ['acme-dr@vsphere.local']}
    with VCenterSimulator(inv) as sim, Direct(sim) as d:
        dr = d.auth.AddAuthorizationRole('DR', ['Datastore.Browse', 'VirtualMachine.Interact.PowerOn'])
        acme, grp = 'acme-dr@vsphere.local', 'dr-operators@vsphere.local'
        # folder chain: ReadOnly propagating on /DC1/vm/tenants (as the group); acme-vm02 has a user NoAccess
        d.auth.SetEntityPermissions(d.find('/DC1/vm/tenants'), [perm(grp, -2, True, group=True)])
        d.auth.SetEntityPermissions(d.find('/DC1/vm/tenants/acme/acme-vm02'), [perm(acme, -5, False),
                                                                               perm(grp, dr, False, group=True)])
        # compute chain: DR propagating on resource pool tenants/acme; globex pool gets NoAccess propagating
        d.auth.SetEntityPermissions(d.find('/DC1/host/CL1/Resources/tenants/acme'), [perm(acme, dr, True)])
        d.auth.SetEntityPermissions(d.find('/DC1/host/CL1/Resources/tenants/globex'), [perm(acme, -5, True)])
        # non-propagating DR on the datacenter: applies to DC1 and its complex children (root folders), not below
        d.auth.SetEntityPermissions(d.find('/DC1'), [perm(acme, dr, False)])
        yield sim, d, acme


def test_nothing_granted_means_no_privilege(hand):
    _sim, d, _acme = hand
    assert privileges(d, '/DC1/vm/tenants/acme/acme-vm01', 'globex-dr@vsphere.local') == []


def test_both_vm_chains_add_up(hand):
    # acme-vm01: folder chain -> group ReadOnly from /DC1/vm/tenants; compute chain -> user DR from pool tenants/acme
    _sim, d, acme = hand
    assert privileges(d, '/DC1/vm/tenants/acme/acme-vm01', acme) == DR_PRIVS


def test_user_beats_group_at_the_same_level(hand):
    # acme-vm02 itself: user NoAccess and group DR -> the user permission decides: nothing
    _sim, d, acme = hand
    assert privileges(d, '/DC1/vm/tenants/acme/acme-vm02', acme) == []


def test_noaccess_on_one_chain_leaves_the_other(hand):
    # globex-vm01: folder chain gives ReadOnly (group), compute chain NoAccess (user, propagating on pool globex)
    _sim, d, acme = hand
    assert privileges(d, '/DC1/vm/tenants/globex/globex-vm01', acme) == READ_ONLY


def test_non_propagating_reaches_complex_children_only(hand):
    _sim, d, acme = hand
    assert privileges(d, '/DC1', acme) == DR_PRIVS
    assert privileges(d, '/DC1/vm', acme) == DR_PRIVS          # the datacenter's root VM folder (complex child)
    assert privileges(d, '/DC1/host/CL1', acme) == []           # below it: not reached
    assert privileges(d, '/DC1/vm/mgmt/acme-cs01', acme) == []  # mgmt is not below /DC1/vm/tenants


def test_group_member_only(hand):
    # globex-dr is no member of dr-operators: the group's permission does not apply to it
    _sim, d, _acme = hand
    assert privileges(d, '/DC1/vm/tenants/globex/globex-vm01', 'globex-dr@vsphere.local') == []
    # the administrator gets the Admin role through VSPHERE.LOCAL\Administrators on the root folder
    assert 'Authorization.ModifyPermissions' in privileges(d, '/DC1/vm/mgmt/acme-cs01', 'administrator@vsphere.local')


def onboard(sim, tenant_list):
    run_module('vcenter_tenant_role', sim.connection_args())
    mapping = run_module('tenant_mapping', sim.connection_args(tenants=tenant_list))
    run_module('vcenter_nonpropagating_permission', sim.connection_args(assignments=mapping['assignments'], exclusive=True))


def test_server_check_agrees_after_onboarding(vcsim_factory):
    sim = vcsim_factory()
    onboard(sim, tenants())
    sim.reset_stats()
    res = run_module('tenant_isolation_audit', sim.connection_args(tenants=tenants(), server_check=True))
    assert res['clean'] is True, res['report']['leaks']
    checks = res['report']['server_check']
    assert set(checks) == {'acme', 'globex', 'initech'}
    assert all(c['disagreed'] == 0 and c['asked'] > 13 for c in checks.values())
    assert sim.soap_calls('FetchUserPrivilegeOnEntities') == 3    # one per access account
    assert any("vCenter's own answer" in line and 'all agree' in line for line in res['summary'])


def test_unlisted_group_membership_is_a_finding_and_the_server_wins(vcsim_factory):
    inv = sample_inventory()
    inv['memberships'] = {'dr-operators@vsphere.local': ['acme-dr@vsphere.local']}
    sim = vcsim_factory(inv)
    onboard(sim, tenants())
    with Direct(sim) as d:
        d.auth.SetEntityPermissions(d.find('/DC1/vm/tenants'), [perm('dr-operators@vsphere.local', -2, True, group=True)])
    # the tenant definition does not list acme-dr's group: only vCenter knows that acme-dr sees the other tenants' VMs
    res = run_module('tenant_isolation_audit', sim.connection_args(tenants=tenants(), server_check=True))
    acme = sorted((lk['class'], lk['path']) for lk in res['report']['leaks'] if lk['tenant'] == 'acme')
    foreign = ['/DC1/vm/tenants/globex/globex-vm01', '/DC1/vm/tenants/globex/globex-vm02',
               '/DC1/vm/tenants/initech/initech-vm01', '/DC1/vm/tenants/initech/initech-vm02']
    assert [p for c, p in acme if c == 'foreign_vm_visible'] == foreign
    disagreements = [p for c, p in acme if c == 'server_disagreement']
    assert set(foreign) <= set(disagreements)
    assert res['report']['server_check']['acme']['disagreed'] == len(disagreements)
    assert res['report']['server_check']['globex']['disagreed'] == 0
    assert res['clean'] is False
    assert res['report']['counts']['server_disagreement'] == len(disagreements)
    # with the group listed, the computation agrees with vCenter again (and reports the group's permission itself)
    listed = tenants(acme={'access_account_groups': ['dr-operators@vsphere.local']})
    res = run_module('tenant_isolation_audit', sim.connection_args(tenants=listed, server_check=True))
    assert res['report']['server_check']['acme']['disagreed'] == 0
    assert ('propagating_permission', '/DC1/vm/tenants') in [(lk['class'], lk['path']) for lk in res['report']['leaks']]


# ------------------------------------------------------------------------------------------
# Differential test
# ------------------------------------------------------------------------------------------

USERS = ['acme-dr@vsphere.local', 'globex-dr@vsphere.local', 'initech-dr@vsphere.local']
GROUPS = {'ops@vsphere.local': USERS[:2], 'acme-team@vsphere.local': USERS[:1], 'empty@vsphere.local': []}


def random_inventory(rng):
    """One datacenter: 1-2 clusters (nested resource pools), 0-1 standalone host, nested VM folders, 4-9 VMs."""
    clusters = []
    for c in range(rng.randint(1, 2)):
        pools = ['p%d' % c]
        if rng.random() < 0.7:
            pools.append('p%d/q%d' % (c, c))
        clusters.append({'name': 'CL%d' % c, 'hosts': ['esx-%d-%d' % (c, h) for h in range(rng.randint(1, 2))],
                         'resource_pools': pools})
    standalone = ['esx-s'] if rng.random() < 0.6 else []
    folders = ['f1', 'f1/f2', 'f3']
    vms = []
    for i in range(rng.randint(4, 9)):
        vm = {'name': 'vm%02d' % i, 'folder': rng.choice(folders + ['']), 'datastores': ['ds-1'], 'networks': []}
        if standalone and rng.random() < 0.25:
            vm['host'] = 'esx-s'
        else:
            cl = rng.choice(clusters)
            vm['cluster'] = cl['name']
            vm['resource_pool'] = rng.choice(cl['resource_pools'] + [''])
        vms.append(vm)
    dc = {'name': 'DC1', 'clusters': clusters, 'standalone_hosts': standalone, 'datastores': ['ds-1', 'ds-2'],
          'networks': ['pg-1'], 'vm_folders': folders, 'vms': vms}
    return {'datacenters': [dc], 'users': USERS, 'groups': list(GROUPS), 'memberships': GROUPS}


def holders(snap):
    """Entities that can hold a permission (no complex children)."""
    return sorted(m for m in snap.objects if not snap.complex_child_reason(m))


@pytest.mark.parametrize('seed', range(1, 11))
def test_differential_random_inventories_and_permissions(vcsim_factory, seed):
    from ansible_collections.tenantdr.asr.plugins.module_utils.isolation import Account, PermissionModel
    from ansible_collections.tenantdr.asr.plugins.module_utils.vcenter import VCenterConnection

    rng = random.Random(seed)
    sim = vcsim_factory(random_inventory(rng))
    with VCenterConnection(sim.connection_args()) as vc:
        role_id = vc.auth.AddAuthorizationRole('DR%d' % seed, ['Datastore.Browse', 'VirtualMachine.Interact.PowerOn'])
        snap = vc.read_snapshot()
        # mostly on the objects VMs inherit from (folders, pools, clusters, the datacenter, the root) and VMs
        chain_types = ('Folder', 'ResourcePool', 'ClusterComputeResource', 'ComputeResource', 'Datacenter', 'VirtualMachine')
        candidates = [m for m in holders(snap) if snap.objects[m]['type'] in chain_types]
        others = [m for m in holders(snap) if snap.objects[m]['type'] not in chain_types]
        roles = [-1, -2, -5, role_id]
        principals = [(u, False) for u in USERS] + [(g, True) for g in GROUPS]
        for _attempt in range(rng.randint(15, 30)):
            entity = rng.choice(candidates if rng.random() < 0.9 or not others else others)
            who, group = rng.choice(principals)
            try:
                vc.set_permissions(snap, entity, [dict(principal=who, group=group, role_id=rng.choice(roles),
                                                       propagate=rng.random() < 0.6)])
            except vim.fault.AuthMinimumAdminPermission:
                pass  # vCenter refuses more permissions for a principal that is Administrator on the root folder
        snap = vc.read_snapshot()
        model = PermissionModel(snap)
        everything = sorted(snap.objects)
        disagreements, granted_pairs, denied_pairs = [], 0, 0
        for user in USERS:
            groups = [g for g, members in GROUPS.items() if user in members]
            account = Account(user, groups)
            result = vc.auth.FetchUserPrivilegeOnEntities([vc.entity(snap, m) for m in everything], user)
            server = {r.entity._moId: frozenset(r.privileges or ()) for r in result}
            assert set(server) == set(everything)
            for moid in everything:
                computed = model.effective(moid, account).privileges
                granted_pairs += bool(server[moid])
                denied_pairs += not server[moid]
                if computed != server[moid]:
                    disagreements.append((user, snap.label(moid), sorted(computed ^ server[moid])[:4]))
    # the case is not trivial: some accounts hold privileges somewhere and lack them elsewhere
    assert granted_pairs > 0 and denied_pairs > 0, (granted_pairs, denied_pairs)
    assert disagreements == [], 'seed %d: %s' % (seed, disagreements[:10])
