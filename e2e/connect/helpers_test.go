package connect

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
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

// Helpers shared by the Connect e2e tests: Consul queries, job files, waiting
// for allocations and reading what their tasks serve.

// startConnectAgent starts a dev agent on the suite's bridge network, talking to
// the Consul at consulAddr; extra is appended to its config.
func startConnectAgent(t *testing.T, consulAddr, extra string, opts ...framework.AgentOption) *framework.Agent {
	t.Helper()
	framework.CleanupNetwork(t, testNet)
	return framework.StartAgent(t, append(opts, framework.WithHCL(fmt.Sprintf(`
client {
  bridge_network_name   = %q
  bridge_network_subnet = %q
}
consul {
  address = %q
}
%s`, testNet.Bridge, testNet.Subnet(), consulAddr, extra)))...)
}

// waitRegistered waits until Consul has every service ID in ids and returns
// Consul's services.
func waitRegistered(t *testing.T, consulAddr string, ids ...string) map[string]*consulService {
	t.Helper()
	var svcs map[string]*consulService
	must.Wait(t, wait.InitialSuccess(wait.ErrorFunc(func() error {
		var err error
		svcs, err = services(consulAddr)
		if err != nil {
			return err
		}
		for _, id := range ids {
			if _, ok := svcs[id]; !ok {
				return fmt.Errorf("service %s not registered; have %v", id, keys(svcs))
			}
		}
		return nil
	}), wait.Timeout(20*time.Second), wait.Gap(200*time.Millisecond)))
	return svcs
}

// stopAndWaitDeregistered purges countdash and waits until Consul has no
// service of Nomad's left.
func stopAndWaitDeregistered(t *testing.T, agent *framework.Agent, consulAddr string) {
	t.Helper()
	stop := agent.Run("job", "stop", "-purge", "countdash")
	must.Eq(t, 0, stop.ExitCode, must.Sprint(stop.Stdout, stop.Stderr))
	must.Wait(t, wait.InitialSuccess(wait.ErrorFunc(func() error {
		svcs, err := services(consulAddr)
		if err != nil {
			return err
		}
		for id := range svcs {
			if strings.HasPrefix(id, "_nomad-task-") {
				return fmt.Errorf("%s still registered", id)
			}
		}
		return nil
	}), wait.Timeout(30*time.Second), wait.Gap(200*time.Millisecond)))
}

type consulService struct {
	ID      string
	Service string
	Address string
	Port    int
	Meta    map[string]string
}

func services(addr string) (map[string]*consulService, error) {
	resp, err := http.Get("http://" + addr + "/v1/agent/services")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out := map[string]*consulService{}
	return out, json.NewDecoder(resp.Body).Decode(&out)
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func findTask(job *api.Job, group, task string) *api.Task {
	for _, tg := range job.TaskGroups {
		if *tg.Name != group {
			continue
		}
		for _, tk := range tg.Tasks {
			if tk.Name == task {
				return tk
			}
		}
	}
	return nil
}

// dashboardEnv reads the dashboard task's environment through its mapped port.
func dashboardEnv(t *testing.T, alloc *api.Allocation) string {
	t.Helper()
	p := framework.AllocPort(t, alloc, "http")
	addr := net.JoinHostPort("127.0.0.1", fmt.Sprint(p.Value))
	var body string
	must.Wait(t, wait.InitialSuccess(wait.ErrorFunc(func() error {
		var err error
		body, err = framework.HTTPGet(addr, "/env")
		return err
	}), wait.Timeout(15*time.Second), wait.Gap(100*time.Millisecond)))
	return body
}

// waitDialFromNamespace runs `testapp dial` inside the allocation's network
// namespace until it reports that addr accepted a TCP connection.
func waitDialFromNamespace(t *testing.T, allocID, addr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	netns := filepath.Join("/var/run/netns", allocID)
	cmd := exec.CommandContext(ctx, "nsenter", "--net="+netns, framework.TestApp(t), "dial", "-addr", addr)
	stdout, err := cmd.StdoutPipe()
	must.NoError(t, err)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	must.NoError(t, cmd.Start())
	defer func() {
		cancel()
		_ = cmd.Wait()
	}()
	var last string
	scanner := bufio.NewScanner(stdout)
	for scanner.Scan() {
		if last = scanner.Text(); last == "ok" {
			return
		}
	}
	t.Fatalf("%s could not reach %s from its namespace %s: last %q; stderr: %s", allocID, addr, netns, last, stderr.String())
}
