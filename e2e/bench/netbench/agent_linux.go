package main

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/hashicorp/nomad/api"

	"github.com/netnomad/netnomad/e2e/bench/benchkit"
)

// agentRun is a real `nomad agent -dev` with its own bridge and subnet, data dir
// and HTTP port.
type agentRun struct {
	bin, dir, bridge string
	http             string
	cmd              *exec.Cmd
	done             chan struct{}
	api              *api.Client
}

// agentResult is what the agent part measures.
type agentResult struct {
	n               int
	running, gone   time.Duration
	firstRunning    time.Duration
	runningAtFailed int
}

const (
	agentJobID  = "netbench"
	agentBridge = "nbench0"
	agentSubnet = "172.31.253.0/24" // not an e2e test's subnet: both may run at once
)

func startAgent(bin, dir string) (*agentRun, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	a := &agentRun{bin: bin, dir: dir, bridge: agentBridge, http: net.JoinHostPort("127.0.0.1", strconv.Itoa(port))}
	hcl := fmt.Sprintf(`
data_dir  = %q
bind_addr = "127.0.0.1"
name      = "netbench"
ports {
  http = %d
}
server {
  enabled          = true
  bootstrap_expect = 1
}
client {
  enabled               = true
  bridge_network_name   = %q
  bridge_network_subnet = %q
}
plugin "raw_exec" {
  config {
    enabled = true
  }
}
`, filepath.Join(dir, "data"), port, agentBridge, agentSubnet)
	cfgPath := filepath.Join(dir, "agent.hcl")
	if err := os.WriteFile(cfgPath, []byte(hcl), 0o644); err != nil {
		return nil, err
	}
	logf, err := os.Create(filepath.Join(dir, "agent.log"))
	if err != nil {
		return nil, err
	}
	a.cmd = exec.Command(bin, "agent", "-dev", "-config", cfgPath)
	a.cmd.Stdout, a.cmd.Stderr = logf, logf
	a.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGINT}
	if err := a.cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("failed to start agent: %w", err)
	}
	a.done = make(chan struct{})
	go func() { _ = a.cmd.Wait(); logf.Close(); close(a.done) }()
	cfg := api.DefaultConfig()
	cfg.Address = "http://" + a.http
	if a.api, err = api.NewClient(cfg); err != nil {
		a.Stop()
		return nil, err
	}
	err = benchkit.Poll(60*time.Second, 50*time.Millisecond, func() error {
		select {
		case <-a.done:
			return errors.New("agent exited")
		default:
		}
		nodes, _, err := a.api.Nodes().List(nil)
		if err != nil {
			return err
		}
		for _, n := range nodes {
			if n.Status == "ready" {
				return nil
			}
		}
		return errors.New("no ready node")
	})
	if err != nil {
		a.Stop()
		return nil, fmt.Errorf("agent not ready: %w\n%s", err, a.logTail(30))
	}
	return a, nil
}

func (a *agentRun) logTail(n int) string {
	b, _ := os.ReadFile(filepath.Join(a.dir, "agent.log"))
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// nomad runs the CLI against the agent.
func (a *agentRun) nomad(args ...string) error {
	cmd := exec.Command(a.bin, args...)
	cmd.Env = append(os.Environ(), "NOMAD_ADDR=http://"+a.http)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("nomad %s: %w: %s", strings.Join(args, " "), err, out)
	}
	return nil
}

// Stop purges the job (so no task outlives the run), interrupts the agent and
// waits for it (SIGKILL after 30s), then deletes the bridge.
func (a *agentRun) Stop() {
	select {
	case <-a.done:
	default:
		if a.api != nil {
			_, _, _ = a.api.Jobs().Deregister(agentJobID, true, nil)
			_ = benchkit.Poll(60*time.Second, 200*time.Millisecond, func() error {
				if n := a.liveAllocs(); n > 0 {
					return fmt.Errorf("%d allocations still up", n)
				}
				return nil
			})
		}
		_ = a.cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-a.done:
		case <-time.After(30 * time.Second):
			_ = syscall.Kill(-a.cmd.Process.Pid, syscall.SIGKILL)
			<-a.done
		}
	}
	_ = exec.Command("ip", "link", "delete", a.bridge).Run()
	_ = exec.Command("iptables", "-D", "NOMAD-ADMIN", "-d", agentSubnet, "-o", a.bridge, "-j", "ACCEPT").Run()
}

