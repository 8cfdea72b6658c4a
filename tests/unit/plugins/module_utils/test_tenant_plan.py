"""Pure tests of the tenant planner (plugins/module_utils/tenant_plan.py) on hand-built snapshots."""
from __future__ import annotations

import pytest

from ansible_collections.tenantdr.asr.plugins.module_utils import tenant_plan as tp
from ansible_collections.tenantdr.asr.plugins.module_utils.vcenter import (
    Snapshot, _annotate, _build_paths, load_inventory, save_inventory,
)

ROLES = [
    dict(id=-1, name='Admin', label='Administrator', system=True,
         privileges=['System.Anonymous', 'System.Read', 'System.View', 'Datastore.Browse', 'VirtualMachine.Config.Rename',
                     'Network.Assign']),
    dict(id=-2, name='ReadOnly', label='Read-only', system=True, privileges=['System.Anonymous', 'System.Read', 'System.View']),
    dict(id=-3, name='View', label='View', system=True, privileges=['System.Anonymous', 'System.View']),
    dict(id=-4, name='Anonymous', label='Anonymous', system=True, privileges=['System.Anonymous']),
    dict(id=-5, name='NoAccess', label='No access', system=True, privileges=[]),
    dict(id=1000, name='Azure_Site_Recovery', label='Azure_Site_Recovery', system=False,
         privileges=['Datastore.Browse', 'Network.Assign', 'System.Anonymous', 'System.Read', 'System.View',
                     'VirtualMachine.Config.Rename']),
    dict(id=1001, name='NetworkOnly', label='NetworkOnly', system=False,
         privileges=['Network.Assign', 'System.Anonymous', 'System.Read', 'System.View']),
]


