package state

import (
	"fmt"

	"github.com/hashicorp/go-memdb"
	"github.com/netnomad/netnomad/nomad/structs"
)

// UpsertAllocs writes allocations decided by the server (plan results, stops) at
// index; the store takes ownership of them. For an existing allocation the
// client-owned fields (ClientStatus, ClientDescription, TaskStates, NetworkStatus)
// are kept from the stored one (except a ClientStatus of lost set by the
// scheduler for allocations of down nodes), as is its Job when the update carries none. An
// allocation without a job gets its job's current version. CreateIndex is kept,
// ModifyIndex and AllocModifyIndex set to index. A new allocation that replaces
// another (PreviousAllocation) is recorded as that one's NextAllocation. Job
// statuses are re-derived.
func (s *StateStore) UpsertAllocs(index uint64, allocs []*structs.Allocation) error {
	txn := s.db.Txn(true)
	defer txn.Abort()
	jobs := map[jobKey]struct{}{}
	for _, a := range allocs {
		if a.ID == "" {
			return fmt.Errorf("allocation without an ID")
		}
		raw, err := txn.First(TableAllocs, "id", a.ID)
		if err != nil {
			return fmt.Errorf("failed to look up allocation %q: %w", a.ID, err)
		}
		if raw != nil {
			existing := raw.(*structs.Allocation)
			a.CreateIndex = existing.CreateIndex
			a.CreateTime = existing.CreateTime
			// The scheduler marks allocations of down nodes lost; keep that.
			if a.ClientStatus != structs.AllocClientStatusLost {
				a.ClientStatus = existing.ClientStatus
				a.ClientDescription = existing.ClientDescription
			}
			a.TaskStates = existing.TaskStates
			a.NetworkStatus = existing.NetworkStatus
			// The link to a replacement written earlier (maybe in this same
			// write) survives updates planned before it existed.
			if a.NextAllocation == "" {
				a.NextAllocation = existing.NextAllocation
			}
			if a.Job == nil {
				a.Job = existing.Job
			}
		} else {
			a.CreateIndex = index
			if a.ClientStatus == "" {
				a.ClientStatus = structs.AllocClientStatusPending
			}
			if err := linkReplacement(txn, index, a); err != nil {
				return err
			}
		}
		if a.Job == nil {
			job, err := jobByID(txn, nil, a.Namespace, a.JobID)
			if err != nil {
				return err
			}
			if job == nil {
				return fmt.Errorf("allocation %q has no job and job %q does not exist", a.ID, a.JobID)
			}
			a.Job = job
		}
		a.ModifyIndex = index
		a.AllocModifyIndex = index
		if err := txn.Insert(TableAllocs, a); err != nil {
			return fmt.Errorf("failed to insert allocation %q: %w", a.ID, err)
		}
		jobs[jobKey{a.Namespace, a.JobID}] = struct{}{}
	}
	if err := bumpIndex(txn, TableAllocs, index); err != nil {
		return err
	}
	if err := refreshJobStatuses(txn, index, jobs); err != nil {
		return err
	}
	txn.Commit()
	return nil
}

// linkReplacement sets NextAllocation on the allocation a replaces, once.
func linkReplacement(txn *memdb.Txn, index uint64, a *structs.Allocation) error {
	if a.PreviousAllocation == "" {
		return nil
	}
	raw, err := txn.First(TableAllocs, "id", a.PreviousAllocation)
	if err != nil {
		return fmt.Errorf("failed to look up allocation %q: %w", a.PreviousAllocation, err)
	}
	if raw == nil || raw.(*structs.Allocation).NextAllocation != "" {
		return nil
	}
	prev := raw.(*structs.Allocation).CopySkipJob()
	prev.NextAllocation = a.ID
	prev.ModifyIndex = index
	if err := txn.Insert(TableAllocs, prev); err != nil {
		return fmt.Errorf("failed to update allocation %q: %w", prev.ID, err)
	}
	return nil
}

