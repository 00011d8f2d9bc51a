package executor

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// startInNetns starts cmd from an OS thread that joined the network namespace at
// path; the child inherits the thread's namespace. The thread is never unlocked, so
// the runtime discards it when the goroutine ends and no other goroutine ever runs
// in the task's namespace.
func startInNetns(cmd *exec.Cmd, path string) error {
	errCh := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		f, err := os.Open(path)
		if err != nil {
			errCh <- fmt.Errorf("failed to open netns %q: %w", path, err)
			return
		}
		defer f.Close()
		if err := unix.Setns(int(f.Fd()), unix.CLONE_NEWNET); err != nil {
			errCh <- fmt.Errorf("failed to enter netns %q: %w", path, err)
			return
		}
		errCh <- cmd.Start()
	}()
	return <-errCh
}

// lookPath resolves the task's command: a path with a slash is taken relative to
// the task dir; a bare name is looked up in <taskDir>/local, <taskDir> and then in
// the task's PATH (or the executor's when the task has none).
func lookPath(command, taskDir string, env []string) (string, error) {
	if strings.Contains(command, "/") {
		p := command
		if !filepath.IsAbs(p) {
			p = filepath.Join(taskDir, p)
		}
		if err := isExecutable(p); err != nil {
			return "", fmt.Errorf("failed to find command %q: %w", command, err)
		}
		return p, nil
	}
	dirs := []string{filepath.Join(taskDir, "local"), taskDir}
	pathVar, ok := lookupEnv(env, "PATH")
	if !ok {
		pathVar = os.Getenv("PATH")
	}
	dirs = append(dirs, filepath.SplitList(pathVar)...)
	for _, d := range dirs {
		if d == "" {
			continue
		}
		p := filepath.Join(d, command)
		if isExecutable(p) == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("failed to find command %q in task dir or PATH: %w", command, exec.ErrNotFound)
}

func isExecutable(p string) error {
	fi, err := os.Stat(p)
	if err != nil {
		return err
	}
	if fi.IsDir() || fi.Mode()&0o111 == 0 {
		return fmt.Errorf("%q is not an executable file: %w", p, os.ErrPermission)
	}
	return nil
}

func lookupEnv(env []string, key string) (string, bool) {
	for i := len(env) - 1; i >= 0; i-- {
		if v, ok := strings.CutPrefix(env[i], key+"="); ok {
			return v, true
		}
	}
	return "", false
}

// credentialFor resolves a user name or numeric uid into the credential the task
// runs with, including its supplementary groups.
func credentialFor(name string) (*syscall.Credential, error) {
	u, err := user.Lookup(name)
	if err != nil {
		var unknown user.UnknownUserError
		if _, convErr := strconv.Atoi(name); convErr != nil || !errors.As(err, &unknown) {
			return nil, fmt.Errorf("failed to look up user %q: %w", name, err)
		}
		if u, err = user.LookupId(name); err != nil {
			return nil, fmt.Errorf("failed to look up user %q: %w", name, err)
		}
	}
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("failed to parse uid %q of user %q: %w", u.Uid, name, err)
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("failed to parse gid %q of user %q: %w", u.Gid, name, err)
	}
	cred := &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	if gids, err := u.GroupIds(); err == nil {
		for _, g := range gids {
			if n, err := strconv.ParseUint(g, 10, 32); err == nil {
				cred.Groups = append(cred.Groups, uint32(n))
			}
		}
	}
	return cred, nil
}
