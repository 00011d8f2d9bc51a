package structs

// Node statuses.
const (
	NodeStatusInit  = "initializing"
	NodeStatusReady = "ready"
	NodeStatusDown  = "down"
)

// Scheduling eligibility.
const (
	NodeSchedulingEligible   = "eligible"
	NodeSchedulingIneligible = "ineligible"
)

// Node is a client machine that runs allocations.
type Node struct {
	ID string
	// SecretID authenticates the node's client to the servers. It is part of the
	// replicated state (any server must check it) and never leaves through the
	// public API: the api.Node converter has no field for it.
	SecretID   string
	Datacenter string
	Name       string
	HTTPAddr   string
	// Attributes are fingerprinted facts: "kernel.name", "unique.network.ip-address",
	// "driver.raw_exec", "plugins.cni.version.bridge", ...
	Attributes            map[string]string
	Meta                  map[string]string
	NodeClass             string
	NodeResources         *NodeResources
	ReservedResources     *NodeReservedResources
	Drivers               map[string]*DriverInfo
	SchedulingEligibility string
	Status                string
	StatusDescription     string
	StatusUpdatedAt       int64
	CreateIndex           uint64
	ModifyIndex           uint64
}

// Ready reports whether the node can take new allocations.
func (n *Node) Ready() bool {
	return n.Status == NodeStatusReady && n.SchedulingEligibility != NodeSchedulingIneligible
}

// NodeResources is what a node offers.
type NodeResources struct {
	CPUShares int64
	MemoryMB  int64
	DiskMB    int64
	// Networks lists the node's host networks (Mode "host", with Device and IP)
	// and the group modes it supports ({Mode: "bridge"}, {Mode: "cni/<name>"}).
	Networks       NetworkResources
	MinDynamicPort int
	MaxDynamicPort int
}

// NodeReservedResources are held back from scheduling.
type NodeReservedResources struct {
	CPUShares     int64
	MemoryMB      int64
	DiskMB        int64
	ReservedPorts string
}

// DriverInfo is a driver's fingerprint on a node.
type DriverInfo struct {
	Attributes        map[string]string
	Detected          bool
	Healthy           bool
	HealthDescription string
	UpdateTime        int64
}
