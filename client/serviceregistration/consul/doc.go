// Package consul registers workload services with the local Consul agent the
// way Nomad does: Nomad's service and check IDs, meta external-source = nomad,
// addresses per address_mode, script checks as TTL checks, and Connect services
// with a nested sidecar registration that Consul turns into a connect-proxy
// service.
package consul
