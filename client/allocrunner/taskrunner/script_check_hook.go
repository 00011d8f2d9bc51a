package taskrunner

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/consul/api"

	"github.com/netnomad/netnomad/client/allocrunner/interfaces"
	"github.com/netnomad/netnomad/client/allocrunner/registrar"
	sr "github.com/netnomad/netnomad/client/serviceregistration"
	"github.com/netnomad/netnomad/nomad/structs"
)

const (
	// scriptCheckType is the check type the client runs itself.
	scriptCheckType = "script"
	// defaultScriptTimeout applies to a script check without a timeout.
	defaultScriptTimeout = 30 * time.Second
	// maxScriptOutput caps the output reported to the TTL check.
	maxScriptOutput = 4 << 10
	// ttlUpdateTimeout bounds one report.
	ttlUpdateTimeout = 10 * time.Second
)

// scriptCheckHook runs the script checks that belong to this task — those of
// its own services and those of group services whose check names it with
// `task` — every interval while the task runs, inside the task's context
// (environment, task directory, network namespace), and reports each result to
// the check's TTL: exit 0 passing, 1 warning, anything else (or a timeout)
// critical.
type scriptCheckHook struct {
	tr  *TaskRunner
	ttl TTLUpdater

	mu     sync.Mutex
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

var (
	_ interfaces.TaskPoststartHook = (*scriptCheckHook)(nil)
	_ interfaces.TaskExitedHook    = (*scriptCheckHook)(nil)
	_ interfaces.TaskStopHook      = (*scriptCheckHook)(nil)
	_ interfaces.TaskUpdateHook    = (*scriptCheckHook)(nil)
)

func (*scriptCheckHook) Name() string { return "script_checks" }

// scriptCheck is one check to run, with the TTL check ID it reports to.
type scriptCheck struct {
	checkID string
	service string
	check   *structs.ServiceCheck
}

// checks returns the script checks this task runs, for alloc.
func (h *scriptCheckHook) checks(alloc *structs.Allocation, task *structs.Task) []scriptCheck {
	ns := h.tr.cfg.NetworkStatus()
	node := h.tr.cfg.Node()
	var out []scriptCheck
	add := func(w *sr.WorkloadServices, mine func(*structs.ServiceCheck) bool) {
		if w == nil {
			return
		}
		for _, svc := range w.Services {
			id := sr.MakeAllocServiceID(w.AllocID, w.Task, svc)
			for _, c := range svc.Checks {
				if c.Type == scriptCheckType && mine(c) {
					out = append(out, scriptCheck{checkID: sr.MakeCheckID(id, c), service: svc.Name, check: c})
				}
			}
		}
	}
	add(registrar.GroupWorkload(alloc, node, h.tr.cfg.Region, ns), func(c *structs.ServiceCheck) bool {
		return c.TaskName == task.Name
	})
	add(registrar.TaskWorkload(alloc, task, node, h.tr.buildEnv(alloc, task, ns), ns), func(c *structs.ServiceCheck) bool {
		return c.TaskName == "" || c.TaskName == task.Name
	})
	return out
}

// Poststart starts the checks.
func (h *scriptCheckHook) Poststart(context.Context, *interfaces.TaskPoststartRequest) error {
	h.start()
	return nil
}

// Update restarts running checks with the allocation's new definitions.
func (h *scriptCheckHook) Update(context.Context, *structs.Allocation) error {
	h.mu.Lock()
	running := h.cancel != nil
	h.mu.Unlock()
	if running {
		h.start()
	}
	return nil
}

// Exited stops the checks until the task runs again.
func (h *scriptCheckHook) Exited(context.Context, *interfaces.TaskExitedRequest) error {
	h.stop()
	return nil
}

// Stop stops the checks for good.
func (h *scriptCheckHook) Stop(context.Context) error {
	h.stop()
	return nil
}

func (h *scriptCheckHook) start() {
	h.stop()
	h.tr.mu.RLock()
	alloc, task := h.tr.alloc, h.tr.task
	h.tr.mu.RUnlock()
	checks := h.checks(alloc, task)
	if len(checks) == 0 {
		return
	}
	// Checks end with the task, or with the agent (which leaves it running).
	ctx, cancel := context.WithCancel(h.tr.shutdownCtx)
	h.mu.Lock()
	h.cancel = cancel
	h.mu.Unlock()
	for _, c := range checks {
		h.wg.Add(1)
		go h.run(ctx, c)
	}
}

func (h *scriptCheckHook) stop() {
	h.mu.Lock()
	cancel := h.cancel
	h.cancel = nil
	h.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	h.wg.Wait()
}

// run runs c at once and then every interval until ctx ends.
func (h *scriptCheckHook) run(ctx context.Context, c scriptCheck) {
	defer h.wg.Done()
	logger := h.tr.logger.With("check", c.check.Name, "check_id", c.checkID)
	interval := c.check.Interval
	if interval <= 0 {
		interval = 10 * time.Second
	}
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		status, output := h.execute(ctx, c.check)
		if ctx.Err() != nil {
			return
		}
		uctx, cancel := context.WithTimeout(ctx, ttlUpdateTimeout)
		if err := h.ttl.UpdateTTL(uctx, c.checkID, output, status); err != nil && ctx.Err() == nil {
			logger.Warn("failed to update script check", "status", status, "error", err)
		}
		cancel()
		t.Reset(interval)
	}
}

