"""asr_vault through the real Azure SDKs (azure-identity managed identity, azure-mgmt-*) against the local ARM endpoint."""
from __future__ import annotations

import base64
import datetime
import json
import os
import stat
from xml.etree import ElementTree

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from ansible_collections.tenantdr.asr.plugins.module_utils.vault_credentials import build_vault_credentials_xml
from tests.support.modules import run_module

pytestmark = pytest.mark.arm
NS = "{http://schemas.datacontract.org/2004/07/Microsoft.Azure.Portal.RecoveryServices.Models.Common}"


def vault_args(arm, tmp_path, **extra):
    args = dict(arm.module_args(), resource_group="rg-contoso-dr", name="rsv-contoso-dr", location="West Europe",
                create_resource_group=True, tags={"tenant": "contoso"},
                credentials_path=str(tmp_path / "rsv-contoso-dr.VaultCredentials"))
    args.update(extra)
    return args


def created(arm, tmp_path, **extra):
    args = vault_args(arm, tmp_path, **extra)
    result = run_module("asr_vault", args)
    arm.reset_log()
    return args, result


def write_requests(arm):
    return [(r["method"], r["path"]) for r in arm.writes()]


def expired_pfx_b64(days_ago: int = 1) -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Windows Azure Tools")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=days_ago + 5))
            .not_valid_after(now - datetime.timedelta(days=days_ago)).sign(key, hashes.SHA256()))
    return base64.b64encode(pkcs12.serialize_key_and_certificates(None, key, cert, None, serialization.NoEncryption())).decode()


# ----------------------------------------------------------------------------------------------- create / idempotency
def test_check_mode_predicts_everything_and_writes_nothing(arm, tmp_path):
    args = vault_args(arm, tmp_path)
    result = run_module("asr_vault", args, check_mode=True, diff=True)

    assert result["changed"] is True
    assert result["changes"] == [
        "create resource group rg-contoso-dr in westeurope",
        "create Recovery Services vault rsv-contoso-dr in westeurope",
        f"write vault credentials file {args['credentials_path']} (new vault)",
    ]
    assert result["vault"]["location"] == "westeurope" and result["vault"]["tags"] == {"tenant": "contoso"}
    assert result["credentials"]["regenerated"] is True and result["credentials"]["thumbprint"] is None
    assert result["diff"]["before"] == {"resource_group_exists": False, "vault": None, "credentials_file": None}
    assert result["diff"]["after"]["vault"]["storage_redundancy"] == "GeoRedundant"
    assert arm.writes() == []
    assert not os.path.exists(args["credentials_path"])
    assert arm.subscription_state()["vaults"] == {}


def test_create_then_rerun_changes_nothing(arm, tmp_path):
    args = vault_args(arm, tmp_path, storage_redundancy="LocallyRedundant", public_network_access="Disabled", sku="RS0")
    first = run_module("asr_vault", args)

    assert first["changed"] is True
    assert first["vault"]["provisioning_state"] == "Succeeded"
    assert first["vault"]["id"].endswith("/resourceGroups/rg-contoso-dr/providers/Microsoft.RecoveryServices/vaults/rsv-contoso-dr")
    state = arm.subscription_state()
    assert state["resource_groups"]["rg-contoso-dr"]["location"] == "westeurope"
    vault = state["vaults"]["rg-contoso-dr/rsv-contoso-dr"]
    assert (vault["sku"], vault["redundancy"], vault["public_network_access"], vault["tags"]) == \
        ("RS0", "LocallyRedundant", "Disabled", {"tenant": "contoso"})
    methods = [m for m, _path in write_requests(arm)]
    assert methods == ["PUT", "PUT", "PUT", "PUT"]  # resource group, vault, certificate, extended info

    arm.reset_log()
    second = run_module("asr_vault", args, diff=True)
    assert second["changed"] is False
    assert second["changes"] == []
    assert arm.writes() == []
    assert second["credentials"]["regenerated"] is False
    assert second["credentials"]["thumbprint"] == first["credentials"]["thumbprint"]
    assert second["diff"]["before"] == second["diff"]["after"]


