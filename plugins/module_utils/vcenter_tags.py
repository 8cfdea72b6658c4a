# -*- coding: utf-8 -*-
# Copyright: tenantdr.asr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""vSphere tag selectors: the vAPI REST tagging endpoint, read in bulk.

Tags are not in the SOAP inventory; vCenter serves them over its vAPI REST endpoint:

* ``/api`` (vSphere 7.0U2 and later): ``POST /api/session`` (Basic auth) returns the session id as
  a JSON string; ``GET /api/cis/tagging/category``, ``GET /api/cis/tagging/category/{id}``,
  ``POST /api/cis/tagging/tag?action=list-tags-for-category`` (``{"category_id": ...}``),
  ``GET /api/cis/tagging/tag/{id}`` and ``POST /api/cis/tagging/tag-association?action=
  list-attached-objects-on-tags`` (``{"tag_ids": [...]}``); answers are bare JSON.
* ``/rest`` (6.5 to 8.x, the only one on 6.x and in govmomi's simulator): ``POST
  /rest/com/vmware/cis/session``, ``.../cis/tagging/category[/id:{id}]``, ``POST
  .../tagging/tag/id:{category}?~action=list-tags-for-category``, ``.../tagging/tag/id:{id}`` and
  ``POST .../tagging/tag-association?~action=list-attached-objects-on-tags``; answers are wrapped
  in ``{"value": ...}``.

Either way the session header is ``vmware-api-session-id``.  The client tries ``/api`` first and
falls back to ``/rest`` when the server does not know it (404).  Calls per run: one login, one
category list plus one read per category (only when a selector names a category), one
``list-tags-for-category`` plus one read per tag of the named categories, **one**
``list-attached-objects-on-tags`` for every tag of every tenant, one logout -- independent of the
number of VMs.

:func:`attach_tags` is what the modules call: it resolves every tenant's ``vm_selectors.tags`` and
stores ``snapshot.tag_attachments`` (selector text -> VM moids) for ``tenant_plan.select_vms``.
"""
from __future__ import annotations

import difflib
import json

from ansible.module_utils.six.moves.urllib.error import HTTPError, URLError
from ansible.module_utils.six.moves.urllib.parse import quote
from ansible.module_utils.urls import open_url

from ansible_collections.tenantdr.asr.plugins.module_utils.tenant_plan import TenantPlanError
from ansible_collections.tenantdr.asr.plugins.module_utils.vcenter import VCenterError

SESSION_HEADER = 'vmware-api-session-id'
TAG_ID_PREFIX = 'urn:vmomi:InventoryServiceTag:'
TIMEOUT = 60

#: the two dialects: login path, and a function building each path
DIALECTS = {
    'api': dict(
        session='/api/session',
        categories='/api/cis/tagging/category',
        category=lambda cid: '/api/cis/tagging/category/%s' % quote(cid, safe=''),
        tags_for_category=lambda cid: ('/api/cis/tagging/tag?action=list-tags-for-category', {'category_id': cid}),
        tag=lambda tid: '/api/cis/tagging/tag/%s' % quote(tid, safe=''),
        attached='/api/cis/tagging/tag-association?action=list-attached-objects-on-tags',
    ),
    'rest': dict(
        session='/rest/com/vmware/cis/session',
        categories='/rest/com/vmware/cis/tagging/category',
        category=lambda cid: '/rest/com/vmware/cis/tagging/category/id:%s' % quote(cid, safe=''),
        tags_for_category=lambda cid: ('/rest/com/vmware/cis/tagging/tag/id:%s?~action=list-tags-for-category'
                                       % quote(cid, safe=''), None),
        tag=lambda tid: '/rest/com/vmware/cis/tagging/tag/id:%s' % quote(tid, safe=''),
        attached='/rest/com/vmware/cis/tagging/tag-association?~action=list-attached-objects-on-tags',
    ),
}


class TagClient:
    """A vAPI REST session on one vCenter (same hostname, port, credentials and validate_certs as SOAP)."""

    def __init__(self, params):
        self.params = params
        self.base = 'https://%s:%s' % (params['hostname'], params.get('port') or 443)
        self.session = None
        self.dialect = None
        self.calls = 0

    # -- transport -----------------------------------------------------------------------
    def _open(self, method, path, body=None, auth=False):
        headers = {'Accept': 'application/json'}
        data = None
        if body is not None:
            data = json.dumps(body).encode('utf-8')
            headers['Content-Type'] = 'application/json'
        if self.session:
            headers[SESSION_HEADER] = self.session
        kwargs = {}
        if auth:
            kwargs = dict(url_username=self.params['username'], url_password=self.params['password'], force_basic_auth=True)
        self.calls += 1
        resp = open_url(self.base + path, method=method, data=data, headers=headers, timeout=TIMEOUT,
                        validate_certs=self.params.get('validate_certs', True), **kwargs)
        text = resp.read()
        if not text:
            return None
        value = json.loads(text)
        if self.dialect == 'rest' and isinstance(value, dict) and 'value' in value:
            return value['value']
        return value

    def call(self, method, path, body=None):
        try:
            return self._open(method, path, body)
        except HTTPError as exc:
            raise VCenterError('vCenter %s refused %s %s: HTTP %s %s'
                               % (self.params['hostname'], method, path.split('?')[0], exc.code, _error_text(exc)))
        except (URLError, OSError, ValueError) as exc:
            raise VCenterError('cannot talk to the vAPI REST endpoint of vCenter %s: %s' % (self.params['hostname'], exc))

    # -- session -------------------------------------------------------------------------
    def login(self):
        last = None
        for dialect in ('api', 'rest'):
            self.dialect = dialect
            try:
                value = self._open('POST', DIALECTS[dialect]['session'], auth=True)
            except HTTPError as exc:
                if exc.code in (404, 405):   # /api is 7.0U2+: fall back to /rest
                    last = exc
                    continue
                if exc.code in (401, 403):
                    raise VCenterError("vCenter %s rejected the vAPI REST login of '%s' (HTTP %s)"
                                       % (self.params['hostname'], self.params['username'], exc.code))
                raise VCenterError('vCenter %s refused the vAPI REST login: HTTP %s %s'
                                   % (self.params['hostname'], exc.code, _error_text(exc)))
            except (URLError, OSError, ValueError) as exc:
                raise VCenterError('cannot reach the vAPI REST endpoint of vCenter %s:%s: %s'
                                   % (self.params['hostname'], self.params.get('port') or 443, exc))
            self.session = value if isinstance(value, str) else (value or {}).get('value')
            return self
        raise VCenterError('vCenter %s serves neither /api nor /rest vAPI endpoints (HTTP %s): tag selectors need vCenter 6.5 '
                           'or later' % (self.params['hostname'], getattr(last, 'code', '?')))

    def logout(self):
        if self.session:
            try:
                self._open('DELETE', DIALECTS[self.dialect]['session'])
            except (HTTPError, URLError, OSError, ValueError):
                pass  # best effort
            self.session = None

    def __enter__(self):
        return self.login()

    def __exit__(self, *exc):
        self.logout()

    # -- reads ---------------------------------------------------------------------------
    def categories(self):
        """{name: id} of every category (one list call plus one read per category)."""
        d = DIALECTS[self.dialect]
        out = {}
        for cid in self.call('GET', d['categories']) or []:
            info = self.call('GET', d['category'](cid)) or {}
            out[info.get('name', cid)] = cid
        return out

    def tags_of_category(self, cid):
        """{name: id} of the tags of one category."""
        d = DIALECTS[self.dialect]
        path, body = d['tags_for_category'](cid)
        out = {}
        for tid in self.call('POST', path, body) or []:
            info = self.call('GET', d['tag'](tid)) or {}
            out[info.get('name', tid)] = tid
        return out

    def tag_exists(self, tid):
        try:
            self._open('GET', DIALECTS[self.dialect]['tag'](tid))
            return True
        except HTTPError as exc:
            if exc.code in (400, 404):
                return False
            raise VCenterError('vCenter %s refused reading tag %s: HTTP %s' % (self.params['hostname'], tid, exc.code))

    def attached_objects(self, tag_ids):
        """{tag id: [(type, moid)]} for many tags in one call."""
        if not tag_ids:
            return {}
        out = {tid: [] for tid in tag_ids}
        for entry in self.call('POST', DIALECTS[self.dialect]['attached'], {'tag_ids': list(tag_ids)}) or []:
            out.setdefault(entry.get('tag_id'), [])
            for obj in entry.get('object_ids') or []:
                out[entry.get('tag_id')].append((obj.get('type'), obj.get('id')))
        return out


def _error_text(exc):
    try:
        body = json.loads(exc.read() or b'{}')
    except (ValueError, OSError):
        return str(exc.reason)
    value = body.get('value', body) if isinstance(body, dict) else {}
    messages = value.get('messages') or [] if isinstance(value, dict) else []
    return '; '.join(m.get('default_message', '') for m in messages if isinstance(m, dict)) or str(exc.reason)


def _suggest(word, choices):
    close = difflib.get_close_matches(word, list(choices), n=3, cutoff=0.5)
    return (" (did you mean %s?)" % ' or '.join("'%s'" % c for c in close)) if close else ''


def tag_references(tenants):
    """Every ``vm_selectors.tags`` entry of the tenants: [(tenant name, selector text)]."""
    return [(t['name'], ref) for t in tenants for ref in (t.get('vm_selectors') or {}).get('tags') or []]


def resolve_tags(client, refs):
    """Selector text -> tag id, or raise TenantPlanError naming every unknown category/tag with suggestions."""
    problems, resolved = [], {}
    by_name = [(n, r) for n, r in refs if not r.startswith(TAG_ID_PREFIX)]
    categories = client.categories() if by_name else {}
    cat_lower = {k.lower(): k for k in categories}
    tags_cache = {}
    for tenant, ref in refs:
        if ref in resolved:
            continue
        if ref.startswith(TAG_ID_PREFIX):
            if client.tag_exists(ref):
                resolved[ref] = ref
            else:
                problems.append(dict(conflict='missing_object', tenants=[tenant], paths=[ref],
                                     message="tenant %s: tag id '%s' was not found in vCenter's tagging service" % (tenant, ref)))
            continue
        cat_name, tag_name = [p.strip() for p in ref.split('/', 1)]
        cat = cat_lower.get(cat_name.lower())
        if cat is None:
            problems.append(dict(conflict='missing_object', tenants=[tenant], paths=[ref],
                                 message="tenant %s: tag category '%s' of tag selector '%s' was not found%s; categories: %s"
                                         % (tenant, cat_name, ref, _suggest(cat_name, categories),
                                            ', '.join(sorted(categories)) or 'none')))
            continue
        if cat not in tags_cache:
            tags_cache[cat] = client.tags_of_category(categories[cat])
        tags = tags_cache[cat]
        tag = {k.lower(): k for k in tags}.get(tag_name.lower())
        if tag is None:
            problems.append(dict(conflict='missing_object', tenants=[tenant], paths=[ref],
                                 message="tenant %s: tag '%s' was not found in category '%s'%s; its tags: %s"
                                         % (tenant, tag_name, cat, _suggest(tag_name, tags), ', '.join(sorted(tags)) or 'none')))
            continue
        resolved[ref] = tags[tag]
    if problems:
        raise TenantPlanError(problems)
    return resolved


def attach_tags(snapshot, connection_params, tenants):
    """Fetch the VMs carrying every tag the tenants select by, in bulk; store them on the snapshot.

    Sets ``snapshot.tag_attachments`` = {selector text: [VM moids]} (and ``snapshot.tag_ids``).
    Does nothing (no REST call) when no tenant uses a tag selector.  Raises
    :class:`~tenant_plan.TenantPlanError` for unknown categories / tags and
    :class:`~vcenter.VCenterError` for connection or login problems.
    """
    refs = tag_references(tenants)
    if not refs:
        snapshot.tag_attachments = {}
        return snapshot
    with TagClient(connection_params) as client:
        resolved = resolve_tags(client, refs)
        attached = client.attached_objects(sorted(set(resolved.values())))
    snapshot.tag_ids = resolved
    snapshot.tag_attachments = {
        ref: sorted({moid for typ, moid in attached.get(tid, []) if typ in (None, 'VirtualMachine') and moid in snapshot.objects})
        for ref, tid in resolved.items()}
    return snapshot
