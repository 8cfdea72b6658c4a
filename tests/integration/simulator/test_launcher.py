"""The tenantdr-vcsim launcher itself, through pyVmomi over real SOAP/HTTPS.

Proves the inventory built from a JSON spec (sample_inventory) and the vCenter semantics the
launcher adds on top of govmomi's simulator: upserting SetEntityPermissions, the faults of the
vSphere API reference (vim.AuthorizationManager), role ids and privilege sets, privilegeList,
the user directory, and the SOAP request accounting.
"""
from __future__ import annotations


import pytest
from pyVim.connect import SmartConnect, Disconnect
from pyVmomi import vim, vmodl

from tests.simulator.inventory import generated_inventory, sample_inventory, single_tenant_inventory
from tests.simulator.vcsim import VCenterSimulator

pytestmark = pytest.mark.vcsim

ACME = 'acme-dr@vsphere.local'
GLOBEX = 'globex-dr@vsphere.local'
READ_ONLY, NO_ACCESS, VIEW, ANONYMOUS, ADMIN = -2, -5, -3, -4, -1
SYSTEM_PRIVS = {'System.Anonymous', 'System.Read', 'System.View'}


def connect(sim):
    return SmartConnect(host=sim.host, port=sim.port, user=sim.username, pwd=sim.password,
                        disableSslCertValidation=True)


class Session:
    def __init__(self, sim):
        self.si = connect(sim)
        self.content = self.si.RetrieveContent()
        self.auth = self.content.authorizationManager

    def find(self, path):
        obj = self.content.searchIndex.FindByInventoryPath(path)
        assert obj is not None, path
        return obj

    def view(self, kind, root=None):
        v = self.content.viewManager.CreateContainerView(root or self.content.rootFolder, [kind], True)
        try:
            return list(v.view)
        finally:
            v.DestroyView()

    def perm(self, principal, role=READ_ONLY, propagate=False, group=False):
        return vim.AuthorizationManager.Permission(principal=principal, group=group, roleId=role, propagate=propagate)

    def entity_perms(self, entity, inherited=False):
        return {(p.principal, p.group): (p.roleId, p.propagate)
                for p in self.auth.RetrieveEntityPermissions(entity, inherited)}


@pytest.fixture(scope='module')
def shared_sim():
    """Read-only tests share one simulator."""
    with VCenterSimulator(sample_inventory()) as sim:
        yield sim


@pytest.fixture(scope='module')
def ro(shared_sim):
    s = Session(shared_sim)
    yield s
    Disconnect(s.si)


@pytest.fixture
def sim():
    """Tests that write get a simulator of their own."""
    with VCenterSimulator(sample_inventory()) as s:
        yield s


@pytest.fixture
def rw(sim):
    s = Session(sim)
    yield s
    Disconnect(s.si)


# -- inventory shape -------------------------------------------------------------------------------

def test_vm_folders_pools_and_hosts(ro):
    vm = ro.find('DC1/vm/tenants/acme/acme-vm01')
    assert vm.parent.name == 'acme' and vm.parent.parent.name == 'tenants'
    assert vm.parent.parent.parent == ro.find('DC1').vmFolder
    assert vm.resourcePool.name == 'acme' and vm.resourcePool.parent.name == 'tenants'
    root_pool = vm.resourcePool.parent.parent
    cl1 = ro.find('DC1/host/CL1')
    assert isinstance(cl1, vim.ClusterComputeResource) and root_pool == cl1.resourcePool
    assert vm.runtime.host.name == 'esx-01' and vm.runtime.host.parent == cl1
    assert sorted(h.name for h in cl1.host) == ['esx-01', 'esx-02', 'esx-03']
    assert sorted(h.name for h in ro.find('DC1/host/CL2').host) == ['esx-04', 'esx-05']
    assert vm.runtime.powerState == 'poweredOn'
    # a VM without a resource pool in the spec sits in its cluster's root pool
    gvm = ro.find('DC1/vm/tenants/globex/globex-vm02')
    assert gvm.resourcePool == ro.find('DC1/host/CL2').resourcePool and gvm.runtime.host.name == 'esx-04'
    # management servers
    cs = ro.find('DC1/vm/mgmt/acme-cs01')
    assert cs.parent.name == 'mgmt' and cs.runtime.host.parent.name == 'CL2'


