# -*- coding: utf-8 -*-
# Copyright: tenantdr.asr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Connection, authentication and error handling shared by the tenantdr.asr Azure modules.

* :func:`azure_argument_spec` - the connection options (documented in ``doc_fragments/azure.py``), with the
  environment variables AWX/AAP's "Microsoft Azure Resource Manager" credential injects as fallbacks.
* :func:`validate_connection` - checks the options before anything touches the network.
* :class:`AzureSession` - resolves the cloud (built-in name or an ARM metadata URL), builds the azure-identity
  credential and hands out the three management clients, all pointed at the same ARM endpoint and token scope.
* :class:`AzureApiError` / :func:`api_error` - every Azure SDK exception becomes one message with the Azure error
  code and HTTP status instead of a traceback.

The Azure SDKs are optional imports: modules call :func:`require_azure` to fail with ``missing_required_lib``.
"""
from __future__ import annotations

import json
import re
import shutil
import time
import traceback

from ansible.module_utils.basic import env_fallback, missing_required_lib

AZURE_IMPORT_ERROR = None
try:
    from azure.core import PipelineClient
    from azure.core.exceptions import AzureError, ClientAuthenticationError, ServiceRequestError
    from azure.core.rest import HttpRequest
    from azure.core import AzureClouds
    from azure.identity import (
        AzureAuthorityHosts,
        AzureCliCredential,
        CertificateCredential,
        ChainedTokenCredential,
        ClientSecretCredential,
        ManagedIdentityCredential,
        UsernamePasswordCredential,
    )
    from azure.mgmt.core.tools import get_arm_endpoints
    from azure.mgmt.authorization import AuthorizationManagementClient
    from azure.mgmt.recoveryservices import RecoveryServicesClient
    try:
        # azure-mgmt-resource >= 24 moved the client; 26.0.0 removed the old import path.
        from azure.mgmt.resource.resources import ResourceManagementClient
    except ImportError:  # pragma: no cover - older azure-mgmt-resource
        from azure.mgmt.resource import ResourceManagementClient
except ImportError:
    AZURE_IMPORT_ERROR = traceback.format_exc()
    AzureError = ClientAuthenticationError = ServiceRequestError = Exception

SITE_RECOVERY_IMPORT_ERROR = None
try:  # only the Site Recovery modules need it (module_utils/azure_site_recovery.py checks this)
    from azure.mgmt.recoveryservicessiterecovery import SiteRecoveryManagementClient
except ImportError:
    SITE_RECOVERY_IMPORT_ERROR = traceback.format_exc()

AZURE_REQUIREMENTS = "azure-identity, azure-mgmt-resource, azure-mgmt-recoveryservices and azure-mgmt-authorization"


def _cloud_table() -> dict:
    """ARM endpoint, Entra ID authority and ARM token scope per built-in cloud, from the SDKs themselves:
    azure-mgmt-core's ``tools.get_arm_endpoints`` (ARM endpoint and scope) and azure-identity's ``AzureAuthorityHosts``.
    Our own part is only the mapping to the names AWX and the Azure CLI use (``AzureCloud``...), which the SDKs lack."""
    if AZURE_IMPORT_ERROR is not None:
        return {}
    table = {}
    for name, sdk_cloud, authority in (("AzureCloud", AzureClouds.AZURE_PUBLIC_CLOUD, AzureAuthorityHosts.AZURE_PUBLIC_CLOUD),
                                       ("AzureUSGovernment", AzureClouds.AZURE_US_GOVERNMENT, AzureAuthorityHosts.AZURE_GOVERNMENT),
                                       ("AzureChinaCloud", AzureClouds.AZURE_CHINA_CLOUD, AzureAuthorityHosts.AZURE_CHINA)):
        endpoints = get_arm_endpoints(sdk_cloud)
        table[name] = {"resource_manager": endpoints["resource_manager"], "authority": "https://" + authority,
                       "scope": endpoints["credential_scopes"][0]}
    return table


AZURE_CLOUDS = _cloud_table()
BUILTIN_CLOUD_NAMES = ("AzureCloud", "AzureUSGovernment", "AzureChinaCloud")
# Other spellings in use (azure-core's AzureClouds enum, PowerShell environment names).
CLOUD_ALIASES = {
    "azurecloud": "AzureCloud", "azure_public_cloud": "AzureCloud", "azurepubliccloud": "AzureCloud",
    "azureusgovernment": "AzureUSGovernment", "azure_us_government": "AzureUSGovernment",
    "azureusgovernmentcloud": "AzureUSGovernment",
    "azurechinacloud": "AzureChinaCloud", "azure_china_cloud": "AzureChinaCloud",
}
KNOWN_AUTHORITY_HOSTS = ("login.microsoftonline.com", "login.microsoftonline.us", "login.chinacloudapi.cn",
                         "login.windows.net", "login.partner.microsoftonline.cn")
METADATA_API_VERSION = "2022-09-01"
AUTH_SOURCES = ["auto", "service_principal", "env", "cli", "msi"]
# Public client id of the Azure CLI, which azure.azcollection also uses for user name/password sign-in.
AZURE_CLI_CLIENT_ID = "04b07795-8ddb-461a-bbee-02f9e1bf7b46"
GUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def azure_argument_spec() -> dict:
    """Connection options of every Azure module of the collection."""
    return dict(
        subscription_id=dict(type="str", fallback=(env_fallback, ["AZURE_SUBSCRIPTION_ID"])),
        auth_source=dict(type="str", default="auto", choices=AUTH_SOURCES,
                         fallback=(env_fallback, ["ANSIBLE_AZURE_AUTH_SOURCE"])),
        client_id=dict(type="str", fallback=(env_fallback, ["AZURE_CLIENT_ID"])),
        secret=dict(type="str", no_log=True, fallback=(env_fallback, ["AZURE_SECRET"])),
        tenant=dict(type="str", fallback=(env_fallback, ["AZURE_TENANT"])),
        certificate_path=dict(type="path", fallback=(env_fallback, ["AZURE_CERTIFICATE_PATH"])),
        certificate_password=dict(type="str", no_log=True, fallback=(env_fallback, ["AZURE_CERTIFICATE_PASSWORD"])),
        ad_user=dict(type="str", fallback=(env_fallback, ["AZURE_AD_USER"])),
        password=dict(type="str", no_log=True, fallback=(env_fallback, ["AZURE_PASSWORD"])),
        cloud_environment=dict(type="str", default="AzureCloud", fallback=(env_fallback, ["AZURE_CLOUD_ENVIRONMENT"])),
        polling_interval=dict(type="float"),
    )


def require_azure(module) -> None:
    if AZURE_IMPORT_ERROR is not None:
        module.fail_json(msg=missing_required_lib(AZURE_REQUIREMENTS), exception=AZURE_IMPORT_ERROR)


def is_guid(value) -> bool:
    return isinstance(value, str) and bool(GUID_RE.match(value))


class AzureApiError(Exception):
    """A failed Azure call, reduced to a message, the Azure error code and the HTTP status."""

    def __init__(self, message: str, code: str | None = None, status: int | None = None, detail: str | None = None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status
        self.detail = detail if detail is not None else message

    def fail_args(self) -> dict:
        """Keyword arguments for ``module.fail_json``."""
        return {"msg": self.message, "error_code": self.code, "status_code": self.status}


def normalize_cloud_name(value: str) -> str | None:
    """Canonical cloud name for a built-in cloud, or None."""
    return CLOUD_ALIASES.get((value or "").strip().lower())


def auth_mode(params: dict, which=shutil.which) -> str:
    """The concrete authentication mode ``auth_source`` resolves to (auto picks the first that applies).

    ``which`` is kept for callers of the earlier signature; the chain finds out itself whether ``az`` is there."""
    del which
    source = params.get("auth_source") or "auto"
    has_sp = bool(params.get("client_id") and params.get("tenant") and (params.get("secret") or params.get("certificate_path")))
    has_user = bool(params.get("ad_user") and params.get("password"))
    if source == "service_principal":
        return "service_principal"
    if source == "env":
        return "user_password" if has_user and not has_sp else "service_principal"
    if source in ("cli", "msi"):
        return source
    if has_sp:
        return "service_principal"
    if has_user:
        return "user_password"
    # Nothing explicit: azure-identity's ChainedTokenCredential tries the Azure CLI profile, then a managed identity.
    return "chain"


def validate_connection(params: dict, which=shutil.which) -> list:
    """Problems with the connection options, found without any network access (empty list = fine)."""
    problems = []
    sub = params.get("subscription_id")
    if not sub:
        problems.append("subscription_id is required (or set the AZURE_SUBSCRIPTION_ID environment variable)")
    elif not is_guid(sub):
        problems.append(f"subscription_id {sub!r} is not a subscription id (a GUID such as 00000000-0000-0000-0000-000000000000)")
    cloud = params.get("cloud_environment") or "AzureCloud"
    if normalize_cloud_name(cloud) is None and not cloud.lower().startswith("https://"):
        problems.append(f"cloud_environment {cloud!r} is not valid: use one of {', '.join(BUILTIN_CLOUD_NAMES)} "
                        "or the https:// URL of an Azure Resource Manager endpoint")
    interval = params.get("polling_interval")
    if interval is not None and interval < 0:
        problems.append(f"polling_interval must be 0 or more seconds, got {interval}")
    mode = auth_mode(params, which)
    if mode == "service_principal":
        missing = [name for name in ("client_id", "tenant") if not params.get(name)]
        if not (params.get("secret") or params.get("certificate_path")):
            missing.append("secret or certificate_path")
        if missing:
            problems.append(f"auth_source={params.get('auth_source')} needs a service principal: missing {', '.join(missing)} "
                            "(or the AZURE_CLIENT_ID, AZURE_TENANT and AZURE_SECRET environment variables)")
        if params.get("secret") and params.get("certificate_path"):
            problems.append("give either secret or certificate_path for the service principal, not both")
        tenant = params.get("tenant")
        if tenant and not (is_guid(tenant) or re.match(r"^[A-Za-z0-9.-]+\.[A-Za-z]{2,}$", tenant)):
            problems.append(f"tenant {tenant!r} is not a tenant id (GUID) or a verified domain name")
    elif mode == "user_password":
        if not (params.get("ad_user") and params.get("password")):
            problems.append("user name/password sign-in needs both ad_user and password (AZURE_AD_USER, AZURE_PASSWORD)")
    if mode in ("msi", "chain") and params.get("client_id") and not is_guid(params["client_id"]):
        problems.append(f"client_id {params['client_id']!r} (user-assigned managed identity) must be a GUID")
    return problems


class Cloud:
    """The endpoints of one Azure cloud."""

    def __init__(self, name: str, resource_manager: str, authority: str, scope: str):
        self.name = name
        self.resource_manager = resource_manager.rstrip("/")
        self.authority = authority.rstrip("/")
        self.scope = scope

    @property
    def custom_authority(self) -> bool:
        host = re.sub(r"^https://", "", self.authority).split("/")[0].lower()
        return host not in KNOWN_AUTHORITY_HOSTS

    def as_dict(self) -> dict:
        return {"name": self.name, "resource_manager": self.resource_manager, "authority": self.authority, "scope": self.scope}


def cloud_from_metadata(url: str, document) -> Cloud:
    """Build a :class:`Cloud` from an ARM ``/metadata/endpoints`` answer (object, or list of clouds for old versions)."""
    candidates = document if isinstance(document, list) else [document]
    wanted = url.rstrip("/").lower()
    chosen = None
    for entry in candidates:
        if isinstance(entry, dict) and str(entry.get("resourceManager", "")).rstrip("/").lower() == wanted:
            chosen = entry
            break
    if chosen is None:
        chosen = candidates[0] if candidates and isinstance(candidates[0], dict) else None
    if not chosen or not chosen.get("resourceManager") or not isinstance(chosen.get("authentication"), dict):
        raise AzureApiError(f"{url}/metadata/endpoints did not return Azure cloud metadata (resourceManager, authentication)",
                            code="InvalidCloudMetadata")
    auth = chosen["authentication"]
    audiences = auth.get("audiences") or [chosen["resourceManager"]]
    scope = audiences[0].rstrip("/") + "/.default"
    return Cloud(chosen.get("name") or url, chosen["resourceManager"], auth.get("loginEndpoint") or "", scope)


def resolve_cloud(value: str) -> Cloud:
    """A built-in cloud by name, or the cloud an ARM endpoint describes at ``{url}/metadata/endpoints``."""
    name = normalize_cloud_name(value or "AzureCloud")
    if name:
        return Cloud(name, **AZURE_CLOUDS[name])
    url = value.rstrip("/")
    client = PipelineClient(base_url=url, retry_total=2, retry_backoff_factor=0.5, connection_timeout=30)
    try:
        response = client.send_request(HttpRequest("GET", url + "/metadata/endpoints", params={"api-version": METADATA_API_VERSION}))
        if response.status_code != 200:
            raise AzureApiError(f"Reading cloud metadata from {url}/metadata/endpoints failed: HTTP {response.status_code}",
                                code="CloudMetadataUnavailable", status=response.status_code)
        document = json.loads(response.text())
    except AzureApiError:
        raise
    except ValueError as exc:
        raise AzureApiError(f"{url}/metadata/endpoints did not return JSON: {exc}", code="InvalidCloudMetadata") from exc
    except AzureError as exc:
        raise api_error(exc, f"reading cloud metadata from {url}") from exc
    finally:
        client.close()
    cloud = cloud_from_metadata(url, document)
    if not cloud.authority.lower().startswith("https://"):
        raise AzureApiError(f"The cloud at {url} names a sign-in endpoint that is not https ({cloud.authority!r})",
                            code="InvalidCloudMetadata")
    return cloud


def build_credential(params: dict, cloud: Cloud, which=shutil.which):
    """The azure-identity credential for the options; returns ``(credential, description)``."""
    mode = auth_mode(params, which)
    identity_options = {"authority": cloud.authority}
    if cloud.custom_authority:
        # MSAL validates unknown authorities against the public cloud's instance discovery unless told not to.
        identity_options["disable_instance_discovery"] = True
    if mode == "service_principal":
        if params.get("certificate_path"):
            credential = CertificateCredential(params["tenant"], params["client_id"], certificate_path=params["certificate_path"],
                                               password=params.get("certificate_password"), **identity_options)
            return credential, f"service principal {params['client_id']} (certificate)"
        credential = ClientSecretCredential(params["tenant"], params["client_id"], params["secret"], **identity_options)
        return credential, f"service principal {params['client_id']} (secret)"
    if mode == "user_password":
        credential = UsernamePasswordCredential(params.get("client_id") or AZURE_CLI_CLIENT_ID, params["ad_user"],
                                                params["password"], tenant_id=params.get("tenant") or "organizations",
                                                **identity_options)
        return credential, f"user {params['ad_user']}"
    if mode == "cli":
        return AzureCliCredential(tenant_id=params.get("tenant") or None), "Azure CLI profile"
    if params.get("client_id"):
        identity = ManagedIdentityCredential(client_id=params["client_id"])
        identity_text = f"user-assigned managed identity {params['client_id']}"
    else:
        identity, identity_text = ManagedIdentityCredential(), "managed identity"
    if mode == "msi":
        return identity, identity_text
    # auth_source=auto without a service principal or user: the library's chain (first credential that yields a token
    # wins; an unavailable one - no az, no identity endpoint - passes to the next). Not DefaultAzureCredential: that
    # also reads AZURE_CLIENT_SECRET/AZURE_TENANT_ID and other variables AWX does not inject, so what signs in would
    # depend on stray environment instead of this module's documented options.
    chain = ChainedTokenCredential(AzureCliCredential(tenant_id=params.get("tenant") or None), identity)
    return chain, f"Azure CLI profile, else {identity_text}"


def error_code_of(exc) -> str | None:
    error = getattr(exc, "error", None)
    code = getattr(error, "code", None)
    if code:
        return code
    response = getattr(exc, "response", None)
    if response is not None:
        try:
            body = json.loads(response.text())
            return (body.get("error") or {}).get("code")
        except (ValueError, AttributeError, TypeError):
            return None
    return None


def api_error(exc, doing: str) -> AzureApiError:
    """Turn an Azure SDK exception into an :class:`AzureApiError` saying what was being done."""
    status = getattr(exc, "status_code", None)
    code = error_code_of(exc)
    error = getattr(exc, "error", None)
    detail = getattr(error, "message", None) or getattr(exc, "message", None) or str(exc)
    detail = str(detail).strip().replace("\r\n", " ").replace("\n", " ")
    what = doing[:1].upper() + doing[1:]
    if isinstance(exc, ClientAuthenticationError) and status is None:
        return AzureApiError(f"{what} failed: authentication to Azure failed: {detail}", code=code or "AuthenticationFailed")
    if isinstance(exc, ServiceRequestError):
        return AzureApiError(f"{what} failed: could not reach Azure: {detail}", code="ServiceRequestError")
    if status is not None:
        return AzureApiError(f"{what} failed: Azure answered HTTP {status} {code or 'error'}: {detail}", code=code, status=status,
                             detail=detail)
    return AzureApiError(f"{what} failed: {detail}", code=code or type(exc).__name__)


class AzureSession:
    """Cloud, credential and lazily created management clients for one module run."""

    def __init__(self, params: dict, which=shutil.which):
        self.params = params
        self.subscription_id = params["subscription_id"]
        self.polling_interval = params.get("polling_interval")
        self.cloud = resolve_cloud(params.get("cloud_environment") or "AzureCloud")
        self.credential, self.auth_description = build_credential(params, self.cloud, which)
        self._clients = {}

    def _client_options(self) -> dict:
        options = {"base_url": self.cloud.resource_manager, "credential_scopes": [self.cloud.scope],
                   "user_agent": "ansible-tenantdr.asr"}
        if self.polling_interval is not None:
            options["polling_interval"] = self.polling_interval
        return options

    def _client(self, key, factory):
        if key not in self._clients:
            self._clients[key] = factory(self.credential, self.subscription_id, **self._client_options())
        return self._clients[key]

    @property
    def resources(self):
        return self._client("resources", ResourceManagementClient)

    @property
    def recovery(self):
        return self._client("recovery", RecoveryServicesClient)

    @property
    def authorization(self):
        return self._client("authorization", AuthorizationManagementClient)

    @property
    def site_recovery(self):
        return self._client("site_recovery", SiteRecoveryManagementClient)

    def call(self, doing: str, func, *args, **kwargs):
        """Run an SDK call, converting Azure exceptions into :class:`AzureApiError`."""
        try:
            return func(*args, **kwargs)
        except AzureError as exc:
            raise api_error(exc, doing) from exc

    def sleep(self, default: float) -> None:
        time.sleep(default if self.polling_interval is None else self.polling_interval)

    def raw_get(self, client, path: str, api_version: str, doing: str) -> dict:
        """GET an ARM path with a client's pipeline (for APIs the installed SDKs do not cover)."""
        try:
            response = client.send_request(HttpRequest("GET", path, params={"api-version": api_version}))
            response.raise_for_status()
            return response.json() if response.text() else {}
        except AzureError as exc:
            raise api_error(exc, doing) from exc

    def close(self) -> None:
        for client in self._clients.values():
            try:
                client.close()
            except Exception:  # pylint: disable=broad-except
                pass
        close = getattr(self.credential, "close", None)
        if close is not None:
            try:
                close()
            except Exception:  # pylint: disable=broad-except
                pass


