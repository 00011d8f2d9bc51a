package agent

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/hashicorp/nomad/api"
	"github.com/netnomad/netnomad/nomad/mock"
	"github.com/netnomad/netnomad/nomad/structs"
	"github.com/shoenig/test/must"
)

// unmodelledJobFields lists, per api type, the fields the internal model does not
// carry. Everything else must be set in fullApiJob and survive the round trip; a
// field added to nomad/api fails TestConvert_FixtureIsComplete until it is either
// converted or listed here.
var unmodelledJobFields = map[string][]string{
	"Job": {"NodePool", "Affinities", "Update", "Multiregion", "Spreads", "Periodic", "ParameterizedJob",
		"Migrate", "UI", "ParentID", "Dispatched", "DispatchIdempotencyToken", "Payload",
		"ConsulNamespace", "VaultNamespace", "NomadTokenID", "VersionTag"},
	"TaskGroup": {"Affinities", "Spreads", "Volumes", "Disconnect", "EphemeralDisk",
		"Update", "Migrate", "MaxRunDuration", "StopAfterClientDisconnect", "MaxClientDisconnect", "Scaling",
		"Consul", "PreventRescheduleOnLost"},
	"Task": {"Affinities", "Artifacts", "Vault", "Consul", "Templates", "DispatchPayload", "VolumeMounts",
		"CSIPluginConfig", "ScalingPolicies", "Secrets", "Identity", "Identities", "Actions", "Schedule"},
	"RestartPolicy":   {"RenderTemplates"},
	"Resources":       {"Cores", "MemoryMaxMB", "Devices", "NUMA", "SecretsMB", "IOPS"},
	"LogConfig":       {"Enabled", "Disabled"},
	"NetworkResource": {"DNS", "Hostname", "CNI"},
	"Port":            {"IgnoreCollision"},
	"Service":         {"Address", "TaggedAddresses", "OnUpdate", "Identity", "Weights", "Provider", "Cluster", "Kind"},
	"ServiceCheck": {"Advertise", "Notes", "TLSServerName", "TLSSkipVerify", "GRPCService", "GRPCUseTLS",
		"SuccessBeforePassing", "FailuresBeforeCritical", "FailuresBeforeWarning", "Body", "OnUpdate"},
	"ConsulProxy": {"TransparentProxy",
		"ExposeConfig"}, // deprecated alias of Expose: read on the way in, written as Expose
	"ConsulExposeConfig": {"Path"}, // deprecated alias of Paths, same
	"ConsulUpstream": {"DestinationNamespace", "DestinationPeer", "DestinationPartition", "DestinationType",
		"LocalBindSocketPath", "LocalBindSocketMode", "MeshGateway", "Config"},
	"SidecarTask": {"VolumeMounts", "Identities"},
	// Only the gateway's kind and proxy block are kept; the kind is tested with Mesh
	// (empty by definition), the others' contents are dropped.
	"ConsulGateway": {"Ingress", "Terminating"},
}

// opaqueTypes are kept as a whole (as a map) and not walked field by field.
var opaqueTypes = map[string]bool{"ConsulGatewayProxy": true, "ConsulMeshConfigEntry": true}

