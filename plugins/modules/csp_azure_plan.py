#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: tenantdr.asr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
module: csp_azure_plan
short_description: Ensure a CSP customer has the Azure plan (catalog, cart, checkout) exactly once
version_added: 0.2.0
description:
  - Seed guide step 1.5. Looks for the customer's Azure plan subscription (offer C(DZH318Z0BPS6:0001)); when there is
    none, looks for an order of the plan already placed (Partner Center shows a new plan subscription up to 15 minutes
    after the order), and only when there is neither buys the plan - catalog availability for the country, a cart with
    one Azure plan line, checkout.
  - A re-run, or a run after one interrupted during checkout, finds the existing plan or order and never orders a
    second plan. While the plan subscription is still being provisioned the run ends green with RV(pending) set.
  - The plan is billed to the partner; the collection never cancels it.
author:
  - tenantdr.asr maintainers (@tenantdr)
extends_documentation_fragment:
  - tenantdr.asr.partner_center
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.actiongroups
attributes:
  check_mode:
    support: full
    details: Reads the subscriptions, orders and agreements; RV(changes) says whether a real run would order the plan.
  diff_mode:
    support: none
  platform:
    platforms: all
  action_group:
    support: full
    membership:
      - tenantdr.asr.partner_center
options:
  customer_id:
    description: The customer's id (its tenant id), as M(tenantdr.asr.csp_customer) returns it (C(customer.id)).
    type: str
    required: true
  country:
    description: Two-letter country of the customer, for the catalog availability of the Azure plan.
    type: str
    default: US
  friendly_name:
    description: Friendly name of the plan line in the cart.
    type: str
    default: Azure plan
notes:
  - The customer must have accepted the Microsoft Customer Agreement (M(tenantdr.asr.csp_customer) option
    C(mca_acceptance)); the module refuses to order before that.
seealso:
  - module: tenantdr.asr.csp_customer
  - module: tenantdr.asr.azure_subscription
"""

EXAMPLES = r"""
- name: The Azure plan of the tenant
  tenantdr.asr.csp_azure_plan:
    customer_id: "{{ csp_customer.customer.id }}"
    country: US
  register: csp_plan
"""

RETURN = r"""
plan:
  description: The Azure plan subscription, or the order placed while it is being provisioned.
  returned: always
  type: dict
  contains:
    subscription_id:
      description: Partner Center subscription id of the Azure plan (null while only the order is known, and in check mode for one to be ordered).
      type: str
    order_id:
      description: Id of the order of the plan, when known.
      type: str
    status:
      description: Status of the plan subscription (C(active)), or C(ordered) while it is being provisioned.
      type: str
  sample: {"subscription_id": "a1b2c3d4-0000-4000-8000-000000000001", "order_id": "0f2c9a1e3b4d5e6f", "status": "active"}
pending:
  description: True while the plan is ordered but its subscription is not visible yet (re-run later).
  returned: always
  type: bool
changes:
  description: What was (in check mode, would be) written.
  returned: always
  type: list
  elements: str
  sample: ["order the Azure plan (DZH318Z0BPS6:0001:DZH318Z0BMGV) for customer a1b2c3d4-0000-4000-8000-000000000001"]
"""

from ansible_collections.tenantdr.asr.plugins.module_utils.azure_common import is_guid
from ansible_collections.tenantdr.asr.plugins.module_utils.azure_module import PartnerCenterModuleBase
from ansible_collections.tenantdr.asr.plugins.module_utils.azure_partner_center import (
    azure_plan_order, azure_plan_subscription, cart_body,
)


def plan_view(subscription=None, order=None) -> dict:
    if subscription is not None:
        return {"subscription_id": subscription.get("id"), "order_id": subscription.get("orderId"),
                "status": subscription.get("status")}
    if order is not None:
        line = (order.get("lineItems") or [{}])[0]
        return {"subscription_id": line.get("subscriptionId"), "order_id": order.get("id"), "status": "ordered"}
    return {"subscription_id": None, "order_id": None, "status": None}


class AzurePlanModule(PartnerCenterModuleBase):
    """csp_azure_plan on the shared module base (Partner Center connection, checks, session, error mapping)."""

    def module_options(self) -> dict:
        return {"customer_id": {"type": "str", "required": True}, "country": {"type": "str", "default": "US"},
                "friendly_name": {"type": "str", "default": "Azure plan"}}

    def validate(self) -> list:
        params, problems = self.params, []
        if not is_guid(params["customer_id"]):
            problems.append(f"customer_id {params['customer_id']!r} is not a customer id (the customer's tenant id, a GUID)")
        if len(params["country"] or "") != 2:
            problems.append(f"country {params['country']!r} is not a two-letter country code")
        return problems

    def run(self) -> dict:
        module, params = self.module, self.params
        self.done = changes = []
        pending = False
        customer_id = params["customer_id"]
        pc = self.session.partner_center
        subscription = azure_plan_subscription(pc.subscriptions(customer_id))
        order = None
        if subscription is None:
            order = azure_plan_order(pc.orders(customer_id))
            pending = order is not None
        if subscription is None and order is None:
            if not pc.agreements(customer_id):
                self.fail(msg=f"customer {customer_id} has not accepted the Microsoft Customer Agreement; record it "
                              "first (tenantdr.asr.csp_customer option mca_acceptance) - the Azure plan cannot be "
                              "ordered without it", error_code="MCANotAccepted")
            catalog_item = pc.azure_plan_catalog_item(params["country"].upper())
            changes.append(f"order the Azure plan ({catalog_item}) for customer {customer_id}")
            if not module.check_mode:
                cart = pc.create_cart(customer_id, cart_body(catalog_item, params["friendly_name"]))
                result = pc.checkout(customer_id, cart["id"])
                errors = result.get("orderErrors") or []
                if errors:
                    self.fail(changed=True, msg="Partner Center refused the Azure plan order: " +
                              "; ".join(f"{e.get('code')}: {e.get('description')}" for e in errors))
                order = (result.get("orders") or [None])[0]
                subscription = azure_plan_subscription(pc.subscriptions(customer_id))
                pending = subscription is None
        return {"changed": bool(changes), "changes": changes, "plan": plan_view(subscription, order), "pending": pending}


def main():
    AzurePlanModule().execute()


if __name__ == "__main__":
    main()
