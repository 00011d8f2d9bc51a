package scheduler

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"

	"github.com/netnomad/netnomad/nomad/structs"
)

const (
	// maxRandPortAttempts is how many random picks AssignPorts tries for a dynamic
	// port before scanning the range linearly.
	maxRandPortAttempts = 20

	maxValidPort = 65535
)

// errDynamicPortsExhausted is returned by AssignPorts when every port of the node's
// dynamic range is in use. The scheduler reports it as the dimension
// "network: dynamic port selection failed".
var errDynamicPortsExhausted = errors.New("dynamic port selection failed")

// NetworkIndex tracks the host ports in use on one node: the node's reserved ports
// and the ports of the allocations added to it (group and 0.9 task networks). It is
// built per placement attempt and is not safe for concurrent use.
type NetworkIndex struct {
	hostIP  string
	device  string
	minPort int
	maxPort int
	used    map[int]struct{}
}

// NewNetworkIndex returns an index for node holding the node's reserved ports
// (ReservedResources.ReservedPorts, e.g. "22,80,8000-8100", and the reserved ports
// of its host networks). The offer's IP is the node's host network IP: the
// NodeResources.Networks entry of mode "host" (or empty), else the attribute
// unique.network.ip-address.
func NewNetworkIndex(node *structs.Node) *NetworkIndex {
	idx := &NetworkIndex{
		minPort: structs.DefaultMinDynamicPort,
		maxPort: structs.DefaultMaxDynamicPort,
		used:    map[int]struct{}{},
	}
	if node == nil {
		return idx
	}
	if nr := node.NodeResources; nr != nil {
		if nr.MinDynamicPort > 0 {
			idx.minPort = nr.MinDynamicPort
		}
		if nr.MaxDynamicPort > 0 {
			idx.maxPort = nr.MaxDynamicPort
		}
		for _, n := range nr.Networks {
			if n == nil || n.IsolationMode() != structs.NetworkModeHost {
				continue
			}
			if idx.hostIP == "" {
				idx.hostIP, idx.device = n.IP, n.Device
			}
			for _, p := range n.ReservedPorts {
				idx.used[p.Value] = struct{}{}
			}
		}
	}
	if idx.minPort > idx.maxPort {
		idx.minPort, idx.maxPort = structs.DefaultMinDynamicPort, structs.DefaultMaxDynamicPort
	}
	if idx.hostIP == "" {
		idx.hostIP = node.Attributes["unique.network.ip-address"]
	}
	if rr := node.ReservedResources; rr != nil && rr.ReservedPorts != "" {
		ports, _ := ParsePortRanges(rr.ReservedPorts)
		for _, p := range ports {
			idx.used[p] = struct{}{}
		}
	}
	return idx
}

// HostIP returns the IP offers are made on.
func (idx *NetworkIndex) HostIP() string { return idx.hostIP }

// Used reports whether the host port is taken.
func (idx *NetworkIndex) Used(port int) bool {
	_, ok := idx.used[port]
	return ok
}

// AddAllocs marks the host ports of the allocations as used. Terminal allocations
// are skipped. It reports whether a port was claimed twice (the state is then
// already over-committed; the scheduler still never offers such a port).
func (idx *NetworkIndex) AddAllocs(allocs []*structs.Allocation) (collide bool) {
	for _, a := range allocs {
		if a.TerminalStatus() || a.AllocatedResources == nil {
			continue
		}
		add := func(port int) {
			if port <= 0 {
				return
			}
			if _, ok := idx.used[port]; ok {
				collide = true
			}
			idx.used[port] = struct{}{}
		}
		// Shared.Ports mirrors Shared.Networks: read it only when the group
		// network is missing.
		for _, n := range a.AllocatedResources.Shared.Networks {
			for _, p := range n.ReservedPorts {
				add(p.Value)
			}
			for _, p := range n.DynamicPorts {
				add(p.Value)
			}
		}
		if len(a.AllocatedResources.Shared.Networks) == 0 {
			for _, p := range a.AllocatedResources.Shared.Ports {
				add(p.Value)
			}
		}
		for _, t := range a.AllocatedResources.Tasks {
			if t == nil {
				continue
			}
			for _, n := range t.Networks {
				for _, p := range n.ReservedPorts {
					add(p.Value)
				}
				for _, p := range n.DynamicPorts {
					add(p.Value)
				}
			}
		}
	}
	return collide
}

