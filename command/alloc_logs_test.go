package command

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"sync"
	"testing"

	"github.com/hashicorp/nomad/api"
	"github.com/shoenig/test/must"
)

// serveLogs answers /v1/client/fs/logs with data split into two frames and a
// heartbeat, and records the query of the last request.
func serveLogs(f *fakeAgent, stdout, stderr string) func() url.Values {
	var mu sync.Mutex
	var last url.Values
	f.mux.HandleFunc("GET /v1/client/fs/logs/{id}", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		last = r.URL.Query()
		mu.Unlock()
		data := stdout
		if r.URL.Query().Get("type") == "stderr" {
			data = stderr
		}
		enc := json.NewEncoder(w)
		half := len(data) / 2
		_ = enc.Encode(api.StreamFrame{Data: []byte(data[:half]), File: "alloc/logs/web.stdout.0", Offset: int64(half)})
		_ = enc.Encode(api.StreamFrame{}) // heartbeat
		_ = enc.Encode(api.StreamFrame{Data: []byte(data[half:]), File: "alloc/logs/web.stdout.0", Offset: int64(len(data))})
	})
	return func() url.Values {
		mu.Lock()
		defer mu.Unlock()
		return last
	}
}

func singleTaskAlloc() *api.Allocation {
	a := countdashAlloc()
	a.Job.TaskGroups[0].Tasks = []*api.Task{{Name: "web"}}
	return a
}

func TestAllocLogs(t *testing.T) {
	const stdout = "line 1\nline 2\nline 3\nline 4\n"
	const stderr = "oops 1\noops 2\noops 3\n"
	cases := []struct {
		name      string
		alloc     *api.Allocation
		args      []string
		wantOut   string
		wantQuery map[string]string
	}{
		{
			name: "the only task is the default", alloc: singleTaskAlloc(), args: []string{"a1a1a1a1"},
			wantOut:   stdout,
			wantQuery: map[string]string{"task": "web", "type": "stdout", "origin": "start", "offset": "0", "follow": "false"},
		},
		{
			name: "stderr tail of two lines", alloc: countdashAlloc(), args: []string{"-stderr", "-tail", "-n", "2", "a1a1a1a1", "web"},
			wantOut:   "oops 2\noops 3\n",
			wantQuery: map[string]string{"task": "web", "type": "stderr", "origin": "end", "offset": "240"},
		},
		{
			name: "tail by bytes", alloc: countdashAlloc(), args: []string{"-tail", "-c", "7", "a1a1a1a1", "connect-proxy-count-api"},
			wantOut:   stdout,
			wantQuery: map[string]string{"task": "connect-proxy-count-api", "origin": "end", "offset": "7"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeAgent(t)
			serveAlloc(f, tc.alloc)
			query := serveLogs(f, stdout, stderr)
			meta, ui := testMeta(testNow)
			var out bytes.Buffer
			cmd := &AllocLogsCommand{Meta: meta, Stdout: &out}
			must.Eq(t, 0, cmd.Run(append([]string{f.addr()}, tc.args...)))
			must.Eq(t, "", ui.ErrorWriter.String())
			must.Eq(t, tc.wantOut, out.String())
			q := query()
			for k, v := range tc.wantQuery {
				must.Eq(t, v, q.Get(k), must.Sprintf("query parameter %q", k))
			}
		})
	}
}

func TestAllocLogs_TaskErrors(t *testing.T) {
	cases := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{
			name: "several tasks need a name", args: []string{"a1a1a1a1"},
			wantErr: "Allocation \"a1a1a1a1\" is running the following tasks:\n  * web\n  * connect-proxy-count-api\n\nPlease specify the task.\n",
		},
		{
			name: "unknown task", args: []string{"a1a1a1a1", "nope"},
			wantErr: "Could not find task named: nope, found:\nweb\nconnect-proxy-count-api\n",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeAgent(t)
			serveAlloc(f, countdashAlloc())
			meta, ui := testMeta(testNow)
			var out bytes.Buffer
			cmd := &AllocLogsCommand{Meta: meta, Stdout: &out}
			must.Eq(t, 1, cmd.Run(append([]string{f.addr()}, tc.args...)))
			must.Eq(t, tc.wantErr, ui.ErrorWriter.String())
			must.Eq(t, "", out.String())
		})
	}
}

func TestLastLines(t *testing.T) {
	cases := []struct {
		in   string
		n    int64
		want string
	}{
		{"a\nb\nc\n", 2, "b\nc\n"},
		{"a\nb\nc", 2, "b\nc"},
		{"a\nb\n", 5, "a\nb\n"},
		{"a\nb\n", 0, ""},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			must.Eq(t, tc.want, string(lastLines([]byte(tc.in), tc.n)))
		})
	}
}
