package taskrunner

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hashicorp/consul/api"
	"github.com/hashicorp/go-hclog"
	"github.com/shoenig/test/must"

	"github.com/netnomad/netnomad/client/allocdir"
	"github.com/netnomad/netnomad/client/allocrunner/interfaces"
	"github.com/netnomad/netnomad/client/config"
	"github.com/netnomad/netnomad/client/envoybootstrap"
	"github.com/netnomad/netnomad/nomad/structs"
	"github.com/netnomad/netnomad/testutil/fakeconsul"
)

// connectAlloc is group "api" in bridge mode with two Connect services, each
// with its injected sidecar task, and a main task.
func connectAlloc() *structs.Allocation {
	sidecar := func(svc string) *structs.Task {
		return &structs.Task{Name: "connect-proxy-" + svc, Kind: "connect-proxy:" + svc, Driver: "raw_exec"}
	}
	connect := func() *structs.ConsulConnect {
		return &structs.ConsulConnect{SidecarService: &structs.ConsulSidecarService{}}
	}
	return &structs.Allocation{
		ID: uuid.NewString(), TaskGroup: "api", Namespace: "default",
		Job: &structs.Job{ID: "countdash", Name: "countdash", TaskGroups: []*structs.TaskGroup{{
			Name:     "api",
			Networks: structs.NetworkResources{{Mode: "bridge"}},
			Services: []*structs.Service{
				{Name: "count-api", PortLabel: "9001", Connect: connect()},
				{Name: "count-admin", PortLabel: "9002", Connect: connect()},
			},
			Tasks: []*structs.Task{{Name: "web", Driver: "raw_exec"}, sidecar("count-api"), sidecar("count-admin")},
		}}},
	}
}

// registerSidecar registers the group service svc (port label port) of alloc
// with its nested sidecar, as the group services hook does.
func registerSidecar(t *testing.T, c *api.Client, alloc *structs.Allocation, svc, port string) string {
	t.Helper()
	id := fmt.Sprintf("_nomad-task-%s-group-api-%s-%s", alloc.ID, svc, port)
	must.NoError(t, c.Agent().ServiceRegister(&api.AgentServiceRegistration{
		ID: id, Name: svc, Port: 9001, Address: "10.0.0.5",
		Connect: &api.AgentServiceConnect{SidecarService: &api.AgentServiceRegistration{Port: 25000, Address: "10.0.0.5"}},
	}))
	return id + "-sidecar-proxy"
}

// countingLookup counts lookups; onMiss runs after the first one that missed.
type countingLookup struct {
	ServiceLookup
	mu     sync.Mutex
	calls  int
	onMiss func()
}

func (l *countingLookup) ServiceExists(ctx context.Context, id string) (bool, error) {
	ok, err := l.ServiceLookup.ServiceExists(ctx, id)
	l.mu.Lock()
	l.calls++
	onMiss := l.onMiss
	if !ok {
		l.onMiss = nil
	}
	l.mu.Unlock()
	if !ok && onMiss != nil {
		onMiss()
	}
	return ok, err
}

func prestartReq(t *testing.T, alloc *structs.Allocation, task string) (*interfaces.TaskPrestartRequest, *allocdir.AllocDir) {
	t.Helper()
	dir := allocdir.NewAllocDir(t.TempDir(), alloc.ID)
	must.NoError(t, dir.Build())
	td := dir.NewTaskDir(task)
	must.NoError(t, td.Build())
	return &interfaces.TaskPrestartRequest{Alloc: alloc, Task: alloc.LookupTaskGroup().LookupTask(task), TaskDir: td}, dir
}

