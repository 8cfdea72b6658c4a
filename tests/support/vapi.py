"""Drive the simulator's vAPI REST tagging endpoint directly (standard library only), to set up tags for tests.

Independent of plugins/module_utils/vcenter_tags.py (the code under test): paths and bodies follow the vSphere
Automation API 6.5 REST reference (``/rest/com/vmware/cis/...``), as served by govmomi's vapi simulator.
"""
from __future__ import annotations

import base64
import json
import ssl
import urllib.request


class VapiAdmin:
    def __init__(self, sim):
        self.base = 'https://%s:%s/rest' % (sim.host, sim.port)
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        self.ctx.check_hostname = False
        self.ctx.verify_mode = ssl.CERT_NONE
        self.calls = []
        auth = base64.b64encode(('%s:%s' % (sim.username, sim.password)).encode()).decode()
        self.session = self.request('POST', '/com/vmware/cis/session', headers={'Authorization': 'Basic ' + auth})

    def request(self, method, path, body=None, headers=None):
        hdrs = dict(headers or {})
        if getattr(self, 'session', None):
            hdrs['vmware-api-session-id'] = self.session
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            hdrs['Content-Type'] = 'application/json'
        req = urllib.request.Request(self.base + path, data=data, headers=hdrs, method=method)
        with urllib.request.urlopen(req, context=self.ctx, timeout=30) as resp:
            text = resp.read()
        self.calls.append((method, path))
        return json.loads(text)['value'] if text else None

    def category(self, name, cardinality='SINGLE'):
        return self.request('POST', '/com/vmware/cis/tagging/category', {'create_spec': {
            'name': name, 'description': name, 'cardinality': cardinality, 'associable_types': ['VirtualMachine']}})

    def tag(self, category_id, name):
        return self.request('POST', '/com/vmware/cis/tagging/tag', {'create_spec': {
            'name': name, 'description': name, 'category_id': category_id}})

    def attach(self, tag_id, moid, typ='VirtualMachine'):
        self.request('POST', '/com/vmware/cis/tagging/tag-association/id:%s?~action=attach' % tag_id,
                     {'object_id': {'id': moid, 'type': typ}})
