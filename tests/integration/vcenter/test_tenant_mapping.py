"""tenant_mapping against the vCenter simulator: the sample shared vCenter with three tenants.

The expected plans are written out from the inventory spec (tests/simulator/inventory.py docstring), object by
object, not computed by the code under test.
"""
from __future__ import annotations

import pytest

from tests.support.modules import run_module
from tests.support.tenants import tenants
from tests.support.vsphere import Direct

pytestmark = pytest.mark.vcsim

MODULE = 'tenant_mapping'
DR = 'Azure_Site_Recovery'
RO = 'ReadOnly'


# Seed 000's table for acme, from the inventory spec: acme-vm01/02/db01 run on CL1 esx-01/02/03 in resource pool
# tenants/acme, on ds-01 (db01 also ds-02) and pg-acme; acme-cs01 runs on CL2/esx-04, ds-01, pg-mgmt + pg-acme.
# Placement domains (issue 13, the default): every host of CL1 (esx-01..03) and of CL2 (esx-04, esx-05).
ACME_PLAN = [
    ('/', 'Folder', 'vcenter_root', RO),
    ('/DC1', 'Datacenter', 'datacenter', DR),
    ('/DC1/datastore/ds-01', 'Datastore', 'datastore', DR),
    ('/DC1/datastore/ds-02', 'Datastore', 'datastore', DR),
    ('/DC1/host/CL1', 'ClusterComputeResource', 'cluster', DR),
    ('/DC1/host/CL1/esx-01', 'HostSystem', 'host', DR),
    ('/DC1/host/CL1/esx-02', 'HostSystem', 'host', DR),
    ('/DC1/host/CL1/esx-03', 'HostSystem', 'host', DR),
    ('/DC1/host/CL2', 'ClusterComputeResource', 'cluster', DR),
    ('/DC1/host/CL2/esx-04', 'HostSystem', 'host', DR),
    ('/DC1/host/CL2/esx-05', 'HostSystem', 'host', DR),
    ('/DC1/network/pg-acme', 'Network', 'network', DR),
    ('/DC1/network/pg-mgmt', 'Network', 'network', DR),
    ('/DC1/vm/mgmt/acme-cs01', 'VirtualMachine', 'management_server', DR),
    ('/DC1/vm/tenants/acme/acme-db01', 'VirtualMachine', 'tenant_vm', DR),
    ('/DC1/vm/tenants/acme/acme-vm01', 'VirtualMachine', 'tenant_vm', DR),
    ('/DC1/vm/tenants/acme/acme-vm02', 'VirtualMachine', 'tenant_vm', DR),
]

# globex-vm01 on CL1/esx-03 (ds-02), globex-vm02 on CL2/esx-04 in CL2's root pool (ds-02), globex-cs01 on CL2/esx-05.
# Placement domains: CL1's esx-01 and esx-02 as well (globex-vm01 may be vMotioned there).
GLOBEX_PLAN = [
    ('/', 'Folder', 'vcenter_root', RO),
    ('/DC1', 'Datacenter', 'datacenter', DR),
    ('/DC1/datastore/ds-01', 'Datastore', 'datastore', DR),
    ('/DC1/datastore/ds-02', 'Datastore', 'datastore', DR),
    ('/DC1/host/CL1', 'ClusterComputeResource', 'cluster', DR),
    ('/DC1/host/CL1/esx-01', 'HostSystem', 'host', DR),
    ('/DC1/host/CL1/esx-02', 'HostSystem', 'host', DR),
    ('/DC1/host/CL1/esx-03', 'HostSystem', 'host', DR),
    ('/DC1/host/CL2', 'ClusterComputeResource', 'cluster', DR),
    ('/DC1/host/CL2/esx-04', 'HostSystem', 'host', DR),
    ('/DC1/host/CL2/esx-05', 'HostSystem', 'host', DR),
    ('/DC1/network/pg-globex', 'Network', 'network', DR),
    ('/DC1/network/pg-mgmt', 'Network', 'network', DR),
    ('/DC1/vm/mgmt/globex-cs01', 'VirtualMachine', 'management_server', DR),
    ('/DC1/vm/tenants/globex/globex-vm01', 'VirtualMachine', 'tenant_vm', DR),
    ('/DC1/vm/tenants/globex/globex-vm02', 'VirtualMachine', 'tenant_vm', DR),
]

