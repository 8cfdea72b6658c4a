"""tenant_isolation_audit against the vCenter simulator: three tenants on one shared vCenter.

Each test gets its own simulator, onboards the three sample tenants with the collection's own modules
(vcenter_tenant_role, tenant_mapping, vcenter_nonpropagating_permission), injects one leak on purpose
with plain pyVmomi, and checks the audit names it with the right class and path.
"""
from __future__ import annotations

import pytest

from tests.simulator.inventory import sample_inventory
from tests.support.modules import run_module
from tests.support.tenants import tenants
from tests.support.vsphere import Direct

pytestmark = pytest.mark.vcsim

MODULE = 'tenant_isolation_audit'
ACME_VMS = ['/DC1/vm/tenants/acme/acme-db01', '/DC1/vm/tenants/acme/acme-vm01', '/DC1/vm/tenants/acme/acme-vm02']
INITECH_VMS = ['/DC1/vm/tenants/initech/initech-vm01', '/DC1/vm/tenants/initech/initech-vm02']
ALL_VMS = sorted(ACME_VMS + INITECH_VMS + [
    '/DC1/vm/tenants/globex/globex-vm01', '/DC1/vm/tenants/globex/globex-vm02', '/DC1/vm/mgmt/acme-cs01',
    '/DC1/vm/mgmt/globex-cs01', '/DC1/vm/mgmt/initech-cs01', '/DC1/vm/unassigned/orphan-01', '/DC1/vm/unassigned/orphan-02',
    '/DC2/vm/unassigned/orphan-01'])
GLOBEX = 'VSPHERE.LOCAL\\globex-dr'
ACME = 'VSPHERE.LOCAL\\acme-dr'


def onboard(sim, tenant_list=None):
    """What the onboarding role does: the DR role, the plans, then the permissions (exclusive)."""
    run_module('vcenter_tenant_role', sim.connection_args())
    mapping = run_module('tenant_mapping', sim.connection_args(tenants=tenant_list or tenants()))
    run_module('vcenter_nonpropagating_permission', sim.connection_args(assignments=mapping['assignments'], exclusive=True))
    return mapping


@pytest.fixture
def sim(fresh_vcsim):
    onboard(fresh_vcsim)
    return fresh_vcsim


@pytest.fixture
def direct(sim):
    with Direct(sim) as d:
        yield d


def audit(sim, expect_failure=False, **kw):
    kw.setdefault('tenants', tenants())
    return run_module(MODULE, sim.connection_args(**kw), expect_failure=expect_failure)


def leaks(res, tenant=None):
    return sorted((lk['class'], lk['path']) for lk in res['report']['leaks'] if tenant is None or lk['tenant'] == tenant)


def remove(direct, path, principal, group=False):
    direct.auth.RemoveEntityPermission(direct.find(path), principal, group)


# ------------------------------------------------------------------------------------------

def test_clean_onboarding_audits_clean(sim):
    res = audit(sim, fail_on_leak=True)
    assert res['changed'] is False
    assert res['clean'] is True and res['report']['clean'] is True and res['report']['leaks'] == []
    t = res['report']['tenants']
    assert [v['path'] for v in t['acme']['visible_vms']] == ['/DC1/vm/mgmt/acme-cs01'] + ACME_VMS
    assert {v['roles'][0] for v in t['acme']['visible_vms']} == {'Azure_Site_Recovery'}
    assert [v['path'] for v in t['initech']['visible_vms']] == ['/DC1/vm/mgmt/initech-cs01'] + INITECH_VMS
    assert {v['roles'][0] for v in t['initech']['visible_vms']} == {'ReadOnly'}
    assert all(t[n]['foreign_vms'] == [] and t[n]['unassigned_vms'] == [] for n in t)
    assert res['summary'] == [
        'acme: 4 VMs visible (4 own of 4, 0 foreign, 0 unassigned), 0 leaks',
        'globex: 3 VMs visible (3 own of 3, 0 foreign, 0 unassigned), 0 leaks',
        'initech: 3 VMs visible (3 own of 3, 0 foreign, 0 unassigned), 0 leaks',
        "clean: no tenant access account sees another tenant's or an unassigned VM, and every plan is in place",
    ]
    assert res['report']['vms_total'] == 13 and res['report']['unassigned_vms_total'] == 3


def test_onboarding_is_idempotent_and_still_clean(sim):
    mapping = run_module('tenant_mapping', sim.connection_args(tenants=tenants()))
    sim.reset_stats()
    again = run_module('vcenter_nonpropagating_permission', sim.connection_args(assignments=mapping['assignments'], exclusive=True))
    assert again['changed'] is False and sim.writes_since_reset() == 0
    assert audit(sim)['clean'] is True


