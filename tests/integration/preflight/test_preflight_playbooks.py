"""Preflight end to end: ansible-playbook tenantdr.asr.onboard_tenant against a lab (tests/lab) of its own per
inventory - one shared vCenter simulator and the local ARM endpoint - with small inventories written here, each with
one kind of bad input.

What is asserted comes from the simulator and the ARM endpoint, not from Ansible's output: zero vCenter writes
(``/_stats`` write counters), zero ARM writes (request log), the DR role absent; plus the combined report naming the
bad value, and with ``skip_invalid`` that only the valid tenants were onboarded.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

import tests.lab.lab as lab_module
from tests.lab.lab import REPO_ROOT, Lab, ensure_collection_link
from tests.lab.verify import VCenterReader

from ansible_collections.tenantdr.asr.plugins.module_utils.permissions import principal_key

pytestmark = pytest.mark.vcsim

SUBS = {"acme": "3f2a8c10-5b1e-4d7a-9c3e-0a1b2c3d4e01", "globex": "3f2a8c10-5b1e-4d7a-9c3e-0a1b2c3d4e02",
        "initech": "3f2a8c10-5b1e-4d7a-9c3e-0a1b2c3d4e03", "umbrella": "3f2a8c10-5b1e-4d7a-9c3e-0a1b2c3d4e06"}
ROLE = "Azure_Site_Recovery"


def tenant(name, **changes):
    """A valid shared-hosting tenant of the sample simulator inventory (tests/simulator/inventory.py)."""
    base = {
        "acme": {"tenant_vm_selectors": {"folders": ["/DC1/vm/tenants/acme"]}, "tenant_management_servers": ["/DC1/vm/mgmt/acme-cs01"]},
        "globex": {"tenant_vm_selectors": {"custom_attributes": {"tenant": "globex"}}, "tenant_datacenters": ["/DC1"],
                   "tenant_management_servers": ["/DC1/vm/mgmt/globex-cs01"]},
        "initech": {"tenant_vm_selectors": {"name_patterns": ["initech-vm*"]}, "tenant_datacenters": ["/DC1"],
                    "tenant_failback": False, "tenant_management_servers": ["/DC1/vm/mgmt/initech-cs01"]},
    }.get(name, {})
    out = {"tenant_name": name, "tenant_access_account": "%s-dr@vsphere.local" % name,
           "tenant_subscription_id": SUBS[name], "tenant_resource_group": "rg-%s-dr" % name,
           "tenant_vault_name": "rsv-%s-dr" % name,
           "tenant_access_principals": [{"object_id": "7c9e6679-7425-40de-944b-e07fc1f90a0%d" % (list(SUBS).index(name) + 1),
                                         "type": "User"}]}
    out.update(base)
    out.update(changes)
    return out


def write_inventory(path, tenants):
    """hosts.yml (group tenants > shared_hsp) + group_vars + host_vars, as inventories/sample is laid out."""
    os.makedirs(os.path.join(path, "group_vars"))
    os.makedirs(os.path.join(path, "host_vars"))
    with open(os.path.join(path, "hosts.yml"), "w", encoding="utf-8") as f:
        json.dump({"all": {"children": {"tenants": {"children": {"shared_hsp": {"hosts": {n: None for n in tenants}}}}}}}, f)
    with open(os.path.join(path, "group_vars", "tenants.json"), "w", encoding="utf-8") as f:
        json.dump({"ansible_connection": "local", "ansible_python_interpreter": "{{ ansible_playbook_python }}",
                   "tenant_state": "present", "tenant_location": "westeurope"}, f)
    with open(os.path.join(path, "group_vars", "shared_hsp.json"), "w", encoding="utf-8") as f:
        json.dump({"tenant_topology": "shared_hsp", "tenant_vcenter": {"hostname": "vc-shared.example.com", "port": 443}}, f)
    for name, variables in tenants.items():
        with open(os.path.join(path, "host_vars", name + ".json"), "w", encoding="utf-8") as f:
            json.dump(variables, f)
    return path


@pytest.fixture
def make_lab(tmp_path, monkeypatch):
    """Start a lab for an inventory of tenants; ``missing_users`` are left out of the simulator's SSO directory."""
    ensure_collection_link()
    labs = []

    def start(tenants, missing_users=()):
        inventory = write_inventory(str(tmp_path / ("inventory%d" % len(labs))), tenants)
        original = lab_module._with_users  # pylint: disable=protected-access

        def with_users(spec, accounts):
            return original(spec, [a for a in accounts if a not in missing_users])
        monkeypatch.setattr(lab_module, "_with_users", with_users)
        running = Lab([inventory], workdir=str(tmp_path / ("lab%d" % len(labs)))).start()
        labs.append(running)
        for vc in running.vcenters:
            vc["sim"].reset_stats()
        running.arm.reset_log()
        return running

    yield start
    for running in labs:
        running.stop()


