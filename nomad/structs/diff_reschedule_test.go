package structs_test

import (
	"testing"
	"time"

	"github.com/netnomad/netnomad/nomad/mock"
	"github.com/netnomad/netnomad/nomad/structs"
	"github.com/shoenig/test/must"
)

// rescheduleJob is the mock job with a second group, both with the policy a
// job-level reschedule block merges into them.
func rescheduleJob(attempts int) *structs.Job {
	j := mock.Job()
	api := j.TaskGroups[0].Copy()
	api.Name = "api"
	j.TaskGroups = append(j.TaskGroups, api)
	j.Reschedule = &structs.ReschedulePolicy{
		Attempts: attempts, Interval: time.Hour, Delay: 5 * time.Second, DelayFunction: structs.RescheduleDelayConstant,
	}
	for _, tg := range j.TaskGroups {
		rp := *j.Reschedule
		tg.ReschedulePolicy = &rp
	}
	return j
}

// TestJob_Diff_ReschedulePolicy: a reschedule policy is diffed like the restart
// policy, as one "ReschedulePolicy" object of the group with its primitive
// fields (durations in nanoseconds), the way `nomad job plan` prints it.
func TestJob_Diff_ReschedulePolicy(t *testing.T) {
	t.Run("group attempts", func(t *testing.T) {
		old, cur := rescheduleJob(1), rescheduleJob(1)
		cur.Reschedule = nil
		cur.TaskGroups[1].ReschedulePolicy.Attempts = 3

		d, err := old.Diff(cur, false)
		must.NoError(t, err)
		must.Eq(t, structs.DiffTypeEdited, d.Type)
		must.Eq(t, structs.DiffTypeEdited, d.TaskGroups[0].Type)
		must.Eq(t, "api", d.TaskGroups[0].Name)
		must.Eq(t, []*structs.ObjectDiff{{
			Type: structs.DiffTypeEdited, Name: "ReschedulePolicy",
			Fields: []*structs.FieldDiff{{Type: structs.DiffTypeEdited, Name: "Attempts", Old: "1", New: "3"}},
		}}, d.TaskGroups[0].Objects)
		must.Eq(t, structs.DiffTypeNone, d.TaskGroups[1].Type)
		must.SliceEmpty(t, d.TaskGroups[1].Objects)
	})

	t.Run("contextual shows the unchanged fields", func(t *testing.T) {
		old, cur := rescheduleJob(1), rescheduleJob(1)
		cur.TaskGroups[0].ReschedulePolicy.Delay = 10 * time.Second

		d, err := old.Diff(cur, true)
		must.NoError(t, err)
		obj := findObject(d.TaskGroups[1].Objects, "ReschedulePolicy", structs.DiffTypeEdited)
		must.NotNil(t, obj)
		must.Eq(t, []*structs.FieldDiff{
			{Type: structs.DiffTypeNone, Name: "Attempts", Old: "1", New: "1"},
			{Type: structs.DiffTypeEdited, Name: "Delay", Old: "5000000000", New: "10000000000"},
			{Type: structs.DiffTypeNone, Name: "DelayFunction", Old: "constant", New: "constant"},
			{Type: structs.DiffTypeNone, Name: "Interval", Old: "3600000000000", New: "3600000000000"},
			{Type: structs.DiffTypeNone, Name: "MaxDelay", Old: "0", New: "0"},
			{Type: structs.DiffTypeNone, Name: "Unlimited", Old: "false", New: "false"},
		}, obj.Fields)
	})

	// Nomad keeps no job-level policy of its own: the job's block is merged
	// into the groups, and its change shows under every group it reaches.
	t.Run("job level reaches every group", func(t *testing.T) {
		d, err := rescheduleJob(1).Diff(rescheduleJob(3), false)
		must.NoError(t, err)
		must.Eq(t, structs.DiffTypeEdited, d.Type)
		must.Nil(t, findObject(d.Objects, "ReschedulePolicy", structs.DiffTypeEdited))
		must.Len(t, 2, d.TaskGroups)
		for _, tg := range d.TaskGroups {
			must.Eq(t, structs.DiffTypeEdited, tg.Type, must.Sprint(tg.Name))
			must.Eq(t, []*structs.ObjectDiff{{
				Type: structs.DiffTypeEdited, Name: "ReschedulePolicy",
				Fields: []*structs.FieldDiff{{Type: structs.DiffTypeEdited, Name: "Attempts", Old: "1", New: "3"}},
			}}, tg.Objects, must.Sprint(tg.Name))
		}
	})

	t.Run("added and removed", func(t *testing.T) {
		// The mock has Nomad's service default: unlimited, exponential from 30s.
		old, cur := mock.Job(), mock.Job()
		old.TaskGroups[0].ReschedulePolicy = nil
		d, err := old.Diff(cur, false)
		must.NoError(t, err)
		added := findObject(d.TaskGroups[0].Objects, "ReschedulePolicy", structs.DiffTypeAdded)
		must.NotNil(t, added)
		must.Eq(t, &structs.FieldDiff{Type: structs.DiffTypeAdded, Name: "Unlimited", New: "true"}, findField(added.Fields, "Unlimited"))
		must.Len(t, 6, added.Fields)

		d, err = cur.Diff(old, false)
		must.NoError(t, err)
		removed := findObject(d.TaskGroups[0].Objects, "ReschedulePolicy", structs.DiffTypeDeleted)
		must.NotNil(t, removed)
		must.Eq(t, &structs.FieldDiff{Type: structs.DiffTypeDeleted, Name: "MaxDelay", Old: "3600000000000"}, findField(removed.Fields, "MaxDelay"))
	})
}
