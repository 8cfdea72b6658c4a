r"""Inventory specs for the tenantdr-vcsim simulator (see tests/simulator/vcsim/inventory.go).

A spec is a plain dict, serialised to JSON for ``tenantdr-vcsim -inventory``::

    {"datacenters": [{
        "name": "DC1",
        "clusters": [{"name": "CL1", "hosts": ["esx-01"], "resource_pools": ["tenants/acme"],
                      "networks": ["pg-x"]}],          # networks: optional, port groups on this cluster's hosts only
        "standalone_hosts": ["esx-10"],
        "datastores": ["ds-01"],                          # mounted on every host of the datacenter
        "datastore_clusters": [{"name": "dsc-01", "datastores": ["ds-01"]}],
        "networks": ["pg-acme"],                          # standard port groups on every host of the datacenter
        "distributed_switches": [{"name": "dvs-01", "portgroups": ["dvpg-initech"]}],
        "vm_folders": ["tenants/acme"],                   # paths under the datacenter's vm folder
        "vms": [{"name": "acme-vm01", "folder": "tenants/acme", "cluster": "CL1", "host": "esx-01",
                 "resource_pool": "tenants/acme", "datastores": ["ds-01"], "networks": ["pg-acme"],
                 "custom_attributes": {"tenant": "acme"}, "power_state": "poweredOn"}],
    }],
     "users": ["acme-dr@vsphere.local"],                  # the SSO directory (RetrieveUserGroups); principals not
     "groups": ["dr-operators@vsphere.local"],            # in it get vim.fault.UserNotFound from SetEntityPermissions
     "enforce_principals": true}                          # (default; VSPHERE.LOCAL\Administrator(s) always exist)

``sample_inventory()`` -- the shared-hosting vCenter used by demos and tests. Names are stable;
tests rely on them::

    DC1
      host/CL1        esx-01 esx-02 esx-03      resource pools tenants/{acme,globex,initech}
      host/CL2        esx-04 esx-05             (management cluster: the configuration servers)
      host/esx-10     standalone host
      datastore/      ds-01 ds-02 (shared)  dsc-01 = StoragePod{ds-03, ds-04}
      network/        pg-acme pg-globex pg-mgmt (standard, on every DC1 host)
                      dvs-01 with dvpg-initech (every DC1 host is a member)
      vm/tenants/acme     acme-vm01 (CL1/esx-01)  acme-vm02 (CL1/esx-02)  acme-db01 (CL1/esx-03, ds-01+ds-02)
                          all in resource pool CL1/tenants/acme, ds-01, pg-acme
      vm/tenants/globex   globex-vm01 (CL1/esx-03, RP tenants/globex, ds-02)
                          globex-vm02 (CL2/esx-04, CL2 root pool, ds-02)          both on pg-globex
      vm/tenants/initech  initech-vm01 (CL1/esx-01, RP tenants/initech, ds-03 in dsc-01)
                          initech-vm02 (standalone esx-10, ds-04 in dsc-01)      both on dvpg-initech
      vm/mgmt             acme-cs01 globex-cs01 initech-cs01: configuration servers, CL2 (esx-04/esx-05),
                          ds-01, on pg-mgmt + the tenant's network
      vm/unassigned       orphan-01 (CL2/esx-05, ds-01, pg-mgmt)  orphan-02 (esx-10, ds-02, no NIC)
    DC2
      host/CL3        esx-21 esx-22
      datastore/      ds-21
      network/        pg-dc2
      vm/unassigned   orphan-01 (CL3) -- the same name as DC1's orphan-01 on purpose: VM names are only
                      unique per folder, and name-only lookups pick the wrong one.

    There is no "VM Network": only the spec's networks exist (plus dvs-01's uplink port group).
    Every tenant VM and its configuration server carry the custom attribute tenant=<tenant>;
    the orphans carry none. All VMs are powered on.
    Directory (vsphere.local): users acme-dr, globex-dr, initech-dr (the tenants' vCenter access
    accounts, see ``dr_account``) and partner-admin; group dr-operators.

``single_tenant_inventory(tenant)`` -- a dedicated-hosting or MSP (customer-owned) vCenter: DC1, CL1
with esx-01/esx-02, ds-01/ds-02, pg-<tenant> and pg-mgmt, resource pool tenants/<tenant>, VM folders
tenants/<tenant> and mgmt, VMs <tenant>-vm01..03 and mgmt/<tenant>-cs01; user <tenant>-dr@vsphere.local.

``generated_inventory(tenants, vms_per_tenant=5)`` -- scale inventory for benchmarks (layout in its
docstring).
"""

