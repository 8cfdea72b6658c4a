# -*- coding: utf-8 -*-
# Copyright: tenantdr.asr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Site Recovery infrastructure of a DR tenant's vault (seed 000 step 4, and the Site Recovery half of offboarding).

Three layers, as in the other Azure module_utils:

* pure input checks - ``validate_site_recovery_inputs(params)``, ``validate_policy_settings(...)``,
  ``validate_vcenter(...)``, ``validate_discovery_inputs(params)``: lists of problem strings, no network;
* pure planning - ``vault_view(raw)`` (what the vault holds, from the REST shapes), ``plan_site_recovery(desired, view)``
  (desired + current -> ordered changes as plain data, or a ``pending`` next step), ``plan_offboarding(...)``,
  ``discovery_report(...)``;
* ``SiteRecoveryReader`` / ``SiteRecoveryWriter`` - the azure-mgmt-recoveryservicessiterecovery 2.0.0 calls
  (api-version 2025-08-01) and the plain ARM reads no SDK covers (subscription state, ``Microsoft.OffAzure`` machines).

Sources: Azure REST API specs ``recoveryservicessiterecovery`` 2025-08-01 (paths, 202 + Azure-AsyncOperation/Location
jobs), Az PowerShell ``New-AzRecoveryServicesAsrvCenter`` (process server and run-as account choice),
MicrosoftDocs ``site-recovery/delete-vault.md`` (offboarding order), ``vmware-azure-set-up-replication`` /
``vmware-azure-set-up-replication-tutorial-preview`` (policy settings and their ranges). Site Recovery answers ids
as ``/Subscriptions/...``: every id comparison here is case-insensitive.
"""
from __future__ import annotations

import re
import socket

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.tenantdr.asr.plugins.module_utils.azure_common import SITE_RECOVERY_IMPORT_ERROR, AzureApiError, to_wire
from ansible_collections.tenantdr.asr.plugins.module_utils.azure_vault import PlanError

SITE_RECOVERY_API_VERSION = "2025-08-01"
SUBSCRIPTION_API_VERSION = "2022-12-01"
OFFAZURE_API_VERSION = "2020-01-01"
CLASSIC = "VMware"          # fabric customDetails.instanceType of a classic configuration server
MODERNIZED = "InMageRcm"    # ... of a modernized replication appliance
STACKS = {CLASSIC: "classic", MODERNIZED: "modernized"}
POLICY_PROVIDER = {"classic": "InMageAzureV2", "modernized": "InMageRcm"}
BAD_VAULT_STATES = ("Failed", "Deleting", "Deleted")
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")
VCENTER_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")
HOST_RE = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}))*$")

# Policy settings: option -> (REST field per provider, minimum, maximum, Azure's default).
# Ranges from Microsoft's VMware replication-policy pages (classic and modernized): recovery point retention 0-15 days,
# app-consistent snapshot frequency 0-12 hours; the RPO threshold (classic only) is an alert threshold in minutes.
# Defaults are the portal's ("Create replication policy": RPO threshold 60 minutes, retention 24 hours / 1 day,
# app-consistent snapshots every 2 hours classic / 4 hours modernized, crash-consistent every 5 minutes).
POLICY_SETTINGS = {
    "rpo_threshold_minutes": {"min": 1, "max": 1440, "default": {"classic": 60, "modernized": None}},
    "recovery_point_retention_hours": {"min": 0, "max": 15 * 24, "default": {"classic": 24, "modernized": 24}},
    "app_consistent_frequency_minutes": {"min": 0, "max": 12 * 60, "default": {"classic": 120, "modernized": 240}},
    "crash_consistent_frequency_minutes": {"min": 1, "max": 60, "default": {"classic": 5, "modernized": 5}},
}


class SiteRecoveryError(PlanError):
    """Refusal found while planning (before any write): ``message``, ``code``, ``details``."""


# ----------------------------------------------------------------------------------------------- ids and small helpers
def same_id(left, right) -> bool:
    """ARM ids compared the way ARM does: case-insensitively, without a trailing slash."""
    if not left or not right:
        return False
    return str(left).rstrip("/").lower() == str(right).rstrip("/").lower()


def last_segment(resource_id) -> str:
    return str(resource_id or "").rstrip("/").rsplit("/", maxsplit=1)[-1]


def vm_name(value) -> str:
    """A VM name from a name or an inventory path (``/DC1/vm/acme/acme-vm01`` -> ``acme-vm01``)."""
    return str(value or "").rstrip("/").rsplit("/", maxsplit=1)[-1]


def props(resource) -> dict:
    return (resource or {}).get("properties") or {}


def custom(resource) -> dict:
    return props(resource).get("customDetails") or {}


# ----------------------------------------------------------------------------------------------- input validation
def validate_policy_settings(policy: dict | None, stack: str | None = None) -> list:
    """Problems with the replication policy settings (values Azure would accept with 202 and then fail the job on)."""
    problems = []
    policy = policy or {}
    name = policy.get("name")
    if name is not None and not NAME_RE.match(str(name)):
        problems.append(f"policy.name {name!r} is not valid: 1-63 letters, digits, '-', '_' or '.', starting with a letter or digit")
    for key, rule in POLICY_SETTINGS.items():
        value = policy.get(key)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int):
            problems.append(f"policy.{key} must be a whole number, got {value!r}")
            continue
        if not rule["min"] <= value <= rule["max"]:
            problems.append(f"policy.{key} is {value}; Azure allows {rule['min']} to {rule['max']}")
    if stack == "modernized" and policy.get("rpo_threshold_minutes") is not None:
        problems.append("policy.rpo_threshold_minutes applies to classic (InMageAzureV2) policies only; a modernized "
                        "(InMageRcm) policy has no RPO threshold")
    retention = policy.get("recovery_point_retention_hours")
    app = policy.get("app_consistent_frequency_minutes")
    if isinstance(retention, int) and isinstance(app, int) and retention and app > retention * 60:
        problems.append(f"policy.app_consistent_frequency_minutes ({app}) must not exceed the recovery point retention "
                        f"({retention} hours = {retention * 60} minutes)")
    return problems


def validate_vcenter(vcenter: dict | None) -> list:
    problems = []
    if not vcenter:
        return problems
    name = vcenter.get("name")
    if not name or not VCENTER_NAME_RE.match(str(name)):
        problems.append(f"vcenter.name {name!r} is not valid (the vCenter's friendly name in the vault): 1-128 letters, "
                        "digits, '-', '_' or '.'")
    address = vcenter.get("address")
    if not address or not HOST_RE.match(str(address)):
        problems.append(f"vcenter.address {address!r} is not a host name or IPv4 address")
    port = vcenter.get("port", 443)
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        problems.append(f"vcenter.port {port!r} must be a TCP port between 1 and 65535")
    if not vcenter.get("run_as_account"):
        problems.append("vcenter.run_as_account is required: the vCenter access account as it is named in the configuration "
                        "server's run-as accounts (seed step 3.4)")
    return problems


def validate_site_recovery_inputs(params: dict) -> list:
    """Every problem with the options of ``asr_site_recovery`` that can be found without Azure (empty list = fine).

    Called by the module before its first request, and by the preflight checks (issue 15).
    """
    problems = []
    vault = params.get("vault") or ""
    if not re.match(r"^[A-Za-z][A-Za-z0-9-]{1,49}$", vault):
        problems.append(f"vault {vault!r} is not a valid Recovery Services vault name")
    if not params.get("resource_group"):
        problems.append("resource_group is required")
    state = params.get("state") or "present"
    if state not in ("present", "absent"):
        problems.append(f"state {state!r} is not valid; valid choices: present, absent")
    problems.extend(validate_vcenter(params.get("vcenter")))
    problems.extend(validate_policy_settings(params.get("policy")))
    if state == "present" and not (params.get("policy") or {}).get("name"):
        problems.append("policy.name is required with state=present")
    return problems


def validate_discovery_inputs(params: dict) -> list:
    problems = []
    if not params.get("tenant_name"):
        problems.append("tenant_name is required (the DR tenant whose vault is checked)")
    if params.get("tenant_vms") is None and params.get("plans") is None and params.get("isolation_report") is None:
        problems.append("give the tenant's VMs: tenant_vms (names or inventory paths), plans (tenantdr.asr.tenant_mapping "
                        "plans) or isolation_report (tenantdr.asr.tenant_isolation_audit report)")
    owners = params.get("vm_owners") or {}
    if not isinstance(owners, dict):
        problems.append("vm_owners must be a dictionary of VM name -> tenant name")
    return problems


def resolves_to_same_host(old: str, new: str, resolver=None) -> str | None:
    """None when ``new`` names the same vCenter as ``old`` (same address, or a shared resolved IP), else why not."""
    if str(old or "").lower() == str(new or "").lower():
        return None
    resolver = resolver or _resolve
    new_ips = resolver(new)
    if not new_ips:
        return f"{new!r} does not resolve"
    old_ips = resolver(old)
    if old_ips and not set(old_ips) & set(new_ips):
        return f"{new!r} resolves to {', '.join(sorted(new_ips))}, the registered vCenter {old!r} to {', '.join(sorted(old_ips))}"
    return None


def _resolve(host: str) -> list:
    try:
        return sorted({info[4][0] for info in socket.getaddrinfo(host, None)})
    except (socket.gaierror, UnicodeError, OSError):
        return []


# ----------------------------------------------------------------------------------------------- what the vault holds
def fabric_stack(fabric: dict) -> str | None:
    return STACKS.get(custom(fabric).get("instanceType"))


def vault_view(raw: dict) -> dict:
    """Plain summary of the vault's Site Recovery infrastructure from the REST shapes read by the reader.

    ``raw``: ``{"settings": [...], "fabrics": [...], "vcenters": {fabric: [...]}, "containers": {fabric: [...]},
    "mappings": [...], "policies": [...], "protected_items": [...], "usages": [...]}``.
    """
    fabrics = []
    for fabric in raw.get("fabrics") or []:
        details = custom(fabric)
        stack = fabric_stack(fabric)
        entry = {
            "name": fabric.get("name"), "id": fabric.get("id"), "friendly_name": props(fabric).get("friendlyName"),
            "instance_type": details.get("instanceType"), "stack": stack, "health": props(fabric).get("health"),
            "host_name": details.get("hostName"), "ip_address": details.get("ipAddress"),
            "last_heartbeat": details.get("lastHeartbeat"),
            "process_servers": [{"id": ps.get("id"), "name": ps.get("friendlyName"), "ip_address": ps.get("ipAddress"),
                                 "last_heartbeat": ps.get("lastHeartbeat"), "health": ps.get("health")}
                                for ps in details.get("processServers") or []],
            "run_as_accounts": [{"id": acc.get("accountId"), "name": acc.get("accountName")}
                                for acc in details.get("runAsAccounts") or []],
            "vmware_site_id": details.get("vmwareSiteId"),
            "vcenters": [],
            "containers": [],
        }
        for vc in (raw.get("vcenters") or {}).get(fabric.get("name"), []):
            p = props(vc)
            entry["vcenters"].append({
                "name": vc.get("name"), "id": vc.get("id"), "friendly_name": p.get("friendlyName"),
                "address": p.get("ipAddress"), "port": _int_or_none(p.get("port")),
                "run_as_account_id": p.get("runAsAccountId"), "process_server_id": p.get("processServerId"),
                "discovery_status": p.get("discoveryStatus"), "last_heartbeat": p.get("lastHeartbeat"),
                "infrastructure_id": p.get("infrastructureId"),
                "health_errors": [e.get("errorMessage") or e.get("summaryMessage") for e in p.get("healthErrors") or []]})
        for container in (raw.get("containers") or {}).get(fabric.get("name"), []):
            entry["containers"].append({"name": container.get("name"), "id": container.get("id"),
                                        "friendly_name": props(container).get("friendlyName"),
                                        "protected_item_count": props(container).get("protectedItemCount")})
        fabrics.append(entry)
    settings = next((props(s) for s in raw.get("settings") or [] if (s.get("name") or "").lower() == "default"), {})
    usage = (raw.get("usages") or [{}])[0] if raw.get("usages") else {}
    stacks = sorted({f["stack"] for f in fabrics if f["stack"]})
    provider_type = settings.get("vmwareToAzureProviderType")
    if not stacks and provider_type:
        stacks = ["modernized" if provider_type.lower() == "inmagercm" else "classic"]
    return {
        "stack": stacks[0] if len(stacks) == 1 else ("mixed" if stacks else None),
        "vmware_to_azure_provider_type": provider_type,
        "fabrics": fabrics,
        "policies": [{"name": p.get("name"), "id": p.get("id"), "friendly_name": props(p).get("friendlyName"),
                      "settings": policy_settings_of(p)} for p in raw.get("policies") or []],
        "mappings": [{"name": m.get("name"), "id": m.get("id"), "policy_id": props(m).get("policyId"),
                      "policy": last_segment(props(m).get("policyId")), "state": props(m).get("state"),
                      "container_id": _parent_container(m.get("id")),
                      "target_container_id": props(m).get("targetProtectionContainerId")}
                     for m in raw.get("mappings") or []],
        "protected_items": [{"name": i.get("name"), "id": i.get("id"), "friendly_name": props(i).get("friendlyName"),
                             "protection_state": props(i).get("protectionState"), "policy": props(i).get("policyFriendlyName"),
                             "container_id": _parent_container(i.get("id"))}
                            for i in raw.get("protected_items") or []],
        "usages": {"registered_servers": usage.get("registeredServersCount"),
                   "protected_items": usage.get("protectedItemCount"),
                   "recovery_plans": usage.get("recoveryPlanCount")},
    }


def _int_or_none(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _parent_container(resource_id) -> str | None:
    """The protection container id a mapping / protected item id lives under."""
    match = re.match(r"^(.*/replicationProtectionContainers/[^/]+)/", str(resource_id or ""), re.IGNORECASE)
    return match.group(1) if match else None


def policy_settings_of(policy: dict) -> dict:
    """The policy's settings in the module's option names (from InMageAzureV2 / InMageRcm details)."""
    details = props(policy).get("providerSpecificDetails") or {}
    kind = details.get("instanceType")
    if kind == "InMageAzureV2":
        history = details.get("recoveryPointHistory")
        return {"provider": kind, "rpo_threshold_minutes": details.get("recoveryPointThresholdInMinutes"),
                "recovery_point_retention_hours": None if history is None else history // 60,
                "app_consistent_frequency_minutes": details.get("appConsistentFrequencyInMinutes"),
                "crash_consistent_frequency_minutes": details.get("crashConsistentFrequencyInMinutes")}
    if kind == "InMageRcm":
        history = details.get("recoveryPointHistoryInMinutes")
        return {"provider": kind, "rpo_threshold_minutes": None,
                "recovery_point_retention_hours": None if history is None else history // 60,
                "app_consistent_frequency_minutes": details.get("appConsistentFrequencyInMinutes"),
                "crash_consistent_frequency_minutes": details.get("crashConsistentFrequencyInMinutes")}
    return {"provider": kind}


def desired_policy_settings(policy: dict, stack: str) -> dict:
    out = {"provider": POLICY_PROVIDER[stack]}
    for key, rule in POLICY_SETTINGS.items():
        value = policy.get(key)
        out[key] = rule["default"][stack] if value is None else value
    if stack == "modernized":
        out["rpo_threshold_minutes"] = None
    return out


def policy_provider_input(settings: dict) -> dict:
    """``providerSpecificInput`` of a create/update policy request."""
    if settings["provider"] == "InMageAzureV2":
        return {"instanceType": "InMageAzureV2",
                "recoveryPointThresholdInMinutes": settings["rpo_threshold_minutes"],
                "recoveryPointHistory": settings["recovery_point_retention_hours"] * 60,
                "appConsistentFrequencyInMinutes": settings["app_consistent_frequency_minutes"],
                "crashConsistentFrequencyInMinutes": settings["crash_consistent_frequency_minutes"],
                "multiVmSyncStatus": "Disable"}
    return {"instanceType": "InMageRcm",
            "recoveryPointHistoryInMinutes": settings["recovery_point_retention_hours"] * 60,
            "appConsistentFrequencyInMinutes": settings["app_consistent_frequency_minutes"],
            "crashConsistentFrequencyInMinutes": settings["crash_consistent_frequency_minutes"],
            "enableMultiVmSync": "False"}


def mapping_name(container: str, policy: str) -> str:
    return f"{policy}-{container}"[:260]


def choose_fabric(view: dict, wanted: str | None) -> dict | None:
    """The configuration server / appliance fabric of the tenant (named, or the only VMware/InMageRcm one)."""
    candidates = [f for f in view["fabrics"] if f["stack"]]
    if wanted:
        for fabric in view["fabrics"]:
            if wanted.lower() in (str(fabric["name"]).lower(), str(fabric.get("friendly_name") or "").lower()):
                return fabric
        if candidates:
            raise SiteRecoveryError(f"fabric {wanted!r} is not registered in the vault; registered: "
                                    + ", ".join(f["name"] for f in candidates), code="FabricNotFound")
        return None
    if len(candidates) > 1:
        raise SiteRecoveryError("the vault has several configuration servers/appliances ("
                                + ", ".join(f"{f['name']} ({f['stack']})" for f in candidates)
                                + "); name the tenant's one with the fabric option", code="AmbiguousFabric")
    return candidates[0] if candidates else None


def choose_process_server(fabric: dict, wanted: str | None) -> dict | None:
    """Az PowerShell's choice: the process server with the CS's IP address or host name; or the named one."""
    servers = fabric["process_servers"]
    if wanted:
        for ps in servers:
            if wanted.lower() in (str(ps["name"]).lower(), str(ps["ip_address"]).lower(), str(ps["id"]).lower()):
                return ps
        raise SiteRecoveryError(f"process server {wanted!r} is not known to configuration server {fabric['name']}; known: "
                                + (", ".join(f"{ps['name']} ({ps['ip_address']})" for ps in servers) or "none"),
                                code="ProcessServerNotFound")
    for ps in servers:
        if fabric.get("ip_address") and ps["ip_address"] == fabric["ip_address"]:
            return ps
        if fabric.get("host_name") and str(ps["name"]).lower() == str(fabric["host_name"]).lower():
            return ps
    return servers[0] if len(servers) == 1 else None


def next_step_of(view: dict) -> str:
    """What comes next for a vault, in words (info module, audit)."""
    fabrics = [f for f in view["fabrics"] if f["stack"]]
    if not fabrics:
        return ("register the configuration server (classic) or the replication appliance (modernized) with the vault's "
                "registration key (seed step 3)")
    for fabric in fabrics:
        if fabric["stack"] == "classic" and not fabric["run_as_accounts"]:
            return f"add the vCenter access account on configuration server {fabric['name']} (cspsconfigtool.exe)"
        if fabric["stack"] == "classic" and not fabric["vcenters"]:
            return f"register the vCenter in fabric {fabric['name']} (tenantdr.asr.asr_site_recovery)"
    if not view["mappings"]:
        return "create the replication policy and associate it (tenantdr.asr.asr_site_recovery)"
    if not view["protected_items"]:
        return "enable replication of the tenant's VMs"
    return "nothing - infrastructure ready and VMs replicating"


# ----------------------------------------------------------------------------------------------- planning
def pending_registration(tenant: str, credentials_path: str | None, account: str | None, vault: str) -> dict:
    key = credentials_path or f"the vault registration key of {vault} (tenantdr.asr.asr_vault credentials_path)"
    step = (f"tenant {tenant}: install the configuration server for vault {vault} with the registration key {key} "
            "(UnifiedSetup.exe /VaultCredsFilePath ...), then add the vCenter access account "
            f"{account or '(tenant_access_account)'} in its configuration tool (cspsconfigtool.exe, Manage Accounts); "
            "for a modernized vault register the replication appliance with the vault's key and add the vCenter "
            "with that account in the appliance configuration manager. Then run this playbook again.")
    return {"stage": "configuration_server", "message": step}


def plan_site_recovery(desired: dict, view: dict, resolver=None) -> dict:
    """Desired Site Recovery infrastructure + the vault's -> ``{"changes": [...], "pending": None|dict, "notes": [...]}``.

    ``desired``: tenant, vault, fabric, vcenter {name, address, port, run_as_account, process_server}, policy {...},
    credentials_path. Changes are applied in order: vCenter, policy, container mappings.
    """
    result = {"changes": [], "pending": None, "notes": [], "fabric": None}
    fabric = choose_fabric(view, desired.get("fabric"))
    vcenter = desired.get("vcenter")
    account = (vcenter or {}).get("run_as_account")
    if fabric is None:
        result["pending"] = pending_registration(desired["tenant"], desired.get("credentials_path"), account, desired["vault"])
        return result
    result["fabric"] = fabric["name"]
    stack = fabric["stack"]
    problems = validate_policy_settings(desired.get("policy"), stack)
    if problems:
        raise SiteRecoveryError("Invalid replication policy: " + "; ".join(problems), code="InvalidPolicy", problems=problems)

    # --- step 4.1: the vCenter in the configuration server's fabric
    if vcenter and stack == "modernized":
        result["notes"].append(
            f"vault {desired['vault']} uses a modernized replication appliance ({fabric['name']}): add vCenter "
            f"{vcenter['address']}:{vcenter.get('port', 443)} with account {account} in the appliance configuration "
            "manager (there is no Azure API for it); the discovery check shows when its VMs arrive")
    elif vcenter:
        change = _plan_vcenter(fabric, vcenter, desired, resolver)
        if change and change.get("pending"):
            # the vCenter waits for a manual step; the policy and its mappings need nothing from it: done now
            result["pending"] = change["pending"]
        elif change:
            result["changes"].append(change)

    # --- step 4.2: replication policy and container mappings
    policy = desired.get("policy") or {}
    if policy.get("name"):
        wanted = desired_policy_settings(policy, stack)
        existing = next((p for p in view["policies"] if str(p["name"]).lower() == policy["name"].lower()), None)
        if existing is None:
            result["changes"].append({"action": "create_policy", "policy": policy["name"], "settings": wanted})
        else:
            have = existing["settings"]
            if have.get("provider") != wanted["provider"]:
                raise SiteRecoveryError(
                    f"policy {policy['name']} exists as a {have.get('provider')} policy but the vault's {stack} stack needs "
                    f"{wanted['provider']}; give another policy name or remove the old policy", code="PolicyProviderMismatch")
            differ = {k: {"before": have.get(k), "after": v} for k, v in wanted.items() if k != "provider" and have.get(k) != v}
            if differ:
                result["changes"].append({"action": "update_policy", "policy": policy["name"], "settings": wanted,
                                          "fields": differ})
        for container in fabric["containers"]:
            mapped = [m for m in view["mappings"] if same_id(m["container_id"], container["id"])
                      and m["policy"].lower() == policy["name"].lower()]
            if not mapped:
                result["changes"].append({"action": "create_mapping", "fabric": fabric["name"], "container": container["name"],
                                          "policy": policy["name"], "mapping": mapping_name(container["name"], policy["name"]),
                                          "stack": stack})
        if not fabric["containers"]:
            result["notes"].append(f"configuration server {fabric['name']} has no protection container yet; the policy "
                                   "is associated on a later run")
    return result


def _plan_vcenter(fabric: dict, vcenter: dict, desired: dict, resolver):
    account_name = vcenter["run_as_account"]
    accounts = fabric["run_as_accounts"]
    account = next((a for a in accounts if str(a["name"]).lower() == account_name.lower()), None)
    if account is None:
        known = ", ".join(a["name"] for a in accounts) or "none yet"
        return {"pending": {"stage": "run_as_account", "message": (
            f"tenant {desired['tenant']}: configuration server {fabric.get('host_name') or fabric['name']} is registered "
            f"but has no run-as account {account_name!r} (accounts: {known}); add the vCenter access account in its "
            "configuration tool (cspsconfigtool.exe, Manage Accounts), wait for it to sync to the vault (about 15 minutes), "
            "then run this playbook again.")}}
    ps = choose_process_server(fabric, vcenter.get("process_server"))
    if ps is None:
        return {"pending": {"stage": "process_server", "message": (
            f"tenant {desired['tenant']}: configuration server {fabric['name']} reports no process server yet; "
            "run this playbook again once the configuration server has finished its first heartbeat.")}}
    port = int(vcenter.get("port", 443))
    existing = next((v for v in fabric["vcenters"] if str(v["name"]).lower() == vcenter["name"].lower()), None)
    wanted = {"address": vcenter["address"], "port": port, "run_as_account_id": account["id"], "process_server_id": ps["id"]}
    if existing is None:
        same_address = [v for v in fabric["vcenters"] if str(v["address"]).lower() == vcenter["address"].lower()]
        if same_address:
            raise SiteRecoveryError(
                f"vCenter {vcenter['address']} is already registered in fabric {fabric['name']} as "
                f"{same_address[0]['name']!r}; use that name (vcenter.name) or remove it first", code="VCenterAlreadyAdded")
        return {"action": "add_vcenter", "fabric": fabric["name"], "vcenter": vcenter["name"], "settings": wanted,
                "account": account["name"], "process_server": ps["name"]}
    have = {"address": existing["address"], "port": existing["port"], "run_as_account_id": existing["run_as_account_id"],
            "process_server_id": existing["process_server_id"]}
    differ = {}
    for key, value in wanted.items():
        before = have.get(key)
        equal = same_id(before, value) if key.endswith("_id") else (
            str(before).lower() == str(value).lower() if key == "address" else before == value)
        if not equal:
            differ[key] = {"before": before, "after": value}
    if not differ:
        return None
    if "address" in differ:
        why = resolves_to_same_host(existing["address"], vcenter["address"], resolver)
        if why:
            raise SiteRecoveryError(
                f"vCenter {vcenter['name']} in fabric {fabric['name']} is registered at {existing['address']!r}; the new "
                f"address {vcenter['address']!r} does not name the same vCenter ({why}). An address change is for the same "
                "vCenter only; to use another vCenter remove this one (state absent) and add the new one",
                code="VCenterAddressMismatch")
    return {"action": "update_vcenter", "fabric": fabric["name"], "vcenter": vcenter["name"], "settings": wanted,
            "fields": differ, "account": account["name"], "process_server": ps["name"]}


def plan_offboarding(desired: dict, view: dict) -> dict:
    """The Site Recovery half of offboarding, in the order of Microsoft's delete-vault article.

    Returns ``{"changes": [...], "protected_items": [...], "needs_confirmation": bool}``; the disable-protection
    changes are left out (and ``needs_confirmation`` set) unless ``desired["confirm_disable_replication"]``.
    """
    fabrics = [f for f in view["fabrics"] if f["stack"]]
    if desired.get("fabric"):
        fabric = choose_fabric(view, desired["fabric"])
        fabrics = [fabric] if fabric else []
    container_ids = [c["id"] for f in fabrics for c in f["containers"]]
    policy_name = ((desired.get("policy") or {}).get("name") or "").lower()
    changes = []
    items = [i for i in view["protected_items"] if any(same_id(i["container_id"], c) for c in container_ids)]
    confirm = bool(desired.get("confirm_disable_replication"))
    if items and confirm:
        for item in items:
            fabric_name, container = _fabric_container_of(item["id"])
            changes.append({"action": "disable_protection", "fabric": fabric_name, "container": container,
                            "item": item["name"], "friendly_name": item["friendly_name"]})
    for mapping in view["mappings"]:
        in_tenant_fabric = any(same_id(mapping["container_id"], c) for c in container_ids)
        if in_tenant_fabric and (not policy_name or mapping["policy"].lower() == policy_name):
            fabric_name, container = _fabric_container_of(mapping["id"])
            changes.append({"action": "remove_mapping", "fabric": fabric_name, "container": container,
                            "mapping": mapping["name"], "policy": mapping["policy"]})
    if policy_name:
        for policy in view["policies"]:
            if str(policy["name"]).lower() == policy_name:
                changes.append({"action": "delete_policy", "policy": policy["name"]})
    vcenter = desired.get("vcenter") or {}
    for fabric in fabrics:
        for vc in fabric["vcenters"]:
            if vcenter.get("name") and str(vc["name"]).lower() == vcenter["name"].lower():
                changes.append({"action": "remove_vcenter", "fabric": fabric["name"], "vcenter": vc["name"]})
        if desired.get("remove_configuration_server"):
            changes.append({"action": "remove_fabric", "fabric": fabric["name"]})
    return {"changes": changes, "protected_items": items, "needs_confirmation": bool(items) and not confirm}


def _fabric_container_of(resource_id: str):
    match = re.search(r"/replicationFabrics/([^/]+)/replicationProtectionContainers/([^/]+)/", str(resource_id), re.IGNORECASE)
    return (match.group(1), match.group(2)) if match else (None, None)


def diff_views(desired: dict, view: dict, changes: list) -> dict:
    """Before/after of what the module manages (the tenant's fabric, vCenter, policy, mappings, protected items)."""
    try:
        fabric = choose_fabric(view, desired.get("fabric"))
    except SiteRecoveryError:
        fabric = None
    vc_name = ((desired.get("vcenter") or {}).get("name") or "").lower()
    policy_name = ((desired.get("policy") or {}).get("name") or "").lower()
    vcenter = next((v for v in (fabric or {}).get("vcenters", []) if str(v["name"]).lower() == vc_name), None)
    policy = next((p for p in view["policies"] if str(p["name"]).lower() == policy_name), None)
    containers = [c["id"] for c in (fabric or {}).get("containers", [])]
    before = {
        "fabric": fabric["name"] if fabric else None,
        "vcenter": None if vcenter is None else {"address": vcenter["address"], "port": vcenter["port"],
                                                 "run_as_account_id": vcenter["run_as_account_id"],
                                                 "process_server_id": vcenter["process_server_id"]},
        "policy": None if policy is None else dict(policy["settings"]),
        "mappings": sorted(m["name"] for m in view["mappings"] if any(same_id(m["container_id"], c) for c in containers)),
        "protected_items": sorted(i["friendly_name"] or i["name"] for i in view["protected_items"]
                                  if any(same_id(i["container_id"], c) for c in containers)),
    }
    after = {k: (list(v) if isinstance(v, list) else v) for k, v in before.items()}
    for change in changes:
        action = change["action"]
        if action in ("add_vcenter", "update_vcenter"):
            after["vcenter"] = dict(change["settings"])
        elif action == "remove_vcenter":
            after["vcenter"] = None
        elif action in ("create_policy", "update_policy"):
            after["policy"] = dict(change["settings"])
        elif action == "delete_policy":
            after["policy"] = None
        elif action == "create_mapping":
            after["mappings"] = sorted(after["mappings"] + [change["mapping"]])
        elif action == "remove_mapping":
            after["mappings"] = [m for m in after["mappings"] if m != change["mapping"]]
        elif action == "disable_protection":
            after["protected_items"] = [i for i in after["protected_items"] if i != (change["friendly_name"] or change["item"])]
        elif action == "remove_fabric":
            after["fabric"] = None
    return {"before": before, "after": after}


def describe_change(change: dict) -> str:
    action = change["action"]
    if action == "add_vcenter":
        s = change["settings"]
        return (f"add vCenter {change['vcenter']} ({s['address']}:{s['port']}, account {change['account']}, process server "
                f"{change['process_server']}) to fabric {change['fabric']}")
    if action == "update_vcenter":
        fields = ", ".join(f"{k} {v['before']} -> {v['after']}" for k, v in sorted(change["fields"].items()))
        return f"update vCenter {change['vcenter']} in fabric {change['fabric']}: {fields}"
    if action == "create_policy":
        s = change["settings"]
        return (f"create {s['provider']} replication policy {change['policy']} (retention {s['recovery_point_retention_hours']} h, "
                f"app-consistent every {s['app_consistent_frequency_minutes']} min)")
    if action == "update_policy":
        fields = ", ".join(f"{k} {v['before']} -> {v['after']}" for k, v in sorted(change["fields"].items()))
        return f"update replication policy {change['policy']}: {fields}"
    if action == "create_mapping":
        return f"associate policy {change['policy']} with protection container {change['container']} ({change['mapping']})"
    if action == "disable_protection":
        return (f"disable replication of {change['friendly_name'] or change['item']} (container {change['container']}; "
                "its replica and recovery points in Azure are deleted)")
    if action == "remove_mapping":
        return f"remove container mapping {change['mapping']} (policy {change['policy']}, container {change['container']})"
    if action == "delete_policy":
        return f"delete replication policy {change['policy']}"
    if action == "remove_vcenter":
        return f"remove vCenter {change['vcenter']} from fabric {change['fabric']}"
    if action == "remove_fabric":
        return f"unregister configuration server / appliance fabric {change['fabric']} from the vault"
    return action


# ----------------------------------------------------------------------------------------------- discovery (step 4.3)
def plans_from_isolation_report(report: dict | None) -> list:
    """``tenant_mapping``-style plans (tenant, vms) from a ``tenant_isolation_audit`` report (own VMs per tenant)."""
    plans = []
    for name, data in ((report or {}).get("tenants") or {}).items():
        vms = list(data.get("own_vms_visible") or []) + list(data.get("own_vms_not_visible") or [])
        plans.append({"tenant": name, "vms": vms})
    return plans


def tenant_vm_sets(tenant: str, tenant_vms=None, plans=None, vm_owners=None) -> tuple:
    """(the tenant's VM names lower-cased -> name, or None when no list names the tenant's VMs;
    every known VM name lower-cased -> owning tenant)."""
    owners = {}
    for plan in plans or []:
        # a tenant's management servers (its configuration server, process servers) are its own VMs too: the
        # configuration server discovers itself, which is no leak
        for path in list(plan.get("vms") or []) + list(plan.get("management_servers") or []):
            owners[vm_name(path).lower()] = plan.get("tenant")
    for name, owner in (vm_owners or {}).items():
        owners[vm_name(name).lower()] = owner
    mine = {}
    if tenant_vms is not None:
        for name in tenant_vms:
            mine[vm_name(name).lower()] = vm_name(name)
    else:
        if not any(plan.get("tenant") == tenant for plan in plans or []):
            return None, owners
        for plan in plans or []:
            if plan.get("tenant") == tenant:
                for path in plan.get("vms") or []:
                    mine[vm_name(path).lower()] = vm_name(path)
    for key in mine:
        owners[key] = tenant
    return mine, owners


def discovery_report(tenant: str, discovered: list, mine: dict, owners: dict) -> dict:
    """Compare discovered VMs (``{"name", "vcenter", "source"}``) with the tenant's list; leaks are named."""
    leaks, seen = [], set()
    for vm in discovered:
        key = str(vm["name"]).lower()
        seen.add(key)
        owner = owners.get(key)
        if key in mine or (owner is not None and owner == tenant):
            continue
        who = f"tenant {owner}'s VM" if owner else "a VM of no tenant"
        leaks.append({"vm": vm["name"], "vcenter": vm.get("vcenter"), "owner": owner, "source": vm.get("source"),
                      "message": f"{vm['name']} on vCenter {vm.get('vcenter') or '?'} is discovered in tenant {tenant}'s vault "
                                 f"but is {who}"})
    missing = sorted(name for key, name in mine.items() if key not in seen)
    return {"tenant": tenant, "discovered": sorted({vm["name"] for vm in discovered}, key=str.lower),
            "leaks": leaks, "not_yet_discovered": missing}


# ----------------------------------------------------------------------------------------------- Azure calls
class SiteRecoveryReader:
    """Bulk reads of one vault's Site Recovery infrastructure (SDK lists; a few plain ARM GETs)."""

    def __init__(self, session, resource_group: str, vault: str):
        self.session = session
        self.rg = resource_group
        self.vault = vault

    def _list(self, doing, func, *args):
        return self.session.call(doing, lambda: [_wire(x) for x in func(self.rg, self.vault, *args)])

    def subscription_state(self) -> str | None:
        path = f"/subscriptions/{self.session.subscription_id}"
        body = self.session.raw_get(self.session.resources, path, SUBSCRIPTION_API_VERSION,
                                    f"reading subscription {self.session.subscription_id}")
        return body.get("state")

    def vault_state(self) -> dict | None:
        try:
            vault = _wire(self.session.call(f"reading vault {self.vault}", self.session.recovery.vaults.get, self.rg, self.vault))
        except AzureApiError as exc:
            if exc.status == 404:
                return None
            raise
        return {"id": vault.get("id"), "provisioning_state": props(vault).get("provisioningState")}

    def read(self, with_protected_items: bool = True) -> dict:
        sr = self.session.site_recovery
        raw = {"vcenters": {}, "containers": {}}
        raw["settings"] = self._list("reading the vault's replication settings", sr.replication_vault_setting.list)
        raw["fabrics"] = self._list("listing replication fabrics", sr.replication_fabrics.list)
        for fabric in raw["fabrics"]:
            name = fabric["name"]
            if fabric_stack(fabric) == "classic":
                raw["vcenters"][name] = self._list(f"listing vCenters of fabric {name}",
                                                   sr.replicationv_centers.list_by_replication_fabrics, name)
            raw["containers"][name] = self._list(f"listing protection containers of fabric {name}",
                                                 sr.replication_protection_containers.list_by_replication_fabrics, name)
        raw["policies"] = self._list("listing replication policies", sr.replication_policies.list)
        raw["mappings"] = self._list("listing container mappings", sr.replication_protection_container_mappings.list)
        raw["protected_items"] = (self._list("listing protected items", sr.replication_protected_items.list)
                                  if with_protected_items else [])
        raw["usages"] = self._list("reading replication usages", self.session.recovery.replication_usages.list)
        return raw

    def discovered_vms(self, view: dict) -> list:
        """VMs the vault can replicate: protectable items (classic), OffAzure VMware site machines (modernized)."""
        sr = self.session.site_recovery
        out = []
        for fabric in view["fabrics"]:
            if fabric["stack"] == "classic":
                by_infra = {str(v["infrastructure_id"] or "").lower(): v["address"] or v["name"] for v in fabric["vcenters"]}
                for container in fabric["containers"]:
                    items = self._list(f"listing protectable items of {fabric['name']}/{container['name']}",
                                       sr.replication_protectable_items.list_by_replication_protection_containers,
                                       fabric["name"], container["name"])
                    for item in items:
                        details = custom(item)
                        out.append({"name": props(item).get("friendlyName") or item.get("name"),
                                    "vcenter": by_infra.get(str(details.get("vCenterInfrastructureId") or "").lower()),
                                    "source": f"protectable item of {fabric['name']}/{container['name']}"})
            elif fabric["stack"] == "modernized" and fabric.get("vmware_site_id"):
                path = fabric["vmware_site_id"].rstrip("/") + "/machines"
                body = self.session.raw_get(self.session.recovery, path, OFFAZURE_API_VERSION,
                                            f"listing discovered machines of {fabric['vmware_site_id']}")
                for machine in body.get("value") or []:
                    p = props(machine)
                    out.append({"name": p.get("displayName") or machine.get("name"), "vcenter": p.get("vCenterFQDN"),
                                "source": f"discovered machine of VMware site {last_segment(fabric['vmware_site_id'])}"})
        return out


def _wire(model) -> dict:
    return to_wire(model)


class SiteRecoveryWriter:
    """Applies planned changes; every write is a Site Recovery job (202 + Azure-AsyncOperation), waited for."""

    def __init__(self, session, resource_group: str, vault: str):
        self.session = session
        self.rg = resource_group
        self.vault = vault
        self.done = []

    def _wait(self, doing, begin, *args):
        """Start a write and wait for its job; a failed job's own errors (``replicationJobs/{job}``) join the message."""
        job = {}

        def remember_job(response):
            # Location: {resource}/operationresults/{job} (Az PowerShell takes the job name from it too)
            location = response.http_response.headers.get("Location")
            if location and "name" not in job:
                job["name"] = location.split("?")[0].rstrip("/").rsplit("/", maxsplit=1)[-1]
        poller = self.session.call(doing, begin, self.rg, self.vault, *args, raw_response_hook=remember_job)
        try:
            return self.session.call(doing, poller.result)
        except AzureApiError as exc:
            errors = self._job_errors(job.get("name"))
            if not errors:
                raise
            raise AzureApiError(f"{exc.message} (job {job['name']}: {errors})", code=exc.code, status=exc.status,
                                detail=exc.detail) from exc

    def _job_errors(self, name) -> str:
        if not name:
            return ""
        try:
            found = _wire(self.session.call(f"reading job {name}", self.session.site_recovery.replication_jobs.get,
                                            self.rg, self.vault, name))
        except AzureApiError:
            return ""
        out = []
        for error in props(found).get("errors") or []:
            for detail in (error.get("serviceErrorDetails"), error.get("providerErrorDetails")):
                if detail:
                    code = detail.get("code") or detail.get("errorCode")
                    message = detail.get("message") or detail.get("errorMessage")
                    out.append(f"{code}: {message}" if code else str(message))
        return "; ".join(out)

    def apply(self, changes: list) -> None:
        for change in changes:
            getattr(self, "_" + change["action"])(change)
            self.done.append(describe_change(change))

    def _vcenter_body(self, change):
        s = change["settings"]
        return {"properties": {"friendlyName": change["vcenter"], "ipAddress": s["address"], "port": str(s["port"]),
                               "processServerId": s["process_server_id"], "runAsAccountId": s["run_as_account_id"]}}

    def _add_vcenter(self, change):
        self._wait(f"adding vCenter {change['vcenter']}", self.session.site_recovery.replicationv_centers.begin_create,
                   change["fabric"], change["vcenter"], self._vcenter_body(change))

    def _update_vcenter(self, change):
        self._wait(f"updating vCenter {change['vcenter']}", self.session.site_recovery.replicationv_centers.begin_update,
                   change["fabric"], change["vcenter"], self._vcenter_body(change))

    def _remove_vcenter(self, change):
        self._wait(f"removing vCenter {change['vcenter']}", self.session.site_recovery.replicationv_centers.begin_delete,
                   change["fabric"], change["vcenter"])

    def _create_policy(self, change):
        body = {"properties": {"providerSpecificInput": policy_provider_input(change["settings"])}}
        self._wait(f"creating replication policy {change['policy']}", self.session.site_recovery.replication_policies.begin_create,
                   change["policy"], body)

    def _update_policy(self, change):
        body = {"properties": {"replicationProviderSettings": policy_provider_input(change["settings"])}}
        self._wait(f"updating replication policy {change['policy']}", self.session.site_recovery.replication_policies.begin_update,
                   change["policy"], body)

    def _delete_policy(self, change):
        self._wait(f"deleting replication policy {change['policy']}", self.session.site_recovery.replication_policies.begin_delete,
                   change["policy"])

    def _create_mapping(self, change):
        sub = self.session.subscription_id
        policy_id = (f"/Subscriptions/{sub}/resourceGroups/{self.rg}/providers/Microsoft.RecoveryServices/vaults/{self.vault}"
                     f"/replicationPolicies/{change['policy']}")
        body = {"properties": {"targetProtectionContainerId": "Microsoft Azure", "policyId": policy_id}}
        if change["stack"] == "modernized":
            body["properties"]["providerSpecificInput"] = {"instanceType": "InMageRcm", "enableAgentAutoUpgrade": "true"}
        self._wait(f"associating policy {change['policy']} with container {change['container']}",
                   self.session.site_recovery.replication_protection_container_mappings.begin_create,
                   change["fabric"], change["container"], change["mapping"], body)

    def _remove_mapping(self, change):
        self._wait(f"removing container mapping {change['mapping']}",
                   self.session.site_recovery.replication_protection_container_mappings.begin_delete,
                   change["fabric"], change["container"], change["mapping"], {"properties": {}})

    def _disable_protection(self, change):
        body = {"properties": {"disableProtectionReason": "NotSpecified"}}
        self._wait(f"disabling replication of {change['friendly_name'] or change['item']}",
                   self.session.site_recovery.replication_protected_items.begin_delete,
                   change["fabric"], change["container"], change["item"], body)

    def _remove_fabric(self, change):
        self._wait(f"unregistering fabric {change['fabric']}", self.session.site_recovery.replication_fabrics.begin_delete,
                   change["fabric"])


def require_site_recovery(module) -> None:
    if SITE_RECOVERY_IMPORT_ERROR is not None:
        module.fail_json(msg=missing_required_lib("azure-mgmt-recoveryservicessiterecovery"), exception=SITE_RECOVERY_IMPORT_ERROR)


def preflight(reader: SiteRecoveryReader) -> dict | None:
    """Refuse before any write: a subscription that is not Enabled, a vault that is Failed/Deleting. Returns the vault
    (id, provisioning state) or None when it does not exist."""
    state = reader.subscription_state()
    if state and state != "Enabled":
        raise SiteRecoveryError(f"subscription {reader.session.subscription_id} is {state}, not Enabled: Azure refuses every "
                                "write in it (409); re-enable it (CSP: reactivate the subscription) and run again",
                                code="SubscriptionNotEnabled")
    vault = reader.vault_state()
    if vault and vault["provisioning_state"] in BAD_VAULT_STATES:
        raise SiteRecoveryError(f"vault {reader.vault} is in provisioning state {vault['provisioning_state']}; nothing is "
                                "changed in a vault that is failed or being deleted", code="VaultNotUsable")
    return vault
