package main

// AuthorizationManager.FetchUserPrivilegeOnEntities with vCenter's effective-permission rules
// (govmomi 0.24.2's vcsim answers every entity with the Admin role's privileges for anyone).
//
// API (vim.AuthorizationManager, vSphere 6.5+): "Get the list of effective privileges for a user,
// either granted explicitly or through group membership, on a set of managed entities";
// returns one UserPrivilegeResult{entity, privileges} per requested entity.
//
// Evaluation, from the vSphere Security guide ("Hierarchical Inheritance of Permissions",
// "Multiple Permission Settings" and its examples) and the API reference (complex entities):
//   - Applicable permissions are those naming the user (group=false) or a group the user is a
//     member of (group=true; membership from the spec's "memberships", see directory.go).
//   - Levels: the entity's own level first. A complex entity's child (a datacenter's root
//     folders, a compute resource's root pool, a standalone host) holds no permission of its own:
//     its own level is its owner's, where every permission applies regardless of propagate.
//   - At the own level every applicable permission counts; at an ancestor only propagating ones.
//   - The nearest level with any applicable permission decides ("Permissions defined for a child
//     object always override the permissions that are propagated from parent objects").
//   - At the deciding level a user permission takes precedence over all group permissions; group
//     permissions add up (union of their roles' privileges).
//   - A virtual machine inherits from its VM folder path and from its resource pool path
//     simultaneously ("the permissions on one object are added to the permissions on the other"):
//     each path decides on its own nearest level, the results are added.
//   - NoAccess (-5) carries no privilege: when it decides, nothing is granted on that path.
// This file is written from those rules only; it shares no code with the collection's Python audit
// (plugins/module_utils/isolation.py), so the differential test compares two implementations.

import (
	"sort"
	"strings"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

const roleNoAccess int32 = -5

// ownerOf climbs out of complex entities: the entity whose permissions apply to ref as its own.
func ownerOf(ref types.ManagedObjectReference) types.ManagedObjectReference {
	for i := 0; i < 8; i++ {
		parent, ok := complexChild(ref)
		if !ok {
			break
		}
		ref = parent
	}
	return ref
}

func parentOf(ref types.ManagedObjectReference) *types.ManagedObjectReference {
	if e, ok := simulator.Map.Get(ref).(mo.Entity); ok {
		return e.Entity().Parent
	}
	return nil
}

// inheritancePaths lists, nearest first, the entities ref inherits from: one path through its
// inventory parents and, for a virtual machine, one through its resource pool.
func inheritancePaths(ref types.ManagedObjectReference) [][]types.ManagedObjectReference {
	walk := func(start *types.ManagedObjectReference) []types.ManagedObjectReference {
		var out []types.ManagedObjectReference
		for cur := start; cur != nil && len(out) < 64; cur = parentOf(*cur) {
			out = append(out, *cur)
		}
		return out
	}
	paths := [][]types.ManagedObjectReference{walk(parentOf(ref))}
	if vm, ok := simulator.Map.Get(ref).(*simulator.VirtualMachine); ok && vm.ResourcePool != nil {
		pool := *vm.ResourcePool
		paths = append(paths, walk(&pool))
	}
	return paths
}

// memberOf: is user (any accepted form) a member of group?
func (d *directory) memberOf(user, group string) bool {
	for _, u := range d.members[normalizePrincipal(group)] {
		if samePrincipal(u, user) {
			return true
		}
	}
	return false
}

// decide returns the privileges granted at one level, and whether the level decides.
func (m *authzManager) decide(entity types.ManagedObjectReference, user string, own bool) ([]string, bool) {
	var userPerm *types.Permission
	var groupPerms []types.Permission
	for i, p := range m.perms[entity] {
		if !own && !p.Propagate {
			continue
		}
		if !p.Group && samePrincipal(p.Principal, user) {
			userPerm = &m.perms[entity][i]
		} else if p.Group && m.dir.memberOf(user, p.Principal) {
			groupPerms = append(groupPerms, p)
		}
	}
	if userPerm != nil {
		return m.rolePrivileges(userPerm.RoleId), true
	}
	if len(groupPerms) == 0 {
		return nil, false
	}
	var out []string
	for _, p := range groupPerms {
		out = append(out, m.rolePrivileges(p.RoleId)...)
	}
	return out, true
}

func (m *authzManager) rolePrivileges(id int32) []string {
	if id == roleNoAccess {
		return nil
	}
	if r := m.role(id); r != nil {
		return r.Privilege
	}
	return nil
}

func (m *authzManager) effectivePrivileges(entity types.ManagedObjectReference, user string) []string {
	own := ownerOf(entity)
	if privs, ok := m.decide(own, user, true); ok {
		return uniqueSorted(privs)
	}
	var all []string
	for _, path := range inheritancePaths(own) {
		for _, e := range path {
			if privs, ok := m.decide(e, user, false); ok {
				all = append(all, privs...)
				break
			}
		}
	}
	return uniqueSorted(all)
}

func uniqueSorted(in []string) []string {
	set := map[string]bool{}
	for _, p := range in {
		set[p] = true
	}
	out := make([]string, 0, len(set))
	for p := range set {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

func (m *authzManager) FetchUserPrivilegeOnEntities(req *types.FetchUserPrivilegeOnEntities) soap.HasFault {
	body := &methods.FetchUserPrivilegeOnEntitiesBody{}
	if strings.TrimSpace(req.UserName) == "" {
		body.Fault_ = fault("A specified parameter was not correct: userName", &types.InvalidArgument{InvalidProperty: "userName"})
		return body
	}
	var res []types.UserPrivilegeResult
	for _, e := range req.Entities {
		if _, ok := simulator.Map.Get(e).(mo.Entity); !ok {
			body.Fault_ = fault("The object has already been deleted or has not been completely created",
				&types.ManagedObjectNotFound{Obj: e})
			return body
		}
		res = append(res, types.UserPrivilegeResult{Entity: e, Privileges: m.effectivePrivileges(e, req.UserName)})
	}
	body.Res = &types.FetchUserPrivilegeOnEntitiesResponse{Returnval: res}
	return body
}
