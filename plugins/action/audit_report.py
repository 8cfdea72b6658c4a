# -*- coding: utf-8 -*-
# Copyright: tenantdr.asr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action behind tenantdr.asr.audit_report: the isolation audit's results -> the report document, written as JSON and
HTML on the controller and published as job artifacts, in this process.

The same document the filters tenantdr.asr.audit_report_document / _json / _html make; done here in one step, the
thousand-tenant document is not passed through templating four times (set_fact, two file contents, set_stats)."""
from __future__ import annotations

import os

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.tenantdr.asr.plugins.module_utils.arguments import validate_arguments
from ansible_collections.tenantdr.asr.plugins.module_utils.audit_report import build_document, render_html, to_json
from ansible_collections.tenantdr.asr.plugins.module_utils.files import write_file_atomically
from ansible_collections.tenantdr.asr.plugins.module_utils.memory import collector_eased

ARGUMENT_SPEC = dict(
    results=dict(type='list', elements='dict', required=True),
    path=dict(type='path', required=True),
    publish=dict(type='bool', default=True),
)


class ActionModule(ActionBase):
    """See the module documentation (plugins/modules/audit_report.py)."""

    TRANSFERS_FILES = False
    _supports_check_mode = True
    _supports_async = False

    def run(self, tmp=None, task_vars=None):
        with collector_eased():  # a thousand tenants' report (module_utils/memory.py)
            return self._run(tmp, task_vars)

    def _run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        params, problems, _no_log = validate_arguments(ARGUMENT_SPEC, self._task.args, bulk=('results',))
        if problems:
            raise AnsibleActionFail('audit_report: ' + '; '.join(problems) + ' (results: the audit_results of '
                                    'tenantdr.asr.inventory_tenants in audit mode)')
        results = params['results']
        doc = build_document([dict(r) for r in results])
        base = params['path']
        directory = os.path.dirname(base) or '.'
        if not os.path.isdir(directory):
            os.makedirs(directory)
            os.chmod(directory, 0o755)  # a directory that exists keeps its mode (it may be /tmp)
        files = dict(json=base + '.json', html=base + '.html')
        # written in check mode too: the report is the audit's output, not a change to anything it audits
        write_file_atomically(files['json'], to_json(doc), mode=0o644)
        write_file_atomically(files['html'], render_html(doc), mode=0o644)
        result.update(changed=True, path=base, files=files, clean=doc['clean'], findings=doc['findings'],
                      msg='Audit report: %s and .json (%d finding(s))' % (files['html'], doc['findings']))
        if params['publish']:
            result['ansible_stats'] = dict(data=dict(tenantdr_audit_report=doc, tenantdr_audit_report_files=files),
                                           per_host=False, aggregate=False)
        return result
