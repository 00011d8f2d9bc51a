package executor

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"

	"golang.org/x/sys/unix"
)

// StartInNetns starts cmd inside the network namespace bound at path (e.g. an
// allocation's /var/run/netns/<id>) the way the executor starts tasks: from a
// locked OS thread that joined the namespace, so the child inherits it. It is
// meant for long-lived processes such as the agent (script checks): the thread
// returns to its original namespace afterwards and is reused; if it cannot, it
// stays locked and the runtime discards it, so no other goroutine ever runs in
// the namespace (and, the process's main thread never being parked there, the
// namespace is not kept alive).
func StartInNetns(cmd *exec.Cmd, path string) error {
	errCh := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := os.Open("/proc/thread-self/ns/net")
		if err != nil {
			runtime.UnlockOSThread()
			errCh <- fmt.Errorf("failed to open current netns: %w", err)
			return
		}
		defer orig.Close()
		target, err := os.Open(path)
		if err != nil {
			runtime.UnlockOSThread()
			errCh <- fmt.Errorf("failed to open netns %q: %w", path, err)
			return
		}
		defer target.Close()
		if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNET); err != nil {
			runtime.UnlockOSThread()
			errCh <- fmt.Errorf("failed to enter netns %q: %w", path, err)
			return
		}
		errCh <- cmd.Start()
		if unix.Setns(int(orig.Fd()), unix.CLONE_NEWNET) == nil {
			runtime.UnlockOSThread()
		}
	}()
	return <-errCh
}
