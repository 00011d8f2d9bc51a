package watcher

import (
	"fmt"
	"time"

	"github.com/hashicorp/consul/api"

	sr "github.com/netnomad/netnomad/client/serviceregistration"
	"github.com/netnomad/netnomad/nomad/structs"
)

// Check is one check to watch.
type Check struct {
	// ID is the check's ID in the agent (serviceregistration.MakeCheckID).
	ID string
	// Name is the check's name, as the restart event quotes it.
	Name string
	// Interval is how often the agent runs the check.
	Interval time.Duration
	// Restart is the effective check_restart (see EffectiveCheckRestart).
	Restart structs.CheckRestart
}

// watchedCheck is a Check and its current unhealthy streak.
type watchedCheck struct {
	Check
	// unhealthySince is when the check was first seen unhealthy in the
	// current streak; zero while healthy.
	unhealthySince time.Time
}

// observe records status seen at now for a workload running since `since`
// and reports whether the workload must restart.
//
// The agent reports only the current status, not how many runs failed, so
// (as Nomad does) "unhealthy limit times in a row" means unhealthy without a
// break for limit-1 check intervals after the first unhealthy status seen
// past the grace period: limit 1 restarts at the first one.
func (c *watchedCheck) observe(now, since time.Time, status string) bool {
	switch status {
	case api.HealthCritical:
	case api.HealthWarning:
		if c.Restart.IgnoreWarnings {
			c.unhealthySince = time.Time{}
			return false
		}
	default:
		c.unhealthySince = time.Time{}
		return false
	}
	if now.Before(since.Add(c.Restart.Grace)) {
		return false
	}
	if c.unhealthySince.IsZero() {
		c.unhealthySince = now
	}
	limit := time.Duration(c.Restart.Limit-1) * c.Interval
	return !now.Before(c.unhealthySince.Add(limit))
}

// EffectiveCheckRestart merges a service's check_restart under its check's,
// as Nomad does: the service's applies to every check, each field the check
// sets wins. It returns nil when neither sets one.
func EffectiveCheckRestart(svc *structs.Service, check *structs.ServiceCheck) *structs.CheckRestart {
	s, c := svc.CheckRestart, check.CheckRestart
	switch {
	case s == nil && c == nil:
		return nil
	case s == nil:
		out := *c
		return &out
	case c == nil:
		out := *s
		return &out
	}
	out := *s
	if c.Limit > 0 {
		out.Limit = c.Limit
	}
	if c.Grace > 0 {
		out.Grace = c.Grace
	}
	if c.IgnoreWarnings {
		out.IgnoreWarnings = true
	}
	return &out
}

// ChecksOf returns the checks of the workload's services that have a
// check_restart with a limit and for which include (nil: all) says yes; it
// gets each check with the service that holds it.
func ChecksOf(w *sr.WorkloadServices, include func(*structs.Service, *structs.ServiceCheck) bool) []Check {
	if w == nil {
		return nil
	}
	var out []Check
	for _, svc := range w.Services {
		serviceID := sr.MakeAllocServiceID(w.AllocID, w.Task, svc)
		for _, check := range svc.Checks {
			cr := EffectiveCheckRestart(svc, check)
			if cr == nil || cr.Limit <= 0 || (include != nil && !include(svc, check)) {
				continue
			}
			out = append(out, Check{
				ID:       sr.MakeCheckID(serviceID, check),
				Name:     checkName(svc, check),
				Interval: check.Interval,
				Restart:  *cr,
			})
		}
	}
	return out
}

// checkName is the name the check is registered under (see the Consul
// provider's default for a check without one).
func checkName(svc *structs.Service, check *structs.ServiceCheck) string {
	if check.Name != "" {
		return check.Name
	}
	return fmt.Sprintf("service: %q check", svc.Name)
}

// CheckTask is the task a group service's check belongs to: the check's
// `task`, else the service's; "" when neither names one.
func CheckTask(svc *structs.Service, check *structs.ServiceCheck) string {
	if check.TaskName != "" {
		return check.TaskName
	}
	return svc.TaskName
}
