"""The audit report (issue 13, item 5): written by the audit playbook's report task, published with set_stats, and
rendered by a real headless browser (Debian's chromium + chromium-driver through Selenium).

One simulator, the three sample tenants onboarded with the collection's modules, then one leak injected by hand:
globex's access account gets Read-only *propagating* on acme's VM folder.  Expected findings, written by hand:
globex sees acme's three VMs (foreign_vm_visible), holds a permission outside its plan (excess_permission) that
propagates over VMs that are not its own (propagating_permission) - all on /DC1/vm/tenants/acme.
"""
from __future__ import annotations

import json
import os
import shutil
import sys

import pytest
from pyVmomi import vim

from tests.simulator.inventory import sample_inventory
from tests.simulator.vcsim import VCenterSimulator
from tests.support.collection import ensure_collection_path
from tests.support.modules import run_module
from tests.support.tenants import tenants
from tests.support.vsphere import Direct

pytestmark = pytest.mark.vcsim

CHROMIUM = shutil.which('chromium') or shutil.which('chromium-browser') or shutil.which('google-chrome')
CHROMEDRIVER = shutil.which('chromedriver')
ACME_VMS = ['/DC1/vm/tenants/acme/acme-db01', '/DC1/vm/tenants/acme/acme-vm01', '/DC1/vm/tenants/acme/acme-vm02']
EXPECTED_GLOBEX = sorted([('excess_permission', '/DC1/vm/tenants/acme'), ('propagating_permission', '/DC1/vm/tenants/acme')]
                         + [('foreign_vm_visible', p) for p in ACME_VMS])
EVIL = 'evil<script>window.pwned=1</script>&"\'@vsphere.local'


@pytest.fixture(scope='module')
def leaky():
    with VCenterSimulator(sample_inventory()) as sim:
        run_module('vcenter_tenant_role', sim.connection_args())
        mapping = run_module('tenant_mapping', sim.connection_args(tenants=tenants()))
        run_module('vcenter_nonpropagating_permission', sim.connection_args(assignments=mapping['assignments'], exclusive=True))
        with Direct(sim) as d:
            d.auth.SetEntityPermissions(d.find('/DC1/vm/tenants/acme'), [vim.AuthorizationManager.Permission(
                principal='globex-dr@vsphere.local', group=False, roleId=-2, propagate=True)])
        yield sim


PLAYBOOK = """
- name: Audit one vCenter and write the report, as playbooks/audit_tenants.yml does
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Audit
      tenantdr.asr.tenant_isolation_audit:
        tenants: "{{ report_tenants }}"
      register: report_audit
    - name: Collect as tenantdr.asr.inventory_tenants does, with one offboarded-account leftover (hostile markup)
      ansible.builtin.set_fact:
        vcenter_isolation_audit:
          audit_results:
          - vcenter: "{{ lookup('ansible.builtin.env', 'VMWARE_HOST') }}"
            report: "{{ report_audit.report }}"
            extra_findings:
              - {object: group-d1, path: /, principal: "{{ evil }}", group: false, action: remove,
                 before: {role: ReadOnly, propagate: false}}
    - name: Write the report
      ansible.builtin.include_role:
        name: tenantdr.asr.vcenter_isolation
        tasks_from: report
"""


@pytest.fixture(scope='module')
def written(leaky, tmp_path_factory):
    """Run the report task with ansible-runner; return (report dir, runner artifacts from set_stats)."""
    import ansible_runner
    ensure_collection_path()
    work = tmp_path_factory.mktemp('report')
    (work / 'project').mkdir()
    (work / 'project' / 'report.yml').write_text(PLAYBOOK)
    outdir = work / 'reports'
    args = leaky.connection_args()
    env = {'VMWARE_HOST': args['hostname'], 'VMWARE_PORT': str(args['port']), 'VMWARE_USER': args['username'],
           'VMWARE_PASSWORD': args['password'], 'VMWARE_VALIDATE_CERTS': 'false',
           'ANSIBLE_COLLECTIONS_PATH': os.environ.get('ANSIBLE_COLLECTIONS_PATH', ''),
           'PATH': os.path.dirname(sys.executable) + os.pathsep + os.environ.get('PATH', '')}
    r = ansible_runner.run(private_data_dir=str(work), playbook='report.yml', envvars=env, quiet=True,
                           extravars={'report_tenants': tenants(), 'evil': EVIL, 'vcenter_isolation_report_dir': str(outdir)})
    assert r.rc == 0, '\n'.join(e.get('stdout', '') for e in r.events)[-4000:]
    stats = [e for e in r.events if e.get('event') == 'playbook_on_stats'][0]['event_data']
    return outdir, stats.get('artifact_data') or {}


