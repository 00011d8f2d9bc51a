package nomad

import (
	"fmt"
	"regexp"
	"testing"
	"time"

	"github.com/netnomad/netnomad/nomad/structs"
	"github.com/netnomad/netnomad/scheduler"
	"github.com/shoenig/test/must"
)

// countdashJob is the Connect guide's countdash job as a user submits it (not
// canonicalized): group "api" runs count-api behind service "count-api" on
// 9001; group "dashboard" maps static 9002 and reaches count-api through an
// upstream bound on 8080.
func countdashJob() *structs.Job {
	return &structs.Job{
		ID:          "countdash",
		Datacenters: []string{"dc1"},
		TaskGroups: []*structs.TaskGroup{
			{
				Name:     "api",
				Count:    1,
				Networks: structs.NetworkResources{{Mode: structs.NetworkModeBridge}},
				Services: []*structs.Service{{
					Name:      "count-api",
					PortLabel: "9001",
					Connect:   &structs.ConsulConnect{SidecarService: &structs.ConsulSidecarService{}},
				}},
				Tasks: []*structs.Task{{
					Name:   "web",
					Driver: "docker",
					Config: map[string]any{"image": "hashicorpnomad/counter-api:v1"},
				}},
			},
			{
				Name:  "dashboard",
				Count: 1,
				Networks: structs.NetworkResources{{
					Mode:          structs.NetworkModeBridge,
					ReservedPorts: []structs.Port{{Label: "http", Value: 9002, To: 9002}},
				}},
				Services: []*structs.Service{{
					Name:      "count-dashboard",
					PortLabel: "9002",
					Connect: &structs.ConsulConnect{SidecarService: &structs.ConsulSidecarService{
						Proxy: &structs.ConsulProxy{Upstreams: []*structs.ConsulUpstream{{
							DestinationName: "count-api", LocalBindPort: 8080,
						}}},
					}},
				}},
				Tasks: []*structs.Task{{
					Name:   "dashboard",
					Driver: "docker",
					Env:    map[string]string{"COUNTING_SERVICE_URL": "http://${NOMAD_UPSTREAM_ADDR_count_api}"},
					Config: map[string]any{"image": "hashicorpnomad/counter-dashboard:v1"},
				}},
			},
		},
	}
}

// mutate runs canonicalize and the connect mutator, as admission does.
func mutate(t *testing.T, h jobConnectHook, job *structs.Job) *structs.Job {
	t.Helper()
	job.Canonicalize()
	out, warnings, err := h.Mutate(job)
	must.NoError(t, err)
	must.SliceEmpty(t, warnings)
	return out
}

// kinds maps task names to kinds.
func kinds(tg *structs.TaskGroup) map[string]string {
	out := map[string]string{}
	for _, task := range tg.Tasks {
		out[task.Name] = task.Kind
	}
	return out
}

func dynamicPort(t *testing.T, tg *structs.TaskGroup, label string) structs.Port {
	t.Helper()
	var found []structs.Port
	for _, p := range tg.Networks[0].DynamicPorts {
		if p.Label == label {
			found = append(found, p)
		}
	}
	must.Len(t, 1, found, must.Sprintf("dynamic port %q in group %q", label, tg.Name))
	return found[0]
}

// assertDefaultSidecar checks every field of an injected, canonicalized sidecar.
func assertDefaultSidecar(t *testing.T, tg *structs.TaskGroup, service string) {
	t.Helper()
	task := tg.LookupTask("connect-proxy-" + service)
	must.NotNil(t, task, must.Sprintf("sidecar of %q in group %q", service, tg.Name))
	must.Eq(t, "connect-proxy:"+service, task.Kind)
	must.Eq(t, "docker", task.Driver)
	must.Eq(t, map[string]any{
		"image": "${meta.connect.sidecar_image}",
		"args": []any{"-c", "${NOMAD_SECRETS_DIR}/envoy_bootstrap.json", "-l", "${meta.connect.log_level}",
			"--concurrency", "${meta.connect.proxy_concurrency}", "--disable-hot-restart"},
	}, task.Config)
	must.Eq(t, &structs.TaskLifecycleConfig{Hook: "prestart", Sidecar: true}, task.Lifecycle)
	must.Eq(t, 250, task.Resources.CPU)
	must.Eq(t, 128, task.Resources.MemoryMB)
	must.Eq(t, &structs.LogConfig{MaxFiles: 2, MaxFileSizeMB: 2}, task.LogConfig)
	must.Eq(t, 5*time.Second, task.ShutdownDelay)
	must.Eq(t, 5*time.Second, task.KillTimeout)
	must.Eq(t, tg.RestartPolicy, task.RestartPolicy)
	must.SliceEmpty(t, task.Services)
	must.False(t, task.Leader)
	must.Eq(t, []*structs.Constraint{
		{LTarget: "${attr.consul.version}", RTarget: ">= 1.8.0", Operand: "semver"},
		{LTarget: "${attr.consul.grpc}", RTarget: "0", Operand: ">"},
	}, task.Constraints)

	p := dynamicPort(t, tg, "connect-proxy-"+service)
	must.Eq(t, -1, p.To)
	must.Eq(t, "default", p.HostNetwork)
}

