//go:build !linux

package fingerprint

import (
	"errors"
	"runtime"

	"github.com/netnomad/netnomad/client/config"
)

// probeHost only knows the OS name outside Linux.
func probeHost(cfg *config.Config) (HostFacts, error) {
	return HostFacts{KernelName: runtime.GOOS, KernelArch: runtime.GOARCH}, errors.New("host fingerprinting is only implemented on linux")
}

func defaultRouteInterface() (string, error) {
	return "", errors.New("default route lookup is only implemented on linux")
}
