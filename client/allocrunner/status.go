package allocrunner

import (
	"reflect"

	"github.com/netnomad/netnomad/nomad/structs"
)

// getClientStatus derives the allocation's client status from its tasks, as
// Nomad does: any failed task fails the allocation; otherwise any running task
// makes it running, any pending task pending, and all dead complete.
func getClientStatus(states map[string]*structs.TaskState) (status, description string) {
	var pending, running, dead, failed bool
	for _, s := range states {
		switch s.State {
		case structs.TaskStateRunning:
			running = true
		case structs.TaskStatePending:
			pending = true
		case structs.TaskStateDead:
			if s.Failed {
				failed = true
			} else {
				dead = true
			}
		}
	}
	switch {
	case failed:
		return structs.AllocClientStatusFailed, "Failed tasks"
	case running:
		return structs.AllocClientStatusRunning, "Tasks are running"
	case pending:
		return structs.AllocClientStatusPending, "No tasks have started"
	case dead:
		return structs.AllocClientStatusComplete, "All tasks have completed"
	}
	return structs.AllocClientStatusPending, "No tasks have started"
}

// handleTaskStateUpdates reacts to task state changes: it kills the other tasks
// when a task failed for good ("Sibling Task Failed") or the leader died ("Leader
// Task Dead"), and pushes the client view of the allocation to the client when
// it changed. It sends a final update when done is closed.
func (ar *AllocRunner) handleTaskStateUpdates(done <-chan struct{}) {
	siblingsKilled := false
	for {
		final := false
		select {
		case <-ar.taskStateUpdatedCh:
		case <-done:
			final = true
		}

		if !siblingsKilled {
			if ev := ar.siblingKillEvent(); ev != nil {
				siblingsKilled = true
				go ar.killTasks(func() *structs.TaskEvent {
					c := *ev
					c.Details = map[string]string{}
					return &c
				}, false, false)
			}
		}

		alloc := ar.Alloc()
		if ar.lastSent == nil || ar.lastSent.ClientStatus != alloc.ClientStatus ||
			ar.lastSent.ClientDescription != alloc.ClientDescription ||
			!reflect.DeepEqual(ar.lastSent.TaskStates, alloc.TaskStates) ||
			!reflect.DeepEqual(ar.lastSent.NetworkStatus, alloc.NetworkStatus) {
			ar.lastSent = alloc
			if ar.cfg.StateUpdater != nil {
				ar.cfg.StateUpdater.AllocStateUpdated(alloc)
			}
		}
		if final {
			return
		}
	}
}

// siblingKillEvent returns the event to kill the remaining tasks with, if a task
// failed for good or the leader is dead while others are still alive.
func (ar *AllocRunner) siblingKillEvent() *structs.TaskEvent {
	alive := false
	var failed string
	leaderDead := false
	for _, name := range ar.taskOrder {
		tr := ar.tasks[name]
		s := tr.TaskState()
		if s.State != structs.TaskStateDead {
			alive = true
			continue
		}
		if s.Failed && failed == "" {
			failed = name
		}
		if tr.IsLeader() {
			leaderDead = true
		}
	}
	if !alive {
		return nil
	}
	switch {
	case failed != "":
		ev := structs.NewTaskEvent(structs.TaskSiblingFailed)
		ev.FailedSibling = failed
		return ev
	case leaderDead:
		return structs.NewTaskEvent(structs.TaskLeaderDead)
	}
	return nil
}
