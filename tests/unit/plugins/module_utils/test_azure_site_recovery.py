"""Pure logic of module_utils/azure_site_recovery.py: validation, the vault view, planning, discovery comparison."""
from __future__ import annotations

import pytest

from ansible_collections.tenantdr.asr.plugins.module_utils.azure_site_recovery import (
    SiteRecoveryError, choose_process_server, plans_from_isolation_report, discovery_report, plan_offboarding, plan_site_recovery,
    resolves_to_same_host, same_id, tenant_vm_sets, validate_discovery_inputs, validate_policy_settings,
    validate_site_recovery_inputs, vault_view,
)

SUB = "/Subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.RecoveryServices/vaults/v"


def fabric(name="cs1", kind="VMware", accounts=(("1", "acme-dr"),), servers=(("ps-1", "cs1", "10.0.0.10"),), vcenters=(),
           containers=("cloud_1",)):
    raw_fabric = {"name": name, "id": f"{SUB}/replicationFabrics/{name}", "properties": {"customDetails": {
        "instanceType": kind, "hostName": "cs1", "ipAddress": "10.0.0.10",
        "processServers": [{"id": i, "friendlyName": n, "ipAddress": ip} for i, n, ip in servers],
        "runAsAccounts": [{"accountId": i, "accountName": n} for i, n in accounts]}}}
    return {
        "fabrics": [raw_fabric],
        "vcenters": {name: [{"name": v["name"], "properties": v} for v in vcenters]},
        "containers": {name: [{"name": c, "id": f"{SUB}/replicationFabrics/{name}/replicationProtectionContainers/{c}",
                               "properties": {}} for c in containers]},
        "policies": [], "mappings": [], "protected_items": [], "usages": [], "settings": [],
    }


DESIRED = {"tenant": "acme", "vault": "v", "credentials_path": "/k/acme.VaultCredentials",
           "vcenter": {"name": "vc1", "address": "10.0.0.5", "port": 443, "run_as_account": "acme-dr"},
           "policy": {"name": "pol"}}


def test_policy_ranges_from_the_vmware_policy_pages():
    assert validate_policy_settings({"recovery_point_retention_hours": 360, "app_consistent_frequency_minutes": 720}) == []
    assert validate_policy_settings({"recovery_point_retention_hours": 361}) == [
        "policy.recovery_point_retention_hours is 361; Azure allows 0 to 360"]
    assert validate_policy_settings({"app_consistent_frequency_minutes": 721, "recovery_point_retention_hours": 0}) == [
        "policy.app_consistent_frequency_minutes is 721; Azure allows 0 to 720"]
    assert validate_policy_settings({"recovery_point_retention_hours": 1, "app_consistent_frequency_minutes": 120}) == [
        "policy.app_consistent_frequency_minutes (120) must not exceed the recovery point retention (1 hours = 60 minutes)"]
    assert "whole number" in validate_policy_settings({"rpo_threshold_minutes": "60"})[0]


def test_site_recovery_inputs_name_every_bad_value():
    problems = validate_site_recovery_inputs({"vault": "1bad", "resource_group": "rg", "state": "present",
                                              "vcenter": {"name": "vc 1", "address": "bad host!", "port": 70000},
                                              "policy": {}})
    assert problems == [
        "vault '1bad' is not a valid Recovery Services vault name",
        "vcenter.name 'vc 1' is not valid (the vCenter's friendly name in the vault): 1-128 letters, digits, '-', '_' or '.'",
        "vcenter.address 'bad host!' is not a host name or IPv4 address",
        "vcenter.port 70000 must be a TCP port between 1 and 65535",
        "vcenter.run_as_account is required: the vCenter access account as it is named in the configuration server's "
        "run-as accounts (seed step 3.4)",
        "policy.name is required with state=present",
    ]
    assert validate_discovery_inputs({"tenant_name": "acme"}) == [
        "give the tenant's VMs: tenant_vms (names or inventory paths), plans (tenantdr.asr.tenant_mapping plans) or "
        "isolation_report (tenantdr.asr.tenant_isolation_audit report)"]


def test_ids_compare_case_insensitively():
    assert same_id("/Subscriptions/A/resourceGroups/RG/x", "/subscriptions/a/resourcegroups/rg/x/")
    assert not same_id(None, None)


def test_empty_vault_is_pending_with_the_manual_step():
    plan = plan_site_recovery(DESIRED, vault_view({"fabrics": []}))
    assert plan["changes"] == [] and plan["pending"]["stage"] == "configuration_server"
    assert "/k/acme.VaultCredentials" in plan["pending"]["message"] and "acme-dr" in plan["pending"]["message"]


def test_process_server_chosen_like_az_powershell():
    view = vault_view(fabric(servers=(("ps-x", "other", "10.0.0.99"), ("ps-cs", "cs1", "10.0.0.10"))))
    assert choose_process_server(view["fabrics"][0], None)["id"] == "ps-cs"
    with pytest.raises(SiteRecoveryError, match="process server 'nope' is not known"):
        choose_process_server(view["fabrics"][0], "nope")


