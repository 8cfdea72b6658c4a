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
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.plugins.action import ActionBase

from ansible_collections.tenantdr.asr.plugins.module_utils.audit_report import build_document, render_html, to_json

ARGUMENT_SPEC = dict(
    results=dict(type='list', elements='dict', required=True),
    path=dict(type='path', required=True),
    publish=dict(type='bool', default=True),
)


def write_file(path, text, mode=0o644):
    """Write ``text`` to ``path`` atomically (a reader sees the old file or the new one), with ``mode``."""
    tmp = '%s.%d.tmp' % (path, os.getpid())
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, 'w', encoding='utf-8') as f:
        f.write(text)
    os.chmod(tmp, mode)  # whatever the umask
    os.replace(tmp, path)


class ActionModule(ActionBase):
    """See the module documentation (plugins/modules/audit_report.py)."""

    TRANSFERS_FILES = False
    _supports_check_mode = True
    _supports_async = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        args = dict(self._task.args)
        results = args.pop('results', None)
        if not isinstance(results, list) or not all(isinstance(r, dict) for r in results):
            raise AnsibleActionFail('audit_report: results must be the list of {vcenter, report} of the audit '
                                    '(vcenter_isolation_audit.audit_results), got %s' % type(results).__name__)
        # the results are checked above; the validator would copy the whole audit to check them again
        validation = ArgumentSpecValidator(ARGUMENT_SPEC).validate(dict(args, results=[]))
        if validation.error_messages:
            raise AnsibleActionFail('audit_report: ' + '; '.join(validation.error_messages))
        params = validation.validated_parameters
        doc = build_document([dict(r) for r in results])
        base = params['path']
        directory = os.path.dirname(base) or '.'
        if not os.path.isdir(directory):
            os.makedirs(directory)
            os.chmod(directory, 0o755)  # a directory that exists keeps its mode (it may be /tmp)
        files = dict(json=base + '.json', html=base + '.html')
        # written in check mode too: the report is the audit's output, not a change to anything it audits
        write_file(files['json'], to_json(doc))
        write_file(files['html'], render_html(doc))
        result.update(changed=True, path=base, files=files, clean=doc['clean'], findings=doc['findings'],
                      msg='Audit report: %s and .json (%d finding(s))' % (files['html'], doc['findings']))
        if params['publish']:
            result['ansible_stats'] = dict(data=dict(tenantdr_audit_report=doc, tenantdr_audit_report_files=files),
                                           per_host=False, aggregate=False)
        return result