// liveAllocs counts the job's allocations not yet terminal on the client.
func (a *agentRun) liveAllocs() int {
	stubs, _, err := a.api.Jobs().Allocations(agentJobID, true, nil)
	if err != nil {
		return 0
	}
	n := 0
	for _, s := range stubs {
		if s.ClientStatus == "pending" || s.ClientStatus == "running" {
			n++
		}
	}
	return n
}

// fifty runs a count=n bridge job of testapp serve tasks and measures the wall
// time until all n allocations run, then the time from `job stop` until every
// allocation is terminal and its namespace, veth, rules and IP reservation
// are gone.
func (a *agentRun) fifty(testapp string, n int) (agentResult, error) {
	r := agentResult{n: n}
	job := fmt.Sprintf(`job %q {
  datacenters = ["dc1"]
  group "web" {
    count = %d
    network {
      mode = "bridge"
      port "http" {
        to = 18080
      }
    }
    task "server" {
      driver = "raw_exec"
      config {
        command = %q
        args    = ["serve", "-listen", ":18080"]
      }
      resources {
        cpu    = 20
        memory = 16
      }
    }
  }
}
`, agentJobID, n, testapp)
	jobPath := filepath.Join(a.dir, "netbench.nomad.hcl")
	if err := os.WriteFile(jobPath, []byte(job), 0o644); err != nil {
		return r, err
	}
	start := time.Now()
	if err := a.nomad("job", "run", "-detach", jobPath); err != nil {
		return r, err
	}
	var ids []string
	err := benchkit.Poll(5*time.Minute, 100*time.Millisecond, func() error {
		stubs, _, err := a.api.Jobs().Allocations(agentJobID, false, nil)
		if err != nil {
			return err
		}
		running := 0
		ids = ids[:0]
		for _, s := range stubs {
			if s.ClientStatus == "failed" {
				return benchkit.Fatal{Err: fmt.Errorf("allocation %s failed: %s", s.ID, s.ClientDescription)}
			}
			if s.ClientStatus == "running" {
				running++
			}
			ids = append(ids, s.ID)
		}
		if running > 0 && r.firstRunning == 0 {
			r.firstRunning = time.Since(start)
		}
		r.runningAtFailed = running
		if running < n {
			return fmt.Errorf("%d of %d allocations running", running, n)
		}
		return nil
	})
	if err != nil {
		return r, fmt.Errorf("%w\nagent log:\n%s", err, a.logTail(20))
	}
	r.running = time.Since(start)

	start = time.Now()
	if err := a.nomad("job", "stop", "-detach", agentJobID); err != nil {
		return r, err
	}
	err = benchkit.Poll(5*time.Minute, 100*time.Millisecond, func() error {
		if live := a.liveAllocs(); live > 0 {
			return fmt.Errorf("%d allocations not yet terminal", live)
		}
		for _, id := range ids {
			if _, err := os.Lstat(filepath.Join("/var/run/netns", id)); err == nil {
				return fmt.Errorf("namespace of %s still there", id)
			}
		}
		if out, _ := exec.Command("ip", "-o", "link", "show", "master", a.bridge).Output(); len(strings.TrimSpace(string(out))) > 0 {
			return errors.New("veths still on the bridge")
		}
		prefix := strings.TrimSuffix(agentSubnet, "0/24")
		for _, tool := range [][]string{{"iptables-save"}, {"nft", "list", "ruleset"}} {
			out, _ := exec.Command(tool[0], tool[1:]...).Output()
			for _, line := range strings.Split(string(out), "\n") {
				for _, addr := range agentAddrRe.FindAllString(line, -1) {
					if addr != agentSubnet {
						return fmt.Errorf("per-allocation rule still there: %s", strings.TrimSpace(line))
					}
				}
			}
		}
		entries, _ := os.ReadDir("/var/lib/cni/networks/nomad")
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), prefix) {
				return fmt.Errorf("ip reservation %s still there", e.Name())
			}
		}
		return nil
	})
	if err != nil {
		return r, fmt.Errorf("teardown: %w\nagent log:\n%s", err, a.logTail(20))
	}
	r.gone = time.Since(start)
	return r, nil
}

// agentAddrRe finds addresses and prefixes of the agent's subnet in a rule.
var agentAddrRe = regexp.MustCompile(regexp.QuoteMeta(strings.TrimSuffix(agentSubnet, "0/24")) + `[0-9]+(/[0-9]+)?`)
