#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: tenantdr.asr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
module: asr_vault
short_description: Recovery Services vault and vault registration key for a DR tenant's Azure subscription
version_added: 0.1.0
description:
  - Ensures the resource group and the Recovery Services vault of a disaster-recovery tenant (seed guide
    "Multi-tenant support in Azure Site Recovery", step 3.1), and writes the vault registration key
    (C(.VaultCredentials) file) that the tenant's configuration server is registered with (step 3.2).
  - Registers the C(Microsoft.RecoveryServices) resource provider on the subscription first when it is not registered
    (new CSP subscriptions), and waits until Azure reports it registered.
  - Idempotent - a re-run with the same input changes nothing; a changed tag, SKU, public network access or storage
    redundancy is an in-place update (PATCH). The location of an existing vault cannot change; asking for another one
    fails before any change.
  - The registration key is made the way Azure's own tools make it for Site Recovery - the vault certificates API
    creates the management certificate, the vault extended info provides the channel integrity key, and the
    C(RSVaultAsrCreds) XML is written with mode 0600. See C(docs/azure-vault-credentials.md) for the steps, the format and
    the sources. It is regenerated only when asked, or when the file is missing, unreadable, for another vault, or expired.
  - With O(state=absent) the vault is deleted, unless it still has registered servers, replication fabrics, protected
    or backup items - the module then fails and lists them (O(force=true) sends the delete anyway). A missing vault or
    resource group is not an error.
  - Every input is checked before the first change; Azure errors come back as one message with the Azure error code.
author:
  - tenantdr.asr maintainers (@tenantdr)
extends_documentation_fragment:
  - tenantdr.asr.azure
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.actiongroups
attributes:
  check_mode:
    support: full
    details: Azure is only read; the result shows the vault and file as a real run would leave them.
  diff_mode:
    support: full
    details: Shows the resource group, the managed vault settings and the credentials file (path, expiry, thumbprint - never its content).
  platform:
    platforms: all
  action_group:
    support: full
    membership:
      - tenantdr.asr.azure
options:
  resource_group:
    description:
      - Resource group of the vault.
    type: str
    required: true
  name:
    description:
      - Name of the Recovery Services vault (2-50 characters, starting with a letter, letters, digits and hyphens).
    type: str
    required: true
  location:
    description:
      - Azure region of the vault (and of the resource group when it is created), for example V(westeurope) or
        V(West Europe). Checked against the regions the subscription offers for Recovery Services vaults.
      - Required with O(state=present).
    type: str
  create_resource_group:
    description:
      - Create the resource group in O(location) when it does not exist. Without it a missing resource group fails the
        run before any change.
    type: bool
    default: false
  sku:
    description:
      - Vault SKU. New vaults get V(Standard) when not given; when omitted the SKU of an existing vault is left alone.
    type: str
    choices: [Standard, RS0]
  tags:
    description:
      - Tags of the vault. Merged into the existing tags unless O(purge_tags=true). Omit to leave tags alone.
    type: dict
  purge_tags:
    description:
      - Remove tags that are not in O(tags).
    type: bool
    default: false
  public_network_access:
    description:
      - Whether the vault accepts traffic from public networks (C(properties.publicNetworkAccess)). Azure's default for
        a new vault is V(Enabled). Omit to leave it alone.
    type: str
    choices: [Enabled, Disabled]
  storage_redundancy:
    description:
      - Storage redundancy of the vault (C(properties.redundancySettings.standardTierStorageRedundancy)). Azure's default
        for a new vault is V(GeoRedundant); V(ZoneRedundant) needs a region with availability zones. Azure lets it change
        only while the vault protects no items - it then refuses the update with its own error. Omit to leave it alone.
    type: str
    choices: [GeoRedundant, LocallyRedundant, ZoneRedundant]
  credentials_path:
    description:
      - Path on the controller of the vault credentials (registration key) file to keep up to date, for example
        C(/secure/tenant1.VaultCredentials). The directory must exist. The file is created with mode 0600.
      - The file content is a secret (a certificate with its private key); it is never returned or logged.
      - With O(state=absent) an existing file at this path is removed too.
    type: path
  credentials_validity_hours:
    description:
      - Validity of a newly created management certificate, in hours. Azure's tools use 120 hours (5 days) for Site
        Recovery. Register the configuration server within this time.
    type: int
    default: 120
  credentials_min_validity_hours:
    description:
      - Regenerate the file when its certificate expires within this many hours (0 - only once expired).
    type: int
    default: 0
  regenerate_credentials:
    description:
      - Always create a new certificate and rewrite the file (reports a change on every run).
    type: bool
    default: false
  force:
    description:
      - With O(state=absent), send the delete even though the vault still has registered servers, fabrics or items.
        Azure itself refuses to delete a vault with registered containers (C(ServiceResourceNotEmptyWithContainerDetails));
        that error is then returned. Removing them (offboarding) is not done by this module.
    type: bool
    default: false
  state:
    description:
      - V(present) ensures the vault (and file); V(absent) deletes them.
    type: str
    choices: [present, absent]
    default: present
