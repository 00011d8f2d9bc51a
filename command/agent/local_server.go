package agent

import (
	"context"
	"time"

	"github.com/netnomad/netnomad/client"
	"github.com/netnomad/netnomad/nomad"
	"github.com/netnomad/netnomad/nomad/structs"
)

// localServerAPI lets a client talk to the server in the same process (-dev).
type localServerAPI struct {
	srv *nomad.Server
}

var _ client.ServerAPI = (*localServerAPI)(nil)

func newLocalServerAPI(srv *nomad.Server) *localServerAPI { return &localServerAPI{srv: srv} }

func (l *localServerAPI) RegisterNode(ctx context.Context, node *structs.Node) error {
	_, err := l.srv.NodeRegister(node.Copy())
	return err
}

func (l *localServerAPI) Heartbeat(ctx context.Context, nodeID string) (time.Duration, error) {
	return l.srv.NodeHeartbeat(nodeID)
}

func (l *localServerAPI) GetAllocs(ctx context.Context, nodeID string, minIndex uint64) ([]*structs.Allocation, uint64, error) {
	ctx, cancel := context.WithTimeout(ctx, defaultBlockingWait)
	defer cancel()
	return l.srv.NodeGetClientAllocs(ctx, nodeID, minIndex)
}

func (l *localServerAPI) UpdateAllocs(ctx context.Context, allocs []*structs.Allocation) error {
	copies := make([]*structs.Allocation, len(allocs))
	for i, a := range allocs {
		copies[i] = a.CopySkipJob()
	}
	_, err := l.srv.NodeUpdateAllocs(copies)
	return err
}
