package agent

import (
	"encoding/json"
	"maps"
	"slices"
	"time"

	"github.com/hashicorp/nomad/api"
	"github.com/netnomad/netnomad/nomad/structs"
)

// This file is the one converter between the wire types of nomad/api and the
// internal model in nomad/structs. Wire -> internal only happens for jobs (and, for
// completeness, nodes); everything the server stores goes back out through the
// Structs*ToApi functions. Fields of the api types we do not model are dropped on
// the way in and left unset on the way out; convert_test.go lists them.
//
// Unset optional (pointer) values become zero values internally; Canonicalize then
// fills Nomad's defaults. The exceptions are partial restart and reschedule
// policies, merged over their defaults here because Canonicalize cannot tell
// "unset" from zero: a group's reschedule block over the job's, the job's over the
// job type's default, field by field, as Nomad merges them.

func deref[T any](p *T) T {
	if p == nil {
		var zero T
		return zero
	}
	return *p
}

func ptr[T any](v T) *T { return &v }

func copyMap[K comparable, V any](m map[K]V) map[K]V {
	if m == nil {
		return nil
	}
	return maps.Clone(m)
}

// ApiJobToStructs converts a submitted job to the internal model, without
// canonicalizing it. A nil job gives nil.
func ApiJobToStructs(job *api.Job) *structs.Job {
	if job == nil {
		return nil
	}
	j := &structs.Job{
		Region:            deref(job.Region),
		Namespace:         deref(job.Namespace),
		ID:                deref(job.ID),
		Name:              deref(job.Name),
		Type:              deref(job.Type),
		Priority:          deref(job.Priority),
		AllAtOnce:         deref(job.AllAtOnce),
		Datacenters:       slices.Clone(job.Datacenters),
		Constraints:       apiConstraintsToStructs(job.Constraints),
		Meta:              copyMap(job.Meta),
		Stop:              deref(job.Stop),
		Status:            deref(job.Status),
		StatusDescription: deref(job.StatusDescription),
		Stable:            deref(job.Stable),
		Version:           deref(job.Version),
		SubmitTime:        deref(job.SubmitTime),
		CreateIndex:       deref(job.CreateIndex),
		ModifyIndex:       deref(job.ModifyIndex),
		JobModifyIndex:    deref(job.JobModifyIndex),
	}
	jobType := j.Type
	if jobType == "" {
		jobType = structs.JobTypeService
	}
	jobRP := structs.DefaultReschedulePolicy(jobType)
	if job.Reschedule != nil {
		jobRP = mergeReschedulePolicy(jobRP, job.Reschedule)
		j.Reschedule = jobRP
	}
	for _, tg := range job.TaskGroups {
		if tg != nil {
			out := apiTaskGroupToStructs(tg, jobType)
			switch {
			case tg.ReschedulePolicy != nil:
				out.ReschedulePolicy = mergeReschedulePolicy(jobRP, tg.ReschedulePolicy)
			case job.Reschedule != nil:
				out.ReschedulePolicy = mergeReschedulePolicy(jobRP, &api.ReschedulePolicy{})
			}
			j.TaskGroups = append(j.TaskGroups, out)
		}
	}
	return j
}

// mergeReschedulePolicy overlays the fields set in p over base (a copy is
// returned; a nil base, as system jobs have, counts as all zero).
func mergeReschedulePolicy(base *structs.ReschedulePolicy, p *api.ReschedulePolicy) *structs.ReschedulePolicy {
	var out structs.ReschedulePolicy
	if base != nil {
		out = *base
	}
	if p.Attempts != nil {
		out.Attempts = *p.Attempts
	}
	if p.Interval != nil {
		out.Interval = *p.Interval
	}
	if p.Delay != nil {
		out.Delay = *p.Delay
	}
	if p.DelayFunction != nil {
		out.DelayFunction = *p.DelayFunction
	}
	if p.MaxDelay != nil {
		out.MaxDelay = *p.MaxDelay
	}
	if p.Unlimited != nil {
		out.Unlimited = *p.Unlimited
	}
	return &out
}

func apiConstraintsToStructs(in []*api.Constraint) []*structs.Constraint {
	if in == nil {
		return nil
	}
	out := make([]*structs.Constraint, 0, len(in))
	for _, c := range in {
		if c != nil {
			out = append(out, &structs.Constraint{LTarget: c.LTarget, RTarget: c.RTarget, Operand: c.Operand})
		}
	}
	return out
}

// mergeRestartPolicy overlays the fields set in p over base (a copy is returned).
func mergeRestartPolicy(base *structs.RestartPolicy, p *api.RestartPolicy) *structs.RestartPolicy {
	out := *base
	if p.Attempts != nil {
		out.Attempts = *p.Attempts
	}
	if p.Interval != nil {
		out.Interval = *p.Interval
	}
	if p.Delay != nil {
		out.Delay = *p.Delay
	}
	if p.Mode != nil {
		out.Mode = *p.Mode
	}
	return &out
}

func apiTaskGroupToStructs(tg *api.TaskGroup, jobType string) *structs.TaskGroup {
	out := &structs.TaskGroup{
		Name:        deref(tg.Name),
		Count:       1,
		Constraints: apiConstraintsToStructs(tg.Constraints),
		Networks:    apiNetworksToStructs(tg.Networks),
		Services:    apiServicesToStructs(tg.Services),
		Meta:        copyMap(tg.Meta),
	}
	if tg.Count != nil {
		out.Count = *tg.Count
	}
	if tg.ShutdownDelay != nil {
		out.ShutdownDelay = ptr(*tg.ShutdownDelay)
	}
	groupRP := structs.DefaultRestartPolicy(jobType)
	if tg.RestartPolicy != nil {
		groupRP = mergeRestartPolicy(groupRP, tg.RestartPolicy)
		out.RestartPolicy = groupRP
	}
	for _, t := range tg.Tasks {
		if t != nil {
			out.Tasks = append(out.Tasks, apiTaskToStructs(t, groupRP))
		}
	}
	return out
}