func TestEnvoyBootstrapHook_WritesValidBootstrapPerSidecar(t *testing.T) {
	agent := fakeconsul.NewAgent(t)
	c := agent.Client(t)
	alloc := connectAlloc()
	proxyIDs := map[string]string{
		"count-api":   registerSidecar(t, c, alloc, "count-api", "9001"),
		"count-admin": registerSidecar(t, c, alloc, "count-admin", "9002"),
	}

	for _, tc := range []struct {
		task      string
		proxyID   string
		adminPort float64
	}{
		// Sorted by name: connect-proxy-count-admin is 0, connect-proxy-count-api 1.
		{task: "connect-proxy-count-admin", proxyID: proxyIDs["count-admin"], adminPort: 19000},
		{task: "connect-proxy-count-api", proxyID: proxyIDs["count-api"], adminPort: 19001},
	} {
		t.Run(tc.task, func(t *testing.T) {
			req, dir := prestartReq(t, alloc, tc.task)
			h := newEnvoyBootstrapHook(hclog.NewNullLogger(), dir.AllocDir, &config.ConsulConfig{Token: "secret-token"}, ConsulAgentLookup{Agent: c.Agent()})
			must.NoError(t, h.Prestart(context.Background(), req, &interfaces.TaskPrestartResponse{}))

			path := filepath.Join(req.TaskDir.SecretsDir, "envoy_bootstrap.json")
			fi, err := os.Stat(path)
			must.NoError(t, err)
			must.Eq(t, os.FileMode(0o600), fi.Mode().Perm())
			data, err := os.ReadFile(path)
			must.NoError(t, err)
			must.NoError(t, envoybootstrap.Validate(data))

			var doc struct {
				Node  struct{ ID, Cluster string }
				Admin struct {
					Address struct {
						SocketAddress struct {
							Address   string
							PortValue float64 `json:"port_value"`
						} `json:"socket_address"`
					}
				}
			}
			must.NoError(t, json.Unmarshal(data, &doc))
			must.Eq(t, tc.proxyID, doc.Node.ID)
			must.Eq(t, "127.0.0.2", doc.Admin.Address.SocketAddress.Address)
			must.Eq(t, tc.adminPort, doc.Admin.Address.SocketAddress.PortValue)
			// xDS goes through the allocation's socket, with the agent's token.
			must.StrContains(t, string(data), filepath.Join(dir.AllocDir, "alloc/tmp/consul_grpc.sock"))
			must.StrContains(t, string(data), "secret-token")
		})
	}
}

func TestEnvoyBootstrapHook_WaitsForRegistration(t *testing.T) {
	agent := fakeconsul.NewAgent(t)
	c := agent.Client(t)
	alloc := connectAlloc()
	req, dir := prestartReq(t, alloc, "connect-proxy-count-api")

	var proxyID string
	lookup := &countingLookup{ServiceLookup: ConsulAgentLookup{Agent: c.Agent()}}
	lookup.onMiss = func() { proxyID = registerSidecar(t, c, alloc, "count-api", "9001") }
	h := newEnvoyBootstrapHook(hclog.NewNullLogger(), dir.AllocDir, nil, lookup)
	h.backoff = 10 * time.Millisecond

	must.NoError(t, h.Prestart(context.Background(), req, &interfaces.TaskPrestartResponse{}))
	must.Eq(t, 2, lookup.calls) // missed once, then found
	data, err := os.ReadFile(filepath.Join(req.TaskDir.SecretsDir, "envoy_bootstrap.json"))
	must.NoError(t, err)
	must.StrContains(t, string(data), proxyID)
}

func TestEnvoyBootstrapHook_FailsAfterDeadline(t *testing.T) {
	agent := fakeconsul.NewAgent(t)
	c := agent.Client(t)
	alloc := connectAlloc()
	req, dir := prestartReq(t, alloc, "connect-proxy-count-api")
	stale := filepath.Join(req.TaskDir.SecretsDir, "envoy_bootstrap.json")
	must.NoError(t, os.WriteFile(stale, []byte("{}"), 0o600))

	lookup := &countingLookup{ServiceLookup: ConsulAgentLookup{Agent: c.Agent()}}
	h := newEnvoyBootstrapHook(hclog.NewNullLogger(), dir.AllocDir, nil, lookup)
	h.wait, h.backoff = 300*time.Millisecond, 10*time.Millisecond

	err := h.Prestart(context.Background(), req, &interfaces.TaskPrestartResponse{})
	must.ErrorContains(t, err, "error creating bootstrap configuration for Connect proxy sidecar: ")
	must.ErrorContains(t, err, "is not registered with Consul")
	must.Greater(t, 2, lookup.calls)
	_, statErr := os.Stat(stale)
	must.True(t, os.IsNotExist(statErr))
}

func TestEnvoyBootstrapHook_NonSidecarsAndMissingService(t *testing.T) {
	alloc := connectAlloc()
	req, dir := prestartReq(t, alloc, "web")
	h := newEnvoyBootstrapHook(hclog.NewNullLogger(), dir.AllocDir, nil, nil)
	must.NoError(t, h.Prestart(context.Background(), req, &interfaces.TaskPrestartResponse{}))
	_, err := os.Stat(filepath.Join(req.TaskDir.SecretsDir, "envoy_bootstrap.json"))
	must.True(t, os.IsNotExist(err))

	req.Task = &structs.Task{Name: "connect-proxy-gone", Kind: "connect-proxy:gone"}
	err = h.Prestart(context.Background(), req, &interfaces.TaskPrestartResponse{})
	must.EqError(t, err, "error creating bootstrap configuration for Connect proxy sidecar: Connect proxy sidecar task exists but no services configured with a sidecar")
}
