package command

import "github.com/netnomad/netnomad/version"

// VersionCommand is `nomad version`.
type VersionCommand struct {
	Meta
}

func (c *VersionCommand) Help() string { return "Usage: nomad version\n\n  Prints the Nomad version." }

func (c *VersionCommand) Synopsis() string { return "Prints the Nomad version" }

func (c *VersionCommand) Run(_ []string) int {
	c.Ui.Output(version.HumanVersion())
	return 0
}
