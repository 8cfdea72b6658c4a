"""The bulk-read scanner (vcenter_soap.scan_*) against answers written by hand in the shape a real vCenter sends
(vim25 default namespace, ``xsi:`` declared on the envelope, escaped names), and its hand-over to the tree parser for
anything it does not account for. The simulator's answers are compared with pyVmomi's parser in
tests/integration/vcenter/test_vcenter_soap.py."""
from __future__ import annotations

import pytest

from ansible_collections.tenantdr.asr.plugins.module_utils import vcenter_soap as fr

ENVELOPE = ('<?xml version="1.0" encoding="UTF-8"?>\n<soapenv:Envelope xmlns:soapenc="http://schemas.xmlsoap.org/soap/encoding/" '
            'xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsd="http://www.w3.org/2001/XMLSchema" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body>%s</soapenv:Body></soapenv:Envelope>')

VM = ('<objects><obj type="VirtualMachine">vm-17</obj>'
      '<propSet><name>name</name><val xsi:type="xsd:string">db &amp; app &lt;prod&gt; &#233;t&#xE9;</val></propSet>'
      '<propSet><name>parent</name><val type="Folder" xsi:type="ManagedObjectReference">group-v3</val></propSet>'
      '<propSet><name>datastore</name><val xsi:type="ArrayOfManagedObjectReference">'
      '<ManagedObjectReference type="Datastore">datastore-1</ManagedObjectReference>'
      '<ManagedObjectReference type="Datastore">datastore-2</ManagedObjectReference></val></propSet>'
      '<propSet><name>network</name><val xsi:type="ArrayOfManagedObjectReference"></val></propSet>'
      '<propSet><name>customValue</name><val xsi:type="ArrayOfCustomFieldValue">'
      '<CustomFieldValue xsi:type="CustomFieldStringValue"><key>101</key><value>acme</value></CustomFieldValue>'
      '<CustomFieldValue xsi:type="CustomFieldStringValue"><key>102</key><value></value></CustomFieldValue></val></propSet>'
      '<propSet><name>config.template</name><val xsi:type="xsd:boolean">false</val></propSet>'
      '</objects>')
FOLDER = ('<objects><obj type="Folder">group-v3</obj>'
          '<propSet><name>name</name><val xsi:type="xsd:string">acme</val></propSet>'
          '<propSet><name>childType</name><val xsi:type="ArrayOfString"><string>Folder</string><string>VirtualMachine</string>'
          '</val></propSet></objects>')
AUTH = ('<objects><obj type="AuthorizationManager">AuthorizationManager</obj>'
        '<propSet><name>roleList</name><val xsi:type="ArrayOfAuthorizationRole"><AuthorizationRole><roleId>-2</roleId>'
        '<system>true</system><name>ReadOnly</name><info><label>Read-only</label><summary>See</summary></info>'
        '<privilege>System.Anonymous</privilege><privilege>System.View</privilege><privilege>System.Read</privilege>'
        '</AuthorizationRole></val></propSet></objects>')

# What each hand-written object must read as (written from the answers above, not from the parser).
EXPECTED = [
    ('VirtualMachine', 'vm-17', {'name': 'db & app <prod> \u00e9t\u00e9', 'parent': 'group-v3',
                                 'datastore': ['datastore-1', 'datastore-2'], 'network': [],
                                 'customValue': [(101, 'acme'), (102, '')], 'config.template': False}),
    ('Folder', 'group-v3', {'name': 'acme', 'childType': ['Folder', 'VirtualMachine']}),
    ('AuthorizationManager', 'AuthorizationManager', {'roleList': [
        dict(id=-2, name='ReadOnly', label='Read-only', system=True,
             privileges=['System.Anonymous', 'System.Read', 'System.View'])]}),
]


def contents(objects, token=''):
    inner = '<returnval>%s%s</returnval>' % ('<token>%s</token>' % token if token else '', objects)
    return (ENVELOPE % ('<RetrievePropertiesExResponse xmlns="urn:vim25">%s</RetrievePropertiesExResponse>' % inner)).encode()


def permissions(*rows):
    vals = ''.join('<returnval><entity type="%s">%s</entity><principal>%s</principal><group>%s</group><roleId>%d</roleId>'
                   '<propagate>%s</propagate></returnval>' % r for r in rows)
    return (ENVELOPE % ('<RetrieveAllPermissionsResponse xmlns="urn:vim25">%s</RetrieveAllPermissionsResponse>' % vals)).encode()


