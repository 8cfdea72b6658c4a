"""Authentication and cloud selection of the Azure modules, through azure-identity against the local endpoint.

The endpoint acts as Entra ID (OpenID configuration + token endpoint, with MSAL instance discovery turned off for a
non-Microsoft authority) and as the App Service managed-identity endpoint, so every credential path is real.
"""
from __future__ import annotations

import datetime
import json
import shutil

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from tests.support.modules import run_module

pytestmark = pytest.mark.arm
SECRET = "s3cr3t-Value~not-for-logs"


def principals_seen(arm):
    return {r["principal"] for r in arm.requests_log() if r["principal"]}


def rg_args(arm, **extra):
    args = dict(arm.module_args(), resource_group="rg-auth", name="rsv-auth", location="westeurope", create_resource_group=True)
    args.update(extra)
    return args


def test_managed_identity(arm):
    result = run_module("asr_vault", rg_args(arm))
    assert result["changed"] is True
    assert principals_seen(arm) == {arm.msi_object_id}
    assert any(r["path"] == "/msi/token" for r in arm.requests_log())


def test_user_assigned_managed_identity(arm):
    identity = arm.add_user_assigned_identity()
    arm.set_access(identity["object_id"], "Contributor")
    result = run_module("asr_vault", rg_args(arm, client_id=identity["client_id"]))
    assert result["vault"]["provisioning_state"] == "Succeeded"
    assert principals_seen(arm) == {identity["object_id"]}


def test_service_principal_with_secret_options(arm):
    sp = arm.add_service_principal(secret=SECRET)
    result = run_module("asr_vault", rg_args(arm, auth_source="service_principal", client_id=sp["client_id"], secret=SECRET,
                                             tenant=arm.tenant_id))
    assert result["changed"] is True
    assert principals_seen(arm) == {sp["object_id"]}
    assert any(r["path"] == f"/{arm.tenant_id}/oauth2/v2.0/token" for r in arm.requests_log())
    assert SECRET not in json.dumps(result)  # no_log: masked in the invocation echo too


def test_service_principal_from_awx_environment(arm, monkeypatch):
    """auth_source auto + the variables AWX's Azure credential injects; nothing but the ARM URL given as options."""
    sp = arm.add_service_principal(secret=SECRET)
    monkeypatch.setenv("AZURE_CLIENT_ID", sp["client_id"])
    monkeypatch.setenv("AZURE_SECRET", SECRET)
    monkeypatch.setenv("AZURE_TENANT", arm.tenant_id)
    # AZURE_SUBSCRIPTION_ID and AZURE_CLOUD_ENVIRONMENT come from arm.env() (set by the fixture).
    result = run_module("asr_vault", {"resource_group": "rg-auth", "name": "rsv-auth", "location": "westeurope",
                                      "create_resource_group": True, "polling_interval": 0.01})
    assert result["vault"]["id"].startswith(f"/subscriptions/{arm.subscription_id}/")
    assert principals_seen(arm) == {sp["object_id"]}
    assert SECRET not in json.dumps(result)


def test_wrong_secret_is_a_clear_authentication_error(arm):
    sp = arm.add_service_principal(secret=SECRET)
    result = run_module("asr_vault", rg_args(arm, auth_source="service_principal", client_id=sp["client_id"], secret="wrong-secret",
                                             tenant=arm.tenant_id), expect_failure=True)
    assert result["error_code"] == "AuthenticationFailed"
    assert "authentication to Azure failed" in result["msg"]
    assert "AADSTS7000215: Invalid client secret provided" in result["msg"]
    assert "wrong-secret" not in json.dumps(result)
    assert arm.writes() == []


def test_service_principal_with_certificate(arm, tmp_path):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "tenantdr-automation")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=1)).sign(key, hashes.SHA256()))
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    pem_path = tmp_path / "sp.pem"
    pem_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()) + cert_pem)
    sp = arm.add_service_principal(certificate_pem=cert_pem.decode())
    result = run_module("asr_vault", rg_args(arm, auth_source="service_principal", client_id=sp["client_id"],
                                             certificate_path=str(pem_path), tenant=arm.tenant_id))
    assert result["changed"] is True
    assert principals_seen(arm) == {sp["object_id"]}


def test_tenant_access_with_service_principal(arm):
    sp = arm.add_service_principal(secret=SECRET)
    result = run_module("asr_tenant_access", dict(arm.module_args(auth="service_principal", client_id=sp["client_id"], secret=SECRET),
                                                  principals=[{"object_id": "6f1b3c1e-4a6d-4c4e-9d3c-2f6e8a1b0c11"}]))
    assert result["changed"] is True
    assert principals_seen(arm) == {sp["object_id"]}


@pytest.mark.skipif(shutil.which("az") is not None, reason="the Azure CLI is installed here")
def test_cli_profile_without_azure_cli_is_a_clear_error(arm):
    result = run_module("asr_vault", rg_args(arm, auth_source="cli"), expect_failure=True)
    assert result["error_code"] == "AuthenticationFailed"
    assert "Azure CLI not found on path" in result["msg"]
    assert arm.requests_log() == [{"method": "GET", "path": "/metadata/endpoints", "status": 200, "api_version": "2022-09-01",
                                   "principal": None}]


def test_missing_service_principal_parts_fail_before_any_request(arm):
    result = run_module("asr_vault", rg_args(arm, auth_source="service_principal", client_id="11111111-2222-3333-4444-555555555555"),
                        expect_failure=True)
    assert "auth_source=service_principal needs a service principal: missing tenant, secret or certificate_path" in result["msg"]
    assert arm.requests_log() == []


def test_unreachable_cloud_metadata_is_a_clear_error(arm):
    result = run_module("asr_vault", rg_args(arm, cloud_environment="https://127.0.0.1:9"), expect_failure=True)
    assert result["error_code"] == "ServiceRequestError"
    assert result["msg"].startswith("Reading cloud metadata from https://127.0.0.1:9 failed: could not reach Azure")


def test_untrusted_endpoint_certificate_is_refused(arm, monkeypatch):
    monkeypatch.delenv("REQUESTS_CA_BUNDLE")
    monkeypatch.delenv("SSL_CERT_FILE")
    result = run_module("asr_vault", rg_args(arm), expect_failure=True)
    assert result["error_code"] == "ServiceRequestError"
    assert "CERTIFICATE_VERIFY_FAILED" in result["msg"]
