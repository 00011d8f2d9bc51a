package config

import (
	"github.com/hashicorp/consul/api"
)

// DefaultConsulGRPCAddr is the Consul agent's gRPC (xDS) address when the
// consul block sets none.
const DefaultConsulGRPCAddr = "127.0.0.1:8502"

// ConsulConfig is the part of the agent's consul block the client uses.
type ConsulConfig struct {
	// Address is the agent's HTTP address ("host:port", or a unix:// path).
	Address string
	// GRPCAddress is the agent's gRPC address for Envoy's xDS stream
	// ("ip:port" or "unix://<path>"); DefaultConsulGRPCAddr when empty.
	GRPCAddress string
	// Token is the ACL token for registrations and for the sidecars' xDS.
	Token string
	// SSL makes the HTTP and gRPC connections use TLS with the files below.
	SSL      bool
	CAFile   string
	CertFile string
	KeyFile  string
}

// GRPCAddr returns GRPCAddress or its default.
func (c *ConsulConfig) GRPCAddr() string {
	if c == nil || c.GRPCAddress == "" {
		return DefaultConsulGRPCAddr
	}
	return c.GRPCAddress
}

// APIConfig returns a consul/api client configuration for the agent.
func (c *ConsulConfig) APIConfig() *api.Config {
	cfg := api.DefaultNonPooledConfig()
	if c == nil {
		return cfg
	}
	if c.Address != "" {
		cfg.Address = c.Address
	}
	cfg.Token = c.Token
	if c.SSL {
		cfg.Scheme = "https"
		cfg.TLSConfig = api.TLSConfig{CAFile: c.CAFile, CertFile: c.CertFile, KeyFile: c.KeyFile}
	}
	return cfg
}