func TestConnectHook_Countdash(t *testing.T) {
	job := mutate(t, jobConnectHook{}, countdashJob())

	api, dash := job.LookupTaskGroup("api"), job.LookupTaskGroup("dashboard")
	must.Eq(t, map[string]string{"web": "", "connect-proxy-count-api": "connect-proxy:count-api"}, kinds(api))
	must.Eq(t, map[string]string{"dashboard": "", "connect-proxy-count-dashboard": "connect-proxy:count-dashboard"}, kinds(dash))
	assertDefaultSidecar(t, api, "count-api")
	assertDefaultSidecar(t, dash, "count-dashboard")
	// The user's ports are kept; the static one is not duplicated.
	must.Eq(t, []structs.Port{{Label: "http", Value: 9002, To: 9002, HostNetwork: "default"}}, dash.Networks[0].ReservedPorts)
	must.Len(t, 1, dash.Networks[0].DynamicPorts)
	// The sidecar port label stays implicit, as Nomad shows it in plans.
	must.Eq(t, "", dash.Services[0].Connect.SidecarService.Port)
	must.NoError(t, job.Validate())
	must.NoError(t, job.ValidateConnect())
}

func TestConnectHook_EverySidecarOfAGroup(t *testing.T) {
	job := countdashJob()
	api := job.TaskGroups[0]
	api.Services = append(api.Services, &structs.Service{
		Name:      "count-admin",
		PortLabel: "9003",
		Connect:   &structs.ConsulConnect{SidecarService: &structs.ConsulSidecarService{}},
	})
	job = mutate(t, jobConnectHook{}, job)

	api = job.LookupTaskGroup("api")
	must.Len(t, 3, api.Tasks)
	assertDefaultSidecar(t, api, "count-api")
	assertDefaultSidecar(t, api, "count-admin")
	must.Len(t, 2, api.Networks[0].DynamicPorts)
	// Each injection has its own config: changing one leaves the other alone.
	api.LookupTask("connect-proxy-count-api").Config["image"] = "changed"
	must.Eq(t, "${meta.connect.sidecar_image}", api.LookupTask("connect-proxy-count-admin").Config["image"])
}

func TestConnectHook_Idempotent(t *testing.T) {
	for _, tc := range []struct {
		name  string
		patch func(*structs.Job)
	}{
		{"countdash", func(*structs.Job) {}},
		{"name collision", func(j *structs.Job) {
			j.TaskGroups[0].Tasks[0].Name = "connect-proxy-count-api"
		}},
		{"sidecar_task", func(j *structs.Job) {
			j.TaskGroups[0].Services[0].Connect.SidecarTask = &structs.SidecarTask{
				Name: "envoy", Driver: "raw_exec", Config: map[string]any{"command": "envoy"}, Env: map[string]string{"A": "1"},
			}
		}},
		{"upstream without port", func(j *structs.Job) {
			j.TaskGroups[1].Services[0].Connect.SidecarService.Proxy.Upstreams[0].LocalBindPort = 0
		}},
		{"explicit sidecar port", func(j *structs.Job) {
			j.TaskGroups[0].Services[0].Connect.SidecarService.Port = "proxy"
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spec := countdashJob()
			tc.patch(spec)
			once := mutate(t, jobConnectHook{}, spec.Copy())
			// The same spec again, and the mutated job again.
			again := mutate(t, jobConnectHook{}, spec.Copy())
			twice := mutate(t, jobConnectHook{}, once.Copy())
			must.False(t, once.SpecChanged(again), must.Sprint("same spec, same job"))
			must.False(t, once.SpecChanged(twice), must.Sprint("mutating the stored job changes nothing"))
			for i, tg := range twice.TaskGroups {
				must.Eq(t, len(once.TaskGroups[i].Tasks), len(tg.Tasks))
				must.Eq(t, len(once.TaskGroups[i].Networks[0].Ports()), len(tg.Networks[0].Ports()))
			}
			must.NoError(t, twice.Validate())
			must.NoError(t, twice.ValidateConnect())
		})
	}
}

