"""A small, faithful local Partner Center + Microsoft Graph endpoint for the tenantdr.asr CSP modules.

It shares its directory, tokens and TLS certificate with the local ARM endpoint (``tests/arm/server.py``): applications sign in at
the ARM endpoint's Entra ID token route (the authority of ``cloud_environment``), and this endpoint accepts the
tokens that endpoint issued. It serves, over HTTPS with the ARM endpoint's certificate (same CA bundle):

Partner Center (``/v1/...``, learn.microsoft.com/partner-center/developer, REST reference):
* ``GET /v1/customers?filter={"Field":"Domain","Value":...,"Operator":"starts_with"}`` -> Collection of Customer;
* ``HEAD /v1/domains/{domain}`` -> 200 taken / 404 free; ``GET /v1/countryvalidationrules/{country}``;
* ``POST /v1/validations/address`` -> ``{originalAddress, suggestedAddresses, status, validationMessage}``;
* ``POST /v1/customers`` -> 201 Customer with ``userCredentials`` (the first admin, returned once);
* ``GET /v1/agreements?agreementType=MicrosoftCustomerAgreement``, ``GET/POST /v1/customers/{id}/agreements``;
* ``GET /v1/products/DZH318Z0BPS6/skus/0001/availabilities``, ``POST /v1/customers/{id}/carts`` (201),
  ``POST /v1/customers/{id}/carts/{cart}/checkout`` (200 CartCheckoutResult), ``GET .../orders``, ``GET .../subscriptions``;
* ``GET/POST /v1/customers/{id}/users``, ``DELETE /v1/customers/{id}/users/{user}`` (204).
Errors: ``{"code": <int>, "description": "...", "errorName": "...", "data": [], "source": "PartnerFD"}``.
``MS-RequestId`` makes a repeated write return the first answer. Throttling: 429 with ``Retry-After``.

Graph v1.0: ``tenantRelationships/delegatedAdminRelationships`` (+ ``/requests``, ``/accessAssignments``),
``directoryObjects/getByIds``, ``groups/{id}``. Errors: ``{"error": {"code", "message", "innerError"}}``.

Where the exact code of an error is not public, the choice made here says "not verified".
Test-only switches under ``/_admin/`` (no token; 127.0.0.1 only).
"""
from __future__ import annotations

import copy
import datetime
import json
import re
import secrets
import ssl
import uuid
from urllib.parse import parse_qs, unquote, urlsplit

from tests.arm import server as arm_http

PLAN_PRODUCT, PLAN_SKU, PLAN_AVAILABILITY = "DZH318Z0BPS6", "0001", "DZH318Z0BMGV"
PLAN_CATALOG_ITEM = f"{PLAN_PRODUCT}:{PLAN_SKU}:{PLAN_AVAILABILITY}"
MCA_TEMPLATE_ID = "117a77b0-9360-443b-8795-c6dedc750cf9"
# Countries the fake knows (Partner Center country validation rules, reduced).
COUNTRIES = {
    "US": {"cultures": ["en-US"], "languages": ["en"], "state_required": True, "states": ["WA", "NY", "CA", "TX"],
           "postal": r"^\d{5}(-\d{4})?$"},
    "GB": {"cultures": ["en-GB"], "languages": ["en"], "state_required": False, "states": [], "postal": r"^[A-Z0-9 ]{5,8}$"},
    "DE": {"cultures": ["de-DE"], "languages": ["de"], "state_required": False, "states": [], "postal": r"^\d{5}$"},
    "NL": {"cultures": ["nl-NL"], "languages": ["nl"], "state_required": False, "states": [], "postal": r"^\d{4} ?[A-Z]{2}$"},
}
# Postal code -> (city, state) the address validation knows; other well-formed postal codes are accepted as given.
GAZETTEER = {("US", "98052"): ("Redmond", "WA"), ("US", "10001"): ("New York", "NY"), ("DE", "10115"): ("Berlin", ""),
             ("NL", "1012 AB"): ("Amsterdam", ""), ("GB", "SW1A 1AA"): ("London", "")}
GDAP_ROLE_IDS = {
    "62e90394-69f5-4237-9190-012177145e10", "f2ef992c-3afb-46b9-b7cf-a126ee74c451", "88d8e3e3-8f55-4a1e-953a-9b9898b8876b",
    "9360feb5-f418-4baa-8175-e2a00bac4301", "fe930be7-5e62-47db-91af-98c3a49a38b1", "e8611ab8-c189-46e8-94e1-60213ab1f814",
    "729827e3-9c14-49f7-bb1b-9608f156bbb8", "5d6b6bb7-de71-4623-b4af-96380a352509", "194ae4cb-b126-40b2-bd5b-6091b380977d",
    "f023fd81-a637-4b56-95fd-791ac0226033", "b0f54661-2d74-4c50-afa3-1ec803f12efe", "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3",
    "158c047a-c907-4556-b7ef-446551a6b5f7",
}
DURATION_RE = re.compile(r"^P(?:(\d+)Y)?(?:(\d+)W)?(?:(\d+)D)?$")
GRAPH_PREFIX = "/v1.0"


