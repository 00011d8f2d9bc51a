package nomad

import (
	"fmt"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/netnomad/netnomad/nomad/mock"
	"github.com/netnomad/netnomad/nomad/structs"
	"github.com/shoenig/test/must"
	"github.com/shoenig/test/portal"
	"github.com/shoenig/test/wait"
)

// testCluster starts n servers running raft over loopback TCP on free ports and
// bootstraps them as one cluster, as agents with bootstrap_expect = n do.
func testCluster(t testing.TB, n int, mutate func(*Config)) []*Server {
	ports := portal.New(t).Grab(n)
	var peers []Peer
	for _, p := range ports {
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(p))
		peers = append(peers, Peer{ID: "server-" + strconv.Itoa(p), Address: addr})
	}
	var servers []*Server
	for i, p := range peers {
		cfg := &Config{
			Logger: testLogger(t), NumSchedulers: 1, NodeName: p.ID, ServerID: p.ID,
			RPCAddr: p.Address, RaftBindAddr: p.Address, BootstrapExpect: n,
			RaftHeartbeatTimeout: 200 * time.Millisecond,
		}
		if mutate != nil {
			mutate(cfg)
		}
		s, err := NewServer(cfg)
		must.NoError(t, err, must.Sprintf("server %d", i))
		t.Cleanup(s.Shutdown)
		servers = append(servers, s)
	}
	for _, s := range servers {
		must.NoError(t, s.BootstrapCluster(peers))
	}
	return servers
}

// waitLeader waits for exactly one of the running servers to lead with its
// leader-only work started, and returns it.
func waitLeader(t testing.TB, servers []*Server) *Server {
	t.Helper()
	var leader *Server
	must.Wait(t, wait.InitialSuccess(wait.ErrorFunc(func() error {
		leader = nil
		for _, s := range servers {
			if s.IsLeader() && s.leaderReady.Load() {
				if leader != nil {
					return fmt.Errorf("two leaders")
				}
				leader = s
			}
		}
		if leader == nil {
			return fmt.Errorf("no leader")
		}
		return nil
	}), wait.Timeout(15*time.Second), wait.Gap(20*time.Millisecond)))
	return leader
}

func TestCluster_ReplicatesAndSurvivesLeaderLoss(t *testing.T) {
	servers := testCluster(t, 3, nil)
	leader := waitLeader(t, servers)

	// Every server agrees on the leader and the peers.
	for _, s := range servers {
		waitFor(t, func() error {
			if s.Leader() != leader.config.RPCAddr {
				return fmt.Errorf("%s sees leader %q", s.config.ServerID, s.Leader())
			}
			return nil
		})
		peers, err := s.Peers()
		must.NoError(t, err)
		must.Len(t, 3, peers)
	}

	// Writes on a follower are refused with ErrNotLeader (the agent forwards).
	for _, s := range servers {
		if s != leader {
			_, err := s.JobRegister(&JobRegisterRequest{Job: mock.Job()})
			must.ErrorIs(t, err, ErrNotLeader)
		}
	}

	node := mock.Node()
	_, err := leader.NodeRegister(node)
	must.NoError(t, err)
	_, err = leader.JobRegister(&JobRegisterRequest{Job: mock.Job()})
	must.NoError(t, err)
	for _, s := range servers {
		waitFor(t, func() error {
			job, _ := s.State().JobByID(nil, "default", "example")
			if job == nil {
				return fmt.Errorf("job not on %s", s.config.ServerID)
			}
			allocs, _ := s.State().AllocsByJob(nil, "default", "example")
			if len(allocs) != 1 {
				return fmt.Errorf("%d allocs on %s", len(allocs), s.config.ServerID)
			}
			return nil
		})
	}

	// The leader goes away: the two others elect a new one, which schedules.
	leader.Shutdown()
	var rest []*Server
	for _, s := range servers {
		if s != leader {
			rest = append(rest, s)
		}
	}
	newLeader := waitLeader(t, rest)
	must.NotEq(t, leader.config.ServerID, newLeader.config.ServerID)

	// The new leader carries on with the heartbeats of known nodes.
	_, err = newLeader.NodeHeartbeat(node.ID)
	must.NoError(t, err)
	late := mock.BatchJob()
	late.ID, late.Name = "late", "late"
	_, err = newLeader.JobRegister(&JobRegisterRequest{Job: late})
	must.NoError(t, err)
	for _, s := range rest {
		waitFor(t, func() error {
			allocs, _ := s.State().AllocsByJob(nil, "default", "late")
			if len(allocs) != 1 || allocs[0].NodeID != node.ID || allocs[0].DesiredStatus != structs.AllocDesiredStatusRun {
				return fmt.Errorf("late job not placed on %s", s.config.ServerID)
			}
			return nil
		})
	}
}
