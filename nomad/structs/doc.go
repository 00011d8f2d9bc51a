// Package structs is netnomad's internal model: jobs, task groups, tasks, their
// networks and services, allocations, evaluations and nodes.
//
// These types are what the server stores and schedules and what the client runs.
// They are deliberately separate from the wire types of github.com/hashicorp/nomad/api:
// command/agent holds the one converter between the two. Unlike the wire types,
// optional values here are canonicalized (no pointers for "unset"): Canonicalize
// fills Nomad's defaults before anything else looks at a job.
package structs