func apiTaskToStructs(t *api.Task, groupRP *structs.RestartPolicy) *structs.Task {
	out := &structs.Task{
		Name:          t.Name,
		Driver:        t.Driver,
		User:          t.User,
		Config:        copyMap(t.Config),
		Constraints:   apiConstraintsToStructs(t.Constraints),
		Env:           copyMap(t.Env),
		Services:      apiServicesToStructs(t.Services),
		Resources:     apiResourcesToStructs(t.Resources),
		Meta:          copyMap(t.Meta),
		KillTimeout:   deref(t.KillTimeout),
		LogConfig:     apiLogConfigToStructs(t.LogConfig),
		Leader:        t.Leader,
		ShutdownDelay: t.ShutdownDelay,
		KillSignal:    t.KillSignal,
		Kind:          t.Kind,
	}
	if t.Lifecycle != nil {
		out.Lifecycle = &structs.TaskLifecycleConfig{Hook: t.Lifecycle.Hook, Sidecar: t.Lifecycle.Sidecar}
	}
	if t.RestartPolicy != nil {
		out.RestartPolicy = mergeRestartPolicy(groupRP, t.RestartPolicy)
	}
	return out
}

func apiResourcesToStructs(r *api.Resources) *structs.Resources {
	if r == nil {
		return nil
	}
	return &structs.Resources{
		CPU:      deref(r.CPU),
		MemoryMB: deref(r.MemoryMB),
		DiskMB:   deref(r.DiskMB),
		Networks: apiNetworksToStructs(r.Networks),
	}
}

func apiLogConfigToStructs(l *api.LogConfig) *structs.LogConfig {
	if l == nil {
		return nil
	}
	return &structs.LogConfig{MaxFiles: deref(l.MaxFiles), MaxFileSizeMB: deref(l.MaxFileSizeMB)}
}

func apiNetworksToStructs(in []*api.NetworkResource) structs.NetworkResources {
	if in == nil {
		return nil
	}
	out := make(structs.NetworkResources, 0, len(in))
	for _, n := range in {
		if n != nil {
			out = append(out, apiNetworkToStructs(n))
		}
	}
	return out
}

func apiNetworkToStructs(n *api.NetworkResource) *structs.NetworkResource {
	return &structs.NetworkResource{
		Mode:          n.Mode,
		Device:        n.Device,
		CIDR:          n.CIDR,
		IP:            n.IP,
		MBits:         deref(n.MBits),
		ReservedPorts: apiPortsToStructs(n.ReservedPorts),
		DynamicPorts:  apiPortsToStructs(n.DynamicPorts),
	}
}

func apiPortsToStructs(in []api.Port) []structs.Port {
	if in == nil {
		return nil
	}
	out := make([]structs.Port, 0, len(in))
	for _, p := range in {
		out = append(out, structs.Port{Label: p.Label, Value: p.Value, To: p.To, HostNetwork: p.HostNetwork})
	}
	return out
}

func apiServicesToStructs(in []*api.Service) []*structs.Service {
	if in == nil {
		return nil
	}
	out := make([]*structs.Service, 0, len(in))
	for _, s := range in {
		if s == nil {
			continue
		}
		svc := &structs.Service{
			Name:              s.Name,
			TaskName:          s.TaskName,
			PortLabel:         s.PortLabel,
			AddressMode:       s.AddressMode,
			Tags:              slices.Clone(s.Tags),
			CanaryTags:        slices.Clone(s.CanaryTags),
			EnableTagOverride: s.EnableTagOverride,
			Meta:              copyMap(s.Meta),
			CanaryMeta:        copyMap(s.CanaryMeta),
			CheckRestart:      apiCheckRestartToStructs(s.CheckRestart),
			Connect:           apiConnectToStructs(s.Connect),
		}
		if s.Checks != nil {
			svc.Checks = make([]*structs.ServiceCheck, 0, len(s.Checks))
			for _, c := range s.Checks {
				svc.Checks = append(svc.Checks, &structs.ServiceCheck{
					Name:          c.Name,
					Type:          c.Type,
					Command:       c.Command,
					Args:          slices.Clone(c.Args),
					Path:          c.Path,
					Protocol:      c.Protocol,
					PortLabel:     c.PortLabel,
					Expose:        c.Expose,
					AddressMode:   c.AddressMode,
					Interval:      c.Interval,
					Timeout:       c.Timeout,
					InitialStatus: c.InitialStatus,
					Method:        c.Method,
					Header:        copyMap(c.Header),
					TaskName:      c.TaskName,
					CheckRestart:  apiCheckRestartToStructs(mergeCheckRestart(s.CheckRestart, c.CheckRestart)),
				})
			}
		}
		out = append(out, svc)
	}
	return out
}

// defaultCheckRestartGrace is what Nomad's job API fills in for an unset grace.
const defaultCheckRestartGrace = time.Second

func apiCheckRestartToStructs(c *api.CheckRestart) *structs.CheckRestart {
	if c == nil {
		return nil
	}
	grace := defaultCheckRestartGrace
	if c.Grace != nil {
		grace = *c.Grace
	}
	return &structs.CheckRestart{Limit: c.Limit, Grace: grace, IgnoreWarnings: c.IgnoreWarnings}
}

// mergeCheckRestart is a check's check_restart over its service's, field by
// field as Nomad merges them: what the check sets wins.
func mergeCheckRestart(service, check *api.CheckRestart) *api.CheckRestart {
	if service == nil {
		return check
	}
	out := *service
	if check == nil {
		return &out
	}
	if check.Limit > 0 {
		out.Limit = check.Limit
	}
	if check.Grace != nil {
		out.Grace = check.Grace
	}
	out.IgnoreWarnings = out.IgnoreWarnings || check.IgnoreWarnings
	return &out
}

func apiConnectToStructs(c *api.ConsulConnect) *structs.ConsulConnect {
	if c == nil {
		return nil
	}
	out := &structs.ConsulConnect{Native: c.Native, Gateway: apiGatewayToStructs(c.Gateway)}
	if s := c.SidecarService; s != nil {
		out.SidecarService = &structs.ConsulSidecarService{
			Tags:                   slices.Clone(s.Tags),
			Port:                   s.Port,
			Proxy:                  apiProxyToStructs(s.Proxy),
			DisableDefaultTCPCheck: s.DisableDefaultTCPCheck,
			Meta:                   copyMap(s.Meta),
		}
	}
	if t := c.SidecarTask; t != nil {
		out.SidecarTask = &structs.SidecarTask{
			Name:        t.Name,
			Driver:      t.Driver,
			User:        t.User,
			Config:      copyMap(t.Config),
			Env:         copyMap(t.Env),
			Resources:   apiResourcesToStructs(t.Resources),
			Meta:        copyMap(t.Meta),
			KillTimeout: clonePtr(t.KillTimeout),
			LogConfig:   apiLogConfigToStructs(t.LogConfig),
			// ShutdownDelay keeps nil as "unset": the injected sidecar's default applies.
			ShutdownDelay: clonePtr(t.ShutdownDelay),
			KillSignal:    t.KillSignal,
		}
	}
	return out
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	return ptr(*p)
}