// execute runs the check's command once in the task's context and maps its
// result to a Consul health status.
func (h *scriptCheckHook) execute(ctx context.Context, check *structs.ServiceCheck) (status, output string) {
	h.tr.mu.RLock()
	alloc, task := h.tr.alloc, h.tr.task
	h.tr.mu.RUnlock()
	ns := h.tr.cfg.NetworkStatus()
	env := h.tr.buildEnv(alloc, task, ns)
	taskDir := h.tr.cfg.TaskDir.Dir

	timeout := check.Timeout
	if timeout <= 0 {
		timeout = defaultScriptTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	path, err := scriptPath(env.ReplaceEnv(check.Command), taskDir, env.Map()["PATH"])
	if err != nil {
		return api.HealthCritical, err.Error()
	}
	var out limitedBuffer
	cmd := exec.CommandContext(ctx, path, env.ParseAndReplace(check.Args)...)
	cmd.Args[0] = check.Command
	cmd.Dir = taskDir
	cmd.Env = env.List()
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.WaitDelay = time.Second
	netns := ""
	if ns != nil {
		netns = ns.NetnsPath
	}
	if err := startScript(cmd, netns); err != nil {
		return api.HealthCritical, fmt.Sprintf("failed to start script check: %v", err)
	}
	err = cmd.Wait()
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return api.HealthCritical, fmt.Sprintf("script check timed out after %v", timeout)
	case err == nil:
		return api.HealthPassing, out.String()
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) && ee.ExitCode() == 1 {
		return api.HealthWarning, out.String()
	}
	if out.Len() == 0 {
		return api.HealthCritical, err.Error()
	}
	return api.HealthCritical, out.String()
}

// scriptPath resolves a check's command: a relative path with a slash is
// relative to the task directory, a bare name is looked up in the task's PATH
// (the agent's when the task has none).
func scriptPath(command, taskDir, pathVar string) (string, error) {
	if command == "" {
		return "", errors.New("script check has no command")
	}
	if strings.Contains(command, "/") {
		if !filepath.IsAbs(command) {
			return filepath.Join(taskDir, command), nil
		}
		return command, nil
	}
	if pathVar == "" {
		pathVar = os.Getenv("PATH")
	}
	for _, dir := range filepath.SplitList(pathVar) {
		p := filepath.Join(dir, command)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("failed to find script check command %q in PATH: %w", command, exec.ErrNotFound)
}

// limitedBuffer keeps the first maxScriptOutput bytes written to it.
type limitedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if room := maxScriptOutput - b.buf.Len(); room > 0 {
		b.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func (b *limitedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (b *limitedBuffer) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Len()
}
