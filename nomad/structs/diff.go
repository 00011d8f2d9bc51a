package structs

import (
	"encoding/json"
	"fmt"
)

// Diff types, field-for-field the shape of nomad/api's JobDiff so the HTTP layer can
// hand them to `nomad job plan` unchanged.
const (
	DiffTypeNone    = "None"
	DiffTypeAdded   = "Added"
	DiffTypeDeleted = "Deleted"
	DiffTypeEdited  = "Edited"
)

// JobDiff is the difference between two versions of a job.
type JobDiff struct {
	Type       string
	ID         string
	Fields     []*FieldDiff
	Objects    []*ObjectDiff
	TaskGroups []*TaskGroupDiff
}

// TaskGroupDiff is the difference of one task group; Updates counts what the plan
// does to its allocations ("create", "destroy", "in-place update", ...).
type TaskGroupDiff struct {
	Type    string
	Name    string
	Fields  []*FieldDiff
	Objects []*ObjectDiff
	Tasks   []*TaskDiff
	Updates map[string]uint64
}

// TaskDiff is the difference of one task; Annotations say what it forces
// ("forces create", "forces in-place update", ...).
type TaskDiff struct {
	Type        string
	Name        string
	Fields      []*FieldDiff
	Objects     []*ObjectDiff
	Annotations []string
}

// FieldDiff is one changed primitive field.
type FieldDiff struct {
	Type        string
	Name        string
	Old, New    string
	Annotations []string
}

// ObjectDiff is one changed nested object ("Network", "Static Port", "Service", ...).
type ObjectDiff struct {
	Type    string
	Name    string
	Fields  []*FieldDiff
	Objects []*ObjectDiff
}

// Diff returns the difference from j (the old job, may be nil) to other (the new
// job, may be nil), in the shape `nomad job plan` prints: task groups and tasks
// sorted by name, fields sorted by name, values formatted as Nomad formats them
// (durations as integer nanoseconds, booleans as "true"/"false"). contextual also
// includes the unchanged fields of added, deleted and edited objects (type None), as
// the plan endpoint asks for; unchanged objects and the fields of unchanged tasks are
// always left out. Server-owned fields (Status, Version, indexes, SubmitTime, Stable)
// are ignored. It fails only when both jobs are set and their IDs differ.
func (j *Job) Diff(other *Job, contextual bool) (*JobDiff, error) {
	diff := &JobDiff{Type: DiffTypeNone}
	switch {
	case j == nil && other == nil:
		return diff, nil
	case j == nil:
		diff.Type, diff.ID = DiffTypeAdded, other.ID
	case other == nil:
		diff.Type, diff.ID = DiffTypeDeleted, j.ID
	default:
		if j.ID != other.ID {
			return nil, fmt.Errorf("can not diff jobs with different IDs: %q and %q", j.ID, other.ID)
		}
		diff.ID = other.ID
	}

	var old, cur *Job = j, other
	if old == nil {
		old = &Job{}
	}
	if cur == nil {
		cur = &Job{}
	}
	diff.Fields = fieldDiffs(j.flat(), other.flat(), contextual)
	diff.Objects = appendObj(diff.Objects, stringSetDiff(old.Datacenters, cur.Datacenters, "Datacenters", contextual))
	diff.Objects = append(diff.Objects, constraintDiffs(old.Constraints, cur.Constraints, contextual)...)
	sortObjects(diff.Objects)
	diff.TaskGroups = taskGroupDiffs(old.TaskGroups, cur.TaskGroups, contextual)

	if diff.Type == DiffTypeNone && (changed(diff.Fields, diff.Objects) || groupsChanged(diff.TaskGroups)) {
		diff.Type = DiffTypeEdited
	}
	return diff, nil
}

func groupsChanged(tgs []*TaskGroupDiff) bool {
	for _, tg := range tgs {
		if tg.Type != DiffTypeNone {
			return true
		}
	}
	return false
}

// SpecChanged reports whether other differs from j in anything a user submits,
// ignoring the fields the server owns (Status, StatusDescription, Stable, Version,
// SubmitTime and the indexes) and dynamic port values. Stop counts as a change:
// re-running a stopped job with the same spec starts it again.
func (j *Job) SpecChanged(other *Job) bool {
	if j == nil || other == nil {
		return j != other
	}
	return string(specBytes(j)) != string(specBytes(other))
}

// specBytes is the job's canonical JSON without server-owned fields and without
// dynamic port values (the scheduler's, as in Diff). encoding/json sorts map keys,
// so equal specs give equal bytes.
func specBytes(j *Job) []byte {
	c := j.Copy()
	c.Status, c.StatusDescription, c.Stable, c.Version, c.SubmitTime = "", "", false, 0, 0
	c.CreateIndex, c.ModifyIndex, c.JobModifyIndex = 0, 0, 0
	clearDynamic := func(ns NetworkResources) {
		for _, n := range ns {
			if n == nil {
				continue
			}
			for i := range n.DynamicPorts {
				n.DynamicPorts[i].Value = 0
			}
		}
	}
	for _, tg := range c.TaskGroups {
		if tg == nil {
			continue
		}
		clearDynamic(tg.Networks)
		for _, t := range tg.Tasks {
			if t != nil && t.Resources != nil {
				clearDynamic(t.Resources.Networks)
			}
		}
	}
	b, err := json.Marshal(c)
	if err != nil {
		panic(fmt.Sprintf("structs: marshal job %q: %v", j.ID, err))
	}
	return b
}
