package command

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/hashicorp/nomad/api"
)

// enforceIndexRegex extracts the check-index failure from a register error.
var enforceIndexRegex = regexp.MustCompile(`\((Enforcing job modify index.*)\)`)

// JobRunCommand is `nomad job run`: parse a job file, register it and follow the
// evaluation.
type JobRunCommand struct {
	Meta
	JobGetter
}

func (c *JobRunCommand) Help() string {
	helpText := `
Usage: nomad job run [options] <path>
Alias: nomad run

  Starts running a new job or updates an existing job using
  the specification located at <path>. This is the main command
  used to interact with Nomad.

  Upon successful job submission, this command will immediately
  enter an interactive monitor. This is useful to watch Nomad's
  internals make scheduling decisions and place the submitted work
  onto nodes. The monitor will end once job placement is done. It
  is safe to exit the monitor early using ctrl+c.

  On successful job submission and scheduling, exit code 0 will be
  returned. If there are job placement issues encountered
  (unsatisfiable constraints, resource exhaustion, etc), then the
  exit code will be 2. Any other errors, including client connection
  issues or internal errors, are indicated by exit code 1.

  If the job has specified the region, the -region flag and NOMAD_REGION
  environment variable are overridden and the job's region is used.

General Options:

  ` + generalOptionsUsage() + `

Run Options:

  -check-index
    If set, the job is only registered or updated if the passed
    job modify index matches the server side version. If a check-index value of
    zero is passed, the job is only registered if it does not yet exist. If a
    non-zero value is passed, it ensures that the job is being updated from a
    known state. The use of this flag is most common in conjunction with plan
    command.

  -detach
    Return immediately instead of entering monitor mode. After job submission,
    the evaluation ID will be printed to the screen, which can be used to
    examine the evaluation using the eval-status command.

  -hcl1
    Parses the job file as HCLv1.

  -var 'key=value'
    Variable for template, can be used multiple times.

  -verbose
    Display full information.
`
	return strings.TrimSpace(helpText)
}

func (c *JobRunCommand) Synopsis() string {
	return "Run a new job or update an existing job"
}

func (c *JobRunCommand) Run(args []string) int {
	var detach, verbose bool
	var checkIndexStr string

	flags := c.Meta.FlagSet("job run")
	flags.BoolVar(&detach, "detach", false, "")
	flags.BoolVar(&verbose, "verbose", false, "")
	flags.StringVar(&checkIndexStr, "check-index", "", "")
	flags.BoolVar(&c.JobGetter.hcl1, "hcl1", false, "")
	flags.Var(&c.JobGetter.vars, "var", "")
	if err := flags.Parse(args); err != nil {
		c.Ui.Error(err.Error())
		c.Ui.Error(commandErrorText("job run"))
		return 1
	}

	length := idLength(verbose)

	args = flags.Args()
	if len(args) != 1 {
		c.Ui.Error("This command takes one argument: <path>")
		c.Ui.Error(commandErrorText("job run"))
		return 1
	}

	job, err := c.JobGetter.Get(args[0])
	if err != nil {
		c.Ui.Error(fmt.Sprintf("Error getting job struct: %s", err))
		return 1
	}

	client, err := c.Meta.Client()
	if err != nil {
		c.Ui.Error(fmt.Sprintf("Error initializing client: %s", err))
		return 1
	}
	if job.Region != nil && *job.Region != "" {
		client.SetRegion(*job.Region)
	}
	if job.Namespace != nil && *job.Namespace != "" {
		client.SetNamespace(*job.Namespace)
	}

	periodic := job.IsPeriodic()
	paramjob := job.IsParameterized()

	opts := &api.RegisterOptions{}
	if checkIndexStr != "" {
		idx, err := strconv.ParseUint(checkIndexStr, 10, 64)
		if err != nil {
			c.Ui.Error(fmt.Sprintf("Error parsing check-index value %q: %v", checkIndexStr, err))
			return 1
		}
		opts.EnforceIndex = true
		opts.ModifyIndex = idx
	}

	resp, _, err := client.Jobs().RegisterOpts(job, opts, nil)
	if err != nil {
		if strings.Contains(err.Error(), api.RegisterEnforceIndexErrPrefix) {
			if m := enforceIndexRegex.FindStringSubmatch(err.Error()); len(m) == 2 {
				c.Ui.Error(m[1])
				c.Ui.Error("Job not updated")
				return 1
			}
		}
		c.Ui.Error(fmt.Sprintf("Error submitting job: %s", err))
		return 1
	}

	if resp.Warnings != "" {
		c.Ui.Output(c.Colorize().Color(fmt.Sprintf("[bold][yellow]Job Warnings:\n%s[reset]\n", resp.Warnings)))
	}

	if detach || periodic || paramjob {
		c.Ui.Output("Job registration successful")
		if !periodic && !paramjob {
			c.Ui.Output("Evaluation ID: " + resp.EvalID)
		}
		return 0
	}
	if resp.EvalID == "" {
		return 0
	}

	return newMonitor(c.Ui, client, length).monitor(resp.EvalID)
}
