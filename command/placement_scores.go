package command

import (
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/nomad/api"
)

// formatPlacementScores renders the scored nodes of a placement for
// `nomad alloc status -verbose`, as Nomad: a table of the best nodes, best
// first, one column per scorer (sorted by name; a scorer a node did not get
// shows 0) and the final score. Allocations placed before ScoreMetaData carry
// only the deprecated "<node id>.<scorer>" map, listed one score per line.
func formatPlacementScores(metrics *api.AllocationMetric, prefix string) string {
	if len(metrics.ScoreMetaData) == 0 {
		var out []string
		for _, name := range sortedKeys(metrics.Scores) {
			out = append(out, fmt.Sprintf("%s* Score %q = %f", prefix, name, metrics.Scores[name]))
		}
		return strings.Join(out, "\n")
	}

	var scorers []string
	for _, meta := range metrics.ScoreMetaData {
		for name := range meta.Scores {
			if !slices.Contains(scorers, name) {
				scorers = append(scorers, name)
			}
		}
	}
	slices.Sort(scorers)

	rows := make([]string, 0, len(metrics.ScoreMetaData)+1)
	rows = append(rows, "Node|"+strings.Join(append(scorers, "final score"), "|"))
	for _, meta := range metrics.ScoreMetaData {
		cells := make([]string, 0, len(scorers)+2)
		cells = append(cells, meta.NodeID)
		for _, name := range scorers {
			cells = append(cells, fmt.Sprintf("%.3g", meta.Scores[name]))
		}
		cells = append(cells, fmt.Sprintf("%.3g", meta.NormScore))
		rows = append(rows, strings.Join(cells, "|"))
	}
	return formatList(rows)
}
