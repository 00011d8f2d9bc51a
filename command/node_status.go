package command

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/nomad/api"
)

// NodeStatusCommand is `nomad node status`: the node list, or one node's header,
// events, drivers, attributes (with -verbose) and allocations.
type NodeStatusCommand struct {
	Meta
}

func (c *NodeStatusCommand) Help() string {
	helpText := `
Usage: nomad node status [options] <node>

  Display status information about a given node. The list of nodes
  returned includes only nodes which jobs may be scheduled to, and
  includes status and other high-level information.

  If a node ID is passed, information for that specific node will be displayed,
  including resource usage statistics. If no node ID's are passed, then a
  short-hand list of all nodes will be displayed.

General Options:

  ` + generalOptionsUsage() + `

Node Status Options:

  -verbose
    Display full information.
`
	return strings.TrimSpace(helpText)
}

func (c *NodeStatusCommand) Synopsis() string {
	return "Display status information about nodes"
}

func (c *NodeStatusCommand) Run(args []string) int {
	var verbose bool
	flags := c.Meta.FlagSet("node status")
	flags.BoolVar(&verbose, "verbose", false, "")
	if err := flags.Parse(args); err != nil {
		c.Ui.Error(err.Error())
		c.Ui.Error(commandErrorText("node status"))
		return 1
	}
	args = flags.Args()
	if len(args) > 1 {
		c.Ui.Error("This command takes either one or no arguments")
		c.Ui.Error(commandErrorText("node status"))
		return 1
	}
	length := idLength(verbose)

	client, err := c.Meta.Client()
	if err != nil {
		c.Ui.Error(fmt.Sprintf("Error initializing client: %s", err))
		return 1
	}

	if len(args) == 0 {
		nodes, _, err := client.Nodes().List(nil)
		if err != nil {
			c.Ui.Error(fmt.Sprintf("Error querying node status: %s", err))
			return 1
		}
		if len(nodes) == 0 {
			return 0
		}
		c.Ui.Output(formatNodeList(nodes, verbose, length))
		return 0
	}

	nodeID := args[0]
	if len(nodeID) == 1 {
		c.Ui.Error("Identifier must contain at least two characters.")
		return 1
	}
	nodeID = sanitizeUUIDPrefix(nodeID)
	nodes, _, err := client.Nodes().PrefixList(nodeID)
	if err != nil {
		c.Ui.Error(fmt.Sprintf("Error querying node info: %s", err))
		return 1
	}
	if len(nodes) == 0 {
		c.Ui.Error(fmt.Sprintf("No node(s) with prefix %q found", nodeID))
		return 1
	}
	if len(nodes) > 1 {
		c.Ui.Error(fmt.Sprintf("Prefix matched multiple nodes\n\n%s", formatNodeList(nodes, verbose, length)))
		return 1
	}

	node, _, err := client.Nodes().Info(nodes[0].ID, nil)
	if err != nil {
		c.Ui.Error(fmt.Sprintf("Error querying node info: %s", err))
		return 1
	}
	allocs, _, err := client.Nodes().Allocations(node.ID, nil)
	if err != nil {
		c.Ui.Error(fmt.Sprintf("Error querying node allocations: %s", err))
		return 1
	}
	c.Ui.Output(c.formatNode(node, allocs, verbose, length))
	return 0
}

// formatNodeList renders the node list table.
func formatNodeList(nodes []*api.NodeListStub, verbose bool, length int) string {
	header := "ID|DC|Name|Class|"
	if verbose {
		header += "Address|Version|"
	}
	header += "Drain|Eligibility|Status"
	rows := []string{header}
	for _, n := range nodes {
		row := fmt.Sprintf("%s|%s|%s|%s", limit(n.ID, length), n.Datacenter, n.Name, n.NodeClass)
		if verbose {
			row += fmt.Sprintf("|%s|%s", n.Address, n.Version)
		}
		row += fmt.Sprintf("|%v|%s|%s", n.Drain, n.SchedulingEligibility, n.Status)
		rows = append(rows, row)
	}
	return formatList(rows)
}

