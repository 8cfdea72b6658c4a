"""Pure tests of the isolation audit (plugins/module_utils/isolation.py).

The first part has one test per vSphere permission rule of the project's reference notes
(vsphere.md, "vSphere permission semantics an isolation audit must model", rules 1-14); each
docstring cites the source.  Rules 11 (SetEntityPermissions upserts) and 12 (which read APIs to use)
are about writing and reading permissions, not about evaluating them: they are exercised by the
permission module's tests and by read_snapshot's single RetrieveAllPermissions.

The second part says, by hand from those rules, who sees which VM in the small shared vCenter of test_tenant_plan
(``shared_snapshot``) for a set of permissions, and checks the model and the audit agree.

The third part injects each leak class into the same vCenter, onboarded with permissions written out by hand (never
with the planner's output applied back), and checks it is named.
"""
from __future__ import annotations

import pytest

from ansible_collections.tenantdr.asr.plugins.module_utils import isolation as iso
from ansible_collections.tenantdr.asr.plugins.module_utils import tenant_plan as tp
from .test_tenant_plan import shared_snapshot

ACME = 'VSPHERE.LOCAL\\acme-dr'
ASR = 1000
NET_ONLY = 1001
READ_ONLY = -2
NO_ACCESS = -5
ASR_PRIVS = {'Datastore.Browse', 'Network.Assign', 'System.Anonymous', 'System.Read', 'System.View', 'VirtualMachine.Config.Rename'}
NET_PRIVS = {'Network.Assign', 'System.Anonymous', 'System.Read', 'System.View'}

#: The permissions a correct onboarding of acme and globex leaves on ``shared_snapshot``, written out by hand from
#: seed 000's table and the snapshot's layout (test_tenant_plan.shared_snapshot docstring): Read-only on the root; the DR
#: role (id 1000) on the datacenter, the clusters and hosts, datastores (and the datastore cluster), port groups,
#: management server and VMs the tenant uses. Every one non-propagating.
HAND_APPLIED = {
    # acme-vm01 (CL1 host-1, ds-01, pg-acme), acme-vm02 (CL1 host-2, ds-01 + ds-02, pg-acme); acme-tmpl is a template
    # (not selected); acme-cs01 (CL2 host-4, ds-01, pg-mgmt + pg-acme)
    'acme': ['datacenter-1', 'domain-c1', 'host-1', 'host-2', 'domain-c2', 'host-4', 'datastore-1', 'datastore-2',
             'network-a', 'network-m', 'vm-a1', 'vm-a2', 'vm-acs'],
    # globex-vm01 (CL1 host-2, ds-02, pg-globex), globex-vm02 (standalone esx-10 = ComputeResource domain-s3, ds-03 in
    # dsc-01, dvpg-globex), globex-cs01 (CL2 host-4, ds-01, pg-mgmt + pg-globex)
    'globex': ['datacenter-1', 'domain-c1', 'host-2', 'domain-s3', 'domain-c2', 'host-4', 'datastore-1', 'datastore-2',
               'datastore-3', 'group-p1', 'network-g', 'network-m', 'dvportgroup-1', 'vm-g1', 'vm-g2', 'vm-gcs'],
}
#: ``placement: domain`` (issue 13) also grants every host of the clusters used: globex's VMs run on CL1, so host-1.
#: The planner's default is domain placement.
PLACEMENT = 'domain'
HAND_APPLIED_DOMAIN = {'acme': [], 'globex': ['host-1']}


def perm(entity, principal=ACME, role_id=ASR, propagate=False, group=False):
    return dict(entity=entity, principal=principal, group=group, role_id=role_id, propagate=propagate)


def effective(perms, entity, account=None):
    model = iso.PermissionModel(shared_snapshot(perms))
    return model.effective(entity, account or iso.Account('acme-dr@vsphere.local', ['ops@vsphere.local', 'dr@vsphere.local']))


# ------------------------------------------------------------------------------------------
# one test per rule
# ------------------------------------------------------------------------------------------

def test_rule1_one_permission_per_principal_and_group_flag():
    """Rule 1 - pyvmomi docs/vim/AuthorizationManager.rst: "A ManagedEntity may have multiple permissions, but may
    have only one permission per user or group": the key is (principal, group flag), so a *group* called acme-dr
    does not apply to the *user* acme-dr, and a user permission of a group's name does not apply to its members."""
    assert effective([perm('vm-a1', group=True)], 'vm-a1').privileges == frozenset()
    assert effective([perm('vm-a1', principal='VSPHERE.LOCAL\\ops', group=False)], 'vm-a1').privileges == frozenset()
    assert effective([perm('vm-a1', principal='VSPHERE.LOCAL\\ops', group=True)], 'vm-a1').privileges == ASR_PRIVS