def test_credentials_file_content_and_mode(arm, tmp_path):
    old_umask = os.umask(0)  # even a permissive umask must not widen the secret file
    try:
        args, result = created(arm, tmp_path, credentials_validity_hours=72)
    finally:
        os.umask(old_umask)
    path = args["credentials_path"]
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert [p for p in os.listdir(tmp_path) if p.endswith(".tmp")] == []

    root = ElementTree.parse(path).getroot()
    assert root.tag == NS + "RSVaultAsrCreds"
    assert [child.tag.replace(NS, "") for child in root] == [
        "VaultDetails", "ManagementCert", "Version", "AadDetails", "ChannelIntegrityKey", "SiteId", "SiteName",
        "PrivateEndpointStateForSiteRecovery"]
    details = {child.tag.replace(NS, ""): child.text for child in root.find(NS + "VaultDetails")}
    fake_vault = arm.subscription_state()["vaults"]["rg-contoso-dr/rsv-contoso-dr"]
    assert details == {"SubscriptionId": arm.subscription_id, "ResourceGroup": "rg-contoso-dr", "ResourceName": "rsv-contoso-dr",
                       "ResourceId": str(fake_vault["resource_id"]), "Location": "westeurope", "ResourceType": "Vaults",
                       "ProviderNamespace": "Microsoft.RecoveryServices"}
    assert root.find(NS + "Version").text == "2.0"
    aad = {child.tag.replace(NS, ""): child.text for child in root.find(NS + "AadDetails")}
    assert list(aad) == ["AadAuthority", "AadTenantId", "ServicePrincipalClientId", "AadVaultAudience", "ArmManagementEndpoint"]
    assert aad["AadTenantId"] == arm.tenant_id
    assert aad["AadVaultAudience"] == f"https://RecoveryServiceVault/westeurope/rsv-contoso-dr/{fake_vault['resource_id']}"
    assert root.find(NS + "ChannelIntegrityKey").text == fake_vault["extended_info"]["integrityKey"]
    assert fake_vault["extended_info"]["algorithm"] == "None"
    assert root.find(NS + "PrivateEndpointStateForSiteRecovery").text == "None"

    key, cert, _extra = pkcs12.load_key_and_certificates(base64.b64decode(root.find(NS + "ManagementCert").text), None)
    assert key is not None  # the management certificate carries its private key
    lifetime = cert.not_valid_after_utc - datetime.datetime.now(datetime.timezone.utc)
    assert datetime.timedelta(hours=71) < lifetime <= datetime.timedelta(hours=72)
    assert result["credentials"]["thumbprint"] == cert.fingerprint(hashes.SHA1()).hex().upper()
    assert result["credentials"]["expires"] == cert.not_valid_after_utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    # The secret never appears in the result.
    serialized = json.dumps(result)
    assert root.find(NS + "ManagementCert").text[:40] not in serialized
    assert "RSVaultAsrCreds" not in serialized


def test_changed_tag_is_an_update(arm, tmp_path):
    args, _first = created(arm, tmp_path)
    changed = dict(args, tags={"tenant": "contoso", "cost-center": "42"})

    predicted = run_module("asr_vault", changed, check_mode=True, diff=True)
    assert predicted["changed"] is True
    assert predicted["changes"] == ["update vault rsv-contoso-dr (tags: {'tenant': 'contoso'} -> {'tenant': 'contoso', 'cost-center': '42'})"]
    assert predicted["diff"]["before"]["vault"]["tags"] == {"tenant": "contoso"}
    assert predicted["diff"]["after"]["vault"]["tags"] == {"tenant": "contoso", "cost-center": "42"}
    assert arm.writes() == []

    result = run_module("asr_vault", changed)
    assert result["changes"] == predicted["changes"]
    assert result["vault"]["tags"] == {"tenant": "contoso", "cost-center": "42"}
    assert write_requests(arm) == [("PATCH", f"/subscriptions/{arm.subscription_id}/resourceGroups/rg-contoso-dr/providers/"
                                             "Microsoft.RecoveryServices/vaults/rsv-contoso-dr")]
    assert arm.subscription_state()["vaults"]["rg-contoso-dr/rsv-contoso-dr"]["tags"] == {"tenant": "contoso", "cost-center": "42"}
    assert result["credentials"]["regenerated"] is False