// fullApiJob is a job with every modelled field set to a distinct non-zero value.
func fullApiJob() *api.Job {
	p := func(s string) *string { return &s }
	d := func(x time.Duration) *time.Duration { return &x }
	i := func(x int) *int { return &x }
	b := func(x bool) *bool { return &x }
	u := func(x uint64) *uint64 { return &x }
	resources := func(cpu int) *api.Resources {
		return &api.Resources{CPU: i(cpu), MemoryMB: i(cpu + 1), DiskMB: i(cpu + 2), Networks: []*api.NetworkResource{{
			Mode: "host", Device: "eth9", CIDR: "10.9.0.0/16", IP: "10.9.0.9", MBits: i(cpu + 3),
			ReservedPorts: []api.Port{{Label: "adm", Value: cpu + 4, To: cpu + 5, HostNetwork: "private"}},
			DynamicPorts:  []api.Port{{Label: "dyn", Value: cpu + 6, To: cpu + 7, HostNetwork: "public"}},
		}}}
	}
	check := func(name string) api.ServiceCheck {
		return api.ServiceCheck{
			Name: name, Type: "http", Command: "/bin/check", Args: []string{"-v"}, Path: "/health", Protocol: "https",
			PortLabel: "http", Expose: true, AddressMode: "driver", Interval: 11 * time.Second, Timeout: 3 * time.Second,
			InitialStatus: "passing", Method: "POST", Header: map[string][]string{"X-A": {"1", "2"}}, TaskName: "web",
			CheckRestart: &api.CheckRestart{Limit: 4, Grace: d(7 * time.Second), IgnoreWarnings: true},
		}
	}
	service := func(name string) *api.Service {
		return &api.Service{
			Name: name, Tags: []string{"a", "b"}, CanaryTags: []string{"c"}, EnableTagOverride: true,
			PortLabel: "http", AddressMode: "alloc", Checks: []api.ServiceCheck{check(name + "-check")},
			CheckRestart: &api.CheckRestart{Limit: 2, Grace: d(9 * time.Second), IgnoreWarnings: true},
			Connect: &api.ConsulConnect{
				Native: true,
				Gateway: &api.ConsulGateway{
					Proxy: &api.ConsulGatewayProxy{ConnectTimeout: d(5 * time.Second), EnvoyDNSDiscoveryType: "STRICT_DNS"},
					Mesh:  &api.ConsulMeshConfigEntry{},
				},
				SidecarService: &api.ConsulSidecarService{
					Tags: []string{"side"}, Port: "connect-proxy-" + name, DisableDefaultTCPCheck: true,
					Meta: map[string]string{"sm": "1"},
					Proxy: &api.ConsulProxy{
						LocalServiceAddress: "127.0.0.2", LocalServicePort: 9191,
						Expose: &api.ConsulExposeConfig{Paths: []*api.ConsulExposePath{{
							Path: "/metrics", Protocol: "http", LocalPathPort: 9102, ListenerPort: "expose",
						}}},
						Upstreams: []*api.ConsulUpstream{{
							DestinationName: "db", LocalBindPort: 5432, Datacenter: "dc2", LocalBindAddress: "127.0.0.3",
						}},
						Config: map[string]any{"protocol": "http"},
					},
				},
				SidecarTask: &api.SidecarTask{
					Name: "proxy", Driver: "docker", User: "envoy", Config: map[string]any{"image": "envoy"},
					Env: map[string]string{"E": "1"}, Resources: resources(300), Meta: map[string]string{"st": "1"},
					KillTimeout: d(8 * time.Second), LogConfig: &api.LogConfig{MaxFiles: i(3), MaxFileSizeMB: i(4)},
					ShutdownDelay: d(6 * time.Second), KillSignal: "SIGQUIT",
				},
			},
			Meta: map[string]string{"m": "1"}, CanaryMeta: map[string]string{"cm": "2"}, TaskName: "web",
		}
	}
	return &api.Job{
		Region: p("eu"), Namespace: p("prod"), ID: p("full"), Name: p("full-name"), Type: p("batch"),
		Priority: i(70), AllAtOnce: b(true), Datacenters: []string{"dc1", "dc2"},
		Constraints: []*api.Constraint{{LTarget: "${attr.kernel.name}", RTarget: "linux", Operand: "="}},
		Meta:        map[string]string{"job": "meta"},
		Stop:        b(true), Status: p("running"), StatusDescription: p("fine"), Stable: b(true),
		Version: u(3), SubmitTime: func() *int64 { x := int64(12345); return &x }(),
		CreateIndex: u(10), ModifyIndex: u(11), JobModifyIndex: u(12),
		Reschedule: &api.ReschedulePolicy{Attempts: i(2), Interval: d(2 * time.Hour), Delay: d(11 * time.Second),
			DelayFunction: p("fibonacci"), MaxDelay: d(5 * time.Minute), Unlimited: b(true)},
		TaskGroups: []*api.TaskGroup{{
			Name: p("api"), Count: i(3),
			Constraints:   []*api.Constraint{{LTarget: "${meta.rack}", RTarget: "r1", Operand: "!="}},
			RestartPolicy: &api.RestartPolicy{Interval: d(31 * time.Minute), Attempts: i(4), Delay: d(16 * time.Second), Mode: p("delay")},
			ReschedulePolicy: &api.ReschedulePolicy{Attempts: i(3), Interval: d(3 * time.Hour), Delay: d(12 * time.Second),
				DelayFunction: p("exponential"), MaxDelay: d(6 * time.Minute), Unlimited: b(true)},
			Networks: []*api.NetworkResource{{
				Mode: "bridge", Device: "eth0", CIDR: "10.0.0.0/8", IP: "10.0.0.1", MBits: i(20),
				ReservedPorts: []api.Port{{Label: "http", Value: 8080, To: 80, HostNetwork: "default"}},
				DynamicPorts:  []api.Port{{Label: "connect-proxy-api", Value: 21000, To: -1, HostNetwork: "default"}},
			}},
			Meta:          map[string]string{"group": "meta"},
			Services:      []*api.Service{service("api")},
			ShutdownDelay: d(4 * time.Second),
			Tasks: []*api.Task{{
				Name: "web", Driver: "raw_exec", User: "nobody",
				Lifecycle:     &api.TaskLifecycle{Hook: "prestart", Sidecar: true},
				Config:        map[string]any{"command": "/bin/sleep", "args": []any{"10"}},
				Constraints:   []*api.Constraint{{LTarget: "${attr.arch}", RTarget: "amd64", Operand: "="}},
				Env:           map[string]string{"FOO": "bar"},
				Services:      []*api.Service{service("web")},
				Resources:     resources(500),
				RestartPolicy: &api.RestartPolicy{Interval: d(32 * time.Minute), Attempts: i(5), Delay: d(17 * time.Second), Mode: p("fail")},
				Meta:          map[string]string{"task": "meta"},
				KillTimeout:   d(12 * time.Second),
				LogConfig:     &api.LogConfig{MaxFiles: i(5), MaxFileSizeMB: i(6)},
				Leader:        true,
				ShutdownDelay: 2 * time.Second,
				KillSignal:    "SIGTERM",
				Kind:          "connect-native:web",
			}},
		}},
	}
}

