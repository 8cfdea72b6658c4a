#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: tenantdr.asr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
module: asr_site_recovery
short_description: Site Recovery infrastructure of a DR tenant's vault - vCenter, replication policy, container mappings, offboarding
version_added: 0.2.0
description:
  - Seed guide step 4 by API. With O(state=present) - registers the tenant's vCenter to the configuration server's
    fabric (step 4.1, C(replicationvCenters), with the process server and run-as account chosen as Az PowerShell's
    C(New-AzRecoveryServicesAsrvCenter) does), then "Prepare infrastructure" (step 4.2) - a replication policy for the
    tenant (C(InMageAzureV2) on a classic vault, C(InMageRcm) on a modernized one) associated with every protection
    container of the tenant's fabric.
  - Idempotent - a re-run changes nothing; a vCenter whose address, port, run-as account or process server differ is
    updated in place (PATCH), as are policy settings that differ.
  - Two-phase onboarding - until the tenant's configuration server (or replication appliance) has registered with the
    vault, or while the vCenter access account has not reached the vault yet, the module changes nothing, does not fail,
    and returns RV(pending) with the exact manual step (which key file, which account). A later run picks up from there.
  - On a modernized vault the vCenter is added on the appliance itself (no Azure API) - the module says so in RV(notes)
    and still manages the policy and the mappings.
  - With O(state=absent) - the Site Recovery half of offboarding in the order of Microsoft's "Delete a Site Recovery
    vault" article - disable replication of the protected items of the tenant's fabric (only with
    O(confirm_disable_replication=true), because it deletes the replicas; without it the module fails and lists them,
    changing nothing), remove the container mappings of the tenant's policy, delete the policy, remove the vCenter,
    and with O(remove_configuration_server=true) unregister the fabric. Every step is skipped when already done, so an
    interrupted run converges on a re-run.
  - Refused before any write, naming the problem - a subscription that is not C(Enabled), a vault that is C(Failed) or
    C(Deleting), a policy setting outside Azure's range, a vCenter address on update that does not name the vCenter
    the fabric knows.
author:
  - tenantdr.asr maintainers (@tenantdr)
extends_documentation_fragment:
  - tenantdr.asr.azure
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.actiongroups
attributes:
  check_mode:
    support: full
    details: Azure is only read; RV(changes) lists what a real run would do.
  diff_mode:
    support: full
    details: Before/after of the tenant's fabric, vCenter, policy settings, container mappings and protected items.
  platform:
    platforms: all
  action_group:
    support: full
    membership:
      - tenantdr.asr.azure
options:
  resource_group:
    description: Resource group of the vault.
    type: str
    required: true
  vault:
    description: Name of the tenant's Recovery Services vault.
    type: str
    required: true
  tenant_name:
    description:
      - The DR tenant's name, used in messages and the next-step text. (Not O(tenant), which is the Entra directory
        of the Azure sign-in.)
    type: str
    required: true
  fabric:
    description:
      - Name (or friendly name) of the tenant's configuration server / appliance fabric. Default - the only C(VMware) or
        C(InMageRcm) fabric of the vault (a vault with several fails and lists them).
    type: str
  credentials_path:
    description:
      - Path of the tenant's vault registration key on the controller. Only used in the next-step text while the
        configuration server is not registered.
    type: path
  vcenter:
    description:
      - The vCenter to register in the configuration server's fabric. Omit to leave vCenters alone.
    type: dict
    suboptions:
      name:
        description: Friendly name of the vCenter in the vault (also its resource name, as Az PowerShell does).
        type: str
        required: true
      address:
        description: Host name or IP address of the vCenter.
        type: str
        required: true
      port:
        description: HTTPS port of the vCenter.
        type: int
        default: 443
      run_as_account:
        description:
          - The vCenter access account as named in the configuration server's run-as accounts (added with
            C(cspsconfigtool.exe), seed step 3.4). Shared hosting - the tenant's own access account.
        type: str
        required: true
      process_server:
        description:
          - Process server (friendly name, IP address or id) that discovers the vCenter. Default - the configuration
            server's own process server.
        type: str
  policy:
    description:
      - The tenant's replication policy. Required with O(state=present). With O(state=absent), its name selects the
        mappings and the policy to remove.
      - Settings left out get Azure's portal defaults (classic - RPO threshold 60 min, retention 24 h, app-consistent
        every 120 min, crash-consistent every 5 min; modernized - retention 24 h, app-consistent every 240 min,
        crash-consistent every 5 min).
    type: dict
    suboptions:
      name:
        description: Policy name (1-63 letters, digits, C(-), C(_), C(.)).
        type: str
        required: true
      rpo_threshold_minutes:
        description: RPO alert threshold in minutes, 1-1440. Classic vaults only.
        type: int
      recovery_point_retention_hours:
        description: How long recovery points are kept, 0-360 hours (15 days).
        type: int
      app_consistent_frequency_minutes:
        description: App-consistent snapshot frequency in minutes, 0-720 (12 hours; 0 turns them off); not more than the retention.
        type: int
      crash_consistent_frequency_minutes:
        description: Crash-consistent snapshot frequency in minutes, 1-60.
        type: int
  confirm_disable_replication:
    description:
      - With O(state=absent), allow disabling replication of the tenant's protected items. This deletes their replicas
        and recovery points in Azure. Without it, protected items stop the run (listed in RV(protected_items)).
    type: bool
    default: false
  remove_configuration_server:
    description: With O(state=absent), also unregister the configuration server / appliance fabric (last step), so that the vault can be deleted.
    type: bool
    default: false
  state:
    description: V(present) registers and prepares; V(absent) offboards.
    type: str
    choices: [present, absent]
    default: present
