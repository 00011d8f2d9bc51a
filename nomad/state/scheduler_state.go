package state

import (
	"github.com/netnomad/netnomad/nomad/structs"
	"github.com/netnomad/netnomad/scheduler"
)

// SchedulerState adapts a snapshot to scheduler.State (reads without watch sets).
type SchedulerState struct {
	snap *StateSnapshot
}

var _ scheduler.State = (*SchedulerState)(nil)

// NewSchedulerState returns the scheduler's view of snap.
func NewSchedulerState(snap *StateSnapshot) *SchedulerState {
	return &SchedulerState{snap: snap}
}

// Snapshot returns the snapshot behind the view.
func (s *SchedulerState) Snapshot() *StateSnapshot { return s.snap }

func (s *SchedulerState) Nodes() ([]*structs.Node, error) { return s.snap.Nodes(nil, "") }

func (s *SchedulerState) NodeByID(id string) (*structs.Node, error) { return s.snap.NodeByID(nil, id) }

func (s *SchedulerState) JobByID(namespace, id string) (*structs.Job, error) {
	return s.snap.JobByID(nil, namespace, id)
}

func (s *SchedulerState) AllocsByJob(namespace, jobID string) ([]*structs.Allocation, error) {
	return s.snap.AllocsByJob(nil, namespace, jobID)
}

func (s *SchedulerState) AllocsByNode(nodeID string) ([]*structs.Allocation, error) {
	return s.snap.AllocsByNode(nil, nodeID)
}

func (s *SchedulerState) LatestIndex() (uint64, error) { return s.snap.LatestIndex() }
