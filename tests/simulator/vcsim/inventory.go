package main

// Inventory spec (JSON) and the builder that turns it into simulator objects.
//
// Most objects are created through the vSphere API against the in-process service (the
// same calls a real client would make: CreateDatacenter, CreateFolder, CreateClusterEx,
// AddHost_Task, AddStandaloneHost_Task, CreateResourcePool, CreateStoragePod, CreateDVS_Task,
// ReconfigureDvs_Task, AddDVPortgroup_Task, CreateVM_Task, PowerOnVM_Task, AddCustomFieldDef,
// SetField). Two things are done on the simulator's objects directly because govmomi 0.24.2's
// simulator cannot do them through the API:
//   - datastores shared by several hosts (HostDatastoreSystem.CreateLocalDatastore makes a new
//     Datastore object per host under one moref, so Datastore.host ends up with one mount);
//   - standard port groups on several hosts (HostNetworkSystem.AddPortGroup fails with
//     DuplicateName on the second host and never updates HostSystem.network);
// and the "VM Network" every simulated datacenter starts with is removed, so that only the
// spec's objects exist.

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

// Spec is the whole inventory: {"datacenters": [...], "users": [...], "groups": [...]}.
// Users and groups ("login@domain" or "DOMAIN\\login") make up the SSO directory that
// UserDirectory.RetrieveUserGroups searches and, unless enforce_principals is false,
// SetEntityPermissions checks principals against (vim.fault.UserNotFound); see directory.go.
type Spec struct {
	Datacenters       []DatacenterSpec `json:"datacenters"`
	Users             []string         `json:"users"`
	Groups            []string         `json:"groups"`
	EnforcePrincipals *bool            `json:"enforce_principals"`
	// Memberships: group -> member users, for FetchUserPrivilegeOnEntities (privileges.go).
	Memberships map[string][]string `json:"memberships"`
}

// DatacenterSpec describes one datacenter. Datastores are mounted on, and standard port
// groups exist on, every host of the datacenter; every host is a member of every DVS.
type DatacenterSpec struct {
	Name                string             `json:"name"`
	Clusters            []ClusterSpec      `json:"clusters"`
	StandaloneHosts     []string           `json:"standalone_hosts"`
	Datastores          []string           `json:"datastores"`
	DatastoreClusters   []DatastoreCluster `json:"datastore_clusters"`
	Networks            []string           `json:"networks"`
	DistributedSwitches []DVSSpec          `json:"distributed_switches"`
	VMFolders           []string           `json:"vm_folders"` // "a/b/c" under the DC's vm folder
	VMs                 []VMSpec           `json:"vms"`
}

// ClusterSpec: hosts and resource pools ("a/b" = pool b inside pool a inside the root pool).
// Networks (optional extension) are standard port groups on this cluster's hosts only; a name
// used by several clusters (or also at datacenter level) is one Network object, as in vCenter.
type ClusterSpec struct {
	Name          string   `json:"name"`
	Hosts         []string `json:"hosts"`
	ResourcePools []string `json:"resource_pools"`
	Networks      []string `json:"networks"`
}

// DatastoreCluster is a StoragePod in the datastore folder holding the named datastores.
type DatastoreCluster struct {
	Name       string   `json:"name"`
	Datastores []string `json:"datastores"`
}

// DVSSpec is a distributed switch in the network folder with its port groups.
type DVSSpec struct {
	Name       string   `json:"name"`
	Portgroups []string `json:"portgroups"`
}

// VMSpec places one VM. Cluster set: host optional (round robin over the cluster's hosts).
// Cluster empty: host names a standalone (or cluster) host. Folder/resource pool empty: the
// DC's vm folder / the compute resource's root pool; missing folders and pools are created.
// Datastores empty: the DC's first datastore. Networks: standard or distributed port groups.
type VMSpec struct {
	Name             string            `json:"name"`
	Folder           string            `json:"folder"`
	Cluster          string            `json:"cluster"`
	Host             string            `json:"host"`
	ResourcePool     string            `json:"resource_pool"`
	Datastores       []string          `json:"datastores"`
	Networks         []string          `json:"networks"`
	CustomAttributes map[string]string `json:"custom_attributes"`
	PowerState       string            `json:"power_state"` // "poweredOn" (default) or "poweredOff"
}

