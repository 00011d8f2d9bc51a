package agent

import (
	"io"
	"net/http"
	"testing"

	"github.com/shoenig/test/must"
)

func TestHTTP_EnableDebugServesPprof(t *testing.T) {
	for _, tc := range []struct {
		name       string
		hcl        string
		wantStatus int
	}{
		{name: "enabled", hcl: "enable_debug = true", wantStatus: http.StatusOK},
		{name: "default off", hcl: "", wantStatus: http.StatusNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			parsed, err := ParseConfig("agent.hcl", []byte(tc.hcl))
			must.NoError(t, err)
			// A server alone: the profiler needs no client.
			cfg := DevConfig().Merge(parsed)
			off := false
			cfg.Client.Enabled = &off
			cfg.Ports.HTTP = 0
			cfg.DataDir = t.TempDir()
			a, err := NewAgent(cfg, testLogger(t))
			must.NoError(t, err)
			t.Cleanup(a.Shutdown)

			resp, err := http.Get("http://" + a.HTTPAddr() + "/debug/pprof/cmdline")
			must.NoError(t, err)
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			must.EqOp(t, tc.wantStatus, resp.StatusCode, must.Sprintf("body: %s", body))
		})
	}
}