def now_iso() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class ServiceError(Exception):
    def __init__(self, status: int, body: dict, headers: dict | None = None):
        super().__init__(str(body))
        self.status = status
        self.body = body
        self.headers = headers or {}


def pc_error(status: int, code: int, name: str, description: str) -> ServiceError:
    return ServiceError(status, {"code": code, "description": description, "errorName": name, "data": [], "source": "PartnerFD"})


def graph_error(status: int, code: str, message: str) -> ServiceError:
    return ServiceError(status, {"error": {"code": code, "message": message,
                                           "innerError": {"date": now_iso(), "request-id": str(uuid.uuid4())}}})


class Drop(Exception):
    """Close the connection without an answer (an interrupted call)."""


class FakePartnerCenter:
    """State: the partner's customers (with agreements, carts, orders, subscriptions, users) and GDAP."""

    def __init__(self, arm_fake):
        self.arm = arm_fake
        self.lock = arm_fake.lock
        arm_fake.partner_center = self          # the subscription alias API (tests/arm/subscription_alias.py) bills here
        self.partner_tenant_id = arm_fake.tenant_id
        self.billing_account = f"{uuid.uuid4()}:{uuid.uuid4()}_2019-05-31"
        self.customers = {}                     # id -> record
        self.other_partner_domains = set()      # domains of customers of other partners
        self.replays = {}                       # (MS-RequestId, method, path) -> (status, body)
        self.throttle = {"count": 0, "retry_after": 1, "method": None}  # next `count` requests (of `method`) get 429
        self.drop_checkout_response = 0
        self.plan_subscription_delay = 0        # list reads before a new plan subscription shows up
        self.relationships = {}
        self.directory = {}                     # object id -> {"@odata.type", "id", "displayName"}
        self.log = []

    # ------------------------------------------------------------------ helpers
    def customer(self, customer_id: str) -> dict:
        record = self.customers.get(customer_id.lower())
        if record is None:
            raise pc_error(404, 600004, "CustomerNotFound", f"Customer {customer_id} not found.")  # code not verified
        return record

    def add_group(self, display_name: str) -> str:
        gid = str(uuid.uuid4())
        self.directory[gid] = {"@odata.type": "#microsoft.graph.group", "id": gid, "displayName": display_name,
                               "securityEnabled": True}
        return gid

    def add_directory_object(self, odata_type: str, display_name: str) -> str:
        oid = str(uuid.uuid4())
        self.directory[oid] = {"@odata.type": odata_type, "id": oid, "displayName": display_name}
        return oid


def collection(items: list) -> dict:
    return {"totalCount": len(items), "items": items, "links": {"self": {"uri": "", "method": "GET", "headers": []}},
            "attributes": {"objectType": "Collection"}}


def customer_json(record: dict) -> dict:
    return copy.deepcopy(record["customer"])


# ---------------------------------------------------------------------------------------------------------------------
# Partner Center routes
# ---------------------------------------------------------------------------------------------------------------------
ROUTES = []


def route(methods: str, pattern: str):
    regex = re.compile("^" + pattern + "$", re.IGNORECASE)

    def decorator(func):
        ROUTES.append((set(methods.split()), regex, func))
        return func
    return decorator


@route("GET", r"/v1/customers")
def list_customers(fake: FakePartnerCenter, req, **_):
    flt = req["query"].get("filter")
    items = [customer_json(r) for r in fake.customers.values()]
    if flt:
        try:
            spec = json.loads(flt)
        except ValueError as exc:
            raise pc_error(400, 400, "InvalidInput", f"The filter is not valid JSON: {exc}") from exc
        if spec.get("Field") not in ("Domain", "CompanyName", "IndirectReseller", "IndirectCloudSolutionProvider"):
            raise pc_error(400, 400, "InvalidInput", f"Unsupported filter field {spec.get('Field')!r}.")
        key = "domain" if spec["Field"] == "Domain" else "companyName"
        value = str(spec.get("Value") or "").lower()
        items = [c for c in items if str(c["companyProfile"].get(key) or "").lower().startswith(value)]
    return 200, collection(items)


@route("HEAD", r"/v1/domains/(?P<domain>[^/]+)")
def domain_exists(fake: FakePartnerCenter, req, domain: str):
    taken = domain.lower() in fake.other_partner_domains or any(
        r["customer"]["companyProfile"]["domain"].lower() == domain.lower() for r in fake.customers.values())
    return (200 if taken else 404), None


