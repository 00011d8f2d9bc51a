package executor

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/shoenig/test/must"
	"github.com/shoenig/test/wait"
)

func TestProcStartTime(t *testing.T) {
	st, err := ProcStartTime(os.Getpid())
	must.NoError(t, err)
	must.Positive(t, st)
	must.True(t, ProcessRunning(os.Getpid(), st))
	must.True(t, ProcessRunning(os.Getpid(), 0))
	must.False(t, ProcessRunning(os.Getpid(), st+1), must.Sprint("a different start time means a reused PID"))
	must.False(t, ProcessRunning(1<<22+7, 0))
	must.False(t, ProcessRunning(0, 0))

	// A reaped child is not running; a zombie is not either.
	cmd := exec.Command("/bin/true")
	must.NoError(t, cmd.Start())
	must.NoError(t, cmd.Wait())
	must.False(t, ProcessRunning(cmd.Process.Pid, 0))
}

func TestLookPath(t *testing.T) {
	taskDir := t.TempDir()
	must.NoError(t, os.MkdirAll(filepath.Join(taskDir, "local"), 0o755))
	must.NoError(t, os.WriteFile(filepath.Join(taskDir, "local", "app"), []byte("#!/bin/sh\n"), 0o755))
	must.NoError(t, os.WriteFile(filepath.Join(taskDir, "data"), []byte("x"), 0o644))
	binDir := t.TempDir()
	must.NoError(t, os.WriteFile(filepath.Join(binDir, "tool"), []byte("#!/bin/sh\n"), 0o755))

	cases := []struct {
		name, cmd string
		env       []string
		want      string
		wantErr   bool
	}{
		{name: "absolute", cmd: "/bin/sh", want: "/bin/sh"},
		{name: "relative to task dir", cmd: "local/app", want: filepath.Join(taskDir, "local", "app")},
		{name: "bare name in local", cmd: "app", want: filepath.Join(taskDir, "local", "app")},
		{name: "task PATH", cmd: "tool", env: []string{"PATH=" + binDir}, want: filepath.Join(binDir, "tool")},
		{name: "not executable", cmd: "./data", wantErr: true},
		{name: "missing", cmd: "no-such-tool-xyz", env: []string{"PATH=" + binDir}, wantErr: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := lookPath(tc.cmd, taskDir, tc.env)
			if tc.wantErr {
				must.Error(t, err)
				return
			}
			must.NoError(t, err)
			must.Eq(t, tc.want, got)
		})
	}
}

func TestExitStateOf(t *testing.T) {
	cases := []struct {
		name         string
		script       string
		code, signal int
	}{
		{"success", "exit 0", 0, 0},
		{"exit code", "exit 3", 3, 0},
		{"killed", "kill -9 $$", 137, 9},
		{"terminated", "kill -15 $$", 143, 15},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := exitStateOf(exec.Command("/bin/sh", "-c", tc.script).Run())
			must.Eq(t, tc.code, s.ExitCode)
			must.Eq(t, tc.signal, s.Signal)
			must.Eq(t, "", s.Error)
		})
	}
	s := exitStateOf(errors.New("boom"))
	must.Eq(t, -1, s.ExitCode)
	must.Eq(t, "boom", s.Error)
}

func TestExitStateFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "exit.json")
	_, err := ReadExitState(p)
	must.ErrorIs(t, err, os.ErrNotExist)
	must.NoError(t, writeJSONAtomic(p, &ExitState{ExitCode: 4, Signal: 0}))
	s, err := ReadExitState(p)
	must.NoError(t, err)
	must.Eq(t, 4, s.ExitCode)
	entries, err := os.ReadDir(filepath.Dir(p))
	must.NoError(t, err)
	must.Len(t, 1, entries, must.Sprint("no temporary files left behind"))
}

func TestKillSession(t *testing.T) {
	// A session leader with a child in its own process group, like an executor
	// and its task.
	pidFile := filepath.Join(t.TempDir(), "pid")
	cmd := exec.Command("/bin/sh", "-c", "set -m; sleep 60 & echo $! > "+pidFile+"; wait")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	must.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	var child int
	must.Wait(t, wait.InitialSuccess(wait.BoolFunc(func() bool {
		b, err := os.ReadFile(pidFile)
		if err != nil || len(b) == 0 {
			return false
		}
		child, err = strconv.Atoi(strings.TrimSpace(string(b)))
		return err == nil
	}), wait.Timeout(5*time.Second), wait.Gap(10*time.Millisecond)))
	t.Cleanup(func() { _ = syscall.Kill(child, syscall.SIGKILL) })
	must.True(t, ProcessRunning(child, 0))

	KillSession(cmd.Process.Pid)
	must.Wait(t, wait.InitialSuccess(wait.BoolFunc(func() bool {
		return !ProcessRunning(child, 0) && !ProcessRunning(cmd.Process.Pid, 0)
	}), wait.Timeout(5*time.Second), wait.Gap(10*time.Millisecond)))
}
