package command

import (
	"fmt"
	"strings"
)

// JobValidateCommand is `nomad job validate`: parse a job file and have the
// agent validate it (PUT /v1/validate/job).
type JobValidateCommand struct {
	Meta
	JobGetter
}

func (c *JobValidateCommand) Help() string {
	helpText := `
Usage: nomad job validate [options] <path>
Alias: nomad validate

  Checks if a given HCL job file has a valid specification. This can be used to
  check for any syntax errors or validation problems with a job.

  Validate returns 0 when the job is valid and 1 when it is not or could not be
  checked.

General Options:

  ` + generalOptionsUsage() + `

Validate Options:

  -hcl1
    Parses the job file as HCLv1.

  -var 'key=value'
    Variable for template, can be used multiple times.
`
	return strings.TrimSpace(helpText)
}

func (c *JobValidateCommand) Synopsis() string {
	return "Checks if a given job specification is valid"
}

func (c *JobValidateCommand) Run(args []string) int {
	flags := c.Meta.FlagSet("job validate")
	flags.BoolVar(&c.JobGetter.hcl1, "hcl1", false, "")
	flags.Var(&c.JobGetter.vars, "var", "")
	if err := flags.Parse(args); err != nil {
		c.Ui.Error(err.Error())
		c.Ui.Error(commandErrorText("job validate"))
		return 1
	}
	args = flags.Args()
	if len(args) != 1 {
		c.Ui.Error("This command takes one argument: <path>")
		c.Ui.Error(commandErrorText("job validate"))
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

	jr, _, err := client.Jobs().Validate(job, nil)
	if err != nil {
		c.Ui.Error(fmt.Sprintf("Error validating job: %s", err))
		return 1
	}

	color := c.Colorize()
	if jr.Error != "" || len(jr.ValidationErrors) > 0 {
		msg := jr.Error
		if msg == "" {
			msg = strings.Join(jr.ValidationErrors, "\n")
		}
		c.Ui.Error(color.Color("[bold][red]Job validation errors:[reset]"))
		c.Ui.Error(msg)
		return 1
	}
	if jr.Warnings != "" {
		c.Ui.Output(color.Color(fmt.Sprintf("[bold][yellow]Job Warnings:\n%s[reset]\n", jr.Warnings)))
	}
	c.Ui.Output(color.Color("[bold][green]Job validation successful[reset]"))
	return 0
}
