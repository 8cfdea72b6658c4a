"""vcenter_tenants' compact result (result_detail: compact, what the pipeline asks for): plans without their object
lists, audited tenants with counts instead of the VMs they see; problems and changes whole. Inputs written by hand."""
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
    out = compact_result(dict(plans=[dict(PLAN)], audit={}, offboarding={}, permissions=dict(changes=['c'])))
    [plan] = out['plans']
    assert plan == dict(tenant='acme', topology='shared_hsp', access_account='acme-dr@vsphere.local', failback=True,
                        role='Azure_Site_Recovery', vms=['/DC1/vm/acme/a', '/DC1/vm/acme/b'],
                        management_servers=['/DC1/vm/acme/cs'], object_count=7)
    assert out['permissions'] == dict(changes=['c'])


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