def test_rule2_propagation_and_nearest_level_wins():
    """Rule 2 - vSphere Security, "Hierarchical Inheritance of Permissions": a child inherits a parent's permission only
    with propagate; "Permissions defined for a child object always override the permissions that are propagated from
    parent objects"; "Multiple Permission Settings", Example 2 (child permissions overriding parent permissions) shows it
    across different groups: nearest level with any applicable permission wins, not a union across levels."""
    # not propagated: the folder permission does not reach the VM
    assert not effective([perm('group-v3', propagate=False)], 'vm-a1').visible
    # propagated: it does, from any distance
    assert effective([perm('group-v2', propagate=True)], 'vm-a1').privileges == ASR_PRIVS
    # a permission on the object itself applies whatever its propagate flag
    assert effective([perm('vm-a1', role_id=READ_ONLY, propagate=True)], 'vm-a1').privileges == {
        'System.Anonymous', 'System.Read', 'System.View'}
    # Example 2: group A's propagated role on the folder is overridden by group B's role set on the VM
    got = effective([perm('group-v3', principal='VSPHERE.LOCAL\\ops', group=True, propagate=True),
                     perm('vm-a1', principal='VSPHERE.LOCAL\\dr', group=True, role_id=NET_ONLY)], 'vm-a1')
    assert got.privileges == NET_PRIVS
    assert [(p['entity'], how) for p, how in got.sources] == [('vm-a1', 'explicit')]


def test_rule3_user_beats_groups_and_groups_add_up():
    """Rule 3 - vSphere Security, "Multiple Permission Settings": "If a permission is defined for the user on that
    object, the user's permission takes precedence over all group permissions" (Example 3: user role overriding group
    role, with No access); without one, the user gets the union of the groups' privileges (Example 1)."""
    both_groups = [perm('vm-a1', principal='VSPHERE.LOCAL\\ops', group=True, role_id=NET_ONLY),
                   perm('vm-a1', principal='VSPHERE.LOCAL\\dr', group=True, role_id=ASR)]
    assert effective(both_groups, 'vm-a1').privileges == ASR_PRIVS | NET_PRIVS
    user_no_access = both_groups + [perm('vm-a1', role_id=NO_ACCESS)]
    assert effective(user_no_access, 'vm-a1').privileges == frozenset()
    # the same at an inherited level: the user's propagated NoAccess beats the groups' propagated roles
    inherited = [perm('group-v3', principal='VSPHERE.LOCAL\\ops', group=True, propagate=True),
                 perm('group-v3', role_id=NO_ACCESS, propagate=True)]
    assert not effective(inherited, 'vm-a1').visible


def test_rule4_vms_inherit_from_the_folder_and_the_compute_chain():
    """Rule 4 - vSphere Security, "Hierarchical Inheritance of Permissions": "Virtual machines inherit permissions from
    both the parent virtual machine folder and the parent host, cluster, or resource pool simultaneously"; "the
    permissions on one object are added to the permissions on the other" (6.x wording)."""
    # compute chain only: a propagating permission on the resource pool, on a parent pool, on the cluster
    for entity in ('resgroup-ta', 'resgroup-t', 'domain-c1'):
        assert effective([perm(entity, propagate=True)], 'vm-a1').privileges == ASR_PRIVS
    # both chains: union
    got = effective([perm('group-v3', role_id=NET_ONLY, propagate=True), perm('resgroup-ta', role_id=READ_ONLY, propagate=True)],
                    'vm-a1')
    assert got.privileges == NET_PRIVS
    got = effective([perm('group-v3', principal='VSPHERE.LOCAL\\ops', group=True, role_id=NET_ONLY, propagate=True),
                     perm('domain-c1', role_id=ASR, propagate=True)], 'vm-a1')
    assert got.privileges == ASR_PRIVS | NET_PRIVS
    assert sorted(p['entity'] for p, _how in got.sources) == ['domain-c1', 'group-v3']
    # a standalone host's VM: its compute chain is root pool -> ComputeResource
    assert effective([perm('domain-s3', propagate=True)], 'vm-g2').visible


