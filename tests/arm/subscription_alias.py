"""Subscription aliases on the local ARM endpoint: ``/providers/Microsoft.Subscription/aliases/{aliasName}``.

api-version 2021-10-01 (azure-rest-api-specs ``specification/subscription/resource-manager/Microsoft.Subscription/
stable/2021-10-01``, examples ``createAlias.json`` / ``getAlias.json``; azure-mgmt-subscription 3.1.1):

* PUT with ``{"properties": {"displayName", "workload", "billingScope"}}`` answers **201** with
  ``provisioningState: Accepted``; the SDK's poller GETs the alias until ``Succeeded`` (``FakeArm.lro_polls``
  answers in between), and the GET then carries the new ``subscriptionId``. A PUT of an existing alias answers 200
  with it (the same subscription) - which is what makes a deterministic alias name idempotent.
* The subscription is made for real in the fake (``FakeArm.add_subscription``, resource providers not registered,
  the partner's applications Owner) so that a vault can be created in it next.
* Billing scope ``/billingAccounts/{MPA account}/customers/{customerId}`` is checked against the local Partner
  Center endpoint when one is attached (``fake.partner_center``): unknown account or customer, or a customer
  without an Azure plan, answer 400 ``InvalidBillingScope`` (code not verified).
"""
from __future__ import annotations

import re
import uuid

from tests.arm.server import ArmError, Response, route, iso, utcnow

ALIAS = r"/providers/microsoft\.subscription/aliases/(?P<alias>[^/]+)"
SCOPE_RE = re.compile(r"^/billingAccounts/(?P<account>[^/]+)/customers/(?P<customer>[^/]+)$", re.IGNORECASE)
WORKLOADS = ("Production", "DevTest")


def _aliases(fake) -> dict:
    if not hasattr(fake, "subscription_aliases"):
        fake.subscription_aliases = {}
    return fake.subscription_aliases


def alias_json(record: dict) -> dict:
    props = {"subscriptionId": record["subscription_id"] if record["state"] == "Succeeded" else None,
             "provisioningState": record["state"], "displayName": record["display_name"],
             "billingScope": record["billing_scope"], "workload": record["workload"], "createdTime": record["created"]}
    return {"id": f"/providers/Microsoft.Subscription/aliases/{record['name']}", "name": record["name"],
            "type": "Microsoft.Subscription/aliases", "properties": props,
            "systemData": {"createdAt": record["created"], "createdByType": "Application"}}


def _check_billing_scope(fake, scope: str) -> None:
    match = SCOPE_RE.match(scope or "")
    if not match:
        raise ArmError(400, "InvalidBillingScope", f"The billing scope '{scope}' is not valid.")
    partner = getattr(fake, "partner_center", None)
    if partner is None:
        return
    if match.group("account") != partner.billing_account:
        raise ArmError(400, "InvalidBillingScope", f"Billing account '{match.group('account')}' is not found or the "
                                                   "caller has no access to it.")
    record = partner.customers.get(match.group("customer").lower())
    if record is None:
        raise ArmError(400, "InvalidBillingScope", f"Customer '{match.group('customer')}' is not found in billing account "
                                                   f"'{match.group('account')}'.")
    if not any(str(s.get("offerId", "")).startswith("DZH318Z0BPS6:0001") and s["status"] == "active"
               for s in record["subscriptions"]):
        raise ArmError(400, "InvalidBillingScope", f"Customer '{match.group('customer')}' has no active Azure plan.")


def _advance(fake, record: dict) -> None:
    if record["state"] != "Accepted":
        return
    if record["polls_left"] > 0:
        record["polls_left"] -= 1
        return
    fake.add_subscription(record["subscription_id"], rp_registered=False, grant_owner=True)
    fake.subscriptions[record["subscription_id"].lower()]["display_name"] = record["display_name"]
    record["state"] = "Succeeded"


@route("GET PUT DELETE", ALIAS)
def subscription_alias(req, alias: str):
    fake = req.fake
    aliases = _aliases(fake)
    record = aliases.get(alias.lower())
    if req.method == "GET":
        if record is None:
            raise ArmError(404, "NotFound", f"Alias '{alias}' not found.")
        _advance(fake, record)
        return Response(200, alias_json(record))
    if req.method == "DELETE":
        # Deletes the alias only; the subscription stays (as in Azure).
        if aliases.pop(alias.lower(), None) is None:
            return Response(204)
        return Response(200)
    props = req.json().get("properties") or {}
    if record is not None:
        if (props.get("billingScope") or "").lower() != record["billing_scope"].lower():
            raise ArmError(409, "Conflict", f"Alias '{alias}' already exists with another billing scope.")  # not verified
        _advance(fake, record)
        return Response(200, alias_json(record))
    name = props.get("displayName") or ""
    if not name or len(name) > 64:
        raise ArmError(400, "InvalidSubscriptionDisplayName", "The subscription display name must be 1 to 64 characters.")
    workload = props.get("workload") or "Production"
    if workload not in WORKLOADS:
        raise ArmError(400, "InvalidWorkload", f"Workload '{workload}' is not one of {', '.join(WORKLOADS)}.")
    _check_billing_scope(fake, props.get("billingScope"))
    record = {"name": alias, "display_name": name, "workload": workload, "billing_scope": props["billingScope"],
              "subscription_id": str(uuid.uuid4()), "state": "Accepted", "polls_left": fake.lro_polls,
              "created": iso(utcnow())}
    aliases[alias.lower()] = record
    return Response(201, alias_json(record))
