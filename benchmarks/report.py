"""Turn docs/benchmarks/results.json into README.md (tables) and scaling.png (matplotlib).

    python benchmarks/report.py [docs/benchmarks]              # README.md and scaling.png again
    python benchmarks/report.py --plot results.json out.png   # the plot only (needs matplotlib)

run_benchmark.py calls both after a run. matplotlib is a benchmark-only dependency: when the running
Python lacks it, a private virtualenv benchmarks/output/venv-plot is created with
benchmarks/requirements.txt and the plot is drawn there.
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
PLOT_VENV = os.path.join(HERE, 'output', 'venv-plot')
PHASE_ORDER = {'onboard': 0, 'rerun': 1, 'empty_play': 1.9, 'onboard_one': 2, 'offboard_one': 2.5, 'audit': 3, 'offboard': 4}


def tool_label(r):
    if r['tool'] == 'tenantdr.asr':
        return 'tenantdr.asr (%s)' % r.get('flavour', 'playbooks')
    return r['tool']


def is_ours(r):
    return r['tool'] == 'tenantdr.asr'


def fmt_int(n):
    return '{:,}'.format(int(n)) if n is not None else '-'


def fmt_s(x):
    if x is None:
        return '-'
    return '%.1f' % x if x < 100 else '%.0f' % x


def ratio(a, b):
    return (float(a) / float(b)) if b else float('inf')


def sort_key(r):
    return (r['delay_ms'], r.get('sweep', False), r['tenants'], r['vms'], 0 if is_ours(r) else 1,
            0 if r.get('flavour') == 'playbooks' else 1, PHASE_ORDER.get(r['phase'], 9), r.get('repeat', 1))


def phase_label(r):
    return r['phase'] if r.get('repeat', 1) == 1 else '%s #%d' % (r['phase'], r['repeat'])


def main_table(rows):
    out = ['| T | V | inventory objects | permissions planned | tool | phase | wall s | SOAP calls | writes | '
           'vCenter module runs | peak RSS MB (largest process) | peak RSS MB (process tree) | peak PSS MB (process tree) | '
           'CPU s (ansible) |',
           '|---:|---:|---:|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|']
    for r in rows:
        bad = '' if (r['rc'] == 0 and not r.get('failed')) else ' **(failed, rc=%s)**' % r['rc']
        out.append('| %d | %d | %s | %s | %s | %s | %s%s | %s | %s | %s | %.0f | %.0f | %s | %s |' % (
            r['tenants'], r['vms'], fmt_int(r['inventory_objects']), fmt_int(r.get('planned_permissions')),
            tool_label(r), phase_label(r), fmt_s(r['wall_s']), bad, fmt_int(r['soap_calls']), fmt_int(r['writes']),
            fmt_int(r.get('vcenter_modules')), r['peak_rss_mb'], r['peak_tree_rss_mb'],
            '%.0f' % r['peak_tree_pss_mb'] if r.get('peak_tree_pss_mb') is not None else '-', fmt_s(r.get('cpu_s'))))
    return out


def comparisons(rows):
    """Speedup and SOAP ratio of each tenantdr.asr flavour against the community loop, per T / delay / phase."""
    out = []
    comm = {(r['tenants'], r['vms'], r['delay_ms'], r['phase']): r for r in rows if not is_ours(r)}
    for r in rows:
        if not is_ours(r):
            continue
        c = comm.get((r['tenants'], r['vms'], r['delay_ms'], r['phase']))
        if not c:
            continue
        out.append(dict(tenants=r['tenants'], vms=r['vms'], delay_ms=r['delay_ms'], phase=r['phase'],
                        flavour=r.get('flavour'), ours_s=r['wall_s'], community_s=c['wall_s'],
                        speedup=ratio(c['wall_s'], r['wall_s']), ours_soap=r['soap_calls'],
                        community_soap=c['soap_calls'], soap_ratio=ratio(c['soap_calls'], r['soap_calls']),
                        ours_writes=r['writes'], community_writes=c['writes']))
    return out


def targets(rows, comps):
    """The issue's targets, checked against the figures."""
    out = ['## Targets (issue 6)', '']
    for c in comps:
        if c['tenants'] == 100 and c['phase'] == 'onboard':
            ok = c['speedup'] >= 10 and c['soap_ratio'] >= 10
            out.append('- T=100 onboard, %s, %d ms: %.0fx faster, %.0fx fewer SOAP calls -> target (>= 10x both) %s; '
                       'project floor (>= 100x faster) %s' % (c['flavour'], c['delay_ms'], c['speedup'], c['soap_ratio'],
                                                              'met' if ok else '**missed**',
                                                              'met' if c['speedup'] >= 100 else '**missed**'))
    reruns = [r for r in rows if is_ours(r) and r['phase'] == 'rerun']
    if reruns:
        w = sum(r['writes'] for r in reruns)
        out.append('- idempotent re-run: %d write(s) over %d re-runs (%s)' % (w, len(reruns), 'met' if w == 0 else '**missed**'))
        groups = {}
        for r in reruns:
            groups.setdefault((r['tenants'], r.get('flavour'), r['delay_ms']), []).append(r)
        for (T, fl, d), rs in sorted(groups.items()):
            if len({r['vms'] for r in rs}) > 1:
                rs = sorted(rs, key=lambda r: r['vms'])
                reads = ['V=%d: %d' % (r['vms'], r['soap_calls'] - r['writes']) for r in rs]
                flat = len({r['soap_calls'] - r['writes'] for r in rs}) == 1
                out.append('- re-run reads against objects per tenant (T=%d, %s, %d ms): %s -> %s' % (
                    T, fl, d, ', '.join(reads), 'constant (met)' if flat else '**grow**'))
    repeated = {}
    for r in rows:
        if is_ours(r) and not r.get('sweep') and r['phase'] in ('onboard', 'rerun', 'empty_play', 'onboard_one', 'offboard'):
            repeated.setdefault((r['tenants'], r['phase'], r.get('flavour'), r['delay_ms']), []).append(r)
    for (T, phase, fl, d), rs in sorted(repeated.items()):
        if len(rs) > 1:
            rs = sorted(rs, key=lambda x: x.get('repeat', 1))
            walls = [r['wall_s'] for r in rs]
            line = '- T=%d %s (%s, %d ms), %d runs: %s s; median %s s' % (
                T, phase, fl, d, len(walls), ', '.join(fmt_s(w) for w in walls), fmt_s(statistics.median(walls)))
            if all(r.get('cpu_s') is not None for r in rs):
                line += '; CPU %s s' % ', '.join(fmt_s(r['cpu_s']) for r in rs)
            out.append(line)
    for r in rows:
        if is_ours(r) and r['tenants'] >= 1000 and not r.get('sweep'):
            out.append('- T=%d %s (%s, %d ms): %s in %s s%s' % (
                r['tenants'], r['phase'], r.get('flavour'), r['delay_ms'],
                'completed' if r['rc'] == 0 and not r.get('failed') else '**failed**', fmt_s(r['wall_s']),
                ', %s tenant permissions after onboarding' % fmt_int(r['tenant_permissions'])
                if r.get('tenant_permissions') is not None else ''))
    out.append('')
    return out


