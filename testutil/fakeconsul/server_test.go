package fakeconsul

import (
	"errors"
	"net/http"
	"testing"

	"github.com/hashicorp/consul/api"
	"github.com/shoenig/test/must"
)

// These tests describe Consul behaviour the rest of netnomad relies on; they run
// against a real agent when consul is on PATH, which keeps the fake honest.

func TestAgent_NestedSidecarDefaults(t *testing.T) {
	a := NewAgent(t)
	agent := a.Client(t).Agent()
	must.NoError(t, agent.ServiceRegister(&api.AgentServiceRegistration{
		ID: "web-1", Name: "web", Address: "10.1.2.3", Port: 8080,
		Tags: []string{"a"}, Meta: map[string]string{"external-source": "nomad"},
		Connect: &api.AgentServiceConnect{SidecarService: &api.AgentServiceRegistration{}},
	}))

	services, err := agent.Services()
	must.NoError(t, err)
	sc := services["web-1-sidecar-proxy"]
	must.NotNil(t, sc)
	must.Eq(t, api.ServiceKindConnectProxy, sc.Kind)
	must.Eq(t, "web-sidecar-proxy", sc.Service)
	must.Eq(t, "10.1.2.3", sc.Address, must.Sprint("address inherited from the parent"))
	must.Between(t, 21000, sc.Port, 21255)
	must.Eq(t, []string{"a"}, sc.Tags, must.Sprint("tags copied when the sidecar has none"))
	must.Eq(t, map[string]string{"external-source": "nomad"}, sc.Meta)
	must.Eq(t, "web", sc.Proxy.DestinationServiceName)
	must.Eq(t, "web-1", sc.Proxy.DestinationServiceID)
	must.Eq(t, "127.0.0.1", sc.Proxy.LocalServiceAddress)
	must.Eq(t, 8080, sc.Proxy.LocalServicePort)

	checks, err := agent.Checks()
	must.NoError(t, err)
	must.MapContainsKeys(t, checks, []string{"service:web-1-sidecar-proxy:1", "service:web-1-sidecar-proxy:2"})
	names := map[string]bool{}
	for _, id := range []string{"service:web-1-sidecar-proxy:1", "service:web-1-sidecar-proxy:2"} {
		names[checks[id].Name] = true
		must.Eq(t, "web-1-sidecar-proxy", checks[id].ServiceID)
	}
	must.Eq(t, map[string]bool{"Connect Sidecar Listening": true, "Connect Sidecar Aliasing web-1": true}, names)

	// Re-registering the parent without a sidecar removes the sidecar.
	must.NoError(t, agent.ServiceRegister(&api.AgentServiceRegistration{ID: "web-1", Name: "web", Port: 8080}))
	services, err = agent.Services()
	must.NoError(t, err)
	must.MapNotContainsKey(t, services, "web-1-sidecar-proxy")
}

func TestAgent_DeregisterRemovesSidecarAndChecks(t *testing.T) {
	a := NewAgent(t)
	agent := a.Client(t).Agent()
	must.NoError(t, agent.ServiceRegister(&api.AgentServiceRegistration{
		ID: "api-1", Name: "api", Port: 9001,
		Check:   &api.AgentServiceCheck{TTL: "30s"},
		Connect: &api.AgentServiceConnect{SidecarService: &api.AgentServiceRegistration{Port: 25000}},
	}))
	checks, err := agent.Checks()
	must.NoError(t, err)
	must.MapContainsKey(t, checks, "service:api-1", must.Sprint("a single unnamed check is service:<id>"))
	must.Eq(t, "Service 'api' check", checks["service:api-1"].Name)
	must.Eq(t, api.HealthCritical, checks["service:api-1"].Status)

	must.NoError(t, agent.ServiceDeregister("api-1"))
	services, err := agent.Services()
	must.NoError(t, err)
	must.MapEmpty(t, services)
	checks, err = agent.Checks()
	must.NoError(t, err)
	must.MapEmpty(t, checks)

	err = agent.ServiceDeregister("api-1")
	var se api.StatusError
	must.True(t, errors.As(err, &se), must.Sprintf("want a status error, got %v", err))
	must.Eq(t, http.StatusNotFound, se.Code)
}

