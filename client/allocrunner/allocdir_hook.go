package allocrunner

import (
	"github.com/hashicorp/go-hclog"

	"github.com/netnomad/netnomad/client/allocdir"
	"github.com/netnomad/netnomad/client/allocrunner/interfaces"
)

// allocDirHook builds the allocation directory and removes it on destroy.
type allocDirHook struct {
	dir    *allocdir.AllocDir
	logger hclog.Logger
}

var (
	_ interfaces.RunnerPrerunHook  = (*allocDirHook)(nil)
	_ interfaces.RunnerDestroyHook = (*allocDirHook)(nil)
)

func newAllocDirHook(dir *allocdir.AllocDir, logger hclog.Logger) *allocDirHook {
	return &allocDirHook{dir: dir, logger: logger.Named("alloc_dir")}
}

func (*allocDirHook) Name() string { return "alloc_dir" }

// Prerun builds the directory; it is idempotent across agent restarts.
func (h *allocDirHook) Prerun() error { return h.dir.Build() }

// Destroy removes the directory and everything in it (logs included).
func (h *allocDirHook) Destroy() error { return h.dir.Destroy() }