def test_standalone_host_and_its_vm(ro):
    cr = ro.find('DC1/host/esx-10')
    assert isinstance(cr, vim.ComputeResource) and not isinstance(cr, vim.ClusterComputeResource)
    assert [h.name for h in cr.host] == ['esx-10']
    host = cr.host[0]
    assert host.parent == cr
    vm = ro.find('DC1/vm/tenants/initech/initech-vm02')
    assert vm.runtime.host == host and vm.resourcePool == cr.resourcePool


def test_all_vms_and_duplicate_name_across_datacenters(ro):
    names = sorted(vm.name for vm in ro.view(vim.VirtualMachine))
    assert len(names) == 13 and names.count('orphan-01') == 2
    assert ro.find('DC2/vm/unassigned/orphan-01').runtime.host.parent.name == 'CL3'
    assert sorted(vm.name for vm in ro.view(vim.VirtualMachine, ro.find('DC1/vm/tenants/acme'))) == \
        ['acme-db01', 'acme-vm01', 'acme-vm02']


def test_datastores_and_datastore_cluster(ro):
    dc1 = ro.find('DC1')
    assert sorted(d.name for d in dc1.datastore) == ['ds-01', 'ds-02', 'ds-03', 'ds-04']
    pod = ro.find('DC1/datastore/dsc-01')
    assert isinstance(pod, vim.StoragePod) and pod.parent == dc1.datastoreFolder
    assert sorted(d.name for d in pod.childEntity) == ['ds-03', 'ds-04']
    for ds in pod.childEntity:
        assert ds.parent == pod
    ds1 = ro.find('DC1/datastore/ds-01')
    assert ds1.parent == dc1.datastoreFolder
    assert sorted(m.key.name for m in ds1.host) == ['esx-01', 'esx-02', 'esx-03', 'esx-04', 'esx-05', 'esx-10']
    assert sorted(d.name for d in ro.find('DC1/vm/tenants/acme/acme-db01').datastore) == ['ds-01', 'ds-02']
    assert [d.name for d in ro.find('DC1/vm/tenants/initech/initech-vm01').datastore] == ['ds-03']
    host = ro.find('DC1/host/CL1').host[0]
    assert sorted(d.name for d in host.datastore) == ['ds-01', 'ds-02', 'ds-03', 'ds-04']
    # a recursive ContainerView reaches datastores inside the StoragePod (vcsim alone does not)
    assert sorted(d.name for d in ro.view(vim.Datastore, dc1)) == ['ds-01', 'ds-02', 'ds-03', 'ds-04']


def test_networks_standard_and_distributed(ro):
    dc1 = ro.find('DC1')
    names = {n.name: n for n in dc1.network}
    assert 'VM Network' not in names
    assert {'pg-acme', 'pg-globex', 'pg-mgmt', 'dvpg-initech'} <= set(names)
    assert isinstance(names['pg-acme'], vim.Network) and not isinstance(names['pg-acme'], vim.dvs.DistributedVirtualPortgroup)
    dvpg = names['dvpg-initech']
    assert isinstance(dvpg, vim.dvs.DistributedVirtualPortgroup)
    assert dvpg.config.distributedVirtualSwitch.name == 'dvs-01'
    assert [n.name for n in ro.find('DC1/vm/tenants/acme/acme-vm01').network] == ['pg-acme']
    assert [n.name for n in ro.find('DC1/vm/tenants/initech/initech-vm01').network] == ['dvpg-initech']
    assert [n.name for n in ro.find('DC1/vm/mgmt/globex-cs01').network] == ['pg-mgmt', 'pg-globex']
    assert sorted(vm.name for vm in names['pg-acme'].vm) == ['acme-cs01', 'acme-db01', 'acme-vm01', 'acme-vm02']
    host_nets = {n.name for n in ro.find('DC1/host/esx-10').host[0].network}
    assert {'pg-acme', 'pg-globex', 'pg-mgmt', 'dvpg-initech'} <= host_nets and 'VM Network' not in host_nets
    assert {n.name for n in ro.find('DC2').network} == {'pg-dc2'}


