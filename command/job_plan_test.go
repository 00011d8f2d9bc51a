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

func field(typ, name, old, new string, annotations ...string) *api.FieldDiff {
	return &api.FieldDiff{Type: typ, Name: name, Old: old, New: new, Annotations: annotations}
}

func task(typ, name string, annotations ...string) *api.TaskDiff {
	return &api.TaskDiff{Type: typ, Name: name, Annotations: annotations}
}

// countdashNewPlan is the plan of a first countdash submission, with the injected
// connect-proxy tasks.
func countdashNewPlan() *api.JobPlanResponse {
	return &api.JobPlanResponse{
		JobModifyIndex: 0,
		Diff: &api.JobDiff{Type: "Added", ID: "countdash", TaskGroups: []*api.TaskGroupDiff{
			{Type: "Added", Name: "dashboard", Updates: map[string]uint64{"create": 1}, Tasks: []*api.TaskDiff{
				task("Added", "dashboard", "forces create"),
				task("Added", "connect-proxy-count-dashboard", "forces create"),
			}},
			{Type: "Added", Name: "api", Updates: map[string]uint64{"create": 1}, Tasks: []*api.TaskDiff{
				task("Added", "connect-proxy-count-api", "forces create"),
				task("Added", "web", "forces create"),
			}},
		}},
		Annotations: &api.PlanAnnotations{DesiredTGUpdates: map[string]*api.DesiredUpdates{
			"api": {Place: 1}, "dashboard": {Place: 1},
		}},
	}
}

// countdashModifiedPlan changes the dashboard upstream's local_bind_port from
// 8080 to 8081: an in-place update.
func countdashModifiedPlan() *api.JobPlanResponse {
	upstreams := func(typ, port string) *api.ObjectDiff {
		f := func(name, v string) *api.FieldDiff {
			if typ == "Deleted" {
				return field(typ, name, v, "")
			}
			return field(typ, name, "", v)
		}
		return &api.ObjectDiff{Type: typ, Name: "ConsulUpstreams", Fields: []*api.FieldDiff{
			f("DestinationName", "count-api"), f("LocalBindPort", port),
		}}
	}
	proxy := &api.ObjectDiff{Type: "Edited", Name: "ConsulProxy",
		Fields: []*api.FieldDiff{
			field("None", "LocalServiceAddress", "", ""),
			field("None", "LocalServicePort", "0", "0"),
		},
		Objects: []*api.ObjectDiff{upstreams("Deleted", "8080"), upstreams("Added", "8081")},
	}
	sidecar := &api.ObjectDiff{Type: "Edited", Name: "SidecarService",
		Fields: []*api.FieldDiff{field("None", "Port", "", "")}, Objects: []*api.ObjectDiff{proxy}}
	connect := &api.ObjectDiff{Type: "Edited", Name: "ConsulConnect",
		Fields: []*api.FieldDiff{field("None", "Native", "false", "false")}, Objects: []*api.ObjectDiff{sidecar}}
	service := &api.ObjectDiff{Type: "Edited", Name: "Service",
		Fields: []*api.FieldDiff{
			field("None", "AddressMode", "auto", "auto"),
			field("None", "Name", "count-dashboard", "count-dashboard"),
			field("None", "PortLabel", "9002", "9002"),
		},
		Objects: []*api.ObjectDiff{connect}}

	return &api.JobPlanResponse{
		JobModifyIndex: 31,
		Diff: &api.JobDiff{Type: "Edited", ID: "countdash", TaskGroups: []*api.TaskGroupDiff{
			{Type: "None", Name: "api", Updates: map[string]uint64{"ignore": 1}, Tasks: []*api.TaskDiff{
				task("None", "connect-proxy-count-api"), task("None", "web"),
			}},
			{Type: "Edited", Name: "dashboard", Updates: map[string]uint64{"in-place update": 1},
				Objects: []*api.ObjectDiff{service},
				Tasks: []*api.TaskDiff{
					task("None", "connect-proxy-count-dashboard"), task("None", "dashboard"),
				}},
		}},
		Annotations: &api.PlanAnnotations{DesiredTGUpdates: map[string]*api.DesiredUpdates{
			"api": {Ignore: 1}, "dashboard": {InPlaceUpdate: 1},
		}},
	}
}

func failedPlan() *api.JobPlanResponse {
	return &api.JobPlanResponse{
		Diff: &api.JobDiff{Type: "Added", ID: "web", TaskGroups: []*api.TaskGroupDiff{
			{Type: "Added", Name: "web", Updates: map[string]uint64{"create": 1},
				Tasks: []*api.TaskDiff{task("Added", "server", "forces create")}},
		}},
		Annotations: &api.PlanAnnotations{DesiredTGUpdates: map[string]*api.DesiredUpdates{"web": {Place: 1}}},
		FailedTGAllocs: map[string]*api.AllocationMetric{"web": {
			NodesEvaluated:     1,
			ConstraintFiltered: map[string]int{"missing network": 1},
			NodesExhausted:     1,
			DimensionExhausted: map[string]int{"network: reserved port collision http=8080": 1},
		}},
	}
}

