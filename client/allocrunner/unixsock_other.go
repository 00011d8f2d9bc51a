//go:build !linux

package allocrunner

import "net"

// listenUnix listens on the unix socket path.
func listenUnix(path string) (net.Listener, error) { return net.Listen("unix", path) }
