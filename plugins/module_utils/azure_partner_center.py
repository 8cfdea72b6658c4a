# -*- coding: utf-8 -*-
# Copyright: tenantdr.asr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Partner Center (CSP) for tenantdr.asr: connection, a thin REST client, input validation and pure planning.

* :func:`partner_center_argument_spec` - the connection options of ``doc_fragments/partner_center.py`` with the
  environment variables of ``awx/credential_types/partner_center.yml`` as fallbacks.
* :class:`RestClient` - an azure-core ``PipelineClient`` with a bearer token for one audience, ``MS-RequestId`` /
  ``MS-CorrelationId`` headers (one request id per logical write, re-sent on every retry, so Partner Center replays
  the first answer instead of doing the write twice), 429/5xx retried after ``Retry-After`` up to a bound, and errors
  reduced to one line with the service's error code. :class:`PartnerCenterClient` adds the Partner Center calls.
* ``validate_*`` - pure checks returning a list of problem strings (empty = fine), also used by the preflight.
* ``plan_*`` - pure planning (desired + current -> changes as plain data) for check mode, diff and tests.
* :func:`write_secrets` - the 0600 secrets file on the controller (first admin and initial user passwords).

Sign-in reuses ``azure_common.build_credential`` (service principal with secret or certificate) and the cloud of
``cloud_environment`` (its Entra ID authority); the token audience is Partner Center's, not ARM's.
"""
from __future__ import annotations

import datetime
import json
import os
import re
import tempfile
import time
import traceback
import uuid
from urllib.parse import quote

from ansible.module_utils.basic import env_fallback, missing_required_lib

from ansible_collections.tenantdr.asr.plugins.module_utils.azure_common import (
    AZURE_IMPORT_ERROR, AzureApiError, AzureError, api_error, build_credential, is_guid, resolve_cloud,
)

PIPELINE_IMPORT_ERROR = AZURE_IMPORT_ERROR
try:
    from azure.core import PipelineClient
    from azure.core.pipeline.policies import BearerTokenCredentialPolicy, HeadersPolicy, UserAgentPolicy
    from azure.core.rest import HttpRequest
except ImportError:
    PIPELINE_IMPORT_ERROR = traceback.format_exc()

PARTNER_CENTER_URL = "https://api.partnercenter.microsoft.com"
PARTNER_CENTER_SCOPE = "https://api.partnercenter.microsoft.com/.default"
GRAPH_URL = "https://graph.microsoft.com"
GRAPH_SCOPE = "https://graph.microsoft.com/.default"
USER_AGENT = "ansible-tenantdr.asr"

# Azure plan in the Partner Center catalog (learn "Create an Azure plan", azure.md section 8).
AZURE_PLAN_PRODUCT = "DZH318Z0BPS6"
AZURE_PLAN_SKU = "0001"
AZURE_PLAN_OFFER = f"{AZURE_PLAN_PRODUCT}:{AZURE_PLAN_SKU}"
MCA_AGREEMENT_TYPE = "MicrosoftCustomerAgreement"

# Country -> (supported cultures, supported languages) for the countries most providers sell in. Partner Center's
# own rules come from GET /v1/countryvalidationrules/{country}; this table is the offline fallback (hand-written from
# those rules' documented shape: culture = language-COUNTRY, language = ISO 639-1).
COUNTRY_RULES = {
    "US": (["en-US"], ["en"]), "CA": (["en-CA", "fr-CA"], ["en", "fr"]), "GB": (["en-GB"], ["en"]),
    "IE": (["en-IE"], ["en"]), "DE": (["de-DE"], ["de"]), "AT": (["de-AT"], ["de"]),
    "CH": (["de-CH", "fr-CH", "it-CH"], ["de", "fr", "it"]), "FR": (["fr-FR"], ["fr"]), "BE": (["nl-BE", "fr-BE"], ["nl", "fr"]),
    "NL": (["nl-NL"], ["nl"]), "LU": (["fr-LU", "de-LU"], ["fr", "de"]), "ES": (["es-ES"], ["es"]), "PT": (["pt-PT"], ["pt"]),
    "IT": (["it-IT"], ["it"]), "SE": (["sv-SE"], ["sv"]), "NO": (["nb-NO"], ["nb"]), "DK": (["da-DK"], ["da"]),
    "FI": (["fi-FI"], ["fi"]), "PL": (["pl-PL"], ["pl"]), "CZ": (["cs-CZ"], ["cs"]), "AU": (["en-AU"], ["en"]),
    "NZ": (["en-NZ"], ["en"]), "JP": (["ja-JP"], ["ja"]), "BR": (["pt-BR"], ["pt"]), "MX": (["es-MX"], ["es"]),
    "IN": (["en-IN"], ["en"]), "SG": (["en-SG"], ["en"]), "ZA": (["en-ZA"], ["en"]),
}
# onmicrosoft.com prefix: letters and digits, at most 27 characters (Partner Center's "Domain" field; not verified
# against the API itself).
DOMAIN_PREFIX_RE = re.compile(r"^[A-Za-z0-9]{1,27}$")
EMAIL_RE = re.compile(r"^[^@\s]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
UPN_RE = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
COMPANY_NAME_MAX = 255
SUBSCRIPTION_DISPLAY_NAME_MAX = 64  # Azure subscription names: at most 64 characters.
SUBSCRIPTION_NAME_FORBIDDEN = set("<>;|")


# ---------------------------------------------------------------------------------------------------------------------
# Connection
# ---------------------------------------------------------------------------------------------------------------------
def require_partner_center(module) -> None:
    if PIPELINE_IMPORT_ERROR is not None:
        module.fail_json(msg=missing_required_lib("azure-identity and azure-core"), exception=PIPELINE_IMPORT_ERROR)


def partner_center_argument_spec() -> dict:
    """Connection options of the Partner Center / Graph modules (doc fragment ``tenantdr.asr.partner_center``)."""
    return dict(
        partner_tenant=dict(type="str", fallback=(env_fallback, ["PARTNER_CENTER_TENANT", "AZURE_TENANT"])),
        partner_client_id=dict(type="str", fallback=(env_fallback, ["PARTNER_CENTER_CLIENT_ID", "AZURE_CLIENT_ID"])),
        partner_secret=dict(type="str", no_log=True, fallback=(env_fallback, ["PARTNER_CENTER_SECRET", "AZURE_SECRET"])),
        partner_certificate_path=dict(type="path", fallback=(env_fallback, ["PARTNER_CENTER_CERTIFICATE_PATH"])),
        partner_certificate_password=dict(type="str", no_log=True, fallback=(env_fallback, ["PARTNER_CENTER_CERTIFICATE_PASSWORD"])),
        cloud_environment=dict(type="str", default="AzureCloud", fallback=(env_fallback, ["AZURE_CLOUD_ENVIRONMENT"])),
        partner_center_url=dict(type="str", default=PARTNER_CENTER_URL, fallback=(env_fallback, ["PARTNER_CENTER_URL"])),
        graph_url=dict(type="str", default=GRAPH_URL, fallback=(env_fallback, ["MICROSOFT_GRAPH_URL"])),
        validate_certs=dict(type="bool", default=True, fallback=(env_fallback, ["PARTNER_CENTER_VALIDATE_CERTS"])),
        ca_path=dict(type="path", fallback=(env_fallback, ["PARTNER_CENTER_CA_PATH"])),
        max_retry_wait=dict(type="float", default=60.0),
    )


def validate_partner_connection(params: dict) -> list:
    """Problems with the Partner Center connection options (no network)."""
    problems = []
    missing = [name for name in ("partner_tenant", "partner_client_id") if not params.get(name)]
    if not (params.get("partner_secret") or params.get("partner_certificate_path")):
        missing.append("partner_secret or partner_certificate_path")
    if missing:
        problems.append(f"the Partner Center connection needs {', '.join(missing)} (or PARTNER_CENTER_TENANT, "
                        "PARTNER_CENTER_CLIENT_ID, PARTNER_CENTER_SECRET in the environment)")
    if params.get("partner_secret") and params.get("partner_certificate_path"):
        problems.append("give either partner_secret or partner_certificate_path, not both")
    if params.get("partner_client_id") and not is_guid(params["partner_client_id"]):
        problems.append(f"partner_client_id {params['partner_client_id']!r} is not an application id (GUID)")
    for name in ("partner_center_url", "graph_url"):
        url = params.get(name) or ""
        if url and not url.lower().startswith("https://"):
            problems.append(f"{name} {url!r} must be an https:// URL")
    wait = params.get("max_retry_wait")
    if wait is not None and wait < 0:
        problems.append(f"max_retry_wait must be 0 or more seconds, got {wait}")
    return problems


class PartnerSession:
    """Credential of the partner's application and the Partner Center / Graph clients of one module run."""

    def __init__(self, params: dict):
        self.params = params
        self.cloud = resolve_cloud(params.get("cloud_environment") or "AzureCloud")
        identity = {"auth_source": "service_principal", "client_id": params.get("partner_client_id"),
                    "tenant": params.get("partner_tenant"), "secret": params.get("partner_secret"),
                    "certificate_path": params.get("partner_certificate_path"),
                    "certificate_password": params.get("partner_certificate_password")}
        self.credential, self.auth_description = build_credential(identity, self.cloud)
        verify = params.get("ca_path") or bool(params.get("validate_certs", True))
        wait = params.get("max_retry_wait")
        self.partner_center = PartnerCenterClient(params.get("partner_center_url") or PARTNER_CENTER_URL, self.credential,
                                                  PARTNER_CENTER_SCOPE, verify=verify, max_retry_wait=wait)
        self._graph = None
        self._verify = verify

    @property
    def graph(self):
        if self._graph is None:
            # Imported here: azure_graph imports this module.
            from ansible_collections.tenantdr.asr.plugins.module_utils.azure_graph import GraphClient  # pylint: disable=import-outside-toplevel
            self._graph = GraphClient(self.params.get("graph_url") or GRAPH_URL, self.credential, GRAPH_SCOPE,
                                      verify=self._verify, max_retry_wait=self.params.get("max_retry_wait"))
        return self._graph

    def writes(self) -> list:
        return self.partner_center.writes + (self._graph.writes if self._graph else [])

    def close(self) -> None:
        for client in (self.partner_center, self._graph):
            if client is not None:
                client.close()
        close = getattr(self.credential, "close", None)
        if close is not None:
            try:
                close()
            except Exception:  # pylint: disable=broad-except
                pass


