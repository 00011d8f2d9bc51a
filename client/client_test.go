package client

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/shoenig/test/must"
	"github.com/shoenig/test/wait"

	"github.com/netnomad/netnomad/client/config"
	"github.com/netnomad/netnomad/drivers"
	"github.com/netnomad/netnomad/drivers/rawexec"
	"github.com/netnomad/netnomad/drivers/shared/executor"
	"github.com/netnomad/netnomad/nomad/structs"
)

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

func testConfig(t *testing.T, dataDir string) *config.Config {
	logger := hclog.New(&hclog.LoggerOptions{Level: hclog.Debug, Output: testWriter{t}})
	return &config.Config{
		DataDir:    dataDir,
		NodeName:   "test-node",
		Logger:     logger,
		GCInterval: time.Hour,
		Drivers: map[string]drivers.Driver{
			"raw_exec": rawexec.New(logger, rawexec.Config{StateDir: filepath.Join(dataDir, "client", "driver", "raw_exec")}),
		},
	}
}

// startClient starts a client; at cleanup every allocation is removed (killing
// its tasks) before the client shuts down.
func startClient(t *testing.T, cfg *config.Config, srv *fakeServer) *Client {
	t.Helper()
	c, err := NewClient(cfg, srv)
	must.NoError(t, err)
	t.Cleanup(func() {
		srv.removeAll()
		waitFor(t, func() error {
			entries, _ := os.ReadDir(cfg.AllocDir)
			if n := len(c.Allocs()) + len(entries); n != 0 {
				return fmt.Errorf("%d allocs left", n)
			}
			return nil
		})
		must.NoError(t, c.Shutdown())
	})
	return c
}

func waitFor(t *testing.T, f func() error) {
	t.Helper()
	must.Wait(t, wait.InitialSuccess(wait.ErrorFunc(f), wait.Timeout(20*time.Second), wait.Gap(20*time.Millisecond)))
}

func testAlloc(nodeID, jobType, script string) *structs.Allocation {
	return &structs.Allocation{
		ID: fmt.Sprintf("%08x-0000-0000-0000-000000000000", time.Now().UnixNano()&0xffffffff), Name: "example.web[0]",
		NodeID: nodeID, TaskGroup: "web", Namespace: "default", DesiredStatus: structs.AllocDesiredStatusRun,
		ClientStatus: structs.AllocClientStatusPending,
		Job: &structs.Job{ID: "example", Name: "example", Type: jobType, TaskGroups: []*structs.TaskGroup{{
			Name:          "web",
			RestartPolicy: &structs.RestartPolicy{Attempts: 1, Interval: time.Minute, Delay: 10 * time.Millisecond, Mode: structs.RestartPolicyModeFail},
			Tasks: []*structs.Task{{Name: "web", Driver: "raw_exec", KillTimeout: time.Second, Config: map[string]any{
				"command": "/bin/sh", "args": []any{"-c", script},
			}}},
		}}},
	}
}

func waitServerStatus(t *testing.T, srv *fakeServer, allocID, status string) {
	t.Helper()
	waitFor(t, func() error {
		u := srv.update(allocID)
		if u == nil || u.ClientStatus != status {
			return fmt.Errorf("server has %+v, want %s", u, status)
		}
		return nil
	})
}

