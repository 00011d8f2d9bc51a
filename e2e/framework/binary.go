// Package framework runs the real `nomad` binary for end-to-end tests: it builds it
// once per test process, starts agents with their own data dir and free port, runs
// CLI commands against them, and cleans up when the test ends, even on failure.
package framework

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
)

var (
	buildOnce sync.Once
	buildDir  string
	buildPath string
	buildErr  error
	buildOut  []byte
)

// Binary returns the path of a nomad binary built from this checkout.
func Binary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "netnomad-e2e-bin")
		if buildErr != nil {
			return
		}
		buildPath = filepath.Join(buildDir, "nomad")
		cmd := exec.Command("go", "build", "-o", buildPath, ".")
		cmd.Dir = repoRoot()
		buildOut, buildErr = cmd.CombinedOutput()
	})
	if buildErr != nil {
		t.Fatalf("failed to build nomad: %v\n%s", buildErr, buildOut)
	}
	return buildPath
}

var (
	appOnce sync.Once
	appPath string
	appErr  error
	appOut  []byte
)

// TestApp returns the path of e2e/testapp built for this run: the workload that
// tests run inside allocations (serve, dial, links).
func TestApp(t testing.TB) string {
	t.Helper()
	Binary(t) // creates buildDir
	appOnce.Do(func() {
		appPath = filepath.Join(buildDir, "testapp")
		cmd := exec.Command("go", "build", "-o", appPath, "./e2e/testapp")
		cmd.Dir = repoRoot()
		appOut, appErr = cmd.CombinedOutput()
	})
	if appErr != nil {
		t.Fatalf("failed to build testapp: %v\n%s", appErr, appOut)
	}
	return appPath
}

// Cleanup removes the built binary; call it from TestMain after m.Run.
func Cleanup() {
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
}

func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}
