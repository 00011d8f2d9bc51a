//go:build !linux

package main

import (
	"os"
	"syscall"
)

// agentProcAttr has no parent-death signal outside Linux: an agent may outlive a
// benchmark that was killed hard.
func agentProcAttr() *syscall.SysProcAttr { return nil }

// killGroup ends the agent.
func killGroup(pid int) {
	if p, err := os.FindProcess(pid); err == nil {
		_ = p.Kill()
	}
}
