package taskrunner

import (
	"fmt"
	"time"

	"github.com/netnomad/netnomad/drivers"
	"github.com/netnomad/netnomad/nomad/structs"
)

// maxEvents bounds a task's event history, like Nomad's.
const maxEvents = 10

// TaskState returns a copy of the task's state.
func (tr *TaskRunner) TaskState() *structs.TaskState {
	tr.mu.RLock()
	defer tr.mu.RUnlock()
	return copyTaskState(tr.state)
}

// EmitEvent appends an event to the task's history without changing its state.
func (tr *TaskRunner) EmitEvent(ev *structs.TaskEvent) {
	tr.UpdateState("", ev)
}

// UpdateState moves the task to newState ("" keeps it) and records ev (may be
// nil), persists the state and notifies the alloc runner.
//
//	pending ──Started──▶ running ──exit──▶ pending (Restarting) ──▶ running ...
//	   │                    │
//	   └────────────────────┴──▶ dead (Failed when an event FailsTask)
func (tr *TaskRunner) UpdateState(newState string, ev *structs.TaskEvent) {
	tr.mu.Lock()
	now := time.Now()
	s := tr.state
	if ev != nil {
		if ev.Time == 0 {
			ev.Time = now.UnixNano()
		}
		if ev.DisplayMessage == "" {
			ev.DisplayMessage = displayMessage(ev)
		}
		if ev.FailsTask {
			s.Failed = true
		}
		if ev.Type == structs.TaskRestarting {
			s.Restarts++
			s.LastRestart = now
		}
		s.Events = append(s.Events, ev)
		if len(s.Events) > maxEvents {
			s.Events = s.Events[len(s.Events)-maxEvents:]
		}
	}
	switch newState {
	case structs.TaskStateRunning:
		if s.StartedAt.IsZero() {
			s.StartedAt = now
		}
		s.FinishedAt = time.Time{}
	case structs.TaskStateDead:
		if s.FinishedAt.IsZero() {
			s.FinishedAt = now
		}
	}
	if newState != "" {
		s.State = newState
	}
	snapshot := copyTaskState(s)
	tr.mu.Unlock()

	if err := tr.cfg.StateDB.PutTaskState(tr.allocID, tr.taskName, snapshot); err != nil {
		tr.logger.Error("failed to persist task state", "error", err)
	}
	if tr.cfg.StateUpdater != nil {
		tr.cfg.StateUpdater.TaskStateUpdated()
	}
}

// MarkFailedDead marks a task that never ran as failed and dead (the allocation
// could not be set up).
func (tr *TaskRunner) MarkFailedDead(reason string) {
	ev := newEvent(structs.TaskSetupFailure)
	ev.SetupError = reason
	ev.FailsTask = true
	tr.UpdateState(structs.TaskStateDead, ev)
}

// handle returns the persisted driver handle, or nil.
func (tr *TaskRunner) handle() *drivers.TaskHandle {
	tr.mu.RLock()
	defer tr.mu.RUnlock()
	return tr.localState.TaskHandle
}

// setHandle records (nil clears) the driver handle, and so whether and since
// when the task runs, and persists it.
func (tr *TaskRunner) setHandle(h *drivers.TaskHandle) {
	tr.mu.Lock()
	tr.localState.TaskHandle = h
	if h == nil {
		tr.runningSince = time.Time{}
	} else {
		tr.runningSince = time.Now()
	}
	ls := *tr.localState
	tr.mu.Unlock()
	if err := tr.cfg.StateDB.PutTaskRunnerLocalState(tr.allocID, tr.taskName, &ls); err != nil {
		tr.logger.Error("failed to persist task handle", "error", err)
	}
}

func newEvent(typ string) *structs.TaskEvent { return structs.NewTaskEvent(typ) }

// displayMessage renders an event as `nomad alloc status` shows it.
func displayMessage(ev *structs.TaskEvent) string {
	switch ev.Type {
	case structs.TaskReceived:
		return "Task received by client"
	case structs.TaskSetup:
		return ev.Message
	case structs.TaskStarted:
		return "Task started by client"
	case structs.TaskTerminated:
		msg := fmt.Sprintf("Exit Code: %d", ev.ExitCode)
		if ev.Signal != 0 {
			msg += fmt.Sprintf(", Signal: %d", ev.Signal)
		}
		if ev.Message != "" {
			msg += fmt.Sprintf(", Exit Message: %q", ev.Message)
		}
		return msg
	case structs.TaskRestarting:
		in := fmt.Sprintf("Task restarting in %v", time.Duration(ev.StartDelay))
		if ev.RestartReason != "" && ev.RestartReason != "Restart within policy" {
			return ev.RestartReason + " - " + in
		}
		return in
	case structs.TaskNotRestarting:
		if ev.RestartReason != "" {
			return ev.RestartReason
		}
		return "Task exceeded restart policy"
	case structs.TaskKilling:
		return fmt.Sprintf("Sent interrupt. Waiting %v before force killing", ev.KillTimeout)
	case structs.TaskKilled:
		if ev.KillError != "" {
			return ev.KillError
		}
		return "Task successfully killed"
	case structs.TaskRestartSignal:
		if ev.RestartReason != "" {
			return ev.RestartReason
		}
		return "Task signaled to restart"
	case structs.TaskDriverFailure:
		return ev.DriverError
	case structs.TaskSetupFailure:
		return ev.SetupError
	case structs.TaskSiblingFailed:
		if ev.FailedSibling != "" {
			return fmt.Sprintf("Task's sibling %q failed", ev.FailedSibling)
		}
		return "Task's sibling failed"
	case structs.TaskLeaderDead:
		return "Leader Task in Group dead"
	case structs.TaskMainDead:
		return "Main tasks in the group died"
	case structs.TaskHookFailed:
		return ev.Message
	case structs.TaskWaitingShuttingDown:
		return ev.Message
	}
	return ev.Message
}

// copyTaskState deep-copies a task state.
func copyTaskState(s *structs.TaskState) *structs.TaskState {
	if s == nil {
		return nil
	}
	c := *s
	c.Events = make([]*structs.TaskEvent, len(s.Events))
	for i, e := range s.Events {
		ec := *e
		if e.Details != nil {
			ec.Details = make(map[string]string, len(e.Details))
			for k, v := range e.Details {
				ec.Details[k] = v
			}
		}
		c.Events[i] = &ec
	}
	return &c
}
