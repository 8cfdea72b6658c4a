# -*- coding: utf-8 -*-
# Copyright: tenantdr.asr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""vCenter's own answer: compare ``FetchUserPrivilegeOnEntities`` with the computed effective privileges.

The isolation audit (``isolation.py``) computes what each access account can do from vSphere's
documented rules.  vCenter 6.5+ can answer the same question itself:
``AuthorizationManager.FetchUserPrivilegeOnEntities(entities, userName)`` returns, per entity, the
privileges the user effectively holds (explicit or through group membership -- including groups
the tenant definition does not list).  :func:`fetch_privileges` asks it, in batches, for each
access account on the objects that matter (every VM: the tenant's own, other tenants', unassigned
ones and the management servers, plus every object of the tenant's plan); :func:`compare` turns
every difference into a ``server_disagreement`` finding.  The server wins: a VM it reports
visible to an account that does not own it is also reported as ``foreign_vm_visible`` /
``unassigned_vm_visible`` even when the computation missed it.

Pure except :func:`fetch_privileges` (one SOAP call per account and batch).
"""
from __future__ import annotations

from ansible_collections.tenantdr.asr.plugins.module_utils.isolation import Account, PermissionModel, VIEW_PRIVILEGE, summary_lines

SERVER_CLASS = 'server_disagreement'
BATCH = 1000
_MAX_LISTED = 6


def entities_to_ask(snap, plan):
    """Moids the server is asked about for one tenant: every VM and every object of its plan."""
    moids = {vm['moid'] for vm in snap.vms()}
    moids.update(o['moid'] for o in plan['objects'])
    return sorted(moids, key=snap.label)


def fetch_privileges(vc, snap, principal, moids, batch=BATCH):
    """{moid: frozenset(privilege ids)} from vCenter for ``principal`` (``vc``: a VCenterConnection)."""
    out = {}
    moids = list(moids)
    for i in range(0, len(moids), batch):
        chunk = moids[i:i + batch]
        result = vc.auth.FetchUserPrivilegeOnEntities([vc.entity(snap, m) for m in chunk], principal)
        for r in result or []:
            out[r.entity._moId] = frozenset(r.privileges or ())
    for m in moids:
        out.setdefault(m, frozenset())
    return out


def _listing(items):
    items = sorted(items)
    more = len(items) - _MAX_LISTED
    return ', '.join(items[:_MAX_LISTED]) + (' and %d more' % more if more > 0 else '')


def compare(snap, tenant, server, owners, model=None):
    """Findings for one tenant: every entity where the server's privileges differ from the computed ones.

    ``server``: {moid: privileges} from :func:`fetch_privileges`; ``owners``: VM moid -> tenant name
    (``build_plans``).  Returns ``(findings, stats)``.
    """
    model = model or PermissionModel(snap)
    name = tenant['name']
    account = Account(tenant['access_account'], tenant.get('access_account_groups'))
    findings = []
    agreed = 0
    for moid in sorted(server, key=snap.label):
        have = frozenset(server[moid])
        eff = model.effective(moid, account)
        if have == eff.privileges:
            agreed += 1
            continue
        extra, lacking = sorted(have - eff.privileges), sorted(eff.privileges - have)
        server_visible, computed_visible = VIEW_PRIVILEGE in have, eff.visible
        parts = []
        if extra:
            parts.append('vCenter grants %d privilege(s) the audit did not compute: %s' % (len(extra), _listing(extra)))
        if lacking:
            parts.append('vCenter withholds %d privilege(s) the audit computed: %s' % (len(lacking), _listing(lacking)))
        via = '; '.join(model.describe(p, how) for p, how in eff.sources) or 'no permission of the account or its listed groups'
        detail = ("FetchUserPrivilegeOnEntities for %s on %s differs from the computed effective privileges (%s); computed "
                  "from: %s. vCenter's answer wins (group memberships not listed in access_account_groups, global "
                  "permissions or rules the audit does not model)"
                  % (tenant['access_account'], snap.label(moid), '; '.join(parts), via))
        findings.append({'class': SERVER_CLASS, 'tenant': name, 'account': tenant['access_account'], 'object': moid,
                         'path': snap.label(moid), 'detail': detail, 'server_visible': server_visible,
                         'computed_visible': computed_visible})
        obj = snap.objects.get(moid) or {}
        if obj.get('type') == 'VirtualMachine' and server_visible and not computed_visible and owners.get(moid) != name:
            owner = owners.get(moid)
            cls = 'foreign_vm_visible' if owner else 'unassigned_vm_visible'
            what = 'VM %s of tenant %s' % (snap.label(moid), owner) if owner else 'VM %s belongs to no tenant and' % snap.label(moid)
            findings.append({'class': cls, 'tenant': name, 'account': tenant['access_account'], 'object': moid,
                             'path': snap.label(moid),
                             'detail': '%s is visible according to vCenter (FetchUserPrivilegeOnEntities), although no '
                                       'permission the audit knows of grants it' % what})
    return findings, dict(asked=len(server), agreed=agreed, disagreed=len(server) - agreed)


def merge_findings(report, tenants, findings_by_tenant, stats_by_tenant):
    """Add server findings to an ``isolation.audit`` report: per tenant, the flat list, counts, clean and summary."""
    added = 0
    for name, findings in findings_by_tenant.items():
        entry = report['tenants'][name]
        entry['leaks'].extend(findings)
        report['leaks'].extend(findings)
        for f in findings:
            report['counts'][f['class']] = report['counts'].get(f['class'], 0) + 1
            if f['class'] in ('foreign_vm_visible', 'unassigned_vm_visible'):
                key = 'foreign_vms' if f['class'] == 'foreign_vm_visible' else 'unassigned_vms'
                if f['path'] not in entry[key]:
                    entry[key].append(f['path'])
        added += len(findings)
    report['counts'].setdefault(SERVER_CLASS, 0)
    report['server_check'] = stats_by_tenant
    if added:
        report['clean'] = False
    disagreed = sum(s['disagreed'] for s in stats_by_tenant.values())
    report['summary'] = summary_lines(report, tenants)
    report['summary'].append('vCenter\'s own answer (FetchUserPrivilegeOnEntities): %d object(s) asked for %d account(s), '
                             '%s' % (sum(s['asked'] for s in stats_by_tenant.values()), len(stats_by_tenant),
                                     'all agree with the computed privileges' if not disagreed else
                                     '%d disagree (server_disagreement findings)' % disagreed))
    return report


def server_check(vc, snap, tenants, plan_result, report):
    """Ask vCenter for every tenant's access account and merge the differences into ``report``."""
    model = PermissionModel(snap)
    plans = {p['tenant']: p for p in plan_result['plans']}
    findings, stats = {}, {}
    for t in tenants:
        answers = fetch_privileges(vc, snap, t['access_account'], entities_to_ask(snap, plans[t['name']]))
        findings[t['name']], stats[t['name']] = compare(snap, t, answers, plan_result['owners'], model)
    return merge_findings(report, tenants, findings, stats)
