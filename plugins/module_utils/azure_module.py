# -*- coding: utf-8 -*-
# Copyright: tenantdr.asr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one base of the tenantdr.asr Azure modules.

A module subclasses :class:`AzureModuleBase`, gives its own options and implements :meth:`AzureModuleBase.run`
(read, plan, apply; returns the result dict). The base does what every Azure module did by hand:

* the argument spec: the shared connection options (:func:`azure_common.azure_argument_spec`) plus the module's;
* the checks before the network: missing SDKs (``missing_required_lib``), :func:`azure_common.validate_connection`
  plus the module's own :meth:`AzureModuleBase.validate` - all problems in one ``fail_json`` before anything is read;
* the session (:class:`azure_common.AzureSession`), opened before :meth:`run` and always closed;
* the error mapping: an Azure error (:class:`azure_common.AzureApiError`, or an ``azure.core`` exception that escaped
  ``session.call``), an ``OSError`` (files on the controller) and the module's own plan errors become one
  ``fail_json`` with ``msg``, ``error_code``, the changes already made (``changed``/``changes``) and
  ``exception=`` the traceback (shown with -vvv), never a bare traceback.

    class VaultModule(AzureModuleBase):
        plan_errors = (PlanError,)
        def module_options(self): return {...}
        def run(self): ...; return {"changed": ..., ...}

    def main():
        VaultModule().execute()
"""
from __future__ import annotations

import traceback

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.tenantdr.asr.plugins.module_utils.azure_common import (
    AZURE_IMPORT_ERROR, AzureApiError, AzureError, AzureSession, api_error, azure_argument_spec, require_azure, validate_connection,
)
from ansible_collections.tenantdr.asr.plugins.module_utils.azure_partner_center import (
    PartnerSession, partner_center_argument_spec, require_partner_center, validate_partner_connection,
)


class AzureModuleBase:
    """Argument spec, checks, session and error mapping shared by the Azure modules."""

    #: Exceptions of the module's planning layer (with ``message``, optional ``code`` and ``details``): the desired
    #: state cannot be reached; reported as the message itself, before any change.
    plan_errors: tuple = ()
    #: ``AnsibleModule`` keyword arguments besides the spec (``required_if``, ``mutually_exclusive``...).
    module_kwargs: dict = {}

    def __init__(self):
        spec = self.connection_options()
        spec.update(self.module_options())
        self.module = AnsibleModule(argument_spec=spec, supports_check_mode=True, **self.module_kwargs)
        self.params = self.module.params
        self.session: AzureSession | None = None
        #: descriptions of the changes made so far (reported when a later step fails)
        self.done: list = []

    # ------------------------------------------------------------------ the connection (a Partner Center base overrides these)
    def connection_options(self) -> dict:
        """The shared connection options (doc fragment ``tenantdr.asr.azure``)."""
        return azure_argument_spec()

    def require_libraries(self) -> None:
        """Fail with ``missing_required_lib`` when the SDKs the connection needs are missing."""
        require_azure(self.module)

    def connection_problems(self) -> list:
        """Problems with the connection options, found without network access."""
        return validate_connection(self.params)

    def open_session(self):
        """The session :meth:`run` uses as ``self.session`` (closed by :meth:`close`)."""
        return AzureSession(self.params)

    # ------------------------------------------------------------------ for subclasses
    def module_options(self) -> dict:
        """The module's own options (the connection options are added by the base)."""
        return {}

    def result_without_azure(self) -> dict | None:
        """The result when the options alone say that there is nothing to read (no session is opened); None = go on."""
        return None

    def validate(self) -> list:
        """Problems with the module's own options, found without network access (empty = fine)."""
        return []

    def run(self) -> dict:
        """Read, plan and (unless check mode) apply with ``self.session``; return the result for ``exit_json``."""
        raise NotImplementedError

    def plan_error_args(self, exc: Exception) -> dict:
        """``fail_json`` arguments for one of :attr:`plan_errors`."""
        args = {"msg": getattr(exc, "message", None) or str(exc), "error_code": getattr(exc, "code", None)}
        args.update(getattr(exc, "details", None) or {})
        return args

    # ------------------------------------------------------------------ the frame
    def fail(self, msg: str, exception: str | None = None, **extra) -> None:
        """``fail_json`` reporting what was already changed."""
        extra.setdefault("changed", bool(self.done))
        extra.setdefault("changes", list(self.done))
        if exception is not None:
            extra["exception"] = exception
        self.module.fail_json(msg=msg, **extra)

    def execute(self) -> None:
        self.require_libraries()
        problems = self.connection_problems() + list(self.validate())
        if problems:
            self.module.fail_json(msg="Invalid options: " + "; ".join(problems), problems=problems)
        early = self.result_without_azure()
        if early is not None:
            self.module.exit_json(**early)
        try:
            self.session = self.open_session()
            result = self.run()
        except AzureApiError as exc:
            self.fail(exception=_trace(exc), **exc.fail_args())
        except OSError as exc:
            where = f" ({exc.filename})" if getattr(exc, "filename", None) else ""
            self.fail(msg=f"{exc.strerror or exc}{where}", error_code=type(exc).__name__, exception=_trace(exc))
        except Exception as exc:  # pylint: disable=broad-except
            if isinstance(exc, self.plan_errors):
                self.fail(**self.plan_error_args(exc))
            elif AZURE_IMPORT_ERROR is None and isinstance(exc, AzureError):  # an SDK call made outside session.call
                self.fail(exception=_trace(exc), **api_error(exc, "calling Azure").fail_args())
            else:
                raise
        finally:
            self.close()
        self.module.exit_json(**result)

    def close(self) -> None:
        if self.session is not None:
            self.session.close()
            self.session = None


class PartnerCenterModuleBase(AzureModuleBase):
    """The same frame for the Partner Center / Microsoft Graph modules (csp_*): their connection options (doc fragment
    ``tenantdr.asr.partner_center``), checks and :class:`azure_partner_center.PartnerSession` instead of Azure
    Resource Manager's. A failure reports ``changed`` when the session made a write, with the changes made so far."""

    def connection_options(self) -> dict:
        return partner_center_argument_spec()

    def require_libraries(self) -> None:
        require_partner_center(self.module)

    def connection_problems(self) -> list:
        return validate_partner_connection(self.params)

    def open_session(self):
        return PartnerSession(self.params)

    def fail(self, msg: str, exception: str | None = None, **extra) -> None:
        extra.setdefault("changed", bool(self.session is not None and self.session.writes()))
        super().fail(msg, exception=exception, **extra)


def _trace(exc: BaseException) -> str:
    return "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