@route("GET", r"/v1/countryvalidationrules/(?P<country>[^/]+)")
def country_rules(fake: FakePartnerCenter, req, country: str):
    rules = COUNTRIES.get(country.upper())
    if rules is None:
        raise pc_error(400, 600071, "InvalidCountryCode", f"Country code {country} is not supported.")  # code not verified
    return 200, {"iso2Code": country.upper(), "defaultCulture": rules["cultures"][0], "isStateRequired": rules["state_required"],
                 "supportedStatesList": rules["states"], "supportedLanguagesList": rules["languages"],
                 "supportedCulturesList": rules["cultures"], "isPostalCodeRequired": True,
                 "postalCodeRegex": rules["postal"], "isCityRequired": True, "isVatIdSupported": country.upper() != "US",
                 "attributes": {"objectType": "CountryValidationRules"}}


def _validate_address(address: dict) -> dict:
    country = (address.get("country") or "").upper()
    postal = address.get("postalCode") or ""
    original = {k: address.get(k) for k in ("addressLine1", "addressLine2", "city", "state", "postalCode", "country")}
    rules = COUNTRIES.get(country)
    if rules is None or not re.match(rules["postal"], postal):
        return {"originalAddress": original, "suggestedAddresses": [], "status": "NotValidated",
                "validationMessage": f"Address field invalid for property: 'PostalCode' ({postal!r} in {country})"}
    known = GAZETTEER.get((country, postal))
    if known and (known[0].lower() != (address.get("city") or "").lower()
                  or (known[1] and known[1].lower() != (address.get("state") or "").lower())):
        suggested = dict(original, city=known[0], state=known[1] or None)
        return {"originalAddress": original, "suggestedAddresses": [suggested], "status": "InteractionRequired",
                "validationMessage": "Address field invalid for property: 'City'"}
    return {"originalAddress": original, "suggestedAddresses": [], "status": "Verified", "validationMessage": None}


@route("POST", r"/v1/validations/address")
def validate_address(fake: FakePartnerCenter, req, **_):
    return 200, _validate_address(req["json"])


@route("POST", r"/v1/customers")
def create_customer(fake: FakePartnerCenter, req, **_):
    body = req["json"]
    company = body.get("companyProfile") or {}
    billing = body.get("billingProfile") or {}
    domain = str(company.get("domain") or "")
    if not re.match(r"^[A-Za-z0-9]{1,27}\.onmicrosoft\.com$", domain):
        raise pc_error(400, 2000, "InvalidInput", f"The domain '{domain}' is not valid.")  # code not verified
    taken = domain.lower() in fake.other_partner_domains or any(
        r["customer"]["companyProfile"]["domain"].lower() == domain.lower() for r in fake.customers.values())
    if taken:
        raise pc_error(409, 1100, "DomainAlreadyExists", f"The domain {domain} already exists.")  # code not verified
    address = billing.get("defaultAddress") or {}
    rules = COUNTRIES.get(str(address.get("country") or "").upper())
    if rules is None:
        raise pc_error(400, 600071, "InvalidCountryCode", f"Country {address.get('country')!r} is not supported.")
    if billing.get("culture") not in rules["cultures"] or billing.get("language") not in rules["languages"]:
        raise pc_error(400, 600019, "InvalidCulture", f"Culture '{billing.get('culture')}' / language "
                       f"'{billing.get('language')}' is not supported for country {address.get('country')}.")  # code not verified
    verdict = _validate_address(dict(address, state=address.get("region")))
    if verdict["status"] not in ("Verified", "VerifiedShippable"):
        raise pc_error(400, 60067, "InvalidAddress", verdict["validationMessage"] or "Address is not valid.")  # code not verified
    tenant_id = str(uuid.uuid4())
    prefix = domain.split(".", maxsplit=1)[0]
    customer = {
        "id": tenant_id, "commerceId": str(uuid.uuid4()),
        "companyProfile": {"tenantId": tenant_id, "domain": domain, "companyName": company.get("companyName"),
                           "attributes": {"objectType": "CustomerCompanyProfile"}},
        "billingProfile": dict(copy.deepcopy(billing), id=str(uuid.uuid4()),
                               attributes={"objectType": "CustomerBillingProfile"}),
        "relationshipToPartner": "reseller", "allowDelegatedAccess": True,
        "attributes": {"objectType": "Customer"},
    }
    record = {"customer": customer, "agreements": [], "carts": {}, "orders": [], "subscriptions": [], "users": {},
              "plan_reads_left": 0}
    fake.customers[tenant_id] = record
    admin = {"userName": f"admin@{prefix}.onmicrosoft.com", "password": secrets.token_urlsafe(12) + "!aA1"}
    record["admin_password"] = admin["password"]
    return 201, dict(customer_json(record), userCredentials=admin)


@route("GET", r"/v1/agreements")
def agreement_metadata(fake: FakePartnerCenter, req, **_):
    kind = req["query"].get("agreementType", "MicrosoftCloudAgreement")
    items = [{"templateId": MCA_TEMPLATE_ID, "agreementType": "MicrosoftCustomerAgreement",
              "agreementLink": "https://aka.ms/customeragreement", "versionRank": 0}]
    return 200, collection([i for i in items if kind in ("*", i["agreementType"])])


