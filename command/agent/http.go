package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/netnomad/netnomad/client/servers"
	"github.com/netnomad/netnomad/nomad/structs"
)

// Blocking query limits, as Nomad's: the default and the maximum wait are five
// minutes, plus up to wait/16 of jitter so that many watchers don't wake together.
const (
	defaultBlockingWait = 5 * time.Minute
	maxBlockingWait     = 10 * time.Minute
)

// handlerFunc returns the object to encode as JSON, or an error mapped to an HTTP
// status by errorStatus. Returning (nil, nil) means the handler wrote the response.
type handlerFunc func(w http.ResponseWriter, r *http.Request) (any, error)

// HTTPServer serves Nomad's HTTP API for one agent.
type HTTPServer struct {
	agent    *Agent
	logger   hclog.Logger
	listener net.Listener
	server   *http.Server
	mux      *http.ServeMux

	// nodeSecrets binds client nodes to their SecretID (internal node endpoints).
	nodeSecrets nodeSecrets
}

// NewHTTPServer listens on addr and serves the agent's API until Shutdown.
func NewHTTPServer(agent *Agent, addr string) (*HTTPServer, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("failed to start HTTP listener on %q: %w", addr, err)
	}
	s := &HTTPServer{
		agent:    agent,
		logger:   agent.logger.Named("http"),
		listener: ln,
		mux:      http.NewServeMux(),
	}
	s.registerHandlers()
	// A client-only agent sends server endpoints to its servers; a follower
	// server sends what needs the leader to it.
	s.server = &http.Server{Handler: s.forwardToServers(s.forwardToLeader(s.mux)), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := s.server.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.logger.Error("http server failed", "error", err)
		}
	}()
	return s, nil
}

// Addr is the address the server listens on (useful with port 0).
func (s *HTTPServer) Addr() string { return s.listener.Addr().String() }

// Shutdown stops accepting requests and closes open streams.
func (s *HTTPServer) Shutdown() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := s.server.Shutdown(ctx); err != nil {
		s.server.Close()
	}
}

func (s *HTTPServer) registerHandlers() {
	s.handle("/v1/jobs", s.jobsRequest)
	s.handle("/v1/jobs/parse", s.jobsParseRequest)
	s.handle("/v1/job/", s.jobSpecificRequest)
	s.handle("/v1/validate/job", s.validateJobRequest)

	s.handle("/v1/allocations", s.allocsRequest)
	s.handle("/v1/allocation/", s.allocSpecificRequest)
	s.handle("/v1/evaluations", s.evalsRequest)
	s.handle("/v1/evaluation/", s.evalSpecificRequest)
	s.handle("/v1/nodes", s.nodesRequest)
	s.handle("/v1/node/", s.nodeSpecificRequest)

	s.handle("/v1/client/fs/logs/", s.logsRequest)
	s.handle("/v1/client/allocation/", s.clientAllocRequest)

	s.handle("/v1/agent/self", s.agentSelfRequest)
	s.handle("/v1/agent/health", s.agentHealthRequest)
	s.handle("/v1/agent/members", s.agentMembersRequest)
	s.handle("/v1/status/leader", s.statusLeaderRequest)
	s.handle("/v1/status/peers", s.statusPeersRequest)
	s.handle("/v1/regions", s.regionsRequest)
	s.handle(raftSelfPath, s.raftSelfRequest)
	s.handle(raftJoinPath, s.raftJoinRequest)
	s.handle("/v1/operator/raft/configuration", s.operatorRaftConfigurationRequest)
	s.handle(operatorRaftPeerPath, s.operatorRaftPeerRequest)

	s.handle(servers.PathPrefix, s.internalNodeRequest)
	s.registerDebugHandlers()
}

func (s *HTTPServer) handle(pattern string, h handlerFunc) {
	s.mux.HandleFunc(pattern, s.wrap(h))
}

