"""vcenter_nonpropagating_permission against the govmomi vCenter simulator (real SOAP through pyVmomi)."""
from __future__ import annotations

import pytest

from tests.support.modules import run_module, ModuleFailed, warning_texts
from tests.support.vsphere import Direct

pytestmark = pytest.mark.vcsim

MODULE = 'vcenter_nonpropagating_permission'
ACME = 'acme-dr@vsphere.local'
GLOBEX = 'globex-dr@vsphere.local'


@pytest.fixture
def sim(fresh_vcsim):
    return fresh_vcsim


@pytest.fixture
def direct(sim):
    with Direct(sim) as d:
        yield d


def acme_objects(direct):
    return ['/DC1', '/DC1/host/CL1'] + direct.children_vms('/DC1/vm/tenants/acme')


def test_assigns_role_on_many_objects_without_propagation(sim, direct):
    objects = acme_objects(direct)
    vm_moid = direct.find(objects[-1])._moId
    refs = objects[:-1] + ['VirtualMachine:%s' % vm_moid]
    sim.reset_stats()
    res = run_module(MODULE, sim.connection_args(principal=ACME, role='ReadOnly', objects=refs))
    assert res['changed'] is True
    assert res['summary']['add'] == len(objects) and res['summary']['writes'] == len(objects)
    for path in objects:
        assert direct.permissions(path)['vsphere.local\\acme-dr'] == ('ReadOnly', False)
    # bulk reads: one inventory pass and one RetrieveAllPermissions, one write per object
    assert sim.soap_calls('RetrieveAllPermissions') == 1
    assert sim.soap_calls('RetrievePropertiesEx') == 1
    assert sim.soap_calls('SetEntityPermissions') == len(objects)
    assert sim.writes_since_reset() == len(objects)


def test_rerun_changes_nothing_and_sends_no_write(sim, direct):
    objects = acme_objects(direct)
    run_module(MODULE, sim.connection_args(principal=ACME, role='ReadOnly', objects=objects))
    sim.reset_stats()
    # the same principal in DOMAIN\login form is the same principal
    res = run_module(MODULE, sim.connection_args(principal='VSPHERE.LOCAL\\acme-dr', role='Read-only', objects=objects))
    assert res['changed'] is False and res['changes'] == []
    assert res['summary']['unchanged'] == len(objects)
    assert sim.writes_since_reset() == 0


def test_check_mode_reports_exactly_what_the_real_run_changes(sim, direct):
    objects = acme_objects(direct)
    direct.set_permission(objects[-1], 'VSPHERE.LOCAL\\acme-dr', 'ReadOnly', propagate=True)
    sim.reset_stats()
    check = run_module(MODULE, sim.connection_args(principal=ACME, role='ReadOnly', objects=objects), check_mode=True, diff=True)
    assert sim.writes_since_reset() == 0
    assert check['changed'] is True
    assert 'propagate=true' in check['diff']['before'] and objects[-1] in check['diff']['after']
    real = run_module(MODULE, sim.connection_args(principal=ACME, role='ReadOnly', objects=objects))
    strip = [(c['path'], c['action'], c['before'], c['after']) for c in check['changes']]
    assert strip == [(c['path'], c['action'], c['before'], c['after']) for c in real['changes']]
    assert sim.writes_since_reset() == len(real['changes'])


def test_explicit_propagating_permission_is_converged_to_false(sim, direct):
    vm = direct.children_vms('/DC1/vm/tenants/acme')[0]
    direct.set_permission(vm, 'VSPHERE.LOCAL\\acme-dr', 'ReadOnly', propagate=True)
    res = run_module(MODULE, sim.connection_args(principal=ACME, role='ReadOnly', objects=[vm]))
    assert [(c['action'], c['before']['propagate'], c['after']['propagate']) for c in res['changes']] == [('update', True, False)]
    assert list(direct.permissions(vm).values()) == [('ReadOnly', False)]


def test_two_tenants_on_a_shared_datacenter_keep_each_others_permissions(sim, direct):
    run_module(MODULE, sim.connection_args(principal=ACME, role='ReadOnly', objects=['/DC1', '/DC1/host/CL1']))
    run_module(MODULE, sim.connection_args(principal=GLOBEX, role='ReadOnly', objects=['/DC1', '/DC1/host/CL1']))
    perms = direct.permissions('/DC1')
    assert {'vsphere.local\\acme-dr', 'vsphere.local\\globex-dr'} <= set(perms)
    # removing acme leaves globex untouched
    run_module(MODULE, sim.connection_args(principal=ACME, state='absent', objects=['/DC1', '/DC1/host/CL1']))
    for path in ('/DC1', '/DC1/host/CL1'):
        names = set(direct.permissions(path))
        assert 'vsphere.local\\globex-dr' in names and 'vsphere.local\\acme-dr' not in names


