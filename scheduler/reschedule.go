package scheduler

import (
	"sort"
	"time"

	"github.com/google/uuid"
	"github.com/netnomad/netnomad/nomad/structs"
)

// Reschedule follows Nomad (>= 0.8): a failed allocation, or one its client
// reported lost, is replaced on another node when the reschedule policy of its
// group (as its job snapshot has it) allows another attempt. The replacement
// waits the policy's delay after the failure:
//
//	failed ──(delay passed, or this is its follow-up eval)──> rescheduleNow: replacement placed
//	   │
//	   ├──(delay ahead, no follow-up yet)──> rescheduleLater: follow-up eval WaitUntil the
//	   │                                     reschedule time, its ID stored in FollowupEvalID
//	   └──(no attempts left / no policy)───> kept: the group stays short, as Nomad
const (
	// rescheduleWindow lets an allocation due within this long be replaced now
	// rather than through a follow-up eval of its own.
	rescheduleWindow = time.Second

	// followupBatchWindow groups allocations due within this long of each other
	// into one follow-up evaluation.
	followupBatchWindow = 5 * time.Second

	// maxPastRescheduleEvents bounds the history an unlimited policy carries.
	maxPastRescheduleEvents = 5

	// followupEvalDescription is the status description of follow-up evals.
	followupEvalDescription = "created for delayed rescheduling"
)

// rescheduleDecision is what to do with one failed allocation.
type rescheduleDecision int

const (
	rescheduleNever rescheduleDecision = iota
	rescheduleNow
	rescheduleLater
)

// delayedReschedule is a failed allocation to reschedule at a future time.
type delayedReschedule struct {
	alloc *structs.Allocation
	at    time.Time
}

// decideReschedule classifies a failed (or client-lost) allocation with desired
// status run. The eval that is the allocation's follow-up reschedules it even if
// its clock runs slightly behind the wait. at is the reschedule time.
func decideReschedule(a *structs.Allocation, now time.Time, evalID string) (rescheduleDecision, time.Time) {
	at, eligible := nextRescheduleTime(a)
	switch {
	case !eligible:
		return rescheduleNever, at
	case a.FollowupEvalID == evalID || at.Sub(now) <= rescheduleWindow:
		return rescheduleNow, at
	case a.FollowupEvalID == "":
		return rescheduleLater, at
	}
	// A follow-up eval is already waiting for it.
	return rescheduleNever, at
}

// reschedulePolicy returns the policy of the allocation's group, from the job
// the allocation was placed with, or nil.
func reschedulePolicy(a *structs.Allocation) *structs.ReschedulePolicy {
	if tg := a.LookupTaskGroup(); tg != nil {
		return tg.ReschedulePolicy
	}
	return nil
}

// nextRescheduleTime is when the allocation may be replaced (its failure time
// plus the next delay), and whether the policy allows it at all.
func nextRescheduleTime(a *structs.Allocation) (time.Time, bool) {
	policy := reschedulePolicy(a)
	failed := failTime(a)
	if !policy.Enabled() {
		return failed, false
	}
	return failed.Add(nextDelay(a, policy)), rescheduleEligible(policy, a.RescheduleTracker, failed)
}

// rescheduleEligible reports whether the policy allows another attempt after a
// failure at failed: unlimited, or fewer than Attempts events within Interval.
func rescheduleEligible(policy *structs.ReschedulePolicy, tracker *structs.RescheduleTracker, failed time.Time) bool {
	if !policy.Enabled() {
		return false
	}
	if policy.Unlimited {
		return true
	}
	return attemptsInInterval(policy, tracker, failed) < policy.Attempts
}

// attemptsInInterval counts the reschedule events within the policy's interval
// before t.
func attemptsInInterval(policy *structs.ReschedulePolicy, tracker *structs.RescheduleTracker, t time.Time) int {
	if tracker == nil {
		return 0
	}
	n := 0
	for _, e := range tracker.Events {
		if t.UnixNano()-e.RescheduleTime < policy.Interval.Nanoseconds() {
			n++
		}
	}
	return n
}

// failTime is when the allocation failed: the latest task finish, else its last
// modification.
func failTime(a *structs.Allocation) time.Time {
	var latest time.Time
	for _, s := range a.TaskStates {
		if s != nil && s.FinishedAt.After(latest) {
			latest = s.FinishedAt
		}
	}
	if latest.IsZero() {
		return time.Unix(0, a.ModifyTime)
	}
	return latest
}

