"""Scale benchmark: onboarding T tenants on one shared vCenter, tenantdr.asr against the community.vmware loop.

    .venv/bin/python benchmarks/run_benchmark.py --tenants 10 100 1000 --vms 5 --skip-community-above 100

For each T it starts the local vCenter simulator (tests/simulator) with ``generated_inventory(T, V)``
and, on a fresh simulator per tool:

* tenantdr.asr -- onboard, idempotent re-run, isolation audit, offboard, each one ``ansible-playbook``
  run: ``playbooks/onboard_tenant.yml`` & co. ("playbooks" flavour) and/or benchmarks/playbooks/ours_*.yml, the
  modules called directly, one task each ("modules" flavour), see ``--ours``;
* community.vmware (the ``ansible`` community package's release for this ansible-core) -- one
  ``vmware_local_role_manager`` task, then every tenant (an inventory host, forks 5) loops
  ``vmware_object_role_permission`` over exactly the (object, role) pairs tenantdr.asr's
  ``tenant_mapping`` plans: onboard, re-run, offboard (``state: absent``).

Per phase it records wall time, SOAP requests by method (counted by the simulator, reset before
each phase), writes, peak RSS (largest single process of the ansible-playbook tree, from
``getrusage(RUSAGE_CHILDREN)`` in a per-phase wrapper, plus the sampled sum over the tree), CPU
time, simulator CPU time and module invocations (callback benchmarks/callback_plugins/bench_stats.py).
After each onboard it reads every permission back and checks that both tools produced the same
set. Results: docs/benchmarks/results.json, README.md and scaling.png (with the command).

Not a test: nothing here asserts timings. Scratch files go to benchmarks/output/ (git-ignored).
"""
from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import os
import platform
import shlex
import shutil
import subprocess
import sys
import threading
import time
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
WORK = os.path.join(HERE, 'output')
DOCS = os.path.join(REPO, 'docs', 'benchmarks')
COLLECTIONS = os.path.join(WORK, 'collections')
PLAYBOOKS = os.path.join(HERE, 'playbooks')
ROLE = 'Azure_Site_Recovery'
DEFAULT_COMMUNITY_PACKAGE = 'ansible==12.3.0'  # the community package for ansible-core 2.19

sys.path.insert(0, REPO)
from tests.simulator.vcsim import VCenterSimulator, WRITE_METHODS  # noqa: E402
from tests.simulator.inventory import generated_inventory, dr_account, tenant_name  # noqa: E402

PAGE = os.sysconf('SC_PAGE_SIZE')
TICK = os.sysconf('SC_CLK_TCK')


def log(msg):
    sys.stderr.write('[%s] %s\n' % (time.strftime('%H:%M:%S'), msg))
    sys.stderr.flush()


# ------------------------------------------------------------------------------------------------
# environment: collections, tools, machine facts
# ------------------------------------------------------------------------------------------------

def ensure_collections(package):
    """Symlink farm with tenantdr.asr (this checkout) and community.vmware extracted from ``package``."""
    farm = os.path.join(COLLECTIONS, 'ansible_collections')
    os.makedirs(os.path.join(farm, 'tenantdr'), exist_ok=True)
    link = os.path.join(farm, 'tenantdr', 'asr')
    if os.path.realpath(link) != REPO:
        if os.path.lexists(link):
            os.unlink(link)
        os.symlink(REPO, link)
    manifest = os.path.join(farm, 'community', 'vmware', 'MANIFEST.json')
    stamp = os.path.join(COLLECTIONS, '.community-package')
    have = open(stamp).read().strip() if os.path.exists(stamp) else None
    if not os.path.exists(manifest) or have != package:
        dl = os.path.join(WORK, 'dl')
        os.makedirs(dl, exist_ok=True)
        name, _sep, version = package.partition('==')
        wheel = os.path.join(dl, '%s-%s-py3-none-any.whl' % (name, version))
        if not os.path.exists(wheel):
            log('downloading %s (wheel, no dependencies) to extract community.vmware' % package)
            subprocess.check_call([sys.executable, '-m', 'pip', 'download', '-q', '--no-deps', '-d', dl, package])
        shutil.rmtree(os.path.join(farm, 'community'), ignore_errors=True)
        with zipfile.ZipFile(wheel) as z:
            members = [n for n in z.namelist() if n.startswith('ansible_collections/community/vmware/')]
            for n in members:
                z.extract(n, COLLECTIONS)
        with open(stamp, 'w') as f:
            f.write(package)
    with open(manifest) as f:
        info = json.load(f)['collection_info']
    return info['version']


