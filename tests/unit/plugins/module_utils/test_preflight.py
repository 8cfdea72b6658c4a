"""Pure tests of the preflight checks (plugins/module_utils/preflight.py): records from host variables, static checks,
cross-tenant checks, the vCenter checks and plan on a hand-built snapshot, the Azure findings.

Expected texts and values are written here by hand (Azure's naming rules from the Recovery Services documentation:
vault names 2-50 characters, letters, digits and hyphens, starting with a letter; subscription states from
Subscriptions - Get).
"""
from __future__ import annotations

import copy

import os

import pytest

from ansible_collections.tenantdr.asr.plugins.module_utils import preflight as pf
from ansible_collections.tenantdr.asr.plugins.module_utils.role_profiles import ASR_PRIVILEGES
from ansible_collections.tenantdr.asr.plugins.module_utils.vcenter import Snapshot

from .snapshots import small_snapshot

ENV = {'VMWARE_USER': 'administrator@vsphere.local', 'VMWARE_PASSWORD': 'secret', 'AZURE_CLIENT_ID': '',
       'AZURE_SUBSCRIPTION_ID': ''}
SUB = '3f2a8c10-5b1e-4d7a-9c3e-0a1b2c3d4e01'
OID = '7c9e6679-7425-40de-944b-e07fc1f90a01'


def host(**changes):
    v = {'tenant_topology': 'shared_hsp', 'tenant_vcenter': {'hostname': 'vc1.example.com'},
         'tenant_access_account': 'acme-dr@vsphere.local', 'tenant_vm_selectors': {'folders': ['/DC1/vm/tenants/acme']},
         'tenant_subscription_id': SUB, 'tenant_location': 'westeurope',
         'tenant_access_principals': [{'object_id': OID, 'type': 'User'}],
         'tenantdr_azure_connection': {'auth_source': 'msi'}}
    v.update(changes)
    return v


def records(hostvars, environ=None):
    return pf.tenant_records_from_hostvars(hostvars, list(hostvars), environ=ENV if environ is None else environ)


def one(**changes):
    return records({'acme': host(**changes)})[0]


def full_snapshot(permissions=None):
    """small_snapshot with a server privilege list that knows every ASR privilege."""
    snap = small_snapshot(permissions)
    ids = set(ASR_PRIVILEGES) | {'System.Anonymous', 'System.Read', 'System.View', 'VirtualMachine.Config.Rename',
                                 'VirtualMachine.Config.Memory'}
    privs = [dict(id=p, group=p.rsplit('.', 1)[0], name=p.rsplit('.', 1)[1], on_parent=False) for p in sorted(ids)]
    return Snapshot(snap.objects, snap.root, snap.roles, privs, snap.permissions)


# --------------------------------------------------------------------------------------------------------- records
def test_record_takes_the_roles_defaults_and_the_awx_credential_variables():
    r = one()
    assert r['name'] == 'acme' and r['state'] == 'present' and r['topology'] == 'shared_hsp'
    assert r['vcenter'] == {'key': 'vc1.example.com:443', 'label': 'vc1.example.com',
                            'connection': {'hostname': 'vc1.example.com', 'port': 443, 'username': 'administrator@vsphere.local',
                                           'password': 'secret', 'validate_certs': True}}
    assert r['definition']['dr_role'] == 'Azure_Site_Recovery' and r['definition']['failback'] is True
    assert r['azure']['resource_group'] == 'rg-acme-dr' and r['azure']['vault_name'] == 'rsv-acme-dr'
    assert r['azure']['subscription_id'] == SUB


def test_record_uses_the_per_vcenter_credentials_map_given_as_yaml_text():
    r = one(tenant_vcenter={'hostname': 'vc1.example.com', 'port': 8443, 'validate_certs': 'no'},
            tenantdr_vcenter_credentials='vc1.example.com: {username: dr@vsphere.local, password: pw}')
    assert r['vcenter']['key'] == 'vc1.example.com:8443' and r['vcenter']['label'] == 'vc1.example.com:8443'
    assert r['vcenter']['connection']['username'] == 'dr@vsphere.local'
    assert r['vcenter']['connection']['password'] == 'pw'
    assert r['vcenter']['connection']['validate_certs'] is False


