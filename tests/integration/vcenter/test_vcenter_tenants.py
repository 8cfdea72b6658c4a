"""vcenter_tenants (one login, one inventory read per vCenter) against the simulator: the same end state as the
single-purpose modules, an idempotent re-run within the issue's call budget, check mode, offboarding that leaves the
other principals untouched, and the role-creation race."""
from __future__ import annotations

import pytest

from tests.support.modules import run_module
from tests.support.tenants import tenants
from tests.support.vsphere import Direct

pytestmark = pytest.mark.vcsim

MODULE = 'vcenter_tenants'
WRITES = ('SetEntityPermissions', 'RemoveEntityPermission', 'AddAuthorizationRole', 'UpdateAuthorizationRole',
          'RemoveAuthorizationRole', 'ResetEntityPermissions')


def methods(sim):
    return {k: int(v) for k, v in sim.stats()['methods'].items()}


def writes(sim):
    m = methods(sim)
    return sum(m.get(w, 0) for w in WRITES)


def permission_set(sim):
    with Direct(sim) as d:
        names = {r.roleId: r.name for r in d.auth.roleList}
        return sorted((p.entity._moId, p.principal, bool(p.group), names.get(p.roleId), bool(p.propagate))
                      for p in d.all_permissions())


def single_purpose_onboard(sim):
    run_module('vcenter_tenant_role', sim.connection_args())
    mapping = run_module('tenant_mapping', sim.connection_args(tenants=tenants()))
    run_module('vcenter_nonpropagating_permission', sim.connection_args(assignments=mapping['assignments'], exclusive=True))


def test_onboard_matches_the_single_purpose_modules_and_rerun_is_cheap(vcsim_factory):
    ours, reference = vcsim_factory(), vcsim_factory()
    single_purpose_onboard(reference)
    ours.reset_stats()
    first = run_module(MODULE, ours.connection_args(tenants=tenants(), fail_on_leak=True))
    assert first['changed'] and first['audit']['clean']
    assert [r['action'] for r in first['roles']] == ['create']
    m = methods(ours)
    # one permission read; the audit after the writes is of that read with the writes vCenter accepted
    assert m.get('Login') == 1 and m.get('RetrieveAllPermissions') == 1
    assert permission_set(ours) == permission_set(reference)
    ours.reset_stats()
    again = run_module(MODULE, ours.connection_args(tenants=tenants(), fail_on_leak=True))
    assert not again['changed'] and again['writes'] == 0
    m = methods(ours)
    assert writes(ours) == 0
    assert m.get('Login') == 1 and m.get('RetrievePropertiesEx') == 1 and m.get('RetrieveAllPermissions') == 1
    assert sum(m.values()) <= 20, m
    assert any(line.startswith('audit: clean') for line in again['summary'])
    assert 'plan initech: 2 tenant VM(s), 1 management server(s), 8 object(s), role ReadOnly (no failback)' in again['summary'] \
        or any(line.startswith('plan initech:') and line.endswith('(no failback)') for line in again['summary'])


def test_check_mode_reports_and_writes_nothing(fresh_vcsim):
    fresh_vcsim.reset_stats()
    res = run_module(MODULE, fresh_vcsim.connection_args(tenants=tenants()), check_mode=True)
    assert res['changed'] and writes(fresh_vcsim) == 0
    assert res['roles'][0]['action'] == 'create'
    assert res['permissions']['summary']['add'] > 0 and res['permissions']['summary']['writes'] == 0
    assert 'DR role Azure_Site_Recovery: would create' in res['summary']
    # the audit in check mode is of the state the run would leave: clean
    assert res['audit']['clean']


def test_offboarding_one_tenant_keeps_the_others_and_the_role(fresh_vcsim):
    run_module(MODULE, fresh_vcsim.connection_args(tenants=tenants()))
    before = permission_set(fresh_vcsim)
    res = run_module(MODULE, fresh_vcsim.connection_args(tenants=tenants(), offboard=['acme'], only=[]))
    off = res['offboarding']
    assert off['touched'] == [] and off['roles_deleted'] == [] and off['summary']['remove'] > 0
    assert 'DR role Azure_Site_Recovery: kept (remaining tenants of this vCenter use it)' in res['summary']
    assert any(line.startswith('audit before: globex') for line in res['summary'])
    after = permission_set(fresh_vcsim)
    assert [p for p in before if 'acme-dr' not in p[1].lower()] == after
    assert len(after) < len(before)


def test_offboarding_the_last_tenant_deletes_the_unused_role(fresh_vcsim):
    acme = [t for t in tenants() if t['name'] == 'acme']
    run_module(MODULE, fresh_vcsim.connection_args(tenants=acme))
    res = run_module(MODULE, fresh_vcsim.connection_args(tenants=acme, offboard=['acme']))
    assert res['offboarding']['roles_deleted'] == ['Azure_Site_Recovery']
    with Direct(fresh_vcsim) as d:
        assert d.role('Azure_Site_Recovery') is None


