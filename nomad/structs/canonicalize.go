package structs

import (
	"time"
)

// Canonicalize fills Nomad's defaults into a job, in place, so that every later
// stage (validation, admission hooks, scheduler, client) sees explicit values.
// It is idempotent.
func (j *Job) Canonicalize() {
	if j == nil {
		return
	}
	if j.Region == "" {
		j.Region = DefaultRegion
	}
	if j.Namespace == "" {
		j.Namespace = DefaultNamespace
	}
	if j.Name == "" {
		j.Name = j.ID
	}
	if j.Type == "" {
		j.Type = JobTypeService
	}
	if j.Priority == 0 {
		j.Priority = DefaultPriority
	}
	if len(j.Datacenters) == 0 {
		j.Datacenters = []string{"*"}
	}
	for _, tg := range j.TaskGroups {
		tg.canonicalize(j)
	}
}

// canonicalize fills a group's defaults. Count is left alone: the API converter
// turns an unset count into 1, and an explicit 0 must stay 0 (scaled to zero).
func (tg *TaskGroup) canonicalize(job *Job) {
	if tg.RestartPolicy == nil {
		tg.RestartPolicy = DefaultRestartPolicy(job.Type)
	}
	if tg.ReschedulePolicy == nil {
		if job.Reschedule != nil && job.Type != JobTypeSystem {
			rp := *job.Reschedule
			tg.ReschedulePolicy = &rp
		} else {
			tg.ReschedulePolicy = DefaultReschedulePolicy(job.Type)
		}
	}
	for _, n := range tg.Networks {
		n.canonicalize()
	}
	for _, s := range tg.Services {
		s.canonicalize(job.Name + "-" + tg.Name)
	}
	for _, t := range tg.Tasks {
		t.canonicalize(job, tg)
	}
}

func (t *Task) canonicalize(job *Job, tg *TaskGroup) {
	if t.RestartPolicy == nil {
		rp := *tg.RestartPolicy
		t.RestartPolicy = &rp
	}
	if t.KillTimeout == 0 {
		t.KillTimeout = 5 * time.Second
	}
	if t.LogConfig == nil {
		t.LogConfig = &LogConfig{}
	}
	if t.LogConfig.MaxFiles == 0 {
		t.LogConfig.MaxFiles = 10
	}
	if t.LogConfig.MaxFileSizeMB == 0 {
		t.LogConfig.MaxFileSizeMB = 10
	}
	if t.Resources == nil {
		t.Resources = &Resources{}
	}
	if t.Resources.CPU == 0 {
		t.Resources.CPU = 100
	}
	if t.Resources.MemoryMB == 0 {
		t.Resources.MemoryMB = 300
	}
	for _, n := range t.Resources.Networks {
		n.canonicalize()
	}
	for _, s := range t.Services {
		s.canonicalize(job.Name + "-" + tg.Name + "-" + t.Name)
	}
}

func (n *NetworkResource) canonicalize() {
	if n.Mode == "" {
		n.Mode = NetworkModeHost
	}
	if n.MBits == 0 {
		n.MBits = 10
	}
	for i := range n.ReservedPorts {
		if n.ReservedPorts[i].HostNetwork == "" {
			n.ReservedPorts[i].HostNetwork = "default"
		}
	}
	for i := range n.DynamicPorts {
		if n.DynamicPorts[i].HostNetwork == "" {
			n.DynamicPorts[i].HostNetwork = "default"
		}
	}
}

func (s *Service) canonicalize(defaultName string) {
	if s.Name == "" {
		s.Name = defaultName
	}
	if s.AddressMode == "" {
		s.AddressMode = AddressModeAuto
	}
	for _, c := range s.Checks {
		if c.Name == "" {
			c.Name = "service: \"" + s.Name + "\" check"
		}
	}
}

// DefaultRestartPolicy returns Nomad's restart policy for a job type.
func DefaultRestartPolicy(jobType string) *RestartPolicy {
	if jobType == JobTypeBatch {
		return &RestartPolicy{Attempts: 3, Interval: 24 * time.Hour, Delay: 15 * time.Second, Mode: RestartPolicyModeFail}
	}
	return &RestartPolicy{Attempts: 2, Interval: 30 * time.Minute, Delay: 15 * time.Second, Mode: RestartPolicyModeFail}
}
