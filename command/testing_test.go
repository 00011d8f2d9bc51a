package command

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/cli"
	"github.com/hashicorp/nomad/api"
)

// fakeAgent is an httptest server that answers the few endpoints a test needs,
// with the headers the api client insists on, and records every request.
type fakeAgent struct {
	srv *httptest.Server
	mux *http.ServeMux

	mu       sync.Mutex
	requests []string
	bodies   map[string][]byte
}

func newFakeAgent(t *testing.T) *fakeAgent {
	t.Helper()
	f := &fakeAgent{mux: http.NewServeMux(), bodies: map[string][]byte{}}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.requests = append(f.requests, r.Method+" "+r.URL.Path)
		f.mu.Unlock()
		f.mux.ServeHTTP(w, r)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

// handle registers fn for pattern ("GET /v1/job/{id}"); fn returns the value to
// encode as JSON, or an error response via errStatus.
func (f *fakeAgent) handle(pattern string, fn func(r *http.Request) any) {
	f.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.bodies[r.Method+" "+r.URL.Path] = body
		f.mu.Unlock()

		v := fn(r)
		if e, ok := v.(errStatus); ok {
			w.Header().Set("X-Nomad-Index", "1")
			w.WriteHeader(e.code)
			_, _ = w.Write([]byte(e.msg))
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Nomad-Index", "10")
		w.Header().Set("X-Nomad-LastContact", "0")
		w.Header().Set("X-Nomad-KnownLeader", "true")
		_ = json.NewEncoder(w).Encode(v)
	})
}

// body returns the last request body seen for "METHOD path".
func (f *fakeAgent) body(key string) []byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.bodies[key]
}

func (f *fakeAgent) addr() string { return "-address=" + f.srv.URL }

// errStatus makes a handler answer with a plain-text error.
type errStatus struct {
	code int
	msg  string
}

// testMeta returns a Meta writing to a MockUi, with the clock pinned to now.
func testMeta(now time.Time) (Meta, *cli.MockUi) {
	ui := cli.NewMockUi()
	return Meta{Ui: ui, Now: func() time.Time { return now }}, ui
}

// fixedParser returns a JobParser that ignores the file and returns job.
func fixedParser(job *api.Job) JobParser {
	return func(string, bool, []string) (*api.Job, error) { return job, nil }
}

func ptr[T any](v T) *T { return &v }

const (
	evalID  = "e1e1e1e1-1111-2222-3333-444444444444"
	allocID = "a1a1a1a1-1111-2222-3333-444444444444"
	nodeID  = "n1n1n1n1-1111-2222-3333-444444444444"
	blocked = "b1b1b1b1-1111-2222-3333-444444444444"
)

// stringReader feeds answers to Ui.Ask.
func stringReader(s string) io.Reader { return strings.NewReader(s) }
