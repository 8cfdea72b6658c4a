# -*- coding: utf-8 -*-
# Copyright: tenantdr.asr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Connection options shared by every Azure module of tenantdr.asr."""
from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  subscription_id:
    description:
      - Id (GUID) of the tenant's Azure subscription.
      - Falls back to E(AZURE_SUBSCRIPTION_ID), which the AWX/AAP "Microsoft Azure Resource Manager" credential sets.
      - Required, as an option or through the environment.
    type: str
  auth_source:
    description:
      - How to sign in to Azure.
      - V(auto) - a service principal when O(client_id), O(tenant) and O(secret) or O(certificate_path) are known
        (options or environment), else O(ad_user)/O(password), else the Azure CLI profile when C(az) is on the PATH,
        else the managed identity.
      - V(service_principal) - O(client_id), O(tenant) and either O(secret) or O(certificate_path).
      - V(env) - what the AWX/AAP Azure credential injects - a service principal (E(AZURE_CLIENT_ID), E(AZURE_SECRET),
        E(AZURE_TENANT)) or a user (E(AZURE_AD_USER), E(AZURE_PASSWORD)).
      - V(cli) - the signed-in Azure CLI profile (C(az login)); the CLI must be set to the same cloud.
      - V(msi) - the managed identity of the machine or container (IMDS, App Service/Functions/Container Apps through
        E(IDENTITY_ENDPOINT) and E(IDENTITY_HEADER), Azure Arc, Cloud Shell); O(client_id) selects a user-assigned identity.
      - Falls back to E(ANSIBLE_AZURE_AUTH_SOURCE), as in azure.azcollection.
      - A credentials file (C(~/.azure/credentials)) is not supported.
    type: str
    choices: [auto, service_principal, env, cli, msi]
    default: auto
  client_id:
    description:
      - Application (client) id of the service principal, or with O(auth_source=msi) the client id of a user-assigned
        managed identity.
      - Falls back to E(AZURE_CLIENT_ID).
    type: str
  secret:
    description:
      - Client secret of the service principal.
      - Falls back to E(AZURE_SECRET).
    type: str
  tenant:
    description:
      - Entra ID tenant (directory) id, or a verified domain, of the service principal or user.
      - Falls back to E(AZURE_TENANT).
    type: str
  certificate_path:
    description:
      - PEM or PKCS#12 file with the certificate and private key of the service principal (instead of O(secret)).
      - Falls back to E(AZURE_CERTIFICATE_PATH).
    type: path
  certificate_password:
    description:
      - Password of O(certificate_path), if it is encrypted.
      - Falls back to E(AZURE_CERTIFICATE_PASSWORD).
    type: str
  ad_user:
    description:
      - User principal name for user name/password sign-in (deprecated by Microsoft, fails for accounts with MFA).
      - Falls back to E(AZURE_AD_USER).
    type: str
  password:
    description:
      - Password of O(ad_user).
      - Falls back to E(AZURE_PASSWORD).
    type: str
  cloud_environment:
    description:
      - V(AzureCloud) (public), V(AzureUSGovernment) or V(AzureChinaCloud) (the azure-core names V(AZURE_PUBLIC_CLOUD),
        V(AZURE_US_GOVERNMENT), V(AZURE_CHINA_CLOUD) are accepted too). The cloud sets the Resource Manager endpoint,
        the Entra ID sign-in endpoint and the token scope together.
      - Or the C(https://) URL of an Azure Resource Manager endpoint (Azure Stack Hub, a private cloud, a local test
        endpoint). Its endpoints are read from C(<url>/metadata/endpoints?api-version=2022-09-01), as azure.azcollection
        does; MSAL instance discovery is turned off for a sign-in endpoint that is not one of Microsoft's.
      - Falls back to E(AZURE_CLOUD_ENVIRONMENT).
      - TLS certificates are checked against the system store, or the bundle in E(REQUESTS_CA_BUNDLE).
    type: str
    default: AzureCloud
  polling_interval:
    description:
      - Seconds between polls of long-running Azure operations (vault create/update/delete, provider registration)
        when Azure does not send C(Retry-After).
      - Default is the Azure SDK's (30 seconds for operations, 5 seconds for provider registration).
    type: float
requirements:
  - azure-identity >= 1.15.0
  - azure-mgmt-resource >= 23.0.0
  - azure-mgmt-recoveryservices >= 3.0.0
  - azure-mgmt-authorization >= 4.0.0
notes:
  - Errors from Azure are returned as one message with the Azure error code (C(error_code)) and HTTP status
    (C(status_code)), for example C(AuthorizationFailed), C(ResourceGroupNotFound) or C(QuotaExceeded).
  - Secrets (O(secret), O(password), O(certificate_password)) are never logged or returned.
"""
