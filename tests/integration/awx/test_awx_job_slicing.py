"""AWX job slicing of the onboard job template: 4 slices of a 40-tenant shared-hosting inventory, run as 4 ansible-runner
jobs at the same time against ONE vCenter simulator - first on a fresh vCenter, then again on the onboarded one.

AWX gives slice k of N a job of its own whose inventory holds only the hosts ``sorted(hosts)[k-1::N]``
(awx/main/models/inventory.py ``get_sliced_hosts``), so each slice plans its shared vCenter from its own 10 tenants.
Expected (issue 14): every slice succeeds; one DR role exists afterwards; every tenant's account holds exactly what the
guide's table gives it (tests/lab/verify.py ``check_vcenter_present``: Read-only on the root, the DR role on each of
its VMs, nothing propagating, no foreign VM); the second round changes nothing and loses no permission of another
slice's tenant; an unsliced audit job with fail-on-leak afterwards is clean.

The expected permissions of each generated tenant are written out below (:func:`expected_objects`) from the simulator
spec (tests/simulator/inventory.py ``generated_inventory``) and seed 000's object table, with the collection's default
``placement: domain`` - never computed from ``plugins/``. tests/lab/verify.py's ``check_vcenter_present`` runs every
check against that table (its own table, tests/support/expected_plan.py, only covers inventories/sample's tenants).

The Azure part is switched off through the survey (``tenantdr_azure_enabled: "false"``): slicing concerns the shared
vCenter; Azure objects are per tenant and covered by test_awx_runner_jobs.py. One VM per tenant keeps it quick.
"""
from __future__ import annotations

import concurrent.futures
import os
import sys

import pytest

from tests.integration.awx.awx_jobs import launch, restrict_inventory, slice_hosts
from tests.lab import verify
from tests.lab.lab import REPO_ROOT, ensure_collection_link
from tests.lab.verify import VCenterReader, check_vcenter_present
from tests.simulator.inventory import dr_account, generated_inventory, tenant_name
from tests.simulator.vcsim import VCenterSimulator

pytestmark = pytest.mark.vcsim

TENANTS = [tenant_name(i + 1) for i in range(40)]
SLICES = 4
DR_ROLE = "Azure_Site_Recovery"          # the roles' default tenant_dr_role

# generated_inventory(40, vms_per_tenant=1) with its defaults (20 tenants per cluster, 10 hosts per cluster, 4
# datastores, the last two in dsc-01), written out: t0001-t0020 run on CL01, t0021-t0040 on CL02; tenant i's VM
# tenants/<t>/<t>-vm01 and its configuration server mgmt/<t>-cs01 both use the datastore ds_names[i % 4] (i mod 4 = 1 ->
# ds-02, 2 -> ds-03, 3 -> ds-04, 0 -> ds-01), the VM port group pg-<t>, the server pg-mgmt and pg-<t> (standard port
# groups); the hosts of CLcc are esx-cc-01 .. esx-cc-10.
HOSTS_PER_CLUSTER = 10
DATASTORE_OF = {1: "ds-02", 2: "ds-03", 3: "ds-04", 0: "ds-01"}          # tenant number mod 4 -> datastore
DATASTORE_CLUSTER = ("dsc-01", ("ds-03", "ds-04"))