def test_unset_properties_read_as_none(ro):
    # pyVmomi reads lazy properties with Fetch; vCenter answers an unset one with nothing (None)
    vm = ro.find('DC1/vm/tenants/acme/acme-vm01')
    assert vm.snapshot is None and vm.parentVApp is None
    assert vm.config.name == 'acme-vm01' and vm.summary.runtime.host == vm.runtime.host


def test_custom_attributes(ro):
    fields = [f for f in ro.content.customFieldsManager.field if f.name == 'tenant']
    assert len(fields) == 1 and fields[0].managedObjectType is vim.VirtualMachine
    key = fields[0].key
    for path, tenant in [('DC1/vm/tenants/acme/acme-vm01', 'acme'), ('DC1/vm/mgmt/initech-cs01', 'initech'),
                         ('DC1/vm/tenants/globex/globex-vm02', 'globex')]:
        assert [(v.key, v.value) for v in ro.find(path).customValue] == [(key, tenant)]
    assert list(ro.find('DC1/vm/unassigned/orphan-01').customValue) == []


def test_single_tenant_and_generated_inventories_start():
    with VCenterSimulator(single_tenant_inventory('acme')) as sim:
        s = Session(sim)
        assert sorted(vm.name for vm in s.view(vim.VirtualMachine)) == \
            ['acme-cs01', 'acme-vm01', 'acme-vm02', 'acme-vm03']
        Disconnect(s.si)
    spec = generated_inventory(45, 2)
    with VCenterSimulator(spec) as sim:
        s = Session(sim)
        assert len(s.view(vim.VirtualMachine)) == 45 * 3
        assert sorted(c.name for c in s.view(vim.ClusterComputeResource)) == ['CL01', 'CL02', 'CL03']
        assert len(s.view(vim.HostSystem)) == 30
        vm = s.find('DC1/vm/tenants/t0021/t0021-vm02')
        assert vm.runtime.host.parent.name == 'CL02' and vm.resourcePool.name == 't0021'
        assert [n.name for n in vm.network] == ['pg-t0021']
        # tenant port groups exist on their cluster's hosts only
        assert 'pg-t0021' not in {n.name for n in s.find('DC1/host/CL01').host[0].network}
        Disconnect(s.si)


# -- permissions -----------------------------------------------------------------------------------

def test_default_root_permission(ro):
    perms = ro.entity_perms(ro.content.rootFolder)
    assert perms == {('VSPHERE.LOCAL\\Administrators', True): (ADMIN, True)}


def test_set_entity_permissions_upserts_per_principal(rw):
    dc1 = rw.find('DC1')
    rw.auth.SetEntityPermissions(dc1, [rw.perm(ACME)])
    rw.auth.SetEntityPermissions(dc1, [rw.perm(GLOBEX, NO_ACCESS)])
    # both kept; user@domain comes back as DOMAIN\login, as vCenter reports it
    assert rw.entity_perms(dc1) == {('VSPHERE.LOCAL\\acme-dr', False): (READ_ONLY, False),
                                    ('VSPHERE.LOCAL\\globex-dr', False): (NO_ACCESS, False)}
    # same principal in another form and case: updated in place, globex untouched
    rw.auth.SetEntityPermissions(dc1, [rw.perm('vsphere.local\\ACME-DR', NO_ACCESS, propagate=True)])
    perms = rw.entity_perms(dc1)
    assert len(perms) == 2 and perms[('VSPHERE.LOCAL\\ACME-DR', False)] == (NO_ACCESS, True)
    assert perms[('VSPHERE.LOCAL\\globex-dr', False)] == (NO_ACCESS, False)
    # the last of several permissions for one principal wins; a group is a different key
    rw.auth.SetEntityPermissions(dc1, [rw.perm(ACME, NO_ACCESS), rw.perm(ACME, READ_ONLY),
                                       rw.perm('dr-operators@vsphere.local', READ_ONLY, group=True)])
    perms = rw.entity_perms(dc1)
    assert perms[('VSPHERE.LOCAL\\acme-dr', False)] == (READ_ONLY, False)
    assert perms[('VSPHERE.LOCAL\\dr-operators', True)] == (READ_ONLY, False)
    assert len(perms) == 3
    everything = rw.auth.RetrieveAllPermissions()
    assert sum(1 for p in everything if p.entity == dc1) == 3 and len(everything) == 4
    assert {p.principal for p in rw.auth.RetrieveRolePermissions(READ_ONLY)} == \
        {'VSPHERE.LOCAL\\acme-dr', 'VSPHERE.LOCAL\\dr-operators'}