// LoadSpec reads a spec file; unknown keys are an error so that typos do not go unnoticed.
func LoadSpec(path string) (*Spec, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	dec := json.NewDecoder(f)
	dec.DisallowUnknownFields()
	var s Spec
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	return &s, nil
}

type computeInfo struct {
	name  string
	hosts []types.ManagedObjectReference
	pools map[string]*object.ResourcePool // "" = root pool
	next  int                             // round-robin host placement
}

type builder struct {
	ctx     context.Context
	c       *vim25.Client
	dataDir string
	counts  map[string]int
	attrs   []pendingAttrs
}

type pendingAttrs struct {
	vm    types.ManagedObjectReference
	attrs map[string]string
}

// Build creates the spec's inventory in the simulator behind svc. Returns a short summary.
func Build(ctx context.Context, svc *simulator.Service, spec *Spec, dataDir string) (string, error) {
	c, err := vim25.NewClient(ctx, svc) // in-process round trips, no HTTP
	if err != nil {
		return "", err
	}
	b := &builder{ctx: ctx, c: c, dataDir: dataDir, counts: map[string]int{}}
	root := object.NewRootFolder(c)
	seen := map[string]bool{}
	for i := range spec.Datacenters {
		d := &spec.Datacenters[i]
		if d.Name == "" || seen[d.Name] {
			return "", fmt.Errorf("datacenter #%d: empty or duplicate name %q", i, d.Name)
		}
		seen[d.Name] = true
		if err := b.datacenter(root, d); err != nil {
			return "", fmt.Errorf("datacenter %s: %v", d.Name, err)
		}
	}
	if err := b.customAttributes(); err != nil {
		return "", err
	}
	var parts []string
	for _, k := range []string{"datacenters", "clusters", "hosts", "resource_pools", "vm_folders",
		"datastores", "datastore_clusters", "networks", "dv_portgroups", "vms"} {
		parts = append(parts, fmt.Sprintf("%s=%d", k, b.counts[k]))
	}
	return strings.Join(parts, " "), nil
}

func (b *builder) wait(t *object.Task, err error) (types.AnyType, error) {
	if err != nil {
		return nil, err
	}
	info, err := t.WaitForResult(b.ctx, nil)
	if err != nil {
		return nil, err
	}
	return info.Result, nil
}