# ---------------------------------------------------------------------------------------------------------------------
# REST client
# ---------------------------------------------------------------------------------------------------------------------
class RestClient:
    """A JSON REST client over an azure-core pipeline for one service and token audience."""

    service = "Partner Center"
    retry_statuses = (429, 500, 502, 503, 504)

    def __init__(self, base_url: str, credential, scope: str, verify=True, max_retry_wait=None, max_attempts: int = 6,
                 sleep=time.sleep, correlation_id: str | None = None):
        self.base_url = base_url.rstrip("/")
        self.verify = verify
        self.max_retry_wait = 60.0 if max_retry_wait is None else float(max_retry_wait)
        self.max_attempts = max_attempts
        self.sleep = sleep
        self.correlation_id = correlation_id or str(uuid.uuid4())
        self.writes = []   # "METHOD path" of every write that reached the service
        self.reads = 0
        policies = [HeadersPolicy(), UserAgentPolicy(USER_AGENT), BearerTokenCredentialPolicy(credential, scope)]
        self._client = PipelineClient(base_url=self.base_url, policies=policies)

    def close(self) -> None:
        try:
            self._client.close()
        except Exception:  # pylint: disable=broad-except
            pass

    def extra_headers(self, request_id: str) -> dict:
        return {"MS-RequestId": request_id, "MS-CorrelationId": self.correlation_id, "Accept": "application/json"}

    def request(self, method: str, path: str, doing: str, params: dict | None = None, body=None, ok=(200, 201, 204),
                headers: dict | None = None, missing_ok: bool = False):
        """Send one request; returns ``(status, json or None, headers)``. ``missing_ok``: a 404 returns ``(404, None, {})``.

        A write keeps one ``MS-RequestId`` across its retries, so the service can answer a retried write with the
        first write's result instead of doing it again.
        """
        request_id = str(uuid.uuid4())
        url = self.base_url + path
        waited = 0.0
        for attempt in range(1, self.max_attempts + 1):
            all_headers = self.extra_headers(request_id)
            if body is not None:
                all_headers["Content-Type"] = "application/json"
            all_headers.update(headers or {})
            request = HttpRequest(method, url, params=params or None, headers=all_headers,
                                  content=json.dumps(body) if body is not None else None)
            try:
                response = self._client.send_request(request, connection_verify=self.verify)
            except AzureError as exc:
                raise api_error(exc, doing) from exc
            status = response.status_code
            if status in self.retry_statuses and attempt < self.max_attempts:
                delay = retry_after_seconds(response.headers.get("Retry-After"), attempt)
                if waited + delay <= self.max_retry_wait:
                    waited += delay
                    self.sleep(delay)
                    continue
            if method != "GET" and method != "HEAD" and status < 500 and status != 429:
                self.writes.append(f"{method} {path}")
            elif method in ("GET", "HEAD"):
                self.reads += 1
            if status == 404 and missing_ok:
                return 404, None, dict(response.headers)
            if status not in ok:
                raise self.error(response, doing, waited)
            text = response.text()
            data = None
            if text:
                try:
                    data = json.loads(text)
                except ValueError:
                    data = text
            return status, data, dict(response.headers)
        raise AzureApiError(f"{doing} failed: no answer after {self.max_attempts} attempts")  # pragma: no cover

    def error(self, response, doing: str, waited: float) -> AzureApiError:
        status = response.status_code
        try:
            body = json.loads(response.text() or "{}")
        except ValueError:
            body = {}
        code, detail = self.error_details(body)
        detail = " ".join(str(detail or response.reason or "").split())
        what = doing[:1].upper() + doing[1:]
        extra = ""
        if status == 429:
            extra = f" (still throttled after waiting {waited:.0f} s, the max_retry_wait bound; re-run later)"
        return AzureApiError(f"{what} failed: {self.service} answered HTTP {status} error {code or 'unknown'}: {detail}{extra}",
                             code=str(code) if code is not None else None, status=status, detail=detail)

    @staticmethod
    def error_details(body) -> tuple:
        """Partner Center errors: ``{"code": 600008, "description": "...", "source": "PartnerFD"}``."""
        if isinstance(body, dict):
            if isinstance(body.get("error"), dict):
                return body["error"].get("code"), body["error"].get("message")
            return body.get("code") or body.get("errorName"), body.get("description") or body.get("message")
        return None, None