def test_tags_merge_by_default_and_purge_on_request(arm, tmp_path):
    args, _first = created(arm, tmp_path)
    merged = run_module("asr_vault", dict(args, tags={"owner": "dr-team"}))
    assert merged["vault"]["tags"] == {"tenant": "contoso", "owner": "dr-team"}
    purged = run_module("asr_vault", dict(args, tags={"owner": "dr-team"}, purge_tags=True))
    assert purged["vault"]["tags"] == {"owner": "dr-team"}
    assert arm.subscription_state()["vaults"]["rg-contoso-dr/rsv-contoso-dr"]["tags"] == {"owner": "dr-team"}
    untouched = run_module("asr_vault", {k: v for k, v in args.items() if k != "tags"})
    assert untouched["changed"] is False


def test_redundancy_and_public_network_access_update(arm, tmp_path):
    args, _first = created(arm, tmp_path)
    result = run_module("asr_vault", dict(args, storage_redundancy="ZoneRedundant", public_network_access="Disabled"))
    assert result["changed"] is True
    assert result["vault"]["storage_redundancy"] == "ZoneRedundant"
    assert result["vault"]["public_network_access"] == "Disabled"
    fake_vault = arm.subscription_state()["vaults"]["rg-contoso-dr/rsv-contoso-dr"]
    assert (fake_vault["redundancy"], fake_vault["public_network_access"]) == ("ZoneRedundant", "Disabled")
    assert [m for m, _path in write_requests(arm)] == ["PATCH"]


def test_location_of_existing_vault_cannot_change(arm, tmp_path):
    args, _first = created(arm, tmp_path)
    result = run_module("asr_vault", dict(args, location="northeurope"), expect_failure=True)
    assert result["error_code"] == "LocationMismatch"
    assert "'westeurope'" in result["msg"] and "'northeurope'" in result["msg"]
    assert arm.writes() == []


def test_registers_the_resource_provider_on_a_fresh_subscription(arm, tmp_path):
    fresh = arm.add_subscription(rp_registered=False)
    args = vault_args(arm, tmp_path, subscription_id=fresh)

    predicted = run_module("asr_vault", args, check_mode=True)
    assert predicted["changes"][0] == "register resource provider Microsoft.RecoveryServices on the subscription"
    assert arm.subscription_state(fresh)["providers"]["microsoft.recoveryservices"] == "NotRegistered"

    result = run_module("asr_vault", args)
    assert result["changes"] == predicted["changes"]
    assert arm.subscription_state(fresh)["providers"]["microsoft.recoveryservices"] == "Registered"
    assert write_requests(arm)[0] == ("POST", f"/subscriptions/{fresh}/providers/Microsoft.RecoveryServices/register")
    assert "rg-contoso-dr/rsv-contoso-dr" in arm.subscription_state(fresh)["vaults"]


# ----------------------------------------------------------------------------------------------- credentials lifecycle
def test_missing_credentials_file_is_regenerated(arm, tmp_path):
    args, first = created(arm, tmp_path)
    os.unlink(args["credentials_path"])
    result = run_module("asr_vault", args)
    assert result["changes"] == [f"write vault credentials file {args['credentials_path']} (missing)"]
    assert result["credentials"]["regenerated"] is True
    assert result["credentials"]["thumbprint"] != first["credentials"]["thumbprint"]
    assert [m for m, p in write_requests(arm) if "/certificates/" in p] == ["PUT"]
    assert os.path.exists(args["credentials_path"])


