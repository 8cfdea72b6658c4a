# -*- coding: utf-8 -*-
# Copyright: tenantdr.asr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action behind tenantdr.asr.inventory_tenants: the tenant inventory hosts' tenant_* variables -> tenant records
(validated all at once), grouped by vCenter and topology -> one tenantdr.asr.vcenter_tenants run per vCenter, in this
process (the controller's worker; the module's code through vcenter_module.VCenterTask).

Runs once for all hosts (run_once): no per-host task, no Jinja. The vCenter passwords stay inside this action."""
from __future__ import annotations

import time

from ansible.module_utils.common.text.converters import to_text
from ansible.plugins.action import ActionBase

from ansible_collections.tenantdr.asr.plugins.module_utils.memory import collector_eased
from ansible_collections.tenantdr.asr.plugins.module_utils.tenant_model import (
    STATES, TOPOLOGIES, TOPOLOGY_SETTINGS, group_by_vcenter, tenant_record, topology_settings)
from ansible_collections.tenantdr.asr.plugins.module_utils.tenant_converge import run_vcenter_tenants, vcenter_tenants_options
from ansible_collections.tenantdr.asr.plugins.module_utils.tenant_plan import TenantPlanError, validate_tenants
from ansible_collections.tenantdr.asr.plugins.module_utils.vcenter_module import VCenterTask
from ansible_collections.tenantdr.asr.plugins.plugin_utils.host_variables import (
    TENANT_VARIABLES, InventoryVariables, credentials_map, load_context_records, tenant_variables)

SETTING_NAMES = {'fail_on_leak': 'fail_on_leak', 'role_privilege_mode': 'role_privilege_mode',
                 'delete_unused_role': 'delete_unused_role'}
RESULT_KEYS = ('summary', 'roles', 'plans', 'permissions', 'offboarding', 'audit', 'report', 'blocking', 'writes',
               'changed', 'retries', 'warnings', 'inventory_read')


class ActionModule(ActionBase):
    """See the module documentation (plugins/modules/inventory_tenants.py)."""

    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(('hosts', 'mode', 'state', 'topology', 'context', 'tenants_group', 'settings', 'fail_on_leak',
                             'role_privilege_mode', 'delete_unused_roles'))

    def run(self, tmp=None, task_vars=None):
        with collector_eased():  # a thousand tenants' records and checks (module_utils/memory.py)
            return self._run(tmp, task_vars)

    def _run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        del tmp
        args = self._task.args
        hostvars = InventoryVariables(self, task_vars)
        hosts = list(args.get('hosts') or task_vars.get('ansible_play_hosts') or [])
        mode = args.get('mode', 'converge')
        if mode not in ('converge', 'audit'):
            return dict(result, failed=True, msg="mode must be converge or audit; got '%s'" % mode)
        state = args.get('state')
        if state is not None and state not in STATES:
            return dict(result, failed=True, msg="state must be one of %s; got '%s'" % (', '.join(STATES), state))
        only_topology = args.get('topology')
        if only_topology is not None and only_topology not in TOPOLOGIES:
            return dict(result, failed=True, msg="topology must be one of %s; got '%s'" % (', '.join(TOPOLOGIES), only_topology))
        creds = credentials_map(task_vars.get('tenantdr_vcenter_credentials'))
        started = time.monotonic()

        overrides = self._play_level(task_vars, hostvars)
        records, problems = [], []
        hostvars.read(hosts)
        for host in hosts:
            hv = tenant_variables(hostvars, host)
            hv.update(overrides)
            if only_topology is not None:
                if hv.get('tenant_topology', only_topology) != only_topology:
                    problems.append("tenant %s has tenant_topology '%s'; the tenantdr.asr.%s role is for %s tenants"
                                    % (host, hv.get('tenant_topology'), only_topology, only_topology))
                    continue
                hv['tenant_topology'] = only_topology
            record, errors = tenant_record(host, hv, creds, state=state)
            problems.extend(errors)
            if record is not None and not errors:
                records.append(record)
        settings = self._settings(args, task_vars)
        context = []
        if args.get('context', True) and any(settings[t]['context'] for t in TOPOLOGIES):
            group = args.get('tenants_group') or task_vars.get('tenantdr_tenants_group') or 'tenants'
            # Tenants preflight refused (tenantdr_preflight_policy=skip_invalid) are neither converged nor context:
            # their broken definition would stop the valid tenants of their vCenter.
            skipped = set(hosts) | set(task_vars.get('groups', {}).get('tenantdr_preflight_failed', []))
            # the records this run's preflight made from the same variables (its hand-over); the others are read here
            handed = preflight_context(task_vars)
            members = [h for h in task_vars.get('groups', {}).get(group, []) if h not in skipped]
            hostvars.read([h for h in members if h not in handed])
            for host in members:
                if host in handed:
                    context.append(handed[host])
                    continue
                record, errors = tenant_record(host, tenant_variables(hostvars, host), creds)
                if record is not None and not errors:
                    context.append(record)
        groups = group_by_vcenter(records, context, settings)
        # Every definition of every vCenter is validated before the first vCenter is touched.
        for g in groups:
            try:
                validate_tenants(g['tenants'])
            except TenantPlanError as exc:
                problems.extend(exc.problems)
        if problems:
            return dict(result, failed=True, changed=False,
                        msg='refused before any change; %d problem(s) in the tenant inventory:\n- %s'
                            % (len(problems), '\n- '.join(problems)), problems=problems)

        result.update(changed=False, vcenters=[], summary=[], leaks=[], audit_reports=[], audit_results=[], writes=0,
                      vcenter_of={host: g['label'] for g in groups for host in g['hosts']},
                      timings=dict(records_s=round(time.monotonic() - started, 2), vcenters_s=[]))
        for g in groups:
            t0 = time.monotonic()
            out = self._run_vcenter(g, mode, task_vars)
            result['timings']['vcenters_s'].append(round(time.monotonic() - t0, 2))
            entry = dict(vcenter=g['label'], topology=g['topology'], hosts=g['hosts'], only=g['only'], offboard=g['offboard'],
                         context=g['context'])
            entry.update({k: out[k] for k in RESULT_KEYS if k in out})
            if not out.get('failed'):
                result['vcenters'].append(entry)
            result['summary'].extend(out.get('summary') or [])
            result['writes'] += out.get('writes') or 0
            result['changed'] = result['changed'] or bool(out.get('changed'))
            if out.get('warnings'):
                result.setdefault('warnings', []).extend(out['warnings'])
            if mode == 'audit' and out.get('report'):
                result['audit_reports'].append(out['report'])
                result['leaks'].extend(out['report']['leaks'])
                leftovers = [{'class': 'offboarded_account_permission', 'tenant': name, 'path': p,
                              'detail': '%s (offboarded) still holds a permission on %s' % (name, p)}
                             for name, paths in out['report']['leftovers'].items() for p in paths]
                result['leaks'].extend(leftovers)
                # the whole audit of the vCenter, for the JSON/HTML report (tasks/report.yml)
                result['audit_results'].append(dict(vcenter=g['label'], report=out.get('audit') or {},
                                                    extra_findings=leftovers))
            if out.get('failed'):
                # the failed vCenter's own data (problems, leaks, retries) without the long tenant lists
                failed = dict(vcenter=g['label'], topology=g['topology'])
                failed.update({k: out[k] for k in ('conflicts', 'blocking', 'retries', 'summary') if out.get(k)})
                for entry in result['vcenters']:
                    for k in ('hosts', 'only', 'context', 'plans', 'audit', 'permissions', 'offboarding'):
                        entry.pop(k, None)
                result['vcenters'].append(failed)
                result.update(failed=True, msg='vCenter %s (%s): %s' % (g['label'], g['topology'], to_text(out.get('msg'))))
                if out.get('conflicts'):
                    result['conflicts'] = out['conflicts']
                return result
        return result

    def _play_level(self, task_vars, hostvars):
        """tenant_* variables set above the inventory (play vars, role or include parameters, e.g. the molecule
        cleanup's ``vars: {tenant_state: absent}``): hostvars only hold inventory and extra vars, so a value this host
        sees that its hostvars do not hold applies to every host of the play."""
        me = task_vars.get('inventory_hostname')
        if me is None or me not in hostvars:
            return {}
        mine = tenant_variables(hostvars, me)
        out = {}
        for name in TENANT_VARIABLES:
            if name in task_vars:
                value = self._templar.template(task_vars[name])
                if name not in mine or mine[name] != value:
                    out[name] = value
        return out

    def _settings(self, args, task_vars):
        """Topology settings: TOPOLOGY_SETTINGS, then <topology>_<setting> variables, then the task's arguments."""
        out = {}
        for topology in TOPOLOGIES:
            overrides = {}
            for setting, var in SETTING_NAMES.items():
                name = '%s_%s' % (topology, var)
                if name in task_vars:
                    overrides[setting] = task_vars[name]
            per = (args.get('settings') or {}).get(topology) or {}
            overrides.update(per)
            for setting in ('fail_on_leak', 'role_privilege_mode'):
                if args.get(setting) is not None:
                    overrides[setting] = args[setting]
            if args.get('delete_unused_roles') is not None:
                overrides['delete_unused_role'] = args['delete_unused_roles']
            if 'fail_on_leak' in overrides:
                overrides['fail_on_leak'] = _bool(overrides['fail_on_leak'])
            if 'delete_unused_role' in overrides:
                overrides['delete_unused_role'] = _bool(overrides['delete_unused_role'])
            out[topology] = topology_settings(topology, overrides)
        return out

    def _run_vcenter(self, group, mode, task_vars):
        s = group['settings']
        module_args = dict(group['connection'], tenants=group['tenants'], only=group['only'], offboard=group['offboard'],
                           mode=mode, role_privilege_mode=s['role_privilege_mode'],
                           delete_unused_roles=bool(s['delete_unused_role']), fail_on_leak=bool(s['fail_on_leak']))
        # A thousand tenants' whole plans and audits are several MB of task result (and of AWX job events); the
        # pipeline keeps what is wrong whole and groups what changes (vcenter_tenants, result_detail).
        # The audit (mode audit) stays whole: its report lists what every tenant sees.
        compact = mode == 'converge' and str(task_vars.get('tenantdr_vcenter_result_detail', '')) != 'full'
        module_args['result_detail'] = 'compact' if compact else 'full'
        saved = preflight_inventories(task_vars).get(group['key'])
        if saved:
            module_args['inventory_snapshot'] = saved
        # The module's own code, in this process (vcenter_module.VCenterTask): same options, same validation and
        # fallbacks, same result, without building and starting a module and parsing its output again.
        job = VCenterTask(vcenter_tenants_options(), module_args, check_mode=bool(self._play_context.check_mode),
                          bulk=('tenants',))
        return job.run(run_vcenter_tenants)


def preflight_inventories(task_vars):
    """{vcenter key: file} of the inventories this run's preflight (tenantdr.asr.tenant_preflight, registered as
    ``tenantdr_preflight`` by playbooks/preflight.yml) saved; {} without a preflight."""
    try:
        saved = task_vars.get('tenantdr_preflight', {}).get('inventory_snapshots') or {}
        return {str(k): str(v) for k, v in saved.items()}
    except (AttributeError, TypeError):
        return {}


def preflight_context(task_vars):
    """{host: tenant record} of the tenants outside the run that this run's preflight read (tenant_preflight's
    ``context_records`` file); {} without a preflight."""
    try:
        path = task_vars.get('tenantdr_preflight', {}).get('context_records')
    except AttributeError:
        return {}
    return load_context_records(str(path)) if path else {}


def _bool(value):
    from ansible.module_utils.parsing.convert_bool import boolean  # pylint: disable=import-outside-toplevel
    return boolean(value, strict=False)


__all__ = ['ActionModule', 'TOPOLOGY_SETTINGS']
