package main

import (
	"strings"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/simulator/vpx"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

// Two vcsim gaps around StoragePods (datastore clusters), fixed by wrapping the managed objects.
//
// viewManager: a recursive ContainerView does not descend into StoragePods
// (simulator.walk knows Folder, Datacenter, ComputeResource, ResourcePool, HostSystem only), so
// datastores in a datastore cluster were missing from Datastore views. vCenter includes them: a
// StoragePod is a Folder and "recursive" covers "all of the container's descendants"
// (vim.view.ContainerView). The view is static after creation, which is all our tests need.
type viewManager struct {
	*simulator.ViewManager
}

func (m *viewManager) Get() mo.Reference { return m.ViewManager }

func installViewManager() {
	ref := *vpx.ServiceContent.ViewManager
	if orig, ok := simulator.Map.Get(ref).(*simulator.ViewManager); ok {
		simulator.Map.Put(&viewManager{orig})
	}
}

func (m *viewManager) CreateContainerView(ctx *simulator.Context, req *types.CreateContainerView) soap.HasFault {
	res := m.ViewManager.CreateContainerView(ctx, req)
	body, ok := res.(*methods.CreateContainerViewBody)
	if !ok || body.Res == nil || !req.Recursive || !wantsDatastores(req.Type) {
		return res
	}
	cv, ok := ctx.Session.Registry.Get(body.Res.Returnval).(*simulator.ContainerView)
	if !ok {
		return res
	}
	have := map[types.ManagedObjectReference]bool{}
	for _, r := range cv.View {
		have[r] = true
	}
	queue := []types.ManagedObjectReference{req.Container}
	for len(queue) > 0 {
		ref := queue[0]
		queue = queue[1:]
		switch o := simulator.Map.Get(ref).(type) {
		case *simulator.Datacenter:
			queue = append(queue, o.DatastoreFolder)
		case *simulator.Folder:
			for _, c := range o.ChildEntity {
				if c.Type == "Folder" || c.Type == "Datacenter" || c.Type == "StoragePod" {
					queue = append(queue, c)
				}
			}
		case *simulator.StoragePod:
			for _, c := range o.ChildEntity {
				if !have[c] {
					cv.View = append(cv.View, c)
					have[c] = true
				}
			}
		}
	}
	return res
}

func wantsDatastores(kinds []string) bool {
	if len(kinds) == 0 {
		return true
	}
	for _, k := range kinds {
		if k == "Datastore" || k == "ManagedEntity" {
			return true
		}
	}
	return false
}

// searchIndex: FindChild / FindByInventoryPath also descend into StoragePods
// ("DC1/datastore/dsc-01/ds-03"); vcsim's FindChild does not know the StoragePod type.
type searchIndex struct {
	*simulator.SearchIndex
}

func (s *searchIndex) Get() mo.Reference { return s.SearchIndex }

func installSearchIndex() {
	ref := *vpx.ServiceContent.SearchIndex
	if orig, ok := simulator.Map.Get(ref).(*simulator.SearchIndex); ok {
		simulator.Map.Put(&searchIndex{orig})
	}
}

func (s *searchIndex) FindChild(req *types.FindChild) soap.HasFault {
	if pod, ok := simulator.Map.Get(req.Entity).(*simulator.StoragePod); ok {
		body := &methods.FindChildBody{Res: new(types.FindChildResponse)}
		if match := simulator.Map.FindByName(req.Name, pod.ChildEntity); match != nil {
			ref := match.Reference()
			body.Res.Returnval = &ref
		}
		return body
	}
	return s.SearchIndex.FindChild(req)
}

func (s *searchIndex) FindByInventoryPath(req *types.FindByInventoryPath) soap.HasFault {
	body := &methods.FindByInventoryPathBody{Res: new(types.FindByInventoryPathResponse)}
	path := strings.FieldsFunc(req.InventoryPath, func(c rune) bool { return c == '/' })
	if len(path) == 0 {
		return body
	}
	o := &vpx.ServiceContent.RootFolder
	for _, name := range path {
		res, ok := s.FindChild(&types.FindChild{Entity: *o, Name: name}).(*methods.FindChildBody)
		if !ok || res.Res == nil || res.Res.Returnval == nil {
			return body
		}
		o = res.Res.Returnval
	}
	body.Res.Returnval = o
	return body
}
