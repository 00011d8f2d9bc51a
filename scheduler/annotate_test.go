package scheduler

import (
	"testing"

	"github.com/netnomad/netnomad/nomad/mock"
	"github.com/netnomad/netnomad/nomad/structs"
	"github.com/shoenig/test/must"
)

func TestAnnotate_GroupUpdates(t *testing.T) {
	diff := &structs.JobDiff{TaskGroups: []*structs.TaskGroupDiff{
		{Type: structs.DiffTypeEdited, Name: "web"},
		{Type: structs.DiffTypeNone, Name: "api"},
		{Type: structs.DiffTypeNone, Name: "db"},
	}}
	ann := &structs.PlanAnnotations{DesiredTGUpdates: map[string]*structs.DesiredUpdates{
		"web": {Ignore: 1, Place: 2, Migrate: 3, Stop: 4, Canary: 5, InPlaceUpdate: 6, DestructiveUpdate: 7},
		"api": {Ignore: 2},
	}}
	must.NoError(t, Annotate(diff, ann))
	must.Eq(t, map[string]uint64{
		"ignore": 1, "create": 2, "migrate": 3, "destroy": 4, "canary": 5,
		"in-place update": 6, "create/destroy update": 7,
	}, diff.TaskGroups[0].Updates)
	must.Eq(t, map[string]uint64{"ignore": 2}, diff.TaskGroups[1].Updates)
	must.Nil(t, diff.TaskGroups[2].Updates)
	must.NoError(t, Annotate(diff, nil))
}

func TestAnnotate_Count(t *testing.T) {
	cases := []struct {
		old, new string
		want     []string
	}{
		{"1", "3", []string{AnnotationForcesCreate}},
		{"3", "1", []string{AnnotationForcesDestroy}},
		{"", "2", []string{AnnotationForcesCreate}},
	}
	for _, tc := range cases {
		t.Run(tc.old+"->"+tc.new, func(t *testing.T) {
			f := &structs.FieldDiff{Type: structs.DiffTypeEdited, Name: "Count", Old: tc.old, New: tc.new}
			diff := &structs.JobDiff{TaskGroups: []*structs.TaskGroupDiff{{Type: structs.DiffTypeEdited, Name: "web", Fields: []*structs.FieldDiff{f}}}}
			must.NoError(t, Annotate(diff, nil))
			must.Eq(t, tc.want, f.Annotations)
		})
	}
	bad := &structs.JobDiff{TaskGroups: []*structs.TaskGroupDiff{{Name: "web", Fields: []*structs.FieldDiff{{Type: structs.DiffTypeEdited, Name: "Count", Old: "x", New: "1"}}}}}
	must.ErrorContains(t, Annotate(bad, nil), `failed to parse count "x"`)
}

// TestAnnotate_Tasks drives real diffs of the mock job through Annotate.
func TestAnnotate_Tasks(t *testing.T) {
	cases := []struct {
		name   string
		old    func() *structs.Job
		mutate func(j *structs.Job)
		want   map[string][]string
	}{
		{
			name:   "new job forces create",
			old:    func() *structs.Job { return nil },
			mutate: func(j *structs.Job) {},
			want:   map[string][]string{"web": {AnnotationForcesCreate}},
		},
		{
			name:   "unchanged task has no annotation",
			old:    mock.Job,
			mutate: func(j *structs.Job) { j.TaskGroups[0].Count = 2 },
			want:   map[string][]string{"web": nil},
		},
		{
			name:   "kill timeout is in place",
			old:    mock.Job,
			mutate: func(j *structs.Job) { j.TaskGroups[0].Tasks[0].KillTimeout *= 2 },
			want:   map[string][]string{"web": {AnnotationForcesInplaceUpdate}},
		},
		{
			name: "log config, services and constraints are in place",
			old:  mock.Job,
			mutate: func(j *structs.Job) {
				task := j.TaskGroups[0].Tasks[0]
				task.LogConfig.MaxFiles = 3
				task.Services = []*structs.Service{{Name: "s", PortLabel: "http"}}
				task.Constraints = []*structs.Constraint{{LTarget: "a", RTarget: "b", Operand: "="}}
			},
			want: map[string][]string{"web": {AnnotationForcesInplaceUpdate}},
		},
		{
			name:   "env forces create/destroy",
			old:    mock.Job,
			mutate: func(j *structs.Job) { j.TaskGroups[0].Tasks[0].Env["FOO"] = "new" },
			want:   map[string][]string{"web": {AnnotationForcesDestructiveUpdate}},
		},
		{
			name:   "config forces create/destroy",
			old:    mock.Job,
			mutate: func(j *structs.Job) { j.TaskGroups[0].Tasks[0].Config["command"] = "/bin/cat" },
			want:   map[string][]string{"web": {AnnotationForcesDestructiveUpdate}},
		},
		{
			name: "task added to an existing group",
			old:  mock.Job,
			mutate: func(j *structs.Job) {
				t2 := j.TaskGroups[0].Tasks[0].Copy()
				t2.Name = "sidecar"
				j.TaskGroups[0].Tasks = append(j.TaskGroups[0].Tasks, t2)
			},
			want: map[string][]string{"web": nil, "sidecar": {AnnotationForcesDestructiveUpdate}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cur := mock.Job()
			tc.mutate(cur)
			diff, err := tc.old().Diff(cur, true)
			must.NoError(t, err)
			must.NoError(t, Annotate(diff, nil))
			got := map[string][]string{}
			for _, td := range diff.TaskGroups[0].Tasks {
				got[td.Name] = td.Annotations
			}
			must.Eq(t, tc.want, got)
		})
	}

	// Deleting a job forces destroy.
	diff, err := mock.Job().Diff(nil, false)
	must.NoError(t, err)
	must.NoError(t, Annotate(diff, nil))
	must.Eq(t, []string{AnnotationForcesDestroy}, diff.TaskGroups[0].Tasks[0].Annotations)
}