def test_reset_entity_permissions_replaces_the_set(rw):
    vm = rw.find('DC1/vm/tenants/acme/acme-vm01')
    rw.auth.SetEntityPermissions(vm, [rw.perm(ACME), rw.perm(GLOBEX)])
    rw.auth.ResetEntityPermissions(vm, [rw.perm(GLOBEX, NO_ACCESS)])
    assert rw.entity_perms(vm) == {('VSPHERE.LOCAL\\globex-dr', False): (NO_ACCESS, False)}


def test_remove_entity_permission(rw):
    host = rw.find('DC1/host/CL1/esx-01')
    rw.auth.SetEntityPermissions(host, [rw.perm(ACME), rw.perm(GLOBEX)])
    rw.auth.RemoveEntityPermission(host, 'VSPHERE.LOCAL\\Acme-DR', False)  # case-insensitive, either form
    assert set(rw.entity_perms(host)) == {('VSPHERE.LOCAL\\globex-dr', False)}
    with pytest.raises(vim.fault.NotFound):
        rw.auth.RemoveEntityPermission(host, ACME, False)
    with pytest.raises(vim.fault.NotFound):  # a user permission is not a group permission
        rw.auth.RemoveEntityPermission(host, GLOBEX, True)


@pytest.mark.parametrize('path, how', [
    ('DC1', 'vmFolder'), ('DC1', 'hostFolder'), ('DC1', 'datastoreFolder'), ('DC1', 'networkFolder'),
    ('DC1/host/CL1', 'resourcePool'), ('DC1/host/esx-10', 'resourcePool'), ('DC1/host/esx-10', 'host'),
])
def test_complex_entity_children_cannot_hold_permissions(shared_sim, ro, path, how):
    parent = ro.find(path)
    entity = getattr(parent, how)
    entity = entity[0] if isinstance(entity, list) else entity
    shared_sim.reset_stats()
    with pytest.raises(vmodl.fault.InvalidArgument) as err:
        ro.auth.SetEntityPermissions(entity, [ro.perm(ACME)])
    assert err.value.invalidProperty == 'entity'
    with pytest.raises(vmodl.fault.InvalidArgument):
        ro.auth.ResetEntityPermissions(entity, [ro.perm(ACME)])
    with pytest.raises(vmodl.fault.InvalidArgument):
        ro.auth.RemoveEntityPermission(entity, ACME, False)
    assert ro.entity_perms(entity) == ro.entity_perms(parent)  # the complex parent's permissions
    assert shared_sim.soap_calls('SetEntityPermissions') == 1


def test_permissions_allowed_on_regular_entities(rw):
    for path in ['', 'DC1', 'DC1/host/CL1', 'DC1/host/CL1/esx-02', 'DC1/host/CL1/Resources/tenants/acme',
                 'DC1/vm/tenants', 'DC1/datastore/dsc-01', 'DC1/datastore/dsc-01/ds-03', 'DC1/network/pg-acme',
                 'DC1/network/dvpg-initech', 'DC1/network/dvs-01', 'DC1/vm/mgmt/acme-cs01']:
        entity = rw.content.rootFolder if path == '' else rw.find(path)
        rw.auth.SetEntityPermissions(entity, [rw.perm(ACME)])
        assert rw.entity_perms(entity)[('VSPHERE.LOCAL\\acme-dr', False)] == (READ_ONLY, False), path


