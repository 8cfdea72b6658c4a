# -*- coding: utf-8 -*-
# Copyright: tenantdr.asr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure permission planning: desired assignments + current permissions -> list of changes.

No vCenter calls here.  The same plan drives the real run, check mode, diff mode, the module
result and the tests, so check mode reports exactly what a real run would change.

A permission in vSphere is the tuple (entity, principal, group flag, role, propagate); an entity
holds at most one permission per (principal, group flag) (AuthorizationManager API reference:
"A ManagedEntity may have multiple permissions, but may have only one permission per user or
group").  Principals come back from vCenter as ``DOMAIN\\login``; users write ``login@domain``
just as often, so both forms are compared through :func:`principal_key`.
"""
from __future__ import annotations

import re

_PRINCIPAL_RE = re.compile(r'^[^\s\\@]+$')


class PlanError(Exception):
    """Invalid input found while planning (raised before any write)."""


def principal_key(principal: str) -> str:
    """Canonical, case-insensitive key: ``acme-dr@vsphere.local`` == ``VSPHERE.LOCAL\\acme-dr``."""
    p = str(principal).strip()
    if '\\' in p:
        domain, user = p.split('\\', 1)
    elif '@' in p:
        user, domain = p.rsplit('@', 1)
    else:
        domain, user = '', p
    return '%s\\%s' % (domain.lower(), user.lower())


def validate_principal(principal) -> str | None:
    """Return an error text when ``principal`` is not ``login``, ``login@domain`` or ``DOMAIN\\login``."""
    if principal is None or not str(principal).strip():
        return "principal is empty; give the vCenter access account as 'login@domain' or 'DOMAIN\\login'"
    p = str(principal).strip()
    if '\\' in p:
        parts = p.split('\\', 1)
    elif '@' in p:
        parts = p.rsplit('@', 1)
    else:
        parts = [p]
    if not all(_PRINCIPAL_RE.match(x) for x in parts):
        return ("principal '%s' is not a valid vCenter principal; use 'login@domain' (UPN) or 'DOMAIN\\login' "
                "without spaces" % p)
    return None


def perm_state(role_name, propagate, role_id):
    return {'role': role_name, 'role_id': role_id, 'propagate': bool(propagate)}


def plan_changes(snapshot, assignments, state='present', exclusive=False, all_objects=False):
    """Compute the changes that bring ``snapshot.permissions`` to the wanted state.

    ``assignments``: list of dicts ``{principal, group, role_id (present only), objects: [moid],
    propagate}`` with already resolved objects and role ids.

    * present: each (object, principal) gets exactly (role, propagate); with ``exclusive`` the
      principal's permissions on objects not listed are removed.
    * absent: the principal's permissions on the listed objects (or on every object with
      ``all_objects``) are removed, whatever their role.

    Other principals are never part of a change.  Returns a list of change dicts sorted by path:
    ``{object, path, type, principal, group, action: add|update|remove, before, after}``.
    """
    current = {}
    for p in snapshot.permissions:
        current[(p['entity'], principal_key(p['principal']), p['group'])] = p

    def role_name(role_id):
        role = snapshot.role_by_id(role_id)
        return role['name'] if role else str(role_id)

    wanted = {}
    owners = {}
    for a in assignments:
        key = principal_key(a['principal'])
        for moid in a.get('objects') or []:
            k = (moid, key, bool(a.get('group')))
            if state == 'present':
                new = (a['role_id'], bool(a.get('propagate')))
                if k in wanted and wanted[k][0] != new:
                    raise PlanError("principal '%s' is asked to hold two different permissions on '%s': %s and %s"
                                    % (a['principal'], snapshot.label(moid),
                                       _fmt(role_name(wanted[k][0][0]), wanted[k][0][1]), _fmt(role_name(new[0]), new[1])))
                wanted[k] = (new, a['principal'])
            else:
                wanted[k] = (None, a['principal'])
        owners[(key, bool(a.get('group')))] = a['principal']

    changes = []

    def change(moid, principal, group, action, before, after):
        obj = snapshot.objects.get(moid, {})
        changes.append(dict(object=moid, path=obj.get('path', moid), type=obj.get('type'), principal=principal,
                            group=group, action=action, before=before, after=after))

    if state == 'present':
        for (moid, key, group), ((role_id, propagate), principal) in wanted.items():
            cur = current.get((moid, key, group))
            after = perm_state(role_name(role_id), propagate, role_id)
            if cur is None:
                change(moid, principal, group, 'add', None, after)
            elif cur['role_id'] != role_id or cur['propagate'] != propagate:
                change(moid, cur['principal'], group, 'update', perm_state(role_name(cur['role_id']), cur['propagate'], cur['role_id']), after)
        if exclusive:
            for (moid, key, group), cur in current.items():
                if (key, group) in owners and (moid, key, group) not in wanted:
                    change(moid, cur['principal'], group, 'remove', perm_state(role_name(cur['role_id']), cur['propagate'], cur['role_id']), None)
    else:
        for (moid, key, group), cur in current.items():
            if (key, group) not in owners:
                continue
            if all_objects or (moid, key, group) in wanted:
                change(moid, cur['principal'], group, 'remove', perm_state(role_name(cur['role_id']), cur['propagate'], cur['role_id']), None)
    changes.sort(key=lambda c: (c['path'], principal_key(c['principal']), c['group']))
    return changes


def _fmt(role, propagate):
    return '%s (propagate=%s)' % (role, 'true' if propagate else 'false')


def summarize(changes):
    out = {'add': 0, 'update': 0, 'remove': 0}
    for c in changes:
        out[c['action']] += 1
    return out


def grouped_changes(changes):
    """``changes`` grouped by what changes for whom: one entry per principal, group flag, action and before/after
    permission, in the order of their first change, with the paths of its objects (``objects``) in place of
    ``object``/``path``/``type``. The compact form of a run's changes: a tenant's 26 permission changes are two or three
    entries, and their reader still finds ``principal``, ``group``, ``action``, ``before`` and ``after``."""
    groups = {}
    for c in changes:
        before, after = c['before'], c['after']
        key = (c['principal'], bool(c['group']), c['action'], before and tuple(sorted(before.items())),
               after and tuple(sorted(after.items())))
        entry = groups.get(key)
        if entry is None:
            entry = groups[key] = dict(principal=c['principal'], group=c['group'], action=c['action'], before=before,
                                       after=after, objects=[])
        entry['objects'].append(c['path'])
    return list(groups.values())


def diff_of(changes):
    """Ansible diff: before/after text, one line per (path, principal) that changes."""
    before, after = [], []
    for c in changes:
        who = '%s%s' % (c['principal'], ' (group)' if c['group'] else '')
        if c['before']:
            before.append('%s: %s -> %s\n' % (c['path'], who, _fmt(c['before']['role'], c['before']['propagate'])))
        if c['after']:
            after.append('%s: %s -> %s\n' % (c['path'], who, _fmt(c['after']['role'], c['after']['propagate'])))
    return {'before': ''.join(before), 'after': ''.join(after),
            'before_header': 'vCenter permissions', 'after_header': 'vCenter permissions'}


def write_batches(changes):
    """Group changes into the fewest vCenter calls.

    Returns (sets, removes): ``sets`` maps an entity moid to the permissions to upsert there with
    one SetEntityPermissions call; ``removes`` is a list of (moid, principal, group) for
    RemoveEntityPermission.
    """
    sets = {}
    removes = []
    for c in changes:
        if c['action'] == 'remove':
            removes.append((c['object'], c['principal'], c['group']))
        else:
            sets.setdefault(c['object'], []).append(c)
    return sets, removes
