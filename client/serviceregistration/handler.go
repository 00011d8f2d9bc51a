package serviceregistration

import (
	"context"

	"github.com/netnomad/netnomad/nomad/structs"
)

// Handler registers the services of workloads (a group or a task of an
// allocation) with a service discovery provider.
//
// Every method returns an error instead of panicking when the provider is
// unreachable, after the implementation's bounded retries; callers record it as a
// task event and keep the task running.
type Handler interface {
	// RegisterWorkload registers every service of the workload with its checks.
	RegisterWorkload(ctx context.Context, workload *WorkloadServices) error

	// UpdateWorkload moves the registration from old to new: services whose
	// definition changed are re-registered in place (same ID), services no
	// longer present are deregistered, unchanged ones are left alone.
	UpdateWorkload(ctx context.Context, old, new *WorkloadServices) error

	// RemoveWorkload deregisters every service of the workload (canary and
	// non-canary variants alike); services already gone are not an error.
	RemoveWorkload(ctx context.Context, workload *WorkloadServices) error
}

// WorkloadServices is what a provider needs to register one workload's services.
type WorkloadServices struct {
	// AllocID is the allocation the workload belongs to.
	AllocID string

	// Task is the task name for task services and "group-<group>" for group
	// services (see GroupWorkloadName); it is part of every service ID.
	Task string

	// Group, JobID and Namespace identify the allocation's job.
	Group     string
	JobID     string
	Namespace string

	// Canary registers the services with their canary tags and meta.
	Canary bool

	// Services are the job's service definitions, already interpolated.
	Services []*structs.Service

	// Ports are the allocation's group ports as the scheduler assigned them.
	Ports structs.AllocatedPorts

	// NetworkStatus is the allocation's namespace, nil in host mode; it is
	// required by address_mode = "alloc".
	NetworkStatus *structs.AllocNetworkStatus

	// HostIP is the address of the host advertised for ports that carry no
	// HostIP of their own and for numeric ports.
	HostIP string
}

// GroupWorkloadName is the Task value of a group's services: "group-<group>".
func GroupWorkloadName(group string) string { return "group-" + group }

// Copy returns a deep enough copy for comparisons: the slices are new, the
// service definitions are shared (they are treated as immutable).
func (w *WorkloadServices) Copy() *WorkloadServices {
	if w == nil {
		return nil
	}
	out := *w
	out.Services = append([]*structs.Service(nil), w.Services...)
	out.Ports = append(structs.AllocatedPorts(nil), w.Ports...)
	if w.NetworkStatus != nil {
		ns := *w.NetworkStatus
		out.NetworkStatus = &ns
	}
	return &out
}
