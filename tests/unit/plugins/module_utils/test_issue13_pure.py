"""Pure parts of issue 13: placement domains, drift classification, the report document and HTML escaping, and the
comparison with vCenter's own answer.  Expected values written by hand from the miniature snapshot of
test_tenant_plan.shared_snapshot (its docstring draws it)."""
from __future__ import annotations

import json

from ansible_collections.tenantdr.asr.plugins.module_utils import tenant_plan as tp
from ansible_collections.tenantdr.asr.plugins.module_utils import audit_report as ar
from ansible_collections.tenantdr.asr.plugins.module_utils import server_privileges as sp
from ansible_collections.tenantdr.asr.plugins.module_utils.vcenter import _build_paths

from tests.unit.plugins.module_utils.test_tenant_plan import shared_snapshot, tenant

RO = ['System.Anonymous', 'System.Read', 'System.View']


def with_second_pod_member(snap):
    snap.objects['datastore-4'] = dict(moid='datastore-4', type='Datastore', name='ds-04', parent='group-p1',
                                       datacenter='datacenter-1')
    _build_paths(snap.objects, snap.root)
    snap.by_path = {o['path'].lower(): m for m, o in snap.objects.items()}
    return snap


def globex_rows(placement):
    snap = with_second_pod_member(shared_snapshot())
    t = tenant('globex', vm_selectors={'folders': ['/DC1/vm/tenants/globex']}, management_servers=['/DC1/vm/mgmt/globex-cs01'],
               placement=placement)
    [plan] = tp.build_plans(snap, tp.validate_tenants([t]))['plans']
    return sorted((o['path'], o['kind']) for o in plan['objects'] if o['kind'] in ('host', 'cluster', 'datastore',
                                                                                   'datastore_cluster'))


# globex-vm01 on CL1/esx-02 (ds-02), globex-vm02 on standalone esx-10 (ds-03 in dsc-01), globex-cs01 on CL2/esx-04 (ds-01)
EXACT = [
    ('/DC1/datastore/ds-01', 'datastore'), ('/DC1/datastore/ds-02', 'datastore'),
    ('/DC1/datastore/dsc-01', 'datastore_cluster'), ('/DC1/datastore/dsc-01/ds-03', 'datastore'),
    ('/DC1/host/CL1', 'cluster'), ('/DC1/host/CL1/esx-02', 'host'),
    ('/DC1/host/CL2', 'cluster'), ('/DC1/host/CL2/esx-04', 'host'),
    ('/DC1/host/esx-10', 'host'),
]


def test_exact_placement():
    assert globex_rows('exact') == EXACT


def test_domain_placement_adds_the_rest_of_the_cluster_and_the_datastore_cluster():
    assert globex_rows('domain') == sorted(EXACT + [('/DC1/host/CL1/esx-01', 'host'),
                                                    ('/DC1/datastore/dsc-01/ds-04', 'datastore')])


def test_placement_defaults_to_domain():
    [t] = tp.validate_tenants([tenant('globex', vm_selectors={'folders': ['/x']})])
    assert t['placement'] == 'domain'


# ---------------------------------------------------------------------------------------------

def leak(cls, moid, path, detail='d'):
    return {'class': cls, 'tenant': 'acme', 'account': 'acme-dr@vsphere.local', 'object': moid, 'path': path,
            'detail': detail, 'granted': []}


def test_drift_classification():
    snap = shared_snapshot()
    report = {'tenants': {'acme': {'leaks': [
        leak('missing_permission', 'vm-a2', '/DC1/vm/tenants/acme/acme-vm02'),     # a tenant VM without its permission
        leak('missing_permission', 'host-1', '/DC1/host/CL1/esx-01'),              # infrastructure: not a new VM
        leak('excess_permission', 'vm-g1', '/DC1/vm/tenants/globex/globex-vm01'),  # a VM that left acme
        leak('excess_permission', 'datastore-2', '/DC1/datastore/ds-02'),
        leak('propagating_permission', 'group-v2', '/DC1/vm/tenants'),
        leak('foreign_vm_visible', 'vm-g1', '/DC1/vm/tenants/globex/globex-vm01'),
    ]}, 'globex': {'leaks': []}}}
    d = ar.drift(snap, report)
    acme = d['tenants']['acme']
    assert [x['path'] for x in acme['new_vms_without_permission']] == ['/DC1/vm/tenants/acme/acme-vm02']
    assert [x['path'] for x in acme['permissions_on_departed_vms']] == ['/DC1/vm/tenants/globex/globex-vm01']
    assert [x['path'] for x in acme['foreign_permissions']] == ['/DC1/datastore/ds-02']
    assert [x['path'] for x in acme['propagating_permissions']] == ['/DC1/vm/tenants']
    assert acme['total'] == 4 and d['total'] == 4 and d['clean'] is False
    assert d['tenants']['globex']['total'] == 0