func (b *builder) datacenter(root *object.Folder, d *DatacenterSpec) error {
	ctx := b.ctx
	dcObj, err := root.CreateDatacenter(ctx, d.Name)
	if err != nil {
		return err
	}
	b.counts["datacenters"]++
	folders, err := dcObj.Folders(ctx)
	if err != nil {
		return err
	}
	sdc := simulator.Map.Get(dcObj.Reference()).(*simulator.Datacenter)

	// VM folders
	vmFolders := map[string]*object.Folder{"": folders.VmFolder}
	for _, p := range d.VMFolders {
		if _, err := b.folderPath(vmFolders, p); err != nil {
			return err
		}
	}

	// Clusters, their hosts and resource pools; standalone hosts.
	clusters := map[string]*computeInfo{}
	hostCompute := map[string]*computeInfo{} // host name -> cluster or standalone compute resource
	var allHosts []types.ManagedObjectReference
	addHostName := func(name string, ci *computeInfo) error {
		if name == "" || hostCompute[name] != nil {
			return fmt.Errorf("empty or duplicate host name %q", name)
		}
		hostCompute[name] = ci
		return nil
	}
	for _, cl := range d.Clusters {
		if cl.Name == "" || clusters[cl.Name] != nil {
			return fmt.Errorf("empty or duplicate cluster name %q", cl.Name)
		}
		cobj, err := folders.HostFolder.CreateCluster(ctx, cl.Name, types.ClusterConfigSpecEx{})
		if err != nil {
			return fmt.Errorf("cluster %s: %v", cl.Name, err)
		}
		b.counts["clusters"]++
		ci := &computeInfo{name: cl.Name, pools: map[string]*object.ResourcePool{}}
		clusters[cl.Name] = ci
		for _, h := range cl.Hosts {
			if err := addHostName(h, ci); err != nil {
				return err
			}
			res, err := b.wait(cobj.AddHost(ctx, types.HostConnectSpec{HostName: h, Force: true}, true, nil, nil))
			if err != nil {
				return fmt.Errorf("host %s: %v", h, err)
			}
			ci.hosts = append(ci.hosts, res.(types.ManagedObjectReference))
			b.counts["hosts"]++
		}
		scl := simulator.Map.Get(cobj.Reference()).(*simulator.ClusterComputeResource)
		ci.pools[""] = object.NewResourcePool(b.c, *scl.ResourcePool)
		for _, p := range cl.ResourcePools {
			if _, err := b.poolPath(ci, p); err != nil {
				return err
			}
		}
		allHosts = append(allHosts, ci.hosts...)
	}
	for _, h := range d.StandaloneHosts {
		ci := &computeInfo{name: h, pools: map[string]*object.ResourcePool{}}
		if err := addHostName(h, ci); err != nil {
			return err
		}
		res, err := b.wait(folders.HostFolder.AddStandaloneHost(ctx, types.HostConnectSpec{HostName: h, Force: true}, true, nil, nil))
		if err != nil {
			return fmt.Errorf("standalone host %s: %v", h, err)
		}
		ref := res.(types.ManagedObjectReference)
		ci.hosts = []types.ManagedObjectReference{ref}
		cr := computeResourceOf(ref)
		ci.pools[""] = object.NewResourcePool(b.c, *cr.ResourcePool)
		allHosts = append(allHosts, ref)
		b.counts["hosts"]++
	}

	b.removeDefaultNetwork(sdc, allHosts)

	// Datastores (optionally inside a StoragePod), mounted on every host of the DC.
	dsParent := map[string]mo.Entity{}
	dsFolder := simulator.Map.Get(sdc.DatastoreFolder).(*simulator.Folder)
	for _, name := range d.Datastores {
		if name == "" || dsParent[name] != nil {
			return fmt.Errorf("empty or duplicate datastore name %q", name)
		}
		dsParent[name] = dsFolder
	}
	for _, dsc := range d.DatastoreClusters {
		pod, err := folders.DatastoreFolder.CreateStoragePod(ctx, dsc.Name)
		if err != nil {
			return fmt.Errorf("datastore cluster %s: %v", dsc.Name, err)
		}
		b.counts["datastore_clusters"]++
		spod := simulator.Map.Get(pod.Reference()).(*simulator.StoragePod)
		for _, name := range dsc.Datastores {
			if dsParent[name] != dsFolder {
				return fmt.Errorf("datastore cluster %s: datastore %q is not in datastores or is in two clusters", dsc.Name, name)
			}
			dsParent[name] = spod
		}
	}
	datastores := map[string]types.ManagedObjectReference{}
	for _, name := range d.Datastores {
		ref, err := b.createDatastore(sdc, dsParent[name], name, allHosts)
		if err != nil {
			return err
		}
		datastores[name] = ref
	}

	// Standard port groups (datacenter-wide, then cluster-scoped), then distributed switches
	// and their port groups.
	backings := map[string]types.BaseVirtualDeviceBackingInfo{}
	networks := map[string]*mo.Network{}
	addNetwork := func(name string, hosts []types.ManagedObjectReference) error {
		if name == "" {
			return fmt.Errorf("empty network name")
		}
		n := networks[name]
		if n == nil {
			n = b.createNetwork(sdc, name)
			networks[name] = n
			backings[name] = &types.VirtualEthernetCardNetworkBackingInfo{
				VirtualDeviceDeviceBackingInfo: types.VirtualDeviceDeviceBackingInfo{DeviceName: name},
				Network:                        &n.Self,
			}
		}
		b.attachNetwork(n, hosts)
		return nil
	}
	for _, name := range d.Networks {
		if err := addNetwork(name, allHosts); err != nil {
			return err
		}
	}
	for _, cl := range d.Clusters {
		for _, name := range cl.Networks {
			if err := addNetwork(name, clusters[cl.Name].hosts); err != nil {
				return err
			}
		}
	}
	for _, sw := range d.DistributedSwitches {
		if err := b.createDVS(folders.NetworkFolder, sw, allHosts, backings); err != nil {
			return fmt.Errorf("distributed switch %s: %v", sw.Name, err)
		}
	}

	// Virtual machines
	for i := range d.VMs {
		if err := b.createVM(d, &d.VMs[i], vmFolders, clusters, hostCompute, datastores, backings); err != nil {
			return fmt.Errorf("vm %s: %v", d.VMs[i].Name, err)
		}
	}
	return nil
}

