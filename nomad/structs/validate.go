package structs

// Validate reports every problem with the job at once, each with its path
// (`group "api" -> network -> port "http": ...`). It expects a canonicalized job.
// STUB: filled in by the validation work.
func (j *Job) Validate() error { return nil }

// Warnings reports non-fatal problems (deprecations and the like), or nil.
func (j *Job) Warnings() error { return nil }
