"""Pure tests of the Azure connection layer (plugins/module_utils/azure_common.py): option checks, auth mode choice,
cloud endpoints. No network: credentials are only constructed, never asked for a token."""
from __future__ import annotations

import pytest

from ansible_collections.tenantdr.asr.plugins.module_utils import azure_common as ac

SUB = "0b1f6471-1bf0-4dda-aec3-111122223333"
TENANT = "9b0c2069-2eba-489f-95f4-eca15cb602ab"


def params(**extra):
    base = {"subscription_id": SUB, "auth_source": "auto", "client_id": None, "secret": None, "tenant": None,
            "certificate_path": None, "certificate_password": None, "ad_user": None, "password": None,
            "cloud_environment": "AzureCloud", "polling_interval": None}
    base.update(extra)
    return base


def no_az(_name):
    return None


def has_az(_name):
    return "/usr/bin/az"


@pytest.mark.parametrize("extra, which, expected", [
    ({"client_id": "c", "secret": "s", "tenant": TENANT}, no_az, "service_principal"),
    ({"client_id": "c", "certificate_path": "/p", "tenant": TENANT}, no_az, "service_principal"),
    ({"ad_user": "u@x.com", "password": "p"}, no_az, "user_password"),
    # nothing explicit: the Azure CLI profile, else a managed identity (azure-identity's ChainedTokenCredential)
    ({}, has_az, "chain"),
    ({}, no_az, "chain"),
    ({"client_id": "c"}, no_az, "chain"),  # a client id alone is a user-assigned identity
    ({"auth_source": "msi", "client_id": "c"}, no_az, "msi"),
    ({"auth_source": "env", "ad_user": "u@x.com", "password": "p"}, no_az, "user_password"),
    ({"auth_source": "cli", "client_id": "c", "secret": "s", "tenant": TENANT}, no_az, "cli"),
])
def test_auth_mode(extra, which, expected):
    assert ac.auth_mode(params(**extra), which) == expected


@pytest.mark.parametrize("extra, fragment", [
    ({"subscription_id": None}, "subscription_id is required (or set the AZURE_SUBSCRIPTION_ID environment variable)"),
    ({"subscription_id": "abc"}, "subscription_id 'abc' is not a subscription id"),
    ({"cloud_environment": "AzureStack"}, "cloud_environment 'AzureStack' is not valid: use one of AzureCloud, AzureUSGovernment, "
                                          "AzureChinaCloud or the https:// URL"),
    ({"cloud_environment": "http://insecure.example"}, "cloud_environment 'http://insecure.example' is not valid"),
    ({"auth_source": "service_principal", "client_id": "c"}, "missing tenant, secret or certificate_path"),
    ({"auth_source": "service_principal", "client_id": "c", "tenant": TENANT, "secret": "s", "certificate_path": "/p"},
     "either secret or certificate_path"),
    ({"auth_source": "service_principal", "client_id": "c", "tenant": "not a tenant!", "secret": "s"}, "tenant 'not a tenant!'"),
    ({"auth_source": "msi", "client_id": "my-identity"}, "client_id 'my-identity' (user-assigned managed identity) must be a GUID"),
    ({"client_id": "my-identity"}, "client_id 'my-identity' (user-assigned managed identity) must be a GUID"),
    ({"polling_interval": -1.0}, "polling_interval must be 0 or more seconds"),
])
def test_validate_connection_names_the_problem(extra, fragment):
    problems = ac.validate_connection(params(**extra), no_az)
    assert any(fragment in p for p in problems), problems


def test_validate_connection_accepts_good_input():
    assert ac.validate_connection(params(), no_az) == []
    assert ac.validate_connection(params(auth_source="service_principal", client_id="c", tenant="contoso.onmicrosoft.com",
                                         secret="s", cloud_environment="AZURE_US_GOVERNMENT"), no_az) == []


