#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: tenantdr.asr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
module: asr_tenant_access
short_description: Give a DR tenant's users, groups or service principals a role on the tenant subscription
version_added: 0.1.0
description:
  - Ensures Azure role assignments (default V(Contributor)) for the given principals on the tenant's subscription or on
    one of its resource groups (seed guide "Multi-tenant support in Azure Site Recovery", step 5 - "Access control (IAM)
    > Add").
  - Principals are given by Entra ID object id and type. Where Microsoft Graph is reachable (O(verify_principals)), each
    principal is looked up first (C(directoryObjects/getByIds)) and the run is refused, before any assignment is
    written, when one does not exist or has another type than the one given, naming it.
  - Idempotent with deterministic assignment names (a UUID derived from scope, role and principal), so a re-run finds
    its own assignments by name; an assignment of the same role to the same principal at the same scope made elsewhere
    (another name) is recognised too, and ARM's 409 C(RoleAssignmentExists) is treated as "already there".
  - With O(state=absent) only the assignments described (these principals, this role, this scope) are removed;
    assignments of other roles, other scopes or inherited from above are left alone.
  - Object ids, the role and the resource group are checked before the first change.
author:
  - tenantdr.asr maintainers (@tenantdr)
extends_documentation_fragment:
  - tenantdr.asr.azure
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.actiongroups
attributes:
  check_mode:
    support: full
    details: Role assignments are only read; RV(changes) lists what a real run would create or remove.
  diff_mode:
    support: full
    details: Shows the matching assignments (role, scope, principal) before and after.
  platform:
    platforms: all
  action_group:
    support: full
    membership:
      - tenantdr.asr.azure
options:
  resource_group:
    description:
      - Assign at this resource group of the subscription instead of the whole subscription.
      - The resource group must exist.
    type: str
  principals:
    description:
      - The users, groups or service principals to give the role.
    type: list
    elements: dict
    required: true
    suboptions:
      object_id:
        description:
          - Entra ID object id (GUID) of the principal (not its user name or application id).
        type: str
        required: true
      type:
        description:
          - Principal type, sent as C(principalType) so that a principal created moments ago (for example a CSP user)
            can be assigned before Entra ID replication completes.
        type: str
        choices: [User, Group, ServicePrincipal, ForeignGroup, Device]
        default: User
  role:
    description:
      - Built-in role name (V(Owner), V(Contributor), V(Reader), V(User Access Administrator), V(Site Recovery Contributor),
        V(Site Recovery Operator), V(Site Recovery Reader); any case), or the GUID or full id of any role definition,
        custom roles included. The role definition is checked to exist before any change.
    type: str
    default: Contributor
  verify_principals:
    description:
      - V(auto) - look the principals up in Microsoft Graph when its endpoint is known (a built-in cloud, or
        O(graph_url)); when Graph cannot be reached or the sign-in may not read the directory, warn and go on.
      - V(always) - the same, but a Graph that cannot be reached fails the run.
      - V(never) - no look-up (principals are trusted as given).
      - Needs the Graph permission to read directory objects (for example C(Directory.Read.All)).
    type: str
    choices: [auto, always, never]
    default: auto
  principal_wait:
    description:
      - With O(verify_principals), how many seconds to keep looking for principals Graph does not find yet (a user
        created moments ago, for example by M(tenantdr.asr.csp_tenant_users), takes a while to replicate) before the
        run is refused.
    type: float
    default: 30
  graph_url:
    description:
      - Microsoft Graph endpoint for O(verify_principals); default is the cloud's (C(https://graph.microsoft.com) for
        V(AzureCloud)). Needed for a custom O(cloud_environment) URL.
      - Falls back to E(MICROSOFT_GRAPH_URL).
    type: str
  state:
    description:
      - V(present) creates the missing assignments; V(absent) removes the described ones.
    type: str
    choices: [present, absent]
    default: present
notes:
  - Creating and removing role assignments needs Owner or User Access Administrator (C(Microsoft.Authorization/roleAssignments/write))
    on the scope; in CSP that usually comes from the partner's GDAP "Azure managers" group.
seealso:
  - module: tenantdr.asr.asr_vault
