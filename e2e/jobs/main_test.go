// Package jobs runs the user's everyday workflow end to end: a real agent, job files
// submitted through the CLI, real processes, logs, restarts, stops.
package jobs

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
