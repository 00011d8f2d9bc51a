package rawexec

import (
	"fmt"
)

// taskConfig is the raw_exec driver block of a task:
//
//	config {
//	  command = "/bin/sh"
//	  args    = ["-c", "echo hi"]
//	}
type taskConfig struct {
	Command string
	Args    []string
}

// parseTaskConfig decodes the task's config map. command is required; args is a
// list of strings.
func parseTaskConfig(m map[string]any) (*taskConfig, error) {
	var c taskConfig
	switch v := m["command"].(type) {
	case string:
		c.Command = v
	case nil:
	default:
		return nil, fmt.Errorf("failed to parse raw_exec config: \"command\" must be a string, got %T", v)
	}
	if c.Command == "" {
		return nil, fmt.Errorf("failed to parse raw_exec config: missing required field \"command\"")
	}
	switch v := m["args"].(type) {
	case nil:
	case []string:
		c.Args = append(c.Args, v...)
	case []any:
		for i, a := range v {
			s, ok := a.(string)
			if !ok {
				return nil, fmt.Errorf("failed to parse raw_exec config: args[%d] must be a string, got %T", i, a)
			}
			c.Args = append(c.Args, s)
		}
	default:
		return nil, fmt.Errorf("failed to parse raw_exec config: \"args\" must be a list of strings, got %T", v)
	}
	for k := range m {
		if k != "command" && k != "args" {
			return nil, fmt.Errorf("failed to parse raw_exec config: unsupported argument %q", k)
		}
	}
	return &c, nil
}
