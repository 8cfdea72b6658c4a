"""Pure tests of the permission planner (plugins/module_utils/permissions.py)."""
from __future__ import annotations

import pytest

from ansible_collections.tenantdr.asr.plugins.module_utils import permissions as perms
from .snapshots import small_snapshot


def perm(entity, principal, role_id, propagate=False, group=False):
    return dict(entity=entity, principal=principal, group=group, role_id=role_id, propagate=propagate)


@pytest.mark.parametrize('a, b', [
    ('acme-dr@vsphere.local', 'VSPHERE.LOCAL\\acme-dr'),
    ('ACME-DR@VSPHERE.LOCAL', 'vsphere.local\\acme-dr'),
    ('root', 'ROOT'),
])
def test_principal_forms_are_the_same_principal(a, b):
    assert perms.principal_key(a) == perms.principal_key(b)


def test_different_domains_are_different_principals():
    assert perms.principal_key('acme-dr@vsphere.local') != perms.principal_key('acme-dr@corp.example')


@pytest.mark.parametrize('bad', ['', '   ', 'acme dr@vsphere.local', 'DOM\\a b', None])
def test_invalid_principals_are_named(bad):
    err = perms.validate_principal(bad)
    assert err and ('empty' in err or "'%s'" % str(bad).strip() in err)


def test_valid_principals():
    for good in ['acme-dr@vsphere.local', 'VSPHERE.LOCAL\\acme-dr', 'localuser']:
        assert perms.validate_principal(good) is None


def test_add_update_and_unchanged():
    snap = small_snapshot([perm('vm-1', 'VSPHERE.LOCAL\\acme-dr', 1000, propagate=True),
                           perm('vm-2', 'VSPHERE.LOCAL\\acme-dr', 1000)])
    changes = perms.plan_changes(snap, [dict(principal='acme-dr@vsphere.local', group=False, role_id=1000,
                                             objects=['vm-1', 'vm-2', 'datacenter-1'], propagate=False)])
    by_obj = {c['object']: c for c in changes}
    assert set(by_obj) == {'vm-1', 'datacenter-1'}
    assert by_obj['vm-1']['action'] == 'update'
    assert by_obj['vm-1']['before'] == {'role': 'Azure_Site_Recovery', 'role_id': 1000, 'propagate': True}
    assert by_obj['vm-1']['after']['propagate'] is False
    assert by_obj['vm-1']['principal'] == 'VSPHERE.LOCAL\\acme-dr'  # the stored form, for the write
    assert by_obj['datacenter-1']['action'] == 'add' and by_obj['datacenter-1']['path'] == '/DC1'


def test_other_principals_are_never_touched():
    snap = small_snapshot([perm('vm-1', 'VSPHERE.LOCAL\\globex-dr', 1000), perm('vm-2', 'VSPHERE.LOCAL\\globex-dr', -2)])
    changes = perms.plan_changes(snap, [dict(principal='acme-dr@vsphere.local', group=False, role_id=1000,
                                             objects=['vm-1'], propagate=False)], exclusive=True)
    assert [(c['object'], c['principal'], c['action']) for c in changes] == [('vm-1', 'acme-dr@vsphere.local', 'add')]
    absent = perms.plan_changes(snap, [dict(principal='acme-dr@vsphere.local', group=False, objects=[])],
                                state='absent', all_objects=True)
    assert absent == []


def test_exclusive_removes_only_this_principals_unlisted_permissions():
    snap = small_snapshot([perm('vm-2', 'VSPHERE.LOCAL\\acme-dr', 1000), perm('vm-2', 'VSPHERE.LOCAL\\globex-dr', 1000)])
    changes = perms.plan_changes(snap, [dict(principal='acme-dr@vsphere.local', group=False, role_id=1000,
                                             objects=['vm-1'], propagate=False)], exclusive=True)
    assert sorted((c['object'], c['action']) for c in changes) == [('vm-1', 'add'), ('vm-2', 'remove')]
    removed = [c for c in changes if c['action'] == 'remove'][0]
    assert removed['principal'] == 'VSPHERE.LOCAL\\acme-dr'


def test_user_and_group_with_same_name_are_distinct():
    snap = small_snapshot([perm('vm-1', 'VSPHERE.LOCAL\\dr', 1000, group=True)])
    changes = perms.plan_changes(snap, [dict(principal='dr@vsphere.local', group=False, role_id=1000, objects=['vm-1'])])
    assert [c['action'] for c in changes] == ['add']


def test_absent_removes_listed_objects_whatever_the_role():
    snap = small_snapshot([perm('vm-1', 'VSPHERE.LOCAL\\acme-dr', -2), perm('vm-2', 'VSPHERE.LOCAL\\acme-dr', 1000)])
    changes = perms.plan_changes(snap, [dict(principal='acme-dr@vsphere.local', group=False, objects=['vm-1'])], state='absent')
    assert [(c['object'], c['action'], c['before']['role']) for c in changes] == [('vm-1', 'remove', 'ReadOnly')]


def test_conflicting_roles_for_one_object_are_refused():
    snap = small_snapshot()
    with pytest.raises(perms.PlanError) as err:
        perms.plan_changes(snap, [dict(principal='a@x', group=False, role_id=1000, objects=['vm-1']),
                                  dict(principal='A@X', group=False, role_id=-2, objects=['vm-1'])])
    assert '/DC1/vm/tenants/acme/acme-vm01' in str(err.value) and 'ReadOnly' in str(err.value)


def test_write_batches_one_set_per_entity():
    snap = small_snapshot()
    changes = perms.plan_changes(snap, [dict(principal='a@x', group=False, role_id=1000, objects=['vm-1', 'vm-2']),
                                        dict(principal='b@x', group=False, role_id=1000, objects=['vm-1'])])
    sets, removes = perms.write_batches(changes)
    assert sorted(sets) == ['vm-1', 'vm-2'] and len(sets['vm-1']) == 2 and removes == []


def test_diff_lists_before_and_after():
    snap = small_snapshot([perm('vm-1', 'VSPHERE.LOCAL\\acme-dr', 1000, propagate=True)])
    changes = perms.plan_changes(snap, [dict(principal='acme-dr@vsphere.local', group=False, role_id=1000, objects=['vm-1'])])
    d = perms.diff_of(changes)
    assert 'propagate=true' in d['before'] and 'propagate=false' in d['after']
