package cluster

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/nomad/api"
	"github.com/shoenig/test/must"
	"github.com/shoenig/test/wait"

	"github.com/netnomad/netnomad/e2e/framework"
)

// TestCluster_ClientKilledAllocsRescheduled: one server agent and two client
// agents on their own data dirs, ports, names and bridges. A count=2
// distinct_hosts job lands once on each client, a count=1 job on one of them.
// That client agent and its tasks die with SIGKILL: once its heartbeat TTL runs
// out the node is down, its allocations are lost, the count=1 job is replaced on
// the surviving client, and the distinct_hosts job keeps its surviving
// allocation (its replacement cannot share that host). The server hands out
// short TTLs through its agent config so that the node is down within seconds.
func TestCluster_ClientKilledAllocsRescheduled(t *testing.T) {
	framework.RequireRoot(t)
	server := framework.StartAgent(t, framework.ServerOnly(), framework.WithHCL(shortHeartbeats))
	clients := []*framework.Agent{
		framework.StartAgent(t, framework.ClientOnly(server),
			framework.WithClientHCL(`bridge_network_name = "nomade2e1"`+"\n"+`bridge_network_subnet = "172.26.96.0/24"`)),
		framework.StartAgent(t, framework.ClientOnly(server),
			framework.WithClientHCL(`bridge_network_name = "nomade2e2"`+"\n"+`bridge_network_subnet = "172.26.97.0/24"`)),
	}
	nodeIDs := map[string]*framework.Agent{}
	nodes, _, err := server.API.Nodes().List(nil)
	must.NoError(t, err)
	must.Len(t, 2, nodes)
	for _, n := range nodes {
		for _, c := range clients {
			if n.Name == c.Name {
				nodeIDs[n.ID] = c
			}
		}
	}
	must.MapLen(t, 2, nodeIDs)
	// Runs before the agents stop (cleanups run last-in first-out): no task of
	// the surviving client outlives the test.
	t.Cleanup(func() { purgeJobs(t, server) })

	_, _, err = server.API.Jobs().Register(sleepJob("web", 2, true), nil)
	must.NoError(t, err)
	web := waitRunning(t, server, "web", 2)
	must.NotEq(t, web[0].NodeID, web[1].NodeID)

	// A client agent answers the public API as Nomad's do, forwarding to its
	// server: the job is submitted and inspected through the clients.
	_, _, err = apiFor(t, clients[0]).Jobs().Register(sleepJob("solo", 1, false), nil)
	must.NoError(t, err)
	solo := waitRunning(t, server, "solo", 1)[0]
	res := clients[1].Run("job", "status", "solo")
	must.Zero(t, res.ExitCode, must.Sprint(res.Stderr))
	must.StrContains(t, res.Stdout, "running")
	must.StrContains(t, res.Stdout, solo.ID[:8])

	// The client agent advertises `http = "127.0.0.1"` without a port: the
	// server must still reach it for the task's logs.
	must.Wait(t, wait.InitialSuccess(wait.ErrorFunc(func() error {
		res := server.Run("alloc", "logs", solo.ID)
		if res.ExitCode != 0 || !strings.Contains(res.Stdout, "task started") {
			return fmt.Errorf("alloc logs through the server: exit %d, stdout %q, stderr %q", res.ExitCode, res.Stdout, res.Stderr)
		}
		return nil
	}), wait.Timeout(10*time.Second), wait.Gap(100*time.Millisecond)))

	// Kill the client running "solo" and every task it started.
	victim := nodeIDs[solo.NodeID]
	var victimPIDs []int
	for _, a := range append(web, solo) {
		if a.NodeID == solo.NodeID {
			victimPIDs = append(victimPIDs, taskPID(t, victim, a.ID))
		}
	}
	must.Len(t, 2, victimPIDs)
	victim.Kill()
	for _, pid := range victimPIDs {
		killTaskAndExecutor(t, pid)
	}

	// Within TTL (1s, plus up to 1s of stagger) + grace (1s) the node is down
	// and its allocations lost.
	killedAt := time.Now()
	must.Wait(t, wait.InitialSuccess(wait.ErrorFunc(func() error {
		n, _, err := server.API.Nodes().Info(solo.NodeID, nil)
		if err != nil {
			return err
		}
		if n.Status != "down" {
			return fmt.Errorf("node status %q", n.Status)
		}
		return nil
	}), wait.Timeout(30*time.Second), wait.Gap(100*time.Millisecond)))
	t.Logf("node down %s after the kill", time.Since(killedAt).Round(100*time.Millisecond))

	must.Wait(t, wait.InitialSuccess(wait.ErrorFunc(func() error {
		allocs, _, err := server.API.Jobs().Allocations("solo", true, nil)
		if err != nil {
			return err
		}
		var lost, replaced bool
		for _, a := range allocs {
			switch {
			case a.ID == solo.ID:
				lost = a.ClientStatus == "lost"
			case a.ClientStatus == "running" && a.NodeID != solo.NodeID:
				replaced = true
			}
		}
		if !lost || !replaced {
			return fmt.Errorf("lost=%t replaced=%t: %s", lost, replaced, describe(allocs))
		}
		return nil
	}), wait.Timeout(30*time.Second), wait.Gap(250*time.Millisecond)))

	allocs, _, err := server.API.Jobs().Allocations("web", true, nil)
	must.NoError(t, err)
	var running, lost int
	for _, a := range allocs {
		switch {
		case a.ClientStatus == "running" && a.NodeID != solo.NodeID:
			running++
		case a.ClientStatus == "lost" && a.NodeID == solo.NodeID:
			lost++
		case a.NodeID == solo.NodeID:
			t.Errorf("allocation %s on the dead node is %q", a.ID, a.ClientStatus)
		}
	}
	must.Eq(t, 1, running, must.Sprint(describe(allocs)))
	must.Eq(t, 1, lost, must.Sprint(describe(allocs)))
	for _, pid := range victimPIDs {
		must.False(t, processAlive(pid), must.Sprintf("task %d of the killed client survived", pid))
	}
}

