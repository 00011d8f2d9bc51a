package command

import (
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hashicorp/nomad/api"
	"github.com/shoenig/test/must"
)

func countdashAlloc() *api.Allocation {
	at := func(d time.Duration) int64 { return testNow.Add(-d).UnixNano() }
	return &api.Allocation{
		ID: allocID, EvalID: evalID, Name: "countdash.api[0]", NodeID: nodeID, NodeName: "node1",
		JobID: "countdash", TaskGroup: "api",
		Job: &api.Job{ID: ptr("countdash"), Version: ptr(uint64(2)), TaskGroups: []*api.TaskGroup{{
			Name:  ptr("api"),
			Tasks: []*api.Task{{Name: "web"}, {Name: "connect-proxy-count-api"}},
		}}},
		ClientStatus: "running", ClientDescription: "Tasks are running", DesiredStatus: "run",
		CreateTime: at(5 * time.Minute), ModifyTime: at(4 * time.Minute),
		AllocatedResources: &api.AllocatedResources{
			Shared: api.AllocatedSharedResources{
				DiskMB: 300,
				Networks: []*api.NetworkResource{{Mode: "bridge", IP: "10.0.2.15",
					DynamicPorts: []api.Port{{Label: "connect-proxy-count-api", Value: 25306, To: -1}, {Label: "http", Value: 23456, To: 8080}},
				}},
				Ports: []api.PortMapping{
					{Label: "connect-proxy-count-api", Value: 25306, To: 25306, HostIP: "10.0.2.15"},
					{Label: "http", Value: 23456, To: 8080, HostIP: "10.0.2.15"},
				},
			},
			Tasks: map[string]*api.AllocatedTaskResources{
				"web":                     {Cpu: api.AllocatedCpuResources{CpuShares: 100}, Memory: api.AllocatedMemoryResources{MemoryMB: 300}},
				"connect-proxy-count-api": {Cpu: api.AllocatedCpuResources{CpuShares: 250}, Memory: api.AllocatedMemoryResources{MemoryMB: 128}},
			},
		},
		NetworkStatus: &api.AllocNetworkStatus{InterfaceName: "eth0", Address: "172.26.64.5"},
		TaskStates: map[string]*api.TaskState{
			"web": {State: "running", Restarts: 1,
				StartedAt: testNow.Add(-4 * time.Minute), LastRestart: testNow.Add(-3 * time.Minute),
				Events: []*api.TaskEvent{
					{Type: api.TaskReceived, Time: at(5 * time.Minute)},
					{Type: api.TaskSetup, Time: at(5*time.Minute - time.Second), Message: "Building Task Directory"},
					{Type: api.TaskStarted, Time: at(4 * time.Minute)},
					{Type: api.TaskTerminated, Time: at(3*time.Minute + 15*time.Second), ExitCode: 3},
					{Type: api.TaskRestarting, Time: at(3*time.Minute + 14*time.Second), StartDelay: int64(15 * time.Second)},
					{Type: api.TaskStarted, Time: at(3 * time.Minute)},
				}},
			"connect-proxy-count-api": {State: "running", StartedAt: testNow.Add(-4 * time.Minute),
				Events: []*api.TaskEvent{
					{Type: api.TaskReceived, Time: at(5 * time.Minute)},
					{Type: api.TaskStarted, Time: at(4 * time.Minute), DisplayMessage: "Task started by client"},
				}},
		},
	}
}

// serveAlloc answers the prefix lookup and the allocation itself.
func serveAlloc(f *fakeAgent, alloc *api.Allocation) {
	f.handle("GET /v1/allocations", func(r *http.Request) any {
		if p := r.URL.Query().Get("prefix"); len(p) > len(alloc.ID) || alloc.ID[:len(p)] != p {
			return []*api.AllocationListStub{}
		}
		return []*api.AllocationListStub{{ID: alloc.ID, NodeID: alloc.NodeID, TaskGroup: alloc.TaskGroup}}
	})
	f.handle("GET /v1/allocation/{id}", func(r *http.Request) any {
		if r.PathValue("id") != alloc.ID {
			return errStatus{404, "alloc not found"}
		}
		return alloc
	})
}

