package networking

import (
	"fmt"
	"testing"
	"time"

	"github.com/netnomad/netnomad/e2e/framework"
	"github.com/shoenig/test/must"
	"github.com/shoenig/test/wait"
)

// TestBridge_FiftyAllocations: 50 bridge allocations placed at once on one client
// all come up and answer on their mapped ports (no iptables lock failures), and
// all go away cleanly.
func TestBridge_FiftyAllocations(t *testing.T) {
	agent := startAgent(t)
	start := time.Now()
	res := agent.Run("job", "run", "-detach", framework.JobFile(t, "many.nomad.hcl"))
	must.Eq(t, 0, res.ExitCode, must.Sprint(res.Stdout, res.Stderr))

	must.Wait(t, wait.InitialSuccess(wait.ErrorFunc(func() error {
		allocs, _, err := agent.API.Jobs().Allocations("many", false, nil)
		if err != nil {
			return err
		}
		running := 0
		for _, a := range allocs {
			if a.ClientStatus == "failed" {
				return fmt.Errorf("allocation %s failed: %s", a.ID, a.ClientDescription)
			}
			if a.ClientStatus == "running" {
				running++
			}
		}
		if running != 50 {
			return fmt.Errorf("%d of %d allocations running", running, len(allocs))
		}
		return nil
	}), wait.Timeout(3*time.Minute), wait.Gap(500*time.Millisecond)),
		must.Sprintf("agent log:\n%s", tail(agent.Log(), 40)))
	t.Logf("50 bridge allocations running after %s", time.Since(start).Round(time.Millisecond))

	allocs, _, err := agent.API.Jobs().Allocations("many", false, nil)
	must.NoError(t, err)
	for _, stub := range allocs {
		a, _, err := agent.API.Allocations().Info(stub.ID, nil)
		must.NoError(t, err)
		framework.WaitHTTP(t, fmt.Sprintf("127.0.0.1:%d", framework.AllocPort(t, a, "http").Value), "hello from "+a.ID)
	}

	start = time.Now()
	stop := agent.Run("job", "stop", "-purge", "many")
	must.Eq(t, 0, stop.ExitCode, must.Sprint(stop.Stdout, stop.Stderr))
	must.Wait(t, wait.InitialSuccess(wait.BoolFunc(func() bool {
		return len(reservations(t)) == 0
	}), wait.Timeout(3*time.Minute), wait.Gap(500*time.Millisecond)))
	t.Logf("50 bridge allocations torn down after %s", time.Since(start).Round(time.Millisecond))
}
