"""Preflight's Azure checks against the local ARM endpoint through the real azure-identity / azure-mgmt SDKs: subscription
missing or Disabled, another tenant's vault, a location not offered, the provider not registered (a warning) - and not
one ARM write (the endpoint's request log)."""
from __future__ import annotations

import os

import pytest

from tests.integration.azure.conftest import arm  # noqa: F401  pylint: disable=unused-import  # the fixture
from tests.support.modules import run_module

from ansible_collections.tenantdr.asr.plugins.module_utils import preflight as pf
from ansible_collections.tenantdr.asr.plugins.module_utils.azure_common import AzureApiError, AzureSession

pytestmark = pytest.mark.arm


def tenant_vars(arm_endpoint, name, subscription, **changes):
    v = {'tenant_topology': 'shared_hsp', 'tenant_access_account': '%s-dr@vsphere.local' % name, 'tenant_name': name,
         'tenant_subscription_id': subscription, 'tenant_location': 'westeurope',
         'tenantdr_vcenter_enabled': False,
         'tenantdr_azure_connection': {'cloud_environment': arm_endpoint.base_url, 'auth_source': 'msi', 'polling_interval': 0.01},
         'tenant_access_principals': [{'object_id': '7c9e6679-7425-40de-944b-e07fc1f90a01', 'type': 'User'}]}
    v.update(changes)
    return v


def test_azure_problems_are_found_with_reads_only(arm):  # noqa: F811  pylint: disable=redefined-outer-name
    # globex already has its vault in rg-dr (made by the collection's own module, so tagged tenant=globex)
    run_module('asr_vault', {**arm.module_args(), 'resource_group': 'rg-dr', 'create_resource_group': True,
                             'name': 'rsv-dr', 'location': 'westeurope', 'tags': {'tenant': 'globex'}})
    disabled = arm.add_subscription()
    arm.set_subscription_state('Disabled', disabled)
    unregistered = arm.add_subscription(rp_registered=False)
    missing = '3f2a8c10-5b1e-4d7a-9c3e-0a1b2c3d4eff'
    hostvars = {
        'acme': tenant_vars(arm, 'acme', arm.subscription_id, tenant_resource_group='rg-dr', tenant_vault_name='rsv-dr'),
        'globex': tenant_vars(arm, 'globex', arm.subscription_id, tenant_resource_group='rg-dr', tenant_vault_name='rsv-dr'),
        'initech': tenant_vars(arm, 'initech', disabled),
        'contoso': tenant_vars(arm, 'contoso', missing),
        'fabrikam': tenant_vars(arm, 'fabrikam', unregistered),
        'umbrella': tenant_vars(arm, 'umbrella', unregistered, tenant_location='marsnorth'),
    }
    records = pf.tenant_records_from_hostvars(hostvars, list(hostvars), environ=os.environ)
    arm.reset_log()
    run = ['acme', 'initech', 'contoso', 'fabrikam', 'umbrella']  # globex is outside the run
    out = pf.run_preflight(records, run, azure_session=AzureSession, environ=os.environ)

    assert arm.writes() == []
    assert out['valid'] == ['fabrikam']
    p = out['problems']
    # acme: the inventory says globex (outside the run) uses that vault, and Azure says the vault is globex's
    assert any("also the vault of tenant(s) globex (globex outside this run)" in x for x in p['acme'])
    assert any("vault 'rsv-dr' in resource group 'rg-dr' already exists and belongs to tenant 'globex'" in x for x in p['acme'])
    assert p['initech'] == ['Azure: tenant_subscription_id subscription %s is Disabled, not Enabled (Azure accepts no new '
                            'resources in it); valid state: Enabled - re-enable it in the Azure portal / Partner Center' % disabled]
    assert len(p['contoso']) == 1 and 'subscription not found' in p['contoso'][0] and missing in p['contoso'][0]
    assert len(p['umbrella']) == 1 and "tenant_location 'marsnorth' is not offered" in p['umbrella'][0]
    assert 'westeurope' in p['umbrella'][0]
    assert out['warnings']['fabrikam'] == ['Azure: resource provider Microsoft.RecoveryServices is NotRegistered in the '
                                           'subscription; the onboarding registers it']
    # reads: per subscription the subscription and the provider, per tenant its resource group (and vault)
    gets = [r['path'].lower() for r in arm.requests_log() if r['method'] == 'GET']
    assert gets.count('/subscriptions/%s' % unregistered.lower()) == 1
    assert gets.count('/subscriptions/%s/providers/microsoft.recoveryservices' % unregistered.lower()) == 1
    # a Disabled subscription refuses writes in the endpoint as in Azure (what preflight spares the run)
    failed = run_module('asr_vault', {**arm.module_args(), 'subscription_id': disabled, 'resource_group': 'rg-x',
                                      'create_resource_group': True, 'name': 'rsv-x', 'location': 'westeurope'},
                        expect_failure=True)
    assert 'ReadOnlyDisabledSubscription' in failed['msg']


def test_graph_hook_names_missing_principals_and_an_unreachable_graph_is_a_warning(arm):  # noqa: F811  pylint: disable=redefined-outer-name
    hostvars = {'acme': tenant_vars(arm, 'acme', arm.subscription_id)}
    records = pf.tenant_records_from_hostvars(hostvars, ['acme'], environ=os.environ)
    asked = []

    def graph_not_found(session, object_ids):
        asked.append((session.subscription_id, object_ids))
        return {oid: None for oid in object_ids}
    out = pf.run_preflight(records, ['acme'], azure_session=AzureSession, environ=os.environ, graph_lookup=graph_not_found)
    assert asked == [(arm.subscription_id, ['7c9e6679-7425-40de-944b-e07fc1f90a01'])]
    assert out['problems']['acme'] == ['Azure: tenant_access_principals[0].object_id 7c9e6679-7425-40de-944b-e07fc1f90a01 was '
                                       'not found in the tenant directory (Microsoft Graph)']

    def graph_down(session, object_ids):
        raise AzureApiError('Graph request failed: could not reach Azure', code='ServiceRequestError')
    out = pf.run_preflight(records, ['acme'], azure_session=AzureSession, environ=os.environ, graph_lookup=graph_down)
    assert out['valid'] == ['acme']
    assert out['warnings']['acme'] == ['Azure: Microsoft Graph not reachable, principals checked for format only: Graph request '
                                       'failed: could not reach Azure']
    assert arm.writes() == []
