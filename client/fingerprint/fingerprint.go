// Package fingerprint discovers what a client node is and offers: host
// attributes (kernel, OS, CPU, memory, network), resources, and driver health.
package fingerprint

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"sort"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/netnomad/netnomad/client/config"
	"github.com/netnomad/netnomad/nomad/structs"
	"github.com/netnomad/netnomad/version"
)

// HostFacts are the raw facts a platform probe found. Zero values mean "unknown".
type HostFacts struct {
	KernelName    string
	KernelVersion string
	KernelArch    string
	OSName        string
	OSVersion     string
	CPUCores      int
	CPUMHz        float64
	MemoryBytes   uint64
	DiskBytes     uint64 // free+used size of the data dir's filesystem
}

// Fingerprint builds the node's attributes, resources and driver infos. It fills
// a copy of node (ID, name and status are the caller's) and returns it.
func Fingerprint(ctx context.Context, cfg *config.Config, node *structs.Node, logger hclog.Logger) (*structs.Node, error) {
	n := node.Copy()
	if n.Attributes == nil {
		n.Attributes = map[string]string{}
	}
	attrs := n.Attributes
	if n.Meta == nil {
		n.Meta = map[string]string{}
	}
	setConnectMeta(n.Meta)

	facts, err := probeHost(cfg)
	if err != nil {
		logger.Warn("host fingerprint incomplete", "error", err)
	}
	setIf := func(k, v string) {
		if v != "" {
			attrs[k] = v
		}
	}
	setIf("kernel.name", facts.KernelName)
	setIf("kernel.version", facts.KernelVersion)
	setIf("kernel.arch", facts.KernelArch)
	setIf("os.name", facts.OSName)
	setIf("os.version", facts.OSVersion)
	attrs["cpu.arch"] = runtime.GOARCH
	attrs["nomad.version"] = version.Version

	cores := facts.CPUCores
	if cores == 0 {
		cores = runtime.NumCPU()
	}
	mhz := int64(facts.CPUMHz)
	if mhz == 0 {
		// Some virtual machines hide the frequency; Nomad assumes 1 GHz-ish
		// defaults would be wrong, so use a conservative 1000 MHz.
		mhz = 1000
	}
	total := mhz * int64(cores)
	attrs["cpu.numcores"] = fmt.Sprint(cores)
	attrs["cpu.frequency"] = fmt.Sprint(mhz)
	attrs["cpu.totalcompute"] = fmt.Sprint(total)
	if facts.MemoryBytes > 0 {
		attrs["memory.totalbytes"] = fmt.Sprint(facts.MemoryBytes)
	}
	if host, err := os.Hostname(); err == nil {
		attrs["unique.hostname"] = host
	}

	hostNet, err := HostNetwork(cfg.NetworkInterface)
	if err != nil {
		logger.Warn("network fingerprint failed; using loopback", "error", err)
	}
	attrs["unique.network.ip-address"] = hostNet.IP
	attrs["network.ip-address"] = hostNet.IP

	n.NodeResources = &structs.NodeResources{
		CPUShares:      total,
		MemoryMB:       int64(facts.MemoryBytes / 1024 / 1024),
		DiskMB:         int64(facts.DiskBytes / 1024 / 1024),
		Networks:       structs.NetworkResources{hostNet},
		MinDynamicPort: cfg.MinDynamicPort,
		MaxDynamicPort: cfg.MaxDynamicPort,
	}

	fingerprintNetworkModes(cfg, n, logger)
	fingerprintDrivers(ctx, cfg, n)
	return n, nil
}

// fingerprintDrivers asks every enabled driver about itself. Healthy, detected
// drivers get "driver.<name>" = "1" and their attributes under "driver.<name>.".
func fingerprintDrivers(ctx context.Context, cfg *config.Config, n *structs.Node) {
	if n.Drivers == nil {
		n.Drivers = map[string]*structs.DriverInfo{}
	}
	names := make([]string, 0, len(cfg.Drivers))
	for name := range cfg.Drivers {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		fp := cfg.Drivers[name].Fingerprint(ctx)
		if fp == nil {
			fp = &driversFingerprintUnknown
		}
		info := &structs.DriverInfo{
			Attributes:        map[string]string{},
			Detected:          fp.Detected,
			Healthy:           fp.Healthy,
			HealthDescription: fp.HealthDescription,
			UpdateTime:        time.Now().UnixNano(),
		}
		for k, v := range fp.Attributes {
			info.Attributes[k] = v
		}
		n.Drivers[name] = info
		key := "driver." + name
		delete(n.Attributes, key)
		if fp.Detected && fp.Healthy {
			n.Attributes[key] = "1"
			for k, v := range fp.Attributes {
				n.Attributes[key+"."+k] = v
			}
		}
	}
}
