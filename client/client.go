// Package client is the client agent: it fingerprints and registers its node,
// heartbeats, watches the allocations the servers assign to it, runs each with
// an alloc runner, reports their status back, and restores them after a restart.
package client

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/hashicorp/consul/api"
	"github.com/hashicorp/go-hclog"

	"github.com/netnomad/netnomad/client/allocrunner"
	"github.com/netnomad/netnomad/client/allocrunner/taskrunner"
	"github.com/netnomad/netnomad/client/config"
	"github.com/netnomad/netnomad/client/fingerprint"
	consulsr "github.com/netnomad/netnomad/client/serviceregistration/consul"
	"github.com/netnomad/netnomad/client/serviceregistration/watcher"
	"github.com/netnomad/netnomad/client/state"
	"github.com/netnomad/netnomad/nomad/structs"
)

// Client runs allocations on this node. All methods are safe for concurrent use.
type Client struct {
	config  *config.Config
	logger  hclog.Logger
	servers ServerAPI
	stateDB state.StateDB

	nodeMu sync.RWMutex
	node   *structs.Node

	allocMu sync.RWMutex
	allocs  map[string]*allocrunner.AllocRunner

	// pendingUpdates holds the latest client view per alloc, flushed to the
	// servers every allocSyncInterval.
	updatesMu      sync.Mutex
	pendingUpdates map[string]*structs.Allocation

	// hostEnv is the agent's environment minus env.blacklist, inherited by tasks.
	hostEnv map[string]string

	// consulServices lets Connect sidecars wait for their registration (nil
	// without a consul block).
	consulServices taskrunner.ServiceLookup
	// checkWatcher restarts tasks whose checks with a check_restart stay
	// unhealthy (nil without a consul block).
	checkWatcher *watcher.Watcher
	// consulFingerprint sets the node's consul.* attributes (nil without a
	// consul block).
	consulFingerprint consulAttributes

	// registered is closed once the node is registered.
	registered chan struct{}

	shutdownCtx    context.Context
	shutdownCancel context.CancelFunc
	shutdownOnce   sync.Once
	wg             sync.WaitGroup
	// destroys tracks alloc runners being destroyed (Shutdown waits for them).
	destroys sync.WaitGroup
}

// Timing of the client's loops.
var (
	allocSyncInterval = 200 * time.Millisecond
	// retryMin/retryMax bound the backoff of failing server calls.
	retryMin = 250 * time.Millisecond
	retryMax = 15 * time.Second
	// defaultHeartbeatTTL is used when a server returns no TTL.
	defaultHeartbeatTTL = 10 * time.Second
)

// NewClient fingerprints the node, restores the allocations persisted by an
// earlier agent (re-attaching to their running tasks), and starts registering,
// heartbeating and watching allocations in the background. cfg is canonicalized
// in place.
func NewClient(cfg *config.Config, servers ServerAPI) (*Client, error) {
	cfg.Canonicalize()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	logger := cfg.Logger.Named("client")
	for _, dir := range []string{cfg.StateDir, cfg.AllocDir} {
		if err := os.MkdirAll(dir, 0o711); err != nil {
			return nil, fmt.Errorf("failed to create directory %q: %w", dir, err)
		}
	}
	nodeID, err := cfg.LoadOrCreateNodeID()
	if err != nil {
		return nil, err
	}
	secretID, err := cfg.LoadOrCreateNodeSecret()
	if err != nil {
		return nil, err
	}
	db, err := state.NewBoltStateDB(cfg.StateDir)
	if err != nil {
		return nil, err
	}

	c := &Client{
		config:         cfg,
		logger:         logger,
		servers:        servers,
		stateDB:        db,
		allocs:         map[string]*allocrunner.AllocRunner{},
		pendingUpdates: map[string]*structs.Allocation{},
		registered:     make(chan struct{}),
		hostEnv:        config.HostEnv(cfg, os.Environ()),
	}
	c.shutdownCtx, c.shutdownCancel = context.WithCancel(context.Background())
	if cfg.Consul != nil {
		consul, err := api.NewClient(cfg.Consul.APIConfig())
		if err != nil {
			db.Close()
			return nil, fmt.Errorf("failed to create consul client: %w", err)
		}
		c.consulServices = taskrunner.ConsulAgentLookup{Agent: consul.Agent()}
		// One poller of check statuses for every check_restart of this client.
		c.checkWatcher = watcher.New(watcher.Config{
			Getter: consulsr.CheckStatuses{Agent: consul.Agent()},
			Logger: logger,
		})
		if c.consulFingerprint, err = fingerprint.NewConsulFingerprint(cfg.Consul); err != nil {
			db.Close()
			return nil, err
		}
	}

	if err := c.setupNode(nodeID, secretID); err != nil {
		db.Close()
		return nil, err
	}
	// Consul is asked once before the first registration, so that a node whose
	// agent answers takes Connect work from the start.
	consulAvailable := false
	if c.consulFingerprint != nil {
		if consulAvailable, _ = c.applyConsulFingerprint(); !consulAvailable {
			logger.Warn("consul agent is unavailable; Connect tasks will not be placed here until it answers",
				"address", cfg.Consul.Address)
		}
	}
	if err := c.restoreState(); err != nil {
		logger.Error("failed to restore state", "error", err)
	}
	c.collectLeakedNetworks()
	c.prepareHostNetwork()

	c.wg.Add(3)
	go c.registerAndHeartbeat()
	go c.watchAllocations()
	go c.allocSync()
	c.wg.Add(2)
	go c.gcLoop()
	go c.watchDrivers()
	if c.consulFingerprint != nil {
		c.wg.Add(1)
		go c.watchConsul(consulAvailable)
	}
	if c.checkWatcher != nil {
		c.wg.Add(1)
		go func() {
			defer c.wg.Done()
			c.checkWatcher.Run(c.shutdownCtx)
		}()
	}
	if syncer, ok := cfg.ServiceRegistration.(serviceSyncer); ok {
		// Removes services of allocations this client no longer runs.
		c.wg.Add(1)
		go func() {
			defer c.wg.Done()
			syncer.RunSync(c.shutdownCtx, serviceSyncInterval, c.liveAllocIDs)
		}()
	}
	logger.Info("started client", "node_id", nodeID)
	return c, nil
}

