"""The three job templates of awx/ run as AWX runs them - ansible-runner in a private data directory built from the
credential types' injectors, the survey and the launch-time limit - against the lab (vCenter simulators + local ARM
endpoint for the five tenants of inventories/sample).

The job environment holds only what an execution environment provides (the collection, the CA the ARM endpoint's
certificate chains to) plus what the two custom credentials inject: no VMWARE_* / AZURE_* / managed-identity variables
of the lab, so Azure signs in with the service principal the "tenantdr.asr Azure partner service principal (DR)"
credential injects, and vCenter with the "tenantdr.asr vCenter (DR)" account. Outcomes come from runner's job events
(per-host ok/changed/failed) and from the state read back (pyVmomi, ARM REST: tests/lab/verify.py), never stdout.
The tests build on each other in file order (onboard -> re-run -> audit -> offboard one tenant).
"""
from __future__ import annotations

import os
import sys

import pytest

from tests.integration.awx.awx_jobs import SurveyRefused, all_hosts, export_inventory, launch
from tests.lab.lab import AZURE_ENV, REPO_ROOT, Lab, ensure_collection_link
from tests.lab.verify import VCenterReader, verify

pytestmark = [pytest.mark.vcsim, pytest.mark.arm]

ALL = ["acme", "contoso", "fabrikam", "globex", "initech"]
SECRET = "awx-runner-test-secret"


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    ensure_collection_link()
    with pytest.MonkeyPatch.context() as mp:
        # The job must get its connection settings from the credentials alone.
        for name in AZURE_ENV + ("VMWARE_USER", "VMWARE_PASSWORD", "VMWARE_VALIDATE_CERTS", "IDENTITY_ENDPOINT",
                                 "IDENTITY_HEADER", "REQUESTS_CA_BUNDLE", "SSL_CERT_FILE", "ANSIBLE_INVENTORY"):
            mp.delenv(name, raising=False)
        with Lab(workdir=str(tmp_path_factory.mktemp("lab"))) as running:
            running.service_principal = running.arm.add_service_principal(secret=SECRET)
            yield running


@pytest.fixture(scope="module")
def inventory(lab):
    return export_inventory(lab.inventories + [lab.overlay_dir])


def ee_env(lab) -> dict:
    """What the execution environment provides: the collection, the CA trust store, the tools on PATH, and where the
    audit writes its report files (TENANTDR_REPORT_DIR; not the project checkout, which is the repository here)."""
    return {
        "ANSIBLE_COLLECTIONS_PATH": os.path.join(REPO_ROOT, ".build", "collections"),
        "TENANTDR_REPORT_DIR": report_dir(lab),
        "ANSIBLE_COLLECTIONS_SCAN_SYS_PATH": "false",
        "REQUESTS_CA_BUNDLE": lab.arm.ca_bundle,
        "SSL_CERT_FILE": lab.arm.ca_bundle,
        "PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""),
        "ANSIBLE_NOCOLOR": "1",
    }


def report_dir(lab) -> str:
    return os.path.join(lab.workdir, "reports")


def credentials(lab) -> list:
    """The two custom credentials of the job templates, with the lab's accounts as their inputs."""
    sim = lab.vcenters[0]["sim"]
    sp = lab.service_principal
    return [
        ("vcenter_dr", {"username": sim.username, "password": sim.password, "validate_certs": False}),
        ("azure_dr", {"tenant": sp["tenant_id"], "client_id": sp["client_id"], "secret": SECRET,
                      "cloud_environment": lab.arm.base_url}),
    ]


def job(lab, inventory, tmp_path, name, **kwargs):
    return launch(name, str(tmp_path / name), inventory, credentials=credentials(lab), base_env=ee_env(lab), **kwargs)


def check_state(lab, **kwargs):
    """tests/lab/verify.py's checks (pyVmomi, ARM REST with the lab's managed identity), in the lab's environment."""
    with pytest.MonkeyPatch.context() as mp:
        for name, value in lab.env().items():
            mp.setenv(name, value)
        verify(log=lambda line: None, **kwargs)


def permissions(lab):
    out = {}
    for vc in lab.vcenters:
        sim = vc["sim"]
        with VCenterReader(sim.host, sim.port, sim.username, sim.password) as reader:
            out[vc["key"]] = reader.all_permissions()
    return out


# ------------------------------------------------------------------------------------------------ survey refusals
@pytest.mark.parametrize("template, answers, message", [
    ("onboard_tenant", {"tenant_credentials_min_validity_hours": 120},
     "'tenant_credentials_min_validity_hours' value 120 is too large (must be no more than 119)."),
    ("onboard_tenant", {"tenant_credentials_min_validity_hours": -1},
     "'tenant_credentials_min_validity_hours' value -1 is too small (must be at least 0)."),
    ("onboard_tenant", {"tenant_credentials_min_validity_hours": "12"},
     "Value 12 for 'tenant_credentials_min_validity_hours' expected to be an integer."),
    ("onboard_tenant", {"tenantdr_azure_enabled": "yes"},
     "Value yes for 'tenantdr_azure_enabled' expected to be one of ['true', 'false']."),
    ("offboard_tenant", {}, "'tenantdr_offboard_confirm' value missing"),
    ("offboard_tenant", {"tenantdr_offboard_confirm": ""},
     "'tenantdr_offboard_confirm' value  is too small (length is 0 must be at least 1)."),
    ("offboard_tenant", {"tenantdr_offboard_confirm": "acme", "tenant_delete_vault": True},
     "Value True for 'tenant_delete_vault' expected to be one of ['false', 'true']."),
    ("audit_tenants", {"tenantdr_audit_fail_on_leak": "true", "tenant_state": "absent"},
     "Variables tenant_state are not allowed on launch."),
])
def test_answers_that_break_the_survey_are_refused_before_any_job(lab, inventory, tmp_path, template, answers, message):
    before = permissions(lab)
    writes = lab.arm.writes()
    with pytest.raises(SurveyRefused) as refused:
        job(lab, inventory, tmp_path, template, answers=answers)
    assert any(e.startswith(message) for e in refused.value.errors), refused.value.errors
    assert not (tmp_path / template).exists()          # no job was created
    assert permissions(lab) == before and lab.arm.writes() == writes


