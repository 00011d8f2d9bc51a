package agent

import (
	"os/exec"

	"github.com/netnomad/netnomad/nomad"
)

// devConnectSidecar is the Connect sidecar default of a -dev agent that sets
// none: Envoy from the host under raw_exec when an `envoy` binary is on PATH.
// netnomad has no docker driver, so Nomad's docker sidecar could never run on
// the dev node; with this, Connect jobs need no sidecar_task on a dev agent.
// Outside -dev, or with server { connect { sidecar_driver } } set, or
// without envoy on PATH, the operator's (or Nomad's docker) default stands.
func (a *Agent) devConnectSidecar(configured *nomad.ConnectSidecarConfig) *nomad.ConnectSidecarConfig {
	if !a.config.DevMode || (configured != nil && configured.Driver != "") {
		return configured
	}
	envoy, err := lookEnvoy()
	if err != nil {
		return configured
	}
	a.logger.Info("dev mode: Connect sidecars run envoy from the host with raw_exec", "envoy", envoy)
	return &nomad.ConnectSidecarConfig{Driver: "raw_exec", Command: envoy}
}

// lookEnvoy finds the envoy binary; a variable so tests can stand one in.
var lookEnvoy = func() (string, error) { return exec.LookPath("envoy") }
