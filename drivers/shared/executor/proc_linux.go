package executor

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"syscall"
)

// ProcStartTime returns field 22 (starttime, clock ticks since boot) of
// /proc/<pid>/stat. Together with the PID it identifies a process across PID reuse.
func ProcStartTime(pid int) (uint64, error) {
	_, start, err := procStat(pid)
	return start, err
}

// ProcessRunning reports whether pid is a live (not zombie) process that started
// at startTime. A startTime of 0 skips the reuse check.
func ProcessRunning(pid int, startTime uint64) bool {
	if pid <= 0 {
		return false
	}
	state, start, err := procStat(pid)
	if err != nil || state == 'Z' || state == 'X' {
		return false
	}
	return startTime == 0 || start == startTime
}

// KillSession SIGKILLs every process whose session ID is sid: an executor (a
// session leader) and everything it started. It is used when the executor's
// report cannot be trusted, so the task's PID is unknown.
func KillSession(sid int) {
	if sid <= 1 {
		return
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		i := bytes.LastIndexByte(b, ')')
		if i < 0 {
			continue
		}
		// After ')': state, ppid, pgrp, session.
		f := bytes.Fields(b[i+1:])
		if len(f) > 3 && string(f[3]) == strconv.Itoa(sid) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

// procStat returns the state letter and starttime of a process.
func procStat(pid int) (byte, uint64, error) {
	p := "/proc/" + strconv.Itoa(pid) + "/stat"
	b, err := os.ReadFile(p)
	if err != nil {
		return 0, 0, fmt.Errorf("failed to read %q: %w", p, err)
	}
	// The command name (field 2) may contain spaces and parentheses: the fields
	// we want follow the last ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, 0, fmt.Errorf("failed to parse %q: no command name", p)
	}
	fields := bytes.Fields(b[i+1:])
	// fields[0] is field 3 (state); starttime is field 22.
	if len(fields) < 20 {
		return 0, 0, fmt.Errorf("failed to parse %q: %d fields", p, len(fields)+2)
	}
	start, err := strconv.ParseUint(string(fields[19]), 10, 64)
	if err != nil {
		return 0, 0, fmt.Errorf("failed to parse starttime in %q: %w", p, err)
	}
	return fields[0][0], start, nil
}
