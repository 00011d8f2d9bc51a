package fakeconsul

import (
	"encoding/json"
	"fmt"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/hashicorp/consul/api"
)

// Defaults the fake reports about itself.
const (
	DefaultDatacenter = "dc1"
	DefaultNodeName   = "fake-consul"
	DefaultVersion    = "1.21.4"
	DefaultGRPCPort   = 8502

	// sidecarMinPort is where Consul starts allocating sidecar ports.
	sidecarMinPort = 21000
)

// Server is a fake Consul agent. All methods are safe for concurrent use.
type Server struct {
	srv *httptest.Server

	mu       sync.Mutex
	down     bool
	aclToken string
	grpcPort int
	index    uint64
	services map[string]*api.AgentService
	checks   map[string]*api.AgentCheck
	// sidecars maps a parent service ID to the ID of the sidecar Consul
	// registered for it from Connect.SidecarService.
	sidecars map[string]string
	tokens   []string
	requests []string
}

// New starts a fake agent that is closed when the test ends.
func New(t testing.TB) *Server {
	t.Helper()
	s := &Server{
		grpcPort: DefaultGRPCPort,
		services: make(map[string]*api.AgentService),
		checks:   make(map[string]*api.AgentCheck),
		sidecars: make(map[string]string),
	}
	s.srv = httptest.NewServer(s.routes())
	t.Cleanup(s.srv.Close)
	return s
}

// Addr is the agent's HTTP address, host:port (Consul's `address` setting).
func (s *Server) Addr() string { return s.srv.Listener.Addr().String() }

// URL is the agent's HTTP URL.
func (s *Server) URL() string { return s.srv.URL }

// Services returns a copy of the registered services by ID, as
// GET /v1/agent/services reports them.
func (s *Server) Services() map[string]*api.AgentService {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]*api.AgentService, len(s.services))
	for id, svc := range s.services {
		out[id] = copyService(svc)
	}
	return out
}

// Checks returns a copy of the registered checks by ID, as
// GET /v1/agent/checks reports them.
func (s *Server) Checks() map[string]*api.AgentCheck {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.checksLocked()
}

// SetDown makes the agent unreachable (every connection is closed without an
// answer) or reachable again. State is kept, as a restarted agent with a data
// dir would.
func (s *Server) SetDown(down bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.down = down
}

// SetACLToken makes the agent refuse, with 403 "Permission denied", requests
// that do not carry token; "" disables the check.
func (s *Server) SetACLToken(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.aclToken = token
}

// SetGRPCPort sets the gRPC (xDS) port /v1/agent/self reports.
func (s *Server) SetGRPCPort(port int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.grpcPort = port
}

// Tokens returns the ACL tokens requests carried, in order, empty ones left out.
func (s *Server) Tokens() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.tokens)
}

// Requests returns "METHOD /path" of every request answered, in order.
func (s *Server) Requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// routes builds the mux of the endpoints the fake implements; other paths get
// 404 and wrong methods 405, as Consul answers.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("PUT /v1/agent/service/register", s.handleServiceRegister)
	mux.HandleFunc("PUT /v1/agent/service/deregister/{id}", s.handleServiceDeregister)
	mux.HandleFunc("GET /v1/agent/services", s.handleServices)
	mux.HandleFunc("GET /v1/agent/service/{id}", s.handleService)
	mux.HandleFunc("GET /v1/agent/checks", s.handleChecks)
	mux.HandleFunc("PUT /v1/agent/check/register", s.handleCheckRegister)
	mux.HandleFunc("PUT /v1/agent/check/deregister/{id}", s.handleCheckDeregister)
	mux.HandleFunc("PUT /v1/agent/check/update/{id}", s.handleCheckUpdate)
	mux.HandleFunc("GET /v1/agent/self", s.handleSelf)
	mux.HandleFunc("GET /v1/status/leader", s.handleLeader)
	mux.HandleFunc("GET /v1/catalog/service/{name}", s.handleCatalogService)
	mux.HandleFunc("GET /v1/health/service/{name}", s.handleHealthService)
	return s.gate(mux)
}

