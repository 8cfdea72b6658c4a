# -*- coding: utf-8 -*-
# Copyright: tenantdr.asr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters turning tenant_isolation_audit results into the audit report (JSON document and HTML page)."""
from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.tenantdr.asr.plugins.module_utils.audit_report import build_document, render_html, to_json


def audit_report_document(results, generated_at=None):
    """``[{vcenter, report, extra_findings}]`` -> the report document (see audit_report_document.yml)."""
    if not isinstance(results, (list, tuple)):
        raise AnsibleFilterError('audit_report_document expects a list of {vcenter, report} results, got %s'
                                 % type(results).__name__)
    return build_document([dict(r) for r in results], generated_at)


def audit_report_html(doc):
    """The report document -> one self-contained HTML page."""
    if not isinstance(doc, dict) or 'vcenters' not in doc:
        raise AnsibleFilterError('audit_report_html expects the document made by tenantdr.asr.audit_report_document')
    return render_html(doc)


def audit_report_json(doc):
    """The report document -> indented JSON text."""
    return to_json(doc)


class FilterModule:
    """tenantdr.asr audit report filters."""

    def filters(self):
        return dict(audit_report_document=audit_report_document, audit_report_html=audit_report_html,
                    audit_report_json=audit_report_json)
