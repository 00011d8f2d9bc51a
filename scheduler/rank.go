package scheduler

import (
	"math"

	"github.com/netnomad/netnomad/nomad/structs"
)

// binPackingMaxFitScore is the best raw score of scoreFit (a perfectly full node).
const binPackingMaxFitScore = 18.0

// rankedNode is a node that fits the group, with the host ports offered to the
// allocation and its score (higher is better). resources() builds the
// allocation's resources; only the chosen node pays for that.
type rankedNode struct {
	node *structs.Node
	// score is the mean of the scorers' normalised scores (see addScore).
	score float64
	// scorerScores are the normalised scores behind score, in the order the
	// scorers ran, kept for the metric's ScoreMetaData. They live in
	// scorerScoresBuf unless more scorers run than it holds: one allocation
	// fewer for every node ranked.
	scorerScores    []scorerScore
	scorerScoresBuf [2]scorerScore
	// groupOffer is the group network with ports assigned (nil without one);
	// taskOffers the 0.9 task networks, by task name.
	groupOffer *structs.NetworkResource
	taskOffers map[string]*structs.NetworkResource
}

// resources returns the allocation's AllocatedResources on this node: per task
// cpu, memory and network; the group network with its port mappings.
func (r *rankedNode) resources(tg *structs.TaskGroup) *structs.AllocatedResources {
	out := &structs.AllocatedResources{Tasks: make(map[string]*structs.AllocatedTaskResources, len(tg.Tasks))}
	for _, t := range tg.Tasks {
		tr := &structs.AllocatedTaskResources{}
		if res := t.Resources; res != nil {
			tr.CPUShares, tr.MemoryMB = int64(res.CPU), int64(res.MemoryMB)
			out.Shared.DiskMB += int64(res.DiskMB)
		}
		if offer := r.taskOffers[t.Name]; offer != nil {
			tr.Networks = structs.NetworkResources{offer}
		}
		out.Tasks[t.Name] = tr
	}
	if offer := r.groupOffer; offer != nil {
		out.Shared.Networks = structs.NetworkResources{offer}
		for _, p := range offer.Ports() {
			out.Shared.Ports = append(out.Shared.Ports, structs.AllocatedPortMapping{
				Label: p.Label, Value: p.Value, To: p.To, HostIP: offer.IP,
			})
		}
	}
	return out
}

// nodeCapacity is what the node offers to allocations (resources minus reserved).
func nodeCapacity(node *structs.Node) (cpu, mem int64) {
	if node.NodeResources != nil {
		cpu, mem = node.NodeResources.CPUShares, node.NodeResources.MemoryMB
	}
	if r := node.ReservedResources; r != nil {
		cpu -= r.CPUShares
		mem -= r.MemoryMB
	}
	return cpu, mem
}

// scoreFit is Nomad's best-fit score: 20 - (10^freeCPU + 10^freeMem), bounded to
// [0, 18]. Fuller nodes score higher, so allocations pack onto few nodes.
func scoreFit(capCPU, capMem, usedCPU, usedMem int64) float64 {
	if capCPU <= 0 || capMem <= 0 {
		return 0
	}
	freeCPU := 1 - float64(usedCPU)/float64(capCPU)
	freeMem := 1 - float64(usedMem)/float64(capMem)
	score := 20.0 - (math.Pow(10, freeCPU) + math.Pow(10, freeMem))
	return math.Max(0, math.Min(binPackingMaxFitScore, score))
}

// rankNode checks that the group fits on the node next to the proposed
// allocations (host ports first, then cpu and memory, as Nomad) and scores it.
// It returns nil and records the exhausted dimension when it does not fit.
func rankNode(job *structs.Job, tg *structs.TaskGroup, node *structs.Node, proposed []*structs.Allocation,
	m *structs.AllocMetric) *rankedNode {

	r := &rankedNode{node: node}
	r.scorerScores = r.scorerScoresBuf[:0]

	// Host ports: group network, then each task's 0.9 network.
	var idx *NetworkIndex
	index := func() *NetworkIndex {
		if idx == nil {
			idx = NewNetworkIndex(node)
			idx.AddAllocs(proposed)
		}
		return idx
	}
	if len(tg.Networks) > 0 {
		offer, err := index().AssignPorts(tg.Networks[0])
		if err != nil {
			exhaustedNode(m, node, "network: "+err.Error())
			return nil
		}
		r.groupOffer = offer
	}
	var askCPU, askMem int64
	for _, t := range tg.Tasks {
		res := t.Resources
		if res == nil {
			continue
		}
		askCPU += int64(res.CPU)
		askMem += int64(res.MemoryMB)
		if len(res.Networks) > 0 {
			offer, err := index().AssignPorts(res.Networks[0])
			if err != nil {
				exhaustedNode(m, node, "network: "+err.Error())
				return nil
			}
			if r.taskOffers == nil {
				r.taskOffers = map[string]*structs.NetworkResource{}
			}
			r.taskOffers[t.Name] = offer
		}
	}

	var usedCPU, usedMem int64
	collisions := 0
	for _, a := range proposed {
		if a.AllocatedResources != nil {
			for _, t := range a.AllocatedResources.Tasks {
				if t != nil {
					usedCPU += t.CPUShares
					usedMem += t.MemoryMB
				}
			}
		}
		if a.JobID == job.ID && a.Namespace == job.Namespace && a.TaskGroup == tg.Name {
			collisions++
		}
	}
	capCPU, capMem := nodeCapacity(node)
	switch {
	case usedCPU+askCPU > capCPU:
		exhaustedNode(m, node, "cpu")
		return nil
	case usedMem+askMem > capMem:
		exhaustedNode(m, node, "memory")
		return nil
	}

	r.addScore("binpack", scoreFit(capCPU, capMem, usedCPU+askCPU, usedMem+askMem)/binPackingMaxFitScore)
	if collisions > 0 && tg.Count > 0 {
		// Job anti-affinity: spread a group's allocations over nodes.
		r.addScore("job-anti-affinity", -float64(collisions+1)/float64(tg.Count))
	}
	return r
}

// scorerScore is one scorer's normalised score for a node.
type scorerScore struct {
	scorer string
	score  float64
}

// addScore records one scorer's normalised score and folds it into the node's
// score, the mean of all its scorers (Nomad's score normalisation).
func (r *rankedNode) addScore(scorer string, score float64) {
	n := len(r.scorerScores)
	r.scorerScores = append(r.scorerScores, scorerScore{scorer: scorer, score: score})
	r.score = (r.score*float64(n) + score) / float64(n+1)
}
