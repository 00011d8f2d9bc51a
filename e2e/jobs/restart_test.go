package jobs

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/netnomad/netnomad/e2e/framework"
	"github.com/shoenig/test/must"
	"github.com/shoenig/test/wait"
)

// TestAgentRestartKeepsTask: an agent with a data dir that is restarted, cleanly or
// by SIGKILL, comes back to the same allocation with the same task process still
// running — no second copy — and its logs still readable.
func TestAgentRestartKeepsTask(t *testing.T) {
	agent := framework.StartAgent(t, framework.NonDev())
	run := agent.Run("job", "run", "input/counter.nomad.hcl")
	must.Eq(t, 0, run.ExitCode, must.Sprint(run.Stdout, run.Stderr))
	alloc := framework.WaitAllocStatus(t, agent, "counter", "", "running", 20*time.Second)
	pids := filepath.Join(allocDir(t, agent, alloc.ID), "alloc", "pids")
	must.Wait(t, wait.InitialSuccess(wait.BoolFunc(func() bool {
		return len(readPIDsIfAny(pids)) == 1
	}), wait.Timeout(10*time.Second), wait.Gap(50*time.Millisecond)))
	pid := lastPID(t, pids)

	for _, restart := range []struct {
		name string
		do   func()
	}{
		{"graceful", agent.Restart},
		{"sigkill", agent.KillAndRestart},
	} {
		restart.do()
		again := framework.WaitAllocStatus(t, agent, "counter", "", "running", 20*time.Second)
		must.Eq(t, alloc.ID, again.ID, must.Sprintf("%s restart replaced the allocation", restart.name))
		must.True(t, processAlive(pid), must.Sprintf("%s restart killed the task", restart.name))
		must.Eq(t, []int{pid}, readPIDs(t, pids), must.Sprintf("%s restart started a second task", restart.name))
		waitLogs(t, agent, alloc.ID, "count", false, "started alloc="+alloc.ID)

		// The restored runner still controls the task: it stays running for a
		// moment (no spurious restart) as seen through the API.
		state := again.TaskStates["count"]
		must.NotNil(t, state)
		must.Eq(t, "running", state.State)
		must.Eq(t, uint64(0), state.Restarts)
	}

	stop := agent.Run("job", "stop", "counter")
	must.Eq(t, 0, stop.ExitCode, must.Sprint(stop.Stdout, stop.Stderr))
	must.Wait(t, wait.InitialSuccess(wait.BoolFunc(func() bool { return !processAlive(pid) }),
		wait.Timeout(15*time.Second), wait.Gap(100*time.Millisecond)))
}
