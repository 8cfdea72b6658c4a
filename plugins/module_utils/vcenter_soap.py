# -*- coding: utf-8 -*-
# Copyright: tenantdr.asr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""SOAP without a pyVmomi object per element: the two bulk reads and the permission writes.

pyVmomi builds a vmodl object for every XML element of a response and every argument of a request; for a 1,000-tenant
vCenter that is most of a module's CPU (docs/benchmarks/issue12/findings.md). Everything here goes over pyVmomi's
session (its stub: cookie, connection pool, SOAPAction version).

- Reads (RetrievePropertiesEx over the inventory, RetrieveAllPermissions): the request is serialised by pyVmomi; a 200
  answer is parsed straight into the plain data the Snapshot holds. Another stub type returns None, and an answer this
  parser does not know raises :class:`FastReadUnavailable`; the caller then uses pyVmomi's normal path. Values are
  "neutral": a managed object reference is its moid, arrays are lists, roles/privileges/fields/custom values are the
  tuples and dicts below.
- Writes (SetEntityPermissions, RemoveEntityPermission: :class:`PermissionWrites`): the envelope, ``_this`` and the
  entity are pyVmomi's serialisation for the session's API version, made once per method and entity type; the
  permission elements are filled in here in the order of the WSDL's ``Permission`` sequence. A success answer is not
  parsed.
- Both: a SOAP fault is deserialised by pyVmomi and raised as the vmodl fault pyVmomi would raise (:func:`_answer`).
"""
from __future__ import annotations

import gzip
import html
import http.client
import re
import zlib
import xml.etree.ElementTree as ET

from http.cookies import SimpleCookie
from xml.sax.saxutils import escape

XSI_TYPE = '{http://www.w3.org/2001/XMLSchema-instance}type'
_TRUE = ('true', '1')
_BTRUE = (b'true', b'1')


class FastReadUnavailable(Exception):
    """The fast path cannot answer; use pyVmomi's."""


def _local(tag):
    return tag.rsplit('}', 1)[-1]


def _soap_stub(stub):
    """True when ``stub`` is pyVmomi's plain SOAP stub (the only one these fast paths know how to talk on)."""
    try:
        from pyVmomi.SoapAdapter import SoapStubAdapter  # pylint: disable=import-outside-toplevel
    except ImportError:  # pragma: no cover
        return False
    return type(stub) is SoapStubAdapter  # pylint: disable=unidiomatic-typecheck


def _post(stub, request):
    """POST ``request`` (bytes) on pyVmomi's session as pyVmomi does: its cookie, SOAPAction, custom headers, request
    modifiers and connection pool; a new session cookie is taken over. Returns (status, reason, body decoded from its
    Content-Encoding). A connection error drops the pooled connections, as pyVmomi does, and is raised."""
    headers = {'Cookie': stub.cookie, 'SOAPAction': stub.versionId, 'Content-Type': 'text/xml; charset=UTF-8',
               'User-Agent': 'tenantdr.asr (pyvmomi)'}
    headers.update(getattr(stub, '_customHeaders', None) or {})
    for modifier in stub.requestModifierList:
        request = modifier(request)
    conn = stub.GetConnection()
    try:
        conn.request('POST', stub.path, request, headers)
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
    encoding = (resp.getheader('Content-Encoding') or 'identity').lower()
    if encoding == 'gzip':
        body = gzip.decompress(body)
    elif encoding == 'deflate':
        body = zlib.decompress(body)
    return resp.status, resp.reason, body


def _answer(stub, info, status, reason, body):
    """The body of a 200 answer to the method ``info``; for a 500, the vmodl fault it carries, deserialised by pyVmomi
    and raised as pyVmomi's own call raises it; any other status an HTTPException, as pyVmomi raises (503: retried)."""
    if status == 200:
        return body
    if status != 500:
        raise http.client.HTTPException('%d %s' % (status, reason))
    from pyVmomi.SoapAdapter import SoapResponseDeserializer  # pylint: disable=import-outside-toplevel
    try:
        fault = SoapResponseDeserializer(stub).Deserialize(body, info.result)
    except Exception:  # pylint: disable=broad-except
        fault = None
    if isinstance(fault, Exception):
        raise fault
    raise http.client.HTTPException('500 %s (no SOAP fault in the answer)' % reason)


