// Package logrotate writes a stream into size-bounded, numbered files the way
// Nomad's logmon does: <dir>/<base>.0, <base>.1, ... Only the newest MaxFiles
// files are kept; older ones are deleted as soon as a new file is opened.
package logrotate

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
)

// FileRotator is an io.WriteCloser over rotating files. It is safe for concurrent
// use. When it is created it resumes the highest-numbered existing file (so a
// restarted writer appends instead of overwriting), opening a new one if that file
// is already full.
type FileRotator struct {
	dir      string
	base     string
	maxFiles int
	maxBytes int64

	mu      sync.Mutex
	cur     *os.File
	idx     int
	written int64
	closed  bool
}

var _ io.WriteCloser = (*FileRotator)(nil)

// NewFileRotator opens (creating dir if needed) the current file for base in dir.
// maxFiles < 1 is treated as 1; maxBytes < 1 disables rotation.
func NewFileRotator(dir, base string, maxFiles int, maxBytes int64) (*FileRotator, error) {
	if maxFiles < 1 {
		maxFiles = 1
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("failed to create log dir %q: %w", dir, err)
	}
	r := &FileRotator{dir: dir, base: base, maxFiles: maxFiles, maxBytes: maxBytes}
	idx, err := r.lastIndex()
	if err != nil {
		return nil, err
	}
	if err := r.open(idx); err != nil {
		return nil, err
	}
	if r.full() {
		if err := r.rotate(); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// Path returns the name of the file with index idx.
func (r *FileRotator) Path(idx int) string {
	return filepath.Join(r.dir, r.base+"."+strconv.Itoa(idx))
}

// Write writes p, splitting it across files when the current one fills up.
func (r *FileRotator) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return 0, os.ErrClosed
	}
	total := 0
	for len(p) > 0 {
		if r.full() {
			if err := r.rotate(); err != nil {
				return total, err
			}
		}
		chunk := p
		if r.maxBytes > 0 {
			if room := r.maxBytes - r.written; int64(len(chunk)) > room {
				chunk = chunk[:room]
			}
		}
		n, err := r.cur.Write(chunk)
		total += n
		r.written += int64(n)
		if err != nil {
			return total, fmt.Errorf("failed to write log file %q: %w", r.cur.Name(), err)
		}
		p = p[n:]
	}
	return total, nil
}

// Close closes the current file. Further writes fail with os.ErrClosed.
func (r *FileRotator) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil
	}
	r.closed = true
	return r.cur.Close()
}

func (r *FileRotator) full() bool {
	return r.maxBytes > 0 && r.written >= r.maxBytes
}

// rotate opens the next file and deletes files that fell out of the window.
func (r *FileRotator) rotate() error {
	if err := r.cur.Close(); err != nil {
		return fmt.Errorf("failed to close log file %q: %w", r.cur.Name(), err)
	}
	if err := r.open(r.idx + 1); err != nil {
		return err
	}
	return r.purge()
}

func (r *FileRotator) open(idx int) error {
	p := r.Path(idx)
	f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("failed to open log file %q: %w", p, err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("failed to stat log file %q: %w", p, err)
	}
	r.cur, r.idx, r.written = f, idx, fi.Size()
	return nil
}

// purge removes every file whose index is older than the newest maxFiles.
func (r *FileRotator) purge() error {
	idxs, err := r.indexes()
	if err != nil {
		return err
	}
	var errs []error
	for _, i := range idxs {
		if i <= r.idx-r.maxFiles {
			if err := os.Remove(r.Path(i)); err != nil && !errors.Is(err, os.ErrNotExist) {
				errs = append(errs, fmt.Errorf("failed to remove old log file %q: %w", r.Path(i), err))
			}
		}
	}
	return errors.Join(errs...)
}

func (r *FileRotator) lastIndex() (int, error) {
	idxs, err := r.indexes()
	if err != nil {
		return 0, err
	}
	last := 0
	for _, i := range idxs {
		last = max(last, i)
	}
	return last, nil
}

// indexes lists the indexes of the existing files of this rotator.
func (r *FileRotator) indexes() ([]int, error) {
	entries, err := os.ReadDir(r.dir)
	if err != nil {
		return nil, fmt.Errorf("failed to read log dir %q: %w", r.dir, err)
	}
	var out []int
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), r.base+".")
		if !ok {
			continue
		}
		if i, err := strconv.Atoi(rest); err == nil && i >= 0 {
			out = append(out, i)
		}
	}
	return out, nil
}
