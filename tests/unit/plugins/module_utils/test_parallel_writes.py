"""Issue 12: permission writes in flight at once (tenant_converge.apply_changes / run_calls) and the inventory the
preflight saves for the converge of the same run (vcenter.save_inventory / load_inventory).

The vCenter here is a recording stand-in (pure logic: which calls were made, how many at once, what happens after a
refusal); the same writes against the simulator are covered by the integration tests, which run with the default
parallel_writes."""
from __future__ import annotations

import json
import os
import stat
import sys
import threading
import time

import pytest
from pyVmomi import vim

from ansible_collections.tenantdr.asr.plugins.module_utils import tenant_converge as tc
from ansible_collections.tenantdr.asr.plugins.module_utils.vcenter import VCenterConnection, load_inventory, save_inventory
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


def test_a_saved_inventory_from_another_python_or_cut_short_is_not_used(tmp_path):
    """The hand-over file is marshal data behind a header naming the format and the Python that wrote it: a file of
    another Python, of the older JSON format, or cut short is refused (the converge then reads vCenter)."""
    snap = small_snapshot()
    snap.about = dict(snap.about, vcenter='vc1.example.com:443', instance_uuid='u-1')
    me = dict(vcenter='vc1.example.com:443', instance_uuid='u-1')
    path = save_inventory(snap, str(tmp_path / 'inv.bin'), now=1000.0)
    with open(path, 'rb') as f:
        raw = f.read()
    header, _sep, body = raw.partition(b'\n')
    assert header.startswith(b'tenantdr.asr inventory ') and b' python %d.%d' % sys.version_info[:2] in header
    cases = {
        'another python': header.replace(b' python %d.%d' % sys.version_info[:2], b' python 2.7') + b'\n' + body,
        'json of the first format': json.dumps(dict(format='tenantdr.asr inventory 1', objects={})).encode(),
        'cut short': raw[:len(header) + 1 + len(body) // 2],
    }
    for case, content in cases.items():
        with open(path, 'wb') as f:
            f.write(content)
        loaded, why = load_inventory(path, me, max_age=300, now=1010.0)
        assert loaded is None, case
        assert path in why, case


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


class SavedInventoryConnection(VCenterConnection):
    """A connection whose reads are recorded: the inventory pass and RetrieveAllPermissions (the latter slow)."""

    def __init__(self, fail_permissions=False):
        super().__init__(dict(hostname='vc1.example.com', port=443, retries=0))
        self.calls = []
        self.fail_permissions = fail_permissions

    def identity(self):
        return dict(vcenter='vc1.example.com:443', instance_uuid='u-1')

    def _read_permissions(self):
        time.sleep(0.05)
        if self.fail_permissions:
            raise ValueError('RetrieveAllPermissions answered nonsense')
        self.calls.append('permissions')
        return [dict(entity='vm-1', principal='VSPHERE.LOCAL\\acme-dr', group=False, role_id=1000, propagate=False)]

    def _read_inventory(self, custom_attributes=True):
        self.calls.append('inventory')
        return small_snapshot()


def test_with_a_saved_inventory_only_the_permissions_are_read_and_their_failure_is_raised(tmp_path):
    snap = small_snapshot()
    snap.about = dict(snap.about, vcenter='vc1.example.com:443', instance_uuid='u-1')
    path = save_inventory(snap, str(tmp_path / 'inv.bin'))
    vc = SavedInventoryConnection()
    got = vc.read_snapshot(inventory_file=path)
    assert vc.calls == ['permissions']
    assert got.objects == snap.objects
    assert got.permissions == [dict(entity='vm-1', principal='VSPHERE.LOCAL\\acme-dr', group=False, role_id=1000,
                                    propagate=False)]
    assert 'preflight' in vc.inventory_source
    # a saved inventory that cannot be used: the inventory is read, the permissions all the same
    vc = SavedInventoryConnection()
    got = vc.read_snapshot(inventory_file=str(tmp_path / 'missing.bin'))
    assert sorted(vc.calls) == ['inventory', 'permissions'] and len(got.permissions) == 1
    assert vc.inventory_source.startswith('read from vCenter')
    with pytest.raises(ValueError, match='nonsense'):
        SavedInventoryConnection(fail_permissions=True).read_snapshot(inventory_file=path)