func TestConnectHook_NameCollisionGetsSuffix(t *testing.T) {
	job := countdashJob()
	job.TaskGroups[0].Tasks[0].Name = "connect-proxy-count-api"
	job = mutate(t, jobConnectHook{}, job)

	api := job.LookupTaskGroup("api")
	must.Len(t, 2, api.Tasks)
	must.Eq(t, "connect-proxy-count-api", api.Tasks[0].Name)
	must.Eq(t, "", api.Tasks[0].Kind)
	must.Eq(t, "docker", api.Tasks[0].Driver)
	must.Eq(t, "hashicorpnomad/counter-api:v1", api.Tasks[0].Config["image"])
	injected := api.Tasks[1]
	must.Eq(t, "connect-proxy:count-api", injected.Kind)
	must.RegexMatch(t, regexp.MustCompile(`^connect-proxy-count-api-[0-9a-f]{6}$`), injected.Name)
	// The port keeps the service's label.
	must.Eq(t, -1, dynamicPort(t, api, "connect-proxy-count-api").To)
	must.NoError(t, job.Validate())
}

func TestConnectHook_UserSidecarTask(t *testing.T) {
	user := func() *structs.Task {
		return &structs.Task{
			Name: "my-envoy", Kind: "connect-proxy:count-api", Driver: "raw_exec",
			Config: map[string]any{"command": "/usr/bin/envoy"},
		}
	}
	t.Run("replaces the injection", func(t *testing.T) {
		job := countdashJob()
		job.TaskGroups[0].Tasks = append(job.TaskGroups[0].Tasks, user())
		job = mutate(t, jobConnectHook{}, job)
		api := job.LookupTaskGroup("api")
		must.Eq(t, map[string]string{"web": "", "my-envoy": "connect-proxy:count-api"}, kinds(api))
		must.Eq(t, map[string]any{"command": "/usr/bin/envoy"}, api.LookupTask("my-envoy").Config)
		must.Eq(t, -1, dynamicPort(t, api, "connect-proxy-count-api").To)
		must.NoError(t, job.Validate())
	})

	s := testServer(t, nil)
	for _, tc := range []struct {
		name  string
		patch func(*structs.Task)
		want  string
	}{
		{"with a service", func(task *structs.Task) {
			task.Services = []*structs.Service{{Name: "envoy", PortLabel: "9001"}}
		}, "Connect proxy task must not have a service stanza"},
		{"leader", func(task *structs.Task) { task.Leader = true }, "Connect proxy task must not have leader set"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			job := countdashJob()
			task := user()
			tc.patch(task)
			job.TaskGroups[0].Tasks = append(job.TaskGroups[0].Tasks, task)
			_, err := s.JobValidate(job)
			assertCode(t, err, 400)
			must.StrContains(t, err.Error(), tc.want)
		})
	}
}

