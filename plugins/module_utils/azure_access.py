# -*- coding: utf-8 -*-
# Copyright: tenantdr.asr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure logic of ``tenantdr.asr.asr_tenant_access``: role resolution, deterministic assignment names, validation and
the plan (desired + current -> changes). No Azure calls here.

Idempotency follows what ARM does (see docs/azure-vault-credentials.md, "Tenant access"): an assignment is the triple
(scope, role definition, principal); ARM answers a second PUT of an existing triple with 409 ``RoleAssignmentExists``
whatever its name, so the module derives the name from the triple (uuid5) and also recognises assignments of the same
triple made elsewhere under another name. Scopes are compared case-insensitively without a trailing ``/``
(azure.azcollection issues #1859 and PR #1807).
"""
from __future__ import annotations

import re
import uuid

from ansible_collections.tenantdr.asr.plugins.module_utils.azure_common import is_guid

# Built-in role definition GUIDs (learn.microsoft.com/azure/role-based-access-control/built-in-roles).
BUILTIN_ROLES = {
    "Owner": "8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
    "Contributor": "b24988ac-6180-42a0-ab88-20f7382dd24c",
    "Reader": "acdd72a7-3385-48ef-bd42-f606fba81ae7",
    "User Access Administrator": "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9",
    "Site Recovery Contributor": "6670b86e-a3f7-4917-ac9b-5d6ab1be4567",
    "Site Recovery Operator": "494ae006-db33-4328-bf46-533a6560a3ca",
    "Site Recovery Reader": "dbaa88c4-0c30-4179-9fb3-46319faa6149",
}
PRINCIPAL_TYPES = ("User", "Group", "ServicePrincipal", "ForeignGroup", "Device")
# Namespace of the deterministic assignment names: uuid5(NAMESPACE_URL, "https://galaxy.ansible.com/tenantdr/asr/role-assignments").
ASSIGNMENT_NAMESPACE = uuid.UUID("da3f93ba-4c4f-5283-a969-dfb6568fe25a")
ROLE_ID_RE = re.compile(r"^(?:/subscriptions/[^/]+)?/providers/Microsoft\.Authorization/roleDefinitions/([^/]+)$", re.IGNORECASE)
RESOURCE_GROUP_RE = re.compile(r"^[-\w.()]{1,90}$")


class AccessPlanError(Exception):
    """The run cannot continue (reported before any change)."""

    def __init__(self, message: str, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.code = code


def resolve_role(role: str) -> tuple:
    """``(guid, display)`` for a built-in role name (any case), a role definition GUID or a role definition id."""
    value = (role or "").strip()
    for name, guid in BUILTIN_ROLES.items():
        if value.lower() == name.lower():
            return guid, name
    match = ROLE_ID_RE.match(value)
    if match:
        value = match.group(1)
    if is_guid(value):
        guid = value.lower()
        names = [name for name, builtin in BUILTIN_ROLES.items() if builtin == guid]
        return guid, names[0] if names else guid
    raise ValueError(f"role {role!r} is not a known built-in role name ({', '.join(BUILTIN_ROLES)}), a role definition "
                     "GUID, or a role definition id (/subscriptions/<id>/providers/Microsoft.Authorization/roleDefinitions/<GUID>)")


def scope_for(subscription_id: str, resource_group: str | None) -> str:
    scope = f"/subscriptions/{subscription_id}"
    if resource_group:
        scope += f"/resourceGroups/{resource_group}"
    return scope


def normalize_scope(scope: str) -> str:
    return (scope or "").rstrip("/").lower()


def role_definition_id(subscription_id: str, role_guid: str) -> str:
    return f"/subscriptions/{subscription_id}/providers/Microsoft.Authorization/roleDefinitions/{role_guid}"


def assignment_name(scope: str, role_guid: str, principal_id: str) -> str:
    """The deterministic assignment name (a GUID, as ARM requires) for a (scope, role, principal) triple."""
    return str(uuid.uuid5(ASSIGNMENT_NAMESPACE, f"{normalize_scope(scope)}|{role_guid.lower()}|{principal_id.lower()}"))


def validate_access_params(params: dict) -> list:
    problems = []
    rg = params.get("resource_group")
    if rg is not None and (not RESOURCE_GROUP_RE.match(rg) or rg.endswith(".")):
        problems.append(f"resource_group {rg!r} is not a valid resource group name")
    try:
        resolve_role(params.get("role"))
    except ValueError as exc:
        problems.append(str(exc))
    principals = params.get("principals") or []
    if not principals:
        problems.append("principals must list at least one principal (object_id and type)")
    seen = set()
    for index, principal in enumerate(principals):
        object_id = principal.get("object_id")
        if not is_guid(object_id):
            problems.append(f"principals[{index}].object_id {object_id!r} is not an Entra ID object id (a GUID); "
                            "user names and e-mail addresses are not accepted")
            continue
        if object_id.lower() in seen:
            problems.append(f"principals[{index}].object_id {object_id} is listed more than once")
        seen.add(object_id.lower())
    return problems


def assignment_view(wire: dict) -> dict:
    """A role assignment as the module returns it, from its REST representation."""
    props = wire.get("properties") or {}
    role_id = props.get("roleDefinitionId") or ""
    role_guid = role_id.rstrip("/").split("/")[-1].lower()
    names = [name for name, guid in BUILTIN_ROLES.items() if guid == role_guid]
    return {
        "name": wire.get("name"),
        "id": wire.get("id"),
        "scope": props.get("scope"),
        "principal_id": props.get("principalId"),
        "principal_type": props.get("principalType"),
        "role_definition_id": role_id,
        "role": names[0] if names else role_guid,
    }


def same_triple(view: dict, scope: str, role_guid: str, principal_id: str) -> bool:
    return (normalize_scope(view.get("scope")) == normalize_scope(scope)
            and (view.get("role_definition_id") or "").rstrip("/").split("/")[-1].lower() == role_guid.lower()
            and (view.get("principal_id") or "").lower() == principal_id.lower())


def plan_access(state: str, scope: str, role_guid: str, principals: list, current: dict) -> list:
    """Changes for each principal. ``current[object_id.lower()]`` = ``{"by_name": view or None, "matching": [views]}``
    where ``matching`` are the assignments of the same triple found by listing (any name)."""
    changes = []
    for principal in principals:
        object_id = principal["object_id"]
        name = assignment_name(scope, role_guid, object_id)
        found = current.get(object_id.lower()) or {}
        by_name = found.get("by_name")
        if by_name is not None and not same_triple(by_name, scope, role_guid, object_id):
            raise AccessPlanError(f"Role assignment {name} at {scope} exists but is for principal {by_name.get('principal_id')} "
                                  f"and role {by_name.get('role_definition_id')}, not for {object_id}; refusing to touch it",
                                  code="RoleAssignmentMismatch")
        matching = [view for view in found.get("matching") or [] if same_triple(view, scope, role_guid, object_id)]
        existing = ([by_name] if by_name else []) + [v for v in matching if not by_name or v.get("name", "").lower() != name]
        if state == "present":
            if not existing:
                changes.append({"action": "create", "name": name, "principal_id": object_id,
                                "principal_type": principal.get("type") or "User"})
        else:
            for view in existing:
                changes.append({"action": "delete", "name": view["name"], "principal_id": object_id,
                                "principal_type": view.get("principal_type")})
    return changes


def describe_access_change(change: dict, role_display: str, scope: str) -> str:
    verb = "assign" if change["action"] == "create" else "remove"
    preposition = "to" if change["action"] == "create" else "from"
    return (f"{verb} role {role_display} on {scope} {preposition} {change.get('principal_type') or 'principal'} "
            f"{change['principal_id']} (assignment {change['name']})")


# Microsoft Graph per built-in cloud (learn "Microsoft Graph national cloud deployments"): endpoint and token scope.
GRAPH_ENDPOINTS = {
    "AzureCloud": ("https://graph.microsoft.com", "https://graph.microsoft.com/.default"),
    "AzureUSGovernment": ("https://graph.microsoft.us", "https://graph.microsoft.us/.default"),
    "AzureChinaCloud": ("https://microsoftgraph.chinacloudapi.cn", "https://microsoftgraph.chinacloudapi.cn/.default"),
}
VERIFY_PRINCIPALS = ("auto", "always", "never")


def graph_endpoint_for(cloud_name: str, graph_url: str | None):
    """``(url, scope)`` of Microsoft Graph for the principal check, or None when it is not known (a custom cloud
    without ``graph_url``). An explicit ``graph_url`` wins; its token scope is the public cloud's unless the URL is
    one of the national clouds'."""
    if graph_url:
        for url, scope in GRAPH_ENDPOINTS.values():
            if graph_url.rstrip("/").lower() == url:
                return url, scope
        return graph_url.rstrip("/"), GRAPH_ENDPOINTS["AzureCloud"][1]
    return GRAPH_ENDPOINTS.get(cloud_name)