notes:
  - The C(.VaultCredentials) file serves the classic configuration server (vaults created before the classic flow was
    retired), Hyper-V sites and the MARS agent. The modernized Azure Site Recovery replication appliance registers with a
    key copied from the portal and an interactive sign-in, for which no public API exists.
  - Needs Contributor (or Owner) on the subscription or resource group; registering the resource provider needs the
    C(*/register/action) permission on the subscription.
seealso:
  - module: tenantdr.asr.asr_tenant_access
"""

EXAMPLES = r"""
- name: Vault and registration key for tenant contoso (service principal from the AWX Azure credential)
  tenantdr.asr.asr_vault:
    resource_group: rg-contoso-dr
    create_resource_group: true
    name: rsv-contoso-dr
    location: westeurope
    storage_redundancy: LocallyRedundant
    tags:
      tenant: contoso
      managed-by: ansible
    credentials_path: /secure/contoso/rsv-contoso-dr.VaultCredentials
  register: vault

- name: Show where the key is and until when it is valid
  ansible.builtin.debug:
    msg: "{{ vault.credentials.path }} valid until {{ vault.credentials.expires }}"

- name: Same, with explicit service principal options in the US Government cloud
  tenantdr.asr.asr_vault:
    cloud_environment: AzureUSGovernment
    subscription_id: "{{ tenant_subscription_id }}"
    auth_source: service_principal
    client_id: "{{ sp_client_id }}"
    secret: "{{ sp_secret }}"
    tenant: "{{ partner_tenant_id }}"
    resource_group: rg-contoso-dr
    name: rsv-contoso-dr
    location: usgovvirginia

- name: New registration key just before registering the configuration server
  tenantdr.asr.asr_vault:
    resource_group: rg-contoso-dr
    name: rsv-contoso-dr
    location: westeurope
    credentials_path: /secure/contoso/rsv-contoso-dr.VaultCredentials
    credentials_min_validity_hours: 24

- name: Offboarding - delete the vault (fails and lists what is still registered)
  tenantdr.asr.asr_vault:
    resource_group: rg-contoso-dr
    name: rsv-contoso-dr
    credentials_path: /secure/contoso/rsv-contoso-dr.VaultCredentials
    state: absent

- name: Use a managed identity and module defaults for every Azure module of the collection
  module_defaults:
    group/tenantdr.asr.azure:
      auth_source: msi
      subscription_id: "{{ tenant_subscription_id }}"
  block:
    - name: Ensure the vault
      tenantdr.asr.asr_vault:
        resource_group: rg-contoso-dr
        name: rsv-contoso-dr
        location: westeurope
