package consul

import (
	"context"

	"github.com/hashicorp/consul/api"
)

// ChecksAPI is the part of *api.Agent that reads check statuses.
type ChecksAPI interface {
	ChecksWithFilterOpts(filter string, q *api.QueryOptions) (map[string]*api.AgentCheck, error)
}

var _ ChecksAPI = (*api.Agent)(nil)

// CheckStatuses reads the status of every check of the local agent
// (GET /v1/agent/checks) for the check_restart watcher; it implements
// watcher.CheckStatusGetter.
type CheckStatuses struct {
	Agent ChecksAPI
}

// CheckStatuses returns passing, warning or critical by check ID. It is not
// retried: the watcher polls again shortly.
func (c CheckStatuses) CheckStatuses(ctx context.Context) (map[string]string, error) {
	checks, err := c.Agent.ChecksWithFilterOpts("", (&api.QueryOptions{}).WithContext(ctx))
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(checks))
	for id, chk := range checks {
		out[id] = chk.Status
	}
	return out, nil
}
