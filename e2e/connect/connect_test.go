package connect

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/nomad/api"
	"github.com/netnomad/netnomad/client/envoybootstrap"
	"github.com/netnomad/netnomad/e2e/framework"
	"github.com/netnomad/netnomad/testutil/fakeconsul"
	"github.com/shoenig/test/must"
	"github.com/shoenig/test/wait"
)

var testNet = framework.TestNetwork{Bridge: "nne2e2", SubnetPrefix: "172.31.252.", IPAMNetworks: []string{"nomad"}}

func TestConnect_Countdash(t *testing.T) {
	framework.RequireRoot(t)
	framework.RequireCommand(t, "iptables")
	consul := fakeconsul.NewAgent(t)
	framework.CleanupNetwork(t, testNet)
	agent := framework.StartAgent(t, framework.WithHCL(fmt.Sprintf(`
client {
  bridge_network_name   = %q
  bridge_network_subnet = %q
}
consul {
  address = %q
}`, testNet.Bridge, testNet.Subnet(), consul.Addr)))
	jobFile := writeJob(t, "countdash.nomad.hcl")

	// The sidecars are injected at submit and visible in the plan.
	plan := agent.Run("job", "plan", jobFile)
	must.Eq(t, 1, plan.ExitCode, must.Sprint(plan.Stdout, plan.Stderr))
	must.StrContains(t, plan.Stdout, `+ Task: "connect-proxy-count-api" (forces create)`)
	must.StrContains(t, plan.Stdout, `+ Task: "connect-proxy-count-dashboard" (forces create)`)

	run := agent.Run("job", "run", jobFile)
	must.Eq(t, 0, run.ExitCode, must.Sprint(run.Stdout, run.Stderr))
	api1 := waitRunning(t, agent, "api")
	dash := waitRunning(t, agent, "dashboard")

	// The stored job carries the injected task with Nomad's shape.
	job, _, err := agent.API.Jobs().Info("countdash", nil)
	must.NoError(t, err)
	sidecar := findTask(job, "api", "connect-proxy-count-api")
	must.NotNil(t, sidecar)
	must.Eq(t, "connect-proxy:count-api", sidecar.Kind)
	must.Eq(t, "prestart", sidecar.Lifecycle.Hook)
	must.True(t, sidecar.Lifecycle.Sidecar)

	// Consul has the group service with the host address, and its sidecar on the
	// sidecar port's host mapping.
	svcID := "_nomad-task-" + api1.ID + "-group-api-count-api-9001"
	sidecarPort := portOf(t, api1, "connect-proxy-count-api")
	var svcs map[string]*consulService
	must.Wait(t, wait.InitialSuccess(wait.ErrorFunc(func() error {
		svcs, err = services(consul.Addr)
		if err != nil {
			return err
		}
		if _, ok := svcs[svcID]; !ok {
			return fmt.Errorf("service %s not registered; have %v", svcID, keys(svcs))
		}
		if _, ok := svcs[svcID+"-sidecar-proxy"]; !ok {
			return fmt.Errorf("sidecar of %s not registered", svcID)
		}
		return nil
	}), wait.Timeout(20*time.Second), wait.Gap(200*time.Millisecond)))
	must.Eq(t, "count-api", svcs[svcID].Service)
	must.Eq(t, "nomad", svcs[svcID].Meta["external-source"])
	proxy := svcs[svcID+"-sidecar-proxy"]
	must.Eq(t, sidecarPort.Value, proxy.Port)
	must.Eq(t, sidecarPort.HostIP, proxy.Address)

	// The sidecar answers on its mapped port: traffic for the mesh can reach it.
	waitHTTP(t, fmt.Sprintf("%s:%d", sidecarPort.HostIP, sidecarPort.Value), "hello from "+api1.ID)

	// Envoy's bootstrap was generated, is valid for Envoy, names the proxy and
	// reaches Consul through the allocation's socket.
	bootstrap := filepath.Join(agent.DataDir, "alloc", api1.ID, "connect-proxy-count-api", "secrets", envoybootstrap.FileName)
	b, err := os.ReadFile(bootstrap)
	must.NoError(t, err)
	must.NoError(t, envoybootstrap.Validate(b))
	must.StrContains(t, string(b), svcID+"-sidecar-proxy")
	must.StrContains(t, string(b), "consul_grpc.sock")

	// Every task of the dashboard group knows where its upstream is.
	env := dashboardEnv(t, dash)
	must.StrContains(t, env, "NOMAD_UPSTREAM_ADDR_count_api=127.0.0.1:8080\n")
	must.StrContains(t, env, "COUNTING_SERVICE_URL=http://127.0.0.1:8080\n")

	// Stopping deregisters everything.
	stop := agent.Run("job", "stop", "-purge", "countdash")
	must.Eq(t, 0, stop.ExitCode, must.Sprint(stop.Stdout, stop.Stderr))
	must.Wait(t, wait.InitialSuccess(wait.ErrorFunc(func() error {
		svcs, err := services(consul.Addr)
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

func writeJob(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("input", name))
	must.NoError(t, err)
	out := filepath.Join(t.TempDir(), name)
	must.NoError(t, os.WriteFile(out, []byte(strings.ReplaceAll(string(b), "__TESTAPP__", framework.TestApp(t))), 0o644))
	return out
}

func waitRunning(t *testing.T, agent *framework.Agent, group string) *api.Allocation {
	t.Helper()
	var alloc *api.Allocation
	must.Wait(t, wait.InitialSuccess(wait.ErrorFunc(func() error {
		stubs, _, err := agent.API.Jobs().Allocations("countdash", false, nil)
		if err != nil {
			return err
		}
		for _, s := range stubs {
			if s.TaskGroup == group && s.ClientStatus == "running" {
				alloc, _, err = agent.API.Allocations().Info(s.ID, nil)
				return err
			}
		}
		return fmt.Errorf("group %q not running", group)
	}), wait.Timeout(60*time.Second), wait.Gap(200*time.Millisecond)),
		must.Sprintf("agent log:\n%s", agent.Log()))
	return alloc
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

func portOf(t *testing.T, alloc *api.Allocation, label string) api.PortMapping {
	t.Helper()
	for _, p := range alloc.AllocatedResources.Shared.Ports {
		if p.Label == label {
			return p
		}
	}
	t.Fatalf("no port %q in %+v", label, alloc.AllocatedResources.Shared.Ports)
	return api.PortMapping{}
}

func waitHTTP(t *testing.T, addr, want string) {
	t.Helper()
	var last string
	must.Wait(t, wait.InitialSuccess(wait.BoolFunc(func() bool {
		c := http.Client{Timeout: 2 * time.Second}
		resp, err := c.Get("http://" + addr + "/")
		if err != nil {
			last = err.Error()
			return false
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		last = string(b)
		return strings.Contains(last, want)
	}), wait.Timeout(15*time.Second), wait.Gap(100*time.Millisecond)), must.Sprintf("GET %s: %s", addr, last))
}

// dashboardEnv reads the dashboard task's environment through its mapped port.
func dashboardEnv(t *testing.T, alloc *api.Allocation) string {
	t.Helper()
	p := portOf(t, alloc, "http")
	addr := net.JoinHostPort("127.0.0.1", fmt.Sprint(p.Value))
	var body string
	must.Wait(t, wait.InitialSuccess(wait.ErrorFunc(func() error {
		c := http.Client{Timeout: 2 * time.Second}
		resp, err := c.Get("http://" + addr + "/env")
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		body = string(b)
		return err
	}), wait.Timeout(15*time.Second), wait.Gap(100*time.Millisecond)))
	return body
}
