package taskenv

import (
	"testing"

	"github.com/shoenig/test/must"

	"github.com/netnomad/netnomad/nomad/structs"
)

const allocID = "5d3d6b5e-1a2b-4c3d-8e9f-0123456789ab"

func testNode() *structs.Node {
	return &structs.Node{
		ID:         "node-1111",
		Name:       "client-1",
		Datacenter: "dc2",
		NodeClass:  "linux-medium",
		Attributes: map[string]string{"kernel.name": "linux", "unique.network.ip-address": "10.0.2.15"},
		Meta:       map[string]string{"rack": "r1", "connect.log_level": "info"},
	}
}

// testAlloc is job "example" (region "eu") with group "api" running task "web".
func testAlloc(tg *structs.TaskGroup, ar *structs.AllocatedResources) *structs.Allocation {
	tg.Name = "api"
	if tg.Tasks == nil {
		tg.Tasks = []*structs.Task{{Name: "web"}}
	}
	return &structs.Allocation{
		ID:        allocID,
		Name:      "example.api[2]",
		Namespace: "default",
		TaskGroup: "api",
		Job: &structs.Job{
			ID: "example-id", Name: "example", Region: "eu", Namespace: "default",
			TaskGroups: []*structs.TaskGroup{tg},
		},
		AllocatedResources: ar,
	}
}

func webTask() *structs.Task {
	return &structs.Task{Name: "web", Resources: &structs.Resources{CPU: 100, MemoryMB: 64}}
}

func TestBuild_BridgeWorkedExample(t *testing.T) {
	ar := &structs.AllocatedResources{
		Tasks: map[string]*structs.AllocatedTaskResources{"web": {CPUShares: 500, MemoryMB: 256}},
		Shared: structs.AllocatedSharedResources{
			Networks: structs.NetworkResources{{Mode: "bridge", IP: "10.0.2.15", DynamicPorts: []structs.Port{{Label: "http", Value: 23456, To: 8080}}}},
			Ports:    structs.AllocatedPorts{{Label: "http", Value: 23456, To: 8080, HostIP: "10.0.2.15"}},
		},
	}
	alloc := testAlloc(&structs.TaskGroup{}, ar)
	env := NewBuilder(testNode(), alloc, webTask(), "global").
		SetAllocDir("/data/alloc/" + allocID + "/alloc").
		SetTaskDir("/data/alloc/" + allocID + "/web/local").
		SetSecretsDir("/data/alloc/" + allocID + "/web/secrets").
		SetNetworkStatus(&structs.AllocNetworkStatus{InterfaceName: "eth0", Address: "172.26.64.5", NetnsPath: "/var/run/netns/x"}).
		Build()

	must.Eq(t, map[string]string{
		"NOMAD_ALLOC_DIR":            "/data/alloc/" + allocID + "/alloc",
		"NOMAD_TASK_DIR":             "/data/alloc/" + allocID + "/web/local",
		"NOMAD_SECRETS_DIR":          "/data/alloc/" + allocID + "/web/secrets",
		"NOMAD_CPU_LIMIT":            "500",
		"NOMAD_MEMORY_LIMIT":         "256",
		"NOMAD_ALLOC_ID":             allocID,
		"NOMAD_SHORT_ALLOC_ID":       "5d3d6b5e",
		"NOMAD_ALLOC_NAME":           "example.api[2]",
		"NOMAD_ALLOC_INDEX":          "2",
		"NOMAD_TASK_NAME":            "web",
		"NOMAD_GROUP_NAME":           "api",
		"NOMAD_JOB_NAME":             "example",
		"NOMAD_JOB_ID":               "example-id",
		"NOMAD_DC":                   "dc2",
		"NOMAD_REGION":               "global",
		"NOMAD_NAMESPACE":            "default",
		"NOMAD_PORT_http":            "8080",
		"NOMAD_HOST_PORT_http":       "23456",
		"NOMAD_IP_http":              "10.0.2.15",
		"NOMAD_HOST_IP_http":         "10.0.2.15",
		"NOMAD_ADDR_http":            "10.0.2.15:23456",
		"NOMAD_HOST_ADDR_http":       "10.0.2.15:23456",
		"NOMAD_ALLOC_PORT_http":      "8080",
		"NOMAD_ALLOC_IP_http":        "172.26.64.5",
		"NOMAD_ALLOC_ADDR_http":      "172.26.64.5:8080",
		"NOMAD_ALLOC_INTERFACE_http": "eth0",
	}, env.Map())
}

