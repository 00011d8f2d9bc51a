package command

import (
	"strings"

	"github.com/hashicorp/cli"
)

// groupCommand is a parent verb ("job", "alloc", "node") that only prints its
// help, which lists the subcommands.
type groupCommand struct {
	Meta
	name     string
	synopsis string
	help     string
}

// NewJobCommand is `nomad job`.
func NewJobCommand(m Meta) cli.Command {
	return &groupCommand{Meta: m, name: "job", synopsis: "Interact with jobs", help: `
Usage: nomad job <subcommand> [options] [args]

  This command groups subcommands for interacting with jobs.

  Run a new job or update an existing job:

      $ nomad job run <path>

  Plan the run of a job to determine what would happen:

      $ nomad job plan <path>

  Stop a running job:

      $ nomad job stop <name>

  Examine the status of a running job:

      $ nomad job status <name>

  Please see the individual subcommand help for detailed usage information.
`}
}

// NewAllocCommand is `nomad alloc`.
func NewAllocCommand(m Meta) cli.Command {
	return &groupCommand{Meta: m, name: "alloc", synopsis: "Interact with allocations", help: `
Usage: nomad alloc <subcommand> [options] [args]

  This command groups subcommands for interacting with allocations. Users can
  inspect the status, examine the filesystem or logs of an allocation.

  Examine an allocations status:

      $ nomad alloc status <alloc-id>

  Stream a task's stdout logs:

      $ nomad alloc logs -f <alloc-id> <task>

  Please see the individual subcommand help for detailed usage information.
`}
}

// NewNodeCommand is `nomad node`.
func NewNodeCommand(m Meta) cli.Command {
	return &groupCommand{Meta: m, name: "node", synopsis: "Interact with nodes", help: `
Usage: nomad node <subcommand> [options] [args]

  This command groups subcommands for interacting with nodes. Nodes in Nomad are
  agent's that can run submitted workloads.

  Examine the status of a node:

      $ nomad node status <node-id>

  Please see the individual subcommand help for detailed usage information.
`}
}

func (c *groupCommand) Help() string     { return strings.TrimSpace(c.help) }
func (c *groupCommand) Synopsis() string { return c.synopsis }
func (c *groupCommand) Run([]string) int { return cli.RunResultHelp }
