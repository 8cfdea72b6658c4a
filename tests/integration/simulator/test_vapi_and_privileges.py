"""The launcher's additions for issue 13: vAPI REST endpoints (login with the simulator's credentials, tagging,
REST call accounting) and FetchUserPrivilegeOnEntities argument handling.  Semantics of the privilege answer are in
tests/integration/vcenter/test_server_privileges.py."""
from __future__ import annotations

import base64
import json
import ssl
import urllib.error
import urllib.request

import pytest
from pyVmomi import vim, vmodl

from tests.simulator.inventory import single_tenant_inventory
from tests.simulator.vcsim import VCenterSimulator
from tests.support.vapi import VapiAdmin
from tests.support.vsphere import Direct

pytestmark = pytest.mark.vcsim


@pytest.fixture(scope='module')
def sim():
    with VCenterSimulator(single_tenant_inventory('acme')) as s:
        yield s


def login(sim, user, password):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    auth = base64.b64encode(('%s:%s' % (user, password)).encode()).decode()
    req = urllib.request.Request('https://%s:%d/rest/com/vmware/cis/session' % (sim.host, sim.port), data=b'',
                                 headers={'Authorization': 'Basic ' + auth}, method='POST')
    with urllib.request.urlopen(req, context=ctx, timeout=10) as resp:
        return json.loads(resp.read())['value']


def test_vapi_login_needs_the_simulator_credentials(sim):
    assert login(sim, sim.username, sim.password)
    for user, password in ((sim.username, 'wrong'), ('root', sim.password)):
        with pytest.raises(urllib.error.HTTPError) as exc:
            login(sim, user, password)
        assert exc.value.code == 401
        assert json.loads(exc.value.read())['type'] == 'com.vmware.vapi.std.errors.unauthenticated'


def test_tagging_round_trip_and_rest_accounting(sim):
    sim.reset_stats()
    admin = VapiAdmin(sim)
    cat = admin.category('owner')
    tag = admin.tag(cat, 'acme')
    with Direct(sim) as d:
        vm = d.find('/DC1/vm/tenants/acme/acme-vm01')
        admin.attach(tag, vm._moId)
    res = admin.request('POST', '/com/vmware/cis/tagging/tag-association?~action=list-attached-objects-on-tags',
                        {'tag_ids': [tag]})
    assert res == [{'tag_id': tag, 'object_ids': [{'id': vm._moId, 'type': 'VirtualMachine'}]}]
    rest = sim.stats()['rest']
    assert rest == {'POST /rest/com/vmware/cis/session': 1, 'POST /rest/com/vmware/cis/tagging/category': 1,
                    'POST /rest/com/vmware/cis/tagging/tag': 1,
                    'POST /rest/com/vmware/cis/tagging/tag-association/id:{id}?~action=attach': 1,
                    'POST /rest/com/vmware/cis/tagging/tag-association?~action=list-attached-objects-on-tags': 1}
    stats = sim.stats()
    assert stats['total'] == sum(stats['methods'].values())     # the five REST calls are not in the SOAP total


def test_fetch_user_privilege_arguments(sim):
    with Direct(sim) as d:
        vm = d.find('/DC1/vm/tenants/acme/acme-vm01')
        with pytest.raises(vmodl.fault.InvalidArgument):
            d.auth.FetchUserPrivilegeOnEntities([vm], '')
        with pytest.raises(vmodl.fault.ManagedObjectNotFound):
            d.auth.FetchUserPrivilegeOnEntities([vim.VirtualMachine('vm-999999', d.si._stub)], 'acme-dr@vsphere.local')
        # one answer per entity, in order; an account with no permission holds nothing
        dc = d.find('/DC1')
        res = d.auth.FetchUserPrivilegeOnEntities([vm, dc], 'acme-dr@vsphere.local')
        assert [r.entity._moId for r in res] == [vm._moId, dc._moId]
        assert [list(r.privileges or []) for r in res] == [[], []]