def test_html_escapes_every_value_and_is_self_contained():
    evil = '<img src=x onerror="alert(1)">&'
    report = {'clean': False, 'counts': {'foreign_vm_visible': 1}, 'summary': ['s ' + evil],
              'tenants': {'acme': {'access_account': evil, 'access_account_groups': [evil], 'role': 'R', 'vms': 1,
                                   'visible_vms': [{'path': '/x/' + evil, 'owner': 'globex', 'roles': ['ReadOnly']}],
                                   'own_vms_not_visible': [], 'foreign_vms': ['/x/' + evil], 'unassigned_vms': [],
                                   'leaks': [dict(leak('foreign_vm_visible', 'vm-1', '/x/' + evil, evil),
                                                  granted=[{'on': evil, 'principal': evil, 'group': True, 'role': evil,
                                                            'propagate': True, 'how': 'inherited'}])]}}}
    doc = ar.build_document([{'vcenter': evil, 'report': report}], generated_at='2026-01-01T00:00:00Z')
    html = ar.render_html(doc)
    assert '<img' not in html and 'onerror="' not in html
    assert '&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&amp;' in html
    assert '<script' not in html and 'http' not in html.replace('http-equiv', '')
    assert doc['findings'] == 1 and doc['clean'] is False
    assert json.loads(ar.to_json(doc)) == doc


def test_document_of_a_clean_run_and_leftovers_of_offboarded_accounts():
    clean = {'clean': True, 'counts': {'excess_permission': 0}, 'summary': [], 'tenants': {}}
    doc = ar.build_document([{'vcenter': 'vc1', 'report': clean}], generated_at='t')
    assert doc['clean'] is True and doc['vcenters'][0]['counts'] == {}
    left = {'object': 'group-d1', 'path': '/', 'principal': 'VSPHERE.LOCAL\\old-dr', 'group': False, 'action': 'remove',
            'before': {'role': 'ReadOnly', 'propagate': False}}
    doc = ar.build_document([{'vcenter': 'vc1', 'report': clean, 'extra_findings': [left]}], generated_at='t')
    [f] = doc['vcenters'][0]['other_findings']
    assert f['class'] == 'offboarded_account_permission'
    assert f['cause'] == 'offboarded access account VSPHERE.LOCAL\\old-dr still holds ReadOnly on / (propagate=false)'
    assert doc['clean'] is False and doc['vcenters'][0]['counts'] == {'offboarded_account_permission': 1}


# ---------------------------------------------------------------------------------------------

def perm(entity, principal, role_id, propagate, group=False):
    return dict(entity=entity, principal=principal, group=group, role_id=role_id, propagate=propagate)


def test_server_answer_differences_are_findings_and_the_server_wins():
    snap = shared_snapshot([perm('vm-a1', 'VSPHERE.LOCAL\\acme-dr', -2, False)])
    t = tp.validate_tenants([tenant('acme', vm_selectors={'folders': ['/DC1/vm/tenants/acme']})])[0]
    owners = {'vm-a1': 'acme', 'vm-a2': 'acme', 'vm-g1': 'globex'}
    server = {'vm-a1': frozenset(RO),                # agrees
              'vm-a2': frozenset(),                  # agrees (nothing granted, nothing computed)
              'vm-g1': frozenset(RO)}                # vCenter says visible (e.g. an unlisted group): a leak
    findings, stats = sp.compare(snap, t, server, owners)
    assert stats == {'asked': 3, 'agreed': 2, 'disagreed': 1}
    assert sorted((f['class'], f['path']) for f in findings) == [
        ('foreign_vm_visible', '/DC1/vm/tenants/globex/globex-vm01'),
        ('server_disagreement', '/DC1/vm/tenants/globex/globex-vm01')]
    [dis] = [f for f in findings if f['class'] == 'server_disagreement']
    assert dis['server_visible'] is True and dis['computed_visible'] is False
    assert 'vCenter grants 3 privilege(s) the audit did not compute' in dis['detail']