def retry_after_seconds(value, attempt: int) -> float:
    """Seconds to wait: ``Retry-After`` (seconds or an HTTP date), else exponential backoff from 1 s."""
    if value:
        try:
            return max(0.0, float(value))
        except ValueError:
            try:
                from email.utils import parsedate_to_datetime  # pylint: disable=import-outside-toplevel
                when = parsedate_to_datetime(value)
                return max(0.0, (when - datetime.datetime.now(datetime.timezone.utc)).total_seconds())
            except (TypeError, ValueError):
                pass
    return float(min(2 ** (attempt - 1), 30))


class PartnerCenterClient(RestClient):
    """The Partner Center calls of the CSP onboarding (learn.microsoft.com/partner-center/developer)."""

    def items(self, path: str, doing: str, params: dict | None = None) -> list:
        """All items of a Partner Center collection, following ``links.next`` continuation tokens."""
        out = []
        _status, data, _headers = self.request("GET", path, doing, params=params)
        while True:
            out.extend((data or {}).get("items") or [])
            nxt = ((data or {}).get("links") or {}).get("next")
            if not nxt or not nxt.get("uri"):
                return out
            headers = {h["key"]: h["value"] for h in nxt.get("headers") or []}
            uri = nxt["uri"]
            path_only, _sep, query = uri.partition("?")
            query_params = dict(p.split("=", 1) for p in query.split("&") if "=" in p)
            _status, data, _headers = self.request("GET", "/v1/" + path_only.lstrip("/"), doing, params=query_params,
                                                   headers=headers)

    # customers
    def find_customer(self, domain: str):
        flt = json.dumps({"Field": "Domain", "Value": domain, "Operator": "starts_with"}, separators=(",", ":"))
        found = self.items("/v1/customers", f"searching customer {domain}", params={"size": "0", "filter": flt})
        exact = [c for c in found if ((c.get("companyProfile") or {}).get("domain") or "").lower() == domain.lower()]
        return exact[0] if exact else None

    def domain_taken(self, domain: str) -> bool:
        status, _data, _headers = self.request("HEAD", f"/v1/domains/{quote(domain)}", f"checking domain {domain}",
                                               ok=(200,), missing_ok=True)
        return status == 200

    def country_rules(self, country: str) -> dict:
        return self.request("GET", f"/v1/countryvalidationrules/{quote(country)}", f"reading the rules of country {country}",
                            params={"country": country})[1] or {}

    def validate_address(self, address: dict) -> dict:
        return self.request("POST", "/v1/validations/address", "validating the billing address", body=address,
                            ok=(200,))[1] or {}

    def create_customer(self, body: dict) -> dict:
        return self.request("POST", "/v1/customers", f"creating customer {body['companyProfile']['domain']}", body=body,
                            ok=(200, 201))[1]

    def agreements(self, customer_id: str) -> list:
        return self.items(f"/v1/customers/{customer_id}/agreements", "reading the customer's agreements",
                          params={"agreementType": MCA_AGREEMENT_TYPE})

    def agreement_template(self) -> str:
        items = self.items("/v1/agreements", "reading the Microsoft Customer Agreement metadata",
                           params={"agreementType": MCA_AGREEMENT_TYPE})
        if not items:
            raise AzureApiError("Partner Center lists no Microsoft Customer Agreement template", code="AgreementNotFound")
        return items[0]["templateId"]

    def create_agreement(self, customer_id: str, body: dict) -> dict:
        return self.request("POST", f"/v1/customers/{customer_id}/agreements", "recording the customer's acceptance of the "
                            "Microsoft Customer Agreement", body=body, ok=(200, 201))[1]

    # Azure plan
    def subscriptions(self, customer_id: str) -> list:
        return self.items(f"/v1/customers/{customer_id}/subscriptions", "listing the customer's subscriptions")

    def orders(self, customer_id: str) -> list:
        return self.items(f"/v1/customers/{customer_id}/orders", "listing the customer's orders")

    def azure_plan_catalog_item(self, country: str) -> str:
        items = self.items(f"/v1/products/{AZURE_PLAN_PRODUCT}/skus/{AZURE_PLAN_SKU}/availabilities",
                           "reading the Azure plan availability", params={"country": country, "targetSegment": "commercial"})
        if not items:
            raise AzureApiError(f"The Azure plan ({AZURE_PLAN_OFFER}) is not available in country {country}",
                                code="AvailabilityNotFound")
        return items[0]["catalogItemId"]

    def create_cart(self, customer_id: str, body: dict) -> dict:
        return self.request("POST", f"/v1/customers/{customer_id}/carts", "creating the Azure plan cart", body=body,
                            ok=(200, 201))[1]

    def checkout(self, customer_id: str, cart_id: str) -> dict:
        return self.request("POST", f"/v1/customers/{customer_id}/carts/{cart_id}/checkout", "checking out the Azure plan cart",
                            ok=(200, 201))[1]

    # customer users
    def users(self, customer_id: str) -> list:
        return self.items(f"/v1/customers/{customer_id}/users", "listing the customer's users", params={"size": "500"})

    def create_user(self, customer_id: str, body: dict) -> dict:
        return self.request("POST", f"/v1/customers/{customer_id}/users", f"creating user {body['userPrincipalName']}",
                            body=body, ok=(200, 201))[1]

    def delete_user(self, customer_id: str, user_id: str, upn: str) -> None:
        self.request("DELETE", f"/v1/customers/{customer_id}/users/{user_id}", f"deleting user {upn}", ok=(200, 204),
                     missing_ok=True)


