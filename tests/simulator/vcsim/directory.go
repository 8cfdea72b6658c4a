package main

// A small SSO user directory behind UserDirectory.RetrieveUserGroups, filled from the spec's
// "users" and "groups" (plus VSPHERE.LOCAL\Administrator and VSPHERE.LOCAL\Administrators).
// vcsim's own directory only knows "root" and "admin" and compares the raw search string.
//
// vCenter answers RetrieveUserGroups(domain, searchStr, ..., exactMatch, findUsers, findGroups)
// with UserSearchResult{principal: login, fullName, group} (community.vmware
// vcenter_domain_user_group_info documents {"principal": "Administrator", "fullName":
// "Administrator vsphere.local"}). SetEntityPermissions/ResetEntityPermissions raise UserNotFound
// "if a given user or group does not exist" (vim.AuthorizationManager); authz.go asks known().
// Group membership (spec "memberships") is used by FetchUserPrivilegeOnEntities only; the
// belongsToGroup/belongsToUser filters of RetrieveUserGroups match nothing.

import (
	"strings"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/simulator/vpx"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

type principalEntry struct {
	domain, login string // domain upper case ("VSPHERE.LOCAL"), "" for a local account
	group         bool
}

type directory struct {
	entries []principalEntry
	enforce bool
	members map[string][]string // normalized group -> users (spec "memberships")
}

// splitPrincipal parses "DOMAIN\login", "login@domain" or "login".
func splitPrincipal(p string) (domain, login string) {
	p = strings.TrimSpace(p)
	if i := strings.Index(p, `\`); i >= 0 {
		return strings.ToUpper(p[:i]), p[i+1:]
	}
	if i := strings.LastIndex(p, "@"); i > 0 {
		return strings.ToUpper(p[i+1:]), p[:i]
	}
	return "", p
}

func newDirectory(spec *Spec) *directory {
	d := &directory{enforce: spec.EnforcePrincipals == nil || *spec.EnforcePrincipals}
	add := func(p string, group bool) {
		dom, login := splitPrincipal(p)
		if login != "" && !d.known(p, group) {
			d.entries = append(d.entries, principalEntry{dom, login, group})
		}
	}
	add(`VSPHERE.LOCAL\Administrator`, false)
	add(`VSPHERE.LOCAL\Administrators`, true)
	for _, u := range spec.Users {
		add(u, false)
	}
	for _, g := range spec.Groups {
		add(g, true)
	}
	d.members = map[string][]string{normalizePrincipal(`VSPHERE.LOCAL\Administrators`): {`VSPHERE.LOCAL\Administrator`}}
	for g, users := range spec.Memberships {
		key := normalizePrincipal(g)
		d.members[key] = append(d.members[key], users...)
	}
	return d
}

// known: is the principal (any accepted form) a user (group=false) or group of the directory?
// A principal without a domain matches that login in any domain.
func (d *directory) known(p string, group bool) bool {
	dom, login := splitPrincipal(p)
	for _, e := range d.entries {
		if e.group == group && strings.EqualFold(e.login, login) && (dom == "" || strings.EqualFold(e.domain, dom)) {
			return true
		}
	}
	return false
}

type userDirectory struct {
	*simulator.UserDirectory
	dir *directory
}

func (u *userDirectory) Get() mo.Reference { return u.UserDirectory }

func installUserDirectory(d *directory) {
	ref := *vpx.ServiceContent.UserDirectory
	if orig, ok := simulator.Map.Get(ref).(*simulator.UserDirectory); ok {
		simulator.Map.Put(&userDirectory{orig, d})
	}
}

func (u *userDirectory) RetrieveUserGroups(req *types.RetrieveUserGroups) soap.HasFault {
	domain := strings.ToUpper(strings.TrimSpace(req.Domain))
	sdom, search := splitPrincipal(req.SearchStr)
	if sdom != "" {
		domain = sdom
	}
	search = strings.ToLower(search)
	var res []types.BaseUserSearchResult
	for _, e := range u.dir.entries {
		if (e.group && !req.FindGroups) || (!e.group && !req.FindUsers) || req.BelongsToGroup != "" || req.BelongsToUser != "" {
			continue
		}
		if domain != "" && !strings.EqualFold(domain, e.domain) {
			continue
		}
		login := strings.ToLower(e.login)
		if (req.ExactMatch && login != search) || (!req.ExactMatch && !strings.Contains(login, search)) {
			continue
		}
		res = append(res, &types.UserSearchResult{
			Principal: e.login,
			FullName:  strings.TrimSpace(e.login + " " + strings.ToLower(e.domain)),
			Group:     e.group,
		})
	}
	return &methods.RetrieveUserGroupsBody{Res: &types.RetrieveUserGroupsResponse{Returnval: res}}
}
