package scheduler

import (
	"testing"
	"time"

	"github.com/netnomad/netnomad/nomad/structs"
	"github.com/shoenig/test/must"
)

// rescheduleHarness registers a canonicalized job of jobType with count 1 (the
// type's default reschedule policy, or policy) on two nodes, places it, and
// returns the harness, whose clock the test moves, with the running alloc.
func rescheduleHarness(t *testing.T, jobType string, policy *structs.ReschedulePolicy) (*Harness, *structs.Job, *clock, *structs.Allocation) {
	t.Helper()
	job := testJob(1)
	job.Type = jobType
	job.Canonicalize()
	if policy != nil {
		job.TaskGroups[0].ReschedulePolicy = policy
	}
	must.NoError(t, job.Validate())
	h := newTestHarness(t, job, testNode(1), testNode(2))
	c := &clock{now: rescheduleT0}
	h.Now = c.Now
	runEval(t, h, job)
	allocs := liveAllocs(t, h, job)
	must.Len(t, 1, allocs)
	return h, job, c, allocs[0]
}

type clock struct{ now time.Time }

func (c *clock) Now() time.Time { return c.now }

// failAlloc reports the allocation failed at the clock's time, as its client
// would.
func failAlloc(h *Harness, c *clock, a *structs.Allocation) *structs.Allocation {
	failed := a.Copy()
	failed.ClientStatus = structs.AllocClientStatusFailed
	failed.TaskStates = map[string]*structs.TaskState{"server": {State: structs.TaskStateDead, Failed: true, FinishedAt: c.now}}
	h.State.UpsertAllocs(failed)
	return failed
}

// runFollowup processes the follow-up eval the failed allocation points to.
func runFollowup(t *testing.T, h *Harness, job *structs.Job, failedID string) *structs.Evaluation {
	t.Helper()
	a := h.State.AllocByID(failedID)
	must.NotEq(t, "", a.FollowupEvalID, must.Sprint("no follow-up eval recorded on the failed alloc"))
	var followup *structs.Evaluation
	for _, e := range h.CreateEvals {
		if e.ID == a.FollowupEvalID {
			followup = e
		}
	}
	must.NotNil(t, followup)
	must.NoError(t, h.Process(job.Type, followup))
	return followup
}

func TestGenericSched_RescheduleServiceDefaultPolicy(t *testing.T) {
	h, job, c, running := rescheduleHarness(t, structs.JobTypeService, nil)
	c.now = c.now.Add(time.Minute)
	failed := failAlloc(h, c, running)

	// Within the 30s delay: a follow-up eval waits, nothing is placed.
	c.now = c.now.Add(time.Second)
	plans := len(h.Plans)
	ev := runEval(t, h, job)
	must.Eq(t, structs.EvalStatusComplete, ev.Status)
	must.Len(t, 1, h.CreateEvals)
	followup := h.CreateEvals[0]
	must.Eq(t, structs.EvalTriggerRetryFailedAlloc, followup.TriggeredBy)
	must.Eq(t, structs.EvalStatusPending, followup.Status)
	must.Eq(t, failed.TaskStates["server"].FinishedAt.Add(30*time.Second), followup.WaitUntil)
	must.Eq(t, plans+1, len(h.Plans))
	must.SliceEmpty(t, liveAllocs(t, h, job), must.Sprint("the group stays short until the delay has passed"))
	must.Eq(t, followup.ID, h.State.AllocByID(failed.ID).FollowupEvalID)

	// Another eval meanwhile does not create a second follow-up.
	runEval(t, h, job)
	must.Len(t, 1, h.CreateEvals)

	// The follow-up, run after its WaitUntil, places the replacement.
	c.now = followup.WaitUntil.Add(time.Second)
	runFollowup(t, h, job, failed.ID)
	placed := planAllocs(h.LastPlan())
	must.Len(t, 1, placed)
	next := placed[0]
	must.Eq(t, failed.Name, next.Name)
	must.Eq(t, failed.ID, next.PreviousAllocation)
	must.NotEq(t, failed.NodeID, next.NodeID, must.Sprint("the previous node is penalised"))
	scores := next.Metrics.ScoreMetaData
	must.Len(t, 2, scores, must.Sprint("both nodes were scored"))
	must.Eq(t, next.NodeID, scores[0].NodeID)
	must.Eq(t, failed.NodeID, scores[1].NodeID)
	must.Eq(t, float64(-1), scores[1].Scores["node-reschedule-penalty"])
	must.Eq(t, []*structs.RescheduleEvent{{
		RescheduleTime: c.now.UnixNano(), PrevAllocID: failed.ID, PrevNodeID: failed.NodeID, Delay: 30 * time.Second,
	}}, next.RescheduleTracker.Events)
	must.Eq(t, next.ID, h.State.AllocByID(failed.ID).NextAllocation)
	must.Eq(t, uint64(1), h.LastPlan().Annotations.DesiredTGUpdates["web"].Place)

	// A replaced allocation is left alone.
	plans = len(h.Plans)
	runEval(t, h, job)
	must.Eq(t, plans, len(h.Plans))
}

