package command

import (
	"net/http"
	"testing"
	"time"

	"github.com/hashicorp/nomad/api"
	"github.com/shoenig/test/must"
)

var testNow = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

func TestJobStatus_List(t *testing.T) {
	f := newFakeAgent(t)
	f.handle("GET /v1/jobs", func(*http.Request) any {
		return []*api.JobListStub{
			{ID: "countdash", Type: "service", Priority: 50, Status: "running", SubmitTime: testNow.Add(-time.Hour).UnixNano()},
			{ID: "batchy", Type: "batch", Priority: 70, Status: "dead", Stop: true, SubmitTime: testNow.Add(-2 * time.Hour).UnixNano()},
		}
	})
	meta, ui := testMeta(testNow)
	cmd := &JobStatusCommand{Meta: meta}
	must.Eq(t, 0, cmd.Run([]string{f.addr(), "-no-color"}))
	must.Eq(t, `ID         Type     Priority  Status          Submit Date
batchy     batch    70        dead (stopped)  2026-11-25T10:00:00Z
countdash  service  50        running         2026-11-25T11:00:00Z
`, ui.OutputWriter.String())
}

func TestJobStatus_Empty(t *testing.T) {
	f := newFakeAgent(t)
	f.handle("GET /v1/jobs", func(*http.Request) any { return []*api.JobListStub{} })
	meta, ui := testMeta(testNow)
	must.Eq(t, 0, (&JobStatusCommand{Meta: meta}).Run([]string{f.addr()}))
	must.Eq(t, "No running jobs\n", ui.OutputWriter.String())
}

// serveCountdash answers the endpoints `job status countdash` reads.
func serveCountdash(f *fakeAgent) {
	f.handle("GET /v1/jobs", func(r *http.Request) any {
		stubs := []*api.JobListStub{{ID: "countdash", Type: "service", Priority: 50, Status: "running"}}
		if p := r.URL.Query().Get("prefix"); p != "" && p != "count" && p != "countdash" {
			return []*api.JobListStub{}
		}
		return stubs
	})
	f.handle("GET /v1/job/{id}", func(*http.Request) any {
		return &api.Job{
			ID: ptr("countdash"), Name: ptr("countdash"), Type: ptr("service"), Priority: ptr(50),
			Datacenters: []string{"dc1"}, Namespace: ptr("default"), Status: ptr("running"),
			SubmitTime: ptr(testNow.Add(-10 * time.Minute).UnixNano()),
		}
	})
	f.handle("GET /v1/job/{id}/summary", func(*http.Request) any {
		return &api.JobSummary{JobID: "countdash", Summary: map[string]api.TaskGroupSummary{
			"dashboard": {Running: 1},
			"api":       {Running: 1, Failed: 1},
		}}
	})
	f.handle("GET /v1/job/{id}/evaluations", func(*http.Request) any {
		return []*api.Evaluation{{ID: evalID, Status: "complete"}}
	})
	f.handle("GET /v1/job/{id}/allocations", func(*http.Request) any {
		return []*api.AllocationListStub{
			{ID: allocID, EvalID: evalID, NodeID: nodeID, TaskGroup: "api", JobVersion: 0, DesiredStatus: "run",
				ClientStatus: "running", CreateTime: testNow.Add(-10 * time.Minute).UnixNano(),
				ModifyTime: testNow.Add(-9*time.Minute - 30*time.Second).UnixNano()},
		}
	})
}

func TestJobStatus_OneJob(t *testing.T) {
	f := newFakeAgent(t)
	serveCountdash(f)
	meta, ui := testMeta(testNow)
	cmd := &JobStatusCommand{Meta: meta}
	must.Eq(t, 0, cmd.Run([]string{f.addr(), "-no-color", "count"}))
	must.Eq(t, `ID            = countdash
Name          = countdash
Submit Date   = 2026-11-25T11:50:00Z
Type          = service
Priority      = 50
Datacenters   = dc1
Namespace     = default
Status        = running
Periodic      = false
Parameterized = false

Summary
Task Group  Queued  Starting  Running  Failed  Complete  Lost
api         0       0         1        1       0         0
dashboard   0       0         1        0       0         0

Allocations
ID        Node ID   Task Group  Version  Desired  Status   Created  Modified
a1a1a1a1  n1n1n1n1  api         0        run      running  10m ago  9m30s ago
`, ui.OutputWriter.String())
}

func TestJobStatus_NotFound(t *testing.T) {
	f := newFakeAgent(t)
	serveCountdash(f)
	meta, ui := testMeta(testNow)
	must.Eq(t, 1, (&JobStatusCommand{Meta: meta}).Run([]string{f.addr(), "nope"}))
	must.Eq(t, "No job(s) with prefix or id \"nope\" found\n", ui.ErrorWriter.String())
}

func TestStatus_DispatchesByPrefix(t *testing.T) {
	f := newFakeAgent(t)
	serveCountdash(f)
	f.handle("GET /v1/allocations", func(*http.Request) any { return []*api.AllocationListStub{} })
	f.handle("GET /v1/nodes", func(*http.Request) any { return []*api.NodeListStub{} })
	meta, ui := testMeta(testNow)
	must.Eq(t, 0, (&StatusCommand{Meta: meta}).Run([]string{f.addr(), "-no-color", "countdash"}))
	must.StrHasPrefix(t, "ID            = countdash\n", ui.OutputWriter.String())
}

func TestPrettyTimeDiff(t *testing.T) {
	cases := []struct {
		d    time.Duration
		want string
	}{
		{0, "0s ago"},
		{90 * time.Second, "1m30s ago"},
		{3*time.Hour + 2*time.Minute + 5*time.Second, "3h2m ago"},
		{-2 * time.Hour, "2h from now"},
		{(24*30*10 + 24*12 + 3) * time.Hour, "10mo12d ago"},
	}
	for _, tc := range cases {
		t.Run(tc.want, func(t *testing.T) {
			must.Eq(t, tc.want, prettyTimeDiff(testNow.Add(-tc.d), testNow))
		})
	}
}
