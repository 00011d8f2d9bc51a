package agent

import (
	"testing"

	"github.com/shoenig/test/must"
)

func TestParseConfig_ServerJoin(t *testing.T) {
	c, err := ParseConfig("s.hcl", []byte(`
server {
  enabled          = true
  bootstrap_expect = 3
  server_join {
    retry_join     = ["10.0.0.1", "10.0.0.2:4646"]
    retry_interval = "15s"
    retry_max      = 3
  }
}`))
	must.NoError(t, err)
	merged := DefaultConfig().Merge(c)
	must.Eq(t, 3, merged.Server.BootstrapExpect)
	must.NotNil(t, merged.Server.ServerJoin)
	must.Eq(t, []string{"10.0.0.1", "10.0.0.2:4646"}, merged.Server.ServerJoin.RetryJoin)
	must.Eq(t, "15s", merged.Server.ServerJoin.RetryInterval)
	must.Eq(t, 3, merged.Server.ServerJoin.RetryMax)

	_, err = ParseConfig("bad.hcl", []byte(`server { server_join { retry_jion = ["x"] } }`))
	must.ErrorContains(t, err, "retry_jion")
}

func TestWithDefaultPort(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"10.0.0.1", "10.0.0.1:4646"},
		{"10.0.0.1:5000", "10.0.0.1:5000"},
		{"::1", "[::1]:4646"},
	} {
		t.Run(tc.in, func(t *testing.T) { must.Eq(t, tc.want, withDefaultPort(tc.in, 4646)) })
	}
}