import math

TENANTS = ("acme", "globex", "initech")
SSO_DOMAIN = "vsphere.local"


def dr_account(tenant):
    """The tenant's vCenter access account (login@domain) that the inventories put in the directory."""
    return "%s-dr@%s" % (tenant, SSO_DOMAIN)


def _vm(name, folder, cluster=None, host=None, resource_pool=None, datastores=("ds-01",), networks=(),
        tenant=None):
    vm = {"name": name, "folder": folder, "datastores": list(datastores), "networks": list(networks)}
    if cluster:
        vm["cluster"] = cluster
    if host:
        vm["host"] = host
    if resource_pool:
        vm["resource_pool"] = resource_pool
    if tenant:
        vm["custom_attributes"] = {"tenant": tenant}
    return vm


def sample_inventory():
    """The shared-hosting demo/test vCenter (layout in the module docstring)."""
    t = "tenants/"
    vms = [
        _vm("acme-vm01", t + "acme", "CL1", "esx-01", t + "acme", ["ds-01"], ["pg-acme"], "acme"),
        _vm("acme-vm02", t + "acme", "CL1", "esx-02", t + "acme", ["ds-01"], ["pg-acme"], "acme"),
        _vm("acme-db01", t + "acme", "CL1", "esx-03", t + "acme", ["ds-01", "ds-02"], ["pg-acme"], "acme"),
        _vm("globex-vm01", t + "globex", "CL1", "esx-03", t + "globex", ["ds-02"], ["pg-globex"], "globex"),
        _vm("globex-vm02", t + "globex", "CL2", "esx-04", None, ["ds-02"], ["pg-globex"], "globex"),
        _vm("initech-vm01", t + "initech", "CL1", "esx-01", t + "initech", ["ds-03"], ["dvpg-initech"], "initech"),
        _vm("initech-vm02", t + "initech", None, "esx-10", None, ["ds-04"], ["dvpg-initech"], "initech"),
        _vm("acme-cs01", "mgmt", "CL2", "esx-04", None, ["ds-01"], ["pg-mgmt", "pg-acme"], "acme"),
        _vm("globex-cs01", "mgmt", "CL2", "esx-05", None, ["ds-01"], ["pg-mgmt", "pg-globex"], "globex"),
        _vm("initech-cs01", "mgmt", "CL2", "esx-05", None, ["ds-01"], ["pg-mgmt", "dvpg-initech"], "initech"),
        _vm("orphan-01", "unassigned", "CL2", "esx-05", None, ["ds-01"], ["pg-mgmt"]),
        _vm("orphan-02", "unassigned", None, "esx-10", None, ["ds-02"], []),
    ]
    dc1 = {
        "name": "DC1",
        "clusters": [
            {"name": "CL1", "hosts": ["esx-01", "esx-02", "esx-03"],
             "resource_pools": ["tenants"] + [t + x for x in TENANTS]},
            {"name": "CL2", "hosts": ["esx-04", "esx-05"], "resource_pools": []},
        ],
        "standalone_hosts": ["esx-10"],
        "datastores": ["ds-01", "ds-02", "ds-03", "ds-04"],
        "datastore_clusters": [{"name": "dsc-01", "datastores": ["ds-03", "ds-04"]}],
        "networks": ["pg-acme", "pg-globex", "pg-mgmt"],
        "distributed_switches": [{"name": "dvs-01", "portgroups": ["dvpg-initech"]}],
        "vm_folders": [t + x for x in TENANTS] + ["mgmt", "unassigned"],
        "vms": vms,
    }
    dc2 = {
        "name": "DC2",
        "clusters": [{"name": "CL3", "hosts": ["esx-21", "esx-22"], "resource_pools": []}],
        "datastores": ["ds-21"],
        "networks": ["pg-dc2"],
        "vm_folders": ["unassigned"],
        "vms": [_vm("orphan-01", "unassigned", "CL3", None, None, ["ds-21"], ["pg-dc2"])],
    }
    return {"datacenters": [dc1, dc2],
            "users": [dr_account(x) for x in TENANTS] + ["partner-admin@" + SSO_DOMAIN],
            "groups": ["dr-operators@" + SSO_DOMAIN]}