func verbosePlan() *api.JobPlanResponse {
	return &api.JobPlanResponse{
		Diff: &api.JobDiff{Type: "Added", ID: "countdash",
			Fields: []*api.FieldDiff{field("Added", "AllAtOnce", "", "false"), field("Added", "Type", "", "service")},
			TaskGroups: []*api.TaskGroupDiff{{
				Type: "Added", Name: "api", Updates: map[string]uint64{"create": 1},
				Fields: []*api.FieldDiff{field("Added", "Count", "", "1")},
				Objects: []*api.ObjectDiff{{Type: "Added", Name: "Network",
					Fields: []*api.FieldDiff{field("Added", "MBits", "", "10"), field("Added", "Mode", "", "bridge")},
					Objects: []*api.ObjectDiff{{Type: "Added", Name: "Dynamic Port", Fields: []*api.FieldDiff{
						field("Added", "Label", "", "connect-proxy-count-api"), field("Added", "To", "", "-1"),
					}}},
				}},
				Tasks: []*api.TaskDiff{{Type: "Added", Name: "connect-proxy-count-api", Annotations: []string{"forces create"},
					Fields: []*api.FieldDiff{field("Added", "Driver", "", "docker"), field("Added", "Kind", "", "connect-proxy:count-api")},
					Objects: []*api.ObjectDiff{{Type: "Added", Name: "Config", Fields: []*api.FieldDiff{
						field("Added", "image", "", "envoyproxy/envoy:v1.11.2"),
					}}},
				}},
			}},
		},
		Annotations: &api.PlanAnnotations{DesiredTGUpdates: map[string]*api.DesiredUpdates{"api": {Place: 1}}},
	}
}

func TestJobPlan(t *testing.T) {
	cases := []struct {
		name     string
		file     string
		args     []string
		resp     *api.JobPlanResponse
		golden   string
		wantCode int
	}{
		{name: "new countdash job", file: "countdash.nomad", resp: countdashNewPlan(),
			golden: "plan_countdash_new.golden", wantCode: 1},
		{name: "modified countdash job", file: "countdash.nomad", resp: countdashModifiedPlan(),
			golden: "plan_countdash_modified.golden", wantCode: 0},
		{name: "placement failure", file: "web.nomad", resp: failedPlan(),
			golden: "plan_failure.golden", wantCode: 1},
		{name: "verbose expands added objects", file: "countdash.nomad", args: []string{"-verbose", "-var", "dc=dc1"},
			resp: verbosePlan(), golden: "plan_verbose.golden", wantCode: 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeAgent(t)
			f.handle("PUT /v1/job/{id}/plan", func(r *http.Request) any {
				if r.PathValue("id") != "countdash" {
					return errStatus{400, "wrong job"}
				}
				return tc.resp
			})
			meta, ui := testMeta(time.Now())
			job := &api.Job{ID: ptr("countdash"), Name: ptr("countdash"), Type: ptr("service")}
			cmd := &JobPlanCommand{Meta: meta, JobGetter: JobGetter{Parser: fixedParser(job)}}

			args := append([]string{f.addr(), "-no-color"}, tc.args...)
			code := cmd.Run(append(args, tc.file))

			want, err := os.ReadFile(filepath.Join("testdata", tc.golden))
			must.NoError(t, err)
			must.Eq(t, string(want), ui.OutputWriter.String())
			must.Eq(t, "", ui.ErrorWriter.String())
			must.Eq(t, tc.wantCode, code)
		})
	}
}

func TestJobPlan_ErrorExits255(t *testing.T) {
	f := newFakeAgent(t)
	f.handle("PUT /v1/job/{id}/plan", func(*http.Request) any {
		return errStatus{400, `Task group "api" validation failed: port mapped to 9002 already in use by "http"`}
	})
	meta, ui := testMeta(time.Now())
	cmd := &JobPlanCommand{Meta: meta, JobGetter: JobGetter{Parser: fixedParser(exampleJob())}}
	must.Eq(t, 255, cmd.Run([]string{f.addr(), "example.nomad"}))
	must.Eq(t, `Error during plan: Unexpected response code: 400 (Task group "api" validation failed: port mapped to 9002 already in use by "http")`+"\n",
		ui.ErrorWriter.String())
}

func TestPlanExitCode(t *testing.T) {
	cases := []struct {
		name string
		diff string
		upd  api.DesiredUpdates
		want int
	}{
		{"no diff", "None", api.DesiredUpdates{Place: 1}, 0},
		{"in-place only", "Edited", api.DesiredUpdates{InPlaceUpdate: 2}, 0},
		{"place", "Edited", api.DesiredUpdates{Place: 1}, 1},
		{"stop", "Edited", api.DesiredUpdates{Stop: 1}, 1},
		{"migrate", "Edited", api.DesiredUpdates{Migrate: 1}, 1},
		{"destructive", "Edited", api.DesiredUpdates{DestructiveUpdate: 1}, 1},
		{"canary", "Edited", api.DesiredUpdates{Canary: 1}, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			upd := tc.upd
			resp := &api.JobPlanResponse{Diff: &api.JobDiff{Type: tc.diff},
				Annotations: &api.PlanAnnotations{DesiredTGUpdates: map[string]*api.DesiredUpdates{"g": &upd}}}
			must.Eq(t, tc.want, planExitCode(resp))
		})
	}
}
