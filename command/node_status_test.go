package command

import (
	"net/http"
	"testing"
	"time"

	"github.com/hashicorp/nomad/api"
	"github.com/shoenig/test/must"
)

const node2ID = "n2n2n2n2-1111-2222-3333-444444444444"

func serveNodes(f *fakeAgent) {
	f.handle("GET /v1/nodes", func(r *http.Request) any {
		all := []*api.NodeListStub{
			{ID: nodeID, Datacenter: "dc1", Name: "node1", Address: "10.0.2.15", Version: "0.10.0",
				SchedulingEligibility: "eligible", Status: "ready"},
			{ID: node2ID, Datacenter: "dc2", Name: "node2", NodeClass: "edge", Address: "10.0.2.16", Version: "0.10.0",
				Drain: true, SchedulingEligibility: "ineligible", Status: "down"},
		}
		p := r.URL.Query().Get("prefix")
		var out []*api.NodeListStub
		for _, n := range all {
			if len(p) <= len(n.ID) && n.ID[:len(p)] == p {
				out = append(out, n)
			}
		}
		return out
	})
	f.handle("GET /v1/node/{id}", func(*http.Request) any {
		return &api.Node{ID: nodeID, Datacenter: "dc1", Name: "node1", SchedulingEligibility: "eligible", Status: "ready",
			Attributes: map[string]string{"kernel.name": "linux", "driver.raw_exec": "1"},
			Meta:       map[string]string{"connect.log_level": "info"},
			Drivers: map[string]*api.DriverInfo{
				"raw_exec": {Detected: true, Healthy: true, HealthDescription: "Healthy"},
				"docker":   {Detected: true, Healthy: false, HealthDescription: "no daemon"},
				"exec":     {Detected: false},
			},
			Events: []*api.NodeEvent{
				{Message: "Node registered", Subsystem: "Cluster", Timestamp: testNow.Add(-time.Hour)},
				{Message: "Node heartbeat missed", Subsystem: "Cluster", Timestamp: testNow.Add(-time.Minute)},
			},
		}
	})
	f.handle("GET /v1/node/{id}/allocations", func(*http.Request) any {
		return []*api.Allocation{{ID: allocID, EvalID: evalID, NodeID: nodeID, TaskGroup: "api",
			Job: &api.Job{Version: ptr(uint64(1))}, DesiredStatus: "run", ClientStatus: "running",
			CreateTime: testNow.Add(-2 * time.Hour).UnixNano(), ModifyTime: testNow.Add(-time.Hour).UnixNano()}}
	})
}

func TestNodeStatus(t *testing.T) {
	cases := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  string
		wantErr  string
	}{
		{
			name: "list",
			wantOut: `ID        DC   Name   Class   Drain  Eligibility  Status
n1n1n1n1  dc1  node1  <none>  false  eligible     ready
n2n2n2n2  dc2  node2  edge    true   ineligible   down
`,
		},
		{
			name: "verbose list",
			args: []string{"-verbose"},
			wantOut: `ID                                    DC   Name   Class   Address    Version  Drain  Eligibility  Status
n1n1n1n1-1111-2222-3333-444444444444  dc1  node1  <none>  10.0.2.15  0.10.0   false  eligible     ready
n2n2n2n2-1111-2222-3333-444444444444  dc2  node2  edge    10.0.2.16  0.10.0   true   ineligible   down
`,
		},
		{
			name: "one node",
			args: []string{"n1n1"},
			wantOut: `ID            = n1n1n1n1
Name          = node1
Class         = <none>
DC            = dc1
Drain         = false
Eligibility   = eligible
Status        = ready
Driver Status = docker (unhealthy),raw_exec

Node Events
Time                  Subsystem  Message
2026-11-25T11:59:00Z  Cluster    Node heartbeat missed
2026-11-25T11:00:00Z  Cluster    Node registered

Allocations
ID        Node ID   Task Group  Version  Desired  Status   Created  Modified
a1a1a1a1  n1n1n1n1  api         1        run      running  2h ago   1h ago
`,
		},
		{
			name: "one node verbose shows attributes",
			args: []string{"-verbose", "n1n1"},
			wantOut: `ID          = n1n1n1n1-1111-2222-3333-444444444444
Name        = node1
Class       = <none>
DC          = dc1
Drain       = false
Eligibility = eligible
Status      = ready

Node Events
Time                  Subsystem  Message                Details
2026-11-25T11:59:00Z  Cluster    Node heartbeat missed  <none>
2026-11-25T11:00:00Z  Cluster    Node registered        <none>

Drivers
Driver    Detected  Healthy  Message    Time
docker    true      false    no daemon  <none>
exec      false     false    <none>     <none>
raw_exec  true      true     Healthy    <none>

Attributes
driver.raw_exec = 1
kernel.name     = linux

Meta
connect.log_level = info

Allocations
ID                                    Eval ID                               Node ID                               Task Group  Version  Desired  Status   Created               Modified
a1a1a1a1-1111-2222-3333-444444444444  e1e1e1e1-1111-2222-3333-444444444444  n1n1n1n1-1111-2222-3333-444444444444  api         1        run      running  2026-11-25T10:00:00Z  2026-11-25T11:00:00Z
`,
		},
		{
			name: "ambiguous prefix", args: []string{"n"}, wantCode: 1,
			wantErr: "Identifier must contain at least two characters.\n",
		},
		{
			name: "unknown", args: []string{"ffff"}, wantCode: 1,
			wantErr: "No node(s) with prefix \"ffff\" found\n",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeAgent(t)
			serveNodes(f)
			meta, ui := testMeta(testNow)
			code := (&NodeStatusCommand{Meta: meta}).Run(append([]string{f.addr(), "-no-color"}, tc.args...))
			must.Eq(t, tc.wantOut, ui.OutputWriter.String())
			must.Eq(t, tc.wantErr, ui.ErrorWriter.String())
			must.Eq(t, tc.wantCode, code)
		})
	}
}
