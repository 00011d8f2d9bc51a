package agent

import (
	"net/http"
	"sort"
	"strings"

	"github.com/hashicorp/go-memdb"
	"github.com/hashicorp/nomad/api"
	"github.com/netnomad/netnomad/jobspec"
	"github.com/netnomad/netnomad/nomad"
	"github.com/netnomad/netnomad/nomad/state"
	"github.com/netnomad/netnomad/nomad/structs"
)

// jobsRequest serves /v1/jobs: GET lists jobs, PUT/POST registers one.
func (s *HTTPServer) jobsRequest(w http.ResponseWriter, r *http.Request) (any, error) {
	switch r.Method {
	case http.MethodGet:
		return s.jobList(w, r)
	case http.MethodPut, http.MethodPost:
		return s.jobRegister(w, r, "")
	}
	return nil, errMethodNotAllowed
}

func (s *HTTPServer) jobList(w http.ResponseWriter, r *http.Request) (any, error) {
	ns := r.URL.Query().Get("namespace")
	prefix := r.URL.Query().Get("prefix")
	return s.blockingQuery(w, r, func(ws memdb.WatchSet, st *state.StateStore) (any, uint64, error) {
		jobs, err := st.Jobs(ws, ns, prefix)
		if err != nil {
			return nil, 0, err
		}
		out := make([]*api.JobListStub, 0, len(jobs))
		for _, j := range jobs {
			allocs, err := st.AllocsByJob(ws, j.Namespace, j.ID)
			if err != nil {
				return nil, 0, err
			}
			stub := StructsJobToStub(j)
			stub.JobSummary = jobSummary(j, allocs)
			out = append(out, stub)
		}
		sort.Slice(out, func(i, k int) bool { return out[i].ID < out[k].ID })
		idx, err := maxIndex(st, "jobs", "allocs")
		return out, idx, err
	})
}

func (s *HTTPServer) jobRegister(w http.ResponseWriter, r *http.Request, pathID string) (any, error) {
	srv, err := s.agent.requireServer()
	if err != nil {
		return nil, err
	}
	var req api.JobRegisterRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	if req.Job == nil {
		return nil, badRequest("Job must be specified")
	}
	if req.Job.ID == nil || *req.Job.ID == "" {
		return nil, badRequest("Job ID hasn't been provided")
	}
	if pathID != "" && *req.Job.ID != pathID {
		return nil, badRequest("Job ID does not match name")
	}
	job := s.internalJob(req.Job)
	resp, err := srv.JobRegister(&nomad.JobRegisterRequest{
		Job:            job,
		EnforceIndex:   req.EnforceIndex,
		JobModifyIndex: req.JobModifyIndex,
	})
	if err != nil {
		return nil, err
	}
	setIndex(w, resp.Index)
	return &api.JobRegisterResponse{
		EvalID:          resp.EvalID,
		EvalCreateIndex: resp.EvalCreateIndex,
		JobModifyIndex:  resp.JobModifyIndex,
		Warnings:        resp.Warnings,
	}, nil
}

// jobsParseRequest serves PUT /v1/jobs/parse, which nomad-pack uses: HCL in, api.Job out.
func (s *HTTPServer) jobsParseRequest(w http.ResponseWriter, r *http.Request) (any, error) {
	if r.Method != http.MethodPut && r.Method != http.MethodPost {
		return nil, errMethodNotAllowed
	}
	var req api.JobsParseRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	if req.JobHCL == "" {
		return nil, badRequest("Job spec is empty")
	}
	var vars []string
	for _, line := range strings.Split(req.Variables, "\n") {
		if line = strings.TrimSpace(line); line != "" {
			vars = append(vars, line)
		}
	}
	job, err := jobspec.Parse(&jobspec.Config{Path: "input.hcl", Body: []byte(req.JobHCL), ArgVars: vars})
	if err != nil {
		return nil, badRequest("%v", err)
	}
	if req.Canonicalize {
		job.Canonicalize()
	}
	return job, nil
}

// validateJobRequest serves PUT /v1/validate/job.
func (s *HTTPServer) validateJobRequest(w http.ResponseWriter, r *http.Request) (any, error) {
	if r.Method != http.MethodPut && r.Method != http.MethodPost {
		return nil, errMethodNotAllowed
	}
	srv, err := s.agent.requireServer()
	if err != nil {
		return nil, err
	}
	var req api.JobValidateRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	if req.Job == nil {
		return nil, badRequest("Job must be specified")
	}
	resp := &api.JobValidateResponse{DriverConfigValidated: true}
	warnings, err := srv.JobValidate(s.internalJob(req.Job))
	if err != nil {
		resp.Error = err.Error()
		resp.ValidationErrors = splitErrors(err)
	}
	resp.Warnings = strings.Join(warnings, "\n")
	return resp, nil
}

