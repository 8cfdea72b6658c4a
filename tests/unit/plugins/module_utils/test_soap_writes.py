"""The permission writes sent as SOAP text (vcenter_soap.PermissionWrites): byte for byte the request pyVmomi's own
serialiser makes for the same call, for every API version and entity type the collection writes on; a fault answer
raised as the vmodl fault pyVmomi raises (for the bulk reads' calls too, with the one request sent); other answers
as pyVmomi reports them. The transport is replaced by a
recorder (no vCenter here: tests/integration/vcenter/test_vcenter_soap.py sends them to the simulator)."""
from __future__ import annotations

import http.client
import xml.etree.ElementTree as ET

import pytest

from pyVmomi import vim
from pyVmomi.SoapAdapter import SoapStubAdapter

from ansible_collections.tenantdr.asr.plugins.module_utils import vcenter_soap
from ansible_collections.tenantdr.asr.plugins.module_utils.vcenter import fault_text, is_transient

# API versions: 6.7 (version12, the oldest the collection supports) up to the newest this pyVmomi knows.
VERSIONS = ['vim.version.version12', 'vim.version.v7_0', 'vim.version.v8_0_1_0', 'vim.version.v9_1_1_0']
# the entity types the tenant plans write permissions on (seed 000's object table)
ENTITY_TYPES = ['Folder', 'Datacenter', 'ClusterComputeResource', 'HostSystem', 'ResourcePool', 'Datastore',
                'StoragePod', 'Network', 'DistributedVirtualPortgroup', 'VmwareDistributedVirtualSwitch', 'VirtualMachine']
# principals as vCenter spells them, and the characters XML must escape in text
PRINCIPALS = ['acme-dr@vsphere.local', 'CORP\\acme-dr', 'Müller & Söhne <DR>@vsphere.local', 'o\'brien"dr@vsphere.local']
PERMISSIONS = [
    [dict(principal=PRINCIPALS[0], group=False, role_id=-2, propagate=False)],
    [dict(principal=PRINCIPALS[1], group=True, role_id=1001, propagate=False),
     dict(principal=PRINCIPALS[2], group=False, role_id=-1, propagate=True),
     dict(principal=PRINCIPALS[3], group=False, role_id=-5, propagate=False)],
    [],
]

VIM = 'urn:vim25'
SOAPENV = 'http://schemas.xmlsoap.org/soap/envelope/'

NOT_FOUND_FAULT = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<soapenv:Envelope xmlns:soapenc="http://schemas.xmlsoap.org/soap/encoding/" '
    b'xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsd="http://www.w3.org/2001/XMLSchema" '
    b'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n<soapenv:Body>\n<soapenv:Fault>'
    b'<faultcode>ServerFaultCode</faultcode><faultstring>The object or item referred to could not be found.</faultstring>'
    b'<detail><NotFoundFault xmlns="urn:vim25" xsi:type="NotFound"></NotFoundFault></detail>'
    b'</soapenv:Fault>\n</soapenv:Body>\n</soapenv:Envelope>')
NO_PERMISSION_FAULT = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<soapenv:Envelope xmlns:soapenc="http://schemas.xmlsoap.org/soap/encoding/" '
    b'xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsd="http://www.w3.org/2001/XMLSchema" '
    b'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n<soapenv:Body>\n<soapenv:Fault>'
    b'<faultcode>ServerFaultCode</faultcode><faultstring>Permission to perform this operation was denied.</faultstring>'
    b'<detail><NoPermissionFault xmlns="urn:vim25" xsi:type="NoPermission"><object type="Folder">group-d1</object>'
    b'<privilegeId>Authorization.ModifyPermissions</privilegeId></NoPermissionFault></detail>'
    b'</soapenv:Fault>\n</soapenv:Body>\n</soapenv:Envelope>')


class Recorder:
    """Stands in for the HTTP exchange: records each request body, answers (status, reason, body)."""

    def __init__(self, answer=(200, 'OK', b'<ok/>')):
        self.requests, self.answer = [], answer

    def __call__(self, stub, request):
        self.requests.append(request)
        return self.answer


def session(version):
    stub = SoapStubAdapter(host='vcenter.example', version=version)
    auth = vim.AuthorizationManager('AuthorizationManager', stub)
    return stub, auth, vcenter_soap.PermissionWrites.for_session(stub, auth, lambda typ: getattr(vim, typ))


def recorded_session(monkeypatch, version):
    """(recorder, stub, AuthorizationManager, PermissionWrites) of a session whose requests are recorded."""
    sent = Recorder()
    monkeypatch.setattr(vcenter_soap, '_post', sent)
    return (sent,) + session(version)


def pyvmomi_request(stub, auth, method, args):
    return stub.SerializeRequest(auth, auth._GetMethodInfo(method), args)  # pylint: disable=protected-access


@pytest.mark.parametrize('version', VERSIONS)
def test_set_entity_permissions_is_what_pyvmomi_sends(monkeypatch, version):
    sent, stub, auth, writes = recorded_session(monkeypatch, version)
    expected = []
    for typ in ENTITY_TYPES:
        for n, perms in enumerate(PERMISSIONS):
            moid = '%s-%d' % (typ.lower(), n + 7)
            assert writes.set_entity_permissions(typ, moid, perms) is True
            expected.append(pyvmomi_request(stub, auth, 'SetEntityPermissions', [
                getattr(vim, typ)(moid, stub),
                [vim.AuthorizationManager.Permission(principal=p['principal'], group=p['group'], roleId=p['role_id'],
                                                     propagate=p['propagate']) for p in perms]]))
    assert sent.requests == expected


