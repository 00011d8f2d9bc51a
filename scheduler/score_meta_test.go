package scheduler

import (
	"fmt"
	"testing"

	"github.com/netnomad/netnomad/nomad/structs"
	"github.com/shoenig/test/must"
)

// sizedNode is testNode with cpuShares MHz, so nodes bin-pack to different scores.
func sizedNode(n int, cpuShares int64) *structs.Node {
	node := testNode(n)
	node.NodeResources.CPUShares = cpuShares
	return node
}

// TestGenericSched_ScoreMetaData: a placement keeps Nomad's top 5 scored nodes,
// best first with the chosen node first, each with its scorers and their mean;
// the deprecated per-node Scores map stays empty.
func TestGenericSched_ScoreMetaData(t *testing.T) {
	cases := []struct {
		name  string
		nodes int
		want  int
	}{
		// A service job scores ceil(log2(nodes)) nodes, as Nomad's limit.
		{name: "10 nodes score 4, all kept", nodes: 10, want: 4},
		{name: "40 nodes score 6, best 5 kept", nodes: 40, want: structs.MaxRetainedNodeScores},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			job := testJob(1)
			var nodes []*structs.Node
			for i := 1; i <= tc.nodes; i++ {
				nodes = append(nodes, sizedNode(i, int64(1000+100*i)))
			}
			h := newTestHarness(t, job, nodes...)
			runEval(t, h, job)
			placed := planAllocs(h.LastPlan())
			must.Len(t, 1, placed)
			m := placed[0].Metrics

			must.MapEmpty(t, m.Scores)
			must.Len(t, tc.want, m.ScoreMetaData)
			must.Eq(t, placed[0].NodeID, m.ScoreMetaData[0].NodeID, must.Sprint("the chosen node is first"))
			seen := map[string]bool{}
			for i, s := range m.ScoreMetaData {
				must.False(t, seen[s.NodeID], must.Sprintf("node %s listed twice", s.NodeID))
				seen[s.NodeID] = true
				must.MapContainsKey(t, s.Scores, "binpack")
				var sum float64
				for _, v := range s.Scores {
					sum += v
				}
				must.InDelta(t, sum/float64(len(s.Scores)), s.NormScore, 1e-9)
				if i > 0 {
					must.Greater(t, s.NormScore, m.ScoreMetaData[i-1].NormScore+1e-12,
						must.Sprintf("entry %d scores above entry %d", i-1, i))
				}
			}
		})
	}
}

// TestGenericSched_ScoreMetaDataFailedPlacement: a placement that fits nowhere
// scored no node, so its failure metric carries no scores.
func TestGenericSched_ScoreMetaDataFailedPlacement(t *testing.T) {
	job := testJob(1)
	job.TaskGroups[0].Tasks[0].Resources.CPU = 100000
	h := newTestHarness(t, job, testNode(1), testNode(2))
	ev := runEval(t, h, job)
	failed := ev.FailedTGAllocs["web"]
	must.NotNil(t, failed)
	must.Eq(t, 2, failed.NodesExhausted)
	must.SliceEmpty(t, failed.ScoreMetaData)
}

// TestTopScored: the best MaxRetainedNodeScores nodes are kept in order; a node
// that ties ranks below those ranked before it, as selectNode keeps the first
// best node.
func TestTopScored(t *testing.T) {
	var top topScored
	must.Nil(t, top.scoreMetaData())
	for i, s := range []float64{0.2, 0.5, 0.1, 0.5, 0.9, 0.3, 0.05, 0.9, 0.4} {
		r := &rankedNode{node: &structs.Node{ID: fmt.Sprintf("n%d", i)}}
		r.addScore("binpack", s)
		top.add(r)
	}
	meta := top.scoreMetaData()
	var got []string
	for _, s := range meta {
		got = append(got, fmt.Sprintf("%s=%g", s.NodeID, s.NormScore))
	}
	must.Eq(t, []string{"n4=0.9", "n7=0.9", "n1=0.5", "n3=0.5", "n8=0.4"}, got)
	must.Eq(t, map[string]float64{"binpack": 0.9}, meta[0].Scores)
}

// TestRankedNode_ManyScorers: scores beyond the inline buffer are all kept.
func TestRankedNode_ManyScorers(t *testing.T) {
	r := &rankedNode{node: &structs.Node{ID: "n1"}}
	r.scorerScores = r.scorerScoresBuf[:0]
	n := len(r.scorerScoresBuf) + 2
	for i := range n {
		r.addScore(fmt.Sprintf("s%d", i), float64(i))
	}
	var top topScored
	top.add(r)
	meta := top.scoreMetaData()
	must.MapLen(t, n, meta[0].Scores)
	must.Eq(t, float64(n-1)/2, meta[0].NormScore, must.Sprint("the mean of 0..n-1"))
}
