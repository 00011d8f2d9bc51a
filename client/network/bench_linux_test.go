package network

import (
	"context"
	"sort"
	"testing"
	"time"
)

// BenchmarkBridgeSetupTeardown measures one bridge allocation (one group port,
// mapped tcp+udp) set up and torn down through the Configurator, in a throwaway
// host namespace. Compare with perf-reliability.md 2.3 (bare chain ADD p50
// ~349 ms, DEL ~268 ms quiet on these 2-core VMs). One sub-benchmark per NAT
// backend.
func BenchmarkBridgeSetupTeardown(b *testing.B) {
	forEachNATBackendB(b, benchBridgeSetupTeardown)
}

func benchBridgeSetupTeardown(b *testing.B, backend string) {
	w := newWorld(b, func(c *Config) { c.Logger, c.NATBackend = nil, backend })
	ctx := context.Background()
	var setups, teardowns []time.Duration
	b.ResetTimer()
	for b.Loop() {
		a := newAlloc(port("http", 28080, 8080))
		var err error
		_ = w.do(func() error {
			t0 := time.Now()
			st, err1 := w.c.Setup(ctx, a, bridgeSpec)
			t1 := time.Now()
			err = err1
			if err1 == nil {
				err = w.c.Teardown(ctx, a, bridgeSpec, st)
			}
			setups = append(setups, t1.Sub(t0))
			teardowns = append(teardowns, time.Since(t1))
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(msPercentile(setups, 50), "setup-p50-ms")
	b.ReportMetric(msPercentile(setups, 90), "setup-p90-ms")
	b.ReportMetric(msPercentile(teardowns, 50), "teardown-p50-ms")
}

// forEachNATBackendB runs bench once per NAT backend, as a sub-benchmark named
// after it (nftables only where nft works).
func forEachNATBackendB(b *testing.B, bench func(b *testing.B, backend string)) {
	for _, backend := range natBackends {
		b.Run(backend, func(b *testing.B) {
			if backend == NATBackendNFTables && !nftablesUsable() {
				missingCapability(b, "nftables backend needs the nft command (Debian package nftables)")
			}
			bench(b, backend)
		})
	}
}

func msPercentile(d []time.Duration, p int) float64 {
	if len(d) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return float64(s[(len(s)-1)*p/100]) / float64(time.Millisecond)
}

// BenchmarkBareChainSetupTeardown is the baseline for the benchmark above: the
// same conflist and runtime config run by hand through libcni (netns create,
// ADD, DEL, netns remove) with none of the Configurator's extras (host rule
// checks, port-conflict scan, forced cleanup, IPAM sweep, lock).
func BenchmarkBareChainSetupTeardown(b *testing.B) {
	forEachNATBackendB(b, benchBareChainSetupTeardown)
}

func benchBareChainSetupTeardown(b *testing.B, backend string) {
	w := newWorld(b, func(c *Config) { c.Logger, c.NATBackend = nil, backend })
	ctx := context.Background()
	var setups, teardowns []time.Duration
	b.ResetTimer()
	for b.Loop() {
		a := newAlloc(port("http", 28080, 8080))
		path := w.c.NetnsPath(a.ID)
		rt := w.c.runtimeConf(a, path)
		err := w.do(func() error {
			t0 := time.Now()
			if err := createNetns(path); err != nil {
				return err
			}
			if _, err := w.c.cni.AddNetworkList(ctx, w.c.bridgeList, rt); err != nil {
				return err
			}
			t1 := time.Now()
			if err := w.c.cni.DelNetworkList(ctx, w.c.bridgeList, rt); err != nil {
				return err
			}
			err := destroyNetns(path)
			setups = append(setups, t1.Sub(t0))
			teardowns = append(teardowns, time.Since(t1))
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(msPercentile(setups, 50), "setup-p50-ms")
	b.ReportMetric(msPercentile(setups, 90), "setup-p90-ms")
	b.ReportMetric(msPercentile(teardowns, 50), "teardown-p50-ms")
}
