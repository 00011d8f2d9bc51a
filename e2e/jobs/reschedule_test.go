package jobs

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/nomad/api"
	"github.com/netnomad/netnomad/e2e/framework"
	"github.com/shoenig/test/must"
	"github.com/shoenig/test/wait"
)

// TestJob_FailedAllocRescheduled: a service job whose task exits 1 at once, with
// no restarts and a reschedule policy of one attempt after 5s. The first
// allocation fails; 5s later (not before) a replacement that points back at it
// and carries one reschedule event is placed; it fails too, and with the one
// attempt used up the scheduler places no third allocation. The CLI shows the
// link and both allocations.
func TestJob_FailedAllocRescheduled(t *testing.T) {
	const rescheduleDelay = 5 * time.Second
	agent := framework.StartAgent(t)
	run := agent.Run("job", "run", "-detach", "input/reschedule.nomad.hcl")
	must.Eq(t, 0, run.ExitCode, must.Sprint(run.Stdout, run.Stderr))

	first := waitFailed(t, agent, waitAllocs(t, agent, "failing", 1, 10*time.Second)[0].ID)
	failedAt := first.TaskStates["fail"].FinishedAt
	must.False(t, failedAt.IsZero(), must.Sprint("failed task without a finish time"))

	var replacement *api.Allocation
	for _, stub := range waitAllocs(t, agent, "failing", 2, rescheduleDelay+10*time.Second) {
		if stub.ID != first.ID {
			replacement = waitFailed(t, agent, stub.ID)
		}
	}
	must.NotNil(t, replacement)
	waited := time.Unix(0, replacement.CreateTime).Sub(failedAt)
	t.Logf("replacement placed %s after the failure", waited.Round(10*time.Millisecond))
	must.GreaterEq(t, rescheduleDelay, waited, must.Sprint("replacement placed before the reschedule delay"))
	must.Eq(t, first.ID, replacement.PreviousAllocation)
	must.NotNil(t, replacement.RescheduleTracker)
	must.Len(t, 1, replacement.RescheduleTracker.Events)
	must.Eq(t, first.ID, replacement.RescheduleTracker.Events[0].PrevAllocID)

	// With the one attempt used up, the eval of the second failure completes
	// without placing anything and leaves no follow-up eval behind.
	secondFailedAt := replacement.TaskStates["fail"].FinishedAt
	must.Wait(t, wait.InitialSuccess(wait.ErrorFunc(func() error {
		evals, _, err := agent.API.Jobs().Evaluations("failing", nil)
		if err != nil {
			return err
		}
		judged := false
		for _, e := range evals {
			if e.Status != "complete" {
				return fmt.Errorf("eval %s (%s) is %s", e.ID[:8], e.TriggeredBy, e.Status)
			}
			judged = judged || time.Unix(0, e.CreateTime).After(secondFailedAt)
		}
		if !judged {
			return fmt.Errorf("no eval of the second failure among %d", len(evals))
		}
		return nil
	}), wait.Timeout(10*time.Second), wait.Gap(100*time.Millisecond)))
	allocs, _, err := agent.API.Jobs().Allocations("failing", true, nil)
	must.NoError(t, err)
	must.Len(t, 2, allocs, must.Sprint("a third allocation was placed"))

	status := agent.Run("alloc", "status", first.ID)
	must.Zero(t, status.ExitCode, must.Sprint(status.Stderr))
	must.RegexMatch(t, regexp.MustCompile(`Replacement Alloc ID\s+= `+replacement.ID[:8]), status.Stdout)

	jobStatus := agent.Run("job", "status", "failing")
	must.Zero(t, jobStatus.ExitCode, must.Sprint(jobStatus.Stderr))
	for _, id := range []string{first.ID, replacement.ID} {
		must.RegexMatch(t, regexp.MustCompile(id[:8]+`\s.*\sfailed\s`), jobStatus.Stdout)
	}

	// A plan of more attempts shows the group's policy change.
	more := strings.Replace(readFile(t, "input/reschedule.nomad.hcl"), "attempts       = 1", "attempts       = 3", 1)
	moreFile := filepath.Join(t.TempDir(), "reschedule.nomad.hcl")
	must.NoError(t, os.WriteFile(moreFile, []byte(more), 0o644))
	plan := agent.Run("job", "plan", moreFile)
	must.StrContains(t, plan.Stdout, `+/- Task Group: "g"`, must.Sprint(plan.Stdout, plan.Stderr))
	must.StrContains(t, plan.Stdout, "+/- ReschedulePolicy {")
	must.RegexMatch(t, regexp.MustCompile(`\+/- Attempts:\s+"1" => "3"`), plan.Stdout)
}

// waitAllocs waits until the job has exactly n allocations (terminal ones
// included) and returns them.
func waitAllocs(t *testing.T, agent *framework.Agent, jobID string, n int, timeout time.Duration) []*api.AllocationListStub {
	t.Helper()
	var out []*api.AllocationListStub
	must.Wait(t, wait.InitialSuccess(wait.ErrorFunc(func() error {
		var err error
		out, _, err = agent.API.Jobs().Allocations(jobID, true, nil)
		if err != nil {
			return err
		}
		if len(out) != n {
			return fmt.Errorf("want %d allocations, have %d", n, len(out))
		}
		return nil
	}), wait.Timeout(timeout), wait.Gap(100*time.Millisecond)), must.Sprintf("agent log:\n%s", agent.Log()))
	return out
}

// waitFailed waits until the allocation's client status is failed.
func waitFailed(t *testing.T, agent *framework.Agent, allocID string) *api.Allocation {
	t.Helper()
	var alloc *api.Allocation
	must.Wait(t, wait.InitialSuccess(wait.ErrorFunc(func() error {
		var err error
		alloc, _, err = agent.API.Allocations().Info(allocID, nil)
		if err != nil {
			return err
		}
		if alloc.ClientStatus != "failed" {
			return fmt.Errorf("allocation %s is %s", allocID[:8], alloc.ClientStatus)
		}
		return nil
	}), wait.Timeout(10*time.Second), wait.Gap(100*time.Millisecond)))
	return alloc
}
