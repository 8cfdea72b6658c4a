"""Site Recovery (Microsoft.RecoveryServices ``replication*``) and Microsoft.OffAzure routes of the local ARM endpoint.

Registered by one import at the end of ``tests/arm/server.py``; the routes are put in front of the server's own so
that ``GET .../replicationFabrics`` and ``/_admin/siterecovery/...`` are answered here.

Faithful to the 2025-08-01 REST API (azure-rest-api-specs ``specification/recoveryservicessiterecovery``) as far as
the collection uses it:

* every write answers **202** with ``Azure-AsyncOperation: {vault}/replicationOperationStatus/{job}`` and
  ``Location: {resource}/operationresults/{job}``; the job is a ``replicationJobs/{job}`` resource; the change becomes
  visible when the job completes (after ``lro_polls`` InProgress answers);
* verbs of the SDK 2.0.0: vCenter PUT/PATCH/DELETE, policy PUT/PATCH/DELETE, container mapping PUT and **POST /remove**,
  protected item **POST /remove** (disable protection), fabric **POST /remove**;
* ids are returned as ``/Subscriptions/...`` (capital S) like the service does;
* out-of-range policy values are accepted with 202 and the job fails (error code 150261 as Terraform saw it, message
  not verified);
* error envelopes ``{"error": {"code", "message"}}``; 404 ``NotFound`` for unknown children (code not verified).

State per vault lives on the vault record: fabrics in ``contents["fabrics"]`` (the same records the vault-delete guard
and replication usages of server.py read, so they stay consistent) extended with the fabric's details, vCenters,
containers, protectable and protected items; policies, settings and jobs in ``vault["site_recovery"]``. OffAzure VMware
sites per subscription in ``sub["offazure_sites"]``.
"""
from __future__ import annotations

import sys
import uuid

# The server module that imports this one: tests.arm.server, or __main__ when run as ``python -m tests.arm.server``.
srv = sys.modules.get("tests.arm.server")
if srv is None or not hasattr(srv, "ROUTES"):
    srv = sys.modules["__main__"]
ROUTES, ArmError, Response, get_vault = srv.ROUTES, srv.ArmError, srv.Response, srv.get_vault
iso, route, utcnow = srv.iso, srv.route, srv.utcnow

_FIRST = len(ROUTES)
VAULT = srv.VAULT
FABRIC = VAULT + r"/replicationfabrics/(?P<fabric>[^/]+)"
CONTAINER = FABRIC + r"/replicationprotectioncontainers/(?P<container>[^/]+)"
RS = srv.RS


# ------------------------------------------------------------------ state helpers
def sr_state(vault: dict) -> dict:
    return vault.setdefault("site_recovery", {"policies": {}, "jobs": {}, "provider_type": None})


def fake_config(fake) -> dict:
    if not hasattr(fake, "site_recovery"):
        fake.site_recovery = {"fail_jobs": {}}
    return fake.site_recovery


def vault_id(s: dict, rg: str, vault: dict) -> str:
    return f"/Subscriptions/{s['id']}/resourceGroups/{vault['rg']}/providers/{RS}/vaults/{vault['name']}"


def _vault(req, sub, rg, vault, action="read"):
    s = req.fake._subscription(sub)
    record = get_vault(s, rg, vault)
    req.authorize(s, f"/subscriptions/{s['id']}/resourceGroups/{rg}/providers/{RS}/vaults/{vault}",
                  f"{RS}/vaults/replication/{action}")
    return s, record


def _fabric(record: dict, name: str) -> dict:
    for fabric in record["contents"]["fabrics"]:
        if fabric["name"].lower() == name.lower():
            fabric.setdefault("vcenters", {})
            fabric.setdefault("containers", {})
            return fabric
    raise ArmError(404, "NotFound", f"Fabric '{name}' not found in the vault.")


def _container(fabric: dict, name: str) -> dict:
    container = fabric["containers"].get(name.lower())
    if container is None:
        raise ArmError(404, "NotFound", f"Protection container '{name}' not found in fabric '{fabric['name']}'.")
    return container


def _sync_counts(record: dict) -> None:
    """Keep server.py's counters (replication usages, delete guard) equal to the protected items held here."""
    for fabric in record["contents"]["fabrics"]:
        if "containers" in fabric:
            fabric["protected_items"] = sum(len(c["protected"]) for c in fabric["containers"].values())


