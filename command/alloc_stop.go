package command

import (
	"fmt"
	"strings"
)

// AllocStopCommand is `nomad alloc stop`: stop an allocation so the scheduler
// replaces it, following the resulting evaluation.
type AllocStopCommand struct {
	Meta
}

func (c *AllocStopCommand) Help() string {
	helpText := `
Usage: nomad alloc stop [options] <allocation>

  Stop an existing allocation. This command is used to signal a specific alloc
  to shut down. When the allocation has been shut down, it will then be
  rescheduled. An interactive monitoring session will display log lines as the
  allocation completes shutting down. It is safe to exit the monitor early with
  ctrl-c.

  Exit code 0 means the evaluation completed, 2 that it reported placement
  failures and 1 any other error.

General Options:

  ` + generalOptionsUsage() + `

Stop Specific Options:

  -detach
    Return immediately instead of entering monitor mode. After the
    stop command is submitted, a new evaluation ID is printed to the
    screen, which can be used to examine the rescheduling evaluation using the
    eval-status command.

  -verbose
    Show full information.
`
	return strings.TrimSpace(helpText)
}

func (c *AllocStopCommand) Synopsis() string {
	return "Stop and reschedule a running allocation"
}

func (c *AllocStopCommand) Run(args []string) int {
	var detach, verbose bool
	flags := c.Meta.FlagSet("alloc stop")
	flags.BoolVar(&detach, "detach", false, "")
	flags.BoolVar(&verbose, "verbose", false, "")
	if err := flags.Parse(args); err != nil {
		c.Ui.Error(err.Error())
		c.Ui.Error(commandErrorText("alloc stop"))
		return 1
	}
	args = flags.Args()
	if len(args) != 1 {
		c.Ui.Error("This command takes one argument: <allocation>")
		c.Ui.Error(commandErrorText("alloc stop"))
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

	resp, err := client.Allocations().Stop(alloc, nil)
	if err != nil {
		c.Ui.Error(fmt.Sprintf("Error stopping allocation: %s", err))
		return 1
	}
	if detach {
		c.Ui.Output(resp.EvalID)
		return 0
	}
	return newMonitor(c.Ui, client, length).monitor(resp.EvalID)
}
