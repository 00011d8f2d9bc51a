package agent

import (
	"testing"

	"github.com/shoenig/test/must"
)

// TestAgent_MembersShowSerfPortAndRaftTags: `server members` gets Nomad's
// shape: the serf address as Addr/Port, the raft address in the tags.
func TestAgent_MembersShowSerfPortAndRaftTags(t *testing.T) {
	cfg := DevConfig()
	cfg.Ports.HTTP = 0
	cfg.Ports.Serf = 5648
	cfg.Advertise.Serf = "10.1.2.3"
	cfg.DataDir = t.TempDir()
	cfg.NodeName = "s1"
	f := false
	cfg.Client.Enabled = &f
	a, err := NewAgent(cfg, testLogger(t))
	must.NoError(t, err)
	t.Cleanup(a.Shutdown)

	c := testAPI(t, a.HTTPAddr())
	members, err := c.Agent().Members()
	must.NoError(t, err)
	must.Len(t, 1, members.Members)
	m := members.Members[0]
	must.Eq(t, "s1.global", m.Name)
	must.Eq(t, "10.1.2.3", m.Addr)
	must.Eq(t, 5648, m.Port)
	must.Eq(t, "127.0.0.1", m.Tags["rpc_addr"])
	must.Eq(t, "4647", m.Tags["port"])
	must.Eq(t, "nomad", m.Tags["role"])
	must.Eq(t, "1", m.Tags["bootstrap"])

	leader, err := c.Status().Leader()
	must.NoError(t, err)
	must.Eq(t, "127.0.0.1:4647", leader)
}
