package scheduler

import (
	"testing"

	"github.com/netnomad/netnomad/nomad/structs"
	"github.com/shoenig/test/must"
)

// portJob is testJob with small asks (so many fit on a node) and a group network.
func portJob(count int, net *structs.NetworkResource) *structs.Job {
	job := testJob(count)
	job.TaskGroups[0].Tasks[0].Resources = &structs.Resources{CPU: 10, MemoryMB: 10}
	if net != nil {
		job.TaskGroups[0].Networks = structs.NetworkResources{net}
	}
	return job
}

func TestGenericSched_StaticPortCollision(t *testing.T) {
	static := func() *structs.NetworkResource {
		return &structs.NetworkResource{ReservedPorts: []structs.Port{{Label: "http", Value: 8080}}}
	}
	t.Run("second alloc goes to another node", func(t *testing.T) {
		job := portJob(2, static())
		h := newTestHarness(t, job, testNode(1), testNode(2))
		ev := runEval(t, h, job)
		must.MapEmpty(t, ev.FailedTGAllocs)
		allocs := planAllocs(h.LastPlan())
		must.Len(t, 2, allocs)
		must.NotEq(t, allocs[0].NodeID, allocs[1].NodeID)
		for _, a := range allocs {
			p, ok := a.AllocatedResources.Shared.Ports.Get("http")
			must.True(t, ok)
			must.Eq(t, 8080, p.Value)
		}
	})
	t.Run("one node fails with the collision dimension", func(t *testing.T) {
		job := portJob(3, static())
		h := newTestHarness(t, job, testNode(1))
		ev := runEval(t, h, job)
		must.Len(t, 1, planAllocs(h.LastPlan()))
		m := ev.FailedTGAllocs["web"]
		must.NotNil(t, m)
		must.Eq(t, 1, m.NodesExhausted)
		must.Eq(t, map[string]int{"network: reserved port collision http=8080": 1}, m.DimensionExhausted)
		must.Eq(t, 1, m.CoalescedFailures)
		must.Eq(t, 2, ev.QueuedAllocations["web"])
		must.Len(t, 1, h.CreateEvals)
	})
	t.Run("port held by another job in state", func(t *testing.T) {
		other := portJob(1, static())
		other.ID, other.Name = "other", "other"
		n1, n2 := testNode(1), testNode(2)
		h := newTestHarness(t, other, n1)
		runEval(t, h, other)
		must.Len(t, 1, liveAllocs(t, h, other))

		job := portJob(1, static())
		h.State.UpsertJob(job)
		h.State.UpsertNode(n2)
		ev := runEval(t, h, job)
		must.MapEmpty(t, ev.FailedTGAllocs)
		allocs := planAllocs(h.LastPlan())
		must.Len(t, 1, allocs)
		must.Eq(t, n2.ID, allocs[0].NodeID)
	})
	t.Run("node reserved port", func(t *testing.T) {
		n1 := testNode(1)
		n1.ReservedResources.ReservedPorts = "22,8000-8100"
		job := portJob(1, static())
		h := newTestHarness(t, job, n1)
		ev := runEval(t, h, job)
		must.Eq(t, map[string]int{"network: reserved port collision http=8080": 1}, ev.FailedTGAllocs["web"].DimensionExhausted)
	})
}

func TestGenericSched_DynamicPortsUniqueOnNode(t *testing.T) {
	job := portJob(100, &structs.NetworkResource{
		Mode:         structs.NetworkModeBridge,
		DynamicPorts: []structs.Port{{Label: "http", To: 8080}, {Label: "admin"}},
	})
	job.TaskGroups[0].Tasks[0].Resources.Networks = structs.NetworkResources{{
		DynamicPorts: []structs.Port{{Label: "metrics"}},
	}}
	n1 := bridgeNode(1)
	n1.NodeResources.MinDynamicPort = 30000
	n1.NodeResources.MaxDynamicPort = 30399 // 400 ports, 300 needed
	h := newTestHarness(t, job, n1)
	ev := runEval(t, h, job)
	must.MapEmpty(t, ev.FailedTGAllocs)

	seen := map[int]string{}
	for _, a := range planAllocs(h.LastPlan()) {
		ports := []int{}
		for _, p := range a.AllocatedResources.Shared.Ports {
			ports = append(ports, p.Value)
		}
		for _, n := range a.AllocatedResources.Tasks["server"].Networks {
			for _, p := range n.DynamicPorts {
				ports = append(ports, p.Value)
			}
		}
		must.Len(t, 3, ports)
		for _, p := range ports {
			must.Between(t, 30000, p, 30399)
			prev, dup := seen[p]
			must.False(t, dup, must.Sprintf("port %d given to %s and %s", p, prev, a.Name))
			seen[p] = a.Name
		}
	}
	must.MapLen(t, 300, seen)

	// 100 ports are left: 33 more allocations fit, the 34th does not.
	job2 := bumpJob(job, func(j *structs.Job) { j.TaskGroups[0].Count = 133 })
	h.State.UpsertJob(job2)
	ev = runEval(t, h, job2)
	must.MapEmpty(t, ev.FailedTGAllocs)
	job3 := bumpJob(job2, func(j *structs.Job) { j.TaskGroups[0].Count = 134 })
	h.State.UpsertJob(job3)
	ev = runEval(t, h, job3)
	m := ev.FailedTGAllocs["web"]
	must.NotNil(t, m)
	must.Eq(t, map[string]int{"network: dynamic port selection failed": 1}, m.DimensionExhausted)
}

