"""The Azure module base (plugins/module_utils/azure_module.py): the frame every Azure module runs in - the shared
connection options, one fail_json with every problem before the network, the session closed, and Azure errors,
OSError and plan errors each mapped to one message with the changes already made. The run() bodies below raise the
exceptions the real SDK / file system raise; no network is used (the session is only constructed)."""
from __future__ import annotations

import contextlib
import io
import json

import pytest
from ansible.module_utils import _internal as module_internal
from ansible.module_utils.testing import patch_module_args
from unittest import mock

from azure.core.exceptions import HttpResponseError

from ansible_collections.tenantdr.asr.plugins.module_utils.azure_common import AzureApiError
from ansible_collections.tenantdr.asr.plugins.module_utils.azure_module import AzureModuleBase, PartnerCenterModuleBase

SUB = "0b1f6471-1bf0-4dda-aec3-111122223333"


class PlanProblem(Exception):
    def __init__(self, message, code=None, **details):
        super().__init__(message)
        self.message, self.code, self.details = message, code, details


class Probe(AzureModuleBase):
    plan_errors = (PlanProblem,)
    closed = []

    def module_options(self):
        return {"name": {"type": "str", "required": True}, "raise_what": {"type": "str", "default": "nothing"}}

    def validate(self):
        return [f"name {self.params['name']!r} is too long (at most 5 characters)"] if len(self.params["name"]) > 5 else []

    def run(self):
        self.done.append("created thing " + self.params["name"])
        what = self.params["raise_what"]
        if what == "azure":
            raise AzureApiError("Creating thing failed: Azure answered HTTP 409 Conflict: taken", code="Conflict", status=409)
        if what == "sdk":
            raise HttpResponseError(message="boom")
        if what == "oserror":
            open("/nonexistent-dir/x.VaultCredentials", "rb")  # pylint: disable=consider-using-with,unspecified-encoding
        if what == "plan":
            raise PlanProblem("location 'mars' is not offered", code="LocationNotAvailable", valid=["westeurope"])
        if what == "bug":
            raise KeyError("a programming error is not hidden")
        return {"changed": True, "subscription": self.session.subscription_id}

    def close(self):
        Probe.closed.append(self.session is not None)
        super().close()


def run(**args):
    full = {"subscription_id": SUB, "auth_source": "msi", "cloud_environment": "AzureCloud"}
    full.update(args)
    out = io.StringIO()
    with patch_module_args(full), contextlib.redirect_stdout(out), mock.patch.object(module_internal, "is_controller", False):
        with pytest.raises(SystemExit):
            Probe().execute()
    text = out.getvalue()
    return json.loads(text[text.index("{"):])


def test_connection_options_come_from_the_base_and_a_good_run_exits_with_the_result():
    Probe.closed.clear()
    result = run(name="a")
    assert result["changed"] is True and result["subscription"] == SUB
    assert Probe.closed == [True]          # the session was opened and closed


def test_all_problems_in_one_message_before_any_session():
    Probe.closed.clear()
    result = run(name="toolong", subscription_id="nope")
    assert result["failed"] is True
    assert "subscription_id 'nope' is not a subscription id" in result["msg"]
    assert "name 'toolong' is too long" in result["msg"]
    assert len(result["problems"]) == 2
    assert Probe.closed == []              # never got to the session


@pytest.mark.parametrize("what, msg, code", [
    ("azure", "Creating thing failed: Azure answered HTTP 409 Conflict: taken", "Conflict"),
    ("sdk", "Calling Azure failed: boom", "HttpResponseError"),
    ("oserror", "No such file or directory (/nonexistent-dir/x.VaultCredentials)", "FileNotFoundError"),
    ("plan", "location 'mars' is not offered", "LocationNotAvailable"),
])
def test_errors_become_one_message_with_the_changes_made(what, msg, code):
    Probe.closed.clear()
    result = run(name="a", raise_what=what)
    assert result["failed"] is True
    assert result["msg"] == msg
    assert result["error_code"] == code
    assert result["changed"] is True and result["changes"] == ["created thing a"]
    assert Probe.closed == [True]
    if what == "plan":
        assert result["valid"] == ["westeurope"]


