package structs_test

import (
	"testing"
	"time"

	"github.com/netnomad/netnomad/nomad/mock"
	"github.com/netnomad/netnomad/nomad/structs"
	"github.com/shoenig/test/must"
)

// findObject returns the first object with the given name and type, or nil.
func findObject(objs []*structs.ObjectDiff, name, typ string) *structs.ObjectDiff {
	for _, o := range objs {
		if o.Name == name && o.Type == typ {
			return o
		}
	}
	return nil
}

func findField(fields []*structs.FieldDiff, name string) *structs.FieldDiff {
	for _, f := range fields {
		if f.Name == name {
			return f
		}
	}
	return nil
}

func connectJob(bindPort int) *structs.Job {
	j := mock.Job()
	j.TaskGroups[0].Services = []*structs.Service{{
		Name: "count-dashboard", PortLabel: "9002", AddressMode: "auto",
		Connect: &structs.ConsulConnect{SidecarService: &structs.ConsulSidecarService{
			Proxy: &structs.ConsulProxy{Upstreams: []*structs.ConsulUpstream{{DestinationName: "count-api", LocalBindPort: bindPort}}},
		}},
	}}
	return j
}

func TestJob_Diff_NewJob(t *testing.T) {
	j := mock.Job()
	d, err := (*structs.Job)(nil).Diff(j, false)
	must.NoError(t, err)
	must.Eq(t, structs.DiffTypeAdded, d.Type)
	must.Eq(t, "example", d.ID)
	must.Eq(t, &structs.FieldDiff{Type: structs.DiffTypeAdded, Name: "Priority", New: "50"}, findField(d.Fields, "Priority"))
	must.Nil(t, findField(d.Fields, "Status"))

	must.Len(t, 1, d.TaskGroups)
	tg := d.TaskGroups[0]
	must.Eq(t, structs.DiffTypeAdded, tg.Type)
	must.Eq(t, "web", tg.Name)
	net := findObject(tg.Objects, "Network", structs.DiffTypeAdded)
	must.NotNil(t, net)
	must.Eq(t, []*structs.FieldDiff{
		{Type: structs.DiffTypeAdded, Name: "MBits", New: "10"},
		{Type: structs.DiffTypeAdded, Name: "Mode", New: "bridge"},
	}, net.Fields)
	must.Eq(t, []*structs.ObjectDiff{
		{Type: structs.DiffTypeAdded, Name: "Dynamic Port", Fields: []*structs.FieldDiff{
			{Type: structs.DiffTypeAdded, Name: "HostNetwork", New: "default"},
			{Type: structs.DiffTypeAdded, Name: "Label", New: "metrics"},
			{Type: structs.DiffTypeAdded, Name: "To", New: "9102"},
		}},
		{Type: structs.DiffTypeAdded, Name: "Static Port", Fields: []*structs.FieldDiff{
			{Type: structs.DiffTypeAdded, Name: "HostNetwork", New: "default"},
			{Type: structs.DiffTypeAdded, Name: "Label", New: "http"},
			{Type: structs.DiffTypeAdded, Name: "To", New: "80"},
			{Type: structs.DiffTypeAdded, Name: "Value", New: "8080"},
		}},
	}, net.Objects)
	svc := findObject(tg.Objects, "Service", structs.DiffTypeAdded)
	must.NotNil(t, svc)
	must.NotNil(t, findObject(svc.Objects, "Check", structs.DiffTypeAdded))
	tags := findObject(svc.Objects, "Tags", structs.DiffTypeAdded)
	must.Eq(t, []*structs.FieldDiff{
		{Type: structs.DiffTypeAdded, Name: "Tags", New: "frontend"},
		{Type: structs.DiffTypeAdded, Name: "Tags", New: "web"},
	}, tags.Fields)

	must.Len(t, 1, tg.Tasks)
	task := tg.Tasks[0]
	must.Eq(t, structs.DiffTypeAdded, task.Type)
	must.Eq(t, "5000000000", findField(task.Fields, "KillTimeout").New)
	must.Eq(t, "bar", findField(task.Fields, "Env[FOO]").New)
	cfg := findObject(task.Objects, "Config", structs.DiffTypeAdded)
	must.NotNil(t, cfg)
	must.Eq(t, "1000", findField(cfg.Fields, "args[0]").New)
	must.Eq(t, "/bin/sleep", findField(cfg.Fields, "command").New)
	for _, name := range []string{"Resources", "LogConfig", "RestartPolicy", "Constraint"} {
		if name == "Constraint" {
			continue // constraints of the mock are on the job
		}
		must.NotNil(t, findObject(task.Objects, name, structs.DiffTypeAdded), must.Sprint(name))
	}
	must.NotNil(t, findObject(d.Objects, "Constraint", structs.DiffTypeAdded))
	must.NotNil(t, findObject(d.Objects, "Datacenters", structs.DiffTypeAdded))
}

