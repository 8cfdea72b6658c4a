#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: tenantdr.asr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
module: azure_subscription
short_description: Create a DR tenant's Azure subscription under its CSP Azure plan (subscription alias, idempotent)
version_added: 0.2.0
description:
  - Creates the tenant's Azure subscription through Azure Resource Manager's subscription alias API
    (C(PUT /providers/Microsoft.Subscription/aliases/{alias}), api-version 2021-10-01, azure-mgmt-subscription) for the
    Microsoft Partner Agreement billing scope C(/billingAccounts/{billing_account}/customers/{customer_id}).
  - The alias name is derived from the billing scope and O(tenant_name) (a UUID), so a re-run - or a run after one
    interrupted while Azure was still provisioning - finds the same alias and the same subscription, never a second one.
  - Its RV(subscription_id) feeds the rest of the onboarding (the vault, tenant access).
  - Subscriptions are billed; the module never cancels or deletes one (the module has no C(state) option).
author:
  - tenantdr.asr maintainers (@tenantdr)
extends_documentation_fragment:
  - tenantdr.asr.azure
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.actiongroups
attributes:
  check_mode:
    support: full
    details: Reads the alias; RV(changes) says whether a real run would create the subscription.
  diff_mode:
    support: none
  platform:
    platforms: all
  action_group:
    support: full
    membership:
      - tenantdr.asr.azure
options:
  billing_account:
    description:
      - Name of the partner's Microsoft Partner Agreement billing account (C(az billing account list), the
        C(name) of the account with C(agreementType=MicrosoftPartnerAgreement)).
    type: str
    required: true
  customer_id:
    description: The CSP customer's id (its tenant id).
    type: str
    required: true
  display_name:
    description: Display name of the subscription (at most 64 characters, none of C(<>;|)).
    type: str
    required: true
  tenant_name:
    description:
      - The DR tenant's name; with the billing scope it makes the alias name. Keep it stable per tenant.
      - Required unless O(alias_name) is given.
    type: str
  alias_name:
    description: Use this alias name instead of the derived one (for a subscription created by hand through an alias).
    type: str
  workload:
    description: Workload type of the subscription.
    type: str
    choices: [Production, DevTest]
    default: Production
requirements:
  - azure-mgmt-subscription >= 3.1.0
notes:
  - O(subscription_id) is not used (the subscription does not exist yet).
  - Needs the Admin Agent role in the partner tenant (or an owner of the billing account); see learn
    "Programmatically create Azure subscriptions for a Microsoft Partner Agreement".
seealso:
  - module: tenantdr.asr.csp_azure_plan
  - module: tenantdr.asr.asr_vault
"""

EXAMPLES = r"""
- name: The tenant's subscription under its Azure plan
  tenantdr.asr.azure_subscription:
    # name of the partner's Microsoft Partner Agreement billing account (az billing account list), of the form
    # 99a13315-xxxx-xxxx-xxxx-xxxxxxxxxxxx:xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx_2019-05-31
    billing_account: "{{ tenantdr_csp_billing_account }}"
    customer_id: "{{ csp_customer.customer.id }}"
    display_name: contoso DR
    tenant_name: contoso
  register: tenant_subscription
"""

RETURN = r"""
subscription_id:
  description: Id of the subscription (null in check mode when it would be created, and while Azure still provisions it).
  returned: always
  type: str
  sample: 0b1f6471-1bf0-4dda-aec3-111122223333
alias:
  description: The subscription alias.
  returned: always
  type: dict
  contains:
    name:
      description: Alias name.
      type: str
    provisioning_state:
      description: C(Accepted), C(Succeeded) or C(Failed); null when the alias would be created (check mode).
      type: str
    billing_scope:
      description: Billing scope of the subscription.
      type: str
    display_name:
      description: Display name given when the alias was created.
      type: str
  sample:
    name: 6e1f0c3a-3b0f-5d9e-8c2a-1f4b7d9e0a11
    provisioning_state: Succeeded
    billing_scope: /billingAccounts/99a13315:..._2019-05-31/customers/2d0b3c85-5b36-4b2a-9f4e-8b1a3c9f0e11
    display_name: contoso DR
changes:
  description: What was (in check mode, would be) created.
  returned: always
  type: list
  elements: str
  sample: ["create subscription 'contoso DR' under /billingAccounts/.../customers/... (alias 6e1f0c3a-...)"]
