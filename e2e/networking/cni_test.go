package networking

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/netnomad/netnomad/e2e/framework"
	"github.com/shoenig/test/must"
)

// The operator's network of TestCNI_OperatorNetwork: its own bridge and subnet.
const (
	cniNetBridge = "nne2e1"
	cniNetSubnet = "172.31.251.0/24"
)

// TestCNI_OperatorNetwork: `mode = "cni/<name>"` runs the operator's conflist from
// cni_config_dir, and the portmap plugin honours the port's `to` for free.
func TestCNI_OperatorNetwork(t *testing.T) {
	framework.RequireBridgeNetworking(t)
	dir := t.TempDir()
	conflist := map[string]any{
		"cniVersion": "0.4.0",
		"name":       "e2enet",
		"plugins": []any{
			map[string]any{"type": "loopback"},
			map[string]any{
				"type": "bridge", "bridge": cniNetBridge, "isGateway": true, "ipMasq": true,
				"ipam": map[string]any{
					"type":   "host-local",
					"ranges": [][]map[string]string{{{"subnet": cniNetSubnet}}},
					"routes": []map[string]string{{"dst": "0.0.0.0/0"}},
				},
			},
			map[string]any{"type": "portmap", "capabilities": map[string]bool{"portMappings": true}, "snat": true},
		},
	}
	b, err := json.MarshalIndent(conflist, "", "  ")
	must.NoError(t, err)
	must.NoError(t, os.WriteFile(filepath.Join(dir, "e2enet.conflist"), b, 0o644))
	framework.CleanupNetwork(t, framework.TestNetwork{Bridge: cniNetBridge, SubnetPrefix: "172.31.251.", IPAMNetworks: []string{"e2enet"}})

	agent := startAgent(t, framework.WithHCL(fmt.Sprintf(`client { cni_config_dir = %q }`, dir)))
	node, _, err := agent.API.Nodes().List(nil)
	must.NoError(t, err)
	full, _, err := agent.API.Nodes().Info(node[0].ID, nil)
	must.NoError(t, err)
	must.Eq(t, "v1.10.0", full.Attributes["plugins.cni.version.portmap"])

	res := agent.Run("job", "run", framework.JobFile(t, "cni.nomad.hcl"))
	must.Eq(t, 0, res.ExitCode, must.Sprint(res.Stdout, res.Stderr))
	alloc := framework.WaitAllocStatus(t, agent, "operator-net", "web", "running", allocTimeout)
	_, subnet, _ := net.ParseCIDR(cniNetSubnet)
	must.True(t, subnet.Contains(net.ParseIP(alloc.NetworkStatus.Address)), must.Sprintf("alloc IP %q", alloc.NetworkStatus.Address))
	framework.WaitHTTP(t, fmt.Sprintf("127.0.0.1:%d", framework.AllocPort(t, alloc, "http").Value), "hello from "+alloc.ID)
	framework.WaitHTTP(t, fmt.Sprintf("%s:%d", hostIP(alloc), framework.AllocPort(t, alloc, "http").Value), "hello from "+alloc.ID)
}

// TestCNI_UnknownNetworkNotPlaced: a group asking for a CNI network no node has is
// not placed, and the CLI says why.
func TestCNI_UnknownNetworkNotPlaced(t *testing.T) {
	agent := startAgent(t)
	res := agent.Run("job", "run", framework.JobFile(t, "cni.nomad.hcl"))
	must.Eq(t, 2, res.ExitCode, must.Sprint(res.Stdout, res.Stderr))
	must.StrContains(t, res.Stdout, `Constraint "missing network" filtered 1 node`)
}