@route("GET POST", r"/v1/customers/(?P<cid>[^/]+)/agreements")
def customer_agreements(fake: FakePartnerCenter, req, cid: str):
    record = fake.customer(cid)
    if req["method"] == "GET":
        kind = req["query"].get("agreementType")
        return 200, collection([a for a in record["agreements"] if not kind or a["type"] == kind])
    body = req["json"]
    contact = body.get("primaryContact") or {}
    if body.get("templateId") != MCA_TEMPLATE_ID or not contact.get("email") or not body.get("dateAgreed"):
        raise pc_error(400, 600059, "InvalidAgreement", "templateId, primaryContact (firstName, lastName, email) and "
                       "dateAgreed are required.")  # code not verified
    agreement = {"primaryContact": contact, "templateId": body["templateId"], "dateAgreed": body["dateAgreed"],
                 "type": body.get("type") or "MicrosoftCustomerAgreement", "agreementLink": "https://aka.ms/customeragreement",
                 "userId": str(uuid.uuid4()), "attributes": {"objectType": "Agreement"}}
    record["agreements"].append(agreement)
    return 201, agreement


@route("GET", r"/v1/products/(?P<product>[^/]+)/skus/(?P<sku>[^/]+)/availabilities")
def availabilities(fake: FakePartnerCenter, req, product: str, sku: str):
    if (product.upper(), sku) != (PLAN_PRODUCT, PLAN_SKU):
        raise pc_error(404, 400013, "ProductNotFound", f"Product {product}/{sku} not found.")  # code not verified
    if not req["query"].get("country"):
        raise pc_error(400, 400, "InvalidInput", "The country query parameter is required.")
    return 200, collection([{"id": PLAN_AVAILABILITY, "productId": PLAN_PRODUCT, "skuId": PLAN_SKU,
                             "catalogItemId": PLAN_CATALOG_ITEM, "country": req["query"]["country"].upper(),
                             "segment": "commercial", "isPurchasable": True, "attributes": {"objectType": "Availability"}}])


@route("POST", r"/v1/customers/(?P<cid>[^/]+)/carts")
def create_cart(fake: FakePartnerCenter, req, cid: str):
    record = fake.customer(cid)
    items = (req["json"] or {}).get("lineItems") or []
    if not items or any(i.get("catalogItemId") != PLAN_CATALOG_ITEM for i in items):
        raise pc_error(400, 800002, "InvalidCatalogItem", "The catalog item id is not valid.")  # code not verified
    cart = {"id": str(uuid.uuid4()), "creationTimestamp": now_iso(), "lastModifiedTimestamp": now_iso(),
            "expirationTimestamp": now_iso(), "lastModifiedUser": "app", "status": "Active",
            "lineItems": [dict(i, provisioningContext={}) for i in items], "attributes": {"objectType": "Cart"}}
    record["carts"][cart["id"]] = cart
    return 201, cart


@route("POST", r"/v1/customers/(?P<cid>[^/]+)/carts/(?P<cart>[^/]+)/checkout")
def checkout(fake: FakePartnerCenter, req, cid: str, cart: str):
    record = fake.customer(cid)
    found = record["carts"].get(cart)
    if found is None or found["status"] != "Active":
        raise pc_error(404, 800000, "CartNotFound", f"Cart {cart} not found or already ordered.")  # code not verified
    if not any(a["type"] == "MicrosoftCustomerAgreement" for a in record["agreements"]):
        raise pc_error(400, 800074, "MCANotAccepted", "The customer has not accepted the Microsoft Customer Agreement.")  # not verified
    if any(s["status"] != "deleted" for s in record["subscriptions"]) or record["orders"]:
        raise pc_error(400, 800070, "AzurePlanAlreadyExists", "The customer already has an Azure plan.")  # code not verified
    line = found["lineItems"][0]
    sub_id = str(uuid.uuid4())
    order = {"id": secrets.token_hex(8), "referenceCustomerId": cid, "billingCycle": "one_time", "currencyCode": "USD",
             "creationDate": now_iso(), "status": "completed",
             "lineItems": [{"lineItemNumber": 0, "offerId": PLAN_CATALOG_ITEM, "subscriptionId": sub_id,
                            "friendlyName": line.get("friendlyName"), "quantity": 1}],
             "attributes": {"objectType": "Order"}}
    record["orders"].append(order)
    record["subscriptions"].append({"id": sub_id, "offerId": PLAN_CATALOG_ITEM, "offerName": "Azure plan",
                                    "friendlyName": line.get("friendlyName"), "quantity": 1, "status": "active",
                                    "billingType": "usage", "creationDate": now_iso(), "orderId": order["id"],
                                    "attributes": {"objectType": "Subscription"}})
    record["plan_reads_left"] = fake.plan_subscription_delay
    found["status"] = "Ordered"
    if fake.drop_checkout_response > 0:
        fake.drop_checkout_response -= 1
        raise Drop()
    return 200, {"orders": [order], "orderErrors": [], "attributes": {"objectType": "CartCheckoutResult"}}


