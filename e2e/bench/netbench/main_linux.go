// Command netbench measures the network setup of bridge allocations on this
// machine and prints one table: our configurator (the code the network hook
// calls) against the bare CNI chain run by hand with the same plugins and
// conflist, CPU and processes per setup, a burst of concurrent setups, and 50
// allocations started at once through a real agent. Run it as root through
// `make bench-network` (e2e/bench/network.sh).
//
// Everything runs in a throwaway network namespace except the agent part, which
// uses its own bridge and subnet; all of it is removed on exit, interrupt
// included.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/netnomad/netnomad/client/network"
	"github.com/netnomad/netnomad/e2e/bench/benchkit"
)

func main() {
	runs := flag.Int("runs", 20, "measured setup+teardown runs per path (after one warm-up)")
	burstN := flag.Int("burst", 50, "allocations set up at once through the configurator (0: skip)")
	agentN := flag.Int("agent-allocs", 50, "allocations started at once through a real agent (0: skip)")
	nomadBin := flag.String("nomad", "bin/nomad", "nomad binary for the agent part")
	testapp := flag.String("testapp", "", "e2e/testapp binary for the agent part")
	cniPath := flag.String("cni-path", network.DefaultCNIPath, "CNI plugin directory")
	backends := flag.String("backends", "iptables,nftables", "NAT backends to measure the configurator and the bare chain under")
	noFW := flag.Bool("no-firewall-variant", false, "also measure the bare chain without the firewall plugin")
	flag.Parse()
	benchNoFirewall = *noFW
	benchBackends = strings.Split(*backends, ",")
	if err := run(*runs, *burstN, *agentN, *nomadBin, *testapp, network.SplitCNIPath(*cniPath)); err != nil {
		fmt.Fprintln(os.Stderr, "netbench:", err)
		benchkit.Cleanup()
		os.Exit(1)
	}
	benchkit.Cleanup()
}

// cleanups run on exit and on SIGINT/SIGTERM, last registered first.
var ()

// benchBackends is -backends; benchNoFirewall is -no-firewall-variant.
var (
	benchBackends   []string
	benchNoFirewall bool
)

func run(runs, burstN, agentN int, nomadBin, testapp string, cniPath []string) error {
	if os.Geteuid() != 0 {
		return fmt.Errorf("must run as root")
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		s := <-sigs
		fmt.Fprintf(os.Stderr, "netbench: %s, cleaning up\n", s)
		benchkit.Cleanup()
		os.Exit(130)
	}()

	procs, err := newProcCounter() // before entering any namespace
	if err != nil {
		fmt.Fprintf(os.Stderr, "netbench: not counting processes: %v\n", err)
	} else {
		benchkit.AtExit(procs.Close)
	}

	dir, err := os.MkdirTemp("", "netbench-")
	if err != nil {
		return err
	}
	benchkit.AtExit(func() { os.RemoveAll(dir) })
	w, err := newWorld(dir + "/world")
	if err != nil {
		return err
	}
	benchkit.AtExit(w.Close)
	m, err := newMicro(w, cniPath, nil, benchBackends, benchNoFirewall)
	if err != nil {
		return err
	}
	benchkit.AtExit(func() { m.db.Close() })

	ctx := context.Background()
	all := make([]*series, len(m.paths))
	colds := make([]sample, len(m.paths))
	for i, p := range m.paths {
		all[i] = &series{name: p.name}
	}
	fmt.Fprintf(os.Stderr, "netbench: %d runs of each of %d paths, interleaved", runs, len(m.paths))
	for i := -1; i < runs; i++ {
		for j, p := range m.paths {
			x, err := p.run(ctx)
			if err != nil {
				return fmt.Errorf("%s, run %d: %w", p.name, i+1, err)
			}
			if i < 0 { // warm-up: the first setup creates the bridge and shared chains
				colds[j] = x
				continue
			}
			all[j].add(x)
		}
		fmt.Fprint(os.Stderr, ".")
	}
	fmt.Fprintln(os.Stderr)
	if procs != nil {
		for _, s := range all {
			ws := make([]window, len(s.samples))
			for i, x := range s.samples {
				ws[i] = x.win
			}
			if s.forks, s.execs, err = procs.counts(ws); err != nil {
				fmt.Fprintf(os.Stderr, "netbench: process counts may be low: %v\n", err)
			}
		}
	}

	var br *burst
	if burstN > 0 {
		fmt.Fprintf(os.Stderr, "netbench: %d setups at once through the configurator (%s)\n", burstN, m.backend)
		b := m.burst(ctx, burstN)
		br = &b
	}

	var ar *agentResult
	var agentErr error
	if agentN > 0 {
		fmt.Fprintf(os.Stderr, "netbench: %d allocations at once through a real agent\n", agentN)
		ar, agentErr = agentPart(nomadBin, testapp, dir, agentN)
	}

	report(os.Stdout, runs, all, colds, m.backend, br, ar, agentErr)
	if agentErr != nil {
		return agentErr
	}
	if br != nil && br.errs > 0 {
		return fmt.Errorf("%d of %d concurrent setups failed: %w", br.errs, br.n, br.firstErr)
	}
	return nil
}