// walkUnset reports every field of an api struct reachable from v that is zero and
// not listed as unmodelled.
func walkUnset(v reflect.Value, path string, out *[]string) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			walkUnset(v.Elem(), path, out)
		}
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			walkUnset(v.Index(i), path+"[]", out)
		}
	case reflect.Map:
		for _, k := range v.MapKeys() {
			walkUnset(v.MapIndex(k), path+"[]", out)
		}
	case reflect.Struct:
		t := v.Type()
		if t.PkgPath() != "github.com/hashicorp/nomad/api" || opaqueTypes[t.Name()] {
			return
		}
		skip := map[string]bool{}
		for _, f := range unmodelledJobFields[t.Name()] {
			skip[f] = true
		}
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if skip[f.Name] {
				continue
			}
			fv := v.Field(i)
			if fv.IsZero() {
				*out = append(*out, path+"."+t.Name()+"."+f.Name)
				continue
			}
			walkUnset(fv, path+"."+f.Name, out)
		}
	}
}

func TestConvert_FixtureIsComplete(t *testing.T) {
	var unset []string
	walkUnset(reflect.ValueOf(fullApiJob()), "Job", &unset)
	must.SliceEmpty(t, unset, must.Sprintf("set these in fullApiJob or list them as unmodelled:\n%s", strings.Join(unset, "\n")))
}

func TestConvert_JobRoundTrip(t *testing.T) {
	in := fullApiJob()
	out := StructsJobToApi(ApiJobToStructs(in))

	var ignore []cmp.Option
	for typ, fields := range unmodelledJobFields {
		if typ == "ConsulGateway" {
			continue // Mesh is compared; Ingress/Terminating are unset in the fixture
		}
		ignore = append(ignore, cmp.FilterPath(func(p cmp.Path) bool {
			sf, ok := p.Last().(cmp.StructField)
			if !ok || len(p) < 2 {
				return false
			}
			parent := p.Index(-2).Type()
			for parent.Kind() == reflect.Pointer {
				parent = parent.Elem()
			}
			if parent.Name() != typ {
				return false
			}
			for _, f := range fields {
				if sf.Name() == f {
					return true
				}
			}
			return false
		}, cmp.Ignore()))
	}
	if diff := cmp.Diff(in, out, append(ignore, cmpopts.EquateEmpty())...); diff != "" {
		t.Fatalf("the round trip lost or changed fields (-in +out):\n%s", diff)
	}
}