notes:
  - Uses azure-mgmt-recoveryservicessiterecovery 2.0.0 (api-version 2025-08-01). Every write is a Site Recovery job
    (202 with C(Azure-AsyncOperation)); the module waits for it, and a failed job fails the module with Azure's error.
  - Needs Contributor (or Site Recovery Contributor) on the vault.
seealso:
  - module: tenantdr.asr.asr_site_recovery_info
  - module: tenantdr.asr.asr_discovery_check
  - module: tenantdr.asr.asr_vault
"""

EXAMPLES = r"""
- name: Register acme's vCenter and prepare the infrastructure (seed step 4)
  tenantdr.asr.asr_site_recovery:
    resource_group: rg-acme-dr
    vault: rsv-acme-dr
    tenant_name: acme
    credentials_path: ~/.tenantdr/credentials/acme/rsv-acme-dr.VaultCredentials
    vcenter:
      name: vcenter01
      address: vcenter01.provider.example
      run_as_account: acme-dr
    policy:
      name: acme-replication
      recovery_point_retention_hours: 72
  register: acme_sr

- name: Tell the operator what to do by hand when the configuration server is not registered yet
  ansible.builtin.debug:
    msg: "{{ acme_sr.pending.message }}"
  when: acme_sr.pending is not none

- name: Offboard acme's Site Recovery infrastructure, disabling replication of its VMs
  tenantdr.asr.asr_site_recovery:
    resource_group: rg-acme-dr
    vault: rsv-acme-dr
    tenant_name: acme
    vcenter: {name: vcenter01, address: vcenter01.provider.example, run_as_account: acme-dr}
    policy: {name: acme-replication}
    confirm_disable_replication: true
    remove_configuration_server: true
    state: absent
"""

RETURN = r"""
changes:
  description: What was (in check mode, would be) changed, in order. Empty when nothing changed.
  returned: always
  type: list
  elements: str
  sample:
    - add vCenter vcenter01 (vcenter01.provider.example:443, account acme-dr, process server cs-acme) to fabric cs-acme
    - create InMageAzureV2 replication policy acme-replication (retention 24 h, app-consistent every 120 min)
    - associate policy acme-replication with protection container cloud_1 (acme-replication-cloud_1)
pending:
  description:
    - Set when a manual step must happen first (two-phase onboarding); null otherwise. Nothing was changed.
    - C(stage) is V(configuration_server), V(run_as_account) or V(process_server); C(message) is the exact next step.
  returned: always
  type: dict
  sample: {stage: configuration_server, message: "tenant acme: install the configuration server ..."}
notes:
  description: Things the module cannot do by API and what to do instead (modernized vaults), and deferred steps.
  returned: always
  type: list
  elements: str
stack:
  description: V(classic) (configuration server, fabric type C(VMware)), V(modernized) (replication appliance, C(InMageRcm)) or null.
  returned: always
  type: str
