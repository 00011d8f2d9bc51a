package nomad

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash/fnv"
	"strings"
	"time"

	"github.com/netnomad/netnomad/nomad/structs"
)

// Names of what the Connect hook injects, as Nomad spells them.
const (
	// connectProxyPrefix starts the sidecar task's name and port label:
	// "connect-proxy-<service>".
	connectProxyPrefix = "connect-proxy"
	// connectProxyKindPrefix starts the sidecar task's Kind: "connect-proxy:<service>".
	connectProxyKindPrefix = "connect-proxy:"
	// connectNativeKindPrefix starts the Kind of a Connect Native task:
	// "connect-native:<service>".
	connectNativeKindPrefix = "connect-native:"
)

// Defaults of the injected sidecar task (Nomad's newConnectSidecarTask).
const (
	connectSidecarDriver        = "docker"
	connectSidecarImage         = "${meta.connect.sidecar_image}"
	connectSidecarCPU           = 250
	connectSidecarMemoryMB      = 128
	connectSidecarLogFiles      = 2
	connectSidecarLogFileSizeMB = 2
	connectSidecarShutdownDelay = 5 * time.Second
	connectSidecarKillTimeout   = 5 * time.Second
)

// Upstreams without a local_bind_port get one from [upstreamPortMin,
// upstreamPortMin+upstreamPortCount). The range lies below the dynamic host port
// range (20000-32000), which the sidecar's own `to = -1` port uses inside the
// namespace, and below Envoy's admin ports (19000+).
const (
	upstreamPortMin   = 10000
	upstreamPortCount = 5000
)

// jobConnectHook is the Connect admission hook ("connect"): a mutator that injects
// the sidecar proxy task and port of every Connect service with a sidecar_service,
// marks Connect Native tasks and fills in missing upstream bind ports; and a
// validator for the Connect rules the model's own validation does not cover.
//
// The mutation is deterministic and idempotent: submitting the same spec twice, or
// re-submitting the stored (already mutated) job, produces the same job, so
// neither a task nor a port is ever added twice and the job version does not move.
type jobConnectHook struct {
	// sidecarDriver and sidecarConfig, when sidecarDriver is set, replace the
	// default Envoy task's "docker" driver and config, e.g. with raw_exec running
	// a host envoy for operators without Docker. sidecarConfig is copied for
	// every injection.
	sidecarDriver string
	sidecarConfig map[string]any
}

// newJobConnectHook returns the Connect hook with the operator's sidecar
// default (nil or without a driver: Nomad's docker Envoy task). sidecar must be
// valid (ConnectSidecarConfig.Validate).
func newJobConnectHook(sidecar *ConnectSidecarConfig) jobConnectHook {
	var h jobConnectHook
	if sidecar != nil && sidecar.Driver != "" {
		h.sidecarDriver, h.sidecarConfig = sidecar.Driver, sidecar.taskConfig()
	}
	return h
}

var (
	_ jobMutator   = jobConnectHook{}
	_ jobValidator = jobConnectHook{}
)

func (jobConnectHook) Name() string { return "connect" }

// Mutate changes job in place and returns it. Groups whose network is missing
// or ambiguous get no sidecar: the validators report why.
func (h jobConnectHook) Mutate(job *structs.Job) (*structs.Job, []error, error) {
	for _, tg := range job.TaskGroups {
		if tg == nil {
			continue
		}
		h.mutateGroup(job, tg)
	}
	// The injected tasks and ports get the same defaults as the user's (restart
	// policy, host network); Canonicalize is idempotent.
	job.Canonicalize()
	return job, nil, nil
}

// Validate reports the Connect rules that structs.Job.Validate leaves out.
func (jobConnectHook) Validate(job *structs.Job) ([]error, error) {
	return nil, job.ValidateConnect()
}