@pytest.mark.parametrize('version', VERSIONS)
def test_remove_entity_permission_is_what_pyvmomi_sends(monkeypatch, version):
    sent, stub, auth, writes = recorded_session(monkeypatch, version)
    expected = []
    for typ in ENTITY_TYPES:
        for principal in PRINCIPALS:
            for group in (False, True):
                assert writes.remove_entity_permission(typ, 'obj-42', principal, group) is True
                expected.append(pyvmomi_request(stub, auth, 'RemoveEntityPermission',
                                                [getattr(vim, typ)('obj-42', stub), principal, group]))
    assert sent.requests == expected


def test_a_request_reads_as_the_wsdl_says(monkeypatch):
    """Independent of pyVmomi: the body of a SetEntityPermissions and a RemoveEntityPermission, element by element as
    the vSphere API reference defines them."""
    sent, _stub, _auth, writes = recorded_session(monkeypatch, 'vim.version.v8_0_1_0')
    writes.set_entity_permissions('VirtualMachine', 'vm-17', PERMISSIONS[1][:2])
    writes.remove_entity_permission('Datastore', 'datastore-3', 'Müller & Söhne <DR>@vsphere.local', False)
    body = ET.fromstring(sent.requests[0]).find('{%s}Body' % SOAPENV)
    [call] = list(body)
    assert call.tag == '{%s}SetEntityPermissions' % VIM
    this, entity, first, second = list(call)
    assert (this.tag, this.get('type'), this.text) == ('{%s}_this' % VIM, 'AuthorizationManager', 'AuthorizationManager')
    assert (entity.tag, entity.get('type'), entity.text) == ('{%s}entity' % VIM, 'VirtualMachine', 'vm-17')
    assert [(e.tag.split('}')[1], e.text) for e in first] == [
        ('principal', 'CORP\\acme-dr'), ('group', 'true'), ('roleId', '1001'), ('propagate', 'false')]
    assert [(e.tag.split('}')[1], e.text) for e in second] == [
        ('principal', 'Müller & Söhne <DR>@vsphere.local'), ('group', 'false'), ('roleId', '-1'), ('propagate', 'true')]
    [call] = list(ET.fromstring(sent.requests[1]).find('{%s}Body' % SOAPENV))
    assert call.tag == '{%s}RemoveEntityPermission' % VIM
    assert [(e.tag.split('}')[1], e.get('type'), e.text) for e in call] == [
        ('_this', 'AuthorizationManager', 'AuthorizationManager'), ('entity', 'Datastore', 'datastore-3'),
        ('user', None, 'Müller & Söhne <DR>@vsphere.local'), ('isGroup', None, 'false')]


@pytest.mark.parametrize('body, fault, text', [
    (NOT_FOUND_FAULT, vim.fault.NotFound, 'The object or item referred to could not be found.'),
    (NO_PERMISSION_FAULT, vim.fault.NoPermission, 'Permission to perform this operation was denied.'),
])
def test_a_fault_is_raised_as_pyvmomi_raises_it(monkeypatch, body, fault, text):
    monkeypatch.setattr(vcenter_soap, '_post', Recorder((500, 'Internal Server Error', body)))
    _stub, _auth, writes = session('vim.version.v8_0_1_0')
    with pytest.raises(fault) as caught:
        writes.set_entity_permissions('Folder', 'group-d1', PERMISSIONS[0])
    assert text in fault_text(caught.value) and not is_transient(caught.value)
    with pytest.raises(fault):
        writes.remove_entity_permission('Folder', 'group-d1', 'acme-dr@vsphere.local', False)


def test_a_500_without_a_soap_fault_and_a_503_are_http_errors(monkeypatch):
    _stub, _auth, writes = session('vim.version.v8_0_1_0')
    monkeypatch.setattr(vcenter_soap, '_post', Recorder((500, 'Internal Server Error', b'<html>proxy error</html>')))
    with pytest.raises(http.client.HTTPException, match='500'):
        writes.set_entity_permissions('Folder', 'group-d1', PERMISSIONS[0])
    monkeypatch.setattr(vcenter_soap, '_post', Recorder((503, 'Service Unavailable', b'')))
    with pytest.raises(http.client.HTTPException) as caught:
        writes.remove_entity_permission('Folder', 'group-d1', 'acme-dr@vsphere.local', False)
    assert '503' in str(caught.value) and is_transient(caught.value)  # retried, as pyVmomi's 503 is


def test_only_pyvmomis_plain_soap_stub_gets_the_fast_path():
    class Wrapped(SoapStubAdapter):
        """A stub of another kind (e.g. a session-oriented wrapper): pyVmomi's own path is used."""
    stub = Wrapped(host='vcenter.example', version='vim.version.v8_0_1_0')
    auth = vim.AuthorizationManager('AuthorizationManager', stub)
    assert vcenter_soap.PermissionWrites.for_session(stub, auth, lambda typ: getattr(vim, typ)) is None
    assert vcenter_soap.PermissionWrites.for_session(None, auth, lambda typ: getattr(vim, typ)) is None


def test_a_read_answered_with_a_fault_raises_it_after_one_request(monkeypatch):
    sent = Recorder((500, 'Internal Server Error', NO_PERMISSION_FAULT))
    monkeypatch.setattr(vcenter_soap, '_post', sent)
    stub, auth, _writes = session('vim.version.v8_0_1_0')
    with pytest.raises(vim.fault.NoPermission):
        vcenter_soap.raw_call(stub, auth, 'RetrieveAllPermissions', [])
    assert sent.requests == [pyvmomi_request(stub, auth, 'RetrieveAllPermissions', [])]
    monkeypatch.setattr(vcenter_soap, '_post', Recorder((200, 'OK', b'<answer/>')))
    assert vcenter_soap.raw_call(stub, auth, 'RetrieveAllPermissions', []) == b'<answer/>'
