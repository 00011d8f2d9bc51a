package networking

import (
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/shoenig/test/must"
	"github.com/shoenig/test/wait"
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

	path := jobFile(t, "outbound.nomad.hcl")
	b, err := os.ReadFile(path)
	must.NoError(t, err)
	must.NoError(t, os.WriteFile(path, []byte(strings.ReplaceAll(string(b), "__TARGET__", ln.Addr().String())), 0o644))
	res := agent.Run("job", "run", path)
	must.Eq(t, 0, res.ExitCode, must.Sprint(res.Stdout, res.Stderr))
	alloc := waitAllocStatus(t, agent, "outbound", "g", "running")

	var peer string
	must.Wait(t, wait.InitialSuccess(wait.BoolFunc(func() bool {
		select {
		case peer = <-peers:
			return true
		default:
			return false
		}
	}), wait.Timeout(15*time.Second), wait.Gap(100*time.Millisecond)),
		must.Sprintf("the task never connected; its logs:\n%s", logs(t, agent, alloc.ID, "dialer")))
	host, _, _ := net.SplitHostPort(peer)
	must.Eq(t, alloc.NetworkStatus.Address, host, must.Sprint("the connection should come from the allocation's own address"))
}