// jobSpecificRequest serves /v1/job/<id>[/<action>].
func (s *HTTPServer) jobSpecificRequest(w http.ResponseWriter, r *http.Request) (any, error) {
	parts := pathParts(r, "/v1/job/")
	if len(parts) == 0 {
		return nil, notFound("job ID missing")
	}
	// Job IDs may not contain "/", so the last segment is the action when known.
	id, action := strings.Join(parts, "/"), ""
	if len(parts) > 1 {
		switch last := parts[len(parts)-1]; last {
		case "plan", "allocations", "evaluations", "summary", "versions", "evaluate":
			id, action = strings.Join(parts[:len(parts)-1], "/"), last
		}
	}
	ns := namespaceOf(r)
	switch action {
	case "":
		switch r.Method {
		case http.MethodGet:
			return s.jobGet(w, r, ns, id)
		case http.MethodPut, http.MethodPost:
			return s.jobRegister(w, r, id)
		case http.MethodDelete:
			return s.jobDeregister(w, r, ns, id)
		}
		return nil, errMethodNotAllowed
	case "plan":
		return s.jobPlan(w, r, id)
	case "allocations":
		return s.jobAllocations(w, r, ns, id)
	case "evaluations":
		return s.jobEvaluations(w, r, ns, id)
	case "summary":
		return s.jobSummaryRequest(w, r, ns, id)
	case "versions":
		return s.jobVersions(w, r, ns, id)
	}
	return nil, notFound("unknown job action %q", action)
}

func (s *HTTPServer) jobGet(w http.ResponseWriter, r *http.Request, ns, id string) (any, error) {
	return s.blockingQuery(w, r, func(ws memdb.WatchSet, st *state.StateStore) (any, uint64, error) {
		job, err := st.JobByID(ws, ns, id)
		if err != nil {
			return nil, 0, err
		}
		if job == nil {
			return nil, 0, notFound("job not found")
		}
		return StructsJobToApi(job), job.ModifyIndex, nil
	})
}

func (s *HTTPServer) jobDeregister(w http.ResponseWriter, r *http.Request, ns, id string) (any, error) {
	srv, err := s.agent.requireServer()
	if err != nil {
		return nil, err
	}
	purge := r.URL.Query().Get("purge") == "true"
	resp, err := srv.JobDeregister(ns, id, purge)
	if err != nil {
		return nil, err
	}
	setIndex(w, resp.Index)
	return &api.JobDeregisterResponse{
		EvalID:          resp.EvalID,
		EvalCreateIndex: resp.EvalCreateIndex,
		JobModifyIndex:  resp.JobModifyIndex,
	}, nil
}

func (s *HTTPServer) jobPlan(w http.ResponseWriter, r *http.Request, id string) (any, error) {
	if r.Method != http.MethodPut && r.Method != http.MethodPost {
		return nil, errMethodNotAllowed
	}
	srv, err := s.agent.requireServer()
	if err != nil {
		return nil, err
	}
	var req api.JobPlanRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	if req.Job == nil {
		return nil, badRequest("Job must be specified")
	}
	if req.Job.ID != nil && *req.Job.ID != id {
		return nil, badRequest("Job ID does not match")
	}
	job := s.internalJob(req.Job)
	resp, err := srv.JobPlan(&nomad.JobPlanRequest{Job: job, Diff: req.Diff})
	if err != nil {
		return nil, err
	}
	setIndex(w, resp.Index)
	out := &api.JobPlanResponse{
		JobModifyIndex: resp.JobModifyIndex,
		Diff:           StructsDiffToApi(resp.Diff),
		Annotations:    StructsAnnotationsToApi(resp.Annotations),
		Warnings:       resp.Warnings,
	}
	if len(resp.FailedTGAllocs) > 0 {
		out.FailedTGAllocs = map[string]*api.AllocationMetric{}
		for tg, m := range resp.FailedTGAllocs {
			out.FailedTGAllocs[tg] = StructsAllocMetricToApi(m)
		}
	}
	for _, e := range resp.CreatedEvals {
		out.CreatedEvals = append(out.CreatedEvals, StructsEvalToApi(e))
	}
	return out, nil
}

func (s *HTTPServer) jobAllocations(w http.ResponseWriter, r *http.Request, ns, id string) (any, error) {
	return s.blockingQuery(w, r, allocStubsQuery(func(ws memdb.WatchSet, st *state.StateStore) ([]*structs.Allocation, error) {
		return st.AllocsByJob(ws, ns, id)
	}))
}