@route("GET", r"/v1/customers/(?P<cid>[^/]+)/orders")
def list_orders(fake: FakePartnerCenter, req, cid: str):
    return 200, collection(copy.deepcopy(fake.customer(cid)["orders"]))


@route("GET", r"/v1/customers/(?P<cid>[^/]+)/subscriptions")
def list_subscriptions(fake: FakePartnerCenter, req, cid: str):
    record = fake.customer(cid)
    if record["plan_reads_left"] > 0:  # orders and their subscriptions appear with a delay (up to 15 minutes)
        record["plan_reads_left"] -= 1
        return 200, collection([])
    return 200, collection(copy.deepcopy(record["subscriptions"]))


def user_json(user: dict) -> dict:
    out = {k: v for k, v in user.items() if k != "passwordProfile"}
    out["attributes"] = {"objectType": "CustomerUser"}
    return out


@route("GET POST", r"/v1/customers/(?P<cid>[^/]+)/users")
def customer_users(fake: FakePartnerCenter, req, cid: str):
    record = fake.customer(cid)
    if req["method"] == "GET":
        return 200, collection([user_json(u) for u in record["users"].values()])
    body = req["json"]
    upn = str(body.get("userPrincipalName") or "")
    domain = record["customer"]["companyProfile"]["domain"].lower()
    if not upn.lower().endswith("@" + domain):
        raise pc_error(400, 2000, "InvalidInput", f"The user principal name {upn} is not in the domain {domain}.")  # not verified
    if any(u["userPrincipalName"].lower() == upn.lower() for u in record["users"].values()):
        raise pc_error(409, 40010, "UserAlreadyExists", f"A user with user principal name {upn} already exists.")  # not verified
    password = (body.get("passwordProfile") or {}).get("password") or ""
    if len(password) < 8:
        raise pc_error(400, 40021, "InvalidPassword", "The password does not meet the complexity requirements.")  # not verified
    uid = str(uuid.uuid4())
    user = {"id": uid, "userPrincipalName": upn, "firstName": body.get("firstName"), "lastName": body.get("lastName"),
            "displayName": body.get("displayName"), "usageLocation": body.get("usageLocation"),
            "userDomainType": "none", "state": "active", "lastDirectorySyncTime": None}
    record["users"][uid] = user
    fake.directory[uid] = {"@odata.type": "#microsoft.graph.user", "id": uid, "displayName": user["displayName"],
                           "userPrincipalName": upn}
    return 201, user_json(user)


@route("DELETE", r"/v1/customers/(?P<cid>[^/]+)/users/(?P<uid>[^/]+)")
def delete_user(fake: FakePartnerCenter, req, cid: str, uid: str):
    record = fake.customer(cid)
    if record["users"].pop(uid, None) is None:
        raise pc_error(404, 40001, "UserNotFound", f"User {uid} not found.")  # code not verified
    fake.directory.pop(uid, None)
    return 204, None


# ---------------------------------------------------------------------------------------------------------------------
# Graph routes
# ---------------------------------------------------------------------------------------------------------------------
REL = GRAPH_PREFIX + r"/tenantRelationships/delegatedAdminRelationships"


def _days(value: str):
    match = DURATION_RE.match(value or "")
    if not match or not any(match.groups()):
        return None
    years, weeks, days = (int(g or 0) for g in match.groups())
    return years * 365 + weeks * 7 + days


def relationship_json(rel: dict) -> dict:
    out = {k: copy.deepcopy(v) for k, v in rel.items() if not k.startswith("_")}
    out["@odata.etag"] = rel["_etag"]
    return out


def _relationship(fake: FakePartnerCenter, rid: str) -> dict:
    rel = fake.relationships.get(rid)
    if rel is None:
        raise graph_error(404, "ResourceNotFound", f"The delegated admin relationship '{rid}' was not found.")
    if rel["status"] == "terminationRequested":
        rel["status"] = "terminated"
        rel["_etag"] = f'W/"{secrets.token_hex(8)}"'
    return rel


