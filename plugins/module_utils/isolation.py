# -*- coding: utf-8 -*-
# Copyright: tenantdr.asr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure isolation audit: which VMs each tenant access account can see, and every leak.

No vCenter calls here: the input is one :class:`~vcenter.Snapshot` (inventory, roles and every
permission from one ``RetrieveAllPermissions``) plus the tenant plans from ``tenant_plan``.

vCenter does not publish "what can account X see" for an arbitrary account in a form an audit can
trust on every release (``FetchUserPrivilegeOnEntities`` needs 6.5+ and the simulator fakes it), so
the effective permissions are computed client-side from vSphere's documented rules (numbers refer
to docs "vSphere permission semantics an isolation audit must model" in the project's vsphere.md):

* rule 1 - a permission is (entity, principal, group flag, role, propagate); one per (principal,
  group flag) per entity; principals compare case-insensitively, ``login@domain`` ==
  ``DOMAIN\\login`` (rule 13).
* rule 2 - on one inheritance chain the *nearest level* that has any applicable permission wins:
  a permission on the entity itself applies whatever its propagate flag; on an ancestor only
  ``propagate=true`` counts ("Permissions defined for a child object always override the
  permissions that are propagated from parent objects", vSphere Security, Example 2).
* rule 3 - at one level a user permission beats every group permission; several group
  permissions are a union of their roles' privileges ("Multiple Permission Settings", Example 3).
* rule 4 - a VM inherits from its VM-folder chain *and* its compute chain (resource pool ->
  parent pools / vApps -> cluster or compute resource -> host folders -> datacenter): the result is
  the union of both chains.
* rule 5 - NoAccess (role -5) has no privilege; it masks when it is the deciding permission.
* rule 6 - complex entities (a datacenter's root folders, a compute resource's root pool, a
  standalone compute resource's host) cannot hold permissions and inherit their parent's
  permissions whatever the propagate flag; a permission reported on one of them is the parent's.
  That does not make a non-propagating permission reach the objects below them.
* rule 7/8 - the root folder is the vCenter level; global permissions are reported there and are
  treated as root permissions.

Visible = the effective privileges contain ``System.View`` (every role except NoAccess has it).
"""
from __future__ import annotations

from ansible_collections.tenantdr.asr.plugins.module_utils.permissions import principal_key
from ansible_collections.tenantdr.asr.plugins.module_utils.tenant_plan import compute_chain

NO_ACCESS_ROLE_ID = -5
VIEW_PRIVILEGE = 'System.View'
LEAK_CLASSES = ('foreign_vm_visible', 'unassigned_vm_visible', 'propagating_permission', 'noaccess_masking',
                'excess_permission', 'missing_permission')
_MAX_LISTED = 5


class Account:
    """A tenant access account and the SSO groups it is a member of."""

    def __init__(self, principal, groups=()):
        self.principal = principal
        self.user_key = principal_key(principal)
        self.group_keys = frozenset(principal_key(g) for g in groups or ())

    def applies(self, perm):
        """Rule 1/13: does ``perm`` name this account (as a user) or one of its groups (as a group)?"""
        key = principal_key(perm['principal'])
        return key in self.group_keys if perm['group'] else key == self.user_key


class Effective:
    """Effective privileges of an account on one entity and the permissions they come from."""

    def __init__(self, privileges, sources):
        self.privileges = frozenset(privileges)
        self.sources = sources   # [(perm, 'explicit' | 'inherited')]

    @property
    def visible(self):
        return VIEW_PRIVILEGE in self.privileges


def defining_entity(snap, moid):
    """Rule 6: the entity that really holds a permission reported on ``moid`` (a complex child's parent)."""
    seen = 0
    while moid in snap.objects and snap.complex_child_reason(moid) and seen < 8:
        moid = snap.objects[moid]['parent']
        seen += 1
    return moid


class PermissionModel:
    """vSphere's effective-permission rules over one snapshot."""

    def __init__(self, snap):
        self.snap = snap
        self.by_principal = {}
        # (entity, principal key, group) -> permissions: one level of one account is a dict lookup, not a scan of the
        # entity's permissions (the root folder and a shared datacenter hold one permission per tenant)
        self.by_entity_account = {}
        # the read's own permission dicts, except where vCenter reported a complex entity's permission on its child: a
        # copy on the defining entity, ``reported_on`` the child. ``_order``: id -> position in the read (rule 3 order).
        self._order = {}
        defining, keys = {}, {}
        by_principal, by_entity_account, order = self.by_principal, self.by_entity_account, self._order
        for seq, p in enumerate(snap.permissions):
            entity = defining.get(p['entity'])
            if entity is None:
                entity = defining[p['entity']] = defining_entity(snap, p['entity'])
            q = p if entity == p['entity'] else dict(p, entity=entity, reported_on=p['entity'])
            order[id(q)] = seq
            principal = keys.get(q['principal'])
            if principal is None:
                principal = keys[q['principal']] = principal_key(q['principal'])
            key = (principal, bool(q['group']))
            by_principal.setdefault(key, []).append(q)
            by_entity_account.setdefault((entity,) + key, []).append(q)
        self._privileges = {r['id']: frozenset(r.get('privileges') or ()) for r in snap.roles}
        self._chains = {}  # moid -> chains(moid): the snapshot does not change while it is audited
        self._defining = defining  # moid -> defining(moid), the permissions' entities already in

    # -- roles ---------------------------------------------------------------------------
    def role_privileges(self, role_id):
        """Rule 5/10: privileges of a role id; NoAccess and unknown roles have none."""
        if role_id == NO_ACCESS_ROLE_ID:
            return frozenset()
        return self._privileges.get(role_id, frozenset())

    def role_name(self, role_id):
        role = self.snap.role_by_id(role_id)
        return role['name'] if role else str(role_id)

    def permissions_of(self, account):
        """Every permission naming the account or one of its groups."""
        out = list(self.by_principal.get((account.user_key, False), []))
        for g in sorted(account.group_keys):
            out.extend(self.by_principal.get((g, True), []))
        return out

    # -- hierarchy -----------------------------------------------------------------------
    def chains(self, moid):
        """(own level, [inheritance chains nearest first]) of an entity.

        Rule 6: a complex child's own level is its parent.  Rule 4: a VM has two chains, the
        folder chain (``parent``) and the compute chain (``resourcePool`` upwards).
        """
        known = self._chains.get(moid)
        if known is not None:
            return known
        own = self.defining(moid)
        if own not in self.snap.objects:
            chains = []
        else:
            chains = [self.snap.ancestors(own)]
            if self.snap.objects[own]['type'] == 'VirtualMachine':
                compute = compute_chain(self.snap, own)
                if compute:
                    chains.append(compute)
        self._chains[moid] = (own, chains)
        return own, chains

    def defining(self, moid):
        """Where the permissions of ``moid`` are defined (:func:`defining_entity`), remembered per entity."""
        own = self._defining.get(moid)
        if own is None:
            own = self._defining[moid] = defining_entity(self.snap, moid)
        return own

    def ancestors_all(self, moid):
        """Every entity above ``moid`` in any chain (for "below it in either hierarchy")."""
        own, chains = self.chains(moid)
        out = set()
        for chain in chains:
            out.update(chain)
        return own, out

    # -- evaluation ----------------------------------------------------------------------
    def level(self, entity, account, explicit):
        """Rules 2 and 3 at one level: the permissions that decide there, or None when none applies."""
        index = self.by_entity_account
        users = [p for p in index.get((entity, account.user_key, False), ()) if explicit or p['propagate']]
        if users:
            return users
        groups = [p for g in account.group_keys for p in index.get((entity, g, True), ()) if explicit or p['propagate']]
        return sorted(groups, key=lambda p: self._order[id(p)]) if groups else None

    def effective(self, moid, account):
        """Effective privileges of ``account`` on ``moid``. The inheritance chains are followed only when the entity's own
        level does not decide (a tenant VM holding its DR role does)."""
        decided = self.level(self.defining(moid), account, explicit=True)
        if decided is not None:
            return Effective(self._union(decided), [(p, 'explicit') for p in decided])
        _own, chains = self.chains(moid)
        privileges, sources = set(), []
        for chain in chains:
            for entity in chain:
                decided = self.level(entity, account, explicit=False)
                if decided is not None:
                    privileges |= self._union(decided)
                    sources.extend((p, 'inherited') for p in decided if (p, 'inherited') not in sources)
                    break
        return Effective(privileges, sources)

    def _union(self, perms):
        out = set()
        for p in perms:
            out |= self.role_privileges(p['role_id'])
        return frozenset(out)

    def grant(self, perm, how=None):
        """Where a permission is granted, as plain data (audit report): on, principal, group, role, propagate, how."""
        return dict(on=self.snap.label(perm['entity']), principal=perm['principal'], group=bool(perm['group']),
                    role=self.role_name(perm['role_id']), propagate=bool(perm['propagate']), how=how or 'explicit')

    # -- text ----------------------------------------------------------------------------
    def describe(self, perm, how=None):
        who = '%s%s' % (perm['principal'], ' (group)' if perm['group'] else '')
        text = "%s holds %s on %s (propagate=%s)" % (
            who, self.role_name(perm['role_id']), self.snap.label(perm['entity']), 'true' if perm['propagate'] else 'false')
        if perm.get('reported_on') and perm['reported_on'] != perm['entity']:
            text += ', reported on %s' % self.snap.label(perm['reported_on'])
        return text + (', %s' % how if how else '')


# --------------------------------------------------------------------------------------------
# Audit
# --------------------------------------------------------------------------------------------

def _listing(paths):
    paths = sorted(paths)
    more = len(paths) - _MAX_LISTED
    return ', '.join(paths[:_MAX_LISTED]) + (' and %d more' % more if more > 0 else '')


def _state(model, role_id, propagate):
    return '%s (propagate=%s)' % (model.role_name(role_id), 'true' if propagate else 'false')


def audit_tenant(model, tenant, plan, owners, vm_ancestors, own_vms=None):
    """Audit one tenant access account; return its report entry (leaks included).

    ``vm_ancestors``: {VM moid: its ancestors} (or a :class:`VMAncestors`), read only through ``items()`` and only for
    propagating grants and NoAccess permissions. ``own_vms``: the tenant's VMs (moids), when the caller has them (else
    computed from ``owners``)."""
    snap = model.snap
    name = tenant['name']
    account = Account(tenant['access_account'], tenant.get('access_account_groups'))
    leaks = []

    def leak(cls, moid, detail, grants=()):
        # granted: where the permissions behind the finding are defined (for the audit report)
        leaks.append(dict(**{'class': cls}, tenant=name, account=tenant['access_account'], object=moid,
                          path=snap.label(moid), detail=detail, granted=[model.grant(q, how) for q, how in grants]))

    perms = model.permissions_of(account)
    user_perms = {p['entity']: p for p in perms if not p['group']}

    # planned permissions: moid -> (role id or None, role name)
    planned = {}
    missing_roles = set()
    roles = {name: snap.find_role(name) for name in {o['role'] for o in plan['objects']}}  # one or two per plan
    for obj in plan['objects']:
        role = roles[obj['role']]
        if role is None:
            missing_roles.add(obj['role'])
        planned[obj['moid']] = (role['id'] if role else None, obj['role'])

    # -- excess (in any order: the leaks are sorted at the end) -----------------------------
    for p in perms:
        if p['group']:
            leak('excess_permission', p['entity'], '%s; the plan gives groups nothing, and every member of the group gets '
                 'it' % model.describe(p), [(p, 'explicit')])
            continue
        want = planned.get(p['entity'])
        extra = ''
        if p['entity'] == snap.root:
            extra = ' (if it is a global permission, remove it under Administration > Global Permissions)'
        if want is None:
            leak('excess_permission', p['entity'], '%s, which is not in the plan%s' % (model.describe(p), extra), [(p, 'explicit')])
        elif want[0] != p['role_id'] or p['propagate']:
            leak('excess_permission', p['entity'], '%s where the plan has %s (propagate=false)%s'
                 % (model.describe(p), want[1], extra), [(p, 'explicit')])

    # -- visibility -----------------------------------------------------------------------
    grants_propagate = [p for p in perms if p['propagate'] and model.role_privileges(p['role_id'])]
    own_vms = list(own_vms if own_vms is not None else (m for m, t in owners.items() if t == name))
    if grants_propagate:
        candidates = [vm['moid'] for vm in snap.vms()]
    else:
        candidates = set(own_vms)
        candidates.update(p['entity'] for p in perms if snap.objects.get(p['entity'], {}).get('type') == 'VirtualMachine')
    effective = {vm: model.effective(vm, account) for vm in candidates}
    visible, foreign, unassigned = [], [], []
    for vm in sorted((m for m, e in effective.items() if e.visible), key=snap.label):
        eff = effective[vm]
        owner = owners.get(vm)
        visible.append(dict(path=snap.label(vm), moid=vm, owner=owner,
                            roles=sorted({model.role_name(q['role_id']) for q, _how in eff.sources if model.role_privileges(q['role_id'])}),
                            privileges_count=len(eff.privileges)))
        if owner == name:
            continue
        via = '; '.join(model.describe(p, how) for p, how in eff.sources if model.role_privileges(p['role_id']))
        if owner is None:
            unassigned.append(snap.label(vm))
            leak('unassigned_vm_visible', vm, 'VM %s belongs to no tenant and is visible: %s' % (snap.label(vm), via), eff.sources)
        elif owner != name:
            foreign.append(snap.label(vm))
            leak('foreign_vm_visible', vm, 'VM %s of tenant %s is visible: %s' % (snap.label(vm), owner, via), eff.sources)

    # -- propagating permissions over other tenants' or unassigned VMs ----------------------
    for p in sorted(grants_propagate, key=lambda x: snap.label(x['entity'])):
        below = [vm for vm, anc in vm_ancestors.items() if p['entity'] in anc and owners.get(vm) != name]
        if below:
            paths = [snap.label(v) for v in below]
            leak('propagating_permission', p['entity'],
                 '%s; it reaches %d VM(s) that are not %s\'s: %s; and every VM created below it later'
                 % (model.describe(p), len(below), name, _listing(paths)), [(p, 'explicit')])

    # -- NoAccess masking under a propagating grant -----------------------------------------
    for p in sorted((q for q in perms if q['role_id'] == NO_ACCESS_ROLE_ID), key=lambda x: snap.label(x['entity'])):
        # masking: the NoAccess sits under a propagating grant of the account, or over VMs (in either hierarchy) that
        # such a grant reaches through the other hierarchy (rule 4: masking one path leaves the other open)
        # (a grant below the NoAccess is not masked by it)
        _own, reach = model.ancestors_all(p['entity'])
        for vm, anc in vm_ancestors.items():
            if p['entity'] in anc or vm == p['entity']:
                reach = reach | anc
        masked = [q for q in grants_propagate
                  if (q['entity'] in reach and p['entity'] not in model.ancestors_all(q['entity'])[1])
                  or (q['entity'] == p['entity'] and q['group'] and not p['group'])]
        if masked:
            leak('noaccess_masking', p['entity'],
                 '%s, masking the propagating grant: %s. Seed 000 rejects this pattern (propagate plus No access): every '
                 'new object below the grant is visible until someone adds another No access'
                 % (model.describe(p), '; '.join(model.describe(q) for q in masked)),
                 [(p, 'explicit')] + [(q, 'explicit') for q in masked])

    # -- missing --------------------------------------------------------------------------
    required = {}
    for role_name in {o['role'] for o in plan['objects'] if o['kind'] in ('tenant_vm', 'management_server')}:
        role = roles[role_name]
        required[role_name] = frozenset(role['privileges']) if role else None
    for obj in plan['objects']:
        moid = obj['moid']
        role_id, role_name = planned[moid]
        have = user_perms.get(moid)
        problems = []
        if role_id is None:
            problems.append("role '%s' does not exist on this vCenter (run tenantdr.asr.vcenter_tenant_role)" % role_name)
        elif have is None:
            problems.append('planned %s (propagate=false) is absent' % role_name)
        elif have['role_id'] != role_id or have['propagate']:
            problems.append('planned %s (propagate=false) but it holds %s' % (role_name, _state(model, have['role_id'], have['propagate'])))
        if obj['kind'] in ('tenant_vm', 'management_server') and required.get(role_name) is not None:
            eff = effective.get(moid) or model.effective(moid, account)
            lacking = sorted(required[role_name] - eff.privileges)
            if lacking:
                what = 'it cannot see the VM' if not eff.visible else 'its effective privileges lack %d of %s\'s: %s' % (
                    len(lacking), role_name, _listing(lacking))
                problems.append('%s, so ASR discovery would miss it' % what)
        if problems:
            leak('missing_permission', moid, '%s %s: %s' % (obj['kind'], obj['path'], '; '.join(problems)),
                 [(have, 'explicit')] if have else ())

    order = {c: i for i, c in enumerate(LEAK_CLASSES)}
    leaks.sort(key=lambda x: (order[x['class']], x['path'], x['detail']))
    own_visible = [v['path'] for v in visible if v['owner'] == name]
    return dict(
        access_account=tenant['access_account'],
        access_account_groups=list(tenant.get('access_account_groups') or []),
        role=plan['role'],
        vms=len(own_vms),
        visible_vms=visible,
        own_vms_visible=own_visible,
        own_vms_not_visible=sorted(set(snap.label(v) for v in own_vms) - set(own_visible)),
        foreign_vms=foreign,
        unassigned_vms=unassigned,
        missing_roles=sorted(missing_roles),
        leaks=leaks,
    )


class VMAncestors:
    """Every VM's ancestors in either hierarchy, ``{vm moid: set of moids}`` through :meth:`items`, made on first use:
    only a propagating grant or a NoAccess permission of a tenant account needs them, and a clean vCenter has neither."""

    def __init__(self, model):
        self.model = model
        self._made = None

    def items(self):
        if self._made is None:
            snap, made = self.model.snap, {}
            for vm in snap.vms():
                _own, above = self.model.ancestors_all(vm['moid'])
                # Conservative for the propagating_permission class only: also count the host a VM runs on
                # (whether a host permission reaches the VMs running on a clustered host is not documented
                # consistently; a propagating grant there is flagged rather than trusted).
                if vm.get('host') in snap.objects:
                    above = above | {self.model.defining(vm['host'])}
                made[vm['moid']] = above
            self._made = made
        return self._made.items()


def audit(snap, tenants, plan_result, listed=None):
    """Audit every tenant of ``plan_result`` (from ``tenant_plan.build_plans``) on ``snap``.

    Returns ``{tenants: {name: entry}, leaks: [...], clean, counts, summary}``. ``listed``: see :func:`summary_lines`.
    """
    model = PermissionModel(snap)
    owners = plan_result['owners']
    plans = {p['tenant']: p for p in plan_result['plans']}
    vms = [vm['moid'] for vm in snap.vms()]
    vm_ancestors = VMAncestors(model)
    report = dict(tenants={}, leaks=[])
    owned = {}
    for vm, owner in owners.items():
        owned.setdefault(owner, []).append(vm)
    for t in tenants:
        entry = audit_tenant(model, t, plans[t['name']], owners, vm_ancestors, owned.get(t['name'], []))
        report['tenants'][t['name']] = entry
        report['leaks'].extend(entry['leaks'])
    counts = {c: 0 for c in LEAK_CLASSES}
    for lk in report['leaks']:
        counts[lk['class']] += 1
    report['counts'] = counts
    report['clean'] = not report['leaks']
    report['vms_total'] = len(vms)
    report['unassigned_vms_total'] = len([v for v in vms if v not in owners])
    report['summary'] = summary_lines(report, tenants, listed)
    return report


def has_findings(entry):
    """True when an audited tenant's entry reports anything wrong: a leak, a VM it should not see, an own VM it cannot
    see, a missing role."""
    return bool(entry['leaks'] or entry['foreign_vms'] or entry['unassigned_vms'] or entry['own_vms_not_visible']
                or entry['missing_roles'])


def summary_lines(report, tenants, listed=None):
    """One line per audited tenant, then the verdict. With ``listed`` (tenant names), the other tenants get a line only
    when something is wrong with them, and one line counts the rest: a one-tenant run on a vCenter of a thousand
    tenants says what it did and what is wrong, not what a thousand tenants see."""
    lines = []
    quiet = 0
    for t in tenants:
        e = report['tenants'][t['name']]
        if listed is not None and t['name'] not in listed and not has_findings(e):
            quiet += 1
            continue
        lines.append('%s: %d VMs visible (%d own of %d, %d foreign, %d unassigned), %d leak%s'
                     % (t['name'], len(e['visible_vms']), len(e['own_vms_visible']), e['vms'], len(e['foreign_vms']),
                        len(e['unassigned_vms']), len(e['leaks']), '' if len(e['leaks']) == 1 else 's'))
    if quiet:
        lines.append('%d other tenant%s of this vCenter audited: no leak' % (quiet, '' if quiet == 1 else 's'))
    if report['clean']:
        lines.append('clean: no tenant access account sees another tenant\'s or an unassigned VM, and every plan is in place')
    else:
        per = ', '.join('%d %s' % (n, c) for c, n in report['counts'].items() if n)
        lines.append('%d leak(s): %s' % (len(report['leaks']), per))
    return lines


def leak_message(report, limit=20):
    """A fail_json message naming the leaks."""
    leaks = report['leaks']
    lines = ['%s [%s] %s: %s' % (lk['tenant'], lk['class'], lk['path'], lk['detail']) for lk in leaks[:limit]]
    more = len(leaks) - limit
    return ('tenant isolation audit found %d leak(s):\n- %s%s'
            % (len(leaks), '\n- '.join(lines), '\n- ... and %d more (see report.leaks)' % more if more > 0 else ''))


def compare_live(snap, entry, live_moids):
    """Compare what an account listed when logged in with the computed visible set.

    Returns ``{checked: True, visible_vms, unexpected_vms, missing_vms, match}`` (paths).
    """
    computed = {v['moid'] for v in entry['visible_vms']}
    live = set(live_moids)
    return dict(checked=True, visible_vms=sorted(snap.label(m) for m in live),
                unexpected_vms=sorted(snap.label(m) for m in live - computed),
                missing_vms=sorted(snap.label(m) for m in computed - live),
                match=live == computed)
