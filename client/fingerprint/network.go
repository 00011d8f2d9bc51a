package fingerprint

import (
	"fmt"
	"net"

	"github.com/netnomad/netnomad/nomad/structs"
)

// HostNetwork returns the node's host network: on iface when set, else on the
// interface holding the default route. Nomad's dev mode uses loopback, but this
// client advertises a routable address even in dev; only when none can be found
// does it fall back to 127.0.0.1 on "lo" (returned together with the error).
func HostNetwork(iface string) (*structs.NetworkResource, error) {
	loopback := &structs.NetworkResource{Mode: structs.NetworkModeHost, Device: "lo", IP: "127.0.0.1", CIDR: "127.0.0.1/32"}
	if iface == "" {
		dev, err := defaultRouteInterface()
		if err != nil {
			return loopback, err
		}
		iface = dev
	}
	ip, err := interfaceIPv4(iface)
	if err != nil {
		return loopback, err
	}
	return &structs.NetworkResource{
		Mode:   structs.NetworkModeHost,
		Device: iface,
		IP:     ip.String(),
		CIDR:   ip.String() + "/32",
	}, nil
}

// interfaceIPv4 returns the first IPv4 address of the named interface.
func interfaceIPv4(name string) (net.IP, error) {
	ifc, err := net.InterfaceByName(name)
	if err != nil {
		return nil, fmt.Errorf("failed to find interface %q: %w", name, err)
	}
	addrs, err := ifc.Addrs()
	if err != nil {
		return nil, fmt.Errorf("failed to list addresses of %q: %w", name, err)
	}
	for _, a := range addrs {
		if ipn, ok := a.(*net.IPNet); ok && ipn.IP.To4() != nil {
			return ipn.IP.To4(), nil
		}
	}
	return nil, fmt.Errorf("interface %q has no IPv4 address", name)
}
