package command

import (
	"fmt"
	"strings"
)

// StatusCommand is `nomad status`: the job list without an argument; with one,
// the job, allocation or node whose ID starts with it.
type StatusCommand struct {
	Meta
}

func (c *StatusCommand) Help() string {
	helpText := `
Usage: nomad status [options] <identifier>

  Display the status output for any Nomad resource matching the given
  identifier: a job ID, or a prefix of an allocation or node ID.

  If no identifier is given, the status of all jobs is displayed.

General Options:

  ` + generalOptionsUsage() + `

Status Options:

  -verbose
    Display full information.
`
	return strings.TrimSpace(helpText)
}

func (c *StatusCommand) Synopsis() string {
	return "Display the status output for a resource"
}

func (c *StatusCommand) Run(args []string) int {
	var verbose bool
	flags := c.Meta.FlagSet("status")
	flags.BoolVar(&verbose, "verbose", false, "")
	if err := flags.Parse(args); err != nil {
		c.Ui.Error(err.Error())
		c.Ui.Error(commandErrorText("status"))
		return 1
	}
	rest := flags.Args()
	if len(rest) > 1 {
		c.Ui.Error("This command takes either no arguments or one: <identifier>")
		c.Ui.Error(commandErrorText("status"))
		return 1
	}
	if len(rest) == 0 {
		return (&JobStatusCommand{Meta: c.Meta}).Run(args)
	}

	client, err := c.Meta.Client()
	if err != nil {
		c.Ui.Error(fmt.Sprintf("Error initializing client: %s", err))
		return 1
	}

	id := strings.TrimSpace(rest[0])
	var contexts []string
	if jobs, _, err := client.Jobs().PrefixList(id); err == nil && len(jobs) > 0 {
		contexts = append(contexts, "jobs")
	}
	if len(id) > 1 {
		if allocs, _, err := client.Allocations().PrefixList(sanitizeUUIDPrefix(id)); err == nil && len(allocs) > 0 {
			contexts = append(contexts, "allocs")
		}
		if nodes, _, err := client.Nodes().PrefixList(sanitizeUUIDPrefix(id)); err == nil && len(nodes) > 0 {
			contexts = append(contexts, "nodes")
		}
	}

	switch {
	case len(contexts) == 0:
		c.Ui.Error(fmt.Sprintf("No matches returned for query: %q", id))
		return 1
	case len(contexts) > 1:
		c.Ui.Error(fmt.Sprintf("Multiple matches found for id %q: %s", id, strings.Join(contexts, ", ")))
		return 1
	}

	switch contexts[0] {
	case "jobs":
		return (&JobStatusCommand{Meta: c.Meta}).Run(args)
	case "allocs":
		return (&AllocStatusCommand{Meta: c.Meta}).Run(args)
	default:
		return (&NodeStatusCommand{Meta: c.Meta}).Run(args)
	}
}
