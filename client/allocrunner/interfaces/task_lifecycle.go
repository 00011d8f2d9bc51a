package interfaces

import (
	"context"

	"github.com/netnomad/netnomad/client/allocdir"
	"github.com/netnomad/netnomad/drivers"
	"github.com/netnomad/netnomad/nomad/structs"
)

/*
Task runner lifecycle and the hooks it calls:

	  Run()
	    │
	    ▼
	 ┌─────────────┐  setup error (Setup Failure)
	 │ Prestart    │──────────────────────────────┐
	 └─────────────┘                              │
	    │                                         │
	    ▼  driver.StartTask (Started)             │
	 ┌─────────────┐  start error (Driver Failure)│
	 │ Poststart   │──────────────────────────────┤
	 └─────────────┘                              │
	    │  wait for exit, kill or restart         │
	    ▼                                         ▼
	 ┌─────────────┐  restart policy allows ┌───────────┐
	 │ Exited      │───────────────────────▶│ Restarting│──▶ Prestart again
	 └─────────────┘                        └───────────┘
	    │  dead (killed, done, or Not Restarting)
	    ▼
	 ┌─────────────┐
	 │ Stop        │  then the task state is "dead"
	 └─────────────┘
*/

// TaskHook is the base of every task runner hook.
type TaskHook interface {
	Name() string
}

// TaskPrestartHook runs before the task starts, in list order, on every start
// including restarts and, after an agent restart, only if the task must be started
// again (not when the runner re-attached to a live task). An error is a setup
// failure: the task is restarted per its restart policy.
type TaskPrestartHook interface {
	TaskHook
	Prestart(context.Context, *TaskPrestartRequest, *TaskPrestartResponse) error
}

// TaskPrestartRequest is what a prestart hook gets.
type TaskPrestartRequest struct {
	Alloc   *structs.Allocation
	Task    *structs.Task
	TaskDir *allocdir.TaskDir
}

// TaskPrestartResponse is what a prestart hook returns (nothing yet; a place
// for hook results such as state to persist).
type TaskPrestartResponse struct{}

// TaskPoststartHook runs after the driver started (or re-attached to) the task.
type TaskPoststartHook interface {
	TaskHook
	Poststart(context.Context, *TaskPoststartRequest) error
}

// TaskPoststartRequest describes the running task.
type TaskPoststartRequest struct {
	Handle *drivers.TaskHandle
}

// TaskExitedHook runs each time the task exits, before the restart decision.
type TaskExitedHook interface {
	TaskHook
	Exited(context.Context, *TaskExitedRequest) error
}

// TaskExitedRequest carries how the task ended.
type TaskExitedRequest struct {
	Result *drivers.ExitResult
}

// TaskStopHook runs once when the task is dead for good (not on agent shutdown).
// It may run without Prestart having run.
type TaskStopHook interface {
	TaskHook
	Stop(context.Context) error
}

// TaskUpdateHook is told about updates of the allocation.
type TaskUpdateHook interface {
	TaskHook
	Update(context.Context, *structs.Allocation) error
}
