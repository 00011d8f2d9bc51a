package networking

import (
	"bytes"
	"fmt"
	"net"
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

// allocTimeout bounds the wait for an allocation to reach a client status.
const allocTimeout = 30 * time.Second

func startAgent(t *testing.T, opts ...framework.AgentOption) *framework.Agent {
	t.Helper()
	framework.RequireBridgeNetworking(t)
	opts = append([]framework.AgentOption{framework.WithHCL(fmt.Sprintf(`
client {
  bridge_network_name   = %q
  bridge_network_subnet = %q
}`, testNet.Bridge, testSubnet))}, opts...)
	framework.CleanupNetwork(t, testNet)
	return framework.StartAgent(t, opts...)
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
