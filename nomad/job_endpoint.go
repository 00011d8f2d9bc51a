package nomad

import (
	"errors"
	"fmt"
	"time"

	"github.com/netnomad/netnomad/nomad/structs"
)

// RegisterEnforceIndexErrPrefix starts the error of a register whose
// EnforceIndex check failed; the CLI looks for it (`nomad job run -check-index`).
const RegisterEnforceIndexErrPrefix = "Enforcing job modify index"

// JobRegisterRequest registers (creates or updates) a job.
type JobRegisterRequest struct {
	Job *structs.Job
	// EnforceIndex registers only when the job's current JobModifyIndex equals
	// JobModifyIndex (0: only when the job does not exist).
	EnforceIndex   bool
	JobModifyIndex uint64
}

// JobRegisterResponse is what a register did.
type JobRegisterResponse struct {
	EvalID                          string
	EvalCreateIndex, JobModifyIndex uint64
	Warnings                        string
	Index                           uint64
}

// JobRegister admits the job (canonicalize, mutators, validators), stores it
// (a new version when its spec changed) and creates a job-register evaluation,
// which is queued for the scheduler. Invalid jobs and failed EnforceIndex checks
// return a structs.BadRequest error. The caller's job is not modified.
func (s *Server) JobRegister(req *JobRegisterRequest) (*JobRegisterResponse, error) {
	if req == nil || req.Job == nil {
		return nil, structs.BadRequest(errors.New("missing job for registration"))
	}
	job, warnings, err := s.admissionControl(req.Job.Copy())
	if err != nil {
		return nil, err
	}

	existing, err := s.state.JobByID(nil, job.Namespace, job.ID)
	if err != nil {
		return nil, err
	}
	if req.EnforceIndex {
		if err := checkEnforceIndex(existing, req.JobModifyIndex); err != nil {
			return nil, err
		}
	}

	now := time.Now().UnixNano()
	job.SubmitTime = now
	// The FSM sets the eval's JobModifyIndex to the version it stores.
	eval := newJobEval(job, structs.EvalTriggerJobRegister, now)
	index, err := s.raftApply(JobRegisterRequestType, &JobRegisterApply{Job: job, Eval: eval})
	if err != nil {
		return nil, fmt.Errorf("failed to register job %q: %w", job.ID, err)
	}
	// The FSM applied a copy of the request: read the job's modify index back.
	var jobModifyIndex uint64
	if stored, err := s.state.JobByID(nil, job.Namespace, job.ID); err == nil && stored != nil {
		jobModifyIndex = stored.JobModifyIndex
	}
	return &JobRegisterResponse{
		EvalID:          eval.ID,
		EvalCreateIndex: index,
		JobModifyIndex:  jobModifyIndex,
		Warnings:        mergeWarnings(warnings),
		Index:           index,
	}, nil
}

func checkEnforceIndex(existing *structs.Job, want uint64) error {
	switch {
	case existing != nil && want == 0:
		return structs.BadRequest(fmt.Errorf("%s 0: job already exists", RegisterEnforceIndexErrPrefix))
	case existing != nil && want != existing.JobModifyIndex:
		return structs.BadRequest(fmt.Errorf("%s %d: job exists with conflicting job modify index: %d",
			RegisterEnforceIndexErrPrefix, want, existing.JobModifyIndex))
	case existing == nil && want != 0:
		return structs.BadRequest(fmt.Errorf("%s %d: job does not exist", RegisterEnforceIndexErrPrefix, want))
	}
	return nil
}

// JobValidate runs the admission chain on a copy of job and reports its warnings
// and, as a structs.BadRequest, every validation error.
func (s *Server) JobValidate(job *structs.Job) (warnings []string, err error) {
	if job == nil {
		return nil, structs.BadRequest(errors.New("missing job to validate"))
	}
	_, ws, err := s.admissionControl(job.Copy())
	for _, w := range ws {
		for _, f := range flattenErrors(w) {
			warnings = append(warnings, f.Error())
		}
	}
	return warnings, err
}

// JobDeregisterResponse is what a deregister did.
type JobDeregisterResponse struct {
	EvalID                          string
	EvalCreateIndex, JobModifyIndex uint64
	Index                           uint64
}

// JobDeregister stops the job (or, with purge, deletes it and its versions) and
// creates a job-deregister evaluation so the scheduler stops its allocations.
// An unknown job is a structs.ErrNotFound.
func (s *Server) JobDeregister(namespace, jobID string, purge bool) (*JobDeregisterResponse, error) {
	if jobID == "" {
		return nil, structs.BadRequest(errors.New("missing job ID for deregistering"))
	}
	if namespace == "" {
		namespace = structs.DefaultNamespace
	}
	job, err := s.state.JobByID(nil, namespace, jobID)
	if err != nil {
		return nil, err
	}
	if job == nil {
		return nil, fmt.Errorf("job %q not found: %w", jobID, structs.ErrNotFound)
	}
	now := time.Now().UnixNano()
	// The FSM sets the eval's JobModifyIndex to the deregistration's index.
	eval := newJobEval(job, structs.EvalTriggerJobDeregister, now)
	index, err := s.raftApply(JobDeregisterRequestType, &JobDeregisterApply{
		Namespace: namespace, JobID: jobID, Purge: purge, Eval: eval,
	})
	if err != nil {
		return nil, fmt.Errorf("failed to deregister job %q: %w", jobID, err)
	}
	return &JobDeregisterResponse{
		EvalID:          eval.ID,
		EvalCreateIndex: index,
		JobModifyIndex:  index,
		Index:           index,
	}, nil
}
