"""Pure tests of the role profiles (plugins/module_utils/role_profiles.py)."""
from __future__ import annotations

import pytest

from ansible_collections.tenantdr.asr.plugins.module_utils import role_profiles as rp


def privs(ids):
    return [dict(id=p, group=p.rsplit('.', 1)[0], name=p.rsplit('.', 1)[1], on_parent=False) for p in ids]


SERVER_8X = privs(rp.SYSTEM_PRIVILEGES + [p for p in rp.ASR_PRIVILEGES if p != 'Datastore.DeleteFile']
                  + ['VirtualMachine.Config.Rename', 'VirtualMachine.Config.Memory', 'VirtualMachine.Interact.Reset'])


def test_asr_profile_reads_vm_config_all_from_server_and_skips_deprecated():
    wanted, skipped = rp.profile_privileges('asr', SERVER_8X)
    assert 'VirtualMachine.Config.Rename' in wanted and 'VirtualMachine.Config.Memory' in wanted
    assert 'VirtualMachine.Interact.Reset' not in wanted
    assert skipped == ['Datastore.DeleteFile'] and 'Datastore.DeleteFile' not in wanted
    assert set(rp.ASR_PRIVILEGES) - {'Datastore.DeleteFile'} <= set(wanted)


def test_asr_profile_keeps_delete_file_where_the_server_has_it():
    wanted, skipped = rp.profile_privileges('asr', SERVER_8X + privs(['Datastore.DeleteFile']))
    assert 'Datastore.DeleteFile' in wanted and skipped == []


def test_no_failback_profile_is_read_only():
    assert rp.profile_privileges('asr_no_failback', SERVER_8X) == ([], [])


def test_empty_server_privilege_list_is_a_clear_error():
    with pytest.raises(rp.ProfileError, match='empty privilege list'):
        rp.profile_privileges('asr', [])


def test_unknown_privileges_are_named_with_suggestions():
    with pytest.raises(rp.ProfileError) as err:
        rp.check_privileges(['Datastore.Browze', 'Nothing.Like.This'], SERVER_8X)
    text = str(err.value)
    assert "'Datastore.Browze' (did you mean 'Datastore.Browse'" in text
    assert "'Nothing.Like.This'" in text


def test_compatibility_reports_missing_and_extra():
    c = rp.compatibility(['System.Read', 'Datastore.Browse', 'Extra.Priv'], ['Datastore.Browse', 'Network.Assign'])
    assert c == {'compatible': False, 'missing_privileges': ['Network.Assign'], 'extra_privileges': ['Extra.Priv']}


def test_plan_role_replace_add_rename_delete():
    existing = dict(id=7, name='R', privileges=['System.Read', 'A.x', 'B.y'])
    p = rp.plan_role(existing, 'R', None, ['A.x', 'C.z'], 'replace', 'present')
    assert (p['action'], p['added'], p['removed']) == ('update', ['C.z'], ['B.y'])
    p = rp.plan_role(existing, 'R', None, ['A.x', 'C.z'], 'add', 'present')
    assert (p['action'], p['privileges'], p['removed']) == ('update', ['A.x', 'B.y', 'C.z'], [])
    p = rp.plan_role(existing, 'R', 'R2', ['A.x', 'B.y'], 'replace', 'present')
    assert (p['action'], p['renamed_to']) == ('update', 'R2')
    assert rp.plan_role(existing, 'R', None, ['A.x', 'B.y'], 'replace', 'present')['action'] == 'none'
    assert rp.plan_role(None, 'R', None, ['A.x'], 'replace', 'absent')['action'] == 'none'
    assert rp.plan_role(existing, 'R', None, [], 'replace', 'absent')['action'] == 'delete'
    assert rp.plan_role(None, 'R', None, ['A.x'], 'replace', 'present')['action'] == 'create'
