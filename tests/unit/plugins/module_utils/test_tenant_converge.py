"""Pure pieces of the vCenter pipeline (tenant_converge): what blocks a run, who was touched by an offboarding, the
audit verdict of a vCenter (every branch, including an offboarded account that still holds permissions), the
in-memory view of this run's writes; and the audit playbook's template rendered for every branch."""
from __future__ import annotations

import os

import jinja2
from ansible.plugins.filter.core import FilterModule

from ansible_collections.tenantdr.asr.plugins.module_utils import tenant_converge as tc
from tests.unit.plugins.module_utils.snapshots import small_snapshot

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))


def leak(cls, tenant, path='/DC1/vm/x'):
    return {'class': cls, 'tenant': tenant, 'path': path, 'detail': '%s %s' % (tenant, cls)}


def test_missing_permissions_of_tenants_outside_the_run_do_not_block():
    report = dict(leaks=[leak('missing_permission', 'acme'), leak('missing_permission', 'globex'),
                         leak('foreign_vm_visible', 'globex')])
    assert tc.blocking_leaks(report, {'acme'}) == [report['leaks'][0], report['leaks'][2]]


def test_touched_tenants_compares_visible_vms_and_leak_classes():
    def entry(paths, classes):
        return dict(visible_vms=[dict(path=p) for p in paths], leaks=[{'class': c} for c in classes])
    before = dict(tenants=dict(a=entry(['/v1', '/v2'], []), b=entry(['/v3'], []), c=entry([], ['missing_permission'])))
    after = dict(tenants=dict(a=entry(['/v2', '/v1'], []), b=entry(['/v3', '/v9'], []), c=entry([], [])))
    assert tc.touched_tenants(before, after, ['a', 'b', 'c']) == ['b', 'c']


def test_leftovers_per_offboarded_tenant_in_either_principal_form():
    snap = small_snapshot(permissions=[
        dict(entity='vm-1', principal='VSPHERE.LOCAL\\acme-dr', group=False, role_id=1000, propagate=False),
        dict(entity='datacenter-1', principal='acme-dr@vsphere.local', group=False, role_id=-2, propagate=False),
        dict(entity='vm-1', principal='globex-dr@vsphere.local', group=False, role_id=1000, propagate=False)])
    absent = [dict(name='acme', access_account='acme-dr@VSPHERE.LOCAL'), dict(name='initech', access_account='initech-dr@vsphere.local')]
    assert tc.offboarded_leftovers(snap, absent) == {'acme': ['/DC1', '/DC1/vm/tenants/acme/acme-vm01'], 'initech': []}


def test_apply_in_memory_adds_updates_and_removes():
    snap = small_snapshot(permissions=[
        dict(entity='vm-1', principal='VSPHERE.LOCAL\\acme-dr', group=False, role_id=-2, propagate=False),
        dict(entity='datacenter-1', principal='acme-dr@vsphere.local', group=False, role_id=-2, propagate=False)])
    after = dict(role_id=1000, propagate=False)
    tc.apply_in_memory(snap, [
        dict(object='vm-1', principal='acme-dr@vsphere.local', group=False, action='update', after=after),
        dict(object='datacenter-1', principal='acme-dr@vsphere.local', group=False, action='remove', after=None),
        dict(object='host-1', principal='acme-dr@vsphere.local', group=False, action='add', after=after)])
    assert sorted((p['entity'], p['role_id']) for p in snap.permissions) == [('host-1', 1000), ('vm-1', 1000)]


def test_plan_assignments_use_object_ids_and_role_ids():
    snap = small_snapshot()
    plan = dict(tenant='acme', access_account='acme-dr@vsphere.local', objects=[
        dict(moid='group-d1', role='ReadOnly'), dict(moid='vm-1', role='Azure_Site_Recovery'),
        dict(moid='host-1', role='Azure_Site_Recovery')])
    assert tc.plan_assignments(snap, [plan]) == [
        dict(principal='acme-dr@vsphere.local', group=False, role_id=-2, objects=['group-d1'], propagate=False),
        dict(principal='acme-dr@vsphere.local', group=False, role_id=1000, objects=['vm-1', 'host-1'], propagate=False)]


