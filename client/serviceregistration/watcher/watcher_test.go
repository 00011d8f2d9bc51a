package watcher

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/consul/api"
	"github.com/hashicorp/go-hclog"
	"github.com/shoenig/test/must"
	"github.com/shoenig/test/wait"

	sr "github.com/netnomad/netnomad/client/serviceregistration"
	"github.com/netnomad/netnomad/nomad/structs"
)

// statuses is a CheckStatusGetter the test sets.
type statuses struct {
	mu  sync.Mutex
	m   map[string]string
	err error
}

func (s *statuses) set(id, status string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[id] = status
}

func (s *statuses) CheckStatuses(context.Context) (map[string]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]string, len(s.m))
	for k, v := range s.m {
		out[k] = v
	}
	return out, s.err
}

// restarter records restarts; it runs since `since`.
type restarter struct {
	mu     sync.Mutex
	since  time.Time
	events []*structs.TaskEvent
}

func (r *restarter) Restart(_ context.Context, ev *structs.TaskEvent, failure bool) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !failure {
		return errors.New("check restarts must count as failures")
	}
	r.events = append(r.events, ev)
	return nil
}

func (r *restarter) RunningSince() time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.since
}

func (r *restarter) started(at time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.since = at
}

func (r *restarter) restarts() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, e := range r.events {
		out = append(out, e.Type+": "+e.RestartReason)
	}
	return out
}

// clockedWatcher is a watcher whose polls happen at times the test picks.
type clockedWatcher struct {
	*Watcher
	now time.Time
}

func newClockedWatcher(g CheckStatusGetter) *clockedWatcher {
	cw := &clockedWatcher{now: time.Unix(1_000_000, 0)}
	cw.Watcher = New(Config{Getter: g, Logger: hclog.NewNullLogger()})
	cw.Watcher.now = func() time.Time { return cw.now }
	return cw
}

// pollAt polls as if at start+d.
func (cw *clockedWatcher) pollAt(start time.Time, d time.Duration) {
	cw.now = start.Add(d)
	cw.poll(context.Background())
}

// restartAsked reports whether a restart of the workload key was started.
func (cw *clockedWatcher) restartAsked(key string) bool {
	cw.mu.Lock()
	defer cw.mu.Unlock()
	wl := cw.workloads[key]
	return wl != nil && !wl.restartedAt.IsZero()
}

// waitRestarts waits until r saw n restarts (they run asynchronously).
func waitRestarts(t *testing.T, r *restarter, n int) {
	t.Helper()
	must.Wait(t, wait.InitialSuccess(wait.BoolFunc(func() bool { return len(r.restarts()) == n }),
		wait.Timeout(5*time.Second), wait.Gap(time.Millisecond)))
}

func TestWatcher_RestartsAfterLimitConsecutiveFailures(t *testing.T) {
	const interval = 10 * time.Second
	unhealthy := `Restart Signaled: healthcheck: check "api-health" unhealthy`
	cases := []struct {
		name        string
		cr          structs.CheckRestart
		withinGrace bool     // poll from the start instead of from the end of grace
		steps       []string // the status seen at each interval, from start+grace on
		expect      []string // restarts after the last step
	}{
		{"critical limit times", structs.CheckRestart{Limit: 3}, false, []string{"critical", "critical", "critical"}, []string{unhealthy}},
		{"limit 1 is the first failure", structs.CheckRestart{Limit: 1}, false, []string{"critical"}, []string{unhealthy}},
		{"one short of the limit", structs.CheckRestart{Limit: 3}, false, []string{"critical", "critical"}, nil},
		{"passing", structs.CheckRestart{Limit: 1}, false, []string{"passing", "passing", "passing"}, nil},
		{"a pass resets the streak", structs.CheckRestart{Limit: 3}, false, []string{"critical", "critical", "passing", "critical", "critical"}, nil},
		{"warning counts", structs.CheckRestart{Limit: 2}, false, []string{"warning", "warning"}, []string{unhealthy}},
		{"warning ignored", structs.CheckRestart{Limit: 2, IgnoreWarnings: true}, false, []string{"warning", "warning", "warning"}, nil},
		{"within grace", structs.CheckRestart{Limit: 1, Grace: time.Hour}, true, []string{"critical", "critical", "critical"}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st := &statuses{m: map[string]string{}}
			w := newClockedWatcher(st)
			start := w.now
			r := &restarter{since: start}
			w.Watch("a1/web", []Check{
				{ID: "c1", Name: "api-health", Interval: interval, Restart: tc.cr},
				{ID: "c2", Name: "other", Interval: interval}, // no check_restart: never counts
			}, r)
			st.set("c2", api.HealthCritical)
			from := tc.cr.Grace
			if tc.withinGrace {
				from = 0
			}
			for i, status := range tc.steps {
				st.set("c1", status)
				w.pollAt(start, from+time.Duration(i)*interval)
			}
			if tc.expect == nil {
				must.False(t, w.restartAsked("a1/web"), must.Sprint("no restart may be asked for"))
				must.Eq(t, []string(nil), r.restarts())
				return
			}
			waitRestarts(t, r, len(tc.expect))
			must.Eq(t, tc.expect, r.restarts())
		})
	}
}