"""

EXAMPLES = r"""
- name: Tenant users may manage Site Recovery in their subscription (Contributor, as the seed guide suggests)
  tenantdr.asr.asr_tenant_access:
    principals:
      - object_id: 6f1b3c1e-4a6d-4c4e-9d3c-2f6e8a1b0c11
      - object_id: 0d9a7f52-3b61-4f0e-8a5e-5c2d1e7b9a44
        type: Group

- name: An automation service principal gets Site Recovery Operator on the DR resource group only
  tenantdr.asr.asr_tenant_access:
    resource_group: rg-contoso-dr
    role: Site Recovery Operator
    principals:
      - object_id: "{{ dr_automation_sp_object_id }}"
        type: ServicePrincipal

- name: Offboarding - take the role away again
  tenantdr.asr.asr_tenant_access:
    principals:
      - object_id: 6f1b3c1e-4a6d-4c4e-9d3c-2f6e8a1b0c11
    state: absent
"""

RETURN = r"""
scope:
  description: The scope of the assignments.
  returned: always
  type: str
  sample: /subscriptions/0b1f6471-1bf0-4dda-aec3-111122223333
role_definition_id:
  description: Full id of the role definition.
  returned: always
  type: str
  sample: /subscriptions/0b1f6471-1bf0-4dda-aec3-111122223333/providers/Microsoft.Authorization/roleDefinitions/b24988ac-6180-42a0-ab88-20f7382dd24c
assignments:
  description:
    - The assignments of the role to the listed principals at the scope after the run (in check mode, as they would be;
      C(id) is null for one that would be created). Empty after O(state=absent).
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Assignment name (GUID).
      type: str
    id:
      description: Assignment id.
      type: str
    scope:
      description: Scope.
      type: str
    principal_id:
      description: Object id of the principal.
      type: str
    principal_type:
      description: Principal type.
      type: str
    role_definition_id:
      description: Role definition id.
      type: str
    role:
      description: Built-in role name, or the role definition GUID for other roles.
      type: str
  sample:
    - name: 3f1c0a44-2c47-5e0e-9b0c-8f6f2f7f6d10
      id: >-
        /subscriptions/0b1f6471-1bf0-4dda-aec3-111122223333/providers/Microsoft.Authorization/roleAssignments/3f1c0a44-2c47-5e0e-9b0c-8f6f2f7f6d10
      scope: /subscriptions/0b1f6471-1bf0-4dda-aec3-111122223333
      principal_id: 6f1b3c1e-4a6d-4c4e-9d3c-2f6e8a1b0c11
      principal_type: User
      role_definition_id: >-
        /subscriptions/0b1f6471-1bf0-4dda-aec3-111122223333/providers/Microsoft.Authorization/roleDefinitions/b24988ac-6180-42a0-ab88-20f7382dd24c
      role: Contributor
principals_verified:
  description: Whether the principals were checked in Microsoft Graph (exist, with the type given) before any change.
  returned: always
  type: bool
changes:
  description: What was (in check mode, would be) created or removed.
  returned: always
  type: list
  elements: str
  sample:
    - >-
      assign role Contributor on /subscriptions/0b1f6471-1bf0-4dda-aec3-111122223333 to User
      6f1b3c1e-4a6d-4c4e-9d3c-2f6e8a1b0c11 (assignment 3f1c0a44-2c47-5e0e-9b0c-8f6f2f7f6d10)
"""

import time

from ansible.module_utils.basic import env_fallback

from ansible_collections.tenantdr.asr.plugins.module_utils.azure_common import (
    AzureApiError, AzureSession, resource_group_missing, to_wire,
)
from ansible_collections.tenantdr.asr.plugins.module_utils.azure_module import AzureModuleBase
from ansible_collections.tenantdr.asr.plugins.module_utils.azure_access import (
    PRINCIPAL_TYPES, VERIFY_PRINCIPALS, AccessPlanError, assignment_name, assignment_view, describe_access_change,
    graph_endpoint_for, plan_access, resolve_role, role_definition_id, same_triple, scope_for, validate_access_params,
)


def access_options() -> dict:
    """The module's own options (the Azure connection options come from the module base)."""
    return dict(
        resource_group=dict(type="str"),
        principals=dict(type="list", elements="dict", required=True, options=dict(
            object_id=dict(type="str", required=True),
            type=dict(type="str", default="User", choices=list(PRINCIPAL_TYPES)),
        )),
        role=dict(type="str", default="Contributor"),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        verify_principals=dict(type="str", default="auto", choices=list(VERIFY_PRINCIPALS)),
        graph_url=dict(type="str", fallback=(env_fallback, ["MICROSOFT_GRAPH_URL"])),
        principal_wait=dict(type="float", default=30.0),
    )


