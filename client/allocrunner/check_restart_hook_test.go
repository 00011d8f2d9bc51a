package allocrunner

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/hashicorp/consul/api"
	"github.com/hashicorp/go-hclog"
	"github.com/shoenig/test/must"

	"github.com/netnomad/netnomad/client/serviceregistration/consul"
	"github.com/netnomad/netnomad/client/serviceregistration/watcher"
	"github.com/netnomad/netnomad/nomad/structs"
)

// TestGroupCheckRestart_RestartsOwnerTasks fails a group service's check with
// a check_restart: when neither the check nor the service names a task, every
// running task restarts (as Nomad does); otherwise only the named task.
func TestGroupCheckRestart_RestartsOwnerTasks(t *testing.T) {
	for _, tc := range []struct {
		name      string
		task      string // the group service's `task`
		restarted []string
	}{
		{name: "no task: all running tasks", restarted: []string{"server", "worker"}},
		{name: "the service's task", task: "worker", restarted: []string{"worker"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := newConsulEnv(t)
			fake := env.agent.RequireFake(t)
			w := watcher.New(watcher.Config{
				Getter: consul.CheckStatuses{Agent: env.api.Agent()}, Logger: hclog.NewNullLogger(), PollInterval: 10 * time.Millisecond,
			})
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() { defer close(done); w.Run(ctx) }()
			t.Cleanup(func() { cancel(); <-done })
			env.checkWatcher = w

			alloc := serviceAlloc("")
			tg := alloc.Job.TaskGroups[0]
			tg.Tasks = append(tg.Tasks, shTask("worker", "while true; do sleep 0.05; done"))
			tg.RestartPolicy.Attempts = 2
			tg.Services[0].TaskName = tc.task
			tg.Services[0].Checks = []*structs.ServiceCheck{{
				Name: "api-alive", Type: "tcp", Interval: 100 * time.Millisecond, Timeout: time.Second,
				InitialStatus: api.HealthPassing,
				// Group checks are not registered again when tasks restart, so
				// the failing status stays until the test turns it passing:
				// the grace period after the restart leaves it time to.
				CheckRestart: &structs.CheckRestart{Limit: 1, Grace: 2 * time.Second},
			}}
			ar := newConnectRunner(t, alloc, nil, env)
			go ar.Run()
			var checkID string
			waitFor(t, func() error {
				for _, c := range fake.Checks() {
					if c.Name == "api-alive" {
						checkID = c.CheckID
						return nil
					}
				}
				return fmt.Errorf("check not registered")
			})
			must.NoError(t, fake.SetCheckStatus(checkID, api.HealthCritical, "dial tcp: connection refused"))
			waitFor(t, func() error {
				for _, name := range tc.restarted {
					if ar.tasks[name].TaskState().Restarts == 0 {
						return fmt.Errorf("task %q not restarted", name)
					}
				}
				return nil
			})
			must.NoError(t, fake.SetCheckStatus(checkID, api.HealthPassing, "TCP connect: Success"))

			waitFor(t, func() error {
				for _, name := range tc.restarted {
					ts := ar.tasks[name].TaskState()
					if ts.Restarts != 1 || ts.State != structs.TaskStateRunning {
						return fmt.Errorf("task %q %s after %d restarts", name, ts.State, ts.Restarts)
					}
				}
				return nil
			})
			for _, name := range []string{"server", "worker"} {
				var signaled []string
				for _, e := range ar.tasks[name].TaskState().Events {
					if e.Type == structs.TaskRestartSignal {
						signaled = append(signaled, e.DisplayMessage)
					}
				}
				if tc.task == "" || name == tc.task {
					must.Eq(t, []string{`healthcheck: check "api-alive" unhealthy`}, signaled, must.Sprint(name))
				} else {
					must.Len(t, 0, signaled, must.Sprint(name))
				}
			}
		})
	}
}
