package fingerprint

import (
	"errors"
	"strconv"
	"testing"

	"github.com/shoenig/test/must"

	"github.com/netnomad/netnomad/client/config"
	"github.com/netnomad/netnomad/testutil/fakeconsul"
)

func TestConsulFingerprint_Agent(t *testing.T) {
	agent := fakeconsul.NewAgent(t)
	fp, err := NewConsulFingerprint(&config.ConsulConfig{Address: agent.Addr})
	must.NoError(t, err)
	attrs, err := fp.Attributes()
	must.NoError(t, err)

	must.Eq(t, "dc1", attrs["consul.datacenter"])
	must.Eq(t, "true", attrs["consul.server"])
	must.Eq(t, "true", attrs["consul.connect"])
	must.NotEq(t, "", attrs["consul.version"])
	must.MapContainsKey(t, attrs, "consul.revision")
	grpc, err := strconv.Atoi(attrs["consul.grpc"])
	must.NoError(t, err)
	must.Positive(t, grpc)
	if agent.Fake != nil {
		must.Eq(t, map[string]string{
			"consul.version":     fakeconsul.DefaultVersion,
			"consul.revision":    "fake",
			"consul.server":      "true",
			"consul.datacenter":  fakeconsul.DefaultDatacenter,
			"unique.consul.name": fakeconsul.DefaultNodeName,
			"consul.connect":     "true",
			"consul.grpc":        strconv.Itoa(fakeconsul.DefaultGRPCPort),
		}, attrs)
	} else {
		must.Eq(t, "netnomad-test", attrs["unique.consul.name"])
	}
	for k := range attrs {
		must.True(t, IsConsulAttribute(k), must.Sprintf("%q", k))
	}
}

func TestConsulFingerprint_AgentDown(t *testing.T) {
	fake := fakeconsul.NewAgent(t).RequireFake(t)
	fp, err := NewConsulFingerprint(&config.ConsulConfig{Address: fake.Addr()})
	must.NoError(t, err)

	fake.SetDown(true)
	attrs, err := fp.Attributes()
	must.Error(t, err)
	must.MapEmpty(t, attrs)

	// Consul's gRPC off: the port is reported as Consul reports it, and the
	// sidecar constraint `${attr.consul.grpc} > 0` keeps Connect away.
	fake.SetDown(false)
	fake.SetGRPCPort(-1)
	attrs, err = fp.Attributes()
	must.NoError(t, err)
	must.Eq(t, "-1", attrs["consul.grpc"])
}

// selfFunc is a ConsulSelfAPI answering with a fixed /v1/agent/self.
type selfFunc func() (map[string]map[string]any, error)

func (f selfFunc) Self() (map[string]map[string]any, error) { return f() }

func TestConsulFingerprint_GRPCPortByVersionAndTLS(t *testing.T) {
	for _, tc := range []struct {
		name    string
		version string
		tls     bool
		want    string
	}{
		{name: "plaintext", version: "1.21.4", want: "8502"},
		{name: "tls on 1.14+ uses the TLS port", version: "1.14.0", tls: true, want: "8503"},
		{name: "tls before 1.14 shares the port", version: "1.13.9", tls: true, want: "8502"},
		{name: "tls on a dev build", version: "1.16.0-dev", tls: true, want: "8503"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fp := NewConsulFingerprintFrom(selfFunc(func() (map[string]map[string]any, error) {
				return map[string]map[string]any{
					"Config":      {"Version": tc.version},
					"DebugConfig": {"GRPCPort": float64(8502), "GRPCTLSPort": float64(8503)},
				}, nil
			}), tc.tls)
			attrs, err := fp.Attributes()
			must.NoError(t, err)
			must.Eq(t, tc.want, attrs["consul.grpc"])
			// Fields the agent did not report are left out.
			must.MapNotContainsKeys(t, attrs, []string{"consul.server", "consul.connect", "unique.consul.name"})
		})
	}

	fp := NewConsulFingerprintFrom(selfFunc(func() (map[string]map[string]any, error) {
		return nil, errors.New("connection refused")
	}), false)
	_, err := fp.Attributes()
	must.ErrorContains(t, err, "failed to query consul agent: connection refused")
}
