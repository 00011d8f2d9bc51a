package state

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/netnomad/netnomad/nomad/structs"
)

// Dump is the whole state store as plain data: what a raft snapshot persists.
type Dump struct {
	Indexes     []*IndexEntry
	Jobs        []*structs.Job
	JobVersions []*structs.Job
	Evals       []*structs.Evaluation
	Allocs      []*structs.Allocation
	Nodes       []*structs.Node
}

// Dump returns every object of the snapshot. The objects are shared with the
// store: callers must not mutate them.
func (s *StateSnapshot) Dump() (*Dump, error) {
	txn := s.db.Txn(false)
	d := &Dump{}
	each := func(table string, f func(any)) error {
		iter, err := txn.Get(table, "id")
		if err != nil {
			return fmt.Errorf("failed to list table %q: %w", table, err)
		}
		for raw := iter.Next(); raw != nil; raw = iter.Next() {
			f(raw)
		}
		return nil
	}
	for _, t := range []struct {
		name string
		f    func(any)
	}{
		{TableIndex, func(o any) { d.Indexes = append(d.Indexes, o.(*IndexEntry)) }},
		{TableJobs, func(o any) { d.Jobs = append(d.Jobs, o.(*structs.Job)) }},
		{TableJobVersions, func(o any) { d.JobVersions = append(d.JobVersions, o.(*structs.Job)) }},
		{TableEvals, func(o any) { d.Evals = append(d.Evals, o.(*structs.Evaluation)) }},
		{TableAllocs, func(o any) { d.Allocs = append(d.Allocs, o.(*structs.Allocation)) }},
		{TableNodes, func(o any) { d.Nodes = append(d.Nodes, o.(*structs.Node)) }},
	} {
		if err := each(t.name, t.f); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// Persist writes the snapshot as one JSON document.
func (s *StateSnapshot) Persist(w io.Writer) error {
	d, err := s.Dump()
	if err != nil {
		return err
	}
	if err := json.NewEncoder(w).Encode(d); err != nil {
		return fmt.Errorf("failed to encode state snapshot: %w", err)
	}
	return nil
}

// Restore replaces the whole content of the store with a snapshot written by
// Persist, in one transaction: readers see either the old or the new state.
func (s *StateStore) Restore(r io.Reader) error {
	var d Dump
	if err := json.NewDecoder(r).Decode(&d); err != nil {
		return fmt.Errorf("failed to decode state snapshot: %w", err)
	}
	txn := s.db.Txn(true)
	defer txn.Abort()
	for _, table := range []string{TableIndex, TableJobs, TableJobVersions, TableEvals, TableAllocs, TableNodes} {
		if _, err := txn.DeleteAll(table, "id"); err != nil {
			return fmt.Errorf("failed to clear table %q: %w", table, err)
		}
	}
	insert := func(table string, objs ...any) error {
		for _, o := range objs {
			if err := txn.Insert(table, o); err != nil {
				return fmt.Errorf("failed to restore into table %q: %w", table, err)
			}
		}
		return nil
	}
	var err error
	for _, o := range d.Indexes {
		err = firstErr(err, insert(TableIndex, o))
	}
	for _, o := range d.Jobs {
		err = firstErr(err, insert(TableJobs, o))
	}
	for _, o := range d.JobVersions {
		err = firstErr(err, insert(TableJobVersions, o))
	}
	for _, o := range d.Evals {
		err = firstErr(err, insert(TableEvals, o))
	}
	for _, o := range d.Allocs {
		err = firstErr(err, insert(TableAllocs, o))
	}
	for _, o := range d.Nodes {
		err = firstErr(err, insert(TableNodes, o))
	}
	if err != nil {
		return err
	}
	txn.Commit()
	return nil
}

func firstErr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}
