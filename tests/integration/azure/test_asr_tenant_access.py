"""asr_tenant_access through azure-mgmt-authorization against the local ARM endpoint."""
from __future__ import annotations

import uuid

import pytest

from ansible_collections.tenantdr.asr.plugins.module_utils.azure_access import BUILTIN_ROLES, assignment_name
from tests.support.modules import run_module

pytestmark = pytest.mark.arm
USER = "6f1b3c1e-4a6d-4c4e-9d3c-2f6e8a1b0c11"
GROUP = "0d9a7f52-3b61-4f0e-8a5e-5c2d1e7b9a44"
OTHER = "9a1e4c7d-2b3f-4e5a-8c6d-7e8f9a0b1c2d"


def access_args(arm, **extra):
    args = dict(arm.module_args(), principals=[{"object_id": USER}, {"object_id": GROUP, "type": "Group"}])
    args.update(extra)
    return args


def tenant_assignments(arm, subscription_id=None):
    """Assignments in the endpoint that were not seeded by it (the caller's own Owner role)."""
    return sorted((a["scope"], a["role"], a["principal_id"], a["principal_type"], a["name"])
                  for a in arm.subscription_state(subscription_id)["role_assignments"] if not a["seeded"])


def sdk_client(arm):
    from azure.identity import ManagedIdentityCredential  # pylint: disable=import-outside-toplevel
    from azure.mgmt.authorization import AuthorizationManagementClient  # pylint: disable=import-outside-toplevel
    return AuthorizationManagementClient(ManagedIdentityCredential(), arm.subscription_id, base_url=arm.base_url,
                                         credential_scopes=[arm.base_url + "/.default"])


def test_check_mode_lists_assignments_and_writes_nothing(arm):
    result = run_module("asr_tenant_access", access_args(arm), check_mode=True, diff=True)
    scope = f"/subscriptions/{arm.subscription_id}"
    assert result["changed"] is True
    assert result["changes"] == [
        f"assign role Contributor on {scope} to User {USER} (assignment {assignment_name(scope, BUILTIN_ROLES['Contributor'], USER)})",
        f"assign role Contributor on {scope} to Group {GROUP} (assignment {assignment_name(scope, BUILTIN_ROLES['Contributor'], GROUP)})",
    ]
    assert result["diff"]["before"] == {"assignments": []}
    assert result["diff"]["after"]["assignments"] == sorted([f"Contributor on {scope} for User {USER}",
                                                             f"Contributor on {scope} for Group {GROUP}"])
    assert [a["id"] for a in result["assignments"]] == [None, None]
    assert arm.writes() == []
    assert tenant_assignments(arm) == []


def test_assign_then_rerun_changes_nothing(arm):
    first = run_module("asr_tenant_access", access_args(arm))
    scope = f"/subscriptions/{arm.subscription_id}"
    contributor = BUILTIN_ROLES["Contributor"]
    assert first["changed"] is True
    assert first["scope"] == scope
    assert first["role_definition_id"] == f"{scope}/providers/Microsoft.Authorization/roleDefinitions/{contributor}"
    assert tenant_assignments(arm) == sorted([
        (scope, "Contributor", USER, "User", assignment_name(scope, contributor, USER)),
        (scope, "Contributor", GROUP, "Group", assignment_name(scope, contributor, GROUP)),
    ])
    assert {a["id"] for a in first["assignments"]} == {
        f"{scope}/providers/Microsoft.Authorization/roleAssignments/{assignment_name(scope, contributor, p)}" for p in (USER, GROUP)}
    assert [w["method"] for w in arm.writes()] == ["PUT", "PUT"]

    arm.reset_log()
    second = run_module("asr_tenant_access", access_args(arm), diff=True)
    assert second["changed"] is False and second["changes"] == []
    assert arm.writes() == []
    assert second["diff"]["before"] == second["diff"]["after"]
    assert sorted(a["name"] for a in second["assignments"]) == sorted(a["name"] for a in first["assignments"])


def test_assignment_made_elsewhere_under_another_name_is_recognised(arm):
    scope = f"/subscriptions/{arm.subscription_id}"
    random_name = str(uuid.uuid4())
    sdk_client(arm).role_assignments.create(scope, random_name, {
        "role_definition_id": f"{scope}/providers/Microsoft.Authorization/roleDefinitions/{BUILTIN_ROLES['Contributor']}",
        "principal_id": USER, "principal_type": "User"})
    arm.reset_log()

    result = run_module("asr_tenant_access", access_args(arm, principals=[{"object_id": USER}]))
    assert result["changed"] is False
    assert [a["name"] for a in result["assignments"]] == [random_name]
    assert arm.writes() == []

    removed = run_module("asr_tenant_access", access_args(arm, principals=[{"object_id": USER}], state="absent"))
    assert removed["changes"] == [f"remove role Contributor on {scope} from User {USER} (assignment {random_name})"]
    assert tenant_assignments(arm) == []


def test_assignment_created_concurrently_is_not_an_error(arm):
    arm.configure(racing_role_assignment_puts=1)
    result = run_module("asr_tenant_access", access_args(arm, principals=[{"object_id": USER}]))
    assert result["changed"] is False and result["changes"] == []
    assert [w["status"] for w in arm.writes()] == [409]
    assert len(result["assignments"]) == 1 and result["assignments"][0]["principal_id"] == USER
    assert [(role, p) for _s, role, p, _t, _n in tenant_assignments(arm)] == [("Contributor", USER)]


