#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: tenantdr.asr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
module: tenant_mapping
short_description: Turn DR tenant definitions into the exact vCenter permission plan of each tenant
version_added: 0.1.0
description:
  - Reads a vCenter inventory once (one property-collector pass) and turns each tenant's definition (its VMs chosen by VM
    folders, resource pools, name patterns and custom attributes, its management servers, its vCenter access account) into
    the exact object/role plan of the Azure Site Recovery multi-tenant guide, section "Requirements for a vCenter access
    account".
  - "The plan, per tenant: C(Read-only) on the vCenter root folder; the DR role (O(tenants[].dr_role)) on every datacenter,
    host and cluster, datastore and datastore cluster, and network that the tenant's VMs and management servers use, on the
    management-server VMs and on each tenant VM; every permission non-propagating. With O(tenants[].failback=false) the
    guide's no-failback variant is planned: C(Read-only) on every object."
  - A VM on a host in a cluster gets the host and the cluster; a VM on a standalone host gets the standalone host's compute
    resource (its HostSystem cannot hold a permission). A datastore in a datastore cluster also brings the datastore
    cluster. Objects that cannot hold permissions are never planned.
  - Tenant definitions that overlap are refused before anything else happens, with one error listing every conflict (the
    tenants and the inventory paths) - a VM selected by two tenants, a management server shared by two tenants in shared
    hosting, a tenant VM that is another tenant's management server, one access account for two tenants, a selector or
    management server that matches nothing, duplicate tenant names.
  - The module only reads; RV(assignments) is meant for M(tenantdr.asr.vcenter_nonpropagating_permission) with
    O(tenantdr.asr.vcenter_nonpropagating_permission#module:exclusive=true).
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
    details: The module never changes anything, so check mode returns the same plan.
  diff_mode:
    support: none
  platform:
    platforms: all
  action_group:
    support: full
    membership:
      - tenantdr.asr.vcenter
options: {}
notes:
  - "The guide's table does not list VM folders, resource pools or distributed switches, so they are not planned; a
    distributed port group is planned itself (a permission on the switch does not reliably reach its port groups)."
  - Use M(tenantdr.asr.tenant_isolation_audit) afterwards to prove that no access account sees another tenant's VMs.
seealso:
  - module: tenantdr.asr.vcenter_nonpropagating_permission
  - module: tenantdr.asr.vcenter_tenant_role
  - module: tenantdr.asr.tenant_isolation_audit
"""

EXAMPLES = r"""
- name: Plan three shared-hosting tenants
  tenantdr.asr.tenant_mapping:
    hostname: vcenter.example.com
    username: administrator@vsphere.local
    password: "{{ vcenter_password }}"
    tenants:
      - name: acme
        topology: shared_hsp
        access_account: acme-dr@vsphere.local
        vm_selectors:
          folders: [/DC1/vm/tenants/acme]
        management_servers: [/DC1/vm/mgmt/acme-cs01]
      - name: globex
        topology: shared_hsp
        access_account: globex-dr@vsphere.local
        vm_selectors:
          custom_attributes: {tenant: globex}
        datacenters: [/DC1]
        management_servers: [/DC1/vm/mgmt/globex-cs01]
      - name: initech
        topology: shared_hsp
        access_account: initech-dr@vsphere.local
        failback: false
        vm_selectors:
          name_patterns: ["initech-vm*"]
        management_servers: [/DC1/vm/mgmt/initech-cs01]
  register: mapping

- name: Apply every plan, removing permissions the accounts hold outside their plan
  tenantdr.asr.vcenter_nonpropagating_permission:
    hostname: vcenter.example.com
    username: administrator@vsphere.local
    password: "{{ vcenter_password }}"
    assignments: "{{ mapping.assignments }}"
    exclusive: true
"""

RETURN = r"""
plans:
  description: One plan per tenant, in the order given.
  returned: success
  type: list
  elements: dict
  contains:
    tenant:
      description: Tenant name.
      type: str
    topology:
      description: Tenant topology.
      type: str
    access_account:
      description: The vCenter access account, as given.
      type: str
    failback:
      description: Whether the DR role (true) or the no-failback Read-only variant (false) is planned.
      type: bool
    role:
      description: Role planned on every object but the root, the DR role or C(ReadOnly).
      type: str
    vms:
      description: Inventory paths of the tenant VMs (management servers excluded), sorted.
      type: list
      elements: str
    management_servers:
      description: Inventory paths of the management servers, sorted.
      type: list
      elements: str
    objects:
      description:
        - Every planned permission, sorted by path (the root folder first).
        - C(kind) is one of V(vcenter_root), V(datacenter), V(cluster), V(host), V(datastore), V(datastore_cluster),
          V(network), V(management_server), V(tenant_vm), the rows of the guide's table.
      type: list
      elements: dict
      sample:
        - {"moid": "group-d1", "path": "/", "type": "Folder", "kind": "vcenter_root", "role": "ReadOnly", "propagate": false}
        - {"moid": "datacenter-2", "path": "/DC1", "type": "Datacenter", "kind": "datacenter", "role": "Azure_Site_Recovery",
           "propagate": false}
    assignments:
      description:
        - The plan as input for M(tenantdr.asr.vcenter_nonpropagating_permission) (Read-only on the root folder, the role
          elsewhere). Objects are named by typed managed object id (C(VirtualMachine:vm-42)), which the permission module
          resolves without a path lookup and which still names the same object if it is renamed or moved in between.
      type: list
      elements: dict
  sample:
    - tenant: acme
      topology: shared_hsp
      access_account: acme-dr@vsphere.local
      failback: true
      role: Azure_Site_Recovery
      vms: [/DC1/vm/tenants/acme/acme-db01, /DC1/vm/tenants/acme/acme-vm01]
      management_servers: [/DC1/vm/mgmt/acme-cs01]
      objects: []
      assignments: []
assignments:
  description:
    - Every tenant's assignments in one list, ready for O(tenantdr.asr.vcenter_nonpropagating_permission#module:assignments).
  returned: success
  type: list
  elements: dict
  sample:
    - {"principal": "acme-dr@vsphere.local", "group": false, "role": "ReadOnly", "objects": ["Folder:group-d1"], "propagate": false}
    - {"principal": "acme-dr@vsphere.local", "group": false, "role": "Azure_Site_Recovery",
       "objects": ["Datacenter:datacenter-2", "Datastore:datastore-61", "VirtualMachine:vm-64"], "propagate": false}
summary:
  description: One line per tenant.
  returned: success
  type: list
  elements: str
  sample: ["acme: 3 tenant VM(s), 1 management server(s), 14 object(s), role Azure_Site_Recovery"]
conflicts:
  description: On failure because of overlapping or invalid tenant definitions, every problem found.
  returned: failure
  type: list
  elements: dict
  sample:
    - {"conflict": "vm_overlap", "tenants": ["acme", "globex"], "paths": ["/DC1/vm/tenants/acme/acme-vm01"],
       "message": "VM /DC1/vm/tenants/acme/acme-vm01 is selected by tenants acme (folder /DC1/vm/tenants/acme) and globex (folder /DC1/vm/tenants)"}
"""

from ansible_collections.tenantdr.asr.plugins.module_utils.vcenter import read_plan_snapshot
from ansible_collections.tenantdr.asr.plugins.module_utils.vcenter_module import VCenterModule
from ansible_collections.tenantdr.asr.plugins.module_utils.tenant_plan import (
    validate_tenants, build_plans,
)


def plan_warnings(module, snap, tenants, result):
    """Warnings that do not stop the plan: empty selectors allowed, unknown roles, another vCenter named."""
    out = list(result['warnings'])
    for role in sorted({p['role'] for p in result['plans']}):
        if snap.find_role(role) is None:
            out.append("role '%s' does not exist on this vCenter yet; create it (tenantdr.asr.vcenter_tenant_role) before "
                       "applying the plan" % role)
    host = (module.params['hostname'] or '').lower()
    for t in tenants:
        named = (t.get('vcenter') or '').lower()
        if named and host and named != host and named.split('.')[0] != host.split('.')[0]:
            out.append("tenant %s names vCenter '%s' but this task is connected to '%s'"
                       % (t['name'], t['vcenter'], module.params['hostname']))
    return out


def summary_of(plans):
    return ['%s: %d tenant VM(s), %d management server(s), %d object(s), role %s'
            % (p['tenant'], len(p['vms']), len(p['management_servers']), len(p['objects']), p['role']) for p in plans]


def work(vcm):
    tenants = validate_tenants(vcm.params['tenants'])  # before connecting: bad input never reaches vCenter
    with vcm.session() as vc:
        snap = read_plan_snapshot(vc, tenants, with_permissions=False)
    result = build_plans(snap, tenants)
    for warning in plan_warnings(vcm.module, snap, tenants, result):
        vcm.module.warn(warning)
    return dict(changed=False, plans=result['plans'], assignments=result['assignments'], summary=summary_of(result['plans']))


def main():
    VCenterModule(argument_spec=dict(tenants=dict(type='list', elements='dict', required=True))).run(work)


if __name__ == '__main__':
    main()
