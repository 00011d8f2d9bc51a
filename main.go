// Command nomad is netnomad's single binary: CLI, server and client.
package main

import (
	"fmt"
	"io"
	"os"

	"github.com/hashicorp/cli"
	"github.com/netnomad/netnomad/command"
	"github.com/netnomad/netnomad/drivers/shared/executor"
	"github.com/netnomad/netnomad/version"
)

func main() {
	os.Exit(Run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// Run runs the CLI with args (without the program name) and returns the exit
// code. "nomad executor ..." is the task executor re-exec'd by the drivers; it
// is dispatched before anything else so that it never touches the CLI.
func Run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "executor" {
		return executor.Main(args[1:])
	}

	noColor := false
	for _, arg := range args {
		if arg == "-no-color" || arg == "--no-color" || os.Getenv("NOMAD_CLI_NO_COLOR") != "" {
			noColor = true
		}
	}

	var ui cli.Ui = &cli.BasicUi{Reader: stdin, Writer: stdout, ErrorWriter: stderr}
	if !noColor {
		ui = &cli.ColoredUi{ErrorColor: cli.UiColorRed, WarnColor: cli.UiColorYellow, Ui: ui}
	}

	c := &cli.CLI{
		Name:           "nomad",
		Args:           args,
		Version:        version.HumanVersion(),
		Commands:       Commands(command.Meta{Ui: ui}),
		HiddenCommands: hiddenCommands,
		HelpFunc:       cli.BasicHelpFunc("nomad"),
		HelpWriter:     stdout,
		ErrorWriter:    stderr,
	}
	code, err := c.Run()
	if err != nil {
		fmt.Fprintf(stderr, "Error executing CLI: %s\n", err)
		return 1
	}
	return code
}