func TestConnectHook_SidecarTaskMerge(t *testing.T) {
	ptr := func(d time.Duration) *time.Duration { return &d }
	for _, tc := range []struct {
		name  string
		st    *structs.SidecarTask
		check func(t *testing.T, task *structs.Task)
	}{
		{"same driver merges config keys", &structs.SidecarTask{
			Driver: "docker", Config: map[string]any{"image": "envoy:custom", "labels": map[string]any{"a": "b"}},
		}, func(t *testing.T, task *structs.Task) {
			must.Eq(t, "docker", task.Driver)
			must.Eq(t, "envoy:custom", task.Config["image"])
			must.Eq[any](t, map[string]any{"a": "b"}, task.Config["labels"])
			must.Len(t, 7, task.Config["args"].([]any))
		}},
		{"no driver merges config keys", &structs.SidecarTask{Config: map[string]any{"image": "envoy:custom"}},
			func(t *testing.T, task *structs.Task) {
				must.Eq(t, "envoy:custom", task.Config["image"])
				must.MapContainsKey(t, task.Config, "args")
			}},
		{"other driver replaces config", &structs.SidecarTask{
			Driver: "raw_exec", Config: map[string]any{"command": "/usr/local/bin/envoy"},
		}, func(t *testing.T, task *structs.Task) {
			must.Eq(t, "raw_exec", task.Driver)
			must.Eq(t, map[string]any{"command": "/usr/local/bin/envoy"}, task.Config)
		}},
		{"scalars", &structs.SidecarTask{
			Name: "proxy", User: "envoy", KillSignal: "SIGINT",
			KillTimeout: ptr(9 * time.Second), ShutdownDelay: ptr(0),
		}, func(t *testing.T, task *structs.Task) {
			must.Eq(t, "proxy", task.Name)
			must.Eq(t, "connect-proxy:count-api", task.Kind)
			must.Eq(t, "envoy", task.User)
			must.Eq(t, "SIGINT", task.KillSignal)
			must.Eq(t, 9*time.Second, task.KillTimeout)
			must.Eq(t, time.Duration(0), task.ShutdownDelay)
		}},
		{"env and meta", &structs.SidecarTask{
			Env: map[string]string{"LOG": "debug"}, Meta: map[string]string{"team": "mesh"},
		}, func(t *testing.T, task *structs.Task) {
			must.Eq(t, map[string]string{"LOG": "debug"}, task.Env)
			must.Eq(t, map[string]string{"team": "mesh"}, task.Meta)
		}},
		{"resources field by field", &structs.SidecarTask{Resources: &structs.Resources{MemoryMB: 64}},
			func(t *testing.T, task *structs.Task) {
				must.Eq(t, 250, task.Resources.CPU)
				must.Eq(t, 64, task.Resources.MemoryMB)
			}},
		{"logs field by field", &structs.SidecarTask{LogConfig: &structs.LogConfig{MaxFiles: 5}},
			func(t *testing.T, task *structs.Task) {
				must.Eq(t, &structs.LogConfig{MaxFiles: 5, MaxFileSizeMB: 2}, task.LogConfig)
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			job := countdashJob()
			job.TaskGroups[0].Services[0].Connect.SidecarTask = tc.st
			job = mutate(t, jobConnectHook{}, job)
			api := job.LookupTaskGroup("api")
			must.Len(t, 2, api.Tasks)
			tc.check(t, api.Tasks[1])
			if tc.st.Resources == nil {
				// structs' validation wants a full sidecar_task resources block
				// (CPU >= 1, MemoryMB >= 10) although the merge takes it field by field.
				must.NoError(t, job.Validate())
			}

			// The merge leaks neither into the sidecar_task nor into the next
			// injection (Nomad GH-8337).
			api.Tasks[1].Config["image"] = "mutated"
			must.NotEq(t, "mutated", tc.st.Config["image"])
			next := mutate(t, jobConnectHook{}, countdashJob())
			assertDefaultSidecar(t, next.LookupTaskGroup("api"), "count-api")
		})
	}
}

func TestConnectHook_UpstreamPortChosen(t *testing.T) {
	job := countdashJob()
	dash := job.TaskGroups[1]
	proxy := dash.Services[0].Connect.SidecarService.Proxy
	proxy.Upstreams = []*structs.ConsulUpstream{
		{DestinationName: "count-api"},
		{DestinationName: "count-db", LocalBindPort: 5432},
		{DestinationName: "count-cache"},
	}
	job = mutate(t, jobConnectHook{}, job)

	ups := job.LookupTaskGroup("dashboard").Services[0].Connect.SidecarService.Proxy.Upstreams
	for _, u := range ups {
		must.Between(t, 1, u.LocalBindPort, 65535)
	}
	must.Eq(t, 5432, ups[1].LocalBindPort)
	must.Between(t, upstreamPortMin, ups[0].LocalBindPort, upstreamPortMin+upstreamPortCount-1)
	must.Between(t, upstreamPortMin, ups[2].LocalBindPort, upstreamPortMin+upstreamPortCount-1)
	must.NotEq(t, ups[0].LocalBindPort, ups[2].LocalBindPort)

	// The same spec gets the same ports.
	again := countdashJob()
	again.TaskGroups[1].Services[0].Connect.SidecarService.Proxy.Upstreams = []*structs.ConsulUpstream{
		{DestinationName: "count-api"}, {DestinationName: "count-db", LocalBindPort: 5432}, {DestinationName: "count-cache"},
	}
	again = mutate(t, jobConnectHook{}, again)
	must.False(t, job.SpecChanged(again))
	must.NoError(t, job.ValidateConnect())
	must.NoError(t, job.Validate())
}

