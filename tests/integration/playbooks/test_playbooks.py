"""The playbooks end to end, with ansible-playbook, in a lab of their own (tests/lab): three vCenter simulators and a
local Azure Resource Manager endpoint for the five tenants of inventories/sample.

The tests run in file order on one lab and build on each other (fresh lab -> check mode -> onboard -> re-run ->
offboard one tenant -> leak). State is checked by reading vCenter (pyVmomi) and Azure (ARM REST) directly, and
writes are counted by the simulators and the ARM endpoint, not taken from Ansible's output.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from tests.lab.lab import REPO_ROOT, Lab, ensure_collection_link
from tests.lab.verify import VCenterReader

pytestmark = pytest.mark.vcsim

SHARED = ("acme", "globex", "initech")
ALL = SHARED + ("contoso", "fabrikam")


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    ensure_collection_link()
    with Lab(workdir=str(tmp_path_factory.mktemp("lab"))) as running:
        yield running


def run(lab, *args, check=True):
    """ansible-playbook (or another command) in the lab; returns (rc, output, {host: {ok, changed, failed, ...}})."""
    command = list(args) if args[0] != "playbook" else ["ansible-playbook", *args[1:]]
    env = lab.env()
    env["ANSIBLE_NOCOLOR"] = "1"
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    proc = subprocess.run(command, cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, timeout=900, check=False)
    recap = {}
    for host, counters in re.findall(r"^(\S+)\s+:\s+(ok=.*)$", proc.stdout, re.M):
        recap[host] = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", counters)}
    if check and proc.returncode != 0:
        pytest.fail("%s failed (%d):\n%s" % (" ".join(command), proc.returncode, proc.stdout[-6000:]))
    return proc.returncode, proc.stdout, recap


def reset_counters(lab):
    for vc in lab.vcenters:
        vc["sim"].reset_stats()
    lab.arm.reset_log()


def vcenter_writes(lab):
    return {vc["key"]: vc["sim"].writes_since_reset() for vc in lab.vcenters}


def permissions(lab, host):
    sim = lab.simulator_of(host)
    with VCenterReader(sim.host, sim.port, sim.username, sim.password) as reader:
        return reader.all_permissions()


def key_files(lab):
    found = []
    for base, _dirs, files in os.walk(lab.credentials_dir):
        found.extend(os.path.join(base, f) for f in files)
    return found


def test_01_check_mode_on_a_fresh_lab_shows_the_plan_and_writes_nothing(lab):
    reset_counters(lab)
    _rc, out, recap = run(lab, "playbook", "playbooks/onboard_tenant.yml", "--check")
    assert set(recap) == set(ALL)
    assert all(r["failed"] == 0 for r in recap.values())
    # the plan is shown
    assert "would create" in out and "Recovery Services vault rsv-acme-dr" in out
    assert "plan acme:" in out and "plan initech:" in out and "(no failback)" in out
    # and nothing was written: no vCenter role/permission call, no ARM write, no key file
    assert vcenter_writes(lab) == {vc["key"]: 0 for vc in lab.vcenters}
    assert lab.arm.writes() == []
    assert key_files(lab) == []
    # the simulators were read, though (the plan comes from the real inventory)
    assert all(vc["sim"].soap_calls("RetrievePropertiesEx") > 0 for vc in lab.vcenters)


def test_02_onboard_every_tenant(lab):
    _rc, out, recap = run(lab, "playbook", "tenantdr.asr.onboard_tenant")
    assert all(r["failed"] == 0 for r in recap.values())
    assert "audit: clean" in out
    run(lab, sys.executable, "-m", "tests.lab", "verify", "--expect", "present")


def test_03_second_run_changes_nothing_and_writes_nothing(lab):
    reset_counters(lab)
    _rc, _out, recap = run(lab, "playbook", "playbooks/onboard_tenant.yml")
    assert {h: r["changed"] for h, r in recap.items()} == {h: 0 for h in ALL}
    assert vcenter_writes(lab) == {vc["key"]: 0 for vc in lab.vcenters}
    assert lab.arm.writes() == []


def test_04_offboard_confirmation_must_match(lab):
    before = permissions(lab, "acme")
    rc, out, _recap = run(lab, "playbook", "playbooks/offboard_tenant.yml", "-l", "acme",
                          "-e", "tenantdr_offboard_confirm=globex", check=False)
    assert rc != 0 and "tenantdr_offboard_confirm must name exactly" in out
    assert permissions(lab, "acme") == before


def test_05_offboarding_one_tenant_leaves_the_others_untouched(lab):
    before = permissions(lab, "acme")
    reset_counters(lab)
    _rc, out, recap = run(lab, "playbook", "playbooks/offboard_tenant.yml", "-l", "acme",
                          "-e", "tenantdr_offboard_confirm=acme")
    assert set(recap) == {"acme"} and recap["acme"]["failed"] == 0
    assert "audit before: globex" in out and "audit after: globex" in out
    assert "DR role: kept" in out or "kept (remaining tenants" in out
    after = permissions(lab, "acme")
    gone = [p for p in before if p[0] == "acme-dr@vsphere.local"]
    assert gone and not [p for p in after if p[0] == "acme-dr@vsphere.local"]
    # every other principal's permissions are exactly as before (globex, initech, the administrators)
    assert [p for p in before if p[0] != "acme-dr@vsphere.local"] == after
    run(lab, sys.executable, "-m", "tests.lab", "verify", "--expect", "absent", "--limit", "acme")
    run(lab, sys.executable, "-m", "tests.lab", "verify", "--expect", "present", "--limit", "globex,initech,contoso,fabrikam")
    # the dedicated and MSP vCenters were not even written to
    writes = vcenter_writes(lab)
    assert all(n == 0 for key, n in writes.items() if not key.startswith("vc-shared"))


def test_06_a_leak_stops_a_shared_hosting_run(lab):
    # A group the access accounts belong to gets a propagating Read-only on the whole datacenter: every tenant's
    # account now sees every VM - the pattern the guide rejects.
    sim = lab.simulator_of("globex")
    with VCenterReader(sim.host, sim.port, sim.username, sim.password) as reader:
        from pyVmomi import vim  # pylint: disable=import-outside-toplevel
        dc = reader.content.searchIndex.FindByInventoryPath("DC1")
        read_only = [r for r in reader.auth.roleList if r.name == "ReadOnly"][0]
        reader.auth.SetEntityPermissions(dc, [vim.AuthorizationManager.Permission(
            principal="dr-operators@vsphere.local", group=True, roleId=read_only.roleId, propagate=True)])
    rc, out, recap = run(lab, "playbook", "playbooks/onboard_tenant.yml", "-l", "shared_hsp",
                         "-e", "tenantdr_azure_enabled=false",
                         "-e", '{"tenant_access_account_groups": ["dr-operators@vsphere.local"]}', check=False)
    assert rc != 0
    assert "Tenant isolation audit" in out and "found" in out
    assert recap["acme"]["failed"] == 1
    # the Azure part never ran: the run stopped at the audit
    assert "Onboard or offboard the tenant in Azure" not in out
