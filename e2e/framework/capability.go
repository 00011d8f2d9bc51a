package framework

import (
	"os"
	"os/exec"
	"path/filepath"
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

// cniPluginDir is where scripts/install-cni.sh puts the reference plugins.
const cniPluginDir = "/opt/cni/bin"

// RequireCNIPlugins does the same for reference CNI plugins in /opt/cni/bin.
func RequireCNIPlugins(t testing.TB, plugins ...string) {
	t.Helper()
	for _, p := range plugins {
		if _, err := os.Stat(filepath.Join(cniPluginDir, p)); err != nil {
			missing(t, "CNI plugin "+p+" (run scripts/install-cni.sh)")
		}
	}
}

// RequireBridgeNetworking requires what an agent needs to run bridge-mode
// allocations: root, iptables, iproute2 and the plugins of its bridge chain.
func RequireBridgeNetworking(t testing.TB) {
	t.Helper()
	RequireRoot(t)
	RequireCommand(t, "iptables")
	RequireCommand(t, "ip")
	RequireCNIPlugins(t, "bridge", "host-local", "loopback", "portmap", "firewall")
}