# ---------------------------------------------------------------------------------------------------------------------
# Validation (pure; each returns a list of problems naming the bad value and the valid choices)
# ---------------------------------------------------------------------------------------------------------------------
def validate_customer_domain(domain) -> list:
    """The customer's initial domain: ``<prefix>.onmicrosoft.com``, prefix of letters and digits, at most 27."""
    value = (domain or "").strip()
    if not value:
        return ["domain is required (the customer's <prefix>.onmicrosoft.com domain)"]
    if not value.lower().endswith(".onmicrosoft.com"):
        return [f"domain {value!r} must be the customer's initial domain, <prefix>.onmicrosoft.com"]
    prefix = value[:-len(".onmicrosoft.com")]
    if not DOMAIN_PREFIX_RE.match(prefix):
        return [f"domain {value!r}: the prefix {prefix!r} must be 1 to 27 letters or digits (no dots, hyphens or spaces)"]
    return []


def validate_email(name: str, value) -> list:
    if not value or not EMAIL_RE.match(str(value)):
        return [f"{name} {value!r} is not an e-mail address"]
    return []


def validate_billing_profile(profile: dict, rules: dict | None = None) -> list:
    """Company/billing profile: names, e-mail, address fields, and country/culture/language consistency.

    ``rules`` is Partner Center's country validation rules (``supportedCulturesList``, ``supportedLanguagesList``,
    ``isStateRequired``, ``supportedStatesList``, ``isPostalCodeRequired``, ``postalCodeRegex``); without it the
    built-in :data:`COUNTRY_RULES` table is used.
    """
    problems = []
    profile = profile or {}
    company = profile.get("company_name") or ""
    if not company.strip():
        problems.append("company_name is required")
    elif len(company) > COMPANY_NAME_MAX:
        problems.append(f"company_name is {len(company)} characters; Partner Center allows at most {COMPANY_NAME_MAX}")
    problems += validate_email("email", profile.get("email"))
    for field in ("first_name", "last_name"):
        if not (profile.get(field) or "").strip():
            problems.append(f"{field} is required (the billing contact)")
    address = profile.get("address") or {}
    for field in ("address_line1", "city", "country"):
        if not (address.get(field) or "").strip():
            problems.append(f"address.{field} is required")
    country = (address.get("country") or "").upper()
    culture, language = profile.get("culture") or "", profile.get("language") or ""
    if rules:
        cultures = rules.get("supportedCulturesList") or []
        languages = rules.get("supportedLanguagesList") or []
        state_required = bool(rules.get("isStateRequired"))
        states = rules.get("supportedStatesList") or []
        postal_regex = rules.get("postalCodeRegex") if rules.get("isPostalCodeRequired") else None
    elif country in COUNTRY_RULES:
        cultures, languages = COUNTRY_RULES[country]
        state_required, states, postal_regex = False, [], None
    else:
        if country:
            problems.append(f"address.country {country!r} is not one of the countries known offline "
                            f"({', '.join(sorted(COUNTRY_RULES))}); Partner Center's rules decide when connected")
        cultures, languages, state_required, states, postal_regex = [], [], False, [], None
    if cultures and culture.lower() not in [c.lower() for c in cultures]:
        problems.append(f"culture {culture!r} does not match country {country}: use one of {', '.join(cultures)}")
    if languages and language.lower() not in [lang.lower() for lang in languages]:
        problems.append(f"language {language!r} does not match country {country}: use one of {', '.join(languages)}")
    if culture and language and culture.split("-")[0].lower() != language.lower():
        problems.append(f"language {language!r} and culture {culture!r} disagree (culture {culture} is language "
                        f"{culture.split('-')[0]})")
    region = address.get("region") or ""
    if state_required and not region:
        problems.append(f"address.region (state) is required in country {country}")
    if region and states and region.upper() not in [s.upper() for s in states]:
        problems.append(f"address.region {region!r} is not a state of {country}: use one of {', '.join(states)}")
    postal = address.get("postal_code") or ""
    if postal_regex and not re.match(postal_regex, postal):
        problems.append(f"address.postal_code {postal!r} is not a postal code of {country}")
    return problems


