#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: tenantdr.asr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
module: audit_report
short_description: Write the tenant isolation audit report (JSON and HTML) on the controller and publish it as job artifacts
version_added: 0.2.0
description:
  - Runs on the controller (an action plugin), once (use C(run_once)). It turns the results of the isolation audit
    (M(tenantdr.asr.inventory_tenants) with O(tenantdr.asr.inventory_tenants#module:mode=audit), C(audit_results))
    into the report document of P(tenantdr.asr.audit_report_document#filter) - tenants, access accounts, what each
    account sees, every finding with its cause and where it is granted, no password or other secret - and writes it as
    O(path)C(.json) (P(tenantdr.asr.audit_report_json#filter)) and O(path)C(.html)
    (P(tenantdr.asr.audit_report_html#filter)), mode 0644, each written whole or not at all.
  - With O(publish=true) the document and the two paths are the job's artifacts (C(tenantdr_audit_report),
    C(tenantdr_audit_report_files)), as M(ansible.builtin.set_stats) with C(per_host=false) publishes them - what an AWX /
    AAP workflow or notification reads.
  - The role entry point C(tenantdr.asr.vcenter_isolation) C(report) uses it; the three filters stay available for
    playbooks of your own. Doing the three steps here keeps a thousand tenants' document out of templating.
  - The report is the audit's output, so it is written in check mode too.
author:
  - tenantdr.asr maintainers (@tenantdr)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
attributes:
  action:
    support: full
  async:
    support: none
  bypass_host_loop:
    support: none
    details: Use C(run_once) - one report for the whole run.
  check_mode:
    support: partial
    details: The report files are written in check mode too; they are the audit's output, not a change to what it audits.
  diff_mode:
    support: none
  platform:
    platforms: all
options:
  results:
    description:
      - The audit's per-vCenter results, C([{vcenter, report, extra_findings}]) -
        C(audit_results) of M(tenantdr.asr.inventory_tenants) in audit mode.
    type: list
    elements: dict
    required: true
  path:
    description:
      - The report files' path without extension; C(.json) and C(.html) are added. A directory that does not exist is
        created (mode 0755); one that exists keeps its mode.
    type: path
    required: true
  publish:
    description: Publish the document and the file paths as job artifacts.
    type: bool
    default: true
seealso:
  - module: tenantdr.asr.inventory_tenants
  - plugin: tenantdr.asr.audit_report_document
    plugin_type: filter
"""

EXAMPLES = r"""
- name: Audit the tenants of the shared vCenter
  tenantdr.asr.tenant_isolation_audit:
    hostname: vcenter.example.com
    username: administrator@vsphere.local
    password: "{{ vcenter_password }}"
    tenants: "{{ dr_tenants }}"
  register: audit

- name: Write the report next to the playbook and publish it as job artifacts
  tenantdr.asr.audit_report:
    results:
      - vcenter: vcenter.example.com
        report: "{{ audit.report }}"
    path: "{{ playbook_dir }}/reports/tenant-isolation-{{ now(utc=true, fmt='%Y%m%dT%H%M%SZ') }}"
  register: report

- name: Say where it is
  ansible.builtin.debug:
    msg: "{{ report.msg }}"

# In a playbook over the tenant hosts, the audit of every vCenter is one task (what playbooks/audit_tenants.yml does
# through the tenantdr.asr.vcenter_isolation role): tenantdr.asr.inventory_tenants with mode audit, run once,
# registered as audit; then results: "{{ audit.audit_results }}".
"""

RETURN = r"""
path:
  description: O(path), the report files' path without extension.
  returned: always
  type: str
  sample: /var/lib/tenantdr/reports/tenant-isolation-20261128T120000Z
files:
  description: The two files written.
  returned: always
  type: dict
  sample: {"json": "/var/lib/tenantdr/reports/tenant-isolation-20261128T120000Z.json",
           "html": "/var/lib/tenantdr/reports/tenant-isolation-20261128T120000Z.html"}
clean:
  description: True when no vCenter of the report has a finding.
  returned: always
  type: bool
findings:
  description: Number of findings in the report (leaks and offboarded accounts' leftovers).
  returned: always
  type: int
msg:
  description: Where the report is and how many findings it has.
  returned: always
  type: str
"""

from ansible.module_utils.basic import AnsibleModule


def main():
    module = AnsibleModule(argument_spec=dict(
        results=dict(type='list', elements='dict', required=True),
        path=dict(type='path', required=True),
        publish=dict(type='bool', default=True),
    ), supports_check_mode=True)
    module.fail_json(msg='tenantdr.asr.audit_report runs as an action on the controller; it cannot run as a module')


if __name__ == '__main__':
    main()
