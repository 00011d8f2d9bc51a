package consul

import (
	"fmt"
	"maps"
	"slices"

	"github.com/hashicorp/consul/api"

	sr "github.com/netnomad/netnomad/client/serviceregistration"
	"github.com/netnomad/netnomad/nomad/structs"
)

// Meta key and value every Nomad registration carries (Consul's UI shows the
// Nomad logo for it).
const (
	MetaExternalSource = "external-source"
	ExternalSourceName = "nomad"
)

// BuildRegistrations returns the agent registrations of every service of the
// workload, in the order of w.Services. It fails on the first service whose
// address, checks or Connect settings cannot be resolved.
func BuildRegistrations(w *sr.WorkloadServices) ([]*api.AgentServiceRegistration, error) {
	regs := make([]*api.AgentServiceRegistration, 0, len(w.Services))
	for _, svc := range w.Services {
		reg, err := BuildRegistration(w, svc)
		if err != nil {
			return nil, err
		}
		regs = append(regs, reg)
	}
	return regs, nil
}

// BuildRegistration returns the agent registration of one service of w.
func BuildRegistration(w *sr.WorkloadServices, svc *structs.Service) (*api.AgentServiceRegistration, error) {
	id := sr.MakeAllocServiceID(w.AllocID, w.Task, svc)
	addr, port, err := sr.GetAddress(svc.AddressMode, svc.PortLabel, w.Ports, w.NetworkStatus, w.HostIP)
	if err != nil {
		return nil, fmt.Errorf("unable to get address for service %q: %w", svc.Name, err)
	}
	checks, err := buildChecks(id, w, svc)
	if err != nil {
		return nil, err
	}
	connect, err := buildConnect(id, w, svc)
	if err != nil {
		return nil, fmt.Errorf("invalid Consul Connect configuration for service %q: %w", svc.Name, err)
	}
	return &api.AgentServiceRegistration{
		ID:                id,
		Name:              svc.Name,
		Tags:              serviceTags(svc, w.Canary),
		Port:              port,
		Address:           addr,
		EnableTagOverride: svc.EnableTagOverride,
		Meta:              serviceMeta(svc, w.Canary),
		Checks:            checks,
		Connect:           connect,
	}, nil
}

// serviceTags returns the canary tags for a canary that has some, else the tags.
func serviceTags(svc *structs.Service, canary bool) []string {
	if canary && len(svc.CanaryTags) > 0 {
		return slices.Clone(svc.CanaryTags)
	}
	return slices.Clone(svc.Tags)
}

// serviceMeta returns the service's meta, overlaid with its canary meta for a
// canary, plus external-source = nomad.
func serviceMeta(svc *structs.Service, canary bool) map[string]string {
	meta := make(map[string]string, len(svc.Meta)+1)
	maps.Copy(meta, svc.Meta)
	if canary {
		maps.Copy(meta, svc.CanaryMeta)
	}
	meta[MetaExternalSource] = ExternalSourceName
	return meta
}