// shortHeartbeats is the server config of the tests that kill clients: a dead
// node is down 2-3s after its last heartbeat instead of Nomad's 20-30s.
const shortHeartbeats = `
server {
  min_heartbeat_ttl = "1s"
  heartbeat_grace   = "1s"
}`

// apiFor is an API client for the agent's own HTTP address (Agent.API of a
// client-only agent points at its server).
func apiFor(t *testing.T, a *framework.Agent) *api.Client {
	cfg := api.DefaultConfig()
	cfg.Address = "http://" + a.HTTP
	c, err := api.NewClient(cfg)
	must.NoError(t, err)
	return c
}

func sleepJob(id string, count int, distinct bool) *api.Job {
	job := api.NewServiceJob(id, id, "global", 50)
	job.Datacenters = []string{"dc1"}
	tg := api.NewTaskGroup("g", count)
	if distinct {
		tg.Constrain(&api.Constraint{Operand: "distinct_hosts", RTarget: "true"})
	}
	// The task records its PID (as e2e/jobs' jobs do) so the test can kill it,
	// and says it started, for `nomad alloc logs`.
	task := api.NewTask("t", "raw_exec").SetConfig("command", "/bin/sh").
		SetConfig("args", []string{"-c", "echo $$ >> ${NOMAD_ALLOC_DIR}/pids; echo task started; exec sleep 1000"})
	cpu, mem := 20, 16
	task.Resources = &api.Resources{CPU: &cpu, MemoryMB: &mem}
	tg.AddTask(task)
	job.AddTaskGroup(tg)
	return job
}

