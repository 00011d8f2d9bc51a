package executor

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"
)

// startReportTimeout bounds how long Launch waits for the executor to start the task.
const startReportTimeout = 30 * time.Second

// Launched describes a running executor and its task.
type Launched struct {
	ExecutorPID       int
	ExecutorStartTime uint64
	TaskPID           int
	TaskStartTime     uint64
	// Exited is closed when this process has reaped the executor. It only
	// fires in the agent process that launched the executor.
	Exited <-chan struct{}
}

// Launch writes spec to <stateDir>/spec.json and starts executorPath ("" means
// this binary) as "executor <spec.json>" in a new session, with its own output in
// <stateDir>/executor.log. It returns once the task has started, or with the
// executor's start error. The caller must not wait for the executor: Launch reaps
// it in the background.
func Launch(spec *Spec, stateDir, executorPath string) (*Launched, error) {
	if executorPath == "" {
		p, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("failed to find the agent executable: %w", err)
		}
		executorPath = p
	}
	if err := os.MkdirAll(stateDir, 0o700); err != nil {
		return nil, fmt.Errorf("failed to create executor state dir %q: %w", stateDir, err)
	}
	specPath := filepath.Join(stateDir, "spec.json")
	if err := writeJSONAtomic(specPath, spec); err != nil {
		return nil, err
	}
	logPath := filepath.Join(stateDir, "executor.log")
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("failed to open executor log %q: %w", logPath, err)
	}
	defer logFile.Close()
	reportR, reportW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("failed to create executor report pipe: %w", err)
	}
	defer reportR.Close()

	cmd := &exec.Cmd{
		Path:        executorPath,
		Args:        []string{executorPath, Subcommand, specPath},
		Dir:         "/",
		Stdout:      logFile,
		Stderr:      logFile,
		ExtraFiles:  []*os.File{reportW}, // fd 3
		SysProcAttr: &syscall.SysProcAttr{Setsid: true},
	}
	err = cmd.Start()
	reportW.Close()
	if err != nil {
		return nil, fmt.Errorf("failed to start executor %q: %w", executorPath, err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()

	res, err := readReport(reportR)
	if err != nil {
		KillSession(cmd.Process.Pid)
		_ = cmd.Process.Kill()
		<-exited
		return nil, fmt.Errorf("executor failed: %w (log: %s)", err, tail(logPath))
	}
	if res.Error != "" {
		<-exited
		return nil, errors.New(res.Error)
	}
	est, _ := ProcStartTime(cmd.Process.Pid)
	return &Launched{
		ExecutorPID:       cmd.Process.Pid,
		ExecutorStartTime: est,
		TaskPID:           res.PID,
		TaskStartTime:     res.StartTime,
		Exited:            exited,
	}, nil
}

func readReport(r *os.File) (*StartResult, error) {
	type result struct {
		sr  StartResult
		err error
	}
	ch := make(chan result, 1)
	go func() {
		var res result
		res.err = json.NewDecoder(r).Decode(&res.sr)
		ch <- res
	}()
	select {
	case res := <-ch:
		if errors.Is(res.err, io.EOF) {
			return nil, errors.New("exited without reporting a start")
		}
		if res.err != nil {
			return nil, fmt.Errorf("failed to read start report: %w", res.err)
		}
		return &res.sr, nil
	case <-time.After(startReportTimeout):
		_ = r.SetReadDeadline(time.Now()) // unblock the reader
		return nil, fmt.Errorf("no start report within %s", startReportTimeout)
	}
}

// tail returns the last few hundred bytes of a file, for error messages.
func tail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "<unavailable>"
	}
	if len(b) > 512 {
		b = b[len(b)-512:]
	}
	return string(bytes.TrimSpace(b))
}