def test_audit_entry_clean_leaky_and_offboarded_branches():
    clean_report = dict(clean=True, leaks=[], counts={'foreign_vm_visible': 0}, summary=['acme: 3 VMs visible'],
                        vms_total=10, unassigned_vms_total=2)
    present = [dict(name='acme')]
    e = tc.audit_entry('vc1', clean_report, {'gone': []}, present, [], [dict(name='gone')])
    assert e['clean'] and e['verdict'] == 'clean'
    assert e['lines'][0] == 'vCenter vc1: 1 onboarded tenant(s), 1 offboarded, 10 VMs, 2 unassigned - CLEAN'
    assert '  gone: offboarded - no permission left' in e['lines']
    assert e['summary'][-1] == 'gone: offboarded, its access account holds no permission'
    # the case the audit exists for: an offboarded account still holds permissions (a template used to crash here)
    left = {'gone': ['/DC1', '/DC1/vm/a', '/DC1/vm/b', '/DC1/vm/c', '/DC1/vm/d', '/DC1/vm/e']}
    e = tc.audit_entry('vc1', clean_report, left, present, [], [dict(name='gone')])
    assert not e['clean'] and e['verdict'] == 'NOT CLEAN: 6 permission(s) of offboarded accounts'
    assert '  gone: offboarded - 6 permission(s) left, e.g. /DC1, /DC1/vm/a, /DC1/vm/b, /DC1/vm/c, /DC1/vm/d' in e['lines']
    assert e['summary'][-1] == 'gone: offboarded, its access account STILL HOLDS 6 permission(s)'
    leaky = dict(clean_report, clean=False, counts={'foreign_vm_visible': 16}, leaks=[leak('foreign_vm_visible', 'acme')] * 16)
    e = tc.audit_entry('vc1', leaky, {}, present, [], [])
    assert e['verdict'] == 'NOT CLEAN: 16 foreign_vm_visible' and e['lines'][0].endswith('LEAKS: 16')
    assert e['lines'][-1] == '  ! ... and 1 more (see the task result)'
    e = tc.audit_entry('vc1', {}, {}, [], [], [])
    assert e['clean'] and e['lines'] == ['vCenter vc1: 0 onboarded tenant(s), 0 offboarded']


def render_audit_report(**context):
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(os.path.join(REPO, 'playbooks', 'templates')),
                             trim_blocks=True)
    env.filters.update(FilterModule().filters())  # ansible.builtin filters (bool, ...)
    return env.get_template('audit_report.j2').render(**context)


def test_audit_playbook_template_every_branch():
    reports = [dict(vcenter='vc1', verdict='NOT CLEAN: 1 permission(s) of offboarded accounts',
                    summary=['acme: 3 VMs visible', 'gone: offboarded, its access account STILL HOLDS 1 permission(s)'])]
    hostvars = {
        'acme': dict(azure_tenant_vault=dict(changes=[]), azure_tenant_access=dict(changes=[])),
        'globex': dict(azure_tenant_vault=dict(changes=['would update vault']), azure_tenant_access=dict(changes=[])),
        'gone': dict(tenant_state='absent', azure_tenant_vault=dict(changes=[]), azure_tenant_access=dict(changes=['x'])),
        'left': dict(tenant_state='absent', azure_tenant_vault=dict(changes=[]), azure_tenant_access=dict(changes=[])),
        'broken': {},
    }
    out = render_audit_report(vcenter_isolation_audit=dict(audit_reports=reports), ansible_play_hosts_all=list(hostvars),
                              hostvars=hostvars, tenantdr_azure_enabled=True)
    assert '5 tenant(s), 1 vCenter(s)' in out and 'vCenter vc1: NOT CLEAN: 1 permission(s)' in out
    assert '    gone: offboarded, its access account STILL HOLDS 1 permission(s)' in out
    assert 'acme: vault, registration key and access in place' in out
    assert 'globex: DRIFT: would update vault' in out
    assert 'gone: offboarded - TENANT ACCESS REMAINS: x' in out and 'left: offboarded - no tenant access left' in out
    assert 'broken: not checked (failed earlier)' in out
    out = render_audit_report(vcenter_isolation_audit=dict(audit_reports=[]), ansible_play_hosts_all=['acme'],
                              hostvars={}, tenantdr_azure_enabled=False)
    assert '0 vCenter(s)' in out and 'Azure' not in out
