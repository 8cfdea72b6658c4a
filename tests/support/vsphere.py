"""Read vCenter state directly with pyVmomi, independently of the modules under test."""
from __future__ import annotations

import ssl

from pyVim.connect import SmartConnect, Disconnect
from pyVmomi import vim

from ansible_collections.tenantdr.asr.plugins.module_utils.permissions import principal_key


class Direct:
    """A pyVmomi session to the simulator for assertions and for injecting state."""

    def __init__(self, sim):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        self.si = SmartConnect(host=sim.host, port=sim.port, user=sim.username, pwd=sim.password, sslContext=ctx)
        self.content = self.si.RetrieveContent()
        self.auth = self.content.authorizationManager

    def close(self):
        Disconnect(self.si)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def find(self, path):
        """Entity by govc-style inventory path."""
        if path == '/':
            return self.content.rootFolder
        obj = self.content.searchIndex.FindByInventoryPath(path.lstrip('/'))
        if obj is None:
            raise LookupError(path)
        return obj

    def children_vms(self, folder_path):
        folder = self.find(folder_path)
        view = self.content.viewManager.CreateContainerView(folder, [vim.VirtualMachine], True)
        try:
            return sorted('%s/%s' % (folder_path, vm.name) if vm.parent == folder else self.path_of(vm) for vm in view.view)
        finally:
            view.DestroyView()

    def path_of(self, entity):
        parts = []
        while entity is not None and entity != self.content.rootFolder:
            parts.append(entity.name)
            entity = entity.parent
        return '/' + '/'.join(reversed(parts))

    def permissions(self, path):
        """Permissions set on the entity itself: {'domain\\login' (lower case): (role name, propagate)}."""
        roles = {r.roleId: r.name for r in self.auth.roleList}
        return {principal_key(p.principal): (roles.get(p.roleId, p.roleId), p.propagate)
                for p in self.auth.RetrieveEntityPermissions(self.find(path), False)}

    def set_permission(self, path, principal, role_name, propagate=False, group=False):
        role = [r for r in self.auth.roleList if r.name == role_name][0]
        self.auth.SetEntityPermissions(self.find(path), [vim.AuthorizationManager.Permission(
            principal=principal, group=group, roleId=role.roleId, propagate=propagate)])

    def role(self, name):
        for r in self.auth.roleList:
            if r.name == name:
                return r
        return None

    def all_permissions(self):
        return list(self.auth.RetrieveAllPermissions())
