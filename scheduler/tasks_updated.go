package scheduler

import (
	"encoding/json"
	"maps"
	"reflect"

	"github.com/netnomad/netnomad/nomad/structs"
)

// TasksUpdated reports whether moving the group's allocations from job a to job b
// needs a destructive update (stop the old allocation, place a new one) rather
// than an in-place one. As in Nomad it is destructive when a task was added or
// removed, or a task's driver, user, config, env, meta (job, group and task meta
// merged), lifecycle, kind or resources (cpu, memory, 0.9 task network) changed, or
// the group network's mode, bandwidth or ports (labels, static values, `to`)
// changed, or a service's connect block changed in a way that needs a new proxy
// task (added/removed, native, sidecar_task, sidecar_service.port, gateway).
// Service tags, checks, meta, sidecar tags and proxy settings, and count, stay
// in place. A group missing from either job counts as updated.
func TasksUpdated(a, b *structs.Job, group string) bool {
	if a == nil || b == nil {
		return true
	}
	ag, bg := a.LookupTaskGroup(group), b.LookupTaskGroup(group)
	if ag == nil || bg == nil {
		return true
	}
	if len(ag.Tasks) != len(bg.Tasks) {
		return true
	}
	if networksUpdated(ag.Networks, bg.Networks) {
		return true
	}
	if connectUpdated(ag.Services, bg.Services) {
		return true
	}
	for _, at := range ag.Tasks {
		bt := bg.LookupTask(at.Name)
		if bt == nil {
			return true
		}
		if at.Driver != bt.Driver || at.User != bt.User || at.Kind != bt.Kind {
			return true
		}
		if !reflect.DeepEqual(at.Lifecycle, bt.Lifecycle) {
			return true
		}
		if (len(at.Config) != 0 || len(bt.Config) != 0) && !sameJSON(at.Config, bt.Config) {
			return true
		}
		if !sameStringMap(at.Env, bt.Env) {
			return true
		}
		if !sameStringMap(combinedMeta(a, ag, at), combinedMeta(b, bg, bt)) {
			return true
		}
		if connectUpdated(at.Services, bt.Services) {
			return true
		}
		ar, br := at.Resources, bt.Resources
		if ar == nil {
			ar = &structs.Resources{}
		}
		if br == nil {
			br = &structs.Resources{}
		}
		if ar.CPU != br.CPU || ar.MemoryMB != br.MemoryMB || ar.DiskMB != br.DiskMB {
			return true
		}
		if networksUpdated(ar.Networks, br.Networks) {
			return true
		}
	}
	return false
}

// networksUpdated compares networks by mode, bandwidth and ports: static ports by
// value, dynamic ports by label only (their value is assigned), and `to`.
func networksUpdated(a, b structs.NetworkResources) bool {
	if len(a) != len(b) {
		return true
	}
	for i := range a {
		an, bn := a[i], b[i]
		if an.IsolationMode() != bn.IsolationMode() || an.MBits != bn.MBits {
			return true
		}
		if !maps.Equal(portMap(an), portMap(bn)) {
			return true
		}
	}
	return false
}

type portKey struct{ value, to int }

func portMap(n *structs.NetworkResource) map[string]portKey {
	m := make(map[string]portKey, len(n.ReservedPorts)+len(n.DynamicPorts))
	for _, p := range n.ReservedPorts {
		m[p.Label] = portKey{p.Value, p.To}
	}
	for _, p := range n.DynamicPorts {
		m[p.Label] = portKey{-1, p.To}
	}
	return m
}

// connectUpdated reports connect changes that need a new sidecar task.
func connectUpdated(a, b []*structs.Service) bool {
	byName := func(svcs []*structs.Service) map[string]*structs.Service {
		m := make(map[string]*structs.Service, len(svcs))
		for _, s := range svcs {
			m[s.Name] = s
		}
		return m
	}
	am, bm := byName(a), byName(b)
	for name, as := range am {
		bs, ok := bm[name]
		aHas := as.Connect != nil
		if !ok {
			if aHas {
				return true
			}
			continue
		}
		if aHas != (bs.Connect != nil) {
			return true
		}
		if !aHas {
			continue
		}
		if as.PortLabel != bs.PortLabel {
			return true
		}
		ac, bc := as.Connect, bs.Connect
		if ac.Native != bc.Native || ac.HasSidecar() != bc.HasSidecar() {
			return true
		}
		if !sameJSON(ac.SidecarTask, bc.SidecarTask) || !sameJSON(ac.Gateway, bc.Gateway) {
			return true
		}
		if ac.HasSidecar() && ac.SidecarService.Port != bc.SidecarService.Port {
			return true
		}
	}
	for name, bs := range bm {
		if _, ok := am[name]; !ok && bs.Connect != nil {
			return true
		}
	}
	return false
}

// combinedMeta merges job, group and task meta, the innermost winning.
func combinedMeta(job *structs.Job, tg *structs.TaskGroup, t *structs.Task) map[string]string {
	out := map[string]string{}
	maps.Copy(out, job.Meta)
	maps.Copy(out, tg.Meta)
	maps.Copy(out, t.Meta)
	return out
}

// sameStringMap treats nil and empty maps as equal.
func sameStringMap(a, b map[string]string) bool {
	return maps.Equal(a, b)
}

// sameJSON compares values by their JSON form, so a task config decoded from the
// API (numbers as float64) equals the same config built in Go (numbers as int).
func sameJSON(a, b any) bool {
	ab, aErr := json.Marshal(a)
	bb, bErr := json.Marshal(b)
	if aErr != nil || bErr != nil {
		return reflect.DeepEqual(a, b)
	}
	return string(ab) == string(bb)
}
