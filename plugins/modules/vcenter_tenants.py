#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: tenantdr.asr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
module: vcenter_tenants
short_description: Onboard, offboard and audit every DR tenant of one vCenter with one login and one inventory read
version_added: 0.2.0
description:
  - The whole vCenter side of the Azure Site Recovery multi-tenant guide (seed 000, "Requirements for a vCenter access
    account") for all tenants of one vCenter, on one session - one login, one inventory read (one property-collector pass
    and one C(RetrieveAllPermissions)), one write per object that differs, and the isolation audit of that read with the
    writes vCenter accepted. An idempotent re-run sends about ten SOAP calls whatever the number of tenants.
  - It is built from the same code as the single-purpose modules M(tenantdr.asr.vcenter_tenant_role),
    M(tenantdr.asr.tenant_mapping), M(tenantdr.asr.vcenter_nonpropagating_permission) and
    M(tenantdr.asr.tenant_isolation_audit), which stay available as building blocks.
  - "Order: every tenant definition is validated and every conflict between tenants is refused before the first write.
    Then the tenants in O(offboard) are offboarded - the remaining tenants are audited, the access accounts' permissions
    removed from every object, the DR roles no permission uses any more deleted (O(delete_unused_roles)), the remaining
    tenants audited again; the task fails if what they see changed. Then the tenants to onboard get the DR role (clone of
    Read-only plus the ASR privileges; creating it is safe when another job creates it at the same time), their plan
    (M(tenantdr.asr.tenant_mapping)) as non-propagating permissions, each access account exactly its plan
    (exclusive), and every tenant of the vCenter is audited."
  - Tenants of O(tenants) that are neither in O(only) nor in O(offboard) are context - the vCenter's other tenants - checked
    for conflicts and audited, never written.
  - With O(mode=audit) nothing is written; the result reports the isolation of the onboarded tenants and the permissions
    the offboarded tenants' accounts still hold.
author:
  - tenantdr.asr maintainers (@tenantdr)
extends_documentation_fragment:
  - tenantdr.asr.vcenter
  - tenantdr.asr.tenants
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.actiongroups
attributes:
  check_mode:
    support: full
    details: Reports every role, permission and role deletion a real run would make (a DR role still to be created gets
      a placeholder id), and the audit of the state the run would leave; writes nothing.
  diff_mode:
    support: none
  platform:
    platforms: all
  action_group:
    support: full
    membership:
      - tenantdr.asr.vcenter
options:
  only:
    description:
      - Names of the tenants of O(tenants) to onboard (or keep onboarded). Not given - every tenant not in O(offboard).
      - The other tenants are context (see the description).
    type: list
    elements: str
  offboard:
    description:
      - Names of the tenants of O(tenants) to offboard.
    type: list
    elements: str
    default: []
  mode:
    description:
      - V(converge) offboards and onboards; V(audit) writes nothing and reports.
    type: str
    choices: [converge, audit]
    default: converge
  role_privilege_mode:
    description:
      - V(replace) - the DR role holds exactly the Azure Site Recovery privileges. V(add) - add the missing ones and keep
        the others (a role the customer maintains, managed service).
    type: str
    choices: [replace, add]
    default: replace
  delete_unused_roles:
    description:
      - When offboarding, delete a DR role no permission uses any more and no remaining tenant needs.
    type: bool
    default: true
  fail_on_leak:
    description:
      - Fail after onboarding when the isolation audit finds a leak (not in check mode). Missing permissions of context
        tenants (not onboarded yet) do not count.
    type: bool
    default: false
  validate_principals:
    description:
      - Look a principal up in vCenter's user directory before giving it its first permission (one call per new access
        account; a re-run makes none).
    type: bool
    default: true
  result_detail:
    description:
      - V(full) returns each onboarded tenant's whole plan (every object with its role and why) and each tenant's audit
        with every VM it sees.
      - V(compact) keeps, per plan, the tenant, its access account, role, VMs and management servers plus
        C(object_count), and per audited tenant the counts of VMs it sees (C(visible_vm_count), C(own_vm_visible_count))
        instead of the lists; everything that is wrong (foreign, unassigned or missing VMs, leaks) stays whole. The
        changes (C(changes) of RV(permissions) and RV(offboarding)) are grouped, one entry per principal, group flag,
        action and before/after permission, with the paths of all its objects in C(objects) - every changed object is
        still named. The tenants of O(tenants) that are neither onboarded nor offboarded by this run
        (the context) are audited all the same, but listed in RV(audit) and the summary lines only when something is
        wrong with them; C(tenants_not_listed) and one summary line count the others. On a vCenter of a thousand tenants
        the result of a run is then a few hundred kB at most, and a few kB for a one-tenant run, instead of several MB -
        what an AWX job keeps as job events. M(tenantdr.asr.inventory_tenants) asks for V(compact) unless the variable
        C(tenantdr_vcenter_result_detail) says V(full).
    type: str
    choices: [full, compact]
    default: full
  inventory_snapshot:
    description:
      - A file in which M(tenantdr.asr.tenant_preflight) saved the inventory it read from this vCenter in the same run
        (objects, roles, privileges; no permissions). It replaces this run's own inventory pass when it is from this
        vCenter (host, port and instance UUID) and at most O(inventory_snapshot_max_age) seconds old; otherwise the
        inventory is read as usual. Permissions are always read from vCenter. M(tenantdr.asr.inventory_tenants) sets it
        from the preflight's result, so a run reads the inventory once.
    type: path
  inventory_snapshot_max_age:
    description:
      - How old (seconds) O(inventory_snapshot) may be.
    type: int
    default: 300
