package agent

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/nomad/api"
	"github.com/shoenig/test/must"
	"github.com/shoenig/test/wait"
)

// TestParseConfig_ServerAndClientDirs: the directory keys of the issue parse
// and merge like the rest.
func TestParseConfig_ServerAndClientDirs(t *testing.T) {
	c, err := ParseConfig("agent.hcl", []byte(`
data_dir = "/var/lib/nomad"
server {
  enabled  = true
  data_dir = "/srv/nomad-server"
}
client {
  enabled   = true
  servers   = ["10.0.0.1"]
  state_dir = "/srv/nomad-client"
  alloc_dir = "/srv/nomad-alloc"
}`))
	must.NoError(t, err)
	full := DefaultConfig().Merge(c)
	must.Eq(t, "/srv/nomad-server", full.Server.DataDir)
	must.Eq(t, "/srv/nomad-client", full.Client.StateDir)
	must.Eq(t, "/srv/nomad-alloc", full.Client.AllocDir)
}

// TestAgent_ServerDataDir: a server with server.data_dir keeps its raft log
// there, not under <data_dir>/server.
func TestAgent_ServerDataDir(t *testing.T) {
	cfg := nonDevServerConfig(t)
	serverDir := filepath.Join(t.TempDir(), "server-state")
	cfg.Server.DataDir = serverDir
	a, err := NewAgent(cfg, testLogger(t))
	must.NoError(t, err)
	t.Cleanup(a.Shutdown)

	must.FileExists(t, filepath.Join(serverDir, "raft", "raft.db"))
	_, err = os.Stat(filepath.Join(cfg.DataDir, "server"))
	must.True(t, errors.Is(err, os.ErrNotExist), must.Sprintf("<data_dir>/server exists: %v", err))
}

// TestAgent_ClientDirsAndPortlessAdvertise: a client-only agent with
// state_dir, alloc_dir and `advertise { http = "127.0.0.1" }` (no port) keeps
// its state and allocations where told, and its node carries the HTTP port, so
// the server can reach it for `nomad alloc logs`.
func TestAgent_ClientDirsAndPortlessAdvertise(t *testing.T) {
	srv := testServerAgent(t)

	cfg := DefaultConfig()
	cfg.BindAddr = "127.0.0.1"
	cfg.Ports.HTTP = 0
	cfg.Advertise.HTTP = "127.0.0.1"
	cfg.DataDir = t.TempDir()
	cfg.NodeName = "dirs-client"
	stateDir, allocDir := filepath.Join(t.TempDir(), "state"), filepath.Join(t.TempDir(), "allocs")
	tr, f := true, false
	cfg.Server.Enabled = &f
	cfg.Client.Enabled = &tr
	cfg.Client.Servers = []string{srv.HTTPAddr()}
	cfg.Client.StateDir, cfg.Client.AllocDir = stateDir, allocDir
	cfg.Consul = nil
	cfg.Plugins = []*PluginConfig{{Name: "raw_exec", Config: map[string]any{"enabled": true}}}
	cl, err := NewAgent(cfg, testLogger(t))
	must.NoError(t, err)
	t.Cleanup(cl.Shutdown)

	c := testAPI(t, srv.HTTPAddr())
	var node *api.NodeListStub
	must.Wait(t, wait.InitialSuccess(wait.ErrorFunc(func() error {
		nodes, _, err := c.Nodes().List(nil)
		if err != nil {
			return err
		}
		if len(nodes) != 1 || nodes[0].Status != "ready" {
			return errors.New("client node not ready on the server")
		}
		node = nodes[0]
		return nil
	}), wait.Timeout(10*time.Second), wait.Gap(20*time.Millisecond)))
	info, _, err := c.Nodes().Info(node.ID, nil)
	must.NoError(t, err)
	_, port, _ := net.SplitHostPort(cl.HTTPAddr())
	must.Eq(t, net.JoinHostPort("127.0.0.1", port), info.HTTPAddr)

	_, _, err = c.Jobs().Register(batchJob("dirs"), nil)
	must.NoError(t, err)
	var allocID string
	must.Wait(t, wait.InitialSuccess(wait.ErrorFunc(func() error {
		allocs, _, err := c.Jobs().Allocations("dirs", true, nil)
		if err != nil {
			return err
		}
		if len(allocs) != 1 || allocs[0].ClientStatus != "complete" {
			return fmt.Errorf("allocations %v", allocs)
		}
		allocID = allocs[0].ID
		return nil
	}), wait.Timeout(20*time.Second), wait.Gap(50*time.Millisecond)))
	must.DirExists(t, filepath.Join(allocDir, allocID))
	must.FileExists(t, filepath.Join(stateDir, "state.db"))
	_, err = os.Stat(filepath.Join(cfg.DataDir, "client"))
	must.True(t, errors.Is(err, os.ErrNotExist), must.Sprintf("<data_dir>/client exists: %v", err))
}

// nonDevServerConfig is a one-server cluster with its state on disk, on free
// loopback ports.
func nonDevServerConfig(t *testing.T) *Config {
	cfg := DefaultConfig()
	cfg.BindAddr = "127.0.0.1"
	cfg.Ports.HTTP = 0
	cfg.Ports.RPC = freeTCPPort(t)
	cfg.DataDir = t.TempDir()
	cfg.NodeName = "dirs-server"
	tr := true
	cfg.Server.Enabled = &tr
	cfg.Server.BootstrapExpect = 1
	cfg.Consul = nil
	return cfg
}

func testLogger(t *testing.T) hclog.Logger {
	return hclog.New(&hclog.LoggerOptions{Level: hclog.Warn, Output: testWriter{t}})
}

// testAPI is a nomad/api client for the agent HTTP address addr.
func testAPI(t *testing.T, addr string) *api.Client {
	t.Helper()
	cfg := api.DefaultConfig()
	cfg.Address = "http://" + addr
	c, err := api.NewClient(cfg)
	must.NoError(t, err)
	return c
}
