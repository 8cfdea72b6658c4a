# -*- coding: utf-8 -*-
# Copyright: tenantdr.asr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller side: the variables of many inventory hosts, read the way ``hostvars[host][name]`` reads them, faster.

The action plugins of this collection (tenantdr.asr.inventory_tenants, tenantdr.asr.tenant_preflight) read the
``tenant_*`` variables of every tenant host once per run: a thousand hosts on a shared vCenter. ``hostvars[host]``
builds a template engine per host and templates every value read, templates or not. :class:`HostVariables` takes the
host's variables once (``HostVars.raw_get``: inventory, group_vars/host_vars, extra vars, facts - the same merge) and
templates only the values that contain a template (with the host's own variables, as ``hostvars`` does); every other
value is returned as it is, which is what templating it would return."""
from __future__ import annotations

from collections.abc import Mapping

from ansible.template import Templar


def _has_template(templar, value):
    if isinstance(value, str):
        return templar.is_possibly_template(value)
    if isinstance(value, Mapping):
        return any(_has_template(templar, k) or _has_template(templar, v) for k, v in value.items())
    if isinstance(value, (list, tuple, set, frozenset)):
        return any(_has_template(templar, v) for v in value)
    return False


class HostVariables(Mapping):
    """One host's variables (read-only mapping); a value is templated on access only when it holds a template."""

    def __init__(self, hostvars, host, loader, templar):
        raw = hostvars.raw_get(host)
        self._raw = raw if isinstance(raw, Mapping) else {}
        self._loader = loader
        self._probe = templar  # only asked is_possibly_template
        self._templar = None

    def __getitem__(self, key):
        value = self._raw[key]
        if not _has_template(self._probe, value):
            return value
        if self._templar is None:
            self._templar = Templar(loader=self._loader, variables=self._raw)
        return self._templar.template(value)

    def __contains__(self, key):
        return key in self._raw

    def __iter__(self):
        return iter(self._raw)

    def __len__(self):
        return len(self._raw)


class InventoryVariables(Mapping):
    """``hostvars`` for an action plugin: host name -> :class:`HostVariables` (read on access)."""

    def __init__(self, action, task_vars):
        self._hostvars = task_vars['hostvars']
        self._loader = action._loader  # pylint: disable=protected-access
        self._templar = action._templar  # pylint: disable=protected-access

    def __getitem__(self, host):
        if host not in self._hostvars:
            raise KeyError(host)
        return HostVariables(self._hostvars, host, self._loader, self._templar)

    def __contains__(self, host):
        return host in self._hostvars

    def __iter__(self):
        return iter(self._hostvars)

    def __len__(self):
        return len(self._hostvars)
