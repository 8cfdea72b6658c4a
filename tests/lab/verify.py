"""Check the real state of onboarded / offboarded tenants in a running lab - vCenter through pyVmomi, Azure through ARM
REST calls with a managed-identity token - independently of the modules and of Ansible's output.

Used by the molecule scenarios' verify/cleanup playbooks (``python -m tests.lab verify ...``) and by the playbook tests
(``tests/integration/playbooks``).

What "onboarded" means here (seed 000, "Requirements for a vCenter access account"), checked against tables written by
hand, never against the collection's own code:

* the DR role exists and holds exactly Read-only + seed 000's privilege list + every ``VirtualMachine.Config.*`` the
  server defines (tests/support/asr_privileges.py) + the customer's own ``--extra-privilege`` ids (MSP), unless the
  tenant is ``failback: false``;
* the access account holds exactly the permissions of the tenant's hand-written plan (tests/support/expected_plan.py):
  Read-only on the vCenter root and the DR role (Read-only without failback) on every object of the seed's table -
  datacenter, hosts and clusters, datastores and datastore clusters, networks, management server, tenant VMs - and
  nothing else, every permission non-propagating;
* no VM of another tenant or of no tenant is visible to the account (a permission on it, or a propagating one on any
  of its folders, resource pools, cluster or datacenter);
* Azure: the vault exists in the tenant's resource group and region, the registration key file is on the controller
  with mode 0600, each tenant principal has the access role on the subscription.

The plan depends on the tenant's placement (``tenant_placement``: ``exact`` = the objects the VMs use; ``domain`` = also
every host of their clusters and every datastore of their datastore clusters). A tenant without ``tenant_placement``
gets ``DEFAULT_PLACEMENT``.

"Offboarded": the account holds no permission at all; the tenant principals hold no access role; the registration key
file is gone; the vault is gone with ``--delete-vault`` and still there otherwise; the DR role is gone (shared and
dedicated hosting, once no tenant of the vCenter is left) or kept (``--keep-role``, MSP).
"""
from __future__ import annotations

import json
import os
import ssl
import stat
import urllib.error
import urllib.parse
import urllib.request

from tests.lab.lab import load_tenants
from tests.support.asr_privileges import expected_asr_role
from tests.support.expected_plan import PLACEMENTS, expected_objects

#: Placement of a tenant whose inventory does not set ``tenant_placement`` - the collection's default.
#: The collection's default is domain placement (issue 13): every host of the cluster, every datastore of the pod.
DEFAULT_PLACEMENT = "domain"

ROLE_GUIDS = {"owner": "8e3af657-a8ff-443c-a75c-2fe8c4bcb635", "contributor": "b24988ac-6180-42a0-ab88-20f7382dd24c",
              "reader": "acdd72a7-3385-48ef-bd42-f606fba81ae7"}
VAULT_API = "2024-04-01"
AUTHZ_API = "2022-04-01"


class VerifyError(AssertionError):
    """A check failed."""


class RoleMismatch(VerifyError):
    """The DR role does not hold exactly the privileges of seed 000's list."""


class PropagatingPermission(VerifyError):
    """The access account holds a permission with propagate=true (seed 000: "not propagated to the child objects")."""


class ForeignVmVisible(VerifyError):
    """A VM of another tenant, or of no tenant, is visible to the access account."""


class MissingPermission(VerifyError):
    """An object of the tenant's hand-written plan lacks the account's permission (or has another role or type)."""


class UnexpectedPermission(VerifyError):
    """The access account holds a permission on an object outside its hand-written plan."""


def principal_key(principal: str) -> str:
    """'DOMAIN\\login' and 'login@domain' -> 'login@domain' (lower case)."""
    principal = principal.strip()
    if "\\" in principal:
        domain, login = principal.split("\\", 1)
        return ("%s@%s" % (login, domain)).lower()
    return principal.lower()