func TestConvert_JobDefaults(t *testing.T) {
	attempts := 7
	in := &api.Job{
		ID: ptrTo("defaults"),
		TaskGroups: []*api.TaskGroup{{
			Name:          ptrTo("g"),
			RestartPolicy: &api.RestartPolicy{Attempts: &attempts},
			Tasks: []*api.Task{
				{Name: "a", Driver: "raw_exec", RestartPolicy: &api.RestartPolicy{Mode: ptrTo("delay")}},
				{Name: "b", Driver: "raw_exec"},
			},
		}},
	}
	j := ApiJobToStructs(in)
	tg := j.TaskGroups[0]
	must.Eq(t, 1, tg.Count, must.Sprint("an unset count is 1"))
	want := structs.DefaultRestartPolicy(structs.JobTypeService)
	want.Attempts = 7
	must.Eq(t, want, tg.RestartPolicy, must.Sprint("a partial group restart policy is merged over the default"))
	wantTask := *want
	wantTask.Mode = "delay"
	must.Eq(t, &wantTask, tg.Tasks[0].RestartPolicy, must.Sprint("a partial task restart policy is merged over the group's"))
	must.Nil(t, tg.Tasks[1].RestartPolicy)

	zero := 0
	in.TaskGroups[0].Count = &zero
	must.Eq(t, 0, ApiJobToStructs(in).TaskGroups[0].Count, must.Sprint("an explicit count of 0 is kept"))

	j.Canonicalize()
	must.NoError(t, j.Validate())
	must.Eq(t, tg.RestartPolicy, tg.Tasks[1].RestartPolicy)
}

func ptrTo[T any](v T) *T { return &v }

// TestConvert_RescheduleMerge checks Nomad's field-by-field merge: the group's
// block over the job's, the job's over the job type's default.
func TestConvert_RescheduleMerge(t *testing.T) {
	cases := []struct {
		name      string
		jobType   string
		job       *api.ReschedulePolicy
		group     *api.ReschedulePolicy
		wantGroup *structs.ReschedulePolicy
	}{
		{
			name:      "no blocks: canonicalize fills the service default",
			jobType:   structs.JobTypeService,
			wantGroup: structs.DefaultReschedulePolicy(structs.JobTypeService),
		},
		{
			name:    "job block over the batch default",
			jobType: structs.JobTypeBatch,
			job:     &api.ReschedulePolicy{Attempts: ptrTo(3)},
			wantGroup: &structs.ReschedulePolicy{Attempts: 3, Interval: 24 * time.Hour, Delay: 5 * time.Second,
				DelayFunction: structs.RescheduleDelayConstant},
		},
		{
			name:    "group block over the job block",
			jobType: structs.JobTypeService,
			job:     &api.ReschedulePolicy{Delay: ptrTo(10 * time.Second), DelayFunction: ptrTo("fibonacci")},
			group:   &api.ReschedulePolicy{Attempts: ptrTo(2), Interval: ptrTo(time.Hour), Unlimited: ptrTo(false)},
			wantGroup: &structs.ReschedulePolicy{Attempts: 2, Interval: time.Hour, Delay: 10 * time.Second,
				DelayFunction: structs.RescheduleDelayFibonacci, MaxDelay: time.Hour},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := &api.Job{ID: ptrTo("r"), Type: ptrTo(tc.jobType), Reschedule: tc.job,
				TaskGroups: []*api.TaskGroup{
					{Name: ptrTo("a"), ReschedulePolicy: tc.group, Tasks: []*api.Task{{Name: "t", Driver: "raw_exec"}}},
					{Name: ptrTo("b"), Tasks: []*api.Task{{Name: "t", Driver: "raw_exec"}}},
				}}
			j := ApiJobToStructs(in)
			j.Canonicalize()
			must.NoError(t, j.Validate())
			must.Eq(t, tc.wantGroup, j.TaskGroups[0].ReschedulePolicy)
			if tc.group == nil {
				must.Eq(t, tc.wantGroup, j.TaskGroups[1].ReschedulePolicy, must.Sprint("a group without a block takes the job's"))
			}
		})
	}
}

func TestConvert_DeprecatedExposeConfig(t *testing.T) {
	p := &api.ConsulProxy{ExposeConfig: &api.ConsulExposeConfig{Path: []*api.ConsulExposePath{{Path: "/health", Protocol: "http", LocalPathPort: 8080, ListenerPort: "exp"}}}}
	s := apiProxyToStructs(p)
	must.Eq(t, &structs.ConsulExposeConfig{Paths: []structs.ConsulExposePath{{Path: "/health", Protocol: "http", LocalPathPort: 8080, ListenerPort: "exp"}}}, s.Expose)
}

