"""The lab: vCenter simulators and a local ARM endpoint for the tenants of an inventory, plus the overlay inventory.

    with Lab(["inventories/sample"]) as lab:
        subprocess.run(["ansible-playbook", "playbooks/onboard_tenant.yml"], env=lab.env(), check=True)

``Lab.env()`` is the environment a command run inside the lab gets (``run_in_lab`` uses it): the AWX-style
credential variables, the ARM endpoint's variables, ``ANSIBLE_INVENTORY`` (the base inventories plus the overlay,
so ``ansible-playbook`` finds the tenants without ``-i``), ``ANSIBLE_COLLECTIONS_PATH`` (the checkout) and
``TENANTDR_LAB`` (the path of ``lab.json``, which describes the running lab for verification scripts) and
``TENANTDR_LAB_INVENTORY`` (the overlay inventory directory).
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DEFAULT_INVENTORIES = (os.path.join(REPO_ROOT, "inventories", "sample"),)
DEFAULT_WORKDIR = os.path.join(REPO_ROOT, ".build", "lab")
TOPOLOGIES = ("shared_hsp", "dedicated_hsp", "msp")
# Azure variables of the developer's shell must not leak into the lab (they would point the modules at real Azure).
AZURE_ENV = ("AZURE_CLIENT_ID", "AZURE_SECRET", "AZURE_TENANT", "AZURE_SUBSCRIPTION_ID", "AZURE_CLOUD_ENVIRONMENT",
             "AZURE_AD_USER", "AZURE_PASSWORD", "AZURE_CERTIFICATE_PATH", "AZURE_CERTIFICATE_PASSWORD",
             "ANSIBLE_AZURE_AUTH_SOURCE", "AZURE_AUTHORITY_HOST", "MSI_ENDPOINT", "MSI_SECRET", "IDENTITY_SERVER_THUMBPRINT",
             "IMDS_ENDPOINT", "AZURE_FEDERATED_TOKEN_FILE", "AZURE_REGIONAL_AUTHORITY_NAME", "IDENTITY_ENDPOINT",
             "IDENTITY_HEADER", "VMWARE_HOST", "VMWARE_PORT")
# Seconds between polls of Azure long-running operations in the lab (the SDK default is 30 s).
LAB_POLLING_INTERVAL = 0.05


class LabError(RuntimeError):
    """The lab could not be set up from the inventory."""


def load_tenants(sources, extra: bool = False) -> list[dict]:
    """The tenants (hosts of group ``tenants``) of the inventory ``sources``, with the variables the lab needs
    (``extra``: also those verification needs, with the roles' defaults).

    Uses Ansible's own inventory and variable managers, so group_vars/host_vars precedence is Ansible's.
    """
    # Ansible imports are local: the module must be importable without Ansible for ``--help``.
    from ansible.inventory.manager import InventoryManager  # pylint: disable=import-outside-toplevel
    from ansible.parsing.dataloader import DataLoader  # pylint: disable=import-outside-toplevel
    from ansible.template import Templar  # pylint: disable=import-outside-toplevel
    from ansible.vars.manager import VariableManager  # pylint: disable=import-outside-toplevel

    loader = DataLoader()
    inventory = InventoryManager(loader=loader, sources=list(sources))
    variables = VariableManager(loader=loader, inventory=inventory)
    tenants = []
    for host in inventory.get_hosts("tenants"):
        hostvars = variables.get_vars(host=host, include_hostvars=False)
        templar = Templar(loader=loader, variables=hostvars)

        def get(name, default=None, _hostvars=hostvars, _templar=templar):
            value = _hostvars.get(name, default)
            return _templar.template(value) if value is not None else default

        vcenter = get("tenant_vcenter") or {}
        name = get("tenant_name", host.name)
        tenant = {
            "host": host.name,
            "name": name,
            "topology": get("tenant_topology"),
            "vcenter": {"hostname": vcenter.get("hostname"), "port": int(vcenter.get("port") or 443)},
            "access_account": get("tenant_access_account"),
            "subscription_id": get("tenant_subscription_id"),
            "csp": bool(hostvars.get("tenant_csp")),
        }
        if extra:
            tenant.update({
                "state": get("tenant_state", "present"),
                "failback": bool(get("tenant_failback", True)),
                "dr_role": get("tenant_dr_role", "Azure_Site_Recovery"),
                "location": get("tenant_location", ""),
                "resource_group": get("tenant_resource_group", "rg-%s-dr" % name),
                "vault_name": get("tenant_vault_name", "rsv-%s-dr" % name),
                "access_principals": get("tenant_access_principals", []) or [],
                "access_role": get("tenant_access_role", "Contributor"),
                "placement": get("tenant_placement"),   # None: tests.lab.verify.DEFAULT_PLACEMENT
            })
        tenants.append(tenant)
    if not tenants:
        raise LabError("no host in group 'tenants' of %s" % ", ".join(sources))
    for t in tenants:
        if t["topology"] not in TOPOLOGIES:
            raise LabError("tenant %s: tenant_topology %r is not one of %s" % (t["host"], t["topology"], ", ".join(TOPOLOGIES)))
        if not t["vcenter"]["hostname"]:
            raise LabError("tenant %s: tenant_vcenter.hostname is not set" % t["host"])
    return tenants


def _with_users(spec: dict, accounts) -> dict:
    """The simulator spec with the tenants' access accounts in its SSO directory."""
    spec = dict(spec)
    users = list(spec.get("users") or [])
    known = {u.lower() for u in users}
    for account in accounts:
        if account and account.lower() not in known:
            users.append(account)
            known.add(account.lower())
    spec["users"] = users
    return spec


class Lab:
    """Simulators + ARM endpoint + overlay inventory for the tenants of ``inventories``."""

    def __init__(self, inventories=DEFAULT_INVENTORIES, workdir: str = DEFAULT_WORKDIR, delay_ms: int = 0,
                 log=None):
        self.inventories = [os.path.abspath(p) for p in inventories]
        self.workdir = os.path.abspath(workdir)
        self.overlay_dir = os.path.join(self.workdir, "inventory")
        self.credentials_dir = os.path.join(self.workdir, "credentials")
        self.state_file = os.path.join(self.workdir, "lab.json")
        self.delay_ms = delay_ms
        self.log = log or (lambda msg: None)
        self.tenants = []
        self.vcenters = []      # [{"key", "topology", "tenants", "sim"}]
        self.arm = None
        self.partner_center = None  # local Partner Center + Graph endpoint, only for tenants with tenant_csp
        self.partner_app = None

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> "Lab":
        # Imported here: tests.simulator / tests.arm need the repository on sys.path (python -m tests.lab from the root).
        from tests.arm.controller import LocalArmEndpoint  # pylint: disable=import-outside-toplevel
        from tests.simulator.inventory import sample_inventory, single_tenant_inventory  # pylint: disable=import-outside-toplevel
        from tests.simulator.vcsim import VCenterSimulator  # pylint: disable=import-outside-toplevel

        started = time.monotonic()
        self.tenants = load_tenants(self.inventories)
        groups = {}
        for t in self.tenants:
            key = "%s:%d" % (t["vcenter"]["hostname"].lower(), t["vcenter"]["port"])
            groups.setdefault(key, []).append(t)
        try:
            for key, members in sorted(groups.items()):
                topologies = sorted({t["topology"] for t in members})
                if len(topologies) > 1 or (topologies[0] != "shared_hsp" and len(members) > 1):
                    raise LabError("vCenter %s: tenants %s - a vCenter is either shared (shared_hsp tenants only) or "
                                   "serves one dedicated_hsp/msp tenant" % (key, ", ".join(t["host"] for t in members)))
                if topologies[0] == "shared_hsp":
                    spec = sample_inventory()
                else:
                    spec = single_tenant_inventory(members[0]["name"])
                spec = _with_users(spec, [t["access_account"] for t in members])
                sim = VCenterSimulator(spec, delay_ms=self.delay_ms).start()
                self.vcenters.append({"key": key, "topology": topologies[0], "tenants": [t["host"] for t in members],
                                      "sim": sim})
                members_text = ", ".join(t["host"] for t in members)
                self.log("vCenter %-28s -> %s:%d  (%s: %s)" % (key.rsplit(":", 1)[0], sim.host, sim.port, topologies[0], members_text))
            self.arm = LocalArmEndpoint().start()
            for sub in sorted({t["subscription_id"] for t in self.tenants if t["subscription_id"]}):
                # A new CSP subscription: the partner's identity is Owner, Microsoft.RecoveryServices not registered yet.
                self.arm.add_subscription(subscription_id=sub, rp_registered=False)
            self.log("Azure Resource Manager        -> %s  (%d tenant subscriptions)"
                     % (self.arm.base_url, len({t['subscription_id'] for t in self.tenants if t['subscription_id']})))
            if any(t.get("csp") for t in self.tenants):
                from tests.partner_center.controller import LocalPartnerCenterEndpoint  # pylint: disable=import-outside-toplevel
                self.partner_center = LocalPartnerCenterEndpoint(self.arm).start()
                self.partner_app = dict(self.partner_center.add_application(),
                                        group_id=self.partner_center.add_group("Azure managers"))
                self.log("Partner Center + Graph        -> %s  (CSP tenants)" % self.partner_center.base_url)
            self._write_overlay()
            self._write_state()
        except BaseException:
            self.stop()
            raise
        self.log("lab ready in %.1fs; overlay inventory %s" % (time.monotonic() - started, os.path.relpath(self.overlay_dir)))
        return self

    def stop(self) -> None:
        for vc in self.vcenters:
            vc["sim"].stop()
        self.vcenters = []
        if self.partner_center is not None:
            self.partner_center.stop()
            self.partner_center = None
        if self.arm is not None:
            self.arm.stop()
            self.arm = None
        try:
            os.unlink(self.state_file)
        except OSError:
            pass

    def __enter__(self) -> "Lab":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # ------------------------------------------------------------------ overlay and environment
    def simulator_of(self, host: str):
        for vc in self.vcenters:
            if host in vc["tenants"]:
                return vc["sim"]
        raise KeyError(host)

    def _write_overlay(self) -> None:
        """.build/lab/inventory: lab.yml (the lab's hosts) and host_vars/<tenant>.yml (vCenter endpoint, lab paths).

        host_vars files of a later inventory source win over every variable of the base inventory (group_vars,
        host_vars, inventory-file variables), so the base inventory may keep tenant_vcenter wherever it likes.
        """
        if os.path.isdir(self.overlay_dir):
            shutil.rmtree(self.overlay_dir)
        os.makedirs(os.path.join(self.overlay_dir, "host_vars"))
        # A fresh lab has fresh vaults: registration keys of an earlier lab are meaningless.
        if os.path.isdir(self.credentials_dir):
            shutil.rmtree(self.credentials_dir)
        os.makedirs(self.credentials_dir, mode=0o700)
        lines = ["---",
                 "# Generated by `python -m tests.lab` - the lab overlay for %s." % ", ".join(
                     os.path.relpath(p, REPO_ROOT) for p in self.inventories),
                 "# Use it after the base inventory: -i inventories/sample -i .build/lab/inventory",
                 "# Each tenant's vCenter endpoint and lab paths are in host_vars/<tenant>.yml.",
                 "all:", "  children:", "    tenantdr_lab:", "      hosts:"]
        for vc in self.vcenters:
            lines.append("        # %s (%s) -> %s:%d" % (vc["key"], vc["topology"], vc["sim"].host, vc["sim"].port))
            for host in vc["tenants"]:
                lines.append("        %s:" % host)
        with open(os.path.join(self.overlay_dir, "lab.yml"), "w", encoding="utf-8") as handle:
            handle.write("\n".join(lines) + "\n")
        for vc in self.vcenters:
            for host in vc["tenants"]:
                data = {
                    "tenant_vcenter": {"hostname": vc["sim"].host, "port": vc["sim"].port, "validate_certs": False},
                    "tenantdr_credentials_dir": self.credentials_dir,
                    "tenantdr_azure_connection": {"polling_interval": LAB_POLLING_INTERVAL},
                }
                if self.partner_center is not None:
                    data.update(tenantdr_partner_center_connection={"cloud_environment": self.arm.base_url},
                                tenantdr_csp_billing_account=self.partner_center.billing_account,
                                tenantdr_csp_security_group_id=self.partner_app["group_id"])
                with open(os.path.join(self.overlay_dir, "host_vars", host + ".yml"), "w", encoding="utf-8") as handle:
                    handle.write("---\n# Generated by `python -m tests.lab` (lab endpoint of %s)\n" % vc["key"])
                    handle.write(json.dumps(data, indent=2, sort_keys=True) + "\n")

    def _write_state(self) -> None:
        state = {
            "pid": os.getpid(),
            "inventories": self.inventories + [self.overlay_dir],
            "credentials_dir": self.credentials_dir,
            "vcenters": [{"key": vc["key"], "topology": vc["topology"], "tenants": vc["tenants"], "host": vc["sim"].host,
                          "port": vc["sim"].port, "username": vc["sim"].username, "password": vc["sim"].password}
                         for vc in self.vcenters],
            "arm": {"base_url": self.arm.base_url, "ca_bundle": self.arm.ca_bundle, "port": self.arm.port},
        }
        with open(self.state_file, "w", encoding="utf-8") as handle:
            json.dump(state, handle, indent=2)

    def env(self, base=None) -> dict:
        """Environment for a command run in the lab."""
        env = dict(os.environ if base is None else base)
        for name in AZURE_ENV:
            env.pop(name, None)
        sim = self.vcenters[0]["sim"]
        env.update({
            # What the AWX/AAP "VMware vCenter" credential injects (the host differs per tenant: tenant_vcenter).
            "VMWARE_USER": sim.username,
            "VMWARE_PASSWORD": sim.password,
            "VMWARE_VALIDATE_CERTS": "false",
        })
        env.update(self.arm.env())
        if self.partner_center is not None:
            env.update(self.partner_center.env(self.partner_app))  # what the AWX Partner Center credential injects
        env["ANSIBLE_INVENTORY"] = ",".join(self.inventories + [self.overlay_dir])
        env.setdefault("ANSIBLE_COLLECTIONS_PATH", os.path.join(REPO_ROOT, ".build", "collections"))
        env["TENANTDR_LAB"] = self.state_file
        env["TENANTDR_LAB_INVENTORY"] = self.overlay_dir
        env["PYTHONPATH"] = REPO_ROOT + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        return env


def ensure_collection_link() -> None:
    """.build/collections/ansible_collections/tenantdr/asr -> the checkout (as scripts/setup.sh makes it)."""
    link = os.path.join(REPO_ROOT, ".build", "collections", "ansible_collections", "tenantdr", "asr")
    if not os.path.lexists(link):
        os.makedirs(os.path.dirname(link), exist_ok=True)
        os.symlink(REPO_ROOT, link)


def run_in_lab(command, inventories=DEFAULT_INVENTORIES, workdir=DEFAULT_WORKDIR, quiet=False, delay_ms=0) -> int:
    """Start the lab, run ``command`` in it, stop the lab; return the command's exit code."""
    def log(msg):
        if not quiet:
            print("[lab] " + msg, file=sys.stderr, flush=True)

    ensure_collection_link()
    with Lab(inventories, workdir=workdir, delay_ms=delay_ms, log=log) as lab:
        env = lab.env()
        log("running: %s" % " ".join(command))
        proc = subprocess.Popen(command, env=env, cwd=os.getcwd())  # pylint: disable=consider-using-with
        previous = signal.getsignal(signal.SIGTERM)

        def forward(signum, _frame):
            proc.send_signal(signum)

        signal.signal(signal.SIGTERM, forward)
        try:
            while True:
                try:
                    rc = proc.wait()
                    break
                except KeyboardInterrupt:
                    # The child got SIGINT from the terminal too; wait for it to finish, then stop the lab.
                    continue
        finally:
            signal.signal(signal.SIGTERM, previous)
        log("command exited with %d; stopping the lab" % rc)
        return rc