// UpdateAllocsFromClient applies what a client reports at index: only
// ClientStatus, ClientDescription, TaskStates, NetworkStatus and ModifyTime are
// taken from each update (ID identifies the allocation). Unknown allocations are
// skipped. Job statuses are re-derived. freed reports whether an allocation
// became terminal on the client: its resources are free again.
func (s *StateStore) UpdateAllocsFromClient(index uint64, allocs []*structs.Allocation) (freed bool, err error) {
	txn := s.db.Txn(true)
	defer txn.Abort()
	jobs := map[jobKey]struct{}{}
	for _, u := range allocs {
		raw, err := txn.First(TableAllocs, "id", u.ID)
		if err != nil {
			return false, fmt.Errorf("failed to look up allocation %q: %w", u.ID, err)
		}
		if raw == nil {
			continue
		}
		existing := raw.(*structs.Allocation)
		updated := existing.CopySkipJob()
		updated.ClientStatus = u.ClientStatus
		updated.ClientDescription = u.ClientDescription
		updated.TaskStates = u.TaskStates
		updated.NetworkStatus = u.NetworkStatus
		updated.ModifyTime = u.ModifyTime
		updated.ModifyIndex = index
		if err := txn.Insert(TableAllocs, updated); err != nil {
			return false, fmt.Errorf("failed to update allocation %q: %w", u.ID, err)
		}
		if updated.ClientTerminalStatus() && !existing.ClientTerminalStatus() {
			freed = true
		}
		jobs[jobKey{updated.Namespace, updated.JobID}] = struct{}{}
	}
	if err := bumpIndex(txn, TableAllocs, index); err != nil {
		return false, err
	}
	if err := refreshJobStatuses(txn, index, jobs); err != nil {
		return false, err
	}
	txn.Commit()
	return freed, nil
}

// AllocByID returns the allocation, or nil.
func (s *StateStore) AllocByID(ws memdb.WatchSet, id string) (*structs.Allocation, error) {
	txn := s.db.Txn(false)
	ch, raw, err := txn.FirstWatch(TableAllocs, "id", id)
	if err != nil {
		return nil, fmt.Errorf("failed to look up allocation %q: %w", id, err)
	}
	watch(ws, ch)
	if raw == nil {
		return nil, nil
	}
	return raw.(*structs.Allocation), nil
}

// Allocs returns the allocations whose ID starts with prefix ("" for all), ordered
// by ID.
func (s *StateStore) Allocs(ws memdb.WatchSet, prefix string) ([]*structs.Allocation, error) {
	return s.allocsBy(ws, "id_prefix", prefix)
}

// AllocsByIDPrefix is Allocs; it exists under Nomad's name for ID-prefix lookups.
func (s *StateStore) AllocsByIDPrefix(ws memdb.WatchSet, prefix string) ([]*structs.Allocation, error) {
	return s.allocsBy(ws, "id_prefix", prefix)
}

// AllocsByJob returns every allocation of the job, terminal ones included.
func (s *StateStore) AllocsByJob(ws memdb.WatchSet, namespace, jobID string) ([]*structs.Allocation, error) {
	return allocsByJob(s.db.Txn(false), ws, namespace, jobID)
}

// AllocsByNode returns every allocation on the node, terminal ones included.
func (s *StateStore) AllocsByNode(ws memdb.WatchSet, nodeID string) ([]*structs.Allocation, error) {
	return s.allocsBy(ws, "node", nodeID)
}

// AllocsByEval returns the allocations an evaluation placed or updated.
func (s *StateStore) AllocsByEval(ws memdb.WatchSet, evalID string) ([]*structs.Allocation, error) {
	return s.allocsBy(ws, "eval", evalID)
}

func (s *StateStore) allocsBy(ws memdb.WatchSet, index string, args ...any) ([]*structs.Allocation, error) {
	return collectAllocs(s.db.Txn(false), ws, index, args...)
}

func allocsByJob(txn *memdb.Txn, ws memdb.WatchSet, namespace, jobID string) ([]*structs.Allocation, error) {
	return collectAllocs(txn, ws, "job", namespace, jobID)
}

func collectAllocs(txn *memdb.Txn, ws memdb.WatchSet, index string, args ...any) ([]*structs.Allocation, error) {
	iter, err := txn.Get(TableAllocs, index, args...)
	if err != nil {
		return nil, fmt.Errorf("failed to list allocations by %s: %w", index, err)
	}
	watch(ws, iter.WatchCh())
	var out []*structs.Allocation
	for raw := iter.Next(); raw != nil; raw = iter.Next() {
		out = append(out, raw.(*structs.Allocation))
	}
	return out, nil
}