def playbook(lab, *args):
    env = lab.env()
    env["ANSIBLE_NOCOLOR"] = "1"
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    proc = subprocess.run(["ansible-playbook", "playbooks/onboard_tenant.yml", *args], cwd=REPO_ROOT, env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=900, check=False)
    return proc.returncode, proc.stdout


def vcenter_writes(lab):
    return sum(vc["sim"].writes_since_reset() for vc in lab.vcenters)


def soap(lab, method):
    return sum(vc["sim"].soap_calls(method) for vc in lab.vcenters)


def dr_role_exists(lab):
    sim = lab.vcenters[0]["sim"]
    with VCenterReader(sim.host, sim.port, sim.username, sim.password) as reader:
        return any(r.name == ROLE for r in reader.auth.roleList)


def account_permissions(lab, account):
    sim = lab.vcenters[0]["sim"]
    with VCenterReader(sim.host, sim.port, sim.username, sim.password) as reader:
        return [p for p in reader.all_permissions() if principal_key(p[0]) == principal_key(account)]


def vaults(lab):
    return {sub: sorted(state["vaults"]) for sub, state in lab.arm.state()["subscriptions"].items() if state["vaults"]}


def assert_nothing_written(lab, out):
    assert vcenter_writes(lab) == 0, out[-4000:]
    assert lab.arm.writes() == [], out[-4000:]
    assert not dr_role_exists(lab)
    assert "nothing was written anywhere" in out
    # the converge never started
    assert "Ensure the DR role" not in out and "Onboard or offboard the tenant in Azure" not in out


def report_block(out):
    """The lines of the preflight report (the debug task's msg list)."""
    match = re.search(r"TASK \[Show the preflight report\].*?\n(.*?)\n\nTASK", out, re.S)
    assert match, out[-4000:]
    return match.group(1)


def test_missing_vm_folder_stops_the_run_before_the_dr_role_is_created(make_lab):
    lab = make_lab({"acme": tenant("acme", tenant_vm_selectors={"folders": ["/DC1/vm/tenants/acme-typo"]}),
                    "globex": tenant("globex")})
    rc, out = playbook(lab)
    assert rc != 0
    report = report_block(out)
    assert "/DC1/vm/tenants/acme-typo" in report and "was not found in the vCenter inventory" in report
    assert "1 valid, 1 with problems" in report
    # preflight read the vCenter once: one login, one inventory pass, no permission read (no plan asked)
    assert soap(lab, "Login") == 1 and soap(lab, "RetrievePropertiesEx") == 1 and soap(lab, "RetrieveAllPermissions") == 0
    assert_nothing_written(lab, out)


def test_every_problem_of_every_tenant_in_one_report(make_lab):
    lab = make_lab({"acme": tenant("acme", tenant_vault_name="9-not_a_vault!"),
                    "globex": tenant("globex", tenant_management_servers=["/DC1/vm/mgmt/globex-cs99"],
                                     tenant_access_principals=[{"object_id": "not-a-guid", "type": "Person"}]),
                    "initech": tenant("initech", tenant_location="marsnorth")})
    rc, out = playbook(lab)
    assert rc != 0
    report = report_block(out)
    assert "0 valid, 3 with problems" in report
    assert "tenant_vault_name '9-not_a_vault!' is not a valid Recovery Services vault name" in report
    assert "/DC1/vm/mgmt/globex-cs99" in report
    assert "'not-a-guid' is not an Entra ID object id" in report and "type 'Person' is not valid" in report
    assert "tenant_location 'marsnorth' is not offered" in report and "westeurope" in report
    assert_nothing_written(lab, out)


def test_disabled_subscription_stops_the_run(make_lab):
    lab = make_lab({"acme": tenant("acme"), "globex": tenant("globex")})
    lab.arm.set_subscription_state("Disabled", SUBS["globex"])
    lab.arm.reset_log()
    rc, out = playbook(lab)
    assert rc != 0
    report = report_block(out)
    assert "subscription %s is Disabled, not Enabled" % SUBS["globex"] in report
    assert_nothing_written(lab, out)
    # the local endpoint is read-only for a disabled subscription, as Azure is (what preflight spares the run)
    assert any(r["path"].lower() == "/subscriptions/%s" % SUBS["globex"] and r["method"] == "GET" for r in lab.arm.requests_log())


def test_access_account_unknown_to_vcenter_stops_the_run(make_lab):
    lab = make_lab({"acme": tenant("acme"), "globex": tenant("globex", tenant_access_account="globex-drr@vsphere.local")},
                   missing_users=("globex-drr@vsphere.local",))
    rc, out = playbook(lab)
    assert rc != 0
    report = report_block(out)
    assert "access account 'globex-drr@vsphere.local' is not known to vCenter's user directory" in report
    assert soap(lab, "RetrieveUserGroups") >= 1
    assert_nothing_written(lab, out)


