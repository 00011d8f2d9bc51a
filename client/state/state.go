// Package state persists what the client needs to restore its allocations after
// an agent restart: the allocations, each task's driver handle and state, and each
// allocation's network status.
package state

import (
	"github.com/netnomad/netnomad/drivers"
	"github.com/netnomad/netnomad/nomad/structs"
)

// LocalState is what a task runner persists for itself (never sent to servers).
type LocalState struct {
	// TaskHandle re-attaches to the running task; nil when no task is running.
	TaskHandle *drivers.TaskHandle
}

// StateDB is the client's persistent store. All methods are safe for concurrent
// use. Getters return (nil, nil) for things that were never stored.
type StateDB interface {
	// GetAllAllocations returns every stored allocation.
	GetAllAllocations() ([]*structs.Allocation, error)
	PutAllocation(alloc *structs.Allocation) error

	GetNetworkStatus(allocID string) (*structs.AllocNetworkStatus, error)
	PutNetworkStatus(allocID string, status *structs.AllocNetworkStatus) error

	GetTaskRunnerState(allocID, task string) (*LocalState, *structs.TaskState, error)
	PutTaskRunnerLocalState(allocID, task string, ls *LocalState) error
	PutTaskState(allocID, task string, ts *structs.TaskState) error

	// DeleteAllocationBucket removes everything stored for the allocation.
	// Deleting an unknown allocation is not an error.
	DeleteAllocationBucket(allocID string) error

	Close() error
}
