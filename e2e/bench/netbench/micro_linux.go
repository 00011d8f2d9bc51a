package main

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"time"

	"github.com/containernetworking/cni/libcni"
	"github.com/google/uuid"
	"github.com/hashicorp/go-hclog"
	"golang.org/x/sys/unix"

	"github.com/netnomad/netnomad/client/network"
	"github.com/netnomad/netnomad/client/state"
	"github.com/netnomad/netnomad/nomad/structs"
)

// sample is one measured setup + teardown.
type sample struct {
	setup, teardown time.Duration
	cpu             time.Duration // user+sys of this process and its children during setup
	win             window        // the setup, on the process events' clock
}

// series is the samples of one path.
type series struct {
	name    string
	samples []sample
	forks   []int
	execs   []int
}

func (s *series) add(x sample) { s.samples = append(s.samples, x) }

func (s *series) durations(f func(sample) time.Duration) []time.Duration {
	out := make([]time.Duration, len(s.samples))
	for i, x := range s.samples {
		out[i] = f(x)
	}
	return out
}

// cpuNow is the user+sys time used so far by this process and its reaped
// children (each child's figure includes its own reaped children: the plugins'
// iptables runs).
func cpuNow() time.Duration {
	var self, kids unix.Rusage
	_ = unix.Getrusage(unix.RUSAGE_SELF, &self)
	_ = unix.Getrusage(unix.RUSAGE_CHILDREN, &kids)
	tv := func(t unix.Timeval) time.Duration { return time.Duration(t.Nano()) }
	return tv(self.Utime) + tv(self.Stime) + tv(kids.Utime) + tv(kids.Stime)
}

const (
	benchHostPort = 28080
	benchToPort   = 8080
)

func benchAlloc(hostPort int) *structs.Allocation {
	return &structs.Allocation{
		ID: uuid.NewString(),
		AllocatedResources: &structs.AllocatedResources{
			Shared: structs.AllocatedSharedResources{Ports: []structs.AllocatedPortMapping{
				{Label: "http", Value: hostPort, To: benchToPort},
			}},
		},
	}
}

var bridgeSpec = &structs.NetworkResource{Mode: structs.NetworkModeBridge}

// path is one way of setting up an allocation's network, measured in turn.
type path struct {
	name string
	run  func(ctx context.Context) (sample, error)
}

// micro is the in-process part of the benchmark: our configurator and the bare
// chain, under each NAT backend, in one throwaway world.
type micro struct {
	w       *world
	db      *state.BoltStateDB    // the client state the hook persists each status to
	burstC  *network.Configurator // the configurator as the agent makes it (default backend)
	backend string                // the default backend on this host
	paths   []path
}

// With noFirewall, each backend also gets the bare chain without the firewall
// plugin (what pre-created subnet-wide FORWARD rules would allow).
func newMicro(w *world, cniPath []string, logger hclog.Logger, backends []string, noFirewall bool) (*micro, error) {
	db, err := state.NewBoltStateDB(filepath.Join(w.dir, "client-state"))
	if err != nil {
		return nil, err
	}
	m := &micro{w: w, db: db}
	cfg := func(name, backend string) network.Config {
		return network.Config{
			Logger:       logger,
			CNIPath:      cniPath,
			CNIConfigDir: filepath.Join(w.dir, "cni-config"),
			NetnsDir:     filepath.Join(w.dir, "netns"),
			CNICacheDir:  filepath.Join(w.dir, "cache-"+name),
			IPAMDataDir:  filepath.Join(w.dir, "ipam"),
			NATBackend:   backend,
		}
	}
	def, err := network.NewConfigurator(cfg("default", ""))
	if err != nil {
		return nil, err
	}
	m.burstC, m.backend = def, def.NATBackend()
	for _, backend := range backends {
		c, err := network.NewConfigurator(cfg("hook-"+backend, backend))
		if err != nil {
			return nil, err
		}
		list, err := libcni.NetworkConfFromBytes(c.BridgeConflist())
		if err != nil {
			return nil, err
		}
		bare := libcni.NewCNIConfigWithCacheDir(cniPath, filepath.Join(w.dir, "cache-bare-"+backend), nil)
		m.paths = append(m.paths,
			path{name: "hook, " + backend, run: func(ctx context.Context) (sample, error) { return m.hook(ctx, c) }},
			path{name: "bare CNI chain, " + backend, run: func(ctx context.Context) (sample, error) { return m.chain(ctx, bare, list) }},
		)
		if noFirewall {
			nofw := *list
			nofw.Plugins = nil
			for _, p := range list.Plugins {
				if p.Network.Type != "firewall" {
					nofw.Plugins = append(nofw.Plugins, p)
				}
			}
			bareNoFW := libcni.NewCNIConfigWithCacheDir(cniPath, filepath.Join(w.dir, "cache-nofw-"+backend), nil)
			m.paths = append(m.paths, path{name: "bare chain without firewall, " + backend,
				run: func(ctx context.Context) (sample, error) { return m.chain(ctx, bareNoFW, &nofw) }})
		}
	}
	return m, nil
}