def lab_state() -> dict:
    path = os.environ.get("TENANTDR_LAB")
    if not path or not os.path.exists(path):
        raise VerifyError("not inside a running lab (TENANTDR_LAB is not set); use python -m tests.lab run -- ...")
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def tenant_details(inventories) -> list[dict]:
    """The lab's tenants with everything verification needs (templated by Ansible)."""
    return load_tenants(inventories, extra=True)


# ----------------------------------------------------------------------------------------------------------------------
# vCenter
# ----------------------------------------------------------------------------------------------------------------------
class VCenterReader:
    """A pyVmomi session that reads roles, permissions and VMs."""

    def __init__(self, host, port, username, password):
        from pyVim.connect import SmartConnect  # pylint: disable=import-outside-toplevel
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        self.si = SmartConnect(host=host, port=port, user=username, pwd=password, sslContext=ctx)
        self.content = self.si.RetrieveContent()
        self.auth = self.content.authorizationManager

    def close(self):
        from pyVim.connect import Disconnect  # pylint: disable=import-outside-toplevel
        Disconnect(self.si)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def tree(self) -> dict:
        """The inventory as it is now, in ONE read: {moid: {"entity", "name", "parent", and for VMs "parentVApp",
        "resourcePool", "customValue"}} (a container view over the root folder and RetrievePropertiesEx). Reading
        ``entity.name`` / ``entity.parent`` one by one is a SOAP round trip each: thousands per check on a big vCenter.
        Properties the server leaves unset are absent; an entity the view does not list (the root folder) is read live."""
        from pyVmomi import vim, vmodl  # pylint: disable=import-outside-toplevel
        collector = vmodl.query.PropertyCollector
        view = self.content.viewManager.CreateContainerView(self.content.rootFolder, [vim.ManagedEntity], True)
        try:
            spec = collector.FilterSpec(
                objectSet=[collector.ObjectSpec(obj=view, skip=True, selectSet=[
                    collector.TraversalSpec(name="view", type=vim.view.ContainerView, path="view", skip=False)])],
                propSet=[collector.PropertySpec(type=vim.ManagedEntity, pathSet=["name", "parent"]),
                         collector.PropertySpec(type=vim.VirtualMachine, pathSet=["name", "parent", "parentVApp",
                                                                                  "resourcePool", "customValue"])])
            out = {}
            result = self.content.propertyCollector.RetrievePropertiesEx([spec], collector.RetrieveOptions())
            while result is not None:
                for found in result.objects or []:
                    node = out.setdefault(found.obj._moId, {"entity": found.obj})
                    node.update({prop.name: prop.val for prop in found.propSet or []})
                if not result.token:
                    break
                result = self.content.propertyCollector.ContinueRetrievePropertiesEx(result.token)
            # the view's container itself is not in the view: the root folder, which has no parent
            out.setdefault(self.content.rootFolder._moId, {"entity": self.content.rootFolder, "parent": None})
            return out
        finally:
            view.DestroyView()

    @staticmethod
    def _prop(entity, name, tree):
        """``entity.<name>`` from ``tree`` (see :meth:`tree`), read live when the tree does not hold the entity."""
        from pyVmomi import vim  # pylint: disable=import-outside-toplevel
        node = tree.get(entity._moId) if tree else None
        if node is not None and name in node:
            return node[name]
        if node is not None and "name" in node:
            read = ("parent", "parentVApp", "resourcePool", "customValue") if isinstance(entity, vim.VirtualMachine) else ("parent",)
            if name in read:
                return None     # read with the others, unset on the server (the collector leaves it out)
        return getattr(entity, name)

    def path_of(self, entity, tree=None) -> str:
        parts = []
        root = self.content.rootFolder._moId
        while entity is not None and entity._moId != root:
            parts.append(self._prop(entity, "name", tree))
            entity = self._prop(entity, "parent", tree)
        return "/" + "/".join(reversed(parts))

    def _vms(self, tree):
        from pyVmomi import vim  # pylint: disable=import-outside-toplevel
        return [node["entity"] for node in tree.values() if isinstance(node["entity"], vim.VirtualMachine)]

    def roles(self) -> dict:
        return {r.name: r for r in self.auth.roleList}

    def role_names(self) -> dict:
        return {r.roleId: r.name for r in self.auth.roleList}

    def server_privileges(self) -> set:
        """Every privilege id the server defines (AuthorizationManager.privilegeList)."""
        return {p.privId for p in self.auth.privilegeList or []}

    def permissions_of(self, account: str, tree=None) -> list[dict]:
        """Every permission of ``account`` (as a user): path, moid, type, role name, propagate."""
        names = self.role_names()
        key = principal_key(account)
        mine = [p for p in self.auth.RetrieveAllPermissions() if not p.group and principal_key(p.principal) == key]
        if mine and tree is None:
            tree = self.tree()
        return [{"path": self.path_of(p.entity, tree), "moid": p.entity._moId,
                 "type": type(p.entity).__name__.split(".")[-1],
                 "role": names.get(p.roleId, str(p.roleId)), "propagate": bool(p.propagate)} for p in mine]

    def visible_vms(self, account: str, tree=None) -> dict:
        """VM path -> how ``account`` sees it through its own (user) permissions: one on the VM itself, or a propagating
        one on any ancestor on the VM-folder side or the compute side (resource pools / vApps, cluster or compute
        resource, host folders, datacenter, root).  vSphere Security, "Hierarchical Inheritance of Permissions":
        "Virtual machines inherit permissions from both the parent virtual machine folder and the parent host,
        cluster, or resource pool simultaneously"; a child inherits only with propagate (vsphere.md rules 2 and 4)."""
        tree = self.tree() if tree is None else tree
        perms = self.permissions_of(account, tree)
        direct = {p["moid"]: p for p in perms}
        propagating = {p["moid"]: p for p in perms if p["propagate"]}
        out = {}
        for vm in self._vms(tree):
            if vm._moId in direct:
                out[self.path_of(vm, tree)] = "permission on the VM"
                continue
            for start in (self._prop(vm, "parent", tree), self._prop(vm, "parentVApp", tree),
                          self._prop(vm, "resourcePool", tree)):
                entity, hit = start, None
                while entity is not None and hit is None:
                    if entity._moId in propagating:
                        hit = "propagating permission on %s" % propagating[entity._moId]["path"]
                    entity = self._prop(entity, "parent", tree)
                if hit:
                    out[self.path_of(vm, tree)] = hit
                    break
        return out

    def all_permissions(self) -> list[tuple]:
        names = self.role_names()
        permissions = self.auth.RetrieveAllPermissions()
        tree = self.tree() if permissions else None
        return sorted((principal_key(p.principal), bool(p.group), self.path_of(p.entity, tree), names.get(p.roleId, p.roleId),
                       bool(p.propagate)) for p in permissions)

    def vms_by_tenant(self, tree=None) -> dict:
        """VM path -> value of its custom attribute 'tenant' (None when it has none)."""
        fields = {f.key: f.name for f in (self.content.customFieldsManager.field or [])} if self.content.customFieldsManager else {}
        tree = self.tree() if tree is None else tree
        out = {}
        for vm in self._vms(tree):
            owner = None
            for value in self._prop(vm, "customValue", tree) or []:
                if fields.get(value.key) == "tenant":
                    owner = value.value
            out[self.path_of(vm, tree)] = owner
        return out


