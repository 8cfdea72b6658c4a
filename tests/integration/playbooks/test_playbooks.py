"""The playbooks end to end, with ansible-playbook, in labs of their own (tests/lab): three vCenter simulators and a
local Azure Resource Manager endpoint for the five tenants of inventories/sample.

Every test starts its own fresh lab and builds the state it needs, so the tests run in any order (or alone); the
onboarding life cycle is one test with named steps.  They depend only on outcomes - what vCenter (pyVmomi) and Azure
(ARM REST) hold afterwards, checked by tests/lab/verify.py against hand-written tables; writes counted by the simulators
and the ARM endpoint; the play recap's changed/failed counts; the exit code - never on task names, role internals or
the wording of Ansible's output.
"""
from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
import time

import pytest

from tests.lab.lab import REPO_ROOT, Lab, ensure_collection_link
from tests.lab.verify import VCenterReader

pytestmark = pytest.mark.vcsim

SHARED = ("acme", "globex", "initech")
ALL = SHARED + ("contoso", "fabrikam")


@pytest.fixture
def lab(tmp_path):
    """A fresh lab for each test: nothing onboarded, no key file, counters at zero."""
    ensure_collection_link()
    with Lab(workdir=str(tmp_path / "lab")) as running:
        yield running


@contextlib.contextmanager
def step(name):
    """A named step of a longer test: a failure says which step failed."""
    try:
        yield
    except (AssertionError, pytest.fail.Exception) as exc:
        raise AssertionError("step '%s' failed: %s" % (name, exc)) from exc


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


def verify(lab, *args):
    """tests/lab/verify.py in the lab (independent reads of vCenter and Azure); fails the test when a check fails."""
    run(lab, sys.executable, "-m", "tests.lab", "verify", *args)


def roles_of(lab, host):
    sim = lab.simulator_of(host)
    with VCenterReader(sim.host, sim.port, sim.username, sim.password) as reader:
        return set(reader.roles())


def test_check_mode_on_a_fresh_lab_reports_changes_and_writes_nothing(lab):
    reset_counters(lab)
    _rc, _out, recap = run(lab, "playbook", "playbooks/onboard_tenant.yml", "--check")
    assert set(recap) == set(ALL)
    assert all(r["failed"] == 0 for r in recap.values())
    # check mode reports that every tenant would change ...
    assert all(r["changed"] > 0 for r in recap.values()), recap
    # ... and writes nothing: no vCenter role/permission call, no ARM write, no key file
    assert vcenter_writes(lab) == {vc["key"]: 0 for vc in lab.vcenters}
    assert lab.arm.writes() == []
    assert key_files(lab) == []
    # the simulators were read, though (the plan comes from the real inventory)
    assert all(vc["sim"].soap_calls("RetrievePropertiesEx") > 0 for vc in lab.vcenters)


