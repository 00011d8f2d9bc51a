package restarts

import (
	"errors"
	"testing"
	"time"

	"github.com/shoenig/test/must"

	"github.com/netnomad/netnomad/drivers"
	"github.com/netnomad/netnomad/nomad/structs"
)

func policy(attempts int, mode string) *structs.RestartPolicy {
	return &structs.RestartPolicy{Attempts: attempts, Interval: time.Minute, Delay: time.Second, Mode: mode}
}

var (
	failed  = &drivers.ExitResult{ExitCode: 1}
	success = &drivers.ExitResult{}
)

func TestTracker_Decisions(t *testing.T) {
	type step struct {
		apply    func(*Tracker)
		want     string
		minDelay time.Duration
		reason   string
	}
	exit := func(r *drivers.ExitResult) func(*Tracker) { return func(tr *Tracker) { tr.SetExitResult(r) } }
	for _, tc := range []struct {
		name    string
		policy  *structs.RestartPolicy
		jobType string
		steps   []step
	}{
		{
			name: "batch success terminates", policy: policy(2, "fail"), jobType: structs.JobTypeBatch,
			steps: []step{{apply: exit(success), want: structs.TaskTerminated}},
		},
		{
			name: "service success restarts", policy: policy(2, "fail"), jobType: structs.JobTypeService,
			steps: []step{{apply: exit(success), want: structs.TaskRestarting, minDelay: time.Second, reason: ReasonWithinPolicy}},
		},
		{
			name: "fail mode gives up after attempts", policy: policy(2, "fail"), jobType: structs.JobTypeBatch,
			steps: []step{
				{apply: exit(failed), want: structs.TaskRestarting, minDelay: time.Second, reason: ReasonWithinPolicy},
				{apply: exit(failed), want: structs.TaskRestarting, minDelay: time.Second, reason: ReasonWithinPolicy},
				{apply: exit(failed), want: structs.TaskNotRestarting, reason: `Exceeded allowed attempts 2 in interval 1m0s and mode is "fail"`},
			},
		},
		{
			name: "delay mode waits out the interval", policy: policy(1, "delay"), jobType: structs.JobTypeService,
			steps: []step{
				{apply: exit(failed), want: structs.TaskRestarting, minDelay: time.Second},
				{apply: exit(failed), want: structs.TaskRestarting, minDelay: 50 * time.Second, reason: ReasonDelay},
			},
		},
		{
			name: "zero attempts", policy: policy(0, "fail"), jobType: structs.JobTypeService,
			steps: []step{{apply: exit(failed), want: structs.TaskNotRestarting, reason: ReasonNoRestartsAllowed}},
		},
		{
			name: "user restart is free", policy: policy(0, "fail"), jobType: structs.JobTypeService,
			steps: []step{{apply: func(tr *Tracker) { tr.SetRestartTriggered(false) }, want: structs.TaskRestarting}},
		},
		{
			name: "fatal start error", policy: policy(3, "fail"), jobType: structs.JobTypeService,
			steps: []step{{apply: func(tr *Tracker) { tr.SetStartError(errors.New("boom"), true) }, want: structs.TaskNotRestarting, reason: ReasonUnrecoverable}},
		},
		{
			name: "start error is counted", policy: policy(1, "fail"), jobType: structs.JobTypeService,
			steps: []step{
				{apply: func(tr *Tracker) { tr.SetStartError(errors.New("boom"), false) }, want: structs.TaskRestarting, minDelay: time.Second},
				{apply: func(tr *Tracker) { tr.SetStartError(errors.New("boom"), false) }, want: structs.TaskNotRestarting},
			},
		},
		{
			name: "killed", policy: policy(3, "fail"), jobType: structs.JobTypeService,
			steps: []step{{apply: func(tr *Tracker) { tr.SetExitResult(failed).SetKilled() }, want: structs.TaskKilled}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr := NewTracker(tc.policy, tc.jobType)
			now := time.Unix(1000, 0)
			tr.now = func() time.Time { return now }
			for i, s := range tc.steps {
				s.apply(tr)
				got, delay := tr.GetState()
				must.Eq(t, s.want, got, must.Sprintf("step %d", i))
				must.GreaterEq(t, s.minDelay, delay, must.Sprintf("step %d", i))
				must.LessEq(t, s.minDelay*2+time.Minute, delay)
				if s.reason != "" {
					must.Eq(t, s.reason, tr.Reason())
				}
				now = now.Add(time.Second)
			}
		})
	}
}

func TestTracker_WindowResets(t *testing.T) {
	tr := NewTracker(policy(1, "fail"), structs.JobTypeService)
	now := time.Unix(1000, 0)
	tr.now = func() time.Time { return now }
	got, _ := tr.SetExitResult(failed).GetState()
	must.Eq(t, structs.TaskRestarting, got)
	now = now.Add(2 * time.Minute) // past the interval: a fresh window
	got, _ = tr.SetExitResult(failed).GetState()
	must.Eq(t, structs.TaskRestarting, got)
	got, _ = tr.SetExitResult(failed).GetState()
	must.Eq(t, structs.TaskNotRestarting, got)
}
