package servers

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shoenig/test/must"

	"github.com/netnomad/netnomad/nomad/structs"
)

// fakeServer answers heartbeats with a TTL after failing the first `fail`
// requests with `failCode`; it counts requests and records the last secret.
type fakeServer struct {
	fail     int32
	failCode int
	calls    atomic.Int32
	secret   atomic.Value
}

func (f *fakeServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := f.calls.Add(1)
	f.secret.Store(r.Header.Get(NodeSecretHeader))
	if n <= f.fail {
		http.Error(w, "boom", f.failCode)
		return
	}
	switch {
	case strings.HasSuffix(r.URL.Path, "/heartbeat"):
		json.NewEncoder(w).Encode(HeartbeatResponse{HeartbeatTTL: 7 * time.Second})
	case strings.HasSuffix(r.URL.Path, "/allocations") && r.Method == http.MethodGet:
		// A blocking query that never changes: hold until the client gives up.
		<-r.Context().Done()
	default:
		w.Header().Set(IndexHeader, "42")
		w.Write([]byte("{}"))
	}
}

func newTestClient(t *testing.T, addrs ...string) *Client {
	t.Helper()
	c, err := New(Config{Servers: addrs, RetryMin: time.Millisecond, RetryMax: 5 * time.Millisecond})
	must.NoError(t, err)
	return c
}

func TestClient_RetriesAndFailover(t *testing.T) {
	cases := []struct {
		name      string
		fail      int32
		code      int
		wantErr   error
		wantCalls int32
	}{
		{"server error is retried", 2, http.StatusInternalServerError, nil, 3},
		{"not found is final", 1, http.StatusNotFound, structs.ErrNotFound, 1},
		{"forbidden is final", 1, http.StatusForbidden, ErrPermissionDenied, 1},
		{"gives up after the attempts", 100, http.StatusServiceUnavailable, nil, DefaultAttempts},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeServer{fail: tc.fail, failCode: tc.code}
			ts := httptest.NewServer(f)
			t.Cleanup(ts.Close)
			c := newTestClient(t, ts.URL)
			c.SetSecret("n1", "s3cret")
			ttl, err := c.Heartbeat(context.Background(), "n1")
			switch {
			case tc.wantErr != nil:
				must.ErrorIs(t, err, tc.wantErr)
			case tc.fail >= 100:
				must.ErrorContains(t, err, "503")
			default:
				must.NoError(t, err)
				must.Eq(t, 7*time.Second, ttl)
			}
			must.Eq(t, tc.wantCalls, f.calls.Load())
			must.Eq(t, "s3cret", f.secret.Load().(string))
		})
	}
}

// TestClient_MovesToNextServer: a dead first server is skipped and the live one
// is remembered for later calls.
func TestClient_MovesToNextServer(t *testing.T) {
	dead := httptest.NewServer(http.NotFoundHandler())
	deadAddr := dead.Listener.Addr().String()
	dead.Close()
	f := &fakeServer{}
	live := httptest.NewServer(f)
	t.Cleanup(live.Close)
	c := newTestClient(t, deadAddr, live.Listener.Addr().String())

	for range 3 {
		_, err := c.Heartbeat(context.Background(), "n1")
		must.NoError(t, err)
	}
	must.Eq(t, 3, f.calls.Load())
	must.Eq(t, 1, c.current)

	node := &structs.Node{ID: "n1", SecretID: "from-register"}
	must.NoError(t, c.RegisterNode(context.Background(), node))
	must.Eq(t, "from-register", f.secret.Load().(string))
}

// TestClient_GetAllocsRespectsContext: a long poll ends when the caller's context does.
func TestClient_GetAllocsRespectsContext(t *testing.T) {
	ts := httptest.NewServer(&fakeServer{})
	t.Cleanup(ts.Close)
	c := newTestClient(t, ts.URL)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, _, err := c.GetAllocs(ctx, "n1", 5)
	must.ErrorIs(t, err, context.DeadlineExceeded)
	must.Less(t, 5*time.Second, time.Since(start))
}

func TestNew_Validates(t *testing.T) {
	_, err := New(Config{})
	must.ErrorContains(t, err, "no servers")
	_, err = New(Config{Servers: []string{"http://"}})
	must.ErrorContains(t, err, "invalid server address")
}

// TestParseServer_DefaultPort: a server given as a bare host is reached on the
// HTTP port 4646, not on port 80; a URL is used as written.
func TestParseServer_DefaultPort(t *testing.T) {
	cases := []struct {
		name, in, want string
	}{
		{"host", "10.0.0.1", "http://10.0.0.1:4646"},
		{"name", "nomad-1.example", "http://nomad-1.example:4646"},
		{"ipv6", "[fd00::1]", "http://[fd00::1]:4646"},
		{"host and port", "10.0.0.1:5646", "http://10.0.0.1:5646"},
		{"url with port", "http://10.0.0.1:5646/", "http://10.0.0.1:5646"},
		{"url without port", "https://nomad.example", "https://nomad.example"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			u, err := parseServer(tc.in)
			must.NoError(t, err)
			must.Eq(t, tc.want, u.String())
		})
	}
}
