package agent

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"

	"github.com/hashicorp/go-hclog"
)

// maxForwardedBody bounds the request body a client agent buffers so that it
// can replay it to the next server (the size decodeBody accepts).
const maxForwardedBody = 64 << 20

// forwardToServers makes a client-only agent answer the whole public API as
// Nomad's clients do: every request but the agent's own (/v1/agent/...) and its
// client's (/v1/client/...: alloc logs, files, stats) goes to one of
// `client { servers = [...] }`, whose answer, headers included (X-Nomad-Index
// for blocking queries), is passed back unchanged. A server that cannot be
// reached is skipped for the next one. Agents that run a server serve (or
// forward to the leader) themselves.
func (s *HTTPServer) forwardToServers(next http.Handler) http.Handler {
	cfg := s.agent.config
	if cfg.ServerEnabled() || !cfg.ClientEnabled() {
		return next
	}
	fw := newServerForwarder(cfg.Client.Servers, s.logger.Named("forward"))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if servedByClientAgent(r.URL.Path) {
			next.ServeHTTP(w, r)
			return
		}
		fw.ServeHTTP(w, r)
	})
}

// servedByClientAgent reports whether a client-only agent answers path itself.
func servedByClientAgent(path string) bool {
	return strings.HasPrefix(path, "/v1/agent/") || strings.HasPrefix(path, "/v1/client/") ||
		strings.HasPrefix(path, debugPathPrefix)
}

// serverForwarder proxies requests to a list of servers, sticking to the one
// that answered last. Safe for concurrent use.
type serverForwarder struct {
	servers []*url.URL
	// bad lists the addresses that are not usable, reported on every request.
	bad    []error
	logger hclog.Logger

	mu      sync.Mutex
	current int
}

func newServerForwarder(addrs []string, logger hclog.Logger) *serverForwarder {
	f := &serverForwarder{logger: logger}
	for _, a := range addrs {
		raw := a
		if !strings.Contains(raw, "://") {
			raw = "http://" + raw
		}
		u, err := url.Parse(raw)
		if err != nil || u.Host == "" {
			f.bad = append(f.bad, fmt.Errorf("invalid server address %q", a))
			continue
		}
		u.Path = strings.TrimSuffix(u.Path, "/")
		f.servers = append(f.servers, u)
	}
	return f
}

// ServeHTTP tries each server once, starting with the current one, until one
// answers (with any status). Only a failure to get an answer moves on: the
// body is buffered so that it can be sent again.
func (f *serverForwarder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if len(f.servers) == 0 {
		http.Error(w, "no servers to forward the request to: "+errors.Join(f.bad...).Error(), http.StatusInternalServerError)
		return
	}
	var body []byte
	if r.Body != nil {
		var err error
		body, err = io.ReadAll(http.MaxBytesReader(w, r.Body, maxForwardedBody))
		if err != nil {
			http.Error(w, "failed to read request body: "+err.Error(), http.StatusBadRequest)
			return
		}
	}
	f.mu.Lock()
	start := f.current
	f.mu.Unlock()
	var errs []error
	for i := range f.servers {
		idx := (start + i) % len(f.servers)
		target := f.servers[idx]
		err := f.proxyOnce(w, r, target, body)
		if err == nil {
			f.mu.Lock()
			f.current = idx
			f.mu.Unlock()
			return
		}
		if r.Context().Err() != nil {
			return // the caller went away (a blocking query given up)
		}
		f.logger.Warn("failed to forward request to server", "server", target.Host, "path", r.URL.Path, "error", err)
		errs = append(errs, fmt.Errorf("%s: %w", target.Host, err))
	}
	http.Error(w, "failed to forward request to the servers: "+errors.Join(errs...).Error(), http.StatusBadGateway)
}

// proxyOnce sends the request to one server. It returns the transport error
// when no answer came, in which case nothing was written to w.
func (f *serverForwarder) proxyOnce(w http.ResponseWriter, r *http.Request, target *url.URL, body []byte) error {
	var failed error
	proxy := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			pr.Out.Host = target.Host
		},
		// Blocking queries send nothing until they answer; flush at once.
		FlushInterval: -1,
		// Called before anything is written: keep w clean for the next server.
		ErrorHandler: func(_ http.ResponseWriter, _ *http.Request, err error) { failed = err },
	}
	out := r.Clone(r.Context())
	out.Body, out.ContentLength = http.NoBody, 0
	if len(body) > 0 {
		out.Body, out.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
	}
	proxy.ServeHTTP(w, out)
	return failed
}
