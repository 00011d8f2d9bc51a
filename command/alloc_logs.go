package command

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/hashicorp/nomad/api"
)

const (
	// defaultTailLines is how many lines -tail shows without -n or -c.
	defaultTailLines = 10
	// bytesToLines estimates the bytes to fetch for a number of lines.
	bytesToLines = 120
	// tailSettle is how long -f -tail waits for the initial burst of data
	// before trimming it to -n lines and streaming the rest.
	tailSettle = time.Second
)

// AllocLogsCommand is `nomad alloc logs`: print or follow a task's stdout or
// stderr through /v1/client/fs/logs.
type AllocLogsCommand struct {
	Meta

	// Stdout receives the log bytes; nil means os.Stdout.
	Stdout io.Writer
}

func (c *AllocLogsCommand) Help() string {
	helpText := `
Usage: nomad alloc logs [options] <allocation> <task>
Alias: nomad logs

  Streams the stdout/stderr of the given allocation and task.

General Options:

  ` + generalOptionsUsage() + `

Logs Specific Options:

  -stderr
    Display stderr logs.

  -verbose
    Show full information.

  -f
    Causes the output to not stop when the end of the logs are reached, but
    rather to wait for additional output.

  -tail
    Show the logs contents with offsets relative to the end of the logs. If no
    offset is given, -n is defaulted to 10.

  -n
    Sets the tail location in best-efforted number of lines relative to the end
    of the logs.

  -c
    Sets the tail location in number of bytes relative to the end of the logs.
`
	return strings.TrimSpace(helpText)
}

func (c *AllocLogsCommand) Synopsis() string {
	return "Streams the logs of a task."
}

func (c *AllocLogsCommand) Run(args []string) int {
	var verbose, follow, stderr, tail bool
	var numLines, numBytes int64

	flags := c.Meta.FlagSet("alloc logs")
	flags.BoolVar(&verbose, "verbose", false, "")
	flags.BoolVar(&follow, "f", false, "")
	flags.BoolVar(&tail, "tail", false, "")
	flags.BoolVar(&stderr, "stderr", false, "")
	flags.Int64Var(&numLines, "n", -1, "")
	flags.Int64Var(&numBytes, "c", -1, "")
	if err := flags.Parse(args); err != nil {
		c.Ui.Error(err.Error())
		c.Ui.Error(commandErrorText("alloc logs"))
		return 1
	}
	args = flags.Args()
	if len(args) < 1 || len(args) > 2 {
		c.Ui.Error("This command takes one of the following argument conditions:")
		c.Ui.Error(" * A single <allocation>")
		c.Ui.Error(" * An <allocation> and a <task>")
		c.Ui.Error(commandErrorText("alloc logs"))
		return 1
	}
	length := idLength(verbose)

	client, err := c.Meta.Client()
	if err != nil {
		c.Ui.Error(fmt.Sprintf("Error initializing client: %s", err))
		return 1
	}
	alloc, err := lookupAlloc(client, args[0], verbose, length, &c.Meta)
	if err != nil {
		c.Ui.Error(err.Error())
		return 1
	}

	var task string
	if len(args) == 2 {
		task = args[1]
		if err := validateTaskExistsInAllocation(task, alloc); err != nil {
			c.Ui.Error(err.Error())
			return 1
		}
	} else {
		var tasks []*api.Task
		if alloc.Job != nil {
			if tg := alloc.Job.LookupTaskGroup(alloc.TaskGroup); tg != nil {
				tasks = tg.Tasks
				if len(tasks) == 1 {
					task = tasks[0].Name
				}
			}
		}
		if task == "" {
			c.Ui.Error(fmt.Sprintf("Allocation %q is running the following tasks:", limit(alloc.ID, length)))
			for _, t := range tasks {
				c.Ui.Error(fmt.Sprintf("  * %s", t.Name))
			}
			c.Ui.Error("\nPlease specify the task.")
			return 1
		}
	}

	logType := "stdout"
	if stderr {
		logType = "stderr"
	}

	origin, offset := "start", int64(0)
	if tail {
		origin = "end"
		if numBytes < 0 && numLines < 0 {
			numLines = defaultTailLines
		}
		if numBytes >= 0 {
			offset = numBytes
		} else {
			offset = numLines * bytesToLines
		}
	}

	cancel := make(chan struct{})
	if follow {
		sigCh := make(chan os.Signal, 1)
		signal.Notify(sigCh, os.Interrupt, syscall.SIGTERM)
		defer signal.Stop(sigCh)
		go func() {
			select {
			case <-sigCh:
				close(cancel)
			case <-cancel:
			}
		}()
	}
	defer func() {
		select {
		case <-cancel:
		default:
			close(cancel)
		}
	}()

	frames, errCh := client.AllocFS().Logs(alloc, follow, task, logType, origin, offset, cancel, nil)
	lineLimit := int64(-1)
	if tail && numBytes < 0 {
		lineLimit = numLines
	}
	if err := c.copyFrames(frames, errCh, follow, lineLimit); err != nil {
		c.Ui.Error(fmt.Sprintf("Error reading %s: %s", logType, err))
		return 1
	}
	return 0
}

// copyFrames writes frame data to stdout until the stream ends. With lineLimit
// >= 0 only the last lineLimit lines of the initial data are written: all of it
// without follow, the first burst (until tailSettle passes without data) with it.
func (c *AllocLogsCommand) copyFrames(frames <-chan *api.StreamFrame, errCh <-chan error, follow bool, lineLimit int64) error {
	out := c.Stdout
	if out == nil {
		out = os.Stdout
	}
	if frames == nil {
		return <-errCh
	}

	var held bytes.Buffer
	holding := lineLimit >= 0
	flush := func() error {
		if !holding {
			return nil
		}
		holding = false
		_, err := out.Write(lastLines(held.Bytes(), lineLimit))
		return err
	}
	var settle <-chan time.Time
	if holding && follow {
		settle = time.After(tailSettle)
	}

	for {
		select {
		case err := <-errCh:
			if err != nil {
				return err
			}
		case <-settle:
			if err := flush(); err != nil {
				return err
			}
		case frame, ok := <-frames:
			if !ok {
				return flush()
			}
			if holding {
				held.Write(frame.Data)
				if follow {
					settle = time.After(tailSettle)
				}
				continue
			}
			if _, err := out.Write(frame.Data); err != nil {
				return err
			}
		}
	}
}

// lastLines returns the last n lines of data (a trailing newline does not start
// a new line).
func lastLines(data []byte, n int64) []byte {
	if n <= 0 {
		return nil
	}
	end := len(data)
	search := end
	if search > 0 && data[search-1] == '\n' {
		search--
	}
	for i := int64(0); i < n; i++ {
		idx := bytes.LastIndexByte(data[:search], '\n')
		if idx < 0 {
			return data
		}
		search = idx
	}
	return data[search+1 : end]
}

// validateTaskExistsInAllocation reports the group's tasks when task is not one.
func validateTaskExistsInAllocation(task string, alloc *api.Allocation) error {
	if alloc.Job == nil {
		return fmt.Errorf("Could not find allocation task group: %s", alloc.TaskGroup)
	}
	tg := alloc.Job.LookupTaskGroup(alloc.TaskGroup)
	if tg == nil {
		return fmt.Errorf("Could not find allocation task group: %s", alloc.TaskGroup)
	}
	names := make([]string, 0, len(tg.Tasks))
	for _, t := range tg.Tasks {
		if t.Name == task {
			return nil
		}
		names = append(names, t.Name)
	}
	return fmt.Errorf("Could not find task named: %s, found:\n%s", task, formatList(names))
}
