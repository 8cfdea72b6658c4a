"""Pure GDAP and principal-check logic. Role template ids written by hand from "Microsoft Entra built-in roles"."""
from __future__ import annotations

from ansible_collections.tenantdr.asr.plugins.module_utils.azure_graph import (
    find_relationship, plan_delegated_access, principal_type_problems, relationship_body, validate_gdap_duration,
    validate_gdap_roles,
)

DIRECTORY_READERS = "88d8e3e3-8f55-4a1e-953a-9b9898b8876b"
GROUP = "7c1d2e3f-4a5b-4c6d-8e9f-0a1b2c3d4e5f"


def test_roles():
    assert validate_gdap_roles(["Directory Readers", "user administrator", DIRECTORY_READERS]) == []
    problems = validate_gdap_roles(["Directory Readers", "Owner"])
    assert len(problems) == 1 and problems[0].startswith("GDAP role 'Owner' is not a known Entra ID built-in role: use one of")
    assert "Global Reader" in problems[0]
    assert validate_gdap_roles([]) == ["roles must list at least one Entra ID role for the GDAP relationship"]
    assert validate_gdap_roles(["00000000-0000-0000-0000-000000000000"]) != []


def test_duration():
    for ok in ("P1D", "P730D", "P2Y", "P1Y", "P52W"):
        assert validate_gdap_duration(ok) == [], ok
    assert validate_gdap_duration("P0D") == ["duration 'P0D' is 0 days; Microsoft Graph allows P1D to P2Y (730 days)"]
    assert validate_gdap_duration("P3Y") == ["duration 'P3Y' is 1095 days; Microsoft Graph allows P1D to P2Y (730 days)"]
    assert "is not an ISO 8601 duration" in validate_gdap_duration("PT5H")[0]
    assert "is not an ISO 8601 duration" in validate_gdap_duration("P")[0]


def test_plan_two_phase():
    assert [s["action"] for s in plan_delegated_access("present", None, [], GROUP)] == ["create", "lockForApproval"]
    assert [s["action"] for s in plan_delegated_access("present", {"status": "created"}, [], GROUP)] == ["lockForApproval"]
    assert plan_delegated_access("present", {"status": "approvalPending"}, [], GROUP) == []
    assert plan_delegated_access("present", {"status": "active"}, [], GROUP) == [{"action": "assign", "group_id": GROUP}]
    have = [{"accessContainer": {"accessContainerId": GROUP.upper()}, "status": "active"}]
    assert plan_delegated_access("present", {"status": "active"}, have, GROUP) == []
    assert plan_delegated_access("absent", {"status": "active"}, [], None) == [{"action": "terminate"}]
    assert plan_delegated_access("absent", {"status": "created"}, [], None) == [{"action": "delete"}]
    assert plan_delegated_access("absent", None, [], None) == []
    # Graph ends only active relationships (terminate) and deletes only created ones: pending/ended ones are left
    for status in ("approvalPending", "terminationRequested", "terminated", "expired"):
        assert plan_delegated_access("absent", {"status": status}, [], None) == [], status


def test_find_ignores_ended_relationships():
    rels = [{"displayName": "t", "status": "terminated", "id": "1"}, {"displayName": "t", "status": "active", "id": "2"},
            {"displayName": "u", "status": "active", "id": "3"}]
    assert find_relationship(rels, "t")["id"] == "2"
    assert find_relationship(rels[:1], "t") is None


def test_relationship_body():
    body = relationship_body("t", "cid", "Contoso", [DIRECTORY_READERS], "P730D", None)
    assert body == {"displayName": "t", "duration": "P730D", "customer": {"tenantId": "cid", "displayName": "Contoso"},
                    "accessDetails": {"unifiedRoles": [{"roleDefinitionId": DIRECTORY_READERS}]}}


def test_principal_type_problems():
    principals = [{"object_id": "A", "type": "User"}, {"object_id": "B", "type": "User"}, {"object_id": "C", "type": "Group"},
                  {"object_id": "D", "type": "ForeignGroup"}]
    found = {"a": "User", "b": "Group", "d": "Group"}
    assert principal_type_problems(principals, found) == [
        "principals[1] B is a Group in the directory, not a User: set type: Group",
        "principals[2] C (Group) does not exist in the directory",
    ]