def test_onboarding_life_cycle(lab):
    """onboard -> re-run -> a refused offboarding -> offboard one tenant, as named steps on one lab."""
    with step("onboard every tenant"):
        _rc, _out, recap = run(lab, "playbook", "tenantdr.asr.onboard_tenant")
        assert set(recap) == set(ALL) and all(r["failed"] == 0 for r in recap.values())
        verify(lab, "--expect", "present")

    with step("a second run changes nothing and writes nothing"):
        reset_counters(lab)
        _rc, _out, recap = run(lab, "playbook", "playbooks/onboard_tenant.yml")
        assert {h: r["changed"] for h, r in recap.items()} == {h: 0 for h in ALL}
        assert vcenter_writes(lab) == {vc["key"]: 0 for vc in lab.vcenters}
        assert lab.arm.writes() == []

    with step("a VM that left the tenant and a hand-added permission lose the account's access on the next run"):
        sim = lab.simulator_of("acme")
        with VCenterReader(sim.host, sim.port, sim.username, sim.password) as reader:
            from pyVmomi import vim  # pylint: disable=import-outside-toplevel
            find = reader.content.searchIndex.FindByInventoryPath
            vm = find("DC1/vm/tenants/acme/acme-vm02")
            read_only = [r for r in reader.auth.roleList if r.name == "ReadOnly"][0].roleId
            reader.auth.SetEntityPermissions(vm, [vim.AuthorizationManager.Permission(
                principal="partner-admin@vsphere.local", group=False, roleId=read_only, propagate=False)])
            reader.auth.SetEntityPermissions(find("DC2"), [vim.AuthorizationManager.Permission(
                principal="acme-dr@vsphere.local", group=False, roleId=read_only, propagate=False)])
            task = find("DC1/vm/unassigned").MoveIntoFolder_Task([vm])
            for _attempt in range(600):
                if task.info.state not in ("queued", "running"):
                    break
                time.sleep(0.05)
            assert task.info.state == "success", task.info.error
        before = permissions(lab, "acme")
        assert ("acme-dr@vsphere.local", False, "/DC1/vm/unassigned/acme-vm02", "Azure_Site_Recovery", False) in before
        run(lab, "playbook", "playbooks/onboard_tenant.yml", "-l", "acme")
        after = permissions(lab, "acme")
        acme_after = {p[2] for p in after if p[0] == "acme-dr@vsphere.local"}
        assert "/DC1/vm/unassigned/acme-vm02" not in acme_after and "/DC2" not in acme_after
        assert {"/DC1/vm/tenants/acme/acme-vm01", "/DC1/vm/tenants/acme/acme-db01"} <= acme_after
        # every other principal's permissions stay, the administrator's on the moved VM included
        assert [p for p in before if p[0] != "acme-dr@vsphere.local"] == [p for p in after if p[0] != "acme-dr@vsphere.local"]
        assert ("partner-admin@vsphere.local", False, "/DC1/vm/unassigned/acme-vm02", "ReadOnly", False) in after

    with step("an offboarding whose confirmation names another tenant is refused before any change"):
        before = permissions(lab, "acme")
        reset_counters(lab)
        rc, out, _recap = run(lab, "playbook", "playbooks/offboard_tenant.yml", "-l", "acme",
                              "-e", "tenantdr_offboard_confirm=globex", check=False)
        assert rc != 0 and "tenantdr_offboard_confirm" in out
        assert permissions(lab, "acme") == before
        assert vcenter_writes(lab) == {vc["key"]: 0 for vc in lab.vcenters} and lab.arm.writes() == []

    with step("offboarding one tenant leaves the others untouched"):
        before = permissions(lab, "acme")
        reset_counters(lab)
        _rc, _out, recap = run(lab, "playbook", "playbooks/offboard_tenant.yml", "-l", "acme",
                               "-e", "tenantdr_offboard_confirm=acme")
        assert set(recap) == {"acme"} and recap["acme"]["failed"] == 0 and recap["acme"]["changed"] > 0
        after = permissions(lab, "acme")
        gone = [p for p in before if p[0] == "acme-dr@vsphere.local"]
        assert gone and not [p for p in after if p[0] == "acme-dr@vsphere.local"]
        # every other principal's permissions are exactly as before (globex, initech, the administrators)
        assert [p for p in before if p[0] != "acme-dr@vsphere.local"] == after
        # the DR role stays while globex and initech use it
        assert "Azure_Site_Recovery" in roles_of(lab, "acme")
        verify(lab, "--expect", "absent", "--limit", "acme")
        verify(lab, "--expect", "present", "--limit", "globex,initech,contoso,fabrikam")
        # the dedicated and MSP vCenters were not even written to
        writes = vcenter_writes(lab)
        shared = [vc["key"] for vc in lab.vcenters if "acme" in vc["tenants"]]
        assert all(n == 0 for key, n in writes.items() if key not in shared), writes


def test_a_leak_stops_a_shared_hosting_run_before_azure(lab):
    # A group the access accounts belong to gets a propagating Read-only on the whole datacenter: every tenant's
    # account now sees every VM - the pattern the guide rejects.
    sim = lab.simulator_of("globex")
    with VCenterReader(sim.host, sim.port, sim.username, sim.password) as reader:
        from pyVmomi import vim  # pylint: disable=import-outside-toplevel
        dc = reader.content.searchIndex.FindByInventoryPath("DC1")
        read_only = [r for r in reader.auth.roleList if r.name == "ReadOnly"][0]
        reader.auth.SetEntityPermissions(dc, [vim.AuthorizationManager.Permission(
            principal="dr-operators@vsphere.local", group=True, roleId=read_only.roleId, propagate=True)])
    reset_counters(lab)
    rc, _out, recap = run(lab, "playbook", "playbooks/onboard_tenant.yml", "-l", "shared_hsp",
                          "-e", '{"tenant_access_account_groups": ["dr-operators@vsphere.local"]}', check=False)
    assert rc != 0
    # the vCenter step runs once for the whole play (run_once, any_errors_fatal): the recap lists the tenants that ran a
    # task, at least the one that carried the failed step
    assert recap and set(recap) <= set(SHARED) and any(r["failed"] for r in recap.values()), recap
    # the run stopped before Azure: nothing was written to Azure, no registration key was written
    assert lab.arm.writes() == []
    assert key_files(lab) == []