// AssignPorts offers host ports for ask: its static ports as asked, and a free
// port of the node's dynamic range for each dynamic port. The offer is a copy of ask
// with Value filled in, IP and Device set to the node's host network, and a `To` of
// -1 resolved to the assigned Value. The offered ports are reserved in the index
// on success, so a later ask (another task of the same allocation, or the next
// allocation on the node) never gets them.
//
// Errors: "reserved port collision <label>=<port>" when a static port is in use,
// and "dynamic port selection failed" when the dynamic range is exhausted.
func (idx *NetworkIndex) AssignPorts(ask *structs.NetworkResource) (*structs.NetworkResource, error) {
	offer := copyNetwork(ask)
	offer.IP = idx.hostIP
	if offer.Device == "" {
		offer.Device = idx.device
	}
	// The ports of one ask are few: a slice beats a map.
	taken := make([]int, 0, len(offer.ReservedPorts)+len(offer.DynamicPorts))
	inUse := func(p int) bool {
		if _, ok := idx.used[p]; ok {
			return true
		}
		return slices.Contains(taken, p)
	}
	for i := range offer.ReservedPorts {
		p := &offer.ReservedPorts[i]
		if p.Value <= 0 || p.Value > maxValidPort {
			return nil, fmt.Errorf("invalid port %d (out of range)", p.Value)
		}
		if inUse(p.Value) {
			return nil, fmt.Errorf("reserved port collision %s=%d", p.Label, p.Value)
		}
		taken = append(taken, p.Value)
		if p.To == -1 {
			p.To = p.Value
		}
	}
	for i := range offer.DynamicPorts {
		p := &offer.DynamicPorts[i]
		port, ok := idx.pickDynamic(inUse)
		if !ok {
			return nil, errDynamicPortsExhausted
		}
		taken = append(taken, port)
		p.Value = port
		if p.To == -1 {
			p.To = port
		}
	}
	for _, p := range taken {
		idx.used[p] = struct{}{}
	}
	return offer, nil
}

// pickDynamic returns a free port of the dynamic range: random picks first, then
// a linear scan so a nearly full range still finds the last free port.
func (idx *NetworkIndex) pickDynamic(inUse func(int) bool) (int, bool) {
	span := idx.maxPort - idx.minPort + 1
	if span <= 0 {
		return 0, false
	}
	for range maxRandPortAttempts {
		p := idx.minPort + rand.IntN(span)
		if !inUse(p) {
			return p, true
		}
	}
	start := rand.IntN(span)
	for i := range span {
		p := idx.minPort + (start+i)%span
		if !inUse(p) {
			return p, true
		}
	}
	return 0, false
}

// copyNetwork copies a network ask without the cost of a generic deep copy (the
// scheduler copies one per candidate node).
func copyNetwork(n *structs.NetworkResource) *structs.NetworkResource {
	c := *n
	c.ReservedPorts = append([]structs.Port(nil), n.ReservedPorts...)
	c.DynamicPorts = append([]structs.Port(nil), n.DynamicPorts...)
	return &c
}

// ParsePortRanges parses a port list such as "22,80,8000-8100" into ports.
func ParsePortRanges(spec string) ([]int, error) {
	var out []int
	for part := range strings.SplitSeq(spec, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		lo, hi, isRange := strings.Cut(part, "-")
		start, err := strconv.Atoi(strings.TrimSpace(lo))
		if err != nil {
			return nil, fmt.Errorf("failed to parse port %q: %w", part, err)
		}
		end := start
		if isRange {
			if end, err = strconv.Atoi(strings.TrimSpace(hi)); err != nil {
				return nil, fmt.Errorf("failed to parse port range %q: %w", part, err)
			}
		}
		if start < 0 || end > maxValidPort || start > end {
			return nil, fmt.Errorf("invalid port range %q", part)
		}
		for p := start; p <= end; p++ {
			out = append(out, p)
		}
	}
	return out, nil
}
