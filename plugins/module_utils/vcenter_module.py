# -*- coding: utf-8 -*-
# Copyright: tenantdr.asr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One base for the vCenter jobs of tenantdr.asr: shared argument spec (connection, proxy, timeout, retries), the
session, and one mapping of errors to a failure - plan errors with their conflicts, vSphere faults and lost
connections with their traceback in ``exception`` - so the modules' ``main()`` functions stay alike.

    def main():
        VCenterModule(argument_spec=dict(...)).run(work)   # work(vcm) -> result dict

``work`` opens the session with ``vcm.session()`` (one login) and returns the result; ``retries`` is added to the
result when a transient failure was retried.

The same ``work`` also runs inside an action plugin, in the controller's worker process, with :class:`VCenterTask`:
the parameters are validated against the same argument spec (defaults, choices, the ``VMWARE_*`` fallbacks), and
``run`` returns the result (``failed`` and ``msg`` on a failure) instead of exiting. The playbooks' pipeline
(``tenantdr.asr.inventory_tenants``) runs ``vcenter_tenants`` that way: no module payload to build, no interpreter to
start, no result to serialise and parse again.
"""
from __future__ import annotations

import http.client
import traceback

from ansible.module_utils.basic import AnsibleModule, missing_required_lib, remove_values

from ansible_collections.tenantdr.asr.plugins.module_utils.arguments import validate_arguments
from ansible_collections.tenantdr.asr.plugins.module_utils.memory import collector_eased
from ansible_collections.tenantdr.asr.plugins.module_utils.permissions import PlanError
from ansible_collections.tenantdr.asr.plugins.module_utils.role_profiles import ProfileError
from ansible_collections.tenantdr.asr.plugins.module_utils.vcenter import (
    HAS_PYVMOMI, PYVMOMI_IMPORT_ERROR, VCenterConnection, VCenterError, fault_text, require_pyvmomi,
    vcenter_argument_spec, vmodl)


def parallel_writes_problem(params):
    """The refusal text when ``parallel_writes`` is below 1, else None."""
    if params['parallel_writes'] < 1:
        return 'parallel_writes must be 1 (one write after another) or more; got %d' % params['parallel_writes']
    return None


class VCenterRun:
    """What every vCenter job shares, as a module or inside an action plugin: its parameters, its sessions (and their
    retries), and one mapping of errors to a failure. Subclasses say how a job warns, fails and ends."""

    def __init__(self, params, check_mode):
        self.params = params
        self._check_mode = check_mode
        self.connections = []
        self.fail_extra = {}

    @property
    def check_mode(self):
        return self._check_mode

    def warn(self, text):
        raise NotImplementedError

    def _fail(self, result):
        raise NotImplementedError

    def _exit(self, result):
        raise NotImplementedError

    def session(self, params=None) -> VCenterConnection:
        """A not yet opened connection (use it as a context manager); its retries end up in the result."""
        conn = VCenterConnection(params or self.params)
        self.connections.append(conn)
        return conn

    def retries(self):
        return [r for c in self.connections for r in c.retried]

    def fail(self, msg, exception=None, **extra):
        result = dict(self.fail_extra)
        result.update(extra)
        if self.retries():
            result['retries'] = self.retries()
        if exception is not None:
            result['exception'] = exception
        result['msg'] = msg
        return self._fail(result)

    def run(self, work):
        """Run ``work(self)`` and end with its result, or fail with one clear message."""
        try:
            with collector_eased():
                result = work(self)
        except PlanError as exc:
            extra = {}
            if getattr(exc, 'conflicts', None) is not None:
                extra['conflicts'] = exc.conflicts
            return self.fail(str(exc), **extra)
        except (VCenterError, ProfileError) as exc:
            return self.fail(str(exc))
        except (OSError, http.client.HTTPException) as exc:
            return self.fail('lost the connection to vCenter %s:%s after %d retr%s: %s: %s. Nothing after the failed call '
                             'was changed; re-run to converge'
                             % (self.params['hostname'], self.params['port'], len(self.retries()),
                                'y' if len(self.retries()) == 1 else 'ies', type(exc).__name__, exc),
                             exception=traceback.format_exc())
        except Exception as exc:  # pylint: disable=broad-except
            if HAS_PYVMOMI and isinstance(exc, vmodl.MethodFault):
                return self.fail('vCenter refused a call: %s' % fault_text(exc), exception=traceback.format_exc())
            raise
        if self.retries():
            result['retries'] = self.retries()
        return self._exit(result)


class VCenterModule(VCenterRun):
    """An AnsibleModule with the vCenter connection options."""

    def __init__(self, argument_spec=None, supports_check_mode=True, **kwargs):
        spec = vcenter_argument_spec()
        spec.update(argument_spec or {})
        self.module = AnsibleModule(argument_spec=spec, supports_check_mode=supports_check_mode, **kwargs)
        require_pyvmomi(self.module)
        super().__init__(self.module.params, self.module.check_mode)
        problem = parallel_writes_problem(self.params)
        if problem:
            self.module.fail_json(msg=problem)

    def warn(self, text):
        self.module.warn(text)

    def _fail(self, result):
        self.module.fail_json(**result)

    def _exit(self, result):
        self.module.exit_json(**result)


class _TaskFailed(Exception):
    def __init__(self, result):
        super().__init__(result.get('msg'))
        self.result = result


class VCenterTask(VCenterRun):
    """A vCenter job inside an action plugin (the controller's worker process), with a module's parameter handling:
    ``args`` are validated against the vCenter options plus ``argument_spec``; ``run(work)`` returns the result dict.
    Secrets (``no_log`` options) are masked in everything returned, as a module's result would be."""

    def __init__(self, argument_spec, args, check_mode=False, bulk=()):
        """``bulk``: options of type list of dicts handed on as they are (see ``arguments.validate_arguments``)."""
        spec = vcenter_argument_spec()
        spec.update(argument_spec or {})
        params, problems, self._no_log_values = validate_arguments(spec, args, bulk)
        self.problem = '; '.join(problems) or None
        super().__init__(params, check_mode)
        if self.problem is None and not HAS_PYVMOMI:
            self.problem = missing_required_lib('pyvmomi') + ': ' + str(PYVMOMI_IMPORT_ERROR)
        if self.problem is None:
            self.problem = parallel_writes_problem(self.params)
        self._warnings = []

    def warn(self, text):
        self._warnings.append(text)

    def _fail(self, result):
        raise _TaskFailed(dict(result, failed=True))

    def _exit(self, result):
        return result

    def run(self, work):
        if self.problem:
            return self._masked(dict(failed=True, changed=False, msg=self.problem))
        try:
            result = super().run(work)
        except _TaskFailed as exc:
            result = exc.result
        result.setdefault('changed', False)
        if self._warnings:
            result['warnings'] = list(result.get('warnings') or []) + self._warnings
        return self._masked(result)

    def _masked(self, result):
        return remove_values(result, self._no_log_values) if self._no_log_values else result