def shared_snapshot(permissions=None):
    """A shared-hosting vCenter in miniature (moids are readable on purpose).

    /DC1
      host/CL1 (domain-c1)  hosts host-1 host-2; pools Resources/tenants/{acme,globex}
      host/CL2 (domain-c2)  host host-4 (management cluster)
      host/esx-10           standalone ComputeResource domain-s3 with HostSystem host-10
      datastore/ ds-01 ds-02  dsc-01 (StoragePod) / ds-03
      network/   pg-acme pg-globex pg-mgmt  dvs-01 (switch)  dvpg-globex (its port group)
      vm/tenants/acme       acme-vm01 (CL1 host-1, RP acme, ds-01)  acme-vm02 (host-2, RP acme, ds-01 + ds-02)
                            acme-tmpl (template)
      vm/tenants/globex     globex-vm01 (CL1 host-2, RP globex, ds-02, pg-globex)
                            globex-vm02 (standalone esx-10, ds-03 in dsc-01, dvpg-globex)
      vm/mgmt               acme-cs01 globex-cs01 (CL2 host-4, ds-01, pg-mgmt + tenant network)
      vm/unassigned         orphan-01 (CL2 host-4)
    /DC2
      host/CL3 host-21; datastore ds-21; network pg-dc2; vm/acme-old (name like acme's, tenant=acme attribute)
    """
    objs = {}

    def add(moid, typ, name, parent, **kw):
        objs[moid] = dict(moid=moid, type=typ, name=name, parent=parent, **kw)

    def vm(moid, name, folder, rp, host, ds, nets, attrs=None, template=False):
        add(moid, 'VirtualMachine', name, folder, resource_pool=rp, host=host, datastores=ds, networks=nets,
            custom_attributes=attrs or {}, template=template)

    add('group-d1', 'Folder', 'Datacenters', None, child_type=['Folder', 'Datacenter'])
    add('datacenter-1', 'Datacenter', 'DC1', 'group-d1', vm_folder='group-v1', host_folder='group-h1',
        datastore_folder='group-s1', network_folder='group-n1')
    add('group-v1', 'Folder', 'vm', 'datacenter-1', child_type=['Folder', 'VirtualMachine'])
    add('group-h1', 'Folder', 'host', 'datacenter-1', child_type=['Folder', 'ComputeResource'])
    add('group-s1', 'Folder', 'datastore', 'datacenter-1', child_type=['Folder', 'Datastore', 'StoragePod'])
    add('group-n1', 'Folder', 'network', 'datacenter-1', child_type=['Folder', 'Network'])
    # compute
    add('domain-c1', 'ClusterComputeResource', 'CL1', 'group-h1', resource_pool='resgroup-1', hosts=['host-1', 'host-2'])
    add('resgroup-1', 'ResourcePool', 'Resources', 'domain-c1')
    add('resgroup-t', 'ResourcePool', 'tenants', 'resgroup-1')
    add('resgroup-ta', 'ResourcePool', 'acme', 'resgroup-t')
    add('resgroup-tg', 'ResourcePool', 'globex', 'resgroup-t')
    add('host-1', 'HostSystem', 'esx-01', 'domain-c1', datastores=['datastore-1', 'datastore-2'], networks=[])
    add('host-2', 'HostSystem', 'esx-02', 'domain-c1', datastores=['datastore-1', 'datastore-2'], networks=[])
    add('domain-c2', 'ClusterComputeResource', 'CL2', 'group-h1', resource_pool='resgroup-2', hosts=['host-4'])
    add('resgroup-2', 'ResourcePool', 'Resources', 'domain-c2')
    add('host-4', 'HostSystem', 'esx-04', 'domain-c2', datastores=['datastore-1'], networks=[])
    add('domain-s3', 'ComputeResource', 'esx-10', 'group-h1', resource_pool='resgroup-3', hosts=['host-10'])
    add('resgroup-3', 'ResourcePool', 'Resources', 'domain-s3')
    add('host-10', 'HostSystem', 'esx-10', 'domain-s3', datastores=['datastore-3'], networks=[])
    # storage and network
    add('datastore-1', 'Datastore', 'ds-01', 'group-s1')
    add('datastore-2', 'Datastore', 'ds-02', 'group-s1')
    add('group-p1', 'StoragePod', 'dsc-01', 'group-s1')
    add('datastore-3', 'Datastore', 'ds-03', 'group-p1')
    add('network-a', 'Network', 'pg-acme', 'group-n1')
    add('network-g', 'Network', 'pg-globex', 'group-n1')
    add('network-m', 'Network', 'pg-mgmt', 'group-n1')
    add('dvs-1', 'VmwareDistributedVirtualSwitch', 'dvs-01', 'group-n1')
    add('dvportgroup-1', 'DistributedVirtualPortgroup', 'dvpg-globex', 'group-n1')
    # VM folders and VMs
    add('group-v2', 'Folder', 'tenants', 'group-v1', child_type=['Folder', 'VirtualMachine'])
    add('group-v3', 'Folder', 'acme', 'group-v2', child_type=['Folder', 'VirtualMachine'])
    add('group-v4', 'Folder', 'globex', 'group-v2', child_type=['Folder', 'VirtualMachine'])
    add('group-v5', 'Folder', 'mgmt', 'group-v1', child_type=['Folder', 'VirtualMachine'])
    add('group-v6', 'Folder', 'unassigned', 'group-v1', child_type=['Folder', 'VirtualMachine'])
    add('group-v7', 'Folder', 'empty', 'group-v1', child_type=['Folder', 'VirtualMachine'])
    vm('vm-a1', 'acme-vm01', 'group-v3', 'resgroup-ta', 'host-1', ['datastore-1'], ['network-a'], {'tenant': 'acme'})
    vm('vm-a2', 'acme-vm02', 'group-v3', 'resgroup-ta', 'host-2', ['datastore-1', 'datastore-2'], ['network-a'],
       {'tenant': 'acme', 'tier': 'db'})
    vm('vm-at', 'acme-tmpl', 'group-v3', None, 'host-1', ['datastore-1'], [], {'tenant': 'acme'}, template=True)
    vm('vm-g1', 'globex-vm01', 'group-v4', 'resgroup-tg', 'host-2', ['datastore-2'], ['network-g'], {'tenant': 'globex'})
    vm('vm-g2', 'globex-vm02', 'group-v4', 'resgroup-3', 'host-10', ['datastore-3'], ['dvportgroup-1'], {'tenant': 'globex'})
    vm('vm-acs', 'acme-cs01', 'group-v5', 'resgroup-2', 'host-4', ['datastore-1'], ['network-m', 'network-a'], {'tenant': 'acme'})
    vm('vm-gcs', 'globex-cs01', 'group-v5', 'resgroup-2', 'host-4', ['datastore-1'], ['network-m', 'network-g'],
       {'tenant': 'globex'})
    vm('vm-o1', 'orphan-01', 'group-v6', 'resgroup-2', 'host-4', ['datastore-1'], ['network-m'])
    # DC2
    add('datacenter-2', 'Datacenter', 'DC2', 'group-d1', vm_folder='group-v21', host_folder='group-h21',
        datastore_folder='group-s21', network_folder='group-n21')
    add('group-v21', 'Folder', 'vm', 'datacenter-2', child_type=['Folder', 'VirtualMachine'])
    add('group-h21', 'Folder', 'host', 'datacenter-2', child_type=['Folder', 'ComputeResource'])
    add('group-s21', 'Folder', 'datastore', 'datacenter-2', child_type=['Folder', 'Datastore'])
    add('group-n21', 'Folder', 'network', 'datacenter-2', child_type=['Folder', 'Network'])
    add('domain-c3', 'ClusterComputeResource', 'CL3', 'group-h21', resource_pool='resgroup-4', hosts=['host-21'])
    add('resgroup-4', 'ResourcePool', 'Resources', 'domain-c3')
    add('host-21', 'HostSystem', 'esx-21', 'domain-c3', datastores=['datastore-21'], networks=[])
    add('datastore-21', 'Datastore', 'ds-21', 'group-s21')
    add('network-21', 'Network', 'pg-dc2', 'group-n21')
    vm('vm-x1', 'acme-old', 'group-v21', 'resgroup-4', 'host-21', ['datastore-21'], ['network-21'], {'tenant': 'acme'})
    _build_paths(objs, 'group-d1')
    _annotate(objs)
    privs = sorted({p for r in ROLES for p in r['privileges']})
    privileges = [dict(id=p, group=p.rsplit('.', 1)[0], name=p.rsplit('.', 1)[1], on_parent=False) for p in privs]
    return Snapshot(objs, 'group-d1', [dict(r) for r in ROLES], privileges, list(permissions or []))