func TestConnectHook_UpstreamPortSkipsUsedPorts(t *testing.T) {
	// The port count-api would get on its own.
	alone := countdashJob()
	alone.TaskGroups[1].Services[0].Connect.SidecarService.Proxy.Upstreams[0].LocalBindPort = 0
	alone = mutate(t, jobConnectHook{}, alone)
	preferred := alone.TaskGroups[1].Services[0].Connect.SidecarService.Proxy.Upstreams[0].LocalBindPort

	for _, tc := range []struct {
		name  string
		patch func(*structs.TaskGroup)
	}{
		{"another upstream", func(tg *structs.TaskGroup) {
			p := tg.Services[0].Connect.SidecarService.Proxy
			p.Upstreams = append(p.Upstreams, &structs.ConsulUpstream{DestinationName: "other", LocalBindPort: preferred})
		}},
		{"a group port", func(tg *structs.TaskGroup) {
			tg.Networks[0].DynamicPorts = append(tg.Networks[0].DynamicPorts, structs.Port{Label: "admin", To: preferred})
		}},
		{"the local service port", func(tg *structs.TaskGroup) {
			tg.Services[0].Connect.SidecarService.Proxy.LocalServicePort = preferred
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			job := countdashJob()
			dash := job.TaskGroups[1]
			dash.Services[0].Connect.SidecarService.Proxy.Upstreams[0].LocalBindPort = 0
			tc.patch(dash)
			job = mutate(t, jobConnectHook{}, job)
			got := job.TaskGroups[1].Services[0].Connect.SidecarService.Proxy.Upstreams[0].LocalBindPort
			must.Positive(t, got)
			must.NotEq(t, preferred, got)
			must.NoError(t, job.ValidateConnect())
		})
	}
}

func TestConnectHook_Native(t *testing.T) {
	job := countdashJob()
	job.TaskGroups[0].Services[0].Connect = &structs.ConsulConnect{Native: true}
	job.TaskGroups[0].Networks = nil
	job = mutate(t, jobConnectHook{}, job)
	api := job.LookupTaskGroup("api")
	must.Eq(t, map[string]string{"web": "connect-native:count-api"}, kinds(api))
	must.NoError(t, job.Validate())
}

func TestConnectHook_InterpolatesServiceName(t *testing.T) {
	job := countdashJob()
	job.TaskGroups[0].Services[0].Name = "${NOMAD_JOB_NAME}-${NOMAD_TASKGROUP_NAME}"
	job = mutate(t, jobConnectHook{}, job)
	api := job.LookupTaskGroup("api")
	must.Eq(t, "countdash-api", api.Services[0].Name)
	assertDefaultSidecar(t, api, "countdash-api")

	job = countdashJob()
	job.TaskGroups[0].Services[0].Name = "api-${NOMAD_ALLOC_ID}"
	job = mutate(t, jobConnectHook{}, job)
	err := job.ValidateConnect()
	must.ErrorContains(t, err, `group "api" -> service "api-${NOMAD_ALLOC_ID}": Consul Connect service name "api-${NOMAD_ALLOC_ID}" in group "api" must be a valid DNS label`)
}

func TestConnectHook_ConsulConstraints(t *testing.T) {
	job := mutate(t, jobConnectHook{}, countdashJob())
	task := job.LookupTaskGroup("api").LookupTask("connect-proxy-count-api")
	must.Eq(t, []*structs.Constraint{
		{LTarget: "${attr.consul.version}", RTarget: ">= 1.8.0", Operand: "semver"},
		{LTarget: "${attr.consul.grpc}", RTarget: "0", Operand: ">"},
	}, task.Constraints)
	// The web task is not constrained.
	must.SliceEmpty(t, job.LookupTaskGroup("api").LookupTask("web").Constraints)
}

