"""Start, stop and steer the local ARM endpoint (``tests/arm/server.py``) from tests and demos.

``LocalArmEndpoint`` runs the server on a free 127.0.0.1 port, in this process (a thread, the default) or as a child
process (``python -m tests.arm.server``), and talks to it only over HTTPS - the same way whatever the mode:

    with LocalArmEndpoint() as arm:
        os.environ.update(arm.env())                     # CA bundle, managed-identity endpoint, subscription
        run_module("asr_vault", {**arm.module_args(), "resource_group": "rg1", ...})
        arm.set_vault_contents("rg1", "vault1", fabrics=[{"name": "cs01"}])
        arm.writes()                                     # ARM write requests seen so far

The modules know nothing about it beyond ``cloud_environment: <base_url>`` (and the standard managed-identity
environment variables).
"""
from __future__ import annotations

import http.client
import json
import os
import ssl
import subprocess
import sys
import tempfile
import time
from urllib.parse import quote

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
WRITE_METHODS = ("PUT", "PATCH", "DELETE", "POST")


class LocalArmEndpoint:
    """A running local ARM endpoint and helpers to inspect and steer it."""

    def __init__(self, lro_polls: int = 1, registration_polls: int = 1, use_subprocess: bool = False, verbose: bool = False):
        self.lro_polls = lro_polls
        self.registration_polls = registration_polls
        self.use_subprocess = use_subprocess
        self.verbose = verbose
        self._server = None
        self._process = None
        self._tmp = None
        self.base_url = None
        self.ca_bundle = None
        self.port = None
        self._info = {}

    @classmethod
    def attach(cls, base_url: str, ca_bundle: str, port: int) -> "LocalArmEndpoint":
        """An endpoint started by another process (a running lab: ``lab.json``'s ``arm``), for its admin API only."""
        endpoint = cls()
        endpoint.base_url, endpoint.ca_bundle, endpoint.port = base_url, ca_bundle, int(port)
        return endpoint

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> "LocalArmEndpoint":
        if self.use_subprocess:
            self._start_process()
        else:
            from tests.arm.server import LocalArmServer  # pylint: disable=import-outside-toplevel
            self._server = LocalArmServer(verbose=self.verbose, lro_polls=self.lro_polls,
                                          registration_polls=self.registration_polls).start()
            self.base_url, self.ca_bundle, self.port = self._server.base_url, self._server.ca_bundle, self._server.port
        self.admin("POST", "config", {"lro_polls": self.lro_polls, "registration_polls": self.registration_polls})
        self._info = self.state()
        return self

    def _start_process(self) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="local-arm-")
        port_file = os.path.join(self._tmp.name, "port")
        cmd = [sys.executable, "-m", "tests.arm.server", "--port", "0", "--port-file", port_file,
               "--state-dir", self._tmp.name, "--lro-polls", str(self.lro_polls)]
        if self.verbose:
            cmd.append("--verbose")
        env = dict(os.environ, PYTHONPATH=REPO_ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
        self._process = subprocess.Popen(cmd, cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE,  # pylint: disable=consider-using-with
                                         stderr=None if self.verbose else subprocess.DEVNULL, text=True)
        deadline = time.monotonic() + 30
        while not os.path.exists(port_file):
            if self._process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the local ARM endpoint did not start")
            time.sleep(0.05)
        info = json.loads(self._process.stdout.readline())
        self.base_url, self.ca_bundle = info["base_url"], info["ca_bundle"]
        with open(port_file, encoding="utf-8") as handle:
            self.port = int(handle.read())

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            if self._process.stdout:
                self._process.stdout.close()
            self._process = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> "LocalArmEndpoint":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # ------------------------------------------------------------------ what a module process needs
    @property
    def subscription_id(self) -> str:
        return self._info["default_subscription"]

    @property
    def tenant_id(self) -> str:
        return self._info["tenant_id"]

    @property
    def msi_object_id(self) -> str:
        return self._info["msi"]["object_id"]

    def env(self) -> dict:
        """Environment of a module process: trust the endpoint's CA and use its managed-identity endpoint."""
        return {
            "REQUESTS_CA_BUNDLE": self.ca_bundle,
            "SSL_CERT_FILE": self.ca_bundle,
            "IDENTITY_ENDPOINT": self.base_url + "/msi/token",
            "IDENTITY_HEADER": self._info["identity_header"],
            "AZURE_SUBSCRIPTION_ID": self.subscription_id,
            "AZURE_CLOUD_ENVIRONMENT": self.base_url,
        }

    def module_args(self, auth: str = "msi", polling_interval: float = 0.01, **extra) -> dict:
        """Connection options for a module; ``auth='service_principal'`` also needs ``client_id``/``secret`` in extra."""
        args = {"cloud_environment": self.base_url, "subscription_id": self.subscription_id, "auth_source": auth,
                "polling_interval": polling_interval}
        if auth == "service_principal":
            args["tenant"] = self.tenant_id
        args.update(extra)
        return args

    # ------------------------------------------------------------------ admin API
    def admin(self, method: str, action: str, body: dict | None = None) -> dict:
        context = ssl.create_default_context(cafile=self.ca_bundle)
        conn = http.client.HTTPSConnection("127.0.0.1", self.port, context=context, timeout=30)
        try:
            payload = json.dumps(body).encode() if body is not None else None
            conn.request(method, "/_admin/" + action, body=payload, headers={"Content-Type": "application/json"})
            response = conn.getresponse()
            data = json.loads(response.read() or b"{}")
            if response.status != 200:
                raise RuntimeError(f"admin {action} failed: {response.status} {data}")
            return data
        finally:
            conn.close()

    def state(self) -> dict:
        """Everything the endpoint holds (subscriptions, resource groups, vaults, role assignments, ...)."""
        return self.admin("GET", "state")

    def subscription_state(self, subscription_id: str | None = None) -> dict:
        return self.state()["subscriptions"][subscription_id or self.subscription_id]

    def requests_log(self) -> list:
        """Every ARM/identity request so far: ``{"method", "path", "status", "api_version", "principal"}``."""
        return self.admin("GET", "log")["requests"]

    def writes(self) -> list:
        """ARM write requests (PUT/PATCH/DELETE/POST, token endpoints excluded)."""
        return [r for r in self.requests_log() if r["method"] in WRITE_METHODS and "/oauth2/" not in r["path"]]

    def reset_log(self) -> None:
        self.admin("POST", "log/reset", {})

    def configure(self, **settings) -> None:
        """lro_polls, registration_polls, retry_after, directory (known object ids), reserved_vault_names,
        racing_role_assignment_puts (the next N role assignment PUTs find the same assignment just made by another writer)."""
        self.admin("POST", "config", settings)

    def add_subscription(self, rp_registered: bool = True, grant_owner: bool = True, vault_quota: int | None = None,
                         subscription_id: str | None = None) -> str:
        return self.admin("POST", "subscriptions", {"subscription_id": subscription_id, "rp_registered": rp_registered,
                                                    "grant_owner": grant_owner, "vault_quota": vault_quota})["subscription_id"]

    def set_subscription_state(self, state: str, subscription_id: str | None = None) -> None:
        """Enabled, Warned, PastDue, Disabled or Deleted; a subscription not Enabled refuses writes (tests/arm/preflight_routes.py)."""
        self.admin("POST", f"preflight/subscriptions/{subscription_id or self.subscription_id}/state", {"state": state})

    def set_vault_quota(self, quota: int | None, subscription_id: str | None = None) -> None:
        self.admin("POST", f"subscriptions/{subscription_id or self.subscription_id}/quota", {"vault_quota": quota})

    def reserve_vault_names(self, *names: str) -> None:
        self.configure(reserved_vault_names=list(names))

    def add_service_principal(self, secret: str | None = None, certificate_pem: str | None = None, role: str | None = "Owner") -> dict:
        """Register an application (client id, object id) that can sign in with a secret and/or a certificate."""
        return self.admin("POST", "service_principals", {"secret": secret, "certificate_pem": certificate_pem, "role": role})

    def add_user_assigned_identity(self) -> dict:
        return self.admin("POST", "user_assigned_identities", {})

    def set_access(self, object_id: str, role: str | None, subscription_id: str | None = None, scope: str | None = None) -> None:
        """Give ``object_id`` exactly one built-in ``role`` (Owner, Contributor, Reader, ...) or none at all."""
        self.admin("POST", "access", {"object_id": object_id, "role": role, "subscription_id": subscription_id, "scope": scope})

    def set_vault_contents(self, resource_group: str, vault: str, fabrics=(), protected_items: int = 0, recovery_plans: int = 0,
                           backup_items: int = 0, backup_servers: int = 0, subscription_id: str | None = None) -> None:
        """Put registered servers/fabrics/items into a vault. ``fabrics``: ``{"name", "type", "registered_servers", "protected_items"}``."""
        sub = subscription_id or self.subscription_id
        self.admin("POST", f"vaults/{sub}/{quote(resource_group)}/{quote(vault)}/contents",
                   {"fabrics": list(fabrics), "protected_items": protected_items, "recovery_plans": recovery_plans,
                    "backup_items": backup_items, "backup_servers": backup_servers})

    def issue_token(self, object_id: str | None = None) -> str:
        return self.admin("POST", "tokens", {"object_id": object_id})["access_token"]

    # ------------------------------------------------------------------ Site Recovery (tests/arm/site_recovery.py)
    def _vault_path(self, resource_group: str, vault: str, subscription_id: str | None = None) -> str:
        return f"siterecovery/{subscription_id or self.subscription_id}/{quote(resource_group)}/{quote(vault)}"

    def add_fabric(self, resource_group: str, vault: str, name: str, fabric_type: str = "VMware",
                   subscription_id: str | None = None, **details) -> dict:
        """Register a configuration server (``VMware``) or replication appliance (``InMageRcm``) fabric, as the installer
        does. ``details``: host_name, ip_address, process_servers [{name, ip_address}], run_as_accounts [names],
        containers [{name, protectable: [{name, vcenter}]}], vmware_site {name, machines: [{name, vcenter}]}."""
        return self.admin("POST", self._vault_path(resource_group, vault, subscription_id) + "/fabrics",
                          dict(details, name=name, type=fabric_type))

    def add_protected_items(self, resource_group: str, vault: str, fabric: str, container: str, items, policy: str | None = None,
                            subscription_id: str | None = None) -> None:
        """Protect VMs (by name) in a container, as enabling replication in the portal would."""
        self.admin("POST", self._vault_path(resource_group, vault, subscription_id) + "/protected",
                   {"fabric": fabric, "container": container, "items": list(items), "policy": policy})

    def site_recovery_state(self, resource_group: str, vault: str, subscription_id: str | None = None) -> dict:
        """Fabrics (vCenters, containers with mappings and protected items), policies and jobs of a vault."""
        return self.admin("GET", self._vault_path(resource_group, vault, subscription_id))

    def set_vault_provisioning_state(self, resource_group: str, vault: str, state: str) -> None:
        self.admin("POST", self._vault_path(resource_group, vault) + "/state", {"provisioning_state": state})

    def set_subscription_state(self, state: str, subscription_id: str | None = None) -> None:
        """Enabled, Warned, PastDue, Disabled or Deleted (``GET /subscriptions/{id}`` answers it)."""
        self.admin("POST", f"siterecovery/subscriptions/{subscription_id or self.subscription_id}/state", {"state": state})

    def fail_site_recovery_jobs(self, **counts: int) -> None:
        """Make the next N jobs of a kind fail (policy_delete=1, vcenter_create=1, mapping_remove=1, ...)."""
        self.admin("POST", "siterecovery/config", {"fail_jobs": counts})
