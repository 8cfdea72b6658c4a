#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: tenantdr.asr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
module: csp_delegated_access
short_description: Granular delegated admin (GDAP) relationship with a DR tenant - create, approval link, status, group access
version_added: 0.2.0
description:
  - Seed guide step 2 as it is done today - GDAP through Microsoft Graph
    (C(tenantRelationships/delegatedAdminRelationships)).
  - Finds the live relationship with the customer by O(display_name) or creates it (roles and duration as options)
    and locks it for approval (C(lockForApproval)); returns RV(approval_link), the link the customer's Global
    Administrator must open, and reports the status on every run.
  - Two-phase like Site Recovery - while the customer has not approved, the run ends green with RV(pending) set and
    RV(pending_reason) saying what is awaited; once the relationship is C(active), the provider's security group
    (O(security_group_id)) gets the relationship's roles (an access assignment).
  - O(state=absent) ends the relationship - a C(terminate) request when it is active, a delete (with C(If-Match)) when
    it was only created. One that awaits the customer's approval can be neither ended nor deleted through Graph, so it is
    left alone with a warning (unless approved, it lapses).
author:
  - tenantdr.asr maintainers (@tenantdr)
extends_documentation_fragment:
  - tenantdr.asr.partner_center
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.actiongroups
attributes:
  check_mode:
    support: full
    details: Reads the relationships and assignments; RV(changes) lists what a real run would send.
  diff_mode:
    support: full
    details: Shows the relationship status and the assigned groups before and after.
  platform:
    platforms: all
  action_group:
    support: full
    membership:
      - tenantdr.asr.partner_center
