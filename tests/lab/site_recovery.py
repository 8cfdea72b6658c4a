"""Site Recovery in a running lab: play the person who runs the configuration-server installer, and check the vaults.

The collection's onboarding is two-phase (issue 10): the first run creates the vault and its registration key and
prints the manual step "install the configuration server with this key, add the vCenter access account"; a later run
of the same playbook registers the vCenter, the replication policy and the container mappings. In the lab nobody runs
UnifiedSetup.exe, so this helper does what the installer and cspsconfigtool.exe make Azure see, through the local ARM
endpoint's admin routes (``tests/arm/site_recovery.py``), and reads the vaults back through ARM REST:

    python -m tests.lab.site_recovery install [--limit HOSTS] [--modernized HOSTS] [--leak VM]
        For each tenant whose vault has no configuration server yet: register a classic configuration server fabric
        ``cs-<tenant>`` (process server ``cs-<tenant>``, run-as account = the tenant's vCenter access account as the
        printed step names it, protection container ``cloud_<tenant>``) whose protectable items are the VMs the
        access account can see in the tenant's vCenter (read with pyVmomi: a permission on the VM or a propagating one
        on a parent - what the configuration server's discovery sees). ``--modernized``: those tenants get a
        replication appliance (``InMageRcm``) fabric and a Microsoft.OffAzure VMware site with the same machines
        instead (as once the person has also added the vCenter on the appliance - the manual step the re-run
        prints). ``--leak VM``: the discovery also finds VM (a path or a name of the tenant's vCenter) - to show the
        leak check. A tenant whose vault already has a fabric is left alone (re-running the helper changes nothing).
    python -m tests.lab.site_recovery protect [--limit HOSTS]
        Enable replication of one discovered VM per tenant (the last by name: in the lab's naming the configuration
        server <tenant>-cs01 sorts first) with the tenant's policy, as the provider would in the portal (the collection
        does not enable replication).
    python -m tests.lab.site_recovery verify [--limit HOSTS] --expect present|absent [--delete-vault]
        present: read each vault through ARM REST (api-version 2025-08-01) and check seed step 4 - the tenant's vCenter
        registered in the configuration server's fabric with the tenant's access account (run-as account) and the
        configuration server's process server; the replication policy ``<tenant>-replication`` with Azure's portal
        defaults (hand-written below); every protection container mapped to it; every protectable item a VM of the
        tenant (its vCenter custom attribute ``tenant``). absent: the vault is gone (``--delete-vault``) or holds no
        fabric, policy or mapping of the tenant; and the endpoint's request log shows the offboarding writes in Site
        Recovery's order (protected items, mappings, policy, vCenter, fabric, vault).
    python -m tests.lab.site_recovery writes --mark FILE | --none-since FILE
        Remember how many requests the ARM endpoint has seen / fail when an ARM write (PUT, PATCH, DELETE, POST)
        happened since (a re-run must change nothing in Azure).

The first run of the helper on a vault is the "installer" moment; the tenant's onboarding must have created the vault.
"""
from __future__ import annotations

import argparse
import json
import os
import sys

from tests.arm.controller import WRITE_METHODS, LocalArmEndpoint
from tests.lab.verify import ArmReader, VCenterReader, VerifyError, lab_state, select, tenant_details

SITE_RECOVERY_API = "2025-08-01"
RS = "Microsoft.RecoveryServices"
#: Azure's portal defaults of a classic (InMageAzureV2) replication policy ("Set up replication policy" for VMware to
#: Azure, classic): RPO threshold 60 minutes, recovery point retention 24 hours (the REST field is in minutes),
#: app-consistent snapshots every 120 minutes, crash-consistent every 5 minutes. Written by hand, not taken from the code.
CLASSIC_POLICY_DEFAULTS = {"recoveryPointThresholdInMinutes": 60, "recoveryPointHistory": 24 * 60,
                           "appConsistentFrequencyInMinutes": 120, "crashConsistentFrequencyInMinutes": 5}
#: Offboarding order of Microsoft's "Delete a Site Recovery vault" article (disable replication, remove the container
#: mappings, delete the policy, remove the vCenter, unregister the configuration server, delete the vault).
OFFBOARDING_ORDER = ("disable replication", "remove container mapping", "delete policy", "remove vCenter",
                     "unregister configuration server", "delete vault")


def fabric_name(tenant: dict, modernized: bool = False) -> str:
    return ("appliance-%s" if modernized else "cs-%s") % tenant["name"]


