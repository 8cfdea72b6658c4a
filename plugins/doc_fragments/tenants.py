# -*- coding: utf-8 -*-
# Copyright: tenantdr.asr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The tenant definition: ONE schema (plugins/module_utils/tenant_model.py) for every module that takes tenants.

tests/unit/plugins/module_utils/test_tenant_model.py checks this fragment against tenant_model.TENANT_KEYS, and the
roles' argument specs against both.
"""
from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  tenants:
    description:
      - DR tenant definitions. Every key is validated before vCenter is contacted; an unknown key is an error naming the
        valid keys, and every problem of every tenant is reported at once.
      - All tenants of one task must be on the vCenter the connection options name.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description:
          - Tenant name, C(^[a-z0-9][a-z0-9-]{0,62}$).
        type: str
        required: true
      topology:
        description:
          - Multi-tenant model of the guide. V(shared_hsp) is shared hosting (tenants share one vCenter);
            V(dedicated_hsp) and V(msp) have one vCenter per tenant.
        type: str
        required: true
        choices: [shared_hsp, dedicated_hsp, msp]
      vcenter:
        description:
          - The vCenter the tenant lives on (informational). Tenants of one task naming different vCenters are refused.
        type: str
      access_account:
        description:
          - The vCenter access account of the tenant's configuration server, as C(login@domain) or C(DOMAIN\login).
        type: str
        required: true
      access_account_groups:
        description:
          - SSO groups the access account is a member of. Only M(tenantdr.asr.tenant_isolation_audit) uses them.
        type: list
        elements: str
        default: []
      failback:
        description:
          - V(false) plans the guide's no-failback variant, C(Read-only) on every object instead of the DR role.
        type: bool
        default: true
      dr_role:
        description:
          - Name of the DR role (see M(tenantdr.asr.vcenter_tenant_role)).
        type: str
        default: Azure_Site_Recovery
      vm_selectors:
        description:
          - How the tenant's VMs are found. The selectors combine as a union.
        type: dict
        suboptions:
          folders:
            description: VM folder inventory paths (or moids); every VM anywhere below is selected.
            type: list
            elements: str
          resource_pools:
            description: Resource pool or vApp inventory paths (or moids); every VM anywhere below, child pools and vApps included.
            type: list
            elements: str
          name_patterns:
            description: Case-insensitive shell-style globs (C(acme-*)) on VM names.
            type: list
            elements: str
          custom_attributes:
            description: Custom attribute name/value pairs; a VM must carry all of them.
            type: dict
          tags:
            description:
              - vSphere tags, each C(category/tag) (category and tag names) or a tag id (C(urn:vmomi:InventoryServiceTag:...)); a VM
                carrying any of them is selected.
              - The attachments of every tag of the task are read once through vCenter's vAPI REST endpoint (C(/api) on 7.0U2+,
                C(/rest) before) with the same credentials; an unknown category or tag fails with suggestions.
            type: list
            elements: str
      datacenters:
        description:
          - Datacenter paths that limit O(tenants[].vm_selectors.name_patterns) and O(tenants[].vm_selectors.custom_attributes)
            matches. Default is the whole vCenter.
        type: list
        elements: str
        default: []
      management_servers:
        description:
          - The tenant's management-server VMs (configuration server, process servers, master targets, scale-out process
            servers), as inventory paths or moids. A path that matches nothing is always an error.
        type: list
        elements: str
        default: []
      allow_empty_selectors:
        description:
          - Accept a selector (or a selector path) that matches no VM, with a warning, for example before the tenant's VMs exist.
        type: bool
        default: false
      include_templates:
        description:
          - Also select VM templates.
        type: bool
        default: false
      placement:
        description:
          - V(domain) plans the placement domains of the tenant's VMs and management servers, so that DRS, HA and
            failback moves keep working, every host of each cluster they run in and every datastore of each datastore
            cluster (Storage DRS) they use. A standalone host is planned as its compute resource either way.
          - V(exact) plans only the host and datastores each VM uses at the time of the run (for providers who pin VMs).
          - Granting a host or datastore never reveals another tenant's VM (every permission is non-propagating).
        type: str
        choices: [domain, exact]
        default: domain
"""
