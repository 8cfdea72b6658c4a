"""Placement domains (issue 13, item 1): plans that survive DRS/vMotion, HA restarts and Storage DRS.

A small inventory written for these tests; every expected plan row is written by hand from it:

    DC1
      host/CL1   esx-01 esx-02 esx-03        host/CL2  esx-04 esx-05 (no acme VM)
      host/esx-10, host/esx-11               standalone hosts
      datastore/ ds-01 ds-02, dsc-01 = StoragePod{ds-03, ds-04}, dsc-02 = StoragePod{ds-05}
      network/   pg-a pg-b
      vm/tenants/acme  acme-vm01 (CL1/esx-01, ds-03, pg-a)   acme-vm02 (standalone esx-10, ds-01, pg-a)
      vm/mgmt          acme-cs01 (CL1/esx-02, ds-01, pg-a)
      vm/other         other-vm01 (CL2/esx-04, ds-02 + ds-05, pg-b)
"""
from __future__ import annotations

import pytest
from pyVmomi import vim

from tests.support.modules import run_module
from tests.support.vsphere import Direct

pytestmark = pytest.mark.vcsim

DR, RO = 'Azure_Site_Recovery', 'ReadOnly'
ACCOUNT = 'acme-dr@vsphere.local'


def inventory():
    def vm(name, folder, ds, nets, cluster=None, host=None):
        out = {'name': name, 'folder': folder, 'datastores': ds, 'networks': nets, 'host': host}
        if cluster:
            out['cluster'] = cluster
        return out
    return {'datacenters': [{
        'name': 'DC1',
        'clusters': [{'name': 'CL1', 'hosts': ['esx-01', 'esx-02', 'esx-03'], 'resource_pools': []},
                     {'name': 'CL2', 'hosts': ['esx-04', 'esx-05'], 'resource_pools': []}],
        'standalone_hosts': ['esx-10', 'esx-11'],
        'datastores': ['ds-01', 'ds-02', 'ds-03', 'ds-04', 'ds-05'],
        'datastore_clusters': [{'name': 'dsc-01', 'datastores': ['ds-03', 'ds-04']},
                               {'name': 'dsc-02', 'datastores': ['ds-05']}],
        'networks': ['pg-a', 'pg-b'],
        'vm_folders': ['tenants/acme', 'mgmt', 'other'],
        'vms': [vm('acme-vm01', 'tenants/acme', ['ds-03'], ['pg-a'], 'CL1', 'esx-01'),
                vm('acme-vm02', 'tenants/acme', ['ds-01'], ['pg-a'], None, 'esx-10'),
                vm('acme-cs01', 'mgmt', ['ds-01'], ['pg-a'], 'CL1', 'esx-02'),
                vm('other-vm01', 'other', ['ds-02', 'ds-05'], ['pg-b'], 'CL2', 'esx-04')],
    }], 'users': [ACCOUNT]}


def tenant(**kw):
    t = dict(name='acme', topology='dedicated_hsp', access_account=ACCOUNT,
             vm_selectors={'folders': ['/DC1/vm/tenants/acme']}, management_servers=['/DC1/vm/mgmt/acme-cs01'])
    t.update(kw)
    return [t]


COMMON = [
    ('/', 'vcenter_root', RO),
    ('/DC1', 'datacenter', DR),
    ('/DC1/datastore/ds-01', 'datastore', DR),
    ('/DC1/datastore/dsc-01', 'datastore_cluster', DR),
    ('/DC1/datastore/dsc-01/ds-03', 'datastore', DR),
    ('/DC1/host/CL1', 'cluster', DR),
    ('/DC1/host/CL1/esx-01', 'host', DR),
    ('/DC1/host/CL1/esx-02', 'host', DR),
    ('/DC1/host/esx-10', 'host', DR),          # the standalone host's ComputeResource, never its HostSystem
    ('/DC1/network/pg-a', 'network', DR),
    ('/DC1/vm/mgmt/acme-cs01', 'management_server', DR),
    ('/DC1/vm/tenants/acme/acme-vm01', 'tenant_vm', DR),
    ('/DC1/vm/tenants/acme/acme-vm02', 'tenant_vm', DR),
]
# domain: the rest of CL1 (esx-03) and of dsc-01 (ds-04); nothing of CL2, esx-11, ds-02 or dsc-02
DOMAIN_PLAN = sorted(COMMON + [('/DC1/datastore/dsc-01/ds-04', 'datastore', DR), ('/DC1/host/CL1/esx-03', 'host', DR)])
EXACT_PLAN = sorted(COMMON)


def rows(result):
    [plan] = result['plans']
    return sorted((o['path'], o['kind'], o['role']) for o in plan['objects'])


