package jobs

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/netnomad/netnomad/e2e/framework"
	"github.com/shoenig/test/must"
	"github.com/shoenig/test/wait"
)

// TestJobLifecycle walks through what a user does with a service job: plan it, run
// it, look at it, read its logs, restart it, change it, stop and purge it.
func TestJobLifecycle(t *testing.T) {
	agent := framework.StartAgent(t)
	jobFile := "input/counter.nomad.hcl"

	plan := agent.Run("job", "plan", jobFile)
	must.Eq(t, 1, plan.ExitCode, must.Sprint(plan.Stdout, plan.Stderr))
	must.StrContains(t, plan.Stdout, `+ Job: "counter"`)
	must.StrContains(t, plan.Stdout, `+ Task Group: "app" (1 create)`)
	must.StrContains(t, plan.Stdout, "All tasks successfully allocated.")

	run := agent.Run("job", "run", jobFile)
	must.Eq(t, 0, run.ExitCode, must.Sprint(run.Stdout, run.Stderr))
	must.StrContains(t, run.Stdout, `==> Monitoring evaluation "`)
	must.StrContains(t, run.Stdout, `Evaluation triggered by job "counter"`)
	must.StrContains(t, run.Stdout, `finished with status "complete"`)

	alloc := framework.WaitAllocStatus(t, agent, "counter", "", "running", 20*time.Second)
	pids := filepath.Join(allocDir(t, agent, alloc.ID), "alloc", "pids")
	must.Wait(t, wait.InitialSuccess(wait.ErrorFunc(func() error {
		_, err := os.Stat(pids)
		return err
	}), wait.Timeout(10*time.Second), wait.Gap(50*time.Millisecond)))
	pid := lastPID(t, pids)
	must.True(t, processAlive(pid), must.Sprintf("task process %d not running", pid))

	// The environment reached the task: logs show the alloc ID and a real port.
	port := alloc.AllocatedResources.Shared.Ports[0].Value
	must.Between(t, 20000, port, 32000)
	want := fmt.Sprintf("started alloc=%s port=%d task=count", alloc.ID, port)
	waitLogs(t, agent, alloc.ID, "count", false, want)
	waitLogs(t, agent, alloc.ID, "count", true, "oops")

	status := agent.Run("alloc", "status", alloc.ID[:8])
	must.Eq(t, 0, status.ExitCode, must.Sprint(status.Stderr))
	must.StrContains(t, status.Stdout, `Task "count" is "running"`)
	must.StrContains(t, status.Stdout, "Started")

	// Re-planning the unchanged job changes nothing.
	same := agent.Run("job", "plan", jobFile)
	must.Eq(t, 0, same.ExitCode, must.Sprint(same.Stdout, same.Stderr))

	// A user restart runs the task again in the same allocation.
	restart := agent.Run("alloc", "restart", alloc.ID, "count")
	must.Eq(t, 0, restart.ExitCode, must.Sprint(restart.Stdout, restart.Stderr))
	must.Wait(t, wait.InitialSuccess(wait.ErrorFunc(func() error {
		if n := len(readPIDs(t, pids)); n < 2 {
			return fmt.Errorf("task started %d times", n)
		}
		return nil
	}), wait.Timeout(15*time.Second), wait.Gap(100*time.Millisecond)))
	must.False(t, processAlive(pid), must.Sprint("old task process survived the restart"))
	newPID := lastPID(t, pids)
	must.True(t, processAlive(newPID))

	// Scaling up is a plan with one more placement.
	scaled := strings.Replace(readFile(t, jobFile), "count = 1", "count = 2", 1)
	scaledFile := filepath.Join(t.TempDir(), "counter.nomad.hcl")
	must.NoError(t, os.WriteFile(scaledFile, []byte(scaled), 0o644))
	plan2 := agent.Run("job", "plan", scaledFile)
	must.Eq(t, 1, plan2.ExitCode, must.Sprint(plan2.Stdout, plan2.Stderr))
	must.StrContains(t, plan2.Stdout, `+/- Task Group: "app" (1 create, 1 in-place update)`)
	must.StrContains(t, plan2.Stdout, `+/- Count: "1" => "2" (forces create)`)

	stop := agent.Run("job", "stop", "-purge", "counter")
	must.Eq(t, 0, stop.ExitCode, must.Sprint(stop.Stdout, stop.Stderr))
	must.Wait(t, wait.InitialSuccess(wait.BoolFunc(func() bool { return !processAlive(newPID) }),
		wait.Timeout(15*time.Second), wait.Gap(100*time.Millisecond)))
	_, _, err := agent.API.Jobs().Info("counter", nil)
	must.ErrorContains(t, err, "404")
}

