package network

import (
	"testing"

	"github.com/shoenig/test/must"

	"github.com/netnomad/netnomad/nomad/structs"
)

func TestPortMappings(t *testing.T) {
	both := func(host, to int) []PortMapping {
		return []PortMapping{{HostPort: host, ContainerPort: to, Protocol: "tcp"}, {HostPort: host, ContainerPort: to, Protocol: "udp"}}
	}
	cases := []struct {
		name  string
		alloc *structs.Allocation
		want  []PortMapping
	}{
		{name: "nil alloc", alloc: nil, want: nil},
		{name: "to set", alloc: allocWithPorts(structs.AllocatedPortMapping{Label: "http", Value: 28080, To: 8080}), want: both(28080, 8080)},
		{name: "to unset", alloc: allocWithPorts(structs.AllocatedPortMapping{Label: "http", Value: 28080}), want: both(28080, 28080)},
		{name: "to -1", alloc: allocWithPorts(structs.AllocatedPortMapping{Label: "proxy", Value: 25000, To: -1}), want: both(25000, 25000)},
		{name: "two ports", alloc: allocWithPorts(
			structs.AllocatedPortMapping{Label: "a", Value: 1, To: 2},
			structs.AllocatedPortMapping{Label: "b", Value: 3, To: 4}),
			want: append(both(1, 2), both(3, 4)...)},
		{name: "fallback to group network", alloc: &structs.Allocation{AllocatedResources: &structs.AllocatedResources{
			Shared: structs.AllocatedSharedResources{Networks: structs.NetworkResources{{
				Mode:          "bridge",
				ReservedPorts: []structs.Port{{Label: "s", Value: 9000, To: 90}},
				DynamicPorts:  []structs.Port{{Label: "d", Value: 21000}},
			}}},
		}}, want: append(both(9000, 90), both(21000, 21000)...)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			must.Eq(t, tc.want, portMappings(tc.alloc))
		})
	}
}

func allocWithPorts(ports ...structs.AllocatedPortMapping) *structs.Allocation {
	return &structs.Allocation{AllocatedResources: &structs.AllocatedResources{
		Shared: structs.AllocatedSharedResources{Ports: ports},
	}}
}
