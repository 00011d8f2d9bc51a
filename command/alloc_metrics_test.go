package command

import (
	"testing"

	"github.com/hashicorp/nomad/api"
	"github.com/shoenig/test/must"
)

// TestFormatAllocMetrics_FilterReasons: `nomad job plan` and `nomad job status`
// name each reason a node was filtered, missing CNI plugins included.
func TestFormatAllocMetrics_FilterReasons(t *testing.T) {
	got := formatAllocMetrics(&api.AllocationMetric{
		NodesEvaluated: 3,
		ConstraintFiltered: map[string]int{
			"missing network":                       1,
			"missing CNI plugin: portmap":           1,
			"missing CNI plugin: firewall, portmap": 1,
		},
	}, "    ")
	must.Eq(t, `    * Constraint "missing CNI plugin: firewall, portmap" filtered 1 nodes
    * Constraint "missing CNI plugin: portmap" filtered 1 nodes
    * Constraint "missing network" filtered 1 nodes`, got)
}
