#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: tenantdr.asr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
module: csp_customer
short_description: Find or create a DR tenant's CSP customer in Partner Center and record its Microsoft Customer Agreement
version_added: 0.2.0
description:
  - Seed guide step 1 - the tenant as a CSP customer of the provider. Finds the customer by its
    C(<prefix>.onmicrosoft.com) domain; when absent, checks the domain is free (C(HEAD /v1/domains/{domain})), checks
    the billing profile against Partner Center's rules for the country (cultures, languages, states, postal code),
    validates the address with Partner Center's address validation, and creates the customer (company and billing
    profile).
  - Records the customer's acceptance of the Microsoft Customer Agreement (the tenant signer's name, e-mail and date)
    when Partner Center holds none; the Azure plan cannot be bought without it.
  - The first admin user name and password Partner Center returns once on creation are written to O(secrets_path)
    (JSON, mode 0600) and never printed or returned.
  - A domain that belongs to a customer of another partner is refused; the customer is never deleted.
author:
  - tenantdr.asr maintainers (@tenantdr)
extends_documentation_fragment:
  - tenantdr.asr.partner_center
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.actiongroups
attributes:
  check_mode:
    support: full
    details: Reads and validates everything (domain, rules, address); RV(changes) lists what a real run would write.
  diff_mode:
    support: full
    details: Shows the customer and its agreement before and after.
  platform:
    platforms: all
  action_group:
    support: full
    membership:
      - tenantdr.asr.partner_center