func TestJob_Diff_Unchanged(t *testing.T) {
	old := mock.Job()
	old.Version, old.Status, old.JobModifyIndex, old.SubmitTime, old.Stable = 3, "running", 42, 12345, true
	cur := mock.Job()
	// A dynamic port's value is the scheduler's business, not a change.
	cur.TaskGroups[0].Networks[0].DynamicPorts[0].Value = 23456

	for _, contextual := range []bool{false, true} {
		d, err := old.Diff(cur, contextual)
		must.NoError(t, err)
		must.Eq(t, structs.DiffTypeNone, d.Type)
		must.Len(t, 1, d.TaskGroups)
		must.Eq(t, structs.DiffTypeNone, d.TaskGroups[0].Type)
		must.Eq(t, []*structs.TaskDiff{{Type: structs.DiffTypeNone, Name: "web"}}, d.TaskGroups[0].Tasks)
		must.SliceEmpty(t, d.TaskGroups[0].Objects)
	}
	must.False(t, old.SpecChanged(cur))
}

func TestJob_Diff_Edits(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(j *structs.Job)
		check  func(t *testing.T, d *structs.JobDiff)
	}{
		{
			name:   "count",
			mutate: func(j *structs.Job) { j.TaskGroups[0].Count = 3 },
			check: func(t *testing.T, d *structs.JobDiff) {
				tg := d.TaskGroups[0]
				must.Eq(t, structs.DiffTypeEdited, tg.Type)
				must.Eq(t, []*structs.FieldDiff{{Type: structs.DiffTypeEdited, Name: "Count", Old: "1", New: "3"}}, tg.Fields)
				must.Eq(t, structs.DiffTypeNone, tg.Tasks[0].Type)
			},
		},
		{
			name: "env, kill timeout and config",
			mutate: func(j *structs.Job) {
				task := j.TaskGroups[0].Tasks[0]
				task.Env["FOO"] = "baz"
				task.KillTimeout = 10 * time.Second
				task.Config["args"] = []any{"2000"}
			},
			check: func(t *testing.T, d *structs.JobDiff) {
				task := d.TaskGroups[0].Tasks[0]
				must.Eq(t, structs.DiffTypeEdited, task.Type)
				must.Eq(t, []*structs.FieldDiff{
					{Type: structs.DiffTypeEdited, Name: "Env[FOO]", Old: "bar", New: "baz"},
					{Type: structs.DiffTypeEdited, Name: "KillTimeout", Old: "5000000000", New: "10000000000"},
				}, task.Fields)
				must.Eq(t, []*structs.ObjectDiff{{Type: structs.DiffTypeEdited, Name: "Config", Fields: []*structs.FieldDiff{
					{Type: structs.DiffTypeEdited, Name: "args[0]", Old: "1000", New: "2000"},
				}}}, task.Objects)
			},
		},
		{
			name: "static port and mode",
			mutate: func(j *structs.Job) {
				n := j.TaskGroups[0].Networks[0]
				n.Mode = "host"
				n.ReservedPorts[0].Value = 8081
			},
			check: func(t *testing.T, d *structs.JobDiff) {
				tg := d.TaskGroups[0]
				must.Eq(t, []*structs.ObjectDiff{{
					Type: structs.DiffTypeEdited, Name: "Network",
					Fields: []*structs.FieldDiff{{Type: structs.DiffTypeEdited, Name: "Mode", Old: "bridge", New: "host"}},
					Objects: []*structs.ObjectDiff{{Type: structs.DiffTypeEdited, Name: "Static Port", Fields: []*structs.FieldDiff{
						{Type: structs.DiffTypeEdited, Name: "Value", Old: "8080", New: "8081"},
					}}},
				}}, tg.Objects)
			},
		},
		{
			name: "task added and deleted",
			mutate: func(j *structs.Job) {
				j.TaskGroups[0].Tasks[0].Name = "api"
			},
			check: func(t *testing.T, d *structs.JobDiff) {
				tasks := d.TaskGroups[0].Tasks
				must.Len(t, 2, tasks)
				must.Eq(t, "api", tasks[0].Name)
				must.Eq(t, structs.DiffTypeAdded, tasks[0].Type)
				must.Eq(t, "web", tasks[1].Name)
				must.Eq(t, structs.DiffTypeDeleted, tasks[1].Type)
			},
		},
		{
			name: "group added, sorted by name",
			mutate: func(j *structs.Job) {
				tg := j.TaskGroups[0].Copy()
				tg.Name = "api"
				j.TaskGroups = append(j.TaskGroups, tg)
			},
			check: func(t *testing.T, d *structs.JobDiff) {
				must.Len(t, 2, d.TaskGroups)
				must.Eq(t, "api", d.TaskGroups[0].Name)
				must.Eq(t, structs.DiffTypeAdded, d.TaskGroups[0].Type)
				must.Eq(t, "web", d.TaskGroups[1].Name)
				must.Eq(t, structs.DiffTypeNone, d.TaskGroups[1].Type)
			},
		},
		{
			name: "job meta, datacenters and constraint",
			mutate: func(j *structs.Job) {
				j.Meta["owner"] = "someone"
				j.Datacenters = []string{"dc2"}
				j.Constraints[0].RTarget = "darwin"
			},
			check: func(t *testing.T, d *structs.JobDiff) {
				must.Eq(t, []*structs.FieldDiff{{Type: structs.DiffTypeEdited, Name: "Meta[owner]", Old: "netnomad", New: "someone"}}, d.Fields)
				must.Eq(t, []*structs.ObjectDiff{
					{Type: structs.DiffTypeAdded, Name: "Constraint", Fields: []*structs.FieldDiff{
						{Type: structs.DiffTypeAdded, Name: "LTarget", New: "${attr.kernel.name}"},
						{Type: structs.DiffTypeAdded, Name: "Operand", New: "="},
						{Type: structs.DiffTypeAdded, Name: "RTarget", New: "darwin"},
					}},
					{Type: structs.DiffTypeDeleted, Name: "Constraint", Fields: []*structs.FieldDiff{
						{Type: structs.DiffTypeDeleted, Name: "LTarget", Old: "${attr.kernel.name}"},
						{Type: structs.DiffTypeDeleted, Name: "Operand", Old: "="},
						{Type: structs.DiffTypeDeleted, Name: "RTarget", Old: "linux"},
					}},
					{Type: structs.DiffTypeEdited, Name: "Datacenters", Fields: []*structs.FieldDiff{
						{Type: structs.DiffTypeAdded, Name: "Datacenters", New: "dc2"},
						{Type: structs.DiffTypeDeleted, Name: "Datacenters", Old: "dc1"},
					}},
				}, d.Objects)
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			old, cur := mock.Job(), mock.Job()
			tc.mutate(cur)
			d, err := old.Diff(cur, false)
			must.NoError(t, err)
			must.Eq(t, structs.DiffTypeEdited, d.Type)
			tc.check(t, d)
			must.True(t, old.SpecChanged(cur))
		})
	}
}

