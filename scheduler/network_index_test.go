package scheduler

import (
	"testing"

	"github.com/netnomad/netnomad/nomad/structs"
	"github.com/shoenig/test/must"
)

func TestNetworkIndex_AssignPorts(t *testing.T) {
	allocWithPorts := func(ports ...int) *structs.Allocation {
		var rp []structs.Port
		for _, p := range ports {
			rp = append(rp, structs.Port{Label: "p", Value: p})
		}
		return &structs.Allocation{
			DesiredStatus: structs.AllocDesiredStatusRun,
			ClientStatus:  structs.AllocClientStatusRunning,
			AllocatedResources: &structs.AllocatedResources{
				Shared: structs.AllocatedSharedResources{Networks: structs.NetworkResources{{DynamicPorts: rp}}},
			},
		}
	}
	cases := []struct {
		name    string
		node    func(*structs.Node)
		allocs  []*structs.Allocation
		ask     *structs.NetworkResource
		wantErr string
		check   func(t *testing.T, offer *structs.NetworkResource)
	}{
		{
			name: "static port free",
			ask:  &structs.NetworkResource{ReservedPorts: []structs.Port{{Label: "http", Value: 8080}}},
			check: func(t *testing.T, offer *structs.NetworkResource) {
				must.Eq(t, 8080, offer.ReservedPorts[0].Value)
				must.Eq(t, "192.168.0.1", offer.IP)
			},
		},
		{
			name:    "static port used by alloc",
			allocs:  []*structs.Allocation{allocWithPorts(8080)},
			ask:     &structs.NetworkResource{ReservedPorts: []structs.Port{{Label: "http", Value: 8080}}},
			wantErr: "reserved port collision http=8080",
		},
		{
			name:    "static port reserved by node",
			node:    func(n *structs.Node) { n.ReservedResources.ReservedPorts = "22, 8000-8100" },
			ask:     &structs.NetworkResource{ReservedPorts: []structs.Port{{Label: "http", Value: 8080}}},
			wantErr: "reserved port collision http=8080",
		},
		{
			name:    "static port asked twice",
			ask:     &structs.NetworkResource{ReservedPorts: []structs.Port{{Label: "a", Value: 80}, {Label: "b", Value: 80}}},
			wantErr: "reserved port collision b=80",
		},
		{
			name: "terminal alloc frees its port",
			allocs: func() []*structs.Allocation {
				a := allocWithPorts(8080)
				a.DesiredStatus = structs.AllocDesiredStatusStop
				return []*structs.Allocation{a}
			}(),
			ask: &structs.NetworkResource{ReservedPorts: []structs.Port{{Label: "http", Value: 8080}}},
		},
		{
			name: "dynamic ports avoid used and each other",
			node: func(n *structs.Node) {
				n.NodeResources.MinDynamicPort, n.NodeResources.MaxDynamicPort = 20000, 20003
			},
			allocs: []*structs.Allocation{allocWithPorts(20000, 20002)},
			ask:    &structs.NetworkResource{DynamicPorts: []structs.Port{{Label: "a"}, {Label: "b", To: -1}}},
			check: func(t *testing.T, offer *structs.NetworkResource) {
				got := []int{offer.DynamicPorts[0].Value, offer.DynamicPorts[1].Value}
				must.SliceContainsAll(t, []int{20001, 20003}, got)
				must.Eq(t, offer.DynamicPorts[1].Value, offer.DynamicPorts[1].To)
				must.Eq(t, 0, offer.DynamicPorts[0].To)
			},
		},
		{
			name: "dynamic range exhausted",
			node: func(n *structs.Node) {
				n.NodeResources.MinDynamicPort, n.NodeResources.MaxDynamicPort = 20000, 20001
			},
			allocs:  []*structs.Allocation{allocWithPorts(20000)},
			ask:     &structs.NetworkResource{DynamicPorts: []structs.Port{{Label: "a"}, {Label: "b"}}},
			wantErr: "dynamic port selection failed",
		},
		{
			name: "dynamic port skips static port of same ask",
			node: func(n *structs.Node) {
				n.NodeResources.MinDynamicPort, n.NodeResources.MaxDynamicPort = 20000, 20001
			},
			ask: &structs.NetworkResource{
				ReservedPorts: []structs.Port{{Label: "s", Value: 20000}},
				DynamicPorts:  []structs.Port{{Label: "d"}},
			},
			check: func(t *testing.T, offer *structs.NetworkResource) {
				must.Eq(t, 20001, offer.DynamicPorts[0].Value)
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			node := testNode(1)
			if tc.node != nil {
				tc.node(node)
			}
			idx := NewNetworkIndex(node)
			idx.AddAllocs(tc.allocs)
			offer, err := idx.AssignPorts(tc.ask)
			if tc.wantErr != "" {
				must.EqError(t, err, tc.wantErr)
				return
			}
			must.NoError(t, err)
			if tc.check != nil {
				tc.check(t, offer)
			}
			// Offered ports are now taken.
			for _, p := range offer.Ports() {
				must.True(t, idx.Used(p.Value))
			}
		})
	}
}

func TestNetworkIndex_AssignPortsTwiceInOneAlloc(t *testing.T) {
	node := testNode(1)
	node.NodeResources.MinDynamicPort, node.NodeResources.MaxDynamicPort = 25000, 25001
	idx := NewNetworkIndex(node)
	ask := &structs.NetworkResource{DynamicPorts: []structs.Port{{Label: "a"}}}
	o1, err := idx.AssignPorts(ask)
	must.NoError(t, err)
	o2, err := idx.AssignPorts(ask)
	must.NoError(t, err)
	must.NotEq(t, o1.DynamicPorts[0].Value, o2.DynamicPorts[0].Value)
	_, err = idx.AssignPorts(ask)
	must.EqError(t, err, "dynamic port selection failed")
}

func TestNetworkIndex_HostIP(t *testing.T) {
	node := testNode(4)
	must.Eq(t, "192.168.0.4", NewNetworkIndex(node).HostIP())
	node.NodeResources.Networks = structs.NetworkResources{{Mode: structs.NetworkModeBridge}}
	node.Attributes["unique.network.ip-address"] = "10.0.0.4"
	must.Eq(t, "10.0.0.4", NewNetworkIndex(node).HostIP(), must.Sprint("falls back to the fingerprinted address"))
}

func TestParsePortRanges(t *testing.T) {
	cases := []struct {
		spec    string
		want    []int
		wantErr bool
	}{
		{spec: "22", want: []int{22}},
		{spec: "22, 80,8000-8002", want: []int{22, 80, 8000, 8001, 8002}},
		{spec: "", want: nil},
		{spec: "abc", wantErr: true},
		{spec: "10-5", wantErr: true},
		{spec: "70000", wantErr: true},
	}
	for _, tc := range cases {
		t.Run(tc.spec, func(t *testing.T) {
			got, err := ParsePortRanges(tc.spec)
			if tc.wantErr {
				must.Error(t, err)
				return
			}
			must.NoError(t, err)
			must.Eq(t, tc.want, got)
		})
	}
}
