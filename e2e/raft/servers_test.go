// Package raft holds the end-to-end tests of Raft-replicated servers: real
// `nomad agent` processes forming a 3-server cluster over loopback TCP.
package raft

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/nomad/api"
	"github.com/netnomad/netnomad/e2e/framework"
	"github.com/shoenig/test/must"
	"github.com/shoenig/test/wait"
)

// server is one server-only agent process of a test cluster.
type server struct {
	t       *testing.T
	bin     string
	http    string // 127.0.0.1:port
	rpc     string // 127.0.0.1:port
	serf    int    // ports.serf: no gossip, the Port of `server members`
	config  string
	logPath string
	cmd     *exec.Cmd
	done    chan struct{}
	api     *api.Client
}

// startCluster writes the configs of n servers that join each other with
// bootstrap_expect = n, plus extraHCL, and starts them; they are stopped when
// the test ends.
func startCluster(t *testing.T, n int, extraHCL ...string) []*server {
	bin := framework.Binary(t)
	var servers []*server
	var joins []string
	for range n {
		s := &server{t: t, bin: bin,
			http: net.JoinHostPort("127.0.0.1", strconv.Itoa(framework.FreePort(t))),
			rpc:  net.JoinHostPort("127.0.0.1", strconv.Itoa(framework.FreePort(t))),
			serf: framework.FreePort(t),
		}
		joins = append(joins, strconv.Quote(s.http))
		servers = append(servers, s)
	}
	for i, s := range servers {
		dir := t.TempDir()
		_, httpPort, _ := net.SplitHostPort(s.http)
		_, rpcPort, _ := net.SplitHostPort(s.rpc)
		hcl := fmt.Sprintf(`
data_dir  = %q
bind_addr = "127.0.0.1"
name      = "server-%d"
ports {
  http = %s
  rpc  = %s
  serf = %d
}
advertise {
  http = "127.0.0.1"
  rpc  = "127.0.0.1"
  serf = "127.0.0.1"
}
server {
  enabled          = true
  bootstrap_expect = %d
  server_join {
    retry_join     = [%s]
    retry_interval = "200ms"
  }
}
client {
  enabled = false
}
%s
`, filepath.Join(dir, "data"), i+1, httpPort, rpcPort, s.serf, n, strings.Join(joins, ", "), strings.Join(extraHCL, "\n"))
		s.config = filepath.Join(dir, "agent.hcl")
		s.logPath = filepath.Join(dir, "agent.log")
		must.NoError(t, os.WriteFile(s.config, []byte(hcl), 0o644))
		cfg := api.DefaultConfig()
		cfg.Address = "http://" + s.http
		c, err := api.NewClient(cfg)
		must.NoError(t, err)
		s.api = c
		s.start()
		t.Cleanup(s.stop)
	}
	return servers
}

func (s *server) start() {
	logf, err := os.OpenFile(s.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	must.NoError(s.t, err)
	s.cmd = exec.Command(s.bin, "agent", "-config", s.config)
	s.cmd.Stdout, s.cmd.Stderr = logf, logf
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	must.NoError(s.t, s.cmd.Start())
	s.done = make(chan struct{})
	go func() {
		s.cmd.Wait()
		logf.Close()
		close(s.done)
	}()
}

// stop interrupts the agent and waits for it (SIGKILL after 30s).
func (s *server) stop() {
	if !s.running() {
		return
	}
	s.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-s.done:
	case <-time.After(30 * time.Second):
		s.cmd.Process.Kill()
		<-s.done
		s.t.Errorf("server %s did not stop within 30s; log:\n%s", s.http, s.log())
	}
}

// kill ends the agent with SIGKILL, as a crash would.
func (s *server) kill() {
	s.cmd.Process.Kill()
	<-s.done
}

func (s *server) running() bool {
	if s.cmd == nil {
		return false
	}
	select {
	case <-s.done:
		return false
	default:
		return true
	}
}

func (s *server) log() string {
	b, _ := os.ReadFile(s.logPath)
	return string(b)
}