@route("GET POST", REL)
def relationships(fake: FakePartnerCenter, req, **_):
    if req["method"] == "GET":
        for rid in list(fake.relationships):
            _relationship(fake, rid)
        items = [relationship_json(r) for r in fake.relationships.values()]
        flt = req["query"].get("$filter") or ""
        match = re.match(r"^customer/tenantId eq '([^']+)'$", flt)
        if flt and not match:
            raise graph_error(400, "BadRequest", f"Invalid filter clause: {flt}")
        if match:
            items = [r for r in items if r["customer"]["tenantId"].lower() == match.group(1).lower()]
        return 200, {"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#tenantRelationships/delegatedAdminRelationships",
                     "value": items}
    body = req["json"]
    name = body.get("displayName") or ""
    if not name or len(name) > 50:
        raise graph_error(400, "BadRequest", "displayName is required and must be at most 50 characters.")
    if any(r["displayName"] == name and r["status"] not in ("terminated", "expired") for r in fake.relationships.values()):
        raise graph_error(409, "Conflict", f"A relationship with display name '{name}' already exists.")  # not verified
    days = _days(body.get("duration"))
    if days is None or not 1 <= days <= 730:
        raise graph_error(400, "BadRequest", f"The duration '{body.get('duration')}' must be between P1D and P2Y.")
    customer = body.get("customer") or {}
    if customer.get("tenantId", "").lower() not in fake.customers:
        raise graph_error(400, "BadRequest", f"Customer tenant '{customer.get('tenantId')}' is not a customer of the partner.")
    roles = ((body.get("accessDetails") or {}).get("unifiedRoles")) or []
    unknown = [r.get("roleDefinitionId") for r in roles if str(r.get("roleDefinitionId")).lower() not in GDAP_ROLE_IDS]
    if not roles or unknown:
        raise graph_error(400, "BadRequest", f"Unknown or unsupported role definition ids: {unknown}")
    rid = f"{uuid.uuid4()}-{uuid.uuid4()}"
    rel = {"id": rid, "displayName": name, "duration": body["duration"], "customer": customer,
           "accessDetails": {"unifiedRoles": roles}, "status": "created", "autoExtendDuration": body.get("autoExtendDuration") or "PT0S",
           "createdDateTime": now_iso(), "lastModifiedDateTime": now_iso(), "activatedDateTime": None, "endDateTime": None,
           "_etag": f'W/"{secrets.token_hex(8)}"', "_assignments": {}}
    fake.relationships[rid] = rel
    return 201, relationship_json(rel)


@route("GET DELETE", REL + r"/(?P<rid>[^/]+)")
def relationship(fake: FakePartnerCenter, req, rid: str):
    rel = _relationship(fake, rid)
    if req["method"] == "GET":
        return 200, relationship_json(rel)
    if req["headers"].get("if-match") != rel["_etag"]:
        raise graph_error(412, "PreconditionFailed", "The If-Match header is missing or does not match the current ETag.")
    if rel["status"] != "created":
        raise graph_error(400, "BadRequest", f"A relationship in status '{rel['status']}' cannot be deleted; terminate it.")
    del fake.relationships[rid]
    return 204, None


@route("POST", REL + r"/(?P<rid>[^/]+)/requests")
def relationship_request(fake: FakePartnerCenter, req, rid: str):
    rel = _relationship(fake, rid)
    action = (req["json"] or {}).get("action")
    if action == "lockForApproval":
        if rel["status"] != "created":
            raise graph_error(400, "BadRequest", f"lockForApproval is not allowed in status '{rel['status']}'.")
        rel["status"] = "approvalPending"
    elif action == "terminate":
        if rel["status"] != "active":
            raise graph_error(400, "BadRequest", f"terminate is not allowed in status '{rel['status']}'.")
        rel["status"] = "terminationRequested"
    else:
        raise graph_error(400, "BadRequest", f"Unknown action '{action}'; use lockForApproval or terminate.")
    rel["lastModifiedDateTime"] = now_iso()
    rel["_etag"] = f'W/"{secrets.token_hex(8)}"'
    return 201, {"id": str(uuid.uuid4()), "action": action, "status": "created", "createdDateTime": now_iso(),
                 "lastModifiedDateTime": now_iso()}


@route("GET POST", REL + r"/(?P<rid>[^/]+)/accessAssignments")
def access_assignments(fake: FakePartnerCenter, req, rid: str):
    rel = _relationship(fake, rid)
    if req["method"] == "GET":
        return 200, {"value": [copy.deepcopy(a) for a in rel["_assignments"].values()]}
    if rel["status"] != "active":
        raise graph_error(400, "BadRequest", f"Access assignments can only be created when the relationship is active; "
                                             f"it is '{rel['status']}'.")  # code not verified
    body = req["json"]
    container = body.get("accessContainer") or {}
    gid = str(container.get("accessContainerId") or "")
    group = fake.directory.get(gid.lower())
    if group is None or group["@odata.type"] != "#microsoft.graph.group":
        raise graph_error(400, "BadRequest", f"The access container '{gid}' is not a security group of the partner tenant.")
    roles = ((body.get("accessDetails") or {}).get("unifiedRoles")) or []
    granted = {r["roleDefinitionId"].lower() for r in rel["accessDetails"]["unifiedRoles"]}
    extra = [r.get("roleDefinitionId") for r in roles if str(r.get("roleDefinitionId")).lower() not in granted]
    if not roles or extra:
        raise graph_error(400, "BadRequest", f"Roles {extra} are not part of the relationship.")
    aid = str(uuid.uuid4())
    assignment = {"id": aid, "accessContainer": {"accessContainerId": gid, "accessContainerType": "securityGroup"},
                  "accessDetails": {"unifiedRoles": roles}, "status": "active", "createdDateTime": now_iso(),
                  "lastModifiedDateTime": now_iso(), "@odata.etag": f'W/"{secrets.token_hex(8)}"'}
    rel["_assignments"][aid] = assignment
    return 201, copy.deepcopy(assignment)


