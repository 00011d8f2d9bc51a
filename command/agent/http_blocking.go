package agent

import (
	"context"
	"errors"
	"net/http"

	"github.com/netnomad/netnomad/nomad/state"
)

// queryFunc reads from the state store, adding what it reads to ws, and returns the
// response with the index it reflects.
type queryFunc = state.QueryFunc

// blockingQuery runs run as a Nomad blocking query: with ?index=N it returns only
// once the result's index moves past N, or when ?wait= runs out (then with the
// current result and index).
func (s *HTTPServer) blockingQuery(w http.ResponseWriter, r *http.Request, run queryFunc) (any, error) {
	srv, err := s.agent.requireServer()
	if err != nil {
		return nil, err
	}
	opts, err := parseBlocking(r)
	if err != nil {
		return nil, err
	}
	ctx, cancel := opts.context(r)
	defer cancel()
	obj, index, err := srv.State().BlockingQuery(ctx, opts.minIndex, run)
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		// The wait ran out: answer with the current state, as Nomad does.
		obj, index, err = run(nil, srv.State())
	}
	if err != nil {
		return nil, err
	}
	setIndex(w, index)
	return obj, nil
}