"""

RETURN = r"""
vault:
  description: The vault after the run (in check mode, as it would be). Empty when it does not exist (O(state=absent)).
  returned: always
  type: dict
  contains:
    id:
      description: Azure resource id.
      type: str
    name:
      description: Vault name.
      type: str
    resource_group:
      description: Resource group.
      type: str
    location:
      description: Region, in ARM form.
      type: str
    sku:
      description: SKU name.
      type: str
    tags:
      description: Tags.
      type: dict
    provisioning_state:
      description: C(properties.provisioningState) (null in check mode for a vault that would be created).
      type: str
    public_network_access:
      description: C(properties.publicNetworkAccess).
      type: str
    storage_redundancy:
      description: C(properties.redundancySettings.standardTierStorageRedundancy).
      type: str
    cross_region_restore:
      description: C(properties.redundancySettings.crossRegionRestore).
      type: str
    private_endpoint_state_for_site_recovery:
      description: C(properties.privateEndpointStateForSiteRecovery), as written into the credentials file.
      type: str
  sample:
    id: /subscriptions/0b1f6471-1bf0-4dda-aec3-111122223333/resourceGroups/rg-contoso-dr/providers/Microsoft.RecoveryServices/vaults/rsv-contoso-dr
    name: rsv-contoso-dr
    resource_group: rg-contoso-dr
    location: westeurope
    sku: Standard
    tags: {tenant: contoso}
    provisioning_state: Succeeded
    public_network_access: Enabled
    storage_redundancy: LocallyRedundant
    cross_region_restore: Disabled
    private_endpoint_state_for_site_recovery: None
changes:
  description: What was (in check mode, would be) changed, in order. Empty when nothing changed.
  returned: always
  type: list
  elements: str
  sample:
    - register resource provider Microsoft.RecoveryServices on the subscription
    - create resource group rg-contoso-dr in westeurope
    - create Recovery Services vault rsv-contoso-dr in westeurope
    - write vault credentials file /secure/contoso/rsv-contoso-dr.VaultCredentials (new vault)
credentials:
  description:
    - The vault credentials file, without its content. Only when O(credentials_path) is set.
    - In check mode, C(expires) and C(thumbprint) are those of the existing file, or null when a new one would be written.
  returned: when O(credentials_path) is set
  type: dict
  contains:
    path:
      description: Path of the file.
      type: str
    exists:
      description: Whether the file exists after the run.
      type: bool
    expires:
      description: Expiry of the management certificate (UTC, ISO 8601).
      type: str
    thumbprint:
      description: SHA-1 thumbprint of the management certificate (upper-case hex, as Windows shows it).
      type: str
    regenerated:
      description: Whether a new certificate was created and the file written in this run.
      type: bool
    reason:
      description: Why the file was (re)written (C(new vault), C(missing), C(expired), ...) or C(valid) when kept.
      type: str
  sample: {path: /secure/contoso/rsv-contoso-dr.VaultCredentials, exists: true, expires: "2026-11-28T12:00:00Z",
           thumbprint: 019FE9BAD18A5A09F5CA53B593AF66331F3054AF, regenerated: true, reason: new vault}
blockers:
  description: With O(state=absent), what was still registered in the vault (servers, fabrics, items) before the delete.
  returned: when O(state=absent) and the vault existed
  type: list
  elements: str
  sample: ["1 registered Site Recovery server(s) (configuration servers / Hyper-V hosts)", "replication fabrics: cs-contoso (VMware)"]
"""

import datetime
import io
import os

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.tenantdr.asr.plugins.module_utils.azure_common import (
    AzureApiError, AzureSession, enum_value, ensure_provider_registered, resource_group_missing, to_wire,
)
from ansible_collections.tenantdr.asr.plugins.module_utils.azure_module import AzureModuleBase
from ansible_collections.tenantdr.asr.plugins.module_utils.azure_vault import (
    PROVIDER_NAMESPACE, PlanError, apply_field_changes, describe_change, diff_view, normalize_location, patch_body, plan_vault,
    predicted_new_vault, validate_vault_params, vault_blockers, vault_summary,
)
from ansible_collections.tenantdr.asr.plugins.module_utils.vault_credentials import (
    CRYPTOGRAPHY_IMPORT_ERROR, VaultCredentialsError, assess_credentials_file, build_vault_credentials_xml, certificate_b64,
    certificate_name, certificate_request_body, check_credentials_path, default_aad_audience, inspect_certificate, iso_utc,
    new_integrity_key, write_secret_file,
)

SITE_RECOVERY_API_VERSION = "2025-08-01"  # replicationFabrics (azure-mgmt-recoveryservicessiterecovery 2.0.0)


def vault_options() -> dict:
    """The module's own options (the Azure connection options come from the module base)."""
    return dict(
        resource_group=dict(type="str", required=True),
        name=dict(type="str", required=True),
        location=dict(type="str"),
        create_resource_group=dict(type="bool", default=False),
        sku=dict(type="str", choices=["Standard", "RS0"]),
        tags=dict(type="dict"),
        purge_tags=dict(type="bool", default=False),
        public_network_access=dict(type="str", choices=["Enabled", "Disabled"]),
        storage_redundancy=dict(type="str", choices=["GeoRedundant", "LocallyRedundant", "ZoneRedundant"]),
        credentials_path=dict(type="path"),
        credentials_validity_hours=dict(type="int", default=120),
        credentials_min_validity_hours=dict(type="int", default=0),
        regenerate_credentials=dict(type="bool", default=False),
        force=dict(type="bool", default=False),
        state=dict(type="str", default="present", choices=["present", "absent"]),
    )


