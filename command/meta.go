// Package command implements the nomad CLI verbs. Every command talks to an agent
// only through the HTTP API (github.com/hashicorp/nomad/api) and formats its output
// the way Nomad 0.10 does.
package command

import (
	"flag"
	"io"
	"os"
	"strings"
	"time"

	"github.com/hashicorp/cli"
	"github.com/hashicorp/nomad/api"
	"github.com/mattn/go-isatty"
	"github.com/mitchellh/colorstring"
)

const (
	// shortId is the length of an ID printed without -verbose.
	shortId = 8
	// fullId is the length of a UUID.
	fullId = 36
)

// idLength is how many characters of an ID to print: all of it with -verbose.
func idLength(verbose bool) int {
	if verbose {
		return fullId
	}
	return shortId
}

// Meta holds the state and global flags shared by every command (-address,
// -region, -namespace, -token, -no-color and the TLS flags). Embed it by value.
type Meta struct {
	// Ui receives all output. Commands never write to os.Stdout directly, except
	// `alloc logs`, which copies log bytes to Ui's writer when it has one.
	Ui cli.Ui

	// Now returns the current time; nil means time.Now. Tests pin it so that
	// relative times ("5m ago") are stable.
	Now func() time.Time

	flagAddress   string
	region        string
	namespace     string
	token         string
	noColor       bool
	caCert        string
	caPath        string
	clientCert    string
	clientKey     string
	tlsServerName string
	insecure      bool
}

// FlagSet returns a flag set carrying the global flags. Its output is discarded:
// commands print their own Help on a parse error.
func (m *Meta) FlagSet(name string) *flag.FlagSet {
	f := flag.NewFlagSet(name, flag.ContinueOnError)
	f.StringVar(&m.flagAddress, "address", "", "")
	f.StringVar(&m.region, "region", "", "")
	f.StringVar(&m.namespace, "namespace", "", "")
	f.StringVar(&m.token, "token", "", "")
	f.BoolVar(&m.noColor, "no-color", false, "")
	f.StringVar(&m.caCert, "ca-cert", "", "")
	f.StringVar(&m.caPath, "ca-path", "", "")
	f.StringVar(&m.clientCert, "client-cert", "", "")
	f.StringVar(&m.clientKey, "client-key", "", "")
	f.StringVar(&m.tlsServerName, "tls-server-name", "", "")
	f.BoolVar(&m.insecure, "tls-skip-verify", false, "")
	f.SetOutput(io.Discard)
	return f
}

// Client builds an API client from the environment (NOMAD_ADDR, NOMAD_TOKEN, ...)
// overridden by the global flags. The default address is http://127.0.0.1:4646.
func (m *Meta) Client() (*api.Client, error) {
	config := api.DefaultConfig()
	if m.flagAddress != "" {
		config.Address = m.flagAddress
	}
	if m.region != "" {
		config.Region = m.region
	}
	if m.namespace != "" {
		config.Namespace = m.namespace
	}
	if m.token != "" {
		config.SecretID = m.token
	}
	t := config.TLSConfig
	if m.caCert != "" {
		t.CACert = m.caCert
	}
	if m.caPath != "" {
		t.CAPath = m.caPath
	}
	if m.clientCert != "" {
		t.ClientCert = m.clientCert
	}
	if m.clientKey != "" {
		t.ClientKey = m.clientKey
	}
	if m.tlsServerName != "" {
		t.TLSServerName = m.tlsServerName
	}
	if m.insecure {
		t.Insecure = true
	}
	return api.NewClient(config)
}

// Colorize renders [bold]/[green] markup, or strips it with -no-color or when
// stdout is not a terminal.
func (m *Meta) Colorize() *colorstring.Colorize {
	return &colorstring.Colorize{
		Colors:  colorstring.DefaultColors,
		Disable: m.noColor || os.Getenv("NOMAD_CLI_NO_COLOR") != "" || !isatty.IsTerminal(os.Stdout.Fd()),
		Reset:   true,
	}
}

func (m *Meta) now() time.Time {
	if m.Now != nil {
		return m.Now()
	}
	return time.Now()
}

// generalOptionsUsage documents the global flags in every Help().
func generalOptionsUsage() string {
	helpText := `
  -address=<addr>
    The address of the Nomad server.
    Overrides the NOMAD_ADDR environment variable if set.
    Default = http://127.0.0.1:4646

  -region=<region>
    The region of the Nomad servers to forward commands to.
    Overrides the NOMAD_REGION environment variable if set.
    Defaults to the Agent's local region.

  -namespace=<namespace>
    The target namespace for queries and actions bound to a namespace.
    Overrides the NOMAD_NAMESPACE environment variable if set.
    If set to '*', job and alloc subcommands query all namespaces authorized
    to user.
    Defaults to the "default" namespace.

  -no-color
    Disables colored command output. Alternatively, NOMAD_CLI_NO_COLOR may be
    set.

  -ca-cert=<path>
    Path to a PEM encoded CA cert file to use to verify the
    Nomad server SSL certificate.  Overrides the NOMAD_CACERT
    environment variable if set.

  -ca-path=<path>
    Path to a directory of PEM encoded CA cert files to verify
    the Nomad server SSL certificate. If both -ca-cert and
    -ca-path are specified, -ca-cert is used. Overrides the
    NOMAD_CAPATH environment variable if set.

  -client-cert=<path>
    Path to a PEM encoded client certificate for TLS authentication
    to the Nomad server. Must also specify -client-key. Overrides
    the NOMAD_CLIENT_CERT environment variable if set.

  -client-key=<path>
    Path to an unencrypted PEM encoded private key matching the
    client certificate from -client-cert. Overrides the
    NOMAD_CLIENT_KEY environment variable if set.

  -tls-server-name=<value>
    The server name to use as the SNI host when connecting via
    TLS. Overrides the NOMAD_TLS_SERVER_NAME environment variable if set.

  -tls-skip-verify
    Do not verify TLS certificate. This is highly not recommended. Verification
    will also be skipped if NOMAD_SKIP_VERIFY is set.

  -token
    The SecretID of an ACL token to use to authenticate API requests with.
    Overrides the NOMAD_TOKEN environment variable if set.
`
	return strings.TrimSpace(helpText)
}

// commandErrorText is the hint printed after a usage error.
func commandErrorText(name string) string {
	return "For additional help try 'nomad " + name + " -help'"
}
