package taskenv

import (
	"maps"
	"net"
	"strconv"
	"strings"

	"github.com/netnomad/netnomad/nomad/structs"
)

// Builder collects what a task's environment is made of. Setters return the
// builder for chaining; Build may be called more than once. A Builder is not safe
// for concurrent use.
type Builder struct {
	node   *structs.Node
	alloc  *structs.Allocation
	task   *structs.Task
	region string

	allocDir   string
	taskDir    string
	secretsDir string
	netStatus  *structs.AllocNetworkStatus
	hostEnv    map[string]string
}

// NewBuilder starts a task environment. Any argument may be nil; region "" means
// the job's region.
func NewBuilder(node *structs.Node, alloc *structs.Allocation, task *structs.Task, region string) *Builder {
	return &Builder{node: node, alloc: alloc, task: task, region: region}
}

// SetAllocDir sets NOMAD_ALLOC_DIR: the shared alloc dir as the task sees it
// (for raw_exec, <alloc dir>/alloc).
func (b *Builder) SetAllocDir(dir string) *Builder { b.allocDir = dir; return b }

// SetTaskDir sets NOMAD_TASK_DIR: the task's local dir as the task sees it (for
// raw_exec, <alloc dir>/<task>/local).
func (b *Builder) SetTaskDir(dir string) *Builder { b.taskDir = dir; return b }

// SetSecretsDir sets NOMAD_SECRETS_DIR (for raw_exec, <alloc dir>/<task>/secrets).
func (b *Builder) SetSecretsDir(dir string) *Builder { b.secretsDir = dir; return b }

// SetNetworkStatus sets the allocation's network status (bridge/CNI); with an
// address it adds NOMAD_ALLOC_IP_/ADDR_/INTERFACE_<label>. Without it the
// allocation's own NetworkStatus is used.
func (b *Builder) SetNetworkStatus(s *structs.AllocNetworkStatus) *Builder { b.netStatus = s; return b }

// SetHostEnvvars adds host variables (e.g. the agent's, filtered) under
// everything else: any NOMAD_* or task env variable wins.
func (b *Builder) SetHostEnvvars(env map[string]string) *Builder {
	b.hostEnv = maps.Clone(env)
	return b
}

// Build computes the environment: host vars, then the NOMAD_* vars, meta and
// network vars with their keys cleaned, then the task's env block interpolated
// against all of that (values only).
func (b *Builder) Build() *TaskEnv {
	nomad := map[string]string{}
	b.setTask(nomad)
	b.setAlloc(nomad)
	b.setMeta(nomad)
	b.setPorts(nomad)
	b.setUpstreams(nomad)
	b.setEnvoy(nomad)

	env := maps.Clone(b.hostEnv)
	if env == nil {
		env = map[string]string{}
	}
	for k, v := range nomad {
		env[cleanKey(k)] = v
	}
	te := &TaskEnv{env: env, nodeAttrs: b.nodeAttrs()}
	if b.task != nil {
		user := make(map[string]string, len(b.task.Env))
		for k, v := range b.task.Env {
			user[cleanKey(k)] = te.ReplaceEnv(v)
		}
		maps.Copy(env, user)
	}
	return te
}

func (b *Builder) setTask(m map[string]string) {
	setIf(m, AllocDir, b.allocDir)
	setIf(m, TaskLocalDir, b.taskDir)
	setIf(m, SecretsDir, b.secretsDir)
	if b.task == nil {
		return
	}
	m[TaskName] = b.task.Name
	cpu, mem := b.limits()
	if cpu > 0 || mem > 0 {
		m[CpuLimit] = strconv.FormatInt(cpu, 10)
		m[MemLimit] = strconv.FormatInt(mem, 10)
	}
}

// limits returns the task's CPU (MHz) and memory (MB): the allocated ones, else
// the asked ones.
func (b *Builder) limits() (int64, int64) {
	if tr := b.taskResources(); tr != nil {
		return tr.CPUShares, tr.MemoryMB
	}
	if r := b.task.Resources; r != nil {
		return int64(r.CPU), int64(r.MemoryMB)
	}
	return 0, 0
}

func (b *Builder) taskResources() *structs.AllocatedTaskResources {
	if b.alloc == nil || b.alloc.AllocatedResources == nil || b.task == nil {
		return nil
	}
	return b.alloc.AllocatedResources.Tasks[b.task.Name]
}

func (b *Builder) setAlloc(m map[string]string) {
	if b.node != nil {
		m[Datacenter] = b.node.Datacenter
	}
	region := b.region
	a := b.alloc
	if a == nil {
		setIf(m, Region, region)
		return
	}
	m[AllocID] = a.ID
	m[ShortAllocID] = shortID(a.ID)
	m[AllocName] = a.Name
	m[AllocIndex] = strconv.Itoa(a.Index())
	m[GroupName] = a.TaskGroup
	ns := a.Namespace
	if j := a.Job; j != nil {
		m[JobName] = j.Name
		m[JobID] = j.ID
		if region == "" {
			region = j.Region
		}
		if ns == "" {
			ns = j.Namespace
		}
	}
	if ns == "" {
		ns = structs.DefaultNamespace
	}
	m[Namespace] = ns
	setIf(m, Region, region)
}

// setMeta adds NOMAD_META_<k> and NOMAD_META_<K> for job, group and task meta
// merged (task wins over group wins over job).
func (b *Builder) setMeta(m map[string]string) {
	merged := map[string]string{}
	if b.alloc != nil && b.alloc.Job != nil {
		maps.Copy(merged, b.alloc.Job.Meta)
		if tg := b.alloc.LookupTaskGroup(); tg != nil {
			maps.Copy(merged, tg.Meta)
		}
	}
	if b.task != nil {
		maps.Copy(merged, b.task.Meta)
	}
	for k, v := range merged {
		m[MetaPrefix+strings.ToUpper(k)] = v
	}
	// Exact-case keys win over upper-cased ones that collide.
	for k, v := range merged {
		m[MetaPrefix+k] = v
	}
}