# initech (no failback: Read-only everywhere): initech-vm01 on CL1/esx-01, ds-03 in dsc-01; initech-vm02 on the
# standalone esx-10 (its ComputeResource, never its HostSystem), ds-04 in dsc-01; both on dvpg-initech (the port
# group, never dvs-01); initech-cs01 on CL2/esx-05, ds-01, pg-mgmt + dvpg-initech.
# Placement domains: every host of CL1 (esx-01..03) and CL2 (esx-04, esx-05); dsc-01 has ds-03 and ds-04 (both in use).
INITECH_PLAN = [
    ('/', 'Folder', 'vcenter_root', RO),
    ('/DC1', 'Datacenter', 'datacenter', RO),
    ('/DC1/datastore/ds-01', 'Datastore', 'datastore', RO),
    ('/DC1/datastore/dsc-01', 'StoragePod', 'datastore_cluster', RO),
    ('/DC1/datastore/dsc-01/ds-03', 'Datastore', 'datastore', RO),
    ('/DC1/datastore/dsc-01/ds-04', 'Datastore', 'datastore', RO),
    ('/DC1/host/CL1', 'ClusterComputeResource', 'cluster', RO),
    ('/DC1/host/CL1/esx-01', 'HostSystem', 'host', RO),
    ('/DC1/host/CL1/esx-02', 'HostSystem', 'host', RO),
    ('/DC1/host/CL1/esx-03', 'HostSystem', 'host', RO),
    ('/DC1/host/CL2', 'ClusterComputeResource', 'cluster', RO),
    ('/DC1/host/CL2/esx-04', 'HostSystem', 'host', RO),
    ('/DC1/host/CL2/esx-05', 'HostSystem', 'host', RO),
    ('/DC1/host/esx-10', 'ComputeResource', 'host', RO),
    ('/DC1/network/dvpg-initech', 'DistributedVirtualPortgroup', 'network', RO),
    ('/DC1/network/pg-mgmt', 'Network', 'network', RO),
    ('/DC1/vm/mgmt/initech-cs01', 'VirtualMachine', 'management_server', RO),
    ('/DC1/vm/tenants/initech/initech-vm01', 'VirtualMachine', 'tenant_vm', RO),
    ('/DC1/vm/tenants/initech/initech-vm02', 'VirtualMachine', 'tenant_vm', RO),
]


@pytest.fixture(scope='module')
def mapping(vcsim):
    vcsim.reset_stats()
    res = run_module(MODULE, vcsim.connection_args(tenants=tenants()))
    return res


@pytest.fixture(scope='module')
def direct(vcsim):
    with Direct(vcsim) as d:
        yield d


def plan_of(res, name):
    return [p for p in res['plans'] if p['tenant'] == name][0]


def rows(plan):
    return [(o['path'], o['type'], o['kind'], o['role']) for o in plan['objects']]


def test_acme_plan_matches_the_seed_table_object_by_object(mapping, direct):
    acme = plan_of(mapping, 'acme')
    assert rows(acme) == ACME_PLAN
    assert acme['vms'] == ['/DC1/vm/tenants/acme/acme-db01', '/DC1/vm/tenants/acme/acme-vm01', '/DC1/vm/tenants/acme/acme-vm02']
    assert acme['management_servers'] == ['/DC1/vm/mgmt/acme-cs01']
    assert acme['role'] == DR and acme['topology'] == 'shared_hsp' and acme['access_account'] == 'acme-dr@vsphere.local'
    # every moid is the real object at that path (checked independently with pyVmomi), never propagating
    for o in acme['objects']:
        assert o['moid'] == direct.find(o['path'])._moId
        assert o['propagate'] is False

    # the assignments name the objects by typed id (resolved here independently with pyVmomi from the table's paths)
    def typed_id(path):
        obj = direct.find(path)
        return '%s:%s' % (type(obj).__name__.split('.')[-1], obj._moId)
    assert acme['assignments'] == [
        dict(principal='acme-dr@vsphere.local', group=False, role=RO, objects=[typed_id('/')], propagate=False),
        dict(principal='acme-dr@vsphere.local', group=False, role=DR, objects=[typed_id(r[0]) for r in ACME_PLAN[1:]],
             propagate=False),
    ]


def test_globex_plan_selected_by_custom_attribute(mapping):
    globex = plan_of(mapping, 'globex')
    assert rows(globex) == GLOBEX_PLAN
    # the attribute also matches globex-cs01: planned once, as its management server
    assert globex['vms'] == ['/DC1/vm/tenants/globex/globex-vm01', '/DC1/vm/tenants/globex/globex-vm02']


def test_no_failback_tenant_gets_read_only_everywhere(mapping):
    initech = plan_of(mapping, 'initech')
    assert rows(initech) == INITECH_PLAN
    assert initech['role'] == RO
    assert {a['role'] for a in initech['assignments']} == {RO}
    assert {o['propagate'] for o in initech['objects']} == {False}


def test_flat_assignments_and_read_only_task(mapping, vcsim):
    assert mapping['changed'] is False
    assert [a['principal'] for a in mapping['assignments']] == (
        ['acme-dr@vsphere.local'] * 2 + ['globex-dr@vsphere.local'] * 2 + ['VSPHERE.LOCAL\\initech-dr'] * 2)
    assert mapping['summary'][0] == 'acme: 3 tenant VM(s), 1 management server(s), 17 object(s), role Azure_Site_Recovery'
    # the DR role does not exist yet on a fresh simulator: said, not fatal
    assert any("role 'Azure_Site_Recovery' does not exist" in str(w) for w in mapping.get('warnings', []))


