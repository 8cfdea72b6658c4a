#!/usr/bin/env python
"""Mutation check: do the tests fail when the code under test is wrong?

Each mutation below changes one line of ``plugins/`` the way a real defect would (a privilege dropped from the ASR
role, the propagate flag ignored, an object kind dropped from the plan, exclusive removal turned off, the vault key
file created world-readable, ...).  The script copies the repository (tracked and untracked, not ignored files) to a
scratch directory with its own ``.build/collections`` symlink farm, reusing the shared virtualenv and the simulator
binary, checks that the relevant test files pass there unchanged (baseline), then applies each mutation in turn, runs
only the relevant test files with ``-x -q`` and restores the line.  A mutation the tests do not catch "survives"; the
script exits 1 when any survives, when a baseline fails, or when a mutation point is not found.

The code is being refactored: every mutation point is a regular expression in the MUTATIONS table right below, which
must match exactly once in its file.  When it does not, the script stops with an error naming the mutation, the file
and the pattern - adjust the pattern, never the tests.

Usage (inside ``. scripts/env.sh``)::

    python scripts/mutation_check.py            # every mutation
    python scripts/mutation_check.py --list     # the table
    python scripts/mutation_check.py --only exclusive-off --keep
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

# ----------------------------------------------------------------------------------------------------------------------
# The mutations.  pattern: a regular expression that must match exactly once in ``file``; replacement: re.sub syntax.
# tests: the test files that must fail with the mutation (fast ones first: pytest stops at the first failure).
# ----------------------------------------------------------------------------------------------------------------------
UNIT = "tests/unit/plugins/module_utils/"
VC = "tests/integration/vcenter/"
MUTATIONS = [
    dict(name="privilege-dropped",
         what="'VMware tools install' dropped from the ASR privilege list",
         file="plugins/module_utils/role_profiles.py",
         pattern=r", 'VirtualMachine\.Interact\.ToolsInstall'",
         replacement="",
         tests=[UNIT + "test_role_profiles.py", VC + "test_vcenter_tenant_role.py"]),
    dict(name="plan-propagates",
         what="the plan asks for propagate=true on the DR-role objects",
         file="plugins/module_utils/tenant_plan.py",
         pattern=r"(objects=\['%s:%s' % \(o\['type'\], o\['moid'\]\) for o in objects if o\['kind'\] != 'vcenter_root'\],"
                 r"\s*propagate=)False",
         replacement=r"\1True",
         tests=[UNIT + "test_tenant_plan.py", VC + "test_lab_verify.py"]),
    dict(name="writer-ignores-propagate",
         what="the permission writer (SOAP text, the default) sends propagate=true whatever was asked",
         file="plugins/module_utils/vcenter_soap.py",
         pattern=r"_XML_BOOL\[bool\(p\['propagate'\]\)\]",
         replacement="'true'",
         tests=[UNIT + "test_soap_writes.py", VC + "test_lab_verify.py", VC + "test_vcenter_nonpropagating_permission.py"]),
    dict(name="pyvmomi-writer-ignores-propagate",
         what="the permission writer through pyVmomi (fast_write off) sends propagate=true whatever was asked",
         file="plugins/module_utils/vcenter.py",
         pattern=r"(vim\.AuthorizationManager\.Permission\(principal=p\['principal'\], group=p\['group'\], "
                 r"roleId=p\['role_id'\],\s*propagate=)p\['propagate'\]",
         replacement=r"\1True",
         tests=[VC + "test_vcenter_soap.py"]),
    dict(name="lost-removal-answer-fails",
         what="a removal whose answer was lost fails the run on its retry (vCenter's NotFound not taken as done)",
         file="plugins/module_utils/vcenter.py",
         pattern=r"except vim\.fault\.NotFound:\n(\s*)pass\n(\s*)self\.retry\(remove, 'RemoveEntityPermission'\)",
         replacement=r"except vim.fault.AlreadyExists:\n\1pass\n\2self.retry(remove, 'RemoveEntityPermission')",
         tests=[VC + "test_vcenter_retries.py"]),
    dict(name="scanner-ignores-propagate",
         what="the bulk-read scanner reads every permission as propagating",
         file="plugins/module_utils/vcenter_soap.py",
         pattern=r"propagate=pr in _BTRUE\)",
         replacement="propagate=True)",
         tests=[UNIT + "test_soap_scan.py", VC + "test_vcenter_soap.py"]),
    dict(name="datastores-dropped",
         what="datastores dropped from the plan (datastore clusters kept)",
         file="plugins/module_utils/tenant_plan.py",
         pattern=r"^(\s*)out\[ds\] = 'datastore'$",
         replacement=r"\1pass  # mutation: datastores dropped",
         tests=[VC + "test_lab_verify.py"]),
    dict(name="datastore-clusters-dropped",
         what="datastore clusters dropped from the plan",
         file="plugins/module_utils/tenant_plan.py",
         pattern=r"^(\s*)out\[parent\] = 'datastore_cluster'$",
         replacement=r"\1pass  # mutation: datastore clusters dropped",
         tests=[VC + "test_lab_verify.py"]),
    dict(name="exclusive-off",
         what="exclusive removal turned off",
         file="plugins/module_utils/permissions.py",
         pattern=r"^(\s*)if exclusive:$",
         replacement=r"\1if False:  # mutation: exclusive off",
         tests=[VC + "test_exclusive_removal.py"]),
    dict(name="key-file-0644",
         what="the vault registration key file created with mode 0644",
         file="plugins/module_utils/vault_credentials.py",
         pattern=r"return (tempfile\.mkstemp\(prefix=f\"\.\{base\}\.\", suffix=\"\.tmp\", dir=directory\))$",
         replacement=r"return (lambda made: (os.chmod(made[1], 0o644), made)[1])(\1)",
         tests=[UNIT + "test_vault_credentials.py"]),
    dict(name="audit-ignores-propagate",
         what="the isolation model lets a non-propagating permission reach the children",
         file="plugins/module_utils/isolation.py",
         pattern=r"(users = \[p for p in index\.get\(\(entity, account\.user_key, False\), \(\)\) if )explicit or p\['propagate'\]\]",
         replacement=r"\1True]",
         tests=[UNIT + "test_isolation.py"]),
]

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SKIP_TOP = {".venv", ".build", ".git"}


class MutationSetupError(Exception):
    """A mutation point was not found, or the scratch copy could not be built."""


def locate(root, mutation):
    """The mutated text of ``mutation['file']`` under ``root``; raise MutationSetupError unless the pattern matches once."""
    path = os.path.join(root, mutation["file"])
    if not os.path.exists(path):
        raise MutationSetupError("mutation %s: file %s does not exist (moved? adjust MUTATIONS in %s)"
                                 % (mutation["name"], mutation["file"], os.path.relpath(__file__, REPO)))
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    regex = re.compile(mutation["pattern"], re.M)
    found = len(regex.findall(text))
    if found != 1:
        raise MutationSetupError("mutation %s: pattern %r matches %d time(s) in %s, expected exactly once; the code "
                                 "changed - adjust the pattern in MUTATIONS (%s)"
                                 % (mutation["name"], mutation["pattern"], found, mutation["file"],
                                    os.path.relpath(__file__, REPO)))
    for test in mutation["tests"]:
        if not os.path.exists(os.path.join(root, test)):
            raise MutationSetupError("mutation %s: test file %s does not exist" % (mutation["name"], test))
    return path, text, regex.sub(mutation["replacement"], text, count=1)


def changed_line(before, after):
    for old, new in zip(before.splitlines(), after.splitlines()):
        if old != new:
            return old.strip(), new.strip()
    return "", ""


def scratch_copy():
    """Copy the checkout's files (tracked + untracked, not ignored) to a new directory; link the shared virtualenv."""
    files = subprocess.run(["git", "ls-files", "-z", "-co", "--exclude-standard"], cwd=REPO, check=True,
                           stdout=subprocess.PIPE).stdout.decode().split("\0")
    root = tempfile.mkdtemp(prefix="tenantdr-mutation-")
    for rel in files:
        if not rel or rel.split("/", 1)[0] in SKIP_TOP:
            continue
        src = os.path.join(REPO, rel)
        if not os.path.lexists(src):
            continue        # deleted in the work tree
        dest = os.path.join(root, rel)
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        shutil.copy2(src, dest, follow_symlinks=False)
    venv = os.path.join(REPO, ".venv")
    if os.path.exists(venv):
        os.symlink(os.path.realpath(venv), os.path.join(root, ".venv"))
    # tests/support/collection.py creates <root>/.build/collections/ansible_collections/tenantdr/asr -> <root>
    os.makedirs(os.path.join(root, ".build", "collections"), exist_ok=True)
    return root


