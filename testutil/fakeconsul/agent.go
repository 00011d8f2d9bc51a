package fakeconsul

import (
	"bytes"
	"context"
	"net"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/hashicorp/consul/api"
)

// Agent is the Consul agent a test talks to: a real `consul agent -dev` when a
// consul binary is on PATH, else the fake. Fake is nil for a real agent.
type Agent struct {
	Addr string
	Real bool
	Fake *Server
}

// NewAgent starts the agent for t and logs which kind it is; everything is
// stopped when the test ends.
func NewAgent(t testing.TB) *Agent {
	t.Helper()
	bin, err := exec.LookPath("consul")
	if err != nil {
		s := New(t)
		t.Logf("consul: no consul binary on PATH, testing against the fake agent at %s", s.Addr())
		return &Agent{Addr: s.Addr(), Fake: s}
	}
	addr := startReal(t, bin)
	t.Logf("consul: testing against a real consul agent (%s) at %s", bin, addr)
	return &Agent{Addr: addr, Real: true}
}

// Client returns an API client of the agent.
func (a *Agent) Client(t testing.TB) *api.Client {
	t.Helper()
	cfg := api.DefaultConfig()
	cfg.Address = a.Addr
	c, err := api.NewClient(cfg)
	if err != nil {
		t.Fatalf("consul: failed to create client: %v", err)
	}
	return c
}

// RequireFake skips t when the agent is real: for tests of behaviour only the
// fake can produce (an agent going down and coming back).
func (a *Agent) RequireFake(t testing.TB) *Server {
	t.Helper()
	if a.Real {
		t.Skip("consul: needs the fake agent (it simulates an unreachable agent)")
	}
	return a.Fake
}

// startReal runs `consul agent -dev` on free loopback ports and waits until it
// has a leader.
func startReal(t testing.TB, bin string) string {
	t.Helper()
	ports := make([]int, 5)
	for i := range ports {
		ports[i] = freePort(t)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, "agent", "-dev",
		"-bind=127.0.0.1", "-client=127.0.0.1", "-node=netnomad-test",
		"-http-port="+strconv.Itoa(ports[0]), "-grpc-port="+strconv.Itoa(ports[1]),
		"-serf-lan-port="+strconv.Itoa(ports[2]), "-serf-wan-port="+strconv.Itoa(ports[3]),
		"-server-port="+strconv.Itoa(ports[4]), "-dns-port=-1")
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("consul: failed to start %s: %v", bin, err)
	}
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
	})
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[0]))
	c := (&Agent{Addr: addr}).Client(t)
	deadline := time.Now().Add(30 * time.Second)
	for {
		leader, err := c.Status().Leader()
		if err == nil && leader != "" {
			return addr
		}
		if time.Now().After(deadline) {
			t.Fatalf("consul: agent did not elect a leader in 30s: %v\n%s", err, out.String())
		}
		select {
		case <-time.After(100 * time.Millisecond):
		case <-ctx.Done():
			t.Fatalf("consul: agent stopped\n%s", out.String())
		}
	}
}

// freePort returns a TCP port free on the loopback interface right now.
func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("consul: failed to find a free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