def _job(req, s, record, kind: str, target: str, finish, resource_path: str) -> Response:
    """Start a Site Recovery job for a write; 202 with Azure-AsyncOperation and Location."""
    fake = req.fake
    config = fake_config(fake)
    state = sr_state(record)
    vid = vault_id(s, None, record)

    def run():
        if config["fail_jobs"].get(kind):
            config["fail_jobs"][kind] -= 1
            raise ArmError(400, "InternalError", f"Injected failure of the {kind} job (test switch).")
        finish()
        job["state"] = "Succeeded"
    op = fake.new_operation(run)
    job = {"name": op, "kind": kind, "target": target, "state": "InProgress", "start": iso(utcnow())}
    state["jobs"][op] = job
    api = req.query.get("api-version")
    headers = fake.lro_headers(location=f"{fake.base_url}{resource_path}/operationresults/{op}?api-version={api}",
                               async_operation=f"{fake.base_url}{vid}/replicationOperationStatus/{op}?api-version={api}")
    return Response(202, None, headers)


def _poll(req, record, op: str) -> dict:
    rec = req.fake.poll_operation(op)
    job = sr_state(record)["jobs"].get(op)
    if job is not None and rec["status"] == "Failed":
        job["state"] = "Failed"
        job["errors"] = [rec["error"]]
    return rec


# ------------------------------------------------------------------ JSON shapes
def fabric_json(s, record, fabric) -> dict:
    vid = vault_id(s, None, record)
    kind = fabric.get("type", "VMware")
    details = {"instanceType": kind}
    info = fabric.get("details") or {}
    if kind == "VMware":
        details.update({
            "hostName": info.get("host_name"), "ipAddress": info.get("ip_address"), "agentVersion": "9.62.0.0",
            "lastHeartbeat": info.get("last_heartbeat") or iso(utcnow()), "versionStatus": "Supported",
            "processServerCount": str(len(info.get("process_servers") or [])),
            "processServers": [{"id": ps["id"], "friendlyName": ps["name"], "ipAddress": ps["ip_address"],
                                "lastHeartbeat": iso(utcnow()), "health": "Normal", "healthErrors": []}
                               for ps in info.get("process_servers") or []],
            "masterTargetServers": [],
            "runAsAccounts": [{"accountId": acc["id"], "accountName": acc["name"]} for acc in info.get("run_as_accounts") or []],
            "protectedServers": str(fabric.get("protected_items", 0)), "agentCount": "0",
        })
    elif kind == "InMageRcm":
        details.update({"vmwareSiteId": info.get("vmware_site_id"), "physicalSiteId": None, "processServers": [],
                        "dras": [], "rcmProxies": [], "pushInstallers": [], "replicationAgents": [], "reprotectAgents": [],
                        "marsAgents": [], "agentDetails": []})
    return {"id": f"{vid}/replicationFabrics/{fabric['name']}", "name": fabric["name"],
            "type": f"{RS}/vaults/replicationFabrics", "location": record["location"],
            "properties": {"friendlyName": fabric.get("friendly_name") or fabric["name"], "internalIdentifier": fabric["id"],
                           "encryptionDetails": {"kekState": "None"}, "rolloverEncryptionDetails": {"kekState": "None"},
                           "customDetails": details, "health": "Normal", "healthErrorDetails": [], "bcdrState": "Valid"}}


def vcenter_json(s, record, fabric, vc) -> dict:
    vid = vault_id(s, None, record)
    return {"id": f"{vid}/replicationFabrics/{fabric['name']}/replicationvCenters/{vc['name']}", "name": vc["name"],
            "type": f"{RS}/vaults/replicationFabrics/replicationvCenters", "location": record["location"],
            "properties": {"friendlyName": vc["friendly_name"], "internalId": vc["internal_id"],
                           "lastHeartbeat": iso(utcnow()), "discoveryStatus": vc.get("discovery_status", "Connected"),
                           "processServerId": vc["process_server_id"], "ipAddress": vc["ip_address"], "port": vc["port"],
                           "infrastructureId": vc["infrastructure_id"], "runAsAccountId": vc["run_as_account_id"],
                           "fabricArmResourceName": fabric["name"], "healthErrors": []}}