def test_set_entity_permissions_faults(sim, rw):
    dc1 = rw.find('DC1')
    sim.reset_stats()
    with pytest.raises(vim.fault.NotFound):
        rw.auth.SetEntityPermissions(dc1, [rw.perm(ACME, role=4242)])
    for role in (VIEW, ANONYMOUS):
        with pytest.raises(vmodl.fault.InvalidArgument) as err:
            rw.auth.SetEntityPermissions(dc1, [rw.perm(ACME, role=role)])
        assert err.value.invalidProperty == 'permission.roleId'
    with pytest.raises(vim.fault.UserNotFound):
        rw.auth.SetEntityPermissions(dc1, [rw.perm('nobody@vsphere.local')])
    with pytest.raises(vmodl.fault.ManagedObjectNotFound):
        rw.auth.SetEntityPermissions(vim.Datacenter('datacenter-424242', rw.si._stub), [rw.perm(ACME)])
    # validated as a whole: a bad permission later in the array leaves the good one unapplied
    with pytest.raises(vim.fault.NotFound):
        rw.auth.SetEntityPermissions(dc1, [rw.perm(ACME), rw.perm(GLOBEX, role=4242)])
    assert rw.entity_perms(dc1) == {}
    assert sim.soap_calls('SetEntityPermissions') == 6 and sim.writes_since_reset() == 6


def test_root_keeps_an_administrator(rw):
    root = rw.content.rootFolder
    with pytest.raises(vim.fault.AuthMinimumAdminPermission):
        rw.auth.RemoveEntityPermission(root, 'VSPHERE.LOCAL\\Administrators', True)
    with pytest.raises(vim.fault.AuthMinimumAdminPermission):
        rw.auth.SetEntityPermissions(root, [rw.perm('VSPHERE.LOCAL\\Administrators', READ_ONLY, group=True)])
    # ... and no further permission for a principal that is Administrator on the root
    with pytest.raises(vim.fault.AuthMinimumAdminPermission):
        rw.auth.SetEntityPermissions(rw.find('DC1'), [rw.perm('VSPHERE.LOCAL\\Administrators', group=True)])
    assert rw.entity_perms(root) == {('VSPHERE.LOCAL\\Administrators', True): (ADMIN, True)}


def test_retrieve_entity_permissions_inherited(rw):
    dc1, tenants = rw.find('DC1'), rw.find('DC1/vm/tenants')
    pool = rw.find('DC1/host/CL1/Resources/tenants/acme')
    rw.auth.SetEntityPermissions(dc1, [rw.perm(ACME, propagate=True)])
    rw.auth.SetEntityPermissions(tenants, [rw.perm(GLOBEX, propagate=False)])
    rw.auth.SetEntityPermissions(pool, [rw.perm('dr-operators@vsphere.local', group=True, propagate=True)])
    vm = rw.find('DC1/vm/tenants/acme/acme-vm01')
    assert rw.entity_perms(vm) == {}
    inherited = rw.entity_perms(vm, inherited=True)
    # propagating permissions from the folder path and from the resource pool path, not globex's
    assert set(inherited) == {('VSPHERE.LOCAL\\acme-dr', False), ('VSPHERE.LOCAL\\dr-operators', True),
                              ('VSPHERE.LOCAL\\Administrators', True)}


# -- roles and privileges ----------------------------------------------------------------------------

def test_privilege_list(ro):
    privs = ro.auth.privilegeList
    config = sorted(p.privId for p in privs if p.privGroupName == 'VirtualMachine.Config')
    assert len(config) == 27 and 'VirtualMachine.Config.AddNewDisk' in config and 'VirtualMachine.Config.Unlock' in config
    by_id = {p.privId: p for p in privs}
    p = by_id['VirtualMachine.Interact.DeviceConnection']
    assert (p.name, p.privGroupName, p.onParent) == ('DeviceConnection', 'VirtualMachine.Interact', False)
    for needed in ['Datastore.AllocateSpace', 'Datastore.FileManagement', 'Network.Assign', 'Resource.HotMigrate',
                   'Task.Create', 'Task.Update', 'VirtualMachine.Provisioning.GetVmFiles',
                   'VirtualMachine.State.RemoveSnapshot'] + sorted(SYSTEM_PRIVS):
        assert needed in by_id
    admin = [r for r in ro.auth.roleList if r.roleId == ADMIN][0]
    assert set(by_id) == set(admin.privilege)


