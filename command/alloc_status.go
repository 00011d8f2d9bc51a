package command

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/nomad/api"
)

// AllocStatusCommand is `nomad alloc status`: one allocation's header, its
// network addresses and, per task, resources and recent events.
type AllocStatusCommand struct {
	Meta
}

func (c *AllocStatusCommand) Help() string {
	helpText := `
Usage: nomad alloc status [options] <allocation>

  Display information about existing allocations and its tasks. This command can
  be used to inspect the current status of an allocation, including its running
  status, metadata, and verbose failure messages reported by internal
  subsystems.

General Options:

  ` + generalOptionsUsage() + `

Alloc Status Options:

  -verbose
    Show full information.
`
	return strings.TrimSpace(helpText)
}

func (c *AllocStatusCommand) Synopsis() string {
	return "Display allocation status information and metadata"
}

func (c *AllocStatusCommand) Run(args []string) int {
	var verbose bool
	flags := c.Meta.FlagSet("alloc status")
	flags.BoolVar(&verbose, "verbose", false, "")
	if err := flags.Parse(args); err != nil {
		c.Ui.Error(err.Error())
		c.Ui.Error(commandErrorText("alloc status"))
		return 1
	}
	args = flags.Args()
	if len(args) != 1 {
		c.Ui.Error("This command takes one of the following argument conditions:")
		c.Ui.Error(" * A single <allocation>")
		c.Ui.Error(commandErrorText("alloc status"))
		return 1
	}
	length := idLength(verbose)

	client, err := c.Meta.Client()
	if err != nil {
		c.Ui.Error(fmt.Sprintf("Error initializing client: %s", err))
		return 1
	}
	alloc, err := lookupAlloc(client, args[0], verbose, length, &c.Meta)
	if err != nil {
		c.Ui.Error(err.Error())
		return 1
	}
	c.Ui.Output(c.formatAlloc(alloc, verbose, length, followupWaitUntil(client, alloc)))
	return 0
}

// followupWaitUntil is when the allocation's follow-up evaluation will
// reschedule it, or zero. Like Nomad, a failed lookup only hides the line.
func followupWaitUntil(client *api.Client, alloc *api.Allocation) time.Time {
	if alloc.FollowupEvalID == "" {
		return time.Time{}
	}
	eval, _, err := client.Evaluations().Info(alloc.FollowupEvalID, nil)
	if err != nil || eval == nil {
		return time.Time{}
	}
	return eval.WaitUntil
}

// formatAlloc renders the whole status of one allocation. rescheduleAt is when
// its follow-up evaluation reschedules it (zero if none).
func (c *AllocStatusCommand) formatAlloc(alloc *api.Allocation, verbose bool, length int, rescheduleAt time.Time) string {
	color := c.Colorize()
	var out []string
	out = append(out, formatAllocBasicInfo(alloc, verbose, length, c.now(), rescheduleAt))

	if addrs := formatAllocNetworkInfo(alloc); addrs != "" {
		out = append(out, "", addrs)
	}
	if ns := alloc.NetworkStatus; ns != nil && ns.Address != "" {
		rows := []string{"Interface|Address"}
		rows = append(rows, fmt.Sprintf("%s|%s", ns.InterfaceName, ns.Address))
		out = append(out, "", "Allocation Network Status:", formatList(rows))
	}

	tasks := sortedKeys(alloc.TaskStates)
	for _, task := range tasks {
		state := alloc.TaskStates[task]
		out = append(out, color.Color(fmt.Sprintf("\n[bold]Task %q is %q[reset]", task, state.State)))
		if res := formatTaskResources(alloc, task); res != "" {
			out = append(out, "Task Resources", res)
		}
		out = append(out, "", formatTaskStatus(state))
	}

	if verbose && alloc.Metrics != nil {
		out = append(out, color.Color("\n[bold]Placement Metrics[reset]"), formatPlacementMetrics(alloc.Metrics))
	}
	return strings.Join(out, "\n")
}

// formatPlacementMetrics is the verbose "Placement Metrics" section: why nodes
// were passed over, then the scores of the best nodes.
func formatPlacementMetrics(metrics *api.AllocationMetric) string {
	var parts []string
	for _, part := range []string{formatAllocMetrics(metrics, "  "), formatPlacementScores(metrics, "  ")} {
		if part != "" {
			parts = append(parts, part)
		}
	}
	return strings.Join(parts, "\n")
}

