package taskrunner

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hashicorp/consul/api"
	"github.com/hashicorp/go-hclog"
	"github.com/shoenig/test/must"

	"github.com/netnomad/netnomad/client/allocrunner/registrar"
	"github.com/netnomad/netnomad/client/serviceregistration/consul"
	"github.com/netnomad/netnomad/drivers/rawexec"
	"github.com/netnomad/netnomad/e2e/framework"
	"github.com/netnomad/netnomad/nomad/structs"
	"github.com/netnomad/netnomad/testutil/fakeconsul"
)

// otherNetns starts a process in a new network namespace and returns its
// namespace file and the namespace's identity ("net:[inode]"); the test is
// skipped where namespaces cannot be made.
func otherNetns(t *testing.T) (path, ident string) {
	t.Helper()
	framework.RequireCommand(t, "unshare")
	cmd := exec.Command("unshare", "-n", "sleep", "600")
	must.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	path = fmt.Sprintf("/proc/%d/ns/net", cmd.Process.Pid)
	// This thread's namespace, not /proc/self's, which is the main thread's.
	runtime.LockOSThread()
	host, err := os.Readlink("/proc/thread-self/ns/net")
	runtime.UnlockOSThread()
	must.NoError(t, err)
	waitFor(t, func() error {
		ident, err = os.Readlink(path)
		if err != nil {
			return err
		}
		if ident == host {
			return fmt.Errorf("unshare has not entered its namespace yet")
		}
		return nil
	})
	return path, ident
}

