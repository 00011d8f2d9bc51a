package command

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/hashicorp/nomad/api"
	"github.com/shoenig/test/must"
)

func exampleJob() *api.Job {
	return &api.Job{ID: ptr("example"), Name: ptr("example"), Type: ptr("service")}
}

// serveEval answers the register and evaluation endpoints of one job run.
func serveEval(f *fakeAgent, eval *api.Evaluation, allocs []*api.AllocationListStub) {
	f.handle("PUT /v1/jobs", func(*http.Request) any {
		return api.JobRegisterResponse{EvalID: eval.ID, EvalCreateIndex: eval.CreateIndex, JobModifyIndex: 7}
	})
	f.handle("GET /v1/evaluation/{id}", func(r *http.Request) any {
		if r.PathValue("id") != eval.ID {
			return errStatus{404, "eval not found"}
		}
		return eval
	})
	f.handle("GET /v1/evaluation/{id}/allocations", func(*http.Request) any { return allocs })
}

func TestJobRun(t *testing.T) {
	placed := []*api.AllocationListStub{{
		ID: allocID, NodeID: nodeID, TaskGroup: "web", DesiredStatus: "run", ClientStatus: "pending", CreateIndex: 12,
	}}
	cases := []struct {
		name     string
		args     []string
		eval     *api.Evaluation
		allocs   []*api.AllocationListStub
		wantCode int
		wantOut  string
	}{
		{
			name:     "success",
			eval:     &api.Evaluation{ID: evalID, JobID: "example", Status: "complete", CreateIndex: 12},
			allocs:   placed,
			wantCode: 0,
			wantOut: `==> Monitoring evaluation "e1e1e1e1"
    Evaluation triggered by job "example"
    Allocation "a1a1a1a1" created: node "n1n1n1n1", group "web"
    Evaluation status changed: "pending" -> "complete"
==> Evaluation "e1e1e1e1" finished with status "complete"
`,
		},
		{
			name: "placement failure",
			eval: &api.Evaluation{ID: evalID, JobID: "example", Status: "complete", CreateIndex: 12,
				BlockedEval: blocked,
				FailedTGAllocs: map[string]*api.AllocationMetric{"web": {
					NodesEvaluated:     1,
					ConstraintFiltered: map[string]int{"missing network": 1},
					NodesExhausted:     1,
					DimensionExhausted: map[string]int{"memory": 1},
				}}},
			wantCode: 2,
			wantOut: `==> Monitoring evaluation "e1e1e1e1"
    Evaluation triggered by job "example"
    Evaluation status changed: "pending" -> "complete"
==> Evaluation "e1e1e1e1" finished with status "complete" but failed to place all allocations:
    Task Group "web" (failed to place 1 allocation):
      * Constraint "missing network" filtered 1 nodes
      * Resources exhausted on 1 nodes
      * Dimension "memory" exhausted on 1 nodes
    Evaluation "b1b1b1b1" waiting for additional capacity to place remainder
`,
		},
		{
			name:     "detach",
			args:     []string{"-detach"},
			eval:     &api.Evaluation{ID: evalID, JobID: "example", Status: "pending"},
			wantCode: 0,
			wantOut:  "Job registration successful\nEvaluation ID: " + evalID + "\n",
		},
		{
			name:     "verbose keeps full IDs",
			args:     []string{"-verbose"},
			eval:     &api.Evaluation{ID: evalID, JobID: "example", Status: "complete", CreateIndex: 12},
			allocs:   placed,
			wantCode: 0,
			wantOut: `==> Monitoring evaluation "` + evalID + `"
    Evaluation triggered by job "example"
    Allocation "` + allocID + `" created: node "` + nodeID + `", group "web"
    Evaluation status changed: "pending" -> "complete"
==> Evaluation "` + evalID + `" finished with status "complete"
`,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeAgent(t)
			serveEval(f, tc.eval, tc.allocs)
			meta, ui := testMeta(time.Now())
			cmd := &JobRunCommand{Meta: meta, JobGetter: JobGetter{Parser: fixedParser(exampleJob())}}

			args := append([]string{f.addr(), "-no-color"}, tc.args...)
			code := cmd.Run(append(args, "example.nomad.hcl"))
			must.Eq(t, tc.wantOut, ui.OutputWriter.String())
			must.Eq(t, "", ui.ErrorWriter.String())
			must.Eq(t, tc.wantCode, code)
		})
	}
}

