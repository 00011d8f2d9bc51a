package structs

import (
	"sort"
	"strconv"
	"strings"
)

// This file holds what each type contributes to a diff: its primitive fields (a
// flat) and its nested objects, under the object names Nomad's plan output uses.

func (j *Job) flat() flat {
	if j == nil {
		return nil
	}
	f := flat{}
	f.str("Region", j.Region)
	f.str("Namespace", j.Namespace)
	f.str("Name", j.Name)
	f.str("Type", j.Type)
	f.int("Priority", j.Priority)
	f.bool("AllAtOnce", j.AllAtOnce)
	f.bool("Stop", j.Stop)
	f.strMap("Meta", j.Meta)
	return f
}

func constraintDiffs(old, cur []*Constraint, contextual bool) []*ObjectDiff {
	conv := func(cs []*Constraint) []flat {
		out := make([]flat, 0, len(cs))
		for _, c := range cs {
			if c != nil {
				out = append(out, flat{"LTarget": c.LTarget, "RTarget": c.RTarget, "Operand": c.Operand})
			}
		}
		return out
	}
	return primitiveSetDiff(conv(old), conv(cur), "Constraint", contextual)
}

func taskGroupDiffs(old, cur []*TaskGroup, contextual bool) []*TaskGroupDiff {
	om, cm := map[string]*TaskGroup{}, map[string]*TaskGroup{}
	names := map[string]bool{}
	for _, tg := range old {
		if tg != nil {
			om[tg.Name], names[tg.Name] = tg, true
		}
	}
	for _, tg := range cur {
		if tg != nil {
			cm[tg.Name], names[tg.Name] = tg, true
		}
	}
	out := make([]*TaskGroupDiff, 0, len(names))
	for _, name := range sortedKeys(names) {
		out = append(out, taskGroupDiff(om[name], cm[name], contextual))
	}
	return out
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func (tg *TaskGroup) flat() flat {
	if tg == nil {
		return nil
	}
	f := flat{}
	f.int("Count", tg.Count)
	f.durPtr("ShutdownDelay", tg.ShutdownDelay)
	f.strMap("Meta", tg.Meta)
	return f
}

func taskGroupDiff(old, cur *TaskGroup, contextual bool) *TaskGroupDiff {
	d := &TaskGroupDiff{Type: DiffTypeEdited}
	switch {
	case old == nil:
		d.Type, d.Name = DiffTypeAdded, cur.Name
	case cur == nil:
		d.Type, d.Name = DiffTypeDeleted, old.Name
	default:
		d.Name = cur.Name
	}
	o, c := old, cur
	if o == nil {
		o = &TaskGroup{}
	}
	if c == nil {
		c = &TaskGroup{}
	}
	d.Fields = fieldDiffs(old.flat(), cur.flat(), contextual)
	d.Objects = append(d.Objects, constraintDiffs(o.Constraints, c.Constraints, contextual)...)
	d.Objects = appendObj(d.Objects, objectDiff("RestartPolicy", o.RestartPolicy.flat(), c.RestartPolicy.flat(), nil, contextual))
	// The job-level reschedule block is merged into every group's policy, so a
	// change to it shows here, under each group, as Nomad shows it.
	d.Objects = appendObj(d.Objects, objectDiff("ReschedulePolicy", o.ReschedulePolicy.flat(), c.ReschedulePolicy.flat(), nil, contextual))
	d.Objects = append(d.Objects, networkDiffs(o.Networks, c.Networks, contextual)...)
	d.Objects = append(d.Objects, serviceDiffs(o.Services, c.Services, contextual)...)
	sortObjects(d.Objects)
	d.Tasks = taskDiffs(o.Tasks, c.Tasks, contextual)

	if d.Type == DiffTypeEdited && !changed(d.Fields, d.Objects) && !tasksChanged(d.Tasks) {
		d.Type = DiffTypeNone
	}
	return d
}

func tasksChanged(ts []*TaskDiff) bool {
	for _, t := range ts {
		if t.Type != DiffTypeNone {
			return true
		}
	}
	return false
}

func taskDiffs(old, cur []*Task, contextual bool) []*TaskDiff {
	om, cm := map[string]*Task{}, map[string]*Task{}
	names := map[string]bool{}
	for _, t := range old {
		if t != nil {
			om[t.Name], names[t.Name] = t, true
		}
	}
	for _, t := range cur {
		if t != nil {
			cm[t.Name], names[t.Name] = t, true
		}
	}
	out := make([]*TaskDiff, 0, len(names))
	for _, name := range sortedKeys(names) {
		out = append(out, taskDiff(om[name], cm[name], contextual))
	}
	return out
}

func (t *Task) flat() flat {
	if t == nil {
		return nil
	}
	f := flat{}
	f.str("Driver", t.Driver)
	f.str("User", t.User)
	f.dur("KillTimeout", t.KillTimeout)
	f.bool("Leader", t.Leader)
	f.dur("ShutdownDelay", t.ShutdownDelay)
	f.str("KillSignal", t.KillSignal)
	f.str("Kind", t.Kind)
	f.strMap("Env", t.Env)
	f.strMap("Meta", t.Meta)
	return f
}

// taskDiff diffs one task. An unchanged task is reported as type None with no
// fields or objects, as Nomad does.
func taskDiff(old, cur *Task, contextual bool) *TaskDiff {
	d := &TaskDiff{Type: DiffTypeEdited}
	switch {
	case old == nil:
		d.Type, d.Name = DiffTypeAdded, cur.Name
	case cur == nil:
		d.Type, d.Name = DiffTypeDeleted, old.Name
	default:
		d.Name = cur.Name
	}
	o, c := old, cur
	if o == nil {
		o = &Task{}
	}
	if c == nil {
		c = &Task{}
	}
	d.Fields = fieldDiffs(old.flat(), cur.flat(), contextual)
	d.Objects = append(d.Objects, constraintDiffs(o.Constraints, c.Constraints, contextual)...)
	d.Objects = appendObj(d.Objects, configDiff(o.Config, c.Config, "Config", contextual))
	d.Objects = appendObj(d.Objects, resourcesDiff(o.Resources, c.Resources, contextual))
	d.Objects = appendObj(d.Objects, objectDiff("LogConfig", o.LogConfig.flat(), c.LogConfig.flat(), nil, contextual))
	d.Objects = appendObj(d.Objects, objectDiff("RestartPolicy", o.RestartPolicy.flat(), c.RestartPolicy.flat(), nil, contextual))
	d.Objects = appendObj(d.Objects, objectDiff("Lifecycle", o.Lifecycle.flat(), c.Lifecycle.flat(), nil, contextual))
	d.Objects = append(d.Objects, serviceDiffs(o.Services, c.Services, contextual)...)
	sortObjects(d.Objects)

	if d.Type == DiffTypeEdited && !changed(d.Fields, d.Objects) {
		return &TaskDiff{Type: DiffTypeNone, Name: d.Name}
	}
	return d
}

func (r *RestartPolicy) flat() flat {
	if r == nil {
		return nil
	}
	f := flat{}
	f.int("Attempts", r.Attempts)
	f.dur("Interval", r.Interval)
	f.dur("Delay", r.Delay)
	f.str("Mode", r.Mode)
	return f
}

func (r *ReschedulePolicy) flat() flat {
	if r == nil {
		return nil
	}
	f := flat{}
	f.int("Attempts", r.Attempts)
	f.dur("Interval", r.Interval)
	f.dur("Delay", r.Delay)
	f.str("DelayFunction", r.DelayFunction)
	f.dur("MaxDelay", r.MaxDelay)
	f.bool("Unlimited", r.Unlimited)
	return f
}

func (l *LogConfig) flat() flat {
	if l == nil {
		return nil
	}
	f := flat{}
	f.int("MaxFiles", l.MaxFiles)
	f.int("MaxFileSizeMB", l.MaxFileSizeMB)
	return f
}

func (l *TaskLifecycleConfig) flat() flat {
	if l == nil {
		return nil
	}
	f := flat{}
	f.str("Hook", l.Hook)
	f.bool("Sidecar", l.Sidecar)
	return f
}

func (r *Resources) flat() flat {
	if r == nil {
		return nil
	}
	f := flat{}
	f.int("CPU", r.CPU)
	f.int("MemoryMB", r.MemoryMB)
	f.int("DiskMB", r.DiskMB)
	return f
}

func resourcesDiff(old, cur *Resources, contextual bool) *ObjectDiff {
	var on, cn NetworkResources
	if old != nil {
		on = old.Networks
	}
	if cur != nil {
		cn = cur.Networks
	}
	return objectDiff("Resources", old.flat(), cur.flat(), networkDiffs(on, cn, contextual), contextual)
}

func (n *NetworkResource) flat() flat {
	if n == nil {
		return nil
	}
	f := flat{}
	f.int("MBits", n.MBits)
	f.str("Mode", n.Mode)
	return f
}

// networkDiffs pairs networks by position (a group has at most one), so a changed
// port shows inside an edited Network rather than as a replaced network.
func networkDiffs(old, cur NetworkResources, contextual bool) []*ObjectDiff {
	var out []*ObjectDiff
	for i := 0; i < len(old) || i < len(cur); i++ {
		var o, c *NetworkResource
		if i < len(old) {
			o = old[i]
		}
		if i < len(cur) {
			c = cur[i]
		}
		out = appendObj(out, networkDiff(o, c, contextual))
	}
	return out
}

func networkDiff(old, cur *NetworkResource, contextual bool) *ObjectDiff {
	var or, oc, cr, cc []Port
	if old != nil {
		or, oc = old.ReservedPorts, old.DynamicPorts
	}
	if cur != nil {
		cr, cc = cur.ReservedPorts, cur.DynamicPorts
	}
	children := append(portDiffs(or, cr, false, contextual), portDiffs(oc, cc, true, contextual)...)
	return objectDiff("Network", old.flat(), cur.flat(), children, contextual)
}

// portDiffs diffs ports by label. Dynamic ports leave out Value, which the scheduler
// picks and users do not set.
func portDiffs(old, cur []Port, dynamic, contextual bool) []*ObjectDiff {
	name := "Static Port"
	if dynamic {
		name = "Dynamic Port"
	}
	portFlat := func(p Port) flat {
		f := flat{}
		f.str("Label", p.Label)
		if !dynamic {
			f.int("Value", p.Value)
		}
		f.int("To", p.To)
		f.str("HostNetwork", p.HostNetwork)
		return f
	}
	om, cm := map[string]flat{}, map[string]flat{}
	labels := map[string]bool{}
	for _, p := range old {
		om[p.Label], labels[p.Label] = portFlat(p), true
	}
	for _, p := range cur {
		cm[p.Label], labels[p.Label] = portFlat(p), true
	}
	var out []*ObjectDiff
	for _, l := range sortedKeys(labels) {
		out = appendObj(out, objectDiff(name, om[l], cm[l], nil, contextual))
	}
	return out
}

// serviceKey matches services across versions: by name, and by port as well when
// several services share a name.
func serviceKeys(ss []*Service) map[string]*Service {
	count := map[string]int{}
	for _, s := range ss {
		if s != nil {
			count[s.Name]++
		}
	}
	out := map[string]*Service{}
	for _, s := range ss {
		if s == nil {
			continue
		}
		k := s.Name
		if count[s.Name] > 1 {
			k = s.Name + "/" + s.PortLabel
		}
		out[k] = s
	}
	return out
}

func serviceDiffs(old, cur []*Service, contextual bool) []*ObjectDiff {
	om, cm := serviceKeys(old), serviceKeys(cur)
	keys := map[string]bool{}
	for k := range om {
		keys[k] = true
	}
	for k := range cm {
		keys[k] = true
	}
	var out []*ObjectDiff
	for _, k := range sortedKeys(keys) {
		out = appendObj(out, serviceDiff(om[k], cm[k], contextual))
	}
	sortObjects(out)
	return out
}

func (s *Service) flat() flat {
	if s == nil {
		return nil
	}
	f := flat{}
	f.str("Name", s.Name)
	f.str("TaskName", s.TaskName)
	f.str("PortLabel", s.PortLabel)
	f.str("AddressMode", s.AddressMode)
	f.bool("EnableTagOverride", s.EnableTagOverride)
	f.strMap("Meta", s.Meta)
	f.strMap("CanaryMeta", s.CanaryMeta)
	return f
}

func serviceDiff(old, cur *Service, contextual bool) *ObjectDiff {
	o, c := old, cur
	if o == nil {
		o = &Service{}
	}
	if c == nil {
		c = &Service{}
	}
	children := []*ObjectDiff{
		stringSetDiff(o.Tags, c.Tags, "Tags", contextual),
		stringSetDiff(o.CanaryTags, c.CanaryTags, "CanaryTags", contextual),
		objectDiff("CheckRestart", o.CheckRestart.flat(), c.CheckRestart.flat(), nil, contextual),
		connectDiff(o.Connect, c.Connect, contextual),
	}
	children = append(children, checkDiffs(o.Checks, c.Checks, contextual)...)
	return objectDiff("Service", old.flat(), cur.flat(), children, contextual)
}

func (c *CheckRestart) flat() flat {
	if c == nil {
		return nil
	}
	f := flat{}
	f.int("Limit", c.Limit)
	f.dur("Grace", c.Grace)
	f.bool("IgnoreWarnings", c.IgnoreWarnings)
	return f
}

func checkDiffs(old, cur []*ServiceCheck, contextual bool) []*ObjectDiff {
	om, cm := map[string]*ServiceCheck{}, map[string]*ServiceCheck{}
	names := map[string]bool{}
	for _, c := range old {
		if c != nil {
			om[c.Name], names[c.Name] = c, true
		}
	}
	for _, c := range cur {
		if c != nil {
			cm[c.Name], names[c.Name] = c, true
		}
	}
	var out []*ObjectDiff
	for _, n := range sortedKeys(names) {
		out = appendObj(out, checkDiff(om[n], cm[n], contextual))
	}
	return out
}

func (c *ServiceCheck) flat() flat {
	if c == nil {
		return nil
	}
	f := flat{}
	f.str("Name", c.Name)
	f.str("Type", c.Type)
	f.str("Command", c.Command)
	for i, a := range c.Args {
		f.str("Args["+strconv.Itoa(i)+"]", a)
	}
	f.str("Path", c.Path)
	f.str("Protocol", c.Protocol)
	f.str("PortLabel", c.PortLabel)
	f.bool("Expose", c.Expose)
	f.str("AddressMode", c.AddressMode)
	f.dur("Interval", c.Interval)
	f.dur("Timeout", c.Timeout)
	f.str("InitialStatus", c.InitialStatus)
	f.str("Method", c.Method)
	f.str("TaskName", c.TaskName)
	return f
}

func checkDiff(old, cur *ServiceCheck, contextual bool) *ObjectDiff {
	var oc, cc *CheckRestart
	var oh, ch flat
	if old != nil {
		oc, oh = old.CheckRestart, headerFlat(old.Header)
	}
	if cur != nil {
		cc, ch = cur.CheckRestart, headerFlat(cur.Header)
	}
	children := []*ObjectDiff{
		objectDiff("CheckRestart", oc.flat(), cc.flat(), nil, contextual),
		objectDiff("Header", oh, ch, nil, contextual),
	}
	return objectDiff("Check", old.flat(), cur.flat(), children, contextual)
}

func headerFlat(h map[string][]string) flat {
	if len(h) == 0 {
		return nil
	}
	f := flat{}
	for k, v := range h {
		f[k] = strings.Join(v, ",")
	}
	return f
}

func (c *ConsulConnect) flat() flat {
	if c == nil {
		return nil
	}
	f := flat{}
	f.bool("Native", c.Native)
	return f
}

func connectDiff(old, cur *ConsulConnect, contextual bool) *ObjectDiff {
	o, c := old, cur
	if o == nil {
		o = &ConsulConnect{}
	}
	if c == nil {
		c = &ConsulConnect{}
	}
	children := []*ObjectDiff{
		sidecarServiceDiff(o.SidecarService, c.SidecarService, contextual),
		sidecarTaskDiff(o.SidecarTask, c.SidecarTask, contextual),
		gatewayDiff(o.Gateway, c.Gateway, contextual),
	}
	return objectDiff("ConsulConnect", old.flat(), cur.flat(), children, contextual)
}

func (s *ConsulSidecarService) flat() flat {
	if s == nil {
		return nil
	}
	f := flat{}
	f.str("Port", s.Port)
	f.bool("DisableDefaultTCPCheck", s.DisableDefaultTCPCheck)
	f.strMap("Meta", s.Meta)
	return f
}

func sidecarServiceDiff(old, cur *ConsulSidecarService, contextual bool) *ObjectDiff {
	o, c := old, cur
	if o == nil {
		o = &ConsulSidecarService{}
	}
	if c == nil {
		c = &ConsulSidecarService{}
	}
	children := []*ObjectDiff{
		stringSetDiff(o.Tags, c.Tags, "Tags", contextual),
		proxyDiff(o.Proxy, c.Proxy, contextual),
	}
	return objectDiff("SidecarService", old.flat(), cur.flat(), children, contextual)
}

func (p *ConsulProxy) flat() flat {
	if p == nil {
		return nil
	}
	f := flat{}
	f.str("LocalServiceAddress", p.LocalServiceAddress)
	f.int("LocalServicePort", p.LocalServicePort)
	return f
}

func proxyDiff(old, cur *ConsulProxy, contextual bool) *ObjectDiff {
	o, c := old, cur
	if o == nil {
		o = &ConsulProxy{}
	}
	if c == nil {
		c = &ConsulProxy{}
	}
	upstreams := func(us []*ConsulUpstream) []flat {
		out := make([]flat, 0, len(us))
		for _, u := range us {
			if u == nil {
				continue
			}
			f := flat{}
			f.str("DestinationName", u.DestinationName)
			f.int("LocalBindPort", u.LocalBindPort)
			f.str("LocalBindAddress", u.LocalBindAddress)
			f.str("Datacenter", u.Datacenter)
			out = append(out, f)
		}
		return out
	}
	children := primitiveSetDiff(upstreams(o.Upstreams), upstreams(c.Upstreams), "ConsulUpstreams", contextual)
	children = append(children,
		exposeDiff(o.Expose, c.Expose, contextual),
		configDiff(o.Config, c.Config, "Config", contextual))
	return objectDiff("ConsulProxy", old.flat(), cur.flat(), children, contextual)
}

func exposeDiff(old, cur *ConsulExposeConfig, contextual bool) *ObjectDiff {
	paths := func(e *ConsulExposeConfig) []flat {
		if e == nil {
			return nil
		}
		out := make([]flat, 0, len(e.Paths))
		for _, p := range e.Paths {
			f := flat{}
			f.str("Path", p.Path)
			f.str("Protocol", p.Protocol)
			f.int("LocalPathPort", p.LocalPathPort)
			f.str("ListenerPort", p.ListenerPort)
			out = append(out, f)
		}
		return out
	}
	var of, cf flat
	if old != nil {
		of = flat{}
	}
	if cur != nil {
		cf = flat{}
	}
	children := primitiveSetDiff(paths(old), paths(cur), "ConsulExposePath", contextual)
	return objectDiff("ConsulExposeConfig", of, cf, children, contextual)
}

func (t *SidecarTask) flat() flat {
	if t == nil {
		return nil
	}
	f := flat{}
	f.str("Name", t.Name)
	f.str("Driver", t.Driver)
	f.str("User", t.User)
	f.durPtr("KillTimeout", t.KillTimeout)
	f.durPtr("ShutdownDelay", t.ShutdownDelay)
	f.str("KillSignal", t.KillSignal)
	f.strMap("Env", t.Env)
	f.strMap("Meta", t.Meta)
	return f
}

func sidecarTaskDiff(old, cur *SidecarTask, contextual bool) *ObjectDiff {
	o, c := old, cur
	if o == nil {
		o = &SidecarTask{}
	}
	if c == nil {
		c = &SidecarTask{}
	}
	children := []*ObjectDiff{
		configDiff(o.Config, c.Config, "Config", contextual),
		resourcesDiff(o.Resources, c.Resources, contextual),
		objectDiff("LogConfig", o.LogConfig.flat(), c.LogConfig.flat(), nil, contextual),
	}
	return objectDiff("SidecarTask", old.flat(), cur.flat(), children, contextual)
}

func gatewayDiff(old, cur *ConsulGateway, contextual bool) *ObjectDiff {
	gf := func(g *ConsulGateway) flat {
		if g == nil {
			return nil
		}
		return flat{"Kind": g.Kind}
	}
	var op, cp map[string]any
	if old != nil {
		op = old.Proxy
	}
	if cur != nil {
		cp = cur.Proxy
	}
	return objectDiff("Gateway", gf(old), gf(cur), []*ObjectDiff{configDiff(op, cp, "Proxy", contextual)}, contextual)
}
