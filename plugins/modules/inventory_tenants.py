#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: tenantdr.asr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
module: inventory_tenants
short_description: Onboard, offboard or audit the vCenter side of the inventory's DR tenant hosts, once per vCenter
version_added: 0.2.0
description:
  - An action that runs once (use C(run_once)) for many tenant inventory hosts. It reads each host's C(tenant_*) variables
    (see the topology roles P(tenantdr.asr.shared_hsp#role), P(tenantdr.asr.dedicated_hsp#role), P(tenantdr.asr.msp#role)), validates
    them all at once (one error naming every bad host and value), groups the tenants by vCenter and topology, and runs
    M(tenantdr.asr.vcenter_tenants) once per group - one login and one inventory read per vCenter.
  - For a topology whose setting C(context) is on (shared hosting), the other tenants of the same vCenter in the inventory
    group O(tenants_group) with C(tenant_state=present) are checked and audited with the tenants of the run, never written.
  - "Per topology (seed 000): shared_hsp - context, fail on a leak, DR role replaced, deleted when unused; dedicated_hsp -
    no context, report leaks, role replaced, deleted when unused; msp - no context, report leaks, role only added to and
    kept. The variables C(<topology>_fail_on_leak), C(<topology>_role_privilege_mode) and C(<topology>_delete_unused_role)
    and the options below override them."
  - vCenter credentials not in C(tenant_vcenter) come from C(tenantdr_vcenter_credentials) (vCenter host name ->
    C(username), C(password); a dict or YAML text), else from E(VMWARE_USER) and E(VMWARE_PASSWORD).
  - Stops at the first vCenter that fails (a conflict, a leak with fail-on-leak, a refused write).
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
  check_mode:
    support: full
  diff_mode:
    support: none
  platform:
    platforms: all
options:
  hosts:
    description: Tenant inventory hosts of this run. Defaults to the play's hosts.
    type: list
    elements: str
  mode:
    description: V(converge) onboards and offboards; V(audit) writes nothing and reports per vCenter.
    type: str
    choices: [converge, audit]
    default: converge
  state:
    description: Desired state of every tenant of the run. Defaults to each host's C(tenant_state) (else V(present)).
    type: str
    choices: [present, absent]
  topology:
    description:
      - Only tenants of this topology (a topology role). A host whose C(tenant_topology) is another is an error; a host
        without C(tenant_topology) gets this one.
    type: str
    choices: [shared_hsp, dedicated_hsp, msp]
  context:
    description: Add the other tenants of the same vCenters from O(tenants_group) where the topology wants it.
    type: bool
    default: true
  tenants_group:
    description: Inventory group holding every tenant. Defaults to C(tenantdr_tenants_group), else C(tenants).
    type: str
  settings:
    description: "Per-topology overrides, e.g. C({shared_hsp: {fail_on_leak: false}})."
    type: dict
  fail_on_leak:
    description: Override of the topologies' C(fail_on_leak).
    type: bool
  role_privilege_mode:
    description: Override of the topologies' C(role_privilege_mode).
    type: str
    choices: [replace, add]
  delete_unused_roles:
    description: Override of the topologies' C(delete_unused_role).
    type: bool
notes:
  - Implemented as an action plugin. The vCenter work is M(tenantdr.asr.vcenter_tenants)'s own code, run in the action's
    process on the controller (same options, validation, E(VMWARE_*) fallbacks and result) instead of as a module
    started for it, so the task's C(environment) keyword does not reach it; the vCenter connection comes from the
    inventory, C(tenantdr_vcenter_credentials) and the controller's environment.
  - After the preflight of the same run (C(playbooks/preflight.yml)), the inventory it read and the records of the
    tenants outside the run it made are used instead of reading them again (see M(tenantdr.asr.tenant_preflight),
    RV(tenantdr.asr.tenant_preflight#module:inventory_snapshots) and RV(tenantdr.asr.tenant_preflight#module:context_records)).
seealso:
  - module: tenantdr.asr.vcenter_tenants
"""

EXAMPLES = r"""
- name: Onboard every tenant host of the play on its vCenter
  tenantdr.asr.inventory_tenants:
    state: present
  run_once: true
  register: converge

- name: Show what was done
  ansible.builtin.debug:
    msg: "{{ converge.summary }}"
  run_once: true
"""

RETURN = r"""
summary:
  description: Readable lines of every vCenter.
  returned: always
  type: list
  elements: str
vcenters:
  description: One entry per vCenter and topology - C(vcenter), C(topology), C(hosts), C(only), C(offboard), C(context)
    and the result of M(tenantdr.asr.vcenter_tenants) (roles, plans, permissions, offboarding, audit, report, blocking,
    writes), with O(tenantdr.asr.vcenter_tenants#module:result_detail=compact) for a converge unless the variable
    C(tenantdr_vcenter_result_detail) says V(full) - the plans count their objects and the changes are grouped per
    principal, action and permission.
  returned: unless the definitions were refused
  type: list
  elements: dict
audit_reports:
  description: With O(mode=audit), each vCenter's verdict (see M(tenantdr.asr.vcenter_tenants) RV(tenantdr.asr.vcenter_tenants#module:report)).
  returned: unless the definitions were refused
  type: list
  elements: dict
leaks:
  description: With O(mode=audit), every leak and every permission an offboarded tenant's account still holds.
  returned: unless the definitions were refused
  type: list
  elements: dict
problems:
  description: Every problem in the tenant inventory, when the definitions were refused.
  returned: on failure
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule


def main():
    module = AnsibleModule(argument_spec=dict(
        hosts=dict(type='list', elements='str'),
        mode=dict(type='str', default='converge', choices=['converge', 'audit']),
        state=dict(type='str', choices=['present', 'absent']),
        topology=dict(type='str', choices=['shared_hsp', 'dedicated_hsp', 'msp']),
        context=dict(type='bool', default=True),
        tenants_group=dict(type='str'),
        settings=dict(type='dict'),
        fail_on_leak=dict(type='bool'),
        role_privilege_mode=dict(type='str', choices=['replace', 'add']),
        delete_unused_roles=dict(type='bool'),
    ), supports_check_mode=True)
    module.fail_json(msg='tenantdr.asr.inventory_tenants runs as an action on the controller; it cannot run as a module')


if __name__ == '__main__':
    main()
