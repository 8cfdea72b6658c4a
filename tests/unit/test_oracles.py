"""Consistency of the hand-written oracles (tests/support/expected_plan.py, asr_privileges.py) - typos in a table
would otherwise make the tests that use it wrong in the same way as the code."""
from __future__ import annotations

import pytest

from tests.lab import verify
from tests.support.asr_privileges import READ_ONLY, SEED_000_IDS, VM_CONFIG_65U1, expected_asr_role
from tests.support.expected_plan import DOMAIN_ADDITIONS, EXACT, PLACEMENTS, expected_objects
from tests.simulator.inventory import sample_inventory, single_tenant_inventory

SEED_KINDS = {'vcenter_root', 'datacenter', 'cluster', 'host', 'datastore', 'network', 'management_server', 'tenant_vm'}


def spec_paths(spec):
    """Every path the simulator spec creates that can appear in a plan (inventory.py docstring layout)."""
    out = {'/'}
    for dc in spec['datacenters']:
        base = '/' + dc['name']
        out.add(base)
        for cl in dc.get('clusters', []):
            out.add('%s/host/%s' % (base, cl['name']))
            out.update('%s/host/%s/%s' % (base, cl['name'], h) for h in cl['hosts'])
        out.update('%s/host/%s' % (base, h) for h in dc.get('standalone_hosts', []))
        in_pod = {}
        for pod in dc.get('datastore_clusters', []):
            out.add('%s/datastore/%s' % (base, pod['name']))
            in_pod.update({d: pod['name'] for d in pod['datastores']})
        out.update('%s/datastore/%s' % (base, '%s/%s' % (in_pod[d], d) if d in in_pod else d) for d in dc['datastores'])
        out.update('%s/network/%s' % (base, n) for n in dc.get('networks', []))
        for dvs in dc.get('distributed_switches', []):
            out.update('%s/network/%s' % (base, n) for n in dvs['portgroups'])
        out.update('%s/vm/%s/%s' % (base, vm['folder'], vm['name']) for vm in dc['vms'])
    return out


@pytest.mark.parametrize('tenant', sorted(EXACT))
def test_every_planned_path_exists_in_the_simulator_spec(tenant):
    spec = sample_inventory() if tenant in ('acme', 'globex', 'initech') else single_tenant_inventory(tenant)
    paths = spec_paths(spec)
    for placement in PLACEMENTS:
        missing = sorted(set(expected_objects(tenant, placement)) - paths)
        assert missing == [], missing


@pytest.mark.parametrize('tenant', sorted(EXACT))
def test_each_plan_has_every_kind_of_the_seed_table_and_domain_only_adds_hosts_and_datastores(tenant):
    kinds = {kind for _typ, kind, _role in EXACT[tenant].values()}
    assert SEED_KINDS <= kinds
    assert not set(DOMAIN_ADDITIONS[tenant]) & set(EXACT[tenant])
    assert {kind for _typ, kind, _role in DOMAIN_ADDITIONS[tenant].values()} <= {'host', 'datastore'}


def test_roles_of_the_plan():
    acme = expected_objects('acme', 'exact')
    assert acme['/'][2] == 'ReadOnly' and {r for p, (_t, _k, r) in acme.items() if p != '/'} == {'Azure_Site_Recovery'}
    initech = expected_objects('initech', 'domain', failback=False)
    assert {r for _t, _k, r in initech.values()} == {'ReadOnly'}
    with pytest.raises(ValueError, match="placement 'nearby' is not one of exact, domain"):
        expected_objects('acme', 'nearby')


def test_verify_default_placement_is_a_known_placement():
    assert verify.DEFAULT_PLACEMENT in PLACEMENTS


def test_expected_role_on_the_simulators_privilege_list():
    server = set(READ_ONLY) | set(SEED_000_IDS) | set(VM_CONFIG_65U1) | {'Host.Config.Power', 'VirtualMachine.Interact.Reset'}
    assert expected_asr_role(server) == set(READ_ONLY) | set(SEED_000_IDS) | set(VM_CONFIG_65U1)
    without_delete = server - {'Datastore.DeleteFile'}
    assert 'Datastore.DeleteFile' not in expected_asr_role(without_delete)
