package agent

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/netnomad/netnomad/nomad"
)

// Joining servers into one cluster (`server { server_join { retry_join } }`).
//
// Each retry_join entry is a peer agent's HTTP address (host or host:port, port
// 4646 by default). A server without raft state repeats, every retry_interval
// (default 1s), until it is part of a cluster:
//
//  1. It asks every peer `GET /v1/internal/raft/self` for its raft ID and
//     address and the leader it knows.
//  2. When a peer knows a leader, a cluster exists: the server asks it
//     `PUT /v1/internal/raft/join` (forwarded to the leader, which AddVoters it).
//  3. Otherwise, once bootstrap_expect servers (itself included) answered, it
//     bootstraps raft with exactly those servers. Every server of a new cluster
//     does the same with the same list, which raft accepts: they form one
//     cluster. retry_join must therefore list the bootstrap servers.
//
// No gossip: this replaces serf for the one job serf does at bootstrap.

const (
	raftSelfPath = "/v1/internal/raft/self"
	raftJoinPath = "/v1/internal/raft/join"
	defaultRetry = time.Second
)

// raftSelf is what a server says about itself to joining servers.
type raftSelf struct {
	ID       string
	Address  string
	LeaderID string
}

type serverJoiner struct {
	a      *Agent
	http   *http.Client
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}
}

func (a *Agent) startServerJoin() *serverJoiner {
	ctx, cancel := context.WithCancel(context.Background())
	j := &serverJoiner{a: a, http: &http.Client{Timeout: 5 * time.Second}, ctx: ctx, cancel: cancel, done: make(chan struct{})}
	go j.run()
	return j
}

func (j *serverJoiner) stop() {
	j.cancel()
	<-j.done
}

func (j *serverJoiner) run() {
	defer close(j.done)
	logger := j.a.logger.Named("join")
	join := j.a.config.Server.ServerJoin
	if join == nil || len(join.RetryJoin) == 0 {
		logger.Warn("bootstrap_expect needs other servers: set server_join { retry_join }", "bootstrap_expect", j.a.config.Server.BootstrapExpect)
		return
	}
	interval := defaultRetry
	if d, err := time.ParseDuration(join.RetryInterval); err == nil && d > 0 {
		interval = d
	}
	for attempt := 1; ; attempt++ {
		if j.a.server.Bootstrapped() {
			return
		}
		err := j.attempt()
		if err == nil {
			return
		}
		logger.Debug("join attempt failed", "attempt", attempt, "error", err)
		if join.RetryMax > 0 && attempt >= join.RetryMax {
			logger.Error("max join retry exhausted, exiting", "error", err)
			return
		}
		select {
		case <-j.ctx.Done():
			return
		case <-time.After(interval):
		}
	}
}

func (j *serverJoiner) attempt() error {
	srv := j.a.server
	self := srv.Self()
	peers := []nomad.Peer{self}
	seen := map[string]bool{self.ID: true}
	var errs []error
	for _, addr := range j.a.config.Server.ServerJoin.RetryJoin {
		addr = withDefaultPort(addr, 4646)
		var info raftSelf
		if err := j.do(http.MethodGet, addr, raftSelfPath, nil, &info); err != nil {
			errs = append(errs, err)
			continue
		}
		if info.ID == self.ID {
			continue
		}
		if info.LeaderID != "" {
			if err := j.do(http.MethodPut, addr, raftJoinPath, self, nil); err != nil {
				return fmt.Errorf("failed to join the cluster through %s: %w", addr, err)
			}
			srv.SetJoined()
			j.a.logger.Info("joined the cluster", "through", addr, "leader", info.LeaderID)
			return nil
		}
		if !seen[info.ID] {
			seen[info.ID] = true
			peers = append(peers, nomad.Peer{ID: info.ID, Address: info.Address})
		}
	}
	expect := j.a.config.Server.BootstrapExpect
	if len(peers) < expect {
		return fmt.Errorf("%d of %d servers known: %w", len(peers), expect, errors.Join(errs...))
	}
	return srv.BootstrapCluster(peers)
}

func (j *serverJoiner) do(method, addr, path string, in, out any) error {
	var body bytes.Buffer
	if in != nil {
		if err := json.NewEncoder(&body).Encode(in); err != nil {
			return err
		}
	}
	req, err := http.NewRequestWithContext(j.ctx, method, "http://"+addr+path, &body)
	if err != nil {
		return err
	}
	resp, err := j.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s %s: status %d", method, addr+path, resp.StatusCode)
	}
	if out == nil {
		return nil
	}
	return json.NewDecoder(resp.Body).Decode(out)
}
