#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: tenantdr.asr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
module: asr_site_recovery_info
short_description: Where a DR tenant's vault stands in Site Recovery - stack, servers, vCenters, policies, protected items
version_added: 0.2.0
description:
  - Reads the Site Recovery infrastructure of one Recovery Services vault and returns it as plain data - which VMware
    stack the vault uses (classic configuration server, fabric type C(VMware), or modernized replication appliance,
    C(InMageRcm); C(replicationVaultSettings)), the registered configuration servers / appliances with their process
    servers and run-as accounts, the vCenters with their discovery status and last heartbeat, the protection containers,
    replication policies and container mappings, the protected items and the replication usages.
  - An empty vault (nothing registered yet) is a normal answer, with RV(site_recovery.stack) null and RV(next_step)
    saying what comes next. A vault that does not exist gives RV(exists=false).
  - Changes nothing; usable in check mode and by the audit playbook.
author:
  - tenantdr.asr maintainers (@tenantdr)
extends_documentation_fragment:
  - tenantdr.asr.azure
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.actiongroups
attributes:
  check_mode:
    support: full
    details: Reads only; the same result in check mode.
  diff_mode:
    support: none
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
    description: Name of the Recovery Services vault.
    type: str
    required: true
notes:
  - Uses azure-mgmt-recoveryservicessiterecovery 2.0.0 (api-version 2025-08-01). Needs Reader on the vault.
seealso:
  - module: tenantdr.asr.asr_site_recovery
  - module: tenantdr.asr.asr_discovery_check
"""

EXAMPLES = r"""
- name: Where does acme's vault stand?
  tenantdr.asr.asr_site_recovery_info:
    resource_group: rg-acme-dr
    vault: rsv-acme-dr
  register: acme_sr

- name: Show the vCenters and their discovery status
  ansible.builtin.debug:
    msg: "{{ acme_sr.site_recovery.fabrics | map(attribute='vcenters') | flatten | map(attribute='discovery_status') }}"
"""

RETURN = r"""
exists:
  description: Whether the vault exists.
  returned: always
  type: bool
next_step:
  description: What comes next for this vault (register the configuration server, nothing), in words.
  returned: always
  type: str
site_recovery:
  description: The vault's Site Recovery infrastructure (empty lists for an empty vault).
  returned: when the vault exists
  type: dict
  contains:
    stack:
      description: V(classic), V(modernized), V(mixed) or null (nothing registered).
      type: str
    vmware_to_azure_provider_type:
      description: C(replicationVaultSettings/default) C(vmwareToAzureProviderType), when set.
      type: str
    fabrics:
      description:
        - Registered configuration servers / appliances (and other fabrics) with C(name), C(instance_type), C(stack),
          C(host_name), C(ip_address), C(last_heartbeat), C(process_servers), C(run_as_accounts), C(vcenters)
          (C(name), C(address), C(port), C(discovery_status), C(last_heartbeat), C(run_as_account_id),
          C(process_server_id), C(health_errors)) and C(containers).
      type: list
      elements: dict
    policies:
      description: Replication policies with their settings in the module's option names.
      type: list
      elements: dict
    mappings:
      description: Protection container mappings (C(name), C(policy), C(container_id), C(state)).
      type: list
      elements: dict
    protected_items:
      description: Protected (replicating) items (C(name), C(friendly_name), C(protection_state), C(policy)).
      type: list
      elements: dict
    usages:
      description: Replication usages (C(registered_servers), C(protected_items), C(recovery_plans)).
      type: dict
"""

from ansible_collections.tenantdr.asr.plugins.module_utils.azure_module import AzureModuleBase
from ansible_collections.tenantdr.asr.plugins.module_utils.azure_site_recovery import (
    SiteRecoveryReader, next_step_of, require_site_recovery, vault_view,
)


class SiteRecoveryInfoModule(AzureModuleBase):
    """asr_site_recovery_info on the shared Azure module base (options, checks, session, error mapping)."""

    def module_options(self) -> dict:
        return {"resource_group": {"type": "str", "required": True}, "vault": {"type": "str", "required": True}}

    def validate(self) -> list:
        require_site_recovery(self.module)
        return []

    def run(self) -> dict:
        reader = SiteRecoveryReader(self.session, self.params["resource_group"], self.params["vault"])
        if reader.vault_state() is None:
            return {"changed": False, "exists": False, "next_step": f"create vault {self.params['vault']} (tenantdr.asr.asr_vault)"}
        view = vault_view(reader.read())
        return {"changed": False, "exists": True, "site_recovery": view, "next_step": next_step_of(view)}


def main():
    SiteRecoveryInfoModule().execute()


if __name__ == "__main__":
    main()
