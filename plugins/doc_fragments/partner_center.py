# -*- coding: utf-8 -*-
# Copyright: tenantdr.asr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Connection options of the tenantdr.asr Partner Center (CSP) and Microsoft Graph modules."""
from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  partner_tenant:
    description:
      - Entra ID tenant (directory) id, or a verified domain, of the CSP partner.
      - Falls back to E(PARTNER_CENTER_TENANT), then E(AZURE_TENANT).
    type: str
  partner_client_id:
    description:
      - Application (client) id of the partner's Entra ID application registered for Partner Center (app-only
        sign-in, client credentials).
      - Falls back to E(PARTNER_CENTER_CLIENT_ID), then E(AZURE_CLIENT_ID).
    type: str
  partner_secret:
    description:
      - Client secret of O(partner_client_id).
      - Falls back to E(PARTNER_CENTER_SECRET), then E(AZURE_SECRET).
    type: str
  partner_certificate_path:
    description:
      - PEM or PKCS#12 file with the application's certificate and private key, instead of O(partner_secret).
      - Falls back to E(PARTNER_CENTER_CERTIFICATE_PATH).
    type: path
  partner_certificate_password:
    description:
      - Password of O(partner_certificate_path).
      - Falls back to E(PARTNER_CENTER_CERTIFICATE_PASSWORD).
    type: str
  cloud_environment:
    description:
      - The cloud whose Entra ID sign-in endpoint issues the tokens - V(AzureCloud), V(AzureUSGovernment),
        V(AzureChinaCloud), or the C(https://) URL of an Azure Resource Manager endpoint whose C(/metadata/endpoints)
        names the sign-in endpoint (as for the tenantdr.asr.azure modules).
      - Falls back to E(AZURE_CLOUD_ENVIRONMENT).
    type: str
    default: AzureCloud
  partner_center_url:
    description:
      - Partner Center REST endpoint. Tokens are always requested for the audience
        C(https://api.partnercenter.microsoft.com/.default).
      - Falls back to E(PARTNER_CENTER_URL). Change it only for tests.
    type: str
    default: https://api.partnercenter.microsoft.com
  graph_url:
    description:
      - Microsoft Graph endpoint (GDAP relationships, directory look-ups). Tokens are requested for
        C(https://graph.microsoft.com/.default).
      - Falls back to E(MICROSOFT_GRAPH_URL). Change it only for tests.
    type: str
    default: https://graph.microsoft.com
  validate_certs:
    description:
      - Check the TLS certificates of Partner Center and Graph. Only turn off for tests.
      - Falls back to E(PARTNER_CENTER_VALIDATE_CERTS).
    type: bool
    default: true
  ca_path:
    description:
      - PEM bundle of certificate authorities to trust for Partner Center and Graph instead of the system store
        (the sign-in endpoint uses E(REQUESTS_CA_BUNDLE)).
      - Falls back to E(PARTNER_CENTER_CA_PATH).
    type: path
  max_retry_wait:
    description:
      - Most seconds one call may spend waiting on throttling (HTTP 429 with C(Retry-After)) and transient 5xx answers
        before the module gives up with Partner Center's error. Each write keeps its C(MS-RequestId) across retries,
        so Partner Center answers a retried write with the first result instead of doing it twice.
    type: float
    default: 60
requirements:
  - azure-identity >= 1.15.0
  - azure-core >= 1.29.0
notes:
  - Every request carries C(MS-RequestId) (one per logical write) and C(MS-CorrelationId) (one per module run).
  - Errors are returned as one message with the service's error code (C(error_code)) and HTTP status (C(status_code)).
  - Secrets (O(partner_secret), O(partner_certificate_password)) are never logged or returned.
  - Partner Center documents several customer APIs (customer users among them) as App+User; since 1 April 2026 App+User
    calls need MFA. This collection signs in app-only.
"""