// folderPath returns the VM folder at path ("a/b"), creating missing folders (mkdir -p).
func (b *builder) folderPath(cache map[string]*object.Folder, path string) (*object.Folder, error) {
	path = strings.Trim(path, "/")
	if f, ok := cache[path]; ok {
		return f, nil
	}
	parent, name := "", path
	if i := strings.LastIndex(path, "/"); i >= 0 {
		parent, name = path[:i], path[i+1:]
	}
	pf, err := b.folderPath(cache, parent)
	if err != nil {
		return nil, err
	}
	f, err := pf.CreateFolder(b.ctx, name)
	if err != nil {
		return nil, fmt.Errorf("vm folder %s: %v", path, err)
	}
	b.counts["vm_folders"]++
	cache[path] = f
	return f, nil
}

// poolPath returns the resource pool at path ("a/b") under the root pool, creating missing pools.
func (b *builder) poolPath(ci *computeInfo, path string) (*object.ResourcePool, error) {
	path = strings.Trim(path, "/")
	if p, ok := ci.pools[path]; ok {
		return p, nil
	}
	parent, name := "", path
	if i := strings.LastIndex(path, "/"); i >= 0 {
		parent, name = path[:i], path[i+1:]
	}
	pp, err := b.poolPath(ci, parent)
	if err != nil {
		return nil, err
	}
	p, err := pp.Create(b.ctx, name, types.DefaultResourceConfigSpec())
	if err != nil {
		return nil, fmt.Errorf("resource pool %s/%s: %v", ci.name, path, err)
	}
	b.counts["resource_pools"]++
	ci.pools[path] = p
	return p, nil
}

// computeResourceOf returns the ComputeResource (standalone) or the cluster's embedded
// ComputeResource that is the parent of a host.
func computeResourceOf(host types.ManagedObjectReference) *mo.ComputeResource {
	h := simulator.Map.Get(host).(*simulator.HostSystem)
	switch p := simulator.Map.Get(*h.Parent).(type) {
	case *mo.ComputeResource:
		return p
	case *simulator.ClusterComputeResource:
		return &p.ComputeResource
	}
	panic(fmt.Sprintf("host %s: unexpected parent %s", host, h.Parent))
}

func addRef(list []types.ManagedObjectReference, ref types.ManagedObjectReference) []types.ManagedObjectReference {
	for _, r := range list {
		if r == ref {
			return list
		}
	}
	// copy on append: the simulator aliases some of these slices (e.g. cluster.Network = dc.Network[:1])
	out := make([]types.ManagedObjectReference, len(list), len(list)+1)
	copy(out, list)
	return append(out, ref)
}