def test_conflict_with_a_tenant_outside_the_limit_stops_the_run(make_lab):
    # umbrella (not in -l) selects acme's folder too: the shared mapping of acme's vCenter includes umbrella.
    lab = make_lab({"acme": tenant("acme"), "globex": tenant("globex"),
                    "umbrella": tenant("umbrella", tenant_vm_selectors={"folders": ["/DC1/vm/tenants"]},
                                       tenant_access_account="acme-dr@vsphere.local")})
    rc, out = playbook(lab, "-l", "acme,globex")
    assert rc != 0
    report = report_block(out)
    assert "umbrella outside this run" in report
    assert "is selected by tenants acme" in report and "umbrella" in report
    assert "access account 'acme-dr@vsphere.local' is used by tenants" in report
    assert_nothing_written(lab, out)


def test_skip_invalid_onboards_only_the_valid_tenants_and_the_run_still_fails(make_lab):
    lab = make_lab({"acme": tenant("acme"), "globex": tenant("globex", tenant_vault_name="x"),
                    "initech": tenant("initech", tenant_vm_selectors={"folders": ["/DC1/vm/tenants/nowhere"]})})
    rc, out = playbook(lab, "-e", "tenantdr_preflight_policy=skip_invalid")
    assert rc != 0
    assert re.search(r"tenant globex was skipped by preflight: Azure: tenant_vault_name 'x'", out)
    assert re.search(r"tenant initech was skipped by preflight: .*/DC1/vm/tenants/nowhere", out)
    recap = dict(re.findall(r"^(\S+)\s+:\s+ok=\d+\s+changed=\d+\s+unreachable=\d+\s+failed=(\d+)", out, re.M))
    assert recap == {"acme": "0", "globex": "1", "initech": "1"}
    # acme onboarded on both sides, the skipped tenants untouched
    assert dr_role_exists(lab)
    assert account_permissions(lab, "acme-dr@vsphere.local"), out[-8000:]
    assert account_permissions(lab, "globex-dr@vsphere.local") == []
    assert account_permissions(lab, "initech-dr@vsphere.local") == []
    assert vaults(lab) == {SUBS["acme"]: ["rg-acme-dr/rsv-acme-dr"]}
    written = {r["path"].split("/")[2].lower() for r in lab.arm.writes() if r["path"].lower().startswith("/subscriptions/")}
    assert written == {SUBS["acme"]}


def test_preflight_only_and_check_mode_report_the_plan_and_write_nothing(make_lab):
    lab = make_lab({"acme": tenant("acme"), "globex": tenant("globex")})
    rc, out = playbook(lab, "-e", "tenantdr_preflight_only=true")
    assert rc == 0, out[-4000:]
    report = report_block(out)
    assert "2 valid, 0 with problems" in report
    assert re.search(r"plan for vCenter \S+: \d+ permission\(s\) to add, 0 to update, 0 to remove", report)
    assert "DR role Azure_Site_Recovery: create" in report
    assert re.search(r"tenant acme: \+\d+ ~0 -0", report) and re.search(r"tenant globex: \+\d+ ~0 -0", report)
    assert "PLAY [Onboard DR tenants]" in out and "skipping: no hosts matched" in out
    # one login, one inventory pass and one permission read for the plan
    assert soap(lab, "Login") == 1 and soap(lab, "RetrievePropertiesEx") == 1 and soap(lab, "RetrieveAllPermissions") == 1
    assert vcenter_writes(lab) == 0 and lab.arm.writes() == [] and not dr_role_exists(lab)
    # AWX's "check" job type: preflight runs (it only reads), then the pipeline's check mode shows its plan
    rc, out = playbook(lab, "--check")
    assert rc == 0, out[-4000:]
    assert "2 valid, 0 with problems" in report_block(out)
    assert vcenter_writes(lab) == 0 and lab.arm.writes() == [] and not dr_role_exists(lab)


def test_a_run_reads_the_inventory_once_the_preflight_hands_it_to_the_converge(make_lab):
    """Issue 12: the converge uses the inventory the preflight read a moment before (one RetrievePropertiesEx per run,
    two logins: the preflight's and the converge's); permissions are read by the converge itself."""
    lab = make_lab({"acme": tenant("acme"), "globex": tenant("globex")})
    rc, out = playbook(lab, "-e", "tenantdr_azure_enabled=false")
    assert rc == 0, out[-4000:]
    # counted before this test reads the vCenter back (its reader logs in too)
    assert soap(lab, "Login") == 2 and soap(lab, "RetrievePropertiesEx") == 1, [vc["sim"].stats() for vc in lab.vcenters]
    assert soap(lab, "RetrieveAllPermissions") >= 1
    assert vcenter_writes(lab) > 0 and dr_role_exists(lab)
    assert len(account_permissions(lab, "acme-dr@vsphere.local")) > 0
