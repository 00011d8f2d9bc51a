package structs

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
// job). contextual includes unchanged fields of edited objects, as `-verbose` shows.
// STUB: filled in by the diff work.
func (j *Job) Diff(other *Job, contextual bool) (*JobDiff, error) {
	return &JobDiff{Type: DiffTypeNone}, nil
}