def test_reads_the_inventory_once_and_writes_nothing(vcsim):
    for count in (1, 3):
        vcsim.reset_stats()
        run_module(MODULE, vcsim.connection_args(tenants=tenants()[:count]))
        assert vcsim.soap_calls('RetrievePropertiesEx') == 1
        assert vcsim.soap_calls('RetrieveAllPermissions') == 0
        assert vcsim.soap_calls('ContinueRetrievePropertiesEx') == 0
        assert vcsim.writes_since_reset() == 0
        assert vcsim.soap_calls() <= 10


def test_check_mode_gives_the_same_plan(vcsim, mapping):
    res = run_module(MODULE, vcsim.connection_args(tenants=tenants()), check_mode=True)
    assert res['plans'] == mapping['plans'] and res['changed'] is False


@pytest.mark.parametrize('changes, conflict, names', [
    (dict(globex={'vm_selectors': {'folders': ['/DC1/vm/tenants']}, 'datacenters': []}), 'vm_overlap',
     ['VM /DC1/vm/tenants/acme/acme-vm01 is selected by tenants acme (folder /DC1/vm/tenants/acme) and globex '
      '(folder /DC1/vm/tenants)', '/DC1/vm/tenants/initech/initech-vm02']),
    (dict(initech={'management_servers': ['/DC1/vm/mgmt/acme-cs01']}), 'shared_management_server',
     ['management server /DC1/vm/mgmt/acme-cs01 is shared by tenants acme and initech']),
    (dict(globex={'access_account': 'VSPHERE.LOCAL\\ACME-DR'}), 'shared_access_account',
     ["access account 'acme-dr@vsphere.local' is used by tenants acme and globex"]),
    (dict(acme={'vm_selectors': {'name_patterns': ['nobody-*']}}), 'empty_selector',
     ["tenant acme: name pattern 'nobody-*' matches no VM"]),
    (dict(acme={'management_servers': ['/DC1/vm/mgmt/acme-cs99']}), 'missing_object',
     ["tenant acme: management server '/DC1/vm/mgmt/acme-cs99' was not found"]),
])
def test_conflicts_are_refused_with_nothing_written(vcsim, changes, conflict, names):
    vcsim.reset_stats()
    res = run_module(MODULE, vcsim.connection_args(tenants=tenants(**changes)), expect_failure=True)
    assert res['msg'].startswith('refused before any change')
    assert conflict in {c['conflict'] for c in res['conflicts']}
    for text in names:
        assert text in res['msg']
    assert 'plans' not in res
    assert vcsim.writes_since_reset() == 0


def test_every_conflict_at_once(vcsim):
    vcsim.reset_stats()
    res = run_module(MODULE, vcsim.connection_args(tenants=tenants(
        globex={'vm_selectors': {'folders': ['/DC1/vm/tenants']}, 'datacenters': [], 'access_account': 'acme-dr@vsphere.local'},
        initech={'management_servers': ['/DC1/vm/mgmt/acme-cs01'], 'vm_selectors': {'name_patterns': ['nobody-*']}})),
        expect_failure=True)
    kinds = {c['conflict'] for c in res['conflicts']}
    assert kinds == {'vm_overlap', 'shared_access_account', 'shared_management_server', 'empty_selector'}
    assert vcsim.writes_since_reset() == 0


def test_strict_validation_before_connecting(vcsim):
    vcsim.reset_stats()
    bad = tenants(acme={'vm_selector': {'folders': ['/DC1/vm/tenants/acme']}},
                  globex={'vm_selectors': {'tags': ['tenant:globex']}})
    res = run_module(MODULE, vcsim.connection_args(tenants=bad), expect_failure=True)
    assert "unknown key 'vm_selector' (did you mean 'vm_selectors'?)" in res['msg'] and 'valid keys: ' in res['msg']
    assert "vm_selectors.tags[0]: 'tenant:globex' is not a tag reference; give 'category/tag'" in res['msg']
    assert vcsim.soap_calls() == 0


def test_dedicated_tenant_on_its_own_vcenter(vcsim_factory):
    from tests.simulator.inventory import single_tenant_inventory
    sim = vcsim_factory(single_tenant_inventory('hooli'))
    res = run_module(MODULE, sim.connection_args(tenants=[dict(
        name='hooli', topology='dedicated_hsp', access_account='hooli-dr@vsphere.local',
        vm_selectors=dict(resource_pools=['/DC1/host/CL1/Resources/tenants/hooli']), management_servers=['/DC1/vm/mgmt/hooli-cs01'])]))
    plan = res['plans'][0]
    assert plan['vms'] == ['/DC1/vm/tenants/hooli/hooli-vm%02d' % i for i in (1, 2, 3)]
    assert {o['kind'] for o in plan['objects']} == {'vcenter_root', 'datacenter', 'cluster', 'host', 'datastore', 'network',
                                                    'management_server', 'tenant_vm'}
