"""Both Azure modules from a real ansible-playbook run: module_defaults through the action group, options from the
environment (AZURE_SUBSCRIPTION_ID, AZURE_CLOUD_ENVIRONMENT as AWX injects them), check mode and idempotence."""
from __future__ import annotations

import json
import os
import stat
import subprocess
import sys

import pytest

from tests.support.collection import COLLECTIONS_DIR, ensure_collection_path

pytestmark = pytest.mark.arm
PLAYBOOK = """
- hosts: localhost
  gather_facts: false
  module_defaults:
    group/tenantdr.asr.azure:
      auth_source: msi
      polling_interval: 0.02
  tasks:
    - name: Vault and registration key
      tenantdr.asr.asr_vault:
        resource_group: rg-playbook
        create_resource_group: true
        name: rsv-playbook
        location: westeurope
        credentials_path: "{{ key_path }}"
      register: vault
    - name: Tenant access
      tenantdr.asr.asr_tenant_access:
        principals:
          - object_id: 6f1b3c1e-4a6d-4c4e-9d3c-2f6e8a1b0c11
      register: access
    - name: Report
      ansible.builtin.copy:
        content: "{{ {'vault': vault, 'access': access} | to_json }}"
        dest: "{{ report_path }}"
        mode: "0600"
      check_mode: false
"""


def play(arm, tmp_path, *extra):
    ensure_collection_path()
    playbook = tmp_path / "site.yml"
    playbook.write_text(PLAYBOOK)
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS_DIR, ANSIBLE_PYTHON_INTERPRETER=sys.executable,
               ANSIBLE_HOME=str(tmp_path / "ansible-home"), ANSIBLE_NOCOLOR="1")
    env.update(arm.env())
    cmd = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", "localhost,", "-c", "local", str(playbook),
           "-e", f"key_path={tmp_path / 'rsv-playbook.VaultCredentials'}", "-e", f"report_path={tmp_path / 'report.json'}", *extra]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads((tmp_path / "report.json").read_text()), done.stdout


def test_playbook_check_apply_and_rerun(arm, tmp_path):
    checked, _out = play(arm, tmp_path, "--check")
    assert checked["vault"]["changed"] is True and checked["access"]["changed"] is True
    assert arm.writes() == []

    applied, _out = play(arm, tmp_path)
    assert applied["vault"]["changes"] == checked["vault"]["changes"]
    assert applied["access"]["changes"] == checked["access"]["changes"]
    key = tmp_path / "rsv-playbook.VaultCredentials"
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600
    assert applied["vault"]["vault"]["id"].startswith(f"/subscriptions/{arm.subscription_id}/")

    arm.reset_log()
    again, _out = play(arm, tmp_path)
    assert again["vault"]["changed"] is False and again["access"]["changed"] is False
    assert again["vault"]["credentials"]["thumbprint"] == applied["vault"]["credentials"]["thumbprint"]
    assert arm.writes() == []