def test_expired_credentials_file_is_regenerated(arm, tmp_path):
    args, _first = created(arm, tmp_path)
    fake_vault = arm.subscription_state()["vaults"]["rg-contoso-dr/rsv-contoso-dr"]
    xml = build_vault_credentials_xml({
        "subscription_id": arm.subscription_id, "resource_group": "rg-contoso-dr", "vault_name": "rsv-contoso-dr",
        "resource_id": fake_vault["resource_id"], "location": "westeurope", "management_cert": expired_pfx_b64()})
    with open(args["credentials_path"], "w", encoding="utf-8") as handle:
        handle.write(xml)

    predicted = run_module("asr_vault", args, check_mode=True)
    assert predicted["changes"] == [f"write vault credentials file {args['credentials_path']} (expired)"]
    result = run_module("asr_vault", args)
    assert result["credentials"]["reason"] == "expired"
    expires = datetime.datetime.strptime(result["credentials"]["expires"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)
    assert expires > datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=119)


def test_credentials_renewed_before_expiry_when_asked(arm, tmp_path):
    args, _first = created(arm, tmp_path, credentials_validity_hours=2)
    kept = run_module("asr_vault", dict(args, credentials_min_validity_hours=1))
    assert kept["changed"] is False
    renewed = run_module("asr_vault", dict(args, credentials_validity_hours=120, credentials_min_validity_hours=3))
    assert renewed["credentials"]["reason"] == "expires within 3 hours"
    assert renewed["credentials"]["regenerated"] is True


def test_unreadable_or_foreign_credentials_file_is_replaced(arm, tmp_path):
    args, _first = created(arm, tmp_path)
    with open(args["credentials_path"], "w", encoding="utf-8") as handle:
        handle.write("not xml at all")
    result = run_module("asr_vault", args)
    assert result["credentials"]["reason"].startswith("unreadable")

    other = dict(args, name="rsv-other")
    run_module("asr_vault", other)  # another vault, its own file elsewhere
    os.replace(other["credentials_path"], args["credentials_path"])  # noqa - same path now holds rsv-other's key
    result = run_module("asr_vault", args)
    assert "belongs to another vault" in result["credentials"]["reason"]
    assert ElementTree.parse(args["credentials_path"]).getroot().find(f"{NS}VaultDetails/{NS}ResourceName").text == "rsv-contoso-dr"


def test_regenerate_on_request(arm, tmp_path):
    args, first = created(arm, tmp_path)
    result = run_module("asr_vault", dict(args, regenerate_credentials=True))
    assert result["changed"] is True
    assert result["credentials"]["reason"] == "regenerate_credentials=true"
    assert result["credentials"]["thumbprint"] != first["credentials"]["thumbprint"]


def test_too_open_file_mode_is_restricted_without_azure_writes(arm, tmp_path):
    args, _first = created(arm, tmp_path)
    os.chmod(args["credentials_path"], 0o644)
    result = run_module("asr_vault", args)
    assert result["changes"] == [f"restrict mode of vault credentials file {args['credentials_path']} from 0644 to 0600"]
    assert stat.S_IMODE(os.stat(args["credentials_path"]).st_mode) == 0o600
    assert arm.writes() == []


def test_credentials_directory_must_exist_before_any_change(arm, tmp_path):
    args = vault_args(arm, tmp_path, credentials_path=str(tmp_path / "missing" / "x.VaultCredentials"))
    result = run_module("asr_vault", args, expect_failure=True)
    assert "does not exist" in result["msg"] and str(tmp_path / "missing") in result["msg"]
    assert arm.requests_log() == []


# ----------------------------------------------------------------------------------------------- absent
def test_absent_refuses_a_vault_with_registered_items_and_lists_them(arm, tmp_path):
    args, _first = created(arm, tmp_path)
    arm.set_vault_contents("rg-contoso-dr", "rsv-contoso-dr", protected_items=1,
                           fabrics=[{"name": "cs-contoso", "type": "VMware", "registered_servers": 1, "protected_items": 2}])
    for check_mode in (True, False):
        result = run_module("asr_vault", dict(args, state="absent"), check_mode=check_mode, expect_failure=True)
        assert result["error_code"] == "VaultNotEmpty"
        assert "1 registered Site Recovery server(s)" in result["msg"]
        assert "replication fabrics: cs-contoso (VMware)" in result["msg"]
        assert "3 replication-protected item(s)" in result["msg"]
        assert result["blockers"] == ["1 registered Site Recovery server(s) (configuration servers / Hyper-V hosts)",
                                      "replication fabrics: cs-contoso (VMware)", "3 replication-protected item(s)"]
    assert arm.writes() == []
    assert "rg-contoso-dr/rsv-contoso-dr" in arm.subscription_state()["vaults"]
    assert os.path.exists(args["credentials_path"])


