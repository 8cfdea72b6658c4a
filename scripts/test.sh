#!/usr/bin/env bash
# Set everything up, then run every test: ansible-test sanity, ansible-doc rendering, unit and
# integration tests (pytest, against the local vCenter simulator and local ARM endpoint),
# ansible-lint (production profile) and the molecule scenarios.  Exits non-zero on any failure.
set -uo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
bash scripts/setup.sh || { echo "setup failed" >&2; exit 1; }
# shellcheck source=/dev/null
. scripts/env.sh

failed=()
LOGS="$(mktemp -d "${TMPDIR:-/tmp}/tenantdr-ci.XXXXXX")"
CI_T0=$SECONDS
step() {
  local name="$1"; shift
  printf '\n==== %s\n' "$name"
  local t0=$SECONDS
  if "$@"; then
    printf '==== %s: ok (%ss)\n' "$name" $((SECONDS - t0))
  else
    printf '==== %s: FAILED (%ss)\n' "$name" $((SECONDS - t0))
    failed+=("$name")
  fi
}

# concurrently NAME:FUNCTION ... - run independent steps at the same time (the machine has 2 cores; most steps keep one
# busy), each step's output in its own log, printed whole and in order once all are done.
concurrently() {
  local spec name fn pids=() names=() t0=$SECONDS i
  for spec in "$@"; do
    name="${spec%%:*}"; fn="${spec#*:}"
    ( s0=$SECONDS
      if $fn > "$LOGS/$name.log" 2>&1; then echo "ok $((SECONDS - s0))"; else echo "FAILED $((SECONDS - s0))"; fi \
        > "$LOGS/$name.status" ) &
    pids+=($!); names+=("$name")
  done
  for i in "${!pids[@]}"; do wait "${pids[$i]}"; done
  for name in "${names[@]}"; do
    printf '\n==== %s\n' "$name"
    cat "$LOGS/$name.log"
    read -r verdict secs < "$LOGS/$name.status" || { verdict=FAILED; secs='?'; }
    printf '==== %s: %s (%ss)\n' "$name" "$verdict" "$secs"
    [ "$verdict" = ok ] || failed+=("$name")
  done
  printf '==== (%s ran together in %ss)\n' "${names[*]}" $((SECONDS - t0))
}

sanity() {
  # ansible-test needs the collection under .../ansible_collections/tenantdr/asr, in a real directory that is not
  # inside this git work tree (inside it, ansible-test lists files through our git and finds .build/ ignored).
  local root dest out rc
  root="$(mktemp -d "${TMPDIR:-/tmp}/tenantdr-sanity.XXXXXX")"
  dest="$root/ansible_collections/tenantdr/asr"
  mkdir -p "$dest"
  git ls-files -z -co --exclude-standard | tar --null -T - -cf - | tar -xf - -C "$dest"
  out="$root/sanity.log"
  (cd "$dest" && ansible-test sanity --python "$(python -c 'import sys; print("%d.%d" % sys.version_info[:2])')" --color no) 2>&1 | tee "$out"
  rc=${PIPESTATUS[0]}
  if grep -q "All targets skipped" "$out"; then
    echo "sanity: ansible-test found no files to test" >&2
    rc=1
  fi
  rm -rf "$root"
  return "$rc"
}

docs() {
  local m rc=0
  for m in plugins/modules/*.py; do
    m="$(basename "$m" .py)"
    if ansible-doc "tenantdr.asr.$m" > /dev/null; then echo "ansible-doc tenantdr.asr.$m: ok"; else rc=1; fi
  done
  for r in roles/*/; do
    r="$(basename "$r")"
    if ansible-doc -t role "tenantdr.asr.$r" > /dev/null; then echo "ansible-doc -t role tenantdr.asr.$r: ok"; else rc=1; fi
  done
  return $rc
}

collection_copy() {
  # A copy of the collection under .../ansible_collections/tenantdr/asr outside the git work tree (as sanity() makes).
  local root
  root="$(mktemp -d "${TMPDIR:-/tmp}/tenantdr-copy.XXXXXX")"
  mkdir -p "$root/ansible_collections/tenantdr/asr"
  git ls-files -z -co --exclude-standard | tar --null -T - -cf - | tar -xf - -C "$root/ansible_collections/tenantdr/asr"
  echo "$root"
}

docs_lint() {
  # antsibull-docs: module docs, role argument specs and semantic markup (M(), O(), V(), P(...#role) references).
  local root rc
  root="$(collection_copy)"
  (cd "$root/ansible_collections/tenantdr/asr" && ANSIBLE_COLLECTIONS_PATH="$root" antsibull-docs lint-collection-docs --plugin-docs .)
  rc=$?
  rm -rf "$root"
  return $rc
}

changelog_lint() { antsibull-changelog lint; }

ee_context() {
  # The execution environment's build context (Containerfile + _build/) from awx/execution-environment.yml. Building
  # the image needs podman or docker, which CI here does not have; ansible-builder introspect shows what the collection
  # adds to it (meta/ee-requirements.txt, meta/ee-bindep.txt).
  rm -rf .build/ee-context
  ansible-builder create -f awx/execution-environment.yml -c .build/ee-context --output-filename Containerfile &&
    ansible-builder introspect --sanitize .build/collections
}

# --no-loadscope-reorder: xdist would otherwise hand out the files with the most tests first, leaving the slow files of
# one or two long tests (playbook runs) for the end; tests/integration/conftest.py puts the slowest files first instead.
pytests() { python -m pytest -q -p no:cacheprovider -n 2 --dist loadfile --no-loadscope-reorder; }

lint() { ansible-lint --profile production --offline roles playbooks extensions; }

molecule_scenario() {
  # One scenario in a lab of its own (own simulators, ARM endpoint, overlay inventory and ANSIBLE_HOME), so the
  # scenarios can run at the same time: each touches only its own tenants, and now not even the same endpoints.
  local name="$1"
  ANSIBLE_HOME="$REPO/.build/ansible-home/$name" python -m tests.lab run --workdir "$REPO/.build/lab-$name" -- \
    molecule test -s "$name"
}

# the molecule scenarios: one step each (molecule-<scenario>), all of extensions/molecule/*/molecule.yml
molecule_steps=()
for scenario_file in extensions/molecule/*/molecule.yml; do
  scenario="$(basename "$(dirname "$scenario_file")")"
  eval "molecule_$scenario() { molecule_scenario $scenario; }"
  molecule_steps+=("molecule-$scenario:molecule_$scenario")
done

mutation_check() {
  # Mutation check (issue 16): one-line defects in plugins/ must make the relevant tests fail (scripts/mutation_check.py).
  python scripts/mutation_check.py
}

# Independent steps run together, so that the 2 cores stay busy: pytest (2 workers) with sanity (one process for two
# minutes) and the short documentation checks; then the molecule scenarios (each in a lab of its own), the mutation
# check and ansible-lint, each one process at a time. No step reads what another writes (sanity, antsibull-docs and the
# mutation check work on copies; the labs and simulators listen on free loopback ports).
concurrently pytest:pytests sanity:sanity ansible-doc:docs antsibull-docs:docs_lint changelog:changelog_lint \
  ee-context:ee_context
concurrently "${molecule_steps[@]}" mutation-check:mutation_check ansible-lint:lint

printf '\n==== all test steps: %ss\n' $((SECONDS - CI_T0))
rm -rf "$LOGS"
if [ ${#failed[@]} -gt 0 ]; then
  echo "FAILED steps: ${failed[*]}"
  exit 1
fi
echo "all test steps passed"
