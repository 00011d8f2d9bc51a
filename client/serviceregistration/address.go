package serviceregistration

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/netnomad/netnomad/nomad/structs"
)

// ErrNoNetworkStatus is returned for address_mode = "alloc" outside a namespace.
var ErrNoNetworkStatus = errors.New(`cannot use address_mode="alloc": no allocation network status reported`)

// GetAddress resolves the address and port to advertise for portLabel (a port
// label or a literal number) under addrMode:
//
//   - "auto", "host", "": a label gives the port's HostIP (else hostIP) and its
//     host port; a number gives hostIP and that number.
//   - "alloc", "driver": the namespace address and the port inside it (the
//     label's `to`, or its host port when `to` is unset; a number as is).
//
// An empty portLabel gives an empty address and port 0 (a service without port).
func GetAddress(addrMode, portLabel string, ports structs.AllocatedPorts, netStatus *structs.AllocNetworkStatus, hostIP string) (string, int, error) {
	if portLabel == "" {
		return "", 0, nil
	}
	mapping, isLabel := ports.Get(portLabel)
	number, numErr := strconv.Atoi(portLabel)
	if !isLabel && numErr != nil {
		return "", 0, fmt.Errorf("invalid port %q: port label not found", portLabel)
	}
	switch addrMode {
	case "", structs.AddressModeAuto, structs.AddressModeHost:
		if !isLabel {
			return hostIP, number, nil
		}
		ip := mapping.HostIP
		if ip == "" {
			ip = hostIP
		}
		return ip, mapping.Value, nil
	case structs.AddressModeAlloc, structs.AddressModeDriver:
		if netStatus == nil || netStatus.Address == "" {
			return "", 0, ErrNoNetworkStatus
		}
		if !isLabel {
			return netStatus.Address, number, nil
		}
		return netStatus.Address, InsidePort(mapping), nil
	default:
		return "", 0, fmt.Errorf("invalid address mode %q", addrMode)
	}
}

// InsidePort is the port a mapping reaches inside the allocation's namespace:
// its `to`, or the host port when `to` is unset (0) or the -1 sentinel.
func InsidePort(m structs.AllocatedPortMapping) int {
	if m.To > 0 {
		return m.To
	}
	return m.Value
}
