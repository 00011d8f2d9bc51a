// Package registrar keeps one workload's services (a group's or a task's)
// registered with a serviceregistration.Handler in the background, so that a
// service discovery provider that is down never holds up or stops a task: the
// desired registration is recorded at once and applied by a loop that retries
// with bounded backoff until it succeeds or the workload is removed.
package registrar

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"

	sr "github.com/netnomad/netnomad/client/serviceregistration"
)

// Defaults of Config's timings.
const (
	DefaultBackoffBase    = time.Second
	DefaultBackoffMax     = 30 * time.Second
	DefaultAttemptTimeout = time.Minute
)

// Config is what a Registrar needs. Handler and Logger are required.
type Config struct {
	Handler sr.Handler
	Logger  hclog.Logger

	// OnFailure is called (from the loop) with the error of the first failed
	// attempt after a success or after the start; later failures of the same
	// streak are only logged. Optional.
	OnFailure func(error)
	// OnRecovery is called when an attempt succeeds after OnFailure. Optional.
	OnRecovery func()

	// BackoffBase and BackoffMax bound the wait between failed attempts
	// (doubling from base, capped at max); AttemptTimeout bounds one attempt.
	BackoffBase    time.Duration
	BackoffMax     time.Duration
	AttemptTimeout time.Duration
}

// Registrar applies the latest desired registration of one workload. All
// methods are safe for concurrent use.
type Registrar struct {
	cfg Config

	mu      sync.Mutex
	desired *sr.WorkloadServices
	// applied is the registration the handler last accepted (nil: none).
	applied *sr.WorkloadServices
	// gen counts Set calls; waiters wait for the attempt covering theirs.
	gen     uint64
	waiters []waiter
	failing bool

	kick   chan struct{}
	cancel context.CancelFunc
	done   chan struct{}
}

type waiter struct {
	gen uint64
	ch  chan error
}

// New returns an idle Registrar.
func New(cfg Config) *Registrar {
	if cfg.BackoffBase <= 0 {
		cfg.BackoffBase = DefaultBackoffBase
	}
	if cfg.BackoffMax < cfg.BackoffBase {
		cfg.BackoffMax = max(DefaultBackoffMax, cfg.BackoffBase)
	}
	if cfg.AttemptTimeout <= 0 {
		cfg.AttemptTimeout = DefaultAttemptTimeout
	}
	return &Registrar{cfg: cfg, kick: make(chan struct{}, 1)}
}

// Set makes w the desired registration and starts applying it (registering
// it, or updating the previous registration in place). The returned channel
// receives the result of the first attempt that covers w; callers may wait on
// it with a deadline or ignore it.
func (r *Registrar) Set(w *sr.WorkloadServices) <-chan error {
	ch := make(chan error, 1)
	r.mu.Lock()
	r.desired = w.Copy()
	r.gen++
	r.waiters = append(r.waiters, waiter{gen: r.gen, ch: ch})
	if r.done == nil {
		ctx, cancel := context.WithCancel(context.Background())
		r.cancel, r.done = cancel, make(chan struct{})
		go r.run(ctx, r.done)
	}
	r.mu.Unlock()
	select {
	case r.kick <- struct{}{}:
	default:
	}
	return ch
}

// unappliedRemoveTimeout bounds the removal of a workload whose registration
// never succeeded.
const unappliedRemoveTimeout = time.Second

// Remove stops the loop and deregisters every service that may be
// registered (the desired and the last applied registration); the Registrar
// is then idle and may be Set again. When nothing was Set since the last
// Remove, fallback (may be nil) is deregistered instead: services registered
// by an earlier agent before it restarted.

