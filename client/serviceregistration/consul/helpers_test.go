package consul

import (
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hashicorp/consul/api"
	"github.com/hashicorp/go-hclog"
	"github.com/shoenig/test/must"

	sr "github.com/netnomad/netnomad/client/serviceregistration"
	"github.com/netnomad/netnomad/nomad/structs"
	"github.com/netnomad/netnomad/testutil/fakeconsul"
)

const (
	testHostIP  = "10.0.0.5"
	testAllocIP = "172.26.64.10"
)

// recordingAgent passes calls to a real *api.Agent and records them as
// "register <id>" / "deregister <id>", so tests can tell an in-place update from
// a deregistration against either agent. before, if set, runs before each call.
type recordingAgent struct {
	*api.Agent
	mu     sync.Mutex
	calls  []string
	before func(call string)
}

func (r *recordingAgent) record(call string) {
	r.mu.Lock()
	r.calls = append(r.calls, call)
	before := r.before
	r.mu.Unlock()
	if before != nil {
		before(call)
	}
}

func (r *recordingAgent) Calls() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.calls...)
}

func (r *recordingAgent) Reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = nil
}

func (r *recordingAgent) ServiceRegisterOpts(s *api.AgentServiceRegistration, o api.ServiceRegisterOpts) error {
	r.record("register " + s.ID)
	return r.Agent.ServiceRegisterOpts(s, o)
}

func (r *recordingAgent) ServiceDeregisterOpts(id string, q *api.QueryOptions) error {
	r.record("deregister " + id)
	return r.Agent.ServiceDeregisterOpts(id, q)
}

// harness is a ServiceClient wired to a Consul agent (real or fake).
type harness struct {
	agent    *fakeconsul.Agent
	api      *api.Client
	recorder *recordingAgent
	client   *ServiceClient
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	agent := fakeconsul.NewAgent(t)
	c := agent.Client(t)
	rec := &recordingAgent{Agent: c.Agent()}
	sc := NewServiceClient(rec, hclog.NewNullLogger(), true)
	sc.SetRetryPolicy(RetryPolicy{Attempts: 3, Base: 10 * time.Millisecond, Max: 20 * time.Millisecond})
	return &harness{agent: agent, api: c, recorder: rec, client: sc}
}

func (h *harness) services(t *testing.T) map[string]*api.AgentService {
	t.Helper()
	s, err := h.api.Agent().Services()
	must.NoError(t, err)
	return s
}

func (h *harness) checks(t *testing.T) map[string]*api.AgentCheck {
	t.Helper()
	c, err := h.api.Agent().Checks()
	must.NoError(t, err)
	return c
}

// nomadServices returns the IDs of the "_nomad-task-" services, sorted.
func (h *harness) nomadServiceIDs(t *testing.T) []string {
	var out []string
	for id := range h.services(t) {
		if strings.HasPrefix(id, sr.NomadTaskPrefix) {
			out = append(out, id)
		}
	}
	sort.Strings(out)
	return out
}

// bridgeWorkload returns the group "api" services of an allocation in bridge
// mode: port "http" maps host 23456 to 8080 in the namespace, and the sidecar
// port of service "count-api" maps 24000 to itself.
func bridgeWorkload(services ...*structs.Service) *sr.WorkloadServices {
	return &sr.WorkloadServices{
		AllocID:   uuid.NewString(),
		Task:      sr.GroupWorkloadName("api"),
		Group:     "api",
		JobID:     "countdash",
		Namespace: "default",
		Services:  services,
		Ports: structs.AllocatedPorts{
			{Label: "http", Value: 23456, To: 8080, HostIP: testHostIP},
			{Label: "metrics", Value: 23457, To: 0, HostIP: testHostIP},
			{Label: "connect-proxy-count-api", Value: 24000, To: 24000, HostIP: testHostIP},
		},
		NetworkStatus: &structs.AllocNetworkStatus{InterfaceName: "eth0", Address: testAllocIP},
		HostIP:        testHostIP,
	}
}

func serviceID(w *sr.WorkloadServices, svc *structs.Service) string {
	return sr.MakeAllocServiceID(w.AllocID, w.Task, svc)
}

func sortedIDs(ids ...string) []string {
	sort.Strings(ids)
	return ids
}
