# -*- coding: utf-8 -*-
# Copyright: tenantdr.asr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Site Recovery vault credentials ("vault registration key", ``.VaultCredentials``) file.

Pure functions (no Azure calls) for what Azure's own tools do to make the file; ``docs/azure-vault-credentials.md``
has the full description and sources:

1. ``PUT .../vaults/{vault}/certificates/{name}`` with ``{"certificateCreateOptions": {"validityInHours": N}}``: the
   service creates the management certificate (Terraform ``azurerm_recovery_services_vault_hyperv_host_registration_key``
   and Microsoft's ``HyperV-Core-ASR.ps1``; the certificate name follows Terraform: ``CN=CB_{vault}-{d-MM-yyyy}-vaultcredentials``).
2. Channel integrity key from the vault extended info, created as 16 random bytes with algorithm ``None`` when the
   vault has none (Az PowerShell ``Get-AzRecoveryServicesVaultSettingsFile`` / ``GetCurrentVaultChannelIntegrityKey``).
3. The ``RSVaultAsrCreds`` XML in ``DataContractSerializer`` element order (``RSVaultAsrCreds.cs``), version 2.0.
4. Written atomically, created with mode 0600 (never widened and then narrowed).
"""
from __future__ import annotations

import base64
import datetime
import json
import os
import secrets
import tempfile
import traceback
from xml.etree import ElementTree
from xml.sax.saxutils import escape

CRYPTOGRAPHY_IMPORT_ERROR = None
try:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.serialization import pkcs12
except ImportError:
    CRYPTOGRAPHY_IMPORT_ERROR = traceback.format_exc()

ASR_CREDS_NAMESPACE = "http://schemas.datacontract.org/2004/07/Microsoft.Azure.Portal.RecoveryServices.Models.Common"
XSI_NAMESPACE = "http://www.w3.org/2001/XMLSchema-instance"
PROVIDER_NAMESPACE = "Microsoft.RecoveryServices"
DEFAULT_VALIDITY_HOURS = 120  # Site Recovery (PowerShell/portal); Backup uses 48


class VaultCredentialsError(Exception):
    """The credentials file cannot be read, parsed or written."""


def certificate_name(vault_name: str, day: datetime.date) -> str:
    """Certificate resource name as Terraform's registration-key data source makes it (Go layout ``2-01-2006``)."""
    return f"CN=CB_{vault_name}-{day.day}-{day.month:02d}-{day.year}-vaultcredentials"


def certificate_request_body(validity_hours: int) -> bytes:
    """Body of the vault certificates PUT that asks the service to create the certificate."""
    if not isinstance(validity_hours, int) or isinstance(validity_hours, bool) or validity_hours <= 0:
        raise VaultCredentialsError(f"validity must be a positive number of hours, got {validity_hours!r}")
    return json.dumps({"certificateCreateOptions": {"validityInHours": validity_hours}}).encode("utf-8")


def new_integrity_key() -> str:
    """A channel integrity key as PowerShell generates it: base64 of 128 random bits."""
    return base64.b64encode(secrets.token_bytes(16)).decode("ascii")


def default_aad_audience(location: str, vault_name: str, resource_id) -> str:
    """PowerShell's fallback when the certificate response has no ``aadAudience`` ("code taken from Ibiza")."""
    return f"https://RecoveryServiceVault/{location}/{vault_name}/{resource_id}"


def certificate_b64(value) -> str:
    """``properties.certificate`` as base64 text (SDKs decode the wire base64 to bytes; raw JSON keeps text)."""
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, str):
        return value.strip()
    raise VaultCredentialsError("the vault certificate response has no certificate")


def _element(name: str, value, indent: str) -> str:
    if value is None:
        return f'{indent}<{name} i:nil="true" />'
    return f"{indent}<{name}>{escape(str(value))}</{name}>"


# Element order of RSVaultAsrCreds ([DataMember(Order=n)] in Az PowerShell Models/RSVaultAsrCreds.cs).
VAULT_DETAILS_ORDER = ("SubscriptionId", "ResourceGroup", "ResourceName", "ResourceId", "Location", "ResourceType",
                       "ProviderNamespace")
AAD_DETAILS_ORDER = ("AadAuthority", "AadTenantId", "ServicePrincipalClientId", "AadVaultAudience", "ArmManagementEndpoint")


