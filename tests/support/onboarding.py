"""Onboard tenants' vCenter side with the collection's modules, the way the onboarding playbook chains them
(vcenter_tenant_role -> tenant_mapping -> vcenter_nonpropagating_permission with ``exclusive``), for tests that then
check the result independently (tests/lab/verify.py, pyVmomi)."""
from __future__ import annotations

from tests.support.modules import run_module


def onboard(sim, tenants, **mapping_options):
    """Create the DR role, plan ``tenants`` and apply every plan exclusively; return the permission module's result."""
    if any(t.get('failback', True) for t in tenants):
        run_module('vcenter_tenant_role', sim.connection_args())
    mapping = run_module('tenant_mapping', sim.connection_args(tenants=tenants, **mapping_options))
    return run_module('vcenter_nonpropagating_permission',
                      sim.connection_args(assignments=mapping['assignments'], exclusive=True))


def verify_tenant(tenant, placement=None):
    """A tenant definition (tests/support/tenants.py form) as tests/lab/verify.py expects it."""
    return dict(name=tenant['name'], access_account=tenant['access_account'],
                dr_role=tenant.get('dr_role', 'Azure_Site_Recovery'), failback=tenant.get('failback', True),
                placement=placement)