@route("POST", GRAPH_PREFIX + r"/directoryObjects/getByIds")
def get_by_ids(fake: FakePartnerCenter, req, **_):
    body = req["json"]
    ids = body.get("ids") or []
    if len(ids) > 1000:
        raise graph_error(400, "Request_BadRequest", "At most 1000 ids per request.")
    types = {f"#microsoft.graph.{t}".lower() for t in body.get("types") or []}
    out = []
    for oid in ids:
        obj = fake.directory.get(str(oid).lower())
        if obj and (not types or obj["@odata.type"].lower() in types):
            out.append(copy.deepcopy(obj))
    return 200, {"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#directoryObjects", "value": out}


@route("GET", GRAPH_PREFIX + r"/groups/(?P<gid>[^/]+)")
def get_group(fake: FakePartnerCenter, req, gid: str):
    obj = fake.directory.get(gid.lower())
    if obj is None or obj["@odata.type"] != "#microsoft.graph.group":
        raise graph_error(404, "Request_ResourceNotFound", f"Resource '{gid}' does not exist or one of its queried "
                                                           "reference-property objects are not present.")
    return 200, copy.deepcopy(obj)


# ---------------------------------------------------------------------------------------------------------------------
# Admin (test switches)
# ---------------------------------------------------------------------------------------------------------------------
def admin(fake: FakePartnerCenter, method: str, action: str, body: dict):
    parts = action.strip("/").split("/")
    if parts == ["state"]:
        return 200, dump_state(fake)
    if parts == ["log"]:
        return 200, {"requests": list(fake.log)}
    if parts == ["log", "reset"]:
        fake.log.clear()
        return 200, {}
    if parts == ["config"]:
        if "throttle" in body:
            fake.throttle = dict(fake.throttle, **body["throttle"])
        for key in ("drop_checkout_response", "plan_subscription_delay"):
            if key in body:
                setattr(fake, key, int(body[key]))
        if "other_partner_domains" in body:
            fake.other_partner_domains = {d.lower() for d in body["other_partner_domains"]}
        return 200, {}
    if parts == ["groups"]:
        return 200, {"id": fake.add_group(body.get("display_name") or "group")}
    if parts == ["directory"]:
        return 200, {"id": fake.add_directory_object(body["odata_type"], body.get("display_name") or "object")}
    if len(parts) == 3 and parts[0] == "relationships" and parts[2] in ("approve", "expire"):
        rel = _relationship(fake, parts[1])
        if parts[2] == "approve":
            if rel["status"] != "approvalPending":
                raise graph_error(400, "BadRequest", f"not pending: {rel['status']}")
            rel.update(status="active", activatedDateTime=now_iso())
        else:
            rel["status"] = "expired"
        rel["_etag"] = f'W/"{secrets.token_hex(8)}"'
        return 200, relationship_json(rel)
    raise graph_error(404, "NotFound", f"Unknown admin action {action!r}.")


def dump_state(fake: FakePartnerCenter) -> dict:
    customers = {}
    for cid, record in fake.customers.items():
        customers[cid] = {"domain": record["customer"]["companyProfile"]["domain"],
                          "company_name": record["customer"]["companyProfile"]["companyName"],
                          "agreements": copy.deepcopy(record["agreements"]), "orders": copy.deepcopy(record["orders"]),
                          "subscriptions": copy.deepcopy(record["subscriptions"]),
                          "carts": len(record["carts"]),
                          "users": sorted(u["userPrincipalName"] for u in record["users"].values())}
    return {"partner_tenant_id": fake.partner_tenant_id, "billing_account": fake.billing_account, "customers": customers,
            "relationships": [relationship_json(r) for r in fake.relationships.values()],
            "assignments": {rid: list(r["_assignments"].values()) for rid, r in fake.relationships.items()}}