def tenant(name, **kw):
    t = dict(name=name, topology='shared_hsp', access_account='%s-dr@vsphere.local' % name)
    t.update(kw)
    return t


def acme(**kw):
    base = dict(vm_selectors=dict(folders=['/DC1/vm/tenants/acme']), management_servers=['/DC1/vm/mgmt/acme-cs01'])
    base.update(kw)
    return tenant('acme', **base)


def globex(**kw):
    base = dict(vm_selectors=dict(folders=['/DC1/vm/tenants/globex']), management_servers=['/DC1/vm/mgmt/globex-cs01'])
    base.update(kw)
    return tenant('globex', **base)


def plan(snap, *tenants):
    return tp.build_plans(snap, tp.validate_tenants(list(tenants)))


def refused(snap, *tenants):
    with pytest.raises(tp.TenantPlanError) as exc:
        plan(snap, *tenants)
    return exc.value


# ------------------------------------------------------------------------------------------
# validation
# ------------------------------------------------------------------------------------------

def test_defaults_are_filled_in():
    [t] = tp.validate_tenants([tenant('acme', vm_selectors={'folders': '/DC1/vm/tenants/acme'})])
    assert t['failback'] is True and t['dr_role'] == 'Azure_Site_Recovery'
    assert t['allow_empty_selectors'] is False and t['include_templates'] is False
    assert t['access_account_groups'] == [] and t['management_servers'] == [] and t['datacenters'] == []
    assert t['vm_selectors'] == {'folders': ['/DC1/vm/tenants/acme'], 'resource_pools': [], 'name_patterns': [],
                                 'custom_attributes': {}, 'tags': []}


def test_unknown_key_names_the_key_and_the_valid_keys():
    with pytest.raises(tp.TenantPlanError) as exc:
        tp.validate_tenants([tenant('acme', vm_selector={'folders': ['/x']})])
    msg = str(exc.value)
    assert "unknown key 'vm_selector'" in msg and "did you mean 'vm_selectors'" in msg
    for key in tp.TENANT_KEYS:
        assert key in msg


def test_unknown_selector_key_is_named():
    with pytest.raises(tp.TenantPlanError) as exc:
        tp.validate_tenants([tenant('acme', vm_selectors={'folder': ['/x']})])
    assert "vm_selectors: unknown key 'folder'" in str(exc.value) and 'resource_pools' in str(exc.value)


