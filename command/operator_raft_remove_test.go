package command

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/shoenig/test/must"
)

// TestOperatorRaftRemovePeer drives remove-peer against a fake agent that knows
// one peer by address and by ID, and answers others as Nomad's leader does.
func TestOperatorRaftRemovePeer(t *testing.T) {
	f := newFakeAgent(t)
	f.handle("DELETE /v1/operator/raft/peer", func(r *http.Request) any {
		q := r.URL.Query()
		switch {
		case q.Get("address") == "10.0.0.3:4647", q.Get("id") == "10.0.0.3:4646":
			return nil
		case q.Has("address"):
			return errStatus{500, fmt.Sprintf("address %q was not found in the Raft configuration", q.Get("address"))}
		default:
			return errStatus{500, fmt.Sprintf("id %q was not found in the Raft configuration", q.Get("id"))}
		}
	})
	for _, tc := range []struct {
		name     string
		args     []string
		wantCode int
		wantOut  string
		wantErr  string
	}{
		{"by address", []string{"-peer-address=10.0.0.3:4647"}, 0, `Removed peer with address "10.0.0.3:4647"`, ""},
		{"by id", []string{"-peer-id=10.0.0.3:4646"}, 0, `Removed peer with id "10.0.0.3:4646"`, ""},
		{"unknown address", []string{"-peer-address=10.0.0.9:4647"}, 1, "",
			`Failed to remove raft peer: Unexpected response code: 500 (address "10.0.0.9:4647" was not found in the Raft configuration)`},
		{"unknown id", []string{"-peer-id=nope"}, 1, "",
			`Failed to remove raft peer: Unexpected response code: 500 (id "nope" was not found in the Raft configuration)`},
		{"neither", nil, 1, "", "Failed to remove raft peer: an address or id is required for the peer to remove"},
		{"both", []string{"-peer-address=10.0.0.3:4647", "-peer-id=x"}, 1, "",
			"Failed to remove raft peer: cannot give both an address and id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			meta, ui := testMeta(time.Now())
			cmd := &OperatorRaftRemoveCommand{Meta: meta}
			code := cmd.Run(append([]string{f.addr()}, tc.args...))
			must.Eq(t, tc.wantCode, code, must.Sprint(ui.ErrorWriter.String()))
			must.Eq(t, tc.wantOut, strings.TrimSpace(ui.OutputWriter.String()))
			must.Eq(t, tc.wantErr, strings.TrimSpace(ui.ErrorWriter.String()))
		})
	}
	// Neither nor both reach the agent.
	f.mu.Lock()
	defer f.mu.Unlock()
	must.Eq(t, 4, strings.Count(strings.Join(f.requests, "\n"), "DELETE /v1/operator/raft/peer"))
}
