package allocrunner

import (
	"errors"
	"time"

	"github.com/netnomad/netnomad/client/allocrunner/taskrunner/restarts"
	"github.com/netnomad/netnomad/nomad/structs"
)

// errAgentShutdown ends a setup that was waiting to be retried when the agent
// stopped: the allocation is left as it is, and the next agent sets it up again.
var errAgentShutdown = errors.New("agent shutting down")

// unrecoverableError is a setup failure no retry can fix, such as a network
// mode this client cannot build: the restart policy is not consulted.
type unrecoverableError struct{ error }

func (e unrecoverableError) Unwrap() error { return e.error }

// setupRetrier applies the group's restart policy to a failed allocation setup
// (a pre-run hook: most often the group network), as to a task that failed to
// start: every task shows the failure and the restart, and the setup is tried
// again after the policy's delay until the policy gives up.
type setupRetrier struct {
	ar      *AllocRunner
	tracker *restarts.Tracker
}

func newSetupRetrier(ar *AllocRunner) *setupRetrier {
	alloc := ar.Alloc()
	var policy *structs.RestartPolicy
	if tg := alloc.LookupTaskGroup(); tg != nil {
		policy = tg.RestartPolicy
	}
	jobType := ""
	if alloc.Job != nil {
		jobType = alloc.Job.Type
	}
	return &setupRetrier{ar: ar, tracker: restarts.NewTracker(policy, jobType)}
}

// wait decides on a failed setup. It returns nil when the setup should be tried
// again (after waiting out the delay), else the error that ends the allocation's
// run: failed itself, or errAgentShutdown.
func (r *setupRetrier) wait(failed error) error {
	var fatal unrecoverableError
	decision, delay := r.tracker.SetStartError(failed, errors.As(failed, &fatal)).GetState()
	if decision != structs.TaskRestarting {
		return failed
	}
	setup := structs.NewTaskEvent(structs.TaskSetupFailure)
	setup.SetupError = failed.Error()
	r.ar.emitTaskEvent(setup)
	restarting := structs.NewTaskEvent(structs.TaskRestarting)
	restarting.RestartReason = r.tracker.Reason()
	restarting.StartDelay = int64(delay)
	r.ar.emitTaskEvent(restarting)
	r.ar.logger.Warn("allocation setup failed, retrying per the restart policy", "error", failed, "delay", delay)

	timer := time.NewTimer(delay)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-r.ar.killCh:
		return failed
	case <-r.ar.shutdownCh:
		return errAgentShutdown
	}
}
