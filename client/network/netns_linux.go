package network

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	"golang.org/x/sys/unix"
)

// createNetns creates a new, empty network namespace and bind-mounts it at path
// (like `ip netns add`). The namespace is made on a throwaway OS thread: the
// goroutine locks its thread, unshares, bind-mounts /proc/<pid>/task/<tid>/ns/net
// and exits still locked, so the Go runtime discards the thread instead of
// reusing it in the wrong namespace. The caller's thread is never touched.
//
// path must not exist; its directory is created and made a shared mount (as
// iproute2 does) so that unmounting later propagates to mount namespaces created
// in between, which would otherwise keep the namespace alive.
func createNetns(path string) error {
	if err := ensureSharedDir(filepath.Dir(path)); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE|os.O_EXCL, 0o444)
	if err != nil {
		return fmt.Errorf("failed to create netns file %q: %w", path, err)
	}
	f.Close()

	errCh := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		// No UnlockOSThread: this thread ends up in the new namespace.
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			errCh <- fmt.Errorf("failed to unshare network namespace: %w", err)
			return
		}
		src := fmt.Sprintf("/proc/%d/task/%d/ns/net", os.Getpid(), unix.Gettid())
		if err := unix.Mount(src, path, "none", unix.MS_BIND, ""); err != nil {
			errCh <- fmt.Errorf("failed to bind-mount netns at %q: %w", path, err)
			return
		}
		errCh <- nil
	}()
	if err := <-errCh; err != nil {
		_ = os.Remove(path)
		return err
	}
	return nil
}

// destroyNetns unmounts and removes the namespace file at path. A missing or
// already-unmounted file is not an error. The namespace itself (and the veth
// peers in it) goes away once nothing else holds it.
func destroyNetns(path string) error {
	if err := unix.Unmount(path, unix.MNT_DETACH); err != nil &&
		!errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("failed to unmount netns %q: %w", path, err)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("failed to remove netns file %q: %w", path, err)
	}
	return nil
}

// isNetns reports whether path is a mounted network namespace.
func isNetns(path string) bool {
	var st unix.Statfs_t
	if err := unix.Statfs(path, &st); err != nil {
		return false
	}
	return st.Type == unix.NSFS_MAGIC
}

// ensureSharedDir creates dir and makes it a shared mount point: bind-mount it on
// itself if it is not a mount point yet, then mark it MS_SHARED|MS_REC.
func ensureSharedDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("failed to create netns dir %q: %w", dir, err)
	}
	err := unix.Mount("", dir, "none", unix.MS_SHARED|unix.MS_REC, "")
	if err == nil {
		return nil
	}
	if !errors.Is(err, unix.EINVAL) {
		return fmt.Errorf("failed to make netns dir %q shared: %w", dir, err)
	}
	// Not a mount point yet.
	if err := unix.Mount(dir, dir, "none", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("failed to bind-mount netns dir %q: %w", dir, err)
	}
	if err := unix.Mount("", dir, "none", unix.MS_SHARED|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("failed to make netns dir %q shared: %w", dir, err)
	}
	return nil
}

// WithNetNS runs fn on a dedicated OS thread that has joined the network
// namespace mounted at path, then returns the thread to its own namespace.
// Sockets fn creates belong to that namespace; processes fn starts (os/exec)
// start in it. Goroutines fn starts do NOT run in the namespace. If the thread
// cannot be switched back it stays locked and is discarded by the runtime.
func WithNetNS(path string, fn func() error) error {
	target, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("failed to open netns %q: %w", path, err)
	}
	defer unix.Close(target)
	if !isNetns(path) {
		return fmt.Errorf("failed to open netns %q: not a network namespace", path)
	}

	errCh := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			runtime.UnlockOSThread()
			errCh <- fmt.Errorf("failed to open current netns: %w", err)
			return
		}
		defer unix.Close(orig)
		if err := unix.Setns(target, unix.CLONE_NEWNET); err != nil {
			runtime.UnlockOSThread()
			errCh <- fmt.Errorf("failed to enter netns %q: %w", path, err)
			return
		}
		fnErr := fn()
		if err := unix.Setns(orig, unix.CLONE_NEWNET); err != nil {
			// Leave the thread locked: it dies with this goroutine.
			errCh <- errors.Join(fnErr, fmt.Errorf("failed to leave netns %q: %w", path, err))
			return
		}
		runtime.UnlockOSThread()
		errCh <- fnErr
	}()
	return <-errCh
}

// setLoopbackUp brings `lo` up in the namespace at path (127.0.0.1 then works).
func setLoopbackUp(path string) error {
	return WithNetNS(path, func() error {
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return fmt.Errorf("failed to open socket: %w", err)
		}
		defer unix.Close(fd)
		ifr, err := unix.NewIfreq("lo")
		if err != nil {
			return err
		}
		if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
			return fmt.Errorf("failed to read flags of lo: %w", err)
		}
		ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
		if err := unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr); err != nil {
			return fmt.Errorf("failed to bring lo up: %w", err)
		}
		return nil
	})
}
