package agent

import (
	"context"
	"errors"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/shoenig/test/must"
	"github.com/shoenig/test/wait"

	"github.com/netnomad/netnomad/client/servers"
	"github.com/netnomad/netnomad/nomad"
	"github.com/netnomad/netnomad/nomad/mock"
	"github.com/netnomad/netnomad/nomad/structs"
)

// testServerAgent starts an in-process server-only agent (state in memory).
func testServerAgent(t *testing.T) *Agent {
	t.Helper()
	cfg := DevConfig()
	cfg.Ports.HTTP = 0
	cfg.DataDir = t.TempDir()
	cfg.NodeName = "test-server"
	f := false
	cfg.Client.Enabled = &f
	a, err := NewAgent(cfg, testLogger(t))
	must.NoError(t, err)
	t.Cleanup(a.Shutdown)
	return a
}

func testServersClient(t *testing.T, addrs []string, wait time.Duration) *servers.Client {
	t.Helper()
	c, err := servers.New(servers.Config{Servers: addrs, Wait: wait, RetryMin: 10 * time.Millisecond, RetryMax: 20 * time.Millisecond})
	must.NoError(t, err)
	return c
}

// TestInternalNode_Protocol drives the internal node endpoints with the HTTP
// ServerAPI the way a client agent does: register, heartbeat, a blocking
// allocation watch woken by a placement, status updates; and a node secret that
// does not match is refused with 403 on every endpoint.
func TestInternalNode_Protocol(t *testing.T) {
	a := testServerAgent(t)
	ctx := context.Background()
	// The first server address is dead: calls must move on to the live one.
	dead := fmt.Sprintf("127.0.0.1:%d", freeTCPPort(t))
	c := testServersClient(t, []string{dead, a.HTTPAddr()}, 5*time.Second)

	node := mock.Node()
	must.NoError(t, c.RegisterNode(ctx, node))
	stored, err := a.server.State().NodeByID(nil, node.ID)
	must.NoError(t, err)
	must.NotNil(t, stored)
	must.Eq(t, structs.NodeStatusReady, stored.Status)

	ttl, err := c.Heartbeat(ctx, node.ID)
	must.NoError(t, err)
	// Nomad's minimum TTL plus a random stagger of up to as much again.
	must.GreaterEq(t, nomad.DefaultMinHeartbeatTTL, ttl)
	must.Less(t, 2*nomad.DefaultMinHeartbeatTTL, ttl)

	allocs, index, err := c.GetAllocs(ctx, node.ID, 0)
	must.NoError(t, err)
	must.SliceEmpty(t, allocs)
	must.Positive(t, index)

	// A blocking watch wakes when the scheduler places an allocation here.
	type result struct {
		allocs []*structs.Allocation
		index  uint64
		err    error
	}
	woke := make(chan result, 1)
	go func() {
		allocs, idx, err := c.GetAllocs(ctx, node.ID, index)
		woke <- result{allocs, idx, err}
	}()
	job := mock.BatchJob()
	job.Constraints = nil
	_, err = a.server.JobRegister(&nomad.JobRegisterRequest{Job: job})
	must.NoError(t, err)
	var got result
	select {
	case got = <-woke:
	case <-time.After(5 * time.Second):
		t.Fatal("blocking GetAllocs did not wake on a new allocation")
	}
	must.NoError(t, got.err)
	must.Len(t, 1, got.allocs)
	must.Greater(t, index, got.index)
	alloc := got.allocs[0]
	must.Eq(t, node.ID, alloc.NodeID)
	must.NotNil(t, alloc.Job)
	must.Eq(t, job.ID, alloc.Job.ID)

	// Nothing changes: the watch returns after the wait with the same index.
	short := testServersClient(t, []string{a.HTTPAddr()}, 50*time.Millisecond)
	short.SetSecret(node.ID, node.SecretID)
	_, same, err := short.GetAllocs(ctx, node.ID, got.index)
	must.NoError(t, err)
	must.Eq(t, got.index, same)

	// Client status updates reach the server.
	upd := alloc.CopySkipJob()
	upd.ClientStatus = structs.AllocClientStatusRunning
	must.NoError(t, c.UpdateAllocs(ctx, []*structs.Allocation{upd}))
	must.Wait(t, wait.InitialSuccess(wait.ErrorFunc(func() error {
		s, err := a.server.State().AllocByID(nil, alloc.ID)
		if err != nil {
			return err
		}
		if s.ClientStatus != structs.AllocClientStatusRunning {
			return fmt.Errorf("client status %q", s.ClientStatus)
		}
		return nil
	}), wait.Timeout(5*time.Second), wait.Gap(20*time.Millisecond)))

	// Another node may not report on this node's allocations.
	other := mock.Node()
	must.NoError(t, c.RegisterNode(ctx, other))
	stolen := upd.Copy()
	stolen.NodeID = other.ID
	must.ErrorIs(t, c.UpdateAllocs(ctx, []*structs.Allocation{stolen}), servers.ErrPermissionDenied)

	// An impostor with the node's ID but another secret is refused everywhere.
	impostor := testServersClient(t, []string{a.HTTPAddr()}, time.Second)
	fake := node.Copy()
	fake.SecretID = "not-the-secret"
	impostor.SetSecret(node.ID, fake.SecretID)
	calls := []struct {
		name string
		call func() error
	}{
		{"register", func() error { return impostor.RegisterNode(ctx, fake) }},
		{"heartbeat", func() error { _, err := impostor.Heartbeat(ctx, node.ID); return err }},
		{"get allocs", func() error { _, _, err := impostor.GetAllocs(ctx, node.ID, 0); return err }},
		{"update allocs", func() error { return impostor.UpdateAllocs(ctx, []*structs.Allocation{upd}) }},
	}
	for _, tc := range calls {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			must.ErrorIs(t, err, servers.ErrPermissionDenied)
		})
	}
	// A node that never registered must register first.
	stranger := testServersClient(t, []string{a.HTTPAddr()}, time.Second)
	stranger.SetSecret("00000000-0000-0000-0000-000000000000", "x")
	_, err = stranger.Heartbeat(ctx, "00000000-0000-0000-0000-000000000000")
	must.ErrorIs(t, err, servers.ErrPermissionDenied)
}