def test_malformed_tag_selector_fails_clearly():
    # tags are 'category/tag' or a tag id (issue 13); 'tenant:acme' is neither
    with pytest.raises(tp.TenantPlanError) as exc:
        tp.validate_tenants([tenant('acme', vm_selectors={'tags': ['tenant:acme']})])
    assert "vm_selectors.tags[0]: 'tenant:acme' is not a tag reference" in str(exc.value)
    assert "'category/tag'" in str(exc.value)
    [t] = tp.validate_tenants([tenant('acme', vm_selectors={'tags': ['tenant/acme', 'urn:vmomi:InventoryServiceTag:x:GLOBAL']})])
    assert t['vm_selectors']['tags'] == ['tenant/acme', 'urn:vmomi:InventoryServiceTag:x:GLOBAL']


def test_unknown_placement_names_the_choices():
    with pytest.raises(tp.TenantPlanError) as exc:
        tp.validate_tenants([tenant('acme', placement='exacte', vm_selectors={'folders': ['/x']})])
    assert "placement 'exacte' is not one of domain, exact (did you mean 'exact'?)" in str(exc.value)


@pytest.mark.parametrize('bad, text', [
    (dict(name='Acme'), "name 'Acme' must match"),
    (dict(name='-acme'), "name '-acme' must match"),
    (dict(name='a' * 64), 'must match'),
    (dict(topology='shared'), "topology 'shared' is not one of shared_hsp, dedicated_hsp, msp"),
    (dict(access_account='acme dr@vsphere.local'), 'access_account: principal'),
    (dict(access_account=None), 'access_account is required'),
    (dict(failback='maybe'), 'failback must be a boolean'),
    (dict(management_servers=[{'path': '/x'}]), 'management_servers[0] must be a non-empty string'),
    (dict(vm_selectors={'custom_attributes': ['tenant']}), 'custom_attributes must be a dictionary'),
    (dict(access_account_groups=['bad group@x']), 'access_account_groups[0]'),
])
def test_invalid_values_are_named(bad, text):
    t = tenant('acme', vm_selectors={'folders': ['/DC1/vm/tenants/acme']})
    t.update(bad)
    with pytest.raises(tp.TenantPlanError) as exc:
        tp.validate_tenants([t])
    assert text in str(exc.value)


def test_every_validation_problem_is_reported_at_once():
    with pytest.raises(tp.TenantPlanError) as exc:
        tp.validate_tenants([dict(name='Bad'), tenant('acme', colour='red'), tenant('acme')])
    kinds = [c['conflict'] for c in exc.value.conflicts]
    assert kinds.count('invalid') >= 4 and 'duplicate_name' in kinds
    assert "tenant name 'acme' is defined 2 times" in str(exc.value)


def test_booleans_accept_ansible_spellings():
    [t] = tp.validate_tenants([tenant('acme', failback='no', include_templates='yes')])
    assert t['failback'] is False and t['include_templates'] is True


def test_tenants_on_two_vcenters_are_refused():
    with pytest.raises(tp.TenantPlanError) as exc:
        tp.validate_tenants([tenant('acme', vcenter='vc1'), tenant('globex', vcenter='vc2')])
    assert 'acme on vc1, globex on vc2' in str(exc.value)


# ------------------------------------------------------------------------------------------
# selection
# ------------------------------------------------------------------------------------------

def vms_of(result, name):
    return [p for p in result['plans'] if p['tenant'] == name][0]['vms']


def test_folder_selector_takes_every_vm_below_and_skips_templates():
    res = plan(shared_snapshot(), tenant('acme', vm_selectors={'folders': ['/DC1/vm/tenants/acme']}))
    assert vms_of(res, 'acme') == ['/DC1/vm/tenants/acme/acme-vm01', '/DC1/vm/tenants/acme/acme-vm02']


def test_include_templates():
    res = plan(shared_snapshot(), tenant('acme', include_templates=True, vm_selectors={'folders': ['group-v3']}))
    assert '/DC1/vm/tenants/acme/acme-tmpl' in vms_of(res, 'acme')


