package scheduler

import (
	"testing"
	"time"

	"github.com/netnomad/netnomad/nomad/structs"
	"github.com/shoenig/test/must"
)

var rescheduleT0 = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

// failedAllocWithHistory is a failed allocation of policy's group that failed
// at failed, after reschedules that waited delays (placed at placedAt).
func failedAllocWithHistory(policy *structs.ReschedulePolicy, failed time.Time, placedAt time.Time, delays ...time.Duration) *structs.Allocation {
	job := testJob(1)
	job.TaskGroups[0].ReschedulePolicy = policy
	a := &structs.Allocation{
		ID: "failed", NodeID: "node-a", Job: job, TaskGroup: "web",
		DesiredStatus: structs.AllocDesiredStatusRun, ClientStatus: structs.AllocClientStatusFailed,
		TaskStates: map[string]*structs.TaskState{"server": {State: structs.TaskStateDead, Failed: true, FinishedAt: failed}},
	}
	if len(delays) > 0 {
		a.RescheduleTracker = &structs.RescheduleTracker{}
		for _, d := range delays {
			a.RescheduleTracker.Events = append(a.RescheduleTracker.Events,
				&structs.RescheduleEvent{RescheduleTime: placedAt.UnixNano(), PrevNodeID: "node-b", Delay: d})
		}
	}
	return a
}

func TestReschedule_NextDelay(t *testing.T) {
	s := time.Second
	exp := &structs.ReschedulePolicy{Delay: 30 * s, DelayFunction: structs.RescheduleDelayExponential, MaxDelay: 5 * time.Minute, Unlimited: true}
	fib := &structs.ReschedulePolicy{Delay: 5 * s, DelayFunction: structs.RescheduleDelayFibonacci, MaxDelay: 50 * s, Unlimited: true}
	constant := &structs.ReschedulePolicy{Delay: 10 * s, DelayFunction: structs.RescheduleDelayConstant, Attempts: 5, Interval: time.Hour}
	cases := []struct {
		name   string
		policy *structs.ReschedulePolicy
		// ranFor is how long the last replacement ran before failing.
		ranFor time.Duration
		past   []time.Duration
		want   time.Duration
	}{
		{name: "first attempt waits Delay", policy: exp, want: 30 * s},
		{name: "exponential doubles", policy: exp, past: []time.Duration{30 * s, 60 * s}, want: 120 * s},
		{name: "exponential is capped by MaxDelay", policy: exp, past: []time.Duration{120 * s, 240 * s}, want: 5 * time.Minute},
		{name: "capped delay restarts after a long run", policy: exp, ranFor: 10 * time.Minute, past: []time.Duration{240 * s, 300 * s}, want: 30 * s},
		{name: "fibonacci second attempt repeats Delay", policy: fib, past: []time.Duration{5 * s}, want: 5 * s},
		{name: "fibonacci adds the last two", policy: fib, past: []time.Duration{5 * s, 5 * s, 10 * s, 15 * s}, want: 25 * s},
		{name: "fibonacci is capped", policy: fib, past: []time.Duration{20 * s, 30 * s}, want: 50 * s},
		{name: "fibonacci restarts its series after a reset", policy: fib, past: []time.Duration{50 * s, 5 * s}, want: 5 * s},
		{name: "constant stays", policy: constant, past: []time.Duration{10 * s, 10 * s}, want: 10 * s},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := failedAllocWithHistory(tc.policy, rescheduleT0.Add(tc.ranFor), rescheduleT0, tc.past...)
			must.Eq(t, tc.want, nextDelay(a, tc.policy))
		})
	}
}

