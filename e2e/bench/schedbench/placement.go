package main

import (
	"fmt"
	"time"

	"github.com/hashicorp/nomad/api"
)

// benchJob is the job both paths place: a service job of count allocations in
// dc1, one raw_exec task (500 MHz, 256 MB) whose group has a host-mode network
// with one dynamic port. Host mode, not bridge: the simulated nodes have no
// bridge to offer.
func benchJob(id string, count int) *api.Job {
	job := api.NewServiceJob(id, id, "global", 50)
	job.Datacenters = []string{"dc1"}
	task := api.NewTask("server", "raw_exec").
		SetConfig("command", "/bin/sleep").
		SetConfig("args", []string{"1000"}).
		Require(&api.Resources{CPU: intp(500), MemoryMB: intp(256)})
	group := api.NewTaskGroup("web", count).AddTask(task)
	group.Networks = []*api.NetworkResource{{
		Mode:         "host",
		DynamicPorts: []api.Port{{Label: "http"}},
	}}
	job.AddTaskGroup(group)
	return job
}

func intp(v int) *int { return &v }

// placement is what one submission through the API measured.
type placement struct {
	jobID string
	// placed is from the start of the register call until every allocation is
	// placed (desired run, on a node) as seen through the API.
	placed time.Duration
	// register is the register call alone (admission, raft write of job + eval).
	register time.Duration
	// evalTotal is the eval's own record: created (with the job) to complete
	// (scheduled and its plan applied), queueing in the broker included.
	evalTotal time.Duration
	n         int
}

func (p placement) perSecond() float64 { return float64(p.n) / p.placed.Seconds() }

// placeJob submits a fresh job of n allocations, waits with blocking queries
// until all are placed and the eval is complete, then purges the job and waits
// for the purge's eval, so runs do not overlap.
func (c *cluster) placeJob(id string, n int, timeout time.Duration) (placement, error) {
	p := placement{jobID: id, n: n}
	job := benchJob(id, n)
	start := time.Now()
	resp, _, err := c.api.Jobs().Register(job, nil)
	if err != nil {
		return p, fmt.Errorf("failed to register job %q: %w", id, err)
	}
	p.register = time.Since(start)

	deadline := start.Add(timeout)
	index := resp.EvalCreateIndex
	for {
		stubs, meta, err := c.api.Jobs().Allocations(id, false, &api.QueryOptions{WaitIndex: index, WaitTime: 10 * time.Second})
		if err != nil {
			return p, fmt.Errorf("failed to list allocations of %q: %w", id, err)
		}
		placed := 0
		for _, s := range stubs {
			if s.DesiredStatus == api.AllocDesiredStatusRun && s.NodeID != "" {
				placed++
			}
		}
		if placed >= n {
			p.placed = time.Since(start)
			break
		}
		if time.Now().After(deadline) {
			return p, fmt.Errorf("only %d of %d allocations of %q placed after %s", placed, n, id, timeout)
		}
		index = meta.LastIndex
	}

	eval, err := c.waitEvalDone(resp.EvalID, deadline)
	if err != nil {
		return p, err
	}
	if eval.Status != api.EvalStatusComplete {
		return p, fmt.Errorf("evaluation %s of %q ended %q: %s", eval.ID, id, eval.Status, eval.StatusDescription)
	}
	p.evalTotal = time.Duration(eval.ModifyTime - eval.CreateTime)

	purgeEval, _, err := c.api.Jobs().Deregister(id, true, nil)
	if err != nil {
		return p, fmt.Errorf("failed to purge job %q: %w", id, err)
	}
	if purgeEval != "" {
		if _, err := c.waitEvalDone(purgeEval, time.Now().Add(timeout)); err != nil {
			return p, fmt.Errorf("purge of %q: %w", id, err)
		}
	}
	return p, nil
}

// waitEvalDone waits with blocking queries until the evaluation is terminal.
func (c *cluster) waitEvalDone(id string, deadline time.Time) (*api.Evaluation, error) {
	var index uint64
	for {
		eval, meta, err := c.api.Evaluations().Info(id, &api.QueryOptions{WaitIndex: index, WaitTime: 10 * time.Second})
		if err != nil {
			return nil, fmt.Errorf("failed to read evaluation %s: %w", id, err)
		}
		switch eval.Status {
		case api.EvalStatusComplete, api.EvalStatusFailed, api.EvalStatusCancelled:
			return eval, nil
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("evaluation %s still %q at the deadline", id, eval.Status)
		}
		index = meta.LastIndex
	}
}
