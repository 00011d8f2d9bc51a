# netnomad — build, run and test.
SHELL := /bin/bash
GO    ?= go
BIN   := bin/nomad

.PHONY: build test unit e2e fuzz bench bench-network bench-schedule deps demo clean

build: ## build the nomad binary into bin/nomad
	$(GO) build -o $(BIN) .

deps: ## install what the tests need on a fresh Debian machine (root)
	./scripts/install-deps.sh

test: deps build ## everything CI runs: vet, unit, e2e, a short fuzz pass
	$(GO) vet ./...
	$(MAKE) unit e2e fuzz

unit: ## unit and package tests (root-only ones build their own throwaway namespaces)
	$(GO) test -count=1 -timeout 20m $$($(GO) list ./... | grep -v /e2e/)

e2e: ## end-to-end suites, one package at a time: they share the host's netns list and iptables
	$(GO) test -count=1 -p 1 -timeout 20m ./e2e/...

fuzz: ## a short fuzz pass over the job file parser
	$(GO) test -count=1 -run '^$$' -fuzz '^FuzzParse$$' -fuzztime 50000x ./jobspec

bench: ## scheduler placement throughput
	$(GO) test -run '^$$' -bench . -benchtime 3x ./scheduler

bench-network: ## bridge network setup: our configurator vs the bare CNI chain, 50 allocs at once (root)
	./e2e/bench/network.sh $(BENCH_ARGS)

bench-schedule: ## placements/s with 5,000 simulated nodes through the API and raft vs the scheduler in-process; job registrations/s through the API
	./e2e/bench/schedule.sh $(BENCH_ARGS)

demo: deps build ## start a dev agent and run the bridge-networked example job (Ctrl-C stops both)
	./scripts/demo.sh

clean:
	rm -rf bin
