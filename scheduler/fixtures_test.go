package scheduler

import (
	"fmt"
	"testing"

	"github.com/google/uuid"
	"github.com/netnomad/netnomad/nomad/structs"
	"github.com/shoenig/test/must"
)

// testNode returns a ready node in dc1 with 4000 MHz, 8192 MB, raw_exec and a host
// network on 192.168.0.<n>.
func testNode(n int) *structs.Node {
	return &structs.Node{
		ID:         uuid.NewString(),
		Name:       fmt.Sprintf("node-%d", n),
		Datacenter: "dc1",
		Attributes: map[string]string{
			"kernel.name":               "linux",
			"unique.network.ip-address": fmt.Sprintf("192.168.0.%d", n),
		},
		Meta:      map[string]string{},
		NodeClass: "",
		NodeResources: &structs.NodeResources{
			CPUShares: 4000,
			MemoryMB:  8192,
			DiskMB:    100 * 1024,
			Networks: structs.NetworkResources{
				{Mode: structs.NetworkModeHost, Device: "eth0", IP: fmt.Sprintf("192.168.0.%d", n)},
			},
		},
		ReservedResources: &structs.NodeReservedResources{CPUShares: 100, MemoryMB: 256},
		Drivers: map[string]*structs.DriverInfo{
			"raw_exec": {Detected: true, Healthy: true},
		},
		SchedulingEligibility: structs.NodeSchedulingEligible,
		Status:                structs.NodeStatusReady,
	}
}

// bridgeNode is testNode with bridge networking fingerprinted.
func bridgeNode(n int) *structs.Node {
	node := testNode(n)
	node.NodeResources.Networks = append(node.NodeResources.Networks, &structs.NetworkResource{Mode: structs.NetworkModeBridge})
	return node
}

// testJob returns a service job "web" with one group "web" of count allocations
// running one raw_exec task (500 MHz, 256 MB).
func testJob(count int) *structs.Job {
	job := &structs.Job{
		ID:          "web",
		Name:        "web",
		Namespace:   structs.DefaultNamespace,
		Region:      structs.DefaultRegion,
		Type:        structs.JobTypeService,
		Priority:    50,
		Datacenters: []string{"dc1"},
		TaskGroups: []*structs.TaskGroup{{
			Name:  "web",
			Count: count,
			Tasks: []*structs.Task{{
				Name:      "server",
				Driver:    "raw_exec",
				Config:    map[string]any{"command": "/bin/sleep", "args": []any{"1000"}},
				Resources: &structs.Resources{CPU: 500, MemoryMB: 256},
			}},
		}},
		Status:         structs.JobStatusPending,
		Version:        0,
		JobModifyIndex: 1,
	}
	return job
}

// testEval returns a job-register evaluation of job.
func testEval(job *structs.Job) *structs.Evaluation {
	return &structs.Evaluation{
		ID:             uuid.NewString(),
		Namespace:      job.Namespace,
		Priority:       job.Priority,
		Type:           job.Type,
		TriggeredBy:    structs.EvalTriggerJobRegister,
		JobID:          job.ID,
		JobModifyIndex: job.JobModifyIndex,
		Status:         structs.EvalStatusPending,
	}
}

// newTestHarness returns a harness with the nodes and the job registered.
func newTestHarness(t *testing.T, job *structs.Job, nodes ...*structs.Node) *Harness {
	t.Helper()
	h := NewHarness(nil)
	for _, n := range nodes {
		h.State.UpsertNode(n)
	}
	if job != nil {
		h.State.UpsertJob(job)
	}
	return h
}

// runEval processes a fresh evaluation of job and returns the eval update.
func runEval(t *testing.T, h *Harness, job *structs.Job) *structs.Evaluation {
	t.Helper()
	must.NoError(t, h.Process(job.Type, testEval(job)))
	ev := h.LastEval()
	must.NotNil(t, ev)
	return ev
}

// planAllocs flattens the placements of a plan.
func planAllocs(p *structs.Plan) []*structs.Allocation {
	if p == nil {
		return nil
	}
	var out []*structs.Allocation
	for _, list := range p.NodeAllocation {
		out = append(out, list...)
	}
	return out
}

// planStops flattens the stops of a plan.
func planStops(p *structs.Plan) []*structs.Allocation {
	if p == nil {
		return nil
	}
	var out []*structs.Allocation
	for _, list := range p.NodeUpdate {
		out = append(out, list...)
	}
	return out
}

// liveAllocs returns the job's allocations the state says should run.
func liveAllocs(t *testing.T, h *Harness, job *structs.Job) []*structs.Allocation {
	t.Helper()
	all, err := h.State.AllocsByJob(job.Namespace, job.ID)
	must.NoError(t, err)
	var out []*structs.Allocation
	for _, a := range all {
		if !a.TerminalStatus() {
			out = append(out, a)
		}
	}
	return out
}

// bumpJob returns a new version of job after mutate.
func bumpJob(job *structs.Job, mutate func(*structs.Job)) *structs.Job {
	next := job.Copy()
	mutate(next)
	next.Version = job.Version + 1
	next.JobModifyIndex = job.JobModifyIndex + 10
	return next
}