def build_vault_credentials_xml(fields: dict) -> str:
    """The ``RSVaultAsrCreds`` document for a Site Recovery vault (classic configuration server, Hyper-V site).

    ``fields`` keys: subscription_id, resource_group, vault_name, resource_id, location, management_cert (base64),
    aad_authority, aad_tenant_id, service_principal_client_id, aad_audience, arm_management_endpoint,
    channel_integrity_key, site_id, site_name, private_endpoint_state.
    """
    vault_details = {
        "SubscriptionId": fields["subscription_id"],
        "ResourceGroup": fields["resource_group"],
        "ResourceName": fields["vault_name"],
        "ResourceId": fields["resource_id"],
        "Location": fields["location"],
        "ResourceType": "Vaults",
        "ProviderNamespace": PROVIDER_NAMESPACE,
    }
    aad_details = {
        "AadAuthority": fields.get("aad_authority", ""),
        "AadTenantId": fields.get("aad_tenant_id", ""),
        "ServicePrincipalClientId": fields.get("service_principal_client_id", ""),
        "AadVaultAudience": fields.get("aad_audience", ""),
        "ArmManagementEndpoint": fields.get("arm_management_endpoint", ""),
    }
    lines = ['<?xml version="1.0" encoding="utf-8"?>',
             f'<RSVaultAsrCreds xmlns:i="{XSI_NAMESPACE}" xmlns="{ASR_CREDS_NAMESPACE}">',
             "  <VaultDetails>"]
    lines += [_element(name, vault_details[name], "    ") for name in VAULT_DETAILS_ORDER]
    lines += ["  </VaultDetails>",
              _element("ManagementCert", fields["management_cert"], "  "),
              _element("Version", "2.0", "  "),
              "  <AadDetails>"]
    lines += [_element(name, aad_details[name], "    ") for name in AAD_DETAILS_ORDER]
    lines += ["  </AadDetails>",
              _element("ChannelIntegrityKey", fields.get("channel_integrity_key", ""), "  "),
              _element("SiteId", fields.get("site_id", ""), "  "),
              _element("SiteName", fields.get("site_name", ""), "  "),
              _element("PrivateEndpointStateForSiteRecovery", fields.get("private_endpoint_state") or "None", "  "),
              "</RSVaultAsrCreds>"]
    return "\n".join(lines) + "\n"


def parse_vault_credentials_xml(text) -> dict:
    """Fields of an ``RSVaultAsrCreds`` document (the subset needed to judge an existing file)."""
    try:
        root = ElementTree.fromstring(text)
    except ElementTree.ParseError as exc:
        raise VaultCredentialsError(f"not a vault credentials XML document: {exc}") from exc
    ns = {"c": ASR_CREDS_NAMESPACE}
    if root.tag != f"{{{ASR_CREDS_NAMESPACE}}}RSVaultAsrCreds":
        raise VaultCredentialsError(f"unexpected root element {root.tag!r} (expected RSVaultAsrCreds)")

    def text_of(path):
        node = root.find(path, ns)
        return (node.text or "").strip() if node is not None else None

    return {
        "subscription_id": text_of("c:VaultDetails/c:SubscriptionId"),
        "resource_group": text_of("c:VaultDetails/c:ResourceGroup"),
        "vault_name": text_of("c:VaultDetails/c:ResourceName"),
        "resource_id": text_of("c:VaultDetails/c:ResourceId"),
        "location": text_of("c:VaultDetails/c:Location"),
        "management_cert": text_of("c:ManagementCert"),
        "version": text_of("c:Version"),
        "aad_tenant_id": text_of("c:AadDetails/c:AadTenantId"),
        "channel_integrity_key": text_of("c:ChannelIntegrityKey"),
    }


