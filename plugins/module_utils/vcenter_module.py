# -*- coding: utf-8 -*-
# Copyright: tenantdr.asr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One base for the vCenter modules of tenantdr.asr: shared argument spec (connection, proxy, timeout, retries),
the session, and one mapping of errors to ``fail_json`` - plan errors with their conflicts, vSphere faults and lost
connections with their traceback in ``exception`` - so the modules' ``main()`` functions stay alike.

    def main():
        VCenterModule(argument_spec=dict(...)).run(work)   # work(vcm) -> result dict

``work`` opens the session with ``vcm.session()`` (one login) and returns the result; ``retries`` is added to the
result when a transient failure was retried.
"""
from __future__ import annotations

import http.client
import traceback

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.tenantdr.asr.plugins.module_utils.permissions import PlanError
from ansible_collections.tenantdr.asr.plugins.module_utils.role_profiles import ProfileError
from ansible_collections.tenantdr.asr.plugins.module_utils.vcenter import (
    HAS_PYVMOMI, VCenterConnection, VCenterError, fault_text, require_pyvmomi, vcenter_argument_spec, vmodl)


class VCenterModule:
    """An AnsibleModule with the vCenter connection options, and the session/error handling every module shares."""

    def __init__(self, argument_spec=None, supports_check_mode=True, **kwargs):
        spec = vcenter_argument_spec()
        spec.update(argument_spec or {})
        self.module = AnsibleModule(argument_spec=spec, supports_check_mode=supports_check_mode, **kwargs)
        require_pyvmomi(self.module)
        self.params = self.module.params
        if self.params['parallel_writes'] < 1:
            self.module.fail_json(msg='parallel_writes must be 1 (one write after another) or more; got %d'
                                  % self.params['parallel_writes'])
        self.connections = []
        self.fail_extra = {}

    @property
    def check_mode(self):
        return self.module.check_mode

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
        self.module.fail_json(msg=msg, **result)

    def run(self, work):
        """Run ``work(self)`` and exit with its result, or fail with one clear message."""
        try:
            result = work(self)
        except PlanError as exc:
            extra = {}
            if getattr(exc, 'conflicts', None) is not None:
                extra['conflicts'] = exc.conflicts
            self.fail(str(exc), **extra)
        except (VCenterError, ProfileError) as exc:
            self.fail(str(exc))
        except (OSError, http.client.HTTPException) as exc:
            self.fail('lost the connection to vCenter %s:%s after %d retr%s: %s: %s. Nothing after the failed call was '
                      'changed; re-run to converge' % (self.params['hostname'], self.params['port'], len(self.retries()),
                                                       'y' if len(self.retries()) == 1 else 'ies', type(exc).__name__, exc),
                      exception=traceback.format_exc())
        except Exception as exc:  # pylint: disable=broad-except
            if HAS_PYVMOMI and isinstance(exc, vmodl.MethodFault):
                self.fail('vCenter refused a call: %s' % fault_text(exc), exception=traceback.format_exc())
            raise
        if self.retries():
            result['retries'] = self.retries()
        self.module.exit_json(**result)