def test_resource_pool_selector_includes_child_pools():
    res = plan(shared_snapshot(), tenant('acme', vm_selectors={'resource_pools': ['/DC1/host/CL1/Resources/tenants']}))
    assert vms_of(res, 'acme') == ['/DC1/vm/tenants/acme/acme-vm01', '/DC1/vm/tenants/acme/acme-vm02',
                                   '/DC1/vm/tenants/globex/globex-vm01']


def test_name_patterns_are_case_insensitive_globs_limited_by_datacenters():
    snap = shared_snapshot()
    res = plan(snap, tenant('acme', vm_selectors={'name_patterns': ['ACME-VM*', 'acme-old']}))
    assert vms_of(res, 'acme') == ['/DC1/vm/tenants/acme/acme-vm01', '/DC1/vm/tenants/acme/acme-vm02', '/DC2/vm/acme-old']
    res = plan(snap, tenant('acme', datacenters=['/DC1'], allow_empty_selectors=True,
                            vm_selectors={'name_patterns': ['ACME-VM*', 'acme-old']}))
    assert vms_of(res, 'acme') == ['/DC1/vm/tenants/acme/acme-vm01', '/DC1/vm/tenants/acme/acme-vm02']
    assert any("name pattern 'acme-old' matches no VM" in w for w in res['warnings'])


def test_custom_attributes_must_all_match():
    snap = shared_snapshot()
    res = plan(snap, tenant('acme', datacenters=['/DC1'], vm_selectors={'custom_attributes': {'tenant': 'acme', 'tier': 'db'}}))
    assert vms_of(res, 'acme') == ['/DC1/vm/tenants/acme/acme-vm02']


def test_selectors_are_a_union_and_own_management_servers_are_planned_once():
    snap = shared_snapshot()
    res = plan(snap, acme(datacenters=['/DC1'], vm_selectors={'folders': ['/DC1/vm/tenants/acme'],
                                                              'custom_attributes': {'tenant': 'acme'}}))
    p = res['plans'][0]
    # the attribute also matches acme-cs01, which is acme's own management server: planned once, as management_server
    assert p['vms'] == ['/DC1/vm/tenants/acme/acme-vm01', '/DC1/vm/tenants/acme/acme-vm02']
    assert p['management_servers'] == ['/DC1/vm/mgmt/acme-cs01']
    kinds = {o['path']: o['kind'] for o in p['objects']}
    assert kinds['/DC1/vm/mgmt/acme-cs01'] == 'management_server'


# ------------------------------------------------------------------------------------------
# the plan: seed 000's table, object by object
# ------------------------------------------------------------------------------------------

def test_acme_plan_is_the_seed_table_object_by_object():
    """Seed 000, "Requirements for a vCenter access account", step 3 (every row, non-propagating)."""
    snap = shared_snapshot()
    res = plan(snap, acme())
    p = res['plans'][0]
    got = [(o['path'], o['kind'], o['role'], o['propagate']) for o in p['objects']]
    dr = 'Azure_Site_Recovery'
    assert got == [
        ('/', 'vcenter_root', 'ReadOnly', False),
        ('/DC1', 'datacenter', dr, False),
        ('/DC1/datastore/ds-01', 'datastore', dr, False),
        ('/DC1/datastore/ds-02', 'datastore', dr, False),
        ('/DC1/host/CL1', 'cluster', dr, False),
        ('/DC1/host/CL1/esx-01', 'host', dr, False),
        ('/DC1/host/CL1/esx-02', 'host', dr, False),
        ('/DC1/host/CL2', 'cluster', dr, False),           # the management server's cluster and host
        ('/DC1/host/CL2/esx-04', 'host', dr, False),
        ('/DC1/network/pg-acme', 'network', dr, False),
        ('/DC1/network/pg-mgmt', 'network', dr, False),
        ('/DC1/vm/mgmt/acme-cs01', 'management_server', dr, False),
        ('/DC1/vm/tenants/acme/acme-vm01', 'tenant_vm', dr, False),
        ('/DC1/vm/tenants/acme/acme-vm02', 'tenant_vm', dr, False),
    ]
    assert [o['moid'] for o in p['objects']][:2] == ['group-d1', 'datacenter-1']
    assert p['role'] == dr and p['access_account'] == 'acme-dr@vsphere.local' and p['topology'] == 'shared_hsp'
    # the assignments name each row's object by typed id (type and moid of the hand-built snapshot's object there)
    by_path = {o['path']: '%s:%s' % (o['type'], moid) for moid, o in snap.objects.items()}
    assert p['assignments'] == [
        dict(principal='acme-dr@vsphere.local', group=False, role='ReadOnly', objects=['Folder:group-d1'], propagate=False),
        dict(principal='acme-dr@vsphere.local', group=False, role=dr, objects=[by_path[g[0]] for g in got[1:]],
             propagate=False),
    ]
    assert res['assignments'] == p['assignments']
    assert res['owners'] == {'vm-a1': 'acme', 'vm-a2': 'acme', 'vm-acs': 'acme'}


