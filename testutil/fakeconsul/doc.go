// Package fakeconsul is an in-process fake of the Consul agent HTTP API, for
// tests: exactly the endpoints netnomad uses, answering with Consul's JSON shapes
// (the consul/api types) and Consul's behaviours that matter to Nomad — nested
// sidecar registration, default sidecar checks, check IDs, replace-existing-checks,
// 404s for unknown IDs, TTL updates, ACL tokens — plus a switch that makes the
// agent unreachable.
//
// NewAgent runs a real `consul agent -dev` instead when a consul binary is on
// PATH, so the same tests can run against both.
package fakeconsul
