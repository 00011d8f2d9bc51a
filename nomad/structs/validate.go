package structs

import (
	"fmt"
	"strings"
	"time"

	multierror "github.com/hashicorp/go-multierror"
)

// Job priority bounds.
const (
	JobMinPriority = 1
	JobMaxPriority = 100
)

// Minimum values a task may ask for, as Nomad enforces them.
const (
	MinCPU      = 1
	MinMemoryMB = 10
	// RestartPolicyMinInterval is the shortest restart interval Nomad accepts.
	RestartPolicyMinInterval = 5 * time.Second
)

// validator collects every problem found in a job, each prefixed with the path of
// the object it was found in (`group "api" -> network: ...`).
type validator struct {
	errs *multierror.Error
}

// addf records one problem at path (may be empty for job-level problems).
func (v *validator) addf(path, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if path != "" {
		msg = path + ": " + msg
	}
	v.errs = multierror.Append(v.errs, fmt.Errorf("%s", msg))
}

func (v *validator) err() error { return v.errs.ErrorOrNil() }

// joinPath appends a path element: joinPath(`group "a"`, "network") is
// `group "a" -> network`.
func joinPath(parent, elem string) string {
	if parent == "" {
		return elem
	}
	return parent + " -> " + elem
}

// Validate reports every problem with the job at once, as a *multierror.Error whose
// entries each start with the path of the offending object
// (`group "api" -> network: Port "http" cannot be mapped to negative value -2`) and use
// Nomad's wording where Nomad has one. It expects a canonicalized job (see
// Canonicalize): defaults such as the restart policy and log config must be present.
// A nil error means the job is valid.
func (j *Job) Validate() error {
	v := &validator{}
	if j == nil {
		v.addf("", "Missing job")
		return v.err()
	}
	j.validateJob(v)
	return v.err()
}

func (j *Job) validateJob(v *validator) {
	switch {
	case j.ID == "":
		v.addf("", "Missing job ID")
	case strings.Contains(j.ID, " "):
		v.addf("", "Job ID contains a space")
	case strings.Contains(j.ID, "\x00"):
		v.addf("", "Job ID contains a null character")
	}
	switch {
	case j.Name == "":
		v.addf("", "Missing job name")
	case strings.Contains(j.Name, "\x00"):
		v.addf("", "Job Name contains a null character")
	}
	switch j.Type {
	case JobTypeService, JobTypeBatch, JobTypeSystem:
	case "":
		v.addf("", "Missing job type")
	default:
		v.addf("", "Invalid job type: %q", j.Type)
	}
	if j.Priority < JobMinPriority || j.Priority > JobMaxPriority {
		v.addf("", "Job priority must be between [%d, %d]", JobMinPriority, JobMaxPriority)
	}
	if len(j.Datacenters) == 0 {
		v.addf("", "Missing job datacenters")
	}
	for _, dc := range j.Datacenters {
		if dc == "" {
			v.addf("", "Job datacenter must be non-empty string")
			break
		}
	}
	for i, c := range j.Constraints {
		validateConstraint(v, fmt.Sprintf("constraint %d", i+1), c)
	}
	if len(j.TaskGroups) == 0 {
		v.addf("", "Missing job task groups")
	}

	seen := map[string]int{}
	for i, tg := range j.TaskGroups {
		if tg == nil {
			v.addf("", "Job task group %d is empty", i+1)
			continue
		}
		if tg.Name == "" {
			v.addf("", "Job task group %d missing name", i+1)
		} else if prev, ok := seen[tg.Name]; ok {
			v.addf("", "Job task group %d redefines '%s' from group %d", i+1, tg.Name, prev+1)
		} else {
			seen[tg.Name] = i
		}
		tg.validate(v, j)
	}
}

// groupPath is the path prefix of a group's problems.
func groupPath(tg *TaskGroup) string { return fmt.Sprintf("group %q", tg.Name) }

