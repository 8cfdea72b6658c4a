"""Which failures are transient, and the retry loop's bound and backoff (pure: fake sleep, fixed jitter)."""
from __future__ import annotations

import errno
import http.client
import socket
import ssl

import pytest
from pyVmomi import vim, vmodl

from ansible_collections.tenantdr.asr.plugins.module_utils.vcenter import backoff_delays, is_transient, with_retries


@pytest.mark.parametrize('exc,expected', [
    (http.client.RemoteDisconnected('Remote end closed connection without response'), True),
    (ConnectionResetError(errno.ECONNRESET, 'Connection reset by peer'), True),
    (socket.timeout('timed out'), True),
    (http.client.HTTPException('503 Service Unavailable'), True),
    (http.client.HTTPException('404 Not Found'), False),
    (OSError(errno.ENOENT, 'No such file'), False),
    (vmodl.fault.HostCommunication(), True),
    (vmodl.fault.SystemError(), True),
    (vim.fault.InvalidLogin(), False),
    (vim.fault.AlreadyExists(), False),
    (vmodl.fault.InvalidArgument(), False),
    (ssl.SSLCertVerificationError('certificate verify failed'), False),
    (ValueError('x'), False),
])
def test_transient_classification(exc, expected):
    assert is_transient(exc) is expected


def test_backoff_is_jittered_exponential_and_capped():
    assert [round(d, 3) for d in backoff_delays(6, rng=lambda: 1.0)] == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0]
    assert [round(d, 3) for d in backoff_delays(3, rng=lambda: 0.0)] == [0.05, 0.1, 0.2]


def test_retries_until_success_and_reports_each_retry():
    outcomes = [ConnectionResetError(errno.ECONNRESET, 'reset'), vmodl.fault.HostCommunication(), 'ok']
    slept, seen = [], []

    def call():
        item = outcomes.pop(0)
        if isinstance(item, Exception):
            raise item
        return item
    assert with_retries(call, retries=4, what='read', on_retry=lambda e, a, d, w: seen.append((type(e).__name__.split('.')[-1], a, w)),
                        sleep=slept.append, delays=[0.1, 0.2, 0.4, 0.8]) == 'ok'
    assert seen == [('ConnectionResetError', 1, 'read'), ('HostCommunication', 2, 'read')]
    assert slept == [0.1, 0.2]


def test_bound_and_non_transient_failures():
    attempts = []

    def flaky():
        attempts.append(1)
        raise http.client.RemoteDisconnected('gone')
    with pytest.raises(http.client.RemoteDisconnected):
        with_retries(flaky, retries=2, sleep=lambda d: None)
    assert len(attempts) == 3

    def refused():
        attempts.append(2)
        raise vim.fault.InvalidLogin()
    with pytest.raises(vim.fault.InvalidLogin):
        with_retries(refused, retries=5, sleep=lambda d: None)
    assert attempts.count(2) == 1
