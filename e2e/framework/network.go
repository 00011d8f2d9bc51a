package framework

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestNetwork names the bridge and subnet one test's agent uses, so tests never
// share host state with a real Nomad or with each other.
type TestNetwork struct {
	Bridge string
	// SubnetPrefix is the first three octets with the dot, e.g. "172.31.250.".
	SubnetPrefix string
	// IPAMNetworks are the CNI network names whose host-local reservations the
	// leak check looks at ("nomad" for bridge mode).
	IPAMNetworks []string
}

// Subnet is the /24 of the prefix.
func (n TestNetwork) Subnet() string { return n.SubnetPrefix + "0/24" }

// CleanupNetwork registers, before the agent is started, the checks that run after
// it has purged its jobs and stopped (cleanups run last-in first-out): that no
// allocation left anything behind, then removal of the test's own bridge (the
// bridge is shared by design and stays in production).
func CleanupNetwork(t *testing.T, n TestNetwork) {
	t.Helper()
	// The bridge's NOMAD-ADMIN rule goes with the agent that made it (StartAgent).
	t.Cleanup(func() { _ = exec.Command("ip", "link", "delete", n.Bridge).Run() })
	t.Cleanup(func() { AssertNoNetworkLeaks(t, n) })
}

// AssertNoNetworkLeaks fails the test if anything of an allocation survived: a
// network namespace, a veth on the bridge, a per-allocation iptables rule, a
// rule of the plugins' nftables backends for an address of the subnet, or a
// host-local IP reservation in the subnet.
func AssertNoNetworkLeaks(t *testing.T, n TestNetwork) {
	t.Helper()
	if out, _ := exec.Command("ip", "netns", "list").CombinedOutput(); strings.TrimSpace(string(out)) != "" {
		t.Errorf("network namespaces left behind:\n%s", out)
	}
	if out, err := exec.Command("ip", "-o", "link", "show", "master", n.Bridge).CombinedOutput(); err == nil && strings.TrimSpace(string(out)) != "" {
		t.Errorf("veths still on bridge %s:\n%s", n.Bridge, out)
	}
	for _, table := range []string{"nat", "filter"} {
		out, err := exec.Command("iptables-save", "-t", table).Output()
		if err != nil {
			t.Errorf("iptables-save -t %s: %v", table, err)
			continue
		}
		for _, line := range strings.Split(string(out), "\n") {
			if strings.HasPrefix(line, "-A CNI-DN-") || (strings.HasPrefix(line, "-A CNI-") && strings.Contains(line, n.SubnetPrefix)) {
				t.Errorf("per-allocation iptables rule left behind: %s", line)
			}
		}
	}
	for _, rule := range nftAllocRules(n.SubnetPrefix) {
		t.Errorf("per-allocation nftables rule left behind: %s", rule)
	}
	for _, net := range n.IPAMNetworks {
		entries, _ := os.ReadDir(filepath.Join("/var/lib/cni/networks", net))
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), n.SubnetPrefix) {
				t.Errorf("IP reservation left behind in %s: %s", net, e.Name())
			}
		}
	}
}

// nftPluginTables are the tables the CNI plugins' nftables backends (the
// bridge plugin's masquerade, portmap) write.
var nftPluginTables = map[string]bool{
	"ip cni_hostport": true, "ip6 cni_hostport": true, "inet cni_plugins_masquerade": true,
}

// nftAllocRules lists the rules of nftPluginTables that name an address starting
// with subnetPrefix (nothing where nft is not installed).
func nftAllocRules(subnetPrefix string) []string {
	if _, err := exec.LookPath("nft"); err != nil {
		return nil
	}
	out, err := exec.Command("nft", "list", "ruleset").Output()
	if err != nil {
		return []string{"nft list ruleset: " + err.Error()}
	}
	var rules []string
	inPluginTable := false
	for _, line := range strings.Split(string(out), "\n") {
		line = strings.TrimSpace(line)
		if f := strings.Fields(line); len(f) >= 3 && f[0] == "table" {
			inPluginTable = nftPluginTables[f[1]+" "+f[2]]
			continue
		}
		if inPluginTable && strings.Contains(line, subnetPrefix) {
			rules = append(rules, line)
		}
	}
	return rules
}