def tool_path(name):
    cand = os.path.join(os.path.dirname(sys.executable), name)
    if os.access(cand, os.X_OK):
        return cand
    found = shutil.which(name)
    if not found:
        raise SystemExit('%s not found next to %s or on PATH; run bash scripts/setup.sh and use .venv/bin/python'
                         % (name, sys.executable))
    return found


def machine_info(community_version):
    cpu = ''
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    cpu = line.split(':', 1)[1].strip()
                    break
    except OSError:
        pass
    mem = ''
    try:
        with open('/proc/meminfo') as f:
            mem = '%.1f GiB' % (int(f.readline().split()[1]) / 1048576.0)
    except (OSError, ValueError, IndexError):
        pass
    ansible_v = subprocess.run([tool_path('ansible-playbook'), '--version'], stdout=subprocess.PIPE,
                               universal_newlines=True, check=False).stdout.splitlines()[0].strip()
    try:
        from importlib.metadata import version
        pyvmomi_v = version('pyvmomi')
    except Exception:  # pylint: disable=broad-except
        pyvmomi_v = 'unknown'
    govmomi = subprocess.run(['dpkg-query', '-W', '-f=${Version}', 'golang-github-vmware-govmomi-dev'],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, universal_newlines=True, check=False).stdout.strip()
    return dict(nproc=os.cpu_count(), cpu=cpu, python_executable=sys.executable, memory=mem, python=platform.python_version(), ansible_core=ansible_v,
                pyvmomi=pyvmomi_v, community_vmware=community_version, govmomi_simulator=govmomi or 'unknown',
                kernel=platform.release())


def loadavg():
    with open('/proc/loadavg') as f:
        return [float(x) for x in f.read().split()[:3]]


# ------------------------------------------------------------------------------------------------
# process measurement
# ------------------------------------------------------------------------------------------------

