"""Issue 12: a vCenter job run inside an action plugin (vcenter_module.VCenterTask), as tenantdr.asr.inventory_tenants
runs vcenter_tenants, and the other tenants of a run handed from the preflight to the converge
(plugin_utils/host_variables: context_records, save/load).

Pure logic: the ``work`` functions here do not open a session; that the pipeline converges a simulator the same way
as the module is covered by the integration tests of the playbooks and of vcenter_tenants. Expected values are
written by hand from the option table of vcenter_argument_spec (defaults, choices, the VMWARE_* variables AWX's
VMware credential injects)."""
from __future__ import annotations

import os
import stat

import pytest

from ansible_collections.tenantdr.asr.plugins.module_utils.permissions import PlanError
from ansible_collections.tenantdr.asr.plugins.module_utils.tenant_converge import vcenter_tenants_options
from ansible_collections.tenantdr.asr.plugins.module_utils.vcenter_module import VCenterTask
from ansible_collections.tenantdr.asr.plugins.plugin_utils.host_variables import (
    context_records, load_context_records, save_context_records)

CONNECTION = dict(hostname='vc01.example.net', username='administrator@vsphere.local', password='S3cret-pass!')
TENANTS = [dict(name='acme', topology='shared_hsp', access_account='acme-dr@vsphere.local', vcenter='vc01.example.net:443')]


@pytest.fixture(autouse=True)
def no_vmware_environment(monkeypatch):
    for var in ('VMWARE_HOST', 'VMWARE_USER', 'VMWARE_PASSWORD', 'VMWARE_PORT', 'VMWARE_VALIDATE_CERTS',
                'TENANTDR_VCENTER_PARALLEL_WRITES', 'TENANTDR_VCENTER_RETRIES'):
        monkeypatch.delenv(var, raising=False)


def test_parameters_get_the_module_defaults_and_the_bulk_list_is_handed_on_as_it_is():
    seen = {}

    def work(job):
        seen.update(job.params)
        return dict(changed=False, check=job.check_mode)

    job = VCenterTask(vcenter_tenants_options(), dict(CONNECTION, tenants=TENANTS), check_mode=True, bulk=('tenants',))
    assert job.run(work) == dict(changed=False, check=True)
    assert seen['tenants'] is TENANTS  # not copied
    assert (seen['port'], seen['validate_certs'], seen['retries'], seen['parallel_writes']) == (443, True, 4, 16)
    assert (seen['mode'], seen['result_detail'], seen['offboard'], seen['only']) == ('converge', 'full', [], None)
    assert seen['inventory_snapshot_max_age'] == 300 and seen['delete_unused_roles'] is True


def test_connection_falls_back_to_the_awx_vmware_credential_variables(monkeypatch):
    monkeypatch.setenv('VMWARE_USER', 'svc-dr@vsphere.local')
    monkeypatch.setenv('VMWARE_PASSWORD', 'from-awx')
    monkeypatch.setenv('VMWARE_PORT', '8443')
    seen = {}
    job = VCenterTask(vcenter_tenants_options(), dict(hostname='vc01.example.net', tenants=TENANTS), bulk=('tenants',))
    job.run(lambda j: seen.update(j.params) or {})
    assert (seen['username'], seen['password'], seen['port']) == ('svc-dr@vsphere.local', 'from-awx', 8443)


@pytest.mark.parametrize('args, expected', [
    (dict(CONNECTION, tenants=TENANTS, mode='repair'), 'mode'),
    (dict(CONNECTION, tenants=TENANTS, result_detail='all'), 'result_detail'),
    (dict(hostname='vc01.example.net', tenants=TENANTS), 'username'),
    (dict(CONNECTION, tenants='acme'), 'tenants must be a list of dictionaries'),
    (dict(CONNECTION, tenants=TENANTS, parallel_writes=0), 'parallel_writes must be 1'),
])
def test_bad_parameters_fail_before_the_work_runs(args, expected):
    ran = []
    out = VCenterTask(vcenter_tenants_options(), args, bulk=('tenants',)).run(lambda j: ran.append(1) or {})
    assert out['failed'] is True and expected in out['msg'] and out['changed'] is False
    assert ran == []


def test_a_refusal_is_a_failed_result_with_its_data_and_the_password_never_shows():
    def work(job):
        job.warn('tenant acme: selector matched nothing')
        job.fail('vCenter said no to %s' % job.params['password'], conflicts=['x'])

    out = VCenterTask(vcenter_tenants_options(), dict(CONNECTION, tenants=TENANTS), bulk=('tenants',)).run(work)
    assert out['failed'] is True and out['conflicts'] == ['x']
    assert 'S3cret-pass!' not in repr(out) and out['msg'] == 'vCenter said no to ********'
    assert out['warnings'] == ['tenant acme: selector matched nothing']


def test_plan_errors_become_failures_with_their_conflicts():
    def work(_job):
        exc = PlanError('tenants acme and globex select the same VM')
        exc.conflicts = [dict(kind='vm_overlap')]
        raise exc

    out = VCenterTask(vcenter_tenants_options(), dict(CONNECTION, tenants=TENANTS), bulk=('tenants',)).run(work)
    assert out == dict(failed=True, changed=False, msg='tenants acme and globex select the same VM',
                       conflicts=[dict(kind='vm_overlap')])


def test_context_records_leave_out_the_connection_and_the_broken_hosts(tmp_path):
    good = dict(tenant_topology='shared_hsp', tenant_access_account='globex-dr@vsphere.local',
                tenant_vcenter=dict(hostname='VC01.example.net', password='not-in-the-file'),
                tenant_vm_selectors=dict(folders=['/DC1/vm/tenants/globex']), unrelated='x')
    broken = dict(tenant_topology='shared_hsp', tenant_vcenter='vc01')  # not a dictionary
    out = context_records({'globex': good, 'initech': broken}, ['globex', 'initech'], {})
    assert list(out) == ['globex']
    assert out['globex'] == dict(host='globex', name='globex', state='present', topology='shared_hsp',
                                 vcenter_key='vc01.example.net:443', vcenter_label='VC01.example.net',
                                 definition=dict(name='globex', vcenter='vc01.example.net:443', topology='shared_hsp',
                                                 access_account='globex-dr@vsphere.local',
                                                 vm_selectors=dict(folders=['/DC1/vm/tenants/globex'])))
    path = save_context_records(out, str(tmp_path / 'context.json'))
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert 'not-in-the-file' not in open(path).read()
    assert load_context_records(path) == out
    (tmp_path / 'other.json').write_text('{"format": "something else", "records": {}}')
    assert load_context_records(str(tmp_path / 'other.json')) == {}
    assert load_context_records(str(tmp_path / 'missing.json')) == {}
