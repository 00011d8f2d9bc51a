package command

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/hashicorp/nomad/api"
)

// JobInspectCommand is `nomad job inspect`: the registered job as indented JSON,
// wrapped as {"Job": ...} so it can be fed back to the API.
type JobInspectCommand struct {
	Meta
}

func (c *JobInspectCommand) Help() string {
	helpText := `
Usage: nomad job inspect [options] <job>
Alias: nomad inspect

  Inspect is used to see the specification of a submitted job.

General Options:

  ` + generalOptionsUsage()
	return strings.TrimSpace(helpText)
}

func (c *JobInspectCommand) Synopsis() string {
	return "Inspect a submitted job"
}

func (c *JobInspectCommand) Run(args []string) int {
	flags := c.Meta.FlagSet("job inspect")
	if err := flags.Parse(args); err != nil {
		c.Ui.Error(err.Error())
		c.Ui.Error(commandErrorText("job inspect"))
		return 1
	}
	args = flags.Args()
	if len(args) != 1 {
		c.Ui.Error("This command takes one argument: <job>")
		c.Ui.Error(commandErrorText("job inspect"))
		return 1
	}

	client, err := c.Meta.Client()
	if err != nil {
		c.Ui.Error(fmt.Sprintf("Error initializing client: %s", err))
		return 1
	}

	jobID := strings.TrimSpace(args[0])
	match, err := lookupJob(client, jobID, "Error inspecting job")
	if err != nil {
		c.Ui.Error(err.Error())
		return 1
	}

	job, _, err := client.Jobs().Info(match.ID, nil)
	if err != nil {
		c.Ui.Error(fmt.Sprintf("Error inspecting job: %s", err))
		return 1
	}
	buf, err := json.MarshalIndent(struct{ Job *api.Job }{job}, "", "    ")
	if err != nil {
		c.Ui.Error(fmt.Sprintf("Error converting job: %s", err))
		return 1
	}
	c.Ui.Output(string(buf))
	return 0
}