func TestClient_RegistersAndRunsBatchAlloc(t *testing.T) {
	srv := newFakeServer()
	cfg := testConfig(t, t.TempDir())
	c := startClient(t, cfg, srv)
	nodeID := c.Node().ID

	waitFor(t, func() error {
		n := srv.node(nodeID)
		if n == nil || n.Status != structs.NodeStatusReady {
			return errors.New("node not ready")
		}
		return nil
	})
	n := srv.node(nodeID)
	must.Eq(t, "1", n.Attributes["driver.raw_exec"])
	must.Eq(t, "test-node", n.Name)
	must.MapContainsKey(t, n.Attributes, "unique.network.ip-address")
	waitFor(t, func() error {
		srv.mu.Lock()
		defer srv.mu.Unlock()
		if srv.heartbeats < 2 {
			return errors.New("no heartbeats")
		}
		return nil
	})

	a1 := testAlloc(nodeID, structs.JobTypeBatch, `echo "done in $NOMAD_ALLOC_ID"`)
	srv.upsertAlloc(a1)
	waitServerStatus(t, srv, a1.ID, structs.AllocClientStatusComplete)
	u := srv.update(a1.ID)
	must.Eq(t, nodeID, u.NodeID)
	must.Eq(t, structs.TaskStateDead, u.TaskStates["web"].State)

	dir, err := c.AllocDir(a1.ID)
	must.NoError(t, err)
	out, err := os.ReadFile(filepath.Join(dir, "alloc", "logs", "web.stdout.0"))
	must.NoError(t, err)
	must.Eq(t, "done in "+a1.ID+"\n", string(out))

	st, err := c.AllocState(a1.ID)
	must.NoError(t, err)
	must.Eq(t, structs.AllocClientStatusComplete, st.ClientStatus)

	_, err = c.AllocDir("nope")
	must.ErrorIs(t, err, structs.ErrNotFound)
	must.ErrorIs(t, c.RestartAlloc("nope", ""), structs.ErrNotFound)
}

func TestClient_StopThenRemoveAlloc(t *testing.T) {
	srv := newFakeServer()
	cfg := testConfig(t, t.TempDir())
	c := startClient(t, cfg, srv)
	nodeID := c.Node().ID

	allocs := []*structs.Allocation{
		testAlloc(nodeID, structs.JobTypeService, "while true; do sleep 0.05; done"),
		testAlloc(nodeID, structs.JobTypeService, "while true; do sleep 0.05; done"),
	}
	allocs[1].ID = "1" + allocs[1].ID[1:]
	for _, a := range allocs {
		srv.upsertAlloc(a)
	}
	for _, a := range allocs {
		waitServerStatus(t, srv, a.ID, structs.AllocClientStatusRunning)
	}

	// Stopping one leaves the other running.
	srv.stopAlloc(allocs[0].ID)
	waitServerStatus(t, srv, allocs[0].ID, structs.AllocClientStatusComplete)
	st, err := c.AllocState(allocs[1].ID)
	must.NoError(t, err)
	must.Eq(t, structs.AllocClientStatusRunning, st.ClientStatus)
	types := []string{}
	for _, e := range srv.update(allocs[0].ID).TaskStates["web"].Events {
		types = append(types, e.Type)
	}
	must.SliceContains(t, types, structs.TaskKilled)

	// Removing it from the server garbage collects its directory.
	dir, err := c.AllocDir(allocs[0].ID)
	must.NoError(t, err)
	srv.mu.Lock()
	delete(srv.allocs, allocs[0].ID)
	srv.bump()
	srv.mu.Unlock()
	waitFor(t, func() error {
		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			return fmt.Errorf("alloc dir still there: %v", err)
		}
		return nil
	})
	_, err = c.AllocState(allocs[0].ID)
	must.ErrorIs(t, err, structs.ErrNotFound)
}

func readPIDs(path string) []int {
	b, _ := os.ReadFile(path)
	var out []int
	for _, f := range strings.Fields(string(b)) {
		if p, err := strconv.Atoi(f); err == nil {
			out = append(out, p)
		}
	}
	return out
}

// alive reports whether pid is a live (not zombie) process.
func alive(pid int) bool { return executor.ProcessRunning(pid, 0) }

// startPIDAlloc runs a service alloc on c whose task appends its pid to
// alloc/pids on every start, waits until it has started once and returns the
// alloc, its directory and the pid file.
func startPIDAlloc(t *testing.T, c *Client, srv *fakeServer) (a *structs.Allocation, dir, pidFile string) {
	t.Helper()
	a = testAlloc(c.Node().ID, structs.JobTypeService, `echo $$ >> "$NOMAD_ALLOC_DIR/pids"; while true; do sleep 0.05; done`)
	srv.upsertAlloc(a)
	waitServerStatus(t, srv, a.ID, structs.AllocClientStatusRunning)
	dir, err := c.AllocDir(a.ID)
	must.NoError(t, err)
	pidFile = filepath.Join(dir, "alloc", "pids")
	waitPIDs(t, pidFile, 1)
	return a, dir, pidFile
}

