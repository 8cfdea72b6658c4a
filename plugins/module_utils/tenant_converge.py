# -*- coding: utf-8 -*-
# Copyright: tenantdr.asr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Converging the vCenter side of DR tenants: the pieces the vCenter modules share, and the whole pipeline of one
vCenter on one session and one inventory read (``tenantdr.asr.vcenter_tenants``).

* :func:`converge_role` - the DR role (``vcenter_tenant_role``), creation race-safe (two AWX slices creating it at the
  same time: the loser re-reads the roles and goes on);
* :func:`check_principals_exist`, :func:`apply_changes` - the permission writes (``vcenter_nonpropagating_permission``):
  one SetEntityPermissions per entity that differs (an upsert), one RemoveEntityPermission per permission to drop;
* :func:`converge_vcenter` - offboard the absent tenants (audit before/after, unused DR roles deleted), onboard the
  present ones (DR roles, plans, exclusive permissions) and audit, from ONE snapshot plus this run's own writes.

Everything returned is plain data; the display lines are built here, not in templates.
"""
from __future__ import annotations

import collections
import concurrent.futures
import functools
import itertools

from ansible_collections.tenantdr.asr.plugins.module_utils.audit_report import drift
from ansible_collections.tenantdr.asr.plugins.module_utils.isolation import audit, has_findings
from ansible_collections.tenantdr.asr.plugins.module_utils.permissions import (
    PlanError, grouped_changes, plan_changes, principal_key, summarize, write_batches)
from ansible_collections.tenantdr.asr.plugins.module_utils.role_profiles import (
    SYSTEM_PRIVILEGES, ProfileError, check_privileges, compatibility, plan_role, profile_privileges)
from ansible_collections.tenantdr.asr.plugins.module_utils.tenant_plan import READ_ONLY, plans_for, validate_tenants
from ansible_collections.tenantdr.asr.plugins.module_utils.vcenter import read_plan_snapshot

#: Placeholder role ids of DR roles that check mode would create (negative, below every vCenter system role id).
PENDING_ROLE_ID = -1000


class ApplyError(Exception):
    """vCenter refused a write after ``done`` of ``total`` changes were applied."""

    def __init__(self, done, total, cause):
        self.done, self.total, self.cause = done, total, cause
        super().__init__('vCenter refused a permission change after %d of %d change(s) were applied: %s. Fix the cause '
                         'and re-run; the run converges from where it stopped.' % (done, total, cause))


# --------------------------------------------------------------------------------------------
# DR role
# --------------------------------------------------------------------------------------------

def desired_privileges(profile, extra, server_privileges):
    """(privileges the role must hold, profile privileges this server does not know)."""
    desired, skipped = profile_privileges(profile, server_privileges)
    extra = [x for x in extra or [] if x not in SYSTEM_PRIVILEGES]
    check_privileges(extra, server_privileges)
    return sorted(set(desired) | set(extra)), skipped


def held_privileges(privileges):
    """The privileges a role holds once vCenter has stored it: vCenter adds System.Anonymous, System.Read and
    System.View to every role (vSphere Security, "Read-only" role), so the audit of the same run sees what the role
    really grants (System.View is what makes an object visible)."""
    return sorted(set(privileges) | set(SYSTEM_PRIVILEGES))


def converge_role(vc, snap, name, desired, privilege_mode='replace', state='present', new_name=None, force=False,
                  check_mode=False, used_by=None):
    """Bring role ``name`` to ``desired`` privileges on ``snap`` (roles and privileges suffice).

    ``used_by(role)`` returns the permissions using an existing role (``[{path, principal, group, propagate}]``),
    read only when needed. ``snap.roles`` is updated in memory. Returns the role result (plain data)."""
    existing = snap.find_role(name)
    if existing is None and new_name:
        existing = snap.find_role(new_name)  # already renamed by an earlier run
    if existing is not None and existing['system']:
        raise ProfileError("role '%s' is a built-in vCenter system role and is never changed by this module; "
                           "choose another name" % existing['name'])
    compat = compatibility(existing['privileges'] if existing else [], desired)
    compat['exists'] = existing is not None
    users = used_by(existing) if (existing is not None and used_by is not None) else []
    plan = plan_role(existing, name, new_name, desired, privilege_mode, state)
    if plan['action'] == 'delete' and users and not force:
        raise ProfileError("role '%s' is still used by %d permission(s): %s. Remove those permissions first (offboard the "
                           "tenants) or set force: true to delete the role and its permissions"
                           % (existing['name'], len(users),
                              '; '.join('%s on %s' % (u['principal'], u['path']) for u in users[:20])
                              + ('; ...' if len(users) > 20 else '')))
    role_id = existing['id'] if existing else None
    final_name = plan['renamed_to'] or plan['name']
    before = None if existing is None else dict(name=existing['name'], privileges=sorted(
        set(existing['privileges']) - set(SYSTEM_PRIVILEGES)))
    if plan['action'] == 'create':
        if check_mode:
            role_id = PENDING_ROLE_ID - len(snap.roles)
        else:
            role_id, created = vc.ensure_role(final_name, plan['privileges'])
            if not created:
                # another job created it between our read and our write: converge on what it created
                snap.set_roles(vc.read_roles().roles)
                return converge_role(vc, snap, name, desired, privilege_mode, state, new_name, force, check_mode, used_by)
        snap.set_roles(snap.roles + [dict(id=role_id, name=final_name, label=final_name, system=False,
                                          privileges=held_privileges(plan['privileges']))])
    elif plan['action'] == 'update':
        if not check_mode:
            vc.update_role(existing['id'], final_name, plan['privileges'])
        snap.set_roles([dict(r, name=final_name, label=final_name, privileges=held_privileges(plan['privileges']))
                        if r['id'] == existing['id'] else r for r in snap.roles])
    elif plan['action'] == 'delete':
        if not check_mode:
            vc.remove_role(existing['id'], fail_if_used=not force)
        snap.set_roles([r for r in snap.roles if r['id'] != existing['id']])
    role = {} if plan['action'] == 'delete' or (state == 'absent' and existing is None) else dict(
        id=role_id, name=final_name, privileges=plan['privileges'])
    return dict(changed=plan['action'] != 'none', action=plan['action'], role=role, added_privileges=plan['added'],
                removed_privileges=plan['removed'], compatibility=compat, used_by=users, before=before)


# --------------------------------------------------------------------------------------------
# Permissions
# --------------------------------------------------------------------------------------------

def directory_lookup(vc):
    """``principal_exists`` for many principals: one ``RetrieveUserGroups`` listing per (domain, users/groups) - a
    blank search string matches every principal of the domain (vSphere API, UserDirectory) - and the exact lookup of
    ``vc.principal_exists`` only for those the listing does not show (a directory may cap a listing)."""
    listed = {}

    def exists(principal, is_group):
        key = principal_key(principal)
        domain = key.split('\\', 1)[0]
        if (domain, is_group) not in listed:
            names = set()
            if domain:
                try:
                    found = vc.content.userDirectory.RetrieveUserGroups(
                        domain=domain, searchStr='', exactMatch=False, findUsers=not is_group, findGroups=is_group)
                    for r in found or []:
                        if bool(r.group) == bool(is_group):
                            login = r.principal.split('\\')[-1].split('@')[0]
                            names.add(principal_key('%s@%s' % (login, domain)))
                except Exception:  # pylint: disable=broad-except  # the exact lookups below still answer
                    names = set()
            listed[(domain, is_group)] = names
        if key in listed[(domain, is_group)]:
            return True
        return vc.principal_exists(principal, is_group)
    return exists


#: From this many new principals of one directory domain on, one listing of the domain replaces their exact lookups.
LIST_DOMAIN_FROM = 4


def check_principals_exist(vc, snap, changes):
    """Look up each principal that gets a new permission; raise PlanError naming the unknown ones.

    Principals that already hold a permission somewhere are known to vCenter, so an idempotent re-run makes no lookup
    at all. Many new principals of one domain (onboarding many tenants) are checked against one listing of the domain
    (:func:`directory_lookup`) instead of one lookup each.
    """
    existing = {principal_key(x['principal']) for x in snap.permissions}
    todo = {}
    for c in changes:
        if c['action'] == 'add' and principal_key(c['principal']) not in existing:
            todo[(principal_key(c['principal']), c['group'])] = c['principal']
    per_domain = collections.Counter((key.split('\\', 1)[0], group) for key, group in todo)
    listing = directory_lookup(vc)

    def exists(key, name, group):
        if per_domain[(key.split('\\', 1)[0], group)] >= LIST_DOMAIN_FROM:
            return listing(name, group)
        return vc.principal_exists(name, group)
    missing = [name for (key, group), name in sorted(todo.items()) if not exists(key, name, group)]
    if missing:
        raise PlanError("nothing was changed; vCenter's user directory does not know principal(s): %s. Create the vCenter "
                        "access account in vCenter SSO / your identity source first, or set validate_principals: false"
                        % ', '.join("'%s'" % m for m in missing))


def apply_changes(vc, snap, changes):
    """Write ``changes``: one SetEntityPermissions per entity, then one RemoveEntityPermission per removal; both
    retried on transient failures, up to ``vc.write_workers()`` of them in flight at once (each is an upsert or an
    idempotent removal of one entity's permission, so they do not depend on each other). Returns the number of vCenter
    writes; raises :class:`ApplyError` on a refusal, after the writes already in flight have finished and without
    starting the others."""
    from ansible_collections.tenantdr.asr.plugins.module_utils.vcenter import fault_text, vmodl  # pylint: disable=import-outside-toplevel
    sets, removes = write_batches(changes)

    def wanted(batch):
        return [dict(principal=c['principal'], group=c['group'], role_id=c['after']['role_id'],
                     propagate=c['after']['propagate']) for c in batch]
    phases = [
        [(functools.partial(vc.set_permissions, snap, moid, wanted(batch)), len(batch)) for moid, batch in sets.items()],
        [(functools.partial(vc.remove_permission, snap, moid, principal, group), 1) for moid, principal, group in removes],
    ]
    writes = done = 0
    for calls in phases:
        try:
            ok = run_calls(calls, vc.write_workers())
        except CallsFailed as exc:
            writes += exc.writes
            done += exc.done
            if isinstance(exc.error, vmodl.MethodFault):
                raise ApplyError(done, len(changes), fault_text(exc.error))
            raise exc.error
        writes += ok[0]
        done += ok[1]
    return writes


class CallsFailed(Exception):
    """A call of :func:`run_calls` failed: ``error``, and the ``writes``/``done`` that went through before."""

    def __init__(self, error, writes, done):
        super().__init__(str(error))
        self.error, self.writes, self.done = error, writes, done


def run_calls(calls, workers):
    """Run ``calls`` ([(callable, items)]), at most ``workers`` at once; returns (calls made, items done). On the first
    failure no further call is started; the ones in flight finish; :class:`CallsFailed` carries the first error."""
    writes = done = 0
    error = None
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        pending = iter(calls)
        running = {}
        for call, items in itertools.islice(pending, workers):
            running[pool.submit(call)] = items
        while running:
            finished = concurrent.futures.wait(running, return_when=concurrent.futures.FIRST_COMPLETED).done
            for f in finished:
                items = running.pop(f)
                exc = f.exception()
                if exc is not None:
                    error = error or exc
                    continue
                writes += 1
                done += items
            if error is None:
                for call, items in itertools.islice(pending, len(finished)):
                    running[pool.submit(call)] = items
    if error is not None:
        raise CallsFailed(error, writes, done)
    return writes, done


def apply_in_memory(snap, changes):
    """Apply ``changes`` to ``snap.permissions`` (what vCenter holds after a successful write, or would in check mode)."""
    if not changes:
        return  # an idempotent run: nothing to index
    index = {(p['entity'], principal_key(p['principal']), p['group']): i for i, p in enumerate(snap.permissions)}
    drop = set()
    for c in changes:
        key = (c['object'], principal_key(c['principal']), c['group'])
        if c['action'] == 'remove':
            if key in index:
                drop.add(index[key])
            continue
        new = dict(entity=c['object'], principal=c['principal'], group=c['group'], role_id=c['after']['role_id'],
                   propagate=c['after']['propagate'])
        if key in index:
            snap.permissions[index[key]] = new
        else:
            index[key] = len(snap.permissions)
            snap.permissions.append(new)
    if drop:
        snap.permissions = [p for i, p in enumerate(snap.permissions) if i not in drop]


def plan_assignments(snap, plans, pending=()):
    """The permission assignments of ``plans`` with moids and role ids (no path lookups)."""
    out = []
    for p in plans:
        by_role = {}
        for o in p['objects']:
            by_role.setdefault(o['role'], []).append(o['moid'])
        for role_name, moids in by_role.items():
            role = snap.find_role(role_name)
            if role is None:
                raise PlanError("tenant %s: role '%s' does not exist on this vCenter%s" % (
                    p['tenant'], role_name, '' if role_name in pending else '; existing roles: %s'
                    % ', '.join(sorted(r['name'] for r in snap.roles))))
            out.append(dict(principal=p['access_account'], group=False, role_id=role['id'], objects=moids, propagate=False))
    return out


# --------------------------------------------------------------------------------------------
# One vCenter, one session
# --------------------------------------------------------------------------------------------

def blocking_leaks(report, names):
    """Leaks that stop a run: all but the missing permissions of tenants outside ``names`` (not onboarded yet)."""
    return [lk for lk in report['leaks'] if lk['class'] != 'missing_permission' or lk['tenant'] in names]


def touched_tenants(before, after, names):
    """Tenants whose visible VMs or leak classes differ between two audit reports."""
    out = []
    for name in names:
        b, a = before['tenants'][name], after['tenants'][name]
        if (sorted(v['path'] for v in b['visible_vms']) != sorted(v['path'] for v in a['visible_vms'])
                or sorted(lk['class'] for lk in b['leaks']) != sorted(lk['class'] for lk in a['leaks'])):
            out.append(name)
    return out


def offboarded_leftovers(snap, absent):
    """Permissions still held by the access accounts of offboarded tenants: {tenant: [paths]}."""
    keys = {principal_key(t['access_account']): t['name'] for t in absent}
    out = {t['name']: [] for t in absent}
    for p in snap.permissions:
        name = keys.get(principal_key(p['principal']))
        if name is not None and not p['group']:
            out[name].append(snap.label(p['entity']))
    return {k: sorted(v) for k, v in out.items()}


def converge_vcenter(vc, snap, present=(), absent=(), context=(), mode='converge', privilege_mode='replace',
                     delete_unused_roles=True, fail_on_leak=False, validate_principals=True, check_mode=False, label='',
                     listed=None):
    """The vCenter side of DR tenants on one vCenter, from one snapshot (``snap``, permissions included).

    ``present`` are onboarded (or kept onboarded), ``absent`` offboarded, ``context`` are the other tenants of the
    vCenter (checked for conflicts and audited, never written). ``mode='audit'`` writes nothing and only reports.
    Every problem in the definitions is raised (TenantPlanError) before the first write.
    Returns plain data: roles, plans, permissions, offboarding, audit, leftovers, blocking, summary lines.
    ``listed`` (tenant names, or None for all): the tenants whose audit the summary lines show even when clean.
    """
    present, absent, context = list(present), list(absent), list(context)
    remaining = present + context
    names = [t['name'] for t in present]
    would = 'would ' if check_mode else ''
    lines = []
    result = dict(vcenter=label, mode=mode, roles=[], plans=[], permissions={}, offboarding={}, audit={},
                  leftovers={}, blocking=[], writes=0, changed=False)
    plan_result = plans_for(snap, remaining) if remaining else dict(plans=[], owners={}, warnings=[], assignments=[])
    result['warnings'] = plan_result['warnings']

    if mode == 'audit':
        report = audit(snap, remaining, plan_result) if remaining else {}
        if report:
            report['drift'] = drift(snap, report)     # drift since the plan (issue 13: continuous reconcile)
        leftovers = offboarded_leftovers(snap, absent)
        result.update(audit=report, leftovers=leftovers)
        result['report'] = audit_entry(label, report, leftovers, present, context, absent)
        result['summary'] = result['report']['lines']
        return result

    if present and validate_principals:
        # before the run's first write (offboarding, the DR role, permissions): every new access account must exist
        check_principals_exist(vc, snap, [dict(action='add', principal=t['access_account'], group=False) for t in present])
    if absent:
        result['offboarding'] = offboard(vc, snap, absent, remaining, plan_result, delete_unused_roles, check_mode, label,
                                         listed)
        result['writes'] += result['offboarding']['writes']
        lines.extend(result['offboarding']['lines'])
    if present:
        desired, skipped = desired_privileges('asr', [], snap.privileges)
        pending = []
        for role_name in sorted({t['dr_role'] for t in present if t['failback']}):
            r = converge_role(vc, snap, role_name, desired, privilege_mode=privilege_mode, check_mode=check_mode)
            r['skipped_privileges'] = skipped
            result['roles'].append(r)
            if r['action'] == 'create':
                pending.append(role_name)
            result['writes'] += 0 if check_mode or r['action'] == 'none' else 1
            text = 'unchanged' if r['action'] == 'none' else would + r['action']
            if r['added_privileges'] and r['action'] != 'create':
                text += ', %d privilege(s) added' % len(r['added_privileges'])
            if r['removed_privileges']:
                text += ', %d removed' % len(r['removed_privileges'])
            lines.append('DR role %s: %s' % (role_name, text))
        plans = [p for p in plan_result['plans'] if p['tenant'] in set(names)]
        result['plans'] = plans
        checked = ''
        if context:
            checked = (' (also checked: %s)' % ', '.join(t['name'] for t in context) if listed is None
                       else ' (also checked: the %d other tenant%s of this vCenter)' % (len(context), '' if len(context) == 1 else 's'))
        lines.insert(len(lines) - len(result['roles']), 'vCenter %s: onboard %s%s' % (label, ', '.join(names), checked))
        for p in plans:
            lines.append('plan %s: %d tenant VM(s), %d management server(s), %d object(s), role %s%s'
                         % (p['tenant'], len(p['vms']), len(p['management_servers']), len(p['objects']), p['role'],
                            '' if p['failback'] else ' (no failback)'))
        assignments = plan_assignments(snap, plans, pending)
        changes = plan_changes(snap, assignments, state='present', exclusive=True)
        writes = 0 if check_mode or not changes else apply_changes(vc, snap, changes)
        counts = summarize(changes)
        planned = sum(len(a['objects']) for a in assignments)
        counts.update(objects=len({m for a in assignments for m in a['objects']}), writes=writes,
                      unchanged=max(0, planned - counts['add'] - counts['update']))
        result['permissions'] = dict(summary=counts, changes=changes)
        result['writes'] += writes
        lines.append('permissions: %sadd %d, %supdate %d, %sremove %d, unchanged %d (%d vCenter writes)'
                     % (would, counts['add'], would, counts['update'], would, counts['remove'], counts['unchanged'], writes))
        # the audit below: the permissions read at the start of this task with the changes vCenter accepted (in check
        # mode, would be asked to make), as the offboarding does; no second RetrieveAllPermissions
        apply_in_memory(snap, changes)
    if remaining:
        report = audit(snap, remaining, plan_result, listed)
        result['audit'] = report
        if present:
            result['blocking'] = blocking_leaks(report, set(names))
            for line in report['summary']:
                lines.append('audit%s: %s' % (' (after the planned changes)' if check_mode else '', line))
    result['changed'] = result['writes'] > 0 or (check_mode and bool(
        [r for r in result['roles'] if r['action'] != 'none'] or result['permissions'].get('changes')
        or result['offboarding'].get('changes') or result['offboarding'].get('roles_deleted')))
    result['summary'] = lines
    result['failed_reason'] = None
    if present and fail_on_leak and not check_mode and result['blocking']:
        b = result['blocking']
        result['failed_reason'] = ('Tenant isolation audit of %s found %d leak(s); nothing is handed to the tenants. %s'
                                   % (label, len(b), ' | '.join(lk['detail'] for lk in b[:20])))
    return result


def offboard(vc, snap, absent, remaining, plan_result, delete_unused_roles, check_mode, label='', listed=None):
    """Remove the absent tenants' access accounts everywhere, delete DR roles nothing uses any more, and compare the
    remaining tenants' audit before and after."""
    would = 'would ' if check_mode else ''
    lines = ['vCenter %s: offboard %s' % (label, ', '.join(t['name'] for t in absent))]
    before = audit(snap, remaining, plan_result, listed) if remaining else None
    if before:
        lines.extend('audit before: %s' % line for line in before['summary'])
    else:
        lines.append('audit: no other tenant on this vCenter')
    changes = plan_changes(snap, [dict(principal=t['access_account'], group=False, objects=[]) for t in absent],
                           state='absent', all_objects=True)
    writes = 0 if check_mode or not changes else apply_changes(vc, snap, changes)
    apply_in_memory(snap, changes)
    lines.append('permissions: %sremove %d (%d vCenter writes)' % (would, len(changes), writes))
    deleted, kept = [], []
    needed = {t['dr_role'] for t in remaining if t['failback']}
    if not delete_unused_roles:
        lines.append('DR role: kept (deleting unused roles is turned off for this topology)')
    else:
        for name in sorted({t['dr_role'] for t in absent}):
            role = snap.find_role(name)
            if name in needed:
                kept.append(name)
                lines.append('DR role %s: kept (remaining tenants of this vCenter use it)' % name)
            elif role is None or role['name'] == READ_ONLY:
                lines.append('DR role %s: does not exist' % name)
            elif role['system']:
                lines.append('DR role %s: kept (a vCenter system role)' % name)
            else:
                users = [p for p in snap.permissions if p['role_id'] == role['id']]
                if users:
                    kept.append(name)
                    lines.append('DR role %s: kept - still used by %d permission(s) of other accounts' % (name, len(users)))
                else:
                    if not check_mode:
                        vc.remove_role(role['id'], fail_if_used=True)
                        writes += 1
                    deleted.append(name)
                    lines.append('DR role %s: %s (no permission uses it any more)'
                                 % (name, 'would be deleted' if check_mode else 'deleted'))
    after, touched = None, []
    if remaining:
        after = audit(snap, remaining, plan_result, listed)
        touched = touched_tenants(before, after, [t['name'] for t in remaining])
        lines.extend('audit after: %s' % line for line in after['summary'])
    return dict(changes=changes, summary=dict(summarize(changes), writes=writes), roles_deleted=deleted, roles_kept=kept,
                audit_before=before, audit_after=after, touched=touched, writes=writes, lines=lines)


def audit_entry(label, report, leftovers, present, context, absent):
    """One vCenter's audit for the audit playbook's summary: {vcenter, clean, verdict, lines, counts, leftovers}."""
    left = {k: v for k, v in leftovers.items() if v}
    clean = bool(report.get('clean', True)) and not left
    parts = ['%d %s' % (n, c) for c, n in (report.get('counts') or {}).items() if n]
    if left:
        parts.append('%d permission(s) of offboarded accounts' % sum(len(v) for v in left.values()))
    head = '%d onboarded tenant(s), %d offboarded' % (len(present) + len(context), len(absent))
    if report:
        head += ', %d VMs, %d unassigned - %s' % (report['vms_total'], report['unassigned_vms_total'],
                                                  'CLEAN' if report['clean'] else 'LEAKS: %d' % len(report['leaks']))
    lines = ['vCenter %s: %s' % (label, head)]
    lines.extend('  %s' % line for line in report.get('summary', []))
    leaks = report.get('leaks', [])
    lines.extend('  ! %s [%s] %s' % (lk['tenant'], lk['class'], lk['path']) for lk in leaks[:15])
    if len(leaks) > 15:
        lines.append('  ! ... and %d more (see the task result)' % (len(leaks) - 15))
    for t in absent:
        mine = leftovers.get(t['name'], [])
        lines.append('  %s: offboarded - %s' % (t['name'], 'no permission left' if not mine else
                                                '%d permission(s) left, e.g. %s' % (len(mine), ', '.join(mine[:5]))))
    return dict(vcenter=label, clean=clean, verdict='clean' if clean else 'NOT CLEAN: ' + ', '.join(parts),
                summary=list(report.get('summary', [])) + [
                    '%s: offboarded, %s' % (t['name'], 'its access account holds no permission' if not leftovers.get(t['name'])
                                            else 'its access account STILL HOLDS %d permission(s)' % len(leftovers[t['name']]))
                    for t in absent],
                lines=lines, counts=report.get('counts', {}), leftovers=leftovers, leaks=leaks)


# --------------------------------------------------------------------------------------------
# The vcenter_tenants job (the module, and the playbooks' pipeline in its own process)
# --------------------------------------------------------------------------------------------


def vcenter_tenants_options():
    """The options of ``tenantdr.asr.vcenter_tenants`` besides the vCenter connection (a new dict each call)."""
    return dict(
        tenants=dict(type='list', elements='dict', required=True),
        only=dict(type='list', elements='str'),
        offboard=dict(type='list', elements='str', default=[]),
        mode=dict(type='str', default='converge', choices=['converge', 'audit']),
        role_privilege_mode=dict(type='str', default='replace', choices=['replace', 'add']),
        delete_unused_roles=dict(type='bool', default=True),
        fail_on_leak=dict(type='bool', default=False),
        validate_principals=dict(type='bool', default=True),
        result_detail=dict(type='str', default='full', choices=['full', 'compact']),
        inventory_snapshot=dict(type='path'),
        inventory_snapshot_max_age=dict(type='int', default=300),
    )


def split_tenants(tenants, only, offboard):
    """(present, absent, context) definitions; unknown names in only/offboard are one error."""
    names = [t['name'] for t in tenants]
    unknown = sorted((set(only or []) | set(offboard)) - set(names))
    if unknown:
        raise PlanError('only/offboard name tenants that are not in tenants: %s; tenants: %s'
                        % (', '.join(unknown), ', '.join(names)))
    both = sorted(set(only or []) & set(offboard))
    if both:
        raise PlanError('tenants %s are both in only and in offboard' % ', '.join(both))
    wanted = set(names) - set(offboard) if only is None else set(only)
    present = [t for t in tenants if t['name'] in wanted]
    absent = [t for t in tenants if t['name'] in set(offboard)]
    context = [t for t in tenants if t['name'] not in wanted and t['name'] not in set(offboard)]
    return present, absent, context


def compact_plan(plan):
    """A plan without its object list (``object_count`` instead) and assignments."""
    out = {k: v for k, v in plan.items() if k not in ('objects', 'assignments')}
    out['object_count'] = len(plan.get('objects') or [])
    return out


def compact_audit(report, listed=None):
    """An audit report whose tenant entries count the VMs each tenant sees instead of listing them. With ``listed``
    (tenant names), the entries of other tenants are kept only when something is wrong with them; the rest are counted
    in ``tenants_not_listed``."""
    if not report or not report.get('tenants'):
        return report
    tenants, quiet = {}, 0
    for name, entry in report['tenants'].items():
        if listed is not None and name not in listed and not has_findings(entry):
            quiet += 1
            continue
        e = {k: v for k, v in entry.items() if k not in ('visible_vms', 'own_vms_visible')}
        e.update(visible_vm_count=len(entry.get('visible_vms') or []),
                 own_vm_visible_count=len(entry.get('own_vms_visible') or []))
        tenants[name] = e
    out = dict(report, tenants=tenants)
    if listed is not None:
        out['tenants_not_listed'] = quiet
    return out


def compact_result(result, listed=None):
    """``result_detail: compact`` (see the documentation): in place. ``listed``: the tenants of the run (see
    :func:`compact_audit`); None lists every audited tenant."""
    result['plans'] = [compact_plan(p) for p in result.get('plans') or []]
    result['audit'] = compact_audit(result.get('audit'), listed)
    if result.get('permissions'):
        result['permissions'] = dict(result['permissions'], changes=grouped_changes(result['permissions']['changes']))
    off = result.get('offboarding')
    if off:
        result['offboarding'] = dict(off, audit_before=compact_audit(off.get('audit_before'), listed),
                                     audit_after=compact_audit(off.get('audit_after'), listed),
                                     changes=grouped_changes(off.get('changes') or []))
    return result


def run_vcenter_tenants(vcm):
    """The job of ``tenantdr.asr.vcenter_tenants`` on ``vcm`` (a ``vcenter_module.VCenterRun``: the module, or the
    playbooks' pipeline running it in its own process): validate, read, converge or audit, report."""
    p = vcm.params
    tenants = validate_tenants(p['tenants'])  # before connecting: bad input never reaches vCenter
    present, absent, context = split_tenants(tenants, p['only'], p['offboard'])
    label = p['hostname'] if p['port'] == 443 else '%s:%s' % (p['hostname'], p['port'])
    # compact: the other tenants of the vCenter are audited all the same; the result names them only when something is
    # wrong with them
    listed = {t['name'] for t in present + absent} if p['result_detail'] == 'compact' else None
    with vcm.session() as vc:
        snap = read_plan_snapshot(vc, tenants, inventory_file=p['inventory_snapshot'],
                                  inventory_max_age=p['inventory_snapshot_max_age'])
        try:
            result = converge_vcenter(vc, snap, present, absent, context, mode=p['mode'],
                                      privilege_mode=p['role_privilege_mode'], delete_unused_roles=p['delete_unused_roles'],
                                      fail_on_leak=p['fail_on_leak'], validate_principals=p['validate_principals'],
                                      check_mode=vcm.check_mode, label=label, listed=listed)
        except ApplyError as exc:
            vcm.fail(str(exc))
    result['inventory_read'] = vc.inventory_source
    if p['result_detail'] == 'compact':
        compact_result(result, listed)
    for warning in result.pop('warnings'):
        vcm.warn(warning)
    touched = result['offboarding'].get('touched') if result['offboarding'] else []
    if touched:
        vcm.fail('Offboarding changed what other tenants of %s see or their audit result: %s. Compare audit_before and '
                 'audit_after.' % (label, ', '.join(touched)), **result)
    reason = result.pop('failed_reason', None)
    if reason:
        vcm.fail(reason, **result)
    return result
