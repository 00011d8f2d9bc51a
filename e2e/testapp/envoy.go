package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	"github.com/netnomad/netnomad/client/envoybootstrap"
	"google.golang.org/protobuf/encoding/protojson"
)

// The envoy mode stands in for Envoy in e2e tests, where no Envoy binary
// exists: it takes the flags Nomad starts Envoy with,
//
//	testapp envoy -c FILE -l LEVEL [--concurrency N] [--disable-hot-restart]
//
// checks FILE is a bootstrap Envoy would accept (Envoy's own schema, through
// client/envoybootstrap.Validate) naming a node, prints "bootstrap ok: <node
// id>" and then serves HTTP on the sidecar's port (NOMAD_PORT_<task name>, the
// port Nomad injects as connect-proxy-<service>) until killed, so checks on that
// port pass. A missing or invalid file, or flag values Envoy would refuse (an
// uninterpolated ${meta.connect.log_level}, say), exit 1 with a message.

// envoyLogLevels are the values Envoy's -l accepts.
var envoyLogLevels = map[string]bool{
	"trace": true, "debug": true, "info": true, "warning": true, "warn": true,
	"error": true, "critical": true, "off": true,
}

// envoyArgs are the parsed Envoy flags.
type envoyArgs struct {
	configPath  string
	logLevel    string
	concurrency int
}

// parseEnvoyArgs parses Envoy's flags as Nomad passes them. Go's flag package
// accepts both -x and --x, as Envoy does.
func parseEnvoyArgs(args []string, stderr io.Writer) (envoyArgs, error) {
	var a envoyArgs
	var concurrency string
	fs := flag.NewFlagSet("envoy", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&a.configPath, "c", "", "bootstrap file")
	fs.StringVar(&a.configPath, "config-path", "", "bootstrap file")
	fs.StringVar(&a.logLevel, "l", "info", "log level")
	fs.StringVar(&a.logLevel, "log-level", "info", "log level")
	fs.StringVar(&concurrency, "concurrency", "1", "worker threads")
	fs.Bool("disable-hot-restart", false, "disable hot restart")
	if err := fs.Parse(args); err != nil {
		return a, err
	}
	if fs.NArg() > 0 {
		return a, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if a.configPath == "" {
		return a, errors.New("missing -c <bootstrap file>")
	}
	if !envoyLogLevels[a.logLevel] {
		return a, fmt.Errorf("invalid log level %q", a.logLevel)
	}
	n, err := strconv.Atoi(concurrency)
	if err != nil || n < 1 {
		return a, fmt.Errorf("invalid --concurrency %q", concurrency)
	}
	a.concurrency = n
	return a, nil
}

// checkBootstrap reads and validates the bootstrap at path and returns its
// node id.
func checkBootstrap(path string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("failed to read bootstrap: %w", err)
	}
	if err := envoybootstrap.Validate(data); err != nil {
		return "", fmt.Errorf("invalid bootstrap %q: %w", path, err)
	}
	var b bootstrapv3.Bootstrap
	if err := protojson.Unmarshal(data, &b); err != nil {
		return "", fmt.Errorf("invalid bootstrap %q: %w", path, err)
	}
	id := b.GetNode().GetId()
	if id == "" {
		return "", fmt.Errorf("invalid bootstrap %q: no node id", path)
	}
	return id, nil
}

// sidecarListenAddr is ":<port>" of the sidecar's port, from
// NOMAD_PORT_<task name> or else the only NOMAD_PORT_connect_proxy_* variable;
// "" when there is none.
func sidecarListenAddr(env []string) string {
	vars := map[string]string{}
	var proxies []string
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		vars[k] = v
		if strings.HasPrefix(k, "NOMAD_PORT_connect_proxy_") {
			proxies = append(proxies, v)
		}
	}
	if task := vars["NOMAD_TASK_NAME"]; task != "" {
		if p := vars["NOMAD_PORT_"+strings.ReplaceAll(task, "-", "_")]; p != "" {
			return ":" + p
		}
	}
	if len(proxies) == 1 {
		return ":" + proxies[0]
	}
	return ""
}

func runEnvoy(args []string) int {
	a, err := parseEnvoyArgs(args, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "envoy:", err)
		return 1
	}
	id, err := checkBootstrap(a.configPath)
	if err != nil {
		fmt.Fprintln(os.Stderr, "envoy:", err)
		return 1
	}
	fmt.Printf("bootstrap ok: %s\n", id)
	fmt.Printf("log level %s, concurrency %d\n", a.logLevel, a.concurrency)
	listen := sidecarListenAddr(os.Environ())
	if listen == "" {
		fmt.Println("no sidecar port in the environment; not listening")
		select {}
	}
	msg := "envoy stand-in for " + id + "\n"
	fmt.Println("listening on", listen)
	err = http.ListenAndServe(listen, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, msg)
	}))
	fmt.Fprintln(os.Stderr, "envoy:", err)
	return 1
}
