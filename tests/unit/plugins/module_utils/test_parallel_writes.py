"""Issue 12: permission writes in flight at once (tenant_converge.apply_changes / run_calls) and the inventory the
preflight saves for the converge of the same run (vcenter.save_inventory / load_inventory).

The vCenter here is a recording stand-in (pure logic: which calls were made, how many at once, what happens after a
refusal); the same writes against the simulator are covered by the integration tests, which run with the default
parallel_writes."""
from __future__ import annotations

import os
import stat
import threading
import time

import pytest
from pyVmomi import vim

from ansible_collections.tenantdr.asr.plugins.module_utils import tenant_converge as tc
from ansible_collections.tenantdr.asr.plugins.module_utils.vcenter import load_inventory, save_inventory
from tests.unit.plugins.module_utils.snapshots import small_snapshot


class RecordingVCenter:
    """Records SetEntityPermissions / RemoveEntityPermission calls and how many ran at the same time."""

    def __init__(self, workers, refuse=(), hold=0.02):
        self.workers = workers
        self.refuse = set(refuse)
        self.hold = hold
        self.calls = []
        self.in_flight = 0
        self.peak = 0
        self.lock = threading.Lock()

    def write_workers(self):
        return self.workers

    def _call(self, what):
        with self.lock:
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
        try:
            time.sleep(self.hold)
            if what in self.refuse:
                raise vim.fault.NoPermission(msg='refused %s' % (what,))
            with self.lock:
                self.calls.append(what)
        finally:
            with self.lock:
                self.in_flight -= 1

    def set_permissions(self, snap, moid, perms):
        self._call(('set', moid, tuple(p['principal'] for p in perms)))

    def remove_permission(self, snap, moid, principal, group):
        self._call(('remove', moid, principal))


def changes(n_sets, n_removes):
    """n_sets objects that get a permission of ACME\\a, n_removes objects that lose one (hand-written shapes)."""
    out = []
    for i in range(n_sets):
        out.append(dict(action='add', object='vm-%d' % i, principal='ACME\\a', group=False,
                        after=dict(role_id=-2, propagate=False)))
    for i in range(n_removes):
        out.append(dict(action='remove', object='host-%d' % i, principal='ACME\\a', group=False))
    return out


def test_every_write_is_made_once_and_several_are_in_flight():
    vc = RecordingVCenter(workers=4)
    writes = tc.apply_changes(vc, None, changes(20, 6))
    assert writes == 26
    assert sorted(c for c in vc.calls if c[0] == 'set') == sorted(('set', 'vm-%d' % i, ('ACME\\a',)) for i in range(20))
    assert sorted(c for c in vc.calls if c[0] == 'remove') == sorted(('remove', 'host-%d' % i, 'ACME\\a') for i in range(6))
    assert 1 < vc.peak <= 4


def test_removals_start_after_every_set_finished():
    vc = RecordingVCenter(workers=8)
    tc.apply_changes(vc, None, changes(10, 5))
    kinds = [c[0] for c in vc.calls]
    assert kinds == ['set'] * 10 + ['remove'] * 5


def test_one_worker_writes_one_after_another():
    vc = RecordingVCenter(workers=1, hold=0)
    assert tc.apply_changes(vc, None, changes(5, 2)) == 7
    assert vc.peak == 1
    assert [c[1] for c in vc.calls] == ['vm-0', 'vm-1', 'vm-2', 'vm-3', 'vm-4', 'host-0', 'host-1']


@pytest.mark.parametrize('workers', [1, 4])
def test_a_refusal_stops_the_run_and_says_how_far_it_got(workers):
    vc = RecordingVCenter(workers=workers, refuse={('set', 'vm-3', ('ACME\\a',))})
    with pytest.raises(tc.ApplyError) as err:
        tc.apply_changes(vc, None, changes(40, 3))
    assert 'refused' in str(err.value)
    # nothing after the refusal is started beyond what was already in flight; no removal starts at all
    assert not [c for c in vc.calls if c[0] == 'remove']
    assert len(vc.calls) <= 3 + workers
    assert err.value.done == len(vc.calls)


def test_saved_inventory_round_trip_is_private_and_tied_to_its_vcenter(tmp_path):
    snap = small_snapshot()
    snap.about = dict(snap.about, vcenter='vc1.example.com:443', instance_uuid='u-1')
    path = save_inventory(snap, str(tmp_path / 'inv.json'), now=1000.0)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    me = dict(vcenter='vc1.example.com:443', instance_uuid='u-1')
    loaded, why = load_inventory(path, me, max_age=300, now=1010.0)
    assert loaded is not None, why
    assert loaded.objects == snap.objects and loaded.roles == snap.roles and loaded.permissions == []
    assert loaded.by_path == snap.by_path
    # another vCenter (same simulator UUID on another port), too old, or unreadable: not used, and said why
    other, why = load_inventory(path, dict(me, vcenter='vc1.example.com:8443'), max_age=300, now=1010.0)
    assert other is None and 'vc1.example.com:8443' in why
    old, why = load_inventory(path, me, max_age=300, now=1301.0)
    assert old is None and '301 s old' in why
    missing, why = load_inventory(str(tmp_path / 'nope.json'), me, max_age=300)
    assert missing is None and 'cannot be read' in why


def test_a_saved_inventory_without_custom_attribute_values_is_not_used_when_a_tenant_selects_by_them(tmp_path):
    """The preflight reads the VMs' custom attribute values only when a tenant of the vCenter selects by them; a
    converge that needs them reads the inventory itself rather than select from values that were never read."""
    snap = small_snapshot()
    snap.about = dict(snap.about, vcenter='vc1.example.com:443', instance_uuid='u-1', custom_attributes_read=False)
    path = save_inventory(snap, str(tmp_path / 'inv.json'), now=1000.0)
    me = dict(vcenter='vc1.example.com:443', instance_uuid='u-1')
    loaded, why = load_inventory(path, me, max_age=300, now=1010.0, custom_attributes=True)
    assert loaded is None and 'custom attribute' in why
    loaded, why = load_inventory(path, me, max_age=300, now=1010.0, custom_attributes=False)
    assert loaded is not None, why