def test_add_role_returns_ids_and_adds_system_privileges(rw):
    rid = rw.auth.AddAuthorizationRole('Azure_Site_Recovery', ['Datastore.Browse', 'Task.Create'])
    rid2 = rw.auth.AddAuthorizationRole('Empty', [])
    assert rid >= 1000 and rid2 > rid
    roles = {r.roleId: r for r in rw.auth.roleList}
    assert roles[rid].name == 'Azure_Site_Recovery' and not roles[rid].system
    assert set(roles[rid].privilege) == {'Datastore.Browse', 'Task.Create'} | SYSTEM_PRIVS
    assert set(roles[rid2].privilege) == SYSTEM_PRIVS  # a clone of Read-only
    with pytest.raises(vim.fault.AlreadyExists):
        rw.auth.AddAuthorizationRole('Azure_Site_Recovery', [])
    with pytest.raises(vmodl.fault.InvalidArgument) as err:
        rw.auth.AddAuthorizationRole('Bad', ['Datastore.Browse', 'VirtualMachine.Config.NoSuchThing'])
    assert err.value.invalidProperty == 'privIds' and 'VirtualMachine.Config.NoSuchThing' in err.value.msg
    with pytest.raises(vim.fault.InvalidName):
        rw.auth.AddAuthorizationRole('', [])
    assert 'Bad' not in {r.name for r in rw.auth.roleList}


def test_update_role_renames_and_replaces_privileges(rw):
    rid = rw.auth.AddAuthorizationRole('ASR', ['Datastore.Browse', 'Task.Create'])
    rw.auth.UpdateAuthorizationRole(rid, 'Azure_Site_Recovery', ['Network.Assign'])
    role = [r for r in rw.auth.roleList if r.roleId == rid][0]
    assert role.name == 'Azure_Site_Recovery' and set(role.privilege) == {'Network.Assign'} | SYSTEM_PRIVS
    rw.auth.UpdateAuthorizationRole(rid, 'Azure_Site_Recovery', [])
    assert set([r for r in rw.auth.roleList if r.roleId == rid][0].privilege) == SYSTEM_PRIVS
    with pytest.raises(vim.fault.NotFound):  # API reference: NotFound "if a privilege ... cannot be found"
        rw.auth.UpdateAuthorizationRole(rid, 'Azure_Site_Recovery', ['No.Such.Privilege'])
    with pytest.raises(vim.fault.AlreadyExists):
        rw.auth.UpdateAuthorizationRole(rid, 'ReadOnly', [])
    with pytest.raises(vmodl.fault.InvalidArgument):
        rw.auth.UpdateAuthorizationRole(READ_ONLY, 'ReadOnly', ['Network.Assign'])
    with pytest.raises(vim.fault.NotFound):
        rw.auth.UpdateAuthorizationRole(4242, 'x', [])


def test_remove_role(rw):
    rid = rw.auth.AddAuthorizationRole('ASR', ['Network.Assign'])
    vm = rw.find('DC1/vm/tenants/acme/acme-vm01')
    rw.auth.SetEntityPermissions(vm, [rw.perm(ACME, role=rid), rw.perm(GLOBEX)])
    assert len(rw.auth.RetrieveRolePermissions(rid)) == 1
    with pytest.raises(vmodl.fault.InvalidArgument):
        rw.auth.RemoveAuthorizationRole(READ_ONLY, False)
    with pytest.raises(vim.fault.RemoveFailed):
        rw.auth.RemoveAuthorizationRole(rid, True)
    rw.auth.RemoveAuthorizationRole(rid, False)
    assert rid not in {r.roleId for r in rw.auth.roleList}
    assert rw.entity_perms(vm) == {('VSPHERE.LOCAL\\globex-dr', False): (READ_ONLY, False)}
    assert all(p.roleId != rid for p in rw.auth.RetrieveAllPermissions())
    with pytest.raises(vim.fault.NotFound):
        rw.auth.RetrieveRolePermissions(rid)
    with pytest.raises(vim.fault.NotFound):
        rw.auth.RemoveAuthorizationRole(rid, False)