class BrokenVars(dict):
    """Host variables whose template fails for one variable, as Ansible's hostvars raise for an undefined variable."""

    def get(self, key, default=None):
        if key == 'tenant_vault_name':
            raise ValueError("'vault_prefix' is undefined")
        return super().get(key, default)


def test_a_variable_that_cannot_be_templated_is_a_problem_of_its_tenant():
    r = pf.tenant_records_from_hostvars({'acme': BrokenVars(host())}, ['acme'], environ=ENV)[0]
    assert pf.static_problems(r, ENV) == ["tenant_vault_name cannot be read: 'vault_prefix' is undefined"]


# --------------------------------------------------------------------------------------------------------- static
def test_a_valid_tenant_has_no_static_problem():
    assert pf.static_problems(one(), ENV) == []


@pytest.mark.parametrize('name, valid', [
    ('rsv-acme-dr', True), ('ab', True), ('a' * 50, True),
    ('a', False), ('9vault', False), ('vault_1', False), ('a' * 51, False), ('-vault', False), ('vault.1', False),
])
def test_vault_names_follow_azures_rule(name, valid):
    problems = pf.static_problems(one(tenant_vault_name=name), ENV)
    if valid:
        assert problems == []
    else:
        assert problems == ["Azure: tenant_vault_name '%s' is not a valid Recovery Services vault name: 2-50 characters, "
                            "starting with a letter, letters, digits and hyphens only" % name]


def test_static_problems_name_the_bad_value_and_the_choices():
    r = one(tenant_topology='shared', tenant_vault_storage_redundancy='Geo', tenant_access_scope='tenant',
            tenant_subscription_id='not-a-sub', tenant_access_principals=[{'object_id': 'bob@example.com', 'type': 'Person'}],
            tenant_vm_selectors={'folder': ['/DC1/vm/x']})
    problems = pf.static_problems(r, ENV)
    text = '\n'.join(problems)
    assert "tenant_topology 'shared' is not valid; valid choices: shared_hsp, dedicated_hsp, msp" in text
    assert "tenant_vault_storage_redundancy 'Geo' is not valid; valid choices: GeoRedundant, LocallyRedundant, ZoneRedundant" in text
    assert "tenant_access_scope 'tenant' is not valid; valid choices: subscription, resource_group" in text
    assert "tenant_subscription_id 'not-a-sub' is not a subscription id" in text
    assert "object_id 'bob@example.com' is not an Entra ID object id" in text
    assert "type 'Person' is not valid; valid choices: User, Group, ServicePrincipal, ForeignGroup, Device" in text
    assert "vm_selectors: unknown key 'folder' (did you mean 'folders'?)" in text


def test_a_missing_vcenter_and_missing_credentials_are_named():
    assert pf.static_problems(one(tenant_vcenter='vc1'), ENV)[0].startswith(
        "tenant_vcenter must be a dictionary with at least hostname")
    problems = pf.static_problems(records({'acme': host()}, environ={})[0], {})
    assert 'no vCenter username for vc1.example.com: set tenant_vcenter.username, tenantdr_vcenter_credentials or VMWARE_USER' in problems


def test_disabled_parts_are_not_checked():
    r = one(tenant_vault_name='x', tenantdr_azure_enabled=False, tenant_vcenter=None, tenantdr_vcenter_enabled='false')
    assert pf.static_problems(r, ENV) == []


def test_step_validators_plug_in():
    def site_recovery(record):
        return ['Site Recovery: process server missing'] if record['vars'].get('tenant_process_server') == '' else []
    pf.STEP_VALIDATORS.append(site_recovery)
    try:
        assert pf.static_problems(one(tenant_process_server=''), ENV) == ['Site Recovery: process server missing']
        assert pf.static_problems(one(tenant_process_server='ps1'), ENV) == []
    finally:
        pf.STEP_VALIDATORS.remove(site_recovery)


