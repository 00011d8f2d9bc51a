package taskenv

import (
	"net"
	"sort"
	"strconv"
	"strings"

	"github.com/netnomad/netnomad/client/envoybootstrap"
	"github.com/netnomad/netnomad/nomad/structs"
)

// EnvoyAdminAddrPrefix names the Envoy admin address of a Connect sidecar, set
// in the sidecar task as NOMAD_ENVOY_ADMIN_ADDR_<service> (service cleaned).
const EnvoyAdminAddrPrefix = "NOMAD_ENVOY_ADMIN_ADDR_"

// ConnectProxyKindPrefix starts the Kind of a Connect sidecar task:
// "connect-proxy:<service>".
const ConnectProxyKindPrefix = "connect-proxy:"

// ConnectProxyService returns the service a Connect sidecar task fronts, and
// whether task is one.
func ConnectProxyService(task *structs.Task) (string, bool) {
	if task == nil {
		return "", false
	}
	svc, ok := strings.CutPrefix(task.Kind, ConnectProxyKindPrefix)
	return svc, ok && svc != ""
}

// ConnectProxyIndex returns the position of the task named taskName among the
// Connect sidecar tasks of tg sorted by name (0 when it is not one). Each
// sidecar of a group thus gets its own admin port.
func ConnectProxyIndex(tg *structs.TaskGroup, taskName string) int {
	if tg == nil {
		return 0
	}
	var names []string
	for _, t := range tg.Tasks {
		if _, ok := ConnectProxyService(t); ok {
			names = append(names, t.Name)
		}
	}
	sort.Strings(names)
	for i, n := range names {
		if n == taskName {
			return i
		}
	}
	return 0
}

// EnvoyAdminAddr returns the Envoy admin address of the sidecar task named
// taskName in tg: 127.0.0.2:<19000+index>.
func EnvoyAdminAddr(tg *structs.TaskGroup, taskName string) string {
	port := envoybootstrap.AdminPortFor(ConnectProxyIndex(tg, taskName))
	return net.JoinHostPort(envoybootstrap.DefaultAdminAddr, strconv.Itoa(port))
}

// setEnvoy adds NOMAD_ENVOY_ADMIN_ADDR_<service> to a Connect sidecar task.
func (b *Builder) setEnvoy(m map[string]string) {
	svc, ok := ConnectProxyService(b.task)
	if !ok || b.alloc == nil {
		return
	}
	m[EnvoyAdminAddrPrefix+CleanEnvVar(svc, '_')] = EnvoyAdminAddr(b.alloc.LookupTaskGroup(), b.task.Name)
}