// gate drops connections while down, records tokens and enforces the ACL token.
func (s *Server) gate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token := requestToken(r)
		s.mu.Lock()
		down, want := s.down, s.aclToken
		if !down {
			s.requests = append(s.requests, r.Method+" "+r.URL.Path)
			if token != "" {
				s.tokens = append(s.tokens, token)
			}
		}
		s.mu.Unlock()
		if down {
			if hj, ok := w.(http.Hijacker); ok {
				if conn, _, err := hj.Hijack(); err == nil {
					_ = conn.Close()
					return
				}
			}
			http.Error(w, "agent is down", http.StatusInternalServerError)
			return
		}
		if want != "" && token != want {
			http.Error(w, "Permission denied", http.StatusForbidden)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// requestToken returns the token of r the ways Consul accepts it.
func requestToken(r *http.Request) string {
	if t := r.Header.Get("X-Consul-Token"); t != "" {
		return t
	}
	if t, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		return t
	}
	return r.URL.Query().Get("token")
}

// writeJSON answers v with Consul's index header.
func (s *Server) writeJSON(w http.ResponseWriter, v any) {
	s.mu.Lock()
	idx := s.index
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Consul-Index", fmt.Sprint(max(idx, 1)))
	w.Header().Set("X-Consul-KnownLeader", "true")
	_ = json.NewEncoder(w).Encode(v)
}

// httpError answers a Consul error: plain text with the status code.
func httpError(w http.ResponseWriter, code int, format string, args ...any) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(code)
	_, _ = fmt.Fprintf(w, format, args...)
}

func (s *Server) handleLeader(w http.ResponseWriter, r *http.Request) {
	s.writeJSON(w, net.JoinHostPort("127.0.0.1", "8300"))
}

func (s *Server) handleSelf(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	grpc := s.grpcPort
	s.mu.Unlock()
	s.writeJSON(w, map[string]any{
		"Config": map[string]any{
			"Datacenter":        DefaultDatacenter,
			"PrimaryDatacenter": DefaultDatacenter,
			"NodeName":          DefaultNodeName,
			"NodeID":            "00000000-0000-0000-0000-000000000001",
			"Server":            true,
			"Version":           DefaultVersion,
			"Revision":          "fake",
		},
		"DebugConfig": map[string]any{
			"GRPCPort":       grpc,
			"GRPCTLSPort":    -1,
			"Datacenter":     DefaultDatacenter,
			"NodeName":       DefaultNodeName,
			"ConnectEnabled": true,
		},
		"xDS": map[string]any{
			"SupportedProxies": map[string][]string{"envoy": {"1.34.1", "1.33.5", "1.32.8", "1.31.10"}},
			"Port":             grpc,
			"Ports":            map[string]int{"Plaintext": grpc, "TLS": -1},
		},
		"Member": map[string]any{"Name": DefaultNodeName, "Addr": "127.0.0.1", "Port": 8301, "Status": 1},
		"Meta":   map[string]string{"consul-network-segment": "", "consul-version": DefaultVersion},
	})
}

// copyService deep-copies what callers may mutate.
func copyService(in *api.AgentService) *api.AgentService {
	out := *in
	out.Tags = slices.Clone(in.Tags)
	out.Meta = maps.Clone(in.Meta)
	out.TaggedAddresses = maps.Clone(in.TaggedAddresses)
	if in.Proxy != nil {
		p := *in.Proxy
		p.Upstreams = slices.Clone(in.Proxy.Upstreams)
		p.Config = maps.Clone(in.Proxy.Config)
		p.Expose.Paths = slices.Clone(in.Proxy.Expose.Paths)
		out.Proxy = &p
	}
	if in.Connect != nil {
		c := *in.Connect
		out.Connect = &c
	}
	return &out
}
