package consul

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shoenig/test/must"

	"github.com/netnomad/netnomad/nomad/structs"
)

func TestServiceClient_ConsulDown(t *testing.T) {
	h := newHarness(t)
	fake := h.agent.RequireFake(t)
	ctx := context.Background()
	w := bridgeWorkload(&structs.Service{Name: "web", PortLabel: "http"})
	id := serviceID(w, w.Services[0])

	t.Run("error after bounded retries", func(t *testing.T) {
		fake.SetDown(true)
		h.recorder.Reset()
		start := time.Now()
		err := h.client.RegisterWorkload(ctx, w)
		must.ErrorContains(t, err, `failed to register service "`+id+`"`)
		must.Eq(t, []string{"register " + id, "register " + id, "register " + id}, h.recorder.Calls(),
			must.Sprint("three attempts, as the policy says"))
		must.Less(t, 5*time.Second, time.Since(start))

		must.Error(t, h.client.Sync(ctx, []string{w.AllocID}))
	})

	t.Run("success once it is back", func(t *testing.T) {
		fake.SetDown(false)
		must.NoError(t, h.client.RegisterWorkload(ctx, w))
		must.MapContainsKey(t, fake.Services(), id)
	})

	t.Run("recovers within the retries", func(t *testing.T) {
		must.NoError(t, h.client.RemoveWorkload(ctx, w))
		fake.SetDown(true)
		var n atomic.Int32
		h.recorder.before = func(call string) {
			if strings.HasPrefix(call, "register ") && n.Add(1) == 2 {
				fake.SetDown(false)
			}
		}
		t.Cleanup(func() { h.recorder.before = nil })
		must.NoError(t, h.client.RegisterWorkload(ctx, w))
		must.MapContainsKey(t, fake.Services(), id)
	})

	t.Run("context ends the retries", func(t *testing.T) {
		fake.SetDown(true)
		t.Cleanup(func() { fake.SetDown(false) })
		h.client.SetRetryPolicy(RetryPolicy{Attempts: 100, Base: time.Hour, Max: time.Hour})
		cctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
		defer cancel()
		err := h.client.RemoveWorkload(cctx, w)
		must.ErrorContains(t, err, "context deadline exceeded")
	})
}