def files(outdir, ext):
    return sorted(str(p) for p in outdir.glob('tenant-isolation-*.' + ext))


def test_json_and_html_files_on_the_controller(written):
    outdir, _artifacts = written
    [js], [html] = files(outdir, 'json'), files(outdir, 'html')
    assert oct(os.stat(js).st_mode & 0o777) == '0o644' and oct(os.stat(html).st_mode & 0o777) == '0o644'
    with open(js, encoding='utf-8') as handle:
        doc = json.load(handle)
    assert doc['clean'] is False
    [vc] = doc['vcenters']
    by_tenant = {t['name']: t for t in vc['tenants']}
    assert sorted((f['class'], f['path']) for f in by_tenant['globex']['findings']) == EXPECTED_GLOBEX
    assert by_tenant['acme']['findings'] == [] and by_tenant['initech']['findings'] == []
    assert by_tenant['globex']['access_account'] == 'globex-dr@vsphere.local'
    assert sorted(by_tenant['globex']['foreign_vms']) == ACME_VMS
    # where it was granted: the propagating Read-only of globex's account on acme's folder
    visible = [f for f in by_tenant['globex']['findings'] if f['class'] == 'foreign_vm_visible'][0]
    assert visible['granted'] == [{'on': '/DC1/vm/tenants/acme', 'principal': 'VSPHERE.LOCAL\\globex-dr', 'group': False,
                                   'role': 'ReadOnly', 'propagate': True, 'how': 'inherited'}]
    assert vc['other_findings'][0]['class'] == 'offboarded_account_permission'
    text = open(js, encoding='utf-8').read() + open(html, encoding='utf-8').read()
    assert 'VMware1!' not in text      # no secret in the report


def test_published_as_an_awx_artifact(written):
    _outdir, artifacts = written
    assert artifacts['tenantdr_audit_report']['clean'] is False
    assert artifacts['tenantdr_audit_report_files']['html'].endswith('.html')
    assert artifacts['tenantdr_audit_report']['findings'] == len(EXPECTED_GLOBEX) + 1


@pytest.fixture(scope='module')
def browser():
    if not CHROMIUM or not CHROMEDRIVER:
        pytest.skip('no headless browser here: install chromium and chromium-driver (scripts/setup.sh APT_PACKAGES) '
                    'to run the HTML report test (found chromium=%s, chromedriver=%s)' % (CHROMIUM, CHROMEDRIVER))
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in ('--headless=new', '--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu', '--window-size=1400,1000'):
        opts.add_argument(arg)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    try:
        yield driver
    finally:
        driver.quit()


def test_the_html_report_renders_the_findings_in_a_real_browser(written, browser):
    from selenium.webdriver.common.by import By
    outdir, _artifacts = written
    [html] = files(outdir, 'html')
    browser.get('file://' + html)
    assert browser.title.startswith('Tenant isolation audit ')
    assert 'NOT CLEAN' in browser.find_element(By.CSS_SELECTOR, '.vcenter .verdict').text
    globex = browser.find_element(By.ID, 'vc0-globex')
    assert globex.is_displayed()
    rows = globex.find_elements(By.CSS_SELECTOR, 'table.findings tr.finding')
    seen = sorted((r.get_attribute('data-class'), r.find_elements(By.TAG_NAME, 'td')[1].text) for r in rows)
    assert seen == EXPECTED_GLOBEX
    assert all(r.is_displayed() for r in rows)
    first = [r for r in rows if r.get_attribute('data-class') == 'foreign_vm_visible'][0]
    assert 'Another tenant' in first.text and 'holds ReadOnly on /DC1/vm/tenants/acme (propagate=true, inherited)' in first.text
    acme = browser.find_element(By.ID, 'vc0-acme')
    assert 'No finding.' in acme.text
    assert sorted(td.text for td in acme.find_elements(By.CSS_SELECTOR, 'table.visible td:first-child')) == sorted(
        ACME_VMS + ['/DC1/vm/mgmt/acme-cs01'])
    # hostile markup from vCenter data is shown as text and never runs
    assert browser.execute_script('return typeof window.pwned') == 'undefined'
    assert EVIL in browser.find_element(By.TAG_NAME, 'body').text
    # self-contained: no external resource
    assert browser.execute_script(
        "return performance.getEntriesByType('resource').map(function (e) { return e.name; })") == []
