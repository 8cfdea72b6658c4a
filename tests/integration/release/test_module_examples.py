"""Every module's EXAMPLES, run as written: examples that mislead users are worse than none.

For each module in plugins/modules/ (new modules are picked up by themselves), the EXAMPLES block is parsed from the
module file and played, task by task and in order, with ansible-playbook against the local vCenter simulator (sample
shared-hosting inventory) and the local ARM endpoint. Only connection values are substituted:

* the vCenter options (``hostname``, ``port``, ``username``, ``password``, ``validate_certs``) and the Azure options
  (``cloud_environment``, ``subscription_id``, ``auth_source``, ``client_id``, ``secret``, ``tenant``) written in a task
  are replaced by the lab's, and ``module_defaults`` give them to the tasks that write none;
* absolute controller paths under /secure (where the examples keep registration keys) are moved into a temporary
  directory;
* the variables the examples leave to the user (a password, the tenant list, an object id) are given as extra vars,
  hand-written below.

Examples marked "real vCenter only" in their task name are skipped (the simulator enforces no authorization).

Each module gets a fresh simulator and ARM endpoint. What an example presupposes without saying it in its own tasks
(the resource group a role is assigned in, the DR role a permission uses, onboarded tenants for the audit) is set up
first with the collection's own modules (PRECONDITIONS, hand-written). When a sovereign cloud written in an example is
replaced by the lab's endpoint, the example's region of that cloud is replaced by a region the endpoint offers.
"""
from __future__ import annotations

import ast
import glob
import json
import os
import subprocess
import sys

import pytest
import yaml

from tests.arm.controller import LocalArmEndpoint
from tests.lab.lab import AZURE_ENV, REPO_ROOT, ensure_collection_link
from tests.simulator.inventory import sample_inventory
from tests.simulator.vcsim import VCenterSimulator
from tests.support.tenants import tenants

pytestmark = [pytest.mark.vcsim, pytest.mark.arm]

MODULES = sorted(os.path.basename(p)[:-3] for p in glob.glob(os.path.join(REPO_ROOT, "plugins", "modules", "*.py")))
VCENTER_KEYS = ("hostname", "port", "username", "password", "validate_certs")
AZURE_KEYS = ("cloud_environment", "subscription_id", "auth_source", "client_id", "secret", "tenant", "ad_user",
              "certificate_path", "certificate_password")
SECRET = "examples-secret"
LAB_REGION = "westeurope"
SOVEREIGN_CLOUDS = ("azureusgovernment", "azurechinacloud")
DR_ROLE_TASK = {"name": "Precondition - the DR role",
                "tenantdr.asr.vcenter_tenant_role": {"name": "Azure_Site_Recovery", "profile": "asr"}}
ONBOARDED = [
    DR_ROLE_TASK,
    {"name": "Precondition - the tenants' plans", "tenantdr.asr.tenant_mapping": {"tenants": "{{ dr_tenants }}"},
     "register": "mapping"},
    {"name": "Precondition - the tenants onboarded",
     "tenantdr.asr.vcenter_nonpropagating_permission": {"assignments": "{{ mapping.assignments }}"}},
]
PRECONDITIONS = {
    "asr_tenant_access": [{"name": "Precondition - the tenant's DR resource group",
                           "tenantdr.asr.asr_vault": {"resource_group": "rg-contoso-dr", "create_resource_group": True,
                                                      "name": "rsv-precondition", "location": LAB_REGION}}],
    "tenant_isolation_audit": ONBOARDED,
    "tenant_mapping": [DR_ROLE_TASK],
    "vcenter_nonpropagating_permission": ONBOARDED,
}
# Examples that do not run as written, in modules another engineer owns (issue 12 rebuilds them): reported, not hidden.
KNOWN_BROKEN = {
    "vcenter_nonpropagating_permission": "its first example names the moid vm-1042, which is only an illustration",
}


def examples_of(module: str) -> list:
    with open(os.path.join(REPO_ROOT, "plugins", "modules", module + ".py"), encoding="utf-8") as handle:
        tree = ast.parse(handle.read())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "EXAMPLES" for t in node.targets):
            return yaml.safe_load(node.value.value) or []
    raise AssertionError("%s has no EXAMPLES" % module)


def groups() -> dict:
    with open(os.path.join(REPO_ROOT, "meta", "runtime.yml"), encoding="utf-8") as handle:
        return {name: set(members) for name, members in yaml.safe_load(handle)["action_groups"].items()}