func TestConvert_Alloc(t *testing.T) {
	a := mock.Alloc()
	a.TaskStates = map[string]*structs.TaskState{"web": {
		State: structs.TaskStateRunning, Restarts: 2, StartedAt: time.Unix(100, 0).UTC(),
		Events: []*structs.TaskEvent{{Type: structs.TaskStarted, Time: 42, DisplayMessage: "Task started by client", KillTimeout: time.Second}},
	}}
	a.NetworkStatus = &structs.AllocNetworkStatus{InterfaceName: "eth0", Address: "172.26.64.5", NetnsPath: "/var/run/netns/x"}
	a.Job.Version = 4
	a.RescheduleTracker = &structs.RescheduleTracker{Events: []*structs.RescheduleEvent{
		{RescheduleTime: 7, PrevAllocID: "prev", PrevNodeID: "prev-node", Delay: time.Minute},
	}}
	a.FollowupEvalID = "eval-later"

	out := StructsAllocToApi(a)
	must.Eq(t, a.ID, out.ID)
	must.Eq(t, "example", *out.Job.ID)
	must.Eq(t, []api.PortMapping{
		{Label: "http", Value: 8080, To: 80, HostIP: "192.168.0.100"},
		{Label: "metrics", Value: 23456, To: 9102, HostIP: "192.168.0.100"},
	}, out.AllocatedResources.Shared.Ports)
	must.Eq(t, 23456, out.AllocatedResources.Shared.Networks[0].DynamicPorts[0].Value)
	must.Eq(t, int64(500), out.AllocatedResources.Tasks["web"].Cpu.CpuShares)
	must.Eq(t, int64(256), out.AllocatedResources.Tasks["web"].Memory.MemoryMB)
	must.Eq(t, 500, *out.TaskResources["web"].CPU)
	must.Eq(t, &api.AllocNetworkStatus{InterfaceName: "eth0", Address: "172.26.64.5"}, out.NetworkStatus)
	must.Eq(t, "Task started by client", out.TaskStates["web"].Events[0].DisplayMessage)
	must.Eq(t, time.Second, out.TaskStates["web"].Events[0].KillTimeout)
	must.Eq(t, map[string]int{"dc1": 1}, out.Metrics.NodesAvailable)
	must.Eq(t, a.TaskStates["web"], ApiTaskStateToStructs(out.TaskStates["web"]))
	must.Eq(t, "prev-node", out.RescheduleTracker.Events[0].PrevNodeID)
	must.Eq(t, "eval-later", out.FollowupEvalID)

	stub := StructsAllocToStub(a)
	must.Eq(t, "service", stub.JobType)
	must.Eq(t, uint64(4), stub.JobVersion)
	must.Eq(t, "example.web[0]", stub.Name)
	must.Eq(t, structs.TaskStateRunning, stub.TaskStates["web"].State)
}

// TestConvert_AllocMetricScoreMetaData: the API carries the best scored nodes,
// in order, with their own copies of the scorer maps.
func TestConvert_AllocMetricScoreMetaData(t *testing.T) {
	m := &structs.AllocMetric{NodesEvaluated: 4, ScoreMetaData: []*structs.NodeScoreMeta{
		{NodeID: "node-b", Scores: map[string]float64{"binpack": 0.8}, NormScore: 0.8},
		{NodeID: "node-a", Scores: map[string]float64{"binpack": 0.9, "node-reschedule-penalty": -1}, NormScore: -0.05},
	}}
	out := StructsAllocMetricToApi(m)
	must.Eq(t, []*api.NodeScoreMeta{
		{NodeID: "node-b", Scores: map[string]float64{"binpack": 0.8}, NormScore: 0.8},
		{NodeID: "node-a", Scores: map[string]float64{"binpack": 0.9, "node-reschedule-penalty": -1}, NormScore: -0.05},
	}, out.ScoreMetaData)
	must.Nil(t, out.Scores)

	m.ScoreMetaData[0].Scores["binpack"] = 0
	must.Eq(t, 0.8, out.ScoreMetaData[0].Scores["binpack"], must.Sprint("the API copy shares no map with the scheduler's"))
	must.Nil(t, StructsAllocMetricToApi(&structs.AllocMetric{}).ScoreMetaData)
}