def test_absent_removes_only_this_principal_whatever_the_role(sim, direct):
    vms = direct.children_vms('/DC1/vm/tenants/acme')
    direct.set_permission(vms[0], 'VSPHERE.LOCAL\\acme-dr', 'NoAccess')
    direct.set_permission(vms[0], 'VSPHERE.LOCAL\\globex-dr', 'ReadOnly')
    res = run_module(MODULE, sim.connection_args(principal=ACME, state='absent', objects=[vms[0]]))
    assert [(c['action'], c['before']['role']) for c in res['changes']] == [('remove', 'NoAccess')]
    assert list(direct.permissions(vms[0])) == ['vsphere.local\\globex-dr']
    again = run_module(MODULE, sim.connection_args(principal=ACME, state='absent', objects=[vms[0]]))
    assert again['changed'] is False


def test_absent_everywhere_and_exclusive(sim, direct):
    vms = direct.children_vms('/DC1/vm/tenants/acme')
    run_module(MODULE, sim.connection_args(principal=ACME, role='ReadOnly', objects=vms + ['/DC1']))
    res = run_module(MODULE, sim.connection_args(principal=ACME, role='ReadOnly', objects=vms[:1], exclusive=True))
    assert sorted(c['path'] for c in res['changes'] if c['action'] == 'remove') == sorted(vms[1:] + ['/DC1'])
    res = run_module(MODULE, sim.connection_args(principal=ACME, state='absent', all_objects=True))
    assert [c['path'] for c in res['changes']] == [vms[0]]
    assert not any(p.principal.lower().endswith('acme-dr') for p in direct.all_permissions())


def test_many_principals_in_one_task(sim, direct):
    sim.reset_stats()
    res = run_module(MODULE, sim.connection_args(assignments=[
        dict(principal=ACME, role='ReadOnly', objects=['/', '/DC1']),
        dict(principal=GLOBEX, role='ReadOnly', objects=['/', '/DC1']),
    ]))
    assert res['summary']['add'] == 4
    # one SetEntityPermissions per object carries both principals
    assert sim.soap_calls('SetEntityPermissions') == 2 and sim.soap_calls('RetrieveAllPermissions') == 1


@pytest.mark.parametrize('obj, expected', [
    ('/DC1/vm', "root 'vm' folder of datacenter 'DC1'"),
    ('/DC1/host/CL1/Resources', "root resource pool of cluster 'CL1'"),
])
def test_objects_that_cannot_hold_permissions_are_refused(sim, obj, expected):
    sim.reset_stats()
    res = run_module(MODULE, sim.connection_args(principal=ACME, role='ReadOnly', objects=['/DC1', obj]), expect_failure=True)
    assert expected in res['msg'] and obj in res['msg'] and 'instead' in res['msg']
    assert sim.writes_since_reset() == 0


def test_everything_is_validated_before_the_first_write(sim):
    sim.reset_stats()
    res = run_module(MODULE, sim.connection_args(assignments=[
        dict(principal=ACME, role='ReadOnly', objects=['/DC1', '/DC1/vm/tenants/acme/no-such-vm', 'Datastore:vm-99999']),
        dict(principal=GLOBEX, role='No_Such_Role', objects=['/DC1']),
        dict(principal='bad name@vsphere.local', role='ReadOnly', objects=['/DC1']),
    ]), expect_failure=True)
    msg = res['msg']
    assert 'nothing was changed' in msg
    assert "'/DC1/vm/tenants/acme/no-such-vm' was not found" in msg and "'Datastore:vm-99999' was not found" in msg
    assert "role 'No_Such_Role' does not exist" in msg and 'ReadOnly' in msg
    assert "principal 'bad name@vsphere.local' is not a valid" in msg
    assert sim.writes_since_reset() == 0


def test_unknown_principal_is_refused_before_any_write(sim):
    sim.reset_stats()
    res = run_module(MODULE, sim.connection_args(assignments=[
        dict(principal=ACME, role='ReadOnly', objects=['/DC1']),
        dict(principal='nobody@vsphere.local', role='ReadOnly', objects=['/DC1']),
    ]), expect_failure=True)
    assert "'nobody@vsphere.local'" in res['msg'] and 'user directory' in res['msg']
    assert sim.writes_since_reset() == 0


def test_propagate_true_is_honoured_but_warns(sim, direct):
    res = run_module(MODULE, sim.connection_args(principal=ACME, role='ReadOnly', objects=['/DC1/vm/tenants/acme'], propagate=True))
    assert any('propagate=true' in w for w in warning_texts(res))
    assert list(direct.permissions('/DC1/vm/tenants/acme').values()) == [('ReadOnly', True)]


def test_connection_options_fall_back_to_awx_environment(sim, monkeypatch):
    monkeypatch.setenv('VMWARE_HOST', sim.host)
    monkeypatch.setenv('VMWARE_PORT', str(sim.port))
    monkeypatch.setenv('VMWARE_USER', sim.username)
    monkeypatch.setenv('VMWARE_PASSWORD', sim.password)
    monkeypatch.setenv('VMWARE_VALIDATE_CERTS', 'false')
    res = run_module(MODULE, dict(principal=ACME, role='ReadOnly', objects=['/DC1']))
    assert res['changed'] is True
    assert sim.password not in repr(res)


def test_validate_certs_defaults_to_true(sim):
    a = sim.connection_args(principal=ACME, role='ReadOnly', objects=['/DC1'])
    del a['validate_certs']
    with pytest.raises(ModuleFailed) as err:
        run_module(MODULE, a)
    assert 'TLS' in err.value.msg or 'certificate' in err.value.msg.lower()
