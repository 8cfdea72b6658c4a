"""A new CSP tenant end to end through the real azure-identity / azure-core / azure-mgmt-* stack against the local
Partner Center + Graph endpoint and the local ARM endpoint: customer -> Azure plan -> subscription -> pending GDAP ->
approved -> users -> access -> vault; then a re-run with zero writes, and offboarding."""
from __future__ import annotations

import json
import os
import stat

import pytest

from tests.integration.csp.conftest import CUSTOMER
from tests.support.modules import run_module

pytestmark = pytest.mark.arm

# Written by hand from Partner Center / Graph documentation (not imported from the code under test).
AZURE_PLAN_CATALOG_ITEM = "DZH318Z0BPS6:0001:DZH318Z0BMGV"
DIRECTORY_READERS = "88d8e3e3-8f55-4a1e-953a-9b9898b8876b"
USER_ADMINISTRATOR = "fe930be7-5e62-47db-91af-98c3a49a38b1"
APPROVAL_PREFIX = "https://admin.microsoft.com/AdminPortal/Home#/partners/invitation/granularAdminRelationships/"
USERS = [{"user_principal_name": "dr.operator@contosodr.onmicrosoft.com", "display_name": "DR Operator"},
         {"user_principal_name": "dr.viewer@contosodr.onmicrosoft.com", "display_name": "DR Viewer"}]


def onboard(pc, arm, tmp_path, group_id):
    """Every step of the onboarding once; returns the results by step."""
    secrets_path = str(tmp_path / "tenant" / "csp-secrets.json")
    conn = pc.module_args(pc.app)
    out = {"secrets_path": secrets_path}
    out["customer"] = run_module("csp_customer", dict(conn, **CUSTOMER, secrets_path=secrets_path))
    customer_id = out["customer"]["customer"]["id"]
    out["plan"] = run_module("csp_azure_plan", dict(conn, customer_id=customer_id))
    out["subscription"] = run_module("azure_subscription", dict(
        arm.module_args(auth="service_principal", client_id=pc.app["client_id"], secret=pc.app["secret"], subscription_id=None),
        billing_account=pc.billing_account, customer_id=customer_id, display_name="contoso DR", tenant_name="contoso"))
    out["gdap"] = run_module("csp_delegated_access", dict(conn, customer_tenant_id=customer_id, customer_name="Contoso DR Ltd",
                                                          display_name="tenantdr-contoso", security_group_id=group_id))
    return out


