"""Shapes of the AWX/AAP material in awx/ and of the execution environment files (no AWX needed).

Survey rules from AWX (awx/main/models/mixins.py SurveyJobTemplateMixin, awx/main/constants.py): a survey spec has a
name and a description; question types are text, textarea, password, multiplechoice, multiselect, integer, float; a
default that fails validation is silently dropped, so defaults must be valid.
"""
from __future__ import annotations

import glob
import os

import yaml

from tests.lab.lab import REPO_ROOT

SURVEY_TYPES = {"text", "textarea", "password", "multiplechoice", "multiselect", "integer", "float"}
ROLE_SPECS = [os.path.join(REPO_ROOT, "roles", r, "meta", "argument_specs.yml") for r in ("shared_hsp", "dedicated_hsp", "msp")]


def load(path):
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def test_job_template_surveys_are_valid_and_use_role_variable_names():
    role_options = set()
    for path in ROLE_SPECS:
        role_options |= set(load(path)["argument_specs"]["main"]["options"])
    templates = sorted(glob.glob(os.path.join(REPO_ROOT, "awx", "job_templates", "*.yml")))
    assert [os.path.basename(t) for t in templates] == ["audit_tenants.yml", "offboard_tenant.yml", "onboard_tenant.yml"]
    for path in templates:
        jt = load(path)
        assert os.path.exists(os.path.join(REPO_ROOT, jt["playbook"])), path
        spec = jt["survey_spec"]
        assert spec["name"] and spec["description"], path
        for q in spec["spec"]:
            assert {"question_name", "variable", "type", "required"} <= set(q), q
            assert q["type"] in SURVEY_TYPES, q
            if q["type"] == "multiplechoice":
                assert q["default"] in q["choices"], q
            if q["type"] == "integer":
                assert q["min"] <= q.get("default", q["min"]) <= q["max"], q
            # every survey variable is a role option or a playbook-level tenantdr_ switch
            assert q["variable"] in role_options or q["variable"].startswith("tenantdr_"), q["variable"]


def test_credential_types_are_valid():
    for path in glob.glob(os.path.join(REPO_ROOT, "awx", "credential_types", "*.yml")):
        ct = load(path)
        assert ct["kind"] in ("cloud", "net"), path
        ids = {f["id"] for f in ct["inputs"]["fields"]}
        assert set(ct["inputs"].get("required", [])) <= ids, path
        for field in ct["inputs"]["fields"]:
            assert field["type"] in ("string", "boolean"), field
        for name in ct["injectors"].get("env", {}):
            assert not name.startswith("ANSIBLE_"), name
        used = " ".join(str(v) for section in ct["injectors"].values() for v in section.values())
        assert all("{{ %s }}" % i in used for i in ids), path


def test_execution_environment_files():
    meta = load(os.path.join(REPO_ROOT, "meta", "execution-environment.yml"))
    assert meta["version"] == 3
    for key in ("python", "system"):
        # ansible-builder resolves a collection's requirement files relative to the collection root
        assert os.path.exists(os.path.join(REPO_ROOT, meta["dependencies"][key])), key
    with open(os.path.join(REPO_ROOT, "meta", "ee-requirements.txt"), encoding="utf-8") as handle:
        ee_reqs = {line.split(">")[0].split("=")[0].strip() for line in handle if line.strip() and not line.startswith("#")}
    with open(os.path.join(REPO_ROOT, "requirements.txt"), encoding="utf-8") as handle:
        runtime = {line.split(">")[0].split("=")[0].strip() for line in handle if line.strip() and not line.startswith("#")}
    assert ee_reqs == runtime
    ee = load(os.path.join(REPO_ROOT, "awx", "execution-environment.yml"))
    assert ee["version"] == 3 and ee["dependencies"]["galaxy"]["collections"]
