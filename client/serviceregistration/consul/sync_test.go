package consul

import (
	"context"
	"testing"

	"github.com/hashicorp/consul/api"
	"github.com/hashicorp/go-hclog"
	"github.com/shoenig/test/must"

	sr "github.com/netnomad/netnomad/client/serviceregistration"
	"github.com/netnomad/netnomad/nomad/structs"
)

func TestServiceClient_Sync(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()

	live := bridgeWorkload(&structs.Service{Name: "web", PortLabel: "http"})
	deadSvc := countAPI(false)
	dead := bridgeWorkload(deadSvc)
	must.NoError(t, h.client.RegisterWorkload(ctx, live))
	must.NoError(t, h.client.RegisterWorkload(ctx, dead))

	// Services Nomad does not own, among them one whose name merely looks like ours.
	foreign := []*api.AgentServiceRegistration{
		{ID: "redis-1", Name: "redis", Port: 6379},
		{ID: "_nomad-server-abcdef", Name: "nomad", Port: 4647},
		{ID: "nomad-task-" + dead.AllocID + "-x", Name: "lookalike", Port: 1},
	}
	for _, reg := range foreign {
		must.NoError(t, h.api.Agent().ServiceRegister(reg))
	}
	// A leftover of an allocation this client never knew (e.g. before a restart).
	stale := bridgeWorkload(&structs.Service{Name: "old", PortLabel: "http"})
	staleReg, err := BuildRegistration(stale, stale.Services[0])
	must.NoError(t, err)
	must.NoError(t, h.api.Agent().ServiceRegister(staleReg))

	must.NoError(t, h.client.Sync(ctx, []string{live.AllocID}))

	services := h.services(t)
	must.MapContainsKey(t, services, serviceID(live, live.Services[0]))
	must.MapNotContainsKey(t, services, serviceID(dead, deadSvc))
	must.MapNotContainsKey(t, services, sr.MakeSidecarServiceID(serviceID(dead, deadSvc)))
	must.MapNotContainsKey(t, services, staleReg.ID)
	for _, reg := range foreign {
		must.MapContainsKey(t, services, reg.ID, must.Sprint("sync never touches a foreign service"))
	}
}

func TestServiceClient_Sync_RestoresLostRegistration(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	w := bridgeWorkload(&structs.Service{Name: "web", PortLabel: "http", Tags: []string{"t"}})
	id := serviceID(w, w.Services[0])
	must.NoError(t, h.client.RegisterWorkload(ctx, w))

	// The agent loses the service (restarted without a data dir).
	must.NoError(t, h.api.Agent().ServiceDeregister(id))
	must.MapNotContainsKey(t, h.services(t), id)

	must.NoError(t, h.client.Sync(ctx, []string{w.AllocID}))
	got := h.services(t)[id]
	must.NotNil(t, got)
	must.Eq(t, []string{"t"}, got.Tags)
}

func TestServiceClient_Sync_ServerAgentRemovesNothing(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	w := bridgeWorkload(&structs.Service{Name: "web", PortLabel: "http"})
	reg, err := BuildRegistration(w, w.Services[0])
	must.NoError(t, err)
	must.NoError(t, h.api.Agent().ServiceRegister(reg))

	server := NewServiceClient(h.api.Agent(), hclog.NewNullLogger(), false)
	must.NoError(t, server.Sync(ctx, nil))
	must.MapContainsKey(t, h.services(t), reg.ID)
}
