package command

import (
	"fmt"
	"strings"
)

// JobStopCommand is `nomad job stop`: deregister a job (optionally purging it)
// and follow the evaluation.
type JobStopCommand struct {
	Meta
}

func (c *JobStopCommand) Help() string {
	helpText := `
Usage: nomad job stop [options] <job>
Alias: nomad stop

  Stop an existing job. This command is used to signal allocations to shut
  down for the given job ID. Upon successful deregistration, an interactive
  monitor session will start to display log lines as the job unwinds its
  allocations and completes shutting down. It is safe to exit the monitor
  early using ctrl+c.

  Exit code 0 means the job stopped cleanly, 2 that the evaluation reported
  placement failures and 1 any other error.

General Options:

  ` + generalOptionsUsage() + `

Stop Options:

  -detach
    Return immediately instead of entering monitor mode. After the
    deregister command is submitted, a new evaluation ID is printed to the
    screen, which can be used to examine the evaluation using the eval-status
    command.

  -purge
    Purge is used to stop the job and purge it from the system. If not set, the
    job will still be queryable and will be purged by the garbage collector.

  -yes
    Automatic yes to prompts.

  -verbose
    Display full information.
`
	return strings.TrimSpace(helpText)
}

func (c *JobStopCommand) Synopsis() string {
	return "Stop a running job"
}

func (c *JobStopCommand) Run(args []string) int {
	var detach, purge, verbose, autoYes bool
	flags := c.Meta.FlagSet("job stop")
	flags.BoolVar(&detach, "detach", false, "")
	flags.BoolVar(&verbose, "verbose", false, "")
	flags.BoolVar(&autoYes, "yes", false, "")
	flags.BoolVar(&purge, "purge", false, "")
	if err := flags.Parse(args); err != nil {
		c.Ui.Error(err.Error())
		c.Ui.Error(commandErrorText("job stop"))
		return 1
	}
	length := idLength(verbose)
	args = flags.Args()
	if len(args) != 1 {
		c.Ui.Error("This command takes one argument: <job>")
		c.Ui.Error(commandErrorText("job stop"))
		return 1
	}

	client, err := c.Meta.Client()
	if err != nil {
		c.Ui.Error(fmt.Sprintf("Error initializing client: %s", err))
		return 1
	}

	jobID := strings.TrimSpace(args[0])
	match, err := lookupJob(client, jobID, "Error deregistering job")
	if err != nil {
		c.Ui.Error(err.Error())
		return 1
	}

	// A prefix match stops a job the user did not name exactly: confirm.
	if match.ID != jobID && !autoYes {
		answer, err := c.Ui.Ask(fmt.Sprintf("Are you sure you want to stop job %q? [y/N]", match.ID))
		if err != nil {
			c.Ui.Error(fmt.Sprintf("Failed to parse answer: %v", err))
			return 1
		}
		switch {
		case answer == "" || strings.ToLower(answer)[0] == 'n':
			c.Ui.Output("Cancelling job stop")
			return 0
		case strings.ToLower(answer)[0] == 'y' && len(answer) > 1:
			c.Ui.Output("For confirmation, an exact ‘y’ is required.")
			return 0
		case answer != "y":
			c.Ui.Output("No confirmation detected. For confirmation, an exact 'y' is required.")
			return 1
		}
	}

	evalID, _, err := client.Jobs().Deregister(match.ID, purge, nil)
	if err != nil {
		c.Ui.Error(fmt.Sprintf("Error deregistering job: %s", err))
		return 1
	}
	// Stopping a periodic or parameterized job creates no evaluation.
	if evalID == "" {
		return 0
	}
	if detach {
		c.Ui.Output(evalID)
		return 0
	}
	return newMonitor(c.Ui, client, length).monitor(evalID)
}