# ---------------------------------------------------------------------------------------------------------------------
# HTTP plumbing
# ---------------------------------------------------------------------------------------------------------------------
class Handler(arm_http.Handler):
    """The ARM endpoint's HTTP plumbing (TLS handshake, verbs) with Partner Center / Graph dispatch and answers."""

    server_version = "LocalPartnerCenter/1.0"

    def _handle(self, method: str) -> None:
        fake: FakePartnerCenter = self.server.fake
        parts = urlsplit(self.path)
        path = unquote(parts.path).rstrip("/") or "/"
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        response_headers = {"MS-CorrelationId": headers.get("ms-correlationid") or str(uuid.uuid4()),
                            "MS-RequestId": headers.get("ms-requestid") or str(uuid.uuid4())}
        with fake.lock:
            try:
                if path.startswith("/_admin/"):
                    status, body = admin(fake, method, path[len("/_admin/"):], json.loads(raw or b"{}"))
                else:
                    status, body = self._dispatch(fake, method, path, query, headers, raw)
                    fake.log.append({"method": method, "path": path, "status": status,
                                     "request_id": headers.get("ms-requestid"), "correlation_id": headers.get("ms-correlationid")})
            except Drop:
                fake.log.append({"method": method, "path": path, "status": None, "request_id": headers.get("ms-requestid"),
                                 "correlation_id": headers.get("ms-correlationid"), "dropped": True})
                self.close_connection = True
                try:
                    self.request.shutdown(2)
                except OSError:
                    pass
                return
            except ServiceError as exc:
                status, body = exc.status, exc.body
                response_headers.update(exc.headers)
                if not path.startswith("/_admin/"):
                    fake.log.append({"method": method, "path": path, "status": status,
                                     "request_id": headers.get("ms-requestid"), "correlation_id": headers.get("ms-correlationid")})
        self._reply(method, status, body, response_headers)

    def _dispatch(self, fake, method, path, query, headers, raw):
        if fake.throttle["count"] > 0 and fake.throttle.get("method") in (None, method):
            fake.throttle["count"] -= 1
            graph = path.startswith(GRAPH_PREFIX)
            error = graph_error(429, "TooManyRequests", "Too many requests.") if graph else pc_error(
                429, 429, "TooManyRequests", "Rate limit is exceeded. Try again later.")
            error.headers = {"Retry-After": str(fake.throttle["retry_after"])}
            raise error
        self._authenticate(fake, headers, path.startswith(GRAPH_PREFIX))
        key = (headers.get("ms-requestid"), method, path)
        if method in ("POST", "PATCH", "DELETE") and key[0] and key in fake.replays:
            return fake.replays[key]
        matched = False
        for methods, regex, func in ROUTES:
            match = regex.match(path)
            if not match:
                continue
            matched = True
            if method not in methods:
                continue
            body = {}
            if raw:
                try:
                    body = json.loads(raw)
                except ValueError as exc:
                    raise pc_error(400, 400, "InvalidInput", f"The request body is not JSON: {exc}") from exc
            req = {"method": method, "query": query, "headers": headers, "json": body}
            try:
                result = func(fake, req, **match.groupdict())
            except ServiceError as exc:
                if method != "GET" and key[0] and exc.status < 500:
                    fake.replays[key] = (exc.status, exc.body)
                raise
            if method in ("POST", "PATCH", "DELETE") and key[0]:
                fake.replays[key] = result
            return result
        if matched:
            raise pc_error(405, 405, "MethodNotAllowed", f"The requested resource does not support http method '{method}'.")
        if path.startswith(GRAPH_PREFIX):
            raise graph_error(400, "BadRequest", f"Resource not found for the segment in '{path}'.")
        raise pc_error(404, 404, "NotFound", f"No route for '{method} {path}' in the local Partner Center endpoint.")

    @staticmethod
    def _authenticate(fake, headers, graph: bool) -> None:
        auth = headers.get("authorization", "")
        token = fake.arm.tokens.get(auth[7:].strip()) if auth.lower().startswith("bearer ") else None
        import time  # pylint: disable=import-outside-toplevel
        if token is None or token["expires"] < time.time():
            if graph:
                raise graph_error(401, "InvalidAuthenticationToken", "Access token is empty or invalid.")
            raise pc_error(401, 401, "Unauthorized", "The access token is missing, invalid or expired.")

    def _reply(self, method: str, status: int, body, headers: dict) -> None:
        data = b"" if body is None else json.dumps(body).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(0 if method == "HEAD" else len(data)))
        self.end_headers()
        if method != "HEAD" and data:
            self.wfile.write(data)


class LocalPartnerCenterServer(arm_http.LocalArmServer):
    """HTTPS server around a :class:`FakePartnerCenter`, sharing an in-process ARM endpoint's fake and certificate."""

    def __init__(self, arm_server, port: int = 0):  # pylint: disable=super-init-not-called
        # start()/stop() are the ARM server's; the state (fake, certificate) comes from the running ARM server.
        self._tmp = None
        self.fake = FakePartnerCenter(arm_server.fake)
        cert_file = f"{arm_server.state_dir}/arm-server.pem"
        key_file = f"{arm_server.state_dir}/arm-server.key"
        self.ca_bundle = arm_server.ca_bundle
        self.httpd = arm_http._Server(("127.0.0.1", port), Handler)  # pylint: disable=protected-access
        self.httpd.fake = self.fake
        self.httpd.verbose = False
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert_file, key_file)
        self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True, do_handshake_on_connect=False)
        self.port = self.httpd.server_address[1]
        self.base_url = f"https://127.0.0.1:{self.port}"
        self._thread = None