func (tg *TaskGroup) validate(v *validator, j *Job) {
	path := groupPath(tg)
	if tg.Count < 0 {
		v.addf(path, "Task group count can't be negative")
	}
	if len(tg.Tasks) == 0 {
		v.addf(path, "Missing tasks for task group")
	}
	if tg.ShutdownDelay != nil && *tg.ShutdownDelay < 0 {
		v.addf(path, "shutdown_delay must be >= 0")
	}
	for i, c := range tg.Constraints {
		validateConstraint(v, joinPath(path, fmt.Sprintf("constraint %d", i+1)), c)
	}
	if tg.RestartPolicy == nil {
		v.addf(path, "Task Group %v should have a restart policy", tg.Name)
	} else {
		tg.RestartPolicy.validate(v, joinPath(path, "restart"))
	}
	switch {
	case j.Type == JobTypeSystem:
		if tg.ReschedulePolicy != nil {
			v.addf(path, "System jobs should not have a reschedule policy")
		}
	case tg.ReschedulePolicy == nil:
		v.addf(path, "Task Group %v should have a reschedule policy", tg.Name)
	default:
		tg.ReschedulePolicy.validate(v, joinPath(path, "reschedule"))
	}

	seen := map[string]int{}
	leaders := 0
	for i, t := range tg.Tasks {
		if t == nil {
			v.addf(path, "Task %d is empty", i+1)
			continue
		}
		if t.Name != "" {
			if prev, ok := seen[t.Name]; ok {
				v.addf(path, "Task %d redefines '%s' from task %d", i+1, t.Name, prev+1)
			} else {
				seen[t.Name] = i
			}
		}
		if t.Leader {
			leaders++
		}
		t.validate(v, joinPath(path, taskElem(t, i)), tg)
	}
	if leaders > 1 {
		v.addf(path, "Only one task may be marked as leader")
	}

	tg.validateNetworks(v)
	tg.validateServices(v, j)
}

// taskElem names a task in a path, falling back to its position when unnamed.
func taskElem(t *Task, i int) string {
	if t.Name == "" {
		return fmt.Sprintf("task %d", i+1)
	}
	return fmt.Sprintf("task %q", t.Name)
}

