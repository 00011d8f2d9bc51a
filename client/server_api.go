package client

import (
	"context"
	"time"

	"github.com/netnomad/netnomad/nomad/structs"
)

// ServerAPI is what a client needs from the servers. In `-dev` the agent passes an
// in-process adapter over nomad.Server; separate client agents use HTTP.
// All methods are safe for concurrent use.
type ServerAPI interface {
	// RegisterNode creates or updates the node (status, attributes, resources).
	RegisterNode(ctx context.Context, node *structs.Node) error
	// Heartbeat tells the servers the node is alive; it returns the TTL after which
	// the node is considered down without another heartbeat.
	Heartbeat(ctx context.Context, nodeID string) (time.Duration, error)
	// GetAllocs blocks until the node's allocations change past minIndex (or ctx
	// ends, or about five minutes pass) and returns them all with the new index.
	GetAllocs(ctx context.Context, nodeID string, minIndex uint64) ([]*structs.Allocation, uint64, error)
	// UpdateAllocs reports client-side fields: ClientStatus, ClientDescription,
	// TaskStates, NetworkStatus (ID and NodeID identify the allocation).
	UpdateAllocs(ctx context.Context, allocs []*structs.Allocation) error
}