func TestConvert_Node(t *testing.T) {
	n := mock.Node()
	n.Drivers["raw_exec"].UpdateTime = time.Unix(1700000000, 5).UnixNano()
	n.CreateIndex, n.ModifyIndex, n.StatusUpdatedAt = 5, 6, 7

	out := StructsNodeToApi(n)
	must.Eq(t, int64(4000), out.NodeResources.Cpu.CpuShares)
	must.Eq(t, int64(8192), out.NodeResources.Memory.MemoryMB)
	must.Eq(t, []*api.NetworkResource{
		{Mode: "host", Device: "eth0", CIDR: "192.168.0.100/32", IP: "192.168.0.100", MBits: ptrTo(1000)},
		{Mode: "bridge", MBits: ptrTo(0)},
	}, out.NodeResources.Networks)
	must.Eq(t, 20000, out.NodeResources.MinDynamicPort)
	must.Eq(t, "22", out.ReservedResources.Networks.ReservedHostPorts)
	must.True(t, out.Drivers["raw_exec"].Healthy)
	must.Eq(t, "192.168.0.100", out.Resources.Networks[0].IP)
	must.Len(t, 1, out.Resources.Networks)

	back := ApiNodeToStructs(out)
	n.SecretID = ""
	must.Eq(t, n, back)

	stub := StructsNodeToStub(n)
	must.Eq(t, "192.168.0.100", stub.Address)
	must.Eq(t, "0.10.0", stub.Version)
	must.Eq(t, "ready", stub.Status)
	must.Eq(t, "eligible", stub.SchedulingEligibility)
}

func TestConvert_JobStubEvalAndPlan(t *testing.T) {
	j := mock.Job()
	j.Status, j.JobModifyIndex, j.SubmitTime = structs.JobStatusRunning, 9, 99
	stub := StructsJobToStub(j)
	must.Eq(t, &api.JobListStub{
		ID: "example", Name: "example", Namespace: "default", Datacenters: []string{"dc1"}, Type: "service",
		Priority: 50, Status: "running", JobModifyIndex: 9, SubmitTime: 99, Meta: map[string]string{"owner": "netnomad"},
	}, stub)

	e := mock.Eval()
	e.FailedTGAllocs = map[string]*structs.AllocMetric{"web": {NodesEvaluated: 2, DimensionExhausted: map[string]int{"network: reserved port collision http=8080": 1}}}
	e.QueuedAllocations = map[string]int{"web": 1}
	e.Wait = 3 * time.Second
	ae := StructsEvalToApi(e)
	must.Eq(t, e.ID, ae.ID)
	must.Eq(t, "job-register", ae.TriggeredBy)
	must.Eq(t, 3*time.Second, ae.Wait)
	must.Eq(t, 1, ae.FailedTGAllocs["web"].DimensionExhausted["network: reserved port collision http=8080"])
	must.Eq(t, map[string]int{"web": 1}, ae.QueuedAllocations)

	old := mock.Job()
	cur := mock.Job()
	cur.TaskGroups[0].Count = 2
	d, err := old.Diff(cur, true)
	must.NoError(t, err)
	d.TaskGroups[0].Updates = map[string]uint64{"create": 1, "ignore": 1}
	d.TaskGroups[0].Tasks[0].Annotations = []string{"forces in-place update"}
	ad := StructsDiffToApi(d)
	must.Eq(t, "Edited", ad.Type)
	must.Eq(t, "example", ad.ID)
	must.Eq(t, map[string]uint64{"create": 1, "ignore": 1}, ad.TaskGroups[0].Updates)
	must.Eq(t, []string{"forces in-place update"}, ad.TaskGroups[0].Tasks[0].Annotations)
	var count *api.FieldDiff
	for _, f := range ad.TaskGroups[0].Fields {
		if f.Name == "Count" {
			count = f
		}
	}
	must.Eq(t, &api.FieldDiff{Type: "Edited", Name: "Count", Old: "1", New: "2"}, count)

	ann := StructsAnnotationsToApi(&structs.PlanAnnotations{DesiredTGUpdates: map[string]*structs.DesiredUpdates{"web": {Place: 1, InPlaceUpdate: 2, Preemptions: 3}}})
	must.Eq(t, &api.DesiredUpdates{Place: 1, InPlaceUpdate: 2, Preemptions: 3}, ann.DesiredTGUpdates["web"])
}