func (t *Task) validate(v *validator, path string, tg *TaskGroup) {
	if t.Name == "" {
		v.addf(path, "Missing task name")
	}
	if strings.ContainsAny(t.Name, `/\`) {
		v.addf(path, "Task name cannot include slashes")
	}
	if strings.Contains(t.Name, "\x00") {
		v.addf(path, "Task name cannot include null characters")
	}
	if t.Driver == "" {
		v.addf(path, "Missing task driver")
	}
	if t.KillTimeout < 0 {
		v.addf(path, "KillTimeout must be a positive value")
	}
	if t.ShutdownDelay < 0 {
		v.addf(path, "ShutdownDelay must be a positive value")
	}
	for i, c := range t.Constraints {
		validateConstraint(v, joinPath(path, fmt.Sprintf("constraint %d", i+1)), c)
	}
	if t.RestartPolicy != nil {
		t.RestartPolicy.validate(v, joinPath(path, "restart"))
	}
	if t.Lifecycle != nil {
		switch t.Lifecycle.Hook {
		case TaskLifecycleHookPrestart, TaskLifecycleHookPoststart, TaskLifecycleHookPoststop:
		case "":
			v.addf(joinPath(path, "lifecycle"), "no lifecycle hook provided")
		default:
			v.addf(joinPath(path, "lifecycle"), "invalid hook: %v", t.Lifecycle.Hook)
		}
	}

	if t.Resources == nil {
		v.addf(path, "Missing task resources")
	} else {
		t.Resources.validate(v, joinPath(path, "resources"))
	}
	if t.LogConfig == nil {
		v.addf(path, "Missing Log Config")
	} else {
		t.LogConfig.validate(v, joinPath(path, "logs"))
		if t.Resources != nil && t.Resources.DiskMB > 0 {
			if usage := t.LogConfig.MaxFiles * t.LogConfig.MaxFileSizeMB; usage >= t.Resources.DiskMB {
				v.addf(joinPath(path, "logs"), "log storage (%d MB) must be less than requested disk capacity (%d MB)", usage, t.Resources.DiskMB)
			}
		}
	}

	if strings.HasPrefix(t.Kind, connectProxyKindPrefix) {
		if len(t.Services) > 0 {
			v.addf(path, "Connect proxy task must not have a service stanza")
		}
		if t.Leader {
			v.addf(path, "Connect proxy task must not have leader set")
		}
		svc := strings.TrimPrefix(t.Kind, connectProxyKindPrefix)
		found := false
		for _, s := range tg.Services {
			if s.Name == svc && s.Connect.HasSidecar() {
				found = true
			}
		}
		if !found {
			v.addf(path, "Connect proxy service name not found in services from task group")
		}
	}
}

// connectProxyKindPrefix starts the Kind of a Connect sidecar task.
const connectProxyKindPrefix = "connect-proxy:"

func (r *RestartPolicy) validate(v *validator, path string) {
	switch r.Mode {
	case RestartPolicyModeDelay, RestartPolicyModeFail:
	default:
		v.addf(path, "Unsupported restart mode: %q", r.Mode)
	}
	if r.Attempts < 0 {
		v.addf(path, "Restart attempts can not be negative; got %d", r.Attempts)
	}
	if r.Attempts == 0 && r.Mode != RestartPolicyModeFail {
		v.addf(path, "Restart policy %q with %d attempts is ambiguous", r.Mode, r.Attempts)
	}
	if r.Delay < 0 {
		v.addf(path, "Restart delay can not be negative; got %v", r.Delay)
	}
	if r.Interval < RestartPolicyMinInterval {
		v.addf(path, "Interval can not be less than %v (got %v)", RestartPolicyMinInterval, r.Interval)
	}
	if r.Attempts > 0 && time.Duration(r.Attempts)*r.Delay > r.Interval {
		v.addf(path, "Nomad can't restart the TaskGroup %v times in an interval of %v with a delay of %v", r.Attempts, r.Interval, r.Delay)
	}
}

func (r *Resources) validate(v *validator, path string) {
	if r.CPU < MinCPU {
		v.addf(path, "Minimum CPU value is %d; got %d", MinCPU, r.CPU)
	}
	if r.MemoryMB < MinMemoryMB {
		v.addf(path, "Minimum MemoryMB value is %d; got %d", MinMemoryMB, r.MemoryMB)
	}
	if r.DiskMB < 0 {
		v.addf(path, "DiskMB can not be negative; got %d", r.DiskMB)
	}
}

func (l *LogConfig) validate(v *validator, path string) {
	if l.MaxFiles < 1 {
		v.addf(path, "minimum number of files is 1; got %d", l.MaxFiles)
	}
	if l.MaxFileSizeMB < 1 {
		v.addf(path, "minimum file size is 1MB; got %d", l.MaxFileSizeMB)
	}
}

// Warnings reports non-fatal problems (deprecations and the like) as a
// *multierror.Error, or nil. Like Validate it expects a canonicalized job.
func (j *Job) Warnings() error {
	if j == nil {
		return nil
	}
	v := &validator{}
	for _, tg := range j.TaskGroups {
		if tg == nil {
			continue
		}
		path := groupPath(tg)
		for _, n := range tg.Networks {
			warnMBits(v, joinPath(path, "network"), n)
		}
		for i, t := range tg.Tasks {
			if t == nil || t.Resources == nil {
				continue
			}
			tpath := joinPath(path, taskElem(t, i))
			if len(t.Resources.Networks) > 0 {
				v.addf(tpath, "task network resources have been deprecated as of Nomad 0.12.0. Please configure networking via group network block.")
			}
			for _, n := range t.Resources.Networks {
				warnMBits(v, joinPath(tpath, "network"), n)
			}
		}
	}
	return v.err()
}

// warnMBits warns about an explicitly set mbits. Canonicalize fills 10 when unset,
// so only other values are known to come from the user.
func warnMBits(v *validator, path string, n *NetworkResource) {
	if n != nil && n.MBits != 0 && n.MBits != 10 {
		v.addf(path, "mbits has been deprecated as of Nomad 0.12.0. Please remove mbits from the network block")
	}
}
