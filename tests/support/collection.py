"""Make ``ansible_collections.tenantdr.asr`` importable from a plain checkout.

The collection's source is the repository root; Ansible and pytest need it under an
``ansible_collections/tenantdr/asr`` path.  We keep a symlink farm in ``.build/collections``
(git-ignored) and put it on ``sys.path``.  ``scripts/setup.sh`` creates the same farm for
``ansible-playbook`` (``ANSIBLE_COLLECTIONS_PATH``).
"""
from __future__ import annotations

import os
import sys

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
COLLECTIONS_DIR = os.path.join(REPO_ROOT, ".build", "collections")
COLLECTION_LINK = os.path.join(COLLECTIONS_DIR, "ansible_collections", "tenantdr", "asr")


def ensure_collection_path() -> str:
    """Create the symlink farm if needed and put it first on sys.path; return its directory."""
    if not os.path.lexists(COLLECTION_LINK):
        os.makedirs(os.path.dirname(COLLECTION_LINK), exist_ok=True)
        os.symlink(REPO_ROOT, COLLECTION_LINK)
    if COLLECTIONS_DIR not in sys.path:
        sys.path.insert(0, COLLECTIONS_DIR)
    return COLLECTIONS_DIR
