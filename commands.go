package main

import (
	"github.com/hashicorp/cli"
	"github.com/netnomad/netnomad/command"
	"github.com/netnomad/netnomad/command/agent"
)

// Commands returns the command table: "job run"-style keys to factories. Each
// factory copies meta, so flags parsed by one command never leak into another.
// Factories are cheap and side-effect free: the help output instantiates all.
func Commands(meta command.Meta) map[string]cli.CommandFactory {
	return map[string]cli.CommandFactory{
		"agent": func() (cli.Command, error) {
			// The agent catches SIGINT/SIGTERM itself; ShutdownCh is for tests.
			return &agent.Command{Ui: meta.Ui, ShutdownCh: nil}, nil
		},

		"alloc":         func() (cli.Command, error) { return command.NewAllocCommand(meta), nil },
		"alloc logs":    func() (cli.Command, error) { return &command.AllocLogsCommand{Meta: meta}, nil },
		"alloc restart": func() (cli.Command, error) { return &command.AllocRestartCommand{Meta: meta}, nil },
		"alloc status":  func() (cli.Command, error) { return &command.AllocStatusCommand{Meta: meta}, nil },
		"alloc stop":    func() (cli.Command, error) { return &command.AllocStopCommand{Meta: meta}, nil },

		"job":          func() (cli.Command, error) { return command.NewJobCommand(meta), nil },
		"job inspect":  func() (cli.Command, error) { return &command.JobInspectCommand{Meta: meta}, nil },
		"job plan":     func() (cli.Command, error) { return &command.JobPlanCommand{Meta: meta}, nil },
		"job run":      func() (cli.Command, error) { return &command.JobRunCommand{Meta: meta}, nil },
		"job status":   func() (cli.Command, error) { return &command.JobStatusCommand{Meta: meta}, nil },
		"job stop":     func() (cli.Command, error) { return &command.JobStopCommand{Meta: meta}, nil },
		"job validate": func() (cli.Command, error) { return &command.JobValidateCommand{Meta: meta}, nil },

		"node":        func() (cli.Command, error) { return command.NewNodeCommand(meta), nil },
		"node status": func() (cli.Command, error) { return &command.NodeStatusCommand{Meta: meta}, nil },

		"operator":                 func() (cli.Command, error) { return command.NewOperatorCommand(meta), nil },
		"operator raft":            func() (cli.Command, error) { return command.NewOperatorRaftCommand(meta), nil },
		"operator raft list-peers": func() (cli.Command, error) { return &command.OperatorRaftListCommand{Meta: meta}, nil },
		"operator raft remove-peer": func() (cli.Command, error) {
			return &command.OperatorRaftRemoveCommand{Meta: meta}, nil
		},

		"server":         func() (cli.Command, error) { return command.NewServerCommand(meta), nil },
		"server members": func() (cli.Command, error) { return &command.ServerMembersCommand{Meta: meta}, nil },

		"status":  func() (cli.Command, error) { return &command.StatusCommand{Meta: meta}, nil },
		"version": func() (cli.Command, error) { return &command.VersionCommand{Meta: meta}, nil },

		// Nomad 0.10's top-level aliases.
		"inspect":  func() (cli.Command, error) { return &command.JobInspectCommand{Meta: meta}, nil },
		"logs":     func() (cli.Command, error) { return &command.AllocLogsCommand{Meta: meta}, nil },
		"plan":     func() (cli.Command, error) { return &command.JobPlanCommand{Meta: meta}, nil },
		"run":      func() (cli.Command, error) { return &command.JobRunCommand{Meta: meta}, nil },
		"stop":     func() (cli.Command, error) { return &command.JobStopCommand{Meta: meta}, nil },
		"validate": func() (cli.Command, error) { return &command.JobValidateCommand{Meta: meta}, nil },
	}
}

// hiddenCommands are aliases kept out of the help listing.
var hiddenCommands = []string{"inspect", "logs", "plan", "run", "stop", "validate"}
