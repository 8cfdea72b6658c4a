"""Start and steer the local Partner Center + Graph endpoint (``tests/partner_center/server.py``) next to an
in-process local ARM endpoint, over HTTPS only:

    with LocalArmEndpoint() as arm, LocalPartnerCenterEndpoint(arm) as pc:
        app = pc.add_application()                 # partner application (client id + secret) signing in at ARM
        run_module("csp_customer", {**pc.module_args(app), "domain": "contoso.onmicrosoft.com", ...})
        pc.writes()                                # Partner Center / Graph writes seen so far
"""
from __future__ import annotations

import secrets

from tests.arm.controller import LocalArmEndpoint

WRITE_METHODS = ("PUT", "PATCH", "DELETE", "POST")
READ_ONLY_POSTS = ("/v1/validations/address", "/v1.0/directoryObjects/getByIds")


class LocalPartnerCenterEndpoint:
    def __init__(self, arm):
        self.arm = arm
        self._server = None
        self.base_url = None
        self.port = None

    def start(self) -> "LocalPartnerCenterEndpoint":
        from tests.partner_center.server import LocalPartnerCenterServer  # pylint: disable=import-outside-toplevel
        if getattr(self.arm, "_server", None) is None:
            raise RuntimeError("the local Partner Center endpoint needs an in-process local ARM endpoint")
        self._server = LocalPartnerCenterServer(self.arm._server).start()  # pylint: disable=protected-access
        self.base_url, self.port = self._server.base_url, self._server.port
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def billing_account(self) -> str:
        return self.state()["billing_account"]

    def add_application(self) -> dict:
        """A partner application (service principal in the partner tenant) with a client secret."""
        secret = secrets.token_urlsafe(24)
        app = self.arm.add_service_principal(secret=secret)
        return dict(app, secret=secret)

    def module_args(self, app: dict, **extra) -> dict:
        args = {"partner_tenant": self.arm.tenant_id, "partner_client_id": app["client_id"], "partner_secret": app["secret"],
                "cloud_environment": self.arm.base_url, "partner_center_url": self.base_url,
                "graph_url": self.base_url, "max_retry_wait": 5}
        args.update(extra)
        return args

    def env(self, app: dict) -> dict:
        """What the AWX credential type injects."""
        return {"PARTNER_CENTER_TENANT": self.arm.tenant_id, "PARTNER_CENTER_CLIENT_ID": app["client_id"],
                "PARTNER_CENTER_SECRET": app["secret"], "PARTNER_CENTER_URL": self.base_url,
                "MICROSOFT_GRAPH_URL": self.base_url}

    @property
    def ca_bundle(self) -> str:
        return self.arm.ca_bundle

    def admin(self, method: str, action: str, body: dict | None = None) -> dict:
        """The test switches under ``/_admin/`` (the ARM endpoint controller's client, pointed at this port)."""
        return LocalArmEndpoint.admin(self, method, action, body)  # type: ignore[arg-type]

    def state(self) -> dict:
        return self.admin("GET", "state")

    def requests_log(self) -> list:
        return self.admin("GET", "log")["requests"]

    def writes(self) -> list:
        """Write requests (POST/PATCH/DELETE) other than the read-only POSTs (address validation, getByIds)."""
        return [r for r in self.requests_log() if r["method"] in WRITE_METHODS and r["path"] not in READ_ONLY_POSTS]

    def reset_log(self) -> None:
        self.admin("POST", "log/reset")

    def configure(self, **settings) -> None:
        """throttle={"count", "retry_after"}, drop_checkout_response, plan_subscription_delay, other_partner_domains."""
        self.admin("POST", "config", settings)

    def add_group(self, display_name: str) -> str:
        return self.admin("POST", "groups", {"display_name": display_name})["id"]

    def add_directory_object(self, odata_type: str, display_name: str = "object") -> str:
        return self.admin("POST", "directory", {"odata_type": odata_type, "display_name": display_name})["id"]

    def approve(self, relationship_id: str) -> dict:
        """The customer opens the approval link and approves the GDAP relationship."""
        return self.admin("POST", f"relationships/{relationship_id}/approve")