func TestReschedule_Decide(t *testing.T) {
	limited := &structs.ReschedulePolicy{Attempts: 2, Interval: time.Hour, Delay: 10 * time.Second, DelayFunction: structs.RescheduleDelayConstant}
	unlimited := structs.DefaultReschedulePolicy(structs.JobTypeService)
	failed := rescheduleT0
	cases := []struct {
		name     string
		alloc    func() *structs.Allocation
		now      time.Time
		want     rescheduleDecision
		wantTime time.Time
	}{
		{
			name:  "no policy is never rescheduled",
			alloc: func() *structs.Allocation { return failedAllocWithHistory(nil, failed, failed) },
			now:   failed, want: rescheduleNever,
		},
		{
			name: "disabled policy is never rescheduled",
			alloc: func() *structs.Allocation {
				return failedAllocWithHistory(&structs.ReschedulePolicy{Delay: time.Minute}, failed, failed)
			},
			now: failed.Add(time.Hour), want: rescheduleNever,
		},
		{
			name:  "delay ahead: later",
			alloc: func() *structs.Allocation { return failedAllocWithHistory(unlimited, failed, failed) },
			now:   failed.Add(time.Second), want: rescheduleLater, wantTime: failed.Add(30 * time.Second),
		},
		{
			name:  "delay passed: now",
			alloc: func() *structs.Allocation { return failedAllocWithHistory(unlimited, failed, failed) },
			now:   failed.Add(31 * time.Second), want: rescheduleNow, wantTime: failed.Add(30 * time.Second),
		},
		{
			name: "follow-up already waiting: nothing to do",
			alloc: func() *structs.Allocation {
				a := failedAllocWithHistory(unlimited, failed, failed)
				a.FollowupEvalID = "other-eval"
				return a
			},
			now: failed.Add(time.Second), want: rescheduleNever, wantTime: failed.Add(30 * time.Second),
		},
		{
			name: "its own follow-up eval reschedules it even a bit early",
			alloc: func() *structs.Allocation {
				a := failedAllocWithHistory(unlimited, failed, failed)
				a.FollowupEvalID = "this-eval"
				return a
			},
			now: failed.Add(20 * time.Second), want: rescheduleNow, wantTime: failed.Add(30 * time.Second),
		},
		{
			name: "attempts left within the interval",
			alloc: func() *structs.Allocation {
				return failedAllocWithHistory(limited, failed, failed.Add(-10*time.Minute), 10*time.Second)
			},
			now: failed.Add(time.Minute), want: rescheduleNow, wantTime: failed.Add(10 * time.Second),
		},
		{
			name: "attempts used up within the interval",
			alloc: func() *structs.Allocation {
				return failedAllocWithHistory(limited, failed, failed.Add(-10*time.Minute), 10*time.Second, 10*time.Second)
			},
			now: failed.Add(time.Minute), want: rescheduleNever, wantTime: failed.Add(10 * time.Second),
		},
		{
			name: "attempts older than the interval do not count",
			alloc: func() *structs.Allocation {
				return failedAllocWithHistory(limited, failed, failed.Add(-2*time.Hour), 10*time.Second, 10*time.Second)
			},
			now: failed.Add(time.Minute), want: rescheduleNow, wantTime: failed.Add(10 * time.Second),
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, at := decideReschedule(tc.alloc(), tc.now, "this-eval")
			must.Eq(t, tc.want, got)
			if !tc.wantTime.IsZero() {
				must.Eq(t, tc.wantTime, at)
			}
		})
	}
}

func TestReschedule_TrackerCarriesRecentEvents(t *testing.T) {
	limited := &structs.ReschedulePolicy{Attempts: 3, Interval: time.Hour, Delay: 10 * time.Second, DelayFunction: structs.RescheduleDelayConstant}
	prev := failedAllocWithHistory(limited, rescheduleT0, rescheduleT0.Add(-2*time.Hour), 10*time.Second)
	prev.RescheduleTracker.Events = append(prev.RescheduleTracker.Events,
		&structs.RescheduleEvent{RescheduleTime: rescheduleT0.Add(-time.Minute).UnixNano(), PrevAllocID: "older", Delay: 10 * time.Second})

	got := rescheduleTracker(prev, rescheduleT0.Add(10*time.Second))
	must.Len(t, 2, got.Events, must.Sprint("the event older than the interval is dropped"))
	must.Eq(t, "older", got.Events[0].PrevAllocID)
	must.Eq(t, &structs.RescheduleEvent{
		RescheduleTime: rescheduleT0.Add(10 * time.Second).UnixNano(), PrevAllocID: "failed", PrevNodeID: "node-a", Delay: 10 * time.Second,
	}, got.Events[1])

	// An unlimited policy keeps only the last few.
	unlimited := structs.DefaultReschedulePolicy(structs.JobTypeService)
	many := failedAllocWithHistory(unlimited, rescheduleT0, rescheduleT0, make([]time.Duration, 8)...)
	must.Len(t, maxPastRescheduleEvents+1, rescheduleTracker(many, rescheduleT0).Events)
}

func TestReschedule_FollowupEvalsBatchCloseFailures(t *testing.T) {
	job := testJob(3)
	eval := testEval(job)
	at := func(d time.Duration) time.Time { return rescheduleT0.Add(d) }
	later := []delayedReschedule{
		{alloc: &structs.Allocation{ID: "c"}, at: at(40 * time.Second)},
		{alloc: &structs.Allocation{ID: "a"}, at: at(30 * time.Second)},
		{alloc: &structs.Allocation{ID: "b"}, at: at(33 * time.Second)},
	}
	evals, byAlloc := followupEvals(eval, job, later, rescheduleT0)
	must.Len(t, 2, evals)
	must.Eq(t, at(30*time.Second), evals[0].WaitUntil)
	must.Eq(t, at(40*time.Second), evals[1].WaitUntil)
	must.Eq(t, map[string]string{"a": evals[0].ID, "b": evals[0].ID, "c": evals[1].ID}, byAlloc)
	for _, e := range evals {
		must.Eq(t, structs.EvalTriggerRetryFailedAlloc, e.TriggeredBy)
		must.Eq(t, structs.EvalStatusPending, e.Status)
		must.Eq(t, eval.ID, e.PreviousEval)
	}
}
