package nomad

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"
)

const (
	// raftApplyTimeout bounds how long a write waits to be enqueued by raft.
	raftApplyTimeout = 30 * time.Second
	// snapshotsRetained is how many file snapshots are kept (Nomad keeps 2).
	snapshotsRetained = 2
)

// ErrNotLeader is returned by writes on a server that is not the leader: the
// HTTP layer forwards them to the leader.
var ErrNotLeader = raft.ErrNotLeader

// raftDir is where a server keeps raft.db and its snapshots.
func raftDir(dataDir string) string { return filepath.Join(dataDir, "raft") }

// setupRaft creates the raft node: with a data dir, raft-boltdb at
// <data_dir>/server/raft/raft.db and file snapshots beside it; without, an
// in-memory store and discarded snapshots (-dev). With RaftBindAddr the transport
// is TCP, otherwise in memory (a server alone in its process). A server with no
// raft state and BootstrapExpect <= 1 bootstraps a cluster of itself.
func (s *Server) setupRaft() error {
	cfg := s.config
	rc := raft.DefaultConfig()
	rc.LocalID = raft.ServerID(cfg.ServerID)
	rc.Logger = s.logger.Named("raft")
	rc.NotifyCh = s.leaderNotify
	if cfg.RaftHeartbeatTimeout > 0 {
		rc.HeartbeatTimeout = cfg.RaftHeartbeatTimeout
		rc.ElectionTimeout = cfg.RaftHeartbeatTimeout
		rc.LeaderLeaseTimeout = cfg.RaftHeartbeatTimeout / 2
	}

	if cfg.RaftSnapshotThreshold > 0 {
		rc.SnapshotThreshold = cfg.RaftSnapshotThreshold
	}
	if cfg.RaftSnapshotInterval > 0 {
		rc.SnapshotInterval = cfg.RaftSnapshotInterval
	}
	if cfg.RaftTrailingLogs > 0 {
		rc.TrailingLogs = cfg.RaftTrailingLogs
	}
	// Checked before the stores are opened, so a bad value leaves nothing open.
	if err := raft.ValidateConfig(rc); err != nil {
		return fmt.Errorf("invalid raft configuration: %w", err)
	}

	var (
		logs   raft.LogStore
		stable raft.StableStore
		snaps  raft.SnapshotStore
	)
	if cfg.DataDir == "" {
		mem := raft.NewInmemStore()
		logs, stable, snaps = mem, mem, raft.NewDiscardSnapshotStore()
	} else {
		dir := raftDir(cfg.DataDir)
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("failed to create raft dir: %w", err)
		}
		store, err := raftboltdb.NewBoltStore(filepath.Join(dir, "raft.db"))
		if err != nil {
			return fmt.Errorf("failed to open raft store: %w", err)
		}
		s.raftStore = store
		fss, err := raft.NewFileSnapshotStoreWithLogger(dir, snapshotsRetained, s.logger.Named("raft.snapshots"))
		if err != nil {
			return fmt.Errorf("failed to open raft snapshot store: %w", err)
		}
		logs, stable, snaps = store, store, fss
	}

	if cfg.RaftBindAddr == "" {
		_, t := raft.NewInmemTransport(raft.ServerAddress(cfg.RPCAddr))
		s.raftTransport = t
	} else {
		adv, err := net.ResolveTCPAddr("tcp", cfg.RPCAddr)
		if err != nil {
			return fmt.Errorf("invalid raft advertise address %q: %w", cfg.RPCAddr, err)
		}
		t, err := raft.NewTCPTransportWithLogger(cfg.RaftBindAddr, adv, 3, 10*time.Second, s.logger.Named("raft.transport"))
		if err != nil {
			return fmt.Errorf("failed to start raft transport on %s: %w", cfg.RaftBindAddr, err)
		}
		s.raftTransport = t
	}

	existing, err := raft.HasExistingState(logs, stable, snaps)
	if err != nil {
		return fmt.Errorf("failed to inspect raft state: %w", err)
	}
	s.bootstrapped.Store(existing)
	s.raft, err = raft.NewRaft(rc, s.fsm, logs, stable, snaps, s.raftTransport)
	if err != nil {
		return fmt.Errorf("failed to start raft: %w", err)
	}
	if !existing && cfg.BootstrapExpect <= 1 {
		return s.BootstrapCluster([]Peer{{ID: cfg.ServerID, Address: cfg.RPCAddr}})
	}
	return nil
}

// Peer is one voting server of the raft cluster.
type Peer struct {
	// ID is the server's raft ID (the agent uses its HTTP address, see Config).
	ID string
	// Address is the server's raft (RPC) address.
	Address string
}

