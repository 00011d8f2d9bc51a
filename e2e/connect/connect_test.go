package connect

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/netnomad/netnomad/client/envoybootstrap"
	"github.com/netnomad/netnomad/e2e/framework"
	"github.com/netnomad/netnomad/testutil/fakeconsul"
	"github.com/shoenig/test/must"
)

var testNet = framework.TestNetwork{Bridge: "nne2e2", SubnetPrefix: "172.31.252.", IPAMNetworks: []string{"nomad"}}

func TestConnect_Countdash(t *testing.T) {
	framework.RequireRoot(t)
	framework.RequireCommand(t, "iptables")
	consul := fakeconsul.NewAgent(t)
	agent := startConnectAgent(t, consul.Addr, "")
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
	svcs := waitRegistered(t, consul.Addr, svcID, svcID+"-sidecar-proxy")
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
	stopAndWaitDeregistered(t, agent, consul.Addr)
}
