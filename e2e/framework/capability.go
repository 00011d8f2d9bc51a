package framework

import (
	"os"
	"os/exec"
	"testing"
)

// RequireRoot skips a test that needs root when run by hand without it, and fails
// it in CI (CI=true), where a skip would hide a missing capability.
func RequireRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() == 0 {
		return
	}
	missing(t, "root")
}

// RequireCommand does the same for a command that must be on PATH.
func RequireCommand(t testing.TB, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err == nil {
		return
	}
	missing(t, "command "+name)
}

func missing(t testing.TB, what string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is required and missing in CI", what)
	}
	t.Skipf("%s is required (skipped outside CI)", what)
}