// hook does for one allocation what the alloc runner's network hook does:
// Setup through the configurator and the status persisted to the client's
// state (bbolt, fsync'd) before any task would start; then Teardown.
func (m *micro) hook(ctx context.Context, c *network.Configurator) (sample, error) {
	a := benchAlloc(benchHostPort)
	var s sample
	err := m.w.do(func() error {
		c0, t0 := cpuNow(), time.Now()
		s.win.start = monoNow()
		st, err := c.Setup(ctx, a, bridgeSpec)
		if err == nil {
			err = m.db.PutNetworkStatus(a.ID, st)
		}
		s.win.end = monoNow()
		t1, c1 := time.Now(), cpuNow()
		if err != nil {
			return fmt.Errorf("setup: %w", err)
		}
		if err := c.Teardown(ctx, a, bridgeSpec, st); err != nil {
			return fmt.Errorf("teardown: %w", err)
		}
		s.setup, s.teardown, s.cpu = t1.Sub(t0), time.Since(t1), c1-c0
		return nil
	})
	return s, err
}

// chain runs the same conflist by hand with libcni: netns create + ADD, then
// DEL + netns remove.
func (m *micro) chain(ctx context.Context, bare *libcni.CNIConfig, list *libcni.NetworkConfigList) (sample, error) {
	id := uuid.NewString()
	rt := &libcni.RuntimeConf{
		ContainerID: id,
		NetNS:       filepath.Join(m.w.dir, "bare-netns", id),
		IfName:      "eth0",
		CapabilityArgs: map[string]any{"portMappings": []network.PortMapping{
			{HostPort: benchHostPort, ContainerPort: benchToPort, Protocol: "tcp"},
			{HostPort: benchHostPort, ContainerPort: benchToPort, Protocol: "udp"},
		}},
	}
	var s sample
	err := m.w.do(func() error {
		c0, t0 := cpuNow(), time.Now()
		s.win.start = monoNow()
		if err := bindNetns(rt.NetNS); err != nil {
			return err
		}
		_, err := bare.AddNetworkList(ctx, list, rt)
		s.win.end = monoNow()
		t1, c1 := time.Now(), cpuNow()
		if err != nil {
			_ = bare.DelNetworkList(ctx, list, rt)
			_ = destroyNetns(rt.NetNS)
			return fmt.Errorf("add: %w", err)
		}
		if err := bare.DelNetworkList(ctx, list, rt); err != nil {
			_ = destroyNetns(rt.NetNS)
			return fmt.Errorf("del: %w", err)
		}
		if err := destroyNetns(rt.NetNS); err != nil {
			return err
		}
		s.setup, s.teardown, s.cpu = t1.Sub(t0), time.Since(t1), c1-c0
		return nil
	})
	return s, err
}

// burst is n allocations set up at once through the configurator, then torn
// down at once.
type burst struct {
	n                  int
	setupSpan, tdSpan  time.Duration
	latencies          []time.Duration
	cpuSetup, cpuTotal time.Duration
	errs               int
	firstErr           error
}

func (m *micro) burst(ctx context.Context, n int) burst {
	b := burst{n: n, latencies: make([]time.Duration, n)}
	allocs := make([]*structs.Allocation, n)
	sts := make([]*structs.AllocNetworkStatus, n)
	errs := make([]error, n)
	for i := range allocs {
		allocs[i] = benchAlloc(29000 + i)
	}
	c0, t0 := cpuNow(), time.Now()
	var wg sync.WaitGroup
	for i := range allocs {
		wg.Go(func() {
			errs[i] = m.w.do(func() error {
				var err error
				sts[i], err = m.burstC.Setup(ctx, allocs[i], bridgeSpec)
				b.latencies[i] = time.Since(t0)
				return err
			})
		})
	}
	wg.Wait()
	b.setupSpan, b.cpuSetup = time.Since(t0), cpuNow()-c0
	t1 := time.Now()
	for i := range allocs {
		wg.Go(func() {
			err := m.w.do(func() error { return m.burstC.Teardown(ctx, allocs[i], bridgeSpec, sts[i]) })
			if errs[i] == nil {
				errs[i] = err
			}
		})
	}
	wg.Wait()
	b.tdSpan, b.cpuTotal = time.Since(t1), cpuNow()-c0
	for _, err := range errs {
		if err != nil {
			b.errs++
			if b.firstErr == nil {
				b.firstErr = err
			}
		}
	}
	return b
}
