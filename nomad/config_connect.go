package nomad

import (
	"errors"
	"fmt"
)

// ConnectSidecarConfig is the operator's default for the injected Connect
// sidecar task, so that nodes without Docker run Envoy from the host without a
// sidecar_task in every job:
//
//	server {
//	  connect {
//	    sidecar_driver  = "raw_exec"
//	    sidecar_command = "/usr/local/bin/envoy"
//	  }
//	}
type ConnectSidecarConfig struct {
	// Driver runs the sidecar task instead of "docker", e.g. "raw_exec" or "exec".
	Driver string
	// Command is the program the driver starts (config.command). Required for
	// every driver but docker, which runs ${meta.connect.sidecar_image} instead
	// and must not have one.
	Command string
	// Args are the program's arguments (config.args); nil means Nomad's Envoy
	// arguments (DefaultConnectSidecarArgs).
	Args []string
}

// DefaultConnectSidecarArgs are the arguments Nomad starts Envoy with; the
// ${...} references are interpolated on the client.
func DefaultConnectSidecarArgs() []string {
	return []string{
		"-c", "${NOMAD_SECRETS_DIR}/envoy_bootstrap.json",
		"-l", "${meta.connect.log_level}",
		"--concurrency", "${meta.connect.proxy_concurrency}",
		"--disable-hot-restart",
	}
}

// Validate reports a configuration the hook could not use. A nil config, or one
// without Driver, Command and Args, is valid (Nomad's default).
func (c *ConnectSidecarConfig) Validate() error {
	if c == nil {
		return nil
	}
	switch {
	case c.Driver == "" && (c.Command != "" || c.Args != nil):
		return errors.New("connect: sidecar_command and sidecar_args require sidecar_driver")
	case c.Driver == "":
		return nil
	case c.Driver == connectSidecarDriver && c.Command != "":
		return fmt.Errorf("connect: sidecar_command cannot be used with sidecar_driver %q: set the image with the client meta \"connect.sidecar_image\"", c.Driver)
	case c.Driver != connectSidecarDriver && c.Command == "":
		return fmt.Errorf("connect: sidecar_driver %q requires sidecar_command", c.Driver)
	}
	return nil
}

// taskConfig returns the driver config of the injected sidecar task: command and
// args, or for docker Nomad's image with the configured args. The caller owns
// the returned map.
func (c *ConnectSidecarConfig) taskConfig() map[string]any {
	args := c.Args
	if args == nil {
		args = DefaultConnectSidecarArgs()
	}
	list := make([]any, len(args))
	for i, a := range args {
		list[i] = a
	}
	if c.Driver == connectSidecarDriver {
		return map[string]any{"image": connectSidecarImage, "args": list}
	}
	return map[string]any{"command": c.Command, "args": list}
}