// TestAgent_ClientOnlyTalksToServerOverHTTP: a client agent without a local
// server registers with the server agent over HTTP and runs the jobs it is given.
func TestAgent_ClientOnlyTalksToServerOverHTTP(t *testing.T) {
	srv := testServerAgent(t)
	testClientAgent(t, "test-client", []string{srv.HTTPAddr()})

	c := testAPI(t, srv.HTTPAddr())
	must.Wait(t, wait.InitialSuccess(wait.ErrorFunc(func() error {
		nodes, _, err := c.Nodes().List(nil)
		if err != nil {
			return err
		}
		if len(nodes) != 1 || nodes[0].Status != "ready" || nodes[0].Name != "test-client" {
			return errors.New("client node not ready on the server")
		}
		return nil
	}), wait.Timeout(10*time.Second), wait.Gap(20*time.Millisecond)))

	_, _, err := c.Jobs().Register(batchJob("remote"), nil)
	must.NoError(t, err)
	must.Wait(t, wait.InitialSuccess(wait.ErrorFunc(func() error {
		allocs, _, err := c.Jobs().Allocations("remote", true, nil)
		if err != nil {
			return err
		}
		if len(allocs) != 1 || allocs[0].ClientStatus != "complete" {
			return fmt.Errorf("allocations %v", allocs)
		}
		return nil
	}), wait.Timeout(20*time.Second), wait.Gap(50*time.Millisecond)))
}

// TestAgent_ClientOnlyNeedsServers: a client agent without a server and without
// servers to talk to refuses to start.
func TestAgent_ClientOnlyNeedsServers(t *testing.T) {
	cfg := DefaultConfig()
	cfg.BindAddr = "127.0.0.1"
	cfg.Ports.HTTP = 0
	cfg.DataDir = t.TempDir()
	tr := true
	cfg.Client.Enabled = &tr
	cfg.Consul = nil
	_, err := NewAgent(cfg, hclog.NewNullLogger())
	must.ErrorContains(t, err, "servers must list at least one server address")
}

// freeTCPPort returns a loopback port nobody listens on.
func freeTCPPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	must.NoError(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