// formatAllocBasicInfo renders the key = value header of an allocation. As Nomad,
// a rescheduled allocation shows its attempts within the policy's interval, a
// replaced one its replacement, and one waiting to be rescheduled when.
func formatAllocBasicInfo(alloc *api.Allocation, verbose bool, length int, now, rescheduleAt time.Time) string {
	created := prettyTimeDiff(time.Unix(0, alloc.CreateTime), now)
	modified := prettyTimeDiff(time.Unix(0, alloc.ModifyTime), now)
	if verbose {
		created = formatUnixNanoTime(alloc.CreateTime)
		modified = formatUnixNanoTime(alloc.ModifyTime)
	}
	var version uint64
	if alloc.Job != nil && alloc.Job.Version != nil {
		version = *alloc.Job.Version
	}
	basic := []string{
		fmt.Sprintf("ID|%s", alloc.ID),
		fmt.Sprintf("Eval ID|%s", limit(alloc.EvalID, length)),
		fmt.Sprintf("Name|%s", alloc.Name),
		fmt.Sprintf("Node ID|%s", limit(alloc.NodeID, length)),
		fmt.Sprintf("Node Name|%s", alloc.NodeName),
		fmt.Sprintf("Job ID|%s", alloc.JobID),
		fmt.Sprintf("Job Version|%d", version),
		fmt.Sprintf("Client Status|%s", alloc.ClientStatus),
		fmt.Sprintf("Client Description|%s", alloc.ClientDescription),
		fmt.Sprintf("Desired Status|%s", alloc.DesiredStatus),
		fmt.Sprintf("Desired Description|%s", alloc.DesiredDescription),
		fmt.Sprintf("Created|%s", created),
		fmt.Sprintf("Modified|%s", modified),
	}
	if alloc.DeploymentID != "" {
		health := "unset"
		if ds := alloc.DeploymentStatus; ds != nil && ds.Healthy != nil {
			health = "unhealthy"
			if *ds.Healthy {
				health = "healthy"
			}
		}
		basic = append(basic,
			fmt.Sprintf("Deployment ID|%s", limit(alloc.DeploymentID, length)),
			fmt.Sprintf("Deployment Health|%s", health))
	}
	if alloc.RescheduleTracker != nil && len(alloc.RescheduleTracker.Events) > 0 {
		attempted, available := rescheduleAttempts(alloc)
		basic = append(basic, fmt.Sprintf("Reschedule Attempts|%d/%d", attempted, available))
	}
	if alloc.NextAllocation != "" {
		basic = append(basic, fmt.Sprintf("Replacement Alloc ID|%s", limit(alloc.NextAllocation, length)))
	}
	if rescheduleAt.After(now) {
		basic = append(basic, fmt.Sprintf("Reschedule Eligibility|%s", prettyTimeDiff(rescheduleAt, now)))
	}
	if verbose && alloc.Metrics != nil {
		basic = append(basic,
			fmt.Sprintf("Evaluated Nodes|%d", alloc.Metrics.NodesEvaluated),
			fmt.Sprintf("Filtered Nodes|%d", alloc.Metrics.NodesFiltered),
			fmt.Sprintf("Exhausted Nodes|%d", alloc.Metrics.NodesExhausted),
			fmt.Sprintf("Allocation Time|%s", alloc.Metrics.AllocationTime),
			fmt.Sprintf("Failures|%d", alloc.Metrics.CoalescedFailures))
	}
	return formatKV(basic)
}

// rescheduleAttempts counts the allocation's reschedule events within its
// group's interval, as of its last modification, against the attempts allowed
// (0 for an unlimited policy).
func rescheduleAttempts(alloc *api.Allocation) (attempted, available int) {
	var policy *api.ReschedulePolicy
	if alloc.Job != nil {
		for _, tg := range alloc.Job.TaskGroups {
			if tg != nil && tg.Name != nil && *tg.Name == alloc.TaskGroup {
				policy = tg.ReschedulePolicy
			}
		}
	}
	if policy == nil || policy.Attempts == nil || policy.Interval == nil {
		return 0, 0
	}
	available = *policy.Attempts
	if available == 0 || *policy.Interval <= 0 {
		return 0, available
	}
	for _, e := range alloc.RescheduleTracker.Events {
		if alloc.ModifyTime-e.RescheduleTime < policy.Interval.Nanoseconds() {
			attempted++
		}
	}
	return attempted, available
}

