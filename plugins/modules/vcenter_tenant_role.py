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

from ansible_collections.tenantdr.asr.plugins.module_utils.vcenter_module import VCenterModule
from ansible_collections.tenantdr.asr.plugins.module_utils.role_profiles import ProfileError, SYSTEM_PRIVILEGES
from ansible_collections.tenantdr.asr.plugins.module_utils.tenant_converge import converge_role, desired_privileges


def used_by_reader(vc):
    """The permissions that use a role: RetrieveRolePermissions, then the entities' paths in one parent walk."""
    def used_by(role):
        perms = vc.role_permissions(role['id'])
        paths = vc.entity_paths([(x['entity_type'], x['entity']) for x in perms])
        out = [dict(path=paths.get(x['entity'], x['entity']), principal=x['principal'], group=x['group'],
                    propagate=x['propagate']) for x in perms]
        return sorted(out, key=lambda u: (u['path'], u['principal']))
    return used_by


def work(vcm):
    p = vcm.params
    if not p['name'] or not p['name'].strip():
        raise ProfileError('name must not be empty')
    with vcm.session() as vc:
        snap = vc.read_roles()  # roles and privileges only: no inventory read
        desired, skipped = desired_privileges(p['profile'], p['privileges'], snap.privileges)
        r = converge_role(vc, snap, p['name'], desired, privilege_mode=p['privilege_mode'], state=p['state'],
                          new_name=p['new_name'], force=p['force'], check_mode=vcm.check_mode, used_by=used_by_reader(vc))
    final_name = r['role'].get('name') or p['new_name'] or p['name']
    result = dict(changed=r['changed'], action=r['action'], role=r['role'], added_privileges=r['added_privileges'],
                  removed_privileges=r['removed_privileges'], skipped_privileges=skipped,
                  compatibility=r['compatibility'], used_by=r['used_by'])
    if vcm.module._diff:
        before = '' if r['before'] is None else 'name: %s\n%s' % (r['before']['name'], ''.join(
            '- %s\n' % x for x in r['before']['privileges']))
        after = '' if not r['role'] else 'name: %s\n%s' % (r['role']['name'], ''.join(
            '- %s\n' % x for x in r['role']['privileges'] if x not in SYSTEM_PRIVILEGES))
        result['diff'] = dict(before=before, after=after, before_header='role %s' % p['name'], after_header='role %s' % final_name)
    return result


def main():
    VCenterModule(argument_spec=dict(
        name=dict(type='str', default='Azure_Site_Recovery'),
        new_name=dict(type='str'),
        profile=dict(type='str', default='asr', choices=['asr', 'asr_no_failback', 'custom']),
        privileges=dict(type='list', elements='str', default=[]),
        privilege_mode=dict(type='str', default='replace', choices=['replace', 'add']),
        state=dict(type='str', default='present', choices=['present', 'absent']),
        force=dict(type='bool', default=False),
    )).run(work)


if __name__ == '__main__':
    main()
