package state

import (
	"fmt"

	"github.com/hashicorp/go-memdb"
	"github.com/netnomad/netnomad/nomad/structs"
)

// UpsertEvals inserts or updates evaluations at index; the store takes ownership of
// them. CreateIndex is kept from an existing evaluation, ModifyIndex set to index.
// The status of each evaluation's job is re-derived.
func (s *StateStore) UpsertEvals(index uint64, evals []*structs.Evaluation) error {
	txn := s.db.Txn(true)
	defer txn.Abort()
	jobs := map[jobKey]struct{}{}
	for _, e := range evals {
		if e.ID == "" {
			return fmt.Errorf("evaluation without an ID")
		}
		raw, err := txn.First(TableEvals, "id", e.ID)
		if err != nil {
			return fmt.Errorf("failed to look up evaluation %q: %w", e.ID, err)
		}
		if raw != nil {
			e.CreateIndex = raw.(*structs.Evaluation).CreateIndex
		} else {
			e.CreateIndex = index
		}
		e.ModifyIndex = index
		if err := txn.Insert(TableEvals, e); err != nil {
			return fmt.Errorf("failed to insert evaluation %q: %w", e.ID, err)
		}
		jobs[jobKey{e.Namespace, e.JobID}] = struct{}{}
	}
	if err := bumpIndex(txn, TableEvals, index); err != nil {
		return err
	}
	if err := refreshJobStatuses(txn, index, jobs); err != nil {
		return err
	}
	txn.Commit()
	return nil
}

// EvalByID returns the evaluation, or nil.
func (s *StateStore) EvalByID(ws memdb.WatchSet, id string) (*structs.Evaluation, error) {
	txn := s.db.Txn(false)
	ch, raw, err := txn.FirstWatch(TableEvals, "id", id)
	if err != nil {
		return nil, fmt.Errorf("failed to look up evaluation %q: %w", id, err)
	}
	watch(ws, ch)
	if raw == nil {
		return nil, nil
	}
	return raw.(*structs.Evaluation), nil
}

// Evals returns the evaluations whose ID starts with prefix, ordered by ID.
func (s *StateStore) Evals(ws memdb.WatchSet, prefix string) ([]*structs.Evaluation, error) {
	txn := s.db.Txn(false)
	iter, err := txn.Get(TableEvals, "id_prefix", prefix)
	if err != nil {
		return nil, fmt.Errorf("failed to list evaluations: %w", err)
	}
	watch(ws, iter.WatchCh())
	var out []*structs.Evaluation
	for raw := iter.Next(); raw != nil; raw = iter.Next() {
		out = append(out, raw.(*structs.Evaluation))
	}
	return out, nil
}

// EvalsByJob returns the evaluations of a job.
func (s *StateStore) EvalsByJob(ws memdb.WatchSet, namespace, jobID string) ([]*structs.Evaluation, error) {
	return evalsByJob(s.db.Txn(false), ws, namespace, jobID)
}

func evalsByJob(txn *memdb.Txn, ws memdb.WatchSet, namespace, jobID string) ([]*structs.Evaluation, error) {
	iter, err := txn.Get(TableEvals, "job", namespace, jobID)
	if err != nil {
		return nil, fmt.Errorf("failed to list evaluations of job %q: %w", jobID, err)
	}
	watch(ws, iter.WatchCh())
	var out []*structs.Evaluation
	for raw := iter.Next(); raw != nil; raw = iter.Next() {
		out = append(out, raw.(*structs.Evaluation))
	}
	return out, nil
}
