# -*- coding: utf-8 -*-
# Copyright: tenantdr.asr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure tenant planning: tenant definitions + one inventory snapshot -> exact permission plans.

No vCenter calls here.  ``tenant_mapping`` and ``tenant_isolation_audit`` both call
:func:`validate_tenants` and :func:`build_plans` on the snapshot they read once, so the plan the
audit checks is byte for byte the plan the mapping hands to ``vcenter_nonpropagating_permission``.

The plan is the object/role table of the Azure Site Recovery multi-tenant guide (seed 000,
"Requirements for a vCenter access account", step 3):

=====================  ===================  =====================================================
Guide object           Role                 Objects planned (``kind``)
=====================  ===================  =====================================================
vCenter                Read-only            the root folder ``/`` (``vcenter_root``)
Datacenter             DR role              datacenters of the tenant VMs and management servers
Host and host cluster  DR role              their clusters (``cluster``) with every host of each
                                            (``host``; ``placement: exact``: only the hosts in use);
                                            for a standalone host its ComputeResource (``host``),
                                            because its HostSystem cannot hold a permission
Datastore and          DR role              their datastores (``datastore``), the StoragePods those
datastore cluster                           belong to (``datastore_cluster``) and every datastore of
                                            those (``placement: exact``: only the ones in use)
Network                DR role              their standard / distributed port groups (``network``)
Management server      DR role              CS, PS, MT, scale-out PS VMs (``management_server``)
Tenant VMs             DR role              the selected VMs (``tenant_vm``)
=====================  ===================  =====================================================

