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

import contextlib
import json
from collections.abc import Mapping

from ansible.errors import AnsibleError
from ansible.template import Templar

from ansible_collections.tenantdr.asr.plugins.module_utils.files import write_file_atomically
from ansible_collections.tenantdr.asr.plugins.module_utils.tenant_model import INVENTORY_KEYS, tenant_record

#: The variables of a tenant host that make its tenant record (tenant_model.tenant_record).
TENANT_VARIABLES = ('tenant_state', 'tenant_topology', 'tenant_vcenter') + tuple(
    'tenant_' + k for k in INVENTORY_KEYS if k != 'topology')


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


class _ListedOnce:
    """A plugin loader whose ``all(path_only=True)`` lists the plugin files once; everything else is the loader's."""

    def __init__(self, loader):
        self._loader = loader
        self._paths = None

    def all(self, *args, **kwargs):
        if args or kwargs != {'path_only': True}:
            return self._loader.all(*args, **kwargs)
        if self._paths is None:
            self._paths = list(self._loader.all(path_only=True))
        return iter(self._paths)

    def __getattr__(self, name):
        return getattr(self._loader, name)


@contextlib.contextmanager
def connection_plugins_listed_once():
    """While reading many hosts' variables: Ansible lists the connection plugin files on disk once, not once per host.

    ``VariableManager.get_vars`` cleans each host's facts (``ansible.vars.clean.clean_facts``), which globs the connection
    plugin directories on every call, facts or not: more than half of reading a host's variables (0.4 of 0.75 s for
    1,000 hosts). The plugin files do not change while one task reads variables, so the listing is taken once for the
    duration and the module's loader is put back afterwards; the variables read are the same."""
    try:
        from ansible.vars import clean  # pylint: disable=import-outside-toplevel
        loader = clean.connection_loader
    except (ImportError, AttributeError):  # another ansible-core: read as it reads
        yield
        return
    clean.connection_loader = _ListedOnce(loader)
    try:
        yield
    finally:
        clean.connection_loader = loader


class InventoryVariables(Mapping):
    """``hostvars`` for an action plugin: host name -> :class:`HostVariables` (read on access)."""

    def __init__(self, action, task_vars):
        self._hostvars = task_vars['hostvars']
        self._loader = action._loader  # pylint: disable=protected-access
        self._templar = action._templar  # pylint: disable=protected-access
        self._read = {}

    def read(self, hosts):
        """Read the variables of ``hosts`` now, in one pass (see :func:`connection_plugins_listed_once`)."""
        with connection_plugins_listed_once():
            for host in hosts:
                if host not in self._read and host in self._hostvars:
                    self._read[host] = HostVariables(self._hostvars, host, self._loader, self._templar)

    def __getitem__(self, host):
        if host not in self._read:
            if host not in self._hostvars:
                raise KeyError(host)
            self._read[host] = HostVariables(self._hostvars, host, self._loader, self._templar)
        return self._read[host]

    def __contains__(self, host):
        return host in self._hostvars

    def __iter__(self):
        return iter(self._hostvars)

    def __len__(self):
        return len(self._hostvars)


def tenant_variables(hostvars, host):
    """The tenant_* variables of ``host`` (templated) that make its tenant record, as a plain dict."""
    hv = hostvars[host]
    return {name: hv[name] for name in TENANT_VARIABLES if name in hv}


def credentials_map(value):
    """``tenantdr_vcenter_credentials`` (a mapping, or its YAML text) -> {vCenter host name: {username, password}}."""
    if not value:
        return {}
    if isinstance(value, str):
        import yaml  # pylint: disable=import-outside-toplevel
        value = yaml.safe_load(value) or {}
    if not isinstance(value, dict):
        raise AnsibleError('tenantdr_vcenter_credentials must map a vCenter host name to {username, password}')
    return value


# ------------------------------------------------------------------------------------------------------------------
# The other tenants of a run, handed from the preflight to the converge
# ------------------------------------------------------------------------------------------------------------------
CONTEXT_FORMAT = 'tenantdr.asr/context-tenants/1'


def context_records(hostvars, hosts, credentials):
    """{host: tenant record} of the tenant hosts outside a run (the converge's context: checked and audited, never
    written), without their vCenter connection; hosts whose record has errors are left out (the converge reads those
    again and reports them the way it always does)."""
    out = {}
    for host in hosts:
        record, errors = tenant_record(host, tenant_variables(hostvars, host), credentials)
        if record is not None and not errors:
            record.pop('connection', None)
            out[host] = record
    return out


def save_context_records(records, path):
    """Write :func:`context_records` to ``path``: JSON, mode 0600, atomically. Returns ``path``."""
    return write_file_atomically(path, json.dumps(dict(format=CONTEXT_FORMAT, records=records), separators=(',', ':')))


def load_context_records(path):
    """The records :func:`save_context_records` wrote, or {} when the file cannot be used."""
    try:
        with open(path) as f:
            data = json.load(f)
    except (OSError, ValueError, TypeError):
        return {}
    if not isinstance(data, dict) or data.get('format') != CONTEXT_FORMAT or not isinstance(data.get('records'), dict):
        return {}
    return data['records']
