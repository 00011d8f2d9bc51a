package nomad

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/netnomad/netnomad/nomad/mock"
	"github.com/netnomad/netnomad/nomad/structs"
	"github.com/shoenig/test/must"
)

func TestJobRegister_EvalPlacesAllocs(t *testing.T) {
	s := testServer(t, nil)
	node := mock.Node()
	_, err := s.NodeRegister(node)
	must.NoError(t, err)

	job := mock.Job()
	job.TaskGroups[0].Count = 2
	job.TaskGroups[0].Networks = nil
	job.TaskGroups[0].Services = nil
	resp, err := s.JobRegister(&JobRegisterRequest{Job: job})
	must.NoError(t, err)
	must.NotEq(t, "", resp.EvalID)
	must.Positive(t, resp.JobModifyIndex)
	must.Eq(t, resp.Index, resp.EvalCreateIndex)

	waitFor(t, func() error {
		eval, err := s.State().EvalByID(nil, resp.EvalID)
		if err != nil || eval == nil || eval.Status != structs.EvalStatusComplete {
			return fmt.Errorf("eval not complete: %v %+v", err, eval)
		}
		return nil
	})
	eval, _ := s.State().EvalByID(nil, resp.EvalID)
	must.Eq(t, structs.EvalTriggerJobRegister, eval.TriggeredBy)
	must.Eq(t, resp.JobModifyIndex, eval.JobModifyIndex)

	allocs, err := s.State().AllocsByJob(nil, "default", job.ID)
	must.NoError(t, err)
	must.Len(t, 2, allocs)
	for _, a := range allocs {
		must.Eq(t, node.ID, a.NodeID)
		must.NotNil(t, a.Job)
		must.Eq(t, resp.EvalID, a.EvalID)
	}
	stored, _ := s.State().JobByID(nil, "default", job.ID)
	must.Eq(t, structs.JobStatusRunning, stored.Status)
	must.Positive(t, stored.SubmitTime)

	// The caller's job is left alone.
	must.Eq(t, uint64(0), job.JobModifyIndex)
}

func TestJobRegister_RejectsMissingJob(t *testing.T) {
	s := testServer(t, nil)
	_, err := s.JobRegister(&JobRegisterRequest{})
	assertCode(t, err, 400)
}

// failingValidator rejects every job with two errors and warns once.
type failingValidator struct{ name string }

func (v failingValidator) Name() string { return v.name }

func (v failingValidator) Validate(*structs.Job) ([]error, error) {
	return []error{fmt.Errorf("%s warns", v.name)},
		errors.Join(fmt.Errorf("%s: first problem", v.name), fmt.Errorf("%s: second problem", v.name))
}

// warningValidator only warns.
type warningValidator struct{ name string }

func (v warningValidator) Name() string { return v.name }

func (v warningValidator) Validate(*structs.Job) ([]error, error) {
	return []error{fmt.Errorf("%s is deprecated", v.name)}, nil
}

func TestAdmission_ReportsEveryValidatorError(t *testing.T) {
	s := testServer(t, nil)
	s.jobValidators = append(s.jobValidators, failingValidator{"alpha"}, failingValidator{"beta"})

	for _, tc := range []struct {
		name string
		call func() error
	}{
		{"register", func() error { _, err := s.JobRegister(&JobRegisterRequest{Job: mock.Job()}); return err }},
		{"plan", func() error { _, err := s.JobPlan(&JobPlanRequest{Job: mock.Job()}); return err }},
		{"validate", func() error { _, err := s.JobValidate(mock.Job()); return err }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			assertCode(t, err, 400)
			must.StrContains(t, err.Error(), "4 errors occurred")
			for _, want := range []string{"alpha: first problem", "alpha: second problem", "beta: first problem", "beta: second problem"} {
				must.StrContains(t, err.Error(), want)
			}
		})
	}
	jobs, _ := s.State().Jobs(nil, "*", "")
	must.Len(t, 0, jobs)
}

