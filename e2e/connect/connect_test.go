package connect

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hashicorp/nomad/api"
	"github.com/netnomad/netnomad/client/envoybootstrap"
	"github.com/netnomad/netnomad/e2e/framework"
	"github.com/netnomad/netnomad/testutil/fakeconsul"
	"github.com/shoenig/test/must"
)

var testNet = framework.TestNetwork{Bridge: "nne2e2", SubnetPrefix: "172.31.252.", IPAMNetworks: []string{"nomad"}}

// TestConnect_Countdash runs the talk's countdash job. No Envoy binary exists
// here, so each sidecar_task runs testapp serving on the sidecar's port: it
// stands in for Envoy's public listener, while injection, registration,
// bootstrap, environment and port mappings are the real thing.
func TestConnect_Countdash(t *testing.T) {
	framework.RequireRoot(t)
	framework.RequireCommand(t, "iptables")
	framework.RequireCommand(t, "nsenter")
	consul := fakeconsul.NewAgent(t)
	agent := startConnectAgent(t, consul.Addr, "")
	jobFile := framework.JobFile(t, "countdash.nomad.hcl")

	// The sidecars are injected at submit and visible in the plan.
	plan := agent.Run("job", "plan", jobFile)
	must.Eq(t, 1, plan.ExitCode, must.Sprint(plan.Stdout, plan.Stderr))
	must.StrContains(t, plan.Stdout, `+ Task: "connect-proxy-count-api" (forces create)`)
	must.StrContains(t, plan.Stdout, `+ Task: "connect-proxy-count-dashboard" (forces create)`)
	must.StrContains(t, plan.Stdout, "All tasks successfully allocated.")

	run := agent.Run("job", "run", jobFile)
	must.Eq(t, 0, run.ExitCode, must.Sprint(run.Stdout, run.Stderr))
	api1 := framework.WaitAllocStatus(t, agent, "countdash", "api", "running", time.Minute)
	dash := framework.WaitAllocStatus(t, agent, "countdash", "dashboard", "running", time.Minute)

	// The stored job carries the injected tasks with Nomad's shape.
	job, _, err := agent.API.Jobs().Info("countdash", nil)
	must.NoError(t, err)
	for group, service := range map[string]string{"api": "count-api", "dashboard": "count-dashboard"} {
		sidecar := findTask(job, group, "connect-proxy-"+service)
		must.NotNil(t, sidecar, must.Sprintf("no sidecar in group %q", group))
		must.Eq(t, "connect-proxy:"+service, sidecar.Kind)
		must.Eq(t, "prestart", sidecar.Lifecycle.Hook)
		must.True(t, sidecar.Lifecycle.Sidecar)
	}

	// Consul has both group services and both sidecars, on the host's
	// routable address (other namespaces cannot reach 127.0.0.1) and the ports
	// other hosts use: the service's port and the sidecar's mapped host port.
	// Each sidecar's bootstrap is valid for Envoy, names its proxy and reaches
	// Consul through the allocation's socket.
	for _, c := range []struct {
		alloc           *api.Allocation
		group, service  string
		port            string
		wantServicePort int
		sidecar         string
	}{
		{api1, "api", "count-api", "9001", 9001, "connect-proxy-count-api"},
		{dash, "dashboard", "count-dashboard", "9002", 9002, "connect-proxy-count-dashboard"},
	} {
		svcID := "_nomad-task-" + c.alloc.ID + "-group-" + c.group + "-" + c.service + "-" + c.port
		proxyID := svcID + "-sidecar-proxy"
		svcs := waitRegistered(t, consul.Addr, svcID, proxyID)
		sidecarPort := framework.AllocPort(t, c.alloc, c.sidecar)
		hostIP := sidecarPort.HostIP
		must.NotEq(t, "127.0.0.1", hostIP, must.Sprint("sidecar port advertised on loopback"))
		must.NotNil(t, net.ParseIP(hostIP))

		svc, proxy := svcs[svcID], svcs[proxyID]
		must.Eq(t, c.service, svc.Service)
		must.Eq(t, "nomad", svc.Meta["external-source"])
		must.Eq(t, hostIP, svc.Address, must.Sprintf("address of %s", svcID))
		must.Eq(t, c.wantServicePort, svc.Port, must.Sprintf("port of %s", svcID))
		must.Eq(t, c.service+"-sidecar-proxy", proxy.Service)
		must.Eq(t, hostIP, proxy.Address, must.Sprintf("address of %s", proxyID))
		must.Eq(t, sidecarPort.Value, proxy.Port, must.Sprintf("port of %s", proxyID))

		bootstrap := filepath.Join(agent.DataDir, "alloc", c.alloc.ID, c.sidecar, "secrets", envoybootstrap.FileName)
		b, err := os.ReadFile(bootstrap)
		must.NoError(t, err)
		must.NoError(t, envoybootstrap.Validate(b), must.Sprintf("bootstrap of %s", c.sidecar))
		must.StrContains(t, string(b), proxyID)
		must.StrContains(t, string(b), "consul_grpc.sock")
	}
	// The dashboard's static port is mapped to where the dashboard listens.
	must.Eq(t, 9002, framework.AllocPort(t, dash, "http").Value)
	must.Eq(t, 9002, framework.AllocPort(t, dash, "http").To)

	// Every task of the dashboard group knows where its upstream is, under the
	// shell-safe name and the raw one (which only env output can show).
	env := dashboardEnv(t, dash)
	for _, kv := range []string{
		"NOMAD_UPSTREAM_ADDR_count_api=127.0.0.1:8080",
		"NOMAD_UPSTREAM_IP_count_api=127.0.0.1",
		"NOMAD_UPSTREAM_PORT_count_api=8080",
		"NOMAD_UPSTREAM_ADDR_count-api=127.0.0.1:8080",
		"COUNTING_SERVICE_URL=http://127.0.0.1:8080",
	} {
		must.StrContains(t, env, kv+"\n")
	}

	// One allocation's sidecar reaches another's: from inside the dashboard's
	// namespace, the api sidecar's advertised address answers, as it does
	// from the host.
	apiSidecar := framework.AllocPort(t, api1, "connect-proxy-count-api")
	apiSidecarAddr := net.JoinHostPort(apiSidecar.HostIP, fmt.Sprint(apiSidecar.Value))
	framework.WaitHTTP(t, apiSidecarAddr, "hello from "+api1.ID)
	waitDialFromNamespace(t, dash.ID, apiSidecarAddr)

	// Stopping deregisters everything.
	stopAndWaitDeregistered(t, agent, consul.Addr)
}

// TestConnect_PlanWithoutConsul: on a client without Consul the sidecars'
// constraint keeps countdash from being placed, and the plan says so as
// Nomad's does.
func TestConnect_PlanWithoutConsul(t *testing.T) {
	framework.RequireRoot(t)
	framework.CleanupNetwork(t, testNet)
	agent := framework.StartAgent(t, framework.WithHCL(fmt.Sprintf(`
client {
  bridge_network_name   = %q
  bridge_network_subnet = %q
}`, testNet.Bridge, testNet.Subnet())))

	plan := agent.Run("job", "plan", framework.JobFile(t, "countdash.nomad.hcl"))
	must.Eq(t, 1, plan.ExitCode, must.Sprint(plan.Stdout, plan.Stderr))
	must.StrContains(t, plan.Stdout, "- WARNING: Failed to place all allocations.")
	for _, group := range []string{"api", "dashboard"} {
		must.StrContains(t, plan.Stdout, fmt.Sprintf("  Task Group %q (failed to place 1 allocation):\n"+
			"    * Constraint \"${attr.consul.version} semver >= 1.8.0\" filtered 1 nodes\n", group))
	}
}