def test_programming_errors_are_not_swallowed():
    Probe.closed.clear()
    full = {"subscription_id": SUB, "auth_source": "msi", "name": "a", "raise_what": "bug"}
    with patch_module_args(full), contextlib.redirect_stdout(io.StringIO()):
        with pytest.raises(KeyError):
            Probe().execute()
    assert Probe.closed == [True]


class Early(Probe):
    """A module whose options alone can say that there is nothing to read (asr_discovery_check without a VM list)."""

    def result_without_azure(self):
        return {"changed": False, "pending": "nothing to compare"} if self.params["name"] == "none" else None


def run_class(cls, args):
    # modules run in this process share Ansible's warning list: start from an empty one (another test's module may
    # have warned before, in the same pytest worker)
    from ansible.module_utils.common import warnings as ansible_warnings  # pylint: disable=import-outside-toplevel
    ansible_warnings._global_warnings.clear()  # pylint: disable=protected-access
    ansible_warnings._global_deprecations.clear()  # pylint: disable=protected-access
    out = io.StringIO()
    with patch_module_args(args), contextlib.redirect_stdout(out), mock.patch.object(module_internal, "is_controller", False):
        with pytest.raises(SystemExit):
            cls().execute()
    text = out.getvalue()
    return json.loads(text[text.index("{"):])


def test_a_result_without_azure_opens_no_session():
    Probe.closed.clear()
    base = {"subscription_id": SUB, "auth_source": "msi", "cloud_environment": "AzureCloud"}
    early = run_class(Early, dict(base, name="none"))
    assert early == {"changed": False, "pending": "nothing to compare", "invocation": mock.ANY}
    assert Probe.closed == []
    assert run_class(Early, dict(base, name="a"))["subscription"] == SUB      # None: the normal run
    assert Probe.closed == [True]


class FakePartnerSession:
    """What PartnerCenterModuleBase needs of azure_partner_center.PartnerSession: writes() and close()."""

    made = []

    def __init__(self, params):
        self.params = params

    def writes(self):
        return list(FakePartnerSession.made)

    def close(self):
        pass


class PartnerProbe(PartnerCenterModuleBase):
    def module_options(self):
        return {"customer_id": {"type": "str", "required": True}}

    def validate(self):
        return [] if len(self.params["customer_id"]) == 36 else [f"customer_id {self.params['customer_id']!r} is not a GUID"]

    def open_session(self):
        return FakePartnerSession(self.params)

    def run(self):
        self.done.append("order the Azure plan")
        FakePartnerSession.made.append("POST /v1/customers/x/carts")
        raise AzureApiError("Checking out the cart failed: Partner Center answered HTTP 400", code="400", status=400)


def test_partner_center_modules_get_their_connection_options_checks_and_changed_from_the_session_writes():
    FakePartnerSession.made.clear()
    refused = run_class(PartnerProbe, {"customer_id": "x", "partner_tenant": "contoso.onmicrosoft.com",
                                       "partner_client_id": "not-a-guid", "partner_secret": "pc-secret-0001"})
    assert refused["failed"] is True and len(refused["problems"]) == 2
    assert "partner_client_id 'not-a-guid' is not an application id (GUID)" in refused["msg"]
    assert "customer_id 'x' is not a GUID" in refused["msg"]
    assert FakePartnerSession.made == []
    failed = run_class(PartnerProbe, {"customer_id": SUB, "partner_tenant": "contoso.onmicrosoft.com",
                                      "partner_client_id": SUB, "partner_secret": "pc-secret-0001"})
    assert failed["msg"] == "Checking out the cart failed: Partner Center answered HTTP 400"
    assert failed["changed"] is True and failed["changes"] == ["order the Azure plan"]
    assert "pc-secret-0001" not in json.dumps(failed)                        # no_log of the base's partner_secret
