"""The three shared-hosting tenants of the sample inventory (tests/simulator/inventory.py), as tenant definitions.

Each tenant uses different selectors (VM folder; custom attribute; resource pool + name pattern, no failback)
so the tests exercise every kind.
"""
from __future__ import annotations

import copy

TENANTS = [
    dict(name='acme', topology='shared_hsp', access_account='acme-dr@vsphere.local',
         vm_selectors=dict(folders=['/DC1/vm/tenants/acme']), management_servers=['/DC1/vm/mgmt/acme-cs01']),
    dict(name='globex', topology='shared_hsp', access_account='globex-dr@vsphere.local',
         vm_selectors=dict(custom_attributes={'tenant': 'globex'}), datacenters=['/DC1'],
         management_servers=['/DC1/vm/mgmt/globex-cs01']),
    dict(name='initech', topology='shared_hsp', access_account='VSPHERE.LOCAL\\initech-dr', failback=False,
         vm_selectors=dict(resource_pools=['/DC1/host/CL1/Resources/tenants/initech'], name_patterns=['INITECH-VM*']),
         management_servers=['/DC1/vm/mgmt/initech-cs01']),
]


def tenants(**changes):
    """The three sample tenants, with per-tenant changes: tenants(globex={'vm_selectors': ...})."""
    out = copy.deepcopy(TENANTS)
    for t in out:
        t.update(changes.get(t['name'], {}))
    return out
