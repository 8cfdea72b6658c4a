#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: tenantdr.asr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
module: tenant_isolation_audit
short_description: Prove that no DR tenant's vCenter access account sees another tenant's VMs
version_added: 0.1.0
description:
  - Reads the vCenter inventory and every permission once (one property-collector pass, one C(RetrieveAllPermissions)),
    computes each tenant's plan exactly as M(tenantdr.asr.tenant_mapping) does, and evaluates vSphere's permission rules
    for every tenant access account - explicit permissions beat inherited ones, a user permission beats group permissions,
    group permissions add up, only propagating permissions are inherited, a VM inherits from both its VM folder path and its
    host/cluster/resource pool path, No access masks, complex entities (a datacenter's root folders, a root resource pool, a
    standalone host) inherit from their parent, the root folder is the vCenter level and carries global permissions.
  - "Reports every leak, per tenant and as one list, with these classes: V(foreign_vm_visible) (a VM of another tenant is
    visible to the account), V(unassigned_vm_visible) (a VM of no tenant is visible), V(propagating_permission) (the account
    or one of its groups holds a propagating permission on an object with other tenants' or unassigned VMs below it in either
    hierarchy), V(noaccess_masking) (a No access permission under a propagating grant, the pattern the guide rejects),
    V(excess_permission) (any permission of the account or its groups that is not in its plan, or has another role or
    propagate flag), V(missing_permission) (a planned permission that is absent or different, or a tenant VM the account
    cannot use with the DR role's privileges, which ASR discovery would miss)."
  - Unassigned means not selected by any tenant of this task; audit all the tenants of a vCenter in one task.
  - With O(live_check=true) the module also logs in as each access account whose password is in O(access_passwords),
    lists the VMs the account sees, and compares them with the computed set (C(report.live)). This works on a real vCenter;
    the vCenter simulator (govmomi vcsim) enforces no authorization (govmomi issue 2227), so there every account lists every
    VM and the comparison reports a C(live_mismatch).
  - Tenant definitions that conflict (see M(tenantdr.asr.tenant_mapping)) fail the task before any evaluation.
author:
  - tenantdr.asr maintainers (@tenantdr)
extends_documentation_fragment:
  - tenantdr.asr.vcenter
  - tenantdr.asr.tenants
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.actiongroups
attributes:
  check_mode:
    support: full
    details: The module never changes anything, so check mode runs the same audit.
  diff_mode:
    support: none
  platform:
    platforms: all
  action_group:
    support: full
    membership:
      - tenantdr.asr.vcenter
options:
  fail_on_leak:
    description:
      - Fail the task when any leak is found, with a message naming the leaks (the report is still returned).
      - Leave V(false) to report only; set V(true) in shared hosting to stop a play that would hand a leaking account to a
        tenant.
    type: bool
    default: false
  live_check:
    description:
      - Also log in as each access account that has a password in O(access_passwords) and compare the VMs it lists with the
        computed visible set. Works on a real vCenter; on the simulator every account sees every VM.
    type: bool
    default: false
  access_passwords:
    description:
      - Tenant name to access-account password, for O(live_check).
    type: dict
    default: {}
  fail_on_live_mismatch:
    description:
      - Fail when a live listing differs from the computed visible set (a C(live_mismatch)), or a login fails. Otherwise a
        mismatch is reported under C(report.live_mismatches) and does not count as a leak.
    type: bool
    default: false
  server_check:
    description:
      - Also ask vCenter itself, with C(AuthorizationManager.FetchUserPrivilegeOnEntities) (vCenter 6.5 and later), which
        privileges each access account holds on every VM (the tenant's own, other tenants', unassigned ones and the
        management servers) and on every object of its plan, one call per account and 1000 objects.
      - Every object where vCenter's answer differs from the computed effective privileges is a
        V(server_disagreement) finding (a leak). vCenter's answer wins - a VM that vCenter reports visible to an account
        that does not own it is also a V(foreign_vm_visible) or V(unassigned_vm_visible) leak. Typical causes are group
        memberships not listed in C(access_account_groups) and global permissions.
      - The cost grows with tenants x VMs (every account is asked about every VM); on a vCenter with thousands of
        tenants, schedule it less often than the plain audit.
    type: bool
    default: false
notes:
  - The effective permissions are computed client-side from the rules in the vSphere Security guide ("Hierarchical
    Inheritance of Permissions", "Multiple Permission Settings") and the AuthorizationManager API reference (complex
    entities). Users' memberships in groups not listed in C(access_account_groups) are not known to the module.
  - A propagating permission on a host in a cluster is flagged as V(propagating_permission) when other tenants' VMs run on
    that host, even though VMs inherit through their resource pool rather than their host.
seealso:
  - module: tenantdr.asr.tenant_mapping
  - module: tenantdr.asr.vcenter_nonpropagating_permission
"""

EXAMPLES = r"""
- name: Audit the tenants of the shared vCenter, fail on any leak
  tenantdr.asr.tenant_isolation_audit:
    hostname: vcenter.example.com
    username: administrator@vsphere.local
    password: "{{ vcenter_password }}"
    tenants: "{{ dr_tenants }}"
    fail_on_leak: true
  register: audit

- name: Show the summary
  ansible.builtin.debug:
    var: audit.summary

- name: Confirm with the accounts themselves (real vCenter only)
  tenantdr.asr.tenant_isolation_audit:
    tenants: "{{ dr_tenants }}"
    live_check: true
    access_passwords:
      acme: "{{ acme_dr_password }}"
"""

RETURN = r"""
clean:
  description: No leak was found (same as C(report.clean)).
  returned: success
  type: bool
  sample: true
summary:
  description: A few human lines, one per tenant and a verdict (same as C(report.summary)).
  returned: success
  type: list
  elements: str
  sample: ["acme: 4 VMs visible (4 own of 4, 0 foreign, 0 unassigned), 0 leaks", "clean: no tenant access account sees ..."]
report:
  description: The machine-readable report.
  returned: always
  type: dict
  contains:
    clean:
      description: No leak was found.
      type: bool
    summary:
      description: Human lines.
      type: list
      elements: str
    leaks:
      description:
        - Every leak, ordered by tenant, class and path. C(class) is one of V(foreign_vm_visible), V(unassigned_vm_visible),
          V(propagating_permission), V(noaccess_masking), V(excess_permission), V(missing_permission); C(object) is the moid
          and C(path) the inventory path of the object concerned.
      type: list
      elements: dict
      sample:
        - {"class": "foreign_vm_visible", "tenant": "globex", "account": "globex-dr@vsphere.local", "object": "vm-61",
           "path": "/DC1/vm/tenants/acme/acme-vm01",
           "detail": "VM /DC1/vm/tenants/acme/acme-vm01 of tenant acme is visible: globex-dr@vsphere.local holds ..."}
    counts:
      description: Number of leaks per class.
      type: dict
    tenants:
      description:
        - Per tenant name - C(access_account), C(access_account_groups), C(role), C(vms) (number of own VMs and management
          servers), C(visible_vms) (list of C(path), C(moid), C(owner), C(roles), C(privileges_count)), C(own_vms_visible),
          C(own_vms_not_visible), C(foreign_vms), C(unassigned_vms) (paths), C(missing_roles) and C(leaks).
      type: dict
    vms_total:
      description: VMs in the vCenter.
      type: int
    unassigned_vms_total:
      description: VMs that no tenant of the task selects.
      type: int
    live:
      description:
        - With O(live_check), per tenant - C(checked), C(visible_vms), C(unexpected_vms) (listed live but not computed),
          C(missing_vms) (computed but not listed), C(match), or C(reason) / C(error) when not checked.
      type: dict
      returned: when O(live_check=true)
    live_mismatches:
      description: With O(live_check), one entry (C(class=live_mismatch)) per tenant whose live listing differs or whose login failed.
      type: list
      elements: dict
      returned: when O(live_check=true)
    server_check:
      description:
        - With O(server_check), per tenant - C(asked) (objects asked about), C(agreed), C(disagreed). Each disagreement is a
          V(server_disagreement) entry of C(leaks) with C(server_visible) and C(computed_visible).
      type: dict
      returned: when O(server_check=true)
    drift:
      description:
        - What changed in vCenter since the plan was applied, per tenant - C(new_vms_without_permission) (tenant VMs or
          management servers selected now whose permission is absent or different - new VMs a reconcile run would grant),
          C(permissions_on_departed_vms) (permissions the account holds on VMs it no longer owns),
          C(foreign_permissions) (other permissions of the account or its groups outside the plan) and
          C(propagating_permissions). C(total) counts all entries; C(clean) is true when nothing drifted.
      type: dict
      returned: always
"""

from ansible_collections.tenantdr.asr.plugins.module_utils.vcenter import (
    VCenterConnection, VCenterError, fault_text, moid_of, read_plan_snapshot, vim, vmodl,
)
from ansible_collections.tenantdr.asr.plugins.module_utils.vcenter_module import VCenterModule
from ansible_collections.tenantdr.asr.plugins.module_utils.tenant_plan import (
    validate_tenants, build_plans,
)
from ansible_collections.tenantdr.asr.plugins.module_utils.isolation import audit, compare_live, leak_message
from ansible_collections.tenantdr.asr.plugins.module_utils.server_privileges import server_check
from ansible_collections.tenantdr.asr.plugins.module_utils.audit_report import drift


def live_listing(params, account, password):
    """Log in as ``account`` and list the VMs it sees (moids), through one recursive ContainerView."""
    conn = dict(params, username=account, password=password)
    with VCenterConnection(conn) as vc:
        content = vc.content
        view = content.viewManager.CreateContainerView(content.rootFolder, [vim.VirtualMachine], True)
        try:
            return [moid_of(vm) for vm in view.view or []]
        finally:
            try:
                view.DestroyView()
            except vmodl.MethodFault:
                pass


def run_live_check(module, snap, tenants, report):
    passwords = module.params['access_passwords'] or {}
    live, mismatches = {}, []
    for t in tenants:
        name = t['name']
        if name not in passwords or passwords[name] in (None, ''):
            live[name] = dict(checked=False, reason='no password for %s in access_passwords' % name)
            continue
        entry = report['tenants'][name]
        try:
            moids = live_listing(module.params, t['access_account'], str(passwords[name]))
        except (VCenterError, vmodl.MethodFault) as exc:
            text = fault_text(exc) if isinstance(exc, vmodl.MethodFault) else str(exc)
            live[name] = dict(checked=False, error=text)
            mismatches.append({'class': 'live_mismatch', 'tenant': name, 'account': t['access_account'], 'unexpected_vms': [],
                               'missing_vms': [], 'detail': 'live check failed: %s' % text})
            continue
        result = compare_live(snap, entry, moids)
        live[name] = result
        if not result['match']:
            mismatches.append({'class': 'live_mismatch', 'tenant': name, 'account': t['access_account'],
                               'unexpected_vms': result['unexpected_vms'], 'missing_vms': result['missing_vms'],
                               'detail': '%s lists %d VM(s) the audit computed as not visible and misses %d it computed as '
                                         'visible (on the vCenter simulator, which enforces no authorization, every account '
                                         'lists every VM)' % (t['access_account'], len(result['unexpected_vms']),
                                                              len(result['missing_vms']))})
    report['live'] = live
    report['live_mismatches'] = mismatches
    if mismatches:
        report['summary'].append('live check: %d mismatch(es): %s' % (len(mismatches), ', '.join(m['tenant'] for m in mismatches)))


def work(vcm):
    p, module = vcm.params, vcm.module
    vcm.fail_extra = dict(report={})
    tenants = validate_tenants(p['tenants'])
    with vcm.session() as vc:
        snap = read_plan_snapshot(vc, tenants)
        plans = build_plans(snap, tenants)
        report = audit(snap, tenants, plans)
        if p['server_check']:    # vCenter's own answer, on the same session
            server_check(vc, snap, tenants, plans, report)
    report['drift'] = drift(snap, report)
    if p['live_check']:
        run_live_check(module, snap, tenants, report)
    for warning in plans['warnings']:
        module.warn(warning)
    result = dict(changed=False, clean=report['clean'], summary=report['summary'], report=report)
    if p['fail_on_leak'] and not report['clean']:
        module.fail_json(msg=leak_message(report), **result)
    if p['live_check'] and p['fail_on_live_mismatch'] and report['live_mismatches']:
        module.fail_json(msg='live check differs from the computed visibility for %s: %s'
                         % (', '.join(m['tenant'] for m in report['live_mismatches']),
                            '; '.join(m['detail'] for m in report['live_mismatches'])), **result)
    return result


def main():
    VCenterModule(argument_spec=dict(
        tenants=dict(type='list', elements='dict', required=True),
        fail_on_leak=dict(type='bool', default=False),
        live_check=dict(type='bool', default=False),
        access_passwords=dict(type='dict', default={}, no_log=True),
        fail_on_live_mismatch=dict(type='bool', default=False),
        server_check=dict(type='bool', default=False),
    )).run(work)


if __name__ == '__main__':
    main()