// TestJobValidationErrors shows every problem of a bad job at once, with its place.
func TestJobValidationErrors(t *testing.T) {
	agent := framework.StartAgent(t)
	res := agent.Run("job", "validate", "input/invalid.nomad.hcl")
	must.Eq(t, 1, res.ExitCode, must.Sprint(res.Stdout, res.Stderr))
	out := res.Stdout + res.Stderr
	must.StrContains(t, out, "Job validation errors")
	must.StrContains(t, out, `group "api"`)
	must.StrContains(t, out, `Port "http" cannot be mapped to negative value -2`)
	must.StrContains(t, out, "-2")
	must.StrContains(t, out, "driver")

	run := agent.Run("job", "run", "input/invalid.nomad.hcl")
	must.Eq(t, 1, run.ExitCode)
	must.StrContains(t, run.Stderr+run.Stdout, "Error submitting job")
}

// TestJobPlacementFailure exits 2 and says which constraint filtered the node.
func TestJobPlacementFailure(t *testing.T) {
	agent := framework.StartAgent(t)
	res := agent.Run("job", "run", "input/unplaceable.nomad.hcl")
	must.Eq(t, 2, res.ExitCode, must.Sprint(res.Stdout, res.Stderr))
	must.StrContains(t, res.Stdout, `Task Group "g" (failed to place 1 allocation)`)
	must.StrContains(t, res.Stdout, `${attr.kernel.name} = windows`)
}

// allocDir finds the allocation's directory under the agent's data dir.
func allocDir(t *testing.T, agent *framework.Agent, allocID string) string {
	t.Helper()
	return filepath.Join(agent.DataDir, "alloc", allocID)
}

func waitLogs(t *testing.T, agent *framework.Agent, allocID, task string, stderr bool, want string) {
	t.Helper()
	var last framework.Result
	must.Wait(t, wait.InitialSuccess(wait.BoolFunc(func() bool {
		args := []string{"alloc", "logs"}
		if stderr {
			args = append(args, "-stderr")
		}
		last = agent.Run(append(args, allocID, task)...)
		return last.ExitCode == 0 && strings.Contains(last.Stdout, want)
	}), wait.Timeout(10*time.Second), wait.Gap(100*time.Millisecond)),
		must.Sprintf("logs never contained %q; last: %+v", want, last))
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	must.NoError(t, err)
	return string(b)
}

func readPIDs(t *testing.T, path string) []int {
	t.Helper()
	var out []int
	for _, f := range strings.Fields(readFile(t, path)) {
		n, err := strconv.Atoi(f)
		must.NoError(t, err)
		out = append(out, n)
	}
	return out
}

// readPIDsIfAny is readPIDs for a file that may not exist yet.
func readPIDsIfAny(path string) []int {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var out []int
	for _, f := range strings.Fields(string(b)) {
		if n, err := strconv.Atoi(f); err == nil {
			out = append(out, n)
		}
	}
	return out
}

func lastPID(t *testing.T, path string) int {
	pids := readPIDs(t, path)
	must.SliceNotEmpty(t, pids)
	return pids[len(pids)-1]
}

func processAlive(pid int) bool {
	return syscall.Kill(pid, 0) == nil
}
