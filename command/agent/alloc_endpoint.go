package agent

import (
	"net/http"
	"sort"
	"strings"

	"github.com/hashicorp/go-memdb"
	"github.com/hashicorp/nomad/api"
	"github.com/netnomad/netnomad/nomad/state"
	"github.com/netnomad/netnomad/nomad/structs"
)

// allocsRequest serves GET /v1/allocations?prefix=.
func (s *HTTPServer) allocsRequest(w http.ResponseWriter, r *http.Request) (any, error) {
	if r.Method != http.MethodGet {
		return nil, errMethodNotAllowed
	}
	prefix := r.URL.Query().Get("prefix")
	return s.blockingQuery(w, r, allocStubsQuery(func(ws memdb.WatchSet, st *state.StateStore) ([]*structs.Allocation, error) {
		return st.Allocs(ws, prefix)
	}))
}

// allocSpecificRequest serves /v1/allocation/<id> and /v1/allocation/<id>/stop.
func (s *HTTPServer) allocSpecificRequest(w http.ResponseWriter, r *http.Request) (any, error) {
	parts := pathParts(r, "/v1/allocation/")
	switch {
	case len(parts) == 1 && r.Method == http.MethodGet:
		id := parts[0]
		return s.blockingQuery(w, r, func(ws memdb.WatchSet, st *state.StateStore) (any, uint64, error) {
			a, err := st.AllocByID(ws, id)
			if err != nil {
				return nil, 0, err
			}
			if a == nil {
				return nil, 0, notFound("alloc not found")
			}
			return StructsAllocToApi(a), a.ModifyIndex, nil
		})
	case len(parts) == 2 && parts[1] == "stop" && (r.Method == http.MethodPut || r.Method == http.MethodPost):
		srv, err := s.agent.requireServer()
		if err != nil {
			return nil, err
		}
		evalID, index, err := srv.AllocStop(parts[0])
		if err != nil {
			return nil, err
		}
		setIndex(w, index)
		return &api.AllocStopResponse{EvalID: evalID}, nil
	case len(parts) == 0:
		return nil, notFound("alloc ID missing")
	}
	return nil, errMethodNotAllowed
}

// evalsRequest serves GET /v1/evaluations?prefix=.
func (s *HTTPServer) evalsRequest(w http.ResponseWriter, r *http.Request) (any, error) {
	if r.Method != http.MethodGet {
		return nil, errMethodNotAllowed
	}
	prefix := r.URL.Query().Get("prefix")
	return s.blockingQuery(w, r, func(ws memdb.WatchSet, st *state.StateStore) (any, uint64, error) {
		evals, err := st.Evals(ws, prefix)
		if err != nil {
			return nil, 0, err
		}
		out := make([]*api.Evaluation, 0, len(evals))
		for _, e := range evals {
			out = append(out, StructsEvalToApi(e))
		}
		sort.Slice(out, func(i, k int) bool { return out[i].CreateIndex > out[k].CreateIndex })
		idx, err := maxIndex(st, "evals")
		return out, idx, err
	})
}

// evalSpecificRequest serves /v1/evaluation/<id> and /v1/evaluation/<id>/allocations.
func (s *HTTPServer) evalSpecificRequest(w http.ResponseWriter, r *http.Request) (any, error) {
	if r.Method != http.MethodGet {
		return nil, errMethodNotAllowed
	}
	parts := pathParts(r, "/v1/evaluation/")
	switch {
	case len(parts) == 1:
		id := parts[0]
		return s.blockingQuery(w, r, func(ws memdb.WatchSet, st *state.StateStore) (any, uint64, error) {
			e, err := st.EvalByID(ws, id)
			if err != nil {
				return nil, 0, err
			}
			if e == nil {
				return nil, 0, notFound("eval not found")
			}
			return StructsEvalToApi(e), e.ModifyIndex, nil
		})
	case len(parts) == 2 && parts[1] == "allocations":
		id := parts[0]
		return s.blockingQuery(w, r, allocStubsQuery(func(ws memdb.WatchSet, st *state.StateStore) ([]*structs.Allocation, error) {
			return st.AllocsByEval(ws, id)
		}))
	}
	return nil, notFound("unknown evaluation path %q", strings.Join(parts, "/"))
}

// nodesRequest serves GET /v1/nodes?prefix=.
func (s *HTTPServer) nodesRequest(w http.ResponseWriter, r *http.Request) (any, error) {
	if r.Method != http.MethodGet {
		return nil, errMethodNotAllowed
	}
	prefix := r.URL.Query().Get("prefix")
	return s.blockingQuery(w, r, func(ws memdb.WatchSet, st *state.StateStore) (any, uint64, error) {
		nodes, err := st.Nodes(ws, prefix)
		if err != nil {
			return nil, 0, err
		}
		out := make([]*api.NodeListStub, 0, len(nodes))
		for _, n := range nodes {
			out = append(out, StructsNodeToStub(n))
		}
		sort.Slice(out, func(i, k int) bool { return out[i].ID < out[k].ID })
		idx, err := maxIndex(st, "nodes")
		return out, idx, err
	})
}

// nodeSpecificRequest serves /v1/node/<id> and /v1/node/<id>/allocations.
func (s *HTTPServer) nodeSpecificRequest(w http.ResponseWriter, r *http.Request) (any, error) {
	if r.Method != http.MethodGet {
		return nil, errMethodNotAllowed
	}
	parts := pathParts(r, "/v1/node/")
	switch {
	case len(parts) == 1:
		id := parts[0]
		return s.blockingQuery(w, r, func(ws memdb.WatchSet, st *state.StateStore) (any, uint64, error) {
			n, err := st.NodeByID(ws, id)
			if err != nil {
				return nil, 0, err
			}
			if n == nil {
				return nil, 0, notFound("node not found")
			}
			return StructsNodeToApi(n), n.ModifyIndex, nil
		})
	case len(parts) == 2 && parts[1] == "allocations":
		id := parts[0]
		return s.blockingQuery(w, r, func(ws memdb.WatchSet, st *state.StateStore) (any, uint64, error) {
			allocs, err := st.AllocsByNode(ws, id)
			if err != nil {
				return nil, 0, err
			}
			out := make([]*api.Allocation, 0, len(allocs))
			for _, a := range allocs {
				out = append(out, StructsAllocToApi(a))
			}
			sort.Slice(out, func(i, k int) bool { return out[i].CreateIndex > out[k].CreateIndex })
			idx, err := maxIndex(st, "allocs")
			return out, idx, err
		})
	}
	return nil, notFound("unknown node path %q", strings.Join(parts, "/"))
}

// allocStubsQuery turns a read of allocations into a blocking query answering
// with their list stubs, newest first, at the allocs table's index.
func allocStubsQuery(read func(ws memdb.WatchSet, st *state.StateStore) ([]*structs.Allocation, error)) queryFunc {
	return func(ws memdb.WatchSet, st *state.StateStore) (any, uint64, error) {
		allocs, err := read(ws, st)
		if err != nil {
			return nil, 0, err
		}
		out := make([]*api.AllocationListStub, 0, len(allocs))
		for _, a := range allocs {
			out = append(out, StructsAllocToStub(a))
		}
		sortAllocStubs(out)
		idx, err := maxIndex(st, "allocs")
		return out, idx, err
	}
}
