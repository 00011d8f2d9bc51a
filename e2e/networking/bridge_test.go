package networking

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/nomad/api"
	"github.com/netnomad/netnomad/e2e/framework"
	"github.com/shoenig/test/must"
	"github.com/shoenig/test/wait"
)

// TestBridge_Job is the mission's first promise, seen from outside: a bridge
// group gets its own namespace; the host reaches a task only through a mapped
// port (host IP and 127.0.0.1); tasks of the group share loopback; another
// group's loopback is not theirs; and stopping the job leaves nothing behind.
func TestBridge_Job(t *testing.T) {
	agent := startAgent(t)
	res := agent.Run("job", "run", framework.JobFile(t, "bridge.nomad.hcl"))
	must.Eq(t, 0, res.ExitCode, must.Sprint(res.Stdout, res.Stderr))

	web := framework.WaitAllocStatus(t, agent, "bridge", "web", "running", allocTimeout)
	stranger := framework.WaitAllocStatus(t, agent, "bridge", "stranger", "running", allocTimeout)

	// Each allocation has its own namespace and an address in the bridge subnet.
	_, subnet, _ := net.ParseCIDR(testSubnet)
	must.NotNil(t, web.NetworkStatus)
	must.True(t, subnet.Contains(net.ParseIP(web.NetworkStatus.Address)), must.Sprintf("alloc IP %q", web.NetworkStatus.Address))
	must.NotEq(t, web.NetworkStatus.Address, stranger.NetworkStatus.Address)
	netns := run(t, "ip", "netns", "list")
	must.StrContains(t, netns, web.ID)
	must.StrContains(t, netns, stranger.ID)

	// The mapped port answers on the host's address and on 127.0.0.1.
	port := framework.AllocPort(t, web, "http").Value
	framework.WaitHTTP(t, fmt.Sprintf("%s:%d", hostIP(web), port), "hello from "+web.ID)
	framework.WaitHTTP(t, fmt.Sprintf("127.0.0.1:%d", port), "hello from "+web.ID)

	// What the task binds inside is not a host listener.
	must.False(t, listening(18080), must.Sprint("the task's port 18080 shows up among the host's listeners"))
	_, err := framework.HTTPGet("127.0.0.1:18080", "/")
	must.Error(t, err)

	// Tasks of a group share loopback; another group's is its own.
	waitLogLine(t, agent, web.ID, "neighbour", "ok")
	waitLogLine(t, agent, stranger.ID, "dialer", "fail:")
	must.StrNotContains(t, logs(t, agent, stranger.ID, "dialer"), "ok\n")

	// The task sees the variables Nomad sets in bridge mode.
	env, err := framework.HTTPGet(fmt.Sprintf("127.0.0.1:%d", port), "/env")
	must.NoError(t, err)
	for _, want := range []string{
		"NOMAD_PORT_http=18080",
		"NOMAD_ALLOC_PORT_http=18080",
		fmt.Sprintf("NOMAD_HOST_PORT_http=%d", port),
		fmt.Sprintf("NOMAD_HOST_ADDR_http=%s:%d", hostIP(web), port),
		"NOMAD_ALLOC_IP_http=" + web.NetworkStatus.Address,
		fmt.Sprintf("NOMAD_ALLOC_ADDR_http=%s:18080", web.NetworkStatus.Address),
	} {
		must.StrContains(t, env, want+"\n")
	}

	status := agent.Run("alloc", "status", web.ID)
	must.StrContains(t, status.Stdout, `Allocation Addresses (mode = "bridge")`)
	must.StrContains(t, status.Stdout, fmt.Sprintf("%s:%d -> 18080", hostIP(web), port))

	// Stopping tears everything down (assertNoLeaks runs at cleanup too).
	stop := agent.Run("job", "stop", "-purge", "bridge")
	must.Eq(t, 0, stop.ExitCode, must.Sprint(stop.Stdout, stop.Stderr))
	must.Wait(t, wait.InitialSuccess(wait.BoolFunc(func() bool {
		return !strings.Contains(run(t, "ip", "netns", "list"), web.ID)
	}), wait.Timeout(30*time.Second), wait.Gap(100*time.Millisecond)))
	_, err = framework.HTTPGet(fmt.Sprintf("127.0.0.1:%d", port), "/")
	must.Error(t, err)
}

