package scheduler

import (
	"fmt"
	"strconv"

	"github.com/netnomad/netnomad/nomad/structs"
)

// Task annotations, as `nomad job plan` prints them after a task: `(forces create)`.
const (
	AnnotationForcesCreate            = "forces create"
	AnnotationForcesDestroy           = "forces destroy"
	AnnotationForcesInplaceUpdate     = "forces in-place update"
	AnnotationForcesDestructiveUpdate = "forces create/destroy update"
)

// Keys of TaskGroupDiff.Updates, as `nomad job plan` prints them after a group:
// `(1 create, 2 in-place update)`.
const (
	UpdateTypeIgnore            = "ignore"
	UpdateTypeCreate            = "create"
	UpdateTypeDestroy           = "destroy"
	UpdateTypeMigrate           = "migrate"
	UpdateTypeCanary            = "canary"
	UpdateTypeInplaceUpdate     = "in-place update"
	UpdateTypeDestructiveUpdate = "create/destroy update"
)

// Annotate decorates a job diff, in place, with what the plan does: each group's
// Updates from annotations.DesiredTGUpdates (zero counts are left out), a "forces
// create"/"forces destroy" annotation on a changed Count field, and on each changed
// task whether it forces a create, a destroy, an in-place update or a create/destroy
// update. annotations may be nil (then only the diff-derived annotations are set).
// It fails only on a Count field that is not a number.
func Annotate(diff *structs.JobDiff, annotations *structs.PlanAnnotations) error {
	if diff == nil {
		return nil
	}
	for _, tg := range diff.TaskGroups {
		if err := annotateTaskGroup(tg, annotations); err != nil {
			return err
		}
	}
	return nil
}

func annotateTaskGroup(diff *structs.TaskGroupDiff, annotations *structs.PlanAnnotations) error {
	if annotations != nil {
		if u, ok := annotations.DesiredTGUpdates[diff.Name]; ok && u != nil {
			if diff.Updates == nil {
				diff.Updates = make(map[string]uint64, 7)
			}
			set := func(key string, n uint64) {
				if n != 0 {
					diff.Updates[key] = n
				}
			}
			set(UpdateTypeIgnore, u.Ignore)
			set(UpdateTypeCreate, u.Place)
			set(UpdateTypeMigrate, u.Migrate)
			set(UpdateTypeDestroy, u.Stop)
			set(UpdateTypeCanary, u.Canary)
			set(UpdateTypeInplaceUpdate, u.InPlaceUpdate)
			set(UpdateTypeDestructiveUpdate, u.DestructiveUpdate)
		}
	}
	if err := annotateCountChange(diff); err != nil {
		return err
	}
	for _, t := range diff.Tasks {
		annotateTask(t, diff)
	}
	return nil
}

// annotateCountChange marks a grown count "forces create" and a shrunk one
// "forces destroy".
func annotateCountChange(diff *structs.TaskGroupDiff) error {
	for _, f := range diff.Fields {
		if f.Name != "Count" || f.Type == structs.DiffTypeNone {
			continue
		}
		oldV, err := countValue(f.Old)
		if err != nil {
			return err
		}
		newV, err := countValue(f.New)
		if err != nil {
			return err
		}
		switch {
		case oldV < newV:
			f.Annotations = append(f.Annotations, AnnotationForcesCreate)
		case newV < oldV:
			f.Annotations = append(f.Annotations, AnnotationForcesDestroy)
		}
		return nil
	}
	return nil
}

func countValue(s string) (int, error) {
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("failed to parse count %q: %w", s, err)
	}
	return n, nil
}

// inPlaceObjects are the task objects whose changes the client applies without
// replacing the allocation.
var inPlaceObjects = map[string]bool{"LogConfig": true, "Service": true, "Constraint": true}

// annotateTask says what a task's change forces. Tasks of an added or deleted group
// force a create or destroy; otherwise any changed field but KillTimeout, or any
// changed object but log config, services and constraints, forces a create/destroy
// update, and anything else an in-place update.
func annotateTask(diff *structs.TaskDiff, parent *structs.TaskGroupDiff) {
	if diff.Type == structs.DiffTypeNone {
		return
	}
	if parent.Type == structs.DiffTypeAdded || parent.Type == structs.DiffTypeDeleted {
		switch diff.Type {
		case structs.DiffTypeAdded:
			diff.Annotations = append(diff.Annotations, AnnotationForcesCreate)
			return
		case structs.DiffTypeDeleted:
			diff.Annotations = append(diff.Annotations, AnnotationForcesDestroy)
			return
		}
	}

	destructive := false
	for _, f := range diff.Fields {
		if f.Type != structs.DiffTypeNone && f.Name != "KillTimeout" {
			destructive = true
			break
		}
	}
	if !destructive {
		for _, o := range diff.Objects {
			if o.Type != structs.DiffTypeNone && !inPlaceObjects[o.Name] {
				destructive = true
				break
			}
		}
	}
	if destructive {
		diff.Annotations = append(diff.Annotations, AnnotationForcesDestructiveUpdate)
	} else {
		diff.Annotations = append(diff.Annotations, AnnotationForcesInplaceUpdate)
	}
}
