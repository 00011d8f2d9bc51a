package command

import (
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/cli"
	"github.com/hashicorp/nomad/api"
)

const (
	// monitorPollFloor is the least time between two reads of an unfinished
	// evaluation, in case the agent answers blocking queries at once.
	monitorPollFloor = 250 * time.Millisecond
	// monitorBlockTime bounds one blocking query on the evaluation.
	monitorBlockTime = 10 * time.Second
)

// evalState is what the monitor last saw of an evaluation and its allocations.
type evalState struct {
	status     string
	node       string
	job        string
	deployment string
	allocs     map[string]*allocState
	index      uint64
}

type allocState struct {
	id         string
	group      string
	node       string
	desired    string
	client     string
	clientDesc string
	index      uint64
}

func newEvalState() *evalState {
	return &evalState{status: "pending", allocs: map[string]*allocState{}}
}

// monitor follows an evaluation until it is terminal, printing each change as
// Nomad 0.10's monitor does:
//
//	==> Monitoring evaluation "<8ch>"
//	    Evaluation triggered by job "<id>"
//	    Allocation "<8ch>" created: node "<8ch>", group "<g>"
//	    Evaluation status changed: "pending" -> "complete"
//	==> Evaluation "<8ch>" finished with status "complete"
//
// It then follows NextEval, if any. It is not safe for concurrent use.
type monitor struct {
	ui     cli.Ui
	client *api.Client
	state  *evalState
	length int

	// pollFloor is the least time between two reads of a pending evaluation.
	pollFloor time.Duration
}

func newMonitor(ui cli.Ui, client *api.Client, length int) *monitor {
	return &monitor{
		ui: &cli.PrefixedUi{
			InfoPrefix:   "==> ",
			OutputPrefix: "    ",
			ErrorPrefix:  "==> ",
			Ui:           ui,
		},
		client:    client,
		state:     newEvalState(),
		length:    length,
		pollFloor: monitorPollFloor,
	}
}

// update prints the differences between the last state and update, then keeps
// update as the last state.
func (m *monitor) update(update *evalState) {
	existing := m.state
	defer func() { m.state = update }()

	if existing.node == "" && update.node != "" {
		m.ui.Output(fmt.Sprintf("Evaluation triggered by node %q", limit(update.node, m.length)))
	}
	if existing.job == "" && update.job != "" {
		m.ui.Output(fmt.Sprintf("Evaluation triggered by job %q", update.job))
	}
	if existing.deployment == "" && update.deployment != "" {
		m.ui.Output(fmt.Sprintf("Evaluation within deployment: %q", limit(update.deployment, m.length)))
	}

	for _, id := range sortedKeys(update.allocs) {
		alloc := update.allocs[id]
		old, ok := existing.allocs[id]
		switch {
		case !ok && alloc.index < update.index:
			// Created before this evaluation: an existing allocation was updated.
			m.ui.Output(fmt.Sprintf("Allocation %q modified: node %q, group %q",
				limit(alloc.id, m.length), limit(alloc.node, m.length), alloc.group))
		case !ok && alloc.desired == api.AllocDesiredStatusRun:
			m.ui.Output(fmt.Sprintf("Allocation %q created: node %q, group %q",
				limit(alloc.id, m.length), limit(alloc.node, m.length), alloc.group))
		case ok && old.client != alloc.client:
			desc := ""
			if alloc.clientDesc != "" {
				desc = fmt.Sprintf(" (%s)", alloc.clientDesc)
			}
			m.ui.Output(fmt.Sprintf("Allocation %q status changed: %q -> %q%s",
				limit(alloc.id, m.length), old.client, alloc.client, desc))
		}
	}

	if existing.status != "" && update.status != "pending" && existing.status != update.status {
		m.ui.Output(fmt.Sprintf("Evaluation status changed: %q -> %q", existing.status, update.status))
	}
}

// monitor follows evalID and returns the exit code: 0 when every allocation was
// placed, 2 when placements failed, 1 on any other error.
func (m *monitor) monitor(evalID string) int {
	schedFailure := false
	headerWritten := false
	var waitIndex uint64

	for {
		started := time.Now()
		q := &api.QueryOptions{WaitIndex: waitIndex, WaitTime: monitorBlockTime}
		eval, meta, err := m.client.Evaluations().Info(evalID, q)
		if err != nil {
			if !headerWritten {
				m.ui.Error(fmt.Sprintf("No evaluation with id %q found", evalID))
			} else {
				m.ui.Error(fmt.Sprintf("Error reading evaluation: %s", err))
			}
			return 1
		}
		if !headerWritten {
			m.ui.Info(fmt.Sprintf("Monitoring evaluation %q", limit(eval.ID, m.length)))
			headerWritten = true
		}

		state := newEvalState()
		state.status = eval.Status
		state.node = eval.NodeID
		state.job = eval.JobID
		state.deployment = eval.DeploymentID
		state.index = eval.CreateIndex

		allocs, _, err := m.client.Evaluations().Allocations(eval.ID, nil)
		if err != nil {
			m.ui.Error(fmt.Sprintf("Error reading allocations: %s", err))
			return 1
		}
		for _, a := range allocs {
			state.allocs[a.ID] = &allocState{
				id:         a.ID,
				group:      a.TaskGroup,
				node:       a.NodeID,
				desired:    a.DesiredStatus,
				client:     a.ClientStatus,
				clientDesc: a.ClientDescription,
				index:      a.CreateIndex,
			}
		}
		m.update(state)

		switch eval.Status {
		case api.EvalStatusComplete, api.EvalStatusFailed, api.EvalStatusCancelled:
		default:
			if meta != nil {
				waitIndex = meta.LastIndex
			}
			if elapsed := time.Since(started); elapsed < m.pollFloor {
				<-time.After(m.pollFloor - elapsed)
			}
			continue
		}

		if len(eval.FailedTGAllocs) == 0 {
			m.ui.Info(fmt.Sprintf("Evaluation %q finished with status %q",
				limit(eval.ID, m.length), eval.Status))
		} else {
			schedFailure = true
			m.ui.Info(fmt.Sprintf("Evaluation %q finished with status %q but failed to place all allocations:",
				limit(eval.ID, m.length), eval.Status))
			for _, tg := range sortedKeys(eval.FailedTGAllocs) {
				metrics := eval.FailedTGAllocs[tg]
				noun := "allocation"
				if metrics.CoalescedFailures > 0 {
					noun += "s"
				}
				m.ui.Output(fmt.Sprintf("Task Group %q (failed to place %d %s):",
					tg, metrics.CoalescedFailures+1, noun))
				for _, line := range strings.Split(formatAllocMetrics(metrics, "  "), "\n") {
					m.ui.Output(line)
				}
			}
			if eval.BlockedEval != "" {
				m.ui.Output(fmt.Sprintf("Evaluation %q waiting for additional capacity to place remainder",
					limit(eval.BlockedEval, m.length)))
			}
		}

		if eval.NextEval != "" {
			if eval.Wait > 0 {
				m.ui.Info(fmt.Sprintf("Monitoring next evaluation %q in %s",
					limit(eval.NextEval, m.length), eval.Wait))
				<-time.After(eval.Wait)
			}
			m.state = newEvalState()
			code := m.monitor(eval.NextEval)
			if schedFailure && code == 0 {
				return 2
			}
			return code
		}
		break
	}

	if schedFailure {
		return 2
	}
	return 0
}
