package allocrunner

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hashicorp/consul/api"
	"github.com/hashicorp/go-hclog"
	"github.com/shoenig/test/must"

	"github.com/netnomad/netnomad/client/allocrunner/taskrunner"
	"github.com/netnomad/netnomad/client/serviceregistration/consul"
	"github.com/netnomad/netnomad/nomad/structs"
	"github.com/netnomad/netnomad/testutil/fakeconsul"
)

const testHostIP = "10.1.2.3"

// consulEnv is a Consul agent (real when one is on PATH, else the fake) and the
// service client the alloc runner registers through.
type consulEnv struct {
	agent  *fakeconsul.Agent
	api    *api.Client
	client *consul.ServiceClient
	// checkWatcher, when set, is the runner's check_restart watcher.
	checkWatcher taskrunner.CheckWatcher
}

func newConsulEnv(t *testing.T) *consulEnv {
	t.Helper()
	agent := fakeconsul.NewAgent(t)
	c := agent.Client(t)
	sc := consul.NewServiceClient(c.Agent(), hclog.NewNullLogger(), true)
	// Fail fast while the agent is down; the registrar retries in the background.
	sc.SetRetryPolicy(consul.RetryPolicy{Attempts: 1, Base: 10 * time.Millisecond, Max: 10 * time.Millisecond})
	return &consulEnv{agent: agent, api: c, client: sc}
}

// service returns the agent's service id, or an error when it has none.
func (e *consulEnv) service(id string) (*api.AgentService, error) {
	services, err := e.api.Agent().Services()
	if err != nil {
		return nil, err
	}
	s, ok := services[id]
	if !ok {
		return nil, fmt.Errorf("service %q not registered (have %d services)", id, len(services))
	}
	return s, nil
}

// newConnectRunner is newTestRunner with service registration wired to env.
func newConnectRunner(t *testing.T, alloc *structs.Allocation, nc *fakeConfigurator, env *consulEnv) *testRunner {
	t.Helper()
	node := &structs.Node{ID: uuid.NewString(), Name: "client-1", Attributes: map[string]string{"unique.network.ip-address": testHostIP}}
	return newTestRunnerWith(t, alloc, nc, func(cfg *Config) {
		cfg.Node = func() *structs.Node { return node }
		cfg.ServiceRegistration = env.client
		cfg.ConsulServices = taskrunner.ConsulAgentLookup{Agent: env.api.Agent()}
		cfg.CheckWatcher = env.checkWatcher
	})
}

// serviceAlloc is a service job whose group "web" has service "web-api" on
// port label "http" (host port 23456, to 8080) and one long-running task.
func serviceAlloc(addrMode string, tags ...string) *structs.Allocation {
	alloc := testAlloc(structs.JobTypeService, shTask("server", "while true; do sleep 0.05; done"))
	alloc.ID = uuid.NewString()
	alloc.Job.TaskGroups[0].Services = []*structs.Service{{
		Name: "${NOMAD_JOB_NAME}-api", PortLabel: "http", AddressMode: addrMode, Tags: tags,
	}}
	alloc.AllocatedResources = &structs.AllocatedResources{Shared: structs.AllocatedSharedResources{
		Ports: structs.AllocatedPorts{{Label: "http", Value: 23456, To: 8080}},
	}}
	return alloc
}

func groupServiceID(alloc *structs.Allocation, service string) string {
	return fmt.Sprintf("_nomad-task-%s-group-web-%s-http", alloc.ID, service)
}

func TestGroupServices_RegisterUpdateDeregister(t *testing.T) {
	for _, tc := range []struct {
		name     string
		mode     string // group network mode
		addrMode string
		wantAddr string
		wantPort int
	}{
		{name: "host address and mapped port", mode: "host", wantAddr: testHostIP, wantPort: 23456},
		{name: "alloc address and port inside", mode: "bridge", addrMode: "alloc", wantAddr: "172.26.64.9", wantPort: 8080},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := newConsulEnv(t)
			alloc := serviceAlloc(tc.addrMode, "v1")
			var nc *fakeConfigurator
			if tc.mode != "host" {
				alloc.Job.TaskGroups[0].Networks = structs.NetworkResources{{Mode: tc.mode}}
				nc = &fakeConfigurator{}
			}
			ar := newConnectRunner(t, alloc, nc, env)
			go ar.Run()
			ar.waitStatus(t, structs.AllocClientStatusRunning)

			id := groupServiceID(alloc, "example-api")
			waitFor(t, func() error {
				_, err := env.service(id)
				return err
			})
			svc, _ := env.service(id)
			must.Eq(t, "example-api", svc.Service)
			must.Eq(t, tc.wantAddr, svc.Address)
			must.Eq(t, tc.wantPort, svc.Port)
			must.Eq(t, []string{"v1"}, svc.Tags)
			must.Eq(t, "nomad", svc.Meta["external-source"])

			// An in-place update changes the tags under the same ID.
			updated := alloc.Copy()
			updated.Job.TaskGroups[0].Services[0].Tags = []string{"v2"}
			ar.Update(updated)
			waitFor(t, func() error {
				svc, err := env.service(id)
				if err != nil {
					return err
				}
				if len(svc.Tags) != 1 || svc.Tags[0] != "v2" {
					return fmt.Errorf("tags %v", svc.Tags)
				}
				return nil
			})

			// Stopping the allocation deregisters it.
			stop := updated.Copy()
			stop.DesiredStatus = structs.AllocDesiredStatusStop
			ar.Update(stop)
			ar.waitDone(t)
			_, err := env.service(id)
			must.ErrorContains(t, err, "not registered")
		})
	}
}

func TestGroupServices_ConsulDownDoesNotStopTasks(t *testing.T) {
	env := newConsulEnv(t)
	fake := env.agent.RequireFake(t)
	fake.SetDown(true)

	alloc := serviceAlloc("")
	ar := newConnectRunner(t, alloc, nil, env)
	go ar.Run()
	ar.waitStatus(t, structs.AllocClientStatusRunning)

	// Every task says why the services are missing.
	waitFor(t, func() error {
		for _, ev := range ar.Alloc().TaskStates["server"].Events {
			if ev.Type == structs.TaskHookFailed && strings.HasPrefix(ev.DisplayMessage, "Failed to register group services: ") {
				return nil
			}
		}
		return errors.New("no registration failure event")
	})
	must.Eq(t, structs.TaskStateRunning, ar.Alloc().TaskStates["server"].State)

	// Consul comes back: the background retry registers the service.
	fake.SetDown(false)
	waitFor(t, func() error {
		_, err := env.service(groupServiceID(alloc, "example-api"))
		return err
	})
	must.Eq(t, structs.TaskStateRunning, ar.Alloc().TaskStates["server"].State)
}
