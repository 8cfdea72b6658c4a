"""Pure Partner Center logic: validation, request bodies, planning, the secrets file. Expected values are written by
hand from Partner Center's documentation (create-a-customer, country validation rules, create-azure-plan)."""
from __future__ import annotations

import json
import os
import stat

from ansible_collections.tenantdr.asr.plugins.module_utils.azure_partner_center import (
    address_problem, azure_plan_order, azure_plan_subscription, customer_body, plan_users, retry_after_seconds,
    validate_billing_profile, validate_billing_scope, validate_customer_domain, validate_mca_acceptance,
    validate_subscription_display_name, validate_user_principal_names, write_secrets,
)

PROFILE = {"company_name": "Contoso", "email": "it@contoso.example", "first_name": "Dana", "last_name": "Lee",
           "culture": "en-US", "language": "en",
           "address": {"address_line1": "1 Microsoft Way", "city": "Redmond", "region": "WA", "postal_code": "98052",
                       "country": "US"}}
US_RULES = {"supportedCulturesList": ["en-US"], "supportedLanguagesList": ["en"], "isStateRequired": True,
            "supportedStatesList": ["WA", "NY"], "isPostalCodeRequired": True, "postalCodeRegex": r"^\d{5}(-\d{4})?$"}


def test_domain_rules():
    assert validate_customer_domain("contosodr.onmicrosoft.com") == []
    assert validate_customer_domain("Contoso2.OnMicrosoft.com") == []
    assert validate_customer_domain("") == ["domain is required (the customer's <prefix>.onmicrosoft.com domain)"]
    assert "must be the customer's initial domain" in validate_customer_domain("contoso.com")[0]
    assert "1 to 27 letters or digits" in validate_customer_domain("con.toso.onmicrosoft.com")[0]
    assert validate_customer_domain("a" * 27 + ".onmicrosoft.com") == []
    assert validate_customer_domain("a" * 28 + ".onmicrosoft.com") != []


def test_billing_profile_with_partner_center_rules():
    assert validate_billing_profile(PROFILE, US_RULES) == []
    bad = dict(PROFILE, culture="en-GB", language="fr", address=dict(PROFILE["address"], region="ZZ", postal_code="9805"))
    problems = validate_billing_profile(bad, US_RULES)
    assert "culture 'en-GB' does not match country US: use one of en-US" in problems
    assert "language 'fr' does not match country US: use one of en" in problems
    assert "language 'fr' and culture 'en-GB' disagree (culture en-GB is language en)" in problems
    assert "address.region 'ZZ' is not a state of US: use one of WA, NY" in problems
    assert "address.postal_code '9805' is not a postal code of US" in problems
    no_state = dict(PROFILE, address=dict(PROFILE["address"], region=None))
    assert validate_billing_profile(no_state, US_RULES) == ["address.region (state) is required in country US"]


def test_billing_profile_offline_table_and_required_fields():
    assert validate_billing_profile(dict(PROFILE, culture="de-DE", language="de",
                                         address=dict(PROFILE["address"], country="DE", region=None))) == []
    problems = validate_billing_profile({"culture": "en-US", "language": "en", "address": {}})
    assert "company_name is required" in problems
    assert "email None is not an e-mail address" in problems
    assert "address.city is required" in problems
    assert validate_billing_profile(dict(PROFILE, company_name="x" * 256))[0] == (
        "company_name is 256 characters; Partner Center allows at most 255")


def test_mca_acceptance():
    good = {"first_name": "Dana", "last_name": "Lee", "email": "d@contoso.example", "date": "2026-11-20"}
    assert validate_mca_acceptance(good) == []
    assert validate_mca_acceptance(dict(good, date="2999-01-01")) == ["mca_acceptance.date '2999-01-01' is in the future"]
    assert validate_mca_acceptance(dict(good, first_name="")) == ["mca_acceptance.first_name is required (the customer's signer)"]


def test_subscription_display_name_limit():
    assert validate_subscription_display_name("x" * 64) == []
    assert validate_subscription_display_name("x" * 65) == [
        f"display_name '{'x' * 65}' is 65 characters; Azure allows at most 64"]
    assert "contains '<>'" in validate_subscription_display_name("a<b>")[0]
    assert validate_subscription_display_name("") == ["display_name (the Azure subscription's name) is required"]


def test_billing_scope_and_upns():
    assert validate_billing_scope("/billingAccounts/abc:def_2019-05-31/customers/2d0b3c85-5b36-4b2a-9f4e-8b1a3c9f0e11") == []
    assert validate_billing_scope("/billingAccounts/abc/billingProfiles/x") != []
    users = [{"user_principal_name": "a@contoso.onmicrosoft.com", "display_name": "A"},
             {"user_principal_name": "A@contoso.onmicrosoft.com", "display_name": "A2"},
             {"user_principal_name": "b@elsewhere.com", "display_name": "B"},
             {"user_principal_name": "no-at-sign", "display_name": "C"}]
    assert validate_user_principal_names(users, "contoso.onmicrosoft.com") == [
        "users[1].user_principal_name 'A@contoso.onmicrosoft.com' is listed more than once",
        "users[2].user_principal_name 'b@elsewhere.com' is not in the customer's domain contoso.onmicrosoft.com",
        "users[3].user_principal_name 'no-at-sign' is not a user principal name (name@domain)",
    ]