def test_standalone_host_datastore_cluster_and_distributed_port_group():
    """A standalone host's HostSystem cannot hold a permission (AuthorizationManager, complex entities): its
    ComputeResource is planned. A datastore cluster is planned with its datastore; a distributed port group is
    planned itself, never its switch (vsphere.md rule 14)."""
    snap = shared_snapshot()
    res = plan(snap, globex())
    objects = {o['path']: (o['kind'], o['type']) for o in res['plans'][0]['objects']}
    assert objects['/DC1/host/esx-10'] == ('host', 'ComputeResource')
    assert '/DC1/host/esx-10/esx-10' not in objects
    assert objects['/DC1/datastore/dsc-01'] == ('datastore_cluster', 'StoragePod')
    assert objects['/DC1/datastore/dsc-01/ds-03'] == ('datastore', 'Datastore')
    assert objects['/DC1/network/dvpg-globex'] == ('network', 'DistributedVirtualPortgroup')
    assert '/DC1/network/dvs-01' not in objects
    for o in res['plans'][0]['objects']:
        assert snap.complex_child_reason(o['moid']) is None
        assert o['kind'] in tp.KINDS


def test_no_failback_variant_is_read_only_everywhere():
    """Seed 000: "instead of assigning the Azure_Site_Recovery role to the vCenter access account, assign only a
    Read-Only role ... every permission is still assigned at the object level only and not propagated"."""
    res = plan(shared_snapshot(), acme(failback=False))
    p = res['plans'][0]
    assert p['role'] == 'ReadOnly' and p['failback'] is False
    assert {o['role'] for o in p['objects']} == {'ReadOnly'}
    assert {o['propagate'] for o in p['objects']} == {False}
    assert [a['role'] for a in p['assignments']] == ['ReadOnly', 'ReadOnly']


def test_custom_dr_role_name():
    res = plan(shared_snapshot(), acme(dr_role='ASR_Tenant'))
    assert {o['role'] for o in res['plans'][0]['objects'] if o['kind'] != 'vcenter_root'} == {'ASR_Tenant'}


def test_two_tenants_flat_assignments_in_order():
    res = plan(shared_snapshot(), acme(), globex())
    assert [p['tenant'] for p in res['plans']] == ['acme', 'globex']
    assert [a['principal'] for a in res['assignments']] == ['acme-dr@vsphere.local'] * 2 + ['globex-dr@vsphere.local'] * 2


def test_plan_is_deterministic_whatever_the_snapshot_order():
    snap = shared_snapshot()
    first = plan(snap, acme(), globex())
    snap.objects = dict(reversed(list(snap.objects.items())))
    assert plan(snap, acme(), globex())['plans'] == first['plans']


# ------------------------------------------------------------------------------------------
# conflicts: all collected, one error, nothing planned
# ------------------------------------------------------------------------------------------

def test_overlapping_selectors_name_the_vms_and_both_tenants():
    err = refused(shared_snapshot(), acme(), globex(vm_selectors={'folders': ['/DC1/vm/tenants']}))
    overlaps = [c for c in err.conflicts if c['conflict'] == 'vm_overlap']
    assert sorted(p for c in overlaps for p in c['paths']) == ['/DC1/vm/tenants/acme/acme-vm01', '/DC1/vm/tenants/acme/acme-vm02']
    assert all(c['tenants'] == ['acme', 'globex'] for c in overlaps)
    assert ('VM /DC1/vm/tenants/acme/acme-vm01 is selected by tenants acme (folder /DC1/vm/tenants/acme) and globex '
            '(folder /DC1/vm/tenants)') in str(err)