def task_breakdown(rows):
    """Where the wall time of tenantdr.asr goes at the largest T: per task, from the bench_stats callback."""
    ours = [r for r in rows if is_ours(r) and r.get('tasks')]
    if not ours:
        return []
    T = max(r['tenants'] for r in ours)
    out = ['## Where the time goes: tenantdr.asr at T=%d, per task' % T, '',
           'Seconds from the first start to the last result of each task (all hosts), from the bench_stats callback;',
           'tasks under 2% of the phase are left out. Per-host tasks run once per tenant host (forks 5).', '',
           '| flavour | delay ms | phase | task | action | results | s |', '|---|---:|---|---|---|---:|---:|']
    for r in sorted(ours, key=sort_key):
        if r['tenants'] != T:
            continue
        for t in r['tasks']:
            if t.get('seconds') and t['seconds'] >= 0.02 * r['wall_s']:
                cells = (r.get('flavour'), r['delay_ms'], phase_label(r), t['name'].split(' : ')[-1][:90], t.get('action', ''),
                         fmt_int(t['invocations']), fmt_s(t['seconds']))
                out.append('| %s | %d | %s | %s | %s | %s | %s |' % cells)
    out.append('')
    return out


def methods_table(rows):
    out = ['| T | V | tool | phase | SOAP calls by method |', '|---:|---:|---|---|---|']
    for r in rows:
        m = ', '.join('%s %s' % (k, fmt_int(v)) for k, v in sorted(r['soap_methods'].items(), key=lambda kv: -kv[1]))
        out.append('| %d | %d | %s | %s | %s |' % (r['tenants'], r['vms'], tool_label(r), r['phase'], m))
    return out


