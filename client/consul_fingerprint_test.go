package client

import (
	"errors"
	"testing"
	"time"

	"github.com/netnomad/netnomad/client/config"
	"github.com/netnomad/netnomad/testutil/fakeconsul"
)

// TestClient_ConsulFingerprintFollowsAgent: the node is registered with the
// consul.* attributes while its agent answers, re-registered without them when
// the agent goes away (so Connect sidecars are no longer placed here), and with
// them again once it is back.
func TestClient_ConsulFingerprintFollowsAgent(t *testing.T) {
	oldRetry, oldInterval := consulRetryInterval, consulFingerprintInterval
	consulRetryInterval, consulFingerprintInterval = 30*time.Millisecond, 30*time.Millisecond
	t.Cleanup(func() { consulRetryInterval, consulFingerprintInterval = oldRetry, oldInterval })

	fake := fakeconsul.NewAgent(t).RequireFake(t)
	cfg := testConfig(t, t.TempDir())
	cfg.Consul = &config.ConsulConfig{Address: fake.Addr()}
	srv := newFakeServer()
	c := startClient(t, cfg, srv)
	id := c.Node().ID

	registeredWith := func(grpc string) func() error {
		return func() error {
			n := srv.node(id)
			if n == nil {
				return errors.New("node not registered")
			}
			if got := n.Attributes["consul.grpc"]; got != grpc {
				return errors.New("consul.grpc is " + got + ", want " + grpc)
			}
			if grpc != "" && n.Attributes["consul.version"] != fakeconsul.DefaultVersion {
				return errors.New("consul.version missing")
			}
			if _, ok := n.Attributes["consul.version"]; grpc == "" && ok {
				return errors.New("consul.version still set")
			}
			return nil
		}
	}
	waitFor(t, registeredWith("8502"))

	fake.SetDown(true)
	waitFor(t, registeredWith(""))

	fake.SetGRPCPort(8600)
	fake.SetDown(false)
	waitFor(t, registeredWith("8600"))
}

// TestClient_ConsulDownAtStart: a client whose agent does not answer still
// registers its node (without consul.* attributes) and runs; it is not held
// up by Consul.
func TestClient_ConsulDownAtStart(t *testing.T) {
	fake := fakeconsul.NewAgent(t).RequireFake(t)
	fake.SetDown(true)
	cfg := testConfig(t, t.TempDir())
	cfg.Consul = &config.ConsulConfig{Address: fake.Addr()}
	srv := newFakeServer()
	c := startClient(t, cfg, srv)
	waitFor(t, func() error {
		n := srv.node(c.Node().ID)
		if n == nil {
			return errors.New("node not registered")
		}
		for k := range n.Attributes {
			if k == "consul.version" || k == "unique.consul.name" {
				return errors.New(k + " set while consul is down")
			}
		}
		return nil
	})
}
