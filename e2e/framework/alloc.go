package framework

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/nomad/api"
	"github.com/shoenig/test/must"
	"github.com/shoenig/test/wait"
)

// WaitAllocStatus waits until jobID has an allocation of group (any group when
// group is "") whose client status is status, and returns it in full.
func WaitAllocStatus(t testing.TB, agent *Agent, jobID, group, status string, timeout time.Duration) *api.Allocation {
	t.Helper()
	var alloc *api.Allocation
	must.Wait(t, wait.InitialSuccess(wait.ErrorFunc(func() error {
		stubs, _, err := agent.API.Jobs().Allocations(jobID, false, nil)
		if err != nil {
			return err
		}
		for _, s := range stubs {
			if (group == "" || s.TaskGroup == group) && s.ClientStatus == status {
				alloc, _, err = agent.API.Allocations().Info(s.ID, nil)
				return err
			}
		}
		return fmt.Errorf("no %s allocation of job %q group %q among %d", status, jobID, group, len(stubs))
	}), wait.Timeout(timeout), wait.Gap(100*time.Millisecond)),
		must.Sprintf("agent log:\n%s", agent.Log()))
	return alloc
}

// AllocPort is the allocation's group port with label.
func AllocPort(t testing.TB, alloc *api.Allocation, label string) api.PortMapping {
	t.Helper()
	for _, p := range alloc.AllocatedResources.Shared.Ports {
		if p.Label == label {
			return p
		}
	}
	t.Fatalf("alloc %s has no port %q in %+v", alloc.ID, label, alloc.AllocatedResources.Shared.Ports)
	return api.PortMapping{}
}

// JobFile copies the suite's input/<name> into a temp dir with __TESTAPP__
// replaced by the testapp binary's path, and returns the copy's path.
func JobFile(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("input", name))
	must.NoError(t, err)
	out := filepath.Join(t.TempDir(), name)
	must.NoError(t, os.WriteFile(out, []byte(strings.ReplaceAll(string(b), "__TESTAPP__", TestApp(t))), 0o644))
	return out
}