@pytest.mark.parametrize("name, arm, authority, scope", [
    ("AzureCloud", "https://management.azure.com", "https://login.microsoftonline.com", "https://management.azure.com/.default"),
    ("azureusgovernment", "https://management.usgovcloudapi.net", "https://login.microsoftonline.us",
     "https://management.core.usgovcloudapi.net/.default"),
    ("AZURE_CHINA_CLOUD", "https://management.chinacloudapi.cn", "https://login.chinacloudapi.cn",
     "https://management.chinacloudapi.cn/.default"),
])
def test_builtin_clouds(name, arm, authority, scope):
    cloud = ac.resolve_cloud(name)
    assert (cloud.resource_manager, cloud.authority, cloud.scope, cloud.custom_authority) == (arm, authority, scope, False)


def test_session_points_every_client_at_the_cloud():
    session = ac.AzureSession(params(cloud_environment="AzureChinaCloud", auth_source="msi", polling_interval=2.0), no_az)
    try:
        for client in (session.resources, session.recovery):
            assert client._config.base_url == "https://management.chinacloudapi.cn"  # pylint: disable=protected-access
        assert session.authorization._config.credential_scopes == ["https://management.chinacloudapi.cn/.default"]
        assert session.recovery._config.credential_scopes == ["https://management.chinacloudapi.cn/.default"]
        assert session.recovery._config.polling_interval == 2.0
        assert session.resources._config.credential_scopes == ["https://management.chinacloudapi.cn/.default"]
        assert session.auth_description == "managed identity"
    finally:
        session.close()


def test_cloud_from_metadata_object_and_list():
    doc = {"name": "Stack", "resourceManager": "https://arm.stack.local/",
           "authentication": {"loginEndpoint": "https://adfs.stack.local/", "audiences": ["https://arm.stack.local/app"]}}
    cloud = ac.cloud_from_metadata("https://arm.stack.local", doc)
    assert (cloud.name, cloud.resource_manager, cloud.authority, cloud.scope) == (
        "Stack", "https://arm.stack.local", "https://adfs.stack.local", "https://arm.stack.local/app/.default")
    assert cloud.custom_authority is True
    listed = ac.cloud_from_metadata("https://arm.stack.local", [dict(doc, resourceManager="https://other/"), doc])
    assert listed.name == "Stack"
    with pytest.raises(ac.AzureApiError) as err:
        ac.cloud_from_metadata("https://x", {"portal": "p"})
    assert err.value.code == "InvalidCloudMetadata"


def test_service_principal_credential_for_a_custom_authority_disables_instance_discovery():
    cloud = ac.Cloud("Local", "https://127.0.0.1:8443", "https://127.0.0.1:8443/", "https://127.0.0.1:8443/.default")
    credential, description = ac.build_credential(params(client_id="c1", secret="s", tenant=TENANT), cloud, no_az)
    assert type(credential).__name__ == "ClientSecretCredential"
    assert description == "service principal c1 (secret)"
    assert credential._instance_discovery is False  # pylint: disable=protected-access


def test_user_password_credential_uses_the_azure_cli_public_client():
    cloud = ac.resolve_cloud("AzureCloud")
    with pytest.warns(DeprecationWarning, match="doesn't support multifactor authentication"):
        credential, description = ac.build_credential(params(ad_user="ops@contoso.example", password="p"), cloud, no_az)
    assert type(credential).__name__ == "UsernamePasswordCredential"
    assert description == "user ops@contoso.example"
    assert credential._client_id == ac.AZURE_CLI_CLIENT_ID  # pylint: disable=protected-access


def test_enum_value_and_to_wire():
    class Enum:
        value = "Registered"
    assert ac.enum_value(Enum()) == "Registered"
    assert ac.enum_value("x") == "x"
    assert ac.to_wire(None) == {}
    assert ac.to_wire({"a": 1}) == {"a": 1}


def test_auto_without_explicit_credentials_chains_the_cli_profile_and_a_managed_identity():
    cloud = ac.resolve_cloud("AzureCloud")
    client_id = "5f2b6d7e-0c3a-4f1e-9a8b-7c6d5e4f3a21"
    credential, description = ac.build_credential(params(client_id=client_id), cloud, no_az)
    assert type(credential).__name__ == "ChainedTokenCredential"
    # order matters: the CLI profile first, the (user-assigned) managed identity second
    assert [type(c).__name__ for c in credential.credentials] == ["AzureCliCredential", "ManagedIdentityCredential"]
    assert description == "Azure CLI profile, else user-assigned managed identity " + client_id
