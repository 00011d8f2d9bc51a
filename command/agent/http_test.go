package agent

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/nomad/api"
	"github.com/shoenig/test/must"
	"github.com/shoenig/test/wait"
)

// testAgent starts an in-process dev agent on a free port and returns a nomad/api
// client for it; both stop when the test ends.
func testAgent(t *testing.T) (*Agent, *api.Client) {
	t.Helper()
	cfg := DevConfig()
	cfg.Ports.HTTP = 0
	cfg.DataDir = t.TempDir()
	cfg.NodeName = "test-node"
	a, err := NewAgent(cfg, testLogger(t))
	must.NoError(t, err)
	t.Cleanup(a.Shutdown)
	c := testAPI(t, a.HTTPAddr())
	must.Wait(t, wait.InitialSuccess(wait.ErrorFunc(func() error {
		nodes, _, err := c.Nodes().List(nil)
		if err != nil {
			return err
		}
		if len(nodes) != 1 || nodes[0].Status != "ready" {
			return errors.New("node not ready")
		}
		return nil
	}), wait.Timeout(10*time.Second), wait.Gap(20*time.Millisecond)))
	return a, c
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(bytes.TrimRight(p, "\n")))
	return len(p), nil
}

func batchJob(id string) *api.Job {
	job := api.NewBatchJob(id, id, "global", 50)
	job.Datacenters = []string{"dc1"}
	tg := api.NewTaskGroup("g", 1)
	task := api.NewTask("t", "raw_exec").SetConfig("command", "/bin/sh").
		SetConfig("args", []string{"-c", "echo hello from $NOMAD_TASK_NAME"})
	task.Resources = &api.Resources{CPU: pointer(20), MemoryMB: pointer(16)}
	tg.AddTask(task)
	job.AddTaskGroup(tg)
	return job
}

func pointer[T any](v T) *T { return &v }

// TestHTTP_JobWorkflowThroughAPIClient drives the API the way tools built on
// nomad/api do: register, read back, watch with a blocking query, read logs.
func TestHTTP_JobWorkflowThroughAPIClient(t *testing.T) {
	_, c := testAgent(t)

	resp, wm, err := c.Jobs().Register(batchJob("hello"), nil)
	must.NoError(t, err)
	must.NotEq(t, "", resp.EvalID)
	must.Positive(t, wm.LastIndex)

	job, _, err := c.Jobs().Info("hello", nil)
	must.NoError(t, err)
	must.Eq(t, "hello", *job.ID)
	must.Eq(t, "batch", *job.Type)
	must.Eq(t, 1, *job.TaskGroups[0].Count)

	list, qm, err := c.Jobs().List(nil)
	must.NoError(t, err)
	must.Len(t, 1, list)
	must.Positive(t, qm.LastIndex)

	// A blocking query on the job's allocations returns once they change.
	var alloc *api.AllocationListStub
	index := uint64(1)
	must.Wait(t, wait.InitialSuccess(wait.ErrorFunc(func() error {
		allocs, qm, err := c.Jobs().Allocations("hello", false, &api.QueryOptions{WaitIndex: index, WaitTime: 2 * time.Second})
		if err != nil {
			return err
		}
		index = qm.LastIndex
		for _, a := range allocs {
			if a.ClientStatus == "complete" {
				alloc = a
				return nil
			}
		}
		return fmt.Errorf("no complete alloc yet (index %d)", index)
	}), wait.Timeout(20*time.Second), wait.Gap(10*time.Millisecond)))

	full, _, err := c.Allocations().Info(alloc.ID, nil)
	must.NoError(t, err)
	must.Eq(t, "dead", full.TaskStates["t"].State)
	must.False(t, full.TaskStates["t"].Failed)

	frames, errCh := c.AllocFS().Logs(full, false, "t", "stdout", "start", 0, nil, nil)
	var out bytes.Buffer
	for f := range frames {
		out.Write(f.Data)
	}
	select {
	case err := <-errCh:
		must.NoError(t, err)
	default:
	}
	must.Eq(t, "hello from t\n", out.String())

	evals, _, err := c.Jobs().Evaluations("hello", nil)
	must.NoError(t, err)
	must.SliceNotEmpty(t, evals)
	must.Eq(t, "complete", evals[len(evals)-1].Status)

	_, _, err = c.Jobs().Deregister("hello", true, nil)
	must.NoError(t, err)
	_, _, err = c.Jobs().Info("hello", nil)
	must.ErrorContains(t, err, "404")
}

