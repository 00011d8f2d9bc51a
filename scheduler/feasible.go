package scheduler

import (
	"path"
	"strings"

	"github.com/netnomad/netnomad/nomad/structs"
)

// Filter reasons counted in AllocMetric.ConstraintFiltered, as Nomad spells them.
const (
	filterMissingDrivers = "missing drivers"
	filterMissingNetwork = "missing network"
	// filterMissingCNIPlugin is followed by ": <plugin>, <plugin>".
	filterMissingCNIPlugin = "missing CNI plugin"
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
	if len(tg.Networks) > 0 {
		mode := tg.Networks[0].IsolationMode()
		if !hasNetworkMode(node, mode) {
			return filterMissingNetwork
		}
		if missing := missingCNIPlugins(node, mode); len(missing) > 0 {
			return filterMissingCNIPlugin + ": " + strings.Join(missing, ", ")
		}
	}
	return ""
}

// cniPluginsAttr is the node attribute listing the CNI plugins a network mode
// runs (client/fingerprint/cni.go writes them), or "" for modes without CNI.
func cniPluginsAttr(mode string) string {
	if mode == structs.NetworkModeBridge {
		return "plugins.cni.bridge.plugins"
	}
	if name, ok := strings.CutPrefix(mode, structs.NetworkModeCNIPrefix); ok {
		return "plugins.cni.network." + name + ".plugins"
	}
	return ""
}

// missingCNIPlugins returns the plugins the node lists for the mode but did
// not find in its cni_path (no plugins.cni.version.<plugin>), in chain order.
// A node that lists none (a client from before the lists) is trusted: it
// offered the mode only when it could serve it.
func missingCNIPlugins(node *structs.Node, mode string) []string {
	attr := cniPluginsAttr(mode)
	if attr == "" {
		return nil
	}
	var missing []string
	for _, p := range strings.Split(node.Attributes[attr], ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		if _, ok := node.Attributes["plugins.cni.version."+p]; !ok {
			missing = append(missing, p)
		}
	}
	return missing
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
	if mode == structs.NetworkModeHost {
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
