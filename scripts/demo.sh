#!/usr/bin/env bash
# Demo of tenantdr.asr from a fresh clone: onboard the five sample tenants (shared hosting acme/globex/initech,
# dedicated hosting contoso, managed service fabrikam) - Site Recovery waits for each configuration server and prints
# the manual step -, onboard again (nothing changes), play the person who runs the configuration server installer
# (tests/lab/site_recovery.py; fabrikam gets a modernized appliance), onboard again (vCenter, replication policy,
# mappings, discovery check), once more (nothing changes), audit, offboard everything in Site Recovery's order with the
# vaults, offboard again (nothing changes), audit again - against the local lab (vCenter simulators + a local Azure
# Resource Manager endpoint).
#
#   bash scripts/demo.sh            # sets everything up first (scripts/setup.sh), then runs the demo in the lab
#
# Full Ansible output of each step: .build/demo/<step>.log
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"

if [ "${1:-}" != "--in-lab" ] && [ "${1:-}" != "--in-lab-csp" ]; then
  bash scripts/setup.sh
  # shellcheck source=/dev/null
  . scripts/env.sh
  t0=$SECONDS
  python -m tests.lab run -- bash scripts/demo.sh --in-lab
  # A CSP tenant from nothing (seed steps 1, 2 and 5): customer, Azure plan, subscription, delegated access, users,
  # then the vault - no subscription id given. The lab adds a local Partner Center + Graph endpoint for it.
  python -m tests.lab run -i inventories/csp_sample -- bash scripts/demo.sh --in-lab-csp
  echo "demo finished in $((SECONDS - t0))s"
  exit 0
fi

# ---- inside the lab: ANSIBLE_INVENTORY = inventories/sample + the lab overlay, VMWARE_* and Azure variables set
export ANSIBLE_DISPLAY_SKIPPED_HOSTS=false ANSIBLE_NOCOLOR=1 ANSIBLE_FORCE_COLOR=0
mkdir -p .build/demo
step() { printf '\n\033[1m==== %s\033[0m\n' "$*"; }

# Run a playbook; print its summaries (the roles' "Show ..." tasks) and the recap; keep the full output in a log.
play() {
  local name="$1"; shift
  local log=".build/demo/$name.log"
  if ansible-playbook "$@" > "$log" 2>&1; then rc=0; else rc=$?; fi
  python - "$log" <<'PY'
import re, sys
text = open(sys.argv[1], encoding="utf-8", errors="replace").read()
# the "msg" lists of the summary tasks
for block in re.findall(r'TASK \[[^\]]*(?:Show|summary)[^\]]*\][^\n]*\n(.*?)(?=\n\nTASK|\n\nPLAY|\Z)', text, re.S):
    for line in block.splitlines():
        m = re.match(r'\s+"(.*)",?$', line)
        if m and not m.group(1).startswith("msg"):
            print("  " + m.group(1).encode().decode("unicode_escape"))
recap = text[text.rfind("PLAY RECAP"):] if "PLAY RECAP" in text else ""
print(recap.rstrip())
for m in re.findall(r'(?:fatal|failed): .*', text)[:5]:
    print("  " + m[:400])
PY
  echo "  (full output: $log)"
  return $rc
}

if [ "${1:-}" = "--in-lab-csp" ]; then
  step "CSP 1/3  Onboard umbrella from nothing (inventories/csp_sample): ansible-playbook tenantdr.asr.onboard_tenant"
  play csp-1-onboard tenantdr.asr.onboard_tenant
  step "CSP 2/3  Onboard umbrella again: nothing may change (the customer, plan and subscription are found)"
  play csp-2-onboard-again tenantdr.asr.onboard_tenant
  if grep -E '^[a-z0-9-]+ +: ok=' .build/demo/csp-2-onboard-again.log | grep -vq 'changed=0 '; then
    echo "  !! the second run changed something"; exit 1
  fi
  echo "  -> changed=0"
  step "CSP 3/3  Offboard umbrella (the customer, the Azure plan and the subscription are kept: billing)"
  play csp-3-offboard tenantdr.asr.offboard_tenant
  exit 0
fi

# Fail the demo when a run changed anything (the recap of every tenant must say changed=0).
unchanged() {
  if grep -E '^[a-z0-9-]+ +: ok=' ".build/demo/$1.log" | grep -vq 'changed=0 '; then
    echo "  !! the run changed something"; exit 1
  fi
  echo "  -> changed=0 for every tenant"
}

step "1/9  Onboard every sample tenant: ansible-playbook tenantdr.asr.onboard_tenant"
echo "  (first run: no configuration server has registered with the new vaults yet - Site Recovery prints each"
echo "   tenant's next manual step and the run ends green)"
play 1-onboard tenantdr.asr.onboard_tenant

step "2/9  Onboard again: nothing may change"
play 2-onboard-again tenantdr.asr.onboard_tenant
unchanged 2-onboard-again

step "3/9  The manual step: run the configuration server installer with each tenant's key (the lab plays this person)"
echo "  python -m tests.lab.site_recovery install --modernized fabrikam   (fabrikam gets a modernized replication appliance)"
python -m tests.lab.site_recovery install --modernized fabrikam | sed 's/^/  /'

step "4/9  Onboard again: the same playbook picks up seed step 4 (vCenter, policy, mappings, discovery check)"
play 4-onboard-registered tenantdr.asr.onboard_tenant

step "5/9  Onboard again: nothing may change"
play 5-onboard-again tenantdr.asr.onboard_tenant
unchanged 5-onboard-again

step "6/9  Audit every tenant: ansible-playbook tenantdr.asr.audit_tenants"
play 6-audit tenantdr.asr.audit_tenants

step "7/9  Offboard every tenant, replication and vaults included: ansible-playbook tenantdr.asr.offboard_tenant -e tenantdr_confirm_disable_replication=true -e tenant_delete_vault=true"
play 7-offboard tenantdr.asr.offboard_tenant -e tenantdr_confirm_disable_replication=true -e tenant_delete_vault=true

step "8/9  Offboard again: nothing may change"
play 8-offboard-again tenantdr.asr.offboard_tenant -e tenantdr_confirm_disable_replication=true -e tenant_delete_vault=true
unchanged 8-offboard-again

step "9/9  Audit again, the tenants now offboarded (-e tenant_state=absent)"
play 9-audit tenantdr.asr.audit_tenants -e tenant_state=absent
