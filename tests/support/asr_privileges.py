"""The Azure Site Recovery role's privileges, written out by hand - an oracle for the tests.

Never import this list from ``plugins/module_utils/role_profiles.py``: the tests compare the code's role to this
table, so a privilege dropped (or added) in the code fails them.

Source of the wording: seed 000 ("Requirements for a vCenter access account", step 2, "Assign the following permissions
to this role").  Source of the ids: VMware's "Defined Privileges" pages, column "Privilege Name in the API", as quoted in
the project's reference notes (vsphere.md, "Privilege IDs for the ASR role (seed 000)"), and checked against the ids the
simulator's role dump defines (/usr/share/gocode/src/github.com/vmware/govmomi/simulator/esx/authorization_manager.go,
captured against vCenter 6.5U1: every id below occurs there).
"""
from __future__ import annotations

#: Added by vCenter to every role (clone of Read-only): vSphere Web Services programming guide, roles table.
READ_ONLY = ("System.Anonymous", "System.Read", "System.View")

#: (seed 000 category, seed 000 wording, API privilege id) - one row per item of the seed's list, in the seed's order.
SEED_000_TABLE = (
    ("Datastore", "Allocate space", "Datastore.AllocateSpace"),
    ("Datastore", "Browse datastore", "Datastore.Browse"),
    ("Datastore", "Low-level file operations", "Datastore.FileManagement"),
    ("Datastore", "Remove file", "Datastore.DeleteFile"),
    ("Datastore", "Update virtual machine files", "Datastore.UpdateVirtualMachineFiles"),
    ("Network", "Network assign", "Network.Assign"),
    ("Resource", "Assign VM to resource pool", "Resource.AssignVMToPool"),
    ("Resource", "Migrate powered off VM", "Resource.ColdMigrate"),
    ("Resource", "Migrate powered on VM", "Resource.HotMigrate"),
    ("Tasks", "Create task", "Task.Create"),
    ("Tasks", "Update task", "Task.Update"),
    ("Virtual machine > Interaction", "Answer question", "VirtualMachine.Interact.AnswerQuestion"),
    ("Virtual machine > Interaction", "Device connection", "VirtualMachine.Interact.DeviceConnection"),
    ("Virtual machine > Interaction", "Configure CD media", "VirtualMachine.Interact.SetCDMedia"),
    ("Virtual machine > Interaction", "Configure floppy media", "VirtualMachine.Interact.SetFloppyMedia"),
    ("Virtual machine > Interaction", "Power off", "VirtualMachine.Interact.PowerOff"),
    ("Virtual machine > Interaction", "Power on", "VirtualMachine.Interact.PowerOn"),
    ("Virtual machine > Interaction", "VMware tools install", "VirtualMachine.Interact.ToolsInstall"),
    ("Virtual machine > Inventory", "Create from existing", "VirtualMachine.Inventory.CreateFromExisting"),
    ("Virtual machine > Inventory", "Create new", "VirtualMachine.Inventory.Create"),
    ("Virtual machine > Inventory", "Register", "VirtualMachine.Inventory.Register"),
    ("Virtual machine > Inventory", "Unregister", "VirtualMachine.Inventory.Unregister"),
    ("Virtual machine > Provisioning", "Allow virtual machine download", "VirtualMachine.Provisioning.GetVmFiles"),
    ("Virtual machine > Provisioning", "Allow virtual machine files upload", "VirtualMachine.Provisioning.PutVmFiles"),
    ("Virtual machine > Snapshot management", "Remove snapshots", "VirtualMachine.State.RemoveSnapshot"),
)

#: The ids of the seed's list (25), "Configuration > all" excluded (it depends on the server: see below).
SEED_000_IDS = tuple(row[2] for row in SEED_000_TABLE)

#: "Remove file" is deprecated in vSphere 8 ("assign Low level file operations"); a server that does not define it
#: cannot be given it.
DEPRECATED_IN_8X = ("Datastore.DeleteFile",)

#: "Virtual machine > Configuration > all" on vCenter 6.5U1 (govmomi's role dump, vsphere.md table "VirtualMachine.Config.*
#: by version"): 27 ids.  vCenter 8.x has the same minus Unlock (26).
VM_CONFIG_65U1 = tuple("VirtualMachine.Config." + n for n in (
    "AddExistingDisk", "AddNewDisk", "AddRemoveDevice", "AdvancedConfig", "Annotation", "CPUCount", "ChangeTracking",
    "DiskExtend", "DiskLease", "EditDevice", "HostUSBDevice", "ManagedBy", "Memory", "MksControl",
    "QueryFTCompatibility", "QueryUnownedFiles", "RawDevice", "ReloadFromPath", "RemoveDisk", "Rename",
    "ResetGuestInfo", "Resource", "Settings", "SwapPlacement", "ToggleForkParent", "Unlock", "UpgradeVirtualHardware"))
VM_CONFIG_8X = tuple(p for p in VM_CONFIG_65U1 if p != "VirtualMachine.Config.Unlock")


def expected_asr_role(server_privilege_ids, with_system=True):
    """The privileges the ASR role must hold on a server that defines ``server_privilege_ids``: the seed's list
    (minus a deprecated id the server lacks) plus every ``VirtualMachine.Config.*`` id the server defines, plus the
    Read-only privileges when ``with_system``."""
    known = set(server_privilege_ids)
    out = {p for p in SEED_000_IDS if p in known or p not in DEPRECATED_IN_8X}
    out |= {p for p in known if p.startswith("VirtualMachine.Config.") and p.count(".") == 2}
    if with_system:
        out |= set(READ_ONLY)
    return out
