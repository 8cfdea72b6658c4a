"""The vault credentials (registration key) file: XML layout, certificate inspection, file assessment and writing."""
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

from ansible_collections.tenantdr.asr.plugins.module_utils import vault_credentials as vc

NS = "{" + vc.ASR_CREDS_NAMESPACE + "}"
NOW = datetime.datetime(2026, 11, 23, 12, 0, tzinfo=datetime.timezone.utc)
SUB = "0b1f6471-1bf0-4dda-aec3-111122223333"


def make_cert(not_after: datetime.datetime, not_before: datetime.datetime | None = None):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Windows Azure Tools")])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(not_before or not_after - datetime.timedelta(days=5))
            .not_valid_after(not_after).sign(key, hashes.SHA256()))
    return key, cert


@pytest.fixture(scope="module")
def cert_pair():
    return make_cert(NOW + datetime.timedelta(hours=120))


def pfx_b64(key, cert) -> str:
    return base64.b64encode(pkcs12.serialize_key_and_certificates(None, key, cert, None, serialization.NoEncryption())).decode()


def fields(management_cert: str, **extra) -> dict:
    base = {"subscription_id": SUB, "resource_group": "rg-contoso-dr", "vault_name": "rsv-contoso-dr",
            "resource_id": 8726350008099341699, "location": "westeurope", "management_cert": management_cert,
            "aad_authority": "https://login.windows.net", "aad_tenant_id": "9b0c2069-2eba-489f-95f4-eca15cb602ab",
            "service_principal_client_id": "4932d0bd-b5f9-4659-94a0-7ab02d918933",
            "aad_audience": "https://RecoveryServiceVault/westeurope/rsv-contoso-dr/8726350008099341699",
            "arm_management_endpoint": "https://wus.wabppe.example/restapi/", "channel_integrity_key": "J09wzS27fnJ+Wjot7xO5wA=="}
    base.update(extra)
    return base


def test_certificate_name_uses_terraforms_date_layout():
    assert vc.certificate_name("rsv-contoso-dr", datetime.date(2026, 3, 7)) == "CN=CB_rsv-contoso-dr-7-03-2026-vaultcredentials"
    assert vc.certificate_name("v", datetime.date(2026, 12, 25)) == "CN=CB_v-25-12-2026-vaultcredentials"


def test_certificate_request_body():
    assert json.loads(vc.certificate_request_body(120)) == {"certificateCreateOptions": {"validityInHours": 120}}
    for bad in (0, -1, True, "120"):
        with pytest.raises(vc.VaultCredentialsError):
            vc.certificate_request_body(bad)


def test_integrity_key_is_128_random_bits():
    keys = {vc.new_integrity_key() for _index in range(20)}
    assert len(keys) == 20
    assert all(len(base64.b64decode(key)) == 16 for key in keys)


def test_default_aad_audience_matches_powershell():
    assert vc.default_aad_audience("westeurope", "v1", 42) == "https://RecoveryServiceVault/westeurope/v1/42"


def test_certificate_b64_accepts_sdk_bytes_and_wire_text():
    assert vc.certificate_b64(b"\x01\x02") == "AQI="
    assert vc.certificate_b64(bytearray(b"\x01\x02")) == "AQI="
    assert vc.certificate_b64(" AQI=\n") == "AQI="
    with pytest.raises(vc.VaultCredentialsError):
        vc.certificate_b64(None)


def test_xml_layout_order_and_namespaces():
    text = vc.build_vault_credentials_xml(fields("TUlJ"))
    assert text.startswith('<?xml version="1.0" encoding="utf-8"?>\n<RSVaultAsrCreds xmlns:i="http://www.w3.org/2001/XMLSchema-instance" '
                           'xmlns="http://schemas.datacontract.org/2004/07/Microsoft.Azure.Portal.RecoveryServices.Models.Common">')
    root = ElementTree.fromstring(text)
    assert [c.tag.replace(NS, "") for c in root] == ["VaultDetails", "ManagementCert", "Version", "AadDetails", "ChannelIntegrityKey",
                                                     "SiteId", "SiteName", "PrivateEndpointStateForSiteRecovery"]
    details = [(c.tag.replace(NS, ""), c.text) for c in root.find(NS + "VaultDetails")]
    assert details == [("SubscriptionId", SUB), ("ResourceGroup", "rg-contoso-dr"), ("ResourceName", "rsv-contoso-dr"),
                       ("ResourceId", "8726350008099341699"), ("Location", "westeurope"), ("ResourceType", "Vaults"),
                       ("ProviderNamespace", "Microsoft.RecoveryServices")]
    aad = [(c.tag.replace(NS, ""), c.text) for c in root.find(NS + "AadDetails")]
    assert [name for name, _text in aad] == ["AadAuthority", "AadTenantId", "ServicePrincipalClientId", "AadVaultAudience",
                                             "ArmManagementEndpoint"]
    assert root.find(NS + "Version").text == "2.0"
    assert root.find(NS + "SiteId").text is None and root.find(NS + "PrivateEndpointStateForSiteRecovery").text == "None"


