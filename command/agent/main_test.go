package agent

import (
	"os"
	"testing"

	"github.com/netnomad/netnomad/drivers/shared/executor"
)

// TestMain lets the test binary serve as raw_exec's executor, as bin/nomad does.
func TestMain(m *testing.M) {
	if executor.IsExecutorInvocation() {
		os.Exit(executor.Main(os.Args[2:]))
	}
	os.Exit(m.Run())
}