def tenant_placement(tenant, placement=None) -> str:
    """The placement to verify: ``placement`` if given, else the tenant's ``tenant_placement``, else DEFAULT_PLACEMENT."""
    chosen = placement or tenant.get("placement") or DEFAULT_PLACEMENT
    if chosen not in PLACEMENTS:
        raise VerifyError("tenant %s: placement %r is not one of %s" % (tenant["name"], chosen, ", ".join(PLACEMENTS)))
    return chosen


def check_role(reader, tenant, extra_privileges=()):
    """The DR role holds exactly Read-only + seed 000's list + the server's VirtualMachine.Config.* + ``extra_privileges``."""
    role = reader.roles().get(tenant["dr_role"])
    if not tenant["failback"]:
        if extra_privileges and role is None:
            raise RoleMismatch("DR role %s does not exist" % tenant["dr_role"])
        lost = sorted(set(extra_privileges) - set(role.privilege or [])) if extra_privileges else []
        if lost:
            raise RoleMismatch("DR role %s lost the customer's privileges %s" % (tenant["dr_role"], lost))
        return ["DR role %s kept the customer's privilege %s" % (tenant["dr_role"], p) for p in extra_privileges]
    if role is None:
        raise RoleMismatch("DR role %s does not exist" % tenant["dr_role"])
    want = expected_asr_role(reader.server_privileges()) | set(extra_privileges)
    have = set(role.privilege or [])
    missing, extra = sorted(want - have), sorted(have - want)
    if missing or extra:
        raise RoleMismatch("DR role %s is not seed 000's list: missing %s; not in the list %s"
                           % (tenant["dr_role"], missing or "nothing", extra or "nothing"))
    lines = ["DR role %s holds exactly seed 000's privileges (%d)" % (role.name, len(have))]
    lines.extend("DR role %s kept the customer's privilege %s" % (role.name, p) for p in extra_privileges)
    return lines