func TestGenericSched_RescheduleExponentialDelays(t *testing.T) {
	policy := &structs.ReschedulePolicy{Delay: 30 * time.Second, DelayFunction: structs.RescheduleDelayExponential,
		MaxDelay: 5 * time.Minute, Unlimited: true}
	h, job, c, current := rescheduleHarness(t, structs.JobTypeService, policy)
	want := []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute, 4 * time.Minute, 5 * time.Minute, 5 * time.Minute}
	for i, delay := range want {
		failed := failAlloc(h, c, current)
		runEval(t, h, job)
		followup := h.CreateEvals[len(h.CreateEvals)-1]
		must.Eq(t, delay, followup.WaitUntil.Sub(c.now), must.Sprintf("attempt %d", i+1))

		c.now = followup.WaitUntil
		runFollowup(t, h, job, failed.ID)
		placed := planAllocs(h.LastPlan())
		must.Len(t, 1, placed)
		current = placed[0]
		events := current.RescheduleTracker.Events
		must.Eq(t, delay, events[len(events)-1].Delay)
		must.Eq(t, min(i+1, maxPastRescheduleEvents+1), len(events))
	}

	// A replacement that ran longer than the cap starts over from Delay.
	c.now = c.now.Add(time.Hour)
	failAlloc(h, c, current)
	runEval(t, h, job)
	must.Eq(t, 30*time.Second, h.CreateEvals[len(h.CreateEvals)-1].WaitUntil.Sub(c.now))
}

func TestGenericSched_RescheduleBatchAttemptsExhausted(t *testing.T) {
	h, job, c, running := rescheduleHarness(t, structs.JobTypeBatch, nil)
	failed := failAlloc(h, c, running)

	// Batch default: one attempt, 5s after the failure.
	c.now = c.now.Add(6 * time.Second)
	runEval(t, h, job)
	must.SliceEmpty(t, h.CreateEvals)
	placed := planAllocs(h.LastPlan())
	must.Len(t, 1, placed)
	must.Eq(t, failed.ID, placed[0].PreviousAllocation)
	must.Eq(t, 5*time.Second, placed[0].RescheduleTracker.Events[0].Delay)

	// The replacement fails too: the attempt is used up, the group stays short.
	c.now = c.now.Add(time.Minute)
	failAlloc(h, c, placed[0])
	c.now = c.now.Add(time.Minute)
	plans := len(h.Plans)
	ev := runEval(t, h, job)
	must.Eq(t, structs.EvalStatusComplete, ev.Status)
	must.Eq(t, plans, len(h.Plans), must.Sprint("no replacement and no follow-up expected"))
	must.SliceEmpty(t, h.CreateEvals)
	must.SliceEmpty(t, liveAllocs(t, h, job))
}

func TestGenericSched_RescheduleClientLost(t *testing.T) {
	h, job, c, running := rescheduleHarness(t, structs.JobTypeService, nil)
	lost := running.Copy()
	lost.ClientStatus = structs.AllocClientStatusLost
	lost.ModifyTime = c.now.UnixNano()
	h.State.UpsertAllocs(lost)

	c.now = c.now.Add(31 * time.Second)
	runEval(t, h, job)
	placed := planAllocs(h.LastPlan())
	must.Len(t, 1, placed)
	must.Eq(t, lost.ID, placed[0].PreviousAllocation)
}