func removeRef(list []types.ManagedObjectReference, ref types.ManagedObjectReference) []types.ManagedObjectReference {
	out := make([]types.ManagedObjectReference, 0, len(list))
	for _, r := range list {
		if r != ref {
			out = append(out, r)
		}
	}
	return out
}

// removeDefaultNetwork deletes the "VM Network" the simulator adds to every datacenter and
// that cluster/standalone hosts are attached to, so only the spec's networks exist.
func (b *builder) removeDefaultNetwork(dc *simulator.Datacenter, hosts []types.ManagedObjectReference) {
	folder := simulator.Map.Get(dc.NetworkFolder).(*simulator.Folder)
	for _, ref := range append([]types.ManagedObjectReference(nil), folder.ChildEntity...) {
		n, ok := simulator.Map.Get(ref).(*mo.Network)
		if !ok || n.Name != "VM Network" {
			continue
		}
		folder.ChildEntity = removeRef(folder.ChildEntity, ref)
		dc.Network = removeRef(dc.Network, ref)
		for _, h := range hosts {
			hs := simulator.Map.Get(h).(*simulator.HostSystem)
			hs.Network = removeRef(hs.Network, ref)
			cr := computeResourceOf(h)
			cr.Network = removeRef(cr.Network, ref)
		}
		simulator.Map.Remove(ref)
	}
}

// createDatastore creates one datastore object backed by a local directory, in parent (the
// datastore folder or a StoragePod), and mounts it on every given host.
func (b *builder) createDatastore(dc *simulator.Datacenter, parent mo.Entity, name string, hosts []types.ManagedObjectReference) (types.ManagedObjectReference, error) {
	dir := filepath.Join(b.dataDir, dc.Self.Value, name)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return types.ManagedObjectReference{}, err
	}
	ds := &simulator.Datastore{}
	ds.Name = name
	ds.Info = &types.LocalDatastoreInfo{
		DatastoreInfo: types.DatastoreInfo{Name: name, Url: dir},
		Path:          dir,
	}
	ds.Summary = types.DatastoreSummary{
		Name:               name,
		Url:                dir,
		Type:               string(types.HostFileSystemVolumeFileSystemTypeOTHER),
		Accessible:         true,
		MultipleHostAccess: types.NewBool(len(hosts) > 1),
		MaintenanceMode:    string(types.DatastoreSummaryMaintenanceModeStateNormal),
	}
	ds.Capability = types.DatastoreCapability{
		DirectoryHierarchySupported:      true,
		PerFileThinProvisioningSupported: true,
		StorageIORMSupported:             types.NewBool(true),
		NativeSnapshotSupported:          types.NewBool(false),
		TopLevelDirectoryCreateSupported: types.NewBool(true),
		SeSparseSupported:                types.NewBool(true),
	}
	simulator.Map.PutEntity(parent, ds) // assigns Datastore:datastore-N and sets parent
	ds.Summary.Datastore = &ds.Self
	browser := &simulator.HostDatastoreBrowser{}
	browser.Datastore = []types.ManagedObjectReference{ds.Self}
	ds.Browser = simulator.Map.Put(browser).Reference()
	_ = ds.RefreshDatastore(&types.RefreshDatastore{This: ds.Self}) // capacity / free space from the directory

	switch p := parent.(type) {
	case *simulator.Folder:
		p.ChildEntity = addRef(p.ChildEntity, ds.Self)
	case *simulator.StoragePod:
		p.ChildEntity = addRef(p.ChildEntity, ds.Self)
		p.Summary.Capacity += ds.Summary.Capacity
		p.Summary.FreeSpace += ds.Summary.FreeSpace
	}
	dc.Datastore = addRef(dc.Datastore, ds.Self)

	for _, h := range hosts {
		hs := simulator.Map.Get(h).(*simulator.HostSystem)
		hs.Datastore = addRef(hs.Datastore, ds.Self)
		if dss, ok := simulator.Map.Get(*hs.ConfigManager.DatastoreSystem).(*simulator.HostDatastoreSystem); ok {
			dss.Datastore = addRef(dss.Datastore, ds.Self)
		}
		cr := computeResourceOf(h)
		cr.Datastore = addRef(cr.Datastore, ds.Self)
		ds.Host = append(ds.Host, types.DatastoreHostMount{
			Key: h,
			MountInfo: types.HostMountInfo{
				Path:       dir,
				AccessMode: string(types.HostMountModeReadWrite),
				Mounted:    types.NewBool(true),
				Accessible: types.NewBool(true),
			},
		})
	}
	b.counts["datastores"]++
	return ds.Self, nil
}

