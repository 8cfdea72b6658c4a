"""Pure tests of asr_tenant_access's role resolution, assignment names and plan (plugins/module_utils/azure_access.py)."""
from __future__ import annotations

import uuid

import pytest

from ansible_collections.tenantdr.asr.plugins.module_utils import azure_access as aa

SUB = "0b1f6471-1bf0-4dda-aec3-111122223333"
SCOPE = f"/subscriptions/{SUB}"
USER = "6f1b3c1e-4a6d-4c4e-9d3c-2f6e8a1b0c11"
CONTRIBUTOR = "b24988ac-6180-42a0-ab88-20f7382dd24c"


def view(name, scope=SCOPE, role=CONTRIBUTOR, principal=USER, principal_type="User"):
    return {"name": name, "id": f"{scope}/providers/Microsoft.Authorization/roleAssignments/{name}", "scope": scope,
            "principal_id": principal, "principal_type": principal_type,
            "role_definition_id": f"/subscriptions/{SUB}/providers/Microsoft.Authorization/roleDefinitions/{role}", "role": "x"}


def test_builtin_role_guids():
    assert aa.BUILTIN_ROLES["Contributor"] == "b24988ac-6180-42a0-ab88-20f7382dd24c"
    assert aa.BUILTIN_ROLES["Owner"] == "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
    assert aa.BUILTIN_ROLES["Site Recovery Reader"] == "dbaa88c4-0c30-4179-9fb3-46319faa6149"


@pytest.mark.parametrize("role, expected", [
    ("Contributor", (CONTRIBUTOR, "Contributor")),
    ("site recovery CONTRIBUTOR", ("6670b86e-a3f7-4917-ac9b-5d6ab1be4567", "Site Recovery Contributor")),
    (CONTRIBUTOR.upper(), (CONTRIBUTOR, "Contributor")),
    (f"/subscriptions/{SUB}/providers/Microsoft.Authorization/roleDefinitions/{CONTRIBUTOR}", (CONTRIBUTOR, "Contributor")),
    ("/providers/Microsoft.Authorization/roleDefinitions/11111111-2222-3333-4444-555555555555",
     ("11111111-2222-3333-4444-555555555555", "11111111-2222-3333-4444-555555555555")),
])
def test_resolve_role(role, expected):
    assert aa.resolve_role(role) == expected


def test_unknown_role_lists_the_choices():
    with pytest.raises(ValueError, match=r"role 'Admin' is not a known built-in role name \(Owner, Contributor, Reader"):
        aa.resolve_role("Admin")


def test_assignment_name_is_deterministic_case_insensitive_and_a_guid():
    name = aa.assignment_name(SCOPE, CONTRIBUTOR, USER)
    assert str(uuid.UUID(name)) == name
    assert aa.assignment_name(SCOPE.upper() + "/", CONTRIBUTOR.upper(), USER.upper()) == name
    assert aa.assignment_name(SCOPE, CONTRIBUTOR, "9a1e4c7d-2b3f-4e5a-8c6d-7e8f9a0b1c2d") != name
    assert aa.assignment_name(SCOPE + "/resourceGroups/rg", CONTRIBUTOR, USER) != name


def test_plan_create_when_nothing_exists_and_nothing_when_found_by_name():
    principals = [{"object_id": USER, "type": "User"}]
    changes = aa.plan_access("present", SCOPE, CONTRIBUTOR, principals, {USER: {"by_name": None, "matching": []}})
    assert changes == [{"action": "create", "name": aa.assignment_name(SCOPE, CONTRIBUTOR, USER), "principal_id": USER,
                        "principal_type": "User"}]
    name = aa.assignment_name(SCOPE, CONTRIBUTOR, USER)
    assert aa.plan_access("present", SCOPE, CONTRIBUTOR, principals, {USER: {"by_name": view(name), "matching": [view(name)]}}) == []


def test_plan_recognises_same_triple_under_another_name_and_ignores_other_roles_and_scopes():
    principals = [{"object_id": USER, "type": "User"}]
    listed = [view("other-name", scope=SCOPE.upper() + "/"), view("reader", role="acdd72a7-3385-48ef-bd42-f606fba81ae7"),
              view("below", scope=SCOPE + "/resourceGroups/rg")]
    assert aa.plan_access("present", SCOPE, CONTRIBUTOR, principals, {USER: {"by_name": None, "matching": listed}}) == []
    removals = aa.plan_access("absent", SCOPE, CONTRIBUTOR, principals, {USER: {"by_name": None, "matching": listed}})
    assert [c["name"] for c in removals] == ["other-name"]


def test_plan_absent_removes_by_name_and_duplicates_once():
    name = aa.assignment_name(SCOPE, CONTRIBUTOR, USER)
    current = {USER: {"by_name": view(name), "matching": [view(name), view("dup")]}}
    removals = aa.plan_access("absent", SCOPE, CONTRIBUTOR, [{"object_id": USER}], current)
    assert [c["name"] for c in removals] == [name, "dup"]


def test_plan_refuses_a_name_collision_with_another_triple():
    name = aa.assignment_name(SCOPE, CONTRIBUTOR, USER)
    current = {USER: {"by_name": view(name, principal="9a1e4c7d-2b3f-4e5a-8c6d-7e8f9a0b1c2d"), "matching": []}}
    with pytest.raises(aa.AccessPlanError) as err:
        aa.plan_access("present", SCOPE, CONTRIBUTOR, [{"object_id": USER}], current)
    assert err.value.code == "RoleAssignmentMismatch"


def test_validation():
    ok = {"resource_group": None, "role": "Contributor", "principals": [{"object_id": USER, "type": "User"}]}
    assert aa.validate_access_params(ok) == []
    problems = aa.validate_access_params(dict(ok, resource_group="bad/rg", principals=[{"object_id": "bob"}], role="nope"))
    assert len(problems) == 3
    assert any("principals[0].object_id 'bob'" in p for p in problems)


def test_assignment_view_names_builtin_roles():
    wire = {"name": "n", "id": "i", "properties": {"scope": SCOPE, "principalId": USER, "principalType": "Group",
                                                   "roleDefinitionId": f"/subscriptions/{SUB}/providers/Microsoft.Authorization/"
                                                                       f"roleDefinitions/{CONTRIBUTOR}"}}
    assert aa.assignment_view(wire)["role"] == "Contributor"
    assert aa.assignment_view(wire)["principal_type"] == "Group"