// formatAllocNetworkInfo renders the group network's addresses:
//
//	Allocation Addresses (mode = "bridge"):
//	Label  Dynamic  Address
//	http   yes      10.0.2.15:23456 -> 8080
//
// Rows come from Shared.Ports (host IP:host port, "-> to" when to > 0), else from
// the group network's ports. Like Nomad, every row says "yes" under Dynamic.
// It returns "" when the allocation has no group network with ports.
func formatAllocNetworkInfo(alloc *api.Allocation) string {
	if alloc.AllocatedResources == nil || len(alloc.AllocatedResources.Shared.Networks) == 0 {
		return ""
	}
	shared := alloc.AllocatedResources.Shared
	nw := shared.Networks[0]
	if len(shared.Ports) == 0 && !nw.HasPorts() {
		return ""
	}
	row := func(label string, value, to int, ip string) string {
		s := fmt.Sprintf("%s|yes|%s:%d", label, ip, value)
		if to > 0 {
			s += fmt.Sprintf(" -> %d", to)
		}
		return s
	}
	rows := []string{"Label|Dynamic|Address"}
	if len(shared.Ports) > 0 {
		for _, p := range shared.Ports {
			ip := p.HostIP
			if ip == "" {
				ip = nw.IP
			}
			rows = append(rows, row(p.Label, p.Value, p.To, ip))
		}
	} else {
		for _, p := range nw.DynamicPorts {
			rows = append(rows, row(p.Label, p.Value, p.To, nw.IP))
		}
		for _, p := range nw.ReservedPorts {
			rows = append(rows, row(p.Label, p.Value, p.To, nw.IP))
		}
	}
	mode := ""
	if nw.Mode != "" {
		mode = fmt.Sprintf(" (mode = %q)", nw.Mode)
	}
	return fmt.Sprintf("Allocation Addresses%s:\n%s", mode, formatList(rows))
}

// formatTaskResources renders a task's CPU, memory, disk and addresses, or ""
// when the allocation carries no resources for the task.
func formatTaskResources(alloc *api.Allocation, task string) string {
	var cpu, mem int64
	var networks []*api.NetworkResource
	var disk int64
	switch {
	case alloc.AllocatedResources != nil && alloc.AllocatedResources.Tasks[task] != nil:
		tr := alloc.AllocatedResources.Tasks[task]
		cpu, mem, networks = tr.Cpu.CpuShares, tr.Memory.MemoryMB, tr.Networks
		disk = alloc.AllocatedResources.Shared.DiskMB
	case alloc.TaskResources[task] != nil:
		r := alloc.TaskResources[task]
		if r.CPU != nil {
			cpu = int64(*r.CPU)
		}
		if r.MemoryMB != nil {
			mem = int64(*r.MemoryMB)
		}
		networks = r.Networks
	default:
		return ""
	}
	if disk == 0 && alloc.Resources != nil && alloc.Resources.DiskMB != nil {
		disk = int64(*alloc.Resources.DiskMB)
	}

	var addrs []string
	for _, nw := range networks {
		ports := append(append([]api.Port{}, nw.DynamicPorts...), nw.ReservedPorts...)
		for _, p := range ports {
			addrs = append(addrs, fmt.Sprintf("%s: %s:%d", p.Label, nw.IP, p.Value))
		}
	}
	first := ""
	if len(addrs) > 0 {
		first = addrs[0]
	}
	rows := []string{
		"CPU|Memory|Disk|Addresses",
		fmt.Sprintf("%d MHz|%s|%s|%s", cpu, humanizeIBytes(uint64(mem)<<20), humanizeIBytes(uint64(disk)<<20), first),
	}
	for _, a := range addrs[min(1, len(addrs)):] {
		rows = append(rows, "|||"+a)
	}
	return formatListWithSpaces(rows)
}