func TestBuild_GroupPorts(t *testing.T) {
	cases := []struct {
		name    string
		ports   structs.AllocatedPorts
		status  *structs.AllocNetworkStatus
		want    map[string]string
		missing []string
	}{
		{
			name:  "host mode without to",
			ports: structs.AllocatedPorts{{Label: "http", Value: 23456, HostIP: "10.0.2.15"}},
			want: map[string]string{
				"NOMAD_PORT_http": "23456", "NOMAD_HOST_PORT_http": "23456", "NOMAD_ALLOC_PORT_http": "23456",
				"NOMAD_IP_http": "10.0.2.15", "NOMAD_ADDR_http": "10.0.2.15:23456",
			},
			missing: []string{"NOMAD_ALLOC_IP_http", "NOMAD_ALLOC_ADDR_http", "NOMAD_ALLOC_INTERFACE_http"},
		},
		{
			name:  "host mode with to uses to",
			ports: structs.AllocatedPorts{{Label: "http", Value: 23456, To: 8080, HostIP: "10.0.2.15"}},
			want:  map[string]string{"NOMAD_PORT_http": "8080", "NOMAD_HOST_PORT_http": "23456", "NOMAD_ADDR_http": "10.0.2.15:23456"},
		},
		{
			name: "dashed labels cleaned only for cleaned prefixes",
			ports: structs.AllocatedPorts{
				{Label: "connect-proxy-count-api", Value: 21000, To: -1, HostIP: "10.0.2.15"},
				{Label: "admin-ui", Value: 21001, To: 9000, HostIP: "10.0.2.15"},
			},
			status: &structs.AllocNetworkStatus{InterfaceName: "eth0", Address: "172.26.64.9"},
			want: map[string]string{
				"NOMAD_PORT_connect_proxy_count_api":            "21000",
				"NOMAD_HOST_PORT_connect_proxy_count_api":       "21000",
				"NOMAD_IP_connect_proxy_count_api":              "10.0.2.15",
				"NOMAD_ADDR_connect_proxy_count_api":            "10.0.2.15:21000",
				"NOMAD_HOST_IP_connect-proxy-count-api":         "10.0.2.15",
				"NOMAD_HOST_ADDR_connect-proxy-count-api":       "10.0.2.15:21000",
				"NOMAD_ALLOC_PORT_connect-proxy-count-api":      "21000",
				"NOMAD_ALLOC_ADDR_connect-proxy-count-api":      "172.26.64.9:21000",
				"NOMAD_ALLOC_IP_connect-proxy-count-api":        "172.26.64.9",
				"NOMAD_PORT_admin_ui":                           "9000",
				"NOMAD_HOST_PORT_admin_ui":                      "21001",
				"NOMAD_ALLOC_ADDR_admin-ui":                     "172.26.64.9:9000",
				"NOMAD_ALLOC_INTERFACE_connect-proxy-count-api": "eth0",
			},
			missing: []string{"NOMAD_PORT_connect-proxy-count-api", "NOMAD_ADDR_admin-ui", "NOMAD_HOST_IP_admin_ui"},
		},
		{
			name:  "missing host IP falls back to the node address",
			ports: structs.AllocatedPorts{{Label: "http", Value: 23456}},
			want:  map[string]string{"NOMAD_IP_http": "10.0.2.15", "NOMAD_ADDR_http": "10.0.2.15:23456"},
		},
		{
			name:  "ipv6 host address bracketed",
			ports: structs.AllocatedPorts{{Label: "http", Value: 23456, HostIP: "fd00::1"}},
			want:  map[string]string{"NOMAD_ADDR_http": "[fd00::1]:23456", "NOMAD_IP_http": "fd00::1"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			alloc := testAlloc(&structs.TaskGroup{}, &structs.AllocatedResources{Shared: structs.AllocatedSharedResources{Ports: tc.ports}})
			env := NewBuilder(testNode(), alloc, webTask(), "").SetNetworkStatus(tc.status).Build().Map()
			for k, v := range tc.want {
				must.Eq(t, v, env[k], must.Sprintf("variable %s", k))
			}
			for _, k := range tc.missing {
				_, ok := env[k]
				must.False(t, ok, must.Sprintf("unexpected variable %s", k))
			}
		})
	}
}

