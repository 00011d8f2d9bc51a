package scheduler

import (
	"maps"
	"math"
	"math/rand/v2"
	"time"

	"github.com/netnomad/netnomad/nomad/structs"
)

// batchSelectLimit is how many fitting nodes a batch placement compares (Nomad
// trades placement quality for speed with batch jobs).
const batchSelectLimit = 2

// stack picks nodes for a job's placements, as Nomad's generic stack: walk the
// shuffled ready nodes from where the previous placement stopped, skip infeasible
// ones, rank the ones that fit, and take the best of the first `limit` (log2 of
// the node count for service jobs, 2 for batch). Walking on from the last offset
// spreads consecutive placements and keeps each one O(limit) on large clusters.
type stack struct {
	ctx    *evalContext
	job    *structs.Job
	nodes  []*structs.Node
	byDC   map[string]int
	limit  int
	offset int

	// feasibility caches feasible()'s verdict per group and node: it depends only
	// on the snapshot and the job.
	feasibility map[string]map[string]string
}

func newStack(ctx *evalContext, job *structs.Job, nodes []*structs.Node, byDC map[string]int, batch bool) *stack {
	shuffled := append([]*structs.Node(nil), nodes...)
	rand.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	limit := batchSelectLimit
	if !batch {
		if n := len(shuffled); n > 0 {
			limit = max(limit, int(math.Ceil(math.Log2(float64(n)))))
		}
	}
	return &stack{
		ctx:         ctx,
		job:         job,
		nodes:       shuffled,
		byDC:        byDC,
		limit:       limit,
		feasibility: map[string]map[string]string{},
	}
}

// selectNode returns the best node for one allocation of tg, or nil, with the
// metric explaining the choice (or the failure). Nodes in avoid (a rescheduled
// allocation's previous nodes) stay eligible but score lower, as Nomad's
// node-reschedule-penalty.
func (s *stack) selectNode(tg *structs.TaskGroup, avoid map[string]bool) (*rankedNode, *structs.AllocMetric, error) {
	start := time.Now()
	m := newMetric()
	m.NodesAvailable = maps.Clone(s.byDC)

	cache := s.feasibility[tg.Name]
	if cache == nil {
		cache = map[string]string{}
		s.feasibility[tg.Name] = cache
	}

	var best *rankedNode
	var top topScored
	found := 0
	n := len(s.nodes)
	i := 0
	for ; i < n && found < s.limit; i++ {
		node := s.nodes[(s.offset+i)%n]
		m.NodesEvaluated++
		reason, ok := cache[node.ID]
		if !ok {
			reason = s.ctx.feasible(s.job, tg, node)
			cache[node.ID] = reason
		}
		if reason != "" {
			filterNode(m, node, reason)
			continue
		}
		proposed, err := s.ctx.proposedAllocs(node.ID)
		if err != nil {
			return nil, nil, err
		}
		if !distinctHostsOK(s.job, tg, proposed) {
			filterNode(m, node, structs.ConstraintDistinctHosts)
			continue
		}
		r := rankNode(s.job, tg, node, proposed, m)
		if r == nil {
			continue
		}
		if avoid[node.ID] {
			r.addScore("node-reschedule-penalty", -1)
		}
		top.add(r)
		found++
		if best == nil || r.score > best.score {
			best = r
		}
	}
	if n > 0 {
		s.offset = (s.offset + i) % n
	}
	m.ScoreMetaData = top.scoreMetaData()
	m.AllocationTime = time.Since(start)
	return best, m, nil
}

// feasibleOn reports whether an in-place update of tg may stay on node: the node
// is not down, is in one of the job's datacenters and meets the (possibly
// changed) constraints, drivers and network mode. An ineligible node keeps its
// allocations. Resources are unchanged by definition of in-place.
func (s *stack) feasibleOn(tg *structs.TaskGroup, node *structs.Node) bool {
	if node == nil || node.Status == structs.NodeStatusDown || !dcMatches(node.Datacenter, s.job.Datacenters) {
		return false
	}
	return s.ctx.feasible(s.job, tg, node) == ""
}
