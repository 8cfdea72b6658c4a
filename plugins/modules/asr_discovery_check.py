#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: tenantdr.asr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
module: asr_discovery_check
short_description: Prove from Azure's side that a DR tenant's vault discovers only the tenant's VMs
version_added: 0.2.0
description:
  - Seed guide step 4.3 ("verify that only the tenant's VMs are displayed on the Select virtual machines blade") as a
    check. Compares the VMs the vault discovered with the tenant's VM list from M(tenantdr.asr.tenant_mapping).
  - Classic vaults - the protectable items of every protection container of the configuration server's fabric (with
    the vCenter each was discovered on). Modernized vaults - the machines of the appliance's VMware site under
    C(Microsoft.OffAzure) (plain ARM REST, api-version 2020-01-01; no Python SDK covers it).
  - Every discovered VM that is not the tenant's is a leak, named with the VM, the vCenter and the tenant that owns it
    (from O(plans) or O(vm_owners)). With O(fail_on_leak=true) (shared hosting) the module fails on a leak.
  - The tenant's management servers (C(management_servers) of its plan - the configuration server discovers itself)
    count as the tenant's, not as leaks; they are not expected in the discovery either.
  - Tenant VMs not discovered yet are listed in RV(not_yet_discovered) - discovery lags behind (about 15 minutes after a
    vCenter is added) - and do not fail the check.
  - Before the configuration server / appliance registered, RV(pending) says so and nothing is compared. When the
    given O(plans) / O(isolation_report) hold no plan for O(tenant) (its vCenter was not part of the run), RV(pending)
    says so too - comparing against an empty list would call every VM a leak.
  - Reads only.
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
    description: Resource group of the tenant's vault.
    type: str
    required: true
  vault:
    description: Name of the tenant's Recovery Services vault.
    type: str
    required: true
  tenant_name:
    description:
      - Name of the DR tenant the vault belongs to. (Not O(tenant), which is the Entra directory of the Azure sign-in.)
    type: str
    required: true
  tenant_vms:
    description:
      - The tenant's VMs, as names or vCenter inventory paths (the last path element is the VM name). Default - the
        C(vms) of the O(tenant)'s plan in O(plans).
    type: list
    elements: str
  plans:
    description:
      - Plans of M(tenantdr.asr.tenant_mapping) (its RV(tenantdr.asr.tenant_mapping#module:plans)), of this tenant and
        of the other tenants of the same vCenter - used to name which tenant a leaked VM belongs to.
    type: list
    elements: dict
  isolation_report:
    description:
      - The RV(tenantdr.asr.tenant_isolation_audit#module:report) of the tenant's vCenter - its tenants' own VMs serve
        as O(plans) (used when O(plans) is not given; the audit playbook's case).
    type: dict
  vm_owners:
    description: More VM name -> tenant name pairs for naming leaks.
    type: dict
  fail_on_leak:
    description: Fail when a VM of another tenant (or of no tenant) is discovered in the vault.
    type: bool
    default: false
notes:
  - Compares VM names case-insensitively (the portal's friendly names are the vCenter VM names).
seealso:
  - module: tenantdr.asr.tenant_isolation_audit
  - module: tenantdr.asr.asr_site_recovery_info
"""

EXAMPLES = r"""
- name: The plans of the tenants of acme's shared vCenter (which VMs are whose)
  tenantdr.asr.tenant_mapping:
    hostname: vcenter.provider.example
    tenants: "{{ dr_tenants }}"
  register: mapping

- name: Only acme's VMs are discovered in acme's vault (fail the shared-hosting run otherwise)
  tenantdr.asr.asr_discovery_check:
    resource_group: rg-acme-dr
    vault: rsv-acme-dr
    tenant_name: acme
    plans: "{{ mapping.plans }}"
    fail_on_leak: true

- name: Same with an explicit list
  tenantdr.asr.asr_discovery_check:
    resource_group: rg-acme-dr
    vault: rsv-acme-dr
    tenant_name: acme
    tenant_vms: [acme-vm01, acme-db01]
    vm_owners: {globex-vm01: globex}
"""

RETURN = r"""
pending:
  description: Why nothing could be compared yet (no configuration server / appliance registered), or null.
  returned: always
  type: str
stack:
  description: V(classic), V(modernized) or null.
  returned: always
  type: str
discovered:
  description: Names of the VMs the vault discovered.
  returned: always
  type: list
  elements: str
leaks:
  description: Discovered VMs that are not the tenant's - C(vm), C(vcenter), C(owner) (tenant or null), C(source), C(message).
  returned: always
  type: list
  elements: dict
  sample:
    - vm: globex-vm01
      vcenter: 10.0.0.5
      owner: globex
      source: protectable item of cs-acme/cloud_acme
      message: globex-vm01 on vCenter 10.0.0.5 is discovered in tenant acme's vault but is tenant globex's VM
not_yet_discovered:
  description: The tenant's VMs the vault has not discovered (yet).
  returned: always
  type: list
  elements: str
summary:
  description: One line.
  returned: always
  type: str
"""

from ansible_collections.tenantdr.asr.plugins.module_utils.azure_module import AzureModuleBase
from ansible_collections.tenantdr.asr.plugins.module_utils.azure_site_recovery import (
    SiteRecoveryReader, discovery_report, plans_from_isolation_report, require_site_recovery, tenant_vm_sets,
    validate_discovery_inputs, vault_view,
)


class DiscoveryCheckModule(AzureModuleBase):
    """asr_discovery_check on the shared Azure module base (options, checks, session, error mapping)."""

    def __init__(self):
        super().__init__()
        self.mine = self.owners = None

    def module_options(self) -> dict:
        return {"resource_group": {"type": "str", "required": True}, "vault": {"type": "str", "required": True},
                "tenant_name": {"type": "str", "required": True}, "tenant_vms": {"type": "list", "elements": "str"},
                "plans": {"type": "list", "elements": "dict"}, "isolation_report": {"type": "dict"},
                "vm_owners": {"type": "dict"}, "fail_on_leak": {"type": "bool", "default": False}}

    def validate(self) -> list:
        require_site_recovery(self.module)
        return validate_discovery_inputs(self.params)

    def result_without_azure(self) -> dict | None:
        params = self.params
        plans = params["plans"] if params.get("plans") is not None else plans_from_isolation_report(params.get("isolation_report"))
        self.mine, self.owners = tenant_vm_sets(params["tenant_name"], params.get("tenant_vms"), plans, params.get("vm_owners"))
        if self.mine is not None:
            return None
        pending = (f"tenant {params['tenant_name']}: no VM list for this tenant in plans / isolation_report (its vCenter "
                   "was not part of the run); nothing compared")
        return {"changed": False, "pending": pending,
                "stack": None, "discovered": [], "leaks": [], "not_yet_discovered": [],
                "summary": f"tenant {params['tenant_name']}: discovery not checked (no VM list)"}

    def run(self) -> dict:
        params = self.params
        reader = SiteRecoveryReader(self.session, params["resource_group"], params["vault"])
        view = vault_view(reader.read(with_protected_items=False)) if reader.vault_state() is not None else None
        discovered = reader.discovered_vms(view) if view else []
        report = discovery_report(params["tenant_name"], discovered, self.mine, self.owners)
        registered = bool(view and any(f["stack"] for f in view["fabrics"]))
        pending = None if registered else (f"tenant {params['tenant_name']}: no configuration server or replication appliance "
                                           f"is registered in vault {params['vault']} yet; nothing is discovered to compare")
        summary = (pending or f"tenant {params['tenant_name']}: {len(report['discovered'])} VM(s) discovered, "
                   f"{len(report['leaks'])} leak(s), {len(report['not_yet_discovered'])} tenant VM(s) not discovered yet")
        result = dict(changed=False, pending=pending, stack=view["stack"] if view else None, summary=summary, **report)
        result.pop("tenant")
        if report["leaks"] and params["fail_on_leak"]:
            self.fail(msg=f"Site Recovery discovery leak in tenant {params['tenant_name']}'s vault {params['vault']}: "
                          + "; ".join(leak["message"] for leak in report["leaks"]), **result)
        return result


def main():
    DiscoveryCheckModule().execute()


if __name__ == "__main__":
    main()