def vault_path(tenant: dict) -> str:
    return "/subscriptions/%s/resourceGroups/%s/providers/%s/vaults/%s" % (
        tenant["subscription_id"], tenant["resource_group"], RS, tenant["vault_name"])


def _vcenter_of(state: dict, tenant: dict) -> dict:
    for vc in state["vcenters"]:
        if tenant["host"] in vc["tenants"]:
            return vc
    raise VerifyError("tenant %s has no vCenter in the lab" % tenant["host"])


def _reader(vc: dict) -> VCenterReader:
    return VCenterReader(vc["host"], vc["port"], os.environ.get("VMWARE_USER") or vc["username"],
                         os.environ.get("VMWARE_PASSWORD") or vc["password"])


def _arm_admin(state: dict) -> LocalArmEndpoint:
    return LocalArmEndpoint.attach(state["arm"]["base_url"], state["arm"]["ca_bundle"], state["arm"]["port"])


def _vault_state(arm: LocalArmEndpoint, tenant: dict) -> dict | None:
    try:
        return arm.site_recovery_state(tenant["resource_group"], tenant["vault_name"], tenant["subscription_id"])
    except RuntimeError as exc:
        if " 404 " in str(exc):
            return None
        raise


def _name(path: str) -> str:
    return path.rstrip("/").rsplit("/", 1)[-1]


# ----------------------------------------------------------------------------------------------------------------------
# the installer
# ----------------------------------------------------------------------------------------------------------------------
def install(limit=None, modernized=(), leaks=(), log=print) -> list[str]:
    """Register a configuration server (or appliance) for each tenant's vault that has none yet."""
    state = lab_state()
    arm = _arm_admin(state)
    lines = []
    for index, tenant in enumerate(select(tenant_details(state["inventories"]), limit)):
        current = _vault_state(arm, tenant)
        if current is None:
            raise VerifyError("tenant %s: vault %s does not exist yet - run the onboarding first (it creates the vault and "
                              "the registration key the installer needs)" % (tenant["host"], tenant["vault_name"]))
        if current["fabrics"]:
            lines.append("%s: vault %s already has %s - left alone"
                         % (tenant["host"], tenant["vault_name"], ", ".join(sorted(current["fabrics"]))))
            continue
        key = os.path.join(state["credentials_dir"], tenant["name"], tenant["vault_name"] + ".VaultCredentials")
        if not os.path.exists(key):
            raise VerifyError("tenant %s: registration key %s is missing - the installer needs it" % (tenant["host"], key))
        vc = _vcenter_of(state, tenant)
        address = tenant["vcenter"]["hostname"]
        with _reader(vc) as reader:
            paths = set(reader.visible_vms(tenant["access_account"]))
            everything = reader.vms_by_tenant()
        for leak in leaks:
            paths.update(p for p in everything if p == leak or _name(p) == leak)
        machines = [{"name": _name(p), "vcenter": address} for p in sorted(paths)]
        is_modern = tenant["host"] in modernized or tenant["name"] in modernized
        name = fabric_name(tenant, is_modern)
        ip = "192.0.2.%d" % (10 + index)            # TEST-NET-1: the configuration server's address
        if is_modern:
            arm.add_fabric(tenant["resource_group"], tenant["vault_name"], name, "InMageRcm",
                           subscription_id=tenant["subscription_id"], host_name=name, ip_address=ip,
                           containers=[{"name": "cloud_%s" % tenant["name"]}],
                           vmware_site={"name": "%s-vmwaresite" % tenant["name"], "machines": machines})
            what = "replication appliance %s (modernized) with VMware site %s-vmwaresite" % (name, tenant["name"])
        else:
            arm.add_fabric(tenant["resource_group"], tenant["vault_name"], name, "VMware",
                           subscription_id=tenant["subscription_id"], host_name=name, ip_address=ip,
                           process_servers=[{"name": name, "ip_address": ip}], run_as_accounts=[tenant["access_account"]],
                           containers=[{"name": "cloud_%s" % tenant["name"], "protectable": machines}])
            what = "configuration server %s (classic), run-as account %s, process server %s" % (
                name, tenant["access_account"], name)
        lines.append("%s: installed with %s: %s; discovered %d VM(s): %s" % (
            tenant["host"], os.path.basename(key), what, len(machines), ", ".join(m["name"] for m in machines)))
    for line in lines:
        log(line)
    return lines