func apiProxyToStructs(p *api.ConsulProxy) *structs.ConsulProxy {
	if p == nil {
		return nil
	}
	out := &structs.ConsulProxy{
		LocalServiceAddress: p.LocalServiceAddress,
		LocalServicePort:    p.LocalServicePort,
		Config:              copyMap(p.Config),
	}
	for _, u := range p.Upstreams {
		if u != nil {
			out.Upstreams = append(out.Upstreams, &structs.ConsulUpstream{
				DestinationName:  u.DestinationName,
				LocalBindPort:    u.LocalBindPort,
				LocalBindAddress: u.LocalBindAddress,
				Datacenter:       u.Datacenter,
			})
		}
	}
	// ExposeConfig{Path} is the deprecated spelling of Expose{Paths}.
	expose := p.Expose
	if expose == nil {
		expose = p.ExposeConfig
	}
	if expose != nil {
		paths := expose.Paths
		if len(paths) == 0 {
			paths = expose.Path
		}
		out.Expose = &structs.ConsulExposeConfig{}
		for _, ep := range paths {
			if ep != nil {
				out.Expose.Paths = append(out.Expose.Paths, structs.ConsulExposePath{
					Path: ep.Path, Protocol: ep.Protocol, LocalPathPort: ep.LocalPathPort, ListenerPort: ep.ListenerPort,
				})
			}
		}
	}
	return out
}

// Gateway kinds as stored in structs.ConsulGateway.Kind.
const (
	gatewayKindIngress     = "ingress"
	gatewayKindTerminating = "terminating"
	gatewayKindMesh        = "mesh"
)

// apiGatewayToStructs keeps a gateway's kind and its proxy block (as an opaque map);
// the ingress/terminating configuration entries are not modelled yet.
func apiGatewayToStructs(g *api.ConsulGateway) *structs.ConsulGateway {
	if g == nil {
		return nil
	}
	out := &structs.ConsulGateway{}
	switch {
	case g.Ingress != nil:
		out.Kind = gatewayKindIngress
	case g.Terminating != nil:
		out.Kind = gatewayKindTerminating
	case g.Mesh != nil:
		out.Kind = gatewayKindMesh
	}
	if g.Proxy != nil {
		b, err := json.Marshal(g.Proxy)
		if err == nil {
			_ = json.Unmarshal(b, &out.Proxy)
		}
	}
	return out
}

// StructsJobToApi converts a stored job to its wire form, with every optional field
// of the modelled ones set (as `nomad job inspect` shows them).
func StructsJobToApi(j *structs.Job) *api.Job {
	if j == nil {
		return nil
	}
	out := &api.Job{
		Region:            ptr(j.Region),
		Namespace:         ptr(j.Namespace),
		ID:                ptr(j.ID),
		Name:              ptr(j.Name),
		Type:              ptr(j.Type),
		Priority:          ptr(j.Priority),
		AllAtOnce:         ptr(j.AllAtOnce),
		Datacenters:       slices.Clone(j.Datacenters),
		Constraints:       structsConstraintsToApi(j.Constraints),
		Meta:              copyMap(j.Meta),
		Stop:              ptr(j.Stop),
		Status:            ptr(j.Status),
		StatusDescription: ptr(j.StatusDescription),
		Stable:            ptr(j.Stable),
		Version:           ptr(j.Version),
		SubmitTime:        ptr(j.SubmitTime),
		CreateIndex:       ptr(j.CreateIndex),
		ModifyIndex:       ptr(j.ModifyIndex),
		JobModifyIndex:    ptr(j.JobModifyIndex),
		Reschedule:        structsReschedulePolicyToApi(j.Reschedule),
	}
	for _, tg := range j.TaskGroups {
		if tg != nil {
			out.TaskGroups = append(out.TaskGroups, structsTaskGroupToApi(tg))
		}
	}
	return out
}

func structsReschedulePolicyToApi(r *structs.ReschedulePolicy) *api.ReschedulePolicy {
	if r == nil {
		return nil
	}
	return &api.ReschedulePolicy{
		Attempts: ptr(r.Attempts), Interval: ptr(r.Interval), Delay: ptr(r.Delay),
		DelayFunction: ptr(r.DelayFunction), MaxDelay: ptr(r.MaxDelay), Unlimited: ptr(r.Unlimited),
	}
}

// structsRescheduleTrackerToApi converts a reschedule history; the wire type
// has no Delay.
func structsRescheduleTrackerToApi(t *structs.RescheduleTracker) *api.RescheduleTracker {
	if t == nil {
		return nil
	}
	out := &api.RescheduleTracker{}
	for _, e := range t.Events {
		if e != nil {
			out.Events = append(out.Events, &api.RescheduleEvent{
				RescheduleTime: e.RescheduleTime, PrevAllocID: e.PrevAllocID, PrevNodeID: e.PrevNodeID,
			})
		}
	}
	return out
}

func structsConstraintsToApi(in []*structs.Constraint) []*api.Constraint {
	if in == nil {
		return nil
	}
	out := make([]*api.Constraint, 0, len(in))
	for _, c := range in {
		if c != nil {
			out = append(out, &api.Constraint{LTarget: c.LTarget, RTarget: c.RTarget, Operand: c.Operand})
		}
	}
	return out
}

func structsRestartPolicyToApi(r *structs.RestartPolicy) *api.RestartPolicy {
	if r == nil {
		return nil
	}
	return &api.RestartPolicy{Attempts: ptr(r.Attempts), Interval: ptr(r.Interval), Delay: ptr(r.Delay), Mode: ptr(r.Mode)}
}