def container_json(s, record, fabric, container) -> dict:
    vid = vault_id(s, None, record)
    return {"id": f"{vid}/replicationFabrics/{fabric['name']}/replicationProtectionContainers/{container['name']}",
            "name": container["name"], "type": f"{RS}/vaults/replicationFabrics/replicationProtectionContainers",
            "location": record["location"],
            "properties": {"fabricFriendlyName": fabric.get("friendly_name") or fabric["name"],
                           "friendlyName": container["name"], "fabricType": fabric.get("type", "VMware"),
                           "protectedItemCount": len(container["protected"]), "pairingStatus": "Paired",
                           "role": "Primary", "fabricSpecificDetails": {"instanceType": fabric.get("type", "VMware")}}}


def policy_json(s, record, policy) -> dict:
    return {"id": f"{vault_id(s, None, record)}/replicationPolicies/{policy['name']}", "name": policy["name"],
            "type": f"{RS}/vaults/replicationPolicies", "location": record["location"],
            "properties": {"friendlyName": policy["name"], "providerSpecificDetails": dict(policy["details"])}}


def mapping_json(s, record, fabric, container, mapping) -> dict:
    cid = container_json(s, record, fabric, container)["id"]
    policy_name = mapping["policy_id"].rstrip("/").split("/")[-1]
    return {"id": f"{cid}/replicationProtectionContainerMappings/{mapping['name']}", "name": mapping["name"],
            "type": f"{RS}/vaults/replicationFabrics/replicationProtectionContainers/replicationProtectionContainerMappings",
            "location": record["location"],
            "properties": {"targetProtectionContainerId": mapping["target"], "targetProtectionContainerFriendlyName": mapping["target"],
                           "providerSpecificDetails": {"instanceType": fabric.get("type", "VMware")}, "health": "Normal",
                           "healthErrorDetails": [], "policyId": mapping["policy_id"], "state": "Paired",
                           "sourceProtectionContainerFriendlyName": container["name"],
                           "sourceFabricFriendlyName": fabric.get("friendly_name") or fabric["name"],
                           "targetFabricFriendlyName": "Microsoft Azure", "policyFriendlyName": policy_name}}


def protectable_json(s, record, fabric, container, item) -> dict:
    cid = container_json(s, record, fabric, container)["id"]
    infra = None
    for vc in fabric["vcenters"].values():
        if item.get("vcenter") and item["vcenter"].lower() in (vc["ip_address"].lower(), vc["name"].lower()):
            infra = vc["infrastructure_id"]
    if infra is None and item.get("vcenter"):
        infra = "/infrastructure/" + item["vcenter"]
    protected = item["name"].lower() in {i["friendly_name"].lower() for i in container["protected"].values()}
    return {"id": f"{cid}/replicationProtectableItems/{item['id']}", "name": item["id"],
            "type": f"{RS}/vaults/replicationFabrics/replicationProtectionContainers/replicationProtectableItems",
            "properties": {"friendlyName": item["name"], "protectionStatus": "Protected" if protected else "Unprotected",
                           "supportedReplicationProviders": ["InMageAzureV2"],
                           "customDetails": {"instanceType": "VMwareVirtualMachine", "agentGeneratedId": "",
                                             "agentInstalled": "False", "osType": "Windows", "ipAddress": item.get("ip", ""),
                                             "poweredOn": "True", "vCenterInfrastructureId": infra,
                                             "discoveryType": "vCenter", "diskDetails": [], "validationErrors": []}}}


def protected_json(s, record, fabric, container, item) -> dict:
    cid = container_json(s, record, fabric, container)["id"]
    return {"id": f"{cid}/replicationProtectedItems/{item['name']}", "name": item["name"],
            "type": f"{RS}/vaults/replicationFabrics/replicationProtectionContainers/replicationProtectedItems",
            "location": record["location"],
            "properties": {"friendlyName": item["friendly_name"], "protectedItemType": "VMwareVirtualMachine",
                           "primaryFabricFriendlyName": fabric["name"], "protectionState": "Protected",
                           "replicationHealth": "Normal", "policyFriendlyName": item.get("policy"),
                           "providerSpecificDetails": {"instanceType": "InMageAzureV2"}}}


def job_json(s, record, job) -> dict:
    body = {"id": f"{vault_id(s, None, record)}/replicationJobs/{job['name']}", "name": job["name"],
            "type": f"{RS}/vaults/replicationJobs",
            "properties": {"activityId": job["name"], "scenarioName": job["kind"], "friendlyName": job["kind"],
                           "state": job["state"], "startTime": job["start"], "targetObjectName": job["target"],
                           "tasks": [], "errors": []}}
    for error in job.get("errors") or []:
        body["properties"]["errors"].append({"serviceErrorDetails": {"code": error["code"], "message": error["message"]}})
    return body