def onboard(sim, tenants):
    run_module('vcenter_tenant_role', sim.connection_args())
    mapping = run_module('tenant_mapping', sim.connection_args(tenants=tenants))
    applied = run_module('vcenter_nonpropagating_permission',
                         sim.connection_args(assignments=mapping['assignments'], exclusive=True))
    return mapping, applied


def vmotion(sim, vm_path, host_path):
    with Direct(sim) as d:
        vm = d.find(vm_path)
        task = vm.RelocateVM_Task(vim.vm.RelocateSpec(host=d.find(host_path)))
        while task.info.state not in ('success', 'error'):
            pass
        assert task.info.state == 'success', task.info.error
        assert d.path_of(vm.runtime.host) == host_path


def can_read(sim, path):
    """vCenter's own answer: does the access account hold System.Read on ``path``?"""
    with Direct(sim) as d:
        [res] = d.auth.FetchUserPrivilegeOnEntities([d.find(path)], ACCOUNT)
        return 'System.Read' in (res.privileges or [])


def test_domain_plan_has_every_host_of_the_cluster_and_datastore_of_the_datastore_cluster(vcsim_factory):
    sim = vcsim_factory(inventory())
    assert rows(run_module('tenant_mapping', sim.connection_args(tenants=tenant()))) == DOMAIN_PLAN


def test_exact_placement_is_todays_behaviour(vcsim_factory):
    sim = vcsim_factory(inventory())
    assert rows(run_module('tenant_mapping', sim.connection_args(tenants=tenant(placement='exact')))) == EXACT_PLAN


def test_vmotion_between_two_runs_keeps_access_and_changes_nothing(vcsim_factory):
    sim = vcsim_factory(inventory())
    onboard(sim, tenant())
    assert can_read(sim, '/DC1/host/CL1/esx-03')
    vmotion(sim, '/DC1/vm/tenants/acme/acme-vm01', '/DC1/host/CL1/esx-03')
    # right after the move, before any run: the account still reads its VM's new host
    assert can_read(sim, '/DC1/host/CL1/esx-03')
    audit = run_module('tenant_isolation_audit', sim.connection_args(tenants=tenant(), server_check=True))
    assert audit['clean'] is True, audit['report']['leaks']
    assert audit['report']['drift']['total'] == 0
    # the re-run (reconcile) plans the same objects and writes nothing
    sim.reset_stats()
    mapping, applied = onboard(sim, tenant())
    assert rows(mapping) == DOMAIN_PLAN
    assert applied['changed'] is False
    assert sim.writes_since_reset() == 0


def test_vmotion_with_exact_placement_loses_the_host_until_the_next_run(vcsim_factory):
    sim = vcsim_factory(inventory())
    onboard(sim, tenant(placement='exact'))
    vmotion(sim, '/DC1/vm/tenants/acme/acme-vm01', '/DC1/host/CL1/esx-03')
    assert not can_read(sim, '/DC1/host/CL1/esx-03')
    audit = run_module('tenant_isolation_audit', sim.connection_args(tenants=tenant(placement='exact')))
    found = sorted((lk['class'], lk['path']) for lk in audit['report']['leaks'])
    # esx-01 still runs nothing of acme's (acme-cs01 is on esx-02): its permission is now outside the plan
    assert found == [('excess_permission', '/DC1/host/CL1/esx-01'), ('missing_permission', '/DC1/host/CL1/esx-03')]
    assert [d['path'] for d in audit['report']['drift']['tenants']['acme']['foreign_permissions']] == ['/DC1/host/CL1/esx-01']
    onboard(sim, tenant(placement='exact'))
    assert can_read(sim, '/DC1/host/CL1/esx-03')


def test_host_and_datastore_grants_reveal_no_other_vm(vcsim_factory):
    sim = vcsim_factory(inventory())
    onboard(sim, tenant())
    audit = run_module('tenant_isolation_audit', sim.connection_args(tenants=tenant(), server_check=True))
    assert audit['clean'] is True
    visible = sorted(v['path'] for v in audit['report']['tenants']['acme']['visible_vms'])
    assert visible == ['/DC1/vm/mgmt/acme-cs01', '/DC1/vm/tenants/acme/acme-vm01', '/DC1/vm/tenants/acme/acme-vm02']
    assert not can_read(sim, '/DC1/vm/other/other-vm01')
    assert not can_read(sim, '/DC1/host/esx-11')
    assert not can_read(sim, '/DC1/datastore/dsc-02/ds-05')


def test_switching_to_exact_removes_the_domain_only_objects(vcsim_factory):
    sim = vcsim_factory(inventory())
    onboard(sim, tenant())
    _mapping, applied = onboard(sim, tenant(placement='exact'))
    assert applied['changed'] is True
    assert not can_read(sim, '/DC1/host/CL1/esx-03')
    assert not can_read(sim, '/DC1/datastore/dsc-01/ds-04')
    assert can_read(sim, '/DC1/datastore/dsc-01/ds-03')