def test_one_vault_for_two_tenants_is_reported_on_the_hosts_of_the_run_only():
    rs = records({'acme': host(tenant_vault_name='rsv-shared', tenant_resource_group='rg-dr'),
                  'globex': host(tenant_name='globex', tenant_vault_name='RSV-shared', tenant_resource_group='RG-dr',
                                 tenant_access_account='globex-dr@vsphere.local')})
    problems = pf.cross_tenant_problems(rs, ['acme'])
    assert list(problems) == ['acme']
    assert problems['acme'] == ["Azure: vault 'rsv-shared' in resource group 'rg-dr' of subscription %s is also the vault "
                                "of tenant(s) globex (globex outside this run); each tenant needs its own vault (tenant_vault_name)"
                                % SUB]


# --------------------------------------------------------------------------------------------------------- vCenter
def group_of(hostvars, run):
    rs = records(hostvars)
    groups = pf.vcenter_groups(rs, run)
    return groups['vc1.example.com:443']


def test_a_missing_folder_is_named():
    g = group_of({'acme': host(tenant_vm_selectors={'folders': ['/DC1/vm/tenants/acme-typo']})}, ['acme'])
    problems, _w = pf.vcenter_problems(full_snapshot(), g, principal_exists=lambda p, grp: True)
    assert len(problems['acme']) == 1
    assert "VM folder '/DC1/vm/tenants/acme-typo' was not found in the vCenter inventory" in problems['acme'][0]


def test_a_conflict_with_a_tenant_outside_the_run_is_reported_on_the_run_tenant():
    g = group_of({'acme': host(), 'umbrella': host(tenant_name='umbrella', tenant_access_account='umbrella-dr@vsphere.local',
                                                   tenant_vm_selectors={'name_patterns': ['acme-vm01']})}, ['acme'])
    assert [r['host'] for r in g['context']] == ['umbrella']
    problems, _w = pf.vcenter_problems(full_snapshot(), g, principal_exists=lambda p, grp: True)
    assert list(problems) == ['acme']
    assert 'VM /DC1/vm/tenants/acme/acme-vm01 is selected by tenants acme' in problems['acme'][0]
    assert problems['acme'][0].endswith('(umbrella outside this run)')


def test_a_broken_tenant_outside_the_run_breaks_the_shared_mapping():
    g = group_of({'acme': host(), 'umbrella': host(tenant_name='umbrella', tenant_access_account='umbrella-dr@vsphere.local',
                                                   tenant_vm_selectors={'folderz': ['/x']})}, ['acme'])
    problems, _w = pf.vcenter_problems(full_snapshot(), g, principal_exists=lambda p, grp: True)
    assert 'tenant umbrella (outside this run, same shared vCenter) has an invalid definition' in problems['acme'][0]


def test_dedicated_tenants_are_mapped_alone():
    g = group_of({'acme': host(tenant_topology='dedicated_hsp'),
                  'umbrella': host(tenant_name='umbrella', tenant_topology='dedicated_hsp',
                                   tenant_access_account='umbrella-dr@vsphere.local',
                                   tenant_vm_selectors={'name_patterns': ['acme-vm01']})}, ['acme'])
    problems, _w = pf.vcenter_problems(full_snapshot(), g, principal_exists=lambda p, grp: True)
    assert problems == {}


def test_unknown_principals_are_looked_up_once_and_named():
    asked = []

    def exists(principal, is_group):
        asked.append((principal, is_group))
        return principal != 'ghosts@vsphere.local'
    g = group_of({'acme': host(tenant_access_account_groups=['ghosts@vsphere.local'])}, ['acme'])
    problems, _w = pf.vcenter_problems(full_snapshot(), g, principal_exists=exists)
    assert asked == [('acme-dr@vsphere.local', False), ('ghosts@vsphere.local', True)]
    assert problems['acme'] == ["vCenter vc1.example.com: group 'ghosts@vsphere.local' is not known to vCenter's user directory "
                                "(RetrieveUserGroups); create it in vCenter SSO or the identity source first "
                                "(tenant_access_account_groups)"]


