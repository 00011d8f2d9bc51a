package registrar

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/shoenig/test/must"
	"github.com/shoenig/test/wait"

	sr "github.com/netnomad/netnomad/client/serviceregistration"
	"github.com/netnomad/netnomad/nomad/structs"
)

// scriptedHandler fails the first `fail` register/update calls and records
// every call as "<op> <workload> <service names>".
type scriptedHandler struct {
	mu    sync.Mutex
	fail  int
	calls []string
}

func (h *scriptedHandler) record(op string, w *sr.WorkloadServices) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	names := ""
	for _, s := range w.Services {
		names += " " + s.Name
	}
	h.calls = append(h.calls, op+" "+w.Task+names)
	if op != "remove" && h.fail > 0 {
		h.fail--
		return errors.New("connection refused")
	}
	return nil
}

func (h *scriptedHandler) RegisterWorkload(_ context.Context, w *sr.WorkloadServices) error {
	return h.record("register", w)
}

func (h *scriptedHandler) UpdateWorkload(_ context.Context, _, w *sr.WorkloadServices) error {
	return h.record("update", w)
}

func (h *scriptedHandler) RemoveWorkload(_ context.Context, w *sr.WorkloadServices) error {
	return h.record("remove", w)
}

func (h *scriptedHandler) Calls() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.calls...)
}

func workload(names ...string) *sr.WorkloadServices {
	w := &sr.WorkloadServices{AllocID: "a1", Task: "group-web"}
	for _, n := range names {
		w.Services = append(w.Services, &structs.Service{Name: n, PortLabel: "http"})
	}
	return w
}

func waitUntil(t *testing.T, f func() error) {
	t.Helper()
	must.Wait(t, wait.InitialSuccess(wait.ErrorFunc(f), wait.Timeout(5*time.Second), wait.Gap(5*time.Millisecond)))
}

func TestRegistrar_RetriesThenUpdatesInPlace(t *testing.T) {
	h := &scriptedHandler{fail: 2}
	var mu sync.Mutex
	var failures []error
	recovered := 0
	r := New(Config{
		Handler: h, Logger: hclog.NewNullLogger(),
		BackoffBase: time.Millisecond, BackoffMax: 4 * time.Millisecond,
		OnFailure:  func(err error) { mu.Lock(); failures = append(failures, err); mu.Unlock() },
		OnRecovery: func() { mu.Lock(); recovered++; mu.Unlock() },
	})

	// The first attempt's result is handed back; retries go on alone.
	err := <-r.Set(workload("api"))
	must.EqError(t, err, "connection refused")
	waitUntil(t, func() error {
		if got := len(h.Calls()); got != 3 {
			return fmt.Errorf("%d calls", got)
		}
		return nil
	})
	must.Eq(t, []string{"register group-web api", "register group-web api", "register group-web api"}, h.Calls())
	mu.Lock()
	must.Len(t, 1, failures) // one event per failure streak, not per retry
	must.Eq(t, 1, recovered)
	mu.Unlock()

	// A later change is an update of the applied registration.
	must.NoError(t, <-r.Set(workload("api", "admin")))
	must.Eq(t, "update group-web api admin", h.Calls()[3])

	// Remove deregisters the desired registration and forgets it.
	must.NoError(t, r.Remove(context.Background(), workload("fallback")))
	must.Eq(t, "remove group-web api admin", h.Calls()[4])
	must.False(t, r.Active())

	// With nothing set, Remove deregisters the fallback (an earlier agent's).
	must.NoError(t, r.Remove(context.Background(), workload("fallback")))
	must.Eq(t, "remove group-web fallback", h.Calls()[5])
}

func TestRegistrar_StopKeepsRegistration(t *testing.T) {
	h := &scriptedHandler{}
	r := New(Config{Handler: h, Logger: hclog.NewNullLogger()})
	must.NoError(t, <-r.Set(workload("api")))
	r.Stop()
	must.Eq(t, []string{"register group-web api"}, h.Calls())
}
