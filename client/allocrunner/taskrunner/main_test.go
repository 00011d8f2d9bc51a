package taskrunner

import (
	"os"
	"testing"

	"github.com/netnomad/netnomad/drivers/shared/executor"
)

// TestMain lets the test binary act as raw_exec's detached executor.
func TestMain(m *testing.M) {
	if executor.IsExecutorInvocation() {
		os.Exit(executor.Main(os.Args[2:]))
	}
	os.Exit(m.Run())
}
