package framework

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/nomad/api"
	"github.com/shoenig/test/must"
	"github.com/shoenig/test/wait"

	"github.com/netnomad/netnomad/testutil/hostrules"
)

// Agent is a real `nomad agent` process started for one test.
type Agent struct {
	t       testing.TB
	bin     string
	DataDir string
	HTTP    string // host:port
	Name    string // node name
	role    string // see agentOptions.role
	env     []string
	// apiAddr is where API calls go when it is not HTTP (client-only agents).
	apiAddr string
	Config  string // path of the generated config file
	LogPath string
	cmd     *exec.Cmd
	done    chan struct{}
	API     *api.Client
	// allocIDs are the allocations this agent ran (procleak.go).
	allocIDs map[string]bool
}

// AgentOption adjusts an agent's HCL config.
type AgentOption func(*agentOptions)

type agentOptions struct {
	dev   bool
	extra string
	// role is "" (server and client), "server" or "client".
	role      string
	servers   []*Agent
	clientHCL string
	env       []string
}

// WithEnv adds KEY=value entries to the agent process's environment (on top of
// the test's own), e.g. a PATH with programs the agent should find.
func WithEnv(kv ...string) AgentOption { return func(o *agentOptions) { o.env = append(o.env, kv...) } }

// ServerOnly starts a server agent without a client (state on disk, not -dev).
// It is ready once it answers; it has no node of its own.
func ServerOnly() AgentOption {
	return func(o *agentOptions) { o.dev, o.role = false, "server" }
}

// ClientOnly starts a client agent without a server (state on disk, not -dev)
// that talks to the given server agents over HTTP; it is ready once its node is
// ready on the first server. Its API is the first server's.
func ClientOnly(servers ...*Agent) AgentOption {
	return func(o *agentOptions) { o.dev, o.role, o.servers = false, "client", servers }
}

// WithClientHCL adds raw lines to the agent's client block, e.g.
// `bridge_network_name = "nomad2"`.
func WithClientHCL(hcl string) AgentOption {
	return func(o *agentOptions) { o.clientHCL += "\n" + hcl }
}

// WithHCL appends raw agent config.
func WithHCL(hcl string) AgentOption { return func(o *agentOptions) { o.extra += "\n" + hcl } }

// NonDev starts a server+client agent with state on disk instead of -dev.
func NonDev() AgentOption { return func(o *agentOptions) { o.dev = false } }

// StartAgent starts an agent (dev mode by default) on a free port with its own data
// dir, waits until its node is ready, and stops it when the test ends.
func StartAgent(t testing.TB, opts ...AgentOption) *Agent {
	t.Helper()
	o := &agentOptions{dev: true}
	for _, opt := range opts {
		opt(o)
	}
	dir := t.TempDir()
	a := &Agent{
		t:       t,
		bin:     Binary(t),
		DataDir: filepath.Join(dir, "data"),
		HTTP:    net.JoinHostPort("127.0.0.1", strconv.Itoa(FreePort(t))),
		Config:  filepath.Join(dir, "agent.hcl"),
		LogPath: filepath.Join(dir, "agent.log"),
	}
	_, port, _ := net.SplitHostPort(a.HTTP)
	a.Name = "e2e-" + port
	a.role = o.role
	a.env = o.env
	var addrs []string
	for _, s := range o.servers {
		addrs = append(addrs, s.HTTP)
	}
	if len(o.servers) > 0 {
		a.apiAddr = o.servers[0].HTTP
	}
	advertise := ""
	if !o.dev {
		// Nomad refuses to guess an advertise address for a loopback bind.
		advertise = `advertise {
  http = "127.0.0.1"
  rpc  = "127.0.0.1"
  serf = "127.0.0.1"
}`
	}
	hcl := fmt.Sprintf(`
data_dir  = %q
bind_addr = "127.0.0.1"
name      = %q
ports {
  http = %s
  rpc  = %d
  serf = %d
}
%s
server {
  enabled = %t
  bootstrap_expect = 1
}
client {
  enabled = %t
  servers = %s
%s
}
plugin "raw_exec" {
  config {
    enabled = true
  }
}
%s`, a.DataDir, a.Name, port, FreePort(t), FreePort(t), advertise, o.role != "client", o.role != "server", hclList(addrs), o.clientHCL, o.extra)
	must.NoError(t, os.WriteFile(a.Config, []byte(hcl), 0o644))
	args := []string{"agent", "-config", a.Config}
	if o.dev {
		args = append(args, "-dev")
	}
	// Cleanups run last-in first-out: the check runs once the agent is
	// stopped and its jobs purged (and after the cleanups of anything the test
	// started later, such as a purge of the servers' jobs). Registered before
	// the start, so an agent that never becomes ready is stopped too.
	before := hostrules.AdminRules()
	t.Cleanup(func() { hostrules.DropAdminRulesAddedSince(before) })
	t.Cleanup(a.assertNoTaskProcesses)
	t.Cleanup(a.Stop)
	a.start(args)
	return a
}

