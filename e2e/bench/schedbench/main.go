// Command schedbench measures scheduling through the public API: it starts real
// server agents (one, or three on loopback with -servers 3; no client agent),
// registers simulated nodes through the internal node endpoints exactly as
// client agents do and keeps them heartbeating, then submits a service job of
// -allocs allocations through github.com/hashicorp/nomad/api and times until
// every allocation is placed. The same job on the same nodes run through the
// scheduler in-process (no API, no raft) is the baseline. Then it registers
// -registers small jobs through the API, one at a time and 16 at a time (with
// -servers 3: through a follower, which forwards to the leader, and through the
// leader) and times the register calls. It prints one table.
// With -cpuprofile FILE the servers run with enable_debug = true and the
// leader's CPU profile of the measured runs goes to FILE (go tool pprof -top FILE).
//
// Run it through `make bench-schedule` (e2e/bench/schedule.sh). Everything it
// starts (agents, their data dirs) is stopped and removed on exit, interrupt
// included.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/netnomad/netnomad/e2e/bench/benchkit"
)

// options are the command-line flags.
type options struct {
	nomadBin string
	servers  int
	nodes    int
	allocs   int
	runs     int
	// registers is the number of small jobs registered per pass of the
	// registration phase (0 skips it).
	registers    int
	registerers  int
	heartbeaters int
	// maxHeartbeats is the servers' max_heartbeats_per_second (0: their default).
	maxHeartbeats float64
	timeout       time.Duration
	// cpuProfile, when set, is where the leader's CPU profile of the
	// measured runs goes (their first cpuProfileFor).
	cpuProfile    string
	cpuProfileFor time.Duration
}

func main() {
	var o options
	flag.StringVar(&o.nomadBin, "nomad", "bin/nomad", "nomad binary for the server agents")
	flag.IntVar(&o.servers, "servers", 1, "server agents: 1, or 3 for a raft cluster on loopback")
	flag.IntVar(&o.nodes, "nodes", 5000, "simulated client nodes registered through the API")
	flag.IntVar(&o.allocs, "allocs", 1000, "allocations of the service job (count)")
	flag.IntVar(&o.runs, "runs", 3, "job submissions measured, each with a fresh job ID, purged after")
	flag.IntVar(&o.registers, "registers", 500,
		"small jobs registered through the API per pass (1 and 16 writers; with -servers 3 via a follower and the leader); 0 skips")
	flag.IntVar(&o.registerers, "registerers", 32, "concurrent node registrations")
	flag.IntVar(&o.heartbeaters, "heartbeaters", 8, "goroutines sending the nodes' heartbeats")
	flag.Float64Var(&o.maxHeartbeats, "max-heartbeats-per-second", 0,
		"the servers' max_heartbeats_per_second (0: their default); higher means shorter TTLs and more heartbeats")
	flag.DurationVar(&o.timeout, "timeout", 5*time.Minute, "deadline for each wait (nodes registered, allocations placed)")
	flag.StringVar(&o.cpuProfile, "cpuprofile", "",
		"write the leader's CPU profile of the measured runs to this file (servers get enable_debug = true)")
	flag.DurationVar(&o.cpuProfileFor, "cpuprofile-duration", 10*time.Second,
		"how long -cpuprofile samples, from the start of the first measured run")
	flag.Parse()
	if err := o.check(); err != nil {
		fmt.Fprintln(os.Stderr, "schedbench:", err)
		os.Exit(2)
	}

	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		s := <-sigs
		fmt.Fprintf(os.Stderr, "schedbench: %s, cleaning up\n", s)
		benchkit.Cleanup()
		os.Exit(130)
	}()

	err := run(o)
	benchkit.Cleanup()
	if err != nil {
		fmt.Fprintln(os.Stderr, "schedbench:", err)
		os.Exit(1)
	}
}

