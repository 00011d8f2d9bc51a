package nomad

import (
	"github.com/google/uuid"
	"github.com/netnomad/netnomad/nomad/structs"
)

// newJobEval returns a pending evaluation of job, created at now (Unix
// nanoseconds), for the job's current version.
func newJobEval(job *structs.Job, triggeredBy string, now int64) *structs.Evaluation {
	return &structs.Evaluation{
		ID:             uuid.NewString(),
		Namespace:      job.Namespace,
		Priority:       job.Priority,
		Type:           job.Type,
		TriggeredBy:    triggeredBy,
		JobID:          job.ID,
		JobModifyIndex: job.JobModifyIndex,
		Status:         structs.EvalStatusPending,
		CreateTime:     now,
		ModifyTime:     now,
	}
}
