package command

import (
	"fmt"
	"net"
	"sort"
	"strings"

	"github.com/hashicorp/cli"
	"github.com/hashicorp/nomad/api"
)

// NewServerCommand is `nomad server`.
func NewServerCommand(m Meta) cli.Command {
	return &groupCommand{Meta: m, name: "server", synopsis: "Interact with servers", help: `
Usage: nomad server <subcommand> [options] [args]

  This command groups subcommands for interacting with Nomad servers.

  List the servers of the cluster:

      $ nomad server members

  Please see the individual subcommand help for detailed usage information.
`}
}

// ServerMembersCommand is `nomad server members`: the servers of the cluster,
// as Nomad 0.10 prints them.
type ServerMembersCommand struct {
	Meta
}

func (c *ServerMembersCommand) Help() string {
	helpText := `
Usage: nomad server members [options]

  Display a list of the known servers and their status. Only Nomad servers are
  able to service this command.

General Options:

  ` + generalOptionsUsage() + `

Server Members Options:

  -detailed
    Show detailed information about each member. This dumps
    a raw set of tags which shows more information than the
    default output format.
`
	return strings.TrimSpace(helpText)
}

func (c *ServerMembersCommand) Synopsis() string {
	return "Display a list of known servers and their status"
}

func (c *ServerMembersCommand) Run(args []string) int {
	var detailed bool
	flags := c.Meta.FlagSet("server members")
	flags.BoolVar(&detailed, "detailed", false, "")
	if err := flags.Parse(args); err != nil {
		c.Ui.Error(err.Error())
		c.Ui.Error(commandErrorText("server members"))
		return 1
	}
	if len(flags.Args()) != 0 {
		c.Ui.Error("This command takes no arguments")
		c.Ui.Error(commandErrorText("server members"))
		return 1
	}
	client, err := c.Meta.Client()
	if err != nil {
		c.Ui.Error(fmt.Sprintf("Error initializing client: %s", err))
		return 1
	}
	srvMembers, err := client.Agent().Members()
	if err != nil {
		c.Ui.Error(fmt.Sprintf("Error querying servers: %s", err))
		return 1
	}
	if srvMembers == nil {
		c.Ui.Error("Agent doesn't know about server members")
		return 0
	}
	mems := srvMembers.Members
	sort.Slice(mems, func(i, j int) bool { return mems[i].Name < mems[j].Name })
	if detailed {
		c.Ui.Output(detailedMembers(mems))
		return 0
	}
	leader, err := client.Status().Leader()
	if err != nil {
		c.Ui.Error(fmt.Sprintf("Error determining leaders: %s", err))
		return 1
	}
	c.Ui.Output(standardMembers(mems, leader))
	return 0
}

// standardMembers is Nomad's default table: Address and Port are the serf
// address; a member leads when its RPC address (the rpc_addr and port tags) is
// the leader's.
func standardMembers(mems []*api.AgentMember, leader string) string {
	out := []string{"Name|Address|Port|Status|Leader|Protocol|Build|Datacenter|Region"}
	for _, m := range mems {
		rpcHost := m.Tags["rpc_addr"]
		if rpcHost == "" {
			rpcHost = m.Addr
		}
		isLeader := leader != "" && leader == net.JoinHostPort(rpcHost, m.Tags["port"])
		out = append(out, fmt.Sprintf("%s|%s|%d|%s|%t|%d|%s|%s|%s",
			m.Name, m.Addr, m.Port, m.Status, isLeader, m.ProtocolCur, m.Tags["build"], m.Tags["dc"], m.Tags["region"]))
	}
	return formatList(out)
}

// detailedMembers is -detailed: the raw tags.
func detailedMembers(mems []*api.AgentMember) string {
	out := []string{"Name|Address|Port|Tags"}
	for _, m := range mems {
		var tags []string
		for _, k := range sortedKeys(m.Tags) {
			tags = append(tags, k+"="+m.Tags[k])
		}
		out = append(out, fmt.Sprintf("%s|%s|%d|%s", m.Name, m.Addr, m.Port, strings.Join(tags, ",")))
	}
	return formatList(out)
}
