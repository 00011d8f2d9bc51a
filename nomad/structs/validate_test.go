package structs_test

import (
	"errors"
	"testing"
	"time"

	multierror "github.com/hashicorp/go-multierror"
	"github.com/netnomad/netnomad/nomad/mock"
	"github.com/netnomad/netnomad/nomad/structs"
	"github.com/shoenig/test/must"
)

// problems returns the individual messages of a Validate/Warnings error.
func problems(t *testing.T, err error) []string {
	t.Helper()
	if err == nil {
		return nil
	}
	var merr *multierror.Error
	must.True(t, errors.As(err, &merr), must.Sprintf("want a *multierror.Error, got %T", err))
	out := make([]string, 0, len(merr.Errors))
	for _, e := range merr.Errors {
		out = append(out, e.Error())
	}
	return out
}

func connectService(name string, upstreamPort int) *structs.Service {
	return &structs.Service{
		Name:        name,
		PortLabel:   "9001",
		AddressMode: structs.AddressModeAuto,
		Connect: &structs.ConsulConnect{SidecarService: &structs.ConsulSidecarService{
			Proxy: &structs.ConsulProxy{Upstreams: []*structs.ConsulUpstream{{DestinationName: "db", LocalBindPort: upstreamPort}}},
		}},
	}
}

func TestMockFixturesAreValid(t *testing.T) {
	for name, j := range map[string]*structs.Job{"service": mock.Job(), "batch": mock.BatchJob(), "connect": mock.ConnectJob(), "alloc job": mock.Alloc().Job} {
		t.Run(name, func(t *testing.T) {
			must.NoError(t, j.Validate())
			must.NoError(t, j.Warnings())
		})
	}
}