def test_rule5_no_access_masks_only_where_it_decides():
    """Rule 5 - vSphere Security, "vCenter Server System Roles": No Access "Explicitly denies access ... Use the No
    Access role to mask subobjects under a higher-level object that has propagated permissions defined". It masks on
    the chain where it is the nearest level; the other chain of a VM (rule 4) can still grant."""
    grant = perm('datacenter-1', propagate=True)
    assert not effective([grant, perm('vm-a1', role_id=NO_ACCESS)], 'vm-a1').visible
    assert not effective([grant, perm('group-v3', role_id=NO_ACCESS, propagate=True),
                          perm('resgroup-ta', role_id=NO_ACCESS, propagate=True)], 'vm-a1').visible
    # masking only the VM-folder path leaves the compute path (resource pool -> cluster -> datacenter) open
    assert effective([grant, perm('group-v3', role_id=NO_ACCESS, propagate=True)], 'vm-a1').privileges == ASR_PRIVS


def test_rule6_complex_entities_inherit_from_their_parent():
    """Rule 6 - pyvmomi docs/vim/AuthorizationManager.rst, complex entities: a datacenter's root folders, a compute
    resource's root resource pool and a standalone compute resource's host "are forced to inherit permissions from the
    parent object ... Permissions defined on complex entities are always applicable on the child entities, regardless
    of the propagation flag"; query results may report either the parent or the child as the defining entity."""
    dc = [perm('datacenter-1', propagate=False)]
    assert effective(dc, 'group-v1').privileges == ASR_PRIVS          # the DC's root vm folder
    assert not effective(dc, 'vm-a1').visible                         # ... but not the VMs below it
    assert effective([perm('domain-s3')], 'host-10').privileges == ASR_PRIVS   # standalone host <- its ComputeResource
    assert not effective([perm('domain-c1')], 'host-1').visible       # a clustered host is not a complex entity
    # reported on the child: it is the parent's permission
    model = iso.PermissionModel(shared_snapshot([perm('resgroup-1', propagate=True), perm('host-10')]))
    acct = iso.Account(ACME)
    held = {p['entity']: p for p in model.permissions_of(acct)}
    assert sorted(held) == ['domain-c1', 'domain-s3']
    assert model.effective('vm-a1', acct).visible                     # the cluster's propagating permission
    assert model.effective('domain-s3', acct).privileges == ASR_PRIVS
    assert 'reported on /DC1/host/CL1/Resources' in model.describe(held['domain-c1'])


def test_rule7_root_folder_is_the_vcenter_level():
    """Rule 7 - the root folder (group-d1) is the "vCenter" object of the seed table (community.vmware rootFolder;
    vSphere docs "Required On: Root vCenter Server"). A propagating permission there reaches every VM of every
    datacenter; the plan's non-propagating Read-only there reaches nothing below."""
    assert effective([perm('group-d1', propagate=True)], 'vm-x1').visible
    assert effective([perm('group-d1', propagate=True)], 'vm-o1').visible
    ro = [perm('group-d1', role_id=READ_ONLY, propagate=False)]
    assert effective(ro, 'group-d1').visible
    assert not effective(ro, 'datacenter-1').visible and not effective(ro, 'vm-a1').visible


def test_rule8_global_permissions_are_root_permissions():
    """Rule 8 - vSphere Security, "Global Permissions": global permissions with Propagate "apply to all objects in all
    hierarchies"; they appear in root-folder permission queries (RetrieveAllPermissions) and cannot be removed with
    RemoveEntityPermission (terraform-provider-vsphere #1400). The audit treats them as root permissions and says where
    to remove them."""
    snap = shared_snapshot([perm('group-d1', role_id=READ_ONLY, propagate=True)])
    res = _audit(snap, [_acme()], apply_plan=False)
    kinds = {(lk['class'], lk['path']) for lk in res['leaks']}
    assert ('propagating_permission', '/') in kinds and ('unassigned_vm_visible', '/DC2/vm/acme-old') in kinds
    [excess] = [lk for lk in res['leaks'] if lk['class'] == 'excess_permission']
    assert 'Global Permissions' in excess['detail']


def test_rule9_a_permission_shows_ancestors_names_not_siblings():
    """Rule 9 - System.View "is assigned implicitly by the system, if read privileges are assigned at lower levels in
    the inventory" (virten.net privilege list) and rule 14's note (a VMware engineer's blog): a tenant sees the names of
    its objects' ancestors, never their siblings. The audit therefore does not count ancestor names as leaks and a
    permission on one VM makes no sibling visible."""
    model = iso.PermissionModel(shared_snapshot([perm('vm-a1')]))
    acct = iso.Account(ACME)
    assert model.effective('vm-a1', acct).visible
    assert not model.effective('vm-a2', acct).visible and not model.effective('vm-g1', acct).visible


