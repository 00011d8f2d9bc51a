// Package nomad is the server: job, node and allocation endpoints, the admission
// chain jobs pass on register and plan, the state store writes (through one apply
// path, raftApply), the eval broker and scheduling workers, the plan applier,
// blocked evaluations and client heartbeats.
package nomad

import (
	"context"
	"fmt"
	"sync"

	"github.com/hashicorp/go-hclog"
	"github.com/netnomad/netnomad/nomad/state"
	"github.com/netnomad/netnomad/nomad/structs"
)

// Server is a single Nomad server. All methods are safe for concurrent use.
type Server struct {
	config *Config
	logger hclog.Logger

	state      *state.StateStore
	raft       *raftLog
	broker     *evalBroker
	blocked    *blockedEvals
	planner    *planApplier
	heartbeats *heartbeats

	// Admission chain, in order; see job_endpoint_hooks.go.
	jobMutators   []jobMutator
	jobValidators []jobValidator

	cancel       context.CancelFunc
	workers      sync.WaitGroup
	shutdownOnce sync.Once
}

// NewServer starts a server: its state store, eval broker and NumSchedulers
// scheduling workers. Call Shutdown to stop them.
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
	s.raft = &raftLog{fsm: &fsm{logger: s.logger.Named("fsm"), state: s.state, broker: s.broker, blocked: s.blocked}}
	s.planner = newPlanApplier(s)
	s.heartbeats = newHeartbeats(s)
	if cfg.DataDir != "" {
		log, err := openDurableLog(cfg.DataDir)
		if err != nil {
			return nil, err
		}
		s.raft.log = log
		if err := s.restore(); err != nil {
			log.close()
			return nil, err
		}
	}

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
	s.logger.Info("server started", "region", cfg.Region, "datacenter", cfg.Datacenter, "schedulers", cfg.NumSchedulers)
	return s, nil
}

// Shutdown stops the workers, heartbeat timers and the blocked-eval writer. It is
// safe to call more than once.
func (s *Server) Shutdown() {
	s.shutdownOnce.Do(func() {
		s.cancel()
		s.broker.Close()
		s.workers.Wait()
		s.heartbeats.stop()
		s.blocked.Close()
		s.raft.mu.Lock()
		if s.raft.log != nil {
			s.raft.log.close()
			s.raft.log = nil
		}
		s.raft.mu.Unlock()
		s.logger.Info("server stopped")
	})
}

// State returns the state store. Callers must not mutate objects read from it.
func (s *Server) State() *state.StateStore { return s.state }

// Region returns the server's region.
func (s *Server) Region() string { return s.config.Region }

// Datacenter returns the server's datacenter.
func (s *Server) Datacenter() string { return s.config.Datacenter }

// Leader returns the leader's RPC address: this server's, as it is alone.
func (s *Server) Leader() string { return s.config.RPCAddr }
