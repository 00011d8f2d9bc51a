package command

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/nomad/api"
	"github.com/shoenig/test/must"
)

// TestOperatorRaftListPeers_Stale: -stale asks for ?stale, so any server
// answers in an outage without a leader; without it the read is consistent.
func TestOperatorRaftListPeers_Stale(t *testing.T) {
	f := newFakeAgent(t)
	var mu sync.Mutex
	var staleAsked []bool
	f.handle("GET /v1/operator/raft/configuration", func(r *http.Request) any {
		mu.Lock()
		defer mu.Unlock()
		staleAsked = append(staleAsked, r.URL.Query().Has("stale"))
		return &api.RaftConfiguration{Servers: []*api.RaftServer{
			{ID: "10.0.0.1:4646", Node: "s1.global", Address: "10.0.0.1:4647", Leader: true, Voter: true, RaftProtocol: "3"},
		}}
	})
	for _, args := range [][]string{nil, {"-stale"}} {
		meta, ui := testMeta(time.Now())
		cmd := &OperatorRaftListCommand{Meta: meta}
		code := cmd.Run(append([]string{f.addr()}, args...))
		must.Zero(t, code, must.Sprint(ui.ErrorWriter.String()))
		must.StrContains(t, ui.OutputWriter.String(), "s1.global")
		must.StrContains(t, strings.TrimSpace(ui.OutputWriter.String()), "leader")
	}
	mu.Lock()
	defer mu.Unlock()
	must.Eq(t, []bool{false, true}, staleAsked)
}