def write_readme(results, outdir):
    rows = sorted(results['rows'], key=sort_key)
    m = results['machine']
    commands = results.get('commands') or [dict(command=results['command'], started=results['started'],
                                                load_averages=results.get('load_averages'))]
    delays = sorted({r['delay_ms'] for r in rows})
    lines = [
        '# Scale benchmark: tenantdr.asr against a community.vmware loop',
        '',
        'Generated by `benchmarks/run_benchmark.py` (see [benchmarks/README.md](../../benchmarks/README.md) for how it works);',
        'raw figures in [results.json](results.json), plot in [scaling.png](scaling.png), analysis and profiles in',
        '[findings.md](findings.md) (hand-written). Do not edit this file by hand: re-run the command.',
        '',
        '## Command',
        '',
        'Run from the repository root after `bash scripts/setup.sh`:',
        '',
        '```sh',
    ]
    for c in commands:
        lines.append('.venv/bin/' + c['command'])
    lines += ['```', '']
    for c in commands:
        la = c.get('load_averages') or []
        if la:
            lines.append('- `%s`: started %s; 1-min load average before/between cases: %s' % (
                c['command'].replace('python benchmarks/run_benchmark.py ', ''), c['started'],
                ', '.join('%.2f' % x[0] for x in la)))
    lines += [
        '',
        '## Machine',
        '',
        '| | |', '|---|---|',
        '| CPUs (nproc) | %s |' % m['nproc'],
        '| CPU model | %s |' % m['cpu'],
        '| memory | %s |' % m.get('memory', ''),
        '| kernel | %s |' % m.get('kernel', ''),
        '| Python | %s (`%s`) |' % (m['python'], m.get('python_executable', '')),
        '| ansible-core | %s |' % m['ansible_core'],
        '| pyVmomi | %s |' % m['pyvmomi'],
        '| community.vmware | %s (from the `%s` community package on PyPI, the release for ansible-core 2.19) |' % (
            m['community_vmware'], results.get('community_package', 'ansible')),
        '| simulator | tests/simulator (govmomi %s simulator, real-vCenter permission semantics), latency %s ms per SOAP call |' % (
            m['govmomi_simulator'], ' and '.join(str(d) for d in delays)),
        '',
        'Other engineers were running tests on the same 2-core machine during parts of the run: the load averages',
        'above say how busy it was; wall times are noisier than SOAP counts, which are exact and deterministic.',
        '',
    ]

    comps = comparisons(rows)
    if comps:
        lines += ['## tenantdr.asr against the community.vmware loop', '']
        for c in comps:
            lines.append('- T=%d, V=%d, %d ms latency, **%s** (%s): %.0fx faster (%s s vs %s s), %.0fx fewer SOAP calls '
                         '(%s vs %s), writes %s vs %s' % (
                             c['tenants'], c['vms'], c['delay_ms'], c['phase'], c['flavour'], c['speedup'],
                             fmt_s(c['ours_s']), fmt_s(c['community_s']), c['soap_ratio'], fmt_int(c['ours_soap']),
                             fmt_int(c['community_soap']), fmt_int(c['ours_writes']), fmt_int(c['community_writes'])))
        lines.append('')
    for ch in results.get('checks', []):
        if 'same_permissions' in ch:
            lines.append('- T=%d: after onboarding, both tools left %s tenant permissions (%s vs %s entries).' % (
                ch['tenants'], 'the same set of' if ch['same_permissions'] else '**different**', ch['tenantdr_asr'],
                ch['community']))
    lines.append('')

    lines += targets(rows, comps)
    # floors
    lines += ['## Re-runs', '']
    for r in rows:
        if is_ours(r) and r['phase'] == 'rerun':
            reads = r['soap_calls'] - r['writes']
            lines.append('- re-run T=%d V=%d (%s, %d ms): %d writes, %d reads (%s) for %s planned permissions' % (
                r['tenants'], r['vms'], r.get('flavour'), r['delay_ms'], r['writes'], reads,
                ', '.join('%s %d' % kv for kv in sorted(r['soap_methods'].items())), fmt_int(r.get('planned_permissions'))))
    lines.append('')

    main_rows = [r for r in rows if not r.get('sweep')]
    sweep_rows = [r for r in rows if r.get('sweep') or (is_ours(r) and r['phase'] in ('onboard', 'rerun')
                                                        and any(s.get('sweep') for s in rows))]
    for d in delays:
        dr = [r for r in main_rows if r['delay_ms'] == d]
        if dr:
            lines += ['## Results, %d ms simulator latency per SOAP call' % d, ''] + main_table(dr) + ['']
    sweep_t = sorted({r['tenants'] for r in rows if r.get('sweep')})
    if sweep_t:
        T = sweep_t[0]
        sr = sorted([r for r in sweep_rows if r['tenants'] == T and is_ours(r)], key=lambda r: (r['delay_ms'], r.get('flavour'), r['phase'], r['vms']))
        lines += ['## Objects per tenant: T=%d tenants with V VMs each (tenantdr.asr only)' % T, '',
                  'The re-run must send no write, and its reads must not grow with the number of objects per tenant.', '']
        lines += main_table(sr) + ['']
    lines += task_breakdown(main_rows)
    lines += ['## SOAP calls by method', ''] + methods_table(list(main_rows)) + ['']
    lines += [
        '## How to read this',
        '',
        '- **wall s**: the `ansible-playbook` run, start to exit. **SOAP calls**: every request the simulator received',
        '  during the phase (counter reset before each phase). **writes**: SetEntityPermissions, RemoveEntityPermission,',
        '  Add/Update/RemoveAuthorizationRole. **vCenter module runs**: module invocations that log in to vCenter (loop items',
        '  count one each). **peak RSS (largest process)**: `ru_maxrss` of `getrusage(RUSAGE_CHILDREN)` in a per-phase',
        '  wrapper, the largest single process of the ansible-playbook tree; **RSS (process tree)**: the sum over the',
        '  tree, sampled every 0.25 s from /proc, which counts the pages Ansible\'s forked workers share with the',
        '  controller once per process; **PSS (process tree)**: the same sum of proportional set sizes',
        '  (`/proc/PID/smaps_rollup`), each shared page divided among the processes sharing it - the memory the tree',
        '  holds. **CPU s**: user+system time of the whole ansible-playbook tree.',
        '- **tenantdr.asr (playbooks)**: the collection\'s `playbooks/onboard_tenant.yml`, `audit_tenants.yml`,',
        '  `offboard_tenant.yml` with every tenant an inventory host (group `tenants` > `shared_hsp`), `-e',
        '  tenantdr_azure_enabled=false`. Onboarding includes the isolation audit the playbook runs; offboarding includes',
        '  deleting the DR role once unused. **tenantdr.asr (modules)**: `benchmarks/playbooks/ours_*.yml`, the modules',
        '  called directly, one task each (role, mapping, permissions).',
        '- **community.vmware**: every tenant is an inventory host (forks 5, connection local) looping',
        '  `vmware_object_role_permission` (`recursive: false`) over exactly the objects `tenant_mapping` planned, after',
        '  one `vmware_local_role_manager` task creates the role with the same privileges (onboard only). Principals are',
        "  given as `VSPHERE.LOCAL\\\\<login>`, the form vCenter returns: the module compares principals literally, so with",
        '  `<login>@vsphere.local` its re-run would rewrite every permission (community.vmware PR #537). Offboard is the',
        '  same loop with `state: absent`. It has no audit.',
        '- Each tool gets a fresh simulator with the same generated inventory (`tests/simulator/inventory.py',
        '  generated_inventory(T, V)`: one datacenter, 20 tenants per 10-host cluster, 4 shared datastores, a port group',
        '  per tenant, V VMs and a configuration server per tenant). Names are unique, so community.vmware\'s name lookups',
        '  find the right objects; after onboarding the harness reads every permission back and compares the two tools.',
        '',
    ]
    with open(os.path.join(outdir, 'README.md'), 'w') as f:
        f.write('\n'.join(lines))