options:
  domain:
    description:
      - The customer's initial domain, C(<prefix>.onmicrosoft.com) (prefix of 1 to 27 letters or digits).
    type: str
    required: true
  company_name:
    description: Company name (company and billing profile). Required to create the customer.
    type: str
  email:
    description: Billing contact e-mail.
    type: str
  first_name:
    description: Billing contact first name.
    type: str
  last_name:
    description: Billing contact last name.
    type: str
  phone_number:
    description: Billing contact phone number.
    type: str
  culture:
    description: Billing culture, for example V(en-US); must be one Partner Center supports for the country.
    type: str
    default: en-US
  language:
    description: Billing language, for example V(en); must match the culture and the country.
    type: str
    default: en
  address:
    description: Billing address (validated by Partner Center before the customer is created).
    type: dict
    suboptions:
      address_line1:
        description: Street and number.
        type: str
      address_line2:
        description: Second address line.
        type: str
      city:
        description: City.
        type: str
      region:
        description: State or region (required where Partner Center's rules say so, for example V(WA) in the US).
        type: str
      postal_code:
        description: Postal code.
        type: str
      country:
        description: ISO 3166 two-letter country code.
        type: str
  mca_acceptance:
    description:
      - The customer's acceptance of the Microsoft Customer Agreement. Recorded when Partner Center holds no
        acceptance for the customer.
    type: dict
    suboptions:
      first_name:
        description: First name of the tenant's signer.
        type: str
      last_name:
        description: Last name of the tenant's signer.
        type: str
      email:
        description: E-mail of the tenant's signer.
        type: str
      phone_number:
        description: Phone number of the tenant's signer.
        type: str
      date:
        description: Date the signer accepted (YYYY-MM-DD).
        type: str
  lookup_only:
    description:
      - Only find the customer by O(domain) (offboarding, reports); nothing is validated, created or recorded, and a
        missing customer is not an error (RV(customer) then has a null C(id)).
    type: bool
    default: false
  secrets_path:
    description:
      - JSON file on the managed node (the controller for tenant hosts with a local connection) that receives the
        first admin's user name and password when the customer is created (mode 0600, directory 0700).
      - Required when the customer has to be created.
    type: path
notes:
  - Partner Center keeps sandbox customers with an invalid address forever; that is why the address is validated first.
seealso:
  - module: tenantdr.asr.csp_azure_plan
  - module: tenantdr.asr.csp_delegated_access
"""

EXAMPLES = r"""
- name: The tenant as a CSP customer, with its Microsoft Customer Agreement
  tenantdr.asr.csp_customer:
    domain: contosodr.onmicrosoft.com
    company_name: Contoso Ltd
    email: it@contoso.example
    first_name: Dana
    last_name: Lee
    culture: en-US
    language: en
    address:
      address_line1: 1 Microsoft Way
      city: Redmond
      region: WA
      postal_code: "98052"
      country: US
    mca_acceptance:
      first_name: Dana
      last_name: Lee
      email: dana.lee@contoso.example
      date: "2026-11-20"
    secrets_path: /var/lib/tenantdr/contoso/csp-secrets.json
  register: csp_customer
"""

RETURN = r"""
customer:
  description: The customer (in check mode, C(id) is null for one that would be created).
  returned: always
  type: dict
  contains:
    id:
      description: Customer id (the customer's Entra ID tenant id).
      type: str
    tenant_id:
      description: The customer's Entra ID tenant id.
      type: str
    domain:
      description: Initial domain.
      type: str
    company_name:
      description: Company name.
      type: str
    relationship:
      description: Relationship to the partner (C(reseller)).
      type: str
  sample:
    id: 2d0b3c85-5b36-4b2a-9f4e-8b1a3c9f0e11
    tenant_id: 2d0b3c85-5b36-4b2a-9f4e-8b1a3c9f0e11
    domain: contosodr.onmicrosoft.com
    company_name: Contoso Ltd
    relationship: reseller
mca_accepted:
  description: Whether Partner Center holds (or, in check mode, would hold) the customer's Microsoft Customer Agreement acceptance.
  returned: always
  type: bool
admin_credentials_path:
  description: Where the first admin's credentials were written (only when this run created the customer).
  returned: when the customer was created
  type: str
changes:
  description: What was (in check mode, would be) written.
  returned: always
  type: list
  elements: str
  sample: ["create customer contosodr.onmicrosoft.com (Contoso Ltd)", "record the Microsoft Customer Agreement accepted by Dana Lee on 2026-11-20"]
"""

from ansible_collections.tenantdr.asr.plugins.module_utils.azure_module import PartnerCenterModuleBase
from ansible_collections.tenantdr.asr.plugins.module_utils.azure_partner_center import (
    MCA_AGREEMENT_TYPE, address_body, address_problem, customer_body, customer_view, mca_body, validate_billing_profile,
    validate_customer_domain, validate_mca_acceptance, write_secrets,
)


def module_options() -> dict:
    """The module's own options (the Partner Center connection options come from the base)."""
    return {
        "domain": {"type": "str", "required": True},
        "company_name": {"type": "str"},
        "email": {"type": "str"},
        "first_name": {"type": "str"},
        "last_name": {"type": "str"},
        "phone_number": {"type": "str"},
        "culture": {"type": "str", "default": "en-US"},
        "language": {"type": "str", "default": "en"},
        "address": {"type": "dict", "options": {
            "address_line1": {"type": "str"}, "address_line2": {"type": "str"}, "city": {"type": "str"},
            "region": {"type": "str"}, "postal_code": {"type": "str"}, "country": {"type": "str"}}},
        "mca_acceptance": {"type": "dict", "options": {
            "first_name": {"type": "str"}, "last_name": {"type": "str"}, "email": {"type": "str"},
            "phone_number": {"type": "str"}, "date": {"type": "str"}}},
        "secrets_path": {"type": "path", "no_log": False},
        "lookup_only": {"type": "bool", "default": False},
    }


def profile_of(params: dict) -> dict:
    return {k: params.get(k) for k in ("company_name", "email", "first_name", "last_name", "phone_number", "culture",
                                       "language", "address")}


class CustomerModule(PartnerCenterModuleBase):
    """csp_customer on the shared module base (Partner Center connection, checks, session, error mapping)."""

    def module_options(self) -> dict:
        return module_options()

    def validate(self) -> list:
        params = self.params
        problems = validate_customer_domain((params["domain"] or "").strip())
        if params.get("mca_acceptance"):
            problems += validate_mca_acceptance(params["mca_acceptance"])
        return problems

    def run(self) -> dict:
        module, params = self.module, self.params
        domain = (params["domain"] or "").strip()
        self.done = changes = []
        created_path = None
        pc = self.session.partner_center
        customer = pc.find_customer(domain)
        before = customer_view(customer) if customer else None
        if params["lookup_only"]:
            mca = bool(customer and pc.agreements(customer["id"]))
            view = customer_view(customer) if customer else {"id": None, "tenant_id": None, "domain": domain,
                                                             "company_name": None, "relationship": None}
            return {"changed": False, "changes": [], "customer": view, "mca_accepted": mca}
        if customer is None:
            if pc.domain_taken(domain):
                self.fail(msg=f"domain {domain} already belongs to a customer of another partner (Partner Center "
                              "HEAD /v1/domains answered 200 and it is not among this partner's customers); choose "
                              "another domain or ask the customer for a reseller relationship", error_code="DomainTaken")
            profile = profile_of(params)
            country = ((profile.get("address") or {}).get("country") or "").upper()
            rules = pc.country_rules(country) if country else None
            problems = validate_billing_profile(profile, rules)
            if not params.get("secrets_path"):
                problems.append("secrets_path is required to create the customer (its first admin password goes there)")
            if problems:
                self.fail(msg=f"Cannot create customer {domain}: " + "; ".join(problems), problems=problems)
            address = address_body(profile)
            problem = address_problem(pc.validate_address(address), address)
            if problem:
                self.fail(msg=problem, error_code="AddressNotVerified")
            changes.append(f"create customer {domain} ({params['company_name']})")
            if not module.check_mode:
                created = pc.create_customer(customer_body(domain, profile))
                credentials = created.pop("userCredentials", None) or {}
                created_path = params["secrets_path"]
                customer_id = created.get("id")

                def record(data, _c=credentials, _id=customer_id):
                    data["customer_admin"] = {"user_name": _c.get("userName"), "password": _c.get("password"),
                                              "customer_id": _id, "domain": domain}
                write_secrets(created_path, record)
                customer = created
        mca_accepted = False
        if customer is not None and customer.get("id"):
            mca_accepted = bool(pc.agreements(customer["id"]))
        had_mca = mca_accepted and before is not None
        if not mca_accepted and params.get("mca_acceptance"):
            acceptance = params["mca_acceptance"]
            changes.append(f"record the Microsoft Customer Agreement accepted by {acceptance['first_name']} "
                           f"{acceptance['last_name']} on {acceptance['date']}")
            if not module.check_mode:
                pc.create_agreement(customer["id"], mca_body(acceptance, pc.agreement_template()))
            mca_accepted = True

        view = customer_view(customer) if customer else {"id": None, "tenant_id": None, "domain": domain,
                                                         "company_name": params.get("company_name"), "relationship": "reseller"}
        result = {"changed": bool(changes), "changes": changes, "customer": view, "mca_accepted": mca_accepted}
        if created_path:
            result["admin_credentials_path"] = created_path
        if module._diff:
            result["diff"] = {"before": {"customer": before, "agreement": MCA_AGREEMENT_TYPE if had_mca else None},
                              "after": {"customer": view, "agreement": MCA_AGREEMENT_TYPE if mca_accepted else None}}
        return result


def main():
    CustomerModule().execute()


if __name__ == "__main__":
    main()