// serviceSyncer is a service registration handler with a periodic sync
// (consul.ServiceClient).
type serviceSyncer interface {
	RunSync(ctx context.Context, interval time.Duration, live func() []string)
}

// serviceSyncInterval is how often registrations are reconciled (Nomad: 30s).
var serviceSyncInterval = 30 * time.Second

// liveAllocIDs returns the allocations whose runners have not finished: their
// services may be registered; everybody else's are leftovers.
func (c *Client) liveAllocIDs() []string {
	c.allocMu.RLock()
	defer c.allocMu.RUnlock()
	out := make([]string, 0, len(c.allocs))
	for id, ar := range c.allocs {
		if !ar.IsDone() {
			out = append(out, id)
		}
	}
	return out
}

// setupNode builds the node from the config and the fingerprint.
func (c *Client) setupNode(nodeID, secretID string) error {
	name := c.config.NodeName
	if name == "" {
		name, _ = os.Hostname()
	}
	node := &structs.Node{
		ID:                    nodeID,
		SecretID:              secretID,
		Datacenter:            c.config.Datacenter,
		Name:                  name,
		NodeClass:             c.config.NodeClass,
		HTTPAddr:              c.config.HTTPAddr,
		Meta:                  map[string]string{},
		SchedulingEligibility: structs.NodeSchedulingEligible,
		Status:                structs.NodeStatusInit,
	}
	for k, v := range c.config.Meta {
		node.Meta[k] = v
	}
	fp, err := fingerprint.Fingerprint(c.shutdownCtx, c.config, node, c.logger)
	if err != nil {
		return fmt.Errorf("failed to fingerprint node: %w", err)
	}
	c.nodeMu.Lock()
	c.node = fp
	c.nodeMu.Unlock()
	return nil
}

// Node returns a copy of the client's node.
func (c *Client) Node() *structs.Node {
	c.nodeMu.RLock()
	defer c.nodeMu.RUnlock()
	return c.node.Copy()
}

// nodeID returns the node's ID.
func (c *Client) nodeID() string {
	c.nodeMu.RLock()
	defer c.nodeMu.RUnlock()
	return c.node.ID
}

// Shutdown stops the client's loops and its alloc runners without stopping any
// task: the next agent restores and re-attaches to them. In DevMode, as in
// Nomad, every allocation is destroyed instead (tasks killed, dirs removed).
// Pending status updates are flushed (best effort). Idempotent.
func (c *Client) Shutdown() error {
	var err error
	c.shutdownOnce.Do(func() {
		c.logger.Info("shutting down")
		c.shutdownCancel()
		c.wg.Wait()
		c.allocMu.RLock()
		runners := make([]*allocrunner.AllocRunner, 0, len(c.allocs))
		for _, ar := range c.allocs {
			runners = append(runners, ar)
		}
		c.allocMu.RUnlock()
		for _, ar := range runners {
			if c.config.DevMode {
				// A dev agent's allocations die with it, as in Nomad.
				ar.Destroy()
				<-ar.DestroyCh()
				continue
			}
			ar.Shutdown()
		}
		c.destroys.Wait()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		c.flushUpdates(ctx)
		cancel()
		err = c.stateDB.Close()
	})
	return err
}