func TestBuild_GroupNetworkWithoutSharedPorts(t *testing.T) {
	// 0.10-style allocations carry only the group network: two variables per port.
	ar := &structs.AllocatedResources{Shared: structs.AllocatedSharedResources{
		Networks: structs.NetworkResources{{Mode: "bridge", IP: "10.0.2.15", ReservedPorts: []structs.Port{{Label: "metrics", Value: 9102, To: 9100}}}},
	}}
	env := NewBuilder(testNode(), testAlloc(&structs.TaskGroup{}, ar), webTask(), "").Build().Map()
	must.Eq(t, "9100", env["NOMAD_PORT_metrics"])
	must.Eq(t, "9102", env["NOMAD_HOST_PORT_metrics"])
}

func TestBuild_TaskLevelPorts(t *testing.T) {
	ar := &structs.AllocatedResources{Tasks: map[string]*structs.AllocatedTaskResources{
		"web": {CPUShares: 100, MemoryMB: 64, Networks: structs.NetworkResources{{IP: "10.0.2.15", DynamicPorts: []structs.Port{{Label: "http", Value: 25000}}}}},
		"db":  {Networks: structs.NetworkResources{{IP: "10.0.2.15", ReservedPorts: []structs.Port{{Label: "db", Value: 5432}}, DynamicPorts: []structs.Port{{Label: "admin-port", Value: 25001}}}}},
	}}
	tg := &structs.TaskGroup{Tasks: []*structs.Task{{Name: "web"}, {Name: "db"}}}
	env := NewBuilder(testNode(), testAlloc(tg, ar), webTask(), "").Build().Map()

	for k, v := range map[string]string{
		"NOMAD_IP_http":            "10.0.2.15",
		"NOMAD_HOST_PORT_http":     "25000",
		"NOMAD_ADDR_http":          "10.0.2.15:25000",
		"NOMAD_PORT_http":          "25000",
		"NOMAD_ADDR_db_db":         "10.0.2.15:5432",
		"NOMAD_IP_db_db":           "10.0.2.15",
		"NOMAD_PORT_db_db":         "5432",
		"NOMAD_ADDR_db_admin_port": "10.0.2.15:25001",
		"NOMAD_PORT_db_admin_port": "25001",
	} {
		must.Eq(t, v, env[k], must.Sprintf("variable %s", k))
	}
	for _, k := range []string{"NOMAD_PORT_web_http", "NOMAD_PORT_db", "NOMAD_HOST_PORT_db_db"} {
		_, ok := env[k]
		must.False(t, ok, must.Sprintf("unexpected variable %s", k))
	}
}

func connectService(name string, upstreams ...*structs.ConsulUpstream) *structs.Service {
	return &structs.Service{Name: name, PortLabel: "9001", Connect: &structs.ConsulConnect{
		SidecarService: &structs.ConsulSidecarService{Proxy: &structs.ConsulProxy{Upstreams: upstreams}},
	}}
}

func TestBuild_Upstreams(t *testing.T) {
	tg := &structs.TaskGroup{Services: []*structs.Service{
		connectService("dashboard", &structs.ConsulUpstream{DestinationName: "count-api", LocalBindPort: 8080, LocalBindAddress: "127.0.0.2"}),
		connectService("web", &structs.ConsulUpstream{DestinationName: "cache", LocalBindPort: 6379}),
		{Name: "plain", PortLabel: "http"},
	}}
	alloc := testAlloc(tg, nil)
	for _, task := range []*structs.Task{webTask(), {Name: "connect-proxy-dashboard", Kind: "connect-proxy:dashboard"}} {
		t.Run(task.Name, func(t *testing.T) {
			env := NewBuilder(testNode(), alloc, task, "").Build().Map()
			for k, v := range map[string]string{
				// local_bind_address is where Envoy listens: the variables carry it.
				"NOMAD_UPSTREAM_IP_count-api":   "127.0.0.2",
				"NOMAD_UPSTREAM_PORT_count-api": "8080",
				"NOMAD_UPSTREAM_ADDR_count-api": "127.0.0.2:8080",
				"NOMAD_UPSTREAM_IP_count_api":   "127.0.0.2",
				"NOMAD_UPSTREAM_PORT_count_api": "8080",
				"NOMAD_UPSTREAM_ADDR_count_api": "127.0.0.2:8080",
				// Without one, Envoy's default: loopback.
				"NOMAD_UPSTREAM_IP_cache":   "127.0.0.1",
				"NOMAD_UPSTREAM_ADDR_cache": "127.0.0.1:6379",
				"NOMAD_UPSTREAM_PORT_cache": "6379",
			} {
				must.Eq(t, v, env[k], must.Sprintf("variable %s", k))
			}
		})
	}
}

