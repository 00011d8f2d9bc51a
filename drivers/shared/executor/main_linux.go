package executor

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"sort"
	"syscall"
	"time"

	"github.com/netnomad/netnomad/client/lib/logrotate"
)

// reportFD is the descriptor on which the executor reports StartResult.
const reportFD = 3

// logDrainTimeout bounds how long the executor keeps copying output after the task
// exited (children of the task may hold the pipes open).
const logDrainTimeout = 5 * time.Second

// Main runs the executor: args are the arguments after "executor" (the spec file
// path). It returns the process exit code: 0 once the task's exit status is
// recorded, 1 when the task could not be started, 2 on bad usage.
func Main(args []string) int {
	if len(args) != 1 {
		fmt.Fprintln(os.Stderr, "usage: nomad executor <spec.json>")
		return 2
	}
	// fd 3 was inherited without close-on-exec: keep the task from inheriting it,
	// or the agent would wait for EOF until the task exits.
	syscall.CloseOnExec(reportFD)
	report := os.NewFile(reportFD, "executor-report")
	spec, err := readSpec(args[0])
	if err != nil {
		return startFailed(report, err)
	}

	// The executor outlives the agent: stray terminal or group signals must not
	// kill it. Catch them (rather than ignore them, which the task would inherit).
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGHUP, syscall.SIGINT, syscall.SIGTERM, syscall.SIGQUIT)
	go func() {
		for s := range sigs {
			fmt.Fprintf(os.Stderr, "executor: ignoring signal %v\n", s)
		}
	}()

	stdout, err := logrotate.NewFileRotator(spec.LogDir, spec.StdoutName, spec.LogMaxFiles, spec.LogMaxFileBytes)
	if err != nil {
		return startFailed(report, err)
	}
	defer stdout.Close()
	stderr, err := logrotate.NewFileRotator(spec.LogDir, spec.StderrName, spec.LogMaxFiles, spec.LogMaxFileBytes)
	if err != nil {
		return startFailed(report, err)
	}
	defer stderr.Close()

	cmd, outR, errR, err := startTask(spec)
	if err != nil {
		return startFailed(report, err)
	}
	pid := cmd.Process.Pid
	st, _ := ProcStartTime(pid)
	if report != nil {
		_ = json.NewEncoder(report).Encode(StartResult{PID: pid, StartTime: st})
		report.Close()
	}

	drained := make(chan struct{}, 2)
	go copyLog(stdout, outR, drained)
	go copyLog(stderr, errR, drained)

	state := exitStateOf(cmd.Wait())
	timeout := time.NewTimer(logDrainTimeout)
	for n := 0; n < 2; {
		select {
		case <-drained:
			n++
		case <-timeout.C:
			fmt.Fprintln(os.Stderr, "executor: task output still open after exit, closing it")
			outR.Close()
			errR.Close()
			n = 2
		}
	}
	if err := writeJSONAtomic(spec.ExitFile, state); err != nil {
		fmt.Fprintf(os.Stderr, "executor: %v\n", err)
		return 1
	}
	return 0
}

func startFailed(report *os.File, err error) int {
	fmt.Fprintf(os.Stderr, "executor: %v\n", err)
	if report != nil {
		_ = json.NewEncoder(report).Encode(StartResult{Error: err.Error()})
		report.Close()
	}
	return 1
}

func readSpec(path string) (*Spec, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("failed to read executor spec %q: %w", path, err)
	}
	var s Spec
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("failed to decode executor spec %q: %w", path, err)
	}
	if s.Command == "" {
		return nil, errors.New("missing command")
	}
	return &s, nil
}

func copyLog(dst io.Writer, src io.ReadCloser, done chan<- struct{}) {
	_, _ = io.Copy(dst, src)
	src.Close()
	done <- struct{}{}
}

// startTask starts the task in its own process group with exactly the spec's
// environment and returns the read ends of its stdout and stderr.
func startTask(spec *Spec) (*exec.Cmd, *os.File, *os.File, error) {
	path, err := lookPath(spec.Command, spec.TaskDir, spec.Env)
	if err != nil {
		return nil, nil, nil, err
	}
	env := append([]string{}, spec.Env...) // never nil: nil would inherit our env
	sort.Strings(env)
	attr := &syscall.SysProcAttr{Setpgid: true}
	if spec.User != "" {
		cred, err := credentialFor(spec.User)
		if err != nil {
			return nil, nil, nil, err
		}
		attr.Credential = cred
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		return nil, nil, nil, fmt.Errorf("failed to create stdout pipe: %w", err)
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		outR.Close()
		outW.Close()
		return nil, nil, nil, fmt.Errorf("failed to create stderr pipe: %w", err)
	}
	cmd := &exec.Cmd{
		Path:        path,
		Args:        append([]string{spec.Command}, spec.Args...),
		Dir:         spec.TaskDir,
		Env:         env,
		Stdout:      outW,
		Stderr:      errW,
		SysProcAttr: attr,
	}
	if spec.NetnsPath != "" {
		err = startInNetns(cmd, spec.NetnsPath)
	} else {
		err = cmd.Start()
	}
	outW.Close()
	errW.Close()
	if err != nil {
		outR.Close()
		errR.Close()
		return nil, nil, nil, fmt.Errorf("failed to start command %q: %w", spec.Command, err)
	}
	return cmd, outR, errR, nil
}

// exitStateOf turns cmd.Wait's result into an ExitState; a signalled task gets
// ExitCode 128+signal as in Nomad.
func exitStateOf(err error) *ExitState {
	s := &ExitState{FinishedAt: time.Now().UTC()}
	if err == nil {
		return s
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		s.ExitCode = -1
		s.Error = err.Error()
		return s
	}
	ws, ok := ee.Sys().(syscall.WaitStatus)
	if !ok {
		s.ExitCode = ee.ExitCode()
		return s
	}
	if ws.Signaled() {
		s.Signal = int(ws.Signal())
		s.ExitCode = 128 + s.Signal
		return s
	}
	s.ExitCode = ws.ExitStatus()
	return s
}