func TestConnectHook_OperatorSidecarDriver(t *testing.T) {
	config := map[string]any{"command": "/usr/local/bin/envoy", "args": []any{"-c", "${NOMAD_SECRETS_DIR}/envoy_bootstrap.json"}}
	h := jobConnectHook{sidecarDriver: "raw_exec", sidecarConfig: config}
	job := mutate(t, h, countdashJob())
	for _, tg := range job.TaskGroups {
		task := tg.Tasks[1]
		must.Eq(t, "raw_exec", task.Driver)
		must.Eq(t, config, task.Config)
		must.Eq(t, 250, task.Resources.CPU)
	}
	// Injections do not share the operator's config.
	job.TaskGroups[0].Tasks[1].Config["command"] = "changed"
	must.Eq[any](t, "/usr/local/bin/envoy", job.TaskGroups[1].Tasks[1].Config["command"])
	must.Eq[any](t, "/usr/local/bin/envoy", config["command"])
}

func TestConnectHook_Refused(t *testing.T) {
	s := testServer(t, nil)
	for _, tc := range []struct {
		name  string
		patch func(*structs.Job)
		want  []string
	}{
		{"host network", func(j *structs.Job) {
			j.TaskGroups[0].Networks[0].Mode = "host"
		}, []string{`group "api": connect sidecar: invalid network mode for Consul Connect: group "api" uses network mode "host"; must be "bridge" or "cni/*"`}},
		{"default network mode", func(j *structs.Job) {
			j.TaskGroups[0].Networks[0].Mode = ""
		}, []string{`group "api" uses network mode "host"; must be "bridge" or "cni/*"`}},
		{"no network", func(j *structs.Job) {
			j.TaskGroups[0].Networks = nil
		}, []string{`group "api": connect sidecar: must have exactly one network for Consul Connect: group "api" has 0 networks`}},
		{"same upstream bind", func(j *structs.Job) {
			dash := j.TaskGroups[1]
			dash.Services = append(dash.Services, &structs.Service{
				Name: "count-admin", PortLabel: "9003",
				Connect: &structs.ConsulConnect{SidecarService: &structs.ConsulSidecarService{
					Proxy: &structs.ConsulProxy{Upstreams: []*structs.ConsulUpstream{{DestinationName: "count-db", LocalBindPort: 8080}}},
				}},
			})
		}, []string{`group "dashboard": Consul Connect services "count-dashboard" and "count-admin" in group "dashboard" using same address for upstreams (:8080)`}},
		{"upper-case service", func(j *structs.Job) {
			j.TaskGroups[0].Services[0].Name = "Count-API"
		}, []string{`Consul Connect service name "Count-API" in group "api" must not contain uppercase characters`}},
		{"native without a task", func(j *structs.Job) {
			j.TaskGroups[0].Services[0].Connect = &structs.ConsulConnect{Native: true}
			j.TaskGroups[0].Services[0].TaskName = "missing"
		}, []string{`task missing named by Consul Connect Native service api->count-api does not exist`}},
		{"native ambiguous", func(j *structs.Job) {
			j.TaskGroups[0].Services[0].Connect = &structs.ConsulConnect{Native: true}
			j.TaskGroups[0].Tasks = append(j.TaskGroups[0].Tasks, &structs.Task{Name: "other", Driver: "docker"})
		}, []string{`task for Consul Connect Native service api->count-api is ambiguous and must be set`}},
		{"upstream without destination", func(j *structs.Job) {
			j.TaskGroups[1].Services[0].Connect.SidecarService.Proxy.Upstreams[0].DestinationName = ""
		}, []string{`group "dashboard" -> service "count-dashboard": Consul Connect upstream 1 of service "count-dashboard" must set destination_name`}},
		{"every error at once", func(j *structs.Job) {
			j.TaskGroups[0].Networks[0].Mode = "host"
			j.TaskGroups[0].Services[0].Name = "Count-API"
			dash := j.TaskGroups[1]
			dash.Networks = nil
			dash.Services[0].Connect.SidecarService.Proxy.Upstreams[0].DestinationName = ""
			dash.Services = append(dash.Services, &structs.Service{
				Name: "count-admin", PortLabel: "9003",
				Connect: &structs.ConsulConnect{SidecarService: &structs.ConsulSidecarService{
					Proxy: &structs.ConsulProxy{Upstreams: []*structs.ConsulUpstream{{DestinationName: "count-db", LocalBindPort: 8080}}},
				}},
			})
		}, []string{
			"5 errors occurred",
			`group "api" uses network mode "host"`,
			`Consul Connect service name "Count-API" in group "api" must not contain uppercase characters`,
			`group "dashboard" has 0 networks`,
			`using same address for upstreams (:8080)`,
			`Consul Connect upstream 1 of service "count-dashboard" must set destination_name`,
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, call := range []struct {
				name string
				run  func(*structs.Job) error
			}{
				{"register", func(j *structs.Job) error { _, err := s.JobRegister(&JobRegisterRequest{Job: j}); return err }},
				{"plan", func(j *structs.Job) error { _, err := s.JobPlan(&JobPlanRequest{Job: j}); return err }},
				{"validate", func(j *structs.Job) error { _, err := s.JobValidate(j); return err }},
			} {
				job := countdashJob()
				tc.patch(job)
				err := call.run(job)
				assertCode(t, err, 400)
				for _, want := range tc.want {
					must.StrContains(t, err.Error(), want, must.Sprint(call.name))
				}
			}
		})
	}
	jobs, _ := s.State().Jobs(nil, "*", "")
	must.Len(t, 0, jobs)
}