// TestJob_Diff_Upstream is the reference's countdash example: an upstream's bind
// port changes, and the contextual diff shows the path down to two upstream objects.
func TestJob_Diff_Upstream(t *testing.T) {
	d, err := connectJob(8080).Diff(connectJob(8081), true)
	must.NoError(t, err)
	tg := d.TaskGroups[0]
	must.Eq(t, structs.DiffTypeEdited, tg.Type)
	must.Eq(t, &structs.FieldDiff{Type: structs.DiffTypeNone, Name: "Count", Old: "1", New: "1"}, findField(tg.Fields, "Count"))

	svc := findObject(tg.Objects, "Service", structs.DiffTypeEdited)
	must.NotNil(t, svc)
	must.Eq(t, &structs.FieldDiff{Type: structs.DiffTypeNone, Name: "PortLabel", Old: "9002", New: "9002"}, findField(svc.Fields, "PortLabel"))
	connect := findObject(svc.Objects, "ConsulConnect", structs.DiffTypeEdited)
	must.NotNil(t, connect)
	must.Eq(t, []*structs.FieldDiff{{Type: structs.DiffTypeNone, Name: "Native", Old: "false", New: "false"}}, connect.Fields)
	sidecar := findObject(connect.Objects, "SidecarService", structs.DiffTypeEdited)
	must.NotNil(t, sidecar)
	proxy := findObject(sidecar.Objects, "ConsulProxy", structs.DiffTypeEdited)
	must.NotNil(t, proxy)
	must.Eq(t, []*structs.ObjectDiff{
		{Type: structs.DiffTypeAdded, Name: "ConsulUpstreams", Fields: []*structs.FieldDiff{
			{Type: structs.DiffTypeNone, Name: "Datacenter"},
			{Type: structs.DiffTypeAdded, Name: "DestinationName", New: "count-api"},
			{Type: structs.DiffTypeNone, Name: "LocalBindAddress"},
			{Type: structs.DiffTypeAdded, Name: "LocalBindPort", New: "8081"},
		}},
		{Type: structs.DiffTypeDeleted, Name: "ConsulUpstreams", Fields: []*structs.FieldDiff{
			{Type: structs.DiffTypeNone, Name: "Datacenter"},
			{Type: structs.DiffTypeDeleted, Name: "DestinationName", Old: "count-api"},
			{Type: structs.DiffTypeNone, Name: "LocalBindAddress"},
			{Type: structs.DiffTypeDeleted, Name: "LocalBindPort", Old: "8080"},
		}},
	}, proxy.Objects)
	// Unchanged tasks carry no fields even in a contextual diff.
	must.Eq(t, []*structs.TaskDiff{{Type: structs.DiffTypeNone, Name: "web"}}, tg.Tasks)
}

func TestJob_Diff_Errors(t *testing.T) {
	other := mock.Job()
	other.ID = "other"
	_, err := mock.Job().Diff(other, false)
	must.EqError(t, err, `can not diff jobs with different IDs: "example" and "other"`)

	d, err := mock.Job().Diff(nil, false)
	must.NoError(t, err)
	must.Eq(t, structs.DiffTypeDeleted, d.Type)
	must.Eq(t, structs.DiffTypeDeleted, d.TaskGroups[0].Type)
	must.Eq(t, structs.DiffTypeDeleted, d.TaskGroups[0].Tasks[0].Type)
}

func TestJob_SpecChanged_Stop(t *testing.T) {
	old, cur := mock.Job(), mock.Job()
	old.Stop = true
	must.True(t, old.SpecChanged(cur))
	must.True(t, old.SpecChanged(nil))
	must.False(t, (*structs.Job)(nil).SpecChanged(nil))
}
