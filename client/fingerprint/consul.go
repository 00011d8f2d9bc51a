package fingerprint

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/consul/api"

	"github.com/netnomad/netnomad/client/config"
)

// How often the client asks its Consul agent about itself again (Nomad's
// consul fingerprinter): often while the agent is unreachable, so a node starts
// taking Connect work soon after Consul comes up, rarely once it answered.
const (
	ConsulRetryInterval       = 15 * time.Second
	ConsulFingerprintInterval = 60 * time.Second
)

// consulQueryTimeout bounds one /v1/agent/self call: a blackholed agent
// address must not hold up node registration.
const consulQueryTimeout = 5 * time.Second

// ConsulSelfAPI is the part of consul/api's Agent the fingerprint uses.
type ConsulSelfAPI interface {
	Self() (map[string]map[string]any, error)
}

// ConsulFingerprint reads the node attributes Nomad derives from the local
// Consul agent's /v1/agent/self. Safe for concurrent use (it keeps no state).
type ConsulFingerprint struct {
	agent ConsulSelfAPI
	// tls selects the agent's gRPC TLS port on Consul 1.14+, where the
	// plaintext and TLS gRPC listeners became separate ports.
	tls bool
}

// NewConsulFingerprint returns the fingerprint of the agent the consul block
// names. The HTTP client gives up on a query after consulQueryTimeout.
func NewConsulFingerprint(cfg *config.ConsulConfig) (*ConsulFingerprint, error) {
	apiCfg := cfg.APIConfig()
	client, err := api.NewClient(apiCfg)
	if err != nil {
		return nil, fmt.Errorf("failed to create consul client: %w", err)
	}
	// NewClient stored this *http.Client (also for unix:// addresses), so the
	// timeout applies to the client's requests.
	apiCfg.HttpClient.Timeout = consulQueryTimeout
	return &ConsulFingerprint{agent: client.Agent(), tls: cfg != nil && cfg.SSL}, nil
}

// NewConsulFingerprintFrom returns a fingerprint reading from agent (tests).
func NewConsulFingerprintFrom(agent ConsulSelfAPI, tls bool) *ConsulFingerprint {
	return &ConsulFingerprint{agent: agent, tls: tls}
}

// Attributes queries the agent and returns the consul attributes, with
// Nomad's names and values:
//
//	consul.version, consul.revision, consul.server ("true"/"false"),
//	consul.datacenter, unique.consul.name, consul.connect ("true"/"false"),
//	consul.grpc (the xDS gRPC port; "-1" when the agent has gRPC off)
//
// An unreachable agent is an error (the caller removes the attributes); a
// field the agent does not report is left out.
func (f *ConsulFingerprint) Attributes() (map[string]string, error) {
	self, err := f.agent.Self()
	if err != nil {
		return nil, fmt.Errorf("failed to query consul agent: %w", err)
	}
	attrs := map[string]string{}
	cfg, debug := self["Config"], self["DebugConfig"]
	for attr, field := range map[string]string{
		"consul.version":     "Version",
		"consul.revision":    "Revision",
		"consul.datacenter":  "Datacenter",
		"unique.consul.name": "NodeName",
	} {
		if s, ok := cfg[field].(string); ok {
			attrs[attr] = s
		}
	}
	if b, ok := cfg["Server"].(bool); ok {
		attrs["consul.server"] = strconv.FormatBool(b)
	}
	if b, ok := debug["ConnectEnabled"].(bool); ok {
		attrs["consul.connect"] = strconv.FormatBool(b)
	}
	portField := "GRPCPort"
	if f.tls && !consulBefore1_14(attrs["consul.version"]) {
		portField = "GRPCTLSPort"
	}
	if p, ok := debug[portField].(float64); ok {
		attrs["consul.grpc"] = strconv.Itoa(int(p))
	}
	return attrs, nil
}

// IsConsulAttribute reports whether a node attribute comes from the Consul
// fingerprint, so that stale ones can be dropped when the agent goes away.
func IsConsulAttribute(key string) bool {
	return strings.HasPrefix(key, "consul.") || key == "unique.consul.name"
}

// consulBefore1_14 reports whether version predates Consul 1.14, whose
// GRPCPort served TLS too. Unparsable versions count as recent.
func consulBefore1_14(version string) bool {
	parts := strings.SplitN(strings.TrimPrefix(strings.TrimSpace(version), "v"), ".", 3)
	if len(parts) < 2 {
		return false
	}
	major, err1 := strconv.Atoi(parts[0])
	minor, err2 := strconv.Atoi(strings.TrimFunc(parts[1], func(r rune) bool { return r < '0' || r > '9' }))
	if err1 != nil || err2 != nil {
		return false
	}
	return major < 1 || (major == 1 && minor < 14)
}
