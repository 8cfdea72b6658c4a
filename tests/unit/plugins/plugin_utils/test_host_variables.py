"""plugin_utils.host_variables: a host's variables as ``hostvars[host][name]`` gives them - templates rendered with the
host's own variables, every other value as it is. Values and expected results written by hand; Ansible's own Templar
and DataLoader do the templating."""
from __future__ import annotations

import pytest
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template

from ansible_collections.tenantdr.asr.plugins.plugin_utils.host_variables import HostVariables


class RawHostVars:
    """What HostVars.raw_get gives: the merged, untemplated variables of each host."""

    def __init__(self, hosts):
        self.hosts = hosts

    def raw_get(self, host):
        return self.hosts[host]

    def __contains__(self, host):
        return host in self.hosts


def variables(raw):
    loader = DataLoader()
    return HostVariables(RawHostVars({'acme': raw}), 'acme', loader, Templar(loader=loader))


def test_templates_are_rendered_with_the_hosts_own_variables():
    hv = variables({
        'site': 'dc1',
        'tenant_vcenter': {'hostname': trust_as_template('vc-{{ site }}.example.com'), 'port': 443},
        'tenant_vm_selectors': {'folders': [trust_as_template('/DC1/vm/tenants/{{ tenant_name }}')]},
        'tenant_name': 'acme',
    })
    assert hv['tenant_vcenter'] == {'hostname': 'vc-dc1.example.com', 'port': 443}
    assert hv['tenant_vm_selectors'] == {'folders': ['/DC1/vm/tenants/acme']}


def test_plain_values_come_back_as_they_are():
    selectors = {'folders': ['/DC1/vm/tenants/acme'], 'name_patterns': ['acme-*']}
    hv = variables({'tenant_vm_selectors': selectors, 'tenant_failback': False, 'tenant_vcenter': {'port': 443}})
    assert hv['tenant_vm_selectors'] is selectors
    assert hv['tenant_failback'] is False
    assert sorted(hv) == ['tenant_failback', 'tenant_vcenter', 'tenant_vm_selectors'] and len(hv) == 3
    assert 'tenant_vcenter' in hv and 'tenant_state' not in hv
    assert hv.get('tenant_state', 'present') == 'present'
    with pytest.raises(KeyError):
        hv['tenant_state']  # pylint: disable=pointless-statement


def test_listing_the_connection_plugins_once_reads_the_same_variables_and_puts_the_loader_back(tmp_path):
    """Ansible's fact cleaning drops facts named after a connection plugin (``ansible_ssh_*``, ``ansible_winrm_*``)
    and lists the connection plugins on disk to know them; read with the listing taken once, a host's variables are the
    same, and Ansible's loader is back afterwards."""
    # pylint: disable=import-outside-toplevel
    from ansible.inventory.manager import InventoryManager
    from ansible.vars import clean
    from ansible.vars.hostvars import HostVars
    from ansible.vars.manager import VariableManager

    from ansible_collections.tenantdr.asr.plugins.plugin_utils.host_variables import connection_plugins_listed_once

    source = tmp_path / 'hosts.yml'
    source.write_text('all:\n  hosts:\n    acme:\n      tenant_name: acme\n    globex:\n      tenant_name: globex\n')
    loader = DataLoader()
    inventory = InventoryManager(loader=loader, sources=[str(source)])
    manager = VariableManager(loader=loader, inventory=inventory)
    manager.set_host_facts('acme', {'ansible_ssh_extra_args': '-v', 'ansible_winrm_transport': 'ntlm', 'site': 'dc1'})
    hostvars = HostVars(inventory, manager, loader)
    wanted = {'acme': ('acme', 'dc1'), 'globex': ('globex', None)}

    def read():
        out = {}
        for host in ('acme', 'globex'):
            v = hostvars.raw_get(host)
            out[host] = (v['tenant_name'], v.get('site'))
            assert 'ansible_ssh_extra_args' not in v and 'ansible_winrm_transport' not in v
        return out

    original = clean.connection_loader
    assert read() == wanted
    with connection_plugins_listed_once():
        assert clean.connection_loader is not original
        assert read() == wanted
        assert read() == wanted
    assert clean.connection_loader is original