def test_scanner_reads_a_real_vcenter_answer():
    body = contents(VM + FOLDER + AUTH, token='tok-1')
    assert fr.scan_property_contents(body) == (EXPECTED, 'tok-1')
    assert fr.tree_property_contents(body) == (EXPECTED, 'tok-1')


def test_scanner_reads_permissions_with_escaped_principals():
    body = permissions(('Folder', 'group-d1', 'VSPHERE.LOCAL\\Administrators', 'true', -1, 'true'),
                       ('VirtualMachine', 'vm-17', 'CORP\\r&amp;d-dr', 'false', 1001, 'false'))
    expected = [dict(entity='group-d1', principal='VSPHERE.LOCAL\\Administrators', group=True, role_id=-1, propagate=True),
                dict(entity='vm-17', principal='CORP\\r&d-dr', group=False, role_id=1001, propagate=False)]
    assert fr.scan_permissions(body) == expected
    assert fr.parse_permissions(body) == expected


@pytest.mark.parametrize('odd', [
    # a property vCenter could not read: missingSet (the tree parser refuses it too -> pyVmomi's path)
    '<objects><obj type="Folder">group-v9</obj><missingSet><path>name</path><fault><fault xsi:type="NoPermission"/>'
    '</fault></missingSet></objects>',
    # a value type the scanner does not know
    '<objects><obj type="Folder">group-v9</obj><propSet><name>name</name><val xsi:type="xsd:int">3</val></propSet></objects>',
    # an element inside a reference array that is not a reference
    '<objects><obj type="HostSystem">host-9</obj><propSet><name>datastore</name><val xsi:type="ArrayOfManagedObjectReference">'
    '<foo>1</foo></val></propSet></objects>',
])
def test_scanner_hands_over_what_it_does_not_account_for(odd):
    with pytest.raises(fr.FastReadUnavailable):
        fr.scan_property_contents(contents(FOLDER + odd))


def test_prefixed_elements_go_to_the_tree_parser_which_reads_them():
    body = contents(FOLDER).replace(b'<objects>', b'<vim25:objects xmlns:vim25="urn:vim25">').replace(
        b'</objects>', b'</vim25:objects>')
    with pytest.raises(fr.FastReadUnavailable):
        fr.scan_property_contents(body)
    assert fr.parse_property_contents(body) == ([EXPECTED[1]], None)


def test_permissions_in_another_element_order_go_to_the_tree_parser():
    body = permissions(('Folder', 'group-d1', 'CORP\\a', 'false', -2, 'false')).replace(
        b'<group>false</group><roleId>-2</roleId>', b'<roleId>-2</roleId><group>false</group>')
    with pytest.raises(fr.FastReadUnavailable):
        fr.scan_permissions(body)
    assert fr.parse_permissions(body) == [dict(entity='group-d1', principal='CORP\\a', group=False, role_id=-2,
                                               propagate=False)]


def test_values_repeated_across_objects_are_read_for_each_and_never_shared():
    """The VMs of one folder share their parent and often their datastores: the scanner reuses what it made for the
    same property text. Each object still gets its own value, equal to what was written, and its own list."""
    twin = VM.replace('vm-17', 'vm-18').replace('db &amp; app &lt;prod&gt; &#233;t&#xE9;', 'db2')
    other = VM.replace('vm-17', 'vm-19').replace('datastore-2', 'datastore-3').replace('>false<', '>true<')
    out, _token = fr.scan_property_contents(contents(VM + twin + other + FOLDER))
    by_moid = {moid: props for _type, moid, props in out}
    assert by_moid['vm-17'] == EXPECTED[0][2]
    assert by_moid['vm-18'] == dict(EXPECTED[0][2], name='db2')
    assert by_moid['vm-19'] == dict(EXPECTED[0][2], datastore=['datastore-1', 'datastore-3'], **{'config.template': True})
    by_moid['vm-17']['datastore'].append('datastore-9')  # a caller changing one object's list changes no other's
    by_moid['vm-17']['customValue'].clear()
    assert by_moid['vm-18']['datastore'] == ['datastore-1', 'datastore-2']
    assert by_moid['vm-18']['customValue'] == [(101, 'acme'), (102, '')]