def verify_principals(module, session: AzureSession, params: dict) -> bool:
    """Look the principals up in Microsoft Graph; fail the module on a missing or mistyped one. True when checked."""
    mode = params.get("verify_principals") or "auto"
    if mode == "never" or params.get("state") == "absent":
        return False
    endpoint = graph_endpoint_for(session.cloud.name, params.get("graph_url"))
    if endpoint is None:
        if mode == "always":
            module.fail_json(msg=f"verify_principals=always, but the Microsoft Graph endpoint of cloud {session.cloud.name} "
                                 "is not known: set graph_url")
        return False
    # Imported here: only this check needs the Graph client.
    from ansible_collections.tenantdr.asr.plugins.module_utils.azure_graph import (  # pylint: disable=import-outside-toplevel
        GraphClient, principal_type_problems,
    )
    client = GraphClient(endpoint[0], session.credential, endpoint[1])
    ids = [p["object_id"] for p in params["principals"]]
    waited, wait = 0.0, max(0.0, params.get("principal_wait") or 0.0)
    try:
        found = client.object_types(ids)
        while waited < wait and any(oid.lower() not in found for oid in ids):
            time.sleep(5.0)
            waited += 5.0
            found.update(client.object_types([oid for oid in ids if oid.lower() not in found]))
    except AzureApiError as exc:
        if mode == "always" or (exc.status is not None and exc.status not in (401, 403)):
            module.fail_json(msg=f"Checking the principals in Microsoft Graph failed: {exc.message}", error_code=exc.code,
                             status_code=exc.status)
        module.warn(f"principals not checked in Microsoft Graph ({exc.message}); assignments are written as given")
        return False
    finally:
        client.close()
    problems = principal_type_problems(params["principals"], found)
    if problems:
        module.fail_json(msg="Refusing to assign the role, nothing was written: " + "; ".join(problems), problems=problems,
                         error_code="PrincipalCheckFailed")
    return True


