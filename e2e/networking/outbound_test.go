package networking

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shoenig/test/must"
	"github.com/shoenig/test/wait"

	"github.com/netnomad/netnomad/client/network"
	"github.com/netnomad/netnomad/e2e/framework"
)

// TestBridge_TaskReachesHost: a task in a bridge namespace reaches a service on the
// host's own address, through the bridge gateway.
func TestBridge_TaskReachesHost(t *testing.T) {
	agent := startAgent(t)
	node, _, err := agent.API.Nodes().List(nil)
	must.NoError(t, err)
	full, _, err := agent.API.Nodes().Info(node[0].ID, nil)
	must.NoError(t, err)
	hostAddr := full.Attributes["unique.network.ip-address"]
	must.NotEq(t, "", hostAddr)

	ln, err := net.Listen("tcp", net.JoinHostPort(hostAddr, "0"))
	must.NoError(t, err)
	defer ln.Close()

	alloc, peer := runDialer(t, agent, ln)
	must.Eq(t, alloc, peer, must.Sprint("the connection should come from the allocation's own address"))
}

// TestBridge_TaskReachesOutsideThroughNAT: a task reaches a machine beyond the
// host (a namespace behind a veth of its own, standing in for the network),
// through the host's FORWARD chain — DROP by default where Docker runs — and
// masqueraded: the outside machine sees the host's address on that link, never
// the allocation's.
func TestBridge_TaskReachesOutsideThroughNAT(t *testing.T) {
	agent := startAgent(t)

	// Registered after the agent: cleanups run last-in first-out, so the outside
	// machine is gone before the leak check looks for namespaces.
	const ns, hostEnd, hostIP, outsideIP = "nne2e-outside", "nne2eout0", "198.51.100.1", "198.51.100.2"
	t.Cleanup(func() {
		_ = exec.Command("ip", "link", "delete", hostEnd).Run()
		_ = exec.Command("ip", "netns", "delete", ns).Run()
	})
	run(t, "ip", "netns", "add", ns)
	run(t, "ip", "link", "add", hostEnd, "type", "veth", "peer", "name", "eth0", "netns", ns)
	run(t, "ip", "addr", "add", hostIP+"/30", "dev", hostEnd)
	run(t, "ip", "link", "set", hostEnd, "up")
	run(t, "ip", "netns", "exec", ns, "ip", "addr", "add", outsideIP+"/30", "dev", "eth0")
	run(t, "ip", "netns", "exec", ns, "ip", "link", "set", "eth0", "up")

	var ln net.Listener
	must.NoError(t, network.WithNetNS(filepath.Join("/var/run/netns", ns), func() (err error) {
		ln, err = net.Listen("tcp", net.JoinHostPort(outsideIP, "0"))
		return err
	}))
	defer ln.Close()

	alloc, peer := runDialer(t, agent, ln)
	must.NotEq(t, alloc, peer, must.Sprint("the allocation's address reached the outside: not masqueraded"))
	must.Eq(t, hostIP, peer, must.Sprint("the outside should see the host's address on its link"))
}

// runDialer runs the outbound job, whose task dials ln's address once a second,
// and returns the allocation's address and the address the first connection
// came from.
func runDialer(t *testing.T, agent *framework.Agent, ln net.Listener) (alloc, peer string) {
	t.Helper()
	peers := make(chan string, 16)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			select {
			case peers <- c.RemoteAddr().String():
			default:
			}
			c.Close()
		}
	}()

	path := framework.JobFile(t, "outbound.nomad.hcl")
	b, err := os.ReadFile(path)
	must.NoError(t, err)
	must.NoError(t, os.WriteFile(path, []byte(strings.ReplaceAll(string(b), "__TARGET__", ln.Addr().String())), 0o644))
	res := agent.Run("job", "run", path)
	must.Eq(t, 0, res.ExitCode, must.Sprint(res.Stdout, res.Stderr))
	a := framework.WaitAllocStatus(t, agent, "outbound", "g", "running", allocTimeout)

	var from string
	must.Wait(t, wait.InitialSuccess(wait.BoolFunc(func() bool {
		select {
		case from = <-peers:
			return true
		default:
			return false
		}
	}), wait.Timeout(15*time.Second), wait.Gap(100*time.Millisecond)),
		must.Sprintf("the task never connected to %s; its logs:\n%s", ln.Addr(), logs(t, agent, a.ID, "dialer")))
	host, _, err := net.SplitHostPort(from)
	must.NoError(t, err, must.Sprintf("peer %q", from))
	return a.NetworkStatus.Address, host
}
