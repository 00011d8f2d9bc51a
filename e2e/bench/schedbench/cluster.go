package main

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/hashicorp/nomad/api"

	"github.com/netnomad/netnomad/e2e/bench/benchkit"
)

// server is one server-only `nomad agent` process (not -dev: raft on disk).
type server struct {
	name      string
	http, rpc string // 127.0.0.1:port
	dir       string
	cmd       *exec.Cmd
	done      chan struct{}
	api       *api.Client
}

// cluster is the servers of one benchmark; api talks to the first of them, as a
// CLI pointed at any one server would.
type cluster struct {
	servers []*server
	api     *api.Client
}

// startCluster starts n server agents on loopback with bootstrap_expect = n,
// joined with server_join (n > 1), and waits until they agree on a leader.
// maxHeartbeats, when set, is their max_heartbeats_per_second; debug sets their
// enable_debug (pprof under /debug/pprof/, for -cpuprofile).
func startCluster(bin, dir string, n int, maxHeartbeats float64, debug bool, timeout time.Duration) (*cluster, error) {
	c := &cluster{}
	var joins []string
	for i := range n {
		s := &server{name: fmt.Sprintf("server-%d", i+1), dir: filepath.Join(dir, fmt.Sprintf("server-%d", i+1))}
		var err error
		if s.http, err = freeAddr(); err != nil {
			return nil, err
		}
		if s.rpc, err = freeAddr(); err != nil {
			return nil, err
		}
		joins = append(joins, strconv.Quote(s.http))
		c.servers = append(c.servers, s)
	}
	for _, s := range c.servers {
		if err := s.start(bin, n, joins, maxHeartbeats, debug); err != nil {
			c.Stop()
			return nil, err
		}
	}
	c.api = c.servers[0].api
	if err := c.waitLeader(timeout); err != nil {
		tail := c.logTail(20)
		c.Stop()
		return nil, fmt.Errorf("servers did not elect a leader: %w\n%s", err, tail)
	}
	return c, nil
}

func (s *server) start(bin string, n int, joins []string, maxHeartbeats float64, debug bool) error {
	if err := os.MkdirAll(s.dir, 0o755); err != nil {
		return err
	}
	serf, err := freeAddr()
	if err != nil {
		return err
	}
	_, httpPort, _ := net.SplitHostPort(s.http)
	_, rpcPort, _ := net.SplitHostPort(s.rpc)
	_, serfPort, _ := net.SplitHostPort(serf)
	extra := ""
	if n > 1 {
		extra = fmt.Sprintf(`
  server_join {
    retry_join     = [%s]
    retry_interval = "200ms"
  }`, strings.Join(joins, ", "))
	}
	if maxHeartbeats > 0 {
		extra += fmt.Sprintf("\n  max_heartbeats_per_second = %g", maxHeartbeats)
	}
	top := ""
	if debug {
		top = "\nenable_debug = true"
	}
	hcl := fmt.Sprintf(`%s
data_dir  = %q
bind_addr = "127.0.0.1"
name      = %q
ports {
  http = %s
  rpc  = %s
  serf = %s
}
advertise {
  http = "127.0.0.1"
  rpc  = "127.0.0.1"
  serf = "127.0.0.1"
}
server {
  enabled          = true
  bootstrap_expect = %d%s
}
client {
  enabled = false
}
`, top, filepath.Join(s.dir, "data"), s.name, httpPort, rpcPort, serfPort, n, extra)
	cfgPath := filepath.Join(s.dir, "agent.hcl")
	if err := os.WriteFile(cfgPath, []byte(hcl), 0o644); err != nil {
		return err
	}
	logf, err := os.Create(filepath.Join(s.dir, "agent.log"))
	if err != nil {
		return err
	}
	s.cmd = exec.Command(bin, "agent", "-config", cfgPath)
	s.cmd.Stdout, s.cmd.Stderr = logf, logf
	s.cmd.SysProcAttr = agentProcAttr()
	if err := s.cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("failed to start %s: %w", s.name, err)
	}
	s.done = make(chan struct{})
	go func() { _ = s.cmd.Wait(); logf.Close(); close(s.done) }()
	cfg := api.DefaultConfig()
	cfg.Address = "http://" + s.http
	s.api, err = api.NewClient(cfg)
	return err
}

