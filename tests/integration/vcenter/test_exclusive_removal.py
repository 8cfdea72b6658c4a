"""Exclusive removal end to end: a VM that leaves a tenant loses the tenant account's permission on the next onboarding
run, and so does any permission of the account outside its plan - while every other principal's permissions stay.

Onboarding is the module chain the onboarding role runs (tenant_mapping -> vcenter_nonpropagating_permission with
``exclusive: true``); every state is read back with pyVmomi (tests/support/vsphere.py), not from the modules' results.
"""
from __future__ import annotations

import time

import pytest
from pyVmomi import vim

from tests.support.onboarding import onboard
from tests.support.tenants import tenants
from tests.support.vsphere import Direct

pytestmark = pytest.mark.vcsim

ACME = 'vsphere.local\\acme-dr'          # Direct.permissions keys: DOMAIN\login, lower case
GLOBEX = 'vsphere.local\\globex-dr'
ADMIN = 'vsphere.local\\partner-admin'


def move(direct, vm_path, folder_path):
    task = direct.find(folder_path).MoveIntoFolder_Task([direct.find(vm_path)])
    deadline = time.monotonic() + 30
    while task.info.state not in (vim.TaskInfo.State.success, vim.TaskInfo.State.error) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert task.info.state == vim.TaskInfo.State.success, task.info.error


def test_a_vm_that_leaves_the_tenant_and_a_hand_added_permission_are_removed_others_stay(fresh_vcsim):
    sim = fresh_vcsim
    onboard(sim, tenants())
    with Direct(sim) as direct:
        assert direct.permissions('/DC1/vm/tenants/acme/acme-vm02')[ACME] == ('Azure_Site_Recovery', False)
        # another principal on the same VM, and on the object of the hand-added permission
        direct.set_permission('/DC1/vm/tenants/acme/acme-vm02', 'partner-admin@vsphere.local', 'ReadOnly')
        direct.set_permission('/DC1/network/pg-globex', 'partner-admin@vsphere.local', 'ReadOnly', propagate=True)
        # a permission of acme's account that no plan asks for (hand-added by an operator)
        direct.set_permission('/DC1/network/pg-globex', 'acme-dr@vsphere.local', 'ReadOnly')
        direct.set_permission('/DC2', 'acme-dr@vsphere.local', 'ReadOnly')
        # the VM leaves acme's folder
        move(direct, '/DC1/vm/tenants/acme/acme-vm02', '/DC1/vm/unassigned')
        others_before = sorted((str(p.entity), p.principal, p.roleId, p.propagate) for p in direct.all_permissions()
                               if p.principal.lower() != ACME)

    sim.reset_stats()
    result = onboard(sim, tenants())
    assert result['changed'] is True

    with Direct(sim) as direct:
        moved = direct.permissions('/DC1/vm/unassigned/acme-vm02')
        assert ACME not in moved                                   # the account lost the VM that left the tenant
        assert moved[ADMIN] == ('ReadOnly', False)                 # the other principal's permission on it stays
        pg_globex = direct.permissions('/DC1/network/pg-globex')
        assert ACME not in pg_globex                               # the hand-added permission is gone
        assert pg_globex[GLOBEX] == ('Azure_Site_Recovery', False)  # globex's planned one stays
        assert pg_globex[ADMIN] == ('ReadOnly', True)              # and so does the administrator's
        assert ACME not in direct.permissions('/DC2')
        # acme keeps its other VMs
        for vm in ('acme-vm01', 'acme-db01'):
            assert direct.permissions('/DC1/vm/tenants/acme/' + vm)[ACME] == ('Azure_Site_Recovery', False)
        # no other principal's permission changed anywhere
        others_after = sorted((str(p.entity), p.principal, p.roleId, p.propagate) for p in direct.all_permissions()
                              if p.principal.lower() != ACME)
        assert others_after == others_before
    # only removals of acme's permissions were written (at least the VM, pg-globex and /DC2)
    assert sim.soap_calls('RemoveEntityPermission') >= 3
    assert sim.soap_calls('SetEntityPermissions') == 0