func (h jobConnectHook) mutateGroup(job *structs.Job, tg *structs.TaskGroup) {
	names := connectNameReplacer(job, tg)
	for _, s := range tg.Services {
		if s == nil || s.Connect == nil {
			continue
		}
		if strings.Contains(s.Name, "${") {
			s.Name = names.Replace(s.Name)
		}
		switch {
		case s.Connect.HasSidecar():
			if len(tg.Networks) == 1 && tg.Networks[0] != nil {
				h.injectSidecar(job, tg, s)
			}
		case s.Connect.Native:
			markNative(tg, s)
		}
	}
	assignUpstreamPorts(tg)
}

// connectNameReplacer interpolates the variables known at submit time in Connect
// service names (which become task names and port labels), as Nomad 1.x does.
func connectNameReplacer(job *structs.Job, tg *structs.TaskGroup) *strings.Replacer {
	return strings.NewReplacer(
		"${NOMAD_JOB_NAME}", job.Name,
		"${NOMAD_JOB_ID}", job.ID,
		"${NOMAD_TASKGROUP_NAME}", tg.Name,
		"${NOMAD_NAMESPACE}", job.Namespace,
		"${NOMAD_REGION}", job.Region,
		"${JOB}", job.Name,
		"${TASKGROUP}", tg.Name,
	)
}

// injectSidecar makes sure the sidecar task and its port exist for service s:
// a task of Kind connect-proxy:<service> (the user's, or a new one), with the
// service's sidecar_task merged over it, and the sidecar's port in the group
// network.
func (h jobConnectHook) injectSidecar(job *structs.Job, tg *structs.TaskGroup, s *structs.Service) {
	task := sidecarTaskFor(tg, s.Name)
	if task == nil {
		task = newConnectSidecarTask(s.Name)
		if h.sidecarDriver != "" {
			task.Driver, task.Config = h.sidecarDriver, copyConfigMap(h.sidecarConfig)
		}
		task.Name = uniqueTaskName(job, tg, s.Name, task.Name)
		tg.Tasks = append(tg.Tasks, task)
	}
	if st := s.Connect.SidecarTask; st != nil {
		mergeSidecarTask(st, task)
	}
	ensureProxyPort(tg.Networks[0], sidecarPortLabel(s))
}

// sidecarPortLabel is the label of the group port a Connect service's sidecar
// listens on: sidecar_service.port when set, else "connect-proxy-<service>" (the
// port the admission hook injects).
func sidecarPortLabel(s *structs.Service) string {
	if s.Connect != nil && s.Connect.SidecarService != nil && s.Connect.SidecarService.Port != "" {
		return s.Connect.SidecarService.Port
	}
	return connectProxyPrefix + "-" + s.Name
}

// sidecarTaskFor returns the group's task of Kind connect-proxy:<service>, or nil.
func sidecarTaskFor(tg *structs.TaskGroup, service string) *structs.Task {
	for _, t := range tg.Tasks {
		if t != nil && t.Kind == connectProxyKindPrefix+service {
			return t
		}
	}
	return nil
}

// newConnectSidecarTask builds the default Envoy sidecar for service. Every call
// returns a fresh Config: merging a job's sidecar_task must never change the
// defaults of later injections (Nomad GH-8337).
func newConnectSidecarTask(service string) *structs.Task {
	return &structs.Task{
		Name:   connectProxyPrefix + "-" + service,
		Kind:   connectProxyKindPrefix + service,
		Driver: connectSidecarDriver,
		Config: map[string]any{
			"image": connectSidecarImage,
			"args": []any{
				"-c", "${NOMAD_SECRETS_DIR}/envoy_bootstrap.json",
				"-l", "${meta.connect.log_level}",
				"--concurrency", "${meta.connect.proxy_concurrency}",
				"--disable-hot-restart",
			},
		},
		Lifecycle: &structs.TaskLifecycleConfig{Hook: structs.TaskLifecycleHookPrestart, Sidecar: true},
		Resources: &structs.Resources{CPU: connectSidecarCPU, MemoryMB: connectSidecarMemoryMB},
		LogConfig: &structs.LogConfig{
			MaxFiles:      connectSidecarLogFiles,
			MaxFileSizeMB: connectSidecarLogFileSizeMB,
		},
		ShutdownDelay: connectSidecarShutdownDelay,
		KillTimeout:   connectSidecarKillTimeout,
		Constraints:   connectSidecarConstraints(),
	}
}