def test_plan_order_and_idempotency():
    view = vault_view(fabric())
    plan = plan_site_recovery(DESIRED, view)
    assert [c["action"] for c in plan["changes"]] == ["add_vcenter", "create_policy", "create_mapping"]
    assert plan["changes"][0]["settings"] == {"address": "10.0.0.5", "port": 443, "run_as_account_id": "1",
                                              "process_server_id": "ps-1"}
    raw = fabric(vcenters=({"name": "vc1", "ipAddress": "10.0.0.5", "port": "443", "runAsAccountId": "1",
                            "processServerId": "PS-1"},))
    raw["policies"] = [{"name": "pol", "id": f"{SUB}/replicationPolicies/pol", "properties": {"providerSpecificDetails": {
        "instanceType": "InMageAzureV2", "recoveryPointThresholdInMinutes": 60, "recoveryPointHistory": 1440,
        "appConsistentFrequencyInMinutes": 120, "crashConsistentFrequencyInMinutes": 5}}}]
    mapping_id = f"{SUB.lower()}/replicationfabrics/cs1/replicationprotectioncontainers/cloud_1/replicationProtectionContainerMappings/m"
    raw["mappings"] = [{"name": "m", "id": mapping_id, "properties": {"policyId": f"{SUB}/replicationPolicies/pol"}}]
    assert plan_site_recovery(DESIRED, vault_view(raw))["changes"] == []


def test_vcenter_address_change_must_name_the_same_vcenter():
    table = {"vc.old": ["10.0.0.5"], "vc.alias": ["10.0.0.5"], "vc.other": ["10.9.9.9"]}
    resolver = table.get
    assert resolves_to_same_host("vc.old", "vc.alias", resolver) is None
    assert resolves_to_same_host("vc.old", "VC.OLD", resolver) is None
    assert resolves_to_same_host("vc.old", "vc.other", resolver) == \
        "'vc.other' resolves to 10.9.9.9, the registered vCenter 'vc.old' to 10.0.0.5"
    assert resolves_to_same_host("vc.old", "vc.unknown", resolver) == "'vc.unknown' does not resolve"


def test_offboarding_plan_needs_confirmation_and_keeps_order():
    raw = fabric(vcenters=({"name": "vc1", "ipAddress": "10.0.0.5"},))
    container = f"{SUB}/replicationFabrics/cs1/replicationProtectionContainers/cloud_1"
    raw["protected_items"] = [{"name": "item1", "id": f"{container}/replicationProtectedItems/item1",
                               "properties": {"friendlyName": "acme-vm01"}}]
    raw["mappings"] = [{"name": "m", "id": f"{container}/replicationProtectionContainerMappings/m",
                        "properties": {"policyId": f"{SUB}/replicationPolicies/pol"}},
                       {"name": "other", "id": f"{container}/replicationProtectionContainerMappings/other",
                        "properties": {"policyId": f"{SUB}/replicationPolicies/someone-elses"}}]
    raw["policies"] = [{"name": "pol", "properties": {}}, {"name": "someone-elses", "properties": {}}]
    view = vault_view(raw)
    unconfirmed = plan_offboarding(DESIRED, view)
    assert unconfirmed["needs_confirmation"] is True
    confirmed = plan_offboarding(dict(DESIRED, confirm_disable_replication=True, remove_configuration_server=True), view)
    assert [(c["action"], c.get("item") or c.get("mapping") or c.get("policy") or c.get("vcenter") or c.get("fabric"))
            for c in confirmed["changes"]] == [
        ("disable_protection", "item1"), ("remove_mapping", "m"), ("delete_policy", "pol"), ("remove_vcenter", "vc1"),
        ("remove_fabric", "cs1")]


def test_discovery_report_names_owner_and_lag():
    mine, owners = tenant_vm_sets("acme", plans=[{"tenant": "acme", "vms": ["/DC/vm/a/acme-1", "/DC/vm/a/acme-2"]},
                                                 {"tenant": "globex", "vms": ["/DC/vm/g/globex-1"]}])
    report = discovery_report("acme", [{"name": "ACME-1", "vcenter": "vc"}, {"name": "globex-1", "vcenter": "vc"}], mine, owners)
    assert [(leak["vm"], leak["owner"]) for leak in report["leaks"]] == [("globex-1", "globex")]
    assert report["not_yet_discovered"] == ["acme-2"]


def test_vm_lists_from_an_isolation_report_and_a_missing_tenant():
    report = {"tenants": {"acme": {"own_vms_visible": ["/DC/vm/a/acme-1"], "own_vms_not_visible": ["/DC/vm/a/acme-2"]},
                          "globex": {"own_vms_visible": ["/DC/vm/g/globex-1"], "own_vms_not_visible": []}}}
    plans = plans_from_isolation_report(report)
    mine, owners = tenant_vm_sets("acme", plans=plans)
    assert mine == {"acme-1": "acme-1", "acme-2": "acme-2"} and owners["globex-1"] == "globex"
    # a tenant absent from the lists is "unknown", never "owns nothing" (which would make every VM a leak)
    assert tenant_vm_sets("initech", plans=plans)[0] is None
