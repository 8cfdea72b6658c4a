"""vcenter_tenants' compact result (result_detail: compact, what the pipeline asks for): plans without their object
lists, audited tenants with counts instead of the VMs they see, changes grouped by who gets what (every changed object
still named); problems whole. Inputs written by hand."""
from __future__ import annotations

from ansible_collections.tenantdr.asr.plugins.module_utils.tenant_converge import compact_result

PLAN = dict(tenant='acme', topology='shared_hsp', access_account='acme-dr@vsphere.local', failback=True,
            role='Azure_Site_Recovery', vms=['/DC1/vm/acme/a', '/DC1/vm/acme/b'], management_servers=['/DC1/vm/acme/cs'],
            objects=[dict(moid='vm-1', path='/DC1/vm/acme/a', role='Azure_Site_Recovery', reason='tenant VM')] * 7,
            assignments=[dict(principal='acme-dr@vsphere.local', objects=['vm-1'])])
ENTRY = dict(access_account='acme-dr@vsphere.local', role='Azure_Site_Recovery', vms=2,
             visible_vms=[dict(moid='vm-1', path='/DC1/vm/acme/a'), dict(moid='vm-9', path='/DC1/vm/globex/x')],
             own_vms_visible=['/DC1/vm/acme/a'], own_vms_not_visible=['/DC1/vm/acme/b'],
             foreign_vms=[dict(path='/DC1/vm/globex/x', owner='globex')], unassigned_vms=[], missing_roles=[],
             leaks=[dict(tenant='acme', path='/DC1/vm/globex/x')])
AUDIT = dict(tenants=dict(acme=ENTRY), leaks=ENTRY['leaks'], clean=False, counts={'foreign_vm': 1}, summary=['x'])


def test_compact_plans_keep_the_vms_and_count_the_objects():
    out = compact_result(dict(plans=[dict(PLAN)], audit={}, offboarding={}, permissions=dict(changes=[])))
    [plan] = out['plans']
    assert plan == dict(tenant='acme', topology='shared_hsp', access_account='acme-dr@vsphere.local', failback=True,
                        role='Azure_Site_Recovery', vms=['/DC1/vm/acme/a', '/DC1/vm/acme/b'],
                        management_servers=['/DC1/vm/acme/cs'], object_count=7)
    assert out['permissions'] == dict(changes=[])


def test_compact_audit_counts_what_is_seen_and_keeps_every_problem():
    out = compact_result(dict(plans=[], audit=AUDIT, offboarding=dict(audit_before=AUDIT, audit_after=None, writes=3)))
    for report in (out['audit'], out['offboarding']['audit_before']):
        entry = report['tenants']['acme']
        assert 'visible_vms' not in entry and 'own_vms_visible' not in entry
        assert entry['visible_vm_count'] == 2 and entry['own_vm_visible_count'] == 1
        assert entry['foreign_vms'] == [dict(path='/DC1/vm/globex/x', owner='globex')]
        assert entry['own_vms_not_visible'] == ['/DC1/vm/acme/b'] and entry['leaks'] == ENTRY['leaks']
        assert report['leaks'] == ENTRY['leaks'] and report['clean'] is False
    assert out['offboarding']['audit_after'] is None and out['offboarding']['writes'] == 3
    assert 'visible_vms' in AUDIT['tenants']['acme']  # the input is left as it was


RO = dict(role='ReadOnly', role_id=-2, propagate=False)
DR = dict(role='Azure_Site_Recovery', role_id=1001, propagate=False)
DR_PROPAGATING = dict(DR, propagate=True)


def change(path, principal, action, before, after, group=False):
    return dict(object='obj-' + path.rsplit('/', 1)[-1], path=path, type='Folder', principal=principal, group=group,
                action=action, before=before, after=after)


CHANGES = [
    change('/', 'acme-dr@vsphere.local', 'add', None, RO),
    change('/DC1', 'acme-dr@vsphere.local', 'add', None, RO),
    change('/DC1', 'globex-dr@vsphere.local', 'add', None, RO),
    change('/DC1/vm/acme/a', 'acme-dr@vsphere.local', 'add', None, DR),
    change('/DC1/vm/acme/b', 'acme-dr@vsphere.local', 'update', DR_PROPAGATING, DR),
    change('/DC1/vm/acme/c', 'acme-dr@vsphere.local', 'add', None, DR),
    change('/DC1/vm/acme/d', 'acme-dr@vsphere.local', 'remove', RO, None),
    change('/DC1/vm/acme/e', 'ACME-DR-ADMINS@vsphere.local', 'add', None, DR, group=True),
]


def test_compact_changes_are_grouped_by_who_gets_what_and_name_every_object():
    out = compact_result(dict(plans=[], audit={}, offboarding=dict(changes=CHANGES[:3], summary=dict(remove=3)),
                              permissions=dict(changes=CHANGES, summary=dict(add=6, update=1, remove=1))))
    assert out['permissions'] == dict(summary=dict(add=6, update=1, remove=1), changes=[
        dict(principal='acme-dr@vsphere.local', group=False, action='add', before=None, after=RO, objects=['/', '/DC1']),
        dict(principal='globex-dr@vsphere.local', group=False, action='add', before=None, after=RO, objects=['/DC1']),
        dict(principal='acme-dr@vsphere.local', group=False, action='add', before=None, after=DR,
             objects=['/DC1/vm/acme/a', '/DC1/vm/acme/c']),
        dict(principal='acme-dr@vsphere.local', group=False, action='update', before=DR_PROPAGATING, after=DR,
             objects=['/DC1/vm/acme/b']),
        dict(principal='acme-dr@vsphere.local', group=False, action='remove', before=RO, after=None,
             objects=['/DC1/vm/acme/d']),
        dict(principal='ACME-DR-ADMINS@vsphere.local', group=True, action='add', before=None, after=DR,
             objects=['/DC1/vm/acme/e']),
    ])
    assert out['offboarding']['changes'] == [
        dict(principal='acme-dr@vsphere.local', group=False, action='add', before=None, after=RO, objects=['/', '/DC1']),
        dict(principal='globex-dr@vsphere.local', group=False, action='add', before=None, after=RO, objects=['/DC1'])]
    assert out['offboarding']['summary'] == dict(remove=3)