// setPorts adds the variables of the task's own 0.9-style network, other tasks'
// task-level ports, and the group's ports (0.10 from the group network, then the
// 0.12+ set from AllocatedResources.Shared.Ports, plus the 1.8+ alloc-address set
// when the allocation has a network address). A port without a HostIP gets the
// group network's IP, else the node's unique.network.ip-address.
func (b *Builder) setPorts(m map[string]string) {
	if b.alloc == nil || b.alloc.AllocatedResources == nil {
		return
	}
	ar := b.alloc.AllocatedResources
	taskName := ""
	if b.task != nil {
		taskName = b.task.Name
	}
	for name, tr := range ar.Tasks {
		if tr == nil {
			continue
		}
		for _, nw := range tr.Networks {
			for _, p := range nw.Ports() {
				if name == taskName {
					m[IpPrefix+p.Label] = nw.IP
					m[HostPortPrefix+p.Label] = strconv.Itoa(p.Value)
					m[AddrPrefix+p.Label] = hostPort(nw.IP, p.Value)
					m[PortPrefix+p.Label] = strconv.Itoa(p.Value)
					continue
				}
				key := name + "_" + p.Label
				m[IpPrefix+key] = nw.IP
				m[AddrPrefix+key] = hostPort(nw.IP, p.Value)
				m[PortPrefix+key] = strconv.Itoa(p.Value)
			}
		}
	}

	groupIP := ""
	if b.node != nil {
		groupIP = b.node.Attributes["unique.network.ip-address"]
	}
	for i, nw := range ar.Shared.Networks {
		if i == 0 && nw.IP != "" {
			groupIP = nw.IP
		}
		for _, p := range nw.Ports() {
			m[PortPrefix+p.Label] = strconv.Itoa(inner(p.To, p.Value))
			m[HostPortPrefix+p.Label] = strconv.Itoa(p.Value)
		}
	}

	status := b.netStatus
	if status == nil {
		status = b.alloc.NetworkStatus
	}
	for _, p := range ar.Shared.Ports {
		ip := p.HostIP
		if ip == "" {
			ip = groupIP
		}
		port := strconv.Itoa(inner(p.To, p.Value))
		m[IpPrefix+p.Label] = ip
		m[HostIPPrefix+p.Label] = ip
		m[AddrPrefix+p.Label] = hostPort(ip, p.Value)
		m[HostAddrPrefix+p.Label] = hostPort(ip, p.Value)
		m[PortPrefix+p.Label] = port
		m[AllocPortPrefix+p.Label] = port
		m[HostPortPrefix+p.Label] = strconv.Itoa(p.Value)
		if status != nil && status.Address != "" {
			m[AllocIPPrefix+p.Label] = status.Address
			m[AllocAddrPrefix+p.Label] = net.JoinHostPort(status.Address, port)
			m[AllocInterfacePrefix+p.Label] = status.InterfaceName
		}
	}
}

// setUpstreams adds NOMAD_UPSTREAM_{IP,PORT,ADDR}_<name> for every upstream of
// every Connect service of the group, once as named and once cleaned. The IP is
// always 127.0.0.1, as in Nomad.
// defaultUpstreamBindAddress is where Envoy listens for an upstream without a
// local_bind_address.
const defaultUpstreamBindAddress = "127.0.0.1"

func (b *Builder) setUpstreams(m map[string]string) {
	if b.alloc == nil {
		return
	}
	tg := b.alloc.LookupTaskGroup()
	if tg == nil {
		return
	}
	for _, s := range tg.Services {
		if !s.Connect.HasSidecar() || s.Connect.SidecarService.Proxy == nil {
			continue
		}
		for _, u := range s.Connect.SidecarService.Proxy.Upstreams {
			port := strconv.Itoa(u.LocalBindPort)
			// Envoy listens for the upstream on local_bind_address (Consul's
			// default: loopback) inside the group's namespace.
			ip := u.LocalBindAddress
			if ip == "" {
				ip = defaultUpstreamBindAddress
			}
			for _, name := range []string{u.DestinationName, CleanEnvVar(u.DestinationName, '_')} {
				m[UpstreamIPPrefix+name] = ip
				m[UpstreamPortPrefix+name] = port
				m[UpstreamAddrPrefix+name] = net.JoinHostPort(ip, port)
			}
		}
	}
}

// nodeAttrs returns the node.*, attr.* and meta.* interpolation keys.
func (b *Builder) nodeAttrs() map[string]string {
	m := map[string]string{}
	region := b.region
	if region == "" && b.alloc != nil && b.alloc.Job != nil {
		region = b.alloc.Job.Region
	}
	setIf(m, NodeRegionKey, region)
	n := b.node
	if n == nil {
		return m
	}
	m[NodeIDKey] = n.ID
	m[NodeNameKey] = n.Name
	m[NodeDCKey] = n.Datacenter
	m[NodeClassKey] = n.NodeClass
	for k, v := range n.Attributes {
		m[NodeAttrPrefix+k] = v
	}
	for k, v := range n.Meta {
		m[NodeMetaPrefix+k] = v
	}
	return m
}

// inner is the port inside the allocation: to when positive, else the host port
// (to = -1 is the Connect sidecar's "same as host").
func inner(to, value int) int {
	if to > 0 {
		return to
	}
	return value
}

func hostPort(ip string, port int) string {
	return net.JoinHostPort(ip, strconv.Itoa(port))
}

func shortID(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}

func setIf(m map[string]string, k, v string) {
	if v != "" {
		m[k] = v
	}
}