def test_audit_mode_reports_permissions_left_to_an_offboarded_account(fresh_vcsim):
    run_module(MODULE, fresh_vcsim.connection_args(tenants=tenants()))
    fresh_vcsim.reset_stats()
    res = run_module(MODULE, fresh_vcsim.connection_args(tenants=tenants(), offboard=['acme'], mode='audit'))
    assert writes(fresh_vcsim) == 0 and not res['changed']
    report = res['report']
    assert not report['clean'] and report['verdict'].startswith('NOT CLEAN') and report['leftovers']['acme']
    assert any('acme: offboarded - ' in line and 'permission(s) left, e.g. /' in line for line in report['lines'])


def test_a_role_created_concurrently_is_adopted(fresh_vcsim):
    """Two AWX slices: the other one creates the DR role between our read and our write."""
    from ansible_collections.tenantdr.asr.plugins.module_utils import vcenter as vc_mod  # pylint: disable=import-outside-toplevel
    from ansible_collections.tenantdr.asr.plugins.module_utils.role_profiles import ASR_PRIVILEGES  # pylint: disable=import-outside-toplevel
    from ansible_collections.tenantdr.asr.plugins.module_utils.tenant_converge import converge_vcenter  # pylint: disable=import-outside-toplevel
    from ansible_collections.tenantdr.asr.plugins.module_utils.tenant_plan import validate_tenants  # pylint: disable=import-outside-toplevel

    params = fresh_vcsim.connection_args()
    with vc_mod.VCenterConnection(params) as conn:
        snap = conn.read_snapshot()
        with Direct(fresh_vcsim) as other:  # the other slice wins the race
            other.auth.AddAuthorizationRole('Azure_Site_Recovery', list(ASR_PRIVILEGES[:3]))
        result = converge_vcenter(conn, snap, validate_tenants(tenants()), label='sim')
    assert [r['action'] for r in result['roles']] == ['update']
    assert result['audit']['clean']
    with Direct(fresh_vcsim) as d:
        assert len([r for r in d.auth.roleList if r.name == 'Azure_Site_Recovery']) == 1


def test_the_first_run_audits_what_the_new_dr_role_really_grants(fresh_vcsim):
    """The audit of the run that creates the DR role sees the role as vCenter stores it (System.View added to every
    role), so each account sees its own VMs right away - and a VM of another tenant made visible would be caught."""
    first = run_module(MODULE, fresh_vcsim.connection_args(tenants=tenants(), fail_on_leak=True))
    assert [r['action'] for r in first['roles']] == ['create']
    acme = first['audit']['tenants']['acme']
    # tests/simulator/inventory.py: acme's folder holds acme-vm01, acme-vm02, acme-db01; its configuration server acme-cs01
    assert sorted(p.rsplit('/', 1)[-1] for p in acme['own_vms_visible']) == ['acme-cs01', 'acme-db01', 'acme-vm01',
                                                                             'acme-vm02']
    assert acme['own_vms_not_visible'] == []


def generated_tenant(name, account=None):
    """A tenant of tests.simulator.inventory.generated_inventory (its folder, its configuration server)."""
    from tests.simulator.inventory import dr_account  # pylint: disable=import-outside-toplevel
    return dict(name=name, topology='shared_hsp', access_account=account or dr_account(name),
                vm_selectors=dict(folders=['/DC1/vm/tenants/%s' % name]), management_servers=['/DC1/vm/mgmt/%s-cs01' % name])


def test_many_new_access_accounts_are_checked_with_one_directory_listing(vcsim_factory):
    """Onboarding many tenants at once: their new access accounts are looked up with one RetrieveUserGroups listing of
    the domain (plus one exact lookup for an account the listing does not show), not one call per account; an
    unknown account is refused by name before any write."""
    from tests.simulator.inventory import generated_inventory, tenant_name  # pylint: disable=import-outside-toplevel
    sim = vcsim_factory(generated_inventory(6, 1))
    names = [tenant_name(i) for i in range(1, 7)]
    wrong = [generated_tenant(n) for n in names[:5]] + [generated_tenant(names[5], 'nobody@vsphere.local')]
    sim.reset_stats()
    res = run_module(MODULE, sim.connection_args(tenants=wrong), expect_failure=True)
    assert "'nobody@vsphere.local'" in res['msg'] and 'user directory' in res['msg']
    assert writes(sim) == 0
    assert methods(sim).get('RetrieveUserGroups') == 2  # the listing, then the exact lookup of nobody
    sim.reset_stats()
    res = run_module(MODULE, sim.connection_args(tenants=[generated_tenant(n) for n in names], parallel_writes=4))
    assert res['changed'] and methods(sim).get('RetrieveUserGroups') == 1
    assert methods(sim).get('SetEntityPermissions', 0) > 6


def test_parallel_writes_below_one_is_refused_before_connecting(vcsim_factory):
    sim = vcsim_factory()
    sim.reset_stats()
    res = run_module(MODULE, sim.connection_args(tenants=tenants(), parallel_writes=0), expect_failure=True)
    assert res['msg'] == 'parallel_writes must be 1 (one write after another) or more; got 0'
    assert sim.stats()['total'] == 0
