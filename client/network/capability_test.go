package network

import (
	"os"
	"testing"
)

// missingCapability skips a test run by hand without something it needs (root,
// a command, the CNI plugins) and fails it in CI (CI=true), where a skip would
// hide the missing capability.
func missingCapability(t testing.TB, msg string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}
