package main

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"
)

// startCPUProfile starts sampling the leader's CPU for d through its
// /debug/pprof/profile (the servers run with enable_debug) and returns a wait
// that blocks until the profile is written to path. Read it with
// `go tool pprof -top <nomad binary> <path>`.
func (c *cluster) startCPUProfile(path string, d time.Duration) (wait func() error, err error) {
	leader := c.leader()
	if leader == nil {
		return nil, errors.New("cannot profile: no leader")
	}
	secs := int(d.Round(time.Second) / time.Second)
	url := fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", leader.http, secs)
	done := make(chan error, 1)
	go func() { done <- fetchToFile(url, path, d+30*time.Second) }()
	fmt.Fprintf(os.Stderr, "schedbench: CPU profile of %s for %ds -> %s\n", leader.name, secs, path)
	return func() error {
		fmt.Fprintf(os.Stderr, "schedbench: waiting for the CPU profile\n")
		if err := <-done; err != nil {
			return fmt.Errorf("failed to get the CPU profile: %w", err)
		}
		return nil
	}, nil
}

func fetchToFile(url, path string, timeout time.Duration) error {
	client := &http.Client{Timeout: timeout}
	resp, err := client.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("%s: %s: %s", url, resp.Status, body)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
