package structs

import (
	"slices"
	"time"
)

// Reschedule delay functions: how the delay grows between attempts.
const (
	RescheduleDelayConstant    = "constant"
	RescheduleDelayExponential = "exponential"
	RescheduleDelayFibonacci   = "fibonacci"
)

// RescheduleDelayFunctions lists the delay functions, in Nomad's order.
var RescheduleDelayFunctions = []string{RescheduleDelayConstant, RescheduleDelayExponential, RescheduleDelayFibonacci}

// Bounds Nomad enforces on reschedule policies.
const (
	ReschedulePolicyMinDelay    = 5 * time.Second
	ReschedulePolicyMinInterval = 15 * time.Second
)

// ReschedulePolicy says whether, how often and how soon the scheduler replaces a
// failed allocation on another node (the restart policy acts on the same node,
// before the allocation fails). A policy with neither Attempts nor Unlimited is
// disabled.
type ReschedulePolicy struct {
	// Attempts is how many reschedules are allowed within Interval.
	Attempts int
	Interval time.Duration
	// Delay is the first wait after a failure; DelayFunction grows it for each
	// further attempt, up to MaxDelay.
	Delay         time.Duration
	DelayFunction string
	MaxDelay      time.Duration
	// Unlimited reschedules forever (Attempts and Interval are then unused).
	Unlimited bool
}

// DefaultReschedulePolicy returns Nomad's policy for a job type: service jobs
// reschedule forever with an exponential delay, batch jobs once a day. System
// jobs have none (nil).
func DefaultReschedulePolicy(jobType string) *ReschedulePolicy {
	switch jobType {
	case JobTypeService:
		return &ReschedulePolicy{
			Delay:         30 * time.Second,
			DelayFunction: RescheduleDelayExponential,
			MaxDelay:      time.Hour,
			Unlimited:     true,
		}
	case JobTypeBatch:
		return &ReschedulePolicy{
			Attempts:      1,
			Interval:      24 * time.Hour,
			Delay:         5 * time.Second,
			DelayFunction: RescheduleDelayConstant,
		}
	}
	return nil
}

// Enabled reports whether the policy allows any reschedule at all.
func (r *ReschedulePolicy) Enabled() bool {
	return r != nil && (r.Attempts > 0 || r.Unlimited)
}

// validate reports the policy's problems with Nomad's wording. A disabled policy
// is valid whatever its other fields say.
func (r *ReschedulePolicy) validate(v *validator, path string) {
	if !r.Enabled() {
		return
	}
	if r.Attempts > 0 {
		if r.Interval <= 0 {
			v.addf(path, "Interval must be a non zero value if Attempts > 0")
		}
		if r.Unlimited {
			v.addf(path, "Reschedule Policy with Attempts = %v, Interval = %v, and Unlimited = %v is ambiguous",
				r.Attempts, r.Interval, r.Unlimited)
			v.addf(path, "If Attempts >0, Unlimited cannot also be set to true")
		}
	}

	// The cross-check of attempts against the interval needs sane delays.
	delaysOK := true
	if r.Delay < ReschedulePolicyMinDelay {
		v.addf(path, "Delay cannot be less than %v (got %v)", ReschedulePolicyMinDelay, r.Delay)
		delaysOK = false
	}
	if !slices.Contains(RescheduleDelayFunctions, r.DelayFunction) {
		v.addf(path, "Invalid delay function %q, must be one of %q", r.DelayFunction, RescheduleDelayFunctions)
		delaysOK = false
	}
	if r.DelayFunction != RescheduleDelayConstant {
		if r.MaxDelay < ReschedulePolicyMinDelay {
			v.addf(path, "Max Delay cannot be less than %v (got %v)", ReschedulePolicyMinDelay, r.MaxDelay)
			delaysOK = false
		}
		if r.MaxDelay < r.Delay {
			v.addf(path, "Max Delay cannot be less than Delay %v (got %v)", r.Delay, r.MaxDelay)
			delaysOK = false
		}
	}
	if r.Unlimited {
		return
	}
	if r.Interval < ReschedulePolicyMinInterval {
		v.addf(path, "Interval cannot be less than %v (got %v)", ReschedulePolicyMinInterval, r.Interval)
	}
	if !delaysOK || r.Interval <= 0 {
		return
	}
	if possible, needed := r.viableAttempts(); possible < r.Attempts {
		if r.DelayFunction == RescheduleDelayConstant {
			v.addf(path, "Nomad can only make %v attempts in %v with initial delay %v and delay function %q",
				possible, r.Interval, r.Delay, r.DelayFunction)
		} else {
			v.addf(path, "Nomad can only make %v attempts in %v with initial delay %v, delay function %q, and delay ceiling %v",
				possible, r.Interval, r.Delay, r.DelayFunction, r.MaxDelay)
		}
		v.addf(path, "Set the interval to at least %v to accommodate %v attempts", needed.Round(time.Second), r.Attempts)
	}
}

// viableAttempts walks the delays of Attempts consecutive reschedules: possible
// is how many of them start within Interval, needed the interval all of them
// would take.
func (r *ReschedulePolicy) viableAttempts() (possible int, needed time.Duration) {
	var prev, prev2 time.Duration
	for i := 0; i < r.Attempts; i++ {
		d := r.Delay
		switch {
		case i == 0 || r.DelayFunction == RescheduleDelayConstant:
		case r.DelayFunction == RescheduleDelayExponential:
			d = prev * 2
		case r.DelayFunction == RescheduleDelayFibonacci && i >= 2:
			d = prev + prev2
		}
		if r.DelayFunction != RescheduleDelayConstant && d > r.MaxDelay {
			d = r.MaxDelay
		}
		prev2, prev = prev, d
		needed += d
		if needed <= r.Interval {
			possible++
		}
	}
	return possible, needed
}

// RescheduleTracker is an allocation's reschedule history: one event per
// replacement in its chain, oldest first. A replacement carries its
// predecessor's recent events plus one for itself.
type RescheduleTracker struct {
	Events []*RescheduleEvent
}

// RescheduleEvent records that an allocation was placed to replace PrevAllocID.
type RescheduleEvent struct {
	// RescheduleTime is when the replacement was placed (Unix nanoseconds).
	RescheduleTime int64
	PrevAllocID    string
	PrevNodeID     string
	// Delay is the wait that preceded this attempt; the next one grows from it.
	Delay time.Duration
}
