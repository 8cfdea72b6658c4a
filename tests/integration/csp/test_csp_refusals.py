"""Bad input refused before any write (counted on both endpoints), throttling, MS-RequestId replay, an interrupted
checkout, and the Graph principal check of asr_tenant_access."""
from __future__ import annotations

import copy

import pytest

from tests.integration.csp.conftest import CUSTOMER
from tests.support.modules import run_module

pytestmark = pytest.mark.arm


def customer_args(pc, tmp_path, **changes):
    args = dict(pc.module_args(pc.app), **copy.deepcopy(CUSTOMER), secrets_path=str(tmp_path / "s.json"))
    args.update(changes)
    return args


def make_customer(pc, tmp_path):
    return run_module("csp_customer", customer_args(pc, tmp_path))["customer"]["id"]


def refused(pc, arm, name, args):
    pc.reset_log()
    arm.reset_log()
    result = run_module(name, args, expect_failure=True)
    assert pc.writes() == [], pc.writes()
    assert arm.writes() == [], arm.writes()
    return result["msg"]


@pytest.mark.parametrize("domain, expected", [
    ("contoso.com", "must be the customer's initial domain, <prefix>.onmicrosoft.com"),
    ("con-toso.onmicrosoft.com", "the prefix 'con-toso' must be 1 to 27 letters or digits"),
    ("a" * 28 + ".onmicrosoft.com", "must be 1 to 27 letters or digits"),
])
def test_malformed_domain_refused(pc, arm, tmp_path, domain, expected):
    msg = refused(pc, arm, "csp_customer", customer_args(pc, tmp_path, domain=domain))
    assert domain in msg and expected in msg


def test_culture_not_matching_country_refused(pc, arm, tmp_path):
    msg = refused(pc, arm, "csp_customer", customer_args(pc, tmp_path, culture="de-DE", language="de"))
    assert "culture 'de-DE' does not match country US: use one of en-US" in msg
    assert "language 'de' does not match country US: use one of en" in msg


def test_address_rejected_with_suggestion(pc, arm, tmp_path):
    args = customer_args(pc, tmp_path)
    args["address"] = dict(args["address"], city="Seattle")
    msg = refused(pc, arm, "csp_customer", args)
    assert "did not verify the billing address (1 Microsoft Way, Seattle, WA, 98052, US)" in msg
    assert "suggested: 1 Microsoft Way, Redmond, WA, 98052, US" in msg


def test_domain_of_another_partner_refused(pc, arm, tmp_path):
    pc.configure(other_partner_domains=["contosodr.onmicrosoft.com"])
    msg = refused(pc, arm, "csp_customer", customer_args(pc, tmp_path))
    assert "contosodr.onmicrosoft.com already belongs to a customer of another partner" in msg


def test_mca_date_and_email_refused(pc, arm, tmp_path):
    msg = refused(pc, arm, "csp_customer", customer_args(pc, tmp_path, mca_acceptance={
        "first_name": "Dana", "last_name": "Lee", "email": "not-an-email", "date": "20-11-2026"}))
    assert "mca_acceptance.email 'not-an-email' is not an e-mail address" in msg
    assert "mca_acceptance.date '20-11-2026' is not a date (YYYY-MM-DD)" in msg


def test_subscription_display_name_over_limit_refused(pc, arm, tmp_path):
    name = "x" * 65
    msg = refused(pc, arm, "azure_subscription", dict(
        arm.module_args(auth="service_principal", client_id=pc.app["client_id"], secret=pc.app["secret"]),
        billing_account=pc.billing_account, customer_id="2d0b3c85-5b36-4b2a-9f4e-8b1a3c9f0e11", display_name=name,
        tenant_name="contoso"))
    assert f"display_name '{name}' is 65 characters; Azure allows at most 64" in msg