# ------------------------------------------------------------------ subscription (state) and vault settings
@route("GET", srv.SUB)
def subscription(req, sub: str):
    s = req.fake._subscription(sub)
    state = s.get("state", "Enabled")
    return Response(200, {"id": f"/subscriptions/{s['id']}", "subscriptionId": s["id"], "tenantId": req.fake.tenant_id,
                          "displayName": f"subscription {s['id'][:8]}", "state": state,
                          "subscriptionPolicies": {"locationPlacementId": "Public_2014-09-01", "quotaId": "CSP_2015-05-01",
                                                   "spendingLimit": "Off"}, "authorizationSource": "RoleBased"})


@route("GET", VAULT + r"/replicationvaultsettings")
def vault_settings(req, sub, rg, vault):
    s, record = _vault(req, sub, rg, vault)
    provider = sr_state(record).get("provider_type")
    value = []
    if provider:
        value.append({"id": f"{vault_id(s, rg, record)}/replicationVaultSettings/default", "name": "default",
                      "type": f"{RS}/vaults/replicationVaultSettings",
                      "properties": {"migrationSolutionId": None, "vmwareToAzureProviderType": provider}})
    return Response(200, {"value": value})


# ------------------------------------------------------------------ fabrics
@route("GET", VAULT + r"/replicationfabrics")
def list_fabrics(req, sub, rg, vault):
    s, record = _vault(req, sub, rg, vault)
    return Response(200, {"value": [fabric_json(s, record, f) for f in record["contents"]["fabrics"]]})


@route("GET", FABRIC)
def get_fabric(req, sub, rg, vault, fabric):
    s, record = _vault(req, sub, rg, vault)
    return Response(200, fabric_json(s, record, _fabric(record, fabric)))


@route("POST", FABRIC + r"/remove")
def remove_fabric(req, sub, rg, vault, fabric):
    s, record = _vault(req, sub, rg, vault, "write")
    f = _fabric(record, fabric)

    def finish():
        if f["vcenters"] or any(c["protected"] or c["mappings"] for c in f["containers"].values()):
            raise ArmError(400, "FabricHasDependentObjects",  # code not verified
                           f"The configuration server '{f['name']}' still has vCenters, mappings or protected items.")
        record["contents"]["fabrics"] = [x for x in record["contents"]["fabrics"] if x is not f]
    path = f"{vault_id(s, rg, record)}/replicationFabrics/{f['name']}"
    return _job(req, s, record, "fabric_remove", f["name"], finish, path)


# ------------------------------------------------------------------ vCenters
@route("GET", FABRIC + r"/replicationvcenters")
def list_vcenters(req, sub, rg, vault, fabric):
    s, record = _vault(req, sub, rg, vault)
    f = _fabric(record, fabric)
    return Response(200, {"value": [vcenter_json(s, record, f, vc) for vc in f["vcenters"].values()]})