func TestGenericSched_PortMappings(t *testing.T) {
	job := portJob(1, &structs.NetworkResource{
		Mode:          structs.NetworkModeBridge,
		ReservedPorts: []structs.Port{{Label: "http", Value: 8080, To: 80}},
		DynamicPorts: []structs.Port{
			{Label: "connect-proxy-web", To: -1},
			{Label: "metrics"},
		},
	})
	n1 := bridgeNode(7)
	h := newTestHarness(t, job, n1)
	ev := runEval(t, h, job)
	must.MapEmpty(t, ev.FailedTGAllocs)
	allocs := planAllocs(h.LastPlan())
	must.Len(t, 1, allocs)
	ar := allocs[0].AllocatedResources

	must.Len(t, 3, ar.Shared.Ports)
	http, ok := ar.Shared.Ports.Get("http")
	must.True(t, ok)
	must.Eq(t, structs.AllocatedPortMapping{Label: "http", Value: 8080, To: 80, HostIP: "192.168.0.7"}, http)
	proxy, ok := ar.Shared.Ports.Get("connect-proxy-web")
	must.True(t, ok)
	must.Between(t, structs.DefaultMinDynamicPort, proxy.Value, structs.DefaultMaxDynamicPort)
	must.Eq(t, proxy.Value, proxy.To, must.Sprint("to = -1 resolves to the host port"))
	must.Eq(t, "192.168.0.7", proxy.HostIP)
	metrics, ok := ar.Shared.Ports.Get("metrics")
	must.True(t, ok)
	must.Eq(t, 0, metrics.To, must.Sprint("to = 0 stays 0"))
	must.NotEq(t, proxy.Value, metrics.Value)

	must.Len(t, 1, ar.Shared.Networks)
	net := ar.Shared.Networks[0]
	must.Eq(t, structs.NetworkModeBridge, net.Mode)
	must.Eq(t, "192.168.0.7", net.IP)
	must.Eq(t, proxy.Value, net.DynamicPorts[0].Value)
	must.Eq(t, proxy.Value, net.DynamicPorts[0].To)
	must.Eq(t, metrics.Value, net.DynamicPorts[1].Value)

	// The job's own ask is untouched.
	must.Eq(t, 0, job.TaskGroups[0].Networks[0].DynamicPorts[0].Value)
	must.Eq(t, -1, job.TaskGroups[0].Networks[0].DynamicPorts[0].To)
}

func TestGenericSched_TaskNetworkPorts(t *testing.T) {
	job := portJob(2, nil)
	job.TaskGroups[0].Tasks[0].Resources.Networks = structs.NetworkResources{{
		MBits:         10,
		ReservedPorts: []structs.Port{{Label: "admin", Value: 9000}},
		DynamicPorts:  []structs.Port{{Label: "http"}},
	}}
	n1 := testNode(3)
	h := newTestHarness(t, job, n1)
	ev := runEval(t, h, job)
	// The static port fits once on the single node.
	must.Len(t, 1, planAllocs(h.LastPlan()))
	must.Eq(t, map[string]int{"network: reserved port collision admin=9000": 1}, ev.FailedTGAllocs["web"].DimensionExhausted)

	a := planAllocs(h.LastPlan())[0]
	tr := a.AllocatedResources.Tasks["server"]
	must.Len(t, 1, tr.Networks)
	n := tr.Networks[0]
	must.Eq(t, "192.168.0.3", n.IP)
	must.Eq(t, "eth0", n.Device)
	must.Eq(t, 9000, n.ReservedPorts[0].Value)
	must.Between(t, structs.DefaultMinDynamicPort, n.DynamicPorts[0].Value, structs.DefaultMaxDynamicPort)
	must.SliceEmpty(t, a.AllocatedResources.Shared.Ports)
}