func (r *Registrar) Remove(ctx context.Context, fallback *sr.WorkloadServices) error {
	r.stopLoop()
	r.mu.Lock()
	desired, applied := r.desired, r.applied
	r.desired, r.applied = nil, nil
	r.failing = false
	r.mu.Unlock()
	if desired == nil && applied == nil {
		desired = fallback
	}
	if applied == nil {
		// Nothing this runner registered is known to be in Consul (it never got
		// through, or a previous agent made it): one quick try, not a retrying
		// wait on a Consul that may be down; the periodic sync removes leftovers.
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, unappliedRemoveTimeout)
		defer cancel()
	}

	var errs []error
	if desired != nil {
		errs = append(errs, r.cfg.Handler.RemoveWorkload(ctx, desired))
	}
	if applied != nil && !sameIDs(applied, desired) {
		errs = append(errs, r.cfg.Handler.RemoveWorkload(ctx, applied))
	}
	return errors.Join(errs...)
}

// Stop stops the loop without deregistering anything (agent shutdown: the
// workload keeps running and the next agent registers it again).
func (r *Registrar) Stop() { r.stopLoop() }

// Active reports whether a registration was Set and not removed since.
func (r *Registrar) Active() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.desired != nil
}

func (r *Registrar) stopLoop() {
	r.mu.Lock()
	cancel, done := r.cancel, r.done
	r.cancel, r.done = nil, nil
	r.mu.Unlock()
	if cancel != nil {
		cancel()
		<-done
	}
	// Nobody applies the pending generations any more.
	r.finish(^uint64(0), context.Canceled)
}

// run applies the desired registration whenever it changes, retrying failed
// attempts with backoff, until ctx ends.
func (r *Registrar) run(ctx context.Context, done chan struct{}) {
	defer close(done)
	backoff := r.cfg.BackoffBase
	var retry <-chan time.Time
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return
		case <-r.kick:
		case <-retry:
		}
		retry = nil

		r.mu.Lock()
		desired, applied, gen := r.desired, r.applied, r.gen
		r.mu.Unlock()
		if desired == nil {
			continue
		}

		actx, cancel := context.WithTimeout(ctx, r.cfg.AttemptTimeout)
		var err error
		if applied == nil {
			err = r.cfg.Handler.RegisterWorkload(actx, desired)
		} else {
			err = r.cfg.Handler.UpdateWorkload(actx, applied, desired)
		}
		cancel()
		if ctx.Err() != nil {
			return
		}

		r.mu.Lock()
		wasFailing := r.failing
		if err == nil {
			r.applied = desired
			r.failing = false
		} else {
			r.failing = true
		}
		r.mu.Unlock()
		r.finish(gen, err)

		if err == nil {
			backoff = r.cfg.BackoffBase
			if wasFailing {
				r.cfg.Logger.Info("registered services after earlier failures", "workload", desired.Task)
				if r.cfg.OnRecovery != nil {
					r.cfg.OnRecovery()
				}
			}
			continue
		}
		r.cfg.Logger.Warn("failed to register services; will retry", "workload", desired.Task, "retry_in", backoff, "error", err)
		if !wasFailing && r.cfg.OnFailure != nil {
			r.cfg.OnFailure(err)
		}
		if timer == nil {
			timer = time.NewTimer(backoff)
		} else {
			timer.Reset(backoff)
		}
		retry = timer.C
		backoff = min(backoff*2, r.cfg.BackoffMax)
	}
}

// finish hands err to the waiters of generations up to gen.
func (r *Registrar) finish(gen uint64, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	keep := r.waiters[:0]
	for _, w := range r.waiters {
		if w.gen <= gen {
			w.ch <- err
			continue
		}
		keep = append(keep, w)
	}
	r.waiters = keep
}

// sameIDs reports whether a and b register the same service IDs, i.e.
// removing b also removes everything of a.
func sameIDs(a, b *sr.WorkloadServices) bool {
	if b == nil || a.AllocID != b.AllocID || a.Task != b.Task || len(a.Services) != len(b.Services) {
		return false
	}
	for i := range a.Services {
		x, y := a.Services[i], b.Services[i]
		if x.Name != y.Name || x.PortLabel != y.PortLabel {
			return false
		}
	}
	return true
}
