package taskrunner

import (
	"os/exec"
	"syscall"

	"github.com/netnomad/netnomad/drivers/shared/executor"
)

// startScript starts a script check in its own process group (killed as a
// whole when it times out), inside the network namespace netns when set.
func startScript(cmd *exec.Cmd, netns string) error {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	if netns != "" {
		return executor.StartInNetns(cmd, netns)
	}
	return cmd.Start()
}
