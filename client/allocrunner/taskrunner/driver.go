package taskrunner

import (
	"errors"
	"fmt"

	"github.com/netnomad/netnomad/drivers"
	"github.com/netnomad/netnomad/nomad/structs"
)

// errNoDriver fails a task whose driver is not enabled on this client; it is not
// worth restarting.
var errNoDriver = errors.New("driver not available")

// runDriver builds the task's interpolated config and environment and starts it.
func (tr *TaskRunner) runDriver() error {
	if tr.driver == nil {
		return fmt.Errorf("failed to start task %q: %w: %q", tr.taskName, errNoDriver, tr.Task().Driver)
	}
	cfg, err := tr.buildTaskConfig()
	if err != nil {
		return err
	}
	h, err := tr.driver.StartTask(cfg)
	if err != nil {
		return fmt.Errorf("failed to launch command with executor: %w", err)
	}
	tr.setHandle(h)
	tr.UpdateState(structs.TaskStateRunning, newEvent(structs.TaskStarted))
	return nil
}

// buildTaskConfig turns the task into what the driver needs.
func (tr *TaskRunner) buildTaskConfig() (*drivers.TaskConfig, error) {
	tr.mu.RLock()
	alloc, task := tr.alloc, tr.task
	tr.mu.RUnlock()

	netStatus := tr.cfg.NetworkStatus()
	env := tr.buildEnv(alloc, task, netStatus)

	cfg := &drivers.TaskConfig{
		ID:            tr.taskID,
		AllocID:       alloc.ID,
		Name:          task.Name,
		TaskGroupName: alloc.TaskGroup,
		User:          task.User,
		Env:           env.Map(),
		Config:        env.ReplaceConfig(task.Config),
		AllocDir:      tr.cfg.AllocDir,
		TaskDir:       tr.cfg.TaskDir.Dir,
		LogDir:        tr.cfg.TaskDir.LogDir,
	}
	if alloc.Job != nil {
		cfg.JobName = alloc.Job.Name
	}
	if netStatus != nil {
		cfg.NetnsPath = netStatus.NetnsPath
	}
	if task.LogConfig != nil {
		cfg.LogMaxFiles = task.LogConfig.MaxFiles
		cfg.LogMaxFileSizeMB = task.LogConfig.MaxFileSizeMB
	}
	if cfg.LogMaxFiles == 0 {
		cfg.LogMaxFiles = 10
	}
	if cfg.LogMaxFileSizeMB == 0 {
		cfg.LogMaxFileSizeMB = 10
	}
	if task.Resources != nil {
		cfg.CPU = task.Resources.CPU
		cfg.MemoryMB = task.Resources.MemoryMB
	}
	if alloc.AllocatedResources != nil {
		if tr, ok := alloc.AllocatedResources.Tasks[task.Name]; ok && tr != nil {
			cfg.CPU, cfg.MemoryMB = int(tr.CPUShares), int(tr.MemoryMB)
		}
	}
	return cfg, nil
}
