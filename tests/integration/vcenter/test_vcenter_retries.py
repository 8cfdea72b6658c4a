"""Transient vSphere failures are retried: the simulator drops the connection (or answers 503) on chosen calls
(tests/simulator/vcsim/faults.go) and the modules still converge, once, with the retries reported."""
from __future__ import annotations

import pytest

from tests.support.modules import run_module
from tests.support.tenants import tenants

pytestmark = pytest.mark.vcsim

MODULE = 'vcenter_tenants'
FAST = dict(retries=3)


def calls(sim, method):
    return sim.soap_calls(method)


@pytest.mark.parametrize('method,kind', [
    ('RetrievePropertiesEx', 'drop'),
    ('RetrieveAllPermissions', '503'),
    ('SetEntityPermissions', 'drop'),
    ('SetEntityPermissions', 'drop_after'),   # the write went through, the answer was lost: the upsert is repeated
    ('AddAuthorizationRole', 'drop_after'),   # the role exists after all: adopted, not created twice
    ('Login', 'drop'),
])
def test_a_dropped_call_is_retried_and_the_run_converges(fresh_vcsim, method, kind):
    fresh_vcsim.inject_fault(method, kind=kind, count=1)
    res = run_module(MODULE, fresh_vcsim.connection_args(tenants=tenants(), fail_on_leak=True, **FAST))
    assert res['audit']['clean']
    assert [r['call'] for r in res['retries']] and res['retries'][0]['attempt'] == 1
    assert method in res['retries'][0]['call'] or res['retries'][0]['call'] == 'login'
    again = run_module(MODULE, fresh_vcsim.connection_args(tenants=tenants(), **FAST))
    assert again['writes'] == 0 and not again['changed']


def test_retries_are_bounded_and_the_failure_is_one_clear_message(fresh_vcsim):
    fresh_vcsim.inject_fault('RetrieveAllPermissions', kind='drop', count=10)
    res = run_module(MODULE, fresh_vcsim.connection_args(tenants=tenants(), retries=2), expect_failure=True)
    assert len(res['retries']) == 2
    assert 'lost the connection to vCenter' in res['msg'] and 'after 2 retries' in res['msg']
    assert 'Traceback' not in res['msg']
    fresh_vcsim.clear_faults()


def test_retries_zero_fails_at_once(fresh_vcsim):
    fresh_vcsim.inject_fault('RetrievePropertiesEx', kind='503', count=1)
    fresh_vcsim.reset_stats()
    res = run_module(MODULE, fresh_vcsim.connection_args(tenants=tenants(), retries=0), expect_failure=True)
    assert 'retries' not in res and calls(fresh_vcsim, 'RetrievePropertiesEx') == 1
    assert '503' in res['msg']


@pytest.mark.parametrize('method', ['RemoveEntityPermission', 'RemoveAuthorizationRole'])
def test_a_removal_whose_answer_was_lost_is_done(fresh_vcsim, method):
    """Offboarding: the removal went through and its answer was lost; the retried call finds nothing left to remove
    (vCenter's NotFound), which is what was asked - the run goes on, and a re-run has nothing to do."""
    run_module(MODULE, fresh_vcsim.connection_args(tenants=tenants(), **FAST))
    everyone = ['acme', 'globex', 'initech']
    fresh_vcsim.inject_fault(method, kind='drop_after', count=1)
    res = run_module(MODULE, fresh_vcsim.connection_args(tenants=tenants(), offboard=everyone, **FAST))
    assert [r['call'] for r in res['retries']] == [method] and res['retries'][0]['attempt'] == 1
    assert res['offboarding']['summary']['remove'] > 0 and res['offboarding']['roles_deleted']
    again = run_module(MODULE, fresh_vcsim.connection_args(tenants=tenants(), offboard=everyone, **FAST))
    assert again['writes'] == 0 and not again['changed'] and not again['offboarding']['roles_deleted']
