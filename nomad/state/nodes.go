package state

import (
	"fmt"

	"github.com/hashicorp/go-memdb"
	"github.com/netnomad/netnomad/nomad/structs"
)

// UpsertNode inserts or updates a node at index; the store takes ownership of it.
// CreateIndex is kept from an existing node, ModifyIndex set to index; an empty
// SchedulingEligibility is kept from the existing node, or set to eligible.
func (s *StateStore) UpsertNode(index uint64, node *structs.Node) error {
	if node == nil || node.ID == "" {
		return fmt.Errorf("node without an ID")
	}
	txn := s.db.Txn(true)
	defer txn.Abort()
	raw, err := txn.First(TableNodes, "id", node.ID)
	if err != nil {
		return fmt.Errorf("failed to look up node %q: %w", node.ID, err)
	}
	node.CreateIndex = index
	if raw != nil {
		existing := raw.(*structs.Node)
		node.CreateIndex = existing.CreateIndex
		if node.SchedulingEligibility == "" {
			node.SchedulingEligibility = existing.SchedulingEligibility
		}
	}
	if node.SchedulingEligibility == "" {
		node.SchedulingEligibility = structs.NodeSchedulingEligible
	}
	node.ModifyIndex = index
	if err := txn.Insert(TableNodes, node); err != nil {
		return fmt.Errorf("failed to insert node %q: %w", node.ID, err)
	}
	if err := bumpIndex(txn, TableNodes, index); err != nil {
		return err
	}
	txn.Commit()
	return nil
}

// UpdateNodeStatus sets a node's status at index.
func (s *StateStore) UpdateNodeStatus(index uint64, nodeID, status string, updatedAt int64) error {
	txn := s.db.Txn(true)
	defer txn.Abort()
	raw, err := txn.First(TableNodes, "id", nodeID)
	if err != nil {
		return fmt.Errorf("failed to look up node %q: %w", nodeID, err)
	}
	if raw == nil {
		return fmt.Errorf("node %q: %w", nodeID, structs.ErrNotFound)
	}
	updated := raw.(*structs.Node).Copy()
	updated.Status = status
	updated.StatusUpdatedAt = updatedAt
	updated.ModifyIndex = index
	if err := txn.Insert(TableNodes, updated); err != nil {
		return fmt.Errorf("failed to update node %q: %w", nodeID, err)
	}
	if err := bumpIndex(txn, TableNodes, index); err != nil {
		return err
	}
	txn.Commit()
	return nil
}

// NodeByID returns the node, or nil.
func (s *StateStore) NodeByID(ws memdb.WatchSet, id string) (*structs.Node, error) {
	txn := s.db.Txn(false)
	ch, raw, err := txn.FirstWatch(TableNodes, "id", id)
	if err != nil {
		return nil, fmt.Errorf("failed to look up node %q: %w", id, err)
	}
	watch(ws, ch)
	if raw == nil {
		return nil, nil
	}
	return raw.(*structs.Node), nil
}

// Nodes returns the nodes whose ID starts with prefix, ordered by ID.
func (s *StateStore) Nodes(ws memdb.WatchSet, prefix string) ([]*structs.Node, error) {
	txn := s.db.Txn(false)
	iter, err := txn.Get(TableNodes, "id_prefix", prefix)
	if err != nil {
		return nil, fmt.Errorf("failed to list nodes: %w", err)
	}
	watch(ws, iter.WatchCh())
	var out []*structs.Node
	for raw := iter.Next(); raw != nil; raw = iter.Next() {
		out = append(out, raw.(*structs.Node))
	}
	return out, nil
}