// formatTaskStatus renders a task's restart counters and its events, newest
// first.
func formatTaskStatus(state *api.TaskState) string {
	taskTime := func(t time.Time) string {
		if t.IsZero() {
			return "N/A"
		}
		return formatTime(t)
	}
	basic := []string{
		fmt.Sprintf("Started At|%s", taskTime(state.StartedAt)),
		fmt.Sprintf("Finished At|%s", taskTime(state.FinishedAt)),
		fmt.Sprintf("Total Restarts|%d", state.Restarts),
		fmt.Sprintf("Last Restart|%s", taskTime(state.LastRestart)),
	}
	events := append([]*api.TaskEvent(nil), state.Events...)
	sort.SliceStable(events, func(i, j int) bool { return events[i].Time > events[j].Time })
	rows := []string{"Time|Type|Description"}
	for _, e := range events {
		msg := e.DisplayMessage
		if msg == "" {
			msg = buildDisplayMessage(e)
		}
		rows = append(rows, fmt.Sprintf("%s|%s|%s", formatUnixNanoTime(e.Time), e.Type, msg))
	}
	return strings.Join([]string{"Task Events:", formatKV(basic), "", "Recent Events:", formatList(rows)}, "\n")
}

// buildDisplayMessage describes an event that carries no DisplayMessage.
func buildDisplayMessage(event *api.TaskEvent) string {
	orDefault := func(s, def string) string {
		if s != "" {
			return s
		}
		return def
	}
	switch event.Type {
	case api.TaskSetup:
		return event.Message
	case api.TaskStarted:
		return "Task started by client"
	case api.TaskReceived:
		return "Task received by client"
	case api.TaskFailedValidation:
		return orDefault(event.ValidationError, "Validation of task failed")
	case api.TaskSetupFailure:
		return orDefault(event.SetupError, "Task setup failed")
	case api.TaskDriverFailure:
		return orDefault(event.DriverError, "Failed to start task")
	case api.TaskDownloadingArtifacts:
		return "Client is downloading artifacts"
	case api.TaskArtifactDownloadFailed:
		return orDefault(event.DownloadError, "Failed to download artifacts")
	case api.TaskKilling:
		switch {
		case event.KillReason != "":
			return fmt.Sprintf("Killing task: %v", event.KillReason)
		case event.KillTimeout != 0:
			return fmt.Sprintf("Sent interrupt. Waiting %v before force killing", event.KillTimeout)
		default:
			return "Sent interrupt"
		}
	case api.TaskKilled:
		return orDefault(event.KillError, "Task successfully killed")
	case api.TaskTerminated:
		parts := []string{fmt.Sprintf("Exit Code: %d", event.ExitCode)}
		if event.Signal != 0 {
			parts = append(parts, fmt.Sprintf("Signal: %d", event.Signal))
		}
		if event.Message != "" {
			parts = append(parts, fmt.Sprintf("Exit Message: %q", event.Message))
		}
		return strings.Join(parts, ", ")
	case api.TaskRestarting:
		in := fmt.Sprintf("Task restarting in %v", time.Duration(event.StartDelay))
		if event.RestartReason != "" && event.RestartReason != api.AllocRestartReasonWithinPolicy {
			return fmt.Sprintf("%s - %s", event.RestartReason, in)
		}
		return in
	case api.TaskNotRestarting:
		return orDefault(event.RestartReason, "Task exceeded restart policy")
	case api.TaskSiblingFailed:
		if event.FailedSibling != "" {
			return fmt.Sprintf("Task's sibling %q failed", event.FailedSibling)
		}
		return "Task's sibling failed"
	case api.TaskSignaling:
		sig, reason := event.TaskSignal, event.TaskSignalReason
		switch {
		case sig == "" && reason == "":
			return "Task being sent a signal"
		case sig == "":
			return reason
		case reason == "":
			return fmt.Sprintf("Task being sent signal %v", sig)
		default:
			return fmt.Sprintf("Task being sent signal %v: %v", sig, reason)
		}
	case api.TaskRestartSignal:
		return orDefault(event.RestartReason, "Task signaled to restart")
	case api.TaskDriverMessage:
		return event.DriverMessage
	case api.TaskLeaderDead:
		return "Leader Task in Group dead"
	default:
		return event.Message
	}
}
