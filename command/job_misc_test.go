package command

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/hashicorp/nomad/api"
	"github.com/shoenig/test/must"
)

func TestJobValidate(t *testing.T) {
	cases := []struct {
		name     string
		resp     *api.JobValidateResponse
		wantCode int
		wantOut  string
		wantErr  string
	}{
		{
			name: "two errors",
			resp: &api.JobValidateResponse{DriverConfigValidated: true,
				ValidationErrors: []string{
					`Task group "api" validation failed: port mapped to 9002 already in use by "http"`,
					`Service "count-api" uses Connect but the group network mode is "host", not "bridge"`,
				},
				Error: "2 errors occurred:\n\t* Task group \"api\" validation failed: port mapped to 9002 already in use by \"http\"\n\t* Service \"count-api\" uses Connect but the group network mode is \"host\", not \"bridge\"\n\n",
			},
			wantCode: 1,
			wantErr: "Job validation errors:\n2 errors occurred:\n\t* Task group \"api\" validation failed: port mapped to 9002 already in use by \"http\"\n" +
				"\t* Service \"count-api\" uses Connect but the group network mode is \"host\", not \"bridge\"\n\n\n",
		},
		{
			name:    "valid",
			resp:    &api.JobValidateResponse{DriverConfigValidated: true},
			wantOut: "Job validation successful\n",
		},
		{
			name:    "valid with warnings",
			resp:    &api.JobValidateResponse{DriverConfigValidated: true, Warnings: "1 warning:\n\n* group update stanza is deprecated"},
			wantOut: "Job Warnings:\n1 warning:\n\n* group update stanza is deprecated\n\nJob validation successful\n",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeAgent(t)
			f.handle("PUT /v1/validate/job", func(*http.Request) any { return tc.resp })
			meta, ui := testMeta(testNow)
			cmd := &JobValidateCommand{Meta: meta, JobGetter: JobGetter{Parser: fixedParser(exampleJob())}}
			code := cmd.Run([]string{f.addr(), "-no-color", "example.nomad"})
			must.Eq(t, tc.wantOut, ui.OutputWriter.String())
			must.Eq(t, tc.wantErr, ui.ErrorWriter.String())
			must.Eq(t, tc.wantCode, code)

			var req api.JobValidateRequest
			must.NoError(t, json.Unmarshal(f.body("PUT /v1/validate/job"), &req))
			must.Eq(t, "example", *req.Job.ID)
		})
	}
}

func TestVersion(t *testing.T) {
	meta, ui := testMeta(testNow)
	must.Eq(t, 0, (&VersionCommand{Meta: meta}).Run(nil))
	must.Eq(t, "Nomad v0.10.0 (netnomad)\n", ui.OutputWriter.String())
}

func TestJobStop(t *testing.T) {
	cases := []struct {
		name      string
		args      []string
		wantOut   string
		wantPurge string
	}{
		{name: "detach prints the eval", args: []string{"-detach", "countdash"}, wantOut: evalID + "\n", wantPurge: "false"},
		{name: "purge and monitor", args: []string{"-purge", "countdash"}, wantPurge: "true", wantOut: `==> Monitoring evaluation "e1e1e1e1"
    Evaluation triggered by job "countdash"
    Evaluation status changed: "pending" -> "complete"
==> Evaluation "e1e1e1e1" finished with status "complete"
`},
		{name: "prefix match needs -yes", args: []string{"-yes", "-detach", "count"}, wantOut: evalID + "\n", wantPurge: "false"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeAgent(t)
			serveCountdash(f)
			purge := ""
			f.handle("DELETE /v1/job/{id}", func(r *http.Request) any {
				purge = r.URL.Query().Get("purge")
				return api.JobDeregisterResponse{EvalID: evalID}
			})
			f.handle("GET /v1/evaluation/{id}", func(*http.Request) any {
				return &api.Evaluation{ID: evalID, JobID: "countdash", Status: "complete"}
			})
			f.handle("GET /v1/evaluation/{id}/allocations", func(*http.Request) any { return []*api.AllocationListStub{} })
			meta, ui := testMeta(testNow)
			must.Eq(t, 0, (&JobStopCommand{Meta: meta}).Run(append([]string{f.addr()}, tc.args...)))
			must.Eq(t, tc.wantOut, ui.OutputWriter.String())
			must.Eq(t, tc.wantPurge, purge)
		})
	}
}