func TestAdmission_CollectsWarnings(t *testing.T) {
	s := testServer(t, nil)
	s.jobValidators = append(s.jobValidators, warningValidator{"alpha"}, warningValidator{"beta"})

	resp, err := s.JobRegister(&JobRegisterRequest{Job: mock.Job()})
	must.NoError(t, err)
	must.Eq(t, "2 warning(s):\n\n* alpha is deprecated\n* beta is deprecated", resp.Warnings)

	warnings, err := s.JobValidate(mock.Job())
	must.NoError(t, err)
	must.Eq(t, []string{"alpha is deprecated", "beta is deprecated"}, warnings)
}

func TestAdmission_CanonicalizesBeforeMutatorsAndValidators(t *testing.T) {
	s := testServer(t, nil)
	var seenType string
	s.jobMutators = append(s.jobMutators, recordingMutator{func(j *structs.Job) { seenType = j.Type }})

	job := mock.Job()
	job.Type = ""
	job.Priority = 0
	resp, err := s.JobRegister(&JobRegisterRequest{Job: job})
	must.NoError(t, err)
	must.Eq(t, structs.JobTypeService, seenType)
	stored, _ := s.State().JobByID(nil, "default", job.ID)
	must.Eq(t, structs.DefaultPriority, stored.Priority)
	must.Eq(t, "", resp.Warnings)
}

type recordingMutator struct{ f func(*structs.Job) }

func (recordingMutator) Name() string { return "recording" }

func (m recordingMutator) Mutate(j *structs.Job) (*structs.Job, []error, error) {
	m.f(j)
	return j, nil, nil
}

func TestJobRegister_EnforceIndex(t *testing.T) {
	s := testServer(t, nil)
	first, err := s.JobRegister(&JobRegisterRequest{Job: mock.Job(), EnforceIndex: true, JobModifyIndex: 0})
	must.NoError(t, err)
	current := first.JobModifyIndex

	changed := func() *structs.Job {
		j := mock.Job()
		j.Meta["rev"] = fmt.Sprint(current)
		return j
	}
	cases := []struct {
		name    string
		job     *structs.Job
		index   uint64
		wantErr string
	}{
		{"exists but index 0", mock.Job(), 0, "Enforcing job modify index 0: job already exists"},
		{"conflicting index", mock.Job(), current + 100,
			fmt.Sprintf("Enforcing job modify index %d: job exists with conflicting job modify index: %d", current+100, current)},
		{"missing job", func() *structs.Job { j := mock.Job(); j.ID = "other"; return j }(), 7,
			"Enforcing job modify index 7: job does not exist"},
		{"matching index", changed(), current, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := s.JobRegister(&JobRegisterRequest{Job: tc.job, EnforceIndex: true, JobModifyIndex: tc.index})
			if tc.wantErr == "" {
				must.NoError(t, err)
				must.Greater(t, current, resp.JobModifyIndex)
				return
			}
			assertCode(t, err, 400)
			must.EqError(t, err, tc.wantErr)
		})
	}
}

func TestJobRegister_UnchangedJobKeepsVersion(t *testing.T) {
	s := testServer(t, nil)
	first, err := s.JobRegister(&JobRegisterRequest{Job: mock.Job()})
	must.NoError(t, err)
	second, err := s.JobRegister(&JobRegisterRequest{Job: mock.Job()})
	must.NoError(t, err)
	must.Eq(t, first.JobModifyIndex, second.JobModifyIndex)
	must.NotEq(t, first.EvalID, second.EvalID)

	job := mock.Job()
	job.TaskGroups[0].Count = 3
	third, err := s.JobRegister(&JobRegisterRequest{Job: job})
	must.NoError(t, err)
	stored, _ := s.State().JobByID(nil, "default", job.ID)
	must.Eq(t, uint64(1), stored.Version)
	must.Eq(t, third.JobModifyIndex, stored.JobModifyIndex)
}

