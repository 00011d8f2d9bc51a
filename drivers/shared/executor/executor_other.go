//go:build !linux

package executor

import (
	"errors"
	"fmt"
	"os"
)

// errUnsupported is returned on systems without an executor implementation.
var errUnsupported = errors.New("the executor is only supported on linux")

// Launched describes a running executor and its task.
type Launched struct {
	ExecutorPID       int
	ExecutorStartTime uint64
	TaskPID           int
	TaskStartTime     uint64
	Exited            <-chan struct{}
}

// Main reports that executors are unsupported here.
func Main(args []string) int {
	fmt.Fprintln(os.Stderr, errUnsupported)
	return 1
}

// Launch is unsupported on this system.
func Launch(spec *Spec, stateDir, executorPath string) (*Launched, error) {
	return nil, errUnsupported
}

// ProcStartTime is unsupported on this system.
func ProcStartTime(pid int) (uint64, error) { return 0, errUnsupported }

// ProcessRunning always reports false on this system.
func ProcessRunning(pid int, startTime uint64) bool { return false }

// KillSession does nothing on this system.
func KillSession(sid int) {}