func TestBuild_Meta(t *testing.T) {
	tg := &structs.TaskGroup{Meta: map[string]string{"b": "group", "c": "group"}}
	alloc := testAlloc(tg, nil)
	alloc.Job.Meta = map[string]string{"a": "job", "b": "job"}
	task := webTask()
	task.Meta = map[string]string{"c": "task", "my-key": "dashed", "Mixed": "m"}
	env := NewBuilder(testNode(), alloc, task, "").Build().Map()
	for k, v := range map[string]string{
		"NOMAD_META_a": "job", "NOMAD_META_A": "job",
		"NOMAD_META_b": "group", "NOMAD_META_B": "group",
		"NOMAD_META_c": "task", "NOMAD_META_C": "task",
		"NOMAD_META_my_key": "dashed", "NOMAD_META_MY_KEY": "dashed",
		"NOMAD_META_Mixed": "m", "NOMAD_META_MIXED": "m",
	} {
		must.Eq(t, v, env[k], must.Sprintf("variable %s", k))
	}
	_, ok := env["NOMAD_META_my-key"]
	must.False(t, ok)
}

func TestBuild_Defaults(t *testing.T) {
	alloc := testAlloc(&structs.TaskGroup{}, nil)
	alloc.Namespace = ""
	alloc.Job.Namespace = ""
	env := NewBuilder(nil, alloc, &structs.Task{Name: "web"}, "").Build().Map()
	must.Eq(t, "eu", env["NOMAD_REGION"])
	must.Eq(t, "default", env["NOMAD_NAMESPACE"])
	must.Eq(t, "64", NewBuilder(nil, alloc, webTask(), "").Build().Map()["NOMAD_MEMORY_LIMIT"])
	for _, k := range []string{"NOMAD_DC", "NOMAD_ALLOC_DIR", "NOMAD_CPU_LIMIT"} {
		_, ok := env[k]
		must.False(t, ok, must.Sprintf("unexpected variable %s", k))
	}
}

func TestBuild_TaskEnvAndHostEnv(t *testing.T) {
	alloc := testAlloc(&structs.TaskGroup{}, &structs.AllocatedResources{Shared: structs.AllocatedSharedResources{
		Ports: structs.AllocatedPorts{{Label: "connect-proxy-api", Value: 21000, To: -1, HostIP: "10.0.2.15"}},
	}})
	task := webTask()
	task.Env = map[string]string{
		"LISTEN":          "${NOMAD_ADDR_connect_proxy_api}",
		"WHERE":           "${node.unique.name}/${attr.kernel.name}/${meta.rack}",
		"KEEP":            "${does.not.exist} and ${NOPE}",
		"NOMAD_PORT_x-y":  "1",
		"NOMAD_TASK_NAME": "overridden",
		"PATH":            "/opt/bin",
	}
	env := NewBuilder(testNode(), alloc, task, "").
		SetHostEnvvars(map[string]string{"PATH": "/usr/bin", "HOME": "/root", "NOMAD_ALLOC_ID": "host"}).
		Build().Map()
	must.Eq(t, "10.0.2.15:21000", env["LISTEN"])
	must.Eq(t, "client-1/linux/r1", env["WHERE"])
	must.Eq(t, "${does.not.exist} and ${NOPE}", env["KEEP"])
	must.Eq(t, "1", env["NOMAD_PORT_x_y"])
	must.Eq(t, "overridden", env["NOMAD_TASK_NAME"])
	must.Eq(t, "/opt/bin", env["PATH"])
	must.Eq(t, "/root", env["HOME"])
	must.Eq(t, allocID, env["NOMAD_ALLOC_ID"])
}