func structsTaskGroupToApi(tg *structs.TaskGroup) *api.TaskGroup {
	out := &api.TaskGroup{
		Name:             ptr(tg.Name),
		Count:            ptr(tg.Count),
		Constraints:      structsConstraintsToApi(tg.Constraints),
		RestartPolicy:    structsRestartPolicyToApi(tg.RestartPolicy),
		ReschedulePolicy: structsReschedulePolicyToApi(tg.ReschedulePolicy),
		Networks:         structsNetworksToApi(tg.Networks),
		Services:         structsServicesToApi(tg.Services),
		Meta:             copyMap(tg.Meta),
		ShutdownDelay:    clonePtr(tg.ShutdownDelay),
	}
	for _, t := range tg.Tasks {
		if t != nil {
			out.Tasks = append(out.Tasks, structsTaskToApi(t))
		}
	}
	return out
}

func structsTaskToApi(t *structs.Task) *api.Task {
	out := &api.Task{
		Name:          t.Name,
		Driver:        t.Driver,
		User:          t.User,
		Config:        copyMap(t.Config),
		Constraints:   structsConstraintsToApi(t.Constraints),
		Env:           copyMap(t.Env),
		Services:      structsServicesToApi(t.Services),
		Resources:     structsResourcesToApi(t.Resources),
		RestartPolicy: structsRestartPolicyToApi(t.RestartPolicy),
		Meta:          copyMap(t.Meta),
		KillTimeout:   ptr(t.KillTimeout),
		LogConfig:     structsLogConfigToApi(t.LogConfig),
		Leader:        t.Leader,
		ShutdownDelay: t.ShutdownDelay,
		KillSignal:    t.KillSignal,
		Kind:          t.Kind,
	}
	if t.Lifecycle != nil {
		out.Lifecycle = &api.TaskLifecycle{Hook: t.Lifecycle.Hook, Sidecar: t.Lifecycle.Sidecar}
	}
	return out
}

func structsResourcesToApi(r *structs.Resources) *api.Resources {
	if r == nil {
		return nil
	}
	return &api.Resources{
		CPU:      ptr(r.CPU),
		MemoryMB: ptr(r.MemoryMB),
		DiskMB:   ptr(r.DiskMB),
		Networks: structsNetworksToApi(r.Networks),
	}
}

func structsLogConfigToApi(l *structs.LogConfig) *api.LogConfig {
	if l == nil {
		return nil
	}
	return &api.LogConfig{MaxFiles: ptr(l.MaxFiles), MaxFileSizeMB: ptr(l.MaxFileSizeMB)}
}

func structsNetworksToApi(in structs.NetworkResources) []*api.NetworkResource {
	if in == nil {
		return nil
	}
	out := make([]*api.NetworkResource, 0, len(in))
	for _, n := range in {
		if n != nil {
			out = append(out, structsNetworkToApi(n))
		}
	}
	return out
}

func structsNetworkToApi(n *structs.NetworkResource) *api.NetworkResource {
	return &api.NetworkResource{
		Mode:          n.Mode,
		Device:        n.Device,
		CIDR:          n.CIDR,
		IP:            n.IP,
		MBits:         ptr(n.MBits),
		ReservedPorts: structsPortsToApi(n.ReservedPorts),
		DynamicPorts:  structsPortsToApi(n.DynamicPorts),
	}
}

func structsPortsToApi(in []structs.Port) []api.Port {
	if in == nil {
		return nil
	}
	out := make([]api.Port, 0, len(in))
	for _, p := range in {
		out = append(out, api.Port{Label: p.Label, Value: p.Value, To: p.To, HostNetwork: p.HostNetwork})
	}
	return out
}

func structsServicesToApi(in []*structs.Service) []*api.Service {
	if in == nil {
		return nil
	}
	out := make([]*api.Service, 0, len(in))
	for _, s := range in {
		if s == nil {
			continue
		}
		svc := &api.Service{
			Name:              s.Name,
			TaskName:          s.TaskName,
			PortLabel:         s.PortLabel,
			AddressMode:       s.AddressMode,
			Tags:              slices.Clone(s.Tags),
			CanaryTags:        slices.Clone(s.CanaryTags),
			EnableTagOverride: s.EnableTagOverride,
			Meta:              copyMap(s.Meta),
			CanaryMeta:        copyMap(s.CanaryMeta),
			CheckRestart:      structsCheckRestartToApi(s.CheckRestart),
			Connect:           structsConnectToApi(s.Connect),
		}
		if s.Checks != nil {
			svc.Checks = make([]api.ServiceCheck, 0, len(s.Checks))
			for _, c := range s.Checks {
				if c == nil {
					continue
				}
				svc.Checks = append(svc.Checks, api.ServiceCheck{
					Name:          c.Name,
					Type:          c.Type,
					Command:       c.Command,
					Args:          slices.Clone(c.Args),
					Path:          c.Path,
					Protocol:      c.Protocol,
					PortLabel:     c.PortLabel,
					Expose:        c.Expose,
					AddressMode:   c.AddressMode,
					Interval:      c.Interval,
					Timeout:       c.Timeout,
					InitialStatus: c.InitialStatus,
					Method:        c.Method,
					Header:        copyMap(c.Header),
					TaskName:      c.TaskName,
					CheckRestart:  structsCheckRestartToApi(c.CheckRestart),
				})
			}
		}
		out = append(out, svc)
	}
	return out
}

func structsCheckRestartToApi(c *structs.CheckRestart) *api.CheckRestart {
	if c == nil {
		return nil
	}
	return &api.CheckRestart{Limit: c.Limit, Grace: ptr(c.Grace), IgnoreWarnings: c.IgnoreWarnings}
}

func structsConnectToApi(c *structs.ConsulConnect) *api.ConsulConnect {
	if c == nil {
		return nil
	}
	out := &api.ConsulConnect{Native: c.Native, Gateway: structsGatewayToApi(c.Gateway)}
	if s := c.SidecarService; s != nil {
		out.SidecarService = &api.ConsulSidecarService{
			Tags:                   slices.Clone(s.Tags),
			Port:                   s.Port,
			Proxy:                  structsProxyToApi(s.Proxy),
			DisableDefaultTCPCheck: s.DisableDefaultTCPCheck,
			Meta:                   copyMap(s.Meta),
		}
	}
	if t := c.SidecarTask; t != nil {
		out.SidecarTask = &api.SidecarTask{
			Name:          t.Name,
			Driver:        t.Driver,
			User:          t.User,
			Config:        copyMap(t.Config),
			Env:           copyMap(t.Env),
			Resources:     structsResourcesToApi(t.Resources),
			Meta:          copyMap(t.Meta),
			KillTimeout:   clonePtr(t.KillTimeout),
			LogConfig:     structsLogConfigToApi(t.LogConfig),
			ShutdownDelay: clonePtr(t.ShutdownDelay),
			KillSignal:    t.KillSignal,
		}
	}
	return out
}