# ------------------------------------------------------------------------------------------------ the jobs
def test_01_onboard_job_with_the_survey_defaults(lab, inventory, tmp_path):
    assert all_hosts(inventory) == ALL
    run = job(lab, inventory, tmp_path, "onboard_tenant")
    assert run.status == "successful", run.failed_results()
    # the survey's defaults reached the playbook as extra vars, next to what the credentials inject
    assert run.extra_vars["tenantdr_azure_enabled"] == "true" and run.extra_vars["tenant_credentials_min_validity_hours"] == 0
    per_host = run.per_host()
    assert sorted(per_host) == ALL
    assert all(c["failed"] == 0 and c["unreachable"] == 0 for c in per_host.values()), per_host
    assert all(c["changed"] > 0 for c in per_host.values()), per_host
    assert run.stats()["failures"] == {}
    # Azure was reached with the injected service principal only, not the lab's managed identity
    assert {r["principal"] for r in lab.arm.requests_log() if r["principal"]} == {lab.service_principal["object_id"]}
    # the real state: vCenter read with pyVmomi, Azure through ARM (vault, key file 0600, tenant access)
    check_state(lab, expect="present")


def test_02_second_onboard_job_changes_nothing(lab, inventory, tmp_path):
    # one tenant of its own vCenter, limited at launch (the full re-run is tests/integration/playbooks' job)
    before = permissions(lab)
    lab.arm.reset_log()
    run = job(lab, inventory, tmp_path, "onboard_tenant", limit="contoso")
    assert run.status == "successful", run.failed_results()
    per_host = run.per_host()
    assert {h: c["changed"] for h, c in per_host.items()} == {"contoso": 0}
    assert run.stats()["changed"] == {}
    assert permissions(lab) == before and lab.arm.writes() == []


def test_03_audit_job_failing_on_leaks_is_clean(lab, inventory, tmp_path):
    before = permissions(lab)
    lab.arm.reset_log()
    run = job(lab, inventory, tmp_path, "audit_tenants", answers={"tenantdr_audit_fail_on_leak": "true"})
    assert run.status == "successful", run.failed_results()
    per_host = run.per_host()
    assert sorted(per_host) == ALL and all(c["failed"] == 0 for c in per_host.values()), per_host
    # the audit changes nothing in vCenter or Azure (read back) ...
    assert permissions(lab) == before and lab.arm.writes() == []
    # ... its only writes are the report files on the controller (docs/isolation-report.md), in TENANTDR_REPORT_DIR
    written = [(d["host"], (d.get("res") or {}).get("dest") or (d.get("res") or {}).get("path"))
               for d in run.results("runner_on_ok") if (d.get("res") or {}).get("changed")]
    reports = os.path.realpath(report_dir(lab))
    assert written and all(path and os.path.commonpath([os.path.realpath(path), reports]) == reports
                           for _host, path in written), written
    # the job artifact (set_stats) a workflow acts on: clean, every tenant of every vCenter audited
    artifact = run.stats().get("artifact_data") or {}
    report = artifact.get("tenantdr_audit_report") or {}
    assert report.get("clean") is True and report.get("findings") == 0, report
    assert sorted(t["name"] for vc in report["vcenters"] for t in vc["tenants"]) == ALL
    assert all(os.path.isfile(path) for path in artifact["tenantdr_audit_report_files"].values())


def test_04_offboard_job_with_a_wrong_confirmation_changes_nothing(lab, inventory, tmp_path):
    before = permissions(lab)
    run = job(lab, inventory, tmp_path, "offboard_tenant", limit="acme", answers={"tenantdr_offboard_confirm": "globex"})
    assert run.status == "failed"
    per_host = run.per_host()
    assert sorted(per_host) == ["acme"] and per_host["acme"]["failed"] == 1 and per_host["acme"]["changed"] == 0
    assert permissions(lab) == before


def test_05_offboard_job_limited_to_one_tenant(lab, inventory, tmp_path):
    before = permissions(lab)
    run = job(lab, inventory, tmp_path, "offboard_tenant", limit="acme", answers={"tenantdr_offboard_confirm": "acme"})
    assert run.status == "successful", run.failed_results()
    per_host = run.per_host()
    assert sorted(per_host) == ["acme"]                   # the limit: no other tenant's task ran
    assert per_host["acme"]["failed"] == 0 and per_host["acme"]["changed"] > 0
    check_state(lab, limit="acme", expect="absent")
    check_state(lab, limit="globex,initech,contoso,fabrikam", expect="present")
    after = permissions(lab)
    for key, perms in before.items():
        # every other principal's permissions are exactly as before
        assert [p for p in perms if p[0] != "acme-dr@vsphere.local"] == after[key]
