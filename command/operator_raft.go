package command

import (
	"fmt"
	"strings"

	"github.com/hashicorp/cli"
	"github.com/hashicorp/nomad/api"
)

// NewOperatorCommand is `nomad operator`.
func NewOperatorCommand(m Meta) cli.Command {
	return &groupCommand{Meta: m, name: "operator", synopsis: "Provides cluster-level tools for Nomad operators", help: `
Usage: nomad operator <subcommand> [options]

  Provides cluster-level tools for Nomad operators, such as interacting with
  the Raft subsystem.

  Please see the individual subcommand help for detailed usage information.
`}
}

// NewOperatorRaftCommand is `nomad operator raft`.
func NewOperatorRaftCommand(m Meta) cli.Command {
	return &groupCommand{Meta: m, name: "operator raft", synopsis: "Provides access to the Raft subsystem", help: `
Usage: nomad operator raft <subcommand> [options]

  The Raft operator command is used to interact with Nomad's Raft subsystem.

  List Raft peers:

      $ nomad operator raft list-peers

  Remove a peer that is gone for good:

      $ nomad operator raft remove-peer -peer-address=10.0.0.3:4647

  Please see the individual subcommand help for detailed usage information.
`}
}

// OperatorRaftListCommand is `nomad operator raft list-peers`.
type OperatorRaftListCommand struct {
	Meta
}

func (c *OperatorRaftListCommand) Help() string {
	helpText := `
Usage: nomad operator raft list-peers [options]

  Displays the current Raft peer configuration.

General Options:

  ` + generalOptionsUsage() + `

List Peers Options:

  -stale=[true|false]
    The -stale argument defaults to "false" which means the leader provides the
    result. If the cluster is in an outage state without a leader, you may need
    to set -stale to "true" to get the configuration from a non-leader server.
`
	return strings.TrimSpace(helpText)
}

func (c *OperatorRaftListCommand) Synopsis() string {
	return "Display the current Raft peer configuration"
}

func (c *OperatorRaftListCommand) Run(args []string) int {
	var stale bool
	flags := c.Meta.FlagSet("operator raft list-peers")
	flags.BoolVar(&stale, "stale", false, "")
	if err := flags.Parse(args); err != nil {
		c.Ui.Error(fmt.Sprintf("Failed to parse args: %v", err))
		return 1
	}
	client, err := c.Meta.Client()
	if err != nil {
		c.Ui.Error(fmt.Sprintf("Error initializing client: %s", err))
		return 1
	}
	// -stale lets any server answer (the servers forward reads to the leader
	// otherwise), for an outage without a leader.
	reply, err := client.Operator().RaftGetConfiguration(&api.QueryOptions{AllowStale: stale})
	if err != nil {
		c.Ui.Error(fmt.Sprintf("Failed to retrieve raft configuration: %v", err))
		return 1
	}
	result := []string{"Node|ID|Address|State|Voter|RaftProtocol"}
	for _, s := range reply.Servers {
		state := "follower"
		if s.Leader {
			state = "leader"
		}
		result = append(result, fmt.Sprintf("%s|%s|%s|%s|%v|%s", s.Node, s.ID, s.Address, state, s.Voter, s.RaftProtocol))
	}
	c.Ui.Output(formatList(result))
	return 0
}
