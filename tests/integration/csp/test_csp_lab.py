"""The sample CSP tenant (inventories/csp_sample, no subscription id) onboarded from nothing by the onboard_tenant
playbook in the lab: vCenter simulator, local ARM endpoint and local Partner Center + Graph endpoint; a re-run
changes nothing and writes nothing on either Azure endpoint."""
from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from tests.lab.lab import REPO_ROOT, Lab, ensure_collection_link

pytestmark = [pytest.mark.vcsim, pytest.mark.arm]
INVENTORY = os.path.join(REPO_ROOT, "inventories", "csp_sample")


def playbook(lab, name):
    env = lab.env()
    env["ANSIBLE_NOCOLOR"] = "1"
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    proc = subprocess.run(["ansible-playbook", name], cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=900, check=False)
    assert proc.returncode == 0, proc.stdout[-6000:]
    counters = re.search(r"^umbrella\s+:\s+(ok=.*)$", proc.stdout, re.M).group(1)
    return proc.stdout, {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", counters)}


def test_sample_csp_tenant_from_nothing_then_rerun(tmp_path):
    ensure_collection_link()
    with Lab([INVENTORY], workdir=str(tmp_path / "lab")) as lab:
        assert lab.partner_center is not None
        out, recap = playbook(lab, "tenantdr.asr.onboard_tenant")
        assert recap["failed"] == 0 and recap["changed"] > 0
        customers = lab.partner_center.state()["customers"]
        assert [c["domain"] for c in customers.values()] == ["umbrelladr.onmicrosoft.com"]
        with_vault = {sid: s for sid, s in lab.arm.state()["subscriptions"].items() if s["vaults"]}
        assert len(with_vault) == 1
        subscription_id, sub = next(iter(with_vault.items()))
        assert "rg-umbrella-dr/rsv-umbrella-dr" in sub["vaults"]
        assert f"subscription: {subscription_id}" in out
        assert "approval link for the customer: https://admin.microsoft.com/" in out
        assert os.path.exists(os.path.join(lab.credentials_dir, "umbrella", "rsv-umbrella-dr.VaultCredentials"))

        lab.arm.reset_log()
        lab.partner_center.reset_log()
        _out, again = playbook(lab, "tenantdr.asr.onboard_tenant")
        assert again["changed"] == 0 and again["failed"] == 0
        assert lab.arm.writes() == [] and lab.partner_center.writes() == []