func TestTaskEnv_ReplaceEnv(t *testing.T) {
	alloc := testAlloc(&structs.TaskGroup{}, nil)
	task := webTask()
	task.Env = map[string]string{"GREETING": "hello"}
	env := NewBuilder(testNode(), alloc, task, "global").Build()
	cases := []struct{ in, want string }{
		{"plain", "plain"},
		{"${NOMAD_ALLOC_ID}", allocID},
		{"id=${NOMAD_SHORT_ALLOC_ID}-${NOMAD_ALLOC_INDEX}", "id=5d3d6b5e-2"},
		{"${node.unique.id}", "node-1111"},
		{"${node.unique.name}", "client-1"},
		{"${node.datacenter}", "dc2"},
		{"${node.region}", "global"},
		{"${node.class}", "linux-medium"},
		{"${attr.kernel.name}", "linux"},
		{"${attr.unique.network.ip-address}", "10.0.2.15"},
		{"${meta.connect.log_level}", "info"},
		{"${env.GREETING} ${GREETING}", "hello hello"},
		{"${env.NOMAD_TASK_NAME}", "web"},
		{"${attr.missing} ${meta.missing} ${env.MISSING} ${node.foo}", "${attr.missing} ${meta.missing} ${env.MISSING} ${node.foo}"},
		{"$NOMAD_ALLOC_ID ${ NOMAD_ALLOC_ID }", "$NOMAD_ALLOC_ID ${ NOMAD_ALLOC_ID }"},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			must.Eq(t, tc.want, env.ReplaceEnv(tc.in))
		})
	}
	must.Eq(t, []string{"-c", "client-1", "${x}"}, env.ParseAndReplace([]string{"-c", "${node.unique.name}", "${x}"}))
	must.Nil(t, env.ParseAndReplace(nil))
}

func TestTaskEnv_ReplaceConfig(t *testing.T) {
	env := NewBuilder(testNode(), testAlloc(&structs.TaskGroup{}, nil), webTask(), "").Build()
	in := map[string]any{
		"command": "${NOMAD_TASK_NAME}.sh",
		"args":    []any{"--dc", "${node.datacenter}", 3, true},
		"list":    []string{"${meta.rack}"},
		"nested":  map[string]any{"deep": []any{map[string]any{"x": "${NOMAD_JOB_NAME}"}}},
		"blocks":  []map[string]any{{"y": "${NOMAD_GROUP_NAME}"}},
		"labels":  map[string]string{"${NOMAD_TASK_NAME}": "${NOMAD_ALLOC_NAME}"},
		"port":    8080,
	}
	got := env.ReplaceConfig(in)
	must.Eq(t, map[string]any{
		"command": "web.sh",
		"args":    []any{"--dc", "dc2", 3, true},
		"list":    []string{"r1"},
		"nested":  map[string]any{"deep": []any{map[string]any{"x": "example"}}},
		"blocks":  []map[string]any{{"y": "api"}},
		"labels":  map[string]string{"${NOMAD_TASK_NAME}": "example.api[2]"},
		"port":    8080,
	}, got)
	// The input is not modified.
	must.Eq(t, "${NOMAD_TASK_NAME}.sh", in["command"])
	must.Eq(t, "${node.datacenter}", in["args"].([]any)[1])
}

func TestTaskEnv_List(t *testing.T) {
	task := &structs.Task{Name: "web", Env: map[string]string{"B": "2", "A": "1"}}
	got := NewBuilder(nil, nil, task, "").Build().List()
	must.Eq(t, []string{"A=1", "B=2", "NOMAD_TASK_NAME=web"}, got)
}

func TestCleanEnvVar(t *testing.T) {
	cases := []struct{ in, want string }{
		{"NOMAD_PORT_connect-proxy-api", "NOMAD_PORT_connect_proxy_api"},
		{"NOMAD_META_a.b", "NOMAD_META_a.b"},
		{"9abc", "_abc"},
		{"a9 b/c", "a9_b_c"},
		{"é", "__"},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			must.Eq(t, tc.want, CleanEnvVar(tc.in, '_'))
		})
	}
}