def protect(limit=None, log=print) -> list[str]:
    """Enable replication of one discovered VM per tenant (what the provider does in the portal)."""
    state = lab_state()
    arm = _arm_admin(state)
    reader = ArmReader(state["arm"]["base_url"], state["arm"]["ca_bundle"])
    lines = []
    for tenant in select(tenant_details(state["inventories"]), limit):
        current = _vault_state(arm, tenant)
        if not current or not current["policies"]:
            raise VerifyError("tenant %s: no replication policy in vault %s - run the onboarding after the installer first"
                              % (tenant["host"], tenant["vault_name"]))
        policy = sorted(current["policies"])[0]
        for fabric, data in sorted(current["fabrics"].items()):
            for container, cdata in sorted(data["containers"].items()):
                if cdata["protected"]:
                    lines.append("%s: %s already replicated" % (tenant["host"], ", ".join(cdata["protected"])))
                    continue
                status, body = reader.get("%s/replicationFabrics/%s/replicationProtectionContainers/%s/"
                                          "replicationProtectableItems" % (vault_path(tenant), fabric, container),
                                          SITE_RECOVERY_API)
                items = sorted(i["properties"]["friendlyName"] for i in body.get("value", [])) if status == 200 else []
                if items:
                    arm.add_protected_items(tenant["resource_group"], tenant["vault_name"], fabric, container, items[-1:],
                                            policy=policy, subscription_id=tenant["subscription_id"])
                    lines.append("%s: replication of %s enabled with policy %s (as in the portal)"
                                 % (tenant["host"], items[-1], policy))
    for line in lines:
        log(line)
    return lines


# ----------------------------------------------------------------------------------------------------------------------
# verification through ARM REST
# ----------------------------------------------------------------------------------------------------------------------
def _list(arm: ArmReader, path: str) -> list:
    status, body = arm.get(path, SITE_RECOVERY_API)
    if status != 200:
        raise VerifyError("GET %s: %s %s" % (path, status, body))
    return body.get("value", [])


def check_present(arm: ArmReader, tenant: dict, owners: dict) -> list[str]:
    base = vault_path(tenant)
    name = tenant["name"]
    fabrics = [f for f in _list(arm, base + "/replicationFabrics")
               if f["properties"]["customDetails"]["instanceType"] in ("VMware", "InMageRcm")]
    if len(fabrics) != 1:
        raise VerifyError("vault %s: expected one configuration server / appliance, found %s"
                          % (tenant["vault_name"], [f["name"] for f in fabrics]))
    fabric = fabrics[0]
    details = fabric["properties"]["customDetails"]
    checks = []
    if details["instanceType"] == "VMware":
        accounts = {a["accountName"].lower(): a["accountId"] for a in details.get("runAsAccounts") or []}
        account_id = accounts.get(tenant["access_account"].lower())
        if account_id is None:
            raise VerifyError("fabric %s has no run-as account %s" % (fabric["name"], tenant["access_account"]))
        process_servers = {p["id"] for p in details.get("processServers") or []}
        vcenters = _list(arm, "%s/replicationFabrics/%s/replicationvCenters" % (base, fabric["name"]))
        if len(vcenters) != 1:
            raise VerifyError("fabric %s: expected the tenant's vCenter only, found %s" % (fabric["name"], [v["name"] for v in vcenters]))
        vc = vcenters[0]["properties"]
        want = (tenant["vcenter"]["hostname"].lower(), str(tenant["vcenter"]["port"]))
        if (str(vc["ipAddress"]).lower(), str(vc["port"])) != want:
            raise VerifyError("vCenter %s is registered at %s:%s, expected %s:%s"
                              % (vcenters[0]["name"], vc["ipAddress"], vc["port"], *want))
        if vc["runAsAccountId"] != account_id:
            raise VerifyError("vCenter %s uses run-as account %s, not %s's access account %s (%s)"
                              % (vcenters[0]["name"], vc["runAsAccountId"], name, tenant["access_account"], account_id))
        if vc["processServerId"] not in process_servers:
            raise VerifyError("vCenter %s: process server %s is not the configuration server's" % (vcenters[0]["name"],
                                                                                                   vc["processServerId"]))
        checks.append("vCenter %s:%s registered in fabric %s with run-as account %s and process server %s"
                      % (vc["ipAddress"], vc["port"], fabric["name"], tenant["access_account"], vc["processServerId"]))
    else:
        checks.append("fabric %s is a modernized appliance (vCenter added on the appliance: manual step)" % fabric["name"])
    policy_name = "%s-replication" % name
    policies = {p["name"].lower(): p for p in _list(arm, base + "/replicationPolicies")}
    policy = policies.get(policy_name.lower())
    if policy is None:
        raise VerifyError("vault %s has no replication policy %s (has %s)" % (tenant["vault_name"], policy_name, sorted(policies)))
    got = policy["properties"]["providerSpecificDetails"]
    if details["instanceType"] == "VMware":
        wrong = {k: got.get(k) for k, v in CLASSIC_POLICY_DEFAULTS.items() if got.get(k) != v}
        if got.get("instanceType") != "InMageAzureV2" or wrong:
            raise VerifyError("policy %s: %s, settings differing from Azure's defaults %s: %s"
                              % (policy_name, got.get("instanceType"), CLASSIC_POLICY_DEFAULTS, wrong))
    elif got.get("instanceType") != "InMageRcm":
        raise VerifyError("policy %s is %s on a modernized vault" % (policy_name, got.get("instanceType")))
    checks.append("replication policy %s (%s)" % (policy["name"], got["instanceType"]))
    containers = _list(arm, "%s/replicationFabrics/%s/replicationProtectionContainers" % (base, fabric["name"]))
    mappings = _list(arm, base + "/replicationProtectionContainerMappings")
    for container in containers:
        mine = [m for m in mappings if m["id"].lower().startswith(container["id"].lower() + "/")
                and m["properties"]["policyId"].lower().endswith("/replicationpolicies/" + policy_name.lower())]
        if not mine:
            raise VerifyError("protection container %s is not mapped to policy %s" % (container["name"], policy_name))
        checks.append("protection container %s mapped to %s (%s)" % (container["name"], policy_name, mine[0]["name"]))
    if details["instanceType"] == "VMware":
        discovered = [i["properties"]["friendlyName"] for c in containers for i in _list(
            arm, "%s/replicationFabrics/%s/replicationProtectionContainers/%s/replicationProtectableItems"
            % (base, fabric["name"], c["name"]))]
    else:
        site = details["vmwareSiteId"]
        status, body = arm.get(site + "/machines", "2020-01-01")
        discovered = [m["properties"]["displayName"] for m in body.get("value", [])] if status == 200 else []
    foreign = ["%s (%s)" % (vm, "tenant %s" % owners[vm] if owners.get(vm) else "no tenant")
               for vm in discovered if owners.get(vm) != name]
    if foreign:
        raise VerifyError("vault %s discovers VMs that are not %s's: %s" % (tenant["vault_name"], name, ", ".join(foreign)))
    checks.append("discovered %d VM(s), all %s's: %s" % (len(discovered), name, ", ".join(sorted(discovered))))
    return checks


