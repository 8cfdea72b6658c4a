#!/usr/bin/env bash
# Set up everything tenantdr.asr needs on a fresh Debian/Ubuntu machine (run as root):
#   apt packages (Go, govmomi's simulator sources, python3-venv), a virtualenv in .venv with the
#   pinned Python packages, the local vCenter simulator binary, and the ansible_collections path.
# Safe to re-run: every step is skipped when already done.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
log() { printf '\n== setup: %s\n' "$*"; }

APT_PACKAGES=(golang-go golang-github-vmware-govmomi-dev python3 python3-venv python3-pip git tar ca-certificates chromium chromium-driver)
# what the virtualenv needs; the rest (Go, govmomi's sources, Chromium) is installed while pip installs the venv
APT_FIRST=(python3 python3-venv python3-pip git tar ca-certificates)
apt_missing() {
  local pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || echo "$pkg"
  done
}
apt_install() {
  log "apt-get install $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@"
}
mapfile -t missing < <(apt_missing "${APT_PACKAGES[@]}")
if [ ${#missing[@]} -gt 0 ]; then
  log "apt-get update"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  mapfile -t first < <(apt_missing "${APT_FIRST[@]}")
  if [ ${#first[@]} -gt 0 ]; then apt_install "${first[@]}"; fi
fi

# The rest of apt and the simulator build (needs Go) run next to the virtualenv's pip install: the downloads and the
# Go compiler overlap with pip's downloads and wheel installs.
build_tools() {
  local rest
  mapfile -t rest < <(apt_missing "${APT_PACKAGES[@]}")
  if [ ${#rest[@]} -gt 0 ]; then apt_install "${rest[@]}"; fi
  log "vCenter simulator"
  bash tests/simulator/build.sh
}
build_tools_log="$(mktemp "${TMPDIR:-/tmp}/tenantdr-setup.XXXXXX")"
build_tools > "$build_tools_log" 2>&1 &
build_tools_pid=$!

PYTHON="${PYTHON:-python3}"
if ! "$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)'; then
  echo "setup: Python >= 3.11 is required (ansible-core 2.19); found $("$PYTHON" --version 2>&1)" >&2
  wait "$build_tools_pid" || true
  exit 1
fi
stamp=".venv/.requirements.sha256"
want="$(cat requirements.txt requirements-dev.txt | sha256sum | cut -d' ' -f1)"
venv_rc=0
if [ ! -x .venv/bin/python ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  log "virtualenv .venv"
  { "$PYTHON" -m venv .venv &&
    .venv/bin/python -m pip install -q --upgrade pip &&
    .venv/bin/python -m pip install -q -r requirements-dev.txt &&
    echo "$want" > "$stamp"; } || venv_rc=$?
fi

build_rc=0
wait "$build_tools_pid" || build_rc=$?
cat "$build_tools_log"
rm -f "$build_tools_log"
if [ "$venv_rc" -ne 0 ]; then echo "setup: the virtualenv's pip install failed (exit $venv_rc)" >&2; exit 1; fi
if [ "$build_rc" -ne 0 ]; then echo "setup: apt or the simulator build failed (exit $build_rc)" >&2; exit 1; fi

log "collection path .build/collections/ansible_collections/tenantdr/asr"
mkdir -p .build/collections/ansible_collections/tenantdr
ln -sfn "$REPO" .build/collections/ansible_collections/tenantdr/asr

# ansible-test bootstraps pip in its sanity venvs by downloading get-pip from a host this
# machine cannot reach; this stand-in uses ensurepip and PyPI instead (see docs/testing.md).
cache="$HOME/.ansible/test/cache"
mkdir -p "$cache"
for ver in 24_2 24_3 25_0 25_1; do
  cat > "$cache/get_pip_${ver}.py" <<'PY'
import subprocess
import sys
args = [a for a in sys.argv[1:] if a not in ('--no-setuptools', '--no-wheel')]
subprocess.check_call([sys.executable, '-m', 'ensurepip', '--default-pip'])
subprocess.check_call([sys.executable, '-m', 'pip', 'install', '--disable-pip-version-check'] + args)
PY
done
log "done"
