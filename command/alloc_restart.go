package command

import (
	"fmt"
	"strings"
)

// AllocRestartCommand is `nomad alloc restart`: restart one task, or every
// running task, of an allocation in place.
type AllocRestartCommand struct {
	Meta
}

func (c *AllocRestartCommand) Help() string {
	helpText := `
Usage: nomad alloc restart [options] <allocation> <task>

  Restart an existing allocation. This command is used to restart a specific alloc
  and its tasks. If no task is provided then all of the allocation's tasks will
  be restarted.

General Options:

  ` + generalOptionsUsage() + `

Restart Specific Options:

  -verbose
    Show full information.
`
	return strings.TrimSpace(helpText)
}

func (c *AllocRestartCommand) Synopsis() string {
	return "Restart a running allocation"
}

func (c *AllocRestartCommand) Run(args []string) int {
	var verbose bool
	flags := c.Meta.FlagSet("alloc restart")
	flags.BoolVar(&verbose, "verbose", false, "")
	if err := flags.Parse(args); err != nil {
		c.Ui.Error(err.Error())
		c.Ui.Error(commandErrorText("alloc restart"))
		return 1
	}
	args = flags.Args()
	if len(args) < 1 || len(args) > 2 {
		c.Ui.Error("This command takes one or two arguments: <allocation> [<task>]")
		c.Ui.Error(commandErrorText("alloc restart"))
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

	var task string
	if len(args) == 2 {
		task = args[1]
		if err := validateTaskExistsInAllocation(task, alloc); err != nil {
			c.Ui.Error(err.Error())
			return 1
		}
	}

	if err := client.Allocations().Restart(alloc, task, nil); err != nil {
		c.Ui.Error(fmt.Sprintf("Failed to restart allocation:\n\n%s", err.Error()))
		return 1
	}
	return 0
}
