package main

// AuthorizationManager with real vCenter semantics where govmomi 0.24.2's vcsim differs.
//
// Rules implemented (quoted from the vSphere API reference, vim.AuthorizationManager, as
// published in pyvmomi docs/vim/AuthorizationManager.rst):
//   - "A ManagedEntity may have multiple permissions, but may have only one permission per user
//     or group": permissions are keyed by (principal, group flag); principals compare
//     case-insensitively and "user@domain" is stored as vCenter returns it, "DOMAIN\user".
//   - SetEntityPermissions "defines one or more permission rules on an entity or updates rules if
//     already present for the given user or group" (upsert; other principals are untouched);
//     "if a permission is specified multiple times for the same user or group, then the last
//     permission specified takes effect". Faults: NotFound "if a permission's roleId is not
//     valid"; InvalidArgument "if one of the new role IDs is the View or Anonymous role, or the
//     entity does not support assigning permissions" ("the direct child folders of a datacenter
//     managed object, the root resource pool of a ComputeResource or ClusterComputeResource, or
//     a HostSystem that is part of a ComputeResource (Stand-alone Host)"); ManagedObjectNotFound
//     "if the given entity does not exist"; AuthMinimumAdminPermission "if this change would leave
//     the system with no Administrator permission on the root node, or it would grant further
//     permission to a user or group who already has Administrator permission on the root node".
//     We validate the whole array before applying any of it (the API allows "as many as all
//     permissions unapplied" on failure).
//   - ResetEntityPermissions: "Any existing permissions on the entity are removed and replaced
//     with the provided set", same validation.
//   - RemoveEntityPermission: same entity rule; NotFound if the permission does not exist.
//   - AddAuthorizationRole returns "the roleId assigned to the new role" and adds "System.Anonymous",
//     "System.View" and "System.Read"; AlreadyExists "if a role with the given name already
//     exists"; InvalidName "if the role name is empty"; InvalidArgument "if privIds contains an
//     unknown privilege". Custom role ids start at 1000 (vcsim starts at 0 and returns 0).
//   - UpdateAuthorizationRole: the new privilege set replaces the old one (plus System.*; an empty
//     list leaves only System.*); NotFound "if the role does not exist, or if a privilege in the
//     list cannot be found"; InvalidName; AlreadyExists "if another role with the given name
//     already exists"; InvalidArgument "if the role is a system role".
//   - RemoveAuthorizationRole(roleId, failIfUsed): NotFound; RemoveFailed "if failIfUsed is true
//     and the role has permissions"; InvalidArgument "if the role is a system role"; otherwise the
//     role and every permission that used it are removed.
//   - MergePermissions(src, dst): "Reassigns all permissions of a role to another role"; NotFound
//     if either role does not exist; AuthMinimumAdminPermission if src is the Administrator role;
//     InvalidArgument "if dstRoleId is the View or Anonymous role or if both role IDs are the same".
//   - RetrieveEntityPermissions(entity, inherited): permissions defined on the entity plus, when
//     inherited, the propagating permissions of its parents (for a VM both the folder path and the
//     resource pool path). A complex entity's child reports its parent's permissions as its own:
//     "Permissions defined on complex entities are always applicable on the child entities,
//     regardless of the propagation flag". RetrieveRolePermissions: NotFound for unknown roles.
//   - privilegeList ("the list of system-defined privileges") is filled from the Admin role
//     (vcsim's 6.5U1 role dump) with privGroupName = id up to its last dot, name = last segment.
//   - UserNotFound "if a given user or group does not exist": principals are checked against the
//     spec's users/groups (directory.go) unless the spec sets "enforce_principals": false.
// Not modelled: NoPermission (no authorization enforcement), FT secondaries, global permissions.