def test_absent_removes_only_the_described_assignments(arm):
    rg_scope_args = dict(arm.module_args(), resource_group="rg-contoso-dr")
    run_module("asr_vault", dict(rg_scope_args, name="rsv-contoso-dr", location="westeurope", create_resource_group=True))
    run_module("asr_tenant_access", access_args(arm))                                                  # Contributor USER+GROUP
    run_module("asr_tenant_access", access_args(arm, role="Reader", principals=[{"object_id": USER}]))  # other role
    run_module("asr_tenant_access", access_args(arm, principals=[{"object_id": OTHER}]))               # other principal
    run_module("asr_tenant_access", dict(rg_scope_args, principals=[{"object_id": USER}]))             # other scope
    arm.reset_log()

    result = run_module("asr_tenant_access", access_args(arm, principals=[{"object_id": USER}], state="absent"), diff=True)
    scope = f"/subscriptions/{arm.subscription_id}"
    assert result["changed"] is True
    assert result["assignments"] == []
    assert result["diff"]["before"]["assignments"] == [f"Contributor on {scope} for User {USER}"]
    assert [w["method"] for w in arm.writes()] == ["DELETE"]
    remaining = {(s, role, p) for s, role, p, _t, _n in tenant_assignments(arm)}
    assert remaining == {(scope, "Contributor", GROUP), (scope, "Reader", USER), (scope, "Contributor", OTHER),
                         (f"{scope}/resourceGroups/rg-contoso-dr", "Contributor", USER)}

    arm.reset_log()
    again = run_module("asr_tenant_access", access_args(arm, principals=[{"object_id": USER}], state="absent"))
    assert again["changed"] is False
    assert arm.writes() == []


def test_resource_group_scope_and_site_recovery_role(arm):
    run_module("asr_vault", dict(arm.module_args(), resource_group="rg-contoso-dr", name="rsv-contoso-dr", location="westeurope",
                                 create_resource_group=True))
    result = run_module("asr_tenant_access", access_args(arm, resource_group="rg-contoso-dr", role="site recovery operator",
                                                         principals=[{"object_id": OTHER, "type": "ServicePrincipal"}]))
    scope = f"/subscriptions/{arm.subscription_id}/resourceGroups/rg-contoso-dr"
    assert result["scope"] == scope
    assert result["assignments"][0]["role"] == "Site Recovery Operator"
    assert tenant_assignments(arm) == [(scope, "Site Recovery Operator", OTHER, "ServicePrincipal",
                                        assignment_name(scope, BUILTIN_ROLES["Site Recovery Operator"], OTHER))]


def test_role_by_definition_id(arm):
    role_id = f"/subscriptions/{arm.subscription_id}/providers/Microsoft.Authorization/roleDefinitions/{BUILTIN_ROLES['Reader']}"
    result = run_module("asr_tenant_access", access_args(arm, role=role_id))
    assert {a["role"] for a in result["assignments"]} == {"Reader"}


def test_missing_resource_group_fails_before_any_write(arm):
    result = run_module("asr_tenant_access", access_args(arm, resource_group="rg-missing"), expect_failure=True)
    assert result["error_code"] == "ResourceGroupNotFound"
    assert "'rg-missing'" in result["msg"]
    assert arm.writes() == []


def test_unknown_role_definition_fails_before_any_write(arm):
    missing = "11111111-2222-3333-4444-555555555555"
    result = run_module("asr_tenant_access", access_args(arm, role=missing), expect_failure=True)
    assert result["error_code"] == "RoleDefinitionDoesNotExist"
    assert missing in result["msg"]
    assert arm.writes() == []


def test_caller_without_user_access_rights_gets_authorization_failed(arm):
    arm.set_access(arm.msi_object_id, "Contributor")
    result = run_module("asr_tenant_access", access_args(arm), expect_failure=True)
    assert result["error_code"] == "AuthorizationFailed"
    assert result["status_code"] == 403
    assert "Microsoft.Authorization/roleAssignments/write" in result["msg"]
    assert result["changed"] is False
    assert tenant_assignments(arm) == []


@pytest.mark.parametrize("extra, expected", [
    ({"principals": [{"object_id": "alice@contoso.com"}]},
     "principals[0].object_id 'alice@contoso.com' is not an Entra ID object id (a GUID)"),
    ({"principals": [{"object_id": USER}, {"object_id": USER.upper()}]}, f"principals[1].object_id {USER.upper()} is listed more than once"),
    ({"principals": []}, "principals must list at least one principal"),
    ({"role": "Superuser"}, "role 'Superuser' is not a known built-in role name (Owner, Contributor, Reader, User Access Administrator, "
                            "Site Recovery Contributor, Site Recovery Operator, Site Recovery Reader)"),
    ({"principals": [{"object_id": USER, "type": "Robot"}]}, "value of type must be one of: User, Group, ServicePrincipal, ForeignGroup, "
                                                             "Device, got: Robot"),
])
def test_bad_input_fails_before_any_request(arm, extra, expected):
    result = run_module("asr_tenant_access", access_args(arm, **extra), expect_failure=True)
    assert expected in result["msg"]
    assert arm.requests_log() == []
