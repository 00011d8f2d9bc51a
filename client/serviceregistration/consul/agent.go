package consul

import "github.com/hashicorp/consul/api"

// AgentAPI is the part of *api.Agent the ServiceClient uses; *api.Agent
// satisfies it. Every method takes its context through the options so that a
// hung agent cannot block the caller beyond its context.
type AgentAPI interface {
	ServiceRegisterOpts(service *api.AgentServiceRegistration, opts api.ServiceRegisterOpts) error
	ServiceDeregisterOpts(serviceID string, q *api.QueryOptions) error
	UpdateTTLOpts(checkID, output, status string, q *api.QueryOptions) error
	ServicesWithFilterOpts(filter string, q *api.QueryOptions) (map[string]*api.AgentService, error)
}

var _ AgentAPI = (*api.Agent)(nil)
