package state

import (
	"fmt"

	"github.com/hashicorp/go-memdb"
	"github.com/netnomad/netnomad/nomad/structs"
)

// jobStatus derives a job's status as Nomad does:
//
//	running  any allocation is not terminal
//	pending  otherwise, any evaluation is not terminal, or nothing happened yet
//	dead     otherwise (all allocations and evaluations terminal: stopped, or a
//	         finished batch job)
func jobStatus(txn *memdb.Txn, job *structs.Job) (string, error) {
	allocs, err := allocsByJob(txn, nil, job.Namespace, job.ID)
	if err != nil {
		return "", err
	}
	for _, a := range allocs {
		if !a.TerminalStatus() {
			return structs.JobStatusRunning, nil
		}
	}
	evals, err := evalsByJob(txn, nil, job.Namespace, job.ID)
	if err != nil {
		return "", err
	}
	for _, e := range evals {
		if !e.TerminalStatus() {
			return structs.JobStatusPending, nil
		}
	}
	if len(allocs) > 0 || len(evals) > 0 {
		return structs.JobStatusDead, nil
	}
	return structs.JobStatusPending, nil
}

// jobKey names a job within the store.
type jobKey struct{ namespace, id string }

// refreshJobStatuses re-derives the status of each job and writes the ones that
// changed (as a copy with ModifyIndex = index). Missing jobs (purged) are skipped.
func refreshJobStatuses(txn *memdb.Txn, index uint64, jobs map[jobKey]struct{}) error {
	changed := false
	for k := range jobs {
		job, err := jobByID(txn, nil, k.namespace, k.id)
		if err != nil {
			return err
		}
		if job == nil {
			continue
		}
		status, err := jobStatus(txn, job)
		if err != nil {
			return err
		}
		if status == job.Status {
			continue
		}
		// Stored jobs are immutable; a shallow copy shares the unchanged spec.
		updated := *job
		updated.Status = status
		updated.ModifyIndex = index
		if err := txn.Insert(TableJobs, &updated); err != nil {
			return fmt.Errorf("failed to update status of job %q: %w", job.ID, err)
		}
		changed = true
	}
	if changed {
		return bumpIndex(txn, TableJobs, index)
	}
	return nil
}
