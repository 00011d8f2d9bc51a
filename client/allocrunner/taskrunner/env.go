package taskrunner

import (
	"path/filepath"

	"github.com/netnomad/netnomad/client/allocdir"
	"github.com/netnomad/netnomad/client/taskenv"
	"github.com/netnomad/netnomad/nomad/structs"
)

// buildEnv builds the task's environment (host variables, NOMAD_*, meta, ports,
// the task's env block) for the current allocation and network status.
func (tr *TaskRunner) buildEnv(alloc *structs.Allocation, task *structs.Task, ns *structs.AllocNetworkStatus) *taskenv.TaskEnv {
	return taskenv.NewBuilder(tr.cfg.Node(), alloc, task, tr.cfg.Region).
		SetAllocDir(filepath.Join(tr.cfg.AllocDir, allocdir.SharedAllocName)).
		SetTaskDir(tr.cfg.TaskDir.LocalDir).
		SetSecretsDir(tr.cfg.TaskDir.SecretsDir).
		SetNetworkStatus(ns).
		SetHostEnvvars(tr.cfg.HostEnv).
		Build()
}
