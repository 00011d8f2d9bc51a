// Package taskenv builds a task's environment the way Nomad does: every NOMAD_*
// variable from the allocation, task, node and network status, then the task's
// own env block, and interpolates ${...} references in strings and driver config.
package taskenv

// Variable names, spelled as Nomad spells them.
const (
	AllocDir     = "NOMAD_ALLOC_DIR"
	TaskLocalDir = "NOMAD_TASK_DIR"
	SecretsDir   = "NOMAD_SECRETS_DIR"
	MemLimit     = "NOMAD_MEMORY_LIMIT"
	CpuLimit     = "NOMAD_CPU_LIMIT"
	AllocID      = "NOMAD_ALLOC_ID"
	ShortAllocID = "NOMAD_SHORT_ALLOC_ID"
	AllocName    = "NOMAD_ALLOC_NAME"
	AllocIndex   = "NOMAD_ALLOC_INDEX"
	TaskName     = "NOMAD_TASK_NAME"
	GroupName    = "NOMAD_GROUP_NAME"
	JobName      = "NOMAD_JOB_NAME"
	JobID        = "NOMAD_JOB_ID"
	Datacenter   = "NOMAD_DC"
	Region       = "NOMAD_REGION"
	Namespace    = "NOMAD_NAMESPACE"
)

// Prefixes of per-port, per-meta and per-upstream variables.
const (
	AddrPrefix           = "NOMAD_ADDR_"
	IpPrefix             = "NOMAD_IP_"
	PortPrefix           = "NOMAD_PORT_"
	HostPortPrefix       = "NOMAD_HOST_PORT_"
	HostIPPrefix         = "NOMAD_HOST_IP_"
	HostAddrPrefix       = "NOMAD_HOST_ADDR_"
	AllocPortPrefix      = "NOMAD_ALLOC_PORT_"
	AllocIPPrefix        = "NOMAD_ALLOC_IP_"
	AllocAddrPrefix      = "NOMAD_ALLOC_ADDR_"
	AllocInterfacePrefix = "NOMAD_ALLOC_INTERFACE_"
	MetaPrefix           = "NOMAD_META_"
	UpstreamIPPrefix     = "NOMAD_UPSTREAM_IP_"
	UpstreamPortPrefix   = "NOMAD_UPSTREAM_PORT_"
	UpstreamAddrPrefix   = "NOMAD_UPSTREAM_ADDR_"
)

// Node attribute names usable in ${...}; attributes and node meta are
// "attr.<k>" and "meta.<k>".
const (
	NodeIDKey      = "node.unique.id"
	NodeNameKey    = "node.unique.name"
	NodeDCKey      = "node.datacenter"
	NodeRegionKey  = "node.region"
	NodeClassKey   = "node.class"
	NodeAttrPrefix = "attr."
	NodeMetaPrefix = "meta."
	EnvPrefix      = "env."
)

// cleanedPrefixes are the prefixes whose keys are cleaned (see CleanEnvVar). Other
// prefixes, e.g. NOMAD_HOST_IP_ and NOMAD_ALLOC_*, keep dashed labels as is.
var cleanedPrefixes = []string{AddrPrefix, IpPrefix, PortPrefix, HostPortPrefix, MetaPrefix}

// CleanEnvVar replaces every byte of s that is not [A-Za-z0-9_.] (no digit at
// position 0) with r.
func CleanEnvVar(s string, r byte) string {
	b := []byte(s)
	for i, c := range b {
		switch {
		case c == '_', c == '.':
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		case i > 0 && c >= '0' && c <= '9':
		default:
			b[i] = r
		}
	}
	return string(b)
}

// cleanKey cleans k when it has one of the cleaned prefixes.
func cleanKey(k string) string {
	for _, p := range cleanedPrefixes {
		if len(k) >= len(p) && k[:len(p)] == p {
			return CleanEnvVar(k, '_')
		}
	}
	return k
}
