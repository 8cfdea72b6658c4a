"""The local ARM endpoint itself: ARM conventions the modules rely on, checked with the unmodified SDKs and raw HTTPS."""
from __future__ import annotations

import http.client
import json
import ssl

import pytest
from azure.core.exceptions import ResourceExistsError, ResourceNotFoundError
from azure.identity import ManagedIdentityCredential
from azure.mgmt.recoveryservices import RecoveryServicesClient
from azure.mgmt.resource.resources import ResourceManagementClient

from tests.arm.controller import LocalArmEndpoint

pytestmark = pytest.mark.arm


def raw(arm, method, path, token=None, body=None):
    conn = http.client.HTTPSConnection("127.0.0.1", arm.port, context=ssl.create_default_context(cafile=arm.ca_bundle), timeout=10)
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = "Bearer " + token
    try:
        conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
        response = conn.getresponse()
        data = response.read()
        return response.status, dict(response.getheaders()), json.loads(data) if data else None
    finally:
        conn.close()


def clients(arm):
    options = {"base_url": arm.base_url, "credential_scopes": [arm.base_url + "/.default"], "polling_interval": 0.01}
    credential = ManagedIdentityCredential()
    return (ResourceManagementClient(credential, arm.subscription_id, **options),
            RecoveryServicesClient(credential, arm.subscription_id, **options))


def test_runs_as_a_child_process_too():
    with LocalArmEndpoint(use_subprocess=True) as arm:
        status, _headers, body = raw(arm, "GET", "/metadata/endpoints?api-version=2022-09-01")
        assert status == 200
        assert body["resourceManager"] == arm.base_url + "/"
        assert body["authentication"]["loginEndpoint"] == arm.base_url + "/"
        assert arm.subscription_id in arm.state()["subscriptions"]


def test_authentication_and_api_version_are_required(arm):
    path = f"/subscriptions/{arm.subscription_id}/resourcegroups?api-version=2025-04-01"
    status, headers, body = raw(arm, "GET", path)
    assert (status, body["error"]["code"]) == (401, "AuthenticationFailed")
    assert headers["WWW-Authenticate"].startswith("Bearer authorization_uri=")
    status, _h, body = raw(arm, "GET", path, token="made-up")
    assert (status, body["error"]["code"]) == (401, "InvalidAuthenticationToken")
    token = arm.issue_token()
    status, _h, body = raw(arm, "GET", path.split("?", maxsplit=1)[0], token=token)
    assert (status, body["error"]["code"]) == (400, "MissingApiVersionParameter")
    status, _h, body = raw(arm, "GET", path, token=token)
    assert (status, body) == (200, {"value": []})


def test_resource_group_and_vault_conventions(arm):
    resources, recovery = clients(arm)
    with pytest.raises(ResourceNotFoundError) as missing_rg:
        recovery.vaults.get("rg-x", "rsv-x")
    assert missing_rg.value.error.code == "ResourceGroupNotFound"
    assert resources.resource_groups.check_existence("rg-x") is False
    resources.resource_groups.create_or_update("RG-X", {"location": "West Europe"})
    assert resources.resource_groups.check_existence("rg-x") is True  # names are case-insensitive
    with pytest.raises(ResourceExistsError) as moved:
        resources.resource_groups.create_or_update("rg-x", {"location": "northeurope"})
    assert moved.value.error.code == "InvalidResourceGroupLocation"
    with pytest.raises(ResourceNotFoundError) as missing_vault:
        recovery.vaults.get("rg-x", "rsv-x")
    assert missing_vault.value.error.code == "ResourceNotFound"

    arm.reset_log()
    vault = recovery.vaults.begin_create_or_update("rg-x", "rsv-x", {"location": "westeurope", "sku": {"name": "Standard"}}).result()
    assert vault.properties.provisioning_state == "Succeeded"
    log = [(r["method"], r["path"].rsplit("/", 2)[-2]) for r in arm.requests_log() if r["path"] != "/msi/token"]
    assert log == [("PUT", "vaults"), ("GET", "operationStatus"), ("GET", "operationStatus"), ("GET", "vaults")]

    with pytest.raises(ResourceNotFoundError) as no_info:
        recovery.vault_extended_info.get("rg-x", "rsv-x")
    assert no_info.value.error.code == "ResourceExtendedInfoNotFound"
    recovery.vaults.begin_delete("rg-x", "rsv-x").result()
    assert [v.name for v in recovery.vaults.list_by_resource_group("rg-x")] == []


def test_missing_provider_registration(arm):
    fresh = arm.add_subscription(rp_registered=False)
    token = arm.issue_token()
    arm.admin("POST", "config", {"lro_polls": 0})
    status, _h, _b = raw(arm, "PUT", f"/subscriptions/{fresh}/resourcegroups/rg-y?api-version=2025-04-01", token, {"location": "westeurope"})
    assert status == 201
    status, _h, body = raw(arm, "PUT", f"/subscriptions/{fresh}/resourceGroups/rg-y/providers/Microsoft.RecoveryServices/vaults/v1"
                                       "?api-version=2026-11-01", token, {"location": "westeurope"})
    assert (status, body["error"]["code"]) == (409, "MissingSubscriptionRegistration")
    assert "'Microsoft.RecoveryServices'" in body["error"]["message"]  # the SDK's auto-registration policy parses this


def test_role_assignment_conflicts(arm):
    token = arm.issue_token()
    scope = f"/subscriptions/{arm.subscription_id}"
    body = {"properties": {"roleDefinitionId": f"{scope}/providers/Microsoft.Authorization/roleDefinitions/"
                                               "b24988ac-6180-42a0-ab88-20f7382dd24c",
                           "principalId": "6f1b3c1e-4a6d-4c4e-9d3c-2f6e8a1b0c11"}}
    url = scope + "/providers/Microsoft.Authorization/roleAssignments/{}?api-version=2022-04-01"
    assert raw(arm, "PUT", url.format("not-a-guid"), token, body)[2]["error"]["code"] == "InvalidRoleAssignmentId"
    assert raw(arm, "PUT", url.format("11111111-1111-1111-1111-111111111111"), token, body)[0] == 201
    status, _h, again = raw(arm, "PUT", url.format("22222222-2222-2222-2222-222222222222"), token, body)
    assert (status, again["error"]["code"]) == (409, "RoleAssignmentExists")
    arm.configure(directory=["00000000-0000-0000-0000-000000000001"])
    unknown = {"properties": dict(body["properties"], principalId="33333333-3333-3333-3333-333333333333")}
    status, _h, missing = raw(arm, "PUT", url.format("44444444-4444-4444-4444-444444444444"), token, unknown)
    assert (status, missing["error"]["code"]) == (400, "PrincipalNotFound")
    unknown["properties"]["principalType"] = "User"  # ARM skips the directory lookup when the type is given
    assert raw(arm, "PUT", url.format("44444444-4444-4444-4444-444444444444"), token, unknown)[0] == 201
    list_url = (scope + "/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01"
                "&%24filter=principalId%20eq%20%276f1b3c1e-4a6d-4c4e-9d3c-2f6e8a1b0c11%27")
    status, _h, listed = raw(arm, "GET", list_url, token)
    assert status == 200 and [a["name"] for a in listed["value"]] == ["11111111-1111-1111-1111-111111111111"]
