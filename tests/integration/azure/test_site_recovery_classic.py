"""asr_site_recovery on classic vaults (configuration server, fabric type VMware) through the real
azure-mgmt-recoveryservicessiterecovery 2.0.0 SDK against the local ARM endpoint: vCenter register/update/remove,
policy + container mapping, idempotent re-runs with zero writes, two-phase onboarding, refusals, offboarding order."""
from __future__ import annotations

import pytest

from ansible_collections.tenantdr.asr.plugins.module_utils.azure_common import AzureApiError, AzureSession
from ansible_collections.tenantdr.asr.plugins.module_utils.azure_site_recovery import SiteRecoveryWriter
from tests.support.modules import run_module

pytestmark = pytest.mark.arm
RG, VAULT = "rg-acme-dr", "rsv-acme-dr"
API = "2025-08-01"


@pytest.fixture
def vault(arm, tmp_path):
    run_module("asr_vault", dict(arm.module_args(), resource_group=RG, name=VAULT, location="westeurope",
                                 create_resource_group=True))
    arm.reset_log()
    return arm


def seed_cs(arm, accounts=("acme-dr",), protectable=()):
    """The configuration server of tenant acme has registered (seed step 3) with one container and one process server."""
    return arm.add_fabric(RG, VAULT, "cs-acme", "VMware", host_name="cs-acme", ip_address="10.0.0.10",
                          process_servers=[{"name": "cs-acme", "ip_address": "10.0.0.10"},
                                           {"name": "ps-scaleout", "ip_address": "10.0.0.11"}],
                          run_as_accounts=list(accounts),
                          containers=[{"name": "cloud_acme", "protectable": list(protectable)}])


def args(arm, **extra):
    out = dict(arm.module_args(), resource_group=RG, vault=VAULT, tenant_name="acme",
               credentials_path="/keys/acme/rsv-acme-dr.VaultCredentials",
               vcenter={"name": "vcenter01", "address": "10.0.0.5", "run_as_account": "acme-dr"},
               policy={"name": "acme-replication"})
    out.update(extra)
    return out


def writes(arm):
    return [(w["method"], w["path"].split("/vaults/")[-1]) for w in arm.writes()]


def test_pending_before_the_configuration_server_registers(vault):
    result = run_module("asr_site_recovery", args(vault))
    assert result["changed"] is False and result["changes"] == []
    assert result["pending"]["stage"] == "configuration_server"
    assert "/keys/acme/rsv-acme-dr.VaultCredentials" in result["pending"]["message"]
    assert "acme-dr" in result["pending"]["message"]
    assert vault.writes() == []


def test_pending_until_the_access_account_reaches_the_vault(vault):
    seed_cs(vault, accounts=("globex-dr",))
    result = run_module("asr_site_recovery", args(vault))
    assert result["pending"]["stage"] == "run_as_account"
    assert "'acme-dr'" in result["pending"]["message"] and "globex-dr" in result["pending"]["message"]
    # everything that does not need the account is done already: the policy and its mapping
    assert [c.split(" ")[0] for c in result["changes"]] == ["create", "associate"]
    assert not any("replicationvCenters" in w["path"] for w in vault.writes())
    # the account is added on the CS (cspsconfigtool) and syncs: the same run now registers the vCenter
    vault.add_fabric(RG, VAULT, "cs-acme", "VMware", host_name="cs-acme", ip_address="10.0.0.10",
                     process_servers=[{"name": "cs-acme", "ip_address": "10.0.0.10"}], run_as_accounts=["globex-dr", "acme-dr"],
                     containers=[{"name": "cloud_acme"}])
    result = run_module("asr_site_recovery", args(vault))
    assert result["pending"] is None
    assert result["changes"] == [
        "add vCenter vcenter01 (10.0.0.5:443, account acme-dr, process server cs-acme) to fabric cs-acme",
        "associate policy acme-replication with protection container cloud_acme (acme-replication-cloud_acme)"]