def validate_mca_acceptance(acceptance: dict) -> list:
    """The tenant signer's acceptance of the Microsoft Customer Agreement (name, e-mail, date)."""
    acceptance = acceptance or {}
    problems = []
    for field in ("first_name", "last_name"):
        if not (acceptance.get(field) or "").strip():
            problems.append(f"mca_acceptance.{field} is required (the customer's signer)")
    problems += validate_email("mca_acceptance.email", acceptance.get("email"))
    date = acceptance.get("date")
    try:
        parsed = datetime.date.fromisoformat(str(date))
        if parsed > datetime.date.today() + datetime.timedelta(days=1):
            problems.append(f"mca_acceptance.date {date!r} is in the future")
    except ValueError:
        problems.append(f"mca_acceptance.date {date!r} is not a date (YYYY-MM-DD)")
    return problems


def validate_subscription_display_name(name) -> list:
    value = name or ""
    if not value.strip():
        return ["display_name (the Azure subscription's name) is required"]
    problems = []
    if len(value) > SUBSCRIPTION_DISPLAY_NAME_MAX:
        problems.append(f"display_name {value!r} is {len(value)} characters; Azure allows at most {SUBSCRIPTION_DISPLAY_NAME_MAX}")
    bad = sorted(SUBSCRIPTION_NAME_FORBIDDEN & set(value))
    if bad:
        problems.append(f"display_name {value!r} contains {''.join(bad)!r}, which Azure does not allow in subscription names")
    return problems


