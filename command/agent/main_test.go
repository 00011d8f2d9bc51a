package agent

import (
	"os"
	"testing"

	"github.com/netnomad/netnomad/drivers/shared/executor"
	"github.com/netnomad/netnomad/testutil/hostrules"
)

// TestMain lets the test binary serve as raw_exec's executor, as bin/nomad does,
// and removes the bridge rules the tests' in-process clients made at start.
func TestMain(m *testing.M) {
	if executor.IsExecutorInvocation() {
		os.Exit(executor.Main(os.Args[2:]))
	}
	before := hostrules.AdminRules()
	code := m.Run()
	hostrules.DropAdminRulesAddedSince(before)
	os.Exit(code)
}
