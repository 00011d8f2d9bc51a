package taskrunner

import (
	"context"
	"fmt"
	"time"

	"github.com/netnomad/netnomad/nomad/structs"
)

// Kill kills the task for good and blocks until Run returned (or ctx ends). When
// the task was started, its shutdown_delay is honoured first, then the event is
// recorded (an event other than "Killing", e.g. "Sibling Task Failed", is followed
// by a "Killing" one; nil means just "Killing") and the task is stopped with its
// kill_signal and kill_timeout. Killing a task whose Run never started marks it
// dead. Kill is idempotent.
func (tr *TaskRunner) Kill(ctx context.Context, event *structs.TaskEvent) error {
	tr.killOnce.Do(func() {
		tr.mu.Lock()
		launched := tr.launched
		// A task that was launched and is not dead gets the events even between
		// StartTask and its Started event, or while waiting to restart.
		alive := tr.state.State != structs.TaskStateDead
		if !launched {
			// Cancel under the lock so a concurrent Run sees it and returns.
			tr.killCancel()
		}
		tr.mu.Unlock()

		if !launched {
			// A restored task may still run although Run never re-attached.
			tr.killUnattached()
			if alive {
				tr.UpdateState(structs.TaskStateDead, nil)
			}
			return
		}
		if alive {
			if delay := tr.Task().ShutdownDelay; delay > 0 && tr.handle() != nil {
				ev := newEvent(structs.TaskWaitingShuttingDown)
				ev.Message = fmt.Sprintf("Waiting for shutdown_delay of %s before killing the task.", delay)
				tr.EmitEvent(ev)
				t := time.NewTimer(delay)
				select {
				case <-t.C:
				case <-ctx.Done():
				}
				t.Stop()
			}
			if event != nil && event.Type != structs.TaskKilling {
				// e.g. "Sibling Task Failed": say why, then that it is killed.
				tr.EmitEvent(event)
				event = nil
			}
			if event == nil {
				event = newEvent(structs.TaskKilling)
			}
			if event.KillTimeout == 0 {
				event.KillTimeout = tr.killTimeout()
			}
			tr.EmitEvent(event)
		}
		tr.restartTracker.SetKilled()
		tr.killCancel()
	})
	if !tr.Launched() {
		return nil
	}
	select {
	case <-tr.waitCh:
		return tr.killErr
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Restart stops the running task and starts it again at once. A user restart
// (failure=false) does not count against the restart policy. The event (usually
// "Restart Signaled") is recorded first. It returns ErrTaskNotRunning when the
// task is not running.
func (tr *TaskRunner) Restart(ctx context.Context, event *structs.TaskEvent, failure bool) error {
	if tr.handle() == nil || tr.killCtx.Err() != nil || tr.driver == nil {
		return ErrTaskNotRunning
	}
	if event != nil {
		tr.EmitEvent(event)
	}
	tr.restartTracker.SetRestartTriggered(failure)
	if err := tr.driver.StopTask(tr.taskID, tr.killTimeout(), tr.Task().KillSignal); err != nil {
		return fmt.Errorf("failed to stop task %q for restart: %w", tr.taskName, err)
	}
	return nil
}

// Signal sends a signal to the running task.
func (tr *TaskRunner) Signal(signal string) error {
	if tr.handle() == nil || tr.driver == nil {
		return ErrTaskNotRunning
	}
	return tr.driver.SignalTask(tr.taskID, signal)
}

// killUnattached stops a task from a persisted handle that Run never re-attached
// to (the runner was killed before it ran, e.g. destroyed right after a restore).
func (tr *TaskRunner) killUnattached() {
	h := tr.handle()
	if h == nil || tr.driver == nil {
		return
	}
	if err := tr.driver.RecoverTask(h); err == nil {
		if err := tr.driver.StopTask(tr.taskID, tr.killTimeout(), tr.Task().KillSignal); err != nil {
			tr.logger.Warn("failed to stop restored task", "error", err)
		}
		if err := tr.driver.DestroyTask(tr.taskID, true); err != nil {
			tr.logger.Warn("failed to destroy restored task", "error", err)
		}
		tr.EmitEvent(newEvent(structs.TaskKilled))
	}
	tr.setHandle(nil)
}
