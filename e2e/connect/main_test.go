// Package connect runs Consul Connect end to end: the sidecar injected at submit,
// visible in plan, registered in Consul (a faithful in-process fake, or a real
// consul when one is on PATH), bootstrapped, started before and stopped after the
// main tasks.
package connect

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