def test_propagating_permission_on_a_shared_parent(sim, direct):
    direct.set_permission('/DC1/vm/tenants', GLOBEX, 'Azure_Site_Recovery', propagate=True)
    res = audit(sim)
    assert leaks(res, 'globex') == sorted(
        [('propagating_permission', '/DC1/vm/tenants'), ('excess_permission', '/DC1/vm/tenants')]
        + [('foreign_vm_visible', p) for p in ACME_VMS + INITECH_VMS])
    assert leaks(res, 'acme') == [] and leaks(res, 'initech') == []
    [prop] = [lk for lk in res['report']['leaks'] if lk['class'] == 'propagating_permission']
    assert prop['account'] == 'globex-dr@vsphere.local' and prop['object'] == direct.find('/DC1/vm/tenants')._moId
    assert "reaches 5 VM(s) that are not globex's" in prop['detail']
    assert res['report']['tenants']['globex']['foreign_vms'] == ACME_VMS + INITECH_VMS
    assert res['clean'] is False and res['report']['counts']['foreign_vm_visible'] == 5


def test_unassigned_vm_visible(sim, direct):
    direct.set_permission('/DC1/vm/unassigned/orphan-01', ACME, 'ReadOnly')
    res = audit(sim)
    assert leaks(res) == [('excess_permission', '/DC1/vm/unassigned/orphan-01'),
                          ('unassigned_vm_visible', '/DC1/vm/unassigned/orphan-01')]
    assert res['report']['tenants']['acme']['unassigned_vms'] == ['/DC1/vm/unassigned/orphan-01']
    # the same name in DC2 is another VM, and not visible
    assert '/DC2/vm/unassigned/orphan-01' not in [v['path'] for v in res['report']['tenants']['acme']['visible_vms']]


def test_noaccess_masking_the_rejected_alternative(sim, direct):
    """Seed 000's rejected alternative: the role on the datacenter, propagated, and No access on what must stay hidden."""
    direct.set_permission('/DC1', ACME, 'Azure_Site_Recovery', propagate=True)
    for path in ('/DC1/vm/tenants/globex', '/DC1/vm/tenants/initech', '/DC1/vm/unassigned', '/DC1/vm/mgmt/globex-cs01',
                 '/DC1/vm/mgmt/initech-cs01'):
        direct.set_permission(path, ACME, 'NoAccess', propagate=True)
    res = audit(sim)
    got = leaks(res, 'acme')
    for path in ('/DC1/vm/tenants/globex', '/DC1/vm/tenants/initech', '/DC1/vm/unassigned', '/DC1/vm/mgmt/globex-cs01',
                 '/DC1/vm/mgmt/initech-cs01'):
        assert ('noaccess_masking', path) in got and ('excess_permission', path) in got
    assert ('propagating_permission', '/DC1') in got
    assert ('excess_permission', '/DC1') in got and ('missing_permission', '/DC1') in got
    # the masks cover the VM-folder path only; VMs still inherit through cluster and resource pools (rule 4)
    assert ('foreign_vm_visible', '/DC1/vm/tenants/globex/globex-vm01') in got
    assert ('unassigned_vm_visible', '/DC1/vm/unassigned/orphan-02') in got
    assert ('unassigned_vm_visible', '/DC2/vm/unassigned/orphan-01') not in got


def test_excess_permission(sim, direct):
    direct.set_permission('/DC2/datastore/ds-21', GLOBEX, 'ReadOnly')
    res = audit(sim)
    assert leaks(res) == [('excess_permission', '/DC2/datastore/ds-21')]
    assert 'which is not in the plan' in res['report']['leaks'][0]['detail']


def test_removed_planned_permission_is_missing(sim, direct):
    remove(direct, '/DC1/vm/tenants/acme/acme-vm01', ACME)
    remove(direct, '/DC1/network/pg-acme', ACME)
    res = audit(sim)
    assert leaks(res) == [('missing_permission', '/DC1/network/pg-acme'), ('missing_permission', '/DC1/vm/tenants/acme/acme-vm01')]
    detail = [lk['detail'] for lk in res['report']['leaks'] if lk['path'].endswith('acme-vm01')][0]
    assert 'is absent' in detail and 'ASR discovery would miss it' in detail
    assert res['report']['tenants']['acme']['own_vms_not_visible'] == ['/DC1/vm/tenants/acme/acme-vm01']


def test_permissions_of_the_accounts_groups(sim, direct):
    direct.set_permission('/DC1/vm/tenants/globex/globex-vm01', 'VSPHERE.LOCAL\\dr-operators', 'ReadOnly', group=True)
    res = audit(sim, tenants=tenants(acme={'access_account_groups': ['dr-operators@vsphere.local']}))
    assert leaks(res) == [('excess_permission', '/DC1/vm/tenants/globex/globex-vm01'),
                          ('foreign_vm_visible', '/DC1/vm/tenants/globex/globex-vm01')]
    # without the membership the audit cannot know; the group's permission is not the account's
    assert audit(sim)['clean'] is True


