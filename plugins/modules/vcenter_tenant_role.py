#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: tenantdr.asr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
module: vcenter_tenant_role
short_description: Ensure the vCenter role a DR tenant's access account gets (Azure Site Recovery profile)
version_added: 0.1.0
description:
  - Creates, updates, renames, checks or deletes the vCenter role that Azure Site Recovery tenants' vCenter access
    accounts are given (seed guide "Multi-tenant support in Azure Site Recovery", step 2).
  - Profile V(asr) is a clone of Read-only plus the Azure Site Recovery privilege list; "Virtual machine > Configuration
    > all" is read from the server's own privilege list, so the same task works on vCenter 6.7, 7 and 8.
  - Profile V(asr_no_failback) is the guide's no-failback variant, equivalent to Read-only.
  - Every run returns a PlateSpin-style compatibility check of the existing role against the profile
    (RV(compatibility)); in check mode this is a pure report that changes nothing.
  - Unknown privilege ids are refused before any change, naming each one with the nearest known ids.
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
  name:
    description:
      - Name of the role.
    type: str
    default: Azure_Site_Recovery
  new_name:
    description:
      - Rename the role to this name. A re-run after the rename finds the role under O(new_name) and changes nothing.
    type: str
  profile:
    description:
      - V(asr) - Read-only plus the Azure Site Recovery privileges of the seed guide, with
        C(VirtualMachine.Config.*) taken from the server.
      - V(asr_no_failback) - Read-only only (the no-failback variant).
      - V(custom) - exactly O(privileges).
    type: str
    choices: [asr, asr_no_failback, custom]
    default: asr
  privileges:
    description:
      - Privilege ids (for example C(Datastore.Browse)). With O(profile=custom) they are the role's privileges; with the
        other profiles they are added to the profile's list.
      - C(System.Anonymous), C(System.Read) and C(System.View) are always part of a role; listing them is harmless.
    type: list
    elements: str
    default: []
  privilege_mode:
    description:
      - V(replace) - the role holds exactly the profile's privileges (plus O(privileges)); others are removed.
      - V(add) - add the missing privileges and keep any others the role already has.
    type: str
    choices: [replace, add]
    default: replace
  state:
    description:
      - V(present) creates or updates the role, V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
  force:
    description:
      - With O(state=absent), delete the role even if permissions still use it. vCenter then removes those
        permissions too. Without it the module fails and lists where the role is used.
    type: bool
    default: false
notes:
  - Built-in system roles (Admin, ReadOnly, NoAccess, ...) are never changed or deleted.
  - The role is global to the vCenter; tenants share one role and differ only in where it is assigned.
seealso:
  - module: tenantdr.asr.vcenter_nonpropagating_permission
"""

EXAMPLES = r"""
- name: Ensure the Azure Site Recovery role
  tenantdr.asr.vcenter_tenant_role:
    hostname: vcenter.example.com
    username: administrator@vsphere.local
    password: "{{ vcenter_password }}"
    name: Azure_Site_Recovery
    profile: asr

- name: Check an existing role against the profile without touching it
  tenantdr.asr.vcenter_tenant_role:
    name: Legacy_DR_Role
    profile: asr
  check_mode: true
  register: role_check

- name: Show what the legacy role lacks
  ansible.builtin.debug:
    var: role_check.compatibility.missing_privileges

- name: Add privileges to a role someone else maintains, keeping theirs
  tenantdr.asr.vcenter_tenant_role:
    name: Provider_DR
    profile: asr
    privilege_mode: add

- name: Rename the role
  tenantdr.asr.vcenter_tenant_role:
    name: Azure_Site_Recovery
    new_name: ASR_Tenant_Discovery

- name: Delete the role once no tenant uses it
  tenantdr.asr.vcenter_tenant_role:
    name: Azure_Site_Recovery
    state: absent
"""

RETURN = r"""
role:
  description: The role after the run (in check mode, as it would be). Empty after a deletion.
  returned: always
  type: dict
  contains:
    id:
      description: vCenter role id (null when the role would be created in check mode).
      type: int
    name:
      description: Role name.
      type: str
    privileges:
      description: Privilege ids, without the implicit System ones.
      type: list
      elements: str
  sample: {"id": 1001, "name": "Azure_Site_Recovery", "privileges": ["Datastore.AllocateSpace", "Datastore.Browse"]}
action:
  description: What was (or in check mode would be) done.
  returned: always
  type: str
  sample: create
added_privileges:
  description: Privileges added to the role.
  returned: always
  type: list
  elements: str
removed_privileges:
  description: Privileges removed from the role.
  returned: always
  type: list
  elements: str
skipped_privileges:
  description: Privileges of the profile this vCenter does not define (for example the deprecated C(Datastore.DeleteFile)).
  returned: always
  type: list
  elements: str