@pytest.fixture
def endpoints(tmp_path_factory):
    ensure_collection_link()
    with VCenterSimulator(sample_inventory()) as sim, LocalArmEndpoint() as arm:
        sp = arm.add_service_principal(secret=SECRET)
        yield {"sim": sim, "arm": arm, "sp": sp, "root": tmp_path_factory.mktemp("examples")}


def substitute(task, connection: dict, root: str):
    """The task with the lab's connection values in place of the written ones, and /secure moved under ``root``."""
    if isinstance(task, list):
        return [substitute(t, connection, root) for t in task]
    if isinstance(task, str):
        return os.path.join(root, task.lstrip("/")) if task.startswith("/secure/") else task
    if not isinstance(task, dict):
        return task
    out = {}
    for key, value in task.items():
        if key.startswith("tenantdr.asr.") and isinstance(value, dict):
            short = key.split(".")[-1]
            args = {k: substitute(v, connection, root) for k, v in value.items()}
            for group, options in connection.items():
                if short in groups().get(group, ()):
                    for option in list(args):
                        if option in options:
                            args[option] = options[option]
                    if group == "azure" and (value.get("auth_source") == "service_principal" or "client_id" in value):
                        args.update(connection["azure_sp"])
                    if group == "azure" and str(value.get("cloud_environment", "")).lower() in SOVEREIGN_CLOUDS \
                            and "location" in args:
                        args["location"] = LAB_REGION
            out[key] = args
        elif key in ("block", "rescue", "always"):
            out[key] = substitute(value, connection, root)
        elif key == "module_defaults":
            out[key] = {g: dict(v, **connection.get(g.split(".")[-1], {})) for g, v in value.items()}
        else:
            out[key] = substitute(value, connection, root)
    return out


@pytest.mark.parametrize("module", [pytest.param(m, marks=pytest.mark.xfail(strict=False, reason=KNOWN_BROKEN[m]))
                                    if m in KNOWN_BROKEN else m for m in MODULES])
def test_examples_run_as_written(endpoints, module, tmp_path):
    sim, arm, sp = endpoints["sim"], endpoints["arm"], endpoints["sp"]
    root = str(endpoints["root"] / module)
    os.makedirs(os.path.join(root, "secure", "contoso"), mode=0o700)
    connection = {
        "vcenter": sim.connection_args(),
        "azure": {"cloud_environment": arm.base_url, "subscription_id": arm.subscription_id, "auth_source": "msi",
                  "polling_interval": 0.01},
        "azure_sp": {"auth_source": "service_principal", "client_id": sp["client_id"], "secret": SECRET,
                     "tenant": sp["tenant_id"]},
    }
    tasks = [t for t in examples_of(module) if "real vCenter only" not in t.get("name", "")]
    assert tasks
    tasks = PRECONDITIONS.get(module, []) + tasks
    play = [{
        "name": "EXAMPLES of tenantdr.asr.%s" % module,
        "hosts": "localhost",
        "gather_facts": False,
        "module_defaults": {"group/tenantdr.asr.vcenter": connection["vcenter"],
                            "group/tenantdr.asr.azure": connection["azure"]},
        "tasks": substitute(tasks, {"vcenter": connection["vcenter"], "azure": connection["azure"],
                                    "azure_sp": connection["azure_sp"]}, root),
    }]
    # what the examples leave to the user
    user_vars = {
        "vcenter_password": sim.password,
        "dr_tenants": tenants(),
        "acme_dr_password": "not-used",
        "tenant_subscription_id": arm.subscription_id,
        "sp_client_id": sp["client_id"], "sp_secret": SECRET, "partner_tenant_id": sp["tenant_id"],
        "dr_automation_sp_object_id": "5d0c9a3e-8f1b-4c2a-9e7d-3b6a1f0c2e88",
    }
    playbook = tmp_path / "examples.yml"
    playbook.write_text(yaml.safe_dump(play, sort_keys=False), encoding="utf-8")
    (tmp_path / "vars.json").write_text(json.dumps(user_vars), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in AZURE_ENV}
    env.update(arm.env())
    env.update(ANSIBLE_NOCOLOR="1", ANSIBLE_COLLECTIONS_PATH=os.path.join(REPO_ROOT, ".build", "collections"),
               ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="false", ANSIBLE_LOCALHOST_WARNING="false",
               ANSIBLE_INVENTORY_UNPARSED_WARNING="false",
               PATH=os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", ""))
    proc = subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), str(playbook),
                           "-e", "@" + str(tmp_path / "vars.json"), "-e", "ansible_python_interpreter=" + sys.executable],
                          cwd=str(tmp_path), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          timeout=600, check=False)
    assert proc.returncode == 0, proc.stdout[-5000:]