@route("GET PUT PATCH DELETE", FABRIC + r"/replicationvcenters/(?P<name>[^/]+)")
def vcenter(req, sub, rg, vault, fabric, name):
    s, record = _vault(req, sub, rg, vault, "read" if req.method == "GET" else "write")
    f = _fabric(record, fabric)
    existing = f["vcenters"].get(name.lower())
    path = f"{vault_id(s, rg, record)}/replicationFabrics/{f['name']}/replicationvCenters/{name}"
    if req.method == "GET":
        if existing is None:
            raise ArmError(404, "NotFound", f"vCenter '{name}' not found in fabric '{f['name']}'.")
        return Response(200, vcenter_json(s, record, f, existing))
    if req.method == "DELETE":
        if existing is None:
            return Response(204)

        def finish_delete():
            f["vcenters"].pop(name.lower(), None)
        return _job(req, s, record, "vcenter_delete", name, finish_delete, path)
    if f.get("type", "VMware") != "VMware":
        raise ArmError(400, "OperationNotSupported",  # not verified; the portal adds vCenters on the appliance
                       f"Adding a vCenter is not supported on fabric '{f['name']}' of type {f.get('type')}.")
    p = req.json().get("properties") or {}
    details = f.get("details") or {}
    if req.method == "PATCH" and existing is None:
        raise ArmError(404, "NotFound", f"vCenter '{name}' not found in fabric '{f['name']}'.")
    for key in ("runAsAccountId", "processServerId"):
        value = p.get(key)
        known = [a["id"] for a in details.get("run_as_accounts") or []] if key == "runAsAccountId" else \
            [ps["id"] for ps in details.get("process_servers") or []]
        if (req.method == "PUT" or value is not None) and value not in known:
            raise ArmError(400, "InvalidParameter", f"{key} '{value}' is not known to configuration server '{f['name']}'.")
    if req.method == "PUT" and (not p.get("ipAddress") or not p.get("friendlyName")):
        raise ArmError(400, "InvalidParameter", "friendlyName and ipAddress are required.")

    def finish():
        vc = f["vcenters"].get(name.lower())
        if vc is None:
            vc = {"name": name, "internal_id": str(uuid.uuid4()), "infrastructure_id": f"/infrastructure/{uuid.uuid4()}"}
            f["vcenters"][name.lower()] = vc
        for key, field in (("friendlyName", "friendly_name"), ("ipAddress", "ip_address"), ("port", "port"),
                           ("processServerId", "process_server_id"), ("runAsAccountId", "run_as_account_id")):
            if p.get(key) is not None:
                vc[field] = str(p[key]) if key == "port" else p[key]
        vc.setdefault("port", "443")
        vc.setdefault("friendly_name", name)
    return _job(req, s, record, "vcenter_" + ("create" if req.method == "PUT" else "update"), name, finish, path)


# ------------------------------------------------------------------ protection containers, protectable and protected items
@route("GET", FABRIC + r"/replicationprotectioncontainers")
def list_containers(req, sub, rg, vault, fabric):
    s, record = _vault(req, sub, rg, vault)
    f = _fabric(record, fabric)
    return Response(200, {"value": [container_json(s, record, f, c) for c in f["containers"].values()]})


@route("GET", CONTAINER + r"/replicationprotectableitems")
def list_protectable(req, sub, rg, vault, fabric, container):
    s, record = _vault(req, sub, rg, vault)
    f = _fabric(record, fabric)
    c = _container(f, container)
    return Response(200, {"value": [protectable_json(s, record, f, c, i) for i in c["protectable"]]})


def _all_containers(record):
    for f in record["contents"]["fabrics"]:
        for c in (f.get("containers") or {}).values():
            yield f, c


@route("GET", VAULT + r"/replicationprotecteditems")
def list_protected(req, sub, rg, vault):
    s, record = _vault(req, sub, rg, vault)
    return Response(200, {"value": [protected_json(s, record, f, c, i) for f, c in _all_containers(record)
                                    for i in c["protected"].values()]})


@route("POST", CONTAINER + r"/replicationprotecteditems/(?P<item>[^/]+)/remove")
def disable_protection(req, sub, rg, vault, fabric, container, item):
    s, record = _vault(req, sub, rg, vault, "write")
    f = _fabric(record, fabric)
    c = _container(f, container)
    if item.lower() not in c["protected"]:
        raise ArmError(404, "NotFound", f"Protected item '{item}' not found.")
    req.json()

    def finish():
        c["protected"].pop(item.lower(), None)
        _sync_counts(record)
    path = container_json(s, record, f, c)["id"] + f"/replicationProtectedItems/{item}"
    return _job(req, s, record, "disable_protection", item, finish, path)


# ------------------------------------------------------------------ container mappings
@route("GET", VAULT + r"/replicationprotectioncontainermappings")
def list_mappings(req, sub, rg, vault):
    s, record = _vault(req, sub, rg, vault)
    return Response(200, {"value": [mapping_json(s, record, f, c, m) for f, c in _all_containers(record)
                                    for m in c["mappings"].values()]})


