// Package restarts decides whether a task that stopped should start again,
// following the group's restart policy as Nomad does: at most Attempts restarts
// within Interval, each after Delay (plus up to 25% jitter); when attempts run out,
// mode "fail" gives up and mode "delay" waits for the interval to end.
package restarts

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/netnomad/netnomad/drivers"
	"github.com/netnomad/netnomad/nomad/structs"
)

// Reasons attached to Restarting / Not Restarting events, as Nomad spells them.
const (
	ReasonNoRestartsAllowed = "Policy allows no restarts"
	ReasonUnrecoverable     = "Error was unrecoverable"
	ReasonWithinPolicy      = "Restart within policy"
	ReasonDelay             = "Exceeded allowed attempts, applying a delay"
)

// jitter is the fraction of Delay added at random.
const jitter = 0.25

// Decision is what GetState returns: one of structs.TaskRestarting,
// structs.TaskNotRestarting, structs.TaskTerminated (batch success, done) or
// structs.TaskKilled (killed, done).
type Decision = string

// Tracker tracks restarts of one task. Feed it one outcome (SetStartError,
// SetExitResult, SetRestartTriggered or SetKilled) and then call GetState. It is
// safe for concurrent use.
type Tracker struct {
	mu     sync.Mutex
	policy structs.RestartPolicy
	batch  bool

	// count restarts within the window that began at windowStart.
	count       int
	windowStart time.Time

	startErr         error
	startErrFatal    bool
	exitRes          *drivers.ExitResult
	restartTriggered bool
	failure          bool
	killed           bool

	reason string
	now    func() time.Time
}

// NewTracker returns a tracker for a task of the given job type.
func NewTracker(policy *structs.RestartPolicy, jobType string) *Tracker {
	p := structs.RestartPolicy{Mode: structs.RestartPolicyModeFail}
	if policy != nil {
		p = *policy
	}
	return &Tracker{policy: p, batch: jobType == structs.JobTypeBatch, now: time.Now}
}

// SetPolicy replaces the policy (the job was updated).
func (t *Tracker) SetPolicy(policy *structs.RestartPolicy) {
	if policy == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.policy = *policy
}

// SetStartError records that the task failed to start. fatal errors never restart.
func (t *Tracker) SetStartError(err error, fatal bool) *Tracker {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.startErr, t.startErrFatal = err, fatal
	return t
}

// SetExitResult records how the task exited.
func (t *Tracker) SetExitResult(res *drivers.ExitResult) *Tracker {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.exitRes = res
	return t
}

// SetRestartTriggered records a restart asked for by a user (failure=false, not
// counted) or by the client because something failed (failure=true, counted).
func (t *Tracker) SetRestartTriggered(failure bool) *Tracker {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.restartTriggered, t.failure = true, failure
	return t
}

// SetKilled records that the task was killed on purpose: it will not restart.
func (t *Tracker) SetKilled() *Tracker {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.killed = true
	return t
}

// Count returns the restarts counted in the current window.
func (t *Tracker) Count() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.count
}

// Reason explains the last decision.
func (t *Tracker) Reason() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.reason
}

// GetState returns the decision for the recorded outcome and how long to wait
// before restarting, then clears the outcome.
func (t *Tracker) GetState() (Decision, time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	defer func() {
		t.startErr, t.startErrFatal, t.exitRes = nil, false, nil
		t.restartTriggered, t.failure = false, false
	}()

	if t.killed {
		t.reason = ""
		return structs.TaskKilled, 0
	}
	// A user-requested restart is immediate and does not count.
	if t.restartTriggered && !t.failure {
		t.reason = ""
		return structs.TaskRestarting, 0
	}

	now := t.now()
	if t.windowStart.IsZero() || now.After(t.windowStart.Add(t.policy.Interval)) {
		t.count = 0
		t.windowStart = now
	}

	switch {
	case t.restartTriggered:
		// failure restart: counted below
	case t.startErr != nil:
		if t.startErrFatal {
			t.reason = ReasonUnrecoverable
			return structs.TaskNotRestarting, 0
		}
	case t.exitRes != nil:
		if t.exitRes.Successful() && t.batch {
			t.reason = ""
			return structs.TaskTerminated, 0
		}
	default:
		// Nothing recorded: the task never ran and cannot be restarted.
		t.reason = ""
		return structs.TaskNotRestarting, 0
	}

	if t.policy.Attempts == 0 {
		t.reason = ReasonNoRestartsAllowed
		return structs.TaskNotRestarting, 0
	}
	t.count++
	if t.count > t.policy.Attempts {
		if t.policy.Mode == structs.RestartPolicyModeFail {
			t.reason = fmt.Sprintf("Exceeded allowed attempts %d in interval %v and mode is %q",
				t.policy.Attempts, t.policy.Interval, t.policy.Mode)
			return structs.TaskNotRestarting, 0
		}
		// mode "delay": wait until the window ends, then start a new one.
		t.reason = ReasonDelay
		wait := t.windowStart.Add(t.policy.Interval).Sub(now)
		if wait < t.policy.Delay {
			wait = t.policy.Delay
		}
		return structs.TaskRestarting, wait
	}
	t.reason = ReasonWithinPolicy
	return structs.TaskRestarting, t.jitteredDelay()
}

func (t *Tracker) jitteredDelay() time.Duration {
	d := t.policy.Delay
	if d <= 0 {
		return 0
	}
	return d + time.Duration(rand.Int64N(int64(float64(d)*jitter)+1))
}