class AccessRun:
    def __init__(self, session: AzureSession, params: dict):
        self.session = session
        self.params = params
        self.role_guid, self.role_display = resolve_role(params["role"])
        self.scope = scope_for(session.subscription_id, params.get("resource_group"))
        self.role_definition_id = role_definition_id(session.subscription_id, self.role_guid)
        self.done = []
        self.found_on_conflict = []

    def read(self) -> dict:
        session, scope = self.session, self.scope
        auth = session.authorization
        rg = self.params.get("resource_group")
        missing = resource_group_missing(session, rg) if rg else None
        if missing:
            raise AccessPlanError(f"{missing} (Azure error ResourceGroupNotFound, subscription {session.subscription_id}); "
                                  "the role cannot be assigned there", code="ResourceGroupNotFound")
        try:
            session.call(f"reading role definition {self.role_guid}", auth.role_definitions.get, scope, self.role_guid)
        except AzureApiError as exc:
            if exc.status != 404:
                raise
            raise AccessPlanError(f"role {self.params['role']!r}: role definition {self.role_guid} does not exist at {scope}",
                                  code="RoleDefinitionDoesNotExist") from exc
        current = {}
        for principal in self.params["principals"]:
            object_id = principal["object_id"]
            name = assignment_name(scope, self.role_guid, object_id)
            try:
                by_name = assignment_view(to_wire(session.call(f"reading role assignment {name}", auth.role_assignments.get, scope, name)))
            except AzureApiError as exc:
                if exc.status != 404:
                    raise
                by_name = None
            listed = session.call(f"listing role assignments of {object_id}",
                                  lambda oid=object_id: [assignment_view(to_wire(a)) for a in
                                                         auth.role_assignments.list_for_scope(scope, filter=f"principalId eq '{oid}'")])
            current[object_id.lower()] = {"by_name": by_name, "matching": listed}
        return current

    def apply(self, changes: list) -> list:
        auth = self.session.authorization
        applied = []
        for change in changes:
            if change["action"] == "create":
                parameters = {"role_definition_id": self.role_definition_id, "principal_id": change["principal_id"],
                              "principal_type": change["principal_type"]}
                try:
                    created = self.session.call(f"assigning role {self.role_display} to {change['principal_id']}",
                                                auth.role_assignments.create, self.scope, change["name"], parameters)
                    change = dict(change, view=assignment_view(to_wire(created)))
                except AzureApiError as exc:
                    if exc.status == 409 and exc.code == "RoleAssignmentExists":
                        # Made meanwhile by someone else: the desired state holds and this run changed nothing.
                        self.found_on_conflict.extend(self._list_matching(change["principal_id"]))
                        continue
                    raise
            else:
                self.session.call(f"removing role assignment {change['name']}", auth.role_assignments.delete, self.scope, change["name"])
            applied.append(change)
            self.done.append(describe_access_change(change, self.role_display, self.scope))
        return applied

    def _list_matching(self, object_id: str) -> list:
        auth = self.session.authorization
        listed = self.session.call(f"listing role assignments of {object_id}",
                                   lambda: [assignment_view(to_wire(a)) for a in
                                            auth.role_assignments.list_for_scope(self.scope, filter=f"principalId eq '{object_id}'")])
        return [view for view in listed if same_triple(view, self.scope, self.role_guid, object_id)]

    def final_assignments(self, current: dict, changes: list) -> list:
        """Assignments of the role to the principals at the scope after the run (or as predicted in check mode)."""
        out = []
        deleted = {c["name"].lower() for c in changes if c["action"] == "delete"}
        for principal in self.params["principals"]:
            object_id = principal["object_id"]
            found = current.get(object_id.lower()) or {}
            views = ([found["by_name"]] if found.get("by_name") else []) + [
                v for v in (found.get("matching") or []) + self.found_on_conflict
                if same_triple(v, self.scope, self.role_guid, object_id)]
            seen = set()
            for view in views:
                if view["name"].lower() in seen or view["name"].lower() in deleted:
                    continue
                seen.add(view["name"].lower())
                out.append(view)
            for change in changes:
                if change["action"] == "create" and change["principal_id"].lower() == object_id.lower():
                    predicted = {"name": change["name"], "id": None, "scope": self.scope, "principal_id": object_id,
                                 "principal_type": change["principal_type"], "role_definition_id": self.role_definition_id,
                                 "role": self.role_display}
                    out.append(change.get("view") or predicted)
        return out


def diff_lines(assignments: list) -> list:
    return sorted(f"{a['role']} on {a['scope']} for {a.get('principal_type') or 'principal'} {a['principal_id']}" for a in assignments)


class TenantAccessModule(AzureModuleBase):
    """asr_tenant_access on the shared Azure module base (options, checks, session, error mapping)."""

    plan_errors = (AccessPlanError,)

    def module_options(self) -> dict:
        return access_options()

    def validate(self) -> list:
        return validate_access_params(self.params)

    def run(self) -> dict:
        module, params = self.module, self.params
        verified = verify_principals(module, self.session, params)
        run = AccessRun(self.session, params)
        self.done = run.done
        current = run.read()
        changes = plan_access(params["state"], run.scope, run.role_guid, params["principals"], current)
        if not module.check_mode:
            changes = run.apply(changes)

        before = run.final_assignments(current, [])
        after = run.final_assignments(current, changes)
        result = {
            "changed": bool(changes),
            "changes": [describe_access_change(c, run.role_display, run.scope) for c in changes],
            "scope": run.scope,
            "role_definition_id": run.role_definition_id,
            "assignments": after,
            "principals_verified": verified,
        }
        if module._diff:
            result["diff"] = {"before": {"assignments": diff_lines(before)}, "after": {"assignments": diff_lines(after)}}
        return result


def main():
    TenantAccessModule().execute()


if __name__ == "__main__":
    main()
