#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: tenantdr.asr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
module: tenant_preflight
short_description: Check every DR tenant of a run, vCenter and Azure, before anything is written
version_added: 0.2.0
description:
  - Runs on the controller (an action plugin), once for all tenant hosts of the run (use C(run_once)). It reads every
    tenant host's inventory variables (C(tenant_*), as the topology roles C(tenantdr.asr.shared_hsp),
    C(tenantdr.asr.dedicated_hsp) and C(tenantdr.asr.msp) use them) from C(hostvars) and returns one combined report
    of every problem of every tenant, each naming the bad value and, where there is a closed list, the valid choices.
  - "Static checks: topology and state, C(tenant_vcenter), the tenant definition as M(tenantdr.asr.tenant_mapping)
    validates it (keys, selectors, names, access account format), the Azure connection, subscription id, resource
    group, vault name (2-50 characters, letters, digits and hyphens, starting with a letter), location, storage
    redundancy, access principals (GUIDs, principal types), and duplicates between tenants (tenant names, one vault
    for two tenants) - including the inventory's tenants outside C(--limit)."
  - "vCenter checks, per vCenter one login and one inventory read (plus one C(RetrieveAllPermissions) with
    O(plan=true)): every VM folder, resource pool, datacenter and management server resolves and every selector
    matches; no conflict between the tenants of a shared vCenter, the other C(present) tenants of the inventory on
    that vCenter included (they are outside the run but inside the shared mapping); the access accounts and groups
    exist in vCenter's user directory (one C(RetrieveUserGroups) listing per SSO domain, an exact lookup only for a
    principal the listing does not show; principals that already hold a permission are not looked up);
    the DR role is not a system role and its privileges are known to the server."
  - "Azure checks, per subscription: the subscription exists and is C(Enabled); the registration state of
    C(Microsoft.RecoveryServices) (not registered is a warning: the onboarding registers it); the location is offered
    for C(Microsoft.RecoveryServices/vaults); per tenant the vault is free or already this tenant's (another tenant's
    vault of that name, by its C(tenant) tag, is an error; an existing vault in another location too). Principals are
    looked up in Microsoft Graph when a Graph client is plugged in (C(module_utils/preflight.py) C(GRAPH_LOOKUP))."
  - Nothing is written anywhere; check mode and normal mode behave the same.
  - With O(plan=true) the result also holds what the converge would change on each vCenter - DR role create/update and
    every permission to add, update or remove - computed from the same snapshot.
author:
  - tenantdr.asr maintainers (@tenantdr)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
attributes:
  action:
    support: full
  async:
    support: none
  bypass_host_loop:
    support: none
    details: Use O(hosts) / C(run_once) - the task checks every tenant of the run at once.
  check_mode:
    support: full
    details: The task only reads; check mode returns the same result.
  diff_mode:
    support: none
  platform:
    platforms: all
options:
  hosts:
    description:
      - The tenant hosts of this run. Default is every host of the play (C(ansible_play_hosts_all)).
    type: list
    elements: str
  tenants_group:
    description:
      - Inventory group holding every tenant. Its hosts outside O(hosts) are read for the cross-tenant checks only.
    type: str
    default: tenants
  state:
    description:
      - The state this run converges the tenants of O(hosts) to, as the playbook sets it (V(present) onboarding,
        V(absent) offboarding). Default is each host's C(tenant_state).
    type: str
    choices: [present, absent]
  plan:
    description:
      - Also compute the plan of each vCenter (DR role and permission changes) for the valid tenants.
    type: bool
    default: false
  fail_on_problems:
    description:
      - Fail the task when any tenant has a problem (the report is the message). V(false) returns the report and the
        invalid tenants (RV(invalid)) so that the play can skip them.
    type: bool
    default: true
  vcenter:
    description:
      - Do the vCenter checks (needs pyVmomi on the controller). Tenants with C(tenantdr_vcenter_enabled=false) are never
        checked on vCenter.
    type: bool
    default: true
  azure:
    description:
      - Do the Azure checks (needs the Azure SDKs on the controller). Tenants with C(tenantdr_azure_enabled=false) are
        never checked on Azure.
    type: bool
    default: true
