"""AWX job slicing of the onboard job template: 4 slices of a 40-tenant shared-hosting inventory, run as 4 ansible-runner
jobs at the same time against ONE vCenter simulator - first on a fresh vCenter, then again on the onboarded one.

AWX gives slice k of N a job of its own whose inventory holds only the hosts ``sorted(hosts)[k-1::N]``
(awx/main/models/inventory.py ``get_sliced_hosts``), so each slice plans its shared vCenter from its own 10 tenants.
Expected (issue 14): every slice succeeds; one DR role exists afterwards; every tenant's account holds exactly what the
guide's table gives it (tests/lab/verify.py ``check_vcenter_present``: Read-only on the root, the DR role on each of
its VMs, nothing propagating, no foreign VM); the second round changes nothing and loses no permission of another
slice's tenant; an unsliced audit job with fail-on-leak afterwards is clean.

The Azure part is switched off through the survey (``tenantdr_azure_enabled: "false"``): slicing concerns the shared
vCenter; Azure objects are per tenant and covered by test_awx_runner_jobs.py. One VM per tenant keeps it quick.
"""
from __future__ import annotations

import concurrent.futures
import os
import sys

import pytest

from tests.integration.awx.awx_jobs import launch, restrict_inventory, slice_hosts
from tests.lab.lab import REPO_ROOT, ensure_collection_link
from tests.lab.verify import VCenterReader, check_vcenter_present
from tests.simulator.inventory import dr_account, generated_inventory, tenant_name
from tests.simulator.vcsim import VCenterSimulator

pytestmark = pytest.mark.vcsim

TENANTS = [tenant_name(i + 1) for i in range(40)]
SLICES = 4
DR_ROLE = "Azure_Site_Recovery"          # the roles' default tenant_dr_role


@pytest.fixture(scope="module")
def sim():
    ensure_collection_link()
    with VCenterSimulator(generated_inventory(len(TENANTS), vms_per_tenant=1)) as running:
        yield running


@pytest.fixture(scope="module")
def inventory(sim):
    """The shared-hosting inventory as AWX stores it (inventories/sample's layout; one host per tenant)."""
    hostvars = {t: {"tenant_name": t, "tenant_access_account": dr_account(t),
                    "tenant_vm_selectors": {"folders": ["/DC1/vm/tenants/%s" % t]},
                    "tenant_management_servers": ["/DC1/vm/mgmt/%s-cs01" % t]} for t in TENANTS}
    return {
        "_meta": {"hostvars": hostvars},
        "all": {"children": ["tenants", "ungrouped"]},
        "tenants": {"children": ["shared_hsp"],
                    "vars": {"ansible_connection": "local", "ansible_python_interpreter": "{{ ansible_playbook_python }}",
                             "tenant_state": "present"}},
        "shared_hsp": {"hosts": list(TENANTS),
                       "vars": {"tenant_topology": "shared_hsp",
                                "tenant_vcenter": {"hostname": sim.host, "port": sim.port, "validate_certs": False}}},
    }


def ee_env() -> dict:
    return {"ANSIBLE_COLLECTIONS_PATH": os.path.join(REPO_ROOT, ".build", "collections"),
            "ANSIBLE_COLLECTIONS_SCAN_SYS_PATH": "false", "ANSIBLE_NOCOLOR": "1",
            "PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")}


def vcenter_credential(sim):
    return ("vcenter_dr", {"username": sim.username, "password": sim.password, "validate_certs": False})


def run_slices(sim, inventory, workdir):
    """The 4 slice jobs of one sliced launch, all at once; returns {slice number: Job}."""
    def one(k):
        hosts = slice_hosts(TENANTS, k, SLICES)
        return launch("onboard_tenant", os.path.join(workdir, "slice%d" % k), restrict_inventory(inventory, hosts),
                      credentials=[vcenter_credential(sim)], answers={"tenantdr_azure_enabled": "false"},
                      base_env=ee_env())
    with concurrent.futures.ThreadPoolExecutor(max_workers=SLICES) as pool:
        futures = {k: pool.submit(one, k) for k in range(1, SLICES + 1)}
        return {k: f.result() for k, f in futures.items()}


def read_state(sim):
    with VCenterReader(sim.host, sim.port, sim.username, sim.password) as reader:
        roles = [r.name for r in reader.auth.roleList]
        perms = reader.all_permissions()
        problems = []
        for t in TENANTS:
            try:
                check_vcenter_present(reader, {"name": t, "access_account": dr_account(t), "dr_role": DR_ROLE, "failback": True})
            except AssertionError as exc:
                problems.append("%s: %s" % (t, exc))
    return roles, perms, problems


def assert_slices_succeeded(jobs):
    assert {k: j.status for k, j in jobs.items()} == {k: "successful" for k in jobs}, \
        {k: j.failed_results() for k, j in jobs.items() if j.status != "successful"}
    seen = {}
    for k, j in jobs.items():
        per_host = j.per_host()
        assert sorted(per_host) == slice_hosts(TENANTS, k, SLICES)      # a slice runs its own tenants only
        assert all(c["failed"] == 0 for c in per_host.values()), per_host
        seen.update(per_host)
    assert sorted(seen) == TENANTS
    return seen


RACE = ("race fix lands with issue 12 (two slices creating the DR role at once: the loser fails with AlreadyExists "
        "instead of re-reading the role)")


@pytest.mark.xfail(strict=False, reason=RACE)
def test_01_four_slices_on_a_fresh_vcenter(sim, inventory, tmp_path):
    assert DR_ROLE not in read_state(sim)[0]
    # all four slices race to create the DR role and write their tenants' permissions
    first = assert_slices_succeeded(run_slices(sim, inventory, str(tmp_path)))
    assert all(c["changed"] > 0 for c in first.values())
    roles, _perms, problems = read_state(sim)
    assert roles.count(DR_ROLE) == 1
    assert problems == []                 # every tenant of every slice onboarded exactly per the guide's table


def test_02_four_slices_on_an_onboarded_vcenter_change_nothing_and_lose_nothing(sim, inventory, tmp_path):
    roles, _perms, problems = read_state(sim)
    if problems or DR_ROLE not in roles:
        # test_01 lost the race (see its xfail): converge with one unsliced job first - a re-run must repair it
        converge = launch("onboard_tenant", str(tmp_path / "converge"), inventory, credentials=[vcenter_credential(sim)],
                          answers={"tenantdr_azure_enabled": "false"}, base_env=ee_env())
        assert converge.status == "successful", converge.failed_results()
    roles, perms_before, problems = read_state(sim)
    assert roles.count(DR_ROLE) == 1 and problems == []

    second = assert_slices_succeeded(run_slices(sim, inventory, str(tmp_path / "slices")))
    assert {h: c["changed"] for h, c in second.items()} == {h: 0 for h in TENANTS}
    roles, perms_after, problems = read_state(sim)
    assert roles.count(DR_ROLE) == 1 and problems == []
    assert perms_after == perms_before    # no slice removed or altered a permission of another slice's tenant

    # the audit afterwards, unsliced, failing on any leak
    audit = launch("audit_tenants", str(tmp_path / "audit"), inventory, credentials=[vcenter_credential(sim)],
                   answers={"tenantdr_audit_fail_on_leak": "true", "tenantdr_azure_enabled": "false"}, base_env=ee_env())
    assert audit.status == "successful", audit.failed_results()
    per_host = audit.per_host()
    assert sorted(per_host) == TENANTS and all(c["failed"] == 0 and c["changed"] == 0 for c in per_host.values())