func TestJobRegister_ConnectStoredAndIdempotent(t *testing.T) {
	s := testServer(t, nil)
	spec := countdashJob()
	spec.TaskGroups[1].Services[0].Connect.SidecarService.Proxy.Upstreams[0].LocalBindPort = 0

	first, err := s.JobRegister(&JobRegisterRequest{Job: spec})
	must.NoError(t, err)
	must.Eq(t, "", first.Warnings)
	stored, err := s.State().JobByID(nil, "default", "countdash")
	must.NoError(t, err)
	assertDefaultSidecar(t, stored.LookupTaskGroup("api"), "count-api")
	assertDefaultSidecar(t, stored.LookupTaskGroup("dashboard"), "count-dashboard")
	port := stored.LookupTaskGroup("dashboard").Services[0].Connect.SidecarService.Proxy.Upstreams[0].LocalBindPort
	must.Positive(t, port)
	// The caller's job is left alone.
	must.Len(t, 1, spec.TaskGroups[0].Tasks)
	must.Eq(t, 0, spec.TaskGroups[1].Services[0].Connect.SidecarService.Proxy.Upstreams[0].LocalBindPort)

	for _, tc := range []struct {
		name string
		job  func() *structs.Job
	}{
		{"stored job", stored.Copy},
		{"same spec", spec.Copy},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := s.JobRegister(&JobRegisterRequest{Job: tc.job()})
			must.NoError(t, err)
			must.Eq(t, first.JobModifyIndex, resp.JobModifyIndex)
			now, err := s.State().JobByID(nil, "default", "countdash")
			must.NoError(t, err)
			must.Eq(t, stored.Version, now.Version)
			must.Eq(t, stored.JobModifyIndex, now.JobModifyIndex)
			must.False(t, stored.SpecChanged(now))
			for i, tg := range now.TaskGroups {
				must.Len(t, 2, tg.Tasks)
				must.Eq(t, len(stored.TaskGroups[i].Networks[0].Ports()), len(tg.Networks[0].Ports()))
			}
			must.Eq(t, port, now.LookupTaskGroup("dashboard").Services[0].Connect.SidecarService.Proxy.Upstreams[0].LocalBindPort)
		})
	}
}