def test_rule10_role_privileges_come_from_the_role_list():
    """Rule 10 - vSphere Web Services programming guide, roles table: NoAccess (-5) has no privilege, ReadOnly (-2) is
    System.Anonymous/Read/View, View (-3) only Anonymous/View; custom roles carry what the server lists. An unknown
    role id grants nothing."""
    model = iso.PermissionModel(shared_snapshot())
    assert model.role_privileges(-5) == frozenset()
    assert model.role_privileges(-2) == {'System.Anonymous', 'System.Read', 'System.View'}
    assert model.role_privileges(-3) == {'System.Anonymous', 'System.View'}
    assert model.role_privileges(4242) == frozenset()
    assert effective([perm('vm-a1', role_id=-3)], 'vm-a1').visible       # View alone is visibility
    assert not effective([perm('vm-a1', role_id=-4)], 'vm-a1').visible    # Anonymous is not


def test_rule13_principal_forms_are_the_same_account():
    """Rule 13 - AuthorizationManager docs: principals are returned as "DOMAIN\\login"; "login@domain" names the same
    principal (community.vmware PR #537); compare case-insensitively."""
    for stored in ('VSPHERE.LOCAL\\acme-dr', 'vsphere.local\\ACME-DR', 'acme-dr@VSPHERE.LOCAL'):
        assert effective([perm('vm-a1', principal=stored)], 'vm-a1', iso.Account('acme-dr@vsphere.local')).visible
    assert not effective([perm('vm-a1', principal='CORP\\acme-dr')], 'vm-a1', iso.Account('acme-dr@vsphere.local')).visible


def test_rule14_a_distributed_switch_permission_does_not_reach_its_port_groups():
    """Rule 14 (open point) - whether a permission on a distributed switch reaches its port groups is not settled (a
    port group's inventory parent is the network folder); the model follows the inventory parent, so a propagating
    permission on the switch does not reach the port group, and the plan assigns port groups directly."""
    assert not effective([perm('dvs-1', propagate=True)], 'dvportgroup-1').visible
    assert effective([perm('group-n1', propagate=False), perm('datacenter-1', propagate=True)], 'dvportgroup-1').visible


# ------------------------------------------------------------------------------------------
# who sees which VM: expectations written by hand from the rules above
# ------------------------------------------------------------------------------------------

#: Every VM of shared_snapshot, and where it sits (VM folder chain | compute chain):
#:   vm-a1  acme-vm01    tenants/acme | RP acme < tenants < CL1 root pool < CL1 (domain-c1)
#:   vm-a2  acme-vm02    tenants/acme | RP acme < tenants < CL1
#:   vm-at  acme-tmpl    tenants/acme | (template: no resource pool)
#:   vm-g1  globex-vm01  tenants/globex | RP globex < tenants < CL1
#:   vm-g2  globex-vm02  tenants/globex | root pool of the standalone esx-10 (domain-s3)
#:   vm-acs acme-cs01    mgmt | CL2 root pool < CL2 (domain-c2)
#:   vm-gcs globex-cs01  mgmt | CL2
#:   vm-o1  orphan-01    unassigned | CL2
#:   vm-x1  acme-old     DC2 vm folder | CL3
ALL_VMS = ('vm-a1', 'vm-a2', 'vm-at', 'vm-g1', 'vm-g2', 'vm-acs', 'vm-gcs', 'vm-o1', 'vm-x1')

WHO_SEES = [
    # (case, permissions of acme's account, the VMs it sees - by hand)
    ('the hand-written onboarding of acme: its VMs and its configuration server, nothing else (rules 2, 6, 7)',
     [perm('group-d1', role_id=READ_ONLY)] + [perm(m) for m in HAND_APPLIED['acme']], {'vm-a1', 'vm-a2', 'vm-acs'}),
    ('non-propagating grants on the cluster, host and datacenter reach no VM (rule 2)',
     [perm('domain-c1'), perm('host-1'), perm('datacenter-1'), perm('domain-c2')], set()),
    ('propagating on acme\'s resource pool: the VMs in it, not the template outside any pool (rule 4)',
     [perm('resgroup-ta', propagate=True)], {'vm-a1', 'vm-a2'}),
    ('propagating on the management cluster: every VM in its root pool, whatever its folder (rules 4, 6)',
     [perm('domain-c2', propagate=True)], {'vm-acs', 'vm-gcs', 'vm-o1'}),
    ('propagating on the mgmt folder: both configuration servers (rule 2)',
     [perm('group-v5', propagate=True)], {'vm-acs', 'vm-gcs'}),
    ('propagating on the shared tenants folder: every tenant VM of DC1 incl. the template (rule 2)',
     [perm('group-v2', propagate=True)], {'vm-a1', 'vm-a2', 'vm-at', 'vm-g1', 'vm-g2'}),
    ('propagating on the datacenter: every VM of DC1, none of DC2 (rules 2, 7)',
     [perm('datacenter-1', propagate=True)], {'vm-a1', 'vm-a2', 'vm-at', 'vm-g1', 'vm-g2', 'vm-acs', 'vm-gcs', 'vm-o1'}),
    ('propagating on the datacenter masked by No access on the tenants folder: the compute path still shows the VMs of '
     'CL1 and esx-10 (rules 4, 5)',
     [perm('datacenter-1', propagate=True), perm('group-v2', role_id=NO_ACCESS, propagate=True)],
     {'vm-a1', 'vm-a2', 'vm-g1', 'vm-g2', 'vm-acs', 'vm-gcs', 'vm-o1'}),
    ('a group permission of the same name does not count for the user (rule 1)',
     [perm('vm-g1', group=True)], set()),
    ('a group the account is in counts (rule 3)',
     [perm('vm-g1', principal='VSPHERE.LOCAL\\ops', group=True, role_id=READ_ONLY)], {'vm-g1'}),
    ('the user\'s own No access on a VM beats its group\'s grant there (rule 3)',
     [perm('vm-g1', principal='VSPHERE.LOCAL\\ops', group=True), perm('vm-g1', role_id=NO_ACCESS)], set()),
    ('the root with propagate: everything in every datacenter (rule 7)',
     [perm('group-d1', role_id=READ_ONLY, propagate=True)], set(ALL_VMS)),
]


