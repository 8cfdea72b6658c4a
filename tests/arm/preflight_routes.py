"""Routes of the local ARM endpoint that the preflight checks read (registered by the last line of server.py).

* ``GET /subscriptions/{subscriptionId}`` - Subscriptions - Get (Microsoft.Resources, api-version 2022-12-01): id,
  subscriptionId, tenantId, displayName, ``state`` (Enabled, Warned, PastDue, Disabled, Deleted), subscriptionPolicies,
  authorizationSource; 404 ``SubscriptionNotFound`` for an unknown subscription.
* A subscription that is not Enabled is read-only, as in Azure: every PUT/PATCH/DELETE/POST under it is answered
  409 ``ReadOnlyDisabledSubscription`` (ARM's message, "The subscription ... is disabled and therefore marked as read
  only. You cannot perform any write actions on this subscription until it is re-enabled."); reads still work.
* Test-only: ``POST /_admin/preflight/subscriptions/{id}/state`` ``{"state": "Disabled"}`` sets the state
  (``LocalArmEndpoint.set_subscription_state``).

Provider resource types with their locations (``GET .../providers/Microsoft.RecoveryServices``) are already served by
server.py.
"""
from __future__ import annotations

import functools
import re
import sys

# The module that imports this one: tests.arm.server, or __main__ when the server runs as ``python -m tests.arm.server``.
server = sys.modules.get("tests.arm.server") or sys.modules["__main__"]

SUBSCRIPTION_STATES = ("Enabled", "Warned", "PastDue", "Disabled", "Deleted")
_SUB_PATH = re.compile(r"^/subscriptions/([^/]+)(/|$)", re.IGNORECASE)


def _state(sub: dict) -> str:
    return sub.get("state", "Enabled")


def subscription_json(fake, sub: dict) -> dict:
    return {
        "id": f"/subscriptions/{sub['id']}",
        "subscriptionId": sub["id"],
        "tenantId": fake.tenant_id,
        "displayName": sub.get("display_name") or f"CSP subscription {sub['id'][:8]}",
        "state": _state(sub),
        "subscriptionPolicies": {"locationPlacementId": "Public_2014-09-01", "quotaId": "CSP_2015-05-01",
                                 "spendingLimit": "Off"},
        "authorizationSource": "RoleBased",
        "managedByTenants": [],
        "tags": {},
    }


def _read_only_guard(func):
    """Refuse writes in a subscription that is not Enabled (reads pass)."""
    @functools.wraps(func)
    def wrapper(req, **kwargs):
        if req.method in ("PUT", "PATCH", "DELETE", "POST"):
            match = _SUB_PATH.match(req.path)
            sub = req.fake.subscriptions.get(match.group(1).lower()) if match else None
            if sub is not None and _state(sub) != "Enabled":
                raise server.ArmError(409, "ReadOnlyDisabledSubscription",
                                      f"The subscription '{sub['id']}' is disabled and therefore marked as read only. You "
                                      "cannot perform any write actions on this subscription until it is re-enabled.")
        return func(req, **kwargs)
    return wrapper


def get_subscription(req, sub: str):
    s = req.fake._subscription(sub)  # pylint: disable=protected-access  # 404 SubscriptionNotFound
    req.authorize(s, f"/subscriptions/{s['id']}", "Microsoft.Resources/subscriptions/read")
    return server.Response(200, subscription_json(req.fake, s))


def admin_subscription_state(req, sub: str):
    body = req.json()
    state = body.get("state")
    if state not in SUBSCRIPTION_STATES:
        raise server.ArmError(400, "InvalidState", f"state must be one of {', '.join(SUBSCRIPTION_STATES)}, got {state!r}")
    req.fake._subscription(sub)["state"] = state  # pylint: disable=protected-access
    return server.Response(200, {"subscription_id": sub, "state": state})


def register() -> None:
    """Wrap the existing ARM routes with the read-only guard and put the new routes first (before ``/_admin/...``)."""
    if getattr(server, "_preflight_routes", False):
        return
    server.ROUTES[:] = [(methods, regex, arm, _read_only_guard(func) if arm else func)
                        for methods, regex, arm, func in server.ROUTES]
    server.ROUTES.insert(0, ({"POST"}, re.compile(r"^/_admin/preflight/subscriptions/(?P<sub>[^/]+)/state$", re.IGNORECASE),
                             False, admin_subscription_state))
    server.ROUTES.insert(1, ({"GET"}, re.compile("^" + server.SUB + "$", re.IGNORECASE), True,
                             _read_only_guard(get_subscription)))
    server._preflight_routes = True  # pylint: disable=protected-access


register()