@route("GET PUT", CONTAINER + r"/replicationprotectioncontainermappings/(?P<name>[^/]+)")
def mapping(req, sub, rg, vault, fabric, container, name):
    s, record = _vault(req, sub, rg, vault, "read" if req.method == "GET" else "write")
    f = _fabric(record, fabric)
    c = _container(f, container)
    if req.method == "GET":
        if name.lower() not in c["mappings"]:
            raise ArmError(404, "NotFound", f"Protection container mapping '{name}' not found.")
        return Response(200, mapping_json(s, record, f, c, c["mappings"][name.lower()]))
    p = req.json().get("properties") or {}
    policy_name = str(p.get("policyId") or "").rstrip("/").rsplit("/", maxsplit=1)[-1].lower()
    if policy_name not in sr_state(record)["policies"]:
        raise ArmError(400, "InvalidParameter", f"Policy '{p.get('policyId')}' does not exist in the vault.")

    def finish():
        c["mappings"][name.lower()] = {"name": name, "policy_id": p["policyId"],
                                       "target": p.get("targetProtectionContainerId") or "Microsoft Azure"}
    path = container_json(s, record, f, c)["id"] + f"/replicationProtectionContainerMappings/{name}"
    return _job(req, s, record, "mapping_create", name, finish, path)


@route("POST", CONTAINER + r"/replicationprotectioncontainermappings/(?P<name>[^/]+)/remove")
def remove_mapping(req, sub, rg, vault, fabric, container, name):
    s, record = _vault(req, sub, rg, vault, "write")
    f = _fabric(record, fabric)
    c = _container(f, container)
    if name.lower() not in c["mappings"]:
        raise ArmError(404, "NotFound", f"Protection container mapping '{name}' not found.")
    policy_id = c["mappings"][name.lower()]["policy_id"].lower()

    def finish():
        if any(str(i.get("policy_id") or "").lower() == policy_id for i in c["protected"].values()):
            raise ArmError(400, "ProtectionContainerMappingHasProtectedItems",  # code not verified
                           "The mapping cannot be removed while items are protected with its policy.")
        c["mappings"].pop(name.lower(), None)
    path = container_json(s, record, f, c)["id"] + f"/replicationProtectionContainerMappings/{name}"
    return _job(req, s, record, "mapping_remove", name, finish, path)


# ------------------------------------------------------------------ policies
POLICY_RANGES = {  # REST field -> (min, max); outside -> the job fails (the service accepts the request)
    "recoveryPointHistory": (0, 21600), "recoveryPointHistoryInMinutes": (0, 21600),
    "appConsistentFrequencyInMinutes": (0, 720), "crashConsistentFrequencyInMinutes": (0, 60),
    "recoveryPointThresholdInMinutes": (0, 1440),
}


@route("GET", VAULT + r"/replicationpolicies")
def list_policies(req, sub, rg, vault):
    s, record = _vault(req, sub, rg, vault)
    return Response(200, {"value": [policy_json(s, record, p) for p in sr_state(record)["policies"].values()]})


@route("GET PUT PATCH DELETE", VAULT + r"/replicationpolicies/(?P<name>[^/]+)")
def policy(req, sub, rg, vault, name):
    s, record = _vault(req, sub, rg, vault, "read" if req.method == "GET" else "write")
    policies = sr_state(record)["policies"]
    existing = policies.get(name.lower())
    path = f"{vault_id(s, rg, record)}/replicationPolicies/{name}"
    if req.method == "GET":
        if existing is None:
            raise ArmError(404, "NotFound", f"Policy '{name}' not found.")
        return Response(200, policy_json(s, record, existing))
    if req.method == "DELETE":
        if existing is None:
            return Response(204)

        def finish_delete():
            if any(m["policy_id"].rstrip("/").rsplit("/", maxsplit=1)[-1].lower() == name.lower()
                   for _fabric_record, c in _all_containers(record) for m in c["mappings"].values()):
                raise ArmError(400, "PolicyInUse",  # code not verified
                               f"Policy '{name}' is associated with protection containers; remove the mappings first.")
            policies.pop(name.lower(), None)
        return _job(req, s, record, "policy_delete", name, finish_delete, path)
    if req.method == "PATCH" and existing is None:
        raise ArmError(404, "NotFound", f"Policy '{name}' not found.")
    p = req.json().get("properties") or {}
    details = p.get("providerSpecificInput") if req.method == "PUT" else p.get("replicationProviderSettings")
    if not isinstance(details, dict) or details.get("instanceType") not in ("InMageAzureV2", "InMageRcm", "HyperVReplicaAzure",
                                                                            "A2A", "VMwareCbt", "InMage"):
        raise ArmError(400, "InvalidParameter", "providerSpecificInput.instanceType is missing or not supported.")

    def finish():
        for key, (low, high) in POLICY_RANGES.items():
            value = details.get(key)
            if value is not None and not low <= int(value) <= high:
                raise ArmError(400, "150261", f"The value {value} of {key} is outside the allowed range {low}-{high}.")
        policies[name.lower()] = {"name": name, "details": dict(details)}
    return _job(req, s, record, "policy_" + ("create" if req.method == "PUT" else "update"), name, finish, path)