func structsProxyToApi(p *structs.ConsulProxy) *api.ConsulProxy {
	if p == nil {
		return nil
	}
	out := &api.ConsulProxy{
		LocalServiceAddress: p.LocalServiceAddress,
		LocalServicePort:    p.LocalServicePort,
		Config:              copyMap(p.Config),
	}
	for _, u := range p.Upstreams {
		if u != nil {
			out.Upstreams = append(out.Upstreams, &api.ConsulUpstream{
				DestinationName:  u.DestinationName,
				LocalBindPort:    u.LocalBindPort,
				LocalBindAddress: u.LocalBindAddress,
				Datacenter:       u.Datacenter,
			})
		}
	}
	if p.Expose != nil {
		out.Expose = &api.ConsulExposeConfig{}
		for _, ep := range p.Expose.Paths {
			out.Expose.Paths = append(out.Expose.Paths, &api.ConsulExposePath{
				Path: ep.Path, Protocol: ep.Protocol, LocalPathPort: ep.LocalPathPort, ListenerPort: ep.ListenerPort,
			})
		}
	}
	return out
}

func structsGatewayToApi(g *structs.ConsulGateway) *api.ConsulGateway {
	if g == nil {
		return nil
	}
	out := &api.ConsulGateway{}
	switch g.Kind {
	case gatewayKindIngress:
		out.Ingress = &api.ConsulIngressConfigEntry{}
	case gatewayKindTerminating:
		out.Terminating = &api.ConsulTerminatingConfigEntry{}
	case gatewayKindMesh:
		out.Mesh = &api.ConsulMeshConfigEntry{}
	}
	if g.Proxy != nil {
		b, err := json.Marshal(g.Proxy)
		if err == nil {
			out.Proxy = &api.ConsulGatewayProxy{}
			if json.Unmarshal(b, out.Proxy) != nil {
				out.Proxy = nil
			}
		}
	}
	return out
}

// StructsJobToStub converts a job to its list entry (`nomad job status`). The
// caller fills JobSummary, which needs the job's allocations.
func StructsJobToStub(j *structs.Job) *api.JobListStub {
	if j == nil {
		return nil
	}
	return &api.JobListStub{
		ID:                j.ID,
		Name:              j.Name,
		Namespace:         j.Namespace,
		Datacenters:       slices.Clone(j.Datacenters),
		Type:              j.Type,
		Priority:          j.Priority,
		Stop:              j.Stop,
		Status:            j.Status,
		StatusDescription: j.StatusDescription,
		CreateIndex:       j.CreateIndex,
		ModifyIndex:       j.ModifyIndex,
		JobModifyIndex:    j.JobModifyIndex,
		SubmitTime:        j.SubmitTime,
		Meta:              copyMap(j.Meta),
	}
}

// StructsAllocToApi converts an allocation, its job snapshot included. It also fills
// the deprecated Resources/TaskResources that older CLIs read.
func StructsAllocToApi(a *structs.Allocation) *api.Allocation {
	if a == nil {
		return nil
	}
	out := &api.Allocation{
		ID:                 a.ID,
		Namespace:          a.Namespace,
		EvalID:             a.EvalID,
		Name:               a.Name,
		NodeID:             a.NodeID,
		NodeName:           a.NodeName,
		JobID:              a.JobID,
		Job:                StructsJobToApi(a.Job),
		TaskGroup:          a.TaskGroup,
		AllocatedResources: structsAllocatedResourcesToApi(a.AllocatedResources),
		Metrics:            StructsAllocMetricToApi(a.Metrics),
		DesiredStatus:      a.DesiredStatus,
		DesiredDescription: a.DesiredDescription,
		ClientStatus:       a.ClientStatus,
		ClientDescription:  a.ClientDescription,
		TaskStates:         StructsTaskStatesToApi(a.TaskStates),
		PreviousAllocation: a.PreviousAllocation,
		NextAllocation:     a.NextAllocation,
		RescheduleTracker:  structsRescheduleTrackerToApi(a.RescheduleTracker),
		FollowupEvalID:     a.FollowupEvalID,
		CreateIndex:        a.CreateIndex,
		ModifyIndex:        a.ModifyIndex,
		AllocModifyIndex:   a.AllocModifyIndex,
		CreateTime:         a.CreateTime,
		ModifyTime:         a.ModifyTime,
	}
	if ns := a.NetworkStatus; ns != nil {
		out.NetworkStatus = &api.AllocNetworkStatus{InterfaceName: ns.InterfaceName, Address: ns.Address}
	}
	if ar := a.AllocatedResources; ar != nil {
		total := &api.Resources{CPU: ptr(0), MemoryMB: ptr(0), DiskMB: ptr(int(ar.Shared.DiskMB)), Networks: structsNetworksToApi(ar.Shared.Networks)}
		out.TaskResources = make(map[string]*api.Resources, len(ar.Tasks))
		for name, tr := range ar.Tasks {
			if tr == nil {
				continue
			}
			out.TaskResources[name] = &api.Resources{
				CPU: ptr(int(tr.CPUShares)), MemoryMB: ptr(int(tr.MemoryMB)), Networks: structsNetworksToApi(tr.Networks),
			}
			*total.CPU += int(tr.CPUShares)
			*total.MemoryMB += int(tr.MemoryMB)
		}
		out.Resources = total
	}
	return out
}

