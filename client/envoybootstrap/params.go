// Package envoybootstrap generates the bootstrap configuration an Envoy
// Connect sidecar starts with (`envoy -c secrets/envoy_bootstrap.json`).
//
// It produces what `consul connect envoy -bootstrap` would for a sidecar proxy,
// without needing a consul binary on the client: the node identity Consul's
// xDS server keys on, the admin listener, a static cluster reaching the local
// Consul agent's gRPC port, and ADS for listeners and clusters. The result is
// built as typed go-control-plane protos, rendered with protojson and checked
// against Envoy's own schema (protoc-gen-validate rules) before it is handed
// out, so a bootstrap Envoy would refuse never reaches a task.
//
// The package is a pure library: it does no I/O except TLSFromFiles.
package envoybootstrap

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"unicode/utf8"
)

const (
	// FileName is the name of the bootstrap file in the sidecar task's
	// secrets directory (it may carry an ACL token and a TLS key).
	FileName = "envoy_bootstrap.json"

	// DefaultGRPCSocketPath is the per-allocation unix socket, relative to the
	// task's working directory, that the alloc runner proxies to the Consul
	// agent's gRPC address.
	DefaultGRPCSocketPath = "alloc/tmp/consul_grpc.sock"

	// DefaultAdminAddr is the address Envoy's admin API binds to inside the
	// allocation's network namespace (Nomad 1.1.3+; avoids clashing with
	// application listeners on 127.0.0.1).
	DefaultAdminAddr = "127.0.0.2"

	// DefaultReadyAddr is the address of the optional readiness listener.
	DefaultReadyAddr = "127.0.0.1"

	// DefaultNamespace is the Consul namespace used when none is given.
	DefaultNamespace = "default"

	// LocalAgentCluster is the name of the static cluster that reaches the
	// local Consul agent's xDS gRPC service.
	LocalAgentCluster = "local_agent"

	adminPortBase = 19000
	readyPortBase = 19100
)

// AdminPortFor returns the Envoy admin port of the sidecar task at position
// index in its task group: 19000+index. Because task indexes are unique in a
// group, two sidecars of one group (sharing one network namespace) never bind
// the same admin port (Nomad GH-6816).
func AdminPortFor(index int) int { return adminPortBase + index }

// ReadyPortFor returns the readiness listener port of the sidecar task at
// position index in its group: 19100+index, unique per sidecar like
// AdminPortFor.
func ReadyPortFor(index int) int { return readyPortBase + index }

// Params describes one sidecar proxy. Exactly one of GRPCSocketPath and
// GRPCAddr must be set.
type Params struct {
	// ProxyID is the ID of the sidecar proxy service as registered in Consul
	// (`<parent service ID>-sidecar-proxy`). Envoy presents it as node.id and
	// Consul's xDS server uses it to pick the configuration. Required.
	ProxyID string

	// ServiceName is the name of the parent (destination) service; it becomes
	// node.cluster and the source-service stats tags. Required.
	ServiceName string

	// Namespace is the Consul namespace; DefaultNamespace when empty.
	Namespace string

	// Datacenter is the Consul datacenter, emitted as a stats tag when set.
	Datacenter string

	// NodeName is the Nomad client's node name, emitted as node metadata when
	// set (informational only).
	NodeName string

	// EnvoyVersion is emitted as node metadata `envoy_version` when set.
	EnvoyVersion string

	// AdminAddr is the IP the admin API binds to; DefaultAdminAddr when empty.
	AdminAddr string

	// AdminPort is the admin API port; use AdminPortFor. Required.
	AdminPort int

	// ReadyAddr and ReadyPort configure an HTTP listener answering `/ready`
	// from the admin API (for health checks that cannot reach 127.0.0.2).
	// ReadyPort 0 means no readiness listener; ReadyAddr defaults to
	// DefaultReadyAddr.
	ReadyAddr string
	ReadyPort int

	// GRPCSocketPath is the unix socket path (as Envoy sees it) of the Consul
	// agent's gRPC service, normally DefaultGRPCSocketPath. A "unix://"
	// prefix is accepted and stripped.
	GRPCSocketPath string

	// GRPCAddr is the "ip:port" of the Consul agent's gRPC service, used
	// instead of GRPCSocketPath (host-mode sidecars). The host must be an IP
	// literal: the cluster is STATIC.
	GRPCAddr string

	// Token is the Consul ACL token sent as x-consul-token on the xDS stream.
	// Optional.
	Token string

	// TLS, when set, makes Envoy speak TLS to the Consul agent's gRPC port.
	TLS *TLSParams
}

// TLSParams carries the TLS material for the connection to the Consul agent.
// The PEM data is inlined into the bootstrap (as Consul does) because the
// sidecar usually runs in a container that cannot see the host's files; the
// bootstrap must therefore be written to the task's secrets directory.
type TLSParams struct {
	// CAPEM is the CA bundle that verifies the agent. Required.
	CAPEM string
	// CertPEM and KeyPEM are the optional client certificate and key; both
	// or neither.
	CertPEM string
	KeyPEM  string
	// ServerName is the SNI and name to verify; optional.
	ServerName string
}

