package nomad

import (
	"testing"

	"github.com/google/uuid"
	"github.com/netnomad/netnomad/nomad/mock"
	"github.com/netnomad/netnomad/nomad/structs"
	"github.com/shoenig/test/must"
)

// portAlloc is mock.Alloc() on node with static port http=port and the given CPU.
func portAlloc(node *structs.Node, port int, cpu int64) *structs.Allocation {
	a := mock.Alloc()
	a.NodeID = node.ID
	net := a.AllocatedResources.Shared.Networks[0]
	net.ReservedPorts = []structs.Port{{Label: "http", Value: port, To: 80}}
	net.DynamicPorts = nil
	a.AllocatedResources.Shared.Ports = structs.AllocatedPorts{{Label: "http", Value: port, To: 80, HostIP: net.IP}}
	a.AllocatedResources.Tasks["web"].CPUShares = cpu
	return a
}

func planFor(allocs ...*structs.Allocation) *structs.Plan {
	p := &structs.Plan{EvalID: uuid.NewString(), Job: allocs[0].Job}
	for _, a := range allocs {
		p.AppendAlloc(a)
	}
	return p
}

func TestPlanApply(t *testing.T) {
	cases := []struct {
		name string
		// setup registers what is committed before the plan under test.
		setup      func(t *testing.T, s *Server, node *structs.Node)
		plan       func(s *Server, node *structs.Node) *structs.Plan
		wantCommit bool
	}{
		{
			name: "fits",
			plan: func(s *Server, n *structs.Node) *structs.Plan { return planFor(portAlloc(n, 8080, 500)) },

			wantCommit: true,
		},
		{
			name: "port taken by a committed alloc",
			setup: func(t *testing.T, s *Server, n *structs.Node) {
				res, err := s.planner.apply(planFor(portAlloc(n, 8080, 500)))
				must.NoError(t, err)
				must.Len(t, 1, res.NodeAllocation[n.ID])
			},
			plan: func(s *Server, n *structs.Node) *structs.Plan { return planFor(portAlloc(n, 8080, 500)) },
		},
		{
			name: "two allocs of one plan on one port",
			plan: func(s *Server, n *structs.Node) *structs.Plan {
				return planFor(portAlloc(n, 9000, 500), portAlloc(n, 9000, 500))
			},
		},
		{
			name: "port reserved by the node",
			plan: func(s *Server, n *structs.Node) *structs.Plan { return planFor(portAlloc(n, 22, 500)) },
		},
		{
			name: "cpu exhausted",
			plan: func(s *Server, n *structs.Node) *structs.Plan { return planFor(portAlloc(n, 8080, 5000)) },
		},
		{
			name: "node down",
			setup: func(t *testing.T, s *Server, n *structs.Node) {
				must.NoError(t, s.setNodeStatus(n.ID, structs.NodeStatusDown))
			},
			plan: func(s *Server, n *structs.Node) *structs.Plan { return planFor(portAlloc(n, 8080, 500)) },
		},
		{
			name: "port freed by a stop in the same plan",
			setup: func(t *testing.T, s *Server, n *structs.Node) {
				_, err := s.planner.apply(planFor(portAlloc(n, 8080, 500)))
				must.NoError(t, err)
			},
			plan: func(s *Server, n *structs.Node) *structs.Plan {
				p := planFor(portAlloc(n, 8080, 500))
				allocs, _ := s.State().AllocsByNode(nil, n.ID)
				p.AppendStoppedAlloc(allocs[0], "alloc not needed due to job update", "")
				return p
			},
			wantCommit: true,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := testServer(t, nil)
			node := mock.Node()
			_, err := s.NodeRegister(node)
			must.NoError(t, err)
			if tc.setup != nil {
				tc.setup(t, s, node)
			}
			before, _ := s.State().AllocsByNode(nil, node.ID)
			plan := tc.plan(s, node)
			placing := plan.NodeAllocation[node.ID]

			res, err := s.planner.apply(plan)
			must.NoError(t, err)
			after, _ := s.State().AllocsByNode(nil, node.ID)
			if tc.wantCommit {
				must.Eq(t, len(placing), len(res.NodeAllocation[node.ID]))
				must.Positive(t, res.AllocIndex)
				must.Eq(t, uint64(0), res.RefreshIndex)
				got, _ := s.State().AllocByID(nil, placing[0].ID)
				must.NotNil(t, got)
				must.NotNil(t, got.Job)
				return
			}
			must.Len(t, 0, res.NodeAllocation[node.ID])
			must.Positive(t, res.RefreshIndex)
			must.Eq(t, len(before), len(after))
		})
	}
}