def plot(results_path, png):
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    with open(results_path) as f:
        results = json.load(f)
    rows = [r for r in results['rows'] if not r.get('sweep') and r['rc'] == 0]
    delays = sorted({r['delay_ms'] for r in rows})
    fig, axes = plt.subplots(1, 3, figsize=(16, 6.2))
    styles = {'onboard': '-', 'rerun': '--', 'offboard': ':', 'audit': '-.', 'onboard_one': '-'}
    markers = {0: 'o', 1: 's', 2: '^', 3: 'D'}
    series = {}
    for r in rows:
        key = (tool_label(r), r['phase'], r['delay_ms'])
        series.setdefault(key, []).append(r)
    colors = {}
    palette = ['#1f77b4', '#2ca02c', '#d62728', '#9467bd', '#ff7f0e', '#8c564b']
    for key in sorted(series):
        tool, phase, delay = key
        if phase not in ('onboard', 'rerun'):
            continue
        pts = sorted(series[key], key=lambda r: r['tenants'])
        xs = [r['tenants'] for r in pts]
        c = colors.setdefault(tool, palette[len(colors) % len(palette)])
        label = '%s %s%s' % (tool, phase, (', %d ms' % delay) if len(delays) > 1 else '')
        kw = dict(color=c, linestyle=styles[phase], marker=markers[delays.index(delay) % 4], label=label,
                  alpha=1.0 if delays.index(delay) == 0 else 0.55)
        axes[0].plot(xs, [r['wall_s'] for r in pts], **kw)
        axes[1].plot(xs, [max(1, r['soap_calls']) for r in pts], **kw)
        axes[2].plot(xs, [r['peak_tree_rss_mb'] for r in pts], **kw)
    titles = ['wall time (s)', 'SOAP calls', 'peak RSS of the ansible-playbook tree (MB)']
    for ax, t in zip(axes, titles):
        ax.set_xscale('log')
        ax.set_yscale('log')
        ax.set_xlabel('tenants (T), %s VMs each' % '/'.join(sorted({str(r['vms']) for r in rows})))
        ax.set_title(t)
        ax.grid(True, which='both', alpha=0.3)
    from matplotlib.ticker import ScalarFormatter
    for ax in (axes[0], axes[2]):
        ax.yaxis.set_major_formatter(ScalarFormatter())
    axes[2].set_yscale('linear')
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, fontsize=7, loc='lower center', ncol=4)
    fig.suptitle('Onboarding T tenants on one vCenter (simulator): tenantdr.asr vs community.vmware %s loop, %s'
                 % (results['machine']['community_vmware'], results['machine']['cpu'] + ', %s CPUs' % results['machine']['nproc']),
                 fontsize=10)
    fig.tight_layout(rect=(0, 0.13, 1, 1))
    fig.savefig(png, dpi=110)


def plot_python():
    """A Python that can import matplotlib: this one, or benchmarks/output/venv-plot (created on demand)."""
    try:
        import matplotlib  # noqa: F401  pylint: disable=unused-import
        return sys.executable
    except ImportError:
        pass
    py = os.path.join(PLOT_VENV, 'bin', 'python')
    if not os.path.exists(py):
        subprocess.check_call([sys.executable, '-m', 'venv', PLOT_VENV])
    if subprocess.call([py, '-c', 'import matplotlib'], stderr=subprocess.DEVNULL) != 0:
        subprocess.check_call([py, '-m', 'pip', 'install', '-q', '-r', os.path.join(HERE, 'requirements.txt')])
    return py


def write_plot(results_path, png):
    subprocess.check_call([plot_python(), os.path.abspath(__file__), '--plot', results_path, png])


if __name__ == '__main__':
    if len(sys.argv) == 4 and sys.argv[1] == '--plot':
        plot(sys.argv[2], sys.argv[3])
    else:
        outdir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(REPO, 'docs', 'benchmarks')
        path = os.path.join(outdir, 'results.json')
        with open(path) as f:
            res = json.load(f)
        write_readme(res, outdir)
        write_plot(path, os.path.join(outdir, 'scaling.png'))