# ------------------------------------------------------------------ jobs and operation status
@route("GET", VAULT + r"/replicationoperationstatus/(?P<op>[^/]+)")
def operation_status(req, sub, rg, vault, op):
    s, record = _vault(req, sub, rg, vault)
    rec = _poll(req, record, op)
    body = {"id": req.path, "name": op, "status": rec["status"], "startTime": iso(rec["start"])}
    if rec.get("end"):
        body["endTime"] = iso(rec["end"])
    if rec["error"]:
        body["error"] = rec["error"]
    return Response(200, body)


@route("GET", VAULT + r"/(?P<rest>.+)/operationresults/(?P<op>[^/]+)")
def operation_result(req, sub, rg, vault, rest, op):
    s, record = _vault(req, sub, rg, vault)
    rec = _poll(req, record, op)
    if rec["status"] == "InProgress":
        return Response(202, None, req.fake.lro_headers(location=f"{req.fake.base_url}{req.path}?api-version={req.query.get('api-version')}"))
    if rec["status"] == "Failed":
        return Response(400, {"error": rec["error"]})
    return Response(204)


@route("GET", VAULT + r"/replicationjobs")
def list_jobs(req, sub, rg, vault):
    s, record = _vault(req, sub, rg, vault)
    return Response(200, {"value": [job_json(s, record, j) for j in sr_state(record)["jobs"].values()]})


@route("GET", VAULT + r"/replicationjobs/(?P<job>[^/]+)")
def get_job(req, sub, rg, vault, job):
    s, record = _vault(req, sub, rg, vault)
    found = sr_state(record)["jobs"].get(job)
    if found is None:
        raise ArmError(404, "NotFound", f"Job '{job}' not found.")
    return Response(200, job_json(s, record, found))


# ------------------------------------------------------------------ Microsoft.OffAzure (modernized discovery)
@route("GET", srv.RG + r"/providers/microsoft\.offazure/vmwaresites/(?P<site>[^/]+)/machines")
def offazure_machines(req, sub, rg, site):
    s = req.fake._subscription(sub)
    req.authorize(s, f"/subscriptions/{s['id']}/resourceGroups/{rg}", "Microsoft.OffAzure/VMwareSites/machines/read")
    found = s.setdefault("offazure_sites", {}).get(f"{rg}/{site}".lower())
    if found is None:
        raise ArmError(404, "ResourceNotFound", f"The Resource 'Microsoft.OffAzure/VMwareSites/{site}' under resource group "
                                                f"'{rg}' was not found.")
    base = f"/subscriptions/{s['id']}/resourceGroups/{rg}/providers/Microsoft.OffAzure/VMwareSites/{site}/machines"
    return Response(200, {"value": [{
        "id": f"{base}/{m['id']}", "name": m["id"], "type": "Microsoft.OffAzure/VMwareSites/machines",
        "properties": {"displayName": m["name"], "vCenterFQDN": m.get("vcenter"), "instanceUuid": m["id"],
                       "powerStatus": "ON", "firmware": "BIOS", "numberOfProcessorCore": 2, "allocatedMemoryInMB": 4096}}
        for m in found["machines"]], "nextLink": None})


# ------------------------------------------------------------------ test-only admin API
def _admin_vault(fake, sub, rg, vault):
    return fake._subscription(sub), get_vault(fake._subscription(sub), rg, vault)


