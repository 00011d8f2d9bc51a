package networking

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/nomad/api"
	"github.com/netnomad/netnomad/e2e/framework"
	"github.com/shoenig/test/must"
	"github.com/shoenig/test/wait"
)

// testNet is the bridge and subnet of these tests' agents.
var testNet = framework.TestNetwork{Bridge: "nne2e0", SubnetPrefix: "172.31.250.", IPAMNetworks: []string{"nomad", "e2enet"}}

var testSubnet = testNet.Subnet()

func requireNetworking(t *testing.T) {
	t.Helper()
	framework.RequireRoot(t)
	framework.RequireCommand(t, "iptables")
	framework.RequireCommand(t, "ip")
	for _, p := range []string{"bridge", "host-local", "loopback", "portmap", "firewall"} {
		if _, err := os.Stat(filepath.Join("/opt/cni/bin", p)); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("CNI plugin %s missing (run scripts/install-cni.sh)", p)
			}
			t.Skipf("CNI plugin %s missing (run scripts/install-cni.sh)", p)
		}
	}
}

func startAgent(t *testing.T, opts ...framework.AgentOption) *framework.Agent {
	t.Helper()
	requireNetworking(t)
	opts = append([]framework.AgentOption{framework.WithHCL(fmt.Sprintf(`
client {
  bridge_network_name   = %q
  bridge_network_subnet = %q
}`, testNet.Bridge, testSubnet))}, opts...)
	framework.CleanupNetwork(t, testNet)
	return framework.StartAgent(t, opts...)
}

// jobFile writes input/<name> with the testapp path filled in.
func jobFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("input", name))
	must.NoError(t, err)
	out := filepath.Join(t.TempDir(), name)
	must.NoError(t, os.WriteFile(out, []byte(strings.ReplaceAll(string(b), "__TESTAPP__", framework.TestApp(t))), 0o644))
	return out
}

func waitAllocStatus(t *testing.T, agent *framework.Agent, jobID, group, status string) *api.Allocation {
	t.Helper()
	var alloc *api.Allocation
	must.Wait(t, wait.InitialSuccess(wait.ErrorFunc(func() error {
		stubs, _, err := agent.API.Jobs().Allocations(jobID, false, nil)
		if err != nil {
			return err
		}
		for _, s := range stubs {
			if s.TaskGroup == group && s.ClientStatus == status {
				alloc, _, err = agent.API.Allocations().Info(s.ID, nil)
				return err
			}
		}
		return fmt.Errorf("no %s allocation of group %q among %d", status, group, len(stubs))
	}), wait.Timeout(30*time.Second), wait.Gap(100*time.Millisecond)),
		must.Sprintf("agent log:\n%s", tail(agent.Log(), 60)))
	return alloc
}

func httpGet(addr string) (string, error) { return httpGetPath(addr, "/") }

func httpGetPath(addr, path string) (string, error) {
	c := http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get("http://" + addr + path)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

func waitHTTP(t *testing.T, addr, want string) {
	t.Helper()
	var last string
	var lastErr error
	must.Wait(t, wait.InitialSuccess(wait.BoolFunc(func() bool {
		last, lastErr = httpGet(addr)
		return lastErr == nil && strings.Contains(last, want)
	}), wait.Timeout(15*time.Second), wait.Gap(100*time.Millisecond)),
		must.Sprintf("GET %s: %q, %v", addr, last, lastErr))
}

func logs(t *testing.T, agent *framework.Agent, allocID, task string) string {
	t.Helper()
	res := agent.Run("alloc", "logs", allocID, task)
	return res.Stdout
}

func waitLogLine(t *testing.T, agent *framework.Agent, allocID, task, want string) {
	t.Helper()
	var out string
	must.Wait(t, wait.InitialSuccess(wait.BoolFunc(func() bool {
		out = logs(t, agent, allocID, task)
		return strings.Contains(out, want)
	}), wait.Timeout(15*time.Second), wait.Gap(200*time.Millisecond)),
		must.Sprintf("logs of %s never contained %q:\n%s", task, want, out))
}

// hostIP is the address the node advertises for its ports.
func hostIP(alloc *api.Allocation) string {
	return alloc.AllocatedResources.Shared.Ports[0].HostIP
}

func hostPort(t *testing.T, alloc *api.Allocation, label string) int {
	t.Helper()
	for _, p := range alloc.AllocatedResources.Shared.Ports {
		if p.Label == label {
			return p.Value
		}
	}
	t.Fatalf("alloc has no port %q", label)
	return 0
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	must.NoError(t, err, must.Sprintf("%s %v: %s", name, args, out))
	return string(out)
}

func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// listening reports whether anything on the host listens on TCP port.
func listening(port int) bool {
	l, err := net.Listen("tcp", fmt.Sprintf("0.0.0.0:%d", port))
	if err != nil {
		return true
	}
	l.Close()
	return false
}

// taskPID is the PID of the one process running task of the allocation, found by
// the NOMAD_ALLOC_ID and NOMAD_TASK_NAME in its environment.
func taskPID(t *testing.T, allocID, task string) int {
	t.Helper()
	want := [][]byte{[]byte("NOMAD_ALLOC_ID=" + allocID), []byte("NOMAD_TASK_NAME=" + task)}
	var pids []int
	entries, err := os.ReadDir("/proc")
	must.NoError(t, err)
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		env, err := os.ReadFile(filepath.Join("/proc", e.Name(), "environ"))
		if err != nil {
			continue // exited meanwhile
		}
		vars := bytes.Split(env, []byte{0})
		if slices.ContainsFunc(vars, func(v []byte) bool { return bytes.Equal(v, want[0]) }) &&
			slices.ContainsFunc(vars, func(v []byte) bool { return bytes.Equal(v, want[1]) }) {
			pids = append(pids, pid)
		}
	}
	must.Len(t, 1, pids, must.Sprintf("processes of task %q of %s", task, allocID))
	return pids[0]
}
