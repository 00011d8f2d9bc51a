package cluster

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/nomad/api"
	"github.com/shoenig/test/must"
	"github.com/shoenig/test/wait"

	"github.com/netnomad/netnomad/e2e/framework"
)

// clusterNets are the two client agents' bridges: each client has its own.
var clusterNets = []framework.TestNetwork{
	{Bridge: "nnclu1", SubnetPrefix: "172.31.241.", IPAMNetworks: []string{"nomad"}},
	{Bridge: "nnclu2", SubnetPrefix: "172.31.242.", IPAMNetworks: []string{"nomad"}},
}

// TestCluster_ClientRestartKeepsOtherClientsNetworks: two client agents on one
// host each run a bridge allocation. One client restarts; its start-up
// collection of leaked networks must not take the other client's namespace (the
// namespace dir, CNI cache and iptables are shared by the host), and its own
// allocation keeps its task and namespace.
func TestCluster_ClientRestartKeepsOtherClientsNetworks(t *testing.T) {
	framework.RequireBridgeNetworking(t)
	var allocIDs []string
	for _, n := range clusterNets {
		n := n
		// The bridge's admin rule goes with the agent that made it (StartAgent).
		t.Cleanup(func() { _ = exec.Command("ip", "link", "delete", n.Bridge).Run() })
	}
	// Runs after every agent stopped.
	t.Cleanup(func() { assertNetworksGone(t, allocIDs) })

	server := framework.StartAgent(t, framework.ServerOnly())
	var clients []*framework.Agent
	for _, n := range clusterNets {
		clients = append(clients, framework.StartAgent(t, framework.ClientOnly(server),
			framework.WithClientHCL(fmt.Sprintf("bridge_network_name = %q\nbridge_network_subnet = %q", n.Bridge, n.Subnet()))))
	}
	t.Cleanup(func() { purgeJobs(t, server) })

	job := sleepJob("net", 2, true)
	job.TaskGroups[0].Networks = []*api.NetworkResource{{Mode: "bridge"}}
	_, _, err := server.API.Jobs().Register(job, nil)
	must.NoError(t, err)
	allocs := waitRunning(t, server, "net", 2)
	byNode := map[string]*api.AllocationListStub{}
	for _, a := range allocs {
		byNode[a.NodeID] = a
		allocIDs = append(allocIDs, a.ID)
		must.True(t, netnsExists(a.ID), must.Sprintf("no namespace for %s", a.ID))
	}
	nodes, _, err := server.API.Nodes().List(nil)
	must.NoError(t, err)
	var restarted, other *api.AllocationListStub
	var restartedAgent, otherAgent *framework.Agent
	for _, n := range nodes {
		switch n.Name {
		case clients[0].Name:
			restarted, restartedAgent = byNode[n.ID], clients[0]
		case clients[1].Name:
			other, otherAgent = byNode[n.ID], clients[1]
		}
	}
	must.NotNil(t, restarted)
	must.NotNil(t, other)
	restartedPID := taskPID(t, restartedAgent, restarted.ID)
	otherPID := taskPID(t, otherAgent, other.ID)

	restartedAgent.Restart()
	// The client logs "started client" once its start-up collection is over.
	must.Wait(t, wait.InitialSuccess(wait.BoolFunc(func() bool {
		return strings.Count(restartedAgent.Log(), "started client") >= 2
	}), wait.Timeout(30*time.Second), wait.Gap(100*time.Millisecond)), must.Sprint(restartedAgent.Log()))

	must.True(t, netnsExists(other.ID), must.Sprint("the restarted client collected the other client's namespace"))
	must.True(t, processAlive(otherPID))
	must.True(t, netnsExists(restarted.ID), must.Sprint("the restarted client lost its own allocation's namespace"))
	must.True(t, processAlive(restartedPID))
	for _, id := range []string{restarted.ID, other.ID} {
		a, _, err := server.API.Allocations().Info(id, nil)
		must.NoError(t, err)
		must.Eq(t, "running", a.ClientStatus)
	}
}

func netnsExists(allocID string) bool {
	_, err := os.Stat(filepath.Join("/var/run/netns", allocID))
	return err == nil
}

// assertNetworksGone fails the test if a namespace, veth or IP reservation of
// the test's allocations or networks survived.
func assertNetworksGone(t *testing.T, allocIDs []string) {
	t.Helper()
	for _, id := range allocIDs {
		if netnsExists(id) {
			t.Errorf("namespace of allocation %s left behind", id)
		}
	}
	for _, n := range clusterNets {
		if out, err := exec.Command("ip", "-o", "link", "show", "master", n.Bridge).CombinedOutput(); err == nil && strings.TrimSpace(string(out)) != "" {
			t.Errorf("veths still on bridge %s:\n%s", n.Bridge, out)
		}
		entries, _ := os.ReadDir(filepath.Join("/var/lib/cni/networks", "nomad"))
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), n.SubnetPrefix) {
				t.Errorf("IP reservation left behind: %s", e.Name())
			}
		}
	}
}
