package cluster

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/nomad/api"
	"github.com/shoenig/test/must"
	"github.com/shoenig/test/wait"

	"github.com/netnomad/netnomad/e2e/framework"
)

// returnNets are the bridges of TestCluster_ClientReturnsAfterAllocsMoved's two
// clients (no other test uses them).
var returnNets = []framework.TestNetwork{
	{Bridge: "nnret1", SubnetPrefix: "172.31.243.", IPAMNetworks: []string{"nomad"}},
	{Bridge: "nnret2", SubnetPrefix: "172.31.244.", IPAMNetworks: []string{"nomad"}},
}

// TestCluster_ClientReturnsAfterAllocsMoved: a client agent dies with SIGKILL
// while its bridge allocation's task keeps running (executors outlive the
// agent). The node goes down, the allocation is lost and replaced on the other
// client. When the agent comes back with the same data dir it restores the
// allocation, learns from the servers that it was stopped, and kills its task
// and tears its network down (namespace and IP reservation), as Nomad's
// returning clients do; the replacement keeps running and the old allocation
// stays terminal.
func TestCluster_ClientReturnsAfterAllocsMoved(t *testing.T) {
	framework.RequireBridgeNetworking(t)
	for _, n := range returnNets {
		// Runs after every agent stopped: nothing of either client leaked.
		framework.CleanupNetwork(t, n)
	}

	server := framework.StartAgent(t, framework.ServerOnly(), framework.WithHCL(shortHeartbeats))
	clientNets := map[string]framework.TestNetwork{}
	var clients []*framework.Agent
	for _, n := range returnNets {
		c := framework.StartAgent(t, framework.ClientOnly(server),
			framework.WithClientHCL(fmt.Sprintf("bridge_network_name = %q\nbridge_network_subnet = %q", n.Bridge, n.Subnet())))
		clients = append(clients, c)
		clientNets[c.Name] = n
	}
	t.Cleanup(func() { purgeJobs(t, server) })
	byNodeID := nodeAgents(t, server, clients)

	job := sleepJob("moved", 1, false)
	job.TaskGroups[0].Networks = []*api.NetworkResource{{Mode: "bridge"}}
	_, _, err := server.API.Jobs().Register(job, nil)
	must.NoError(t, err)
	old := waitRunning(t, server, "moved", 1)[0]
	victim := byNodeID[old.NodeID]
	victimNet := clientNets[victim.Name]
	pid := taskPID(t, victim, old.ID)
	must.True(t, netnsExists(old.ID), must.Sprintf("no namespace for %s", old.ID))
	must.SliceNotEmpty(t, ipReservations(victimNet), must.Sprint("bridge allocation without an IP reservation"))

	victim.Kill()
	must.True(t, processAlive(pid), must.Sprint("the task died with its client agent"))

	var replacement *api.AllocationListStub
	must.Wait(t, wait.InitialSuccess(wait.ErrorFunc(func() error {
		allocs, _, err := server.API.Jobs().Allocations("moved", true, nil)
		if err != nil {
			return err
		}
		var lost bool
		replacement = nil
		for _, a := range allocs {
			switch {
			case a.ID == old.ID:
				lost = a.ClientStatus == "lost"
			case a.ClientStatus == "running" && a.NodeID != old.NodeID:
				replacement = a
			}
		}
		if !lost || replacement == nil {
			return fmt.Errorf("lost=%t replaced=%t: %s", lost, replacement != nil, describe(allocs))
		}
		return nil
	}), wait.Timeout(30*time.Second), wait.Gap(250*time.Millisecond)))
	replacementPID := taskPID(t, byNodeID[replacement.NodeID], replacement.ID)
	// Nobody told the dead agent's task to stop yet.
	must.True(t, processAlive(pid), must.Sprint("the old task died before its client returned"))

	victim.Restart()

	must.Wait(t, wait.InitialSuccess(wait.ErrorFunc(func() error {
		switch {
		case processAlive(pid):
			return fmt.Errorf("old task %d still running", pid)
		case netnsExists(old.ID):
			return fmt.Errorf("namespace of %s still there", old.ID)
		}
		if ips := ipReservations(victimNet); len(ips) > 0 {
			return fmt.Errorf("IP reservations still held: %v", ips)
		}
		return nil
	}), wait.Timeout(30*time.Second), wait.Gap(100*time.Millisecond)), must.Sprintf("client log:\n%s", victim.Log()))

	// The returning client reports the stopped allocation complete, as
	// Nomad's do (its e2e disconnectedclients suite: lost, then complete once
	// the node is back); it never runs again.
	must.Wait(t, wait.InitialSuccess(wait.ErrorFunc(func() error {
		a, _, err := server.API.Allocations().Info(old.ID, nil)
		if err != nil {
			return err
		}
		if a.ClientStatus != "complete" || a.DesiredStatus != "stop" {
			return fmt.Errorf("old allocation is %s/%s", a.DesiredStatus, a.ClientStatus)
		}
		return nil
	}), wait.Timeout(10*time.Second), wait.Gap(100*time.Millisecond)), must.Sprintf("client log:\n%s", victim.Log()))

	allocs, _, err := server.API.Jobs().Allocations("moved", true, nil)
	must.NoError(t, err)
	must.Len(t, 2, allocs, must.Sprint(describe(allocs)))
	r, _, err := server.API.Allocations().Info(replacement.ID, nil)
	must.NoError(t, err)
	must.Eq(t, "running", r.ClientStatus)
	must.True(t, processAlive(replacementPID), must.Sprint("the replacement's task died"))
}

// nodeAgents maps the servers' node IDs to the client agents.
func nodeAgents(t *testing.T, server *framework.Agent, clients []*framework.Agent) map[string]*framework.Agent {
	t.Helper()
	nodes, _, err := server.API.Nodes().List(nil)
	must.NoError(t, err)
	out := map[string]*framework.Agent{}
	for _, n := range nodes {
		for _, c := range clients {
			if n.Name == c.Name {
				out[n.ID] = c
			}
		}
	}
	must.MapLen(t, len(clients), out)
	return out
}

// ipReservations lists host-local's reservations in the network's subnet.
func ipReservations(n framework.TestNetwork) []string {
	var out []string
	for _, net := range n.IPAMNetworks {
		entries, _ := os.ReadDir(filepath.Join("/var/lib/cni/networks", net))
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), n.SubnetPrefix) {
				out = append(out, e.Name())
			}
		}
	}
	return out
}