def check_vcenter_present(reader, tenant, extra_privileges=(), placement=None):
    """Every check of an onboarded tenant's vCenter side; raises a VerifyError subclass on the first failure."""
    placement = tenant_placement(tenant, placement)
    account = tenant["access_account"]
    try:
        expected = expected_objects(tenant["name"], placement, tenant["dr_role"], tenant["failback"])
    except KeyError as exc:
        raise VerifyError("tenant %s has no hand-written plan in tests/support/expected_plan.py" % tenant["name"]) from exc
    checks = check_role(reader, tenant, extra_privileges)
    tree = reader.tree()        # one read of the inventory for every check below
    perms = reader.permissions_of(account, tree)
    by_path = {p["path"]: p for p in perms}
    propagating = sorted(p["path"] for p in perms if p["propagate"])
    if propagating:
        raise PropagatingPermission("%s holds propagating permissions on %s" % (account, propagating))
    owners = reader.vms_by_tenant(tree)
    own = {path for path, (_typ, kind, _role) in expected.items() if kind in ("tenant_vm", "management_server")}
    foreign = {path: how for path, how in reader.visible_vms(account, tree).items() if path not in own}
    if foreign:
        raise ForeignVmVisible("%s sees VMs that are not %s's: %s" % (account, tenant["name"], "; ".join(
            "%s (%s, %s)" % (path, "tenant %s" % owners[path] if owners.get(path) else "no tenant", how)
            for path, how in sorted(foreign.items()))))
    wrong = []
    for path, (typ, kind, role) in sorted(expected.items()):
        got = by_path.get(path)
        if got is None or got["role"] != role or got["type"] != typ:
            wrong.append("%s %s: expected %s on a %s, got %s" % (kind, path, role, typ,
                                                                 "%s on a %s" % (got["role"], got["type"]) if got else "none"))
    if wrong:
        raise MissingPermission("%s (placement %s): %s" % (account, placement, "; ".join(wrong)))
    unexpected = sorted(path for path in by_path if path not in expected)
    if unexpected:
        raise UnexpectedPermission("%s holds permissions outside its plan (placement %s): %s"
                                   % (account, placement, ", ".join("%s (%s)" % (p, by_path[p]["type"]) for p in unexpected)))
    kinds = {}
    for _typ, kind, _role in expected.values():
        kinds[kind] = kinds.get(kind, 0) + 1
    checks.append("%s: exactly its plan (placement %s): %s; nothing propagating, no foreign VM visible"
                  % (account, placement, ", ".join("%d %s" % (n, k) for k, n in sorted(kinds.items()))))
    return checks


def check_vcenter_absent(reader, tenant):
    perms = reader.permissions_of(tenant["access_account"])
    if perms:
        raise VerifyError("%s still holds %d permission(s), e.g. %s" % (tenant["access_account"], len(perms),
                                                                        [p["path"] for p in perms[:5]]))
    return ["%s holds no permission" % tenant["access_account"]]