// formatNode renders one node.
func (c *NodeStatusCommand) formatNode(node *api.Node, allocs []*api.Allocation, verbose bool, length int) string {
	color := c.Colorize()
	basic := []string{
		fmt.Sprintf("ID|%s", limit(node.ID, length)),
		fmt.Sprintf("Name|%s", node.Name),
		fmt.Sprintf("Class|%s", node.NodeClass),
		fmt.Sprintf("DC|%s", node.Datacenter),
		fmt.Sprintf("Drain|%v", node.Drain),
		fmt.Sprintf("Eligibility|%s", node.SchedulingEligibility),
		fmt.Sprintf("Status|%s", node.Status),
	}
	if !verbose {
		basic = append(basic, fmt.Sprintf("Driver Status|%s", nodeDriverSummary(node)))
	}
	out := []string{formatKV(basic)}

	out = append(out, color.Color("\n[bold]Node Events[reset]"), formatNodeEvents(node, verbose))

	if verbose {
		out = append(out, color.Color("\n[bold]Drivers[reset]"), formatNodeDrivers(node))
		out = append(out, color.Color("\n[bold]Attributes[reset]"), formatMapKV(node.Attributes))
		out = append(out, color.Color("\n[bold]Meta[reset]"), formatMapKV(node.Meta))
	}

	out = append(out, color.Color("\n[bold]Allocations[reset]"), formatAllocList(allocs, verbose, length, c.now()))
	return strings.Join(out, "\n")
}

// nodeDriverSummary lists detected drivers, marking unhealthy ones.
func nodeDriverSummary(node *api.Node) string {
	var drivers []string
	for name, info := range node.Drivers {
		if info == nil || !info.Detected {
			continue
		}
		if !info.Healthy {
			drivers = append(drivers, name+" (unhealthy)")
		} else {
			drivers = append(drivers, name)
		}
	}
	sort.Strings(drivers)
	return strings.Join(drivers, ",")
}

// formatNodeEvents renders node events, newest first.
func formatNodeEvents(node *api.Node, verbose bool) string {
	header := "Time|Subsystem|Message"
	if verbose {
		header += "|Details"
	}
	events := append([]*api.NodeEvent(nil), node.Events...)
	sort.SliceStable(events, func(i, j int) bool { return events[i].Timestamp.After(events[j].Timestamp) })
	rows := []string{header}
	for _, e := range events {
		row := fmt.Sprintf("%s|%s|%s", formatTime(e.Timestamp), e.Subsystem, e.Message)
		if verbose {
			var details []string
			for _, k := range sortedKeys(e.Details) {
				details = append(details, fmt.Sprintf("%s: %s", k, e.Details[k]))
			}
			row += "|" + strings.Join(details, ", ")
		}
		rows = append(rows, row)
	}
	return formatList(rows)
}

// formatNodeDrivers renders the verbose driver table.
func formatNodeDrivers(node *api.Node) string {
	rows := []string{"Driver|Detected|Healthy|Message|Time"}
	for _, name := range sortedKeys(node.Drivers) {
		d := node.Drivers[name]
		rows = append(rows, fmt.Sprintf("%s|%v|%v|%s|%s", name, d.Detected, d.Healthy, d.HealthDescription, formatTime(d.UpdateTime)))
	}
	return formatList(rows)
}

// formatMapKV renders a map as sorted key = value lines.
func formatMapKV(m map[string]string) string {
	rows := make([]string, 0, len(m))
	for _, k := range sortedKeys(m) {
		rows = append(rows, fmt.Sprintf("%s|%s", k, m[k]))
	}
	return formatKV(rows)
}

// formatAllocList renders full allocations as the Allocations table.
func formatAllocList(allocs []*api.Allocation, verbose bool, length int, now time.Time) string {
	if len(allocs) == 0 {
		return "No allocations placed"
	}
	stubs := make([]*api.AllocationListStub, 0, len(allocs))
	for _, a := range allocs {
		var version uint64
		if a.Job != nil && a.Job.Version != nil {
			version = *a.Job.Version
		}
		stubs = append(stubs, &api.AllocationListStub{
			ID: a.ID, EvalID: a.EvalID, NodeID: a.NodeID, TaskGroup: a.TaskGroup,
			JobVersion: version, DesiredStatus: a.DesiredStatus, ClientStatus: a.ClientStatus,
			CreateTime: a.CreateTime, ModifyTime: a.ModifyTime,
		})
	}
	return formatAllocListStubs(stubs, verbose, length, now)
}
