//go:build !linux

package executor

import "os/exec"

// StartInNetns is unsupported on this system.
func StartInNetns(cmd *exec.Cmd, path string) error { return errUnsupported }