# ----------------------------------------------------------------------------------------------------------------------
# Azure
# ----------------------------------------------------------------------------------------------------------------------
class ArmReader:
    """GET requests to the lab's ARM endpoint with a managed-identity token (what any ARM client does)."""

    def __init__(self, base_url: str, ca_bundle: str):
        self.base_url = base_url.rstrip("/")
        self.context = ssl.create_default_context(cafile=ca_bundle)
        self.token = self._token()

    def _open(self, url, headers):
        req = urllib.request.Request(url, headers=headers)
        try:
            with urllib.request.urlopen(req, context=self.context, timeout=30) as response:  # nosec - lab endpoint
                return response.status, json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read() or b"{}")

    def _token(self) -> str:
        endpoint, header = os.environ.get("IDENTITY_ENDPOINT"), os.environ.get("IDENTITY_HEADER")
        if not endpoint or not header:
            raise VerifyError("IDENTITY_ENDPOINT / IDENTITY_HEADER are not set (run inside the lab)")
        query = urllib.parse.urlencode({"resource": self.base_url + "/", "api-version": "2019-08-01"})
        status, body = self._open(endpoint + "?" + query, {"X-IDENTITY-HEADER": header})
        if status != 200:
            raise VerifyError("managed identity token: %s %s" % (status, body))
        return body["access_token"]

    def get(self, path: str, api_version: str, **query) -> tuple[int, dict]:
        query["api-version"] = api_version
        url = self.base_url + path + "?" + urllib.parse.urlencode(query)
        return self._open(url, {"Authorization": "Bearer " + self.token})

    def vault(self, sub, rg, name):
        status, body = self.get("/subscriptions/%s/resourceGroups/%s/providers/Microsoft.RecoveryServices/vaults/%s"
                                % (sub, rg, name), VAULT_API)
        return body if status == 200 else None

    def role_assignments(self, sub, principal_id):
        status, body = self.get("/subscriptions/%s/providers/Microsoft.Authorization/roleAssignments" % sub, AUTHZ_API,
                                **{"$filter": "principalId eq '%s'" % principal_id})
        if status != 200:
            raise VerifyError("listing role assignments of %s: %s %s" % (principal_id, status, body))
        return body.get("value", [])


def _role_guid(name: str) -> str:
    return ROLE_GUIDS.get(name.lower(), name.lower())


def check_azure(arm, tenant, credentials_dir, expect, delete_vault=False):
    sub, rg, vault_name = tenant["subscription_id"], tenant["resource_group"], tenant["vault_name"]
    checks = []
    vault = arm.vault(sub, rg, vault_name)
    key_path = os.path.join(credentials_dir, tenant["name"], vault_name + ".VaultCredentials")
    scope = "/subscriptions/%s" % sub
    role_guid = _role_guid(tenant["access_role"])

    def held(principal):
        return [a for a in arm.role_assignments(sub, principal["object_id"])
                if a["properties"]["scope"].lower() == scope.lower()
                and a["properties"]["roleDefinitionId"].lower().endswith(role_guid)]

    if expect == "present":
        if vault is None:
            raise VerifyError("vault %s/%s does not exist in subscription %s" % (rg, vault_name, sub))
        want = tenant["location"].replace(" ", "").lower()
        if vault["location"].replace(" ", "").lower() != want:
            raise VerifyError("vault %s is in %s, expected %s" % (vault_name, vault["location"], tenant["location"]))
        checks.append("vault %s exists in %s (%s)" % (vault_name, rg, vault["location"]))
        if not os.path.exists(key_path):
            raise VerifyError("registration key %s is missing" % key_path)
        mode = stat.S_IMODE(os.stat(key_path).st_mode)
        if mode != 0o600:
            raise VerifyError("registration key %s has mode %o, expected 600" % (key_path, mode))
        with open(key_path, encoding="utf-8", errors="replace") as handle:
            content = handle.read()
        if vault_name not in content:
            raise VerifyError("registration key %s is not for vault %s" % (key_path, vault_name))
        checks.append("registration key %s (mode 600, for %s)" % (key_path, vault_name))
        for principal in tenant["access_principals"]:
            if not held(principal):
                raise VerifyError("%s %s has no %s assignment on %s"
                                  % (principal.get("type", "User"), principal["object_id"], tenant["access_role"], scope))
        checks.append("%d principal(s) hold %s on %s" % (len(tenant["access_principals"]), tenant["access_role"], scope))
    else:
        for principal in tenant["access_principals"]:
            if held(principal):
                raise VerifyError("%s still holds %s on %s" % (principal["object_id"], tenant["access_role"], scope))
        checks.append("no tenant principal holds %s on %s" % (tenant["access_role"], scope))
        if delete_vault and vault is not None:
            raise VerifyError("vault %s still exists" % vault_name)
        if not delete_vault and vault is None:
            raise VerifyError("vault %s was deleted although tenant_delete_vault is false" % vault_name)
        checks.append("vault %s %s" % (vault_name, "deleted" if delete_vault else "kept"))
        if os.path.exists(key_path):
            raise VerifyError("registration key %s is still on the controller" % key_path)
        checks.append("registration key removed from the controller")
    return checks