fabric:
  description: The tenant's fabric the module worked on, or null.
  returned: always
  type: str
protected_items:
  description: With O(state=absent), the tenant's protected items found (friendly names).
  returned: when O(state=absent)
  type: list
  elements: str
"""

from ansible_collections.tenantdr.asr.plugins.module_utils.azure_module import AzureModuleBase
from ansible_collections.tenantdr.asr.plugins.module_utils.azure_site_recovery import (
    SiteRecoveryError, SiteRecoveryReader, SiteRecoveryWriter, describe_change, diff_views, plan_offboarding, plan_site_recovery,
    preflight, require_site_recovery, validate_site_recovery_inputs, vault_view,
)


def module_options() -> dict:
    """The module's own options (the Azure connection options come from the base)."""
    return {
        "resource_group": {"type": "str", "required": True},
        "vault": {"type": "str", "required": True},
        "tenant_name": {"type": "str", "required": True},
        "fabric": {"type": "str"},
        "credentials_path": {"type": "path"},
        "vcenter": {"type": "dict", "options": {
            "name": {"type": "str", "required": True}, "address": {"type": "str", "required": True},
            "port": {"type": "int", "default": 443}, "run_as_account": {"type": "str", "required": True},
            "process_server": {"type": "str"}}},
        "policy": {"type": "dict", "options": {
            "name": {"type": "str", "required": True}, "rpo_threshold_minutes": {"type": "int"},
            "recovery_point_retention_hours": {"type": "int"}, "app_consistent_frequency_minutes": {"type": "int"},
            "crash_consistent_frequency_minutes": {"type": "int"}}},
        "confirm_disable_replication": {"type": "bool", "default": False},
        "remove_configuration_server": {"type": "bool", "default": False},
        "state": {"type": "str", "default": "present", "choices": ["present", "absent"]},
    }


class SiteRecoveryModule(AzureModuleBase):
    """asr_site_recovery on the shared Azure module base (options, checks, session, error mapping)."""

    plan_errors = (SiteRecoveryError,)

    def module_options(self) -> dict:
        return module_options()

    def validate(self) -> list:
        require_site_recovery(self.module)
        return validate_site_recovery_inputs(self.params)

    def run(self) -> dict:
        module, params = self.module, self.params
        # the planning core calls the DR tenant "tenant"; the module's own "tenant" is the sign-in's Entra directory
        desired = dict(params, tenant=params["tenant_name"])
        result = {"changed": False, "changes": [], "pending": None, "notes": [], "stack": None, "fabric": None}
        reader = SiteRecoveryReader(self.session, params["resource_group"], params["vault"])
        if preflight(reader) is None:
            if params["state"] == "absent":
                result["protected_items"] = []
            else:
                result["pending"] = {"stage": "vault", "message": f"tenant {params['tenant_name']}: vault {params['vault']} "
                                     "does not exist (yet); create it first (tenantdr.asr.asr_vault)"}
            return result
        view = vault_view(reader.read(with_protected_items=params["state"] == "absent"))
        result["stack"] = view["stack"]
        if params["state"] == "present":
            plan = plan_site_recovery(desired, view)
            changes = plan["changes"]
            result.update(pending=plan["pending"], notes=plan["notes"], fabric=plan["fabric"])
        else:
            plan = plan_offboarding(desired, view)
            changes = plan["changes"]
            result["protected_items"] = sorted(i["friendly_name"] or i["name"] for i in plan["protected_items"])
            if plan["needs_confirmation"]:
                self.fail(msg=f"tenant {params['tenant_name']}: {len(plan['protected_items'])} VM(s) are still replicated "
                              f"({', '.join(result['protected_items'])}); disabling replication deletes their replicas "
                              "and recovery points in Azure - set confirm_disable_replication=true (role: "
                              "tenantdr_confirm_disable_replication) to go on. Nothing was changed.",
                          error_code="ProtectedItemsPresent", **result)
        result["changes"] = [describe_change(c) for c in changes]
        result["changed"] = bool(changes)
        if module._diff:
            result["diff"] = diff_views(desired, view, changes)
        if changes and not module.check_mode:
            writer = SiteRecoveryWriter(self.session, params["resource_group"], params["vault"])
            self.done = writer.done
            writer.apply(changes)
        return result


def main():
    SiteRecoveryModule().execute()


if __name__ == "__main__":
    main()
