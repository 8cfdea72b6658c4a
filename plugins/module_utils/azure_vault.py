# -*- coding: utf-8 -*-
# Copyright: tenantdr.asr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure logic of ``tenantdr.asr.asr_vault``: input validation, the plan (desired + current -> changes), the request
bodies, and the views returned to the user. No Azure calls here; the module reads, plans, then applies.
"""
from __future__ import annotations

import re

from ansible_collections.tenantdr.asr.plugins.module_utils.azure_common import enum_value

PROVIDER_NAMESPACE = "Microsoft.RecoveryServices"
SKUS = ("Standard", "RS0")
REDUNDANCY = ("GeoRedundant", "LocallyRedundant", "ZoneRedundant")
PUBLIC_NETWORK_ACCESS = ("Enabled", "Disabled")
# What Azure gives a new vault when the request does not say (shown in check-mode predictions).
AZURE_DEFAULTS = {"sku": "Standard", "public_network_access": "Enabled", "storage_redundancy": "GeoRedundant"}

VAULT_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9-]{1,49}$")
RESOURCE_GROUP_RE = re.compile(r"^[-\w.()]{1,90}$")
TAG_NAME_FORBIDDEN = set("<>%&\\?/")


class PlanError(Exception):
    """The desired state cannot be reached from the current one (reported before any change)."""

    def __init__(self, message: str, code: str | None = None, **details):
        super().__init__(message)
        self.message = message
        self.code = code
        self.details = details


def normalize_location(value: str | None) -> str | None:
    """ARM's location form: lower case without spaces ("West Europe" -> "westeurope")."""
    if value is None:
        return None
    return value.replace(" ", "").lower()


def validate_vault_params(params: dict) -> list:
    """Problems with the vault options, found before any Azure call."""
    problems = []
    name = params.get("name") or ""
    if not VAULT_NAME_RE.match(name):
        problems.append(f"name {name!r} is not a valid Recovery Services vault name: 2-50 characters, starting with a "
                        "letter, letters, digits and hyphens only")
    rg = params.get("resource_group") or ""
    if not RESOURCE_GROUP_RE.match(rg) or rg.endswith("."):
        problems.append(f"resource_group {rg!r} is not a valid resource group name: 1-90 letters, digits, '_', '-', '.', "
                        "'(' or ')', not ending in '.'")
    location = params.get("location")
    if params.get("state", "present") == "present" and not location:
        problems.append("location is required with state=present (for example westeurope)")
    if location is not None and not re.match(r"^[a-z0-9]+$", normalize_location(location) or ""):
        problems.append(f"location {location!r} is not an Azure region name (for example westeurope or 'West Europe')")
    tags = params.get("tags")
    if tags is not None:
        if len(tags) > 50:
            problems.append(f"tags has {len(tags)} entries; Azure allows at most 50 per resource")
        for key, value in tags.items():
            if not key or len(key) > 512 or TAG_NAME_FORBIDDEN.intersection(key):
                problems.append(f"tag name {key!r} is not valid: 1-512 characters without any of < > % & \\ ? /")
            if value is not None and len(str(value)) > 256:
                problems.append(f"tag {key!r}: value longer than 256 characters")
    hours = params.get("credentials_validity_hours")
    if hours is not None and hours <= 0:
        problems.append(f"credentials_validity_hours must be a positive number of hours, got {hours}")
    min_hours = params.get("credentials_min_validity_hours")
    if min_hours is not None and (min_hours < 0 or (hours and min_hours >= hours)):
        problems.append(f"credentials_min_validity_hours must be 0 or more and less than credentials_validity_hours "
                        f"({hours}), got {min_hours}")
    return problems


def tags_of(tags) -> dict:
    return {str(k): "" if v is None else str(v) for k, v in (tags or {}).items()}


def vault_summary(wire: dict, resource_group: str) -> dict:
    """The vault as the module returns it, from the REST representation."""
    props = wire.get("properties") or {}
    redundancy = props.get("redundancySettings") or {}
    sku = wire.get("sku") or {}
    return {
        "id": wire.get("id"),
        "name": wire.get("name"),
        "resource_group": resource_group,
        "location": normalize_location(wire.get("location")),
        "sku": enum_value(sku.get("name")),
        "tags": tags_of(wire.get("tags")),
        "provisioning_state": enum_value(props.get("provisioningState")),
        "public_network_access": enum_value(props.get("publicNetworkAccess")),
        "storage_redundancy": enum_value(redundancy.get("standardTierStorageRedundancy")),
        "cross_region_restore": enum_value(redundancy.get("crossRegionRestore")),
        "private_endpoint_state_for_site_recovery": enum_value(props.get("privateEndpointStateForSiteRecovery")),
    }


def desired_tags(current: dict, wanted, purge: bool) -> dict:
    if wanted is None:
        return dict(current)
    wanted = tags_of(wanted)
    if purge:
        return wanted
    merged = dict(current)
    merged.update(wanted)
    return merged


