package command

import (
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/nomad/api"
)

// JobStatusCommand is `nomad job status`: the job list, or one job's summary and
// allocations. The ID may be a prefix.
type JobStatusCommand struct {
	Meta
}

func (c *JobStatusCommand) Help() string {
	helpText := `
Usage: nomad job status [options] <job>

  Display status information about a job. If no job ID is given, a list of all
  known jobs will be displayed.

General Options:

  ` + generalOptionsUsage() + `

Status Options:

  -verbose
    Display full information.
`
	return strings.TrimSpace(helpText)
}

func (c *JobStatusCommand) Synopsis() string {
	return "Display status information about a job"
}

func (c *JobStatusCommand) Run(args []string) int {
	var verbose bool
	flags := c.Meta.FlagSet("job status")
	flags.BoolVar(&verbose, "verbose", false, "")
	if err := flags.Parse(args); err != nil {
		c.Ui.Error(err.Error())
		c.Ui.Error(commandErrorText("job status"))
		return 1
	}
	args = flags.Args()
	if len(args) > 1 {
		c.Ui.Error("This command takes either no arguments or one: <job>")
		c.Ui.Error(commandErrorText("job status"))
		return 1
	}

	client, err := c.Meta.Client()
	if err != nil {
		c.Ui.Error(fmt.Sprintf("Error initializing client: %s", err))
		return 1
	}

	if len(args) == 0 {
		jobs, _, err := client.Jobs().List(nil)
		if err != nil {
			c.Ui.Error(fmt.Sprintf("Error querying jobs: %s", err))
			return 1
		}
		if len(jobs) == 0 {
			c.Ui.Output("No running jobs")
			return 0
		}
		c.Ui.Output(createStatusListOutput(jobs))
		return 0
	}

	length := idLength(verbose)

	jobID := strings.TrimSpace(args[0])
	match, err := lookupJob(client, jobID, "Error querying job")
	if err != nil {
		c.Ui.Error(err.Error())
		return 1
	}

	job, _, err := client.Jobs().Info(match.ID, nil)
	if err != nil {
		c.Ui.Error(fmt.Sprintf("Error querying job: %s", err))
		return 1
	}
	out, err := c.formatJob(client, job, verbose, length)
	if err != nil {
		c.Ui.Error(err.Error())
		return 1
	}
	c.Ui.Output(out)
	return 0
}

// createStatusListOutput renders the job list table.
func createStatusListOutput(jobs []*api.JobListStub) string {
	out := make([]string, 0, len(jobs)+1)
	out = append(out, "ID|Type|Priority|Status|Submit Date")
	for _, j := range jobs {
		out = append(out, fmt.Sprintf("%s|%s|%d|%s|%s",
			j.ID, j.Type, j.Priority, jobStatusString(j.Status, j.Stop),
			formatTime(time.Unix(0, j.SubmitTime))))
	}
	return formatList(out)
}

// jobStatusString marks a stopped job as "dead (stopped)".
func jobStatusString(status string, stop bool) string {
	if stop {
		return status + " (stopped)"
	}
	return status
}