def test_new_tenant_end_to_end_then_rerun_writes_nothing(pc, arm, tmp_path):
    group_id = pc.add_group("Azure managers")
    first = onboard(pc, arm, tmp_path, group_id)
    customer = first["customer"]
    assert customer["changed"] is True
    assert customer["changes"] == ["create customer contosodr.onmicrosoft.com (Contoso DR Ltd)",
                                   "record the Microsoft Customer Agreement accepted by Dana Lee on 2026-11-20"]
    customer_id = customer["customer"]["id"]
    state = pc.state()["customers"][customer_id]
    assert state["domain"] == "contosodr.onmicrosoft.com"
    assert [a["primaryContact"]["email"] for a in state["agreements"]] == ["dana.lee@contoso.example"]
    assert state["agreements"][0]["dateAgreed"] == "2026-11-20T00:00:00Z"

    # The first admin's credentials: in the 0600 file only.
    secrets_path = first["secrets_path"]
    assert stat.S_IMODE(os.stat(secrets_path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(os.path.dirname(secrets_path)).st_mode) == 0o700
    with open(secrets_path, encoding="utf-8") as handle:
        admin = json.load(handle)["customer_admin"]
    assert admin["user_name"] == "admin@contosodr.onmicrosoft.com" and len(admin["password"]) >= 8
    assert admin["password"] not in json.dumps(first)

    plan = first["plan"]
    assert plan["changed"] is True and plan["pending"] is False
    assert plan["changes"] == [f"order the Azure plan ({AZURE_PLAN_CATALOG_ITEM}) for customer {customer_id}"]
    assert plan["plan"]["status"] == "active"
    assert len(state["orders"]) == 1 and state["orders"][0]["lineItems"][0]["offerId"] == AZURE_PLAN_CATALOG_ITEM

    sub = first["subscription"]
    assert sub["changed"] is True
    assert sub["alias"]["provisioning_state"] == "Succeeded"
    assert sub["alias"]["billing_scope"] == f"/billingAccounts/{pc.billing_account}/customers/{customer_id}"
    subscription_id = sub["subscription_id"]
    assert subscription_id in arm.state()["subscriptions"]

    gdap = first["gdap"]
    assert gdap["changed"] is True and gdap["pending"] is True
    assert gdap["relationship"]["status"] == "approvalPending"
    assert sorted(gdap["relationship"]["roles"]) == sorted([DIRECTORY_READERS, USER_ADMINISTRATOR])
    assert gdap["approval_link"] == APPROVAL_PREFIX + gdap["relationship"]["id"]
    assert "approve" in gdap["pending_reason"]
    assert gdap["assigned_groups"] == []

    # Still pending: a re-run only reports.
    pc.reset_log()
    conn = pc.module_args(pc.app)
    gdap_args = dict(conn, customer_tenant_id=customer_id, customer_name="Contoso DR Ltd", display_name="tenantdr-contoso",
                     security_group_id=group_id)
    again = run_module("csp_delegated_access", gdap_args)
    assert again["changed"] is False and again["pending"] is True and pc.writes() == []

    # The customer approves: the next run assigns the provider's group and is no longer pending.
    pc.approve(gdap["relationship"]["id"])
    check = run_module("csp_delegated_access", gdap_args, check_mode=True)
    assert check["changes"] == [f"assign security group {group_id} the relationship's roles"] and pc.writes() == []
    active = run_module("csp_delegated_access", gdap_args)
    assert active["changed"] is True and active["pending"] is False
    assert active["relationship"]["status"] == "active" and active["assigned_groups"] == [group_id]
    assignments = list(pc.state()["assignments"].values())[0]
    assert [a["accessContainer"]["accessContainerId"] for a in assignments] == [group_id]

    # Users, then their access (with the Graph principal check), then the vault in the new subscription.
    users = run_module("csp_tenant_users", dict(conn, customer_id=customer_id, domain="contosodr.onmicrosoft.com",
                                                users=USERS, secrets_path=secrets_path))
    assert users["changes"] == [f"create user {u['user_principal_name']}" for u in USERS]
    with open(secrets_path, encoding="utf-8") as handle:
        stored = json.load(handle)
    assert sorted(stored["users"]) == sorted(u["user_principal_name"] for u in USERS)
    for record in stored["users"].values():
        assert record["initial_password"] not in json.dumps(users)
    assert stat.S_IMODE(os.stat(secrets_path).st_mode) == 0o600
    principals = [{"object_id": u["id"], "type": "User"} for u in users["users"]]
    azure = arm.module_args(auth="service_principal", client_id=pc.app["client_id"], secret=pc.app["secret"],
                            subscription_id=subscription_id)
    access = run_module("asr_tenant_access", dict(azure, principals=principals, graph_url=pc.base_url))
    assert access["changed"] is True and access["principals_verified"] is True
    vault = run_module("asr_vault", dict(azure, resource_group="rg-contoso-dr", create_resource_group=True,
                                         name="rsv-contoso-dr", location="westeurope"))
    assert vault["changed"] is True
    assert "rg-contoso-dr/rsv-contoso-dr" in arm.subscription_state(subscription_id)["vaults"]

    # Re-run of everything: zero writes on Partner Center, Graph and ARM.
    pc.reset_log()
    arm.reset_log()
    second = onboard(pc, arm, tmp_path, group_id)
    for step in ("customer", "plan", "subscription"):
        assert second[step]["changed"] is False, step
    assert second["subscription"]["subscription_id"] == subscription_id
    assert second["gdap"]["changed"] is False and second["gdap"]["pending"] is False
    assert run_module("csp_tenant_users", dict(conn, customer_id=customer_id, users=USERS,
                                               secrets_path=secrets_path))["changed"] is False
    assert run_module("asr_tenant_access", dict(azure, principals=principals, graph_url=pc.base_url))["changed"] is False
    assert pc.writes() == []
    assert arm.writes() == []
    assert len(pc.state()["customers"]) == 1 and len(pc.state()["customers"][customer_id]["orders"]) == 1

    # Offboarding: users this collection created and the relationship go; customer, plan and subscription stay.
    other = run_module("csp_tenant_users", dict(conn, customer_id=customer_id, users=[
        {"user_principal_name": "someone@contosodr.onmicrosoft.com", "display_name": "Someone"}],
        secrets_path=str(tmp_path / "elsewhere.json")))
    assert other["changed"] is True
    removed = run_module("csp_tenant_users", dict(conn, customer_id=customer_id, state="absent", secrets_path=secrets_path,
                                                  users=USERS + [{"user_principal_name": "someone@contosodr.onmicrosoft.com",
                                                                  "display_name": "Someone"}]))
    assert removed["changes"] == [f"delete user {u['user_principal_name']} (created by tenantdr.asr)" for u in USERS]
    assert removed["kept"] == ["someone@contosodr.onmicrosoft.com: not created by tenantdr.asr (not in the secrets file); left alone"]
    assert pc.state()["customers"][customer_id]["users"] == ["someone@contosodr.onmicrosoft.com"]
    ended = run_module("csp_delegated_access", dict(gdap_args, state="absent"))
    assert ended["changes"] == ["end GDAP relationship tenantdr-contoso (terminate)"]
    assert run_module("csp_delegated_access", dict(gdap_args, state="absent"))["changed"] is False
    assert pc.state()["relationships"][0]["status"] == "terminated"
    assert subscription_id in arm.state()["subscriptions"]
    assert pc.state()["customers"][customer_id]["subscriptions"][0]["status"] == "active"


def test_check_mode_on_nothing_writes_nothing(pc, arm, tmp_path):
    conn = pc.module_args(pc.app)
    result = run_module("csp_customer", dict(conn, **CUSTOMER, secrets_path=str(tmp_path / "s.json")), check_mode=True, diff=True)
    assert result["changes"] == ["create customer contosodr.onmicrosoft.com (Contoso DR Ltd)",
                                 "record the Microsoft Customer Agreement accepted by Dana Lee on 2026-11-20"]
    assert result["customer"]["id"] is None
    assert pc.writes() == [] and pc.state()["customers"] == {}
    assert not os.path.exists(tmp_path / "s.json")
