"""vcenter_tenant_role against the govmomi vCenter simulator (real SOAP through pyVmomi)."""
from __future__ import annotations

import pytest

from tests.support.asr_privileges import READ_ONLY as SYSTEM_PRIVILEGES, VM_CONFIG_65U1, expected_asr_role
from tests.support.modules import run_module
from tests.support.vsphere import Direct

pytestmark = pytest.mark.vcsim
MODULE = 'vcenter_tenant_role'


@pytest.fixture
def sim(fresh_vcsim):
    return fresh_vcsim


@pytest.fixture
def direct(sim):
    with Direct(sim) as d:
        yield d


def server_config_privileges(direct):
    return sorted(p.privId for p in direct.auth.privilegeList if p.privGroupName == 'VirtualMachine.Config')


def test_creates_the_asr_role_from_the_servers_privilege_list(sim, direct):
    sim.reset_stats()
    res = run_module(MODULE, sim.connection_args())
    assert res['changed'] is True and res['action'] == 'create'
    role = direct.role('Azure_Site_Recovery')
    assert role is not None and role.roleId == res['role']['id']
    config = server_config_privileges(direct)
    # the simulator's dump is vCenter 6.5U1's (vsphere.md): its Config group is the hand-written 6.5U1 table
    assert config == sorted(VM_CONFIG_65U1)
    known = {p.privId for p in direct.auth.privilegeList}
    # exactly: Read-only + seed 000's list (hand-written, tests/support/asr_privileges.py) + Configuration > all
    assert sorted(role.privilege) == sorted(expected_asr_role(known))
    assert len(role.privilege) == 3 + 25 + 27
    assert sim.writes_since_reset() == 1


def test_rerun_is_unchanged_and_writes_nothing(sim):
    run_module(MODULE, sim.connection_args())
    sim.reset_stats()
    res = run_module(MODULE, sim.connection_args())
    assert res['changed'] is False and res['action'] == 'none'
    assert res['compatibility']['compatible'] is True and res['compatibility']['missing_privileges'] == []
    assert sim.writes_since_reset() == 0


def test_unknown_privileges_are_named_with_suggestions_and_nothing_is_written(sim, direct):
    sim.reset_stats()
    res = run_module(MODULE, sim.connection_args(privileges=['Datastore.Browze', 'VirtualMachine.Interact.PowerOnn']), expect_failure=True)
    assert "'Datastore.Browze' (did you mean 'Datastore.Browse'" in res['msg']
    assert "'VirtualMachine.Interact.PowerOnn' (did you mean 'VirtualMachine.Interact.PowerOn'" in res['msg']
    assert direct.role('Azure_Site_Recovery') is None
    assert sim.writes_since_reset() == 0


def test_check_mode_reports_a_legacy_roles_gaps_without_changing_it(sim, direct):
    direct.auth.AddAuthorizationRole('Legacy_DR', ['Datastore.Browse', 'Host.Config.Power'])
    sim.reset_stats()
    res = run_module(MODULE, sim.connection_args(name='Legacy_DR'), check_mode=True, diff=True)
    compat = res['compatibility']
    assert compat['exists'] is True and compat['compatible'] is False
    assert 'Network.Assign' in compat['missing_privileges'] and 'Datastore.Browse' not in compat['missing_privileges']
    assert compat['extra_privileges'] == ['Host.Config.Power']
    assert res['changed'] is True and 'Host.Config.Power' in res['removed_privileges']
    assert '- Host.Config.Power' in res['diff']['before'] and '- Host.Config.Power' not in res['diff']['after']
    assert sim.writes_since_reset() == 0
    assert set(direct.role('Legacy_DR').privilege) == {'Datastore.Browse', 'Host.Config.Power'} | set(SYSTEM_PRIVILEGES)


def test_add_mode_keeps_other_privileges(sim, direct):
    direct.auth.AddAuthorizationRole('Provider_DR', ['Host.Config.Power'])
    res = run_module(MODULE, sim.connection_args(name='Provider_DR', privilege_mode='add'))
    assert res['removed_privileges'] == []
    have = set(direct.role('Provider_DR').privilege)
    assert 'Host.Config.Power' in have and 'Network.Assign' in have
    assert run_module(MODULE, sim.connection_args(name='Provider_DR', privilege_mode='add'))['changed'] is False


def test_rename_is_idempotent(sim, direct):
    run_module(MODULE, sim.connection_args())
    res = run_module(MODULE, sim.connection_args(new_name='ASR_Tenant_Discovery'))
    assert res['changed'] is True and res['role']['name'] == 'ASR_Tenant_Discovery'
    assert direct.role('Azure_Site_Recovery') is None and direct.role('ASR_Tenant_Discovery') is not None
    assert run_module(MODULE, sim.connection_args(new_name='ASR_Tenant_Discovery'))['changed'] is False


def test_no_failback_profile_is_read_only(sim, direct):
    run_module(MODULE, sim.connection_args(name='ASR_NoFailback', profile='asr_no_failback'))
    assert set(direct.role('ASR_NoFailback').privilege) == set(SYSTEM_PRIVILEGES)


def test_custom_profile(sim, direct):
    run_module(MODULE, sim.connection_args(name='Only_Browse', profile='custom', privileges=['Datastore.Browse']))
    assert set(direct.role('Only_Browse').privilege) == {'Datastore.Browse'} | set(SYSTEM_PRIVILEGES)


def test_absent_refuses_a_role_in_use_and_lists_where(sim, direct):
    run_module(MODULE, sim.connection_args())
    direct.set_permission('/DC1', 'VSPHERE.LOCAL\\acme-dr', 'Azure_Site_Recovery')
    sim.reset_stats()
    res = run_module(MODULE, sim.connection_args(state='absent'), expect_failure=True)
    assert 'still used by 1 permission' in res['msg'] and '/DC1' in res['msg'] and 'acme-dr' in res['msg']
    assert sim.writes_since_reset() == 0 and direct.role('Azure_Site_Recovery') is not None
    res = run_module(MODULE, sim.connection_args(state='absent', force=True))
    assert res['changed'] is True and res['used_by'][0]['path'] == '/DC1'
    assert direct.role('Azure_Site_Recovery') is None
    assert 'vsphere.local\\acme-dr' not in direct.permissions('/DC1')
    assert run_module(MODULE, sim.connection_args(state='absent'))['changed'] is False


def test_system_roles_are_never_changed(sim):
    res = run_module(MODULE, sim.connection_args(name='ReadOnly'), expect_failure=True)
    assert 'built-in vCenter system role' in res['msg']