// TestHTTP_BlockingQueryWaits: with ?index= at the current index the request
// waits for ?wait= and answers with the same index.
func TestHTTP_BlockingQueryWaits(t *testing.T) {
	_, c := testAgent(t)
	_, qm, err := c.Jobs().List(nil)
	must.NoError(t, err)
	start := time.Now()
	_, qm2, err := c.Jobs().List(&api.QueryOptions{WaitIndex: qm.LastIndex, WaitTime: 300 * time.Millisecond})
	must.NoError(t, err)
	must.Eq(t, qm.LastIndex, qm2.LastIndex)
	must.GreaterEq(t, 300*time.Millisecond, time.Since(start))
}

// TestHTTP_BadRequests: malformed input gets a 4xx with a message, never a panic.
func TestHTTP_BadRequests(t *testing.T) {
	a, c := testAgent(t)
	base := "http://" + a.HTTPAddr()
	cases := []struct {
		name, method, path, body string
		code                     int
		contains                 string
	}{
		{"bad json", http.MethodPut, "/v1/jobs", "{not json", 400, "Failed to decode"},
		{"no job", http.MethodPut, "/v1/jobs", "{}", 400, "Job must be specified"},
		{"no id", http.MethodPut, "/v1/jobs", `{"Job":{}}`, 400, "Job ID"},
		{"wrong type", http.MethodPut, "/v1/jobs", `{"Job":{"ID":5}}`, 400, "Failed to decode"},
		{"unknown job", http.MethodGet, "/v1/job/nope", "", 404, "job not found"},
		{"unknown alloc", http.MethodGet, "/v1/allocation/nope", "", 404, "alloc not found"},
		{"bad index", http.MethodGet, "/v1/jobs?index=x", "", 400, "Invalid index"},
		{"bad method", http.MethodDelete, "/v1/jobs", "", 405, "Invalid method"},
		{"plan without job", http.MethodPut, "/v1/job/x/plan", "{}", 400, "Job must be specified"},
		{"logs without task", http.MethodGet, "/v1/client/fs/logs/x", "", 400, "task"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(tc.method, base+tc.path, bytes.NewBufferString(tc.body))
			must.NoError(t, err)
			resp, err := http.DefaultClient.Do(req)
			must.NoError(t, err)
			defer resp.Body.Close()
			var body bytes.Buffer
			body.ReadFrom(resp.Body)
			must.Eq(t, tc.code, resp.StatusCode, must.Sprint(body.String()))
			must.StrContains(t, body.String(), tc.contains)
		})
	}

	// An invalid job is a 400 whose message lists every problem.
	job := batchJob("bad")
	job.TaskGroups[0].Tasks[0].Driver = ""
	job.TaskGroups[0].Networks = []*api.NetworkResource{{Mode: "bridge", DynamicPorts: []api.Port{{Label: "http", To: -5}}}}
	_, _, err := c.Jobs().Register(job, nil)
	must.ErrorContains(t, err, "400")
	must.ErrorContains(t, err, "Missing task driver")
	must.ErrorContains(t, err, "negative value -5")
}

// TestHTTP_ParseAndValidate: the endpoints nomad-pack and `job validate` use.
func TestHTTP_ParseAndValidate(t *testing.T) {
	_, c := testAgent(t)
	hcl := `job "p" {
  group "g" {
    network {
      port "http" { to = 8080 }
    }
    task "t" {
      driver = "raw_exec"
      config { command = "${NOMAD_TASK_DIR}/run" }
    }
  }
}`
	job, err := c.Jobs().ParseHCLOpts(&api.JobsParseRequest{JobHCL: hcl, Canonicalize: true})
	must.NoError(t, err)
	must.Eq(t, "p", *job.ID)
	must.Eq(t, "${NOMAD_TASK_DIR}/run", job.TaskGroups[0].Tasks[0].Config["command"])
	must.Eq(t, 8080, job.TaskGroups[0].Networks[0].DynamicPorts[0].To)

	resp, _, err := c.Jobs().Validate(job, nil)
	must.NoError(t, err)
	must.Eq(t, "", resp.Error)

	job.TaskGroups[0].Tasks[0].Driver = ""
	resp, _, err = c.Jobs().Validate(job, nil)
	must.NoError(t, err)
	must.StrContains(t, resp.Error, "Missing task driver")
}

// TestAgent_StartFailureIsAnError: an agent that cannot start returns an error
// (and cleans up what it started) instead of panicking.
func TestAgent_StartFailureIsAnError(t *testing.T) {
	cfg := DevConfig()
	cfg.DataDir = t.TempDir()
	cfg.Ports.HTTP = -1 // cannot listen
	_, err := NewAgent(cfg, hclog.NewNullLogger())
	must.Error(t, err)
}
