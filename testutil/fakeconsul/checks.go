package fakeconsul

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"time"

	"github.com/hashicorp/consul/api"
)

// newCheck validates def as Consul does and returns the agent's view of it,
// with an empty Status when def sets none.
func (s *Server) newCheck(id, name string, def *api.AgentServiceCheck) (*api.AgentCheck, error) {
	parse := func(field, v string) (time.Duration, error) {
		if v == "" {
			return 0, nil
		}
		d, err := time.ParseDuration(v)
		if err != nil {
			return 0, fmt.Errorf("Invalid check: invalid %s %q: %v", field, v, err)
		}
		return d, nil
	}
	interval, err := parse("Interval", def.Interval)
	if err != nil {
		return nil, err
	}
	timeout, err := parse("Timeout", def.Timeout)
	if err != nil {
		return nil, err
	}
	ttl, err := parse("TTL", def.TTL)
	if err != nil {
		return nil, err
	}
	switch def.Status {
	case "", api.HealthPassing, api.HealthWarning, api.HealthCritical:
	default:
		return nil, fmt.Errorf("Invalid check: Status must be one of passing, warning, critical; not %q", def.Status)
	}

	var typ string
	switch {
	case def.TTL != "":
		typ = "ttl"
		if ttl <= 0 {
			return nil, fmt.Errorf("Invalid check: TTL must be > 0 for TTL checks")
		}
	case def.AliasService != "" || def.AliasNode != "":
		typ = "alias"
	case def.HTTP != "":
		typ = "http"
	case def.TCP != "":
		typ = "tcp"
	case def.GRPC != "":
		typ = "grpc"
	case len(def.Args) > 0:
		typ = "script"
	default:
		return nil, fmt.Errorf("Invalid check: must be one of script, HTTP, TCP, UDP, gRPC, H2PING, OSService, alias, or TTL")
	}
	if typ != "ttl" && typ != "alias" && interval <= 0 {
		return nil, fmt.Errorf("Invalid check: Interval must be > 0 for Script, HTTP, H2PING, TCP or UDP checks")
	}

	return &api.AgentCheck{
		Node:    DefaultNodeName,
		CheckID: id,
		Name:    name,
		Status:  def.Status,
		Notes:   def.Notes,
		Type:    typ,
		Definition: api.HealthCheckDefinition{
			HTTP:             def.HTTP,
			Header:           def.Header,
			Method:           def.Method,
			Body:             def.Body,
			TLSServerName:    def.TLSServerName,
			TLSSkipVerify:    def.TLSSkipVerify,
			TCP:              def.TCP,
			GRPC:             def.GRPC,
			GRPCUseTLS:       def.GRPCUseTLS,
			IntervalDuration: interval,
			TimeoutDuration:  timeout,
			Interval:         api.ReadableDuration(interval),
			Timeout:          api.ReadableDuration(timeout),
		},
	}, nil
}

// checksLocked copies the checks; alias checks take the aggregated status of
// the service they alias, as Consul computes it (passing when it has no checks,
// critical when it does not exist).
func (s *Server) checksLocked() map[string]*api.AgentCheck {
	out := make(map[string]*api.AgentCheck, len(s.checks))
	for id, chk := range s.checks {
		c := *chk
		c.Definition.Header = maps.Clone(chk.Definition.Header)
		if c.Type == "alias" {
			c.Status = s.aliasStatusLocked(chk)
		}
		out[id] = &c
	}
	return out
}

func (s *Server) aliasStatusLocked(alias *api.AgentCheck) string {
	target := ""
	for sid, sc := range s.sidecars {
		if sc == alias.ServiceID {
			target = sid
		}
	}
	if target == "" {
		return alias.Status
	}
	if _, ok := s.services[target]; !ok {
		return api.HealthCritical
	}
	var hc api.HealthChecks
	for _, c := range s.checks {
		if c.ServiceID == target && c.Type != "alias" {
			hc = append(hc, &api.HealthCheck{Status: c.Status})
		}
	}
	if len(hc) == 0 {
		return api.HealthPassing
	}
	return hc.AggregatedStatus()
}

