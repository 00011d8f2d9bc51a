package agent

import (
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/hashicorp/cli"
	"github.com/hashicorp/go-hclog"
	"github.com/netnomad/netnomad/version"
)

// Command is `nomad agent`.
type Command struct {
	Ui cli.Ui
	// ShutdownCh, when set, stops the agent like SIGINT does (tests use it).
	ShutdownCh <-chan struct{}
}

// stringSlice is a repeatable string flag (-config a -config b).
type stringSlice []string

func (s *stringSlice) String() string     { return strings.Join(*s, ",") }
func (s *stringSlice) Set(v string) error { *s = append(*s, v); return nil }

func (c *Command) Help() string {
	return strings.TrimSpace(`
Usage: nomad agent [options]

  Starts the Nomad agent and runs until an interrupt is received.
  The agent may be a client and/or server.

General Options:

  -config=<path>
    The path to either a single config file or a directory of config
    files to use for configuring the Nomad agent. This option may be
    specified multiple times; later files win.

  -data-dir=<path>
    The data directory used to store state and other persistent data.

  -dev
    Start the agent in development mode: server and client in one process,
    bound to 127.0.0.1, state in memory, raw_exec enabled.

  -bind=<addr>
    The address the agent will bind to for all of its various network
    services.

  -dc=<datacenter>, -region=<region>, -node=<name>
    The datacenter, region and node name of the agent.

  -log-level=<level>
    TRACE, DEBUG, INFO, WARN or ERROR.

  -server, -client
    Enable server or client mode.

Exit codes: 0 after a clean shutdown, 1 on a configuration or start-up error.
`)
}

func (c *Command) Synopsis() string { return "Runs a Nomad agent" }

func (c *Command) Run(args []string) int {
	config, err := c.readConfig(args)
	if err != nil {
		c.Ui.Error(err.Error())
		return 1
	}
	logger := hclog.New(&hclog.LoggerOptions{
		Name:       "agent",
		Level:      hclog.LevelFromString(config.LogLevel),
		Output:     os.Stderr,
		JSONFormat: config.LogJSON,
	})
	if len(config.Files) == 0 {
		c.Ui.Output("==> No configuration files loaded")
	} else {
		c.Ui.Output(fmt.Sprintf("==> Loaded configuration from %s", strings.Join(config.Files, ", ")))
	}
	c.Ui.Output("==> Starting Nomad agent...")
	agent, err := NewAgent(config, logger)
	if err != nil {
		c.Ui.Error(fmt.Sprintf("Error starting agent: %s", err))
		return 1
	}
	c.Ui.Output("==> Nomad agent configuration:\n")
	c.Ui.Info(fmt.Sprintf("       Advertise Addrs: HTTP: %s", agent.HTTPAddr()))
	c.Ui.Info(fmt.Sprintf("            Bind Addrs: HTTP: %s", agent.HTTPAddr()))
	c.Ui.Info(fmt.Sprintf("                Client: %t", config.ClientEnabled()))
	c.Ui.Info(fmt.Sprintf("             Log Level: %s", config.LogLevel))
	c.Ui.Info(fmt.Sprintf("                Region: %s (DC: %s)", config.Region, config.Datacenter))
	c.Ui.Info(fmt.Sprintf("                Server: %t", config.ServerEnabled()))
	c.Ui.Info(fmt.Sprintf("               Version: %s", version.Version))
	c.Ui.Output("\n==> Nomad agent started! Log data will stream in below:\n")

	sigCh := make(chan os.Signal, 1)
	signal.Notify(sigCh, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sigCh)
	select {
	case sig := <-sigCh:
		c.Ui.Output(fmt.Sprintf("==> Caught signal: %v", sig))
	case <-c.ShutdownCh:
	}
	c.Ui.Output("==> Gracefully shutting down agent...")
	agent.Shutdown()
	return 0
}

func (c *Command) readConfig(args []string) (*Config, error) {
	var (
		configPaths                         stringSlice
		dev, server, client                 bool
		dataDir, bind, dc, region, nodeName string
		logLevel                            string
	)
	flags := flag.NewFlagSet("agent", flag.ContinueOnError)
	flags.SetOutput(io.Discard)
	flags.Usage = func() { c.Ui.Output(c.Help()) }
	flags.Var(&configPaths, "config", "")
	flags.BoolVar(&dev, "dev", false, "")
	flags.BoolVar(&server, "server", false, "")
	flags.BoolVar(&client, "client", false, "")
	flags.StringVar(&dataDir, "data-dir", "", "")
	flags.StringVar(&bind, "bind", "", "")
	flags.StringVar(&dc, "dc", "", "")
	flags.StringVar(&region, "region", "", "")
	flags.StringVar(&nodeName, "node", "", "")
	flags.StringVar(&logLevel, "log-level", "", "")
	if err := flags.Parse(args); err != nil {
		return nil, fmt.Errorf("%v\n\n%s", err, c.Help())
	}

	config := DefaultConfig()
	if dev {
		config = DevConfig()
	}
	for _, p := range configPaths {
		fc, err := LoadConfig(p)
		if err != nil {
			return nil, fmt.Errorf("Error loading configuration from %s: %s", p, err)
		}
		config = config.Merge(fc)
	}
	t := true
	flagConfig := &Config{DataDir: dataDir, BindAddr: bind, Datacenter: dc, Region: region, NodeName: nodeName, LogLevel: logLevel}
	if server {
		flagConfig.Server = &ServerConfig{Enabled: &t}
	}
	if client {
		flagConfig.Client = &ClientConfig{Enabled: &t}
	}
	config = config.Merge(flagConfig)
	if err := config.Validate(); err != nil {
		return nil, err
	}
	if err := config.CheckAdvertise(); err != nil {
		return nil, err
	}
	return config, nil
}
