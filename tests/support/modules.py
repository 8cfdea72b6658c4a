"""Run a collection module in-process, the way Ansible would, and return its result.

The module talks to the real simulator / local ARM endpoint; only the transport between
Ansible's controller and the module (argument JSON in, result JSON out) is short-circuited.
"""
from __future__ import annotations

import importlib
import io
import json
import contextlib

from unittest import mock

from ansible.module_utils import _internal as _module_internal
from ansible.module_utils.testing import patch_module_args


class ModuleFailed(Exception):
    """Raised by :func:`run_module` when the module called ``fail_json``."""

    def __init__(self, result: dict):
        super().__init__(result.get("msg"))
        self.result = result
        self.msg = result.get("msg", "")


def run_module(name: str, args: dict, check_mode: bool = False, diff: bool = False, expect_failure: bool = False) -> dict:
    """Run ``tenantdr.asr.<name>`` with ``args``; return the result dict.

    Raises :class:`ModuleFailed` when the module fails, unless ``expect_failure`` is set, in
    which case the failed result is returned.
    """
    mod = importlib.import_module(f"ansible_collections.tenantdr.asr.plugins.modules.{name}")
    full_args = dict(args)
    full_args["_ansible_check_mode"] = check_mode
    full_args["_ansible_diff"] = diff
    out = io.StringIO()
    # A real module process never has Ansible's controller loaded.  When a test in the same pytest process has
    # imported controller code (the lab loads inventories with it), ansible-core would send module warnings to the
    # controller's display instead of the result; pin the module-side behaviour.
    with patch_module_args(full_args), contextlib.redirect_stdout(out), \
            mock.patch.object(_module_internal, "is_controller", False):
        try:
            mod.main()
        except SystemExit:
            pass
    text = out.getvalue().strip()
    # The result is the last JSON document printed on stdout.
    result = json.loads(text[text.index("{"):]) if text else {}
    if result.get("failed"):
        if expect_failure:
            return result
        raise ModuleFailed(result)
    if expect_failure:
        raise AssertionError(f"module {name} was expected to fail but returned {result!r}")
    return result


def warning_texts(result: dict) -> list:
    """Warning messages of a module result (ansible-core 2.19 returns them as WarningSummary objects)."""
    out = []
    for w in result.get("warnings", []):
        if isinstance(w, dict):
            out.append(str((w.get("event") or {}).get("msg") or w.get("msg") or w))
        else:
            out.append(str(w))
    return out
