// Package serviceregistration is the client's seam to service discovery: the
// Handler interface the alloc and task runners call, the WorkloadServices they
// pass, and the Nomad-compatible service and check IDs every provider uses.
//
// The Consul provider lives in the consul sub-package; tests use the fake agent in
// testutil/fakeconsul.
package serviceregistration