@pytest.mark.parametrize("options, expected", [
    ({"roles": ["Directory Readers", "Azure Wizard"]}, "GDAP role 'Azure Wizard' is not a known Entra ID built-in role: use one of Global Administrator"),
    ({"duration": "P731D"}, "duration 'P731D' is 731 days; Microsoft Graph allows P1D to P2Y (730 days)"),
    ({"duration": "two years"}, "duration 'two years' is not an ISO 8601 duration"),
    ({"display_name": "x" * 51}, "is 51 characters; Graph allows at most 50"),
])
def test_gdap_bad_input_refused(pc, arm, tmp_path, options, expected):
    customer_id = make_customer(pc, tmp_path)
    args = dict(pc.module_args(pc.app), customer_tenant_id=customer_id, display_name="tenantdr-contoso")
    args.update(options)
    assert expected in refused(pc, arm, "csp_delegated_access", args)


def test_throttling_is_waited_out_within_the_bound(pc, tmp_path):
    pc.configure(throttle={"count": 2, "retry_after": 1})
    result = run_module("csp_customer", customer_args(pc, tmp_path))
    assert result["changed"] is True
    statuses = [r["status"] for r in pc.requests_log()]
    assert statuses[:2] == [429, 429]
    assert len(pc.state()["customers"]) == 1


def test_throttling_beyond_the_bound_fails_with_partner_center_code(pc, tmp_path):
    pc.configure(throttle={"count": 50, "retry_after": 3})
    result = run_module("csp_customer", customer_args(pc, tmp_path, max_retry_wait=4), expect_failure=True)
    assert "Partner Center answered HTTP 429 error 429" in result["msg"]
    assert "max_retry_wait" in result["msg"]
    assert result["status_code"] == 429


def test_request_id_is_kept_across_a_throttled_write(pc, tmp_path):
    """The write that met 429 is re-sent with the same MS-RequestId, under the run's one MS-CorrelationId."""
    customer_id = make_customer(pc, tmp_path)
    pc.reset_log()
    pc.configure(throttle={"count": 1, "retry_after": 0, "method": "POST"})
    result = run_module("csp_tenant_users", dict(pc.module_args(pc.app), customer_id=customer_id, users=[
        {"user_principal_name": "a@contosodr.onmicrosoft.com", "display_name": "A"}], secrets_path=str(tmp_path / "u.json")))
    assert result["changed"] is True
    posts = [r for r in pc.requests_log() if r["method"] == "POST"]
    assert [r["status"] for r in posts] == [429, 201]
    assert posts[0]["request_id"] == posts[1]["request_id"]
    assert len({r["correlation_id"] for r in pc.requests_log()}) == 1
    assert pc.state()["customers"][customer_id]["users"] == ["a@contosodr.onmicrosoft.com"]


def test_repeated_request_id_replays_the_first_answer(pc, tmp_path):
    """Partner Center's idempotency (the endpoint's own behaviour, which the client relies on)."""
    import http.client  # pylint: disable=import-outside-toplevel
    import json  # pylint: disable=import-outside-toplevel
    import ssl  # pylint: disable=import-outside-toplevel
    customer_id = make_customer(pc, tmp_path)
    token = pc.arm.issue_token(pc.app["object_id"])
    body = json.dumps({"userPrincipalName": "b@contosodr.onmicrosoft.com", "displayName": "B", "firstName": "B",
                       "lastName": "B", "usageLocation": "US", "passwordProfile": {"password": "Xy7!abcdefgh"}})
    answers = []
    for _attempt in range(2):
        conn = http.client.HTTPSConnection("127.0.0.1", pc.port, context=ssl.create_default_context(cafile=pc.arm.ca_bundle))
        conn.request("POST", f"/v1/customers/{customer_id}/users", body=body, headers={
            "Authorization": f"Bearer {token}", "MS-RequestId": "0b0e4a86-7b3f-4f53-9b8e-1c2d3e4f5a6b",
            "Content-Type": "application/json"})
        response = conn.getresponse()
        answers.append((response.status, json.loads(response.read())["id"]))
        conn.close()
    assert answers[0] == answers[1] and answers[0][0] == 201
    assert pc.state()["customers"][customer_id]["users"] == ["b@contosodr.onmicrosoft.com"]


