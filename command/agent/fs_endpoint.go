package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/nomad/api"
)

// Log streaming knobs: how often a follower looks for new data, how often an idle
// stream sends a heartbeat frame, and the largest frame.
const (
	logPollInterval   = 200 * time.Millisecond
	logHeartbeatEvery = 10 * time.Second
	logFrameSize      = 64 << 10
)

// logsRequest serves GET /v1/client/fs/logs/<alloc_id>?task=&type=&follow=&origin=&offset=&plain=.
// Logs live in <alloc dir>/alloc/logs/<task>.<type>.<N>, N counting up as files
// rotate; the stream walks them in order and, with follow, waits for more.
func (s *HTTPServer) logsRequest(w http.ResponseWriter, r *http.Request) (any, error) {
	if r.Method != http.MethodGet {
		return nil, errMethodNotAllowed
	}
	cl, err := s.agent.requireClient()
	if err != nil {
		return nil, err
	}
	parts := pathParts(r, "/v1/client/fs/logs/")
	if len(parts) != 1 {
		return nil, badRequest("missing allocation ID")
	}
	q := r.URL.Query()
	task := q.Get("task")
	if task == "" {
		return nil, badRequest("must provide task name")
	}
	logType := q.Get("type")
	if logType != "stdout" && logType != "stderr" {
		return nil, badRequest("must provide log type (stdout/stderr)")
	}
	follow := q.Get("follow") == "true"
	plain := q.Get("plain") == "true"
	origin := q.Get("origin")
	if origin == "" {
		origin = "start"
	}
	if origin != "start" && origin != "end" {
		return nil, badRequest("origin must be start or end")
	}
	var offset int64
	if v := q.Get("offset"); v != "" {
		if offset, err = strconv.ParseInt(v, 10, 64); err != nil || offset < 0 {
			return nil, badRequest("invalid offset %q", v)
		}
	}
	allocDir, err := cl.AllocDir(parts[0])
	if err != nil {
		return nil, notFound("unknown allocation %q", parts[0])
	}
	ls := &logStream{
		dir:    filepath.Join(allocDir, "alloc", "logs"),
		prefix: task + "." + logType + ".",
		follow: follow,
	}
	if !follow && len(ls.files()) == 0 {
		return nil, notFound("no %s logs for task %q", logType, task)
	}
	w.Header().Set("Content-Type", "application/json")
	if plain {
		w.Header().Set("Content-Type", "text/plain")
	}
	w.WriteHeader(http.StatusOK)
	out := frameWriter{w: w, plain: plain}
	if err := ls.stream(r.Context(), origin, offset, out); err != nil && !errors.Is(err, context.Canceled) {
		s.logger.Debug("log stream ended", "alloc_id", parts[0], "task", task, "error", err)
	}
	return nil, nil
}

// frameWriter sends log data as api.StreamFrame JSON objects, or raw with plain.
type frameWriter struct {
	w     http.ResponseWriter
	plain bool
}

func (f frameWriter) send(frame *api.StreamFrame) error {
	var err error
	if f.plain {
		if len(frame.Data) == 0 {
			return nil
		}
		_, err = f.w.Write(frame.Data)
	} else {
		err = json.NewEncoder(f.w).Encode(frame)
	}
	if fl, ok := f.w.(http.Flusher); ok {
		fl.Flush()
	}
	return err
}

type logStream struct {
	dir    string
	prefix string
	follow bool
}

type logFile struct {
	name  string
	index int
}

// files returns the task's log files ordered by rotation index.
func (l *logStream) files() []logFile {
	entries, err := os.ReadDir(l.dir)
	if err != nil {
		return nil
	}
	var out []logFile
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), l.prefix)
		if !ok {
			continue
		}
		n, err := strconv.Atoi(rest)
		if err != nil {
			continue
		}
		out = append(out, logFile{name: e.Name(), index: n})
	}
	sort.Slice(out, func(i, k int) bool { return out[i].index < out[k].index })
	return out
}

// startAt finds the file and offset where reading begins. With origin "end" the
// offset counts back from the end across rotated files.
func (l *logStream) startAt(origin string, offset int64) (fileIdx int, fileOffset int64) {
	files := l.files()
	if len(files) == 0 {
		return 0, 0
	}
	if origin == "start" {
		return files[0].index, offset
	}
	remaining := offset
	for i := len(files) - 1; i >= 0; i-- {
		fi, err := os.Stat(filepath.Join(l.dir, files[i].name))
		if err != nil {
			continue
		}
		if remaining <= fi.Size() {
			return files[i].index, fi.Size() - remaining
		}
		remaining -= fi.Size()
	}
	return files[0].index, 0
}

func (l *logStream) stream(ctx context.Context, origin string, offset int64, out frameWriter) error {
	// Wait for the first file when following a task that has not written yet.
	ticker := time.NewTicker(logPollInterval)
	defer ticker.Stop()
	for len(l.files()) == 0 {
		if !l.follow {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-ticker.C:
		}
	}
	idx, pos := l.startAt(origin, offset)
	lastSent := time.Now()
	buf := make([]byte, logFrameSize)
	for {
		name := l.prefix + strconv.Itoa(idx)
		n, err := readChunk(filepath.Join(l.dir, name), pos, buf)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		if n > 0 {
			pos += int64(n)
			if err := out.send(&api.StreamFrame{Data: buf[:n], File: name, Offset: pos}); err != nil {
				return err
			}
			lastSent = time.Now()
			continue
		}
		// At the end of this file: move on when a newer one exists.
		if next := l.nextIndex(idx); next >= 0 {
			idx, pos = next, 0
			continue
		}
		if !l.follow {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-ticker.C:
		}
		if time.Since(lastSent) >= logHeartbeatEvery {
			if err := out.send(&api.StreamFrame{}); err != nil {
				return err
			}
			lastSent = time.Now()
		}
	}
}

// nextIndex returns the smallest rotation index above idx, or -1.
func (l *logStream) nextIndex(idx int) int {
	for _, f := range l.files() {
		if f.index > idx {
			return f.index
		}
	}
	return -1
}

func readChunk(path string, off int64, buf []byte) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	n, err := f.ReadAt(buf, off)
	if errors.Is(err, io.EOF) {
		err = nil
	}
	return n, err
}

// clientAllocRequest serves /v1/client/allocation/<id>/restart.
func (s *HTTPServer) clientAllocRequest(w http.ResponseWriter, r *http.Request) (any, error) {
	parts := pathParts(r, "/v1/client/allocation/")
	if len(parts) != 2 {
		return nil, notFound("unknown client allocation path")
	}
	cl, err := s.agent.requireClient()
	if err != nil {
		return nil, err
	}
	switch parts[1] {
	case "restart":
		if r.Method != http.MethodPut && r.Method != http.MethodPost {
			return nil, errMethodNotAllowed
		}
		var req api.AllocationRestartRequest
		if r.ContentLength != 0 {
			if err := decodeBody(r, &req); err != nil {
				return nil, err
			}
		}
		if err := cl.RestartAlloc(parts[0], req.TaskName); err != nil {
			return nil, fmt.Errorf("failed to restart allocation: %w", err)
		}
		return map[string]any{}, nil
	}
	return nil, notFound("unknown client allocation action %q", parts[1])
}
