package serviceregistration

import (
	"crypto/sha1"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/netnomad/netnomad/nomad/structs"
)

// Prefixes of everything Nomad registers in a service catalog. Services whose
// ID does not start with NomadPrefix are never touched.
const (
	NomadPrefix      = "_nomad"
	NomadTaskPrefix  = NomadPrefix + "-task-"
	NomadCheckPrefix = NomadPrefix + "-check-"
)

// SidecarProxySuffix is what Consul appends to a service ID to name the sidecar
// proxy service it registers from a nested Connect.SidecarService.
const SidecarProxySuffix = "-sidecar-proxy"

// MakeAllocServiceID returns the service ID Nomad uses:
// "_nomad-task-<alloc>-<task or group-<group>>-<service>-<port label>".
func MakeAllocServiceID(allocID, task string, service *structs.Service) string {
	return fmt.Sprintf("%s%s-%s-%s-%s", NomadTaskPrefix, allocID, task, service.Name, service.PortLabel)
}

// MakeSidecarServiceID returns the ID Consul gives the sidecar of serviceID.
func MakeSidecarServiceID(serviceID string) string { return serviceID + SidecarProxySuffix }

// MakeCheckID returns "_nomad-check-<sha1>" of the service ID and the check's
// definition; it is stable as long as neither changes.
func MakeCheckID(serviceID string, check *structs.ServiceCheck) string {
	return NomadCheckPrefix + checkHash(serviceID, check)
}

// checkHash hashes the fields Nomad hashes, in Nomad's order, so that IDs
// match a Nomad client's for the same check.
func checkHash(serviceID string, c *structs.ServiceCheck) string {
	h := sha1.New()
	_, _ = io.WriteString(h, serviceID)
	_, _ = io.WriteString(h, c.Name)
	_, _ = io.WriteString(h, c.Type)
	_, _ = io.WriteString(h, c.Command)
	_, _ = io.WriteString(h, strings.Join(c.Args, ""))
	_, _ = io.WriteString(h, c.Path)
	_, _ = io.WriteString(h, c.Protocol)
	_, _ = io.WriteString(h, c.PortLabel)
	_, _ = io.WriteString(h, c.Interval.String())
	_, _ = io.WriteString(h, c.Timeout.String())
	_, _ = io.WriteString(h, c.Method)
	if len(c.Header) > 0 {
		headers := make([]string, 0, len(c.Header))
		for k, v := range c.Header {
			headers = append(headers, k+strings.Join(v, ""))
		}
		sort.Strings(headers)
		_, _ = io.WriteString(h, strings.Join(headers, ""))
	}
	if c.AddressMode != "" {
		_, _ = io.WriteString(h, c.AddressMode)
	}
	return fmt.Sprintf("%x", h.Sum(nil))
}

// AllocIDFromServiceID returns the allocation ID embedded in a "_nomad-task-"
// service ID (sidecars included) and whether id is one.
func AllocIDFromServiceID(id string) (string, bool) {
	rest, ok := strings.CutPrefix(id, NomadTaskPrefix)
	const uuidLen = 36
	if !ok || len(rest) < uuidLen {
		return "", false
	}
	return rest[:uuidLen], true
}