// BootstrapCluster starts a new cluster of exactly these servers. Every server
// of a new cluster calls it with the same peers (the agent does once it knows
// bootstrap_expect of them); it does nothing on a server that already has raft
// state.
func (s *Server) BootstrapCluster(peers []Peer) error {
	if s.bootstrapped.Load() {
		return nil
	}
	var c raft.Configuration
	for _, p := range peers {
		c.Servers = append(c.Servers, raft.Server{Suffrage: raft.Voter, ID: raft.ServerID(p.ID), Address: raft.ServerAddress(p.Address)})
	}
	if err := s.raft.BootstrapCluster(c).Error(); err != nil && !errors.Is(err, raft.ErrCantBootstrap) {
		return fmt.Errorf("failed to bootstrap raft cluster: %w", err)
	}
	s.bootstrapped.Store(true)
	s.logger.Info("bootstrapped raft cluster", "servers", len(peers))
	return nil
}

// Bootstrapped reports whether this server has raft state or bootstrapped.
func (s *Server) Bootstrapped() bool { return s.bootstrapped.Load() }

// Self is this server as a raft peer.
func (s *Server) Self() Peer { return Peer{ID: s.config.ServerID, Address: s.config.RPCAddr} }

// raftApply replicates one message through raft and returns its log index once
// it is applied here (on the leader). It fails with ErrNotLeader on a follower.
func (s *Server) raftApply(t MessageType, req any) (uint64, error) {
	buf, err := encodeMessage(t, req)
	if err != nil {
		return 0, err
	}
	f := s.raft.Apply(buf, raftApplyTimeout)
	// A future that raft accepted just as it shut down may never be answered:
	// don't let a worker (and with it Shutdown) wait on it forever.
	done := make(chan error, 1)
	go func() { done <- f.Error() }()
	select {
	case err := <-done:
		if err != nil {
			return 0, err
		}
	case <-s.shutdownCh:
		return 0, raft.ErrRaftShutdown
	}
	if err, ok := f.Response().(error); ok && err != nil {
		return f.Index(), err
	}
	return f.Index(), nil
}

// IsLeader reports whether this server is the raft leader.
func (s *Server) IsLeader() bool { return s.raft.State() == raft.Leader }

// Leader returns the leader's RPC address, or "" when there is none.
func (s *Server) Leader() string {
	addr, _ := s.raft.LeaderWithID()
	return string(addr)
}

// LeaderID returns the leader's raft ID ("" when there is none): the agent sets
// it to the leader's HTTP address, where followers forward writes.
func (s *Server) LeaderID() string {
	_, id := s.raft.LeaderWithID()
	return string(id)
}

// RaftServer is one server of the raft configuration, as `nomad operator raft
// list-peers` shows it.
type RaftServer struct {
	ID      string
	Address string
	Leader  bool
	Voter   bool
}

// Peers returns the raft configuration.
func (s *Server) Peers() ([]RaftServer, error) {
	f := s.raft.GetConfiguration()
	if err := f.Error(); err != nil {
		return nil, fmt.Errorf("failed to read raft configuration: %w", err)
	}
	leader := s.Leader()
	var out []RaftServer
	for _, sv := range f.Configuration().Servers {
		out = append(out, RaftServer{
			ID:      string(sv.ID),
			Address: string(sv.Address),
			Leader:  string(sv.Address) == leader,
			Voter:   sv.Suffrage == raft.Voter,
		})
	}
	return out, nil
}

// snapshot takes a raft snapshot now (tests; raft also takes them on its own).
func (s *Server) snapshot() error { return s.raft.Snapshot().Error() }

func (s *Server) shutdownRaft() {
	if s.raft != nil {
		if err := s.raft.Shutdown().Error(); err != nil {
			s.logger.Warn("raft shutdown failed", "error", err)
		}
	}
	if c, ok := s.raftTransport.(io.Closer); ok {
		c.Close()
	}
	if s.raftStore != nil {
		s.raftStore.Close()
	}
}

// AddPeer adds a server to the cluster as a voter. Only the leader can; others
// return ErrNotLeader.
func (s *Server) AddPeer(p Peer) error {
	if !s.IsLeader() {
		return ErrNotLeader
	}
	if err := s.raft.AddVoter(raft.ServerID(p.ID), raft.ServerAddress(p.Address), 0, raftApplyTimeout).Error(); err != nil {
		return fmt.Errorf("failed to add server %s (%s): %w", p.ID, p.Address, err)
	}
	s.logger.Info("added server to the cluster", "id", p.ID, "address", p.Address)
	return nil
}

// SetJoined records that the leader of an existing cluster added this server:
// it must not bootstrap a cluster of its own.
func (s *Server) SetJoined() { s.bootstrapped.Store(true) }
