package structs

import "strings"

// ValidateConnect reports, as a *multierror.Error with path-prefixed entries like
// Validate's, the Connect rules that Validate leaves out because they only make
// sense once the server's Connect admission hook has run (it interpolates service
// names and fills in upstream bind ports):
//   - a Connect service name must be a DNS label (RFC 1123) even when it was
//     written with ${...} variables, since it names the sidecar task and port;
//   - an upstream must name its destination and bind a port in 1-65535;
//   - a group may not define two Connect services with the same name (they
//     would share one sidecar task).
//
// Problems Validate already reports are not repeated. A nil error means no
// problem was found.
func (j *Job) ValidateConnect() error {
	v := &validator{}
	if j == nil {
		return nil
	}
	for _, tg := range j.TaskGroups {
		if tg != nil {
			tg.validateConnectAdmitted(v)
		}
	}
	return v.err()
}

func (tg *TaskGroup) validateConnectAdmitted(v *validator) {
	gpath := groupPath(tg)
	ports := map[string]string{} // Connect service name -> its port label
	for i, s := range tg.Services {
		if s == nil || s.Connect == nil {
			continue
		}
		path := joinPath(gpath, serviceElem(s, i))
		// Names without ${ are checked by Validate with the same rule.
		if strings.Contains(s.Name, "${") {
			v.addf(path, "Consul Connect service name %q in group %q must be a valid DNS label (RFC 1123) after interpolation; only job and group variables are known at submit", s.Name, tg.Name)
		}
		// Same name and port is Validate's "Service x is duplicate".
		if port, ok := ports[s.Name]; ok && port != s.PortLabel {
			v.addf(gpath, "Consul Connect service %q is defined more than once in group %q", s.Name, tg.Name)
		}
		ports[s.Name] = s.PortLabel

		if !s.Connect.HasSidecar() || s.Connect.SidecarService.Proxy == nil {
			continue
		}
		for j, u := range s.Connect.SidecarService.Proxy.Upstreams {
			if u == nil {
				continue
			}
			if u.DestinationName == "" {
				v.addf(path, "Consul Connect upstream %d of service %q must set destination_name", j+1, s.Name)
			}
			if u.LocalBindPort < 1 || u.LocalBindPort > 65535 {
				v.addf(path, "Consul Connect upstream %q of service %q has invalid local_bind_port %d; must be between 1 and 65535", u.DestinationName, s.Name, u.LocalBindPort)
			}
		}
	}
}
