package structs

import "time"

// Desired statuses: what the server wants the client to do with an allocation.
const (
	AllocDesiredStatusRun   = "run"
	AllocDesiredStatusStop  = "stop"
	AllocDesiredStatusEvict = "evict"
)

// Client statuses: what the client reports about an allocation.
const (
	AllocClientStatusPending  = "pending"
	AllocClientStatusRunning  = "running"
	AllocClientStatusComplete = "complete"
	AllocClientStatusFailed   = "failed"
	AllocClientStatusLost     = "lost"
)

// Allocation is one placement of a task group on a node.
type Allocation struct {
	ID        string
	Namespace string
	EvalID    string
	// Name is "<job>.<group>[<index>]".
	Name      string
	NodeID    string
	NodeName  string
	JobID     string
	Job       *Job
	TaskGroup string

	AllocatedResources *AllocatedResources
	Metrics            *AllocMetric

	DesiredStatus      string
	DesiredDescription string
	ClientStatus       string
	ClientDescription  string
	TaskStates         map[string]*TaskState
	NetworkStatus      *AllocNetworkStatus

	// PreviousAllocation is the allocation this one replaced; NextAllocation
	// the one that replaced it (set by the state store when its replacement is
	// written).
	PreviousAllocation string
	NextAllocation     string
	// RescheduleTracker is the reschedule history of the chain this allocation
	// ends; FollowupEvalID the delayed evaluation that will reschedule it.
	RescheduleTracker *RescheduleTracker
	FollowupEvalID    string

	CreateIndex      uint64
	ModifyIndex      uint64
	AllocModifyIndex uint64
	CreateTime       int64
	ModifyTime       int64
}

// TerminalStatus reports whether the allocation is, or is meant to be, finished.
func (a *Allocation) TerminalStatus() bool {
	switch a.DesiredStatus {
	case AllocDesiredStatusStop, AllocDesiredStatusEvict:
		return true
	}
	return a.ClientTerminalStatus()
}

// ClientTerminalStatus reports whether the client has finished the allocation.
func (a *Allocation) ClientTerminalStatus() bool {
	switch a.ClientStatus {
	case AllocClientStatusComplete, AllocClientStatusFailed, AllocClientStatusLost:
		return true
	}
	return false
}

// Index returns the allocation's index within its group (the N in "job.group[N]").
func (a *Allocation) Index() int {
	l := len(a.Name)
	start := -1
	for i := l - 1; i >= 0; i-- {
		if a.Name[i] == '[' {
			start = i + 1
			break
		}
	}
	if start < 0 || l == 0 || a.Name[l-1] != ']' {
		return 0
	}
	n := 0
	for _, c := range a.Name[start : l-1] {
		if c < '0' || c > '9' {
			return 0
		}
		n = n*10 + int(c-'0')
	}
	return n
}

// LookupTaskGroup returns the allocation's group from its job snapshot.
func (a *Allocation) LookupTaskGroup() *TaskGroup {
	if a.Job == nil {
		return nil
	}
	return a.Job.LookupTaskGroup(a.TaskGroup)
}

// AllocatedResources are the resources the scheduler gave an allocation.
type AllocatedResources struct {
	Tasks  map[string]*AllocatedTaskResources
	Shared AllocatedSharedResources
}

// AllocatedTaskResources are one task's share. Networks holds the task's 0.9-style
// network with host ports assigned.
type AllocatedTaskResources struct {
	CPUShares int64
	MemoryMB  int64
	Networks  NetworkResources
}

// AllocatedSharedResources are the group's: its network (host ports assigned) and
// the flattened port mappings the client and the env builder use.
type AllocatedSharedResources struct {
	DiskMB   int64
	Networks NetworkResources
	Ports    AllocatedPorts
}

// AllocMetric explains a placement, or why it failed.
type AllocMetric struct {
	NodesEvaluated     int
	NodesFiltered      int
	NodesAvailable     map[string]int
	ClassFiltered      map[string]int
	ConstraintFiltered map[string]int
	NodesExhausted     int
	ClassExhausted     map[string]int
	DimensionExhausted map[string]int
	// Scores is deprecated (Nomad 0.9) and left empty: every scorer of every
	// node made each allocation heavy. ScoreMetaData replaces it.
	Scores            map[string]float64
	AllocationTime    time.Duration
	CoalescedFailures int
	// ScoreMetaData holds the MaxRetainedNodeScores best scored nodes, best
	// first; on a placed allocation the first is the chosen node.
	ScoreMetaData []*NodeScoreMeta
}

// Task states.
const (
	TaskStatePending = "pending"
	TaskStateRunning = "running"
	TaskStateDead    = "dead"
)

// TaskState is a task's lifecycle as the client reports it.
type TaskState struct {
	State       string
	Failed      bool
	Restarts    uint64
	LastRestart time.Time
	StartedAt   time.Time
	FinishedAt  time.Time
	Events      []*TaskEvent
}

// Task event types, spelled as Nomad spells them (users grep for these).
const (
	TaskReceived            = "Received"
	TaskSetup               = "Task Setup"
	TaskSetupFailure        = "Setup Failure"
	TaskDriverFailure       = "Driver Failure"
	TaskStarted             = "Started"
	TaskTerminated          = "Terminated"
	TaskKilling             = "Killing"
	TaskKilled              = "Killed"
	TaskRestarting          = "Restarting"
	TaskNotRestarting       = "Not Restarting"
	TaskRestartSignal       = "Restart Signaled"
	TaskSiblingFailed       = "Sibling Task Failed"
	TaskLeaderDead          = "Leader Task Dead"
	TaskHookFailed          = "Task hook failed"
	TaskMainDead            = "Main Tasks Dead"
	TaskWaitingShuttingDown = "Waiting for shutdown delay"
)

// TaskEvent is one line of a task's history in `nomad alloc status`.
type TaskEvent struct {
	Type           string
	Time           int64
	DisplayMessage string
	Details        map[string]string
	Message        string
	FailsTask      bool
	RestartReason  string
	SetupError     string
	DriverError    string
	ExitCode       int
	Signal         int
	KillReason     string
	KillTimeout    time.Duration
	KillError      string
	StartDelay     int64
	FailedSibling  string
}

// NewTaskEvent returns an event of the given type stamped with the current time.
func NewTaskEvent(typ string) *TaskEvent {
	return &TaskEvent{Type: typ, Time: time.Now().UnixNano(), Details: map[string]string{}}
}
