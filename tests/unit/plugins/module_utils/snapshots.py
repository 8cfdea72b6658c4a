"""Hand-built Snapshot objects for pure unit tests (no vCenter)."""
from __future__ import annotations

from ansible_collections.tenantdr.asr.plugins.module_utils.vcenter import Snapshot, _build_paths, _annotate

ROLES = [
    dict(id=-1, name='Admin', label='Administrator', system=True, privileges=['System.Anonymous', 'System.Read', 'System.View', 'X.Y']),
    dict(id=-2, name='ReadOnly', label='Read-only', system=True, privileges=['System.Anonymous', 'System.Read', 'System.View']),
    dict(id=-5, name='NoAccess', label='No access', system=True, privileges=[]),
    dict(id=1000, name='Azure_Site_Recovery', label='Azure_Site_Recovery', system=False,
         privileges=['Datastore.Browse', 'System.Anonymous', 'System.Read', 'System.View']),
]


def small_snapshot(permissions=None):
    """/DC1 with a cluster, a standalone host, a VM folder tree and two VMs."""
    objs = {}

    def add(moid, typ, name, parent, **kw):
        objs[moid] = dict(moid=moid, type=typ, name=name, parent=parent, **kw)

    add('group-d1', 'Folder', 'Datacenters', None, child_type=['Datacenter'])
    add('datacenter-1', 'Datacenter', 'DC1', 'group-d1', vm_folder='group-v1', host_folder='group-h1',
        datastore_folder='group-s1', network_folder='group-n1')
    add('group-v1', 'Folder', 'vm', 'datacenter-1', child_type=['VirtualMachine'])
    add('group-h1', 'Folder', 'host', 'datacenter-1', child_type=['ComputeResource'])
    add('group-s1', 'Folder', 'datastore', 'datacenter-1', child_type=['Datastore'])
    add('group-n1', 'Folder', 'network', 'datacenter-1', child_type=['Network'])
    add('domain-c1', 'ClusterComputeResource', 'CL1', 'group-h1', resource_pool='resgroup-1', hosts=['host-1'])
    add('resgroup-1', 'ResourcePool', 'Resources', 'domain-c1')
    add('host-1', 'HostSystem', 'esx-01', 'domain-c1', datastores=['datastore-1'], networks=['network-1'])
    add('domain-s2', 'ComputeResource', 'esx-10', 'group-h1', resource_pool='resgroup-2', hosts=['host-10'])
    add('resgroup-2', 'ResourcePool', 'Resources', 'domain-s2')
    add('host-10', 'HostSystem', 'esx-10', 'domain-s2', datastores=['datastore-1'], networks=['network-1'])
    add('datastore-1', 'Datastore', 'ds-01', 'group-s1')
    add('network-1', 'Network', 'pg-acme', 'group-n1')
    add('group-v2', 'Folder', 'tenants', 'group-v1', child_type=['VirtualMachine'])
    add('group-v3', 'Folder', 'acme', 'group-v2', child_type=['VirtualMachine'])
    add('vm-1', 'VirtualMachine', 'acme-vm01', 'group-v3', resource_pool='resgroup-1', host='host-1',
        datastores=['datastore-1'], networks=['network-1'], custom_attributes={'tenant': 'acme'}, template=False)
    add('vm-2', 'VirtualMachine', 'acme-vm02', 'group-v3', resource_pool='resgroup-2', host='host-10',
        datastores=['datastore-1'], networks=['network-1'], custom_attributes={}, template=False)
    _build_paths(objs, 'group-d1')
    _annotate(objs)
    privs = [dict(id=p, group=p.rsplit('.', 1)[0], name=p.rsplit('.', 1)[1], on_parent=False) for p in [
        'System.Anonymous', 'System.Read', 'System.View', 'Datastore.Browse', 'Datastore.AllocateSpace',
        'VirtualMachine.Config.Rename', 'VirtualMachine.Config.Memory']]
    return Snapshot(objs, 'group-d1', [dict(r) for r in ROLES], privs, list(permissions or []))
