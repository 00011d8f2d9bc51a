package main

import (
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/netnomad/netnomad/command/agent"
	"github.com/netnomad/netnomad/nomad/structs"
	"github.com/netnomad/netnomad/scheduler"
)

// baseline runs the benchmark's job on the same nodes through the scheduler
// alone, in this process: no HTTP, no raft, no eval broker, no plan applier (the
// harness commits every plan in full), as scheduler/bench_test.go does. The job
// takes the server's conversion and canonicalization, so both paths schedule the
// same thing. One warm-up run is not counted. It returns the placements/s of
// each counted run.
func baseline(nodes []*structs.Node, allocs, runs int) ([]float64, error) {
	job := agent.ApiJobToStructs(benchJob("schedbench-baseline", allocs))
	job.Region = structs.DefaultRegion
	job.Canonicalize()
	if err := job.Validate(); err != nil {
		return nil, fmt.Errorf("invalid benchmark job: %w", err)
	}
	var rates []float64
	for i := -1; i < runs; i++ {
		state := scheduler.NewMemState()
		for _, n := range nodes {
			c := n.Copy()
			c.Status = structs.NodeStatusReady // as NodeRegister makes it
			state.UpsertNode(c)
		}
		j := job.Copy()
		state.UpsertJob(j)
		h := scheduler.NewHarness(state)
		eval := &structs.Evaluation{
			ID:             uuid.NewString(),
			Namespace:      j.Namespace,
			Priority:       j.Priority,
			Type:           j.Type,
			TriggeredBy:    structs.EvalTriggerJobRegister,
			JobID:          j.ID,
			JobModifyIndex: j.JobModifyIndex,
			Status:         structs.EvalStatusPending,
		}
		start := time.Now()
		if err := h.Process(j.Type, eval); err != nil {
			return nil, err
		}
		elapsed := time.Since(start)
		placed := 0
		if p := h.LastPlan(); p != nil {
			for _, list := range p.NodeAllocation {
				placed += len(list)
			}
		}
		if placed != allocs {
			return nil, fmt.Errorf("placed %d allocations in-process, want %d", placed, allocs)
		}
		if i >= 0 {
			rates = append(rates, float64(allocs)/elapsed.Seconds())
		}
	}
	return rates, nil
}