def validate_user_principal_names(users: list, domain: str | None = None) -> list:
    problems, seen = [], set()
    for index, user in enumerate(users or []):
        upn = user.get("user_principal_name") or ""
        if not UPN_RE.match(upn):
            problems.append(f"users[{index}].user_principal_name {upn!r} is not a user principal name (name@domain)")
            continue
        if domain and not upn.lower().endswith("@" + domain.lower()):
            problems.append(f"users[{index}].user_principal_name {upn!r} is not in the customer's domain {domain}")
        if upn.lower() in seen:
            problems.append(f"users[{index}].user_principal_name {upn!r} is listed more than once")
        seen.add(upn.lower())
        if not (user.get("display_name") or "").strip():
            problems.append(f"users[{index}].display_name is required")
    return problems


def billing_scope(billing_account: str, customer_id: str) -> str:
    return f"/billingAccounts/{billing_account}/customers/{customer_id}"


BILLING_SCOPE_RE = re.compile(r"^/billingAccounts/[^/]+/customers/[0-9a-fA-F-]{36}$")


def validate_billing_scope(scope) -> list:
    if not scope or not BILLING_SCOPE_RE.match(scope):
        return [f"billing scope {scope!r} is not a Microsoft Partner Agreement customer scope "
                "(/billingAccounts/<MPA billing account>/customers/<customer tenant id>)"]
    return []


