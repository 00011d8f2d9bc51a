package allocdir

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/shoenig/test/must"
)

func TestAllocDir_Layout(t *testing.T) {
	root := t.TempDir()
	d := NewAllocDir(root, "a1")
	must.NoError(t, d.Build())
	must.NoError(t, d.Build()) // idempotent

	web := d.NewTaskDir("web")
	must.NoError(t, web.Build())
	side := d.NewTaskDir("sidecar")
	must.NoError(t, side.Build())
	must.Eq(t, web, d.NewTaskDir("web"))

	for _, tc := range []struct {
		name string
		path string
		mode os.FileMode
	}{
		{"alloc data", "a1/alloc/data", 0o755},
		{"alloc logs", "a1/alloc/logs", 0o755},
		{"alloc tmp", "a1/alloc/tmp", 0o1777 | os.ModeSticky},
		{"web local", "a1/web/local", 0o755},
		{"web secrets", "a1/web/secrets", 0o700},
		{"web tmp", "a1/web/tmp", 0o1777 | os.ModeSticky},
		{"sidecar local", "a1/sidecar/local", 0o755},
		{"sidecar secrets", "a1/sidecar/secrets", 0o700},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fi, err := os.Stat(filepath.Join(root, tc.path))
			must.NoError(t, err)
			must.True(t, fi.IsDir())
			must.Eq(t, tc.mode.Perm(), fi.Mode().Perm())
		})
	}
	must.Eq(t, filepath.Join(root, "a1", "alloc", "logs"), web.LogDir)
	must.Eq(t, filepath.Join(root, "a1", "web", "local"), web.LocalDir)

	must.NoError(t, d.Destroy())
	_, err := os.Stat(filepath.Join(root, "a1"))
	must.True(t, os.IsNotExist(err))
	must.NoError(t, d.Destroy()) // destroying twice is fine
}
