"""A small, faithful local Azure Resource Manager (ARM) endpoint for the tenantdr.asr Azure modules.

It speaks just enough ARM, Entra ID (token endpoints) and managed-identity protocol for the **unmodified**
azure-mgmt-resource, azure-mgmt-recoveryservices, azure-mgmt-authorization and azure-identity clients:

* ``GET /metadata/endpoints`` (ARM cloud metadata, api-version 2022-09-01 shape) so that modules can be pointed at it
  with ``cloud_environment: https://127.0.0.1:<port>`` exactly like a custom cloud;
* ``GET /msi/token`` (App Service managed-identity protocol, ``IDENTITY_ENDPOINT``/``IDENTITY_HEADER``);
* ``/{tenant}/v2.0/.well-known/openid-configuration`` and ``/{tenant}/oauth2/v2.0/token`` (client credentials with a
  secret or a certificate-signed client assertion);
* resource providers (get/register with a registration delay), resource groups (PUT/GET/HEAD/PATCH/DELETE/list),
  Recovery Services vaults (PUT/PATCH as long-running operations with ``Azure-AsyncOperation``, DELETE with
  ``Location``, GET/list), vault certificates (``certificateCreateOptions`` -> a real PKCS#12 certificate), vault
  extended info, usages, replication usages and replication fabrics, role definitions (built-ins) and role
  assignments at any scope (409 ``RoleAssignmentExists``, ``$filter=principalId eq`` / ``atScope()``);
* ARM error envelopes and status codes: 400 ``MissingApiVersionParameter``, 401 ``AuthenticationFailed`` /
  ``InvalidAuthenticationToken``, 403 ``AuthorizationFailed`` (computed from the role assignments the fake holds),
  404 ``SubscriptionNotFound`` / ``ResourceGroupNotFound`` / ``ResourceNotFound``, 409
  ``MissingSubscriptionRegistration`` / ``InvalidResourceGroupLocation`` / ``QuotaExceeded`` / name conflicts.

Sources: Azure REST API specs (``specification/recoveryservices/.../stable/*/examples``, ``authorization``), the
SDKs' own request builders, and the ARM documentation of common errors. Where the real service's exact status code
or error code is not public, the choice made here is written next to the code ("not verified").

Test-only switches live under ``/_admin/`` (no token needed; the server listens on 127.0.0.1 only).

Run stand-alone: ``python -m tests.arm.server --port 0 --port-file /tmp/arm.port --state-dir /tmp/arm``.
"""
from __future__ import annotations

import argparse
import base64
import datetime
import http.server
import json
import os
import re
import secrets
import ssl
import sys
import tempfile
import threading
import time
import uuid
from urllib.parse import parse_qs, unquote, urlsplit

try:  # package import (tests) or script-style import (python tests/arm/server.py)
    from tests.arm import tls
except ImportError:  # pragma: no cover
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    from tests.arm import tls

RS = "Microsoft.RecoveryServices"
BUILTIN_ROLES = {
    # name -> GUID, from the Azure built-in roles reference (learn.microsoft.com/azure/role-based-access-control/built-in-roles)
    "Owner": "8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
    "Contributor": "b24988ac-6180-42a0-ab88-20f7382dd24c",
    "Reader": "acdd72a7-3385-48ef-bd42-f606fba81ae7",
    "User Access Administrator": "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9",
    "Site Recovery Contributor": "6670b86e-a3f7-4917-ac9b-5d6ab1be4567",
    "Site Recovery Operator": "494ae006-db33-4328-bf46-533a6560a3ca",
    "Site Recovery Reader": "dbaa88c4-0c30-4179-9fb3-46319faa6149",
}
ROLE_NAMES = {guid: name for name, guid in BUILTIN_ROLES.items()}
PRINCIPAL_TYPES = ("User", "Group", "ServicePrincipal", "ForeignGroup", "Device")
# A subset of the regions Microsoft.RecoveryServices/vaults is offered in (display names, as the provider lists them).
VAULT_LOCATIONS = (
    "West Europe", "North Europe", "East US", "East US 2", "West US", "West US 2", "West US 3", "Central US",
    "South Central US", "North Central US", "UK South", "UK West", "France Central", "Germany West Central",
    "Switzerland North", "Sweden Central", "Norway East", "Australia East", "Japan East", "Southeast Asia",
    "Canada Central", "Brazil South", "Central India", "Korea Central",
)
GUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)
RG_NAME_RE = re.compile(r"^[-\w._()]{1,90}$")
VAULT_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9-]{1,49}$")


def norm_location(value: str) -> str:
    return (value or "").replace(" ", "").lower()


def utcnow() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


