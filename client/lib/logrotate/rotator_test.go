package logrotate

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shoenig/test/must"
)

func readLogs(t *testing.T, dir string) map[string]string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	must.NoError(t, err)
	out := map[string]string{}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		must.NoError(t, err)
		out[e.Name()] = string(b)
	}
	return out
}

func TestFileRotator(t *testing.T) {
	cases := []struct {
		name     string
		maxFiles int
		maxBytes int64
		writes   []string
		want     map[string]string
	}{
		{
			name: "fits in first file", maxFiles: 3, maxBytes: 10,
			writes: []string{"abc", "def"},
			want:   map[string]string{"web.stdout.0": "abcdef"},
		},
		{
			name: "write split across files", maxFiles: 3, maxBytes: 4,
			writes: []string{"abcdefghij"},
			want:   map[string]string{"web.stdout.0": "abcd", "web.stdout.1": "efgh", "web.stdout.2": "ij"},
		},
		{
			name: "oldest deleted beyond max files", maxFiles: 2, maxBytes: 3,
			writes: []string{"aaa", "bbb", "ccc", "dd"},
			want:   map[string]string{"web.stdout.2": "ccc", "web.stdout.3": "dd"},
		},
		{
			name: "exact fill does not open an empty file", maxFiles: 5, maxBytes: 3,
			writes: []string{"aaa"},
			want:   map[string]string{"web.stdout.0": "aaa"},
		},
		{
			name: "zero size disables rotation", maxFiles: 1, maxBytes: 0,
			writes: []string{strings.Repeat("x", 100)},
			want:   map[string]string{"web.stdout.0": strings.Repeat("x", 100)},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			r, err := NewFileRotator(dir, "web.stdout", tc.maxFiles, tc.maxBytes)
			must.NoError(t, err)
			for _, w := range tc.writes {
				n, err := r.Write([]byte(w))
				must.NoError(t, err)
				must.Eq(t, len(w), n)
			}
			must.NoError(t, r.Close())
			must.Eq(t, tc.want, readLogs(t, dir))
		})
	}
}

func TestFileRotator_ResumesLastFile(t *testing.T) {
	dir := t.TempDir()
	r, err := NewFileRotator(dir, "web.stderr", 3, 4)
	must.NoError(t, err)
	_, err = r.Write([]byte("abcdef"))
	must.NoError(t, err)
	must.NoError(t, r.Close())

	// A new writer (e.g. after a restart) appends to .1 rather than truncating .0.
	r2, err := NewFileRotator(dir, "web.stderr", 3, 4)
	must.NoError(t, err)
	_, err = r2.Write([]byte("gh12"))
	must.NoError(t, err)
	must.NoError(t, r2.Close())
	must.Eq(t, map[string]string{"web.stderr.0": "abcd", "web.stderr.1": "efgh", "web.stderr.2": "12"}, readLogs(t, dir))

	_, err = r2.Write([]byte("x"))
	must.ErrorIs(t, err, os.ErrClosed)
}

func TestFileRotator_IgnoresOtherFiles(t *testing.T) {
	dir := t.TempDir()
	must.NoError(t, os.WriteFile(filepath.Join(dir, "api.stdout.7"), []byte("other"), 0o644))
	must.NoError(t, os.WriteFile(filepath.Join(dir, "web.stdout.tmp"), []byte("junk"), 0o644))
	r, err := NewFileRotator(dir, "web.stdout", 1, 2)
	must.NoError(t, err)
	_, err = r.Write([]byte("abcd"))
	must.NoError(t, err)
	must.NoError(t, r.Close())
	must.Eq(t, map[string]string{"api.stdout.7": "other", "web.stdout.tmp": "junk", "web.stdout.1": "cd"}, readLogs(t, dir))
}
