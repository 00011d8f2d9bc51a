package state

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/go-memdb"
	"github.com/netnomad/netnomad/nomad/structs"
)

// JobTrackedVersions is how many versions of a job are kept, as in Nomad.
const JobTrackedVersions = 6

// UpsertJob inserts or updates a job at index. The store takes ownership of job.
//
// A new job gets CreateIndex, ModifyIndex and JobModifyIndex = index and version 0.
// An update whose spec differs from the stored one keeps CreateIndex, bumps the
// version and sets ModifyIndex and JobModifyIndex; an update with an identical spec
// (only server-owned fields differ) changes nothing. Status is derived from the
// job's allocations and evaluations. The last JobTrackedVersions versions are kept.
func (s *StateStore) UpsertJob(index uint64, job *structs.Job) error {
	if job == nil {
		return fmt.Errorf("missing job")
	}
	txn := s.db.Txn(true)
	defer txn.Abort()
	raw, err := txn.First(TableJobs, "id", job.Namespace, job.ID)
	if err != nil {
		return fmt.Errorf("failed to look up job %q: %w", job.ID, err)
	}
	if raw != nil {
		existing := raw.(*structs.Job)
		if !specChanged(existing, job) {
			return nil
		}
		job.CreateIndex = existing.CreateIndex
		job.Version = existing.Version + 1
		job.Stable = false
	} else {
		job.CreateIndex = index
		job.Version = 0
	}
	job.ModifyIndex = index
	job.JobModifyIndex = index
	job.Status, err = jobStatus(txn, job)
	if err != nil {
		return err
	}
	job.StatusDescription = ""
	if err := txn.Insert(TableJobs, job); err != nil {
		return fmt.Errorf("failed to insert job %q: %w", job.ID, err)
	}
	if err := upsertJobVersion(txn, job); err != nil {
		return err
	}
	if err := bumpIndex(txn, TableJobs, index); err != nil {
		return err
	}
	if err := bumpIndex(txn, TableJobVersions, index); err != nil {
		return err
	}
	txn.Commit()
	return nil
}

func upsertJobVersion(txn *memdb.Txn, job *structs.Job) error {
	if err := txn.Insert(TableJobVersions, job); err != nil {
		return fmt.Errorf("failed to insert version %d of job %q: %w", job.Version, job.ID, err)
	}
	versions, err := jobVersions(txn, nil, job.Namespace, job.ID)
	if err != nil {
		return err
	}
	for _, old := range versions[min(len(versions), JobTrackedVersions):] {
		if err := txn.Delete(TableJobVersions, old); err != nil {
			return fmt.Errorf("failed to prune version %d of job %q: %w", old.Version, job.ID, err)
		}
	}
	return nil
}

// DeleteJob purges the job and all its versions at index. Its evaluations and
// allocations stay (the scheduler stops the allocations).
func (s *StateStore) DeleteJob(index uint64, namespace, id string) error {
	txn := s.db.Txn(true)
	defer txn.Abort()
	raw, err := txn.First(TableJobs, "id", namespace, id)
	if err != nil {
		return fmt.Errorf("failed to look up job %q: %w", id, err)
	}
	if raw == nil {
		return fmt.Errorf("job %q in namespace %q: %w", id, namespace, structs.ErrNotFound)
	}
	if err := txn.Delete(TableJobs, raw); err != nil {
		return fmt.Errorf("failed to delete job %q: %w", id, err)
	}
	versions, err := jobVersions(txn, nil, namespace, id)
	if err != nil {
		return err
	}
	for _, v := range versions {
		if err := txn.Delete(TableJobVersions, v); err != nil {
			return fmt.Errorf("failed to delete version %d of job %q: %w", v.Version, id, err)
		}
	}
	if err := bumpIndex(txn, TableJobs, index); err != nil {
		return err
	}
	if err := bumpIndex(txn, TableJobVersions, index); err != nil {
		return err
	}
	txn.Commit()
	return nil
}