func (s *HTTPServer) jobEvaluations(w http.ResponseWriter, r *http.Request, ns, id string) (any, error) {
	return s.blockingQuery(w, r, func(ws memdb.WatchSet, st *state.StateStore) (any, uint64, error) {
		evals, err := st.EvalsByJob(ws, ns, id)
		if err != nil {
			return nil, 0, err
		}
		out := make([]*api.Evaluation, 0, len(evals))
		for _, e := range evals {
			out = append(out, StructsEvalToApi(e))
		}
		sort.Slice(out, func(i, k int) bool { return out[i].CreateIndex > out[k].CreateIndex })
		idx, err := maxIndex(st, "evals")
		return out, idx, err
	})
}

func (s *HTTPServer) jobSummaryRequest(w http.ResponseWriter, r *http.Request, ns, id string) (any, error) {
	return s.blockingQuery(w, r, func(ws memdb.WatchSet, st *state.StateStore) (any, uint64, error) {
		job, err := st.JobByID(ws, ns, id)
		if err != nil {
			return nil, 0, err
		}
		if job == nil {
			return nil, 0, notFound("job not found")
		}
		allocs, err := st.AllocsByJob(ws, ns, id)
		if err != nil {
			return nil, 0, err
		}
		idx, err := maxIndex(st, "jobs", "allocs")
		return jobSummary(job, allocs), idx, err
	})
}

func (s *HTTPServer) jobVersions(w http.ResponseWriter, r *http.Request, ns, id string) (any, error) {
	return s.blockingQuery(w, r, func(ws memdb.WatchSet, st *state.StateStore) (any, uint64, error) {
		versions, err := st.JobVersionsByID(ws, ns, id)
		if err != nil {
			return nil, 0, err
		}
		if len(versions) == 0 {
			return nil, 0, notFound("job versions not found")
		}
		out := &api.JobVersionsResponse{}
		for _, v := range versions {
			out.Versions = append(out.Versions, StructsJobToApi(v))
		}
		idx, err := maxIndex(st, "jobs")
		return out, idx, err
	})
}

// jobSummary counts a job's allocations per group and client status, as Nomad's
// job summary does.
func jobSummary(job *structs.Job, allocs []*structs.Allocation) *api.JobSummary {
	sum := &api.JobSummary{
		JobID:       job.ID,
		Namespace:   job.Namespace,
		Summary:     map[string]api.TaskGroupSummary{},
		CreateIndex: job.CreateIndex,
		ModifyIndex: job.ModifyIndex,
	}
	for _, tg := range job.TaskGroups {
		sum.Summary[tg.Name] = api.TaskGroupSummary{}
	}
	for _, a := range allocs {
		tgs := sum.Summary[a.TaskGroup]
		switch a.ClientStatus {
		case structs.AllocClientStatusPending:
			tgs.Starting++
		case structs.AllocClientStatusRunning:
			tgs.Running++
		case structs.AllocClientStatusComplete:
			tgs.Complete++
		case structs.AllocClientStatusFailed:
			tgs.Failed++
		case structs.AllocClientStatusLost:
			tgs.Lost++
		}
		sum.Summary[a.TaskGroup] = tgs
	}
	return sum
}

// maxIndex is the highest index of the named tables.
func maxIndex(st *state.StateStore, tables ...string) (uint64, error) {
	var max uint64
	for _, t := range tables {
		idx, err := st.Index(t)
		if err != nil {
			return 0, err
		}
		if idx > max {
			max = idx
		}
	}
	return max, nil
}

func sortAllocStubs(out []*api.AllocationListStub) {
	sort.Slice(out, func(i, k int) bool {
		if out[i].CreateIndex != out[k].CreateIndex {
			return out[i].CreateIndex > out[k].CreateIndex
		}
		return out[i].ID < out[k].ID
	})
}

// splitErrors turns a multi-error's text into its individual messages.
func splitErrors(err error) []string {
	type multi interface{ WrappedErrors() []error }
	if m, ok := err.(multi); ok {
		var out []string
		for _, e := range m.WrappedErrors() {
			out = append(out, e.Error())
		}
		return out
	}
	type joined interface{ Unwrap() []error }
	if j, ok := err.(joined); ok {
		var out []string
		for _, e := range j.Unwrap() {
			out = append(out, e.Error())
		}
		return out
	}
	return []string{err.Error()}
}

// internalJob converts a submitted job and fills what the agent knows: its region
// when the job names none. Register, plan and validate all see the same job.
func (s *HTTPServer) internalJob(job *api.Job) *structs.Job {
	out := ApiJobToStructs(job)
	if out.Region == "" {
		out.Region = s.agent.config.Region
	}
	return out
}
