package framework

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/hashicorp/nomad/api"
	"github.com/shoenig/test/wait"
)

// Every task process carries NOMAD_ALLOC_ID in its environment. An agent
// remembers the allocations it ran, and once the test is over (the agent
// stopped, its jobs purged) no process on the host may still carry one of
// them. The check runs only at the agent's final cleanup: tasks are meant to
// outlive agents that tests restart or kill on purpose.

// recordAllocs adds the allocations this agent ran to a.allocIDs: every
// allocation directory in its data dir, and the allocations the servers place
// on its node. Call it before the agent stops: a dev agent removes its
// allocations when it stops.
func (a *Agent) recordAllocs() {
	if a.role == "server" {
		return // no client, no tasks
	}
	if a.allocIDs == nil {
		a.allocIDs = map[string]bool{}
	}
	entries, _ := os.ReadDir(filepath.Join(a.DataDir, "alloc"))
	for _, e := range entries {
		if e.IsDir() {
			a.allocIDs[e.Name()] = true
		}
	}
	if a.API == nil {
		return
	}
	// Best effort: the servers may be gone already.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	allocs, _, err := a.API.Allocations().List((&api.QueryOptions{}).WithContext(ctx))
	if err != nil {
		return
	}
	for _, al := range allocs {
		if al.NodeName == a.Name {
			a.allocIDs[al.ID] = true
		}
	}
}

// assertNoTaskProcesses fails the test if a process of an allocation this
// agent ran is still alive (waiting a little for processes on their way out),
// and kills it so it does not disturb the next test.
func (a *Agent) assertNoTaskProcesses() {
	a.recordAllocs()
	if len(a.allocIDs) == 0 {
		return
	}
	var leaked []taskProcess
	err := wait.InitialSuccess(wait.BoolFunc(func() bool {
		leaked = taskProcesses(a.allocIDs)
		return len(leaked) == 0
	}), wait.Timeout(10*time.Second), wait.Gap(100*time.Millisecond)).Run()
	if err == nil {
		return
	}
	var b strings.Builder
	for _, p := range leaked {
		fmt.Fprintf(&b, "\n  pid %d alloc %s: %s", p.pid, p.allocID, p.cmdline)
		_ = syscall.Kill(p.pid, syscall.SIGKILL)
	}
	a.t.Errorf("agent %s: task processes outlived the test (killed now):%s", a.Name, b.String())
}

// taskProcess is a live process whose environment names an allocation.
type taskProcess struct {
	pid     int
	allocID string
	cmdline string
}

// taskProcesses lists the live processes whose NOMAD_ALLOC_ID is in allocIDs.
// Processes that exit while being read, zombies (whose environ reads empty)
// and processes this user may not read are skipped.
func taskProcesses(allocIDs map[string]bool) []taskProcess {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var out []taskProcess
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		env, err := os.ReadFile(filepath.Join("/proc", e.Name(), "environ"))
		if err != nil {
			continue
		}
		id := envValue(env, "NOMAD_ALLOC_ID")
		if id == "" || !allocIDs[id] {
			continue
		}
		cmd, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		out = append(out, taskProcess{pid: pid, allocID: id, cmdline: strings.TrimSpace(string(bytes.ReplaceAll(cmd, []byte{0}, []byte{' '})))})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].pid < out[j].pid })
	return out
}

// envValue returns key's value in a NUL-separated environment block.
func envValue(env []byte, key string) string {
	prefix := []byte(key + "=")
	for _, kv := range bytes.Split(env, []byte{0}) {
		if bytes.HasPrefix(kv, prefix) {
			return string(kv[len(prefix):])
		}
	}
	return ""
}