func TestJobRun_PendingEvalIsFollowed(t *testing.T) {
	f := newFakeAgent(t)
	calls := 0
	f.handle("PUT /v1/jobs", func(*http.Request) any { return api.JobRegisterResponse{EvalID: evalID} })
	f.handle("GET /v1/evaluation/{id}", func(*http.Request) any {
		calls++
		status := "pending"
		if calls > 1 {
			status = "complete"
		}
		return &api.Evaluation{ID: evalID, JobID: "example", Status: status}
	})
	f.handle("GET /v1/evaluation/{id}/allocations", func(*http.Request) any { return []*api.AllocationListStub{} })

	meta, ui := testMeta(time.Now())
	cmd := &JobRunCommand{Meta: meta, JobGetter: JobGetter{Parser: fixedParser(exampleJob())}}
	code := cmd.Run([]string{f.addr(), "-no-color", "example.nomad.hcl"})
	must.Eq(t, 0, code)
	must.Eq(t, `==> Monitoring evaluation "e1e1e1e1"
    Evaluation triggered by job "example"
    Evaluation status changed: "pending" -> "complete"
==> Evaluation "e1e1e1e1" finished with status "complete"
`, ui.OutputWriter.String())
}

func TestJobRun_CheckIndexIsEnforced(t *testing.T) {
	f := newFakeAgent(t)
	serveEval(f, &api.Evaluation{ID: evalID, Status: "pending"}, nil)
	meta, _ := testMeta(time.Now())
	cmd := &JobRunCommand{Meta: meta, JobGetter: JobGetter{Parser: fixedParser(exampleJob())}}
	must.Eq(t, 0, cmd.Run([]string{f.addr(), "-detach", "-check-index", "42", "example.nomad.hcl"}))

	var req api.JobRegisterRequest
	must.NoError(t, json.Unmarshal(f.body("PUT /v1/jobs"), &req))
	must.True(t, req.EnforceIndex)
	must.Eq(t, 42, req.JobModifyIndex)
	must.Eq(t, "example", *req.Job.ID)
}

func TestJobRun_Errors(t *testing.T) {
	t.Run("submission error exits 1", func(t *testing.T) {
		f := newFakeAgent(t)
		f.handle("PUT /v1/jobs", func(*http.Request) any {
			return errStatus{500, "rpc error: boom"}
		})
		meta, ui := testMeta(time.Now())
		cmd := &JobRunCommand{Meta: meta, JobGetter: JobGetter{Parser: fixedParser(exampleJob())}}
		must.Eq(t, 1, cmd.Run([]string{f.addr(), "example.nomad.hcl"}))
		must.Eq(t, "Error submitting job: Unexpected response code: 500 (rpc error: boom)\n", ui.ErrorWriter.String())
	})
	t.Run("check-index mismatch", func(t *testing.T) {
		f := newFakeAgent(t)
		f.handle("PUT /v1/jobs", func(*http.Request) any {
			return errStatus{500, "Enforcing job modify index 3: job exists with conflicting job modify index: 5"}
		})
		meta, ui := testMeta(time.Now())
		cmd := &JobRunCommand{Meta: meta, JobGetter: JobGetter{Parser: fixedParser(exampleJob())}}
		must.Eq(t, 1, cmd.Run([]string{f.addr(), "-check-index", "3", "example.nomad.hcl"}))
		must.Eq(t, "Enforcing job modify index 3: job exists with conflicting job modify index: 5\nJob not updated\n",
			ui.ErrorWriter.String())
	})
	t.Run("no file argument", func(t *testing.T) {
		meta, ui := testMeta(time.Now())
		cmd := &JobRunCommand{Meta: meta}
		must.Eq(t, 1, cmd.Run(nil))
		must.StrContains(t, ui.ErrorWriter.String(), "This command takes one argument: <path>")
	})
}