// JobByID returns the job, or nil when it does not exist.
func (s *StateStore) JobByID(ws memdb.WatchSet, namespace, id string) (*structs.Job, error) {
	return jobByID(s.db.Txn(false), ws, namespace, id)
}

func jobByID(txn *memdb.Txn, ws memdb.WatchSet, namespace, id string) (*structs.Job, error) {
	ch, raw, err := txn.FirstWatch(TableJobs, "id", namespace, id)
	if err != nil {
		return nil, fmt.Errorf("failed to look up job %q: %w", id, err)
	}
	watch(ws, ch)
	if raw == nil {
		return nil, nil
	}
	return raw.(*structs.Job), nil
}

// Jobs returns the jobs of namespace ("" or "*" for all) whose ID starts with
// prefix, ordered by namespace then ID.
func (s *StateStore) Jobs(ws memdb.WatchSet, namespace, prefix string) ([]*structs.Job, error) {
	txn := s.db.Txn(false)
	var iter memdb.ResultIterator
	var err error
	allNS := namespace == "" || namespace == "*"
	if allNS {
		iter, err = txn.Get(TableJobs, "id")
	} else {
		iter, err = txn.Get(TableJobs, "id_prefix", namespace, prefix)
	}
	if err != nil {
		return nil, fmt.Errorf("failed to list jobs: %w", err)
	}
	watch(ws, iter.WatchCh())
	var out []*structs.Job
	for raw := iter.Next(); raw != nil; raw = iter.Next() {
		j := raw.(*structs.Job)
		if allNS && !strings.HasPrefix(j.ID, prefix) {
			continue
		}
		out = append(out, j)
	}
	return out, nil
}

// JobVersionsByID returns the tracked versions of a job, newest first.
func (s *StateStore) JobVersionsByID(ws memdb.WatchSet, namespace, id string) ([]*structs.Job, error) {
	return jobVersions(s.db.Txn(false), ws, namespace, id)
}

func jobVersions(txn *memdb.Txn, ws memdb.WatchSet, namespace, id string) ([]*structs.Job, error) {
	iter, err := txn.Get(TableJobVersions, "id_prefix", namespace, id)
	if err != nil {
		return nil, fmt.Errorf("failed to list versions of job %q: %w", id, err)
	}
	watch(ws, iter.WatchCh())
	var out []*structs.Job
	for raw := iter.Next(); raw != nil; raw = iter.Next() {
		j := raw.(*structs.Job)
		// The prefix scan also matches jobs whose ID extends id.
		if j.ID != id {
			continue
		}
		out = append(out, j)
	}
	sort.Slice(out, func(a, b int) bool { return out[a].Version > out[b].Version })
	return out, nil
}

// JobByIDAndVersion returns one tracked version of a job, or nil.
func (s *StateStore) JobByIDAndVersion(ws memdb.WatchSet, namespace, id string, version uint64) (*structs.Job, error) {
	txn := s.db.Txn(false)
	ch, raw, err := txn.FirstWatch(TableJobVersions, "id", namespace, id, version)
	if err != nil {
		return nil, fmt.Errorf("failed to look up version %d of job %q: %w", version, id, err)
	}
	watch(ws, ch)
	if raw == nil {
		return nil, nil
	}
	return raw.(*structs.Job), nil
}

// specChanged reports whether the user-visible spec of a job differs, ignoring the
// fields the server owns. It uses Job.SpecChanged when structs provides one.
func specChanged(old, updated *structs.Job) bool {
	if sc, ok := any(old).(interface{ SpecChanged(*structs.Job) bool }); ok {
		return sc.SpecChanged(updated)
	}
	return !bytes.Equal(specJSON(old), specJSON(updated))
}

func specJSON(j *structs.Job) []byte {
	c := *j
	c.Status, c.StatusDescription, c.Stable, c.Version, c.SubmitTime = "", "", false, 0, 0
	c.CreateIndex, c.ModifyIndex, c.JobModifyIndex = 0, 0, 0
	b, err := json.Marshal(&c)
	if err != nil {
		// Jobs are plain data; treat an unencodable job as changed.
		return nil
	}
	return b
}