// check reports every bad flag at once.
func (o options) check() error {
	var errs []string
	if o.servers != 1 && o.servers != 3 {
		errs = append(errs, fmt.Sprintf("-servers must be 1 or 3, not %d", o.servers))
	}
	for _, f := range []struct {
		name string
		v    int
	}{{"nodes", o.nodes}, {"allocs", o.allocs}, {"runs", o.runs}, {"registerers", o.registerers}, {"heartbeaters", o.heartbeaters}} {
		if f.v < 1 {
			errs = append(errs, fmt.Sprintf("-%s must be at least 1, not %d", f.name, f.v))
		}
	}
	if o.registers < 0 {
		errs = append(errs, fmt.Sprintf("-registers must not be negative, not %d", o.registers))
	}
	if o.maxHeartbeats < 0 {
		errs = append(errs, "-max-heartbeats-per-second must not be negative")
	}
	if o.timeout <= 0 {
		errs = append(errs, "-timeout must be positive")
	}
	if o.cpuProfile != "" && o.cpuProfileFor < time.Second {
		errs = append(errs, "-cpuprofile-duration must be at least 1s")
	}
	if len(errs) == 0 {
		return nil
	}
	msg := fmt.Sprintf("%d problems with the flags:", len(errs))
	for _, e := range errs {
		msg += "\n  * " + e
	}
	return fmt.Errorf("%s", msg)
}

// cleanups run on exit and on SIGINT/SIGTERM, last registered first, once.
var ()

func run(o options) error {
	dir, err := os.MkdirTemp("", "schedbench-")
	if err != nil {
		return err
	}
	benchkit.AtExit(func() { os.RemoveAll(dir) })

	nodes := simulatedNodes(o.nodes)
	fmt.Fprintf(os.Stderr, "schedbench: baseline: %d runs of the scheduler in-process (after one warm-up)\n", o.runs)
	base, err := baseline(nodes, o.allocs, o.runs)
	if err != nil {
		return fmt.Errorf("baseline: %w", err)
	}

	fmt.Fprintf(os.Stderr, "schedbench: starting %d server agent(s)\n", o.servers)
	c, err := startCluster(o.nomadBin, dir, o.servers, o.maxHeartbeats, o.cpuProfile != "", o.timeout)
	if err != nil {
		return err
	}
	benchkit.AtExit(c.Stop)

	fmt.Fprintf(os.Stderr, "schedbench: registering %d nodes, %d at a time\n", o.nodes, o.registerers)
	fleet, err := newFleet(c.httpAddrs(), nodes, o.heartbeaters)
	if err != nil {
		return err
	}
	benchkit.AtExit(func() { fleet.Stop() })
	reg, err := fleet.RegisterAll(o.registerers, o.timeout)
	if err != nil {
		return fmt.Errorf("%w\n%s", err, c.logTail(20))
	}
	if err := c.waitNodesReady(o.nodes, o.timeout); err != nil {
		return fmt.Errorf("%w\n%s", err, c.logTail(20))
	}

	profileDone := func() error { return nil }
	if o.cpuProfile != "" {
		if profileDone, err = c.startCPUProfile(o.cpuProfile, o.cpuProfileFor); err != nil {
			return err
		}
	}
	var placed []placement
	for i := 1; i <= o.runs; i++ {
		fmt.Fprintf(os.Stderr, "schedbench: run %d of %d: %d allocations\n", i, o.runs, o.allocs)
		p, err := c.placeJob(fmt.Sprintf("schedbench-%d", i), o.allocs, o.timeout)
		if err != nil {
			return fmt.Errorf("run %d: %w\n%s", i, err, c.logTail(20))
		}
		placed = append(placed, p)
	}
	if err := profileDone(); err != nil {
		return err
	}
	var regs []registerPass
	if o.registers > 0 {
		fmt.Fprintf(os.Stderr, "schedbench: registering %d small jobs per pass\n", o.registers)
		if regs, err = c.measureRegistrations(o.registers, "reg"); err != nil {
			return fmt.Errorf("%w\n%s", err, c.logTail(20))
		}
	}

	// Every node must still be ready: the heartbeats kept up for the whole run.
	notReady, err := c.nodesNotReady()
	if err != nil {
		return err
	}
	leader := c.leaderName()
	hb := fleet.Stop()
	report(os.Stdout, o, reg, placed, base, regs, hb, notReady, leader)
	if notReady > 0 {
		return fmt.Errorf("%d nodes were not ready at the end: heartbeats did not keep up", notReady)
	}
	if hb.failures > 0 {
		return fmt.Errorf("%d heartbeats failed", hb.failures)
	}
	return nil
}