notes:
  - Use one task per vCenter; the action plugin behind the topology roles (M(tenantdr.asr.inventory_tenants)) does that
    for the tenants of an inventory.
seealso:
  - module: tenantdr.asr.inventory_tenants
  - module: tenantdr.asr.tenant_mapping
  - module: tenantdr.asr.tenant_isolation_audit
"""

EXAMPLES = r"""
- name: Onboard acme and globex, offboard initech, on the shared vCenter
  tenantdr.asr.vcenter_tenants:
    hostname: vcenter.provider.example
    tenants:
      - name: acme
        topology: shared_hsp
        access_account: acme-dr@vsphere.local
        vm_selectors: {folders: [/DC1/vm/tenants/acme]}
        management_servers: [/DC1/vm/mgmt/acme-cs01]
      - name: globex
        topology: shared_hsp
        access_account: globex-dr@vsphere.local
        vm_selectors: {custom_attributes: {tenant: globex}}
      - name: initech
        topology: shared_hsp
        access_account: initech-dr@vsphere.local
    offboard: [initech]
    fail_on_leak: true
  register: converge

- name: Audit only - the isolation of the tenants, what initech's account still holds
  tenantdr.asr.vcenter_tenants:
    hostname: vcenter.provider.example
    tenants: "{{ dr_tenants }}"
    offboard: [initech]
    mode: audit
  register: audit

- name: Show the verdict
  ansible.builtin.debug:
    msg: "{{ audit.report.lines }}"
"""

RETURN = r"""
summary:
  description: Readable lines - offboarding, DR roles, plans, permission counts, audit.
  returned: always
  type: list
  elements: str
inventory_read:
  description: Where the inventory came from - read from vCenter, or the preflight's saved inventory and its age.
  returned: always
  type: str
  sample: the preflight's inventory read of 4.2 s ago
roles:
  description: The DR roles of the onboarded tenants - C(action) (none, create, update), C(role), added and removed privileges.
  returned: always
  type: list
  elements: dict
plans:
  description: The plans of the onboarded tenants, as M(tenantdr.asr.tenant_mapping) returns them.
  returned: always
  type: list
  elements: dict
permissions:
  description:
    - C(summary) (add, update, remove, unchanged, objects, writes) and C(changes) of the onboarded tenants' permissions.
    - A change is C(object) (moid), C(path), C(type), C(principal), C(group), C(action) (add, update, remove),
      C(before) and C(after) (C(role), C(role_id), C(propagate); null when there is none). With
      O(result_detail=compact) the changes are grouped (C(principal), C(group), C(action), C(before), C(after) and
      C(objects), the paths).
  returned: always
  type: dict
offboarding:
  description:
    - C(changes) and C(summary) of the removed permissions, C(roles_deleted), C(roles_kept), C(audit_before),
      C(audit_after) and C(touched) (remaining tenants whose view changed). Empty without O(offboard).
  returned: always
  type: dict
audit:
  description: The isolation audit report of the onboarded and context tenants (see M(tenantdr.asr.tenant_isolation_audit)).
  returned: always
  type: dict
report:
  description: With O(mode=audit), one vCenter's verdict - C(vcenter), C(clean), C(verdict), C(summary), C(lines),
    C(counts), C(leaks), C(leftovers) (paths still granted to each offboarded tenant's account).
  returned: when mode is audit
  type: dict
blocking:
  description: The leaks that block onboarding (with O(fail_on_leak)).
  returned: always
  type: list
  elements: dict
writes:
  description: vCenter writes made.
  returned: always
  type: int
retries:
  description: Transient failures that were retried - C(call), C(attempt), C(delay_s), C(error).
  returned: when a call was retried
  type: list
  elements: dict
"""

from ansible_collections.tenantdr.asr.plugins.module_utils.tenant_converge import run_vcenter_tenants, vcenter_tenants_options
from ansible_collections.tenantdr.asr.plugins.module_utils.vcenter_module import VCenterModule


def main():
    VCenterModule(argument_spec=vcenter_tenants_options()).run(run_vcenter_tenants)


if __name__ == '__main__':
    main()
