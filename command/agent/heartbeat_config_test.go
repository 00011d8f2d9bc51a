package agent

import (
	"context"
	"testing"
	"time"

	"github.com/shoenig/test/must"

	"github.com/netnomad/netnomad/nomad/mock"
)

func TestParseConfig_ServerHeartbeatKeys(t *testing.T) {
	c, err := ParseConfig("agent.hcl", []byte(`
server {
  enabled                   = true
  heartbeat_grace           = "30s"
  min_heartbeat_ttl         = "20s"
  max_heartbeats_per_second = 25.5
}`))
	must.NoError(t, err)
	full := DefaultConfig().Merge(c)
	full.DataDir = t.TempDir()
	must.NoError(t, full.Validate())
	hb, err := full.Server.heartbeat()
	must.NoError(t, err)
	must.Eq(t, heartbeatSettings{grace: 30 * time.Second, minTTL: 20 * time.Second, maxPerSecond: 25.5}, hb)

	// Unset keys leave the server's defaults.
	hb, err = DefaultConfig().Server.heartbeat()
	must.NoError(t, err)
	must.Eq(t, heartbeatSettings{}, hb)
}

func TestParseConfig_ServerHeartbeatErrors(t *testing.T) {
	c, err := ParseConfig("bad.hcl", []byte(`
server {
  enabled                   = true
  heartbeat_grace           = "soon"
  min_heartbeat_ttl         = "-1s"
  max_heartbeats_per_second = -2
}`))
	must.NoError(t, err)
	full := DefaultConfig().Merge(c)
	full.DataDir = t.TempDir()
	must.EqError(t, full.Validate(), `server -> heartbeat_grace: invalid duration "soon"
server -> min_heartbeat_ttl: must be positive, got "-1s"
server -> max_heartbeats_per_second: must be positive, got -2`)
}

// TestAgent_MinHeartbeatTTLReachesClients: a server agent configured with
// min_heartbeat_ttl hands clients a TTL of at least that, plus a stagger of at
// most as much again.
func TestAgent_MinHeartbeatTTLReachesClients(t *testing.T) {
	cfg := DevConfig()
	cfg.Ports.HTTP = 0
	cfg.DataDir = t.TempDir()
	f := false
	cfg.Client.Enabled = &f
	cfg.Server.MinHeartbeatTTL = "2s"
	cfg.Server.HeartbeatGrace = "1s"
	a, err := NewAgent(cfg, testLogger(t))
	must.NoError(t, err)
	t.Cleanup(a.Shutdown)

	c := testServersClient(t, []string{a.HTTPAddr()}, time.Second)
	node := mock.Node()
	must.NoError(t, c.RegisterNode(context.Background(), node))
	ttl, err := c.Heartbeat(context.Background(), node.ID)
	must.NoError(t, err)
	must.GreaterEq(t, 2*time.Second, ttl)
	must.Less(t, 4*time.Second, ttl)
}
