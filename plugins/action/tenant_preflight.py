# -*- coding: utf-8 -*-
# Copyright: tenantdr.asr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of tenantdr.asr.tenant_preflight: runs on the controller, once for every tenant host of the run.

It reads every tenant host's variables from ``hostvars`` (the run's hosts and, for cross-tenant checks, the other
hosts of the tenants group), then does the checks of ``module_utils/preflight.py`` in this process: one vCenter
session per vCenter, one Azure session per subscription. Nothing is written; check mode changes nothing.
"""
from __future__ import annotations

import hashlib
import os
import time

from ansible import constants as C
from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.plugins.action import ActionBase

from ansible_collections.tenantdr.asr.plugins.module_utils import preflight
from ansible_collections.tenantdr.asr.plugins.module_utils.memory import collector_eased
from ansible_collections.tenantdr.asr.plugins.module_utils.vcenter import HAS_PYVMOMI, VCenterConnection, save_inventory
from ansible_collections.tenantdr.asr.plugins.plugin_utils.host_variables import (
    InventoryVariables, context_records, credentials_map, save_context_records)

ARGUMENT_SPEC = dict(
    hosts=dict(type='list', elements='str'),
    tenants_group=dict(type='str', default='tenants'),
    state=dict(type='str', choices=['present', 'absent']),
    plan=dict(type='bool', default=False),
    fail_on_problems=dict(type='bool', default=True),
    vcenter=dict(type='bool', default=True),
    azure=dict(type='bool', default=True),
)


def _vcenter_connect(connection):
    return VCenterConnection(dict(connection))


class ActionModule(ActionBase):
    """Preflight of every tenant of the run, in one task."""

    TRANSFERS_FILES = False
    _supports_check_mode = True
    _supports_async = False

    def run(self, tmp=None, task_vars=None):
        with collector_eased():  # a thousand tenants' records and checks (module_utils/memory.py)
            return self._run(tmp, task_vars)

    def _run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        task_vars = task_vars or {}
        validation = ArgumentSpecValidator(ARGUMENT_SPEC).validate(self._task.args)
        if validation.error_messages:
            raise AnsibleActionFail('tenant_preflight: ' + '; '.join(validation.error_messages))
        args = validation.validated_parameters
        hostvars = InventoryVariables(self, task_vars) if task_vars.get('hostvars') is not None else {}
        groups = task_vars.get('groups') or {}
        run_hosts = list(args['hosts'] if args['hosts'] is not None else task_vars.get('ansible_play_hosts_all') or [])
        others = [h for h in groups.get(args['tenants_group'], []) if h not in run_hosts]
        started = time.monotonic()
        if isinstance(hostvars, InventoryVariables):
            hostvars.read(run_hosts)
        records = preflight.tenant_records_from_hostvars(hostvars, run_hosts, environ=os.environ)
        if args['state']:
            for record in records:
                record['state'] = args['state']  # the playbook decides (onboard: present, offboard: absent)

        vcenter_connect = None
        if args['vcenter']:
            if not HAS_PYVMOMI:
                raise AnsibleActionFail('tenant_preflight needs pyvmomi on the controller for the vCenter checks '
                                        '(or vcenter: false)')
            vcenter_connect = _vcenter_connect
        azure_session = None
        if args['azure'] and any(r['azure_enabled'] is True for r in records):
            # pylint: disable=import-outside-toplevel  # the Azure SDKs load only when a tenant of the run has Azure on
            from ansible_collections.tenantdr.asr.plugins.module_utils.azure_common import AZURE_IMPORT_ERROR, AzureSession
            if AZURE_IMPORT_ERROR is not None:
                raise AnsibleActionFail('tenant_preflight needs azure-identity, azure-mgmt-resource, azure-mgmt-recoveryservices '
                                        'and azure-mgmt-authorization on the controller for the Azure checks (or azure: false)')
            azure_session = AzureSession
        # the run's vCenters are read (each in a child process) while the other tenant hosts' variables are read here
        early_reads = None
        if vcenter_connect is not None:
            early_reads = preflight.VCenterReads(vcenter_connect, preflight.vcenter_groups(records, run_hosts), plan=args['plan'],
                                                 workdir=C.DEFAULT_LOCAL_TMP)
        try:
            if isinstance(hostvars, InventoryVariables):
                hostvars.read(others)
            records += preflight.tenant_records_from_hostvars(hostvars, others, environ=os.environ)
            context = None
            if args['vcenter'] and others and hostvars:
                context = context_records(hostvars, others, credentials_map(task_vars.get('tenantdr_vcenter_credentials')))
            outcome = preflight.run_preflight(records, run_hosts, vcenter_connect=vcenter_connect, azure_session=azure_session,
                                              plan=args['plan'], environ=os.environ, vcenter_reads=early_reads)
        finally:
            if early_reads is not None:
                early_reads.close()
        inventory_snapshots = self._save_inventories(outcome.pop('snapshots', None) or {})
        handed_context = self._save_context(context) if context is not None else None
        seconds = round(time.monotonic() - started, 3)
        reads = outcome['reads']
        outcome['report'].append('preflight read %d vCenter(s) (one login and one inventory pass each) and %d Azure '
                                 'subscription(s) in %.1f s; nothing was written'
                                 % (reads['vcenters'], reads['subscriptions'], seconds))
        result.update(
            changed=False,
            report=outcome['report'],
            problems=outcome['problems'],
            warnings_by_host=outcome['warnings'],
            valid=outcome['valid'],
            invalid=outcome['invalid'],
            plan=outcome['plan'],
            reads=outcome['reads'],
            seconds=seconds,
            inventory_snapshots=inventory_snapshots,
            context_records=handed_context,
        )
        if outcome['invalid'] and args['fail_on_problems']:
            result['failed'] = True
            result['msg'] = '\n'.join(outcome['report'])
        else:
            result['msg'] = outcome['report'][0]
        return result

    @staticmethod
    def _save_inventories(snapshots):
        """Save each vCenter's inventory read for the converge of this run (tenantdr.asr.inventory_tenants hands the file
        to tenantdr.asr.vcenter_tenants, which then skips its own inventory pass): {vcenter key: file}. The files go to
        this ansible-playbook run's local temporary directory, 0600, which Ansible removes when the run ends."""
        saved = {}
        for key, snap in sorted(snapshots.items()):
            path = os.path.join(C.DEFAULT_LOCAL_TMP, 'tenantdr-inventory-%s.bin' % hashlib.sha256(key.encode()).hexdigest()[:16])
            try:
                saved[key] = save_inventory(snap, path)
            except (OSError, ValueError):
                continue  # the converge reads the inventory itself
        return saved

    @staticmethod
    def _save_context(records):
        """Save the tenant records of the hosts outside the run (the converge's context; no vCenter connection in them)
        for tenantdr.asr.inventory_tenants, which then reads only the run's hosts' variables: the file, or None."""
        path = os.path.join(C.DEFAULT_LOCAL_TMP, 'tenantdr-context-%d.json' % os.getpid())
        try:
            return save_context_records(records, path)
        except OSError:
            return None  # the converge reads the variables itself
