package raft

import (
	"os"
	"testing"

	"github.com/netnomad/netnomad/e2e/framework"
)

// TestMain removes the nomad binary the tests built.
func TestMain(m *testing.M) {
	code := m.Run()
	framework.Cleanup()
	os.Exit(code)
}
