package structs

import (
	"fmt"
	"regexp"
	"strings"
)

// validPortLabel is the label syntax we accept: Nomad's HCL1 `^[a-zA-Z0-9_]+$` plus
// dashes, which ports injected by Nomad itself (`connect-proxy-<service>`) contain.
var validPortLabel = regexp.MustCompile(`^[a-zA-Z0-9_-]+$`)

// ownerGroupNetwork names the group network as the other party of a collision.
const ownerGroupNetwork = "taskgroup network"

// portRegistry tracks port labels and static ports across the group network and the
// task networks of one group, which share one label namespace and one host.
type portRegistry struct {
	labels map[string]string // lower-case label -> owner
	static map[string]string // host_network/port -> "owner:label"
}

// validateNetworks checks the group network and the 0.9-style task networks.
func (tg *TaskGroup) validateNetworks(v *validator) {
	path := groupPath(tg)
	reg := &portRegistry{labels: map[string]string{}, static: map[string]string{}}

	if len(tg.Networks) > 1 {
		v.addf(path, "only one network block allowed")
	}
	for _, n := range tg.Networks {
		if n == nil {
			continue
		}
		npath := joinPath(path, "network")
		validateNetworkMode(v, npath, n.Mode)
		reg.checkPorts(v, npath, n, ownerGroupNetwork)
	}

	for i, t := range tg.Tasks {
		if t == nil || t.Resources == nil || len(t.Resources.Networks) == 0 {
			continue
		}
		tpath := joinPath(path, taskElem(t, i))
		if len(tg.Networks) > 0 {
			v.addf(tpath, "task %q has a task-level network while group %q has a group network; mixing group and task networks is not allowed, move the ports to the group network", t.Name, tg.Name)
		}
		if len(t.Resources.Networks) > 1 {
			v.addf(joinPath(tpath, "resources"), "only one network block allowed")
		}
		for _, n := range t.Resources.Networks {
			if n == nil {
				continue
			}
			npath := joinPath(tpath, "resources -> network")
			if n.Mode != "" && n.Mode != NetworkModeHost {
				v.addf(npath, "invalid network mode %q for a task network; only \"host\" is supported, use a group network for %q", n.Mode, n.Mode)
			}
			reg.checkPorts(v, npath, n, t.Name)
		}
	}
}

// validateNetworkMode accepts host (or empty), bridge, none and cni/<name>.
func validateNetworkMode(v *validator, path, mode string) {
	switch mode {
	case "", NetworkModeHost, NetworkModeBridge, NetworkModeNone:
		return
	}
	if _, ok := IsCNIMode(mode); ok {
		return
	}
	v.addf(path, "invalid network mode %q; must be one of \"host\", \"bridge\", \"none\" or \"cni/<name>\"", mode)
}

// checkPorts validates one network's ports and records them in the registry.
func (r *portRegistry) checkPorts(v *validator, path string, n *NetworkResource, owner string) {
	local := map[string]bool{}
	check := func(p Port, static bool) {
		if p.Label == "" {
			v.addf(path, "ports must be named")
		} else if !validPortLabel.MatchString(p.Label) {
			v.addf(path, "Port label %q does not conform to naming requirements %s", p.Label, validPortLabel)
		} else {
			key := strings.ToLower(p.Label)
			if local[key] {
				v.addf(path, "found a port label collision: %s", p.Label)
			} else if other, ok := r.labels[key]; ok {
				v.addf(path, "Port label %s already in use by %s", p.Label, other)
			} else {
				r.labels[key] = owner
			}
			local[key] = true
		}

		if static {
			switch {
			case p.Value < 1:
				v.addf(path, "Port %s (%d) cannot be less than 1", p.Label, p.Value)
			case p.Value > 65535:
				v.addf(path, "Port %s (%d) cannot be greater than 65535", p.Label, p.Value)
			default:
				key := fmt.Sprintf("%s/%d", p.HostNetwork, p.Value)
				if other, ok := r.static[key]; ok {
					v.addf(path, "Static port %d already reserved by %s", p.Value, other)
				} else {
					r.static[key] = owner + ":" + p.Label
				}
			}
		}

		if p.To < -1 {
			v.addf(path, "Port %q cannot be mapped to negative value %d", p.Label, p.To)
		} else if p.To > 65535 {
			v.addf(path, "Port %q cannot be mapped to a port (%d) greater than 65535", p.Label, p.To)
		}
	}
	for _, p := range n.ReservedPorts {
		check(p, true)
	}
	for _, p := range n.DynamicPorts {
		check(p, false)
	}
}

// groupPortLabels returns the labels of the group network's ports.
func (tg *TaskGroup) groupPortLabels() map[string]bool {
	out := map[string]bool{}
	for _, n := range tg.Networks {
		if n == nil {
			continue
		}
		for _, p := range n.Ports() {
			out[p.Label] = true
		}
	}
	return out
}

// taskPortLabels returns the labels of a task's 0.9-style network ports.
func (t *Task) taskPortLabels() map[string]bool {
	out := map[string]bool{}
	if t.Resources == nil {
		return out
	}
	for _, n := range t.Resources.Networks {
		if n == nil {
			continue
		}
		for _, p := range n.Ports() {
			out[p.Label] = true
		}
	}
	return out
}
