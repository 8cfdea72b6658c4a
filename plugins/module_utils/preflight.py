# -*- coding: utf-8 -*-
# Copyright: tenantdr.asr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Preflight: every tenant of a run checked, vCenter and Azure, before the run writes anything anywhere.

Three layers, so that the pure parts serve the action plugin, the tests and the report alike:

* :func:`tenant_records_from_hostvars` - the ONE place that turns a tenant host's inventory variables
  (``tenant_*``) into a record (the vCenter definition of ``tenant_plan``, the vCenter connection, the Azure
  settings). The definition has every key of the tenant schema (``tenant_model.TENANT_KEYS``) with its default; the
  vCenter pipeline's ``tenant_model.tenant_record`` reads the same variables (the preflight hands it the other tenants'
  records it made with it).
* static checks (:func:`static_problems`, :func:`cross_tenant_problems`) - schema, names, formats, topology
  knobs, reusing the validators the modules already run (``tenant_plan.validate_tenant``,
  ``azure_vault.validate_vault_params``, ``azure_access.validate_access_params``,
  ``azure_common.validate_connection``), plus :data:`STEP_VALIDATORS` where later steps plug in.
* online checks, read only: :func:`vcenter_problems` (pure, on one snapshot: objects and selectors resolve,
  conflicts across every tenant of a shared vCenter including those outside ``--limit``, roles and privileges
  known, principals known) with :func:`check_vcenter` doing the reads (one login, one inventory pass, one
  ``RetrieveAllPermissions`` only when the plan is asked for, one ``RetrieveUserGroups`` listing per SSO domain and
  exact lookups only for principals the listing misses); :func:`azure_problems` (subscription state, provider registration, location offered,
  vault free or this tenant's, principals through :data:`GRAPH_LOOKUP` when one is plugged in).

:func:`run_preflight` puts it together and returns plain data: problems per host, warnings, the report lines
and, on request, the plan (role and permission changes per vCenter, from ``role_profiles.plan_role`` and
``permissions.plan_changes``).
"""
from __future__ import annotations

import concurrent.futures
import contextlib
import copy
import marshal
import os
import tempfile

from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.tenantdr.asr.plugins.module_utils.permissions import (
    PlanError, plan_changes, principal_key, summarize,
)
from ansible_collections.tenantdr.asr.plugins.module_utils.role_profiles import (
    ProfileError, check_privileges, plan_role, profile_privileges,
)
from ansible_collections.tenantdr.asr.plugins.module_utils.tenant_converge import directory_lookup
from ansible_collections.tenantdr.asr.plugins.module_utils.tenant_model import INVENTORY_KEYS, TENANT_KEYS, selects_by
from ansible_collections.tenantdr.asr.plugins.module_utils.tenant_plan import (
    DEFAULT_DR_ROLE, READ_ONLY, TOPOLOGIES, TenantPlanError, plans_for, validate_tenant,
)
from ansible_collections.tenantdr.asr.plugins.module_utils.vcenter import snapshot_data, snapshot_from_data

POLICIES = ('fail', 'skip_invalid')
STATES = ('present', 'absent')
ACCESS_SCOPES = ('subscription', 'resource_group')
SUBSCRIPTION_API_VERSION = '2022-12-01'  # Microsoft.Resources subscriptions (GET /subscriptions/{id})
#: Subscription states of ARM (Subscriptions - Get, "state"); only Enabled accepts writes.
SUBSCRIPTION_STATES = ('Enabled', 'Warned', 'PastDue', 'Disabled', 'Deleted')

# ------------------------------------------------------------------------------------------------------------------
# Plug-in points for the steps other engineers are building.
# ------------------------------------------------------------------------------------------------------------------
#: Static validators of later steps (Site Recovery infrastructure, CSP customer/subscription). Each is a callable
#: ``validator(record) -> list of problem strings`` taking the record of :func:`tenant_records_from_hostvars`
#: (``record['vars']`` holds every ``tenant_*`` variable of the host) and returning [] when the step's inputs are fine
#: or the step is not enabled. Append to this list, e.g. ``STEP_VALIDATORS.append(site_recovery.validate_site_recovery)``.
STEP_VALIDATORS = []  # filled at the end of this file: Site Recovery (issue 10) and CSP (issue 11) inputs

#: Microsoft Graph lookup. ``None`` = Graph not reachable: principals are then only checked for format and type.
#: Otherwise a callable ``lookup(session, object_ids) -> {object_id_lower: type or None}`` (``None`` = not found; type
#: one of ``User``, ``Group``, ``ServicePrincipal``, ...; an id left out = not asked), or raising ``AzureApiError``
#: when Graph cannot be asked. Set to :func:`graph_directory_lookup` at the end of this file.
GRAPH_LOOKUP = None


def _azure():
    """The Azure half's helpers (azure_access, azure_common, azure_vault), imported when a tenant of the run has Azure
    on: azure_common loads the Azure SDKs, about 0.8 s that a vCenter-only run does not pay."""
    # pylint: disable=import-outside-toplevel
    from ansible_collections.tenantdr.asr.plugins.module_utils import azure_access, azure_common, azure_vault
    return azure_access, azure_common, azure_vault


def _plain(value):
    """Plain Python data (Ansible's lazy/tagged containers -> dict/list/str)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str(value)
    return value


def _bool(value, default):
    if value is None or value == '':
        return default
    try:
        return boolean(value, strict=True)
    except TypeError:
        return value  # left as is: the static checks name it


# ------------------------------------------------------------------------------------------------------------------
# Records
# ------------------------------------------------------------------------------------------------------------------
class _VarReader:
    """Reads one host's variables as plain data; a variable that cannot be templated becomes an error text."""

    def __init__(self, variables):
        self.variables = variables
        self.errors = []

    def get(self, name, default=None):
        try:
            value = self.variables.get(name, default)
            return default if value is None else _plain(value)
        except Exception as exc:  # pylint: disable=broad-except  # e.g. an undefined variable in a template
            self.errors.append('%s cannot be read: %s' % (name, str(exc).splitlines()[0] if str(exc) else type(exc).__name__))
            return default


def tenant_records_from_hostvars(hostvars, hosts, environ=None):
    """One record per tenant host: what the roles would do with the host's ``tenant_*`` variables.

    ``hostvars``: mapping host -> variables (Ansible's ``hostvars``; values are read with ``.get``). ``environ``:
    the environment for the connection fallbacks (``VMWARE_*``, ``AZURE_SUBSCRIPTION_ID``). Record keys: ``host``,
    ``name``, ``state``, ``topology``, ``vcenter_enabled``, ``azure_enabled``, ``vcenter`` (``key``, ``label``,
    ``connection``, or None when ``tenant_vcenter`` is unusable), ``definition`` (the ``tenant_mapping`` tenant),
    ``azure`` (subscription, resource group, vault, location, access) and ``vars`` (the raw ``tenant_*`` variables).
    """
    environ = os.environ if environ is None else environ
    out = []
    for host in hosts:
        v = hostvars[host]
        reader = _VarReader(v)
        get = reader.get
        read_errors = reader.errors

        name = get('tenant_name', host)
        topology = get('tenant_topology', '')
        raw_vc = get('tenant_vcenter')
        vcenter = None
        if isinstance(raw_vc, dict) and str(raw_vc.get('hostname') or '').strip():
            creds_map = get('tenantdr_vcenter_credentials', {}) or {}
            if isinstance(creds_map, str):
                import yaml  # pylint: disable=import-outside-toplevel  # controller side only (PyYAML ships with ansible-core)
                creds_map = yaml.safe_load(creds_map) or {}
            hostname = str(raw_vc['hostname']).strip()
            creds = creds_map.get(hostname) or {} if isinstance(creds_map, dict) else {}
            try:
                port = int(raw_vc.get('port') or 443)
            except (TypeError, ValueError):
                port = raw_vc.get('port')
            validate = raw_vc.get('validate_certs')
            if validate is None:
                validate = environ.get('VMWARE_VALIDATE_CERTS')
            vcenter = {
                'key': '%s:%s' % (hostname.lower(), port),
                'label': hostname if port == 443 else '%s:%s' % (hostname, port),
                'connection': {
                    'hostname': hostname, 'port': port,
                    'username': raw_vc.get('username') or creds.get('username') or environ.get('VMWARE_USER'),
                    'password': raw_vc.get('password') or creds.get('password') or environ.get('VMWARE_PASSWORD'),
                    'validate_certs': _bool(validate, True),
                },
            }
        # every key of the tenant schema (tenant_model.TENANT_KEYS) from its tenant_<key> variable, with its default
        definition = {k: get('tenant_' + k, copy.deepcopy(default)) for k, (_type, default) in TENANT_KEYS.items()
                      if k in INVENTORY_KEYS and k not in ('name', 'topology')}
        definition.update(name=name, topology=topology, vcenter=vcenter['key'] if vcenter else '',
                          access_account=definition.get('access_account') or '')
        connection = get('tenantdr_azure_connection', {}) or {}
        azure = {
            'subscription_id': get('tenant_subscription_id') or (connection.get('subscription_id') if isinstance(connection, dict) else None)
            or environ.get('AZURE_SUBSCRIPTION_ID') or '',
            'resource_group': get('tenant_resource_group', 'rg-%s-dr' % name),
            'vault_name': get('tenant_vault_name', 'rsv-%s-dr' % name),
            'location': get('tenant_location', ''),
            'storage_redundancy': get('tenant_vault_storage_redundancy', ''),
            'access_principals': get('tenant_access_principals', []),
            'access_role': get('tenant_access_role', 'Contributor'),
            'access_scope': get('tenant_access_scope', 'subscription'),
            'delete_vault': _bool(get('tenant_delete_vault'), False),
            'connection': connection,
        }
        out.append({
            'host': host,
            'name': name,
            'state': get('tenant_state', 'present'),
            'topology': topology,
            'vcenter_enabled': _bool(get('tenantdr_vcenter_enabled'), True),
            'azure_enabled': _bool(get('tenantdr_azure_enabled'), True),
            'vcenter': vcenter,
            'raw_vcenter': raw_vc,
            'definition': definition,
            'azure': azure,
            'vars': {k: get(k) for k in v.keys() if str(k).startswith('tenant_')} if hasattr(v, 'keys') else {},
            'read_errors': list(dict.fromkeys(read_errors)),
        })
    return out


# ------------------------------------------------------------------------------------------------------------------
# Static checks
# ------------------------------------------------------------------------------------------------------------------
def _mapping_errors(record):
    """``tenant_plan.validate_tenant`` on the record's definition, messages in the inventory's variable names."""
    tenant, errors = validate_tenant(record['definition'], 0)
    prefix = 'tenants[0] (%s)' % record['definition'].get('name')
    out = []
    for e in errors:
        e = e.replace(prefix + '.', 'tenant_').replace(prefix + ': ', '').replace('tenants[0].', 'tenant_').replace('tenants[0]: ', '')
        out.append('vCenter: ' + e)
    return tenant, out


def azure_params(record, environ=None):
    """The Azure connection options of a record, with the env-var fallbacks and defaults of the modules."""
    _az_access, az_common, _az_vault = _azure()
    environ = os.environ if environ is None else environ
    given = dict(record['azure'].get('connection') or {})
    params = {}
    for option, spec in az_common.azure_argument_spec().items():
        value = given.get(option)
        if value is None and spec.get('fallback'):
            for var in spec['fallback'][1]:
                if environ.get(var):
                    value = environ[var]
                    break
        if value is None:
            value = spec.get('default')
        if value is not None and spec.get('type') == 'float':
            try:
                value = float(value)
            except (TypeError, ValueError):
                pass
        params[option] = value
    params['subscription_id'] = record['azure']['subscription_id'] or params.get('subscription_id')
    return params


def static_problems(record, environ=None):
    """Problems of one tenant that need no vCenter or Azure call (schema, names, formats, topology knobs)."""
    problems = list(record.get('read_errors') or [])
    if record['topology'] not in TOPOLOGIES:
        problems.append("tenant_topology '%s' is not valid; valid choices: %s" % (record['topology'] or '', ', '.join(TOPOLOGIES)))
    if record['state'] not in STATES:
        problems.append("tenant_state '%s' is not valid; valid choices: %s" % (record['state'], ', '.join(STATES)))
    for var in ('vcenter_enabled', 'azure_enabled'):
        if not isinstance(record[var], bool):
            problems.append('tenantdr_%s must be a boolean, got %r' % (var, record[var]))
    if record['vcenter_enabled'] is not False:
        if record['vcenter'] is None:
            problems.append('tenant_vcenter must be a dictionary with at least hostname (and optionally port, validate_certs, '
                            'username, password); got %r' % (record['raw_vcenter'],))
        else:
            conn = record['vcenter']['connection']
            if not isinstance(conn['port'], int) or not 0 < conn['port'] < 65536:
                problems.append('tenant_vcenter.port %r is not a TCP port (1-65535)' % (conn['port'],))
            if not isinstance(conn['validate_certs'], bool):
                problems.append('tenant_vcenter.validate_certs must be a boolean, got %r' % (conn['validate_certs'],))
            for key, var in (('username', 'VMWARE_USER'), ('password', 'VMWARE_PASSWORD')):
                if not conn.get(key):
                    problems.append('no vCenter %s for %s: set tenant_vcenter.%s, tenantdr_vcenter_credentials or %s'
                                    % (key, record['vcenter']['label'], key, var))
        problems.extend(_mapping_errors(record)[1])
    if record['azure_enabled'] is not False:
        problems.extend(_azure_static(record, environ))
    for validator in STEP_VALIDATORS:
        problems.extend(validator(record) or [])
    return problems


def _azure_static(record, environ):
    az_access, az_common, az_vault = _azure()
    a = record['azure']
    problems = []
    if not isinstance(a['connection'], dict):
        return ['tenantdr_azure_connection must be a dictionary of Azure connection options, got %r' % (a['connection'],)]
    params = azure_params(record, environ)
    problems.extend('Azure: ' + p.replace('subscription_id', 'tenant_subscription_id', 1) for p in az_common.validate_connection(params))
    present = record['state'] == 'present'
    vault = {'name': a['vault_name'], 'resource_group': a['resource_group'], 'state': 'present' if present else 'absent',
             'location': a['location'] or None}
    for p in az_vault.validate_vault_params(vault):
        p = p.replace('name ', 'tenant_vault_name ', 1) if p.startswith('name ') else p
        p = p.replace('resource_group ', 'tenant_resource_group ', 1) if p.startswith('resource_group ') else p
        p = p.replace('location ', 'tenant_location ', 1) if p.startswith('location ') else p
        problems.append('Azure: ' + p)
    if a['storage_redundancy'] and a['storage_redundancy'] not in az_vault.REDUNDANCY:
        problems.append("Azure: tenant_vault_storage_redundancy '%s' is not valid; valid choices: %s"
                        % (a['storage_redundancy'], ', '.join(az_vault.REDUNDANCY)))
    if a['access_scope'] not in ACCESS_SCOPES:
        problems.append("Azure: tenant_access_scope '%s' is not valid; valid choices: %s" % (a['access_scope'], ', '.join(ACCESS_SCOPES)))
    principals = a['access_principals']
    if not isinstance(principals, list) or not all(isinstance(p, dict) for p in principals):
        problems.append('Azure: tenant_access_principals must be a list of {object_id, type}, got %r' % (principals,))
    elif principals:
        access = {'principals': principals, 'role': a['access_role'],
                  'resource_group': a['resource_group'] if a['access_scope'] == 'resource_group' else None}
        problems.extend('Azure: tenant_access_' + p if p.startswith('principals') else 'Azure: ' + p
                        for p in az_access.validate_access_params(access))
        for index, p in enumerate(principals):
            unknown = set(p) - {'object_id', 'type'}
            if unknown:
                problems.append('Azure: tenant_access_principals[%d]: unknown key(s) %s; valid keys: object_id, type'
                                % (index, ', '.join(sorted(map(str, unknown)))))
            ptype = p.get('type') or 'User'
            if ptype not in az_access.PRINCIPAL_TYPES:
                problems.append("Azure: tenant_access_principals[%d].type '%s' is not valid; valid choices: %s"
                                % (index, ptype, ', '.join(az_access.PRINCIPAL_TYPES)))
    return problems


def cross_tenant_problems(records, run_hosts):
    """Problems between tenants (every tenant of the inventory, reported on the hosts of the run): duplicate tenant
    names, one Azure vault (subscription, resource group, vault name) for two tenants."""
    problems = {}
    run = set(run_hosts)

    def add(host, text):
        if host in run:
            problems.setdefault(host, []).append(text)

    by_name, by_vault = {}, {}
    for r in records:
        by_name.setdefault(str(r['name']), []).append(r)
        if r['azure_enabled'] is not False and r['azure']['vault_name']:
            key = (str(r['azure']['subscription_id']).lower(), str(r['azure']['resource_group']).lower(),
                   str(r['azure']['vault_name']).lower())
            by_vault.setdefault(key, []).append(r)
    for name, rs in by_name.items():
        if len(rs) > 1:
            for r in rs:
                add(r['host'], "tenant name '%s' is used by hosts %s; each tenant needs its own name (tenant_name)"
                    % (name, ', '.join(sorted(x['host'] for x in rs))))
    for (_sub, _rg, _vault), rs in by_vault.items():
        if len(rs) > 1:
            for r in rs:
                others = sorted(x['name'] for x in rs if x is not r)
                add(r['host'], "Azure: vault '%s' in resource group '%s' of subscription %s is also the vault of tenant(s) %s%s; "
                    "each tenant needs its own vault (tenant_vault_name)"
                    % (r['azure']['vault_name'], r['azure']['resource_group'], r['azure']['subscription_id'], ', '.join(others),
                       _outside(rs, run)))
    return problems


def _outside(records, run):
    out = sorted(x['name'] for x in records if x['host'] not in run)
    return ' (%s outside this run)' % ', '.join(out) if out else ''


# ------------------------------------------------------------------------------------------------------------------
# vCenter (pure, on one snapshot)
# ------------------------------------------------------------------------------------------------------------------
def vcenter_groups(records, run_hosts):
    """Tenants grouped by vCenter: ``{key: {'label', 'connection', 'run': [records], 'context': [records]}}``.

    ``context`` = the inventory's other ``present`` tenants of the same vCenter that are not in the run - the
    shared-hosting mapping includes them, so a conflict with them (or a broken definition of theirs) stops the run.
    """
    run = set(run_hosts)
    groups = {}
    for r in records:
        if r['host'] in run and r['vcenter'] and r['vcenter_enabled'] is True:
            g = groups.setdefault(r['vcenter']['key'], {'label': r['vcenter']['label'], 'connection': r['vcenter']['connection'],
                                                        'run': [], 'context': []})
            g['run'].append(r)
    for r in records:
        if r['host'] not in run and r['vcenter'] and r['vcenter']['key'] in groups and r['state'] == 'present':
            groups[r['vcenter']['key']]['context'].append(r)
    return groups


def _mapping_units(group):
    """The tenant sets the pipeline maps together: shared hosting = every present shared tenant of the run plus the
    context; dedicated/MSP = each tenant alone."""
    present = [r for r in group['run'] if r['state'] == 'present']
    shared = [r for r in present if r['topology'] == 'shared_hsp']
    units = []
    if shared:
        units.append((shared, group['context']))
    units.extend(([r], []) for r in present if r['topology'] != 'shared_hsp')
    return units


def vcenter_problems(snap, group, principal_exists=None):
    """Problems per run host of one vCenter, found on its snapshot (no call here but ``principal_exists``).

    ``principal_exists(principal, group_flag) -> bool`` asks the user directory (``None``: not checked).
    Returns ``(problems {host: [str]}, warnings {host: [str]})``.
    """
    problems, warnings = {}, {}
    label = group['label']

    def add(target, host, text):
        target.setdefault(host, []).append('vCenter %s: %s' % (label, text))

    for run_records, context in _mapping_units(group):
        tenants, by_name = [], {}
        for r in run_records + context:
            t, errors = validate_tenant(r['definition'], 0)
            if errors:
                if r in context:  # a broken tenant outside the run also breaks the shared mapping of the run
                    for x in run_records:
                        add(problems, x['host'], 'tenant %s (outside this run, same shared vCenter) has an invalid definition, '
                            'which stops the shared mapping: %s' % (r['name'], '; '.join(errors)))
                continue  # run tenants: already reported by the static checks
            tenants.append(t)
            by_name[t['name']] = r
        if not tenants:
            continue
        try:
            # kept with the snapshot: vcenter_plan, and the converge of this run (with the saved inventory), reuse them
            result = plans_for(snap, tenants)
            for w in result['warnings']:
                for x in run_records:
                    if w.startswith('tenant %s:' % x['name']):
                        add(warnings, x['host'], w)
        except TenantPlanError as exc:
            run_names = {x['name'] for x in run_records}
            for c in exc.conflicts:
                named = [n for n in c['tenants'] if n in by_name]
                outside = [n for n in named if n not in run_names]
                targets = [n for n in named if n in run_names] or sorted(run_names)
                note = '' if not outside else ' (%s outside this run)' % ', '.join(outside)
                for n in targets:
                    add(problems, by_name[n]['host'] if n in by_name else n, c['message'] + note)
    present = [r for r in group['run'] if r['state'] == 'present']
    # roles and privileges
    needs_role = sorted({str(r['definition'].get('dr_role') or DEFAULT_DR_ROLE) for r in present if r['definition'].get('failback') is not False})
    if snap.find_role(READ_ONLY) is None and present:
        for r in present:
            add(problems, r['host'], "the built-in role '%s' (Read-only) is missing on this vCenter" % READ_ONLY)
    if needs_role:
        try:
            desired, _skipped = profile_privileges('asr', snap.privileges)
            check_privileges(desired, snap.privileges)
        except ProfileError as exc:
            for r in present:
                add(problems, r['host'], 'DR role privileges: %s' % exc)
        for role in needs_role:
            existing = snap.find_role(role)
            if existing is not None and existing['system']:
                for r in present:
                    if str(r['definition'].get('dr_role') or DEFAULT_DR_ROLE) == role and r['definition'].get('failback') is not False:
                        add(problems, r['host'], "tenant_dr_role '%s' is a built-in vCenter system role; the DR role must be a role "
                            "of its own (default %s)" % (existing['name'], DEFAULT_DR_ROLE))
    # principals
    if principal_exists is not None:
        by_key = {}
        for r in present:
            for principal, is_group in _principals(r['definition']):
                by_key.setdefault((principal_key(principal), is_group), []).append((r, principal))
        for principal, is_group in _answers_wanted(snap, group):
            if principal_exists(principal, is_group):
                continue
            for r, named in by_key[(principal_key(principal), is_group)]:
                add(problems, r['host'], "%s '%s' is not known to vCenter's user directory (RetrieveUserGroups); create it in "
                    "vCenter SSO or the identity source first (%s)"
                    % ('group' if is_group else 'access account', named,
                       'tenant_access_account_groups' if is_group else 'tenant_access_account'))
    return problems, warnings


def vcenter_plan(snap, group, valid_hosts, role_mode=None):
    """What the converge would change on this vCenter for the valid run tenants: the DR roles and every permission.

    ``role_mode(topology) -> 'replace'|'add'`` (default: msp adds, others replace). Returns a dict with ``roles``
    (``plan_role`` results), ``permissions`` (``plan_changes`` changes), ``summary`` per tenant.
    """
    role_mode = role_mode or (lambda topology: 'add' if topology == 'msp' else 'replace')
    valid = set(valid_hosts)
    present = [r for r in group['run'] if r['state'] == 'present' and r['host'] in valid]
    absent = [r for r in group['run'] if r['state'] == 'absent' and r['host'] in valid]
    out = {'vcenter': group['label'], 'roles': [], 'permissions': [], 'summary': {}}
    roles = list(snap.roles)
    try:
        desired, _skipped = profile_privileges('asr', snap.privileges)
    except ProfileError:
        desired = []
    seen = set()
    for r in present:
        d = r['definition']
        if d.get('failback') is False:
            continue
        name = str(d.get('dr_role') or DEFAULT_DR_ROLE)
        if name.lower() in seen:
            continue
        seen.add(name.lower())
        existing = snap.find_role(name)
        plan = plan_role(existing, name, None, desired, role_mode(r['topology']), 'present')
        out['roles'].append({'name': plan['name'], 'action': plan['action'], 'added': plan['added'], 'removed': plan['removed']})
        if existing is None:
            roles.append({'id': 'new:%s' % name, 'name': name, 'label': name, 'system': False, 'privileges': plan['privileges']})
    plan_snap = type(snap)(snap.objects, snap.root, roles, snap.privileges, snap.permissions, snap.about, plans=snap.plans)
    assignments = []
    units = list(_mapping_units({'run': present, 'context': group['context']}))
    for run_records, context in units:
        tenants = []
        for r in run_records + context:
            t, errors = validate_tenant(r['definition'], 0)
            if not errors:
                tenants.append(t)
        try:
            result = plans_for(plan_snap, tenants)
        except TenantPlanError:
            continue  # reported as problems
        names = {x['name'] for x in run_records}
        for p in result['plans']:
            if p['tenant'] not in names:
                continue
            for a in p['assignments']:
                role = plan_snap.find_role(a['role'])
                moids = [plan_snap.resolve(o) for o in a['objects']]
                assignments.append({'principal': a['principal'], 'group': False, 'role_id': role['id'] if role else None,
                                    'objects': [m for m in moids if m], 'propagate': False, 'tenant': p['tenant']})
    changes = []
    try:
        changes.extend(plan_changes(plan_snap, assignments, state='present', exclusive=True))
    except PlanError as exc:
        out['error'] = str(exc)
    if absent:
        changes.extend(plan_changes(plan_snap, [{'principal': r['definition']['access_account'], 'group': False, 'objects': []}
                                                for r in absent if r['definition'].get('access_account')],
                                    state='absent', all_objects=True))
    out['permissions'] = changes
    by_principal = {}
    for r in present + absent:
        by_principal[principal_key(r['definition'].get('access_account') or '')] = r['name']
    for c in changes:
        tenant = by_principal.get(principal_key(c['principal']), c['principal'])
        s = out['summary'].setdefault(tenant, {'add': 0, 'update': 0, 'remove': 0})
        s[c['action']] += 1
    for r in present + absent:
        out['summary'].setdefault(r['name'], {'add': 0, 'update': 0, 'remove': 0})
    out['totals'] = summarize(changes)
    return out


def _selects_by_custom_attributes(group):
    """True when a tenant of the vCenter group (run or context) selects VMs by custom attribute values."""
    return selects_by([r['definition'] for r in list(group['run']) + list(group['context'])], 'custom_attributes')


def _read_vcenter(vc, group, plan):
    """The preflight's reads on one open session: the inventory (with the VMs' custom attribute values only when a
    tenant of the group selects by them) and, for the plan, every permission."""
    return vc.read_snapshot(with_permissions=plan, custom_attributes=_selects_by_custom_attributes(group))


class VCenterReadFailed(Exception):
    """A vCenter read in a child process failed; the text is what the read raised."""


def _principals(definition):
    """``(principal, is_group)`` of a tenant definition not validated yet: its access account and its groups, each one
    a non-blank string."""
    groups = [g for g in (definition.get('access_account_groups') or []) if isinstance(g, str)]
    return [(principal, is_group) for principal, is_group in [(definition.get('access_account'), False)] + [(g, True) for g in groups]
            if isinstance(principal, str) and principal.strip()]


def _answers_wanted(snap, group):
    """Each ``(principal, is_group)`` the preflight asks the user directory about: the access accounts and groups of the
    run's present tenants that hold no permission on the vCenter yet (one that holds one exists)."""
    holding = {principal_key(p['principal']) for p in snap.permissions}
    out, seen = [], set()
    for r in group['run']:
        if r['state'] != 'present':
            continue
        for principal, is_group in _principals(r['definition']):
            key = (principal_key(principal), is_group)
            if key[0] in holding or key in seen:
                continue
            seen.add(key)
            out.append((principal.strip(), is_group))
    return out


def _read_in_child(connect, group, plan, path):
    """The child process of :class:`VCenterReads`: log in, read, ask the directory, log out, write what it read (or why
    it could not) to ``path`` in ``marshal`` form, and end without running anything of the parent's."""
    try:
        try:
            with connect(group['connection']) as vc:
                snap = _read_vcenter(vc, group, plan)
                exists = directory_lookup(vc)
                answers = [(principal, is_group, bool(exists(principal, is_group)))
                           for principal, is_group in _answers_wanted(snap, group)]
            data = marshal.dumps(('read', snapshot_data(snap), answers))
        except Exception as exc:  # pylint: disable=broad-except  # reported for the run's tenants, as the parent would
            data = marshal.dumps(('failed', str(exc)))
        with open(path, 'wb') as f:
            f.write(data)
    finally:
        os._exit(0)  # pylint: disable=protected-access  # a forked child never returns into the parent's code


class VCenterReads:
    """The preflight's vCenter reads, started before the other tenants' variables are read, each in a child process.

    A one-tenant run into a shared vCenter reads the whole inventory (the new tenant's selections are checked against
    every other tenant's) and the variables of every other tenant host. Both are CPU work in Python: the inventory
    answer of a 1,000-tenant vCenter is ~16 MB of XML to parse. Built from the run's own records (``groups`` =
    :func:`vcenter_groups` of them), this forks one child per vCenter, which logs in, reads the inventory (and, for the
    plan, every permission), asks the user directory about the run's principals (:func:`_answers_wanted`), logs out and
    hands what it read over in a private file (0600, removed when taken); meanwhile the caller reads the variables on
    the controller's other core. :func:`check_vcenter` takes the result. Reads only: a read that fails is raised to
    check_vcenter as :class:`VCenterReadFailed` with the text of the failure, and reported as it would report its own.
    :meth:`close` waits for every child and removes its file, taken or not.

    Forking is safe here: the caller is an Ansible worker process, forked itself, and has started no thread."""

    def __init__(self, connect, groups, plan=False, workdir=None):
        self._children = {}
        for key, group in sorted(groups.items()):
            fd, path = tempfile.mkstemp(prefix='tenantdr-read-', suffix='.bin', dir=workdir)
            os.close(fd)
            pid = os.fork()
            if pid == 0:  # pragma: no cover  # the child; coverage does not follow it
                _read_in_child(connect, group, plan, path)
            self._children[key] = (pid, path)

    @staticmethod
    def _collect(pid, path):
        os.waitpid(pid, 0)
        try:
            with open(path, 'rb') as f:
                raw = f.read()
        finally:
            os.unlink(path)
        try:
            return marshal.loads(raw)
        except (EOFError, ValueError, TypeError):
            return ('failed', 'the read in a child process ended without an answer')

    def take(self, key):
        """``(snapshot, {(principal key, is_group): exists})`` read for the vCenter ``key`` (waits for it; raises
        VCenterReadFailed), or None when this vCenter was not read early."""
        child = self._children.pop(key, None)
        if child is None:
            return None
        answer = self._collect(*child)
        if answer[0] != 'read':
            raise VCenterReadFailed(answer[1])
        return snapshot_from_data(answer[1]), {(principal_key(principal), is_group): exists for principal, is_group, exists in answer[2]}

    def close(self):
        """Wait for every child not taken and remove its file."""
        children, self._children = self._children, {}
        for pid, path in children.values():
            try:
                self._collect(pid, path)
            except OSError:
                pass


def check_vcenter(connect, group, plan=False, valid_hosts=None, reads=None, key=None):
    """Read one vCenter once and check its tenants.

    ``connect(connection) -> context manager`` yielding a ``vcenter.VCenterConnection``-like object (``read_snapshot``,
    ``read_permissions``, ``principal_exists``). ``reads``/``key``: a :class:`VCenterReads` that may hold this vCenter's
    reads already (then ``connect`` is used only when a tenant outside the run needs more: the VMs' custom attribute
    values, or a principal the early read did not ask about). Returns ``(problems, warnings, snapshot)``.
    """
    early = reads.take(key) if reads is not None else None
    with contextlib.ExitStack() as stack:
        opened = []

        def session():
            if not opened:
                opened.append(stack.enter_context(connect(group['connection'])))
            return opened[0]

        if early is None:
            snap = _read_vcenter(session(), group, plan)
            exists = directory_lookup(session())
        else:
            snap, answers = early
            if not snap.about.get('custom_attributes_read', True) and _selects_by_custom_attributes(group):
                # an other tenant of the vCenter selects by custom attributes, none of the run's does: read them too
                permissions = snap.permissions
                snap = session().read_snapshot(with_permissions=False, custom_attributes=True)
                snap.permissions = permissions
            exists = _answered(answers, lambda: directory_lookup(session()))
        problems, warnings = vcenter_problems(snap, group, exists)
    return problems, warnings, snap


def _answered(answers, lookup):
    """``principal_exists`` from the early read's answers, asking ``lookup()`` (made on first use) for any other."""
    made = []

    def exists(principal, is_group):
        key = (principal_key(principal), is_group)
        if key not in answers:
            if not made:
                made.append(lookup())
            answers[key] = made[0](principal, is_group)
        return answers[key]
    return exists


# ------------------------------------------------------------------------------------------------------------------
# Azure
# ------------------------------------------------------------------------------------------------------------------
def subscription_problem(wire, subscription_id):
    """A problem text when the subscription cannot take writes (state not Enabled), else None."""
    state = wire.get('state')
    if state != 'Enabled':
        return ("subscription %s is %s, not Enabled (Azure accepts no new resources in it); valid state: Enabled%s"
                % (subscription_id, state or 'of unknown state', ' - re-enable it in the Azure portal / Partner Center'
                   if state in ('Disabled', 'Warned', 'PastDue') else ''))
    return None


def provider_findings(provider_state, offered_locations, location):
    """(problems, warnings) for the Microsoft.RecoveryServices provider: registration and the vault location."""
    _az_access, _az_common, az_vault = _azure()
    problems, warnings = [], []
    if provider_state not in (None, 'Registered'):
        warnings.append('resource provider %s is %s in the subscription; the onboarding registers it'
                        % (az_vault.PROVIDER_NAMESPACE, provider_state))
    wanted = az_vault.normalize_location(location)
    offered = sorted({az_vault.normalize_location(x) for x in offered_locations or []})
    if wanted and offered and wanted not in offered:
        problems.append("tenant_location '%s' is not offered for %s/vaults in this subscription; valid locations: %s"
                        % (location, az_vault.PROVIDER_NAMESPACE, ', '.join(offered)))
    return problems, warnings


def vault_findings(vault_wire, record):
    """(problems, warnings) for the existing vault of a tenant (``vault_wire`` = GET answer, None = free)."""
    _az_access, _az_common, az_vault = _azure()
    if vault_wire is None:
        return [], []
    a = record['azure']
    tags = vault_wire.get('tags') or {}
    owner = tags.get('tenant')
    problems, warnings = [], []
    if owner and owner != record['name']:
        problems.append("vault '%s' in resource group '%s' already exists and belongs to tenant '%s' (tag tenant=%s); "
                        "choose another tenant_vault_name" % (a['vault_name'], a['resource_group'], owner, owner))
    elif not owner and record['state'] == 'present':
        warnings.append("vault '%s' in resource group '%s' already exists without a tenant tag; the onboarding adopts it "
                        "for tenant %s" % (a['vault_name'], a['resource_group'], record['name']))
    location = az_vault.normalize_location(vault_wire.get('location'))
    if record['state'] == 'present' and a['location'] and location and location != az_vault.normalize_location(a['location']):
        problems.append("vault '%s' already exists in location '%s', not tenant_location '%s'; a vault cannot move - use "
                        "'%s' or another tenant_vault_name" % (a['vault_name'], location, a['location'], location))
    return problems, warnings


def principal_findings(principals, directory):
    """Problems for tenant access principals given a Graph answer ``{object_id_lower: type or None}``."""
    problems = []
    for index, p in enumerate(principals):
        oid = str(p.get('object_id') or '').lower()
        if oid not in directory:
            continue
        found = directory[oid]
        wanted = p.get('type') or 'User'
        if found is None:
            problems.append('tenant_access_principals[%d].object_id %s was not found in the tenant directory (Microsoft Graph)'
                            % (index, p.get('object_id')))
        elif found != wanted:
            problems.append("tenant_access_principals[%d].object_id %s is a %s in the directory, not a %s (type); set type: %s"
                            % (index, p.get('object_id'), found, wanted, found))
    return problems


def _vault_key(wire):
    """(resource group, vault name) in lower case, from a vault's ARM id."""
    parts = str(wire.get('id') or '').split('/')
    lowered = [x.lower() for x in parts]
    rg = parts[lowered.index('resourcegroups') + 1] if 'resourcegroups' in lowered else ''
    return rg.lower(), str(wire.get('name') or '').lower()


def subscription_findings(session, subscription_id, records, graph_lookup=None):
    """The Azure checks of the tenants of one subscription, with bulk reads: the subscription, the Recovery Services
    provider, every resource group and every vault of the subscription (four GETs plus paging, whatever the number of
    tenants). Returns ``(problems, warnings)`` as ``{host: [str]}``."""
    _az_access, az_common, az_vault = _azure()
    problems, warnings = {}, {}

    def add(target, host, text):
        target.setdefault(host, []).append('Azure: ' + text)

    sub = subscription_id
    try:
        try:
            wire = session.raw_get(session.resources, '/subscriptions/%s' % sub, SUBSCRIPTION_API_VERSION,
                                   'reading subscription %s' % sub)
        except az_common.AzureApiError as exc:
            if exc.status == 404:
                for r in records:
                    add(problems, r['host'], 'tenant_subscription_id %s: subscription not found (or not visible to the '
                        'signed-in identity): %s' % (sub, exc.detail))
                return problems, warnings
            raise
        text = subscription_problem(wire, sub)
        if text:
            for r in records:
                add(problems, r['host'], 'tenant_subscription_id ' + text)
            return problems, warnings
        provider = session.call('reading resource provider %s' % az_vault.PROVIDER_NAMESPACE, session.resources.providers.get,
                                az_vault.PROVIDER_NAMESPACE)
        state = az_common.enum_value(getattr(provider, 'registration_state', None))
        offered = []
        for rt in getattr(provider, 'resource_types', None) or []:
            if (getattr(rt, 'resource_type', '') or '').lower() == 'vaults':
                offered = list(rt.locations or [])
        groups = session.call('listing the resource groups of subscription %s' % sub,
                              lambda: {str(g.name).lower() for g in session.resources.resource_groups.list()})
        vaults = {}
        if any(r['azure']['resource_group'].lower() in groups for r in records):
            listed = session.call('listing the Recovery Services vaults of subscription %s' % sub,
                                  lambda: [az_common.to_wire(v) for v in session.recovery.vaults.list_by_subscription_id()])
            vaults = {_vault_key(v): v for v in listed}
        for r in records:
            a = r['azure']
            if r['state'] == 'present':
                found, notes = provider_findings(state, offered, a['location'])
                for x in found:
                    add(problems, r['host'], x)
                for x in notes:
                    add(warnings, r['host'], x)
            vault = vaults.get((a['resource_group'].lower(), a['vault_name'].lower()))
            found, notes = vault_findings(vault, r)
            for x in found:
                add(problems, r['host'], x)
            for x in notes:
                add(warnings, r['host'], x)
            if r['state'] == 'absent' and a['delete_vault'] and vault is None:
                add(warnings, r['host'], "vault '%s' does not exist (nothing to delete)" % a['vault_name'])
        if graph_lookup is not None:
            ids = sorted({str(p.get('object_id')).lower() for r in records for p in r['azure']['access_principals']})
            if ids:
                try:
                    directory = graph_lookup(session, ids)
                except az_common.AzureApiError as exc:
                    directory = {}
                    for r in records:
                        add(warnings, r['host'], 'Microsoft Graph not reachable, principals checked for format only: %s' % exc)
                for r in records:
                    for x in principal_findings(r['azure']['access_principals'], directory):
                        add(problems, r['host'], x)
    except az_common.AzureApiError as exc:
        for r in records:
            add(problems, r['host'], 'subscription %s could not be checked: %s' % (sub, exc))
    return problems, warnings


def azure_problems(session_factory, records, environ=None, graph_lookup=None, workers=8):
    """Read-only Azure checks of ``records`` (already statically valid), one subscription at a time on ``workers``
    threads. ``session_factory(params) -> azure_common.AzureSession``; one session (cloud metadata, credential) per
    set of connection options, its clients per subscription. Returns ``(problems, warnings)`` as ``{host: [str]}``."""
    _az_access, az_common, _az_vault = _azure()
    graph_lookup = GRAPH_LOOKUP if graph_lookup is None else graph_lookup
    problems, warnings = {}, {}
    by_connection = {}
    for r in records:
        params = azure_params(r, environ)
        conn_key = repr(sorted((k, str(v)) for k, v in params.items() if k != 'subscription_id'))
        subs = by_connection.setdefault(conn_key, (params, {}))[1]
        subs.setdefault(str(params['subscription_id']).lower(), (params['subscription_id'], []))[1].append(r)
    bases, views, jobs = [], [], []
    try:
        for _key, (params, subs) in sorted(by_connection.items()):
            try:
                base = session_factory(params)
            except az_common.AzureApiError as exc:
                for _sub, (sub, rs) in subs.items():
                    for r in rs:
                        problems.setdefault(r['host'], []).append('Azure: subscription %s could not be checked: %s' % (sub, exc))
                continue
            bases.append(base)
            for _sub, (sub, rs) in sorted(subs.items()):
                view = copy.copy(base)  # same cloud and credential, clients of its own subscription
                view.subscription_id = sub
                view.params = dict(base.params, subscription_id=sub)
                view._clients = {}  # pylint: disable=protected-access
                views.append(view)
                jobs.append((view, sub, rs))
        with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
            for p, w in pool.map(lambda job: subscription_findings(job[0], job[1], job[2], graph_lookup), jobs):
                _merge(problems, p)
                _merge(warnings, w)
    finally:
        for view in views:
            for client in view._clients.values():  # pylint: disable=protected-access
                try:
                    client.close()
                except Exception:  # pylint: disable=broad-except
                    pass
        for base in bases:
            base.close()
    return problems, warnings


# ------------------------------------------------------------------------------------------------------------------
# The whole preflight
# ------------------------------------------------------------------------------------------------------------------
def _merge(into, more):
    for host, items in more.items():
        into.setdefault(host, []).extend(items)


def run_preflight(records, run_hosts, vcenter_connect=None, azure_session=None, plan=False, environ=None, graph_lookup=None,
                  vcenter_reads=None):
    """Check every tenant of the run. ``records``: every tenant of the inventory (the run's and the others).

    ``vcenter_connect``/``azure_session``: factories for the online checks (None = static checks only).
    ``vcenter_reads``: a :class:`VCenterReads` started earlier with this run's tenants (the caller closes it).
    Returns ``{'problems': {host: [...]}, 'warnings': {...}, 'valid': [hosts], 'invalid': [{host, tenant, problems}],
    'plan': [per vCenter] or None, 'reads': {...}, 'report': [lines], 'snapshots': {vcenter key: Snapshot read}}``.
    """
    run = list(run_hosts)
    by_host = {r['host']: r for r in records}
    run_records = [by_host[h] for h in run if h in by_host]
    problems, warnings, static = {}, {}, {}
    for r in run_records:
        static[r['host']] = static_problems(r, environ)
        if static[r['host']]:
            problems[r['host']] = list(static[r['host']])
    _merge(problems, cross_tenant_problems(records, run))
    reads = {'vcenters': 0, 'subscriptions': 0}
    snaps = {}
    groups = vcenter_groups(records, run)
    if vcenter_connect is not None:
        for key, group in sorted(groups.items()):
            try:
                p, w, snap = check_vcenter(vcenter_connect, group, plan=plan, reads=vcenter_reads, key=key)
                snaps[key] = snap
                reads['vcenters'] += 1
            except Exception as exc:  # pylint: disable=broad-except  # any failure to read is a problem of its tenants
                p, w = {r['host']: ['vCenter %s: cannot be read: %s' % (group['label'], exc)] for r in group['run']}, {}
            _merge(problems, p)
            _merge(warnings, w)
    if azure_session is not None:
        azure_records = [r for r in run_records if r['azure_enabled'] is True and not static_azure_broken(r, static)]
        reads['subscriptions'] = len({str(r['azure']['subscription_id']).lower() for r in azure_records})
        p, w = azure_problems(azure_session, azure_records, environ, graph_lookup)
        _merge(problems, p)
        _merge(warnings, w)
    valid = [h for h in run if h in by_host and h not in problems]
    invalid = [{'host': h, 'tenant': by_host[h]['name'] if h in by_host else h, 'problems': problems.get(h, ['not a tenant host'])}
               for h in run if h not in valid]
    plans = None
    if plan:
        plans = [vcenter_plan(snaps[key], group, valid) for key, group in sorted(groups.items()) if key in snaps]
    return {'problems': problems, 'warnings': warnings, 'valid': valid, 'invalid': invalid, 'plan': plans, 'reads': reads,
            'report': report_lines(run, by_host, problems, warnings, plans), 'snapshots': snaps}


def static_azure_broken(record, static):
    """True when the tenant's Azure inputs are already wrong statically (no point asking Azure with them)."""
    return any(p.startswith('Azure: ') for p in static.get(record['host'], []))


def report_lines(run, by_host, problems, warnings, plans=None):
    """The combined report: one block per tenant with a problem, warnings, then the plan."""
    bad = [h for h in run if h in problems]
    lines = ['Preflight of %d tenant(s): %d valid, %d with problems' % (len(run), len(run) - len(bad), len(bad))]
    for h in bad:
        name = by_host[h]['name'] if h in by_host else h
        lines.append('tenant %s (host %s): %d problem(s)' % (name, h, len(problems[h])))
        lines.extend('  - %s' % p for p in problems[h])
    for h in run:
        for w in warnings.get(h, []):
            lines.append('warning: tenant %s: %s' % (by_host[h]['name'] if h in by_host else h, w))
    for p in plans or []:
        lines.append('plan for vCenter %s: %d permission(s) to add, %d to update, %d to remove'
                     % (p['vcenter'], p['totals']['add'], p['totals']['update'], p['totals']['remove']))
        for role in p['roles']:
            lines.append('  DR role %s: %s%s' % (role['name'], role['action'] if role['action'] != 'none' else 'unchanged',
                                                 ' (+%d privileges)' % len(role['added']) if role['added'] else ''))
        for tenant, s in sorted(p['summary'].items()):
            lines.append('  tenant %s: +%d ~%d -%d' % (tenant, s['add'], s['update'], s['remove']))
    return lines


# ------------------------------------------------------------------------------------------------------------------
# The later steps' checks, plugged in (their own validators, called as their modules call them).
# ------------------------------------------------------------------------------------------------------------------
def graph_directory_lookup(session, object_ids):
    """:data:`GRAPH_LOOKUP` through the CSP step's Microsoft Graph client (``directoryObjects/getByIds``, one call).

    An unknown Graph endpoint (a custom cloud without ``graph_url``) answers nothing, so principals are checked for
    format and type only, as ``asr_tenant_access`` does with ``verify_principals: auto``."""
    # pylint: disable=import-outside-toplevel
    from ansible_collections.tenantdr.asr.plugins.module_utils.azure_access import graph_endpoint_for
    from ansible_collections.tenantdr.asr.plugins.module_utils.azure_graph import GraphClient
    endpoint = graph_endpoint_for(session.cloud.name, session.params.get('graph_url'))
    if endpoint is None:
        return {}
    client = GraphClient(endpoint[0], session.credential, endpoint[1])
    try:
        found = client.object_types(list(object_ids))
    finally:
        client.close()
    return {oid: found.get(oid) for oid in object_ids}


def site_recovery_step(record):
    """Site Recovery inputs (issue 10): the tenant's replication policy settings within Azure's ranges."""
    policy = (record.get('vars') or {}).get('tenant_replication_policy')
    if record['state'] != 'present' or not policy:
        return []
    # pylint: disable=import-outside-toplevel  # here: the Azure SDKs load only when a tenant has a policy
    from ansible_collections.tenantdr.asr.plugins.module_utils.azure_site_recovery import validate_policy_settings
    if not isinstance(policy, dict):
        return ['Site Recovery: tenant_replication_policy must be a dictionary of policy settings, got %r' % (policy,)]
    return ['Site Recovery: tenant_replication_policy: ' + p for p in validate_policy_settings(policy)]


def csp_step(record):
    """CSP inputs (issue 11): domain, MCA acceptance, subscription name, GDAP roles and duration, user names."""
    csp = (record.get('vars') or {}).get('tenant_csp')
    if record['state'] != 'present' or not csp:
        return []
    # pylint: disable=import-outside-toplevel  # here: the Azure SDKs load only when a tenant has CSP settings
    from ansible_collections.tenantdr.asr.plugins.module_utils import azure_graph as graph
    from ansible_collections.tenantdr.asr.plugins.module_utils import azure_partner_center as pc
    if not isinstance(csp, dict):
        return ['CSP: tenant_csp must be a dictionary (domain, company_name, address, ...), got %r' % (csp,)]
    problems = pc.validate_customer_domain(csp.get('domain'))
    if csp.get('mca_acceptance') is not None:
        problems += pc.validate_mca_acceptance(csp['mca_acceptance'])
    problems += pc.validate_subscription_display_name(csp.get('subscription_display_name') or '%s DR' % record['name'])
    gdap = csp.get('gdap') or {}
    if gdap.get('roles') is not None:
        problems += graph.validate_gdap_roles(gdap['roles'])
    if gdap.get('duration') is not None:
        problems += graph.validate_gdap_duration(gdap['duration'])
    if csp.get('users'):
        problems += pc.validate_user_principal_names(csp['users'], csp.get('domain'))
    return ['CSP: tenant_csp: ' + p for p in problems]


STEP_VALIDATORS.extend([site_recovery_step, csp_step])
GRAPH_LOOKUP = graph_directory_lookup
