"""The permission plan of every tenant of inventories/sample, written out by hand - an oracle for the tests.

Derived object by object from the simulator specs (tests/simulator/inventory.py: ``sample_inventory()`` for the
shared-hosting vCenter of acme, globex and initech; ``single_tenant_inventory(name)`` for contoso and fabrikam) and
seed 000's object/role table ("Requirements for a vCenter access account", step 3):

=====================  =====================================================================================
Seed object            What it is for a tenant of the sample
=====================  =====================================================================================
vCenter                the root folder ``/``, Read-only
Datacenter             /DC1 (no tenant uses DC2)
Host and host cluster  the clusters and hosts its VMs and configuration server run on; a standalone host is its
                       ComputeResource ``/DC1/host/esx-10`` (a HostSystem there cannot hold a permission)
Datastore and          the datastores of its VMs and configuration server, and the datastore cluster dsc-01
datastore cluster      when one of them is in it
Network                the port groups of its VMs (a distributed port group, never its switch)
Management server      ``/DC1/vm/mgmt/<tenant>-cs01``
Tenant VMs             the VMs its selectors pick
=====================  =====================================================================================

Never computed from ``plugins/``: a planner that drops an object kind, adds one, or picks another tenant's object
fails against these tables.

Two tables:

* ``EXACT`` - the objects a tenant's VMs and configuration server actually use (``placement: exact``).
* ``DOMAIN_ADDITIONS`` - what ``placement: domain`` (issue 13) adds on top: every other host of each cluster that runs
  one of the tenant's VMs or its configuration server (a standalone host stays itself), and every other datastore of
  each datastore cluster a tenant VM uses.

In ``single_tenant_inventory`` the VMs without a host are placed round robin over CL1's hosts (tests/simulator/vcsim/
inventory.go): vm01 -> esx-01, vm02 -> esx-02, vm03 -> esx-01; the configuration server is on esx-02 (ds-02).
"""
from __future__ import annotations

DR = "dr_role"          # stands for the tenant's DR role (Read-only when failback is false)
RO = "ReadOnly"

# path -> (vSphere type, plan kind, role)
_ROOT = {"/": ("Folder", "vcenter_root", RO)}

#: acme: acme-vm01/02/db01 on CL1 esx-01/02/03 (resource pool tenants/acme), ds-01 (db01 also ds-02), pg-acme;
#: acme-cs01 on CL2/esx-04, ds-01, pg-mgmt + pg-acme.
_ACME = {
    "/DC1": ("Datacenter", "datacenter", DR),
    "/DC1/datastore/ds-01": ("Datastore", "datastore", DR),
    "/DC1/datastore/ds-02": ("Datastore", "datastore", DR),
    "/DC1/host/CL1": ("ClusterComputeResource", "cluster", DR),
    "/DC1/host/CL1/esx-01": ("HostSystem", "host", DR),
    "/DC1/host/CL1/esx-02": ("HostSystem", "host", DR),
    "/DC1/host/CL1/esx-03": ("HostSystem", "host", DR),
    "/DC1/host/CL2": ("ClusterComputeResource", "cluster", DR),
    "/DC1/host/CL2/esx-04": ("HostSystem", "host", DR),
    "/DC1/network/pg-acme": ("Network", "network", DR),
    "/DC1/network/pg-mgmt": ("Network", "network", DR),
    "/DC1/vm/mgmt/acme-cs01": ("VirtualMachine", "management_server", DR),
    "/DC1/vm/tenants/acme/acme-db01": ("VirtualMachine", "tenant_vm", DR),
    "/DC1/vm/tenants/acme/acme-vm01": ("VirtualMachine", "tenant_vm", DR),
    "/DC1/vm/tenants/acme/acme-vm02": ("VirtualMachine", "tenant_vm", DR),
}

#: globex: globex-vm01 on CL1/esx-03 (ds-02), globex-vm02 on CL2/esx-04 (ds-02), both pg-globex; globex-cs01 on
#: CL2/esx-05, ds-01, pg-mgmt + pg-globex.
_GLOBEX = {
    "/DC1": ("Datacenter", "datacenter", DR),
    "/DC1/datastore/ds-01": ("Datastore", "datastore", DR),
    "/DC1/datastore/ds-02": ("Datastore", "datastore", DR),
    "/DC1/host/CL1": ("ClusterComputeResource", "cluster", DR),
    "/DC1/host/CL1/esx-03": ("HostSystem", "host", DR),
    "/DC1/host/CL2": ("ClusterComputeResource", "cluster", DR),
    "/DC1/host/CL2/esx-04": ("HostSystem", "host", DR),
    "/DC1/host/CL2/esx-05": ("HostSystem", "host", DR),
    "/DC1/network/pg-globex": ("Network", "network", DR),
    "/DC1/network/pg-mgmt": ("Network", "network", DR),
    "/DC1/vm/mgmt/globex-cs01": ("VirtualMachine", "management_server", DR),
    "/DC1/vm/tenants/globex/globex-vm01": ("VirtualMachine", "tenant_vm", DR),
    "/DC1/vm/tenants/globex/globex-vm02": ("VirtualMachine", "tenant_vm", DR),
}

