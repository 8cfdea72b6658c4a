"""The azure_tenant role's Site Recovery steps from real ansible-playbook runs against the local ARM endpoint:
two-phase onboarding (pending + next step, green, no Site Recovery writes), the pick-up run after the configuration
server registered, an idempotent re-run, the discovery leak failing a shared-hosting run, and offboarding with and
without the confirmation variable."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.support.collection import COLLECTIONS_DIR, ensure_collection_path

pytestmark = pytest.mark.arm
RG, VAULT = "rg-acme-dr", "rsv-acme-dr"
PLAYBOOK = """
- hosts: localhost
  gather_facts: false
  tasks:
    - name: Azure side of tenant acme
      ansible.builtin.include_role:
        name: tenantdr.asr.azure_tenant
      vars:
        azure_tenant_name: acme
        azure_tenant_state: "{{ state | default('present') }}"
        azure_tenant_location: westeurope
        azure_tenant_credentials_dir: "{{ key_dir }}"
        azure_tenant_delete_vault: "{{ delete_vault | default(false) }}"
        azure_tenant_connection: {auth_source: msi, polling_interval: 0.02}
        azure_tenant_site_recovery_vcenter: {name: vcenter01, address: 10.0.0.5, run_as_account: acme-dr}
        azure_tenant_site_recovery_fail_on_leak: true
        azure_tenant_confirm_disable_replication: "{{ confirm | default(false) }}"
        azure_tenant_site_recovery_plans:
          - {tenant: acme, vms: [/DC1/vm/tenants/acme/acme-vm01]}
          - {tenant: globex, vms: [/DC1/vm/tenants/globex/globex-vm01]}
"""


def play(arm, tmp_path, *extra, expect_rc=0):
    ensure_collection_path()
    playbook = tmp_path / "site.yml"
    playbook.write_text(PLAYBOOK)
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS_DIR, ANSIBLE_PYTHON_INTERPRETER=sys.executable,
               ANSIBLE_HOME=str(tmp_path / "ansible-home"), ANSIBLE_NOCOLOR="1", ANSIBLE_STDOUT_CALLBACK="default")
    env.update(arm.env())
    cmd = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", "localhost,", "-c", "local", str(playbook),
           "-e", f"key_dir={tmp_path / 'keys'}", *extra]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == expect_rc, done.stdout + done.stderr
    return done.stdout


def site_recovery_writes(arm):
    return [(w["method"], w["path"].split("/vaults/")[-1]) for w in arm.writes() if "/replication" in w["path"]]


def test_two_phase_onboarding_then_offboarding(arm, tmp_path):
    # phase 1: nothing registered yet - the run ends green, prints the next manual step, writes nothing in Site Recovery
    out = play(arm, tmp_path)
    assert "NEXT MANUAL STEP: tenant acme: install the configuration server for vault rsv-acme-dr" in out
    assert f"{tmp_path / 'keys'}/rsv-acme-dr.VaultCredentials" in out and "acme-dr" in out
    assert site_recovery_writes(arm) == []

    # a person ran the installer with the key and added the access account on the CS
    arm.add_fabric(RG, VAULT, "cs-acme", "VMware", host_name="cs-acme", ip_address="10.0.0.10",
                   process_servers=[{"name": "cs-acme", "ip_address": "10.0.0.10"}], run_as_accounts=["acme-dr"],
                   containers=[{"name": "cloud_acme", "protectable": [{"name": "acme-vm01", "vcenter": "10.0.0.5"}]}])
    arm.reset_log()
    out = play(arm, tmp_path)
    assert "NEXT MANUAL STEP" not in out
    assert [w[0] for w in site_recovery_writes(arm)] == ["PUT", "PUT", "PUT"]
    assert "discovery: tenant acme: 1 VM(s) discovered, 0 leak(s), 0 tenant VM(s) not discovered yet" in out

    arm.reset_log()
    out = play(arm, tmp_path)
    assert "infrastructure unchanged" in out and arm.writes() == []

    # another tenant's VM shows up in acme's vault: the shared-hosting run fails and names it
    arm.add_fabric(RG, VAULT, "cs-acme", "VMware", host_name="cs-acme", ip_address="10.0.0.10",
                   process_servers=[{"name": "cs-acme", "ip_address": "10.0.0.10"}], run_as_accounts=["acme-dr"],
                   containers=[{"name": "cloud_acme", "protectable": [{"name": "acme-vm01", "vcenter": "10.0.0.5"},
                                                                      {"name": "globex-vm01", "vcenter": "10.0.0.5"}]}])
    out = play(arm, tmp_path, expect_rc=2)
    assert "globex-vm01 on vCenter 10.0.0.5 is discovered in tenant acme's vault but is tenant globex's VM" in out

    # offboarding: protected VMs stop the run without the confirmation, with zero writes
    # (re-seeding the fabric dropped its vCenter and mapping: one more onboarding run puts them back)
    arm.add_fabric(RG, VAULT, "cs-acme", "VMware", host_name="cs-acme", ip_address="10.0.0.10",
                   process_servers=[{"name": "cs-acme", "ip_address": "10.0.0.10"}], run_as_accounts=["acme-dr"],
                   containers=[{"name": "cloud_acme", "protectable": [{"name": "acme-vm01", "vcenter": "10.0.0.5"}]}])
    play(arm, tmp_path)
    arm.add_protected_items(RG, VAULT, "cs-acme", "cloud_acme", ["acme-vm01"], policy="acme-replication")
    arm.reset_log()
    out = play(arm, tmp_path, "-e", "state=absent", "-e", "delete_vault=true", expect_rc=2)
    assert "acme-vm01" in out and "confirm_disable_replication" in out
    assert arm.writes() == []

    out = play(arm, tmp_path, "-e", "state=absent", "-e", "delete_vault=true", "-e", "confirm=true")
    kinds = [w[1].split("/")[-1] if w[0] == "POST" else w[0] for w in site_recovery_writes(arm)]
    assert kinds == ["remove", "remove", "DELETE", "DELETE", "remove"]
    assert VAULT not in json.dumps(arm.subscription_state()["vaults"])
