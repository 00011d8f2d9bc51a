package agent

import (
	"net/http/httptest"
	"testing"

	"github.com/shoenig/test/must"
)

func TestNeedsLeader(t *testing.T) {
	for _, tc := range []struct {
		method, target string
		want           bool
	}{
		{"PUT", "/v1/jobs", true},
		{"POST", "/v1/job/web/plan", true},
		{"DELETE", "/v1/job/web", true},
		{"GET", "/v1/jobs", true},
		{"GET", "/v1/jobs?stale", false},
		{"GET", "/v1/job/web?stale=true", false},
		{"GET", "/v1/internal/node/abc/allocations?stale", true},
		{"PUT", "/v1/internal/node/abc/heartbeat", true},
		{"PUT", "/v1/internal/raft/join", true},
		{"GET", "/v1/internal/raft/self", false},
		{"GET", "/v1/status/leader", false},
		{"GET", "/v1/agent/members", false},
		{"GET", "/v1/client/fs/logs/abc", false},
		{"GET", "/v1/operator/raft/configuration", false},
		{"DELETE", "/v1/operator/raft/peer?address=127.0.0.1:4647", true},
		{"DELETE", "/v1/operator/raft/peer?id=abc&stale", true},
		{"PUT", "/v1/validate/job", false},
		{"PUT", "/v1/jobs/parse", false},
	} {
		t.Run(tc.method+" "+tc.target, func(t *testing.T) {
			must.Eq(t, tc.want, needsLeader(httptest.NewRequest(tc.method, tc.target, nil)))
		})
	}
}

func TestConfig_CheckAdvertise(t *testing.T) {
	tr := true
	for _, tc := range []struct {
		name    string
		mutate  func(*Config)
		wantErr string
	}{
		{"dev binds loopback", func(c *Config) { c.DevMode = true }, ""},
		{"any address", func(c *Config) { c.BindAddr = "0.0.0.0" }, ""},
		{"loopback without advertise", func(c *Config) {},
			"Failed to parse HTTP advertise address (, 127.0.0.1, 4646, false): Defaulting advertise to localhost is unsafe, please set advertise manually"},
		{"loopback server advertising http only", func(c *Config) { c.Advertise.HTTP = "127.0.0.1" },
			"Failed to parse RPC advertise address (, 127.0.0.1, 4647, false): Defaulting advertise to localhost is unsafe, please set advertise manually"},
		{"loopback with advertise", func(c *Config) {
			c.Advertise = &AdvertiseAddrs{HTTP: "127.0.0.1", RPC: "127.0.0.1", Serf: "127.0.0.1"}
		}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := DefaultConfig()
			c.BindAddr = "127.0.0.1"
			c.Server.Enabled = &tr
			tc.mutate(c)
			err := c.CheckAdvertise()
			if tc.wantErr == "" {
				must.NoError(t, err)
			} else {
				must.EqError(t, err, tc.wantErr)
			}
		})
	}
}
