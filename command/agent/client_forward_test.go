package agent

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/nomad/api"
	"github.com/shoenig/test/must"
	"github.com/shoenig/test/wait"
)

// testClientAgent starts an in-process client-only agent talking to servers.
func testClientAgent(t *testing.T, name string, servers []string) *Agent {
	t.Helper()
	cfg := DefaultConfig()
	cfg.BindAddr = "127.0.0.1"
	cfg.Ports.HTTP = 0
	cfg.DataDir = t.TempDir()
	cfg.NodeName = name
	tr, f := true, false
	cfg.Server.Enabled = &f
	cfg.Client.Enabled = &tr
	cfg.Client.Servers = servers
	cfg.Consul = nil
	cfg.Plugins = []*PluginConfig{{Name: "raw_exec", Config: map[string]any{"enabled": true}}}
	a, err := NewAgent(cfg, testLogger(t))
	must.NoError(t, err)
	t.Cleanup(a.Shutdown)
	return a
}

// TestAgent_ClientOnlyForwardsPublicAPI: with NOMAD_ADDR set to a client-only
// agent, the job workflow works as against a server: the agent passes server
// endpoints to the first server that answers (the first one listed is dead),
// blocking queries included, and answers /v1/agent and /v1/client itself.
func TestAgent_ClientOnlyForwardsPublicAPI(t *testing.T) {
	srv := testServerAgent(t)
	dead := fmt.Sprintf("127.0.0.1:%d", freeTCPPort(t))
	cl := testClientAgent(t, "test-client", []string{dead, srv.HTTPAddr()})
	c := testAPI(t, cl.HTTPAddr())

	// Status and nodes come from the server.
	leader, err := c.Status().Leader()
	must.NoError(t, err)
	must.Eq(t, srv.server.Leader(), leader)
	must.Wait(t, wait.InitialSuccess(wait.ErrorFunc(func() error {
		nodes, _, err := c.Nodes().List(nil)
		if err != nil {
			return err
		}
		if len(nodes) != 1 || nodes[0].Name != "test-client" || nodes[0].Status != "ready" {
			return errors.New("client node not ready")
		}
		return nil
	}), wait.Timeout(10*time.Second), wait.Gap(20*time.Millisecond)))

	// A blocking query through the client wakes when a job is registered
	// through the client, with the server's index.
	_, meta, err := c.Jobs().List(nil)
	must.NoError(t, err)
	must.Positive(t, meta.LastIndex)
	type listed struct {
		jobs []*api.JobListStub
		meta *api.QueryMeta
		err  error
	}
	woken := make(chan listed, 1)
	go func() {
		jobs, m, err := c.Jobs().List(&api.QueryOptions{WaitIndex: meta.LastIndex, WaitTime: 10 * time.Second})
		woken <- listed{jobs, m, err}
	}()
	resp, _, err := c.Jobs().Register(batchJob("via-client"), nil)
	must.NoError(t, err)
	must.UUIDv4(t, resp.EvalID)
	var got listed
	select {
	case got = <-woken:
	case <-time.After(10 * time.Second):
		t.Fatal("blocking query through the client did not wake")
	}
	must.NoError(t, got.err)
	must.Greater(t, meta.LastIndex, got.meta.LastIndex)
	must.Len(t, 1, got.jobs)
	must.Eq(t, "via-client", got.jobs[0].ID)

	var allocID string
	must.Wait(t, wait.InitialSuccess(wait.ErrorFunc(func() error {
		allocs, _, err := c.Jobs().Allocations("via-client", true, nil)
		if err != nil {
			return err
		}
		if len(allocs) != 1 || allocs[0].ClientStatus != "complete" {
			return fmt.Errorf("allocations %v", allocs)
		}
		allocID = allocs[0].ID
		return nil
	}), wait.Timeout(20*time.Second), wait.Gap(50*time.Millisecond)))

	// The agent endpoints describe the client agent, not the server.
	self, err := c.Agent().Self()
	must.NoError(t, err)
	must.Eq(t, "test-client.global", self.Member.Name)

	// Logs are the client's own: the server agent has no client to ask.
	logs := httpGet(t, "http://"+cl.HTTPAddr()+"/v1/client/fs/logs/"+allocID+"?task=t&type=stdout&plain=true")
	must.Eq(t, http.StatusOK, logs.code, must.Sprint(logs.body))
	must.StrContains(t, logs.body, "hello from t")
	onServer := httpGet(t, "http://"+srv.HTTPAddr()+"/v1/client/fs/logs/"+allocID+"?task=t&type=stdout&plain=true")
	must.NotEq(t, http.StatusOK, onServer.code)
}

// TestAgent_ClientOnlyNoServerAnswers: when no server answers, the client agent
// says so instead of hanging, naming every server it tried.
func TestAgent_ClientOnlyNoServerAnswers(t *testing.T) {
	f := newServerForwarder([]string{
		fmt.Sprintf("127.0.0.1:%d", freeTCPPort(t)), fmt.Sprintf("127.0.0.1:%d", freeTCPPort(t)),
	}, hclog.NewNullLogger())
	rec := httptest.NewRecorder()
	f.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/v1/jobs", nil))
	must.Eq(t, http.StatusBadGateway, rec.Code)
	body := rec.Body.String()
	must.StrContains(t, body, "failed to forward request to the servers")
	must.Eq(t, 2, strings.Count(body, "connection refused"), must.Sprint(body))
}

func TestServedByClientAgent(t *testing.T) {
	for path, local := range map[string]bool{
		"/v1/agent/self":              true,
		"/v1/agent/health":            true,
		"/v1/client/fs/logs/abc":      true,
		"/v1/client/allocation/abc/x": true,
		"/v1/jobs":                    false,
		"/v1/job/web/allocations":     false,
		"/v1/allocations":             false,
		"/v1/evaluation/abc":          false,
		"/v1/nodes":                   false,
		"/v1/status/leader":           false,
		"/v1/operator/raft/peer":      false,
	} {
		must.Eq(t, local, servedByClientAgent(path), must.Sprint(path))
	}
}

type getResult struct {
	code int
	body string
}

func httpGet(t *testing.T, url string) getResult {
	t.Helper()
	resp, err := http.Get(url)
	must.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	must.NoError(t, err)
	return getResult{resp.StatusCode, string(b)}
}
