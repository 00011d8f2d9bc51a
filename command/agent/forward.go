package agent

import (
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"

	"github.com/netnomad/netnomad/client/servers"
)

// forwardedHeader marks a request a follower forwarded, so it is never forwarded
// twice (two servers that each think the other leads).
const forwardedHeader = "X-Nomad-Forwarded-By"

// forwardToLeader sends requests that must run on the leader to it when this
// agent is a follower server: every write, the internal node endpoints (client
// heartbeats and allocation watches live on the leader), raft joins and peer
// removals, and reads of the public API unless they ask for ?stale (then the
// local state answers, as Nomad's). Agent-local endpoints are never forwarded.
// The leader's HTTP address is its raft ID (server_raft.go).
func (s *HTTPServer) forwardToLeader(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		srv := s.agent.server
		if srv == nil || !needsLeader(r) || srv.IsLeader() {
			next.ServeHTTP(w, r)
			return
		}
		leader := srv.LeaderID()
		if leader == "" || r.Header.Get(forwardedHeader) != "" {
			http.Error(w, "No cluster leader", http.StatusInternalServerError)
			return
		}
		target := &url.URL{Scheme: "http", Host: leader}
		proxy := &httputil.ReverseProxy{
			Rewrite: func(pr *httputil.ProxyRequest) {
				pr.SetURL(target)
				pr.Out.Header.Set(forwardedHeader, srv.Self().ID)
			},
			// Blocking queries stream nothing until they answer; flush at once.
			FlushInterval: -1,
			ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
				s.logger.Warn("failed to forward request to the leader", "leader", leader, "path", r.URL.Path, "error", err)
				http.Error(w, "failed to forward request to the leader: "+err.Error(), http.StatusBadGateway)
			},
		}
		proxy.ServeHTTP(w, r)
	})
}

// needsLeader reports whether a request must be served by the leader.
func needsLeader(r *http.Request) bool {
	p := r.URL.Path
	switch {
	case strings.HasPrefix(p, servers.PathPrefix), p == raftJoinPath:
		return true
	case p == operatorRaftPeerPath:
		// Raft membership changes only on the leader.
		return r.Method != http.MethodGet && r.Method != http.MethodHead
	case strings.HasPrefix(p, "/v1/agent/"), strings.HasPrefix(p, "/v1/client/"),
		strings.HasPrefix(p, "/v1/status/"), strings.HasPrefix(p, "/v1/internal/raft/"),
		strings.HasPrefix(p, "/v1/operator/"), p == "/v1/validate/job", p == "/v1/jobs/parse":
		return false
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return true
	}
	// Reads are consistent (the leader's) unless ?stale, as Nomad's.
	_, stale := r.URL.Query()["stale"]
	return !stale
}

func splitHostPort(addr string) (string, uint16, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, err
	}
	p, err := strconv.Atoi(port)
	return host, uint16(p), err
}