// connectSidecarConstraints are Nomad 1.x's placement constraints of an
// injected sidecar: the client's Consul (fingerprinted as consul.*) must be
// recent enough for Nomad's Envoy bootstrap and serve xDS over gRPC. A node
// without Consul, or with Consul's gRPC off, fails them, and `nomad job plan`
// names the constraint. A user's own connect-proxy task gets none, as in Nomad.
func connectSidecarConstraints() []*structs.Constraint {
	return []*structs.Constraint{
		{LTarget: "${attr.consul.version}", RTarget: ">= 1.8.0", Operand: structs.ConstraintSemver},
		{LTarget: "${attr.consul.grpc}", RTarget: "0", Operand: ">"},
	}
}

// uniqueTaskName returns name, or name plus "-" and 6 hex characters when a task
// of the group already has it. Nomad appends random characters; ours are derived
// from the job, group and service so that submitting the same spec again gives
// the same name (and no new job version).
func uniqueTaskName(job *structs.Job, tg *structs.TaskGroup, service, name string) string {
	if tg.LookupTask(name) == nil {
		return name
	}
	for i := 0; ; i++ {
		sum := sha256.Sum256(fmt.Appendf(nil, "%s\x00%s\x00%s\x00%s\x00%d", job.Namespace, job.ID, tg.Name, service, i))
		candidate := name + "-" + hex.EncodeToString(sum[:])[:6]
		if tg.LookupTask(candidate) == nil {
			return candidate
		}
	}
}

// mergeSidecarTask applies a service's sidecar_task over the sidecar task with
// Nomad's semantics: non-empty strings, set durations and non-zero resources and
// log limits replace; env and meta merge key by key; a different driver replaces
// the driver and the whole config, the same (or no) driver merges config keys.
// Values are copied: the task shares nothing with the sidecar_task.
func mergeSidecarTask(st *structs.SidecarTask, t *structs.Task) {
	if st.Name != "" {
		t.Name = st.Name
	}
	if st.Driver != "" && st.Driver != t.Driver {
		t.Driver = st.Driver
		t.Config = copyConfigMap(st.Config)
	} else if len(st.Config) > 0 {
		if t.Config == nil {
			t.Config = map[string]any{}
		}
		for k, v := range st.Config {
			t.Config[k] = copyConfigValue(v)
		}
	}
	if st.User != "" {
		t.User = st.User
	}
	t.Env = mergeStringMap(t.Env, st.Env)
	t.Meta = mergeStringMap(t.Meta, st.Meta)
	if r := st.Resources; r != nil {
		if t.Resources == nil {
			t.Resources = &structs.Resources{}
		}
		if r.CPU > 0 {
			t.Resources.CPU = r.CPU
		}
		if r.MemoryMB > 0 {
			t.Resources.MemoryMB = r.MemoryMB
		}
		if r.DiskMB > 0 {
			t.Resources.DiskMB = r.DiskMB
		}
	}
	if l := st.LogConfig; l != nil {
		if t.LogConfig == nil {
			t.LogConfig = &structs.LogConfig{}
		}
		if l.MaxFiles > 0 {
			t.LogConfig.MaxFiles = l.MaxFiles
		}
		if l.MaxFileSizeMB > 0 {
			t.LogConfig.MaxFileSizeMB = l.MaxFileSizeMB
		}
	}
	if st.KillTimeout != nil {
		t.KillTimeout = *st.KillTimeout
	}
	if st.ShutdownDelay != nil {
		t.ShutdownDelay = *st.ShutdownDelay
	}
	if st.KillSignal != "" {
		t.KillSignal = st.KillSignal
	}
}