compatibility:
  description: The existing role compared with the profile, before any change (PlateSpin C(/check_role) equivalent).
  returned: always
  type: dict
  contains:
    exists:
      description: Whether the role existed before the run.
      type: bool
    compatible:
      description: The role has every privilege of the profile.
      type: bool
    missing_privileges:
      description: Profile privileges the role lacks.
      type: list
      elements: str
    extra_privileges:
      description: Privileges the role has beyond the profile.
      type: list
      elements: str
used_by:
  description: Permissions that use the role (principal and object), as found before the run.
  returned: always
  type: list
  elements: dict
  sample: [{"path": "/DC1/vm/tenants/acme/acme-vm01", "principal": "VSPHERE.LOCAL\\acme-dr", "group": false, "propagate": false}]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.tenantdr.asr.plugins.module_utils.vcenter import (
    VCenterConnection, VCenterError, vcenter_argument_spec, require_pyvmomi, fault_text, vmodl,
)
from ansible_collections.tenantdr.asr.plugins.module_utils.role_profiles import (
    ProfileError, profile_privileges, check_privileges, compatibility, plan_role, SYSTEM_PRIVILEGES,
)


def main():
    argument_spec = vcenter_argument_spec()
    argument_spec.update(
        name=dict(type='str', default='Azure_Site_Recovery'),
        new_name=dict(type='str'),
        profile=dict(type='str', default='asr', choices=['asr', 'asr_no_failback', 'custom']),
        privileges=dict(type='list', elements='str', default=[]),
        privilege_mode=dict(type='str', default='replace', choices=['replace', 'add']),
        state=dict(type='str', default='present', choices=['present', 'absent']),
        force=dict(type='bool', default=False),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    require_pyvmomi(module)
    p = module.params
    if not p['name'] or not p['name'].strip():
        module.fail_json(msg='name must not be empty')

    try:
        with VCenterConnection(p) as vc:
            snap = vc.read_snapshot()
            result = run(module, vc, snap)
    except (VCenterError, ProfileError) as exc:
        module.fail_json(msg=str(exc))
    except vmodl.MethodFault as exc:
        module.fail_json(msg='vCenter refused the change: %s' % fault_text(exc))
    module.exit_json(**result)


def run(module, vc, snap):
    p = module.params
    existing = snap.find_role(p['name'])
    if existing is None and p['new_name']:
        existing = snap.find_role(p['new_name'])  # already renamed by an earlier run
    if existing is not None and existing['system']:
        raise ProfileError("role '%s' is a built-in vCenter system role and is never changed by this module; "
                           "choose another name" % existing['name'])

    desired, skipped = profile_privileges(p['profile'], snap.privileges)
    extra = [x for x in p['privileges'] if x not in SYSTEM_PRIVILEGES]
    check_privileges(extra, snap.privileges)
    desired = sorted(set(desired) | set(extra))

    compat = compatibility(existing['privileges'] if existing else [], desired)
    compat['exists'] = existing is not None
    used_by = []
    if existing is not None:
        used_by = [dict(path=snap.label(x['entity']), principal=x['principal'], group=x['group'], propagate=x['propagate'])
                   for x in snap.permissions if x['role_id'] == existing['id']]
        used_by.sort(key=lambda u: (u['path'], u['principal']))

    plan = plan_role(existing, p['name'], p['new_name'], desired, p['privilege_mode'], p['state'])
    if plan['action'] == 'delete' and used_by and not p['force']:
        raise ProfileError("role '%s' is still used by %d permission(s): %s. Remove those permissions first (offboard the "
                           "tenants) or set force: true to delete the role and its permissions"
                           % (existing['name'], len(used_by),
                              '; '.join('%s on %s' % (u['principal'], u['path']) for u in used_by[:20])
                              + ('; ...' if len(used_by) > 20 else '')))

    role_id = existing['id'] if existing else None
    final_name = plan['renamed_to'] or plan['name']
    if not module.check_mode:
        if plan['action'] == 'create':
            role_id = vc.add_role(final_name, plan['privileges'])
        elif plan['action'] == 'update':
            vc.update_role(existing['id'], final_name, plan['privileges'])
        elif plan['action'] == 'delete':
            vc.remove_role(existing['id'], fail_if_used=not p['force'])

    role = {} if plan['action'] == 'delete' or (p['state'] == 'absent' and existing is None) else dict(
        id=role_id, name=final_name, privileges=plan['privileges'])
    changed = plan['action'] != 'none'
    result = dict(changed=changed, action=plan['action'], role=role, added_privileges=plan['added'],
                  removed_privileges=plan['removed'], skipped_privileges=skipped, compatibility=compat, used_by=used_by)
    if module._diff:
        before = '' if existing is None else 'name: %s\n%s' % (existing['name'], ''.join(
            '- %s\n' % x for x in sorted(set(existing['privileges']) - set(SYSTEM_PRIVILEGES))))
        after = '' if not role else 'name: %s\n%s' % (role['name'], ''.join('- %s\n' % x for x in role['privileges']))
        result['diff'] = dict(before=before, after=after, before_header='role %s' % p['name'], after_header='role %s' % final_name)
    return result


if __name__ == '__main__':
    main()