notes:
  - vCenter connections come from each tenant's C(tenant_vcenter), C(tenantdr_vcenter_credentials), else E(VMWARE_USER),
    E(VMWARE_PASSWORD) and E(VMWARE_VALIDATE_CERTS). Azure sign-in comes from C(tenantdr_azure_connection) and the
    environment variables of the M(tenantdr.asr.asr_vault) module (E(AZURE_CLIENT_ID), E(AZURE_SECRET), E(AZURE_TENANT),
    E(AZURE_SUBSCRIPTION_ID), E(AZURE_CLOUD_ENVIRONMENT)); the subscription is each tenant's C(tenant_subscription_id).
  - The onboarding and offboarding playbooks run it first (C(playbooks/preflight.yml)); see C(docs/preflight.md).
seealso:
  - module: tenantdr.asr.tenant_mapping
  - module: tenantdr.asr.asr_vault
"""

EXAMPLES = r"""
- name: Check every tenant of the run before anything is written
  tenantdr.asr.tenant_preflight:
    hosts: "{{ ansible_play_hosts_all }}"
    fail_on_problems: false
  run_once: true
  register: preflight

- name: Show the report
  ansible.builtin.debug:
    msg: "{{ preflight.report }}"
  run_once: true

- name: The plan only (what the run would change on vCenter)
  tenantdr.asr.tenant_preflight:
    plan: true
  run_once: true
"""

RETURN = r"""
report:
  description: The combined report, one line per problem (tenant blocks), then warnings and the plan summary.
  returned: always
  type: list
  elements: str
  sample:
    - "Preflight of 2 tenant(s): 1 valid, 1 with problems"
    - "tenant acme (host acme): 1 problem(s)"
    - "  - vCenter vc1: tenant acme: VM folder '/DC1/vm/nope' was not found in the vCenter inventory (...)"
problems:
  description: Problems per host (hosts without problems are left out).
  returned: always
  type: dict
  sample: {"acme": ["Azure: tenant_vault_name 'x' is not a valid Recovery Services vault name: ..."]}
warnings_by_host:
  description: Findings that do not stop the run, per host.
  returned: always
  type: dict
valid:
  description: The hosts of the run without any problem.
  returned: always
  type: list
  elements: str
invalid:
  description: The hosts of the run with problems, with their tenant name and problems.
  returned: always
  type: list
  elements: dict
  sample: [{"host": "acme", "tenant": "acme", "problems": ["..."]}]
plan:
  description:
    - With O(plan=true), one entry per vCenter - C(vcenter), C(roles) (name, action none/create/update, added, removed),
      C(permissions) (the changes of M(tenantdr.asr.vcenter_nonpropagating_permission)), C(summary) per tenant
      (add/update/remove counts) and C(totals).
  returned: always
  type: list
  elements: dict
reads:
  description: How many vCenters were read (one login and one inventory pass each) and how many subscriptions.
  returned: always
  type: dict
  sample: {"vcenters": 1, "subscriptions": 3}
seconds:
  description: Wall time of the checks.
  returned: always
  type: float
inventory_snapshots:
  description:
    - vCenter (C(host:port)) -> file holding the inventory the preflight read from it (objects, roles, privileges; no
      permissions and no secrets), JSON, mode 0600, in this run's local temporary directory, which Ansible removes when
      the run ends. M(tenantdr.asr.inventory_tenants) hands it to M(tenantdr.asr.vcenter_tenants) so that the run reads
      each vCenter's inventory once.
  returned: always
  type: dict
context_records:
  description:
    - File holding the tenant records of the tenant hosts outside the run (the other tenants of their vCenters), made
      from their variables by the same code as M(tenantdr.asr.inventory_tenants) and without their vCenter
      connection (JSON, mode 0600, in the same directory); the converge of the run reads only the run's hosts'
      variables. V(null) when the vCenter checks are off or every tenant host is in the run.
  returned: always
  type: str
"""

from ansible.module_utils.basic import AnsibleModule


def main():
    module = AnsibleModule(argument_spec=dict(
        hosts=dict(type='list', elements='str'),
        tenants_group=dict(type='str', default='tenants'),
        state=dict(type='str', choices=['present', 'absent']),
        plan=dict(type='bool', default=False),
        fail_on_problems=dict(type='bool', default=True),
        vcenter=dict(type='bool', default=True),
        azure=dict(type='bool', default=True),
    ), supports_check_mode=True)
    module.fail_json(msg='tenantdr.asr.tenant_preflight runs as an action plugin on the controller (it reads hostvars); '
                         'it cannot run as a module on its own')


if __name__ == '__main__':
    main()
