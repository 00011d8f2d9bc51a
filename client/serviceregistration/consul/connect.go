package consul

import (
	"fmt"
	"maps"
	"net"
	"slices"
	"strconv"

	"github.com/hashicorp/consul/api"

	sr "github.com/netnomad/netnomad/client/serviceregistration"
	"github.com/netnomad/netnomad/nomad/structs"
)

// Defaults of a sidecar registration.
const (
	// ConnectProxyPortPrefix prefixes the label of the port the Connect mutator
	// adds for a service's sidecar: "connect-proxy-<service>".
	ConnectProxyPortPrefix = "connect-proxy-"

	// DefaultLocalServiceAddress is where the proxy reaches the service.
	DefaultLocalServiceAddress = "127.0.0.1"

	// DefaultBindAddress is where Envoy's public listener binds in the namespace.
	DefaultBindAddress = "0.0.0.0"

	// SidecarCheckInterval is the interval of the default TCP check.
	SidecarCheckInterval = "10s"
)

// buildConnect returns the Connect part of the registration of svc (nil when
// it has none): Native, or a nested SidecarService that Consul registers as
// "<serviceID>-sidecar-proxy".
func buildConnect(serviceID string, w *sr.WorkloadServices, svc *structs.Service) (*api.AgentServiceConnect, error) {
	cc := svc.Connect
	switch {
	case cc == nil:
		return nil, nil
	case cc.Native:
		return &api.AgentServiceConnect{Native: true}, nil
	case cc.SidecarService == nil:
		return nil, nil
	}
	css := cc.SidecarService

	label := css.Port
	if label == "" {
		label = ConnectProxyPortPrefix + svc.Name
	}
	mapping, ok := w.Ports.Get(label)
	if !ok {
		return nil, fmt.Errorf("No Connect port defined for service %q", svc.Name)
	}
	hostIP := mapping.HostIP
	if hostIP == "" {
		hostIP = w.HostIP
	}
	proxy, err := buildProxy(serviceID, w, svc, sr.InsidePort(mapping))
	if err != nil {
		return nil, err
	}

	checks := api.AgentServiceChecks{{
		Name:         "Connect Sidecar Aliasing " + serviceID,
		AliasService: serviceID,
	}}
	if !css.DisableDefaultTCPCheck {
		checks = append(checks, &api.AgentServiceCheck{
			Name:     "Connect Sidecar Listening",
			TCP:      net.JoinHostPort(hostIP, strconv.Itoa(mapping.Value)),
			Interval: SidecarCheckInterval,
		})
	}

	var meta map[string]string
	if len(css.Meta) > 0 {
		meta = maps.Clone(css.Meta)
	}
	return &api.AgentServiceConnect{
		SidecarService: &api.AgentServiceRegistration{
			Tags:    slices.Clone(css.Tags),
			Port:    mapping.Value,
			Address: hostIP,
			Meta:    meta,
			Proxy:   proxy,
			Checks:  checks,
		},
	}, nil
}

// buildProxy returns the sidecar's proxy configuration. LocalServicePort
// defaults to the port the service listens on inside the namespace (not the
// host port, Nomad's GH-7229); bindPort is the sidecar port inside it.
func buildProxy(serviceID string, w *sr.WorkloadServices, svc *structs.Service, bindPort int) (*api.AgentServiceConnectProxyConfig, error) {
	var p structs.ConsulProxy
	if svc.Connect.SidecarService.Proxy != nil {
		p = *svc.Connect.SidecarService.Proxy
	}
	localAddr := p.LocalServiceAddress
	if localAddr == "" {
		localAddr = DefaultLocalServiceAddress
	}
	localPort := p.LocalServicePort
	if localPort == 0 {
		port, err := servicePortInside(w, svc)
		if err != nil {
			return nil, err
		}
		localPort = port
	}

	config := make(map[string]any, len(p.Config)+3)
	maps.Copy(config, p.Config)
	if _, ok := config["bind_address"]; !ok {
		config["bind_address"] = DefaultBindAddress
	}
	config["bind_port"] = bindPort
	if _, ok := config["envoy_stats_tags"]; !ok {
		config["envoy_stats_tags"] = []string{
			"nomad.alloc_id=" + w.AllocID,
			"nomad.group=" + w.Group,
			"nomad.job=" + w.JobID,
			"nomad.namespace=" + w.Namespace,
		}
	}

	var upstreams []api.Upstream
	for _, u := range p.Upstreams {
		upstreams = append(upstreams, api.Upstream{
			DestinationName:  u.DestinationName,
			Datacenter:       u.Datacenter,
			LocalBindAddress: u.LocalBindAddress,
			LocalBindPort:    u.LocalBindPort,
		})
	}

	var expose api.ExposeConfig
	if p.Expose != nil {
		for _, path := range p.Expose.Paths {
			listener, ok := w.Ports.Get(path.ListenerPort)
			if !ok {
				return nil, fmt.Errorf("No port of label %q defined", path.ListenerPort)
			}
			expose.Paths = append(expose.Paths, api.ExposePath{
				ListenerPort:  listener.Value,
				Path:          path.Path,
				LocalPathPort: path.LocalPathPort,
				Protocol:      path.Protocol,
			})
		}
	}

	return &api.AgentServiceConnectProxyConfig{
		DestinationServiceName: svc.Name,
		DestinationServiceID:   serviceID,
		LocalServiceAddress:    localAddr,
		LocalServicePort:       localPort,
		Config:                 config,
		Upstreams:              upstreams,
		Expose:                 expose,
	}, nil
}

// servicePortInside returns the port svc listens on inside the namespace: a
// literal number as is, a label's `to`.
func servicePortInside(w *sr.WorkloadServices, svc *structs.Service) (int, error) {
	if n, err := strconv.Atoi(svc.PortLabel); err == nil {
		return n, nil
	}
	m, ok := w.Ports.Get(svc.PortLabel)
	if !ok {
		return 0, fmt.Errorf("invalid port %q: port label not found", svc.PortLabel)
	}
	return sr.InsidePort(m), nil
}
