"""tests/lab/verify.py - the independent check that molecule and the playbook tests rely on - against the simulator.

A clean onboarding of the sample's shared-hosting tenants must pass it; each kind of defect injected afterwards with
pyVmomi must make it raise its own error.  The expected state comes from the hand-written tables
(tests/support/expected_plan.py, tests/support/asr_privileges.py), so these tests also prove that verify.py checks
every object of seed 000's table.
"""
from __future__ import annotations

import pytest

from tests.lab import verify as v
from tests.support.expected_plan import DOMAIN_ADDITIONS, EXACT
from tests.support.onboarding import onboard, verify_tenant
from tests.support.tenants import tenants
from tests.support.vsphere import Direct

pytestmark = pytest.mark.vcsim

ACME = 'VSPHERE.LOCAL\\acme-dr'


@pytest.fixture
def onboarded(fresh_vcsim):
    onboard(fresh_vcsim, tenants())
    with Direct(fresh_vcsim) as direct, \
            v.VCenterReader(fresh_vcsim.host, fresh_vcsim.port, fresh_vcsim.username, fresh_vcsim.password) as reader:
        yield fresh_vcsim, direct, reader


def check(reader, name, placement=None):
    return v.check_vcenter_present(reader, verify_tenant([t for t in tenants() if t['name'] == name][0]),
                                   placement=placement)


def test_a_clean_onboarding_passes_for_every_tenant(onboarded):
    _sim, _direct, reader = onboarded
    for name in ('acme', 'globex', 'initech'):
        lines = check(reader, name)
        assert 'exactly its plan (placement domain)' in lines[-1]
    assert 'holds exactly seed 000\'s privileges (55)' in check(reader, 'acme')[0]     # 3 + 25 + 27 (6.5U1 Config)


def test_every_object_kind_of_the_seed_table_is_checked():
    kinds = {kind for table in EXACT.values() for _typ, kind, _role in table.values()}
    assert kinds == {'vcenter_root', 'datacenter', 'cluster', 'host', 'datastore', 'datastore_cluster', 'network',
                     'management_server', 'tenant_vm'}


def test_domain_placement_needs_the_hosts_of_the_clusters(fresh_vcsim):
    """The placement switch: an exact onboarding lacks the domain additions (issue 13), and verify.py names them."""
    onboard(fresh_vcsim, [dict(t, placement='exact') for t in tenants()])
    with v.VCenterReader(fresh_vcsim.host, fresh_vcsim.port, fresh_vcsim.username, fresh_vcsim.password) as reader:
        check(reader, 'acme', placement='exact')
        with pytest.raises(v.MissingPermission) as err:
            check(reader, 'acme', placement='domain')
        assert str(err.value).endswith('host /DC1/host/CL2/esx-05: expected Azure_Site_Recovery on a HostSystem, '
                                       'got none')
        with pytest.raises(v.MissingPermission) as err:
            check(reader, 'initech', placement='domain')
        for path in DOMAIN_ADDITIONS['initech']:
            assert path in str(err.value)


def test_a_missing_datastore_permission_is_an_error(onboarded):
    _sim, direct, reader = onboarded
    direct.auth.RemoveEntityPermission(direct.find('/DC1/datastore/ds-02'), ACME, False)
    with pytest.raises(v.MissingPermission, match='datastore /DC1/datastore/ds-02: expected Azure_Site_Recovery on a '
                                                  'Datastore, got none'):
        check(reader, 'acme')
    check(reader, 'globex')     # globex's permission on ds-02 is still there


def test_a_missing_datastore_cluster_permission_is_an_error(onboarded):
    _sim, direct, reader = onboarded
    direct.auth.RemoveEntityPermission(direct.find('/DC1/datastore/dsc-01'), 'VSPHERE.LOCAL\\initech-dr', False)
    with pytest.raises(v.MissingPermission, match='datastore_cluster /DC1/datastore/dsc-01'):
        check(reader, 'initech')


def test_a_propagating_permission_is_an_error(onboarded):
    _sim, direct, reader = onboarded
    direct.set_permission('/DC1/network/pg-acme', ACME, 'Azure_Site_Recovery', propagate=True)
    with pytest.raises(v.PropagatingPermission, match=r"propagating permissions on \['/DC1/network/pg-acme'\]"):
        check(reader, 'acme')


def test_another_tenants_vm_made_visible_is_an_error(onboarded):
    _sim, direct, reader = onboarded
    direct.set_permission('/DC1/vm/tenants/globex/globex-vm01', ACME, 'ReadOnly')
    with pytest.raises(v.ForeignVmVisible, match='globex-vm01 \\(tenant globex, permission on the VM\\)'):
        check(reader, 'acme')


def test_vms_of_no_tenant_visible_through_a_folder_grant_are_an_error(onboarded):
    """Visibility is computed from vSphere's inheritance rules, not only from permissions on VMs: a propagating grant
    on a folder shows every VM below it (found even when the propagating check is bypassed)."""
    _sim, direct, reader = onboarded
    direct.set_permission('/DC1/vm/unassigned', ACME, 'ReadOnly', propagate=True)
    visible = reader.visible_vms('acme-dr@vsphere.local')
    assert visible['/DC1/vm/unassigned/orphan-01'] == 'propagating permission on /DC1/vm/unassigned'
    assert visible['/DC1/vm/unassigned/orphan-02'] == 'propagating permission on /DC1/vm/unassigned'
    assert '/DC2/vm/unassigned/orphan-01' not in visible
    with pytest.raises(v.PropagatingPermission):
        check(reader, 'acme')


def test_a_compute_side_grant_shows_the_vms_of_the_cluster(onboarded):
    """Rule 4: VMs inherit from the compute side too - a propagating grant on CL2 shows globex-vm02 and the orphans."""
    _sim, direct, reader = onboarded
    direct.set_permission('/DC1/host/CL2', ACME, 'Azure_Site_Recovery', propagate=True)
    visible = reader.visible_vms('acme-dr@vsphere.local')
    assert {'/DC1/vm/tenants/globex/globex-vm02', '/DC1/vm/mgmt/globex-cs01', '/DC1/vm/unassigned/orphan-01'} <= set(visible)
    assert '/DC1/vm/tenants/globex/globex-vm01' not in visible       # on CL1


def test_a_permission_outside_the_plan_is_an_error(onboarded):
    _sim, direct, reader = onboarded
    direct.set_permission('/DC2/datastore/ds-21', ACME, 'Azure_Site_Recovery')
    with pytest.raises(v.UnexpectedPermission, match=r'/DC2/datastore/ds-21 \(Datastore\)'):
        check(reader, 'acme')


def test_a_privilege_missing_from_the_role_is_an_error(onboarded):
    _sim, direct, reader = onboarded
    role = direct.role('Azure_Site_Recovery')
    kept = [p for p in role.privilege if p != 'VirtualMachine.Interact.ToolsInstall']
    direct.auth.UpdateAuthorizationRole(role.roleId, role.name, kept)
    with pytest.raises(v.RoleMismatch, match=r"missing \['VirtualMachine.Interact.ToolsInstall'\]; not in the list nothing"):
        check(reader, 'acme')


def test_an_unknown_placement_is_refused(onboarded):
    _sim, _direct, reader = onboarded
    with pytest.raises(v.VerifyError, match="placement 'everywhere' is not one of exact, domain"):
        check(reader, 'acme', placement='everywhere')