def test_who_sees_which_vm_table_is_complete():
    assert len({case for case, _p, _v in WHO_SEES}) == len(WHO_SEES)
    assert all(v <= set(ALL_VMS) for _c, _p, v in WHO_SEES)


@pytest.mark.parametrize('case, permissions, sees', WHO_SEES, ids=[str(i) for i in range(len(WHO_SEES))])
def test_who_sees_which_vm(case, permissions, sees):
    model = iso.PermissionModel(shared_snapshot(permissions))
    acct = iso.Account('acme-dr@vsphere.local', ['ops@vsphere.local'])
    got = {vm for vm in ALL_VMS if model.effective(vm, acct).visible}
    assert got == sees, case


def test_the_audit_of_the_hand_written_onboarding_names_each_tenants_vms():
    """The audit of hand-written permissions (not the planner's applied back) against the hand-written answer."""
    report = _audit(shared_snapshot(), [_acme(), _globex()])
    assert report['clean'] is True
    assert [v['path'] for v in report['tenants']['acme']['visible_vms']] == [
        '/DC1/vm/mgmt/acme-cs01', '/DC1/vm/tenants/acme/acme-vm01', '/DC1/vm/tenants/acme/acme-vm02']
    assert [v['path'] for v in report['tenants']['globex']['visible_vms']] == [
        '/DC1/vm/mgmt/globex-cs01', '/DC1/vm/tenants/globex/globex-vm01', '/DC1/vm/tenants/globex/globex-vm02']


def test_a_propagating_grant_on_the_management_cluster_is_a_leak_naming_the_vms_it_shows():
    report = _audit(shared_snapshot(), [_acme(), _globex()], extra=[perm('domain-c2', propagate=True)],
                    drop=[(ACME, 'domain-c2')])
    got = classes(report, 'acme')
    assert ('foreign_vm_visible', '/DC1/vm/mgmt/globex-cs01') in got
    assert ('unassigned_vm_visible', '/DC1/vm/unassigned/orphan-01') in got
    assert ('propagating_permission', '/DC1/host/CL2') in got
    assert report['tenants']['acme']['foreign_vms'] == ['/DC1/vm/mgmt/globex-cs01']
    assert classes(report, 'globex') == []


# ------------------------------------------------------------------------------------------
# the audit: each leak class injected on purpose
# ------------------------------------------------------------------------------------------

def _acme(**kw):
    t = dict(name='acme', topology='shared_hsp', access_account='acme-dr@vsphere.local',
             vm_selectors=dict(folders=['/DC1/vm/tenants/acme']), management_servers=['/DC1/vm/mgmt/acme-cs01'])
    t.update(kw)
    return t


def _globex(**kw):
    t = dict(name='globex', topology='shared_hsp', access_account='globex-dr@vsphere.local',
             vm_selectors=dict(folders=['/DC1/vm/tenants/globex']), management_servers=['/DC1/vm/mgmt/globex-cs01'])
    t.update(kw)
    return t