# ---------------------------------------------------------------------------------------------------------------------
# Requests and planning (pure)
# ---------------------------------------------------------------------------------------------------------------------
def address_body(profile: dict) -> dict:
    address = profile.get("address") or {}
    return {"addressLine1": address.get("address_line1"), "addressLine2": address.get("address_line2") or None,
            "city": address.get("city"), "state": address.get("region") or None, "postalCode": address.get("postal_code"),
            "country": (address.get("country") or "").upper()}


def customer_body(domain: str, profile: dict) -> dict:
    """The Customer resource of ``POST /v1/customers``."""
    address = dict(address_body(profile), region=(profile.get("address") or {}).get("region") or None,
                   firstName=profile.get("first_name"), lastName=profile.get("last_name"),
                   phoneNumber=profile.get("phone_number") or None)
    address.pop("state", None)
    return {
        "companyProfile": {"domain": domain, "companyName": profile["company_name"]},
        "billingProfile": {"culture": profile["culture"], "email": profile["email"], "language": profile["language"],
                           "companyName": profile["company_name"], "firstName": profile.get("first_name"),
                           "lastName": profile.get("last_name"), "defaultAddress": address},
    }


def address_problem(validation: dict, address: dict) -> str | None:
    """None when Partner Center verified the address, else a message with its suggested address."""
    status = (validation or {}).get("status") or ""
    if status in ("Verified", "VerifiedShippable", "VerifiedAddressCorrected"):
        return None
    suggestions = validation.get("suggestedAddresses") or []
    shown = "; ".join(", ".join(str(s.get(k)) for k in ("addressLine1", "city", "state", "postalCode", "country") if s.get(k))
                      for s in suggestions) or "none"
    message = validation.get("validationMessage") or status or "not verified"
    given = ", ".join(str(v) for v in (address.get("addressLine1"), address.get("city"), address.get("state"),
                                       address.get("postalCode"), address.get("country")) if v)
    return f"Partner Center did not verify the billing address ({given}): {message} (status {status}); suggested: {shown}"


def customer_view(customer: dict) -> dict:
    company = customer.get("companyProfile") or {}
    return {"id": customer.get("id"), "tenant_id": company.get("tenantId") or customer.get("id"),
            "domain": company.get("domain"), "company_name": company.get("companyName"),
            "relationship": customer.get("relationshipToPartner")}