def test_principals_that_already_hold_a_permission_are_not_looked_up():
    perms = [dict(entity='group-d1', principal='VSPHERE.LOCAL\\acme-dr', group=False, role_id=-2, propagate=False)]
    g = group_of({'acme': host()}, ['acme'])

    def exists(principal, is_group):
        raise AssertionError('looked up %s' % principal)
    assert pf.vcenter_problems(full_snapshot(perms), g, principal_exists=exists)[0] == {}


def test_a_system_role_as_dr_role_and_unknown_privileges_are_refused():
    g = group_of({'acme': host(tenant_dr_role='Admin')}, ['acme'])
    problems, _w = pf.vcenter_problems(full_snapshot(), g)
    assert problems['acme'] == ["vCenter vc1.example.com: tenant_dr_role 'Admin' is a built-in vCenter system role; the DR role "
                                "must be a role of its own (default Azure_Site_Recovery)"]
    # a server that lacks privileges of the seed's list (small_snapshot knows only a few)
    problems, _w = pf.vcenter_problems(small_snapshot(), group_of({'acme': host()}, ['acme']))
    assert "DR role privileges: unknown privilege ids on this vCenter: 'Datastore.FileManagement'" in problems['acme'][0]


def test_plan_lists_the_role_to_create_and_every_permission():
    g = group_of({'acme': host()}, ['acme'])
    plan = pf.vcenter_plan(full_snapshot(), g, ['acme'])
    assert [(r['name'], r['action']) for r in plan['roles']] == [('Azure_Site_Recovery', 'update')]
    # Read-only on the root; the DR role on DC1, CL1, esx-01 (in CL1), esx-10's compute resource, ds-01, pg-acme, both VMs
    paths = sorted((c['path'], c['after']['role']) for c in plan['permissions'])
    assert paths == [('/', 'ReadOnly'), ('/DC1', 'Azure_Site_Recovery'), ('/DC1/datastore/ds-01', 'Azure_Site_Recovery'),
                     ('/DC1/host/CL1', 'Azure_Site_Recovery'), ('/DC1/host/CL1/esx-01', 'Azure_Site_Recovery'),
                     ('/DC1/host/esx-10', 'Azure_Site_Recovery'), ('/DC1/network/pg-acme', 'Azure_Site_Recovery'),
                     ('/DC1/vm/tenants/acme/acme-vm01', 'Azure_Site_Recovery'),
                     ('/DC1/vm/tenants/acme/acme-vm02', 'Azure_Site_Recovery')]
    assert plan['summary'] == {'acme': {'add': 9, 'update': 0, 'remove': 0}}


def test_plan_for_a_role_that_does_not_exist_yet_and_for_offboarding():
    snap = full_snapshot([dict(entity='vm-1', principal='VSPHERE.LOCAL\\globex-dr', group=False, role_id=-2, propagate=False)])
    snap = Snapshot(snap.objects, snap.root, [r for r in snap.roles if r['name'] != 'Azure_Site_Recovery'], snap.privileges,
                    snap.permissions)
    rs = records({'acme': host(), 'globex': host(tenant_name='globex', tenant_access_account='globex-dr@vsphere.local',
                                                 tenant_vm_selectors={'name_patterns': ['nothing*']})})
    rs[1]['state'] = 'absent'
    g = pf.vcenter_groups(rs, ['acme', 'globex'])['vc1.example.com:443']
    plan = pf.vcenter_plan(snap, g, ['acme', 'globex'])
    assert plan['roles'][0]['name'] == 'Azure_Site_Recovery' and plan['roles'][0]['action'] == 'create'
    assert plan['summary'] == {'acme': {'add': 9, 'update': 0, 'remove': 0}, 'globex': {'add': 0, 'update': 0, 'remove': 1}}


# --------------------------------------------------------------------------------------------------------- Azure
def test_subscription_states():
    assert pf.subscription_problem({'state': 'Enabled'}, SUB) is None
    assert pf.subscription_problem({'state': 'Disabled'}, SUB).startswith('subscription %s is Disabled, not Enabled' % SUB)
    assert 'Warned, not Enabled' in pf.subscription_problem({'state': 'Warned'}, SUB)


