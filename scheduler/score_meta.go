package scheduler

import (
	"sort"

	"github.com/netnomad/netnomad/nomad/structs"
)

// topScored holds the structs.MaxRetainedNodeScores best nodes ranked for one
// placement, best first. A node that ties ranks below those ranked before it,
// as selectNode keeps the first best node, so the chosen node is always first.
// It keeps the nodes themselves and builds their metadata once, at the end, so
// nodes pushed out on the way cost nothing.
type topScored []*rankedNode

// add keeps r if it is among the best so far; the worst falls off when full.
func (t *topScored) add(r *rankedNode) {
	top := *t
	i := sort.Search(len(top), func(i int) bool { return top[i].score < r.score })
	if i >= structs.MaxRetainedNodeScores {
		return
	}
	if top == nil {
		top = make(topScored, 0, structs.MaxRetainedNodeScores)
	}
	if len(top) < structs.MaxRetainedNodeScores {
		top = append(top, nil)
	}
	copy(top[i+1:], top[i:])
	top[i] = r
	*t = top
}

// scoreMetaData returns the metric's ScoreMetaData: each kept node's scorers and
// final score, best first (nil when no node was ranked).
func (t topScored) scoreMetaData() []*structs.NodeScoreMeta {
	if len(t) == 0 {
		return nil
	}
	out := make([]*structs.NodeScoreMeta, len(t))
	for i, r := range t {
		scores := make(map[string]float64, len(r.scorerScores))
		for _, s := range r.scorerScores {
			scores[s.scorer] = s.score
		}
		out[i] = &structs.NodeScoreMeta{NodeID: r.node.ID, Scores: scores, NormScore: r.score}
	}
	return out
}