// createNetwork creates a standard port group (vim.Network) in the datacenter's network folder.
func (b *builder) createNetwork(dc *simulator.Datacenter, name string) *mo.Network {
	folder := simulator.Map.Get(dc.NetworkFolder).(*simulator.Folder)
	n := &mo.Network{}
	n.Name = name
	simulator.Map.PutEntity(folder, n) // Network:network-N, parent = network folder
	n.Summary = &types.NetworkSummary{Network: &n.Self, Name: name, Accessible: true}
	folder.ChildEntity = addRef(folder.ChildEntity, n.Self)
	dc.Network = addRef(dc.Network, n.Self)
	b.counts["networks"]++
	return n
}

// attachNetwork adds the port group to the given hosts (vSwitch0), their compute resources'
// network lists and the network's host list.
func (b *builder) attachNetwork(n *mo.Network, hosts []types.ManagedObjectReference) {
	for _, h := range hosts {
		if simulator.FindReference(n.Host, h) != nil {
			continue // already there
		}
		n.Host = append(n.Host, h)
		hs := simulator.Map.Get(h).(*simulator.HostSystem)
		hs.Network = addRef(hs.Network, n.Self)
		cr := computeResourceOf(h)
		cr.Network = addRef(cr.Network, n.Self)
		if ns, ok := simulator.Map.Get(*hs.ConfigManager.NetworkSystem).(*simulator.HostNetworkSystem); ok && ns.NetworkInfo != nil {
			spec := types.HostPortGroupSpec{Name: n.Name, VswitchName: "vSwitch0", Policy: types.HostNetworkPolicy{}}
			if len(ns.NetworkInfo.Vswitch) > 0 {
				vs := &ns.NetworkInfo.Vswitch[0]
				vs.Portgroup = append(vs.Portgroup, n.Name)
			}
			ns.NetworkInfo.Portgroup = append(ns.NetworkInfo.Portgroup,
				types.HostPortGroup{Key: "key-vim.host.PortGroup-" + n.Name, Spec: spec})
		}
	}
}

// createDVS creates a distributed switch with every host as a member, then its port groups.
func (b *builder) createDVS(netFolder *object.Folder, sw DVSSpec, hosts []types.ManagedObjectReference, backings map[string]types.BaseVirtualDeviceBackingInfo) error {
	ctx := b.ctx
	spec := types.DVSCreateSpec{ConfigSpec: &types.VMwareDVSConfigSpec{DVSConfigSpec: types.DVSConfigSpec{Name: sw.Name}}}
	res, err := b.wait(netFolder.CreateDVS(ctx, spec))
	if err != nil {
		return err
	}
	dvs := object.NewDistributedVirtualSwitch(b.c, res.(types.ManagedObjectReference))
	if len(hosts) > 0 {
		cfg := &types.DVSConfigSpec{}
		for _, h := range hosts {
			cfg.Host = append(cfg.Host, types.DistributedVirtualSwitchHostMemberConfigSpec{
				Operation: string(types.ConfigSpecOperationAdd),
				Host:      h,
			})
		}
		if _, err := b.wait(dvs.Reconfigure(ctx, cfg)); err != nil {
			return fmt.Errorf("add hosts: %v", err)
		}
	}
	var pgs []types.DVPortgroupConfigSpec
	for _, name := range sw.Portgroups {
		if name == "" || backings[name] != nil {
			return fmt.Errorf("empty or duplicate network name %q", name)
		}
		pgs = append(pgs, types.DVPortgroupConfigSpec{Name: name, Type: string(types.DistributedVirtualPortgroupPortgroupTypeEarlyBinding), NumPorts: 8})
	}
	if len(pgs) > 0 {
		if _, err := b.wait(dvs.AddPortgroup(ctx, pgs)); err != nil {
			return err
		}
	}
	sdvs := simulator.Map.Get(dvs.Reference()).(*simulator.DistributedVirtualSwitch)
	for _, ref := range sdvs.Portgroup {
		pg := simulator.Map.Get(ref).(*simulator.DistributedVirtualPortgroup)
		for _, name := range sw.Portgroups {
			if pg.Name == name {
				backings[name] = &types.VirtualEthernetCardDistributedVirtualPortBackingInfo{
					Port: types.DistributedVirtualSwitchPortConnection{SwitchUuid: sdvs.Uuid, PortgroupKey: pg.Key},
				}
				b.counts["dv_portgroups"]++
			}
		}
	}
	return nil
}

