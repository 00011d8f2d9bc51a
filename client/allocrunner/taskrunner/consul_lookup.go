package taskrunner

import (
	"context"
	"errors"
	"net/http"

	"github.com/hashicorp/consul/api"
)

// ServiceLookup tells whether the local service discovery agent knows the
// service with the given ID.
type ServiceLookup interface {
	ServiceExists(ctx context.Context, id string) (bool, error)
}

// TTLUpdater reports the result of a script check, registered as a TTL check
// (consul.ServiceClient implements it).
type TTLUpdater interface {
	UpdateTTL(ctx context.Context, checkID, output, status string) error
}

// ConsulAgentLookup is a ServiceLookup over a Consul agent's API.
type ConsulAgentLookup struct {
	Agent *api.Agent
}

var _ ServiceLookup = ConsulAgentLookup{}

// ServiceExists asks the agent for the service; Consul's 404 means no.
func (l ConsulAgentLookup) ServiceExists(ctx context.Context, id string) (bool, error) {
	_, _, err := l.Agent.Service(id, (&api.QueryOptions{}).WithContext(ctx))
	var se api.StatusError
	switch {
	case err == nil:
		return true, nil
	case errors.As(err, &se) && se.Code == http.StatusNotFound:
		return false, nil
	default:
		return false, err
	}
}