// waitPIDs waits until pidFile holds n pids.
func waitPIDs(t *testing.T, pidFile string, n int) {
	t.Helper()
	waitFor(t, func() error {
		if got := len(readPIDs(pidFile)); got != n {
			return fmt.Errorf("%d starts, want %d", got, n)
		}
		return nil
	})
}

func TestClient_RestoreReattachesToRunningTask(t *testing.T) {
	srv := newFakeServer()
	dataDir := t.TempDir()
	c1, err := NewClient(testConfig(t, dataDir), srv)
	must.NoError(t, err)
	nodeID := c1.Node().ID

	a, _, pidFile := startPIDAlloc(t, c1, srv)
	pid := readPIDs(pidFile)[0]

	// Agent restart: the task survives the old client...
	must.NoError(t, c1.Shutdown())
	must.True(t, alive(pid))

	// ...and the new one (same data dir, new driver instance) re-attaches to it.
	cfg2 := testConfig(t, dataDir)
	c2 := startClient(t, cfg2, srv)
	must.Eq(t, nodeID, c2.Node().ID)
	st, err := c2.AllocState(a.ID)
	must.NoError(t, err)
	must.Eq(t, structs.AllocClientStatusRunning, st.ClientStatus)

	// The restored runner reports again and sees the server's allocation; the
	// task is the same process, never started twice.
	srv.mu.Lock()
	delete(srv.updates, a.ID)
	srv.mu.Unlock()
	waitServerStatus(t, srv, a.ID, structs.AllocClientStatusRunning)
	must.Eq(t, []int{pid}, readPIDs(pidFile))
	must.True(t, alive(pid))
	must.Eq(t, uint64(0), srv.update(a.ID).TaskStates["web"].Restarts)

	// The re-attached task is controlled by the new client: stopping kills it.
	srv.stopAlloc(a.ID)
	waitServerStatus(t, srv, a.ID, structs.AllocClientStatusComplete)
	waitFor(t, func() error {
		if alive(pid) {
			return errors.New("task still alive")
		}
		return nil
	})
	must.Eq(t, []int{pid}, readPIDs(pidFile))
}

func TestClient_RestartAlloc(t *testing.T) {
	srv := newFakeServer()
	c := startClient(t, testConfig(t, t.TempDir()), srv)
	a, _, pidFile := startPIDAlloc(t, c, srv)

	must.NoError(t, c.RestartAlloc(a.ID, "web"))
	waitPIDs(t, pidFile, 2)
	waitFor(t, func() error {
		u := srv.update(a.ID)
		ts := u.TaskStates["web"]
		if ts.State != structs.TaskStateRunning || ts.Restarts != 1 {
			return fmt.Errorf("task %s restarts %d", ts.State, ts.Restarts)
		}
		for _, e := range ts.Events {
			if e.Type == structs.TaskRestartSignal && e.DisplayMessage == "User requested restart" {
				return nil
			}
		}
		return errors.New("no Restart Signaled event")
	})
	must.ErrorIs(t, c.RestartAlloc(a.ID, "nope"), structs.ErrNotFound)
}

func TestConfig_NodeIDPersists(t *testing.T) {
	for _, tc := range []struct {
		name    string
		devMode bool
		same    bool
	}{
		{name: "persisted", same: true},
		{name: "dev mode", devMode: true, same: false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := &config.Config{DataDir: t.TempDir(), DevMode: tc.devMode}
			cfg.Canonicalize()
			id1, err := cfg.LoadOrCreateNodeID()
			must.NoError(t, err)
			id2, err := cfg.LoadOrCreateNodeID()
			must.NoError(t, err)
			must.Eq(t, tc.same, id1 == id2)
			s1, err := cfg.LoadOrCreateNodeSecret()
			must.NoError(t, err)
			s2, err := cfg.LoadOrCreateNodeSecret()
			must.NoError(t, err)
			must.Eq(t, tc.same, s1 == s2)
			must.NotEq(t, id1, s1)
		})
	}
}

