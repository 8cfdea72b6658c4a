"""Fixtures of the CSP tests: the local ARM endpoint (the Azure tests' fixture) with the local Partner Center + Graph
endpoint next to it, and a partner application that signs in at the ARM endpoint's Entra ID token route."""
from __future__ import annotations

import pytest

from tests.integration.azure.conftest import arm  # noqa: F401  pylint: disable=unused-import
from tests.partner_center.controller import LocalPartnerCenterEndpoint

PARTNER_ENV = ("PARTNER_CENTER_TENANT", "PARTNER_CENTER_CLIENT_ID", "PARTNER_CENTER_SECRET", "PARTNER_CENTER_URL",
               "MICROSOFT_GRAPH_URL", "PARTNER_CENTER_CERTIFICATE_PATH", "PARTNER_CENTER_CA_PATH")


@pytest.fixture
def pc(arm, monkeypatch):  # pylint: disable=redefined-outer-name
    for name in PARTNER_ENV:
        monkeypatch.delenv(name, raising=False)
    with LocalPartnerCenterEndpoint(arm) as endpoint:
        endpoint.app = endpoint.add_application()
        yield endpoint


# The tenant of the tests, written by hand from Partner Center's documented examples (create-a-customer).
CUSTOMER = {
    "domain": "contosodr.onmicrosoft.com",
    "company_name": "Contoso DR Ltd",
    "email": "it@contoso.example",
    "first_name": "Dana",
    "last_name": "Lee",
    "culture": "en-US",
    "language": "en",
    "address": {"address_line1": "1 Microsoft Way", "city": "Redmond", "region": "WA", "postal_code": "98052",
                "country": "US"},
    "mca_acceptance": {"first_name": "Dana", "last_name": "Lee", "email": "dana.lee@contoso.example", "date": "2026-11-20"},
}