def test_provider_registration_is_a_warning_and_the_location_must_be_offered():
    problems, warnings = pf.provider_findings('NotRegistered', ['West Europe', 'North Europe'], 'West Europe')
    assert problems == [] and warnings == ['resource provider Microsoft.RecoveryServices is NotRegistered in the subscription; '
                                           'the onboarding registers it']
    problems, warnings = pf.provider_findings('Registered', ['West Europe', 'North Europe'], 'marsnorth')
    assert warnings == [] and problems == ["tenant_location 'marsnorth' is not offered for Microsoft.RecoveryServices/vaults in "
                                           "this subscription; valid locations: northeurope, westeurope"]


def test_vault_free_own_foreign_untagged_or_elsewhere():
    r = one()
    assert pf.vault_findings(None, r) == ([], [])
    assert pf.vault_findings({'tags': {'tenant': 'acme'}, 'location': 'westeurope'}, r) == ([], [])
    problems, _w = pf.vault_findings({'tags': {'tenant': 'globex'}, 'location': 'westeurope'}, r)
    assert problems == ["vault 'rsv-acme-dr' in resource group 'rg-acme-dr' already exists and belongs to tenant 'globex' "
                        "(tag tenant=globex); choose another tenant_vault_name"]
    problems, warnings = pf.vault_findings({'tags': {}, 'location': 'northeurope'}, r)
    assert warnings and 'without a tenant tag' in warnings[0]
    assert problems == ["vault 'rsv-acme-dr' already exists in location 'northeurope', not tenant_location 'westeurope'; a vault "
                        "cannot move - use 'northeurope' or another tenant_vault_name"]


def test_graph_answers_are_checked_for_existence_and_type():
    principals = [{'object_id': OID, 'type': 'User'}, {'object_id': OID.replace('a01', 'a02'), 'type': 'Group'},
                  {'object_id': OID.replace('a01', 'a03'), 'type': 'User'}]
    directory = {OID: 'User', OID.replace('a01', 'a02'): 'User', OID.replace('a01', 'a03'): None}
    assert pf.principal_findings(principals, directory) == [
        "tenant_access_principals[1].object_id %s is a User in the directory, not a Group (type); set type: User"
        % OID.replace('a01', 'a02'),
        'tenant_access_principals[2].object_id %s was not found in the tenant directory (Microsoft Graph)' % OID.replace('a01', 'a03')]


# --------------------------------------------------------------------------------------------------------- whole
def test_run_preflight_static_only_lists_every_problem_in_one_report():
    hostvars = {'acme': host(tenant_vault_name='x'),
                'globex': host(tenant_name='globex', tenant_topology='mesh', tenant_access_account='globex-dr@vsphere.local'),
                'initech': host(tenant_name='initech', tenant_access_account='initech-dr@vsphere.local',
                                tenant_vault_name='rsv-initech-dr')}
    out = pf.run_preflight(records(copy.deepcopy(hostvars)), ['acme', 'globex', 'initech'], environ=ENV)
    assert out['valid'] == ['initech']
    assert [i['host'] for i in out['invalid']] == ['acme', 'globex']
    text = '\n'.join(out['report'])
    assert out['report'][0] == 'Preflight of 3 tenant(s): 1 valid, 2 with problems'
    assert "tenant_vault_name 'x'" in text and "tenant_topology 'mesh'" in text


def test_site_recovery_policy_out_of_range_is_a_preflight_problem():
    # VMware-to-Azure policy page: recovery point retention 0-15 days (360 h), app-consistent snapshots 0-12 h (720 min)
    bad = pf.static_problems(one(tenant_replication_policy={'recovery_point_retention_hours': 400}), ENV)
    assert len(bad) == 1 and bad[0].startswith('Site Recovery: tenant_replication_policy: ') and '400' in bad[0]
    bad = pf.static_problems(one(tenant_replication_policy={'app_consistent_frequency_minutes': 800}), ENV)
    assert len(bad) == 1 and '800' in bad[0]
    assert pf.static_problems(one(tenant_replication_policy={'recovery_point_retention_hours': 24}), ENV) == []


