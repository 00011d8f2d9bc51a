package allocrunner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/netnomad/netnomad/client/allocdir"
	"github.com/netnomad/netnomad/client/allocrunner/interfaces"
	"github.com/netnomad/netnomad/client/envoybootstrap"
	"github.com/netnomad/netnomad/nomad/structs"
)

// consulGRPCDialTimeout bounds one connection to the Consul agent.
const consulGRPCDialTimeout = 10 * time.Second

// ConsulGRPCSocketPath returns the host path of the allocation's socket:
// <alloc dir>/alloc/tmp/consul_grpc.sock.
func ConsulGRPCSocketPath(d *allocdir.AllocDir) string {
	return filepath.Join(d.AllocDir, envoybootstrap.DefaultGRPCSocketPath)
}

// consulGRPCSocketHook proxies the unix socket alloc/tmp/consul_grpc.sock to
// the Consul agent's gRPC address, for groups in a network namespace (bridge,
// cni/*) with a Connect sidecar: Envoy in the namespace cannot reach the host's
// loopback, but every task sees the shared alloc dir.
type consulGRPCSocketHook struct {
	logger   hclog.Logger
	path     string
	target   string
	disabled bool

	mu       sync.Mutex
	listener net.Listener
	conns    map[net.Conn]struct{}
	wg       sync.WaitGroup
}

var (
	_ interfaces.RunnerPrerunHook  = (*consulGRPCSocketHook)(nil)
	_ interfaces.RunnerPostrunHook = (*consulGRPCSocketHook)(nil)
	_ interfaces.RunnerDestroyHook = (*consulGRPCSocketHook)(nil)
	_ interfaces.ShutdownHook      = (*consulGRPCSocketHook)(nil)
)

// newConsulGRPCSocketHook returns the hook for tg; target is the agent's gRPC
// address ("ip:port" or "unix://<path>").
func newConsulGRPCSocketHook(logger hclog.Logger, tg *structs.TaskGroup, dir *allocdir.AllocDir, target string) *consulGRPCSocketHook {
	return &consulGRPCSocketHook{
		logger:   logger.Named("consul_grpc_socket"),
		path:     ConsulGRPCSocketPath(dir),
		target:   target,
		disabled: !needsConsulGRPCSocket(tg),
		conns:    map[net.Conn]struct{}{},
	}
}

// needsConsulGRPCSocket reports whether tg runs in a namespace and has a
// service with a Connect sidecar.
func needsConsulGRPCSocket(tg *structs.TaskGroup) bool {
	if tg == nil || len(tg.Networks) == 0 || !structs.NeedsNamespace(tg.Networks[0].IsolationMode()) {
		return false
	}
	for _, s := range tg.Services {
		if s.Connect.HasSidecar() {
			return true
		}
	}
	return false
}

func (*consulGRPCSocketHook) Name() string { return "consul_grpc_socket" }

// Prerun starts listening (again, after an agent restart), replacing a stale
// socket file.
func (h *consulGRPCSocketHook) Prerun() error {
	if h.disabled {
		return nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.listener != nil {
		return nil
	}
	if err := os.Remove(h.path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("failed to remove stale socket %q: %w", h.path, err)
	}
	l, err := listenUnix(h.path)
	if err != nil {
		return fmt.Errorf("failed to listen on consul gRPC socket %q: %w", h.path, err)
	}
	// Envoy may run as any user.
	if err := os.Chmod(h.path, 0o777); err != nil {
		l.Close()
		return fmt.Errorf("failed to set permissions on consul gRPC socket %q: %w", h.path, err)
	}
	h.listener = l
	h.wg.Add(1)
	go h.accept(l)
	h.logger.Debug("proxying consul gRPC socket", "socket", h.path, "target", h.target)
	return nil
}

// Postrun stops the proxy and closes open connections.
func (h *consulGRPCSocketHook) Postrun() error { h.stop(); return nil }

// Destroy stops the proxy if still running.
func (h *consulGRPCSocketHook) Destroy() error { h.stop(); return nil }

// Shutdown stops the proxy; the next agent starts it again in Prerun.
func (h *consulGRPCSocketHook) Shutdown() { h.stop() }

func (h *consulGRPCSocketHook) stop() {
	h.mu.Lock()
	l := h.listener
	h.listener = nil
	for c := range h.conns {
		c.Close()
	}
	h.mu.Unlock()
	if l == nil {
		return
	}
	l.Close()
	h.wg.Wait()
	if err := os.Remove(h.path); err != nil && !errors.Is(err, os.ErrNotExist) {
		h.logger.Warn("failed to remove consul gRPC socket", "socket", h.path, "error", err)
	}
}

func (h *consulGRPCSocketHook) accept(l net.Listener) {
	defer h.wg.Done()
	for {
		c, err := l.Accept()
		if err != nil {
			if !errors.Is(err, net.ErrClosed) {
				h.logger.Warn("consul gRPC socket stopped accepting", "error", err)
			}
			return
		}
		if !h.track(c) {
			c.Close()
			return
		}
		h.wg.Add(1)
		go h.proxy(c)
	}
}

// track records an open connection unless the proxy is stopping.
func (h *consulGRPCSocketHook) track(c net.Conn) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.listener == nil {
		return false
	}
	h.conns[c] = struct{}{}
	return true
}

func (h *consulGRPCSocketHook) untrack(c net.Conn) {
	h.mu.Lock()
	delete(h.conns, c)
	h.mu.Unlock()
	c.Close()
}

// proxy copies bytes both ways between the task's connection and the agent.
func (h *consulGRPCSocketHook) proxy(src net.Conn) {
	defer h.wg.Done()
	defer h.untrack(src)
	network, addr := "tcp", h.target
	if p, ok := strings.CutPrefix(h.target, "unix://"); ok {
		network, addr = "unix", p
	}
	ctx, cancel := context.WithTimeout(context.Background(), consulGRPCDialTimeout)
	dst, err := (&net.Dialer{}).DialContext(ctx, network, addr)
	cancel()
	if err != nil {
		h.logger.Warn("failed to connect to consul gRPC address", "address", h.target, "error", err)
		return
	}
	if !h.track(dst) {
		dst.Close()
		return
	}
	defer h.untrack(dst)

	done := make(chan struct{}, 2)
	pipe := func(to, from net.Conn) {
		_, _ = io.Copy(to, from)
		if cw, ok := to.(interface{ CloseWrite() error }); ok {
			_ = cw.CloseWrite()
		}
		done <- struct{}{}
	}
	go pipe(dst, src)
	go pipe(src, dst)
	<-done
	<-done
}