func TestJobStop_PrefixAsksForConfirmation(t *testing.T) {
	f := newFakeAgent(t)
	serveCountdash(f)
	deleted := false
	f.handle("DELETE /v1/job/{id}", func(*http.Request) any {
		deleted = true
		return api.JobDeregisterResponse{EvalID: evalID}
	})
	meta, ui := testMeta(testNow)
	ui.InputReader = stringReader("n\n")
	must.Eq(t, 0, (&JobStopCommand{Meta: meta}).Run([]string{f.addr(), "count"}))
	must.StrContains(t, ui.OutputWriter.String(), "Cancelling job stop")
	must.False(t, deleted)
}

func TestJobInspect(t *testing.T) {
	f := newFakeAgent(t)
	serveCountdash(f)
	meta, ui := testMeta(testNow)
	must.Eq(t, 0, (&JobInspectCommand{Meta: meta}).Run([]string{f.addr(), "countdash"}))

	var out struct{ Job *api.Job }
	must.NoError(t, json.Unmarshal([]byte(ui.OutputWriter.String()), &out))
	must.Eq(t, "countdash", *out.Job.ID)
	must.StrHasPrefix(t, "{\n    \"Job\": {\n", ui.OutputWriter.String())
}

func TestAllocStop(t *testing.T) {
	f := newFakeAgent(t)
	serveAlloc(f, countdashAlloc())
	f.handle("PUT /v1/allocation/{id}/stop", func(r *http.Request) any {
		return api.AllocStopResponse{EvalID: evalID}
	})
	f.handle("GET /v1/evaluation/{id}", func(*http.Request) any {
		return &api.Evaluation{ID: evalID, JobID: "countdash", Status: "complete", CreateIndex: 20}
	})
	f.handle("GET /v1/evaluation/{id}/allocations", func(*http.Request) any {
		return []*api.AllocationListStub{
			{ID: allocID, NodeID: nodeID, TaskGroup: "api", DesiredStatus: "stop", CreateIndex: 5},
			{ID: "a2a2a2a2-1111-2222-3333-444444444444", NodeID: nodeID, TaskGroup: "api", DesiredStatus: "run", CreateIndex: 20},
		}
	})

	meta, ui := testMeta(testNow)
	must.Eq(t, 0, (&AllocStopCommand{Meta: meta}).Run([]string{f.addr(), "a1a1a1a1"}))
	must.Eq(t, `==> Monitoring evaluation "e1e1e1e1"
    Evaluation triggered by job "countdash"
    Allocation "a1a1a1a1" modified: node "n1n1n1n1", group "api"
    Allocation "a2a2a2a2" created: node "n1n1n1n1", group "api"
    Evaluation status changed: "pending" -> "complete"
==> Evaluation "e1e1e1e1" finished with status "complete"
`, ui.OutputWriter.String())
}

func TestAllocRestart(t *testing.T) {
	f := newFakeAgent(t)
	serveAlloc(f, countdashAlloc())
	f.handle("PUT /v1/client/allocation/{id}/restart", func(*http.Request) any { return struct{}{} })

	meta, ui := testMeta(testNow)
	must.Eq(t, 0, (&AllocRestartCommand{Meta: meta}).Run([]string{f.addr(), "a1a1a1a1", "web"}))
	must.Eq(t, "", ui.ErrorWriter.String())

	var req api.AllocationRestartRequest
	must.NoError(t, json.Unmarshal(f.body("PUT /v1/client/allocation/"+allocID+"/restart"), &req))
	must.Eq(t, "web", req.TaskName)
}

func TestUnknownFlagIsReported(t *testing.T) {
	meta, ui := testMeta(testNow)
	must.Eq(t, 255, (&JobPlanCommand{Meta: meta}).Run([]string{"-bogus", "x.nomad"}))
	must.Eq(t, "flag provided but not defined: -bogus\nFor additional help try 'nomad job plan -help'\n", ui.ErrorWriter.String())
}
