package fakeconsul

import (
	"testing"
	"time"

	"github.com/hashicorp/consul/api"
	"github.com/shoenig/test/must"
	"github.com/shoenig/test/wait"
)

func waitFor(f func() error) *wait.Constraint {
	return wait.InitialSuccess(wait.ErrorFunc(f), wait.Timeout(10*time.Second), wait.Gap(50*time.Millisecond))
}

func fakeClient(t *testing.T, s *Server, token string) *api.Client {
	cfg := api.DefaultConfig()
	cfg.Address = s.Addr()
	cfg.Token = token
	c, err := api.NewClient(cfg)
	must.NoError(t, err)
	return c
}

func TestServer_SetDown(t *testing.T) {
	s := New(t)
	agent := fakeClient(t, s, "").Agent()
	must.NoError(t, agent.ServiceRegister(&api.AgentServiceRegistration{ID: "a", Name: "a"}))

	s.SetDown(true)
	_, err := agent.Services()
	must.Error(t, err)

	s.SetDown(false)
	services, err := agent.Services()
	must.NoError(t, err)
	must.MapContainsKey(t, services, "a", must.Sprint("state survives the outage"))
}

func TestServer_ACLToken(t *testing.T) {
	s := New(t)
	s.SetACLToken("secret")

	err := fakeClient(t, s, "").Agent().ServiceRegister(&api.AgentServiceRegistration{Name: "a"})
	must.ErrorContains(t, err, "403")

	must.NoError(t, fakeClient(t, s, "secret").Agent().ServiceRegister(&api.AgentServiceRegistration{Name: "a"}))
	must.Eq(t, []string{"secret"}, s.Tokens())
	must.MapContainsKey(t, s.Services(), "a")
}

func TestServer_AliasCheckFollowsParent(t *testing.T) {
	s := New(t)
	agent := fakeClient(t, s, "").Agent()
	must.NoError(t, agent.ServiceRegister(&api.AgentServiceRegistration{
		ID: "p", Name: "p", Port: 1,
		Check:   &api.AgentServiceCheck{CheckID: "p-ttl", TTL: "1m"},
		Connect: &api.AgentServiceConnect{SidecarService: &api.AgentServiceRegistration{Port: 2}},
	}))
	alias := func() string {
		for _, c := range s.Checks() {
			if c.Type == "alias" {
				return c.Status
			}
		}
		return "missing"
	}
	must.Eq(t, api.HealthCritical, alias())
	must.NoError(t, agent.UpdateTTL("p-ttl", "", api.HealthPassing))
	must.Eq(t, api.HealthPassing, alias())
}

func TestServer_SelfReportsGRPCPort(t *testing.T) {
	s := New(t)
	s.SetGRPCPort(18502)
	self, err := fakeClient(t, s, "").Agent().Self()
	must.NoError(t, err)
	must.Eq[any](t, float64(18502), self["DebugConfig"]["GRPCPort"])
	must.Eq[any](t, DefaultNodeName, self["Config"]["NodeName"])
}

func TestServer_SetCheckStatus(t *testing.T) {
	s := New(t)
	agent := fakeClient(t, s, "").Agent()
	must.NoError(t, agent.ServiceRegister(&api.AgentServiceRegistration{
		ID: "web", Name: "web", Port: 8080,
		Checks: api.AgentServiceChecks{
			{CheckID: "web-http", Name: "http", HTTP: "http://127.0.0.1:8080/health", Interval: "10s"},
			{CheckID: "web-tcp", Name: "tcp", TCP: "127.0.0.1:8080", Interval: "10s", Status: api.HealthPassing},
		},
	}))

	must.NoError(t, s.SetCheckStatus("web-http", api.HealthWarning, "HTTP GET: 429 Too Many Requests"))
	checks, err := agent.Checks()
	must.NoError(t, err)
	must.Eq(t, api.HealthWarning, checks["web-http"].Status)
	must.Eq(t, "HTTP GET: 429 Too Many Requests", checks["web-http"].Output)
	must.Eq(t, api.HealthPassing, checks["web-tcp"].Status, must.Sprint("other checks are left alone"))

	must.ErrorContains(t, s.SetCheckStatus("web-http", "unknown", ""), `invalid check status "unknown"`)
	must.ErrorContains(t, s.SetCheckStatus("nope", api.HealthCritical, ""), `unknown check ID "nope"`)
}