def test_register_prepare_then_rerun_writes_nothing(vault):
    seeded = seed_cs(vault)
    check = run_module("asr_site_recovery", args(vault), check_mode=True, diff=True)
    assert check["diff"]["before"] == {"fabric": "cs-acme", "vcenter": None, "policy": None, "mappings": [],
                                       "protected_items": []}
    assert check["diff"]["after"]["vcenter"]["address"] == "10.0.0.5"
    assert check["diff"]["after"]["policy"]["recovery_point_retention_hours"] == 24
    assert check["diff"]["after"]["mappings"] == ["acme-replication-cloud_acme"]
    assert check["changes"] == [
        "add vCenter vcenter01 (10.0.0.5:443, account acme-dr, process server cs-acme) to fabric cs-acme",
        "create InMageAzureV2 replication policy acme-replication (retention 24 h, app-consistent every 120 min)",
        "associate policy acme-replication with protection container cloud_acme (acme-replication-cloud_acme)",
    ]
    assert vault.writes() == []

    result = run_module("asr_site_recovery", args(vault))
    assert result["changes"] == check["changes"] and result["stack"] == "classic" and result["fabric"] == "cs-acme"
    assert writes(vault) == [
        ("PUT", f"{VAULT}/replicationFabrics/cs-acme/replicationvCenters/vcenter01"),
        ("PUT", f"{VAULT}/replicationPolicies/acme-replication"),
        ("PUT", f"{VAULT}/replicationFabrics/cs-acme/replicationProtectionContainers/cloud_acme/"
                "replicationProtectionContainerMappings/acme-replication-cloud_acme"),
    ]
    assert {w["api_version"] for w in vault.writes()} == {API}
    state = vault.site_recovery_state(RG, VAULT)
    vc = state["fabrics"]["cs-acme"]["vcenters"]["vcenter01"]
    # Az PowerShell's choice: the process server at the CS's own address; the run-as account by name
    cs_ps = next(ps for ps in seeded["process_servers"] if ps["name"] == "cs-acme")
    acme_account = next(a for a in seeded["run_as_accounts"] if a["name"] == "acme-dr")
    assert (vc["ip_address"], vc["port"], vc["process_server_id"], vc["run_as_account_id"]) == \
        ("10.0.0.5", "443", cs_ps["id"], acme_account["id"])
    # portal defaults of a classic policy, in REST units
    policy = state["policies"]["acme-replication"]
    assert (policy["instanceType"], policy["recoveryPointThresholdInMinutes"], policy["recoveryPointHistory"],
            policy["appConsistentFrequencyInMinutes"], policy["crashConsistentFrequencyInMinutes"]) == \
        ("InMageAzureV2", 60, 1440, 120, 5)
    assert state["fabrics"]["cs-acme"]["containers"]["cloud_acme"]["mappings"] == ["acme-replication-cloud_acme"]
    assert all(job["state"] == "Succeeded" for job in state["jobs"])

    vault.reset_log()
    again = run_module("asr_site_recovery", args(vault))
    assert again["changed"] is False and again["changes"] == [] and again["pending"] is None
    assert vault.writes() == []


def test_update_in_place_and_refusals_with_zero_writes(vault):
    seed_cs(vault, accounts=("acme-dr", "acme-dr2"))
    run_module("asr_site_recovery", args(vault))
    vault.reset_log()

    changed = run_module("asr_site_recovery", args(
        vault, vcenter={"name": "vcenter01", "address": "10.0.0.5", "port": 8443, "run_as_account": "acme-dr2"},
        policy={"name": "acme-replication", "recovery_point_retention_hours": 72, "app_consistent_frequency_minutes": 60}))
    assert changed["changes"][0].startswith("update vCenter vcenter01 in fabric cs-acme: port 443 -> 8443, run_as_account_id 1 -> 2")
    assert changed["changes"][1] == ("update replication policy acme-replication: app_consistent_frequency_minutes 120 -> 60, "
                                     "recovery_point_retention_hours 24 -> 72")
    assert [w[0] for w in writes(vault)] == ["PATCH", "PATCH"]
    state = vault.site_recovery_state(RG, VAULT)
    assert state["fabrics"]["cs-acme"]["vcenters"]["vcenter01"]["port"] == "8443"
    assert state["policies"]["acme-replication"]["recoveryPointHistory"] == 72 * 60

    vault.reset_log()
    # an address that does not name the registered vCenter
    moved = run_module("asr_site_recovery", args(
        vault, vcenter={"name": "vcenter01", "address": "vcenter-other.invalid", "port": 8443, "run_as_account": "acme-dr2"}),
        expect_failure=True)
    assert moved["error_code"] == "VCenterAddressMismatch" and "vcenter-other.invalid" in moved["msg"]
    # out-of-range policy settings (Azure would accept them with 202 and fail the job)
    bad_policy = {"name": "acme-replication", "recovery_point_retention_hours": 400, "app_consistent_frequency_minutes": 800}
    bad = run_module("asr_site_recovery", args(vault, policy=bad_policy), expect_failure=True)
    assert "recovery_point_retention_hours is 400; Azure allows 0 to 360" in bad["msg"]
    assert "app_consistent_frequency_minutes is 800; Azure allows 0 to 720" in bad["msg"]
    # unknown process server
    unknown_ps = {"name": "vcenter01", "address": "10.0.0.5", "port": 8443, "run_as_account": "acme-dr2",
                  "process_server": "ps-nowhere"}
    ps = run_module("asr_site_recovery", args(vault, vcenter=unknown_ps), expect_failure=True)
    assert ps["error_code"] == "ProcessServerNotFound" and "cs-acme (10.0.0.10)" in ps["msg"]
    assert vault.writes() == []


def test_refused_in_a_disabled_subscription_and_a_failed_vault(vault):
    seed_cs(vault)
    vault.set_subscription_state("Disabled")
    result = run_module("asr_site_recovery", args(vault), expect_failure=True)
    assert result["error_code"] == "SubscriptionNotEnabled" and "is Disabled, not Enabled" in result["msg"]
    vault.set_subscription_state("Enabled")
    vault.set_vault_provisioning_state(RG, VAULT, "Failed")
    result = run_module("asr_site_recovery", args(vault), expect_failure=True)
    assert result["error_code"] == "VaultNotUsable" and "Failed" in result["msg"]
    assert vault.writes() == []


