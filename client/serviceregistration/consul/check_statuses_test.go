package consul

import (
	"context"
	"testing"

	"github.com/hashicorp/consul/api"
	"github.com/shoenig/test/must"

	"github.com/netnomad/netnomad/client/serviceregistration/watcher"
	"github.com/netnomad/netnomad/testutil/fakeconsul"
)

var _ watcher.CheckStatusGetter = CheckStatuses{}

func TestCheckStatuses_ReportsEveryCheck(t *testing.T) {
	agent := fakeconsul.NewAgent(t)
	c := agent.Client(t)
	must.NoError(t, c.Agent().ServiceRegister(&api.AgentServiceRegistration{
		ID: "web", Name: "web", Port: 8080,
		Checks: api.AgentServiceChecks{
			{CheckID: "web-ttl", Name: "ttl", TTL: "1m"},
			{CheckID: "web-ttl2", Name: "ttl2", TTL: "1m", Status: api.HealthPassing},
		},
	}))
	t.Cleanup(func() { _ = c.Agent().ServiceDeregister("web") })
	must.NoError(t, c.Agent().UpdateTTL("web-ttl", "degraded", api.HealthWarning))

	got, err := CheckStatuses{Agent: c.Agent()}.CheckStatuses(context.Background())
	must.NoError(t, err)
	must.Eq(t, api.HealthWarning, got["web-ttl"])
	must.Eq(t, api.HealthPassing, got["web-ttl2"])
}
