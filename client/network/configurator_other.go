//go:build !linux

package network

import (
	"context"
	"errors"

	"github.com/netnomad/netnomad/nomad/structs"
)

// ErrUnsupported is returned on systems without network namespaces.
var ErrUnsupported = errors.New("group networks (bridge, none, cni) are only supported on linux")

// Configurator is unavailable on this system.
type Configurator struct{}

// NewConfigurator always fails with ErrUnsupported outside Linux.
func NewConfigurator(Config) (*Configurator, error) { return nil, ErrUnsupported }

// Setup fails with ErrUnsupported.
func (*Configurator) Setup(context.Context, *structs.Allocation, *structs.NetworkResource) (*structs.AllocNetworkStatus, error) {
	return nil, ErrUnsupported
}

// Teardown has nothing to undo.
func (*Configurator) Teardown(context.Context, *structs.Allocation, *structs.NetworkResource, *structs.AllocNetworkStatus) error {
	return nil
}

// Check fails with ErrUnsupported.
func (*Configurator) Check(context.Context, *structs.Allocation, *structs.NetworkResource, *structs.AllocNetworkStatus) error {
	return ErrUnsupported
}

// Prepare has nothing to prepare.
func (*Configurator) Prepare(context.Context) error { return nil }

// GC has nothing to collect.
func (*Configurator) GC(context.Context, map[string]bool) error { return nil }

// BridgeSupported is false outside Linux.
func BridgeSupported() bool { return false }

// WithNetNS fails with ErrUnsupported.
func WithNetNS(string, func() error) error { return ErrUnsupported }

// NATBackend is empty outside Linux.
func (*Configurator) NATBackend() string { return "" }