def raw_call(stub, mo, method, args):
    """Send ``mo.method(*args)`` (serialised by pyVmomi) on pyVmomi's stub; return the body of a 200 answer (a fault
    is raised, see :func:`_answer`); None for another stub type (the caller then uses pyVmomi's path)."""
    if not _soap_stub(stub):
        return None
    info = mo._GetMethodInfo(method)  # pylint: disable=protected-access
    return _answer(stub, info, *_post(stub, stub.SerializeRequest(mo, info, args)))


# --------------------------------------------------------------------------------------------
# Permission writes

#: One ``Permission`` data object of a SetEntityPermissions request, its elements in the WSDL's sequence order
#: (entity, principal, group, roleId, propagate; ``entity`` is left out in a request, as pyVmomi leaves it out).
PERMISSION_ELEMENT = ('<permission><principal>%s</principal><group>%s</group><roleId>%d</roleId>'
                      '<propagate>%s</propagate></permission>')
_MARK = 'tenantdr0soap0mark'
_XML_BOOL = {True: 'true', False: 'false'}


class PermissionWrites:
    """SetEntityPermissions and RemoveEntityPermission on one session, each request built from a template that pyVmomi
    serialised once (per method, entity type and, for a removal, group flag) with marks where the values go.

    :meth:`for_session` returns None when the session is not pyVmomi's plain SOAP stub; a method returns False when it
    has no template for the request (the caller then makes the call through pyVmomi)."""

    def __init__(self, stub, auth, entity_class):
        self.stub, self.auth, self.entity_class = stub, auth, entity_class
        self._templates = {}

    @classmethod
    def for_session(cls, stub, auth, entity_class):
        """``entity_class(type name)`` -> the pyVmomi managed object class of an entity type (vim.<type>)."""
        return cls(stub, auth, entity_class) if _soap_stub(stub) else None

    def _template(self, method, typ, group=None):
        key = (method, typ, group)
        parts = self._templates.get(key)
        if parts is None:
            info = self.auth._GetMethodInfo(method)  # pylint: disable=protected-access
            entity = self.entity_class(typ)(_MARK, self.stub)
            args = [entity, []] if method == 'SetEntityPermissions' else [entity, _MARK, bool(group)]
            text = self.stub.SerializeRequest(self.auth, info, args).decode('utf-8')
            closing = '</%s>' % method
            parts = text.split(_MARK)
            if method == 'SetEntityPermissions':
                # the permissions go where pyVmomi put the (empty) permission list: right before the closing tag
                if len(parts) != 2 or parts[1].count(closing) != 1:
                    parts = ()
                else:
                    parts = (parts[0],) + tuple(parts[1].split(closing)) + (closing,)
            elif len(parts) != 3:
                parts = ()
            self._templates[key] = parts
        return parts

    def set_entity_permissions(self, typ, moid, perms):
        """SetEntityPermissions(entity ``typ``:``moid``, ``perms`` [{principal, group, role_id, propagate}]).
        Returns False without a template (nothing sent); raises what the call raises (a vmodl fault on a SOAP fault)."""
        parts = self._template('SetEntityPermissions', typ)
        if not parts:
            return False
        before, after, tail, closing = parts
        body = ''.join(PERMISSION_ELEMENT % (escape(p['principal']), _XML_BOOL[bool(p['group'])], int(p['role_id']),
                                             _XML_BOOL[bool(p['propagate'])]) for p in perms)
        self._send('SetEntityPermissions', before + escape(moid) + after + body + closing + tail)
        return True

    def remove_entity_permission(self, typ, moid, principal, group):
        """RemoveEntityPermission(entity ``typ``:``moid``, ``principal``, ``group``); False without a template."""
        parts = self._template('RemoveEntityPermission', typ, bool(group))
        if not parts:
            return False
        self._send('RemoveEntityPermission', parts[0] + escape(moid) + parts[1] + escape(principal) + parts[2])
        return True

    def _send(self, method, request):
        _answer(self.stub, self.auth._GetMethodInfo(method),  # pylint: disable=protected-access
                *_post(self.stub, request.encode('utf-8')))


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
    """RetrievePropertiesEx / ContinueRetrievePropertiesEx answer -> ([(type, moid, {prop: value})], token).

    The answer is scanned (:func:`scan_property_contents`); an answer the scanner does not fully account for is parsed
    as an XML tree (:func:`tree_property_contents`), which raises :class:`FastReadUnavailable` for what it does not
    know either."""
    try:
        return scan_property_contents(body)
    except FastReadUnavailable:
        return tree_property_contents(body)


