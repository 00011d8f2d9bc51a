package scheduler

import (
	"testing"
	"time"

	"github.com/netnomad/netnomad/nomad/structs"
)

// benchCluster returns n bridge-capable nodes spread over three datacenters.
func benchCluster(n int) []*structs.Node {
	dcs := []string{"dc1", "dc2", "dc3"}
	nodes := make([]*structs.Node, n)
	for i := range nodes {
		node := bridgeNode(i % 250)
		node.Datacenter = dcs[i%len(dcs)]
		nodes[i] = node
	}
	return nodes
}

// benchJob is a service job of count allocations whose group network has one
// dynamic port and one dynamic port mapped to a fixed `to`.
func benchJob(count int) *structs.Job {
	job := testJob(count)
	job.Datacenters = []string{"*"}
	job.TaskGroups[0].Networks = structs.NetworkResources{{
		Mode:         structs.NetworkModeBridge,
		DynamicPorts: []structs.Port{{Label: "metrics"}, {Label: "http", To: 8080}},
	}}
	return job
}

func BenchmarkServiceJob1000On5000Nodes(b *testing.B) {
	const allocs = 1000
	nodes := benchCluster(5000)
	job := benchJob(allocs)
	// CPU time is reported too: on a shared machine wall time mostly measures the
	// neighbours. It includes the garbage collector's background work.
	var cpu time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		state := NewMemState()
		for _, n := range nodes {
			state.UpsertNode(n)
		}
		state.UpsertJob(job)
		h := NewHarness(state)
		eval := testEval(job)
		b.StartTimer()
		cpuStart := processCPUTime()

		if err := h.Process(job.Type, eval); err != nil {
			b.Fatal(err)
		}

		cpu += processCPUTime() - cpuStart
		b.StopTimer()
		if got := len(planAllocs(h.LastPlan())); got != allocs {
			b.Fatalf("placed %d allocations, want %d", got, allocs)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(allocs*b.N)/b.Elapsed().Seconds(), "placements/s")
	if cpu > 0 {
		b.ReportMetric(float64(allocs*b.N)/cpu.Seconds(), "placements/cpu-s")
	}
}

// TestBenchScenarioPlacesEverything checks the benchmark's scenario once: every
// allocation is placed, spread over many nodes, and no node hands a host port out
// twice.
func TestBenchScenarioPlacesEverything(t *testing.T) {
	nodes := benchCluster(5000)
	job := benchJob(1000)
	h := newTestHarness(t, job, nodes...)
	ev := runEval(t, h, job)
	if len(ev.FailedTGAllocs) != 0 {
		t.Fatalf("failed placements: %v", ev.FailedTGAllocs)
	}
	allocs := planAllocs(h.LastPlan())
	if len(allocs) != 1000 {
		t.Fatalf("placed %d allocations, want 1000", len(allocs))
	}
	perNode := map[string]map[int]bool{}
	for _, a := range allocs {
		ports := perNode[a.NodeID]
		if ports == nil {
			ports = map[int]bool{}
			perNode[a.NodeID] = ports
		}
		for _, p := range a.AllocatedResources.Shared.Ports {
			if ports[p.Value] {
				t.Fatalf("port %d given twice on node %s", p.Value, a.NodeID)
			}
			ports[p.Value] = true
		}
		if http, _ := a.AllocatedResources.Shared.Ports.Get("http"); http.To != 8080 {
			t.Fatalf("http port maps to %d, want 8080", http.To)
		}
	}
	if len(perNode) < 100 {
		t.Fatalf("1000 allocations landed on only %d nodes", len(perNode))
	}
}