// TestScriptChecks_RunInTaskContext runs a task with a service whose script
// check reads the status to report from a file in the task directory, and a
// group service whose script check names the task. Both run with the task's
// environment, in its directory and its network namespace, and drive their TTL
// checks in Consul through passing, warning and critical.
func TestScriptChecks_RunInTaskContext(t *testing.T) {
	netns, netnsIdent := otherNetns(t)
	agent := fakeconsul.NewAgent(t)
	c := agent.Client(t)
	sc := consul.NewServiceClient(c.Agent(), hclog.NewNullLogger(), true)

	script := `test "$CHECK_GREETING" = hello || exit 2; readlink /proc/self/ns/net; exit "$(cat status)"`
	check := &structs.ServiceCheck{
		Name: "script-status", Type: "script", Command: "/bin/sh", Args: []string{"-c", script},
		Interval: 50 * time.Millisecond, Timeout: 5 * time.Second,
	}
	task := shTask("while true; do sleep 0.05; done")
	task.Env = map[string]string{"CHECK_GREETING": "hello"}
	task.Services = []*structs.Service{{Name: "web-task", PortLabel: "http", Checks: []*structs.ServiceCheck{check}}}
	groupCheck := *check
	groupCheck.Name = "group-script"
	groupCheck.TaskName = "web"

	h := newHarness(t, structs.JobTypeService, task, &structs.RestartPolicy{Attempts: 0, Mode: structs.RestartPolicyModeFail})
	h.alloc.ID = uuid.NewString()
	h.alloc.AllocatedResources = &structs.AllocatedResources{Shared: structs.AllocatedSharedResources{
		Ports: structs.AllocatedPorts{{Label: "http", Value: 23456}},
	}}
	h.alloc.Job.TaskGroups[0].Services = []*structs.Service{{Name: "web-group", PortLabel: "http", Checks: []*structs.ServiceCheck{&groupCheck}}}
	node := &structs.Node{Attributes: map[string]string{"unique.network.ip-address": "10.0.0.5"}}
	ns := &structs.AllocNetworkStatus{Address: "172.26.64.9", NetnsPath: netns}

	// The group's services are registered by the alloc runner; do it here.
	must.NoError(t, sc.RegisterWorkload(context.Background(), registrar.GroupWorkload(h.alloc, node, "global", ns)))

	statusFile := filepath.Join(h.dir.AllocDir, "web", "status")
	must.NoError(t, os.MkdirAll(filepath.Dir(statusFile), 0o755))
	must.NoError(t, os.WriteFile(statusFile, []byte("0"), 0o644))

	tr, err := NewTaskRunner(Config{
		Alloc: h.alloc, Task: task, TaskDir: h.dir.NewTaskDir("web"), AllocDir: h.dir.AllocDir,
		Logger: h.logger, Region: "global", Driver: rawexec.New(h.logger, rawexec.Config{StateDir: filepath.Join(h.root, "driver")}),
		StateDB:             h.db,
		Node:                func() *structs.Node { return node },
		NetworkStatus:       func() *structs.AllocNetworkStatus { return ns },
		ServiceRegistration: sc,
	})
	must.NoError(t, err)
	go tr.Run()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		tr.Kill(ctx, nil)
	})

	checksNamed := func() (map[string]*api.AgentCheck, error) {
		checks, err := c.Agent().Checks()
		if err != nil {
			return nil, err
		}
		out := map[string]*api.AgentCheck{}
		for _, ch := range checks {
			out[ch.Name] = ch
		}
		return out, nil
	}
	waitStatus := func(want string) {
		t.Helper()
		waitFor(t, func() error {
			checks, err := checksNamed()
			if err != nil {
				return err
			}
			for _, name := range []string{"script-status", "group-script"} {
				ch, ok := checks[name]
				if !ok {
					return fmt.Errorf("check %q not registered", name)
				}
				if ch.Status != want {
					return fmt.Errorf("check %q is %s (%q), want %s", name, ch.Status, ch.Output, want)
				}
			}
			return nil
		})
	}

	waitStatus(api.HealthPassing)
	checks, err := checksNamed()
	must.NoError(t, err)
	// The script ran in the allocation's namespace, not the agent's.
	must.Eq(t, netnsIdent, strings.TrimSpace(checks["script-status"].Output))
	must.Eq(t, netnsIdent, strings.TrimSpace(checks["group-script"].Output))

	must.NoError(t, os.WriteFile(statusFile, []byte("1"), 0o644))
	waitStatus(api.HealthWarning)
	must.NoError(t, os.WriteFile(statusFile, []byte("2"), 0o644))
	waitStatus(api.HealthCritical)
	must.NoError(t, os.WriteFile(statusFile, []byte("0"), 0o644))
	waitStatus(api.HealthPassing)

	// The task's own service goes away when the task stops.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	must.NoError(t, tr.Kill(ctx, nil))
	waitFor(t, func() error {
		services, err := c.Agent().Services()
		if err != nil {
			return err
		}
		for _, s := range services {
			if s.Service == "web-task" {
				return fmt.Errorf("task service still registered")
			}
		}
		return nil
	})
}

func TestScriptCheck_TimeoutIsCritical(t *testing.T) {
	task := shTask("true")
	h := newHarness(t, structs.JobTypeBatch, task, nil)
	tr, err := NewTaskRunner(Config{
		Alloc: h.alloc, Task: task, TaskDir: h.dir.NewTaskDir("web"), AllocDir: h.dir.AllocDir,
		Logger: h.logger, StateDB: h.db,
	})
	must.NoError(t, err)
	must.NoError(t, tr.cfg.TaskDir.Build())
	hook := &scriptCheckHook{tr: tr}
	start := time.Now()
	status, output := hook.execute(context.Background(), &structs.ServiceCheck{
		Type: "script", Command: "/bin/sh", Args: []string{"-c", "sleep 30"}, Timeout: 200 * time.Millisecond,
	})
	must.Eq(t, api.HealthCritical, status)
	must.Eq(t, "script check timed out after 200ms", output)
	must.Less(t, 10*time.Second, time.Since(start))

	status, output = hook.execute(context.Background(), &structs.ServiceCheck{Type: "script", Command: "no-such-command-here"})
	must.Eq(t, api.HealthCritical, status)
	must.StrContains(t, output, `failed to find script check command "no-such-command-here"`)
}
