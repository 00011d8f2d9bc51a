// Package allocdir builds and destroys an allocation's directory tree:
//
//	<root>/<alloc_id>/
//	├── alloc/            shared by the group's tasks (NOMAD_ALLOC_DIR)
//	│   ├── data/
//	│   ├── logs/         <task>.stdout.N, <task>.stderr.N
//	│   └── tmp/
//	└── <task>/           the task's working directory
//	    ├── local/        NOMAD_TASK_DIR
//	    ├── secrets/      NOMAD_SECRETS_DIR
//	    └── tmp/
package allocdir

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
)

// Directory names, as Nomad spells them.
const (
	SharedAllocName = "alloc"
	SharedDataDir   = "data"
	LogDirName      = "logs"
	TmpDirName      = "tmp"
	TaskLocal       = "local"
	TaskSecrets     = "secrets"
)

// AllocDir is one allocation's directory. Methods are safe for concurrent use.
type AllocDir struct {
	// AllocDir is <root>/<alloc_id>.
	AllocDir string
	// SharedDir is <AllocDir>/alloc.
	SharedDir string
	// LogDir is <SharedDir>/logs.
	LogDir string

	mu       sync.Mutex
	taskDirs map[string]*TaskDir
}

// NewAllocDir describes the directory of allocID under root; nothing is created
// until Build.
func NewAllocDir(root, allocID string) *AllocDir {
	dir := filepath.Join(root, allocID)
	shared := filepath.Join(dir, SharedAllocName)
	return &AllocDir{
		AllocDir:  dir,
		SharedDir: shared,
		LogDir:    filepath.Join(shared, LogDirName),
		taskDirs:  map[string]*TaskDir{},
	}
}

// Build creates the allocation and shared directories. It is idempotent, so a
// restored allocation can call it again.
func (d *AllocDir) Build() error {
	for _, dir := range []string{
		d.AllocDir,
		d.SharedDir,
		filepath.Join(d.SharedDir, SharedDataDir),
		d.LogDir,
		filepath.Join(d.SharedDir, TmpDirName),
	} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("failed to create alloc dir %q: %w", dir, err)
		}
	}
	// tmp dirs are world writable like /tmp, since tasks may run as other users.
	if err := os.Chmod(filepath.Join(d.SharedDir, TmpDirName), 0o1777); err != nil {
		return fmt.Errorf("failed to chmod alloc tmp dir: %w", err)
	}
	return nil
}

// NewTaskDir returns (and remembers) the directory of the named task; it is not
// created until TaskDir.Build.
func (d *AllocDir) NewTaskDir(name string) *TaskDir {
	d.mu.Lock()
	defer d.mu.Unlock()
	if td, ok := d.taskDirs[name]; ok {
		return td
	}
	dir := filepath.Join(d.AllocDir, name)
	td := &TaskDir{
		Dir:            dir,
		LocalDir:       filepath.Join(dir, TaskLocal),
		SecretsDir:     filepath.Join(dir, TaskSecrets),
		TmpDir:         filepath.Join(dir, TmpDirName),
		SharedAllocDir: d.SharedDir,
		LogDir:         d.LogDir,
	}
	d.taskDirs[name] = td
	return td
}

// Destroy removes the whole allocation directory. Removing a directory that does
// not exist is not an error.
func (d *AllocDir) Destroy() error {
	if err := os.RemoveAll(d.AllocDir); err != nil {
		return fmt.Errorf("failed to remove alloc dir %q: %w", d.AllocDir, err)
	}
	return nil
}

// TaskDir is one task's directory inside an allocation directory.
type TaskDir struct {
	// Dir is <alloc_dir>/<task>: the task's working directory.
	Dir        string
	LocalDir   string
	SecretsDir string
	TmpDir     string
	// SharedAllocDir is <alloc_dir>/alloc and LogDir <alloc_dir>/alloc/logs.
	SharedAllocDir string
	LogDir         string
}

// Build creates the task's directories. It is idempotent.
func (t *TaskDir) Build() error {
	for _, dir := range []struct {
		path string
		mode os.FileMode
	}{
		{t.Dir, 0o755},
		{t.LocalDir, 0o755},
		{t.SecretsDir, 0o700},
		{t.TmpDir, 0o1777},
	} {
		if err := os.MkdirAll(dir.path, dir.mode); err != nil {
			return fmt.Errorf("failed to create task dir %q: %w", dir.path, err)
		}
		if err := os.Chmod(dir.path, dir.mode); err != nil {
			return fmt.Errorf("failed to chmod task dir %q: %w", dir.path, err)
		}
	}
	return nil
}
