package structs

// MaxRetainedNodeScores is how many scored nodes a placement metric keeps, as
// Nomad: enough to explain the choice without carrying every node through raft.
const MaxRetainedNodeScores = 5

// NodeScoreMeta is how one node scored for a placement: each scorer's
// normalised score and their mean, the score nodes are ranked by.
type NodeScoreMeta struct {
	NodeID    string
	Scores    map[string]float64
	NormScore float64
}
