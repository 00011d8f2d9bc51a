package scheduler

import (
	"testing"

	"github.com/netnomad/netnomad/nomad/structs"
	"github.com/shoenig/test/must"
)

func TestTasksUpdated(t *testing.T) {
	base := func() *structs.Job {
		j := testJob(1)
		tg := j.TaskGroups[0]
		tg.Networks = structs.NetworkResources{{
			Mode:          structs.NetworkModeBridge,
			ReservedPorts: []structs.Port{{Label: "http", Value: 8080, To: 80}},
			DynamicPorts:  []structs.Port{{Label: "connect-proxy-web", To: -1}},
		}}
		tg.Services = []*structs.Service{{
			Name: "web", PortLabel: "80", Tags: []string{"a"},
			Connect: &structs.ConsulConnect{SidecarService: &structs.ConsulSidecarService{
				Proxy: &structs.ConsulProxy{Upstreams: []*structs.ConsulUpstream{{DestinationName: "db", LocalBindPort: 5432}}},
			}},
		}}
		tg.Tasks[0].Config["port"] = 8080
		tg.Tasks[0].Services = []*structs.Service{{Name: "task-svc", PortLabel: "http"}}
		return j
	}
	cases := []struct {
		name   string
		mutate func(*structs.Job)
		want   bool
	}{
		{"unchanged", func(*structs.Job) {}, false},
		{"count", func(j *structs.Job) { j.TaskGroups[0].Count = 5 }, false},
		{"service tags", func(j *structs.Job) { j.TaskGroups[0].Services[0].Tags = []string{"b"} }, false},
		{"task service tags", func(j *structs.Job) { j.TaskGroups[0].Tasks[0].Services[0].Tags = []string{"b"} }, false},
		{"upstreams", func(j *structs.Job) {
			j.TaskGroups[0].Services[0].Connect.SidecarService.Proxy.Upstreams[0].LocalBindPort = 6000
		}, false},
		{"sidecar tags", func(j *structs.Job) {
			j.TaskGroups[0].Services[0].Connect.SidecarService.Tags = []string{"x"}
		}, false},
		{"restart policy", func(j *structs.Job) {
			j.TaskGroups[0].RestartPolicy = &structs.RestartPolicy{Attempts: 9}
		}, false},
		{"config int decoded as float", func(j *structs.Job) {
			must.Eq(t, any(float64(8080)), j.TaskGroups[0].Tasks[0].Config["port"])
		}, false},
		{"driver", func(j *structs.Job) { j.TaskGroups[0].Tasks[0].Driver = "exec" }, true},
		{"user", func(j *structs.Job) { j.TaskGroups[0].Tasks[0].User = "nobody" }, true},
		{"config", func(j *structs.Job) { j.TaskGroups[0].Tasks[0].Config["command"] = "/bin/true" }, true},
		{"env", func(j *structs.Job) { j.TaskGroups[0].Tasks[0].Env = map[string]string{"X": "1"} }, true},
		{"group meta", func(j *structs.Job) { j.TaskGroups[0].Meta = map[string]string{"X": "1"} }, true},
		{"memory", func(j *structs.Job) { j.TaskGroups[0].Tasks[0].Resources.MemoryMB = 1024 }, true},
		{"task removed", func(j *structs.Job) { j.TaskGroups[0].Tasks = nil }, true},
		{"task renamed", func(j *structs.Job) { j.TaskGroups[0].Tasks[0].Name = "other" }, true},
		{"network mode", func(j *structs.Job) { j.TaskGroups[0].Networks[0].Mode = structs.NetworkModeHost }, true},
		{"static port value", func(j *structs.Job) { j.TaskGroups[0].Networks[0].ReservedPorts[0].Value = 8081 }, true},
		{"port to", func(j *structs.Job) { j.TaskGroups[0].Networks[0].ReservedPorts[0].To = 81 }, true},
		{"port added", func(j *structs.Job) {
			n := j.TaskGroups[0].Networks[0]
			n.DynamicPorts = append(n.DynamicPorts, structs.Port{Label: "extra"})
		}, true},
		{"network removed", func(j *structs.Job) { j.TaskGroups[0].Networks = nil }, true},
		{"task network", func(j *structs.Job) {
			j.TaskGroups[0].Tasks[0].Resources.Networks = structs.NetworkResources{{DynamicPorts: []structs.Port{{Label: "x"}}}}
		}, true},
		{"connect removed", func(j *structs.Job) { j.TaskGroups[0].Services[0].Connect = nil }, true},
		{"connect native", func(j *structs.Job) { j.TaskGroups[0].Services[0].Connect.Native = true }, true},
		{"sidecar port", func(j *structs.Job) {
			j.TaskGroups[0].Services[0].Connect.SidecarService.Port = "other"
		}, true},
		{"sidecar task", func(j *structs.Job) {
			j.TaskGroups[0].Services[0].Connect.SidecarTask = &structs.SidecarTask{Driver: "docker"}
		}, true},
		{"service port", func(j *structs.Job) { j.TaskGroups[0].Services[0].PortLabel = "81" }, true},
		{"connect service added", func(j *structs.Job) {
			j.TaskGroups[0].Services = append(j.TaskGroups[0].Services, &structs.Service{
				Name: "api", Connect: &structs.ConsulConnect{Native: true},
			})
		}, true},
		{"plain service added", func(j *structs.Job) {
			j.TaskGroups[0].Services = append(j.TaskGroups[0].Services, &structs.Service{Name: "api"})
		}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := base()
			b := a.Copy()
			tc.mutate(b)
			must.Eq(t, tc.want, TasksUpdated(a, b, "web"))
		})
	}
	t.Run("group missing", func(t *testing.T) {
		must.True(t, TasksUpdated(base(), base(), "nope"))
	})
}