def _offboarding_step(method: str, relative: str) -> str | None:
    """The offboarding step a write request on a vault path (relative to the vault) is, or None."""
    parts = relative.strip("/").lower().split("/") if relative.strip("/") else []
    if method == "DELETE" and not parts:
        return OFFBOARDING_ORDER[5]
    if method == "POST" and len(parts) == 3 and parts[0] == "replicationfabrics" and parts[2] == "remove":
        return OFFBOARDING_ORDER[4]
    if method == "DELETE" and len(parts) == 4 and parts[2] == "replicationvcenters":
        return OFFBOARDING_ORDER[3]
    if method == "DELETE" and len(parts) == 2 and parts[0] == "replicationpolicies":
        return OFFBOARDING_ORDER[2]
    if method == "POST" and len(parts) == 7 and parts[6] == "remove":
        return {"replicationprotectioncontainermappings": OFFBOARDING_ORDER[1],
                "replicationprotecteditems": OFFBOARDING_ORDER[0]}.get(parts[4])
    return None


def check_absent(arm: ArmReader, tenant: dict, log_entries: list, delete_vault: bool) -> list[str]:
    base = vault_path(tenant)
    status, _body = arm.get(base, "2024-04-01")
    checks = []
    if delete_vault:
        if status != 404:
            raise VerifyError("vault %s still exists (%s)" % (tenant["vault_name"], status))
        checks.append("vault %s deleted" % tenant["vault_name"])
    else:
        for kind in ("replicationPolicies", "replicationProtectionContainerMappings", "replicationProtectedItems"):
            left = [x["name"] for x in _list(arm, "%s/%s" % (base, kind))]
            if left:
                raise VerifyError("vault %s still holds %s: %s" % (tenant["vault_name"], kind, left))
        for fabric in _list(arm, base + "/replicationFabrics"):
            if fabric["properties"]["customDetails"]["instanceType"] == "VMware":
                left = [v["name"] for v in _list(arm, "%s/replicationFabrics/%s/replicationvCenters" % (base, fabric["name"]))]
                if left:
                    raise VerifyError("fabric %s still holds vCenters %s" % (fabric["name"], left))
        checks.append("vault %s kept, no policy, mapping, protected item or vCenter left" % tenant["vault_name"])
    steps = []
    for entry in log_entries:
        path = entry["path"]
        if entry["method"] in WRITE_METHODS and entry["status"] < 400 and (
                path.lower() == base.lower() or path.lower().startswith(base.lower() + "/")):
            step = _offboarding_step(entry["method"], path[len(base):])
            if step:
                steps.append(step)
    ranks = [OFFBOARDING_ORDER.index(s) for s in steps]
    if ranks != sorted(ranks):
        raise VerifyError("vault %s: offboarding writes not in Site Recovery's order: %s" % (tenant["vault_name"], steps))
    if delete_vault and (not steps or steps[-1] != OFFBOARDING_ORDER[-1]):
        raise VerifyError("vault %s: the vault delete was not the last offboarding write: %s" % (tenant["vault_name"], steps))
    seen = []
    for step in steps:
        if step not in seen:
            seen.append(step)
    checks.append("offboarding writes in Site Recovery's order: %s" % " -> ".join(seen))
    return checks


