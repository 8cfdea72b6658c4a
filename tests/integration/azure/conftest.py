"""Fixtures of the Azure integration tests: a fresh local ARM endpoint per test.

The modules run in-process (``tests/support/modules.py``) through the real azure-identity and azure-mgmt-* SDKs; the
module "process" environment is the endpoint's (``LocalArmEndpoint.env()``: CA bundle, managed-identity endpoint,
subscription), set with monkeypatch. Azure variables of the developer's shell are removed so they cannot leak in.
"""
from __future__ import annotations

import pytest

from tests.arm.controller import LocalArmEndpoint

AZURE_ENV = ("AZURE_CLIENT_ID", "AZURE_SECRET", "AZURE_TENANT", "AZURE_SUBSCRIPTION_ID", "AZURE_CLOUD_ENVIRONMENT",
             "AZURE_AD_USER", "AZURE_PASSWORD", "AZURE_CERTIFICATE_PATH", "AZURE_CERTIFICATE_PASSWORD",
             "ANSIBLE_AZURE_AUTH_SOURCE", "AZURE_AUTHORITY_HOST", "MSI_ENDPOINT", "MSI_SECRET", "IDENTITY_SERVER_THUMBPRINT",
             "IMDS_ENDPOINT", "AZURE_FEDERATED_TOKEN_FILE", "AZURE_REGIONAL_AUTHORITY_NAME")


@pytest.fixture
def arm(monkeypatch):
    """A fresh local ARM endpoint; the test's environment is the one a module process would get."""
    for name in AZURE_ENV:
        monkeypatch.delenv(name, raising=False)
    with LocalArmEndpoint() as endpoint:
        for name, value in endpoint.env().items():
            monkeypatch.setenv(name, value)
        endpoint.reset_log()
        yield endpoint
