package executor

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// Spec is what the executor is asked to run. It is written as JSON by Launch and
// read by Main.
type Spec struct {
	// Command is resolved against TaskDir/local, TaskDir and then PATH (the task's
	// PATH if its env has one, else the executor's).
	Command string   `json:"command"`
	Args    []string `json:"args,omitempty"`
	// TaskDir is the task's working directory.
	TaskDir string `json:"task_dir"`
	// Env is the task's whole environment, "K=V" entries; nothing is inherited.
	Env []string `json:"env"`
	// User, when set, is the user (name or uid) the task runs as.
	User string `json:"user,omitempty"`
	// NetnsPath, when set, is the network namespace the task starts in.
	NetnsPath string `json:"netns_path,omitempty"`

	// LogDir holds <StdoutName>.N and <StderrName>.N.
	LogDir          string `json:"log_dir"`
	StdoutName      string `json:"stdout_name"`
	StderrName      string `json:"stderr_name"`
	LogMaxFiles     int    `json:"log_max_files"`
	LogMaxFileBytes int64  `json:"log_max_file_bytes"`

	// ExitFile receives the ExitState, atomically, when the task has exited.
	ExitFile string `json:"exit_file"`
}

// StartResult is what the executor reports on fd 3 once the task started (or
// failed to).
type StartResult struct {
	PID       int    `json:"pid,omitempty"`
	StartTime uint64 `json:"start_time,omitempty"`
	Error     string `json:"error,omitempty"`
}

// ExitState is the content of the exit file. A task killed by a signal has
// Signal set and ExitCode 128+Signal, as in Nomad.
type ExitState struct {
	ExitCode   int       `json:"exit_code"`
	Signal     int       `json:"signal"`
	Error      string    `json:"error,omitempty"`
	FinishedAt time.Time `json:"finished_at"`
}

// ReadExitState reads an exit file. It returns an error wrapping os.ErrNotExist
// while the task is still running.
func ReadExitState(path string) (*ExitState, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("failed to read exit file %q: %w", path, err)
	}
	var s ExitState
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("failed to decode exit file %q: %w", path, err)
	}
	return &s, nil
}

// writeJSONAtomic writes v to path through a temporary file and rename, so readers
// never see a partial file.
func writeJSONAtomic(path string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("failed to encode %q: %w", path, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("failed to create temporary file for %q: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("failed to write %q: %w", tmp.Name(), err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("failed to sync %q: %w", tmp.Name(), err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("failed to close %q: %w", tmp.Name(), err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("failed to rename %q to %q: %w", tmp.Name(), path, err)
	}
	return nil
}