func TestJob_Validate(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(j *structs.Job)
		want   []string // nil means valid
	}{
		{name: "mock is valid", mutate: func(j *structs.Job) {}},
		{
			name: "valid connect group with two services",
			mutate: func(j *structs.Job) {
				tg := j.TaskGroups[0]
				tg.Services = []*structs.Service{connectService("api", 8080), connectService("api2", 8081)}
			},
		},
		{
			name: "valid cni mode and task network on another group",
			mutate: func(j *structs.Job) {
				j.TaskGroups[0].Networks[0].Mode = "cni/mynet"
			},
		},
		{
			name:   "missing id",
			mutate: func(j *structs.Job) { j.ID = "" },
			want:   []string{"Missing job ID"},
		},
		{
			name:   "id with space",
			mutate: func(j *structs.Job) { j.ID = "my job" },
			want:   []string{"Job ID contains a space"},
		},
		{
			name:   "id with null",
			mutate: func(j *structs.Job) { j.ID = "my\x00job" },
			want:   []string{"Job ID contains a null character"},
		},
		{
			name:   "bad type and priority",
			mutate: func(j *structs.Job) { j.Type = "daemon"; j.Priority = 101 },
			want:   []string{`Invalid job type: "daemon"`, "Job priority must be between [1, 100]"},
		},
		{
			name:   "no datacenters no groups",
			mutate: func(j *structs.Job) { j.Datacenters = nil; j.TaskGroups = nil },
			want:   []string{"Missing job datacenters", "Missing job task groups"},
		},
		{
			name: "duplicate group",
			mutate: func(j *structs.Job) {
				j.TaskGroups = append(j.TaskGroups, j.TaskGroups[0].Copy())
				j.TaskGroups[1].Networks = nil
				j.TaskGroups[1].Services = nil
			},
			want: []string{"Job task group 2 redefines 'web' from group 1"},
		},
		{
			name: "group problems",
			mutate: func(j *structs.Job) {
				tg := j.TaskGroups[0]
				tg.Count = -1
				tg.Tasks = append(tg.Tasks, tg.Tasks[0].Copy())
			},
			want: []string{
				`group "web": Task group count can't be negative`,
				`group "web": Task 2 redefines 'web' from task 1`,
			},
		},
		{
			name: "task problems",
			mutate: func(j *structs.Job) {
				task := j.TaskGroups[0].Tasks[0]
				task.Name = "a/b"
				task.Driver = ""
				task.Resources.CPU = 0
				task.Resources.MemoryMB = 5
				task.LogConfig.MaxFiles = 0
				task.Lifecycle = &structs.TaskLifecycleConfig{Hook: "prestop"}
			},
			want: []string{
				`group "web" -> task "a/b": Task name cannot include slashes`,
				`group "web" -> task "a/b": Missing task driver`,
				`group "web" -> task "a/b" -> lifecycle: invalid hook: prestop`,
				`group "web" -> task "a/b" -> resources: Minimum CPU value is 1; got 0`,
				`group "web" -> task "a/b" -> resources: Minimum MemoryMB value is 10; got 5`,
				`group "web" -> task "a/b" -> logs: minimum number of files is 1; got 0`,
			},
		},
		{
			name: "log storage exceeds disk",
			mutate: func(j *structs.Job) {
				j.TaskGroups[0].Tasks[0].Resources.DiskMB = 50
			},
			want: []string{`group "web" -> task "web" -> logs: log storage (100 MB) must be less than requested disk capacity (50 MB)`},
		},
		{
			name: "restart policy",
			mutate: func(j *structs.Job) {
				j.TaskGroups[0].RestartPolicy = &structs.RestartPolicy{Attempts: 3, Delay: time.Minute, Interval: 2 * time.Minute, Mode: "sometimes"}
			},
			want: []string{
				`group "web" -> restart: Unsupported restart mode: "sometimes"`,
				`group "web" -> restart: Nomad can't restart the TaskGroup 3 times in an interval of 2m0s with a delay of 1m0s`,
			},
		},
		{
			name: "constraint operands",
			mutate: func(j *structs.Job) {
				j.Constraints = append(j.Constraints, &structs.Constraint{LTarget: "${attr.a}", RTarget: "b", Operand: "~="})
				j.TaskGroups[0].Constraints = []*structs.Constraint{{LTarget: "${attr.a}", RTarget: "(", Operand: "regexp"}}
			},
			want: []string{
				`constraint 2: Unknown constraint type "~="`,
				"group \"web\" -> constraint 1: Regular expression failed to compile: error parsing regexp: missing closing ): `(`",
			},
		},
		{
			name: "two group networks",
			mutate: func(j *structs.Job) {
				tg := j.TaskGroups[0]
				tg.Networks = append(tg.Networks, &structs.NetworkResource{Mode: "bridge"})
			},
			want: []string{`group "web": only one network block allowed`},
		},
		{
			name:   "invalid network mode",
			mutate: func(j *structs.Job) { j.TaskGroups[0].Networks[0].Mode = "x" },
			want:   []string{`group "web" -> network: invalid network mode "x"; must be one of "host", "bridge", "none" or "cni/<name>"`},
		},
		{
			name:   "cni without name",
			mutate: func(j *structs.Job) { j.TaskGroups[0].Networks[0].Mode = "cni/" },
			want:   []string{`group "web" -> network: invalid network mode "cni/"; must be one of "host", "bridge", "none" or "cni/<name>"`},
		},
		{
			name: "port labels",
			mutate: func(j *structs.Job) {
				n := j.TaskGroups[0].Networks[0]
				n.DynamicPorts = append(n.DynamicPorts,
					structs.Port{Label: ""}, structs.Port{Label: "bad.label"}, structs.Port{Label: "HTTP"}, structs.Port{Label: "connect-proxy-x", To: -1})
			},
			want: []string{
				`group "web" -> network: ports must be named`,
				`group "web" -> network: Port label "bad.label" does not conform to naming requirements ^[a-zA-Z0-9_-]+$`,
				`group "web" -> network: found a port label collision: HTTP`,
			},
		},
		{
			name: "port numbers",
			mutate: func(j *structs.Job) {
				n := j.TaskGroups[0].Networks[0]
				n.ReservedPorts = append(n.ReservedPorts,
					structs.Port{Label: "big", Value: 70000},
					structs.Port{Label: "again", Value: 8080, HostNetwork: "default"},
					structs.Port{Label: "other_net", Value: 8080, HostNetwork: "public"})
				n.DynamicPorts = append(n.DynamicPorts, structs.Port{Label: "neg", To: -2}, structs.Port{Label: "huge", To: 65536})
			},
			want: []string{
				`group "web" -> network: Port big (70000) cannot be greater than 65535`,
				`group "web" -> network: Static port 8080 already reserved by taskgroup network:http`,
				`group "web" -> network: Port "neg" cannot be mapped to negative value -2`,
				`group "web" -> network: Port "huge" cannot be mapped to a port (65536) greater than 65535`,
			},
		},
		{
			name: "mixing group and task networks",
			mutate: func(j *structs.Job) {
				j.TaskGroups[0].Tasks[0].Resources.Networks = structs.NetworkResources{{
					Mode: "host", MBits: 10,
					ReservedPorts: []structs.Port{{Label: "http", Value: 8080, HostNetwork: "default"}},
				}}
			},
			want: []string{
				`group "web" -> task "web": task "web" has a task-level network while group "web" has a group network; mixing group and task networks is not allowed, move the ports to the group network`,
				`group "web" -> task "web" -> resources -> network: Port label http already in use by taskgroup network`,
				`group "web" -> task "web" -> resources -> network: Static port 8080 already reserved by taskgroup network:http`,
			},
		},
		{
			name: "task networks collide across tasks",
			mutate: func(j *structs.Job) {
				tg := j.TaskGroups[0]
				tg.Networks = nil
				tg.Services = nil
				t2 := tg.Tasks[0].Copy()
				t2.Name = "sidekick"
				tg.Tasks = append(tg.Tasks, t2)
				for _, task := range tg.Tasks {
					task.Resources.Networks = structs.NetworkResources{{
						Mode: "host", MBits: 10,
						ReservedPorts: []structs.Port{{Label: "http_" + task.Name, Value: 9000, HostNetwork: "default"}},
						DynamicPorts:  []structs.Port{{Label: "admin", HostNetwork: "default"}},
					}}
				}
			},
			want: []string{
				`group "web" -> task "sidekick" -> resources -> network: Static port 9000 already reserved by web:http_web`,
				`group "web" -> task "sidekick" -> resources -> network: Port label admin already in use by web`,
			},
		},
		{
			name: "service port labels",
			mutate: func(j *structs.Job) {
				tg := j.TaskGroups[0]
				tg.Services = append(tg.Services,
					&structs.Service{Name: "a", PortLabel: "nope", AddressMode: "auto"},
					&structs.Service{Name: "b", PortLabel: "nope", AddressMode: "auto"},
					&structs.Service{Name: "c", PortLabel: "9090", AddressMode: "auto"})
				tg.Tasks[0].Services = []*structs.Service{{Name: "d", PortLabel: "missing", AddressMode: "auto"}, {Name: "e", PortLabel: "metrics", AddressMode: "auto"}}
			},
			want: []string{
				`group "web": port label "nope" referenced by services a, b does not exist`,
				`group "web" -> task "web": port label "missing" referenced by services d does not exist`,
			},
		},
		{
			name: "service names and modes",
			mutate: func(j *structs.Job) {
				tg := j.TaskGroups[0]
				tg.Services = append(tg.Services,
					&structs.Service{Name: "bad_name", AddressMode: "driver"},
					&structs.Service{Name: "example-web", PortLabel: "http", AddressMode: "auto"},
					&structs.Service{Name: "z", AddressMode: "weird"})
				tg.Tasks[0].Services = []*structs.Service{{Name: "t", AddressMode: "alloc", Connect: &structs.ConsulConnect{Native: true}}}
			},
			want: []string{
				`group "web" -> service "bad_name": Service name must be valid per RFC 1123 and can contain only alphanumeric characters or dashes: "bad_name"`,
				`group "web" -> service "bad_name": service "bad_name" cannot use address_mode="driver", only services defined in a "task" block can use this mode`,
				`group "web": Service example-web is duplicate`,
				`group "web" -> service "z": Service address_mode must be "auto", "host", "driver" or "alloc"; not "weird"`,
				`group "web" -> task "web" -> service "t": service "t" cannot use address_mode="alloc", only services defined in a "group" block can use this mode`,
				`group "web" -> task "web" -> service "t": service "t" cannot have "connect" block, only services defined in a "group" block can`,
			},
		},
		{
			name: "checks",
			mutate: func(j *structs.Job) {
				tg := j.TaskGroups[0]
				tg.Tasks = append(tg.Tasks, &structs.Task{Name: "other", Driver: "raw_exec", Resources: &structs.Resources{CPU: 100, MemoryMB: 100}, LogConfig: &structs.LogConfig{MaxFiles: 1, MaxFileSizeMB: 1}})
				s := tg.Services[0]
				s.Checks = []*structs.ServiceCheck{
					{Name: "kind", Type: "icmp", Interval: time.Second, Timeout: time.Second},
					{Name: "nopath", Type: "http", Interval: time.Second, Timeout: time.Second},
					{Name: "fast", Type: "tcp", Interval: time.Millisecond, Timeout: 0},
					{Name: "script", Type: "script", Command: "/bin/true", Interval: time.Second, Timeout: time.Second},
					{Name: "ghost", Type: "script", Command: "/bin/true", TaskName: "ghost", Interval: time.Second, Timeout: time.Second},
					{Name: "tcptask", Type: "tcp", TaskName: "web", PortLabel: "nolabel", Interval: time.Second, Timeout: time.Second},
				}
			},
			want: []string{
				`group "web" -> service "example-web": Check kind invalid: invalid type ("icmp"), must be one of "grpc", "http", "script", "tcp"`,
				`group "web" -> service "example-web": Check nopath invalid: http type must have http path`,
				`group "web" -> service "example-web": Check fast invalid: minimum check interval is 1s; got 1ms`,
				`group "web" -> service "example-web": Check fast invalid: minimum check timeout is 1s; got 0s`,
				`group "web" -> service "example-web": Service [web]->example-web or Check script must specify task parameter`,
				`group "web" -> service "example-web": Check ghost invalid: refers to non-existent task ghost`,
				`group "web" -> service "example-web": Check tcptask invalid: port label "nolabel" does not exist`,
				`group "web" -> service "example-web": Check tcptask invalid: only script and gRPC checks should have tasks`,
			},
		},
		{
			name: "connect needs one bridge network",
			mutate: func(j *structs.Job) {
				tg := j.TaskGroups[0]
				tg.Networks[0].Mode = "host"
				tg.Services = []*structs.Service{connectService("api", 8080)}
			},
			want: []string{`group "web": connect sidecar: invalid network mode for Consul Connect: group "web" uses network mode "host"; must be "bridge" or "cni/*"`},
		},
		{
			name: "connect without network",
			mutate: func(j *structs.Job) {
				tg := j.TaskGroups[0]
				tg.Networks = nil
				tg.Services = []*structs.Service{connectService("api", 8080)}
			},
			want: []string{`group "web": connect sidecar: must have exactly one network for Consul Connect: group "web" has 0 networks`},
		},
		{
			name: "connect rules",
			mutate: func(j *structs.Job) {
				tg := j.TaskGroups[0]
				both := connectService("both", 9000)
				both.Connect.Native = true
				tcp := connectService("Upper", 8080)
				tcp.Checks = []*structs.ServiceCheck{{Name: "tcp", Type: "tcp", Interval: time.Second, Timeout: time.Second}}
				tg.Tasks = append(tg.Tasks, &structs.Task{Name: "two", Driver: "raw_exec", Resources: &structs.Resources{CPU: 100, MemoryMB: 100}, LogConfig: &structs.LogConfig{MaxFiles: 1, MaxFileSizeMB: 1}})
				tg.Services = []*structs.Service{
					connectService("api", 8080),
					tcp,
					both,
					{Name: "empty", PortLabel: "http", Connect: &structs.ConsulConnect{}},
					{Name: "native", PortLabel: "http", Connect: &structs.ConsulConnect{Native: true}},
				}
			},
			want: []string{
				`group "web" -> service "Upper": Consul Connect service name "Upper" in group "web" must not contain uppercase characters`,
				`group "web" -> service "Upper": Check tcp invalid: tcp checks are not valid for Connect enabled services`,
				`group "web": Consul Connect services "api" and "Upper" in group "web" using same address for upstreams (:8080)`,
				`group "web" -> service "both": Consul Connect must be exclusively native, make use of a sidecar, or represent a Gateway`,
				`group "web" -> service "both": task for Consul Connect Native service web->both is ambiguous and must be set`,
				`group "web" -> service "empty": Consul Connect must be native, make use of a sidecar, or represent a Gateway`,
				`group "web" -> service "native": task for Consul Connect Native service web->native is ambiguous and must be set`,
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			j := mock.Job()
			tc.mutate(j)
			got := problems(t, j.Validate())
			must.Eq(t, tc.want, got)
		})
	}
}

