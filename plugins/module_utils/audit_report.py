# -*- coding: utf-8 -*-
# Copyright: tenantdr.asr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The isolation audit as a report people read: drift since the plan, a JSON document, a self-contained HTML page.

Pure functions over the ``report`` that ``tenant_isolation_audit`` returns (``isolation.audit``):

* :func:`drift` -- what changed in vCenter since the plan was applied (run by the module);
* :func:`build_document` -- one document for a run over several vCenters (the ``audit_report_document``
  filter); contains no secret: principals, inventory paths, role names and findings only;
* :func:`render_html` -- that document as one HTML page with inline CSS, no script, no external
  resource; every value from vCenter or the inventory is HTML-escaped.
"""
from __future__ import annotations

import datetime
import json
from html import escape

FORMAT = 'tenantdr.asr/isolation-audit-report/1'
DRIFT_KEYS = ('new_vms_without_permission', 'permissions_on_departed_vms', 'foreign_permissions', 'propagating_permissions')
CLASS_TEXT = {
    'foreign_vm_visible': 'Another tenant\'s VM is visible',
    'unassigned_vm_visible': 'A VM of no tenant is visible',
    'propagating_permission': 'Propagating permission over VMs that are not the tenant\'s',
    'noaccess_masking': 'No access masking a propagating grant',
    'excess_permission': 'Permission outside the plan',
    'missing_permission': 'Planned permission missing or different',
    'server_disagreement': 'vCenter\'s own answer differs from the computed one',
    'offboarded_account_permission': 'Offboarded account still holds a permission',
}


def _is_vm(snap, moid):
    return (snap.objects.get(moid) or {}).get('type') == 'VirtualMachine'


def drift(snap, report):
    """Per tenant: findings that mean vCenter moved away from the plan (a reconcile run fixes the first two kinds).

    * ``new_vms_without_permission``: a VM the tenant's selectors match now (or a management server) whose planned
      permission is absent or different -- typically a VM created since the last onboarding run;
    * ``permissions_on_departed_vms``: a permission of the account on a VM its selectors no longer match;
    * ``foreign_permissions``: any other permission of the account or its groups outside the plan;
    * ``propagating_permissions``: propagating grants over other tenants' or unassigned VMs, and No access masking.
    """
    out = dict(tenants={}, total=0)
    for name, entry in report.get('tenants', {}).items():
        d = {k: [] for k in DRIFT_KEYS}
        for lk in entry.get('leaks', []):
            item = dict(path=lk['path'], object=lk['object'], detail=lk['detail'])
            cls = lk['class']
            if cls == 'missing_permission' and _is_vm(snap, lk['object']):
                d['new_vms_without_permission'].append(item)
            elif cls == 'excess_permission' and _is_vm(snap, lk['object']):
                d['permissions_on_departed_vms'].append(item)
            elif cls == 'excess_permission':
                d['foreign_permissions'].append(item)
            elif cls in ('propagating_permission', 'noaccess_masking'):
                d['propagating_permissions'].append(item)
        d['total'] = sum(len(d[k]) for k in DRIFT_KEYS)
        out['tenants'][name] = d
        out['total'] += d['total']
    out['clean'] = out['total'] == 0
    return out


# --------------------------------------------------------------------------------------------
# Document
# --------------------------------------------------------------------------------------------

def _finding(lk):
    return {'class': lk.get('class'), 'title': CLASS_TEXT.get(lk.get('class'), lk.get('class')), 'path': lk.get('path'),
            'object': lk.get('object'), 'cause': lk.get('detail'), 'granted': list(lk.get('granted') or [])}


def _leftover(change):
    """A permission an offboarded access account still holds (a vcenter_nonpropagating_permission change entry)."""
    if change.get('detail'):
        return dict(change, **{'class': change.get('class', 'offboarded_account_permission')})
    before = change.get('before') or {}
    role = before.get('role') if isinstance(before, dict) else before
    detail = ('offboarded access account %s%s still holds %s on %s (propagate=%s)'
              % (change.get('principal'), ' (group)' if change.get('group') else '', role or 'a permission', change.get('path'),
                 'true' if isinstance(before, dict) and before.get('propagate') else 'false'))
    return {'class': 'offboarded_account_permission', 'path': change.get('path'), 'object': change.get('object'),
            'detail': detail, 'granted': [dict(on=change.get('path'), principal=change.get('principal'),
                                               group=bool(change.get('group')), role=role,
                                               propagate=bool(isinstance(before, dict) and before.get('propagate')),
                                               how='explicit')]}


def _tenant_doc(name, entry):
    return dict(
        name=name,
        access_account=entry.get('access_account'),
        access_account_groups=list(entry.get('access_account_groups') or []),
        role=entry.get('role'),
        vms=entry.get('vms', 0),
        visible_vms=[dict(path=v.get('path'), owner=v.get('owner'), roles=list(v.get('roles') or []))
                     for v in entry.get('visible_vms') or []],
        own_vms_not_visible=list(entry.get('own_vms_not_visible') or []),
        foreign_vms=list(entry.get('foreign_vms') or []),
        unassigned_vms=list(entry.get('unassigned_vms') or []),
        findings=[_finding(lk) for lk in entry.get('leaks') or []],
    )


def build_document(results, generated_at=None):
    """One report document from per-vCenter audit results ``[{vcenter, report, extra_findings}]``.

    ``extra_findings`` (optional) are findings outside a tenant (e.g. offboarded accounts' leftovers).
    """
    vcenters = []
    for res in results or []:
        report = res.get('report') or {}
        extra = [_finding(_leftover(lk)) for lk in res.get('extra_findings') or []]
        tenants = [_tenant_doc(n, e) for n, e in sorted((report.get('tenants') or {}).items())]
        counts = {k: v for k, v in (report.get('counts') or {}).items() if v}
        for f in extra:
            counts[f['class']] = counts.get(f['class'], 0) + 1
        vcenters.append(dict(
            vcenter=res.get('vcenter'),
            clean=bool(report.get('clean', True)) and not extra,
            counts=counts,
            summary=list(report.get('summary') or []),
            vms_total=report.get('vms_total'),
            unassigned_vms_total=report.get('unassigned_vms_total'),
            drift=report.get('drift') or {},
            server_check=report.get('server_check'),
            tenants=tenants,
            other_findings=extra,
        ))
    when = generated_at or datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')
    return dict(format=FORMAT, generated_at=when, clean=all(v['clean'] for v in vcenters),
                findings=sum(len(t['findings']) for v in vcenters for t in v['tenants']) + sum(len(v['other_findings']) for v in vcenters),
                vcenters=vcenters)


def to_json(doc):
    return json.dumps(doc, indent=2, sort_keys=True) + '\n'


# --------------------------------------------------------------------------------------------
# HTML
# --------------------------------------------------------------------------------------------

_CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:2rem;color:#1b1f23;max-width:80rem}
h1{font-size:1.6rem}h2{font-size:1.3rem;margin-top:2rem;border-bottom:2px solid #ddd}h3{font-size:1.1rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1rem}th,td{border:1px solid #ccc;padding:.3rem .5rem;
text-align:left;vertical-align:top;font-size:.9rem}th{background:#f3f4f6}
.clean{color:#116329;font-weight:bold}.leak{color:#b42318;font-weight:bold}
.badge{display:inline-block;padding:.1rem .5rem;border-radius:.6rem;background:#fde8e8;color:#b42318;margin-right:.3rem}
.ok{background:#e6f4ea;color:#116329}code{font-size:.85rem}ul.grants{margin:0;padding-left:1.1rem}
"""


def _e(value):
    return escape('' if value is None else str(value), quote=True)


def _grants(granted):
    if not granted:
        return ''
    items = ''.join('<li><code>%s</code>%s holds <b>%s</b> on <code>%s</code> (propagate=%s, %s)</li>'
                    % (_e(g.get('principal')), ' (group)' if g.get('group') else '', _e(g.get('role')), _e(g.get('on')),
                       'true' if g.get('propagate') else 'false', _e(g.get('how'))) for g in granted)
    return '<ul class="grants">%s</ul>' % items


def _findings_table(findings):
    if not findings:
        return '<p class="clean">No finding.</p>'
    rows = ''.join(
        '<tr class="finding" data-class="%s"><td>%s<br><code>%s</code></td><td><code>%s</code></td><td>%s</td><td>%s</td></tr>'
        % (_e(f['class']), _e(f['title']), _e(f['class']), _e(f['path']), _e(f['cause']), _grants(f.get('granted')))
        for f in findings)
    return ('<table class="findings"><thead><tr><th>Finding</th><th>Object</th><th>Cause</th><th>Granted where</th></tr>'
            '</thead><tbody>%s</tbody></table>' % rows)


def _list(items):
    return ', '.join('<code>%s</code>' % _e(i) for i in items) if items else '-'


def _tenant_html(vc_index, t):
    visible = ''.join('<tr><td><code>%s</code></td><td>%s</td><td>%s</td></tr>'
                      % (_e(v['path']), _e(v['owner'] or '(no tenant)'), _e(', '.join(v['roles'])))
                      for v in t['visible_vms']) or '<tr><td colspan="3">none</td></tr>'
    state = ('<span class="badge ok">clean</span>' if not t['findings']
             else '<span class="badge">%d finding(s)</span>' % len(t['findings']))
    return ('<section class="tenant" id="vc%d-%s"><h3>Tenant <span class="tenant-name">%s</span> %s</h3>'
            '<table class="facts"><tr><th>Access account</th><td><code>%s</code></td></tr>'
            '<tr><th>Groups</th><td>%s</td></tr><tr><th>Role</th><td>%s</td></tr>'
            '<tr><th>Own VMs and management servers</th><td>%d</td></tr>'
            '<tr><th>Own VMs it cannot see</th><td>%s</td></tr>'
            '<tr><th>Other tenants\' VMs it sees</th><td>%s</td></tr>'
            '<tr><th>Unassigned VMs it sees</th><td>%s</td></tr></table>'
            '<h4>What the account can see</h4><table class="visible"><thead><tr><th>VM</th><th>Tenant</th><th>Roles</th>'
            '</tr></thead><tbody>%s</tbody></table><h4>Findings</h4>%s</section>'
            % (vc_index, _e(t['name']), _e(t['name']), state, _e(t['access_account']), _list(t['access_account_groups']),
               _e(t['role']), t['vms'], _list(t['own_vms_not_visible']), _list(t['foreign_vms']), _list(t['unassigned_vms']),
               visible, _findings_table(t['findings'])))


def _drift_html(d):
    if not d or not d.get('tenants'):
        return ''
    rows = ''.join('<tr><td>%s</td>%s</tr>' % (_e(name), ''.join('<td>%d</td>' % len(v.get(k) or []) for k in DRIFT_KEYS))
                   for name, v in sorted(d['tenants'].items()))
    head = ''.join('<th>%s</th>' % _e(k.replace('_', ' ')) for k in DRIFT_KEYS)
    return ('<h3>Drift since the plan</h3><table class="drift"><thead><tr><th>Tenant</th>%s</tr></thead><tbody>%s</tbody>'
            '</table>' % (head, rows))


def render_html(doc):
    """The report document as one self-contained HTML page."""
    parts = []
    for i, vc in enumerate(doc.get('vcenters') or []):
        verdict = ('<p class="verdict clean">Clean: no access account sees another tenant\'s or an unassigned VM, and every '
                   'plan is in place.</p>' if vc['clean'] else
                   '<p class="verdict leak">NOT CLEAN: %s</p>' % _e(', '.join('%d %s' % (n, c) for c, n in sorted(vc['counts'].items()))))
        summary = ''.join('<li>%s</li>' % _e(line) for line in vc['summary'])
        other = ('<h3>Other findings</h3>' + _findings_table(vc['other_findings'])) if vc['other_findings'] else ''
        parts.append('<section class="vcenter"><h2>vCenter <span class="vcenter-name">%s</span></h2>%s<ul class="summary">%s'
                     '</ul>%s%s%s</section>'
                     % (_e(vc['vcenter']), verdict, summary, _drift_html(vc['drift']),
                        ''.join(_tenant_html(i, t) for t in vc['tenants']), other))
    title = 'Tenant isolation audit %s' % doc.get('generated_at', '')
    overall = ('<p class="overall clean">All vCenters clean.</p>' if doc.get('clean')
               else '<p class="overall leak">%d finding(s) - see below.</p>' % doc.get('findings', 0))
    return ('<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>%s</title>'
            '<meta name="generator" content="tenantdr.asr"><style>%s</style></head><body><h1>%s</h1>%s%s</body></html>\n'
            % (_e(title), _CSS, _e(title), overall, ''.join(parts)))
