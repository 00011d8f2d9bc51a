// Package networking runs group networks end to end: a real agent, real network
// namespaces, the real CNI plugins and iptables, and real traffic. These tests need
// root, iptables and the CNI plugins (scripts/install-cni.sh); in CI a missing
// one fails the run instead of skipping.
package networking

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