func agentPart(nomadBin, testapp, dir string, n int) (*agentResult, error) {
	if testapp == "" {
		return nil, fmt.Errorf("-testapp is required for the agent part")
	}
	if err := os.MkdirAll(dir+"/agent", 0o755); err != nil {
		return nil, err
	}
	a, err := startAgent(nomadBin, dir+"/agent")
	if err != nil {
		return nil, err
	}
	benchkit.AtExit(a.Stop)
	r, err := a.fifty(testapp, n)
	return &r, err
}

func report(out *os.File, runs int, all []*series, colds []sample, backend string, br *burst, ar *agentResult, agentErr error) {
	ipt, _ := exec.Command("iptables", "--version").Output()
	load, _ := os.ReadFile("/proc/loadavg")
	fmt.Fprintf(out, "\nnetwork setup benchmark: %d runs per path, 1 group port (tcp+udp), %s, load %s\n\n",
		runs, strings.TrimSpace(string(ipt)), strings.Join(strings.Fields(string(load))[:3], " "))
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "path\tsetup p50 ms\tsetup p90 ms\tteardown p50 ms\tteardown p90 ms\tCPU/setup p50 ms\tprocs/setup\texecs/setup\tcold setup ms\t")
	p50 := map[string]time.Duration{}
	for i, s := range all {
		setups := s.durations(func(x sample) time.Duration { return x.setup })
		tds := s.durations(func(x sample) time.Duration { return x.teardown })
		cpus := s.durations(func(x sample) time.Duration { return x.cpu })
		procs, execs := "n/a", "n/a"
		if s.forks != nil {
			procs, execs = fmt.Sprint(medianInt(s.forks)), fmt.Sprint(medianInt(s.execs))
		}
		p50[s.name] = percentile(setups, 50)
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", s.name,
			ms(percentile(setups, 50)), ms(percentile(setups, 90)),
			ms(percentile(tds, 50)), ms(percentile(tds, 90)), ms(percentile(cpus, 50)),
			procs, execs, ms(colds[i].setup))
	}
	tw.Flush()
	fmt.Fprintln(out)
	for _, b := range benchBackends {
		h, c := p50["hook, "+b], p50["bare CNI chain, "+b]
		if h > 0 && c > 0 {
			fmt.Fprintf(out, "hook vs bare chain (%s), setup p50: %+.0f%% (target: under +10%%; absolute target p50 < 150 ms)\n",
				b, 100*(float64(h)/float64(c)-1))
		}
	}
	if br != nil {
		fmt.Fprintf(out, "%d setups at once through the configurator (%s): all done after %.1f s (per-alloc p50 %.1f s, p90 %.1f s), teardown of all %.1f s; CPU per alloc %.0f ms setup, %.0f ms setup+teardown; %d errors\n",
			br.n, backend, br.setupSpan.Seconds(), percentile(br.latencies, 50).Seconds(), percentile(br.latencies, 90).Seconds(),
			br.tdSpan.Seconds(), float64(br.cpuSetup/time.Duration(br.n))/float64(time.Millisecond),
			float64(br.cpuTotal/time.Duration(br.n))/float64(time.Millisecond), br.errs)
	}
	switch {
	case ar != nil && agentErr == nil:
		fmt.Fprintf(out, "agent (%s): %d bridge allocations started at once: first running after %.1f s, all running after %.1f s (target < 12 s); all gone %.1f s after stop\n",
			backend, ar.n, ar.firstRunning.Seconds(), ar.running.Seconds(), ar.gone.Seconds())
	case agentErr != nil:
		fmt.Fprintf(out, "agent: FAILED: %v\n", agentErr)
	}
}
