package agent

import (
	"testing"
	"time"

	"github.com/shoenig/test/must"
)

func TestParseConfig_ServerRaftSnapshotKeys(t *testing.T) {
	c, err := ParseConfig("agent.hcl", []byte(`
server {
  enabled                 = true
  raft_snapshot_threshold = 16
  raft_snapshot_interval  = "1s"
  raft_trailing_logs      = 8
}`))
	must.NoError(t, err)
	full := DefaultConfig().Merge(c)
	full.DataDir = t.TempDir()
	must.NoError(t, full.Validate())
	got, err := full.Server.raftSnapshots()
	must.NoError(t, err)
	must.Eq(t, raftSnapshotSettings{threshold: 16, interval: time.Second, trailingLogs: 8}, got)

	// A later file overrides only the keys it sets.
	later, err := ParseConfig("later.hcl", []byte(`
server {
  raft_trailing_logs = 100
}`))
	must.NoError(t, err)
	got, err = full.Merge(later).Server.raftSnapshots()
	must.NoError(t, err)
	must.Eq(t, raftSnapshotSettings{threshold: 16, interval: time.Second, trailingLogs: 100}, got)

	// Unset keys leave raft's defaults (Nomad's).
	got, err = DefaultConfig().Server.raftSnapshots()
	must.NoError(t, err)
	must.Eq(t, raftSnapshotSettings{}, got)
}

func TestParseConfig_ServerRaftSnapshotErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		hcl  string
		want string
	}{
		{
			name: "zero and bad duration",
			hcl: `
  raft_snapshot_threshold = 0
  raft_snapshot_interval  = "often"
  raft_trailing_logs      = -1`,
			want: `server -> raft_snapshot_threshold: must be positive, got 0
server -> raft_snapshot_interval: invalid duration "often"
server -> raft_trailing_logs: must be positive, got -1`,
		},
		{
			name: "interval below raft's minimum, with a heartbeat error",
			hcl: `
  raft_snapshot_interval = "1ms"
  heartbeat_grace        = "soon"`,
			want: `server -> heartbeat_grace: invalid duration "soon"
server -> raft_snapshot_interval: must be at least 5ms, got "1ms"`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := ParseConfig("bad.hcl", []byte("server {\n  enabled = true"+tc.hcl+"\n}"))
			must.NoError(t, err)
			full := DefaultConfig().Merge(c)
			full.DataDir = t.TempDir()
			must.EqError(t, full.Validate(), tc.want)
		})
	}
}

// TestParseConfig_ServerRaftSnapshotUnknownKey: a misspelt key is still an
// error naming it, beside a valid one.
func TestParseConfig_ServerRaftSnapshotUnknownKey(t *testing.T) {
	_, err := ParseConfig("agent.hcl", []byte(`
server {
  raft_snapshot_threshold = 16
  raft_snapshot_treshold  = 16
  raft_trailing_log       = 8
}`))
	must.EqError(t, err, `agent.hcl:4:3: invalid key "raft_snapshot_treshold" in server
agent.hcl:5:3: invalid key "raft_trailing_log" in server`)
}