func (b *builder) createVM(d *DatacenterSpec, vm *VMSpec, vmFolders map[string]*object.Folder,
	clusters map[string]*computeInfo, hostCompute map[string]*computeInfo,
	datastores map[string]types.ManagedObjectReference, backings map[string]types.BaseVirtualDeviceBackingInfo) error {
	ctx := b.ctx
	if vm.Name == "" {
		return fmt.Errorf("empty name")
	}

	// Placement: compute resource, host, pool.
	var ci *computeInfo
	switch {
	case vm.Cluster != "":
		if ci = clusters[vm.Cluster]; ci == nil {
			return fmt.Errorf("unknown cluster %q", vm.Cluster)
		}
		if vm.Host != "" && hostCompute[vm.Host] != ci {
			return fmt.Errorf("host %q is not in cluster %q", vm.Host, vm.Cluster)
		}
	case vm.Host != "":
		if ci = hostCompute[vm.Host]; ci == nil {
			return fmt.Errorf("unknown host %q", vm.Host)
		}
	default:
		return fmt.Errorf("needs a cluster or a host")
	}
	if len(ci.hosts) == 0 {
		return fmt.Errorf("%s has no hosts", ci.name)
	}
	var host types.ManagedObjectReference
	if vm.Host != "" {
		for _, h := range ci.hosts {
			if simulator.Map.Get(h).(*simulator.HostSystem).Name == vm.Host {
				host = h
			}
		}
	} else {
		host = ci.hosts[ci.next%len(ci.hosts)]
		ci.next++
	}
	pool, err := b.poolPath(ci, vm.ResourcePool)
	if err != nil {
		return err
	}
	folder, err := b.folderPath(vmFolders, vm.Folder)
	if err != nil {
		return err
	}

	// Storage: the .vmx and one disk on the first datastore, one more disk per extra datastore.
	dsNames := vm.Datastores
	if len(dsNames) == 0 {
		if len(d.Datastores) == 0 {
			return fmt.Errorf("the datacenter has no datastore")
		}
		dsNames = d.Datastores[:1]
	}
	var devices object.VirtualDeviceList
	scsi, err := devices.CreateSCSIController("pvscsi")
	if err != nil {
		return err
	}
	devices = append(devices, scsi)
	for _, name := range dsNames {
		ref, ok := datastores[name]
		if !ok {
			return fmt.Errorf("unknown datastore %q", name)
		}
		disk := devices.CreateDisk(scsi.(types.BaseVirtualController), ref, "")
		// "[ds]" without a path: the simulator picks "[ds] <vm>/<vm>[_N].vmdk"
		disk.Backing.(*types.VirtualDiskFlatVer2BackingInfo).FileName = "[" + name + "]"
		disk.CapacityInKB = 16 * 1024 * 1024
		devices = append(devices, disk)
	}
	for _, name := range vm.Networks {
		backing, ok := backings[name]
		if !ok {
			return fmt.Errorf("unknown network %q", name)
		}
		nic, err := devices.CreateEthernetCard("vmxnet3", backing)
		if err != nil {
			return err
		}
		devices = append(devices, nic)
	}
	deviceChange, err := devices.ConfigSpec(types.VirtualDeviceConfigSpecOperationAdd)
	if err != nil {
		return err
	}
	config := types.VirtualMachineConfigSpec{
		Name:         vm.Name,
		GuestId:      string(types.VirtualMachineGuestOsIdentifierOtherGuest64),
		NumCPUs:      2,
		MemoryMB:     4096,
		Files:        &types.VirtualMachineFileInfo{VmPathName: "[" + dsNames[0] + "]"},
		DeviceChange: deviceChange,
	}
	res, err := b.wait(folder.CreateVM(ctx, config, pool, object.NewHostSystem(b.c, host)))
	if err != nil {
		return err
	}
	ref := res.(types.ManagedObjectReference)
	b.counts["vms"]++
	// Network.vm: vcsim fills VirtualMachine.network but not the networks' vm lists.
	for _, n := range simulator.Map.Get(ref).(*simulator.VirtualMachine).Network {
		switch net := simulator.Map.Get(n).(type) {
		case *mo.Network:
			net.Vm = append(net.Vm, ref)
		case *simulator.DistributedVirtualPortgroup:
			net.Vm = append(net.Vm, ref)
		}
	}

	switch vm.PowerState {
	case "", string(types.VirtualMachinePowerStatePoweredOn):
		if _, err := b.wait(object.NewVirtualMachine(b.c, ref).PowerOn(ctx)); err != nil {
			return fmt.Errorf("power on: %v", err)
		}
	case string(types.VirtualMachinePowerStatePoweredOff):
	default:
		return fmt.Errorf("power_state %q: want poweredOn or poweredOff", vm.PowerState)
	}
	if len(vm.CustomAttributes) > 0 {
		b.attrs = append(b.attrs, pendingAttrs{vm: ref, attrs: vm.CustomAttributes})
	}
	return nil
}

