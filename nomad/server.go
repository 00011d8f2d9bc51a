// Package nomad is the server: job, node and allocation endpoints, the admission
// chain jobs pass on register and plan, the state store writes (through one apply
// path, raftApply), the eval broker and scheduling workers, the plan applier,
// blocked evaluations and client heartbeats.
package nomad

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"
	"github.com/netnomad/netnomad/nomad/state"
	"github.com/netnomad/netnomad/nomad/structs"
)

// Server is a single Nomad server. All methods are safe for concurrent use.
type Server struct {
	config *Config
	logger hclog.Logger

	state     *state.StateStore
	fsm       *fsm
	raft      *raft.Raft
	raftStore *raftboltdb.BoltStore
	// raftTransport is a *raft.NetworkTransport or *raft.InmemTransport.
	raftTransport raft.Transport
	bootstrapped  atomic.Bool
	leaderNotify  chan bool
	leaderReady   atomic.Bool
	shutdownCh    chan struct{}
	leaderDone    chan struct{}
	broker        *evalBroker
	blocked       *blockedEvals
	planner       *planApplier
	heartbeats    *heartbeats

	// Admission chain, in order; see job_endpoint_hooks.go.
	jobMutators   []jobMutator
	jobValidators []jobValidator

	cancel       context.CancelFunc
	workers      sync.WaitGroup
	shutdownOnce sync.Once
}

// NewServer starts a server: its state store, raft node, eval broker and
// NumSchedulers scheduling workers. A server that bootstraps alone
// (BootstrapExpect <= 1) returns once it leads; others once raft runs (see
// BootstrapCluster). Call Shutdown to stop it.
func NewServer(cfg *Config) (*Server, error) {
	if cfg == nil {
		cfg = &Config{}
	}
	cfg = cfg.withDefaults()
	if err := cfg.ConnectSidecar.Validate(); err != nil {
		return nil, fmt.Errorf("invalid server config: %w", err)
	}
	s := &Server{
		config: cfg,
		logger: cfg.Logger.Named("nomad"),
		state:  state.NewStateStore(),
		broker: newEvalBroker(),
	}
	s.jobMutators, s.jobValidators = defaultAdmissionChain(cfg)
	s.blocked = newBlockedEvals(s.logger, func(evals []*structs.Evaluation) error {
		_, err := s.raftApply(EvalUpdateRequestType, &EvalUpdateApply{Evals: evals})
		return err
	})
	s.fsm = &fsm{logger: s.logger.Named("fsm"), state: s.state, broker: s.broker, blocked: s.blocked}
	s.planner = newPlanApplier(s)
	s.heartbeats = newHeartbeats(s)
	// Leader-only work starts on leadership gain (leader.go).
	s.broker.SetEnabled(false)
	s.blocked.SetEnabled(false)
	s.leaderNotify = make(chan bool, 16)
	s.shutdownCh = make(chan struct{})
	s.leaderDone = make(chan struct{})
	if err := s.setupRaft(); err != nil {
		s.blocked.Close()
		s.shutdownRaft()
		return nil, err
	}
	go s.monitorLeadership()

	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	for i := range cfg.NumSchedulers {
		w := newWorker(s, i)
		s.workers.Add(1)
		go func() {
			defer s.workers.Done()
			w.run(ctx)
		}()
	}
	s.logger.Info("server started", "region", cfg.Region, "datacenter", cfg.Datacenter, "schedulers", cfg.NumSchedulers,
		"raft_id", cfg.ServerID, "raft_addr", cfg.RPCAddr)
	if cfg.BootstrapExpect <= 1 && !s.waitForLeadership(cfg.LeaderWait) {
		s.Shutdown()
		return nil, fmt.Errorf("server did not become leader within %s", cfg.LeaderWait)
	}
	return s, nil
}

// Shutdown stops the workers, heartbeat timers, the blocked-eval writer and raft.
// It is safe to call more than once.
func (s *Server) Shutdown() {
	s.shutdownOnce.Do(func() {
		s.cancel()
		s.broker.Close()
		close(s.shutdownCh)
		if err := s.raft.Shutdown().Error(); err != nil {
			s.logger.Warn("raft shutdown failed", "error", err)
		}
		<-s.leaderDone
		s.workers.Wait()
		s.heartbeats.stop()
		s.blocked.Close()
		s.shutdownRaft()
		s.logger.Info("server stopped")
	})
}

// State returns the state store. Callers must not mutate objects read from it.
func (s *Server) State() *state.StateStore { return s.state }

// Region returns the server's region.
func (s *Server) Region() string { return s.config.Region }

// Datacenter returns the server's datacenter.
func (s *Server) Datacenter() string { return s.config.Datacenter }