func (s *server) running() bool {
	select {
	case <-s.done:
		return false
	default:
		return true
	}
}

// stop interrupts the agent and waits for it; SIGKILL (to its process group)
// after 30s.
func (s *server) stop() {
	if s.cmd == nil || s.done == nil || !s.running() {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-s.done:
	case <-time.After(30 * time.Second):
		fmt.Fprintf(os.Stderr, "schedbench: %s did not stop within 30s, killing it\n", s.name)
		killGroup(s.cmd.Process.Pid)
		<-s.done
	}
}

// Stop stops every server. It is safe to call twice.
func (c *cluster) Stop() {
	for _, s := range c.servers {
		s.stop()
	}
}

// httpAddrs are the servers' HTTP addresses, as a client's `servers` list.
func (c *cluster) httpAddrs() []string {
	out := make([]string, len(c.servers))
	for i, s := range c.servers {
		out[i] = s.http
	}
	return out
}

// waitLeader waits until every server reports the same, non-empty leader.
func (c *cluster) waitLeader(timeout time.Duration) error {
	return benchkit.Poll(timeout, 100*time.Millisecond, func() error {
		seen := ""
		for _, s := range c.servers {
			if !s.running() {
				return benchkit.Fatal{Err: fmt.Errorf("%s exited", s.name)}
			}
			l, err := s.api.Status().Leader()
			if err != nil {
				return err
			}
			if l == "" || (seen != "" && l != seen) {
				return fmt.Errorf("%s sees leader %q, another server %q", s.name, l, seen)
			}
			seen = l
		}
		return nil
	})
}

// leaderName names the server that leads now ("" when unknown).
func (c *cluster) leaderName() string {
	if s := c.leader(); s != nil {
		return s.name
	}
	return ""
}

// leader is the server that leads now (nil when unknown).
func (c *cluster) leader() *server {
	l, err := c.api.Status().Leader()
	if err != nil {
		return nil
	}
	for _, s := range c.servers {
		if s.rpc == l {
			return s
		}
	}
	return nil
}

// waitNodesReady waits with blocking queries until n nodes are ready.
func (c *cluster) waitNodesReady(n int, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	var index uint64
	for {
		stubs, meta, err := c.api.Nodes().List(&api.QueryOptions{WaitIndex: index, WaitTime: 10 * time.Second})
		if err != nil {
			return fmt.Errorf("failed to list nodes: %w", err)
		}
		ready := 0
		for _, s := range stubs {
			if s.Status == api.NodeStatusReady {
				ready++
			}
		}
		if ready >= n {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("only %d of %d nodes ready after %s", ready, n, timeout)
		}
		index = meta.LastIndex
	}
}

// nodesNotReady counts the nodes that are not ready now.
func (c *cluster) nodesNotReady() (int, error) {
	stubs, _, err := c.api.Nodes().List(nil)
	if err != nil {
		return 0, fmt.Errorf("failed to list nodes: %w", err)
	}
	n := 0
	for _, s := range stubs {
		if s.Status != api.NodeStatusReady {
			n++
		}
	}
	return n, nil
}

// logTail returns the last lines of every server's log.
func (c *cluster) logTail(lines int) string {
	var b strings.Builder
	for _, s := range c.servers {
		data, _ := os.ReadFile(filepath.Join(s.dir, "agent.log"))
		ls := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
		if len(ls) > lines {
			ls = ls[len(ls)-lines:]
		}
		fmt.Fprintf(&b, "%s log:\n%s\n", s.name, strings.Join(ls, "\n"))
	}
	return b.String()
}

// freeAddr returns a loopback address with a port that was free a moment ago.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}