func TestJobPlan_ConnectDiff(t *testing.T) {
	s := testServer(t, nil)

	resp, err := s.JobPlan(&JobPlanRequest{Job: countdashJob(), Diff: true})
	must.NoError(t, err)
	must.NotNil(t, resp.Diff)
	must.Eq(t, structs.DiffTypeAdded, resp.Diff.Type)
	want := map[string][]string{"api": {"connect-proxy-count-api", "web"}, "dashboard": {"connect-proxy-count-dashboard", "dashboard"}}
	must.Len(t, 2, resp.Diff.TaskGroups)
	for _, tg := range resp.Diff.TaskGroups {
		must.Eq(t, structs.DiffTypeAdded, tg.Type)
		var names []string
		for _, task := range tg.Tasks {
			names = append(names, task.Name)
			must.Eq(t, structs.DiffTypeAdded, task.Type)
			must.Eq(t, []string{scheduler.AnnotationForcesCreate}, task.Annotations)
		}
		must.Eq(t, want[tg.Name], names)
	}
	sidecar := resp.Diff.TaskGroups[0].Tasks[0]
	fields := map[string]string{}
	for _, f := range sidecar.Fields {
		fields[f.Name] = f.New
	}
	must.Eq(t, "connect-proxy:count-api", fields["Kind"])
	must.Eq(t, "docker", fields["Driver"])

	// `-verbose` expands the injected port inside the group's network.
	var port map[string]string
	for _, obj := range resp.Diff.TaskGroups[0].Objects {
		if obj.Name != "Network" {
			continue
		}
		for _, child := range obj.Objects {
			if child.Name == "Dynamic Port" && child.Type == structs.DiffTypeAdded {
				port = map[string]string{}
				for _, f := range child.Fields {
					port[f.Name] = f.New
				}
			}
		}
	}
	must.Eq(t, "connect-proxy-count-api", port["Label"])
	must.Eq(t, "-1", port["To"])

	// Once registered, planning the same spec (or the stored job) changes nothing.
	_, err = s.JobRegister(&JobRegisterRequest{Job: countdashJob()})
	must.NoError(t, err)
	stored, err := s.State().JobByID(nil, "default", "countdash")
	must.NoError(t, err)
	for _, job := range []*structs.Job{countdashJob(), stored.Copy()} {
		resp, err := s.JobPlan(&JobPlanRequest{Job: job, Diff: true})
		must.NoError(t, err)
		must.Eq(t, structs.DiffTypeNone, resp.Diff.Type)
		for _, tg := range resp.Diff.TaskGroups {
			must.Eq(t, structs.DiffTypeNone, tg.Type)
			for _, task := range tg.Tasks {
				must.Eq(t, structs.DiffTypeNone, task.Type)
			}
		}
	}
}

// TestJobRegister_ConnectRealScheduler places countdash with the real scheduler:
// every sidecar is allocated and its `to = -1` port maps the host port to the
// same port in the namespace; planning the same spec afterwards places nothing.
func TestJobRegister_ConnectRealScheduler(t *testing.T) {
	s, err := NewServer(&Config{Logger: testLogger(t), NumSchedulers: 1})
	must.NoError(t, err)
	t.Cleanup(s.Shutdown)

	node := connectNode("1.21.4", "8502")
	_, err = s.NodeRegister(node)
	must.NoError(t, err)

	resp, err := s.JobRegister(&JobRegisterRequest{Job: countdashJob()})
	must.NoError(t, err)
	waitFor(t, func() error {
		eval, _ := s.State().EvalByID(nil, resp.EvalID)
		if eval == nil || eval.Status != structs.EvalStatusComplete {
			return fmt.Errorf("eval not complete: %+v", eval)
		}
		return nil
	})
	allocs, err := s.State().AllocsByJob(nil, "default", "countdash")
	must.NoError(t, err)
	must.Len(t, 2, allocs)
	for _, a := range allocs {
		service := map[string]string{"api": "count-api", "dashboard": "count-dashboard"}[a.TaskGroup]
		sidecar := "connect-proxy-" + service
		must.MapContainsKey(t, a.AllocatedResources.Tasks, sidecar)
		must.Eq(t, int64(250), a.AllocatedResources.Tasks[sidecar].CPUShares)
		must.Eq(t, int64(128), a.AllocatedResources.Tasks[sidecar].MemoryMB)
		port, ok := a.AllocatedResources.Shared.Ports.Get(sidecar)
		must.True(t, ok, must.Sprintf("alloc %s has no port %q", a.Name, sidecar))
		must.Between(t, structs.DefaultMinDynamicPort, port.Value, structs.DefaultMaxDynamicPort)
		must.Eq(t, port.Value, port.To)
	}

	plan, err := s.JobPlan(&JobPlanRequest{Job: countdashJob(), Diff: true})
	must.NoError(t, err)
	must.Eq(t, structs.DiffTypeNone, plan.Diff.Type)
	for _, tg := range []string{"api", "dashboard"} {
		u := plan.Annotations.DesiredTGUpdates[tg]
		must.NotNil(t, u)
		must.Eq(t, uint64(0), u.Place)
		must.Eq(t, uint64(1), u.Ignore)
	}
}
