package structs

import (
	"time"
)

// Job types.
const (
	JobTypeService = "service"
	JobTypeBatch   = "batch"
	JobTypeSystem  = "system"
)

// Job statuses, as Nomad reports them.
const (
	JobStatusPending = "pending"
	JobStatusRunning = "running"
	JobStatusDead    = "dead"
)

// Defaults filled in by Canonicalize.
const (
	DefaultRegion     = "global"
	DefaultNamespace  = "default"
	DefaultDatacenter = "dc1"
	DefaultPriority   = 50
)

// Job is a user's submitted work: one or more task groups scheduled together.
type Job struct {
	Region      string
	Namespace   string
	ID          string
	Name        string
	Type        string
	Priority    int
	AllAtOnce   bool
	Datacenters []string
	Constraints []*Constraint
	TaskGroups  []*TaskGroup
	Meta        map[string]string
	// Reschedule is the job-level reschedule block, already merged into every
	// group's ReschedulePolicy; it is kept to be shown back as submitted.
	Reschedule *ReschedulePolicy

	// Fields owned by the server.
	Stop              bool
	Status            string
	StatusDescription string
	Stable            bool
	Version           uint64
	SubmitTime        int64
	CreateIndex       uint64
	ModifyIndex       uint64
	JobModifyIndex    uint64
}

// LookupTaskGroup returns the named group or nil.
func (j *Job) LookupTaskGroup(name string) *TaskGroup {
	for _, tg := range j.TaskGroups {
		if tg.Name == name {
			return tg
		}
	}
	return nil
}

// Stopped reports whether the job was stopped by the user.
func (j *Job) Stopped() bool { return j == nil || j.Stop }

// TaskGroup is the unit of placement: every allocation runs one copy of a group,
// and all its tasks share the group's network namespace (when it has one).
type TaskGroup struct {
	Name          string
	Count         int
	Constraints   []*Constraint
	Tasks         []*Task
	RestartPolicy *RestartPolicy
	// ReschedulePolicy is the group's, merged over the job's and the job type's
	// default field by field; nil for system jobs.
	ReschedulePolicy *ReschedulePolicy
	// Networks holds at most one group network (Nomad allows only one).
	Networks      NetworkResources
	Services      []*Service
	Meta          map[string]string
	ShutdownDelay *time.Duration
}

// LookupTask returns the named task or nil.
func (tg *TaskGroup) LookupTask(name string) *Task {
	for _, t := range tg.Tasks {
		if t.Name == name {
			return t
		}
	}
	return nil
}

// Task is one process (or container) run by a driver.
type Task struct {
	Name          string
	Driver        string
	User          string
	Lifecycle     *TaskLifecycleConfig
	Config        map[string]any
	Constraints   []*Constraint
	Env           map[string]string
	Services      []*Service
	Resources     *Resources
	RestartPolicy *RestartPolicy
	Meta          map[string]string
	KillTimeout   time.Duration
	LogConfig     *LogConfig
	Leader        bool
	ShutdownDelay time.Duration
	KillSignal    string
	// Kind marks tasks Nomad manages for the user, e.g. "connect-proxy:<service>".
	Kind string
}

// Task lifecycle hooks.
const (
	TaskLifecycleHookPrestart  = "prestart"
	TaskLifecycleHookPoststart = "poststart"
	TaskLifecycleHookPoststop  = "poststop"
)

// TaskLifecycleConfig orders a task relative to the group's main tasks.
type TaskLifecycleConfig struct {
	Hook    string
	Sidecar bool
}

// Constraint restricts placement: LTarget Operand RTarget, with interpolated targets
// such as ${attr.kernel.name}.
type Constraint struct {
	LTarget string
	RTarget string
	Operand string
}

// Constraint operands understood by the scheduler.
const (
	ConstraintDistinctHosts = "distinct_hosts"
	ConstraintRegex         = "regexp"
	ConstraintVersion       = "version"
	ConstraintSemver        = "semver"
	ConstraintSetContains   = "set_contains"
	ConstraintAttrIsSet     = "is_set"
	ConstraintAttrIsNotSet  = "is_not_set"
)

// Restart policy modes.
const (
	RestartPolicyModeDelay = "delay"
	RestartPolicyModeFail  = "fail"
)

// RestartPolicy says how often a failed task may be restarted on the same client.
type RestartPolicy struct {
	Attempts int
	Interval time.Duration
	Delay    time.Duration
	Mode     string
}

// LogConfig bounds the captured stdout/stderr of a task.
type LogConfig struct {
	MaxFiles      int
	MaxFileSizeMB int
}

// Resources a task asks for. Networks is the 0.9-style task-level network.
type Resources struct {
	CPU      int
	MemoryMB int
	DiskMB   int
	Networks NetworkResources
}