// TLSFromFiles reads the CA (required) and the optional client certificate
// and key files named by the agent's consul block into a TLSParams.
func TLSFromFiles(caFile, certFile, keyFile, serverName string) (*TLSParams, error) {
	read := func(path string) (string, error) {
		if path == "" {
			return "", nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return "", fmt.Errorf("failed to read %q: %w", path, err)
		}
		return string(b), nil
	}
	if caFile == "" {
		return nil, errors.New("ca_file is required for TLS to the Consul gRPC port")
	}
	t := &TLSParams{ServerName: serverName}
	var err error
	if t.CAPEM, err = read(caFile); err != nil {
		return nil, err
	}
	if t.CertPEM, err = read(certFile); err != nil {
		return nil, err
	}
	if t.KeyPEM, err = read(keyFile); err != nil {
		return nil, err
	}
	return t, nil
}

// validate reports every problem with p at once.
func (p *Params) validate() error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	if p.ProxyID == "" {
		add("proxy ID is required")
	}
	if p.ServiceName == "" {
		add("service name is required")
	}
	for _, f := range []struct{ name, value string }{
		{"proxy ID", p.ProxyID}, {"service name", p.ServiceName}, {"namespace", p.Namespace},
		{"datacenter", p.Datacenter}, {"node name", p.NodeName}, {"envoy version", p.EnvoyVersion},
		{"token", p.Token}, {"consul gRPC socket path", p.GRPCSocketPath},
	} {
		if !utf8.ValidString(f.value) {
			add("%s %q is not valid UTF-8", f.name, f.value)
		}
	}
	if p.AdminAddr != "" && net.ParseIP(p.AdminAddr) == nil {
		add("admin address %q is not an IP address", p.AdminAddr)
	}
	if !validPort(p.AdminPort) {
		add("admin port %d is out of range 1-65535", p.AdminPort)
	}
	if p.ReadyAddr != "" && net.ParseIP(p.ReadyAddr) == nil {
		add("ready address %q is not an IP address", p.ReadyAddr)
	}
	if p.ReadyPort != 0 && !validPort(p.ReadyPort) {
		add("ready port %d is out of range 1-65535", p.ReadyPort)
	}
	if p.ReadyPort != 0 && p.ReadyPort == p.AdminPort && p.readyAddr() == p.adminAddr() {
		add("ready listener %s:%d collides with the admin listener", p.readyAddr(), p.ReadyPort)
	}

	switch {
	case p.GRPCSocketPath == "" && p.GRPCAddr == "":
		add("one of the Consul gRPC socket path and address is required")
	case p.GRPCSocketPath != "" && p.GRPCAddr != "":
		add("only one of the Consul gRPC socket path %q and address %q may be set", p.GRPCSocketPath, p.GRPCAddr)
	case p.GRPCSocketPath != "":
		if p.socketPath() == "" {
			add("consul gRPC socket path %q is empty", p.GRPCSocketPath)
		}
	default:
		if _, _, err := splitHostPort(p.GRPCAddr); err != nil {
			errs = append(errs, err)
		}
	}

	if t := p.TLS; t != nil {
		if t.CAPEM == "" {
			add("TLS to the Consul gRPC port requires a CA certificate")
		}
		if (t.CertPEM == "") != (t.KeyPEM == "") {
			add("TLS client certificate and key must be given together")
		}
		if !utf8.ValidString(t.CAPEM) || !utf8.ValidString(t.CertPEM) || !utf8.ValidString(t.KeyPEM) || !utf8.ValidString(t.ServerName) {
			add("TLS material must be PEM text")
		}
	}
	return errors.Join(errs...)
}

func (p *Params) namespace() string {
	if p.Namespace == "" {
		return DefaultNamespace
	}
	return p.Namespace
}

func (p *Params) adminAddr() string {
	if p.AdminAddr == "" {
		return DefaultAdminAddr
	}
	return p.AdminAddr
}

func (p *Params) readyAddr() string {
	if p.ReadyAddr == "" {
		return DefaultReadyAddr
	}
	return p.ReadyAddr
}

func (p *Params) socketPath() string {
	return strings.TrimPrefix(p.GRPCSocketPath, "unix://")
}

func validPort(port int) bool { return port > 0 && port <= 65535 }

// splitHostPort parses an "ip:port" Consul gRPC address.
func splitHostPort(addr string) (string, uint32, error) {
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, fmt.Errorf("invalid consul gRPC address %q: %w", addr, err)
	}
	if net.ParseIP(host) == nil {
		return "", 0, fmt.Errorf("invalid consul gRPC address %q: host %q is not an IP address", addr, host)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil || !validPort(port) {
		return "", 0, fmt.Errorf("invalid consul gRPC address %q: port %q is not in range 1-65535", addr, portStr)
	}
	return host, uint32(port), nil
}