def test_xml_escapes_values_and_marks_nulls():
    text = vc.build_vault_credentials_xml(fields("TUlJ", resource_group="rg<&>", aad_audience=None))
    assert "<ResourceGroup>rg&lt;&amp;&gt;</ResourceGroup>" in text
    assert '<AadVaultAudience i:nil="true" />' in text
    root = ElementTree.fromstring(text)
    assert root.find(f"{NS}VaultDetails/{NS}ResourceGroup").text == "rg<&>"


def test_parse_round_trip_and_rejects_other_documents():
    parsed = vc.parse_vault_credentials_xml(vc.build_vault_credentials_xml(fields("TUlJ")))
    assert parsed["vault_name"] == "rsv-contoso-dr" and parsed["management_cert"] == "TUlJ" and parsed["version"] == "2.0"
    with pytest.raises(vc.VaultCredentialsError, match="unexpected root element"):
        vc.parse_vault_credentials_xml("<VaultCreds/>")
    with pytest.raises(vc.VaultCredentialsError, match="not a vault credentials XML document"):
        vc.parse_vault_credentials_xml("plain text")


def test_inspect_certificate_reads_pkcs12_der_and_pem(cert_pair):
    key, cert = cert_pair
    thumbprint = cert.fingerprint(hashes.SHA1()).hex().upper()
    info = vc.inspect_certificate(pfx_b64(key, cert))
    assert (info["format"], info["has_private_key"], info["thumbprint"]) == ("pkcs12", True, thumbprint)
    assert info["not_after"] == NOW + datetime.timedelta(hours=120)
    der = vc.inspect_certificate(base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode())
    assert (der["format"], der["has_private_key"], der["thumbprint"]) == ("der", False, thumbprint)
    pem = vc.inspect_certificate(base64.b64encode(cert.public_bytes(serialization.Encoding.PEM)).decode())
    assert pem["format"] == "pem"
    with pytest.raises(vc.VaultCredentialsError, match="neither a PKCS#12 bundle nor an X.509 certificate"):
        vc.inspect_certificate(base64.b64encode(b"garbage").decode())


def write(path, text):
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)


def test_assess_missing_valid_expired_and_soon_expiring(tmp_path, cert_pair):
    path = str(tmp_path / "v.VaultCredentials")
    assert vc.assess_credentials_file(path, SUB, "rg-contoso-dr", "rsv-contoso-dr", NOW)["reason"] == "missing"

    write(path, vc.build_vault_credentials_xml(fields(pfx_b64(*cert_pair))))
    valid = vc.assess_credentials_file(path, SUB.upper(), "RG-contoso-dr", "rsv-CONTOSO-dr", NOW)
    assert (valid["usable"], valid["reason"], valid["expires"]) == (True, "valid", "2026-11-28T12:00:00Z")
    soon = vc.assess_credentials_file(path, SUB, "rg-contoso-dr", "rsv-contoso-dr", NOW, min_validity_hours=121)
    assert (soon["usable"], soon["reason"]) == (False, "expires within 121 hours")
    later = vc.assess_credentials_file(path, SUB, "rg-contoso-dr", "rsv-contoso-dr", NOW + datetime.timedelta(hours=121))
    assert (later["usable"], later["reason"]) == (False, "expired")


def test_assess_foreign_and_unreadable_files(tmp_path, cert_pair):
    path = str(tmp_path / "v.VaultCredentials")
    write(path, vc.build_vault_credentials_xml(fields(pfx_b64(*cert_pair), vault_name="rsv-other")))
    foreign = vc.assess_credentials_file(path, SUB, "rg-contoso-dr", "rsv-contoso-dr", NOW)
    assert foreign["usable"] is False and foreign["reason"].startswith("belongs to another vault")
    write(path, vc.build_vault_credentials_xml(fields("bm90IGEgY2VydA==")))
    broken = vc.assess_credentials_file(path, SUB, "rg-contoso-dr", "rsv-contoso-dr", NOW)
    assert broken["exists"] is True and broken["usable"] is False and broken["reason"].startswith("unreadable")


def test_write_secret_file_is_0600_even_with_open_umask_and_replaces_atomically(tmp_path):
    path = str(tmp_path / "v.VaultCredentials")
    write(path, "old")
    os.chmod(path, 0o644)
    old = os.umask(0)
    try:
        vc.write_secret_file(path, b"new secret")
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    with open(path, "rb") as handle:
        assert handle.read() == b"new secret"
    assert os.listdir(tmp_path) == ["v.VaultCredentials"]


def test_check_credentials_path(tmp_path):
    assert vc.check_credentials_path(str(tmp_path / "x.VaultCredentials")) is None
    assert "is a directory" in vc.check_credentials_path(str(tmp_path))
    assert "does not exist" in vc.check_credentials_path(str(tmp_path / "no" / "x"))