def resource_group_missing(session: AzureSession, name: str) -> str | None:
    """None when the resource group exists, else Azure's own 404 message (``ResourceGroupNotFound``)."""
    try:
        session.call(f"reading resource group {name}", session.resources.resource_groups.get, name)
    except AzureApiError as exc:
        if exc.status == 404 and exc.code == "ResourceGroupNotFound":
            return exc.detail
        raise
    return None


def to_wire(model) -> dict:
    """A plain JSON-style dict (REST property names) of an SDK model, whichever model generation it is."""
    if model is None:
        return {}
    if isinstance(model, dict):
        return dict(model)
    if hasattr(model, "_attribute_map") and hasattr(model, "serialize"):  # msrest-style models
        return model.serialize(keep_readonly=True)
    as_dict = getattr(model, "as_dict", None)
    if as_dict is not None:
        return as_dict()
    return dict(model)


def enum_value(value):
    """``.value`` of SDK enums (``str(enum)`` gives ``Class.MEMBER`` on new SDKs)."""
    return getattr(value, "value", value)


def ensure_provider_registered(session: AzureSession, namespace: str, timeout: float = 600.0) -> str:
    """Register a resource provider on the subscription and wait until ARM reports it Registered."""
    providers = session.resources.providers
    provider = session.call(f"registering resource provider {namespace}", providers.register, namespace)
    deadline = time.monotonic() + timeout
    state = enum_value(getattr(provider, "registration_state", None))
    while state != "Registered":
        if time.monotonic() > deadline:
            raise AzureApiError(f"Resource provider {namespace} is still {state!r} after {int(timeout)} s; "
                                "registration continues in Azure, re-run later", code="ProviderRegistrationTimeout")
        session.sleep(5.0)
        provider = session.call(f"reading resource provider {namespace}", providers.get, namespace)
        state = enum_value(getattr(provider, "registration_state", None))
    return state