def tree_property_contents(body):
    """:func:`parse_property_contents` through ``xml.etree``."""
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
    """RetrieveAllPermissions answer -> permission dicts (as vcenter.permission_dict): scanned, or parsed as an XML tree
    when the scanner does not account for the whole answer."""
    try:
        return scan_permissions(body)
    except FastReadUnavailable:
        return tree_permissions(body)


def tree_permissions(body):
    """:func:`parse_permissions` through ``xml.etree``."""
    out = []
    for rv in _returnvals(body):
        entity = _children(rv, 'entity')
        out.append(dict(entity=_text(entity[0]) if entity else None, principal=_child_text(rv, 'principal'),
                        group=_child_text(rv, 'group', 'false') in _TRUE, role_id=int(_child_text(rv, 'roleId')),
                        propagate=_child_text(rv, 'propagate', 'false') in _TRUE))
    return out


# --------------------------------------------------------------------------------------------------------------------
# The scanner: the two answers are long runs of the same few elements, serialised by vCenter in the WSDL's order
# without prefixes on vim25 elements. Regular expressions read them ~4x faster than building an element tree; every
# byte of an answer must be accounted for by what they matched, else the tree parser takes over.
# --------------------------------------------------------------------------------------------------------------------
_OBJ = re.compile(rb'<obj type="([^"<>]+)">([^<]*)</obj>')
_MOREF = re.compile(rb'<ManagedObjectReference type="[^"<>]+">([^<]*)</ManagedObjectReference>')
_STRING = re.compile(rb'<string>([^<]*)</string>')
_CUSTOM_VALUE = re.compile(rb'<CustomFieldValue(?:\s[^>]*)?><key>(-?\d+)</key>(?:<value>([^<]*)</value>|<value/>)?'
                           rb'</CustomFieldValue>')
_PERMISSION_ROW = re.compile(rb'<returnval><entity type="[^"<>]+">([^<]*)</entity><principal>([^<]*)</principal>'
                             rb'<group>(true|false|1|0)</group><roleId>(-?\d+)</roleId>'
                             rb'<propagate>(true|false|1|0)</propagate></returnval>')
_ENVELOPE_OF = {'permissions': (b'<RetrieveAllPermissionsResponse ',),
                'contents': (b'<RetrievePropertiesExResponse ', b'<ContinueRetrievePropertiesExResponse ')}
#: Values read through the tree parser even when scanning (three objects per vCenter: roles, privileges, fields).
_TREE_VALUES = ('roleList', 'privilegeList', 'field')
_VAL_WRAPPER = (b'<wrapper xmlns="urn:vim25" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
                b'xmlns:xsd="http://www.w3.org/2001/XMLSchema"><val', b'</val></wrapper>')


def _decode(raw):
    text = raw.decode('utf-8')
    return html.unescape(text) if '&' in text else text


def _all(pattern, raw):
    """The groups of consecutive matches of ``pattern`` that make up all of ``raw``; FastReadUnavailable otherwise."""
    out, pos = [], 0
    for m in pattern.finditer(raw):
        if m.start() != pos:
            break
        out.append(m.groups() if pattern.groups > 1 else m.group(1))
        pos = m.end()
    if pos != len(raw):
        raise FastReadUnavailable('unexpected element in a value')
    return out


def _scanned_value(prop, xtype, attrs, raw):
    if raw is None:
        raw = b''
    if prop in _TREE_VALUES:
        try:
            wrapped = ET.fromstring(_VAL_WRAPPER[0] + attrs + b'>' + raw + _VAL_WRAPPER[1])
        except ET.ParseError as exc:
            raise FastReadUnavailable('value of %s: %s' % (prop, exc))
        return _value(prop, wrapped[0])
    if prop == 'customValue':
        return [(int(k), _decode(v or b'')) for k, v in _all(_CUSTOM_VALUE, raw)]
    if xtype == b'ManagedObjectReference':
        if b'<' in raw:
            raise FastReadUnavailable('unexpected reference')
        return _decode(raw)
    if xtype == b'ArrayOfManagedObjectReference':
        return [_decode(v) for v in _all(_MOREF, raw)]
    if xtype == b'ArrayOfString':
        return [_decode(v) for v in _all(_STRING, raw)]
    if xtype == b'boolean':
        return raw in _BTRUE
    if xtype in (b'string', None) and b'<' not in raw:
        return _decode(raw)
    raise FastReadUnavailable('unexpected type %s of %s' % (xtype, prop))