func (a *Agent) start(args []string) {
	t := a.t
	t.Helper()
	logf, err := os.OpenFile(a.LogPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	must.NoError(t, err)
	a.cmd = exec.Command(a.bin, args...)
	if len(a.env) > 0 {
		a.cmd.Env = append(os.Environ(), a.env...)
	}
	a.cmd.Stdout = logf
	a.cmd.Stderr = logf
	a.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	must.NoError(t, a.cmd.Start())
	a.done = make(chan struct{})
	go func() {
		a.cmd.Wait()
		logf.Close()
		close(a.done)
	}()
	cfg := api.DefaultConfig()
	cfg.Address = "http://" + a.HTTP
	if a.apiAddr != "" {
		cfg.Address = "http://" + a.apiAddr
	}
	a.API, err = api.NewClient(cfg)
	must.NoError(t, err)
	a.WaitReady()
}

// WaitReady waits until the agent answers and its node is ready.
func (a *Agent) WaitReady() {
	a.t.Helper()
	must.Wait(a.t, wait.InitialSuccess(
		wait.ErrorFunc(func() error {
			select {
			case <-a.done:
				return errAgentExited
			default:
			}
			if a.role == "server" {
				leader, err := a.API.Status().Leader()
				if err != nil {
					return err
				}
				if leader == "" {
					return errors.New("no leader yet")
				}
				return nil
			}
			// After a restart the servers still list the node as ready from
			// before: wait for this process's own client to be up first.
			if err := a.ownClientUp(); err != nil {
				return err
			}
			nodes, _, err := a.API.Nodes().List(nil)
			if err != nil {
				return err
			}
			for _, n := range nodes {
				if n.Status == "ready" && (a.role != "client" || n.Name == a.Name) {
					return nil
				}
			}
			return errors.New("no ready node yet")
		}),
		wait.Timeout(30*time.Second),
		wait.Gap(50*time.Millisecond),
	), must.Sprintf("agent did not become ready; log:\n%s", a.Log()))
}

var errAgentExited = errors.New("agent exited")

// ownClientUp asks this agent (not the servers) whether its client has started.
func (a *Agent) ownClientUp() error {
	cfg := api.DefaultConfig()
	cfg.Address = "http://" + a.HTTP
	c, err := api.NewClient(cfg)
	if err != nil {
		return err
	}
	health, err := c.Agent().Health()
	if err != nil {
		return err
	}
	if health.Client == nil {
		return errors.New("client not started yet")
	}
	return nil
}

// Log returns what the agent has logged so far.
func (a *Agent) Log() string {
	b, _ := os.ReadFile(a.LogPath)
	return string(b)
}

// Stop purges every job (so no task outlives the test, even one that failed
// half-way), interrupts the agent and waits for it to exit (killing it after 30s).
func (a *Agent) Stop() {
	if a.cmd == nil || a.cmd.Process == nil {
		return
	}
	select {
	case <-a.done:
		return
	default:
	}
	a.purgeJobs()
	a.stopProcess()
}

// purgeJobs stops and purges all jobs and waits (bounded) for their allocations to
// finish on the client.
func (a *Agent) purgeJobs() {
	if a.role == "client" {
		return // the servers' jobs are theirs to purge
	}
	jobs, _, err := a.API.Jobs().List(nil)
	if err != nil {
		a.t.Logf("cannot list jobs to clean up: %v", err)
		return
	}
	var allocIDs []string
	for _, j := range jobs {
		allocs, _, _ := a.API.Jobs().Allocations(j.ID, true, nil)
		for _, al := range allocs {
			allocIDs = append(allocIDs, al.ID)
		}
		if _, _, err := a.API.Jobs().Deregister(j.ID, true, nil); err != nil {
			a.t.Logf("cannot purge job %q: %v", j.ID, err)
		}
	}
	err = wait.InitialSuccess(wait.BoolFunc(func() bool {
		for _, id := range allocIDs {
			al, _, err := a.API.Allocations().Info(id, nil)
			if err == nil && !al.ClientTerminalStatus() {
				return false
			}
		}
		return true
	}), wait.Timeout(30*time.Second), wait.Gap(50*time.Millisecond)).Run()
	if err != nil {
		a.t.Errorf("allocations still running after purging their jobs: %v", err)
	}
}

// stopProcess interrupts the agent and waits for it to exit.
func (a *Agent) stopProcess() {
	select {
	case <-a.done:
		return
	default:
	}
	a.recordAllocs()
	a.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-a.done:
	case <-time.After(30 * time.Second):
		a.cmd.Process.Kill()
		<-a.done
		a.t.Errorf("agent did not stop within 30s after SIGINT; log:\n%s", a.Log())
	}
}