func TestAllocStatus_BridgeAddresses(t *testing.T) {
	f := newFakeAgent(t)
	serveAlloc(f, countdashAlloc())
	meta, ui := testMeta(testNow)
	must.Eq(t, 0, (&AllocStatusCommand{Meta: meta}).Run([]string{f.addr(), "-no-color", "a1a1a1"}))
	must.Eq(t, `ID                  = a1a1a1a1-1111-2222-3333-444444444444
Eval ID             = e1e1e1e1
Name                = countdash.api[0]
Node ID             = n1n1n1n1
Node Name           = node1
Job ID              = countdash
Job Version         = 2
Client Status       = running
Client Description  = Tasks are running
Desired Status      = run
Desired Description = <none>
Created             = 5m ago
Modified            = 4m ago

Allocation Addresses (mode = "bridge"):
Label                    Dynamic  Address
connect-proxy-count-api  yes      10.0.2.15:25306 -> 25306
http                     yes      10.0.2.15:23456 -> 8080

Allocation Network Status:
Interface  Address
eth0       172.26.64.5

Task "connect-proxy-count-api" is "running"
Task Resources
CPU      Memory   Disk     Addresses
250 MHz  128 MiB  300 MiB  

Task Events:
Started At     = 2026-11-25T11:56:00Z
Finished At    = N/A
Total Restarts = 0
Last Restart   = N/A

Recent Events:
Time                  Type      Description
2026-11-25T11:56:00Z  Started   Task started by client
2026-11-25T11:55:00Z  Received  Task received by client

Task "web" is "running"
Task Resources
CPU      Memory   Disk     Addresses
100 MHz  300 MiB  300 MiB  

Task Events:
Started At     = 2026-11-25T11:56:00Z
Finished At    = N/A
Total Restarts = 1
Last Restart   = 2026-11-25T11:57:00Z

Recent Events:
Time                  Type        Description
2026-11-25T11:57:00Z  Started     Task started by client
2026-11-25T11:56:46Z  Restarting  Task restarting in 15s
2026-11-25T11:56:45Z  Terminated  Exit Code: 3
2026-11-25T11:56:00Z  Started     Task started by client
2026-11-25T11:55:01Z  Task Setup  Building Task Directory
2026-11-25T11:55:00Z  Received    Task received by client
`, ui.OutputWriter.String())
}

func TestAllocStatus_NetworkPortsWithoutSharedPorts(t *testing.T) {
	alloc := countdashAlloc()
	alloc.AllocatedResources.Shared.Ports = nil
	alloc.AllocatedResources.Shared.Networks[0].ReservedPorts = []api.Port{{Label: "admin", Value: 9002, To: 9002}}
	must.Eq(t, `Allocation Addresses (mode = "bridge"):
Label                    Dynamic  Address
connect-proxy-count-api  yes      10.0.2.15:25306
http                     yes      10.0.2.15:23456 -> 8080
admin                    yes      10.0.2.15:9002 -> 9002`, formatAllocNetworkInfo(alloc))

	alloc.AllocatedResources.Shared.Networks = nil
	must.Eq(t, "", formatAllocNetworkInfo(alloc))
}

// TestAllocStatus_Reschedule checks Nomad's reschedule lines: attempts within
// the policy's interval, the replacement, and when a failed allocation is
// rescheduled (from its follow-up eval's WaitUntil).
func TestAllocStatus_Reschedule(t *testing.T) {
	alloc := countdashAlloc()
	alloc.TaskStates = nil
	alloc.ClientStatus = "failed"
	alloc.Job.TaskGroups[0].ReschedulePolicy = &api.ReschedulePolicy{Attempts: ptr(3), Interval: ptr(time.Hour)}
	alloc.RescheduleTracker = &api.RescheduleTracker{Events: []*api.RescheduleEvent{
		{RescheduleTime: testNow.Add(-2 * time.Hour).UnixNano()}, // outside the interval
		{RescheduleTime: testNow.Add(-5 * time.Minute).UnixNano()},
	}}
	alloc.NextAllocation = "b2b2b2b2-1111-2222-3333-444444444444"
	alloc.FollowupEvalID = "f0f0f0f0-1111-2222-3333-444444444444"

	f := newFakeAgent(t)
	serveAlloc(f, alloc)
	f.handle("GET /v1/evaluation/{id}", func(r *http.Request) any {
		if r.PathValue("id") != alloc.FollowupEvalID {
			return errStatus{404, "eval not found"}
		}
		return &api.Evaluation{ID: alloc.FollowupEvalID, Status: "pending", WaitUntil: testNow.Add(25 * time.Second)}
	})
	meta, ui := testMeta(testNow)
	must.Eq(t, 0, (&AllocStatusCommand{Meta: meta}).Run([]string{f.addr(), "-no-color", "a1a1a1"}))
	must.StrContains(t, ui.OutputWriter.String(), `Modified               = 4m ago
Reschedule Attempts    = 1/3
Replacement Alloc ID   = b2b2b2b2
Reschedule Eligibility = 25s from now
`)
}