func TestClient_TaskConfigInterpolation(t *testing.T) {
	srv := newFakeServer()
	c := startClient(t, testConfig(t, t.TempDir()), srv)
	// ${attr.*} and ${node.*} are resolved by the client before the driver sees
	// the config (sh would reject these names); NOMAD_* comes through the env.
	a := testAlloc(c.Node().ID, structs.JobTypeBatch,
		`echo "${attr.kernel.name} ${node.datacenter} ${node.unique.name} $NOMAD_GROUP_NAME"`)
	srv.upsertAlloc(a)
	waitServerStatus(t, srv, a.ID, structs.AllocClientStatusComplete)
	dir, err := c.AllocDir(a.ID)
	must.NoError(t, err)
	out, err := os.ReadFile(filepath.Join(dir, "alloc", "logs", "web.stdout.0"))
	must.NoError(t, err)
	must.Eq(t, "linux dc1 test-node web\n", string(out))
}

func TestClient_DevModeShutdownDestroysAllocs(t *testing.T) {
	srv := newFakeServer()
	cfg := testConfig(t, t.TempDir())
	cfg.DevMode = true
	c, err := NewClient(cfg, srv)
	must.NoError(t, err)
	_, dir, pidFile := startPIDAlloc(t, c, srv)
	pid := readPIDs(pidFile)[0]

	must.NoError(t, c.Shutdown())
	must.False(t, alive(pid))
	_, err = os.Stat(dir)
	must.True(t, os.IsNotExist(err))
}

func TestClient_GarbageCollectsStoppedAllocs(t *testing.T) {
	srv := newFakeServer()
	cfg := testConfig(t, t.TempDir())
	cfg.GCInterval = 100 * time.Millisecond
	c := startClient(t, cfg, srv)
	stopped := testAlloc(c.Node().ID, structs.JobTypeService, "while true; do sleep 0.05; done")
	kept := testAlloc(c.Node().ID, structs.JobTypeBatch, "echo done")
	kept.ID = "1" + kept.ID[1:]
	srv.upsertAlloc(stopped)
	srv.upsertAlloc(kept)
	waitServerStatus(t, srv, stopped.ID, structs.AllocClientStatusRunning)
	waitServerStatus(t, srv, kept.ID, structs.AllocClientStatusComplete)
	dir, err := c.AllocDir(stopped.ID)
	must.NoError(t, err)

	// The server still lists the stopped allocation; the client collects it
	// anyway once it is done. The completed batch alloc (desired run) stays.
	srv.stopAlloc(stopped.ID)
	waitFor(t, func() error {
		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			return errors.New("alloc dir still there")
		}
		return nil
	})
	_, err = c.AllocState(stopped.ID)
	must.ErrorIs(t, err, structs.ErrNotFound)
	_, err = c.AllocDir(kept.ID)
	must.NoError(t, err)
}

// flakyDriver is a raw_exec driver whose health the test switches.
type flakyDriver struct {
	*rawexec.Driver
	mu      sync.Mutex
	healthy bool
}

func (d *flakyDriver) Fingerprint(ctx context.Context) *drivers.Fingerprint {
	d.mu.Lock()
	defer d.mu.Unlock()
	return &drivers.Fingerprint{Detected: true, Healthy: d.healthy}
}

func TestClient_DriverHealthChangeReregisters(t *testing.T) {
	old := driverFingerprintInterval
	driverFingerprintInterval = 50 * time.Millisecond
	t.Cleanup(func() { driverFingerprintInterval = old })

	srv := newFakeServer()
	cfg := testConfig(t, t.TempDir())
	fd := &flakyDriver{Driver: cfg.Drivers["raw_exec"].(*rawexec.Driver), healthy: true}
	cfg.Drivers["raw_exec"] = fd
	c := startClient(t, cfg, srv)
	id := c.Node().ID
	waitFor(t, func() error {
		if n := srv.node(id); n == nil || n.Attributes["driver.raw_exec"] != "1" {
			return errors.New("driver not registered healthy")
		}
		return nil
	})

	fd.mu.Lock()
	fd.healthy = false
	fd.mu.Unlock()
	waitFor(t, func() error {
		n := srv.node(id)
		if _, ok := n.Attributes["driver.raw_exec"]; ok || n.Drivers["raw_exec"].Healthy {
			return errors.New("server still sees a healthy driver")
		}
		return nil
	})
}