def simulator_binary():
    sys.path.insert(0, REPO)
    try:
        from tests.simulator.vcsim import ensure_binary  # pylint: disable=import-outside-toplevel
        return ensure_binary()
    finally:
        sys.path.remove(REPO)


def run_tests(root, tests, binary):
    env = dict(os.environ)
    env.update({"TENANTDR_VCSIM_BIN": binary, "PYTHONDONTWRITEBYTECODE": "1",
                "ANSIBLE_COLLECTIONS_PATH": os.path.join(root, ".build", "collections")})
    env.pop("PYTHONPATH", None)
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "-p", "no:xdist",
                           "-o", "addopts=", *tests], cwd=root, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, check=False)
    return proc.returncode, proc.stdout, time.monotonic() - started


def first_failure(output):
    for line in output.splitlines():
        if line.startswith(("FAILED ", "ERROR ")) or re.match(r"^E\s", line):
            return line.strip()[:160]
    return output.strip().splitlines()[-1][:160] if output.strip() else ""


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--list", action="store_true", help="show the mutations and exit")
    parser.add_argument("--only", action="append", help="run only this mutation (repeatable)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch copy")
    args = parser.parse_args(argv)
    wanted = [m for m in MUTATIONS if not args.only or m["name"] in args.only]
    unknown = sorted(set(args.only or []) - {m["name"] for m in MUTATIONS})
    if unknown:
        parser.error("unknown mutation(s) %s; valid: %s" % (", ".join(unknown), ", ".join(m["name"] for m in MUTATIONS)))
    if args.list:
        for m in wanted:
            print("%-28s %s\n%28s %s: /%s/\n%28s tests: %s" % (m["name"], m["what"], "", m["file"], m["pattern"], "",
                                                               ", ".join(m["tests"])))
        return 0
    started = time.monotonic()
    try:
        for m in wanted:            # every pattern is checked before anything runs
            locate(REPO, m)
        binary = simulator_binary()
        root = scratch_copy()
    except (MutationSetupError, OSError, subprocess.CalledProcessError) as exc:
        print("mutation check: %s" % exc, file=sys.stderr)
        return 2
    print("mutation check: %d mutation(s), scratch copy %s" % (len(wanted), root))
    failures = []
    try:
        tests = sorted({t for m in wanted for t in m["tests"]})
        rc, out, secs = run_tests(root, tests, binary)
        if rc != 0:
            print(out[-4000:])
            print("baseline FAILED (%.0fs): the relevant tests fail without any mutation" % secs)
            return 1
        print("baseline     ok (%.0fs): %s" % (secs, out.strip().splitlines()[-1]))
        for m in wanted:
            path, original, mutated = locate(root, m)
            old, new = changed_line(original, mutated)
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(mutated)
            try:
                rc, out, secs = run_tests(root, m["tests"], binary)
            finally:
                with open(path, "w", encoding="utf-8") as handle:
                    handle.write(original)
            if rc in (1, 2):
                print("killed       %-28s (%4.0fs) %s" % (m["name"], secs, first_failure(out)))
            elif rc == 0:
                failures.append(m["name"])
                print("SURVIVED     %-28s (%4.0fs) %s\n             %s: %r -> %r\n             tests: %s"
                      % (m["name"], secs, m["what"], m["file"], old, new, ", ".join(m["tests"])))
            else:
                failures.append(m["name"])
                print("ERROR        %-28s pytest exit %d:\n%s" % (m["name"], rc, out[-2000:]))
    finally:
        if args.keep:
            print("scratch copy kept: %s" % root)
        else:
            shutil.rmtree(root, ignore_errors=True)
    total = time.monotonic() - started
    if failures:
        print("mutation check FAILED in %.0fs: %s survived or errored" % (total, ", ".join(failures)))
        return 1
    print("mutation check passed in %.0fs: all %d mutation(s) killed" % (total, len(wanted)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
