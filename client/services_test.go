package client

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hashicorp/consul/api"
	"github.com/hashicorp/go-hclog"
	"github.com/shoenig/test/must"

	"github.com/netnomad/netnomad/client/serviceregistration/consul"
	"github.com/netnomad/netnomad/nomad/structs"
	"github.com/netnomad/netnomad/testutil/fakeconsul"
)

// TestClient_ServicesRegisteredAndSynced runs an allocation with a group
// service through a client wired to Consul: the service is registered, and the
// periodic sync removes the leftover service of an allocation the client no
// longer runs while keeping the live one's.
func TestClient_ServicesRegisteredAndSynced(t *testing.T) {
	old := serviceSyncInterval
	serviceSyncInterval = 50 * time.Millisecond
	t.Cleanup(func() { serviceSyncInterval = old })

	agent := fakeconsul.NewAgent(t)
	capi := agent.Client(t)
	stale := fmt.Sprintf("_nomad-task-%s-group-web-gone-http", uuid.NewString())
	must.NoError(t, capi.Agent().ServiceRegister(&api.AgentServiceRegistration{ID: stale, Name: "gone", Port: 1234}))

	cfg := testConfig(t, t.TempDir())
	cfg.ServiceRegistration = consul.NewServiceClient(capi.Agent(), hclog.NewNullLogger(), true)
	srv := newFakeServer()
	c := startClient(t, cfg, srv)

	alloc := testAlloc(c.nodeID(), structs.JobTypeService, "while true; do sleep 0.05; done")
	alloc.ID = uuid.NewString()
	alloc.Job.TaskGroups[0].Services = []*structs.Service{{Name: "web", PortLabel: "8080"}}
	srv.upsertAlloc(alloc)
	waitServerStatus(t, srv, alloc.ID, structs.AllocClientStatusRunning)

	live := fmt.Sprintf("_nomad-task-%s-group-web-web-8080", alloc.ID)
	waitFor(t, func() error {
		services, err := capi.Agent().Services()
		if err != nil {
			return err
		}
		if _, ok := services[stale]; ok {
			return errors.New("stale service not removed yet")
		}
		if _, ok := services[live]; !ok {
			return errors.New("live service not registered")
		}
		return nil
	})
}