def test_interrupted_checkout_converges_without_a_second_order(pc, tmp_path):
    customer_id = make_customer(pc, tmp_path)
    plan_args = dict(pc.module_args(pc.app), customer_id=customer_id)
    pc.configure(drop_checkout_response=1, plan_subscription_delay=1)
    failed = run_module("csp_azure_plan", plan_args, expect_failure=True)
    assert failed["msg"].startswith("Checking out the Azure plan cart failed")
    pc.reset_log()
    pending = run_module("csp_azure_plan", plan_args)
    assert pending["changed"] is False and pending["pending"] is True and pending["plan"]["status"] == "ordered"
    assert pc.writes() == []
    done = run_module("csp_azure_plan", plan_args)
    assert done["changed"] is False and done["pending"] is False and done["plan"]["status"] == "active"
    assert done["plan"]["subscription_id"] == pending["plan"]["subscription_id"]
    assert len(pc.state()["customers"][customer_id]["orders"]) == 1
    assert pc.writes() == []


def test_plan_refused_before_mca(pc, arm, tmp_path):
    run_module("csp_customer", customer_args(pc, tmp_path, mca_acceptance=None))
    customer_id = list(pc.state()["customers"])[0]
    msg = refused(pc, arm, "csp_azure_plan", dict(pc.module_args(pc.app), customer_id=customer_id))
    assert f"customer {customer_id} has not accepted the Microsoft Customer Agreement" in msg


def test_interrupted_subscription_alias_converges_on_the_same_subscription(pc, arm, tmp_path):
    customer_id = make_customer(pc, tmp_path)
    run_module("csp_azure_plan", dict(pc.module_args(pc.app), customer_id=customer_id))
    azure = arm.module_args(auth="service_principal", client_id=pc.app["client_id"], secret=pc.app["secret"])
    args = dict(azure, billing_account=pc.billing_account, customer_id=customer_id, display_name="contoso DR",
                tenant_name="contoso")
    check = run_module("azure_subscription", args, check_mode=True)
    assert check["changed"] is True and check["subscription_id"] is None
    before = set(arm.state()["subscriptions"])
    first = run_module("azure_subscription", args)
    second = run_module("azure_subscription", dict(args, display_name="contoso DR renamed"))
    assert first["subscription_id"] == second["subscription_id"] and second["changed"] is False
    assert set(arm.state()["subscriptions"]) - before == {first["subscription_id"]}


def test_tenant_access_refuses_unknown_and_mistyped_principals(pc, arm):
    user = pc.add_directory_object("#microsoft.graph.user", "DR Operator")
    group = pc.add_group("DR operators")
    unknown = "9a1e4c7d-2b3f-4e5a-8c6d-7e8f9a0b1c2d"
    base = dict(arm.module_args(), graph_url=pc.base_url, principal_wait=0)
    msg = refused(pc, arm, "asr_tenant_access", dict(base, principals=[
        {"object_id": user, "type": "User"}, {"object_id": group, "type": "User"}, {"object_id": unknown, "type": "User"}]))
    assert f"principals[1] {group} is a Group in the directory, not a User: set type: Group" in msg
    assert f"principals[2] {unknown} (User) does not exist in the directory" in msg
    assert arm.subscription_state()["role_assignments"] == [a for a in arm.subscription_state()["role_assignments"] if a["seeded"]]
    ok = run_module("asr_tenant_access", dict(base, principals=[{"object_id": user}, {"object_id": group, "type": "Group"}]))
    assert ok["changed"] is True and ok["principals_verified"] is True


def test_tenant_access_without_graph_behaves_as_before(arm):
    result = run_module("asr_tenant_access", dict(arm.module_args(), principals=[
        {"object_id": "6f1b3c1e-4a6d-4c4e-9d3c-2f6e8a1b0c11"}]))
    assert result["changed"] is True and result["principals_verified"] is False


def test_lookup_only_finds_nothing_without_failing(pc):
    result = run_module("csp_customer", dict(pc.module_args(pc.app), domain="nobodyhere.onmicrosoft.com", lookup_only=True))
    assert result["changed"] is False and result["customer"]["id"] is None and pc.writes() == []