func structsAllocatedResourcesToApi(ar *structs.AllocatedResources) *api.AllocatedResources {
	if ar == nil {
		return nil
	}
	out := &api.AllocatedResources{
		Shared: api.AllocatedSharedResources{
			DiskMB:   ar.Shared.DiskMB,
			Networks: structsNetworksToApi(ar.Shared.Networks),
		},
	}
	if ar.Shared.Ports != nil {
		out.Shared.Ports = make([]api.PortMapping, 0, len(ar.Shared.Ports))
		for _, p := range ar.Shared.Ports {
			out.Shared.Ports = append(out.Shared.Ports, api.PortMapping{Label: p.Label, Value: p.Value, To: p.To, HostIP: p.HostIP})
		}
	}
	if ar.Tasks != nil {
		out.Tasks = make(map[string]*api.AllocatedTaskResources, len(ar.Tasks))
		for name, tr := range ar.Tasks {
			if tr == nil {
				continue
			}
			out.Tasks[name] = &api.AllocatedTaskResources{
				Cpu:      api.AllocatedCpuResources{CpuShares: tr.CPUShares},
				Memory:   api.AllocatedMemoryResources{MemoryMB: tr.MemoryMB},
				Networks: structsNetworksToApi(tr.Networks),
			}
		}
	}
	return out
}

// StructsAllocToStub converts an allocation to its list entry.
func StructsAllocToStub(a *structs.Allocation) *api.AllocationListStub {
	if a == nil {
		return nil
	}
	out := &api.AllocationListStub{
		ID:                 a.ID,
		EvalID:             a.EvalID,
		Name:               a.Name,
		Namespace:          a.Namespace,
		NodeID:             a.NodeID,
		NodeName:           a.NodeName,
		JobID:              a.JobID,
		TaskGroup:          a.TaskGroup,
		AllocatedResources: structsAllocatedResourcesToApi(a.AllocatedResources),
		DesiredStatus:      a.DesiredStatus,
		DesiredDescription: a.DesiredDescription,
		ClientStatus:       a.ClientStatus,
		ClientDescription:  a.ClientDescription,
		TaskStates:         StructsTaskStatesToApi(a.TaskStates),
		NextAllocation:     a.NextAllocation,
		RescheduleTracker:  structsRescheduleTrackerToApi(a.RescheduleTracker),
		FollowupEvalID:     a.FollowupEvalID,
		CreateIndex:        a.CreateIndex,
		ModifyIndex:        a.ModifyIndex,
		CreateTime:         a.CreateTime,
		ModifyTime:         a.ModifyTime,
	}
	if a.Job != nil {
		out.JobType = a.Job.Type
		out.JobVersion = a.Job.Version
	}
	return out
}

// StructsAllocMetricToApi converts a placement metric.
func StructsAllocMetricToApi(m *structs.AllocMetric) *api.AllocationMetric {
	if m == nil {
		return nil
	}
	return &api.AllocationMetric{
		NodesEvaluated:     m.NodesEvaluated,
		NodesFiltered:      m.NodesFiltered,
		NodesAvailable:     copyMap(m.NodesAvailable),
		ClassFiltered:      copyMap(m.ClassFiltered),
		ConstraintFiltered: copyMap(m.ConstraintFiltered),
		NodesExhausted:     m.NodesExhausted,
		ClassExhausted:     copyMap(m.ClassExhausted),
		DimensionExhausted: copyMap(m.DimensionExhausted),
		Scores:             copyMap(m.Scores),
		AllocationTime:     m.AllocationTime,
		CoalescedFailures:  m.CoalescedFailures,
		ScoreMetaData:      structsScoreMetaToApi(m.ScoreMetaData),
	}
}

// structsScoreMetaToApi converts the best scored nodes of a placement.
func structsScoreMetaToApi(in []*structs.NodeScoreMeta) []*api.NodeScoreMeta {
	if in == nil {
		return nil
	}
	out := make([]*api.NodeScoreMeta, len(in))
	for i, s := range in {
		out[i] = &api.NodeScoreMeta{NodeID: s.NodeID, Scores: copyMap(s.Scores), NormScore: s.NormScore}
	}
	return out
}

// StructsTaskStatesToApi converts an allocation's task states.
func StructsTaskStatesToApi(in map[string]*structs.TaskState) map[string]*api.TaskState {
	if in == nil {
		return nil
	}
	out := make(map[string]*api.TaskState, len(in))
	for name, s := range in {
		out[name] = StructsTaskStateToApi(s)
	}
	return out
}

// StructsTaskStateToApi converts one task's state and its events.
func StructsTaskStateToApi(s *structs.TaskState) *api.TaskState {
	if s == nil {
		return nil
	}
	out := &api.TaskState{
		State:       s.State,
		Failed:      s.Failed,
		Restarts:    s.Restarts,
		LastRestart: s.LastRestart,
		StartedAt:   s.StartedAt,
		FinishedAt:  s.FinishedAt,
	}
	if s.Events != nil {
		out.Events = make([]*api.TaskEvent, 0, len(s.Events))
		for _, e := range s.Events {
			out.Events = append(out.Events, StructsTaskEventToApi(e))
		}
	}
	return out
}

// StructsTaskEventToApi converts one task event.
func StructsTaskEventToApi(e *structs.TaskEvent) *api.TaskEvent {
	if e == nil {
		return nil
	}
	return &api.TaskEvent{
		Type:           e.Type,
		Time:           e.Time,
		DisplayMessage: e.DisplayMessage,
		Details:        copyMap(e.Details),
		Message:        e.Message,
		FailsTask:      e.FailsTask,
		RestartReason:  e.RestartReason,
		SetupError:     e.SetupError,
		DriverError:    e.DriverError,
		ExitCode:       e.ExitCode,
		Signal:         e.Signal,
		KillReason:     e.KillReason,
		KillTimeout:    e.KillTimeout,
		KillError:      e.KillError,
		StartDelay:     e.StartDelay,
		FailedSibling:  e.FailedSibling,
	}
}