def applied(tenants):
    """The hand-written permissions of ``tenants`` (validated tenant dicts), principals in vCenter's DOMAIN\\login form."""
    out = []
    for t in tenants:
        login, domain = t['access_account'].split('@')
        principal = '%s\\%s' % (domain.upper(), login)
        out.append(perm('group-d1', principal=principal, role_id=READ_ONLY))
        extra = HAND_APPLIED_DOMAIN[t['name']] if PLACEMENT == 'domain' else []
        out.extend(perm(moid, principal=principal, role_id=ASR) for moid in HAND_APPLIED[t['name']] + extra)
    return out


def _audit(snap, raw_tenants, apply_plan=True, extra=(), drop=()):
    tenants = tp.validate_tenants(raw_tenants)
    if apply_plan:
        snap.permissions = [p for p in applied(tenants) if (p['principal'], p['entity']) not in set(drop)] + list(snap.permissions)
    snap.permissions.extend(extra)
    return iso.audit(snap, tenants, tp.build_plans(snap, tenants))


def classes(report, tenant=None):
    return sorted((lk['class'], lk['path']) for lk in report['leaks'] if tenant is None or lk['tenant'] == tenant)


def test_clean_onboarding_audits_clean():
    report = _audit(shared_snapshot(), [_acme(), _globex()])
    assert report['clean'] is True and report['leaks'] == []
    acme = report['tenants']['acme']
    assert [v['path'] for v in acme['visible_vms']] == ['/DC1/vm/mgmt/acme-cs01', '/DC1/vm/tenants/acme/acme-vm01',
                                                        '/DC1/vm/tenants/acme/acme-vm02']
    assert acme['visible_vms'][0]['roles'] == ['Azure_Site_Recovery'] and acme['visible_vms'][0]['privileges_count'] == 6
    assert acme['foreign_vms'] == [] and acme['unassigned_vms'] == [] and acme['own_vms_not_visible'] == []
    assert report['summary'][0] == 'acme: 3 VMs visible (3 own of 3, 0 foreign, 0 unassigned), 0 leaks'
    assert report['summary'][-1].startswith('clean')
    assert report['counts'] == {c: 0 for c in iso.LEAK_CLASSES}


def test_propagating_permission_on_a_shared_parent_shows_foreign_and_unassigned_vms():
    report = _audit(shared_snapshot(), [_acme(), _globex()],
                    extra=[perm('group-v2', principal='VSPHERE.LOCAL\\globex-dr', propagate=True)])
    got = classes(report, 'globex')
    assert ('propagating_permission', '/DC1/vm/tenants') in got
    assert ('foreign_vm_visible', '/DC1/vm/tenants/acme/acme-vm01') in got
    assert ('foreign_vm_visible', '/DC1/vm/tenants/acme/acme-vm02') in got
    assert ('excess_permission', '/DC1/vm/tenants') in got
    assert classes(report, 'acme') == []
    [lk] = [lk for lk in report['leaks'] if lk['class'] == 'foreign_vm_visible' and lk['path'].endswith('acme-vm01')]
    assert lk['tenant'] == 'globex' and lk['account'] == 'globex-dr@vsphere.local' and lk['object'] == 'vm-a1'
    assert 'of tenant acme is visible' in lk['detail'] and 'on /DC1/vm/tenants (propagate=true), inherited' in lk['detail']
    assert report['tenants']['globex']['foreign_vms'] == ['/DC1/vm/tenants/acme/acme-vm01', '/DC1/vm/tenants/acme/acme-vm02']
    assert report['clean'] is False


def test_unassigned_vm_visible():
    report = _audit(shared_snapshot(), [_acme(), _globex()], extra=[perm('vm-o1', role_id=READ_ONLY)])
    assert classes(report) == [('excess_permission', '/DC1/vm/unassigned/orphan-01'),
                               ('unassigned_vm_visible', '/DC1/vm/unassigned/orphan-01')]
    assert report['tenants']['acme']['unassigned_vms'] == ['/DC1/vm/unassigned/orphan-01']


