// Package servers is the client's view of the servers over HTTP: an
// implementation of client.ServerAPI that talks to the agent's internal node
// endpoints (/v1/internal/node/...) of any server in a list.
package servers

import "time"

// The internal node protocol, shared with the server side (command/agent). Its
// bodies are nomad/structs types encoded as JSON; it is not part of nomad/api.
const (
	// NodeSecretHeader carries the node's SecretID. The first registration of a
	// node ID binds its secret; later calls with another secret get 403.
	NodeSecretHeader = "X-Nomad-Node-Secret"
	// IndexHeader is the blocking-query index of a response.
	IndexHeader = "X-Nomad-Index"

	// PathPrefix is the root of the internal node endpoints:
	//   PUT <prefix>register              body *structs.Node
	//   PUT <prefix><id>/heartbeat        → HeartbeatResponse
	//   GET <prefix><id>/allocations?index=&wait=  → []*structs.Allocation + IndexHeader
	//   PUT <prefix><id>/allocations      body []*structs.Allocation
	PathPrefix = "/v1/internal/node/"
)

// HeartbeatResponse is the answer to a heartbeat.
type HeartbeatResponse struct {
	// HeartbeatTTL is how long the node may stay silent before it is down.
	HeartbeatTTL time.Duration
}