def iso(value: datetime.datetime) -> str:
    return value.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class ArmError(Exception):
    """An ARM error response: ``{"error": {"code", "message"}}`` with an HTTP status."""

    def __init__(self, status: int, code: str, message: str, headers: dict | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


class AadError(Exception):
    """An Entra ID (OAuth2) error response: ``{"error", "error_description", "error_codes"}``."""

    def __init__(self, status: int, error: str, description: str):
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description


class Response:
    def __init__(self, status: int, body=None, headers: dict | None = None):
        self.status = status
        self.body = body
        self.headers = headers or {}


class FakeArm:
    """The state of the fake: directory (tenant, principals), subscriptions and everything in them."""

    def __init__(self, lro_polls: int = 1, registration_polls: int = 1, retry_after: int | None = None):
        self.lock = threading.RLock()
        self.base_url = ""
        self.tenant_id = str(uuid.uuid4())
        self.lro_polls = lro_polls
        self.registration_polls = registration_polls
        self.retry_after = retry_after
        self.identity_header = secrets.token_hex(16)
        self.msi = {"client_id": str(uuid.uuid4()), "object_id": str(uuid.uuid4())}
        self.user_assigned = {}          # client_id -> object_id
        self.service_principals = {}     # client_id -> {"object_id", "secret", "certificate_pem"}
        self.directory = set()           # object ids known to the directory (empty = accept every principal)
        self.tokens = {}                 # access token -> {"oid", "expires"}
        self.subscriptions = {}          # sub_lower -> dict
        self.operations = {}             # op id -> dict
        self.reserved_vault_names = set()
        self.racing_role_assignment_puts = 0  # next N role assignment PUTs lose a race against another writer
        self.vault_service_principal = {"client_id": str(uuid.uuid4()), "object_id": str(uuid.uuid4())}
        self.log = []
        self.default_subscription = self.add_subscription(str(uuid.uuid4()), rp_registered=True)

    # ------------------------------------------------------------------ directory and subscriptions
    def add_subscription(self, subscription_id: str, rp_registered: bool = True, grant_owner: bool = True,
                         vault_quota: int | None = None) -> str:
        with self.lock:
            sub = {
                "id": subscription_id,
                "providers": {
                    "microsoft.resources": "Registered",
                    "microsoft.authorization": "Registered",
                    RS.lower(): "Registered" if rp_registered else "NotRegistered",
                },
                "registration_polls_left": {},
                "resource_groups": {},
                "vaults": {},
                "role_assignments": {},
                "vault_quota": vault_quota,
            }
            self.subscriptions[subscription_id.lower()] = sub
            if grant_owner:
                for oid in self.caller_object_ids():
                    self._seed_assignment(sub, f"/subscriptions/{subscription_id}", "Owner", oid)
        return subscription_id

    def caller_object_ids(self) -> list:
        return [self.msi["object_id"]] + [sp["object_id"] for sp in self.service_principals.values()]

    def _seed_assignment(self, sub: dict, scope: str, role: str, oid: str) -> None:
        name = str(uuid.uuid4())
        sub["role_assignments"][name] = self._assignment_record(sub["id"], scope, name, BUILTIN_ROLES[role], oid,
                                                                "ServicePrincipal", "system")

    def add_service_principal(self, client_id: str | None = None, secret: str | None = None,
                              certificate_pem: str | None = None, role: str | None = "Owner") -> dict:
        with self.lock:
            client_id = client_id or str(uuid.uuid4())
            sp = {"client_id": client_id, "object_id": str(uuid.uuid4()), "secret": secret,
                  "certificate_pem": certificate_pem.encode() if certificate_pem else None}
            self.service_principals[client_id.lower()] = sp
            if role:
                for sub in self.subscriptions.values():
                    self._seed_assignment(sub, f"/subscriptions/{sub['id']}", role, sp["object_id"])
            return {"client_id": client_id, "object_id": sp["object_id"], "tenant_id": self.tenant_id}

    def add_user_assigned_identity(self) -> dict:
        with self.lock:
            client_id, object_id = str(uuid.uuid4()), str(uuid.uuid4())
            self.user_assigned[client_id] = object_id
            return {"client_id": client_id, "object_id": object_id}

    def set_access(self, object_id: str, role: str | None, subscription_id: str | None = None, scope: str | None = None) -> None:
        """Replace the fake-seeded assignments of ``object_id`` in a subscription by one ``role`` at ``scope``."""
        with self.lock:
            sub = self._subscription(subscription_id or self.default_subscription)
            for name in [n for n, ra in sub["role_assignments"].items()
                         if ra["principal_id"].lower() == object_id.lower() and ra["created_by"] == "system"]:
                del sub["role_assignments"][name]
            if role:
                self._seed_assignment(sub, scope or f"/subscriptions/{sub['id']}", role, object_id)

    def issue_token(self, object_id: str, lifetime: int = 3600) -> dict:
        token = "fakearm." + secrets.token_urlsafe(24)
        expires = int(time.time()) + lifetime
        with self.lock:
            self.tokens[token] = {"oid": object_id, "expires": expires}
        return {"access_token": token, "expires_on": expires, "expires_in": lifetime}

    def _subscription(self, subscription_id: str) -> dict:
        sub = self.subscriptions.get(subscription_id.lower())
        if sub is None:
            raise ArmError(404, "SubscriptionNotFound", f"The subscription '{subscription_id}' could not be found.")
        return sub

    # ------------------------------------------------------------------ authorization
    def authorize(self, oid: str, sub: dict, scope: str, action: str) -> None:
        scope_l = scope.lower().rstrip("/")
        for ra in sub["role_assignments"].values():
            if ra["principal_id"].lower() != oid.lower():
                continue
            ra_scope = ra["scope"].lower().rstrip("/")
            if scope_l == ra_scope or scope_l.startswith(ra_scope + "/"):
                if role_allows(ra["role_guid"], action):
                    return
        raise ArmError(403, "AuthorizationFailed",
                       f"The client '{oid}' with object id '{oid}' does not have authorization to perform action "
                       f"'{action}' over scope '{scope}' or the scope is invalid. If access was recently granted, "
                       "please refresh your credentials.")

    # ------------------------------------------------------------------ long-running operations
    def new_operation(self, finish, polls: int | None = None) -> str:
        op_id = str(uuid.uuid4())
        self.operations[op_id] = {"polls_left": self.lro_polls if polls is None else polls, "finish": finish,
                                  "status": "InProgress", "start": utcnow(), "error": None}
        return op_id

    def poll_operation(self, op_id: str) -> dict:
        op = self.operations.get(op_id)
        if op is None:
            raise ArmError(404, "OperationNotFound", f"The operation '{op_id}' was not found.")
        if op["status"] == "InProgress":
            if op["polls_left"] > 0:
                op["polls_left"] -= 1
            else:
                try:
                    op["finish"]()
                    op["status"] = "Succeeded"
                except ArmError as exc:
                    op["status"] = "Failed"
                    op["error"] = {"code": exc.code, "message": exc.message}
                op["end"] = utcnow()
        return op

    def lro_headers(self, location: str | None = None, async_operation: str | None = None) -> dict:
        headers = {}
        if location:
            headers["Location"] = location
        if async_operation:
            headers["Azure-AsyncOperation"] = async_operation
        if self.retry_after is not None:
            headers["Retry-After"] = str(self.retry_after)
        return headers

    # ------------------------------------------------------------------ records
    def _assignment_record(self, sub_id, scope, name, role_guid, principal_id, principal_type, created_by,
                           description=None):
        now = iso(utcnow())
        return {"scope": scope, "name": name, "role_guid": role_guid.lower(), "principal_id": principal_id,
                "principal_type": principal_type, "created_by": created_by, "created": now, "description": description,
                "role_definition_id": f"/subscriptions/{sub_id}/providers/Microsoft.Authorization/roleDefinitions/{role_guid.lower()}"}


def role_allows(role_guid: str, action: str) -> bool:
    """Built-in role semantics, reduced to what the fake needs."""
    action = action.lower()
    is_read = action.endswith("/read")
    role = ROLE_NAMES.get(role_guid.lower(), "")
    if role == "Owner":
        return True
    if role == "Contributor":
        return is_read or not action.startswith("microsoft.authorization/")
    if role == "User Access Administrator":
        return is_read or action.startswith("microsoft.authorization/")
    return is_read


def assignment_json(ra: dict) -> dict:
    return {
        "id": f"{ra['scope']}/providers/Microsoft.Authorization/roleAssignments/{ra['name']}",
        "name": ra["name"],
        "type": "Microsoft.Authorization/roleAssignments",
        "properties": {
            "roleDefinitionId": ra["role_definition_id"],
            "principalId": ra["principal_id"],
            "principalType": ra["principal_type"],
            "scope": ra["scope"],
            "condition": None,
            "conditionVersion": None,
            "createdOn": ra["created"],
            "updatedOn": ra["created"],
            "createdBy": ra["created_by"],
            "updatedBy": ra["created_by"],
            "delegatedManagedIdentityResourceId": None,
            "description": ra["description"],
        },
    }


# ---------------------------------------------------------------------------------------------------------------------
# Request routing
# ---------------------------------------------------------------------------------------------------------------------
SUB = r"/subscriptions/(?P<sub>[^/]+)"
RG = SUB + r"/resourcegroups/(?P<rg>[^/]+)"
VAULT = RG + r"/providers/microsoft\.recoveryservices/vaults/(?P<vault>[^/]+)"
SCOPE = r"(?P<scope>/subscriptions/[^/]+(?:/resourcegroups/[^/]+(?:/providers/[^/]+/[^/]+/[^/]+)?)?)?"

ROUTES = []


def route(methods: str, pattern: str, arm: bool = True):
    regex = re.compile("^" + pattern + "$", re.IGNORECASE)

    def decorator(func):
        ROUTES.append((set(methods.split()), regex, arm, func))
        return func
    return decorator


class Request:
    def __init__(self, method, path, query, headers, body, arm_state: FakeArm):
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.raw_body = body
        self.fake = arm_state
        self.oid = None

    def json(self):
        if not self.raw_body:
            return {}
        try:
            data = json.loads(self.raw_body)
        except ValueError as exc:
            raise ArmError(400, "InvalidRequestContent", f"The request content was invalid and could not be deserialized: {exc}") from exc
        if not isinstance(data, dict):
            raise ArmError(400, "InvalidRequestContent", "The request content must be a JSON object.")
        return data

    def form(self) -> dict:
        return {k: v[-1] for k, v in parse_qs(self.raw_body.decode("utf-8", "replace")).items()}

    def authorize(self, sub: dict, scope: str, action: str) -> None:
        self.fake.authorize(self.oid, sub, scope, action)


# ------------------------------------------------------------------ metadata and identity endpoints
@route("GET", r"/metadata/endpoints", arm=False)
def metadata_endpoints(req: Request, **_):
    base = req.fake.base_url
    return Response(200, {
        "name": "LocalArm",
        "portal": base,
        "resourceManager": base + "/",
        "authentication": {"loginEndpoint": base + "/", "audiences": [base + "/"], "tenant": "common",
                           "identityProvider": "AAD"},
        "graph": base + "/graph/",
        "graphAudience": base + "/graph/",
        "microsoftGraphResourceId": base + "/graph/",
        "activeDirectoryDataLake": "",
        "sqlManagement": "",
        "suffixes": {"storage": "core.local", "keyVaultDns": "vault.local", "sqlServerHostname": "database.local"},
    })


@route("GET", r"/msi/token", arm=False)
def msi_token(req: Request, **_):
    fake = req.fake
    if req.headers.get("x-identity-header") != fake.identity_header:
        # App Service answers a missing/wrong X-IDENTITY-HEADER with 400/401; azure-identity reports either.
        return Response(401, {"statusCode": 401, "message": "Unauthorized: X-IDENTITY-HEADER is missing or wrong."})
    resource = req.query.get("resource")
    if not resource:
        return Response(400, {"error": "invalid_request", "error_description": "Required query parameter 'resource' is missing."})
    client_id = req.query.get("client_id")
    if client_id:
        oid = fake.user_assigned.get(client_id)
        if oid is None:
            return Response(400, {"error": "invalid_request",
                                  "error_description": f"Identity not found: no user-assigned identity with client id {client_id}."})
    else:
        client_id, oid = fake.msi["client_id"], fake.msi["object_id"]
    tok = fake.issue_token(oid)
    return Response(200, {"access_token": tok["access_token"], "expires_on": str(tok["expires_on"]), "resource": resource,
                          "token_type": "Bearer", "client_id": client_id})


@route("GET", r"/(?P<tenant>[^/]+)/v2\.0/\.well-known/openid-configuration", arm=False)
def openid_configuration(req: Request, tenant: str):
    base = req.fake.base_url
    if tenant.lower() not in (req.fake.tenant_id, "organizations", "common"):
        return Response(400, {"error": "invalid_tenant", "error_description": f"AADSTS90002: Tenant '{tenant}' not found.",
                              "error_codes": [90002]})
    return Response(200, {
        "issuer": f"{base}/{req.fake.tenant_id}/v2.0",
        "authorization_endpoint": f"{base}/{tenant}/oauth2/v2.0/authorize",
        "token_endpoint": f"{base}/{tenant}/oauth2/v2.0/token",
        "device_authorization_endpoint": f"{base}/{tenant}/oauth2/v2.0/devicecode",
        "jwks_uri": f"{base}/{tenant}/discovery/v2.0/keys",
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
        "tenant_region_scope": None,
        "cloud_instance_name": "local",
    })


@route("POST", r"/(?P<tenant>[^/]+)/oauth2/v2\.0/token", arm=False)
def oauth_token(req: Request, tenant: str):
    fake = req.fake
    form = req.form()
    if tenant.lower() != fake.tenant_id:
        raise AadError(400, "invalid_request", f"AADSTS90002: Tenant '{tenant}' not found. Check to make sure you have the "
                                               "correct tenant ID and are signing into the correct cloud.")
    if form.get("grant_type") != "client_credentials":
        raise AadError(400, "unsupported_grant_type", "AADSTS70003: The app requested an unsupported grant type.")
    client_id = form.get("client_id", "")
    sp = fake.service_principals.get(client_id.lower())
    if sp is None:
        raise AadError(400, "unauthorized_client", f"AADSTS700016: Application with identifier '{client_id}' was not found "
                                                   f"in the directory '{tenant}'.")
    if "client_secret" in form:
        if sp["secret"] is None or not secrets.compare_digest(form["client_secret"], sp["secret"]):
            raise AadError(401, "invalid_client", "AADSTS7000215: Invalid client secret provided. Ensure the secret being "
                                                  "sent in the request is the client secret value, not the client secret ID, "
                                                  f"for a secret added to app '{client_id}'.")
    elif "client_assertion" in form:
        if sp["certificate_pem"] is None:
            raise AadError(401, "invalid_client", "AADSTS700027: No certificate is registered for the application.")
        problem = tls.verify_client_assertion(form["client_assertion"], sp["certificate_pem"], client_id, fake.base_url)
        if problem:
            raise AadError(401, "invalid_client", problem)
    else:
        raise AadError(401, "invalid_client", "AADSTS7000218: The request body must contain the following parameter: "
                                              "'client_assertion' or 'client_secret'.")
    tok = fake.issue_token(sp["object_id"])
    return Response(200, {"token_type": "Bearer", "expires_in": tok["expires_in"], "ext_expires_in": tok["expires_in"],
                          "access_token": tok["access_token"]})


# ------------------------------------------------------------------ resource providers
def provider_json(sub: dict, namespace: str) -> dict:
    ns_l = namespace.lower()
    state = sub["providers"].get(ns_l, "NotRegistered")
    if state == "Registering":
        left = sub["registration_polls_left"].get(ns_l, 0)
        if left <= 0:
            state = sub["providers"][ns_l] = "Registered"
        else:
            sub["registration_polls_left"][ns_l] = left - 1
    canonical = RS if ns_l == RS.lower() else namespace
    types = []
    if ns_l == RS.lower():
        types = [{"resourceType": "vaults", "locations": list(VAULT_LOCATIONS), "apiVersions": ["2026-11-01", "2025-08-01"]}]
    return {"id": f"/subscriptions/{sub['id']}/providers/{canonical}", "namespace": canonical, "registrationState": state,
            "registrationPolicy": "RegistrationRequired", "resourceTypes": types}


@route("GET", SUB + r"/providers/(?P<ns>[^/]+)")
def get_provider(req: Request, sub: str, ns: str):
    s = req.fake._subscription(sub)
    req.authorize(s, f"/subscriptions/{s['id']}", "Microsoft.Resources/subscriptions/providers/read")
    return Response(200, provider_json(s, ns))


@route("POST", SUB + r"/providers/(?P<ns>[^/]+)/register")
def register_provider(req: Request, sub: str, ns: str):
    s = req.fake._subscription(sub)
    req.authorize(s, f"/subscriptions/{s['id']}", f"{ns}/register/action")
    ns_l = ns.lower()
    if ns_l not in (RS.lower(), "microsoft.resources", "microsoft.authorization"):
        raise ArmError(404, "InvalidResourceNamespace", f"The resource namespace '{ns}' is invalid.")
    if s["providers"].get(ns_l) != "Registered":
        s["providers"][ns_l] = "Registering"
        s["registration_polls_left"][ns_l] = req.fake.registration_polls
    return Response(200, provider_json(s, ns))


# ------------------------------------------------------------------ resource groups
def rg_json(sub: dict, rg: dict) -> dict:
    return {"id": f"/subscriptions/{sub['id']}/resourceGroups/{rg['name']}", "name": rg["name"],
            "type": "Microsoft.Resources/resourceGroups", "location": rg["location"], "tags": dict(rg["tags"]),
            "properties": {"provisioningState": rg.get("state", "Succeeded")}}


def get_rg(sub: dict, name: str) -> dict:
    rg = sub["resource_groups"].get(name.lower())
    if rg is None or rg.get("state") == "Deleting":
        raise ArmError(404, "ResourceGroupNotFound", f"Resource group '{name}' could not be found.")
    return rg


@route("GET", SUB + r"/resourcegroups")
def list_rgs(req: Request, sub: str):
    s = req.fake._subscription(sub)
    req.authorize(s, f"/subscriptions/{s['id']}", "Microsoft.Resources/subscriptions/resourceGroups/read")
    return Response(200, {"value": [rg_json(s, rg) for rg in s["resource_groups"].values()]})


@route("GET HEAD PUT PATCH DELETE", RG)
def resource_group(req: Request, sub: str, rg: str):
    fake = req.fake
    s = fake._subscription(sub)
    scope = f"/subscriptions/{s['id']}/resourceGroups/{rg}"
    action = "Microsoft.Resources/subscriptions/resourceGroups/" + {"GET": "read", "HEAD": "read", "DELETE": "delete"}.get(req.method, "write")
    req.authorize(s, scope, action)
    if req.method == "HEAD":
        exists = rg.lower() in s["resource_groups"]
        return Response(204 if exists else 404)
    if req.method == "GET":
        return Response(200, rg_json(s, get_rg(s, rg)))
    if req.method == "PUT":
        body = req.json()
        location = norm_location(body.get("location", ""))
        if not location:
            raise ArmError(400, "LocationRequired", "The location property is required for this definition.")
        if not RG_NAME_RE.match(rg) or rg.endswith("."):
            raise ArmError(400, "InvalidResourceGroup", f"The provided resource group name '{rg}' has these invalid "
                                                        "characters: ... The name can only be a letter, digit, '-', '.', '(', ')' or '_'.")
        existing = s["resource_groups"].get(rg.lower())
        if existing is not None:
            if existing["location"] != location:
                raise ArmError(409, "InvalidResourceGroupLocation",
                               f"Invalid resource group location '{location}'. The Resource group already exists in "
                               f"location '{existing['location']}'.")
            if "tags" in body:
                existing["tags"] = dict(body.get("tags") or {})
            return Response(200, rg_json(s, existing))
        record = {"name": rg, "location": location, "tags": dict(body.get("tags") or {})}
        s["resource_groups"][rg.lower()] = record
        return Response(201, rg_json(s, record))
    if req.method == "PATCH":
        existing = get_rg(s, rg)
        body = req.json()
        if "tags" in body:
            existing["tags"] = dict(body.get("tags") or {})
        return Response(200, rg_json(s, existing))
    # DELETE: 202 + Location, cascading to the vaults in it (a non-empty vault fails the operation, as in Azure).
    existing = s["resource_groups"].get(rg.lower())
    if existing is None:
        return Response(404, {"error": {"code": "ResourceGroupNotFound", "message": f"Resource group '{rg}' could not be found."}})
    existing["state"] = "Deleting"

    def finish():
        for key in [k for k in s["vaults"] if k[0] == rg.lower()]:
            vault_blockers_raise(s["vaults"][key])
            del s["vaults"][key]
        for name in [n for n, ra in s["role_assignments"].items() if ra["scope"].lower().startswith(scope.lower())]:
            del s["role_assignments"][name]
        s["resource_groups"].pop(rg.lower(), None)
    op = fake.new_operation(finish)
    location = f"{fake.base_url}/subscriptions/{s['id']}/operationresults/{op}?api-version={req.query.get('api-version')}"
    return Response(202, None, fake.lro_headers(location=location))


@route("GET", SUB + r"/operationresults/(?P<op>[^/]+)")
def subscription_operation_result(req: Request, sub: str, op: str):
    record = req.fake.poll_operation(op)
    if record["status"] == "InProgress":
        return Response(202, None, req.fake.lro_headers(location=f"{req.fake.base_url}{req.path}?api-version={req.query.get('api-version')}"))
    if record["status"] == "Failed":
        return Response(409, {"error": record["error"]})
    return Response(200, None)


# ------------------------------------------------------------------ Recovery Services vaults
def vault_json(sub: dict, vault: dict) -> dict:
    sku = {"name": vault["sku"]}
    if vault["sku"] == "RS0":
        sku["tier"] = "Standard"
    return {
        "id": f"/subscriptions/{sub['id']}/resourceGroups/{vault['rg']}/providers/{RS}/vaults/{vault['name']}",
        "name": vault["name"],
        "type": f"{RS}/vaults",
        "location": vault["location"],
        "tags": dict(vault["tags"]),
        "etag": vault["etag"],
        "sku": sku,
        "properties": {
            "provisioningState": vault["provisioning_state"],
            "privateEndpointStateForBackup": "None",
            "privateEndpointStateForSiteRecovery": "None",
            "publicNetworkAccess": vault["public_network_access"],
            "redundancySettings": {"standardTierStorageRedundancy": vault["redundancy"], "crossRegionRestore": "Disabled"},
            "backupStorageVersion": "V2",
            "moveState": "Unknown",
            "secureScore": "None",
            "bcdrSecurityLevel": "Poor",
            "securitySettings": {"softDeleteSettings": {"softDeleteState": "Enabled", "softDeleteRetentionPeriodInDays": 14},
                                 "immutabilitySettings": {"state": "Disabled"}},
        },
        "systemData": {"createdAt": vault["created"], "createdBy": vault["created_by"], "createdByType": "Application",
                       "lastModifiedAt": vault["modified"], "lastModifiedBy": vault["created_by"], "lastModifiedByType": "Application"},
    }


def new_etag() -> str:
    return 'W/"datetime\'' + utcnow().strftime("%Y-%m-%dT%H%%3A%M%%3A%S.%fZ") + '\'"'


def get_vault(sub: dict, rg: str, name: str) -> dict:
    get_rg(sub, rg)
    vault = sub["vaults"].get((rg.lower(), name.lower()))
    if vault is None:
        raise ArmError(404, "ResourceNotFound", f"The Resource '{RS}/vaults/{name}' under resource group '{rg}' was not "
                                                "found. For more details please go to https://aka.ms/ARMResourceNotFoundFix")
    return vault


def vault_blockers(vault: dict) -> list:
    """Container names that keep a vault from being deleted (fabrics = registered configuration servers/sites)."""
    contents = vault["contents"]
    names = [f["name"] for f in contents["fabrics"]]
    if contents["backup_items"] or contents["backup_servers"]:
        names.append("backup items/servers")
    if not names and (contents["extra_protected_items"] or contents["recovery_plans"]):
        names.append("replication items")
    return names


def vault_blockers_raise(vault: dict) -> None:
    names = vault_blockers(vault)
    if names:
        # 400 as seen from Terraform (ServiceResourceNotEmptyWithBackendMessage); message after azure-docs#42016.
        raise ArmError(400, "ServiceResourceNotEmptyWithContainerDetails",
                       "Vault cannot be deleted as there are existing resources within the vault. : "
                       + ", ".join(names) + "\nUnregister all containers from the vault and then retry to delete vault. "
                       "For instructions, see https://aka.ms/AB-AA4ecq5")


def _validate_vault_body(body: dict, creating: bool) -> dict:
    out = {}
    sku = body.get("sku")
    if sku is not None:
        name = (sku or {}).get("name")
        if name not in ("Standard", "RS0"):
            raise ArmError(400, "InvalidParameter", f"The value '{name}' is not valid for sku.name. Valid values: Standard, RS0.")
        out["sku"] = name
    elif creating:
        out["sku"] = "Standard"
    if "tags" in body:
        tags = body.get("tags") or {}
        if not isinstance(tags, dict) or len(tags) > 50:
            raise ArmError(400, "InvalidTag", "Tags must be an object with at most 50 name/value pairs.")
        out["tags"] = {str(k): str(v) for k, v in tags.items()}
    props = body.get("properties") or {}
    if "publicNetworkAccess" in props:
        if props["publicNetworkAccess"] not in ("Enabled", "Disabled"):
            raise ArmError(400, "InvalidParameter", f"Invalid publicNetworkAccess '{props['publicNetworkAccess']}'.")
        out["public_network_access"] = props["publicNetworkAccess"]
    redundancy = (props.get("redundancySettings") or {}).get("standardTierStorageRedundancy")
    if redundancy is not None:
        if redundancy not in ("LocallyRedundant", "GeoRedundant", "ZoneRedundant"):
            raise ArmError(400, "InvalidParameter", f"Invalid standardTierStorageRedundancy '{redundancy}'.")
        out["redundancy"] = redundancy
    return out


@route("GET", SUB + r"/providers/microsoft\.recoveryservices/vaults")
def list_vaults_sub(req: Request, sub: str):
    s = req.fake._subscription(sub)
    req.authorize(s, f"/subscriptions/{s['id']}", f"{RS}/vaults/read")
    return Response(200, {"value": [vault_json(s, v) for v in s["vaults"].values()]})


@route("GET", RG + r"/providers/microsoft\.recoveryservices/vaults")
def list_vaults_rg(req: Request, sub: str, rg: str):
    s = req.fake._subscription(sub)
    req.authorize(s, f"/subscriptions/{s['id']}/resourceGroups/{rg}", f"{RS}/vaults/read")
    get_rg(s, rg)
    return Response(200, {"value": [vault_json(s, v) for k, v in s["vaults"].items() if k[0] == rg.lower()]})


@route("GET PUT PATCH DELETE", VAULT)
def vault_resource(req: Request, sub: str, rg: str, vault: str):
    fake = req.fake
    s = fake._subscription(sub)
    vault_id = f"/subscriptions/{s['id']}/resourceGroups/{rg}/providers/{RS}/vaults/{vault}"
    action = f"{RS}/vaults/" + {"GET": "read", "DELETE": "delete"}.get(req.method, "write")
    req.authorize(s, vault_id, action)
    api = req.query.get("api-version")
    if req.method == "GET":
        return Response(200, vault_json(s, get_vault(s, rg, vault)))
    if req.method == "DELETE":
        try:
            record = get_vault(s, rg, vault)
        except ArmError:
            return Response(204)
        vault_blockers_raise(record)

        def finish():
            s["vaults"].pop((rg.lower(), vault.lower()), None)
        op = fake.new_operation(finish)
        return Response(202, None, fake.lro_headers(location=f"{fake.base_url}{vault_id}/operationResults/{op}?api-version={api}"))
    body = req.json()
    if req.method == "PATCH":
        record = get_vault(s, rg, vault)
        changes = _validate_vault_body(body, creating=False)
        status = 202
    else:
        rg_record = get_rg(s, rg)
        if s["providers"].get(RS.lower()) != "Registered":
            raise ArmError(409, "MissingSubscriptionRegistration",
                           f"The subscription is not registered to use namespace '{RS}'. See https://aka.ms/rps-not-found "
                           "for how to register subscriptions.")
        location = norm_location(body.get("location", ""))
        if not location:
            raise ArmError(400, "LocationRequired", "The location property is required for this definition.")
        allowed = {norm_location(loc) for loc in VAULT_LOCATIONS}
        if location not in allowed:
            raise ArmError(400, "LocationNotAvailableForResourceType",
                           f"The provided location '{location}' is not available for resource type '{RS}/vaults'. List of "
                           f"available regions for the resource type is '{','.join(sorted(allowed))}'.")
        record = s["vaults"].get((rg.lower(), vault.lower()))
        changes = _validate_vault_body(body, creating=record is None)
        if record is not None and record["location"] != location:
            # Status code not verified; ARM documents InvalidResourceLocation for this case.
            raise ArmError(409, "InvalidResourceLocation",
                           f"The resource '{vault}' already exists in location '{record['location']}' in resource group "
                           f"'{rg}'. A resource with the same name cannot be created in location '{location}'. Please "
                           "select a new resource name.")
        if record is None:
            if not VAULT_NAME_RE.match(vault):
                raise ArmError(400, "InvalidResourceName", f"Resource name '{vault}' is invalid. A vault name must be 2-50 "
                                                           "characters, start with a letter and contain only letters, digits and hyphens.")
            if vault.lower() in fake.reserved_vault_names:
                # Azure PowerShell issue #7551 shows this error code for a vault name that is still in use.
                # The HTTP status is not verified (409 chosen).
                raise ArmError(409, "CreateResourceFailedDueToInvalidCache",
                               "Create Resource Failed as name is already in use\r\nPlease provide a different resource "
                               "name or try again after 24 hours")
            quota = s["vault_quota"]
            if quota is not None:
                used = sum(1 for v in s["vaults"].values() if v["location"] == location)
                if used >= quota:
                    # Microsoft documents a limit of 500 vaults per subscription per region; code/status not verified.
                    raise ArmError(409, "QuotaExceeded",
                                   f"Operation results in exceeding quota limits of Recovery Services vaults in region "
                                   f"'{location}'. Maximum allowed: {quota}, Current in use: {used}, Additional requested: 1.")
            now = iso(utcnow())
            record = {"name": vault, "rg": rg_record["name"], "location": location, "tags": {}, "sku": "Standard",
                      "public_network_access": "Enabled", "redundancy": "GeoRedundant", "etag": new_etag(),
                      "provisioning_state": "Succeeded", "created": now, "modified": now, "created_by": req.oid,
                      "resource_id": secrets.randbelow(2 ** 62) + 2 ** 60, "extended_info": None,
                      "contents": {"fabrics": [], "extra_protected_items": 0, "recovery_plans": 0,
                                   "backup_items": 0, "backup_servers": 0}}
            status = 201
            s["vaults"][(rg.lower(), vault.lower())] = record
        else:
            status = 200
        if "tags" not in changes:
            changes["tags"] = {}  # PUT replaces the resource: no tags in the body means no tags
    for key, value in changes.items():
        record[key] = value
    record["etag"] = new_etag()
    record["modified"] = iso(utcnow())
    record["provisioning_state"] = "Creating" if status == 201 else "Updating"

    def finish():
        record["provisioning_state"] = "Succeeded"
    op = fake.new_operation(finish)
    headers = fake.lro_headers(async_operation=f"{fake.base_url}{vault_id}/operationStatus/{op}?api-version={api}")
    if req.method == "PATCH":
        headers["Location"] = f"{fake.base_url}{vault_id}/operationResults/{op}?api-version={api}"
    return Response(status, None if status == 202 else vault_json(s, record), headers)


@route("GET", VAULT + r"/operationstatus/(?P<op>[^/]+)")
def vault_operation_status(req: Request, sub: str, rg: str, vault: str, op: str):
    record = req.fake.poll_operation(op)
    body = {"id": req.path, "name": op, "status": record["status"], "startTime": iso(record["start"])}
    if record.get("end"):
        body["endTime"] = iso(record["end"])
    if record["error"]:
        body["error"] = record["error"]
    return Response(200, body)


@route("GET", VAULT + r"/operationresults/(?P<op>[^/]+)")
def vault_operation_result(req: Request, sub: str, rg: str, vault: str, op: str):
    record = req.fake.poll_operation(op)
    if record["status"] == "InProgress":
        return Response(202, None, req.fake.lro_headers(location=f"{req.fake.base_url}{req.path}?api-version={req.query.get('api-version')}"))
    if record["status"] == "Failed":
        return Response(400, {"error": record["error"]})
    s = req.fake._subscription(sub)
    existing = s["vaults"].get((rg.lower(), vault.lower()))
    return Response(200, vault_json(s, existing)) if existing else Response(204)


@route("PUT", VAULT + r"/certificates/(?P<cert>[^/]+)")
def vault_certificate(req: Request, sub: str, rg: str, vault: str, cert: str):
    fake = req.fake
    s = fake._subscription(sub)
    vault_id = f"/subscriptions/{s['id']}/resourceGroups/{rg}/providers/{RS}/vaults/{vault}"
    req.authorize(s, vault_id, f"{RS}/vaults/certificates/write")
    record = get_vault(s, rg, vault)
    body = req.json()
    options = body.get("certificateCreateOptions")
    if options is not None:
        hours = options.get("validityInHours")
        if not isinstance(hours, int) or isinstance(hours, bool) or hours <= 0:
            raise ArmError(400, "InvalidParameter", f"certificateCreateOptions.validityInHours must be a positive integer, got {hours!r}.")
        made = tls.management_certificate("Windows Azure Tools", hours)
        certificate_b64 = base64.b64encode(made["pfx"]).decode()
    else:
        props = body.get("properties") or {}
        try:
            raw = base64.b64decode(props.get("certificate") or "", validate=True)
            made = tls.certificate_details(raw)
        except ValueError as exc:
            raise ArmError(400, "InvalidCertificate", f"The certificate in the request is not valid: {exc}") from exc
        certificate_b64 = props["certificate"]
    return Response(200, {
        "name": cert,
        "type": f"{RS}/vaults/certificates",
        "id": f"/Subscriptions/{s['id']}/resourceGroups/{rg}/providers/{RS}/vaults/{vault}/certificates/{cert}",
        "properties": {
            "authType": "AzureActiveDirectory",
            "certificate": certificate_b64,
            "resourceId": record["resource_id"],
            "aadAuthority": fake.base_url,
            "aadTenantId": fake.tenant_id,
            "servicePrincipalClientId": fake.vault_service_principal["client_id"],
            "servicePrincipalObjectId": fake.vault_service_principal["object_id"],
            "azureManagementEndpointAudience": f"{fake.base_url}/restapi/",
            "aadAudience": f"https://RecoveryServiceVault/{record['location']}/{record['name']}/{record['resource_id']}",
            "subject": made["subject"],
            "validFrom": made["valid_from"].isoformat(),
            "validTo": made["valid_to"].isoformat(),
            "thumbprint": made["thumbprint"],
            "friendlyName": "",
            "issuer": made["subject"],
        },
    })


@route("GET PUT PATCH", VAULT + r"/extendedinformation/vaultextendedinfo")
def vault_extended_info(req: Request, sub: str, rg: str, vault: str):
    s = req.fake._subscription(sub)
    vault_id = f"/subscriptions/{s['id']}/resourceGroups/{rg}/providers/{RS}/vaults/{vault}"
    req.authorize(s, vault_id, f"{RS}/vaults/extendedInformation/" + ("read" if req.method == "GET" else "write"))
    record = get_vault(s, rg, vault)
    if req.method == "GET":
        if record["extended_info"] is None:
            raise ArmError(404, "ResourceExtendedInfoNotFound", "Extended information of the resource is not found.")
    else:
        if req.method == "PATCH" and record["extended_info"] is None:
            raise ArmError(404, "ResourceExtendedInfoNotFound", "Extended information of the resource is not found.")
        props = req.json().get("properties") or {}
        info = dict(record["extended_info"] or {})
        for key in ("integrityKey", "encryptionKey", "encryptionKeyThumbprint", "algorithm"):
            if key in props:
                info[key] = props[key]
        record["extended_info"] = info
    return Response(200, {"id": vault_id + "/extendedInformation/vaultExtendedInfo", "name": "vaultExtendedInfo",
                          "type": f"{RS}/vaults/extendedInformation", "etag": str(uuid.uuid4()),
                          "properties": dict(record["extended_info"])})


@route("GET", VAULT + r"/usages")
def vault_usages(req: Request, sub: str, rg: str, vault: str):
    s = req.fake._subscription(sub)
    req.authorize(s, f"/subscriptions/{s['id']}/resourceGroups/{rg}/providers/{RS}/vaults/{vault}", f"{RS}/vaults/usages/read")
    contents = get_vault(s, rg, vault)["contents"]

    def usage(name, localized, value):
        return {"unit": "Count", "currentValue": value, "limit": -1, "name": {"value": name, "localizedValue": localized}}
    return Response(200, {"value": [
        usage("MABContainersCount", "Backup management servers", contents["backup_servers"]),
        usage("ProtectedItemCount", "Backup items/Azure virtual machine backup", contents["backup_items"]),
        usage("ProtectedItemCriticalCount", "Critical", 0),
        usage("ProtectedItemWarningCount", "Warning", 0),
        usage("DPMProtectedItemCount", "DPM Protected Items Count", 0),
        usage("AzureBackupServerProtectedItemCount", "Azure Backup Server Protected Items Count", 0),
        usage("RecoveryServicesProviderAuthType", "Recovery Services provider auth type", 1),
    ]})


@route("GET", VAULT + r"/replicationusages")
def vault_replication_usages(req: Request, sub: str, rg: str, vault: str):
    s = req.fake._subscription(sub)
    req.authorize(s, f"/subscriptions/{s['id']}/resourceGroups/{rg}/providers/{RS}/vaults/{vault}", f"{RS}/vaults/replicationUsages/read")
    contents = get_vault(s, rg, vault)["contents"]
    servers = sum(f["registered_servers"] for f in contents["fabrics"])
    items = sum(f["protected_items"] for f in contents["fabrics"]) + contents["extra_protected_items"]
    return Response(200, {"value": [{
        "monitoringSummary": {"unHealthyVmCount": 0, "unHealthyProviderCount": 0, "eventsCount": 0, "deprecatedProviderCount": 0,
                              "supportedProviderCount": servers, "unsupportedProviderCount": 0},
        "jobsSummary": {"failedJobs": 0, "suspendedJobs": 0, "inProgressJobs": 0},
        "protectedItemCount": items,
        "registeredServersCount": servers,
        "recoveryPlanCount": contents["recovery_plans"],
    }]})


@route("GET", VAULT + r"/replicationfabrics")
def vault_replication_fabrics(req: Request, sub: str, rg: str, vault: str):
    s = req.fake._subscription(sub)
    vault_id = f"/subscriptions/{s['id']}/resourceGroups/{rg}/providers/{RS}/vaults/{vault}"
    req.authorize(s, vault_id, f"{RS}/vaults/replicationFabrics/read")
    contents = get_vault(s, rg, vault)["contents"]
    return Response(200, {"value": [{
        "id": f"{vault_id}/replicationFabrics/{f['name']}", "name": f["name"], "type": f"{RS}/vaults/replicationFabrics",
        "location": get_vault(s, rg, vault)["location"],
        "properties": {"friendlyName": f.get("friendly_name") or f["name"], "internalIdentifier": f["id"],
                       "encryptionDetails": {"kekState": "None"}, "rolloverEncryptionDetails": {"kekState": "None"},
                       "customDetails": {"instanceType": f["type"]}, "health": "Normal", "healthErrorDetails": [],
                       "bcdrState": "Valid"},
    } for f in contents["fabrics"]], "nextLink": None})


# ------------------------------------------------------------------ role definitions and assignments
@route("GET", SCOPE + r"/providers/microsoft\.authorization/roledefinitions/(?P<guid>[^/]+)")
def role_definition(req: Request, scope: str | None, guid: str):
    if scope:
        s = req.fake._subscription(scope.split("/")[2])
        req.authorize(s, scope, "Microsoft.Authorization/roleDefinitions/read")
    name = ROLE_NAMES.get(guid.lower())
    if name is None:
        raise ArmError(404, "RoleDefinitionDoesNotExist", f"The specified role definition with ID '{guid}' does not exist.")
    return Response(200, {"id": f"{scope or ''}/providers/Microsoft.Authorization/roleDefinitions/{guid.lower()}",
                          "name": guid.lower(), "type": "Microsoft.Authorization/roleDefinitions",
                          "properties": {"roleName": name, "type": "BuiltInRole", "description": f"Built-in role {name}",
                                         "assignableScopes": ["/"], "permissions": []}})


def _scope_sub(req: Request, scope: str | None):
    if not scope:
        raise ArmError(400, "InvalidScope", "Role assignments are only supported below a subscription in this endpoint.")
    s = req.fake._subscription(scope.split("/")[2])
    parts = scope.split("/")
    if len(parts) >= 5:
        get_rg(s, parts[4])
    return s


@route("GET", SCOPE + r"/providers/microsoft\.authorization/roleassignments")
def list_role_assignments(req: Request, scope: str | None):
    s = _scope_sub(req, scope)
    req.authorize(s, scope, "Microsoft.Authorization/roleAssignments/read")
    flt = (req.query.get("$filter") or "").strip()
    principal = None
    at_scope = False
    for clause in [c.strip() for c in re.split(r"\s+and\s+", flt, flags=re.IGNORECASE) if c.strip()]:
        match = re.match(r"^principalId\s+eq\s+'([^']+)'$", clause, re.IGNORECASE)
        if match:
            principal = match.group(1).lower()
        elif clause.lower() == "atscope()":
            at_scope = True
        else:
            raise ArmError(400, "UnsupportedQuery", f"The filter '{flt}' is not supported.")
    scope_l = scope.lower().rstrip("/")
    out = []
    for ra in s["role_assignments"].values():
        ra_scope = ra["scope"].lower().rstrip("/")
        above = scope_l == ra_scope or scope_l.startswith(ra_scope + "/")
        below = ra_scope.startswith(scope_l + "/")
        if principal is not None and ra["principal_id"].lower() != principal:
            continue
        if at_scope and not above:
            continue
        if not (above or below):
            continue
        out.append(assignment_json(ra))
    return Response(200, {"value": out})


@route("GET PUT DELETE", SCOPE + r"/providers/microsoft\.authorization/roleassignments/(?P<name>[^/]+)")
def role_assignment(req: Request, scope: str | None, name: str):
    s = _scope_sub(req, scope)
    action = "Microsoft.Authorization/roleAssignments/" + {"GET": "read", "PUT": "write", "DELETE": "delete"}[req.method]
    req.authorize(s, scope, action)
    existing = s["role_assignments"].get(name.lower())
    if existing is not None and existing["scope"].lower().rstrip("/") != scope.lower().rstrip("/"):
        existing_here = None
    else:
        existing_here = existing
    if req.method == "GET":
        if existing_here is None:
            raise ArmError(404, "RoleAssignmentNotFound", f"The role assignment '{name}' is not found.")
        return Response(200, assignment_json(existing_here))
    if req.method == "DELETE":
        if existing_here is None:
            return Response(204)
        del s["role_assignments"][name.lower()]
        return Response(200, assignment_json(existing_here))
    if not GUID_RE.match(name):
        raise ArmError(400, "InvalidRoleAssignmentId", f"The role assignment ID '{name}' is not valid. The role assignment ID must be a GUID.")
    props = req.json().get("properties") or {}
    role_definition_id = props.get("roleDefinitionId") or ""
    role_guid = role_definition_id.rstrip("/").split("/")[-1].lower()
    if role_guid not in ROLE_NAMES:
        raise ArmError(400, "RoleDefinitionDoesNotExist", f"The specified role definition with ID '{role_guid}' does not exist.")
    principal_id = props.get("principalId") or ""
    if not GUID_RE.match(principal_id):
        raise ArmError(400, "InvalidPrincipalId", f"A valid principal ID must be provided for role assignment; got '{principal_id}'.")
    principal_type = props.get("principalType")
    if principal_type is not None and principal_type not in PRINCIPAL_TYPES:
        raise ArmError(400, "InvalidPrincipalType", f"The principal type '{principal_type}' is not valid. Valid values: {', '.join(PRINCIPAL_TYPES)}.")
    if req.fake.directory and principal_id.lower() not in req.fake.directory and principal_type is None:
        raise ArmError(400, "PrincipalNotFound",
                       f"Principal {principal_id.replace('-', '')} does not exist in the directory {req.fake.tenant_id}. Check that "
                       "you have the correct principal ID. If you are creating this principal and then immediately assigning "
                       "a role, this error might be related to a replication delay. In this case, set the role assignment "
                       "principalType property to a value, such as ServicePrincipal, User, or Group. See https://aka.ms/docs-principaltype")
    if req.fake.racing_role_assignment_puts > 0:
        # Someone else (portal, another pipeline) creates the same assignment, under another name, just before us.
        req.fake.racing_role_assignment_puts -= 1
        other = str(uuid.uuid4())
        s["role_assignments"][other] = req.fake._assignment_record(s["id"], scope, other, role_guid, principal_id,
                                                                   principal_type or "User", "someone-else")
    for ra in s["role_assignments"].values():
        if (ra["scope"].lower().rstrip("/") == scope.lower().rstrip("/") and ra["role_guid"] == role_guid
                and ra["principal_id"].lower() == principal_id.lower()):
            raise ArmError(409, "RoleAssignmentExists", "The role assignment already exists.")
    if existing is not None:
        # Status not verified (the prototype in the reference notes used 409 as well).
        raise ArmError(409, "RoleAssignmentUpdateNotPermitted",
                       "Tenant ID, application ID, principal ID, and scope are not allowed to be updated.")
    record = req.fake._assignment_record(s["id"], scope, name, role_guid, principal_id, principal_type or "User",
                                         req.oid, props.get("description"))
    s["role_assignments"][name.lower()] = record
    return Response(201, assignment_json(record))


# ------------------------------------------------------------------ test-only admin API
@route("GET POST", r"/_admin/(?P<action>.+)", arm=False)
def admin(req: Request, action: str):
    fake = req.fake
    body = req.json() if req.method == "POST" else {}
    parts = action.strip("/").split("/")
    if parts == ["state"]:
        return Response(200, dump_state(fake))
    if parts == ["log"]:
        return Response(200, {"requests": list(fake.log)})
    if parts == ["log", "reset"]:
        fake.log.clear()
        return Response(200, {})
    if parts == ["config"]:
        for key in ("lro_polls", "registration_polls", "retry_after", "racing_role_assignment_puts"):
            if key in body:
                setattr(fake, key, body[key])
        if "directory" in body:
            fake.directory = {oid.lower() for oid in body["directory"]}
        if "reserved_vault_names" in body:
            fake.reserved_vault_names = {n.lower() for n in body["reserved_vault_names"]}
        return Response(200, {})
    if parts == ["subscriptions"]:
        sub_id = fake.add_subscription(body.get("subscription_id") or str(uuid.uuid4()),
                                       rp_registered=body.get("rp_registered", True),
                                       grant_owner=body.get("grant_owner", True), vault_quota=body.get("vault_quota"))
        return Response(200, {"subscription_id": sub_id})
    if parts[:1] == ["subscriptions"] and len(parts) == 3 and parts[2] == "quota":
        fake._subscription(parts[1])["vault_quota"] = body.get("vault_quota")
        return Response(200, {})
    if parts == ["service_principals"]:
        return Response(200, fake.add_service_principal(body.get("client_id"), body.get("secret"),
                                                        body.get("certificate_pem"), body.get("role", "Owner")))
    if parts == ["user_assigned_identities"]:
        return Response(200, fake.add_user_assigned_identity())
    if parts == ["access"]:
        fake.set_access(body["object_id"], body.get("role"), body.get("subscription_id"), body.get("scope"))
        return Response(200, {})
    if parts == ["tokens"]:
        return Response(200, fake.issue_token(body.get("object_id") or fake.msi["object_id"], int(body.get("lifetime", 3600))))
    if parts[:1] == ["vaults"] and len(parts) == 5 and parts[4] == "contents":
        s = fake._subscription(parts[1])
        record = get_vault(s, parts[2], parts[3])
        fabrics = []
        for fabric in body.get("fabrics", []):
            fabrics.append({"name": fabric["name"], "friendly_name": fabric.get("friendly_name"),
                            "type": fabric.get("type", "VMware"), "id": fabric.get("id") or str(uuid.uuid4()),
                            "registered_servers": int(fabric.get("registered_servers", 1)),
                            "protected_items": int(fabric.get("protected_items", 0))})
        record["contents"] = {"fabrics": fabrics, "extra_protected_items": int(body.get("protected_items", 0)),
                              "recovery_plans": int(body.get("recovery_plans", 0)),
                              "backup_items": int(body.get("backup_items", 0)),
                              "backup_servers": int(body.get("backup_servers", 0))}
        return Response(200, {})
    raise ArmError(404, "NotFound", f"Unknown admin action {action!r}.")


def vault_state(vault: dict) -> dict:
    return {"location": vault["location"], "sku": vault["sku"], "tags": dict(vault["tags"]),
            "public_network_access": vault["public_network_access"], "redundancy": vault["redundancy"],
            "extended_info": vault["extended_info"], "resource_id": vault["resource_id"]}


def dump_state(fake: FakeArm) -> dict:
    subs = {}
    for sub in fake.subscriptions.values():
        subs[sub["id"]] = {
            "providers": dict(sub["providers"]),
            "resource_groups": {rg["name"]: {"location": rg["location"], "tags": dict(rg["tags"])} for rg in sub["resource_groups"].values()},
            "vaults": {f"{v['rg']}/{v['name']}": vault_state(v) for v in sub["vaults"].values()},
            "role_assignments": [{"name": ra["name"], "scope": ra["scope"], "role": ROLE_NAMES.get(ra["role_guid"], ra["role_guid"]),
                                  "principal_id": ra["principal_id"], "principal_type": ra["principal_type"],
                                  "seeded": ra["created_by"] == "system"}
                                 for ra in sub["role_assignments"].values()],
            "vault_quota": sub["vault_quota"],
        }
    return {"tenant_id": fake.tenant_id, "default_subscription": fake.default_subscription, "msi": dict(fake.msi),
            "identity_header": fake.identity_header, "subscriptions": subs,
            "service_principals": [{"client_id": sp["client_id"], "object_id": sp["object_id"]} for sp in fake.service_principals.values()],
            "vault_service_principal": dict(fake.vault_service_principal)}


# ---------------------------------------------------------------------------------------------------------------------
# HTTP plumbing
# ---------------------------------------------------------------------------------------------------------------------
class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "LocalArm/1.0"

    def setup(self):
        super().setup()
        if isinstance(self.request, ssl.SSLSocket):
            try:
                self.request.do_handshake()
            except (ssl.SSLError, OSError):
                self.close_connection = True

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        if self.server.verbose:
            sys.stderr.write("arm: " + (format % args) + "\n")

    def do_GET(self):  # pylint: disable=invalid-name
        self._handle("GET")

    def do_HEAD(self):  # pylint: disable=invalid-name
        self._handle("HEAD")

    def do_PUT(self):  # pylint: disable=invalid-name
        self._handle("PUT")

    def do_PATCH(self):  # pylint: disable=invalid-name
        self._handle("PATCH")

    def do_DELETE(self):  # pylint: disable=invalid-name
        self._handle("DELETE")

    def do_POST(self):  # pylint: disable=invalid-name
        self._handle("POST")

    def _handle(self, method: str) -> None:
        fake: FakeArm = self.server.fake
        parts = urlsplit(self.path)
        path = unquote(parts.path)
        if len(path) > 1:
            path = path.rstrip("/")
        query = {k.lower() if k.lower() == "api-version" else k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        req = Request(method, path, query, headers, body, fake)
        with fake.lock:
            response = self._dispatch(req)
            if not path.startswith("/_admin"):
                fake.log.append({"method": method, "path": path, "status": response.status,
                                 "api_version": query.get("api-version"), "principal": req.oid})
        self._send(method, response)

    def _dispatch(self, req: Request) -> Response:
        try:
            for methods, regex, arm, func in ROUTES:
                match = regex.match(req.path)
                if not match:
                    continue
                if req.method not in methods:
                    raise ArmError(405, "MethodNotAllowed", f"The requested resource does not support http method '{req.method}'.")
                if arm:
                    self._authenticate(req)
                    if not req.query.get("api-version"):
                        raise ArmError(400, "MissingApiVersionParameter",
                                       "The api-version query parameter (?api-version=) is required for all requests.")
                return func(req, **match.groupdict())
            raise ArmError(404, "NoRegisteredProviderFound" if "/providers/" in req.path else "InvalidRequestUri",
                           f"No route registered for '{req.method} {req.path}' in the local ARM endpoint.")
        except ArmError as exc:
            return Response(exc.status, {"error": {"code": exc.code, "message": exc.message}}, exc.headers)
        except AadError as exc:
            code = int(exc.description.split(":")[0].replace("AADSTS", "") or 0) if exc.description.startswith("AADSTS") else 0
            return Response(exc.status, {"error": exc.error, "error_description": exc.description, "error_codes": [code],
                                         "timestamp": iso(utcnow()), "trace_id": str(uuid.uuid4()),
                                         "correlation_id": str(uuid.uuid4())})
        except Exception as exc:  # pylint: disable=broad-except
            return Response(500, {"error": {"code": "InternalServerError", "message": f"local ARM endpoint bug: {exc!r}"}})

    @staticmethod
    def _authenticate(req: Request) -> None:
        fake = req.fake
        auth = req.headers.get("authorization", "")
        challenge = {"WWW-Authenticate": f'Bearer authorization_uri="{fake.base_url}/{fake.tenant_id}", error="invalid_token", '
                                         'error_description="The authentication failed because of missing \'Authorization\' header."'}
        if not auth.lower().startswith("bearer "):
            raise ArmError(401, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing.", challenge)
        token = fake.tokens.get(auth[7:].strip())
        if token is None or token["expires"] < time.time():
            challenge["WWW-Authenticate"] = challenge["WWW-Authenticate"].replace(
                "because of missing 'Authorization' header", "because the access token is invalid or expired")
            raise ArmError(401, "InvalidAuthenticationToken", "The access token is invalid.", challenge)
        req.oid = token["oid"]

    def _send(self, method: str, response: Response) -> None:
        data = b""
        if response.body is not None:
            data = json.dumps(response.body).encode("utf-8")
        self.send_response(response.status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("x-ms-request-id", str(uuid.uuid4()))
        self.send_header("x-ms-correlation-request-id", str(uuid.uuid4()))
        for key, value in response.headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(0 if method == "HEAD" else len(data)))
        self.end_headers()
        if method != "HEAD" and data:
            self.wfile.write(data)


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class LocalArmServer:
    """The HTTPS server around a :class:`FakeArm`; start()/stop() run it on a background thread."""

    def __init__(self, port: int = 0, state_dir: str | None = None, verbose: bool = False, **fake_options):
        self.fake = FakeArm(**fake_options)
        self._tmp = None
        if state_dir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="local-arm-")
            state_dir = self._tmp.name
        os.makedirs(state_dir, exist_ok=True)
        self.state_dir = state_dir
        self.ca_bundle, cert_file, key_file = tls.write_server_tls(state_dir)
        self.httpd = _Server(("127.0.0.1", port), Handler)
        self.httpd.fake = self.fake
        self.httpd.verbose = verbose
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert_file, key_file)
        self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True, do_handshake_on_connect=False)
        self.port = self.httpd.server_address[1]
        self.base_url = f"https://127.0.0.1:{self.port}"
        self.fake.base_url = self.base_url
        self._thread = None

    def start(self) -> "LocalArmServer":
        self._thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.1},
                                        name="local-arm", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        if self._thread:
            self._thread.join(timeout=5)
        if self._tmp is not None:
            self._tmp.cleanup()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Local Azure Resource Manager endpoint for tenantdr.asr tests and demos.")
    parser.add_argument("--port", type=int, default=0, help="TCP port on 127.0.0.1 (0 = any free port)")
    parser.add_argument("--port-file", help="write the chosen port to this file once listening")
    parser.add_argument("--state-dir", help="directory for the CA bundle and server key (default: a temporary directory)")
    parser.add_argument("--lro-polls", type=int, default=1, help="InProgress answers before a long-running operation ends")
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    args = parser.parse_args(argv)
    server = LocalArmServer(port=args.port, state_dir=args.state_dir, verbose=args.verbose, lro_polls=args.lro_polls)
    server.start()
    info = {"base_url": server.base_url, "ca_bundle": server.ca_bundle, "subscription_id": server.fake.default_subscription,
            "tenant_id": server.fake.tenant_id, "identity_endpoint": server.base_url + "/msi/token",
            "identity_header": server.fake.identity_header}
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w", encoding="utf-8") as handle:
            handle.write(str(server.port))
        os.replace(tmp, args.port_file)
    sys.stdout.write(json.dumps(info) + "\n")
    sys.stdout.flush()
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


from tests.arm import preflight_routes  # noqa: E402,F401  pylint: disable=wrong-import-position,unused-import,cyclic-import
# Site Recovery and Microsoft.OffAzure routes (matched before the routes above).
from tests.arm import site_recovery  # noqa: E402,F401  pylint: disable=wrong-import-position,unused-import,cyclic-import

if __name__ == "__main__":
    sys.exit(main())


from tests.arm import subscription_alias  # noqa: E402,F401  pylint: disable=wrong-import-position,unused-import