def test_csp_inputs_are_preflight_problems():
    ok = {'domain': 'umbrellacorp.onmicrosoft.com', 'gdap': {'duration': 'P730D'}}
    assert pf.static_problems(one(tenant_csp=ok), ENV) == []
    bad = pf.static_problems(one(tenant_csp={'domain': 'umbrella corp.example.com', 'gdap': {'duration': 'P5Y'},
                                             'subscription_display_name': 'x' * 65}), ENV)
    assert all(p.startswith('CSP: tenant_csp: ') for p in bad)
    text = ' | '.join(bad)
    for value in ('umbrella corp.example.com', 'P5Y', 'x' * 65):        # each bad value is named
        assert value in text, (value, bad)
    assert len(bad) == 3


# ------------------------------------------------------------------------------------------------- early vCenter reads
class CallLog:
    """Calls in order, kept in a file: the early reads run in a child process (fork), whose list would be its own."""

    def __init__(self, path):
        self.path = path
        path.write_text('')

    def append(self, call):
        with open(self.path, 'a') as f:
            f.write(call + '\n')

    def calls(self):
        return self.path.read_text().splitlines()


class FakeVCenter:
    """A vCenter connection as check_vcenter uses it; ``log`` records every call in order. The directory knows every
    principal but ``unknown``."""

    def __init__(self, log, fail_login=False, unknown=()):
        self.log = log
        self.fail_login = fail_login
        self.unknown = set(unknown)
        self.content = self  # directory_lookup asks content.userDirectory
        self.userDirectory = self

    def __enter__(self):
        self.log.append('login')
        if self.fail_login:
            raise OSError('connection refused')
        return self

    def __exit__(self, *exc):
        self.log.append('logout')

    def read_snapshot(self, with_permissions=True, custom_attributes=True):
        self.log.append('inventory%s' % (' with custom attributes' if custom_attributes else ''))
        snap = full_snapshot()
        snap.about['custom_attributes_read'] = bool(custom_attributes)
        if with_permissions:  # vcenter.VCenterConnection.read_snapshot reads them in the same call
            snap.permissions = self.read_permissions()
        return snap

    def read_permissions(self):
        self.log.append('permissions')
        return []

    def RetrieveUserGroups(self, **_kw):  # pylint: disable=invalid-name  # the vSphere API's name
        self.log.append('RetrieveUserGroups')
        return []

    def principal_exists(self, principal, is_group):
        self.log.append('principal_exists %s' % principal)
        return principal not in self.unknown


def early_run(tmp_path, hostvars, run, fail_login=False, plan=False, unknown=()):
    log = CallLog(tmp_path / 'calls.log')
    recs = records(hostvars)
    run_records = [r for r in recs if r['host'] in run]
    reads = pf.VCenterReads(lambda connection: FakeVCenter(log, fail_login, unknown), pf.vcenter_groups(run_records, run),
                            plan=plan, workdir=str(tmp_path))
    try:
        log.append('early reads started')
        out = pf.run_preflight(recs, run, vcenter_connect=lambda connection: FakeVCenter(log, fail_login, unknown),
                               plan=plan, environ=ENV, vcenter_reads=reads)
    finally:
        reads.close()
    assert not [f for f in os.listdir(tmp_path) if f.startswith('tenantdr-read-')]  # the hand-over files are removed
    return out, log.calls()


def test_early_reads_are_the_one_login_and_inventory_read_and_the_session_is_closed_once(tmp_path):
    out, log = early_run(tmp_path, {'acme': host()}, ['acme'], plan=True)
    # one session, in the child: login, inventory, permissions (plan), the directory, logout - nothing twice, and the
    # preflight itself connects no more
    assert sorted(x for x in log if x != 'early reads started') == sorted([
        'login', 'inventory', 'permissions', 'RetrieveUserGroups', 'principal_exists acme-dr@vsphere.local', 'logout'])
    assert log.index('login') < log.index('inventory') < log.index('permissions') < log.index('logout')
    assert out['reads']['vcenters'] == 1
    assert out['valid'] == ['acme'], out['problems']
    assert out['plan'][0]['vcenter'] == 'vc1.example.com'