func TestWatcher_RestartedWorkloadGetsNewGrace(t *testing.T) {
	const interval, grace = time.Second, 5 * time.Second
	st := &statuses{m: map[string]string{"c1": api.HealthCritical}}
	w := newClockedWatcher(st)
	start := w.now
	r := &restarter{since: start}
	w.Watch("a1/web", []Check{{ID: "c1", Name: "api", Interval: interval, Restart: structs.CheckRestart{Limit: 2, Grace: grace}}}, r)

	w.pollAt(start, grace)
	w.pollAt(start, grace+interval)
	waitRestarts(t, r, 1)

	// Until the task runs again, the failing check restarts nothing more.
	for i := 2; i < 10; i++ {
		w.pollAt(start, grace+time.Duration(i)*interval)
	}
	must.Len(t, 1, r.restarts())
	asked := w.workloads["a1/web"].restartedAt
	must.Eq(t, start.Add(grace+interval), asked)

	// Started again: a new grace period, then a new streak.
	restarted := start.Add(grace + 10*interval)
	r.started(restarted)
	w.pollAt(restarted, 0)
	w.pollAt(restarted, grace-time.Millisecond)
	must.Eq(t, asked, w.workloads["a1/web"].restartedAt, must.Sprint("no restart within the new grace"))
	w.pollAt(restarted, grace)
	w.pollAt(restarted, grace+interval)
	waitRestarts(t, r, 2)
}

func TestWatcher_NotRunningAndQueryErrors(t *testing.T) {
	st := &statuses{m: map[string]string{"c1": api.HealthCritical}}
	w := newClockedWatcher(st)
	start := w.now
	r := &restarter{} // not running
	w.Watch("a1/web", []Check{{ID: "c1", Name: "api", Interval: time.Second, Restart: structs.CheckRestart{Limit: 1}}}, r)
	w.pollAt(start, time.Minute)
	st.err = errors.New("connection refused")
	r.started(start)
	w.pollAt(start, 2*time.Minute)
	must.False(t, w.restartAsked("a1/web"))
	must.Eq(t, []string(nil), r.restarts())
	w.Unwatch("a1/web")
	must.False(t, w.Watched("a1/web"))
}

func TestEffectiveCheckRestart_CheckWins(t *testing.T) {
	svc := &structs.Service{Name: "api", CheckRestart: &structs.CheckRestart{Limit: 3, Grace: time.Minute}}
	check := &structs.ServiceCheck{Name: "alive", CheckRestart: &structs.CheckRestart{Limit: 5, IgnoreWarnings: true}}
	must.Eq(t, &structs.CheckRestart{Limit: 5, Grace: time.Minute, IgnoreWarnings: true}, EffectiveCheckRestart(svc, check))
	must.Eq(t, &structs.CheckRestart{Limit: 3, Grace: time.Minute}, EffectiveCheckRestart(svc, &structs.ServiceCheck{}))
	must.Nil(t, EffectiveCheckRestart(&structs.Service{}, &structs.ServiceCheck{}))

	// ChecksOf keeps the checks with a limit, under the IDs they are registered with.
	svc.Checks = []*structs.ServiceCheck{check, {Type: "tcp"}}
	noLimit := &structs.Service{Name: "admin", Checks: []*structs.ServiceCheck{{Name: "x", CheckRestart: &structs.CheckRestart{Grace: time.Second}}}}
	w := &sr.WorkloadServices{AllocID: "a1", Task: "web", Services: []*structs.Service{svc, noLimit}}
	got := ChecksOf(w, nil)
	must.Len(t, 2, got)
	must.Eq(t, sr.MakeCheckID(sr.MakeAllocServiceID("a1", "web", svc), check), got[0].ID)
	must.Eq(t, "alive", got[0].Name)
	must.Eq(t, `service: "api" check`, got[1].Name)
	must.Eq(t, 3, got[1].Restart.Limit)
}
