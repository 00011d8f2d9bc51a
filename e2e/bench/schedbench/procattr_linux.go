package main

import "syscall"

// agentProcAttr puts an agent in its own process group and has the kernel
// interrupt it if this program dies without cleaning up, so no agent outlives
// the benchmark.
func agentProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGINT}
}

// killGroup ends an agent's whole process group.
func killGroup(pid int) {
	_ = syscall.Kill(-pid, syscall.SIGKILL)
}
