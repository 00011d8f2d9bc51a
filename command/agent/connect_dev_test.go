package agent

import (
	"errors"
	"testing"

	"github.com/hashicorp/nomad/api"
	"github.com/shoenig/test/must"
)

// A -dev agent with envoy on PATH injects sidecars that run it under raw_exec
// (there is no docker driver to run Nomad's default); without envoy the default
// stays docker, as Nomad's.
func TestDevAgent_ConnectSidecarUsesEnvoyOnPath(t *testing.T) {
	for _, tc := range []struct {
		name        string
		envoy       string
		wantDriver  string
		wantCommand any
	}{
		{name: "envoy on PATH", envoy: "/opt/envoy/bin/envoy", wantDriver: "raw_exec", wantCommand: "/opt/envoy/bin/envoy"},
		{name: "no envoy", wantDriver: "docker"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			saved := lookEnvoy
			t.Cleanup(func() { lookEnvoy = saved })
			lookEnvoy = func() (string, error) {
				if tc.envoy == "" {
					return "", errors.New("not found")
				}
				return tc.envoy, nil
			}
			_, c := testAgent(t)

			job := api.NewServiceJob("dash", "dash", "global", 50)
			job.Datacenters = []string{"*"}
			tg := api.NewTaskGroup("api", 1)
			tg.Networks = []*api.NetworkResource{{Mode: "bridge"}}
			tg.Services = []*api.Service{{Name: "count-api", PortLabel: "9001", Connect: &api.ConsulConnect{SidecarService: &api.ConsulSidecarService{}}}}
			tg.AddTask(api.NewTask("web", "raw_exec").SetConfig("command", "/bin/sleep").SetConfig("args", []string{"1000"}))
			job.AddTaskGroup(tg)
			_, _, err := c.Jobs().Register(job, nil)
			must.NoError(t, err)
			stored, _, err := c.Jobs().Info("dash", nil)
			must.NoError(t, err)
			t.Cleanup(func() { _, _, _ = c.Jobs().Deregister("dash", true, nil) })
			var sidecar *api.Task
			for _, task := range stored.TaskGroups[0].Tasks {
				if task.Name == "connect-proxy-count-api" {
					sidecar = task
				}
			}
			must.NotNil(t, sidecar, must.Sprint("no sidecar injected"))
			must.Eq(t, tc.wantDriver, sidecar.Driver)
			if tc.wantCommand != nil {
				must.Eq(t, tc.wantCommand, sidecar.Config["command"])
			}
		})
	}
}
