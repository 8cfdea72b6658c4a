# Source this file to use the checkout's virtualenv and collection path in your shell:
#   . scripts/env.sh
_tdr_repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$_tdr_repo/.venv/bin:$PATH"
export ANSIBLE_COLLECTIONS_PATH="$_tdr_repo/.build/collections"
export ANSIBLE_COLLECTIONS_SCAN_SYS_PATH=false
unset _tdr_repo