def single_tenant_inventory(tenant):
    """A vCenter that serves one tenant (dedicated hosting, or the tenant's own vCenter for an MSP)."""
    folder, pg = "tenants/" + tenant, "pg-" + tenant
    vms = [_vm("%s-vm%02d" % (tenant, i), folder, "CL1", None, folder, ["ds-01"], [pg], tenant) for i in (1, 2, 3)]
    vms.append(_vm(tenant + "-cs01", "mgmt", "CL1", "esx-02", None, ["ds-02"], ["pg-mgmt", pg], tenant))
    return {"datacenters": [{
        "name": "DC1",
        "clusters": [{"name": "CL1", "hosts": ["esx-01", "esx-02"], "resource_pools": [folder]}],
        "datastores": ["ds-01", "ds-02"],
        "networks": [pg, "pg-mgmt"],
        "vm_folders": [folder, "mgmt"],
        "vms": vms,
    }], "users": [dr_account(tenant)]}


def tenant_name(i):
    """Name of the i-th (1-based) generated tenant: t0001, t0002, ..."""
    return "t%04d" % i


def generated_inventory(tenants, vms_per_tenant=5, tenants_per_cluster=20, hosts_per_cluster=10, datastores=4):
    """Scale inventory for benchmarks: one datacenter DC1 with

    - tenants t0001..tNNNN, ``tenants_per_cluster`` per cluster; clusters CL01, CL02, ... of
      ``hosts_per_cluster`` hosts (esx-CC-HH); so 1000 tenants -> 50 clusters, 500 hosts;
    - shared datastores ds-01..ds-NN on every host, the last two in the datastore cluster dsc-01;
      tenant i uses ds-(i mod N);
    - per tenant: VM folder tenants/<t>, resource pool tenants/<t> in its cluster, port group
      pg-<t> on its cluster's hosts, VMs <t>-vm01..<t>-vmNN (round robin over the cluster's hosts)
      and a configuration server mgmt/<t>-cs01 (cluster root pool, pg-mgmt + pg-<t>);
      all with custom attribute tenant=<t>; directory user <t>-dr@vsphere.local;
    - pg-mgmt on every host.
    """
    if tenants < 1 or vms_per_tenant < 0:
        raise ValueError("tenants must be >= 1 and vms_per_tenant >= 0")
    n_clusters = int(math.ceil(tenants / float(tenants_per_cluster)))
    ds_names = ["ds-%02d" % (i + 1) for i in range(max(1, datastores))]
    clusters, vms, folders, users = [], [], ["mgmt"], []
    for c in range(n_clusters):
        cname = "CL%02d" % (c + 1)
        members = [tenant_name(i + 1) for i in range(c * tenants_per_cluster, min(tenants, (c + 1) * tenants_per_cluster))]
        clusters.append({
            "name": cname,
            "hosts": ["esx-%02d-%02d" % (c + 1, h + 1) for h in range(hosts_per_cluster)],
            "resource_pools": ["tenants/" + t for t in members],
            "networks": ["pg-" + t for t in members],
        })
        for t in members:
            i = int(t[1:])
            ds = ds_names[i % len(ds_names)]
            folder = "tenants/" + t
            folders.append(folder)
            users.append(dr_account(t))
            for v in range(vms_per_tenant):
                vms.append(_vm("%s-vm%02d" % (t, v + 1), folder, cname, None, folder, [ds], ["pg-" + t], t))
            vms.append(_vm(t + "-cs01", "mgmt", cname, None, None, [ds], ["pg-mgmt", "pg-" + t], t))
    dc = {
        "name": "DC1",
        "clusters": clusters,
        "datastores": ds_names,
        "networks": ["pg-mgmt"],
        "vm_folders": folders,
        "vms": vms,
    }
    if len(ds_names) >= 3:
        dc["datastore_clusters"] = [{"name": "dsc-01", "datastores": ds_names[-2:]}]
    return {"datacenters": [dc], "users": users}