options:
  customer_tenant_id:
    description: The customer's tenant id (the CSP customer id).
    type: str
    required: true
  customer_name:
    description: The customer's display name, shown to the customer in the request.
    type: str
  display_name:
    description:
      - Name of the relationship (at most 50 characters, unique among the partner's relationships); it is how a
        re-run finds the relationship.
    type: str
    required: true
  roles:
    description:
      - Entra ID roles of the relationship, by name (for example V(Directory Readers)) or role template id.
      - Known roles - Global Administrator, Global Reader, Directory Readers, Directory Writers, User Administrator,
        Privileged Role Administrator, Helpdesk Administrator, Security Reader, Security Administrator, Service Support
        Administrator, Billing Administrator, Application Administrator, Cloud Application Administrator.
    type: list
    elements: str
    default: [Directory Readers, User Administrator]
  duration:
    description: Duration of the relationship, ISO 8601 in days or years, between V(P1D) and V(P2Y) (730 days).
    type: str
    default: P730D
  auto_extend_duration:
    description: V(P180D) to have Graph extend the relationship automatically (not allowed with Global Administrator).
    type: str
  security_group_id:
    description:
      - Object id of the provider's security group (in the partner tenant) that gets the relationship's roles once the
        customer has approved.
    type: str
  state:
    description: V(present) creates/follows the relationship; V(absent) ends it.
    type: str
    choices: [present, absent]
    default: present
notes:
  - Needs the Graph application permission C(DelegatedAdminRelationship.ReadWrite.All) in the partner tenant.
  - Changing O(roles) or O(duration) of an existing relationship is not possible in Graph; the module reports the
    difference and leaves the relationship as it is.
seealso:
  - module: tenantdr.asr.csp_customer
"""

EXAMPLES = r"""
- name: GDAP relationship with the tenant; prints the approval link while pending
  tenantdr.asr.csp_delegated_access:
    customer_tenant_id: "{{ csp_customer.customer.id }}"
    customer_name: Contoso DR Ltd
    display_name: tenantdr-contoso
    security_group_id: 7c1d2e3f-4a5b-4c6d-8e9f-0a1b2c3d4e5f
  register: gdap

- name: End the relationship on offboarding
  tenantdr.asr.csp_delegated_access:
    customer_tenant_id: "{{ csp_customer.customer.id }}"
    display_name: tenantdr-contoso
    state: absent
"""

RETURN = r"""
relationship:
  description: The relationship after the run (null when there is none).
  returned: always
  type: dict
  contains:
    id:
      description: Relationship id (null in check mode for one to be created).
      type: str
    display_name:
      description: Display name.
      type: str
    status:
      description: Graph status - C(created), C(approvalPending), C(active), C(terminationRequested), C(terminated), ...
      type: str
    duration:
      description: Duration.
      type: str
    roles:
      description: Role template ids of the relationship.
      type: list
      elements: str
  sample: {"id": "5d9e...-...", "display_name": "tenantdr-contoso", "status": "approvalPending", "duration": "P730D",
           "roles": ["88d8e3e3-8f55-4a1e-953a-9b9898b8876b"]}
approval_link:
  description: The link the customer's Global Administrator opens to approve the relationship.
  returned: when a relationship exists or would be created
  type: str
  sample: https://admin.microsoft.com/AdminPortal/Home#/partners/invitation/granularAdminRelationships/5d9e...
pending:
  description: True while the relationship awaits the customer's approval (or activation).
  returned: always
  type: bool
pending_reason:
  description: What is awaited, for the run's summary.
  returned: always
  type: str
assigned_groups:
  description: Security groups with an access assignment in the relationship.
  returned: always
  type: list
  elements: str
warnings_roles:
  description: Differences between the requested and the existing relationship's roles or duration (not changed).
  returned: always
  type: list
  elements: str
changes:
  description: What was (in check mode, would be) sent.
  returned: always
  type: list
  elements: str
"""

from ansible_collections.tenantdr.asr.plugins.module_utils.azure_common import is_guid
from ansible_collections.tenantdr.asr.plugins.module_utils.azure_graph import (
    DEFAULT_GDAP_DURATION, DEFAULT_GDAP_ROLES, GDAP_ROLES, approval_link, assignment_body, duration_days,
    find_relationship, plan_delegated_access, relationship_body, resolve_gdap_role, validate_gdap_display_name,
    validate_gdap_duration, validate_gdap_roles,
)
from ansible_collections.tenantdr.asr.plugins.module_utils.azure_module import PartnerCenterModuleBase


def relationship_view(rel) -> dict | None:
    if rel is None:
        return None
    return {"id": rel.get("id"), "display_name": rel.get("displayName"), "status": rel.get("status"),
            "duration": rel.get("duration"),
            "roles": [r.get("roleDefinitionId") for r in ((rel.get("accessDetails") or {}).get("unifiedRoles") or [])]}


def pending_reason(status, group_id, assigned) -> str:
    if status in (None, "created", "approvalPending"):
        return "waiting for the customer to approve the GDAP relationship (open the approval link as the customer's Global Administrator), then re-run"
    if status == "activating":
        return "the customer approved; Microsoft is activating the relationship - re-run in a few minutes"
    if status == "active" and group_id and group_id.lower() not in [g.lower() for g in assigned]:
        return "the relationship is active; the security group assignment is pending"
    return ""


class DelegatedAccessModule(PartnerCenterModuleBase):
    """csp_delegated_access on the shared module base (Partner Center / Graph connection, checks, session, errors)."""

    def module_options(self) -> dict:
        return {"customer_tenant_id": {"type": "str", "required": True}, "customer_name": {"type": "str"},
                "display_name": {"type": "str", "required": True},
                "roles": {"type": "list", "elements": "str", "default": list(DEFAULT_GDAP_ROLES)},
                "duration": {"type": "str", "default": DEFAULT_GDAP_DURATION}, "auto_extend_duration": {"type": "str"},
                "security_group_id": {"type": "str"},
                "state": {"type": "str", "default": "present", "choices": ["present", "absent"]}}

    def validate(self) -> list:
        params = self.params
        problems = validate_gdap_display_name(params["display_name"])
        if not is_guid(params["customer_tenant_id"]):
            problems.append(f"customer_tenant_id {params['customer_tenant_id']!r} is not a tenant id (GUID)")
        if params["state"] == "present":
            problems += validate_gdap_roles(params["roles"]) + validate_gdap_duration(params["duration"])
            extend = params.get("auto_extend_duration")
            if extend and extend not in ("P180D", "PT0S"):
                problems.append(f"auto_extend_duration {extend!r} is not allowed: Graph accepts P180D (or PT0S for none)")
            if extend == "P180D" and resolve_gdap_role("Global Administrator") in [resolve_gdap_role(r) for r in params["roles"]]:
                problems.append("auto_extend_duration P180D is not allowed with the Global Administrator role")
            group = params.get("security_group_id")
            if group and not is_guid(group):
                problems.append(f"security_group_id {group!r} is not a group object id (GUID)")
        return problems

    def run(self) -> dict:
        module, params = self.module, self.params
        role_ids = [resolve_gdap_role(r) for r in params["roles"]] if params["state"] == "present" else []
        group_id = params.get("security_group_id")
        self.done = changes = []
        notes = []
        graph = self.session.graph
        rel = find_relationship(graph.relationships(params["customer_tenant_id"]), params["display_name"])
        before = relationship_view(rel)
        assignments = graph.access_assignments(rel["id"]) if rel and rel.get("status") == "active" else []
        before_groups = sorted((a.get("accessContainer") or {}).get("accessContainerId") for a in assignments
                               if a.get("status") not in ("deleted", "deleting", "error"))
        if group_id and params["state"] == "present" and rel and rel.get("status") == "active":
            if graph.group(group_id) is None:
                self.fail(msg=f"security_group_id {group_id} is not a group in the partner tenant", error_code="GroupNotFound")
        if rel is not None and params["state"] == "present":
            have = sorted(r.lower() for r in relationship_view(rel)["roles"])
            if have != sorted(role_ids):
                names = {v: k for k, v in GDAP_ROLES.items()}
                notes.append(f"relationship {params['display_name']} has roles {', '.join(names.get(r, r) for r in have)}; "
                             "Graph cannot change the roles of a relationship - end it and create a new one to change them")
            if duration_days(rel.get("duration")) != duration_days(params["duration"]):
                notes.append(f"relationship {params['display_name']} has duration {rel.get('duration')}, not {params['duration']} (unchanged)")
        steps = plan_delegated_access(params["state"], rel, assignments, group_id)
        for step in steps:
            action = step["action"]
            if action == "create":
                changes.append(f"create GDAP relationship {params['display_name']} with customer {params['customer_tenant_id']} "
                               f"({len(role_ids)} roles, {params['duration']})")
                if not module.check_mode:
                    rel = graph.create_relationship(relationship_body(
                        params["display_name"], params["customer_tenant_id"], params.get("customer_name") or params["display_name"],
                        role_ids, params["duration"], params.get("auto_extend_duration")))
            elif action == "lockForApproval":
                changes.append(f"lock GDAP relationship {params['display_name']} for the customer's approval")
                if not module.check_mode:
                    graph.relationship_request(rel["id"], "lockForApproval")
                    rel = graph.get_relationship(rel["id"])
            elif action == "assign":
                changes.append(f"assign security group {group_id} the relationship's roles")
                if not module.check_mode:
                    roles = [{"roleDefinitionId": r} for r in relationship_view(rel)["roles"]]
                    created = graph.create_access_assignment(rel["id"], assignment_body(group_id, [r["roleDefinitionId"] for r in roles]))
                    assignments = assignments + [created]
            elif action == "terminate":
                changes.append(f"end GDAP relationship {params['display_name']} (terminate)")
                if not module.check_mode:
                    graph.relationship_request(rel["id"], "terminate")
                    rel = graph.get_relationship(rel["id"])
            elif action == "delete":
                changes.append(f"delete GDAP relationship {params['display_name']} (never approved)")
                if not module.check_mode:
                    graph.delete_relationship(rel["id"], rel.get("@odata.etag"))
                    rel = None

        after = relationship_view(rel)
        if module.check_mode and after is None and params["state"] == "present":
            after = {"id": None, "display_name": params["display_name"], "status": "approvalPending",
                     "duration": params["duration"], "roles": role_ids}
        elif module.check_mode and after is not None and any(s["action"] == "lockForApproval" for s in steps):
            after = dict(after, status="approvalPending")
        assigned = [(a.get("accessContainer") or {}).get("accessContainerId") for a in assignments
                    if a.get("status") not in ("deleted", "deleting", "error")]
        if module.check_mode and any(s["action"] == "assign" for s in steps):
            assigned.append(group_id)
        status = (after or {}).get("status")
        if params["state"] == "absent" and status == "approvalPending":
            module.warn(f"GDAP relationship {params['display_name']} awaits the customer's approval: Graph can neither end "
                        "nor delete it now; it lapses unless approved (run the offboarding again after an approval to end it)")
        reason = pending_reason(status, group_id, assigned) if params["state"] == "present" else ""
        result = {"changed": bool(changes), "changes": changes, "relationship": after, "pending": bool(reason),
                  "pending_reason": reason, "assigned_groups": assigned, "warnings_roles": notes}
        if after and after.get("id"):
            result["approval_link"] = approval_link(after["id"])
        elif after:
            result["approval_link"] = approval_link("<id of the relationship to be created>")
        for note in notes:
            module.warn(note)
        if module._diff:
            result["diff"] = {"before": {"status": (before or {}).get("status"), "groups": before_groups},
                              "after": {"status": status, "groups": sorted(assigned)}}
        return result


def main():
    DelegatedAccessModule().execute()


if __name__ == "__main__":
    main()