def test_absent_refuses_a_vault_with_backup_items(arm, tmp_path):
    args, _first = created(arm, tmp_path)
    arm.set_vault_contents("rg-contoso-dr", "rsv-contoso-dr", backup_items=4, backup_servers=1)
    result = run_module("asr_vault", dict(args, state="absent"), expect_failure=True)
    assert "4 backup item(s)" in result["msg"] and "1 registered backup management server(s)" in result["msg"]
    assert arm.writes() == []


def test_absent_force_sends_the_delete_and_reports_azures_refusal(arm, tmp_path):
    args, _first = created(arm, tmp_path)
    arm.set_vault_contents("rg-contoso-dr", "rsv-contoso-dr", fabrics=[{"name": "cs-contoso"}])
    result = run_module("asr_vault", dict(args, state="absent", force=True), expect_failure=True)
    assert result["error_code"] == "ServiceResourceNotEmptyWithContainerDetails"
    assert result["status_code"] == 400
    assert result["msg"].startswith("Deleting vault rsv-contoso-dr failed: Azure answered HTTP 400 ServiceResourceNotEmptyWithContainerDetails")
    assert "Traceback" not in result["msg"]
    assert [m for m, _path in write_requests(arm)] == ["DELETE"]


def test_absent_deletes_vault_and_file_then_changes_nothing(arm, tmp_path):
    args, _first = created(arm, tmp_path)
    predicted = run_module("asr_vault", dict(args, state="absent"), check_mode=True, diff=True)
    assert predicted["changes"] == ["delete Recovery Services vault rsv-contoso-dr",
                                    f"remove vault credentials file {args['credentials_path']}"]
    assert predicted["diff"]["after"] == {"resource_group_exists": True, "vault": None, "credentials_file": None}
    assert arm.writes() == []

    result = run_module("asr_vault", dict(args, state="absent"))
    assert result["changed"] is True and result["vault"] == {} and result["blockers"] == []
    assert arm.subscription_state()["vaults"] == {}
    assert not os.path.exists(args["credentials_path"])
    assert [m for m, _path in write_requests(arm)] == ["DELETE"]

    arm.reset_log()
    again = run_module("asr_vault", dict(args, state="absent"))
    assert again["changed"] is False
    assert arm.writes() == []


def test_absent_with_missing_resource_group_is_not_an_error(arm, tmp_path):
    result = run_module("asr_vault", dict(arm.module_args(), resource_group="rg-never-made", name="rsv-x", state="absent"))
    assert result["changed"] is False and result["changes"] == [] and result["vault"] == {}
    assert arm.writes() == []


# ----------------------------------------------------------------------------------------------- Azure errors
def test_authorization_failed_is_one_clear_error(arm, tmp_path):
    arm.set_access(arm.msi_object_id, "Reader")
    result = run_module("asr_vault", vault_args(arm, tmp_path, credentials_path=None), expect_failure=True)
    assert result["error_code"] == "AuthorizationFailed"
    assert result["status_code"] == 403
    assert result["msg"].startswith("Creating resource group rg-contoso-dr failed: Azure answered HTTP 403 AuthorizationFailed: "
                                    f"The client '{arm.msi_object_id}'")
    assert "Microsoft.Resources/subscriptions/resourceGroups/write" in result["msg"]
    assert result["changed"] is False and result["changes"] == []
    assert "exception" not in result
    assert arm.subscription_state()["resource_groups"] == {}


def test_quota_exceeded(arm, tmp_path):
    created(arm, tmp_path)
    arm.set_vault_quota(1)
    result = run_module("asr_vault", vault_args(arm, tmp_path, name="rsv-second", credentials_path=None), expect_failure=True)
    assert result["error_code"] == "QuotaExceeded"
    assert result["status_code"] == 409
    assert "Maximum allowed: 1" in result["msg"]
    assert "rg-contoso-dr/rsv-second" not in arm.subscription_state()["vaults"]