"""

import traceback
import uuid

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.tenantdr.asr.plugins.module_utils.azure_common import AzureApiError, enum_value, is_guid, to_wire
from ansible_collections.tenantdr.asr.plugins.module_utils.azure_module import AzureModuleBase
from ansible_collections.tenantdr.asr.plugins.module_utils.azure_partner_center import (
    billing_scope, validate_billing_scope, validate_subscription_display_name,
)

SUBSCRIPTION_IMPORT_ERROR = None
try:
    from azure.mgmt.subscription import SubscriptionClient
except ImportError:
    SUBSCRIPTION_IMPORT_ERROR = traceback.format_exc()

# uuid5(NAMESPACE_URL, "https://galaxy.ansible.com/tenantdr/asr/subscription-aliases")
ALIAS_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://galaxy.ansible.com/tenantdr/asr/subscription-aliases")


def alias_name_for(scope: str, tenant_name: str) -> str:
    """The deterministic alias name of a tenant's subscription."""
    return str(uuid.uuid5(ALIAS_NAMESPACE, f"{scope.lower()}|{tenant_name.strip().lower()}"))


def alias_view(wire: dict, name: str) -> dict:
    props = wire.get("properties") or {}
    return {"name": wire.get("name") or name, "provisioning_state": enum_value(props.get("provisioningState")),
            "billing_scope": props.get("billingScope"), "display_name": props.get("displayName"),
            "subscription_id": props.get("subscriptionId")}


class SubscriptionModule(AzureModuleBase):
    """azure_subscription on the shared Azure module base (options, checks, session, error mapping)."""

    module_kwargs = {"required_one_of": [("tenant_name", "alias_name")]}

    def __init__(self):
        super().__init__()
        self.client = None

    def module_options(self) -> dict:
        return {"billing_account": {"type": "str", "required": True}, "customer_id": {"type": "str", "required": True},
                "display_name": {"type": "str", "required": True}, "tenant_name": {"type": "str"},
                "alias_name": {"type": "str"},
                "workload": {"type": "str", "default": "Production", "choices": ["Production", "DevTest"]}}

    def require_libraries(self) -> None:
        super().require_libraries()
        if SUBSCRIPTION_IMPORT_ERROR:
            self.module.fail_json(msg=missing_required_lib("azure-mgmt-subscription"), exception=SUBSCRIPTION_IMPORT_ERROR)

    def connection_problems(self) -> list:
        # the subscription does not exist yet: the alias API is tenant-level
        return [p for p in super().connection_problems() if not p.startswith("subscription_id")]

    def validate(self) -> list:
        params = self.params
        problems = []
        if not is_guid(params["customer_id"]):
            problems.append(f"customer_id {params['customer_id']!r} is not a customer id (the customer's tenant id, a GUID)")
        else:
            problems += validate_billing_scope(billing_scope(params["billing_account"], params["customer_id"]))
        problems += validate_subscription_display_name(params["display_name"])
        return problems

    def run(self) -> dict:
        module, params, session = self.module, self.params, self.session
        scope = billing_scope(params["billing_account"], params["customer_id"])
        name = params["alias_name"] or alias_name_for(scope, params["tenant_name"])
        changes = []
        options = {"base_url": session.cloud.resource_manager, "credential_scopes": [session.cloud.scope],
                   "user_agent": "ansible-tenantdr.asr"}
        if params.get("polling_interval") is not None:
            options["polling_interval"] = params["polling_interval"]
        self.client = client = SubscriptionClient(session.credential, **options)
        try:
            current = alias_view(to_wire(session.call(f"reading subscription alias {name}", client.alias.get, name)), name)
        except AzureApiError as exc:
            if exc.status != 404:
                raise
            current = None
        if current is not None and (current["billing_scope"] or "").lower() != scope.lower():
            self.fail(msg=f"subscription alias {name} exists for billing scope {current['billing_scope']}, not {scope}; "
                          "refusing to touch it", error_code="AliasScopeMismatch")
        body = {"properties": {"displayName": params["display_name"], "workload": params["workload"], "billingScope": scope}}
        if current is None:
            changes.append(f"create subscription {params['display_name']!r} under {scope} (alias {name})")
        if module.check_mode:
            view = current or {"name": name, "provisioning_state": None, "billing_scope": scope,
                               "display_name": params["display_name"], "subscription_id": None}
        elif current is None or current["provisioning_state"] != "Succeeded":
            # Creating, or an alias whose creation an earlier run left while Azure was still provisioning: the PUT of the
            # same alias answers with it (never a second subscription), and the poller waits for Succeeded.
            self.done = changes
            poller = session.call(f"creating subscription alias {name}", client.alias.begin_create, name, body)
            view = alias_view(to_wire(session.call(f"waiting for subscription alias {name}", poller.result)), name)
        else:
            view = current
        if view.get("provisioning_state") == "Failed":
            self.fail(msg=f"Azure could not create the subscription of alias {name} (provisioningState Failed)",
                      changed=bool(changes), alias=view, error_code="SubscriptionCreationFailed")
        subscription_id = view.pop("subscription_id")
        return {"changed": bool(changes), "changes": changes, "subscription_id": subscription_id, "alias": view}

    def close(self) -> None:
        if self.client is not None:
            self.client.close()
            self.client = None
        super().close()


def main():
    SubscriptionModule().execute()


if __name__ == "__main__":
    main()