// nextDelay is the wait before the next attempt: the policy's delay for the
// first, then grown from the previous attempts' delays by the delay function
// (exponential doubles, fibonacci adds the last two) and capped by MaxDelay.
// Once capped, a chain that then ran longer than the cap without failing starts
// over from Delay.
func nextDelay(a *structs.Allocation, policy *structs.ReschedulePolicy) time.Duration {
	if policy == nil {
		return 0
	}
	var events []*structs.RescheduleEvent
	if a.RescheduleTracker != nil {
		events = a.RescheduleTracker.Events
	}
	if len(events) == 0 {
		return policy.Delay
	}
	last := events[len(events)-1]
	d := policy.Delay
	switch policy.DelayFunction {
	case structs.RescheduleDelayExponential:
		d = last.Delay * 2
	case structs.RescheduleDelayFibonacci:
		if len(events) >= 2 {
			prev := events[len(events)-2]
			if prev.Delay == policy.MaxDelay && last.Delay == policy.Delay {
				d = last.Delay // the series restarted after a reset
			} else {
				d = last.Delay + prev.Delay
			}
		}
	default:
		return d
	}
	if policy.MaxDelay > 0 && d > policy.MaxDelay {
		d = policy.MaxDelay
		if failTime(a).UnixNano()-last.RescheduleTime > d.Nanoseconds() {
			d = policy.Delay
		}
	}
	return d
}

// rescheduleTracker builds the replacement's history: prev's events still
// within the policy's interval (the last few for an unlimited policy), plus one
// for this attempt.
func rescheduleTracker(prev *structs.Allocation, now time.Time) *structs.RescheduleTracker {
	policy := reschedulePolicy(prev)
	var events []*structs.RescheduleEvent
	if prev.RescheduleTracker != nil && policy != nil {
		past := prev.RescheduleTracker.Events
		if policy.Unlimited {
			past = past[max(0, len(past)-maxPastRescheduleEvents):]
		}
		for _, e := range past {
			if policy.Unlimited || now.UnixNano()-e.RescheduleTime <= policy.Interval.Nanoseconds() {
				c := *e
				events = append(events, &c)
			}
		}
	}
	events = append(events, &structs.RescheduleEvent{
		RescheduleTime: now.UnixNano(),
		PrevAllocID:    prev.ID,
		PrevNodeID:     prev.NodeID,
		Delay:          nextDelay(prev, policy),
	})
	return &structs.RescheduleTracker{Events: events}
}

// reschedulePenaltyNodes are the nodes a replacement should avoid: the failed
// allocation's and those of earlier attempts in its chain.
func reschedulePenaltyNodes(prev *structs.Allocation) map[string]bool {
	out := map[string]bool{prev.NodeID: true}
	if prev.RescheduleTracker != nil {
		for _, e := range prev.RescheduleTracker.Events {
			out[e.PrevNodeID] = true
		}
	}
	return out
}

// followupEvals creates the delayed evaluations for allocations to reschedule
// later, one per batch of allocations due within followupBatchWindow of the
// batch's first, and returns them with the eval ID each allocation gets.
func followupEvals(eval *structs.Evaluation, job *structs.Job, later []delayedReschedule, now time.Time) ([]*structs.Evaluation, map[string]string) {
	if len(later) == 0 {
		return nil, nil
	}
	sort.SliceStable(later, func(i, j int) bool { return later[i].at.Before(later[j].at) })
	var evals []*structs.Evaluation
	byAlloc := make(map[string]string, len(later))
	var current *structs.Evaluation
	for _, d := range later {
		if current == nil || d.at.Sub(current.WaitUntil) >= followupBatchWindow {
			current = &structs.Evaluation{
				ID:                uuid.NewString(),
				Namespace:         job.Namespace,
				Priority:          job.Priority,
				Type:              job.Type,
				TriggeredBy:       structs.EvalTriggerRetryFailedAlloc,
				JobID:             job.ID,
				JobModifyIndex:    job.JobModifyIndex,
				Status:            structs.EvalStatusPending,
				StatusDescription: followupEvalDescription,
				WaitUntil:         d.at,
				PreviousEval:      eval.ID,
				CreateTime:        now.UnixNano(),
				ModifyTime:        now.UnixNano(),
			}
			evals = append(evals, current)
		}
		byAlloc[d.alloc.ID] = current.ID
	}
	return evals, byAlloc
}