func mergeStringMap(dst, src map[string]string) map[string]string {
	if len(src) == 0 {
		return dst
	}
	if dst == nil {
		dst = make(map[string]string, len(src))
	}
	for k, v := range src {
		dst[k] = v
	}
	return dst
}

// copyConfigMap deep-copies a driver config (maps and slices of decoded values).
func copyConfigMap(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = copyConfigValue(v)
	}
	return out
}

func copyConfigValue(v any) any {
	switch x := v.(type) {
	case map[string]any:
		return copyConfigMap(x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = copyConfigValue(e)
		}
		return out
	case []map[string]any:
		out := make([]map[string]any, len(x))
		for i, e := range x {
			out[i] = copyConfigMap(e)
		}
		return out
	case []string:
		return append([]string(nil), x...)
	}
	return v
}

// ensureProxyPort adds a dynamic port label with To = -1 (host port == port in
// the namespace) to n, unless n already has a port with that label.
func ensureProxyPort(n *structs.NetworkResource, label string) {
	for _, p := range n.Ports() {
		if p.Label == label {
			return
		}
	}
	n.DynamicPorts = append(n.DynamicPorts, structs.Port{Label: label, To: -1})
}

// markNative gives the task of a Connect Native service (named by the service's
// task, or the group's only task) the Kind connect-native:<service>, unless the
// task already has a Kind. An ambiguous or missing task is left to validation.
func markNative(tg *structs.TaskGroup, s *structs.Service) {
	var t *structs.Task
	switch {
	case s.TaskName != "":
		t = tg.LookupTask(s.TaskName)
	case len(tg.Tasks) == 1:
		t = tg.Tasks[0]
	}
	if t != nil && t.Kind == "" {
		t.Kind = connectNativeKindPrefix + s.Name
	}
}

// assignUpstreamPorts gives every sidecar upstream of the group without a
// local_bind_port a port of its own, recorded in the job so that the
// NOMAD_UPSTREAM_* variables and `nomad job plan` show it. The port is derived
// from the service, destination and datacenter names and skips every port the
// group already uses (other upstreams, the network's ports, local service and
// expose ports), so the same spec always gets the same ports.
func assignUpstreamPorts(tg *structs.TaskGroup) {
	used := map[int]bool{}
	for _, n := range tg.Networks {
		if n == nil {
			continue
		}
		for _, p := range n.Ports() {
			used[p.Value] = true
			used[p.To] = true
		}
	}
	var missing []struct {
		service string
		u       *structs.ConsulUpstream
	}
	for _, s := range tg.Services {
		if s == nil || !s.Connect.HasSidecar() || s.Connect.SidecarService.Proxy == nil {
			continue
		}
		p := s.Connect.SidecarService.Proxy
		used[p.LocalServicePort] = true
		if p.Expose != nil {
			for _, e := range p.Expose.Paths {
				used[e.LocalPathPort] = true
			}
		}
		for _, u := range p.Upstreams {
			switch {
			case u == nil:
			case u.LocalBindPort == 0:
				missing = append(missing, struct {
					service string
					u       *structs.ConsulUpstream
				}{s.Name, u})
			default:
				used[u.LocalBindPort] = true
			}
		}
	}
	for _, m := range missing {
		m.u.LocalBindPort = pickUpstreamPort(m.service+"\x00"+m.u.DestinationName+"\x00"+m.u.Datacenter, used)
		used[m.u.LocalBindPort] = true
	}
}

// pickUpstreamPort returns the first port not in used, probing the upstream
// range from a start derived from key.
func pickUpstreamPort(key string, used map[int]bool) int {
	h := fnv.New32a()
	h.Write([]byte(key))
	start := int(h.Sum32() % upstreamPortCount)
	for i := range upstreamPortCount {
		p := upstreamPortMin + (start+i)%upstreamPortCount
		if !used[p] {
			return p
		}
	}
	// Unreachable for any group a validator would accept: it would need 5000
	// upstreams. Leave 0 so the bind-collision check reports it.
	return 0
}
