package networking

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/netnomad/netnomad/e2e/framework"
	"github.com/shoenig/test/must"
	"github.com/shoenig/test/wait"
)

// pluginGate is a directory placed before /opt/cni/bin in the agent's cni_path
// whose portmap holds one CNI command (ADD or DEL) until the test answers: the
// agent can then be killed while a network setup or teardown is half done — the
// namespace, veth, IP and firewall rules made, the port mappings not yet.
type pluginGate struct{ dir string }

const gateScript = `#!/bin/sh
# Test gate around portmap: holds the command named in ./hold until ./gate says go.
dir=$(dirname "$0")
if [ "$CNI_COMMAND" = "$(cat "$dir/hold" 2>/dev/null)" ]; then
  : > "$dir/reached"
  read verdict < "$dir/gate"
  if [ "$verdict" != go ]; then
    echo '{"cniVersion":"1.0.0","code":999,"msg":"held by the test and aborted"}'
    exit 1
  fi
fi
exec /opt/cni/bin/portmap
`

func newPluginGate(t *testing.T) *pluginGate {
	t.Helper()
	g := &pluginGate{dir: t.TempDir()}
	must.NoError(t, os.WriteFile(filepath.Join(g.dir, "portmap"), []byte(gateScript), 0o755))
	must.NoError(t, syscall.Mkfifo(filepath.Join(g.dir, "gate"), 0o600))
	// A plugin still held when the test ends must not hang around.
	t.Cleanup(func() { g.answer("abort") })
	return g
}

// cniPath is the agent's cni_path with the gate first.
func (g *pluginGate) cniPath() string { return g.dir + ":/opt/cni/bin" }

// hold makes the next portmap call of command (ADD or DEL) wait.
func (g *pluginGate) hold(t *testing.T, command string) {
	t.Helper()
	_ = os.Remove(filepath.Join(g.dir, "reached"))
	must.NoError(t, os.WriteFile(filepath.Join(g.dir, "hold"), []byte(command), 0o644))
}

// release lets every later call through.
func (g *pluginGate) release(t *testing.T) {
	t.Helper()
	must.NoError(t, os.Remove(filepath.Join(g.dir, "hold")))
}

// waitReached waits until a held call is waiting at the gate.
func (g *pluginGate) waitReached(t *testing.T, agent *framework.Agent) {
	t.Helper()
	must.Wait(t, wait.InitialSuccess(wait.BoolFunc(func() bool {
		_, err := os.Stat(filepath.Join(g.dir, "reached"))
		return err == nil
	}), wait.Timeout(30*time.Second), wait.Gap(50*time.Millisecond)),
		must.Sprintf("portmap was never called; agent log:\n%s", tail(agent.Log(), 60)))
}

// answer tells a held plugin to go on or abort. Opening the FIFO read-write never
// blocks; with no plugin waiting the answer is dropped on close.
func (g *pluginGate) answer(verdict string) {
	f, err := os.OpenFile(filepath.Join(g.dir, "gate"), os.O_RDWR, 0)
	if err != nil {
		return
	}
	defer f.Close()
	_, _ = f.WriteString(verdict + "\n")
}

func gatedAgent(t *testing.T, g *pluginGate) *framework.Agent {
	return startAgent(t, framework.NonDev(), framework.WithHCL(fmt.Sprintf(`
client {
  cni_path = %q
}`, g.cniPath())))
}

// TestCrash_MidSetup: the agent is SIGKILLed while an allocation's network is
// half built. Started again, it brings the allocation up with one IP — the
// half-built namespace and its reservation are not left beside the new one —
// and after the job stops nothing remains (the leak check runs at cleanup).
func TestCrash_MidSetup(t *testing.T) {
	gate := newPluginGate(t)
	gate.hold(t, "ADD")
	agent := gatedAgent(t, gate)

	res := agent.Run("job", "run", "-detach", framework.JobFile(t, "bridge.nomad.hcl"))
	must.Eq(t, 0, res.ExitCode, must.Sprint(res.Stdout, res.Stderr))
	gate.waitReached(t, agent)
	must.SliceNotEmpty(t, reservations(t), must.Sprint("a setup held at portmap has taken its IP"))

	agent.Kill()
	gate.answer("abort")
	gate.release(t)
	agent.Restart()

	web := framework.WaitAllocStatus(t, agent, "bridge", "web", "running", allocTimeout)
	stranger := framework.WaitAllocStatus(t, agent, "bridge", "stranger", "running", allocTimeout)
	framework.WaitHTTP(t, fmt.Sprintf("127.0.0.1:%d", framework.AllocPort(t, web, "http").Value), "hello from "+web.ID)

	must.Wait(t, wait.InitialSuccess(wait.BoolFunc(func() bool {
		return len(reservations(t)) == 2 && len(namespaces(t)) == 2
	}), wait.Timeout(15*time.Second), wait.Gap(100*time.Millisecond)),
		must.Sprintf("want one IP and one namespace per allocation (%s, %s); have IPs %v, namespaces %v; agent log:\n%s",
			web.ID, stranger.ID, reservations(t), namespaces(t), tail(agent.Log(), 60)))
	must.SliceContainsAll(t, []string{web.ID, stranger.ID}, namespaces(t))
}

// TestCrash_MidTeardown: the agent is SIGKILLed while a stopped allocation's
// network is half torn down. Started again, it finishes the job: no namespace,
// veth, rule or IP of the allocation survives.
func TestCrash_MidTeardown(t *testing.T) {
	gate := newPluginGate(t)
	agent := gatedAgent(t, gate)

	res := agent.Run("job", "run", framework.JobFile(t, "bridge.nomad.hcl"))
	must.Eq(t, 0, res.ExitCode, must.Sprint(res.Stdout, res.Stderr))
	framework.WaitAllocStatus(t, agent, "bridge", "web", "running", allocTimeout)
	framework.WaitAllocStatus(t, agent, "bridge", "stranger", "running", allocTimeout)

	gate.hold(t, "DEL")
	res = agent.Run("job", "stop", "-detach", "bridge")
	must.Eq(t, 0, res.ExitCode, must.Sprint(res.Stdout, res.Stderr))
	gate.waitReached(t, agent)

	agent.Kill()
	gate.answer("abort")
	gate.release(t)
	agent.Restart()

	must.Wait(t, wait.InitialSuccess(wait.BoolFunc(func() bool {
		return len(reservations(t)) == 0 && len(namespaces(t)) == 0
	}), wait.Timeout(30*time.Second), wait.Gap(100*time.Millisecond)),
		must.Sprintf("left after the restart: IPs %v, namespaces %v; agent log:\n%s",
			reservations(t), namespaces(t), tail(agent.Log(), 60)))
	framework.AssertNoNetworkLeaks(t, testNet)
}

// namespaces lists the named network namespaces on the host.
func namespaces(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, line := range strings.Split(run(t, "ip", "netns", "list"), "\n") {
		if f := strings.Fields(line); len(f) > 0 {
			out = append(out, f[0])
		}
	}
	return out
}