def test_noaccess_masking_is_the_rejected_pattern():
    """Seed 000: the alternative "assign the user account and role at the datacenter object and propagate them ...
    Then give the account a No access role for every object ... that should be inaccessible" is rejected."""
    masking = [perm('datacenter-1', propagate=True), perm('group-v4', role_id=NO_ACCESS, propagate=True),
               perm('resgroup-tg', role_id=NO_ACCESS, propagate=True), perm('vm-g2', role_id=NO_ACCESS),
               perm('group-v5', role_id=NO_ACCESS, propagate=True), perm('resgroup-2', role_id=NO_ACCESS, propagate=True),
               perm('group-v6', role_id=NO_ACCESS, propagate=True), perm('vm-x1', role_id=NO_ACCESS)]
    report = _audit(shared_snapshot(), [_acme(), _globex()], extra=masking,
                    drop=[(ACME, 'datacenter-1')])
    got = classes(report, 'acme')
    for path in ('/DC1/vm/tenants/globex', '/DC1/host/CL1/Resources/tenants/globex', '/DC1/vm/tenants/globex/globex-vm02'):
        assert ('noaccess_masking', path) in got
    assert ('propagating_permission', '/DC1') in got
    # resgroup-2 (CL2's root pool) cannot hold a permission: it is CL2's (rule 6), so CL2's NoAccess masks it
    assert ('noaccess_masking', '/DC1/host/CL2') in got
    # masked everywhere: nothing foreign is visible, yet the pattern is reported
    assert report['tenants']['acme']['foreign_vms'] == []
    [lk] = [lk for lk in report['leaks'] if lk['class'] == 'noaccess_masking' and lk['path'] == '/DC1/vm/tenants/globex']
    assert 'masking the propagating grant' in lk['detail'] and 'on /DC1 (propagate=true)' in lk['detail']


def test_masking_one_path_only_leaks_through_the_other():
    report = _audit(shared_snapshot(), [_acme(), _globex()],
                    extra=[perm('domain-c1', propagate=True), perm('group-v4', role_id=NO_ACCESS, propagate=True)],
                    drop=[(ACME, 'domain-c1')])
    got = classes(report, 'acme')
    assert ('noaccess_masking', '/DC1/vm/tenants/globex') in got
    assert ('foreign_vm_visible', '/DC1/vm/tenants/globex/globex-vm01') in got      # through CL1's resource pools
    assert ('foreign_vm_visible', '/DC1/vm/tenants/globex/globex-vm02') not in got  # standalone host: not below CL1


def test_a_grant_below_a_no_access_is_not_masked_by_it():
    report = _audit(shared_snapshot(), [_acme(), _globex()],
                    extra=[perm('group-v2', role_id=NO_ACCESS, propagate=True), perm('group-v3', propagate=True)])
    got = classes(report, 'acme')
    assert not [c for c in got if c[0] == 'noaccess_masking']
    assert ('excess_permission', '/DC1/vm/tenants') in got and ('excess_permission', '/DC1/vm/tenants/acme') in got
    # the acme folder also holds an unselected template (a VM of no tenant): the propagating grant reaches it
    assert ('propagating_permission', '/DC1/vm/tenants/acme') in got


def test_excess_permission_another_role_or_propagate_and_group_permissions():
    report = _audit(shared_snapshot(), [_acme(access_account_groups=['acme-ops@vsphere.local']), _globex()],
                    extra=[perm('datastore-21', role_id=READ_ONLY),
                           perm('network-g', principal='VSPHERE.LOCAL\\acme-ops', group=True, role_id=READ_ONLY)])
    got = classes(report, 'acme')
    assert got == [('excess_permission', '/DC1/network/pg-globex'), ('excess_permission', '/DC2/datastore/ds-21')]
    details = {lk['path']: lk['detail'] for lk in report['leaks']}
    assert 'which is not in the plan' in details['/DC2/datastore/ds-21']
    assert '(group)' in details['/DC1/network/pg-globex'] and 'every member of the group' in details['/DC1/network/pg-globex']


def test_planned_permission_with_another_role_is_excess_and_missing():
    snap = shared_snapshot()
    tenants = tp.validate_tenants([_acme(), _globex()])
    snap.permissions = applied(tenants)
    for p in snap.permissions:
        if p['principal'] == ACME and p['entity'] == 'vm-a2':
            p['role_id'] = READ_ONLY
        if p['principal'] == ACME and p['entity'] == 'host-1':
            p['propagate'] = True
    report = iso.audit(snap, tenants, tp.build_plans(snap, tenants))
    got = classes(report, 'acme')
    assert got == [('excess_permission', '/DC1/host/CL1/esx-01'), ('excess_permission', '/DC1/vm/tenants/acme/acme-vm02'),
                   ('missing_permission', '/DC1/host/CL1/esx-01'), ('missing_permission', '/DC1/vm/tenants/acme/acme-vm02'),
                   # conservative: a propagating grant on a host where a VM of no tenant runs (the unselected template)
                   ('propagating_permission', '/DC1/host/CL1/esx-01')]
    details = {(lk['class'], lk['path']): lk['detail'] for lk in report['leaks']}
    assert 'holds ReadOnly (propagate=false)' in details[('missing_permission', '/DC1/vm/tenants/acme/acme-vm02')]
    assert 'ASR discovery would miss it' in details[('missing_permission', '/DC1/vm/tenants/acme/acme-vm02')]


