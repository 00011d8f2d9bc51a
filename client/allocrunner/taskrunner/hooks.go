package taskrunner

import (
	"context"
	"fmt"
	"os"

	"github.com/netnomad/netnomad/client/allocrunner/interfaces"
	"github.com/netnomad/netnomad/drivers"
	"github.com/netnomad/netnomad/nomad/structs"
)

// initHooks builds the task's hook list. Order matters:
//
//  1. task_dir — the task directory must exist before anything writes into it;
//  2. logs — the log directory before the driver opens log files;
//  3. envoy_bootstrap — (Connect sidecars only) writes secrets/envoy_bootstrap.json,
//     so it needs the secrets dir and must finish before Envoy starts;
//  4. services — registers the task's own services after it started (poststart)
//     and deregisters them when it exits or stops;
//  5. script_checks — runs the script checks of the task once it runs; after
//     services so their TTL checks usually exist at the first report;
//  6. check_restart — hands the checks with a check_restart that restart this
//     task to the client's check watcher once it runs; last, as it only
//     watches what the hooks before it registered and run.
//
// The environment is built right before the driver starts (buildTaskConfig) so
// it sees the allocation's network status.
func (tr *TaskRunner) initHooks() {
	tr.hooks = []interfaces.TaskHook{
		&taskDirHook{tr: tr},
		&logsHook{},
		newEnvoyBootstrapHook(tr.logger, tr.cfg.AllocDir, tr.cfg.Consul, tr.cfg.ConsulServices),
	}
	if h := tr.cfg.ServiceRegistration; h != nil {
		tr.hooks = append(tr.hooks, newServiceHook(tr, h))
		if ttl, ok := h.(TTLUpdater); ok {
			tr.hooks = append(tr.hooks, &scriptCheckHook{tr: tr, ttl: ttl})
		}
		if w := tr.cfg.CheckWatcher; w != nil {
			tr.hooks = append(tr.hooks, newCheckRestartHook(tr, w))
		}
	}
}

// prestart runs the prestart hooks in order.
func (tr *TaskRunner) prestart() error {
	tr.mu.RLock()
	req := &interfaces.TaskPrestartRequest{Alloc: tr.alloc, Task: tr.task, TaskDir: tr.cfg.TaskDir}
	tr.mu.RUnlock()
	for _, h := range tr.hooks {
		ph, ok := h.(interfaces.TaskPrestartHook)
		if !ok {
			continue
		}
		resp := &interfaces.TaskPrestartResponse{}
		if err := ph.Prestart(tr.killCtx, req, resp); err != nil {
			return fmt.Errorf("prestart hook %q failed: %w", h.Name(), err)
		}
	}
	return nil
}

// poststart runs the poststart hooks; failures are logged.
func (tr *TaskRunner) poststart() {
	req := &interfaces.TaskPoststartRequest{Handle: tr.handle()}
	for _, h := range tr.hooks {
		if ph, ok := h.(interfaces.TaskPoststartHook); ok {
			if err := ph.Poststart(tr.killCtx, req); err != nil {
				tr.logger.Warn("poststart hook failed", "hook", h.Name(), "error", err)
			}
		}
	}
}

// exited runs the exited hooks; failures are logged.
func (tr *TaskRunner) exited(res *drivers.ExitResult) {
	for _, h := range tr.hooks {
		if eh, ok := h.(interfaces.TaskExitedHook); ok {
			if err := eh.Exited(context.Background(), &interfaces.TaskExitedRequest{Result: res}); err != nil {
				tr.logger.Warn("exited hook failed", "hook", h.Name(), "error", err)
			}
		}
	}
}

// stop runs the stop hooks once the task is dead for good.
func (tr *TaskRunner) stop() {
	for _, h := range tr.hooks {
		if sh, ok := h.(interfaces.TaskStopHook); ok {
			if err := sh.Stop(context.Background()); err != nil {
				tr.logger.Warn("stop hook failed", "hook", h.Name(), "error", err)
			}
		}
	}
}

// taskDirHook builds the task's directory, emitting "Task Setup" the first time.
type taskDirHook struct {
	tr    *TaskRunner
	built bool
}

var _ interfaces.TaskPrestartHook = (*taskDirHook)(nil)

func (*taskDirHook) Name() string { return "task_dir" }

func (h *taskDirHook) Prestart(_ context.Context, req *interfaces.TaskPrestartRequest, _ *interfaces.TaskPrestartResponse) error {
	if !h.built {
		ev := newEvent(structs.TaskSetup)
		ev.Message = "Building Task Directory"
		h.tr.EmitEvent(ev)
	}
	if err := req.TaskDir.Build(); err != nil {
		return err
	}
	h.built = true
	return nil
}

// logsHook makes sure the shared log directory exists before the driver opens
// <task>.stdout.0 / <task>.stderr.0 there.
type logsHook struct{}

var _ interfaces.TaskPrestartHook = (*logsHook)(nil)

func (*logsHook) Name() string { return "logs" }

func (*logsHook) Prestart(_ context.Context, req *interfaces.TaskPrestartRequest, _ *interfaces.TaskPrestartResponse) error {
	if err := os.MkdirAll(req.TaskDir.LogDir, 0o755); err != nil {
		return fmt.Errorf("failed to create log dir %q: %w", req.TaskDir.LogDir, err)
	}
	return nil
}