// TestNone_OnlyLoopback: mode "none" gives a namespace with nothing but lo, up.
func TestNone_OnlyLoopback(t *testing.T) {
	agent := startAgent(t)
	res := agent.Run("job", "run", framework.JobFile(t, "none.nomad.hcl"))
	must.Eq(t, 0, res.ExitCode, must.Sprint(res.Stdout, res.Stderr))
	alloc := framework.WaitAllocStatus(t, agent, "isolated", "g", "complete", allocTimeout)
	out := logs(t, agent, alloc.ID, "links")
	must.Eq(t, "lo up|loopback|running\n", out)
}

// TestBridge_AgentRestartKeepsNetwork: a restarted agent (clean or SIGKILL) keeps
// every allocation's namespace, IP and mapped port, and takes no second IP.
func TestBridge_AgentRestartKeepsNetwork(t *testing.T) {
	agent := startAgent(t, framework.NonDev())
	res := agent.Run("job", "run", framework.JobFile(t, "bridge.nomad.hcl"))
	must.Eq(t, 0, res.ExitCode, must.Sprint(res.Stdout, res.Stderr))
	web := framework.WaitAllocStatus(t, agent, "bridge", "web", "running", allocTimeout)
	stranger := framework.WaitAllocStatus(t, agent, "bridge", "stranger", "running", allocTimeout)
	port := framework.AllocPort(t, web, "http").Value
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	framework.WaitHTTP(t, addr, "hello from "+web.ID)
	before := reservations(t)
	must.Len(t, 2, before)
	pid := taskPID(t, web.ID, "server")

	for _, restart := range []func(){agent.Restart, agent.KillAndRestart} {
		restart()
		for _, want := range []*api.Allocation{web, stranger} {
			again := framework.WaitAllocStatus(t, agent, "bridge", want.TaskGroup, "running", allocTimeout)
			must.Eq(t, want.ID, again.ID)
			must.Eq(t, want.NetworkStatus.Address, again.NetworkStatus.Address,
				must.Sprintf("group %s changed address; agent log:\n%s", want.TaskGroup, agent.Log()))
		}
		framework.WaitHTTP(t, addr, "hello from "+web.ID)
		must.Eq(t, before, reservations(t), must.Sprintf("the restart took another IP; agent log:\n%s", agent.Log()))
		must.Eq(t, pid, taskPID(t, web.ID, "server"), must.Sprint("the task was started again instead of re-attached"))
	}
}

// TestGC_RemovesLeakedNamespace: a namespace this client made for an allocation
// that no longer exists (the agent crashed between creating it and recording the
// allocation's state) is removed when the agent starts again — and a namespace
// this client never made (another client's, or the operator's) is left alone.
func TestGC_RemovesLeakedNamespace(t *testing.T) {
	agent := startAgent(t, framework.NonDev())
	agent.Kill()

	leaked := "0a1b2c3d-0000-4000-8000-00000000dead"
	foreign := "0a1b2c3d-0000-4000-8000-0000000f0e19"
	for _, ns := range []string{leaked, foreign} {
		run(t, "ip", "netns", "add", ns)
		t.Cleanup(func() { _ = exec.Command("ip", "netns", "delete", ns).Run() })
	}
	// The client marks an allocation as its own before it builds anything for it.
	owned := filepath.Join(agent.DataDir, "client", "owned_allocs")
	must.NoError(t, os.MkdirAll(owned, 0o700))
	must.NoError(t, os.WriteFile(filepath.Join(owned, leaked), nil, 0o600))

	agent.Restart()
	netns := run(t, "ip", "netns", "list")
	must.StrNotContains(t, netns, leaked, must.Sprintf("agent log:\n%s", agent.Log()))
	must.StrContains(t, netns, foreign)
	run(t, "ip", "netns", "delete", foreign)
}

func reservations(t *testing.T) []string {
	t.Helper()
	var out []string
	entries, _ := os.ReadDir(filepath.Join("/var/lib/cni/networks", "nomad"))
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "172.31.250.") {
			out = append(out, e.Name())
		}
	}
	return out
}