// Kill ends the agent with SIGKILL, as a crash would.
func (a *Agent) Kill() {
	a.recordAllocs()
	a.cmd.Process.Kill()
	<-a.done
}

// Restart stops the agent (leaving its jobs and tasks alone) and starts it again
// with the same arguments and data dir.
func (a *Agent) Restart() {
	a.t.Helper()
	a.stopProcess()
	a.start(a.cmd.Args[1:])
}

// KillAndRestart ends the agent with SIGKILL, as a crash would, and starts it again.
func (a *Agent) KillAndRestart() {
	a.t.Helper()
	a.Kill()
	a.start(a.cmd.Args[1:])
}

// Result is the outcome of one CLI invocation.
type Result struct {
	Stdout, Stderr string
	ExitCode       int
}

// Run runs `nomad <args>` against this agent.
func (a *Agent) Run(args ...string) Result {
	a.t.Helper()
	cmd := exec.Command(a.bin, args...)
	cmd.Env = append(os.Environ(), "NOMAD_ADDR=http://"+a.HTTP)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		code = exitErr.ExitCode()
	} else if err != nil {
		a.t.Fatalf("failed to run nomad %v: %v", args, err)
	}
	return Result{Stdout: out.String(), Stderr: errb.String(), ExitCode: code}
}

var (
	portsMu    sync.Mutex
	portsGiven = map[int]bool{}
)

// FreePort is a TCP port on 127.0.0.1 that was free a moment ago and that this
// test process has not handed out before. The kernel may return a port it has
// just freed, and the agents of a test bind their ports only later: without
// the check, one server's raft port could be another's HTTP port.
func FreePort(t testing.TB) int {
	t.Helper()
	for {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		must.NoError(t, err)
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		portsMu.Lock()
		fresh := !portsGiven[port]
		portsGiven[port] = true
		portsMu.Unlock()
		if fresh {
			return port
		}
	}
}

// hclList renders strings as an HCL list.
func hclList(vals []string) string {
	quoted := make([]string, len(vals))
	for i, v := range vals {
		quoted[i] = strconv.Quote(v)
	}
	return "[" + strings.Join(quoted, ", ") + "]"
}
