package scheduler

import (
	"path"

	"github.com/netnomad/netnomad/nomad/structs"
)

// Filter reasons counted in AllocMetric.ConstraintFiltered, as Nomad spells them.
const (
	filterMissingDrivers = "missing drivers"
	filterMissingNetwork = "missing network"
)

// dcMatches reports whether a node's datacenter matches one of the job's
// datacenters; entries may be glob patterns ("*", "us-*").
func dcMatches(dc string, patterns []string) bool {
	for _, p := range patterns {
		if p == dc || p == "*" {
			return true
		}
		if ok, err := path.Match(p, dc); err == nil && ok {
			return true
		}
	}
	return false
}

// readyNodesInDCs returns the nodes that can take allocations of the job (ready,
// eligible, in one of its datacenters) and how many there are per datacenter.
func readyNodesInDCs(nodes []*structs.Node, dcs []string) ([]*structs.Node, map[string]int) {
	out := make([]*structs.Node, 0, len(nodes))
	byDC := map[string]int{}
	for _, n := range nodes {
		if !n.Ready() || !dcMatches(n.Datacenter, dcs) {
			continue
		}
		out = append(out, n)
		byDC[n.Datacenter]++
	}
	return out, byDC
}

// feasible checks the placement rules that depend only on the node, the job and
// the group (not on other placements): job constraints, task drivers, group and
// task constraints, and the group network mode. Readiness and datacenter are
// checked by the caller (readyNodesInDCs). It returns "" when the node is
// feasible, else the reason counted in ConstraintFiltered.
func (ctx *evalContext) feasible(job *structs.Job, tg *structs.TaskGroup, node *structs.Node) string {
	for _, c := range job.Constraints {
		if !ctx.checker.meets(c, node) {
			return constraintString(c)
		}
	}
	for _, t := range tg.Tasks {
		if !hasDriver(node, t.Driver) {
			return filterMissingDrivers
		}
	}
	for _, c := range tg.Constraints {
		if !ctx.checker.meets(c, node) {
			return constraintString(c)
		}
	}
	for _, t := range tg.Tasks {
		for _, c := range t.Constraints {
			if !ctx.checker.meets(c, node) {
				return constraintString(c)
			}
		}
	}
	if len(tg.Networks) > 0 && !hasNetworkMode(node, tg.Networks[0].IsolationMode()) {
		return filterMissingNetwork
	}
	return ""
}

// hasDriver reports whether the node runs the driver: fingerprinted detected and
// healthy, or (older clients) the attribute driver.<name> = "1".
func hasDriver(node *structs.Node, driver string) bool {
	if info, ok := node.Drivers[driver]; ok && info != nil {
		return info.Detected && info.Healthy
	}
	return node.Attributes["driver."+driver] == "1"
}

// hasNetworkMode reports whether the node supports the group network mode: host
// and none always; bridge and cni/<name> when the node lists a network of that
// mode in NodeResources.Networks.
func hasNetworkMode(node *structs.Node, mode string) bool {
	switch mode {
	case structs.NetworkModeHost, structs.NetworkModeNone:
		return true
	}
	if node.NodeResources == nil {
		return false
	}
	for _, n := range node.NodeResources.Networks {
		if n != nil && n.Mode == mode {
			return true
		}
	}
	return false
}

// distinctHostsOK reports whether placing the group on a node with these
// proposed allocations honours distinct_hosts: at job level no other allocation
// of the job may be there, at group level none of the same group.
func distinctHostsOK(job *structs.Job, tg *structs.TaskGroup, proposed []*structs.Allocation) bool {
	jobLevel, groupLevel := hasDistinctHosts(job.Constraints), hasDistinctHosts(tg.Constraints)
	if !jobLevel && !groupLevel {
		return true
	}
	for _, a := range proposed {
		if a.JobID != job.ID || a.Namespace != job.Namespace {
			continue
		}
		if jobLevel || a.TaskGroup == tg.Name {
			return false
		}
	}
	return true
}