# ----------------------------------------------------------------------------------------------------------------------
# Command line
# ----------------------------------------------------------------------------------------------------------------------
def select(tenants, limit):
    if not limit:
        return tenants
    wanted = {x.strip() for x in limit.split(",") if x.strip()}
    return [t for t in tenants if t["host"] in wanted or t["topology"] in wanted]


def verify(limit=None, expect="present", delete_vault=False, keep_role=False, extra_privileges=(), azure=True,
           log=print, placement=None) -> list[str]:
    """Run every check; return the lines of what was checked; raise VerifyError on the first failure."""
    state = lab_state()
    tenants = select(tenant_details(state["inventories"]), limit)
    if not tenants:
        raise VerifyError("no tenant matches %r" % limit)
    user, password = os.environ.get("VMWARE_USER"), os.environ.get("VMWARE_PASSWORD")
    lines = []
    arm = ArmReader(state["arm"]["base_url"], state["arm"]["ca_bundle"]) if azure else None
    for vc in state["vcenters"]:
        mine = [t for t in tenants if t["host"] in vc["tenants"]]
        if not mine:
            continue
        with VCenterReader(vc["host"], vc["port"], user or vc["username"], password or vc["password"]) as reader:
            for t in mine:
                if expect == "present":
                    found = check_vcenter_present(reader, t, extra_privileges, placement)
                else:
                    found = check_vcenter_absent(reader, t)
                lines.extend("%s: vCenter %s: %s" % (t["host"], vc["key"], c) for c in found)
            if expect == "absent" and set(vc["tenants"]) <= {t["host"] for t in mine}:
                roles = reader.roles()
                for role_name in sorted({t["dr_role"] for t in mine if t["failback"]}):
                    if keep_role and role_name not in roles:
                        raise VerifyError("DR role %s was deleted from %s (it must be kept)" % (role_name, vc["key"]))
                    if not keep_role and role_name in roles:
                        raise VerifyError("DR role %s still exists on %s although no tenant is left" % (role_name, vc["key"]))
                    lines.append("vCenter %s: DR role %s %s" % (vc["key"], role_name, "kept" if keep_role else "deleted"))
    if arm is not None:
        for t in tenants:
            lines.extend("%s: Azure: %s" % (t["host"], c)
                         for c in check_azure(arm, t, state["credentials_dir"], expect, delete_vault))
    for line in lines:
        log("ok  " + line)
    return lines


def verify_main(args) -> int:
    try:
        verify(limit=args.limit, expect=args.expect, delete_vault=args.delete_vault, keep_role=args.keep_role,
               extra_privileges=args.extra_privilege, placement=getattr(args, "placement", None))
    except VerifyError as exc:
        print("FAILED  %s" % exc)
        return 1
    print("verified: every tenant is %s" % ("onboarded" if args.expect == "present" else "offboarded"))
    return 0
