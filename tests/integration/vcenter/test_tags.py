"""vSphere tag selectors against the simulator's vAPI REST endpoint (issue 13, item 2).

Tags are created and attached with tests/support/vapi.py (plain urllib on /rest/com/vmware/cis/...), independent of
plugins/module_utils/vcenter_tags.py.  Expected VM lists are written by hand from the tags attached below.
"""
from __future__ import annotations

import pytest

from tests.simulator.inventory import sample_inventory
from tests.support.modules import run_module
from tests.support.tenants import tenants
from tests.support.vapi import VapiAdmin
from tests.support.vsphere import Direct

pytestmark = pytest.mark.vcsim

ATTACHED = 'POST /rest/com/vmware/cis/tagging/tag-association?~action=list-attached-objects-on-tags'


@pytest.fixture(scope='module')
def tagged(vcsim_module):
    """Category 'tenant' with tags acme (acme-vm01, acme-db01 and a datastore) and globex (globex-vm01);
    category 'tier' with tag gold (acme-vm02, globex-vm02)."""
    sim = vcsim_module
    admin = VapiAdmin(sim)
    tenant = admin.category('tenant')
    tier = admin.category('tier', cardinality='MULTIPLE')
    ids = dict(acme=admin.tag(tenant, 'acme'), globex=admin.tag(tenant, 'globex'), gold=admin.tag(tier, 'gold'))
    with Direct(sim) as d:
        def attach(tag, path, typ='VirtualMachine'):
            admin.attach(ids[tag], d.find(path)._moId, typ)
        attach('acme', '/DC1/vm/tenants/acme/acme-vm01')
        attach('acme', '/DC1/vm/tenants/acme/acme-db01')
        attach('acme', '/DC1/datastore/ds-01', 'Datastore')   # not a VM: never selected
        attach('globex', '/DC1/vm/tenants/globex/globex-vm01')
        attach('gold', '/DC1/vm/tenants/acme/acme-vm02')
        attach('gold', '/DC1/vm/tenants/globex/globex-vm02')
    return sim, ids


@pytest.fixture(scope='module')
def vcsim_module():
    from tests.simulator.vcsim import VCenterSimulator
    with VCenterSimulator(sample_inventory()) as sim:
        yield sim


def tag_tenants(**selectors):
    """The sample tenants, each selecting only by the given tags (no other selector)."""
    out = []
    for t in tenants():
        if t['name'] in selectors:
            t = dict(t, vm_selectors={'tags': selectors[t['name']]})
            out.append(t)
    return out


def plan_vms(result, name):
    return [p for p in result['plans'] if p['tenant'] == name][0]['vms']


def test_category_and_tag_names_select_vms_in_one_bulk_call(tagged):
    sim, _ids = tagged
    sim.reset_stats()
    res = run_module('tenant_mapping', sim.connection_args(tenants=tag_tenants(acme=['tenant/acme'], globex=['tenant/globex'])))
    assert plan_vms(res, 'acme') == ['/DC1/vm/tenants/acme/acme-db01', '/DC1/vm/tenants/acme/acme-vm01']
    assert plan_vms(res, 'globex') == ['/DC1/vm/tenants/globex/globex-vm01']
    rest = sim.stats()['rest']
    assert rest[ATTACHED] == 1                      # both tenants' tags in one call
    assert rest['POST /rest/com/vmware/cis/session'] == 1
    assert rest['DELETE /rest/com/vmware/cis/session'] == 1
    # nothing per VM: the reads are per category and per tag of the named category only
    assert sum(rest.values()) < 12


def test_union_of_tag_id_and_names(tagged):
    sim, ids = tagged
    ts = tag_tenants(acme=[ids['acme'], 'Tier/GOLD'])
    res = run_module('tenant_mapping', sim.connection_args(tenants=ts))
    assert plan_vms(res, 'acme') == ['/DC1/vm/tenants/acme/acme-db01', '/DC1/vm/tenants/acme/acme-vm01',
                                     '/DC1/vm/tenants/acme/acme-vm02', '/DC1/vm/tenants/globex/globex-vm02']