def test_vault_name_taken(arm, tmp_path):
    arm.reserve_vault_names("rsv-taken")
    result = run_module("asr_vault", vault_args(arm, tmp_path, name="rsv-taken"), expect_failure=True)
    assert result["error_code"] == "CreateResourceFailedDueToInvalidCache"
    assert result["status_code"] == 409
    assert "name is already in use" in result["msg"]
    # The resource group was created before the vault PUT failed: the result says so.
    assert result["changed"] is True
    assert result["changes"] == ["create resource group rg-contoso-dr in westeurope"]


def test_resource_group_not_found_without_create(arm, tmp_path):
    result = run_module("asr_vault", vault_args(arm, tmp_path, create_resource_group=False), expect_failure=True)
    assert result["error_code"] == "ResourceGroupNotFound"
    assert result["msg"].startswith("Resource group 'rg-contoso-dr' could not be found. (Azure error ResourceGroupNotFound, subscription ")
    assert result["msg"].endswith("create the resource group first or set create_resource_group=true")
    assert arm.writes() == []


def test_location_not_offered_is_refused_before_any_write(arm, tmp_path):
    result = run_module("asr_vault", vault_args(arm, tmp_path, location="atlantis"), expect_failure=True)
    assert result["error_code"] == "LocationNotAvailableForResourceType"
    assert "'atlantis'" in result["msg"] and "westeurope" in result["msg"] and "northeurope" in result["msg"]
    assert arm.writes() == []


def test_unknown_subscription(arm, tmp_path):
    missing = "00000000-1111-2222-3333-444444444444"
    result = run_module("asr_vault", vault_args(arm, tmp_path, subscription_id=missing), expect_failure=True)
    assert result["error_code"] == "SubscriptionNotFound"
    assert result["status_code"] == 404
    assert missing in result["msg"]


def test_subscription_without_access(arm, tmp_path):
    foreign = arm.add_subscription(grant_owner=False)
    result = run_module("asr_vault", vault_args(arm, tmp_path, subscription_id=foreign), expect_failure=True)
    assert result["error_code"] == "AuthorizationFailed"
    assert "Microsoft.Resources/subscriptions/providers/read" in result["msg"]


@pytest.mark.parametrize("bad, expected", [
    ({"name": "9vault"}, "name '9vault' is not a valid Recovery Services vault name"),
    ({"name": "v"}, "name 'v' is not a valid Recovery Services vault name"),
    ({"resource_group": "rg/with/slash"}, "resource_group 'rg/with/slash' is not a valid resource group name"),
    ({"location": "west-europe!"}, "location 'west-europe!' is not an Azure region name"),
    ({"tags": {"a/b": "x"}}, "tag name 'a/b' is not valid"),
    ({"credentials_validity_hours": 0}, "credentials_validity_hours must be a positive number of hours, got 0"),
    ({"subscription_id": "my-subscription"}, "subscription_id 'my-subscription' is not a subscription id"),
    ({"cloud_environment": "AzureGermanCloud"}, "cloud_environment 'AzureGermanCloud' is not valid: use one of AzureCloud, "
                                                "AzureUSGovernment, AzureChinaCloud"),
    ({"sku": "Premium"}, "value of sku must be one of: Standard, RS0, got: Premium"),
    ({"state": "present", "location": None}, "location is required with state=present"),
])
def test_bad_input_fails_before_any_request(arm, tmp_path, bad, expected):
    result = run_module("asr_vault", vault_args(arm, tmp_path, **bad), expect_failure=True)
    assert expected in result["msg"]
    assert arm.requests_log() == []


def test_location_is_required_for_present(arm, tmp_path):
    args = vault_args(arm, tmp_path)
    del args["location"]
    result = run_module("asr_vault", args, expect_failure=True)
    assert result["msg"] == "state is present but all of the following are missing: location"
    assert arm.requests_log() == []
