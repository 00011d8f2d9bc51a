package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/netnomad/netnomad/client/network"
)

// world is a throwaway "host": a network namespace bind-mounted under dir in which
// the configurator and the bare chain run (bridge, iptables rules, veths all live
// there and vanish with it). Its FORWARD policy is DROP, as on a host running
// Docker.
type world struct {
	dir  string
	host string
}

// newWorld creates the namespace at dir/host. Close removes everything.
func newWorld(dir string) (*world, error) {
	w := &world{dir: dir, host: filepath.Join(dir, "host")}
	if err := bindNetns(w.host); err != nil {
		return nil, err
	}
	for _, args := range [][]string{
		{"ip", "link", "set", "lo", "up"},
		{"iptables", "-w", "-P", "FORWARD", "DROP"},
	} {
		if err := w.sh(args...); err != nil {
			w.Close()
			return nil, err
		}
	}
	return w, nil
}

// do runs fn on a thread inside the world (processes it starts run there too).
func (w *world) do(fn func() error) error { return network.WithNetNS(w.host, fn) }

func (w *world) sh(args ...string) error {
	return w.do(func() error {
		out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
		if err != nil {
			return fmt.Errorf("%s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
		}
		return nil
	})
}

// Close unmounts every namespace under the world's directory (the allocations'
// too, if a run was interrupted) and removes the directory.
func (w *world) Close() {
	_ = unix.Unmount(w.host, unix.MNT_DETACH)
	if b, err := os.ReadFile("/proc/self/mounts"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			f := strings.Fields(line)
			if len(f) > 1 && strings.HasPrefix(f[1], w.dir+"/") {
				_ = unix.Unmount(f[1], unix.MNT_DETACH)
			}
		}
	}
	_ = os.RemoveAll(w.dir)
}

// bindNetns creates a new network namespace and bind-mounts it at path, on a
// thread that is then discarded (it stays locked and in the new namespace).
func bindNetns(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE|os.O_EXCL, 0o444)
	if err != nil {
		return fmt.Errorf("failed to create netns file: %w", err)
	}
	f.Close()
	errCh := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			errCh <- fmt.Errorf("failed to unshare: %w", err)
			return
		}
		src := fmt.Sprintf("/proc/%d/task/%d/ns/net", os.Getpid(), unix.Gettid())
		errCh <- unix.Mount(src, path, "none", unix.MS_BIND, "")
	}()
	if err := <-errCh; err != nil {
		_ = os.Remove(path)
		return fmt.Errorf("failed to create netns %q: %w", path, err)
	}
	return nil
}

// destroyNetns unmounts and removes a namespace made by bindNetns.
func destroyNetns(path string) error {
	if err := unix.Unmount(path, unix.MNT_DETACH); err != nil && !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENOENT) {
		return err
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}