def test_customer_body_shape():
    body = customer_body("contosodr.onmicrosoft.com", PROFILE)
    assert body["companyProfile"] == {"domain": "contosodr.onmicrosoft.com", "companyName": "Contoso"}
    billing = body["billingProfile"]
    assert (billing["culture"], billing["language"], billing["email"]) == ("en-US", "en", "it@contoso.example")
    assert billing["defaultAddress"]["region"] == "WA" and billing["defaultAddress"]["postalCode"] == "98052"
    assert billing["defaultAddress"]["addressLine1"] == "1 Microsoft Way"


def test_address_problem_shows_suggestion():
    address = {"addressLine1": "1 Microsoft Way", "city": "Seattle", "state": "WA", "postalCode": "98052", "country": "US"}
    assert address_problem({"status": "Verified"}, address) is None
    message = address_problem({"status": "InteractionRequired", "validationMessage": "Address field invalid for property: 'City'",
                               "suggestedAddresses": [dict(address, city="Redmond")]}, address)
    assert message == ("Partner Center did not verify the billing address (1 Microsoft Way, Seattle, WA, 98052, US): Address "
                       "field invalid for property: 'City' (status InteractionRequired); suggested: 1 Microsoft Way, Redmond, "
                       "WA, 98052, US")


def test_azure_plan_found_by_offer_and_order():
    subs = [{"id": "o365", "offerId": "CFQ7TTC0LH18:0001", "status": "active"},
            {"id": "plan", "offerId": "DZH318Z0BPS6:0001:DZH318Z0BMGV", "status": "active"}]
    assert azure_plan_subscription(subs)["id"] == "plan"
    assert azure_plan_subscription([dict(subs[1], status="deleted")]) is None
    orders = [{"id": "o1", "status": "cancelled", "lineItems": [{"offerId": "DZH318Z0BPS6:0001:DZH318Z0BMGV"}]},
              {"id": "o2", "status": "pending", "lineItems": [{"offerId": "DZH318Z0BPS6:0001:DZH318Z0BMGV"}]}]
    assert azure_plan_order(orders)["id"] == "o2"
    assert azure_plan_order(orders[:1]) is None


def test_plan_users_removes_only_own_users():
    desired = [{"user_principal_name": "a@x.onmicrosoft.com"}, {"user_principal_name": "b@x.onmicrosoft.com"},
               {"user_principal_name": "c@x.onmicrosoft.com"}]
    current = [{"userPrincipalName": "A@x.onmicrosoft.com", "id": "1"}, {"userPrincipalName": "b@x.onmicrosoft.com", "id": "2"}]
    assert plan_users("present", desired, current, {}) == [{"action": "create", "user_principal_name": "c@x.onmicrosoft.com"}]
    absent = plan_users("absent", desired, current, {"a@x.onmicrosoft.com": {}})
    assert absent[0] == {"action": "delete", "user_principal_name": "a@x.onmicrosoft.com", "id": "1"}
    assert absent[1]["action"] == "keep" and absent[1]["id"] == "2"
    assert len(absent) == 2


def test_retry_after():
    assert retry_after_seconds("7", 1) == 7.0
    assert retry_after_seconds(None, 1) == 1.0 and retry_after_seconds(None, 3) == 4.0 and retry_after_seconds(None, 9) == 30.0
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT", 1) == 0.0


def test_secrets_file_mode_and_merge(tmp_path):
    path = str(tmp_path / "dir" / "secrets.json")
    write_secrets(path, lambda d: d.update(customer_admin={"password": "p1"}))
    write_secrets(path, lambda d: d.setdefault("users", {}).update({"u@x": {"initial_password": "p2"}}))
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(os.path.dirname(path)).st_mode) == 0o700
    with open(path, encoding="utf-8") as handle:
        assert json.load(handle) == {"customer_admin": {"password": "p1"}, "users": {"u@x": {"initial_password": "p2"}}}


def test_awx_credential_type_injects_what_the_options_fall_back_to():
    import yaml  # pylint: disable=import-outside-toplevel
    from ansible_collections.tenantdr.asr.plugins.module_utils.azure_partner_center import (  # pylint: disable=import-outside-toplevel
        partner_center_argument_spec,
    )
    root = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
    with open(os.path.join(root, "awx", "credential_types", "partner_center.yml"), encoding="utf-8") as handle:
        injected = set(yaml.safe_load(handle)["injectors"]["env"])
    fallbacks = {name for option in partner_center_argument_spec().values() for name in (option.get("fallback") or (None, []))[1]}
    assert injected == {"PARTNER_CENTER_TENANT", "PARTNER_CENTER_CLIENT_ID", "PARTNER_CENTER_SECRET",
                        "PARTNER_CENTER_CERTIFICATE_PATH", "PARTNER_CENTER_URL", "MICROSOFT_GRAPH_URL"}
    assert injected <= fallbacks
    spec = partner_center_argument_spec()
    assert spec["partner_secret"]["no_log"] is True and spec["partner_certificate_password"]["no_log"] is True
    assert spec["validate_certs"]["default"] is True