def verify(limit=None, expect="present", delete_vault=False, log=print) -> list[str]:
    state = lab_state()
    tenants = select(tenant_details(state["inventories"]), limit)
    if not tenants:
        raise VerifyError("no tenant matches %r" % limit)
    arm = ArmReader(state["arm"]["base_url"], state["arm"]["ca_bundle"])
    lines = []
    if expect == "present":
        owners = {}
        for vc in state["vcenters"]:
            if any(t["host"] in vc["tenants"] for t in tenants):
                with _reader(vc) as reader:
                    owners.update({_name(p): owner for p, owner in reader.vms_by_tenant().items()})
        for tenant in tenants:
            lines.extend("%s: Site Recovery: %s" % (tenant["host"], c) for c in check_present(arm, tenant, owners))
    else:
        entries = _arm_admin(state).requests_log()
        for tenant in tenants:
            lines.extend("%s: Site Recovery: %s" % (tenant["host"], c)
                         for c in check_absent(arm, tenant, entries, delete_vault))
    for line in lines:
        log("ok  " + line)
    return lines


def writes(mark=None, none_since=None, log=print) -> int:
    entries = _arm_admin(lab_state()).requests_log()
    if mark:
        with open(mark, "w", encoding="utf-8") as handle:
            json.dump({"requests": len(entries)}, handle)
        log("ARM endpoint: %d requests so far (remembered in %s)" % (len(entries), mark))
        return 0
    with open(none_since, encoding="utf-8") as handle:
        start = json.load(handle)["requests"]
    made = [e for e in entries[start:] if e["method"] in WRITE_METHODS and "/oauth2/" not in e["path"]
            and "/msi/" not in e["path"]]
    reads = len(entries) - start - len(made)
    if made:
        log("FAILED  %d ARM write(s) since the mark: %s" % (len(made), "; ".join(
            "%s %s" % (e["method"], e["path"]) for e in made[:10])))
        return 1
    log("ok  no ARM write since the mark (%d read requests)" % reads)
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.lab.site_recovery", description=__doc__.split("\n\n", maxsplit=1)[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    sub = parser.add_subparsers(dest="action", required=True)
    inst = sub.add_parser("install", help="register a configuration server / appliance for each tenant's vault")
    inst.add_argument("-l", "--limit")
    inst.add_argument("--modernized", default="", help="comma-separated tenants that get a replication appliance")
    inst.add_argument("--leak", action="append", default=[], help="a VM (path or name) the discovery also finds")
    prot = sub.add_parser("protect", help="enable replication of each tenant's first discovered VM (portal)")
    prot.add_argument("-l", "--limit")
    ver = sub.add_parser("verify", help="check the tenants' Site Recovery state through ARM REST")
    ver.add_argument("-l", "--limit")
    ver.add_argument("--expect", choices=["present", "absent"], default="present")
    ver.add_argument("--delete-vault", action="store_true")
    wr = sub.add_parser("writes", help="remember the ARM request count / check that no ARM write happened since")
    group = wr.add_mutually_exclusive_group(required=True)
    group.add_argument("--mark", metavar="FILE")
    group.add_argument("--none-since", metavar="FILE")
    args = parser.parse_args(argv)
    try:
        if args.action == "install":
            install(args.limit, [x.strip() for x in args.modernized.split(",") if x.strip()], args.leak)
        elif args.action == "protect":
            protect(args.limit)
        elif args.action == "verify":
            verify(args.limit, args.expect, args.delete_vault)
        else:
            return writes(args.mark, args.none_since)
    except VerifyError as exc:
        print("FAILED  %s" % exc)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