func (s *Server) handleChecks(w http.ResponseWriter, r *http.Request) {
	s.writeJSON(w, s.Checks())
}

// handleCheckRegister implements PUT /v1/agent/check/register.
func (s *Server) handleCheckRegister(w http.ResponseWriter, r *http.Request) {
	var reg api.AgentCheckRegistration
	if err := json.NewDecoder(r.Body).Decode(&reg); err != nil {
		httpError(w, http.StatusBadRequest, "Request decode failed: %v", err)
		return
	}
	if reg.Name == "" {
		httpError(w, http.StatusBadRequest, "Missing check name")
		return
	}
	id := reg.ID
	if id == "" {
		id = reg.Name
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	svcName := ""
	if reg.ServiceID != "" {
		svc, ok := s.services[reg.ServiceID]
		if !ok {
			httpError(w, http.StatusBadRequest, "ServiceID %q does not exist", reg.ServiceID)
			return
		}
		svcName = svc.Service
	}
	chk, err := s.newCheck(id, reg.Name, &reg.AgentServiceCheck)
	if err != nil {
		httpError(w, http.StatusBadRequest, "%v", err)
		return
	}
	chk.Notes = reg.Notes
	chk.ServiceID, chk.ServiceName = reg.ServiceID, svcName
	if prev, ok := s.checks[id]; ok && chk.Status == "" {
		chk.Status, chk.Output = prev.Status, prev.Output
	}
	if chk.Status == "" {
		chk.Status = api.HealthCritical
	}
	s.index++
	s.checks[id] = chk
	w.WriteHeader(http.StatusOK)
}

// handleCheckDeregister implements PUT /v1/agent/check/deregister/:id.
func (s *Server) handleCheckDeregister(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.checks[id]; !ok {
		httpError(w, http.StatusNotFound, "Unknown check ID %q. Ensure that the check ID is passed, not the check name.", id)
		return
	}
	s.index++
	delete(s.checks, id)
	w.WriteHeader(http.StatusOK)
}

// handleCheckUpdate implements PUT /v1/agent/check/update/:id for TTL checks.
func (s *Server) handleCheckUpdate(w http.ResponseWriter, r *http.Request) {
	var upd struct{ Status, Output string }
	if err := json.NewDecoder(r.Body).Decode(&upd); err != nil {
		httpError(w, http.StatusBadRequest, "Request decode failed: %v", err)
		return
	}
	if !slices.Contains([]string{api.HealthPassing, api.HealthWarning, api.HealthCritical}, upd.Status) {
		httpError(w, http.StatusBadRequest, "Invalid check status: %q", upd.Status)
		return
	}
	id := r.PathValue("id")
	s.mu.Lock()
	defer s.mu.Unlock()
	chk, ok := s.checks[id]
	if !ok {
		httpError(w, http.StatusNotFound, "Unknown check ID %q. Ensure that the check ID is passed, not the check name.", id)
		return
	}
	if chk.Type != "ttl" {
		httpError(w, http.StatusInternalServerError, "CheckID %q does not have associated TTL", id)
		return
	}
	s.index++
	chk.Status, chk.Output = upd.Status, upd.Output
	w.WriteHeader(http.StatusOK)
}

// SetCheckStatus sets the status and output of the check id the way the agent
// does after running it (any check type, unlike a TTL update through the API),
// so that tests can make an HTTP or TCP check fail. status must be one of
// passing, warning, critical.
func (s *Server) SetCheckStatus(id, status, output string) error {
	if !slices.Contains([]string{api.HealthPassing, api.HealthWarning, api.HealthCritical}, status) {
		return fmt.Errorf("invalid check status %q", status)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	chk, ok := s.checks[id]
	if !ok {
		return fmt.Errorf("unknown check ID %q", id)
	}
	s.index++
	chk.Status, chk.Output = status, output
	return nil
}
