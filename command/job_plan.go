package command

import (
	"fmt"
	"strings"

	"github.com/hashicorp/nomad/api"
)

// JobPlanCommand is `nomad job plan`: a scheduler dry run of a job file, printed
// as a diff against the running job.
type JobPlanCommand struct {
	Meta
	JobGetter
}

func (c *JobPlanCommand) Help() string {
	helpText := `
Usage: nomad job plan [options] <path>
Alias: nomad plan

  Plan invokes a dry-run of the scheduler to determine the effects of submitting
  either a new or updated version of a job. The plan will not result in any
  changes to the cluster but gives insight into whether the job could be run
  successfully and how it would affect existing allocations.

  A job modify index is returned with the plan. This value can be used when
  submitting the job using "nomad job run -check-index", which will check that
  the job was not modified between the plan and run command before invoking the
  scheduler. This ensures the job has not been modified since the plan.

  A structured diff between the local and remote job is displayed to
  give insight into what the scheduler will attempt to do and why.

  If the job has specified the region, the -region flag and NOMAD_REGION
  environment variable are overridden and the job's region is used.

  Plan will return one of the following exit codes:
    * 0: No allocations created or destroyed.
    * 1: Allocations created or destroyed.
    * 255: Error determining plan results.

General Options:

  ` + generalOptionsUsage() + `

Plan Options:

  -diff
    Determines whether the diff between the remote job and planned job is shown.
    Defaults to true.

  -hcl1
    Parses the job file as HCLv1.

  -var 'key=value'
    Variable for template, can be used multiple times.

  -verbose
    Increase diff verbosity.
`
	return strings.TrimSpace(helpText)
}

func (c *JobPlanCommand) Synopsis() string {
	return "Dry-run a job update to determine its effects"
}

func (c *JobPlanCommand) Run(args []string) int {
	var diff, verbose bool

	flags := c.Meta.FlagSet("job plan")
	flags.BoolVar(&diff, "diff", true, "")
	flags.BoolVar(&verbose, "verbose", false, "")
	flags.BoolVar(&c.JobGetter.hcl1, "hcl1", false, "")
	flags.Var(&c.JobGetter.vars, "var", "")
	if err := flags.Parse(args); err != nil {
		c.Ui.Error(err.Error())
		c.Ui.Error(commandErrorText("job plan"))
		return 255
	}

	args = flags.Args()
	if len(args) != 1 {
		c.Ui.Error("This command takes one argument: <path>")
		c.Ui.Error(commandErrorText("job plan"))
		return 255
	}
	path := args[0]

	job, err := c.JobGetter.Get(path)
	if err != nil {
		c.Ui.Error(fmt.Sprintf("Error getting job struct: %s", err))
		return 255
	}

	client, err := c.Meta.Client()
	if err != nil {
		c.Ui.Error(fmt.Sprintf("Error initializing client: %s", err))
		return 255
	}
	if job.Region != nil && *job.Region != "" {
		client.SetRegion(*job.Region)
	}
	if job.Namespace != nil && *job.Namespace != "" {
		client.SetNamespace(*job.Namespace)
	}

	// Always request the diff: it tells whether anything changes.
	resp, _, err := client.Jobs().PlanOpts(job, &api.PlanOptions{Diff: true}, nil)
	if err != nil {
		c.Ui.Error(fmt.Sprintf("Error during plan: %s", err))
		return 255
	}

	var runArgs strings.Builder
	for _, v := range c.JobGetter.vars {
		fmt.Fprintf(&runArgs, "-var=%q ", v)
	}

	c.Ui.Output(c.formatPlan(job, resp, diff, verbose, runArgs.String(), path))
	return planExitCode(resp)
}

// formatPlan renders the whole plan output: diff, dry run, warnings and the
// check-index hint.
func (c *JobPlanCommand) formatPlan(job *api.Job, resp *api.JobPlanResponse, diff, verbose bool, runArgs, path string) string {
	color := c.Colorize()
	var out []string
	if diff && resp.Diff != nil {
		sortTaskGroupDiffs(resp.Diff)
		out = append(out, color.Color(strings.TrimSpace(formatJobDiff(resp.Diff, verbose)))+"\n")
	}
	out = append(out, color.Color("[bold]Scheduler dry-run:[reset]"))
	out = append(out, color.Color(formatDryRun(resp, job)))
	out = append(out, "")
	if resp.Warnings != "" {
		out = append(out, color.Color(fmt.Sprintf("[bold][yellow]Job Warnings:\n%s[reset]\n", resp.Warnings)))
	}
	out = append(out, color.Color(formatJobModifyIndex(resp.JobModifyIndex, runArgs, path)))
	return strings.Join(out, "\n")
}
