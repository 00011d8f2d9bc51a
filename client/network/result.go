package network

import (
	"errors"
	"sort"

	cnitypes "github.com/containernetworking/cni/pkg/types"
	types100 "github.com/containernetworking/cni/pkg/types/100"
)

// errNoAddress is returned when a CNI result carries no usable IPv4 address.
var errNoAddress = errors.New("no interface with an address")

// resultAddress picks the allocation's interface and IPv4 address from a CNI
// result, as Nomad does: eth0 if it has one, else the first interface (by name)
// inside the namespace with an IPv4 address, else any IPv4 address.
func resultAddress(res cnitypes.Result) (iface, addr string, err error) {
	r, err := types100.NewResultFromResult(res)
	if err != nil {
		return "", "", err
	}
	byIface := map[string]string{}
	var any string
	for _, ip := range r.IPs {
		if ip.Address.IP.To4() == nil {
			continue
		}
		a := ip.Address.IP.String()
		if any == "" {
			any = a
		}
		if ip.Interface == nil || *ip.Interface < 0 || *ip.Interface >= len(r.Interfaces) {
			continue
		}
		i := r.Interfaces[*ip.Interface]
		if i.Sandbox == "" {
			continue
		}
		if _, seen := byIface[i.Name]; !seen {
			byIface[i.Name] = a
		}
	}
	if a, ok := byIface[ifName]; ok {
		return ifName, a, nil
	}
	names := make([]string, 0, len(byIface))
	for n := range byIface {
		names = append(names, n)
	}
	sort.Strings(names)
	if len(names) > 0 {
		return names[0], byIface[names[0]], nil
	}
	if any != "" {
		return ifName, any, nil
	}
	return "", "", errNoAddress
}

// resultIPs lists every address of a CNI result (for forced cleanup).
func resultIPs(res cnitypes.Result) []string {
	r, err := types100.NewResultFromResult(res)
	if err != nil {
		return nil
	}
	out := make([]string, 0, len(r.IPs))
	for _, ip := range r.IPs {
		out = append(out, ip.Address.IP.String())
	}
	return out
}
