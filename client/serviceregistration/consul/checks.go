package consul

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"time"

	"github.com/hashicorp/consul/api"

	sr "github.com/netnomad/netnomad/client/serviceregistration"
	"github.com/netnomad/netnomad/nomad/structs"
)

// Check types of the job specification.
const (
	CheckTypeHTTP   = "http"
	CheckTypeTCP    = "tcp"
	CheckTypeScript = "script"
	CheckTypeGRPC   = "grpc"
)

// TTLCheckBuffer is added to a script check's interval to make its TTL, so a
// heartbeat that is a little late does not turn the check critical.
const TTLCheckBuffer = 31 * time.Second

// buildChecks returns the Consul checks of svc, registered as serviceID.
func buildChecks(serviceID string, w *sr.WorkloadServices, svc *structs.Service) (api.AgentServiceChecks, error) {
	var out api.AgentServiceChecks
	for _, check := range svc.Checks {
		c, err := buildCheck(serviceID, w, svc, check)
		if err != nil {
			return nil, fmt.Errorf("invalid check %q of service %q: %w", check.Name, svc.Name, err)
		}
		out = append(out, c)
	}
	return out, nil
}

// buildCheck translates one check. Script checks become TTL checks whose
// status the caller reports with ServiceClient.UpdateTTL.
func buildCheck(serviceID string, w *sr.WorkloadServices, svc *structs.Service, check *structs.ServiceCheck) (*api.AgentServiceCheck, error) {
	name := check.Name
	if name == "" {
		name = fmt.Sprintf("service: %q check", svc.Name)
	}
	c := &api.AgentServiceCheck{
		CheckID: sr.MakeCheckID(serviceID, check),
		Name:    name,
		Status:  check.InitialStatus,
	}
	if check.Type == CheckTypeScript {
		c.TTL = (check.Interval + TTLCheckBuffer).String()
		return c, nil
	}
	c.Interval = check.Interval.String()
	if check.Timeout > 0 {
		c.Timeout = check.Timeout.String()
	}

	portLabel := check.PortLabel
	if portLabel == "" {
		portLabel = svc.PortLabel
	}
	if portLabel == "" {
		return nil, fmt.Errorf("check requires a port but neither check nor service %q have a port", svc.Name)
	}
	addrMode := check.AddressMode
	if addrMode == "" {
		addrMode = structs.AddressModeHost
	}
	host, port, err := sr.GetAddress(addrMode, portLabel, w.Ports, w.NetworkStatus, w.HostIP)
	if err != nil {
		return nil, err
	}
	hostPort := net.JoinHostPort(host, strconv.Itoa(port))

	switch check.Type {
	case CheckTypeHTTP:
		proto := check.Protocol
		if proto == "" {
			proto = "http"
		}
		base := url.URL{Scheme: proto, Host: hostPort}
		rel, err := url.Parse(check.Path)
		if err != nil {
			return nil, fmt.Errorf("invalid path %q: %w", check.Path, err)
		}
		c.HTTP = base.ResolveReference(rel).String()
		c.Method = check.Method
		c.Header = check.Header
	case CheckTypeTCP:
		c.TCP = hostPort
	case CheckTypeGRPC:
		c.GRPC = hostPort
	default:
		return nil, fmt.Errorf("unsupported check type %q", check.Type)
	}
	return c, nil
}