def test_missing_planned_permission_on_a_tenant_vm():
    report = _audit(shared_snapshot(), [_acme(), _globex()], drop=[(ACME, 'vm-a1'), (ACME, 'datastore-2')])
    assert classes(report) == [('missing_permission', '/DC1/datastore/ds-02'),
                               ('missing_permission', '/DC1/vm/tenants/acme/acme-vm01')]
    detail = [lk for lk in report['leaks'] if lk['path'].endswith('acme-vm01')][0]['detail']
    assert 'planned Azure_Site_Recovery (propagate=false) is absent' in detail and 'it cannot see the VM' in detail
    assert report['tenants']['acme']['own_vms_not_visible'] == ['/DC1/vm/tenants/acme/acme-vm01']


def test_missing_role_is_reported():
    snap = shared_snapshot()
    report = _audit(snap, [_acme()], apply_plan=False)
    assert {lk['class'] for lk in report['leaks']} == {'missing_permission'}
    snap = shared_snapshot()
    snap.roles = [r for r in snap.roles if r['name'] != 'Azure_Site_Recovery']
    snap._roles_by_id = {r['id']: r for r in snap.roles}
    tenants = tp.validate_tenants([_acme()])
    report = iso.audit(snap, tenants, tp.build_plans(snap, tenants))
    assert report['tenants']['acme']['missing_roles'] == ['Azure_Site_Recovery']
    assert "role 'Azure_Site_Recovery' does not exist on this vCenter" in report['leaks'][-1]['detail']


def test_leak_message_names_every_leak():
    report = _audit(shared_snapshot(), [_acme(), _globex()], extra=[perm('vm-o1', role_id=READ_ONLY)])
    msg = iso.leak_message(report)
    assert msg.startswith('tenant isolation audit found 2 leak(s)')
    assert 'acme [unassigned_vm_visible] /DC1/vm/unassigned/orphan-01' in msg
    assert 'acme [excess_permission] /DC1/vm/unassigned/orphan-01' in msg
    assert '2 leak(s): 1 unassigned_vm_visible, 1 excess_permission' in report['summary'][-1]


def test_summary_line_per_tenant():
    report = _audit(shared_snapshot(), [_acme(), _globex()], extra=[perm('vm-g1', role_id=READ_ONLY)])
    assert report['summary'][0] == 'acme: 4 VMs visible (3 own of 3, 1 foreign, 0 unassigned), 2 leaks'
    assert report['summary'][1] == 'globex: 3 VMs visible (3 own of 3, 0 foreign, 0 unassigned), 0 leaks'


def test_compare_live():
    snap = shared_snapshot()
    report = _audit(snap, [_acme(), _globex()])
    entry = report['tenants']['acme']
    same = iso.compare_live(snap, entry, ['vm-a1', 'vm-a2', 'vm-acs'])
    assert same['match'] is True and same['unexpected_vms'] == [] and same['missing_vms'] == []
    every = iso.compare_live(snap, entry, [vm['moid'] for vm in snap.vms()])
    assert every['match'] is False and '/DC1/vm/tenants/globex/globex-vm01' in every['unexpected_vms']


def test_summary_lists_only_the_run_tenants_and_the_others_with_findings():
    """A one-tenant run on a vCenter of many tenants (result_detail compact): the run's tenant gets its line, another
    tenant gets one only when something is wrong with it, and one line counts the clean rest."""
    tenants = tp.validate_tenants([_acme(), _globex()])
    snap = shared_snapshot()
    snap.permissions = applied(tenants) + list(snap.permissions)
    report = iso.audit(snap, tenants, tp.build_plans(snap, tenants), listed={'acme'})
    assert report['summary'] == ['acme: 3 VMs visible (3 own of 3, 0 foreign, 0 unassigned), 0 leaks',
                                 '1 other tenant of this vCenter audited: no leak',
                                 "clean: no tenant access account sees another tenant's or an unassigned VM, and every "
                                 "plan is in place"]
    assert set(report['tenants']) == {'acme', 'globex'}  # audited all the same

    snap = shared_snapshot()
    leak = perm('vm-a1', principal='VSPHERE.LOCAL\\globex-dr', role_id=READ_ONLY)
    snap.permissions = applied(tenants) + list(snap.permissions) + [leak]
    report = iso.audit(snap, tenants, tp.build_plans(snap, tenants), listed={'acme'})
    assert report['summary'][:2] == ['acme: 3 VMs visible (3 own of 3, 0 foreign, 0 unassigned), 0 leaks',
                                     'globex: 4 VMs visible (3 own of 3, 1 foreign, 0 unassigned), 2 leaks']
    assert not any('other tenant' in line for line in report['summary'])
