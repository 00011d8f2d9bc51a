package registrar

import (
	"maps"

	sr "github.com/netnomad/netnomad/client/serviceregistration"
	"github.com/netnomad/netnomad/client/taskenv"
	"github.com/netnomad/netnomad/nomad/structs"
)

// HostIPAttr is the node attribute holding the address advertised for ports
// that carry no HostIP of their own.
const HostIPAttr = "unique.network.ip-address"

// GroupWorkload returns the registration of the group services of alloc:
// workload "group-<group>", names, tags and meta interpolated against the
// allocation's environment (no task), the alloc's shared ports, its network
// status (nil in host mode) and the node's address. It returns nil when the
// group has no services.
func GroupWorkload(alloc *structs.Allocation, node *structs.Node, region string, ns *structs.AllocNetworkStatus) *sr.WorkloadServices {
	tg := alloc.LookupTaskGroup()
	if tg == nil || len(tg.Services) == 0 {
		return nil
	}
	env := taskenv.NewBuilder(node, alloc, nil, region).SetNetworkStatus(ns).Build()
	w := baseWorkload(alloc, node, ns)
	w.Task = sr.GroupWorkloadName(tg.Name)
	w.Services = InterpolateServices(env, tg.Services)
	return w
}

// TaskWorkload returns the registration of task's own services (workload =
// the task name), interpolated against the task's environment env, or nil
// when the task has none.
func TaskWorkload(alloc *structs.Allocation, task *structs.Task, node *structs.Node, env *taskenv.TaskEnv, ns *structs.AllocNetworkStatus) *sr.WorkloadServices {
	if task == nil || len(task.Services) == 0 {
		return nil
	}
	w := baseWorkload(alloc, node, ns)
	w.Task = task.Name
	w.Services = InterpolateServices(env, task.Services)
	return w
}

func baseWorkload(alloc *structs.Allocation, node *structs.Node, ns *structs.AllocNetworkStatus) *sr.WorkloadServices {
	w := &sr.WorkloadServices{
		AllocID:       alloc.ID,
		Group:         alloc.TaskGroup,
		Namespace:     alloc.Namespace,
		NetworkStatus: ns,
	}
	if alloc.Job != nil {
		w.JobID = alloc.Job.ID
	}
	if alloc.AllocatedResources != nil {
		w.Ports = alloc.AllocatedResources.Shared.Ports
	}
	if node != nil {
		w.HostIP = node.Attributes[HostIPAttr]
	}
	return w
}

// InterpolateServices returns copies of services whose name, tags, canary
// tags, meta and canary meta have ${...} references replaced from env. Checks
// are shared, not interpolated, so that check IDs computed elsewhere from the
// job's definitions match the registered ones.
func InterpolateServices(env *taskenv.TaskEnv, services []*structs.Service) []*structs.Service {
	out := make([]*structs.Service, 0, len(services))
	for _, s := range services {
		c := *s
		c.Name = env.ReplaceEnv(s.Name)
		c.Tags = replaceAll(env, s.Tags)
		c.CanaryTags = replaceAll(env, s.CanaryTags)
		c.Meta = replaceMap(env, s.Meta)
		c.CanaryMeta = replaceMap(env, s.CanaryMeta)
		out = append(out, &c)
	}
	return out
}

func replaceAll(env *taskenv.TaskEnv, in []string) []string {
	if in == nil {
		return nil
	}
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = env.ReplaceEnv(s)
	}
	return out
}

func replaceMap(env *taskenv.TaskEnv, in map[string]string) map[string]string {
	if in == nil {
		return nil
	}
	out := maps.Clone(in)
	for k, v := range out {
		out[k] = env.ReplaceEnv(v)
	}
	return out
}