def mca_body(acceptance: dict, template_id: str) -> dict:
    return {"primaryContact": {"firstName": acceptance["first_name"], "lastName": acceptance["last_name"],
                               "email": acceptance["email"], "phoneNumber": acceptance.get("phone_number") or None},
            "templateId": template_id, "dateAgreed": f"{acceptance['date']}T00:00:00Z", "type": MCA_AGREEMENT_TYPE}


def azure_plan_subscription(subscriptions: list):
    """The customer's Azure plan subscription (active or being provisioned), or None."""
    plans = [s for s in subscriptions or [] if str(s.get("offerId") or "").upper().startswith(AZURE_PLAN_OFFER)
             and str(s.get("status") or "").lower() not in ("deleted", "expired")]
    return plans[0] if plans else None


def azure_plan_order(orders: list):
    """An order of the Azure plan already placed (the plan subscription may take up to 15 minutes to appear)."""
    for order in orders or []:
        if str(order.get("status") or "").lower() == "cancelled":
            continue
        for item in order.get("lineItems") or []:
            if str(item.get("offerId") or "").upper().startswith(AZURE_PLAN_OFFER):
                return order
    return None


def cart_body(catalog_item_id: str, friendly_name: str) -> dict:
    return {"lineItems": [{"id": 0, "catalogItemId": catalog_item_id, "quantity": 1, "billingCycle": "one_time",
                           "friendlyName": friendly_name}]}


def plan_users(state: str, desired: list, current: list, created: dict) -> list:
    """Changes for the tenant users. ``current``: Partner Center users; ``created``: upn -> record of the users this
    collection created (the secrets file). ``absent`` removes only users in ``created``."""
    by_upn = {(u.get("userPrincipalName") or "").lower(): u for u in current or []}
    changes = []
    for user in desired:
        upn = user["user_principal_name"]
        found = by_upn.get(upn.lower())
        if state == "present":
            if found is None:
                changes.append({"action": "create", "user_principal_name": upn})
        elif found is not None:
            if upn.lower() in {k.lower() for k in created}:
                changes.append({"action": "delete", "user_principal_name": upn, "id": found.get("id")})
            else:
                changes.append({"action": "keep", "user_principal_name": upn, "id": found.get("id"),
                                "reason": "not created by tenantdr.asr (not in the secrets file); left alone"})
    return changes


def user_body(user: dict, password: str) -> dict:
    first, _sep, last = (user.get("display_name") or "").partition(" ")
    return {"userPrincipalName": user["user_principal_name"], "displayName": user["display_name"],
            "firstName": user.get("first_name") or first or user["display_name"], "lastName": user.get("last_name") or last or "-",
            "usageLocation": (user.get("usage_location") or "US").upper(),
            "passwordProfile": {"password": password, "forceChangePassword": True}}


def new_password(length: int = 20) -> str:
    """An initial password meeting Entra ID's complexity rules (upper, lower, digit, symbol)."""
    import secrets  # pylint: disable=import-outside-toplevel
    import string  # pylint: disable=import-outside-toplevel
    alphabet = string.ascii_letters + string.digits + "!#%+-=?@_"
    while True:
        value = "".join(secrets.choice(alphabet) for _index in range(length))
        if (any(c.islower() for c in value) and any(c.isupper() for c in value) and any(c.isdigit() for c in value)
                and any(not c.isalnum() for c in value)):
            return value


# ---------------------------------------------------------------------------------------------------------------------
# The 0600 secrets file
# ---------------------------------------------------------------------------------------------------------------------
def read_secrets(path: str) -> dict:
    if not path or not os.path.exists(path):
        return {}
    with open(path, encoding="utf-8") as handle:
        try:
            return json.load(handle)
        except ValueError as exc:
            raise AzureApiError(f"secrets file {path} is not JSON: {exc}; fix or move it away", code="InvalidSecretsFile") from exc


def write_secrets(path: str, update) -> None:
    """Merge ``update(data)`` into the JSON secrets file, written atomically with mode 0600 (directory created 0700)."""
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, mode=0o700, exist_ok=True)
    data = read_secrets(path)
    update(data)
    fd, tmp = tempfile.mkstemp(prefix=".secrets-", dir=directory)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=2, sort_keys=True)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    os.chmod(path, 0o600)