def vault_field_changes(current: dict, params: dict) -> dict:
    """Managed fields whose value differs: ``{field: {"before": x, "after": y}}``."""
    changes = {}
    new_tags = desired_tags(current.get("tags") or {}, params.get("tags"), params.get("purge_tags", False))
    if new_tags != (current.get("tags") or {}):
        changes["tags"] = {"before": current.get("tags") or {}, "after": new_tags}
    for field in ("sku", "public_network_access", "storage_redundancy"):
        wanted = params.get(field)
        if wanted is not None and wanted != current.get(field):
            changes[field] = {"before": current.get(field), "after": wanted}
    return changes


def create_body(params: dict, location: str) -> dict:
    """Vault PUT body (Vault model, REST names)."""
    properties = {}
    if params.get("public_network_access"):
        properties["publicNetworkAccess"] = params["public_network_access"]
    if params.get("storage_redundancy"):
        properties["redundancySettings"] = {"standardTierStorageRedundancy": params["storage_redundancy"]}
    return {"location": location, "sku": {"name": params.get("sku") or "Standard"}, "tags": tags_of(params.get("tags")),
            "properties": properties}


def patch_body(field_changes: dict) -> dict:
    """Vault PATCH body (PatchVault model) carrying only the changed fields; tags are replaced as a whole."""
    body = {}
    properties = {}
    if "tags" in field_changes:
        body["tags"] = field_changes["tags"]["after"]
    if "sku" in field_changes:
        body["sku"] = {"name": field_changes["sku"]["after"]}
    if "public_network_access" in field_changes:
        properties["publicNetworkAccess"] = field_changes["public_network_access"]["after"]
    if "storage_redundancy" in field_changes:
        properties["redundancySettings"] = {"standardTierStorageRedundancy": field_changes["storage_redundancy"]["after"]}
    if properties:
        body["properties"] = properties
    return body


def predicted_new_vault(params: dict, subscription_id: str, location: str) -> dict:
    """What a vault created from ``params`` will look like (check mode)."""
    return {
        "id": f"/subscriptions/{subscription_id}/resourceGroups/{params['resource_group']}/providers/"
              f"{PROVIDER_NAMESPACE}/vaults/{params['name']}",
        "name": params["name"],
        "resource_group": params["resource_group"],
        "location": location,
        "sku": params.get("sku") or AZURE_DEFAULTS["sku"],
        "tags": tags_of(params.get("tags")),
        "provisioning_state": None,
        "public_network_access": params.get("public_network_access") or AZURE_DEFAULTS["public_network_access"],
        "storage_redundancy": params.get("storage_redundancy") or AZURE_DEFAULTS["storage_redundancy"],
        "cross_region_restore": None,
        "private_endpoint_state_for_site_recovery": None,
    }


def apply_field_changes(vault: dict, field_changes: dict) -> dict:
    after = dict(vault)
    for field, change in field_changes.items():
        after[field] = change["after"]
    return after


def vault_blockers(replication_usage: dict, fabrics: list, usages: dict) -> list:
    """What keeps a vault from being deleted safely, as readable lines (empty = nothing registered or protected).

    ``replication_usage``: first item of ``replicationUsages`` (REST names); ``fabrics``: replication fabrics (REST);
    ``usages``: vault usages as ``{name: currentValue}``.
    """
    blockers = []
    servers = int(replication_usage.get("registeredServersCount") or 0)
    if servers:
        blockers.append(f"{servers} registered Site Recovery server(s) (configuration servers / Hyper-V hosts)")
    if fabrics:
        names = []
        for fabric in fabrics:
            props = fabric.get("properties") or {}
            kind = (props.get("customDetails") or {}).get("instanceType")
            label = props.get("friendlyName") or fabric.get("name")
            names.append(f"{label} ({kind})" if kind else str(label))
        blockers.append("replication fabrics: " + ", ".join(names))
    items = int(replication_usage.get("protectedItemCount") or 0)
    if items:
        blockers.append(f"{items} replication-protected item(s)")
    plans = int(replication_usage.get("recoveryPlanCount") or 0)
    if plans:
        blockers.append(f"{plans} recovery plan(s)")
    backup_items = int(usages.get("ProtectedItemCount") or 0)
    if backup_items:
        blockers.append(f"{backup_items} backup item(s)")
    backup_servers = int(usages.get("MABContainersCount") or 0)
    if backup_servers:
        blockers.append(f"{backup_servers} registered backup management server(s)")
    return blockers