Every permission is non-propagating ("The role assignment must be applied to the vCenter access
account for each vCenter object and not propagated to the child objects").  With ``failback:
false`` the DR role is replaced by Read-only everywhere (the guide's no-failback variant).

Deliberately not planned, because the guide's table does not list them: VM folders, resource
pools, distributed switches (a port group is assigned directly: vsphere.md rule 14), and hosts that
only mount a datastore.

Conflicts (ViPR, seed 002: "The user mappings must not overlap") are all collected and raised as
one :class:`TenantPlanError` before anything is written.
"""
from __future__ import annotations

import difflib
import fnmatch
import hashlib
import json
import re

from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.tenantdr.asr.plugins.module_utils.permissions import PlanError, principal_key, validate_principal
# The tenant schema lives in tenant_model (one place for validation, docs and the roles); re-exported here.
from ansible_collections.tenantdr.asr.plugins.module_utils.tenant_model import (  # noqa: F401 pylint: disable=unused-import
    DEFAULT_DR_ROLE, PLACEMENTS, REQUIRED_KEYS, SELECTOR_KEYS, TENANT_KEYS, TOPOLOGIES, selects_by)

KINDS = ('vcenter_root', 'datacenter', 'cluster', 'host', 'datastore', 'datastore_cluster', 'network',
         'management_server', 'tenant_vm')
READ_ONLY = 'ReadOnly'
TAG_FORMS = "'category/tag' (category and tag names) or a tag id 'urn:vmomi:InventoryServiceTag:...'"


def tag_selector_error(ref):
    """Why a ``vm_selectors.tags`` entry is malformed, or None (the tags themselves are looked up in vCenter)."""
    if ref.startswith('urn:vmomi:InventoryServiceTag:'):
        return None
    if '/' not in ref or not all(part.strip() for part in ref.split('/', 1)):
        return "'%s' is not a tag reference; give %s" % (ref, TAG_FORMS)
    return None


NAME_RE = re.compile(r'^[a-z0-9][a-z0-9-]{0,62}$')

_NETWORK_TYPES = ('Network', 'DistributedVirtualPortgroup', 'OpaqueNetwork')
_POOL_TYPES = ('ResourcePool', 'VirtualApp')


class TenantPlanError(PlanError):
    """Invalid tenant definitions or conflicts between tenants; raised before any vCenter write.

    ``problems`` is the list of messages; ``conflicts`` the same problems as dicts
    ``{conflict, tenants, paths, message}`` for machine consumption.
    """

    def __init__(self, conflicts, prefix='refused before any change'):
        self.conflicts = conflicts
        self.problems = [c['message'] for c in conflicts]
        super().__init__('%s; %d problem(s) in the tenant definitions:\n- %s'
                         % (prefix, len(self.problems), '\n- '.join(self.problems)))


def _conflict(kind, tenants, paths, message):
    return dict(conflict=kind, tenants=sorted(set(tenants)), paths=sorted(set(paths)), message=message)


# --------------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------------

def _suggest(key, valid):
    close = difflib.get_close_matches(key, valid, n=1)
    return " (did you mean '%s'?)" % close[0] if close else ''


def _coerce(value, typ, where, errors):
    """Convert one value to ``typ``; append an error and return None when it does not fit."""
    if value is None:
        return None
    if typ == 'str':
        if isinstance(value, (dict, list, bool)):
            errors.append('%s must be a string, got %s' % (where, type(value).__name__))
            return None
        return str(value).strip()
    if typ == 'bool':
        try:
            return boolean(value, strict=True)
        except TypeError:
            errors.append('%s must be a boolean, got %r' % (where, value))
            return None
    if typ == 'list':
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            value = [value]
        if not isinstance(value, (list, tuple)):
            errors.append('%s must be a list, got %s' % (where, type(value).__name__))
            return None
        out = []
        for i, item in enumerate(value):
            if isinstance(item, (dict, list)) or item is None or not str(item).strip():
                errors.append('%s[%d] must be a non-empty string, got %r' % (where, i, item))
                continue
            out.append(str(item).strip())
        return out
    if typ == 'dict':
        if not isinstance(value, dict):
            errors.append('%s must be a dictionary, got %s' % (where, type(value).__name__))
            return None
        return dict(value)
    raise ValueError(typ)  # pragma: no cover - programming error


def validate_tenant(raw, index=0):
    """Validate and normalise one tenant definition; return (tenant, errors).

    Unknown keys are errors naming the key and the valid keys.  Defaults are filled in.
    """
    errors = []
    label = 'tenants[%d]' % index
    if not isinstance(raw, dict):
        return None, ['%s must be a dictionary (one tenant definition), got %s' % (label, type(raw).__name__)]
    if raw.get('name'):
        label = '%s (%s)' % (label, raw.get('name'))
    valid = sorted(TENANT_KEYS)
    for key in sorted(raw, key=str):
        if key not in TENANT_KEYS:
            errors.append("%s: unknown key '%s'%s; valid keys: %s" % (label, key, _suggest(str(key), valid), ', '.join(valid)))
    tenant = {}
    for key, (typ, default) in TENANT_KEYS.items():
        value = _coerce(raw.get(key), typ, '%s.%s' % (label, key), errors)
        if value is None:
            value = default.copy() if isinstance(default, (list, dict)) else default
        tenant[key] = value
    for key in REQUIRED_KEYS:
        if not tenant.get(key):
            errors.append('%s: %s is required' % (label, key))
    if tenant['name'] and not NAME_RE.match(tenant['name']):
        errors.append("%s: name '%s' must match %s (lower-case letters, digits and '-', at most 63 characters)"
                      % (label, tenant['name'], NAME_RE.pattern))
    if tenant['topology'] and tenant['topology'] not in TOPOLOGIES:
        errors.append("%s: topology '%s' is not one of %s" % (label, tenant['topology'], ', '.join(TOPOLOGIES)))
    if tenant['access_account']:
        err = validate_principal(tenant['access_account'])
        if err:
            errors.append('%s: access_account: %s' % (label, err))
    for i, g in enumerate(tenant['access_account_groups']):
        err = validate_principal(g)
        if err:
            errors.append('%s: access_account_groups[%d]: %s' % (label, i, err))
    if not tenant['dr_role']:
        tenant['dr_role'] = DEFAULT_DR_ROLE
    if tenant['placement'] not in PLACEMENTS:
        errors.append("%s: placement '%s' is not one of %s%s"
                      % (label, tenant['placement'], ', '.join(PLACEMENTS), _suggest(str(tenant['placement']), PLACEMENTS)))
    selectors = {}
    raw_sel = tenant['vm_selectors'] or {}
    valid_sel = sorted(SELECTOR_KEYS)
    for key in sorted(raw_sel, key=str):
        if key not in SELECTOR_KEYS:
            errors.append("%s: vm_selectors: unknown key '%s'%s; valid keys: %s"
                          % (label, key, _suggest(str(key), valid_sel), ', '.join(valid_sel)))
    for key, typ in SELECTOR_KEYS.items():
        value = _coerce(raw_sel.get(key), typ, '%s.vm_selectors.%s' % (label, key), errors)
        selectors[key] = value if value is not None else ({} if typ == 'dict' else [])
    for i, ref in enumerate(selectors['tags']):
        err = tag_selector_error(ref)
        if err:
            errors.append('%s: vm_selectors.tags[%d]: %s' % (label, i, err))
    attrs = {}
    for k, v in selectors['custom_attributes'].items():
        if v is None or isinstance(v, (dict, list)):
            errors.append('%s: vm_selectors.custom_attributes.%s must be a string value, got %r' % (label, k, v))
            continue
        attrs[str(k)] = str(v)
    selectors['custom_attributes'] = attrs
    tenant['vm_selectors'] = selectors
    return tenant, errors


def validate_tenants(tenants):
    """Validate every tenant definition; return the normalised list or raise TenantPlanError listing all problems."""
    if not isinstance(tenants, (list, tuple)) or not tenants:
        raise TenantPlanError([_conflict('invalid', [], [], 'tenants must be a non-empty list of tenant definitions')])
    out, problems = [], []
    for i, raw in enumerate(tenants):
        tenant, errors = validate_tenant(raw, i)
        problems.extend(_conflict('invalid', [tenant['name']] if tenant and tenant.get('name') else [], [], e) for e in errors)
        out.append(tenant)
    names = {}
    for t in out:
        if t and t.get('name'):
            names.setdefault(t['name'], 0)
            names[t['name']] += 1
    for name, count in sorted(names.items()):
        if count > 1:
            problems.append(_conflict('duplicate_name', [name], [], "tenant name '%s' is defined %d times" % (name, count)))
    vcenters = sorted({t['vcenter'].lower() for t in out if t and t.get('vcenter')})
    if len(vcenters) > 1:
        by = ', '.join('%s on %s' % (t['name'], t['vcenter']) for t in out if t and t.get('vcenter'))
        problems.append(_conflict('several_vcenters', [t['name'] for t in out if t and t.get('vcenter')], [],
                                  'all tenants of one call must be on one vCenter (the one the connection options '
                                  'name); got %s: call the module once per vCenter' % by))
    if problems:
        raise TenantPlanError(problems)
    return out


# --------------------------------------------------------------------------------------------
# Selection
# --------------------------------------------------------------------------------------------

def pool_chain(snap, moid):
    """The resource pools / vApps from ``moid`` up to the cluster's root pool, nearest first."""
    out = []
    while moid is not None and moid in snap.objects and snap.objects[moid]['type'] in _POOL_TYPES:
        out.append(moid)
        moid = snap.objects[moid]['parent']
    return out


def compute_chain(snap, vm):
    """A VM's compute-side parents, nearest first: its resource pool, parent pools / vApps, the
    cluster or standalone ComputeResource, host folders, datacenter, ... root folder."""
    out = []
    cur = snap.objects[vm].get('resource_pool')
    while cur is not None and cur in snap.objects:
        out.append(cur)
        cur = snap.objects[cur]['parent']
    return out


class _Selection:
    """Which VMs a tenant's selectors pick, and why (for conflict messages)."""

    def __init__(self):
        self.vms = {}          # moid -> [reasons]
        self.problems = []     # conflict dicts
        self.warnings = []


class InventoryIndex:
    """Lookups built once per snapshot: VMs below each folder / resource pool, by custom attribute."""

    def __init__(self, snap):
        self.snap = snap
        self.vms = snap.vms()
        self.below_folder = {}
        self.below_pool = {}
        for vm in self.vms:
            for a in snap.ancestors(vm['moid']):
                self.below_folder.setdefault(a, []).append(vm)
            for p in pool_chain(snap, vm.get('resource_pool')):
                self.below_pool.setdefault(p, []).append(vm)


def _is_vm_folder(obj):
    return obj['type'] == 'Folder' and 'VirtualMachine' in (obj.get('child_type') or [])


def _has_attributes(vm, wanted):
    have = vm.get('custom_attributes') or {}
    return all(k in have and str(have[k]) == v for k, v in wanted.items())


def select_vms(snap, tenant, index=None):
    """Evaluate a tenant's ``vm_selectors`` (a union) against the snapshot."""
    index = index or InventoryIndex(snap)
    sel = _Selection()
    name = tenant['name']
    sels = tenant['vm_selectors']
    allow_empty = tenant['allow_empty_selectors']

    def keep(vms):
        return [vm for vm in vms if tenant['include_templates'] or not vm.get('template')]

    def empty(what, path=None):
        msg = "tenant %s: %s matches no VM%s" % (name, what, '' if tenant['include_templates'] else ' (templates excluded)')
        if allow_empty:
            sel.warnings.append(msg + '; allowed by allow_empty_selectors')
        else:
            sel.problems.append(_conflict('empty_selector', [name], [path] if path else [],
                                          msg + '; fix the selector or set allow_empty_selectors: true'))

    def missing(kind, ref, hint):
        msg = "tenant %s: %s '%s' was not found in the vCenter inventory (%s)" % (name, kind, ref, hint)
        if allow_empty:
            sel.warnings.append(msg + '; allowed by allow_empty_selectors')
        else:
            sel.problems.append(_conflict('missing_object', [name], [ref], msg))

    def wrong_type(kind, ref, moid, hint):
        obj = snap.objects[moid]
        sel.problems.append(_conflict('invalid_selector', [name], [obj['path']],
                                      "tenant %s: %s '%s' is a %s, not %s" % (name, kind, ref, obj['type'], hint)))

    def add(vms, reason):
        for vm in vms:
            sel.vms.setdefault(vm['moid'], []).append(reason)

    # datacenter scope for name_patterns / custom_attributes
    scope = None
    if tenant['datacenters']:
        scope = set()
        for ref in tenant['datacenters']:
            moid = snap.resolve(ref)
            if moid is None:
                sel.problems.append(_conflict('missing_object', [name], [ref],
                                              "tenant %s: datacenter '%s' was not found in the vCenter inventory" % (name, ref)))
            elif snap.objects[moid]['type'] != 'Datacenter':
                wrong_type('datacenter', ref, moid, 'a datacenter')
            else:
                scope.add(moid)

    for ref in sels['folders']:
        moid = snap.resolve(ref)
        if moid is None:
            missing('VM folder', ref, 'give an inventory path such as /DC1/vm/tenants/acme, or a folder moid')
            continue
        obj = snap.objects[moid]
        if not _is_vm_folder(obj):
            hint = "a VM folder (use '%s/vm' for a whole datacenter)" % obj['path'] if obj['type'] == 'Datacenter' else 'a VM folder'
            wrong_type('folder', ref, moid, hint)
            continue
        found = keep(index.below_folder.get(moid, []))
        add(found, 'folder %s' % obj['path'])
        if not found:
            empty("folder selector '%s'" % obj['path'], obj['path'])

    for ref in sels['resource_pools']:
        moid = snap.resolve(ref)
        if moid is None:
            missing('resource pool', ref, 'give an inventory path such as /DC1/host/CL1/Resources/tenants/acme, or a pool moid')
            continue
        obj = snap.objects[moid]
        if obj['type'] not in _POOL_TYPES:
            hint = 'a resource pool or vApp'
            if obj['type'] in ('ClusterComputeResource', 'ComputeResource') and obj.get('resource_pool') in snap.objects:
                hint += " (every VM of %s is in its root pool '%s')" % (obj['path'], snap.objects[obj['resource_pool']]['path'])
            wrong_type('resource pool', ref, moid, hint)
            continue
        found = keep(index.below_pool.get(moid, []))
        add(found, 'resource pool %s' % obj['path'])
        if not found:
            empty("resource pool selector '%s'" % obj['path'], obj['path'])

    scoped = keep([vm for vm in index.vms if scope is None or vm.get('datacenter') in scope]) \
        if (sels['name_patterns'] or sels['custom_attributes']) else []  # O(VMs) per tenant: only when needed
    for pattern in sels['name_patterns']:
        pat = pattern.lower()
        found = [vm for vm in scoped if fnmatch.fnmatchcase((vm['name'] or '').lower(), pat)]
        add(found, "name pattern '%s'" % pattern)
        if not found:
            empty("name pattern '%s'" % pattern)

    attrs = sels['custom_attributes']
    if attrs:
        text = ', '.join('%s=%s' % kv for kv in sorted(attrs.items()))
        found = [vm for vm in scoped if _has_attributes(vm, attrs)]
        add(found, 'custom attributes %s' % text)
        if not found:
            empty('custom attribute selector %s' % text)

    tagged = getattr(snap, 'tag_attachments', None) or {}
    for ref in sels['tags']:
        found = keep([snap.objects[m] for m in tagged.get(ref, ()) if m in snap.objects
                      and snap.objects[m]['type'] == 'VirtualMachine'
                      and (scope is None or snap.objects[m].get('datacenter') in scope)])
        add(found, "tag '%s'" % ref)
        if not found:
            empty("tag selector '%s'" % ref)

    if not any(sels[k] for k in ('folders', 'resource_pools', 'name_patterns', 'custom_attributes', 'tags')):
        msg = ('tenant %s: vm_selectors is empty; give folders, resource_pools, name_patterns, custom_attributes or tags'
               % name)
        if allow_empty:
            sel.warnings.append(msg + ' (allowed by allow_empty_selectors: the plan has no tenant VM)')
        else:
            sel.problems.append(_conflict('empty_selector', [name], [], msg + ', or set allow_empty_selectors: true'))
    return sel


def resolve_management_servers(snap, tenant):
    """Resolve management-server references to VM moids; a missing one is always an error."""
    out, problems = [], []
    for ref in tenant['management_servers']:
        moid = snap.resolve(ref)
        if moid is None:
            problems.append(_conflict('missing_object', [tenant['name']], [ref],
                                      "tenant %s: management server '%s' was not found in the vCenter inventory (give the "
                                      "VM's inventory path such as /DC1/vm/mgmt/acme-cs01, or its moid)" % (tenant['name'], ref)))
        elif snap.objects[moid]['type'] != 'VirtualMachine':
            problems.append(_conflict('invalid_selector', [tenant['name']], [snap.objects[moid]['path']],
                                      "tenant %s: management server '%s' is a %s, not a virtual machine"
                                      % (tenant['name'], ref, snap.objects[moid]['type'])))
        elif moid not in out:
            out.append(moid)
    return out, problems


# --------------------------------------------------------------------------------------------
# Plan
# --------------------------------------------------------------------------------------------

def _storage_pod_members(snap, pod):
    """Datastores inside a StoragePod (cached on the snapshot: one pass over the inventory)."""
    members = getattr(snap, '_pod_members', None)
    if members is None:
        members = {}
        for moid, o in snap.objects.items():
            if o['type'] == 'Datastore' and o['parent'] in snap.objects and snap.objects[o['parent']]['type'] == 'StoragePod':
                members.setdefault(o['parent'], []).append(moid)
        snap._pod_members = members  # pylint: disable=protected-access
    return members.get(pod, [])


def infrastructure_of(snap, vm, placement='domain'):
    """Objects of the seed table a VM uses: {moid: kind} (datacenter, host/cluster, datastores, networks).

    Never returns an object that cannot hold a permission (vSphere API, AuthorizationManager:
    complex entities): a standalone host is represented by its ComputeResource.

    ``placement='domain'`` (default) returns the VM's placement domains rather than its current
    placement: every host of its cluster (DRS vMotion, HA restart and failback land anywhere in the
    cluster) and every datastore of its datastore cluster (Storage DRS).  ``'exact'`` returns only
    the host and datastores the VM uses right now.
    """
    obj = snap.objects[vm]
    out = {}
    if obj.get('datacenter') in snap.objects:
        out[obj['datacenter']] = 'datacenter'
    host = obj.get('host')
    compute = None
    if host in snap.objects:
        parent = snap.objects[host]['parent']
        if parent in snap.objects and snap.objects[parent]['type'] == 'ClusterComputeResource':
            out[host] = 'host'
            compute = parent
        elif parent in snap.objects and snap.objects[parent]['type'] == 'ComputeResource':
            compute = parent
        else:
            out[host] = 'host'
    if compute is None:
        pools = pool_chain(snap, obj.get('resource_pool'))
        if pools:
            compute = snap.objects[pools[-1]]['parent']
    if compute in snap.objects:
        ctype = snap.objects[compute]['type']
        if ctype == 'ClusterComputeResource':
            out[compute] = 'cluster'
            if placement == 'domain':
                for member in snap.objects[compute].get('hosts') or []:
                    if member in snap.objects:
                        out[member] = 'host'
        elif ctype == 'ComputeResource':
            out[compute] = 'host'
    for ds in obj.get('datastores') or []:
        if ds not in snap.objects:
            continue
        out[ds] = 'datastore'
        parent = snap.objects[ds]['parent']
        if parent in snap.objects and snap.objects[parent]['type'] == 'StoragePod':
            out[parent] = 'datastore_cluster'
            if placement == 'domain':
                for member in _storage_pod_members(snap, parent):
                    out[member] = 'datastore'
    for net in obj.get('networks') or []:
        if net in snap.objects and snap.objects[net]['type'] in _NETWORK_TYPES:
            out[net] = 'network'
    return out


def plan_tenant(snap, tenant, vms, management_servers):
    """The plan of one tenant (no conflict checks: see build_plans)."""
    role = tenant['dr_role'] if tenant['failback'] else READ_ONLY
    kinds = {}
    for vm in list(vms) + list(management_servers):
        for moid, kind in infrastructure_of(snap, vm, tenant.get('placement') or 'domain').items():
            kinds.setdefault(moid, kind)
    for vm in vms:
        kinds[vm] = 'tenant_vm'
    for vm in management_servers:
        kinds[vm] = 'management_server'   # a management server that a selector also matches is planned once
    objects = [dict(moid=snap.root, path='/', type=snap.objects[snap.root]['type'], kind='vcenter_root', role=READ_ONLY,
                    propagate=False)]
    for moid, kind in kinds.items():
        if moid == snap.root or snap.complex_child_reason(moid):
            continue  # never plan a permission on an object that cannot hold one
        obj = snap.objects[moid]
        objects.append(dict(moid=moid, path=obj['path'], type=obj['type'], kind=kind, role=role, propagate=False))
    objects.sort(key=lambda o: (o['path'] != '/', o['path'], o['moid']))
    principal = tenant['access_account']
    # typed object ids (``VirtualMachine:vm-42``), not paths: the permission module resolves them without a path lookup,
    # and an object renamed or moved between the mapping and the permission run is still the same object
    assignments = [
        dict(principal=principal, group=False, role=READ_ONLY, objects=['%s:%s' % (objects[0]['type'], snap.root)],
             propagate=False),
        dict(principal=principal, group=False, role=role,
             objects=['%s:%s' % (o['type'], o['moid']) for o in objects if o['kind'] != 'vcenter_root'], propagate=False),
    ]
    ms = set(management_servers)
    return dict(
        tenant=tenant['name'],
        topology=tenant['topology'],
        access_account=principal,
        failback=tenant['failback'],
        role=role,
        vms=sorted(snap.objects[v]['path'] for v in vms if v not in ms),
        management_servers=sorted(snap.objects[v]['path'] for v in management_servers),
        objects=objects,
        assignments=assignments,
    )


def build_plans(snap, tenants):
    """Plans for validated ``tenants`` on one snapshot.

    Returns ``{plans, assignments, warnings, owners}`` where ``owners`` maps each tenant VM and
    management server moid to its tenant name.  Raises :class:`TenantPlanError` with every
    conflict before anything is planned.
    """
    problems, warnings = [], []
    selections, mgmt = {}, {}
    index = InventoryIndex(snap)
    for t in tenants:
        sel = select_vms(snap, t, index)
        servers, errs = resolve_management_servers(snap, t)
        problems.extend(sel.problems)
        problems.extend(errs)
        warnings.extend(sel.warnings)
        selections[t['name']] = sel
        mgmt[t['name']] = servers
    problems.extend(_cross_tenant_conflicts(snap, tenants, selections, mgmt))
    if problems:
        raise TenantPlanError(problems)
    plans, owners = [], {}
    for t in tenants:
        ms = mgmt[t['name']]
        vms = [v for v in selections[t['name']].vms if v not in ms]
        plans.append(plan_tenant(snap, t, vms, ms))
        for v in vms + ms:
            owners[v] = t['name']
    assignments = [a for p in plans for a in p['assignments']]
    return dict(plans=plans, assignments=assignments, warnings=warnings, owners=owners)


def plans_key(tenants):
    """What plans depend on besides the inventory objects: the validated tenant definitions, in their order."""
    return hashlib.sha256(json.dumps(tenants, sort_keys=True, default=repr).encode()).hexdigest()


def plans_for(snap, tenants):
    """:func:`build_plans` of validated ``tenants`` on ``snap``, built once per snapshot.

    Plans depend only on the inventory objects and the definitions (not on roles or permissions). A snapshot keeps the
    plans built on it (``snap.plans``, keyed by :func:`plans_key`), and a saved inventory carries them: the preflight's
    plans of every tenant of a vCenter go to the converge of the same run with the inventory they were built on, which
    then plans nothing again when its tenants are the same. Tenants that select VMs by vSphere tag are always planned
    anew (tag attachments are read by the converge, not kept with the inventory)."""
    if selects_by(tenants, 'tags'):
        return build_plans(snap, tenants)
    key = plans_key(tenants)
    known = snap.plans.get(key)
    if known is None:
        known = snap.plans[key] = build_plans(snap, tenants)
    return known


def _cross_tenant_conflicts(snap, tenants, selections, mgmt):
    problems = []
    path = snap.label
    topo = {t['name']: t['topology'] for t in tenants}
    # same access account for two tenants
    accounts = {}
    for t in tenants:
        accounts.setdefault(principal_key(t['access_account']), []).append(t)
    for key, ts in sorted(accounts.items()):
        if len(ts) > 1:
            names = [t['name'] for t in ts]
            problems.append(_conflict('shared_access_account', names, [],
                                      "access account '%s' is used by tenants %s: each tenant's configuration server needs "
                                      "its own vCenter access account, or each tenant sees the others' VMs"
                                      % (ts[0]['access_account'], ' and '.join(names))))
    # one VM selected by two tenants
    selected_by = {}
    for t in tenants:
        for vm, reasons in selections[t['name']].vms.items():
            if vm in mgmt[t['name']]:
                continue
            selected_by.setdefault(vm, []).append((t['name'], reasons))
    for vm in sorted((v for v, who in selected_by.items() if len(who) > 1), key=path):
        who = selected_by[vm]
        if len(who) > 1:
            text = ' and '.join('%s (%s)' % (n, '; '.join(r)) for n, r in who)
            problems.append(_conflict('vm_overlap', [n for n, _reasons in who], [path(vm)],
                                      'VM %s is selected by tenants %s; tenant selections must not overlap' % (path(vm), text)))
    # management servers shared between tenants (shared hosting)
    served = {}
    for t in tenants:
        for vm in mgmt[t['name']]:
            served.setdefault(vm, []).append(t['name'])
    for vm in sorted(served, key=path):
        names = served[vm]
        if len(names) > 1 and any(topo[n] == 'shared_hsp' for n in names):
            problems.append(_conflict('shared_management_server', names, [path(vm)],
                                      'management server %s is shared by tenants %s; in shared hosting each tenant needs its '
                                      'own configuration server (seed 000: "each customer has a separate management server")'
                                      % (path(vm), ' and '.join(names))))
    # a tenant VM that is another tenant's management server
    for vm in sorted((v for v in selected_by if v in served), key=path):
        for owner in served.get(vm, []):
            for name, reasons in selected_by[vm]:
                if name != owner:
                    problems.append(_conflict('vm_is_management_server', [name, owner], [path(vm)],
                                              'VM %s is selected as a tenant VM of %s (%s) but is a management server of %s'
                                              % (path(vm), name, '; '.join(reasons), owner)))
    return problems