import (
	"fmt"
	"sort"
	"strings"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/simulator/vpx"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

const (
	roleAdmin     int32 = -1
	roleView      int32 = -3
	roleAnonymous int32 = -4
	firstCustomID int32 = 1000
)

var systemPrivileges = []string{"System.Anonymous", "System.Read", "System.View"}

type authzManager struct {
	*simulator.AuthorizationManager // first field is a pointer: see Get()

	root       types.ManagedObjectReference
	perms      map[types.ManagedObjectReference][]types.Permission
	entities   []types.ManagedObjectReference // entities in the order they first got a permission
	privileges map[string]bool
	nextID     int32
	dir        *directory
}

// Get lets the property collector find the embedded mo.AuthorizationManager (roleList,
// privilegeList) behind our pointer-first wrapper.
func (m *authzManager) Get() mo.Reference { return m.AuthorizationManager }

func installAuthorizationManager(dir *directory) error {
	ref := *vpx.ServiceContent.AuthorizationManager
	orig, ok := simulator.Map.Get(ref).(*simulator.AuthorizationManager)
	if !ok {
		return fmt.Errorf("no AuthorizationManager in the model")
	}
	m := &authzManager{
		AuthorizationManager: orig,
		root:                 vpx.ServiceContent.RootFolder,
		perms:                map[types.ManagedObjectReference][]types.Permission{},
		privileges:           map[string]bool{},
		nextID:               firstCustomID,
		dir:                  dir,
	}
	var admin []string
	for _, r := range orig.RoleList {
		if r.RoleId == roleAdmin {
			admin = r.Privilege
		}
	}
	ids := append([]string(nil), admin...)
	sort.Strings(ids)
	var list []types.AuthorizationPrivilege
	for _, id := range ids {
		m.privileges[id] = true
		i := strings.LastIndex(id, ".")
		list = append(list, types.AuthorizationPrivilege{PrivId: id, Name: id[i+1:], PrivGroupName: id[:i], OnParent: false})
	}
	orig.PrivilegeList = list
	// vCenter's own administrators group holds Admin, propagating, on the root folder
	// (instead of vcsim's "root"/"admin" defaults).
	m.put(m.root, types.Permission{Principal: `VSPHERE.LOCAL\Administrators`, Group: true, RoleId: roleAdmin, Propagate: true})
	simulator.Map.Put(m)
	return nil
}

// ---- helpers -------------------------------------------------------------------------------

func fault(msg string, f types.BaseMethodFault) *soap.Fault { return simulator.Fault(msg, f) }

// normalizePrincipal returns the form vCenter reports: "DOMAIN\login" (domain upper-cased);
// "login@domain" is converted, a bare local "login" is kept.
func normalizePrincipal(p string) string {
	p = strings.TrimSpace(p)
	if i := strings.Index(p, `\`); i > 0 {
		return strings.ToUpper(p[:i]) + p[i:]
	}
	if i := strings.LastIndex(p, "@"); i > 0 && i < len(p)-1 {
		return strings.ToUpper(p[i+1:]) + `\` + p[:i]
	}
	return p
}

func samePrincipal(a, b string) bool {
	return strings.EqualFold(normalizePrincipal(a), normalizePrincipal(b))
}

func (m *authzManager) role(id int32) *types.AuthorizationRole {
	for i := range m.RoleList {
		if m.RoleList[i].RoleId == id {
			return &m.RoleList[i]
		}
	}
	return nil
}

func (m *authzManager) put(entity types.ManagedObjectReference, p types.Permission) {
	e := entity
	p.Entity = &e
	p.Principal = normalizePrincipal(p.Principal)
	if _, ok := m.perms[entity]; !ok {
		m.entities = append(m.entities, entity)
	}
	list := append([]types.Permission(nil), m.perms[entity]...)
	for i := range list {
		if list[i].Group == p.Group && samePrincipal(list[i].Principal, p.Principal) {
			list[i] = p
			m.perms[entity] = list
			return
		}
	}
	m.perms[entity] = append(list, p)
}

// complexChild reports whether ref is part of a complex entity and cannot hold permissions:
// a datacenter's vm/host/datastore/network folder, a (cluster) compute resource's root pool,
// or the host of a standalone ComputeResource. Returns the parent that owns its permissions.
func complexChild(ref types.ManagedObjectReference) (types.ManagedObjectReference, bool) {
	e, ok := simulator.Map.Get(ref).(mo.Entity)
	if !ok || e.Entity().Parent == nil {
		return types.ManagedObjectReference{}, false
	}
	parent := *e.Entity().Parent
	switch {
	case ref.Type == "Folder" && parent.Type == "Datacenter",
		ref.Type == "ResourcePool" && (parent.Type == "ComputeResource" || parent.Type == "ClusterComputeResource"),
		ref.Type == "HostSystem" && parent.Type == "ComputeResource":
		return parent, true
	}
	return types.ManagedObjectReference{}, false
}

// checkEntity: the entity must exist (ManagedObjectNotFound) and be able to hold permissions.
func checkEntity(ref types.ManagedObjectReference) *soap.Fault {
	obj := simulator.Map.Get(ref)
	if obj == nil {
		return fault(fmt.Sprintf("The object '%s' has already been deleted or has not been completely created", ref),
			&types.ManagedObjectNotFound{Obj: ref})
	}
	if _, ok := obj.(mo.Entity); !ok {
		return fault("A specified parameter was not correct: entity", &types.InvalidArgument{InvalidProperty: "entity"})
	}
	if parent, ok := complexChild(ref); ok {
		return fault(fmt.Sprintf("A specified parameter was not correct: entity (%s is part of the complex entity %s and "+
			"cannot hold permissions; set them on %s)", ref, parent, parent),
			&types.InvalidArgument{InvalidProperty: "entity"})
	}
	return nil
}

// checkPermissions validates a permission array for entity and returns it de-duplicated
// (last one wins per principal and group flag).
func (m *authzManager) checkPermissions(entity types.ManagedObjectReference, perms []types.Permission) ([]types.Permission, *soap.Fault) {
	var out []types.Permission
	for _, p := range perms {
		if strings.TrimSpace(p.Principal) == "" {
			return nil, fault("A specified parameter was not correct: permission.principal",
				&types.InvalidArgument{InvalidProperty: "permission.principal"})
		}
		if m.dir.enforce && !m.dir.known(p.Principal, p.Group) {
			return nil, fault(fmt.Sprintf("The principal %q (group=%v) could not be found", p.Principal, p.Group),
				&types.UserNotFound{Principal: p.Principal, Unresolved: false})
		}
		if m.role(p.RoleId) == nil {
			return nil, fault(fmt.Sprintf("The object or item referred to could not be found: role %d", p.RoleId), &types.NotFound{})
		}
		if p.RoleId == roleView || p.RoleId == roleAnonymous {
			return nil, fault(fmt.Sprintf("A specified parameter was not correct: permission.roleId (role %d cannot be granted)", p.RoleId),
				&types.InvalidArgument{InvalidProperty: "permission.roleId"})
		}
		if entity != m.root && m.rootAdmin(p.Principal, p.Group) {
			return nil, fault(fmt.Sprintf("%s already has the Administrator role on the root folder", normalizePrincipal(p.Principal)),
				&types.AuthMinimumAdminPermission{})
		}
		replaced := false
		for i := range out {
			if out[i].Group == p.Group && samePrincipal(out[i].Principal, p.Principal) {
				out[i], replaced = p, true
			}
		}
		if !replaced {
			out = append(out, p)
		}
	}
	return out, nil
}

func (m *authzManager) rootAdmin(principal string, group bool) bool {
	for _, p := range m.perms[m.root] {
		if p.RoleId == roleAdmin && p.Group == group && samePrincipal(p.Principal, principal) {
			return true
		}
	}
	return false
}

// adminLeft: the root folder must keep at least one Administrator permission.
func adminLeft(list []types.Permission) bool {
	for _, p := range list {
		if p.RoleId == roleAdmin {
			return true
		}
	}
	return false
}

var noAdminLeft = "This change would leave the system with no Administrator permission on the root node"

// ---- permissions ---------------------------------------------------------------------------

func (m *authzManager) SetEntityPermissions(req *types.SetEntityPermissions) soap.HasFault {
	body := &methods.SetEntityPermissionsBody{}
	if f := checkEntity(req.Entity); f != nil {
		body.Fault_ = f
		return body
	}
	perms, f := m.checkPermissions(req.Entity, req.Permission)
	if f != nil {
		body.Fault_ = f
		return body
	}
	if req.Entity == m.root {
		old := m.perms[m.root]
		for _, p := range perms {
			m.put(m.root, p)
		}
		if !adminLeft(m.perms[m.root]) {
			m.perms[m.root] = old
			body.Fault_ = fault(noAdminLeft, &types.AuthMinimumAdminPermission{})
			return body
		}
	} else {
		for _, p := range perms {
			m.put(req.Entity, p)
		}
	}
	body.Res = &types.SetEntityPermissionsResponse{}
	return body
}

func (m *authzManager) ResetEntityPermissions(req *types.ResetEntityPermissions) soap.HasFault {
	body := &methods.ResetEntityPermissionsBody{}
	if f := checkEntity(req.Entity); f != nil {
		body.Fault_ = f
		return body
	}
	perms, f := m.checkPermissions(req.Entity, req.Permission)
	if f != nil {
		body.Fault_ = f
		return body
	}
	if req.Entity == m.root && !adminLeft(perms) {
		body.Fault_ = fault(noAdminLeft, &types.AuthMinimumAdminPermission{})
		return body
	}
	m.perms[req.Entity] = nil
	for _, p := range perms {
		m.put(req.Entity, p)
	}
	body.Res = &types.ResetEntityPermissionsResponse{}
	return body
}

func (m *authzManager) RemoveEntityPermission(req *types.RemoveEntityPermission) soap.HasFault {
	body := &methods.RemoveEntityPermissionBody{}
	if f := checkEntity(req.Entity); f != nil {
		body.Fault_ = f
		return body
	}
	var kept []types.Permission
	found := false
	for _, p := range m.perms[req.Entity] {
		if p.Group == req.IsGroup && samePrincipal(p.Principal, req.User) {
			found = true
			continue
		}
		kept = append(kept, p)
	}
	if !found {
		kind := "user"
		if req.IsGroup {
			kind = "group"
		}
		body.Fault_ = fault(fmt.Sprintf("The object or item referred to could not be found: no permission for %s %s on %s",
			kind, req.User, req.Entity), &types.NotFound{})
		return body
	}
	if req.Entity == m.root && !adminLeft(kept) {
		body.Fault_ = fault(noAdminLeft, &types.AuthMinimumAdminPermission{})
		return body
	}
	m.perms[req.Entity] = kept
	body.Res = &types.RemoveEntityPermissionResponse{}
	return body
}

func (m *authzManager) MergePermissions(req *types.MergePermissions) soap.HasFault {
	body := &methods.MergePermissionsBody{}
	switch {
	case m.role(req.SrcRoleId) == nil || m.role(req.DstRoleId) == nil:
		body.Fault_ = fault("The object or item referred to could not be found", &types.NotFound{})
	case req.SrcRoleId == roleAdmin:
		body.Fault_ = fault(noAdminLeft, &types.AuthMinimumAdminPermission{})
	case req.DstRoleId == roleView || req.DstRoleId == roleAnonymous || req.SrcRoleId == req.DstRoleId:
		body.Fault_ = fault("A specified parameter was not correct: dstRoleId", &types.InvalidArgument{InvalidProperty: "dstRoleId"})
	default:
		for _, e := range m.entities {
			list := append([]types.Permission(nil), m.perms[e]...)
			for i := range list {
				if list[i].RoleId == req.SrcRoleId {
					list[i].RoleId = req.DstRoleId
				}
			}
			m.perms[e] = list
		}
		body.Res = &types.MergePermissionsResponse{}
	}
	return body
}

// all returns every permission, grouped by entity in the order entities first got one.
func (m *authzManager) all(keep func(types.Permission) bool) []types.Permission {
	var out []types.Permission
	for _, e := range m.entities {
		for _, p := range m.perms[e] {
			if keep == nil || keep(p) {
				out = append(out, p)
			}
		}
	}
	return out
}

func (m *authzManager) RetrieveAllPermissions(req *types.RetrieveAllPermissions) soap.HasFault {
	return &methods.RetrieveAllPermissionsBody{Res: &types.RetrieveAllPermissionsResponse{Returnval: m.all(nil)}}
}

func (m *authzManager) RetrieveRolePermissions(req *types.RetrieveRolePermissions) soap.HasFault {
	body := &methods.RetrieveRolePermissionsBody{}
	if m.role(req.RoleId) == nil {
		body.Fault_ = fault(fmt.Sprintf("The object or item referred to could not be found: role %d", req.RoleId), &types.NotFound{})
		return body
	}
	body.Res = &types.RetrieveRolePermissionsResponse{
		Returnval: m.all(func(p types.Permission) bool { return p.RoleId == req.RoleId }),
	}
	return body
}

// parents returns the entities ref inherits from: its inventory parent and, for a VM, its
// resource pool (VMs inherit from both the folder and the host/cluster/resource pool path).
func parents(ref types.ManagedObjectReference) []types.ManagedObjectReference {
	var out []types.ManagedObjectReference
	obj := simulator.Map.Get(ref)
	if e, ok := obj.(mo.Entity); ok && e.Entity().Parent != nil {
		out = append(out, *e.Entity().Parent)
	}
	if vm, ok := obj.(*simulator.VirtualMachine); ok && vm.ResourcePool != nil {
		out = append(out, *vm.ResourcePool)
	}
	return out
}

func (m *authzManager) RetrieveEntityPermissions(req *types.RetrieveEntityPermissions) soap.HasFault {
	body := &methods.RetrieveEntityPermissionsBody{}
	if simulator.Map.Get(req.Entity) == nil {
		body.Fault_ = fault(fmt.Sprintf("The object '%s' has already been deleted or has not been completely created", req.Entity),
			&types.ManagedObjectNotFound{Obj: req.Entity})
		return body
	}
	// own permissions; a complex entity's child reports its parent's (applicable regardless of propagate)
	own := req.Entity
	for {
		p, ok := complexChild(own)
		if !ok {
			break
		}
		own = p
	}
	out := append([]types.Permission(nil), m.perms[own]...)
	if req.Inherited {
		seen := map[types.ManagedObjectReference]bool{req.Entity: true, own: true}
		queue := parents(own)
		if own != req.Entity {
			queue = append(parents(req.Entity), queue...)
		}
		for len(queue) > 0 {
			e := queue[0]
			queue = queue[1:]
			if seen[e] {
				continue
			}
			seen[e] = true
			for _, p := range m.perms[e] {
				if p.Propagate {
					out = append(out, p)
				}
			}
			queue = append(queue, parents(e)...)
		}
	}
	body.Res = &types.RetrieveEntityPermissionsResponse{Returnval: out}
	return body
}

// ---- roles ---------------------------------------------------------------------------------

// privSet validates privIds and returns them sorted, de-duplicated, plus the System.* privileges.
func (m *authzManager) privSet(ids []string) ([]string, string) {
	set := map[string]bool{}
	for _, id := range ids {
		if !m.privileges[id] {
			return nil, id
		}
		set[id] = true
	}
	for _, id := range systemPrivileges {
		set[id] = true
	}
	out := make([]string, 0, len(set))
	for id := range set {
		out = append(out, id)
	}
	sort.Strings(out)
	return out, ""
}

func (m *authzManager) AddAuthorizationRole(req *types.AddAuthorizationRole) soap.HasFault {
	body := &methods.AddAuthorizationRoleBody{}
	if strings.TrimSpace(req.Name) == "" {
		body.Fault_ = fault("The name '' is not valid", &types.InvalidName{Name: req.Name})
		return body
	}
	for _, r := range m.RoleList {
		if r.Name == req.Name {
			body.Fault_ = fault(fmt.Sprintf("The specified key, name, or identifier '%s' already exists", req.Name),
				&types.AlreadyExists{Name: req.Name})
			return body
		}
	}
	privs, bad := m.privSet(req.PrivIds)
	if bad != "" {
		body.Fault_ = fault(fmt.Sprintf("A specified parameter was not correct: privIds (unknown privilege %q)", bad),
			&types.InvalidArgument{InvalidProperty: "privIds"})
		return body
	}
	id := m.nextID
	m.nextID++
	roles := append([]types.AuthorizationRole(nil), m.RoleList...)
	m.RoleList = append(roles, types.AuthorizationRole{
		RoleId:    id,
		System:    false,
		Name:      req.Name,
		Info:      &types.Description{Label: req.Name, Summary: req.Name},
		Privilege: privs,
	})
	body.Res = &types.AddAuthorizationRoleResponse{Returnval: id}
	return body
}

func (m *authzManager) UpdateAuthorizationRole(req *types.UpdateAuthorizationRole) soap.HasFault {
	body := &methods.UpdateAuthorizationRoleBody{}
	r := m.role(req.RoleId)
	switch {
	case r == nil:
		body.Fault_ = fault(fmt.Sprintf("The object or item referred to could not be found: role %d", req.RoleId), &types.NotFound{})
		return body
	case r.System || r.RoleId < 0:
		body.Fault_ = fault(fmt.Sprintf("A specified parameter was not correct: roleId (%s is a system role)", r.Name),
			&types.InvalidArgument{InvalidProperty: "roleId"})
		return body
	case strings.TrimSpace(req.NewName) == "":
		body.Fault_ = fault("The name '' is not valid", &types.InvalidName{Name: req.NewName})
		return body
	}
	for _, o := range m.RoleList {
		if o.Name == req.NewName && o.RoleId != req.RoleId {
			body.Fault_ = fault(fmt.Sprintf("The specified key, name, or identifier '%s' already exists", req.NewName),
				&types.AlreadyExists{Name: req.NewName})
			return body
		}
	}
	privs, bad := m.privSet(req.PrivIds)
	if bad != "" {
		body.Fault_ = fault(fmt.Sprintf("The object or item referred to could not be found: privilege %q", bad), &types.NotFound{})
		return body
	}
	roles := append([]types.AuthorizationRole(nil), m.RoleList...)
	for i := range roles {
		if roles[i].RoleId == req.RoleId {
			roles[i].Name = req.NewName
			roles[i].Info = &types.Description{Label: req.NewName, Summary: req.NewName}
			roles[i].Privilege = privs
		}
	}
	m.RoleList = roles
	body.Res = &types.UpdateAuthorizationRoleResponse{}
	return body
}

func (m *authzManager) RemoveAuthorizationRole(req *types.RemoveAuthorizationRole) soap.HasFault {
	body := &methods.RemoveAuthorizationRoleBody{}
	r := m.role(req.RoleId)
	switch {
	case r == nil:
		body.Fault_ = fault(fmt.Sprintf("The object or item referred to could not be found: role %d", req.RoleId), &types.NotFound{})
		return body
	case r.System || r.RoleId < 0:
		body.Fault_ = fault(fmt.Sprintf("A specified parameter was not correct: roleId (%s is a system role)", r.Name),
			&types.InvalidArgument{InvalidProperty: "roleId"})
		return body
	}
	used := m.all(func(p types.Permission) bool { return p.RoleId == req.RoleId })
	if req.FailIfUsed && len(used) > 0 {
		body.Fault_ = fault(fmt.Sprintf("The remove operation failed: role %q is used by %d permission(s)", r.Name, len(used)),
			&types.RemoveFailed{})
		return body
	}
	for _, e := range m.entities {
		var kept []types.Permission
		for _, p := range m.perms[e] {
			if p.RoleId != req.RoleId {
				kept = append(kept, p)
			}
		}
		m.perms[e] = kept
	}
	var roles []types.AuthorizationRole
	for _, o := range m.RoleList {
		if o.RoleId != req.RoleId {
			roles = append(roles, o)
		}
	}
	m.RoleList = roles
	body.Res = &types.RemoveAuthorizationRoleResponse{}
	return body
}
