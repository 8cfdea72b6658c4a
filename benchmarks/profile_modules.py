"""Profile the module internals of tenantdr.asr at scale, without Ansible (benchmark helper).

    .venv/bin/python benchmarks/profile_modules.py --tenants 1000 --vms 5 [--cprofile OUT.prof]

Starts the simulator with generated_inventory(T, V), then times each step the modules take:
connect, read_snapshot (with and without permissions), build_plans, JSON encoding of the result,
and the AnsibleModule argument validation of the tenant list / assignment list, and prints the
SOAP calls of each step. Writes a cProfile of the whole sequence with --cprofile.
"""
from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, REPO)
sys.path.insert(0, os.path.join(HERE, 'output', 'collections'))

from tests.simulator.vcsim import VCenterSimulator  # noqa: E402
from tests.simulator.inventory import generated_inventory, tenant_name  # noqa: E402


def run_module(name, args):
    """Run one tenantdr.asr module as a process with an argument file; return its JSON result."""
    import subprocess
    import tempfile
    with tempfile.NamedTemporaryFile('w', suffix='.json', delete=False) as f:
        json.dump(dict(ANSIBLE_MODULE_ARGS=args), f)
    env = dict(os.environ, PYTHONPATH=os.path.join(HERE, 'output', 'collections'))
    code = ('import sys; sys.argv = ["m", %r]; from ansible_collections.tenantdr.asr.plugins.modules.%s import main; main()'
            % (f.name, name))
    out = subprocess.run([sys.executable, '-c', code], stdout=subprocess.PIPE, env=env, check=False).stdout
    os.unlink(f.name)
    res = json.loads(out)
    if res.get('failed'):
        raise RuntimeError('%s failed: %s' % (name, res.get('msg')))
    print('  %s: %d bytes of JSON result' % (name, len(out)))
    return res


def whatif_build_plans(snap, tenants):
    """build_plans with select_vms computing the datacenter-scoped VM list only for tenants that use
    name_patterns or custom_attributes (today it is built for every tenant: O(tenants x VMs))."""
    import inspect
    import textwrap
    from ansible_collections.tenantdr.asr.plugins.module_utils import tenant_plan
    src = textwrap.dedent(inspect.getsource(tenant_plan.select_vms))
    old = "    scoped = keep([vm for vm in index.vms if scope is None or vm.get('datacenter') in scope])\n"
    new = ("    scoped = keep([vm for vm in index.vms if scope is None or vm.get('datacenter') in scope]) "
           "if (sels['name_patterns'] or sels['custom_attributes']) else []\n")
    if old not in src:
        return None
    ns = dict(vars(tenant_plan))
    exec(compile(src.replace(old, new), tenant_plan.__file__, 'exec'), ns)  # pylint: disable=exec-used
    saved = tenant_plan.select_vms
    tenant_plan.select_vms = ns['select_vms']
    try:
        return tenant_plan.build_plans(snap, tenants)
    finally:
        tenant_plan.select_vms = saved


def read_roles_only(vc):
    """What vcenter_tenant_role needs: roleList and privilegeList (plus RetrieveRolePermissions for used_by)."""
    from pyVmomi import vmodl
    pc = vc.content.propertyCollector
    spec = vmodl.query.PropertyCollector.FilterSpec(
        objectSet=[vmodl.query.PropertyCollector.ObjectSpec(obj=vc.auth, skip=False)],
        propSet=[vmodl.query.PropertyCollector.PropertySpec(type=type(vc.auth), pathSet=['roleList', 'privilegeList'])])
    return pc.RetrievePropertiesEx([spec], vmodl.query.PropertyCollector.RetrieveOptions())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--tenants', type=int, default=1000)
    ap.add_argument('--vms', type=int, default=5)
    ap.add_argument('--cprofile')
    args = ap.parse_args()
    sys.path.insert(0, HERE)
    from run_benchmark import ensure_collections, tenant_definition  # pylint: disable=import-outside-toplevel
    ensure_collections(os.environ.get('BENCH_COMMUNITY_PACKAGE', 'ansible==12.3.0'))
    from ansible_collections.tenantdr.asr.plugins.module_utils.vcenter import VCenterConnection
    from ansible_collections.tenantdr.asr.plugins.module_utils.tenant_plan import validate_tenants, build_plans
    from ansible.module_utils.common.json import AnsibleJSONEncoder

    tenants = [tenant_definition(tenant_name(i + 1)) for i in range(args.tenants)]
    with VCenterSimulator(generated_inventory(args.tenants, args.vms), start_timeout=600) as sim:
        params = dict(sim.connection_args())
        prof = cProfile.Profile() if args.cprofile else None
        steps = []

        def step(name, fn):
            sim.reset_stats()
            t0 = time.perf_counter()
            if prof:
                prof.enable()
            out = fn()
            if prof:
                prof.disable()
            steps.append((name, time.perf_counter() - t0, sim.stats()))
            return out

        vc = step('connect', lambda: VCenterConnection(params).connect())
        step('read_snapshot(with_permissions=False)', lambda: vc.read_snapshot(with_permissions=False))
        snap = step('read_snapshot()', vc.read_snapshot)
        vt = step('validate_tenants', lambda: validate_tenants(tenants))
        res = step('build_plans', lambda: build_plans(snap, vt))
        step('build_plans, scoped VM list built lazily (what-if)', lambda: whatif_build_plans(snap, vt))
        step('roles + privileges only (what-if for vcenter_tenant_role)', lambda: read_roles_only(vc))
        step('json.dumps(plans+assignments)',
             lambda: json.dumps(dict(plans=res['plans'], assignments=res['assignments']), cls=AnsibleJSONEncoder))
        step('disconnect', vc.disconnect)
        # the modules as processes, without Ansible's controller (argument file as AnsiballZ passes it)
        conn = dict(sim.connection_args())
        step('process: vcenter_tenant_role (create)', lambda: run_module('vcenter_tenant_role', dict(conn, profile='asr')))
        mapping = step('process: tenant_mapping', lambda: run_module('tenant_mapping', dict(conn, tenants=tenants)))
        perm_args = dict(conn, assignments=mapping['assignments'], exclusive=True)
        step('process: vcenter_nonpropagating_permission (onboard)',
             lambda: run_module('vcenter_nonpropagating_permission', perm_args))
        step('process: vcenter_nonpropagating_permission (re-run)',
             lambda: run_module('vcenter_nonpropagating_permission', perm_args))
        step('process: tenant_isolation_audit', lambda: run_module('tenant_isolation_audit', dict(conn, tenants=tenants)))
        for name, secs, st in steps:
            print('%-40s %7.2f s  SOAP %s' % (name, secs, json.dumps(st['methods'], sort_keys=True)))
        print('objects in snapshot: %d, permissions: %d, planned permissions: %d'
              % (len(snap.objects), len(snap.permissions), sum(len(p['objects']) for p in res['plans'])))
        if prof:
            prof.dump_stats(args.cprofile)
            pstats.Stats(args.cprofile).sort_stats('cumulative').print_stats(25)


if __name__ == '__main__':
    main()
