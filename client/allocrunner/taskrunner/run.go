package taskrunner

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/netnomad/netnomad/drivers"
	"github.com/netnomad/netnomad/nomad/structs"
)

// Run runs the task until it is dead for good or the agent shuts down. It is
// called once. A restored task whose state is dead returns at once; a restored
// task with a driver handle is re-attached instead of started again, and if the
// driver lost it the task is treated as exited (and restarted per policy).
func (tr *TaskRunner) Run() {
	defer close(tr.waitCh)

	tr.mu.Lock()
	tr.launched = true
	dead := tr.state.State == structs.TaskStateDead
	killed := tr.killCtx.Err() != nil
	tr.mu.Unlock()
	if dead {
		return
	}
	if killed {
		tr.UpdateState(structs.TaskStateDead, nil)
		return
	}

	reattached := false
	var pending *drivers.ExitResult // an exit discovered before waiting
	if h := tr.handle(); h != nil {
		if err := tr.recover(h); err != nil {
			tr.logger.Warn("failed to re-attach to task; treating it as exited", "error", err)
			tr.setHandle(nil)
			pending = &drivers.ExitResult{Err: fmt.Errorf("task not found after client restart: %w", err)}
		} else {
			reattached = true
			tr.mu.Lock()
			tr.runningSince = time.Now() // check_restart's grace starts over
			tr.mu.Unlock()
			tr.logger.Info("re-attached to running task")
		}
	}

	for {
		var result *drivers.ExitResult
		switch {
		case pending != nil:
			result, pending = pending, nil
			tr.recordExit(result)
		case !reattached:
			if err := tr.prestart(); err != nil {
				ev := newEvent(structs.TaskSetupFailure)
				ev.SetupError = err.Error()
				ev.Message = err.Error()
				tr.EmitEvent(ev)
				tr.restartTracker.SetStartError(err, false)
				break
			}
			if tr.killCtx.Err() != nil {
				tr.restartTracker.SetKilled()
				break
			}
			if err := tr.runDriver(); err != nil {
				fatal := errors.Is(err, errNoDriver)
				ev := newEvent(structs.TaskDriverFailure)
				ev.DriverError = err.Error()
				tr.EmitEvent(ev)
				tr.restartTracker.SetStartError(err, fatal)
				break
			}
			fallthrough
		default:
			reattached = false
			tr.poststart()
			var shutdown bool
			result, shutdown = tr.waitOnTask()
			if shutdown {
				return
			}
			tr.recordExit(result)
		}

		restart, shutdown := tr.shouldRestart()
		if shutdown {
			return
		}
		if !restart {
			break
		}
	}

	tr.UpdateState(structs.TaskStateDead, nil)
	tr.stop()
}

// recordExit handles an exit: clears the handle, runs exited hooks, emits
// Terminated and feeds the restart tracker (unless the task was killed, which
// the kill path reports).
func (tr *TaskRunner) recordExit(result *drivers.ExitResult) {
	tr.setHandle(nil)
	if tr.driver != nil {
		if err := tr.driver.DestroyTask(tr.taskID, true); err != nil {
			tr.logger.Warn("failed to destroy exited task", "error", err)
		}
	}
	tr.exited(result)
	if tr.killCtx.Err() != nil {
		tr.restartTracker.SetKilled()
		return
	}
	ev := newEvent(structs.TaskTerminated)
	if result != nil {
		ev.ExitCode = result.ExitCode
		ev.Signal = result.Signal
		if result.Err != nil {
			ev.Message = result.Err.Error()
		}
	}
	tr.EmitEvent(ev)
	tr.restartTracker.SetExitResult(result)
}

// shouldRestart asks the restart tracker, emits the matching event, and waits
// out the restart delay. It returns restart=false when the task is done, and
// shutdown=true when the agent shut down meanwhile (the next agent restores the
// task as pending and starts it).
func (tr *TaskRunner) shouldRestart() (restart, shutdown bool) {
	decision, delay := tr.restartTracker.GetState()
	reason := tr.restartTracker.Reason()
	switch decision {
	case structs.TaskKilled, structs.TaskTerminated:
		return false, false
	case structs.TaskNotRestarting:
		ev := newEvent(structs.TaskNotRestarting)
		ev.RestartReason = reason
		ev.FailsTask = true
		tr.UpdateState(structs.TaskStateDead, ev)
		return false, false
	}
	ev := newEvent(structs.TaskRestarting)
	ev.RestartReason = reason
	ev.StartDelay = int64(delay)
	tr.UpdateState(structs.TaskStatePending, ev)

	timer := time.NewTimer(delay)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true, false
	case <-tr.killCtx.Done():
		return false, false
	case <-tr.shutdownCtx.Done():
		return false, true
	}
}

// recover re-attaches to a task started by an earlier agent.
func (tr *TaskRunner) recover(h *drivers.TaskHandle) error {
	if tr.driver == nil {
		return errNoDriver
	}
	return tr.driver.RecoverTask(h)
}

// waitOnTask waits for the task to exit. If the task is killed meanwhile it is
// stopped with its kill_timeout and kill_signal. shutdown is true when the agent
// is shutting down: the task is left running.
func (tr *TaskRunner) waitOnTask() (result *drivers.ExitResult, shutdown bool) {
	ctx, cancel := context.WithCancel(tr.shutdownCtx)
	defer cancel()
	ch, err := tr.driver.WaitTask(ctx, tr.taskID)
	if err != nil {
		return &drivers.ExitResult{Err: fmt.Errorf("failed to wait for task: %w", err)}, false
	}
	select {
	case res, ok := <-ch:
		if !ok || res == nil {
			// The driver closed the channel without a result: it lost the task.
			res = &drivers.ExitResult{ExitCode: -1, Err: errors.New("driver stopped tracking the task")}
		}
		return res, false
	case <-tr.shutdownCtx.Done():
		return nil, true
	case <-tr.killCtx.Done():
	}

	// Killing: stop the task and wait for its exit.
	timeout := tr.killTimeout()
	killErr := tr.driver.StopTask(tr.taskID, timeout, tr.Task().KillSignal)
	var res *drivers.ExitResult
	select {
	case res = <-ch:
	case <-time.After(timeout + 10*time.Second):
		killErr = errors.Join(killErr, fmt.Errorf("task did not exit within %v of being killed", timeout))
	}
	if err := tr.driver.DestroyTask(tr.taskID, true); err != nil {
		tr.logger.Warn("failed to destroy task after kill", "error", err)
	}
	ev := newEvent(structs.TaskKilled)
	if killErr != nil {
		ev.KillError = killErr.Error()
	}
	tr.EmitEvent(ev)
	tr.killErr = killErr
	return res, false
}
