// Package watcher implements check_restart: one poller per client reads the
// status of every check from the service discovery agent and restarts a
// workload whose check stayed unhealthy for its limit, through the workload's
// normal restart path (so that the restart policy counts it).
package watcher

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/netnomad/netnomad/nomad/structs"
)

// Defaults of Config's timings. Nomad polls every 900ms.
const (
	DefaultPollInterval = 900 * time.Millisecond
	// restartTimeout bounds one restart call (stopping the task).
	restartTimeout = 10 * time.Second
	// pollTimeout bounds one status query.
	pollTimeout = 10 * time.Second
)

// CheckStatusGetter returns the status (passing, warning, critical) of every
// check the local agent knows, by check ID.
type CheckStatusGetter interface {
	CheckStatuses(ctx context.Context) (map[string]string, error)
}

// Restarter is the workload a watched check restarts: a task runner, or the
// alloc runner for group checks that name no task.
type Restarter interface {
	// Restart stops the workload so that it starts again; failure=true counts
	// the restart against the restart policy. event is recorded first.
	Restart(ctx context.Context, event *structs.TaskEvent, failure bool) error
	// RunningSince returns when the workload last (re)started running, or the
	// zero time while it is not running. Grace is measured from it.
	RunningSince() time.Time
}

// Config is what a Watcher needs. Getter and Logger are required.
type Config struct {
	Getter       CheckStatusGetter
	Logger       hclog.Logger
	PollInterval time.Duration
}

// Watcher watches the checks of many workloads. Watch and Unwatch may be
// called concurrently with Run and with each other.
type Watcher struct {
	cfg    Config
	logger hclog.Logger
	now    func() time.Time

	mu sync.Mutex
	// workloads by key (see Watch).
	workloads map[string]*workload
	// failing is set while status queries fail, so a streak logs once.
	failing bool
}

// workload is one owner's watched checks and the restart state they share.
type workload struct {
	key       string
	restarter Restarter
	checks    []*watchedCheck
	// since is the RunningSince the check states were measured against; a new
	// start resets them.
	since time.Time
	// restartedAt is when the watcher last restarted the workload: it is left
	// alone until it runs again after that.
	restartedAt time.Time
}

// New returns a watcher; call Run to start polling.
func New(cfg Config) *Watcher {
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = DefaultPollInterval
	}
	return &Watcher{
		cfg:       cfg,
		logger:    cfg.Logger.Named("check_watcher"),
		now:       time.Now,
		workloads: make(map[string]*workload),
	}
}

// Watch makes checks the watched checks of the workload key (e.g.
// "<alloc>/<task>"), replacing what was watched for it before; a check whose
// ID stays keeps its unhealthy streak. Checks with limit 0 are ignored; with
// none left the workload is unwatched.
func (w *Watcher) Watch(key string, checks []Check, r Restarter) {
	w.mu.Lock()
	defer w.mu.Unlock()
	prev := w.workloads[key]
	wl := &workload{key: key, restarter: r}
	if prev != nil {
		wl.since, wl.restartedAt = prev.since, prev.restartedAt
	}
	for _, c := range checks {
		if c.Restart.Limit <= 0 {
			continue
		}
		wc := &watchedCheck{Check: c}
		if prev != nil {
			for _, old := range prev.checks {
				if old.ID == c.ID {
					wc.unhealthySince = old.unhealthySince
				}
			}
		}
		wl.checks = append(wl.checks, wc)
	}
	if len(wl.checks) == 0 {
		delete(w.workloads, key)
		return
	}
	if prev == nil {
		w.logger.Debug("watching checks", "workload", key, "checks", len(wl.checks))
	}
	w.workloads[key] = wl
}

// Unwatch stops watching the workload key; unknown keys are ignored.
func (w *Watcher) Unwatch(key string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.workloads, key)
}

// Watched reports whether any check of the workload key is watched.
func (w *Watcher) Watched(key string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	_, ok := w.workloads[key]
	return ok
}

// Run polls until ctx ends. Nothing is queried while nothing is watched.
func (w *Watcher) Run(ctx context.Context) {
	t := time.NewTicker(w.cfg.PollInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			w.poll(ctx)
		}
	}
}

// poll reads every check's status once and restarts the workloads whose
// checks crossed their limit.
func (w *Watcher) poll(ctx context.Context) {
	w.mu.Lock()
	workloads := make([]*workload, 0, len(w.workloads))
	for _, wl := range w.workloads {
		workloads = append(workloads, wl)
	}
	w.mu.Unlock()
	if len(workloads) == 0 {
		return
	}

	qctx, cancel := context.WithTimeout(ctx, pollTimeout)
	statuses, err := w.cfg.Getter.CheckStatuses(qctx)
	cancel()
	w.mu.Lock()
	wasFailing := w.failing
	w.failing = err != nil
	w.mu.Unlock()
	if err != nil {
		if !wasFailing && ctx.Err() == nil {
			w.logger.Warn("failed to retrieve check statuses; check_restart paused", "error", err)
		}
		return
	}
	now := w.now()

	for _, wl := range workloads {
		// The restarter takes its own locks: ask it outside ours.
		since := wl.restarter.RunningSince()
		w.mu.Lock()
		if w.workloads[wl.key] != wl {
			w.mu.Unlock() // replaced or removed meanwhile
			continue
		}
		unhealthy := wl.observe(now, since, statuses)
		if unhealthy != nil {
			wl.restartedAt = now
		}
		w.mu.Unlock()
		if unhealthy != nil {
			w.logger.Info("restarting workload because of an unhealthy check", "workload", wl.key, "check", unhealthy.Name, "check_id", unhealthy.ID)
			go w.restart(ctx, wl.key, wl.restarter, unhealthy)
		}
	}
}

// observe applies one poll's statuses to the workload's checks and returns
// the check that demands a restart, if any. Called with w.mu held.
func (wl *workload) observe(now, since time.Time, statuses map[string]string) *watchedCheck {
	if since.IsZero() || !since.Equal(wl.since) {
		// Not running, or (re)started since the last poll: streaks start over.
		wl.since = since
		for _, c := range wl.checks {
			c.unhealthySince = time.Time{}
		}
	}
	if since.IsZero() || (!wl.restartedAt.IsZero() && !since.After(wl.restartedAt)) {
		return nil // not running, or the restart asked for has not happened yet
	}
	for _, c := range wl.checks {
		status, ok := statuses[c.ID]
		if !ok {
			continue // not registered (yet, or any more)
		}
		if c.observe(now, since, status) {
			return c
		}
	}
	return nil
}

// restart restarts the workload with Nomad's event; failures are only
// logged (the task may have stopped meanwhile).
func (w *Watcher) restart(ctx context.Context, key string, r Restarter, c *watchedCheck) {
	ev := structs.NewTaskEvent(structs.TaskRestartSignal)
	ev.RestartReason = fmt.Sprintf("healthcheck: check %q unhealthy", c.Name)
	ctx, cancel := context.WithTimeout(ctx, restartTimeout)
	defer cancel()
	if err := r.Restart(ctx, ev, true); err != nil {
		w.logger.Debug("failed to restart workload", "workload", key, "check", c.Name, "error", err)
	}
}
