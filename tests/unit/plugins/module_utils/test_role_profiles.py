"""Pure tests of the role profiles (plugins/module_utils/role_profiles.py).

The expected privileges come from the hand-written table tests/support/asr_privileges.py (seed 000's wording mapped to
VMware's privilege ids), never from ``role_profiles`` itself: the role is compared to it exactly.
"""
from __future__ import annotations

import pytest

from ansible_collections.tenantdr.asr.plugins.module_utils import role_profiles as rp
from tests.support.asr_privileges import (DEPRECATED_IN_8X, READ_ONLY, SEED_000_IDS, SEED_000_TABLE, VM_CONFIG_65U1,
                                          VM_CONFIG_8X)


def privs(ids):
    return [dict(id=p, group=p.rsplit('.', 1)[0], name=p.rsplit('.', 1)[1], on_parent=False) for p in ids]


#: A vCenter 8.x privilege list in miniature, written by hand: Read-only, the seed's ids without the deprecated
#: "Remove file", the 26 Config ids of 8.x, and privileges the ASR role must NOT get.
UNRELATED = ('VirtualMachine.Interact.Reset', 'VirtualMachine.Interact.Suspend', 'Host.Config.Power',
             'VirtualMachine.Inventory.Delete', 'VirtualMachine.State.CreateSnapshot', 'Datastore.Config')
SERVER_8X = privs(list(READ_ONLY) + [p for p in SEED_000_IDS if p not in DEPRECATED_IN_8X] + list(VM_CONFIG_8X)
                  + list(UNRELATED))
SERVER_65 = privs(list(READ_ONLY) + list(SEED_000_IDS) + list(VM_CONFIG_65U1) + list(UNRELATED))


def test_the_hand_written_table_is_the_seeds_list():
    """Seed 000 step 2 names 25 items besides "Configuration > all" (5 datastore, 1 network, 3 resource, 2 tasks,
    7 interaction, 4 inventory, 2 provisioning, 1 snapshot); each maps to one distinct id."""
    assert len(SEED_000_TABLE) == 25 and len(set(SEED_000_IDS)) == 25
    counts = {}
    for category, _wording, _priv in SEED_000_TABLE:
        counts[category] = counts.get(category, 0) + 1
    assert counts == {'Datastore': 5, 'Network': 1, 'Resource': 3, 'Tasks': 2, 'Virtual machine > Interaction': 7,
                      'Virtual machine > Inventory': 4, 'Virtual machine > Provisioning': 2,
                      'Virtual machine > Snapshot management': 1}
    assert len(VM_CONFIG_65U1) == 27 and len(VM_CONFIG_8X) == 26


def test_asr_profile_on_8x_is_exactly_the_seed_list_plus_config_all():
    wanted, skipped = rp.profile_privileges('asr', SERVER_8X)
    expected = sorted((set(SEED_000_IDS) - {'Datastore.DeleteFile'}) | set(VM_CONFIG_8X))
    assert sorted(wanted) == expected
    assert skipped == ['Datastore.DeleteFile']


def test_asr_profile_on_65_is_exactly_the_seed_list_plus_config_all():
    wanted, skipped = rp.profile_privileges('asr', SERVER_65)
    assert sorted(wanted) == sorted(set(SEED_000_IDS) | set(VM_CONFIG_65U1))
    assert skipped == []


@pytest.mark.parametrize('category, wording, priv', SEED_000_TABLE, ids=[r[1] for r in SEED_000_TABLE])
def test_every_seed_item_is_in_the_role(category, wording, priv):
    """One test per item of seed 000's list, named by the seed's wording."""
    wanted, _skipped = rp.profile_privileges('asr', SERVER_65)
    assert priv in wanted, '%s > %s (%s) is missing from the ASR role' % (category, wording, priv)


def test_no_failback_profile_is_read_only():
    assert rp.profile_privileges('asr_no_failback', SERVER_8X) == ([], [])


def test_system_privileges_are_read_only():
    assert sorted(rp.SYSTEM_PRIVILEGES) == sorted(READ_ONLY)


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
