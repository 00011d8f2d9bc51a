// Package cluster runs separate server and client agents as real processes: a
// server-only agent and client-only agents that talk to it over HTTP, and what
// happens when a client dies.
package cluster

import (
	"os"
	"testing"

	"github.com/netnomad/netnomad/e2e/framework"
)

func TestMain(m *testing.M) {
	code := m.Run()
	framework.Cleanup()
	os.Exit(code)
}
