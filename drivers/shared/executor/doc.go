// Package executor runs one task in a process detached from the agent, so that the
// task survives the agent exiting or being killed and a restarted agent can
// re-attach to it.
//
// The agent binary re-executes itself as "<agent> executor <spec.json>" (see
// Launch). The executor process:
//
//	setsid (own session) -> [setns into the group's netns] -> start the task
//	  (own process group, cwd TaskDir, env exactly Spec.Env, optional user)
//	  -> report {pid, start time} or the start error on fd 3 -> copy stdout/stderr
//	  into rotating log files -> wait -> write the exit status atomically to
//	  Spec.ExitFile -> exit.
//
// Everything a later agent needs (PIDs, start times, file paths) is in the driver's
// persisted handle; the exit file is the only channel back after a restart.
package executor

import "os"

// Subcommand is the first argument that makes the agent binary act as an executor.
const Subcommand = "executor"

// IsExecutorInvocation reports whether this process was started as an executor.
// The agent's main (and the TestMain of packages that start tasks) must call
//
//	if executor.IsExecutorInvocation() { os.Exit(executor.Main(os.Args[2:])) }
//
// before doing anything else.
func IsExecutorInvocation() bool {
	return len(os.Args) > 1 && os.Args[1] == Subcommand
}
