# -*- coding: utf-8 -*-
# Copyright: tenantdr.asr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The vCenter role that a tenant's vCenter access account gets, as pure data and pure logic.

Profile ``asr`` is the role of the Azure Site Recovery multi-tenant guide (seed 000, "Requirements
for a vCenter access account", step 2): a clone of Read-only plus the privileges below.  API ids
come from the vSphere 8.0 "Defined Privileges" pages, cross-checked with govmomi's role dumps
(see docs/vcenter-role.md).  "Virtual machine > Configuration > all" is read from the server's own
privilege list (``privGroupName == 'VirtualMachine.Config'``) because it differs between 6.5, 7
and 8 (``VirtualMachine.Config.Unlock`` is gone in 8.x).

Profile ``asr_no_failback`` is the seed's no-failback variant: Read-only only.
"""
from __future__ import annotations

import difflib

#: Privileges every role has; vCenter adds them itself (clone of Read-only).
SYSTEM_PRIVILEGES = ['System.Anonymous', 'System.Read', 'System.View']

#: Seed 000 step 2, in the seed's order.
ASR_PRIVILEGES = [
    # Datastore: Allocate space, Browse datastore, Low-level file operations, Remove file, Update VM files
    'Datastore.AllocateSpace', 'Datastore.Browse', 'Datastore.FileManagement', 'Datastore.DeleteFile',
    'Datastore.UpdateVirtualMachineFiles',
    # Network: Network assign
    'Network.Assign',
    # Resource: Assign VM to resource pool, Migrate powered off VM, Migrate powered on VM
    'Resource.AssignVMToPool', 'Resource.ColdMigrate', 'Resource.HotMigrate',
    # Tasks: Create task, Update task
    'Task.Create', 'Task.Update',
    # Virtual machine > Interaction
    'VirtualMachine.Interact.AnswerQuestion', 'VirtualMachine.Interact.DeviceConnection',
    'VirtualMachine.Interact.SetCDMedia', 'VirtualMachine.Interact.SetFloppyMedia',
    'VirtualMachine.Interact.PowerOff', 'VirtualMachine.Interact.PowerOn', 'VirtualMachine.Interact.ToolsInstall',
    # Virtual machine > Inventory
    'VirtualMachine.Inventory.CreateFromExisting', 'VirtualMachine.Inventory.Create',
    'VirtualMachine.Inventory.Register', 'VirtualMachine.Inventory.Unregister',
    # Virtual machine > Provisioning
    'VirtualMachine.Provisioning.GetVmFiles', 'VirtualMachine.Provisioning.PutVmFiles',
    # Virtual machine > Snapshot management
    'VirtualMachine.State.RemoveSnapshot',
]

#: Privileges of the seed list that some vCenter releases no longer define.  vSphere 8 docs mark
#: "Remove file" as deprecated ("assign Low level file operations"); when the server does not list
#: it we leave it out and say so, instead of failing AddAuthorizationRole with InvalidArgument.
OPTIONAL_PRIVILEGES = frozenset(['Datastore.DeleteFile'])

#: privGroupName whose privileges make up "Virtual machine > Configuration > all".
VM_CONFIG_GROUP = 'VirtualMachine.Config'

PROFILES = ('asr', 'asr_no_failback', 'custom')


class ProfileError(Exception):
    """Bad privilege input; raised before any vCenter write."""


def profile_privileges(profile, server_privileges):
    """Privileges of ``profile`` on this server (System.* excluded) and the optional ones skipped.

    ``server_privileges`` is the snapshot's privilege list (dicts with ``id`` and ``group``).
    """
    known = {p['id'] for p in server_privileges}
    if profile == 'asr_no_failback' or profile == 'custom':
        return [], []
    if profile != 'asr':
        raise ProfileError("unknown role profile '%s'; valid profiles: %s" % (profile, ', '.join(PROFILES)))
    if not server_privileges:
        raise ProfileError("vCenter returned an empty privilege list (AuthorizationManager.privilegeList), so "
                           "'Virtual machine > Configuration > all' cannot be computed; use profile: custom with an explicit privileges list")
    config_all = sorted(p['id'] for p in server_privileges if p['group'] == VM_CONFIG_GROUP)
    wanted, skipped = [], []
    for priv in ASR_PRIVILEGES:
        if priv in OPTIONAL_PRIVILEGES and priv not in known:
            skipped.append(priv)
        else:
            wanted.append(priv)
    return sorted(set(wanted) | set(config_all)), skipped


def check_privileges(privileges, server_privileges):
    """Raise ProfileError naming every unknown privilege id with the nearest known ids."""
    known = sorted({p['id'] for p in server_privileges} | set(SYSTEM_PRIVILEGES))
    known_set = set(known)
    lines = []
    for priv in privileges:
        if priv not in known_set:
            near = difflib.get_close_matches(priv, known, n=3, cutoff=0.6)
            lines.append("'%s'%s" % (priv, (' (did you mean %s?)' % ', '.join("'%s'" % n for n in near)) if near else ''))
    if lines:
        raise ProfileError('unknown privilege id%s on this vCenter: %s' % ('s' if len(lines) > 1 else '', '; '.join(lines)))


def compatibility(role_privileges, desired):
    """PlateSpin-style role check: what the role lacks and what it has beyond ``desired``."""
    have = set(role_privileges) - set(SYSTEM_PRIVILEGES)
    want = set(desired) - set(SYSTEM_PRIVILEGES)
    missing = sorted(want - have)
    extra = sorted(have - want)
    return {'compatible': not missing, 'missing_privileges': missing, 'extra_privileges': extra}


def plan_role(existing, name, new_name, desired, mode, state):
    """Decide the role change.  ``existing`` is the snapshot role dict or None.

    Returns a dict ``{action: none|create|update|delete, name, privileges (final, System.* excluded),
    added, removed, renamed_to}``.  ``mode`` is ``replace`` (the role holds exactly ``desired``)
    or ``add`` (add what is missing, keep the rest).
    """
    desired = sorted(set(desired) - set(SYSTEM_PRIVILEGES))
    if state == 'absent':
        if existing is None:
            return dict(action='none', name=name, privileges=[], added=[], removed=[], renamed_to=None)
        have = sorted(set(existing['privileges']) - set(SYSTEM_PRIVILEGES))
        return dict(action='delete', name=existing['name'], privileges=[], added=[], removed=have, renamed_to=None)
    if existing is None:
        return dict(action='create', name=new_name or name, privileges=desired, added=desired, removed=[], renamed_to=None)
    have = sorted(set(existing['privileges']) - set(SYSTEM_PRIVILEGES))
    final = sorted(set(have) | set(desired)) if mode == 'add' else desired
    added = sorted(set(final) - set(have))
    removed = sorted(set(have) - set(final))
    renamed_to = new_name if new_name and new_name != existing['name'] else None
    action = 'update' if (added or removed or renamed_to) else 'none'
    return dict(action=action, name=existing['name'], privileges=final, added=added, removed=removed, renamed_to=renamed_to)