// ApiTaskStateToStructs converts a task state reported in wire form.
func ApiTaskStateToStructs(s *api.TaskState) *structs.TaskState {
	if s == nil {
		return nil
	}
	out := &structs.TaskState{
		State:       s.State,
		Failed:      s.Failed,
		Restarts:    s.Restarts,
		LastRestart: s.LastRestart,
		StartedAt:   s.StartedAt,
		FinishedAt:  s.FinishedAt,
	}
	if s.Events != nil {
		out.Events = make([]*structs.TaskEvent, 0, len(s.Events))
		for _, e := range s.Events {
			if e == nil {
				continue
			}
			out.Events = append(out.Events, &structs.TaskEvent{
				Type:           e.Type,
				Time:           e.Time,
				DisplayMessage: e.DisplayMessage,
				Details:        copyMap(e.Details),
				Message:        e.Message,
				FailsTask:      e.FailsTask,
				RestartReason:  e.RestartReason,
				SetupError:     e.SetupError,
				DriverError:    e.DriverError,
				ExitCode:       e.ExitCode,
				Signal:         e.Signal,
				KillReason:     e.KillReason,
				KillTimeout:    e.KillTimeout,
				KillError:      e.KillError,
				StartDelay:     e.StartDelay,
				FailedSibling:  e.FailedSibling,
			})
		}
	}
	return out
}

// StructsEvalToApi converts an evaluation.
func StructsEvalToApi(e *structs.Evaluation) *api.Evaluation {
	if e == nil {
		return nil
	}
	out := &api.Evaluation{
		ID:                e.ID,
		Priority:          e.Priority,
		Type:              e.Type,
		TriggeredBy:       e.TriggeredBy,
		Namespace:         e.Namespace,
		JobID:             e.JobID,
		JobModifyIndex:    e.JobModifyIndex,
		NodeID:            e.NodeID,
		Status:            e.Status,
		StatusDescription: e.StatusDescription,
		Wait:              e.Wait,
		WaitUntil:         e.WaitUntil,
		NextEval:          e.NextEval,
		PreviousEval:      e.PreviousEval,
		BlockedEval:       e.BlockedEval,
		QueuedAllocations: copyMap(e.QueuedAllocations),
		SnapshotIndex:     e.SnapshotIndex,
		CreateIndex:       e.CreateIndex,
		ModifyIndex:       e.ModifyIndex,
		CreateTime:        e.CreateTime,
		ModifyTime:        e.ModifyTime,
	}
	if e.FailedTGAllocs != nil {
		out.FailedTGAllocs = make(map[string]*api.AllocationMetric, len(e.FailedTGAllocs))
		for tg, m := range e.FailedTGAllocs {
			out.FailedTGAllocs[tg] = StructsAllocMetricToApi(m)
		}
	}
	return out
}

// StructsNodeToApi converts a node. The secret ID never leaves the server. The
// deprecated Resources/Reserved are filled for older CLIs.
func StructsNodeToApi(n *structs.Node) *api.Node {
	if n == nil {
		return nil
	}
	out := &api.Node{
		ID:                    n.ID,
		Datacenter:            n.Datacenter,
		Name:                  n.Name,
		HTTPAddr:              n.HTTPAddr,
		Attributes:            copyMap(n.Attributes),
		NodeResources:         structsNodeResourcesToApi(n.NodeResources),
		ReservedResources:     structsNodeReservedToApi(n.ReservedResources),
		Meta:                  copyMap(n.Meta),
		NodeClass:             n.NodeClass,
		NodePool:              "default",
		SchedulingEligibility: n.SchedulingEligibility,
		Status:                n.Status,
		StatusDescription:     n.StatusDescription,
		StatusUpdatedAt:       n.StatusUpdatedAt,
		Drivers:               structsDriversToApi(n.Drivers),
		CreateIndex:           n.CreateIndex,
		ModifyIndex:           n.ModifyIndex,
	}
	if r := n.NodeResources; r != nil {
		out.Resources = &api.Resources{
			CPU: ptr(int(r.CPUShares)), MemoryMB: ptr(int(r.MemoryMB)), DiskMB: ptr(int(r.DiskMB)),
			Networks: structsNetworksToApi(hostNetworks(r.Networks)),
		}
	}
	if r := n.ReservedResources; r != nil {
		out.Reserved = &api.Resources{CPU: ptr(int(r.CPUShares)), MemoryMB: ptr(int(r.MemoryMB)), DiskMB: ptr(int(r.DiskMB))}
	}
	return out
}

// hostNetworks leaves out the mode-only entries ({Mode: "bridge"}) of a node.
func hostNetworks(in structs.NetworkResources) structs.NetworkResources {
	var out structs.NetworkResources
	for _, n := range in {
		if n != nil && n.Device != "" {
			out = append(out, n)
		}
	}
	return out
}

func structsNodeResourcesToApi(r *structs.NodeResources) *api.NodeResources {
	if r == nil {
		return nil
	}
	return &api.NodeResources{
		Cpu:            api.NodeCpuResources{CpuShares: r.CPUShares},
		Memory:         api.NodeMemoryResources{MemoryMB: r.MemoryMB},
		Disk:           api.NodeDiskResources{DiskMB: r.DiskMB},
		Networks:       structsNetworksToApi(r.Networks),
		MinDynamicPort: r.MinDynamicPort,
		MaxDynamicPort: r.MaxDynamicPort,
	}
}

func structsNodeReservedToApi(r *structs.NodeReservedResources) *api.NodeReservedResources {
	if r == nil {
		return nil
	}
	return &api.NodeReservedResources{
		Cpu:      api.NodeReservedCpuResources{CpuShares: uint64(r.CPUShares)},
		Memory:   api.NodeReservedMemoryResources{MemoryMB: uint64(r.MemoryMB)},
		Disk:     api.NodeReservedDiskResources{DiskMB: uint64(r.DiskMB)},
		Networks: api.NodeReservedNetworkResources{ReservedHostPorts: r.ReservedPorts},
	}
}

func structsDriversToApi(in map[string]*structs.DriverInfo) map[string]*api.DriverInfo {
	if in == nil {
		return nil
	}
	out := make(map[string]*api.DriverInfo, len(in))
	for name, d := range in {
		if d == nil {
			continue
		}
		di := &api.DriverInfo{
			Attributes:        copyMap(d.Attributes),
			Detected:          d.Detected,
			Healthy:           d.Healthy,
			HealthDescription: d.HealthDescription,
		}
		if d.UpdateTime != 0 {
			di.UpdateTime = time.Unix(0, d.UpdateTime).UTC()
		}
		out[name] = di
	}
	return out
}

