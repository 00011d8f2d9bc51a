package structs

import "strings"

// Group network modes. "cni/<name>" selects an operator's CNI network.
const (
	NetworkModeHost      = "host"
	NetworkModeBridge    = "bridge"
	NetworkModeNone      = "none"
	NetworkModeCNIPrefix = "cni/"
)

// Dynamic host port range used when a node does not configure its own.
const (
	DefaultMinDynamicPort = 20000
	DefaultMaxDynamicPort = 32000
)

// NetworkResource is a network ask (on a group or, 0.9 style, a task) or, on an
// allocation, the network with its host ports assigned.
type NetworkResource struct {
	Mode          string
	Device        string
	CIDR          string
	IP            string
	MBits         int
	ReservedPorts []Port
	DynamicPorts  []Port
}

// Port is one labelled port. Value is the host port (set by the user for static
// ports, by the scheduler for dynamic ones); To is the port inside the allocation's
// namespace: 0 means "same as Value", -1 means "same as Value" too and is resolved by
// the scheduler (the Connect sidecar's sentinel).
type Port struct {
	Label       string
	Value       int
	To          int
	HostNetwork string
}

// NetworkResources is a list of network asks; a group has at most one.
type NetworkResources []*NetworkResource

// Ports returns all ports of the network, reserved first.
func (n *NetworkResource) Ports() []Port {
	out := make([]Port, 0, len(n.ReservedPorts)+len(n.DynamicPorts))
	out = append(out, n.ReservedPorts...)
	return append(out, n.DynamicPorts...)
}

// IsolationMode reports the effective mode: "" means host.
func (n *NetworkResource) IsolationMode() string {
	if n == nil || n.Mode == "" {
		return NetworkModeHost
	}
	return n.Mode
}

// IsCNIMode reports whether mode names an operator CNI network and returns its name.
func IsCNIMode(mode string) (string, bool) {
	if name, ok := strings.CutPrefix(mode, NetworkModeCNIPrefix); ok && name != "" {
		return name, true
	}
	return "", false
}

// NeedsNamespace reports whether allocations of this mode get their own netns.
func NeedsNamespace(mode string) bool {
	if mode == NetworkModeBridge || mode == NetworkModeNone {
		return true
	}
	_, ok := IsCNIMode(mode)
	return ok
}

// AllocatedPortMapping is a port as the allocation got it: host port Value on HostIP,
// forwarded to To inside the namespace.
type AllocatedPortMapping struct {
	Label  string
	Value  int
	To     int
	HostIP string
}

// AllocatedPorts is the list of an allocation's group ports.
type AllocatedPorts []AllocatedPortMapping

// Get returns the mapping with the given label.
func (p AllocatedPorts) Get(label string) (AllocatedPortMapping, bool) {
	for _, m := range p {
		if m.Label == label {
			return m, true
		}
	}
	return AllocatedPortMapping{}, false
}

// AllocNetworkStatus is what the client's network hook made for an allocation.
type AllocNetworkStatus struct {
	InterfaceName string
	Address       string
	// NetnsPath is the bind-mounted namespace file, empty in host mode.
	NetnsPath string `json:",omitempty"`
}
