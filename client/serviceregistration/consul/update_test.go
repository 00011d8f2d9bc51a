package consul

import (
	"context"
	"testing"

	"github.com/shoenig/test/must"

	"github.com/netnomad/netnomad/nomad/structs"
)

func TestServiceClient_UpdateWorkload(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	web := &structs.Service{Name: "web", PortLabel: "http", Tags: []string{"v1"}}
	metrics := &structs.Service{Name: "web-metrics", PortLabel: "metrics"}
	old := bridgeWorkload(web, metrics)
	webID, metricsID := serviceID(old, web), serviceID(old, metrics)
	must.NoError(t, h.client.RegisterWorkload(ctx, old))

	t.Run("unchanged touches nothing", func(t *testing.T) {
		h.recorder.Reset()
		must.NoError(t, h.client.UpdateWorkload(ctx, old, old.Copy()))
		must.SliceEmpty(t, h.recorder.Calls())
	})

	t.Run("tag change updates in place", func(t *testing.T) {
		h.recorder.Reset()
		retagged := *web
		retagged.Tags = []string{"v2"}
		updated := old.Copy()
		updated.Services = []*structs.Service{&retagged, metrics}

		must.NoError(t, h.client.UpdateWorkload(ctx, old, updated))
		must.Eq(t, []string{"register " + webID}, h.recorder.Calls(), must.Sprint("same ID, no deregistration"))
		must.Eq(t, []string{"v2"}, h.services(t)[webID].Tags)
		old = updated
	})

	t.Run("removed service is deregistered", func(t *testing.T) {
		h.recorder.Reset()
		updated := old.Copy()
		updated.Services = updated.Services[:1]
		must.NoError(t, h.client.UpdateWorkload(ctx, old, updated))
		must.Eq(t, []string{"deregister " + metricsID}, h.recorder.Calls())
		must.Eq(t, []string{webID}, h.nomadServiceIDs(t))
	})
}
