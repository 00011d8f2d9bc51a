package nomad

import (
	"fmt"
	"sort"

	"github.com/netnomad/netnomad/nomad/structs"
	"github.com/netnomad/netnomad/scheduler"
)

// allocsFit reports whether allocs (every non-terminal allocation the node would
// run) fit on node: CPU, memory and disk within what the node offers minus what it
// reserves, and no host port used twice or reserved by the node. reason names the
// exhausted dimension or the colliding port, as Nomad's plan applier logs it.
func allocsFit(node *structs.Node, allocs []*structs.Allocation) (fit bool, reason string) {
	var cpu, mem, disk int64
	if node.NodeResources != nil {
		cpu, mem, disk = node.NodeResources.CPUShares, node.NodeResources.MemoryMB, node.NodeResources.DiskMB
	}
	if r := node.ReservedResources; r != nil {
		cpu, mem, disk = cpu-r.CPUShares, mem-r.MemoryMB, disk-r.DiskMB
	}

	used := portSet{}
	if r := node.ReservedResources; r != nil {
		// The client validates the spec; parse it as the scheduler does
		// (NewNetworkIndex), so both agree on what is reserved.
		ports, _ := scheduler.ParsePortRanges(r.ReservedPorts)
		for _, p := range ports {
			used.add("", p)
		}
	}
	for _, a := range allocs {
		res := a.AllocatedResources
		if res == nil {
			continue
		}
		for _, t := range res.Tasks {
			cpu -= t.CPUShares
			mem -= t.MemoryMB
		}
		disk -= res.Shared.DiskMB
		for _, hp := range allocHostPorts(a) {
			if used.collides(hp.ip, hp.port) {
				return false, fmt.Sprintf("network: reserved port collision %s=%d", hp.label, hp.port)
			}
			used.add(hp.ip, hp.port)
		}
	}
	switch {
	case cpu < 0:
		return false, "cpu"
	case mem < 0:
		return false, "memory"
	case disk < 0 && node.NodeResources != nil && node.NodeResources.DiskMB > 0:
		return false, "disk"
	}
	return true, ""
}

type hostPort struct {
	label string
	ip    string
	port  int
}

// allocHostPorts lists the host ports an allocation holds, once each: its group
// network's and its tasks' (0.9-style) ports, and the flattened group mappings.
func allocHostPorts(a *structs.Allocation) []hostPort {
	res := a.AllocatedResources
	seen := map[hostPort]bool{}
	var out []hostPort
	add := func(label, ip string, port int) {
		if port <= 0 {
			return
		}
		k := hostPort{ip: ip, port: port}
		if seen[k] {
			return
		}
		seen[k] = true
		out = append(out, hostPort{label: label, ip: ip, port: port})
	}
	addNets := func(nets structs.NetworkResources) {
		for _, n := range nets {
			for _, p := range n.Ports() {
				add(p.Label, n.IP, p.Value)
			}
		}
	}
	addNets(res.Shared.Networks)
	names := make([]string, 0, len(res.Tasks))
	for name := range res.Tasks {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		addNets(res.Tasks[name].Networks)
	}
	if len(res.Shared.Networks) == 0 {
		for _, m := range res.Shared.Ports {
			add(m.Label, m.HostIP, m.Value)
		}
	}
	return out
}

// portSet tracks used host ports by IP; the empty IP means every address.
type portSet map[int][]string

func (s portSet) add(ip string, port int) { s[port] = append(s[port], ip) }

func (s portSet) collides(ip string, port int) bool {
	for _, used := range s[port] {
		if used == "" || ip == "" || used == ip {
			return true
		}
	}
	return false
}