// formatJob renders one job: header, Summary, the latest placement failure when
// an evaluation is blocked, and Allocations.
func (c *JobStatusCommand) formatJob(client *api.Client, job *api.Job, verbose bool, length int) (string, error) {
	color := c.Colorize()
	var submit time.Time
	if job.SubmitTime != nil {
		submit = time.Unix(0, *job.SubmitTime)
	}
	basic := []string{
		fmt.Sprintf("ID|%s", strDeref(job.ID)),
		fmt.Sprintf("Name|%s", strDeref(job.Name)),
		fmt.Sprintf("Submit Date|%s", formatTime(submit)),
		fmt.Sprintf("Type|%s", strDeref(job.Type)),
		fmt.Sprintf("Priority|%d", intDeref(job.Priority)),
		fmt.Sprintf("Datacenters|%s", strings.Join(job.Datacenters, ",")),
		fmt.Sprintf("Namespace|%s", strDeref(job.Namespace)),
		fmt.Sprintf("Status|%s", jobStatusString(strDeref(job.Status), job.Stop != nil && *job.Stop)),
		fmt.Sprintf("Periodic|%v", job.IsPeriodic()),
		fmt.Sprintf("Parameterized|%v", job.IsParameterized()),
	}
	var out []string
	out = append(out, formatKV(basic))

	summary, _, err := client.Jobs().Summary(*job.ID, nil)
	if err != nil {
		return "", fmt.Errorf("Error querying job summary: %s", err)
	}
	if summary != nil {
		rows := []string{"Task Group|Queued|Starting|Running|Failed|Complete|Lost"}
		for _, tg := range sortedKeys(summary.Summary) {
			s := summary.Summary[tg]
			rows = append(rows, fmt.Sprintf("%s|%d|%d|%d|%d|%d|%d",
				tg, s.Queued, s.Starting, s.Running, s.Failed, s.Complete, s.Lost))
		}
		out = append(out, color.Color("\n[bold]Summary[reset]"), formatList(rows))
	}

	evals, _, err := client.Jobs().Evaluations(*job.ID, nil)
	if err != nil {
		return "", fmt.Errorf("Error querying job evaluations: %s", err)
	}
	var latestFailed *api.Evaluation
	blocked := false
	for _, e := range evals {
		if e.Status == "blocked" {
			blocked = true
		}
		if len(e.FailedTGAllocs) == 0 {
			continue
		}
		if latestFailed == nil || latestFailed.CreateIndex < e.CreateIndex {
			latestFailed = e
		}
	}
	if blocked && latestFailed != nil {
		out = append(out, color.Color("\n[bold]Placement Failure[reset]"))
		tgs := sortedKeys(latestFailed.FailedTGAllocs)
		for i, tg := range tgs {
			out = append(out, fmt.Sprintf("Task Group %q:", tg), formatAllocMetrics(latestFailed.FailedTGAllocs[tg], "  "))
			if i != len(tgs)-1 {
				out = append(out, "")
			}
		}
	}

	allocs, _, err := client.Jobs().Allocations(*job.ID, false, nil)
	if err != nil {
		return "", fmt.Errorf("Error querying job allocations: %s", err)
	}
	out = append(out, color.Color("\n[bold]Allocations[reset]"), formatAllocListStubs(allocs, verbose, length, c.now()))
	return strings.Join(out, "\n"), nil
}

// formatAllocListStubs renders the Allocations table; times are relative
// ("5m ago") unless verbose.
func formatAllocListStubs(stubs []*api.AllocationListStub, verbose bool, length int, now time.Time) string {
	if len(stubs) == 0 {
		return "No allocations placed"
	}
	rows := make([]string, 0, len(stubs)+1)
	if verbose {
		rows = append(rows, "ID|Eval ID|Node ID|Task Group|Version|Desired|Status|Created|Modified")
	} else {
		rows = append(rows, "ID|Node ID|Task Group|Version|Desired|Status|Created|Modified")
	}
	for _, a := range stubs {
		if verbose {
			rows = append(rows, fmt.Sprintf("%s|%s|%s|%s|%d|%s|%s|%s|%s",
				limit(a.ID, length), limit(a.EvalID, length), limit(a.NodeID, length), a.TaskGroup,
				a.JobVersion, a.DesiredStatus, a.ClientStatus,
				formatUnixNanoTime(a.CreateTime), formatUnixNanoTime(a.ModifyTime)))
			continue
		}
		rows = append(rows, fmt.Sprintf("%s|%s|%s|%d|%s|%s|%s|%s",
			limit(a.ID, length), limit(a.NodeID, length), a.TaskGroup,
			a.JobVersion, a.DesiredStatus, a.ClientStatus,
			prettyTimeDiff(time.Unix(0, a.CreateTime), now), prettyTimeDiff(time.Unix(0, a.ModifyTime), now)))
	}
	return formatList(rows)
}

func strDeref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func intDeref(i *int) int {
	if i == nil {
		return 0
	}
	return *i
}
