package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/hashicorp/go-hclog"
	"github.com/netnomad/netnomad/client/servers"
	"github.com/netnomad/netnomad/nomad/structs"
)

// simulatedNodes returns n ready-to-register client nodes in dc1, each as a real
// client would fingerprint a small machine: 4000 MHz, 8 GiB, raw_exec, one host
// network on its own IP (10.200.0.0/16). They are the same for both paths of the
// benchmark.
func simulatedNodes(n int) []*structs.Node {
	nodes := make([]*structs.Node, n)
	for i := range nodes {
		ip := fmt.Sprintf("10.200.%d.%d", i/250, i%250+1)
		nodes[i] = &structs.Node{
			ID:         uuid.NewString(),
			SecretID:   uuid.NewString(),
			Datacenter: "dc1",
			Name:       fmt.Sprintf("sim-%04d", i),
			HTTPAddr:   ip + ":4646",
			Attributes: map[string]string{
				"kernel.name":               "linux",
				"cpu.arch":                  "amd64",
				"cpu.numcores":              "4",
				"cpu.frequency":             "1000",
				"cpu.totalcompute":          "4000",
				"unique.hostname":           fmt.Sprintf("sim-%04d", i),
				"unique.network.ip-address": ip,
				"network.ip-address":        ip,
				"driver.raw_exec":           "1",
			},
			Meta: map[string]string{},
			NodeResources: &structs.NodeResources{
				CPUShares: 4000,
				MemoryMB:  8192,
				DiskMB:    100 * 1024,
				Networks: structs.NetworkResources{
					{Mode: structs.NetworkModeHost, Device: "eth0", IP: ip},
				},
			},
			ReservedResources: &structs.NodeReservedResources{CPUShares: 100, MemoryMB: 256},
			Drivers: map[string]*structs.DriverInfo{
				"raw_exec": {Detected: true, Healthy: true, Attributes: map[string]string{}},
			},
			SchedulingEligibility: structs.NodeSchedulingEligible,
			Status:                structs.NodeStatusInit,
		}
	}
	return nodes
}

// fleet plays the client agents of the simulated nodes: it registers them and
// then heartbeats each one every TTL/2, as client.registerAndHeartbeat does,
// over the same internal node endpoints (client/servers).
type fleet struct {
	api   *servers.Client
	nodes []*structs.Node
	hb    *heartbeater
}

// registration is what RegisterAll measured.
type registration struct {
	n         int
	elapsed   time.Duration
	latencies []time.Duration
}

func newFleet(serverAddrs []string, nodes []*structs.Node, heartbeaters int) (*fleet, error) {
	// One keep-alive pool big enough for every worker: the default two idle
	// connections per host would open and close a connection per request.
	transport := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        256,
		MaxIdleConnsPerHost: 128,
		IdleConnTimeout:     90 * time.Second,
	}
	c, err := servers.New(servers.Config{
		Servers:    serverAddrs,
		Logger:     hclog.NewNullLogger(),
		HTTPClient: &http.Client{Transport: transport},
	})
	if err != nil {
		return nil, err
	}
	f := &fleet{api: c, nodes: nodes}
	f.hb = newHeartbeater(len(nodes), heartbeaters, f.heartbeat, f.register)
	return f, nil
}

func (f *fleet) register(ctx context.Context, i int) error {
	return f.api.RegisterNode(ctx, f.nodes[i])
}

func (f *fleet) heartbeat(ctx context.Context, i int) (time.Duration, error) {
	return f.api.Heartbeat(ctx, f.nodes[i].ID)
}

// RegisterAll registers every node, workers at a time. Each node starts
// heartbeating as soon as it is registered: registering thousands of nodes can
// take longer than a TTL.
func (f *fleet) RegisterAll(workers int, timeout time.Duration) (registration, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	r := registration{n: len(f.nodes), latencies: make([]time.Duration, len(f.nodes))}
	next := make(chan int)
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	start := time.Now()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				t := time.Now()
				if err := f.register(ctx, i); err != nil {
					errs <- err
					cancel()
					return
				}
				r.latencies[i] = time.Since(t)
				f.hb.add(i)
			}
		}()
	}
feed:
	for i := range f.nodes {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	r.elapsed = time.Since(start)
	select {
	case err := <-errs:
		return r, err
	default:
	}
	if err := ctx.Err(); err != nil {
		return r, fmt.Errorf("failed to register %d nodes within %s: %w", len(f.nodes), timeout, err)
	}
	return r, nil
}

// Stop ends the heartbeats and returns what they measured. Safe to call twice.
func (f *fleet) Stop() heartbeatStats {
	return f.hb.stop()
}