func TestAgent_ReplaceExistingChecks(t *testing.T) {
	a := NewAgent(t)
	agent := a.Client(t).Agent()
	two := &api.AgentServiceRegistration{ID: "s", Name: "s", Port: 1, Checks: api.AgentServiceChecks{
		{CheckID: "c1", Name: "c1", TTL: "10s"}, {CheckID: "c2", Name: "c2", TTL: "10s"},
	}}
	one := &api.AgentServiceRegistration{ID: "s", Name: "s", Port: 1, Checks: api.AgentServiceChecks{
		{CheckID: "c1", Name: "c1", TTL: "10s"},
	}}
	must.NoError(t, agent.ServiceRegister(two))

	must.NoError(t, agent.ServiceRegister(one))
	checks, err := agent.Checks()
	must.NoError(t, err)
	must.MapContainsKeys(t, checks, []string{"c1", "c2"}, must.Sprint("without replace-existing-checks old checks stay"))

	must.NoError(t, agent.ServiceRegisterOpts(one, api.ServiceRegisterOpts{ReplaceExistingChecks: true}))
	checks, err = agent.Checks()
	must.NoError(t, err)
	must.MapContainsKey(t, checks, "c1")
	must.MapNotContainsKey(t, checks, "c2")
}

func TestAgent_UpdateTTL(t *testing.T) {
	a := NewAgent(t)
	agent := a.Client(t).Agent()
	must.NoError(t, agent.ServiceRegister(&api.AgentServiceRegistration{ID: "s", Name: "s", Port: 1, Checks: api.AgentServiceChecks{
		{CheckID: "ttl", Name: "ttl", TTL: "1m"},
		{CheckID: "tcp", Name: "tcp", TCP: "127.0.0.1:1", Interval: "1h"},
	}}))

	must.NoError(t, agent.UpdateTTL("ttl", "fine", api.HealthPassing))
	checks, err := agent.Checks()
	must.NoError(t, err)
	must.Eq(t, api.HealthPassing, checks["ttl"].Status)
	must.Eq(t, "fine", checks["ttl"].Output)
	must.Eq(t, "ttl", checks["ttl"].Type)
	must.Eq(t, "tcp", checks["tcp"].Type)
	must.Eq(t, "127.0.0.1:1", checks["tcp"].Definition.TCP)

	must.Error(t, agent.UpdateTTL("tcp", "", api.HealthPassing), must.Sprint("only TTL checks take updates"))
	must.Error(t, agent.UpdateTTL("nope", "", api.HealthPassing))
}

func TestAgent_InvalidRegistrations(t *testing.T) {
	cases := []struct {
		name string
		reg  *api.AgentServiceRegistration
	}{
		{name: "no name", reg: &api.AgentServiceRegistration{ID: "x"}},
		{name: "check without interval", reg: &api.AgentServiceRegistration{Name: "x", Check: &api.AgentServiceCheck{TCP: "127.0.0.1:1"}}},
		{name: "check of no type", reg: &api.AgentServiceRegistration{Name: "x", Check: &api.AgentServiceCheck{Interval: "10s"}}},
	}
	a := NewAgent(t)
	agent := a.Client(t).Agent()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := agent.ServiceRegister(tc.reg)
			var se api.StatusError
			must.True(t, errors.As(err, &se), must.Sprintf("want a status error, got %v", err))
			must.Eq(t, http.StatusBadRequest, se.Code)
		})
	}
}

func TestAgent_SelfCatalogHealth(t *testing.T) {
	a := NewAgent(t)
	c := a.Client(t)
	self, err := c.Agent().Self()
	must.NoError(t, err)
	must.Eq[any](t, "dc1", self["Config"]["Datacenter"])
	must.NotEq[any](t, "", self["Config"]["NodeName"])
	must.NotEq[any](t, "", self["Config"]["Version"])
	must.NotNil(t, self["DebugConfig"]["GRPCPort"])

	must.NoError(t, c.Agent().ServiceRegister(&api.AgentServiceRegistration{
		ID: "db-1", Name: "db", Address: "10.0.0.1", Port: 5432, Tags: []string{"primary"},
		Check: &api.AgentServiceCheck{CheckID: "db-ttl", TTL: "1m", Status: api.HealthPassing},
	}))
	must.NoError(t, c.Agent().ServiceRegister(&api.AgentServiceRegistration{
		ID: "db-2", Name: "db", Address: "10.0.0.2", Port: 5432,
		Check: &api.AgentServiceCheck{CheckID: "db2-ttl", TTL: "1m"},
	}))

	must.Wait(t, waitFor(func() error {
		cat, _, err := c.Catalog().Service("db", "", nil)
		if err != nil {
			return err
		}
		if len(cat) != 2 {
			return errors.New("catalog has not synced both instances")
		}
		return nil
	}))
	cat, _, err := c.Catalog().Service("db", "primary", nil)
	must.NoError(t, err)
	must.Len(t, 1, cat)
	must.Eq(t, "db-1", cat[0].ServiceID)
	must.Eq(t, "10.0.0.1", cat[0].ServiceAddress)

	entries, _, err := c.Health().Service("db", "", true, nil)
	must.NoError(t, err)
	must.Len(t, 1, entries, must.Sprint("only the passing instance"))
	must.Eq(t, "db-1", entries[0].Service.ID)
}
