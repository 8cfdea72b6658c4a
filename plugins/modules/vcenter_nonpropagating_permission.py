#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: tenantdr.asr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
module: vcenter_nonpropagating_permission
short_description: Assign a role to a principal on many vCenter objects, without propagation
version_added: 0.1.0
description:
  - Ensures that a user or group (a DR tenant's vCenter access account) holds one role on many vCenter objects, each
    permission set on the object itself and not propagated to child objects, as the Azure Site Recovery multi-tenant
    guide requires for tenant isolation.
  - Objects are addressed by inventory path (C(/DC1/vm/tenants/acme/vm01)), by managed object id (C(vm-42)) or by
    typed id (C(VirtualMachine:vm-42), which also checks the type).
  - One task reads the whole inventory and every permission in bulk (one property-collector pass, one
    C(RetrieveAllPermissions)), then writes only the objects whose permission differs (one C(SetEntityPermissions)
    per object). A second identical run sends no write.
  - Other principals' permissions are never removed or altered. O(state=absent) removes only this principal's
    permissions.
  - Everything (objects, roles, principals) is validated before the first write.
author:
  - tenantdr.asr maintainers (@tenantdr)
extends_documentation_fragment:
  - tenantdr.asr.vcenter
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.actiongroups
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
  platform:
    platforms: all
  action_group:
    support: full
    membership:
      - tenantdr.asr.vcenter
options:
  principal:
    description:
      - The user or group, as C(login@domain) or C(DOMAIN\\login); both forms name the same principal.
      - Shorthand for a single entry of O(assignments).
    type: str
  group:
    description:
      - O(principal) is a group.
    type: bool
    default: false
  role:
    description:
      - Role name or UI label (C(Azure_Site_Recovery), C(ReadOnly) or C(Read-only)). Required with O(state=present).
    type: str
  objects:
    description:
      - Inventory paths, managed object ids or typed ids of the objects. C(/) is the vCenter root folder.
    type: list
    elements: str
    default: []
  propagate:
    description:
      - Propagate the permission to child objects. Leave it V(false) for tenant isolation; setting it to V(true) warns.
    type: bool
    default: false
  assignments:
    description:
      - Many principals, roles and object lists in one task (for example RV(tenantdr.asr.tenant_mapping#module:assignments)).
        Mutually exclusive with O(principal).
    type: list
    elements: dict
    suboptions:
      principal:
        description: User or group.
        type: str
        required: true
      group:
        description: The principal is a group.
        type: bool
        default: false
      role:
        description: Role name or label (required with O(state=present)).
        type: str
      objects:
        description: Inventory paths or ids.
        type: list
        elements: str
        default: []
      propagate:
        description: Propagate to child objects (warns when V(true)).
        type: bool
        default: false
  exclusive:
    description:
      - With O(state=present), the listed objects are the principal's complete set; its permissions on any other object
        are removed. Use it when the list is a tenant's whole plan, so VMs that left the tenant lose access.
    type: bool
    default: false
  all_objects:
    description:
      - With O(state=absent), remove the principal's permissions from every object of the vCenter (offboarding), not only
        from O(objects).
    type: bool
    default: false
  validate_principals:
    description:
      - Look up each principal that would get a new permission in vCenter's user directory
        (C(UserDirectory.RetrieveUserGroups)) before the first write, and fail naming any that does not exist.
    type: bool
    default: true
  state:
    description:
      - V(present) ensures the permissions; V(absent) removes the principal's permissions, whatever their role.
    type: str
    choices: [present, absent]
    default: present
notes:
  - Objects that cannot hold permissions (a datacenter's root vm, host, datastore and network folders, a cluster's root
    resource pool, the host of a standalone compute resource) are refused with the object that should be used instead.
  - An existing permission of the principal with C(propagate=true) on a listed object is converged to V(false).
seealso:
  - module: tenantdr.asr.vcenter_tenant_role
  - module: tenantdr.asr.tenant_mapping
"""

EXAMPLES = r"""
- name: Give acme's vCenter access account the DR role on its VMs, not propagated
  tenantdr.asr.vcenter_nonpropagating_permission:
    hostname: vcenter.example.com
    username: administrator@vsphere.local
    password: "{{ vcenter_password }}"
    principal: acme-dr@vsphere.local
    role: Azure_Site_Recovery
    objects:
      - /DC1
      - /DC1/host/CL1
      - /DC1/vm/tenants/acme/acme-vm01
      - /DC1/vm/tenants/acme/acme-vm02    # a managed object id (vm-1042) or a typed one (VirtualMachine:vm-1042) works too

- name: Apply whole tenant plans in one task
  tenantdr.asr.vcenter_nonpropagating_permission:
    assignments: "{{ mapping.assignments }}"
    exclusive: true

- name: Offboard - remove the account's permissions everywhere
  tenantdr.asr.vcenter_nonpropagating_permission:
    principal: VSPHERE.LOCAL\acme-dr
    state: absent
    all_objects: true
"""

RETURN = r"""
changes:
  description: One entry per permission that changed (or would change in check mode).
  returned: always
  type: list
  elements: dict
  contains:
    object:
      description: Managed object id.
      type: str
    path:
      description: Inventory path.
      type: str
    type:
      description: vSphere type of the object.
      type: str
    principal:
      description: Principal as vCenter stores it (for updates and removals) or as given (for additions).
      type: str
    group:
      description: The principal is a group.
      type: bool
    action:
      description: V(add), V(update) or V(remove).
      type: str
    before:
      description: Role and propagate flag before, or null.
      type: dict
    after:
      description: Role and propagate flag after, or null.
      type: dict
  sample:
    - {"object": "vm-57", "path": "/DC1/vm/tenants/acme/acme-vm01", "type": "VirtualMachine", "principal": "acme-dr@vsphere.local",
       "group": false, "action": "add", "before": null, "after": {"role": "Azure_Site_Recovery", "role_id": 1000, "propagate": false}}
summary:
  description: Counts of planned permission changes and of objects examined.
  returned: always
  type: dict
  sample: {"add": 12, "update": 1, "remove": 0, "unchanged": 30, "objects": 43, "writes": 13}
"""

from ansible_collections.tenantdr.asr.plugins.module_utils.vcenter_module import VCenterModule
from ansible_collections.tenantdr.asr.plugins.module_utils.permissions import (
    PlanError, plan_changes, summarize, diff_of, validate_principal, principal_key,
)
from ansible_collections.tenantdr.asr.plugins.module_utils.tenant_converge import (
    ApplyError, apply_changes, check_principals_exist,
)


def assignment_spec():
    return dict(
        principal=dict(type='str', required=True),
        group=dict(type='bool', default=False),
        role=dict(type='str'),
        objects=dict(type='list', elements='str', default=[]),
        propagate=dict(type='bool', default=False),
    )


def work(vcm):
    p = vcm.params
    if p['assignments'] is None:
        p['assignments'] = [dict(principal=p['principal'], group=p['group'], role=p['role'], objects=p['objects'],
                                 propagate=p['propagate'])]
    with vcm.session() as vc:
        snap = vc.read_snapshot()
        return run(vcm.module, vc, snap)


def main():
    VCenterModule(argument_spec=dict(
        principal=dict(type='str'),
        group=dict(type='bool', default=False),
        role=dict(type='str'),
        objects=dict(type='list', elements='str', default=[]),
        propagate=dict(type='bool', default=False),
        assignments=dict(type='list', elements='dict', options=assignment_spec()),
        exclusive=dict(type='bool', default=False),
        all_objects=dict(type='bool', default=False),
        validate_principals=dict(type='bool', default=True),
        state=dict(type='str', default='present', choices=['present', 'absent']),
    ), mutually_exclusive=[('principal', 'assignments')], required_one_of=[('principal', 'assignments')]).run(work)


def resolve_assignments(module, snap):
    """Validate every assignment against the snapshot; return them with moids and role ids.

    Collects every problem first and raises one PlanError listing them all, before any write.
    """
    p = module.params
    state = p['state']
    errors = []
    resolved = []
    for idx, a in enumerate(p['assignments']):
        where = 'assignments[%d] (%s)' % (idx, a.get('principal'))
        err = validate_principal(a.get('principal'))
        if err:
            errors.append('%s: %s' % (where, err))
            continue
        role_id = None
        if state == 'present':
            if not a.get('role'):
                errors.append('%s: role is required with state=present' % where)
            else:
                role = snap.find_role(a['role'])
                if role is None:
                    errors.append("%s: role '%s' does not exist on this vCenter; existing roles: %s"
                                  % (where, a['role'], ', '.join(sorted(r['name'] for r in snap.roles))))
                elif role['id'] in (-3, -4):
                    errors.append("%s: role '%s' cannot be granted (vCenter refuses the View and Anonymous system roles)" % (where, role['name']))
                else:
                    role_id = role['id']
            if a.get('propagate'):
                module.warn("propagate=true for %s: the permission reaches every child object, including other tenants' "
                            "VMs added later; tenant isolation needs propagate=false" % a['principal'])
        if not a.get('objects') and not (state == 'absent' and p['all_objects']):
            hint = '; use all_objects: true to remove the principal everywhere' if state == 'absent' else ''
            errors.append('%s: objects is empty%s' % (where, hint))
        moids = []
        for ref in a.get('objects') or []:
            moid = snap.resolve(ref)
            if moid is None:
                errors.append("%s: object '%s' was not found in vCenter inventory (give an inventory path like "
                              "/DC1/vm/folder/vm01, a managed object id like vm-42, or Type:id)" % (where, ref))
                continue
            reason = snap.complex_child_reason(moid)
            if reason and state == 'present':
                errors.append("%s: object '%s' cannot hold permissions: %s; assign the permission on %s instead"
                              % (where, ref, reason[0], reason[1]))
                continue
            moids.append(moid)
        resolved.append(dict(principal=a['principal'].strip(), group=bool(a.get('group')), role_id=role_id,
                             objects=moids, propagate=bool(a.get('propagate'))))
    if errors:
        raise PlanError('nothing was changed; %d problem(s) found:\n- %s' % (len(errors), '\n- '.join(errors)))
    return resolved


def run(module, vc, snap):
    p = module.params
    assignments = resolve_assignments(module, snap)
    changes = plan_changes(snap, assignments, state=p['state'], exclusive=p['exclusive'], all_objects=p['all_objects'])
    if p['validate_principals'] and p['state'] == 'present':
        check_principals_exist(vc, snap, changes)

    planned = {(m, principal_key(a['principal']), a['group']) for a in assignments for m in a['objects']}
    counts = summarize(changes)
    counts['objects'] = len({k[0] for k in planned})
    counts['unchanged'] = max(0, len(planned) - counts['add'] - counts['update'] - (counts['remove'] if p['state'] == 'absent' else 0))
    writes = 0
    if changes and not module.check_mode:
        try:
            writes = apply_changes(vc, snap, changes)
        except ApplyError as exc:
            module.fail_json(msg=str(exc), changes=changes)
    counts['writes'] = writes
    result = dict(changed=bool(changes), changes=changes, summary=counts)
    if module._diff:
        result['diff'] = diff_of(changes)
    return result


if __name__ == '__main__':
    main()