def test_shared_management_server_is_refused_in_shared_hosting_only():
    err = refused(shared_snapshot(), acme(), globex(management_servers=['/DC1/vm/mgmt/acme-cs01']))
    [c] = [c for c in err.conflicts if c['conflict'] == 'shared_management_server']
    assert c['tenants'] == ['acme', 'globex'] and c['paths'] == ['/DC1/vm/mgmt/acme-cs01']
    # two dedicated-hosting tenants planned together may share it (they never share a vCenter in practice)
    res = plan(shared_snapshot(), acme(topology='dedicated_hsp'),
               globex(topology='dedicated_hsp', management_servers=['/DC1/vm/mgmt/acme-cs01']))
    assert [p['management_servers'] for p in res['plans']] == [['/DC1/vm/mgmt/acme-cs01']] * 2


def test_tenant_vm_that_is_another_tenants_management_server():
    err = refused(shared_snapshot(), acme(), globex(vm_selectors={'folders': ['/DC1/vm/tenants/globex', '/DC1/vm/mgmt']},
                                                    management_servers=['/DC1/vm/mgmt/globex-cs01']))
    [c] = [c for c in err.conflicts if c['conflict'] == 'vm_is_management_server']
    assert c['paths'] == ['/DC1/vm/mgmt/acme-cs01'] and c['tenants'] == ['acme', 'globex']
    assert 'selected as a tenant VM of globex (folder /DC1/vm/mgmt) but is a management server of acme' in c['message']


def test_shared_access_account_in_either_form():
    err = refused(shared_snapshot(), acme(), globex(access_account='VSPHERE.LOCAL\\ACME-DR'))
    [c] = [c for c in err.conflicts if c['conflict'] == 'shared_access_account']
    assert c['tenants'] == ['acme', 'globex']


def test_empty_and_missing_selectors():
    snap = shared_snapshot()
    err = refused(snap, acme(vm_selectors={'folders': ['/DC1/vm/empty', '/DC1/vm/nowhere'], 'name_patterns': ['zzz*']}))
    kinds = sorted(c['conflict'] for c in err.conflicts)
    assert kinds == ['empty_selector', 'empty_selector', 'missing_object']
    assert "folder selector '/DC1/vm/empty' matches no VM" in str(err)
    assert "VM folder '/DC1/vm/nowhere' was not found" in str(err)
    res = plan(snap, acme(allow_empty_selectors=True, vm_selectors={'folders': ['/DC1/vm/empty', '/DC1/vm/nowhere']}))
    assert res['plans'][0]['vms'] == [] and len(res['warnings']) == 2
    # the management server still brings its objects
    assert '/DC1/host/CL2/esx-04' in [o['path'] for o in res['plans'][0]['objects']]


def test_no_selector_at_all_is_refused_unless_allowed():
    err = refused(shared_snapshot(), tenant('acme'))
    assert 'vm_selectors is empty' in str(err)
    res = plan(shared_snapshot(), tenant('acme', allow_empty_selectors=True))
    assert [o['kind'] for o in res['plans'][0]['objects']] == ['vcenter_root']


def test_missing_management_server_is_always_an_error():
    err = refused(shared_snapshot(), acme(allow_empty_selectors=True, management_servers=['/DC1/vm/mgmt/acme-cs99']))
    assert [c['conflict'] for c in err.conflicts] == ['missing_object']
    assert "management server '/DC1/vm/mgmt/acme-cs99' was not found" in str(err)


def test_selector_of_the_wrong_type():
    err = refused(shared_snapshot(), acme(vm_selectors={'folders': ['/DC1'], 'resource_pools': ['/DC1/host/CL1']},
                                          management_servers=['/DC1/host/CL2'], datacenters=['/DC1/vm']))
    text = str(err)
    assert "folder '/DC1' is a Datacenter, not a VM folder (use '/DC1/vm' for a whole datacenter)" in text
    assert "resource pool '/DC1/host/CL1' is a ClusterComputeResource" in text and '/DC1/host/CL1/Resources' in text
    assert "management server '/DC1/host/CL2' is a ClusterComputeResource, not a virtual machine" in text
    assert "datacenter '/DC1/vm' is a Folder, not a datacenter" in text