// waitRunning waits for n running allocations of the job and returns them.
func waitRunning(t *testing.T, server *framework.Agent, jobID string, n int) []*api.AllocationListStub {
	t.Helper()
	var out []*api.AllocationListStub
	must.Wait(t, wait.InitialSuccess(wait.ErrorFunc(func() error {
		allocs, _, err := server.API.Jobs().Allocations(jobID, false, nil)
		if err != nil {
			return err
		}
		out = out[:0]
		for _, a := range allocs {
			if a.ClientStatus == "running" {
				out = append(out, a)
			}
		}
		if len(out) != n {
			return fmt.Errorf("want %d running allocations: %s", n, describe(allocs))
		}
		return nil
	}), wait.Timeout(30*time.Second), wait.Gap(100*time.Millisecond)))
	return out
}

// taskPID is the task's PID from the allocation's pid file.
func taskPID(t *testing.T, agent *framework.Agent, allocID string) int {
	t.Helper()
	path := filepath.Join(agent.DataDir, "alloc", allocID, "alloc", "pids")
	var pid int
	must.Wait(t, wait.InitialSuccess(wait.ErrorFunc(func() error {
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		fields := strings.Fields(string(b))
		if len(fields) == 0 {
			return errors.New("no pid yet")
		}
		pid, err = strconv.Atoi(fields[len(fields)-1])
		return err
	}), wait.Timeout(10*time.Second), wait.Gap(50*time.Millisecond)))
	return pid
}

// killTaskAndExecutor kills the task's process group and its executor (the
// task's parent, leader of its own session) with SIGKILL, as if the machine died.
func killTaskAndExecutor(t *testing.T, pid int) {
	t.Helper()
	if ppid := parentPID(pid); ppid > 1 {
		_ = syscall.Kill(-ppid, syscall.SIGKILL)
		_ = syscall.Kill(ppid, syscall.SIGKILL)
	}
	_ = syscall.Kill(-pid, syscall.SIGKILL)
	_ = syscall.Kill(pid, syscall.SIGKILL)
	must.Wait(t, wait.InitialSuccess(wait.BoolFunc(func() bool { return !processAlive(pid) }),
		wait.Timeout(10*time.Second), wait.Gap(50*time.Millisecond)))
}

// parentPID reads the parent of pid from /proc (0 if unknown).
func parentPID(pid int) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// pid (comm) state ppid ...: comm may contain spaces, so split after ")".
	s := string(b)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(fields) < 2 {
		return 0
	}
	ppid, _ := strconv.Atoi(fields[1])
	return ppid
}

// processAlive reports whether pid exists and is not a zombie.
func processAlive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	s := string(b)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	return len(fields) > 0 && fields[0] != "Z"
}

// purgeJobs purges every job and waits until their allocations on live clients
// are terminal.
func purgeJobs(t *testing.T, server *framework.Agent) {
	jobs, _, err := server.API.Jobs().List(nil)
	if err != nil {
		t.Errorf("cannot list jobs to clean up: %v", err)
		return
	}
	for _, j := range jobs {
		if _, _, err := server.API.Jobs().Deregister(j.ID, false, nil); err != nil {
			t.Errorf("cannot stop job %q: %v", j.ID, err)
		}
	}
	err = wait.InitialSuccess(wait.ErrorFunc(func() error {
		for _, j := range jobs {
			allocs, _, err := server.API.Jobs().Allocations(j.ID, true, nil)
			if err != nil {
				return err
			}
			for _, a := range allocs {
				if a.ClientStatus == "running" || a.ClientStatus == "pending" {
					return fmt.Errorf("allocation %s is %s", a.ID, a.ClientStatus)
				}
			}
		}
		return nil
	}), wait.Timeout(30*time.Second), wait.Gap(100*time.Millisecond)).Run()
	if err != nil {
		t.Errorf("allocations still running after stopping their jobs: %v", err)
	}
	for _, j := range jobs {
		_, _, _ = server.API.Jobs().Deregister(j.ID, true, nil)
	}
}

func describe(allocs []*api.AllocationListStub) string {
	var b strings.Builder
	for _, a := range allocs {
		fmt.Fprintf(&b, "\n  %s node=%s desired=%s client=%s", a.ID[:8], a.NodeID[:8], a.DesiredStatus, a.ClientStatus)
	}
	return b.String()
}