#: initech: initech-vm01 on CL1/esx-01, ds-03 (in dsc-01); initech-vm02 on the standalone esx-10, ds-04 (in dsc-01);
#: both dvpg-initech; initech-cs01 on CL2/esx-05, ds-01, pg-mgmt + dvpg-initech.
_INITECH = {
    "/DC1": ("Datacenter", "datacenter", DR),
    "/DC1/datastore/ds-01": ("Datastore", "datastore", DR),
    "/DC1/datastore/dsc-01": ("StoragePod", "datastore_cluster", DR),
    "/DC1/datastore/dsc-01/ds-03": ("Datastore", "datastore", DR),
    "/DC1/datastore/dsc-01/ds-04": ("Datastore", "datastore", DR),
    "/DC1/host/CL1": ("ClusterComputeResource", "cluster", DR),
    "/DC1/host/CL1/esx-01": ("HostSystem", "host", DR),
    "/DC1/host/CL2": ("ClusterComputeResource", "cluster", DR),
    "/DC1/host/CL2/esx-05": ("HostSystem", "host", DR),
    "/DC1/host/esx-10": ("ComputeResource", "host", DR),
    "/DC1/network/dvpg-initech": ("DistributedVirtualPortgroup", "network", DR),
    "/DC1/network/pg-mgmt": ("Network", "network", DR),
    "/DC1/vm/mgmt/initech-cs01": ("VirtualMachine", "management_server", DR),
    "/DC1/vm/tenants/initech/initech-vm01": ("VirtualMachine", "tenant_vm", DR),
    "/DC1/vm/tenants/initech/initech-vm02": ("VirtualMachine", "tenant_vm", DR),
}


def _single(name):
    """contoso (dedicated hosting) and fabrikam (MSP) on their own vCenter (single_tenant_inventory)."""
    return {
        "/DC1": ("Datacenter", "datacenter", DR),
        "/DC1/datastore/ds-01": ("Datastore", "datastore", DR),
        "/DC1/datastore/ds-02": ("Datastore", "datastore", DR),
        "/DC1/host/CL1": ("ClusterComputeResource", "cluster", DR),
        "/DC1/host/CL1/esx-01": ("HostSystem", "host", DR),
        "/DC1/host/CL1/esx-02": ("HostSystem", "host", DR),
        "/DC1/network/pg-%s" % name: ("Network", "network", DR),
        "/DC1/network/pg-mgmt": ("Network", "network", DR),
        "/DC1/vm/mgmt/%s-cs01" % name: ("VirtualMachine", "management_server", DR),
        "/DC1/vm/tenants/%s/%s-vm01" % (name, name): ("VirtualMachine", "tenant_vm", DR),
        "/DC1/vm/tenants/%s/%s-vm02" % (name, name): ("VirtualMachine", "tenant_vm", DR),
        "/DC1/vm/tenants/%s/%s-vm03" % (name, name): ("VirtualMachine", "tenant_vm", DR),
    }


#: ``placement: exact``: tenant -> {path: (type, kind, role)}.
EXACT = {
    "acme": dict(_ROOT, **_ACME),
    "globex": dict(_ROOT, **_GLOBEX),
    "initech": dict(_ROOT, **_INITECH),
    "contoso": dict(_ROOT, **_single("contoso")),
    "fabrikam": dict(_ROOT, **_single("fabrikam")),
}

#: ``placement: domain`` adds these (issue 13).  CL1 = esx-01, esx-02, esx-03; CL2 = esx-04, esx-05; dsc-01 =
#: ds-03, ds-04; esx-10 is standalone (nothing to add); CL1 of the single-tenant vCenters has esx-01 and esx-02, both
#: already used.
DOMAIN_ADDITIONS = {
    "acme": {"/DC1/host/CL2/esx-05": ("HostSystem", "host", DR)},                  # CL2 runs acme-cs01
    "globex": {"/DC1/host/CL1/esx-01": ("HostSystem", "host", DR),                 # CL1 runs globex-vm01
               "/DC1/host/CL1/esx-02": ("HostSystem", "host", DR)},
    "initech": {"/DC1/host/CL1/esx-02": ("HostSystem", "host", DR),                # CL1 runs initech-vm01
                "/DC1/host/CL1/esx-03": ("HostSystem", "host", DR),
                "/DC1/host/CL2/esx-04": ("HostSystem", "host", DR)},               # CL2 runs initech-cs01
    "contoso": {},
    "fabrikam": {},
}

PLACEMENTS = ("exact", "domain")


def expected_objects(tenant, placement, dr_role="Azure_Site_Recovery", failback=True):
    """{path: (type, kind, role name)} the tenant's access account must hold, and nothing else."""
    if placement not in PLACEMENTS:
        raise ValueError("placement %r is not one of %s" % (placement, ", ".join(PLACEMENTS)))
    table = dict(EXACT[tenant])
    if placement == "domain":
        table.update(DOMAIN_ADDITIONS[tenant])
    role = dr_role if failback else RO
    return {path: (typ, kind, role if r == DR else r) for path, (typ, kind, r) in table.items()}