def test_fail_on_leak_names_the_leaks(sim, direct):
    direct.set_permission('/DC1/vm/tenants/acme/acme-vm02', 'VSPHERE.LOCAL\\initech-dr', 'ReadOnly')
    res = audit(sim, fail_on_leak=True, expect_failure=True)
    assert res['msg'].startswith('tenant isolation audit found 2 leak(s)')
    assert 'initech [foreign_vm_visible] /DC1/vm/tenants/acme/acme-vm02' in res['msg']
    assert 'initech [excess_permission] /DC1/vm/tenants/acme/acme-vm02' in res['msg']
    assert res['clean'] is False and len(res['report']['leaks']) == 2
    assert audit(sim)['clean'] is False   # reporting only by default


def test_every_leak_class_at_once(sim, direct):
    direct.set_permission('/DC1/vm/tenants', GLOBEX, 'Azure_Site_Recovery', propagate=True)
    direct.set_permission('/DC1/vm/unassigned/orphan-02', ACME, 'ReadOnly')
    direct.set_permission('/DC1/vm/tenants/globex', GLOBEX, 'NoAccess')
    direct.set_permission('/DC2', ACME, 'ReadOnly')
    remove(direct, '/DC1/vm/tenants/initech/initech-vm02', 'VSPHERE.LOCAL\\initech-dr')
    res = audit(sim)
    assert {c for c, n in res['report']['counts'].items() if n} == {
        'foreign_vm_visible', 'unassigned_vm_visible', 'propagating_permission', 'noaccess_masking', 'excess_permission',
        'missing_permission'}
    assert ('noaccess_masking', '/DC1/vm/tenants/globex') in leaks(res, 'globex')
    assert ('missing_permission', '/DC1/vm/tenants/initech/initech-vm02') in leaks(res, 'initech')
    assert res['summary'][-1].startswith('%d leak(s): ' % len(res['report']['leaks']))


def test_overlapping_definitions_are_refused_before_the_audit(sim):
    sim.reset_stats()
    res = audit(sim, tenants=tenants(globex={'vm_selectors': {'folders': ['/DC1/vm/tenants']}, 'datacenters': []}),
                expect_failure=True)
    assert 'vm_overlap' in {c['conflict'] for c in res['conflicts']}
    assert sim.writes_since_reset() == 0


def test_reads_everything_in_bulk_once(sim):
    for count in (1, 3):
        sim.reset_stats()
        audit(sim, tenants=tenants()[:count])
        assert sim.soap_calls('RetrieveAllPermissions') == 1
        assert sim.soap_calls('RetrievePropertiesEx') == 1
        assert sim.soap_calls('ContinueRetrievePropertiesEx') == 0
        assert sim.soap_calls('RetrieveEntityPermissions') == 0
        assert sim.writes_since_reset() == 0
        assert sim.soap_calls() <= 10


def test_check_mode_runs_the_same_audit(sim, direct):
    direct.set_permission('/DC2/datastore/ds-21', GLOBEX, 'ReadOnly')
    assert run_module(MODULE, sim.connection_args(tenants=tenants()), check_mode=True)['report'] == audit(sim)['report']


def test_live_check_on_the_simulator_sees_everything(vcsim_factory):
    """Documented behaviour: the simulator enforces no authorization (govmomi #2227), so the account lists every VM
    and the module reports a live_mismatch without counting it as a leak. On a real vCenter the listing matches."""
    # the simulator accepts one login only: make it acme's access account
    sim = vcsim_factory(sample_inventory(), username='acme-dr@vsphere.local', password='acme-Secret1')
    onboard(sim)
    res = audit(sim, live_check=True, access_passwords={'acme': 'acme-Secret1', 'globex': 'wrong-password'})
    report = res['report']
    assert res['clean'] is True and report['leaks'] == []
    live = report['live']['acme']
    assert live['checked'] is True and live['match'] is False
    assert live['visible_vms'] == ALL_VMS
    assert live['unexpected_vms'] == sorted(set(ALL_VMS) - set(ACME_VMS) - {'/DC1/vm/mgmt/acme-cs01'})
    assert live['missing_vms'] == []
    assert report['live']['initech'] == dict(checked=False, reason='no password for initech in access_passwords')
    assert report['live']['globex']['checked'] is False and 'rejected the login' in report['live']['globex']['error']
    assert [(m['class'], m['tenant']) for m in report['live_mismatches']] == [('live_mismatch', 'acme'), ('live_mismatch', 'globex')]
    assert 'acme-Secret1' not in repr(res) and 'wrong-password' not in repr(res)
    failed = audit(sim, live_check=True, access_passwords={'acme': 'acme-Secret1'}, fail_on_live_mismatch=True,
                   expect_failure=True)
    assert failed['msg'].startswith('live check differs from the computed visibility for acme')
