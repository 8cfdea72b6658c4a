# -*- coding: utf-8 -*-
# Copyright: tenantdr.asr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Microsoft Graph for tenantdr.asr: GDAP relationships and access assignments, directory object types.

Graph v1.0 ``tenantRelationships/delegatedAdminRelationships`` (learn
``graph/api/resources/delegatedadminrelationships-api-overview``): a relationship is created (``created``), locked
for approval with a ``lockForApproval`` request (``approvalPending``), approved by the customer through the approval
link (``active``); access assignments (a partner security group and its roles) are accepted only when it is active.
PATCH/DELETE need ``If-Match`` with the ETag. A relationship is ended with a ``terminate`` request.

Pure parts: :func:`validate_gdap_roles`, :func:`validate_gdap_duration`, :func:`plan_delegated_access`.
"""
from __future__ import annotations

import re
from urllib.parse import quote

from ansible_collections.tenantdr.asr.plugins.module_utils.azure_common import is_guid
from ansible_collections.tenantdr.asr.plugins.module_utils.azure_partner_center import RestClient

GDAP_PATH = "/v1.0/tenantRelationships/delegatedAdminRelationships"
APPROVAL_LINK = "https://admin.microsoft.com/AdminPortal/Home#/partners/invitation/granularAdminRelationships/{id}"
# Entra ID built-in role template ids GDAP accepts (learn "Microsoft Entra built-in roles"; hand-written table).
GDAP_ROLES = {
    "Global Administrator": "62e90394-69f5-4237-9190-012177145e10",
    "Global Reader": "f2ef992c-3afb-46b9-b7cf-a126ee74c451",
    "Directory Readers": "88d8e3e3-8f55-4a1e-953a-9b9898b8876b",
    "Directory Writers": "9360feb5-f418-4baa-8175-e2a00bac4301",
    "User Administrator": "fe930be7-5e62-47db-91af-98c3a49a38b1",
    "Privileged Role Administrator": "e8611ab8-c189-46e8-94e1-60213ab1f814",
    "Helpdesk Administrator": "729827e3-9c14-49f7-bb1b-9608f156bbb8",
    "Security Reader": "5d6b6bb7-de71-4623-b4af-96380a352509",
    "Security Administrator": "194ae4cb-b126-40b2-bd5b-6091b380977d",
    "Service Support Administrator": "f023fd81-a637-4b56-95fd-791ac0226033",
    "Billing Administrator": "b0f54661-2d74-4c50-afa3-1ec803f12efe",
    "Application Administrator": "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3",
    "Cloud Application Administrator": "158c047a-c907-4556-b7ef-446551a6b5f7",
}
# Azure management through GDAP: read the directory and manage the tenant's users (the Azure RBAC Owner role on the
# subscription comes with the subscription the partner creates under the Azure plan).
DEFAULT_GDAP_ROLES = ["Directory Readers", "User Administrator"]
DEFAULT_GDAP_DURATION = "P730D"
GDAP_MAX_DAYS = 730      # Graph: "between P1D and P2Y inclusive"
GDAP_DISPLAY_NAME_MAX = 50
DURATION_RE = re.compile(r"^P(?:(?P<y>\d+)Y)?(?:(?P<w>\d+)W)?(?:(?P<d>\d+)D)?$")
GRAPH_TYPES = {"#microsoft.graph.user": "User", "#microsoft.graph.group": "Group",
               "#microsoft.graph.servicePrincipal": "ServicePrincipal", "#microsoft.graph.device": "Device"}


class GraphClient(RestClient):
    service = "Microsoft Graph"

    def collection(self, path: str, doing: str, params: dict | None = None) -> list:
        out = []
        _status, data, _headers = self.request("GET", path, doing, params=params)
        while True:
            out.extend((data or {}).get("value") or [])
            nxt = (data or {}).get("@odata.nextLink")
            if not nxt:
                return out
            _status, data, _headers = self.request("GET", nxt[len(self.base_url):] if nxt.startswith(self.base_url) else nxt, doing)

    # GDAP
    def relationships(self, customer_tenant_id: str) -> list:
        return self.collection(GDAP_PATH, "listing the GDAP relationships",
                               params={"$filter": f"customer/tenantId eq '{customer_tenant_id}'"})

    def create_relationship(self, body: dict) -> dict:
        return self.request("POST", GDAP_PATH, f"creating GDAP relationship {body['displayName']}", body=body, ok=(201,))[1]

    def relationship_request(self, relationship_id: str, action: str) -> dict:
        return self.request("POST", f"{GDAP_PATH}/{relationship_id}/requests", f"sending {action} for GDAP relationship "
                            f"{relationship_id}", body={"action": action}, ok=(201,))[1]

    def get_relationship(self, relationship_id: str) -> dict:
        return self.request("GET", f"{GDAP_PATH}/{relationship_id}", f"reading GDAP relationship {relationship_id}")[1]

    def delete_relationship(self, relationship_id: str, etag: str) -> None:
        self.request("DELETE", f"{GDAP_PATH}/{relationship_id}", f"deleting GDAP relationship {relationship_id}",
                     headers={"If-Match": etag}, ok=(204,))

    def access_assignments(self, relationship_id: str) -> list:
        return self.collection(f"{GDAP_PATH}/{relationship_id}/accessAssignments", "listing the GDAP access assignments")

    def create_access_assignment(self, relationship_id: str, body: dict) -> dict:
        return self.request("POST", f"{GDAP_PATH}/{relationship_id}/accessAssignments",
                            f"assigning group {body['accessContainer']['accessContainerId']} in GDAP relationship "
                            f"{relationship_id}", body=body, ok=(201,))[1]

    # directory
    def object_types(self, object_ids: list) -> dict:
        """object id (lower) -> "User" / "Group" / "ServicePrincipal" / "Device" for the ids that exist."""
        if not object_ids:
            return {}
        _status, data, _headers = self.request("POST", "/v1.0/directoryObjects/getByIds", "looking the principals up in "
                                               "Microsoft Graph", body={"ids": list(object_ids),
                                                                        "types": ["user", "group", "servicePrincipal", "device"]},
                                               ok=(200,))
        out = {}
        for obj in (data or {}).get("value") or []:
            out[str(obj.get("id")).lower()] = GRAPH_TYPES.get(obj.get("@odata.type"), obj.get("@odata.type"))
        return out

    def group(self, group_id: str):
        return self.request("GET", f"/v1.0/groups/{quote(group_id)}", f"reading group {group_id}", missing_ok=True)[1]


# ---------------------------------------------------------------------------------------------------------------------
# Validation and planning (pure)
# ---------------------------------------------------------------------------------------------------------------------
def resolve_gdap_role(role: str) -> str | None:
    value = (role or "").strip()
    for name, guid in GDAP_ROLES.items():
        if value.lower() == name.lower():
            return guid
    if is_guid(value) and value.lower() in GDAP_ROLES.values():
        return value.lower()
    return None


def validate_gdap_roles(roles: list) -> list:
    """Each role must be a known Entra built-in role (name or role template id)."""
    if not roles:
        return ["roles must list at least one Entra ID role for the GDAP relationship"]
    problems = []
    for role in roles:
        if resolve_gdap_role(role) is None:
            problems.append(f"GDAP role {role!r} is not a known Entra ID built-in role: use one of "
                            f"{', '.join(GDAP_ROLES)} (or its role template id)")
    return problems


def duration_days(value: str) -> int | None:
    match = DURATION_RE.match(value or "")
    if not match or not any(match.groupdict().values()):
        return None
    parts = {k: int(v or 0) for k, v in match.groupdict().items()}
    return parts["y"] * 365 + parts["w"] * 7 + parts["d"]


def validate_gdap_duration(value) -> list:
    days = duration_days(value)
    if days is None:
        return [f"duration {value!r} is not an ISO 8601 duration in days (for example P730D, P90D or P2Y)"]
    if not 1 <= days <= GDAP_MAX_DAYS:
        return [f"duration {value!r} is {days} days; Microsoft Graph allows P1D to P2Y ({GDAP_MAX_DAYS} days)"]
    return []


def validate_gdap_display_name(value) -> list:
    if not (value or "").strip():
        return ["relationship display name is required"]
    if len(value) > GDAP_DISPLAY_NAME_MAX:
        return [f"relationship display name {value!r} is {len(value)} characters; Graph allows at most {GDAP_DISPLAY_NAME_MAX}"]
    return []


def relationship_body(display_name: str, customer_tenant_id: str, customer_name: str, role_ids: list, duration: str,
                      auto_extend: str | None) -> dict:
    body = {"displayName": display_name, "duration": duration,
            "customer": {"tenantId": customer_tenant_id, "displayName": customer_name},
            "accessDetails": {"unifiedRoles": [{"roleDefinitionId": rid} for rid in role_ids]}}
    if auto_extend:
        body["autoExtendDuration"] = auto_extend
    return body


def approval_link(relationship_id: str) -> str:
    return APPROVAL_LINK.format(id=relationship_id)


LIVE_STATES = ("created", "approvalPending", "activating", "active", "terminationRequested", "terminating")


def find_relationship(relationships: list, display_name: str):
    """The live relationship with this display name (ended ones - terminated, expired - are ignored)."""
    live = [r for r in relationships or [] if r.get("displayName") == display_name and r.get("status") in LIVE_STATES]
    return live[0] if live else None


#: GDAP relationship statuses in which it is ended or being ended (Graph delegatedAdminRelationshipStatus).
ENDED_STATUSES = ("terminationRequested", "terminating", "terminated", "expired", "expiring")


def plan_delegated_access(state: str, relationship, assignments: list, group_id: str | None) -> list:
    """Steps for the GDAP relationship. ``relationship``: the current one (Graph JSON) or None."""
    steps = []
    status = (relationship or {}).get("status")
    if state == "absent":
        # Graph: a relationship still "created" is deleted; an "active" one ends with a terminate request; one
        # awaiting the customer's approval can be neither (it lapses unless approved); ended ones need nothing.
        if relationship is None or status in ENDED_STATUSES + ("approvalPending",):
            return steps
        steps.append({"action": "delete" if status == "created" else "terminate"})
        return steps
    if relationship is None:
        steps += [{"action": "create"}, {"action": "lockForApproval"}]
        return steps
    if status == "created":
        steps.append({"action": "lockForApproval"})
    if status == "active" and group_id:
        have = [a for a in assignments or [] if ((a.get("accessContainer") or {}).get("accessContainerId") or "").lower()
                == group_id.lower() and a.get("status") not in ("deleted", "deleting", "error")]
        if not have:
            steps.append({"action": "assign", "group_id": group_id})
    return steps


def assignment_body(group_id: str, role_ids: list) -> dict:
    return {"accessContainer": {"accessContainerId": group_id, "accessContainerType": "securityGroup"},
            "accessDetails": {"unifiedRoles": [{"roleDefinitionId": rid} for rid in role_ids]}}


def principal_type_problems(principals: list, found: dict) -> list:
    """Principals that do not exist, or exist with another type than the one given (pure)."""
    problems = []
    for index, principal in enumerate(principals):
        object_id = principal["object_id"]
        wanted = principal.get("type") or "User"
        actual = found.get(object_id.lower())
        if actual is None:
            problems.append(f"principals[{index}] {object_id} ({wanted}) does not exist in the directory")
        elif wanted == "ForeignGroup" and actual == "Group":
            continue
        elif actual != wanted:
            problems.append(f"principals[{index}] {object_id} is a {actual} in the directory, not a {wanted}: set type: {actual}")
    return problems