def test_every_conflict_is_listed_in_one_error():
    err = refused(shared_snapshot(),
                  acme(),
                  globex(access_account='acme-dr@vsphere.local', vm_selectors={'folders': ['/DC1/vm/tenants']},
                         management_servers=['/DC1/vm/mgmt/acme-cs01']),
                  tenant('initech', vm_selectors={'name_patterns': ['initech-*']}))
    kinds = sorted({c['conflict'] for c in err.conflicts})
    assert kinds == ['empty_selector', 'shared_access_account', 'shared_management_server', 'vm_overlap']
    assert str(err).startswith('refused before any change; %d problem(s)' % len(err.conflicts))


def test_find_role_by_name_or_label_any_case_first_match_and_after_a_change():
    """Snapshot.find_role: name or UI label, case-insensitively; the first role of vCenter's list wins; a new role list
    (assigned or set_roles) is searched, not the old one."""
    roles = [dict(id=-2, name='ReadOnly', label='Read-only', system=True, privileges=[]),
             dict(id=1000, name='Azure_Site_Recovery', label='Azure_Site_Recovery', system=False, privileges=[]),
             dict(id=1001, name='read-only', label='copy', system=False, privileges=[])]
    snap = Snapshot({}, 'group-d1', roles, [], [])
    assert snap.find_role('read-only')['id'] == -2
    assert snap.find_role(' READONLY ')['id'] == -2
    assert snap.find_role('COPY')['id'] == 1001
    assert snap.find_role('azure_site_recovery')['id'] == 1000
    assert snap.find_role('nope') is None and snap.find_role('') is None
    snap.roles = roles[1:]
    assert snap.find_role('read-only')['id'] == 1001
    snap.set_roles([dict(id=7, name='Other', label='', system=False, privileges=[])])
    assert snap.find_role('azure_site_recovery') is None and snap.find_role('other')['id'] == 7 and snap.role_by_id(7)


# ------------------------------------------------------------------------------------------
# plans handed over with a saved inventory (issue 12: the preflight's plans go to the converge)
# ------------------------------------------------------------------------------------------
def test_plans_travel_with_the_saved_inventory_and_serve_only_the_same_tenants(tmp_path, monkeypatch):
    snap = shared_snapshot()
    snap.about = dict(vcenter='vc1.example.com:443', instance_uuid='u-1')
    tenants = tp.validate_tenants([acme(), globex()])
    built = tp.plans_for(snap, tenants)
    assert vms_of(built, 'acme') == ['/DC1/vm/tenants/acme/acme-vm01', '/DC1/vm/tenants/acme/acme-vm02']
    path = save_inventory(snap, str(tmp_path / 'inv.bin'), now=1000.0)
    loaded, why = load_inventory(path, dict(vcenter='vc1.example.com:443', instance_uuid='u-1'), max_age=300, now=1010.0)
    assert loaded is not None, why
    planned = []
    real = tp.build_plans
    monkeypatch.setattr(tp, 'build_plans', lambda s, t: planned.append([x['name'] for x in t]) or real(s, t))
    # the same definitions: the saved plans, nothing planned again
    assert tp.plans_for(loaded, tp.validate_tenants([acme(), globex()])) == built
    assert planned == []
    # a definition changed since the preflight (or another set of tenants): planned on the inventory
    narrowed = tp.plans_for(loaded, tp.validate_tenants([acme(vm_selectors={'name_patterns': ['acme-vm01']}), globex()]))
    assert vms_of(narrowed, 'acme') == ['/DC1/vm/tenants/acme/acme-vm01']
    assert tp.plans_for(loaded, tp.validate_tenants([acme()]))['plans'][0]['tenant'] == 'acme'
    assert planned == [['acme', 'globex'], ['acme']]
    # tag selections: always planned anew (the converge reads the tag attachments itself)
    loaded.tag_attachments = {}
    tagged = tp.validate_tenants([acme(vm_selectors={'folders': ['/DC1/vm/tenants/acme'], 'tags': ['dr/acme']}), globex()])
    for _attempt in range(2):
        try:
            tp.plans_for(loaded, tagged)
        except tp.TenantPlanError:
            pass  # no VM carries the tag here; planning was attempted all the same
    assert planned[2:] == [['acme', 'globex'], ['acme', 'globex']]
