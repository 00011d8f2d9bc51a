package fakeconsul

import (
	"encoding/json"
	"fmt"
	"maps"
	"net"
	"net/http"
	"slices"
	"sort"
	"strconv"

	"github.com/hashicorp/consul/api"
)

// handleServiceRegister implements PUT /v1/agent/service/register: it
// (re)registers the service in place, its checks, and, for a nested
// Connect.SidecarService, the sidecar "<id>-sidecar-proxy" with Consul's
// defaults. With ?replace-existing-checks the service's checks not in the
// request are removed.
func (s *Server) handleServiceRegister(w http.ResponseWriter, r *http.Request) {
	var reg api.AgentServiceRegistration
	if err := json.NewDecoder(r.Body).Decode(&reg); err != nil {
		httpError(w, http.StatusBadRequest, "Request decode failed: %v", err)
		return
	}
	replace := r.URL.Query().Has("replace-existing-checks")

	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.registerLocked(&reg, replace); err != nil {
		httpError(w, http.StatusBadRequest, "%v", err)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// registerLocked validates and stores reg and everything nested in it.
func (s *Server) registerLocked(reg *api.AgentServiceRegistration, replace bool) error {
	if reg.Name == "" {
		return fmt.Errorf("Missing service name")
	}
	if reg.ID == "" {
		reg.ID = reg.Name
	}
	if reg.Kind == api.ServiceKindConnectProxy && (reg.Proxy == nil || reg.Proxy.DestinationServiceName == "") {
		return fmt.Errorf("Invalid Service Definition: Proxy.DestinationServiceName must be set for a connect-proxy")
	}
	if reg.Port < 0 || reg.Port > 65535 {
		return fmt.Errorf("Invalid Service Definition: Port must be between 0 and 65535")
	}
	var defs api.AgentServiceChecks
	if reg.Check != nil {
		defs = append(defs, reg.Check)
	}
	defs = append(defs, reg.Checks...)
	checks := make([]*api.AgentCheck, 0, len(defs))
	for i, def := range defs {
		id := def.CheckID
		if id == "" {
			id = "service:" + reg.ID
			if len(defs) > 1 {
				id += ":" + strconv.Itoa(i+1)
			}
		}
		name := def.Name
		if name == "" {
			name = fmt.Sprintf("Service '%s' check", reg.Name)
		}
		chk, err := s.newCheck(id, name, def)
		if err != nil {
			return err
		}
		chk.ServiceID, chk.ServiceName = reg.ID, reg.Name
		checks = append(checks, chk)
	}

	var sidecar *api.AgentServiceRegistration
	if reg.Connect != nil && reg.Connect.SidecarService != nil {
		sidecar = sidecarRegistration(reg, s.freeSidecarPortLocked)
	}

	s.index++
	s.services[reg.ID] = agentService(reg)
	keep := make(map[string]bool, len(checks))
	for _, chk := range checks {
		// Consul restores the status and output of a check that was already
		// registered (its check state snapshot), whatever Status says.
		if prev, ok := s.checks[chk.CheckID]; ok {
			chk.Status, chk.Output = prev.Status, prev.Output
		}
		if chk.Status == "" {
			chk.Status = api.HealthCritical
		}
		s.checks[chk.CheckID] = chk
		keep[chk.CheckID] = true
	}
	if replace {
		for id, chk := range s.checks {
			if chk.ServiceID == reg.ID && !keep[id] {
				delete(s.checks, id)
			}
		}
	}

	if sidecar != nil {
		if err := s.registerLocked(sidecar, replace); err != nil {
			return err
		}
		s.sidecars[reg.ID] = sidecar.ID
	} else if old, ok := s.sidecars[reg.ID]; ok {
		// Consul removes a sidecar the new definition no longer nests.
		s.removeServiceLocked(old)
		delete(s.sidecars, reg.ID)
	}
	return nil
}

// sidecarRegistration fills in the nested sidecar the way Consul does.
// A sidecar without a port gets freePort().
func sidecarRegistration(parent *api.AgentServiceRegistration, freePort func() int) *api.AgentServiceRegistration {
	sc := *parent.Connect.SidecarService
	sc.ID = parent.ID + "-sidecar-proxy"
	if sc.Port == 0 {
		sc.Port = freePort()
	}
	if sc.Kind == "" {
		sc.Kind = api.ServiceKindConnectProxy
	}
	if sc.Name == "" {
		sc.Name = parent.Name + "-sidecar-proxy"
	}
	if sc.Address == "" {
		sc.Address = parent.Address
	}
	if len(sc.Tags) == 0 && len(parent.Tags) > 0 {
		sc.Tags = slices.Clone(parent.Tags)
	}
	if len(sc.Meta) == 0 && len(parent.Meta) > 0 {
		sc.Meta = maps.Clone(parent.Meta)
	}
	proxy := api.AgentServiceConnectProxyConfig{}
	if sc.Proxy != nil {
		proxy = *sc.Proxy
	}
	if proxy.DestinationServiceName == "" {
		proxy.DestinationServiceName = parent.Name
	}
	if proxy.DestinationServiceID == "" {
		proxy.DestinationServiceID = parent.ID
	}
	if proxy.LocalServiceAddress == "" {
		proxy.LocalServiceAddress = "127.0.0.1"
	}
	if proxy.LocalServicePort < 1 {
		proxy.LocalServicePort = parent.Port
	}
	sc.Proxy = &proxy
	if sc.Check == nil && len(sc.Checks) == 0 {
		addr := sc.Address
		if addr == "" {
			addr = proxy.LocalServiceAddress
		}
		sc.Checks = api.AgentServiceChecks{
			{Name: "Connect Sidecar Listening", TCP: net.JoinHostPort(addr, strconv.Itoa(sc.Port)), Interval: "10s"},
			{Name: "Connect Sidecar Aliasing " + parent.ID, AliasService: parent.ID},
		}
	}
	sc.Connect = nil
	return &sc
}

// freeSidecarPortLocked returns the lowest sidecar port no service uses.
func (s *Server) freeSidecarPortLocked() int {
	used := make(map[int]bool)
	for _, svc := range s.services {
		used[svc.Port] = true
	}
	p := sidecarMinPort
	for used[p] {
		p++
	}
	return p
}

// agentService converts a registration into the agent's view of it.
func agentService(reg *api.AgentServiceRegistration) *api.AgentService {
	svc := &api.AgentService{
		Kind:              reg.Kind,
		ID:                reg.ID,
		Service:           reg.Name,
		Tags:              slices.Clone(reg.Tags),
		Meta:              maps.Clone(reg.Meta),
		Port:              reg.Port,
		Address:           reg.Address,
		Weights:           api.AgentWeights{Passing: 1, Warning: 1},
		EnableTagOverride: reg.EnableTagOverride,
		Datacenter:        DefaultDatacenter,
	}
	if svc.Tags == nil {
		svc.Tags = []string{}
	}
	if svc.Meta == nil {
		svc.Meta = map[string]string{}
	}
	if reg.Weights != nil {
		svc.Weights = *reg.Weights
	}
	if ip := net.ParseIP(reg.Address); ip != nil {
		kind := "ipv4"
		if ip.To4() == nil {
			kind = "ipv6"
		}
		sa := api.ServiceAddress{Address: reg.Address, Port: reg.Port}
		svc.TaggedAddresses = map[string]api.ServiceAddress{"lan_" + kind: sa, "wan_" + kind: sa}
	}
	if reg.Proxy != nil {
		p := *reg.Proxy
		p.Upstreams = slices.Clone(reg.Proxy.Upstreams)
		for i := range p.Upstreams {
			if p.Upstreams[i].DestinationType == "" {
				p.Upstreams[i].DestinationType = api.UpstreamDestTypeService
			}
		}
		svc.Proxy = &p
	}
	if reg.Connect != nil && reg.Connect.Native {
		svc.Connect = &api.AgentServiceConnect{Native: true}
	}
	return svc
}

// handleServiceDeregister implements PUT /v1/agent/service/deregister/:id; the
// service's checks and its sidecar go with it.
func (s *Server) handleServiceDeregister(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.services[id]; !ok {
		httpError(w, http.StatusNotFound, "Unknown service ID %q. Ensure that the service ID is passed, not the service name.", id)
		return
	}
	s.index++
	s.removeServiceLocked(id)
	if sc, ok := s.sidecars[id]; ok {
		s.removeServiceLocked(sc)
		delete(s.sidecars, id)
	}
	w.WriteHeader(http.StatusOK)
}

func (s *Server) removeServiceLocked(id string) {
	delete(s.services, id)
	for cid, chk := range s.checks {
		if chk.ServiceID == id {
			delete(s.checks, cid)
		}
	}
	for parent, sc := range s.sidecars {
		if sc == id {
			delete(s.sidecars, parent)
		}
	}
}

func (s *Server) handleServices(w http.ResponseWriter, r *http.Request) {
	s.writeJSON(w, s.Services())
}

// handleService implements GET /v1/agent/service/:id.
func (s *Server) handleService(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	svc, ok := s.Services()[id]
	if !ok {
		httpError(w, http.StatusNotFound, "unknown service ID: %s", id)
		return
	}
	s.writeJSON(w, svc)
}

// handleCatalogService implements GET /v1/catalog/service/:name for this node.
func (s *Server) handleCatalogService(w http.ResponseWriter, r *http.Request) {
	out := []*api.CatalogService{}
	for _, svc := range s.servicesNamed(r.PathValue("name"), r.URL.Query().Get("tag")) {
		out = append(out, &api.CatalogService{
			ID:                       "00000000-0000-0000-0000-000000000001",
			Node:                     DefaultNodeName,
			Address:                  "127.0.0.1",
			Datacenter:               DefaultDatacenter,
			TaggedAddresses:          map[string]string{"lan": "127.0.0.1", "wan": "127.0.0.1"},
			NodeMeta:                 map[string]string{},
			ServiceID:                svc.ID,
			ServiceName:              svc.Service,
			ServiceAddress:           svc.Address,
			ServiceTaggedAddresses:   svc.TaggedAddresses,
			ServiceTags:              svc.Tags,
			ServiceMeta:              svc.Meta,
			ServicePort:              svc.Port,
			ServiceWeights:           api.Weights{Passing: svc.Weights.Passing, Warning: svc.Weights.Warning},
			ServiceEnableTagOverride: svc.EnableTagOverride,
			ServiceProxy:             svc.Proxy,
		})
	}
	s.writeJSON(w, out)
}

// handleHealthService implements GET /v1/health/service/:name (?passing, ?tag).
func (s *Server) handleHealthService(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	checks := s.Checks()
	out := []*api.ServiceEntry{}
	for _, svc := range s.servicesNamed(r.PathValue("name"), q.Get("tag")) {
		entry := &api.ServiceEntry{
			Node: &api.Node{
				ID: "00000000-0000-0000-0000-000000000001", Node: DefaultNodeName, Address: "127.0.0.1",
				Datacenter: DefaultDatacenter, TaggedAddresses: map[string]string{"lan": "127.0.0.1", "wan": "127.0.0.1"},
				Meta: map[string]string{},
			},
			Service: svc,
			Checks: api.HealthChecks{{
				Node: DefaultNodeName, CheckID: "serfHealth", Name: "Serf Health Status",
				Status: api.HealthPassing, Output: "Agent alive and reachable", Type: "", ServiceTags: []string{},
			}},
		}
		ids := make([]string, 0)
		for id, chk := range checks {
			if chk.ServiceID == svc.ID {
				ids = append(ids, id)
			}
		}
		sort.Strings(ids)
		for _, id := range ids {
			chk := checks[id]
			entry.Checks = append(entry.Checks, &api.HealthCheck{
				Node: chk.Node, CheckID: chk.CheckID, Name: chk.Name, Status: chk.Status, Notes: chk.Notes,
				Output: chk.Output, ServiceID: chk.ServiceID, ServiceName: chk.ServiceName,
				ServiceTags: svc.Tags, Type: chk.Type, Definition: chk.Definition,
			})
		}
		if q.Has("passing") && entry.Checks.AggregatedStatus() != api.HealthPassing {
			continue
		}
		out = append(out, entry)
	}
	s.writeJSON(w, out)
}

// servicesNamed returns the services called name (and tagged tag, if set),
// sorted by ID.
func (s *Server) servicesNamed(name, tag string) []*api.AgentService {
	var out []*api.AgentService
	for _, svc := range s.Services() {
		if svc.Service == name && (tag == "" || slices.Contains(svc.Tags, tag)) {
			out = append(out, svc)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}
