"""Pure tests of asr_vault's validation and plan (plugins/module_utils/azure_vault.py)."""
from __future__ import annotations

import pytest

from ansible_collections.tenantdr.asr.plugins.module_utils import azure_vault as av

SUB = "0b1f6471-1bf0-4dda-aec3-111122223333"


def params(**extra):
    base = {"resource_group": "rg1", "name": "rsv1", "location": "West Europe", "create_resource_group": False, "sku": None,
            "tags": None, "purge_tags": False, "public_network_access": None, "storage_redundancy": None,
            "credentials_path": None, "credentials_validity_hours": 120, "credentials_min_validity_hours": 0,
            "regenerate_credentials": False, "force": False, "state": "present"}
    base.update(extra)
    return base


def existing_vault(**extra):
    vault = {"id": "x", "name": "rsv1", "resource_group": "rg1", "location": "westeurope", "sku": "Standard", "tags": {"a": "1"},
             "provisioning_state": "Succeeded", "public_network_access": "Enabled", "storage_redundancy": "GeoRedundant"}
    vault.update(extra)
    return vault


def current(**extra):
    base = {"subscription_id": SUB, "provider_state": "Registered", "resource_group_exists": True, "vault": None,
            "credentials": None, "blockers": []}
    base.update(extra)
    return base


def actions(changes):
    return [c["action"] for c in changes]


def test_normalize_location():
    assert av.normalize_location("West Europe") == "westeurope"
    assert av.normalize_location(None) is None


def test_fresh_subscription_plan_order():
    changes = av.plan_vault(params(create_resource_group=True, credentials_path="/k"),
                            current(provider_state="NotRegistered", resource_group_exists=False))
    assert actions(changes) == ["register_provider", "create_resource_group", "create_vault", "write_credentials"]
    assert changes[2]["body"] == {"location": "westeurope", "sku": {"name": "Standard"}, "tags": {}, "properties": {}}
    assert changes[3]["reason"] == "new vault"


def test_missing_resource_group_without_create_is_a_plan_error():
    with pytest.raises(av.PlanError) as err:
        av.plan_vault(params(), current(resource_group_exists=False))
    assert err.value.code == "ResourceGroupNotFound"


def test_create_body_carries_requested_settings():
    body = av.create_body(params(sku="RS0", tags={"t": 1}, public_network_access="Disabled", storage_redundancy="ZoneRedundant"),
                          "westeurope")
    assert body == {"location": "westeurope", "sku": {"name": "RS0"}, "tags": {"t": "1"},
                    "properties": {"publicNetworkAccess": "Disabled",
                                   "redundancySettings": {"standardTierStorageRedundancy": "ZoneRedundant"}}}


def test_unchanged_vault_plans_nothing():
    assert av.plan_vault(params(tags={"a": "1"}), current(vault=existing_vault())) == []
    assert av.plan_vault(params(), current(vault=existing_vault())) == []


def test_field_changes_and_patch_body():
    changes = av.plan_vault(params(tags={"b": "2"}, storage_redundancy="LocallyRedundant", sku="Standard"),
                            current(vault=existing_vault()))
    assert actions(changes) == ["update_vault"]
    fields = changes[0]["fields"]
    assert fields == {"tags": {"before": {"a": "1"}, "after": {"a": "1", "b": "2"}},
                      "storage_redundancy": {"before": "GeoRedundant", "after": "LocallyRedundant"}}
    assert av.patch_body(fields) == {"tags": {"a": "1", "b": "2"},
                                     "properties": {"redundancySettings": {"standardTierStorageRedundancy": "LocallyRedundant"}}}
    assert av.apply_field_changes(existing_vault(), fields)["storage_redundancy"] == "LocallyRedundant"


def test_purge_tags_replaces_the_map():
    assert av.desired_tags({"a": "1", "b": "2"}, {"b": "3"}, purge=True) == {"b": "3"}
    assert av.desired_tags({"a": "1", "b": "2"}, {"b": "3"}, purge=False) == {"a": "1", "b": "3"}
    assert av.desired_tags({"a": "1"}, None, purge=True) == {"a": "1"}


def test_location_mismatch_is_a_plan_error():
    with pytest.raises(av.PlanError) as err:
        av.plan_vault(params(location="northeurope"), current(vault=existing_vault()))
    assert err.value.code == "LocationMismatch"


