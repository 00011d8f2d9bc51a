package connect

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/netnomad/netnomad/e2e/framework"
	"github.com/netnomad/netnomad/testutil/fakeconsul"
	"github.com/shoenig/test/must"
	"github.com/shoenig/test/wait"
)

// TestConnect_DefaultSidecarFromAgentConfig runs Connect the way an operator
// without Docker does: the agent config names the sidecar's driver and command
// once, and a countdash job with no sidecar_task gets raw_exec sidecars. No
// Envoy binary exists here, so the command is testapp's envoy stand-in: it
// accepts Envoy's flags, refuses a missing or schema-invalid bootstrap, prints
// "bootstrap ok: <node id>" and serves on the sidecar's port.
func TestConnect_DefaultSidecarFromAgentConfig(t *testing.T) {
	framework.RequireRoot(t)
	framework.RequireCommand(t, "iptables")
	testapp := framework.TestApp(t)
	consul := fakeconsul.NewAgent(t)
	agent := startConnectAgent(t, consul.Addr, fmt.Sprintf(`
server {
  connect {
    sidecar_driver  = "raw_exec"
    sidecar_command = %q
    sidecar_args    = ["envoy", "-c", "${NOMAD_SECRETS_DIR}/envoy_bootstrap.json", "-l", "${meta.connect.log_level}"]
  }
}`, testapp))
	runDefaultSidecarCountdash(t, agent, consul.Addr, testapp,
		[]any{"envoy", "-c", "${NOMAD_SECRETS_DIR}/envoy_bootstrap.json", "-l", "${meta.connect.log_level}"})
}

// TestConnect_DevAgentRunsEnvoyFromPath: a plain -dev agent (no connect block)
// that finds an envoy binary on its PATH runs every sidecar from it under
// raw_exec with Nomad's Envoy arguments, so a Connect job needs no sidecar_task.
// The envoy on PATH is testapp installed under that name (the stand-in).
func TestConnect_DevAgentRunsEnvoyFromPath(t *testing.T) {
	framework.RequireRoot(t)
	framework.RequireCommand(t, "iptables")
	bin := t.TempDir()
	envoy := filepath.Join(bin, "envoy")
	must.NoError(t, os.Symlink(framework.TestApp(t), envoy))
	consul := fakeconsul.NewAgent(t)
	agent := startConnectAgent(t, consul.Addr, "", framework.WithEnv("PATH="+bin+":"+os.Getenv("PATH")))

	runDefaultSidecarCountdash(t, agent, consul.Addr, envoy, []any{
		"-c", "${NOMAD_SECRETS_DIR}/envoy_bootstrap.json", "-l", "${meta.connect.log_level}",
		"--concurrency", "${meta.connect.proxy_concurrency}", "--disable-hot-restart",
	})
}

// runDefaultSidecarCountdash runs the countdash job without sidecar_task on
// agent and checks that both injected sidecars run command with args under
// raw_exec, validate their bootstrap, serve on their port, and are
// deregistered when the job stops.
func runDefaultSidecarCountdash(t *testing.T, agent *framework.Agent, consulAddr, command string, args []any) {
	t.Helper()
	jobFile := framework.JobFile(t, "countdash-default-sidecar.nomad.hcl")

	// The sidecars are injected from the agent's config and shown in the plan.
	plan := agent.Run("job", "plan", jobFile)
	must.Eq(t, 1, plan.ExitCode, must.Sprint(plan.Stdout, plan.Stderr))
	must.StrContains(t, plan.Stdout, `+ Task: "connect-proxy-count-api" (forces create)`)
	must.StrContains(t, plan.Stdout, `+ Task: "connect-proxy-count-dashboard" (forces create)`)

	run := agent.Run("job", "run", jobFile)
	must.Eq(t, 0, run.ExitCode, must.Sprint(run.Stdout, run.Stderr))
	allocs := map[string]string{} // group -> alloc ID
	for _, group := range []string{"api", "dashboard"} {
		allocs[group] = framework.WaitAllocStatus(t, agent, "countdash", group, "running", time.Minute).ID
	}

	// The stored job's sidecars run the agent's command under raw_exec.
	job, _, err := agent.API.Jobs().Info("countdash", nil)
	must.NoError(t, err)
	for group, service := range map[string]string{"api": "count-api", "dashboard": "count-dashboard"} {
		sidecar := findTask(job, group, "connect-proxy-"+service)
		must.NotNil(t, sidecar, must.Sprintf("no sidecar in group %q", group))
		must.Eq(t, "raw_exec", sidecar.Driver)
		must.Eq(t, "connect-proxy:"+service, sidecar.Kind)
		must.Eq[any](t, command, sidecar.Config["command"])
		must.Eq[any](t, args, sidecar.Config["args"])
	}

	// Both sidecars found a valid bootstrap naming their proxy (registered in
	// Consul under that ID), got the client's default log level, and serve on
	// their port.
	for _, c := range []struct{ group, service, port string }{
		{"api", "count-api", "9001"},
		{"dashboard", "count-dashboard", "9002"},
	} {
		id := allocs[c.group]
		proxyID := "_nomad-task-" + id + "-group-" + c.group + "-" + c.service + "-" + c.port + "-sidecar-proxy"
		waitRegistered(t, consulAddr, proxyID)
		task := "connect-proxy-" + c.service
		logs := waitLogs(t, agent, id, task, "bootstrap ok: "+proxyID+"\n")
		must.StrContains(t, logs, "log level info,")

		alloc, _, err := agent.API.Allocations().Info(id, nil)
		must.NoError(t, err)
		port := framework.AllocPort(t, alloc, task)
		framework.WaitHTTP(t, fmt.Sprintf("%s:%d", port.HostIP, port.Value), "envoy stand-in for "+proxyID)
	}

	stopAndWaitDeregistered(t, agent, consulAddr)
}

// waitLogs waits until `nomad alloc logs <alloc> <task>` prints want and
// returns the output.
func waitLogs(t *testing.T, agent *framework.Agent, allocID, task, want string) string {
	t.Helper()
	var out string
	must.Wait(t, wait.InitialSuccess(wait.BoolFunc(func() bool {
		r := agent.Run("alloc", "logs", allocID, task)
		out = r.Stdout + r.Stderr
		return r.ExitCode == 0 && strings.Contains(r.Stdout, want)
	}), wait.Timeout(20*time.Second), wait.Gap(200*time.Millisecond)),
		must.Sprintf("logs of %s in %s: %s", task, allocID, out))
	return out
}