def plan_vault(params: dict, current: dict) -> list:
    """The ordered list of changes that takes Azure from ``current`` to what ``params`` describe.

    ``current`` keys: ``provider_state`` (registration state of Microsoft.RecoveryServices, None if not read),
    ``resource_group_exists``, ``vault`` (summary or None), ``credentials`` (file assessment or None),
    ``blockers`` (list, for state=absent). Raises :class:`PlanError` when the run has to stop before any change.
    """
    changes = []
    rg = params["resource_group"]
    name = params["name"]
    vault = current.get("vault")
    if params["state"] == "absent":
        if vault is not None:
            blockers = current.get("blockers") or []
            if blockers and not params.get("force"):
                raise PlanError(f"Refusing to delete Recovery Services vault {name!r} in resource group {rg!r}: it still has "
                                + "; ".join(blockers) + ". Unregister and remove them first (offboarding), or set force=true "
                                "to send the delete anyway (Azure itself refuses to delete a vault with registered containers).",
                                code="VaultNotEmpty", blockers=blockers)
            changes.append({"action": "delete_vault", "resource_group": rg, "vault": name, "forced": bool(blockers)})
        creds = current.get("credentials")
        if params.get("credentials_path") and creds and creds.get("exists"):
            changes.append({"action": "remove_credentials", "path": params["credentials_path"]})
        return changes

    location = normalize_location(params["location"])
    if vault is not None and vault.get("location") and vault["location"] != location:
        raise PlanError(f"Vault {name!r} already exists in location {vault['location']!r}; location {location!r} was asked "
                        "for. A vault cannot be moved by changing its location: use the existing location or another name.",
                        code="LocationMismatch")
    if vault is None:
        if current.get("provider_state") not in (None, "Registered"):
            changes.append({"action": "register_provider", "namespace": PROVIDER_NAMESPACE,
                            "state_before": current.get("provider_state")})
        if not current.get("resource_group_exists"):
            if not params.get("create_resource_group"):
                azure_says = current.get("resource_group_missing") or f"Resource group '{rg}' could not be found."
                raise PlanError(f"{azure_says} (Azure error ResourceGroupNotFound, subscription {current.get('subscription_id')}); "
                                "create the resource group first or set create_resource_group=true", code="ResourceGroupNotFound")
            changes.append({"action": "create_resource_group", "resource_group": rg, "location": location})
        changes.append({"action": "create_vault", "resource_group": rg, "vault": name, "location": location,
                        "body": create_body(params, location)})
    else:
        field_changes = vault_field_changes(vault, params)
        if field_changes:
            changes.append({"action": "update_vault", "resource_group": rg, "vault": name, "fields": field_changes})
    if params.get("credentials_path"):
        creds = current.get("credentials") or {}
        reason = None
        if params.get("regenerate_credentials"):
            reason = "regenerate_credentials=true"
        elif vault is None:
            reason = "new vault"
        elif not creds.get("usable"):
            reason = creds.get("reason") or "missing"
        if reason:
            changes.append({"action": "write_credentials", "path": params["credentials_path"], "reason": reason,
                            "validity_hours": params.get("credentials_validity_hours")})
        elif creds.get("mode") and int(creds["mode"], 8) & 0o077:
            changes.append({"action": "restrict_credentials_mode", "path": params["credentials_path"], "mode": creds["mode"]})
    return changes


def describe_change(change: dict) -> str:
    """One line per change, for logs and the ``changes`` result."""
    action = change["action"]
    if action == "register_provider":
        return f"register resource provider {change['namespace']} on the subscription"
    if action == "create_resource_group":
        return f"create resource group {change['resource_group']} in {change['location']}"
    if action == "create_vault":
        return f"create Recovery Services vault {change['vault']} in {change['location']}"
    if action == "update_vault":
        fields = ", ".join(f"{k}: {v['before']!r} -> {v['after']!r}" for k, v in change["fields"].items())
        return f"update vault {change['vault']} ({fields})"
    if action == "write_credentials":
        return f"write vault credentials file {change['path']} ({change['reason']})"
    if action == "delete_vault":
        return f"delete Recovery Services vault {change['vault']}" + (" (forced)" if change.get("forced") else "")
    if action == "restrict_credentials_mode":
        return f"restrict mode of vault credentials file {change['path']} from {change['mode']} to 0600"
    if action == "remove_credentials":
        return f"remove vault credentials file {change['path']}"
    return action  # pragma: no cover


def diff_view(resource_group_exists: bool, vault: dict | None, credentials: dict | None) -> dict:
    """The part of the state the module manages, for ``--diff`` (no secrets: the file is shown by expiry only)."""
    view = {"resource_group_exists": bool(resource_group_exists)}
    if vault is None:
        view["vault"] = None
    else:
        view["vault"] = {k: vault.get(k) for k in ("location", "sku", "tags", "public_network_access", "storage_redundancy")}
    if credentials is not None:
        view["credentials_file"] = ({"path": credentials.get("path"), "expires": credentials.get("expires"),
                                     "thumbprint": credentials.get("thumbprint")} if credentials.get("exists") else None)
    return view