// ApiNodeToStructs converts a node in wire form to the internal model (the secret
// ID is not part of the wire form and stays empty).
func ApiNodeToStructs(n *api.Node) *structs.Node {
	if n == nil {
		return nil
	}
	out := &structs.Node{
		ID:                    n.ID,
		Datacenter:            n.Datacenter,
		Name:                  n.Name,
		HTTPAddr:              n.HTTPAddr,
		Attributes:            copyMap(n.Attributes),
		Meta:                  copyMap(n.Meta),
		NodeClass:             n.NodeClass,
		SchedulingEligibility: n.SchedulingEligibility,
		Status:                n.Status,
		StatusDescription:     n.StatusDescription,
		StatusUpdatedAt:       n.StatusUpdatedAt,
		CreateIndex:           n.CreateIndex,
		ModifyIndex:           n.ModifyIndex,
	}
	if r := n.NodeResources; r != nil {
		out.NodeResources = &structs.NodeResources{
			CPUShares:      r.Cpu.CpuShares,
			MemoryMB:       r.Memory.MemoryMB,
			DiskMB:         r.Disk.DiskMB,
			Networks:       apiNetworksToStructs(r.Networks),
			MinDynamicPort: r.MinDynamicPort,
			MaxDynamicPort: r.MaxDynamicPort,
		}
	}
	if r := n.ReservedResources; r != nil {
		out.ReservedResources = &structs.NodeReservedResources{
			CPUShares:     int64(r.Cpu.CpuShares),
			MemoryMB:      int64(r.Memory.MemoryMB),
			DiskMB:        int64(r.Disk.DiskMB),
			ReservedPorts: r.Networks.ReservedHostPorts,
		}
	}
	if n.Drivers != nil {
		out.Drivers = make(map[string]*structs.DriverInfo, len(n.Drivers))
		for name, d := range n.Drivers {
			if d == nil {
				continue
			}
			di := &structs.DriverInfo{
				Attributes:        copyMap(d.Attributes),
				Detected:          d.Detected,
				Healthy:           d.Healthy,
				HealthDescription: d.HealthDescription,
			}
			if !d.UpdateTime.IsZero() {
				di.UpdateTime = d.UpdateTime.UnixNano()
			}
			out.Drivers[name] = di
		}
	}
	return out
}

// StructsNodeToStub converts a node to its list entry (`nomad node status`):
// Address is the fingerprinted unique.network.ip-address, Version nomad.version.
func StructsNodeToStub(n *structs.Node) *api.NodeListStub {
	if n == nil {
		return nil
	}
	return &api.NodeListStub{
		Address:               n.Attributes["unique.network.ip-address"],
		ID:                    n.ID,
		Attributes:            copyMap(n.Attributes),
		Datacenter:            n.Datacenter,
		Name:                  n.Name,
		NodeClass:             n.NodeClass,
		NodePool:              "default",
		Version:               n.Attributes["nomad.version"],
		SchedulingEligibility: n.SchedulingEligibility,
		Status:                n.Status,
		StatusDescription:     n.StatusDescription,
		Drivers:               structsDriversToApi(n.Drivers),
		NodeResources:         structsNodeResourcesToApi(n.NodeResources),
		ReservedResources:     structsNodeReservedToApi(n.ReservedResources),
		CreateIndex:           n.CreateIndex,
		ModifyIndex:           n.ModifyIndex,
	}
}

// StructsDiffToApi converts a job diff for `nomad job plan`.
func StructsDiffToApi(d *structs.JobDiff) *api.JobDiff {
	if d == nil {
		return nil
	}
	out := &api.JobDiff{
		Type:    d.Type,
		ID:      d.ID,
		Fields:  fieldDiffsToApi(d.Fields),
		Objects: objectDiffsToApi(d.Objects),
	}
	for _, tg := range d.TaskGroups {
		if tg == nil {
			continue
		}
		atg := &api.TaskGroupDiff{
			Type:    tg.Type,
			Name:    tg.Name,
			Fields:  fieldDiffsToApi(tg.Fields),
			Objects: objectDiffsToApi(tg.Objects),
			Updates: copyMap(tg.Updates),
		}
		for _, t := range tg.Tasks {
			if t == nil {
				continue
			}
			atg.Tasks = append(atg.Tasks, &api.TaskDiff{
				Type:        t.Type,
				Name:        t.Name,
				Fields:      fieldDiffsToApi(t.Fields),
				Objects:     objectDiffsToApi(t.Objects),
				Annotations: slices.Clone(t.Annotations),
			})
		}
		out.TaskGroups = append(out.TaskGroups, atg)
	}
	return out
}

func fieldDiffsToApi(in []*structs.FieldDiff) []*api.FieldDiff {
	if in == nil {
		return nil
	}
	out := make([]*api.FieldDiff, 0, len(in))
	for _, f := range in {
		if f != nil {
			out = append(out, &api.FieldDiff{Type: f.Type, Name: f.Name, Old: f.Old, New: f.New, Annotations: slices.Clone(f.Annotations)})
		}
	}
	return out
}

func objectDiffsToApi(in []*structs.ObjectDiff) []*api.ObjectDiff {
	if in == nil {
		return nil
	}
	out := make([]*api.ObjectDiff, 0, len(in))
	for _, o := range in {
		if o != nil {
			out = append(out, &api.ObjectDiff{Type: o.Type, Name: o.Name, Fields: fieldDiffsToApi(o.Fields), Objects: objectDiffsToApi(o.Objects)})
		}
	}
	return out
}

// StructsAnnotationsToApi converts a plan's annotations.
func StructsAnnotationsToApi(a *structs.PlanAnnotations) *api.PlanAnnotations {
	if a == nil {
		return nil
	}
	out := &api.PlanAnnotations{}
	if a.DesiredTGUpdates != nil {
		out.DesiredTGUpdates = make(map[string]*api.DesiredUpdates, len(a.DesiredTGUpdates))
		for tg, u := range a.DesiredTGUpdates {
			if u == nil {
				continue
			}
			out.DesiredTGUpdates[tg] = &api.DesiredUpdates{
				Ignore:            u.Ignore,
				Place:             u.Place,
				Migrate:           u.Migrate,
				Stop:              u.Stop,
				InPlaceUpdate:     u.InPlaceUpdate,
				DestructiveUpdate: u.DestructiveUpdate,
				Canary:            u.Canary,
				Preemptions:       u.Preemptions,
			}
		}
	}
	return out
}
