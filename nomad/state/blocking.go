package state

import (
	"context"
	"time"

	"github.com/hashicorp/go-memdb"
)

// MaxBlockingWait bounds a blocking query whose context has no deadline, like
// Nomad's five-minute maximum wait.
const MaxBlockingWait = 5 * time.Minute

// QueryFunc reads from s, adding what it read to ws, and returns a result and the
// index it reflects.
type QueryFunc func(ws memdb.WatchSet, s *StateStore) (any, uint64, error)

// BlockingQuery runs run and returns its result once the result's index is greater
// than minIndex. Until then it waits for a change to anything run read and runs it
// again. When ctx ends (or MaxBlockingWait passes without a deadline in ctx) it
// returns the latest result without an error, as Nomad's blocking queries do. The
// returned index is never 0, so callers can always block on it next time.
func (s *StateStore) BlockingQuery(ctx context.Context, minIndex uint64, run QueryFunc) (any, uint64, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, MaxBlockingWait)
		defer cancel()
	}
	for {
		ws := memdb.NewWatchSet()
		resp, index, err := run(ws, s)
		if index < 1 {
			index = 1
		}
		if err != nil || minIndex == 0 || index > minIndex {
			return resp, index, err
		}
		if ctx.Err() != nil {
			return resp, index, nil
		}
		if err := ws.WatchCtx(ctx); err != nil {
			// Timed out or cancelled: answer with what we have.
			return resp, index, nil
		}
	}
}
