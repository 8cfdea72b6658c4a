#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: tenantdr.asr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
module: csp_tenant_users
short_description: Create or remove a DR tenant's user accounts in the CSP customer's directory
version_added: 0.2.0
description:
  - Seed guide step 5 (the tenant's users), through Partner Center's customer users API
    (C(/v1/customers/{id}/users)).
  - Idempotent by user principal name - a user that exists is left as it is. A new user gets a random initial password
    (change at first sign-in) that is written to O(secrets_path) (JSON, mode 0600) and never printed or returned.
  - Returns each user's object id, for M(tenantdr.asr.asr_tenant_access) to give the role.
  - O(state=absent) removes only the users this collection created (those recorded in O(secrets_path)); any other
    user with a listed name is left alone and reported.
author:
  - tenantdr.asr maintainers (@tenantdr)
extends_documentation_fragment:
  - tenantdr.asr.partner_center
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.actiongroups
attributes:
  check_mode:
    support: full
    details: Lists the customer's users; RV(changes) lists what a real run would create or remove.
  diff_mode:
    support: full
    details: Shows the listed users present before and after.
  platform:
    platforms: all
  action_group:
    support: full
    membership:
      - tenantdr.asr.partner_center
options:
  customer_id:
    description: The customer's id (its tenant id).
    type: str
    required: true
  domain:
    description: The customer's domain; every user principal name must be in it.
    type: str
  users:
    description: The tenant's users.
    type: list
    elements: dict
    required: true
    suboptions:
      user_principal_name:
        description: User principal name (C(name@domain)).
        type: str
        required: true
      display_name:
        description: Display name.
        type: str
        required: true
      first_name:
        description: First name (default - the first word of O(users[].display_name)).
        type: str
      last_name:
        description: Last name (default - the rest of O(users[].display_name)).
        type: str
      usage_location:
        description: Two-letter usage location (licensing).
        type: str
        default: US
  secrets_path:
    description: JSON file (mode 0600) with the initial passwords of the users this collection created.
    type: path
    required: true
  state:
    description: V(present) creates the missing users; V(absent) removes the listed users this collection created.
    type: str
    choices: [present, absent]
    default: present
notes:
  - Partner Center documents the customer users API as App+User; an application that Partner Center refuses app-only
    gets Partner Center's error code back.
seealso:
  - module: tenantdr.asr.asr_tenant_access
"""

EXAMPLES = r"""
- name: The tenant's DR operators
  tenantdr.asr.csp_tenant_users:
    customer_id: "{{ csp_customer.customer.id }}"
    domain: contosodr.onmicrosoft.com
    users:
      - user_principal_name: dr.operator@contosodr.onmicrosoft.com
        display_name: DR Operator
    secrets_path: /var/lib/tenantdr/contoso/csp-secrets.json
  register: tenant_users
"""

RETURN = r"""
users:
  description: The listed users present after the run (C(id) null in check mode for one to be created).
  returned: always
  type: list
  elements: dict
  contains:
    user_principal_name:
      description: User principal name.
      type: str
    id:
      description: Object id.
      type: str
    created_by_collection:
      description: Whether this collection created the user (its initial password is in O(secrets_path)).
      type: bool
  sample: [{"user_principal_name": "dr.operator@contosodr.onmicrosoft.com", "id": "6f1b3c1e-...", "created_by_collection": true}]
principals:
  description: The users with an object id as M(tenantdr.asr.asr_tenant_access) takes them (C(object_id), C(type=User)).
  returned: always
  type: list
  elements: dict
  sample: [{"object_id": "6f1b3c1e-4a6d-4c4e-9d3c-2f6e8a1b0c11", "type": "User"}]
changes:
  description: What was (in check mode, would be) created or removed.
  returned: always
  type: list
  elements: str
found:
  description: The listed users that existed before the run (user principal name, object id, created by this collection).
  returned: always
  type: list
  elements: dict
  sample: [{"user_principal_name": "dr.operator@contosodr.onmicrosoft.com", "id": "6f1b3c1e-...", "created_by_collection": true}]
created_principals:
  description: RV(found) users this collection created, as M(tenantdr.asr.asr_tenant_access) takes them (offboarding).
  returned: always
  type: list
  elements: dict
  sample: [{"object_id": "6f1b3c1e-4a6d-4c4e-9d3c-2f6e8a1b0c11", "type": "User"}]
kept:
  description: Users O(state=absent) left alone because this collection did not create them.
  returned: always
  type: list
  elements: str
"""

from ansible_collections.tenantdr.asr.plugins.module_utils.azure_common import is_guid
from ansible_collections.tenantdr.asr.plugins.module_utils.azure_module import PartnerCenterModuleBase
from ansible_collections.tenantdr.asr.plugins.module_utils.azure_partner_center import (
    new_password, plan_users, read_secrets, user_body, validate_user_principal_names, write_secrets,
)


class TenantUsersModule(PartnerCenterModuleBase):
    """csp_tenant_users on the shared module base (Partner Center connection, checks, session, error mapping)."""

    def module_options(self) -> dict:
        return {"customer_id": {"type": "str", "required": True}, "domain": {"type": "str"},
                "users": {"type": "list", "elements": "dict", "required": True, "options": {
                    "user_principal_name": {"type": "str", "required": True},
                    "display_name": {"type": "str", "required": True}, "first_name": {"type": "str"},
                    "last_name": {"type": "str"}, "usage_location": {"type": "str", "default": "US"}}},
                "secrets_path": {"type": "path", "required": True, "no_log": False},
                "state": {"type": "str", "default": "present", "choices": ["present", "absent"]}}

    def validate(self) -> list:
        params = self.params
        problems = validate_user_principal_names(params["users"], params.get("domain"))
        if not is_guid(params["customer_id"]):
            problems.append(f"customer_id {params['customer_id']!r} is not a customer id (GUID)")
        return problems

    def run(self) -> dict:
        module, params = self.module, self.params
        customer_id = params["customer_id"]
        self.done = changes = []
        kept = []
        created_before = (read_secrets(params["secrets_path"]).get("users") or {})
        pc = self.session.partner_center
        current = pc.users(customer_id)
        plan = plan_users(params["state"], params["users"], current, created_before)
        by_upn = {(u.get("userPrincipalName") or "").lower(): u for u in current}
        before = sorted(u["user_principal_name"] for u in params["users"] if u["user_principal_name"].lower() in by_upn)
        own = {k.lower() for k in created_before}
        found = [{"user_principal_name": u["user_principal_name"], "id": by_upn[u["user_principal_name"].lower()].get("id"),
                  "created_by_collection": u["user_principal_name"].lower() in own}
                 for u in params["users"] if u["user_principal_name"].lower() in by_upn]
        wanted = {u["user_principal_name"].lower(): u for u in params["users"]}
        for change in plan:
            upn = change["user_principal_name"]
            if change["action"] == "keep":
                kept.append(f"{upn}: {change['reason']}")
            elif change["action"] == "create":
                changes.append(f"create user {upn}")
                if not module.check_mode:
                    password = new_password()
                    created = pc.create_user(customer_id, user_body(wanted[upn.lower()], password))
                    by_upn[upn.lower()] = created

                    def record(data, _upn=upn, _pw=password, _id=created.get("id")):
                        data.setdefault("users", {})[_upn] = {"id": _id, "initial_password": _pw, "customer_id": customer_id}
                    write_secrets(params["secrets_path"], record)
                else:
                    by_upn[upn.lower()] = {"userPrincipalName": upn, "id": None}
            else:
                changes.append(f"delete user {upn} (created by tenantdr.asr)")
                if not module.check_mode:
                    pc.delete_user(customer_id, change["id"], upn)

                    def forget(data, _upn=upn):
                        (data.get("users") or {}).pop(_upn, None)
                    write_secrets(params["secrets_path"], forget)
                by_upn.pop(upn.lower(), None)
        created_upns = {k.lower() for k in (read_secrets(params["secrets_path"]).get("users") or {})} | {
            c.split(" ")[2].lower() for c in changes if c.startswith("create user")}
        users = [{"user_principal_name": u["user_principal_name"], "id": by_upn[u["user_principal_name"].lower()].get("id"),
                  "created_by_collection": u["user_principal_name"].lower() in created_upns}
                 for u in params["users"] if u["user_principal_name"].lower() in by_upn]
        for note in kept:
            module.warn(note)
        principals = [{"object_id": u["id"], "type": "User"} for u in users if u["id"]]
        result = {"changed": bool(changes), "changes": changes, "users": users, "principals": principals, "found": found,
                  "created_principals": [{"object_id": f["id"], "type": "User"} for f in found
                                         if f["created_by_collection"] and f["id"]],
                  "kept": kept}
        if module._diff:
            result["diff"] = {"before": {"users": before}, "after": {"users": sorted(u["user_principal_name"] for u in users)}}
        return result


def main():
    TenantUsersModule().execute()


if __name__ == "__main__":
    main()
