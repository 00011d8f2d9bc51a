package structs

import (
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// validServiceName is RFC 1123 as Consul wants it (Nomad's check, case-insensitive).
var validServiceName = regexp.MustCompile(`^(?i:[a-z0-9]|[a-z0-9][a-z0-9\-]{0,61}[a-z0-9])$`)

// Check types.
const (
	ServiceCheckHTTP   = "http"
	ServiceCheckTCP    = "tcp"
	ServiceCheckScript = "script"
	ServiceCheckGRPC   = "grpc"
)

// minCheckInterval and minCheckTimeout are Nomad's lower bounds for checks.
const (
	minCheckInterval = time.Second
	minCheckTimeout  = time.Second
)

// serviceScope is where a list of services lives: a group (task == nil) or a task.
type serviceScope struct {
	path   string
	tg     *TaskGroup
	task   *Task
	labels map[string]bool
}

// validateServices checks group services, task services and the Connect rules.
func (tg *TaskGroup) validateServices(v *validator, j *Job) {
	gpath := groupPath(tg)
	group := serviceScope{path: gpath, tg: tg, labels: tg.groupPortLabels()}
	group.validate(v, tg.Services)

	for i, t := range tg.Tasks {
		if t == nil {
			continue
		}
		labels := t.taskPortLabels()
		for l := range group.labels {
			labels[l] = true
		}
		scope := serviceScope{path: joinPath(gpath, taskElem(t, i)), tg: tg, task: t, labels: labels}
		scope.validate(v, t.Services)
	}

	tg.validateConnect(v)
}

func serviceElem(s *Service, i int) string {
	if s.Name == "" {
		return fmt.Sprintf("service %d", i+1)
	}
	return fmt.Sprintf("service %q", s.Name)
}

// isNumericPort reports whether a port "label" is a literal port number.
func isNumericPort(label string) bool {
	_, err := strconv.Atoi(label)
	return err == nil
}

func (sc serviceScope) validate(v *validator, services []*Service) {
	seen := map[string]bool{}
	missing := map[string][]string{} // port label -> services referring to it
	for i, s := range services {
		if s == nil {
			v.addf(sc.path, "Service %d is empty", i+1)
			continue
		}
		key := s.Name + ":" + s.PortLabel
		if seen[key] {
			v.addf(sc.path, "Service %s is duplicate", s.Name)
		}
		seen[key] = true
		if s.PortLabel != "" && !isNumericPort(s.PortLabel) && !sc.labels[s.PortLabel] {
			missing[s.PortLabel] = append(missing[s.PortLabel], s.Name)
		}
		sc.validateService(v, joinPath(sc.path, serviceElem(s, i)), s)
	}
	labels := make([]string, 0, len(missing))
	for l := range missing {
		labels = append(labels, l)
	}
	sort.Strings(labels)
	for _, l := range labels {
		v.addf(sc.path, "port label %q referenced by services %s does not exist", l, strings.Join(missing[l], ", "))
	}
}

func (sc serviceScope) validateService(v *validator, path string, s *Service) {
	if s.Name == "" {
		v.addf(path, "service name must be set")
	} else if !strings.Contains(s.Name, "${") && !validServiceName.MatchString(s.Name) {
		v.addf(path, "Service name must be valid per RFC 1123 and can contain only alphanumeric characters or dashes: %q", s.Name)
	}

	switch s.AddressMode {
	case "", AddressModeAuto, AddressModeHost:
	case AddressModeDriver:
		if sc.task == nil {
			v.addf(path, "service %q cannot use address_mode=\"driver\", only services defined in a \"task\" block can use this mode", s.Name)
		}
	case AddressModeAlloc:
		if sc.task != nil {
			v.addf(path, "service %q cannot use address_mode=\"alloc\", only services defined in a \"group\" block can use this mode", s.Name)
		}
	default:
		v.addf(path, "Service address_mode must be \"auto\", \"host\", \"driver\" or \"alloc\"; not %q", s.AddressMode)
	}

	if sc.task != nil {
		if s.Connect != nil {
			v.addf(path, "service %q cannot have \"connect\" block, only services defined in a \"group\" block can", s.Name)
		}
		if s.TaskName != "" {
			v.addf(path, "service %q cannot set task, only services defined in a \"group\" block can", s.Name)
		}
	} else if s.TaskName != "" && sc.tg.LookupTask(s.TaskName) == nil {
		v.addf(path, "service %q refers to non-existent task %s", s.Name, s.TaskName)
	}

	if s.Connect != nil {
		if strings.ToLower(s.Name) != s.Name {
			v.addf(path, "Consul Connect service name %q in group %q must not contain uppercase characters", s.Name, sc.tg.Name)
		}
		if strings.ToLower(sc.tg.Name) != sc.tg.Name {
			v.addf(path, "Consul Connect group %q with service %q must not contain uppercase characters", sc.tg.Name, s.Name)
		}
	}
	if s.CheckRestart != nil {
		validateCheckRestart(v, path, s.CheckRestart)
	}

	names := map[string]bool{}
	for _, c := range s.Checks {
		if c == nil {
			continue
		}
		if c.Name != "" && names[c.Name] {
			v.addf(path, "check %q is duplicate", c.Name)
		}
		names[c.Name] = true
		sc.validateCheck(v, path, s, c)
	}
}

func validateCheckRestart(v *validator, path string, c *CheckRestart) {
	if c.Limit < 0 {
		v.addf(path, "limit must be greater than or equal to 0 but found %d", c.Limit)
	}
	if c.Grace < 0 {
		v.addf(path, "grace period must be greater than or equal to 0 but found %d", c.Grace)
	}
}

func (sc serviceScope) validateCheck(v *validator, path string, s *Service, c *ServiceCheck) {
	bad := func(format string, args ...any) {
		v.addf(path, "Check %s invalid: %s", c.Name, fmt.Sprintf(format, args...))
	}
	typ := strings.ToLower(c.Type)
	switch typ {
	case ServiceCheckHTTP:
		if c.Path == "" {
			bad("http type must have http path")
		} else if u, err := url.Parse(c.Path); err != nil {
			bad("http type must have a valid http path")
		} else if u.IsAbs() {
			bad("http type must have a relative http path")
		}
	case ServiceCheckScript:
		if c.Command == "" {
			bad("script type must have a valid script path")
		}
	case ServiceCheckTCP, ServiceCheckGRPC:
	default:
		bad("invalid type (%q), must be one of \"grpc\", \"http\", \"script\", \"tcp\"", c.Type)
		return
	}
	if c.Interval < minCheckInterval {
		bad("minimum check interval is %v; got %v", minCheckInterval, c.Interval)
	}
	if c.Timeout < minCheckTimeout {
		bad("minimum check timeout is %v; got %v", minCheckTimeout, c.Timeout)
	}
	switch c.AddressMode {
	case "", AddressModeHost, AddressModeDriver, AddressModeAlloc:
	case AddressModeAuto:
		bad("invalid address_mode %q - %s only valid for services", c.AddressMode, c.AddressMode)
	default:
		bad("invalid address_mode %q", c.AddressMode)
	}
	if c.CheckRestart != nil {
		validateCheckRestart(v, path, c.CheckRestart)
	}

	if typ != ServiceCheckScript && !c.Expose {
		if c.PortLabel == "" && s.PortLabel == "" {
			bad("check requires a port but neither check nor service %q have a port", s.Name)
		}
		if c.PortLabel != "" && !isNumericPort(c.PortLabel) && !sc.labels[c.PortLabel] {
			bad("port label %q does not exist", c.PortLabel)
		}
	}

	if sc.task != nil {
		if c.TaskName != "" {
			bad("task may only be set on checks of group services")
		}
	} else {
		if c.TaskName != "" {
			if typ != ServiceCheckScript && typ != ServiceCheckGRPC {
				bad("only script and gRPC checks should have tasks")
			}
			if sc.tg.LookupTask(c.TaskName) == nil {
				bad("refers to non-existent task %s", c.TaskName)
			}
		} else if typ == ServiceCheckScript && s.TaskName == "" && len(sc.tg.Tasks) != 1 {
			v.addf(path, "Service [%s]->%s or Check %s must specify task parameter", sc.tg.Name, s.Name, c.Name)
		}
	}

	if s.Connect != nil && typ == ServiceCheckTCP {
		bad("tcp checks are not valid for Connect enabled services")
	}
	if c.Expose {
		if typ != ServiceCheckHTTP && typ != ServiceCheckGRPC {
			v.addf(path, "expose may only be set on HTTP or gRPC checks")
		} else if sc.task != nil || !s.Connect.HasSidecar() {
			v.addf(path, "exposed service check %s->%s->%s requires use of sidecar_proxy", sc.tg.Name, s.Name, c.Name)
		}
	}
}

// validateConnect checks the group-wide Connect rules: what each connect block is,
// the group network a sidecar or gateway needs, native tasks and upstream binds.
func (tg *TaskGroup) validateConnect(v *validator) {
	gpath := groupPath(tg)
	needsSidecarNet, needsGatewayNet := false, false
	binds := map[string]string{} // address:port -> service
	for i, s := range tg.Services {
		if s == nil || s.Connect == nil {
			continue
		}
		path := joinPath(gpath, serviceElem(s, i))
		c := s.Connect
		kinds := 0
		if c.Native {
			kinds++
		}
		if c.SidecarService != nil {
			kinds++
		}
		if c.Gateway != nil {
			kinds++
		}
		switch {
		case kinds == 0:
			v.addf(path, "Consul Connect must be native, make use of a sidecar, or represent a Gateway")
		case kinds > 1:
			v.addf(path, "Consul Connect must be exclusively native, make use of a sidecar, or represent a Gateway")
		}
		if c.SidecarTask != nil && c.SidecarService == nil {
			v.addf(path, "Consul Connect sidecar_task requires a sidecar_service")
		}
		if c.SidecarService != nil {
			needsSidecarNet = true
			if p := c.SidecarService.Proxy; p != nil {
				for _, u := range p.Upstreams {
					if u == nil {
						continue
					}
					addr := fmt.Sprintf("%s:%d", u.LocalBindAddress, u.LocalBindPort)
					if other, ok := binds[addr]; ok {
						v.addf(gpath, "Consul Connect services %q and %q in group %q using same address for upstreams (%s)", other, s.Name, tg.Name, addr)
					} else {
						binds[addr] = s.Name
					}
				}
			}
			// sidecar_task.resources is a partial override merged into the injected
			// task, which is validated like any task: nothing to check here.
		}
		if c.Gateway != nil {
			needsGatewayNet = true
		}
		if c.Native {
			switch {
			case s.TaskName == "" && len(tg.Tasks) != 1:
				v.addf(path, "task for Consul Connect Native service %s->%s is ambiguous and must be set", tg.Name, s.Name)
			case s.TaskName != "" && tg.LookupTask(s.TaskName) == nil:
				v.addf(path, "task %s named by Consul Connect Native service %s->%s does not exist", s.TaskName, tg.Name, s.Name)
			}
		}
	}

	if needsSidecarNet {
		tg.validateConnectNetwork(v, "connect sidecar", false)
	} else if needsGatewayNet {
		tg.validateConnectNetwork(v, "connect gateway", true)
	}
}

func (tg *TaskGroup) validateConnectNetwork(v *validator, what string, allowHost bool) {
	gpath := groupPath(tg)
	if len(tg.Networks) != 1 {
		v.addf(gpath, "%s: must have exactly one network for Consul Connect: group %q has %d networks", what, tg.Name, len(tg.Networks))
		return
	}
	mode := tg.Networks[0].IsolationMode()
	if mode == NetworkModeBridge {
		return
	}
	if _, ok := IsCNIMode(mode); ok {
		return
	}
	if allowHost {
		if mode == NetworkModeHost {
			return
		}
		v.addf(gpath, "%s: invalid network mode for Consul Connect: group %q uses network mode %q; must be \"bridge\", \"host\", or \"cni/*\"", what, tg.Name, mode)
		return
	}
	v.addf(gpath, "%s: invalid network mode for Consul Connect: group %q uses network mode %q; must be \"bridge\" or \"cni/*\"", what, tg.Name, mode)
}
