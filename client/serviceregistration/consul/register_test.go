package consul

import (
	"context"
	"testing"

	"github.com/shoenig/test/must"

	"github.com/netnomad/netnomad/nomad/structs"
)

func TestServiceClient_RegisterRemove_BridgeGroupService(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	svc := &structs.Service{
		Name:      "count-dashboard",
		PortLabel: "http",
		Tags:      []string{"web", "v1"},
		Meta:      map[string]string{"team": "infra"},
	}
	w := bridgeWorkload(svc)
	id := serviceID(w, svc)
	must.Eq(t, "_nomad-task-"+w.AllocID+"-group-api-count-dashboard-http", id)

	must.NoError(t, h.client.RegisterWorkload(ctx, w))

	got, ok := h.services(t)[id]
	must.True(t, ok, must.Sprintf("service %q not registered", id))
	must.Eq(t, "count-dashboard", got.Service)
	must.Eq(t, testHostIP, got.Address)
	must.Eq(t, 23456, got.Port, must.Sprint("bridge mode advertises the mapped host port"))
	must.Eq(t, []string{"web", "v1"}, got.Tags)
	must.Eq(t, map[string]string{"team": "infra", "external-source": "nomad"}, got.Meta)

	must.NoError(t, h.client.RemoveWorkload(ctx, w))
	must.MapNotContainsKey(t, h.services(t), id)

	// Removing again is not an error: the agent's 404 means "already gone".
	must.NoError(t, h.client.RemoveWorkload(ctx, w))
}

func TestServiceClient_Register_AddressModeAlloc(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	byLabel := &structs.Service{Name: "api-alloc", PortLabel: "http", AddressMode: structs.AddressModeAlloc}
	byNumber := &structs.Service{Name: "api-num", PortLabel: "9001", AddressMode: structs.AddressModeAlloc}
	w := bridgeWorkload(byLabel, byNumber)

	must.NoError(t, h.client.RegisterWorkload(ctx, w))
	services := h.services(t)
	must.Eq(t, testAllocIP, services[serviceID(w, byLabel)].Address)
	must.Eq(t, 8080, services[serviceID(w, byLabel)].Port, must.Sprint("alloc mode advertises the port inside the namespace"))
	must.Eq(t, testAllocIP, services[serviceID(w, byNumber)].Address)
	must.Eq(t, 9001, services[serviceID(w, byNumber)].Port)
}

func TestServiceClient_Register_TwoServices(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	web := &structs.Service{Name: "web", PortLabel: "http"}
	metrics := &structs.Service{Name: "web-metrics", PortLabel: "metrics", Tags: []string{"prometheus"}}
	w := bridgeWorkload(web, metrics)

	must.NoError(t, h.client.RegisterWorkload(ctx, w))
	must.Eq(t, sortedIDs(serviceID(w, web), serviceID(w, metrics)), h.nomadServiceIDs(t))
	services := h.services(t)
	must.Eq(t, 23456, services[serviceID(w, web)].Port)
	must.Eq(t, 23457, services[serviceID(w, metrics)].Port)

	must.NoError(t, h.client.RemoveWorkload(ctx, w))
	must.SliceEmpty(t, h.nomadServiceIDs(t))
}

func TestServiceClient_Register_BadPortLabelRegistersNothing(t *testing.T) {
	h := newHarness(t)
	good := &structs.Service{Name: "good", PortLabel: "http"}
	bad := &structs.Service{Name: "bad", PortLabel: "nope"}
	w := bridgeWorkload(good, bad)

	err := h.client.RegisterWorkload(context.Background(), w)
	must.EqError(t, err, `unable to get address for service "bad": invalid port "nope": port label not found`)
	must.SliceEmpty(t, h.nomadServiceIDs(t))
}

func TestServiceClient_Register_CanaryTagsAndMeta(t *testing.T) {
	h := newHarness(t)
	svc := &structs.Service{
		Name: "web", PortLabel: "http",
		Tags: []string{"live"}, CanaryTags: []string{"canary"},
		Meta: map[string]string{"v": "1", "k": "x"}, CanaryMeta: map[string]string{"v": "2"},
	}
	w := bridgeWorkload(svc)
	w.Canary = true

	must.NoError(t, h.client.RegisterWorkload(context.Background(), w))
	got := h.services(t)[serviceID(w, svc)]
	must.NotNil(t, got)
	must.Eq(t, []string{"canary"}, got.Tags)
	must.Eq(t, map[string]string{"v": "2", "k": "x", "external-source": "nomad"}, got.Meta)
}