def proc_cpu_seconds(pid):
    try:
        with open('/proc/%d/stat' % pid) as f:
            fields = f.read().rsplit(')', 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / float(TICK)
    except (OSError, IndexError, ValueError):
        return 0.0


def tree_memory_bytes(root_pid):
    """(RSS, PSS) summed over root_pid and all its descendants (from /proc). RSS counts a page every process shares
    (Ansible's workers are forks of the controller) once per process; PSS divides it among them, so the PSS sum is
    the memory the tree really holds."""
    children = {}
    for name in os.listdir('/proc'):
        if not name.isdigit():
            continue
        try:
            with open('/proc/%s/stat' % name) as f:
                ppid = int(f.read().rsplit(')', 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(name))
    rss = pss = 0
    todo = [root_pid]
    while todo:
        pid = todo.pop()
        try:
            with open('/proc/%d/statm' % pid) as f:
                rss += int(f.read().split()[1]) * PAGE
            with open('/proc/%d/smaps_rollup' % pid) as f:
                for line in f:
                    if line.startswith('Pss:'):
                        pss += int(line.split()[1]) * 1024
                        break
        except (OSError, IndexError, ValueError):
            pass
        todo.extend(children.get(pid, []))
    return rss, pss


class TreeSampler(threading.Thread):
    def __init__(self, pid, interval=0.25):
        super().__init__(daemon=True)
        self.pid, self.interval, self.peak, self.peak_pss = pid, interval, 0, 0
        self._halt = threading.Event()

    def run(self):
        while not self._halt.is_set():
            rss, pss = tree_memory_bytes(self.pid)
            self.peak, self.peak_pss = max(self.peak, rss), max(self.peak_pss, pss)
            self._halt.wait(self.interval)

    def stop(self):
        self._halt.set()
        self.join()


def ansible_env(stats_file):
    env = dict(os.environ)
    env.update(
        ANSIBLE_CONFIG=os.path.join(HERE, 'ansible.cfg'),
        ANSIBLE_COLLECTIONS_PATH=COLLECTIONS,
        ANSIBLE_COLLECTIONS_SCAN_SYS_PATH='false',
        ANSIBLE_CALLBACK_PLUGINS=os.path.join(HERE, 'callback_plugins'),
        ANSIBLE_CALLBACKS_ENABLED='bench_stats',
        BENCH_STATS_FILE=stats_file,
        ANSIBLE_NOCOLOR='1',
        PATH=os.path.dirname(sys.executable) + os.pathsep + env.get('PATH', ''),
    )
    for k in ('ANSIBLE_INVENTORY', 'ANSIBLE_FORKS', 'ANSIBLE_STRATEGY', 'ANSIBLE_PIPELINING', 'ANSIBLE_STDOUT_CALLBACK'):
        env.pop(k, None)
    return env


def run_phase(sim, rundir, label, playbook_args, forks, extra_env=None):
    """Run one ansible-playbook phase against ``sim``; return the measurement row (without T/tool keys)."""
    base = os.path.join(rundir, label)
    stats_file, usage_file, out_file = base + '.stats.json', base + '.usage.json', base + '.log'
    for p in (stats_file, usage_file):
        if os.path.exists(p):
            os.unlink(p)
    cmd = [tool_path('ansible-playbook'), '-f', str(forks)] + playbook_args
    wrapper = [sys.executable, os.path.join(HERE, '_measure.py'), usage_file, '--'] + cmd
    load = loadavg()
    sim.reset_stats()
    sim_cpu0 = proc_cpu_seconds(sim._proc.pid)
    with open(out_file, 'w') as out:
        out.write('$ %s\n' % ' '.join(shlex.quote(c) for c in cmd))
        out.flush()
        proc = subprocess.Popen(wrapper, stdout=out, stderr=subprocess.STDOUT, cwd=rundir,
                                env=dict(ansible_env(stats_file), **(extra_env or {})))
        sampler = TreeSampler(proc.pid)
        sampler.start()
        proc.wait()
        sampler.stop()
    sim_cpu = proc_cpu_seconds(sim._proc.pid) - sim_cpu0
    stats = sim.stats()
    methods = {k: int(v) for k, v in stats['methods'].items()}
    with open(usage_file) as f:
        usage = json.load(f)
    cb = {}
    if os.path.exists(stats_file):
        with open(stats_file) as f:
            cb = json.load(f)
    row = dict(
        rc=usage['rc'], wall_s=round(usage['wall_s'], 2), soap_calls=int(stats['total']), soap_methods=methods,
        writes=sum(methods.get(m, 0) for m in WRITE_METHODS),
        reads=int(stats['total']) - sum(methods.get(m, 0) for m in WRITE_METHODS),
        peak_rss_mb=round(usage['maxrss_kb'] / 1024.0, 1), peak_tree_rss_mb=round(sampler.peak / 1048576.0, 1),
        peak_tree_pss_mb=round(sampler.peak_pss / 1048576.0, 1),
        cpu_s=round(usage['user_s'] + usage['sys_s'], 1), sim_cpu_s=round(sim_cpu, 1),
        modules=cb.get('invocations'), changed=cb.get('changed'), failed=cb.get('failed'),
        load_before=load, log=os.path.relpath(out_file, REPO),
        tasks=[dict(name=t['name'], action=t['action'], invocations=t['invocations'], changed=t['changed'],
                    skipped=t['skipped'], seconds=t['seconds']) for t in cb.get('tasks', [])],
    )
    # vCenter module runs (each one a process that logs in to vCenter) vs every task result (action plugins too)
    row['vcenter_modules'] = sum(t['invocations'] for t in row['tasks']
                                 if t['action'].startswith(('tenantdr.asr.', 'community.vmware.')))
    ok = row['rc'] == 0 and not row['failed']
    log('  %-28s %s %8.1f s  %8d SOAP  %6d writes  %5s vCenter modules  %6.0f MB  rc=%s%s'
        % (label, 'ok ' if ok else 'ERR', row['wall_s'], row['soap_calls'], row['writes'], row['vcenter_modules'],
           row['peak_rss_mb'], row['rc'], '' if ok else '  (see %s)' % row['log']))
    return row


# ------------------------------------------------------------------------------------------------
# inventories, vars, plans
# ------------------------------------------------------------------------------------------------

def tenant_definition(t):
    return dict(name=t, topology='shared_hsp', access_account=dr_account(t),
                vm_selectors=dict(folders=['/DC1/vm/tenants/%s' % t]),
                management_servers=['/DC1/vm/mgmt/%s-cs01' % t])


def inventory_counts(spec):
    """Managed entities the simulator builds from ``spec`` (no folders of the datacenter skeleton)."""
    n = dict(datacenters=0, clusters=0, hosts=0, resource_pools=0, datastores=0, datastore_clusters=0, networks=0,
             vm_folders=0, vms=0)
    for dc in spec['datacenters']:
        n['datacenters'] += 1
        n['datastores'] += len(dc.get('datastores', []))
        n['datastore_clusters'] += len(dc.get('datastore_clusters', []))
        nets = set(dc.get('networks', []))
        for c in dc.get('clusters', []):
            n['clusters'] += 1
            n['hosts'] += len(c.get('hosts', []))
            n['resource_pools'] += len(c.get('resource_pools', []))
            nets |= set(c.get('networks', []))
        n['hosts'] += len(dc.get('standalone_hosts', []))
        n['networks'] += len(nets)
        folders = set()
        for path in dc.get('vm_folders', []):
            parts = path.split('/')
            for i in range(1, len(parts) + 1):
                folders.add('/'.join(parts[:i]))
        n['vm_folders'] += len(folders)
        n['vms'] += len(dc.get('vms', []))
    n['total'] = sum(n.values())
    return n


def write_vars(rundir, sim, tenants):
    principals = [dr_account(t) for t in tenants]
    conn = sim.connection_args()
    data = dict(
        bench_vcenter=conn,
        bench_community_vcenter=dict(hostname=conn['hostname'], port=conn['port'], username=conn['username'],
                                     password=conn['password'], validate_certs=False),
        bench_role=ROLE,
        bench_tenants=[tenant_definition(t) for t in tenants],
        bench_offboard_assignments=[dict(principal=p) for p in principals],
        bench_plan_file=os.path.join(rundir, 'plan.json'),
    )
    path = os.path.join(rundir, 'bench_vars.json')
    with open(path, 'w') as f:
        json.dump(data, f)
    return path


def community_principal(account):
    """``login@domain`` -> ``DOMAIN\\login``, the form vCenter returns (see the README: community.vmware's
    vmware_object_role_permission compares principals literally, so only this form is idempotent)."""
    login, domain = account.rsplit('@', 1)
    return '%s\\%s' % (domain.upper(), login)


def write_community_inventory(rundir, plan, principal_form):
    hosts = {}
    for p in plan['plans']:
        triples = []
        for o in p['objects']:
            if o['path'] == '/':
                name, typ = 'rootFolder', 'Folder'
            else:
                name, typ = o['path'].rsplit('/', 1)[1], o['type']
            triples.append(dict(name=name, type=typ, role=o['role']))
        principal = p['access_account'] if principal_form == 'upn' else community_principal(p['access_account'])
        hosts[p['tenant']] = dict(bench_principal=principal, bench_triples=triples)
    inv = dict(all=dict(
        vars=dict(ansible_connection='local', ansible_python_interpreter='{{ ansible_playbook_python }}',
                  bench_role_privileges=plan['privileges']),
        children=dict(tenants=dict(hosts=hosts))))
    path = os.path.join(rundir, 'community_inventory.json')
    with open(path, 'w') as f:
        json.dump(inv, f)
    return path


def read_permissions(sim):
    """Every permission of the simulator as a set of (entity, principal, group, role name, propagate)."""
    import ssl
    from pyVim.connect import SmartConnect, Disconnect
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    si = SmartConnect(host=sim.host, port=sim.port, user=sim.username, pwd=sim.password, sslContext=ctx)
    try:
        auth = si.RetrieveContent().authorizationManager
        names = {r.roleId: r.name for r in auth.roleList}
        return {(p.entity._moId, p.principal.lower(), bool(p.group), names.get(p.roleId, p.roleId), bool(p.propagate))
                for p in auth.RetrieveAllPermissions()}
    finally:
        Disconnect(si)


def tenant_permissions(perms):
    return sorted(p for p in perms if '-dr' in p[1])


# ------------------------------------------------------------------------------------------------
# the two tools
# ------------------------------------------------------------------------------------------------

def ours_flavours(choice):
    """'playbooks' = the collection's playbooks/ (onboard_tenant.yml & co.), 'modules' = benchmarks/playbooks/ours_*.yml
    (the three modules called directly, one task each)."""
    real = os.path.exists(os.path.join(REPO, 'playbooks', 'onboard_tenant.yml'))
    if choice == 'auto':
        return ['playbooks'] if real else ['modules']
    if choice == 'both':
        return ['playbooks', 'modules'] if real else ['modules']
    if choice == 'playbooks' and not real:
        raise SystemExit('--ours playbooks: playbooks/onboard_tenant.yml does not exist')
    return [choice]


def write_tenant_inventory(rundir, sim, tenants):
    """The collection's inventory layout (inventories/sample): group tenants > shared_hsp, one host per tenant."""
    conn = sim.connection_args()
    hosts = {}
    for t in tenants:
        d = tenant_definition(t)
        hosts[t] = dict(tenant_name=t, tenant_access_account=d['access_account'], tenant_vm_selectors=d['vm_selectors'],
                        tenant_management_servers=d['management_servers'])
    inv = dict(all=dict(children=dict(tenants=dict(
        vars=dict(ansible_connection='local', ansible_python_interpreter='{{ ansible_playbook_python }}',
                  tenant_state='present'),
        children=dict(shared_hsp=dict(
            vars=dict(tenant_topology='shared_hsp',
                      tenant_vcenter=dict(hostname=conn['hostname'], port=conn['port'], validate_certs=False)),
            hosts=hosts))))))
    path = os.path.join(rundir, 'tenants_inventory.json')
    with open(path, 'w') as f:
        json.dump(inv, f)
    return path


def ours_phases(flavour, rundir, sim, tenants, vars_file, audit_available, new_tenant=None, repeat=1,
                repeat_onboard=False):
    """(phase, ansible-playbook arguments, extra environment) of this collection's run.

    With ``new_tenant`` (playbooks flavour) the inventory holds one more tenant: onboard and rerun leave it out
    (``-l 'tenants:!<new>'``), then phase ``onboard_one`` onboards only it (``-l <new>``) into the vCenter that holds
    the T others - the weekly "one new customer" run - before the audit and offboard of all T+1.

    ``repeat`` > 1 (playbooks flavour, for a shared machine whose load varies): the re-run is run ``repeat`` times, and
    the new tenant is offboarded alone (phase ``offboard_one``) and onboarded again, ``repeat`` onboardings in all;
    with ``repeat_onboard`` the T tenants are also onboarded and offboarded again after the offboard, ``repeat`` times
    in all."""
    if flavour == 'modules':
        ev = ['-e', '@' + vars_file]
        phases = [('onboard', [os.path.join(PLAYBOOKS, 'ours_onboard.yml')] + ev),
                  ('rerun', [os.path.join(PLAYBOOKS, 'ours_onboard.yml')] + ev)]
        if audit_available:
            phases.append(('audit', [os.path.join(PLAYBOOKS, 'ours_audit.yml')] + ev))
        phases.append(('offboard', [os.path.join(PLAYBOOKS, 'ours_offboard.yml')] + ev))
        return [(name, a, {}) for name, a in phases]
    inv = write_tenant_inventory(rundir, sim, tenants + ([new_tenant] if new_tenant else []))
    # vCenter credentials as the AWX "VMware vCenter" credential injects them (inventories/sample/group_vars/tenants.yml)
    env = dict(VMWARE_USER=sim.username, VMWARE_PASSWORD=sim.password)
    common = ['-i', inv, '-e', 'tenantdr_azure_enabled=false']
    pb = os.path.join(REPO, 'playbooks')
    limit = ['-l', 'tenants:!%s' % new_tenant] if new_tenant else []
    phases = [('onboard', [os.path.join(pb, 'onboard_tenant.yml')] + common + limit, env)]
    phases += [('rerun', [os.path.join(pb, 'onboard_tenant.yml')] + common + limit, env)] * max(1, repeat)
    if new_tenant:
        # each one-new-tenant onboarding right after an empty play with the same inventory and limit: Ansible's own
        # share of it, measured at the same speed of the machine
        empty = ('empty_play', [os.path.join(PLAYBOOKS, 'empty_play.yml')] + common + ['-l', new_tenant], env)
        one = ('onboard_one', [os.path.join(pb, 'onboard_tenant.yml')] + common + ['-l', new_tenant], env)
        phases += [empty, one]
        for _again in range(max(1, repeat) - 1):
            phases += [('offboard_one', [os.path.join(pb, 'offboard_tenant.yml')] + common + ['-l', new_tenant], env),
                       empty, one]
    phases += [('audit', [os.path.join(pb, 'audit_tenants.yml')] + common, env),
               ('offboard', [os.path.join(pb, 'offboard_tenant.yml')] + common, env)]
    if repeat_onboard:
        for _again in range(max(1, repeat) - 1):
            phases += [phases[0], ('offboard', [os.path.join(pb, 'offboard_tenant.yml')] + common, env)]
    return phases


def run_plan(sim, rundir, forks, vars_file):
    row = run_phase(sim, rundir, 'prep-plan', [os.path.join(PLAYBOOKS, 'plan.yml'), '-e', '@' + vars_file], forks)
    if row['rc'] != 0:
        raise SystemExit('planning failed, see %s' % row['log'])
    with open(os.path.join(rundir, 'plan.json')) as f:
        return json.load(f), row


def bench_ours(args, T, V, delays, spec, rundirs, flavour, audit_available):
    """This collection's phases on one simulator per latency in ``delays`` ({delay: rundir} in ``rundirs``), each phase
    run on every simulator in turn (0 ms, 3 ms, then the next phase at 0 ms, 3 ms, ...): the figures of each latency
    meet the same speeds of a shared machine, whose speed changes from one minute to the next. Returns
    {delay: (rows, plan, permissions after onboarding)}."""
    tenants = [tenant_name(i + 1) for i in range(T)]
    new_tenant = tenant_name(T + 1) if (args.one_new_tenant and flavour == 'playbooks') else None
    if new_tenant:
        spec = generated_inventory(T + 1, V)
    with contextlib.ExitStack() as stack:
        labs = []
        for delay in delays:
            sim = stack.enter_context(VCenterSimulator(spec, delay_ms=delay, start_timeout=600))
            log('T=%d V=%d delay=%dms tenantdr.asr (%s): simulator up in %.1f s'
                % (T, V, delay, flavour, sim.startup_seconds))
            vars_file = write_vars(rundirs[delay], sim, tenants)
            plan, _plan_usage = run_plan(sim, rundirs[delay], args.forks, vars_file)
            labs.append(dict(delay=delay, sim=sim, plan=plan, rows=[], seen={}, perms=None,
                             phases=ours_phases(flavour, rundirs[delay], sim, tenants, vars_file, audit_available,
                                                new_tenant, args.repeat, args.repeat_onboard)))
        for step in range(len(labs[0]['phases'])):
            for lab in labs:
                phase, pb_args, env = lab['phases'][step]
                lab['seen'][phase] = lab['seen'].get(phase, 0) + 1
                label = 'ours-%s-%s-%d%s' % (flavour, phase, lab['seen'][phase],
                                             '' if len(labs) == 1 else '@%dms' % lab['delay'])
                row = run_phase(lab['sim'], rundirs[lab['delay']], label, pb_args, args.forks, env)
                row.update(phase=phase, repeat=lab['seen'][phase])
                lab['rows'].append(row)
                if phase == 'onboard':
                    lab['perms'] = tenant_permissions(read_permissions(lab['sim']))
                    row['tenant_permissions'] = len(lab['perms'])
                if phase == 'offboard':
                    row['tenant_permissions_left'] = len(tenant_permissions(read_permissions(lab['sim'])))
    return {lab['delay']: (lab['rows'], lab['plan'], lab['perms']) for lab in labs}


def bench_community(args, T, V, delay, spec, rundir):
    rows, perms = [], None
    tenants = [tenant_name(i + 1) for i in range(T)]
    with VCenterSimulator(spec, delay_ms=delay, start_timeout=600) as sim:
        log('T=%d V=%d delay=%dms community.vmware: simulator up in %.1f s' % (T, V, delay, sim.startup_seconds))
        vars_file = write_vars(rundir, sim, tenants)
        plan, _plan_usage = run_plan(sim, rundir, args.forks, vars_file)
        inv = write_community_inventory(rundir, plan, args.community_principal)
        pb = os.path.join(PLAYBOOKS, 'community_onboard.yml')
        phases = args.community_phases
        if args.community_onboard_only_above is not None and T > args.community_onboard_only_above:
            phases = [p for p in phases if p == 'onboard']
        for phase in phases:
            extra = ['-e', 'bench_state=absent'] if phase == 'offboard' else []
            row = run_phase(sim, rundir, 'community-%s' % phase, [pb, '-i', inv, '-e', '@' + vars_file] + extra, args.forks)
            row.update(phase=phase)
            rows.append(row)
            if phase == 'onboard':
                perms = tenant_permissions(read_permissions(sim))
                row['tenant_permissions'] = len(perms)
            if phase == 'offboard':
                row['tenant_permissions_left'] = len(tenant_permissions(read_permissions(sim)))
    return rows, perms


# ------------------------------------------------------------------------------------------------
# main
# ------------------------------------------------------------------------------------------------

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n', maxsplit=1)[0])
    ap.add_argument('--tenants', type=int, nargs='+', default=[10, 100, 1000], help='tenant counts T (default 10 100 1000)')
    ap.add_argument('--vms', type=int, default=5, help='VMs per tenant V (default 5), plus one configuration server each')
    ap.add_argument('--delay-ms', type=int, nargs='+', default=[0],
                    help='simulator latency per SOAP call in ms; several values run everything once per value, '
                         "this collection's phases alternating between the values (one simulator per value)")
    ap.add_argument('--sequential-delays', action='store_true',
                    help='run everything of one --delay-ms value before the next, instead of alternating')
    ap.add_argument('--skip-community-above', type=int, default=100,
                    help='run the community.vmware loop only for T <= this (default 100)')
    ap.add_argument('--community-phases', nargs='+', default=['onboard', 'rerun', 'offboard'],
                    choices=['onboard', 'rerun', 'offboard'], help='community.vmware phases (default all three)')
    ap.add_argument('--community-onboard-only-above', type=int, default=None,
                    help='above this T run only the community onboard phase (the loop takes ~15+ min per phase at T=100)')
    ap.add_argument('--community-principal', choices=['domain', 'upn'], default='domain',
                    help="principal form given to vmware_object_role_permission: DOMAIN\\login (default; the only one "
                         "it recognises on a re-run) or login@domain")
    ap.add_argument('--community-package', default=DEFAULT_COMMUNITY_PACKAGE,
                    help='PyPI requirement of the community package community.vmware is extracted from')
    ap.add_argument('--ours', choices=['auto', 'playbooks', 'modules', 'both'], default='both',
                    help="this collection's side: 'playbooks' = the collection's playbooks/onboard_tenant.yml & co.; "
                         "'modules' = benchmarks/playbooks/ours_*.yml (the modules, one task each); 'both' (default) "
                         "runs both; 'auto' = playbooks when they exist, else modules")
    ap.add_argument('--tools', nargs='+', choices=['ours', 'community'], default=['ours', 'community'])
    ap.add_argument('--vms-sweep', type=int, nargs='*', default=[1, 5, 20],
                    help='also onboard + re-run at --vms-sweep-tenants tenants with these V values, to show that '
                         're-run reads do not grow with objects per tenant (empty: skip)')
    ap.add_argument('--vms-sweep-tenants', type=int, default=10)
    ap.add_argument('--forks', type=int, default=5)
    ap.add_argument('--one-new-tenant', action='store_true',
                    help='playbooks flavour: the simulator and inventory hold T+1 tenants; onboard/rerun cover T of them, '
                         'then phase onboard_one onboards the last one alone (-l) into the vCenter holding the T others')
    ap.add_argument('--repeat', type=int, default=1,
                    help='playbooks flavour: run the re-run this many times and (with --one-new-tenant) onboard the new '
                         'tenant this many times, offboarding it alone in between; the report gives each run and the '
                         'median (wall times on a shared machine vary with its load)')
    ap.add_argument('--repeat-onboard', action='store_true',
                    help='with --repeat: also onboard and offboard the T tenants again after the offboard, --repeat '
                         'times in all')
    ap.add_argument('--output', default=DOCS, help='where results.json, README.md and scaling.png go')
    ap.add_argument('--merge', action='store_true',
                    help='keep rows of an existing results.json that this run does not measure again')
    ap.add_argument('--no-plot', action='store_true')
    args = ap.parse_args(argv)

    os.makedirs(WORK, exist_ok=True)
    community_version = ensure_collections(args.community_package)
    flavours = ours_flavours(args.ours)
    audit_available = os.path.exists(os.path.join(REPO, 'plugins', 'modules', 'tenant_isolation_audit.py'))
    info = machine_info(community_version)
    command = 'python benchmarks/run_benchmark.py ' + ' '.join(shlex.quote(a) for a in (argv if argv is not None else sys.argv[1:]))
    log('machine: %s' % json.dumps(info))
    started = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='seconds')
    loads = [loadavg()]

    rows, checks = [], []
    cases = [(T, args.vms) for T in args.tenants]
    sweep = [(args.vms_sweep_tenants, v) for v in (args.vms_sweep or []) if (args.vms_sweep_tenants, v) not in cases]
    # this collection's runs of all latencies alternate (bench_ours); --sequential-delays runs one latency after the other
    groups = [[d] for d in args.delay_ms] if args.sequential_delays else [list(args.delay_ms)]
    for delays in groups:
        for T, V in cases + sweep:
            in_sweep = (T, V) in sweep
            spec = generated_inventory(T, V)
            counts = inventory_counts(spec)
            rundirs = {d: os.path.join(WORK, 'T%04d_V%02d_d%d' % (T, V, d)) for d in delays}
            for rundir in rundirs.values():
                os.makedirs(rundir, exist_ok=True)
            ours = {d: (None, None) for d in delays}   # delay -> (permissions after onboarding, plan)
            if 'ours' in args.tools:
                for flavour in flavours:
                    by_delay = bench_ours(args, T, V, delays, spec, rundirs, flavour, audit_available)
                    for delay, (ours_rows, plan, perms) in by_delay.items():
                        if ours[delay][0] is None:
                            ours[delay] = (perms, plan)
                        elif perms != ours[delay][0]:
                            log('  WARNING: the %s flavour left different permissions after onboarding' % flavour)
                            checks.append(dict(tenants=T, vms=V, delay_ms=delay, flavours_agree=False))
                        if in_sweep:
                            ours_rows = [r for r in ours_rows if r['phase'] in ('onboard', 'rerun')]
                        for r in ours_rows:
                            r.update(tenants=T, vms=V, delay_ms=delay, inventory_objects=counts['total'], sweep=in_sweep,
                                     tool='tenantdr.asr', flavour=flavour)
                            r['planned_permissions'] = sum(len(p['objects']) for p in plan['plans'])
                        rows.extend(ours_rows)
            for delay in delays:
                if 'community' in args.tools and T <= args.skip_community_above and not in_sweep:
                    ours_perms, plan = ours[delay]
                    comm_rows, comm_perms = bench_community(args, T, V, delay, spec, rundirs[delay])
                    for r in comm_rows:
                        r.update(tenants=T, vms=V, delay_ms=delay, inventory_objects=counts['total'], sweep=in_sweep,
                                 tool='community.vmware %s' % community_version)
                        if plan:
                            r['planned_permissions'] = sum(len(p['objects']) for p in plan['plans'])
                    rows.extend(comm_rows)
                    if ours_perms is not None and comm_perms is not None:
                        same = ours_perms == comm_perms
                        checks.append(dict(tenants=T, vms=V, delay_ms=delay, same_permissions=same,
                                           tenantdr_asr=len(ours_perms), community=len(comm_perms)))
                        log('  same permissions after onboarding: %s (%d vs %d)' % (same, len(ours_perms), len(comm_perms)))
            loads.append(loadavg())

    results = dict(
        command=command, started=started, finished=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='seconds'),
        machine=info, load_averages=loads, ours_flavours=flavours, community_principal=args.community_principal,
        community_package=args.community_package, rows=rows, checks=checks,
    )
    os.makedirs(args.output, exist_ok=True)
    out_json = os.path.join(args.output, 'results.json')
    if args.merge and os.path.exists(out_json):
        results = merge_results(json.load(open(out_json)), results)
    with open(out_json, 'w') as f:
        json.dump(results, f, indent=1, sort_keys=True)
    from report import write_readme, write_plot  # benchmarks/report.py
    write_readme(results, args.output)
    if not args.no_plot:
        write_plot(out_json, os.path.join(args.output, 'scaling.png'))
    log('wrote %s' % ', '.join(os.path.relpath(os.path.join(args.output, n), REPO)
                               for n in ('results.json', 'README.md', 'scaling.png')))
    failed = [r for r in rows if r['rc'] != 0 or r.get('failed')]
    return 1 if failed else 0


def row_key(r):
    return (r['tenants'], r['vms'], r['delay_ms'], r['tool'].split()[0], r.get('flavour'), r['phase'], r.get('repeat', 1))


def merge_results(old, new):
    """New rows replace old rows of the same (T, V, delay, tool, phase); the commands are all kept."""
    keys = {row_key(r) for r in new['rows']}
    rows = [r for r in old.get('rows', []) if row_key(r) not in keys] + new['rows']
    ckeys = {(c['tenants'], c['vms'], c['delay_ms']) for c in new['checks']}
    checks = [c for c in old.get('checks', []) if (c['tenants'], c['vms'], c['delay_ms']) not in ckeys] + new['checks']
    merged = dict(new, rows=rows, checks=checks)
    merged['commands'] = old.get('commands', [dict(command=old.get('command'), started=old.get('started'),
                                                   load_averages=old.get('load_averages'))]) + [
        dict(command=new['command'], started=new['started'], load_averages=new['load_averages'])]
    return merged


if __name__ == '__main__':
    sys.path.insert(0, HERE)
    sys.exit(main())