def expected_objects(tenant, placement, dr_role=DR_ROLE, failback=True):
    """{path: (type, kind, role)} a generated tenant's account must hold with ``placement: domain``, by seed 000's table:
    the root Read-only; the DR role on the datacenter, the cluster and (domain) every host of it, the datastore and
    (domain, when it is in the datastore cluster) the datastore cluster and all its datastores, the two port groups,
    the configuration server and the VM."""
    assert placement == "domain" and failback, (placement, failback)      # what this test onboards
    number = int(tenant[1:])
    cluster = "CL%02d" % ((number - 1) // 20 + 1)
    objects = {"/": ("Folder", "vcenter_root", "ReadOnly"),
               "/DC1": ("Datacenter", "datacenter", dr_role),
               "/DC1/host/" + cluster: ("ClusterComputeResource", "cluster", dr_role),
               "/DC1/network/pg-" + tenant: ("Network", "network", dr_role),
               "/DC1/network/pg-mgmt": ("Network", "network", dr_role),
               "/DC1/vm/mgmt/%s-cs01" % tenant: ("VirtualMachine", "management_server", dr_role),
               "/DC1/vm/tenants/%s/%s-vm01" % (tenant, tenant): ("VirtualMachine", "tenant_vm", dr_role)}
    for host in range(1, HOSTS_PER_CLUSTER + 1):
        objects["/DC1/host/%s/esx-%s-%02d" % (cluster, cluster[2:], host)] = ("HostSystem", "host", dr_role)
    datastore = DATASTORE_OF[number % 4]
    pod, members = DATASTORE_CLUSTER
    if datastore in members:
        objects["/DC1/datastore/" + pod] = ("StoragePod", "datastore_cluster", dr_role)
        for member in members:
            objects["/DC1/datastore/%s/%s" % (pod, member)] = ("Datastore", "datastore", dr_role)
    else:
        objects["/DC1/datastore/" + datastore] = ("Datastore", "datastore", dr_role)
    return objects


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


def ee_env(workdir: str) -> dict:
    """What the execution environment provides; audit report files go to the job's directory (TENANTDR_REPORT_DIR),
    not into the project checkout (the repository here)."""
    return {"ANSIBLE_COLLECTIONS_PATH": os.path.join(REPO_ROOT, ".build", "collections"),
            "TENANTDR_REPORT_DIR": os.path.join(workdir, "reports"),
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
                      base_env=ee_env(workdir))
    with concurrent.futures.ThreadPoolExecutor(max_workers=SLICES) as pool:
        futures = {k: pool.submit(one, k) for k in range(1, SLICES + 1)}
        return {k: f.result() for k, f in futures.items()}


def read_state(sim):
    with VCenterReader(sim.host, sim.port, sim.username, sim.password) as reader, pytest.MonkeyPatch.context() as mp:
        # verify.py's checks, with this test's hand-written table of the generated tenants
        mp.setattr(verify, "expected_objects", expected_objects)
        roles = [r.name for r in reader.auth.roleList]
        perms = reader.all_permissions()
        problems = []
        for t in TENANTS:
            try:
                check_vcenter_present(reader, {"name": t, "access_account": dr_account(t), "dr_role": DR_ROLE, "failback": True},
                                      placement="domain")
            except AssertionError as exc:
                problems.append("%s: %s" % (t, exc))
    return roles, perms, problems


VCENTER_ACTION = "tenantdr.asr.inventory_tenants"     # the vCenter part: one run per vCenter for the job's tenants


def vcenter_results(job) -> list:
    """The results of the vCenter part of a job (runner_on_ok events of tenantdr.asr.inventory_tenants)."""
    return [d["res"] for d in job.results("runner_on_ok") if d.get("task_action") == VCENTER_ACTION]


def assert_slices_succeeded(jobs):
    """Every slice succeeded and onboarded exactly its own tenants on the vCenter; returns
    {tenant: [its permission changes]} and {slice: [DR role actions]} from the slices' vCenter results."""
    assert {k: j.status for k, j in jobs.items()} == {k: "successful" for k in jobs}, \
        {k: j.failed_results() for k, j in jobs.items() if j.status != "successful"}
    changes, role_actions = {}, {}
    for k, j in jobs.items():
        own = slice_hosts(TENANTS, k, SLICES)
        assert j.results("runner_on_failed") == [] and j.results("runner_on_unreachable") == []
        assert all(h in own for h in j.per_host()), sorted(j.per_host())     # no task ran for another slice's tenant
        results = vcenter_results(j)
        assert len(results) == 1, len(results)                                # the vCenter part ran once per slice job
        (vcenter,) = results[0]["vcenters"]                                    # ... for the one shared vCenter
        assert sorted(vcenter["hosts"]) == own and vcenter["offboard"] == [], vcenter["hosts"]
        accounts = {dr_account(t): t for t in own}
        for change in vcenter["permissions"]["changes"]:
            # a slice writes its own tenants' permissions only
            assert change["principal"] in accounts, change
            changes.setdefault(accounts[change["principal"]], []).append(change)
        for t in own:
            changes.setdefault(t, [])
        role_actions[k] = [r["action"] for r in vcenter["roles"] if r["changed"]]
    assert sorted(changes) == TENANTS
    return changes, role_actions


def test_01_four_slices_on_a_fresh_vcenter(sim, inventory, tmp_path):
    assert DR_ROLE not in read_state(sim)[0]
    # all four slices race to create the DR role and write their tenants' permissions; the loser re-reads the role
    changes, role_actions = assert_slices_succeeded(run_slices(sim, inventory, str(tmp_path)))
    assert all(changes[t] and all(c["action"] == "add" for c in changes[t]) for t in TENANTS), changes
    assert sum(len(actions) for actions in role_actions.values()) >= 1       # someone created the role
    roles, _perms, problems = read_state(sim)
    assert roles.count(DR_ROLE) == 1
    assert problems == []                 # every tenant of every slice onboarded exactly per the guide's table


def test_02_four_slices_on_an_onboarded_vcenter_change_nothing_and_lose_nothing(sim, inventory, tmp_path):
    roles, _perms, problems = read_state(sim)
    if problems or DR_ROLE not in roles:
        # run alone (a fresh vCenter): onboard with one unsliced job first
        converge = launch("onboard_tenant", str(tmp_path / "converge"), inventory, credentials=[vcenter_credential(sim)],
                          answers={"tenantdr_azure_enabled": "false"}, base_env=ee_env(str(tmp_path)))
        assert converge.status == "successful", converge.failed_results()
    roles, perms_before, problems = read_state(sim)
    assert roles.count(DR_ROLE) == 1 and problems == []

    jobs = run_slices(sim, inventory, str(tmp_path / "slices"))
    changes, role_actions = assert_slices_succeeded(jobs)
    assert {t: changes[t] for t in TENANTS} == {t: [] for t in TENANTS}
    assert role_actions == {k: [] for k in range(1, SLICES + 1)}
    assert all(not r["changed"] for j in jobs.values() for r in vcenter_results(j))
    assert all(j.stats().get("changed") == {} for j in jobs.values()), {k: j.stats().get("changed") for k, j in jobs.items()}
    roles, perms_after, problems = read_state(sim)
    assert roles.count(DR_ROLE) == 1 and problems == []
    assert perms_after == perms_before    # no slice removed or altered a permission of another slice's tenant

    # the audit afterwards, unsliced, failing on any leak
    audit = launch("audit_tenants", str(tmp_path / "audit"), inventory, credentials=[vcenter_credential(sim)],
                   answers={"tenantdr_audit_fail_on_leak": "true", "tenantdr_azure_enabled": "false"},
                   base_env=ee_env(str(tmp_path)))
    assert audit.status == "successful", audit.failed_results()
    assert audit.results("runner_on_failed") == []
    assert read_state(sim)[1] == perms_before            # the audit changed nothing in vCenter
    # the job artifact (set_stats): one vCenter, all 40 tenants audited together, clean
    report = (audit.stats().get("artifact_data") or {}).get("tenantdr_audit_report") or {}
    assert report.get("clean") is True and report.get("findings") == 0, report
    assert [sorted(t["name"] for t in vc["tenants"]) for vc in report["vcenters"]] == [TENANTS]
