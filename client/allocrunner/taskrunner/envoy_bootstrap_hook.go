package taskrunner

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/netnomad/netnomad/client/allocrunner/interfaces"
	"github.com/netnomad/netnomad/client/config"
	"github.com/netnomad/netnomad/client/envoybootstrap"
	sr "github.com/netnomad/netnomad/client/serviceregistration"
	"github.com/netnomad/netnomad/client/taskenv"
	"github.com/netnomad/netnomad/nomad/structs"
)

// envoyBootstrapErrPrefix starts the (recoverable) error of a sidecar whose
// bootstrap could not be made, as in Nomad.
const envoyBootstrapErrPrefix = "error creating bootstrap configuration for Connect proxy sidecar"

// errNoSidecarService is returned for a sidecar task whose service is gone.
var errNoSidecarService = errors.New("Connect proxy sidecar task exists but no services configured with a sidecar")

// Defaults of the wait for Consul to know the sidecar (Nomad: 1s base, 60s).
const (
	defaultEnvoyBootstrapWait    = 60 * time.Second
	defaultEnvoyBootstrapBackoff = time.Second
	maxEnvoyBootstrapBackoff     = 10 * time.Second
)

// envoyBootstrapHook writes secrets/envoy_bootstrap.json for a Connect sidecar
// task (Kind "connect-proxy:<service>") before it starts: the proxy's ID in
// Consul, its admin listener (127.0.0.2:<19000+index of the sidecar in its
// group>), and xDS through the allocation's Consul gRPC socket. It first waits,
// with backoff, until the local Consul agent has the sidecar's registration
// (group services are registered asynchronously).
type envoyBootstrapHook struct {
	logger   hclog.Logger
	allocDir string
	consul   *config.ConsulConfig
	lookup   ServiceLookup

	// wait bounds the wait for the registration; backoff is its first delay.
	wait    time.Duration
	backoff time.Duration
}

var _ interfaces.TaskPrestartHook = (*envoyBootstrapHook)(nil)

func newEnvoyBootstrapHook(logger hclog.Logger, allocDir string, consul *config.ConsulConfig, lookup ServiceLookup) *envoyBootstrapHook {
	return &envoyBootstrapHook{
		logger:   logger.Named("envoy_bootstrap"),
		allocDir: allocDir,
		consul:   consul,
		lookup:   lookup,
		wait:     defaultEnvoyBootstrapWait,
		backoff:  defaultEnvoyBootstrapBackoff,
	}
}

func (*envoyBootstrapHook) Name() string { return "envoy_bootstrap" }

// Prestart writes the bootstrap of a sidecar task; other tasks are left alone.
// Every failure is recoverable: the restart policy decides what happens next.
func (h *envoyBootstrapHook) Prestart(ctx context.Context, req *interfaces.TaskPrestartRequest, _ *interfaces.TaskPrestartResponse) error {
	service, ok := taskenv.ConnectProxyService(req.Task)
	if !ok {
		return nil
	}
	if err := h.bootstrap(ctx, req, service); err != nil {
		// Never leave an earlier run's bootstrap for a proxy that may differ.
		_ = os.Remove(filepath.Join(req.TaskDir.SecretsDir, envoybootstrap.FileName))
		return fmt.Errorf("%s: %w", envoyBootstrapErrPrefix, err)
	}
	return nil
}

func (h *envoyBootstrapHook) bootstrap(ctx context.Context, req *interfaces.TaskPrestartRequest, service string) error {
	tg := req.Alloc.LookupTaskGroup()
	svc := sidecarService(tg, service)
	if svc == nil {
		return errNoSidecarService
	}
	serviceID := sr.MakeAllocServiceID(req.Alloc.ID, sr.GroupWorkloadName(tg.Name), svc)
	proxyID := sr.MakeSidecarServiceID(serviceID)
	params, err := h.params(req, tg, svc, proxyID)
	if err != nil {
		return err
	}
	if err := h.awaitRegistration(ctx, proxyID); err != nil {
		return err
	}
	data, err := envoybootstrap.Generate(params)
	if err != nil {
		return err
	}
	path := filepath.Join(req.TaskDir.SecretsDir, envoybootstrap.FileName)
	if err := writeFileAtomic(path, data, 0o600); err != nil {
		return err
	}
	h.logger.Debug("wrote envoy bootstrap", "path", path, "proxy_id", proxyID, "admin_port", params.AdminPort)
	return nil
}

// sidecarService returns the group service with a sidecar named service.
func sidecarService(tg *structs.TaskGroup, service string) *structs.Service {
	if tg == nil {
		return nil
	}
	for _, s := range tg.Services {
		if s.Name == service && s.Connect.HasSidecar() {
			return s
		}
	}
	return nil
}

// params describes the sidecar to envoybootstrap.
func (h *envoyBootstrapHook) params(req *interfaces.TaskPrestartRequest, tg *structs.TaskGroup, svc *structs.Service, proxyID string) (envoybootstrap.Params, error) {
	p := envoybootstrap.Params{
		ProxyID:     proxyID,
		ServiceName: svc.Name,
		AdminAddr:   envoybootstrap.DefaultAdminAddr,
		AdminPort:   envoybootstrap.AdminPortFor(taskenv.ConnectProxyIndex(tg, req.Task.Name)),
	}
	if len(tg.Networks) > 0 && structs.NeedsNamespace(tg.Networks[0].IsolationMode()) {
		p.GRPCSocketPath = h.socketPath(req.Task)
	} else {
		// Host mode: the proxy shares the host's loopback with the agent.
		p.GRPCAddr = h.consul.GRPCAddr()
	}
	if h.consul != nil {
		p.Token = h.consul.Token
		if h.consul.SSL && h.consul.CAFile != "" {
			tls, err := envoybootstrap.TLSFromFiles(h.consul.CAFile, h.consul.CertFile, h.consul.KeyFile, "")
			if err != nil {
				return p, err
			}
			p.TLS = tls
		}
	}
	return p, nil
}

// socketPath is the Consul gRPC socket as Envoy sees it: in a container the
// alloc dir is mounted at /alloc; other drivers see the host's path.
func (h *envoyBootstrapHook) socketPath(task *structs.Task) string {
	if task.Driver == "docker" {
		return "/" + envoybootstrap.DefaultGRPCSocketPath
	}
	return filepath.Join(h.allocDir, envoybootstrap.DefaultGRPCSocketPath)
}

// awaitRegistration waits, with doubling delays, until the agent knows
// proxyID or h.wait passed.
func (h *envoyBootstrapHook) awaitRegistration(ctx context.Context, proxyID string) error {
	if h.lookup == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, h.wait)
	defer cancel()
	delay := h.backoff
	for {
		ok, err := h.lookup.ServiceExists(ctx, proxyID)
		if ok {
			return nil
		}
		if err == nil {
			err = fmt.Errorf("sidecar proxy service %q is not registered with Consul", proxyID)
		}
		h.logger.Debug("waiting for the sidecar's registration", "proxy_id", proxyID, "retry_in", delay, "error", err)
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("gave up after %v: %w", h.wait, err)
		case <-t.C:
		}
		delay = min(delay*2, maxEnvoyBootstrapBackoff)
	}
}

// writeFileAtomic writes data to path through a temporary file, so a reader
// never sees a partial bootstrap and a failed write leaves none behind.
func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("failed to create %q: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("failed to write %q: %w", path, err)
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return fmt.Errorf("failed to set mode of %q: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("failed to write %q: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("failed to write %q: %w", path, err)
	}
	return nil
}