def inspect_certificate(cert_b64: str) -> dict:
    """Thumbprint and validity of a ManagementCert value: PKCS#12 (with or without key), DER or PEM certificate."""
    if CRYPTOGRAPHY_IMPORT_ERROR is not None:
        raise VaultCredentialsError("the cryptography Python library is needed to read certificate expiry")
    try:
        raw = base64.b64decode(cert_b64, validate=False)
    except (ValueError, TypeError) as exc:
        raise VaultCredentialsError(f"ManagementCert is not base64: {exc}") from exc
    cert = None
    kind = None
    has_key = False
    for password in (None, b""):
        try:
            key, cert, _extra = pkcs12.load_key_and_certificates(raw, password)
            kind, has_key = "pkcs12", key is not None
            break
        except (ValueError, TypeError):
            cert = None
    if cert is None:
        for loader, name in ((x509.load_der_x509_certificate, "der"), (x509.load_pem_x509_certificate, "pem")):
            try:
                cert, kind = loader(raw), name
                break
            except ValueError:
                continue
    if cert is None:
        raise VaultCredentialsError("ManagementCert is neither a PKCS#12 bundle nor an X.509 certificate")
    return {
        "thumbprint": cert.fingerprint(hashes.SHA1()).hex().upper(),  # nosec - Windows certificate thumbprints are SHA-1
        "not_before": cert.not_valid_before_utc,
        "not_after": cert.not_valid_after_utc,
        "subject": cert.subject.rfc4514_string(),
        "format": kind,
        "has_private_key": has_key,
    }


def iso_utc(value: datetime.datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(datetime.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def assess_credentials_file(path: str, subscription_id: str, resource_group: str, vault_name: str,
                            now: datetime.datetime, min_validity_hours: int = 0) -> dict:
    """Is the file at ``path`` a usable credentials file for this vault?

    Returns ``{"exists", "usable", "reason", "expires", "thumbprint", "mode"}``. A file that cannot be parsed, belongs
    to another vault, or whose certificate expires within ``min_validity_hours`` is not usable (it is regenerated).
    """
    result = {"exists": False, "usable": False, "reason": "missing", "expires": None, "thumbprint": None, "mode": None}
    try:
        stat = os.stat(path)
    except FileNotFoundError:
        return result
    except OSError as exc:
        raise VaultCredentialsError(f"cannot read {path}: {exc}") from exc
    result["exists"] = True
    result["mode"] = f"{stat.st_mode & 0o777:04o}"
    try:
        with open(path, "rb") as handle:
            content = handle.read()
    except OSError as exc:
        raise VaultCredentialsError(f"cannot read {path}: {exc}") from exc
    try:
        fields = parse_vault_credentials_xml(content)
        info = inspect_certificate(fields["management_cert"] or "")
    except VaultCredentialsError as exc:
        result["reason"] = f"unreadable ({exc})"
        return result
    result["expires"] = iso_utc(info["not_after"])
    result["thumbprint"] = info["thumbprint"]
    same_vault = ((fields["subscription_id"] or "").lower() == subscription_id.lower()
                  and (fields["resource_group"] or "").lower() == resource_group.lower()
                  and (fields["vault_name"] or "").lower() == vault_name.lower())
    if not same_vault:
        result["reason"] = (f"belongs to another vault ({fields['subscription_id']}/{fields['resource_group']}/"
                            f"{fields['vault_name']})")
        return result
    if info["not_after"] <= now + datetime.timedelta(hours=min_validity_hours):
        result["reason"] = "expired" if info["not_after"] <= now else f"expires within {min_validity_hours} hours"
        return result
    result["usable"] = True
    result["reason"] = "valid"
    return result


def write_secret_file(path: str, content: bytes) -> None:
    """Write ``content`` to ``path`` atomically; the file is created with mode 0600 and never exists with wider mode."""
    directory = os.path.dirname(os.path.abspath(path)) or "."
    fd, tmp_path = _create_private_temp(directory, os.path.basename(path))
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_path, path)
    except BaseException:
        try:
            os.unlink(tmp_path)
        except OSError:
            pass
        raise


def _create_private_temp(directory: str, base: str):
    """A new private file next to the target: ``tempfile.mkstemp`` opens it O_CREAT|O_EXCL (and O_NOFOLLOW where the
    platform has it) with mode 0600 and retries on name clashes - exactly what the registration key needs."""
    try:
        return tempfile.mkstemp(prefix=f".{base}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise VaultCredentialsError(f"cannot create a file in {directory}: {exc}") from exc


def check_credentials_path(path: str) -> str | None:
    """Why ``path`` cannot receive the credentials file (checked before any change), or None."""
    if os.path.isdir(path):
        return f"credentials_path {path!r} is a directory; give the path of the file to write (for example {path.rstrip('/')}/vault.VaultCredentials)"
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        return f"credentials_path {path!r}: directory {directory!r} does not exist"
    if not os.access(directory, os.W_OK | os.X_OK):
        return f"credentials_path {path!r}: directory {directory!r} is not writable"
    return None
