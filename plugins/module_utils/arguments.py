# -*- coding: utf-8 -*-
# Copyright: tenantdr.asr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Task arguments of the controller-side jobs (action plugins) checked against a module's argument spec."""
from __future__ import annotations

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator


def validate_arguments(spec, args, bulk=()):
    """``args`` against ``spec`` (defaults, choices, types, environment fallbacks) -> ``(params, problems,
    no_log_values)``.

    ``bulk``: options of type list of dicts that may hold a whole inventory's data (every tenant, a thousand tenants'
    audit); the validator copies every value it checks, so these are checked here for their type only and handed on as
    they are."""
    args = dict(args)
    held, problems = {}, []
    for name in bulk:
        value = args.pop(name, None)
        if value is None:
            continue
        if not isinstance(value, list) or not all(isinstance(x, dict) for x in value):
            problems.append('%s must be a list of dictionaries' % name)
            continue
        held[name] = value
        args[name] = []
    validation = ArgumentSpecValidator(spec).validate(args)
    params = validation.validated_parameters
    params.update(held)
    no_log_values = set(validation._no_log_values)  # pylint: disable=protected-access
    return params, problems + list(validation.error_messages), no_log_values
