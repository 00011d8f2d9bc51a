package command

import (
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hashicorp/nomad/api"
	"github.com/shoenig/test/must"
)

// serveMembers answers as a three-server netnomad cluster does: the serf
// address in Addr/Port, the raft address in the rpc_addr and port tags.
func serveMembers(f *fakeAgent) {
	member := func(name, ip, status string) *api.AgentMember {
		return &api.AgentMember{Name: name + ".global", Addr: ip, Port: 4648, Status: status,
			ProtocolMin: 1, ProtocolMax: 5, ProtocolCur: 2,
			Tags: map[string]string{"role": "nomad", "region": "global", "dc": "dc1", "build": "0.10.0",
				"vsn": "1", "mvn": "1", "raft_vsn": "3", "expect": "3", "id": ip + ":4646",
				"rpc_addr": ip, "port": "4647"}}
	}
	f.handle("GET /v1/agent/members", func(*http.Request) any {
		return &api.ServerMembers{ServerName: "s2", ServerRegion: "global", ServerDC: "dc1",
			Members: []*api.AgentMember{
				member("s2", "10.0.0.2", "alive"), member("s1", "10.0.0.1", "alive"), member("s3", "10.0.0.3", "failed"),
			}}
	})
	f.handle("GET /v1/status/leader", func(*http.Request) any { return "10.0.0.2:4647" })
}

func TestServerMembers(t *testing.T) {
	for _, tc := range []struct {
		name   string
		args   []string
		golden string
	}{
		{"serf port, leader by raft address", nil, "server_members.golden"},
		{"detailed shows the raft address in the tags", []string{"-detailed"}, "server_members_detailed.golden"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeAgent(t)
			serveMembers(f)
			meta, ui := testMeta(time.Now())
			cmd := &ServerMembersCommand{Meta: meta}
			must.Eq(t, 0, cmd.Run(append([]string{f.addr()}, tc.args...)), must.Sprint(ui.ErrorWriter.String()))
			want, err := os.ReadFile(filepath.Join("testdata", tc.golden))
			must.NoError(t, err)
			must.Eq(t, string(want), ui.OutputWriter.String())
		})
	}
}