def test_merge_permissions(rw):
    rid = rw.auth.AddAuthorizationRole('ASR', [])
    dc1 = rw.find('DC1')
    rw.auth.SetEntityPermissions(dc1, [rw.perm(ACME, role=rid)])
    with pytest.raises(vmodl.fault.InvalidArgument):
        rw.auth.MergePermissions(rid, VIEW)
    with pytest.raises(vim.fault.AuthMinimumAdminPermission):
        rw.auth.MergePermissions(ADMIN, READ_ONLY)
    rw.auth.MergePermissions(rid, READ_ONLY)
    assert rw.entity_perms(dc1) == {('VSPHERE.LOCAL\\acme-dr', False): (READ_ONLY, False)}


# -- directory, login, accounting, latency -------------------------------------------------------------

def test_user_directory(ro):
    found = ro.content.userDirectory.RetrieveUserGroups(domain='vsphere.local', searchStr='acme-dr', exactMatch=True,
                                                        findUsers=True, findGroups=False)
    assert [(r.principal, r.group) for r in found] == [('acme-dr', False)]
    assert not ro.content.userDirectory.RetrieveUserGroups(domain='vsphere.local', searchStr='nobody',
                                                           exactMatch=True, findUsers=True, findGroups=True)
    groups = ro.content.userDirectory.RetrieveUserGroups(domain='vsphere.local', searchStr='', exactMatch=False,
                                                         findUsers=False, findGroups=True)
    assert {r.principal for r in groups} == {'Administrators', 'dr-operators'}


def test_login_rejects_other_credentials(shared_sim):
    with pytest.raises(vim.fault.InvalidLogin):
        SmartConnect(host=shared_sim.host, port=shared_sim.port, user=shared_sim.username, pwd='wrong',
                     disableSslCertValidation=True)
    with pytest.raises(vim.fault.InvalidLogin):
        SmartConnect(host=shared_sim.host, port=shared_sim.port, user='root', pwd=shared_sim.password,
                     disableSslCertValidation=True)
    args = shared_sim.connection_args()
    assert args == {'hostname': shared_sim.host, 'port': shared_sim.port, 'username': 'administrator@vsphere.local',
                    'password': 'VMware1!', 'validate_certs': False}
    assert shared_sim.url == 'https://%s:%d/sdk' % (shared_sim.host, shared_sim.port)


def test_soap_accounting(shared_sim, ro):
    shared_sim.reset_stats()
    assert shared_sim.stats() == {'total': 0, 'methods': {}, 'rest': {}}   # rest: vAPI REST calls, not in total
    ro.auth.RetrieveAllPermissions()
    ro.auth.RetrieveAllPermissions()
    ro.auth.RetrieveRolePermissions(READ_ONLY)
    with pytest.raises(vim.fault.NotFound):  # failed calls count too
        ro.auth.RemoveEntityPermission(ro.content.rootFolder, 'nobody', False)
    stats = shared_sim.stats()
    assert stats['methods'] == {'RetrieveAllPermissions': 2, 'RetrieveRolePermissions': 1, 'RemoveEntityPermission': 1}
    assert stats['total'] == 4 and shared_sim.stats()['total'] == 4  # /_stats itself is not counted
    assert shared_sim.soap_calls() == 4 and shared_sim.soap_calls('RetrieveAllPermissions') == 2
    assert shared_sim.soap_calls('Fetch') == 0 and shared_sim.writes_since_reset() == 1
    assert ro.find('DC1').name == 'DC1'  # pyVmomi's lazy property read is one Fetch
    assert shared_sim.soap_calls('FindByInventoryPath') == 1 and shared_sim.soap_calls('Fetch') == 1
    shared_sim.reset_stats()
    assert shared_sim.soap_calls() == 0