func TestAllocStatus_Errors(t *testing.T) {
	f := newFakeAgent(t)
	serveAlloc(f, countdashAlloc())
	cases := []struct {
		name string
		id   string
		want string
	}{
		{"one character", "a", "Alloc ID must contain at least two characters.\n"},
		{"unknown", "ffff", "No allocation(s) with prefix or id \"ffff\" found\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			meta, ui := testMeta(testNow)
			must.Eq(t, 1, (&AllocStatusCommand{Meta: meta}).Run([]string{f.addr(), tc.id}))
			must.Eq(t, tc.want, ui.ErrorWriter.String())
		})
	}
}

func TestBuildDisplayMessage(t *testing.T) {
	cases := []struct {
		event *api.TaskEvent
		want  string
	}{
		{&api.TaskEvent{Type: api.TaskTerminated, ExitCode: 3}, "Exit Code: 3"},
		{&api.TaskEvent{Type: api.TaskTerminated, ExitCode: 137, Signal: 9, Message: "OOM Killed"},
			`Exit Code: 137, Signal: 9, Exit Message: "OOM Killed"`},
		{&api.TaskEvent{Type: api.TaskStarted}, "Task started by client"},
		{&api.TaskEvent{Type: api.TaskRestarting, StartDelay: int64(15 * time.Second)}, "Task restarting in 15s"},
		{&api.TaskEvent{Type: api.TaskNotRestarting}, "Task exceeded restart policy"},
		{&api.TaskEvent{Type: api.TaskKilling, KillTimeout: 5 * time.Second}, "Sent interrupt. Waiting 5s before force killing"},
		{&api.TaskEvent{Type: api.TaskDriverFailure, DriverError: "failed to launch"}, "failed to launch"},
		{&api.TaskEvent{Type: api.TaskSiblingFailed, FailedSibling: "web"}, `Task's sibling "web" failed`},
	}
	for _, tc := range cases {
		t.Run(tc.want, func(t *testing.T) {
			must.Eq(t, tc.want, buildDisplayMessage(tc.event))
		})
	}
}

// TestAllocStatus_VerbosePlacementScores: -verbose ends with Nomad's
// "Placement Metrics": the filter reasons, then a table of the best scored
// nodes, best first, one column per scorer and the final score.
func TestAllocStatus_VerbosePlacementScores(t *testing.T) {
	alloc := countdashAlloc()
	alloc.TaskStates = nil
	alloc.Metrics = &api.AllocationMetric{
		NodesEvaluated: 6, NodesFiltered: 1, NodesAvailable: map[string]int{"dc1": 6},
		ConstraintFiltered: map[string]int{"missing drivers": 1},
		AllocationTime:     1500 * time.Microsecond,
		ScoreMetaData: []*api.NodeScoreMeta{
			{NodeID: "n1n1n1n1-1111-2222-3333-444444444444",
				Scores: map[string]float64{"binpack": 0.8214, "job-anti-affinity": 0}, NormScore: 0.8214},
			{NodeID: "n2n2n2n2-1111-2222-3333-444444444444",
				Scores: map[string]float64{"binpack": 0.9, "job-anti-affinity": -0.5}, NormScore: 0.2},
			{NodeID: "n3n3n3n3-1111-2222-3333-444444444444",
				Scores: map[string]float64{"binpack": 0.75, "node-reschedule-penalty": -1}, NormScore: -0.125},
		},
	}
	f := newFakeAgent(t)
	serveAlloc(f, alloc)
	meta, ui := testMeta(testNow)
	must.Eq(t, 0, (&AllocStatusCommand{Meta: meta}).Run([]string{f.addr(), "-no-color", "-verbose", "a1a1a1"}))
	want, err := os.ReadFile(filepath.Join("testdata", "alloc_status_verbose.golden"))
	must.NoError(t, err)
	must.Eq(t, string(want), ui.OutputWriter.String())
	must.Eq(t, "", ui.ErrorWriter.String())
}

// TestFormatPlacementScores_DeprecatedScores: an allocation placed before
// ScoreMetaData lists its "<node id>.<scorer>" scores one per line, as Nomad.
func TestFormatPlacementScores_DeprecatedScores(t *testing.T) {
	got := formatPlacementScores(&api.AllocationMetric{Scores: map[string]float64{
		"n2.binpack": 0.5, "n1.binpack": 0.25,
	}}, "  ")
	must.Eq(t, `  * Score "n1.binpack" = 0.250000
  * Score "n2.binpack" = 0.500000`, got)
	must.Eq(t, "", formatPlacementScores(&api.AllocationMetric{}, "  "))
}