// run runs `nomad <args>` against this server.
func (s *server) run(args ...string) (string, error) {
	cmd := exec.Command(s.bin, args...)
	cmd.Env = append(os.Environ(), "NOMAD_ADDR=http://"+s.http)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// waitLeader waits until every running server reports the same leader and
// returns the server that is it.
func waitLeader(t *testing.T, servers []*server) *server {
	t.Helper()
	var leader *server
	must.Wait(t, wait.InitialSuccess(wait.ErrorFunc(func() error {
		leader = nil
		seen := ""
		for _, s := range servers {
			if !s.running() {
				continue
			}
			l, err := s.api.Status().Leader()
			if err != nil {
				return err
			}
			if l == "" || (seen != "" && l != seen) {
				return fmt.Errorf("server %s sees leader %q, another %q", s.http, l, seen)
			}
			seen = l
		}
		for _, s := range servers {
			if s.running() && s.rpc == seen {
				leader = s
			}
		}
		if leader == nil {
			return fmt.Errorf("leader %q is not a running server", seen)
		}
		return nil
	}), wait.Timeout(30*time.Second), wait.Gap(100*time.Millisecond)),
		must.Func(func() string { return allLogs(servers) }))
	return leader
}

// allLogs is every server's log, each under its addresses, for failure messages.
func allLogs(servers []*server) string {
	var b strings.Builder
	for _, s := range servers {
		fmt.Fprintf(&b, "--- server http=%s rpc=%s running=%t\n%s\n", s.http, s.rpc, s.running(), s.log())
	}
	return b.String()
}

// waitJobOnAll waits until every running server has the job in its own state
// (a stale read, served locally).
func waitJobOnAll(t *testing.T, servers []*server, jobID string) {
	t.Helper()
	for _, s := range servers {
		if !s.running() {
			continue
		}
		must.Wait(t, wait.InitialSuccess(wait.ErrorFunc(func() error {
			job, _, err := s.api.Jobs().Info(jobID, &api.QueryOptions{AllowStale: true})
			if err != nil {
				return fmt.Errorf("job %s on %s: %w", jobID, s.http, err)
			}
			if *job.ID != jobID {
				return errors.New("wrong job")
			}
			return nil
		}), wait.Timeout(15*time.Second), wait.Gap(50*time.Millisecond)))
	}
}

func batchJob(id string) *api.Job {
	job := api.NewBatchJob(id, id, "global", 50)
	job.Datacenters = []string{"dc1"}
	task := api.NewTask("run", "raw_exec").SetConfig("command", "/bin/true")
	task.Resources = &api.Resources{CPU: intp(50), MemoryMB: intp(32)}
	job.AddTaskGroup(api.NewTaskGroup("run", 1).AddTask(task))
	return job
}

func intp(i int) *int { return &i }

// TestRaft_LeaderLoss: three server agents elect one leader; a job registered
// through a follower is forwarded and stored on all; killing the leader elects a
// new one, a job registered afterwards is stored on the two left, and the killed
// server, started again from its data dir, catches up with it.
func TestRaft_LeaderLoss(t *testing.T) {
	servers := startCluster(t, 3)
	leader := waitLeader(t, servers)

	peers, err := servers[0].api.Status().Peers()
	must.NoError(t, err)
	must.Len(t, 3, peers)

	out, err := leader.run("operator", "raft", "list-peers")
	must.NoError(t, err, must.Sprint(out))
	t.Log("\n" + out)
	must.StrContains(t, out, "RaftProtocol")
	must.Eq(t, 1, strings.Count(out, "leader"), must.Sprint(out))
	must.Eq(t, 2, strings.Count(out, "follower"), must.Sprint(out))

	out, err = leader.run("server", "members")
	must.NoError(t, err, must.Sprint(out))
	must.Eq(t, 1, strings.Count(out, "true"), must.Sprint(out))
	t.Log("\n" + out)
	must.Eq(t, 3, strings.Count(out, "alive"), must.Sprint(out))
	// As Nomad's: the serf port in the Port column, the raft address in the tags.
	for _, s := range servers {
		must.StrContains(t, out, fmt.Sprintf("127.0.0.1  %d ", s.serf))
	}
	out, err = leader.run("server", "members", "-detailed")
	must.NoError(t, err, must.Sprint(out))
	for _, s := range servers {
		_, rpcPort, _ := net.SplitHostPort(s.rpc)
		must.StrContains(t, out, "port="+rpcPort+",")
	}
	must.Eq(t, 3, strings.Count(out, "rpc_addr=127.0.0.1"), must.Sprint(out))

	var follower *server
	for _, s := range servers {
		if s != leader {
			follower = s
		}
	}
	_, _, err = follower.api.Jobs().Register(batchJob("before"), nil)
	must.NoError(t, err)
	waitJobOnAll(t, servers, "before")

	leader.kill()
	newLeader := waitLeader(t, servers)
	must.NotEq(t, leader.rpc, newLeader.rpc)

	_, _, err = follower.api.Jobs().Register(batchJob("after"), nil)
	must.NoError(t, err)
	waitJobOnAll(t, servers, "after")

	// The old leader comes back from its data dir and catches up.
	leader.start()
	waitJobOnAll(t, []*server{leader}, "after")
	waitJobOnAll(t, []*server{leader}, "before")
}

// TestRaft_JobPlacedAfterLeaderLoss: a client agent talks to the three servers
// over HTTP; after the leader is killed, a job submitted to a survivor is placed
// on the client and runs to completion.
func TestRaft_JobPlacedAfterLeaderLoss(t *testing.T) {
	servers := startCluster(t, 3)
	leader := waitLeader(t, servers)
	var refs []*framework.Agent
	for _, s := range servers {
		refs = append(refs, &framework.Agent{HTTP: s.http})
	}
	framework.StartAgent(t, framework.ClientOnly(refs...))

	leader.kill()
	// Bring it back at the end so the client's cleanup can reach every server.
	t.Cleanup(func() {
		if !leader.running() {
			leader.start()
		}
	})
	newLeader := waitLeader(t, servers)
	must.NotEq(t, leader.rpc, newLeader.rpc)

	_, _, err := newLeader.api.Jobs().Register(batchJob("after"), nil)
	must.NoError(t, err)
	must.Wait(t, wait.InitialSuccess(wait.ErrorFunc(func() error {
		allocs, _, err := newLeader.api.Jobs().Allocations("after", true, nil)
		if err != nil {
			return err
		}
		if len(allocs) != 1 || allocs[0].ClientStatus != "complete" {
			return fmt.Errorf("allocations: %d", len(allocs))
		}
		return nil
	}), wait.Timeout(30*time.Second), wait.Gap(100*time.Millisecond)))
}

// TestRaft_RemovePeer: a follower that is gone for good is removed with
// `nomad operator raft remove-peer`, sent to the other follower, which forwards
// it to the leader; list-peers then shows two servers. An address that is not a
// peer gets Nomad's error.
func TestRaft_RemovePeer(t *testing.T) {
	servers := startCluster(t, 3)
	leader := waitLeader(t, servers)
	var followers []*server
	for _, s := range servers {
		if s != leader {
			followers = append(followers, s)
		}
	}
	gone, asked := followers[0], followers[1]
	gone.kill()

	out, err := asked.run("operator", "raft", "remove-peer", "-peer-address=127.0.0.1:1")
	must.Error(t, err)
	must.StrContains(t, out, `Failed to remove raft peer: Unexpected response code: 500 (address "127.0.0.1:1" was not found in the Raft configuration)`)

	out, err = asked.run("operator", "raft", "remove-peer", "-peer-address="+gone.rpc)
	must.NoError(t, err, must.Sprint(out))
	must.StrContains(t, out, fmt.Sprintf("Removed peer with address %q", gone.rpc))

	for _, s := range []*server{leader, asked} {
		must.Wait(t, wait.InitialSuccess(wait.ErrorFunc(func() error {
			peers, err := s.api.Status().Peers()
			if err != nil {
				return err
			}
			if len(peers) != 2 {
				return fmt.Errorf("%s has peers %v", s.http, peers)
			}
			return nil
		}), wait.Timeout(10*time.Second), wait.Gap(100*time.Millisecond)))
	}
	out, err = leader.run("operator", "raft", "list-peers")
	must.NoError(t, err, must.Sprint(out))
	must.StrNotContains(t, out, gone.rpc)
}
