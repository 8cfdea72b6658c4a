"""Local lab for the tenantdr.asr roles and playbooks: vCenter simulators + a local ARM endpoint.

``python -m tests.lab run -- <command ...>`` starts, for the tenants of an inventory (default
``inventories/sample``):

* one vCenter simulator per shared-hosting vCenter (``sample_inventory()``: DC1 with acme, globex, initech),
* one per dedicated-hosting or MSP tenant (``single_tenant_inventory(<tenant>)``),
* one local Azure Resource Manager endpoint holding every tenant subscription (``tenant_subscription_id``),

writes an inventory overlay ``.build/lab/inventory`` that points each tenant's ``tenant_vcenter`` at its
simulator (so ``-i inventories/sample -i .build/lab/inventory`` works while the sample inventory keeps its
production names), exports what the AWX credentials would inject (``VMWARE_USER``, ``VMWARE_PASSWORD``,
``VMWARE_VALIDATE_CERTS=false``, the ARM endpoint's managed identity and CA bundle), runs the command, and
stops everything. See ``docs/topologies.md`` ("Local lab").
"""