// AllocState returns the client's view of an allocation: the last version it got
// from the servers with the runner's client status, task states and network
// status.
func (c *Client) AllocState(allocID string) (*structs.Allocation, error) {
	ar, err := c.getAllocRunner(allocID)
	if err != nil {
		return nil, err
	}
	return ar.Alloc(), nil
}

// Allocs returns the client's view of every allocation it runs.
func (c *Client) Allocs() []*structs.Allocation {
	c.allocMu.RLock()
	defer c.allocMu.RUnlock()
	out := make([]*structs.Allocation, 0, len(c.allocs))
	for _, ar := range c.allocs {
		out = append(out, ar.Alloc())
	}
	return out
}

// AllocDir returns the allocation's directory (<alloc_dir>/<alloc_id>); task logs
// are in its alloc/logs as <task>.stdout.N and <task>.stderr.N.
func (c *Client) AllocDir(allocID string) (string, error) {
	ar, err := c.getAllocRunner(allocID)
	if err != nil {
		return "", err
	}
	return ar.AllocDir().AllocDir, nil
}

// RestartAlloc restarts one task of the allocation, or all its running tasks when
// task is empty. It is a user restart: it does not count against the restart
// policy and is recorded as "Restart Signaled" / "User requested restart".
func (c *Client) RestartAlloc(allocID, task string) error {
	ar, err := c.getAllocRunner(allocID)
	if err != nil {
		return err
	}
	ev := structs.NewTaskEvent(structs.TaskRestartSignal)
	ev.RestartReason = "User requested restart"
	if task == "" {
		return ar.RestartAll(ev)
	}
	return ar.RestartTask(task, ev)
}

func (c *Client) getAllocRunner(allocID string) (*allocrunner.AllocRunner, error) {
	c.allocMu.RLock()
	defer c.allocMu.RUnlock()
	ar, ok := c.allocs[allocID]
	if !ok {
		return nil, structs.NewCodedError(404, "Unknown allocation %q: %w", allocID, structs.ErrNotFound)
	}
	return ar, nil
}

// restoreState recreates alloc runners for persisted allocations and runs them;
// their task runners re-attach to live tasks.
func (c *Client) restoreState() error {
	allocs, err := c.stateDB.GetAllAllocations()
	var errs []error
	if err != nil {
		errs = append(errs, err)
	}
	for _, alloc := range allocs {
		ar, err := c.newAllocRunner(alloc)
		if err == nil {
			err = ar.Restore()
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("failed to restore alloc %q: %w", alloc.ID, err))
			continue
		}
		c.allocMu.Lock()
		c.allocs[alloc.ID] = ar
		c.allocMu.Unlock()
		c.logger.Info("restored allocation", "alloc_id", alloc.ID)
		go ar.Run()
	}
	return errors.Join(errs...)
}

// newAllocRunner builds an alloc runner wired to this client.
func (c *Client) newAllocRunner(alloc *structs.Allocation) (*allocrunner.AllocRunner, error) {
	return allocrunner.NewAllocRunner(allocrunner.Config{
		Alloc:               alloc,
		Logger:              c.logger,
		AllocRoot:           c.config.AllocDir,
		Region:              c.config.Region,
		Node:                c.Node,
		Drivers:             c.config.Drivers,
		MaxKillTimeout:      c.config.MaxKillTimeout,
		StateDB:             c.stateDB,
		StateUpdater:        c,
		NetworkConfigurator: c.config.NetworkConfigurator,
		HostEnv:             c.hostEnv,
		ServiceRegistration: c.config.ServiceRegistration,
		Consul:              c.config.Consul,
		ConsulServices:      c.consulServices,
		CheckWatcher:        c.allocCheckWatcher(),
	})
}

// allocCheckWatcher is the check watcher as alloc runners take it: a nil
// interface, not a nil pointer, when there is none.
func (c *Client) allocCheckWatcher() taskrunner.CheckWatcher {
	if c.checkWatcher == nil {
		return nil
	}
	return c.checkWatcher
}

// backoff returns the next retry delay after d.
func backoff(d time.Duration) time.Duration {
	if d < retryMin {
		return retryMin
	}
	d *= 2
	if d > retryMax {
		return retryMax
	}
	return d
}

// sleepCtx waits d or until the client shuts down (returns false).
func (c *Client) sleepCtx(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-c.shutdownCtx.Done():
		return false
	}
}