def test_overlapping_tags_are_a_conflict(tagged):
    sim, _ids = tagged
    ts = tag_tenants(acme=['tier/gold'], globex=['tenant/globex', 'tier/gold'])
    res = run_module('tenant_mapping', sim.connection_args(tenants=ts), expect_failure=True)
    assert 'VM /DC1/vm/tenants/acme/acme-vm02 is selected by tenants acme' in res['msg']
    assert "tag 'tier/gold'" in res['msg']


def test_unknown_category_and_tag_are_named_with_suggestions(tagged):
    sim, _ids = tagged
    sim.reset_stats()
    ts = tag_tenants(acme=['tenants/acme'], globex=['tenant/globx'])
    res = run_module('tenant_mapping', sim.connection_args(tenants=ts), expect_failure=True)
    assert "tenant acme: tag category 'tenants' of tag selector 'tenants/acme' was not found (did you mean 'tenant'?)" \
        in res['msg']
    assert "categories: tenant, tier" in res['msg']
    assert "tenant globex: tag 'globx' was not found in category 'tenant' (did you mean 'globex'?); its tags: acme, globex" \
        in res['msg']
    assert {c['conflict'] for c in res['conflicts']} == {'missing_object'}
    assert ATTACHED not in sim.stats()['rest']


def test_unknown_tag_id(tagged):
    sim, _ids = tagged
    bad = 'urn:vmomi:InventoryServiceTag:00000000-0000-0000-0000-000000000000:GLOBAL'
    res = run_module('tenant_mapping', sim.connection_args(tenants=tag_tenants(acme=[bad])), expect_failure=True)
    assert "tag id '%s' was not found" % bad in res['msg']


def test_tag_matching_no_vm_is_an_empty_selector(tagged):
    sim, _ids = tagged
    admin = VapiAdmin(sim)
    cat = [c for c in admin.request('GET', '/com/vmware/cis/tagging/category')
           if admin.request('GET', '/com/vmware/cis/tagging/category/id:%s' % c)['name'] == 'tier'][0]
    admin.tag(cat, 'bronze')
    res = run_module('tenant_mapping', sim.connection_args(tenants=tag_tenants(acme=['tier/bronze'])), expect_failure=True)
    assert "tenant acme: tag selector 'tier/bronze' matches no VM" in res['msg']


def test_no_tag_selector_means_no_rest_call(tagged):
    sim, _ids = tagged
    sim.reset_stats()
    run_module('tenant_mapping', sim.connection_args(tenants=tenants()))
    assert sim.stats()['rest'] == {}


def test_wrong_password_is_a_clear_error(tagged):
    sim, _ids = tagged
    # the SOAP login fails first with the same credentials; the REST login is exercised directly
    from ansible_collections.tenantdr.asr.plugins.module_utils.vcenter import VCenterError
    from ansible_collections.tenantdr.asr.plugins.module_utils.vcenter_tags import TagClient
    with pytest.raises(VCenterError) as exc:
        with TagClient(dict(sim.connection_args(), password='wrong')):
            pass
    assert "rejected the vAPI REST login of 'administrator@vsphere.local' (HTTP 401)" in str(exc.value)


def test_validate_certs_is_honoured(tagged):
    sim, _ids = tagged
    from ansible_collections.tenantdr.asr.plugins.module_utils.vcenter import VCenterError
    from ansible_collections.tenantdr.asr.plugins.module_utils.vcenter_tags import TagClient
    with pytest.raises(VCenterError) as exc:
        with TagClient(dict(sim.connection_args(), validate_certs=True)):
            pass
    assert 'CERTIFICATE_VERIFY_FAILED' in str(exc.value) or 'certificate verify failed' in str(exc.value)


def test_audit_uses_the_same_tag_selection(tagged):
    sim, _ids = tagged
    ts = tag_tenants(acme=['tenant/acme'], globex=['tenant/globex'])
    res = run_module('tenant_isolation_audit', sim.connection_args(tenants=ts))
    assert res['report']['tenants']['acme']['vms'] == 3     # acme-vm01, acme-db01 and the management server acme-cs01
