"""The collection as users get it: ``ansible-galaxy collection build`` -> install into an empty collections path ->
``ansible-doc`` and ``ansible-playbook --syntax-check`` from there, plus the release metadata (changelog, version,
requires_ansible).

The artifact is built from a copy of the checkout (the files git knows, tracked or not ignored) into which the
development-only content a working copy really has is planted - a virtualenv, local build state, benchmark and
ansible-test output, an older artifact, bytecode, the changelog plugin cache - so galaxy.yml's ``build_ignore`` is
tested against all of it, whatever state this checkout is in.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tarfile

import pytest
import yaml

from tests.lab.lab import REPO_ROOT

TOOLS = os.path.dirname(sys.executable)
# development-only paths planted into the copy; none may reach the artifact (hand-written: the list)
PLANTED = [".venv/lib/python3.11/site-packages/x.py", ".build/collections/ansible_collections/tenantdr/asr/x.yml",
           ".build/bin/tenantdr-vcsim", "benchmarks/output/results.json", "tests/output/junit.xml",
           "tenantdr-asr-0.0.9.tar.gz", "plugins/module_utils/__pycache__/vcenter.cpython-311.pyc",
           "changelogs/.plugin-cache.yaml", ".pytest_cache/v/cache/lastfailed", ".ci/state.json", "lab.log"]
FORBIDDEN = re.compile(r"(^|/)(\.venv|\.build|\.ci|\.git|__pycache__|\.pytest_cache)(/|$)|^benchmarks/output/|^tests/output/|"
                       r"\.tar\.gz$|\.pyc$|\.plugin-cache\.yaml$|\.log$")


def run(*command, cwd=None, env=None):
    proc = subprocess.run(list(command), cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          check=False, timeout=300)
    assert proc.returncode == 0, "%s failed:\n%s" % (" ".join(command), proc.stdout[-4000:])
    return proc.stdout


@pytest.fixture(scope="module")
def artifact(tmp_path_factory):
    root = tmp_path_factory.mktemp("release")
    source = root / "src"
    files = subprocess.run(["git", "ls-files", "-z", "-co", "--exclude-standard"], cwd=REPO_ROOT, check=True,
                           stdout=subprocess.PIPE).stdout.decode().split("\0")
    for name in filter(None, files):
        src = os.path.join(REPO_ROOT, name)
        if os.path.isfile(src) and not os.path.islink(src):
            dest = source / name
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest)
    for name in PLANTED:
        dest = source / name
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text("development only\n", encoding="utf-8")
    out = root / "dist"
    run(os.path.join(TOOLS, "ansible-galaxy"), "collection", "build", "--output-path", str(out), str(source))
    built = sorted(out.glob("tenantdr-asr-*.tar.gz"))
    assert len(built) == 1
    return built[0]


@pytest.fixture(scope="module")
def installed(artifact, tmp_path_factory):
    """An empty collections path with only the built artifact installed; commands run from outside the checkout."""
    root = tmp_path_factory.mktemp("installed")
    path = root / "collections"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    env.update(ANSIBLE_COLLECTIONS_PATH=str(path), ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="false", ANSIBLE_NOCOLOR="1",
               ANSIBLE_HOME=str(root / "home"), PATH=TOOLS + os.pathsep + env.get("PATH", ""))
    run(os.path.join(TOOLS, "ansible-galaxy"), "collection", "install", "--offline", "--no-deps", "-p", str(path), str(artifact),
        cwd=str(root), env=env)
    return {"path": path / "ansible_collections" / "tenantdr" / "asr", "env": env, "cwd": str(root)}


def galaxy():
    with open(os.path.join(REPO_ROOT, "galaxy.yml"), encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def test_artifact_holds_the_collection_and_no_development_content(artifact):
    with tarfile.open(artifact) as tar:
        names = [m.name for m in tar.getmembers()]
        manifest = json.load(tar.extractfile("MANIFEST.json"))
    assert artifact.name == "tenantdr-asr-%s.tar.gz" % galaxy()["version"]
    assert manifest["collection_info"]["version"] == galaxy()["version"]
    leaked = sorted(n for n in names if FORBIDDEN.search(n))
    assert leaked == []
    # ...while what users need is there
    modules = sorted(f for f in os.listdir(os.path.join(REPO_ROOT, "plugins", "modules")) if f.endswith(".py"))
    assert modules and all("plugins/modules/" + m in names for m in modules)
    for needed in ("meta/runtime.yml", "meta/execution-environment.yml", "meta/ee-requirements.txt", "CHANGELOG.md",
                   "CHANGELOG.rst", "changelogs/changelog.yaml", "README.md", "playbooks/onboard_tenant.yml",
                   "roles/shared_hsp/meta/argument_specs.yml", "awx/job_templates/onboard_tenant.yml"):
        assert needed in names, needed


def test_installed_artifact_documents_every_module_and_role(installed):
    modules = sorted(f[:-3] for f in os.listdir(installed["path"] / "plugins" / "modules") if f.endswith(".py"))
    assert modules == sorted(f[:-3] for f in os.listdir(os.path.join(REPO_ROOT, "plugins", "modules")) if f.endswith(".py"))
    docs = json.loads(run(os.path.join(TOOLS, "ansible-doc"), "--json", *["tenantdr.asr." + m for m in modules],
                          cwd=installed["cwd"], env=installed["env"]))
    assert sorted(docs) == ["tenantdr.asr." + m for m in modules]
    for name, doc in docs.items():
        assert doc["doc"]["filename"].startswith(str(installed["path"])), name    # the installed copy, not the checkout
        assert doc["doc"]["short_description"] and doc["examples"] and doc["return"], name
    roles = sorted(os.listdir(installed["path"] / "roles"))
    assert roles == sorted(os.listdir(os.path.join(REPO_ROOT, "roles")))
    docs = json.loads(run(os.path.join(TOOLS, "ansible-doc"), "-t", "role", "--json", *["tenantdr.asr." + r for r in roles],
                          cwd=installed["cwd"], env=installed["env"]))
    assert sorted(docs) == ["tenantdr.asr." + r for r in roles]
    assert all(doc["entry_points"]["main"]["short_description"] for doc in docs.values())


def test_installed_playbooks_pass_the_syntax_check(installed):
    playbooks = sorted(f[:-4] for f in os.listdir(installed["path"] / "playbooks") if f.endswith(".yml"))
    assert playbooks == ["audit_tenants", "offboard_tenant", "onboard_tenant", "preflight", "preflight_verdict"]
    out = run(os.path.join(TOOLS, "ansible-playbook"), "--syntax-check", "-i", "localhost,",
              *["tenantdr.asr." + p for p in playbooks], cwd=installed["cwd"], env=installed["env"])
    assert "ERROR" not in out


def test_changelog_version_and_requires_ansible():
    with open(os.path.join(REPO_ROOT, "changelogs", "changelog.yaml"), encoding="utf-8") as handle:
        changelog = yaml.safe_load(handle)
    version = galaxy()["version"]
    assert re.fullmatch(r"\d+\.\d+\.\d+", version)                      # semantic versioning
    assert version in changelog["releases"]
    with open(os.path.join(REPO_ROOT, "CHANGELOG.md"), encoding="utf-8") as handle:
        assert "v%s" % version.replace(".", "\\.") in handle.read()
    run(os.path.join(TOOLS, "antsibull-changelog"), "lint", cwd=REPO_ROOT)
    # requires_ansible: what CI installs (requirements-dev.txt) and tests
    with open(os.path.join(REPO_ROOT, "meta", "runtime.yml"), encoding="utf-8") as handle:
        requires = yaml.safe_load(handle)["requires_ansible"]
    with open(os.path.join(REPO_ROOT, "requirements-dev.txt"), encoding="utf-8") as handle:
        pinned = re.search(r"^ansible-core>=(\d+\.\d+),<(\d+\.\d+)", handle.read(), re.M)
    assert requires == ">=%s.0" % pinned.group(1)
    from ansible.release import __version__ as core  # pylint: disable=import-outside-toplevel
    assert core.startswith(pinned.group(1) + ".")