func TestJobPlan_DoesNotWrite(t *testing.T) {
	s := testServer(t, nil)

	// No node: the group cannot be placed and the scheduler would block.
	before, _ := s.State().LatestIndex()
	resp, err := s.JobPlan(&JobPlanRequest{Job: mock.Job(), Diff: true})
	must.NoError(t, err)
	must.Eq(t, uint64(0), resp.JobModifyIndex)
	must.Eq(t, uint64(1), resp.Annotations.DesiredTGUpdates["web"].Place)
	must.MapContainsKey(t, resp.FailedTGAllocs, "web")
	must.Len(t, 1, resp.CreatedEvals)
	must.Eq(t, structs.EvalStatusBlocked, resp.CreatedEvals[0].Status)
	must.NotNil(t, resp.Diff)

	after, _ := s.State().LatestIndex()
	must.Eq(t, before, after)
	jobs, _ := s.State().Jobs(nil, "*", "")
	must.Len(t, 0, jobs)
	evals, _ := s.State().Evals(nil, "")
	must.Len(t, 0, evals)

	// With a node and an existing job: the plan names the current index.
	_, err = s.NodeRegister(mock.Node())
	must.NoError(t, err)
	reg, err := s.JobRegister(&JobRegisterRequest{Job: mock.Job()})
	must.NoError(t, err)
	waitFor(t, func() error {
		allocs, _ := s.State().AllocsByJob(nil, "default", "example")
		if len(allocs) != 1 {
			return fmt.Errorf("want 1 alloc, have %d", len(allocs))
		}
		return nil
	})
	job := mock.Job()
	job.TaskGroups[0].Count = 3
	before, _ = s.State().LatestIndex()
	resp, err = s.JobPlan(&JobPlanRequest{Job: job})
	must.NoError(t, err)
	must.Eq(t, reg.JobModifyIndex, resp.JobModifyIndex)
	must.Eq(t, uint64(2), resp.Annotations.DesiredTGUpdates["web"].Place)
	must.Eq(t, uint64(1), resp.Annotations.DesiredTGUpdates["web"].Ignore)
	must.Len(t, 0, resp.CreatedEvals)
	must.Nil(t, resp.Diff)
	after, _ = s.State().LatestIndex()
	must.Eq(t, before, after)
	allocs, _ := s.State().AllocsByJob(nil, "default", "example")
	must.Len(t, 1, allocs)
	stored, _ := s.State().JobByID(nil, "default", "example")
	must.Eq(t, 1, stored.TaskGroups[0].Count)
}

func TestJobDeregister(t *testing.T) {
	s := testServer(t, nil)
	_, err := s.NodeRegister(mock.Node())
	must.NoError(t, err)
	_, err = s.JobRegister(&JobRegisterRequest{Job: mock.Job()})
	must.NoError(t, err)
	waitAllocs := func(want func(*structs.Allocation) bool) {
		waitFor(t, func() error {
			allocs, _ := s.State().AllocsByJob(nil, "default", "example")
			if len(allocs) != 1 || !want(allocs[0]) {
				return fmt.Errorf("allocs not as expected: %d", len(allocs))
			}
			return nil
		})
	}
	waitAllocs(func(a *structs.Allocation) bool { return a.DesiredStatus == structs.AllocDesiredStatusRun })

	t.Run("stop", func(t *testing.T) {
		resp, err := s.JobDeregister("default", "example", false)
		must.NoError(t, err)
		eval, _ := s.State().EvalByID(nil, resp.EvalID)
		must.Eq(t, structs.EvalTriggerJobDeregister, eval.TriggeredBy)
		job, _ := s.State().JobByID(nil, "default", "example")
		must.True(t, job.Stop)
		must.Eq(t, uint64(1), job.Version)
		waitAllocs(func(a *structs.Allocation) bool { return a.DesiredStatus == structs.AllocDesiredStatusStop })
	})

	t.Run("purge", func(t *testing.T) {
		_, err := s.JobDeregister("default", "example", true)
		must.NoError(t, err)
		job, _ := s.State().JobByID(nil, "default", "example")
		must.Nil(t, job)
		versions, _ := s.State().JobVersionsByID(nil, "default", "example")
		must.Len(t, 0, versions)
	})

	t.Run("unknown job", func(t *testing.T) {
		_, err := s.JobDeregister("default", "example", true)
		must.True(t, errors.Is(err, structs.ErrNotFound))
	})
}

func assertCode(t *testing.T, err error, code int) {
	t.Helper()
	must.Error(t, err)
	var coded *structs.CodedError
	must.True(t, errors.As(err, &coded), must.Sprintf("error %q is not coded", err))
	must.Eq(t, code, coded.Code)
	must.False(t, strings.HasPrefix(err.Error(), " "))
}
