package main

// Fetch of an unset property. pyVmomi reads every lazy property (vm.snapshot, vm.parentVApp,
// entity.alarmActionsEnabled, ...) with the internal Fetch method. vCenter answers an unset
// (optional) property with an empty FetchResponse, which pyVmomi turns into None; vcsim 0.24.2's
// PropertyCollector.Fetch indexes MissingSet[0] of an empty result and panics, so the connection
// is dropped ("Remote end closed connection without response"). We register our own request type
// for the "Fetch" element and a PropertyCollector wrapper whose Fetch answers like vCenter.

import (
	"reflect"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/simulator/vpx"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

type fetchRequest struct {
	This types.ManagedObjectReference `xml:"_this"`
	Prop string                       `xml:"prop"`
}

// FetchResponse: the element name of the SOAP response is taken from this type's name.
type FetchResponse struct {
	Returnval types.AnyType `xml:"returnval,omitempty,typeattr"`
}

type fetchBody struct {
	Res    *FetchResponse `xml:"FetchResponse,omitempty"`
	Fault_ *soap.Fault    `xml:"http://schemas.xmlsoap.org/soap/envelope/ Fault,omitempty"`
}

func (b *fetchBody) Fault() *soap.Fault { return b.Fault_ }

func init() {
	// replaces the registration of simulator/internal.Fetch (package init order: ours runs last)
	types.Add("Fetch", reflect.TypeOf((*fetchRequest)(nil)).Elem())
}

// propertyCollector embeds the simulator's collector by value: the simulator clones the
// registered singleton per session with reflect.New of its type.
type propertyCollector struct {
	simulator.PropertyCollector
}

func installPropertyCollector() {
	pc := &propertyCollector{}
	pc.Self = vpx.ServiceContent.PropertyCollector
	simulator.Map.Put(pc)
}

func (pc *propertyCollector) Fetch(ctx *simulator.Context, req *fetchRequest) soap.HasFault {
	body := &fetchBody{}
	if req.This == vim25.ServiceInstance && req.Prop == "content" {
		si := simulator.Map.Get(vim25.ServiceInstance).(*simulator.ServiceInstance)
		body.Res = &FetchResponse{Returnval: si.Content}
		return body
	}
	res := pc.RetrievePropertiesEx(ctx, &types.RetrievePropertiesEx{
		SpecSet: []types.PropertyFilterSpec{{
			PropSet:   []types.PropertySpec{{Type: req.This.Type, PathSet: []string{req.Prop}}},
			ObjectSet: []types.ObjectSpec{{Obj: req.This}},
		}},
	})
	if f := res.Fault(); f != nil {
		body.Fault_ = f
		return body
	}
	ret := res.(*methods.RetrievePropertiesExBody).Res.Returnval
	if ret == nil || len(ret.Objects) == 0 {
		body.Fault_ = simulator.Fault("", &types.ManagedObjectNotFound{Obj: req.This})
		return body
	}
	obj := ret.Objects[0]
	switch {
	case len(obj.PropSet) > 0:
		body.Res = &FetchResponse{Returnval: obj.PropSet[0].Val}
	case len(obj.MissingSet) > 0:
		f := obj.MissingSet[0].Fault
		body.Fault_ = simulator.Fault(f.LocalizedMessage, f.Fault)
	default:
		body.Res = &FetchResponse{} // unset property
	}
	return body
}