// customAttributes defines one VirtualMachine custom field per attribute name
// (CustomFieldsManager.field) and sets the values (ManagedEntity.customValue).
// Fields are added after the VMs so that AddCustomFieldDef fills every VM's availableField.
func (b *builder) customAttributes() error {
	if len(b.attrs) == 0 {
		return nil
	}
	cfm, err := object.GetCustomFieldsManager(b.c)
	if err != nil {
		return err
	}
	names := map[string]bool{}
	for _, p := range b.attrs {
		for k := range p.attrs {
			names[k] = true
		}
	}
	var sorted []string
	for k := range names {
		sorted = append(sorted, k)
	}
	sort.Strings(sorted)
	keys := map[string]int32{}
	for _, name := range sorted {
		def, err := cfm.Add(b.ctx, name, "VirtualMachine", nil, nil)
		if err != nil {
			return fmt.Errorf("custom attribute %s: %v", name, err)
		}
		keys[name] = def.Key
	}
	// vcsim sets CustomFieldDef.type to the managed object type; in vCenter it is the value
	// type ("string"). Fix the definitions and the copies in every VM's availableField.
	sm := simulator.Map.CustomFieldsManager()
	for i := range sm.Field {
		sm.Field[i].Type = "string"
	}
	for _, e := range simulator.Map.All("VirtualMachine") {
		for i := range e.Entity().AvailableField {
			e.Entity().AvailableField[i].Type = "string"
		}
	}
	for _, p := range b.attrs {
		for _, name := range sortedKeys(p.attrs) {
			if err := cfm.Set(b.ctx, p.vm, keys[name], p.attrs[name]); err != nil {
				return fmt.Errorf("custom attribute %s on %s: %v", name, p.vm, err)
			}
		}
	}
	return nil
}

func sortedKeys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