def test_service_side_job_failure_is_reported(vault):
    seed_cs(vault)
    vault.fail_site_recovery_jobs(policy_create=1)
    result = run_module("asr_site_recovery", args(vault), expect_failure=True)
    assert "creating replication policy acme-replication failed" in result["msg"].lower() and "Injected failure" in result["msg"]
    assert result["changes"] == ["add vCenter vcenter01 (10.0.0.5:443, account acme-dr, process server cs-acme) to fabric cs-acme"]
    again = run_module("asr_site_recovery", args(vault))
    assert [c.split(" ")[0] for c in again["changes"]] == ["create", "associate"]


# ------------------------------------------------------------------------------------------------ offboarding
def onboarded_with_protection(vault):
    seed_cs(vault)
    run_module("asr_site_recovery", args(vault))
    vault.add_protected_items(RG, VAULT, "cs-acme", "cloud_acme", ["acme-vm01", "acme-db01"], policy="acme-replication")
    vault.reset_log()


def absent(vault, **extra):
    return args(vault, state="absent", remove_configuration_server=True, **extra)


def test_offboarding_stops_on_protected_items_without_confirmation(vault):
    onboarded_with_protection(vault)
    result = run_module("asr_site_recovery", absent(vault), expect_failure=True)
    assert result["error_code"] == "ProtectedItemsPresent"
    assert result["protected_items"] == ["acme-db01", "acme-vm01"]
    assert "acme-db01, acme-vm01" in result["msg"] and "confirm_disable_replication" in result["msg"]
    assert vault.writes() == []


def test_offboarding_in_site_recovery_order_then_the_vault_can_go(vault):
    onboarded_with_protection(vault)
    result = run_module("asr_site_recovery", absent(vault, confirm_disable_replication=True))
    kinds = [w[1].split("/")[-1] if w[0] == "POST" else w[0] + " " + w[1].split("/")[-2] for w in writes(vault)]
    # Microsoft's delete-vault order: disable protection, container mappings, policy, vCenter, configuration server
    assert kinds == ["remove", "remove", "remove", "DELETE replicationPolicies", "DELETE replicationvCenters", "remove"]
    paths = [w[1] for w in writes(vault)]
    assert "/replicationProtectedItems/" in paths[0] and "/replicationProtectedItems/" in paths[1]
    assert "/replicationProtectionContainerMappings/acme-replication-cloud_acme/remove" in paths[2]
    assert paths[5] == f"{VAULT}/replicationFabrics/cs-acme/remove"
    assert len(result["changes"]) == 6
    assert vault.site_recovery_state(RG, VAULT)["fabrics"] == {}
    vault.reset_log()
    again = run_module("asr_site_recovery", absent(vault, confirm_disable_replication=True))
    assert again["changed"] is False and vault.writes() == []
    # the asr_vault delete guard now passes
    deleted = run_module("asr_vault", dict(vault.module_args(), resource_group=RG, name=VAULT, state="absent"))
    assert deleted["changed"] is True and deleted["blockers"] == []


def test_interrupted_offboarding_converges_on_rerun(vault):
    onboarded_with_protection(vault)
    vault.fail_site_recovery_jobs(policy_delete=1)
    first = run_module("asr_site_recovery", absent(vault, confirm_disable_replication=True), expect_failure=True)
    assert "deleting replication policy acme-replication failed" in first["msg"].lower()
    assert [c.split(" ")[0] for c in first["changes"]] == ["disable", "disable", "remove"]
    vault.reset_log()
    second = run_module("asr_site_recovery", absent(vault))  # nothing protected any more: no confirmation needed
    assert second["changes"] == ["delete replication policy acme-replication", "remove vCenter vcenter01 from fabric cs-acme",
                                 "unregister configuration server / appliance fabric cs-acme from the vault"]
    assert len(vault.writes()) == 3
    assert vault.site_recovery_state(RG, VAULT) == {"fabrics": {}, "policies": {},
                                                    "jobs": vault.site_recovery_state(RG, VAULT)["jobs"]}


def test_out_of_range_policy_sent_anyway_fails_in_the_job_and_the_job_error_is_read(vault):
    """Why the module validates first: Azure takes the request (202) and the job fails afterwards (code 150261)."""
    session = AzureSession(dict(vault.module_args(), auth_source="msi"))
    try:
        writer = SiteRecoveryWriter(session, RG, VAULT)
        settings = {"provider": "InMageAzureV2", "rpo_threshold_minutes": 60, "recovery_point_retention_hours": 400,
                    "app_consistent_frequency_minutes": 120, "crash_consistent_frequency_minutes": 5}
        with pytest.raises(AzureApiError) as raised:
            writer.apply([{"action": "create_policy", "policy": "too-long", "settings": settings}])
    finally:
        session.close()
    assert [w["method"] for w in vault.writes()] == ["PUT"]
    assert "150261" in raised.value.message and "recoveryPointHistory" in raised.value.message
    assert "(job " in raised.value.message
    assert vault.site_recovery_state(RG, VAULT)["jobs"] == [{"kind": "policy_create", "target": "too-long", "state": "Failed"}]
