package network

import "github.com/netnomad/netnomad/nomad/structs"

// PortMapping is one entry of the portMappings capability handed to portmap.
type PortMapping struct {
	HostPort      int    `json:"hostPort"`
	ContainerPort int    `json:"containerPort"`
	Protocol      string `json:"protocol"`
	HostIP        string `json:"hostIP,omitempty"`
}

// portMappings lists every group port of alloc for both tcp and udp: host port =
// Value, container port = To, or Value when To < 1 (Nomad 0.12+). The source is
// AllocatedResources.Shared.Ports, falling back to the group network's ports for
// allocations that predate it. HostIP is left empty so the port answers on every
// host address, 127.0.0.1 included (Nomad's bind_wildcard_default_host_network).
func portMappings(alloc *structs.Allocation) []PortMapping {
	if alloc == nil || alloc.AllocatedResources == nil {
		return nil
	}
	shared := alloc.AllocatedResources.Shared
	type pair struct{ value, to int }
	var ports []pair
	if len(shared.Ports) > 0 {
		for _, p := range shared.Ports {
			ports = append(ports, pair{p.Value, p.To})
		}
	} else {
		for _, n := range shared.Networks {
			for _, p := range n.Ports() {
				ports = append(ports, pair{p.Value, p.To})
			}
		}
	}
	out := make([]PortMapping, 0, 2*len(ports))
	for _, p := range ports {
		if p.value <= 0 {
			continue
		}
		to := p.to
		if to < 1 {
			to = p.value
		}
		for _, proto := range []string{"tcp", "udp"} {
			out = append(out, PortMapping{HostPort: p.value, ContainerPort: to, Protocol: proto})
		}
	}
	return out
}
