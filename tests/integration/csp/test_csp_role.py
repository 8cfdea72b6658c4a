"""The azure_tenant role onboarding a CSP tenant from nothing (no subscription id) with ansible-playbook: customer ->
plan -> subscription -> pending GDAP -> vault, then approval, a re-run with changed=0, offboarding."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

from tests.integration.csp.conftest import CUSTOMER
from tests.support.collection import COLLECTIONS_DIR, ensure_collection_path

pytestmark = pytest.mark.arm
PLAYBOOK = """
- hosts: contoso
  gather_facts: false
  tasks:
    - name: The tenant in Azure
      ansible.builtin.include_role:
        name: tenantdr.asr.azure_tenant
        tasks_from: tenant
"""


def play(arm, pc, tmp_path, group_id, *extra):
    ensure_collection_path()
    (tmp_path / "site.yml").write_text(PLAYBOOK)
    csp = dict(CUSTOMER, users=[{"user_principal_name": "dr.operator@contosodr.onmicrosoft.com", "display_name": "DR Operator"}])
    host_vars = {"tenant_location": "westeurope", "tenant_csp": csp, "tenantdr_credentials_dir": str(tmp_path / "creds"),
                 "tenantdr_csp_billing_account": pc.billing_account, "tenantdr_csp_security_group_id": group_id,
                 "tenantdr_partner_center_connection": {"cloud_environment": arm.base_url, "max_retry_wait": 5},
                 "tenantdr_azure_connection": {"auth_source": "msi", "polling_interval": 0.02}}
    (tmp_path / "inventory.json").write_text(json.dumps({"all": {"hosts": {"contoso": host_vars}}}))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS_DIR, ANSIBLE_PYTHON_INTERPRETER=sys.executable,
               ANSIBLE_HOME=str(tmp_path / "ansible-home"), ANSIBLE_NOCOLOR="1")
    env.update(arm.env())
    env.pop("AZURE_SUBSCRIPTION_ID")
    env.update(pc.env(pc.app))
    cmd = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", str(tmp_path / "inventory.json"),
           "-c", "local", str(tmp_path / "site.yml"), *extra]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def recap_changed(out: str) -> int:
    return int(re.search(r"contoso\s*:.*changed=(\d+)", out).group(1))


def test_role_onboards_a_csp_tenant_from_nothing(arm, pc, tmp_path):
    group_id = pc.add_group("Azure managers")
    first = play(arm, pc, tmp_path, group_id)
    customer_id = list(pc.state()["customers"])[0]
    subs = [s for s in arm.state()["subscriptions"].values() if s["vaults"]]
    assert len(subs) == 1 and "rg-contoso-dr/rsv-contoso-dr" in subs[0]["vaults"]
    assert "PENDING: waiting for the customer to approve" in first
    rel = pc.state()["relationships"][0]
    assert "approval link for the customer: https://admin.microsoft.com/AdminPortal/Home#/partners/invitation/" \
           f"granularAdminRelationships/{rel['id']}" in first
    with open(tmp_path / "creds" / "contoso" / "csp-secrets.json", encoding="utf-8") as handle:
        secrets = json.load(handle)
    assert secrets["customer_admin"]["password"] not in first
    user = secrets["users"]["dr.operator@contosodr.onmicrosoft.com"]
    assert user["initial_password"] not in first
    assigned = [a for a in subs[0]["role_assignments"] if not a["seeded"]]
    assert [(a["principal_id"], a["role"]) for a in assigned] == [(user["id"], "Contributor")]

    pc.approve(rel["id"])
    approved = play(arm, pc, tmp_path, group_id)
    assert f"assign security group {group_id} the relationship's roles" in approved

    pc.reset_log()
    arm.reset_log()
    again = play(arm, pc, tmp_path, group_id)
    assert recap_changed(again) == 0
    assert pc.writes() == [] and arm.writes() == []

    gone = play(arm, pc, tmp_path, group_id, "-e", "tenant_state=absent", "-e", "tenant_csp_end_relationship=true")
    assert "kept (billed, never deleted by tenantdr.asr): the customer, its Azure plan and subscription" in gone
    assert pc.state()["customers"][customer_id]["users"] == []
    assert pc.state()["relationships"][0]["status"] == "terminated"
    left = [s for s in arm.state()["subscriptions"].values() if s["vaults"]]
    assert len(left) == 1, "the subscription and the vault are kept"
    assert [a for a in left[0]["role_assignments"] if not a["seeded"]] == []