class VaultRun:
    """Read -> plan -> apply for one module run."""

    def __init__(self, module: AnsibleModule, session: AzureSession):
        self.module = module
        self.session = session
        self.params = module.params
        self.rg = self.params["resource_group"]
        self.name = self.params["name"]
        self.done = []
        self.now = datetime.datetime.now(datetime.timezone.utc)

    # ------------------------------------------------------------------ reading
    def read(self) -> dict:
        session, rg, name = self.session, self.rg, self.name
        current = {"subscription_id": session.subscription_id, "provider_state": None, "vault": None, "blockers": [],
                   "credentials": None}
        if self.params["state"] == "present":
            provider = session.call(f"reading resource provider {PROVIDER_NAMESPACE}", session.resources.providers.get,
                                    PROVIDER_NAMESPACE)
            current["provider_state"] = enum_value(getattr(provider, "registration_state", None))
            self._check_location(provider)
        current["resource_group_missing"] = resource_group_missing(session, rg)
        current["resource_group_exists"] = current["resource_group_missing"] is None
        if current["resource_group_exists"]:
            try:
                wire = to_wire(session.call(f"reading vault {name}", session.recovery.vaults.get, rg, name))
                current["vault"] = vault_summary(wire, rg)
            except AzureApiError as exc:
                if exc.status != 404:
                    raise
        if current["vault"] is not None and self.params["state"] == "absent":
            current["blockers"] = self._read_blockers()
        path = self.params.get("credentials_path")
        if path:
            if self.params["state"] == "present":
                current["credentials"] = assess_credentials_file(path, session.subscription_id, rg, name, self.now,
                                                                 self.params["credentials_min_validity_hours"])
            else:
                current["credentials"] = {"exists": os.path.lexists(path), "path": path}
            current["credentials"]["path"] = path
        return current

    def _check_location(self, provider) -> None:
        location = normalize_location(self.params["location"])
        offered = []
        for resource_type in getattr(provider, "resource_types", None) or []:
            if (getattr(resource_type, "resource_type", "") or "").lower() == "vaults":
                offered = [normalize_location(loc) for loc in (resource_type.locations or [])]
        if offered and location not in offered:
            raise PlanError(f"location {self.params['location']!r} is not offered for Recovery Services vaults in this "
                            f"subscription; valid locations: {', '.join(sorted(offered))}",
                            code="LocationNotAvailableForResourceType")

    def _read_blockers(self) -> list:
        session, rg, name = self.session, self.rg, self.name
        rs = session.recovery
        usage = session.call(f"reading replication usages of vault {name}", lambda: [to_wire(u) for u in rs.replication_usages.list(rg, name)])
        usages = session.call(f"reading usages of vault {name}", lambda: [to_wire(u) for u in rs.usages.list_by_vaults(rg, name)])
        path = (f"/subscriptions/{session.subscription_id}/resourceGroups/{rg}/providers/{PROVIDER_NAMESPACE}/vaults/{name}"
                "/replicationFabrics")
        try:
            fabrics = session.raw_get(rs, path, SITE_RECOVERY_API_VERSION, f"listing replication fabrics of vault {name}").get("value") or []
        except AzureApiError as exc:
            if exc.status != 404:
                raise
            fabrics = []
        usage_values = {((u.get("name") or {}).get("value")): u.get("currentValue") for u in usages}
        return vault_blockers(usage[0] if usage else {}, fabrics, usage_values)

    # ------------------------------------------------------------------ applying
    def apply(self, changes: list, current: dict) -> dict:
        state = {"vault": current["vault"], "credentials": None}
        for change in changes:
            getattr(self, "_apply_" + change["action"])(change, state)
            self.done.append(describe_change(change))
        return state

    def _apply_register_provider(self, change, state):
        ensure_provider_registered(self.session, change["namespace"])

    def _apply_create_resource_group(self, change, state):
        self.session.call(f"creating resource group {self.rg}", self.session.resources.resource_groups.create_or_update,
                          self.rg, {"location": change["location"]})

    def _apply_create_vault(self, change, state):
        vaults = self.session.recovery.vaults
        poller = self.session.call(f"creating vault {self.name}", vaults.begin_create_or_update, self.rg, self.name, change["body"])
        state["vault"] = vault_summary(to_wire(self.session.call(f"creating vault {self.name}", poller.result)), self.rg)

    def _apply_update_vault(self, change, state):
        vaults = self.session.recovery.vaults
        poller = self.session.call(f"updating vault {self.name}", vaults.begin_update, self.rg, self.name, patch_body(change["fields"]))
        state["vault"] = vault_summary(to_wire(self.session.call(f"updating vault {self.name}", poller.result)), self.rg)

    def _apply_delete_vault(self, change, state):
        vaults = self.session.recovery.vaults
        poller = self.session.call(f"deleting vault {self.name}", vaults.begin_delete, self.rg, self.name)
        self.session.call(f"deleting vault {self.name}", poller.result)
        state["vault"] = None

    def _apply_remove_credentials(self, change, state):
        try:
            os.unlink(change["path"])
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise VaultCredentialsError(f"cannot remove {change['path']}: {exc}") from exc

    def _apply_restrict_credentials_mode(self, change, state):
        try:
            os.chmod(change["path"], 0o600)
        except OSError as exc:
            raise VaultCredentialsError(f"cannot change the mode of {change['path']}: {exc}") from exc

    def _apply_write_credentials(self, change, state):
        session, rg, name = self.session, self.rg, self.name
        rs = session.recovery
        vault = state["vault"]
        cert_name = certificate_name(name, self.now.date())
        body = io.BytesIO(certificate_request_body(self.params["credentials_validity_hours"]))
        response = session.call(f"creating the management certificate of vault {name}", rs.vault_certificates.create,
                                rg, name, cert_name, body, content_type="application/json")
        props = response.properties
        management_cert = certificate_b64(getattr(props, "certificate", None))
        resource_id = getattr(props, "resource_id", None)
        fields = {
            "subscription_id": session.subscription_id,
            "resource_group": rg,
            "vault_name": name,
            "resource_id": resource_id,
            "location": vault["location"],
            "management_cert": management_cert,
            "aad_authority": getattr(props, "aad_authority", None) or "",
            "aad_tenant_id": getattr(props, "aad_tenant_id", None) or "",
            "service_principal_client_id": getattr(props, "service_principal_client_id", None) or "",
            "aad_audience": getattr(props, "aad_audience", None) or default_aad_audience(vault["location"], name, resource_id),
            "arm_management_endpoint": getattr(props, "azure_management_endpoint_audience", None) or "",
            "channel_integrity_key": self._channel_integrity_key(),
            "site_id": "",
            "site_name": "",
            "private_endpoint_state": vault.get("private_endpoint_state_for_site_recovery") or "None",
        }
        write_secret_file(change["path"], build_vault_credentials_xml(fields).encode("utf-8"))
        info = inspect_certificate(management_cert)
        state["credentials"] = {"path": change["path"], "exists": True, "expires": iso_utc(info["not_after"]),
                                "thumbprint": info["thumbprint"], "regenerated": True, "reason": change["reason"]}

    def _channel_integrity_key(self) -> str:
        """The vault's channel integrity key, created (random, algorithm None) when the vault has none - as PowerShell does."""
        rs, rg, name = self.session.recovery, self.rg, self.name
        try:
            info = to_wire(self.session.call(f"reading extended info of vault {name}", rs.vault_extended_info.get, rg, name))
        except AzureApiError as exc:
            if exc.status != 404:
                raise
            body = {"properties": {"integrityKey": new_integrity_key(), "algorithm": "None"}}
            info = to_wire(self.session.call(f"creating extended info of vault {name}", rs.vault_extended_info.create_or_update,
                                             rg, name, body))
        props = info.get("properties") or {}
        if (props.get("algorithm") or "None") != "None":
            self.module.warn(f"Vault {name} has a channel integrity key with algorithm {props.get('algorithm')!r} (made by the "
                             "portal); it cannot be read through the API, so the file carries an empty ChannelIntegrityKey "
                             "as Terraform's registration-key data source does.")
            return ""
        return props.get("integrityKey") or ""


