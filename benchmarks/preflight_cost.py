"""Cost of the preflight stage at scale: T shared-hosting tenants on one vCenter simulator (and the local ARM endpoint).

    .venv/bin/python benchmarks/preflight_cost.py --tenants 1000 --vms 5

Runs ``ansible-playbook playbooks/onboard_tenant.yml -e tenantdr_preflight_only=true`` (preflight plus the plan, the
rest of the playbook runs nothing) on the benchmark inventory (``generated_inventory``, the layout of
run_benchmark.py), once vCenter only (``tenantdr_azure_enabled=false``) and once with the Azure checks against the local
ARM endpoint (every tenant in one subscription). Records wall time, the task's own time, SOAP requests by method
(counted by the simulator) and ARM requests (the endpoint's log). Writes docs/benchmarks/preflight.json; the figures
are quoted in docs/benchmarks/preflight.md. Not a test: nothing here asserts timings.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, REPO)
from tests.arm.controller import LocalArmEndpoint  # noqa: E402  pylint: disable=wrong-import-position
from tests.simulator.inventory import dr_account, generated_inventory, tenant_name  # noqa: E402  pylint: disable=wrong-import-position
from tests.simulator.vcsim import VCenterSimulator  # noqa: E402  pylint: disable=wrong-import-position

WORK = os.path.join(HERE, 'output', 'preflight')
OUT = os.path.join(REPO, 'docs', 'benchmarks', 'preflight.json')


def write_inventory(path, sim, tenants):
    hosts = {}
    for t in tenants:
        hosts[t] = dict(tenant_name=t, tenant_access_account=dr_account(t),
                        tenant_vm_selectors=dict(folders=['/DC1/vm/tenants/%s' % t]),
                        tenant_management_servers=['/DC1/vm/mgmt/%s-cs01' % t])
    inv = dict(all=dict(children=dict(tenants=dict(
        vars=dict(ansible_connection='local', ansible_python_interpreter='{{ ansible_playbook_python }}',
                  tenant_state='present', tenant_location='westeurope'),
        children=dict(shared_hsp=dict(
            vars=dict(tenant_topology='shared_hsp',
                      tenant_vcenter=dict(hostname=sim.host, port=sim.port, validate_certs=False)),
            hosts=hosts))))))
    with open(path, 'w', encoding='utf-8') as handle:
        json.dump(inv, handle)
    return path


def run(inv, sim, arm, azure):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(REPO, '.build', 'collections'), ANSIBLE_NOCOLOR='1',
               VMWARE_USER=sim.username, VMWARE_PASSWORD=sim.password,
               PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ.get('PATH', ''))
    env.pop('ANSIBLE_INVENTORY', None)
    args = ['ansible-playbook', os.path.join(REPO, 'playbooks', 'onboard_tenant.yml'), '-i', inv,
            '-e', 'tenantdr_preflight_only=true']
    if azure:
        env.update(arm.env())
        args += ['-e', json.dumps({'tenantdr_azure_connection': {'polling_interval': 0.05}})]
    else:
        args += ['-e', 'tenantdr_azure_enabled=false']
    sim.reset_stats()
    arm.reset_log()
    started = time.monotonic()
    proc = subprocess.run(args, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False)
    wall = time.monotonic() - started
    stats = sim.stats()
    log = arm.requests_log()
    with open(os.path.join(WORK, 'azure.log' if azure else 'vcenter.log'), 'w', encoding='utf-8') as handle:
        handle.write(proc.stdout)
    summary = re.search(r'Preflight of (\d+) tenant\(s\): (\d+) valid, (\d+) with problems', proc.stdout)
    task = re.search(r'preflight read .* in ([\d.]+) s; nothing was written', proc.stdout)
    methods = {}
    for r in log:
        key = '%s %s' % (r['method'], re.sub(r'/subscriptions/[^/]+', '/subscriptions/{id}', r['path'].split('?')[0]))
        key = re.sub(r'(resourceGroups|resourcegroups)/[^/]+', r'\1/{rg}', key)
        key = re.sub(r'vaults/[^/]+', 'vaults/{vault}', key)
        methods[key] = methods.get(key, 0) + 1
    return dict(azure=azure, rc=proc.returncode, wall_s=round(wall, 1), task_s=float(task.group(1)) if task else None,
                report=summary.group(0) if summary else None,
                soap_total=stats['total'], soap_methods=stats['methods'], arm_requests=len(log), arm_writes=len(arm.writes()),
                arm_methods=methods)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n', maxsplit=1)[0])
    parser.add_argument('--tenants', type=int, default=1000)
    parser.add_argument('--vms', type=int, default=5)
    args = parser.parse_args(argv)
    os.makedirs(WORK, exist_ok=True)
    tenants = [tenant_name(i + 1) for i in range(args.tenants)]
    rows = []
    with VCenterSimulator(generated_inventory(args.tenants, args.vms), start_timeout=900) as sim, LocalArmEndpoint() as arm:
        inv = write_inventory(os.path.join(WORK, 'inventory.json'), sim, tenants)
        for azure in (False, True):
            row = run(inv, sim, arm, azure)
            row.update(tenants=args.tenants, vms_per_tenant=args.vms)
            rows.append(row)
            sys.stderr.write(json.dumps(row) + '\n')
    with open(OUT, 'w', encoding='utf-8') as handle:
        json.dump(rows, handle, indent=2, sort_keys=True)
        handle.write('\n')
    return 0 if all(r['rc'] == 0 for r in rows) else 1


if __name__ == '__main__':
    sys.exit(main())