@route("GET POST", r"/_admin/siterecovery/(?P<action>.+)", arm=False)
def admin(req, action: str):
    """Seeding: ``{sub}/{rg}/{vault}/fabrics`` (POST a fabric), ``{sub}/{rg}/{vault}/protected``, ``{sub}/{rg}/{vault}/state``
    (provisioning state, provider type), ``subscriptions/{sub}/state``, ``config`` (fail_jobs), ``{sub}/{rg}/{vault}`` (GET)."""
    fake = req.fake
    body = req.json() if req.method == "POST" else {}
    parts = action.strip("/").split("/")
    config = fake_config(fake)
    if parts == ["config"]:
        config["fail_jobs"].update(body.get("fail_jobs") or {})
        return Response(200, {})
    if len(parts) == 3 and parts[0] == "subscriptions" and parts[2] == "state":
        fake._subscription(parts[1])["state"] = body["state"]
        return Response(200, {})
    if len(parts) == 3 and req.method == "GET":
        s, record = _admin_vault(fake, *parts)
        return Response(200, {
            "fabrics": {f["name"]: {"type": f.get("type"), "vcenters": {vc["name"]: dict(vc.items())
                                                                        for vc in (f.get("vcenters") or {}).values()},
                                    "containers": {c["name"]: {"mappings": sorted(m["name"] for m in c["mappings"].values()),
                                                               "protected": sorted(i["friendly_name"] for i in c["protected"].values())}
                                                   for c in (f.get("containers") or {}).values()}}
                        for f in record["contents"]["fabrics"]},
            "policies": {p["name"]: p["details"] for p in sr_state(record)["policies"].values()},
            "jobs": [{"kind": j["kind"], "target": j["target"], "state": j["state"]} for j in sr_state(record)["jobs"].values()],
        })
    if len(parts) == 4 and parts[3] == "fabrics":
        s, record = _admin_vault(fake, *parts[:3])
        kind = body.get("type", "VMware")
        details = {"host_name": body.get("host_name"), "ip_address": body.get("ip_address"),
                   "process_servers": [{"id": ps.get("id") or str(uuid.uuid4()), "name": ps["name"], "ip_address": ps.get("ip_address")}
                                       for ps in body.get("process_servers") or []],
                   "run_as_accounts": [{"id": str(index + 1), "name": name}
                                       for index, name in enumerate(body.get("run_as_accounts") or [])]}
        if kind == "InMageRcm" and body.get("vmware_site"):
            site = body["vmware_site"]
            details["vmware_site_id"] = (f"/subscriptions/{s['id']}/resourceGroups/{record['rg']}/providers/Microsoft.OffAzure"
                                         f"/VMwareSites/{site['name']}")
            s.setdefault("offazure_sites", {})[f"{record['rg']}/{site['name']}".lower()] = {
                "machines": [{"id": str(uuid.uuid4()), "name": m["name"], "vcenter": m.get("vcenter")} for m in site.get("machines") or []]}
        fabric = {"name": body["name"], "friendly_name": body.get("friendly_name") or body.get("host_name") or body["name"],
                  "type": kind, "id": str(uuid.uuid4()), "registered_servers": 1, "protected_items": 0, "details": details,
                  "vcenters": {}, "containers": {}}
        for container in body.get("containers") or [{"name": f"cloud_{uuid.uuid4()}"}]:
            fabric["containers"][container["name"].lower()] = {
                "name": container["name"], "mappings": {}, "protected": {},
                "protectable": [{"id": str(uuid.uuid4()), "name": vm["name"], "vcenter": vm.get("vcenter")}
                                for vm in container.get("protectable") or []]}
        record["contents"]["fabrics"] = [f for f in record["contents"]["fabrics"] if f["name"].lower() != body["name"].lower()]
        record["contents"]["fabrics"].append(fabric)
        sr_state(record)["provider_type"] = "InMageRcm" if kind == "InMageRcm" else "Vmware"
        return Response(200, {"fabric": body["name"], "containers": list(fabric["containers"]),
                              "run_as_accounts": details["run_as_accounts"], "process_servers": details["process_servers"]})
    if len(parts) == 4 and parts[3] == "protected":
        s, record = _admin_vault(fake, *parts[:3])
        f = _fabric(record, body["fabric"])
        c = _container(f, body["container"])
        policy_id = (f"{vault_id(s, None, record)}/replicationPolicies/{body['policy']}" if body.get("policy") else None)
        for name in body.get("items") or []:
            item_name = str(uuid.uuid4())
            c["protected"][item_name] = {"name": item_name, "friendly_name": name, "policy": body.get("policy"),
                                         "policy_id": policy_id}
        _sync_counts(record)
        return Response(200, {})
    if len(parts) == 4 and parts[3] == "state":
        s, record = _admin_vault(fake, *parts[:3])
        if "provisioning_state" in body:
            record["provisioning_state"] = body["provisioning_state"]
        return Response(200, {})
    raise ArmError(404, "NotFound", f"Unknown site recovery admin action {action!r}.")


# Answer before the server's own routes (its replicationFabrics list and its generic /_admin/ route).
ROUTES[:] = ROUTES[_FIRST:] + ROUTES[:_FIRST]