def test_an_unknown_access_account_found_by_the_early_read_is_a_problem_of_its_tenant(tmp_path):
    out, log = early_run(tmp_path, {'acme': host()}, ['acme'], unknown={'acme-dr@vsphere.local'})
    assert out['valid'] == []
    assert out['problems']['acme'] == [
        "vCenter vc1.example.com: access account 'acme-dr@vsphere.local' is not known to vCenter's user directory "
        "(RetrieveUserGroups); create it in vCenter SSO or the identity source first (tenant_access_account)"]
    assert log.count('login') == 1


def test_an_early_read_that_fails_is_reported_for_the_run_tenants_of_that_vcenter(tmp_path):
    out, log = early_run(tmp_path, {'acme': host()}, ['acme'], fail_login=True)
    assert out['valid'] == []
    assert out['problems']['acme'] == ['vCenter vc1.example.com: cannot be read: connection refused']
    assert 'inventory' not in log and log.count('login') == 1


def test_custom_attributes_wanted_only_by_a_tenant_outside_the_run_are_read_in_a_second_session(tmp_path):
    out, log = early_run(tmp_path, {'acme': host(),
                                    'globex': host(tenant_access_account='globex-dr@vsphere.local',
                                                   tenant_vm_selectors={'custom_attributes': {'tenant': 'globex'}})},
                         ['acme'])
    # the child does not know the other tenants yet: the preflight reads the values itself, once
    assert [x for x in log if x.startswith('inventory') or x in ('login', 'logout')] == [
        'login', 'inventory', 'logout', 'login', 'inventory with custom attributes', 'logout']
    assert out['reads']['vcenters'] == 1


def test_placement_is_checked_by_the_preflight_and_planned_as_the_converge_plans_it():
    assert one()['definition']['placement'] == 'domain'  # the default of the guide's placement domains (DRS)
    assert one(tenant_placement='exact')['definition']['placement'] == 'exact'
    problems = pf.static_problems(one(tenant_placement='exakt'), ENV)
    wrong = [p for p in problems if 'exakt' in p]
    assert len(wrong) == 1 and 'domain' in wrong[0] and 'exact' in wrong[0], problems


def test_every_tenant_variable_of_the_roles_reaches_the_preflight_definition():
    """The tenant_* variables the topology roles document (roles/*/meta/argument_specs.yml), written here by hand with
    values other than their defaults: each one reaches the definition the preflight checks and plans."""
    r = one(tenant_access_account_groups=['acme-ops@vsphere.local'], tenant_failback=False, tenant_dr_role='ACME_DR',
            tenant_datacenters=['/DC1'], tenant_management_servers=['/DC1/vm/mgmt/acme-cs01'],
            tenant_allow_empty_selectors=True, tenant_include_templates=True, tenant_placement='exact')
    assert r['definition'] == {
        'name': 'acme', 'topology': 'shared_hsp', 'vcenter': 'vc1.example.com:443',
        'access_account': 'acme-dr@vsphere.local', 'access_account_groups': ['acme-ops@vsphere.local'],
        'failback': False, 'dr_role': 'ACME_DR', 'vm_selectors': {'folders': ['/DC1/vm/tenants/acme']},
        'datacenters': ['/DC1'], 'management_servers': ['/DC1/vm/mgmt/acme-cs01'], 'allow_empty_selectors': True,
        'include_templates': True, 'placement': 'exact'}
    # and the defaults of a tenant that sets none of them; a default is never shared between two records
    a, b = records({'acme': host(), 'globex': host(tenant_access_account='globex-dr@vsphere.local')})
    assert {k: a['definition'][k] for k in ('access_account_groups', 'failback', 'dr_role', 'datacenters',
                                            'management_servers', 'allow_empty_selectors', 'include_templates',
                                            'placement')} == {
        'access_account_groups': [], 'failback': True, 'dr_role': 'Azure_Site_Recovery', 'datacenters': [],
        'management_servers': [], 'allow_empty_selectors': False, 'include_templates': False, 'placement': 'domain'}
    a['definition']['datacenters'].append('/DC9')
    assert b['definition']['datacenters'] == []