def credentials_result(path: str, current: dict | None, written: dict | None, changes: list, check_mode: bool) -> dict:
    if written:
        return written
    planned = [c for c in changes if c["action"] in ("write_credentials", "remove_credentials")]
    current = current or {}
    if planned and planned[0]["action"] == "remove_credentials":
        return {"path": path, "exists": False, "expires": None, "thumbprint": None, "regenerated": False, "reason": "removed"}
    if planned:  # check mode
        return {"path": path, "exists": True, "expires": None, "thumbprint": None, "regenerated": True, "reason": planned[0]["reason"]}
    return {"path": path, "exists": bool(current.get("exists")), "expires": current.get("expires"),
            "thumbprint": current.get("thumbprint"), "regenerated": False, "reason": current.get("reason") or "absent"}


class VaultModule(AzureModuleBase):
    """asr_vault on the shared Azure module base (options, checks, session, error mapping)."""

    plan_errors = (PlanError, VaultCredentialsError)
    module_kwargs = {"required_if": [("state", "present", ["location"])]}

    def module_options(self) -> dict:
        return vault_options()

    def validate(self) -> list:
        params = self.params
        problems = validate_vault_params(params)
        if params.get("credentials_path") and params["state"] == "present":
            problem = check_credentials_path(params["credentials_path"])
            if problem:
                problems.append(problem)
            if CRYPTOGRAPHY_IMPORT_ERROR is not None:
                self.module.fail_json(msg=missing_required_lib("cryptography"), exception=CRYPTOGRAPHY_IMPORT_ERROR)
        return problems

    def plan_error_args(self, exc: Exception) -> dict:
        args = super().plan_error_args(exc)
        if isinstance(exc, VaultCredentialsError):
            args["msg"] = f"Vault credentials file: {exc}"
        return args

    def run(self) -> dict:
        module, params = self.module, self.params
        run = VaultRun(module, self.session)
        self.done = run.done
        current = run.read()
        changes = plan_vault(params, current)
        if module.check_mode:
            after = {"vault": current["vault"], "credentials": None}
            for change in changes:
                if change["action"] == "create_vault":
                    after["vault"] = predicted_new_vault(params, self.session.subscription_id, change["location"])
                elif change["action"] == "update_vault":
                    after["vault"] = apply_field_changes(current["vault"], change["fields"])
                elif change["action"] == "delete_vault":
                    after["vault"] = None
        else:
            after = run.apply(changes, current)

        result = {"changed": bool(changes), "changes": [describe_change(c) for c in changes], "vault": after["vault"] or {}}
        path = params.get("credentials_path")
        if path:
            result["credentials"] = credentials_result(path, current["credentials"], after["credentials"], changes, module.check_mode)
        if params["state"] == "absent" and current["vault"] is not None:
            result["blockers"] = current["blockers"]
        if module._diff:
            rg_after = current["resource_group_exists"] or any(c["action"] == "create_resource_group" for c in changes)
            result["diff"] = {
                "before": diff_view(current["resource_group_exists"], current["vault"], current["credentials"] if path else None),
                "after": diff_view(rg_after, after["vault"], result.get("credentials")),
            }
        return result


def main():
    VaultModule().execute()


if __name__ == "__main__":
    main()