@pytest.mark.parametrize("creds, regenerate, expected", [
    ({"exists": True, "usable": True, "reason": "valid", "mode": "0600"}, False, []),
    ({"exists": True, "usable": True, "reason": "valid", "mode": "0600"}, True, ["write_credentials"]),
    ({"exists": False, "usable": False, "reason": "missing"}, False, ["write_credentials"]),
    ({"exists": True, "usable": False, "reason": "expired", "mode": "0600"}, False, ["write_credentials"]),
    ({"exists": True, "usable": True, "reason": "valid", "mode": "0640"}, False, ["restrict_credentials_mode"]),
])
def test_credentials_plan(creds, regenerate, expected):
    changes = av.plan_vault(params(credentials_path="/k", regenerate_credentials=regenerate),
                            current(vault=existing_vault(), credentials=creds))
    assert actions(changes) == expected


def test_absent_plans():
    assert av.plan_vault(params(state="absent"), current(vault=None)) == []
    assert actions(av.plan_vault(params(state="absent", credentials_path="/k"),
                                 current(vault=existing_vault(), credentials={"exists": True}))) == ["delete_vault", "remove_credentials"]
    with pytest.raises(av.PlanError) as err:
        av.plan_vault(params(state="absent"), current(vault=existing_vault(), blockers=["2 backup item(s)"]))
    assert err.value.code == "VaultNotEmpty" and err.value.details["blockers"] == ["2 backup item(s)"]
    forced = av.plan_vault(params(state="absent", force=True), current(vault=existing_vault(), blockers=["x"]))
    assert forced == [{"action": "delete_vault", "resource_group": "rg1", "vault": "rsv1", "forced": True}]


def test_vault_blockers_reads_all_sources():
    fabrics = [{"name": "f1", "properties": {"friendlyName": "cs01", "customDetails": {"instanceType": "VMware"}}},
               {"name": "site2", "properties": {}}]
    blockers = av.vault_blockers({"registeredServersCount": 2, "protectedItemCount": 5, "recoveryPlanCount": 1}, fabrics,
                                 {"ProtectedItemCount": 3, "MABContainersCount": 0})
    assert blockers == ["2 registered Site Recovery server(s) (configuration servers / Hyper-V hosts)",
                        "replication fabrics: cs01 (VMware), site2", "5 replication-protected item(s)", "1 recovery plan(s)",
                        "3 backup item(s)"]
    assert av.vault_blockers({}, [], {}) == []


def test_vault_summary_from_rest():
    summary = av.vault_summary({"id": "i", "name": "rsv1", "location": "West Europe", "sku": {"name": "RS0", "tier": "Standard"},
                                "tags": {"n": 1}, "properties": {"provisioningState": "Succeeded", "publicNetworkAccess": "Enabled",
                                                                 "redundancySettings": {"standardTierStorageRedundancy": "GeoRedundant"}}},
                               "rg1")
    assert summary["location"] == "westeurope" and summary["sku"] == "RS0" and summary["tags"] == {"n": "1"}
    assert summary["storage_redundancy"] == "GeoRedundant" and summary["resource_group"] == "rg1"


@pytest.mark.parametrize("extra, fragment", [
    ({"name": "a"}, "name 'a'"),
    ({"name": "a" * 51}, "is not a valid Recovery Services vault name"),
    ({"name": "rsv_1"}, "name 'rsv_1'"),
    ({"resource_group": "rg."}, "resource_group 'rg.'"),
    ({"tags": {str(i): "v" for i in range(51)}}, "at most 50"),
    ({"tags": {"k": "v" * 257}}, "value longer than 256"),
    ({"credentials_min_validity_hours": 120}, "credentials_min_validity_hours must be 0 or more and less than"),
    ({"location": None}, "location is required with state=present"),
])
def test_validation_names_the_bad_value(extra, fragment):
    problems = av.validate_vault_params(params(**extra))
    assert any(fragment in p for p in problems), problems


def test_valid_params_have_no_problems():
    assert av.validate_vault_params(params(tags={"tenant": "contoso"})) == []
    assert av.validate_vault_params(params(state="absent", location=None)) == []


def test_describe_and_diff_views():
    change = {"action": "update_vault", "vault": "rsv1", "fields": {"sku": {"before": "Standard", "after": "RS0"}}}
    assert av.describe_change(change) == "update vault rsv1 (sku: 'Standard' -> 'RS0')"
    view = av.diff_view(True, existing_vault(), {"exists": True, "path": "/k", "expires": "e", "thumbprint": "t"})
    assert view == {"resource_group_exists": True,
                    "vault": {"location": "westeurope", "sku": "Standard", "tags": {"a": "1"}, "public_network_access": "Enabled",
                              "storage_redundancy": "GeoRedundant"},
                    "credentials_file": {"path": "/k", "expires": "e", "thumbprint": "t"}}
