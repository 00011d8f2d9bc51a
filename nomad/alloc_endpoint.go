package nomad

import (
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/netnomad/netnomad/nomad/structs"
)

// allocStopDesc is the DesiredDescription of an allocation a user stopped
// (Nomad migrates it, and says so).
const allocStopDesc = "alloc is being migrated"

// AllocStop stops one allocation and creates an alloc-stop evaluation, so the
// scheduler places a replacement (for service jobs). An unknown allocation is a
// structs.ErrNotFound.
func (s *Server) AllocStop(allocID string) (evalID string, index uint64, err error) {
	if allocID == "" {
		return "", 0, structs.BadRequest(errors.New("missing allocation ID"))
	}
	alloc, err := s.state.AllocByID(nil, allocID)
	if err != nil {
		return "", 0, err
	}
	if alloc == nil {
		return "", 0, fmt.Errorf("allocation %q not found: %w", allocID, structs.ErrNotFound)
	}
	job := alloc.Job
	if current, err := s.state.JobByID(nil, alloc.Namespace, alloc.JobID); err != nil {
		return "", 0, err
	} else if current != nil {
		job = current
	}

	now := time.Now().UnixNano()
	stop := alloc.CopySkipJob()
	stop.DesiredStatus = structs.AllocDesiredStatusStop
	stop.DesiredDescription = allocStopDesc
	stop.ModifyTime = now
	eval := &structs.Evaluation{
		ID:          uuid.NewString(),
		Namespace:   alloc.Namespace,
		TriggeredBy: structs.EvalTriggerAllocStop,
		JobID:       alloc.JobID,
		Status:      structs.EvalStatusPending,
		CreateTime:  now,
		ModifyTime:  now,
	}
	if job != nil {
		eval.Priority, eval.Type, eval.JobModifyIndex = job.Priority, job.Type, job.JobModifyIndex
	}
	index, err = s.raftApply(AllocUpdateRequestType, &AllocUpdateApply{
		Allocs: []*structs.Allocation{stop},
		Evals:  []*structs.Evaluation{eval},
	})
	if err != nil {
		return "", 0, fmt.Errorf("failed to stop allocation %q: %w", allocID, err)
	}
	return eval.ID, index, nil
}
