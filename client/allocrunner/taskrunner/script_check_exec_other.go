//go:build !linux

package taskrunner

import (
	"errors"
	"os/exec"
)

// startScript starts a script check; network namespaces are Linux-only.
func startScript(cmd *exec.Cmd, netns string) error {
	if netns != "" {
		return errors.New("script checks in a network namespace are only supported on linux")
	}
	return cmd.Start()
}