def _check_response(body, kind):
    start = body.find(b'<soapenv:Body>')
    if start < 0 or not any(marker in body[start:start + 200] for marker in _ENVELOPE_OF[kind]):
        raise FastReadUnavailable('unexpected SOAP envelope')
    if b'<![' in body:
        raise FastReadUnavailable('CDATA')


def scan_property_contents(body):
    """:func:`parse_property_contents` by scanning; FastReadUnavailable for anything it does not fully account for."""
    _check_response(body, 'contents')
    out = []
    start, end = body.find(b'<returnval>'), body.rfind(b'</returnval>')
    if start < 0 or end < start or body.count(b'<returnval') != 1:
        raise FastReadUnavailable('not one returnval')  # an empty answer has none: the tree parser says so
    region = body[start + 11:end]
    token = None
    if region.startswith(b'<token>'):
        close = region.find(b'</token>')
        token, region = _decode(region[7:close]), region[close + 8:]
    pieces = region.split(b'<objects>')
    if pieces[0] or not region.endswith(b'</objects>'):
        raise FastReadUnavailable('unexpected element in the answer')
    # The same property value recurs across objects (the VMs of one folder share their parent, of one host their
    # datastores and networks): a property whose whole text was seen before takes the value made then.
    seen = {}
    for piece in pieces[1:]:
        end = piece.find(b'</objects>')
        if end + 10 != len(piece):
            raise FastReadUnavailable('unexpected element between objects')
        block = piece[:end]
        head = _OBJ.match(block)
        if head is None:
            raise FastReadUnavailable('object without obj')
        props = {}
        sets = block[head.end():].split(b'<propSet><name>')
        if sets[0]:
            raise FastReadUnavailable('unexpected element in an object')
        for item in sets[1:]:
            known = seen.get(item)
            if known is not None:
                props[known[0]] = list(known[1]) if type(known[1]) is list else known[1]  # pylint: disable=unidiomatic-typecheck
                continue
            # item: NAME</name>[<val ATTRS>RAW</val> | <val ATTRS/>]</propSet>
            n = item.find(b'</name>')
            if n < 0 or not item.endswith(b'</propSet>'):
                raise FastReadUnavailable('unexpected element in an object')  # e.g. missingSet
            name = _decode(item[:n])
            rest = item[n + 7:-10]
            if not rest:
                props[name] = None
                continue
            if not rest.startswith(b'<val'):
                raise FastReadUnavailable('unexpected element in a property')
            close = rest.find(b'>')
            if rest[close - 1:close + 1] == b'/>' and close + 1 == len(rest):
                attrs, raw = rest[4:close - 1], b''
            elif rest.endswith(b'</val>'):
                attrs, raw = rest[4:close], rest[close + 1:-6]
            else:
                raise FastReadUnavailable('unexpected element in a property')
            k = attrs.rfind(b':type="')
            xtype = attrs[k + 7:attrs.find(b'"', k + 7)].rpartition(b':')[2] if k >= 0 else None
            value = props[name] = _scanned_value(name, xtype, attrs, raw)
            if name != 'name' and name not in _TREE_VALUES:  # names differ from object to object; roles and such are one
                seen[item] = (name, value)  # a later object gets a copy of a list (above); this one keeps its own
        out.append((head.group(1).decode('ascii'), _decode(head.group(2)), props))
    return out, token


def scan_permissions(body):
    """:func:`parse_permissions` by scanning; FastReadUnavailable for anything it does not fully account for."""
    _check_response(body, 'permissions')
    start, end = body.find(b'<returnval>'), body.rfind(b'</returnval>')
    if start < 0:
        raise FastReadUnavailable('no returnval')  # no permission at all: the tree parser says so
    found = _all(_PERMISSION_ROW, body[start:end + 12])
    return [dict(entity=_decode(e), principal=_decode(p), group=g in _BTRUE, role_id=int(r),
                 propagate=pr in _BTRUE) for e, p, g, r, pr in found]
