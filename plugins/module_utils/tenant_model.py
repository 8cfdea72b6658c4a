# -*- coding: utf-8 -*-
# Copyright: tenantdr.asr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The DR tenant model, in one place.

* the tenant definition's schema (``TENANT_KEYS``, ``SELECTOR_KEYS``, ``REQUIRED_KEYS``, ``TOPOLOGIES``): validated by
  ``tenant_plan.validate_tenants``, documented by the ``tenantdr.asr.tenants`` doc fragment, and the source of the
  topology roles' ``tenant_*`` variables (tests check all three against this module);
* a tenant inventory host's variables (``tenant_*``) -> a tenant record (:func:`tenant_record`), the vCenter endpoint
  and credentials, and the grouping of records by vCenter (:func:`group_by_vcenter`) - what the topology roles did in
  Jinja per host, done once for all hosts by the ``tenantdr.asr.inventory_tenants`` action.

Pure Python: no vCenter, no Ansible runtime.
"""
from __future__ import annotations

TOPOLOGIES = ('shared_hsp', 'dedicated_hsp', 'msp')
STATES = ('present', 'absent')
DEFAULT_DR_ROLE = 'Azure_Site_Recovery'

#: tenant key -> (expected type name, default).  ``None`` default = not given.
TENANT_KEYS = {
    'name': ('str', None),
    'topology': ('str', None),
    'vcenter': ('str', None),
    'access_account': ('str', None),
    'access_account_groups': ('list', []),
    'failback': ('bool', True),
    'dr_role': ('str', DEFAULT_DR_ROLE),
    'vm_selectors': ('dict', {}),
    'datacenters': ('list', []),
    'management_servers': ('list', []),
    'allow_empty_selectors': ('bool', False),
    'include_templates': ('bool', False),
    'placement': ('str', 'domain'),
}
#: ``domain``: every host of each cluster and every datastore of each datastore cluster a tenant VM or management
#: server uses (DRS, HA and Storage DRS move VMs inside those); ``exact``: only the objects in use right now.
PLACEMENTS = ('domain', 'exact')
REQUIRED_KEYS = ('name', 'topology', 'access_account')
SELECTOR_KEYS = {
    'folders': 'list',
    'resource_pools': 'list',
    'name_patterns': 'list',
    'custom_attributes': 'dict',
    'tags': 'list',
}

#: Tenant keys that come from an inventory host's ``tenant_<key>`` variable. ``name`` defaults to the host name,
#: ``topology`` is ``tenant_topology``, ``vcenter`` is derived from ``tenant_vcenter`` (a dict: hostname, port, ...).
INVENTORY_KEYS = tuple(k for k in TENANT_KEYS if k != 'vcenter')

#: Per topology (seed 000): audit the vCenter's other inventory tenants too (shared vCenter), fail on a leak, how the
#: DR role is kept, whether offboarding deletes an unused DR role. Overridden by <topology>_<setting> variables.
TOPOLOGY_SETTINGS = {
    'shared_hsp': dict(context=True, fail_on_leak=True, role_privilege_mode='replace', delete_unused_role=True),
    'dedicated_hsp': dict(context=False, fail_on_leak=False, role_privilege_mode='replace', delete_unused_role=True),
    'msp': dict(context=False, fail_on_leak=False, role_privilege_mode='add', delete_unused_role=False),
}
VCENTER_KEYS = ('hostname', 'port', 'validate_certs', 'username', 'password', 'proxy_host', 'proxy_port',
                'connection_timeout', 'retries', 'parallel_writes')


def vcenter_key(hostname, port=443):
    return '%s:%d' % (str(hostname).strip().lower(), int(port))


def selects_by(tenants, selector):
    """True when a tenant definition of ``tenants`` has a non-empty ``vm_selectors.<selector>`` (e.g.
    ``custom_attributes``, ``tags``: selectors whose data is read only when some tenant uses them). Definitions not
    validated yet are fine: a ``vm_selectors`` that is not a dictionary selects by nothing."""
    return any(isinstance((t or {}).get('vm_selectors'), dict) and t['vm_selectors'].get(selector) for t in tenants or [])


def _port(value, where, errors):
    try:
        return int(value if value is not None else 443)
    except (TypeError, ValueError):
        errors.append('%s: tenant_vcenter.port must be a number, got %r' % (where, value))
        return 443


def tenant_record(host, hv, credentials=None, state=None):
    """One tenant inventory host -> ``(record, errors)``.

    ``hv`` maps variable names to values (the host's vars). ``credentials`` maps a vCenter host name to
    ``{username, password}`` (AWX: one credential per type). ``state`` overrides ``tenant_state``.
    The record: ``{host, name, state, topology, vcenter_key, vcenter_label, connection, definition}``.
    """
    errors = []
    where = 'tenant %s' % host
    topology = hv.get('tenant_topology')
    if topology not in TOPOLOGIES:
        errors.append("%s: tenant_topology must be one of %s; got '%s'" % (where, ', '.join(TOPOLOGIES), topology or ''))
    state = state if state is not None else (hv.get('tenant_state') or 'present')
    if state not in STATES:
        errors.append("%s: tenant_state must be one of %s; got '%s'" % (where, ', '.join(STATES), state))
    vc = hv.get('tenant_vcenter')
    if not isinstance(vc, dict) or not str(vc.get('hostname') or '').strip():
        errors.append('%s: tenant_vcenter must be a dictionary with at least hostname (and optionally port, validate_certs, '
                      'username, password); got %s' % (where, 'nothing' if vc is None else _masked(vc)))
        return None, errors
    unknown = sorted(set(vc) - set(VCENTER_KEYS))
    if unknown:
        errors.append('%s: tenant_vcenter has unknown key(s) %s; valid keys: %s'
                      % (where, ', '.join(unknown), ', '.join(VCENTER_KEYS)))
    port = _port(vc.get('port'), where, errors)
    hostname = str(vc['hostname']).strip()
    creds = (credentials or {}).get(hostname) or (credentials or {}).get(hostname.lower()) or {}
    connection = {k: vc[k] for k in VCENTER_KEYS if vc.get(k) is not None}
    connection.update(hostname=hostname, port=port)
    for k in ('username', 'password'):
        if connection.get(k) is None and creds.get(k) is not None:
            connection[k] = creds[k]
    key = vcenter_key(hostname, port)
    definition = {k: hv.get('tenant_' + k) for k in INVENTORY_KEYS if hv.get('tenant_' + k) is not None}
    definition['name'] = hv.get('tenant_name') or host
    definition['vcenter'] = key
    return dict(host=host, name=definition['name'], state=state, topology=topology, vcenter_key=key,
                vcenter_label=hostname if port == 443 else '%s:%d' % (hostname, port), connection=connection,
                definition=definition), errors


def _masked(vc):
    if isinstance(vc, dict):
        return {k: ('********' if k == 'password' else v) for k, v in vc.items()}
    return repr(vc)


def topology_settings(topology, overrides=None):
    """The settings of ``topology`` with ``overrides`` ({<setting>: value}) applied."""
    out = dict(TOPOLOGY_SETTINGS[topology])
    for k, v in (overrides or {}).items():
        if k in out and v is not None:
            out[k] = v
    return out


def group_by_vcenter(records, context_records=(), settings=None):
    """Records of this run (and the other inventory tenants, ``context_records``) -> one group per vCenter and topology.

    Each group: ``{key, label, topology, connection, settings, tenants: [definition], only: [name], offboard: [name],
    hosts: [host]}``; context tenants (state present, same vCenter, not in this run) are added to a group when its
    topology's ``context`` setting is on. ``settings``: topology -> settings (see :func:`topology_settings`).
    """
    settings = settings or {}
    groups = {}
    for r in records:
        gk = (r['vcenter_key'], r['topology'])
        g = groups.get(gk)
        if g is None:
            g = groups[gk] = dict(key=r['vcenter_key'], label=r['vcenter_label'], topology=r['topology'],
                                  connection=r['connection'], settings=settings.get(r['topology']) or topology_settings(r['topology']),
                                  tenants=[], only=[], offboard=[], hosts=[], context=[])
        g['tenants'].append(r['definition'])
        g['hosts'].append(r['host'])
        (g['only'] if r['state'] == 'present' else g['offboard']).append(r['name'])
    in_run = {r['host'] for r in records}
    for g in groups.values():
        if not g['settings']['context']:
            continue
        names = {t['name'] for t in g['tenants']}
        for c in context_records:
            if c['host'] in in_run or c['vcenter_key'] != g['key'] or c['state'] != 'present' or c['name'] in names:
                continue
            g['tenants'].append(c['definition'])
            g['context'].append(c['name'])
            names.add(c['name'])
    return [groups[k] for k in sorted(groups)]