// wrap is the one place that turns handler results into responses: JSON bodies,
// the headers every nomad/api call requires, and errors as status + plain text.
func (s *HTTPServer) wrap(h handlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		defer func() {
			if p := recover(); p != nil {
				s.logger.Error("http handler panicked", "method", r.Method, "path", r.URL.Path, "panic", p)
				http.Error(w, "internal error", http.StatusInternalServerError)
			}
		}()
		w.Header().Set("X-Nomad-KnownLeader", "true")
		w.Header().Set("X-Nomad-LastContact", "0")
		if w.Header().Get("X-Nomad-Index") == "" {
			setIndex(w, 1)
		}
		obj, err := h(w, r)
		if err != nil {
			code := errorStatus(err)
			if code >= 500 {
				s.logger.Error("request failed", "method", r.Method, "path", r.URL.Path, "error", err, "code", code)
			} else {
				s.logger.Debug("request failed", "method", r.Method, "path", r.URL.Path, "error", err, "code", code)
			}
			http.Error(w, err.Error(), code)
			return
		}
		s.logger.Trace("request complete", "method", r.Method, "path", r.URL.Path, "duration", time.Since(start))
		if obj == nil {
			return
		}
		w.Header().Set("Content-Type", "application/json")
		enc := json.NewEncoder(w)
		if _, ok := r.URL.Query()["pretty"]; ok {
			enc.SetIndent("", "    ")
		}
		if err := enc.Encode(obj); err != nil {
			s.logger.Debug("failed to encode response", "error", err)
		}
	}
}

// errorStatus maps an error to its HTTP status.
func errorStatus(err error) int {
	var coded *structs.CodedError
	switch {
	case errors.As(err, &coded):
		return coded.Code
	case errors.Is(err, structs.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, errMethodNotAllowed):
		return http.StatusMethodNotAllowed
	}
	return http.StatusInternalServerError
}

var errMethodNotAllowed = errors.New("Invalid method")

func badRequest(format string, args ...any) error {
	return structs.NewCodedError(http.StatusBadRequest, format, args...)
}

func notFound(format string, args ...any) error {
	return fmt.Errorf(format+": %w", append(args, structs.ErrNotFound)...)
}

func setIndex(w http.ResponseWriter, index uint64) {
	if index == 0 {
		index = 1
	}
	w.Header().Set("X-Nomad-Index", strconv.FormatUint(index, 10))
}

// decodeBody reads a JSON request body into out.
func decodeBody(r *http.Request, out any) error {
	if r.Body == nil {
		return badRequest("Request body is empty")
	}
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, 64<<20))
	if err := dec.Decode(out); err != nil {
		return badRequest("Failed to decode request body: %v", err)
	}
	return nil
}

// blockingOptions are a query's ?index= and ?wait=.
type blockingOptions struct {
	minIndex uint64
	wait     time.Duration
}

func parseBlocking(r *http.Request) (blockingOptions, error) {
	q := r.URL.Query()
	var o blockingOptions
	if v := q.Get("index"); v != "" {
		idx, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return o, badRequest("Invalid index: %v", err)
		}
		o.minIndex = idx
	}
	o.wait = defaultBlockingWait
	if v := q.Get("wait"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			return o, badRequest("Invalid wait time: %v", err)
		}
		o.wait = min(d, maxBlockingWait)
	}
	if o.minIndex > 0 {
		o.wait += rand.N(o.wait/16 + 1)
	}
	return o, nil
}

// blockingContext returns a context that ends when the client goes away or the
// blocking wait is over.
func (o blockingOptions) context(r *http.Request) (context.Context, context.CancelFunc) {
	if o.minIndex == 0 {
		return context.WithCancel(r.Context())
	}
	return context.WithTimeout(r.Context(), o.wait)
}

// pathParts splits what follows prefix in the URL path into its segments.
func pathParts(r *http.Request, prefix string) []string {
	rest := strings.Trim(strings.TrimPrefix(r.URL.Path, prefix), "/")
	if rest == "" {
		return nil
	}
	return strings.Split(rest, "/")
}

// namespaceOf returns the request's namespace (?namespace=), default "default".
func namespaceOf(r *http.Request) string {
	if ns := r.URL.Query().Get("namespace"); ns != "" {
		return ns
	}
	return structs.DefaultNamespace
}
