"""tenant_mapping / tenant_isolation_audit without a vCenter: validation happens before connecting, and the
documented tenant keys are exactly the keys the validator accepts."""
from __future__ import annotations

import importlib

import pytest
import yaml

from ansible_collections.tenantdr.asr.plugins.module_utils import tenant_plan as tp
from tests.support.modules import run_module

MODULES = ('tenant_mapping', 'tenant_isolation_audit', 'vcenter_tenants')
# a name that never resolves: the tests fail if the module tries to connect before validating
UNREACHABLE = dict(hostname='vcenter.invalid', username='administrator@vsphere.local', password='x', validate_certs=False)


def docs(name):
    """The module's documentation with its tenantdr.asr doc fragments merged in (as ansible-doc does)."""
    mod = importlib.import_module('ansible_collections.tenantdr.asr.plugins.modules.%s' % name)
    doc = yaml.safe_load(mod.DOCUMENTATION)
    doc['options'] = dict(doc.get('options') or {})
    for frag in doc.get('extends_documentation_fragment', []):
        if frag.startswith('tenantdr.asr.'):
            fmod = importlib.import_module('ansible_collections.tenantdr.asr.plugins.doc_fragments.%s' % frag.split('.')[-1])
            doc['options'].update(yaml.safe_load(fmod.ModuleDocFragment.DOCUMENTATION)['options'])
    return doc, yaml.safe_load(mod.RETURN)


@pytest.mark.parametrize('name', MODULES)
def test_documented_tenant_keys_are_the_validated_keys(name):
    doc, _ret = docs(name)
    sub = doc['options']['tenants']['suboptions']
    assert set(sub) == set(tp.TENANT_KEYS)
    assert set(sub['vm_selectors']['suboptions']) == set(tp.SELECTOR_KEYS)
    assert sorted(k for k, v in sub.items() if v.get('required')) == sorted(tp.REQUIRED_KEYS)
    assert sub['topology']['choices'] == list(tp.TOPOLOGIES)
    for key, (typ, default) in tp.TENANT_KEYS.items():
        assert sub[key]['type'] == typ
        if default not in (None, {}):
            assert sub[key]['default'] == default
    assert doc['extends_documentation_fragment'] == ['tenantdr.asr.vcenter', 'tenantdr.asr.tenants',
                                                     'ansible.builtin.action_common_attributes',
                                                     'ansible.builtin.action_common_attributes.actiongroups']
    assert doc['attributes']['check_mode']['support'] == 'full' and doc['attributes']['diff_mode']['support'] == 'none'
    assert doc['attributes']['action_group']['membership'] == ['tenantdr.asr.vcenter']


@pytest.mark.parametrize('name', MODULES)
def test_invalid_tenants_fail_before_connecting(name):
    bad = [dict(name='acme', topology='shared_hsp', access_account='acme-dr@vsphere.local', vm_selector={}),
           dict(name='acme', topology='cloud', access_account='acme-dr@vsphere.local')]
    res = run_module(name, dict(UNREACHABLE, tenants=bad), expect_failure=True)
    assert res['msg'].startswith('refused before any change')
    assert "unknown key 'vm_selector'" in res['msg'] and "topology 'cloud' is not one of" in res['msg']
    assert "tenant name 'acme' is defined 2 times" in res['msg']
    assert {c['conflict'] for c in res['conflicts']} == {'invalid', 'duplicate_name'}
    assert 'vcenter.invalid' not in res['msg']


@pytest.mark.parametrize('name', MODULES)
def test_unreachable_vcenter_is_one_clear_message(name):
    good = [dict(name='acme', topology='shared_hsp', access_account='acme-dr@vsphere.local',
                 vm_selectors=dict(folders=['/DC1/vm/tenants/acme']))]
    res = run_module(name, dict(UNREACHABLE, tenants=good), expect_failure=True)
    assert 'vcenter.invalid' in res['msg'] and 'Traceback' not in res['msg']