func TestJob_Validate_ReportsEveryProblem(t *testing.T) {
	j := mock.Job()
	j.Priority = 0
	tg := j.TaskGroups[0]
	tg.Networks[0].Mode = "overlay"
	tg.Networks[0].DynamicPorts[0].To = -2
	tg.Tasks[0].Driver = ""
	tg.Services[0].PortLabel = "nope"

	err := j.Validate()
	must.Error(t, err)
	must.Eq(t, []string{
		"Job priority must be between [1, 100]",
		`group "web" -> task "web": Missing task driver`,
		`group "web" -> network: invalid network mode "overlay"; must be one of "host", "bridge", "none" or "cni/<name>"`,
		`group "web" -> network: Port "metrics" cannot be mapped to negative value -2`,
		`group "web": port label "nope" referenced by services example-web does not exist`,
	}, problems(t, err))
	must.StrContains(t, err.Error(), "5 errors occurred")
}

func TestJob_Warnings(t *testing.T) {
	j := mock.Job()
	j.TaskGroups[0].Networks[0].MBits = 100
	b := mock.BatchJob()
	b.TaskGroups[0].Tasks[0].Resources.Networks = structs.NetworkResources{{Mode: "host", MBits: 10}}

	must.Eq(t, []string{`group "web" -> network: mbits has been deprecated as of Nomad 0.12.0. Please remove mbits from the network block`}, problems(t, j.Warnings()))
	must.Eq(t, []string{`group "worker" -> task "worker": task network resources have been deprecated as of Nomad 0.12.0. Please configure networking via group network block.`}, problems(t, b.Warnings()))
	must.NoError(t, b.Validate())
}
