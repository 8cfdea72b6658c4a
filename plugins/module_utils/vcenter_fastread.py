# -*- coding: utf-8 -*-
# Copyright: tenantdr.asr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fast path for the two bulk reads (RetrievePropertiesEx over the inventory, RetrieveAllPermissions).

pyVmomi builds a vmodl object for every XML element of a response; for a 1,000-tenant vCenter that is ~75% of a
module's CPU (docs/benchmarks/issue12/findings.md). Here the request is still serialised by pyVmomi and sent on its
session, but a 200 response is parsed with ``xml.etree.ElementTree`` straight into the plain data the Snapshot holds.

Anything unexpected (another stub type, a non-200 answer, a fault, an element this parser does not know) returns
None and the caller uses pyVmomi's normal path, which raises the proper fault. Values are "neutral": a managed object
reference is its moid, arrays are lists, roles/privileges/fields/custom values are the tuples and dicts below.
"""
from __future__ import annotations

import gzip
import http.client
import zlib
import xml.etree.ElementTree as ET

from http.cookies import SimpleCookie

XSI_TYPE = '{http://www.w3.org/2001/XMLSchema-instance}type'
_TRUE = ('true', '1')


class FastReadUnavailable(Exception):
    """The fast path cannot answer; use pyVmomi's."""


def _local(tag):
    return tag.rsplit('}', 1)[-1]


def raw_call(stub, mo, method, args):
    """Send ``mo.method(*args)`` on pyVmomi's stub; return the body of a 200 answer, None otherwise."""
    try:
        from pyVmomi.SoapAdapter import SoapStubAdapter  # pylint: disable=import-outside-toplevel
    except ImportError:  # pragma: no cover
        return None
    if type(stub) is not SoapStubAdapter:  # pylint: disable=unidiomatic-typecheck
        return None
    info = mo._GetMethodInfo(method)  # pylint: disable=protected-access
    headers = {'Cookie': stub.cookie, 'SOAPAction': stub.versionId, 'Content-Type': 'text/xml; charset=UTF-8',
               'User-Agent': 'tenantdr.asr (pyvmomi)'}
    headers.update(getattr(stub, '_customHeaders', None) or {})
    req = stub.SerializeRequest(mo, info, args)
    for modifier in stub.requestModifierList:
        req = modifier(req)
    conn = stub.GetConnection()
    try:
        conn.request('POST', stub.path, req, headers)
        resp = conn.getresponse()
        body = resp.read()
    except Exception:
        conn.close()
        stub.DropConnections()
        raise
    cookie = resp.getheader('Set-Cookie') or resp.getheader('set-cookie')
    if cookie:
        stub.cookie = cookie
        session = SimpleCookie(cookie).get('vmware_soap_session')
        if session:
            stub.SetSessionId(session.value)
    stub.ReturnConnection(conn)
    if resp.status == 500:
        return None  # a SOAP fault: pyVmomi's path repeats the call and raises the fault as a vmodl exception
    if resp.status != 200:
        raise http.client.HTTPException('%d %s' % (resp.status, resp.reason))  # as pyVmomi does (503: retried)
    encoding = (resp.getheader('Content-Encoding') or 'identity').lower()
    if encoding == 'gzip':
        body = gzip.decompress(body)
    elif encoding == 'deflate':
        body = zlib.decompress(body)
    return body


def _returnvals(body):
    root = ET.fromstring(body)
    bodies = [e for e in root if _local(e.tag) == 'Body']
    if not bodies or len(bodies[0]) != 1:
        raise FastReadUnavailable('unexpected SOAP envelope')
    response = bodies[0][0]
    if _local(response.tag) == 'Fault':
        raise FastReadUnavailable('fault')
    return [e for e in response if _local(e.tag) == 'returnval']


def _text(e):
    return e.text or ''


def _children(e, name):
    return [c for c in e if _local(c.tag) == name]


def _child_text(e, name, default=None):
    for c in e:
        if _local(c.tag) == name:
            return _text(c)
    return default


def _role(e):
    info = _children(e, 'info')
    name = _child_text(e, 'name')
    return dict(id=int(_child_text(e, 'roleId')), name=name,
                label=(_child_text(info[0], 'label', name) if info else name),
                system=_child_text(e, 'system', 'false') in _TRUE,
                privileges=sorted(_text(p) for p in _children(e, 'privilege')))


def _privilege(e):
    return dict(id=_child_text(e, 'privId'), group=_child_text(e, 'privGroupName'), name=_child_text(e, 'name'),
                on_parent=_child_text(e, 'onParent', 'false') in _TRUE)


def _value(prop, val):
    """One propSet value -> neutral Python value."""
    xtype = val.get(XSI_TYPE, '').split(':')[-1]
    if prop == 'roleList':
        return [_role(c) for c in val]
    if prop == 'privilegeList':
        return [_privilege(c) for c in val]
    if prop == 'field':
        return [(int(_child_text(c, 'key')), _child_text(c, 'name')) for c in val]
    if prop == 'customValue':
        return [(int(_child_text(c, 'key')), _child_text(c, 'value')) for c in val]
    if xtype == 'ManagedObjectReference':
        return _text(val)
    if xtype == 'ArrayOfManagedObjectReference' or xtype == 'ArrayOfString':
        return [_text(c) for c in val]
    if xtype == 'boolean':
        return _text(val) in _TRUE
    if xtype in ('string', ''):
        if len(val):
            raise FastReadUnavailable('unexpected complex value of %s' % prop)
        return _text(val)
    raise FastReadUnavailable('unexpected type %s of %s' % (xtype, prop))


def parse_property_contents(body):
    """RetrievePropertiesEx / ContinueRetrievePropertiesEx answer -> ([(type, moid, {prop: value})], token)."""
    out, token = [], None
    for rv in _returnvals(body):
        for e in rv:
            name = _local(e.tag)
            if name == 'token':
                token = _text(e)
            elif name == 'objects':
                obj, props = None, {}
                for c in e:
                    cname = _local(c.tag)
                    if cname == 'obj':
                        obj = (c.get('type'), _text(c))
                    elif cname == 'propSet':
                        pname = _child_text(c, 'name')
                        vals = _children(c, 'val')
                        props[pname] = _value(pname, vals[0]) if vals else None
                    elif cname == 'missingSet':
                        raise FastReadUnavailable('missing properties')
                if obj is None:
                    raise FastReadUnavailable('object without obj')
                out.append((obj[0], obj[1], props))
    return out, token


def parse_permissions(body):
    """RetrieveAllPermissions answer -> permission dicts (as vcenter.permission_dict)."""
    out = []
    for rv in _returnvals(body):
        entity = _children(rv, 'entity')
        out.append(dict(entity=_text(entity[0]) if entity else None, principal=_child_text(rv, 'principal'),
                        group=_child_text(rv, 'group', 'false') in _TRUE, role_id=int(_child_text(rv, 'roleId')),
                        propagate=_child_text(rv, 'propagate', 'false') in _TRUE))
    return out
